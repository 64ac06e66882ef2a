/*
 * manifest.c: combining the manifests of shard runs into one.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/hash.h>

#include "data.h"
#include "error.h"
#include "manifest.h"
#include "text.h"
#include "util.h"

#define HEADER "document_id,kind,batch_id,officer_id,name,file,sha256,qr"
#define NCOLS 8
#define MAX_MANIFEST (512u * 1024 * 1024)

struct mrow {
    char *line;               /* the row as written, without its newline */
    char *col[NCOLS];         /* parsed fields (own copies) */
    long order;               /* officer index in the data, or -1 */
    size_t seq;               /* position while reading, to keep ties stable */
};

/* Parse one CSV record starting at *p; returns false at the end or on a malformed record. */
static bool parse_record(const char **p, const char *end, char **fields, int *nfields,
                         const char **line_start, const char **line_end)
{
    const char *s = *p;
    struct buf f = {0};
    int n = 0;

    if (s >= end)
        return false;
    *line_start = s;
    for (;;) {
        buf_reset(&f);
        if (s < end && *s == '"') {
            s++;
            for (;;) {
                if (s >= end)
                    goto bad;
                if (*s == '"' && s + 1 < end && s[1] == '"') {
                    buf_add(&f, "\"", 1);
                    s += 2;
                } else if (*s == '"') {
                    s++;
                    break;
                } else
                    buf_add(&f, s++, 1);
            }
        } else
            while (s < end && *s != ',' && *s != '\n' && *s != '\r')
                buf_add(&f, s++, 1);
        if (n == NCOLS)
            goto bad;
        if (f.failed)
            goto bad;       /* out of memory: the line is not read */
        fields[n++] = buf_detach(&f, NULL);
        if (s < end && *s == ',') {
            s++;
            continue;
        }
        *line_end = s;
        if (s < end && *s == '\r')
            s++;
        if (s < end && *s == '\n')
            s++;
        break;
    }
    *nfields = n;
    *p = s;
    buf_release(&f);
    return true;
bad:
    while (n > 0)
        free(fields[--n]);
    buf_release(&f);
    *nfields = -1;
    return false;
}

static int by_order(const void *a, const void *b)
{
    const struct mrow *x = a, *y = b;

    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    if (x->order < 0) {
        int c = strcmp(x->col[5], y->col[5]);
        if (c)
            return c;
    }
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

attache_status attache_manifest_merge(const char *const *paths, size_t npaths,
                                      const attache_data *data, char **out, size_t *outlen,
                                      attache_error *err)
{
    struct mrow *rows = NULL;
    size_t nrows = 0, cap = 0, i, k;
    struct buf b = {0};
    attache_status rc = ATTACHE_OK;
    char clip[80];

    *out = NULL;
    for (i = 0; i < npaths && rc == ATTACHE_OK; i++) {
        unsigned char *bytes;
        size_t size;
        const char *p, *end, *ls, *le;
        unsigned long line = 1;

        rc = attache_read_input(paths[i], MAX_MANIFEST, &bytes, &size, err);
        if (rc != ATTACHE_OK)
            break;
        p = (const char *)bytes;
        end = p + size;
        if (size < strlen(HEADER) || strncmp(p, HEADER, strlen(HEADER)) ||
            (p[strlen(HEADER)] != '\n' && p[strlen(HEADER)] != '\r')) {
            rc = err_set(err, ATTACHE_ERR_DATA, paths[i], 1, "is not an attache manifest "
                         "(the header must be %s)", HEADER);
            free(bytes);
            break;
        }
        p = strchr(p, '\n') ? strchr(p, '\n') + 1 : end;
        while (p < end) {
            struct mrow r = {0};
            int n;

            line++;
            if (!parse_record(&p, end, r.col, &n, &ls, &le) || n != NCOLS) {
                for (k = 0; n > 0 && k < (size_t)n; k++)
                    free(r.col[k]);
                rc = err_set(err, ATTACHE_ERR_DATA, paths[i], line,
                             "is not a manifest row of %d fields", NCOLS);
                break;
            }
            r.line = strndup(ls, (size_t)(le - ls));
            r.order = data ? data_find_officer(data, r.col[3]) : -1;
            r.seq = nrows;
            if (data && r.order < 0)
                rc = err_set(err, ATTACHE_ERR_DATA, paths[i], line,
                             "officer '%s' is not in the data",
                             text_clip(clip, sizeof clip, r.col[3], 64));
            if (nrows == cap) {
                struct mrow *v = realloc(rows, (cap ? cap * 2 : 64) * sizeof *v);
                if (!v) {
                    rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
                    for (k = 0; k < NCOLS; k++)
                        free(r.col[k]);
                    free(r.line);
                    break;
                }
                rows = v;
                cap = cap ? cap * 2 : 64;
            }
            rows[nrows++] = r;
            if (rc != ATTACHE_OK)
                break;
        }
        free(bytes);
    }
    if (rc == ATTACHE_OK) {
        qsort(rows, nrows, sizeof *rows, by_order);
        buf_adds(&b, HEADER "\n");
        for (i = 0; i < nrows; i++) {
            /* the same document twice: the same bytes are fine, anything else is not */
            if (i && !strcmp(rows[i].col[0], rows[i - 1].col[0])) {
                if (strcmp(rows[i].line, rows[i - 1].line)) {
                    rc = err_set(err, ATTACHE_ERR_DATA, NULL, 0,
                                 "document '%s' is in two manifests with different contents",
                                 text_clip(clip, sizeof clip, rows[i].col[0], 64));
                    break;
                }
                continue;
            }
            buf_adds(&b, rows[i].line);
            buf_adds(&b, "\n");
        }
    }
    if (rc == ATTACHE_OK) {
        if (!b.data || b.failed)
            rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        else
            *out = buf_detach(&b, outlen);
    }
    for (i = 0; i < nrows; i++) {
        free(rows[i].line);
        for (k = 0; k < NCOLS; k++)
            free(rows[i].col[k]);
    }
    free(rows);
    buf_release(&b);
    return rc;
}

/* ---- reading one folder's manifest ------------------------------------------- */

attache_status manifest_parse(struct manifest *m, const char *name, const unsigned char *bytes,
                              size_t size, attache_error *err)
{
    const char *p = (const char *)bytes, *end = p + size, *ls, *le;
    unsigned long line = 1;
    size_t hlen = strlen(HEADER);

    if (size < hlen || strncmp(p, HEADER, hlen) || (size > hlen && p[hlen] != '\n' &&
                                                    p[hlen] != '\r'))
        return err_set(err, ATTACHE_ERR_DATA, name, 1, "is not an attache manifest "
                       "(the header must be %s)", HEADER);
    p = memchr(p, '\n', size) ? (const char *)memchr(p, '\n', size) + 1 : end;
    while (p < end) {
        struct manifest_row r = {0};
        int n = 0, k;

        line++;
        if (!parse_record(&p, end, r.col, &n, &ls, &le) || n != MANIFEST_COLUMNS) {
            for (k = 0; k < n; k++)
                free(r.col[k]);
            return err_set(err, ATTACHE_ERR_DATA, name, line, "is not a manifest row of %d "
                           "fields", MANIFEST_COLUMNS);
        }
        r.line = line;
        if (m->n == m->cap) {
            size_t cap = m->cap ? m->cap * 2 : 64;
            struct manifest_row *v = realloc(m->rows, cap * sizeof *v);

            if (!v) {
                for (k = 0; k < n; k++)
                    free(r.col[k]);
                return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
            }
            m->rows = v;
            m->cap = cap;
        }
        m->rows[m->n++] = r;
    }
    return manifest_check_unique(m, name, err);
}

attache_status manifest_check_unique(const struct manifest *m, const char *name,
                                     attache_error *err)
{
    xmlHashTablePtr seen = xmlHashCreate((int)(m->n < 1000000 ? m->n : 1000000));
    attache_status rc = ATTACHE_OK;
    char clip[80];
    size_t i;

    if (!seen)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    for (i = 0; i < m->n && rc == ATTACHE_OK; i++) {
        const xmlChar *id = BAD_CAST m->rows[i].col[MCOL_DOCUMENT_ID];
        const struct manifest_row *first = xmlHashLookup(seen, id);

        if (first)
            rc = err_set(err, ATTACHE_ERR_DATA, name, m->rows[i].line,
                         "document '%s' is listed twice (also on line %lu)",
                         text_clip(clip, sizeof clip, (const char *)id, 64), first->line);
        else if (xmlHashAddEntry(seen, id, (void *)&m->rows[i]) != 0)
            rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    }
    xmlHashFree(seen, NULL);
    return rc;
}

void manifest_release(struct manifest *m)
{
    size_t i, k;

    for (i = 0; i < m->n; i++)
        for (k = 0; k < MANIFEST_COLUMNS; k++)
            free(m->rows[i].col[k]);
    free(m->rows);
    memset(m, 0, sizeof *m);
}

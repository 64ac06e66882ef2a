/*
 * manifest.c: manifest.csv, written, read and merged (manifest.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "error.h"
#include "manifest.h"
#include "text.h"
#include "util.h"

#define MAX_MANIFEST (512u * 1024 * 1024)

static const char *const column_names[MANIFEST_COLUMNS] = {
    "document_id", "kind", "batch_id", "officer_id", "name", "file", "sha256", "qr"
};

/* ---- cells ----------------------------------------------------------------- */

/* Would a spreadsheet take this cell for a formula (or strip its start)? */
static bool formula_like(const char *s)
{
    while (*s == '\'')
        s++;
    return *s == '=' || *s == '+' || *s == '-' || *s == '@' || *s == '\t' || *s == '\r';
}

static void put_cell(struct buf *b, const char *s, bool last)
{
    bool quoted = strpbrk(s, ",\"\r\n") != NULL;

    if (quoted)
        buf_add(b, "\"", 1);
    if (formula_like(s))
        buf_add(b, "'", 1);
    while (*s) {                 /* up to and with each quote, which is doubled */
        size_t n = strcspn(s, "\"");

        buf_add(b, s, n + (s[n] == '"'));
        if (s[n] == '"')
            buf_add(b, "\"", 1);
        s += n + (s[n] == '"');
    }
    if (quoted)
        buf_add(b, "\"", 1);
    buf_adds(b, last ? "\n" : ",");
}

void manifest_format(const struct manifest *m, struct buf *out)
{
    size_t i, c;

    for (c = 0; c < MANIFEST_COLUMNS; c++) {
        buf_adds(out, column_names[c]);
        buf_adds(out, c + 1 < MANIFEST_COLUMNS ? "," : "\n");
    }
    for (i = 0; i < m->n; i++)
        for (c = 0; c < MANIFEST_COLUMNS; c++)
            put_cell(out, m->rows[i].col[c], c + 1 == MANIFEST_COLUMNS);
}

/* ---- rows ------------------------------------------------------------------ */

static void row_release(struct manifest_row *r)
{
    size_t c;

    for (c = 0; c < MANIFEST_COLUMNS; c++)
        free(r->col[c]);
}

/* Take over a row whose cells are malloc'd (freed on failure). */
static attache_status push(struct manifest *m, struct manifest_row *r, attache_error *err)
{
    struct manifest_row *v = array_room(m->rows, m->n, &m->cap, sizeof *v, 64);

    if (!v) {
        row_release(r);
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    }
    m->rows = v;
    m->rows[m->n++] = *r;
    return ATTACHE_OK;
}

static bool copy_cells(struct manifest_row *r, const char *const cells[MANIFEST_COLUMNS])
{
    size_t c;
    bool ok = true;

    for (c = 0; c < MANIFEST_COLUMNS; c++)
        ok &= (r->col[c] = strdup(cells[c] ? cells[c] : "")) != NULL;
    return ok;
}

attache_status manifest_add(struct manifest *m, const char *const cells[MANIFEST_COLUMNS],
                            attache_error *err)
{
    struct manifest_row r = {{0}, 0};

    if (!copy_cells(&r, cells)) {
        row_release(&r);
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    }
    return push(m, &r, err);
}

attache_status manifest_replace(struct manifest *m, size_t i,
                                const char *const cells[MANIFEST_COLUMNS], attache_error *err)
{
    struct manifest_row r = {{0}, 0};

    if (!copy_cells(&r, cells)) {
        row_release(&r);
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    }
    row_release(&m->rows[i]);
    m->rows[i] = r;
    return ATTACHE_OK;
}

void manifest_filter(struct manifest *m, bool (*keep)(const struct manifest_row *, void *),
                     void *ctx)
{
    size_t i, n = 0;

    for (i = 0; i < m->n; i++) {
        if (keep(&m->rows[i], ctx))
            m->rows[n++] = m->rows[i];
        else
            row_release(&m->rows[i]);
    }
    m->n = n;
}

/* ---- the index ------------------------------------------------------------- */

/* FNV-1a: the cells are file names and ids, chosen by no adversary who gains from collisions. */
static size_t cell_hash(const char *s)
{
    uint64_t h = 14695981039346656037u;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (size_t)(h ^ (h >> 29));
}

/* The slot holding `value`, or the empty slot where it would go. */
static size_t index_probe(const struct manifest_index *ix, const char *value)
{
    size_t at = cell_hash(value) & ix->mask;

    while (ix->slot[at] && strcmp(ix->m->rows[ix->slot[at] - 1].col[ix->column], value))
        at = (at + 1) & ix->mask;
    return at;
}

attache_status manifest_index_init(struct manifest_index *ix, const struct manifest *m,
                                   enum manifest_column column, size_t room, attache_error *err)
{
    size_t size = 64, i;

    *ix = (struct manifest_index){m, column, NULL, 0, room};
    while (size / 2 < m->n + room) {
        if (size > SIZE_MAX / 4 / sizeof *ix->slot)
            return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        size *= 2;
    }
    ix->slot = calloc(size, sizeof *ix->slot);
    if (!ix->slot)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    ix->mask = size - 1;
    for (i = 0; i < m->n; i++) {
        size_t at = index_probe(ix, m->rows[i].col[column]);
        if (!ix->slot[at])          /* a value seen before keeps its first row */
            ix->slot[at] = i + 1;
    }
    return ATTACHE_OK;
}

long manifest_index_find(const struct manifest_index *ix, const char *value)
{
    size_t at = index_probe(ix, value);

    return ix->slot[at] ? (long)(ix->slot[at] - 1) : -1;
}

bool manifest_index_add(struct manifest_index *ix, size_t i)
{
    size_t at;

    if (!ix->room)
        return false;
    at = index_probe(ix, ix->m->rows[i].col[ix->column]);
    if (!ix->slot[at]) {
        ix->slot[at] = i + 1;
        ix->room--;
    }
    return true;
}

void manifest_index_release(struct manifest_index *ix)
{
    free(ix->slot);
    ix->slot = NULL;
}

void manifest_release(struct manifest *m)
{
    size_t i;

    for (i = 0; i < m->n; i++)
        row_release(&m->rows[i]);
    free(m->rows);
    m->rows = NULL;
    m->n = m->cap = 0;
}

/* ---- reading ----------------------------------------------------------------- */

/*
 * Parse one CSV record at *p into r (cells malloc'd).  A quoted cell must
 * end at a comma or the end of the line: text after its closing quote
 * makes the record malformed.  *lines counts the line ends crossed.  1: a
 * record of every column; 0: malformed; -1: memory ran out.
 */
static int parse_record(const char **p, const char *end, struct manifest_row *r,
                        unsigned long *lines)
{
    const char *s = *p;
    struct buf f = {0};
    size_t n = 0;
    int result = 0;

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
                } else {
                    *lines += *s == '\n';
                    buf_add(&f, s++, 1);
                }
            }
            if (s < end && *s != ',' && *s != '\n' && *s != '\r')
                goto bad;
        } else
            while (s < end && *s != ',' && *s != '\n' && *s != '\r') {
                if (*s == '"')
                    goto bad;
                buf_add(&f, s++, 1);
            }
        if (n == MANIFEST_COLUMNS)
            goto bad;
        buf_add(&f, "", 1);         /* an empty cell is an empty string, not NULL */
        if (f.failed) {
            result = -1;
            goto bad;
        }
        r->col[n] = buf_detach(&f, NULL);
        /* the escape a formula-like cell was written with */
        if (r->col[n][0] == '\'' && formula_like(r->col[n]))
            memmove(r->col[n], r->col[n] + 1, strlen(r->col[n]));
        n++;
        if (s < end && *s == ',') {
            s++;
            continue;
        }
        if (s < end && *s == '\r')
            s++;
        if (s < end && *s == '\n')
            s++;
        break;
    }
    buf_release(&f);
    *p = s;
    if (n == MANIFEST_COLUMNS)
        return 1;
    row_release(r);
    return 0;
bad:
    buf_release(&f);
    row_release(r);
    return result;
}

attache_status manifest_parse(struct manifest *m, const char *name, const unsigned char *bytes,
                              size_t size, attache_error *err)
{
    const char *p = (const char *)bytes, *end = p + size;
    struct buf header = {0};
    unsigned long line = 1;
    bool ok;
    size_t c;

    for (c = 0; c < MANIFEST_COLUMNS; c++) {
        buf_adds(&header, column_names[c]);
        buf_adds(&header, c + 1 < MANIFEST_COLUMNS ? "," : "");
    }
    if (header.failed) {
        buf_release(&header);
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    }
    ok = size >= header.len && !memcmp(p, header.data, header.len) &&
         (size == header.len || p[header.len] == '\n' || p[header.len] == '\r');
    if (!ok) {
        err_set(err, ATTACHE_ERR_DATA, name, 1,
                "is not an attache manifest (the header must be %s)", header.data);
        buf_release(&header);
        return ATTACHE_ERR_DATA;
    }
    p += header.len;
    buf_release(&header);
    if (p < end && *p == '\r')
        p++;
    if (p < end && *p == '\n')
        p++;
    while (p < end) {
        struct manifest_row r = {{0}, 0};
        attache_status rc;

        line++;
        r.line = line;
        int got = parse_record(&p, end, &r, &line);

        if (got < 0)
            return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        if (got == 0)
            return err_set(err, ATTACHE_ERR_DATA, name, r.line,
                           "is not a manifest row of %d fields", MANIFEST_COLUMNS);
        rc = push(m, &r, err);
        if (rc != ATTACHE_OK)
            return rc;
    }
    return ATTACHE_OK;
}

/* ---- one row per document ------------------------------------------------------ */

static int by_document_id(const void *a, const void *b, void *ctx)
{
    const struct manifest *m = ctx;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = strcmp(m->rows[x].col[MCOL_DOCUMENT_ID], m->rows[y].col[MCOL_DOCUMENT_ID]);

    return c ? c : (x > y) - (x < y);
}

/*
 * Rows in document-id order (ties in row order), so that rows of one
 * document are neighbours wherever they were listed.  NULL when out of
 * memory.
 */
static size_t *ids_sorted(const struct manifest *m)
{
    size_t *idx = malloc((m->n ? m->n : 1) * sizeof *idx), i;

    if (!idx)
        return NULL;
    for (i = 0; i < m->n; i++)
        idx[i] = i;
    qsort_r(idx, m->n, sizeof *idx, by_document_id, (void *)m);
    return idx;
}

static bool same_row(const struct manifest_row *a, const struct manifest_row *b)
{
    size_t c;

    for (c = 0; c < MANIFEST_COLUMNS; c++)
        if (strcmp(a->col[c], b->col[c]))
            return false;
    return true;
}

attache_status manifest_check_unique(const struct manifest *m, const char *name,
                                     attache_error *err)
{
    size_t *idx = ids_sorted(m), i;
    attache_status rc = ATTACHE_OK;
    char clip[80];

    if (!idx)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    for (i = 1; i < m->n && rc == ATTACHE_OK; i++) {
        const struct manifest_row *a = &m->rows[idx[i - 1]], *b = &m->rows[idx[i]];
        if (!strcmp(a->col[MCOL_DOCUMENT_ID], b->col[MCOL_DOCUMENT_ID]))
            rc = err_set(err, ATTACHE_ERR_DATA, name, b->line,
                         "document '%s' is listed twice (also on line %lu)",
                         text_clip(clip, sizeof clip, b->col[MCOL_DOCUMENT_ID], 64), a->line);
    }
    free(idx);
    return rc;
}

/* ---- merging ------------------------------------------------------------------- */

struct merged {
    size_t row;
    long order;               /* officer index in the data, or -1 */
};

static int by_order(const void *a, const void *b, void *ctx)
{
    const struct manifest *m = ctx;
    const struct merged *x = a, *y = b;

    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    if (x->order < 0) {
        int c = strcmp(m->rows[x->row].col[MCOL_FILE], m->rows[y->row].col[MCOL_FILE]);
        if (c)
            return c;
    }
    return (x->row > y->row) - (x->row < y->row);
}

attache_status attache_manifest_merge(const char *const *paths, size_t npaths,
                                      const attache_data *data, char **out, size_t *outlen,
                                      attache_error *err)
{
    struct manifest all = {0}, result = {0};
    struct merged *order = NULL;
    bool *drop = NULL;
    size_t *idx = NULL, i, k;
    struct buf b = {0};
    attache_status rc = ATTACHE_OK;
    char clip[80];

    *out = NULL;
    for (i = 0; i < npaths && rc == ATTACHE_OK; i++) {
        unsigned char *bytes;
        size_t size, first = all.n;

        rc = attache_read_input(paths[i], MAX_MANIFEST, &bytes, &size, err);
        if (rc != ATTACHE_OK)
            break;
        rc = manifest_parse(&all, paths[i], bytes, size, err);
        free(bytes);
        for (k = first; rc == ATTACHE_OK && data && k < all.n; k++)
            if (data_find_officer(data, all.rows[k].col[MCOL_OFFICER_ID]) < 0)
                rc = err_set(err, ATTACHE_ERR_DATA, paths[i], all.rows[k].line,
                             "officer '%s' is not in the data",
                             text_clip(clip, sizeof clip, all.rows[k].col[MCOL_OFFICER_ID], 64));
    }
    if (rc != ATTACHE_OK)
        goto done;

    /* the same document twice: the same row is fine, anything else is not */
    idx = ids_sorted(&all);
    drop = calloc(all.n ? all.n : 1, sizeof *drop);
    order = calloc(all.n ? all.n : 1, sizeof *order);
    if (!idx || !drop || !order) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    for (i = 1; i < all.n; i++) {
        const struct manifest_row *a = &all.rows[idx[i - 1]], *r = &all.rows[idx[i]];
        if (strcmp(a->col[MCOL_DOCUMENT_ID], r->col[MCOL_DOCUMENT_ID]))
            continue;
        if (!same_row(a, r)) {
            rc = err_set(err, ATTACHE_ERR_DATA, NULL, 0,
                         "document '%s' is in two manifests with different contents",
                         text_clip(clip, sizeof clip, r->col[MCOL_DOCUMENT_ID], 64));
            goto done;
        }
        drop[idx[i]] = true;
    }

    /* in the data's order, or by file name */
    for (i = k = 0; i < all.n; i++)
        if (!drop[i]) {
            order[k].row = i;
            order[k].order = data ? data_find_officer(data, all.rows[i].col[MCOL_OFFICER_ID]) : -1;
            k++;
        }
    qsort_r(order, k, sizeof *order, by_order, &all);
    for (i = 0; i < k && rc == ATTACHE_OK; i++)
        rc = manifest_add(&result, (const char *const *)all.rows[order[i].row].col, err);
    if (rc != ATTACHE_OK)
        goto done;
    manifest_format(&result, &b);
    if (!b.data || b.failed)
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    else
        *out = buf_detach(&b, outlen);
done:
    free(idx);
    free(drop);
    free(order);
    manifest_release(&all);
    manifest_release(&result);
    buf_release(&b);
    return rc;
}

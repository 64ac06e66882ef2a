/*
 * import.c: a batch's officers from a spreadsheet (CSV).
 *
 * HR keeps officers' lists in spreadsheets.  attache_import() reads one
 * saved as CSV the way Excel and LibreOffice write it (UTF-8 with or without
 * a byte-order mark, comma or semicolon, CRLF or LF, RFC 4180 quoting) with
 * libcsv, checks every row against what the data format allows, and only
 * when every row is right replaces the officers of one batch in a copy of
 * the data file.  The copy is then validated as a whole like any data file;
 * what that finds inside a new officer is reported at the spreadsheet's row.
 *
 * Line numbers: libcsv does not count lines, so the spreadsheet is fed to it
 * one byte at a time and the line a record starts on is noted when its first
 * byte goes in.  Spreadsheets are small; the cost does not matter.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <csv.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "country.h"
#include "data.h"
#include "error.h"
#include "text.h"
#include "util.h"
#include "xml.h"

#define DEFAULT_MAX_ERRORS 50
#define MAX_LANGS 16

/* ---- the columns ------------------------------------------------------- */

enum column {
    COL_ID, COL_STATUS, COL_HONORIFIC, COL_NAME, COL_COUNTRY, COL_MINISTRY, COL_POSITION,
    COL_DEPARTMENT, COL_DIVISION, COL_SUPERVISOR, COL_EMAIL, COL_PHOTO, NCOLUMNS
};

static const struct {
    const char *name;
    bool required;
} columns[NCOLUMNS] = {
    [COL_ID] = {"id", true},                 [COL_STATUS] = {"status", true},
    [COL_HONORIFIC] = {"honorific", false},  [COL_NAME] = {"name", true},
    [COL_COUNTRY] = {"country", true},       [COL_MINISTRY] = {"ministry", true},
    [COL_POSITION] = {"position", false},    [COL_DEPARTMENT] = {"department", true},
    [COL_DIVISION] = {"division", false},    [COL_SUPERVISOR] = {"supervisor", false},
    [COL_EMAIL] = {"email", false},          [COL_PHOTO] = {"photo", false},
};

#define COLUMN_LIST "id, status, honorific, name, name:LANG, country, ministry, position, " \
                    "department, division, supervisor, email, photo"

/* ---- reading the records ----------------------------------------------- */

struct record {
    unsigned long line;         /* the file's line the record starts on */
    char **cells;               /* NUL-terminated copies */
    size_t ncells;
};

struct sheet {
    struct record *records;
    size_t nrecords, cap;
    struct record cur;          /* the record being read */
    size_t cur_cap;
    unsigned long line;         /* the line of the byte being fed */
    bool in_record;
    bool failed;                /* out of memory */
};

static void on_cell(void *s, size_t len, void *ctx)
{
    struct sheet *sh = ctx;
    char **v, *copy;

    if (sh->failed)
        return;
    if (!(v = array_room(sh->cur.cells, sh->cur.ncells, &sh->cur_cap, sizeof *v, 16))) {
        sh->failed = true;
        return;
    }
    sh->cur.cells = v;
    copy = malloc(len + 1);
    if (!copy) {
        sh->failed = true;
        return;
    }
    if (len)
        memcpy(copy, s, len);
    copy[len] = '\0';
    sh->cur.cells[sh->cur.ncells++] = copy;
}

static void free_record(struct record *r)
{
    size_t i;

    for (i = 0; i < r->ncells; i++)
        free(r->cells[i]);
    free(r->cells);
    r->cells = NULL;
    r->ncells = 0;
}

static void on_record_end(int c, void *ctx)
{
    struct sheet *sh = ctx;
    struct record *v;

    (void)c;
    sh->in_record = false;
    if (sh->failed)
        return;
    if (!(v = array_room(sh->records, sh->nrecords, &sh->cap, sizeof *v, 64))) {
        sh->failed = true;
        return;
    }
    sh->records = v;
    sh->records[sh->nrecords++] = sh->cur;
    memset(&sh->cur, 0, sizeof sh->cur);
    sh->cur_cap = 0;
}

static void sheet_release(struct sheet *sh)
{
    size_t i;

    for (i = 0; i < sh->nrecords; i++)
        free_record(&sh->records[i]);
    free(sh->records);
    free_record(&sh->cur);
}

/* Comma or semicolon: whichever the header line has more of (comma on a tie). */
static unsigned char guess_delimiter(const char *p, const char *end)
{
    size_t commas = 0, semicolons = 0;
    bool quoted = false;

    for (; p < end && (quoted || (*p != '\n' && *p != '\r')); p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (!quoted && *p == ',')
            commas++;
        else if (!quoted && *p == ';')
            semicolons++;
    }
    return semicolons > commas ? ';' : ',';
}

/* The first line that is not UTF-8, for the message; 0 when all of it is. */
static unsigned long first_bad_line(const char *p, size_t size)
{
    const char *end = p + size, *line = p;
    unsigned long n = 1;

    for (; p < end; p++)
        if (*p == '\n') {
            if (!text_valid(line, (size_t)(p - line)))
                return n;
            n++;
            line = p + 1;
        }
    return text_valid(line, (size_t)(end - line)) ? 0 : n;
}

/* Parse the whole spreadsheet into sh.  The bytes must be UTF-8 already. */
static attache_status read_sheet(const char *p, size_t size, const char *name, struct sheet *sh,
                                 attache_error *err)
{
    struct csv_parser csv;
    const char *end = p + size;
    attache_status rc = ATTACHE_OK;

    if (csv_init(&csv, 0) != 0)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    csv_set_delim(&csv, guess_delimiter(p, end));
    sh->line = 1;
    for (; p < end && !sh->failed; p++) {
        if (!sh->in_record && *p != '\n' && *p != '\r') {
            sh->in_record = true;
            sh->cur.line = sh->line;
        }
        if (csv_parse(&csv, p, 1, on_cell, on_record_end, sh) != 1) {
            rc = err_set(err, ATTACHE_ERR_DATA, name, sh->line, "cannot be read as CSV: %s",
                         csv_strerror(csv_error(&csv)));
            break;
        }
        if (*p == '\n')
            sh->line++;
    }
    if (rc == ATTACHE_OK && csv_fini(&csv, on_cell, on_record_end, sh) != 0)
        rc = err_set(err, ATTACHE_ERR_DATA, name, sh->line, "cannot be read as CSV: %s",
                     csv_strerror(csv_error(&csv)));
    if (rc == ATTACHE_OK && sh->failed)
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    csv_free(&csv);
    return rc;
}

/* ---- checking the rows ------------------------------------------------- */

struct lang_column {
    char lang[16];
    size_t index;
};

struct importer {
    const attache_import_options *o;
    const attache_data *data;
    long batch;                       /* the target batch's index */
    attache_error *err;
    unsigned max_errors, nerrors;
    bool stop;
    /* where each column is in a record, or -1 */
    long at[NCOLUMNS];
    struct lang_column langs[MAX_LANGS];
    size_t nlangs;
    size_t ncolumns;                  /* cells in the header */
    /* new officers' lines in the output, for placing its errors */
    unsigned long *officer_lines;
    const struct record *const *rows;
    size_t nrows;
    unsigned long officers_end;       /* the last line of the last new officer */
};

static void report(struct importer *im, const char *file, unsigned long line, const char *fmt, ...)
    ATTACHE_PRINTF(4, 5);

/* Pass one error on to the caller; the first one also fills err. */
static void report(struct importer *im, const char *file, unsigned long line, const char *fmt, ...)
{
    attache_error e;
    char msg[sizeof e.message];
    va_list ap;

    if (im->stop)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    attache_error_clear(&e);
    err_set(&e, ATTACHE_ERR_DATA, file, line, "%s", msg);
    if (im->nerrors == 0 && im->err)
        *im->err = e;
    if (im->o->on_error)
        im->o->on_error(im->o->on_error_ctx, &e);
    if (++im->nerrors >= im->max_errors)
        im->stop = true;
}

static void trim_in_place(char *s)
{
    size_t n = strlen(s), i = 0;

    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    while (s[i] && isspace((unsigned char)s[i]))
        i++;
    memmove(s, s + i, n - i + 1);
}


/* Read the header row: which column is where. */
static void read_header(struct importer *im, struct record *h)
{
    const char *file = im->o->csv_name;
    char clip[80], clip2[40];
    size_t i, k;

    for (k = 0; k < NCOLUMNS; k++)
        im->at[k] = -1;
    im->ncolumns = h->ncells;
    for (i = 0; i < h->ncells; i++) {
        char *c = h->cells[i];

        trim_in_place(c);
        for (k = 0; c[k]; k++)
            c[k] = (char)tolower((unsigned char)c[k]);
        if (!*c) {
            report(im, file, h->line, "column %zu has no name in the header row (the columns "
                   "are " COLUMN_LIST ")", i + 1);
            continue;
        }
        if (!strncmp(c, "name:", 5)) {
            const char *lang = c + 5;

            if (!text_is_language_tag(lang) || strlen(lang) >= sizeof im->langs[0].lang) {
                report(im, file, h->line, "column '%s': '%s' is not a language code such as km",
                       text_clip(clip, sizeof clip, c, 40), text_clip(clip2, sizeof clip2, lang, 20));
                continue;
            }
            for (k = 0; k < im->nlangs; k++)
                if (!strcmp(im->langs[k].lang, lang))
                    break;
            if (k < im->nlangs) {
                report(im, file, h->line, "column '%s' is in the header twice", c);
                continue;
            }
            if (im->nlangs == MAX_LANGS) {
                report(im, file, h->line, "column '%s': at most %d name:LANG columns", c, MAX_LANGS);
                continue;
            }
            snprintf(im->langs[im->nlangs].lang, sizeof im->langs[0].lang, "%s", lang);
            im->langs[im->nlangs++].index = i;
            continue;
        }
        for (k = 0; k < NCOLUMNS; k++)
            if (!strcmp(c, columns[k].name))
                break;
        if (k == NCOLUMNS) {
            report(im, file, h->line, "column '%s' is not an officer field (the columns are "
                   COLUMN_LIST ")", text_clip(clip, sizeof clip, c, 40));
            continue;
        }
        if (im->at[k] >= 0) {
            report(im, file, h->line, "column '%s' is in the header twice", c);
            continue;
        }
        im->at[k] = (long)i;
    }
    for (k = 0; k < NCOLUMNS; k++)
        if (columns[k].required && im->at[k] < 0)
            report(im, file, h->line, "column '%s' is missing: every officer needs one",
                   columns[k].name);
}

/* The cell of column k in record r, trimmed; "" when the record is short. */
static const char *cell(const struct importer *im, const struct record *r, enum column k)
{
    long i = im->at[k];

    return i >= 0 && (size_t)i < r->ncells ? r->cells[i] : "";
}

static bool matches_id(const char *s)
{
    size_t n = 0;

    if (!isalnum((unsigned char)*s))
        return false;
    for (; *s; s++, n++)
        if (!(isalnum((unsigned char)*s) || *s == '.' || *s == '_' || *s == '-'))
            return false;
    return n <= 64;
}

/* An address as the data format takes it: something@host.tld, no spaces. */
static bool matches_email(const char *s)
{
    const char *at = strchr(s, '@'), *p;

    if (!at || at == s || strchr(at + 1, '@') || strlen(s) > 254)
        return false;
    for (p = s; *p; p++)
        if (isspace((unsigned char)*p) || (unsigned char)*p < 0x20)
            return false;
    p = strchr(at + 1, '.');
    return p && p > at + 1 && p[1];
}

/* A relative path to a .png or .jpg file, as the data format takes it. */
static bool matches_image_path(const char *s)
{
    const char *dot = strrchr(s, '.'), *seg = s, *p;

    if (!*s || strlen(s) > 255 || !dot)
        return false;
    if (strcasecmp(dot, ".png") && strcasecmp(dot, ".jpg") && strcasecmp(dot, ".jpeg"))
        return false;
    for (p = s;; p++) {
        if (*p == '/' || !*p) {
            if (p == seg || !(isalnum((unsigned char)*seg) || *seg == '_'))
                return false;
            if (!*p)
                return true;
            seg = p + 1;
        } else if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-'))
            return false;
    }
}

static bool is_status(const char *s)
{
    return !strcmp(s, "selected") || !strcmp(s, "attached") || !strcmp(s, "graduated") ||
           !strcmp(s, "withdrawn");
}

/* Check one text cell: length and characters a document has no place for. */
static void check_text(struct importer *im, const struct record *r, const char *column,
                       const char *text, size_t max_chars)
{
    uint32_t bad;

    if (text_length(text) > max_chars)
        report(im, im->o->csv_name, r->line, "column '%s': is %zu characters long; at most %zu",
               column, text_length(text), max_chars);
    else if ((bad = text_forbidden_char(text)))
        report(im, im->o->csv_name, r->line, "column '%s': has the invisible or control "
               "character U+%04X", column, (unsigned)bad);
}

/*
 * Check every cell of one row.  Cells are trimmed in place, and country
 * codes upper-cased, so that building the officer needs no second look.
 */
static void check_row(struct importer *im, struct record *r, const struct record *const *seen,
                      size_t nseen)
{
    const char *file = im->o->csv_name;
    char clip[80], clip2[80];
    size_t i, k;
    long other;

    for (i = 0; i < r->ncells; i++)
        trim_in_place(r->cells[i]);
    for (i = im->ncolumns; i < r->ncells; i++)
        if (r->cells[i][0])
            report(im, file, r->line, "cell %zu, '%s', has no column: the header has %zu", i + 1,
                   text_clip(clip, sizeof clip, r->cells[i], 30), im->ncolumns);
    for (k = 0; k < NCOLUMNS; k++)
        if (columns[k].required && im->at[k] >= 0 && !cell(im, r, (enum column)k)[0])
            report(im, file, r->line, "column '%s': is empty; every officer needs one",
                   columns[k].name);

    const char *id = cell(im, r, COL_ID);
    if (*id && !matches_id(id))
        report(im, file, r->line, "column 'id': '%s' is not an id (1 to 64 letters, digits, "
               "'.', '_' or '-', starting with a letter or digit)",
               text_clip(clip, sizeof clip, id, 40));
    else if (*id) {
        for (i = 0; i < nseen; i++)
            if (!strcmp(cell(im, seen[i], COL_ID), id)) {
                report(im, file, r->line, "column 'id': '%s' is also the id on line %lu", id,
                       seen[i]->line);
                break;
            }
        other = data_find_officer(im->data, id);
        if (other >= 0 && (long)data_officer(im->data, (size_t)other)->batch != im->batch)
            report(im, file, r->line, "column 'id': '%s' is already an officer of batch '%s' "
                   "in %s", id,
                   attache_data_batch(im->data, data_officer(im->data, (size_t)other)->batch)->id,
                   im->o->data_name);
    }

    const char *status = cell(im, r, COL_STATUS);
    if (*status && !is_status(status))
        report(im, file, r->line, "column 'status': '%s' is not selected, attached, graduated "
               "or withdrawn", text_clip(clip, sizeof clip, status, 30));

    if (im->at[COL_COUNTRY] >= 0) {
        char *country = r->cells[im->at[COL_COUNTRY]];

        if ((size_t)im->at[COL_COUNTRY] < r->ncells && *country) {
            if (strlen(country) == 2) {
                country[0] = (char)toupper((unsigned char)country[0]);
                country[1] = (char)toupper((unsigned char)country[1]);
            }
            if (!country_name(country))
                report(im, file, r->line, "column 'country': '%s' is not a two-letter country "
                       "code such as KH", text_clip(clip, sizeof clip, country, 30));
        }
    }

    const char *email = cell(im, r, COL_EMAIL);
    if (*email && !matches_email(email))
        report(im, file, r->line, "column 'email': '%s' is not an e-mail address",
               text_clip(clip, sizeof clip, email, 60));

    const char *photo = cell(im, r, COL_PHOTO);
    if (*photo && !matches_image_path(photo))
        report(im, file, r->line, "column 'photo': '%s' is not a relative path to a .png or "
               ".jpg file, without '..'",
               text_clip(clip, sizeof clip, photo, 60));

    static const enum column texts[] = {COL_HONORIFIC, COL_MINISTRY, COL_POSITION,
                                        COL_DEPARTMENT, COL_DIVISION, COL_SUPERVISOR};
    check_text(im, r, "name", cell(im, r, COL_NAME), 200);
    for (k = 0; k < ARRAY_SIZE(texts); k++)
        check_text(im, r, columns[texts[k]].name, cell(im, r, texts[k]), 2000);
    for (k = 0; k < im->nlangs; k++)
        if (im->langs[k].index < r->ncells) {
            snprintf(clip2, sizeof clip2, "name:%s", im->langs[k].lang);
            check_text(im, r, clip2, r->cells[im->langs[k].index], 200);
        }
}

/* ---- making the officers ----------------------------------------------- */

static xmlNodePtr add_indent(xmlNodePtr parent, const char *indent)
{
    return xmlAddChild(parent, xmlNewText(BAD_CAST indent));
}

/* One cell as a child element, when it is not empty. */
static bool add_text_child(xmlNodePtr parent, const char *indent, const char *name,
                           const char *text)
{
    char *norm;
    xmlNodePtr n;

    if (!*text)
        return true;
    norm = text_normalize(text);
    if (!norm || !add_indent(parent, indent))
        goto fail;
    n = xmlNewTextChild(parent, NULL, BAD_CAST name, BAD_CAST norm);
    free(norm);
    return n != NULL;
fail:
    free(norm);
    return false;
}

/* The <officer> element of one row; `indent` is the line break and spaces before it. */
static xmlNodePtr make_officer(const struct importer *im, const struct record *r,
                               const char *indent)
{
    char inner[128], inner2[128];
    xmlNodePtr off, n, placement;
    const char *v;
    size_t k;
    bool ok = true;

    snprintf(inner, sizeof inner, "%s  ", indent);
    snprintf(inner2, sizeof inner2, "%s    ", indent);
    off = xmlNewNode(NULL, BAD_CAST "officer");
    if (!off)
        return NULL;
    ok = xmlNewProp(off, BAD_CAST "id", BAD_CAST cell(im, r, COL_ID)) &&
         xmlNewProp(off, BAD_CAST "status", BAD_CAST cell(im, r, COL_STATUS));
    ok = ok && add_text_child(off, inner, "name", cell(im, r, COL_NAME));
    for (k = 0; ok && k < im->nlangs; k++) {
        if (im->langs[k].index >= r->ncells || !r->cells[im->langs[k].index][0])
            continue;
        ok = add_text_child(off, inner, "name", r->cells[im->langs[k].index]) &&
             xmlNewProp(off->last, BAD_CAST "lang", BAD_CAST im->langs[k].lang);
    }
    ok = ok && add_text_child(off, inner, "honorific", cell(im, r, COL_HONORIFIC));
    if (ok && add_indent(off, inner) && (n = xmlNewChild(off, NULL, BAD_CAST "country", NULL)))
        ok = xmlNewProp(n, BAD_CAST "code", BAD_CAST cell(im, r, COL_COUNTRY)) != NULL;
    else
        ok = false;
    ok = ok && add_text_child(off, inner, "ministry", cell(im, r, COL_MINISTRY));
    ok = ok && add_text_child(off, inner, "position", cell(im, r, COL_POSITION));
    if (ok && add_indent(off, inner) &&
        (placement = xmlNewChild(off, NULL, BAD_CAST "placement", NULL))) {
        char *dept = text_normalize(cell(im, r, COL_DEPARTMENT));
        char *div = text_normalize(cell(im, r, COL_DIVISION));

        ok = dept && div && xmlNewProp(placement, BAD_CAST "department", BAD_CAST dept);
        if (ok && *div)
            ok = xmlNewProp(placement, BAD_CAST "division", BAD_CAST div) != NULL;
        free(dept);
        free(div);
        if (ok && (v = cell(im, r, COL_SUPERVISOR))[0])
            ok = add_text_child(placement, inner2, "supervisor", v) &&
                 add_indent(placement, inner);
    } else
        ok = false;
    ok = ok && add_text_child(off, inner, "email", cell(im, r, COL_EMAIL));
    if (ok && (v = cell(im, r, COL_PHOTO))[0]) {
        ok = add_indent(off, inner) && (n = xmlNewChild(off, NULL, BAD_CAST "photo", NULL)) &&
             xmlNewProp(n, BAD_CAST "src", BAD_CAST v);
    }
    ok = ok && add_indent(off, indent);
    if (!ok) {
        xmlFreeNode(off);
        return NULL;
    }
    return off;
}

static bool is_element(xmlNodePtr n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

/* The <batch> element with this id. */
static xmlNodePtr find_batch(xmlDocPtr doc, const char *id)
{
    xmlNodePtr prog, b;

    for (prog = xmlDocGetRootElement(doc)->children; prog; prog = prog->next) {
        if (!is_element(prog, "programme"))
            continue;
        for (b = prog->children; b; b = b->next)
            if (is_element(b, "batch")) {
                xmlChar *bid = xmlGetNoNsProp(b, BAD_CAST "id");
                bool hit = bid && !strcmp((const char *)bid, id);

                xmlFree(bid);
                if (hit)
                    return b;
            }
    }
    return NULL;
}

/* The white space a child of `n` is indented with ("\n      "). */
static void indent_of(xmlNodePtr batch, char *out, size_t size)
{
    xmlNodePtr c;
    size_t i;

    for (c = batch->children; c; c = c->next)
        if (c->type == XML_TEXT_NODE && c->next && c->next->type == XML_ELEMENT_NODE) {
            const char *t = (const char *)c->content;
            const char *nl = strrchr(t, '\n');

            for (i = 0; t[i] && isspace((unsigned char)t[i]); i++)
                ;
            if (!t[i] && nl && strlen(nl) < size) {
                snprintf(out, size, "%s", nl);
                return;
            }
        }
    snprintf(out, size, "\n      ");
}

/*
 * Replace the officers of `batch` in the document by one per row: each old
 * officer goes with the white space before it, the new ones take its place
 * after the last element that is not an officer.
 */
static bool replace_officers(const struct importer *im, xmlNodePtr batch,
                             const struct record *const *rows, size_t nrows)
{
    char indent[64];
    xmlNodePtr c, next, after = NULL;
    size_t i;

    indent_of(batch, indent, sizeof indent);
    for (c = batch->children; c; c = next) {
        next = c->next;
        if (is_element(c, "officer")) {
            xmlNodePtr prev = c->prev;

            if (prev && prev->type == XML_TEXT_NODE && xmlIsBlankNode(prev)) {
                xmlUnlinkNode(prev);
                xmlFreeNode(prev);
            }
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        } else if (c->type == XML_ELEMENT_NODE)
            after = c;
    }
    if (!after)
        return false;
    for (i = 0; i < nrows; i++) {
        xmlNodePtr ws = xmlNewText(BAD_CAST indent), off = make_officer(im, rows[i], indent);

        if (!ws || !off) {
            xmlFreeNode(ws);
            xmlFreeNode(off);
            return false;
        }
        after = xmlAddNextSibling(after, ws);
        after = xmlAddNextSibling(after, off);
    }
    return true;
}

/* ---- validating the result --------------------------------------------- */

static unsigned long last_line_in(xmlNodePtr n)
{
    unsigned long best = (unsigned long)xmlGetLineNo(n);
    xmlNodePtr c;

    for (c = n->children; c; c = c->next) {
        unsigned long l = last_line_in(c);
        if (l > best)
            best = l;
    }
    return best;
}

/* Note the lines the new officers start on in `out`, to place its errors. */
static bool locate_officers(struct importer *im, const char *out, size_t len)
{
    /* attache's own output: libxml2 has nothing to say, and must not say it elsewhere */
    xmlDocPtr doc = xml_read((const unsigned char *)out, len, NULL, XML_PARSE_BIG_LINES,
                             xml_ignore_error, NULL);
    xmlNodePtr b, c;
    size_t i = 0;

    if (!doc)
        return false;
    b = find_batch(doc, im->o->batch_id);
    for (c = b ? b->children : NULL; c && i < im->nrows; c = c->next)
        if (is_element(c, "officer")) {
            im->officer_lines[i++] = (unsigned long)xmlGetLineNo(c);
            im->officers_end = last_line_in(c) + 1;
        }
    xmlFreeDoc(doc);
    return i == im->nrows;
}

/* An error found in the output: at the spreadsheet's row when it is about a new officer. */
static void on_output_error(void *ctx, const attache_error *e)
{
    struct importer *im = ctx;
    size_t i;

    if (e->line && im->nrows && e->line >= im->officer_lines[0] && e->line <= im->officers_end) {
        for (i = im->nrows; i-- > 0;)
            if (e->line >= im->officer_lines[i]) {
                report(im, im->o->csv_name, im->rows[i]->line, "%s", e->message);
                return;
            }
    }
    report(im, e->file, e->line, "%s", e->message);
}

/* ---- the whole import ---------------------------------------------------- */

attache_status attache_import(const unsigned char *csv, size_t csv_size,
                              const unsigned char *data_bytes, size_t data_size,
                              const attache_import_options *o, char **out, size_t *out_size,
                              attache_error *err)
{
    struct importer im = {0};
    struct sheet sh = {0};
    attache_data_options dopts = {0};
    attache_error load_err;
    attache_data *data = NULL, *check = NULL;
    const struct record **rows = NULL;
    xmlDocPtr doc = NULL;
    xmlChar *text = NULL;
    int text_len = 0;
    const char *p = (const char *)csv;
    size_t size = csv_size, i, nrows = 0;
    unsigned long bad;
    attache_status rc = ATTACHE_OK;

    *out = NULL;
    *out_size = 0;
    im.o = o;
    im.err = err;
    im.max_errors = o->max_errors ? o->max_errors : DEFAULT_MAX_ERRORS;

    /* the data first: the officers go into a file that is itself right */
    dopts.name = o->data_name;
    dopts.base_dir = o->base_dir;
    dopts.check_images = o->base_dir != NULL;
    dopts.max_errors = o->max_errors;
    dopts.on_error = o->on_error;
    dopts.on_error_ctx = o->on_error_ctx;
    data = attache_data_load(data_bytes, data_size, &dopts, err);
    if (!data)
        return err && err->code ? err->code : ATTACHE_ERR_DATA;
    im.data = data;
    im.batch = data_find_batch(data, o->batch_id);
    if (im.batch < 0) {
        char clip[80];
        rc = err_set(err, ATTACHE_ERR_USAGE, o->data_name, 0, "has no batch '%s'",
                     text_clip(clip, sizeof clip, o->batch_id, 64));
        goto done;
    }

    if (size >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) {
        p += 3;
        size -= 3;
    }
    if ((bad = first_bad_line(p, size))) {
        report(&im, o->csv_name, bad, "is not UTF-8 text: save the spreadsheet again as "
               "\"CSV UTF-8\" (Excel) or as Text CSV with the character set Unicode "
               "(UTF-8) (LibreOffice)");
        rc = ATTACHE_ERR_DATA;
        goto done;
    }
    if (memchr(p, '\0', size)) {
        report(&im, o->csv_name, 0, "has NUL bytes: it is not a CSV text file");
        rc = ATTACHE_ERR_DATA;
        goto done;
    }
    if ((rc = read_sheet(p, size, o->csv_name, &sh, err)) != ATTACHE_OK)
        goto done;
    if (sh.nrecords == 0) {
        report(&im, o->csv_name, 1, "is empty: it needs a header row naming the columns ("
               COLUMN_LIST ")");
        rc = ATTACHE_ERR_DATA;
        goto done;
    }

    read_header(&im, &sh.records[0]);
    rows = calloc(sh.nrecords, sizeof *rows);
    if (!rows) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    if (!im.nerrors)
        for (i = 1; i < sh.nrecords && !im.stop; i++) {
            struct record *r = &sh.records[i];
            size_t k;

            for (k = 0; k < r->ncells; k++)
                if (r->cells[k][strspn(r->cells[k], " \t\r\n")])
                    break;
            if (k == r->ncells)
                continue;          /* an empty row, as spreadsheets leave at the end */
            check_row(&im, r, rows, nrows);
            rows[nrows++] = r;
        }
    if (!im.nerrors && !nrows) {
        report(&im, o->csv_name, 0, "has no officers: only a header row");
        rc = ATTACHE_ERR_DATA;
        goto done;
    }
    if (im.nerrors) {
        rc = ATTACHE_ERR_DATA;
        goto done;
    }

    /* the rows into a copy of the data */
    doc = xml_read(data_bytes, data_size, NULL, XML_PARSE_BIG_LINES, xml_ignore_error, NULL);
    if (!doc || !find_batch(doc, o->batch_id) ||
        !replace_officers(&im, find_batch(doc, o->batch_id), rows, nrows)) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    xmlDocDumpMemoryEnc(doc, &text, &text_len, "UTF-8");
    im.officer_lines = calloc(nrows, sizeof *im.officer_lines);
    im.rows = rows;
    im.nrows = nrows;
    if (!text || !im.officer_lines || !locate_officers(&im, (const char *)text, (size_t)text_len)) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        goto done;
    }

    /* and the copy checked as a whole */
    dopts.name = o->output_name;
    dopts.on_error = on_output_error;
    dopts.on_error_ctx = &im;
    attache_error_clear(&load_err);
    check = attache_data_load(text, (size_t)text_len, &dopts, &load_err);
    if (!check && load_err.code == ATTACHE_ERR_INTERNAL) {
        *err = load_err;            /* memory ran out: not the spreadsheet's fault */
        rc = ATTACHE_ERR_INTERNAL;
        goto done;
    }
    if (!check) {
        if (!im.nerrors)
            report(&im, o->output_name, 0, "is not valid data");
        rc = ATTACHE_ERR_DATA;
        goto done;
    }
    *out = malloc((size_t)text_len + 1);
    if (!*out) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    memcpy(*out, text, (size_t)text_len + 1);
    *out_size = (size_t)text_len;
done:
    attache_data_free(check);
    free(im.officer_lines);
    xmlFree(text);
    xmlFreeDoc(doc);
    free(rows);
    sheet_release(&sh);
    attache_data_free(data);
    return rc;
}

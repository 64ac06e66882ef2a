/* Unit tests of src/manifest.c: the manifest's CSV, written and read back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "manifest.h"

#define HEADER "document_id,kind,batch_id,officer_id,name,file,sha256,qr\n"

static attache_status parse(struct manifest *m, const char *text, attache_error *err)
{
    attache_error_clear(err);
    return manifest_parse(m, "m.csv", (const unsigned char *)text, strlen(text), err);
}

/* Whatever a cell holds comes back as it went in; formula-like cells are
 * written with a leading single quote, as spreadsheets expect. */
static void test_round_trip(void)
{
    static const char *const names[] = {
        "Chhy Ratha", "=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tTab", "'=quoted",
        "''@two", "'plain", "a,b", "say \"hi\"", "two\nlines", "", "Nguy\xe1\xbb\x85n"
    };
    struct manifest m = {0}, back = {0};
    struct buf b = {0};
    attache_error err;
    size_t i;

    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        char id[32];
        const char *cells[MANIFEST_COLUMNS] = {id, "certificate", "b", "o", names[i],
                                               "b/o.pdf", "00", "ATT1:X"};
        snprintf(id, sizeof id, "C-%04zu", i);
        CHECK_INT(manifest_add(&m, cells, &err), ATTACHE_OK);
    }
    manifest_format(&m, &b);
    CHECK(!b.failed);
    buf_add(&b, "", 1);
    CHECK(strstr(b.data, ",'=HYPERLINK(\"\"x\"\"),") == NULL);   /* quoted: it has a quote */
    CHECK(strstr(b.data, ",\"'=HYPERLINK(\"\"x\"\")\",") != NULL);
    CHECK(strstr(b.data, ",'+1,") != NULL);
    CHECK(strstr(b.data, ",'-2,") != NULL);
    CHECK(strstr(b.data, ",'@SUM(A1),") != NULL);
    CHECK(strstr(b.data, ",'\tTab,") != NULL);
    CHECK(strstr(b.data, ",''=quoted,") != NULL);
    CHECK(strstr(b.data, ",'plain,") != NULL);               /* not formula-like: as it is */
    CHECK_INT(parse(&back, b.data, &err), ATTACHE_OK);
    CHECK_INT(back.n, m.n);
    for (i = 0; i < back.n && i < m.n; i++)
        CHECK_STR(back.rows[i].col[MCOL_NAME], names[i]);
    buf_release(&b);
    manifest_release(&m);
    manifest_release(&back);
}

static void test_malformed_rows(void)
{
    static const char *const bad[] = {
        /* text after a closing quote would start a second row */
        HEADER "C-1,certificate,b,o,N,b/o.pdf,00,\"Q\"L-2,letter,b,o,N,b/o-l.pdf,11,R\n",
        HEADER "C-1,certificate,b,o,\"N\"x,b/o.pdf,00,Q\n",
        HEADER "C-1,certificate,b,o,N\"x,b/o.pdf,00,Q\n",     /* a quote inside a bare cell */
        HEADER "C-1,certificate,b,o,N,b/o.pdf,00\n",           /* seven cells */
        HEADER "C-1,certificate,b,o,N,b/o.pdf,00,Q,extra\n",   /* nine */
        HEADER "C-1,certificate,b,o,\"N,b/o.pdf,00,Q\n",       /* unterminated quote */
        "document_id,kind\nC-1,certificate\n",
    };
    struct manifest m = {0};
    attache_error err;
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(parse(&m, bad[i], &err), ATTACHE_ERR_DATA);
        manifest_release(&m);
    }
    CHECK_INT(parse(&m, bad[0], &err), ATTACHE_ERR_DATA);
    CHECK_INT(err.line, 2);
    manifest_release(&m);
    CHECK_INT(parse(&m, HEADER, &err), ATTACHE_OK);
    CHECK_INT(m.n, 0);
    CHECK_INT(parse(&m, HEADER "C-1,certificate,b,o,\"two\r\nlines\",b/o.pdf,00,Q\r\n"
                    "C-2,certificate,b,p,N,b/p.pdf,00,Q", &err), ATTACHE_OK);
    CHECK_INT(m.n, 2);
    CHECK_STR(m.rows[0].col[MCOL_NAME], "two\r\nlines");
    CHECK_INT(m.rows[1].line, 4);
    manifest_release(&m);
}

static bool not_x(const struct manifest_row *row, void *ctx)
{
    return strcmp(row->col[MCOL_FILE], "b/x.pdf") != 0;
}

/* A document listed twice is found wherever the rows are. */
static void test_duplicates_apart(void)
{
    struct manifest m = {0};
    attache_error err;

    CHECK_INT(parse(&m, HEADER "C-1,certificate,b,o,N,b/o.pdf,00,Q\n"
                    "L-2,letter,b,o,N,b/o-l.pdf,00,Q\n"
                    "C-1,certificate,b,o,N,b/x.pdf,00,Q\n", &err), ATTACHE_OK);
    CHECK_INT(manifest_check_unique(&m, "m.csv", &err), ATTACHE_ERR_DATA);
    CHECK_STR(err.message, "document 'C-1' is listed twice (also on line 2)");
    CHECK_INT(err.line, 4);
    manifest_filter(&m, not_x, NULL);
    CHECK_INT(m.n, 2);
    CHECK_INT(manifest_check_unique(&m, "m.csv", &err), ATTACHE_OK);
    manifest_release(&m);
}

/* The index finds rows by a column's value, and rows added once it is told of them. */
static void test_index(void)
{
    struct manifest m = {0};
    struct manifest_index ix;
    attache_error err;
    const char *cells[MANIFEST_COLUMNS] = {"C-9", "certificate", "b", "o9", "N", "b/o9.pdf", "00", "Q"};
    char file[32];
    size_t i;

    CHECK_INT(parse(&m, HEADER "C-1,certificate,b,o,N,b/o.pdf,00,Q\n"
                    "L-2,letter,b,o,N,b/o-l.pdf,00,Q\n", &err), ATTACHE_OK);
    CHECK_INT(manifest_index_init(&ix, &m, MCOL_FILE, 1, &err), ATTACHE_OK);
    CHECK_INT(manifest_index_find(&ix, "b/o-l.pdf"), 1);
    CHECK_INT(manifest_index_find(&ix, "b/o.pdf"), 0);
    CHECK_INT(manifest_index_find(&ix, "b/o9.pdf"), -1);
    CHECK_INT(manifest_add(&m, cells, &err), ATTACHE_OK);
    CHECK(manifest_index_add(&ix, 2));
    CHECK_INT(manifest_index_find(&ix, "b/o9.pdf"), 2);
    CHECK(!manifest_index_add(&ix, 2));            /* no room left */
    manifest_index_release(&ix);

    /* many rows, so that probes wrap and collide */
    for (i = 0; i < 5000; i++) {
        snprintf(file, sizeof file, "b/%zu.pdf", i);
        cells[MCOL_FILE] = file;
        CHECK_INT(manifest_add(&m, cells, &err), ATTACHE_OK);
    }
    CHECK_INT(manifest_index_init(&ix, &m, MCOL_DOCUMENT_ID, 0, &err), ATTACHE_OK);
    CHECK_INT(manifest_index_find(&ix, "C-9"), 2);   /* the first row with it */
    manifest_index_release(&ix);
    CHECK_INT(manifest_index_init(&ix, &m, MCOL_FILE, 0, &err), ATTACHE_OK);
    for (i = 0; i < 5000; i += 97) {
        snprintf(file, sizeof file, "b/%zu.pdf", i);
        CHECK_INT(manifest_index_find(&ix, file), (long)(i + 3));
    }
    CHECK_INT(manifest_index_find(&ix, "b/5000.pdf"), -1);
    manifest_index_release(&ix);
    manifest_release(&m);
}

int main(void)
{
    test_round_trip();
    test_malformed_rows();
    test_duplicates_apart();
    test_index();
    return check_done();
}

/*
 * test_pdf_read.c: reading the tokens back from PDFs (pdf_read_tokens), as
 * `attache verify FILE.pdf` does, from files made here byte by byte: the
 * shapes attache writes (a cross-reference table, as attache 0.2 wrote, and
 * the same packed by pdf_pack with object streams and a cross-reference
 * stream), and each way a file can leave them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libdeflate.h>

#include "check.h"
#include "fixture.h"
#include "pdf.h"
#include "pdf_private.h"
#include "util.h"

static char dir[] = "/tmp/attache-pdfread-XXXXXX";

/*
 * A PDF whose info dictionary (object 3) is `info`, as attache lays one
 * out: header, objects, the cross-reference table from object 0, the
 * trailer naming /Info, startxref.  `trailer` replaces the trailer's
 * dictionary when given; `entry` the info object's cross-reference entry.
 */
static void make_pdf_with(struct buf *b, const char *info, const char *trailer, const char *entry,
                          int more)
{
    size_t off[4 + 400], xref;
    int i;

    buf_reset(b);
    buf_adds(b, "%PDF-1.4\n");
    off[1] = b->len;
    buf_adds(b, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    off[2] = b->len;
    buf_adds(b, "2 0 obj\n<< /Type /Pages /Kids [ ] /Count 0 >>\nendobj\n");
    off[3] = b->len;
    buf_addf(b, "3 0 obj\n%s\nendobj\n", info);
    for (i = 4; i < 4 + more; i++) {          /* objects no one refers to */
        off[i] = b->len;
        buf_addf(b, "%d 0 obj\n<< /N %d >>\nendobj\n", i, i);
    }
    xref = b->len;
    buf_addf(b, "xref\n0 %d\n0000000000 65535 f\r\n", 4 + more);
    for (i = 1; i < 4 + more; i++) {
        if (i == 3 && entry)
            buf_adds(b, entry);
        else
            buf_addf(b, "%010zu 00000 n\r\n", off[i]);
    }
    buf_addf(b, "trailer\n%s\nstartxref\n%zu\n%%%%EOF\n",
             trailer ? trailer : "<< /Size 4 /Root 1 0 R /Info 3 0 R >>", xref);
}

static void make_pdf(struct buf *b, const char *info, const char *trailer, const char *entry)
{
    make_pdf_with(b, info, trailer, entry, 0);
}

/* `b` packed by pdf_pack, in place: what attache writes since 0.3. */
static void pack(struct buf *b)
{
    struct libdeflate_compressor *z = libdeflate_alloc_compressor(2);
    struct buf packed = {0};

    CHECK(z && pdf_pack(b->data, b->len, z, &packed) == 0);
    buf_reset(b);
    buf_add(b, packed.data, packed.len);
    buf_release(&packed);
    libdeflate_free_compressor(z);
}

/* `data` as the file `name` in the test's folder: its path (until the next call). */
static const char *write_bytes(const char *name, const void *data, size_t n)
{
    static char path[256];

    snprintf(path, sizeof path, "%s/%s", dir, name);
    CHECK(fixture_write(path, data, n));
    return path;
}

/* Read `bytes` back: the status, and the error's message or the tokens joined by ' '. */
static attache_status read_back(const struct buf *b, char *out, size_t size)
{
    attache_error err;
    char **tokens;
    size_t n, i;
    attache_status rc;

    rc = pdf_read_tokens(write_bytes("t.pdf", b->data, b->len), &tokens, &n, &err);
    out[0] = '\0';
    if (rc != ATTACHE_OK) {
        snprintf(out, size, "%s", err.message);
        CHECK(tokens == NULL && n == 0);
        return rc;
    }
    for (i = 0; i < n; i++)
        snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? " " : "", tokens[i]);
    pdf_tokens_free(tokens, n);
    return rc;
}

#define NOT_OURS "not a PDF as attache wrote it (saved again by another program?): "

static void test_info_dictionaries(void)
{
    static const struct {
        const char *info;
        attache_status rc;
        const char *want;
    } cases[] = {
        {"<< /Producer (attache) /AttacheTokens [ (ATT1:AB) (ATT1:CD) ] >>", ATTACHE_OK,
         "ATT1:AB ATT1:CD"},
        {"<< /AttacheTokens [(ATT1:AB)] >>", ATTACHE_OK, "ATT1:AB"},
        {"<< /AttacheTokens [ ] >>", ATTACHE_OK, ""},
        {"<< /Producer (attache) >>", ATTACHE_OK, ""},
        /* only the top level counts, and strings are not keys */
        {"<< /Title (/AttacheTokens [(ATT1:XX)]) >>", ATTACHE_OK, ""},
        {"<< /Sub << /AttacheTokens [(ATT1:XX)] >> >>", ATTACHE_OK, ""},
        {"<< /Title (a \\) >> endobj ( nested ) ) /AttacheTokens [(ATT1:AB)] >>", ATTACHE_OK,
         "ATT1:AB"},
        {"<< /ID <4142>> /AttacheTokens [(ATT1:AB)] >>", ATTACHE_OK, "ATT1:AB"},
        {"<< /AttacheTokensX [(ATT1:XX)] >>", ATTACHE_OK, ""},
        /* the first of two keys */
        {"<< /AttacheTokens [(ATT1:AB)] /AttacheTokens [(ATT1:CD)] >>", ATTACHE_OK, "ATT1:AB"},
        /* not tokens */
        {"<< /AttacheTokens (ATT1:AB) >>", ATTACHE_ERR_DATA, "its /AttacheTokens is not an array"},
        {"<< /AttacheTokens >>", ATTACHE_ERR_DATA, "its /AttacheTokens is not an array"},
        {"<< /AttacheTokens [(ATT1 AB)] >>", ATTACHE_ERR_DATA,
         "its /AttacheTokens holds something other than tokens"},
        {"<< /AttacheTokens [/ATT1] >>", ATTACHE_ERR_DATA,
         "its /AttacheTokens holds something other than tokens"},
        {"<< /AttacheTokens [(ATT1:AB) >>", ATTACHE_ERR_DATA,
         "its /AttacheTokens holds something other than tokens"},
        /* dictionaries that do not end, or are not there */
        {"<< /Title (never closed >>", ATTACHE_ERR_DATA,
         NOT_OURS "its info dictionary does not end"},
        {"<< /ID <4142", ATTACHE_ERR_DATA, NOT_OURS "its info dictionary does not end"},
        {"<< /Producer (attache)", ATTACHE_ERR_DATA, NOT_OURS "its info dictionary does not end"},
        {"[ /Producer (attache) ]", ATTACHE_ERR_DATA, NOT_OURS "no info dictionary"},
    };
    struct buf b = {0};
    char got[600];
    size_t i;

    for (i = 0; i < 2 * ARRAY_SIZE(cases); i++) {
        size_t k = i % ARRAY_SIZE(cases);

        make_pdf(&b, cases[k].info, NULL, NULL);
        if (i >= ARRAY_SIZE(cases))
            pack(&b);
        CHECK_INT(read_back(&b, got, sizeof got), cases[k].rc);
        CHECK_STR(got, cases[k].want);
    }
    buf_release(&b);
}

/* The way to the dictionary: trailer, startxref, the table and its entry. */
static void test_the_way_there(void)
{
    static const struct {
        const char *trailer, *entry;
        const char *want;
    } cases[] = {
        {"<< /Size 4 /Root 1 0 R >>", NULL, NOT_OURS "no info dictionary"},
        {"<< /Size 4 /Info /Root 1 0 R >>", NULL, NOT_OURS "no info dictionary"},
        {"<< /Size 4 /InfoX 3 0 R >>", NULL, NOT_OURS "no info dictionary"},
        {"<< /Size 4 /Info 9 0 R >>", NULL, NOT_OURS "no cross-reference table"},
        {NULL, "0000000000 65535 f\r\n", NOT_OURS "no info dictionary"},
        {NULL, "0000000009 00000 n\r\n", NOT_OURS "no info dictionary"},        /* object 1 */
        {NULL, "xxxxxxxxxx 00000 n\r\n", NOT_OURS "no info dictionary"},
    };
    struct buf b = {0};
    char got[600];
    size_t i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        make_pdf(&b, "<< /AttacheTokens [(ATT1:AB)] >>", cases[i].trailer, cases[i].entry);
        CHECK_INT(read_back(&b, got, sizeof got), ATTACHE_ERR_DATA);
        CHECK_STR(got, cases[i].want);
    }

    /* /Info naming another dictionary: read, and it has no tokens */
    make_pdf(&b, "<< /AttacheTokens [(ATT1:AB)] >>", "<< /Size 4 /Info 2 0 R >>", NULL);
    CHECK_INT(read_back(&b, got, sizeof got), ATTACHE_OK);
    CHECK_STR(got, "");

    /* startxref pointing elsewhere, missing or past the end */
    make_pdf(&b, "<< /AttacheTokens [(ATT1:AB)] >>", NULL, NULL);
    memcpy(strstr(b.data, "startxref\n") + 10, "12", 2);
    CHECK_INT(read_back(&b, got, sizeof got), ATTACHE_ERR_DATA);
    CHECK_STR(got, NOT_OURS "no cross-reference table");
    make_pdf(&b, "<< /AttacheTokens [(ATT1:AB)] >>", NULL, NULL);
    memcpy(strstr(b.data, "startxref\n") + 10, "99999", 5);
    CHECK_INT(read_back(&b, got, sizeof got), ATTACHE_ERR_DATA);
    CHECK_STR(got, NOT_OURS "no startxref offset");
    make_pdf(&b, "<< /AttacheTokens [(ATT1:AB)] >>", NULL, NULL);
    memcpy(strstr(b.data, "startxref\n") + 10, "x", 1);
    CHECK_INT(read_back(&b, got, sizeof got), ATTACHE_ERR_DATA);
    CHECK_STR(got, NOT_OURS "no startxref offset");

    /* not a PDF at all, and an empty file */
    buf_reset(&b);
    buf_adds(&b, "hello\n");
    CHECK_INT(read_back(&b, got, sizeof got), ATTACHE_ERR_DATA);
    CHECK_STR(got, NOT_OURS "no trailer at its end");
    buf_reset(&b);
    buf_add(&b, "", 0);
    CHECK_INT(read_back(&b, got, sizeof got), ATTACHE_ERR_DATA);
    CHECK_STR(got, NOT_OURS "no trailer at its end");

    /* cut short after the table: the entry is past the end */
    make_pdf(&b, "<< /AttacheTokens [(ATT1:AB)] >>", NULL, NULL);
    {
        size_t cut = (size_t)(strstr(b.data, "xref\n0 4\n") - b.data) + 12;
        char tail[200];
        snprintf(tail, sizeof tail, "trailer\n<< /Info 3 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
                 (size_t)(strstr(b.data, "xref\n0 4\n") - b.data));
        b.len = cut;
        buf_adds(&b, tail);
    }
    CHECK_INT(read_back(&b, got, sizeof got), ATTACHE_ERR_DATA);
    CHECK_STR(got, NOT_OURS "no cross-reference table");
    buf_release(&b);
}

/*
 * `good` copied into b with the character `at` bytes into its first
 * `find` made `to`; false (and a failed check) when `find` is not there.
 */
static bool patched(struct buf *b, const struct buf *good, const char *find, size_t at, char to)
{
    char *s;

    buf_reset(b);
    buf_add(b, good->data, good->len);
    s = memmem(b->data, b->len, find, strlen(find));
    if (!CHECK(s != NULL))
        return false;
    s[at] = to;
    return true;
}

/*
 * Packed: the objects other than streams and the info dictionary are in an
 * object stream, the cross-reference stream's dictionary names /Info and its
 * entry gives the offset.  Every other shape is "not as attache wrote it",
 * and no cut or changed byte of a packed file makes the reader crash.
 */
static void test_packed(void)
{
    struct buf b = {0}, good = {0};
    char got[600];
    char *s;
    size_t i, cut;

    make_pdf(&good, "<< /AttacheTokens [(ATT1:AB) (ATT1:CD)] >>", NULL, NULL);
    pack(&good);
    CHECK(!strncmp(good.data, "%PDF-1.5\n", 9));
    CHECK(memmem(good.data, good.len, "/Type /XRef", 11) != NULL);
    CHECK(memmem(good.data, good.len, "/Type /ObjStm /N 2 ", 19) != NULL);
    CHECK(memmem(good.data, good.len, "/Type /Catalog", 14) == NULL);   /* packed away */
    CHECK(memmem(good.data, good.len, "\nxref\n", 6) == NULL);
    buf_add(&b, good.data, good.len);
    CHECK_INT(read_back(&b, got, sizeof got), ATTACHE_OK);
    CHECK_STR(got, "ATT1:AB ATT1:CD");

    /* /Info naming an object in an object stream (the catalog) */
    if (patched(&b, &good, "/Info 3 0 R", 6, '1')) {
        CHECK_INT(read_back(&b, got, sizeof got), ATTACHE_ERR_DATA);
        CHECK_STR(got, NOT_OURS "no info dictionary");
    }

    /* what attache never writes: more sections, an earlier one, predictors */
    {
        static const char *const extra[] = {"/Index [ 0 6 ] ", "/Prev 9 ",
                                            "/DecodeParms << /Columns 5 >> "};
        for (i = 0; i < ARRAY_SIZE(extra); i++) {
            buf_reset(&b);
            s = memmem(good.data, good.len, "/Type /XRef", 11);
            buf_add(&b, good.data, (size_t)(s - good.data));
            buf_adds(&b, extra[i]);
            buf_add(&b, s, good.len - (size_t)(s - good.data));
            /* startxref still points at the stream's object */
            CHECK_INT(read_back(&b, got, sizeof got), ATTACHE_ERR_DATA);
            CHECK_STR(got, NOT_OURS "no cross-reference table");
        }
    }

    /* a small table is not deflated; its info entry's type changed: compressed */
    CHECK(strstr(memmem(good.data, good.len, "/Type /XRef", 11), "/Filter") == NULL);
    buf_reset(&b);
    buf_add(&b, good.data, good.len);
    {
        int w2 = 0, w3 = 0;
        char *x = memmem(b.data, b.len, "/Type /XRef", 11);

        CHECK(sscanf(strstr(x, "/W [ "), "/W [ 1 %d %d ]", &w2, &w3) == 2);
        s = strstr(x, "stream\r\n") + 8;
        s[3 * (1 + w2 + w3)] = 2;      /* object 3's type: in an object stream */
    }
    CHECK_INT(read_back(&b, got, sizeof got), ATTACHE_ERR_DATA);
    CHECK_STR(got, NOT_OURS "no info dictionary");

    /* a large one is deflated, and read back; changed, it does not inflate */
    {
        struct buf big = {0};

        make_pdf_with(&big, "<< /AttacheTokens [(ATT1:EF)] >>",
                      "<< /Size 404 /Root 1 0 R /Info 3 0 R >>", NULL, 400);
        pack(&big);
        CHECK(strstr(memmem(big.data, big.len, "/Type /XRef", 11), "/Filter /FlateDecode") !=
              NULL);
        CHECK(memmem(big.data, big.len, "/Type /ObjStm /N 200 ", 21) != NULL);
        CHECK_INT(read_back(&big, got, sizeof got), ATTACHE_OK);
        CHECK_STR(got, "ATT1:EF");
        s = strstr(memmem(big.data, big.len, "/Type /XRef", 11), "stream\r\n") + 8;
        s[3] ^= 0x55;
        CHECK_INT(read_back(&big, got, sizeof got), ATTACHE_ERR_DATA);
        buf_release(&big);
    }

    /* not the size /Size and /W say */
    if (patched(&b, &good, "/Size 6", 6, '7')) {
        CHECK_INT(read_back(&b, got, sizeof got), ATTACHE_ERR_DATA);
        CHECK_STR(got, NOT_OURS "its cross-reference stream cannot be read");
    }

    /* every cut, and every byte of the stream's dictionary changed: never a
       crash, and no tokens from a file cut before its startxref */
    s = memmem(good.data, good.len, "startxref", 9);
    for (cut = 0; cut < good.len; cut++) {
        buf_reset(&b);
        buf_add(&b, good.data, cut);
        CHECK(read_back(&b, got, sizeof got) != ATTACHE_OK || cut > (size_t)(s - good.data));
    }
    s = memmem(good.data, good.len, "/Type /XRef", 11);
    for (i = (size_t)(s - good.data) - 12; i < good.len; i++) {
        buf_reset(&b);
        buf_add(&b, good.data, good.len);
        b.data[i] = (char)(b.data[i] == '0' ? '9' : b.data[i] ^ 0x20);
        read_back(&b, got, sizeof got);
    }
    buf_release(&b);
    buf_release(&good);
}

/* Many tokens: the dictionary is read in growing pieces. */
static void test_many_tokens(void)
{
    struct buf info = {0}, b = {0};
    attache_error err;
    char **tokens, token[80];
    size_t n, i;

    buf_adds(&info, "<< /AttacheTokens [");
    for (i = 0; i < 20000; i++)
        buf_addf(&info, " (ATT1:%zuABCDEFGHIJKLMNOPQRSTUVWXYZ)", i);
    buf_adds(&info, " ] >>");
    make_pdf(&b, info.data, NULL, NULL);
    CHECK(b.len > 4 * 65536);
    CHECK_INT(pdf_read_tokens(write_bytes("many.pdf", b.data, b.len), &tokens, &n, &err),
              ATTACHE_OK);
    CHECK_INT(n, 20000);
    snprintf(token, sizeof token, "ATT1:%dABCDEFGHIJKLMNOPQRSTUVWXYZ", 19999);
    if (n == 20000)
        CHECK_STR(tokens[19999], token);
    pdf_tokens_free(tokens, n);

    /* a token longer than any attache writes */
    buf_reset(&info);
    buf_adds(&info, "<< /AttacheTokens [(ATT1:");
    for (i = 0; i < 5000; i++)
        buf_adds(&info, "A");
    buf_adds(&info, ")] >>");
    make_pdf(&b, info.data, NULL, NULL);
    CHECK_INT(pdf_read_tokens(write_bytes("long.pdf", b.data, b.len), &tokens, &n, &err),
              ATTACHE_ERR_DATA);
    CHECK_STR(err.message, "its /AttacheTokens holds something other than tokens");
    buf_release(&info);
    buf_release(&b);
}

static void test_files(void)
{
    attache_error err;
    char **tokens, path[300];
    size_t n;

    snprintf(path, sizeof path, "%s/none.pdf", dir);
    CHECK_INT(pdf_read_tokens(path, &tokens, &n, &err), ATTACHE_ERR_NOINPUT);
    CHECK_STR(err.message, "cannot open: No such file or directory");
    CHECK_INT(pdf_read_tokens(dir, &tokens, &n, &err), ATTACHE_ERR_NOINPUT);
    CHECK_STR(err.message, "cannot open: not a regular file");
    CHECK(tokens == NULL && n == 0);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_info_dictionaries();
    test_the_way_there();
    test_packed();
    test_many_tokens();
    test_files();
    fixture_remove_tree(dir);
    return check_done();
}

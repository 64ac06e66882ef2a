/*
 * Unit tests of the PDF writer: what it records in the metadata, it reads
 * back; a cache changes no byte; a QR code's mask paints its dark modules
 * exactly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "check.h"
#include "draw.h"
#include "image.h"
#include "pdf.h"
#include "pdf_private.h"
#include "qr.h"

static attache_status render(const char *fingerprint, struct buf *out)
{
    struct document *doc = document_new();
    struct pdf_settings ps = {1454630400, "seed", NULL};
    attache_error err;
    attache_status rc;

    if (!doc || !document_add_page(doc, 595, 842)) {
        document_free(doc);
        return ATTACHE_ERR_INTERNAL;
    }
    doc->title = "A title that says /AttacheInputs (not this)";
    doc->fingerprint = fingerprint ? arena_strdup(&doc->arena, fingerprint) : NULL;
    attache_error_clear(&err);
    rc = pdf_render(doc, &ps, out, &err);
    document_free(doc);
    return rc;
}

/*
 * The next deflated stream of `pdf` from *at, inflated into `plain` (cap
 * bytes, NUL-terminated): its length, or -1 when there is none left.
 */
static long next_stream(const struct buf *pdf, const char **at, char *plain, size_t cap)
{
    static struct libdeflate_decompressor *d;
    const char *p = *at, *end = pdf->data + pdf->len;

    if (!d && !(d = libdeflate_alloc_decompressor()))
        return -1;
    while ((p = memmem(p, (size_t)(end - p), "stream", 6)) != NULL) {
        const char *data = p + 6, *stop;
        size_t n = 0, in = 0;

        p = data;
        if (data - 9 >= pdf->data && !memcmp(data - 9, "end", 3))
            continue;
        data += *data == '\r';
        data += *data == '\n';
        stop = memmem(data, (size_t)(end - data), "endstream", 9);
        /* the stream may end with a newline before endstream */
        if (!stop || libdeflate_zlib_decompress_ex(d, data, (size_t)(stop - data), plain, cap,
                                                   &in, &n) != LIBDEFLATE_SUCCESS)
            continue;
        plain[n] = 0;
        *at = stop;
        return (long)n;
    }
    return -1;
}

/* Is `needle` in the PDF, in the clear or in one of its streams (object streams too)? */
static bool holds(const struct buf *pdf, const char *needle)
{
    size_t cap = 1u << 20;
    char *plain = malloc(cap + 1);
    const char *at = pdf->data;
    bool found = memmem(pdf->data, pdf->len, needle, strlen(needle)) != NULL;

    while (plain && !found && next_stream(pdf, &at, plain, cap) >= 0)
        found = strstr(plain, needle) != NULL;
    free(plain);
    return found;
}

static void test_fingerprint_read_back(void)
{
    static const char fp[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    struct buf pdf = {0};
    char got[65];

    CHECK_INT(render(fp, &pdf), ATTACHE_OK);
    CHECK(pdf_recorded_inputs((const unsigned char *)pdf.data, pdf.len, got));
    CHECK_STR(got, fp);
    /* cut short: not read */
    CHECK(!pdf_recorded_inputs((const unsigned char *)pdf.data,
                               (size_t)((char *)memmem(pdf.data, pdf.len, fp, 64) - pdf.data) + 10,
                               got));
    CHECK_STR(got, "");
    buf_release(&pdf);
    CHECK_INT(render(NULL, &pdf), ATTACHE_OK);
    CHECK(!pdf_recorded_inputs((const unsigned char *)pdf.data, pdf.len, got));
    CHECK_STR(got, "");
    buf_release(&pdf);
    CHECK(!pdf_recorded_inputs((const unsigned char *)"/AttacheInputs (zz)", 19, got));
}

/*
 * A page that draws artwork first (many paths), then an image (whose
 * objects the page makes as it draws) and a QR code, as a certificate does.
 */
static struct document *artwork_document(float shift, struct image *logo)
{
    static unsigned char modules[21 * 21];
    struct document *doc = document_new();
    struct page *pg = doc ? document_add_page(doc, 842, 595) : NULL;
    struct op *op;
    int i, k, j;

    if (!pg) {
        document_free(doc);
        return NULL;
    }
    for (i = 0; i < 80; i++) {
        struct path_seg *s = arena_calloc(&doc->arena, 4, sizeof *s);
        op = page_add_op(doc, pg, OP_PATH);
        if (!s || !op) {
            document_free(doc);
            return NULL;
        }
        for (k = 0; k < 4; k++) {
            s[k].verb = k ? PATH_CURVE : PATH_MOVE;
            for (j = 0; j < 6; j++)
                s[k].p[j] = 20.5f + (float)(i * 9 + k * 3 + j) + shift;
        }
        op->u.path.segs = s;
        op->u.path.n = 4;
        op->u.path.line_width = 0.54f;
        op->u.path.stroke = (struct rgb){0.69f, 0.553f, 0.235f};
        op->u.path.do_stroke = true;
    }
    op = page_add_op(doc, pg, OP_IMAGE);
    if (!op || !logo) {
        document_free(doc);
        return NULL;
    }
    op->u.image = (struct op_image){image_ref(logo), 60, 400, 72, 72, false, 0, 0, 0, 0};
    for (i = 0; i < 21 * 21; i++)
        modules[i] = (unsigned char)(i % 3 == 0 || i % 7 == 1);
    op = page_add_op(doc, pg, OP_QR);
    if (!op) {
        document_free(doc);
        return NULL;
    }
    op->u.qr = (struct op_qr){21, modules, 700, 50, 80, {0, 0, 0}};
    return doc;
}

static bool render_with(struct document *doc, struct pdf_cache *cache, struct buf *out)
{
    struct pdf_settings ps = {1454630400, "seed", cache};
    attache_error err;

    attache_error_clear(&err);
    return doc && pdf_render(doc, &ps, out, &err) == ATTACHE_OK;
}

/*
 * A thread's cache makes the same bytes as no cache, whether it held the
 * page's artwork or not; other artwork is not taken for it.
 */
static void test_cache_changes_no_byte(void)
{
    struct image_box box = {72, 72, IMAGE_CONTAIN};
    struct image *logo = NULL;
    attache_error err;
    struct document *doc, *other;
    struct pdf_cache *cache = pdf_cache_new();
    struct buf none = {0}, miss = {0}, hit = {0}, other_none = {0}, other_cached = {0};

    attache_error_clear(&err);
    CHECK_INT(image_load("samples/assets", "logo.png", "test", &box, &logo, &err), ATTACHE_OK);
    doc = artwork_document(0, logo);
    other = artwork_document(0.5f, logo);
    CHECK(cache != NULL);
    CHECK(render_with(doc, NULL, &none));
    CHECK(render_with(doc, cache, &miss));
    CHECK(render_with(doc, cache, &hit));
    CHECK(none.len > 0 && none.len == miss.len && !memcmp(none.data, miss.data, none.len));
    CHECK(none.len == hit.len && !memcmp(none.data, hit.data, none.len));
    /* the artwork has a content stream of its own */
    CHECK(holds(&none, "/Contents ["));
    CHECK(render_with(other, NULL, &other_none));
    CHECK(render_with(other, cache, &other_cached));
    CHECK(other_none.len == other_cached.len &&
          !memcmp(other_none.data, other_cached.data, other_none.len));
    CHECK(other_none.len != none.len || memcmp(other_none.data, none.data, none.len));
    buf_release(&none);
    buf_release(&miss);
    buf_release(&hit);
    buf_release(&other_none);
    buf_release(&other_cached);
    pdf_cache_free(cache);
    document_free(doc);
    document_free(other);
    image_free(logo);
}

/*
 * The modules the page's QR mask paints (grid: w * w, 0 or 1, row 0 at the
 * top), read from every deflated stream of `pdf`: a `cm` that scales the
 * unit square to the code, then an inline image mask of 4 x 4 samples a
 * module, 0 painted.  False when there is no such mask, when it has another
 * size or when a module's samples differ.
 */
static bool qr_drawn(const struct buf *pdf, int w, unsigned char *grid)
{
    const char *at = pdf->data;
    size_t cap = 1u << 20;
    char *plain = malloc(cap + 1);
    bool ok = plain != NULL, found = false;
    long n;

    memset(grid, 0, (size_t)w * (size_t)w);
    while (ok && (n = next_stream(pdf, &at, plain, cap)) >= 0) {
        static const char head[] = " cm\nBI /IM true ";
        const char *q = memmem(plain, (size_t)n, head, sizeof head - 1);
        const unsigned char *data;
        int side = 0, height = 0, used = 0, x, y;
        size_t row;

        if (!q)
            continue;
        found = true;
        ok = sscanf(q, " cm\nBI /IM true /BPC 1 /W %d /H %d ID %n", &side, &height, &used) == 2 &&
             used > 0 && side == 4 * w && height == side;
        row = ((size_t)side + 7) / 8;
        data = (const unsigned char *)q + used;
        ok = ok && (const char *)data + row * (size_t)side + 4 <= plain + n &&
             !memcmp(data + row * (size_t)side, "\nEI\n", 4);
        for (y = 0; ok && y < side; y++)
            for (x = 0; ok && x < side; x++) {
                bool dark = !((data[(size_t)y * row + (size_t)x / 8] >> (7 - x % 8)) & 1);
                unsigned char *g = &grid[(y / 4) * w + x / 4];

                if (x % 4 == 0 && y % 4 == 0)
                    *g = dark;
                ok = *g == dark;
            }
    }
    free(plain);
    return ok && found;
}

static bool qr_drawn_exactly(const unsigned char *modules, int w)
{
    struct document *doc = document_new();
    struct page *pg = doc ? document_add_page(doc, 595, 842) : NULL;
    struct op *op = pg ? page_add_op(doc, pg, OP_QR) : NULL;
    unsigned char *grid = malloc((size_t)w * (size_t)w);
    struct buf pdf = {0};
    bool ok = op && grid;
    int i;

    if (ok) {
        op->u.qr = (struct op_qr){w, modules, 100, 100, 2.0f * (float)w, {0, 0, 0}};
        ok = render_with(doc, NULL, &pdf) && qr_drawn(&pdf, w, grid);
    }
    for (i = 0; ok && i < w * w; i++)
        ok = grid[i] == (modules[i] & 1);
    buf_release(&pdf);
    free(grid);
    document_free(doc);
    return ok;
}

/*
 * The mask paints every dark module and no light one: codes of versions 1
 * to 15 (odd widths leave half a byte of padding a row) and patterns made
 * of tall blocks, of one colour and of stripes.
 */
static void test_qr_drawn_exactly(void)
{
    static const int widths[] = {21, 25, 41, 57, 61, 65, 69, 77};
    static unsigned char m[77 * 77];
    char payload[400];
    size_t i;
    int x, y;

    for (i = 0; i < sizeof widths / sizeof widths[0]; i++) {
        struct qr_code qr;
        attache_error err;
        int len = (widths[i] - 17) / 4 * 14;

        attache_error_clear(&err);
        snprintf(payload, sizeof payload, "HTTPS://VERIFY.EXAMPLE.ORG/v/ATT1:%0*d", len, 7);
        CHECK_INT(qr_make(payload, 40, "test", &qr, &err), ATTACHE_OK);
        CHECK(qr.modules && qr_drawn_exactly(qr.modules, qr.width));
        qr_release(&qr);
        /* tall blocks */
        for (y = 0; y < widths[i]; y++)
            for (x = 0; x < widths[i]; x++)
                m[y * widths[i] + x] = (unsigned char)((x / 3 + y / 9) % 2);
        CHECK(qr_drawn_exactly(m, widths[i]));
        for (y = 0; y < widths[i]; y++)
            for (x = 0; x < widths[i]; x++)
                m[y * widths[i] + x] = (unsigned char)((y / 4 + x / 11) % 3 == 0);
        CHECK(qr_drawn_exactly(m, widths[i]));
        memset(m, 1, sizeof m);
        CHECK(qr_drawn_exactly(m, widths[i]));
        memset(m, 0, sizeof m);
        CHECK(qr_drawn_exactly(m, widths[i]));
    }
}

/* A memory stream's bytes as a string (at most cap - 1 of them). */
static void stream_text(HPDF_Stream st, char *out, size_t cap)
{
    HPDF_UINT n = (HPDF_UINT)(cap - 1);

    HPDF_Stream_Seek(st, 0, HPDF_SEEK_SET);
    if (HPDF_Stream_Read(st, (HPDF_BYTE *)out, &n) != HPDF_OK && n == cap - 1)
        n = 0;
    out[n] = '\0';
}

/*
 * A page of an image, then a QR code at (700, 50), 80 pt a side; the image
 * 72 pt a side at (x, y).  The stream that draws the code, inflated, into
 * *plain (free() it): NULL when none does.
 */
static char *qr_stream_after_image(struct image *logo, float x, float y)
{
    static unsigned char modules[21 * 21];
    struct document *doc = document_new();
    struct page *pg = doc ? document_add_page(doc, 842, 595) : NULL;
    struct op *im = pg ? page_add_op(doc, pg, OP_IMAGE) : NULL;
    struct op *qr = im ? page_add_op(doc, pg, OP_QR) : NULL;
    struct buf pdf = {0};
    size_t cap = 1u << 20;
    char *plain = malloc(cap + 1);
    const char *at;
    bool found = false;
    int i;

    if (qr && plain) {
        for (i = 0; i < 21 * 21; i++)
            modules[i] = (unsigned char)(i % 5 == 0);
        im->u.image = (struct op_image){image_ref(logo), x, y, 72, 72, false, 0, 0, 0, 0};
        qr->u.qr = (struct op_qr){21, modules, 700, 50, 80, {0, 0, 0}};
        if (render_with(doc, NULL, &pdf))
            for (at = pdf.data; !found && next_stream(&pdf, &at, plain, cap) >= 0;)
                found = strstr(plain, " cm\nBI /IM true ") != NULL;
    }
    buf_release(&pdf);
    document_free(doc);
    if (!found) {
        free(plain);
        return NULL;
    }
    return plain;
}

/*
 * A QR code that nothing drawn before it covers begins the page's content
 * stream (its mask deflated by attache, the rest by libdeflate: one stream
 * that inflates whole); one that an image drawn before it covers stays after
 * the image, where the page drew it.
 */
static void test_qr_leads_the_page(void)
{
    struct image_box box = {72, 72, IMAGE_CONTAIN};
    struct image *logo = NULL;
    attache_error err;
    char *apart, *under;

    attache_error_clear(&err);
    CHECK_INT(image_load("samples/assets", "logo.png", "test", &box, &logo, &err), ATTACHE_OK);
    apart = qr_stream_after_image(logo, 60, 400);
    under = qr_stream_after_image(logo, 690, 40);
    CHECK(apart && !strncmp(apart, "q\n0 0 0 rg\n80 0 0 80 700 50 cm\nBI /IM true ", 42));
    CHECK(apart && strstr(apart, "/Im1 Do") > strstr(apart, "\nEI\nQ\n"));
    CHECK(under && strstr(under, "/Im1 Do") && strstr(under, " cm\nBI /IM true ") > strstr(under, "/Im1 Do"));
    free(apart);
    free(under);
    image_free(logo);
}

/*
 * A raw dictionary's entries are the bytes libharu's own writer makes of
 * them: names escaped as HPDF_Stream_WriteEscapeName escapes them (#XX for
 * delimiters, '#', controls and bytes past 0x7E, cut at 127 bytes),
 * numbers and references as HPDF_Stream_WriteInt and WriteUInt write them.
 */
static void test_raw_entries_as_libharu_writes_them(void)
{
    static const char *names[] = {"Type", "ABCDEF+AttacheSerif-Regular", "a#b/c(d)e<f>[g]{h}%i",
                                  "tab\there", "caf\xc3\xa9", "\x7f\x80\xff~!", ""};
    static const int ints[] = {0, 7, -7, 32, 262176, -2147483647, 2147483647};
    char longest[200], got[1024], want[1024];
    struct pdf_settings set = {0};
    struct ctx c;
    attache_error err;
    HPDF_Dict d, other;
    HPDF_Stream ref;
    size_t i;

    memset(longest, 'x', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    attache_error_clear(&err);
    CHECK_INT(pdf_ctx_init(&c, &set, &err), ATTACHE_OK);
    other = pdf_new_raw_dict(&c);
    CHECK(other != NULL);
    for (i = 0; other && i < sizeof names / sizeof names[0]; i++) {
        d = pdf_new_raw_dict(&c);
        ref = HPDF_MemStream_New(c.pdf->mmgr, HPDF_STREAM_BUF_SIZ);
        CHECK(d && ref);
        if (!d || !ref)
            break;
        CHECK(pdf_raw_name(d, names[i], names[(i + 1) % 7]) && pdf_raw_key(d, names[i]) &&
              pdf_raw_int(d, names[i], ints[i]) && pdf_raw_ref(d, names[i], other) &&
              pdf_raw_ref(d, NULL, other));
        HPDF_Stream_WriteEscapeName(ref, names[i]);
        HPDF_Stream_WriteChar(ref, ' ');
        HPDF_Stream_WriteEscapeName(ref, names[(i + 1) % 7]);
        HPDF_Stream_WriteChar(ref, '\012');
        HPDF_Stream_WriteEscapeName(ref, names[i]);
        HPDF_Stream_WriteChar(ref, ' ');
        HPDF_Stream_WriteEscapeName(ref, names[i]);
        HPDF_Stream_WriteChar(ref, ' ');
        HPDF_Stream_WriteInt(ref, ints[i]);
        HPDF_Stream_WriteChar(ref, '\012');
        HPDF_Stream_WriteEscapeName(ref, names[i]);
        HPDF_Stream_WriteChar(ref, ' ');
        HPDF_Stream_WriteUInt(ref, other->header.obj_id & 0x00FFFFFF);
        HPDF_Stream_WriteStr(ref, " 0 R\012");
        HPDF_Stream_WriteUInt(ref, other->header.obj_id & 0x00FFFFFF);
        HPDF_Stream_WriteStr(ref, " 0 R");
        stream_text(d->attr, got, sizeof got);
        stream_text(ref, want, sizeof want);
        CHECK_STR(got, want);
        HPDF_Stream_Free(ref);
    }
    /* a key of 199 bytes is cut at 127, as libharu cuts it; a longer name is refused */
    d = pdf_new_raw_dict(&c);
    CHECK(d && pdf_raw_key(d, longest));
    if (d) {
        stream_text(d->attr, got, sizeof got);
        CHECK_INT((long)strlen(got), 1 + 127 + 1);
        CHECK(!pdf_raw_name(d, "Key", longest));
    }
    pdf_ctx_release(&c);
}

int main(void)
{
    test_qr_leads_the_page();
    test_fingerprint_read_back();
    test_cache_changes_no_byte();
    test_qr_drawn_exactly();
    test_raw_entries_as_libharu_writes_them();
    return check_done();
}

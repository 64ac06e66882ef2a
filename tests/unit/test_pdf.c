/* Unit tests of the PDF writer's metadata: what it records, it reads back. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "draw.h"
#include "image.h"
#include "pdf.h"

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
    CHECK(memmem(none.data, none.len, "/Contents [", 11) != NULL);
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

int main(void)
{
    test_fingerprint_read_back();
    test_cache_changes_no_byte();
    return check_done();
}

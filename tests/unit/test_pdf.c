/* Unit tests of the PDF writer's metadata: what it records, it reads back. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "draw.h"
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

int main(void)
{
    test_fingerprint_read_back();
    return check_done();
}

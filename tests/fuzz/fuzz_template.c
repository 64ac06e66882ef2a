/*
 * fuzz_template.c: template files (given with --template): loaded,
 * validated, built into the template tree, and their XPath compiled.
 */
#include "attache.h"
#include "fuzz.h"
#include "template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    attache_error err;
    struct template *t = template_load(fuzz_write("t.xml", data, size, 0644), &err);

    if (t) {
        struct template_exprs e;

        if (template_compile(t, &e, &err) == ATTACHE_OK)
            template_exprs_release(&e);
        template_free(t);
    }
    return 0;
}

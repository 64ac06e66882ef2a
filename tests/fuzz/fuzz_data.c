/*
 * fuzz_data.c: attache data files, loaded and validated as validate and
 * every generating command load them, and summarised as validate does.
 */
#include "attache.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    attache_data_options o = {.name = "fuzz.xml", .max_errors = 5};
    attache_error err;
    attache_data *d = attache_data_load(data, size, &o, &err);
    size_t i, n;

    if (d) {
        n = attache_data_batch_count(d);
        for (i = 0; i < n; i++)
            (void)attache_data_batch(d, i);
        attache_data_free(d);
    }
    return 0;
}

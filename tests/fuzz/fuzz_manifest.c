/*
 * fuzz_manifest.c: manifests of shard runs, as `attache merge` combines
 * them.  The input is up to three manifests separated by lines "=====".
 */
#include <stdio.h>
#include <stdlib.h>

#include "attache.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *part[3];
    size_t len[3], n, i;
    char names[3][512];
    const char *paths[3];
    char *out = NULL;
    size_t outlen;
    attache_error err;

    n = fuzz_split(data, size, "=====\n", part, len, 3);
    for (i = 0; i < n; i++) {
        char name[32];

        snprintf(name, sizeof name, "manifest-%zu.csv", i);
        snprintf(names[i], sizeof names[i], "%s", fuzz_write(name, part[i], len[i], 0644));
        paths[i] = names[i];
    }
    if (attache_manifest_merge(paths, n, NULL, &out, &outlen, &err) == ATTACHE_OK)
        free(out);
    return 0;
}

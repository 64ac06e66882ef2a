/*
 * fuzz_revocations.c: revocation lists, as verify --revocations and
 * attache revoke read them.
 */
#include <stdio.h>
#include <string.h>

#include "attache.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    attache_error err;
    attache_verifier *v = attache_verifier_new(&err);
    const char *path;
    char copy[512];

    path = fuzz_write("revocations.xml", data, size, 0644);
    snprintf(copy, sizeof copy, "%s", path);
    if (v) {
        attache_verification out;

        if (attache_verifier_add_revocations(v, copy, &err) == ATTACHE_OK)
            attache_verify_text(v, "ATT1:AAAA", &out);
        attache_verifier_free(v);
    }
    /* adding to the list reads it again and writes it back */
    attache_revoke(copy, "C-7K3M-Q2XA-PL4D", "lost", "2020-01-01", &err);
    return 0;
}

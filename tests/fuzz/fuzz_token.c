/*
 * fuzz_token.c: what verify reads from a QR code or the command line: a
 * token "ATT1:..." (or a URL ending in one), checked against one trusted
 * key, so that malformed structure, base32 and CBOR are all reached.
 * Signatures never match here; fuzz_signed.c covers what follows a good one.
 */
#include <stdio.h>
#include <stdlib.h>

#include "attache.h"
#include "fuzz.h"

static attache_verifier *verifier;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    attache_error err;
    char name[512];

    (void)argc;
    (void)argv;
    snprintf(name, sizeof name, "%s/k", fuzz_dir());
    verifier = attache_verifier_new(&err);
    if (!verifier || attache_keygen(name, "asec", NULL, NULL, &err) != ATTACHE_OK)
        abort();
    snprintf(name, sizeof name, "%s/k.pub", fuzz_dir());
    if (attache_verifier_add_key(verifier, name, &err) != ATTACHE_OK)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    attache_verification out;

    attache_verify_text(verifier, text, &out);
    free(text);
    return 0;
}

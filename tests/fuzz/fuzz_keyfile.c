/*
 * fuzz_keyfile.c: key files, both kinds: the input is written once as a
 * public key (NAME.pub) and once as a secret key (NAME.key, mode 0600).
 */
#include <stdlib.h>

#include "attache.h"
#include "fuzz.h"
#include "keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct public_key pub;
    struct signing_key *key;
    attache_error err;
    attache_verifier *v;

    public_key_load(fuzz_write("k.pub", data, size, 0644), &pub, &err);
    v = attache_verifier_new(&err);
    if (v) {
        attache_verifier_add_key(v, fuzz_write("k.pub", data, size, 0644), &err);
        attache_verifier_free(v);
    }
    key = signing_key_load(fuzz_write("k.key", data, size, 0600), &err);
    if (key) {
        unsigned char sig[64];

        signing_key_sign(key, data, size, sig);
        signing_key_free(key);
    }
    return 0;
}

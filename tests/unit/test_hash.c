/*
 * test_hash.c: SHA-256 through libcrypto, whole and in pieces, gives what
 * libsodium gives (the digests in manifests and fingerprints must not
 * depend on which library computed them).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "check.h"
#include "hash.h"

static void test_known_digest(void)
{
    char hex[2 * HASH_SHA256_BYTES + 1];
    struct hash_sha256 h;
    unsigned char d[HASH_SHA256_BYTES];

    hash_sha256_hex("abc", 3, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    hash_sha256_begin(&h);
    hash_sha256_end(&h, d);
    sodium_bin2hex(hex, sizeof hex, d, sizeof d);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* Every length up to 300 bytes, each cut into pieces of every size from 1 to 70. */
static void test_pieces_match_whole(void)
{
    unsigned char data[300], want[HASH_SHA256_BYTES], whole[HASH_SHA256_BYTES],
        pieces[HASH_SHA256_BYTES];
    size_t n, step, at;
    int bad = 0;

    for (n = 0; n < sizeof data; n++)
        data[n] = (unsigned char)(n * 7 + 3);
    for (n = 0; n <= sizeof data; n++) {
        crypto_hash_sha256(want, data, n);
        hash_sha256(data, n, whole);
        bad += memcmp(want, whole, sizeof want) != 0;
        for (step = 1; step <= 70; step++) {
            struct hash_sha256 h;

            hash_sha256_begin(&h);
            for (at = 0; at < n; at += step)
                hash_sha256_add(&h, data + at, n - at < step ? n - at : step);
            hash_sha256_end(&h, pieces);
            bad += memcmp(want, pieces, sizeof want) != 0;
        }
    }
    CHECK_INT(bad, 0);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    test_known_digest();
    test_pieces_match_whole();
    return check_done();
}

/*
 * hash.c: SHA-256 through OpenSSL's libcrypto, which uses the processor's
 * SHA instructions (or its vector units) where it has them.  libsodium's
 * portable code took 54 instructions a byte: a tenth of a certificate's
 * time went to hashing its PDF for the manifest.  libcrypto is in the
 * process anyway (libcurl's TLS).  Where it cannot be set up, libsodium
 * computes the same digest.
 */
#include <pthread.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "hash.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256;          /* fetched once, kept for the process */

static void fetch_sha256(void)
{
    sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void hash_sha256(const void *data, size_t n, unsigned char out[HASH_SHA256_BYTES])
{
    unsigned int len = 0;

    pthread_once(&once, fetch_sha256);
    if (sha256 && EVP_Digest(data, n, out, &len, sha256, NULL) == 1 &&
        len == HASH_SHA256_BYTES)
        return;
    crypto_hash_sha256(out, data, (unsigned long long)n);
}

void hash_sha256_hex(const void *data, size_t n, char out[2 * HASH_SHA256_BYTES + 1])
{
    unsigned char h[HASH_SHA256_BYTES];

    hash_sha256(data, n, h);
    sodium_bin2hex(out, 2 * HASH_SHA256_BYTES + 1, h, sizeof h);
}

/*
 * hash.c: SHA-256 through OpenSSL's libcrypto, which uses the processor's
 * SHA instructions (or its vector units) where it has them.  libsodium's
 * portable code took 54 instructions a byte: a tenth of a certificate's
 * time went to hashing its PDF for the manifest.  libcrypto is in the
 * process anyway (libcurl's TLS).  Where it cannot be set up, libsodium
 * computes the same digest.
 */
#include <pthread.h>

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

void hash_sha256_begin(struct hash_sha256 *h)
{
    pthread_once(&once, fetch_sha256);
    h->ctx = sha256 ? EVP_MD_CTX_new() : NULL;
    if (h->ctx && EVP_DigestInit_ex(h->ctx, sha256, NULL) != 1) {
        EVP_MD_CTX_free(h->ctx);
        h->ctx = NULL;
    }
    if (!h->ctx)
        crypto_hash_sha256_init(&h->sodium);
}

void hash_sha256_add(struct hash_sha256 *h, const void *data, size_t n)
{
    /* an initialised SHA-256 context in memory has no way to fail an update */
    if (h->ctx)
        EVP_DigestUpdate(h->ctx, data, n);
    else
        crypto_hash_sha256_update(&h->sodium, data, (unsigned long long)n);
}

void hash_sha256_end(struct hash_sha256 *h, unsigned char out[HASH_SHA256_BYTES])
{
    unsigned int len = 0;

    if (!h->ctx) {
        crypto_hash_sha256_final(&h->sodium, out);
        return;
    }
    EVP_DigestFinal_ex(h->ctx, out, &len);
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

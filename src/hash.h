/*
 * hash.h: SHA-256 of whole buffers or of pieces, fast where the processor
 * helps.
 */
#ifndef ATTACHE_HASH_H
#define ATTACHE_HASH_H

#include <stddef.h>

#include <openssl/evp.h>
#include <sodium.h>

#define HASH_SHA256_BYTES 32

/*
 * The SHA-256 of `n` bytes at `data` into `out`.  Same result as
 * libsodium's crypto_hash_sha256(), which it falls back to.  Thread-safe.
 */
void hash_sha256(const void *data, size_t n, unsigned char out[HASH_SHA256_BYTES]);

/* The same, as 64 lower-case hex digits and a NUL: what the manifest and the cache record. */
void hash_sha256_hex(const void *data, size_t n, char out[2 * HASH_SHA256_BYTES + 1]);

/*
 * The SHA-256 of pieces, added in turn: hash_sha256_begin(), then
 * hash_sha256_add() for each, then hash_sha256_end(), which frees what
 * begin took.  libcrypto's, or libsodium's where that cannot be set up.
 */
struct hash_sha256 {
    EVP_MD_CTX *ctx;             /* NULL: libsodium's state below */
    crypto_hash_sha256_state sodium;
};

void hash_sha256_begin(struct hash_sha256 *h);
void hash_sha256_add(struct hash_sha256 *h, const void *data, size_t n);
void hash_sha256_end(struct hash_sha256 *h, unsigned char out[HASH_SHA256_BYTES]);

#endif

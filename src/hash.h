/*
 * hash.h: SHA-256 of whole buffers, fast where the processor helps.
 */
#ifndef ATTACHE_HASH_H
#define ATTACHE_HASH_H

#include <stddef.h>

#define HASH_SHA256_BYTES 32

/*
 * The SHA-256 of `n` bytes at `data` into `out`.  Same result as
 * libsodium's crypto_hash_sha256(), which it falls back to.  Thread-safe.
 */
void hash_sha256(const void *data, size_t n, unsigned char out[HASH_SHA256_BYTES]);

/* The same, as 64 lower-case hex digits and a NUL: what the manifest and the cache record. */
void hash_sha256_hex(const void *data, size_t n, char out[2 * HASH_SHA256_BYTES + 1]);

#endif

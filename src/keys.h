/*
 * keys.h: Ed25519 key pairs for signing documents (libsodium), in small
 * text files (docs/token.md describes them).
 *
 *   NAME.key   the secret key, the issuer, an optional validity window: mode 0600,
 *              refused if group or others can read it
 *   NAME.pub   the public key, its kid, the issuer, the same validity window
 *
 * kid = the first 8 bytes of SHA-256 of the raw 32-byte public key.
 */
#ifndef ATTACHE_KEYS_H
#define ATTACHE_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "attache.h"

#define KID_BYTES 8

/* ---- signing ----------------------------------------------------------- */

struct signing_key;

/* Load a secret key file; refuses one that group or others may read. */
struct signing_key *signing_key_load(const char *path, attache_error *err);
void signing_key_free(struct signing_key *key);

/* A key from its 32-byte seed (for tests and test vectors). */
struct signing_key *signing_key_from_seed(const unsigned char seed[32], const char *issuer);

const char *signing_key_issuer(const struct signing_key *key);
const unsigned char *signing_key_public(const struct signing_key *key);   /* 32 bytes */
const unsigned char *signing_key_kid(const struct signing_key *key);      /* 8 bytes */

/*
 * May `key` (loaded from `path`) sign documents of `issuer` issued at `iat`?
 * Its issuer must be the data's, and `iat` within its validity window
 * (not-before, not-after in the .key file, as in its .pub).  Otherwise
 * ATTACHE_ERR_USAGE with the reason: such documents would all fail
 * verification.
 */
attache_status signing_key_check(const struct signing_key *key, const char *path,
                                 const char *issuer, int64_t iat, attache_error *err);

/* Ed25519 signature of `msg` into sig[64].  Thread-safe. */
void signing_key_sign(const struct signing_key *key, const unsigned char *msg, size_t len,
                      unsigned char sig[64]);

/* How to make a key, for messages: "make one with 'attache keygen -o NAME'". */
const char *signing_key_hint(void);

/* ---- verifying -------------------------------------------------------- */

struct public_key {
    unsigned char key[32];
    unsigned char kid[KID_BYTES];
    char issuer[65];
    int64_t not_before, not_after;   /* Unix times; 0: no limit */
    char file[256];
};

/* Read a .pub file.  ATTACHE_ERR_DATA (with the line) when it is malformed. */
attache_status public_key_load(const char *path, struct public_key *out, attache_error *err);

/* The kid as 16 lower-case hex digits. */
void kid_hex(const unsigned char kid[KID_BYTES], char out[2 * KID_BYTES + 1]);

#endif

/*
 * token.h: the signed ID in every document's QR code.
 *
 * A CBOR Web Token (RFC 8392) in a COSE_Sign1 structure (RFC 9052), signed
 * with EdDSA over Ed25519 (COSE alg -8), written as "ATT1:" and RFC 4648
 * base32 without padding, so that the QR code can use its alphanumeric mode.
 * docs/token.md has the exact layout and test vectors.
 */
#ifndef ATTACHE_TOKEN_H
#define ATTACHE_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "attache.h"
#include "keys.h"

#define TOKEN_PREFIX "ATT1:"
#define TOKEN_MAX_BYTES 1024      /* decoded COSE bytes a verifier accepts */
#define DOCUMENT_HASH_BYTES 8     /* what the document id claim holds */

struct token_claims {
    const char *issuer;        /* issuer id */
    int64_t iat;               /* issued at, Unix seconds */
    const char *document_id;
    const char *kind;          /* "certificate", "letter", "induction" (sent as 1, 2, 3),
                                  or another template's kind (sent as text) */
    const char *officer_id, *officer_name, *batch_id, *programme_id;
};

/*
 * The document id: deterministic from what is signed, short, typeable: the
 * kind's initial and the first 12 base32 characters of the first 8 bytes of
 * SHA-256(issuer NUL batch NUL officer NUL kind NUL name NUL programme NUL
 * issue-date NUL), the issue date written YYYY-MM-DD (the UTC day of iat),
 * e.g. "C-7K3M-Q2XA-PL4D".  The token carries the 8 bytes (document_id
 * itself is not read).
 */
void token_document_id(char *out, size_t size, const struct token_claims *c);

/* Sign: *text receives a malloc'd "ATT1:..." string.  Thread-safe. */
attache_status token_sign(const struct signing_key *key, const struct token_claims *c,
                          char **text, attache_error *err);

/* What goes into the QR code: verify_url + token, or the token alone; malloc'd. */
char *token_qr_payload(const char *token_text, const char *verify_url);

/* ---- verification ------------------------------------------------------ */

enum token_status {
    TOKEN_VALID,
    TOKEN_INVALID,
    TOKEN_UNKNOWN_KEY
};

/* The claims of a token; only to be trusted when it is TOKEN_VALID. */
struct token_info {
    char issuer[65], document_id[65], kind[33], officer_id[65], officer_name[801];
    char batch_id[65], programme_id[65];
    int64_t iat;
    unsigned char kid[KID_BYTES];
    bool have_claims;          /* the payload could be read */
};

/*
 * Verify `text`: a token ("ATT1:...") or a URL that ends in one.  The
 * signature is checked before any claim is trusted; a claim of the wrong
 * type or size makes the token INVALID.  `reason` receives why a token is
 * not valid.
 */
enum token_status token_verify(const char *text, const struct public_key *keys, size_t nkeys,
                               struct token_info *info, char *reason, size_t rsize);

/* RFC 4648 base32 without padding (exposed for tests).  Returns the length. */
size_t base32_encode(const unsigned char *in, size_t n, char *out);
/* Decode base32 (either case, no padding); returns the length or -1. */
long base32_decode(const char *in, size_t n, unsigned char *out, size_t outsize);

#endif

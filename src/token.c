/*
 * token.c: COSE_Sign1 / CWT tokens, written with libcbor's encoders,
 * signed and checked with libsodium's Ed25519.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <sodium.h>

#include "date.h"
#include "error.h"
#include "text.h"
#include "token.h"
#include "util.h"

/* COSE and CWT numbers */
#define COSE_SIGN1_TAG 18
#define HDR_ALG 1
#define HDR_KID 4
#define ALG_EDDSA (-8)
#define CLAIM_ISS 1
#define CLAIM_IAT 6
/* private claims (docs/token.md) */
#define CLAIM_DOCUMENT (-1)
#define CLAIM_KIND (-2)
#define CLAIM_OFFICER (-3)
#define CLAIM_NAME (-4)
#define CLAIM_BATCH (-5)
#define CLAIM_PROGRAMME (-6)

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* The kinds of the built-in templates travel as small numbers. */
static const char *const kinds[] = {NULL, "certificate", "letter", "induction"};

static int kind_code(const char *kind)
{
    int i;

    for (i = 1; i < 4; i++)
        if (!strcmp(kind, kinds[i]))
            return i;
    return 0;
}

size_t base32_encode(const unsigned char *in, size_t n, char *out)
{
    size_t i, o = 0;
    unsigned buffer = 0;
    int bits = 0;

    for (i = 0; i < n; i++) {
        buffer = (buffer << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = b32[(buffer >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = b32[(buffer << (5 - bits)) & 31];
    out[o] = '\0';
    return o;
}

long base32_decode(const char *in, size_t n, unsigned char *out, size_t outsize)
{
    unsigned buffer = 0;
    int bits = 0;
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        int c = in[i], v;

        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a';
        else if (c >= '2' && c <= '7')
            v = c - '2' + 26;
        else
            return -1;
        buffer = (buffer << 5) | (unsigned)v;
        bits += 5;
        if (bits >= 8) {
            if (o == outsize)
                return -1;
            out[o++] = (unsigned char)(buffer >> (bits - 8));
            bits -= 8;
        }
    }
    /* what is left must be padding bits of zero, fewer than five */
    if (bits >= 5 || (buffer & ((1u << bits) - 1)))
        return -1;
    return (long)o;
}

/* The 8 bytes a document id stands for: SHA-256 of issuer|batch|officer|kind. */
/*
 * The document claim: what is signed, the issue day included, so that a
 * reissue with other content or on another day gets an id of its own (and
 * a revoked document's correction is not revoked with it), while the same
 * data on the same day gets the same id again.
 */
static void document_hash(const struct token_claims *c, unsigned char out[DOCUMENT_HASH_BYTES])
{
    const char *parts[7];
    crypto_hash_sha256_state st;
    unsigned char h[crypto_hash_sha256_BYTES];
    struct date d = date_from_time((time_t)c->iat);
    char day[16];
    size_t i;

    snprintf(day, sizeof day, "%04d-%02d-%02d", d.year % 10000, d.month, d.day);
    parts[0] = c->issuer;
    parts[1] = c->batch_id;
    parts[2] = c->officer_id;
    parts[3] = c->kind;
    parts[4] = c->officer_name;
    parts[5] = c->programme_id;
    parts[6] = day;
    crypto_hash_sha256_init(&st);
    for (i = 0; i < 7; i++)
        crypto_hash_sha256_update(&st, (const unsigned char *)parts[i], strlen(parts[i]) + 1);
    crypto_hash_sha256_final(&st, h);
    memcpy(out, h, DOCUMENT_HASH_BYTES);
}

/* "C-7K3M-Q2XA-PL4D": the kind's initial and 60 bits of the hash in base32. */
static void format_document_id(char *out, size_t size, const char *kind,
                               const unsigned char hash[DOCUMENT_HASH_BYTES])
{
    char enc[32];
    int initial = kind && kind[0] ? kind[0] : 'X';

    base32_encode(hash, DOCUMENT_HASH_BYTES, enc);
    if (initial >= 'a' && initial <= 'z')
        initial -= 'a' - 'A';
    snprintf(out, size, "%c-%.4s-%.4s-%.4s", initial, enc, enc + 4, enc + 8);
}

void token_document_id(char *out, size_t size, const struct token_claims *c)
{
    unsigned char h[DOCUMENT_HASH_BYTES];

    document_hash(c, h);
    format_document_id(out, size, c->kind, h);
}

/* ---- writing CBOR ---------------------------------------------------------- */

struct cbuf {
    unsigned char *p;
    size_t len, cap;
    bool overflow;
};

static void put(struct cbuf *b, size_t n)
{
    if (!n)
        b->overflow = true;
    b->len += n;
}

static void put_int(struct cbuf *b, int64_t v)
{
    if (v >= 0)
        put(b, cbor_encode_uint((uint64_t)v, b->p + b->len, b->cap - b->len));
    else
        put(b, cbor_encode_negint((uint64_t)(-1 - v), b->p + b->len, b->cap - b->len));
}

static void put_bytes(struct cbuf *b, const unsigned char *d, size_t n, bool text)
{
    size_t h = text ? cbor_encode_string_start(n, b->p + b->len, b->cap - b->len)
                    : cbor_encode_bytestring_start(n, b->p + b->len, b->cap - b->len);
    put(b, h);
    if (b->overflow || b->cap - b->len < n) {
        b->overflow = true;
        return;
    }
    if (n)
        memcpy(b->p + b->len, d, n);
    b->len += n;
}

static void put_text(struct cbuf *b, const char *s)
{
    put_bytes(b, (const unsigned char *)s, strlen(s), true);
}

/* protected header {1: -8, 4: kid} */
static size_t protected_header(const unsigned char kid[KID_BYTES], unsigned char *out, size_t cap)
{
    struct cbuf b = {out, 0, cap, false};

    put(&b, cbor_encode_map_start(2, b.p + b.len, b.cap - b.len));
    put_int(&b, HDR_ALG);
    put_int(&b, ALG_EDDSA);
    put_int(&b, HDR_KID);
    put_bytes(&b, kid, KID_BYTES, false);
    return b.overflow ? 0 : b.len;
}

/* Sig_structure = ["Signature1", protected, h'', payload] */
static size_t sig_structure(const unsigned char *prot, size_t plen, const unsigned char *payload,
                            size_t len, unsigned char *out, size_t cap)
{
    struct cbuf b = {out, 0, cap, false};

    put(&b, cbor_encode_array_start(4, b.p + b.len, b.cap - b.len));
    put_text(&b, "Signature1");
    put_bytes(&b, prot, plen, false);
    put_bytes(&b, NULL, 0, false);
    put_bytes(&b, payload, len, false);
    return b.overflow ? 0 : b.len;
}

attache_status token_sign(const struct signing_key *key, const struct token_claims *c,
                          char **text, attache_error *err)
{
    unsigned char payload[2048], prot[32], tbs[2200], out[2400], sig[64];
    unsigned char dochash[DOCUMENT_HASH_BYTES];
    struct cbuf p = {payload, 0, sizeof payload, false}, o = {out, 0, sizeof out, false};
    size_t plen, tlen;
    char *t;
    int code = kind_code(c->kind);

    *text = NULL;
    document_hash(c, dochash);
    put(&p, cbor_encode_map_start(8, p.p + p.len, p.cap - p.len));
    put_int(&p, CLAIM_ISS);
    put_text(&p, c->issuer);
    put_int(&p, CLAIM_IAT);
    put_int(&p, c->iat);
    put_int(&p, CLAIM_DOCUMENT);
    put_bytes(&p, dochash, sizeof dochash, false);
    put_int(&p, CLAIM_KIND);
    if (code)
        put_int(&p, code);
    else
        put_text(&p, c->kind);
    put_int(&p, CLAIM_OFFICER);
    put_text(&p, c->officer_id);
    put_int(&p, CLAIM_NAME);
    put_text(&p, c->officer_name);
    put_int(&p, CLAIM_BATCH);
    put_text(&p, c->batch_id);
    put_int(&p, CLAIM_PROGRAMME);
    put_text(&p, c->programme_id);
    plen = protected_header(signing_key_kid(key), prot, sizeof prot);
    tlen = p.overflow ? 0 : sig_structure(prot, plen, payload, p.len, tbs, sizeof tbs);
    if (p.overflow || !plen || !tlen)
        return err_set(err, ATTACHE_ERR_DATA, NULL, 0, "the document's claims are too long to sign");
    signing_key_sign(key, tbs, tlen, sig);

    put(&o, cbor_encode_tag(COSE_SIGN1_TAG, o.p, o.cap));
    put(&o, cbor_encode_array_start(4, o.p + o.len, o.cap - o.len));
    put_bytes(&o, prot, plen, false);
    put(&o, cbor_encode_map_start(0, o.p + o.len, o.cap - o.len));
    put_bytes(&o, payload, p.len, false);
    put_bytes(&o, sig, sizeof sig, false);
    if (o.overflow)
        return err_set(err, ATTACHE_ERR_DATA, NULL, 0, "the document's claims are too long to sign");
    t = malloc(strlen(TOKEN_PREFIX) + (o.len * 8 + 4) / 5 + 1);
    if (!t)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    strcpy(t, TOKEN_PREFIX);
    base32_encode(out, o.len, t + strlen(TOKEN_PREFIX));
    *text = t;
    return ATTACHE_OK;
}

/*
 * The verify-url's scheme and host do not depend on case, so they are
 * written in capitals: the QR code then carries them in alphanumeric mode
 * too, which leaves room for longer names in a small code.
 */
char *token_qr_payload(const char *token_text, const char *verify_url)
{
    char *s, *p, *host_end;

    if (asprintf(&s, "%s%s", verify_url ? verify_url : "", token_text) < 0)
        return NULL;
    if (strncasecmp(s, "http://", 7) && strncasecmp(s, "https://", 8))
        return s;
    p = strstr(s, "://") + 3;
    host_end = p + strcspn(p, "/?#");
    for (p = s; p < host_end; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '-' || *p == ':' || *p == '/'))
            return s;
    for (p = s; p < host_end; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    return s;
}

/* ---- reading ------------------------------------------------------------- */

#define CBOR_MAX_DEPTH 16
#define UNTIL_BREAK UINT64_MAX      /* an indefinite length: items until 0xFF */

/*
 * Whether `p` holds exactly one CBOR item whose every declared size fits in
 * the bytes that are there, checked before libcbor sees it: libcbor 0.8
 * allocates (and clears) an array or map of the declared length before it
 * reads one element, so a 6-byte token declaring 2^32 entries would cost
 * tens of gigabytes.  An array of n items needs at least n bytes and a map
 * of n pairs 2n, so with this check libcbor never allocates more than a
 * small multiple of the token's length.  Indefinite lengths are fine (libcbor
 * grows those as items arrive); reserved encodings, a break outside an
 * indefinite item and nesting deeper than CBOR_MAX_DEPTH are not.
 */
static bool cbor_bounded(const unsigned char *p, size_t len)
{
    uint64_t pending[CBOR_MAX_DEPTH + 1];   /* items still to read at each level */
    size_t depth = 0, at = 0;

    pending[0] = 1;
    while (depth > 0 || pending[0] > 0) {
        unsigned major, info, extra;
        uint64_t v = 0;
        size_t left;

        if (pending[depth] == 0) {
            depth--;
            continue;
        }
        if (at >= len)
            return false;
        if (p[at] == 0xFF) {                /* a break ends an indefinite item */
            if (pending[depth] != UNTIL_BREAK)
                return false;
            at++;
            depth--;
            continue;
        }
        if (pending[depth] != UNTIL_BREAK)
            pending[depth]--;
        major = p[at] >> 5;
        info = p[at] & 31;
        at++;
        if (info == 31) {                   /* an indefinite string, array or map */
            if (major < 2 || major > 5 || depth == CBOR_MAX_DEPTH)
                return false;
            pending[++depth] = UNTIL_BREAK;
            continue;
        }
        if (info < 24)
            v = info;
        else if (info <= 27) {
            extra = 1u << (info - 24);
            if (len - at < extra)
                return false;
            while (extra--)
                v = v << 8 | p[at++];
        } else
            return false;                   /* reserved */
        left = len - at;
        switch (major) {
        case 2:
        case 3:                     /* byte and text strings */
            if (v > left)
                return false;
            at += (size_t)v;
            break;
        case 4:                     /* array: n items of one byte at least */
        case 5:                     /* map: n pairs */
            if (major == 5 && v > left / 2)
                return false;
            if (v > left || depth == CBOR_MAX_DEPTH)
                return false;
            pending[++depth] = major == 5 ? 2 * v : v;
            break;
        case 6:                     /* a tag and its one item */
            if (depth == CBOR_MAX_DEPTH)
                return false;
            pending[++depth] = 1;
            break;
        default:                    /* integers, simple values, floats */
            break;
        }
    }
    return at == len;
}

static bool copy_text(const cbor_item_t *v, char *out, size_t size)
{
    size_t n;

    if (!cbor_isa_string(v) || !cbor_string_is_definite(v))
        return false;
    n = cbor_string_length(v);
    if (n >= size || !text_valid((const char *)cbor_string_handle(v), n))
        return false;
    memcpy(out, cbor_string_handle(v), n);
    out[n] = '\0';
    return memchr(out, 0, n) == NULL;
}

static bool get_int(const cbor_item_t *v, int64_t *out)
{
    uint64_t u;

    if (cbor_isa_uint(v)) {
        u = cbor_get_int(v);
        if (u > INT64_MAX)
            return false;
        *out = (int64_t)u;
        return true;
    }
    if (cbor_isa_negint(v)) {
        u = cbor_get_int(v);
        if (u > INT64_MAX)
            return false;
        *out = -1 - (int64_t)u;
        return true;
    }
    return false;
}

/* Read the claims; false when any is missing or of the wrong type. */
static bool read_claims(const unsigned char *payload, size_t len, struct token_info *info,
                        char *reason, size_t rsize)
{
    struct cbor_load_result res;
    cbor_item_t *m = cbor_bounded(payload, len) ? cbor_load(payload, len, &res) : NULL;
    struct cbor_pair *pairs;
    size_t i, n;
    unsigned seen = 0;
    unsigned char hash[DOCUMENT_HASH_BYTES];
    bool ok = false;

    if (!m || res.error.code != CBOR_ERR_NONE || res.read != len || !cbor_isa_map(m) ||
        !cbor_map_is_definite(m)) {
        snprintf(reason, rsize, "malformed: the claims are not a CBOR map");
        goto done;
    }
    n = cbor_map_size(m);
    pairs = cbor_map_handle(m);
    for (i = 0; i < n; i++) {
        int64_t key, v;
        bool good;
        if (!get_int(pairs[i].key, &key))
            continue;          /* text keys belong to others: ignored */
        switch (key) {
        case CLAIM_ISS: good = copy_text(pairs[i].value, info->issuer, sizeof info->issuer); break;
        case CLAIM_IAT:
            good = get_int(pairs[i].value, &v) && v >= 0;
            info->iat = v;
            break;
        case CLAIM_DOCUMENT:
            good = cbor_isa_bytestring(pairs[i].value) &&
                   cbor_bytestring_is_definite(pairs[i].value) &&
                   cbor_bytestring_length(pairs[i].value) == DOCUMENT_HASH_BYTES;
            if (good)
                memcpy(hash, cbor_bytestring_handle(pairs[i].value), DOCUMENT_HASH_BYTES);
            break;
        case CLAIM_KIND:
            if (get_int(pairs[i].value, &v))
                good = v >= 1 && v <= 3 &&
                       snprintf(info->kind, sizeof info->kind, "%s", kinds[v]) > 0;
            else
                good = copy_text(pairs[i].value, info->kind, sizeof info->kind);
            break;
        case CLAIM_OFFICER:
            good = copy_text(pairs[i].value, info->officer_id, sizeof info->officer_id);
            break;
        case CLAIM_NAME:
            good = copy_text(pairs[i].value, info->officer_name, sizeof info->officer_name);
            break;
        case CLAIM_BATCH:
            good = copy_text(pairs[i].value, info->batch_id, sizeof info->batch_id);
            break;
        case CLAIM_PROGRAMME:
            good = copy_text(pairs[i].value, info->programme_id, sizeof info->programme_id);
            break;
        default:
            continue;
        }
        if (!good) {
            snprintf(reason, rsize, "malformed: claim %lld has the wrong type or size",
                     (long long)key);
            goto done;
        }
        if (key > 0)
            seen |= 1u << key;
        else
            seen |= 1u << (16 - key);
    }
    if (seen != ((1u << CLAIM_ISS) | (1u << CLAIM_IAT) | (0x3Fu << 17))) {
        snprintf(reason, rsize, "malformed: a required claim is missing");
        goto done;
    }
    format_document_id(info->document_id, sizeof info->document_id, info->kind, hash);
    info->have_claims = true;
    ok = true;
done:
    if (m)
        cbor_decref(&m);
    return ok;
}

/* The kid from the protected header; false when the header is not ours. */
static bool read_protected(const unsigned char *p, size_t len, unsigned char kid[KID_BYTES],
                           char *reason, size_t rsize)
{
    struct cbor_load_result res;
    cbor_item_t *m = cbor_bounded(p, len) ? cbor_load(p, len, &res) : NULL;
    struct cbor_pair *pairs;
    size_t i;
    bool alg = false, have_kid = false;

    if (!m || res.error.code != CBOR_ERR_NONE || res.read != len || !cbor_isa_map(m)) {
        snprintf(reason, rsize, "malformed: the protected header is not a CBOR map");
        if (m)
            cbor_decref(&m);
        return false;
    }
    pairs = cbor_map_handle(m);
    for (i = 0; i < cbor_map_size(m); i++) {
        int64_t k, v;
        if (!get_int(pairs[i].key, &k))
            continue;
        if (k == HDR_ALG)
            alg = get_int(pairs[i].value, &v) && v == ALG_EDDSA;
        else if (k == HDR_KID && cbor_isa_bytestring(pairs[i].value) &&
                 cbor_bytestring_is_definite(pairs[i].value) &&
                 cbor_bytestring_length(pairs[i].value) == KID_BYTES) {
            memcpy(kid, cbor_bytestring_handle(pairs[i].value), KID_BYTES);
            have_kid = true;
        }
    }
    cbor_decref(&m);
    if (!alg)
        snprintf(reason, rsize, "not signed with EdDSA (COSE alg -8)");
    else if (!have_kid)
        snprintf(reason, rsize, "malformed: no 8-byte kid in the protected header");
    return alg && have_kid;
}

static bool definite_bytes(const cbor_item_t *v)
{
    return v && cbor_isa_bytestring(v) && cbor_bytestring_is_definite(v);
}

/*
 * The token in a QR code's text: what follows the last "ATT1:" (in any
 * case), up to the end of its part of a URL (a '/', '?' or '#': a trailing
 * slash, a query a link shortener added) and without trailing spaces and
 * line ends.  The page (web/token.js) finds it the same way in its address.
 * NULL when the text has no "ATT1:".
 */
static const char *token_body(const char *text, size_t *n)
{
    const char *tok = NULL, *p;

    for (p = text; (p = strcasestr(p, TOKEN_PREFIX)); p++)
        tok = p;
    if (!tok)
        return NULL;
    tok += strlen(TOKEN_PREFIX);
    *n = strcspn(tok, "/?#");
    while (*n && (tok[*n - 1] == '\n' || tok[*n - 1] == '\r' || tok[*n - 1] == ' '))
        (*n)--;
    return tok;
}

enum token_status token_verify(const char *text, const struct public_key *keys, size_t nkeys,
                               struct token_info *info, char *reason, size_t rsize)
{
    unsigned char raw[TOKEN_MAX_BYTES], tbs[TOKEN_MAX_BYTES + 64];
    const char *tok;
    struct cbor_load_result res;
    cbor_item_t *root = NULL, *arr, *prot, *unprot, *payload, *sig;
    enum token_status st = TOKEN_INVALID;
    const struct public_key *key = NULL;
    size_t i, tlen, n;
    long len;

    memset(info, 0, sizeof *info);
    snprintf(reason, rsize, "not a token");
    if (!text || !(tok = token_body(text, &n)))
        return TOKEN_INVALID;
    if (n > (TOKEN_MAX_BYTES * 8 + 4) / 5 ||
        (len = base32_decode(tok, n, raw, sizeof raw)) < 0) {
        snprintf(reason, rsize, "malformed: not base32, or too long");
        return TOKEN_INVALID;
    }
    /*
     * The COSE_Sign1 tag (18) is read here: libcbor 0.8 (Debian 12) refuses
     * tags 18 to 23 in their one-byte form, which is the form CBOR prefers.
     */
    {
        size_t skip = len >= 1 && raw[0] == 0xD2 ? 1 : len >= 2 && raw[0] == 0xD8 && raw[1] == 18 ? 2 : 0;
        if (!skip) {
            snprintf(reason, rsize, "malformed: not a COSE_Sign1 structure (tag 18)");
            goto done;
        }
        if (cbor_bounded(raw + skip, (size_t)len - skip))
            root = cbor_load(raw + skip, (size_t)len - skip, &res);
        if (!root || res.error.code != CBOR_ERR_NONE || res.read != (size_t)len - skip) {
            snprintf(reason, rsize, "malformed: not a COSE_Sign1 structure");
            goto done;
        }
    }
    arr = cbor_incref(root);
    if (!cbor_isa_array(arr) || cbor_array_size(arr) != 4) {
        cbor_decref(&arr);
        snprintf(reason, rsize, "malformed: not a COSE_Sign1 structure");
        goto done;
    }
    prot = cbor_array_get(arr, 0);
    unprot = cbor_array_get(arr, 1);
    payload = cbor_array_get(arr, 2);
    sig = cbor_array_get(arr, 3);
    cbor_decref(&arr);
    if (!definite_bytes(prot) || !unprot || !cbor_isa_map(unprot) || !definite_bytes(payload) ||
        !definite_bytes(sig) || cbor_bytestring_length(sig) != 64) {
        snprintf(reason, rsize, "malformed: not a COSE_Sign1 structure");
    } else if (read_protected(cbor_bytestring_handle(prot), cbor_bytestring_length(prot),
                              info->kid, reason, rsize)) {
        /* claims are read now only to describe an unknown key's token */
        char ignored[128];
        for (i = 0; i < nkeys && !key; i++)
            if (!memcmp(keys[i].kid, info->kid, KID_BYTES))
                key = &keys[i];
        if (!key) {
            read_claims(cbor_bytestring_handle(payload), cbor_bytestring_length(payload), info,
                        ignored, sizeof ignored);
            snprintf(reason, rsize, "no public key with this kid");
            st = TOKEN_UNKNOWN_KEY;
        } else if (!(tlen = sig_structure(cbor_bytestring_handle(prot),
                                          cbor_bytestring_length(prot),
                                          cbor_bytestring_handle(payload),
                                          cbor_bytestring_length(payload), tbs, sizeof tbs)) ||
                   crypto_sign_verify_detached(cbor_bytestring_handle(sig), tbs, tlen,
                                               key->key) != 0) {
            snprintf(reason, rsize, "bad signature");
        } else if (read_claims(cbor_bytestring_handle(payload), cbor_bytestring_length(payload),
                               info, reason, rsize)) {
            if (strcmp(info->issuer, key->issuer))
                snprintf(reason, rsize, "issuer '%s' is not the key's issuer '%s'", info->issuer,
                         key->issuer);
            else if ((key->not_before && info->iat < key->not_before) ||
                     (key->not_after && info->iat > key->not_after))
                snprintf(reason, rsize, "issued outside the key's validity window");
            else {
                snprintf(reason, rsize, "valid");
                st = TOKEN_VALID;
            }
        }
    }
    if (prot)
        cbor_decref(&prot);
    if (unprot)
        cbor_decref(&unprot);
    if (payload)
        cbor_decref(&payload);
    if (sig)
        cbor_decref(&sig);
done:
    if (root)
        cbor_decref(&root);
    return st;
}

/*
 * fuzz_signed.c: tokens whose signature is good.  The input is the claims
 * payload (CBOR); the target signs it with a trusted key the way token.c
 * does, so every check after the signature (claim types and sizes, issuer,
 * the key's window, the issue date's formatting, the revocation lookup) is
 * reached, which mutating whole tokens never does.
 *
 * The first input byte chooses the protected header: even, the usual
 * {1: -8, 4: kid}; odd, the next bytes up to the first 0xFF are taken as the
 * protected header as they are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include "attache.h"
#include "fuzz.h"
#include "keys.h"
#include "token.h"

static attache_verifier *verifier;
static struct signing_key *key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    attache_error err;
    char name[512], path[600];

    (void)argc;
    (void)argv;
    snprintf(name, sizeof name, "%s/s", fuzz_dir());
    verifier = attache_verifier_new(&err);
    if (!verifier || attache_keygen(name, "asec", "2015-01-01", "2030-12-31", &err) != ATTACHE_OK)
        abort();
    snprintf(path, sizeof path, "%s.pub", name);
    if (attache_verifier_add_key(verifier, path, &err) != ATTACHE_OK)
        abort();
    snprintf(path, sizeof path, "%s.key", name);
    if (!(key = signing_key_load(path, &err)))
        abort();
    /* one revoked document, so that the lookup finds something */
    snprintf(path, sizeof path, "%s/revoked.xml", fuzz_dir());
    if (attache_revoke(path, "C-7K3M-Q2XA-PL4D", "lost", "2020-01-01", &err) != ATTACHE_OK ||
        attache_verifier_add_revocations(verifier, path, &err) != ATTACHE_OK)
        abort();
    return 0;
}

/* Append a byte string's head and bytes; false when it does not fit. */
static bool put_bytes(unsigned char *out, size_t cap, size_t *len, const unsigned char *b,
                      size_t n)
{
    size_t h = cbor_encode_bytestring_start(n, out + *len, cap - *len);

    if (!h || cap - *len - h < n)
        return false;
    if (n)
        memcpy(out + *len + h, b, n);
    *len += h + n;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char prot[300], tbs[3000], out[3000], sig[64];
    size_t plen = 0, tlen = 0, olen = 0;
    const uint8_t *payload;
    size_t n;
    char *text;
    attache_verification v;

    if (size < 1)
        return 0;
    if (data[0] & 1) {
        const uint8_t *end = memchr(data + 1, 0xFF, size - 1);
        plen = end ? (size_t)(end - data - 1) : size - 1;
        if (plen > sizeof prot)
            return 0;
        memcpy(prot, data + 1, plen);
        payload = data + 1 + plen + (end ? 1 : 0);
    } else {
        plen += cbor_encode_map_start(2, prot, sizeof prot);
        plen += cbor_encode_uint(1, prot + plen, sizeof prot - plen);
        plen += cbor_encode_negint(7, prot + plen, sizeof prot - plen);
        plen += cbor_encode_uint(4, prot + plen, sizeof prot - plen);
        if (!put_bytes(prot, sizeof prot, &plen, signing_key_kid(key), KID_BYTES))
            abort();
        payload = data + 1;
    }
    n = size - (size_t)(payload - data);
    if (n > 1000)
        return 0;
    /* Sig_structure = ["Signature1", protected, h'', payload] */
    tlen += cbor_encode_array_start(4, tbs, sizeof tbs);
    tlen += cbor_encode_string_start(10, tbs + tlen, sizeof tbs - tlen);
    memcpy(tbs + tlen, "Signature1", 10);
    tlen += 10;
    if (!put_bytes(tbs, sizeof tbs, &tlen, prot, plen) ||
        !put_bytes(tbs, sizeof tbs, &tlen, NULL, 0) ||
        !put_bytes(tbs, sizeof tbs, &tlen, payload, n))
        return 0;
    signing_key_sign(key, tbs, tlen, sig);
    /* 18([protected, {}, payload, signature]) */
    olen += cbor_encode_tag(18, out, sizeof out);
    olen += cbor_encode_array_start(4, out + olen, sizeof out - olen);
    if (!put_bytes(out, sizeof out, &olen, prot, plen))
        return 0;
    olen += cbor_encode_map_start(0, out + olen, sizeof out - olen);
    if (!put_bytes(out, sizeof out, &olen, payload, n) ||
        !put_bytes(out, sizeof out, &olen, sig, sizeof sig))
        return 0;
    text = malloc(5 + (olen * 8 + 4) / 5 + 1);
    if (!text)
        abort();
    memcpy(text, "ATT1:", 5);
    text[5 + base32_encode(out, olen, text + 5)] = '\0';
    attache_verify_text(verifier, text, &v);
    free(text);
    return 0;
}

/* Unit tests of src/token.c, src/keys.c and src/qr.c. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "keys.h"
#include "qr.h"
#include "token.h"

static void test_base32(void)
{
    static const struct { const char *in, *out; } v[] = {   /* RFC 4648, section 10 */
        {"", ""}, {"f", "MY"}, {"fo", "MZXQ"}, {"foo", "MZXW6"}, {"foob", "MZXW6YQ"},
        {"fooba", "MZXW6YTB"}, {"foobar", "MZXW6YTBOI"},
    };
    size_t i;
    char enc[32];
    unsigned char dec[32];

    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        base32_encode((const unsigned char *)v[i].in, strlen(v[i].in), enc);
        CHECK_STR(enc, v[i].out);
        CHECK_INT(base32_decode(v[i].out, strlen(v[i].out), dec, sizeof dec), (long)strlen(v[i].in));
        CHECK(!memcmp(dec, v[i].in, strlen(v[i].in)));
    }
    CHECK_INT(base32_decode("mzxw6", 5, dec, sizeof dec), 3);     /* either case */
    CHECK_INT(base32_decode("MZXW1", 5, dec, sizeof dec), -1);    /* not base32 */
    CHECK_INT(base32_decode("MZXW7", 5, dec, sizeof dec), -1);    /* padding bits set */
}

static struct signing_key *test_key(unsigned char first)
{
    unsigned char seed[32];
    int i;

    for (i = 0; i < 32; i++)
        seed[i] = (unsigned char)(first + i);
    return signing_key_from_seed(seed, "asec");
}

static struct public_key public_of(const struct signing_key *k)
{
    struct public_key p;

    memset(&p, 0, sizeof p);
    memcpy(p.key, signing_key_public(k), 32);
    memcpy(p.kid, signing_key_kid(k), KID_BYTES);
    strcpy(p.issuer, signing_key_issuer(k));
    return p;
}

static const struct token_claims claims = {
    "asec", 1454630400, "C-H7FD-RHC7-LIVA", "certificate", "kh-2015-01", "Chhy Ratha",
    "aec-ascc-2", "aec-ascc"
};

static void test_round_trip_and_tampering(void)
{
    struct signing_key *k = test_key(0), *other = test_key(100);
    struct public_key pk = public_of(k), keys[2];
    struct token_info info;
    char reason[200], *tok = NULL, *bad;
    size_t i, n, flips = 0, valid = 0;
    attache_error err;

    CHECK(k && other);
    CHECK_INT(token_sign(k, &claims, &tok, &err), ATTACHE_OK);
    CHECK(!strncmp(tok, "ATT1:", 5));
    CHECK_INT(token_verify(tok, &pk, 1, &info, reason, sizeof reason), TOKEN_VALID);
    CHECK_STR(info.officer_name, "Chhy Ratha");
    CHECK_STR(info.kind, "certificate");
    CHECK_STR(info.batch_id, "aec-ascc-2");
    CHECK_STR(info.programme_id, "aec-ascc");
    CHECK_STR(info.issuer, "asec");
    CHECK_INT(info.iat, 1454630400);
    {
        char id[40];
        token_document_id(id, sizeof id, &claims);
        CHECK_STR(info.document_id, id);
    }
    /* every character of the text changed: never VALID */
    n = strlen(tok);
    bad = strdup(tok);
    for (i = 5; i < n; i++) {
        const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        char was = bad[i];
        bad[i] = alphabet[(strchr(alphabet, was) - alphabet + 1) % 32];
        valid += token_verify(bad, &pk, 1, &info, reason, sizeof reason) == TOKEN_VALID;
        flips++;
        bad[i] = was;
    }
    CHECK_INT(valid, 0);
    CHECK(flips > 200);
    /* every bit of the decoded bytes flipped: never VALID */
    {
        unsigned char raw[TOKEN_MAX_BYTES];
        long len = base32_decode(tok + 5, n - 5, raw, sizeof raw);
        char *text = malloc(5 + (size_t)len * 2 + 8);
        long b;
        CHECK(len > 100);
        valid = 0;
        for (b = 0; b < len * 8; b++) {
            raw[b / 8] ^= (unsigned char)(1 << (b % 8));
            strcpy(text, "ATT1:");
            base32_encode(raw, (size_t)len, text + 5);
            valid += token_verify(text, &pk, 1, &info, reason, sizeof reason) == TOKEN_VALID;
            raw[b / 8] ^= (unsigned char)(1 << (b % 8));
        }
        CHECK_INT(valid, 0);
        free(text);
    }
    /* a key the verifier does not have */
    keys[0] = public_of(other);
    CHECK_INT(token_verify(tok, keys, 1, &info, reason, sizeof reason), TOKEN_UNKNOWN_KEY);
    /* the right kid with the wrong key */
    keys[0] = public_of(other);
    memcpy(keys[0].kid, pk.kid, KID_BYTES);
    CHECK_INT(token_verify(tok, keys, 1, &info, reason, sizeof reason), TOKEN_INVALID);
    CHECK_STR(reason, "bad signature");
    /* issued outside the key's window */
    keys[0] = pk;
    keys[0].not_before = 1500000000;
    CHECK_INT(token_verify(tok, keys, 1, &info, reason, sizeof reason), TOKEN_INVALID);
    CHECK_STR(reason, "issued outside the key's validity window");
    keys[0].not_before = 0;
    keys[0].not_after = 1400000000;
    CHECK_INT(token_verify(tok, keys, 1, &info, reason, sizeof reason), TOKEN_INVALID);
    /* truncated, empty, garbage, the URL form */
    bad[n / 2] = '\0';
    CHECK_INT(token_verify(bad, &pk, 1, &info, reason, sizeof reason), TOKEN_INVALID);
    CHECK_INT(token_verify("", &pk, 1, &info, reason, sizeof reason), TOKEN_INVALID);
    CHECK_INT(token_verify("ATT1:", &pk, 1, &info, reason, sizeof reason), TOKEN_INVALID);
    CHECK_INT(token_verify("hello world", &pk, 1, &info, reason, sizeof reason), TOKEN_INVALID);
    {
        char *url = token_qr_payload(tok, "https://verify.example.org/v/");
        CHECK(!strncmp(url, "HTTPS://VERIFY.EXAMPLE.ORG/v/ATT1:", 34));
        CHECK_INT(token_verify(url, &pk, 1, &info, reason, sizeof reason), TOKEN_VALID);
        free(url);
    }
    free(bad);
    free(tok);
    signing_key_free(k);
    signing_key_free(other);
}

/* The size promised in docs/token.md: a certificate for a 30-character name
 * with a 30-character verify-url fits QR version 11 (at level M). */
static void test_qr_size(void)
{
    static const char *const names[] = {
        "Phonesavanh Sisouphanh Keomany",           /* 30 characters, ASCII */
        "Nguyễn Thị Thu Hà Phạm Ngọc An",           /* 30 characters, Vietnamese */
    };
    struct signing_key *k = test_key(0);
    struct token_claims c = claims;
    struct qr_code qr;
    attache_error err;
    size_t i;

    for (i = 0; i < 2; i++) {
        char *tok = NULL, *url;
        c.officer_name = names[i];
        CHECK_INT(token_sign(k, &c, &tok, &err), ATTACHE_OK);
        url = token_qr_payload(tok, "https://verify.example.org/v/X");   /* 30 characters */
        CHECK_INT(qr_make(url, 13, "officer 'x'", &qr, &err), ATTACHE_OK);
        CHECK_INT(qr.version, 11);
        CHECK_INT(qr.width, 61);
        qr_release(&qr);
        CHECK_INT(qr_make(url, 5, "officer 'x'", &qr, &err), ATTACHE_ERR_DATA);
        CHECK(strstr(err.message, "officer 'x': the QR code needs version") != NULL);
        free(url);
        free(tok);
    }
    signing_key_free(k);
}

/* A code is made at level M in the smallest version that holds it. */
static void test_qr_level(void)
{
    struct qr_code qr;
    attache_error err;

    CHECK_INT(qr_make("ATT1:ABCDEFGHIJKLMNO", 0, "x", &qr, &err), ATTACHE_OK);
    CHECK_INT(qr.version, 1);          /* 20 alphanumeric characters: version 1 at M, not Q */
    qr_release(&qr);
    CHECK_INT(qr_make("ATT1:ABCDEFGHIJKLMNOP", 0, "x", &qr, &err), ATTACHE_OK);
    CHECK_INT(qr.version, 2);          /* 21: version 2 at M (version 1 at L) */
    qr_release(&qr);
}

/*
 * A corrected reissue (another name) or one issued on another day gets an
 * id of its own, so revoking the old document leaves it valid; the same
 * claims on the same day give the same id again.
 */
static void test_document_id_follows_what_is_signed(void)
{
    struct token_claims c = claims;
    char id[40], again[40], other[40];

    token_document_id(id, sizeof id, &c);
    c.iat = claims.iat + 3600;                    /* later the same day */
    token_document_id(again, sizeof again, &c);
    CHECK_STR(again, id);
    c.iat = claims.iat + 86400;                   /* the next day */
    token_document_id(other, sizeof other, &c);
    CHECK(strcmp(other, id) != 0);
    c = claims;
    c.officer_name = "Chhy Ratha Sok";            /* a corrected name */
    token_document_id(other, sizeof other, &c);
    CHECK(strcmp(other, id) != 0);
    c = claims;
    c.programme_id = "aec-other";
    token_document_id(other, sizeof other, &c);
    CHECK(strcmp(other, id) != 0);
    c = claims;
    c.kind = "letter";
    token_document_id(other, sizeof other, &c);
    CHECK(strcmp(other + 1, id + 1) != 0);
}

/* The test vectors of docs/token.md. */
static void test_vectors(void)
{
    static const char v1[] = "ATT1:2KCE3IQBE4CEQVSHLKTVIY2HJSQFQR5IAFSGC43FMMDBUVVT4YACASB7ZI4JYX22FIECCAJCNJVWQLJSGAYTKLJQGERWUQ3INB4SAUTBORUGCJDKMFSWGLLBONRWGLJSEVUGCZLDFVQXGY3DLBAFPHAXN6S44KZIKO2FIYR5F4LEW4GWXMYLNL2L7PMZC5QF7Y5D25RALBN2EGKKKHUEGYN6ZC6SAPKXA7H2JKR2RI6ZQDGHC4M6ETUSBQ";
    static const char v2[] = "HTTPS://VERIFY.EXAMPLE.ORG/v/ATT1:2KCE3IQBE4CEQJHW5VVMX7QQBGQFQU5IAFSGC43FMMDBUVGX7CACASC3YQ56RN6F56KSCARCNJ3G4LJSGAYTKLJQGIRXMTTHOV46DO4FNYQFI2HBXOFSAVDIOUQERQ5AERVGCZLDFVQXGY3DFUZCK2DBMVRS2YLTMNRVQQAV4R6A2WO4S5TRAOT5YNHY4N7RW7K32OEPQ4NXUHU2DJXQ733DHM5VMAM2EHQH27F5IIPPCLGHMVK4J7TPNK6J7ZT4XVWDQ7UPZJCQE";
    struct signing_key *k1 = test_key(0), *k2 = test_key(32);
    struct token_claims c1 = claims, c2 = {"asec", 1423440000, NULL, "letter", "vn-2015-02",
                                           "Nguy\xe1\xbb\x85n Th\xe1\xbb\x8b Thu H\xc3\xa0",
                                           "aec-ascc-2", "aec-ascc"};
    char *t1 = NULL, *t2 = NULL, *url, kid[17], id[40];
    attache_error err;

    CHECK_INT(token_sign(k1, &c1, &t1, &err), ATTACHE_OK);
    CHECK_STR(t1, v1);
    kid_hex(signing_key_kid(k1), kid);
    CHECK_STR(kid, "56475aa75463474c");
    CHECK_INT(token_sign(k2, &c2, &t2, &err), ATTACHE_OK);
    url = token_qr_payload(t2, "https://verify.example.org/v/");
    CHECK_STR(url, v2);
    kid_hex(signing_key_kid(k2), kid);
    CHECK_STR(kid, "24f6ed6acbfe1009");
    token_document_id(id, sizeof id, &c1);
    CHECK_STR(id, "C-H7FD-RHC7-LIVA");
    token_document_id(id, sizeof id, &c2);
    CHECK_STR(id, "L-LPCD-X2FX-YXXZ");
    free(url);
    free(t1);
    free(t2);
    signing_key_free(k1);
    signing_key_free(k2);
}

int main(void)
{
    test_document_id_follows_what_is_signed();
    test_vectors();
    test_base32();
    test_round_trip_and_tampering();
    test_qr_size();
    test_qr_level();
    return check_done();
}

/*
 * test_token_limits.c: hostile tokens cost little and say nothing false.
 *
 * A forged token declaring a huge CBOR array or map must be refused before
 * libcbor allocates for it (measured as the peak memory of a child process
 * that verifies it), and an issue time no calendar can print must not
 * become a date.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "date.h"
#include "keys.h"
#include "token.h"

/* Peak resident memory (KB) of a child that verifies `text`; -1 if it failed. */
static long child_peak_kb(const char *text)
{
    struct rusage ru;
    int status;
    pid_t pid = fork();

    if (pid == 0) {
        struct token_info info;
        char reason[200];

        _exit(token_verify(text, NULL, 0, &info, reason, sizeof reason) == TOKEN_INVALID ? 0 : 1);
    }
    if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return -1;
    return ru.ru_maxrss;
}

static void test_forged_sizes(void)
{
    /* COSE_Sign1 tag, then an array head claiming 2^32 - 1 (or 2^31) entries */
    static const char *const forged[] = {
        "ATT1:2K5IMI3YDA",
        "ATT1:2KCE3IQBE4CEQAIBAEAQCAIBAGQQDGQEAAAAA",
    };
    struct rusage self;
    size_t i;

    getrusage(RUSAGE_SELF, &self);
    for (i = 0; i < sizeof forged / sizeof *forged; i++) {
        long kb = child_peak_kb(forged[i]);

        if (!CHECK(kb >= 0 && kb < self.ru_maxrss + 32 * 1024))
            fprintf(stderr, "    %s: peak %ld KB\n", forged[i], kb);
    }
}

/* A token signed over `payload` (claims CBOR, under 256 bytes) with the kid of `key`. */
/* A byte string's head for n < 256 bytes, as CBOR writes it (shortest form). */
static size_t put_length(unsigned char *p, size_t n)
{
    if (n < 24) {
        p[0] = 0x40 | (unsigned char)n;
        return 1;
    }
    p[0] = 0x58;
    p[1] = (unsigned char)n;
    return 2;
}

static char *sign_payload(const struct signing_key *key, const unsigned char *payload, size_t n,
                          bool indefinite)
{
    unsigned char prot[] = {0xA2, 0x01, 0x27, 0x04, 0x48, 0, 0, 0, 0, 0, 0, 0, 0};
    unsigned char tbs[600], out[600], sig[64];
    size_t t = 0, o = 0;
    char *text;

    memcpy(prot + 5, signing_key_kid(key), KID_BYTES);
    tbs[t++] = 0x84;
    tbs[t++] = 0x6A;
    memcpy(tbs + t, "Signature1", 10);
    t += 10;
    tbs[t++] = 0x40 | (unsigned char)sizeof prot;
    memcpy(tbs + t, prot, sizeof prot);
    t += sizeof prot;
    tbs[t++] = 0x40;
    t += put_length(tbs + t, n);
    memcpy(tbs + t, payload, n);
    t += n;
    signing_key_sign(key, tbs, t, sig);
    out[o++] = 0xD2;
    out[o++] = indefinite ? 0x9F : 0x84;
    out[o++] = 0x40 | (unsigned char)sizeof prot;
    memcpy(out + o, prot, sizeof prot);
    o += sizeof prot;
    out[o++] = 0xA0;
    o += put_length(out + o, n);
    memcpy(out + o, payload, n);
    o += n;
    out[o++] = 0x58;
    out[o++] = 64;
    memcpy(out + o, sig, 64);
    o += 64;
    if (indefinite)
        out[o++] = 0xFF;
    text = malloc(5 + (o * 8 + 4) / 5 + 1);
    memcpy(text, "ATT1:", 5);
    text[5 + base32_encode(out, o, text + 5)] = '\0';
    return text;
}

/* Indefinite lengths are fine (libcbor grows them as items arrive): the
 * COSE array as [_ ...] verifies as before. */
static void test_indefinite_lengths(void)
{
    static const unsigned char seed[32] = {8};
    struct signing_key *key = signing_key_from_seed(seed, "asec");
    struct public_key pub = {.issuer = "asec"};
    /* {1: "asec", 6: 1454630400, -1: h'0102030405060708', -2: 1, -3: "o",
        -4: "ab", -5: "b", -6: "p"} */
    static const unsigned char claims[] = {
        0xA8, 0x01, 0x64, 'a', 's', 'e', 'c', 0x06, 0x1A, 0x56, 0xB4, 0x06, 0x00,
        0x20, 0x48, 1, 2, 3, 4, 5, 6, 7, 8, 0x21, 0x01, 0x22, 0x61, 'o',
        0x23, 0x62, 'a', 'b', 0x24, 0x61, 'b', 0x25, 0x61, 'p'};
    struct token_info info;
    char reason[200], *text;

    memcpy(pub.key, signing_key_public(key), 32);
    memcpy(pub.kid, signing_key_kid(key), KID_BYTES);
    text = sign_payload(key, claims, sizeof claims, true);
    CHECK_INT(token_verify(text, &pub, 1, &info, reason, sizeof reason), TOKEN_VALID);
    CHECK_STR(info.officer_name, "ab");
    free(text);
    signing_key_free(key);
}

static void test_signed_huge_claims(void)
{
    static const unsigned char seed[32] = {7};
    struct signing_key *key = signing_key_from_seed(seed, "asec");
    struct public_key pub = {.issuer = "asec"};
    /* a correctly signed payload that declares a map of 2^32 - 1 pairs */
    static const unsigned char huge_map[] = {0xBA, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x01};
    struct token_info info;
    char reason[200], *text;

    memcpy(pub.key, signing_key_public(key), 32);
    memcpy(pub.kid, signing_key_kid(key), KID_BYTES);
    text = sign_payload(key, huge_map, sizeof huge_map, false);
    CHECK_INT(token_verify(text, &pub, 1, &info, reason, sizeof reason), TOKEN_INVALID);
    CHECK_STR(reason, "malformed: the claims are not a CBOR map");
    free(text);
    signing_key_free(key);
}

static void test_dates_out_of_range(void)
{
    static const unsigned char seed[32] = {9};
    struct signing_key *key = signing_key_from_seed(seed, "asec");
    struct token_claims c = {"asec", 1000000000000000000LL, NULL, "certificate",
                             "kh-01", "Chhy Ratha", "b1", "p"};
    attache_verifier *v = attache_verifier_new(NULL);
    attache_verification out;
    char *text = NULL;
    struct date d = date_from_time((time_t)1000000000000000000LL);

    CHECK_INT(d.year, 0);
    CHECK_INT(d.month, 0);
    d = date_from_time((time_t)1454630400);
    CHECK_INT(d.year, 2016);
    CHECK_INT(d.month, 2);
    CHECK_INT(d.day, 5);

    /* signed with a key the verifier does not have: the claims are described,
       and an issue time no calendar can print gives no date */
    CHECK_INT(token_sign(key, &c, &text, NULL), ATTACHE_OK);
    CHECK_INT(attache_verify_text(v, text, &out), ATTACHE_UNKNOWN_KEY);
    CHECK_STR(out.officer_name, "Chhy Ratha");
    CHECK_STR(out.issue_date, "");
    c.iat = 1454630400;
    free(text);
    CHECK_INT(token_sign(key, &c, &text, NULL), ATTACHE_OK);
    CHECK_INT(attache_verify_text(v, text, &out), ATTACHE_UNKNOWN_KEY);
    CHECK_STR(out.issue_date, "2016-02-05");
    free(text);
    attache_verifier_free(v);
    signing_key_free(key);
}

int main(void)
{
    test_forged_sizes();
    test_signed_huge_claims();
    test_indefinite_lengths();
    test_dates_out_of_range();
    return check_done();
}

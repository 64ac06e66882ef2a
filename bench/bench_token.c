/*
 * bench_token.c: signs and verifies per second, on one core.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keys.h"
#include "token.h"

static double now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int main(void)
{
    unsigned char seed[32] = {1};
    struct signing_key *k = signing_key_from_seed(seed, "asec");
    struct public_key pk;
    struct token_claims c = {"asec", 1454630400, NULL, "certificate", "vn-2015-02",
                             "Nguy\xe1\xbb\x85n Th\xe1\xbb\x8b Thu H\xc3\xa0", "aec-ascc-2", "aec-ascc"};
    struct token_info info;
    attache_error err;
    char reason[200], *tok = NULL;
    int i, n = 20000, valid = 0;
    double t0, t1, t2;

    memset(&pk, 0, sizeof pk);
    memcpy(pk.key, signing_key_public(k), 32);
    memcpy(pk.kid, signing_key_kid(k), KID_BYTES);
    strcpy(pk.issuer, "asec");
    t0 = now();
    for (i = 0; i < n; i++) {
        free(tok);
        c.iat++;
        if (token_sign(k, &c, &tok, &err) != ATTACHE_OK)
            return 1;
    }
    t1 = now();
    for (i = 0; i < n; i++)
        valid += token_verify(tok, &pk, 1, &info, reason, sizeof reason) == TOKEN_VALID;
    t2 = now();
    printf("tokens: %.0f signs/s, %.0f verifies/s on one core (%d of %d valid), %zu characters\n",
           n / (t1 - t0), n / (t2 - t1), valid, n, strlen(tok));
    free(tok);
    signing_key_free(k);
    return valid == n ? 0 : 1;
}

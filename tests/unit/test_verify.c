/* Unit tests of src/verify.c: trusted keys, revocation lists made and read,
 * and the verdicts they lead to. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "keys.h"
#include "token.h"

static char root[64];

static const char *at(const char *rel)
{
    static char path[4][256];
    static int n;

    n = (n + 1) % 4;
    snprintf(path[n], sizeof path[n], "%s/%s", root, rel);
    return path[n];
}

static void put(const char *rel, const char *text)
{
    FILE *f = fopen(at(rel), "w");

    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* The claims of officer `officer`'s certificate. */
static struct token_claims claims_of(const char *officer)
{
    const struct token_claims c = {"asec", 1454630400, NULL, "certificate", officer,
                                   "Chhy Ratha", "aec-ascc-2", "aec-ascc"};
    return c;
}

/* A certificate's token for `officer`, signed with the key file `key`; malloc'd. */
static char *token(const char *key, const char *officer)
{
    const struct token_claims c = claims_of(officer);
    attache_error err;
    struct signing_key *k = signing_key_load(at(key), &err);
    char *tok = NULL;

    if (k)
        token_sign(k, &c, &tok, &err);
    signing_key_free(k);
    return tok;
}

static void test_keys(void)
{
    attache_error err;
    attache_verifier *v = attache_verifier_new(&err);
    char name[32];
    int i;

    attache_error_clear(&err);
    CHECK(v != NULL);
    if (!v)
        return;
    CHECK_INT(attache_keygen(at("a"), "asec", NULL, NULL, &err), ATTACHE_OK);
    CHECK_INT(attache_verifier_add_key(v, at("a.pub"), &err), ATTACHE_OK);
    CHECK_INT(attache_verifier_add_key(v, at("a.pub"), &err), ATTACHE_OK);     /* same twice */
    CHECK_INT(attache_verifier_add_key(v, at("a.key"), &err), ATTACHE_ERR_DATA);
    CHECK_INT(attache_verifier_add_key(v, at("none.pub"), &err), ATTACHE_ERR_NOINPUT);
    /* at most 256 keys */
    for (i = 1; i < 256; i++) {
        snprintf(name, sizeof name, "k%d", i);
        attache_keygen(at(name), "asec", NULL, NULL, &err);
        snprintf(name, sizeof name, "k%d.pub", i);
        if (attache_verifier_add_key(v, at(name), &err) != ATTACHE_OK)
            break;
    }
    CHECK_INT(i, 256);
    CHECK_INT(attache_keygen(at("k256"), "asec", NULL, NULL, &err), ATTACHE_OK);
    CHECK_INT(attache_verifier_add_key(v, at("k256.pub"), &err), ATTACHE_ERR_USAGE);
    CHECK_STR(err.message, "more than 256 public keys");
    attache_verifier_free(v);
    attache_verifier_free(NULL);
}

static void test_revocations(void)
{
    attache_error err;
    attache_verifier *v;
    attache_verification out;
    struct token_claims c;
    char *good, *revoked, *other, gid[40], bid[40], xml[300];
    FILE *f;
    char buf[2048];
    size_t n;

    attache_error_clear(&err);
    CHECK_INT(attache_keygen(at("s"), "asec", NULL, NULL, &err), ATTACHE_OK);
    CHECK_INT(attache_keygen(at("o"), "asec", NULL, NULL, &err), ATTACHE_OK);
    good = token("s.key", "kh-2015-01");
    revoked = token("s.key", "vn-2015-02");
    other = token("o.key", "kh-2015-01");
    c = claims_of("kh-2015-01");
    token_document_id(gid, sizeof gid, &c);
    c = claims_of("vn-2015-02");
    token_document_id(bid, sizeof bid, &c);
    CHECK(good && revoked && other);

    /* a new list, then one more; a document twice is refused at its line */
    CHECK_INT(attache_revoke(at("r.xml"), bid, "issued in error", "2016-03-01", &err),
              ATTACHE_OK);
    CHECK_INT(attache_revoke(at("r.xml"), "C-CCCC-CCCC-CCCC", "name misspelt", "2016-03-02",
                             &err), ATTACHE_OK);
    CHECK_INT(attache_revoke(at("r.xml"), bid, "again", "2016-03-03", &err), ATTACHE_ERR_DATA);
    CHECK(!strncmp(err.message, "document C-", 11) && strstr(err.message, "is already revoked"));
    CHECK_INT(err.line, 3);
    f = fopen(at("r.xml"), "r");
    n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    CHECK(strstr(buf, "<revoked document=\"C-CCCC-CCCC-CCCC\" date=\"2016-03-02\">name misspelt"
                      "</revoked>") != NULL);

    CHECK_INT(attache_revoke(at("r.xml"), "C-DDDD", "x", "2016-02-30", &err), ATTACHE_ERR_USAGE);
    CHECK_STR(err.message, "the date '2016-02-30' is not YYYY-MM-DD");
    CHECK_INT(attache_revoke(at("r.xml"), "c-dddd", "x", "2016-03-01", &err), ATTACHE_ERR_USAGE);
    CHECK(strstr(err.message, "is not a document id") != NULL);
    CHECK_INT(attache_revoke(at("r.xml"), "-DDDD", "x", "2016-03-01", &err), ATTACHE_ERR_USAGE);
    CHECK_INT(attache_revoke(at("r.xml"), "C-DDDD", "", "2016-03-01", &err), ATTACHE_ERR_USAGE);
    CHECK_STR(err.message, "the reason must be 1 to 200 printable characters on one line");
    CHECK_INT(attache_revoke(at("r.xml"), "C-DDDD", "a\x1b[2Jb", "2016-03-01", &err),
              ATTACHE_ERR_USAGE);
    CHECK_INT(attache_revoke(at("r.xml"), "C-DDDD", "a\nb", "2016-03-01", &err),
              ATTACHE_ERR_USAGE);
    CHECK_INT(attache_revoke(at("r.xml"), "C-DDDD", "a\tb", "2016-03-01", &err),
              ATTACHE_ERR_USAGE);

    v = attache_verifier_new(&err);
    if (!CHECK(v != NULL))
        return;
    CHECK_INT(attache_verifier_add_key(v, at("s.pub"), &err), ATTACHE_OK);
    CHECK_INT(attache_verifier_add_revocations(v, at("r.xml"), &err), ATTACHE_OK);
    /* listed in a second list too: the first list's entry counts */
    snprintf(xml, sizeof xml, "<revocations version=\"1\"><revoked document=\"%s\" "
             "date=\"2017-01-01\">later</revoked></revocations>", bid);
    put("r2.xml", xml);
    CHECK_INT(attache_verifier_add_revocations(v, at("r2.xml"), &err), ATTACHE_OK);

    CHECK_INT(attache_verify_text(v, good, &out), ATTACHE_VALID);
    CHECK_STR(out.document_id, gid);
    CHECK_STR(out.officer_name, "Chhy Ratha");
    CHECK_STR(out.issue_date, "2016-02-05");
    CHECK_STR(out.reason, "");
    CHECK_INT(attache_verify_text(v, revoked, &out), ATTACHE_REVOKED);
    CHECK_STR(out.reason, "issued in error");
    CHECK_STR(out.revoked_on, "2016-03-01");
    CHECK_INT(attache_verify_text(v, other, &out), ATTACHE_UNKNOWN_KEY);
    CHECK_STR(out.document_id, gid);
    CHECK_INT(attache_verify_text(v, "ATT1:AAAA", &out), ATTACHE_INVALID);
    CHECK(out.reason[0] != '\0');
    CHECK_INT(attache_verify_text(v, "hello", &out), ATTACHE_INVALID);

    /* lists that are not lists */
    put("doctype.xml", "<!DOCTYPE revocations><revocations version=\"1\"/>");
    CHECK_INT(attache_verifier_add_revocations(v, at("doctype.xml"), &err), ATTACHE_ERR_DATA);
    CHECK_STR(err.message, "revocation lists may not have a DOCTYPE");
    put("wrong.xml", "<revoked version=\"1\"/>");
    CHECK_INT(attache_verifier_add_revocations(v, at("wrong.xml"), &err), ATTACHE_ERR_DATA);
    put("broken.xml", "<revocations version=\"1\">");
    CHECK_INT(attache_verifier_add_revocations(v, at("broken.xml"), &err), ATTACHE_ERR_DATA);
    CHECK_INT(attache_verifier_add_revocations(v, at("none.xml"), &err), ATTACHE_ERR_NOINPUT);
    CHECK_INT(attache_revoke(at("broken.xml"), "C-DDDD", "x", "2016-03-01", &err),
              ATTACHE_ERR_DATA);
    attache_verifier_free(v);
    free(good);
    free(revoked);
    free(other);
}

int main(void)
{
    char cmd[100];
    int rc;

    snprintf(root, sizeof root, "/tmp/attache-test-verify-XXXXXX");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_keys();
    test_revocations();
    rc = check_done();
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", root);
    return rc;
}

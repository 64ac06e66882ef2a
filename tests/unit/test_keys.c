/* Unit tests of src/keys.c: key pairs made, read back, and key files that are refused. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "keys.h"

static char root[64];

static const char *at(const char *rel)
{
    static char path[2][256];
    static int n;

    n = !n;
    snprintf(path[n], sizeof path[n], "%s/%s", root, rel);
    return path[n];
}

static void put(const char *rel, const char *text, mode_t mode)
{
    FILE *f = fopen(at(rel), "w");

    if (f) {
        fputs(text, f);
        fclose(f);
    }
    chmod(at(rel), mode);
}

/* A .pub file with this body refuses with `message` (a part of it) at `line`. */
static void refused_pub(const char *body, const char *message, unsigned long line)
{
    struct public_key k;
    attache_error err;

    attache_error_clear(&err);
    put("bad.pub", body, 0644);
    if (!CHECK(public_key_load(at("bad.pub"), &k, &err) == ATTACHE_ERR_DATA &&
               strstr(err.message, message) != NULL && err.line == line))
        fprintf(stderr, "    for:\n%s    said: %lu: %s\n", body, err.line, err.message);
}

static void test_keygen_and_load(void)
{
    attache_error err;
    struct public_key pub;
    struct signing_key *key;
    struct stat st;
    char hex[2 * KID_BYTES + 1];
    unsigned char sig[64];

    attache_error_clear(&err);
    CHECK_INT(attache_keygen(at("asec"), "asec", "2015-01-01", "2016-12-31", &err), ATTACHE_OK);
    CHECK(stat(at("asec.key"), &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(stat(at("asec.pub"), &st) == 0 && (st.st_mode & 0777) == 0644);

    key = signing_key_load(at("asec.key"), &err);
    CHECK(key != NULL);
    CHECK_INT(public_key_load(at("asec.pub"), &pub, &err), ATTACHE_OK);
    if (key) {
        CHECK_STR(signing_key_issuer(key), "asec");
        CHECK(!memcmp(signing_key_public(key), pub.key, 32));
        CHECK(!memcmp(signing_key_kid(key), pub.kid, KID_BYTES));
        signing_key_sign(key, (const unsigned char *)"x", 1, sig);
    }
    signing_key_free(key);
    signing_key_free(NULL);
    CHECK_STR(pub.issuer, "asec");
    CHECK_INT(pub.not_before, 1420070400);              /* 2015-01-01T00:00:00Z */
    CHECK_INT(pub.not_after, 1483228799);               /* 2016-12-31T23:59:59Z */
    kid_hex(pub.kid, hex);
    CHECK_INT(strlen(hex), 16);
    CHECK_INT(strspn(hex, "0123456789abcdef"), 16);

    /* never overwritten: not the pair, not either half */
    CHECK_INT(attache_keygen(at("asec"), "asec", NULL, NULL, &err), ATTACHE_ERR_CANTCREAT);
    CHECK(strstr(err.message, "already exists; attache never overwrites a key") != NULL);
    put("half.key", "x", 0600);
    CHECK_INT(attache_keygen(at("half"), "asec", NULL, NULL, &err), ATTACHE_ERR_CANTCREAT);
    CHECK(access(at("half.pub"), F_OK) != 0);           /* nothing left behind */

    CHECK_INT(attache_keygen(at("k2"), "not an id", NULL, NULL, &err), ATTACHE_ERR_USAGE);
    CHECK(strstr(err.message, "the issuer id 'not an id' is not an id") != NULL);
    CHECK_INT(attache_keygen(at("k2"), NULL, NULL, NULL, &err), ATTACHE_ERR_USAGE);
    CHECK_INT(attache_keygen(at("k2"), "asec", "2016-02-30", NULL, &err), ATTACHE_ERR_USAGE);
    CHECK_STR(err.message, "validity dates are YYYY-MM-DD");
    CHECK_INT(attache_keygen(at("k2"), "asec", NULL, "soon", &err), ATTACHE_ERR_USAGE);
    CHECK_INT(attache_keygen(at("no/such/folder/k"), "asec", NULL, NULL, &err),
              ATTACHE_ERR_CANTCREAT);
    CHECK(strstr(err.message, "cannot create") != NULL);
}

static void test_secret_key_refused(void)
{
    struct signing_key *key;
    attache_error err;

    attache_error_clear(&err);
    CHECK(signing_key_load(at("missing.key"), &err) == NULL);
    CHECK_INT(err.code, ATTACHE_ERR_NOINPUT);
    CHECK(strstr(err.message, "cannot open") != NULL);

    CHECK(signing_key_load(root, &err) == NULL);         /* a folder */
    CHECK_STR(err.message, "is not a key file");

    /* readable by others: refused before it is even read */
    CHECK(chmod(at("asec.key"), 0640) == 0);
    CHECK(signing_key_load(at("asec.key"), &err) == NULL);
    CHECK(strstr(err.message, "permissions 0640 are too open") != NULL);
    CHECK(chmod(at("asec.key"), 0600) == 0);

    put("pub-as.key", "attache-pub: 1\nissuer: asec\n", 0600);
    CHECK(signing_key_load(at("pub-as.key"), &err) == NULL);
    CHECK(strstr(err.message, "(it is the public key: use the .key file)") != NULL);
    put("other.key", "something: else\n", 0600);
    CHECK(signing_key_load(at("other.key"), &err) == NULL);
    CHECK(strstr(err.message, "unknown field 'something'") != NULL);
    put("nosecret.key", "attache-key: 1\nissuer: asec\nsecret: c2hvcnQ=\n", 0600);
    CHECK(signing_key_load(at("nosecret.key"), &err) == NULL);
    CHECK_STR(err.message, "has no valid 'secret' and 'issuer'");
    put("kid.key", "attache-key: 1\nissuer: asec\nkid: 0000000000000000\n"
                   "secret: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", 0600);
    CHECK(signing_key_load(at("kid.key"), &err) == NULL);
    CHECK(strstr(err.message, "its kid 0000000000000000 does not match its key") != NULL);
    put("good.key", "# a comment\r\n\nattache-key: 1\nissuer: asec\n"
                    "secret: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=   ", 0600);
    key = signing_key_load(at("good.key"), &err);       /* comments, CR LF, spaces */
    CHECK(key != NULL);
    if (key)
        CHECK_STR(signing_key_issuer(key), "asec");
    signing_key_free(key);
}

static void test_public_key_refused(void)
{
    static const char pk[] = "public: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    char body[512], longline[400];
    struct public_key k;
    attache_error err;

    refused_pub("attache-pub: 1\nno colon here\n", "expected 'name: value'", 2);
    refused_pub("attache-pub: 1\nissuer: a\nissuer: b\n", "'issuer' is given twice", 3);
    refused_pub("# comment\nattache-pub: 1\nsecrets: x\n", "unknown field 'secrets'", 3);
    memset(longline, 'x', sizeof longline - 1);
    longline[sizeof longline - 1] = '\0';
    snprintf(body, sizeof body, "attache-pub: 1\nissuer: %s\n", longline);
    refused_pub(body, "line is too long", 2);
    snprintf(body, sizeof body, "attache-pub: 1\nissuer: %.150s\n", longline);
    refused_pub(body, "'issuer' is too long", 2);
    refused_pub("attache-key: 1\n", "is not an attache public key", 0);
    refused_pub("attache-pub: 2\n", "is not an attache public key", 0);
    refused_pub("attache-pub: 1\nissuer: asec\npublic: short\n", "has no valid 'public' key", 0);
    snprintf(body, sizeof body, "attache-pub: 1\nissuer: a b\n%s", pk);
    refused_pub(body, "has no valid 'issuer'", 0);
    snprintf(body, sizeof body, "attache-pub: 1\nissuer: asec\nkid: 0123456789abcdef\n%s", pk);
    refused_pub(body, "its kid 0123456789abcdef does not match its key", 0);
    snprintf(body, sizeof body, "attache-pub: 1\nissuer: asec\n%snot-before: 2015-02-30\n", pk);
    refused_pub(body, "not-before is not a date", 0);
    snprintf(body, sizeof body, "attache-pub: 1\nissuer: asec\n%snot-after: 2015\n", pk);
    refused_pub(body, "not-after is not a date", 0);

    /* without a kid line or a window: the kid is computed, no limits */
    snprintf(body, sizeof body, "attache-pub: 1\nissuer: asec\n%s", pk);
    put("ok.pub", body, 0644);
    CHECK_INT(public_key_load(at("ok.pub"), &k, &err), ATTACHE_OK);
    CHECK_INT(k.not_before, 0);
    CHECK_INT(k.not_after, 0);
    CHECK_STR(k.file, at("ok.pub"));
    CHECK_INT(public_key_load(at("none.pub"), &k, &err), ATTACHE_ERR_NOINPUT);
}

int main(void)
{
    char cmd[100];
    int rc;

    snprintf(root, sizeof root, "/tmp/attache-test-keys-XXXXXX");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_keygen_and_load();
    test_secret_key_refused();
    test_public_key_refused();
    rc = check_done();
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", root);
    return rc;
}

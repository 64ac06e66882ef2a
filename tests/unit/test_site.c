/*
 * test_site.c: the verification site's files (site.c): trust.json from the
 * verifier's keys and revocation list, 404.html from the page with its base,
 * and what attache_site_write refuses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "attache.h"

static char *slurp(const char *dir, const char *name)
{
    char path[512];
    FILE *f;
    char *s = calloc(1, 1 << 20);

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "rb");
    if (!f || !s) {
        if (f)
            fclose(f);
        free(s);
        return NULL;
    }
    if (fread(s, 1, (1 << 20) - 1, f) == 0)
        s[0] = '\0';
    fclose(f);
    return s;
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

int main(void)
{
    char dir[] = "/tmp/attache-test-site-XXXXXX", path[600], site[600];
    attache_error err;
    attache_verifier *v;
    char *trust, *index, *notfound, *base;

    if (!mkdtemp(dir))
        return 1;
    attache_error_clear(&err);
    v = attache_verifier_new(&err);
    snprintf(path, sizeof path, "%s/k.pub", dir);
    put(path, "attache-pub: 1\nissuer: asec\nkid: 56475aa75463474c\n"
              "public: A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\nnot-after: 2030-12-31\n");
    CHECK_INT(attache_verifier_add_key(v, path, &err), ATTACHE_OK);
    snprintf(site, sizeof site, "%s/site", dir);

    /* no revocation list: null */
    CHECK_INT(attache_site_write(v, site, NULL, "2016-03-02", &err), ATTACHE_OK);
    trust = slurp(site, "trust.json");
    CHECK(trust && strstr(trust, "{\"kid\": \"56475aa75463474c\", \"issuer\": \"asec\", "
                                 "\"public\": \"A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\", "
                                 "\"not-before\": null, \"not-after\": \"2030-12-31\"}"));
    CHECK(trust && strstr(trust, "\"revocations\": null"));
    free(trust);

    /* a list: sorted by document id, reasons escaped for JSON */
    snprintf(path, sizeof path, "%s/r.xml", dir);
    put(path, "<revocations version=\"1\">\n"
              "  <revoked document=\"L-BBBB-BBBB-BBBB\" date=\"2016-03-02\">say \"no\" \\</revoked>\n"
              "  <revoked document=\"C-AAAA-AAAA-AAAA\" date=\"2016-03-01\">Issued in error</revoked>\n"
              "</revocations>\n");
    CHECK_INT(attache_verifier_add_revocations(v, path, &err), ATTACHE_OK);
    CHECK_INT(attache_site_write(v, site, "/verify/", "2016-03-03", &err), ATTACHE_OK);
    trust = slurp(site, "trust.json");
    CHECK(trust && strstr(trust, "\"published\": \"2016-03-03\""));
    CHECK(trust && strstr(trust,
        "\"C-AAAA-AAAA-AAAA\": {\"date\": \"2016-03-01\", \"reason\": \"Issued in error\"},\n"
        "      \"L-BBBB-BBBB-BBBB\": {\"date\": \"2016-03-02\", \"reason\": \"say \\\"no\\\" \\\\\"}"));
    free(trust);

    /* 404.html is index.html with a <base> */
    index = slurp(site, "index.html");
    notfound = slurp(site, "404.html");
    base = notfound ? strstr(notfound, "<base href=\"/verify/\">\n") : NULL;
    CHECK(index && base);
    if (index && base) {
        memmove(base, base + strlen("<base href=\"/verify/\">\n"),
                strlen(base + strlen("<base href=\"/verify/\">\n")) + 1);
        CHECK_STR(notfound, index);
        CHECK(!strstr(index, "<base") && !strstr(index, "attache-site-base"));
    }
    free(index);
    free(notfound);

    /* refused before anything is written */
    snprintf(site, sizeof site, "%s/other", dir);
    CHECK_INT(attache_site_write(v, site, "verify/", "2016-03-03", &err), ATTACHE_ERR_USAGE);
    CHECK_INT(attache_site_write(v, site, "/a/../", "2016-03-03", &err), ATTACHE_ERR_USAGE);
    CHECK_INT(attache_site_write(v, site, "/\"/", "2016-03-03", &err), ATTACHE_ERR_USAGE);
    CHECK_INT(attache_site_write(v, site, "/", "2016-02-30", &err), ATTACHE_ERR_USAGE);
    CHECK(access(site, F_OK) != 0);

    attache_verifier_free(v);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    if (system(path) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    return check_done();
}

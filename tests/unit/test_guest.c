/*
 * test_guest.c: libattache behaves as a guest in its host's libxml2.
 *
 * The test plays a host that uses libxml2 itself: it installs its own
 * structured and generic error handlers and its own external entity
 * loader, then validates good and bad data, loads good and bad templates
 * and revocation lists, generates documents and verifies tokens.  After
 * each, its handlers must still be in place, and none of the library's
 * errors may have reached them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "attache.h"
#include "check.h"
#include "fixture.h"

static int host_ctx, host_generic_ctx;
static int structured_calls, generic_calls, loader_calls;

static void host_structured(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    (void)e;
    structured_calls++;
}

static void host_generic(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
    generic_calls++;
}

static xmlParserInputPtr host_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    (void)url;
    (void)id;
    (void)ctxt;
    loader_calls++;
    return NULL;
}

/* The host's handlers are all in place and have not been called. */
static void check_host(const char *after)
{
    int ok = xmlStructuredError == host_structured && xmlStructuredErrorContext == &host_ctx &&
             xmlGenericError == host_generic && xmlGenericErrorContext == &host_generic_ctx &&
             xmlGetExternalEntityLoader() == host_loader;

    if (!CHECK(ok))
        fprintf(stderr, "    after %s: the host's libxml2 handlers were replaced\n", after);
    if (!CHECK(structured_calls == 0 && generic_calls == 0 && loader_calls == 0))
        fprintf(stderr, "    after %s: the host's handlers were called (%d, %d, %d)\n", after,
                structured_calls, generic_calls, loader_calls);
}

static const char data_xml[] =
    FIXTURE_DATA(FIXTURE_OFFICER("kh-01", "Chhy Ratha", "KH", ""));

static char dir[] = "/tmp/attache-guest-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return path;
}

int main(void)
{
    attache_error err;
    attache_data *d;
    attache_verifier *v;
    attache_verification out;
    attache_generate_options g = {0};
    attache_generate_result r;
    char key[512], outdir[512], list[512];
    static const char broken[] = "<?xml version=\"1.0\"?>\n<attache version=\"1\">\n<issuer>\n</attache>\n";
    static const char invalid[] = "<?xml version=\"1.0\"?>\n<attache version=\"1\"><nothing/></attache>\n";

    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    xmlInitParser();
    xmlSetStructuredErrorFunc(&host_ctx, host_structured);
    xmlSetGenericErrorFunc(&host_generic_ctx, host_generic);
    xmlSetExternalEntityLoader(host_loader);

    /* validate */
    d = attache_data_load((const unsigned char *)data_xml, strlen(data_xml), NULL, &err);
    CHECK(d != NULL);
    check_host("loading good data");
    CHECK(!attache_data_load((const unsigned char *)broken, strlen(broken), NULL, &err));
    CHECK(!attache_data_load((const unsigned char *)invalid, strlen(invalid), NULL, &err));
    check_host("loading bad data");

    /* templates */
    CHECK_INT(attache_template_check_kind("certificate", "certificate", &err), ATTACHE_OK);
    CHECK(attache_template_check_kind(write_file("bad.xml", "<template><page></templ>"),
                                      "certificate", &err) != ATTACHE_OK);
    CHECK(attache_template_check_kind(write_file("bad2.xml", "<template version=\"1\" "
                                                 "name=\"x\" kind=\"x\" size=\"A5\"><page>"
                                                 "<text x=\"1mm\" y=\"1mm\" w=\"9mm\">"
                                                 "{1 +}</text></page></template>"),
                                      "x", &err) != ATTACHE_OK);
    CHECK(strstr(err.message, "not a valid XPath expression") != NULL);
    CHECK(attache_template_builtin_count() > 0);
    check_host("loading templates");

    /* generate */
    snprintf(key, sizeof key, "%s/k", dir);
    CHECK_INT(attache_keygen(key, "asec", NULL, NULL, &err), ATTACHE_OK);
    snprintf(key, sizeof key, "%s/k.key", dir);
    snprintf(outdir, sizeof outdir, "%s/out", dir);
    g.template_name = "certificate";
    g.output_dir = outdir;
    g.key_path = key;
    g.jobs = 1;
    g.issued_at = 1454630400;
    if (d)
        CHECK_INT(attache_generate(d, &g, &r, &err), ATTACHE_OK);
    check_host("generating");

    /* verify, with good and bad revocation lists */
    snprintf(list, sizeof list, "%s/revoked.xml", dir);
    CHECK_INT(attache_revoke(list, "C-VOY5-4WN7-YVQM", "lost", "2020-01-01", &err), ATTACHE_OK);
    v = attache_verifier_new(&err);
    CHECK_INT(attache_verifier_add_revocations(v, list, &err), ATTACHE_OK);
    CHECK(attache_verifier_add_revocations(v, write_file("r.xml", "<revocations><x></revocations>"),
                                           &err) != ATTACHE_OK);
    CHECK(attache_verifier_add_revocations(v, write_file("r2.xml", "<revocations version=\"1\">"
                                                         "<y/></revocations>"), &err) != ATTACHE_OK);
    CHECK_INT(attache_verify_text(v, "ATT1:AAAA", &out), ATTACHE_INVALID);
    attache_verifier_free(v);
    check_host("verifying");

    attache_data_free(d);
    fixture_remove_tree(dir);
    return check_done();
}

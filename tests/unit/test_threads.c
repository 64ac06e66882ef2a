/*
 * test_threads.c: what attache.h says may run in several threads at once
 * does: two threads each load data, generate documents (one with two
 * workers of its own; certificates with a logo and a signature, then
 * letters) and verify the tokens written, with one verifier
 * shared between them, at the same time.  `make test-tsan` runs it built
 * with ThreadSanitizer; in the plain build it checks the results.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attache.h"
#include "check.h"
#include "fixture.h"

#define ROUNDS 2

static const char data_xml[] =
    FIXTURE_DATA(FIXTURE_OFFICER("kh-01", "Chhy Ratha", "KH", "")
                 FIXTURE_OFFICER("vn-02", "Nguyen Thu Ha", "VN", ""));

/* The same with a logo and a signature: their images are prepared by the
   run and its workers at once (image_cache_prepare_asked) */
static const char pictures_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<attache version=\"1\">\n"
    "  <issuer id=\"asec\"><name>ASEAN Secretariat</name><address>Jakarta</address>"
    "<logo src=\"logo.png\"/></issuer>\n"
    "  <programme id=\"p\"><title>Programme</title>\n"
    "    <batch id=\"b1\" number=\"1\" start=\"2015-02-09\" end=\"2016-02-05\">\n"
    "      <signatory><name>A Signatory</name><title>Director</title>"
    "<signature src=\"sig-tdp.png\"/></signatory>\n"
    FIXTURE_OFFICER("kh-01", "Chhy Ratha", "KH", "")
    FIXTURE_OFFICER("vn-02", "Nguyen Thu Ha", "VN", "")
    "    </batch>\n"
    "  </programme>\n"
    "</attache>\n";

static char dir[] = "/tmp/attache-threads-XXXXXX";
static char key_path[512];
static attache_verifier *verifier;

struct worker {
    int n;
    unsigned jobs;
    int loaded, written, valid;      /* results, checked by main() */
};

/* Verify the QR text of every row of DIR/manifest.csv (its last column). */
static int verify_manifest(const char *out)
{
    char path[600], line[2048];
    int valid = 0;
    FILE *f;

    snprintf(path, sizeof path, "%s/manifest.csv", out);
    f = fopen(path, "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f)) {
        char *qr = strrchr(line, ',');
        attache_verification v;

        if (!qr || strncmp(line, "document_id,", 12) == 0)
            continue;
        qr[1 + strcspn(qr + 1, "\r\n")] = '\0';
        valid += attache_verify_text(verifier, qr + 1, &v) == ATTACHE_VALID;
    }
    fclose(f);
    return valid;
}

static void *work(void *arg)
{
    struct worker *w = arg;
    int round;

    for (round = 0; round < ROUNDS; round++) {
        attache_data_options o = {.name = "threads.xml"};
        attache_generate_options g = {0};
        attache_generate_result r;
        attache_error err;
        attache_data *d;
        const char *xml = round ? data_xml : pictures_xml;
        char out[600];

        if (!round)
            o.base_dir = "samples/assets";
        d = attache_data_load((const unsigned char *)xml, strlen(xml), &o, &err);
        if (!d)
            continue;
        w->loaded++;
        snprintf(out, sizeof out, "%s/out-%d-%d", dir, w->n, round);
        g.template_name = round ? "letter" : "certificate";
        g.output_dir = out;
        g.key_path = key_path;
        g.jobs = w->jobs;
        g.issued_at = 1454630400;
        if (attache_generate(d, &g, &r, &err) == ATTACHE_OK)
            w->written += (int)r.written;
        w->valid += verify_manifest(out);
        attache_data_free(d);
    }
    return NULL;
}

int main(void)
{
    struct worker w[2] = {{.n = 0, .jobs = 1}, {.n = 1, .jobs = 2}};
    pthread_t th[2];
    attache_error err;
    char name[600];
    int i;

    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    CHECK(fixture_key(dir, key_path, sizeof key_path, name));
    verifier = attache_verifier_new(&err);
    CHECK_INT(attache_verifier_add_key(verifier, name, &err), ATTACHE_OK);

    for (i = 0; i < 2; i++)
        CHECK_INT(pthread_create(&th[i], NULL, work, &w[i]), 0);
    for (i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    for (i = 0; i < 2; i++) {
        CHECK_INT(w[i].loaded, ROUNDS);
        CHECK_INT(w[i].written, 2 * ROUNDS);
        CHECK_INT(w[i].valid, 2 * ROUNDS);
    }
    attache_verifier_free(verifier);
    fixture_remove_tree(dir);
    return check_done();
}

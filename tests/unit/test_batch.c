/*
 * test_batch.c: what attache_generate says about a run that ends early.
 * result.stopped is true whenever the run ended before its documents were
 * all made, however early that was; a run that went through says false.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attache.h"
#include "check.h"

static const char data_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<attache version=\"1\">\n"
    "  <issuer id=\"asec\"><name>ASEAN Secretariat</name><address>Jakarta</address></issuer>\n"
    "  <programme id=\"p\"><title>Programme</title>\n"
    "    <batch id=\"b1\" number=\"1\" start=\"2015-02-09\" end=\"2016-02-05\">\n"
    "      <signatory><name>A Signatory</name><title>Director</title></signatory>\n"
    "      <officer id=\"kh-01\" status=\"graduated\">\n"
    "        <name>Chhy Ratha</name>\n"
    "        <country code=\"KH\"/><ministry>Ministry</ministry>\n"
    "        <placement department=\"ASCC\"/>\n"
    "      </officer>\n"
    "    </batch>\n"
    "  </programme>\n"
    "</attache>\n";

static char dir[] = "/tmp/attache-batch-XXXXXX";
static char key_path[512], out[600];

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Run the certificates over the data with the options *g; the run's status. */
static attache_status run(attache_data *d, attache_generate_options *g,
                          attache_generate_result *r)
{
    attache_error err;

    g->template_name = "certificate";
    g->output_dir = out;
    g->issued_at = 1454630400;
    g->jobs = 2;
    attache_error_clear(&err);
    return attache_generate(d, g, r, &err);
}

int main(void)
{
    attache_data_options o = {.name = "batch.xml"};
    attache_generate_result r;
    attache_error err;
    attache_data *d;
    char name[600];

    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(name, sizeof name, "%s/k", dir);
    CHECK_INT(attache_keygen(name, "asec", NULL, NULL, &err), ATTACHE_OK);
    snprintf(key_path, sizeof key_path, "%s/k.key", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    d = attache_data_load((const unsigned char *)data_xml, strlen(data_xml), &o, &err);
    CHECK(d != NULL);
    if (!d)
        return check_done();

    {   /* a shard that does not exist: the first thing checked */
        attache_generate_options g = {.key_path = key_path, .shard = 3, .shards = 2};
        CHECK_INT(run(d, &g, &r), ATTACHE_ERR_USAGE);
        CHECK(r.stopped);
        CHECK_INT((int)r.written, 0);
    }
    {   /* no key */
        attache_generate_options g = {0};
        CHECK_INT(run(d, &g, &r), ATTACHE_ERR_USAGE);
        CHECK(r.stopped);
    }
    {   /* a print file that cannot be written: the documents are, the run stops */
        attache_generate_options g = {.key_path = key_path};
        char merge[700];
        snprintf(merge, sizeof merge, "%s/no/such/folder/all.pdf", dir);
        g.merge_path = merge;
        CHECK(run(d, &g, &r) != ATTACHE_OK);
        CHECK(r.stopped);
    }
    {   /* a run that goes through */
        attache_generate_options g = {.key_path = key_path, .force = true};
        CHECK_INT(run(d, &g, &r), ATTACHE_OK);
        CHECK(!r.stopped);
        CHECK_INT((int)r.written, 1);
        CHECK_INT((int)r.failed, 0);
    }
    attache_data_free(d);
    nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    return check_done();
}

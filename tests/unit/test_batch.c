/*
 * test_batch.c: what attache_generate says about a run that ends early.
 * result.stopped is true whenever the run ended before its documents were
 * all made, however early that was; a run that went through says false.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attache.h"
#include "check.h"
#include "fixture.h"

static const char data_xml[] =
    FIXTURE_DATA(FIXTURE_OFFICER("kh-01", "Chhy Ratha", "KH", ""));

static char dir[] = "/tmp/attache-batch-XXXXXX";
static char key_path[512], out[600];

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

    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    CHECK(fixture_key(dir, key_path, sizeof key_path, NULL));
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
    fixture_remove_tree(dir);
    return check_done();
}

/* Unit tests of src/data.c: loading, the index, and the per-officer views. */
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "check.h"
#include "data.h"
#include "util.h"
#include "xml.h"

static const char good[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<attache version=\"1\">\n"
    "  <issuer id=\"asec\"><name>ASEAN  Secretariat</name><address>Jakarta</address></issuer>\n"
    "  <programme id=\"p\"><title>  The\n Programme </title>\n"
    "    <batch id=\"b1\" number=\"2\" start=\"2015-02-09\" end=\"2016-02-05\">\n"
    "      <signatory><name>Tran Dong Phuong</name><title>Director</title></signatory>\n"
    "      <induction start=\"2015-02-09\" end=\"2015-02-13\">\n"
    "        <session date=\"2015-02-09\" start=\"09:00\" end=\"10:30\" kind=\"briefing\"><topic>Intro</topic></session>\n"
    "      </induction>\n"
    "      <officer id=\"kh-01\" status=\"graduated\"><name>Chhy Ratha</name>"
    "<name xml:lang=\"km\">\xe1\x9e\x88\xe1\x9e\xB8</name><country code=\"KH\"/>"
    "<ministry>M</ministry><placement department=\"ASCC\"/></officer>\n"
    "      <officer id=\"vn-02\" status=\"withdrawn\"><name>Nguye\xcc\x82\xcc\x83n Thi\xcc\xa3</name><country code=\"VN\"/>"
    "<ministry>M</ministry><placement department=\"AEC\"/></officer>\n"
    "    </batch>\n"
    "    <batch id=\"b2\" number=\"3\" start=\"2016-02-15\" end=\"2017-02-10\">\n"
    "      <signatory><name>Someone</name><title>Director</title></signatory>\n"
    "      <officer id=\"la-03\" status=\"selected\"><name>Phonesavanh</name><country code=\"LA\"/>"
    "<ministry>M</ministry><placement department=\"AEC\"/></officer>\n"
    "    </batch>\n"
    "  </programme>\n"
    "</attache>\n";

struct seen {
    int n;
    char ids[4][32];
    char xpath[4][128];
};

static char *eval(xmlDocPtr doc, xmlNodePtr ctx, const char *expr)
{
    xmlXPathContextPtr x = xmlXPathNewContext(doc);
    xmlXPathObjectPtr o;
    char *s;

    x->node = ctx;
    o = xmlXPathEvalExpression(BAD_CAST expr, x);
    if (o) {
        xmlChar *v = xmlXPathCastToString(o);
        s = strdup((const char *)v);
        xmlFree(v);
    } else
        s = strdup("");
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(x);
    return s;
}

static attache_status collect(void *ctx, struct officer_view *v)
{
    struct seen *s = ctx;
    char *a = eval(v->doc, v->officer, "concat(../@number, '|', ../../title, '|', "
                   "/attache/issuer/name, '|', name, '|', count(../officer), '|', "
                   "count(../induction/session))");

    snprintf(s->ids[s->n], sizeof s->ids[0], "%s", v->ref->id);
    snprintf(s->xpath[s->n], sizeof s->xpath[0], "%s", a);
    free(a);
    s->n++;
    return ATTACHE_OK;
}

/* Views kept past the walk's call, to be shown after it, as a worker would. */
struct kept {
    int n;
    struct officer_view v[4];
};

static attache_status keep(void *ctx, struct officer_view *v)
{
    struct kept *k = ctx;

    CHECK(data_view_keep(v));
    /* kept, the view is the officer alone */
    CHECK(xmlDocGetRootElement(v->doc) == v->officer);
    k->v[k->n++] = *v;
    return ATTACHE_OK;
}

/*
 * A shown view as the fingerprint takes it, in pieces: together, what
 * xml_dump() writes of the whole, for the batch's first officer (for whom
 * the headers' pieces are written) and for the later ones alike.
 */
static void dumps_in_pieces(struct view_cache *c, const struct officer_view *v)
{
    struct buf whole = {0}, officer = {0}, joined = {0};
    const struct buf *before, *after;

    CHECK(xml_dump(v->doc, &whole));
    CHECK(view_cache_dump(c, v, &officer, &before, &after));
    CHECK(before->len > 0 && after->len > 0);         /* a view is plain: cut in three */
    buf_add(&joined, before->data, before->len);
    buf_add(&joined, officer.data, officer.len);
    buf_add(&joined, after->data, after->len);
    CHECK(joined.len == whole.len && !memcmp(joined.data, whole.data, whole.len));
    CHECK(strstr(officer.data, "<officer") == officer.data);
    buf_release(&whole);
    buf_release(&officer);
    buf_release(&joined);
}

static void check_kept(const attache_data *d, const struct seen *direct)
{
    attache_error err;
    struct kept k = {0};
    struct view_cache *c = view_cache_new();
    xmlDocPtr first_doc = NULL;
    int i;

    CHECK_INT(data_foreach(d, NULL, keep, &k, &err), ATTACHE_OK);
    CHECK_INT(k.n, 3);
    /* shown after the walk, each as a template sees it, and as the walk showed it */
    for (i = 0; i < 2; i++) {
        char *a;

        CHECK(view_cache_show(c, &k.v[i]));
        a = eval(k.v[i].doc, k.v[i].officer,
                 "concat(../@number, '|', ../../title, '|', /attache/issuer/name, '|', name, "
                 "'|', count(../officer), '|', count(../induction/session))");
        CHECK_STR(a, direct->xpath[i]);
        free(a);
        a = eval(k.v[i].doc, k.v[i].officer, "string(name[@lang = 'km'])");
        CHECK_STR(a, i == 0 ? "\xe1\x9e\x88\xe1\x9e\xB8" : "");
        free(a);
        /* the batch's headers are copied once, for its first officer */
        if (i == 0)
            first_doc = k.v[i].doc;
        CHECK(k.v[i].doc == first_doc);
        dumps_in_pieces(c, &k.v[i]);
        data_view_done(&k.v[i]);
    }
    /* another batch: other headers */
    CHECK(view_cache_show(c, &k.v[2]));
    dumps_in_pieces(c, &k.v[2]);
    {
        char *a = eval(k.v[2].doc, k.v[2].officer,
                       "concat(../@number, '|', count(../officer), '|', count(//officer))");
        CHECK_STR(a, "3|1|1");
        free(a);
    }
    data_view_done(&k.v[2]);
    view_cache_free(c);

    /* views kept and never shown are released whole (valgrind and ASan see leaks) */
    memset(&k, 0, sizeof k);
    CHECK_INT(data_foreach(d, NULL, keep, &k, &err), ATTACHE_OK);
    for (i = 0; i < k.n; i++)
        data_view_release(&k.v[i]);
}

int main(void)
{
    attache_error err;
    attache_data_options o = {.name = "t.xml"};
    attache_data *d = attache_data_load((const unsigned char *)good, strlen(good), &o, &err);
    struct seen s = {0};
    bool want[3] = {true, false, true};

    CHECK(d != NULL);
    if (!d)
        return check_done();
    CHECK_INT(attache_data_batch_count(d), 2);
    CHECK_INT(attache_data_batch(d, 0)->officers, 2);
    CHECK_INT(attache_data_batch(d, 0)->graduated, 1);
    CHECK_INT(attache_data_batch(d, 0)->withdrawn, 1);
    CHECK_INT(attache_data_batch(d, 0)->sessions, 1);
    CHECK_STR(attache_data_batch(d, 0)->ordinal, "2nd");
    CHECK_STR(attache_data_batch(d, 1)->ordinal, "3rd");
    CHECK_STR(attache_data_batch(d, 0)->programme_title, "The Programme");
    CHECK_INT(data_officer_count(d), 3);
    CHECK_STR(data_officer(d, 1)->name, "Nguy\xe1\xbb\x85n Th\xe1\xbb\x8b");
    CHECK_INT(data_find_officer(d, "la-03"), 2);
    CHECK_INT(data_find_officer(d, "nobody"), -1);
    CHECK_INT(data_find_batch(d, "b2"), 1);

    CHECK_INT(data_foreach(d, NULL, collect, &s, &err), ATTACHE_OK);
    CHECK_INT(s.n, 3);
    CHECK_STR(s.ids[0], "kh-01");
    CHECK_STR(s.xpath[0], "2|The Programme|ASEAN Secretariat|Chhy Ratha|1|1");
    CHECK_STR(s.xpath[1], "2|The Programme|ASEAN Secretariat|Nguy\xe1\xbb\x85n Th\xe1\xbb\x8b|1|1");
    CHECK_STR(s.xpath[2], "3|The Programme|ASEAN Secretariat|Phonesavanh|1|0");

    memset(&s, 0, sizeof s);
    CHECK_INT(data_foreach(d, want, collect, &s, &err), ATTACHE_OK);
    CHECK_INT(s.n, 2);
    CHECK_STR(s.ids[1], "la-03");

    memset(&s, 0, sizeof s);
    CHECK_INT(data_foreach(d, NULL, collect, &s, &err), ATTACHE_OK);
    check_kept(d, &s);
    attache_data_free(d);

    d = attache_data_load((const unsigned char *)"<attache/>", 10, &o, &err);
    CHECK(d == NULL);
    CHECK_INT(err.code, ATTACHE_ERR_DATA);
    CHECK_STR(err.file, "t.xml");
    attache_data_free(NULL);
    return check_done();
}

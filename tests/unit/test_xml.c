/* Unit tests of src/xml.c: built-in schemas, and libxml2's messages said as attache's. */
#include <string.h>

#include <libxml/parser.h>

#include "check.h"
#include "util.h"
#include "xml.h"

static const struct {
    const char *in, *out;
} messages[] = {
    {"Opening and ending tag mismatch: nam line 18 and name\n",
     "opening and ending tag mismatch: nam line 18 and name"},
    {"Element 'revocations': The attribute 'version' is required but missing.\n",
     "element 'revocations': The attribute 'version' is required but missing"},
    {"Couldn't find end of Start Tag template line 1\n",
     "couldn't find end of Start Tag template line 1"},
    {"Undefined variable\n", "undefined variable"},
    {"Attribute x redefined\n", "attribute x redefined"},
    {"first line...  \nsecond line.\n", "first line"},
    {"XPath error\n", "XPath error"},           /* an acronym keeps its capitals */
    {"A\n", "A"},
    {"...\n", ""},
    {"", ""},
};

static void test_clean(void)
{
    char out[100], small[8];
    size_t i;

    for (i = 0; i < sizeof messages / sizeof messages[0]; i++)
        CHECK_STR(xml_message_clean(out, sizeof out, messages[i].in), messages[i].out);
    CHECK_STR(xml_message_clean(out, sizeof out, NULL), "");
    /* clipped to the buffer, then cleaned */
    CHECK_STR(xml_message_clean(small, sizeof small, "Attribute x redefined"), "attribu");
}

static void test_first_error(void)
{
    attache_error err;
    struct xml_first_error f = {"t.xml", "template: ", &err, false};
    xmlError warning, e1, e2;

    attache_error_clear(&err);
    memset(&warning, 0, sizeof warning);
    warning.level = XML_ERR_WARNING;
    warning.message = (char *)"Just a warning.\n";
    warning.line = 3;
    xml_first_error_record(&f, &warning);
    CHECK(!f.seen);
    CHECK_INT(err.code, ATTACHE_OK);

    memset(&e1, 0, sizeof e1);
    e1.level = XML_ERR_ERROR;
    e1.message = (char *)"Element 'text', attribute 'bogus': The attribute 'bogus' is not "
                         "allowed.\n";
    e1.line = 35;
    e2 = e1;
    e2.message = (char *)"A later error.\n";
    e2.line = 40;
    xml_first_error_record(&f, &e1);
    xml_first_error_record(&f, &e2);
    CHECK(f.seen);
    CHECK_INT(err.code, ATTACHE_ERR_DATA);
    CHECK_STR(err.file, "t.xml");
    CHECK_INT(err.line, 35);
    CHECK_STR(err.message, "template: element 'text', attribute 'bogus': The attribute 'bogus' "
                           "is not allowed");

    /* no line, no message */
    attache_error_clear(&err);
    f.seen = false;
    f.prefix = "";
    memset(&e1, 0, sizeof e1);
    e1.level = XML_ERR_FATAL;
    xml_first_error_record(&f, &e1);
    CHECK_INT(err.line, 0);
    CHECK_STR(err.message, "invalid");
}

static void test_schemas(void)
{
    static const char *const names[] = {"schema/attache-1.xsd", "schema/template-1.xsd",
                                        "schema/revocations-1.xsd"};
    size_t i;

    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        xmlSchemaPtr s = xml_schema_compile(names[i]);
        CHECK(s != NULL);
        xmlSchemaFree(s);
    }
    CHECK(xml_schema_compile("schema/none.xsd") == NULL);
    CHECK(xml_schema_compile("templates/certificate.xml") == NULL);   /* not a schema */
}

/*
 * xml_dump_plain_around() each node below `n`, and `n`: before, the node
 * (xml_dump_plain_node) and after are libxml2's bytes of the document when
 * it is plain; false, the buffers as they were, when it is not.
 */
static void splits_alike(xmlDocPtr doc, xmlNodePtr n, bool plain, const char *theirs,
                         size_t len)
{
    struct buf before = {0}, node = {0}, after = {0};
    bool around, whole;
    xmlNodePtr c;

    buf_adds(&before, "b");                  /* appended to, or left as they were */
    buf_adds(&after, "a");
    around = xml_dump_plain_around(doc, n, &before, &after);
    whole = xml_dump_plain_node(doc, n, &node);
    if (!around) {
        CHECK_STR(before.data, "b");
        CHECK_STR(after.data, "a");
    }
    if (!whole)
        CHECK(node.len == 0);
    if (plain) {
        /* a plain document is cut around any of its nodes, and adds up again */
        CHECK(around && whole);
        CHECK(around && whole && before.len - 1 + node.len + after.len - 1 == len &&
              !memcmp(before.data + 1, theirs, before.len - 1) &&
              !memcmp(node.data, theirs + before.len - 1, node.len) &&
              !memcmp(after.data + 1, theirs + before.len - 1 + node.len, after.len - 1));
    }
    buf_release(&before);
    buf_release(&node);
    buf_release(&after);
    for (c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE || c->type == XML_TEXT_NODE)
            splits_alike(doc, c, plain, theirs, len);
}

/*
 * xml_dump_plain() against libxml2's writer: the same bytes, or false; and
 * xml_dump() the same bytes either way; and the same cut around any node.
 */
static bool dumps_alike(xmlDocPtr doc)
{
    struct buf mine = {0}, any = {0};
    xmlChar *theirs = NULL;
    int len = 0;
    bool plain;

    buf_adds(&mine, "kept");                 /* appended to, or left as it was */
    buf_adds(&any, "kept");
    plain = xml_dump_plain(doc, &mine);
    xmlDocDumpMemoryEnc(doc, &theirs, &len, "UTF-8");
    if (plain) {
        CHECK(mine.len == 4 + (size_t)len);
        CHECK(mine.len == 4 + (size_t)len && !memcmp(mine.data + 4, theirs, (size_t)len));
    } else {
        CHECK_STR(mine.data, "kept");
    }
    CHECK(xml_dump(doc, &any));
    CHECK(any.len == 4 + (size_t)len && !memcmp(any.data + 4, theirs, (size_t)len));
    splits_alike(doc, xmlDocGetRootElement(doc), plain, (const char *)theirs, (size_t)len);
    xmlFree(theirs);
    buf_release(&mine);
    buf_release(&any);
    return plain;
}

static void test_dump_plain(void)
{
    static const char *const plain[] = {
        "<a/>",
        "<?xml version='1.0'?><attache version=\"1\"><issuer id=\"asec\"><name>ASEAN "
        "Secretariat</name></issuer><programme><batch number=\"7\"/></programme></attache>",
        /* what is escaped in text, and in attributes (tab, LF and CR through references) */
        "<a x=\"&lt;&gt;&amp;&quot;'&#9;&#10;&#13; z\">&lt;b&gt; &amp; &#13; \" ' \n\t</a>",
        "<a><b c=\"\"/><d>  </d><e></e>text<f/>tail</a>",
        /* UTF-8 in names, text and attributes stays as it is */
        "<officer name=\"Nguy\xe1\xbb\x85n \xe1\x9e\x85\xe1\x9f\x86\">"
        "\xe1\x9e\x85\xe1\x9f\x86\xe1\x9e\x8e\xe1\x9e\xb6\xe1\x9e\x84 "
        "\xf0\x9f\x98\x80<\xc3\xa9l\xc3\xa9ment/></officer>",
        "<?xml version='1.0' standalone='no'?><a/>",
        "<?xml version=\"1.0\" standalone=\"yes\"?><a/>",
    };
    static const char *const other[] = {
        "<a><!-- a comment --></a>",
        "<a><![CDATA[x < y]]></a>",
        "<a><?pi data?></a>",
        "<a xmlns=\"urn:x\"/>",
        "<p:a xmlns:p=\"urn:x\"/>",
        "<a xmlns:p=\"urn:x\" p:b=\"1\"/>",
        "<a xml:lang=\"vi\" b=\"1\"/>",
        "<!-- before --><a/>",
        /* found late, after much is written: all of it dropped */
        "<a><b c=\"1\">text</b><d/><!-- late --></a>",
        "<a/><!-- after -->",
    };
    xmlDocPtr doc, view;
    xmlNodePtr root;
    struct buf b = {0}, a = {0};
    size_t i;

    for (i = 0; i < ARRAY_SIZE(plain); i++) {
        doc = xmlReadMemory(plain[i], (int)strlen(plain[i]), "t.xml", NULL, 0);
        CHECK(doc != NULL);
        if (doc && !dumps_alike(doc))
            CHECK_STR(plain[i], "a plain document");
        xmlFreeDoc(doc);
    }
    for (i = 0; i < ARRAY_SIZE(other); i++) {
        doc = xmlReadMemory(other[i], (int)strlen(other[i]), "t.xml", NULL, 0);
        CHECK(doc != NULL);
        if (doc)
            CHECK(!dumps_alike(doc));
        xmlFreeDoc(doc);
    }
    /* an officer's view is built as data.c builds it: nodes copied into a new document */
    doc = xmlReadMemory(plain[4], (int)strlen(plain[4]), "t.xml", NULL, 0);
    view = xmlNewDoc(BAD_CAST "1.0");
    root = doc && view ? xmlDocCopyNode(xmlDocGetRootElement(doc), view, 1) : NULL;
    CHECK(root != NULL);
    if (root) {
        xmlDocPtr copy;

        xmlDocSetRootElement(view, root);
        CHECK(dumps_alike(view));
        copy = xmlCopyDoc(view, 1);          /* and copied whole, as each officer's is */
        CHECK(copy && dumps_alike(copy));
        xmlFreeDoc(copy);
    }
    /* a node of another document is no hole of this one */
    CHECK(!xml_dump_plain_around(view, doc ? xmlDocGetRootElement(doc) : NULL, &b, &a));
    CHECK(!xml_dump_plain_around(view, NULL, &b, &a));
    CHECK(b.len == 0 && a.len == 0);
    buf_release(&b);
    buf_release(&a);
    xmlFreeDoc(view);
    xmlFreeDoc(doc);
}

int main(void)
{
    test_clean();
    test_first_error();
    test_schemas();
    test_dump_plain();
    return check_done();
}

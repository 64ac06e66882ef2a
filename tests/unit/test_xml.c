/* Unit tests of src/xml.c: built-in schemas, and libxml2's messages said as attache's. */
#include <string.h>

#include <libxml/parser.h>

#include "check.h"
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

int main(void)
{
    test_clean();
    test_first_error();
    test_schemas();
    return check_done();
}

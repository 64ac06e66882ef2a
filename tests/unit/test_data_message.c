/*
 * Unit tests of src/data_message.c: libxml2's messages about a data file,
 * rewritten in the data format's words.
 *
 * Two tables.  The first holds libxml2's messages as libxml2 2.9.14
 * (Debian 12) words them and what each becomes.  The second has libxml2
 * itself validate small broken documents against the built-in schema and
 * checks what its message becomes: when an upgrade of libxml2 words its
 * messages differently, the second table says which.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "check.h"
#include "data_private.h"
#include "xml.h"

/* ---- libxml2's words -> ours ------------------------------------------- */

static const struct {
    const char *in, *out;
} schema_messages[] = {
    {"Element 'officer', attribute 'statuss': The attribute 'statuss' is not allowed.\n",
     "<officer> has an unknown attribute 'statuss'"},
    {"Element 'batch', attribute 'number': 'zero' is not a valid value of the atomic type "
     "'xs:positiveInteger'.\n",
     "<batch> number='zero' is not valid: batch numbers are whole numbers from 1"},
    {"Element 'venue': Element content is not allowed, because the type definition is simple.\n",
     "<venue> cannot contain elements"},
    {"Element 'venue': [facet 'pattern'] The value '' is not accepted by the pattern "
     "'\\s*\\S[\\s\\S]*'.\n",
     "<venue> '' is not valid"},
    {"Element 'foo': This element is not expected. Expected is one of ( induction, officer ).\n",
     "<foo> is not expected here; expected <induction> or <officer>"},
    {"Element 'induction': This element is not expected. Expected is ( signatory ).\n",
     "<induction> is not expected here; expected <signatory>"},
    {"Element 'x': This element is not expected. Expected is one of ( a, b, c ).\n",
     "<x> is not expected here; expected <a>, <b> or <c>"},
    {"Element 'x': This element is not expected.\n", "<x> is not expected here"},
    {"Element '{urn:x}foo': This element is not expected. Expected is ( signatory ).\n",
     "<foo xmlns=\"urn:x\"> is not expected here; expected <signatory>"},
    {"Element 'session', attribute 'kind': [facet 'enumeration'] The value 'party' is not an "
     "element of the set {'briefing', 'visit', 'training', 'social'}.\n",
     "<session> kind='party' is not one of 'briefing', 'visit', 'training', 'social'"},
    {"Element 'root': No matching global declaration available for the validation root.\n",
     "the root element must be <attache>, not <root>"},
    {"Element 'batch', attribute 'id': [facet 'pattern'] The value '-bad id' is not accepted by "
     "the pattern '[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}'.\n",
     "<batch> id='-bad id' is not valid: ids are 1 to 64 letters, digits, '.', '_' or '-', "
     "starting with a letter or digit"},
    {"Element 'session', attribute 'start': [facet 'pattern'] The value '9am' is not accepted by "
     "the pattern '([01][0-9]|2[0-3]):[0-5][0-9]'.\n",
     "<session> start='9am' is not valid: dates are YYYY-MM-DD, times HH:MM"},
    /* a value too long for libxml2 to quote whole: the message stops inside it */
    {"Element 'officer', attribute 'id': [facet 'pattern'] The value 'aaaaaaaaaaaaaaaaaaaa",
     "<officer> id='aaaaaaaaaaaaaaaaaaaa' is not valid: ids are 1 to 64 letters, digits, '.', '_' "
     "or '-', starting with a letter or digit"},
    {"Element 'verify-url': [facet 'maxLength'] The value has a length of '227'; this exceeds "
     "the allowed maximum length of '200'.\n",
     "<verify-url> is 227 characters long; the limit is 200"},
    {"Element 'batch': Character content other than whitespace is not allowed because the "
     "content type is 'element-only'.\n",
     "<batch> cannot contain text"},
    {"Element 'officer': The attribute 'id' is required but missing.\n",
     "<officer> lacks the attribute 'id'"},
    {"Element 'batch': Missing child element(s). Expected is ( officer ).\n",
     "<batch> lacks <officer>"},
    {"Element 'signatory': Missing child element(s). Expected is one of ( title, signature ).\n",
     "<signatory> lacks <title> or <signature>"},
    {"Element 'country', attribute 'code': 'k1' is not a valid value of the local atomic type.\n",
     "<country> code='k1' is not valid: country codes are two capital letters (ISO 3166-1)"},
    /* anything else: first line, no full stop, lower case, after the element */
    {"Element 'officer': Something new in a later libxml2.\nSecond line.\n",
     "<officer>: something new in a later libxml2"},
    {"Element 'officer', attribute 'x': Odd.\n", "<officer> x: odd"},
    {"Something about no element...\n", "something about no element"},
};

static void test_schema_table(void)
{
    size_t i;

    for (i = 0; i < sizeof schema_messages / sizeof schema_messages[0]; i++) {
        char out[500];

        data_rewrite_schema_message(schema_messages[i].in, out, sizeof out);
        CHECK_STR(out, schema_messages[i].out);
    }
}

static void test_schema_clipped(void)
{
    char out[24];

    /* a long value is clipped, and the result always fits its buffer */
    data_rewrite_schema_message("Element 'officer', attribute 'statuss': The attribute "
                                "'statuss' is not allowed.\n", out, sizeof out);
    CHECK_INT(strlen(out), sizeof out - 1);
    CHECK(!strncmp(out, "<officer> has an unknow", sizeof out - 1));
}

static const struct {
    int code;
    const char *in, *out;
} parser_messages[] = {
    {XML_ERR_INVALID_CHAR, "PCDATA invalid Char value 1\n",
     "text contains U+0001, a control character XML does not allow"},
    {XML_ERR_INVALID_CHAR, "invalid character in attribute value\n",
     "text contains a character XML does not allow"},
    {XML_ERR_DOCUMENT_EMPTY, "Document is empty\n", "file has no XML content"},
    {XML_ERR_INTERNAL_ERROR, "Excessive depth in document: 256 use XML_PARSE_HUGE option\n",
     "elements are nested too deeply (more than 256 levels)"},
    {XML_ERR_TAG_NAME_MISMATCH, "Opening and ending tag mismatch: nam line 18 and name\n",
     "not well-formed XML: opening and ending tag mismatch: nam line 18 and name"},
    {XML_ERR_GT_REQUIRED, "Couldn't find end of Start Tag issuer line 1\n",
     "not well-formed XML: couldn't find end of Start Tag issuer line 1"},
};

static void test_parser_table(void)
{
    size_t i;

    for (i = 0; i < sizeof parser_messages / sizeof parser_messages[0]; i++) {
        xmlError e;
        char out[500];

        memset(&e, 0, sizeof e);
        e.code = parser_messages[i].code;
        e.message = (char *)parser_messages[i].in;
        data_rewrite_parser_message(&e, out, sizeof out);
        CHECK_STR(out, parser_messages[i].out);
    }
}

static void test_container(void)
{
    CHECK_STR(data_message_container("Element 'batch': Missing child element(s). Expected is "
                                     "( officer )."), "batch");
    CHECK_STR(data_message_container("Element 'programme': Missing child element(s)."),
              "programme");
    CHECK_STR(data_message_container("Element 'attache': Missing child element(s)."), "attache");
    CHECK(data_message_container("Element 'officer': Missing child element(s).") == NULL);
    CHECK(data_message_container("Element 'batches': x") == NULL);
    CHECK(data_message_container("Element 'batc': x") == NULL);
    CHECK(data_message_container("Opening and ending tag mismatch") == NULL);
    CHECK(data_message_container(NULL) == NULL);
}

/* ---- libxml2 itself --------------------------------------------------- */

/* A valid document; each case replaces one piece of it. */
static const char good[] =
    "<attache version=\"1\">\n"
    "  <issuer id=\"asec\"><name>ASEAN Secretariat</name><address>Jakarta</address></issuer>\n"
    "  <programme id=\"p\"><title>The Programme</title>\n"
    "    <batch id=\"b1\" number=\"2\" start=\"2015-02-09\" end=\"2016-02-05\">\n"
    "      <signatory><name>Tran Dong Phuong</name><title>Director</title></signatory>\n"
    "      <induction start=\"2015-02-09\" end=\"2015-02-13\">\n"
    "        <session date=\"2015-02-09\" start=\"09:00\" end=\"10:30\" kind=\"briefing\">"
    "<topic>Intro</topic></session>\n"
    "      </induction>\n"
    "      <officer id=\"kh-01\" status=\"graduated\"><name>Chhy Ratha</name>"
    "<country code=\"KH\"/><ministry>M</ministry><placement department=\"ASCC\"/></officer>\n"
    "    </batch>\n"
    "  </programme>\n"
    "</attache>\n";

static const struct {
    const char *from, *to;       /* in `good` */
    const char *want;            /* the first schema message, rewritten */
} live[] = {
    {"<officer id=\"kh-01\"", "<officer statuss=\"x\" id=\"kh-01\"",
     "<officer> has an unknown attribute 'statuss'"},
    {"number=\"2\"", "number=\"zero\"",
     "<batch> number='zero' is not valid: batch numbers are whole numbers from 1"},
    {"<topic>Intro</topic>", "<topic>Intro</topic><foo/>",
     "<foo> is not expected here; expected <venue> or <speaker>"},
    {"kind=\"briefing\"", "kind=\"party\"",
     "<session> kind='party' is not one of 'briefing', 'visit', 'training', 'social'"},
    {"start=\"09:00\"", "start=\"9am\"",
     "<session> start='9am' is not valid: dates are YYYY-MM-DD, times HH:MM"},
    {"<officer id=\"kh-01\"", "<officer", "<officer> lacks the attribute 'id'"},
    {"<signatory>", "text<signatory>", "<batch> cannot contain text"},
    {"<title>Director</title>", "", "<signatory> lacks <title>"},
    {"<country code=\"KH\"/>", "<country code=\"k1\"/>",
     "<country> code='k1' is not valid: country codes are two capital letters (ISO 3166-1)"},
    {"<ministry>M</ministry>", "<ministry><b>M</b></ministry>",
     "<ministry> cannot contain elements"},
};

struct first {
    char message[500];
    bool seen;
};

static void keep_first(void *arg, xmlErrorPtr e)
{
    struct first *f = arg;

    if (!f->seen && e->level != XML_ERR_WARNING) {
        f->seen = true;
        snprintf(f->message, sizeof f->message, "%s", e->message ? e->message : "");
    }
}

/* The first message libxml2 gives when it validates `text`, or "" if none. */
static void first_message(xmlSchemaPtr schema, const char *text, char *out, size_t size)
{
    struct first f = {"", false};
    xmlDocPtr doc = xmlReadMemory(text, (int)strlen(text), "t.xml", NULL, XML_PARSE_NONET);
    xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);

    out[0] = '\0';
    if (!doc || !vc)
        goto done;
    xmlSchemaSetValidStructuredErrors(vc, keep_first, &f);
    xmlSchemaValidateDoc(vc, doc);
    if (f.seen)
        data_rewrite_schema_message(f.message, out, size);
done:
    xmlSchemaFreeValidCtxt(vc);
    xmlFreeDoc(doc);
}

static void test_libxml2(void)
{
    xmlSchemaPtr schema = xml_schema_compile("schema/attache-1.xsd");
    char out[500];
    size_t i;

    CHECK(schema != NULL);
    if (!schema)
        return;
    first_message(schema, good, out, sizeof out);
    CHECK_STR(out, "");
    first_message(schema, "<root/>", out, sizeof out);
    CHECK_STR(out, "the root element must be <attache>, not <root>");
    for (i = 0; i < sizeof live / sizeof live[0]; i++) {
        const char *at = strstr(good, live[i].from);
        char doc[sizeof good + 200];

        CHECK(at != NULL);
        if (!at)
            continue;
        snprintf(doc, sizeof doc, "%.*s%s%s", (int)(at - good), good, live[i].to,
                 at + strlen(live[i].from));
        first_message(schema, doc, out, sizeof out);
        CHECK_STR(out, live[i].want);
    }
    xmlSchemaFree(schema);
}

int main(void)
{
    test_schema_table();
    test_schema_clipped();
    test_parser_table();
    test_container();
    test_libxml2();
    return check_done();
}

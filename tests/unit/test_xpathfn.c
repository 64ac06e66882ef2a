/* Unit tests of src/xpathfn.c: the XPath functions templates call, evaluated as a template would. */
#include <math.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "check.h"
#include "template.h"

static const char doc_text[] =
    "<officer>"
    "<name>Nguy\xE1\xBB\x85n V\xC4\x83n An</name>"
    "<country code='VN'/>"
    "<country code='KH'>Kingdom of Cambodia</country>"
    "<country code='QQ'/>"
    "<lang>km</lang><lang>lo</lang><lang>my</lang>"
    "<start>2015-02-09</start><end>2015-08-07</end>"
    "</officer>";

static xmlXPathContextPtr ctx;

static void silent(void *arg, xmlErrorPtr e)
{
}

/* The string value of `expr`, or NULL when it does not evaluate (an XPath error). */
static char *eval(const char *expr)
{
    static char out[256];
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
    xmlChar *s;

    if (!o)
        return NULL;
    s = xmlXPathCastToString(o);
    snprintf(out, sizeof out, "%s", (const char *)s);
    xmlFree(s);
    xmlXPathFreeObject(o);
    return out;
}

static double eval_number(const char *expr)
{
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
    double v;

    if (!o)
        return -12345;
    v = xmlXPathCastToNumber(o);
    xmlXPathFreeObject(o);
    return v;
}

static void test_dates(void)
{
    CHECK_STR(eval("long-date(/officer/start)"), "9 February 2015");
    CHECK_STR(eval("long-date('2016-02-30')"), "2016-02-30");     /* not a date: as it is */
    CHECK_STR(eval("long-date('')"), "");
    CHECK_STR(eval("date-range('2015-02-09', '2015-02-13')"), "9\xE2\x80\x93" "13 February 2015");
    CHECK_STR(eval("date-range(/officer/start, /officer/end)"),
              "9 February \xE2\x80\x93 7 August 2015");
    CHECK_STR(eval("date-range('soon', '2015-02-13')"), "soon \xE2\x80\x93 2015-02-13");
    CHECK_STR(eval("weekday('2015-02-09')"), "Monday");
    CHECK_STR(eval("weekday('1970-01-01')"), "Thursday");
    CHECK_STR(eval("weekday('1969-12-28')"), "Sunday");             /* before 1970 too */
    CHECK_STR(eval("weekday('2016-02-29')"), "Monday");
    CHECK_STR(eval("weekday('someday')"), "");
    CHECK_STR(eval("time-range('09:00', '10:30')"), "09:00\xE2\x80\x93" "10:30");
    CHECK(eval_number("months(/officer/start, /officer/end)") == 6);
    CHECK(eval_number("months('2015-01-01', '2015-12-31')") == 12);
    CHECK(eval_number("months('2015-02-09', '2015-02-13')") == 0);
    CHECK(isnan(eval_number("months('2015-02-09', 'later')")));
}

static void test_words(void)
{
    CHECK_STR(eval("ordinal(1)"), "1st");
    CHECK_STR(eval("ordinal(2)"), "2nd");
    CHECK_STR(eval("ordinal(3)"), "3rd");
    CHECK_STR(eval("ordinal(4)"), "4th");
    CHECK_STR(eval("ordinal(11)"), "11th");
    CHECK_STR(eval("ordinal(12)"), "12th");
    CHECK_STR(eval("ordinal(13)"), "13th");
    CHECK_STR(eval("ordinal(16)"), "16th");
    CHECK_STR(eval("ordinal(21)"), "21st");
    CHECK_STR(eval("ordinal(102)"), "102nd");
    CHECK_STR(eval("ordinal(111)"), "111th");
    CHECK_STR(eval("ordinal('7')"), "7th");
    CHECK_STR(eval("ordinal('x')"), "");                 /* NaN */
    CHECK_STR(eval("number-words(0)"), "zero");
    CHECK_STR(eval("number-words(12)"), "twelve");
    CHECK_STR(eval("number-words(20)"), "twenty");
    CHECK_STR(eval("number-words(21)"), "21");
    CHECK_STR(eval("number-words(2.5)"), "2");            /* %.0f rounds half to even */
    CHECK_STR(eval("number-words(-3)"), "-3");
    CHECK_STR(eval("number-words('x')"), "");
    CHECK_STR(eval("upper(/officer/name)"), "NGUY\xE1\xBB\x84N V\xC4\x82N AN");
    CHECK_STR(eval("upper('stra\xC3\x9F" "e')"), "STRASSE");   /* full case mapping */
}

static void test_countries(void)
{
    CHECK_STR(eval("country-name(/officer/country[1])"), "Viet Nam");
    CHECK_STR(eval("country-name(/officer/country[2])"), "Kingdom of Cambodia");  /* its text */
    CHECK_STR(eval("country-name(/officer/country[3])"), "QQ");   /* unknown code: the code */
    CHECK_STR(eval("country-name('LA')"), "Lao PDR");
    CHECK_STR(eval("country-name(/officer/nothing)"), "");
}

static void test_join(void)
{
    CHECK_STR(eval("join(/officer/lang, ', ')"), "km, lo, my");
    CHECK_STR(eval("join(/officer/lang[1], ', ')"), "km");
    CHECK_STR(eval("join(/officer/nothing, ', ')"), "");
    CHECK_STR(eval("join-all(' / ', 'a', '', /officer/lang[2], /officer/nothing, 'b')"),
              "a / lo / b");
    CHECK_STR(eval("join-all(', ', '', '')"), "");
    CHECK_STR(eval("join-all(', ', 'only')"), "only");
}

static void test_errors(void)
{
    /* wrong numbers of arguments, or a string where nodes are wanted, fail the expression */
    static const char *const bad[] = {
        "long-date()", "long-date('a', 'b')", "date-range('2015-02-09')", "weekday()",
        "time-range('09:00')", "country-name()", "country-name('a', 'b')", "ordinal()",
        "ordinal(1, 2)", "upper()", "join(/officer/lang)", "join('a', ', ')", "join-all(', ')",
        "months('2015-02-09')", "number-words()", "number-words(1, 2)",
    };
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (!CHECK(eval(bad[i]) == NULL))
            fprintf(stderr, "    %s evaluated\n", bad[i]);
}

int main(void)
{
    xmlDocPtr doc;

    xmlSetStructuredErrorFunc(NULL, silent);
    doc = xmlReadMemory(doc_text, (int)strlen(doc_text), "officer.xml", "UTF-8", XML_PARSE_NONET);
    if (!doc) {
        fprintf(stderr, "FAIL: the test document does not parse\n");
        return 1;
    }
    ctx = xmlXPathNewContext(doc);
    template_register_functions(ctx);
    test_dates();
    test_words();
    test_countries();
    test_join();
    test_errors();
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    xmlCleanupParser();
    return check_done();
}

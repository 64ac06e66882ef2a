/*
 * test_template_check.c: the names in template expressions, checked against
 * the data format.
 */
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "check.h"
#include "template.h"
#include "template_check.h"

static xmlXPathContextPtr xp;

static int ok(const char *expr)
{
    char why[300] = "";
    int r = template_check_names(xp, expr, why, sizeof why);

    if (!r)
        fprintf(stderr, "    '%s': %s\n", expr, why);
    return r;
}

static const char *why_not(const char *expr)
{
    static char why[300];

    why[0] = '\0';
    return template_check_names(xp, expr, why, sizeof why) ? "(accepted)" : why;
}

int main(void)
{
    xmlDocPtr doc = xmlReadMemory("<attache/>", 10, NULL, NULL, 0);

    xp = xmlXPathNewContext(doc);
    template_register_functions(xp);

    /* what the built-in templates and docs/templates.md write */
    CHECK(ok("name[not(@lang)]"));
    CHECK(ok("join-all(' ', honorific, name[not(@lang)])"));
    CHECK(ok("date-range(../@start, ../@end)"));
    CHECK(ok("/attache/issuer/name"));
    CHECK(ok("../signatory[1]/signature/@src"));
    CHECK(ok("country-name(country)"));
    CHECK(ok("placement/@division"));
    CHECK(ok("count(../induction/session) * 2 div 3 mod 4"));
    CHECK(ok("@status = 'graduated' and not(@status != \"withdrawn\") or true()"));
    CHECK(ok("ancestor::programme/title"));
    CHECK(ok("attribute::status"));
    CHECK(ok("name[@xml:lang = 'km']"));
    CHECK(ok("node() | text() | * | @*"));
    CHECK(ok("'{minstry} in a literal' and \"unknown-thing\""));
    CHECK(ok("$page + 1 = $pages"));
    CHECK(ok("concat($document-id, ' ', $reference, $issue-date, $kind)"));
    CHECK(ok("../@number * 2"));
    CHECK(ok("//officer[position() = last()]"));

    /* what no issuer, programme, batch or officer can have */
    CHECK_STR(why_not("minstry"),
              "no issuer, programme, batch or officer has a <minstry> (did you mean <ministry>?)");
    CHECK_STR(why_not("upper(nmae)"),
              "no issuer, programme, batch or officer has a <nmae> (did you mean <name>?)");
    CHECK_STR(why_not("../@statu"),
              "no issuer, programme, batch or officer has an attribute @statu (did you mean "
              "@status?)");
    CHECK_STR(why_not("officer/salary"), "no issuer, programme, batch or officer has a <salary>");
    CHECK_STR(why_not("@ministry"),
              "no issuer, programme, batch or officer has an attribute @ministry");
    CHECK_STR(why_not("ns:name"), "no issuer, programme, batch or officer has a <ns:name> "
              "(did you mean <name>?)");
    CHECK_STR(why_not("nosuch(name)"),
              "unknown function 'nosuch()' (docs/templates.md lists the functions)");
    CHECK_STR(why_not("$issue_date"), "unknown variable '$issue_date' (the variables are "
              "$document-id, $kind, $issue-date, $reference, $page, $pages)");

    xmlXPathFreeContext(xp);
    xmlFreeDoc(doc);
    return check_done();
}

/*
 * xpathfn.c: the XPath functions templates may call besides XPath 1.0's
 * own, for what documents print and XPath 1.0 cannot say: dates in long
 * form, country names, ordinals, upper case, joining values.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xpathInternals.h>

#include "country.h"
#include "date.h"
#include "template.h"
#include "text.h"

#define EN_DASH "\xE2\x80\x93"

static void return_string(xmlXPathParserContextPtr ctxt, const char *s)
{
    xmlXPathReturnString(ctxt, xmlStrdup(BAD_CAST(s ? s : "")));
}

/* Pop `n` string arguments into out[0..n-1] (free each with xmlFree). */
static bool pop_strings(xmlXPathParserContextPtr ctxt, int nargs, int want, xmlChar **out)
{
    int i;

    if (nargs != want) {
        xmlXPathSetArityError(ctxt);
        return false;
    }
    for (i = want - 1; i >= 0; i--)
        out[i] = xmlXPathPopString(ctxt);
    return !ctxt->error;
}

static void free_strings(xmlChar **s, int n)
{
    int i;

    for (i = 0; i < n; i++)
        xmlFree(s[i]);
}

/* long-date('2015-02-09') = "9 February 2015"; anything else is returned as it is. */
static void fn_long_date(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlChar *a[1] = {0};
    struct date d;
    char out[64];

    if (!pop_strings(ctxt, nargs, 1, a))
        return;
    if (date_parse((const char *)a[0], &d)) {
        date_long(out, sizeof out, &d);
        return_string(ctxt, out);
    } else
        return_string(ctxt, (const char *)a[0]);
    free_strings(a, 1);
}

/* date-range(start, end) = "9-13 February 2015" and the like. */
static void fn_date_range(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlChar *a[2] = {0};
    struct date x, y;
    char out[96];

    if (!pop_strings(ctxt, nargs, 2, a))
        return;
    if (date_parse((const char *)a[0], &x) && date_parse((const char *)a[1], &y)) {
        date_range_long(out, sizeof out, &x, &y);
        return_string(ctxt, out);
    } else {
        snprintf(out, sizeof out, "%s " EN_DASH " %s", a[0], a[1]);
        return_string(ctxt, out);
    }
    free_strings(a, 2);
}

/* weekday('2015-02-09') = "Monday" */
static void fn_weekday(xmlXPathParserContextPtr ctxt, int nargs)
{
    static const char *const days[] = {"Thursday", "Friday", "Saturday", "Sunday",
                                       "Monday", "Tuesday", "Wednesday"};
    xmlChar *a[1] = {0};
    struct date d;

    if (!pop_strings(ctxt, nargs, 1, a))
        return;
    if (date_parse((const char *)a[0], &d)) {
        long n = date_days(&d) % 7;
        return_string(ctxt, days[n < 0 ? n + 7 : n]);
    } else
        return_string(ctxt, "");
    free_strings(a, 1);
}

/* time-range('09:00', '10:30') = "09:00-10:30" with an en dash */
static void fn_time_range(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlChar *a[2] = {0};
    char out[64];

    if (!pop_strings(ctxt, nargs, 2, a))
        return;
    snprintf(out, sizeof out, "%s" EN_DASH "%s", a[0], a[1]);
    return_string(ctxt, out);
    free_strings(a, 2);
}

/*
 * country-name(country) for a <country> element: its text if it has any,
 * else the host's short name for its code; for a string: the name of that
 * code.
 */
static void fn_country_name(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr o;
    xmlChar *code = NULL, *text = NULL;
    const char *name;

    if (nargs != 1) {
        xmlXPathSetArityError(ctxt);
        return;
    }
    o = valuePop(ctxt);
    if (!o) {
        xmlXPathSetArityError(ctxt);
        return;
    }
    if (o->type == XPATH_NODESET && o->nodesetval && o->nodesetval->nodeNr > 0 &&
        o->nodesetval->nodeTab[0]->type == XML_ELEMENT_NODE) {
        xmlNodePtr n = o->nodesetval->nodeTab[0];
        text = xmlNodeGetContent(n);
        code = xmlGetNoNsProp(n, BAD_CAST "code");
    } else
        code = xmlXPathCastToString(o);
    xmlXPathFreeObject(o);
    if (text && text[0])
        return_string(ctxt, (const char *)text);
    else {
        name = country_name((const char *)code);
        return_string(ctxt, name ? name : (const char *)code);
    }
    xmlFree(text);
    xmlFree(code);
}

/* ordinal(16) = "16th" */
static void fn_ordinal(xmlXPathParserContextPtr ctxt, int nargs)
{
    double v;
    long n;
    char out[32];

    if (nargs != 1) {
        xmlXPathSetArityError(ctxt);
        return;
    }
    v = xmlXPathPopNumber(ctxt);
    if (ctxt->error)
        return;
    if (!isfinite(v)) {
        return_string(ctxt, "");
        return;
    }
    n = lround(v);
    snprintf(out, sizeof out, "%ld%s", n, text_ordinal_suffix(n));
    return_string(ctxt, out);
}

/* upper('Nguyễn') = "NGUYỄN", with full Unicode case mapping */
static void fn_upper(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlChar *a[1] = {0};
    char *up;

    if (!pop_strings(ctxt, nargs, 1, a))
        return;
    up = text_upper((const char *)a[0]);
    if (!up && text_valid((const char *)a[0], strlen((const char *)a[0])))
        xmlXPathErr(ctxt, XPATH_MEMORY_ERROR);      /* memory ran out */
    else
        return_string(ctxt, up ? up : (const char *)a[0]);
    free(up);
    free_strings(a, 1);
}

/* join(nodes, ', ') = the string values of the nodes, separated */
static void fn_join(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlChar *sep;
    xmlNodeSetPtr ns;
    xmlChar *out = NULL;
    int i;

    if (nargs != 2) {
        xmlXPathSetArityError(ctxt);
        return;
    }
    sep = xmlXPathPopString(ctxt);
    ns = xmlXPathPopNodeSet(ctxt);
    if (ctxt->error) {
        xmlFree(sep);
        return;
    }
    for (i = 0; ns && i < ns->nodeNr; i++) {
        xmlChar *v = xmlXPathCastNodeToString(ns->nodeTab[i]);
        if (i)
            out = xmlStrcat(out, sep);
        out = xmlStrcat(out, v);
        xmlFree(v);
    }
    xmlXPathFreeNodeSet(ns);
    xmlFree(sep);
    xmlXPathReturnString(ctxt, out ? out : xmlStrdup(BAD_CAST ""));
}

/* join-all(', ', a, b, ...): the values that are not empty, separated */
static void fn_join_all(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlChar **v, *out = NULL, *sep;
    int i;
    bool first = true;

    if (nargs < 2) {
        xmlXPathSetArityError(ctxt);
        return;
    }
    v = calloc((size_t)nargs, sizeof *v);
    if (!v) {
        xmlXPathErr(ctxt, XPATH_MEMORY_ERROR);
        return;
    }
    for (i = nargs - 1; i >= 0; i--)
        v[i] = xmlXPathPopString(ctxt);
    sep = v[0];
    for (i = 1; i < nargs; i++) {
        if (!v[i] || !v[i][0])
            continue;
        if (!first)
            out = xmlStrcat(out, sep);
        out = xmlStrcat(out, v[i]);
        first = false;
    }
    for (i = 0; i < nargs; i++)
        xmlFree(v[i]);
    free(v);
    if (ctxt->error) {
        xmlFree(out);
        return;
    }
    xmlXPathReturnString(ctxt, out ? out : xmlStrdup(BAD_CAST ""));
}

/* months(start, end): the length of a period in whole months, rounded */
static void fn_months(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlChar *a[2] = {0};
    struct date x, y;

    if (!pop_strings(ctxt, nargs, 2, a))
        return;
    if (date_parse((const char *)a[0], &x) && date_parse((const char *)a[1], &y))
        xmlXPathReturnNumber(ctxt, floor((double)(date_days(&y) - date_days(&x) + 1) / 30.44 + 0.5));
    else
        xmlXPathReturnNumber(ctxt, NAN);
    free_strings(a, 2);
}

/*
 * native-name(), native-name(node): the name in its own script of the
 * officer (the context node, or the first of `node`): the text of its first
 * <name> with a lang (or xml:lang) that is not in the Latin script; "" when
 * it has none.  A template prints it without knowing the language.
 */
static void fn_native_name(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlNodePtr who = ctxt->context->node, n;
    xmlChar *found = NULL;

    if (nargs > 1) {
        xmlXPathSetArityError(ctxt);
        return;
    }
    if (nargs == 1) {
        xmlNodeSetPtr ns = xmlXPathPopNodeSet(ctxt);
        if (ctxt->error)
            return;
        who = ns && ns->nodeNr > 0 ? ns->nodeTab[0] : NULL;
        xmlXPathFreeNodeSet(ns);
    }
    for (n = who ? who->children : NULL; n && !found; n = n->next) {
        xmlChar *lang, *v;
        const char *script;

        if (n->type != XML_ELEMENT_NODE || !xmlStrEqual(n->name, BAD_CAST "name"))
            continue;
        lang = xmlGetNoNsProp(n, BAD_CAST "lang");
        if (!lang)
            lang = xmlGetNsProp(n, BAD_CAST "lang", XML_XML_NAMESPACE);
        v = lang && lang[0] ? xmlNodeGetContent(n) : NULL;
        if (v && text_non_latin_letter((const char *)v, &script))
            found = v;
        else
            xmlFree(v);
        xmlFree(lang);
    }
    xmlXPathReturnString(ctxt, found ? found : xmlStrdup(BAD_CAST ""));
}

/* number-words(12) = "twelve"; numbers above twenty stay digits */
static void fn_number_words(xmlXPathParserContextPtr ctxt, int nargs)
{
    static const char *const words[] = {
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
        "eighteen", "nineteen", "twenty"};
    double v;
    char out[32];

    if (nargs != 1) {
        xmlXPathSetArityError(ctxt);
        return;
    }
    v = xmlXPathPopNumber(ctxt);
    if (ctxt->error)
        return;
    if (isfinite(v) && v >= 0 && v <= 20 && v == floor(v))
        return_string(ctxt, words[(int)v]);
    else if (isfinite(v)) {
        snprintf(out, sizeof out, "%.0f", v);
        return_string(ctxt, out);
    } else
        return_string(ctxt, "");
}

void template_register_functions(xmlXPathContextPtr ctx)
{
    static const struct {
        const char *name;
        xmlXPathFunction fn;
    } fns[] = {
        {"long-date", fn_long_date}, {"date-range", fn_date_range}, {"weekday", fn_weekday},
        {"time-range", fn_time_range}, {"country-name", fn_country_name},
        {"ordinal", fn_ordinal}, {"upper", fn_upper}, {"join", fn_join}, {"join-all", fn_join_all},
        {"months", fn_months}, {"number-words", fn_number_words},
        {"native-name", fn_native_name},
    };
    size_t i;

    for (i = 0; i < sizeof fns / sizeof fns[0]; i++)
        xmlXPathRegisterFunc(ctx, BAD_CAST fns[i].name, fns[i].fn);
}

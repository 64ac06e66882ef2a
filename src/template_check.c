/*
 * template_check.c: the names a template's expressions use, checked against
 * the data format.
 *
 * XPath evaluates a path that names nothing to an empty node set, so a
 * misspelt field prints as nothing at all.  Here each expression is read
 * token by token, as XPath 1.0 section 3.7 describes: a name followed by
 * "(" is a function, by "::" an axis, a name where an operator may stand is
 * one (and, or, div, mod), "$name" is a variable, and every other name is
 * a name test, checked against the element and attribute names of the data
 * format's schema (compiled into the library, so the two cannot drift).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libxml/hash.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpathInternals.h>

#include "resource.h"
#include "template_check.h"
#include "util.h"

#define XS_NS "http://www.w3.org/2001/XMLSchema"

/* The variables the document maker sets (compose.c; docs/templates.md lists them). */
static const char *const variables[] = {
    "document-id", "kind", "issue-date", "reference", "page", "pages",
};
#define VARIABLE_LIST "$document-id, $kind, $issue-date, $reference, $page, $pages"

/* ---- the data format's names -------------------------------------------- */

static pthread_once_t names_once = PTHREAD_ONCE_INIT;
static xmlHashTablePtr element_names, attribute_names;

static void collect(xmlNodePtr n)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (n->ns && !strcmp((const char *)n->ns->href, XS_NS)) {
            xmlChar *name = xmlGetNoNsProp(n, BAD_CAST "name");
            bool el = !strcmp((const char *)n->name, "element");

            if (name && (el || !strcmp((const char *)n->name, "attribute")))
                xmlHashUpdateEntry(el ? element_names : attribute_names, name, (void *)1, NULL);
            xmlFree(name);
        }
        collect(n->children);
    }
}

static void load_names(void)
{
    const struct resource *r = resource_find("schema/attache-1.xsd");
    xmlDocPtr doc;

    element_names = xmlHashCreate(64);
    attribute_names = xmlHashCreate(32);
    if (!r || !element_names || !attribute_names)
        return;
    doc = xmlReadMemory((const char *)r->data, (int)r->size, NULL, NULL, XML_PARSE_NONET);
    if (doc)
        collect(xmlDocGetRootElement(doc));
    xmlFreeDoc(doc);
}

/* ---- suggestions -------------------------------------------------------- */

static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i, j, row[65];

    if (la > 64 || lb > 64)
        return 99;
    for (j = 0; j <= lb; j++)
        row[j] = j;
    for (i = 1; i <= la; i++) {
        size_t diag = row[0];

        row[0] = i;
        for (j = 1; j <= lb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

struct nearest {
    const char *name;
    const char *best;
    size_t dist;
};

static void consider(void *payload, void *data, const xmlChar *name)
{
    struct nearest *n = data;
    size_t d = distance(n->name, (const char *)name);

    (void)payload;
    if (d < n->dist || (d == n->dist && n->best && strcmp((const char *)name, n->best) < 0)) {
        n->dist = d;
        n->best = (const char *)name;
    }
}

/* The known name nearest to `name`, if it is close enough to be a typo. */
static const char *suggest(xmlHashTablePtr names, const char *name)
{
    struct nearest n = {name, NULL, 3};

    xmlHashScan(names, consider, &n);
    return n.dist <= 2 && n.dist < strlen(name) ? n.best : NULL;
}

/* ---- reading the expression ------------------------------------------------- */

enum prev { P_NONE, P_OPERAND_START, P_OTHER };

static bool name_start(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c >= 0x80;
}

static bool name_char(unsigned char c)
{
    return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

static bool is_node_type(const char *s)
{
    return !strcmp(s, "comment") || !strcmp(s, "text") || !strcmp(s, "node") ||
           !strcmp(s, "processing-instruction");
}

static bool check_name_test(const char *name, bool attribute, char *why, size_t size)
{
    xmlHashTablePtr set = attribute ? attribute_names : element_names;
    const char *local = strchr(name, ':') ? strchr(name, ':') + 1 : name;
    const char *near;

    if (!strcmp(name, "*") || (local != name && !strcmp(local, "*")))
        return true;
    if (attribute && !strcmp(name, "xml:lang"))
        return true;
    if (local == name && xmlHashLookup(set, BAD_CAST name))
        return true;
    near = suggest(set, local);
    snprintf(why, size, "no issuer, programme, batch or officer has %s%s%s%s%s%s%s",
             attribute ? "an attribute @" : "a <", name, attribute ? "" : ">",
             near ? " (did you mean " : "", near ? (attribute ? "@" : "<") : "",
             near ? near : "", near ? (attribute ? "?)" : ">?)") : "");
    return false;
}

bool template_check_names(xmlXPathContextPtr xp, const char *expr, char *why, size_t size)
{
    const char *p = expr;
    enum prev prev = P_NONE;
    bool attribute = false;       /* the next name test is an attribute's */
    char name[128];

    pthread_once(&names_once, load_names);
    while (*(p = skip_space(p))) {
        unsigned char c = (unsigned char)*p;

        if (c == '\'' || c == '"') {                      /* a literal */
            const char *end = strchr(p + 1, (char)c);
            p = end ? end + 1 : p + strlen(p);
            prev = P_OTHER;
        } else if ((c >= '0' && c <= '9') || (c == '.' && p[1] >= '0' && p[1] <= '9')) {
            while ((*p >= '0' && *p <= '9') || *p == '.')
                p++;
            prev = P_OTHER;
        } else if (c == '$') {                           /* a variable */
            size_t n = 0, k;

            for (p++; name_char((unsigned char)*p) || *p == ':'; p++)
                if (n + 1 < sizeof name)
                    name[n++] = *p;
            name[n] = '\0';
            for (k = 0; k < ARRAY_SIZE(variables); k++)
                if (!strcmp(name, variables[k]))
                    break;
            if (k == ARRAY_SIZE(variables)) {
                snprintf(why, size, "unknown variable '$%s' (the variables are "
                         VARIABLE_LIST ")", name);
                return false;
            }
            prev = P_OTHER;
        } else if (c == '@') {
            attribute = true;
            p++;
            prev = P_OPERAND_START;
        } else if (c == '*' && prev == P_OTHER) {        /* multiply */
            p++;
            prev = P_OPERAND_START;
        } else if (c == '*') {                           /* any element */
            p++;
            attribute = false;
            prev = P_OTHER;
        } else if (name_start(c)) {
            const char *after;
            size_t n = 0;

            for (; name_char((unsigned char)*p) || (*p == ':' && p[1] != ':' &&
                                                    (name_start((unsigned char)p[1]) ||
                                                     p[1] == '*')); p++) {
                if (n + 1 < sizeof name)
                    name[n++] = *p;
                if (*p == ':' && p[1] == '*') {         /* prefix:* */
                    p++;
                    if (n + 1 < sizeof name)
                        name[n++] = '*';
                }
            }
            name[n] = '\0';
            after = skip_space(p);
            if (prev == P_OTHER && (!strcmp(name, "and") || !strcmp(name, "or") ||
                                    !strcmp(name, "div") || !strcmp(name, "mod"))) {
                prev = P_OPERAND_START;
            } else if (after[0] == ':' && after[1] == ':') {   /* an axis */
                attribute = !strcmp(name, "attribute");
                p = after + 2;
                prev = P_OPERAND_START;
            } else if (after[0] == '(') {
                if (!is_node_type(name) && !xmlXPathFunctionLookup(xp, BAD_CAST name)) {
                    snprintf(why, size, "unknown function '%s()' (docs/templates.md lists "
                             "the functions)", name);
                    return false;
                }
                attribute = false;
                prev = P_OPERAND_START;
                p = after + 1;
            } else {
                if (!check_name_test(name, attribute, why, size))
                    return false;
                attribute = false;
                prev = P_OTHER;
            }
        } else if (c == ')' || c == ']' || c == '.') {
            p += (c == '.' && p[1] == '.') ? 2 : 1;
            prev = P_OTHER;
        } else {                                         /* ( [ , / | + - = ! < > */
            p++;
            attribute = false;
            prev = P_OPERAND_START;
        }
    }
    return true;
}

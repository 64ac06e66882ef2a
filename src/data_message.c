/*
 * data_message.c: libxml2's messages about a data file, said in the data
 * format's words.
 *
 * The schema validator and the parser speak of the XML ("Element 'officer',
 * attribute 'statuss': The attribute 'statuss' is not allowed."); a user
 * wants to hear about their data ("<officer> has an unknown attribute
 * 'statuss'").  The wording matched here is libxml2 2.9's (Debian 12);
 * tests/unit/test_data_message.c says what changes when libxml2 rewords it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlerror.h>

#include "data_private.h"
#include "text.h"
#include "util.h"
#include "xml.h"

/* ---- turning libxml2's messages into ours ------------------------------ */

static bool starts(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

/* Copy the quoted value that starts at s (after the quote) up to the first
 * occurrence of `until`, clipped. */
static const char *quoted(char *out, size_t size, const char *s, const char *until)
{
    const char *e = strstr(s, until);
    char tmp[256];
    size_t n = e ? (size_t)(e - s) : strlen(s);

    if (n >= sizeof tmp)
        n = sizeof tmp - 1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    return text_clip(out, size, tmp, 48);
}

/* "( a, b, c )" -> "<a>, <b> or <c>" */
static void expected_list(char *out, size_t size, const char *s)
{
    /* after "Expected is": "Missing child element(s)" has parentheses too */
    const char *from = strstr(s, "Expected is"), *open, *close;

    open = strchr(from ? from : s, '(');
    close = open ? strchr(open, ')') : NULL;
    char items[16][64];
    size_t n = 0, i, len = 0;
    const char *p;

    out[0] = '\0';
    if (!open || !close)
        return;
    p = open + 1;
    while (p < close && n < ARRAY_SIZE(items)) {
        const char *e;
        size_t k;

        while (*p == ' ' || *p == ',')
            p++;
        e = p;
        while (e < close && *e != ',' && *e != ' ')
            e++;
        k = (size_t)(e - p);
        if (k && k < sizeof items[0]) {
            /* drop "##other{...}" style wildcards */
            memcpy(items[n], p, k);
            items[n][k] = '\0';
            n++;
        }
        p = e;
    }
    for (i = 0; i < n && len + 1 < size; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
        len += (size_t)snprintf(out + len, size - len, "%s<%s>", sep, items[i]);
        if (len >= size)
            break;
    }
}

static const char *hint_for(const char *attr)
{
    if (!strcmp(attr, "id"))
        return "ids are 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit";
    if (!strcmp(attr, "start") || !strcmp(attr, "end") || !strcmp(attr, "date"))
        return "dates are YYYY-MM-DD, times HH:MM";
    if (!strcmp(attr, "src"))
        return "src is a relative path to a .png or .jpg file, without '..'";
    if (!strcmp(attr, "code"))
        return "country codes are two capital letters (ISO 3166-1)";
    if (!strcmp(attr, "number"))
        return "batch numbers are whole numbers from 1";
    return NULL;
}

/*
 * Rewrite one schema-validity message, e.g.
 *   Element 'officer', attribute 'statuss': The attribute 'statuss' is not allowed.
 * into "<officer> has an unknown attribute 'statuss'".
 */
void data_rewrite_schema_message(const char *in, char *out, size_t size)
{
    char elem[80] = "", attr[80] = "", val[160], list[400];
    const char *rest = in, *p;

    if (starts(rest, "Element '")) {
        const char *e = strchr(rest + 9, '\'');
        size_t n = e ? (size_t)(e - rest - 9) : 0;
        if (e && n < sizeof elem) {
            memcpy(elem, rest + 9, n);
            elem[n] = '\0';
            rest = e + 1;
        }
        /* "{uri}local" -> "local xmlns=uri" */
        if (elem[0] == '{' && strchr(elem, '}')) {
            char tmp[80];
            char *close = strchr(elem, '}');
            *close = '\0';
            snprintf(tmp, sizeof tmp, "%s xmlns=\"%s\"", close + 1, elem + 1);
            snprintf(elem, sizeof elem, "%s", tmp);
        }
        if (starts(rest, ", attribute '")) {
            e = strchr(rest + 13, '\'');
            n = e ? (size_t)(e - rest - 13) : 0;
            if (e && n < sizeof attr) {
                memcpy(attr, rest + 13, n);
                attr[n] = '\0';
                rest = e + 1;
            }
        }
        if (starts(rest, ": "))
            rest += 2;
    }
    if (starts(rest, "This element is not expected.")) {
        expected_list(list, sizeof list, rest);
        if (list[0])
            snprintf(out, size, "<%s> is not expected here; expected %s", elem, list);
        else
            snprintf(out, size, "<%s> is not expected here", elem);
    } else if (starts(rest, "Missing child element(s).")) {
        expected_list(list, sizeof list, rest);
        snprintf(out, size, "<%s> lacks %s", elem, list[0] ? list : "a required element");
    } else if (attr[0] && strstr(rest, "is not allowed")) {
        snprintf(out, size, "<%s> has an unknown attribute '%s'", elem, attr);
    } else if ((p = strstr(rest, "The attribute '")) && strstr(p, "is required but missing")) {
        snprintf(out, size, "<%s> lacks the attribute '%s'", elem,
                 quoted(val, sizeof val, p + 15, "'"));
    } else if ((p = strstr(rest, "[facet 'maxLength'] The value has a length of '")) ||
               (p = strstr(rest, "[facet 'minLength'] The value has a length of '"))) {
        bool max = p[9] == 'a';
        const char *limit = strstr(p, max ? "maximum length of '" : "minimum length of '");

        quoted(val, sizeof val, p + 47, "'");
        quoted(list, sizeof list, limit ? limit + 19 : "?'", "'");
        snprintf(out, size, "<%s>%s%s is %s characters long; the %s is %s", elem,
                 attr[0] ? " " : "", attr, val, max ? "limit" : "least", list);
    } else if ((p = strstr(rest, "The value '")) &&
               (strstr(p, "is not accepted by the pattern") ||
                strstr(p, "is not a valid value") || strstr(rest, "[facet 'pattern']"))) {
        const char *hint = attr[0] ? hint_for(attr) : NULL;
        quoted(val, sizeof val, p + 11, strstr(p, "is not accepted") ? "' is not accepted"
                                                                     : "' is not a valid");
        if (attr[0])
            snprintf(out, size, "<%s> %s='%s' is not valid%s%s", elem, attr, val,
                     hint ? ": " : "", hint ? hint : "");
        else
            snprintf(out, size, "<%s> '%s' is not valid", elem, val);
    } else if ((p = strstr(rest, "The value '")) && strstr(p, "is not an element of the set")) {
        const char *set = strstr(p, "{");
        quoted(val, sizeof val, p + 11, "' is not an element");
        const char *close = set ? strchr(set, '}') : NULL;
        if (set && close)
            snprintf(list, sizeof list, "%.*s", (int)(close - set - 1), set + 1);
        else
            list[0] = '\0';
        snprintf(out, size, "<%s> %s='%s' is not one of %s", elem, attr, val,
                 list[0] ? list : "the allowed values");
    } else if (strstr(rest, "is not a valid value of the atomic type") ||
               strstr(rest, "is not a valid value of the local atomic type")) {
        const char *hint = attr[0] ? hint_for(attr) : NULL;
        p = strchr(rest, '\'');
        quoted(val, sizeof val, p ? p + 1 : rest, "' is not");
        snprintf(out, size, "<%s> %s%s'%s' is not valid%s%s", elem, attr,
                 attr[0] ? "=" : "", val, hint ? ": " : "", hint ? hint : "");
    } else if (strstr(rest, "Character content other than whitespace is not allowed")) {
        snprintf(out, size, "<%s> cannot contain text", elem);
    } else if (strstr(rest, "Element content is not allowed")) {
        snprintf(out, size, "<%s> cannot contain elements", elem);
    } else if (strstr(rest, "No matching global declaration")) {
        snprintf(out, size, "the root element must be <attache>, not <%s>", elem);
    } else {
        char clean[400];

        xml_message_clean(clean, sizeof clean, rest);
        if (elem[0])
            snprintf(out, size, "<%s>%s%s: %s", elem, attr[0] ? " " : "", attr, clean);
        else
            snprintf(out, size, "%s", clean);
    }
}

/* A well-formedness message: first line, lower case, no HUGE advice. */
void data_rewrite_parser_message(const xmlError *e, char *out, size_t size)
{
    char clean[400];

    if (e->code == XML_ERR_INVALID_CHAR || e->code == XML_ERR_INVALID_ENCODING) {
        const char *v = e->message ? strstr(e->message, "value ") : NULL;
        if (v)
            snprintf(out, size, "text contains U+%04lX, a control character XML does not allow",
                     strtoul(v + 6, NULL, 10));
        else
            snprintf(out, size, "text contains a character XML does not allow");
        return;
    }
    if (strstr(e->message, "Excessive depth")) {
        snprintf(out, size, "elements are nested too deeply (more than 256 levels)");
        return;
    }
    if (e->code == XML_ERR_DOCUMENT_EMPTY) {
        snprintf(out, size, "file has no XML content");
        return;
    }
    /* '&' starts an escape in XML: "Finance & Budget" is the commonest mistake of all */
    if (e->code == XML_ERR_NAME_REQUIRED && e->message && strstr(e->message, "EntityRef")) {
        snprintf(out, size, "a bare '&': write &amp; for an ampersand "
                 "(\"Finance &amp; Budget\")");
        return;
    }
    if (e->code == XML_ERR_ENTITYREF_SEMICOL_MISSING) {
        snprintf(out, size, "an '&' that does not start an escape such as &amp; or &lt;: "
                 "write &amp; for an ampersand (\"R&amp;D\")");
        return;
    }
    if (e->code == XML_ERR_UNDECLARED_ENTITY || e->code == XML_WAR_UNDECLARED_ENTITY) {
        char name[80];

        snprintf(out, size, "'&%s;' is not an XML escape: write the character itself, or "
                 "&amp; for an ampersand",
                 text_clip(name, sizeof name, e->str1 ? e->str1 : "", 30));
        return;
    }
    xml_message_clean(clean, sizeof clean, e->message ? e->message : "parse error");
    snprintf(out, size, "not well-formed XML: %s", clean);
}

/*
 * The element a schema message ("Element 'batch': Missing child ...") is
 * about, when it is one that holds officers or batches: the validator reports
 * what such an element lacks at its end tag, after its last child, so the
 * message must not be put on that child.
 */
const char *data_message_container(const char *msg)
{
    static const char *const containers[] = {"attache", "programme", "batch"};
    size_t i, n;

    if (!msg || strncmp(msg, "Element '", 9))
        return NULL;
    msg += 9;
    n = strcspn(msg, "'");
    for (i = 0; i < ARRAY_SIZE(containers); i++)
        if (strlen(containers[i]) == n && !strncmp(msg, containers[i], n))
            return containers[i];
    return NULL;
}


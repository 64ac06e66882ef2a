/*
 * xml.c: compiling a built-in schema, and libxml2's messages said as
 * attache says its own (see xml.h).
 */
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>

#include "error.h"
#include "resource.h"
#include "xml.h"

/* libxml2's messages about a built-in schema: the library prints nothing. */
static void ignore_error(void *arg, xmlErrorPtr e)
{
    (void)arg;
    (void)e;
}

xmlSchemaPtr xml_schema_compile(const char *resource)
{
    const struct resource *r = resource_find(resource);
    xmlSchemaParserCtxtPtr pc;
    xmlSchemaPtr schema;

    xmlInitParser();
    if (!r || !(pc = xmlSchemaNewMemParserCtxt((const char *)r->data, (int)r->size)))
        return NULL;
    xmlSchemaSetParserStructuredErrors(pc, ignore_error, NULL);
    schema = xmlSchemaParse(pc);
    xmlSchemaFreeParserCtxt(pc);
    return schema;
}

char *xml_message_clean(char *out, size_t size, const char *msg)
{
    size_t n;

    if (!size)
        return out;
    snprintf(out, size, "%s", msg ? msg : "");
    n = strcspn(out, "\n");
    out[n] = '\0';
    while (n && (out[n - 1] == '.' || out[n - 1] == ' '))
        out[--n] = '\0';
    if (n && out[0] >= 'A' && out[0] <= 'Z' && out[1] >= 'a' && out[1] <= 'z')
        out[0] = (char)(out[0] - 'A' + 'a');
    return out;
}

void xml_first_error_record(void *arg, xmlErrorPtr e)
{
    struct xml_first_error *f = arg;
    char msg[400];

    if (f->seen || e->level == XML_ERR_WARNING)
        return;
    f->seen = true;
    xml_message_clean(msg, sizeof msg, e->message ? e->message : "invalid");
    err_set(f->err, ATTACHE_ERR_DATA, f->file, e->line > 0 ? (unsigned long)e->line : 0, "%s%s",
            f->prefix, msg);
}

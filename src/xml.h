/*
 * xml.h: what the modules that read XML (data, templates, revocation lists,
 * template expressions) do alike with libxml2: compile a built-in schema,
 * and say libxml2's messages the way attache's messages are said.
 */
#ifndef ATTACHE_XML_H
#define ATTACHE_XML_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#include "attache.h"

/*
 * Compile the schema compiled into the library as `resource` (e.g.
 * "schema/template-1.xsd"), after initialising libxml2's parser.  NULL when
 * there is no such resource or it does not compile (libxml2's messages
 * about it are dropped: the library prints nothing).  The caller keeps the
 * result for the life of the process (call it once, e.g. under pthread_once)
 * and may free it with xmlSchemaFree().
 */
xmlSchemaPtr xml_schema_compile(const char *resource);

/*
 * libxml2's message `msg` as attache says a message: its first line only,
 * without the full stops and spaces it ends with, its first letter in lower
 * case when it begins a word ("Opening and ending tag mismatch: a line 2 and
 * b." -> "opening and ending tag mismatch: a line 2 and b").  Into `out`
 * (`size` bytes, clipped); returns `out`.
 */
char *xml_message_clean(char *out, size_t size, const char *msg);

/*
 * The first error libxml2 reports (warnings are left out), recorded into
 * `err` as ATTACHE_ERR_DATA at `file` and the message's line, as
 * "<prefix><cleaned message>".  Hand xml_first_error_record() and the
 * struct to xmlSetStructuredErrorFunc() and xmlSchemaSetValidStructuredErrors().
 */
struct xml_first_error {
    const char *file;
    const char *prefix;          /* e.g. "template: "; may be "" */
    attache_error *err;
    bool seen;                   /* an error has been recorded */
};

void xml_first_error_record(void *arg, xmlErrorPtr e);

#endif

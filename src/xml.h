/*
 * xml.h: what the modules that read XML (data, templates, revocation lists,
 * template expressions) do alike with libxml2: compile a built-in schema,
 * and say libxml2's messages the way attache's messages are said.
 */
#ifndef ATTACHE_XML_H
#define ATTACHE_XML_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/parser.h>
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
 * struct to xml_read() and xmlSchemaSetValidStructuredErrors().
 */
struct xml_first_error {
    const char *file;
    const char *prefix;          /* e.g. "template: "; may be "" */
    attache_error *err;
    bool seen;                   /* an error has been recorded */
};

void xml_first_error_record(void *arg, xmlErrorPtr e);

/* ---- a guest in the host's libxml2 ------------------------------------------
 *
 * The program that links libattache may use libxml2 itself, with its own
 * error handlers.  So the library never sets libxml2's process-wide or
 * per-thread handlers for good: every parser, validator and XPath context
 * it makes gets its own handler (below), and the one pass that cannot
 * (data.c's reader with the schema plugged into it) saves the thread's
 * handler and puts it back.  Nothing is loaded from outside because every
 * document is screened for a DOCTYPE first and parsed without DTD loading,
 * entity substitution, XInclude or network access, not because of a
 * process-wide entity loader.
 */

/* An error handler that drops what it is given: for libxml2's own messages
 * about input that is checked another way, or that cannot fail. */
void xml_ignore_error(void *arg, xmlErrorPtr e);

/*
 * Parse `size` bytes as a document (`file` names it for libxml2's messages)
 * with libxml2's parse `options` plus XML_PARSE_NONET, every error going
 * to on_error(arg, e) and nowhere else.  NULL when it is not well-formed
 * (on_error has been told why) or memory ran out.  Free with xmlFreeDoc().
 */
xmlDocPtr xml_read(const unsigned char *bytes, size_t size, const char *file, int options,
                   xmlStructuredErrorFunc on_error, void *arg);

/*
 * Check outside bytes before libxml2 sees them, as the data loader does:
 * not empty, UTF-8 (no UTF-16 or UTF-32, no NUL, no other declared
 * encoding), no DOCTYPE or ENTITY declaration.  `what` names such files
 * in messages ("templates", "revocation lists").  False with `err` set
 * (ATTACHE_ERR_DATA, `file` and the line) when the bytes are refused.
 */
bool xml_screen(const unsigned char *bytes, size_t size, const char *file, const char *what,
                attache_error *err);

/*
 * The encoding an XML declaration at the start of `bytes` names (after a
 * byte order mark), into `name` (`size` bytes, clipped): true when there
 * is one and it is not UTF-8, the only encoding attache reads.
 */
bool xml_declares_other_encoding(const unsigned char *bytes, size_t size, char *name,
                                 size_t namesize);

struct buf;

/*
 * Append to `out` the bytes xmlDocDumpMemoryEnc(doc, ..., "UTF-8") makes
 * of `doc`, without its output buffers and encoder (a sixth of the cost):
 * for a document of elements, attributes and text without namespaces, as
 * an officer's view is.  False, with `out` as it was, for anything else
 * (a comment, a DTD, a namespace, an entity reference...): the caller then
 * asks libxml2.
 */
bool xml_dump_plain(xmlDocPtr doc, struct buf *out);

/*
 * xml_dump_plain() of `doc` in two pieces, around its node `hole`: what
 * comes before the hole into `before`, what follows it into `after`, so
 * that before, xml_dump_plain_node() of the hole, and after, one after the
 * other, are xml_dump_plain() of the document.  False, both buffers as
 * they were, where xml_dump_plain() is, or when `hole` is not in `doc`.
 */
bool xml_dump_plain_around(xmlDocPtr doc, xmlNodePtr hole, struct buf *before,
                           struct buf *after);

/* One node of `doc` and what it holds, as xml_dump_plain() writes it within it. */
bool xml_dump_plain_node(xmlDocPtr doc, xmlNodePtr n, struct buf *out);

/*
 * Append to `out` what xmlDocDumpMemoryEnc(doc, ..., "UTF-8") makes of
 * `doc`: by xml_dump_plain() when it can, by libxml2 otherwise.  False
 * when memory runs out.
 */
bool xml_dump(xmlDocPtr doc, struct buf *out);

#endif

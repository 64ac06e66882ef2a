/*
 * xml.c: compiling a built-in schema, and libxml2's messages said as
 * attache says its own (see xml.h).
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <unistr.h>

#include "error.h"
#include "resource.h"
#include "text.h"
#include "util.h"
#include "xml.h"

/*
 * libxml2 2.9 must be initialised once before threads use it, and its
 * initialisation is not safe to run twice at the same time: every module
 * gets there through here.
 */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_libxml2(void)
{
    xmlInitParser();
}

xmlSchemaPtr xml_schema_compile(const char *resource)
{
    const struct resource *r = resource_find(resource);
    xmlSchemaParserCtxtPtr pc;
    xmlSchemaPtr schema;

    pthread_once(&init_once, init_libxml2);
    if (!r || !(pc = xmlSchemaNewMemParserCtxt((const char *)r->data, (int)r->size)))
        return NULL;
    /* messages about a built-in schema: the library prints nothing */
    xmlSchemaSetParserStructuredErrors(pc, xml_ignore_error, NULL);
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

/* ---- a guest in the host's libxml2 --------------------------------------- */

void xml_ignore_error(void *arg, xmlErrorPtr e)
{
    (void)arg;
    (void)e;
}

/*
 * libxml2 hands a parser's structured errors the context's userData, which
 * the tree builder needs to be the context itself; the handler and its
 * argument travel in _private, which libxml2 leaves to its user.
 */
struct relay {
    xmlStructuredErrorFunc fn;
    void *arg;
};

static void relay_error(void *ctx, xmlErrorPtr e)
{
    xmlParserCtxtPtr pc = ctx;
    const struct relay *r = pc ? pc->_private : NULL;

    if (r)
        r->fn(r->arg, e);
}

xmlDocPtr xml_read(const unsigned char *bytes, size_t size, const char *file, int options,
                   xmlStructuredErrorFunc on_error, void *arg)
{
    struct relay r = {on_error ? on_error : xml_ignore_error, arg};
    xmlParserCtxtPtr pc;
    xmlDocPtr doc;

    pthread_once(&init_once, init_libxml2);
    if (size > INT_MAX || !(pc = xmlNewParserCtxt()))
        return NULL;
    pc->_private = &r;
    pc->sax->serror = relay_error;
    doc = xmlCtxtReadMemory(pc, (const char *)bytes, (int)size, file, NULL,
                            options | XML_PARSE_NONET);
    pc->_private = NULL;
    xmlFreeParserCtxt(pc);
    return doc;
}

static unsigned long line_of(const unsigned char *b, const unsigned char *at)
{
    unsigned long line = 1;

    for (; b < at; b++)
        line += *b == '\n';
    return line;
}

bool xml_declares_other_encoding(const unsigned char *b, size_t size, char *name,
                                 size_t namesize)
{
    const unsigned char *close, *enc, *q;
    size_t n = 0;

    if (size >= 3 && !memcmp(b, "\xef\xbb\xbf", 3))
        b += 3, size -= 3;
    if (size < 5 || memcmp(b, "<?xml", 5) ||
        !(close = memmem(b, size < 400 ? size : 400, "?>", 2)) ||
        !(enc = memmem(b, (size_t)(close - b), "encoding", 8)))
        return false;
    for (q = enc + 8; q < close && (*q == ' ' || *q == '=' || *q == '"' || *q == '\''); q++)
        ;
    while (q < close && *q != '"' && *q != '\'' && n + 1 < namesize)
        name[n++] = (char)*q++;
    name[n] = '\0';
    return strcasecmp(name, "UTF-8") && strcasecmp(name, "UTF8");
}

bool xml_screen(const unsigned char *b, size_t size, const char *file, const char *what,
                attache_error *err)
{
    const unsigned char *p, *end = b + size;
    const uint8_t *bad;
    char name[40], clip[60];

    for (p = b; p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'); p++)
        ;
    if (p == end) {
        err_set(err, ATTACHE_ERR_DATA, file, 0, "file is empty");
        return false;
    }
    if ((size >= 2 && (!memcmp(b, "\xfe\xff", 2) || !memcmp(b, "\xff\xfe", 2))) ||
        (size >= 4 && (b[0] == 0 || b[1] == 0))) {
        err_set(err, ATTACHE_ERR_DATA, file, 1, "file is UTF-16 or UTF-32; %s must be UTF-8",
                what);
        return false;
    }
    if ((p = memchr(b, 0, size)) != NULL) {
        err_set(err, ATTACHE_ERR_DATA, file, line_of(b, p),
                "file contains a NUL byte; it is not an XML text file");
        return false;
    }
    if ((bad = u8_check(b, size)) != NULL) {
        err_set(err, ATTACHE_ERR_DATA, file, line_of(b, bad),
                "text is not valid UTF-8 (byte 0x%02X)", *bad);
        return false;
    }
    if (xml_declares_other_encoding(b, size, name, sizeof name)) {
        err_set(err, ATTACHE_ERR_DATA, file, 1, "file declares encoding '%s'; %s must be UTF-8",
                text_clip(clip, sizeof clip, name, 30), what);
        return false;
    }
    if ((p = memmem(b, size, "<!DOCTYPE", 9)) != NULL ||
        (p = memmem(b, size, "<!ENTITY", 8)) != NULL) {
        err_set(err, ATTACHE_ERR_DATA, file, line_of(b, p), "%s may not have a DOCTYPE", what);
        return false;
    }
    return true;
}

/* ---- a plain document, written as libxml2 writes it -------------------------- */

/*
 * `s` with the characters escaped that libxml2's writer escapes: in text
 * (xmlEscapeContent) < > & and CR; in attribute values
 * (xmlBufAttrSerializeTxtContent, for a document with an encoding) also
 * the double quote, LF and tab.  UTF-8 is copied as it is.
 */
static void put_escaped(struct buf *out, const xmlChar *s, bool attribute)
{
    const char *p = (const char *)s, *stop = attribute ? "<>&\r\"\n\t" : "<>&\r";

    while (*p) {
        size_t n = strcspn(p, stop);
        const char *with;

        buf_add(out, p, n);
        p += n;
        switch (*p) {
        case '\0': return;
        case '<': with = "&lt;"; break;
        case '>': with = "&gt;"; break;
        case '&': with = "&amp;"; break;
        case '\r': with = "&#13;"; break;
        case '"': with = "&quot;"; break;
        case '\n': with = "&#10;"; break;
        default: with = "&#9;"; break;
        }
        buf_adds(out, with);
        p++;
    }
}

/*
 * Where xml_dump_plain's writing goes: `out`, and from the node `hole`
 * on (which is left out) `after`.
 */
struct plain {
    xmlDocPtr doc;
    struct buf *out;
    xmlNodePtr hole;             /* NULL: none, or passed */
    struct buf *after;
};

/*
 * Write `n` as libxml2 would, when it holds only what this writer knows:
 * elements without namespaces, their attributes and text.  False at
 * anything else (the caller drops what was written): an attribute of
 * another document, or none, would have its non-ASCII characters written
 * as character references.
 */
static bool put_node(struct plain *w, xmlNodePtr n)
{
    struct buf *out = w->out;
    xmlNodePtr child;
    xmlAttrPtr a;

    if (n == w->hole) {
        w->out = w->after;
        w->hole = NULL;
        return true;
    }
    if (n->type == XML_TEXT_NODE) {
        if (n->name != xmlStringText)
            return false;
        if (n->content)
            put_escaped(out, n->content, false);
        return true;
    }
    if (n->type != XML_ELEMENT_NODE || n->ns || n->nsDef)
        return false;
    buf_add(out, "<", 1);
    buf_adds(out, (const char *)n->name);
    for (a = n->properties; a; a = a->next) {
        if (a->ns || a->doc != w->doc ||
            (a->children && (a->children->type != XML_TEXT_NODE ||
                             a->children->name != xmlStringText || a->children->next)))
            return false;
        buf_add(out, " ", 1);
        buf_adds(out, (const char *)a->name);
        buf_add(out, "=\"", 2);
        if (a->children && a->children->content)
            put_escaped(out, a->children->content, true);
        buf_add(out, "\"", 1);
    }
    if (!n->children) {
        buf_add(out, "/>", 2);
        return true;
    }
    buf_add(out, ">", 1);
    for (child = n->children; child; child = child->next)
        if (!put_node(w, child))
            return false;
    out = w->out;                /* the hole may have been among them */
    buf_add(out, "</", 2);
    buf_adds(out, (const char *)n->name);
    buf_add(out, ">", 1);
    return true;
}

static bool dump_plain(struct plain *w)
{
    xmlDocPtr doc = w->doc;
    struct buf *out = w->out, *after = w->after;
    size_t was = out->len, after_was = after ? after->len : 0;
    bool plain = true;
    xmlNodePtr n;

    if (!doc || doc->type != XML_DOCUMENT_NODE ||
        (doc->version && strchr((const char *)doc->version, '"')))
        return false;
    buf_adds(out, "<?xml version=\"");
    buf_adds(out, doc->version ? (const char *)doc->version : "1.0");
    buf_adds(out, "\" encoding=\"UTF-8\"");
    /* 1 and 0: declared yes and no; -1 no declaration, -2 declared without it */
    if (doc->standalone == 0 || doc->standalone == 1)
        buf_adds(out, doc->standalone ? " standalone=\"yes\"" : " standalone=\"no\"");
    buf_adds(out, "?>\n");
    for (n = doc->children; n && plain; n = n->next) {
        plain = put_node(w, n);
        buf_add(w->out, "\n", 1);
    }
    if (!plain || w->hole || out->failed || (after && after->failed)) {
        /* as they were: the caller asks libxml2 */
        buf_truncate(out, was);
        if (after)
            buf_truncate(after, after_was);
        return false;
    }
    return true;
}

bool xml_dump_plain(xmlDocPtr doc, struct buf *out)
{
    struct plain w = {doc, out, NULL, NULL};

    return dump_plain(&w);
}

bool xml_dump_plain_around(xmlDocPtr doc, xmlNodePtr hole, struct buf *before,
                           struct buf *after)
{
    struct plain w = {doc, before, hole, after};

    return hole && dump_plain(&w);
}

bool xml_dump_plain_node(xmlDocPtr doc, xmlNodePtr n, struct buf *out)
{
    struct plain w = {doc, out, NULL, NULL};
    size_t was = out->len;

    if (put_node(&w, n) && !out->failed)
        return true;
    buf_truncate(out, was);
    return false;
}

bool xml_dump(xmlDocPtr doc, struct buf *out)
{
    xmlChar *dump = NULL;
    int len = 0;
    bool ok;

    if (xml_dump_plain(doc, out))
        return true;
    xmlDocDumpMemoryEnc(doc, &dump, &len, "UTF-8");
    ok = dump && buf_add(out, dump, (size_t)len);
    xmlFree(dump);
    return ok;
}

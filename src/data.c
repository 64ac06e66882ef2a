/*
 * data.c: loading and validating attache data (docs/data-format.md).
 *
 * The input is untrusted.  It is read by us with a size cap (the caller
 * does that), screened for what must never reach the parser (compression,
 * other encodings, DOCTYPE and entity declarations), then parsed by a
 * libxml2 text reader with network access off and no DTD, entity or
 * XInclude processing, validated while streaming against the compiled-in
 * XML Schema, and checked for what the schema cannot express.  The reader
 * keeps only the element being looked at, so memory stays small whatever
 * the number of officers.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/hash.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>
#include <unistr.h>

#include "country.h"
#include "data.h"
#include "data_private.h"
#include "date.h"
#include "error.h"
#include "image.h"
#include "text.h"
#include "util.h"
#include "xml.h"

#define DEFAULT_MAX_ERRORS 50
#define NAME_MAX_CHARS 200
#define TEXT_MAX_CHARS 2000
#define PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_NOCDATA | \
                       XML_PARSE_NOBLANKS)

struct attache_data {
    char *name;
    char *base_dir;
    unsigned char *bytes;
    size_t size;
    attache_batch_info *batches;
    size_t nbatches;
    struct officer_ref *officers;
    size_t nofficers;
    xmlHashTablePtr officer_index;   /* id -> index + 1 */
    xmlHashTablePtr batch_index;     /* id -> index + 1 */
    xmlDictPtr strings;              /* every string the index points to */
    const char *issuer_id;
    const char *verify_url;          /* "" when the issuer has none */
    const char *issuer_name;         /* NFC, trimmed */
};

/* ---- the schema, compiled once ----------------------------------------- */

static pthread_once_t schema_once = PTHREAD_ONCE_INIT;
static xmlSchemaPtr schema;

/*
 * Nothing is loaded from outside: screen() refuses every DOCTYPE and entity
 * declaration before libxml2 sees the bytes, and PARSE_OPTIONS asks for no
 * DTD, no entity substitution, no XInclude and no network (see xml.h).
 */
static void compile_schema(void)
{
    schema = xml_schema_compile("schema/attache-1.xsd");
}

const char *officer_status_name(enum officer_status s)
{
    static const char *const names[] = {"selected", "attached", "graduated", "withdrawn"};
    return names[s];
}

/* ---- collecting errors ------------------------------------------------- */

struct diag {
    unsigned long line;
    unsigned long seq;
    bool placed;          /* message already names its officer/batch/... */
    const char *element;  /* a schema message's element when it holds others, or NULL */
    char *message;
};

/* Where a programme, batch or the issuer starts, for placing schema errors. */
struct mark {
    unsigned long line;
    const char *kind;     /* "programme", "batch", "issuer" */
    char what[96];
};

struct loader {
    attache_data *d;
    const attache_data_options *opts;
    xmlTextReaderPtr reader;
    unsigned max_errors;
    struct diag *diags;
    size_t ndiags, cap;
    unsigned long seq;
    bool overflow;
    bool stop;
    bool oom;             /* memory ran out: the load fails whatever else it found */
    bool draining;        /* reading on to the end, ignoring everything */
    struct mark *marks;
    size_t nmarks;
    /* the current batch, for range checks */
    bool batch_dates;
    struct date batch_start, batch_end;
    long batch;                        /* index of the current batch, -1: none */
    const char *programme_id, *programme_title;
    xmlHashTablePtr programme_ids;     /* id -> line */
    xmlHashTablePtr images;            /* src -> what is wrong with it, "" if nothing */
    xmlParserCtxtPtr wf;               /* the well-formedness pass's parser, while it runs */
    bool cdata_said;
};

static void out_of_memory(struct loader *l)
{
    l->oom = true;
    l->stop = true;
}

/* text_normalize() of a value already known to be UTF-8 (the file is
 * screened first): NULL only when memory runs out, which stops the load. */
static char *normalized(struct loader *l, const xmlChar *s)
{
    char *n = text_normalize((const char *)s);

    if (!n)
        out_of_memory(l);
    return n;
}

static void add_diag_at(struct loader *l, unsigned long line, bool placed, const char *msg)
{
    struct diag *dg, *p;

    if (l->ndiags >= l->max_errors) {
        l->overflow = true;
        l->stop = true;
        return;
    }
    if (!(p = array_room(l->diags, l->ndiags, &l->cap, sizeof *p, 16))) {
        out_of_memory(l);
        return;
    }
    l->diags = p;
    dg = &l->diags[l->ndiags];
    dg->message = strdup(msg);
    if (!dg->message) {
        out_of_memory(l);
        return;
    }
    dg->line = line;
    dg->seq = l->seq++;
    dg->placed = placed;
    dg->element = NULL;
    l->ndiags++;
}

static void add_diag(struct loader *l, unsigned long line, const char *msg)
{
    add_diag_at(l, line, true, msg);
}

/* "officer 'vn-16-03'" for a node inside an officer, and so on up. */
static void context_of(xmlNodePtr node, char *out, size_t size)
{
    static const char *const kinds[] = {"officer", "batch", "programme", "issuer"};
    xmlNodePtr n;
    size_t k;

    out[0] = '\0';
    for (k = 0; k < ARRAY_SIZE(kinds); k++)
        for (n = node; n && n->type == XML_ELEMENT_NODE; n = n->parent)
            if (!strcmp((const char *)n->name, kinds[k]) &&
                (n->parent && n->parent->type == XML_ELEMENT_NODE)) {
                xmlChar *id = xmlGetNoNsProp(n, BAD_CAST "id");
                char clip[80];

                if (id)
                    snprintf(out, size, "%s '%s'", kinds[k],
                             text_clip(clip, sizeof clip, (const char *)id, 64));
                else
                    snprintf(out, size, "%s", kinds[k]);
                xmlFree(id);
                return;
            }
}

static unsigned long line_of(xmlNodePtr node)
{
    long line = node ? xmlGetLineNo(node) : 0;
    return line > 0 ? (unsigned long)line : 0;
}

/* Report a problem with `node`, naming the officer, batch, ... it is in. */
static void report(struct loader *l, xmlNodePtr node, const char *fmt, ...)
    ATTACHE_PRINTF(3, 4);

static void report(struct loader *l, xmlNodePtr node, const char *fmt, ...)
{
    char ctx[160], what[400], msg[600];
    va_list ap;
    unsigned long line;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    context_of(node, ctx, sizeof ctx);
    line = line_of(node);
    if (ctx[0])
        snprintf(msg, sizeof msg, "%s: %s", ctx, what);
    else
        snprintf(msg, sizeof msg, "%s", what);
    add_diag(l, line, msg);
}

/*
 * Schema errors come from the validator plugged into the parser, which runs
 * ahead of the reader and gives no node, only a line: they are placed in
 * their officer or batch afterwards (place_diags).
 */
static void on_xml_error(void *arg, xmlErrorPtr e)
{
    struct loader *l = arg;
    char msg[500];
    unsigned long line = e->line > 0 ? (unsigned long)e->line : 0;

    if (e->level == XML_ERR_WARNING || l->draining)
        return;
    if (e->domain == XML_FROM_SCHEMASV) {
        /* Duplicate ids: our own check says it better, naming both lines. */
        if (e->code == XML_SCHEMAV_CVC_IDC)
            return;
        size_t before = l->ndiags;

        data_rewrite_schema_message(e->message ? e->message : "", msg, sizeof msg);
        add_diag_at(l, line, false, msg);
        if (l->ndiags > before)
            l->diags[before].element = data_message_container(e->message);
        return;
    }
    /* After the first fatal error the parser only reports its consequences. */
    if (l->stop)
        return;
    data_rewrite_parser_message(e, msg, sizeof msg);
    if (e->level == XML_ERR_FATAL) {
        size_t i, k = 0;

        /* What the validator said about the broken part is noise. */
        for (i = 0; i < l->ndiags; i++) {
            if (!l->diags[i].placed && l->diags[i].line >= line)
                free(l->diags[i].message);
            else
                l->diags[k++] = l->diags[i];
        }
        l->ndiags = k;
        l->stop = true;
    }
    add_diag(l, line, msg);
}

static void add_mark(struct loader *l, xmlNodePtr node, const char *kind)
{
    struct mark *m;
    xmlChar *id;
    char clip[80];

    if (l->nmarks % 16 == 0) {
        m = realloc(l->marks, (l->nmarks + 16) * sizeof *m);
        if (!m) {
            out_of_memory(l);
            return;
        }
        l->marks = m;
    }
    m = &l->marks[l->nmarks++];
    m->line = line_of(node);
    m->kind = kind;
    id = xmlGetNoNsProp(node, BAD_CAST "id");
    if (id)
        snprintf(m->what, sizeof m->what, "%s '%s'", kind,
                 text_clip(clip, sizeof clip, (const char *)id, 64));
    else
        snprintf(m->what, sizeof m->what, "%s", kind);
    xmlFree(id);
}

/* Name the officer, batch or programme an unplaced message's line falls in. */
static void place_diags(struct loader *l)
{
    size_t i;

    for (i = 0; i < l->ndiags; i++) {
        struct diag *dg = &l->diags[i];
        const struct officer_ref *o = NULL;
        const struct mark *m = NULL;
        size_t lo = 0, hi = l->d->nofficers, k;
        char what[96] = "", *msg;

        if (dg->placed || !dg->line)
            continue;
        while (lo < hi) {          /* last officer starting at or before the line */
            size_t mid = (lo + hi) / 2;
            if (l->d->officers[mid].line <= dg->line)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo && !dg->element)
            o = &l->d->officers[lo - 1];
        /* a message about a programme or batch goes on the last one started,
           one about the whole file on nothing */
        for (k = 0; k < l->nmarks && l->marks[k].line <= dg->line; k++)
            if (!dg->element || !strcmp(l->marks[k].kind, dg->element))
                m = &l->marks[k];
        if (o && (!m || o->line >= m->line)) {
            char clip[80];
            snprintf(what, sizeof what, "officer '%s'", text_clip(clip, sizeof clip, o->id, 64));
        } else if (m)
            snprintf(what, sizeof what, "%s", m->what);
        if (!what[0])
            continue;
        if (asprintf(&msg, "%s: %s", what, dg->message) < 0) {
            out_of_memory(l);
            return;
        }
        free(dg->message);
        dg->message = msg;
    }
}

/* ---- screening the bytes before any parser sees them ------------------- */

static unsigned long line_at(const unsigned char *b, size_t off)
{
    unsigned long line = 1;
    size_t i;

    for (i = 0; i < off; i++)
        line += b[i] == '\n';
    return line;
}

static bool has(const unsigned char *b, size_t size, const char *magic, size_t n)
{
    return size >= n && !memcmp(b, magic, n);
}

/*
 * When bytes that are not UTF-8 all make sense as Windows-1252 (of which
 * Latin-1's printable characters are a part), what the first of them,
 * `first`, is there; else 0.  Such a file was saved by a tool that does not
 * write UTF-8 unless asked, which is worth saying.
 */
static uint32_t single_byte_char(const unsigned char *b, size_t size, const unsigned char *bad)
{
    /* 0x80-0x9F in Windows-1252; 0 where it has no character */
    static const uint16_t cp1252[32] = {
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    };
    const unsigned char *end = b + size;
    size_t i;

    /* UTF-8 cut short or damaged, rather: a lead byte and a continuation byte */
    if (*bad >= 0xC2 && bad + 1 < end && (bad[1] & 0xC0) == 0x80)
        return 0;
    for (i = 0; i < size; i++) {
        if (b[i] >= 0x80 && b[i] < 0xA0 && !cp1252[b[i] - 0x80])
            return 0;
        if (b[i] >= 0xC2 && u8_mblen(b + i, size - i) >= 2)
            return 0;       /* there is UTF-8 in it too: damaged, not another encoding */
    }
    return *bad < 0xA0 ? cp1252[*bad - 0x80] : *bad;
}

/*
 * The first start tag with more than MAX_ATTRIBUTES attributes, or NULL.
 * libxml2 compares each attribute of an element with the others, which
 * costs time that grows with their square: 50,000 on one element take it
 * seconds, a file of the size attache accepts hours.  The format's elements
 * have a handful each.  Comments, CDATA and processing instructions are
 * stepped over; '<' cannot stand anywhere else but in markup.
 */
#define MAX_ATTRIBUTES 64

static const unsigned char *skip_past(const unsigned char *p, const unsigned char *end,
                                      const char *close)
{
    const unsigned char *q = memmem(p, (size_t)(end - p), close, strlen(close));

    return q ? q + strlen(close) : end;
}

static const unsigned char *crowded_tag(const unsigned char *b, size_t size)
{
    const unsigned char *p = b, *end = b + size;

    while (p < end && (p = memchr(p, '<', (size_t)(end - p)))) {
        const unsigned char *tag = p++;
        unsigned attributes = 0;
        unsigned char quote = 0;

        if (p < end && *p == '!') {
            if ((size_t)(end - p) >= 3 && !memcmp(p, "!--", 3))
                p = skip_past(p + 3, end, "-->");
            else if ((size_t)(end - p) >= 8 && !memcmp(p, "![CDATA[", 8))
                p = skip_past(p + 8, end, "]]>");
            else
                p = skip_past(p, end, ">");
            continue;
        }
        if (p < end && *p == '?') {
            p = skip_past(p, end, "?>");
            continue;
        }
        for (; p < end && (quote || *p != '>'); p++) {
            if (quote)
                quote = *p == quote ? 0 : quote;
            else if (*p == '"' || *p == '\'')
                quote = *p;
            else if (*p == '=' && ++attributes > MAX_ATTRIBUTES)
                return tag;
        }
    }
    return NULL;
}

static void screen(struct loader *l, const unsigned char *b, size_t size)
{
    static const struct {
        const char *magic;
        size_t len;
        const char *what;
    } packed[] = {
        {"\x1f\x8b", 2, "gzip"}, {"BZh", 3, "bzip2"}, {"\xfd" "7zXZ", 6, "xz"},
        {"\x28\xb5\x2f\xfd", 4, "zstd"}, {"PK\x03\x04", 4, "zip"}, {"\x5d\x00\x00", 3, "lzma"},
    };
    const unsigned char *p, *end = b + size;
    const uint8_t *bad;
    char name[40];
    size_t i;

    if (!b)
        return;
    for (p = b; p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'); p++)
        ;
    if (p == end) {
        add_diag(l, 0, "file is empty");
        l->stop = true;
        return;
    }
    for (i = 0; i < ARRAY_SIZE(packed); i++)
        if (has(b, size, packed[i].magic, packed[i].len)) {
            char msg[120];
            snprintf(msg, sizeof msg, "file is %s-compressed; attache reads plain XML only",
                     packed[i].what);
            add_diag(l, 0, msg);
            l->stop = true;
            return;
        }
    if (has(b, size, "\xfe\xff", 2) || has(b, size, "\xff\xfe", 2) ||
        (size >= 4 && (b[0] == 0 || b[1] == 0))) {
        add_diag(l, 1, "file is UTF-16 or UTF-32; attache data must be UTF-8");
        l->stop = true;
        return;
    }
    p = memchr(b, 0, size);
    if (p) {
        add_diag(l, line_at(b, (size_t)(p - b)),
                 "file contains a NUL byte; it is not an XML text file");
        l->stop = true;
        return;
    }
    bad = u8_check(b, size);
    if (bad) {
        char msg[300], ch[8] = "";
        uint32_t cp = single_byte_char(b, size, bad);

        if (cp) {
            ch[text_put(ch, cp)] = '\0';
            snprintf(msg, sizeof msg, "text is not valid UTF-8 (byte 0x%02X): the file looks "
                     "saved as Windows-1252 or Latin-1, where that byte is '%s'; save it again "
                     "as UTF-8 (in the editor's \"Save as\", encoding UTF-8)", *bad, ch);
        } else
            snprintf(msg, sizeof msg, "text is not valid UTF-8 (byte 0x%02X); save the file "
                     "again as UTF-8", *bad);
        add_diag(l, line_at(b, (size_t)(bad - b)), msg);
        l->stop = true;
        return;
    }
    /* The declaration may name no other encoding. */
    if (xml_declares_other_encoding(b, size, name, sizeof name)) {
        char clip[60], msg[160];
        snprintf(msg, sizeof msg,
                 "file declares encoding '%s'; attache data must be UTF-8: save it "
                 "again as UTF-8 with encoding=\"UTF-8\" in its first line",
                 text_clip(clip, sizeof clip, name, 30));
        add_diag(l, 1, msg);
        l->stop = true;
        return;
    }
    p = memmem(b, size, "<!DOCTYPE", 9);
    if (!p)
        p = memmem(b, size, "<!ENTITY", 8);
    if (p) {
        add_diag(l, line_at(b, (size_t)(p - b)),
                 "DOCTYPE and ENTITY declarations are not allowed: attache data has no DTD");
        l->stop = true;
        return;
    }
    p = crowded_tag(b, size);
    if (p) {
        char msg[120];

        snprintf(msg, sizeof msg, "an element has more than %d attributes; attache data has a "
                 "few on each", MAX_ATTRIBUTES);
        add_diag(l, line_at(b, (size_t)(p - b)), msg);
        l->stop = true;
    }
}

/* ---- what the schema cannot say ---------------------------------------- */

static xmlNodePtr child(xmlNodePtr n, const char *name)
{
    for (n = n ? n->children : NULL; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name))
            return n;
    return NULL;
}

/* Whether n holds elements, not a simple text. */
static bool has_elements(xmlNodePtr n)
{
    for (n = n->children; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE)
            return true;
    return false;
}

/* How a message names a text: "<name>", or "<batch> id=" for an attribute. */
static const char *text_name(char *buf, size_t size, xmlNodePtr node, const xmlChar *attr)
{
    if (attr)
        snprintf(buf, size, "<%s> %s=", node->name, attr);
    else
        snprintf(buf, size, "<%s>", node->name);
    return buf;
}

/*
 * Check one text value: characters that cannot be printed, length after
 * normalisation.  `attr` is the attribute it is, NULL for the element's
 * text.
 */
static void check_value(struct loader *l, xmlNodePtr node, const xmlChar *attr,
                        const char *raw, size_t max_chars)
{
    char what[120], *norm;
    uint32_t bad = text_forbidden_char(raw);
    size_t len;

    if (bad) {
        report(l, node, "%s contains the character U+%04X, which cannot be printed "
                        "(a control, bidi or invisible character)",
               text_name(what, sizeof what, node, attr), (unsigned)bad);
        return;
    }
    /* (the Latin name says what script it is in: its own check) */
    if ((attr || strcmp((const char *)node->name, "name") || xmlHasProp(node, BAD_CAST "lang")) &&
        (bad = text_right_to_left(raw))) {
        report(l, node, "%s has U+%04X, written right to left; attache lays out "
                        "left-to-right scripts only",
               text_name(what, sizeof what, node, attr), (unsigned)bad);
        return;
    }
    if (!(norm = normalized(l, BAD_CAST raw)))       /* the file was screened: UTF-8 */
        return;
    len = text_length(norm);
    if (max_chars && len > max_chars)
        report(l, node, "%s is %zu characters long; the limit is %zu",
               text_name(what, sizeof what, node, attr), len, max_chars);
    free(norm);
}

/* Every attribute and simple text below `node`. */
static void check_texts(struct loader *l, xmlNodePtr node)
{
    xmlNodePtr c;
    xmlAttrPtr a;

    for (a = node->properties; a; a = a->next) {
        xmlChar *v = xmlNodeGetContent((xmlNodePtr)a);

        if (v)
            check_value(l, node, a->name, (const char *)v, TEXT_MAX_CHARS);
        xmlFree(v);
    }
    for (c = node->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            check_texts(l, c);
        } else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
                   !has_elements(node)) {
            bool is_name = !strcmp((const char *)node->name, "name");

            if (c == node->children || c->prev->type != XML_TEXT_NODE) {
                xmlChar *v = xmlNodeGetContent(node);
                if (v)
                    check_value(l, node, NULL, (const char *)v,
                                is_name ? NAME_MAX_CHARS : TEXT_MAX_CHARS);
                xmlFree(v);
                break;
            }
        }
    }
}

static bool check_date(struct loader *l, xmlNodePtr node, const char *attr, struct date *d)
{
    xmlChar *v = xmlGetNoNsProp(node, BAD_CAST attr);
    bool ok = false;

    if (v && !date_parse((const char *)v, d)) {
        /* The schema reports values that are not even shaped like a date. */
        const char *s = (const char *)v;
        if (strlen(s) == 10 && s[4] == '-' && s[7] == '-') {
            char clip[40], what[40] = "";

            /* the batch's and the officer's own dates are theirs; name any other element */
            if (strcmp((const char *)node->name, "batch") && strcmp((const char *)node->name, "officer"))
                snprintf(what, sizeof what, "<%s> ", (const char *)node->name);
            report(l, node, "%s%s %s is not a date", what, attr,
                   text_clip(clip, sizeof clip, s, 20));
        }
    } else if (v)
        ok = true;
    xmlFree(v);
    return ok;
}

static void check_unique(struct loader *l, xmlHashTablePtr seen, xmlNodePtr node,
                         const char *kind)
{
    xmlChar *id = xmlGetNoNsProp(node, BAD_CAST "id");
    void *first;

    if (!id)
        return;
    first = xmlHashLookup(seen, id);
    if (first) {
        char clip[80];
        report(l, node, "%s id '%s' is already used at line %lu", kind,
               text_clip(clip, sizeof clip, (const char *)id, 64),
               (unsigned long)(uintptr_t)first);
    } else {
        xmlHashAddEntry(seen, id, (void *)(uintptr_t)(line_of(node) ? line_of(node) : 1));
    }
    xmlFree(id);
}

/*
 * The image an element names (<logo>, <signature>, <photo>): there, and a
 * PNG or JPEG, when the caller asks (check_images).  Each file is looked at
 * once; a bad one is reported at each element that names it, so it is known
 * before any document is made, not once per document.  Paths the schema
 * refuses (absolute, "..", URLs) are its to report.
 */
static void check_image(struct loader *l, xmlNodePtr node)
{
    xmlChar *src = node ? xmlGetNoNsProp(node, BAD_CAST "src") : NULL;
    char *known;

    if (!src || !l->opts->check_images || !l->opts->base_dir || !l->images ||
        src[0] == '/' || strstr((const char *)src, "..") || strstr((const char *)src, "://")) {
        xmlFree(src);
        return;
    }
    known = xmlHashLookup(l->images, src);
    if (!known) {
        attache_error e;
        char subject[40];

        snprintf(subject, sizeof subject, "<%s>", (const char *)node->name);
        attache_error_clear(&e);
        known = strdup(image_check(l->opts->base_dir, (const char *)src, subject, &e) ==
                       ATTACHE_OK ? "" : e.message);
        if (!known || xmlHashAddEntry(l->images, src, known) != 0) {
            free(known);
            out_of_memory(l);
            xmlFree(src);
            return;
        }
    }
    if (*known)
        report(l, node, "%s", known);
    xmlFree(src);
}

static void free_entry(void *payload, const xmlChar *name)
{
    (void)name;
    free(payload);
}

static void check_issuer(struct loader *l, xmlNodePtr issuer)
{
    xmlChar *id = xmlGetNoNsProp(issuer, BAD_CAST "id");
    xmlNodePtr url = child(issuer, "verify-url"), name = child(issuer, "name");
    xmlChar *u = url ? xmlNodeGetContent(url) : NULL;
    xmlChar *nm = name ? xmlNodeGetContent(name) : NULL;
    char *norm = u ? normalized(l, u) : NULL;
    char *norm_name = nm ? normalized(l, nm) : NULL;

    check_texts(l, issuer);
    check_image(l, child(issuer, "logo"));
    l->d->issuer_id = (const char *)xmlDictLookup(l->d->strings, id ? id : BAD_CAST "", -1);
    l->d->verify_url = (const char *)xmlDictLookup(l->d->strings,
                                                   BAD_CAST(norm ? norm : ""), -1);
    l->d->issuer_name = (const char *)xmlDictLookup(l->d->strings,
                                                    BAD_CAST(norm_name ? norm_name : ""), -1);
    free(norm);
    free(norm_name);
    xmlFree(u);
    xmlFree(nm);
    xmlFree(id);
}

static void check_batch(struct loader *l, xmlNodePtr batch)
{
    struct date s, e;
    bool ok_s = check_date(l, batch, "start", &s), ok_e = check_date(l, batch, "end", &e);

    l->batch_dates = ok_s && ok_e;
    if (l->batch_dates && date_cmp(&e, &s) < 0) {
        report(l, batch, "end %04d-%02d-%02d is before start %04d-%02d-%02d",
               e.year, e.month, e.day, s.year, s.month, s.day);
        l->batch_dates = false;
    }
    l->batch_start = s;
    l->batch_end = e;
}

static void check_induction(struct loader *l, xmlNodePtr ind)
{
    struct date s, e, d;
    bool ok_s = check_date(l, ind, "start", &s), ok_e = check_date(l, ind, "end", &e);
    bool ok = ok_s && ok_e;
    xmlNodePtr sn;

    check_texts(l, ind);
    if (ok && date_cmp(&e, &s) < 0) {
        report(l, ind, "<induction> end is before its start");
        ok = false;
    }
    if (ok && l->batch_dates &&
        (date_cmp(&s, &l->batch_start) < 0 || date_cmp(&e, &l->batch_end) > 0))
        report(l, ind, "the induction week (%04d-%02d-%02d to %04d-%02d-%02d) is not inside "
                       "the batch (%04d-%02d-%02d to %04d-%02d-%02d)",
               s.year, s.month, s.day, e.year, e.month, e.day,
               l->batch_start.year, l->batch_start.month, l->batch_start.day,
               l->batch_end.year, l->batch_end.month, l->batch_end.day);
    for (sn = ind->children; sn; sn = sn->next) {
        xmlChar *st, *en;
        int a, b;

        if (sn->type != XML_ELEMENT_NODE || strcmp((const char *)sn->name, "session"))
            continue;
        if (check_date(l, sn, "date", &d) && ok &&
            (date_cmp(&d, &s) < 0 || date_cmp(&d, &e) > 0))
            report(l, sn, "<session> date %04d-%02d-%02d is outside the induction week",
                   d.year, d.month, d.day);
        st = xmlGetNoNsProp(sn, BAD_CAST "start");
        en = xmlGetNoNsProp(sn, BAD_CAST "end");
        a = time_parse((const char *)st);
        b = time_parse((const char *)en);
        if (a >= 0 && b >= 0 && b < a)
            report(l, sn, "<session> ends (%s) before it starts (%s)", en, st);
        xmlFree(st);
        xmlFree(en);
    }
}

static enum officer_status parse_status(const char *s)
{
    if (s && !strcmp(s, "attached"))
        return STATUS_ATTACHED;
    if (s && !strcmp(s, "graduated"))
        return STATUS_GRADUATED;
    if (s && !strcmp(s, "withdrawn"))
        return STATUS_WITHDRAWN;
    return STATUS_SELECTED;
}

/*
 * The language of a <name>: its lang=, or its xml:lang=, which people write
 * by habit and which means the same; NULL when it has neither.  The XML
 * namespace's other attributes (xml:space, xml:base, xml:id) are refused.
 * xmlFree() the result.
 */
static xmlChar *name_lang(struct loader *l, xmlNodePtr n)
{
    xmlChar *lang = xmlGetNoNsProp(n, BAD_CAST "lang");
    xmlChar *xlang = xmlGetNsProp(n, BAD_CAST "lang", XML_XML_NAMESPACE);
    char clip[40], clip2[40];
    xmlAttrPtr a;

    for (a = n->properties; a; a = a->next)
        if (a->ns && a->ns->href && xmlStrEqual(a->ns->href, XML_XML_NAMESPACE) &&
            !xmlStrEqual(a->name, BAD_CAST "lang"))
            report(l, n, "<name> has an unknown attribute 'xml:%s'",
                   text_clip(clip, sizeof clip, (const char *)a->name, 20));
    if (xlang && !text_is_language_tag((const char *)xlang))
        report(l, n, "<name> xml:lang='%s' is not a language code such as km or vi",
               text_clip(clip, sizeof clip, (const char *)xlang, 20));
    if (lang && xlang && !xmlStrEqual(lang, xlang))
        report(l, n, "<name> has lang=\"%s\" and xml:lang=\"%s\"; give one",
               text_clip(clip, sizeof clip, (const char *)lang, 20),
               text_clip(clip2, sizeof clip2, (const char *)xlang, 20));
    if (lang) {
        xmlFree(xlang);
        return lang;
    }
    return xlang;
}

/* Checks one officer and adds it to the index. */
static void check_officer(struct loader *l, xmlNodePtr off)
{
    attache_data *d = l->d;
    xmlNodePtr n, latin = NULL;
    xmlHashTablePtr langs = xmlHashCreate(4);
    xmlChar *id = xmlGetNoNsProp(off, BAD_CAST "id");
    xmlChar *status = xmlGetNoNsProp(off, BAD_CAST "status");
    char clip[120];

    check_texts(l, off);
    for (n = off->children; n; n = n->next) {
        xmlChar *lang, *v;

        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (!strcmp((const char *)n->name, "name")) {
            lang = name_lang(l, n);
            if (!lang) {
                const char *script = NULL;
                uint32_t cp;

                if (latin)
                    report(l, n, "has two <name> elements without lang; "
                                 "only the Latin-script name has no lang");
                latin = n;
                v = xmlNodeGetContent(n);
                cp = v ? text_non_latin_letter((const char *)v, &script) : 0;
                if (cp)
                    report(l, n, "<name> '%s' is not in Latin script (U+%04X is %s); "
                                 "give the native-script name a lang= and add the name in "
                                 "Latin script",
                           text_clip(clip, sizeof clip, (const char *)v, 40), (unsigned)cp,
                           script);
                else if (v && (cp = text_compatibility_char((const char *)v)))
                    report(l, n, "<name> '%s' has U+%04X, a compatibility form of other "
                                 "characters (fullwidth letters, ligatures, superscripts); "
                                 "write the letters themselves",
                           text_clip(clip, sizeof clip, (const char *)v, 40), (unsigned)cp);
                xmlFree(v);
            } else {
                const char *why = NULL;
                char lang_clip[24];
                uint32_t cp;

                const char *script = NULL, *expected = NULL;
                xmlChar *key = xmlStrdup(lang), *k;

                for (k = key; k && *k; k++)     /* language tags do not depend on case */
                    *k = (xmlChar)tolower(*k);
                if (key && xmlHashLookup(langs, key))
                    report(l, n, "has two <name lang=\"%s\">",
                           text_clip(clip, sizeof clip, (const char *)lang, 20));
                else if (key)
                    xmlHashAddEntry(langs, key, n);
                xmlFree(key);
                v = xmlNodeGetContent(n);
                cp = v ? text_zawgyi_sign((const char *)v, &why) : 0;
                if (!cp && v &&
                    (cp = text_letter_not_of_language((const char *)v, (const char *)lang,
                                                      &script, &expected))) {
                    report(l, n, "<name lang=\"%s\"> '%s' has U+%04X, a letter of %s script; "
                                 "a name with lang=\"%s\" is written in %s script",
                           text_clip(lang_clip, sizeof lang_clip, (const char *)lang, 8),
                           text_clip(clip, sizeof clip, (const char *)v, 30), (unsigned)cp,
                           script, lang_clip, expected);
                    cp = 0;
                } else if (cp)
                    report(l, n, "<name lang=\"%s\"> '%s' has U+%04X %s, which Unicode Myanmar "
                                 "does not allow: it looks typed in the Zawgyi encoding; convert "
                                 "it to Unicode (a Zawgyi-to-Unicode converter does it)",
                           text_clip(lang_clip, sizeof lang_clip, (const char *)lang, 8),
                           text_clip(clip, sizeof clip, (const char *)v, 30),
                           (unsigned)cp, why);
                xmlFree(v);
                xmlFree(lang);
            }
        } else if (!strcmp((const char *)n->name, "country")) {
            xmlChar *code = xmlGetNoNsProp(n, BAD_CAST "code");
            /* (a code not of two capitals is the schema's to report) */
            if (code && strlen((const char *)code) == 2 && isupper(code[0]) && isupper(code[1]) &&
                !country_name((const char *)code))
                report(l, n, "<country> code '%s' is not an ISO 3166-1 country code",
                       text_clip(clip, sizeof clip, (const char *)code, 4));
            xmlFree(code);
        }
    }
    if (!latin && child(off, "name"))
        report(l, off, "has no <name> without lang: the name in Latin script is required");
    check_image(l, child(off, "photo"));
    xmlHashFree(langs, NULL);

    if (id && l->batch >= 0) {
        struct officer_ref *r;
        xmlChar *name = latin ? xmlNodeGetContent(latin) : NULL;
        char *norm = name ? normalized(l, name) : NULL;

        if (d->nofficers % 1024 == 0) {
            struct officer_ref *p = realloc(d->officers, (d->nofficers + 1024) * sizeof *p);
            if (!p) {
                out_of_memory(l);
                free(norm);
                xmlFree(name);
                goto done;
            }
            d->officers = p;
        }
        r = &d->officers[d->nofficers];
        r->id = (const char *)xmlDictLookup(d->strings, id, -1);
        r->name = (const char *)xmlDictLookup(d->strings, BAD_CAST(norm ? norm : ""), -1);
        r->batch = (unsigned)l->batch;
        r->status = parse_status((const char *)status);
        r->line = line_of(off);
        if (!xmlHashLookup(d->officer_index, id)) {
            xmlHashAddEntry(d->officer_index, id, (void *)(uintptr_t)(d->nofficers + 1));
        } else {
            report(l, off, "officer id '%s' is already used at line %lu",
                   text_clip(clip, sizeof clip, (const char *)id, 64),
                   d->officers[(uintptr_t)xmlHashLookup(d->officer_index, id) - 1].line);
        }
        d->nofficers++;
        {
            attache_batch_info *b = &d->batches[l->batch];
            b->officers++;
            switch (r->status) {
            case STATUS_SELECTED: b->selected++; break;
            case STATUS_ATTACHED: b->attached++; break;
            case STATUS_GRADUATED: b->graduated++; break;
            case STATUS_WITHDRAWN: b->withdrawn++; break;
            }
        }
        xmlFree(name);
        free(norm);
    }
done:
    xmlFree(id);
    xmlFree(status);
}

static bool add_batch(struct loader *l, xmlNodePtr node)
{
    attache_data *d = l->d;
    attache_batch_info *b;
    xmlChar *id = xmlGetNoNsProp(node, BAD_CAST "id");
    xmlChar *num = xmlGetNoNsProp(node, BAD_CAST "number");
    xmlChar *start = xmlGetNoNsProp(node, BAD_CAST "start");
    xmlChar *end = xmlGetNoNsProp(node, BAD_CAST "end");
    bool ok = false;

    if (d->nbatches % 16 == 0) {
        attache_batch_info *p = realloc(d->batches, (d->nbatches + 16) * sizeof *p);
        if (!p) {
            out_of_memory(l);
            goto done;
        }
        d->batches = p;
    }
    b = &d->batches[d->nbatches];
    memset(b, 0, sizeof *b);
    b->id = (const char *)xmlDictLookup(d->strings, id ? id : BAD_CAST "", -1);
    b->programme_id = l->programme_id;
    b->programme_title = l->programme_title;
    b->number = num ? (unsigned)strtoul((const char *)num, NULL, 10) : 0;
    if (num && strtoul((const char *)num, NULL, 10) > 99999) {
        char clip[24];

        report(l, node, "<batch> number '%s' is larger than 99999",
               text_clip(clip, sizeof clip, (const char *)num, 16));
        b->number = 0;
    }
    {
        char ord[32];

        snprintf(ord, sizeof ord, "%u%s", b->number, text_ordinal_suffix((long)b->number));
        b->ordinal = (const char *)xmlDictLookup(d->strings, BAD_CAST ord, -1);
        if (!b->ordinal)
            out_of_memory(l);
    }
    b->start = (const char *)xmlDictLookup(d->strings, start ? start : BAD_CAST "", -1);
    b->end = (const char *)xmlDictLookup(d->strings, end ? end : BAD_CAST "", -1);
    if (id && xmlHashLookup(d->batch_index, id)) {
        char clip[80];
        report(l, node, "batch id '%s' is already used",
               text_clip(clip, sizeof clip, (const char *)id, 64));
    } else if (id) {
        xmlHashAddEntry(d->batch_index, id, (void *)(uintptr_t)(d->nbatches + 1));
    }
    l->batch = (long)d->nbatches++;
    ok = true;
done:
    xmlFree(id);
    xmlFree(num);
    xmlFree(start);
    xmlFree(end);
    return ok;
}

/* ---- the validating pass ----------------------------------------------- */

/*
 * Check well-formedness alone first, with a parser that builds nothing.
 * The validating reader is then only ever run on well-formed input (it also
 * leaks in libxml2 2.9.14 when it stops on a fatal error).
 */
/*
 * A CDATA section: the validating reader does not give its text to the
 * checks (a schema validator plugged into libxml2's reader drops it), so a
 * name could print what its token does not sign.  Refused, at its line.
 */
static void on_cdata(void *arg, const xmlChar *value, int len)
{
    struct loader *l = arg;

    (void)value;
    (void)len;
    if (l->cdata_said)
        return;
    l->cdata_said = true;
    add_diag(l, l->wf && l->wf->input ? (unsigned long)l->wf->input->line : 0,
             "a CDATA section (<![CDATA[...]]>) is not accepted in attache data; write "
             "its text as plain text, with &lt; and &amp; for < and &");
}

static void check_well_formed(struct loader *l)
{
    xmlSAXHandler sax;
    xmlParserCtxtPtr ctxt;

    memset(&sax, 0, sizeof sax);
    sax.initialized = XML_SAX2_MAGIC;
    sax.serror = on_xml_error;
    ctxt = xmlCreateMemoryParserCtxt((const char *)l->d->bytes, (int)l->d->size);
    if (!ctxt) {
        add_diag(l, 0, "internal error: cannot create an XML parser");
        l->stop = true;
        return;
    }
    xmlFree(ctxt->sax);
    ctxt->sax = &sax;
    ctxt->userData = l;
    xmlCtxtUseOptions(ctxt, PARSE_OPTIONS & ~XML_PARSE_NOCDATA);
    sax.cdataBlock = on_cdata;
    l->wf = ctxt;
    xmlParseDocument(ctxt);
    l->wf = NULL;
    if (!ctxt->wellFormed && !l->ndiags)
        add_diag(l, 0, "not well-formed XML");
    if (!ctxt->wellFormed)
        l->stop = true;
    ctxt->sax = NULL;
    xmlFreeParserCtxt(ctxt);
}

/* The reader must outlive `vc` being plugged into it: the caller frees both. */
static void validate(struct loader *l, xmlSchemaValidCtxtPtr vc)
{
    xmlTextReaderPtr r = l->reader;
    attache_data *d = l->d;
    xmlStructuredErrorFunc saved;
    void *saved_ctx;
    int ret;

    xmlSchemaSetValidStructuredErrors(vc, on_xml_error, l);
    if (xmlTextReaderSchemaValidateCtxt(r, vc, 0) != 0) {
        add_diag(l, 0, "internal error: cannot start schema validation");
        return;
    }
    /*
     * Well-formedness errors: the reader's own error hook does not survive
     * the validator being plugged into the parser, so use libxml2's
     * per-thread handler for the duration of the pass, and give the thread's
     * owner (the host program may have its own) its handler back after.
     */
    saved = xmlStructuredError;
    saved_ctx = xmlStructuredErrorContext;
    xmlSetStructuredErrorFunc(l, on_xml_error);
    while (!l->stop && (ret = xmlTextReaderRead(r)) == 1) {
        const char *name;
        int depth;
        xmlNodePtr node;

        if (xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT)
            continue;
        depth = xmlTextReaderDepth(r);
        name = (const char *)xmlTextReaderConstLocalName(r);
        if (depth == 0) {
            xmlChar *v = xmlTextReaderGetAttribute(r, BAD_CAST "version");
            if (v && strcmp((const char *)v, "1")) {
                char clip[40];
                report(l, xmlTextReaderCurrentNode(r),
                       "data format version '%s' is not supported; this attache reads version 1",
                       text_clip(clip, sizeof clip, (const char *)v, 16));
                l->stop = true;
            }
            xmlFree(v);
            continue;
        }
        if (depth > 3)
            continue;
        if (depth == 1 && !strcmp(name, "programme")) {
            xmlChar *id = xmlTextReaderGetAttribute(r, BAD_CAST "id");
            add_mark(l, xmlTextReaderCurrentNode(r), "programme");
            check_unique(l, l->programme_ids, xmlTextReaderCurrentNode(r), "programme");
            l->programme_id = (const char *)xmlDictLookup(d->strings, id ? id : BAD_CAST "", -1);
            l->programme_title = "";
            l->batch = -1;
            xmlFree(id);
            continue;
        }
        if (depth == 2 && !strcmp(name, "batch")) {
            node = xmlTextReaderCurrentNode(r);
            add_mark(l, node, "batch");
            if (!add_batch(l, node)) {
                l->stop = true;
                break;
            }
            check_batch(l, node);
            check_texts(l, node);   /* attributes only: children come later */
            continue;
        }
        node = xmlTextReaderExpand(r);
        if (!node)
            continue;   /* not well-formed: the parser says why */
        if (depth == 1 && !strcmp(name, "issuer")) {
            add_mark(l, node, "issuer");
            check_issuer(l, node);
        }
        else if (depth == 2 && !strcmp(name, "title")) {
            xmlChar *t = xmlNodeGetContent(node);
            char *norm = t ? normalized(l, t) : NULL;
            l->programme_title = (const char *)xmlDictLookup(d->strings,
                                                             BAD_CAST(norm ? norm : ""), -1);
            free(norm);
            xmlFree(t);
            check_texts(l, node);
        } else if (depth == 2)
            check_texts(l, node);
        else if (depth == 3 && !strcmp(name, "officer"))
            check_officer(l, node);
        else if (depth == 3 && !strcmp(name, "induction")) {
            check_induction(l, node);
            if (l->batch >= 0)
                d->batches[l->batch].sessions = (unsigned)xmlChildElementCount(node);
        } else if (depth == 3) {
            check_texts(l, node);
            if (!strcmp(name, "signatory"))
                check_image(l, child(node, "signature"));
        }
    }
    /*
     * Freeing a reader in the middle of a document with the validator
     * plugged in leaks in libxml2 2.9.14; read on to the end instead.
     */
    l->draining = true;
    while (xmlTextReaderRead(r) == 1)
        ;
    xmlSetStructuredErrorFunc(saved_ctx, saved);
}

static int by_line(const void *a, const void *b)
{
    const struct diag *x = a, *y = b;

    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

attache_data *attache_data_load(const unsigned char *bytes, size_t size,
                                const attache_data_options *opts,
                                attache_error *err)
{
    unsigned char *copy = malloc(size + 1);

    if (!copy) {
        err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        return NULL;
    }
    if (size)       /* an empty body may come as NULL */
        memcpy(copy, bytes, size);
    return attache_data_adopt(copy, size, opts, err);
}

attache_data *attache_data_adopt(unsigned char *bytes, size_t size,
                                 const attache_data_options *opts,
                                 attache_error *err)
{
    static const attache_data_options defaults = {0};
    struct loader l = {0};
    attache_data *d;
    size_t i;

    if (!opts)
        opts = &defaults;
    pthread_once(&schema_once, compile_schema);
    if (!schema) {
        err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "the compiled-in data schema does not compile");
        return NULL;
    }
    d = calloc(1, sizeof *d);
    if (!d) {
        free(bytes);
        err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        return NULL;
    }
    d->bytes = bytes;
    d->size = size;
    d->name = strdup(opts->name ? opts->name : "<data>");
    d->base_dir = xstrdup(opts->base_dir);
    d->strings = xmlDictCreate();
    d->officer_index = xmlHashCreate(64);
    d->batch_index = xmlHashCreate(16);
    l.programme_ids = xmlHashCreate(8);
    l.images = xmlHashCreate(16);
    if (!d->name || !d->strings || !d->officer_index || !d->batch_index ||
        !l.programme_ids || !l.images || (opts->base_dir && !d->base_dir)) {
        err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        goto fail;
    }

    l.d = d;
    l.opts = opts;
    l.max_errors = opts->max_errors ? opts->max_errors : DEFAULT_MAX_ERRORS;
    l.batch = -1;
    l.programme_id = l.programme_title = "";
    screen(&l, d->bytes, size);
    if (!l.stop)
        check_well_formed(&l);
    if (!l.stop) {
        xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);

        l.reader = xmlReaderForMemory((const char *)d->bytes, (int)size, NULL, NULL,
                                      PARSE_OPTIONS);
        if (!l.reader || !vc) {
            if (l.reader)
                xmlFreeTextReader(l.reader);
            xmlSchemaFreeValidCtxt(vc);
            err_set(err, ATTACHE_ERR_INTERNAL, d->name, 0, "cannot create an XML reader");
            goto fail;
        }
        validate(&l, vc);
        xmlFreeTextReader(l.reader);
        xmlSchemaFreeValidCtxt(vc);
        l.reader = NULL;
        if (!l.ndiags && !l.stop && d->nofficers == 0)
            add_diag(&l, 0, "file has no officers");
    }
    xmlHashFree(l.programme_ids, NULL);
    l.programme_ids = NULL;
    xmlHashFree(l.images, free_entry);
    l.images = NULL;
    if (l.ndiags && !l.oom)
        place_diags(&l);
    if (l.oom) {
        err_set(err, ATTACHE_ERR_INTERNAL, d->name, 0, "out of memory");
        goto fail;
    }
    if (l.ndiags) {
        qsort(l.diags, l.ndiags, sizeof *l.diags, by_line);
        for (i = 0; i < l.ndiags; i++) {
            attache_error e;

            err_set(&e, ATTACHE_ERR_DATA, d->name, l.diags[i].line, "%s", l.diags[i].message);
            if (i == 0 && err)
                *err = e;
            if (opts->on_error)
                opts->on_error(opts->on_error_ctx, &e);
        }
        if (l.overflow && opts->on_error) {
            attache_error e;
            err_set(&e, ATTACHE_ERR_DATA, d->name, 0,
                    "stopped after %u errors; fix these and run again", l.max_errors);
            opts->on_error(opts->on_error_ctx, &e);
        }
        goto fail;
    }
    free(l.marks);
    return d;
fail:
    for (i = 0; i < l.ndiags; i++)
        free(l.diags[i].message);
    free(l.diags);
    free(l.marks);
    if (l.programme_ids)
        xmlHashFree(l.programme_ids, NULL);
    if (l.images)
        xmlHashFree(l.images, free_entry);
    attache_data_free(d);
    return NULL;
}

void attache_data_free(attache_data *d)
{
    if (!d)
        return;
    free(d->name);
    free(d->base_dir);
    free(d->bytes);
    free(d->batches);
    free(d->officers);
    if (d->officer_index)
        xmlHashFree(d->officer_index, NULL);
    if (d->batch_index)
        xmlHashFree(d->batch_index, NULL);
    if (d->strings)
        xmlDictFree(d->strings);
    free(d);
}

size_t attache_data_batch_count(const attache_data *d)
{
    return d->nbatches;
}

const attache_batch_info *attache_data_batch(const attache_data *d, size_t i)
{
    return i < d->nbatches ? &d->batches[i] : NULL;
}

const char *attache_data_name(const attache_data *d)
{
    return d->name;
}

size_t data_officer_count(const attache_data *d)
{
    return d->nofficers;
}

const struct officer_ref *data_officer(const attache_data *d, size_t i)
{
    return i < d->nofficers ? &d->officers[i] : NULL;
}

long data_find_officer(const attache_data *d, const char *id)
{
    void *v = xmlHashLookup(d->officer_index, BAD_CAST id);
    return v ? (long)(uintptr_t)v - 1 : -1;
}

long data_find_batch(const attache_data *d, const char *id)
{
    void *v = xmlHashLookup(d->batch_index, BAD_CAST id);
    return v ? (long)(uintptr_t)v - 1 : -1;
}

const char *data_issuer_id(const attache_data *d)
{
    return d->issuer_id ? d->issuer_id : "";
}

const char *data_issuer_name(const attache_data *d)
{
    return d->issuer_name ? d->issuer_name : "";
}

const char *data_verify_url(const attache_data *d)
{
    return d->verify_url ? d->verify_url : "";
}

const char *data_base_dir(const attache_data *d)
{
    return d->base_dir;
}

const unsigned char *data_bytes(const attache_data *d, size_t *size)
{
    *size = d->size;
    return d->bytes;
}

/* ---- the generating pass ----------------------------------------------- */

/* Trim, collapse and NFC every text and attribute value below `node`;
 * false when memory runs out (the data was validated: it is UTF-8). */
static bool normalize_tree(xmlNodePtr node)
{
    xmlNodePtr c;
    xmlAttrPtr a;
    bool ok = true;

    for (a = node->properties; a && ok; a = a->next) {
        xmlChar *v = xmlNodeGetContent((xmlNodePtr)a);
        char *n = v ? text_normalize((const char *)v) : NULL;
        ok = v && n;
        if (ok && strcmp(n, (const char *)v))
            ok = xmlSetProp(node, a->name, BAD_CAST n) != NULL;
        free(n);
        xmlFree(v);
    }
    if (node->children && !has_elements(node)) {
        /*
         * A simple text: its whole string value, as the checks and the
         * officer's signed name read it, becomes one text node.  A comment
         * or processing instruction inside it ("Chhy <!-- x -->Ratha") is
         * not text and goes; the text on both sides of it, or of a CDATA
         * section, is one text, normalised once.
         */
        xmlChar *v = xmlNodeGetContent(node);
        char *n = v ? text_normalize((const char *)v) : NULL;

        ok = n != NULL;
        if (ok && (node->children->next || node->children->type != XML_TEXT_NODE ||
                   strcmp(n, (const char *)v))) {
            xmlNodePtr t = xmlNewDocText(node->doc, BAD_CAST n);     /* in place of all */

            ok = t != NULL;
            while (ok && node->children) {
                c = node->children;
                xmlUnlinkNode(c);
                xmlFreeNode(c);
            }
            if (ok)
                xmlAddChild(node, t);
        }
        free(n);
        xmlFree(v);
        return ok;
    }
    for (c = node->children; c && ok; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            ok = normalize_tree(c);
    return ok;
}

/*
 * The headers an officer is shown with (issuer, programme, batch), as they
 * stood when the officer was reached: a document nobody changes once made,
 * shared by every view of the batch's officers and freed with the last.
 */
struct data_skeleton {
    xmlDocPtr doc;
    atomic_uint refs;
};

static struct data_skeleton *skeleton_ref(struct data_skeleton *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    return s;
}

static void skeleton_unref(struct data_skeleton *s)
{
    if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1) {
        xmlFreeDoc(s->doc);
        free(s);
    }
}

/* The headers of the current programme and batch, kept while walking. */
struct skeleton {
    xmlDocPtr doc;
    xmlNodePtr root, programme, batch;
    struct data_skeleton *shared;   /* a copy of doc as it is; NULL: doc has changed since */
};

static xmlNodePtr shallow_copy(xmlNodePtr node, xmlDocPtr doc, xmlNodePtr parent)
{
    xmlNodePtr c = xmlDocCopyNode(node, doc, 2);   /* element and attributes */
    if (c)
        xmlAddChild(parent, c);
    return c;
}

/* A <name xml:lang="km"> becomes <name lang="km">, so templates ask one way. */
static void lang_from_xml_lang(xmlNodePtr officer)
{
    xmlNodePtr n;

    for (n = officer->children; n; n = n->next) {
        xmlChar *v;

        if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "name"))
            continue;
        v = xmlGetNsProp(n, BAD_CAST "lang", XML_XML_NAMESPACE);
        if (v) {
            if (!xmlHasNsProp(n, BAD_CAST "lang", NULL))
                xmlSetProp(n, BAD_CAST "lang", v);
            xmlUnsetNsProp(n, xmlSearchNsByHref(n->doc, n, XML_XML_NAMESPACE), BAD_CAST "lang");
            xmlFree(v);
        }
    }
}

static xmlNodePtr deep_copy(xmlNodePtr node, xmlDocPtr doc, xmlNodePtr parent)
{
    xmlNodePtr c = xmlDocCopyNode(node, doc, 1);

    if (c && !normalize_tree(c)) {
        xmlFreeNode(c);
        return NULL;
    }
    if (c) {
        lang_from_xml_lang(c);
        xmlAddChild(parent, c);
    }
    return c;
}

static xmlNodePtr find_path(xmlNodePtr root, const char *name)
{
    return child(root, name);
}

/* The batch element of a view's headers. */
static xmlNodePtr batch_of(xmlDocPtr doc)
{
    xmlNodePtr prog = find_path(xmlDocGetRootElement(doc), "programme");

    return prog ? find_path(prog, "batch") : NULL;
}

static attache_status emit_officer(const attache_data *d, struct skeleton *sk,
                                  xmlNodePtr node, size_t index, officer_fn *fn, void *ctx,
                                  attache_error *err)
{
    struct officer_view v;
    attache_status rc;

    if (index >= d->nofficers)
        return err_set(err, ATTACHE_ERR_INTERNAL, d->name, 0,
                       "more officers than when the data was validated");
    if (!sk->shared) {
        sk->shared = calloc(1, sizeof *sk->shared);
        if (!sk->shared || !(sk->shared->doc = xmlCopyDoc(sk->doc, 1))) {
            free(sk->shared);
            sk->shared = NULL;
            return err_set(err, ATTACHE_ERR_INTERNAL, d->name, 0, "out of memory");
        }
        atomic_init(&sk->shared->refs, 1);
    }
    /* the officer is shown in the walk's own headers for the call; kept, it moves out */
    v.doc = sk->doc;
    v.officer = deep_copy(node, sk->doc, sk->batch);
    if (!v.officer)
        return err_set(err, ATTACHE_ERR_INTERNAL, d->name, 0, "out of memory");
    v.index = index;
    v.ref = &d->officers[index];
    v.batch = &d->batches[v.ref->batch];
    v.skeleton = sk->shared;
    rc = fn(ctx, &v);
    if (v.doc == sk->doc) {         /* not kept */
        xmlUnlinkNode(v.officer);
        xmlFreeNode(v.officer);
    }
    return rc;
}

bool data_view_keep(struct officer_view *v)
{
    xmlDocPtr own = xmlNewDoc(BAD_CAST "1.0");

    if (!own)
        return false;
    xmlUnlinkNode(v->officer);
    if (xmlDOMWrapAdoptNode(NULL, v->doc, v->officer, own, NULL, 0) != 0) {
        xmlFreeNode(v->officer);
        xmlFreeDoc(own);
        v->doc = NULL;
        v->officer = NULL;
        return false;
    }
    xmlDocSetRootElement(own, v->officer);
    v->doc = own;
    skeleton_ref(v->skeleton);
    return true;
}

void data_view_release(struct officer_view *v)
{
    xmlFreeDoc(v->doc);
    skeleton_unref(v->skeleton);
    v->doc = NULL;
    v->officer = NULL;
    v->skeleton = NULL;
}

struct view_cache {
    struct data_skeleton *skeleton;    /* what doc is a copy of */
    xmlDocPtr doc;
    xmlNodePtr batch;
    /* doc as xml_dump() writes it, before and after the officer shown in
       it: written once for its headers, when they are plain (cut) */
    enum { CUT_UNTRIED, CUT_MADE, CUT_NONE } cut;
    struct buf before, after;
};

struct view_cache *view_cache_new(void)
{
    return calloc(1, sizeof(struct view_cache));
}

void view_cache_free(struct view_cache *c)
{
    if (!c)
        return;
    xmlFreeDoc(c->doc);
    skeleton_unref(c->skeleton);
    buf_release(&c->before);
    buf_release(&c->after);
    free(c);
}

bool view_cache_show(struct view_cache *c, struct officer_view *v)
{
    xmlDocPtr own = v->doc;

    if (c->skeleton != v->skeleton) {
        xmlFreeDoc(c->doc);
        skeleton_unref(c->skeleton);
        c->skeleton = skeleton_ref(v->skeleton);
        c->doc = xmlCopyDoc(v->skeleton->doc, 1);
        c->batch = c->doc ? batch_of(c->doc) : NULL;
        c->cut = CUT_UNTRIED;
        buf_reset(&c->before);
        buf_reset(&c->after);
        if (!c->batch) {
            xmlFreeDoc(c->doc);
            skeleton_unref(c->skeleton);
            c->skeleton = NULL;
            c->doc = NULL;
            return false;
        }
    }
    xmlUnlinkNode(v->officer);
    if (xmlDOMWrapAdoptNode(NULL, own, v->officer, c->doc, c->batch, 0) != 0) {
        xmlDocSetRootElement(own, v->officer);
        return false;
    }
    xmlAddChild(c->batch, v->officer);
    xmlFreeDoc(own);
    v->doc = c->doc;
    return true;
}

bool view_cache_dump(struct view_cache *c, const struct officer_view *v, struct buf *officer,
                     const struct buf **before, const struct buf **after)
{
    static const struct buf none;

    /* every officer goes where the first went: the rest is the same for all */
    if (c->cut == CUT_UNTRIED)
        c->cut = xml_dump_plain_around(c->doc, v->officer, &c->before, &c->after) ? CUT_MADE
                                                                                  : CUT_NONE;
    if (c->cut == CUT_MADE && xml_dump_plain_node(c->doc, v->officer, officer)) {
        *before = &c->before;
        *after = &c->after;
        return true;
    }
    *before = *after = &none;
    return xml_dump(v->doc, officer);
}

void data_view_done(struct officer_view *v)
{
    xmlUnlinkNode(v->officer);
    xmlFreeNode(v->officer);
    skeleton_unref(v->skeleton);
    v->doc = NULL;
    v->officer = NULL;
    v->skeleton = NULL;
}

static void replace(xmlNodePtr *slot, xmlNodePtr node)
{
    if (*slot) {
        xmlUnlinkNode(*slot);
        xmlFreeNode(*slot);
    }
    *slot = node;
}

attache_status data_foreach(const attache_data *d, const bool *want,
                            officer_fn *fn, void *ctx, attache_error *err)
{
    xmlTextReaderPtr r;
    struct skeleton sk = {0};
    size_t index = 0;
    attache_status rc = ATTACHE_OK;
    bool skip = false;

    r = xmlReaderForMemory((const char *)d->bytes, (int)d->size, NULL, NULL, PARSE_OPTIONS);
    sk.doc = xmlNewDoc(BAD_CAST "1.0");
    if (!r || !sk.doc) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, d->name, 0, "cannot create an XML reader");
        goto done;
    }
    /* the data has been validated: libxml2 has nothing to say, and must not say it elsewhere */
    xmlTextReaderSetStructuredErrorHandler(r, xml_ignore_error, NULL);
    /* After an element has been expanded and copied, Next() skips its subtree. */
    while (rc == ATTACHE_OK && (skip ? xmlTextReaderNext(r) : xmlTextReaderRead(r)) == 1) {
        int depth;
        const char *name;
        xmlNodePtr node;

        skip = false;
        if (xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT)
            continue;
        depth = xmlTextReaderDepth(r);
        name = (const char *)xmlTextReaderConstLocalName(r);
        node = xmlTextReaderCurrentNode(r);
        if (depth != 3 || strcmp(name, "officer")) {    /* the headers change */
            skeleton_unref(sk.shared);
            sk.shared = NULL;
        }
        if (depth == 0) {
            sk.root = xmlDocCopyNode(node, sk.doc, 2);
            xmlDocSetRootElement(sk.doc, sk.root);
            continue;
        }
        if (depth == 1 && !strcmp(name, "programme")) {
            replace(&sk.programme, shallow_copy(node, sk.doc, sk.root));
            sk.batch = NULL;
            continue;
        }
        if (depth == 2 && !strcmp(name, "batch")) {
            replace(&sk.batch, shallow_copy(node, sk.doc, sk.programme));
            continue;
        }
        node = xmlTextReaderExpand(r);
        if (!node) {
            rc = err_set(err, ATTACHE_ERR_DATA, d->name, 0, "the data changed while reading");
            break;
        }
        skip = true;
        if ((depth == 1 && !deep_copy(node, sk.doc, sk.root)) ||
            (depth == 2 && sk.programme && !deep_copy(node, sk.doc, sk.programme)) ||
            (depth == 3 && sk.batch && strcmp(name, "officer") &&
             !deep_copy(node, sk.doc, sk.batch)))
            rc = err_set(err, ATTACHE_ERR_INTERNAL, d->name, 0, "out of memory");
        else if (depth == 3 && sk.batch && !strcmp(name, "officer")) {
            if (!want || want[index])
                rc = emit_officer(d, &sk, node, index, fn, ctx, err);
            index++;
        }
    }
done:
    if (r)
        xmlFreeTextReader(r);
    if (sk.doc)
        xmlFreeDoc(sk.doc);
    skeleton_unref(sk.shared);
    return rc;
}


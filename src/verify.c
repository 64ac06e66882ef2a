/*
 * verify.c: checking documents' QR codes offline: trusted public keys, a
 * revocation list, and pictures of printed documents read with libzbar.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/hash.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "data.h"
#include "date.h"
#include "error.h"
#include "image.h"
#include "keys.h"
#include "libload.h"
#include "output.h"
#include "pdf.h"
#include "text.h"
#include "token.h"
#include "util.h"
#include "verify.h"
#include "xml.h"

#define MAX_KEYS 256
#define MAX_LIST (64u * 1024 * 1024)
#define MAX_PICTURE (64u * 1024 * 1024)

struct revocation {
    char date[11];
    char reason[201];
};

struct attache_verifier {
    struct public_key keys[MAX_KEYS];
    size_t nkeys;
    xmlHashTablePtr revoked;       /* document id -> struct revocation */
    struct verifier_name *names;   /* their strings are the verifier's */
    size_t nnames;
};

attache_verifier *attache_verifier_new(attache_error *err)
{
    attache_verifier *v = calloc(1, sizeof *v);

    if (!v)
        err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    return v;
}

static void free_entry(void *payload, const xmlChar *name)
{
    (void)name;
    free(payload);
}

void attache_verifier_free(attache_verifier *v)
{
    if (!v)
        return;
    if (v->revoked)
        xmlHashFree(v->revoked, free_entry);
    while (v->nnames--) {
        struct verifier_name *n = &v->names[v->nnames];
        free((char *)n->id);
        free((char *)n->title);
        free((char *)n->start);
        free((char *)n->end);
    }
    free(v->names);
    free(v);
}

static bool add_name(attache_verifier *v, const char *kind, const char *id, const char *title,
                     const char *start, const char *end)
{
    struct verifier_name *n;
    size_t i;

    if (!id || !*id || !title || !*title)
        return true;
    for (i = 0; i < v->nnames; i++)
        if (!strcmp(v->names[i].kind, kind) && !strcmp(v->names[i].id, id))
            return true;                    /* the first name stays */
    if (v->nnames % 16 == 0) {
        n = realloc(v->names, (v->nnames + 16) * sizeof *n);
        if (!n)
            return false;
        v->names = n;
    }
    n = &v->names[v->nnames];
    n->kind = kind;
    n->id = strdup(id);
    n->title = strdup(title);
    n->start = start ? strdup(start) : NULL;
    n->end = end ? strdup(end) : NULL;
    v->nnames++;
    return n->id && n->title && (!start || n->start) && (!end || n->end);
}

attache_status attache_verifier_add_names(attache_verifier *v, const attache_data *data,
                                          attache_error *err)
{
    size_t i, nb = attache_data_batch_count(data);
    bool ok = add_name(v, "issuers", data_issuer_id(data), data_issuer_name(data), NULL, NULL);

    for (i = 0; i < nb && ok; i++) {
        const attache_batch_info *b = attache_data_batch(data, i);
        char title[64];

        snprintf(title, sizeof title, "%s Batch", b->ordinal);
        ok = add_name(v, "programmes", b->programme_id, b->programme_title, NULL, NULL) &&
             add_name(v, "batches", b->id, title, b->start, b->end);
    }
    return ok ? ATTACHE_OK : err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
}

const struct verifier_name *verifier_names(const attache_verifier *v, size_t *n)
{
    *n = v->nnames;
    return v->names;
}

attache_status attache_verifier_add_key(attache_verifier *v, const char *path, attache_error *err)
{
    struct public_key k;
    attache_status rc = public_key_load(path, &k, err);
    size_t i;
    char hex[2 * KID_BYTES + 1];

    if (rc != ATTACHE_OK)
        return rc;
    for (i = 0; i < v->nkeys; i++)
        if (!memcmp(v->keys[i].kid, k.kid, KID_BYTES)) {
            if (!memcmp(v->keys[i].key, k.key, 32))
                return ATTACHE_OK;       /* the same key twice */
            kid_hex(k.kid, hex);
            return err_set(err, ATTACHE_ERR_USAGE, path, 0,
                           "has the kid %s of another key, %s: the tokens of one could not be "
                           "told from the other's; use only one of them", hex, v->keys[i].file);
        }
    if (v->nkeys == MAX_KEYS)
        return err_set(err, ATTACHE_ERR_USAGE, path, 0, "more than %d public keys", MAX_KEYS);
    v->keys[v->nkeys++] = k;
    return ATTACHE_OK;
}

const struct public_key *verifier_keys(const attache_verifier *v, size_t *n)
{
    *n = v->nkeys;
    return v->keys;
}

/* ---- revocation lists ---------------------------------------------------- */

static pthread_once_t schema_once = PTHREAD_ONCE_INIT;
static xmlSchemaPtr schema;

static void compile_schema(void)
{
    schema = xml_schema_compile("schema/revocations-1.xsd");
}

/* Parse and validate a revocation list; NULL (and err) when it is not one. */
static xmlDocPtr load_list(const char *path, const unsigned char *bytes, size_t size,
                           attache_error *err)
{
    struct xml_first_error fe = {path, "not a valid revocation list: ", err, false};
    xmlSchemaValidCtxtPtr vc;
    xmlDocPtr doc;

    pthread_once(&schema_once, compile_schema);
    if (!schema) {
        err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "the revocation list schema does not compile");
        return NULL;
    }
    if (!xml_screen(bytes, size, path, "revocation lists", err))
        return NULL;
    doc = xml_read(bytes, size, path, XML_PARSE_BIG_LINES | XML_PARSE_NOBLANKS,
                   xml_first_error_record, &fe);
    if (doc && (vc = xmlSchemaNewValidCtxt(schema))) {
        xmlSchemaSetValidStructuredErrors(vc, xml_first_error_record, &fe);
        if (xmlSchemaValidateDoc(vc, doc) != 0) {
            xmlFreeDoc(doc);
            doc = NULL;
        }
        xmlSchemaFreeValidCtxt(vc);
    }
    if (!doc && !fe.seen)
        err_set(err, ATTACHE_ERR_DATA, path, 0, "not a valid revocation list");
    return doc;
}

attache_status attache_verifier_add_revocations(attache_verifier *v, const char *path,
                                                attache_error *err)
{
    unsigned char *bytes;
    size_t size;
    xmlDocPtr doc;
    xmlNodePtr n;
    attache_status rc = attache_read_input(path, MAX_LIST, &bytes, &size, err);

    if (rc != ATTACHE_OK)
        return rc;
    doc = load_list(path, bytes, size, err);
    free(bytes);
    if (!doc)
        return err->code;
    if (!v->revoked && !(v->revoked = xmlHashCreate(64))) {
        xmlFreeDoc(doc);
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    }
    for (n = xmlDocGetRootElement(doc)->children; n; n = n->next) {
        struct revocation *r;
        xmlChar *id, *date, *reason;

        if (n->type != XML_ELEMENT_NODE)
            continue;
        r = calloc(1, sizeof *r);
        id = xmlGetNoNsProp(n, BAD_CAST "document");
        date = xmlGetNoNsProp(n, BAD_CAST "date");
        reason = xmlNodeGetContent(n);
        if (r && id && date) {
            snprintf(r->date, sizeof r->date, "%s", date);
            text_sanitize(r->reason, sizeof r->reason, reason ? (const char *)reason : "");
            if (xmlHashAddEntry(v->revoked, id, r) != 0)
                free(r);      /* listed twice, or in two lists: the first counts */
        } else
            free(r);
        xmlFree(id);
        xmlFree(date);
        xmlFree(reason);
    }
    xmlFreeDoc(doc);
    return ATTACHE_OK;
}

bool verifier_has_revocations(const attache_verifier *v)
{
    return v->revoked != NULL;
}

struct collect {
    struct revoked_document *docs;
    size_t n;
};

static void collect_one(void *payload, void *arg, const xmlChar *name)
{
    struct collect *c = arg;
    const struct revocation *r = payload;

    c->docs[c->n++] = (struct revoked_document){(const char *)name, r->date, r->reason};
}

static int by_document_id(const void *a, const void *b)
{
    return strcmp(((const struct revoked_document *)a)->document_id,
                  ((const struct revoked_document *)b)->document_id);
}

attache_status verifier_revoked(const attache_verifier *v, struct revoked_document **out,
                                size_t *n, attache_error *err)
{
    int size = v->revoked ? xmlHashSize(v->revoked) : 0;
    struct collect c = {calloc(size > 0 ? (size_t)size : 1, sizeof *c.docs), 0};

    *out = NULL;
    *n = 0;
    if (!c.docs)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    if (v->revoked)
        xmlHashScan(v->revoked, collect_one, &c);
    qsort(c.docs, c.n, sizeof *c.docs, by_document_id);
    *out = c.docs;
    *n = c.n;
    return ATTACHE_OK;
}

attache_status attache_revoke(const char *path, const char *document_id, const char *reason,
                              const char *date, attache_error *err)
{
    unsigned char *bytes = NULL;
    size_t size = 0;
    xmlDocPtr doc = NULL;
    xmlNodePtr root, n;
    xmlChar *out = NULL;
    int len = 0;
    struct date d;
    attache_status rc = ATTACHE_OK;
    char clip[80];
    const char *p;

    if (!date_parse(date, &d))
        return err_set(err, ATTACHE_ERR_USAGE, NULL, 0, "the date '%s' is not YYYY-MM-DD",
                       text_clip(clip, sizeof clip, date, 20));
    for (p = document_id; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || (*p == '-' && p != document_id)))
            break;
    if (*p || !*document_id || strlen(document_id) > 64)
        return err_set(err, ATTACHE_ERR_USAGE, NULL, 0,
                       "'%s' is not a document id (like C-7K3M-Q2XA-PL4D)",
                       text_clip(clip, sizeof clip, document_id, 40));
    /* one line: verify prints it in a tab-separated line of its own */
    if (text_forbidden_char(reason) || strpbrk(reason, "\t\n\r") || text_length(reason) > 200 ||
        !*reason)
        return err_set(err, ATTACHE_ERR_USAGE, NULL, 0,
                       "the reason must be 1 to 200 printable characters on one line");
    rc = attache_read_input(path, MAX_LIST, &bytes, &size, err);
    if (rc == ATTACHE_ERR_NOINPUT && access(path, F_OK) != 0) {
        /* a new list */
        rc = ATTACHE_OK;
        doc = xmlNewDoc(BAD_CAST "1.0");
        root = doc ? xmlNewNode(NULL, BAD_CAST "revocations") : NULL;
        if (!root) {
            rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
            goto done;
        }
        xmlSetProp(root, BAD_CAST "version", BAD_CAST "1");
        xmlDocSetRootElement(doc, root);
    } else if (rc != ATTACHE_OK)
        goto done;
    else if (!(doc = load_list(path, bytes, size, err))) {
        rc = err->code;
        goto done;
    }
    root = xmlDocGetRootElement(doc);
    for (n = root->children; n; n = n->next) {
        xmlChar *id = n->type == XML_ELEMENT_NODE ? xmlGetNoNsProp(n, BAD_CAST "document") : NULL;
        bool same = id && !strcmp((const char *)id, document_id);
        xmlFree(id);
        if (same) {
            rc = err_set(err, ATTACHE_ERR_DATA, path, (unsigned long)xmlGetLineNo(n),
                         "document %s is already revoked", document_id);
            goto done;
        }
    }
    n = xmlNewTextChild(root, NULL, BAD_CAST "revoked", BAD_CAST reason);
    if (!n) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    xmlSetProp(n, BAD_CAST "document", BAD_CAST document_id);
    xmlSetProp(n, BAD_CAST "date", BAD_CAST date);
    xmlDocDumpFormatMemoryEnc(doc, &out, &len, "UTF-8", 1);
    if (!out) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    rc = write_file_atomic(path, out, (size_t)len, err);
done:
    xmlFree(out);
    xmlFreeDoc(doc);
    free(bytes);
    return rc;
}

/* ---- verifying ------------------------------------------------------------ */

static void fill(attache_verification *out, const struct token_info *info)
{
    struct date d;

    text_clip(out->kind, sizeof out->kind, info->kind, 32);
    text_clip(out->document_id, sizeof out->document_id, info->document_id, 64);
    text_clip(out->officer_name, sizeof out->officer_name, info->officer_name, 200);
    text_clip(out->batch_id, sizeof out->batch_id, info->batch_id, 64);
    if (info->have_claims) {
        d = date_from_time((time_t)info->iat);
        if (d.year)
            snprintf(out->issue_date, sizeof out->issue_date, "%04d-%02d-%02d", d.year,
                     d.month, d.day);
    }
}

attache_verdict attache_verify_text(const attache_verifier *v, const char *text,
                                    attache_verification *out)
{
    struct token_info info;
    char reason[200];
    const struct revocation *r;
    enum token_status st;

    memset(out, 0, sizeof *out);
    st = token_verify(text, v->keys, v->nkeys, &info, reason, sizeof reason);
    text_sanitize(out->reason, sizeof out->reason, reason);
    kid_hex(info.kid, out->kid);
    if (st == TOKEN_UNKNOWN_KEY) {
        fill(out, &info);
        return out->verdict = ATTACHE_UNKNOWN_KEY;
    }
    if (st != TOKEN_VALID)
        return out->verdict = ATTACHE_INVALID;
    fill(out, &info);
    r = v->revoked ? xmlHashLookup(v->revoked, BAD_CAST info.document_id) : NULL;
    if (r) {
        snprintf(out->revoked_on, sizeof out->revoked_on, "%s", r->date);
        snprintf(out->reason, sizeof out->reason, "%s", r->reason);
        return out->verdict = ATTACHE_REVOKED;
    }
    out->reason[0] = '\0';
    return out->verdict = ATTACHE_VALID;
}

attache_status attache_verify_image(const attache_verifier *v, const char *path,
                                    attache_verification **out, size_t *n, attache_error *err)
{
    unsigned char *bytes = NULL, *px = NULL;
    size_t size;
    int w, h;
    const struct zbar_lib *zb;
    zbar_image_scanner_t *scanner = NULL;
    zbar_image_t *img = NULL;
    const zbar_symbol_t *sym;
    attache_status rc;
    size_t count = 0;

    *out = NULL;
    *n = 0;
    rc = attache_read_input(path, MAX_PICTURE, &bytes, &size, err);
    if (rc != ATTACHE_OK)
        return rc;
    rc = image_decode_grey(bytes, size, path, &w, &h, &px, err);
    free(bytes);
    if (rc != ATTACHE_OK)
        return rc;
    if (!(zb = zbar_lib(path, err))) {
        free(px);
        return ATTACHE_ERR_INTERNAL;
    }
    scanner = zb->image_scanner_create();
    img = zb->image_create();
    if (!scanner || !img) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "cannot start the QR code reader");
        goto done;
    }
    zb->image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
    zb->image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    zb->image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
    zb->image_set_size(img, (unsigned)w, (unsigned)h);
    zb->image_set_data(img, px, (unsigned long)w * (unsigned long)h, NULL);
    if (zb->scan_image(scanner, img) < 0) {
        rc = err_set(err, ATTACHE_ERR_DATA, path, 0, "cannot be scanned for QR codes");
        goto done;
    }
    for (sym = zb->image_first_symbol(img); sym; sym = zb->symbol_next(sym))
        count++;
    *out = calloc(count ? count : 1, sizeof **out);
    if (!*out) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    for (sym = zb->image_first_symbol(img); sym; sym = zb->symbol_next(sym)) {
        const char *data = zb->symbol_get_data(sym);
        attache_verify_text(v, data ? data : "", &(*out)[(*n)++]);
    }
done:
    if (img)
        zb->image_destroy(img);
    if (scanner)
        zb->image_scanner_destroy(scanner);
    free(px);
    return rc;
}

attache_status attache_verify_pdf(const attache_verifier *v, const char *path,
                                  attache_verification **out, size_t *n, attache_error *err)
{
    char **tokens = NULL;
    size_t count = 0, i;
    attache_status rc = pdf_read_tokens(path, &tokens, &count, err);

    *out = NULL;
    *n = 0;
    if (rc != ATTACHE_OK)
        return rc;
    *out = calloc(count ? count : 1, sizeof **out);
    if (!*out) {
        pdf_tokens_free(tokens, count);
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    }
    for (i = 0; i < count; i++)
        attache_verify_text(v, tokens[i], &(*out)[i]);
    *n = count;
    pdf_tokens_free(tokens, count);
    return ATTACHE_OK;
}

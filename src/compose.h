/*
 * compose.h: making one document: a template evaluated against an officer
 * (XPath), its text set in lines and pages (layout), as a list of drawing
 * operations for the PDF writer.
 */
#ifndef ATTACHE_COMPOSE_H
#define ATTACHE_COMPOSE_H

#include <libxml/tree.h>

#include "attache.h"
#include "draw.h"
#include "image.h"
#include "template.h"

/* What a run shares between workers (read-only while documents are made). */
struct compose_env {
    const struct template *t;
    struct image_cache *images;
    const char *data_dir;        /* where data's image paths resolve; NULL: nowhere */
    const char *data_name;       /* the data file, for messages */
};

/* What is particular to one document. */
struct doc_vars {
    const char *officer_id;
    unsigned long officer_line;  /* in the data file, for messages */
    const char *document_id;     /* $document-id, printed under the QR code */
    const char *kind;            /* $kind */
    const char *issue_date;      /* $issue-date, YYYY-MM-DD */
    const char *reference;       /* $reference, e.g. for letters */
    int qr_width;                /* modules per side; 0: no QR code */
    const unsigned char *qr_modules;
};

/* One worker's state: its compiled expressions, and paragraphs it measured. */
struct composer {
    const struct compose_env *env;
    struct template_exprs exprs;
    struct memo *paragraphs;     /* made on first use; NULL: none (out of memory) */
    xmlXPathContextPtr xp;       /* made on first use, for one document at a time */
};

attache_status composer_init(struct composer *c, const struct compose_env *env,
                             attache_error *err);
void composer_release(struct composer *c);

/* Does the template's select= take this officer?  (True when it has none.) */
attache_status compose_selects(struct composer *c, xmlDocPtr doc, xmlNodePtr officer,
                               bool *yes, attache_error *err);

/*
 * Make the document.  Errors name the officer and, for text no font can
 * draw, the field and the code point (ATTACHE_ERR_DATA); a missing image is
 * ATTACHE_ERR_NOINPUT.
 */
attache_status compose_document(struct composer *c, xmlDocPtr doc, xmlNodePtr officer,
                                const struct doc_vars *v, struct document **out,
                                attache_error *err);

#endif

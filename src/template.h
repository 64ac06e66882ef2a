/*
 * template.h: templates, loaded and checked once per run.
 *
 * A template file (schema/template-1.xsd, docs/templates.md) is validated
 * and turned into a tree of `tnode`s whose lengths, colours and styles are
 * already resolved, so that making a document only evaluates XPath and lays
 * out text.  XPath expressions are listed in the template and compiled by
 * each worker for itself (libxml2 caches function look-ups inside compiled
 * expressions, so they are not shared between threads).
 */
#ifndef ATTACHE_TEMPLATE_H
#define ATTACHE_TEMPLATE_H

#include <stdbool.h>

#include <libxml/xpath.h>

#include "attache.h"
#include "draw.h"
#include "font.h"

enum align { ALIGN_LEFT, ALIGN_CENTRE, ALIGN_RIGHT, ALIGN_JUSTIFY };
enum valign { VALIGN_TOP, VALIGN_MIDDLE, VALIGN_BOTTOM };

/* A text style with everything resolved. */
struct tstyle {
    const struct font_family *family;
    bool bold, italic, upper;
    float size;                 /* points */
    struct rgb colour;
    enum align align;
    float tracking;             /* ems */
    float leading;              /* line height as a multiple of the size */
    float space_before, space_after, indent;   /* points */
};

enum tkind {
    /* inline */
    T_LIT, T_EXPR, T_B, T_I, T_SPAN, T_BR,
    /* placed on a page */
    T_TEXT, T_IMAGE, T_QR, T_LINE, T_RECT, T_BORDER,
    /* blocks in a flow */
    T_H1, T_H2, T_H3, T_P, T_LIST, T_ITEM, T_TABLE, T_ROW, T_CELL,
    T_BIMAGE, T_BQR, T_SPACE, T_BREAK, T_KEEP,
    /* control */
    T_EACH, T_IF,
    /* sections */
    T_PAGE, T_FLOW, T_HEADER, T_FOOTER
};

enum border_pattern { BORDER_SIMPLE, BORDER_DOUBLE, BORDER_GUILLOCHE };
enum image_fit { FIT_CONTAIN, FIT_COVER, FIT_STRETCH };
enum running_pages { PAGES_ALL, PAGES_FIRST, PAGES_REST };

#define MAX_COLUMNS 16

struct tnode {
    enum tkind kind;
    struct tnode *children, *next;
    unsigned line;              /* in the template file, for messages */
    const char *text;           /* T_LIT: the text; T_EXPR: its source */
    int expr;                   /* index of the XPath expression, -1: none */
    struct tstyle style;        /* textual nodes: the resolved style */
    bool has_style;             /* T_SPAN etc.: style differs from the parent's */
    /* geometry, points from the top left of the page */
    float x, y, w, h, x2, y2;
    bool has_w, has_h;
    float size, min_size;       /* T_QR/T_BQR side; T_TEXT min size */
    int max_lines;              /* T_TEXT: 0 = as many as needed */
    enum valign valign;
    enum align align;           /* images, QR blocks */
    enum image_fit fit;
    struct tnode *src;          /* images: the path as inline text (T_LIT/T_EXPR list) */
    /* strokes and fills */
    float line_width, radius, dash_on, dash_off;
    struct rgb stroke, fill, accent;
    bool do_stroke, do_fill, caption, header;
    enum border_pattern pattern;
    float step;                 /* placed T_EACH: move down per repetition */
    /* T_TABLE */
    int ncolumns;
    float columns[MAX_COLUMNS]; /* points; < 0: a share of the remaining width */
    const struct tstyle *header_style;
    struct rgb rule, stripe, header_fill;
    bool has_rule, has_stripe, has_header_fill;
    float padding;
    int span;                   /* T_CELL */
    int marker;                 /* T_LIST: 0 bullet, 1 number, 2 dash */
    enum running_pages pages;   /* T_HEADER/T_FOOTER */
    /* sections */
    float page_w, page_h, margin[4];   /* top right bottom left */
    float first_top;            /* T_FLOW: top margin of its first page; 0: margin[0] */
};

struct template {
    char *name, *kind, *description;
    char *path;                 /* the file, or NULL for a built-in */
    unsigned char hash[32];     /* SHA-256 of the template's bytes and then of its
                                   font files' bytes, in the order loaded */
    char *dir;                  /* where its relative paths resolve; NULL: built-in */
    int select;                 /* expression: which officers, -1: all */
    struct tnode *title, *subject;   /* inline text lists, may be NULL */
    int qr_max_version;
    struct font_set *fonts;
    struct tnode *sections;     /* T_PAGE and T_FLOW nodes */
    char **exprs;               /* XPath sources */
    int nexprs;
    struct arena arena;         /* everything above lives here */
    struct tstyle base;         /* the default style */
};

/*
 * Load a built-in template by name ("certificate") or a template file (a
 * name with a '/' or ending in ".xml").  Errors name the file and line.
 */
struct template *template_load(const char *name_or_path, attache_error *err);
bool template_is_file(const char *name_or_path);
void template_free(struct template *t);

/* The compiled expressions of one worker. */
struct template_exprs {
    xmlXPathCompExprPtr *comp;
    int n;
};

attache_status template_compile(const struct template *t, struct template_exprs *out,
                                 attache_error *err);
void template_exprs_release(struct template_exprs *e);

/* Register attache's XPath functions on a context. */
void template_register_functions(xmlXPathContextPtr ctx);

/* Parse lengths and colours as templates write them (exposed for tests). */
bool parse_length(const char *s, float *points);
bool parse_colour(const char *s, struct rgb *out);

#endif

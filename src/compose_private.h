/*
 * compose_private.h: what the files that compose a document share, and
 * nothing else includes.
 *
 *   compose.c           the document: templates evaluated against an
 *                       officer (XPath), text into runs, flows, tables,
 *                       placed elements, images, QR codes, paths
 *   compose_typeset.c   runs measured as a paragraph, lines broken and
 *                       balanced, a line's height and baseline
 *   compose_ornament.c  the ornaments of a certificate's border: rules,
 *                       guilloche waves, corner rosettes
 */
#ifndef ATTACHE_COMPOSE_PRIVATE_H
#define ATTACHE_COMPOSE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/xpath.h>

#include "compose.h"
#include "error.h"

/* ---- the state of one document ----------------------------------------- */

#define MM (72.0f / 25.4f)

struct run {
    const char *text;
    const struct tstyle *st;
    const char *origin;          /* expression the text came from, NULL: template text */
    unsigned line;               /* template line */
};

struct runs {
    struct run *v;
    size_t n, cap;
};

struct ctx {
    struct composer *c;
    const struct compose_env *env;
    const struct template *t;
    const struct doc_vars *v;
    xmlDocPtr doc;
    xmlXPathContextPtr xp;
    struct document *d;
    attache_error *err;
    attache_status rc;           /* the first error; everything stops at it */
    const unsigned char *qr;     /* the QR modules, copied into the document's arena */
    /* the flow being laid out */
    const struct tnode *flow;
    size_t page;                 /* index of the current page */
    float y;                     /* cursor, points from the top of the page */
    float left, width, bottom;   /* the frame */
    bool page_empty;
    /* which section each page came from, for the second pass */
    const struct tnode **page_section;
    size_t *page_in_section;
    size_t section_cap;
};

static inline bool failed(struct ctx *x)
{
    return x->rc != ATTACHE_OK;
}

static inline void oom(struct ctx *x)
{
    if (!failed(x))
        x->rc = err_set(x->err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
}

/* An error about this officer's document, placed at the officer in the data. */
void compose_doc_error(struct ctx *x, attache_status code, const char *fmt, ...)
    ATTACHE_PRINTF(3, 4);

static inline struct page *cur_page(struct ctx *x, size_t index)
{
    return &x->d->pages[index];
}

/* ---- compose.c: paths -------------------------------------------------- */

struct path_builder {
    struct path_seg *segs;
    size_t n, cap;
};


/* Add a segment to a path (points in PDF coordinates); false when out of memory. */
bool compose_seg(struct ctx *x, struct path_builder *pb, enum path_verb v, float a, float b,
                 float c, float d, float e, float f);

/* The path as an operation on `page`, for the caller to set paint on; NULL on error. */
struct op_path *compose_add_path(struct ctx *x, size_t page, struct path_builder *pb);

/* A rectangle's outline, with its top left at (rx, ry) from the page's top left. */
void compose_stroke_rect(struct ctx *x, size_t page, float rx, float ry, float w, float h,
                         float lw, struct rgb colour);

/* ---- compose_typeset.c: measuring, breaking, balancing ---------------------- */

/*
 * One character of a paragraph.  Its advance is that of the shaped glyphs
 * of the cluster it starts (0 for the other characters of a cluster), so
 * that lines are measured and broken by character, and drawn by glyph.
 */
struct glyph {
    uint32_t cp;
    uint32_t off, len;           /* bytes in the paragraph's text */
    const struct font_face *face;
    const struct tstyle *st;
    float adv;                   /* at the style's size, tracking included */
    uint32_t sg;                 /* its cluster's first shaped glyph, if it starts one */
    unsigned char brk;           /* break after this character: LINEBREAK_* */
    bool space, newline;
    bool cont;                   /* in the cluster of the character before */
};

struct para {
    char *text;
    size_t len;
    struct glyph *g;
    size_t n;
    struct shaped_glyph *sg;     /* the shaped glyphs of every run, in order */
    size_t nsg;
    bool breaks;                 /* has line breaks of its own (<br/>) */
};

struct line {
    size_t a, b;                 /* glyphs [a, b), trailing spaces excluded */
    float width;                 /* at scale 1 */
    float size;                  /* the largest size in the line, at scale 1 */
    const struct font_face *face;   /* of the largest size, for ascent */
    size_t spaces;               /* inner spaces, for justification */
};


bool typeset_measure(struct ctx *x, const struct runs *r, struct para *p);
/* The end of the shaped glyphs of character i's cluster (see struct glyph). */
size_t typeset_glyphs_end(const struct para *p, size_t i);
void typeset_line_stats(const struct para *p, struct line *ln);
size_t typeset_break_lines(const struct para *p, float width, struct line *lines, size_t max);
bool typeset_balance_two(const struct para *p, float width, struct line *lines);
float typeset_line_height(const struct line *ln, const struct tstyle *st, float scale);
float typeset_baseline_offset(const struct line *ln, const struct tstyle *st, float scale);

/* ---- compose_ornament.c ------------------------------------------------------ */

/* A <border>: its rules and, for the guilloche pattern, waves and rosettes. */
void ornament_border(struct ctx *x, size_t page, const struct tnode *t);

#endif

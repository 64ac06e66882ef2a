/*
 * draw.h: a laid-out document as a list of drawing operations per page.
 *
 * The layout engine produces it, the PDF writer consumes it: the writer
 * knows nothing about templates, the layout nothing about libharu.
 * Coordinates are PDF points with the origin at the bottom left of the
 * page.  Everything a document holds lives in its arena.
 */
#ifndef ATTACHE_DRAW_H
#define ATTACHE_DRAW_H

#include <stdbool.h>
#include <stddef.h>

#include "attache.h"
#include "font.h"
#include "image.h"
#include "shape.h"
#include "util.h"

struct rgb {
    float r, g, b;
};

enum op_kind {
    OP_TEXT,
    OP_IMAGE,
    OP_QR,
    OP_PATH
};

/*
 * One run of text in one face, drawn from its baseline origin: the glyphs
 * shaping chose, where it placed them, and the text they stand for (for
 * searching and copying; each glyph's cluster is a byte offset in it).
 */
struct op_text {
    const struct font_face *face;
    float size;
    float x, y;
    float tracking;              /* extra space after each cluster, points */
    struct rgb colour;
    const char *text;            /* UTF-8 */
    const struct shaped_glyph *glyphs;   /* in the order drawn, positions in font units */
    size_t nglyphs;
};

struct op_image {
    struct image *image;         /* a reference, dropped by document_free() */
    float x, y, w, h;
    bool clip;                   /* show only the rectangle cx, cy, cw, ch */
    float cx, cy, cw, ch;
};

/* A QR code drawn as vector modules. */
struct op_qr {
    int width;                   /* modules per side */
    const unsigned char *modules;   /* width * width, row-major from the top, 1 = dark */
    float x, y, size;            /* bottom-left corner and side, without quiet zone */
    struct rgb colour;
};

enum path_verb {
    PATH_MOVE,
    PATH_LINE,
    PATH_CURVE,                  /* two control points, then the end point */
    PATH_CLOSE
};

struct path_seg {
    enum path_verb verb;
    float p[6];
};

/* (A new field must join pdf.c's artwork_key(), which tells paths apart field by field.) */
struct op_path {
    struct path_seg *segs;
    size_t n;
    float line_width;
    struct rgb stroke, fill;
    bool do_stroke, do_fill;
    float dash_on, dash_off;     /* 0, 0: solid */
    bool transformed;            /* segs are drawn through `matrix` (a b c d e f) */
    float matrix[6];
    /* when nrepeat > 0: the path is drawn once through each of these matrices */
    const float (*repeat)[6];
    size_t nrepeat;
};

struct op {
    enum op_kind kind;
    union {
        struct op_text text;
        struct op_image image;
        struct op_qr qr;
        struct op_path path;
    } u;
};

struct page {
    float width, height;
    struct op *ops;
    size_t nops, cap;
};

struct document {
    struct arena arena;
    struct page *pages;
    size_t npages, cap;
    /* PDF metadata */
    const char *title, *author, *subject, *keywords;
    const char *bookmark;        /* the outline entry in a merged print file */
    const char *fingerprint;     /* hash of the inputs, kept as /AttacheInputs */
    const char *token;           /* the signed token "ATT1:..." its QR code holds, kept in
                                    /AttacheTokens for `attache verify FILE.pdf`; may be NULL */
};

/* A new empty document; NULL when out of memory.  document_free(NULL) is fine. */
struct document *document_new(void);
void document_free(struct document *doc);

/* Append a page; NULL when out of memory. */
struct page *document_add_page(struct document *doc, float width, float height);

/* Append an operation to a page; NULL when out of memory.  The caller fills it in. */
struct op *page_add_op(struct document *doc, struct page *page, enum op_kind kind);

#endif

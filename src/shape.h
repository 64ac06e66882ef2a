/*
 * shape.h: text shaping with HarfBuzz.
 *
 * Text is drawn as glyphs, not characters: Khmer subscript consonants and
 * pre-base vowels, Myanmar's medial ra and Lao's stacked marks are placed by
 * the font's layout tables, and Latin text gets the font's kerning.  The
 * layout engine picks a face for each character (shape_pick), cuts the text
 * into runs of one face, and shapes each run (shape_text); the PDF writer
 * draws the glyphs where shaping put them.
 */
#ifndef ATTACHE_SHAPE_H
#define ATTACHE_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "font.h"

/* One glyph as shaping placed it, in the font units of its face. */
struct shaped_glyph {
    unsigned gid;                /* the glyph's number in the face */
    int32_t x_advance;           /* where the next glyph starts, from this one's origin */
    int32_t x_offset, y_offset;  /* where this glyph is drawn, from the pen (y up) */
    uint32_t cluster;            /* byte offset of its cluster's first character */
};

/* A growable array of glyphs.  Zero-initialise; shape_glyphs_release() frees it. */
struct shape_glyphs {
    struct shaped_glyph *v;
    size_t n, cap;
};

void shape_glyphs_release(struct shape_glyphs *g);

/*
 * The face that draws `cp` in `family`/`style` (font_pick), except that a
 * character that only modifies the one before it (a combining mark, a
 * joiner, a variation selector) stays in the face of that character,
 * `prev`, when that face has it: a cluster is shaped in one face.  NULL when
 * no face can draw `cp`.
 */
const struct font_face *shape_pick(const struct font_set *fs, const struct font_family *family,
                                   enum font_style style, uint32_t cp,
                                   const struct font_face *prev);

/*
 * Shape text[off, off + len) in `face` and append its glyphs to `out`, in
 * visual order; the whole `text` (text_len bytes of UTF-8) is the context,
 * and each glyph's cluster is a byte offset in it.  Text is set left to
 * right (see shape_is_rtl).  Without `kern` the font's kerning is left out
 * (letter-spaced text: uneven gaps between its letters would read as word
 * spaces to text extraction).  False when memory runs out.
 */
bool shape_text(const struct font_face *face, const char *text, size_t text_len, size_t off,
                size_t len, bool kern, struct shape_glyphs *out);

/*
 * True when `cp` belongs to a script written right to left, which attache
 * does not lay out; *script receives the script's name.
 */
bool shape_is_rtl(uint32_t cp, const char **script);

#endif

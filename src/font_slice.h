/*
 * font_slice.h: a TrueType face's glyphs cut out into a font program of
 * their own, for a PDF's CIDFontType2.
 *
 * What a PDF's TrueType program needs is six tables (glyf, loca, head,
 * hhea, hmtx, maxp: ISO 32000-1, 9.9), and a subset of them is the chosen
 * glyphs' outlines copied one after the other, their metrics, and counts.
 * HarfBuzz's subsetter does that and much more (it plans for every table a
 * font can hold): about 25 microseconds a face with the face prepared, for
 * every document, where this takes about 4.  Here the outlines are copied
 * as they are, without hinting, and the parts of composite glyphs
 * renumbered; what this cannot read for certain (a table too short,
 * outlines out of order or outside glyf, an outline that runs past its
 * end, a part the face does not have) refuses the face or the subset, and
 * HarfBuzz cuts it instead (font.c).
 */
#ifndef ATTACHE_FONT_SLICE_H
#define ATTACHE_FONT_SLICE_H

#include <stdbool.h>
#include <stddef.h>

#include <hb.h>

/*
 * A face's six tables, checked once, with the room one subset at a time
 * needs: one thread's.  glyph_slicer_new() returns NULL when the face
 * lacks one of the tables or they do not agree (glyph counts, lengths,
 * loca's offsets not ascending within glyf), or memory runs out; free
 * with glyph_slicer_free() (NULL is fine).  The slicer holds references
 * to the face's tables.
 */
struct glyph_slicer;
struct glyph_slicer *glyph_slicer_new(hb_face_t *face);
void glyph_slicer_free(struct glyph_slicer *s);

enum slice_result {
    SLICE_DONE,
    SLICE_REFUSED,      /* an outline this does not read for certain: nothing written */
    SLICE_NO_MEMORY,
};

/*
 * The program of glyphs `gids` (n of them, any order, repeats allowed),
 * .notdef and the components of the composite glyphs among them, into
 * *data (malloc'd: free() it) and *size.  Glyphs are numbered in the
 * order of the face, .notdef first, and new_gids[i] (when not NULL) is
 * gids[i]'s number, 0 for a number the face does not have; with
 * `retain_gids` every glyph keeps the face's number and the others are
 * empty.  Outlines lose their hinting instructions, and maxp the hinting
 * limits.
 */
enum slice_result glyph_slicer_cut(struct glyph_slicer *s, const unsigned *gids, size_t n,
                                   bool retain_gids, unsigned *new_gids, unsigned char **data,
                                   size_t *size);

#endif

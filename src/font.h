/*
 * font.h: the fonts documents are set in.
 *
 * A font set holds font families ("serif", "serif-display", "sans" are
 * built in, compiled into the library from fonts/; templates may add
 * families from font files), each with up to four faces (regular, bold,
 * italic, bold italic) and a fallback chain of other families.  Faces are
 * read once per process with HarfBuzz and are immutable afterwards, so
 * worker threads share them.  For embedding, a face is cut down to the
 * glyphs a document uses (font_slice.c; hb-subset for outlines that cannot
 * be read for certain) and handed to the PDF writer.
 */
#ifndef ATTACHE_FONT_H
#define ATTACHE_FONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attache.h"

enum font_style {
    FONT_REGULAR = 0,
    FONT_BOLD = 1,
    FONT_ITALIC = 2,
    FONT_BOLD_ITALIC = 3
};

struct font_face;
struct font_family;
struct font_set;

/* The built-in families.  Free with font_set_free(). */
struct font_set *font_set_new(attache_error *err);
void font_set_free(struct font_set *fs);

/*
 * Add (or replace) a family from font files: `files[style]` may be NULL
 * for styles the family lacks (the nearest style stands in).  `fallback`
 * names the families tried, in order, for characters the family lacks
 * (comma-separated, may be NULL).
 */
attache_status font_set_add_family(struct font_set *fs, const char *name,
                                   const char *const files[4], const char *fallback,
                                   attache_error *err);

/* The family called `name`, or NULL. */
const struct font_family *font_family_find(const struct font_set *fs, const char *name);

/*
 * The face that draws `cp` in `family`/`style`: the family's own face if it
 * has the glyph, else the first family of its fallback chain that does.
 * NULL when none can.
 */
const struct font_face *font_pick(const struct font_set *fs, const struct font_family *family,
                                  enum font_style style, uint32_t cp);

/* The family's own face for `style` (for metrics of an empty line). */
const struct font_face *font_family_face(const struct font_family *family, enum font_style style);

/* Vertical metrics in ems: ascender (positive), descender (negative), cap height. */
double font_ascender(const struct font_face *face);
double font_descender(const struct font_face *face);
double font_cap_height(const struct font_face *face);

/* The face's PostScript name, e.g. "AttacheSerif-Regular". */
const char *font_face_name(const struct font_face *face);

/* The face's units per em: shaped positions are in these units. */
unsigned font_upem(const struct font_face *face);

/* The face's number of glyphs. */
unsigned font_glyph_count(const struct font_face *face);

/* The face's HarfBuzz font, at a scale of one unit per font unit (for shape.c). */
struct hb_font_t;
struct hb_font_t *font_hb(const struct font_face *face);

/* A small number unique to each face in the process, for tables keyed by face. */
unsigned font_face_id(const struct font_face *face);

/* The face's glyph for `cp`; 0 (.notdef) when it has none. */
unsigned font_glyph(const struct font_face *face, uint32_t cp);

/* A glyph's advance width in thousandths of an em. */
int font_glyph_width(const struct font_face *face, unsigned glyph);

/* What a PDF font descriptor says of a face, in thousandths of an em. */
struct font_metrics {
    int bbox[4];                 /* xMin yMin xMax yMax of every glyph */
    int ascent, descent, cap_height, x_height, stem_v;
    double italic_angle;         /* degrees, counter-clockwise: negative leans right */
    bool italic, bold;
};
const struct font_metrics *font_pdf_metrics(const struct font_face *face);

/*
 * A TrueType font with only the glyphs `gids` (n glyph numbers of `face`,
 * plus .notdef and the parts of composite glyphs), for embedding: the glyphs shaping chose, whatever
 * characters they draw (a conjunct or a ligature has none of its own).
 * *data (free()) and *size receive it, and new_gids[i] (when not NULL)
 * gids[i]'s number in it.  With `retain_gids` every glyph keeps the number
 * it has in `face` (the others are left empty), so a merged print file can
 * number its text by the face's own glyphs and embed, at the end, only
 * those its pages drew.  No layout table is kept: viewers draw the glyphs
 * where attache placed them.
 */
attache_status font_subset_glyphs(const struct font_face *face, const unsigned *gids, size_t n,
                                  bool retain_gids, unsigned *new_gids, unsigned char **data,
                                  size_t *size, attache_error *err);

/*
 * What font_subset_glyphs() sets up for every subset (each face's glyph
 * slicer, and HarfBuzz's subset input with the faces prepared for it),
 * made once and used for subset after subset by one thread, each face's
 * part on its first subset of the face: font_subset_glyphs_with() is
 * font_subset_glyphs() with it.  NULL when out of memory.
 */
struct font_subsetter;
struct font_subsetter *font_subsetter_new(void);
void font_subsetter_free(struct font_subsetter *s);
attache_status font_subset_glyphs_with(struct font_subsetter *s, const struct font_face *face,
                                       const unsigned *gids, size_t n, bool retain_gids,
                                       unsigned *new_gids, unsigned char **data, size_t *size,
                                       attache_error *err);

#endif

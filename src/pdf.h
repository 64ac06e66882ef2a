/*
 * pdf.h: writing documents (draw.h) as PDF with libharu.  This is the only
 * module that calls HPDF_*.
 *
 * Text is embedded in fonts cut down to the glyphs used, shown by glyph
 * number (Identity-H), with a ToUnicode map so that it can be searched and
 * copied.  A print file draws what its pages share once.
 */
#ifndef ATTACHE_PDF_H
#define ATTACHE_PDF_H

#include <stdbool.h>
#include <time.h>

#include "attache.h"
#include "draw.h"
#include "util.h"

struct pdf_settings {
    time_t date;              /* creation and modification date */
    const char *id_seed;      /* the /ID is a hash of this (deterministic); NULL: none */
};

/* The Info entry that keeps a document's fingerprint (draw.h). */
#define INPUTS_KEY "AttacheInputs"

/* Write `doc` as one PDF into `out` (appended). */
attache_status pdf_render(const struct document *doc, const struct pdf_settings *s,
                          struct buf *out, attache_error *err);

/*
 * A print file: many documents in one PDF, in the order added, each font
 * and image embedded once, with one bookmark per document.
 */
struct pdf_book;
struct pdf_book *pdf_book_new(const struct pdf_settings *s, attache_error *err);
attache_status pdf_book_add(struct pdf_book *book, const struct document *doc,
                            attache_error *err);
attache_status pdf_book_finish(struct pdf_book *book, struct buf *out, attache_error *err);
void pdf_book_free(struct pdf_book *book);

/*
 * Read back the fingerprint pdf_render() recorded in a PDF (`n` bytes) into
 * out (64 hex digits); false, with out "", when there is none.
 */
bool pdf_recorded_inputs(const unsigned char *pdf, size_t n, char out[65]);

#endif

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

struct pdf_cache;

struct pdf_settings {
    time_t date;              /* creation and modification date */
    const char *id_seed;      /* the /ID is a hash of this (deterministic); NULL: none */
    struct pdf_cache *cache;  /* what earlier documents left to reuse; NULL: none */
};

/*
 * What one thread keeps between the documents it writes with pdf_render():
 * compressors, and what documents have in common (the compressed artwork
 * of a page, font subsets of the same glyphs), worked out once.  It makes
 * writing faster and never changes a byte of the output.  Not shared
 * between threads.  pdf_cache_new() returns NULL when memory runs out;
 * pdf_cache_free(NULL) does nothing.
 */
struct pdf_cache *pdf_cache_new(void);
void pdf_cache_free(struct pdf_cache *cache);

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

/*
 * Read back the signed tokens a PDF attache wrote keeps in its metadata
 * (the info dictionary's /AttacheTokens: one for a document, one per
 * document in a print file, in order).  *tokens receives *n malloc'd
 * strings (free with pdf_tokens_free()); a PDF without any gives *n == 0.
 * Only files as attache wrote them are read (pdf_read.c): any other is
 * ATTACHE_ERR_DATA, saying why; ATTACHE_ERR_NOINPUT when the file cannot be
 * opened or read.  Bounded on any input.
 */
attache_status pdf_read_tokens(const char *path, char ***tokens, size_t *n, attache_error *err);

/*
 * An unsigned decimal number at *p (before end), after any PDF white
 * space, at most `max`: moves *p past it.  False when there is none or it
 * is larger.  (pdf_read.c and pdf_pack.c read attache's own files with it.)
 */
bool pdf_number(const char **p, const char *end, unsigned long long max, unsigned long long *out);
void pdf_tokens_free(char **tokens, size_t n);

#endif

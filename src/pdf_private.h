/*
 * pdf_private.h: what the files of the PDF writer share, and nothing else
 * includes.
 *
 *   pdf.c        the context of one libharu document, its objects and
 *                streams, images, pages and their content streams,
 *                metadata, and pdf_render() for one document
 *   pdf_font.c   fonts: Type 0 over CIDFontType2 subsets, their widths
 *                and ToUnicode maps, and text in their codes
 *   pdf_book.c   print files (pdf_book_*): what their pages have in
 *                common, drawn once in shared content streams
 *   pdf_read.c   the signed tokens read back from a PDF attache wrote
 *                (no libharu: it writes only)
 *   pdf_cache.c  what a thread keeps between documents (struct pdf_cache)
 *   pdf_pack.c   the PDF libharu wrote, packed into object streams and a
 *                cross-reference stream (PDF 1.5)
 *
 * It uses a few of libharu's exported internals (objects, dictionaries,
 * memory streams), pinned to 2.3.0 below.
 */
#ifndef ATTACHE_PDF_PRIVATE_H
#define ATTACHE_PDF_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hpdf.h>
#include <hpdf_conf.h>
#include <hpdf_doc.h>
#include <hpdf_objects.h>
#include <hpdf_pages.h>
#include <hpdf_streams.h>
#include <hpdf_utils.h>
#include <sodium.h>

#include "error.h"
#include "pdf.h"
#include "util.h"

#if HPDF_MAJOR_VERSION != 2 || HPDF_MINOR_VERSION != 3
#error "the PDF writer relies on libharu 2.3.0 internals; see pdf_private.h"
#endif

/* ---- the context of one HPDF document -------------------------------- */

/* What a document's font knows of one glyph of its face. */
struct emb_glyph {
    uint32_t text;               /* its text in the font's `texts`, when text_len > 0 */
    uint16_t text_len;           /* bytes; 0: none (not yet, or not the first of a cluster) */
    uint16_t cid;                /* its number, and CID, in the embedded program */
    bool used;                   /* drawn by the document's pages */
    int32_t width;               /* its advance in thousandths of an em, once used */
};

struct emb_font {
    const struct font_face *face;
    struct emb_glyph *glyph;     /* by the face's glyph numbers */
    unsigned nglyphs;
    unsigned *drawn;             /* the glyphs used, in the order noted (sort_drawn: the face's) */
    size_t ndrawn, drawn_cap;
    struct buf texts;            /* the text of each cluster's first glyph, UTF-8 */
    bool all;                    /* by the face's glyph numbers, subset at the end (print files) */
    HPDF_Dict font;              /* the Type 0 font */
    HPDF_Dict cidfont, program, tounicode;
    char res[16];                /* its name in the resources: F1, F2, ... */
};

struct emb_image {
    struct image *image;         /* a reference */
    HPDF_Image hpdf;
    char res[16];                /* Im1, Im2, ... */
};

struct span;

struct seen {
    uint64_t key;                /* 0: an empty slot */
    size_t page;                 /* the page that drew it first */
};

struct ctx {
    HPDF_Doc pdf;
    HPDF_STATUS error, detail;
    struct emb_font *fonts;
    size_t nfonts;
    struct emb_image *images;
    size_t nimages;
    unsigned serial;             /* for unique encoder names */
    struct buf ops;              /* the page's content stream */
    struct pdf_cache *cache;     /* the settings', or own_cache: never NULL */
    struct pdf_cache *own_cache; /* when the settings have none */
    HPDF_Dict resources;         /* one dictionary for every page: fonts and images */
    HPDF_Dict cid_info;          /* the CIDFonts' one CIDSystemInfo, made on first use */
    /* A print file draws what its pages have in common once (pdf_draw_shared) */
    bool share_layers;
    struct layer *layers;
    size_t nlayers;
    struct seen *seen;           /* the operations drawn on earlier pages */
    size_t nseen, seen_cap;
    size_t npages;               /* pages drawn so far */
    float page_w, page_h;        /* the first page's size */
    bool mixed_sizes;            /* a later page has another */
    struct span *spans;
    size_t spans_cap;
    struct buf shared;
    /* QR codes the page's own content stream begins with (pdf_lead_qr) */
    const struct op_qr **leads;
    size_t nleads, leads_cap;
    unsigned char shorthash_key[crypto_shorthash_KEYBYTES];   /* zero: deterministic */
    HPDF_Array tokens;           /* the info dictionary's /AttacheTokens, once one is added */
};

struct layer {
    unsigned char hash[crypto_hash_sha256_BYTES];
    HPDF_Dict stream;            /* owned by the document's cross-reference table */
};

/* Check a libharu status and the error the handler saw. */
#define CHECK_HPDF(c, call, what)                                        \
    do {                                                                 \
        HPDF_STATUS st_ = (call);                                        \
        if (st_ != HPDF_OK && !(c)->error)                               \
            (c)->error = st_;                                            \
        if ((c)->error) {                                                \
            rc = pdf_fail((c), err, (what));                             \
            goto done;                                                   \
        }                                                                \
    } while (0)

/* What the content stream has set for text, so that it is set only when it changes. */
struct text_state {
    bool in_text;
    const struct emb_font *font;
    float size, tracking;
    struct rgb colour;
    bool font_set, colour_set, tracking_set;
};


/* ---- pdf.c ---------------------------------------------------------------- */

/* Start and end a context: a libharu document with our error handler. */
attache_status pdf_ctx_init(struct ctx *c, const struct pdf_settings *s, attache_error *err);
void pdf_ctx_release(struct ctx *c);

/* The libharu error the handler saw, as ours (ATTACHE_ERR_INTERNAL), while `what`. */
attache_status pdf_fail(struct ctx *c, attache_error *err, const char *what);

/* The level the PDF's own streams are deflated at (documents 1, print files 12). */
int pdf_level(const struct ctx *c);

/* Writes "/Filter /FlateDecode" for a stream whose bytes are deflated already. */
HPDF_STATUS pdf_name_flate(HPDF_Dict dict, HPDF_Stream out);

/* Deflate `data` into *out (free() it), with the context's compressor. */
bool pdf_deflate_bytes(struct ctx *c, const unsigned char *data, size_t size,
                       unsigned char **out, size_t *outn);

/* Replace a stream object's bytes by their deflated form. */
bool pdf_deflate_stream(struct ctx *c, HPDF_Dict dict);

/*
 * Put `data`, deflated at the document's level, into a stream made by
 * pdf_new_stream(), for bytes that other documents are likely to hold too
 * (the font subset and ToUnicode map of text every document shows): the
 * cache keeps what it made of them.
 */
bool pdf_set_recurring(struct ctx *c, HPDF_Dict dict, const unsigned char *data, size_t size);

/*
 * A new stream object for bytes attache deflates itself (pdf_set_deflated()
 * fills it), written with its length in its dictionary; NULL when out of
 * memory.
 */
HPDF_Dict pdf_new_stream(struct ctx *c);

/*
 * A dictionary whose entries are written as text as they are added (see
 * pdf.c): pdf_raw_name() "/key /name", pdf_raw_int() "/key number",
 * pdf_raw_ref() "/key N 0 R", each entry ended by "\n" as libharu ends
 * them; or pdf_raw_key() "/key " and then pdf_raw_text() for the value,
 * with pdf_raw_ref(d, NULL, obj) for a bare "N 0 R" in it.  False when out
 * of memory (or, for a name, longer than libharu allows).
 */
HPDF_Dict pdf_new_raw_dict(struct ctx *c);
bool pdf_raw_key(HPDF_Dict d, const char *key);
bool pdf_raw_name(HPDF_Dict d, const char *key, const char *name);
bool pdf_raw_int(HPDF_Dict d, const char *key, int v);
bool pdf_raw_text(HPDF_Dict d, const char *text);
bool pdf_raw_ref(HPDF_Dict d, const char *key, const void *obj);

/* Put bytes that are deflated already into a stream object, with the filter named. */
bool pdf_set_deflated(struct ctx *c, HPDF_Dict dict, const unsigned char *z, size_t zn);

/* The one resource dictionary of the pages; `obj` named in its `kind` part. */
HPDF_Dict pdf_resources(struct ctx *c);
bool pdf_add_resource(struct ctx *c, const char *kind, const char *name, void *obj);

/* Forget what the content stream has set: the next operation sets it all. */
void pdf_text_state_forget(struct text_state *ts);

/* Close the open BT ... ET block, if any. */
void pdf_end_text(struct ctx *c, struct text_state *ts);

/*
 * Draw QR code `q` at the start of the page's own content stream, before
 * the operations written into c->ops, its mask deflated by attache
 * (mask_deflate.h) rather than with them: only for a code that none of
 * those operations, drawn before it until now, can paint over.  False
 * when out of memory.
 */
bool pdf_lead_qr(struct ctx *c, const struct op_qr *q);

/* A rectangle (x0 y0 x1 y1) that holds everything `op` can paint; false if unknown. */
bool pdf_op_box(const struct op *op, float b[4]);

/* Whether two such rectangles share some area (touching edges do not). */
bool pdf_boxes_meet(const float a[4], const float b[4]);

/* An operation, written into c->ops. */
attache_status pdf_write_op(struct ctx *c, struct text_state *ts, const struct op *op,
                            attache_error *err);

/* A new page holding `page`'s operations (*out). */
attache_status pdf_draw_page(struct ctx *c, const struct page *page, HPDF_Page *out,
                             attache_error *err);

/* A PDF text string for `s`, an object of the document's; NULL when out of memory. */
void *pdf_text_string(struct ctx *c, const char *s);

/* The info dictionary and /ID (`doc` NULL: a print file's). */
attache_status pdf_set_info(struct ctx *c, const struct document *doc,
                            const struct pdf_settings *s, attache_error *err);

/*
 * Keep a document's signed token in the info dictionary's /AttacheTokens
 * array (docs/token.md, "Tokens in PDFs"), after those of the documents
 * added before it.
 */
attache_status pdf_add_token(struct ctx *c, const char *token, attache_error *err);

/* The page tree's inherited attributes, then the whole file appended to `out`. */
attache_status pdf_inherit_page_attributes(struct ctx *c, attache_error *err);
attache_status pdf_save(struct ctx *c, struct buf *out, attache_error *err);

/*
 * The PDF libharu wrote (`n` bytes), appended to `out` packed: its objects
 * other than streams and the info dictionary in object streams, a
 * cross-reference stream for the table (pdf_pack.c).  0, or EINVAL when
 * the bytes are not laid out as libharu lays them out, ENOMEM when memory
 * runs out.
 */
int pdf_pack(const char *pdf, size_t n, struct libdeflate_compressor *z, struct buf *out);

/* ---- pdf_font.c ------------------------------------------------------------ */

/* The glyphs a document draws, per face, then each face embedded for them. */
attache_status pdf_fonts_collect(struct ctx *c, const struct document *doc, attache_error *err);
attache_status pdf_font_embed(struct ctx *c, struct emb_font *f, attache_error *err);

/* The embedded font of `face`, or NULL. */
struct emb_font *pdf_font_of(struct ctx *c, const struct font_face *face);

/* Note that `t`'s glyphs are drawn, and their text (see pdf_font.c); false when out of memory. */
bool pdf_font_note(struct emb_font *f, const struct op_text *t);

/* True when the font's ToUnicode map gives back `t`'s text, else it needs /ActualText. */
bool pdf_font_maps_back(const struct emb_font *f, const struct op_text *t);

/* `v` and then `sep` written at p (room for 12 bytes): the end of what was written. */
char *pdf_put_uint(char *p, unsigned v, char sep);
char *pdf_put_int(char *p, int v, char sep);

/* `v` (below 0x10000) as the four upper-case hex digits of a code. */
void pdf_hex4(char s[4], unsigned v);

/* UTF-8 text as the hex digits of its UTF-16 code units. */
void pdf_put_utf16_text(struct buf *b, const char *s, size_t len);

/* A print file's fonts: each face a document uses embedded whole, then, at
 * the end, cut down to the glyphs its pages drew. */
attache_status pdf_fonts_embed_whole(struct ctx *c, const struct document *doc,
                                     attache_error *err);
attache_status pdf_fonts_subset_drawn(struct ctx *c, attache_error *err);

/* ---- pdf_cache.c ------------------------------------------------------------ */

/* The cache's compressor for `level` (1 to 12), made on first use; NULL when out of memory. */
struct libdeflate_compressor *pdf_cache_compressor(struct pdf_cache *cache, int level);

/*
 * font_subset_glyphs() with the cache's subsetter (each face's glyph slicer
 * and HarfBuzz's subset input, set up once for the thread's whole run).
 */
attache_status pdf_cache_subset(struct pdf_cache *cache, const struct font_face *face,
                                const unsigned *gids, size_t n, bool retain_gids,
                                unsigned *new_gids, unsigned char **data, size_t *size,
                                attache_error *err);

/*
 * A value kept under the exact bytes of `key` and a `tag` saying what kind
 * of value it is: true, with *value (the cache's; valid until the next
 * pdf_cache_put) and *vlen, when the cache holds it.
 */
bool pdf_cache_get(struct pdf_cache *cache, unsigned char tag, const void *key, size_t klen,
                   const unsigned char **value, size_t *vlen);

/* Keep a copy of `value` under `key`; when memory runs out, nothing is kept. */
void pdf_cache_put(struct pdf_cache *cache, unsigned char tag, const void *key, size_t klen,
                   const void *value, size_t vlen);

/*
 * A face's table of glyphs for a document (n entries, all zero): one the
 * cache kept, or a new one.  NULL when out of memory.  A table of tens of
 * kilobytes for each face of each document was a sixtieth of a
 * certificate's time, in clearing it.
 */
struct emb_glyph *pdf_cache_take_glyphs(struct pdf_cache *cache, const struct font_face *face,
                                        unsigned n);

/*
 * Give a table back for the next document, its entries `written` (n of
 * them, the only ones not zero) cleared; freed when the cache has no room.
 */
void pdf_cache_give_glyphs(struct pdf_cache *cache, const struct font_face *face,
                           struct emb_glyph *glyph, const unsigned *written, size_t n);

/* Tags: deflated bytes are tagged with their level (1 to 12); a page's
   deflated artwork by the operations that draw it (pdf.c): */
#define CACHE_ARTWORK 'A'

/* ---- pdf_book.c ------------------------------------------------------------ */

/* Write a print file's page, moving what earlier pages drew into shared streams. */
attache_status pdf_draw_shared(struct ctx *c, const struct page *page, HPDF_Page pg,
                               attache_error *err);

#endif

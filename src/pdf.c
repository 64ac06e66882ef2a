/*
 * pdf.c: the PDF writer, on libharu 2.3.0 (Debian 12): documents, their
 * objects and pages.
 *
 * libharu keeps the document's objects, pages, outline and cross-reference
 * table and writes the file; attache writes what goes in them: content
 * streams, fonts (pdf_font.c: Type 0 over TrueType subsets, with ToUnicode
 * maps), images compressed once per run, Unicode metadata and bookmarks, a
 * deterministic /ID.  Print files, which draw what their pages have in
 * common once, are pdf_book.c.  pdf_private.h says what the three share.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hpdf_utils.h>

#include "mask_deflate.h"
#include "pdf_private.h"
#include "text.h"

/* ---- the context of one HPDF document -------------------------------- */

static void on_error(HPDF_STATUS error_no, HPDF_STATUS detail_no, void *user)
{
    struct ctx *c = user;

    if (!c->error) {
        c->error = error_no;
        c->detail = detail_no;
    }
}

attache_status pdf_fail(struct ctx *c, attache_error *err, const char *what)
{
    /* no error from libharu: one of attache's own allocations failed */
    if (!c->error)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory while %s", what);
    return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0,
                   "PDF library error 0x%04X (detail %u) while %s", (unsigned)c->error,
                   (unsigned)c->detail, what);
}

attache_status pdf_ctx_init(struct ctx *c, const struct pdf_settings *s, attache_error *err)
{
    memset(c, 0, sizeof *c);
    /* not HPDF_NewEx's memory pool: it hands out memory without alignment */
    c->pdf = HPDF_New(on_error, c);
    if (!c->pdf)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "cannot create a PDF document");
    HPDF_SetCompressionMode(c->pdf, HPDF_COMP_ALL);
    /* a document written on its own (a print file, a library caller) keeps its own */
    c->cache = s->cache ? s->cache : (c->own_cache = pdf_cache_new());
    if (!c->cache)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    return c->error ? pdf_fail(c, err, "creating a document") : ATTACHE_OK;
}

void pdf_ctx_release(struct ctx *c)
{
    size_t i;

    if (c->pdf)
        HPDF_Free(c->pdf);
    for (i = 0; i < c->nfonts; i++) {
        struct emb_font *f = &c->fonts[i];

        /* a document wrote only its drawn glyphs' entries; a print file, every one */
        if (f->glyph && !f->all)
            pdf_cache_give_glyphs(c->cache, f->face, f->glyph, f->drawn, f->ndrawn);
        else
            free(f->glyph);
        free(f->drawn);
        buf_release(&f->texts);
    }
    free(c->fonts);
    for (i = 0; i < c->nimages; i++)
        image_free(c->images[i].image);
    free(c->images);
    free(c->layers);
    free(c->seen);
    free(c->spans);
    free(c->leads);
    buf_release(&c->shared);
    pdf_cache_free(c->own_cache);
    buf_release(&c->ops);
}

/* ---- libharu's byte loops ------------------------------------------------ */

/*
 * libharu 2.3.0 copies and clears memory one byte at a time (every stream
 * it writes, every object it makes): 6% of the time of a certificate.  It
 * calls these two through the dynamic linker, so the definitions here take
 * their place: the same results (both return the end of the area, as
 * libharu's do), with libc's memset and memmove.
 */
void *HPDF_MemSet(void *s, HPDF_BYTE c, HPDF_UINT n)
{
    memset(s, c, n);
    return (HPDF_BYTE *)s + n;
}

HPDF_BYTE *HPDF_MemCpy(HPDF_BYTE *out, const HPDF_BYTE *in, HPDF_UINT n)
{
    memmove(out, in, n);
    return out + n;
}

/* ---- objects ---------------------------------------------------------- */

/*
 * libharu only names the filters it applies itself; our bytes are already
 * deflated, so the stream is written as it is and the filter named here.
 */
HPDF_STATUS pdf_name_flate(HPDF_Dict dict, HPDF_Stream out)
{
    (void)dict;
    return HPDF_Stream_WriteStr(out, "/Filter /FlateDecode\012");
}

/*
 * The level a stream is deflated at, by what it holds.  Print files take
 * level 12: what a page of a print file holds of its own is little, once
 * its QR code is deflated apart (pdf_lead_qr), and near-optimal parsing
 * makes it smaller.  A document's own streams (its page content, the font
 * subsets of the officer's details, their ToUnicode maps, and the object
 * streams pdf_pack makes) take level 1:
 * libdeflate's fastest, a quarter of level 5's time on a certificate's
 * content and half of it on its fonts, for 480 bytes more a certificate,
 * which packing the objects more than pays for (1,000 certificates without
 * images: 18,349 bytes on average at level 1, against 17,872 at 2 for
 * content and 5 for fonts, and 20,295 unpacked at level 5).  The border
 * every certificate shares is deflated once per run, at level 10
 * (ARTWORK_LEVEL).
 */
int pdf_level(const struct ctx *c)
{
    return c->share_layers ? 12 : 1;
}

/*
 * Deflate `data` into a new buffer (*out, free() it) with libdeflate and the
 * cache's compressor: faster than libharu's zlib, which sets up a new
 * compressor for every stream, and smaller streams.
 */
bool pdf_deflate_bytes(struct ctx *c, const unsigned char *data, size_t size,
                       unsigned char **out, size_t *outn)
{
    return zlib_deflate(pdf_cache_compressor(c->cache, pdf_level(c)), data, size, out, outn);
}

bool pdf_set_recurring(struct ctx *c, HPDF_Dict dict, const unsigned char *data, size_t size)
{
    unsigned char level = (unsigned char)pdf_level(c), *z = NULL;
    const unsigned char *kept;
    size_t zn = 0;
    bool ok;

    /* the cache's copy goes straight into the stream: it is copied there anyway */
    if (pdf_cache_get(c->cache, level, data, size, &kept, &zn))
        return pdf_set_deflated(c, dict, kept, zn);
    if (!zlib_deflate(pdf_cache_compressor(c->cache, level), data, size, &z, &zn))
        return false;
    pdf_cache_put(c->cache, level, data, size, z, zn);
    ok = pdf_set_deflated(c, dict, z, zn);
    free(z);
    return ok;
}

/* A libharu memory stream's bytes, written to `out`. */
static HPDF_STATUS copy_mem_stream(HPDF_Stream s, HPDF_Stream out)
{
    HPDF_UINT i, count = HPDF_MemStream_GetBufCount(s), len;
    HPDF_STATUS st = HPDF_OK;

    for (i = 0; i < count && st == HPDF_OK; i++) {
        HPDF_BYTE *part = HPDF_MemStream_GetBufPtr(s, i, &len);
        st = part ? HPDF_Stream_Write(out, part, len) : HPDF_FAILD_TO_ALLOC_MEM;
    }
    return st;
}

/* A libharu memory stream's bytes, appended to `b` (grown once for all of them). */
static bool mem_stream_bytes(HPDF_Stream s, struct buf *b)
{
    HPDF_UINT i, count = HPDF_MemStream_GetBufCount(s), len;
    bool ok = buf_grow(b, s->size);

    for (i = 0; i < count && ok; i++) {
        HPDF_BYTE *part = HPDF_MemStream_GetBufPtr(s, i, &len);
        ok = part && buf_add(b, part, len);
    }
    return ok;
}

/*
 * A stream written whole by its dictionary's write_fn.  libharu 2.3.0
 * gives every stream's /Length an object of its own, and a cross-reference
 * entry: 40 bytes for each of a certificate's ten streams, 2% of a
 * certificate without images, for a length these streams know before they
 * are written.  The dictionary holds no stream for libharu (its bytes are
 * in `attr`); write_fn writes its last entries (`entries`: the filter and
 * its parameters), ends the dictionary, writes the stream, and leaves a
 * comment open for the ">>" libharu writes after it, so the object ends
 * "endstream %>> endobj", which is valid PDF.  put_stream_head() and
 * put_stream_tail() are the two halves around the bytes.
 */
static HPDF_STATUS put_stream_head(HPDF_Stream out, size_t length, const char *entries)
{
    char head[48];
    HPDF_STATUS st;

    snprintf(head, sizeof head, "/Length %zu\012", length);
    st = HPDF_Stream_WriteStr(out, head);
    if (st == HPDF_OK)
        st = HPDF_Stream_WriteStr(out, entries);
    return st == HPDF_OK ? HPDF_Stream_WriteStr(out, ">>\012stream\015\012") : st;
}

static HPDF_STATUS put_stream_tail(HPDF_Stream out)
{
    return HPDF_Stream_WriteStr(out, "\012endstream\012%");
}

/*
 * A new dictionary, an object of its own, written by write_fn from the
 * `attr` the caller gives it next, which free_fn frees with it (free_fn
 * takes a NULL attr too: the cross-reference table owns the dictionary
 * from here, and frees it on failure).
 */
static HPDF_Dict new_written_dict(struct ctx *c, HPDF_Dict_OnWriteFunc write_fn,
                                  HPDF_Dict_FreeFunc free_fn)
{
    HPDF_Dict d = HPDF_Dict_New(c->pdf->mmgr);

    if (!d)
        return NULL;
    d->write_fn = write_fn;
    d->free_fn = free_fn;
    return HPDF_Xref_Add(c->pdf->xref, d) == HPDF_OK && !c->error ? d : NULL;
}

/* A stream attache deflated itself: its bytes wait in a memory stream in `attr`. */
static HPDF_STATUS write_whole_stream(HPDF_Dict dict, HPDF_Stream out)
{
    HPDF_Stream s = dict->attr;
    HPDF_STATUS st = put_stream_head(out, s->size, "/Filter /FlateDecode\012");

    if (st == HPDF_OK)
        st = copy_mem_stream(s, out);
    return st == HPDF_OK ? put_stream_tail(out) : st;
}

static void free_whole_stream(HPDF_Dict dict)
{
    HPDF_Stream_Free(dict->attr);
}

HPDF_Dict pdf_new_stream(struct ctx *c)
{
    HPDF_Dict d = new_written_dict(c, write_whole_stream, free_whole_stream);

    if (d && !(d->attr = HPDF_MemStream_New(c->pdf->mmgr, HPDF_STREAM_BUF_SIZ)))
        return NULL;
    return d;
}

/*
 * A dictionary written as text when it is made, not as libharu objects
 * written when the PDF is saved: for the font dictionaries every document
 * makes, a name or number object, a list entry and a free each for every
 * entry and every width.  Its entries go, in libharu's own formatting, into
 * a memory stream in `attr`; libharu writes "<<", then write_fn copies the
 * text, then libharu writes ">>".
 */
static HPDF_STATUS write_raw_dict(HPDF_Dict dict, HPDF_Stream out)
{
    return copy_mem_stream(dict->attr, out);
}

HPDF_Dict pdf_new_raw_dict(struct ctx *c)
{
    HPDF_Dict d = pdf_new_stream(c);

    if (d)
        d->write_fn = write_raw_dict;
    return d;
}

/*
 * An entry's text is put together here, then written in one go: "/" and a
 * name escaped as libharu's HPDF_Stream_WriteEscapeName escapes it (its
 * HPDF_NEEDS_ESCAPE, as #XX), cut at HPDF_LIMIT_MAX_NAME_LEN as it cuts.
 */
#define RAW_ENTRY_MAX (2 * (3 * HPDF_LIMIT_MAX_NAME_LEN + 2) + 32)

/* Hex digits as PDF writers write them: names' #XX, and codes in text and maps. */
static const char hex_digits[] = "0123456789ABCDEF";

static char *put_name(char *p, const char *name)
{
    size_t i, len = strnlen(name, HPDF_LIMIT_MAX_NAME_LEN);

    *p++ = '/';
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)name[i];

        if (HPDF_NEEDS_ESCAPE(ch)) {
            *p++ = '#';
            *p++ = hex_digits[ch >> 4];
            *p++ = hex_digits[ch & 15];
        } else {
            *p++ = (char)ch;
        }
    }
    return p;
}

static bool write_entry(HPDF_Dict d, const char *start, const char *end)
{
    return HPDF_Stream_Write(d->attr, (const HPDF_BYTE *)start, (HPDF_UINT)(end - start)) ==
           HPDF_OK;
}

bool pdf_raw_key(HPDF_Dict d, const char *key)
{
    char e[RAW_ENTRY_MAX], *p = put_name(e, key);

    *p++ = ' ';
    return write_entry(d, e, p);
}

bool pdf_raw_name(HPDF_Dict d, const char *key, const char *name)
{
    char e[RAW_ENTRY_MAX], *p;

    /* libharu refuses longer names (HPDF_Name_New), and its writer would cut them */
    if (strlen(name) > HPDF_LIMIT_MAX_NAME_LEN)
        return false;
    p = put_name(e, key);
    *p++ = ' ';
    p = put_name(p, name);
    *p++ = '\012';
    return write_entry(d, e, p);
}

bool pdf_raw_int(HPDF_Dict d, const char *key, int v)
{
    char e[RAW_ENTRY_MAX], *p = put_name(e, key);

    *p++ = ' ';
    p = pdf_put_int(p, v, '\012');
    return write_entry(d, e, p);
}

bool pdf_raw_text(HPDF_Dict d, const char *text)
{
    return HPDF_Stream_WriteStr(d->attr, text) == HPDF_OK;
}

bool pdf_raw_ref(HPDF_Dict d, const char *key, const void *obj)
{
    const HPDF_Obj_Header *h = obj;
    char e[RAW_ENTRY_MAX], *p = e;

    if (key) {
        p = put_name(p, key);
        *p++ = ' ';
    }
    p = pdf_put_uint(p, h->obj_id & 0x00FFFFFF, ' ');
    p = pdf_put_uint(p, h->gen_no, ' ');
    *p++ = 'R';
    if (key)
        *p++ = '\012';
    return write_entry(d, e, p);
}

bool pdf_set_deflated(struct ctx *c, HPDF_Dict dict, const unsigned char *z, size_t zn)
{
    if (dict->write_fn == write_whole_stream) {
        HPDF_MemStream_FreeData(dict->attr);
        return HPDF_Stream_Write(dict->attr, z, (HPDF_UINT)zn) == HPDF_OK && !c->error;
    }
    HPDF_MemStream_FreeData(dict->stream);
    dict->filter = HPDF_STREAM_FILTER_NONE;
    dict->write_fn = pdf_name_flate;
    return HPDF_Stream_Write(dict->stream, z, (HPDF_UINT)zn) == HPDF_OK && !c->error;
}

/*
 * Replace what a stream object holds by its deflated form, written as it is
 * with the filter named (libharu would deflate it again on saving).
 */
bool pdf_deflate_stream(struct ctx *c, HPDF_Dict dict)
{
    struct buf plain = {0};
    unsigned char *z = NULL;
    size_t zn = 0;
    bool ok;

    if (dict->write_fn == pdf_name_flate)
        return true;                    /* deflated already (a shared background) */
    if (dict->write_fn)
        return false;                   /* a stream libharu writes in its own way */
    ok = mem_stream_bytes(dict->stream, &plain) &&
         pdf_deflate_bytes(c, (const unsigned char *)plain.data, plain.len, &z, &zn);
    buf_release(&plain);
    ok = ok && pdf_set_deflated(c, dict, z, zn);
    free(z);
    return ok;
}

/* The one resource dictionary of the PDF's pages, made on first use. */
HPDF_Dict pdf_resources(struct ctx *c)
{
    HPDF_Dict r;

    if (c->resources)
        return c->resources;
    r = HPDF_Dict_New(c->pdf->mmgr);
    if (!r || HPDF_Xref_Add(c->pdf->xref, r) != HPDF_OK || c->error)
        return NULL;
    return c->resources = r;
}

/* Name `obj` in the resources' `kind` (Font, XObject) dictionary. */
bool pdf_add_resource(struct ctx *c, const char *kind, const char *name, void *obj)
{
    HPDF_Dict r = pdf_resources(c), sub;

    if (!r)
        return false;
    sub = HPDF_Dict_GetItem(r, kind, HPDF_OCLASS_DICT);
    if (!sub) {
        sub = HPDF_Dict_New(c->pdf->mmgr);
        if (!sub || HPDF_Dict_Add(r, kind, sub) != HPDF_OK)
            return false;
    }
    return HPDF_Dict_Add(sub, name, obj) == HPDF_OK && !c->error;
}

/* ---- images ------------------------------------------------------------ */

/*
 * An image XObject whose samples attache holds (deflated once per run, or a
 * solid colour's one pixel), written from the image's own memory when the
 * PDF is saved: not copied into each document, and with its /Length in the
 * dictionary rather than an object of its own: a stream written whole, as
 * pdf_new_stream()'s are.
 */
struct image_samples {
    const unsigned char *data;   /* the image's: it outlives the document (emb_image) */
    size_t size;
    int colours, columns;        /* the PNG predictors' parameters, when predicted */
    bool predicted, raw;         /* raw: a few samples written without a filter */
};

static HPDF_STATUS write_image_samples(HPDF_Dict dict, HPDF_Stream out)
{
    const struct image_samples *s = dict->attr;
    char entries[160] = "";
    HPDF_STATUS st;

    if (s->predicted)
        snprintf(entries, sizeof entries,
                 "/Filter /FlateDecode\012/DecodeParms << /Predictor 15 /Colors %d "
                 "/BitsPerComponent 8 /Columns %d >>\012",
                 s->colours, s->columns);
    else if (!s->raw)
        snprintf(entries, sizeof entries, "/Filter /FlateDecode\012");
    st = put_stream_head(out, s->size, entries);
    if (st == HPDF_OK)
        st = HPDF_Stream_Write(out, s->data, (HPDF_UINT)s->size);
    return st == HPDF_OK ? put_stream_tail(out) : st;
}

static void free_image_samples(HPDF_Dict dict)
{
    free(dict->attr);
}

static HPDF_Dict image_xobject(struct ctx *c, const unsigned char *data, size_t size, int w,
                               int h, int components, bool predicted, bool raw)
{
    HPDF_Dict d = new_written_dict(c, write_image_samples, free_image_samples);
    struct image_samples *s = d ? malloc(sizeof *s) : NULL;

    if (!s)
        return NULL;
    *s = (struct image_samples){data, size, components, w, predicted, raw};
    d->attr = s;
    if (HPDF_Dict_AddName(d, "Type", "XObject") != HPDF_OK ||
        HPDF_Dict_AddName(d, "Subtype", "Image") != HPDF_OK ||
        HPDF_Dict_AddName(d, "ColorSpace", components == 1 ? "DeviceGray" : "DeviceRGB") !=
            HPDF_OK ||
        HPDF_Dict_AddNumber(d, "Width", w) != HPDF_OK ||
        HPDF_Dict_AddNumber(d, "Height", h) != HPDF_OK ||
        HPDF_Dict_AddNumber(d, "BitsPerComponent", 8) != HPDF_OK || c->error)
        return NULL;
    return d;
}

/* [/Indexed /DeviceRGB n <palette>] */
static bool set_indexed(struct ctx *c, HPDF_Image h, const struct image *im)
{
    HPDF_Array cs = HPDF_Array_New(c->pdf->mmgr);

    if (!cs || HPDF_Dict_Add(h, "ColorSpace", cs) != HPDF_OK)
        return false;
    return HPDF_Array_AddName(cs, "Indexed") == HPDF_OK &&
           HPDF_Array_AddName(cs, "DeviceRGB") == HPDF_OK &&
           HPDF_Array_AddNumber(cs, im->palette_size - 1) == HPDF_OK &&
           HPDF_Array_Add(cs, HPDF_Binary_New(c->pdf->mmgr, (HPDF_BYTE *)im->palette,
                                              (HPDF_UINT)im->palette_size * 3)) == HPDF_OK;
}

static struct emb_image *image_of(struct ctx *c, struct image *im)
{
    struct emb_image *e;
    HPDF_Image h;
    size_t i;

    for (i = 0; i < c->nimages; i++)
        if (c->images[i].image == im)
            return &c->images[i];
    if (im->codec == IMAGE_DCT)
        h = HPDF_LoadJpegImageFromMem(c->pdf, im->data, (HPDF_UINT)im->size);
    else
        h = image_xobject(c, im->data, im->size, im->solid ? 1 : im->width,
                          im->solid ? 1 : im->height, im->components, im->predicted, im->solid);
    if (h && im->palette_size && !set_indexed(c, h, im))
        return NULL;
    if (h && im->alpha) {
        HPDF_Dict mask = image_xobject(c, im->alpha, im->alpha_size, im->width, im->height, 1,
                                       im->alpha_predicted, false);
        if (!mask || HPDF_Dict_Add(h, "SMask", mask) != HPDF_OK)
            return NULL;
    }
    if (!h || c->error)
        return NULL;
    e = realloc(c->images, (c->nimages + 1) * sizeof *e);
    if (!e)
        return NULL;
    c->images = e;
    e = &c->images[c->nimages];
    snprintf(e->res, sizeof e->res, "Im%zu", c->nimages + 1);
    if (!pdf_add_resource(c, "XObject", e->res, h))
        return NULL;
    e->image = image_ref(im);
    e->hpdf = h;
    c->nimages++;
    return e;
}

/* ---- drawing ----------------------------------------------------------- */

/*
 * Everything on a page is written straight into its content stream, in
 * c->ops: libharu formats every operator through a cleared 512-byte
 * buffer, which costs more than everything else on a certificate's border
 * put together, and its numbers carry five decimals.  What is written is
 * whole q ... Q groups and whole BT ... ET blocks, so libharu's idea of the
 * graphics state stays true.
 */

/* At the start of a content stream: nothing set but the letter spacing (0). */
static void text_state_init(struct text_state *ts)
{
    memset(ts, 0, sizeof *ts);
    ts->tracking_set = true;
}

/* Nothing known: for an operation that must draw the same after any other. */
void pdf_text_state_forget(struct text_state *ts)
{
    memset(ts, 0, sizeof *ts);
}

static bool same_rgb(struct rgb a, struct rgb b)
{
    return a.r == b.r && a.g == b.g && a.b == b.b;
}

/* A number with at most `decimals` (2 or 3) digits after the point, no trailing zeros. */
static void put_num(struct buf *b, float v, int decimals)
{
    long scale = decimals == 3 ? 1000 : 100;
    long n = lroundf(v * (float)scale), ip, fp;
    char tmp[32], *p = tmp + sizeof tmp, *end = p;

    if (n < 0) {
        buf_add(b, "-", 1);
        n = -n;
    }
    ip = n / scale;
    fp = n % scale;
    if (fp) {
        int k = decimals;
        while (fp % 10 == 0) {
            fp /= 10;
            k--;
        }
        while (k-- > 0) {
            *--p = (char)('0' + fp % 10);
            fp /= 10;
        }
        *--p = '.';
    }
    do {
        *--p = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    buf_add(b, p, (size_t)(end - p));
}

/* A whole number followed by `sep`, without printf: widths and maps write hundreds. */
char *pdf_put_uint(char *p, unsigned v, char sep)
{
    char tmp[12], *q = tmp + sizeof tmp;

    if (v < 100) {
        if (v >= 10)
            *p++ = (char)('0' + v / 10);
        *p++ = (char)('0' + v % 10);
        *p++ = sep;
        return p;
    }
    do {
        *--q = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (q < tmp + sizeof tmp)
        *p++ = *q++;
    *p++ = sep;
    return p;
}

char *pdf_put_int(char *p, int v, char sep)
{
    if (v < 0)
        *p++ = '-';
    return pdf_put_uint(p, v < 0 ? 0u - (unsigned)v : (unsigned)v, sep);
}

void pdf_hex4(char s[4], unsigned v)
{
    s[0] = hex_digits[(v >> 12) & 15];
    s[1] = hex_digits[(v >> 8) & 15];
    s[2] = hex_digits[(v >> 4) & 15];
    s[3] = hex_digits[v & 15];
}

static void put_nums(struct buf *b, const float *v, int n, const char *op)
{
    int i;

    for (i = 0; i < n; i++) {
        put_num(b, v[i], 2);
        buf_add(b, " ", 1);
    }
    buf_adds(b, op);
    buf_add(b, "\n", 1);
}

static void put_rgb(struct buf *b, struct rgb c, const char *op)
{
    put_num(b, c.r, 3);
    buf_add(b, " ", 1);
    put_num(b, c.g, 3);
    buf_add(b, " ", 1);
    put_num(b, c.b, 3);
    buf_add(b, " ", 1);
    buf_adds(b, op);
    buf_add(b, "\n", 1);
}


static void put_segments(struct buf *b, const struct op_path *p)
{
    size_t i;

    for (i = 0; i < p->n; i++) {
        const float *q = p->segs[i].p;
        switch (p->segs[i].verb) {
        case PATH_MOVE:
            put_nums(b, q, 2, "m");
            break;
        case PATH_LINE:
            put_nums(b, q, 2, "l");
            break;
        case PATH_CURVE:
            put_nums(b, q, 6, "c");
            break;
        case PATH_CLOSE:
            buf_adds(b, "h\n");
            break;
        }
    }
}

static void draw_path(struct ctx *c, const struct op_path *p)
{
    struct buf *b = &c->ops;
    const char *paint = p->do_fill && p->do_stroke ? "B\n" : p->do_fill ? "f\n" : "S\n";

    buf_adds(b, "q\n");
    if (p->transformed)
        put_nums(b, p->matrix, 6, "cm");
    if (p->do_stroke) {
        put_nums(b, &p->line_width, 1, "w");
        put_rgb(b, p->stroke, "RG");
        if (p->dash_on > 0) {
            buf_adds(b, "[");
            put_num(b, p->dash_on, 2);
            buf_adds(b, " ");
            put_num(b, p->dash_off, 2);
            buf_adds(b, "] 0 d\n");
        }
    }
    if (p->do_fill)
        put_rgb(b, p->fill, "rg");
    if (p->nrepeat) {
        /* the same path text through each matrix: formatted once */
        size_t start = b->len, len, i;
        put_segments(b, p);
        buf_adds(b, paint);
        len = b->len - start;
        for (i = 0; i < p->nrepeat; i++) {
            size_t at;
            buf_adds(b, "q\n");
            put_nums(b, p->repeat[i], 6, "cm");
            at = b->len;
            if (!buf_grow(b, len))
                return;
            memcpy(b->data + at, b->data + start, len);
            b->len += len;
            buf_adds(b, "Q\n");
        }
        /* drop the first copy, written only to be repeated */
        memmove(b->data + start, b->data + start + len, b->len - start - len);
        b->len -= len;
        b->data[b->len] = '\0';
    } else {
        put_segments(b, p);
        buf_adds(b, paint);
    }
    buf_adds(b, "Q\n");
}

/*
 * A QR code is drawn as a one-bit image mask, painted in the code's colour:
 * QR_OVERSAMPLE x QR_OVERSAMPLE samples a module, written inline in the
 * content stream.  A mask of one sample a module would be the smallest, but
 * a viewer that smooths images it enlarges less than four times (poppler's
 * Cairo output, GNOME's viewers) blurs its edges across a whole module;
 * four samples a module keep any such blur within a quarter of a module,
 * and at the sizes a screen shows a page the mask is shrunk, not enlarged,
 * so its edges are anti-aliased like a path's.  Printers and most viewers
 * draw a mask's samples as sharp squares.  As a path of rectangles the same
 * code took over four times the bytes, and most of a certificate's time
 * went into writing and deflating them.
 *
 * A module is four bits, so every byte of the mask is 00, 0F, F0 or FF: the
 * data never holds "EI", the operator a reader that guesses where inline
 * data ends looks for.  Each row of modules is one row of bytes, written
 * four times: a code the page's own content stream can begin with is
 * deflated by attache, which knows that (pdf_lead_qr, mask_deflate.h).
 */
#define QR_OVERSAMPLE 4
_Static_assert(QR_OVERSAMPLE == 4, "qr_row packs a module as 4 bits, two a byte");

static const char qr_tail[] = "\nEI\nQ\n";

/* The bytes of one row of samples: two modules a byte (QR_OVERSAMPLE bits each). */
static size_t qr_row_bytes(const struct op_qr *q)
{
    return ((size_t)q->width * QR_OVERSAMPLE + 7) / 8;
}

/* Module row `y`'s samples at p: sample 0 painted (dark), 1 left as it is (light). */
static void qr_row(const struct op_qr *q, int y, unsigned char *p)
{
    const unsigned char *m = q->modules + (size_t)y * (size_t)q->width;
    int w = q->width, x;

    /* without a branch: a module's colour is as good as random */
    for (x = 0; x + 1 < w; x += 2)
        p[x / 2] = (unsigned char)~(0xF0 * (m[x] & 1) | 0x0F * (m[x + 1] & 1));
    if (w % 2)
        p[w / 2] = (unsigned char)~(0xF0 * (m[w - 1] & 1));    /* and 4 bits of padding */
}

/* What comes before the samples: the colour, the unit square put on the code, "BI ... ID ". */
static void qr_head(struct buf *b, const struct op_qr *q)
{
    float cm[6] = {q->size, 0, 0, q->size, q->x, q->y};
    int k;

    buf_adds(b, "q\n");
    put_rgb(b, q->colour, "rg");
    for (k = 0; k < 6; k++) {
        put_num(b, cm[k], 3);
        buf_add(b, " ", 1);
    }
    /* /BPC 1, optional for a mask, for readers that work out the length from it */
    buf_addf(b, "cm\nBI /IM true /BPC 1 /W %d /H %d ID ", q->width * QR_OVERSAMPLE,
             q->width * QR_OVERSAMPLE);
}

static void draw_qr(struct ctx *c, const struct op_qr *q)
{
    struct buf *b = &c->ops;
    size_t row = qr_row_bytes(q);
    unsigned char *p;
    int y, k;

    qr_head(b, q);
    if (!buf_grow(b, row * (size_t)q->width * QR_OVERSAMPLE))
        return;
    p = (unsigned char *)b->data + b->len;
    for (y = 0; y < q->width; y++) {
        qr_row(q, y, p);
        for (k = 1; k < QR_OVERSAMPLE; k++)
            memcpy(p + (size_t)k * row, p, row);
        p += QR_OVERSAMPLE * row;
    }
    b->len += row * (size_t)q->width * QR_OVERSAMPLE;
    buf_adds(b, qr_tail);
}

bool pdf_lead_qr(struct ctx *c, const struct op_qr *q)
{
    if (c->nleads == c->leads_cap) {
        size_t cap = c->leads_cap ? 2 * c->leads_cap : 2;
        const struct op_qr **grown = realloc(c->leads, cap * sizeof *grown);

        if (!grown)
            return false;
        c->leads = grown;
        c->leads_cap = cap;
    }
    c->leads[c->nleads++] = q;
    return true;
}

/*
 * The page's own content stream, deflated into *z (free() it): the codes
 * it begins with (c->leads), then `n` bytes of operations at `ops`.
 */
static bool deflate_with_leads(struct ctx *c, const unsigned char *ops, size_t n,
                               unsigned char **z, size_t *zn)
{
    struct mask_piece *pieces = calloc(c->nleads, sizeof *pieces);
    unsigned char *rows = NULL;
    size_t i, size = 0, at = 0;
    struct buf text = {0};
    bool ok;

    for (i = 0; i < c->nleads; i++)
        size += qr_row_bytes(c->leads[i]) * (size_t)c->leads[i]->width;
    ok = pieces && (rows = malloc(size ? size : 1)) != NULL;
    /* the text before each code: the one before's tail, then its head */
    for (i = 0; ok && i < c->nleads; i++) {
        const struct op_qr *q = c->leads[i];
        struct mask_piece *p = &pieces[i];
        int y;

        p->text_len = text.len;          /* its start, until the text is all written */
        if (i)
            buf_adds(&text, qr_tail);
        qr_head(&text, q);
        p->rows = rows + at;
        p->row_bytes = qr_row_bytes(q);
        p->nrows = (size_t)q->width;
        p->repeat = QR_OVERSAMPLE;
        for (y = 0; y < q->width; y++)
            qr_row(q, y, rows + at + (size_t)y * p->row_bytes);
        at += p->row_bytes * p->nrows;
    }
    for (i = 0; ok && i < c->nleads; i++) {
        size_t start = pieces[i].text_len;

        pieces[i].text = (const unsigned char *)text.data + start;
        pieces[i].text_len = (i + 1 < c->nleads ? pieces[i + 1].text_len : text.len) - start;
    }
    ok = ok && !text.failed &&
         mask_deflate(pieces, c->nleads, (const unsigned char *)qr_tail, sizeof qr_tail - 1, ops,
                      n, pdf_cache_compressor(c->cache, pdf_level(c)), z, zn);
    free(rows);
    free(pieces);
    buf_release(&text);
    return ok;
}

/*
 * Whether QR code op `k` may lead the page's own content stream: none of
 * its operations before it, from `first` on, can paint where it does.
 */
static bool qr_may_lead(const struct page *page, size_t first, size_t k)
{
    float qb[4], b[4];
    size_t j;

    if (!pdf_op_box(&page->ops[k], qb))
        return false;
    for (j = first; j < k; j++)
        if (!pdf_op_box(&page->ops[j], b) || pdf_boxes_meet(b, qb))
            return false;
    return true;
}

void pdf_end_text(struct ctx *c, struct text_state *ts)
{
    if (ts->in_text)
        buf_adds(&c->ops, "ET\n");
    ts->in_text = false;
}

/*
 * Put the text's origin at (x, y), in 1/100 pt: the first text of a BT ...
 * ET moves there from the origin, the others set the text matrix.  Always
 * absolute, never a move from the text before: a renderer that adds up
 * moves can land a hair off, and a print file, which draws some texts
 * without those before them, would then differ from its documents.
 */
static void put_origin(struct buf *b, bool first, long x, long y)
{
    if (!first)
        buf_adds(b, "1 0 0 1 ");
    put_num(b, (float)x / 100.0f, 2);
    buf_add(b, " ", 1);
    put_num(b, (float)y / 100.0f, 2);
    buf_adds(b, first ? " Td\n" : " Tm\n");
}

/* Where a glyph is drawn, in thousandths of the text size from the text's origin. */
struct pen {
    struct buf *b;
    const struct op_text *t;
    float at;                    /* where the current point is */
    bool open, hex, moved;       /* a TJ array, a hex string in it; off the baseline */
    bool numbers;                /* the array has adjustments (else Tj does) */
    size_t start;                /* where the array starts in b */
};

/* End the glyphs shown since the last position: Tj, or TJ with adjustments. */
static void pen_flush(struct pen *p)
{
    if (!p->open)
        return;
    if (p->hex)
        buf_add(p->b, ">", 1);
    if (p->numbers)
        buf_adds(p->b, "] TJ\n");
    else {
        /* no adjustments: drop the '[' */
        memmove(p->b->data + p->start, p->b->data + p->start + 1, p->b->len - p->start - 1);
        p->b->len--;
        buf_adds(p->b, " Tj\n");
    }
    p->open = p->hex = p->numbers = false;
}

/* Put the current point at `x` thousandths along the baseline, `y` above it. */
static void pen_move(struct pen *p, float x, float y)
{
    float k = p->t->size / 1000.0f;

    pen_flush(p);
    buf_adds(p->b, "1 0 0 1 ");
    put_num(p->b, p->t->x + x * k, 3);
    buf_add(p->b, " ", 1);
    put_num(p->b, p->t->y + y * k, 3);
    buf_adds(p->b, " Tm\n");
    p->at = x;
}

/* Show glyph `cid` at `x`, moving the current point along the array to it. */
static void pen_show(struct pen *p, float x, unsigned cid)
{
    char code[4];
    float adjust = p->at - x;

    if (!p->open) {
        p->start = p->b->len;
        buf_add(p->b, "[", 1);
        p->open = true;
    }
    if (fabsf(adjust) >= 0.0005f) {
        if (p->hex)
            buf_add(p->b, ">", 1);
        p->hex = false;
        buf_add(p->b, " ", 1);
        put_num(p->b, adjust, 3);
        buf_add(p->b, " ", 1);
        p->numbers = true;
    }
    if (!p->hex)
        buf_add(p->b, "<", 1);
    p->hex = true;
    pdf_hex4(code, cid);
    buf_add(p->b, code, 4);
}

/*
 * Draw `t`'s glyphs where shaping placed them.  The PDF moves the current
 * point by each glyph's width (the /W array: the font's advance); a TJ
 * adjustment makes up the difference to shaping's advance and offset
 * (kerning, marks of no width), and a glyph raised or lowered (a Lao tone
 * mark over a vowel, a Khmer subscript) gets a text position of its own.
 * Letter spacing is Tc when every cluster is one glyph, else it is added
 * after each cluster.  Text whose ToUnicode map would not give it back is
 * marked with its /ActualText.
 */
static bool write_text(struct ctx *c, struct text_state *ts, const struct op_text *t,
                       unsigned *missing)
{
    struct emb_font *f = pdf_font_of(c, t->face);
    struct buf *b = &c->ops;
    bool first = !ts->in_text, simple = true, actual;
    float units = 1000.0f / (float)font_upem(t->face), pen = 0, tc, spacing;
    size_t i;
    struct pen p = {b, t, 0, false, false, false, false, 0};

    *missing = 0;
    if (!f || !f->font || (f->all && !pdf_font_note(f, t)))
        return false;
    for (i = 0; i < t->nglyphs; i++) {
        unsigned gid = t->glyphs[i].gid;
        if (gid >= f->nglyphs || !f->glyph[gid].used || (!f->glyph[gid].cid && gid)) {
            *missing = gid ? gid : 0xFFFFFFFFu;
            return false;
        }
        simple &= i + 1 == t->nglyphs || t->glyphs[i + 1].cluster != t->glyphs[i].cluster;
    }
    actual = !pdf_font_maps_back(f, t);
    tc = simple ? t->tracking : 0;
    spacing = t->tracking * 1000.0f / t->size;
    if (first) {
        buf_adds(b, "BT\n");
        ts->in_text = true;
    }
    if (!ts->font_set || ts->font != f || ts->size != t->size) {
        buf_addf(b, "/%s ", f->res);
        put_num(b, t->size, 2);
        buf_adds(b, " Tf\n");
        ts->font = f;
        ts->size = t->size;
        ts->font_set = true;
    }
    if (!ts->colour_set || !same_rgb(ts->colour, t->colour)) {
        put_rgb(b, t->colour, "rg");
        ts->colour = t->colour;
        ts->colour_set = true;
    }
    if (!ts->tracking_set || ts->tracking != tc) {
        put_num(b, tc, 3);
        buf_adds(b, " Tc\n");
        ts->tracking = tc;
        ts->tracking_set = true;
    }
    if (actual) {
        buf_adds(b, "/Span << /ActualText <FEFF");
        pdf_put_utf16_text(b, t->text, strlen(t->text));
        buf_adds(b, "> >> BDC\n");
    }
    put_origin(b, first, lroundf(t->x * 100), lroundf(t->y * 100));
    for (i = 0; i < t->nglyphs; i++) {
        const struct shaped_glyph *g = &t->glyphs[i];
        float x = pen + (float)g->x_offset * units, y = (float)g->y_offset * units;

        if (y != 0) {
            pen_move(&p, x, y);
            p.moved = true;
        } else if (p.moved) {
            pen_move(&p, x, 0);
            p.moved = false;
        }
        pen_show(&p, x, f->glyph[g->gid].cid);
        p.at = x + (float)f->glyph[g->gid].width + tc * 1000.0f / t->size;
        pen += (float)g->x_advance * units;
        if (i + 1 == t->nglyphs || t->glyphs[i + 1].cluster != g->cluster)
            pen += spacing;
    }
    pen_flush(&p);
    if (actual)
        buf_adds(b, "EMC\n");
    return !b->failed;
}

static bool write_image(struct ctx *c, const struct op_image *im)
{
    struct emb_image *e = image_of(c, im->image);
    struct buf *b = &c->ops;
    float m[6] = {im->w, 0, 0, im->h, im->x, im->y};

    if (!e)
        return false;
    buf_adds(b, "q\n");
    if (im->clip) {
        float r[4] = {im->cx, im->cy, im->cw, im->ch};
        put_nums(b, r, 4, "re");
        buf_adds(b, "W n\n");
    }
    put_nums(b, m, 6, "cm");
    buf_addf(b, "/%s Do\nQ\n", e->res);
    return true;
}

/* An operation, after what `ts` says the stream has set. */
attache_status pdf_write_op(struct ctx *c, struct text_state *ts, const struct op *op,
                            attache_error *err)
{
    if (op->kind == OP_TEXT) {
        unsigned missing = 0;

        if (write_text(c, ts, &op->u.text, &missing))
            return ATTACHE_OK;
        if (!missing)
            return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0,
                       "text drawn in %s has glyph %u, which the font was not prepared for",
                       font_face_name(op->u.text.face), missing);
    }
    pdf_end_text(c, ts);
    switch (op->kind) {
    case OP_PATH:
        draw_path(c, &op->u.path);
        break;
    case OP_QR:
        draw_qr(c, &op->u.qr);
        break;
    case OP_IMAGE:
        if (!write_image(c, &op->u.image))
            return pdf_fail(c, err, "embedding an image");
        break;
    default:
        break;
    }
    return ATTACHE_OK;
}

/*
 * A page's artwork: the borders, rules and ornaments a template draws
 * before anything else, the same on every certificate of a run and most
 * of its content stream's bytes.  They go into a content stream of their
 * own (/Contents [artwork own]), deflated harder; only artwork this large
 * pays for the extra object.  The cache keeps the deflated artwork under
 * the operations that draw it, so that a worker writes and deflates it
 * once a run.
 */
#define ARTWORK_MIN_BYTES 2048
#define ARTWORK_LEVEL 10

/*
 * The first `n` operations (paths) as a cache key, into k: every field of
 * struct op_path that shapes what it draws, field by field (a struct's
 * padding is not part of a key).
 */
static bool artwork_key(const struct page *page, size_t n, struct buf *k)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const struct op_path *p = &page->ops[i].u.path;
        unsigned char flags[3] = {p->do_stroke, p->do_fill, p->transformed};

        buf_add(k, &p->n, sizeof p->n);
        buf_add(k, p->segs, p->n * sizeof *p->segs);
        buf_add(k, &p->line_width, sizeof p->line_width);
        buf_add(k, &p->stroke, sizeof p->stroke);
        buf_add(k, &p->fill, sizeof p->fill);
        buf_add(k, flags, sizeof flags);
        buf_add(k, &p->dash_on, sizeof p->dash_on);
        buf_add(k, &p->dash_off, sizeof p->dash_off);
        buf_add(k, p->matrix, sizeof p->matrix);
        buf_add(k, &p->nrepeat, sizeof p->nrepeat);
        buf_add(k, p->repeat, p->nrepeat * sizeof *p->repeat);
    }
    return !k->failed;
}

/* Deflated artwork `z` as the page's first content stream. */
static bool add_artwork(struct ctx *c, HPDF_Page pg, const unsigned char *z, size_t zn)
{
    HPDF_Dict art = pdf_new_stream(c);
    HPDF_Array contents = HPDF_Array_New(c->pdf->mmgr);

    return art && contents && !c->error && pdf_set_deflated(c, art, z, zn) &&
           HPDF_Array_Add(contents, art) == HPDF_OK &&
           HPDF_Array_Add(contents, ((HPDF_PageAttr)pg->attr)->contents) == HPDF_OK &&
           HPDF_Dict_Add(pg, "Contents", contents) == HPDF_OK && !c->error;
}

/*
 * The page's artwork, its first `lead` operations, deflated, if the cache
 * has it (*z, malloc'd, and *zn); else the key to keep it under (*key).
 * False when memory runs out.
 */
static bool recall_artwork(struct ctx *c, const struct page *page, size_t lead,
                           struct buf *key, unsigned char **z, size_t *zn)
{
    const unsigned char *kept;

    *z = NULL;
    if (!lead || lead == page->nops)
        return true;
    if (!artwork_key(page, lead, key)) {
        buf_release(key);        /* no key (out of memory): nothing kept */
        return true;
    }
    if (!pdf_cache_get(c->cache, CACHE_ARTWORK, key->data, key->len, &kept, zn))
        return true;
    if (!(*z = malloc(*zn ? *zn : 1)))
        return false;
    memcpy(*z, kept, *zn);
    return true;
}

/* The first `len` bytes of c->ops, deflated, as the page's artwork (kept under `key`). */
static bool deflate_artwork(struct ctx *c, HPDF_Page pg, size_t len, const struct buf *key)
{
    unsigned char *d = NULL;
    size_t dn = 0;
    bool ok = zlib_deflate(pdf_cache_compressor(c->cache, ARTWORK_LEVEL), c->ops.data, len, &d,
                           &dn) &&
              add_artwork(c, pg, d, dn);

    if (ok && key->len && !key->failed)
        pdf_cache_put(c->cache, CACHE_ARTWORK, key->data, key->len, d, dn);
    free(d);
    return ok;
}

/*
 * The page's own content stream: the QR codes it begins with (c->leads),
 * then c->ops from byte `from` on, deflated straight from c->ops.
 */
static bool deflate_own(struct ctx *c, HPDF_Dict contents, size_t from)
{
    const unsigned char *ops = (const unsigned char *)c->ops.data;
    size_t n = c->ops.len - from, zn = 0;
    unsigned char *z = NULL;
    bool ok;

    ops = ops ? ops + from : NULL;
    ok = c->nleads ? deflate_with_leads(c, ops, n, &z, &zn) : pdf_deflate_bytes(c, ops, n, &z, &zn);
    ok = ok && pdf_set_deflated(c, contents, z, zn);
    free(z);
    return ok;
}

attache_status pdf_draw_page(struct ctx *c, const struct page *page, HPDF_Page *out,
                             attache_error *err)
{
    attache_status rc = ATTACHE_OK;
    HPDF_Page pg = HPDF_AddPage(c->pdf);
    HPDF_Dict res = pdf_resources(c);
    size_t k, lead = 0, art = 0, kept_n = 0;
    struct buf key = {0};        /* the page's artwork, as the cache knows it */
    unsigned char *kept = NULL;  /* the artwork, deflated, when the cache had it */

    if (!pg || !res || c->error)
        return pdf_fail(c, err, "adding a page");
    *out = pg;
    CHECK_HPDF(c, HPDF_Page_SetWidth(pg, page->width), "setting the page size");
    CHECK_HPDF(c, HPDF_Page_SetHeight(pg, page->height), "setting the page size");
    /* libharu's own per-page resources go: the page inherits the PDF's */
    CHECK_HPDF(c, HPDF_Dict_RemoveElement(pg, "Resources"), "adding a page");
    if (c->npages == 0) {
        c->page_w = page->width;
        c->page_h = page->height;
    } else if (page->width != c->page_w || page->height != c->page_h) {
        c->mixed_sizes = true;
    }
    buf_reset(&c->ops);
    c->nleads = 0;
    if (c->share_layers) {
        rc = pdf_draw_shared(c, page, pg, err);
    } else {
        struct text_state ts;

        for (lead = 0; lead < page->nops && page->ops[lead].kind == OP_PATH; lead++)
            ;
        if (!recall_artwork(c, page, lead, &key, &kept, &kept_n))
            rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        text_state_init(&ts);
        for (k = kept ? lead : 0; k < page->nops && rc == ATTACHE_OK; k++) {
            if (k == lead && lead < page->nops)
                art = c->ops.len;
            /* the page's own stream starts after its artwork, when that has a stream */
            if (page->ops[k].kind == OP_QR &&
                qr_may_lead(page, kept || art >= ARTWORK_MIN_BYTES ? lead : 0, k)) {
                if (!pdf_lead_qr(c, &page->ops[k].u.qr))
                    rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
                continue;
            }
            rc = pdf_write_op(c, &ts, &page->ops[k], err);
        }
        pdf_end_text(c, &ts);
    }
    c->npages++;
    if (rc == ATTACHE_OK && c->ops.failed)
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    if (rc != ATTACHE_OK)
        goto done;
    /* the artwork's object comes after those the page's operations made
       (images), whether the cache had it or not: the same file either way */
    if (kept) {
        art = 0;
        if (!add_artwork(c, pg, kept, kept_n))
            rc = pdf_fail(c, err, "drawing a page");
    } else if (art < ARTWORK_MIN_BYTES) {
        art = 0;
    } else if (!deflate_artwork(c, pg, art, &key)) {
        rc = pdf_fail(c, err, "drawing a page");
    }
    if (rc == ATTACHE_OK && !deflate_own(c, ((HPDF_PageAttr)pg->attr)->contents, art))
        rc = pdf_fail(c, err, "compressing a page");
done:
    buf_release(&key);
    free(kept);
    return rc;
}

/* ---- metadata ---------------------------------------------------------- */

/* A text string as UTF-16BE with a byte order mark. */
static HPDF_Binary utf16_string(struct ctx *c, const char *s)
{
    struct buf b = {0};
    const char *end = s + strlen(s);
    HPDF_Binary bin;

    buf_add(&b, "\xFE\xFF", 2);
    while (s < end) {
        uint16_t u[2];
        int i, n = text_utf16(text_next(&s, end), u);

        for (i = 0; i < n; i++) {
            unsigned char be[2] = {(unsigned char)(u[i] >> 8), (unsigned char)u[i]};
            buf_add(&b, be, 2);
        }
    }
    bin = b.data ? HPDF_Binary_New(c->pdf->mmgr, (HPDF_BYTE *)b.data, (HPDF_UINT)b.len) : NULL;
    buf_release(&b);
    return bin;
}

/*
 * A PDF text string: printable ASCII as it is (a quarter of the bytes), any
 * other text as UTF-16BE with a byte order mark.  NULL when out of memory.
 */
void *pdf_text_string(struct ctx *c, const char *s)
{
    const char *p;

    for (p = s; *p >= 0x20 && *p < 0x7F; p++)
        ;
    if (!*p)
        return HPDF_String_New(c->pdf->mmgr, s, NULL);
    return utf16_string(c, s);
}

static HPDF_Date date_of(time_t t)
{
    struct tm tm;
    HPDF_Date d;

    gmtime_r(&t, &tm);
    memset(&d, 0, sizeof d);
    d.year = tm.tm_year + 1900;
    d.month = tm.tm_mon + 1;
    d.day = tm.tm_mday;
    d.hour = tm.tm_hour;
    d.minutes = tm.tm_min;
    d.seconds = tm.tm_sec;
    d.ind = 'Z';
    return d;
}

/*
 * The tokens go in as literal strings that need no escaping (checked: only
 * what a token is made of), so that pdf_read.c finds them without a PDF
 * parser.  The info dictionary is made by setting its producer.
 */
attache_status pdf_add_token(struct ctx *c, const char *token, attache_error *err)
{
    char producer[64];
    attache_status rc = ATTACHE_OK;
    const char *p;

    for (p = token; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
              (*p >= '0' && *p <= '9') || *p == ':'))
            return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0,
                           "a token with '%c' cannot go into the PDF's metadata", *p);
    if (!c->tokens) {
        snprintf(producer, sizeof producer, "attache %s", attache_version());
        CHECK_HPDF(c, HPDF_SetInfoAttr(c->pdf, HPDF_INFO_PRODUCER, producer), "writing metadata");
        c->tokens = HPDF_Array_New(c->pdf->mmgr);
        if (!c->tokens)
            return pdf_fail(c, err, "writing metadata");
        CHECK_HPDF(c, HPDF_Dict_Add(c->pdf->info, "AttacheTokens", c->tokens),
                   "writing metadata");
    }
    CHECK_HPDF(c, HPDF_Array_Add(c->tokens, HPDF_String_New(c->pdf->mmgr, token, NULL)),
               "writing metadata");
done:
    return rc;
}

attache_status pdf_set_info(struct ctx *c, const struct document *doc,
                            const struct pdf_settings *s, attache_error *err)
{
    static const struct { const char *key; size_t off; } fields[] = {
        {"Title", offsetof(struct document, title)},
        {"Author", offsetof(struct document, author)},
        {"Subject", offsetof(struct document, subject)},
        {"Keywords", offsetof(struct document, keywords)},
    };
    char producer[64];
    attache_status rc = ATTACHE_OK;
    size_t i;

    snprintf(producer, sizeof producer, "attache %s", attache_version());
    CHECK_HPDF(c, HPDF_SetInfoAttr(c->pdf, HPDF_INFO_PRODUCER, producer), "writing metadata");
    CHECK_HPDF(c, HPDF_SetInfoAttr(c->pdf, HPDF_INFO_CREATOR, producer), "writing metadata");
    CHECK_HPDF(c, HPDF_SetInfoDateAttr(c->pdf, HPDF_INFO_CREATION_DATE, date_of(s->date)),
               "writing metadata");
    CHECK_HPDF(c, HPDF_SetInfoDateAttr(c->pdf, HPDF_INFO_MOD_DATE, date_of(s->date)),
               "writing metadata");
    for (i = 0; doc && i < sizeof fields / sizeof fields[0]; i++) {
        const char *v = *(const char *const *)((const char *)doc + fields[i].off);
        void *b;

        if (!v || !*v)
            continue;
        b = pdf_text_string(c, v);
        if (!b)
            return pdf_fail(c, err, "writing metadata");
        CHECK_HPDF(c, HPDF_Dict_Add(c->pdf->info, fields[i].key, b), "writing metadata");
    }
    if (doc && doc->fingerprint) {
        HPDF_String fp = HPDF_String_New(c->pdf->mmgr, doc->fingerprint, NULL);
        if (!fp)
            return pdf_fail(c, err, "writing metadata");
        CHECK_HPDF(c, HPDF_Dict_Add(c->pdf->info, INPUTS_KEY, fp), "writing metadata");
    }
    if (doc && doc->token && (rc = pdf_add_token(c, doc->token, err)) != ATTACHE_OK)
        goto done;
    if (s->id_seed) {
        unsigned char h[crypto_hash_sha256_BYTES];
        HPDF_Array id = HPDF_Array_New(c->pdf->mmgr);

        crypto_hash_sha256(h, (const unsigned char *)s->id_seed, strlen(s->id_seed));
        if (!id)
            return pdf_fail(c, err, "writing the document id");
        CHECK_HPDF(c, HPDF_Dict_Add(c->pdf->trailer, "ID", id), "writing the document id");
        CHECK_HPDF(c, HPDF_Array_Add(id, HPDF_Binary_New(c->pdf->mmgr, h, 16)), "writing the id");
        CHECK_HPDF(c, HPDF_Array_Add(id, HPDF_Binary_New(c->pdf->mmgr, h, 16)), "writing the id");
    }
done:
    return rc;
}

attache_status pdf_save(struct ctx *c, struct buf *out, attache_error *err)
{
    attache_status rc = ATTACHE_OK;
    struct buf plain = {0};
    struct libdeflate_compressor *z;
    int e;

    CHECK_HPDF(c, HPDF_SaveToStream(c->pdf), "writing the PDF");
    /* the document's memory stream, read as it is: one copy */
    if (!mem_stream_bytes(c->pdf->stream, &plain)) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    /* packed (pdf_pack.c); libharu's layout is all pdf_pack takes */
    z = pdf_cache_compressor(c->cache, pdf_level(c));
    e = z ? pdf_pack(plain.data, plain.len, z, out) : ENOMEM;
    if (e)
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0,
                     e == ENOMEM ? "out of memory" : "cannot pack the PDF libharu wrote");
done:
    buf_release(&plain);
    return rc;
}

/*
 * What every page has alike is said once, in the page tree they inherit it
 * from: their resources (one dictionary for the whole PDF) and their size,
 * when they are all of one size.
 */
attache_status pdf_inherit_page_attributes(struct ctx *c, attache_error *err)
{
    HPDF_List pages = c->pdf->page_list;
    HPDF_Box box = {0, 0, c->page_w, c->page_h};
    HPDF_Dict res = pdf_resources(c);
    HPDF_UINT i;

    if (!res || HPDF_Dict_Add(c->pdf->root_pages, "Resources", res) != HPDF_OK || c->error)
        return pdf_fail(c, err, "writing the page tree");
    if (!c->npages || c->mixed_sizes)
        return ATTACHE_OK;
    if (HPDF_Dict_Add(c->pdf->root_pages, "MediaBox", HPDF_Box_Array_New(c->pdf->mmgr, box)) !=
        HPDF_OK || c->error)
        return pdf_fail(c, err, "writing the page tree");
    for (i = 0; i < pages->count; i++)
        if (HPDF_Dict_RemoveElement(HPDF_List_ItemAt(pages, i), "MediaBox") != HPDF_OK)
            return pdf_fail(c, err, "writing the page tree");
    return ATTACHE_OK;
}

/* ---- one document ------------------------------------------------------ */

attache_status pdf_render(const struct document *doc, const struct pdf_settings *s,
                          struct buf *out, attache_error *err)
{
    struct ctx c;
    attache_status rc;
    size_t i;

    rc = pdf_ctx_init(&c, s, err);
    if (rc != ATTACHE_OK)
        goto done;
    rc = pdf_fonts_collect(&c, doc, err);
    for (i = 0; rc == ATTACHE_OK && i < c.nfonts; i++)
        rc = pdf_font_embed(&c, &c.fonts[i], err);
    for (i = 0; rc == ATTACHE_OK && i < doc->npages; i++) {
        HPDF_Page pg;
        rc = pdf_draw_page(&c, &doc->pages[i], &pg, err);
    }
    if (rc == ATTACHE_OK)
        rc = pdf_set_info(&c, doc, s, err);
    if (rc == ATTACHE_OK)
        rc = pdf_inherit_page_attributes(&c, err);
    if (rc == ATTACHE_OK)
        rc = pdf_save(&c, out, err);
done:
    pdf_ctx_release(&c);
    return rc;
}

/* ---- reading back what was written ------------------------------------------ */

/*
 * The document's /AttacheInputs entry as libharu writes it: a literal
 * string of 64 hex digits in the Info dictionary, which is written after
 * the pages (the last match counts; page text is shown by glyph numbers in
 * compressed streams, so it never holds the key).
 */
bool pdf_recorded_inputs(const unsigned char *pdf, size_t n, char out[65])
{
    static const char key[] = "/" INPUTS_KEY " (";
    const size_t klen = sizeof key - 1;
    const unsigned char *p = pdf, *last = NULL, *hit;
    size_t i;

    out[0] = '\0';
    while (p < pdf + n && (hit = memmem(p, (size_t)(pdf + n - p), key, klen)) != NULL) {
        last = hit;
        p = hit + klen;
    }
    if (!last || (size_t)(pdf + n - last) < klen + 65 || last[klen + 64] != ')')
        return false;
    for (i = 0; i < 64; i++) {
        unsigned char ch = last[klen + i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return false;
    }
    memcpy(out, last + klen, 64);
    out[64] = '\0';
    return true;
}

/*
 * pdf.c: the PDF writer, on libharu 2.3.0 (Debian 12).
 *
 * libharu keeps the document's objects, pages, outline and cross-reference
 * table and writes the file; attache writes what goes in them: content
 * streams, fonts (Type 0 over TrueType subsets, with ToUnicode maps), images
 * compressed once per run, Unicode metadata and bookmarks, a deterministic
 * /ID.  For that it uses a few of libharu's exported internals (objects,
 * dictionaries, memory streams), pinned to 2.3.0 below.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <hpdf.h>
#include <hpdf_conf.h>
#include <hpdf_doc.h>
#include <hpdf_objects.h>
#include <hpdf_pages.h>
#include <hpdf_streams.h>
#include <hpdf_utils.h>
#include <libdeflate.h>
#include <sodium.h>

#include "error.h"
#include "pdf.h"
#include "text.h"

#if HPDF_MAJOR_VERSION != 2 || HPDF_MINOR_VERSION != 3
#error "pdf.c relies on libharu 2.3.0 internals; see the comment at the top"
#endif

/* ---- the context of one HPDF document -------------------------------- */

struct emb_font {
    const struct font_face *face;
    uint32_t *cps;               /* the characters, sorted */
    size_t n, cap;
    unsigned *glyphs;            /* glyphs[k]: cps[k]'s glyph in the face */
    unsigned *cids;              /* cids[k]: its glyph, and CID, in the embedded program */
    bool all;                    /* the face's whole repertoire (print files) */
    bool *used;                  /* with `all`: which of cps the pages drew */
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
    struct buf scratch;          /* encoded text */
    struct buf ops;              /* the page's content stream */
    struct libdeflate_compressor *z;   /* made on first use, for every stream */
    HPDF_Dict resources;         /* one dictionary for every page: fonts and images */
    /* A print file draws what its pages have in common once (draw_shared) */
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
    unsigned char shorthash_key[crypto_shorthash_KEYBYTES];   /* zero: deterministic */
};

struct layer {
    unsigned char hash[crypto_hash_sha256_BYTES];
    HPDF_Dict stream;            /* owned by the document's cross-reference table */
};

static void on_error(HPDF_STATUS error_no, HPDF_STATUS detail_no, void *user)
{
    struct ctx *c = user;

    if (!c->error) {
        c->error = error_no;
        c->detail = detail_no;
    }
}

static attache_status fail(struct ctx *c, attache_error *err, const char *what)
{
    return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0,
                   "PDF library error 0x%04X (detail %u) while %s", (unsigned)c->error,
                   (unsigned)c->detail, what);
}

/* Check a libharu status and the error the handler saw. */
#define CHECK_HPDF(c, call, what)                                        \
    do {                                                                 \
        HPDF_STATUS st_ = (call);                                        \
        if (st_ != HPDF_OK && !(c)->error)                               \
            (c)->error = st_;                                            \
        if ((c)->error) {                                                \
            rc = fail((c), err, (what));                                 \
            goto done;                                                   \
        }                                                                \
    } while (0)

static attache_status ctx_init(struct ctx *c, const struct pdf_settings *s, attache_error *err)
{
    memset(c, 0, sizeof *c);
    c->pdf = HPDF_New(on_error, c);
    if (!c->pdf)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "cannot create a PDF document");
    HPDF_SetCompressionMode(c->pdf, HPDF_COMP_ALL);
    (void)s;
    return c->error ? fail(c, err, "creating a document") : ATTACHE_OK;
}

static void ctx_release(struct ctx *c)
{
    size_t i;

    if (c->pdf)
        HPDF_Free(c->pdf);
    for (i = 0; i < c->nfonts; i++) {
        free(c->fonts[i].cps);
        free(c->fonts[i].used);
        free(c->fonts[i].glyphs);
        free(c->fonts[i].cids);
    }
    free(c->fonts);
    for (i = 0; i < c->nimages; i++)
        image_free(c->images[i].image);
    free(c->images);
    free(c->layers);
    free(c->seen);
    free(c->spans);
    buf_release(&c->shared);
    libdeflate_free_compressor(c->z);
    buf_release(&c->scratch);
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

/* ---- fonts ---------------------------------------------------------- */

/*
 * Each font is a Type 0 font over a CIDFontType2 (TrueType) font whose CIDs
 * are the glyph numbers of the embedded program (/CIDToGIDMap /Identity),
 * written by attache: libharu 2.3.0's own TrueType path re-reads and
 * rewrites the font for every document (and loses the inner parts of nested
 * composite glyphs), and its Unicode encoding writes a 128 KB glyph map.
 * Text is shown in two-byte codes, the CIDs, with a ToUnicode map so that
 * it can be searched and copied.  A document's font holds only its glyphs,
 * renumbered; a print file's keeps the face's glyph numbers, so that it can
 * number text before it knows every glyph its pages will draw.
 */

static struct emb_font *font_slot(struct ctx *c, const struct font_face *face)
{
    size_t i;
    struct emb_font *f;

    for (i = 0; i < c->nfonts; i++)
        if (c->fonts[i].face == face)
            return &c->fonts[i];
    f = realloc(c->fonts, (c->nfonts + 1) * sizeof *f);
    if (!f)
        return NULL;
    c->fonts = f;
    f = &c->fonts[c->nfonts++];
    memset(f, 0, sizeof *f);
    f->face = face;
    return f;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static bool add_cp(struct emb_font *f, uint32_t cp)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        uint32_t *p = realloc(f->cps, cap * sizeof *p);
        if (!p)
            return false;
        f->cps = p;
        f->cap = cap;
    }
    f->cps[f->n++] = cp;
    return true;
}

static void sort_unique(struct emb_font *f)
{
    size_t i, k = 0;

    qsort(f->cps, f->n, sizeof *f->cps, cmp_u32);
    for (i = 0; i < f->n; i++)
        if (!k || f->cps[k - 1] != f->cps[i])
            f->cps[k++] = f->cps[i];
    f->n = k;
}

/* Collect, per face, the characters a document draws. */
static attache_status collect_chars(struct ctx *c, const struct document *doc, attache_error *err)
{
    size_t p, k;

    for (p = 0; p < doc->npages; p++)
        for (k = 0; k < doc->pages[p].nops; k++) {
            const struct op_text *t = &doc->pages[p].ops[k].u.text;
            struct emb_font *f;
            const char *s, *end;

            if (doc->pages[p].ops[k].kind != OP_TEXT)
                continue;
            f = font_slot(c, t->face);
            if (!f)
                return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
            if (f->all)
                continue;
            end = t->text + strlen(t->text);
            for (s = t->text; s < end;)
                if (!add_cp(f, text_next(&s, end)))
                    return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        }
    for (k = 0; k < c->nfonts; k++)
        sort_unique(&c->fonts[k]);
    return ATTACHE_OK;
}

/*
 * libharu only names the filters it applies itself; our bytes are already
 * deflated, so the stream is written as it is and the filter named here.
 */
static HPDF_STATUS name_flate(HPDF_Dict dict, HPDF_Stream out)
{
    (void)dict;
    return HPDF_Stream_WriteStr(out, "/Filter /FlateDecode\012");
}

/*
 * Deflate `data` into a new buffer (*out, free() it) with libdeflate and one
 * compressor per PDF: faster than libharu's zlib, which sets up a new
 * compressor for every stream, and smaller streams.  Level 6 for documents;
 * print files take level 12, whose near-optimal parsing makes a page's QR
 * code (most of what a page of a print file still holds of its own) a tenth
 * smaller, for about 2 ms a page.
 */
static bool deflate_bytes(struct ctx *c, const unsigned char *data, size_t size,
                          unsigned char **out, size_t *outn)
{
    if (!c->z && !(c->z = libdeflate_alloc_compressor(c->share_layers ? 12 : 6)))
        return false;
    return zlib_deflate(c->z, data, size, out, outn);
}

/*
 * Replace what a stream object holds by its deflated form, written as it is
 * with the filter named (libharu would deflate it again on saving).
 */
static bool deflate_stream(struct ctx *c, HPDF_Dict dict)
{
    HPDF_Stream s = dict->stream;
    HPDF_UINT i, count = HPDF_MemStream_GetBufCount(s), len;
    struct buf plain = {0};
    unsigned char *z = NULL;
    size_t zn = 0;
    bool ok = true;

    if (dict->write_fn == name_flate)
        return true;                    /* deflated already (a shared background) */
    if (dict->write_fn)
        return false;                   /* a stream libharu writes in its own way */
    for (i = 0; i < count && ok; i++) {
        HPDF_BYTE *part = HPDF_MemStream_GetBufPtr(s, i, &len);
        ok = part && buf_add(&plain, part, len);
    }
    ok = ok && deflate_bytes(c, (const unsigned char *)plain.data, plain.len, &z, &zn);
    buf_release(&plain);
    if (!ok)
        return false;
    HPDF_MemStream_FreeData(s);
    ok = HPDF_Stream_Write(s, z, (HPDF_UINT)zn) == HPDF_OK;
    free(z);
    dict->filter = HPDF_STREAM_FILTER_NONE;
    dict->write_fn = name_flate;
    return ok && !c->error;
}

/* Put a font program, deflated, into its FontFile2 stream (replacing any). */
static bool set_program(struct ctx *c, HPDF_Dict file, const unsigned char *program,
                        size_t size)
{
    unsigned char *z = NULL;
    size_t zn = 0;
    bool ok;

    if (!deflate_bytes(c, program, size, &z, &zn))
        return false;
    HPDF_MemStream_FreeData(file->stream);
    ok = HPDF_Stream_Write(file->stream, z, (HPDF_UINT)zn) == HPDF_OK &&
         HPDF_Dict_AddNumber(file, "Length1", (HPDF_UINT32)size) == HPDF_OK;
    free(z);
    file->filter = HPDF_STREAM_FILTER_NONE;
    file->write_fn = name_flate;
    return ok && !c->error;
}

/* The one resource dictionary of the PDF's pages, made on first use. */
static HPDF_Dict resources(struct ctx *c)
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
static bool add_resource(struct ctx *c, const char *kind, const char *name, void *obj)
{
    HPDF_Dict r = resources(c), sub;

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

/* A new stream object, left for the caller to fill. */
static HPDF_Dict new_stream(struct ctx *c)
{
    HPDF_Dict s = HPDF_DictStream_New(c->pdf->mmgr, c->pdf->xref);

    return s && !c->error ? s : NULL;
}

/* A new dictionary, an object of its own when `indirect`. */
static HPDF_Dict new_dict(struct ctx *c, bool indirect)
{
    HPDF_Dict d = HPDF_Dict_New(c->pdf->mmgr);

    if (!d || (indirect && HPDF_Xref_Add(c->pdf->xref, d) != HPDF_OK) || c->error)
        return NULL;
    return d;
}

/*
 * The subset tag before the font's name (six capitals, as the PDF reference
 * asks), from the face and the glyphs embedded: the same subset has the
 * same name in every document, and another subset another.
 */
static void font_tag(const struct emb_font *f, char tag[8])
{
    unsigned char h[8];
    crypto_generichash_state st;
    const char *name = font_face_name(f->face);
    int i;

    crypto_generichash_init(&st, NULL, 0, sizeof h);
    crypto_generichash_update(&st, (const unsigned char *)name, strlen(name));
    crypto_generichash_update(&st, (const unsigned char *)(f->all ? "all" : "some"), 4);
    if (!f->all && f->n)
        crypto_generichash_update(&st, (const unsigned char *)f->cids, f->n * sizeof *f->cids);
    crypto_generichash_final(&st, h, sizeof h);
    for (i = 0; i < 6; i++)
        tag[i] = (char)('A' + h[i] % 26);
    tag[6] = '\0';
}

/* The indexes of f->cps whose glyphs the font holds, in CID order, into *out. */
static size_t glyphs_in_cid_order(const struct emb_font *f, size_t **out)
{
    size_t *idx = malloc((f->n ? f->n : 1) * sizeof *idx), n = 0, i, j;

    *out = idx;
    if (!idx)
        return 0;
    for (i = 0; i < f->n; i++)
        if (f->cids[i] && (!f->used || f->used[i]))
            idx[n++] = i;
    for (i = 1; i < n; i++)             /* insertion sort: tens of glyphs, mostly in order */
        for (j = i; j > 0 && f->cids[idx[j - 1]] > f->cids[idx[j]]; j--) {
            size_t t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    return n;
}

/* /W [c [w w ...] c [w ...]]: a group per run of consecutive CIDs. */
static bool write_widths(struct ctx *c, struct emb_font *f, const size_t *idx, size_t n)
{
    HPDF_Array w = HPDF_Array_New(c->pdf->mmgr), run = NULL;
    size_t i;

    if (!w || HPDF_Dict_Add(f->cidfont, "W", w) != HPDF_OK)
        return false;
    for (i = 0; i < n; i++) {
        unsigned cid = f->cids[idx[i]];
        /* two characters drawn by one glyph (rare): one width */
        if (i && cid == f->cids[idx[i - 1]])
            continue;
        if (!run || cid != f->cids[idx[i - 1]] + 1u) {
            if (HPDF_Array_AddNumber(w, (HPDF_INT32)cid) != HPDF_OK ||
                !(run = HPDF_Array_New(c->pdf->mmgr)) || HPDF_Array_Add(w, run) != HPDF_OK)
                return false;
        }
        if (HPDF_Array_AddNumber(run, font_glyph_width(f->face, f->glyphs[idx[i]])) != HPDF_OK)
            return false;
    }
    return !c->error;
}

/* `cp` as the hex digits of its UTF-16 code units. */
static void put_utf16(struct buf *b, uint32_t cp)
{
    uint16_t u[2];
    int i, n = text_utf16(cp, u);

    for (i = 0; i < n; i++)
        buf_addf(b, "%04X", (unsigned)u[i]);
}

/*
 * The ToUnicode map, CID to character: a range for each run of consecutive
 * CIDs drawing consecutive characters (they mostly do: a subset numbers its
 * glyphs in the order of the face, which is mostly the order of Unicode).
 */
static bool write_tounicode(struct ctx *c, struct emb_font *f, const size_t *idx, size_t n)
{
    struct buf m = {0}, entries = {0};
    size_t i = 0, count = 0;
    bool ok;

    buf_adds(&m, "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
                 "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
                 "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
                 "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n");
    while (i < n) {
        size_t j = i + 1;
        unsigned cid = f->cids[idx[i]];
        uint32_t cp = f->cps[idx[i]];

        if (i && cid == f->cids[idx[i - 1]]) {
            i++;                /* the glyph drew an earlier character: that one it is */
            continue;
        }
        /* a range changes only the last byte of its codes and of its text */
        while (j < n && f->cids[idx[j]] == cid + (j - i) && f->cps[idx[j]] == cp + (j - i) &&
               ((cid + (j - i)) & 0xFF) != 0 && ((cp + (j - i)) & 0xFF) != 0 &&
               cp + (j - i) < 0x10000)
            j++;
        buf_addf(&entries, "<%04X> <%04X> <", cid, (unsigned)(cid + (j - i - 1)));
        put_utf16(&entries, cp);
        buf_adds(&entries, ">\n");
        if (++count == 100) {
            buf_addf(&m, "%zu beginbfrange\n%sendbfrange\n", count, entries.data);
            buf_reset(&entries);
            count = 0;
        }
        i = j;
    }
    if (count)
        buf_addf(&m, "%zu beginbfrange\n%sendbfrange\n", count, entries.data);
    buf_adds(&m, "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    ok = !m.failed && !entries.failed &&
         HPDF_Stream_Write(f->tounicode->stream, (const HPDF_BYTE *)m.data, (HPDF_UINT)m.len) ==
             HPDF_OK &&
         deflate_stream(c, f->tounicode);
    buf_release(&m);
    buf_release(&entries);
    return ok;
}

/* The program, widths and ToUnicode map, for the glyphs the font holds. */
static bool complete_font(struct ctx *c, struct emb_font *f, const unsigned char *program,
                          size_t size)
{
    size_t *idx, n = glyphs_in_cid_order(f, &idx);
    bool ok = idx && set_program(c, f->program, program, size) &&
              write_widths(c, f, idx, n) && write_tounicode(c, f, idx, n);

    free(idx);
    return ok;
}

static bool write_descriptor(struct ctx *c, struct emb_font *f, const char *name,
                             HPDF_Dict *out)
{
    const struct font_metrics *m = font_pdf_metrics(f->face);
    HPDF_Dict d = new_dict(c, true);
    HPDF_Array bbox = HPDF_Array_New(c->pdf->mmgr);
    HPDF_STATUS st = HPDF_OK;
    int k;

    if (!d || !bbox || !(f->program = new_stream(c)))
        return false;
    for (k = 0; k < 4; k++)
        st |= HPDF_Array_AddNumber(bbox, m->bbox[k]);
    st |= HPDF_Dict_AddName(d, "Type", "FontDescriptor");
    st |= HPDF_Dict_AddName(d, "FontName", name);
    /* nonsymbolic, italic, bold */
    st |= HPDF_Dict_AddNumber(d, "Flags", 32 | (m->italic ? 64 : 0) | (m->bold ? 1 << 18 : 0));
    st |= HPDF_Dict_Add(d, "FontBBox", bbox);
    st |= HPDF_Dict_AddNumber(d, "ItalicAngle", (HPDF_INT32)lround(m->italic_angle));
    st |= HPDF_Dict_AddNumber(d, "Ascent", m->ascent);
    st |= HPDF_Dict_AddNumber(d, "Descent", m->descent);
    st |= HPDF_Dict_AddNumber(d, "CapHeight", m->cap_height);
    st |= HPDF_Dict_AddNumber(d, "XHeight", m->x_height);
    st |= HPDF_Dict_AddNumber(d, "StemV", m->stem_v);
    st |= HPDF_Dict_Add(d, "FontFile2", f->program);
    *out = d;
    return st == HPDF_OK && !c->error;
}

/* The font's objects: Type 0 font, CIDFont, descriptor, program and maps. */
static bool write_font_objects(struct ctx *c, struct emb_font *f)
{
    char tag[8], name[160];
    HPDF_Dict info = new_dict(c, false), descriptor = NULL;
    HPDF_Array descendants = HPDF_Array_New(c->pdf->mmgr);
    HPDF_STATUS st = HPDF_OK;

    font_tag(f, tag);
    snprintf(name, sizeof name, "%s+%s", tag, font_face_name(f->face));
    if (!info || !descendants || !(f->font = new_dict(c, true)) ||
        !(f->cidfont = new_dict(c, true)) || !(f->tounicode = new_stream(c)) ||
        !write_descriptor(c, f, name, &descriptor))
        return false;
    st |= HPDF_Dict_AddName(f->font, "Type", "Font");
    st |= HPDF_Dict_AddName(f->font, "Subtype", "Type0");
    st |= HPDF_Dict_AddName(f->font, "BaseFont", name);
    st |= HPDF_Dict_AddName(f->font, "Encoding", "Identity-H");
    st |= HPDF_Array_Add(descendants, f->cidfont);
    st |= HPDF_Dict_Add(f->font, "DescendantFonts", descendants);
    st |= HPDF_Dict_Add(f->font, "ToUnicode", f->tounicode);
    st |= HPDF_Dict_Add(info, "Registry", HPDF_String_New(c->pdf->mmgr, "Adobe", NULL));
    st |= HPDF_Dict_Add(info, "Ordering", HPDF_String_New(c->pdf->mmgr, "Identity", NULL));
    st |= HPDF_Dict_AddNumber(info, "Supplement", 0);
    st |= HPDF_Dict_AddName(f->cidfont, "Type", "Font");
    st |= HPDF_Dict_AddName(f->cidfont, "Subtype", "CIDFontType2");
    st |= HPDF_Dict_AddName(f->cidfont, "BaseFont", name);
    st |= HPDF_Dict_Add(f->cidfont, "CIDSystemInfo", info);
    st |= HPDF_Dict_Add(f->cidfont, "FontDescriptor", descriptor);
    st |= HPDF_Dict_AddName(f->cidfont, "CIDToGIDMap", "Identity");
    return st == HPDF_OK && !c->error;
}

/*
 * Embed the face for the characters of f->cps: a document's font now, cut
 * down to them; a print file's (f->all) numbered by the face's glyphs and
 * completed when the file is finished.
 */
static attache_status embed_font(struct ctx *c, struct emb_font *f, attache_error *err)
{
    unsigned char *data = NULL;
    size_t size = 0, k;
    attache_status rc = ATTACHE_OK;

    f->glyphs = calloc(f->n ? f->n : 1, sizeof *f->glyphs);
    f->cids = calloc(f->n ? f->n : 1, sizeof *f->cids);
    if (!f->glyphs || !f->cids)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    for (k = 0; k < f->n; k++)
        f->glyphs[k] = font_glyph(f->face, f->cps[k]);
    if (f->all)
        memcpy(f->cids, f->glyphs, f->n * sizeof *f->cids);
    else if ((rc = font_subset(f->face, f->cps, f->n, false, f->cids, &data, &size, err)) !=
             ATTACHE_OK)
        return rc;
    if (!write_font_objects(c, f) || (!f->all && !complete_font(c, f, data, size)))
        rc = fail(c, err, "embedding a font");
    free(data);
    if (rc != ATTACHE_OK)
        return rc;
    snprintf(f->res, sizeof f->res, "F%zu", (size_t)(f - c->fonts) + 1);
    if (!add_resource(c, "Font", f->res, f->font))
        return fail(c, err, "embedding a font");
    return ATTACHE_OK;
}

static struct emb_font *font_of(struct ctx *c, const struct font_face *face)
{
    size_t i;

    for (i = 0; i < c->nfonts; i++)
        if (c->fonts[i].face == face)
            return &c->fonts[i];
    return NULL;
}

/*
 * The text in `f`'s codes (its CIDs, two bytes each), into c->scratch.
 * False when out of memory or when the font has no glyph for a character
 * (*missing receives it).
 */
static bool encode_text(struct ctx *c, struct emb_font *f, const char *s, uint32_t *missing)
{
    const char *end = s + strlen(s);

    buf_reset(&c->scratch);
    *missing = 0;
    while (s < end) {
        uint32_t cp = text_next(&s, end);
        const uint32_t *hit = bsearch(&cp, f->cps, f->n, sizeof cp, cmp_u32);
        size_t k;
        char b[2];

        if (!hit || !f->cids[k = (size_t)(hit - f->cps)]) {
            *missing = cp;
            return false;
        }
        if (f->used)
            f->used[k] = true;
        b[0] = (char)(f->cids[k] >> 8);
        b[1] = (char)(f->cids[k] & 255);
        if (!buf_add(&c->scratch, b, 2))
            return false;
    }
    if (!c->scratch.data)
        return buf_add(&c->scratch, "", 0);
    return true;
}

/* ---- images ------------------------------------------------------------ */

/* The same, for samples with a PNG predictor byte before every row. */
static HPDF_STATUS name_flate_predicted(HPDF_Dict dict, HPDF_Stream out)
{
    HPDF_Number w = HPDF_Dict_GetItem(dict, "Width", HPDF_OCLASS_NUMBER);
    HPDF_Name cs = HPDF_Dict_GetItem(dict, "ColorSpace", HPDF_OCLASS_NAME);
    char line[160];

    snprintf(line, sizeof line,
             "/Filter /FlateDecode\012/DecodeParms << /Predictor 15 /Colors %d "
             "/BitsPerComponent 8 /Columns %d >>\012",
             cs && !strcmp(cs->value, "DeviceRGB") ? 3 : 1, w ? (int)w->value : 1);
    /* an indexed image's ColorSpace is an array: one sample per pixel */
    return HPDF_Stream_WriteStr(out, line);
}

/* An image whose stream holds already-deflated samples, written as they are
 * (or, when `raw`, a few samples written without a filter). */
static HPDF_Image precompressed(struct ctx *c, const unsigned char *data, size_t size,
                                int w, int h, int components, bool predicted, bool raw)
{
    static const HPDF_BYTE dummy[3];
    HPDF_Image img = HPDF_LoadRawImageFromMem(c->pdf, dummy, 1, 1,
                                              components == 1 ? HPDF_CS_DEVICE_GRAY
                                                              : HPDF_CS_DEVICE_RGB, 8);
    if (!img || c->error)
        return NULL;
    HPDF_MemStream_FreeData(img->stream);
    if (HPDF_Stream_Write(img->stream, data, (HPDF_UINT)size) != HPDF_OK)
        return NULL;
    img->filter = HPDF_STREAM_FILTER_NONE;
    img->write_fn = raw ? NULL : predicted ? name_flate_predicted : name_flate;
    if (HPDF_Dict_AddNumber(img, "Width", w) != HPDF_OK ||
        HPDF_Dict_AddNumber(img, "Height", h) != HPDF_OK)
        return NULL;
    return img;
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
        h = precompressed(c, im->data, im->size, im->solid ? 1 : im->width,
                          im->solid ? 1 : im->height, im->components, im->predicted, im->solid);
    if (h && im->palette_size && !set_indexed(c, h, im))
        return NULL;
    if (h && im->alpha) {
        HPDF_Image mask = precompressed(c, im->alpha, im->alpha_size, im->width, im->height, 1,
                                        im->alpha_predicted, false);
        if (!mask || HPDF_Image_AddSMask(h, mask) != HPDF_OK)
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
    if (!add_resource(c, "XObject", e->res, h))
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

/* What the content stream has set for text, so that it is set only when it changes. */
struct text_state {
    bool in_text;
    const struct emb_font *font;
    float size, tracking;
    struct rgb colour;
    bool font_set, colour_set, tracking_set;
};

/* At the start of a content stream: nothing set but the letter spacing (0). */
static void text_state_init(struct text_state *ts)
{
    memset(ts, 0, sizeof *ts);
    ts->tracking_set = true;
}

/* Nothing known: for an operation that must draw the same after any other. */
static void text_state_forget(struct text_state *ts)
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

/* Which part of a QR code draw_qr() draws. */
enum qr_part {
    QR_FINDERS,                  /* the three 7 x 7 squares at the corners */
    QR_REST
};

static bool in_finder(int w, int r, int x)
{
    return (r < 7 && (x < 7 || x >= w - 7)) || (r >= w - 7 && x < 7);
}

/*
 * Dark modules as one path of row runs, in module units (a `cm` scales them
 * to the code's size), so that each run is a few small integers.  One path,
 * filled once: renderers cover the union of the runs, so no seams show
 * between them (a stroke to close seams would be drawn a whole device pixel
 * wide on screen and blot the code at small sizes).  The finder patterns
 * are a path of their own: a light border a module wide parts them from
 * every other dark module, so no seam can show, and every code of a size
 * has the same ones (a print file draws them once).  The runs go out
 * grouped by length, which deflates smaller than row by row.
 */
struct qr_run {
    uint16_t u, v, len;          /* from (u, v), `len` modules along u */
};

/*
 * The part's runs of dark modules along rows or, when `columns`, along
 * columns, in module units from the bottom left; columns with u and v
 * swapped (drawn through a transposing matrix).  count[len] counts them.
 */
static size_t qr_runs(const struct op_qr *q, enum qr_part part, bool columns,
                      struct qr_run *runs, size_t *count)
{
    int w = q->width, line, i;
    size_t n = 0;

    for (line = 0; line < w; line++)
        for (i = 0; i < w;) {
            int start, r = columns ? i : line, x = columns ? line : i;

            if (!q->modules[r * w + x] || in_finder(w, r, x) != (part == QR_FINDERS)) {
                i++;
                continue;
            }
            for (start = i; i < w; i++) {
                r = columns ? i : line;
                x = columns ? line : i;
                if (!q->modules[r * w + x] || in_finder(w, r, x) != (part == QR_FINDERS))
                    break;
            }
            if (columns) {
                runs[n].u = (uint16_t)(w - i);         /* rows start..i-1, from below */
                runs[n].v = (uint16_t)line;
            } else {
                runs[n].u = (uint16_t)start;
                runs[n].v = (uint16_t)(w - 1 - line);
            }
            runs[n].len = (uint16_t)(i - start);
            count[i - start]++;
            n++;
        }
    return n;
}

/*
 * Dark modules as one path of runs, in module units (a `cm` scales them to
 * the code's size), so that each run is a few small integers.  One path,
 * filled once: renderers cover the union of the runs, so no seams show
 * between them (a stroke to close seams would be drawn a whole device pixel
 * wide on screen and blot the code at small sizes).  The finder patterns
 * are a path of their own: a light border a module wide parts them from
 * every other dark module, so no seam can show, and every code of a size
 * has the same ones (a print file draws them once).  The rest runs along
 * rows or along columns, whichever makes fewer runs, grouped by length:
 * both deflate smaller.
 */
static void draw_qr(struct ctx *c, const struct op_qr *q, enum qr_part part)
{
    struct buf *b = &c->ops;
    size_t cap = (size_t)q->width * ((size_t)q->width / 2 + 2);
    size_t nruns, ncols = 0, *count = calloc(2 * ((size_t)q->width + 1), sizeof *count);
    struct qr_run *runs = malloc(2 * cap * sizeof *runs);
    float m = q->size / (float)q->width, cm[6] = {m, 0, 0, m, q->x, q->y};
    char tmp[96];
    size_t i, len;
    int n;

    buf_adds(b, "q\n");
    put_rgb(b, q->colour, "rg");
    if (!runs || !count) {
        free(runs);
        free(count);
        b->failed = true;
        return;
    }
    nruns = qr_runs(q, part, false, runs, count);
    if (part == QR_REST)
        ncols = qr_runs(q, part, true, runs + cap, count + q->width + 1);
    if (ncols && ncols < nruns) {
        nruns = ncols;
        memmove(runs, runs + cap, nruns * sizeof *runs);
        memmove(count, count + q->width + 1, ((size_t)q->width + 1) * sizeof *count);
        cm[0] = cm[3] = 0;
        cm[1] = cm[2] = m;
    }
    for (n = 0; n < 6; n++) {
        put_num(b, cm[n], 3);
        buf_add(b, " ", 1);
    }
    buf_adds(b, "cm\n");
    for (len = 1; len <= (size_t)q->width; len++)
        for (i = 0; i < nruns && count[len]; i++)
            if (runs[i].len == len) {
                n = snprintf(tmp, sizeof tmp, "%d %d %d 1 re\n", runs[i].u, runs[i].v,
                             runs[i].len);
                buf_add(b, tmp, (size_t)n);
                count[len]--;
            }
    free(runs);
    free(count);
    buf_adds(b, "f\nQ\n");
}

static void end_text(struct ctx *c, struct text_state *ts)
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

static bool write_text(struct ctx *c, struct text_state *ts, const struct op_text *t,
                       uint32_t *missing)
{
    static const char hex[] = "0123456789ABCDEF";
    struct emb_font *f = font_of(c, t->face);
    struct buf *b = &c->ops;
    bool first = !ts->in_text;
    size_t i;

    if (!f || !f->font || !encode_text(c, f, t->text, missing))
        return false;
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
    if (!ts->tracking_set || ts->tracking != t->tracking) {
        put_num(b, t->tracking, 3);
        buf_adds(b, " Tc\n");
        ts->tracking = t->tracking;
        ts->tracking_set = true;
    }
    put_origin(b, first, lroundf(t->x * 100), lroundf(t->y * 100));
    buf_add(b, "<", 1);
    if (!buf_grow(b, c->scratch.len * 2))
        return false;
    for (i = 0; i < c->scratch.len; i++) {
        unsigned char v = (unsigned char)c->scratch.data[i];
        b->data[b->len++] = hex[v >> 4];
        b->data[b->len++] = hex[v & 15];
    }
    b->data[b->len] = '\0';
    buf_adds(b, "> Tj\n");
    return true;
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

/*
 * How many parts an operation is written in: a QR code's finder patterns
 * are a part of their own, the same on every code of its size, which a
 * print file draws once.
 */
static int op_parts(const struct op *op)
{
    return op->kind == OP_QR ? 2 : 1;
}

/* Part `part` of an operation, after what `ts` says the stream has set. */
static attache_status write_part(struct ctx *c, struct text_state *ts, const struct op *op,
                                 int part, attache_error *err)
{
    if (op->kind == OP_TEXT) {
        uint32_t missing = 0;

        if (write_text(c, ts, &op->u.text, &missing))
            return ATTACHE_OK;
        if (!missing)
            return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0,
                       "text drawn in %s has U+%04X, which the font was not prepared for",
                       font_face_name(op->u.text.face), (unsigned)missing);
    }
    end_text(c, ts);
    switch (op->kind) {
    case OP_PATH:
        draw_path(c, &op->u.path);
        break;
    case OP_QR:
        draw_qr(c, &op->u.qr, part ? QR_REST : QR_FINDERS);
        break;
    case OP_IMAGE:
        if (!write_image(c, &op->u.image))
            return fail(c, err, "embedding an image");
        break;
    default:
        break;
    }
    return ATTACHE_OK;
}

/* ---- print files: what pages have in common, drawn once ------------------ */

/*
 * A print file of a thousand certificates draws the same border, title,
 * programme, signatory and logo on every page; only the name, the QR code
 * and a few lines differ.  Each page's operations are written so that each
 * draws the same whatever came before it, and those already drawn on an
 * earlier page go into a content stream shared by the pages that have the
 * same ones (/Contents [shared own]).  Moving an operation ahead of the
 * page's own ones changes what is painted over what, so an operation moves
 * only when it overlaps none of the own operations it followed.
 */

struct span {
    size_t start, len;           /* the operation's bytes in c->ops */
    uint64_t key;
    float box[4];                /* x0 y0 x1 y1, what it can paint */
    bool boxed, shared;
    size_t origin;               /* shared: the page that drew it first */
};

static void box_add(float b[4], float x, float y)
{
    b[0] = fminf(b[0], x);
    b[1] = fminf(b[1], y);
    b[2] = fmaxf(b[2], x);
    b[3] = fmaxf(b[3], y);
}

static void box_add_path(float b[4], const struct op_path *p, const float *m)
{
    size_t i;
    int k;

    for (i = 0; i < p->n; i++) {
        int npts = p->segs[i].verb == PATH_CURVE ? 3 : p->segs[i].verb == PATH_CLOSE ? 0 : 1;
        for (k = 0; k < npts; k++) {
            float x = p->segs[i].p[2 * k], y = p->segs[i].p[2 * k + 1];
            if (m)
                box_add(b, m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]);
            else
                box_add(b, x, y);
        }
    }
}

/* A rectangle that holds everything the operation can paint; false if unknown. */
static bool op_box(const struct op *op, float b[4])
{
    b[0] = b[1] = INFINITY;
    b[2] = b[3] = -INFINITY;
    switch (op->kind) {
    case OP_TEXT: {
        const struct op_text *t = &op->u.text;
        const char *s = t->text, *end = s + strlen(s);
        double w = 0;
        float slack = t->size * 0.25f;    /* overhangs: italics, accents */

        while (s < end) {
            w += font_advance(t->face, text_next(&s, end)) * t->size + t->tracking;
        }
        box_add(b, t->x - slack, t->y + (float)font_descender(t->face) * t->size - slack);
        box_add(b, t->x + (float)w + slack, t->y + (float)font_ascender(t->face) * t->size + slack);
        return true;
    }
    case OP_IMAGE: {
        const struct op_image *im = &op->u.image;
        box_add(b, im->x, im->y);
        box_add(b, im->x + im->w, im->y + im->h);
        if (im->clip) {
            b[0] = fmaxf(b[0], im->cx);
            b[1] = fmaxf(b[1], im->cy);
            b[2] = fminf(b[2], im->cx + im->cw);
            b[3] = fminf(b[3], im->cy + im->ch);
        }
        return true;
    }
    case OP_QR:
        box_add(b, op->u.qr.x, op->u.qr.y);
        box_add(b, op->u.qr.x + op->u.qr.size, op->u.qr.y + op->u.qr.size);
        return true;
    case OP_PATH: {
        const struct op_path *p = &op->u.path;
        float pad = (p->do_stroke ? p->line_width * 2 : 0) + 1;
        size_t i;

        if (p->nrepeat)
            for (i = 0; i < p->nrepeat; i++)
                box_add_path(b, p, p->repeat[i]);
        else
            box_add_path(b, p, p->transformed ? p->matrix : NULL);
        if (!(b[0] <= b[2]))
            return true;        /* draws nothing */
        if (p->transformed && p->nrepeat)
            return false;       /* both: not made by any template */
        b[0] -= pad, b[1] -= pad, b[2] += pad, b[3] += pad;
        return true;
    }
    default:
        return false;
    }
}

static bool overlap(const struct span *a, const struct span *b)
{
    if (!a->boxed || !b->boxed)
        return true;
    return a->box[0] < b->box[2] && b->box[0] < a->box[2] && a->box[1] < b->box[3] &&
           b->box[1] < a->box[3];
}

/*
 * The operations drawn on earlier pages, and the page that drew each first:
 * open addressing on the keys.  Returns the slot of `key`, or the empty
 * slot where it would go.
 */
static struct seen *seen_slot(const struct ctx *c, uint64_t key)
{
    size_t i;

    for (i = key & (c->seen_cap - 1); c->seen[i].key; i = (i + 1) & (c->seen_cap - 1))
        if (c->seen[i].key == key)
            break;
    return &c->seen[i];
}

static const struct seen *seen(const struct ctx *c, uint64_t key)
{
    const struct seen *e = c->seen_cap ? seen_slot(c, key) : NULL;

    return e && e->key ? e : NULL;
}

static bool see(struct ctx *c, uint64_t key, size_t page)
{
    struct seen *e;

    if ((c->nseen + 1) * 2 > c->seen_cap) {
        size_t cap = c->seen_cap ? c->seen_cap * 2 : 1024, k;
        struct seen *old = c->seen;
        size_t oldcap = c->seen_cap;

        c->seen = calloc(cap, sizeof *c->seen);
        if (!c->seen) {
            c->seen = old;
            return false;
        }
        c->seen_cap = cap;
        for (k = 0; k < oldcap; k++)
            if (old[k].key)
                *seen_slot(c, old[k].key) = old[k];
        free(old);
    }
    e = seen_slot(c, key);
    if (!e->key) {
        e->key = key;
        e->page = page;
        c->nseen++;
    }
    return true;
}

/* The shared content stream holding `bytes`, made the first time. */
static HPDF_Dict layer_of(struct ctx *c, const struct buf *bytes)
{
    unsigned char hash[crypto_hash_sha256_BYTES];
    HPDF_Dict stream;
    struct layer *grown;
    size_t i;

    crypto_hash_sha256(hash, (const unsigned char *)bytes->data, bytes->len);
    for (i = 0; i < c->nlayers; i++)
        if (!memcmp(c->layers[i].hash, hash, sizeof hash))
            return c->layers[i].stream;
    grown = realloc(c->layers, (c->nlayers + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    c->layers = grown;
    stream = HPDF_DictStream_New(c->pdf->mmgr, c->pdf->xref);
    if (!stream || c->error ||
        HPDF_Stream_Write(stream->stream, (const HPDF_BYTE *)bytes->data,
                          (HPDF_UINT)bytes->len) != HPDF_OK ||
        !deflate_stream(c, stream))
        return NULL;
    memcpy(c->layers[c->nlayers].hash, hash, sizeof hash);
    c->layers[c->nlayers++].stream = stream;
    return stream;
}

/* Append a shared content stream holding c->shared to `contents`. */
static bool add_layer(struct ctx *c, HPDF_Array contents)
{
    HPDF_Dict layer = layer_of(c, &c->shared);

    buf_reset(&c->shared);
    return layer && HPDF_Array_Add(contents, layer) == HPDF_OK;
}

/*
 * Write the page's operations into c->ops, each on its own, and move those
 * drawn on an earlier page, that may move, into shared content streams: one
 * for the page's background (the paths it begins with: borders, frames),
 * then one per run of operations that an earlier page drew first together
 * (a title drawn by every page; a programme's lines drawn by its pages), so
 * that pages differing in one run still share the others.  The page's
 * /Contents lists the shared streams, then its own, which c->ops keeps.
 */
static attache_status draw_shared(struct ctx *c, const struct page *page, HPDF_Page pg,
                                  attache_error *err)
{
    struct text_state ts;
    struct span *sp;
    size_t k, j, n = 0, nspans = 0, own = 0, origin = 0, lead = 0;
    attache_status rc;
    unsigned char key[crypto_shorthash_BYTES];
    HPDF_Array contents = NULL;

    for (k = 0; k < page->nops; k++)
        n += (size_t)op_parts(&page->ops[k]);
    while (lead < page->nops && page->ops[lead].kind == OP_PATH)
        lead++;
    if (n > c->spans_cap) {
        sp = realloc(c->spans, n * sizeof *sp);
        if (!sp)
            return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        c->spans = sp;
        c->spans_cap = n;
    }
    sp = c->spans;
    for (n = 0; n < page->nops; n++) {
        const struct op *op = &page->ops[n];
        int part;

        for (part = 0; part < op_parts(op); part++) {
            struct span *s = &sp[nspans++];
            const struct seen *e;

            s->start = c->ops.len;
            text_state_forget(&ts);
            if ((rc = write_part(c, &ts, op, part, err)) != ATTACHE_OK)
                return rc;
            end_text(c, &ts);
            s->len = c->ops.len - s->start;
            if (c->ops.failed)
                return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
            crypto_shorthash(key, (const unsigned char *)c->ops.data + s->start, s->len,
                             c->shorthash_key);
            memcpy(&s->key, key, sizeof s->key);
            s->key |= 1;        /* never 0, the empty slot */
            s->boxed = op_box(op, s->box);
            if (n < lead) {
                /* the background, drawn first: shared from the first page on */
                s->shared = true;
                s->origin = (size_t)-1;
                continue;
            }
            e = seen(c, s->key);
            s->shared = e != NULL;
            s->origin = e ? e->page : 0;
            for (j = 0; j + 1 < nspans && s->shared; j++)
                if (!sp[j].shared && overlap(&sp[j], s))
                    s->shared = false;
        }
    }
    buf_reset(&c->shared);
    for (k = 0; k < nspans; k++) {
        if (!sp[k].shared) {
            if (sp[k].len)
                memmove(c->ops.data + own, c->ops.data + sp[k].start, sp[k].len);
            own += sp[k].len;
            continue;
        }
        if (!contents && !(contents = HPDF_Array_New(c->pdf->mmgr)))
            return fail(c, err, "sharing what pages have in common");
        if (c->shared.len && sp[k].origin != origin && !add_layer(c, contents))
            return fail(c, err, "sharing what pages have in common");
        origin = sp[k].origin;
        /* the own operations before it were moved down already: its bytes are intact */
        buf_add(&c->shared, c->ops.data + sp[k].start, sp[k].len);
    }
    if (c->shared.len && !add_layer(c, contents))
        return fail(c, err, "sharing what pages have in common");
    c->ops.len = own;
    if (c->ops.data)
        c->ops.data[own] = '\0';
    for (k = 0; k < nspans; k++)
        if (!see(c, sp[k].key, c->npages))
            return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    if (c->shared.failed)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    if (contents && (HPDF_Array_Add(contents, ((HPDF_PageAttr)pg->attr)->contents) != HPDF_OK ||
                     HPDF_Dict_Add(pg, "Contents", contents) != HPDF_OK || c->error))
        return fail(c, err, "sharing what pages have in common");
    return ATTACHE_OK;
}

static attache_status draw_page(struct ctx *c, const struct page *page, HPDF_Page *out,
                                attache_error *err)
{
    attache_status rc = ATTACHE_OK;
    HPDF_Page pg = HPDF_AddPage(c->pdf);
    HPDF_Dict res = resources(c);
    size_t k;

    if (!pg || !res || c->error)
        return fail(c, err, "adding a page");
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
    if (c->share_layers) {
        rc = draw_shared(c, page, pg, err);
    } else {
        struct text_state ts;
        int part;

        text_state_init(&ts);
        for (k = 0; k < page->nops && rc == ATTACHE_OK; k++)
            for (part = 0; part < op_parts(&page->ops[k]) && rc == ATTACHE_OK; part++)
                rc = write_part(c, &ts, &page->ops[k], part, err);
        end_text(c, &ts);
    }
    c->npages++;
    if (rc != ATTACHE_OK)
        return rc;
    if (c->ops.failed)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    CHECK_HPDF(c, HPDF_Stream_Write(((HPDF_PageAttr)pg->attr)->stream,
                                    (const HPDF_BYTE *)c->ops.data, (HPDF_UINT)c->ops.len),
               "drawing a page");
    if (!deflate_stream(c, ((HPDF_PageAttr)pg->attr)->contents))
        rc = fail(c, err, "compressing a page");
done:
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
static void *text_string(struct ctx *c, const char *s)
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

static attache_status set_info(struct ctx *c, const struct document *doc,
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
        b = text_string(c, v);
        if (!b)
            return fail(c, err, "writing metadata");
        CHECK_HPDF(c, HPDF_Dict_Add(c->pdf->info, fields[i].key, b), "writing metadata");
    }
    if (doc && doc->fingerprint) {
        HPDF_String fp = HPDF_String_New(c->pdf->mmgr, doc->fingerprint, NULL);
        if (!fp)
            return fail(c, err, "writing metadata");
        CHECK_HPDF(c, HPDF_Dict_Add(c->pdf->info, "AttacheInputs", fp), "writing metadata");
    }
    if (s->id_seed) {
        unsigned char h[crypto_hash_sha256_BYTES];
        HPDF_Array id = HPDF_Array_New(c->pdf->mmgr);

        crypto_hash_sha256(h, (const unsigned char *)s->id_seed, strlen(s->id_seed));
        if (!id)
            return fail(c, err, "writing the document id");
        CHECK_HPDF(c, HPDF_Dict_Add(c->pdf->trailer, "ID", id), "writing the document id");
        CHECK_HPDF(c, HPDF_Array_Add(id, HPDF_Binary_New(c->pdf->mmgr, h, 16)), "writing the id");
        CHECK_HPDF(c, HPDF_Array_Add(id, HPDF_Binary_New(c->pdf->mmgr, h, 16)), "writing the id");
    }
done:
    return rc;
}

static attache_status save(struct ctx *c, struct buf *out, attache_error *err)
{
    attache_status rc = ATTACHE_OK;
    HPDF_BYTE chunk[65536];

    CHECK_HPDF(c, HPDF_SaveToStream(c->pdf), "writing the PDF");
    CHECK_HPDF(c, HPDF_ResetStream(c->pdf), "writing the PDF");
    for (;;) {
        HPDF_UINT32 n = sizeof chunk;
        HPDF_STATUS st = HPDF_ReadFromStream(c->pdf, chunk, &n);

        if (n && !buf_add(out, chunk, n))
            return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        if (st == HPDF_STREAM_EOF)
            break;
        if (st != HPDF_OK) {
            c->error = st;
            return fail(c, err, "reading the PDF back");
        }
    }
    c->error = 0;   /* the handler saw HPDF_STREAM_EOF */
done:
    return rc;
}

/*
 * What every page has alike is said once, in the page tree they inherit it
 * from: their resources (one dictionary for the whole PDF) and their size,
 * when they are all of one size.
 */
static attache_status inherit_page_attributes(struct ctx *c, attache_error *err)
{
    HPDF_List pages = c->pdf->page_list;
    HPDF_Box box = {0, 0, c->page_w, c->page_h};
    HPDF_Dict res = resources(c);
    HPDF_UINT i;

    if (!res || HPDF_Dict_Add(c->pdf->root_pages, "Resources", res) != HPDF_OK || c->error)
        return fail(c, err, "writing the page tree");
    if (!c->npages || c->mixed_sizes)
        return ATTACHE_OK;
    if (HPDF_Dict_Add(c->pdf->root_pages, "MediaBox", HPDF_Box_Array_New(c->pdf->mmgr, box)) !=
        HPDF_OK || c->error)
        return fail(c, err, "writing the page tree");
    for (i = 0; i < pages->count; i++)
        if (HPDF_Dict_RemoveElement(HPDF_List_ItemAt(pages, i), "MediaBox") != HPDF_OK)
            return fail(c, err, "writing the page tree");
    return ATTACHE_OK;
}

/* ---- one document ------------------------------------------------------ */

attache_status pdf_render(const struct document *doc, const struct pdf_settings *s,
                          struct buf *out, attache_error *err)
{
    struct ctx c;
    attache_status rc;
    size_t i;

    rc = ctx_init(&c, s, err);
    if (rc != ATTACHE_OK)
        goto done;
    rc = collect_chars(&c, doc, err);
    for (i = 0; rc == ATTACHE_OK && i < c.nfonts; i++)
        rc = embed_font(&c, &c.fonts[i], err);
    for (i = 0; rc == ATTACHE_OK && i < doc->npages; i++) {
        HPDF_Page pg;
        rc = draw_page(&c, &doc->pages[i], &pg, err);
    }
    if (rc == ATTACHE_OK)
        rc = set_info(&c, doc, s, err);
    if (rc == ATTACHE_OK)
        rc = inherit_page_attributes(&c, err);
    if (rc == ATTACHE_OK)
        rc = save(&c, out, err);
done:
    ctx_release(&c);
    return rc;
}

/* ---- print files ------------------------------------------------------- */

struct pdf_book {
    struct ctx c;
    struct pdf_settings settings;
    HPDF_Outline root;
};

struct pdf_book *pdf_book_new(const struct pdf_settings *s, attache_error *err)
{
    struct pdf_book *b = calloc(1, sizeof *b);

    if (!b) {
        err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        return NULL;
    }
    b->settings = *s;
    if (ctx_init(&b->c, s, err) != ATTACHE_OK) {
        pdf_book_free(b);
        return NULL;
    }
    HPDF_SetPageMode(b->c.pdf, HPDF_PAGE_MODE_USE_OUTLINE);
    b->c.share_layers = true;
    return b;
}

/* Every font a document uses, embedded whole (once) in the book. */
static attache_status book_fonts(struct pdf_book *b, const struct document *doc,
                                 attache_error *err)
{
    size_t p, k;

    for (p = 0; p < doc->npages; p++)
        for (k = 0; k < doc->pages[p].nops; k++) {
            const struct op *op = &doc->pages[p].ops[k];
            struct emb_font *f;
            attache_status rc;

            if (op->kind != OP_TEXT || font_of(&b->c, op->u.text.face))
                continue;
            f = font_slot(&b->c, op->u.text.face);
            if (!f)
                return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
            f->all = true;
            f->n = font_unicodes(f->face, &f->cps);
            f->used = calloc(f->n ? f->n : 1, sizeof *f->used);
            if (!f->cps || !f->used)
                return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
            f->cap = f->n;
            rc = embed_font(&b->c, f, err);
            if (rc != ATTACHE_OK)
                return rc;
        }
    return ATTACHE_OK;
}

attache_status pdf_book_add(struct pdf_book *b, const struct document *doc, attache_error *err)
{
    struct ctx *c = &b->c;
    attache_status rc = book_fonts(b, doc, err);
    HPDF_Page first = NULL;
    size_t i;

    for (i = 0; rc == ATTACHE_OK && i < doc->npages; i++) {
        HPDF_Page pg;
        rc = draw_page(c, &doc->pages[i], &pg, err);
        if (!first)
            first = pg;
    }
    if (rc == ATTACHE_OK && first && doc->bookmark) {
        /* an outline item with its destination written in it, [page /Fit],
           not as an object of its own, and without libharu's /Type (outline
           items have none): a third of the bytes per bookmark */
        HPDF_Outline o = HPDF_CreateOutline(c->pdf, NULL, "-", NULL);
        HPDF_Array d = HPDF_Array_New(c->pdf->mmgr);
        void *title = text_string(c, doc->bookmark);

        if (!o || !d || !title || c->error)
            return fail(c, err, "adding a bookmark");
        CHECK_HPDF(c, HPDF_Dict_Add(o, "Title", title), "adding a bookmark");
        CHECK_HPDF(c, HPDF_Array_Add(d, first), "adding a bookmark");
        CHECK_HPDF(c, HPDF_Array_AddName(d, "Fit"), "adding a bookmark");
        CHECK_HPDF(c, HPDF_Dict_Add(o, "Dest", d), "adding a bookmark");
        CHECK_HPDF(c, HPDF_Dict_RemoveElement(o, "Type"), "adding a bookmark");
    }
done:
    return rc;
}

/*
 * Each face's text was numbered by the face's own glyphs: now that every
 * page is drawn, embed only the glyphs the pages used, at the same numbers,
 * with their widths and ToUnicode map.
 */
static attache_status book_subset_fonts(struct ctx *c, attache_error *err)
{
    size_t i, k;

    for (i = 0; i < c->nfonts; i++) {
        struct emb_font *f = &c->fonts[i];
        uint32_t *cps;
        size_t n = 0, size = 0;
        unsigned char *data = NULL;
        attache_status rc;

        if (!f->all || !f->used || !f->program)
            continue;
        cps = malloc((f->n ? f->n : 1) * sizeof *cps);
        if (!cps)
            return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        for (k = 0; k < f->n; k++)
            if (f->used[k])
                cps[n++] = f->cps[k];
        rc = font_subset(f->face, cps, n, true, NULL, &data, &size, err);
        free(cps);
        if (rc != ATTACHE_OK)
            return rc;
        if (!complete_font(c, f, data, size)) {
            free(data);
            return fail(c, err, "embedding a font");
        }
        free(data);
    }
    return ATTACHE_OK;
}


attache_status pdf_book_finish(struct pdf_book *b, struct buf *out, attache_error *err)
{
    attache_status rc = set_info(&b->c, NULL, &b->settings, err);

    if (rc == ATTACHE_OK)
        rc = inherit_page_attributes(&b->c, err);
    if (rc == ATTACHE_OK)
        rc = book_subset_fonts(&b->c, err);
    if (rc == ATTACHE_OK)
        rc = save(&b->c, out, err);
    return rc;
}

void pdf_book_free(struct pdf_book *b)
{
    if (!b)
        return;
    ctx_release(&b->c);
    free(b);
}

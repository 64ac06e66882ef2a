/*
 * pdf_font.c: the PDF writer's fonts.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_private.h"
#include "text.h"

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
attache_status pdf_fonts_collect(struct ctx *c, const struct document *doc, attache_error *err)
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

/* Put a font program, deflated, into its FontFile2 stream (replacing any). */
static bool set_program(struct ctx *c, HPDF_Dict file, const unsigned char *program,
                        size_t size)
{
    unsigned char *z = NULL;
    size_t zn = 0;
    bool ok;

    if (!pdf_deflate_bytes(c, program, size, &z, &zn))
        return false;
    HPDF_MemStream_FreeData(file->stream);
    ok = HPDF_Stream_Write(file->stream, z, (HPDF_UINT)zn) == HPDF_OK &&
         HPDF_Dict_AddNumber(file, "Length1", (HPDF_UINT32)size) == HPDF_OK;
    free(z);
    file->filter = HPDF_STREAM_FILTER_NONE;
    file->write_fn = pdf_name_flate;
    return ok && !c->error;
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
         pdf_deflate_stream(c, f->tounicode);
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
attache_status pdf_font_embed(struct ctx *c, struct emb_font *f, attache_error *err)
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
        rc = pdf_fail(c, err, "embedding a font");
    free(data);
    if (rc != ATTACHE_OK)
        return rc;
    snprintf(f->res, sizeof f->res, "F%zu", (size_t)(f - c->fonts) + 1);
    if (!pdf_add_resource(c, "Font", f->res, f->font))
        return pdf_fail(c, err, "embedding a font");
    return ATTACHE_OK;
}

struct emb_font *pdf_font_of(struct ctx *c, const struct font_face *face)
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
bool pdf_font_encode(struct ctx *c, struct emb_font *f, const char *s, uint32_t *missing)
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

/* ---- fonts of print files ------------------------------------------- */

/* Every font a document uses, embedded whole (once) in the book. */
attache_status pdf_fonts_embed_whole(struct ctx *c, const struct document *doc,
                                     attache_error *err)
{
    size_t p, k;

    for (p = 0; p < doc->npages; p++)
        for (k = 0; k < doc->pages[p].nops; k++) {
            const struct op *op = &doc->pages[p].ops[k];
            struct emb_font *f;
            attache_status rc;

            if (op->kind != OP_TEXT || pdf_font_of(c, op->u.text.face))
                continue;
            f = font_slot(c, op->u.text.face);
            if (!f)
                return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
            f->all = true;
            f->n = font_unicodes(f->face, &f->cps);
            f->used = calloc(f->n ? f->n : 1, sizeof *f->used);
            if (!f->cps || !f->used)
                return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
            f->cap = f->n;
            rc = pdf_font_embed(c, f, err);
            if (rc != ATTACHE_OK)
                return rc;
        }
    return ATTACHE_OK;
}

/*
 * Each face's text was numbered by the face's own glyphs: now that every
 * page is drawn, embed only the glyphs the pages used, at the same numbers,
 * with their widths and ToUnicode map.
 */
attache_status pdf_fonts_subset_drawn(struct ctx *c, attache_error *err)
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
            return pdf_fail(c, err, "embedding a font");
        }
        free(data);
    }
    return ATTACHE_OK;
}

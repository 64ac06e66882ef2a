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
 * Text is shown as the glyphs shaping chose, in two-byte codes (the CIDs),
 * with a ToUnicode map so that it can be searched and copied: each
 * cluster's text maps to its first glyph, and text the map cannot give back
 * (a Khmer vowel drawn before its consonant, a conjunct of several glyphs,
 * a glyph that stands for other text elsewhere) carries its /ActualText.
 * A document's font holds only its glyphs, renumbered; a print file's keeps
 * the face's glyph numbers, so that it can number text before it knows
 * every glyph its pages will draw.
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
    f = &c->fonts[c->nfonts];
    memset(f, 0, sizeof *f);
    f->face = face;
    f->nglyphs = font_glyph_count(face);
    f->glyph = pdf_cache_take_glyphs(c->cache, face, f->nglyphs);
    if (!f->glyph)
        return NULL;
    c->nfonts++;
    return f;
}

/*
 * The glyphs [i, *end) of one cluster of `t`, and its text [*from, *to).
 * Shaping keeps a cluster's glyphs together and, left to right, in the
 * order of their text.
 */
static void cluster_at(const struct op_text *t, size_t i, size_t *end, size_t *from, size_t *to)
{
    size_t j = i + 1;

    while (j < t->nglyphs && t->glyphs[j].cluster == t->glyphs[i].cluster)
        j++;
    *end = j;
    *from = t->glyphs[i].cluster;
    *to = j < t->nglyphs ? t->glyphs[j].cluster : strlen(t->text);
}

/*
 * Note that `t`'s glyphs are drawn, and give each cluster's first glyph the
 * cluster's text for the ToUnicode map, unless it has some already: first
 * come, first kept.  False when out of memory.
 */
bool pdf_font_note(struct emb_font *f, const struct op_text *t)
{
    size_t i = 0, end, from, to, k;

    while (i < t->nglyphs) {
        struct emb_glyph *g;

        cluster_at(t, i, &end, &from, &to);
        for (k = i; k < end; k++) {
            unsigned gid = t->glyphs[k].gid;

            if (gid >= f->nglyphs || f->glyph[gid].used)
                continue;
            if (f->ndrawn == f->drawn_cap) {
                size_t cap = f->drawn_cap ? 2 * f->drawn_cap : 64;
                unsigned *grown = realloc(f->drawn, cap * sizeof *grown);

                if (!grown)
                    return false;
                f->drawn = grown;
                f->drawn_cap = cap;
            }
            f->drawn[f->ndrawn++] = gid;
            f->glyph[gid].used = true;
            f->glyph[gid].width = font_glyph_width(f->face, gid);
        }
        g = t->glyphs[i].gid < f->nglyphs ? &f->glyph[t->glyphs[i].gid] : NULL;
        if (g && !g->text_len && to > from && to - from < 0xFFFF) {
            g->text = (uint32_t)f->texts.len;
            g->text_len = (uint16_t)(to - from);
            if (!buf_add(&f->texts, t->text + from, to - from))
                return false;
        }
        i = end;
    }
    return true;
}

/*
 * True when the ToUnicode map alone gives back `t`'s text: every cluster is
 * one glyph, which maps to the cluster's text.  Otherwise (a conjunct drawn
 * by several glyphs, a reordered vowel, a glyph that another cluster mapped
 * first) the text is written with it as /ActualText.
 */
bool pdf_font_maps_back(const struct emb_font *f, const struct op_text *t)
{
    size_t i = 0, end, from, to;

    while (i < t->nglyphs) {
        const struct emb_glyph *g;

        cluster_at(t, i, &end, &from, &to);
        if (end != i + 1 || t->glyphs[i].gid >= f->nglyphs)
            return false;
        g = &f->glyph[t->glyphs[i].gid];
        if (g->text_len != to - from || memcmp(f->texts.data + g->text, t->text + from, to - from))
            return false;
        i = end;
    }
    return true;
}

/* Collect, per face, the glyphs a document draws and their text. */
attache_status pdf_fonts_collect(struct ctx *c, const struct document *doc, attache_error *err)
{
    size_t p, k;

    for (p = 0; p < doc->npages; p++)
        for (k = 0; k < doc->pages[p].nops; k++) {
            const struct op_text *t = &doc->pages[p].ops[k].u.text;
            struct emb_font *f;

            if (doc->pages[p].ops[k].kind != OP_TEXT)
                continue;
            f = font_slot(c, t->face);
            if (!f || (!f->all && !pdf_font_note(f, t)))
                return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        }
    return ATTACHE_OK;
}

/* Put a font program, deflated, into its FontFile2 stream (replacing any). */
static bool set_program(struct ctx *c, HPDF_Dict file, const unsigned char *program,
                        size_t size)
{
    return pdf_set_recurring(c, file, program, size) &&
           HPDF_Dict_AddNumber(file, "Length1", (HPDF_UINT32)size) == HPDF_OK && !c->error;
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
    for (i = 0; !f->all && i < (int)f->ndrawn; i++) {
        unsigned char gid[2] = {(unsigned char)(f->drawn[i] >> 8), (unsigned char)f->drawn[i]};
        crypto_generichash_update(&st, gid, 2);
    }
    crypto_generichash_final(&st, h, sizeof h);
    for (i = 0; i < 6; i++)
        tag[i] = (char)('A' + h[i] % 26);
    tag[6] = '\0';
}

/* /W [c [w w ...] c [w ...]]: a group per run of consecutive CIDs, the CIDFont's last entry. */
static bool write_widths(struct ctx *c, struct emb_font *f)
{
    unsigned last = 0;
    size_t i;
    bool ok = pdf_raw_key(f->cidfont, "W") && pdf_raw_text(f->cidfont, "[ ");

    /* the glyphs are numbered in the order of the face's: CIDs rise with gids */
    for (i = 0; ok && i < f->ndrawn; i++) {
        unsigned gid = f->drawn[i], cid = f->glyph[gid].cid;
        char num[40], *p = num;

        if (i == 0 || cid != last + 1u) {
            if (i)
                p = stpcpy(p, "] ");
            p = stpcpy(pdf_put_uint(p, cid, ' '), "[ ");
        }
        *pdf_put_int(p, f->glyph[gid].width, ' ') = '\0';
        ok = pdf_raw_text(f->cidfont, num);
        last = cid;
    }
    ok = ok && pdf_raw_text(f->cidfont, f->ndrawn ? "] ]\012" : "]\012");
    return ok && !c->error;
}

/* UTF-8 text as the hex digits of its UTF-16 code units. */
void pdf_put_utf16_text(struct buf *b, const char *s, size_t len)
{
    const char *end = s + len;

    while (s < end) {
        uint16_t u[2] = {0, 0};
        char code[8];
        int n = text_utf16(text_next(&s, end), u);

        pdf_hex4(code, u[0]);
        pdf_hex4(code + 4, u[1]);
        buf_add(b, code, 4 * (size_t)n);
    }
}

/* The glyph's text, when it is one character; 0 otherwise. */
static uint32_t single_char(const struct emb_font *f, const struct emb_glyph *g)
{
    const char *s = f->texts.data + g->text, *end = s + g->text_len;
    uint32_t cp;

    if (!g->text_len)
        return 0;
    cp = text_next(&s, end);
    return s == end ? cp : 0;
}

/*
 * The ToUnicode map, CID to text: a range for each run of consecutive CIDs
 * drawing consecutive characters (Latin mostly does: a subset numbers its
 * glyphs in the order of the face, mostly the order of Unicode), and an
 * entry of its own for a glyph that stands for a whole cluster.
 */
/* "<first> <last> <", CIDs as four hex digits (written for every range of every font). */
static void put_code_range(struct buf *b, unsigned first, unsigned last)
{
    char s[16] = "<0000> <0000> <";

    pdf_hex4(s + 1, first);
    pdf_hex4(s + 8, last);
    buf_add(b, s, 15);
}

/* "n beginbfrange", the n ranges in `entries` (emptied), "endbfrange". */
static void put_ranges(struct buf *m, struct buf *entries, size_t n)
{
    char head[24];

    *pdf_put_uint(head, (unsigned)n, ' ') = '\0';
    buf_adds(m, head);
    buf_adds(m, "beginbfrange\n");
    buf_add(m, entries->data, entries->len);
    buf_adds(m, "endbfrange\n");
    buf_reset(entries);
}

static bool write_tounicode(struct ctx *c, struct emb_font *f)
{
    struct buf m = {0}, entries = {0};
    size_t count = 0, i = 0;
    bool ok;

    buf_adds(&m, "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
                 "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
                 "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
                 "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n");
    while (i < f->ndrawn) {
        unsigned gid = f->drawn[i], n = 1;
        const struct emb_glyph *g = &f->glyph[gid];
        uint32_t cp = single_char(f, g);

        if (!g->text_len) {
            i++;
            continue;
        }
        /* a range changes only the last byte of its codes and of its text */
        while (cp && cp < 0x10000 && i + n < f->ndrawn && f->drawn[i + n] == gid + n &&
               f->glyph[gid + n].cid == g->cid + n && single_char(f, &f->glyph[gid + n]) == cp + n &&
               ((g->cid + n) & 0xFF) != 0 && ((cp + n) & 0xFF) != 0 && cp + n < 0x10000)
            n++;
        put_code_range(&entries, g->cid, g->cid + n - 1);
        pdf_put_utf16_text(&entries, f->texts.data + g->text, g->text_len);
        buf_adds(&entries, ">\n");
        if (++count == 100) {
            put_ranges(&m, &entries, count);
            count = 0;
        }
        i += n;
    }
    if (count)
        put_ranges(&m, &entries, count);
    buf_adds(&m, "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    ok = !m.failed && !entries.failed &&
         pdf_set_recurring(c, f->tounicode, (const unsigned char *)m.data, m.len);
    buf_release(&m);
    buf_release(&entries);
    return ok;
}

/* The program, widths and ToUnicode map, for the glyphs the font holds. */
static bool complete_font(struct ctx *c, struct emb_font *f, const unsigned char *program,
                          size_t size)
{
    return set_program(c, f->program, program, size) && write_widths(c, f) &&
           write_tounicode(c, f);
}

static int by_number(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

    return x < y ? -1 : x > y;
}

/*
 * The glyphs the pages drew put in the face's order (f->drawn sorted): the
 * subset, the widths, the ToUnicode map and the subset's tag are made from
 * them.
 */
static void sort_drawn(struct emb_font *f)
{
    qsort(f->drawn, f->ndrawn, sizeof *f->drawn, by_number);
}

static bool write_descriptor(struct ctx *c, struct emb_font *f, const char *name,
                             HPDF_Dict *out)
{
    const struct font_metrics *m = font_pdf_metrics(f->face);
    HPDF_Dict d = pdf_new_raw_dict(c);
    char bbox[80];

    if (!d || !(f->program = pdf_new_stream(c)))
        return false;
    snprintf(bbox, sizeof bbox, "[ %d %d %d %d ]\012", m->bbox[0], m->bbox[1], m->bbox[2],
             m->bbox[3]);
    *out = d;
    /* nonsymbolic, italic, bold */
    return pdf_raw_name(d, "Type", "FontDescriptor") && pdf_raw_name(d, "FontName", name) &&
           pdf_raw_int(d, "Flags", 32 | (m->italic ? 64 : 0) | (m->bold ? 1 << 18 : 0)) &&
           pdf_raw_key(d, "FontBBox") && pdf_raw_text(d, bbox) &&
           pdf_raw_int(d, "ItalicAngle", (int)lround(m->italic_angle)) &&
           pdf_raw_int(d, "Ascent", m->ascent) && pdf_raw_int(d, "Descent", m->descent) &&
           pdf_raw_int(d, "CapHeight", m->cap_height) && pdf_raw_int(d, "XHeight", m->x_height) &&
           pdf_raw_int(d, "StemV", m->stem_v) && pdf_raw_ref(d, "FontFile2", f->program) &&
           !c->error;
}

/*
 * The CIDSystemInfo of every CIDFont of the document (Adobe-Identity-0),
 * one object they all refer to: a certificate with four faces is about a
 * hundred bytes smaller than with a copy in each.
 */
static HPDF_Dict cid_system_info(struct ctx *c)
{
    HPDF_Dict info = c->cid_info;

    if (info)
        return info;
    info = pdf_new_raw_dict(c);
    return info && pdf_raw_key(info, "Registry") && pdf_raw_text(info, "(Adobe)\012") &&
                   pdf_raw_key(info, "Ordering") && pdf_raw_text(info, "(Identity)\012") &&
                   pdf_raw_int(info, "Supplement", 0) && !c->error
               ? (c->cid_info = info)
               : NULL;
}

/*
 * The font's objects: Type 0 font, CIDFont, descriptor, program and maps,
 * the dictionaries written as text (pdf_new_raw_dict); the CIDFont's
 * widths follow when the program is complete (write_widths).
 */
static bool write_font_objects(struct ctx *c, struct emb_font *f)
{
    char tag[8], name[160];
    HPDF_Dict info = cid_system_info(c), descriptor = NULL;

    font_tag(f, tag);
    snprintf(name, sizeof name, "%s+%s", tag, font_face_name(f->face));
    if (!info || !(f->font = pdf_new_raw_dict(c)) || !(f->cidfont = pdf_new_raw_dict(c)) ||
        !(f->tounicode = pdf_new_stream(c)) || !write_descriptor(c, f, name, &descriptor))
        return false;
    return pdf_raw_name(f->font, "Type", "Font") && pdf_raw_name(f->font, "Subtype", "Type0") &&
           pdf_raw_name(f->font, "BaseFont", name) &&
           pdf_raw_name(f->font, "Encoding", "Identity-H") &&
           pdf_raw_key(f->font, "DescendantFonts") && pdf_raw_text(f->font, "[ ") &&
           pdf_raw_ref(f->font, NULL, f->cidfont) && pdf_raw_text(f->font, " ]\012") &&
           pdf_raw_ref(f->font, "ToUnicode", f->tounicode) &&
           pdf_raw_name(f->cidfont, "Type", "Font") &&
           pdf_raw_name(f->cidfont, "Subtype", "CIDFontType2") &&
           pdf_raw_name(f->cidfont, "BaseFont", name) &&
           pdf_raw_ref(f->cidfont, "CIDSystemInfo", info) &&
           pdf_raw_ref(f->cidfont, "FontDescriptor", descriptor) &&
           pdf_raw_name(f->cidfont, "CIDToGIDMap", "Identity") && !c->error;
}

/*
 * Embed the face: a document's font now, cut down to the glyphs its pages
 * draw; a print file's (f->all) numbered by the face's glyphs and completed
 * when the file is finished.
 */
attache_status pdf_font_embed(struct ctx *c, struct emb_font *f, attache_error *err)
{
    unsigned char *data = NULL;
    unsigned *cids = NULL;
    size_t size = 0, k;
    attache_status rc = ATTACHE_OK;

    if (f->all) {
        for (k = 0; k < f->nglyphs; k++)
            f->glyph[k].cid = (uint16_t)k;
    } else {
        sort_drawn(f);
        cids = malloc((f->ndrawn ? f->ndrawn : 1) * sizeof *cids);
        if (!cids) {
            rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
            goto done;
        }
        rc = pdf_cache_subset(c->cache, f->face, f->drawn, f->ndrawn, false, cids, &data, &size,
                              err);
        if (rc != ATTACHE_OK)
            goto done;
        for (k = 0; k < f->ndrawn; k++)
            f->glyph[f->drawn[k]].cid = (uint16_t)cids[k];
    }
    if (!write_font_objects(c, f) || (!f->all && !complete_font(c, f, data, size))) {
        rc = pdf_fail(c, err, "embedding a font");
        goto done;
    }
    snprintf(f->res, sizeof f->res, "F%zu", (size_t)(f - c->fonts) + 1);
    if (!pdf_add_resource(c, "Font", f->res, f->font))
        rc = pdf_fail(c, err, "embedding a font");
done:
    free(data);
    free(cids);
    return rc;
}

struct emb_font *pdf_font_of(struct ctx *c, const struct font_face *face)
{
    size_t i;

    for (i = 0; i < c->nfonts; i++)
        if (c->fonts[i].face == face)
            return &c->fonts[i];
    return NULL;
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
    size_t i;

    for (i = 0; i < c->nfonts; i++) {
        struct emb_font *f = &c->fonts[i];
        size_t size = 0;
        unsigned char *data = NULL;
        attache_status rc;

        if (!f->all || !f->program)
            continue;
        sort_drawn(f);
        rc = pdf_cache_subset(c->cache, f->face, f->drawn, f->ndrawn, true, NULL, &data, &size,
                              err);
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

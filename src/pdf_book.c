/*
 * pdf_book.c: print files, every document of a run in one PDF, and what
 * their pages have in common drawn once.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_private.h"
#include "text.h"

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

bool pdf_op_box(const struct op *op, float b[4])
{
    b[0] = b[1] = INFINITY;
    b[2] = b[3] = -INFINITY;
    switch (op->kind) {
    case OP_TEXT: {
        const struct op_text *t = &op->u.text;
        double w = 0, units = t->size / (double)font_upem(t->face);
        float slack = t->size * 0.25f;    /* overhangs: italics, accents */
        size_t i;

        for (i = 0; i < t->nglyphs; i++) {
            const struct shaped_glyph *g = &t->glyphs[i];
            w += g->x_advance * units + t->tracking;
            slack = fmaxf(slack, t->size * 0.25f + (float)(abs(g->y_offset) * units) +
                                     (float)(abs(g->x_offset) * units));
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

bool pdf_boxes_meet(const float a[4], const float b[4])
{
    return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

static bool overlap(const struct span *a, const struct span *b)
{
    return !a->boxed || !b->boxed || pdf_boxes_meet(a->box, b->box);
}

/*
 * Whether the QR code `op`, the page's operation k, may lead the page's own
 * content stream (pdf_lead_qr): none of the page's own operations before
 * it can paint where it does.  Sets its box.
 */
static bool qr_span_may_lead(struct span *sp, size_t k, const struct op *op)
{
    size_t j;

    sp[k].boxed = pdf_op_box(op, sp[k].box);
    if (!sp[k].boxed)
        return false;
    for (j = 0; j < k; j++)
        if (!sp[j].shared && overlap(&sp[j], &sp[k]))
            return false;
    return true;
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
        !pdf_deflate_stream(c, stream))
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
attache_status pdf_draw_shared(struct ctx *c, const struct page *page, HPDF_Page pg,
                               attache_error *err)
{
    struct text_state ts;
    struct span *sp;
    size_t k, j, own = 0, origin = 0, lead = 0;
    attache_status rc;
    unsigned char key[crypto_shorthash_BYTES];
    HPDF_Array contents = NULL;

    while (lead < page->nops && page->ops[lead].kind == OP_PATH)
        lead++;
    if (page->nops > c->spans_cap) {
        sp = realloc(c->spans, page->nops * sizeof *sp);
        if (!sp)
            return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        c->spans = sp;
        c->spans_cap = page->nops;
    }
    sp = c->spans;
    for (k = 0; k < page->nops; k++) {
        const struct op *op = &page->ops[k];
        struct span *s = &sp[k];
        const struct seen *e;

        s->start = c->ops.len;
        if (op->kind == OP_QR && k >= lead && qr_span_may_lead(sp, k, op)) {
            /* first in the page's own stream (key 0: never shared, never seen) */
            s->len = 0;
            s->key = 0;
            s->shared = false;
            s->origin = 0;
            if (!pdf_lead_qr(c, &op->u.qr))
                return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
            continue;
        }
        pdf_text_state_forget(&ts);
        if ((rc = pdf_write_op(c, &ts, op, err)) != ATTACHE_OK)
            return rc;
        pdf_end_text(c, &ts);
        s->len = c->ops.len - s->start;
        if (c->ops.failed)
            return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        crypto_shorthash(key, (const unsigned char *)c->ops.data + s->start, s->len,
                         c->shorthash_key);
        memcpy(&s->key, key, sizeof s->key);
        s->key |= 1;            /* never 0, the empty slot */
        s->boxed = pdf_op_box(op, s->box);
        if (k < lead) {
            /* the background, drawn first: shared from the first page on */
            s->shared = true;
            s->origin = (size_t)-1;
            continue;
        }
        e = seen(c, s->key);
        s->shared = e != NULL;
        s->origin = e ? e->page : 0;
        for (j = 0; j < k && s->shared; j++)
            if (!sp[j].shared && overlap(&sp[j], s))
                s->shared = false;
    }
    buf_reset(&c->shared);
    for (k = 0; k < page->nops; k++) {
        if (!sp[k].shared) {
            if (sp[k].len)
                memmove(c->ops.data + own, c->ops.data + sp[k].start, sp[k].len);
            own += sp[k].len;
            continue;
        }
        if (!contents && !(contents = HPDF_Array_New(c->pdf->mmgr)))
            return pdf_fail(c, err, "sharing what pages have in common");
        if (c->shared.len && sp[k].origin != origin && !add_layer(c, contents))
            return pdf_fail(c, err, "sharing what pages have in common");
        origin = sp[k].origin;
        /* the own operations before it were moved down already: its bytes are intact */
        buf_add(&c->shared, c->ops.data + sp[k].start, sp[k].len);
    }
    if (c->shared.len && !add_layer(c, contents))
        return pdf_fail(c, err, "sharing what pages have in common");
    buf_truncate(&c->ops, own);
    for (k = 0; k < page->nops; k++)
        if (sp[k].key && !see(c, sp[k].key, c->npages))
            return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    if (c->shared.failed)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    if (contents && (HPDF_Array_Add(contents, ((HPDF_PageAttr)pg->attr)->contents) != HPDF_OK ||
                     HPDF_Dict_Add(pg, "Contents", contents) != HPDF_OK || c->error))
        return pdf_fail(c, err, "sharing what pages have in common");
    return ATTACHE_OK;
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
    if (pdf_ctx_init(&b->c, s, err) != ATTACHE_OK) {
        pdf_book_free(b);
        return NULL;
    }
    HPDF_SetPageMode(b->c.pdf, HPDF_PAGE_MODE_USE_OUTLINE);
    b->c.share_layers = true;
    return b;
}

attache_status pdf_book_add(struct pdf_book *b, const struct document *doc, attache_error *err)
{
    struct ctx *c = &b->c;
    attache_status rc = pdf_fonts_embed_whole(&b->c, doc, err);
    HPDF_Page first = NULL;
    size_t i;

    for (i = 0; rc == ATTACHE_OK && i < doc->npages; i++) {
        HPDF_Page pg;
        rc = pdf_draw_page(c, &doc->pages[i], &pg, err);
        if (!first)
            first = pg;
    }
    if (rc == ATTACHE_OK && doc->token)
        rc = pdf_add_token(c, doc->token, err);
    if (rc == ATTACHE_OK && first && doc->bookmark) {
        /* an outline item with its destination written in it, [page /Fit],
           not as an object of its own, and without libharu's /Type (outline
           items have none): a third of the bytes per bookmark */
        HPDF_Outline o = HPDF_CreateOutline(c->pdf, NULL, "-", NULL);
        HPDF_Array d = HPDF_Array_New(c->pdf->mmgr);
        void *title = pdf_text_string(c, doc->bookmark);

        if (!o || !d || !title || c->error)
            return pdf_fail(c, err, "adding a bookmark");
        CHECK_HPDF(c, HPDF_Dict_Add(o, "Title", title), "adding a bookmark");
        CHECK_HPDF(c, HPDF_Array_Add(d, first), "adding a bookmark");
        CHECK_HPDF(c, HPDF_Array_AddName(d, "Fit"), "adding a bookmark");
        CHECK_HPDF(c, HPDF_Dict_Add(o, "Dest", d), "adding a bookmark");
        CHECK_HPDF(c, HPDF_Dict_RemoveElement(o, "Type"), "adding a bookmark");
    }
done:
    return rc;
}

attache_status pdf_book_finish(struct pdf_book *b, struct buf *out, attache_error *err)
{
    attache_status rc = pdf_set_info(&b->c, NULL, &b->settings, err);

    if (rc == ATTACHE_OK)
        rc = pdf_inherit_page_attributes(&b->c, err);
    if (rc == ATTACHE_OK)
        rc = pdf_fonts_subset_drawn(&b->c, err);
    if (rc == ATTACHE_OK)
        rc = pdf_save(&b->c, out, err);
    return rc;
}

void pdf_book_free(struct pdf_book *b)
{
    if (!b)
        return;
    pdf_ctx_release(&b->c);
    free(b);
}

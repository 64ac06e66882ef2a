/*
 * compose.c: templates evaluated against an officer and laid out in pages.
 *
 * Two passes.  The first evaluates the content of flows (paragraphs,
 * lists, tables) and sets it in lines and pages; fixed pages take one page
 * each.  The second, once the number of pages is known, evaluates what is
 * placed on each page: a fixed page's elements, a flow's header and
 * footer ($page, $pages).  Lines are broken at the opportunities Unicode
 * line breaking (UAX #14, libunibreak) allows.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xpathInternals.h>

#include "compose_private.h"
#include "error.h"
#include "text.h"
#include "util.h"
#include "xml.h"

#define MIN_FIT_SIZE 4.0f

/* ---- the state of one document ----------------------------------------- */

void compose_doc_error(struct ctx *x, attache_status code, const char *fmt, ...)
{
    char msg[400], clip[80];
    va_list ap;

    if (failed(x))
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    x->rc = err_set(x->err, code, x->env->data_name, x->v->officer_line, "officer '%s': %s",
                    text_clip(clip, sizeof clip, x->v->officer_id, 64), msg);
}

static const char *template_file(const struct ctx *x)
{
    return x->t->path ? x->t->path : x->t->name;
}

/* ---- XPath ------------------------------------------------------------- */

/*
 * What went wrong, in words.  libxml2 hands an XPath context's own handler
 * the error's code and expression but no message.
 */
static const char *xpath_reason(const xmlError *e)
{
    switch (e->code) {
    case XML_XPATH_INVALID_ARITY: return "wrong number of arguments";
    case XML_XPATH_UNKNOWN_FUNC_ERROR: return "unknown function";
    case XML_XPATH_INVALID_TYPE: return "an argument of the wrong type";
    case XML_XPATH_UNDEF_VARIABLE_ERROR: return "undefined variable";
    default: return "error";
    }
}

static void on_xpath_error(void *arg, xmlErrorPtr e)
{
    struct ctx *x = arg;
    char msg[200];

    if (e->code == XML_XPATH_MEMORY_ERROR) {
        oom(x);
        return;
    }
    xml_message_clean(msg, sizeof msg, e->message ? e->message : xpath_reason(e));
    if (!failed(x))
        x->rc = err_set(x->err, ATTACHE_ERR_DATA, template_file(x), 0,
                        "XPath error for officer '%s': %s", x->v->officer_id, msg);
}

/* Some of libxml2's XPath messages skip the context's handler (an unknown function's). */
static void drop_generic_error(void *ctx, const char *msg, ...)
{
}

static xmlXPathObjectPtr eval(struct ctx *x, int expr, xmlNodePtr node, unsigned line)
{
    xmlGenericErrorFunc saved;
    void *saved_ctx;
    xmlXPathObjectPtr o;

    if (failed(x) || expr < 0)
        return NULL;
    x->xp->node = node;
    /* the generic handler is per thread in libxml2: set for this call only */
    saved = xmlGenericError;
    saved_ctx = xmlGenericErrorContext;
    xmlSetGenericErrorFunc(NULL, drop_generic_error);
    o = xmlXPathCompiledEval(x->c->exprs.comp[expr], x->xp);
    xmlSetGenericErrorFunc(saved_ctx, saved);
    if (!o && !failed(x))
        x->rc = err_set(x->err, ATTACHE_ERR_DATA, template_file(x), line,
                        "the expression '%s' cannot be evaluated for officer '%s'",
                        x->t->exprs[expr], x->v->officer_id);
    else if (failed(x) && x->err->line == 0)
        x->err->line = line;
    return o;
}

static char *eval_string(struct ctx *x, int expr, xmlNodePtr node, unsigned line)
{
    xmlXPathObjectPtr o = eval(x, expr, node, line);
    xmlChar *s;
    char *out;

    if (!o)
        return NULL;
    s = xmlXPathCastToString(o);
    xmlXPathFreeObject(o);
    out = s ? arena_strdup(&x->d->arena, (const char *)s) : NULL;
    xmlFree(s);
    if (!out)
        oom(x);
    return out;
}

static bool eval_bool(struct ctx *x, int expr, xmlNodePtr node, unsigned line)
{
    xmlXPathObjectPtr o = eval(x, expr, node, line);
    bool b;

    if (!o)
        return false;
    b = xmlXPathCastToBoolean(o);
    xmlXPathFreeObject(o);
    return b;
}

/* The nodes an each= selects, copied (*n of them); NULL with *n == 0 when none. */
static xmlNodePtr *eval_nodes(struct ctx *x, int expr, xmlNodePtr node, unsigned line, int *n)
{
    xmlXPathObjectPtr o = eval(x, expr, node, line);
    xmlNodePtr *v = NULL;

    *n = 0;
    if (!o)
        return NULL;
    if (o->type != XPATH_NODESET) {
        if (!failed(x))
            x->rc = err_set(x->err, ATTACHE_ERR_DATA, template_file(x), line,
                            "each select='%s' does not select nodes", x->t->exprs[expr]);
    } else if (o->nodesetval && o->nodesetval->nodeNr > 0) {
        *n = o->nodesetval->nodeNr;
        v = arena_alloc(&x->d->arena, (size_t)*n * sizeof *v);
        if (v)
            memcpy(v, o->nodesetval->nodeTab, (size_t)*n * sizeof *v);
        else {
            *n = 0;
            oom(x);
        }
    }
    xmlXPathFreeObject(o);
    return v;
}

static void set_number(struct ctx *x, const char *name, double v)
{
    xmlXPathRegisterVariable(x->xp, BAD_CAST name, xmlXPathNewFloat(v));
}

static void set_string(struct ctx *x, const char *name, const char *v)
{
    xmlXPathRegisterVariable(x->xp, BAD_CAST name, xmlXPathNewCString(v ? v : ""));
}

/* ---- inline text into runs --------------------------------------------- */

static void add_run(struct ctx *x, struct runs *r, const char *text, const struct tstyle *st,
                    const char *origin, unsigned line)
{
    if (failed(x) || !text || !*text)
        return;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        struct run *v = arena_alloc(&x->d->arena, cap * sizeof *v);
        if (!v) {
            oom(x);
            return;
        }
        if (r->n)
            memcpy(v, r->v, r->n * sizeof *v);
        r->v = v;
        r->cap = cap;
    }
    if (st->upper) {
        char *up = text_upper(text);
        if (!up) {
            oom(x);
            return;
        }
        text = arena_strdup(&x->d->arena, up);
        free(up);
    }
    r->v[r->n].text = text;
    r->v[r->n].st = st;
    r->v[r->n].origin = origin;
    r->v[r->n].line = line;
    r->n++;
}

static void eval_inline(struct ctx *x, const struct tnode *t, const struct tstyle *st,
                        xmlNodePtr node, struct runs *r)
{
    for (; t && !failed(x); t = t->next)
        switch (t->kind) {
        case T_LIT:
            add_run(x, r, t->text, st, NULL, t->line);
            break;
        case T_EXPR:
            add_run(x, r, eval_string(x, t->expr, node, t->line), st, t->text, t->line);
            break;
        case T_BR:
            add_run(x, r, "\n", st, NULL, t->line);
            break;
        case T_B:
        case T_I:
        case T_SPAN:
            eval_inline(x, t->children, &t->style, node, r);
            break;
        case T_IF:
            if (eval_bool(x, t->expr, node, t->line))
                eval_inline(x, t->children, st, node, r);
            break;
        default:
            break;
        }
}

/* The runs as one string (for src=, titles). */
static char *runs_string(struct ctx *x, const struct runs *r)
{
    struct buf b = {0};
    char *s;
    size_t i;

    for (i = 0; i < r->n; i++)
        buf_adds(&b, r->v[i].text);
    s = arena_strdup(&x->d->arena, b.data ? b.data : "");
    buf_release(&b);
    if (!s)
        oom(x);
    return s;
}

static char *inline_string(struct ctx *x, const struct tnode *list, xmlNodePtr node)
{
    struct runs r = {0};

    eval_inline(x, list, &x->t->base, node, &r);
    return failed(x) ? NULL : runs_string(x, &r);
}

/* ---- drawing text --------------------------------------------------------- */

static float round1(float v)
{
    return roundf(v * 100) / 100;
}

/* The shaped glyphs of characters [a, b), their clusters counted from a's text. */
static bool slice_glyphs(struct ctx *x, const struct para *p, size_t a, size_t b,
                         struct op_text *t)
{
    size_t first = p->g[a].sg, end = typeset_glyphs_end(p, b - 1), k;
    struct shaped_glyph *v = arena_alloc(&x->d->arena, (end > first ? end - first : 1) * sizeof *v);

    if (!v)
        return false;
    for (k = first; k < end; k++) {
        v[k - first] = p->sg[k];
        v[k - first].cluster -= p->g[a].off;
    }
    t->glyphs = v;
    t->nglyphs = end - first;
    return true;
}

static void emit_text(struct ctx *x, size_t page, const struct para *p, size_t a, size_t b,
                      float xpos, float top_y, float baseline_y, float scale)
{
    size_t i = a;

    (void)top_y;
    while (i < b && !failed(x)) {
        const struct glyph *g0 = &p->g[i];
        size_t j = i + 1;
        float w = g0->adv;
        struct op *op;

        while (j < b && p->g[j].face == g0->face && p->g[j].st->size == g0->st->size &&
               p->g[j].st->tracking == g0->st->tracking &&
               !memcmp(&p->g[j].st->colour, &g0->st->colour, sizeof g0->st->colour)) {
            w += p->g[j].adv;
            j++;
        }
        op = page_add_op(x->d, cur_page(x, page), OP_TEXT);
        if (!op) {
            oom(x);
            return;
        }
        op->u.text.face = g0->face;
        op->u.text.size = round1(g0->st->size * scale);
        op->u.text.tracking = g0->st->tracking * g0->st->size * scale;
        op->u.text.colour = g0->st->colour;
        op->u.text.x = round1(xpos);
        op->u.text.y = round1(cur_page(x, page)->height - baseline_y);
        op->u.text.text = arena_strndup(&x->d->arena, p->text + g0->off,
                                        p->g[j - 1].off + p->g[j - 1].len - g0->off);
        if (!op->u.text.text || !slice_glyphs(x, p, i, j, &op->u.text))
            oom(x);
        xpos += w * scale;
        i = j;
    }
}

/*
 * Draw one line: `left` and `width` in points, `top` from the top of the
 * page.  Justified lines (all but the last of a paragraph) spread their
 * spaces; each word is then placed on its own.
 */
static void draw_line(struct ctx *x, size_t page, const struct para *p, const struct line *ln,
                      const struct tstyle *st, float left, float width, float top, float scale,
                      bool last)
{
    float base = top + typeset_baseline_offset(ln, st, scale);
    float lw = ln->width * scale, xpos = left;
    enum align al = st->align;

    if (ln->b <= ln->a)
        return;
    if (al == ALIGN_CENTRE)
        xpos = left + (width - lw) / 2;
    else if (al == ALIGN_RIGHT)
        xpos = left + width - lw;
    if (al == ALIGN_JUSTIFY && !last && ln->spaces && lw < width) {
        float extra = (width - lw) / (float)ln->spaces;
        size_t i = ln->a;

        while (i < ln->b) {
            size_t j = i;
            float w = 0;
            while (j < ln->b && !p->g[j].space)
                w += p->g[j++].adv;
            emit_text(x, page, p, i, j, xpos, top, base, scale);
            xpos += w * scale;
            while (j < ln->b && p->g[j].space) {
                xpos += p->g[j].adv * scale + extra;
                j++;
            }
            i = j;
        }
        return;
    }
    emit_text(x, page, p, ln->a, ln->b, xpos, top, base, scale);
}

/* ---- paths ------------------------------------------------------------- */

bool compose_seg(struct ctx *x, struct path_builder *pb, enum path_verb v, float a, float b,
                 float c, float d, float e, float f)
{
    if (pb->n == pb->cap) {
        size_t cap = pb->cap ? pb->cap * 2 : 16;
        struct path_seg *s = arena_alloc(&x->d->arena, cap * sizeof *s);
        if (!s) {
            oom(x);
            return false;
        }
        if (pb->n)
            memcpy(s, pb->segs, pb->n * sizeof *s);
        pb->segs = s;
        pb->cap = cap;
    }
    pb->segs[pb->n].verb = v;
    pb->segs[pb->n].p[0] = round1(a);
    pb->segs[pb->n].p[1] = round1(b);
    pb->segs[pb->n].p[2] = round1(c);
    pb->segs[pb->n].p[3] = round1(d);
    pb->segs[pb->n].p[4] = round1(e);
    pb->segs[pb->n].p[5] = round1(f);
    pb->n++;
    return true;
}

struct op_path *compose_add_path(struct ctx *x, size_t page, struct path_builder *pb)
{
    struct op *op = page_add_op(x->d, cur_page(x, page), OP_PATH);

    if (!op) {
        oom(x);
        return NULL;
    }
    op->u.path.segs = pb->segs;
    op->u.path.n = pb->n;
    return &op->u.path;
}

/* A rectangle in page coordinates from the top left. */
static void rect_path(struct ctx *x, struct path_builder *pb, float ph, float rx, float ry,
                      float w, float h, float radius)
{
    float y0 = ph - ry - h, k = 0.5523f * radius;

    if (radius <= 0) {
        compose_seg(x, pb, PATH_MOVE, rx, y0, 0, 0, 0, 0);
        compose_seg(x, pb, PATH_LINE, rx + w, y0, 0, 0, 0, 0);
        compose_seg(x, pb, PATH_LINE, rx + w, y0 + h, 0, 0, 0, 0);
        compose_seg(x, pb, PATH_LINE, rx, y0 + h, 0, 0, 0, 0);
        compose_seg(x, pb, PATH_CLOSE, 0, 0, 0, 0, 0, 0);
        return;
    }
    compose_seg(x, pb, PATH_MOVE, rx + radius, y0, 0, 0, 0, 0);
    compose_seg(x, pb, PATH_LINE, rx + w - radius, y0, 0, 0, 0, 0);
    compose_seg(x, pb, PATH_CURVE, rx + w - radius + k, y0, rx + w, y0 + radius - k, rx + w,
                y0 + radius);
    compose_seg(x, pb, PATH_LINE, rx + w, y0 + h - radius, 0, 0, 0, 0);
    compose_seg(x, pb, PATH_CURVE, rx + w, y0 + h - radius + k, rx + w - radius + k, y0 + h,
                rx + w - radius, y0 + h);
    compose_seg(x, pb, PATH_LINE, rx + radius, y0 + h, 0, 0, 0, 0);
    compose_seg(x, pb, PATH_CURVE, rx + radius - k, y0 + h, rx, y0 + h - radius + k, rx,
                y0 + h - radius);
    compose_seg(x, pb, PATH_LINE, rx, y0 + radius, 0, 0, 0, 0);
    compose_seg(x, pb, PATH_CURVE, rx, y0 + radius - k, rx + radius - k, y0, rx + radius, y0);
    compose_seg(x, pb, PATH_CLOSE, 0, 0, 0, 0, 0, 0);
}

void compose_stroke_rect(struct ctx *x, size_t page, float rx, float ry, float w, float h,
                         float lw, struct rgb colour)
{
    struct path_builder pb = {0};
    struct op_path *op;

    rect_path(x, &pb, cur_page(x, page)->height, rx, ry, w, h, 0);
    op = compose_add_path(x, page, &pb);
    if (op) {
        op->do_stroke = true;
        op->line_width = lw;
        op->stroke = colour;
    }
}

static void fill_rect(struct ctx *x, size_t page, float rx, float ry, float w, float h,
                      struct rgb colour)
{
    struct path_builder pb = {0};
    struct op_path *op;

    rect_path(x, &pb, cur_page(x, page)->height, rx, ry, w, h, 0);
    op = compose_add_path(x, page, &pb);
    if (op) {
        op->do_fill = true;
        op->fill = colour;
    }
}

static void hline(struct ctx *x, size_t page, float x1, float x2, float y, float lw,
                  struct rgb colour)
{
    struct path_builder pb = {0};
    struct op_path *op;
    float ph = cur_page(x, page)->height;

    compose_seg(x, &pb, PATH_MOVE, x1, ph - y, 0, 0, 0, 0);
    compose_seg(x, &pb, PATH_LINE, x2, ph - y, 0, 0, 0, 0);
    op = compose_add_path(x, page, &pb);
    if (op) {
        op->do_stroke = true;
        op->line_width = lw;
        op->stroke = colour;
    }
}


/* ---- images and QR codes ---------------------------------------------- */

/* The image a src= names, prepared for a box of bw x bh points, or NULL
 * (when it evaluates to nothing, or on error). */
static struct image *get_image(struct ctx *x, const struct tnode *t, xmlNodePtr node, float bw,
                               float bh)
{
    struct image_box box = {bw, bh, t->fit == FIT_COVER ? IMAGE_COVER
                                    : t->fit == FIT_STRETCH ? IMAGE_STRETCH : IMAGE_CONTAIN};
    char *src = inline_string(x, t->src, node);
    const struct tnode *s;
    bool from_data = false;
    struct image *img = NULL;
    char subject[120], clip[80];
    attache_error e;

    if (!src || !*src)
        return NULL;
    for (s = t->src; s; s = s->next)
        from_data |= s->kind == T_EXPR;
    snprintf(subject, sizeof subject, "officer '%s'",
             text_clip(clip, sizeof clip, x->v->officer_id, 64));
    attache_error_clear(&e);
    if (image_cache_get(x->env->images, from_data ? x->env->data_dir : x->t->dir, src, subject,
                        &box, &img, &e) != ATTACHE_OK) {
        if (!failed(x)) {
            x->rc = e.code;
            *x->err = e;
            if (!x->err->file[0])
                snprintf(x->err->file, sizeof x->err->file, "%s", x->env->data_name);
            if (!x->err->line)
                x->err->line = x->v->officer_line;
        }
        return NULL;
    }
    return img;
}

static void place_image(struct ctx *x, size_t page, struct image *img, const struct tnode *t,
                        float bx, float by, float bw, float bh)
{
    struct op *op = page_add_op(x->d, cur_page(x, page), OP_IMAGE);
    float iw = (float)img->width, ih = (float)img->height, w = bw, h = bh, s;

    if (!op) {
        image_free(img);
        oom(x);
        return;
    }
    if (t->fit == FIT_CONTAIN) {
        s = fminf(bw / iw, bh / ih);
        w = iw * s;
        h = ih * s;
    } else if (t->fit == FIT_COVER) {
        s = fmaxf(bw / iw, bh / ih);
        w = iw * s;
        h = ih * s;
        op->u.image.clip = true;
        op->u.image.cx = bx;
        op->u.image.cy = cur_page(x, page)->height - by - bh;
        op->u.image.cw = bw;
        op->u.image.ch = bh;
    }
    op->u.image.image = img;
    op->u.image.w = w;
    op->u.image.h = h;
    op->u.image.x = t->align == ALIGN_LEFT ? bx : t->align == ALIGN_RIGHT ? bx + bw - w
                                                                         : bx + (bw - w) / 2;
    op->u.image.y = cur_page(x, page)->height - by - bh + (bh - h) / 2;
}

/* A QR code with its top left at (qx, qy) from the page's top left. */
static void place_qr(struct ctx *x, size_t page, const struct tnode *t, float qx, float qy)
{
    struct op *op;

    if (!x->v->qr_width)
        return;
    /* the document owns what it draws: it may be drawn again (into a print
       file) after the caller has freed its QR code */
    if (!x->qr) {
        size_t n = (size_t)x->v->qr_width * (size_t)x->v->qr_width;
        unsigned char *copy = arena_alloc(&x->d->arena, n);

        if (!copy) {
            oom(x);
            return;
        }
        memcpy(copy, x->v->qr_modules, n);
        x->qr = copy;
    }
    op = page_add_op(x->d, cur_page(x, page), OP_QR);
    if (!op) {
        oom(x);
        return;
    }
    op->u.qr.width = x->v->qr_width;
    op->u.qr.modules = x->qr;
    op->u.qr.size = t->size;
    op->u.qr.x = qx;
    op->u.qr.y = cur_page(x, page)->height - qy - t->size;
    op->u.qr.colour = t->stroke;
    if (t->caption && x->v->document_id) {
        struct runs r = {0};
        struct para p;
        struct line ln;
        struct tstyle *st = arena_alloc(&x->d->arena, sizeof *st);

        if (!st) {
            oom(x);
            return;
        }
        *st = x->t->base;
        st->family = font_family_find(x->t->fonts, "serif");
        st->size = t->size < 25 * MM ? 5.5f : 6.5f;
        st->tracking = 0.04f;
        st->colour = (struct rgb){0.25f, 0.25f, 0.25f};
        st->align = ALIGN_CENTRE;
        st->leading = 1.2f;
        add_run(x, &r, x->v->document_id, st, "$document-id", t->line);
        if (!failed(x) && typeset_measure(x, &r, &p) && p.n) {
            ln.a = 0;
            ln.b = p.n;
            typeset_line_stats(&p, &ln);
            draw_line(x, page, &p, &ln, st, qx - 10 * MM, t->size + 20 * MM, qy + t->size + 1,
                      1, true);
        }
    }
}

/* ---- placed elements (fixed pages, headers, footers) ------------------- */

static void place_text(struct ctx *x, size_t page, const struct tnode *t, xmlNodePtr node,
                       float dy)
{
    struct runs r = {0};
    struct para p;
    struct line lines[64];
    size_t n = 0, i;
    float scale = 1, top = t->y + dy, total = 0, size0 = t->style.size;
    bool fit = t->min_size < t->style.size || t->max_lines || t->has_h;
    int max_lines = t->max_lines ? t->max_lines : 64;

    eval_inline(x, t->children, &t->style, node, &r);
    if (failed(x) || !typeset_measure(x, &r, &p) || !p.n)
        return;
    if (!t->has_w) {
        n = typeset_break_lines(&p, 1e9f, lines, 64);
    } else if (!fit) {
        n = typeset_break_lines(&p, t->w, lines, 64);
    } else {
        /* the largest size at which the text fits in as few lines as it can:
         * shrink to min-size on one line, then wrap, then shrink further */
        bool done = false;
        int want;
        float s;

        for (want = 1; want <= max_lines && !done; want++)
            for (s = size0; s >= t->min_size - 0.01f && !done; s -= 0.25f) {
                float k = s / size0;
                if (want == 2 && typeset_balance_two(&p, t->w / k, lines))
                    n = 2;
                else
                    n = typeset_break_lines(&p, t->w / k, lines, 64);
                if (n > (size_t)want || n > 64)
                    continue;
                for (total = 0, i = 0; i < n; i++)
                    total += typeset_line_height(&lines[i], &t->style, k);
                if (t->has_h && total > t->h + 0.01f)
                    continue;
                scale = k;
                done = true;
            }
        for (s = t->min_size - 0.5f; !done && s >= MIN_FIT_SIZE; s -= 0.5f) {
            float k = s / size0;
            n = typeset_break_lines(&p, t->w / k, lines, 64);
            if (n > (size_t)max_lines)
                continue;
            for (total = 0, i = 0; i < n; i++)
                total += typeset_line_height(&lines[i], &t->style, k);
            if (t->has_h && total > t->h + 0.01f)
                continue;
            scale = k;
            done = true;
        }
        if (!done) {
            char clip[80];
            compose_doc_error(x, ATTACHE_ERR_DATA,
                              "'%s' does not fit its box (template %s line %u) even at %.0fpt",
                              text_clip(clip, sizeof clip, p.text, 40), template_file(x),
                              t->line, (double)MIN_FIT_SIZE);
            return;
        }
    }
    if (n > 64)
        n = 64;
    for (total = 0, i = 0; i < n; i++)
        total += typeset_line_height(&lines[i], &t->style, scale);
    if (t->has_h && t->valign == VALIGN_MIDDLE)
        top += (t->h - total) / 2;
    else if (t->has_h && t->valign == VALIGN_BOTTOM)
        top += t->h - total;
    for (i = 0; i < n && !failed(x); i++) {
        draw_line(x, page, &p, &lines[i], &t->style, t->x, t->has_w ? t->w : lines[i].width,
                  top, scale, i + 1 == n);
        top += typeset_line_height(&lines[i], &t->style, scale);
    }
}

static void place_list(struct ctx *x, size_t page, const struct tnode *t, xmlNodePtr node,
                       float dy);

static void place_one(struct ctx *x, size_t page, const struct tnode *t, xmlNodePtr node,
                      float dy)
{
    struct path_builder pb = {0};
    struct op_path *op;
    struct image *img;
    float ph = cur_page(x, page)->height;

    switch (t->kind) {
    case T_TEXT:
        place_text(x, page, t, node, dy);
        break;
    case T_IMAGE:
        img = get_image(x, t, node, t->w, t->h);
        if (img)
            place_image(x, page, img, t, t->x, t->y + dy, t->w, t->h);
        break;
    case T_QR:
        place_qr(x, page, t, t->x, t->y + dy);
        break;
    case T_LINE:
        compose_seg(x, &pb, PATH_MOVE, t->x, ph - t->y - dy, 0, 0, 0, 0);
        compose_seg(x, &pb, PATH_LINE, t->x2, ph - t->y2 - dy, 0, 0, 0, 0);
        op = compose_add_path(x, page, &pb);
        if (op) {
            op->do_stroke = true;
            op->line_width = t->line_width;
            op->stroke = t->stroke;
            op->dash_on = t->dash_on;
            op->dash_off = t->dash_off;
        }
        break;
    case T_RECT:
        rect_path(x, &pb, ph, t->x, t->y + dy, t->w, t->h, t->radius);
        op = compose_add_path(x, page, &pb);
        if (op) {
            op->do_stroke = t->do_stroke;
            op->do_fill = t->do_fill;
            op->line_width = t->line_width;
            op->stroke = t->stroke;
            op->fill = t->fill;
            op->dash_on = t->dash_on;
            op->dash_off = t->dash_off;
        }
        break;
    case T_BORDER:
        ornament_border(x, page, t);
        break;
    case T_EACH:
    case T_IF:
        place_list(x, page, t, node, dy);
        break;
    default:
        break;
    }
}

static void place_list(struct ctx *x, size_t page, const struct tnode *t, xmlNodePtr node,
                       float dy)
{
    const struct tnode *c;

    if (t->kind == T_IF) {
        if (eval_bool(x, t->expr, node, t->line))
            for (c = t->children; c && !failed(x); c = c->next)
                place_one(x, page, c, node, dy);
    } else if (t->kind == T_EACH) {
        int n, i;
        xmlNodePtr *nodes = eval_nodes(x, t->expr, node, t->line, &n);
        for (i = 0; i < n && !failed(x); i++)
            for (c = t->children; c && !failed(x); c = c->next)
                place_one(x, page, c, nodes[i], dy + t->step * (float)i);
    }
}

static void place_all(struct ctx *x, size_t page, const struct tnode *list, xmlNodePtr node)
{
    for (; list && !failed(x); list = list->next)
        place_one(x, page, list, node, 0);
}

/* ---- flows ---------------------------------------------------------------- */

static size_t new_page(struct ctx *x, const struct tnode *section, size_t in_section)
{
    size_t idx = x->d->npages;

    if (idx == x->section_cap) {
        size_t cap = x->section_cap ? x->section_cap * 2 : 8;
        const struct tnode **ps = realloc(x->page_section, cap * sizeof *ps);
        size_t *pi = ps ? realloc(x->page_in_section, cap * sizeof *pi) : NULL;
        if (ps)
            x->page_section = ps;
        if (!ps || !pi) {
            oom(x);
            return idx;
        }
        x->page_in_section = pi;
        x->section_cap = cap;
    }
    if (!document_add_page(x->d, section->page_w, section->page_h)) {
        oom(x);
        return idx;
    }
    x->page_section[idx] = section;
    x->page_in_section[idx] = in_section;
    return idx;
}

static void flow_break(struct ctx *x)
{
    const struct tnode *f = x->flow;

    x->page = new_page(x, f, x->page_in_section[x->page] + 1);
    x->y = f->margin[0];
    x->page_empty = true;
}

static float room(const struct ctx *x)
{
    return x->bottom - x->y;
}

/* Lay out a paragraph at the cursor; `marker` (may be NULL) hangs before it. */
static void flow_para(struct ctx *x, const struct tstyle *st, const struct runs *r,
                      const char *marker, float indent, bool keep_next_room)
{
    struct para p;
    struct line *lines;
    size_t n, i;
    float width = x->width - indent - st->indent, left = x->left + indent + st->indent;
    float before = x->page_empty ? 0 : st->space_before;

    if (!typeset_measure(x, r, &p))
        return;
    n = typeset_break_lines(&p, width, NULL, 0);
    lines = arena_alloc(&x->d->arena, (n ? n : 1) * sizeof *lines);
    if (!lines) {
        oom(x);
        return;
    }
    typeset_break_lines(&p, width, lines, n);
    /* headings: keep with at least three lines of what follows */
    if (keep_next_room) {
        float need = before, more = st->size * 4;
        for (i = 0; i < n; i++)
            need += typeset_line_height(&lines[i], st, 1);
        if (need + more > room(x) && !x->page_empty)
            flow_break(x), before = 0;
    }
    x->y += before;
    for (i = 0; i < n && !failed(x); i++) {
        float h = typeset_line_height(&lines[i], st, 1);
        /* orphans and widows: never one line alone at a page's foot or head */
        bool split_bad = (i == 0 && n > 1 && 2 * h > room(x)) ||
                         (i + 2 == n && n > 3 && 2 * h > room(x) && h <= room(x));
        if ((h > room(x) || split_bad) && !x->page_empty)
            flow_break(x);
        if (i == 0 && marker) {
            struct runs mr = {0};
            struct para mp;
            add_run(x, &mr, marker, st, NULL, 0);
            if (!failed(x) && typeset_measure(x, &mr, &mp) && mp.n) {
                struct line ml = {0, mp.n, 0, 0, NULL, 0};
                struct tstyle ms = *st;
                typeset_line_stats(&mp, &ml);
                ms.align = ALIGN_LEFT;
                ml.size = lines[0].size;
                ml.face = lines[0].face;
                draw_line(x, x->page, &mp, &ml, &ms, x->left + indent - 5 * MM + st->indent,
                          5 * MM, x->y, 1, true);
            }
        }
        draw_line(x, x->page, &p, &lines[i], st, left, width, x->y, 1, i + 1 == n);
        x->y += h;
        x->page_empty = false;
    }
    x->y += st->space_after;
}

/* ---- tables ---------------------------------------------------------- */

struct cell_lay {
    struct para p;
    struct line *lines;
    size_t n;
    const struct tstyle *st;
    float x, w, h;
};

struct row_lay {
    struct cell_lay *cells;
    int ncells;
    float h;
    bool header;
};

static void column_widths(struct ctx *x, const struct tnode *t, float *w)
{
    float fixed = 0, shares = 0, left;
    int i;

    for (i = 0; i < t->ncolumns; i++)
        if (t->columns[i] >= 0)
            fixed += t->columns[i];
        else
            shares += -t->columns[i];
    left = x->width - fixed;
    for (i = 0; i < t->ncolumns; i++)
        w[i] = t->columns[i] >= 0 ? t->columns[i]
                                  : (shares > 0 && left > 0 ? left * -t->columns[i] / shares : 0);
}

static void lay_row(struct ctx *x, const struct tnode *t, const struct tnode *row, xmlNodePtr node,
                    const float *colw, struct row_lay *out)
{
    const struct tnode *c;
    int col = 0, i = 0;

    memset(out, 0, sizeof *out);
    out->header = row->header;
    for (c = row->children; c; c = c->next)
        out->ncells++;
    out->cells = arena_calloc(&x->d->arena, (size_t)(out->ncells ? out->ncells : 1),
                              sizeof *out->cells);
    if (!out->cells) {
        oom(x);
        return;
    }
    for (c = row->children; c && !failed(x); c = c->next, i++) {
        struct cell_lay *cl = &out->cells[i];
        struct runs r = {0};
        int k, span = c->span > 0 ? c->span : 1;
        float cx = x->left, cw = 0;

        for (k = 0; k < col && k < t->ncolumns; k++)
            cx += colw[k];
        for (k = col; k < col + span && k < t->ncolumns; k++)
            cw += colw[k];
        col += span;
        cl->st = &c->style;
        cl->x = cx;
        cl->w = cw;
        eval_inline(x, c->children, &c->style, node, &r);
        if (failed(x) || !typeset_measure(x, &r, &cl->p))
            return;
        cl->n = typeset_break_lines(&cl->p, cw - 2 * t->padding, NULL, 0);
        cl->lines = arena_alloc(&x->d->arena, cl->n * sizeof *cl->lines);
        if (!cl->lines) {
            oom(x);
            return;
        }
        typeset_break_lines(&cl->p, cw - 2 * t->padding, cl->lines, cl->n);
        for (k = 0; k < (int)cl->n; k++)
            cl->h += cl->p.n ? typeset_line_height(&cl->lines[k], cl->st, 1) : 0;
        if (cl->h + 2 * t->padding > out->h)
            out->h = cl->h + 2 * t->padding;
    }
    if (col > t->ncolumns)
        compose_doc_error(x, ATTACHE_ERR_DATA,
                          "a table row at template line %u has %d cells for %d columns",
                          row->line, col, t->ncolumns);
}

static void draw_row(struct ctx *x, const struct tnode *t, const struct row_lay *r, bool striped)
{
    int i;

    if (r->header && t->has_header_fill)
        fill_rect(x, x->page, x->left, x->y, x->width, r->h, t->header_fill);
    else if (striped && t->has_stripe)
        fill_rect(x, x->page, x->left, x->y, x->width, r->h, t->stripe);
    for (i = 0; i < r->ncells && !failed(x); i++) {
        const struct cell_lay *c = &r->cells[i];
        float y = x->y + t->padding;
        size_t k;

        for (k = 0; k < c->n && c->p.n; k++) {
            draw_line(x, x->page, &c->p, &c->lines[k], c->st, c->x + t->padding,
                      c->w - 2 * t->padding, y, 1, k + 1 == c->n);
            y += typeset_line_height(&c->lines[k], c->st, 1);
        }
    }
    if (t->has_rule)
        hline(x, x->page, x->left, x->left + x->width, x->y + r->h, r->header ? 0.9f : 0.35f,
              t->rule);
    x->y += r->h;
    x->page_empty = false;
}

struct row_list {
    struct row_lay *v;
    size_t n, cap;
};

static void collect_rows(struct ctx *x, const struct tnode *t, const struct tnode *list,
                         xmlNodePtr node, const float *colw, struct row_list *rows)
{
    for (; list && !failed(x); list = list->next) {
        if (list->kind == T_ROW) {
            struct row_lay *v = array_room(rows->v, rows->n, &rows->cap, sizeof *v, 16);

            if (!v) {
                oom(x);
                return;
            }
            rows->v = v;
            lay_row(x, t, list, node, colw, &rows->v[rows->n++]);
        } else if (list->kind == T_IF) {
            if (eval_bool(x, list->expr, node, list->line))
                collect_rows(x, t, list->children, node, colw, rows);
        } else if (list->kind == T_EACH) {
            int n, i;
            xmlNodePtr *nodes = eval_nodes(x, list->expr, node, list->line, &n);
            for (i = 0; i < n && !failed(x); i++)
                collect_rows(x, t, list->children, nodes[i], colw, rows);
        }
    }
}

static void flow_table(struct ctx *x, const struct tnode *t, xmlNodePtr node)
{
    float colw[MAX_COLUMNS];
    struct row_list rows = {0};
    size_t i, nheader = 0, body = 0;
    float header_h = 0;

    column_widths(x, t, colw);
    collect_rows(x, t, t->children, node, colw, &rows);
    for (i = 0; i < rows.n && rows.v[i].header; i++)
        header_h += rows.v[i].h, nheader++;
    x->y += x->page_empty ? 0 : t->style.space_before;
    for (i = 0; i < rows.n && !failed(x); i++) {
        struct row_lay *r = &rows.v[i];

        if (i < nheader) {
            /* the header goes with the first body row */
            float first = nheader < rows.n ? rows.v[nheader].h : 0;
            if (i == 0 && header_h + first > room(x) && !x->page_empty)
                flow_break(x);
            draw_row(x, t, r, false);
            continue;
        }
        if (r->h > x->bottom - x->flow->margin[0] - header_h) {
            compose_doc_error(x, ATTACHE_ERR_DATA,
                              "a table row (template line %u) is taller than a page", t->line);
            break;
        }
        if (r->h > room(x)) {
            size_t k;
            flow_break(x);
            for (k = 0; k < nheader; k++)   /* repeat the header rows */
                draw_row(x, t, &rows.v[k], false);
        }
        draw_row(x, t, r, body++ % 2 == 1);
    }
    x->y += t->style.space_after;
    free(rows.v);
}

/* ---- blocks -------------------------------------------------------------- */

static void flow_blocks(struct ctx *x, const struct tnode *list, xmlNodePtr node);

static void flow_items(struct ctx *x, const struct tnode *list, const struct tnode *lt,
                       xmlNodePtr node, int *count)
{
    static const char *const bullets[] = {"\xE2\x80\xA2", NULL, "\xE2\x80\x93"};

    for (; list && !failed(x); list = list->next) {
        if (list->kind == T_ITEM) {
            struct runs r = {0};
            char num[16];
            const char *marker = bullets[lt->marker];
            (*count)++;
            if (lt->marker == 1) {
                snprintf(num, sizeof num, "%d.", *count);
                marker = arena_strdup(&x->d->arena, num);
            }
            eval_inline(x, list->children, &list->style, node, &r);
            if (!failed(x))
                flow_para(x, &list->style, &r, marker, 6 * MM, false);
        } else if (list->kind == T_IF) {
            if (eval_bool(x, list->expr, node, list->line))
                flow_items(x, list->children, lt, node, count);
        } else if (list->kind == T_EACH) {
            int n, i;
            xmlNodePtr *nodes = eval_nodes(x, list->expr, node, list->line, &n);
            for (i = 0; i < n && !failed(x); i++)
                flow_items(x, list->children, lt, nodes[i], count);
        }
    }
}

/* Height a group of blocks would take (for <keep>), laid out on a scratch page. */
static float measure_blocks(struct ctx *x, const struct tnode *list, xmlNodePtr node)
{
    struct ctx scratch = *x;
    struct document *d = document_new();
    float h;

    if (!d) {
        oom(x);
        return 0;
    }
    scratch.d = d;
    scratch.page_section = NULL;
    scratch.page_in_section = NULL;
    scratch.section_cap = 0;
    scratch.page = new_page(&scratch, x->flow, 0);
    scratch.y = 0;
    scratch.bottom = 1e9f;
    scratch.page_empty = false;
    flow_blocks(&scratch, list, node);
    h = scratch.y;
    if (failed(&scratch) && !failed(x)) {
        x->rc = scratch.rc;
    }
    free(scratch.page_section);
    free(scratch.page_in_section);
    document_free(d);
    return h;
}

static void flow_block(struct ctx *x, const struct tnode *t, xmlNodePtr node)
{
    struct runs r = {0};
    struct image *img;
    float h;

    switch (t->kind) {
    case T_H1:
    case T_H2:
    case T_H3:
    case T_P:
        eval_inline(x, t->children, &t->style, node, &r);
        if (!failed(x) && (r.n || t->kind == T_P))
            flow_para(x, &t->style, &r, NULL, 0, t->kind != T_P);
        break;
    case T_LIST: {
        int count = 0;
        x->y += x->page_empty ? 0 : t->style.space_before;
        flow_items(x, t->children, t, node, &count);
        x->y += t->style.space_after;
        break;
    }
    case T_TABLE:
        flow_table(x, t, node);
        break;
    case T_BIMAGE:
        img = get_image(x, t, node, x->width, t->h);
        if (!img)
            break;
        if (t->h > room(x) && !x->page_empty)
            flow_break(x);
        place_image(x, x->page, img, t, x->left, x->y, x->width, t->h);
        x->y += t->h;
        x->page_empty = false;
        break;
    case T_BQR: {
        float qx = t->align == ALIGN_LEFT ? x->left : t->align == ALIGN_CENTRE
                   ? x->left + (x->width - t->size) / 2 : x->left + x->width - t->size;
        h = t->size + (t->caption ? 10 : 0);
        if (h > room(x) && !x->page_empty)
            flow_break(x);
        place_qr(x, x->page, t, qx, x->y);
        x->y += h;
        x->page_empty = false;
        break;
    }
    case T_SPACE:
        if (t->h >= room(x))
            flow_break(x);
        else if (!x->page_empty)
            x->y += t->h;
        break;
    case T_BREAK:
        if (!x->page_empty)
            flow_break(x);
        break;
    case T_KEEP:
        h = measure_blocks(x, t->children, node);
        if (h > room(x) && !x->page_empty && h <= x->bottom - x->flow->margin[0])
            flow_break(x);
        flow_blocks(x, t->children, node);
        break;
    case T_IF:
        if (eval_bool(x, t->expr, node, t->line))
            flow_blocks(x, t->children, node);
        break;
    case T_EACH: {
        int n, i;
        xmlNodePtr *nodes = eval_nodes(x, t->expr, node, t->line, &n);
        for (i = 0; i < n && !failed(x); i++)
            flow_blocks(x, t->children, nodes[i]);
        break;
    }
    default:
        break;
    }
}

static void flow_blocks(struct ctx *x, const struct tnode *list, xmlNodePtr node)
{
    for (; list && !failed(x); list = list->next)
        flow_block(x, list, node);
}

static void lay_flow(struct ctx *x, const struct tnode *f, xmlNodePtr officer)
{
    const struct tnode *c = f->children;

    x->flow = f;
    x->page = new_page(x, f, 0);
    x->y = f->first_top > 0 ? f->first_top : f->margin[0];
    x->left = f->margin[3];
    x->width = f->page_w - f->margin[1] - f->margin[3];
    x->bottom = f->page_h - f->margin[2];
    x->page_empty = true;
    while (c && (c->kind == T_HEADER || c->kind == T_FOOTER))
        c = c->next;
    flow_blocks(x, c, officer);
}

/* ---- the document ------------------------------------------------------ */

static void second_pass(struct ctx *x, xmlNodePtr officer)
{
    size_t i, total = x->d->npages;

    set_number(x, "pages", (double)total);
    for (i = 0; i < total && !failed(x); i++) {
        const struct tnode *s = x->page_section[i], *c;

        set_number(x, "page", (double)(i + 1));
        if (s->kind == T_PAGE) {
            place_all(x, i, s->children, officer);
            continue;
        }
        for (c = s->children; c && (c->kind == T_HEADER || c->kind == T_FOOTER); c = c->next) {
            bool first = x->page_in_section[i] == 0;
            if (c->pages == PAGES_ALL || (c->pages == PAGES_FIRST) == first)
                place_all(x, i, c->children, officer);
        }
    }
}

attache_status composer_init(struct composer *c, const struct compose_env *env,
                             attache_error *err)
{
    memset(c, 0, sizeof *c);
    c->env = env;
    return template_compile(env->t, &c->exprs, err);
}

void composer_release(struct composer *c)
{
    template_exprs_release(&c->exprs);
    memo_free(c->paragraphs);
    c->paragraphs = NULL;
    if (c->xp)
        xmlXPathFreeContext(c->xp);
    c->xp = NULL;
}

/*
 * The composer's XPath context, made once (with the template's functions)
 * and handed to each document in turn: pointed at `doc`, its variables of
 * the document before gone.
 */
static xmlXPathContextPtr use_xpath(struct composer *c, xmlDocPtr doc, struct ctx *x)
{
    xmlXPathContextPtr xp = c->xp;

    if (!xp) {
        xp = c->xp = xmlXPathNewContext(doc);
        if (!xp)
            return NULL;
        xp->error = on_xpath_error;
        template_register_functions(xp);
    }
    xmlXPathRegisteredVariablesCleanup(xp);
    xmlResetError(&xp->lastError);
    xp->doc = doc;
    xp->node = NULL;
    xp->contextSize = -1;
    xp->proximityPosition = -1;
    xp->userData = x;
    return xp;
}

attache_status compose_selects(struct composer *c, xmlDocPtr doc, xmlNodePtr officer,
                               bool *yes, attache_error *err)
{
    struct ctx x = {0};
    struct doc_vars v = {0};

    *yes = true;
    if (c->env->t->select < 0)
        return ATTACHE_OK;
    x.c = c;
    x.env = c->env;
    x.t = c->env->t;
    x.v = &v;
    x.err = err;
    x.d = document_new();
    x.xp = x.d ? use_xpath(c, doc, &x) : NULL;
    if (!x.xp) {
        document_free(x.d);
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    }
    *yes = eval_bool(&x, x.t->select, officer, 0);
    x.xp->userData = NULL;
    document_free(x.d);
    return x.rc;
}

attache_status compose_document(struct composer *c, xmlDocPtr doc, xmlNodePtr officer,
                                const struct doc_vars *v, struct document **out,
                                attache_error *err)
{
    struct ctx x = {0};
    const struct tnode *s;

    *out = NULL;
    x.c = c;
    x.env = c->env;
    x.t = c->env->t;
    x.v = v;
    x.doc = doc;
    x.err = err;
    x.d = document_new();
    x.xp = x.d ? use_xpath(c, doc, &x) : NULL;
    if (!x.xp) {
        document_free(x.d);
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    }
    set_string(&x, "document-id", v->document_id);
    set_string(&x, "kind", v->kind);
    set_string(&x, "issue-date", v->issue_date);
    set_string(&x, "reference", v->reference);
    set_number(&x, "page", 1);
    set_number(&x, "pages", 1);
    for (s = x.t->sections; s && !failed(&x); s = s->next) {
        if (s->kind == T_PAGE)
            new_page(&x, s, 0);
        else
            lay_flow(&x, s, officer);
    }
    if (!failed(&x))
        second_pass(&x, officer);
    if (!failed(&x)) {
        x.d->title = x.t->title ? inline_string(&x, x.t->title, officer) : NULL;
        x.d->subject = x.t->subject ? inline_string(&x, x.t->subject, officer) : NULL;
    }
    x.xp->userData = NULL;
    free(x.page_section);
    free(x.page_in_section);
    if (failed(&x)) {
        document_free(x.d);
        return x.rc;
    }
    *out = x.d;
    return ATTACHE_OK;
}


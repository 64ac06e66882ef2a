/*
 * compose_typeset.c: setting text in lines.  Runs of styled text are
 * measured as one paragraph, each character given the face that draws it
 * and the line breaks Unicode allows there (UAX #14, libunibreak); runs of
 * one face and style are shaped with HarfBuzz (shape.c), and each character
 * measured by the glyphs of its cluster.  The paragraph is broken into
 * lines of a width, or balanced over two, never inside a cluster.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linebreak.h>

#include "compose_private.h"
#include "shape.h"
#include "text.h"
#include "util.h"

/* ---- measuring ----------------------------------------------------------- */

static pthread_once_t lb_once = PTHREAD_ONCE_INIT;

static void lb_init(void)
{
    init_linebreak();
}

static void describe_origin(char *out, size_t size, const struct run *r)
{
    if (r->origin)
        snprintf(out, size, "{%s}", r->origin);
    else
        snprintf(out, size, "the template's text (line %u)", r->line);
}

/* The first shaped glyph after character i's (all of them for the last). */
size_t typeset_glyphs_end(const struct para *p, size_t i)
{
    return i + 1 < p->n ? p->g[i + 1].sg : p->nsg;
}

/*
 * Shape the paragraph in runs of one face and one style, into `sg`, and
 * give each character its cluster's advance; no line may break inside a
 * cluster.  Line breaks (<br/>) are not shaped.
 */
static bool shape_para(struct para *p, struct shape_glyphs *sg)
{
    size_t i = 0, j, c, k;

    while (i < p->n) {
        struct glyph *g = &p->g[i];

        if (g->newline) {
            g->sg = (uint32_t)sg->n;
            i++;
            continue;
        }
        for (j = i + 1; j < p->n && !p->g[j].newline && p->g[j].face == g->face &&
                        p->g[j].st == g->st; j++)
            ;
        k = sg->n;
        if (!shape_text(g->face, p->text, p->len, g->off,
                        p->g[j - 1].off + p->g[j - 1].len - g->off, g->st->tracking == 0, sg))
            return false;
        for (c = i; c < j; c++) {
            while (k < sg->n && sg->v[k].cluster < p->g[c].off)
                k++;
            p->g[c].sg = (uint32_t)k;
            p->g[c].cont = c > i && (k == sg->n || sg->v[k].cluster != p->g[c].off);
        }
        i = j;
    }
    p->nsg = sg->n;
    for (c = 0; c < p->n; c++) {
        struct glyph *g = &p->g[c];
        const struct tstyle *st = g->st;
        size_t e = typeset_glyphs_end(p, c);
        int32_t units = 0;

        for (k = g->sg; k < e; k++)
            units += sg->v[k].x_advance;
        g->adv = g->newline ? 0 : (float)units / (float)font_upem(g->face) * st->size;
        if (!g->newline && e > g->sg)
            g->adv += st->tracking * st->size;
        if (c + 1 < p->n && p->g[c + 1].cont)
            g->brk = LINEBREAK_NOBREAK;
    }
    return true;
}

/*
 * Measure runs as one paragraph: white space collapsed across runs and
 * trimmed, each character given the face that draws it.  A character no
 * face can draw is an error naming the officer, the field and the code point.
 */
/*
 * A worker measures the same template text for every document: the title,
 * the lines around the name, the signatory.  Measured paragraphs are kept
 * in the composer's memo under their runs (each run's style and text); a
 * paragraph measured before is copied into the document's arena.  Style
 * and face pointers in the copy stay valid: they are the template's and the
 * fonts', which live as long as the composer.
 */
#define MEMO_PARAGRAPH 'P'

struct para_head {
    size_t len, n, nsg;
    bool breaks;
};

/* The runs as a memo key, into k. */
static bool para_key(const struct runs *r, struct buf *k)
{
    size_t i;

    for (i = 0; i < r->n; i++) {
        size_t len = strlen(r->v[i].text);
        buf_add(k, &r->v[i].st, sizeof r->v[i].st);
        buf_add(k, &len, sizeof len);
        buf_add(k, r->v[i].text, len);
    }
    return !k->failed;
}

static bool para_recall(struct ctx *x, const struct buf *key, struct para *p)
{
    const unsigned char *v;
    struct para_head h;
    size_t vlen, g, sg;

    if (!x->c->paragraphs || !memo_get(x->c->paragraphs, MEMO_PARAGRAPH, key->data, key->len,
                                       &v, &vlen))
        return false;
    memcpy(&h, v, sizeof h);
    g = h.n * sizeof *p->g;
    sg = h.nsg * sizeof *p->sg;
    memset(p, 0, sizeof *p);
    p->text = arena_strndup(&x->d->arena, (const char *)v + sizeof h, h.len);
    p->g = arena_alloc(&x->d->arena, g ? g : 1);
    p->sg = arena_alloc(&x->d->arena, sg ? sg : 1);
    if (!p->text || !p->g || !p->sg) {
        oom(x);
        return true;             /* failed(x) says what happened */
    }
    memcpy(p->g, v + sizeof h + h.len, g);
    memcpy(p->sg, v + sizeof h + h.len + g, sg);
    p->len = h.len;
    p->n = h.n;
    p->nsg = h.nsg;
    p->breaks = h.breaks;
    return true;
}

static void para_keep(struct ctx *x, const struct buf *key, const struct para *p)
{
    struct para_head h;
    struct buf v = {0};

    if (!x->c->paragraphs && !(x->c->paragraphs = memo_new()))
        return;
    memset(&h, 0, sizeof h);     /* its padding too: the memo copies every byte */
    h.len = p->len;
    h.n = p->n;
    h.nsg = p->nsg;
    h.breaks = p->breaks;
    buf_add(&v, &h, sizeof h);
    buf_add(&v, p->text, p->len);
    buf_add(&v, p->g, p->n * sizeof *p->g);
    buf_add(&v, p->sg, p->nsg * sizeof *p->sg);
    if (!v.failed)
        memo_put(x->c->paragraphs, MEMO_PARAGRAPH, key->data, key->len, v.data, v.len);
    buf_release(&v);
}

static bool measure(struct ctx *x, const struct runs *r, struct para *p);

bool typeset_measure(struct ctx *x, const struct runs *r, struct para *p)
{
    struct buf key = {0};
    bool ok;

    if (!x->c)
        return measure(x, r, p);     /* outside a worker: nothing to keep it in */
    if (!para_key(r, &key)) {
        buf_release(&key);
        return measure(x, r, p);
    }
    if (para_recall(x, &key, p)) {
        buf_release(&key);
        return !failed(x);
    }
    ok = measure(x, r, p);
    if (ok && p->n)
        para_keep(x, &key, p);
    buf_release(&key);
    return ok;
}

/* typeset_measure() without the memo. */
static bool measure(struct ctx *x, const struct runs *r, struct para *p)
{
    struct shape_glyphs sg = {0};
    struct buf b = {0};
    size_t *run_of;             /* run_of[k]: the run byte k of the text came from */
    size_t i, k, n = 0;
    char *brks = NULL;
    bool ok = false;

    memset(p, 0, sizeof *p);
    pthread_once(&lb_once, lb_init);
    /* text, collapsing spaces between runs */
    run_of = NULL;
    for (i = 0; i < r->n; i++) {
        const char *s = r->v[i].text;
        for (; *s; s++) {
            bool sp = *s == ' ';
            if (sp && (!b.len || b.data[b.len - 1] == ' ' || b.data[b.len - 1] == '\n'))
                continue;
            if (*s == '\n' && b.len && b.data[b.len - 1] == ' ')
                b.len--;
            if (!buf_add(&b, s, 1))
                goto done;
            if (b.len > n) {
                size_t *ro = realloc(run_of, (b.len + 64) * sizeof *ro);
                if (!ro)
                    goto done;
                run_of = ro;
                n = b.len + 64;
            }
            run_of[b.len - 1] = i;
        }
    }
    while (b.len && (b.data[b.len - 1] == ' ' || b.data[b.len - 1] == '\n'))
        b.len--;
    if (b.data)
        b.data[b.len] = '\0';
    p->len = b.len;
    p->text = arena_strndup(&x->d->arena, b.data ? b.data : "", b.len);
    if (!p->text)
        goto done;
    if (!b.len) {
        ok = true;
        goto done;
    }
    brks = malloc(b.len);
    p->g = arena_alloc(&x->d->arena, b.len * sizeof *p->g);
    if (!brks || !p->g)
        goto done;
    set_linebreaks_utf8((const utf8_t *)p->text, b.len, "en", brks);
    for (k = 0; k < b.len;) {
        const char *s = p->text + k, *end = p->text + b.len;
        const struct run *run = &r->v[run_of[k]];
        const struct tstyle *st = run->st;
        struct glyph *g = &p->g[p->n];
        enum font_style fs = (st->bold ? FONT_BOLD : 0) | (st->italic ? FONT_ITALIC : 0);
        const char *script = NULL;

        g->cp = text_next(&s, end);
        g->off = (uint32_t)k;
        g->len = (uint32_t)(s - (p->text + k));
        g->st = st;
        g->space = g->cp == ' ';
        g->newline = g->cp == '\n';
        g->cont = false;
        p->breaks |= g->newline;
        g->brk = (unsigned char)brks[k + g->len - 1];
        if (g->newline) {
            g->face = font_family_face(st->family, fs);
        } else if (shape_is_rtl(g->cp, &script)) {
            char where[160], clip[80];
            describe_origin(where, sizeof where, run);
            compose_doc_error(x, ATTACHE_ERR_DATA,
                      "%s '%s' has U+%04X in %s script, which is written right to left; this "
                      "version of attache sets text left to right", where,
                      text_clip(clip, sizeof clip, run->text, 40), (unsigned)g->cp, script);
            goto done;
        } else {
            const struct font_face *prev = p->n && !g[-1].newline ? g[-1].face : NULL;
            g->face = shape_pick(x->t->fonts, st->family, fs, g->cp, prev);
            if (!g->face) {
                char where[160], clip[80];
                describe_origin(where, sizeof where, run);
                compose_doc_error(x, ATTACHE_ERR_DATA,
                          "%s '%s' has U+%04X, which no font of the template can draw", where,
                          text_clip(clip, sizeof clip, run->text, 40), (unsigned)g->cp);
                goto done;
            }
        }
        p->n++;
        k += g->len;
    }
    if (!shape_para(p, &sg))
        goto done;
    p->sg = arena_alloc(&x->d->arena, (sg.n ? sg.n : 1) * sizeof *p->sg);
    if (!p->sg)
        goto done;
    if (sg.n)
        memcpy(p->sg, sg.v, sg.n * sizeof *p->sg);
    p->nsg = sg.n;
    ok = true;
done:
    if (!ok && !failed(x))
        oom(x);
    shape_glyphs_release(&sg);
    free(brks);
    free(run_of);
    buf_release(&b);
    return ok;
}

void typeset_line_stats(const struct para *p, struct line *ln)
{
    size_t i;

    ln->width = 0;
    ln->size = 0;
    ln->spaces = 0;
    ln->face = NULL;
    while (ln->b > ln->a && (p->g[ln->b - 1].space || p->g[ln->b - 1].newline))
        ln->b--;
    for (i = ln->a; i < ln->b; i++) {
        const struct glyph *g = &p->g[i];
        ln->width += g->adv;
        ln->spaces += g->space;
        if (g->st->size > ln->size || !ln->face) {
            ln->size = g->st->size;
            ln->face = g->face;
        }
    }
    if (ln->b > ln->a)
        ln->width -= p->g[ln->b - 1].st->tracking * p->g[ln->b - 1].st->size;
    if (!ln->face && p->n) {
        ln->face = p->g[ln->a < p->n ? ln->a : p->n - 1].face;
        ln->size = p->g[ln->a < p->n ? ln->a : p->n - 1].st->size;
    }
}

/*
 * Break a paragraph into lines of at most `width` (scale 1 units).  Returns
 * the number of lines, filling `lines` (up to `max`).  Greedy; a word longer
 * than the line is broken between characters.
 */
size_t typeset_break_lines(const struct para *p, float width, struct line *lines, size_t max)
{
    size_t n = 0, start = 0, i, last_break = (size_t)-1;
    float w = 0, w_at_break = 0;

    if (!p->n) {
        if (max)
            memset(&lines[0], 0, sizeof lines[0]);
        return 1;
    }
    for (i = 0; i < p->n; i++) {
        const struct glyph *g = &p->g[i];

        if (g->newline) {
            if (n < max) {
                lines[n].a = start;
                lines[n].b = i;
                typeset_line_stats(p, &lines[n]);
            }
            n++;
            start = i + 1;
            w = 0;
            last_break = (size_t)-1;
            continue;
        }
        w += g->adv;
        if (w - (g->space ? g->adv : 0) > width && i > start) {
            size_t end = last_break != (size_t)-1 ? last_break + 1 : i;
            while (end > start + 1 && p->g[end].cont)
                end--;              /* between characters, but not inside a cluster */
            if (n < max) {
                lines[n].a = start;
                lines[n].b = end;
                typeset_line_stats(p, &lines[n]);
            }
            n++;
            start = end;
            while (start < p->n && p->g[start].space)
                start++;
            w = 0;
            for (size_t k = start; k <= i; k++)
                w += p->g[k].adv;
            last_break = (size_t)-1;
            (void)w_at_break;
        }
        if (g->brk == LINEBREAK_ALLOWBREAK && i >= start)
            last_break = i;
    }
    if (start < p->n || !n) {
        if (n < max) {
            lines[n].a = start;
            lines[n].b = p->n;
            typeset_line_stats(p, &lines[n]);
        }
        n++;
    }
    return n;
}

/*
 * Two lines as even as possible, for names and titles that need two.  Not
 * for text with line breaks of its own (<br/>): those decide its lines.
 */
bool typeset_balance_two(const struct para *p, float width, struct line *lines)
{
    float best = 1e9f;
    size_t i, best_i = 0;
    bool found = false;

    if (p->breaks)
        return false;
    for (i = 0; i + 1 < p->n; i++) {
        struct line a, b;
        float m;

        if (p->g[i].brk != LINEBREAK_ALLOWBREAK)
            continue;
        a.a = 0;
        a.b = i + 1;
        typeset_line_stats(p, &a);
        b.a = i + 1;
        while (b.a < p->n && p->g[b.a].space)
            b.a++;
        b.b = p->n;
        typeset_line_stats(p, &b);
        if (a.width > width || b.width > width)
            continue;
        m = a.width > b.width ? a.width : b.width;
        if (m < best) {
            best = m;
            best_i = i;
            found = true;
        }
    }
    if (!found)
        return false;
    lines[0].a = 0;
    lines[0].b = best_i + 1;
    typeset_line_stats(p, &lines[0]);
    lines[1].a = best_i + 1;
    while (lines[1].a < p->n && p->g[lines[1].a].space)
        lines[1].a++;
    lines[1].b = p->n;
    typeset_line_stats(p, &lines[1]);
    return true;
}

/* Height of a line at `scale`, and where its baseline sits below its top. */
float typeset_line_height(const struct line *ln, const struct tstyle *st, float scale)
{
    return ln->size * scale * st->leading;
}

float typeset_baseline_offset(const struct line *ln, const struct tstyle *st, float scale)
{
    float s = ln->size * scale, asc = (float)font_ascender(ln->face),
          desc = (float)font_descender(ln->face);
    return (st->leading * s - (asc - desc) * s) / 2 + asc * s;
}


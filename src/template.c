/*
 * template.c: loading templates: parse, validate against the template
 * schema, and build the resolved tree the document maker walks.
 */
#include <ctype.h>
#include <libgen.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpathInternals.h>
#include <sodium.h>

#include "error.h"
#include "resource.h"
#include "template.h"
#include "template_check.h"
#include "text.h"
#include "util.h"
#include "xml.h"

#define MAX_TEMPLATE_FILE (4u * 1024 * 1024)
#define MM (72.0f / 25.4f)

/* ---- units ------------------------------------------------------------ */

bool parse_length(const char *s, float *points)
{
    char *end;
    double v;

    if (!s)
        return false;
    while (isspace((unsigned char)*s))
        s++;
    v = strtod(s, &end);
    if (end == s || !isfinite(v))
        return false;
    while (isspace((unsigned char)*end))
        end++;
    if (!*end || !strcmp(end, "pt"))
        *points = (float)v;
    else if (!strcmp(end, "mm"))
        *points = (float)(v * MM);
    else if (!strcmp(end, "cm"))
        *points = (float)(v * 10 * MM);
    else if (!strcmp(end, "in"))
        *points = (float)(v * 72);
    else
        return false;
    return fabsf(*points) < 100000;
}

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : isxdigit(c) ? tolower(c) - 'a' + 10 : -1;
}

bool parse_colour(const char *s, struct rgb *out)
{
    static const struct { const char *name; unsigned rgb; } named[] = {
        {"black", 0x000000}, {"white", 0xffffff}, {"grey", 0x808080}, {"gray", 0x808080},
        {"navy", 0x1d3557}, {"gold", 0xb08d3c}, {"maroon", 0x7a1f2b}, {"green", 0x2d6a4f},
    };
    size_t i, n = s ? strlen(s) : 0;
    unsigned v = 0;

    for (i = 0; i < ARRAY_SIZE(named); i++)
        if (s && !strcmp(s, named[i].name)) {
            v = named[i].rgb;
            goto done;
        }
    if (!s || s[0] != '#' || (n != 4 && n != 7))
        return false;
    for (i = 1; i < n; i++)
        if (hexval((unsigned char)s[i]) < 0)
            return false;
    if (n == 4)
        v = (unsigned)(hexval(s[1]) * 17) << 16 | (unsigned)(hexval(s[2]) * 17) << 8 |
            (unsigned)(hexval(s[3]) * 17);
    else
        v = (unsigned)strtoul(s + 1, NULL, 16);
done:
    out->r = (float)((v >> 16) & 255) / 255.0f;
    out->g = (float)((v >> 8) & 255) / 255.0f;
    out->b = (float)(v & 255) / 255.0f;
    return true;
}

/* ---- the loader's state ------------------------------------------------ */

struct tstyle_entry {
    char *name;
    struct tstyle style;
};

struct loader {
    struct template *t;
    const char *file;           /* for messages */
    attache_error *err;
    bool failed;
    struct tstyle_entry *styles;
    size_t nstyles;
    xmlXPathContextPtr xp;      /* for checking expressions */
    char xpath_message[200];    /* what libxml2 said of the last expression */
    crypto_hash_sha256_state inputs;   /* the template's bytes, then its font files' */
};

static void fail_at(struct loader *l, xmlNodePtr n, const char *fmt, ...) ATTACHE_PRINTF(3, 4);

static void fail_at(struct loader *l, xmlNodePtr n, const char *fmt, ...)
{
    char msg[400];
    va_list ap;

    if (l->failed)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    err_set(l->err, ATTACHE_ERR_DATA, l->file, n ? (unsigned long)xmlGetLineNo(n) : 0, "%s", msg);
    l->failed = true;
}

/* Memory ran out: an internal error, not the template's. */
static void out_of_memory(struct loader *l)
{
    if (l->failed)
        return;
    err_set(l->err, ATTACHE_ERR_INTERNAL, l->file, 0, "out of memory");
    l->failed = true;
}

static char *attr(xmlNodePtr n, const char *name)
{
    return (char *)xmlGetNoNsProp(n, BAD_CAST name);
}

static bool is(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static struct tnode *new_node(struct loader *l, enum tkind kind, xmlNodePtr src)
{
    struct tnode *t = arena_calloc(&l->t->arena, 1, sizeof *t);

    if (!t) {
        out_of_memory(l);
        return NULL;
    }
    t->kind = kind;
    t->expr = -1;
    t->line = src ? (unsigned)xmlGetLineNo(src) : 0;
    return t;
}

/* libxml2's word on an expression that does not compile: kept for our message, never printed. */
static void on_xpath_error(void *arg, xmlErrorPtr e)
{
    struct loader *l = arg;

    /* libxml2 gives the place in the expression (int1), not always a message */
    if (e && e->message)
        xml_message_clean(l->xpath_message, sizeof l->xpath_message, e->message);
    else if (e && e->int1 >= 0)
        snprintf(l->xpath_message, sizeof l->xpath_message, "it goes wrong at character %d",
                 e->int1 + 1);
}

/*
 * Register an XPath expression; returns its index or -1 (and fails).  It
 * must compile, and name only what the data format has (template_check.c).
 */
static int add_expr(struct loader *l, xmlNodePtr n, const char *src)
{
    struct template *t = l->t;
    xmlXPathCompExprPtr c;
    char **p;
    char clip[120], why[300];

    l->xpath_message[0] = '\0';
    c = xmlXPathCtxtCompile(l->xp, BAD_CAST src);
    if (!c) {
        fail_at(l, n, "'%s' is not a valid XPath expression%s%s%s",
                text_clip(clip, sizeof clip, src, 80), l->xpath_message[0] ? " (" : "",
                l->xpath_message, l->xpath_message[0] ? ")" : "");
        return -1;
    }
    xmlXPathFreeCompExpr(c);
    if (!template_check_names(l->xp, src, why, sizeof why)) {
        fail_at(l, n, "'{%s}': %s", text_clip(clip, sizeof clip, src, 80), why);
        return -1;
    }
    p = realloc(t->exprs, (size_t)(t->nexprs + 1) * sizeof *p);
    if (!p) {
        out_of_memory(l);
        return -1;
    }
    t->exprs = p;
    t->exprs[t->nexprs] = strdup(src);
    if (!t->exprs[t->nexprs]) {
        out_of_memory(l);
        return -1;
    }
    return t->nexprs++;
}

static int expr_attr(struct loader *l, xmlNodePtr n, const char *name, bool required)
{
    char *v = attr(n, name);
    int e = -1;

    if (v)
        e = add_expr(l, n, v);
    else if (required)
        fail_at(l, n, "<%s> needs %s=", n->name, name);
    xmlFree(v);
    return e;
}

static bool length_attr(struct loader *l, xmlNodePtr n, const char *name, float *out)
{
    char *v = attr(n, name);
    bool ok = true;

    if (v && !parse_length(v, out)) {
        char clip[60];
        fail_at(l, n, "<%s> %s='%s' is not a length (like 12pt, 20mm, 2cm, 1in)", n->name,
                name, text_clip(clip, sizeof clip, v, 40));
        ok = false;
    }
    xmlFree(v);
    return ok && v;
}

/*
 * A whole number from lo to hi, or `dflt` when the attribute is missing.
 * Numbers in templates come from strangers: parsed whole, bounded before
 * any arithmetic is done with them.
 */
static int int_attr(struct loader *l, xmlNodePtr n, const char *name, long lo, long hi, int dflt)
{
    char *v = attr(n, name), *end, clip[60];
    long x;
    int out = dflt;

    if (v) {
        errno = 0;
        x = strtol(v, &end, 10);
        if (end == v || *end || errno || x < lo || x > hi)
            fail_at(l, n, "<%s> %s='%s' must be a whole number from %ld to %ld", n->name, name,
                    text_clip(clip, sizeof clip, v, 40), lo, hi);
        else
            out = (int)x;
    }
    xmlFree(v);
    return out;
}

/* A decimal number (with `unit` after it, "" for none), finite and from lo to hi. */
static bool parse_number(const char *v, const char *unit, double lo, double hi, double *out)
{
    char *end;
    double x = strtod(v, &end);

    if (end == v || strcmp(end, unit) || !isfinite(x) || x < lo || x > hi)
        return false;
    *out = x;
    return true;
}

static bool colour_attr(struct loader *l, xmlNodePtr n, const char *name, struct rgb *out)
{
    char *v = attr(n, name);
    bool ok = true;

    if (v && !parse_colour(v, out)) {
        char clip[60];
        fail_at(l, n, "<%s> %s='%s' is not a colour (#rrggbb, #rgb or a name)", n->name,
                name, text_clip(clip, sizeof clip, v, 40));
        ok = false;
    }
    xmlFree(v);
    return ok && v;
}

/* ---- styles ------------------------------------------------------------ */

static const struct tstyle *find_style(struct loader *l, const char *name)
{
    size_t i;

    for (i = 0; i < l->nstyles; i++)
        if (!strcmp(l->styles[i].name, name))
            return &l->styles[i].style;
    return NULL;
}

/*
 * The style of element `n`: `inherit`, replaced by its style= (a named
 * style) if any, then its own text attributes.  Returns false on an error.
 */
static bool apply_style(struct loader *l, xmlNodePtr n, const struct tstyle *inherit,
                        struct tstyle *out)
{
    char *v;
    float f;

    *out = *inherit;
    if ((v = attr(n, "style"))) {
        const struct tstyle *s = find_style(l, v);
        if (!s) {
            char clip[60];
            fail_at(l, n, "style '%s' is not defined (define it with <style name=...> first)",
                    text_clip(clip, sizeof clip, v, 40));
            xmlFree(v);
            return false;
        }
        *out = *s;
        xmlFree(v);
    }
    if ((v = attr(n, "font"))) {
        out->family = font_family_find(l->t->fonts, v);
        if (!out->family) {
            char clip[60];
            fail_at(l, n, "font '%s' is not a font family (built in: serif, serif-display, "
                          "sans; others come from <font>)", text_clip(clip, sizeof clip, v, 40));
        }
        xmlFree(v);
    }
    if ((v = attr(n, "weight"))) {
        out->bold = !strcmp(v, "bold");
        xmlFree(v);
    }
    if ((v = attr(n, "slant"))) {
        out->italic = !strcmp(v, "italic");
        xmlFree(v);
    }
    if ((v = attr(n, "case"))) {
        out->upper = !strcmp(v, "upper");
        xmlFree(v);
    }
    if ((v = attr(n, "align"))) {
        out->align = !strcmp(v, "centre") ? ALIGN_CENTRE : !strcmp(v, "right") ? ALIGN_RIGHT
                     : !strcmp(v, "justify") ? ALIGN_JUSTIFY : ALIGN_LEFT;
        xmlFree(v);
    }
    if (length_attr(l, n, "size", &f)) {
        if (f < 2 || f > 500)
            fail_at(l, n, "<%s> size must be from 2pt to 500pt", n->name);
        out->size = f;
    }
    if ((v = attr(n, "tracking"))) {
        double em;
        if (!parse_number(v, "em", -0.2, 2, &em) && !parse_number(v, "", -0.2, 2, &em))
            fail_at(l, n, "<%s> tracking must be ems from -0.2em to 2em, like 0.05em", n->name);
        else
            out->tracking = (float)em;
        xmlFree(v);
    }
    if ((v = attr(n, "leading"))) {
        double x;
        if (!parse_number(v, "", 0.8, 4, &x))
            fail_at(l, n, "<%s> leading must be from 0.8 to 4 (times the size)", n->name);
        else
            out->leading = (float)x;
        xmlFree(v);
    }
    colour_attr(l, n, "colour", &out->colour);
    length_attr(l, n, "space-before", &out->space_before);
    length_attr(l, n, "space-after", &out->space_after);
    length_attr(l, n, "indent", &out->indent);
    return !l->failed;
}

static void load_style(struct loader *l, xmlNodePtr n)
{
    char *name = attr(n, "name"), *parent = attr(n, "parent");
    const struct tstyle *found = NULL;
    struct tstyle base = l->t->base;     /* a copy: the table may move below */
    struct tstyle_entry *e;

    if (parent && !(found = find_style(l, parent)))
        fail_at(l, n, "parent style '%s' is not defined before this style", parent);
    else if (find_style(l, name))
        fail_at(l, n, "style '%s' is defined twice", name);
    else {
        if (found)
            base = *found;
        e = realloc(l->styles, (l->nstyles + 1) * sizeof *e);
        if (!e)
            out_of_memory(l);
        else {
            l->styles = e;
            e = &l->styles[l->nstyles];
            e->name = strdup(name);
            if (!e->name)
                out_of_memory(l);
            else if (apply_style(l, n, &base, &e->style))
                l->nstyles++;
            else
                free(e->name);
        }
    }
    xmlFree(name);
    xmlFree(parent);
}

/* ---- fonts ------------------------------------------------------------- */

static void load_font(struct loader *l, xmlNodePtr n)
{
    static const char *const keys[4] = {"regular", "bold", "italic", "bold-italic"};
    char *family = attr(n, "family"), *fallback = attr(n, "fallback");
    char *files[4] = {0};
    const char *paths[4] = {0};
    char full[4][4096];
    int s;

    for (s = 0; s < 4; s++) {
        files[s] = attr(n, keys[s]);
        if (!files[s])
            continue;
        if (!l->t->dir) {
            fail_at(l, n, "a built-in template cannot load font files");
            break;
        }
        if (files[s][0] == '/' || strstr(files[s], "..")) {
            fail_at(l, n, "font path '%s' must be relative to the template, without '..'",
                    files[s]);
            break;
        }
        snprintf(full[s], sizeof full[s], "%s/%s", l->t->dir, files[s]);
        paths[s] = full[s];
    }
    if (!l->failed && font_set_add_family(l->t->fonts, family, paths,
                                          fallback ? fallback : "serif,sans", l->err) != ATTACHE_OK) {
        l->err->line = (unsigned long)xmlGetLineNo(n);
        snprintf(l->err->file, sizeof l->err->file, "%s", l->file);
        l->failed = true;
    }
    /* the fonts are inputs of every document: their bytes go into t->hash */
    for (s = 0; s < 4 && !l->failed; s++) {
        unsigned char *bytes;
        size_t size;

        if (!paths[s])
            continue;
        if (attache_read_input(paths[s], 64u * 1024 * 1024, &bytes, &size, l->err) != ATTACHE_OK) {
            l->err->line = (unsigned long)xmlGetLineNo(n);
            snprintf(l->err->file, sizeof l->err->file, "%s", l->file);
            l->failed = true;
            break;
        }
        crypto_hash_sha256_update(&l->inputs, bytes, (unsigned long long)size);
        free(bytes);
    }
    for (s = 0; s < 4; s++)
        xmlFree(files[s]);
    xmlFree(family);
    xmlFree(fallback);
}

/* ---- inline text --------------------------------------------------------- */

/* Split text with {expressions} into T_LIT and T_EXPR nodes; appends to *tail. */
static void split_text(struct loader *l, xmlNodePtr src, const char *s, struct tnode ***tail)
{
    struct buf lit = {0};

    while (*s && !l->failed) {
        if ((s[0] == '{' && s[1] == '{') || (s[0] == '}' && s[1] == '}')) {
            buf_add(&lit, s, 1);
            s += 2;
        } else if (*s == '}') {
            fail_at(l, src, "a lone '}' in text; write '}}' for a brace");
        } else if (*s == '{') {
            const char *end = strchr(s + 1, '}');
            struct tnode *t;
            char *expr;

            if (!end) {
                fail_at(l, src, "'{' without a closing '}' in text; write '{{' for a brace");
                break;
            }
            if (lit.len) {
                t = new_node(l, T_LIT, src);
                if (!t)
                    break;
                t->text = arena_strndup(&l->t->arena, lit.data, lit.len);
                if (!t->text) {
                    out_of_memory(l);
                    break;
                }
                **tail = t;
                *tail = &t->next;
                buf_reset(&lit);
            }
            expr = strndup(s + 1, (size_t)(end - s - 1));
            t = new_node(l, T_EXPR, src);
            if (!t || !expr) {
                if (!expr)
                    out_of_memory(l);
                free(expr);
                break;
            }
            t->expr = add_expr(l, src, expr);
            t->text = arena_strdup(&l->t->arena, expr);
            free(expr);
            if (!t->text) {
                out_of_memory(l);
                break;
            }
            **tail = t;
            *tail = &t->next;
            s = end + 1;
        } else {
            buf_add(&lit, s, 1);
            s++;
        }
    }
    if (lit.len && !l->failed) {
        struct tnode *t = new_node(l, T_LIT, src);
        if (t && !(t->text = arena_strndup(&l->t->arena, lit.data, lit.len)))
            out_of_memory(l);
        else if (t) {
            **tail = t;
            *tail = &t->next;
        }
    }
    if (lit.failed)
        out_of_memory(l);
    buf_release(&lit);
}

/* Collapse white space in literal text as HTML does. */
static char *collapse(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;
    bool space = false;

    if (!out)
        return NULL;
    for (; *s; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
            space = true;
            continue;
        }
        if (space)
            *o++ = ' ';
        space = false;
        *o++ = *s;
    }
    if (space)
        *o++ = ' ';
    *o = '\0';
    return out;
}

static struct tnode *load_inline(struct loader *l, xmlNodePtr parent, const struct tstyle *st)
{
    struct tnode *head = NULL, **tail = &head;
    xmlNodePtr c;

    for (c = parent->children; c && !l->failed; c = c->next) {
        struct tnode *t;

        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            char *s = collapse((const char *)c->content);
            if (s)
                split_text(l, parent, s, &tail);
            else
                out_of_memory(l);
            free(s);
            continue;
        }
        if (c->type != XML_ELEMENT_NODE)
            continue;
        t = new_node(l, is(c, "b") ? T_B : is(c, "i") ? T_I : is(c, "br") ? T_BR
                        : is(c, "if") ? T_IF : T_SPAN, c);
        if (!t)
            break;
        t->style = *st;
        if (t->kind == T_IF)
            t->expr = expr_attr(l, c, "test", true);
        if (t->kind == T_B)
            t->style.bold = true;
        else if (t->kind == T_I)
            t->style.italic = true;
        else if (t->kind == T_SPAN)
            apply_style(l, c, st, &t->style);
        if (t->kind != T_BR)
            t->children = load_inline(l, c, &t->style);
        *tail = t;
        tail = &t->next;
    }
    return head;
}

/* An attribute that is text with {expressions}, e.g. src= or title=. */
static struct tnode *inline_attr(struct loader *l, xmlNodePtr n, const char *name)
{
    struct tnode *head = NULL, **tail = &head;
    char *v = attr(n, name);

    if (v)
        split_text(l, n, v, &tail);
    xmlFree(v);
    return head;
}

/* ---- elements ---------------------------------------------------------- */

static struct tnode *load_placed_list(struct loader *l, xmlNodePtr parent);
static struct tnode *load_block_list(struct loader *l, xmlNodePtr parent, const struct tstyle *st);

static void stroke_attrs(struct loader *l, xmlNodePtr n, struct tnode *t)
{
    t->line_width = 0.75f;
    t->stroke = (struct rgb){0, 0, 0};
    length_attr(l, n, "width", &t->line_width);
    colour_attr(l, n, "colour", &t->stroke);
    {
        char *v = attr(n, "dash");
        if (v) {
            char *a = strtok(v, " "), *b = a ? strtok(NULL, " ") : NULL;
            if (!a || !parse_length(a, &t->dash_on) || (b && !parse_length(b, &t->dash_off)))
                fail_at(l, n, "<%s> dash must be one or two lengths, like '2pt 1pt'", n->name);
            if (!b)
                t->dash_off = t->dash_on;
            xmlFree(v);
        }
    }
    t->do_stroke = t->line_width > 0;
}

static void box_attrs(struct loader *l, xmlNodePtr n, struct tnode *t)
{
    if (!length_attr(l, n, "x", &t->x) || !length_attr(l, n, "y", &t->y))
        fail_at(l, n, "<%s> needs x= and y= lengths", n->name);
    t->has_w = length_attr(l, n, "w", &t->w);
    t->has_h = length_attr(l, n, "h", &t->h);
}

static void image_attrs(struct loader *l, xmlNodePtr n, struct tnode *t)
{
    char *v = attr(n, "fit");

    t->fit = !v || !strcmp(v, "contain") ? FIT_CONTAIN : !strcmp(v, "cover") ? FIT_COVER
                                                                             : FIT_STRETCH;
    xmlFree(v);
    v = attr(n, "align");
    t->align = !v || !strcmp(v, "centre") ? ALIGN_CENTRE : !strcmp(v, "right") ? ALIGN_RIGHT
                                                                              : ALIGN_LEFT;
    xmlFree(v);
    t->src = inline_attr(l, n, "src");
}

static void qr_attrs(struct loader *l, xmlNodePtr n, struct tnode *t)
{
    char *v = attr(n, "caption");

    if (!length_attr(l, n, "size", &t->size) || t->size < 10 * MM)
        fail_at(l, n, "<qr> size must be at least 10mm to scan reliably");
    t->stroke = (struct rgb){0, 0, 0};
    colour_attr(l, n, "colour", &t->stroke);
    t->caption = !v || !strcmp(v, "true") || !strcmp(v, "1");
    xmlFree(v);
    v = attr(n, "align");
    t->align = !v || !strcmp(v, "left") ? ALIGN_LEFT : !strcmp(v, "centre") ? ALIGN_CENTRE
                                                                           : ALIGN_RIGHT;
    xmlFree(v);
    t->style = l->t->base;
}

static struct tnode *load_placed(struct loader *l, xmlNodePtr n)
{
    struct tnode *t = NULL;
    char *v;

    if (is(n, "text")) {
        t = new_node(l, T_TEXT, n);
        if (!t)
            return NULL;
        box_attrs(l, n, t);
        apply_style(l, n, &l->t->base, &t->style);
        t->min_size = t->style.size;
        length_attr(l, n, "min-size", &t->min_size);
        if (t->min_size > t->style.size)
            fail_at(l, n, "<text> min-size is larger than its size");
        t->max_lines = int_attr(l, n, "max-lines", 1, 1000, 0);
        v = attr(n, "valign");
        t->valign = !v || !strcmp(v, "top") ? VALIGN_TOP : !strcmp(v, "middle") ? VALIGN_MIDDLE
                                                                               : VALIGN_BOTTOM;
        xmlFree(v);
        if (!t->has_w && (t->style.align != ALIGN_LEFT || t->max_lines || t->min_size < t->style.size))
            fail_at(l, n, "<text> needs w= to align, wrap or shrink its text");
        t->children = load_inline(l, n, &t->style);
    } else if (is(n, "image")) {
        t = new_node(l, T_IMAGE, n);
        if (!t)
            return NULL;
        box_attrs(l, n, t);
        if (!t->has_w || !t->has_h)
            fail_at(l, n, "<image> needs w= and h=");
        image_attrs(l, n, t);
    } else if (is(n, "qr")) {
        t = new_node(l, T_QR, n);
        if (!t)
            return NULL;
        if (!length_attr(l, n, "x", &t->x) || !length_attr(l, n, "y", &t->y))
            fail_at(l, n, "<qr> needs x= and y=");
        qr_attrs(l, n, t);
    } else if (is(n, "line")) {
        t = new_node(l, T_LINE, n);
        if (!t)
            return NULL;
        if (!length_attr(l, n, "x1", &t->x) || !length_attr(l, n, "y1", &t->y) ||
            !length_attr(l, n, "x2", &t->x2) || !length_attr(l, n, "y2", &t->y2))
            fail_at(l, n, "<line> needs x1=, y1=, x2= and y2=");
        stroke_attrs(l, n, t);
    } else if (is(n, "rect")) {
        t = new_node(l, T_RECT, n);
        if (!t)
            return NULL;
        box_attrs(l, n, t);
        if (!t->has_w || !t->has_h)
            fail_at(l, n, "<rect> needs w= and h=");
        stroke_attrs(l, n, t);
        v = attr(n, "width");
        t->do_stroke = v != NULL || !xmlHasProp(n, BAD_CAST "fill");
        xmlFree(v);
        t->do_fill = colour_attr(l, n, "fill", &t->fill);
        length_attr(l, n, "radius", &t->radius);
    } else if (is(n, "border")) {
        t = new_node(l, T_BORDER, n);
        if (!t)
            return NULL;
        t->x = 12 * MM;
        length_attr(l, n, "inset", &t->x);
        t->line_width = 1.2f;
        length_attr(l, n, "width", &t->line_width);
        t->stroke = (struct rgb){0.11f, 0.21f, 0.34f};
        colour_attr(l, n, "colour", &t->stroke);
        t->accent = (struct rgb){0.69f, 0.55f, 0.24f};
        colour_attr(l, n, "accent", &t->accent);
        v = attr(n, "pattern");
        t->pattern = !v || !strcmp(v, "guilloche") ? BORDER_GUILLOCHE
                     : !strcmp(v, "double") ? BORDER_DOUBLE : BORDER_SIMPLE;
        xmlFree(v);
    } else if (is(n, "each") || is(n, "if")) {
        t = new_node(l, is(n, "each") ? T_EACH : T_IF, n);
        if (!t)
            return NULL;
        t->expr = expr_attr(l, n, is(n, "each") ? "select" : "test", true);
        length_attr(l, n, "step", &t->step);
        t->children = load_placed_list(l, n);
    }
    return t;
}

static struct tnode *load_placed_list(struct loader *l, xmlNodePtr parent)
{
    struct tnode *head = NULL, **tail = &head;
    xmlNodePtr c;

    for (c = parent->children; c && !l->failed; c = c->next) {
        struct tnode *t;
        if (c->type != XML_ELEMENT_NODE)
            continue;
        t = load_placed(l, c);
        if (t) {
            *tail = t;
            tail = &t->next;
        }
    }
    return head;
}

/* The style an element gets by default: a named style of that name if the
 * template defines one, else the base style adjusted. */
static struct tstyle default_style(struct loader *l, const char *name, const struct tstyle *st)
{
    const struct tstyle *s = find_style(l, name);
    struct tstyle out = *st;

    if (s)
        return *s;
    if (!strcmp(name, "h1") || !strcmp(name, "h2") || !strcmp(name, "h3")) {
        float k = name[1] == '1' ? 1.6f : name[1] == '2' ? 1.3f : 1.1f;
        out.size = st->size * k;
        out.bold = true;
        out.space_before = out.size * 0.9f;
        out.space_after = out.size * 0.35f;
        out.leading = 1.2f;
    } else if (!strcmp(name, "th")) {
        out.bold = true;
    }
    return out;
}

static struct tnode *load_rows(struct loader *l, xmlNodePtr parent, const struct tstyle *st,
                               const struct tstyle *header);

static struct tnode *load_row(struct loader *l, xmlNodePtr n, const struct tstyle *st,
                              const struct tstyle *header)
{
    struct tnode *t = new_node(l, T_ROW, n), **tail;
    char *v = attr(n, "header");
    xmlNodePtr c;

    if (!t)
        return NULL;
    t->header = v && (!strcmp(v, "true") || !strcmp(v, "1"));
    xmlFree(v);
    tail = &t->children;
    for (c = n->children; c && !l->failed; c = c->next) {
        struct tnode *cell;
        if (!is(c, "cell"))
            continue;
        cell = new_node(l, T_CELL, c);
        if (!cell)
            break;
        apply_style(l, c, t->header ? header : st, &cell->style);
        cell->span = int_attr(l, c, "span", 1, MAX_COLUMNS, 1);
        cell->children = load_inline(l, c, &cell->style);
        *tail = cell;
        tail = &cell->next;
    }
    return t;
}

static struct tnode *load_rows(struct loader *l, xmlNodePtr parent, const struct tstyle *st,
                               const struct tstyle *header)
{
    struct tnode *head = NULL, **tail = &head;
    xmlNodePtr c;

    for (c = parent->children; c && !l->failed; c = c->next) {
        struct tnode *t = NULL;
        if (is(c, "row"))
            t = load_row(l, c, st, header);
        else if (is(c, "each") || is(c, "if")) {
            t = new_node(l, is(c, "each") ? T_EACH : T_IF, c);
            if (t) {
                t->expr = expr_attr(l, c, is(c, "each") ? "select" : "test", true);
                t->children = load_rows(l, c, st, header);
            }
        }
        if (t) {
            *tail = t;
            tail = &t->next;
        }
    }
    return head;
}

static void load_columns(struct loader *l, xmlNodePtr n, struct tnode *t)
{
    char *v = attr(n, "columns"), *save = NULL, *tok;

    for (tok = v ? strtok_r(v, " ", &save) : NULL; tok; tok = strtok_r(NULL, " ", &save)) {
        if (t->ncolumns == MAX_COLUMNS) {
            fail_at(l, n, "a table has at most %d columns", MAX_COLUMNS);
            break;
        }
        if (!strcmp(tok, "*"))
            t->columns[t->ncolumns++] = -1;
        else if (tok[strlen(tok) - 1] == '*') {
            double share;
            if (!parse_number(tok, "*", 0.01, 100, &share)) {
                char clip[60];
                fail_at(l, n, "table column share '%s' must be from 0.01* to 100*",
                        text_clip(clip, sizeof clip, tok, 40));
                break;
            }
            t->columns[t->ncolumns++] = -(float)share;
        } else if (!parse_length(tok, &t->columns[t->ncolumns++])) {
            fail_at(l, n, "table column width '%s' is not a length or *", tok);
            break;
        }
    }
    if (!t->ncolumns && !l->failed)
        fail_at(l, n, "<table> needs columns=, like \"30mm * 40mm\"");
    xmlFree(v);
}

static struct tnode *load_items(struct loader *l, xmlNodePtr parent, const struct tstyle *st)
{
    struct tnode *head = NULL, **tail = &head;
    xmlNodePtr c;

    for (c = parent->children; c && !l->failed; c = c->next) {
        struct tnode *t = NULL;
        if (is(c, "item")) {
            t = new_node(l, T_ITEM, c);
            if (t) {
                apply_style(l, c, st, &t->style);
                t->children = load_inline(l, c, &t->style);
            }
        } else if (is(c, "each") || is(c, "if")) {
            t = new_node(l, is(c, "each") ? T_EACH : T_IF, c);
            if (t) {
                t->expr = expr_attr(l, c, is(c, "each") ? "select" : "test", true);
                t->children = load_items(l, c, st);
            }
        }
        if (t) {
            *tail = t;
            tail = &t->next;
        }
    }
    return head;
}

static struct tnode *load_block(struct loader *l, xmlNodePtr n, const struct tstyle *st)
{
    struct tnode *t = NULL;
    const char *name = (const char *)n->name;
    char *v;

    if (is(n, "h1") || is(n, "h2") || is(n, "h3") || is(n, "p")) {
        struct tstyle def = default_style(l, name, st);
        t = new_node(l, name[0] == 'p' ? T_P : name[1] == '1' ? T_H1 : name[1] == '2' ? T_H2
                                                                                  : T_H3, n);
        if (!t)
            return NULL;
        apply_style(l, n, &def, &t->style);
        t->children = load_inline(l, n, &t->style);
    } else if (is(n, "list")) {
        t = new_node(l, T_LIST, n);
        if (!t)
            return NULL;
        {
            struct tstyle def = default_style(l, "li", st);
            apply_style(l, n, &def, &t->style);
        }
        v = attr(n, "marker");
        t->marker = !v || !strcmp(v, "bullet") ? 0 : !strcmp(v, "number") ? 1 : 2;
        xmlFree(v);
        t->children = load_items(l, n, &t->style);
    } else if (is(n, "table")) {
        struct tstyle def = default_style(l, "table", st), *hs;
        t = new_node(l, T_TABLE, n);
        hs = arena_alloc(&l->t->arena, sizeof *hs);
        if (!t || !hs)
            return NULL;
        apply_style(l, n, &def, &t->style);
        v = attr(n, "header-style");
        if (v) {
            const struct tstyle *s = find_style(l, v);
            if (!s)
                fail_at(l, n, "header-style '%s' is not defined", v);
            else
                *hs = *s;
        } else
            *hs = default_style(l, "th", &t->style);
        xmlFree(v);
        t->header_style = hs;
        load_columns(l, n, t);
        t->padding = 3;
        length_attr(l, n, "padding", &t->padding);
        t->has_rule = colour_attr(l, n, "rule", &t->rule);
        t->has_stripe = colour_attr(l, n, "stripe", &t->stripe);
        t->has_header_fill = colour_attr(l, n, "header-fill", &t->header_fill);
        t->children = load_rows(l, n, &t->style, hs);
    } else if (is(n, "image")) {
        t = new_node(l, T_BIMAGE, n);
        if (!t)
            return NULL;
        if (!length_attr(l, n, "w", &t->w) || !length_attr(l, n, "h", &t->h))
            fail_at(l, n, "<image> needs w= and h=");
        image_attrs(l, n, t);
    } else if (is(n, "qr")) {
        t = new_node(l, T_BQR, n);
        if (!t)
            return NULL;
        qr_attrs(l, n, t);
    } else if (is(n, "space")) {
        t = new_node(l, T_SPACE, n);
        if (t && !length_attr(l, n, "h", &t->h))
            fail_at(l, n, "<space> needs h=");
    } else if (is(n, "page-break")) {
        t = new_node(l, T_BREAK, n);
    } else if (is(n, "keep")) {
        t = new_node(l, T_KEEP, n);
        if (t)
            t->children = load_block_list(l, n, st);
    } else if (is(n, "each") || is(n, "if")) {
        t = new_node(l, is(n, "each") ? T_EACH : T_IF, n);
        if (!t)
            return NULL;
        t->expr = expr_attr(l, n, is(n, "each") ? "select" : "test", true);
        t->children = load_block_list(l, n, st);
    }
    return t;
}

static struct tnode *load_block_list(struct loader *l, xmlNodePtr parent, const struct tstyle *st)
{
    struct tnode *head = NULL, **tail = &head;
    xmlNodePtr c;

    for (c = parent->children; c && !l->failed; c = c->next) {
        struct tnode *t;
        if (c->type != XML_ELEMENT_NODE || is(c, "header") || is(c, "footer"))
            continue;
        t = load_block(l, c, st);
        if (t) {
            *tail = t;
            tail = &t->next;
        }
    }
    return head;
}

/* ---- pages ----------------------------------------------------------- */

static void page_setup(struct loader *l, xmlNodePtr n, struct tnode *t, const struct tnode *dflt)
{
    static const struct { const char *name; float w, h; } sizes[] = {
        {"A4", 595.276f, 841.890f}, {"A5", 419.528f, 595.276f}, {"A3", 841.890f, 1190.551f},
        {"Letter", 612, 792}, {"Legal", 612, 1008},
    };
    char *v;
    size_t i;

    if (dflt) {
        t->page_w = dflt->page_w;
        t->page_h = dflt->page_h;
        memcpy(t->margin, dflt->margin, sizeof t->margin);
    }
    if ((v = attr(n, "size"))) {
        for (i = 0; i < ARRAY_SIZE(sizes); i++)
            if (!strcasecmp(v, sizes[i].name)) {
                t->page_w = sizes[i].w;
                t->page_h = sizes[i].h;
                break;
            }
        if (i == ARRAY_SIZE(sizes)) {
            char *a = strtok(v, " "), *b = a ? strtok(NULL, " ") : NULL;
            if (!a || !b || !parse_length(a, &t->page_w) || !parse_length(b, &t->page_h) ||
                t->page_w < 72 || t->page_h < 72)
                fail_at(l, n, "page size must be A4, A5, A3, Letter, Legal or 'W H' lengths");
        }
        xmlFree(v);
    }
    if ((v = attr(n, "orientation"))) {
        bool landscape = !strcmp(v, "landscape");
        if (landscape != (t->page_w > t->page_h)) {
            float w = t->page_w;
            t->page_w = t->page_h;
            t->page_h = w;
        }
        xmlFree(v);
    }
    if ((v = attr(n, "margin"))) {
        float m[4];
        int k = 0;
        char *save = NULL, *tok;

        for (tok = strtok_r(v, " ", &save); tok && k < 4; tok = strtok_r(NULL, " ", &save))
            if (!parse_length(tok, &m[k++]))
                k = 9;
        if (tok)                 /* a fifth length, or one that was not a length */
            k = 9;
        if (k == 1)
            m[1] = m[2] = m[3] = m[0];
        else if (k == 2)
            m[2] = m[0], m[3] = m[1];
        else if (k == 3)
            m[3] = m[1];
        if (k < 1 || k > 4)
            fail_at(l, n, "margin must be one to four lengths");
        else
            memcpy(t->margin, m, sizeof m);
        xmlFree(v);
    }
    if (t->margin[0] + t->margin[2] > t->page_h * 0.8f ||
        t->margin[1] + t->margin[3] > t->page_w * 0.8f)
        fail_at(l, n, "the margins leave too little of the page");
}

static struct tnode *load_section(struct loader *l, xmlNodePtr n, const struct tnode *dflt)
{
    struct tnode *t = new_node(l, is(n, "page") ? T_PAGE : T_FLOW, n);
    xmlNodePtr c;

    if (!t)
        return NULL;
    page_setup(l, n, t, dflt);
    if (t->kind == T_FLOW && length_attr(l, n, "first-top", &t->first_top) &&
        t->first_top + t->margin[2] > t->page_h * 0.9f)
        fail_at(l, n, "first-top leaves too little of the page");
    if (t->kind == T_PAGE) {
        t->children = load_placed_list(l, n);
        return t;
    }
    /* header/footer first (in t->children as T_HEADER/T_FOOTER), then blocks */
    {
        struct tnode **tail = &t->children;
        for (c = n->children; c && !l->failed; c = c->next) {
            struct tnode *r;
            char *v;
            if (!is(c, "header") && !is(c, "footer"))
                continue;
            r = new_node(l, is(c, "header") ? T_HEADER : T_FOOTER, c);
            if (!r)
                break;
            v = attr(c, "pages");
            r->pages = !v || !strcmp(v, "all") ? PAGES_ALL : !strcmp(v, "first") ? PAGES_FIRST
                                                                               : PAGES_REST;
            xmlFree(v);
            r->children = load_placed_list(l, c);
            *tail = r;
            tail = &r->next;
        }
        *tail = load_block_list(l, n, &l->t->base);
    }
    return t;
}

/* ---- the whole template ------------------------------------------------ */

static pthread_once_t schema_once = PTHREAD_ONCE_INIT;
static xmlSchemaPtr schema;

static void compile_schema(void)
{
    schema = xml_schema_compile("schema/template-1.xsd");
}

static xmlDocPtr parse_template(const char *file, const unsigned char *bytes, size_t size,
                                attache_error *err)
{
    struct xml_first_error se = {file, "template: ", err, false};
    xmlSchemaValidCtxtPtr vc;
    xmlDocPtr doc;

    if (!xml_screen(bytes, size, file, "templates", err))
        return NULL;
    doc = xml_read(bytes, size, file, XML_PARSE_BIG_LINES | XML_PARSE_NOCDATA,
                   xml_first_error_record, &se);
    if (!doc) {
        if (!se.seen)
            err_set(err, ATTACHE_ERR_DATA, file, 0, "template is not well-formed XML");
        else if (!strncmp(err->message, "template: ", 10))   /* a parse error, not the schema's */
            memmove(err->message, err->message + 10, strlen(err->message + 10) + 1);
        return NULL;
    }
    vc = xmlSchemaNewValidCtxt(schema);
    if (!vc) {
        xmlFreeDoc(doc);
        err_set(err, ATTACHE_ERR_INTERNAL, file, 0, "out of memory");
        return NULL;
    }
    xmlSchemaSetValidStructuredErrors(vc, xml_first_error_record, &se);
    if (xmlSchemaValidateDoc(vc, doc) != 0) {
        if (!se.seen)
            err_set(err, ATTACHE_ERR_DATA, file, 0, "template does not follow the template schema");
        xmlSchemaFreeValidCtxt(vc);
        xmlFreeDoc(doc);
        return NULL;
    }
    xmlSchemaFreeValidCtxt(vc);
    return doc;
}

static void build(struct loader *l, xmlNodePtr root)
{
    struct template *t = l->t;
    struct tnode dflt = {0}, **tail = &t->sections;
    xmlNodePtr c;
    char *v;

    v = attr(root, "version");
    if (v && strcmp(v, "1"))
        fail_at(l, root, "template version '%s' is not supported; this attache reads version 1", v);
    xmlFree(v);
    t->name = attr(root, "name");
    t->kind = attr(root, "kind");
    t->description = attr(root, "description");
    if (!t->description)
        t->description = (char *)xmlStrdup(BAD_CAST "");
    t->select = xmlHasProp(root, BAD_CAST "select") ? expr_attr(l, root, "select", true) : -1;
    t->title = inline_attr(l, root, "title");
    t->subject = inline_attr(l, root, "subject");
    t->qr_max_version = int_attr(l, root, "qr-max-version", 1, 40, 0);
    dflt.page_w = 595.276f;
    dflt.page_h = 841.890f;
    dflt.margin[0] = dflt.margin[1] = dflt.margin[2] = dflt.margin[3] = 20 * MM;
    page_setup(l, root, &dflt, NULL);
    for (c = root->children; c && !l->failed; c = c->next) {
        if (is(c, "font"))
            load_font(l, c);
        else if (is(c, "style"))
            load_style(l, c);
        else if (is(c, "page") || is(c, "flow")) {
            struct tnode *s = load_section(l, c, &dflt);
            if (s) {
                *tail = s;
                tail = &s->next;
            }
        }
    }
}

/* Whether a template's name names a file (a path, or *.xml), not a built-in one. */
bool template_is_file(const char *name_or_path)
{
    size_t n = strlen(name_or_path);

    return strchr(name_or_path, '/') || (n > 4 && !strcmp(name_or_path + n - 4, ".xml"));
}

struct template *template_load(const char *name_or_path, attache_error *err)
{
    struct loader l = {0};
    struct template *t = calloc(1, sizeof *t);
    const struct resource *r = NULL;
    unsigned char *bytes = NULL;
    size_t size = 0;
    xmlDocPtr doc = NULL;
    char key[300];
    bool is_file = template_is_file(name_or_path);

    pthread_once(&schema_once, compile_schema);
    if (!t || !schema) {
        free(t);
        err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0,
                t ? "the compiled-in template schema does not compile" : "out of memory");
        return NULL;
    }
    t->select = -1;
    if (is_file) {
        char *copy = strdup(name_or_path);
        if (attache_read_input(name_or_path, MAX_TEMPLATE_FILE, &bytes, &size, err) != ATTACHE_OK) {
            free(copy);
            free(t);
            return NULL;
        }
        t->path = strdup(name_or_path);
        t->dir = copy ? strdup(dirname(copy)) : NULL;
        free(copy);
        if (!t->path || !t->dir) {
            err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
            free(bytes);
            template_free(t);
            return NULL;
        }
    } else {
        snprintf(key, sizeof key, "templates/%s.xml", name_or_path);
        r = resource_find(key);
        if (!r) {
            char clip[80];
            err_set(err, ATTACHE_ERR_USAGE, NULL, 0,
                    "no built-in template '%s'; see 'attache templates', or give a file path",
                    text_clip(clip, sizeof clip, name_or_path, 40));
            free(t);
            return NULL;
        }
    }
    l.t = t;
    l.file = is_file ? name_or_path : key;
    l.err = err;
    t->fonts = font_set_new(err);
    if (!t->fonts)
        goto fail;
    t->base.family = font_family_find(t->fonts, "serif");
    t->base.size = 11;
    t->base.leading = 1.35f;
    crypto_hash_sha256_init(&l.inputs);
    crypto_hash_sha256_update(&l.inputs, is_file ? bytes : r->data, is_file ? size : r->size);
    doc = parse_template(l.file, is_file ? bytes : r->data, is_file ? size : r->size, err);
    if (!doc)
        goto fail;
    l.xp = xmlXPathNewContext(doc);
    if (!l.xp) {
        err_set(err, ATTACHE_ERR_INTERNAL, l.file, 0, "out of memory");
        goto fail;
    }
    l.xp->error = on_xpath_error;
    l.xp->userData = &l;
    template_register_functions(l.xp);
    build(&l, xmlDocGetRootElement(doc));
    if (l.failed)
        goto fail;
    crypto_hash_sha256_final(&l.inputs, t->hash);
    if (!t->sections) {
        err_set(err, ATTACHE_ERR_DATA, l.file, 0, "template has no <page> or <flow>");
        goto fail;
    }
    goto done;
fail:
    template_free(t);
    t = NULL;
done:
    for (size_t i = 0; i < l.nstyles; i++)
        free(l.styles[i].name);
    free(l.styles);
    if (l.xp)
        xmlXPathFreeContext(l.xp);
    xmlFreeDoc(doc);
    free(bytes);
    return t;
}

void template_free(struct template *t)
{
    int i;

    if (!t)
        return;
    xmlFree(t->name);
    xmlFree(t->kind);
    xmlFree(t->description);
    free(t->path);
    free(t->dir);
    for (i = 0; i < t->nexprs; i++)
        free(t->exprs[i]);
    free(t->exprs);
    font_set_free(t->fonts);
    arena_release(&t->arena);
    free(t);
}

attache_status template_compile(const struct template *t, struct template_exprs *out,
                                 attache_error *err)
{
    int i;

    out->n = t->nexprs;
    out->comp = calloc((size_t)(t->nexprs ? t->nexprs : 1), sizeof *out->comp);
    if (!out->comp)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    for (i = 0; i < t->nexprs; i++) {
        out->comp[i] = xmlXPathCompile(BAD_CAST t->exprs[i]);
        if (!out->comp[i]) {
            template_exprs_release(out);
            return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "cannot compile '%s'", t->exprs[i]);
        }
    }
    return ATTACHE_OK;
}

void template_exprs_release(struct template_exprs *e)
{
    int i;

    if (!e->comp)
        return;
    for (i = 0; i < e->n; i++)
        xmlXPathFreeCompExpr(e->comp[i]);
    free(e->comp);
    e->comp = NULL;
}

attache_status attache_template_check_kind(const char *name_or_path, const char *kind,
                                           attache_error *err)
{
    struct template *t = template_load(name_or_path, err);
    attache_status rc = ATTACHE_OK;

    if (!t)
        return err->code;
    if (strcmp(t->kind, kind))
        rc = err_set(err, ATTACHE_ERR_USAGE, name_or_path, 0,
                     "this template makes '%s' documents, not '%s'; use 'attache render' "
                     "for it", t->kind, kind);
    template_free(t);
    return rc;
}

/*
 * Unit tests of src/compose_typeset.c: measuring runs as a paragraph,
 * breaking it into lines, balancing two lines, a line's height and baseline.
 *
 * Breaking and balancing are tested on paragraphs made here, whose
 * characters are 10 points wide and may break after each space, so that
 * the lines expected can be worked out by hand; measuring with the fonts
 * built into the library.
 */
#include <stdlib.h>
#include <string.h>

#include <linebreak.h>

#include "check.h"
#include "compose_private.h"
#include "template.h"

/* ---- paragraphs made by hand ------------------------------------------ */

static struct tstyle plain = {.size = 10, .leading = 1.2f};
static struct tstyle big = {.size = 14, .leading = 1.2f};
static struct tstyle tracked = {.size = 10, .tracking = 0.1f, .leading = 1.2f};

/* A stand-in for a face: line_stats() only passes it on. */
static const struct font_face *const face_a = (const struct font_face *)&plain;
static const struct font_face *const face_b = (const struct font_face *)&big;

/*
 * `text` (ASCII) as a paragraph, every character `adv` wide in style `st`,
 * a break allowed after each space and required at each '\n'.  Capital
 * letters are in `big` (face_b), the others in `st` (face_a).
 */
static struct para make_para(const char *text, float adv, const struct tstyle *st)
{
    struct para p = {0};
    size_t i;

    p.text = (char *)text;
    p.len = strlen(text);
    p.n = p.len;
    p.g = calloc(p.n ? p.n : 1, sizeof *p.g);
    for (i = 0; i < p.n; i++) {
        struct glyph *g = &p.g[i];
        bool upper = text[i] >= 'A' && text[i] <= 'Z';

        g->cp = (unsigned char)text[i];
        g->off = (uint32_t)i;
        g->len = 1;
        g->st = upper ? &big : st;
        g->face = upper ? face_b : face_a;
        g->adv = text[i] == '\n' ? 0 : adv;
        g->space = text[i] == ' ';
        g->newline = text[i] == '\n';
        g->brk = g->newline ? LINEBREAK_MUSTBREAK : g->space ? LINEBREAK_ALLOWBREAK
                                                            : LINEBREAK_NOBREAK;
        p.breaks |= g->newline;
    }
    return p;
}

/* The lines' text joined by '|', e.g. "aaa bbb|ccc". */
static const char *lines_text(const struct para *p, const struct line *lines, size_t n)
{
    static char out[256];
    size_t i, len = 0;

    out[0] = '\0';
    for (i = 0; i < n && len + 2 < sizeof out; i++) {
        size_t k = lines[i].b - lines[i].a;

        if (i)
            out[len++] = '|';
        if (len + k >= sizeof out)
            break;
        memcpy(out + len, p->text + lines[i].a, k);
        len += k;
        out[len] = '\0';
    }
    return out;
}

static const struct {
    const char *text;
    float width;
    const char *lines;
} breaks[] = {
    {"aaa bbb ccc", 75, "aaa bbb|ccc"},
    {"aaa bbb ccc", 110, "aaa bbb ccc"},
    {"aaa bbb ccc", 70, "aaa bbb|ccc"},          /* exactly full */
    {"aaa bbb ccc", 69, "aaa|bbb|ccc"},
    {"aaa bbb", 30, "aaa|bbb"},                  /* the space at the break is not counted */
    {"aaaaaaaaaa", 35, "aaa|aaa|aaa|a"},         /* a word longer than the line */
    {"aa aaaaaaaa", 35, "aa|aaa|aaa|aa"},
    {"a", 5, "a"},                               /* a line holds one character at least */
    {"ab\ncd", 1000, "ab|cd"},                   /* <br/> */
    {"ab\n\ncd", 1000, "ab||cd"},
    {"aaa bbb\nc", 35, "aaa|bbb|c"},
    {"aaa   bbb", 45, "aaa|bbb"},                /* spaces at a break all go */
};

static void test_break_lines(void)
{
    size_t i;

    for (i = 0; i < sizeof breaks / sizeof breaks[0]; i++) {
        struct para p = make_para(breaks[i].text, 10, &plain);
        struct line lines[16];
        size_t n = typeset_break_lines(&p, breaks[i].width, lines, 16);

        CHECK_STR(lines_text(&p, lines, n), breaks[i].lines);
        /* counting alone gives the same number */
        CHECK_INT(typeset_break_lines(&p, breaks[i].width, NULL, 0), n);
        free(p.g);
    }
}

static void test_break_lines_some(void)
{
    struct para p = make_para("aaa bbb ccc ddd", 10, &plain);
    struct line lines[2];

    /* more lines than room: the count is right, the first `max` are filled */
    CHECK_INT(typeset_break_lines(&p, 35, lines, 2), 4);
    CHECK_STR(lines_text(&p, lines, 2), "aaa|bbb");
    free(p.g);

    p = make_para("", 10, &plain);
    CHECK_INT(typeset_break_lines(&p, 35, lines, 2), 1);
    CHECK_INT(lines[0].a, 0);
    CHECK_INT(lines[0].b, 0);
    free(p.g);
}

static void test_line_stats(void)
{
    struct para p = make_para("a b c ", 10, &plain);
    struct line ln = {0, 6, 0, 0, NULL, 0};

    typeset_line_stats(&p, &ln);
    CHECK_INT(ln.b, 5);                          /* trailing space left out */
    CHECK(ln.width == 50);
    CHECK_INT(ln.spaces, 2);
    CHECK(ln.size == 10);
    CHECK(ln.face == face_a);
    free(p.g);

    /* the largest size sets the line's size and face */
    p = make_para("ab Cd", 10, &plain);
    ln = (struct line){0, 5, 0, 0, NULL, 0};
    typeset_line_stats(&p, &ln);
    CHECK(ln.size == 14);
    CHECK(ln.face == face_b);
    free(p.g);

    /* the last character's letter spacing is not part of the width */
    p = make_para("ab", 10, &tracked);
    ln = (struct line){0, 2, 0, 0, NULL, 0};
    typeset_line_stats(&p, &ln);
    CHECK(ln.width == 19);
    free(p.g);

    /* an empty line takes its size and face from where it starts */
    p = make_para("ab\n\ncd", 10, &plain);
    ln = (struct line){3, 3, 0, 0, NULL, 0};
    typeset_line_stats(&p, &ln);
    CHECK(ln.width == 0);
    CHECK(ln.size == 10);
    CHECK(ln.face == face_a);
    free(p.g);
}

static const struct {
    const char *text;
    float width;
    const char *lines;           /* NULL: not balanced */
} balances[] = {
    /* greedy at 100 gives "aaaa bb cc|dddd"; balanced is even */
    {"aaaa bb cc dddd", 200, "aaaa bb|cc dddd"},
    {"aaaa bb cc dddd", 70, "aaaa bb|cc dddd"},
    {"aa bb", 100, "aa|bb"},
    {"aaaa bbbb", 30, NULL},                     /* neither half fits */
    {"aaaaaaaa", 100, NULL},                     /* no place to break */
    {"aa\nbb cc", 100, NULL},                    /* its own line breaks decide */
    {"", 100, NULL},
};

static void test_balance_two(void)
{
    size_t i;

    for (i = 0; i < sizeof balances / sizeof balances[0]; i++) {
        struct para p = make_para(balances[i].text, 10, &plain);
        struct line lines[2];
        bool ok = typeset_balance_two(&p, balances[i].width, lines);

        CHECK_INT(ok, balances[i].lines != NULL);
        if (ok && balances[i].lines)
            CHECK_STR(lines_text(&p, lines, 2), balances[i].lines);
        free(p.g);
    }
}

/* ---- heights, with a real face ----------------------------------------- */

static void test_heights(struct font_set *fonts)
{
    const struct font_face *face = font_family_face(font_family_find(fonts, "serif"), 0);
    struct line ln = {0, 1, 100, 10, face, 0};
    struct tstyle st = plain;
    float asc = (float)font_ascender(face), desc = (float)font_descender(face), off;

    CHECK(face != NULL);
    CHECK(typeset_line_height(&ln, &st, 1) == 12.0f);
    CHECK(typeset_line_height(&ln, &st, 0.5f) == 6.0f);
    /* a line exactly as tall as the face: the baseline is the ascender below its top */
    st.leading = asc - desc;
    off = typeset_baseline_offset(&ln, &st, 1);
    CHECK(off > asc * 10 - 0.001f && off < asc * 10 + 0.001f);
    /* extra leading is shared above and below: half of it goes above */
    st.leading += 0.4f;
    CHECK(typeset_baseline_offset(&ln, &st, 1) - off > 1.999f);
    CHECK(typeset_baseline_offset(&ln, &st, 1) - off < 2.001f);
    /* at half the scale, half as far */
    CHECK(typeset_baseline_offset(&ln, &st, 0.5f) * 2 - typeset_baseline_offset(&ln, &st, 1) <
          0.001f);
}

/* ---- measuring ------------------------------------------------------------ */

struct measuring {
    struct template t;
    struct composer c;
    struct compose_env env;
    struct doc_vars v;
    attache_error err;
    struct ctx x;
};

static void measuring_init(struct measuring *m, struct font_set *fonts)
{
    memset(m, 0, sizeof *m);
    m->t.fonts = fonts;
    m->env.t = &m->t;
    m->env.data_name = "data.xml";
    m->v.officer_id = "kh-01";
    m->v.officer_line = 7;
    attache_error_clear(&m->err);
    m->c.env = &m->env;
    m->x.c = &m->c;
    m->x.t = &m->t;
    m->x.env = &m->env;
    m->x.v = &m->v;
    m->x.err = &m->err;
    m->x.d = document_new();
}

static void measuring_release(struct measuring *m)
{
    document_free(m->x.d);
    memo_free(m->c.paragraphs);
}

static void add(struct runs *r, const char *text, const struct tstyle *st, const char *origin,
                unsigned line)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 8;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
    }
    r->v[r->n++] = (struct run){text, st, origin, line};
}

static void test_measure(struct font_set *fonts)
{
    struct measuring m;
    struct tstyle serif = plain, bold;
    struct runs r = {0};
    struct para p;

    serif.family = font_family_find(fonts, "serif");
    bold = serif;
    bold.bold = true;
    measuring_init(&m, fonts);

    /* white space collapsed across runs and trimmed; each character keeps its run's style */
    add(&r, "  Dear ", &serif, NULL, 3);
    add(&r, "  Ratha ", &bold, "name", 3);
    add(&r, " , welcome  ", &serif, NULL, 3);
    CHECK(typeset_measure(&m.x, &r, &p));
    CHECK_STR(p.text, "Dear Ratha , welcome");
    CHECK_INT(p.n, strlen("Dear Ratha , welcome"));
    CHECK(p.g[0].st == &serif);
    CHECK(p.g[5].st == &bold);
    CHECK(p.g[9].st == &bold);
    CHECK(p.g[11].st == &serif);
    CHECK(!p.breaks);
    /* a break is allowed after a space, not inside a word */
    CHECK_INT(p.g[4].brk, LINEBREAK_ALLOWBREAK);
    CHECK_INT(p.g[1].brk, LINEBREAK_NOBREAK);
    /* widths: the bold face is wider than the regular one */
    CHECK(p.g[0].adv > 0);
    CHECK(p.g[4].space && p.g[4].adv > 0);

    /* a line break of its own, with the space before it dropped */
    r.n = 0;
    add(&r, "one ", &serif, NULL, 4);
    add(&r, "\n", &serif, NULL, 4);
    add(&r, " two", &serif, NULL, 4);
    CHECK(typeset_measure(&m.x, &r, &p));
    CHECK_STR(p.text, "one\ntwo");
    CHECK(p.breaks);
    CHECK(p.g[3].newline);
    CHECK_INT(p.g[3].brk, LINEBREAK_MUSTBREAK);
    CHECK(p.g[3].adv == 0);

    /* nothing but space */
    r.n = 0;
    add(&r, "   ", &serif, NULL, 4);
    add(&r, "\n", &serif, NULL, 4);
    CHECK(typeset_measure(&m.x, &r, &p));
    CHECK_STR(p.text, "");
    CHECK_INT(p.n, 0);
    CHECK_INT(m.err.code, ATTACHE_OK);

    /* a character no font draws names the officer, the field and the code point */
    r.n = 0;
    add(&r, "Ratha", &serif, NULL, 3);
    add(&r, "x\xee\x80\x80y", &serif, "ministry", 3);
    CHECK(!typeset_measure(&m.x, &r, &p));
    CHECK_INT(m.err.code, ATTACHE_ERR_DATA);
    CHECK_STR(m.err.file, "data.xml");
    CHECK_INT(m.err.line, 7);
    CHECK_STR(m.err.message, "officer 'kh-01': {ministry} 'x\xee\x80\x80y' has U+E000, which "
                             "no font of the template can draw");
    measuring_release(&m);

    /* text written right to left, from the template's own text */
    measuring_init(&m, fonts);
    r.n = 0;
    add(&r, "\xd8\xa7", &serif, NULL, 12);
    CHECK(!typeset_measure(&m.x, &r, &p));
    CHECK_STR(m.err.message, "officer 'kh-01': the template's text (line 12) '\xd8\xa7' has "
                             "U+0627 in Arabic script, which is written right to left; this "
                             "version of attache sets text left to right");
    measuring_release(&m);

    /* a Khmer cluster (coeng and a vowel around a consonant) is measured by its
       first character and never broken: "ខ្មែរ" is two clusters */
    measuring_init(&m, fonts);
    r.n = 0;
    add(&r, "\xe1\x9e\x81\xe1\x9f\x92\xe1\x9e\x98\xe1\x9f\x82\xe1\x9e\x9a", &serif,
        NULL, 3);
    CHECK(typeset_measure(&m.x, &r, &p));
    CHECK_INT(p.n, 5);
    CHECK_STR(font_face_name(p.g[0].face), "AttacheSerifKhmer-Regular");
    CHECK(p.g[0].adv > 0 && !p.g[0].cont);
    for (size_t k = 1; k < 4; k++)
        CHECK(p.g[k].adv == 0 && p.g[k].cont);
    for (size_t k = 0; k < 3; k++)
        CHECK_INT(p.g[k].brk, LINEBREAK_NOBREAK);
    CHECK(p.g[4].adv > 0 && !p.g[4].cont);
    CHECK(p.nsg >= 4);
    CHECK_INT(typeset_glyphs_end(&p, 0), p.g[4].sg);
    measuring_release(&m);
    free(r.v);
}

/*
 * A paragraph of more runs than an unsigned short counts: each character
 * still has its own run's style, and an error names its own run.
 */
/*
 * A paragraph measured again comes from the composer's memo: the same
 * text, characters and glyphs, in the document's arena; the same text in
 * another style is measured for that style.
 */
static void test_measure_remembered(struct font_set *fonts)
{
    struct measuring m;
    struct tstyle serif = plain, bold;
    struct runs r = {0}, rb = {0};
    struct para a, b, c;

    serif.family = font_family_find(fonts, "serif");
    bold = serif;
    bold.bold = true;
    measuring_init(&m, fonts);
    add(&r, "Certificate of Completion", &serif, NULL, 1);
    add(&rb, "Certificate of Completion", &bold, NULL, 1);
    CHECK(typeset_measure(&m.x, &r, &a));
    CHECK(m.c.paragraphs != NULL);
    CHECK(typeset_measure(&m.x, &r, &b));
    CHECK(a.text != b.text && a.g != b.g && a.sg != b.sg);   /* copies, not shared */
    CHECK_STR(b.text, a.text);
    CHECK_INT(b.n, a.n);
    CHECK_INT(b.nsg, a.nsg);
    CHECK(a.n && !memcmp(a.g, b.g, a.n * sizeof *a.g));
    CHECK(a.nsg && !memcmp(a.sg, b.sg, a.nsg * sizeof *a.sg));
    CHECK(typeset_measure(&m.x, &rb, &c));
    CHECK(c.n == a.n && c.g[0].st == &bold && c.g[0].adv > a.g[0].adv);
    /* and without a composer, measured all the same */
    m.x.c = NULL;
    CHECK(typeset_measure(&m.x, &r, &c));
    CHECK(c.nsg == a.nsg && !memcmp(c.sg, a.sg, a.nsg * sizeof *a.sg));
    m.x.c = &m.c;
    free(r.v);
    free(rb.v);
    measuring_release(&m);
}

static void test_measure_many_runs(struct font_set *fonts)
{
    enum { N = 70000 };
    struct measuring m;
    struct tstyle first = plain, rest = plain;
    struct runs r = {0};
    struct para p;
    size_t i, wrong = 0;

    first.family = rest.family = font_family_find(fonts, "serif");
    first.bold = true;
    measuring_init(&m, fonts);
    add(&r, "a", &first, NULL, 1);
    for (i = 1; i < N; i++)
        add(&r, "a", &rest, NULL, 2);
    CHECK(typeset_measure(&m.x, &r, &p));
    CHECK_INT(p.n, N);
    CHECK(p.g[0].st == &first);
    for (i = 1; i < p.n; i++)
        wrong += p.g[i].st != &rest;
    CHECK_INT(wrong, 0);
    CHECK(p.g[65536].st == &rest);

    /* the last run cannot be drawn: the message names it, not run 70000 - 65536 */
    r.v[N - 1] = (struct run){"\xee\x80\x80", &rest, "last", 9};
    CHECK(!typeset_measure(&m.x, &r, &p));
    CHECK_STR(m.err.message, "officer 'kh-01': {last} '\xee\x80\x80' has U+E000, which no font "
                             "of the template can draw");
    measuring_release(&m);
    free(r.v);
}

int main(void)
{
    attache_error err;
    struct font_set *fonts;

    attache_error_clear(&err);
    fonts = font_set_new(&err);
    CHECK(fonts != NULL);
    test_break_lines();
    test_break_lines_some();
    test_line_stats();
    test_balance_two();
    if (fonts) {
        test_heights(fonts);
        test_measure(fonts);
        test_measure_remembered(fonts);
        test_measure_many_runs(fonts);
    }
    font_set_free(fonts);
    return check_done();
}

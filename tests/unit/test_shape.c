/*
 * Unit tests of src/shape.c and the glyph subsetting of src/font.c: names in
 * Khmer (subscript consonants, pre-base vowels), Lao (stacked marks) and
 * Myanmar (medial ra drawn before its consonant) are shaped in the face the
 * style asks for, into exactly the glyphs and positions HarfBuzz's own
 * hb-shape gives for the same font file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "font.h"
#include "shape.h"
#include "text.h"
#include "util.h"

/* One run of a shaped string: the face and its glyphs. */
struct run {
    const struct font_face *face;
    size_t off, len;
    size_t g, ng;
};

/* Cut `s` into runs of one face, as the layout engine does, and shape each. */
static size_t shape_all(const struct font_set *fs, const char *family, enum font_style style,
                        const char *s, struct run *runs, size_t max, struct shape_glyphs *out)
{
    const struct font_family *fam = font_family_find(fs, family);
    const char *p = s, *end = s + strlen(s);
    const struct font_face *prev = NULL;
    size_t n = 0;

    while (p < end) {
        const char *at = p;
        const struct font_face *f = shape_pick(fs, fam, style, text_next(&p, end), prev);

        if (!f)
            return 0;
        if (!n || f != prev) {
            if (n == max)
                return 0;
            runs[n].face = f;
            runs[n].off = (size_t)(at - s);
            n++;
        }
        runs[n - 1].len = (size_t)(p - s) - runs[n - 1].off;
        prev = f;
    }
    for (size_t i = 0; i < n; i++) {
        runs[i].g = out->n;
        if (!shape_text(runs[i].face, s, strlen(s), runs[i].off, runs[i].len, true, out))
            return 0;
        runs[i].ng = out->n - runs[i].g;
    }
    return n;
}

/* hb-shape's text form of a run's glyphs: gid=cluster@dx,dy+advance|... */
static void serialize(const struct shape_glyphs *g, const struct run *r, char *out, size_t size)
{
    struct buf b = {0};

    buf_adds(&b, "[");
    for (size_t i = r->g; i < r->g + r->ng; i++) {
        const struct shaped_glyph *x = &g->v[i];
        if (i > r->g)
            buf_adds(&b, "|");
        buf_addf(&b, "%u=%u", x->gid, (unsigned)(x->cluster - r->off));
        if (x->x_offset || x->y_offset)
            buf_addf(&b, "@%d,%d", (int)x->x_offset, (int)x->y_offset);
        buf_addf(&b, "+%d", (int)x->x_advance);
    }
    buf_adds(&b, "]");
    snprintf(out, size, "%s", b.data ? b.data : "");
    buf_release(&b);
}

/* What hb-shape says for the run, with the text before it as context. */
static void hb_shape_says(const char *face, const char *s, const struct run *r, char *out,
                          size_t size)
{
    char cmd[1024];
    FILE *p;
    size_t n;

    snprintf(cmd, sizeof cmd,
             "LC_ALL=C.UTF-8 hb-shape --no-glyph-names --utf8-clusters --language=und "
             "--text-before='%.*s' fonts/%s.ttf '%.*s' 2>/dev/null",
             (int)r->off, s, face, (int)r->len, s + r->off);
    out[0] = '\0';
    p = popen(cmd, "r");
    if (!p)
        return;
    n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    while (n && (out[n - 1] == '\n'))
        out[--n] = '\0';
    pclose(p);
}

/* Each run of `s` is in a face called `want` (or the Latin face for spaces)
   and shapes exactly as hb-shape shapes it. */
static void check_name(const struct font_set *fs, const char *family, enum font_style style,
                       const char *s, const char *want)
{
    struct run runs[16];
    struct shape_glyphs g = {0};
    size_t n = shape_all(fs, family, style, s, runs, 16, &g), i, native = 0;

    CHECK(n > 0);
    for (i = 0; i < n; i++) {
        char mine[2048], theirs[2048];
        const char *face = font_face_name(runs[i].face);

        if (!strcmp(face, want))
            native++;
        else if (strspn(s + runs[i].off, " ") < runs[i].len)
            CHECK_STR(face, want);       /* only spaces may be in another face */
        serialize(&g, &runs[i], mine, sizeof mine);
        hb_shape_says(face, s, &runs[i], theirs, sizeof theirs);
        CHECK_STR(mine, theirs);
    }
    CHECK(native > 0);
    shape_glyphs_release(&g);
}

static void test_native_names(const struct font_set *fs)
{
    /* Khmer: coeng subscripts (ដ្ឋ, ណ្ណ, ស្រ), a pre-base vowel (ែ) */
    check_name(fs, "serif", FONT_REGULAR, "ឈី រដ្ឋា", "AttacheSerifKhmer-Regular");
    check_name(fs, "serif", FONT_BOLD, "ជា សុវណ្ណារិទ្ធ", "AttacheSerifKhmer-Bold");
    check_name(fs, "sans", FONT_REGULAR, "កែវ ស្រីពៅ", "AttacheSansKhmer-Regular");
    check_name(fs, "serif-display", FONT_ITALIC, "ខ្មែរ", "AttacheSerifKhmer-Regular");
    /* Lao: a tone mark over a vowel sign over its consonant (ນ້ຳ, ສີ່) */
    check_name(fs, "serif", FONT_REGULAR, "ສຸກສະຫວັນ ແກ້ວມະນີ", "AttacheSerifLao-Regular");
    check_name(fs, "sans", FONT_BOLD, "ນ້ຳ ສີ່", "AttacheSansLao-Bold");
    /* Myanmar: medial ra (ြ) drawn before its consonant, medial ya, kinzi-free stacks */
    check_name(fs, "serif", FONT_REGULAR, "ငြိမ်းချမ်းအောင်", "AttacheSerifMyanmar-Regular");
    check_name(fs, "sans", FONT_BOLD, "မြင့် သီရိကျော်", "AttacheSansMyanmar-Bold");
    /* Latin takes the same path, with the font's kerning */
    check_name(fs, "serif", FONT_REGULAR, "AVAWAY Nguyễn", "AttacheSerif-Regular");
}

/* A cluster's characters are shaped together: the glyphs of "ខ្មែរ" fall in
   two clusters, and the pre-base vowel comes first in the first. */
static void test_clusters(const struct font_set *fs)
{
    const struct font_family *serif = font_family_find(fs, "serif");
    const struct font_face *km = font_pick(fs, serif, FONT_REGULAR, 0x1781);
    const char *s = "ខ្មែរ";
    struct shape_glyphs g = {0};
    size_t i;

    CHECK(km != NULL);
    if (!km)
        return;
    CHECK(shape_text(km, s, strlen(s), 0, strlen(s), true, &g));
    CHECK(g.n >= 3);
    for (i = 0; i < g.n; i++)
        CHECK(g.v[i].cluster == 0 || g.v[i].cluster == 12);
    CHECK_INT(g.v[0].gid, font_glyph(km, 0x17C2));   /* the vowel's left part first */
    /* a combining mark stays in the face of the letter before it */
    CHECK(shape_pick(fs, serif, FONT_REGULAR, 0x17C9, km) == km);
    CHECK(shape_pick(fs, serif, FONT_REGULAR, 0x0301, km) != km);
    shape_glyphs_release(&g);
}

/* Letter-spaced text is set without kerning: its advances are the font's own. */
static void test_no_kern(const struct font_set *fs)
{
    const struct font_face *f = font_family_face(font_family_find(fs, "serif"), FONT_REGULAR);
    const char *s = "AVAWAY";
    struct shape_glyphs kerned = {0}, plain = {0};
    bool differ = false;
    size_t i;

    CHECK(shape_text(f, s, strlen(s), 0, strlen(s), true, &kerned));
    CHECK(shape_text(f, s, strlen(s), 0, strlen(s), false, &plain));
    CHECK_INT(kerned.n, 6);
    CHECK_INT(plain.n, 6);
    for (i = 0; i < plain.n && i < kerned.n; i++) {
        CHECK_INT(plain.v[i].x_advance, font_glyph_width(f, plain.v[i].gid));
        differ |= kerned.v[i].x_advance != plain.v[i].x_advance;
    }
    CHECK(differ);
    shape_glyphs_release(&kerned);
    shape_glyphs_release(&plain);
}

static bool has_table(const unsigned char *font, size_t size, const char *tag)
{
    unsigned n = size >= 12 ? (unsigned)(font[4] << 8 | font[5]) : 0;

    for (unsigned i = 0; i < n && 12 + 16 * (i + 1) <= size; i++)
        if (!memcmp(font + 12 + 16 * i, tag, 4))
            return true;
    return false;
}

/* A subset holds the shaped glyphs, conjuncts without a character of their own
   included, and no layout tables. */
static void test_subset(const struct font_set *fs)
{
    const struct font_family *serif = font_family_find(fs, "serif");
    const struct font_face *km = font_pick(fs, serif, FONT_REGULAR, 0x1781);
    const char *s = "រដ្ឋា";
    struct shape_glyphs g = {0};
    unsigned gids[16], now[16];
    unsigned char *data = NULL;
    size_t size = 0, i, n;
    attache_error err = {0};
    bool conjunct = false;

    if (!km || !shape_text(km, s, strlen(s), 0, strlen(s), true, &g)) {
        CHECK(false);
        return;
    }
    n = g.n < 16 ? g.n : 16;
    for (i = 0; i < n; i++) {
        gids[i] = g.v[i].gid;
        conjunct |= gids[i] != font_glyph(km, 0x179A) && gids[i] != font_glyph(km, 0x178A) &&
                    gids[i] != font_glyph(km, 0x17D2) && gids[i] != font_glyph(km, 0x178B) &&
                    gids[i] != font_glyph(km, 0x17B6);
    }
    CHECK(conjunct);              /* the subscript ឋ is a glyph no character maps to */
    CHECK_INT(font_subset_glyphs(km, gids, n, false, now, &data, &size, &err), ATTACHE_OK);
    CHECK(size > 0);
    for (i = 0; i < n; i++)
        CHECK(now[i] > 0 && now[i] <= n);
    CHECK(has_table(data, size, "glyf"));
    CHECK(!has_table(data, size, "GSUB"));
    CHECK(!has_table(data, size, "GPOS"));
    CHECK(!has_table(data, size, "GDEF"));
    free(data);
    data = NULL;
    CHECK_INT(font_subset_glyphs(km, gids, n, true, now, &data, &size, &err), ATTACHE_OK);
    for (i = 0; i < n; i++)
        CHECK_INT(now[i], gids[i]);
    free(data);
    shape_glyphs_release(&g);
}

static void test_rtl(void)
{
    const char *script = NULL;

    CHECK(shape_is_rtl(0x0627, &script));
    CHECK_STR(script, "Arabic");
    CHECK(!shape_is_rtl(0x1780, NULL));
    CHECK(!shape_is_rtl('A', NULL));
}

int main(void)
{
    attache_error err = {0};
    struct font_set *fs = font_set_new(&err);

    CHECK(fs != NULL);
    if (fs) {
        test_native_names(fs);
        test_clusters(fs);
        test_no_kern(fs);
        test_subset(fs);
    }
    test_rtl();
    font_set_free(fs);
    return check_done();
}

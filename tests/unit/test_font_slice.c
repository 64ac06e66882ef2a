/*
 * test_font_slice.c: glyphs cut from every built-in face and from DejaVu
 * Serif (hinted, its accented letters composite glyphs), read back by
 * HarfBuzz, draw and advance as the face's own; a made-up face with hinted,
 * composite and nested composite glyphs loses its instructions and keeps
 * its outlines; outlines the slicer cannot read are refused, and HarfBuzz
 * cuts those faces instead (font.c).
 */
#include <hb-ot.h>
#include <hb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "font.h"
#include "font_slice.h"

/* ---- outlines as text ------------------------------------------------ */

struct outline {
    char s[1 << 16];
    size_t n;
    bool full;
};

static void add(struct outline *o, const char *fmt, double a, double b, double c, double d,
                double e, double f)
{
    int k;

    if (o->full)
        return;
    k = snprintf(o->s + o->n, sizeof o->s - o->n, fmt, a, b, c, d, e, f);
    if (k < 0 || (size_t)k >= sizeof o->s - o->n)
        o->full = true;
    else
        o->n += (size_t)k;
}

static void move_to(hb_draw_funcs_t *df, void *o, hb_draw_state_t *st, float x, float y, void *u)
{
    (void)df, (void)st, (void)u;
    add(o, "M%g %g ", x, y, 0, 0, 0, 0);
}

static void line_to(hb_draw_funcs_t *df, void *o, hb_draw_state_t *st, float x, float y, void *u)
{
    (void)df, (void)st, (void)u;
    add(o, "L%g %g ", x, y, 0, 0, 0, 0);
}

static void quad_to(hb_draw_funcs_t *df, void *o, hb_draw_state_t *st, float cx, float cy,
                    float x, float y, void *u)
{
    (void)df, (void)st, (void)u;
    add(o, "Q%g %g %g %g ", cx, cy, x, y, 0, 0);
}

static void cubic_to(hb_draw_funcs_t *df, void *o, hb_draw_state_t *st, float c1x, float c1y,
                     float c2x, float c2y, float x, float y, void *u)
{
    (void)df, (void)st, (void)u;
    add(o, "C%g %g %g %g %g %g ", c1x, c1y, c2x, c2y, x, y);
}

static void close_path(hb_draw_funcs_t *df, void *o, hb_draw_state_t *st, void *u)
{
    (void)df, (void)st, (void)u;
    add(o, "Z ", 0, 0, 0, 0, 0, 0);
}

static hb_draw_funcs_t *draw_funcs(void)
{
    static hb_draw_funcs_t *df;

    if (!df) {
        df = hb_draw_funcs_create();
        hb_draw_funcs_set_move_to_func(df, move_to, NULL, NULL);
        hb_draw_funcs_set_line_to_func(df, line_to, NULL, NULL);
        hb_draw_funcs_set_quadratic_to_func(df, quad_to, NULL, NULL);
        hb_draw_funcs_set_cubic_to_func(df, cubic_to, NULL, NULL);
        hb_draw_funcs_set_close_path_func(df, close_path, NULL, NULL);
        hb_draw_funcs_make_immutable(df);
    }
    return df;
}

/* Glyph g of `font` as its outline and advance, in `o`. */
static void draw(hb_font_t *font, unsigned g, struct outline *o)
{
    o->n = 0;
    o->full = false;
    o->s[0] = '\0';
    hb_font_get_glyph_shape(font, g, draw_funcs(), o);
    add(o, "adv %g", hb_font_get_glyph_h_advance(font, g), 0, 0, 0, 0, 0);
}

static hb_font_t *font_of(const unsigned char *data, size_t size)
{
    hb_blob_t *blob = hb_blob_create((const char *)data, (unsigned)size, HB_MEMORY_MODE_READONLY,
                                     NULL, NULL);
    hb_face_t *face = hb_face_create(blob, 0);
    hb_font_t *font = hb_font_create(face);

    hb_face_destroy(face);
    hb_blob_destroy(blob);
    return font;
}

/*
 * The program `data` has `count` glyphs (when count is not 0), and each
 * gids[i] draws in it, numbered new_gids[i], as it draws in `face`.
 */
static bool draws_alike(hb_font_t *face, const unsigned char *data, size_t size,
                        const unsigned *gids, const unsigned *new_gids, size_t n, unsigned count)
{
    static struct outline a, b;
    hb_font_t *cut = font_of(data, size);
    bool ok = !count || hb_face_get_glyph_count(hb_font_get_face(cut)) == count;
    size_t i;

    for (i = 0; ok && i < n; i++) {
        draw(face, gids[i], &a);
        draw(cut, new_gids[i], &b);
        ok = !a.full && !b.full && !strcmp(a.s, b.s);
        if (!ok)
            fprintf(stderr, "glyph %u (%u): %s\n   against %s\n", gids[i], new_gids[i], a.s, b.s);
    }
    hb_font_destroy(cut);
    return ok;
}

static int by_number(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

    return x < y ? -1 : x > y;
}

/* ---- the built-in faces ---------------------------------------------- */

static void cut_and_compare(const struct font_face *face, struct glyph_slicer *s,
                            unsigned *gids, size_t n, bool retain)
{
    hb_font_t *font = font_hb(face);
    unsigned *new_gids = malloc((n ? n : 1) * sizeof *new_gids), *sorted, count = 1;
    unsigned char *data = NULL;
    size_t size = 0, i;
    bool numbered = true;

    if (!CHECK(new_gids != NULL))
        return;
    CHECK_INT(glyph_slicer_cut(s, gids, n, retain, new_gids, &data, &size), SLICE_DONE);
    /* .notdef and the glyphs asked for, no others (the built-in faces have no composites) */
    sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (sorted && n) {
        memcpy(sorted, gids, n * sizeof *gids);
        qsort(sorted, n, sizeof *sorted, by_number);
        for (i = 0; i < n; i++)
            if (sorted[i] && (i == 0 || sorted[i] != sorted[i - 1]))
                count++;
        if (retain)
            count = sorted[n - 1] + 1;
    }
    CHECK(data && draws_alike(font, data, size, gids, new_gids, n, count));
    /* numbers kept, or given in the face's order, .notdef's 0 */
    for (i = 0; i < n && numbered; i++)
        numbered = retain ? new_gids[i] == gids[i] : (new_gids[i] == 0) == (gids[i] == 0);
    for (i = 0; !retain && i + 1 < n && numbered; i++)
        numbered = gids[i] < gids[i + 1]   ? new_gids[i] < new_gids[i + 1]
                   : gids[i] > gids[i + 1] ? new_gids[i] > new_gids[i + 1]
                                           : new_gids[i] == new_gids[i + 1];
    CHECK(numbered);
    free(sorted);
    free(data);
    free(new_gids);
}

static void test_builtin_faces(void)
{
    static const char *families[] = {"serif", "sans", "serif-display", "serif-khmer",
                                     "serif-lao", "serif-myanmar", "sans-khmer", "sans-lao",
                                     "sans-myanmar"};
    static const char *const text = "Nguyễn Thị Thu Hà ស៊ីម សុខា ສີສຸພັນ သီရိကျော် 2026";
    attache_error err;
    struct font_set *fs = font_set_new(&err);
    size_t f, k, faces = 0;

    if (!CHECK(fs != NULL))
        return;
    for (f = 0; f < sizeof families / sizeof *families; f++)
        for (k = 0; k < 4; k++) {
            const struct font_face *face =
                font_family_face(font_family_find(fs, families[f]), (enum font_style)k);
            struct glyph_slicer *s = glyph_slicer_new(hb_font_get_face(font_hb(face)));
            unsigned n = font_glyph_count(face), *all = malloc(n * sizeof *all), gids[64];
            const char *p = text;
            size_t m = 0, round;

            if (!CHECK(s != NULL && all != NULL)) {
                glyph_slicer_free(s);
                free(all);
                continue;
            }
            faces++;
            /* the glyphs of the characters the face has, in the text's order */
            for (p = text; *p && m < 64;) {
                hb_codepoint_t cp;
                unsigned char c = (unsigned char)*p;
                int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4, i;

                cp = len == 1 ? c : (c & (0x7F >> len));
                for (i = 1; i < len; i++)
                    cp = cp << 6 | ((unsigned char)p[i] & 0x3F);
                p += len;
                if (font_glyph(face, cp))
                    gids[m++] = font_glyph(face, cp);
            }
            cut_and_compare(face, s, gids, m, false);
            cut_and_compare(face, s, gids, m, true);
            /* every glyph; none but .notdef; numbers the face lacks */
            for (m = 0; m < n; m++)
                all[m] = (unsigned)m;
            cut_and_compare(face, s, all, n, false);
            cut_and_compare(face, s, all, 0, false);
            {
                unsigned out_of_range[2] = {n, n + 1000}, kept[2];
                unsigned char *data = NULL;
                size_t size = 0;

                CHECK_INT(glyph_slicer_cut(s, out_of_range, 2, false, kept, &data, &size),
                          SLICE_DONE);
                CHECK(kept[0] == 0 && kept[1] == 0);
                free(data);
            }
            /* glyphs at random, some twice, one subset after another */
            for (round = 0; round < 8; round++) {
                size_t want = 1 + check_random() % 40;

                for (m = 0; m < want; m++)
                    gids[m] = check_random() % n;
                cut_and_compare(face, s, gids, want, round % 3 == 0);
            }
            glyph_slicer_free(s);
            free(all);
        }
    CHECK_INT(faces, 36);
    font_set_free(fs);
}

/*
 * A face made by others, hinted and built of composite glyphs (accents on
 * letters), when installed (the install step installs it): every glyph,
 * and glyphs at random.
 */
#define DEJAVU "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"

static void test_dejavu(void)
{
    hb_blob_t *blob;
    hb_face_t *face;
    hb_font_t *font;
    struct glyph_slicer *s;
    unsigned n, *gids, *kept, round;
    unsigned char *data = NULL;
    size_t size = 0, i;

    if (access(DEJAVU, R_OK) != 0) {
        fprintf(stderr, "test_font_slice: %s not installed, skipped\n", DEJAVU);
        return;
    }
    blob = hb_blob_create_from_file(DEJAVU);
    face = hb_face_create(blob, 0);
    font = hb_font_create(face);
    s = glyph_slicer_new(face);
    n = hb_face_get_glyph_count(face);
    gids = malloc(n * sizeof *gids);
    kept = malloc(n * sizeof *kept);
    if (CHECK(s && gids && kept && n > 3000)) {
        for (i = 0; i < n; i++)
            gids[i] = (unsigned)i;
        CHECK_INT(glyph_slicer_cut(s, gids, n, false, kept, &data, &size), SLICE_DONE);
        CHECK(data && draws_alike(font, data, size, gids, kept, n, n));
        free(data);
        for (round = 0; round < 20; round++) {
            size_t want = 1 + check_random() % 60;

            for (i = 0; i < want; i++)
                gids[i] = check_random() % n;
            CHECK_INT(glyph_slicer_cut(s, gids, want, round % 4 == 0, kept, &data, &size),
                      SLICE_DONE);
            CHECK(data && draws_alike(font, data, size, gids, kept, want, 0));
            free(data);
        }
    }
    glyph_slicer_free(s);
    free(gids);
    free(kept);
    hb_font_destroy(font);
    hb_face_destroy(face);
    hb_blob_destroy(blob);
}

/* ---- a made-up face -------------------------------------------------- */

struct table {
    const char *tag;
    unsigned char d[512];
    size_t n;
};

static void be16(struct table *t, unsigned v)
{
    t->d[t->n++] = (unsigned char)(v >> 8);
    t->d[t->n++] = (unsigned char)v;
}

static void be32(struct table *t, unsigned long v)
{
    be16(t, (unsigned)(v >> 16) & 0xFFFF);
    be16(t, (unsigned)v & 0xFFFF);
}

static void bytes(struct table *t, const unsigned char *b, size_t n)
{
    memcpy(t->d + t->n, b, n);
    t->n += n;
}

enum fault { SOUND, FLAGS_CUT_SHORT, COMPONENT_MISSING, LOCA_PAST_GLYF, LOCA_BACKWARDS };

/*
 * A font of seven glyphs: 0 .notdef, a box; 1 a hinted triangle whose
 * flags repeat and whose coordinates are short, long and the same; 2 a
 * composite of 1 (moved, word arguments) and 3 (scaled, byte arguments),
 * hinted; 3 a box; 4 a composite of 2 (under a two-by-two transform) and
 * 6 (an x and a y scale); 5 empty; 6 a box.  `fault` spoils it.
 */
static unsigned char *made_up_font(enum fault fault, size_t *size)
{
    static const unsigned char box[] = {
        0, 1, 0, 0, 0, 0, 1, 0x90, 2, 0x58,         /* 1 contour, bbox 0 0 400 600 */
        0, 3,                                       /* end point 3 */
        0, 0,                                       /* no instructions */
        0x31, 0x21, 0x11, 0x21,                     /* (0 0) (400 0) (400 600) (0 600) */
        1, 0x90, 0xFE, 0x70,                        /* x: +400, -400 */
        2, 0x58,                                    /* y: +600 */
    };
    static const unsigned char triangle[] = {
        0, 1, 0, 0, 0, 0, 1, 0xF4, 1, 0xF4,         /* 1 contour, bbox 0 0 500 500 */
        0, 2,                                       /* end point 2 */
        0, 3, 0xB0, 0x01, 0x2C,                     /* 3 bytes of instructions */
        0x3F, 1,                                    /* on, x and y short positive, twice */
        0x23,                                       /* on, x short negative, y the same */
        100, 50, 20,                                /* x: +100 +50 -20 */
        100, 150,                                   /* y: +100 +150 */
    };
    static const unsigned char composite2[] = {
        0xFF, 0xFF, 0, 0, 0, 0, 3, 0xE8, 2, 0x58,   /* composite, bbox 0 0 1000 600 */
        0x00, 0x23, 0, 1, 0, 100, 0xFF, 0x9C,       /* words, xy, more: glyph 1 at (100, -100) */
        0x01, 0x0A, 0, 3, 10, 20, 0x20, 0x00,       /* bytes, xy, scale 0.5, instructions: glyph 3 */
        0, 2, 0xB0, 0x00,                           /* 2 bytes of instructions */
    };
    static const unsigned char composite4[] = {
        0xFF, 0xFF, 0, 0, 0, 0, 3, 0xE8, 3, 0xE8,
        0x00, 0xA3, 0, 2, 0, 5, 0, 5,               /* words, xy, 2x2, more: glyph 2 */
        0x40, 0x00, 0x08, 0x00, 0xF8, 0x00, 0x40, 0x00,
        0x00, 0x42, 0, 6, 1, 2, 0x40, 0x00, 0x20, 0x00,   /* bytes, xy, x and y scale: glyph 6 */
    };
    const unsigned char *glyph[7] = {box, triangle, composite2, box, composite4, NULL, box};
    size_t len[7] = {sizeof box, sizeof triangle, sizeof composite2, sizeof box,
                     sizeof composite4, 0, sizeof box};
    struct table t[6] = {{"glyf", {0}, 0}, {"head", {0}, 0}, {"hhea", {0}, 0},
                         {"hmtx", {0}, 0}, {"loca", {0}, 0}, {"maxp", {0}, 0}};
    unsigned char *out;
    size_t g, i, at, total;

    if (fault == FLAGS_CUT_SHORT)
        len[1] -= 3;                    /* the triangle's coordinates run past its end */
    for (g = 0; g < 7; g++) {
        be16(&t[4], (unsigned)(t[0].n / 2));
        if (glyph[g])
            bytes(&t[0], glyph[g], len[g]);
        if (t[0].n % 2)
            t[0].d[t[0].n++] = 0;
    }
    if (fault == COMPONENT_MISSING)     /* composite 2's second component: glyph 3 + 99 x 256 */
        t[0].d[sizeof box + sizeof triangle + 1 + 10 + 8 + 2] = 99;
    be16(&t[4], (unsigned)(t[0].n / 2) + (fault == LOCA_PAST_GLYF ? 40 : 0));
    if (fault == LOCA_BACKWARDS)        /* glyph 3 starts where 5 does: 2 overlaps 3 and 4 */
        memcpy(t[4].d + 2 * 3, t[4].d + 2 * 5, 2);
    be32(&t[1], 0x00010000);            /* head */
    be32(&t[1], 0x00010000);
    be32(&t[1], 0);
    be32(&t[1], 0x5F0F3CF5);
    be16(&t[1], 0);
    be16(&t[1], 1000);
    t[1].n += 16 + 8;                   /* dates, bbox */
    be16(&t[1], 0);
    be16(&t[1], 8);
    be16(&t[1], 2);
    be16(&t[1], 0);                     /* short loca */
    be16(&t[1], 0);
    be32(&t[2], 0x00010000);            /* hhea */
    be16(&t[2], 800);
    be16(&t[2], 0xFF38);
    t[2].n += 26;
    be16(&t[2], 4);                     /* four advances: glyphs 4 to 6 take the last */
    for (g = 0; g < 7; g++) {           /* hmtx */
        if (g < 4)
            be16(&t[3], 500 + 100 * (unsigned)g);
        be16(&t[3], 10 * (unsigned)g);
    }
    be32(&t[5], 0x00010000);            /* maxp, with hinting limits */
    be16(&t[5], 7);
    for (i = 0; i < 13; i++)
        be16(&t[5], 2 + (unsigned)i);
    total = 12 + 16 * 6;
    for (i = 0; i < 6; i++)
        total += (t[i].n + 3) & ~(size_t)3;
    out = calloc(1, total);
    if (!out)
        return NULL;
    memcpy(out, "\0\1\0\0\0\6\0\x40\0\2\0\x20", 12);
    at = 12 + 16 * 6;
    for (i = 0; i < 6; i++) {
        unsigned char *r = out + 12 + 16 * i;

        memcpy(r, t[i].tag, 4);
        r[8] = (unsigned char)(at >> 24), r[9] = (unsigned char)(at >> 16);
        r[10] = (unsigned char)(at >> 8), r[11] = (unsigned char)at;
        r[14] = (unsigned char)(t[i].n >> 8), r[15] = (unsigned char)t[i].n;
        memcpy(out + at, t[i].d, t[i].n);
        at += (t[i].n + 3) & ~(size_t)3;
    }
    *size = total;
    return out;
}

/* The table `tag` of program `p`, or NULL. */
static const unsigned char *table_of(const unsigned char *p, size_t size, const char *tag,
                                     size_t *len)
{
    unsigned n = (unsigned)p[4] << 8 | p[5], i;

    for (i = 0; i < n && 12 + 16 * (size_t)i + 16 <= size; i++) {
        const unsigned char *r = p + 12 + 16 * i;
        size_t at = (size_t)r[8] << 24 | (size_t)r[9] << 16 | (size_t)r[10] << 8 | r[11];

        *len = (size_t)r[12] << 24 | (size_t)r[13] << 16 | (size_t)r[14] << 8 | r[15];
        if (!memcmp(r, tag, 4) && at + *len <= size)
            return p + at;
    }
    return NULL;
}

static uint32_t sum32(const unsigned char *p, size_t len)
{
    uint32_t s = 0;
    size_t i;

    for (i = 0; i < len; i += 4)
        s += (uint32_t)p[i] << 24 | (uint32_t)(i + 1 < len ? p[i + 1] : 0) << 16 |
             (uint32_t)(i + 2 < len ? p[i + 2] : 0) << 8 | (i + 3 < len ? p[i + 3] : 0);
    return s;
}

static void test_made_up_face(void)
{
    size_t size = 0, cut_size = 0, len, i;
    unsigned char *font = made_up_font(SOUND, &size), *cut = NULL;
    hb_blob_t *blob;
    hb_face_t *face;
    hb_font_t *hb;
    struct glyph_slicer *s;
    unsigned gids[2] = {4, 1}, kept[7], all[7] = {0, 1, 2, 3, 4, 5, 6};
    const unsigned char *t;

    if (!CHECK(font != NULL))
        return;
    blob = hb_blob_create((const char *)font, (unsigned)size, HB_MEMORY_MODE_READONLY, NULL, NULL);
    face = hb_face_create(blob, 0);
    hb = hb_font_create(face);
    s = glyph_slicer_new(face);
    if (!CHECK(s != NULL))
        goto done;
    /* composite 4 brings 2, which brings 1 and 3, and 6; 5 is left out */
    CHECK_INT(glyph_slicer_cut(s, gids, 2, false, kept, &cut, &cut_size), SLICE_DONE);
    CHECK(kept[0] == 4 && kept[1] == 1);
    CHECK(cut && draws_alike(hb, cut, cut_size, gids, kept, 2, 6));
    /* no instructions left: the triangle's count is 0 and its 25 bytes 22, the
       composite's flag is gone and so are its instructions; glyph 6 is now 5 */
    t = cut ? table_of(cut, cut_size, "glyf", &len) : NULL;
    if (CHECK(t != NULL)) {
        const unsigned char *loca = table_of(cut, cut_size, "loca", &i);
        size_t at[6], g;

        for (g = 0; g < 6; g++)
            at[g] = 2 * ((size_t)loca[2 * g] << 8 | loca[2 * g + 1]);
        CHECK(t[at[1] + 12] == 0 && t[at[1] + 13] == 0);
        CHECK_INT(at[2] - at[1], 22);
        CHECK_INT(at[3] - at[2], 26);
        CHECK(t[at[2] + 18] == 0 && t[at[2] + 19] == 0x0A);
        CHECK(t[at[2] + 20] == 0 && t[at[2] + 21] == 3);
        CHECK(t[at[4] + 10 + 16 + 2] == 0 && t[at[4] + 10 + 16 + 3] == 5);
    }
    /* checksums: each table's, and the whole file's */
    for (i = 0; cut && i < 6; i++) {
        const unsigned char *r = cut + 12 + 16 * i;
        size_t at = (size_t)r[8] << 24 | (size_t)r[9] << 16 | (size_t)r[10] << 8 | r[11];
        size_t n = (size_t)r[14] << 8 | r[15];
        uint32_t want = (uint32_t)r[4] << 24 | (uint32_t)r[5] << 16 | (uint32_t)r[6] << 8 | r[7];
        uint32_t adjust = 0;

        if (!memcmp(r, "head", 4))      /* head's own sum is taken with its adjustment 0 */
            adjust = sum32(cut + at + 8, 4);
        CHECK(sum32(cut + at, n) - adjust == want);
    }
    CHECK(cut && sum32(cut, cut_size) == 0xB1B0AFBAu);
    /* maxp: the count, no hinting limits */
    t = cut ? table_of(cut, cut_size, "maxp", &len) : NULL;
    CHECK(t && len == 32 && t[5] == 6 && t[15] == 1);
    for (i = 16; t && i < 28; i++)
        CHECK_INT(t[i], 0);
    free(cut);
    /* every glyph, numbers kept or not; .notdef alone */
    CHECK_INT(glyph_slicer_cut(s, all, 7, false, kept, &cut, &cut_size), SLICE_DONE);
    CHECK(draws_alike(hb, cut, cut_size, all, all, 7, 7));
    free(cut);
    CHECK_INT(glyph_slicer_cut(s, gids + 1, 1, true, kept, &cut, &cut_size), SLICE_DONE);
    CHECK(kept[0] == 1 && draws_alike(hb, cut, cut_size, gids + 1, kept, 1, 2));
    free(cut);
    CHECK_INT(glyph_slicer_cut(s, gids, 1, true, kept, &cut, &cut_size), SLICE_DONE);
    CHECK(kept[0] == 4 && draws_alike(hb, cut, cut_size, gids, kept, 1, 7));
    free(cut);
    cut = NULL;
done:
    glyph_slicer_free(s);
    hb_font_destroy(hb);
    hb_face_destroy(face);
    hb_blob_destroy(blob);
    free(font);
}

/*
 * What the slicer cannot read for certain: a glyph's outline (refused when
 * a subset needs it; other glyphs are cut as ever), or the face's loca
 * (refused whole).  Either way it writes nothing, and font_subset_glyphs()
 * has HarfBuzz cut the face instead.
 */
static void test_refused(void)
{
    static const struct {
        enum fault fault;
        bool whole_face;
    } faults[] = {{FLAGS_CUT_SHORT, false}, {COMPONENT_MISSING, false},
                  {LOCA_PAST_GLYF, true}, {LOCA_BACKWARDS, true}};
    size_t f;

    for (f = 0; f < sizeof faults / sizeof *faults; f++) {
        size_t size = 0, cut_size = 1;
        unsigned char *font = made_up_font(faults[f].fault, &size), *cut = (unsigned char *)"";
        hb_blob_t *blob = hb_blob_create((const char *)font, (unsigned)size,
                                         HB_MEMORY_MODE_READONLY, NULL, NULL);
        hb_face_t *face = hb_face_create(blob, 0);
        struct glyph_slicer *s = glyph_slicer_new(face);
        unsigned gids[1] = {4}, kept[1], fine[1] = {3};
        char path[] = "/tmp/attache-font-XXXXXX";
        int fd = mkstemp(path);

        CHECK(fd >= 0);
        CHECK((s == NULL) == faults[f].whole_face);
        if (s) {
            CHECK_INT(glyph_slicer_cut(s, gids, 1, false, kept, &cut, &cut_size), SLICE_REFUSED);
            CHECK(cut == NULL && cut_size == 0);
            CHECK_INT(glyph_slicer_cut(s, fine, 1, false, kept, &cut, &cut_size), SLICE_DONE);
            free(cut);
            glyph_slicer_free(s);
        }
        if (fd >= 0 && CHECK(write(fd, font, size) == (ssize_t)size)) {
            attache_error err;
            struct font_set *fs = font_set_new(&err);
            const char *files[4] = {path, NULL, NULL, NULL};

            if (CHECK(fs && font_set_add_family(fs, "made-up", files, NULL, &err) == ATTACHE_OK)) {
                const struct font_face *mf = font_family_face(font_family_find(fs, "made-up"),
                                                              FONT_REGULAR);

                CHECK_INT(font_subset_glyphs(mf, gids, 1, false, kept, &cut, &cut_size, &err),
                          ATTACHE_OK);
                CHECK(cut && cut_size > 12 && !memcmp(cut, "\0\1\0\0", 4));
                free(cut);
            }
            font_set_free(fs);
        }
        if (fd >= 0) {
            close(fd);
            unlink(path);
        }
        hb_face_destroy(face);
        hb_blob_destroy(blob);
        free(font);
    }
}

int main(void)
{
    test_builtin_faces();
    test_dejavu();
    test_made_up_face();
    test_refused();
    return check_done();
}

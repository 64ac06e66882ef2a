/*
 * font.c: font families, glyph coverage, measurement and subsetting, through
 * HarfBuzz (hb-ot for metrics; for embedding, font_slice.c and, for what it
 * refuses, hb-subset).
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hb-ot.h>
#include <hb-subset.h>
#include <hb.h>

#include "error.h"
#include "font.h"
#include "font_slice.h"
#include "resource.h"
#include "util.h"

#define MAX_FAMILIES 24
#define MAX_FACES 96
#define MAX_FONT_FILE (32u * 1024 * 1024)

struct font_face {
    unsigned id;
    char *name;
    hb_blob_t *blob;
    hb_face_t *face;
    hb_face_t *outlines;             /* the same without cmap and layout tables, for subsetting */
    hb_font_t *font;
    double upem;
    double ascender, descender, cap_height;
    struct font_metrics pdf;         /* for PDF font descriptors, read once */
};

struct font_family {
    char *name;
    struct font_face *faces[4];      /* every slot filled: missing styles alias */
    char *fallback;                  /* comma-separated family names */
};

struct font_set {
    struct font_family *families[MAX_FAMILIES];
    size_t nfamilies;
    struct font_face *faces[MAX_FACES];
    size_t nfaces;
};

static unsigned next_face_id;

/* Font units as thousandths of an em, PDF's glyph space. */
static int thousandths(const struct font_face *face, double v)
{
    return (int)lround(v * 1000.0 / face->upem);
}

static int int16_at(const char *p)
{
    return (int16_t)(((unsigned char)p[0] << 8) | (unsigned char)p[1]);
}

/* ---- faces ---------------------------------------------------------- */

static void face_free(struct font_face *f)
{
    if (!f)
        return;
    if (f->font)
        hb_font_destroy(f->font);
    if (f->outlines)
        hb_face_destroy(f->outlines);
    if (f->face)
        hb_face_destroy(f->face);
    if (f->blob)
        hb_blob_destroy(f->blob);
    free(f->name);
    free(f);
}

static double metric(hb_font_t *font, hb_ot_metrics_tag_t tag, double fallback)
{
    hb_position_t v;

    return hb_ot_metrics_get_position(font, tag, &v) ? (double)v : fallback;
}

/* What a PDF font descriptor says of the face. */
static void pdf_metrics(struct font_face *f)
{
    struct font_metrics *m = &f->pdf;
    hb_blob_t *head = hb_face_reference_table(f->face, HB_TAG('h', 'e', 'a', 'd'));
    unsigned len = 0;
    const char *h = hb_blob_get_data(head, &len);
    int k;

    if (h && len >= 54)
        for (k = 0; k < 4; k++)
            m->bbox[k] = thousandths(f, int16_at(h + 36 + 2 * k));
    hb_blob_destroy(head);
    m->ascent = thousandths(f, f->ascender * f->upem);
    m->descent = thousandths(f, f->descender * f->upem);
    m->cap_height = thousandths(f, f->cap_height * f->upem);
    m->x_height = thousandths(f, metric(f->font, HB_OT_METRICS_TAG_X_HEIGHT, 0.5 * f->upem));
    m->italic_angle = hb_style_get_value(f->font, HB_STYLE_TAG_SLANT_ANGLE);
    m->italic = hb_style_get_value(f->font, HB_STYLE_TAG_ITALIC) > 0.5f || m->italic_angle != 0;
    m->bold = hb_style_get_value(f->font, HB_STYLE_TAG_WEIGHT) >= 600;
    m->stem_v = m->bold ? 140 : 80;     /* what producers write when they do not measure it */
}

/*
 * The tables of the face a subset is cut from: all but the character map
 * and the layout tables, which a PDF's font program does without (its text
 * is glyph numbers, placed already).  Given glyphs to keep, hb-subset reads
 * the whole character map to find characters for them, and follows GSUB to
 * glyphs they could become; without those tables it does neither, and
 * subsetting costs a tenth.
 */
static hb_blob_t *outline_table(hb_face_t *face, hb_tag_t tag, void *user)
{
    (void)face;
    if (tag == HB_TAG('c', 'm', 'a', 'p') || tag == HB_TAG('G', 'S', 'U', 'B') ||
        tag == HB_TAG('G', 'P', 'O', 'S') || tag == HB_TAG('G', 'D', 'E', 'F') ||
        tag == HB_TAG('k', 'e', 'r', 'n') || tag == HB_TAG_NONE)
        return hb_blob_get_empty();
    return hb_face_reference_table(user, tag);
}

static void release_face(void *face)
{
    hb_face_destroy(face);
}

/* Takes over `blob`. `what` names the font in messages. */
static struct font_face *face_new(struct font_set *fs, hb_blob_t *blob, const char *what,
                                  attache_error *err)
{
    struct font_face *f = calloc(1, sizeof *f);
    hb_blob_t *glyf;
    char name[128];
    unsigned len = sizeof name;

    if (!f || fs->nfaces == MAX_FACES) {
        err_set(err, ATTACHE_ERR_INTERNAL, what, 0, f ? "too many fonts" : "out of memory");
        hb_blob_destroy(blob);
        free(f);
        return NULL;
    }
    f->blob = blob;
    f->face = hb_face_create(blob, 0);
    if (hb_face_get_glyph_count(f->face) == 0) {
        err_set(err, ATTACHE_ERR_DATA, what, 0, "is not a font file attache can read");
        face_free(f);
        return NULL;
    }
    glyf = hb_face_reference_table(f->face, HB_TAG('g', 'l', 'y', 'f'));
    if (hb_blob_get_length(glyf) == 0) {
        hb_blob_destroy(glyf);
        err_set(err, ATTACHE_ERR_DATA, what, 0,
                "is not a TrueType-outline font (no glyf table); PDF embedding needs one");
        face_free(f);
        return NULL;
    }
    hb_blob_destroy(glyf);
    f->outlines = hb_face_create_for_tables(outline_table, hb_face_reference(f->face),
                                            release_face);
    hb_face_set_upem(f->outlines, hb_face_get_upem(f->face));
    hb_face_set_glyph_count(f->outlines, hb_face_get_glyph_count(f->face));
    hb_face_make_immutable(f->outlines);
    f->font = hb_font_create(f->face);
    f->upem = hb_face_get_upem(f->face);
    hb_font_set_scale(f->font, (int)f->upem, (int)f->upem);
    hb_ot_font_set_funcs(f->font);
    hb_font_make_immutable(f->font);
    f->ascender = metric(f->font, HB_OT_METRICS_TAG_HORIZONTAL_ASCENDER, 0.8 * f->upem) / f->upem;
    f->descender = metric(f->font, HB_OT_METRICS_TAG_HORIZONTAL_DESCENDER, -0.2 * f->upem) / f->upem;
    f->cap_height = metric(f->font, HB_OT_METRICS_TAG_CAP_HEIGHT, 0.7 * f->upem) / f->upem;
    pdf_metrics(f);
    if (!hb_ot_name_get_utf8(f->face, HB_OT_NAME_ID_POSTSCRIPT_NAME, HB_LANGUAGE_INVALID,
                             &len, name) || !len)
        snprintf(name, sizeof name, "Font%u", next_face_id);
    f->name = strdup(name);
    f->id = __atomic_fetch_add(&next_face_id, 1, __ATOMIC_RELAXED);
    if (!f->name) {
        face_free(f);
        err_set(err, ATTACHE_ERR_INTERNAL, what, 0, "out of memory");
        return NULL;
    }
    fs->faces[fs->nfaces++] = f;
    return f;
}

static struct font_face *face_from_file(struct font_set *fs, const char *path, attache_error *err)
{
    unsigned char *data;
    size_t size;
    hb_blob_t *blob;

    if (attache_read_input(path, MAX_FONT_FILE, &data, &size, err) != ATTACHE_OK)
        return NULL;
    blob = hb_blob_create((const char *)data, (unsigned)size, HB_MEMORY_MODE_READONLY,
                          data, free);
    return face_new(fs, blob, path, err);
}

/* ---- families ------------------------------------------------------- */

static void family_free(struct font_family *fam)
{
    if (!fam)
        return;
    free(fam->name);
    free(fam->fallback);
    free(fam);
}

/* Fill the styles a family lacks with the nearest one it has. */
static bool complete_styles(struct font_family *fam)
{
    struct font_face **f = fam->faces;

    if (!f[FONT_REGULAR])
        f[FONT_REGULAR] = f[FONT_BOLD] ? f[FONT_BOLD] : f[FONT_ITALIC] ? f[FONT_ITALIC]
                                                                      : f[FONT_BOLD_ITALIC];
    if (!f[FONT_REGULAR])
        return false;
    if (!f[FONT_BOLD])
        f[FONT_BOLD] = f[FONT_REGULAR];
    if (!f[FONT_ITALIC])
        f[FONT_ITALIC] = f[FONT_REGULAR];
    if (!f[FONT_BOLD_ITALIC])
        f[FONT_BOLD_ITALIC] = f[FONT_BOLD] != f[FONT_REGULAR] ? f[FONT_BOLD] : f[FONT_ITALIC];
    return true;
}

static attache_status put_family(struct font_set *fs, struct font_family *fam, attache_error *err)
{
    size_t i;

    for (i = 0; i < fs->nfamilies; i++)
        if (!strcmp(fs->families[i]->name, fam->name)) {
            family_free(fs->families[i]);
            fs->families[i] = fam;
            return ATTACHE_OK;
        }
    if (fs->nfamilies == MAX_FAMILIES) {
        family_free(fam);
        return err_set(err, ATTACHE_ERR_DATA, NULL, 0, "too many font families (at most %d)",
                       MAX_FAMILIES);
    }
    fs->families[fs->nfamilies++] = fam;
    return ATTACHE_OK;
}

attache_status font_set_add_family(struct font_set *fs, const char *name,
                                   const char *const files[4], const char *fallback,
                                   attache_error *err)
{
    struct font_family *fam = calloc(1, sizeof *fam);
    int s;

    if (!fam)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    fam->name = strdup(name);
    fam->fallback = xstrdup(fallback);
    for (s = 0; s < 4; s++)
        if (files[s] && !(fam->faces[s] = face_from_file(fs, files[s], err))) {
            family_free(fam);
            return err->code;
        }
    if (!complete_styles(fam)) {
        family_free(fam);
        return err_set(err, ATTACHE_ERR_DATA, NULL, 0, "font family '%s' has no font file", name);
    }
    return put_family(fs, fam, err);
}

const struct font_family *font_family_find(const struct font_set *fs, const char *name)
{
    size_t i;

    for (i = 0; i < fs->nfamilies; i++)
        if (!strcmp(fs->families[i]->name, name))
            return fs->families[i];
    return NULL;
}

/*
 * The built-in families: fonts/<File>-<Style>.ttf compiled into the library.
 * The Khmer, Lao and Myanmar faces are fallbacks of the others, serif for
 * serif and sans for sans, so that a name in those scripts is set in a face
 * that matches the Latin text around it.
 */
#define SERIF_SCRIPTS "serif-khmer,serif-lao,serif-myanmar"
#define SANS_SCRIPTS "sans-khmer,sans-lao,sans-myanmar"
static const struct {
    const char *file, *family, *fallback;
} builtin[] = {
    {"AttacheSerifDisplay", "serif-display", "serif,sans," SERIF_SCRIPTS},
    {"AttacheSerif", "serif", "sans," SERIF_SCRIPTS},
    {"AttacheSans", "sans", "serif," SANS_SCRIPTS},
    {"AttacheSerifKhmer", "serif-khmer", "sans-khmer"},
    {"AttacheSerifLao", "serif-lao", "sans-lao"},
    {"AttacheSerifMyanmar", "serif-myanmar", "sans-myanmar"},
    {"AttacheSansKhmer", "sans-khmer", "serif-khmer"},
    {"AttacheSansLao", "sans-lao", "serif-lao"},
    {"AttacheSansMyanmar", "sans-myanmar", "serif-myanmar"},
};

static int style_of(const char *s)
{
    if (!strcmp(s, "Regular"))
        return FONT_REGULAR;
    if (!strcmp(s, "Bold") || !strcmp(s, "SemiBold"))
        return FONT_BOLD;
    if (!strcmp(s, "Italic"))
        return FONT_ITALIC;
    if (!strcmp(s, "BoldItalic") || !strcmp(s, "SemiBoldItalic"))
        return FONT_BOLD_ITALIC;
    return -1;
}

struct font_set *font_set_new(attache_error *err)
{
    struct font_set *fs = calloc(1, sizeof *fs);
    size_t b;

    if (!fs) {
        err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        return NULL;
    }
    for (b = 0; b < ARRAY_SIZE(builtin); b++) {
        struct font_family *fam = calloc(1, sizeof *fam);
        const struct resource *r;
        size_t flen = strlen(builtin[b].file);

        if (!fam) {
            err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
            goto fail;
        }
        fam->name = strdup(builtin[b].family);
        fam->fallback = strdup(builtin[b].fallback);
        if (!fam->name || !fam->fallback) {
            family_free(fam);
            err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
            goto fail;
        }
        for (r = resources; r->name; r++) {
            const char *base = r->name + 6, *dot;
            char style[32];
            int s;

            if (strncmp(r->name, "fonts/", 6) || strncmp(base, builtin[b].file, flen) ||
                base[flen] != '-' || !(dot = strstr(base, ".ttf")))
                continue;
            snprintf(style, sizeof style, "%.*s", (int)(dot - base - flen - 1), base + flen + 1);
            s = style_of(style);
            /* "Bold" wins over "SemiBold" when a family has both */
            if (s < 0 || (fam->faces[s] && strstr(style, "Semi")))
                continue;
            fam->faces[s] = face_new(fs, hb_blob_create((const char *)r->data, (unsigned)r->size,
                                                        HB_MEMORY_MODE_READONLY, NULL, NULL),
                                     r->name, err);
            if (!fam->faces[s]) {
                family_free(fam);
                goto fail;
            }
        }
        if (!complete_styles(fam)) {
            family_free(fam);
            err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0,
                    "the built-in font family '%s' is missing from this build", builtin[b].family);
            goto fail;
        }
        if (put_family(fs, fam, err) != ATTACHE_OK)
            goto fail;
    }
    return fs;
fail:
    font_set_free(fs);
    return NULL;
}

void font_set_free(struct font_set *fs)
{
    size_t i;

    if (!fs)
        return;
    for (i = 0; i < fs->nfamilies; i++)
        family_free(fs->families[i]);
    for (i = 0; i < fs->nfaces; i++)
        face_free(fs->faces[i]);
    free(fs);
}

/* ---- look-up and metrics ------------------------------------------- */

unsigned font_glyph(const struct font_face *face, uint32_t cp)
{
    hb_codepoint_t g = 0;

    return hb_font_get_nominal_glyph(face->font, cp, &g) ? (unsigned)g : 0;
}

static bool has_glyph(const struct font_face *f, uint32_t cp)
{
    return font_glyph(f, cp) != 0;
}

const struct font_face *font_pick(const struct font_set *fs, const struct font_family *family,
                                  enum font_style style, uint32_t cp)
{
    const char *p;

    if (has_glyph(family->faces[style], cp))
        return family->faces[style];
    for (p = family->fallback; p && *p;) {
        size_t n = strcspn(p, ",");
        size_t i;

        for (i = 0; i < fs->nfamilies; i++) {
            const struct font_family *f = fs->families[i];
            if (f != family && strlen(f->name) == n && !strncmp(f->name, p, n) &&
                has_glyph(f->faces[style], cp))
                return f->faces[style];
        }
        p += n;
        p += *p == ',';
    }
    return NULL;
}

const struct font_face *font_family_face(const struct font_family *family, enum font_style style)
{
    return family->faces[style];
}

double font_ascender(const struct font_face *face)
{
    return face->ascender;
}

double font_descender(const struct font_face *face)
{
    return face->descender;
}

double font_cap_height(const struct font_face *face)
{
    return face->cap_height;
}

const char *font_face_name(const struct font_face *face)
{
    return face->name;
}

unsigned font_upem(const struct font_face *face)
{
    return (unsigned)face->upem;
}

unsigned font_glyph_count(const struct font_face *face)
{
    return hb_face_get_glyph_count(face->face);
}

struct hb_font_t *font_hb(const struct font_face *face)
{
    return face->font;
}

unsigned font_face_id(const struct font_face *face)
{
    return face->id;
}

/* ---- glyphs and PDF metrics ----------------------------------------- */

int font_glyph_width(const struct font_face *face, unsigned glyph)
{
    return thousandths(face, hb_font_get_glyph_h_advance(face->font, glyph));
}

const struct font_metrics *font_pdf_metrics(const struct font_face *face)
{
    return &face->pdf;
}

/* ---- embedding ------------------------------------------------------ */

/*
 * A document's font program is cut from the face by glyph_slicer
 * (font_slice.c), which copies the outlines it is given: a few
 * microseconds, where HarfBuzz's subsetter took some 25 a face.  HarfBuzz
 * cuts what the slicer refuses (an outline it cannot read for certain).
 * For that, it can work out once what every subset of a face needs
 * (hb_subset_preprocess), which makes each later subset about a third
 * cheaper; the cost, a copy of the face's tables, is paid on the first
 * subset HarfBuzz makes of the face.  Each subsetter (one a thread) has
 * its own slicers and prepared faces: HarfBuzz before 7.2 (Debian 12 has
 * 6.0) writes a prepared face's table cache without taking its lock, so
 * two threads subsetting one prepared face at once could lose what each
 * wrote (LeakSanitizer saw it, now and then).
 */
struct font_subsetter {
    hb_subset_input_t *in;
    struct prepared_face {
        const struct font_face *face;
        struct glyph_slicer *slicer;     /* NULL: the face's tables refused it */
        hb_face_t *ready;                /* made on HarfBuzz's first subset; NULL before */
        bool tried;                      /* whether making `ready` was tried */
    } prepared[MAX_FACES];
    size_t nprepared;
};

/* What `s` keeps of `face`, made on its first subset; NULL when out of room. */
static struct prepared_face *prepared(struct font_subsetter *s, const struct font_face *face)
{
    struct prepared_face *p;
    size_t i;

    for (i = 0; i < s->nprepared; i++)
        if (s->prepared[i].face == face)
            return &s->prepared[i];
    if (s->nprepared == MAX_FACES)      /* more faces than a font set holds */
        return NULL;
    p = &s->prepared[s->nprepared++];
    p->face = face;
    p->slicer = glyph_slicer_new(face->face);
    return p;
}

/* The face's outlines made ready for HarfBuzz's subsetting, or as they are when that fails. */
static hb_face_t *ready_for_harfbuzz(struct prepared_face *p, const struct font_face *face)
{
    if (!p)
        return face->outlines;
    if (!p->tried) {
        p->tried = true;
        /* on failure HarfBuzz hands back the face it was given, with no reference of ours */
        p->ready = hb_subset_preprocess(face->outlines);
        if (!p->ready || p->ready == face->outlines || p->ready == hb_face_get_empty())
            p->ready = NULL;
    }
    return p->ready ? p->ready : face->outlines;
}

struct font_subsetter *font_subsetter_new(void)
{
    static const hb_tag_t drop[] = {
        HB_TAG('G', 'S', 'U', 'B'), HB_TAG('G', 'P', 'O', 'S'), HB_TAG('G', 'D', 'E', 'F'),
        HB_TAG('k', 'e', 'r', 'n'), HB_TAG('D', 'S', 'I', 'G'), HB_TAG('g', 'a', 's', 'p'),
        /* a CIDFontType2 program is read by glyph number: PDF needs only glyf,
           loca, head, hhea, hmtx and maxp (ISO 32000-1, 9.9) */
        HB_TAG('c', 'm', 'a', 'p'), HB_TAG('n', 'a', 'm', 'e'), HB_TAG('p', 'o', 's', 't'),
        HB_TAG('O', 'S', '/', '2'), HB_TAG('h', 'd', 'm', 'x'), HB_TAG('L', 'T', 'S', 'H'),
        HB_TAG('V', 'D', 'M', 'X'), HB_TAG('S', 'T', 'A', 'T'), HB_TAG('f', 'v', 'a', 'r'),
        HB_TAG('M', 'V', 'A', 'R'), HB_TAG('H', 'V', 'A', 'R'), HB_TAG('g', 'v', 'a', 'r'),
    };
    struct font_subsetter *s = calloc(1, sizeof *s);
    hb_set_t *names;
    size_t i;

    if (!s || !(s->in = hb_subset_input_create_or_fail())) {
        free(s);
        return NULL;
    }
    /* no layout features: the glyphs are the ones shaping chose, and the
       layout tables are dropped, so nothing reachable through GSUB is wanted */
    hb_set_clear(hb_subset_input_set(s->in, HB_SUBSET_SETS_LAYOUT_FEATURE_TAG));
    for (i = 0; i < ARRAY_SIZE(drop); i++)
        hb_set_add(hb_subset_input_set(s->in, HB_SUBSET_SETS_DROP_TABLE_TAG), drop[i]);
    /* names: copyright, family, style and PostScript name are all a PDF needs */
    names = hb_subset_input_set(s->in, HB_SUBSET_SETS_NAME_ID);
    hb_set_clear(names);
    hb_set_add(names, 0);
    hb_set_add(names, 1);
    hb_set_add(names, 2);
    hb_set_add(names, 6);
    return s;
}

void font_subsetter_free(struct font_subsetter *s)
{
    size_t i;

    if (!s)
        return;
    for (i = 0; i < s->nprepared; i++) {
        glyph_slicer_free(s->prepared[i].slicer);
        if (s->prepared[i].ready)
            hb_face_destroy(s->prepared[i].ready);
    }
    hb_subset_input_destroy(s->in);
    free(s);
}

attache_status font_subset_glyphs(const struct font_face *face, const unsigned *gids, size_t n,
                                  bool retain_gids, unsigned *new_gids, unsigned char **data,
                                  size_t *size, attache_error *err)
{
    struct font_subsetter *s = font_subsetter_new();
    attache_status rc;

    *data = NULL;
    *size = 0;
    if (!s)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    rc = font_subset_glyphs_with(s, face, gids, n, retain_gids, new_gids, data, size, err);
    font_subsetter_free(s);
    return rc;
}

attache_status font_subset_glyphs_with(struct font_subsetter *s, const struct font_face *face,
                                       const unsigned *gids, size_t n, bool retain_gids,
                                       unsigned *new_gids, unsigned char **data, size_t *size,
                                       attache_error *err)
{
    hb_subset_input_t *in = s->in;
    hb_subset_plan_t *plan = NULL;
    hb_face_t *sub = NULL;
    hb_blob_t *blob = NULL;
    struct prepared_face *p = prepared(s, face);
    const char *bytes;
    unsigned len = 0;
    size_t i;
    attache_status rc = ATTACHE_OK;

    if (p && p->slicer)
        switch (glyph_slicer_cut(p->slicer, gids, n, retain_gids, new_gids, data, size)) {
        case SLICE_DONE:
            return ATTACHE_OK;
        case SLICE_NO_MEMORY:
            return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        case SLICE_REFUSED:
            break;
        }
    *data = NULL;
    *size = 0;
    hb_set_clear(hb_subset_input_glyph_set(in));
    for (i = 0; i < n; i++)
        hb_set_add(hb_subset_input_glyph_set(in), gids[i]);
    hb_subset_input_set_flags(in, HB_SUBSET_FLAGS_NO_HINTING | HB_SUBSET_FLAGS_NOTDEF_OUTLINE |
                                      (retain_gids ? HB_SUBSET_FLAGS_RETAIN_GIDS : 0));
    plan = hb_subset_plan_create_or_fail(ready_for_harfbuzz(p, face), in);
    sub = plan ? hb_subset_plan_execute_or_fail(plan) : NULL;
    if (!sub) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "cannot subset font %s", face->name);
        goto done;
    }
    if (new_gids) {
        const hb_map_t *map = hb_subset_plan_old_to_new_glyph_mapping(plan);
        for (i = 0; i < n; i++) {
            hb_codepoint_t now = gids[i] ? hb_map_get(map, gids[i]) : HB_MAP_VALUE_INVALID;
            new_gids[i] = now == HB_MAP_VALUE_INVALID ? 0 : (unsigned)now;
        }
    }
    blob = hb_face_reference_blob(sub);
    bytes = hb_blob_get_data(blob, &len);
    if (!len) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "cannot subset font %s", face->name);
        goto done;
    }
    *data = malloc(len);
    if (!*data) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    memcpy(*data, bytes, len);
    *size = len;
done:
    if (blob)
        hb_blob_destroy(blob);
    if (sub)
        hb_face_destroy(sub);
    if (plan)
        hb_subset_plan_destroy(plan);
    return rc;
}

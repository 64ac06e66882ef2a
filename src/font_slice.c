/*
 * font_slice.c: a TrueType face's glyphs cut out into a font program of
 * their own (font_slice.h says why).
 *
 * The program written has the six tables a PDF reads, in the order of
 * their tags in the directory, each with its checksum, and head's
 * checksum adjustment for the whole file (the OpenType specification's
 * "Font file" and "head" chapters):
 *   glyf  the glyphs' outlines, each padded to an even length; a simple
 *         glyph without its instructions, a composite glyph with its
 *         components renumbered and its instructions left out;
 *   loca  where each glyph starts, short when glyf allows it;
 *   hmtx  advance and left side bearing per glyph, the advances that
 *         repeat at the end written once (hhea's numberOfHMetrics);
 *   head, hhea, maxp  the face's, with the counts and formats above, and
 *         maxp's hinting limits zero, as no instruction is left.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "font_slice.h"

enum { GLYF, HEAD, HHEA, HMTX, LOCA, MAXP, NTABLES };      /* the directory's order */

static const char tags[NTABLES][5] = {"glyf", "head", "hhea", "hmtx", "loca", "maxp"};

#define NOT_READ UINT32_MAX
#define HEAD_LEN 54
#define HHEA_LEN 36
#define MAXP_LEN 32                 /* version 1.0, the one TrueType outlines have */

/* composite glyph component flags */
#define ARG_WORDS 0x0001
#define HAS_SCALE 0x0008
#define MORE_COMPONENTS 0x0020
#define HAS_XY_SCALE 0x0040
#define HAS_2X2 0x0080
#define HAS_INSTRUCTIONS 0x0100

struct glyph_slicer {
    hb_blob_t *blob[NTABLES];
    const unsigned char *table[NTABLES];
    size_t len[NTABLES];
    unsigned nglyphs, nmetrics;
    bool long_loca;
    /* each glyph as read once (the face does not change), by its number */
    uint32_t *cut_len;              /* its length once cut, before padding; NOT_READ */
    uint32_t *flags_at;             /* a simple glyph's: where its flags start */
    /* one subset's room, by the face's glyph numbers */
    unsigned char *marked;
    uint16_t *number;               /* a marked glyph's number in the subset */
    unsigned *kept;                 /* the marked glyphs, nkept of them */
    size_t nkept;
};

static unsigned be16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xFFFF);
}

void glyph_slicer_free(struct glyph_slicer *s)
{
    size_t i;

    if (!s)
        return;
    for (i = 0; i < NTABLES; i++)
        hb_blob_destroy(s->blob[i]);
    free(s->marked);
    free(s->cut_len);
    free(s->flags_at);
    free(s->number);
    free(s->kept);
    free(s);
}

/* Where glyph g's outline starts in glyf (g up to nglyphs: where the last one ends). */
static size_t loca_at(const struct glyph_slicer *s, unsigned g)
{
    const unsigned char *loca = s->table[LOCA];

    return s->long_loca ? be32(loca + 4 * (size_t)g) : 2 * (size_t)be16(loca + 2 * (size_t)g);
}

/*
 * Whether loca puts the outlines in the order of their glyphs, each within
 * glyf, as the OpenType specification asks: then no two outlines share
 * bytes, and a program cut from the face is never larger than the face.
 */
static bool loca_ascends(const struct glyph_slicer *s)
{
    size_t last = 0, at;
    unsigned g;

    for (g = 0; g <= s->nglyphs; g++, last = at)
        if ((at = loca_at(s, g)) < last)
            return false;
    return last <= s->len[GLYF];
}

struct glyph_slicer *glyph_slicer_new(hb_face_t *face)
{
    struct glyph_slicer *s = calloc(1, sizeof *s);
    const unsigned char *head, *hhea, *maxp;
    size_t i;

    if (!s)
        return NULL;
    for (i = 0; i < NTABLES; i++) {
        unsigned len = 0;

        s->blob[i] = hb_face_reference_table(
            face, HB_TAG(tags[i][0], tags[i][1], tags[i][2], tags[i][3]));
        s->table[i] = (const unsigned char *)hb_blob_get_data(s->blob[i], &len);
        s->len[i] = len;
    }
    head = s->table[HEAD];
    hhea = s->table[HHEA];
    maxp = s->table[MAXP];
    if (s->len[HEAD] < HEAD_LEN || be32(head + 12) != 0x5F0F3CF5 || be16(head + 50) > 1 ||
        s->len[HHEA] < HHEA_LEN || s->len[MAXP] < MAXP_LEN || be32(maxp) != 0x00010000 ||
        !s->len[GLYF])
        goto refused;
    s->nglyphs = be16(maxp + 4);
    s->nmetrics = be16(hhea + 34);
    s->long_loca = be16(head + 50) == 1;
    if (!s->nglyphs || !s->nmetrics || s->nmetrics > s->nglyphs ||
        s->len[HMTX] < 4 * (size_t)s->nmetrics + 2 * (size_t)(s->nglyphs - s->nmetrics) ||
        s->len[LOCA] < ((size_t)s->nglyphs + 1) * (s->long_loca ? 4 : 2))
        goto refused;
    if (!loca_ascends(s))
        goto refused;
    s->marked = calloc(s->nglyphs, 1);
    s->cut_len = malloc(s->nglyphs * sizeof *s->cut_len);
    s->flags_at = malloc(s->nglyphs * sizeof *s->flags_at);
    s->number = malloc(s->nglyphs * sizeof *s->number);
    s->kept = malloc(s->nglyphs * sizeof *s->kept);
    if (s->marked && s->cut_len && s->flags_at && s->number && s->kept) {
        memset(s->cut_len, 0xFF, s->nglyphs * sizeof *s->cut_len);     /* NOT_READ */
        return s;
    }
refused:
    glyph_slicer_free(s);
    return NULL;
}

/* ---- reading a glyph ------------------------------------------------ */

/* Glyph g's bytes in glyf (loca_ascends() has checked where they are). */
static void glyph_bytes(const struct glyph_slicer *s, unsigned g, const unsigned char **p,
                        size_t *len)
{
    size_t from = loca_at(s, g);

    *p = s->table[GLYF] + from;
    *len = loca_at(s, g + 1) - from;
}

/*
 * A simple glyph of n contours: where its flags start (after the
 * instructions) and where its coordinates end, or false when they run past
 * `len`.
 */
static bool simple_extent(const unsigned char *p, size_t len, unsigned n, size_t *flags_at,
                          size_t *end)
{
    size_t at = 10 + 2 * (size_t)n, points, done = 0, xlen = 0, ylen = 0;

    if (at + 2 > len)
        return false;
    points = (size_t)be16(p + at - 2) + 1;
    at += 2 + be16(p + at);
    *flags_at = at;
    while (done < points) {
        unsigned flag, repeat = 1;

        if (at >= len)
            return false;
        flag = p[at++];
        if (flag & 0x08) {
            if (at >= len)
                return false;
            repeat += p[at++];
        }
        if (done + repeat > points)
            return false;
        xlen += repeat * (size_t)(flag & 0x02 ? 1 : flag & 0x10 ? 0 : 2);
        ylen += repeat * (size_t)(flag & 0x04 ? 1 : flag & 0x20 ? 0 : 2);
        done += repeat;
    }
    *end = at + xlen + ylen;
    return *end <= len;
}

/*
 * A composite glyph's components: each one's offset (where its flags are)
 * is given to `each` (when not NULL) and the end of the last is returned,
 * or 0 when they run past `len`.
 */
static size_t components(const unsigned char *p, size_t len,
                         bool (*each)(void *arg, const unsigned char *component), void *arg)
{
    size_t at = 10;
    unsigned flags;

    do {
        const unsigned char *c = p + at;

        if (at + 4 > len)
            return 0;
        flags = be16(c);
        at += 4 + (flags & ARG_WORDS ? 4 : 2) +
              (flags & HAS_SCALE ? 2 : flags & HAS_XY_SCALE ? 4 : flags & HAS_2X2 ? 8 : 0);
        if (at > len || (each && !each(arg, c)))
            return 0;
    } while (flags & MORE_COMPONENTS);
    return at;
}

static void mark(struct glyph_slicer *s, unsigned g)
{
    if (!s->marked[g]) {
        s->marked[g] = 1;
        s->kept[s->nkept++] = g;
    }
}

/* A component's glyph, kept too (false when the face has no such glyph). */
static bool keep_component(void *arg, const unsigned char *c)
{
    struct glyph_slicer *s = arg;
    unsigned g = be16(c + 2);

    if (g >= s->nglyphs)
        return false;
    mark(s, g);
    return true;
}

/*
 * Glyph g's length once cut (s->cut_len[g]), its components kept: false
 * when its outline runs past its end.  A simple glyph is read once.
 */
static bool measure(struct glyph_slicer *s, unsigned g)
{
    const unsigned char *p;
    size_t len, flags_at, end;
    int contours;

    if (s->cut_len[g] != NOT_READ && (!s->cut_len[g] || s->flags_at[g]))
        return true;                    /* read before: empty or simple */
    glyph_bytes(s, g, &p, &len);
    if (len && len < 10)
        return false;
    contours = len ? (int16_t)be16(p) : 0;
    if (contours == 0) {                /* nothing to draw */
        s->cut_len[g] = 0;
        return true;
    }
    if (contours < 0) {
        end = components(p, len, keep_component, s);
        s->flags_at[g] = 0;
    } else if (simple_extent(p, len, (unsigned)contours, &flags_at, &end)) {
        s->flags_at[g] = (uint32_t)flags_at;
        end = 10 + 2 * (size_t)contours + 2 + (end - flags_at);
    } else {
        end = 0;
    }
    s->cut_len[g] = end ? (uint32_t)end : NOT_READ;
    return end != 0;
}

/* ---- writing the program -------------------------------------------- */

/* A component renumbered, its instructions left out: `c` is in the program being written. */
static bool renumber(void *arg, const unsigned char *c)
{
    const struct glyph_slicer *s = arg;
    unsigned char *w = (unsigned char *)c;

    put16(w, be16(w) & ~HAS_INSTRUCTIONS);
    put16(w + 2, s->number[be16(w + 2)]);
    return true;
}

/* Glyph g, measured, cut (s->cut_len[g] bytes) at `out`. */
static void write_glyph(const struct glyph_slicer *s, unsigned g, unsigned char *out)
{
    const unsigned char *p;
    size_t len, head;

    if (!s->cut_len[g])
        return;
    glyph_bytes(s, g, &p, &len);
    if (!s->flags_at[g]) {              /* composite */
        memcpy(out, p, s->cut_len[g]);
        components(out, s->cut_len[g], renumber, (void *)s);
        return;
    }
    head = 10 + 2 * (size_t)be16(p);
    memcpy(out, p, head);
    put16(out + head, 0);               /* no instructions */
    memcpy(out + head + 2, p + s->flags_at[g], s->cut_len[g] - head - 2);
}

static unsigned old_advance(const struct glyph_slicer *s, unsigned g)
{
    return be16(s->table[HMTX] + 4 * (size_t)(g < s->nmetrics ? g : s->nmetrics - 1));
}

static unsigned old_bearing(const struct glyph_slicer *s, unsigned g)
{
    const unsigned char *m = s->table[HMTX];

    return g < s->nmetrics ? be16(m + 4 * (size_t)g + 2)
                           : be16(m + 4 * (size_t)s->nmetrics + 2 * (size_t)(g - s->nmetrics));
}

/* The face's glyph numbered `k` in the subset, or -1 for an empty place (retained numbers). */
static long glyph_at(const struct glyph_slicer *s, bool retain, size_t k)
{
    if (!retain)
        return s->kept[k];
    return s->marked[k] ? (long)k : -1;
}

static uint32_t checksum(const unsigned char *p, size_t len)
{
    uint32_t sum = 0;
    size_t i;

    for (i = 0; i < len; i += 4)        /* tables are zero-padded to four bytes */
        sum += be32(p + i);
    return sum;
}

static int by_number(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

    return x < y ? -1 : x > y;
}

static size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

static enum slice_result write_program(struct glyph_slicer *s, bool retain, unsigned char **data,
                                       size_t *size)
{
    size_t nout = retain ? (size_t)s->kept[s->nkept - 1] + 1 : s->nkept;
    size_t glyf_len = 0, nlong = nout, len[NTABLES], at[NTABLES], total, k, pos;
    static const int order[NTABLES] = {HEAD, HHEA, MAXP, HMTX, LOCA, GLYF};  /* small ones first */
    unsigned char *out, *t;
    bool long_loca;
    int i;

    for (k = 0; k < s->nkept; k++)
        glyf_len += (s->cut_len[s->kept[k]] + 1) & ~(size_t)1;
    long_loca = glyf_len / 2 > 0xFFFF;
    while (nlong > 1) {
        long a = glyph_at(s, retain, nlong - 2), b = glyph_at(s, retain, nlong - 1);

        if ((a < 0 ? 0 : old_advance(s, (unsigned)a)) != (b < 0 ? 0 : old_advance(s, (unsigned)b)))
            break;
        nlong--;
    }
    len[GLYF] = glyf_len;
    len[HEAD] = HEAD_LEN;
    len[HHEA] = HHEA_LEN;
    len[MAXP] = MAXP_LEN;
    len[HMTX] = 4 * nlong + 2 * (nout - nlong);
    len[LOCA] = (nout + 1) * (long_loca ? 4 : 2);
    total = 12 + 16 * NTABLES;
    for (i = 0; i < NTABLES; i++) {
        at[order[i]] = total;
        total += pad4(len[order[i]]);
    }
    out = calloc(1, total);
    if (!out)
        return SLICE_NO_MEMORY;

    t = out + at[HEAD];
    memcpy(t, s->table[HEAD], HEAD_LEN);
    put32(t + 8, 0);                    /* checksum adjustment: set last */
    put16(t + 50, long_loca);
    t = out + at[HHEA];
    memcpy(t, s->table[HHEA], HHEA_LEN);
    put16(t + 34, (unsigned)nlong);
    t = out + at[MAXP];
    memcpy(t, s->table[MAXP], MAXP_LEN);
    put16(t + 4, (unsigned)nout);
    put16(t + 14, 1);                   /* zones: the glyph zone only */
    memset(t + 16, 0, 12);              /* twilight points, storage, definitions, stack, instructions */

    pos = 0;
    for (k = 0; k < nout; k++) {
        long g = glyph_at(s, retain, k);
        unsigned char *m = out + at[HMTX] + (k < nlong ? 4 * k : 4 * nlong + 2 * (k - nlong));
        unsigned char *l = out + at[LOCA] + (long_loca ? 4 : 2) * k;

        if (long_loca)
            put32(l, (uint32_t)pos);
        else
            put16(l, (unsigned)(pos / 2));
        if (g < 0)
            continue;                   /* an empty place: no outline, no metrics */
        if (k < nlong) {
            put16(m, old_advance(s, (unsigned)g));
            m += 2;
        }
        put16(m, old_bearing(s, (unsigned)g));
        write_glyph(s, (unsigned)g, out + at[GLYF] + pos);
        pos += (s->cut_len[g] + 1) & ~(size_t)1;
    }
    if (long_loca)
        put32(out + at[LOCA] + 4 * nout, (uint32_t)pos);
    else
        put16(out + at[LOCA] + 2 * nout, (unsigned)(pos / 2));

    put32(out, 0x00010000);
    put16(out + 4, NTABLES);
    put16(out + 6, 64);                 /* search range: 16 x the largest power of two <= 6 */
    put16(out + 8, 2);
    put16(out + 10, NTABLES * 16 - 64);
    for (i = 0; i < NTABLES; i++) {
        unsigned char *r = out + 12 + 16 * i;

        memcpy(r, tags[i], 4);
        put32(r + 4, checksum(out + at[i], pad4(len[i])));
        put32(r + 8, (uint32_t)at[i]);
        put32(r + 12, (uint32_t)len[i]);
    }
    put32(out + at[HEAD] + 8, 0xB1B0AFBAu - checksum(out, total));
    *data = out;
    *size = total;
    return SLICE_DONE;
}

enum slice_result glyph_slicer_cut(struct glyph_slicer *s, const unsigned *gids, size_t n,
                                   bool retain_gids, unsigned *new_gids, unsigned char **data,
                                   size_t *size)
{
    enum slice_result r = SLICE_REFUSED;
    size_t k;

    *data = NULL;
    *size = 0;
    s->nkept = 0;
    mark(s, 0);
    for (k = 0; k < n; k++)
        if (gids[k] < s->nglyphs)
            mark(s, gids[k]);
    for (k = 0; k < s->nkept; k++)      /* composite glyphs add their components as they go */
        if (!measure(s, s->kept[k]))
            goto done;
    qsort(s->kept, s->nkept, sizeof *s->kept, by_number);
    for (k = 0; k < s->nkept; k++)
        s->number[s->kept[k]] = (uint16_t)(retain_gids ? s->kept[k] : k);
    r = write_program(s, retain_gids, data, size);
    for (k = 0; r == SLICE_DONE && new_gids && k < n; k++)
        new_gids[k] = gids[k] && gids[k] < s->nglyphs ? s->number[gids[k]] : 0;
done:
    for (k = 0; k < s->nkept; k++)
        s->marked[s->kept[k]] = 0;
    s->nkept = 0;
    return r;
}

/*
 * qr.c: encoding QR codes (ISO/IEC 18004), model 2, error correction level M.
 *
 * attache encodes its own codes: segments, Reed-Solomon blocks, placement,
 * format and version information follow the standard, and the mask is the
 * one of the eight with the lowest penalty score, as the standard asks.
 * libqrencode did the same, but scoring eight masks over byte-per-module
 * frames took a seventh of a certificate's time; here each mask is applied
 * to the data modules only and scored in one pass over rows and one over
 * columns.  The penalty rules are those of the standard (runs of five or
 * more, 2 x 2 blocks, finder-like 1:1:3:1:1 patterns with four light modules
 * on a side, the share of dark modules), with the symbol's surroundings
 * taken as light, so a code can have a different (equally valid) mask than
 * libqrencode chose for it.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "qr.h"
#include "token.h"

#define MAX_VERSION 40
#define DARK 1
#define FUNCTION 2                /* not a data module: never masked */

/* Error correction codewords per block and number of blocks at level M, by version. */
static const uint8_t ecc_per_block[MAX_VERSION + 1] = {
    0,  10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
    26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28};
static const uint8_t ecc_blocks[MAX_VERSION + 1] = {
    0,  1,  1,  1,  2,  2,  4,  4,  4,  5,  5,  5,  8,  9,  9,  10, 10, 11, 13, 14, 16,
    17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49};

/* ---- segments and codewords ------------------------------------------------- */

enum mode { MODE_ALNUM = 2, MODE_BYTES = 4 };

struct segment {
    enum mode mode;
    const char *s;
    size_t n;
};

struct bits {
    unsigned char *data;          /* zeroed, big enough for the version's codewords */
    size_t len;                   /* in bits */
};

static void put_bits(struct bits *b, unsigned v, int n)
{
    while (n-- > 0) {
        if (v >> n & 1)
            b->data[b->len >> 3] |= (unsigned char)(0x80 >> (b->len & 7));
        b->len++;
    }
}

static bool alphanumeric_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c && strchr(" $%*+-./:", c));
}

static bool alphanumeric(const char *s)
{
    for (; *s; s++)
        if (!alphanumeric_char(*s))
            return false;
    return true;
}

static unsigned alnum_value(char c)
{
    static const char extra[] = " $%*+-./:";

    if (c >= '0' && c <= '9')
        return (unsigned)(c - '0');
    if (c >= 'A' && c <= 'Z')
        return (unsigned)(c - 'A' + 10);
    return 36 + (unsigned)(strchr(extra, c) - extra);
}

/* Bits of a segment's character count field in version `v`. */
static int count_bits(enum mode m, int v)
{
    if (m == MODE_ALNUM)
        return v <= 9 ? 9 : v <= 26 ? 11 : 13;
    return v <= 9 ? 8 : 16;
}

static size_t segment_bits(const struct segment *s, int v)
{
    size_t data = s->mode == MODE_ALNUM ? s->n / 2 * 11 + s->n % 2 * 6 : s->n * 8;

    if (s->n >> count_bits(s->mode, v))
        return SIZE_MAX / 4;            /* too many characters for the field */
    return 4 + (size_t)count_bits(s->mode, v) + data;
}

/* Modules of a version's symbol that carry codewords (and remainder bits). */
static size_t raw_modules(int v)
{
    size_t r = ((size_t)16 * v + 128) * v + 64;

    if (v >= 2) {
        size_t align = (size_t)v / 7 + 2;
        r -= (25 * align - 10) * align - 55;
        if (v >= 7)
            r -= 36;
    }
    return r;
}

static size_t data_codewords(int v)
{
    return raw_modules(v) / 8 - (size_t)ecc_per_block[v] * ecc_blocks[v];
}

/* GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1, by logarithms. */
static uint8_t gf_exp[512], gf_log[256];
static pthread_once_t gf_once = PTHREAD_ONCE_INIT;

static void gf_init(void)
{
    unsigned x = 1;
    int i;

    for (i = 0; i < 255; i++) {
        gf_exp[i] = gf_exp[i + 255] = (uint8_t)x;
        gf_log[x] = (uint8_t)i;
        x = (x << 1) ^ ((x >> 7) * 0x11D);
    }
}

static unsigned gf_mul(unsigned a, unsigned b)
{
    return a && b ? gf_exp[gf_log[a] + gf_log[b]] : 0;
}

/* The generator polynomial of degree n, highest coefficient (1) left out. */
static void rs_generator(int n, unsigned char *g)
{
    unsigned root = 1;
    int i, j;

    memset(g, 0, (size_t)n);
    g[n - 1] = 1;
    for (i = 0; i < n; i++) {
        for (j = 0; j < n; j++) {
            g[j] = (unsigned char)gf_mul(g[j], root);
            if (j + 1 < n)
                g[j] ^= g[j + 1];
        }
        root = gf_mul(root, 2);
    }
}

/* The n error correction codewords of `len` data codewords into `ecc`. */
static void rs_remainder(const unsigned char *data, size_t len, const unsigned char *g, int n,
                         unsigned char *ecc)
{
    size_t i;
    int j;

    memset(ecc, 0, (size_t)n);
    for (i = 0; i < len; i++) {
        unsigned f = data[i] ^ ecc[0];
        memmove(ecc, ecc + 1, (size_t)n - 1);
        ecc[n - 1] = 0;
        if (f)
            for (j = 0; j < n; j++)
                ecc[j] ^= (unsigned char)gf_mul(g[j], f);
    }
}

/*
 * All codewords of version `v` in their order in the symbol: the data
 * split into blocks, each block's error correction, interleaved.
 */
static void interleave(int v, const unsigned char *data, unsigned char *out)
{
    int nblocks = ecc_blocks[v], necc = ecc_per_block[v], b;
    size_t total = raw_modules(v) / 8, short_len = total / (size_t)nblocks;
    int nshort = nblocks - (int)(total % (size_t)nblocks);
    size_t short_data = short_len - (size_t)necc, i, k = 0, at = 0;
    unsigned char gen[30], ecc[30];

    pthread_once(&gf_once, gf_init);
    rs_generator(necc, gen);
    for (i = 0; i <= short_data; i++)
        for (b = 0, at = 0; b < nblocks; b++) {
            size_t len = short_data + (b >= nshort);
            if (i < len)
                out[k++] = data[at + i];
            at += len;
        }
    for (b = 0, at = 0; b < nblocks; b++) {
        size_t len = short_data + (b >= nshort);
        rs_remainder(data + at, len, gen, necc, ecc);
        for (i = 0; i < (size_t)necc; i++)
            out[k + i * (size_t)nblocks + (size_t)b] = ecc[i];
        at += len;
    }
}

/* ---- the symbol -------------------------------------------------------------- */

struct symbol {
    int size;
    unsigned char *m;             /* size * size, row-major: DARK, FUNCTION */
};

static void set_function(struct symbol *s, int x, int y, bool dark)
{
    s->m[y * s->size + x] = (unsigned char)(FUNCTION | (dark ? DARK : 0));
}

static void draw_finder(struct symbol *s, int cx, int cy)
{
    int dx, dy;

    for (dy = -4; dy <= 4; dy++)
        for (dx = -4; dx <= 4; dx++) {
            int x = cx + dx, y = cy + dy, d = abs(dx) > abs(dy) ? abs(dx) : abs(dy);
            if (x >= 0 && x < s->size && y >= 0 && y < s->size)
                set_function(s, x, y, d != 2 && d != 4);
        }
}

static void draw_alignment(struct symbol *s, int cx, int cy)
{
    int dx, dy;

    for (dy = -2; dy <= 2; dy++)
        for (dx = -2; dx <= 2; dx++) {
            int d = abs(dx) > abs(dy) ? abs(dx) : abs(dy);
            set_function(s, cx + dx, cy + dy, d != 1);
        }
}

/* Centres of a version's alignment patterns along one axis; their count. */
static int alignment_centres(int v, int *pos)
{
    int n, step, i, p;

    if (v == 1)
        return 0;
    n = v / 7 + 2;
    step = (v * 8 + n * 3 + 5) / (n * 4 - 4) * 2;
    pos[0] = 6;
    for (i = n - 1, p = v * 4 + 10; i >= 1; i--, p -= step)
        pos[i] = p;
    return n;
}

/* The 15 format bits of level M (00) and `mask`, and where they go (twice). */
static void draw_format(struct symbol *s, int mask)
{
    unsigned data = (unsigned)mask, rem = data, bits;
    int i, n = s->size;

    for (i = 0; i < 10; i++)
        rem = (rem << 1) ^ ((rem >> 9) * 0x537);
    bits = (data << 10 | rem) ^ 0x5412;
    for (i = 0; i <= 5; i++)
        set_function(s, 8, i, bits >> i & 1);
    set_function(s, 8, 7, bits >> 6 & 1);
    set_function(s, 8, 8, bits >> 7 & 1);
    set_function(s, 7, 8, bits >> 8 & 1);
    for (i = 9; i < 15; i++)
        set_function(s, 14 - i, 8, bits >> i & 1);
    for (i = 0; i < 8; i++)
        set_function(s, n - 1 - i, 8, bits >> i & 1);
    for (i = 8; i < 15; i++)
        set_function(s, 8, n - 15 + i, bits >> i & 1);
    set_function(s, 8, n - 8, true);
}

static void draw_version(struct symbol *s, int v)
{
    unsigned rem = (unsigned)v, bits;
    int i;

    if (v < 7)
        return;
    for (i = 0; i < 12; i++)
        rem = (rem << 1) ^ ((rem >> 11) * 0x1F25);
    bits = (unsigned)v << 12 | rem;
    for (i = 0; i < 18; i++) {
        int a = s->size - 11 + i % 3, b = i / 3;
        set_function(s, a, b, bits >> i & 1);
        set_function(s, b, a, bits >> i & 1);
    }
}

static void draw_function_patterns(struct symbol *s, int v)
{
    int pos[7], n = alignment_centres(v, pos), i, j;

    for (i = 0; i < s->size; i++) {
        set_function(s, 6, i, i % 2 == 0);
        set_function(s, i, 6, i % 2 == 0);
    }
    draw_finder(s, 3, 3);
    draw_finder(s, s->size - 4, 3);
    draw_finder(s, 3, s->size - 4);
    for (i = 0; i < n; i++)
        for (j = 0; j < n; j++)
            if (!((i == 0 && j == 0) || (i == 0 && j == n - 1) || (i == n - 1 && j == 0)))
                draw_alignment(s, pos[i], pos[j]);
    draw_format(s, 0);            /* reserves the area; drawn again with the mask */
    draw_version(s, v);
}

/* The codewords along the two-column zigzag, bottom right first. */
static void place_codewords(struct symbol *s, const unsigned char *cw, size_t n)
{
    size_t i = 0;
    int right, vert, j, size = s->size;

    for (right = size - 1; right >= 1; right -= 2) {
        if (right == 6)
            right = 5;
        for (vert = 0; vert < size; vert++)
            for (j = 0; j < 2; j++) {
                int x = right - j, y = (right + 1) & 2 ? vert : size - 1 - vert;
                unsigned char *m = &s->m[y * size + x];
                if (*m & FUNCTION)
                    continue;
                if (i < n * 8 && cw[i >> 3] >> (7 - (i & 7)) & 1)
                    *m = DARK;
                i++;
            }
    }
}

static bool mask_at(int mask, int x, int y)
{
    switch (mask) {
    case 0: return (x + y) % 2 == 0;
    case 1: return y % 2 == 0;
    case 2: return x % 3 == 0;
    case 3: return (x + y) % 3 == 0;
    case 4: return (x / 3 + y / 2) % 2 == 0;
    case 5: return x * y % 2 + x * y % 3 == 0;
    case 6: return (x * y % 2 + x * y % 3) % 2 == 0;
    default: return ((x + y) % 2 + x * y % 3) % 2 == 0;
    }
}

/* Flip the data modules `mask` selects. */
static void apply_mask(struct symbol *s, int mask)
{
    int x, y;

    for (y = 0; y < s->size; y++) {
        unsigned char *row = s->m + y * s->size;
        for (x = 0; x < s->size; x++)
            if (!(row[x] & FUNCTION) && mask_at(mask, x, y))
                row[x] ^= DARK;
    }
}

/* ---- choosing the mask ------------------------------------------------------- */

/*
 * Scoring works on lines (rows and columns) as bit sets, 64 modules a
 * word: bit 4 + i is module i, and the four bits on either side stay 0, the
 * light surroundings a finder-like pattern needs.
 */
#define LINE_WORDS 3              /* 177 modules + 8 */
#define PAD 4

struct line {
    uint64_t w[LINE_WORDS];
};

static struct line line_and(struct line a, struct line b)
{
    for (int i = 0; i < LINE_WORDS; i++)
        a.w[i] &= b.w[i];
    return a;
}

static struct line line_not(struct line a)
{
    for (int i = 0; i < LINE_WORDS; i++)
        a.w[i] = ~a.w[i];
    return a;
}

static struct line line_or(struct line a, struct line b)
{
    for (int i = 0; i < LINE_WORDS; i++)
        a.w[i] |= b.w[i];
    return a;
}

static struct line line_xor(struct line a, struct line b)
{
    for (int i = 0; i < LINE_WORDS; i++)
        a.w[i] ^= b.w[i];
    return a;
}

/* Bit i of the result is bit i + k of `a` (0 < k < 64). */
static struct line line_down(struct line a, int k)
{
    for (int i = 0; i < LINE_WORDS; i++)
        a.w[i] = a.w[i] >> k | (i + 1 < LINE_WORDS ? a.w[i + 1] << (64 - k) : 0);
    return a;
}

static int line_count(struct line a)
{
    int n = 0;

    for (int i = 0; i < LINE_WORDS; i++)
        n += __builtin_popcountll(a.w[i]);
    return n;
}

/* Bits from..to-1 set. */
static struct line line_range(int from, int to)
{
    struct line r = {{0}};

    for (int i = from; i < to; i++)
        r.w[i / 64] |= 1ull << (i % 64);
    return r;
}

/*
 * The penalty of one line of modules: 3 + (r - 5) for every run of r >= 5
 * modules of one colour, 40 for every 1:1:3:1:1 finder-like pattern with
 * four light modules before or after it.  `pairs` holds the bits of the
 * modules that have another after them in the line, `starts` those where a
 * finder-like pattern can start.
 */
static long line_penalty(struct line l, const struct line *pairs, const struct line *starts)
{
    struct line d1 = line_down(l, 1), d2 = line_down(l, 2), d3 = line_down(l, 3);
    struct line same, five, first, light4, core;
    int j;

    /* module i equals i + 1, both in the line; then five in a row, and each run's first */
    same = line_and(line_not(line_xor(l, d1)), *pairs);
    five = line_and(line_and(same, line_down(same, 1)),
                    line_and(line_down(same, 2), line_down(same, 3)));
    first = five;
    for (j = 0; j < LINE_WORDS; j++)
        first.w[j] &= ~(five.w[j] << 1 | (j ? five.w[j - 1] >> 63 : 0));

    /* modules i .. i + 3 light; 1011101 at i .. i + 6 (the bits beyond the line are light) */
    light4 = line_not(line_or(line_or(l, d1), line_or(d2, d3)));
    core = line_and(line_and(line_and(l, line_not(d1)), line_and(d2, d3)),
                    line_and(line_down(l, 4), line_and(line_not(line_down(l, 5)),
                                                       line_down(l, 6))));
    core = line_and(core, *starts);
    return line_count(five) + 2L * line_count(first) +
           40L * (line_count(line_and(light4, line_down(core, 4))) +
                  line_count(line_and(core, line_down(light4, 7))));
}

/* Each mask's modules along rows (by row number mod 12) and columns (by column mod 12). */
static struct line mask_rows[8][12], mask_cols[8][12];
static pthread_once_t masks_once = PTHREAD_ONCE_INIT;

static void masks_init(void)
{
    int mask, r, i;

    for (mask = 0; mask < 8; mask++)
        for (r = 0; r < 12; r++)
            for (i = 0; i < 4 * MAX_VERSION + 17; i++) {
                uint64_t bit = 1ull << ((i + PAD) % 64);
                if (mask_at(mask, i, r))
                    mask_rows[mask][r].w[(i + PAD) / 64] |= bit;
                if (mask_at(mask, r, i))
                    mask_cols[mask][r].w[(i + PAD) / 64] |= bit;
            }
}

static void line_set(struct line *l, int i, bool on)
{
    uint64_t bit = 1ull << ((i + PAD) % 64);

    l->w[(i + PAD) / 64] = on ? l->w[(i + PAD) / 64] | bit : l->w[(i + PAD) / 64] & ~bit;
}

/*
 * The mask with the lowest penalty for the unmasked symbol `s` (format
 * information is scored as drawn for each mask).  Every mask's pattern
 * repeats every 12 rows and every 12 columns.
 */
static int choose_mask(struct symbol *s)
{
    int n = s->size, mask, i, x, y, best = 0;
    long best_score = -1, total = (long)n * n;
    struct line *rows = calloc((size_t)n * 4, sizeof *rows), *cols = rows + n;
    struct line *data_rows = rows + 2 * n, *data_cols = rows + 3 * n;
    struct line pairs = line_range(PAD, PAD + n - 1), starts = line_range(0, PAD + n);

    if (!rows)
        return 0;                 /* any mask makes a valid code */
    pthread_once(&masks_once, masks_init);
    for (y = 0; y < n; y++)
        for (x = 0; x < n; x++) {
            unsigned char m = s->m[y * n + x];
            line_set(&rows[y], x, m & DARK);
            line_set(&cols[x], y, m & DARK);
            line_set(&data_rows[y], x, !(m & FUNCTION));
            line_set(&data_cols[x], y, !(m & FUNCTION));
        }
    for (mask = 0; mask < 8; mask++) {
        long score = 0, dark = 0, k;
        struct line prev = {{0}};

        /* the format information this mask writes: row 8 and column 8 */
        draw_format(s, mask);
        for (i = 0; i < n; i++) {
            bool in_row = s->m[8 * n + i] & DARK, in_col = s->m[i * n + 8] & DARK;
            line_set(&rows[8], i, in_row);
            line_set(&cols[i], 8, in_row);
            line_set(&cols[8], i, in_col);
            line_set(&rows[i], 8, in_col);
        }
        for (i = 0; i < n; i++) {
            struct line r = line_xor(rows[i], line_and(mask_rows[mask][i % 12], data_rows[i]));
            struct line c = line_xor(cols[i], line_and(mask_cols[mask][i % 12], data_cols[i]));

            score += line_penalty(r, &pairs, &starts) + line_penalty(c, &pairs, &starts);
            dark += line_count(r);
            if (i) {                  /* 2 x 2 blocks of one colour, this row and the last */
                struct line same = line_and(line_not(line_xor(prev, r)),
                                            line_not(line_xor(r, line_down(r, 1))));
                same = line_and(same, line_not(line_xor(prev, line_down(prev, 1))));
                score += 3L * line_count(line_and(same, pairs));
            }
            prev = r;
        }
        k = (labs(dark * 20 - total * 10) + total - 1) / total - 1;
        score += k * 10;
        if (best_score < 0 || score < best_score) {
            best_score = score;
            best = mask;
        }
    }
    free(rows);
    return best;
}

/* ---- encoding ----------------------------------------------------------------- */

/*
 * The segments of a payload "https://verify.example.org/v/ATT1:...": the
 * capitalised start of the URL and the token in alphanumeric mode (5.5 bits
 * a character instead of 8), the rest in byte mode.
 */
static int split_payload(const char *payload, struct segment seg[3])
{
    const char *tok = strstr(payload, TOKEN_PREFIX);
    size_t prefix = tok ? (size_t)(tok - payload) : strlen(payload), an = 0;
    int n = 0;

    while (an < prefix && alphanumeric_char(payload[an]))
        an++;
    if (an < 12)
        an = 0;                   /* a short run does not pay for its segment header */
    if (an)
        seg[n++] = (struct segment){MODE_ALNUM, payload, an};
    if (prefix > an)
        seg[n++] = (struct segment){MODE_BYTES, payload + an, prefix - an};
    if (tok)
        seg[n++] = (struct segment){alphanumeric(tok) ? MODE_ALNUM : MODE_BYTES, tok,
                                    strlen(tok)};
    return n;
}

static void put_segment(struct bits *b, const struct segment *s, int v)
{
    size_t i;

    put_bits(b, s->mode, 4);
    put_bits(b, (unsigned)s->n, count_bits(s->mode, v));
    if (s->mode == MODE_BYTES) {
        for (i = 0; i < s->n; i++)
            put_bits(b, (unsigned char)s->s[i], 8);
        return;
    }
    for (i = 0; i + 1 < s->n; i += 2)
        put_bits(b, alnum_value(s->s[i]) * 45 + alnum_value(s->s[i + 1]), 11);
    if (s->n % 2)
        put_bits(b, alnum_value(s->s[s->n - 1]), 6);
}

/*
 * Level M, at the smallest version that holds the payload: the code is as
 * coarse as it can be, which is what a phone needs most.
 */
attache_status qr_make(const char *payload, int max_version, const char *subject,
                       struct qr_code *out, attache_error *err)
{
    struct segment seg[3];
    int nseg = split_payload(payload, seg), v, i, best;
    size_t need = 0, cap = 0;
    struct bits b = {0};
    unsigned char *codewords = NULL;
    struct symbol s = {0};
    attache_status rc = ATTACHE_OK;

    memset(out, 0, sizeof *out);
    if (max_version <= 0 || max_version > MAX_VERSION)
        max_version = MAX_VERSION;
    for (v = 1; v <= MAX_VERSION; v++) {
        for (i = 0, need = 0; i < nseg; i++)
            need += segment_bits(&seg[i], v);
        cap = data_codewords(v);
        if (need <= cap * 8)
            break;
    }
    if (v > MAX_VERSION)
        return err_set(err, ATTACHE_ERR_DATA, NULL, 0,
                       "%s: the QR code's %zu characters do not fit any QR version", subject,
                       strlen(payload));
    if (v > max_version)
        return err_set(err, ATTACHE_ERR_DATA, NULL, 0,
                       "%s: the QR code needs version %d (%zu characters), more than the "
                       "largest allowed, %d; shorten the verify-url or the name, or raise the "
                       "template's qr-max-version", subject, v, strlen(payload), max_version);

    s.size = v * 4 + 17;
    b.data = calloc(cap, 1);
    codewords = malloc(raw_modules(v) / 8);
    s.m = calloc((size_t)s.size * (size_t)s.size, 1);
    if (!b.data || !codewords || !s.m) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    for (i = 0; i < nseg; i++)
        put_segment(&b, &seg[i], v);
    put_bits(&b, 0, cap * 8 - b.len < 4 ? (int)(cap * 8 - b.len) : 4);     /* terminator */
    b.len = (b.len + 7) / 8 * 8;
    for (i = 0; b.len < cap * 8; i++)
        put_bits(&b, i % 2 ? 0x11 : 0xEC, 8);
    interleave(v, b.data, codewords);
    draw_function_patterns(&s, v);
    place_codewords(&s, codewords, raw_modules(v) / 8);

    best = choose_mask(&s);
    apply_mask(&s, best);
    draw_format(&s, best);

    for (i = 0; i < s.size * s.size; i++)
        s.m[i] &= DARK;
    out->modules = s.m;
    s.m = NULL;
    out->width = s.size;
    out->version = v;
done:
    free(s.m);
    free(codewords);
    free(b.data);
    return rc;
}

void qr_release(struct qr_code *qr)
{
    free(qr->modules);
    qr->modules = NULL;
    qr->width = 0;
}

/*
 * qr.c: encoding QR codes with libqrencode.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "error.h"
#include "qr.h"
#include "token.h"

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

/*
 * The payload as QR segments at `level`: the URL's capitalised start and the
 * token in alphanumeric mode, the rest in bytes.  NULL when out of memory
 * or not encodable.
 */
static QRinput *segments(const char *payload, QRecLevel level)
{
    const char *tok = strstr(payload, TOKEN_PREFIX);
    size_t prefix = tok ? (size_t)(tok - payload) : strlen(payload), an = 0;
    QRinput *in = QRinput_new2(0, level);

    if (!in)
        return NULL;
    while (an < prefix && alphanumeric_char(payload[an]))
        an++;
    if (an < 12)
        an = 0;          /* a short run does not pay for its segment header */
    if ((an && QRinput_append(in, QR_MODE_AN, (int)an, (const unsigned char *)payload) < 0) ||
        (prefix > an && QRinput_append(in, QR_MODE_8, (int)(prefix - an),
                                       (const unsigned char *)payload + an) < 0) ||
        (tok && QRinput_append(in, alphanumeric(tok) ? QR_MODE_AN : QR_MODE_8,
                               (int)strlen(tok), (const unsigned char *)tok) < 0)) {
        QRinput_free(in);
        return NULL;
    }
    return in;
}

/* ---- the mask ------------------------------------------------------------
 *
 * A code's data modules are flipped by one of eight masks, the one whose
 * symbol scores the fewest demerits (long runs of one colour, 2x2 blocks,
 * patterns that look like a finder, an uneven share of dark modules): the
 * code a phone reads most easily.  libqrencode scores all eight in full,
 * which is most of the time a code costs.  attache asks libqrencode for the
 * code under mask 0, then scores the eight itself with libqrencode's rules
 * and weights, faster, giving up on a mask as soon as it cannot win: the
 * mask chosen, and so every module, is the one libqrencode would choose
 * (tests/unit/test_qr.c compares the two on thousands of payloads).
 */

/*
 * libqrencode's code under a given mask, exported by libqrencode.so.4 since
 * 3.2 (Debian's symbols file lists it) though qrencode.h does not declare it.
 */
extern QRcode *QRcode_encodeMask(QRinput *input, int mask);

#define QR_WIDTH_MAX 177
#define FUNCTION_MODULE 0x80     /* libqrencode: not a data module, never masked */

/* Demerits, as libqrencode weighs them. */
#define DEMERIT_RUN 3            /* a run of 5 of one colour, and 1 more a module past 5 */
#define DEMERIT_BLOCK 3          /* a 2x2 block of one colour */
#define DEMERIT_FINDER 40        /* dark-light-dark-light-dark runs 1:1:3:1:1, light beside */
#define DEMERIT_BALANCE 10       /* each 5% the dark share is off 50% */

/* Mask m flips the data module at (x, y) when mask_bit() is true; every mask repeats every 12. */
static bool mask_bit(int m, int x, int y)
{
    switch (m) {
    case 0: return (x + y) % 2 == 0;
    case 1: return y % 2 == 0;
    case 2: return x % 3 == 0;
    case 3: return (x + y) % 3 == 0;
    case 4: return (y / 2 + x / 3) % 2 == 0;
    case 5: return (x * y) % 2 + (x * y) % 3 == 0;
    case 6: return ((x * y) % 2 + (x * y) % 3) % 2 == 0;
    default: return ((x * y) % 3 + (x + y) % 2) % 2 == 0;
    }
}

/*
 * The 15 bits of format information for a level and mask m (BCH(15,5), then
 * XOR 0x5412).  The level's two bits: L 01, M 00, Q 11, H 10.
 */
static unsigned format_bits(QRecLevel level, int m)
{
    unsigned lv = level == QR_ECLEVEL_L ? 1u : level == QR_ECLEVEL_Q ? 3u :
                  level == QR_ECLEVEL_H ? 2u : 0u;
    unsigned data = (lv << 3) | (unsigned)m, rem = data << 10;
    int i;

    for (i = 14; i >= 10; i--)
        if (rem & (1u << i))
            rem ^= 0x537u << (i - 10);
    return ((data << 10) | rem) ^ 0x5412u;
}

/*
 * The symbol as bits: a line (a row, or a column) of up to 177 modules is
 * three words, bit x of the line in bit x % 64 of word x / 64, 1 = dark.
 * Each mask is applied and scored a line at a time, on the words: rows for
 * runs and blocks, columns for runs, each kept as its own set of lines (a
 * mask's pattern is as easily written down the columns as along the rows).
 */
#define LINE_WORDS 3

struct line {
    uint64_t w[LINE_WORDS];
};

/* mask m's flips along a row y (row[m][y % 12]) and down a column x (column[m][x % 12]) */
static struct line mask_row[8][12], mask_column[8][12];
static pthread_once_t masks_once = PTHREAD_ONCE_INIT;

static void set_bit(struct line *l, int x, bool on)
{
    uint64_t b = (uint64_t)1 << (x % 64);

    /* without a branch: a module's colour is as good as random */
    l->w[x / 64] = (l->w[x / 64] & ~b) | (-(uint64_t)on & b);
}

static bool bit(const struct line *l, int x)
{
    return (l->w[x / 64] >> (x % 64)) & 1;
}

static void make_masks(void)
{
    int m, r, x;

    for (m = 0; m < 8; m++)
        for (r = 0; r < 12; r++)
            for (x = 0; x < LINE_WORDS * 64; x++) {
                set_bit(&mask_row[m][r], x, mask_bit(m, x, r));
                set_bit(&mask_column[m][r], x, mask_bit(m, r, x));
            }
}

/* Bit x of the result is bit x + 1 of l. */
static struct line next(const struct line *l)
{
    struct line s;

    s.w[0] = (l->w[0] >> 1) | (l->w[1] << 63);
    s.w[1] = (l->w[1] >> 1) | (l->w[2] << 63);
    s.w[2] = l->w[2] >> 1;
    return s;
}

/* The words a line of n modules takes. */
static int words(int n)
{
    return (n + 63) / 64;
}

/* The set bits of a word, without a call (x86-64 before popcnt has none). */
static int ones(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555u);
    x = (x & 0x3333333333333333u) + ((x >> 2) & 0x3333333333333333u);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fu;
    return (int)((x * 0x0101010101010101u) >> 56);
}

/* The set bits in the first nw words. */
static int count(const struct line *l, int nw)
{
    int k, c = 0;

    for (k = 0; k < nw; k++)
        c += ones(l->w[k]);
    return c;
}

/*
 * Where libqrencode writes the 15 bits of format information (bit i at
 * spot[i][0] and spot[i][1], as x, y), for a code `w` modules wide.
 */
static void format_spots(int w, int spot[15][2][2])
{
    int i;

    for (i = 0; i < 8; i++) {
        spot[i][0][0] = w - 1 - i, spot[i][0][1] = 8;
        spot[i][1][0] = 8, spot[i][1][1] = i < 6 ? i : i + 1;
    }
    for (i = 0; i < 7; i++) {
        spot[8 + i][0][0] = 8, spot[8 + i][0][1] = w - 7 + i;
        spot[8 + i][1][0] = i == 0 ? 7 : 6 - i, spot[8 + i][1][1] = 8;
    }
}

/*
 * The demerits of one line of n modules for its runs of one colour and
 * its finder-like patterns, counted as libqrencode counts them: from the
 * line's runs, one by one.
 */
static int run_demerits(const struct line *l, int n)
{
    int runs[QR_WIDTH_MAX + 2], len = 0, end = -1, i, k, d = 0;
    struct line s = next(l);

    /* runs alternate light, dark, ...: a line that starts dark has a light
       run of -1 before it, as libqrencode counts */
    if (l->w[0] & 1)
        runs[len++] = -1;
    for (k = 0; k < words(n); k++) {
        uint64_t t = l->w[k] ^ s.w[k];           /* bit x: x and x + 1 differ */

        if (k == (n - 2) / 64)
            t &= ~(uint64_t)0 >> (63 - (n - 2) % 64);
        else if (k > (n - 2) / 64)
            t = 0;
        while (t) {
            int x = k * 64 + __builtin_ctzll(t);
            runs[len++] = x - end;
            end = x;
            t &= t - 1;
        }
    }
    runs[len++] = n - 1 - end;
    for (i = 0; i < len; i++)
        d += runs[i] >= 5 ? DEMERIT_RUN + runs[i] - 5 : 0;
    /* a dark run of 3k between dark, light | light, dark runs of k (i odd: dark) */
    for (i = 3; i < len - 2; i += 2) {
        int r = runs[i];

        k = runs[i - 1];
        if (runs[i + 1] != k || runs[i - 2] != k || runs[i + 2] != k || r != 3 * k)
            continue;
        if (i == 3 || runs[i - 3] >= 4 * k || i + 4 >= len || runs[i + 3] >= 4 * k)
            d += DEMERIT_FINDER;
    }
    return d;
}

/* Only bit x set (none when x is outside the word). */
static uint64_t only(int x)
{
    return x >= 0 && x < 64 ? (uint64_t)1 << x : 0;
}

/*
 * Of the places `at` where dark, light, dark, light, dark runs of k, k,
 * 3k, k, k modules start (dark and light: the line's n modules), those
 * libqrencode counts as finder-like: the runs exactly that long, with 4k
 * light modules (light4k: bit x when x to x + 4k - 1 are light) or nothing
 * dark before or after them.
 */
static int word_finders(uint64_t at, uint64_t dark, uint64_t light, uint64_t light4k, int n,
                        int k)
{
    uint64_t before, after;

    if (!dark || n < 7 * k)
        return 0;
    at &= (light << 1) | 1;                              /* no longer to the left */
    at &= (light >> 7 * k) | only(n - 7 * k);            /* nor to the right */
    before = (light4k << 4 * k) | only(__builtin_ctzll(dark));
    after = (light4k >> 7 * k) | only(63 - __builtin_clzll(dark) - 7 * k + 1);
    return ones(at & (before | after));
}

/*
 * The same for a line in one word (n <= 64), on the word's bits: runs of
 * five or more, and finder-like patterns at scales 1 and 2.  A line with a
 * dark run of nine or more, which a pattern at scale 3 or more needs, is
 * counted run by run.
 */
static int line_demerits(const struct line *l, int n)
{
    uint64_t valid, dark = l->w[0], light, same, five, d2, d3, d4, d6, l2, l4, l8, one, two;

    if (n > 64)
        return run_demerits(l, n);
    /* dN, lN: bit x when x to x + N - 1 are dark, light */
    d2 = dark & dark >> 1;
    d4 = d2 & d2 >> 2;
    if (d4 & d4 >> 4 & dark >> 8)
        return run_demerits(l, n);
    valid = n == 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
    light = ~dark & valid;
    same = ~(dark ^ dark >> 1) & valid >> 1;             /* bit x: x and x + 1 alike */
    five = same & same >> 1 & same >> 2 & same >> 3;     /* bit x: x to x + 4 alike */
    d3 = d2 & dark >> 2;
    d6 = d4 & d2 >> 4;
    l2 = light & light >> 1;
    l4 = l2 & l2 >> 2;
    l8 = l4 & l4 >> 4;
    one = dark & light >> 1 & d3 >> 2 & light >> 5 & dark >> 6;      /* 1 0 111 0 1 */
    two = d2 & l2 >> 2 & d6 >> 4 & l2 >> 10 & d2 >> 12;              /* 11 00 111111 00 11 */
    return ones(five) + (DEMERIT_RUN - 1) * ones(five & ~(five << 1)) +
           DEMERIT_FINDER * (word_finders(one, dark, light, l4, n, 1) +
                             word_finders(two, dark, light, l8, n, 2));
}

/* The symbol's demerits, or some number at least `bound` once they reach it. */
static int demerits(const struct line *row, const struct line *col, int w, int bound)
{
    struct line pair, inner = {{0}};   /* pair: bit x: the 2x2 block at x, x + 1 is one colour */
    int dark = 0, n = w * w, nw = words(w), d, x, y, k;

    for (x = 0; x < w - 1; x++)
        set_bit(&inner, x, true);
    for (y = 0; y < w; y++)
        dark += count(&row[y], nw);
    d = abs((200 * dark + n) / n / 2 - 50) / 5 * DEMERIT_BALANCE;
    for (y = 1; y < w; y++) {
        struct line a = next(&row[y - 1]), b = next(&row[y]);
        for (k = 0; k < nw; k++)
            pair.w[k] = ~(row[y - 1].w[k] ^ a.w[k]) & ~(row[y].w[k] ^ b.w[k]) &
                        ~(row[y - 1].w[k] ^ row[y].w[k]) & inner.w[k];
        d += DEMERIT_BLOCK * count(&pair, nw);
    }
    for (y = 0; y < w && d < bound; y++)
        d += line_demerits(&row[y], w);
    for (x = 0; x < w && d < bound; x++)
        d += line_demerits(&col[x], w);
    return d;
}

/* a[i] bit j and a[j] bit i swapped for every i, j below 64: a 64 x 64 bit matrix transposed */
static void transpose64(uint64_t a[64])
{
    uint64_t m = 0x00000000FFFFFFFFu, t;
    int j, k;

    for (j = 32; j; j >>= 1, m ^= m << j)
        for (k = 0; k < 64; k = ((k | j) + 1) & ~j) {
            t = ((a[k] >> j) ^ a[k | j]) & m;
            a[k] ^= t << j;
            a[k | j] ^= t;
        }
}

/* cols: the w x w modules of rows, by columns (bit y of cols[x] is bit x of rows[y]). */
static void transpose(const struct line *rows, struct line *cols, int w)
{
    uint64_t block[64];
    int nw = words(w), bi, bj, i;

    for (bi = 0; bi < nw; bi++)          /* rows 64 bi .. , words bj */
        for (bj = 0; bj < nw; bj++) {
            for (i = 0; i < 64; i++)
                block[i] = 64 * bi + i < w ? rows[64 * bi + i].w[bj] : 0;
            transpose64(block);
            for (i = 0; i < 64 && 64 * bj + i < w; i++)
                cols[64 * bj + i].w[bi] = block[i];
        }
}

/*
 * The code libqrencode's QRcode_encodeInput() makes from `in`: its modules
 * (out->modules, malloc'd, 0/1), width and version.  0, or on failure an
 * errno value: ERANGE when no version holds the payload, ENOMEM when
 * memory runs out.
 */
static int encode(QRinput *in, QRecLevel level, struct qr_code *out)
{
    struct line plain[2][QR_WIDTH_MAX], flip[2][QR_WIDTH_MAX], line[2][QR_WIDTH_MAX];
    struct line best[QR_WIDTH_MAX];
    int spot[15][2][2];
    QRcode *qr;
    int w, m, x, y, i, least = INT_MAX;

    pthread_once(&masks_once, make_masks);
    errno = 0;
    qr = QRcode_encodeMask(in, 0);
    if (!qr)
        return errno == ERANGE ? ERANGE : errno ? errno : EINVAL;
    w = qr->width;
    if (w > QR_WIDTH_MAX || !(out->modules = malloc((size_t)w * (size_t)w))) {
        QRcode_free(qr);
        return w > QR_WIDTH_MAX ? EINVAL : ENOMEM;
    }
    /* the modules before any mask, by rows ([0]), then by columns ([1]) */
    memset(plain, 0, sizeof plain);
    memset(flip, 0, sizeof flip);
    for (y = 0; y < w; y++) {
        const unsigned char *v = qr->data + (size_t)y * (size_t)w;

        for (x = 0; x < w; x++) {
            uint64_t data = !(v[x] & FUNCTION_MODULE);
            /* mask 0 flips the data modules where x + y is even */
            uint64_t dark = (v[x] & 1) ^ (data & !((x + y) & 1));

            plain[0][y].w[x / 64] |= dark << (x % 64);
            flip[0][y].w[x / 64] |= data << (x % 64);
        }
    }
    transpose(plain[0], plain[1], w);
    transpose(flip[0], flip[1], w);
    out->width = w;
    out->version = qr->version;
    QRcode_free(qr);
    format_spots(w, spot);
    memset(line, 0, sizeof line);  /* the words past a narrow code's stay 0 */
    for (m = 0; m < 8; m++) {
        unsigned bits = format_bits(level, m);
        int d;

        for (i = 0; i < w; i++)
            for (x = 0; x < words(w); x++) {
                line[0][i].w[x] = plain[0][i].w[x] ^ (flip[0][i].w[x] & mask_row[m][i % 12].w[x]);
                line[1][i].w[x] =
                    plain[1][i].w[x] ^ (flip[1][i].w[x] & mask_column[m][i % 12].w[x]);
            }
        for (i = 0; i < 15; i++, bits >>= 1)
            for (x = 0; x < 2; x++) {
                set_bit(&line[0][spot[i][x][1]], spot[i][x][0], bits & 1);
                set_bit(&line[1][spot[i][x][0]], spot[i][x][1], bits & 1);
            }
        d = demerits(line[0], line[1], w, least);
        if (d < least) {         /* the first of equals wins, as in libqrencode */
            least = d;
            memcpy(best, line[0], (size_t)w * sizeof *best);
        }
    }
    for (y = 0; y < w; y++)
        for (x = 0; x < w; x++)
            out->modules[y * w + x] = bit(&best[y], x);
    return 0;
}

/*
 * Level M, at the smallest version that holds the payload: the code is as
 * coarse as it can be, which is what a phone needs most.  A payload that
 * level M cannot hold within max_version (a long name, in its Vietnamese
 * letters of three bytes each) is made at level L, which holds a quarter
 * more at the same size: a printed code is seldom damaged, and its modules
 * stay as large as the template asks.
 */
static attache_status qr_make_at(const char *payload, QRecLevel level, const char *subject,
                                 struct qr_code *out, attache_error *err)
{
    QRinput *in;
    int e;

    memset(out, 0, sizeof *out);
    in = segments(payload, level);
    if (!in)
        return err_set(err, ATTACHE_ERR_DATA, NULL, 0, "%s: cannot encode the QR code", subject);
    e = encode(in, level, out);
    if (e) {
        QRinput_free(in);
        qr_release(out);
        if (e == ERANGE)
            return err_set(err, ATTACHE_ERR_DATA, NULL, 0,
                           "%s: the QR code's %zu characters do not fit any QR version",
                           subject, strlen(payload));
        if (e == ENOMEM)
            return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "%s: cannot encode the QR code",
                       subject);
    }
    QRinput_free(in);
    return ATTACHE_OK;
}

attache_status qr_make(const char *payload, int max_version, const char *subject,
                       struct qr_code *out, attache_error *err)
{
    attache_status rc;

    if (max_version <= 0 || max_version > 40)
        max_version = 40;
    rc = qr_make_at(payload, QR_ECLEVEL_M, subject, out, err);
    if (rc == ATTACHE_OK && out->version > max_version) {
        struct qr_code low;

        if (qr_make_at(payload, QR_ECLEVEL_L, subject, &low, err) == ATTACHE_OK) {
            if (low.version <= max_version) {
                qr_release(out);
                *out = low;
                return ATTACHE_OK;
            }
            qr_release(&low);
        }
        attache_error_clear(err);
    }
    if (rc == ATTACHE_OK && out->version > max_version) {
        rc = err_set(err, ATTACHE_ERR_DATA, NULL, 0,
                     "%s: the QR code needs version %d (%zu characters), more than the "
                     "largest allowed, %d; shorten the verify-url or the name, or raise the "
                     "template's qr-max-version", subject, out->version, strlen(payload),
                     max_version);
        qr_release(out);
        return rc;
    }
    return rc;
}

void qr_release(struct qr_code *qr)
{
    free(qr->modules);
    qr->modules = NULL;
    qr->width = 0;
}

/*
 * mask_deflate.c: image masks with repeating rows, deflated by attache
 * (mask_deflate.h), and the rest of their stream by libdeflate.
 *
 * The stream is a zlib header, then for each piece its text in a stored
 * block and its mask in a block of its own Huffman code, then the tail in
 * a stored block, which leaves the stream at a byte's start, where
 * libdeflate's raw deflate of the rest can follow; the Adler-32 of it all
 * ends it.  A mask's block codes each distinct row as literals and its
 * repeats as copies at the distance of one row.  Its codes are complete
 * (every decoder takes them): the literals' and lengths' a Huffman code of
 * what the mask uses, the distances' two codes of one bit (one used), the
 * code lengths' as even as their number allows.
 */
#include <libdeflate.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mask_deflate.h"

/* ---- bits ------------------------------------------------------------------ */

/* Bits written first to last from bit 0 of each byte up, as deflate writes them. */
struct bits {
    unsigned char *p;            /* room for everything, worked out before */
    size_t n;                    /* bytes written */
    uint64_t acc;                /* bits not written yet, the first in bit 0 */
    unsigned nacc;
};

/* n <= 32 bits; whole 32-bit words go out as they fill */
static inline void put_bits(struct bits *b, uint32_t v, unsigned n)
{
    b->acc |= (uint64_t)v << b->nacc;
    b->nacc += n;
    if (b->nacc >= 32) {
        unsigned char *p = b->p + b->n;

        p[0] = (unsigned char)b->acc;
        p[1] = (unsigned char)(b->acc >> 8);
        p[2] = (unsigned char)(b->acc >> 16);
        p[3] = (unsigned char)(b->acc >> 24);
        b->n += 4;
        b->acc >>= 32;
        b->nacc -= 32;
    }
}

/* On to the next byte's start, every bit written (those left of the last byte 0). */
static void align(struct bits *b)
{
    while (b->nacc > 0) {
        b->p[b->n++] = (unsigned char)b->acc;
        b->acc >>= 8;
        b->nacc = b->nacc > 8 ? b->nacc - 8 : 0;
    }
    b->acc = 0;
}

/* `n` bytes as stored blocks (of 65,535 bytes at most), the last one final if `final`. */
static void put_stored(struct bits *b, const unsigned char *s, size_t n, bool final)
{
    do {
        size_t len = n > 65535 ? 65535 : n;
        bool last = len == n;

        put_bits(b, final && last, 1);
        put_bits(b, 0, 2);
        align(b);
        put_bits(b, (uint32_t)len, 16);
        put_bits(b, (uint32_t)len ^ 0xFFFFu, 16);
        if (len)
            memcpy(b->p + b->n, s, len);
        b->n += len;
        s += len;
        n -= len;
    } while (n);
}

/* ---- codes ----------------------------------------------------------------- */

#define LITLEN_SYMBOLS 286
#define END_OF_BLOCK 256
#define CL_SYMBOLS 19

/* Lengths 3 to 258 and distances 1 to 32,768: the codes' first values, extra bits (RFC 1951 3.2.5) */
static const uint16_t len_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                      31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {1,    2,    3,    4,    5,    7,     9,     13,    17,  25,
                                       33,   49,   65,   97,   129,  193,   257,   385,   513, 769,
                                       1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                       6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
/* the order the code lengths' code's lengths are written in */
static const uint8_t cl_order[CL_SYMBOLS] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                             11, 4,  12, 3, 13, 2, 14, 1, 15};

static int length_code(unsigned len)
{
    int i = 28;

    while (len_base[i] > len)
        i--;
    return i;
}

static int distance_code(unsigned d)
{
    int i = 29;

    while (dist_base[i] > d)
        i--;
    return i;
}

/*
 * Huffman code lengths (len[], 0 for a symbol unused) for the symbols of
 * `freq` not 0: at least two, and few (at most 32), so that two smallest
 * are found by looking at all.  Ties go to the lower number, so the same
 * counts give the same code.
 */
static void huffman_lengths(const unsigned *freq, int nsym, uint8_t *len)
{
    int leaf[32], parent[64], m = 0, nodes, alive, i;
    uint64_t w[64];
    bool done[64] = {false};

    for (i = 0; i < nsym; i++) {
        len[i] = 0;
        if (freq[i] && m < 32) {
            leaf[m] = i;
            w[m++] = freq[i];
        }
    }
    nodes = m;
    for (alive = m; alive > 1; alive--) {
        int a = -1, b = -1, k;

        for (k = 0; k < nodes; k++) {
            if (done[k])
                continue;
            if (a < 0 || w[k] < w[a]) {
                b = a;
                a = k;
            } else if (b < 0 || w[k] < w[b]) {
                b = k;
            }
        }
        w[nodes] = w[a] + w[b];
        parent[a] = parent[b] = nodes;
        done[a] = done[b] = true;
        nodes++;
    }
    for (i = 0; i < m; i++) {
        int k = i, depth = 0;

        while (k != nodes - 1) {
            k = parent[k];
            depth++;
        }
        len[leaf[i]] = (uint8_t)depth;
    }
}

/*
 * Lengths for the `n` symbols of `freq` not 0 as even as a complete code
 * allows: with 2^k / 2 < n <= 2^k of them, the 2^k - n used most take
 * k - 1 bits and the others k.
 */
static void even_lengths(const unsigned *freq, int nsym, uint8_t *len)
{
    int sym[32], n = 0, k = 0, i, j;

    for (i = 0; i < nsym; i++) {
        len[i] = 0;
        if (freq[i])
            sym[n++] = i;
    }
    if (n == 1)                  /* one symbol: a second, never used, keeps the code whole */
        sym[n++] = sym[0] == 0 ? 1 : 0;
    for (i = 1; i < n; i++)      /* by use, most first; ties by number */
        for (j = i; j > 0 && freq[sym[j]] > freq[sym[j - 1]]; j--) {
            int t = sym[j];
            sym[j] = sym[j - 1];
            sym[j - 1] = t;
        }
    while ((1 << k) < n)
        k++;
    for (i = 0; i < n; i++)
        len[sym[i]] = (uint8_t)(i < (1 << k) - n ? k - 1 : k);
}

/* The canonical code of the lengths (RFC 1951 3.2.2), bits reversed to be written as they come. */
static void canonical(const uint8_t *len, int nsym, uint16_t *code)
{
    unsigned count[16] = {0}, next[16] = {0}, c = 0;
    int i, bits;

    for (i = 0; i < nsym; i++)
        count[len[i]]++;
    count[0] = 0;
    for (bits = 1; bits < 16; bits++) {
        c = (c + count[bits - 1]) << 1;
        next[bits] = c;
    }
    for (i = 0; i < nsym; i++) {
        unsigned v = len[i] ? next[len[i]]++ : 0, r = 0;

        for (bits = 0; bits < len[i]; bits++, v >>= 1)
            r = r << 1 | (v & 1);
        code[i] = (uint16_t)r;
    }
}

/* ---- a mask's block -------------------------------------------------------- */

struct mask_code {
    uint8_t len[LITLEN_SYMBOLS];
    uint16_t code[LITLEN_SYMBOLS];
    unsigned freq[LITLEN_SYMBOLS];
    int dist;                    /* the distance code of a row */
    uint16_t dist_code_bits;     /* its one bit */
};

/*
 * The copies that repeat a row: of 258 bytes at most and never fewer than
 * 3, at the distance of one row; the last one or two bytes as literals
 * when fewer are left over.  Counted (b NULL) or written.
 */
static void put_copies(struct mask_code *mc, struct bits *b, const unsigned char *row,
                       size_t row_bytes, unsigned repeat)
{
    size_t left = (size_t)(repeat - 1) * row_bytes, done = 0;

    while (left) {
        unsigned len;
        int lc;

        if (left < 3) {
            int s = row[done % row_bytes];

            if (b)
                put_bits(b, mc->code[s], mc->len[s]);
            else
                mc->freq[s]++;
            left--;
            done++;
            continue;
        }
        len = left <= 258 ? (unsigned)left : left - 258 >= 3 ? 258 : (unsigned)(left - 3);
        lc = length_code(len);
        if (b) {
            put_bits(b, mc->code[257 + lc], mc->len[257 + lc]);
            put_bits(b, len - len_base[lc], len_extra[lc]);
            put_bits(b, mc->dist_code_bits, 1);
            put_bits(b, (uint32_t)(row_bytes - dist_base[mc->dist]), dist_extra[mc->dist]);
        } else {
            mc->freq[257 + lc]++;
        }
        left -= len;
        done += len;
    }
}

/*
 * How often each byte value comes in `n` bytes, added to freq[]: four
 * counts a value, so that a byte need not wait for the one before it to
 * be counted when both are the same (a mask has four values).
 */
static void count_values(const unsigned char *s, size_t n, unsigned *freq)
{
    unsigned count[4][256] = {{0}};
    size_t i;
    int v;

    for (i = 0; i + 4 <= n; i += 4) {
        count[0][s[i]]++;
        count[1][s[i + 1]]++;
        count[2][s[i + 2]]++;
        count[3][s[i + 3]]++;
    }
    for (; i < n; i++)
        count[0][s[i]]++;
    for (v = 0; v < 256; v++)
        freq[v] += count[0][v] + count[1][v] + count[2][v] + count[3][v];
}

/* A row's bytes as literals, the bits kept in registers while they are written. */
static void put_literals(struct bits *b, const struct mask_code *mc, const unsigned char *row,
                         size_t n)
{
    struct bits w = *b;
    size_t i;

    for (i = 0; i < n; i++)
        put_bits(&w, mc->code[row[i]], mc->len[row[i]]);
    *b = w;
}

/*
 * The code lengths of the block, run-length coded (RFC 1951 3.2.7): runs of
 * 0 as 17 or 18, other lengths as they are.  sym[] and extra[] get the
 * items; returns their number.
 */
static int code_length_items(const uint8_t *lens, int n, uint8_t *sym, uint8_t *extra)
{
    int i = 0, items = 0;

    while (i < n) {
        int run = 0;

        while (i + run < n && lens[i + run] == 0 && run < 138)
            run++;
        if (run >= 11) {
            sym[items] = 18;
            extra[items++] = (uint8_t)(run - 11);
        } else if (run >= 3) {
            sym[items] = 17;
            extra[items++] = (uint8_t)(run - 3);
        } else {
            run = 1;
            sym[items] = lens[i];
            extra[items++] = 0;
        }
        i += run;
    }
    return items;
}

/* A block (not the last) of `p`'s mask: each row's bytes as literals, then its copies. */
static bool put_mask(struct bits *b, const struct mask_piece *p)
{
    struct mask_code mc;
    uint8_t lens[LITLEN_SYMBOLS + 30], dist_len[30] = {0}, cl_len[CL_SYMBOLS];
    uint8_t items_sym[LITLEN_SYMBOLS + 30], items_extra[LITLEN_SYMBOLS + 30];
    uint16_t dist_code[30], cl_code[CL_SYMBOLS];
    unsigned cl_freq[CL_SYMBOLS] = {0};
    int nlit = END_OF_BLOCK + 1, ndist, other, items, hclen, i, values = 0;
    size_t r;

    memset(&mc, 0, sizeof mc);
    mc.dist = distance_code((unsigned)p->row_bytes);
    count_values(p->rows, p->nrows * p->row_bytes, mc.freq);
    for (r = 0; r < p->nrows; r++)
        put_copies(&mc, NULL, p->rows + r * p->row_bytes, p->row_bytes, p->repeat);
    mc.freq[END_OF_BLOCK] = 1;
    for (i = 0; i < 256; i++)
        values += mc.freq[i] != 0;
    if (values > MASK_DEFLATE_VALUES)
        return false;
    huffman_lengths(mc.freq, LITLEN_SYMBOLS, mc.len);
    canonical(mc.len, LITLEN_SYMBOLS, mc.code);
    for (i = END_OF_BLOCK; i < LITLEN_SYMBOLS; i++)
        if (mc.len[i])
            nlit = i + 1;
    /* two distance codes of one bit: the row's, and another that is never used */
    other = mc.dist == 0 ? 1 : 0;
    dist_len[mc.dist] = dist_len[other] = 1;
    ndist = (mc.dist > other ? mc.dist : other) + 1;
    canonical(dist_len, ndist, dist_code);
    mc.dist_code_bits = dist_code[mc.dist];

    memcpy(lens, mc.len, (size_t)nlit);
    memcpy(lens + nlit, dist_len, (size_t)ndist);
    items = code_length_items(lens, nlit + ndist, items_sym, items_extra);
    for (i = 0; i < items; i++)
        cl_freq[items_sym[i]]++;
    even_lengths(cl_freq, CL_SYMBOLS, cl_len);
    canonical(cl_len, CL_SYMBOLS, cl_code);
    for (hclen = CL_SYMBOLS; hclen > 4 && !cl_len[cl_order[hclen - 1]]; hclen--)
        ;

    put_bits(b, 0, 1);           /* not the last block */
    put_bits(b, 2, 2);           /* dynamic Huffman codes */
    put_bits(b, (uint32_t)(nlit - 257), 5);
    put_bits(b, (uint32_t)(ndist - 1), 5);
    put_bits(b, (uint32_t)(hclen - 4), 4);
    for (i = 0; i < hclen; i++)
        put_bits(b, cl_len[cl_order[i]], 3);
    for (i = 0; i < items; i++) {
        put_bits(b, cl_code[items_sym[i]], cl_len[items_sym[i]]);
        if (items_sym[i] == 17)
            put_bits(b, items_extra[i], 3);
        else if (items_sym[i] == 18)
            put_bits(b, items_extra[i], 7);
    }
    for (r = 0; r < p->nrows; r++) {
        const unsigned char *row = p->rows + r * p->row_bytes;

        put_literals(b, &mc, row, p->row_bytes);
        put_copies(&mc, b, row, p->row_bytes, p->repeat);
    }
    put_bits(b, mc.code[END_OF_BLOCK], mc.len[END_OF_BLOCK]);
    return true;
}

/* Room for a piece's blocks: its text stored, each byte of its rows and each copy in 15 bits or less. */
static size_t piece_bound(const struct mask_piece *p)
{
    size_t copies = p->repeat > 1 ? (size_t)(p->repeat - 1) * p->row_bytes / 3 + 1 : 0;

    return p->text_len + 5 * (p->text_len / 65535 + 1) + 512 +
           p->nrows * (2 * p->row_bytes + 5 * copies + 8);
}

/* The running Adler-32 of what the stream holds (libdeflate's starts over on NULL). */
static uint32_t adler_add(uint32_t adler, const unsigned char *s, size_t n)
{
    return n ? libdeflate_adler32(adler, s, n) : adler;
}

/* The mask's bytes as the stream holds them, into the running Adler-32, a few KB at a time. */
static uint32_t adler_mask(uint32_t adler, const struct mask_piece *p)
{
    unsigned char chunk[MASK_DEFLATE_MAX_ROW];
    size_t r, used = 0;
    unsigned k;

    for (r = 0; r < p->nrows; r++)
        for (k = 0; k < p->repeat; k++) {
            if (used + p->row_bytes > sizeof chunk) {
                adler = adler_add(adler, chunk, used);
                used = 0;
            }
            memcpy(chunk + used, p->rows + r * p->row_bytes, p->row_bytes);
            used += p->row_bytes;
        }
    return adler_add(adler, chunk, used);
}

bool mask_deflate(const struct mask_piece *pieces, size_t npieces, const unsigned char *tail,
                  size_t tail_len, const unsigned char *rest, size_t rest_len,
                  struct libdeflate_compressor *z, unsigned char **out, size_t *outn)
{
    size_t cap = 2 + tail_len + 5 * (tail_len / 65535 + 1) + 4, i, zn = 0;
    uint32_t adler = 1;
    struct bits b = {0};

    if (rest_len && !z)
        return false;
    for (i = 0; i < npieces; i++) {
        const struct mask_piece *p = &pieces[i];

        if (p->repeat < 1 || p->row_bytes > MASK_DEFLATE_MAX_ROW ||
            (p->nrows && !p->row_bytes))
            return false;
        cap += piece_bound(p);
    }
    if (rest_len)
        cap += libdeflate_deflate_compress_bound(z, rest_len);
    if (!(b.p = malloc(cap)))
        return false;
    b.p[b.n++] = 0x78;           /* deflate, a 32 KB window */
    b.p[b.n++] = 0x01;           /* no dictionary; the header a multiple of 31 */
    for (i = 0; i < npieces; i++) {
        const struct mask_piece *p = &pieces[i];

        if (p->text_len)
            put_stored(&b, p->text, p->text_len, false);
        if (p->nrows && !put_mask(&b, p)) {
            free(b.p);
            return false;
        }
        adler = adler_add(adler, p->text, p->text_len);
        adler = adler_mask(adler, p);
    }
    put_stored(&b, tail, tail_len, rest_len == 0);
    adler = adler_add(adler, tail, tail_len);
    if (rest_len) {
        zn = libdeflate_deflate_compress(z, rest, rest_len, b.p + b.n, cap - b.n - 4);
        if (!zn) {
            free(b.p);
            return false;
        }
        b.n += zn;
        adler = adler_add(adler, rest, rest_len);
    }
    b.p[b.n++] = (unsigned char)(adler >> 24);
    b.p[b.n++] = (unsigned char)(adler >> 16);
    b.p[b.n++] = (unsigned char)(adler >> 8);
    b.p[b.n++] = (unsigned char)adler;
    *out = b.p;
    *outn = b.n;
    return true;
}

/*
 * test_mask_deflate.c: streams that begin with masks whose rows repeat
 * inflate (with libdeflate's decompressor, which checks every code and
 * the Adler-32) to exactly the text, rows and rest they were made of, at
 * every width a QR code has, and stay small.
 */
#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mask_deflate.h"
#include "util.h"

/* Rows as draw_qr writes a code of `w` modules: two modules a byte, four bits each. */
static unsigned char *qr_rows(int w, size_t *row_bytes)
{
    size_t r = ((size_t)w * 4 + 7) / 8;
    unsigned char *rows = malloc(r * (size_t)w);
    int y, x;

    for (y = 0; y < w; y++)
        for (x = 0; x < w; x += 2) {
            unsigned a = check_random() & 1, b = x + 1 < w ? check_random() & 1 : 0;
            rows[(size_t)y * r + (size_t)x / 2] = (unsigned char)~(0xF0 * a | 0x0F * b);
        }
    *row_bytes = r;
    return rows;
}

/* What the stream must inflate to. */
static void expand(struct buf *b, const struct mask_piece *p, size_t n, const char *tail,
                   const char *rest)
{
    size_t i, r;
    unsigned k;

    for (i = 0; i < n; i++) {
        buf_add(b, p[i].text, p[i].text_len);
        for (r = 0; r < p[i].nrows; r++)
            for (k = 0; k < p[i].repeat; k++)
                buf_add(b, p[i].rows + r * p[i].row_bytes, p[i].row_bytes);
    }
    buf_adds(b, tail);
    buf_adds(b, rest);
}

/* Make the stream, inflate it, compare; its size into *size. */
static int round_trip(const struct mask_piece *p, size_t n, const char *tail, const char *rest,
                      size_t *size)
{
    struct libdeflate_compressor *z = libdeflate_alloc_compressor(1);
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    struct buf want = {0};
    unsigned char *out = NULL, *back;
    size_t outn = 0, got = 0;
    int ok;

    expand(&want, p, n, tail, rest);
    back = malloc(want.len + 1);
    ok = mask_deflate(p, n, (const unsigned char *)tail, strlen(tail),
                      (const unsigned char *)rest, strlen(rest), z, &out, &outn) &&
         libdeflate_zlib_decompress(d, out, outn, back, want.len + 1, &got) ==
             LIBDEFLATE_SUCCESS &&
         got == want.len && !memcmp(back, want.data, want.len);
    if (size)
        *size = outn;
    free(out);
    free(back);
    buf_release(&want);
    libdeflate_free_compressor(z);
    libdeflate_free_decompressor(d);
    return ok;
}

/* Every width from version 1 (21 modules) to 40 (177): a row's copies in one or two pieces. */
static void test_every_qr_width(void)
{
    static const char head[] = "q\n0.114 0.208 0.341 rg\n79.37 0 0 79.37 674.65 442.2 cm\n"
                               "BI /IM true /BPC 1 /W 228 /H 228 ID ";
    int w, bad = 0;

    for (w = 21; w <= 177; w += 4) {
        size_t rb;
        unsigned char *rows = qr_rows(w, &rb);
        struct mask_piece p = {(const unsigned char *)head, strlen(head), rows, rb, (size_t)w, 4};

        bad += !round_trip(&p, 1, "\nEI\nQ\n", "BT\n/F1 6.5 Tf\n(caption) Tj\nET\n", NULL);
        bad += !round_trip(&p, 1, "\nEI\nQ\n", "", NULL);
        free(rows);
    }
    CHECK_INT(bad, 0);
}

/* A code of version 10 in little more than two bits a byte of its distinct rows. */
static void test_small(void)
{
    size_t rb, size = 0;
    unsigned char *rows = qr_rows(57, &rb);
    struct mask_piece p = {NULL, 0, rows, rb, 57, 4};

    CHECK(round_trip(&p, 1, "", "", &size));
    /* 57 rows of 29 bytes: 413 bytes at two bits a byte, 86 for the copies, the codes */
    CHECK(size < 580);
    free(rows);
}

/* Copies of 258 bytes exactly, of 258 and a few more, and too few for a copy. */
static void test_copy_lengths(void)
{
    static const size_t widths[] = {1, 2, 3, 85, 86, 87, 88, 89, 129, 130, 200};
    static const unsigned repeats[] = {1, 2, 3, 4, 7};
    size_t i, j, r;
    int bad = 0;

    for (i = 0; i < ARRAY_SIZE(widths); i++)
        for (j = 0; j < ARRAY_SIZE(repeats); j++) {
            size_t rb = widths[i];
            unsigned char *rows = malloc(rb * 5);
            struct mask_piece p = {(const unsigned char *)"x", 1, rows, rb, 5, repeats[j]};

            for (r = 0; r < rb * 5; r++)
                rows[r] = (unsigned char)(check_random() % 3 * 0x55);
            bad += !round_trip(&p, 1, "y", "zz", NULL);
            free(rows);
        }
    CHECK_INT(bad, 0);
}

/* Several masks, with and without text between them; text over a stored block's 65,535 bytes. */
static void test_pieces(void)
{
    size_t ra, rb, big = 70000, i;
    unsigned char *a = qr_rows(21, &ra), *b = qr_rows(25, &rb);
    char *text = malloc(big + 1);
    struct mask_piece p[3] = {
        {(const unsigned char *)"one", 3, a, ra, 21, 4},
        {NULL, 0, b, rb, 25, 4},
        {NULL, 0, NULL, 0, 0, 4},
    };

    for (i = 0; i < big; i++)
        text[i] = (char)('a' + check_random() % 26);
    text[big] = '\0';
    CHECK(round_trip(p, 3, "two", "three", NULL));
    CHECK(round_trip(p, 2, "", "", NULL));
    CHECK(round_trip(p, 0, "", "", NULL));
    CHECK(round_trip(p, 0, text, "", NULL));
    CHECK(round_trip(p, 0, "", text, NULL));
    p[1].text = (const unsigned char *)text;
    p[1].text_len = big;
    CHECK(round_trip(p, 2, text, text, NULL));
    free(text);
    free(a);
    free(b);
}

/* The same pieces, the same bytes. */
static void test_deterministic(void)
{
    size_t rb, n1 = 0, n2 = 0;
    unsigned char *rows = qr_rows(33, &rb), *o1 = NULL, *o2 = NULL;
    struct mask_piece p = {(const unsigned char *)"q ", 2, rows, rb, 33, 4};
    struct libdeflate_compressor *z = libdeflate_alloc_compressor(1);

    CHECK(mask_deflate(&p, 1, (const unsigned char *)"Q", 1, (const unsigned char *)"rest", 4,
                       z, &o1, &n1));
    CHECK(mask_deflate(&p, 1, (const unsigned char *)"Q", 1, (const unsigned char *)"rest", 4,
                       z, &o2, &n2));
    CHECK(n1 == n2 && o1 && o2 && !memcmp(o1, o2, n1));
    free(o1);
    free(o2);
    free(rows);
    libdeflate_free_compressor(z);
}

/* Rows of more values than the code is made for, or no compressor for a rest: refused. */
static void test_refused(void)
{
    unsigned char rows[16], *out = (unsigned char *)"untouched";
    size_t outn = 7, i;
    struct mask_piece p = {NULL, 0, rows, 16, 1, 4};

    for (i = 0; i < sizeof rows; i++)
        rows[i] = (unsigned char)i;
    CHECK(!mask_deflate(&p, 1, NULL, 0, NULL, 0, NULL, &out, &outn));
    CHECK(!mask_deflate(NULL, 0, NULL, 0, (const unsigned char *)"x", 1, NULL, &out, &outn));
    CHECK(outn == 7 && !strcmp((const char *)out, "untouched"));
    for (i = 0; i < sizeof rows; i++)
        rows[i] = (unsigned char)(i % MASK_DEFLATE_VALUES);
    CHECK(round_trip(&p, 1, "", "", NULL));
}

int main(void)
{
    test_every_qr_width();
    test_small();
    test_copy_lengths();
    test_pieces();
    test_deterministic();
    test_refused();
    return check_done();
}

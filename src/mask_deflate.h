/*
 * mask_deflate.h: a zlib stream (RFC 1950, 1951) that begins with image
 * masks whose rows repeat, deflated by attache.
 *
 * A QR code is drawn as a one-bit image mask of four samples a module
 * (pdf.c, draw_qr): each row of modules is one row of bytes, written four
 * times.  A general compressor searches those bytes for what it can copy;
 * here the copies are known, and each row costs its bytes in a Huffman
 * code made for the four values a byte of the mask takes, then one copy of
 * the three rows that repeat it.  At level 12 libdeflate took 2 ms to make
 * a code of version 10 542 bytes; this makes it as small in a few
 * microseconds.  What follows the masks in the stream, the rest of a page's
 * content, is deflated by libdeflate as before.
 */
#ifndef ATTACHE_MASK_DEFLATE_H
#define ATTACHE_MASK_DEFLATE_H

#include <stdbool.h>
#include <stddef.h>

struct libdeflate_compressor;

/*
 * One piece of the stream: `text` (stored as it is), then a mask of
 * `nrows` distinct rows of `row_bytes` bytes each (rows[r * row_bytes ...]),
 * each row written `repeat` times (at least 2).  The rows' bytes may take
 * at most MASK_DEFLATE_VALUES distinct values (a QR code's take 4).
 */
struct mask_piece {
    const unsigned char *text;
    size_t text_len;
    const unsigned char *rows;
    size_t row_bytes, nrows;
    unsigned repeat;
};

#define MASK_DEFLATE_VALUES 8
#define MASK_DEFLATE_MAX_ROW 8192      /* a row's bytes (a QR code's: 89 at most) */

/*
 * The zlib stream of the pieces in order, then `tail` (stored), then
 * `rest` deflated with `z` (libdeflate's compressor; NULL when rest_len is
 * 0), into *out (malloc'd: free() it) and *outn.  Inflated, it gives every
 * piece's text and expanded mask, the tail, then the rest.  False when
 * memory runs out, `z` is needed and NULL, or a piece breaks the limits
 * above (nothing is written then).
 */
bool mask_deflate(const struct mask_piece *pieces, size_t npieces, const unsigned char *tail,
                  size_t tail_len, const unsigned char *rest, size_t rest_len,
                  struct libdeflate_compressor *z, unsigned char **out, size_t *outn);

#endif

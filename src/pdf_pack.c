/*
 * pdf_pack.c: the PDF libharu wrote, packed the way PDF 1.5 allows.
 *
 * libharu writes PDF 1.3: every object in the clear, and a cross-reference
 * table of 20 bytes an object.  A certificate's objects that are not
 * streams (its fonts', descriptors' and pages' dictionaries, the widths of
 * its glyphs, the lengths of libharu's streams) are 3 KB of text that
 * deflates to a third; the table is another 600 bytes.  Packed, those
 * objects go into object streams (ISO 32000-1, 7.5.7), deflated, and a
 * cross-reference stream (7.5.8) replaces the table and the trailer: a
 * certificate without images is about 2.8 KB smaller.
 *
 * What stays in the clear, as libharu wrote it: every stream object (its
 * bytes are deflated already) and the info dictionary, where attache keeps
 * the signed tokens and the fingerprint of the inputs for pdf_read.c and
 * pdf_recorded_inputs(), which read them without inflating anything.
 *
 * This is not a PDF parser either: it takes libharu's own layout (objects
 * "N 0 obj" in the order of their numbers, one table from object 0, a
 * trailer with /Root, /Info and /ID) and refuses anything else, and the
 * caller then keeps libharu's bytes as they are.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_private.h"
#include "util.h"

#define OBJECTS_A_STREAM 200  /* a reader inflates a whole object stream for one object */
/* A smaller cross-reference stream is not deflated: a document's are 175 to 330 bytes, of
   which deflate saves 50 to 120 for a call's fixed cost; a print file's are larger. */
#define XREF_STORED_BYTES 512

/* libharu's table: the offset of each object (0 for object 0), and its trailer. */
struct table {
    size_t *offset;
    size_t size;                 /* objects, with object 0 */
    size_t xref;                 /* where the table starts */
    unsigned long root, info;
    const char *id;              /* the trailer's "/ID [ ... ]", or NULL */
    size_t id_len;
};

static bool digits(const char *s, const char *end, size_t width, unsigned long *out)
{
    unsigned long v = 0;
    size_t i;

    if ((size_t)(end - s) < width)
        return false;
    for (i = 0; i < width; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    *out = v;
    return true;
}

/* The number after `key` (then " 0 R") in the trailer's dictionary. */
static bool trailer_ref(const char *dict, const char *end, const char *key, unsigned long *out)
{
    size_t k = strlen(key);
    const char *p = dict;
    unsigned long long v;

    while ((p = memmem(p, (size_t)(end - p), key, k)) != NULL) {
        p += k;
        if (p < end && *p == ' ' && pdf_number(&p, end, 9999999, &v)) {
            *out = (unsigned long)v;
            return (size_t)(end - p) >= 4 && !memcmp(p, " 0 R", 4);
        }
    }
    return false;
}

static int read_table(const char *pdf, size_t n, struct table *t)
{
    const char *end = pdf + n, *p, *dict;
    unsigned long long xref, first, size;
    unsigned long off, gen;
    size_t i;

    memset(t, 0, sizeof *t);
    /* "startxref\nOFFSET\n%%EOF\n" ends the file */
    if (n < 32)
        return EINVAL;
    for (p = end - 10; p > pdf && memcmp(p, "startxref\n", 10); p--)
        ;
    if (p == pdf)
        return EINVAL;
    p += 10;
    if (!pdf_number(&p, end, n - 1, &xref))
        return EINVAL;
    p = pdf + xref;
    if ((size_t)(end - p) < 5 || memcmp(p, "xref\n", 5))
        return EINVAL;
    p += 5;
    if (!pdf_number(&p, end, 0, &first) || p >= end || *p++ != ' ' ||
        !pdf_number(&p, end, 9999999, &size) || p >= end || *p++ != '\n' || size < 2 ||
        size > (size_t)(end - p) / 20)
        return EINVAL;
    t->offset = calloc(size, sizeof *t->offset);
    if (!t->offset)
        return ENOMEM;
    t->size = size;
    t->xref = xref;
    for (i = 0; i < size; i++, p += 20) {
        if (!digits(p, end, 10, &off) || p[10] != ' ' || !digits(p + 11, end, 5, &gen) ||
            p[16] != ' ' || memcmp(p + 18, "\r\n", 2))
            return EINVAL;
        if (i == 0 ? p[17] != 'f' : p[17] != 'n' || gen != 0 || off >= xref ||
                                        off <= t->offset[i - 1])
            return EINVAL;                /* libharu writes objects in their order */
        t->offset[i] = off;
    }
    if ((size_t)(end - p) < 8 || memcmp(p, "trailer\n", 8))
        return EINVAL;
    dict = p + 8;
    if (!trailer_ref(dict, end, "/Root", &t->root) || !trailer_ref(dict, end, "/Info", &t->info) ||
        t->root == 0 || t->root >= size || t->info == 0 || t->info >= size)
        return EINVAL;
    /* the file's /ID, when it has one, goes with the other trailer entries */
    t->id = memmem(dict, (size_t)(end - dict), "/ID [", 5);
    p = t->id ? memchr(t->id, ']', (size_t)(end - t->id)) : NULL;
    if (t->id && !p)
        return EINVAL;
    t->id_len = t->id ? (size_t)(p + 1 - t->id) : 0;
    return 0;
}

/*
 * Object i's bytes, from "i 0 obj\n" to its end, and its value between
 * them (without "endobj" and the newline before it).
 */
static bool object_at(const char *pdf, const struct table *t, size_t i, const char **start,
                      const char **stop, const char **value, const char **value_end)
{
    char num[16];
    size_t k = (size_t)(pdf_put_uint(num, (unsigned)i, ' ') - num);   /* "i " */
    const char *end = pdf + (i + 1 < t->size ? t->offset[i + 1] : t->xref);

    *start = pdf + t->offset[i];
    *stop = end;
    if ((size_t)(end - *start) < k + 13 || memcmp(*start, num, k) ||
        memcmp(*start + k, "0 obj\n", 6) || memcmp(end - 7, "endobj\n", 7))
        return false;
    *value = *start + k + 6;
    *value_end = end - 7;
    while (*value_end > *value && ((*value_end)[-1] == '\n' || (*value_end)[-1] == '\r'))
        (*value_end)--;
    return true;
}

/*
 * Is the value a stream?  A stream's value ends with "endstream" (and, for
 * the streams attache writes whole, a comment after it: pdf.c).  A value
 * that is not one but ends so, in a string, is only kept in the clear.
 */
static bool is_stream(const char *value, const char *value_end)
{
    size_t n = (size_t)(value_end - value);

    return memmem(n > 24 ? value_end - 24 : value, n > 24 ? 24 : n, "endstream", 9) != NULL;
}

/* A field of `width` bytes, most significant first. */
static void put_field(struct buf *b, unsigned long long v, int width)
{
    unsigned char f[8];
    int i;

    for (i = width - 1; i >= 0; i--, v >>= 8)
        f[i] = (unsigned char)(v & 0xFF);
    buf_add(b, f, (size_t)width);
}

static int width_of(unsigned long long v)
{
    int w = 1;

    while (v >>= 8)
        w++;
    return w;
}

/*
 * Write `plain` as object `number`'s stream, `dict` its other entries:
 * deflated with `z`, or as it is when z is NULL.
 */
static bool write_stream_object(struct buf *out, struct libdeflate_compressor *z,
                                unsigned long number, const char *dict, const struct buf *plain)
{
    unsigned char *zd = NULL;
    size_t zn = plain->len;

    if (z && !zlib_deflate(z, plain->data, plain->len, &zd, &zn))
        return false;
    buf_addf(out, "%lu 0 obj\n<< %s /Length %zu%s >>\nstream\r\n", number, dict, zn,
             z ? " /Filter /FlateDecode" : "");
    buf_add(out, z ? (const char *)zd : plain->data, zn);
    buf_adds(out, "\nendstream\nendobj\n");
    free(zd);
    return !out->failed;
}

int pdf_pack(const char *pdf, size_t n, struct libdeflate_compressor *z, struct buf *out)
{
    struct table t;
    struct buf head = {0}, body = {0}, xref = {0};
    /* object i: in the clear at offset[i], or index[i] of object stream home[i] */
    size_t *offset = NULL, *index = NULL, *home = NULL, *stream_at = NULL;
    const char **value = NULL, **value_end = NULL;
    size_t i, s, streams, in_stream = 0, cross, last;
    int w2, w3;
    int e;

    e = read_table(pdf, n, &t);
    if (e)
        goto done;
    e = ENOMEM;
    offset = calloc(t.size, sizeof *offset);
    index = calloc(t.size, sizeof *index);
    home = calloc(t.size, sizeof *home);
    stream_at = calloc(t.size / OBJECTS_A_STREAM + 1, sizeof *stream_at);
    value = calloc(t.size, sizeof *value);
    value_end = calloc(t.size, sizeof *value_end);
    if (!offset || !index || !home || !stream_at || !value || !value_end)
        goto done;
    /* packed, the file is mostly smaller than it was: room for it, grown once */
    if (!buf_grow(out, n))
        goto done;
    buf_adds(out, "%PDF-1.5\n%\xB7\xBE\xAD\xAA\n");
    /* the streams and the info dictionary, in the clear and in their order */
    for (i = 1; i < t.size; i++) {
        const char *start, *stop;

        if (!object_at(pdf, &t, i, &start, &stop, &value[i], &value_end[i])) {
            e = EINVAL;
            goto done;
        }
        if (i == t.info || is_stream(value[i], value_end[i])) {
            offset[i] = out->len;
            buf_add(out, start, (size_t)(stop - start));
        }
    }
    /* the rest, OBJECTS_A_STREAM to an object stream, numbered after libharu's */
    streams = 0;
    for (i = 1; i <= t.size; i++) {
        if (i < t.size && !offset[i]) {
            char pair[32];

            /* "number offset " into the stream's head, the value into its body */
            buf_add(&head, pair,
                    (size_t)(pdf_put_uint(pdf_put_uint(pair, (unsigned)i, ' '),
                                          (unsigned)body.len, ' ') - pair));
            home[i] = t.size + streams;
            index[i] = in_stream++;
            buf_add(&body, value[i], (size_t)(value_end[i] - value[i]));
            buf_add(&body, "\n", 1);
        }
        if (in_stream && (in_stream == OBJECTS_A_STREAM || i == t.size)) {
            char dict[80];

            snprintf(dict, sizeof dict, "/Type /ObjStm /N %zu /First %zu", in_stream, head.len);
            buf_add(&head, body.data, body.len);
            stream_at[streams] = out->len;
            if (head.failed || !write_stream_object(out, z, t.size + streams, dict, &head))
                goto done;
            streams++;
            in_stream = 0;
            buf_reset(&head);
            buf_reset(&body);
        }
    }
    /* the cross-reference stream, the last object, at `cross` */
    cross = out->len;
    last = t.size + streams;
    w2 = width_of(cross > last ? cross : last);
    w3 = 2;                          /* object 0's 65535, and indexes below OBJECTS_A_STREAM */
    put_field(&xref, 0, 1);
    put_field(&xref, 0, w2);
    put_field(&xref, 65535, w3);
    for (i = 1; i < t.size; i++) {
        put_field(&xref, offset[i] ? 1 : 2, 1);
        put_field(&xref, offset[i] ? offset[i] : home[i], w2);
        put_field(&xref, offset[i] ? 0 : index[i], w3);
    }
    for (s = 0; s <= streams; s++) {
        put_field(&xref, 1, 1);
        put_field(&xref, s < streams ? stream_at[s] : cross, w2);
        put_field(&xref, 0, w3);
    }
    {
        char dict[400];

        snprintf(dict, sizeof dict, "/Type /XRef /Size %zu /W [ 1 %d %d ] /Root %lu 0 R "
                 "/Info %lu 0 R%s%.*s", last + 1, w2, w3, t.root, t.info, t.id ? " " : "",
                 (int)t.id_len, t.id ? t.id : "");
        /* a document's table is a few hundred bytes of offsets, which deflate
           barely shrinks, for a deflate's fixed cost: kept as it is */
        if (xref.failed ||
            !write_stream_object(out, xref.len < XREF_STORED_BYTES ? NULL : z, last, dict, &xref))
            goto done;
    }
    buf_addf(out, "startxref\n%zu\n%%%%EOF\n", cross);
    e = out->failed ? ENOMEM : 0;
done:
    free(t.offset);
    free(offset);
    free(index);
    free(home);
    free(stream_at);
    free(value);
    free(value_end);
    buf_release(&head);
    buf_release(&body);
    buf_release(&xref);
    return e;
}

/*
 * pdf_read.c: reading back what attache keeps in the PDFs it writes: the
 * signed tokens in the info dictionary's /AttacheTokens (pdf.c writes them).
 *
 * This is not a PDF parser.  It follows the path attache's own files take,
 * each step bounded.  startxref at the end of the file gives where the
 * cross-reference section starts, and it is one of two kinds:
 *  - a cross-reference stream (what attache writes since 0.3, pdf_pack.c):
 *    its dictionary names the info dictionary's object, and its data,
 *    inflated, has a fixed-width entry an object (one section from object
 *    0), which gives the object's offset;
 *  - a table (what attache 0.2 and before wrote): the trailer before
 *    startxref names the object, the table (one section from object 0,
 *    20-byte entries) gives its offset.
 * In that object, kept out of object streams, at the top level of its
 * dictionary, /AttacheTokens is an array of literal strings made of a
 * token's characters only.  A file that another program saved again (an
 * incremental update, the info dictionary compressed, several sections)
 * may not follow that path: it is then "not a PDF attache wrote as it
 * was", never a crash, whatever its bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libdeflate.h>

#include "error.h"
#include "pdf.h"

#define TAIL_BYTES 2048                    /* where the trailer is looked for */
#define MAX_INFO_BYTES (64u * 1024 * 1024) /* the info dictionary: 200,000 tokens and more */
#define MAX_TOKEN_CHARS 4096
#define MAX_TOKENS 1000000
#define XREF_DICT_BYTES 1024               /* a cross-reference stream's dictionary */
#define MAX_XREF_BYTES (256u * 1024 * 1024) /* its data, inflated: 20 million objects */

/* What xref_stream() says when memory runs out, told apart from a file's faults by address. */
static const char out_of_memory[] = "out of memory";

/* Read `n` bytes at `off`; false on a short read. */
static bool read_at(int fd, off_t off, void *buf, size_t n)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, off + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

/* The last occurrence of `needle` in s[0, n). */
static const char *last_of(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    const char *found = NULL, *p = s;

    while ((size_t)(s + n - p) >= k && (p = memmem(p, (size_t)(s + n - p), needle, k))) {
        found = p;
        p++;
    }
    return found;
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t' || ch == '\f' || ch == '\0';
}

static bool is_delimiter(char ch)
{
    return is_space(ch) || (ch && strchr("()<>[]{}/%", ch));
}

bool pdf_number(const char **p, const char *end, unsigned long long max, unsigned long long *out)
{
    const char *s = *p;
    unsigned long long v = 0;

    while (s < end && is_space(*s))
        s++;
    if (s == end || *s < '0' || *s > '9')
        return false;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (unsigned long long)(*s - '0');
        if (v > max)
            return false;
    }
    *p = s;
    *out = v;
    return true;
}

/* The literal string at s (its '('), skipped: past its ')', or NULL. */
static const char *skip_string(const char *s, const char *end)
{
    int depth = 0;

    for (; s < end; s++) {
        if (*s == '\\')
            s++;
        else if (*s == '(')
            depth++;
        else if (*s == ')' && --depth == 0)
            return s + 1;
    }
    return NULL;
}

/*
 * The dictionary that opens at `s` ("<<"): returns where it ends (past its
 * ">>"), or NULL when it runs past `end`; *value is where `key`'s value
 * starts at its top level, or NULL.  Strings are skipped, so a title that
 * spells the key, ">>" or "endobj" is taken for none of them.
 */
static const char *scan_dict(const char *s, const char *end, const char *key,
                             const char **value)
{
    size_t k = strlen(key);
    int depth = 0;

    *value = NULL;
    while (s < end) {
        if (*s == '(') {
            if (!(s = skip_string(s, end)))
                return NULL;
        } else if (s + 1 < end && s[0] == '<' && s[1] == '<') {
            depth++;
            s += 2;
        } else if (s + 1 < end && s[0] == '>' && s[1] == '>') {
            s += 2;
            if (--depth == 0)
                return s;
        } else if (*s == '<') {
            s = memchr(s, '>', (size_t)(end - s));
            if (!s)
                return NULL;
            s++;
        } else if (depth == 1 && (size_t)(end - s) > k && !memcmp(s, key, k) &&
                   is_delimiter(s[k])) {
            s += k;
            if (!*value)
                *value = s;
        } else
            s++;
    }
    return NULL;
}

/* Does the value at s (in s..end) start with the name `name`? */
static bool is_name(const char *s, const char *end, const char *name)
{
    size_t k = strlen(name);

    while (s < end && is_space(*s))
        s++;
    return (size_t)(end - s) > k && !memcmp(s, name, k) && is_delimiter(s[k]);
}

/* A field of `width` bytes, most significant first. */
static unsigned long long field(const unsigned char *p, unsigned long long width)
{
    unsigned long long v = 0;

    while (width--)
        v = v << 8 | *p++;
    return v;
}

/*
 * The cross-reference stream at `xref`: the info dictionary's object and
 * generation from its dictionary, its offset from its entry.  NULL, or why
 * the file is not as attache writes it (or out_of_memory).
 */
static const char *xref_stream(int fd, off_t size, unsigned long long xref,
                               unsigned long long *object, unsigned long long *gen,
                               unsigned long long *offset)
{
    char head[XREF_DICT_BYTES + 1];
    const char *p, *end, *dict, *closed, *v;
    unsigned long long o, g, count, w[3], length, row, type;
    size_t len = (size_t)(size - (off_t)xref) < XREF_DICT_BYTES ? (size_t)(size - (off_t)xref)
                                                                : XREF_DICT_BYTES;
    unsigned char *packed = NULL, *table = NULL;
    struct libdeflate_decompressor *d = NULL;
    const char *why = "no cross-reference table";
    size_t got = 0;
    bool deflated;
    int i;

    if (!read_at(fd, (off_t)xref, head, len))
        return why;
    head[len] = '\0';
    p = head;
    end = head + len;
    if (!pdf_number(&p, end, 9999999, &o) || !pdf_number(&p, end, 65535, &g))
        return why;
    while (p < end && is_space(*p))
        p++;
    if ((size_t)(end - p) < 3 || memcmp(p, "obj", 3))
        return why;
    for (p += 3; p < end && is_space(*p); p++)
        ;
    if ((size_t)(end - p) < 2 || memcmp(p, "<<", 2))
        return why;
    dict = p;
    if (!(closed = scan_dict(dict, end, "/Type", &v)) || !v || !is_name(v, closed, "/XRef"))
        return why;
    /* one section from object 0, deflated, nothing before or after it */
    if (scan_dict(dict, end, "/Index", &v) && v)
        return why;
    if (scan_dict(dict, end, "/Prev", &v) && v)
        return why;
    if (scan_dict(dict, end, "/DecodeParms", &v) && v)
        return why;
    /* deflated, or (a small table) as it is */
    if (!scan_dict(dict, end, "/Filter", &v) || (v && !is_name(v, closed, "/FlateDecode")))
        return why;
    deflated = v != NULL;
    if (!scan_dict(dict, end, "/Size", &v) || !v || !pdf_number(&v, closed, 9999999, &count))
        return why;
    if (!scan_dict(dict, end, "/Length", &v) || !v || !pdf_number(&v, closed, MAX_XREF_BYTES, &length))
        return why;
    if (!scan_dict(dict, end, "/W", &v) || !v)
        return why;
    while (v < closed && is_space(*v))
        v++;
    if (v == closed || *v++ != '[')
        return why;
    for (i = 0; i < 3; i++)
        if (!pdf_number(&v, closed, 8, &w[i]))
            return why;
    if (w[1] == 0)
        return why;
    row = w[0] + w[1] + w[2];
    if (!scan_dict(dict, end, "/Info", &v) || !v || !pdf_number(&v, closed, 9999999, object) ||
        !pdf_number(&v, closed, 65535, gen))
        return "no info dictionary";
    if (*object >= count)
        return why;
    /* the data: after "stream" and its end of line */
    for (p = closed; p < end && is_space(*p); p++)
        ;
    if ((size_t)(end - p) < 7 || memcmp(p, "stream", 6))
        return why;
    p += 6;
    p += *p == '\r';
    if (p >= end || *p != '\n')
        return why;
    p++;
    if ((unsigned long long)(p - head) + xref + length > (unsigned long long)size ||
        count * row > MAX_XREF_BYTES)
        return why;
    packed = malloc(length ? length : 1);
    table = malloc(count * row > 0 ? count * row : 1);
    d = libdeflate_alloc_decompressor();
    if (!packed || !table || !d) {
        why = out_of_memory;
        goto done;
    }
    if (!read_at(fd, (off_t)(xref + (unsigned long long)(p - head)), packed, length)) {
        why = "its cross-reference stream cannot be read";
        goto done;
    }
    if (!deflated && length == count * row) {
        memcpy(table, packed, length);
        got = length;
    } else if (deflated && libdeflate_zlib_decompress(d, packed, length, table, count * row,
                                                      &got) != LIBDEFLATE_SUCCESS)
        got = 0;
    if (got != count * row) {
        why = "its cross-reference stream cannot be read";
        goto done;
    }
    /* the info dictionary's entry: type 1, in the clear at an offset */
    type = w[0] ? field(table + *object * row, w[0]) : 1;
    *offset = field(table + *object * row + w[0], w[1]);
    if (type != 1 || field(table + *object * row + w[0] + w[1], w[2]) != *gen ||
        *offset >= (unsigned long long)size) {
        why = "no info dictionary";
        goto done;
    }
    why = NULL;
done:
    free(packed);
    free(table);
    libdeflate_free_decompressor(d);
    return why;
}

static bool token_char(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == ':';
}

/*
 * The cross-reference table at `xref`, with the trailer (trailer..stop) in
 * the file's tail: the info dictionary's object, generation and offset.
 * NULL, or why the file is not as attache writes it.
 */
static const char *xref_table(int fd, off_t size, unsigned long long xref, const char *trailer,
                              const char *stop, unsigned long long *object,
                              unsigned long long *gen, unsigned long long *offset)
{
    char head[64], entry[21];
    const char *start = trailer;
    unsigned long long count;

    do
        start = memmem(start + 1, (size_t)(stop - start - 1), "/Info", 5);
    while (start && start + 5 < stop && !is_delimiter(start[5]));
    if (!start)
        return "no info dictionary";
    start += 5;
    if (!pdf_number(&start, stop, 9999999, object) || !pdf_number(&start, stop, 65535, gen))
        return "no info dictionary";
    /* "xref" 0 SIZE, then 20 bytes an object */
    memset(head, 0, sizeof head);
    if (!read_at(fd, (off_t)xref, head, size - (off_t)xref < (off_t)sizeof head - 1
                                            ? (size_t)(size - (off_t)xref)
                                            : sizeof head - 1) ||
        strncmp(head, "xref", 4) || !(start = head + 4, pdf_number(&start, head + sizeof head, 0, &count)) ||
        !pdf_number(&start, head + sizeof head, 9999999, &count) || *object >= count)
        return "no cross-reference table";
    while (start < head + sizeof head && is_space(*start) && *start)
        start++;
    *offset = xref + (unsigned long long)(start - head) + 20 * *object;
    if (*offset + 20 > (unsigned long long)size || !read_at(fd, (off_t)*offset, entry, 20))
        return "no cross-reference table";
    entry[20] = '\0';
    start = entry;
    if (!pdf_number(&start, entry + 20, (unsigned long long)size - 1, offset) || entry[17] != 'n')
        return "no info dictionary";
    return NULL;
}

void pdf_tokens_free(char **tokens, size_t n)
{
    size_t i;

    for (i = 0; tokens && i < n; i++)
        free(tokens[i]);
    free(tokens);
}

/* The array of tokens at s: [ (ATT1:...) (ATT1:...) ]. */
static attache_status parse_tokens(const char *s, const char *end, const char *path,
                                   char ***tokens, size_t *n, attache_error *err)
{
    size_t cap = 0;

    while (s < end && is_space(*s))
        s++;
    if (s == end || *s != '[')
        return err_set(err, ATTACHE_ERR_DATA, path, 0, "its /AttacheTokens is not an array");
    for (s++;;) {
        const char *start;
        char **grown;

        while (s < end && is_space(*s))
            s++;
        if (s < end && *s == ']')
            return ATTACHE_OK;
        if (s == end || *s != '(')
            return err_set(err, ATTACHE_ERR_DATA, path, 0,
                           "its /AttacheTokens holds something other than tokens");
        for (start = ++s; s < end && token_char(*s); s++)
            ;
        if (s == end || *s != ')' || s - start > MAX_TOKEN_CHARS)
            return err_set(err, ATTACHE_ERR_DATA, path, 0,
                           "its /AttacheTokens holds something other than tokens");
        if (*n == MAX_TOKENS)
            return err_set(err, ATTACHE_ERR_DATA, path, 0, "more than %d tokens", MAX_TOKENS);
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            grown = realloc(*tokens, cap * sizeof *grown);
            if (!grown)
                return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
            *tokens = grown;
        }
        if (!((*tokens)[*n] = strndup(start, (size_t)(s - start))))
            return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        (*n)++;
        s++;
    }
}

attache_status pdf_read_tokens(const char *path, char ***tokens, size_t *n, attache_error *err)
{
    static const char not_ours[] = "not a PDF as attache wrote it (saved again by another "
                                   "program?): %s";
    char tail[TAIL_BYTES + 1];
    char *info = NULL;
    const char *p, *end, *trailer, *start, *why;
    unsigned long long xref, object, gen, offset;
    size_t tail_len, info_len;
    struct stat st;
    attache_status rc = ATTACHE_OK;
    int fd;

    *tokens = NULL;
    *n = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(err, ATTACHE_ERR_NOINPUT, path, 0, "cannot open: %s", strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = err_set(err, ATTACHE_ERR_NOINPUT, path, 0, "cannot open: not a regular file");
        goto done;
    }
    /* the trailer: startxref OFFSET, and the dictionary before it with /Info N G R */
    tail_len = st.st_size < TAIL_BYTES ? (size_t)st.st_size : TAIL_BYTES;
    if (!read_at(fd, st.st_size - (off_t)tail_len, tail, tail_len)) {
        rc = err_set(err, ATTACHE_ERR_NOINPUT, path, 0, "cannot read: %s",
                     errno ? strerror(errno) : "short read");
        goto done;
    }
    tail[tail_len] = '\0';
    p = last_of(tail, tail_len, "startxref");
    end = tail + tail_len;
    if (!p) {
        rc = err_set(err, ATTACHE_ERR_DATA, path, 0, not_ours, "no trailer at its end");
        goto done;
    }
    start = p + 9;
    if (!pdf_number(&start, end, (unsigned long long)st.st_size, &xref)) {
        rc = err_set(err, ATTACHE_ERR_DATA, path, 0, not_ours, "no startxref offset");
        goto done;
    }
    /* a trailer: a table (0.2); none: a cross-reference stream */
    trailer = last_of(tail, (size_t)(p - tail), "trailer");
    why = trailer ? xref_table(fd, st.st_size, xref, trailer, p, &object, &gen, &offset)
                  : xref_stream(fd, st.st_size, xref, &object, &gen, &offset);
    if (why) {
        rc = why == out_of_memory ? err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "%s", why)
                                  : err_set(err, ATTACHE_ERR_DATA, path, 0, not_ours, why);
        goto done;
    }
    /* the info dictionary's object, "N G obj << ... >>", read in growing pieces */
    for (info_len = 65536;; info_len *= 2) {
        const char *value, *closed;
        unsigned long long o, g, left = (unsigned long long)st.st_size - offset;
        bool whole = info_len >= left || info_len >= MAX_INFO_BYTES;
        char *grown;

        if (info_len > left)
            info_len = (size_t)left;
        if (info_len > MAX_INFO_BYTES)
            info_len = MAX_INFO_BYTES;
        if (!(grown = realloc(info, info_len + 1))) {
            rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
            goto done;
        }
        info = grown;
        if (!read_at(fd, (off_t)offset, info, info_len)) {
            rc = err_set(err, ATTACHE_ERR_NOINPUT, path, 0, "cannot read: %s",
                         errno ? strerror(errno) : "short read");
            goto done;
        }
        info[info_len] = '\0';
        start = info;
        end = info + info_len;
        if (!pdf_number(&start, end, 9999999, &o) || !pdf_number(&start, end, 65535, &g) ||
            o != object || g != gen) {
            rc = err_set(err, ATTACHE_ERR_DATA, path, 0, not_ours, "no info dictionary");
            goto done;
        }
        while (start < end && is_space(*start))
            start++;
        if ((size_t)(end - start) < 3 || memcmp(start, "obj", 3)) {
            rc = err_set(err, ATTACHE_ERR_DATA, path, 0, not_ours, "no info dictionary");
            goto done;
        }
        for (start += 3; start < end && is_space(*start); start++)
            ;
        if ((size_t)(end - start) < 2 || memcmp(start, "<<", 2)) {
            rc = err_set(err, ATTACHE_ERR_DATA, path, 0, not_ours, "no info dictionary");
            goto done;
        }
        closed = scan_dict(start, end, "/AttacheTokens", &value);
        if (closed) {
            if (value)
                rc = parse_tokens(value, closed, path, tokens, n, err);
            break;
        }
        if (whole) {
            rc = err_set(err, ATTACHE_ERR_DATA, path, 0, not_ours,
                         "its info dictionary does not end");
            goto done;
        }
    }
done:
    if (rc != ATTACHE_OK) {
        pdf_tokens_free(*tokens, *n);
        *tokens = NULL;
        *n = 0;
    }
    free(info);
    close(fd);
    return rc;
}

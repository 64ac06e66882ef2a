/*
 * util.h: small building blocks shared by the modules: a growable byte
 * buffer and checked allocation.
 */
#ifndef ATTACHE_UTIL_H
#define ATTACHE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "error.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * A growable buffer of bytes, always NUL-terminated when data != NULL.
 * Initialise with `struct buf b = {0};`, release with buf_release().
 * Appending functions return false when memory runs out (the buffer is then
 * left as it was) and set `failed`, so that a writer appending many pieces
 * can check once at the end.
 */
struct buf {
    char *data;
    size_t len, cap;
    bool failed;                 /* an append ran out of memory since the last reset */
};

bool buf_grow(struct buf *b, size_t extra);
/* buf_add when the buffer must grow first. */
bool buf_add_grown(struct buf *b, const void *data, size_t len);

/* Append `len` bytes; inline when they fit, as most of a document's pieces do. */
static inline bool buf_add(struct buf *b, const void *data, size_t len)
{
    if (len >= b->cap - b->len)          /* no room (or no buffer yet): grow first */
        return buf_add_grown(b, data, len);
    if (len)                             /* data may be NULL when len is 0 */
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return true;
}

bool buf_adds(struct buf *b, const char *s);
bool buf_addf(struct buf *b, const char *fmt, ...) ATTACHE_PRINTF(2, 3);
bool buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Cut the contents back to their first `len` bytes (len <= b->len), as they were. */
void buf_truncate(struct buf *b, size_t len);
void buf_reset(struct buf *b);
void buf_release(struct buf *b);
/* Hand the data over to the caller (free() it) and reset the buffer. */
char *buf_detach(struct buf *b, size_t *len);

struct libdeflate_compressor;

/* Deflate `n` bytes (zlib format) with `z` into a new buffer (*out; free() it); false
   when memory runs out, or `z` is NULL (a compressor that could not be made). */
bool zlib_deflate(struct libdeflate_compressor *z, const void *in, size_t n,
                  unsigned char **out, size_t *outn);

/*
 * A memo: a few values kept under the exact bytes of their keys, for work a
 * thread does again and again (a worker's compressed streams, measured
 * paragraphs).  A `tag` byte says what kind of value a
 * key names.  Bounded: MEMO_ENTRIES entries, none over MEMO_MAX_BYTES;
 * when full, the entry used least (the oldest of those) gives way, so what
 * every document needs stays while what one officer's data makes comes
 * and goes.  memo_new() returns NULL when out of memory; memo_free(NULL)
 * does nothing.  Not for sharing between threads.
 */
#define MEMO_ENTRIES 32
#define MEMO_MAX_BYTES (512u * 1024)

struct memo;
struct memo *memo_new(void);
void memo_free(struct memo *m);

/*
 * True, with *value (the memo's own bytes, valid until the next memo_put)
 * and *vlen, when the memo holds a value under `tag` and `key`.
 */
bool memo_get(struct memo *m, unsigned char tag, const void *key, size_t klen,
              const unsigned char **value, size_t *vlen);

/* Keep a copy of `value` under `tag` and `key`; when memory runs out, nothing is kept. */
void memo_put(struct memo *m, unsigned char tag, const void *key, size_t klen,
              const void *value, size_t vlen);

/* strdup that returns NULL for NULL. */
char *xstrdup(const char *s);

/*
 * Room for one more element in the malloc'd array `v` of `*cap` elements
 * of `size` bytes, `n` of them used: `v` itself while n < *cap, else `v`
 * moved to twice the room (`first` elements the first time) and *cap
 * updated.  NULL when memory runs out or the size would overflow; `v` is
 * then as it was.  The caller stores the result:
 *
 *     struct diag *p = array_room(l->diags, l->n, &l->cap, sizeof *p, 16);
 *     if (!p)
 *         return fail(...);
 *     l->diags = p;
 */
void *array_room(void *v, size_t n, size_t *cap, size_t size, size_t first);

/*
 * An arena: many small allocations freed at once (one document's layout).
 * Zero-initialise; arena_release() frees everything.  Allocations are
 * 16-byte aligned; NULL when memory runs out.
 */
struct arena_block;
struct arena {
    struct arena_block *head;
};

void *arena_alloc(struct arena *a, size_t size);
void *arena_calloc(struct arena *a, size_t n, size_t size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
void arena_release(struct arena *a);
#endif

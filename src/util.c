/*
 * util.c: byte buffers and reading input with a size cap.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libdeflate.h>

#include "util.h"

void *array_room(void *v, size_t n, size_t *cap, size_t size, size_t first)
{
    size_t want;

    if (n < *cap)
        return v;
    want = *cap ? *cap * 2 : first;
    if (want < *cap || want > (size_t)-1 / size)
        return NULL;
    v = realloc(v, want * size);
    if (v)
        *cap = want;
    return v;
}

bool buf_grow(struct buf *b, size_t extra)
{
    size_t want, cap;
    char *p;

    if (extra > (size_t)-1 / 2 - b->len) {
        b->failed = true;
        return false;
    }
    want = b->len + extra + 1;
    if (want <= b->cap)
        return true;
    cap = b->cap ? b->cap : 64;
    while (cap < want)
        cap *= 2;
    p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

bool buf_add_grown(struct buf *b, const void *data, size_t len)
{
    if (!buf_grow(b, len))
        return false;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return true;
}

bool buf_adds(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

bool buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    int n;

    va_copy(cp, ap);
    n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0) {
        b->failed = true;
        return false;
    }
    if (!buf_grow(b, (size_t)n))
        return false;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return true;
}

bool buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    bool ok;

    va_start(ap, fmt);
    ok = buf_vaddf(b, fmt, ap);
    va_end(ap);
    return ok;
}

void buf_truncate(struct buf *b, size_t len)
{
    b->len = len;
    if (b->data)
        b->data[len] = '\0';
}

void buf_reset(struct buf *b)
{
    buf_truncate(b, 0);
    b->failed = false;
}

void buf_release(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = false;
}

char *buf_detach(struct buf *b, size_t *len)
{
    char *d = b->data;

    if (!d)
        d = calloc(1, 1);
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = false;
    return d;
}

/* ---- memos ------------------------------------------------------------------ */

struct memo_entry {
    unsigned char *key, *value;  /* one allocation: the tag and key, then the value */
    size_t klen, vlen;
    unsigned long hits;
    unsigned long born;          /* when it came in: ties go to the oldest */
};

struct memo {
    struct memo_entry e[MEMO_ENTRIES];
    unsigned long clock;
};

struct memo *memo_new(void)
{
    return calloc(1, sizeof(struct memo));
}

void memo_free(struct memo *m)
{
    size_t i;

    if (!m)
        return;
    for (i = 0; i < MEMO_ENTRIES; i++)
        free(m->e[i].key);
    free(m);
}

bool memo_get(struct memo *m, unsigned char tag, const void *key, size_t klen,
              const unsigned char **value, size_t *vlen)
{
    size_t i;

    for (i = 0; i < MEMO_ENTRIES; i++) {
        struct memo_entry *e = &m->e[i];
        if (e->key && e->klen == klen + 1 && e->key[0] == tag &&
            !memcmp(e->key + 1, key, klen)) {
            e->hits++;
            *value = e->value;
            *vlen = e->vlen;
            return true;
        }
    }
    return false;
}

void memo_put(struct memo *m, unsigned char tag, const void *key, size_t klen,
              const void *value, size_t vlen)
{
    struct memo_entry *victim = NULL;
    unsigned char *p;
    size_t i;

    if (klen > MEMO_MAX_BYTES || vlen > MEMO_MAX_BYTES - klen)
        return;
    for (i = 0; i < MEMO_ENTRIES; i++) {
        struct memo_entry *e = &m->e[i];
        if (!e->key) {
            victim = e;
            break;
        }
        if (!victim || e->hits < victim->hits ||
            (e->hits == victim->hits && e->born < victim->born))
            victim = e;
    }
    p = malloc(1 + klen + vlen + 1);
    if (!p)
        return;                  /* a memo that cannot grow only costs time */
    p[0] = tag;
    memcpy(p + 1, key, klen);
    memcpy(p + 1 + klen, value, vlen);
    free(victim->key);
    victim->key = p;
    victim->klen = klen + 1;
    victim->value = p + 1 + klen;
    victim->vlen = vlen;
    victim->hits = 0;
    victim->born = ++m->clock;
}

/* ---- deflate ------------------------------------------------------------------ */

bool zlib_deflate(struct libdeflate_compressor *z, const void *in, size_t n,
                  unsigned char **out, size_t *outn)
{
    size_t cap, len;
    unsigned char *p;

    if (!z)
        return false;            /* the compressor could not be made: out of memory */
    cap = libdeflate_zlib_compress_bound(z, n);
    p = malloc(cap);
    if (!p)
        return false;
    if (!(len = libdeflate_zlib_compress(z, in, n, p, cap))) {
        free(p);
        return false;
    }
    *out = p;
    *outn = len;
    return true;
}

char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

/*
 * Read all of `path` ("-": standard input) with a cap.  A regular file's size
 * is checked before reading; a pipe is read until one byte past the cap.
 */
attache_status attache_read_input(const char *path, size_t max_size,
                                  unsigned char **data, size_t *size,
                                  attache_error *err)
{
    const char *name = strcmp(path, "-") ? path : "<stdin>";
    struct buf b = {0};
    struct stat st;
    int fd;
    attache_status rc = ATTACHE_OK;

    *data = NULL;
    *size = 0;
    if (!*path)
        return err_set(err, ATTACHE_ERR_NOINPUT, NULL, 0, "an input file needs a name ('' given)");
    fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY) : 0;
    if (fd < 0)
        return err_set(err, ATTACHE_ERR_NOINPUT, name, 0, "cannot open: %s",
                       strerror(errno));
    if (fstat(fd, &st) < 0) {
        rc = err_set(err, ATTACHE_ERR_NOINPUT, name, 0, "cannot read: %s", strerror(errno));
        goto done;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = err_set(err, ATTACHE_ERR_NOINPUT, name, 0, "is a folder, not a file");
        goto done;
    }
    if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > max_size) {
        rc = err_set(err, ATTACHE_ERR_DATA, name, 0,
                     "file is %llu bytes, more than the limit of %zu (see --max-size)",
                     (unsigned long long)st.st_size, max_size);
        goto done;
    }
    for (;;) {
        ssize_t n;

        if (!buf_grow(&b, 65536)) {
            rc = err_set(err, ATTACHE_ERR_INTERNAL, name, 0, "out of memory");
            goto done;
        }
        n = read(fd, b.data + b.len, 65536);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = err_set(err, ATTACHE_ERR_NOINPUT, name, 0, "cannot read: %s",
                         strerror(errno));
            goto done;
        }
        if (n == 0)
            break;
        b.len += (size_t)n;
        if (b.len > max_size) {
            rc = err_set(err, ATTACHE_ERR_DATA, name, 0,
                         "input is more than the limit of %zu bytes (see --max-size)",
                         max_size);
            goto done;
        }
    }
    b.data[b.len] = '\0';
    *size = b.len;
    *data = (unsigned char *)buf_detach(&b, NULL);
done:
    if (fd > 0)
        close(fd);
    buf_release(&b);
    return rc;
}

/* ---- arena ------------------------------------------------------------ */

struct arena_block {
    struct arena_block *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
};

void *arena_alloc(struct arena *a, size_t size)
{
    struct arena_block *b = a->head;
    size_t need = (size + 15) & ~(size_t)15;

    if (!b || b->size - b->used < need) {
        size_t bsize = need > 16384 ? need : 16384;
        b = malloc(sizeof *b + bsize);
        if (!b)
            return NULL;
        b->size = bsize;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    b->used += need;
    return b->data + b->used - need;
}

void *arena_calloc(struct arena *a, size_t n, size_t size)
{
    void *p;

    if (size && n > (size_t)-1 / size)
        return NULL;
    p = arena_alloc(a, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);

    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

void arena_release(struct arena *a)
{
    while (a->head) {
        struct arena_block *next = a->head->next;
        free(a->head);
        a->head = next;
    }
}

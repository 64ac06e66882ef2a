/* Unit tests of src/util.c: growable buffers, arenas, deflate, and reading input with a cap. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libdeflate.h>

#include "check.h"
#include "util.h"

static void test_buf(void)
{
    struct buf b = {0};
    char *d;
    size_t len = 99;
    int i;

    CHECK(buf_adds(&b, "abc"));
    CHECK(buf_addf(&b, "-%d-%s", 42, "x"));
    CHECK(buf_add(&b, "", 0));
    CHECK_STR(b.data, "abc-42-x");
    CHECK_INT(b.len, 8);
    for (i = 0; i < 1000; i++)
        buf_adds(&b, "0123456789");
    CHECK_INT(b.len, 10008);
    CHECK(b.cap > b.len && b.data[b.len] == '\0');
    CHECK(!b.failed);
    /* a request no memory could hold fails, and leaves the buffer as it was */
    CHECK(!buf_grow(&b, SIZE_MAX - 8));
    CHECK(b.failed);
    CHECK_INT(b.len, 10008);
    buf_truncate(&b, 3);                 /* what the first append wrote, as it was */
    CHECK_INT(b.len, 3);
    CHECK_STR(b.data, "abc");
    CHECK(b.failed);                     /* still: only a reset forgets a failure */
    buf_reset(&b);
    CHECK(!b.failed);
    CHECK_INT(b.len, 0);
    CHECK_STR(b.data, "");
    buf_adds(&b, "kept");
    d = buf_detach(&b, &len);
    CHECK_STR(d, "kept");
    CHECK_INT(len, 4);
    CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
    free(d);
    d = buf_detach(&b, &len);        /* nothing in it: an empty string, not NULL */
    CHECK(d && !d[0]);
    CHECK_INT(len, 0);
    free(d);
    buf_release(&b);
    buf_release(&b);
    CHECK(xstrdup(NULL) == NULL);
    d = xstrdup("x");
    CHECK_STR(d, "x");
    free(d);
}

static void test_arena(void)
{
    struct arena a = {0};
    char *s, *big, *t;
    int *z;
    size_t i;
    int zero = 1;

    s = arena_strdup(&a, "hello");
    CHECK_STR(s, "hello");
    t = arena_strndup(&a, "hello world", 5);
    CHECK_STR(t, "hello");
    CHECK(arena_strdup(&a, NULL) == NULL);
    CHECK((uintptr_t)arena_alloc(&a, 3) % 16 == 0);
    CHECK((uintptr_t)arena_alloc(&a, 1) % 16 == 0);
    big = arena_alloc(&a, 100000);           /* more than a block: a block of its own */
    CHECK(big != NULL);
    if (big)
        memset(big, 'x', 100000);
    z = arena_calloc(&a, 1000, sizeof *z);
    for (i = 0; z && i < 1000; i++)
        zero &= z[i] == 0;
    CHECK(z && zero);
    CHECK(arena_calloc(&a, SIZE_MAX / 2, 4) == NULL);     /* the product overflows */
    CHECK_STR(s, "hello");                   /* earlier allocations untouched */
    arena_release(&a);
    CHECK(a.head == NULL);
    arena_release(&a);
}

static void test_deflate(void)
{
    struct libdeflate_compressor *z = libdeflate_alloc_compressor(6);
    struct libdeflate_decompressor *u = libdeflate_alloc_decompressor();
    char in[4000], back[4000];
    unsigned char *out = NULL;
    size_t n = 0, got = 0;

    memset(in, 'a', sizeof in);
    CHECK(zlib_deflate(z, in, sizeof in, &out, &n));
    CHECK(n > 2 && n < 100 && out[0] == 0x78);           /* a zlib stream, compressed */
    CHECK_INT(libdeflate_zlib_decompress(u, out, n, back, sizeof back, &got), LIBDEFLATE_SUCCESS);
    CHECK(got == sizeof in && !memcmp(in, back, got));
    free(out);
    libdeflate_free_compressor(z);
    libdeflate_free_decompressor(u);
}

static void test_read_input(void)
{
    char path[] = "/tmp/attache-test-util-XXXXXX";
    int fd = mkstemp(path);
    unsigned char *data;
    size_t size;
    attache_error err;

    attache_error_clear(&err);
    CHECK(fd >= 0 && write(fd, "0123456789", 10) == 10);
    close(fd);
    CHECK_INT(attache_read_input(path, 10, &data, &size, &err), ATTACHE_OK);
    CHECK_INT(size, 10);
    CHECK(data && !memcmp(data, "0123456789", 11));      /* NUL-terminated too */
    free(data);
    CHECK_INT(attache_read_input(path, 9, &data, &size, &err), ATTACHE_ERR_DATA);
    CHECK(data == NULL);
    CHECK_STR(err.message, "file is 10 bytes, more than the limit of 9 (see --max-size)");
    CHECK_STR(err.file, path);
    CHECK_INT(attache_read_input("/tmp", 10, &data, &size, &err), ATTACHE_ERR_NOINPUT);
    CHECK_STR(err.message, "is a folder, not a file");
    unlink(path);
    CHECK_INT(attache_read_input(path, 10, &data, &size, &err), ATTACHE_ERR_NOINPUT);
    CHECK_STR(err.message, "cannot open: No such file or directory");
    /* a pipe's size is not known beforehand: read until past the cap */
    CHECK_INT(attache_read_input("/dev/zero", 100000, &data, &size, &err), ATTACHE_ERR_DATA);
    CHECK_STR(err.message, "input is more than the limit of 100000 bytes (see --max-size)");
}

/* array_room: the same array while there is room, twice the room when full, nothing lost. */
static void test_array_room(void)
{
    int *v = NULL, *w;
    size_t n, cap = 0;

    for (n = 0; n < 100; n++) {
        w = array_room(v, n, &cap, sizeof *v, 4);
        CHECK(w != NULL);
        if (!w)
            break;
        CHECK(n >= 4 || cap == 4);
        CHECK(cap > n);
        v = w;
        v[n] = (int)n * 3;
    }
    CHECK_INT(cap, 128);
    for (n = 0; n < 100; n++)
        CHECK_INT(v[n], (long)n * 3);
    w = array_room(v, 100, &cap, sizeof *v, 4);     /* room left: the same array */
    CHECK(w == v);
    free(v);

    /* a size that would overflow leaves the array and its room as they were */
    cap = (size_t)-1 / 16 + 1;
    CHECK(array_room(NULL, cap, &cap, 16, 4) == NULL);
    CHECK(cap == (size_t)-1 / 16 + 1);
}

int main(void)
{
    test_buf();
    test_arena();
    test_deflate();
    test_read_input();
    test_array_room();
    return check_done();
}

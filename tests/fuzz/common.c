/*
 * common.c: helpers shared by the fuzz targets (see fuzz.h).
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

static char dir[256];

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_dir(void)
{
    if (dir[0])
        nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fuzz_dir(void)
{
    if (!dir[0]) {
        const char *tmp = getenv("TMPDIR");

        snprintf(dir, sizeof dir, "%s/attache-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(remove_dir);
    }
    return dir;
}

const char *fuzz_write(const char *name, const void *data, size_t size, mode_t mode)
{
    static char path[512];
    const char *p = data;
    int fd;

    snprintf(path, sizeof path, "%s/%s", fuzz_dir(), name);
    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0) {
        perror(path);
        abort();
    }
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n <= 0) {
            perror(path);
            abort();
        }
        p += n;
        size -= (size_t)n;
    }
    close(fd);
    return path;
}

size_t fuzz_split(const uint8_t *data, size_t size, const char *sep, const uint8_t **part,
                  size_t *len, size_t max)
{
    size_t n = 0, k = strlen(sep);
    const uint8_t *p = data, *end = data + size;

    while (n + 1 < max) {
        const uint8_t *s = memmem(p, (size_t)(end - p), sep, k);
        if (!s)
            break;
        part[n] = p;
        len[n++] = (size_t)(s - p);
        p = s + k;
    }
    part[n] = p;
    len[n++] = (size_t)(end - p);
    return n;
}

char *fuzz_string(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/*
 * replay.c: run a fuzz target over saved inputs without libFuzzer.
 *
 *   replay_NAME [FILE|DIR]...
 *
 * With no arguments it replays tests/fuzz/corpus/NAME/ and
 * tests/fuzz/crashes/NAME/ (run from the top of the source tree, as `make
 * check` does).  A crash, a sanitizer report (in a sanitizer build) or a
 * harness abort ends the run; otherwise it prints "N passed, 0 failed" the
 * way the unit tests do.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#ifndef FUZZ_TARGET
#error "build with -DFUZZ_TARGET='\"name\"'"
#endif

/* Defined by the target or not at all. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static unsigned replayed, failed;

static void replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *data = NULL;
    size_t size = 0, cap = 0, n;

    if (!f) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        failed++;
        return;
    }
    do {
        if (size == cap) {
            cap = cap ? 2 * cap : 4096;
            data = realloc(data, cap);
            if (!data)
                abort();
        }
        n = fread(data + size, 1, cap - size, f);
        size += n;
    } while (n > 0);
    fclose(f);
    fprintf(stderr, "replay %s\n", path);
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    replayed++;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static void replay_path(const char *path, int must_exist)
{
    struct stat st;
    struct dirent **names;
    int i, n;

    if (stat(path, &st) != 0) {
        if (must_exist) {
            fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
            failed++;
        }
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        replay_file(path);
        return;
    }
    n = scandir(path, &names, NULL, by_name);
    for (i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.') {
            char full[4096];

            snprintf(full, sizeof full, "%s/%s", path, names[i]->d_name);
            replay_path(full, 1);
        }
        free(names[i]);
    }
    free(n >= 0 ? names : NULL);
}

int main(int argc, char **argv)
{
    int i;

    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    if (argc > 1) {
        for (i = 1; i < argc; i++)
            replay_path(argv[i], 1);
    } else {
        replay_path("tests/fuzz/corpus/" FUZZ_TARGET, 1);
        replay_path("tests/fuzz/crashes/" FUZZ_TARGET, 0);
    }
    if (replayed == 0 && failed == 0) {
        fprintf(stderr, "replay: no inputs for " FUZZ_TARGET "\n");
        failed++;
    }
    printf("%u passed, %u failed\n", replayed, failed);
    return failed != 0;
}

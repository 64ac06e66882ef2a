/*
 * fuzz.h: what the fuzz targets in tests/fuzz/ share.
 *
 * Each fuzz_NAME.c defines LLVMFuzzerTestOneInput() (and may define
 * LLVMFuzzerInitialize()).  `make fuzz` links it with clang's libFuzzer;
 * `make check` links it with replay.c, which feeds it every file of
 * tests/fuzz/corpus/NAME/ and tests/fuzz/crashes/NAME/, so the inputs a
 * fuzzer found stay regression tests without a clang runtime.
 */
#ifndef ATTACHE_FUZZ_H
#define ATTACHE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A private folder for the files a target needs, removed when the process exits. */
const char *fuzz_dir(void);

/*
 * Write `size` bytes to fuzz_dir()/name with `mode` and return its path, in
 * a static buffer the next call overwrites (copy it to keep it).  Aborts
 * when the file cannot be written: that is the harness's failure, not the
 * input's.
 */
const char *fuzz_write(const char *name, const void *data, size_t size, mode_t mode);

/*
 * Split `data` at each occurrence of `sep` into at most `max` parts (the
 * last part takes the rest).  Returns the number of parts (at least 1).
 */
size_t fuzz_split(const uint8_t *data, size_t size, const char *sep, const uint8_t **part,
                  size_t *len, size_t max);

/* `size` bytes as a NUL-terminated string (malloc'd). */
char *fuzz_string(const uint8_t *data, size_t size);

#endif

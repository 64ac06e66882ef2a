/*
 * fixture.h: what the unit tests that go through the public API start from:
 * a small data file (one issuer, one programme, one batch) around the
 * officers a test gives, writing a test's files and removing its folder
 * afterwards.
 */
#ifndef ATTACHE_FIXTURE_H
#define ATTACHE_FIXTURE_H

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>

#include "attache.h"

/* A data file whose batch b1 holds `officers` (XML text). */
#define FIXTURE_DATA(officers)                                                              \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                          \
    "<attache version=\"1\">\n"                                                             \
    "  <issuer id=\"asec\"><name>ASEAN Secretariat</name><address>Jakarta</address></issuer>\n" \
    "  <programme id=\"p\"><title>Programme</title>\n"                                        \
    "    <batch id=\"b1\" number=\"1\" start=\"2015-02-09\" end=\"2016-02-05\">\n"             \
    "      <signatory><name>A Signatory</name><title>Director</title></signatory>\n"         \
    officers                                                                                \
    "    </batch>\n"                                                                        \
    "  </programme>\n"                                                                      \
    "</attache>\n"

/* An officer with what the built-in templates need, and `extra` (XML text). */
#define FIXTURE_OFFICER(id, name, country, extra)                                 \
    "      <officer id=\"" id "\" status=\"graduated\">\n"                          \
    "        <name>" name "</name>\n"                                              \
    "        <country code=\"" country "\"/><ministry>Ministry</ministry>\n"          \
    "        <placement department=\"ASCC\"/>" extra "\n"                            \
    "      </officer>\n"

static int fixture_remove_one(const char *path, const struct stat *st, int flag,
                              struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Remove `dir` and everything in it. */
static inline void fixture_remove_tree(const char *dir)
{
    nftw(dir, fixture_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write `n` bytes to `path` (made or emptied); false when it cannot. */
static inline bool fixture_write(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(data, 1, n, f) == n;

    if (f && fclose(f) != 0)
        ok = false;
    return ok;
}

/* A new key of issuer asec in `dir`: the path of its .key into `key`
 * (`size` bytes), of its .pub into `pub` unless NULL.  False after saying
 * why when it cannot be made. */
static inline bool fixture_key(const char *dir, char *key, size_t size, char *pub)
{
    attache_error err;

    snprintf(key, size, "%s/k", dir);
    if (attache_keygen(key, "asec", NULL, NULL, &err) != ATTACHE_OK) {
        fprintf(stderr, "FAIL making a key: %s\n", err.message);
        return false;
    }
    if (pub)
        snprintf(pub, size, "%s/k.pub", dir);
    snprintf(key, size, "%s/k.key", dir);
    return true;
}

#endif

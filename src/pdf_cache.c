/*
 * pdf_cache.c: what a worker keeps from one document to the next, so that
 * what documents have in common is worked out once: deflate compressors,
 * the compressed bytes of streams that recur (a certificate's border and
 * ornaments, the font subsets and ToUnicode maps of text every document
 * shows) and font subsets by the glyphs they hold.
 *
 * A cache changes how fast a document is written, never its bytes: an
 * entry maps exact input bytes to what the writer would make of them
 * anyway, and the writer chooses a stream's compression level by what the
 * stream is, not by whether the cache holds it.
 */
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "pdf_private.h"

/*
 * Entries are kept until the cache is full; then the one used least gives
 * way (the oldest of those), so that what every document needs stays while
 * what each officer's name makes comes and goes.  Bounded: at most
 * MEMO_ENTRIES entries, none over MEMO_MAX_BYTES.
 */
#define MEMO_ENTRIES 32
#define MEMO_MAX_BYTES (512u * 1024)

struct memo {
    unsigned char *key, *value;  /* one allocation: the key, then the value */
    size_t klen, vlen;
    unsigned long hits;
    unsigned long born;          /* when it came in: ties go to the oldest */
};

struct pdf_cache {
    struct libdeflate_compressor *z[13];   /* by level, made on first use */
    struct memo memo[MEMO_ENTRIES];
    unsigned long clock;
};

struct pdf_cache *pdf_cache_new(void)
{
    return calloc(1, sizeof(struct pdf_cache));
}

void pdf_cache_free(struct pdf_cache *cache)
{
    size_t i;

    if (!cache)
        return;
    for (i = 0; i < ARRAY_SIZE(cache->z); i++)
        libdeflate_free_compressor(cache->z[i]);
    for (i = 0; i < MEMO_ENTRIES; i++)
        free(cache->memo[i].key);
    free(cache);
}

struct libdeflate_compressor *pdf_cache_compressor(struct pdf_cache *cache, int level)
{
    if (level < 1 || level > 12)
        return NULL;
    if (!cache->z[level])
        cache->z[level] = libdeflate_alloc_compressor(level);
    return cache->z[level];
}

/* The key and its length as one lookup: a tag byte (what kind of entry), then the bytes. */
static bool same_key(const struct memo *m, unsigned char tag, const void *key, size_t klen)
{
    return m->key && m->klen == klen + 1 && m->key[0] == tag && !memcmp(m->key + 1, key, klen);
}

bool pdf_cache_get(struct pdf_cache *cache, unsigned char tag, const void *key, size_t klen,
                   const unsigned char **value, size_t *vlen)
{
    size_t i;

    for (i = 0; i < MEMO_ENTRIES; i++) {
        struct memo *m = &cache->memo[i];
        if (same_key(m, tag, key, klen)) {
            m->hits++;
            *value = m->value;
            *vlen = m->vlen;
            return true;
        }
    }
    return false;
}

void pdf_cache_put(struct pdf_cache *cache, unsigned char tag, const void *key, size_t klen,
                   const void *value, size_t vlen)
{
    struct memo *victim = NULL;
    unsigned char *p;
    size_t i;

    if (klen + vlen > MEMO_MAX_BYTES)
        return;
    for (i = 0; i < MEMO_ENTRIES; i++) {
        struct memo *m = &cache->memo[i];
        if (!m->key) {
            victim = m;
            break;
        }
        if (!victim || m->hits < victim->hits ||
            (m->hits == victim->hits && m->born < victim->born))
            victim = m;
    }
    p = malloc(klen + 1 + vlen + 1);
    if (!p)
        return;                  /* a cache that cannot grow only costs time */
    p[0] = tag;
    memcpy(p + 1, key, klen);
    memcpy(p + 1 + klen, value, vlen);
    free(victim->key);
    victim->key = p;
    victim->klen = klen + 1;
    victim->value = p + 1 + klen;
    victim->vlen = vlen;
    victim->hits = 0;
    victim->born = ++cache->clock;
}

/*
 * pdf_cache.c: what a worker keeps from one document to the next, so that
 * what documents have in common is worked out once: deflate compressors,
 * the compressed bytes of streams that recur (a certificate's border and
 * ornaments, the font subsets and ToUnicode maps of text every document
 * shows), each face's glyph slicer (font_slice.h), and each face's table
 * of glyphs, cleared for the next document rather than made anew.
 *
 * A cache changes how fast a document is written, never its bytes: an
 * entry maps exact input bytes to what the writer would make of them
 * anyway, and the writer chooses a stream's compression level by what the
 * stream is, not by whether the cache holds it.
 */
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "font.h"
#include "pdf_private.h"

#define GLYPH_TABLES 8                     /* faces a worker's documents use, most of them */

struct pdf_cache {
    struct libdeflate_compressor *z[13];   /* by level, made on first use */
    struct memo *memo;
    struct font_subsetter *subsetter;      /* made on first use */
    struct {
        const struct font_face *face;      /* NULL: an empty place */
        struct emb_glyph *glyph;
    } tables[GLYPH_TABLES];
};

struct pdf_cache *pdf_cache_new(void)
{
    struct pdf_cache *cache = calloc(1, sizeof *cache);

    if (cache && !(cache->memo = memo_new())) {
        free(cache);
        return NULL;
    }
    return cache;
}

void pdf_cache_free(struct pdf_cache *cache)
{
    size_t i;

    if (!cache)
        return;
    for (i = 0; i < ARRAY_SIZE(cache->z); i++)
        libdeflate_free_compressor(cache->z[i]);
    for (i = 0; i < GLYPH_TABLES; i++)
        free(cache->tables[i].glyph);
    memo_free(cache->memo);
    font_subsetter_free(cache->subsetter);
    free(cache);
}

attache_status pdf_cache_subset(struct pdf_cache *cache, const struct font_face *face,
                                const unsigned *gids, size_t n, bool retain_gids,
                                unsigned *new_gids, unsigned char **data, size_t *size,
                                attache_error *err)
{
    attache_status rc;

    if (!cache->subsetter && !(cache->subsetter = font_subsetter_new())) {
        *data = NULL;
        *size = 0;
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    }
    rc = font_subset_glyphs_with(cache->subsetter, face, gids, n, retain_gids, new_gids, data,
                                 size, err);
    if (rc != ATTACHE_OK) {
        /* a HarfBuzz set that failed to grow stays failed: the next subset starts afresh */
        font_subsetter_free(cache->subsetter);
        cache->subsetter = NULL;
    }
    return rc;
}

struct libdeflate_compressor *pdf_cache_compressor(struct pdf_cache *cache, int level)
{
    if (level < 1 || level > 12)
        return NULL;
    if (!cache->z[level])
        cache->z[level] = libdeflate_alloc_compressor(level);
    return cache->z[level];
}

bool pdf_cache_get(struct pdf_cache *cache, unsigned char tag, const void *key, size_t klen,
                   const unsigned char **value, size_t *vlen)
{
    return memo_get(cache->memo, tag, key, klen, value, vlen);
}

void pdf_cache_put(struct pdf_cache *cache, unsigned char tag, const void *key, size_t klen,
                   const void *value, size_t vlen)
{
    memo_put(cache->memo, tag, key, klen, value, vlen);
}

struct emb_glyph *pdf_cache_take_glyphs(struct pdf_cache *cache, const struct font_face *face,
                                        unsigned n)
{
    size_t i;

    for (i = 0; i < GLYPH_TABLES; i++)
        if (cache->tables[i].face == face) {
            struct emb_glyph *glyph = cache->tables[i].glyph;

            cache->tables[i].face = NULL;
            cache->tables[i].glyph = NULL;
            return glyph;
        }
    return calloc(n ? n : 1, sizeof(struct emb_glyph));
}

void pdf_cache_give_glyphs(struct pdf_cache *cache, const struct font_face *face,
                           struct emb_glyph *glyph, const unsigned *written, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        memset(&glyph[written[i]], 0, sizeof *glyph);
    for (i = 0; i < GLYPH_TABLES; i++)
        if (!cache->tables[i].face) {
            cache->tables[i].face = face;
            cache->tables[i].glyph = glyph;
            return;
        }
    free(glyph);
}

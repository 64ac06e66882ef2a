/*
 * image.h: PNG and JPEG images for documents, read safely and prepared once.
 *
 * A JPEG is embedded as it is (DCT); a PNG is decoded once, split into
 * colour and alpha, and deflated once, so that each document only copies
 * bytes.  Paths come from data or templates and are untrusted: they must be
 * relative, stay inside their base folder (symbolic links included), name a
 * regular file whose bytes are a PNG or JPEG, and be of sane size.
 */
#ifndef ATTACHE_IMAGE_H
#define ATTACHE_IMAGE_H

#include <stddef.h>

#include "attache.h"

enum image_codec {
    IMAGE_FLATE,      /* data: deflated 8-bit samples */
    IMAGE_DCT         /* data: a JPEG file */
};

struct image {
    int width, height;
    int components;              /* 1 (grey) or 3 (RGB) */
    enum image_codec codec;
    unsigned char *data;
    size_t size;
    unsigned char *alpha;        /* deflated 8-bit alpha, or NULL */
    size_t alpha_size;
    char *path;                  /* as resolved, for messages */
    int refs;                    /* owners: image_free() drops one */
};

/*
 * Load `src` relative to `base_dir`.  `subject` names who asked, for
 * messages ("officer 'kh-01': photo").  Errors: ATTACHE_ERR_NOINPUT when the
 * file is missing or unreadable, ATTACHE_ERR_DATA when it is not an image
 * attache accepts or tries to leave its folder.
 */
attache_status image_load(const char *base_dir, const char *src, const char *subject,
                          struct image **out, attache_error *err);

/* Decode PNG or JPEG bytes (`name` for messages). */
attache_status image_from_memory(const unsigned char *bytes, size_t size, const char *name,
                                 struct image **out, attache_error *err);

/* Drop a reference; the image is freed with the last one.  NULL is fine. */
void image_free(struct image *img);

/* Take another reference. */
struct image *image_ref(struct image *img);

/*
 * A small thread-safe cache of loaded images, so that a logo or signature
 * used by every document of a run is read and compressed once.  The
 * least recently used image is dropped when it is full.  image_cache_get()
 * gives the caller a reference of its own: image_free() it when done.
 */
struct image_cache;
struct image_cache *image_cache_new(void);
attache_status image_cache_get(struct image_cache *c, const char *base_dir, const char *src,
                               const char *subject, struct image **out, attache_error *err);
void image_cache_free(struct image_cache *c);

#endif

/*
 * image.h: PNG and JPEG images for documents, read safely and prepared once.
 *
 * An image is prepared for the size it is printed at: pixels beyond 300 per
 * inch are averaged away, a PNG is split into colour and alpha and deflated
 * once with PNG row predictors, a colour that is the same everywhere (a
 * signature in one ink) is kept as one pixel under a full-size alpha mask,
 * and a JPEG that is not shrunk is embedded as it is.  Each document then
 * only copies bytes.
 *
 * Paths come from data or templates and are untrusted: they must be
 * relative, stay inside their base folder (symbolic links included), name a
 * regular file whose bytes are a PNG or JPEG, and be of sane size.
 */
#ifndef ATTACHE_IMAGE_H
#define ATTACHE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "attache.h"

enum image_codec {
    IMAGE_FLATE,      /* data: deflated 8-bit samples */
    IMAGE_DCT         /* data: a JPEG file */
};

enum image_fit_mode {
    IMAGE_CONTAIN,    /* all of it inside the box */
    IMAGE_COVER,      /* the box filled, the rest cut off */
    IMAGE_STRETCH     /* the box filled, distorted */
};

struct image {
    int width, height;           /* of the picture (and of its alpha mask) */
    int components;              /* 1 (grey) or 3 (RGB) */
    enum image_codec codec;
    unsigned char *data;         /* colour samples, as codec says */
    size_t size;
    bool predicted;              /* FLATE data has PNG predictor bytes per row */
    bool solid;                  /* the colour is one pixel (data: 1x1, not deflated) */
    unsigned char palette[256 * 3];   /* colours of an indexed image (components 1) */
    int palette_size;            /* 0: not indexed */
    unsigned char *alpha;        /* deflated 8-bit alpha, or NULL */
    size_t alpha_size;
    bool alpha_predicted;
    char *path;                  /* as given, for messages */
    unsigned char sha256[32];    /* of the file's bytes (image_load), so that a
                                    document's fingerprint covers what it shows */
    int refs;                    /* owners: image_free() drops one */
};

/* The size a box prints an image at, and what is asked of it. */
struct image_box {
    float w, h;                  /* points; 0: keep the picture as it is */
    enum image_fit_mode fit;
};

/*
 * Load `src` relative to `base_dir` for `box`.  `subject` names who asked,
 * for messages ("officer 'kh-01'").  Errors: ATTACHE_ERR_NOINPUT when the
 * file is missing or unreadable, ATTACHE_ERR_DATA when it is not an image
 * attache accepts or tries to leave its folder.
 */
attache_status image_load(const char *base_dir, const char *src, const char *subject,
                          const struct image_box *box, struct image **out, attache_error *err);

/*
 * Check, without decoding it, that `src` under `base_dir` is a regular file
 * of sane size, a PNG or JPEG whole in its structure (a PNG's chunks with
 * their checksums from IHDR to IEND, a JPEG's header and its end of image)
 * and within the pixel limits: for validating data, so that a picture that
 * cannot be used is found before any document is made.  Errors as
 * image_load().
 */
attache_status image_check(const char *base_dir, const char *src, const char *subject,
                           attache_error *err);

/* Decode PNG or JPEG bytes (`name` for messages). */
attache_status image_from_memory(const unsigned char *bytes, size_t size, const char *name,
                                 const struct image_box *box, struct image **out,
                                 attache_error *err);

/*
 * Decode a PNG or JPEG picture to 8-bit grey (transparent parts white), for
 * reading QR codes from scans and photos.  *px (free()) is w * h bytes.
 */
attache_status image_decode_grey(const unsigned char *bytes, size_t size, const char *name,
                                 int *w, int *h, unsigned char **px, attache_error *err);

/* Drop a reference; the image is freed with the last one.  NULL is fine. */
void image_free(struct image *img);

/* Take another reference. */
struct image *image_ref(struct image *img);

/*
 * A small thread-safe cache of prepared images, so that a logo or signature
 * used by every document of a run is read and compressed once.  The least
 * recently used entry is dropped when it is full.  image_cache_get() gives
 * the caller a reference of its own: image_free() it when done.  Images are
 * prepared without the cache locked: two threads prepare two images at
 * once, and a thread asking for one being prepared waits for it.
 */
struct image_cache;
struct image_cache *image_cache_new(void);
attache_status image_cache_get(struct image_cache *c, const char *base_dir, const char *src,
                               const char *subject, const struct image_box *box,
                               struct image **out, attache_error *err);
void image_cache_free(struct image_cache *c);

/*
 * A cache whose images are stand-ins: each file read once and hashed (its
 * `sha256` set), with the pixel size its header gives and no pixels, and
 * nothing decoded or compressed.  A document composed with it says which images it shows, for
 * its fingerprint, at a fraction of the cost; it is not for drawing.
 */
struct image_cache *image_cache_new_probe(void);

/*
 * A probe cache that also notes each image it is asked for, and
 * image_cache_prepare_asked(), which prepares in cache `c`, in the calling
 * thread, what `asked` was asked for since the last call and `c` neither
 * holds nor is preparing, the last asked first; what cannot be prepared is
 * left for image_cache_get() to report.  It returns how many of those
 * images `c` did not hold ready.  A run composes the first document of a
 * batch with a recorder, hands the document to a worker, and prepares what
 * it asked for: the worker, asking in the document's order, and the run,
 * in the other, prepare two images at once.
 */
struct image_cache *image_cache_new_recorder(void);
size_t image_cache_prepare_asked(struct image_cache *asked, struct image_cache *c);

#endif

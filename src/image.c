/*
 * image.c: reading PNG (libpng) and JPEG (libjpeg headers only) images.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

#include "error.h"
#include "image.h"
#include "text.h"
#include "util.h"

#define MAX_IMAGE_FILE (20u * 1024 * 1024)
#define MAX_PIXELS (40u * 1000 * 1000)
#define MAX_SIDE 20000
#define CACHE_SLOTS 64

struct image *image_ref(struct image *img)
{
    __atomic_add_fetch(&img->refs, 1, __ATOMIC_RELAXED);
    return img;
}

void image_free(struct image *img)
{
    if (!img || __atomic_sub_fetch(&img->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    free(img->data);
    free(img->alpha);
    free(img->path);
    free(img);
}

static bool deflate_buf(const unsigned char *in, size_t n, unsigned char **out, size_t *outn)
{
    uLongf len = compressBound((uLong)n);
    unsigned char *p = malloc(len);

    if (!p || compress2(p, &len, in, (uLong)n, 6) != Z_OK) {
        free(p);
        return false;
    }
    *out = p;
    *outn = len;
    return true;
}

static attache_status from_png(const unsigned char *bytes, size_t size, const char *name,
                               struct image *img, attache_error *err)
{
    png_image pi;
    unsigned char *px = NULL, *colour = NULL, *alpha = NULL;
    size_t npx, i, c;
    bool has_alpha, grey;
    attache_status rc = ATTACHE_OK;

    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&pi, bytes, size))
        return err_set(err, ATTACHE_ERR_DATA, name, 0, "is not a readable PNG image (%s)",
                       pi.message);
    if (pi.width == 0 || pi.height == 0 || pi.width > MAX_SIDE || pi.height > MAX_SIDE ||
        (size_t)pi.width * pi.height > MAX_PIXELS) {
        png_image_free(&pi);
        return err_set(err, ATTACHE_ERR_DATA, name, 0,
                       "PNG image is %ux%u pixels; the limit is %u pixels", pi.width,
                       pi.height, MAX_PIXELS);
    }
    has_alpha = pi.format & PNG_FORMAT_FLAG_ALPHA;
    grey = !(pi.format & PNG_FORMAT_FLAG_COLOR);
    pi.format = grey ? PNG_FORMAT_GA : PNG_FORMAT_RGBA;
    c = grey ? 1 : 3;
    npx = (size_t)pi.width * pi.height;
    px = malloc(PNG_IMAGE_SIZE(pi));
    colour = malloc(npx * c);
    alpha = has_alpha ? malloc(npx) : NULL;
    if (!px || !colour || (has_alpha && !alpha)) {
        png_image_free(&pi);
        rc = err_set(err, ATTACHE_ERR_INTERNAL, name, 0, "out of memory");
        goto done;
    }
    if (!png_image_finish_read(&pi, NULL, px, 0, NULL)) {
        rc = err_set(err, ATTACHE_ERR_DATA, name, 0, "PNG image is damaged (%s)", pi.message);
        goto done;
    }
    for (i = 0; i < npx; i++) {
        memcpy(colour + i * c, px + i * (c + 1), c);
        if (alpha)
            alpha[i] = px[i * (c + 1) + c];
    }
    /* An alpha channel that is opaque everywhere is left out. */
    if (alpha) {
        for (i = 0; i < npx && alpha[i] == 255; i++)
            ;
        if (i == npx) {
            free(alpha);
            alpha = NULL;
        }
    }
    img->width = (int)pi.width;
    img->height = (int)pi.height;
    img->components = (int)c;
    img->codec = IMAGE_FLATE;
    if (!deflate_buf(colour, npx * c, &img->data, &img->size) ||
        (alpha && !deflate_buf(alpha, npx, &img->alpha, &img->alpha_size)))
        rc = err_set(err, ATTACHE_ERR_INTERNAL, name, 0, "cannot compress image");
done:
    free(px);
    free(colour);
    free(alpha);
    return rc;
}

struct jpeg_err {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

static void jpeg_fail(j_common_ptr cinfo)
{
    struct jpeg_err *e = (struct jpeg_err *)cinfo->err;

    (*cinfo->err->format_message)(cinfo, e->message);
    longjmp(e->jump, 1);
}

static void jpeg_quiet(j_common_ptr cinfo, int level)
{
    (void)cinfo;
    (void)level;
}

/* Only the header is read: the JPEG goes into the PDF as it is. */
static attache_status from_jpeg(const unsigned char *bytes, size_t size, const char *name,
                                struct image *img, attache_error *err)
{
    struct jpeg_decompress_struct ci;
    struct jpeg_err je;
    volatile attache_status rc = ATTACHE_OK;

    memset(&ci, 0, sizeof ci);
    ci.err = jpeg_std_error(&je.mgr);
    je.mgr.error_exit = jpeg_fail;
    je.mgr.emit_message = jpeg_quiet;
    if (setjmp(je.jump)) {
        jpeg_destroy_decompress(&ci);
        return err_set(err, ATTACHE_ERR_DATA, name, 0, "is not a readable JPEG image (%s)",
                       je.message);
    }
    jpeg_create_decompress(&ci);
    jpeg_mem_src(&ci, bytes, (unsigned long)size);
    jpeg_read_header(&ci, TRUE);
    if (ci.image_width == 0 || ci.image_height == 0 || ci.image_width > MAX_SIDE ||
        ci.image_height > MAX_SIDE)
        rc = err_set(err, ATTACHE_ERR_DATA, name, 0, "JPEG image is %ux%u pixels; too large",
                     ci.image_width, ci.image_height);
    else if (ci.num_components != 1 && ci.num_components != 3)
        rc = err_set(err, ATTACHE_ERR_DATA, name, 0,
                     "JPEG image has %d colour components (CMYK?); use RGB or greyscale",
                     ci.num_components);
    else {
        img->width = (int)ci.image_width;
        img->height = (int)ci.image_height;
        img->components = ci.num_components;
        img->codec = IMAGE_DCT;
        img->data = malloc(size);
        if (!img->data)
            rc = err_set(err, ATTACHE_ERR_INTERNAL, name, 0, "out of memory");
        else {
            memcpy(img->data, bytes, size);
            img->size = size;
        }
    }
    jpeg_destroy_decompress(&ci);
    return rc;
}

attache_status image_from_memory(const unsigned char *bytes, size_t size, const char *name,
                                 struct image **out, attache_error *err)
{
    struct image *img = calloc(1, sizeof *img);
    attache_status rc;

    *out = NULL;
    if (!img)
        return err_set(err, ATTACHE_ERR_INTERNAL, name, 0, "out of memory");
    img->refs = 1;
    if (size >= 8 && !memcmp(bytes, "\x89PNG\r\n\x1a\n", 8))
        rc = from_png(bytes, size, name, img, err);
    else if (size >= 3 && !memcmp(bytes, "\xff\xd8\xff", 3))
        rc = from_jpeg(bytes, size, name, img, err);
    else
        rc = err_set(err, ATTACHE_ERR_DATA, name, 0, "is neither a PNG nor a JPEG image");
    if (rc == ATTACHE_OK)
        img->path = strdup(name);
    if (rc == ATTACHE_OK && !img->path)
        rc = err_set(err, ATTACHE_ERR_INTERNAL, name, 0, "out of memory");
    if (rc != ATTACHE_OK) {
        image_free(img);
        return rc;
    }
    *out = img;
    return ATTACHE_OK;
}

/*
 * The file under base_dir that `src` names, refusing anything that leaves
 * the folder: absolute paths, "..", and symbolic links pointing out.
 */
static attache_status resolve(const char *base_dir, const char *src, const char *subject,
                              char *path, size_t size, attache_error *err)
{
    char base[PATH_MAX], joined[PATH_MAX * 2], clip[80];
    const char *p;
    size_t n;

    if (!base_dir)
        return err_set(err, ATTACHE_ERR_DATA, NULL, 0,
                       "%s: image '%s' cannot be used: data read from a URL has no local "
                       "folder for images (give --assets DIR)", subject,
                       text_clip(clip, sizeof clip, src, 60));
    if (!src[0] || src[0] == '/' || strstr(src, "://"))
        return err_set(err, ATTACHE_ERR_DATA, NULL, 0, "%s: image path '%s' must be relative",
                       subject, text_clip(clip, sizeof clip, src, 60));
    for (p = src; *p; p += n + (p[n] == '/')) {
        n = strcspn(p, "/");
        if ((n == 2 && !strncmp(p, "..", 2)) || n == 0)
            return err_set(err, ATTACHE_ERR_DATA, NULL, 0,
                           "%s: image path '%s' may not contain '..' or empty parts", subject,
                           text_clip(clip, sizeof clip, src, 60));
    }
    if (!realpath(base_dir, base))
        return err_set(err, ATTACHE_ERR_NOINPUT, base_dir, 0, "image folder: %s",
                       strerror(errno));
    snprintf(joined, sizeof joined, "%s/%s", base, src);
    if (!realpath(joined, path))
        return err_set(err, ATTACHE_ERR_NOINPUT, NULL, 0, "%s: image '%s' cannot be read: %s",
                       subject, text_clip(clip, sizeof clip, src, 60), strerror(errno));
    n = strlen(base);
    if (strncmp(path, base, n) || (path[n] != '/' && strcmp(base, "/")))
        return err_set(err, ATTACHE_ERR_DATA, NULL, 0,
                       "%s: image '%s' leads outside its folder (a symbolic link?)", subject,
                       text_clip(clip, sizeof clip, src, 60));
    (void)size;
    return ATTACHE_OK;
}

attache_status image_load(const char *base_dir, const char *src, const char *subject,
                          struct image **out, attache_error *err)
{
    char path[PATH_MAX], clip[80];
    unsigned char *bytes = NULL;
    size_t size = 0;
    struct stat st;
    attache_status rc;

    *out = NULL;
    rc = resolve(base_dir, src, subject, path, sizeof path, err);
    if (rc != ATTACHE_OK)
        return rc;
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return err_set(err, ATTACHE_ERR_NOINPUT, NULL, 0, "%s: image '%s' is not a file",
                       subject, text_clip(clip, sizeof clip, src, 60));
    rc = attache_read_input(path, MAX_IMAGE_FILE, &bytes, &size, err);
    if (rc != ATTACHE_OK) {
        err_msg(err, rc, "%s: image '%s': %s", subject,
                text_clip(clip, sizeof clip, src, 60), err->message);
        return rc;
    }
    rc = image_from_memory(bytes, size, src, out, err);
    free(bytes);
    if (rc != ATTACHE_OK)
        err_set(err, rc, NULL, 0, "%s: image '%s' %s", subject,
                text_clip(clip, sizeof clip, src, 60), err->message);
    return rc;
}

/* ---- cache ------------------------------------------------------------ */

struct cache_slot {
    char *key;                  /* base_dir + "\n" + src */
    struct image *img;
    unsigned long used;         /* clock for least-recently-used */
};

struct image_cache {
    pthread_mutex_t lock;
    struct cache_slot slots[CACHE_SLOTS];
    unsigned long clock;
};

struct image_cache *image_cache_new(void)
{
    struct image_cache *c = calloc(1, sizeof *c);

    if (c)
        pthread_mutex_init(&c->lock, NULL);
    return c;
}

attache_status image_cache_get(struct image_cache *c, const char *base_dir, const char *src,
                               const char *subject, struct image **out, attache_error *err)
{
    char *key;
    size_t i, victim = 0;
    struct image *img;
    attache_status rc;

    if (asprintf(&key, "%s\n%s", base_dir ? base_dir : "", src) < 0)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    pthread_mutex_lock(&c->lock);
    for (i = 0; i < CACHE_SLOTS; i++) {
        if (c->slots[i].key && !strcmp(c->slots[i].key, key)) {
            c->slots[i].used = ++c->clock;
            *out = image_ref(c->slots[i].img);
            pthread_mutex_unlock(&c->lock);
            free(key);
            return ATTACHE_OK;
        }
        if (c->slots[i].used < c->slots[victim].used)
            victim = i;
    }
    /* Loaded under the lock: simple, and each image is loaded once. */
    rc = image_load(base_dir, src, subject, &img, err);
    if (rc == ATTACHE_OK) {
        struct cache_slot *s = &c->slots[victim];

        free(s->key);
        image_free(s->img);          /* users still holding it keep it alive */
        s->key = key;
        s->img = img;
        s->used = ++c->clock;
        *out = image_ref(img);
        key = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    free(key);
    return rc;
}

void image_cache_free(struct image_cache *c)
{
    size_t i;

    if (!c)
        return;
    for (i = 0; i < CACHE_SLOTS; i++) {
        free(c->slots[i].key);
        image_free(c->slots[i].img);
    }
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* Unit tests of src/image.c: pictures prepared for the size they print at,
 * their colour kept as a palette, one ink or as they are, read as grey for
 * QR codes, and paths that would leave their folder refused. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>

#include "check.h"
#include "fixture.h"
#include "image.h"

static char root[64];

/* A PNG of w x h pixels in `format` (PNG_FORMAT_*), each pixel from pixel(). */
static unsigned char *make_png(int w, int h, png_uint_32 format,
                               void (*pixel)(int x, int y, unsigned char *out), size_t *size)
{
    png_image pi;
    unsigned char *px, *out;
    png_alloc_size_t n = 0;
    int x, y, ch;

    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    pi.width = (png_uint_32)w;
    pi.height = (png_uint_32)h;
    pi.format = format;
    ch = (int)PNG_IMAGE_PIXEL_CHANNELS(format);
    px = malloc(PNG_IMAGE_SIZE(pi));
    for (y = 0; y < h; y++)
        for (x = 0; x < w; x++)
            pixel(x, y, px + ((size_t)y * (size_t)w + (size_t)x) * (size_t)ch);
    png_image_write_get_memory_size(pi, n, 0, px, 0, NULL);
    out = malloc(n);
    if (!png_image_write_to_memory(&pi, out, &n, 0, px, 0, NULL)) {
        free(out);
        out = NULL;
    }
    free(px);
    *size = n;
    return out;
}

/* A grey JPEG of w x h pixels: a horizontal ramp. */
static unsigned char *make_jpeg(int w, int h, size_t *size)
{
    struct jpeg_compress_struct ci;
    struct jpeg_error_mgr je;
    unsigned char *mem = NULL, *row = malloc((size_t)w);
    unsigned long len = 0;
    int x;

    for (x = 0; x < w; x++)
        row[x] = (unsigned char)(x * 255 / (w - 1));
    ci.err = jpeg_std_error(&je);
    jpeg_create_compress(&ci);
    jpeg_mem_dest(&ci, &mem, &len);
    ci.image_width = (JDIMENSION)w;
    ci.image_height = (JDIMENSION)h;
    ci.input_components = 1;
    ci.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&ci);
    jpeg_start_compress(&ci, TRUE);
    while (ci.next_scanline < ci.image_height)
        jpeg_write_scanlines(&ci, &row, 1);
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    free(row);
    *size = len;
    return mem;
}

static void two_colours(int x, int y, unsigned char *o)      /* RGB: red left, blue right */
{
    o[0] = x < 8 ? 200 : 0;
    o[1] = 0;
    o[2] = x < 8 ? 0 : 200;
}

static void gradient(int x, int y, unsigned char *o)         /* RGB: far more than 256 colours */
{
    o[0] = (unsigned char)(x * 4);
    o[1] = (unsigned char)(y * 4);
    o[2] = (unsigned char)((x + y) * 2);
}

static void ink(int x, int y, unsigned char *o)              /* RGBA: one blue ink, strokes */
{
    o[0] = 20;
    o[1] = 40;
    o[2] = 120;
    o[3] = (x + y) % 3 ? 0 : 255;
}

static void grey_half_clear(int x, int y, unsigned char *o)  /* GA: black, left half clear */
{
    o[0] = 0;
    o[1] = x < 4 ? 0 : 255;
}

static void test_png(void)
{
    struct image_box none = {0, 0, IMAGE_CONTAIN};
    struct image *img;
    attache_error err;
    unsigned char *png;
    size_t size;

    attache_error_clear(&err);
    /* a logo of few colours stays indexed */
    png = make_png(16, 4, PNG_FORMAT_RGB, two_colours, &size);
    CHECK_INT(image_from_memory(png, size, "logo.png", &none, &img, &err), ATTACHE_OK);
    if (img) {
        CHECK_INT(img->width, 16);
        CHECK_INT(img->codec, IMAGE_FLATE);
        CHECK_INT(img->palette_size, 2);
        CHECK_INT(img->components, 1);
        CHECK(img->alpha == NULL);
        CHECK(!img->solid);
        CHECK_STR(img->path, "logo.png");
        CHECK(image_ref(img) == img);
        CHECK_INT(img->refs, 2);
        image_free(img);
        CHECK_INT(img->refs, 1);
    }
    image_free(img);
    free(png);

    /* a photograph keeps its colours */
    png = make_png(64, 64, PNG_FORMAT_RGB, gradient, &size);
    CHECK_INT(image_from_memory(png, size, "photo.png", &none, &img, &err), ATTACHE_OK);
    if (img) {
        CHECK_INT(img->palette_size, 0);
        CHECK_INT(img->components, 3);
        CHECK(img->size > 0);
    }
    image_free(img);

    /* ... printed 12 points wide, 300 dpi needs 50 of its 64 pixels */
    {
        struct image_box small = {12, 12, IMAGE_CONTAIN};
        CHECK_INT(image_from_memory(png, size, "photo.png", &small, &img, &err), ATTACHE_OK);
        if (img) {
            CHECK_INT(img->width, 50);
            CHECK_INT(img->height, 50);
        }
        image_free(img);
    }
    free(png);

    /* a signature in one ink: one pixel of colour under a full-size mask */
    png = make_png(30, 10, PNG_FORMAT_RGBA, ink, &size);
    CHECK_INT(image_from_memory(png, size, "sig.png", &none, &img, &err), ATTACHE_OK);
    if (img) {
        CHECK(img->solid);
        CHECK_INT(img->size, 3);
        CHECK(img->data && img->data[0] == 20 && img->data[1] == 40 && img->data[2] == 120);
        CHECK(img->alpha != NULL && img->alpha_size > 0);
        CHECK_INT(img->width, 30);
    }
    image_free(img);
    free(png);

    /* damaged and foreign bytes */
    png = make_png(16, 4, PNG_FORMAT_RGB, two_colours, &size);
    CHECK_INT(image_from_memory(png, size - 20, "cut.png", &none, &img, &err),
              ATTACHE_ERR_DATA);
    CHECK(img == NULL);
    CHECK(strstr(err.message, "PNG image is damaged") != NULL);
    CHECK_INT(image_from_memory(png, size / 2, "cut.png", &none, &img, &err), ATTACHE_ERR_DATA);
    CHECK(strstr(err.message, "is not a readable PNG image") != NULL);
    png[12] ^= 0xff;                                 /* the IHDR chunk's name */
    CHECK_INT(image_from_memory(png, size, "bad.png", &none, &img, &err), ATTACHE_ERR_DATA);
    CHECK(strstr(err.message, "is not a readable PNG image") != NULL);
    free(png);
    CHECK_INT(image_from_memory((const unsigned char *)"GIF89a......", 12, "x.gif", &none,
                                &img, &err), ATTACHE_ERR_DATA);
    CHECK_STR(err.message, "is neither a PNG nor a JPEG image");
    CHECK_STR(err.file, "x.gif");
}

static void test_jpeg(void)
{
    struct image_box none = {0, 0, IMAGE_CONTAIN};
    struct image_box contain = {72, 36, IMAGE_CONTAIN}, cover = {36, 36, IMAGE_COVER};
    struct image_box stretch = {72, 144, IMAGE_STRETCH};
    struct image *img;
    attache_error err;
    size_t size;
    unsigned char *jpg = make_jpeg(600, 300, &size);

    attache_error_clear(&err);
    /* a JPEG that need not shrink is embedded byte for byte */
    CHECK_INT(image_from_memory(jpg, size, "p.jpg", &none, &img, &err), ATTACHE_OK);
    if (img) {
        CHECK_INT(img->codec, IMAGE_DCT);
        CHECK_INT(img->components, 1);
        CHECK(img->size == size && !memcmp(img->data, jpg, size));
    }
    image_free(img);
    /* 1 x 0.5 inch at 300 dpi: 300 x 150 pixels, encoded again */
    CHECK_INT(image_from_memory(jpg, size, "p.jpg", &contain, &img, &err), ATTACHE_OK);
    if (img) {
        CHECK_INT(img->codec, IMAGE_DCT);
        CHECK_INT(img->width, 300);
        CHECK_INT(img->height, 150);
        CHECK(img->size >= 3 && !memcmp(img->data, "\xff\xd8\xff", 3));
    }
    image_free(img);
    /* cover: the box's shorter side decides */
    CHECK_INT(image_from_memory(jpg, size, "p.jpg", &cover, &img, &err), ATTACHE_OK);
    if (img) {
        CHECK_INT(img->width, 300);
        CHECK_INT(img->height, 150);
    }
    image_free(img);
    /* stretch: each side on its own, never more pixels than there are */
    CHECK_INT(image_from_memory(jpg, size, "p.jpg", &stretch, &img, &err), ATTACHE_OK);
    if (img) {
        CHECK_INT(img->width, 300);
        CHECK_INT(img->height, 300);
    }
    image_free(img);
    CHECK_INT(image_from_memory(jpg, 200, "cut.jpg", &none, &img, &err), ATTACHE_ERR_DATA);
    free(jpg);
}

static void test_grey(void)
{
    attache_error err;
    unsigned char *png, *jpg, *px = NULL;
    size_t size;
    int w = 0, h = 0;

    attache_error_clear(&err);
    png = make_png(8, 2, PNG_FORMAT_GA, grey_half_clear, &size);
    CHECK_INT(image_decode_grey(png, size, "scan.png", &w, &h, &px, &err), ATTACHE_OK);
    CHECK_INT(w, 8);
    CHECK_INT(h, 2);
    if (px) {
        CHECK_INT(px[0], 255);      /* transparent: white paper */
        CHECK_INT(px[7], 0);        /* black ink */
    }
    free(px);
    CHECK_INT(image_decode_grey(png, size - 20, "cut.png", &w, &h, &px, &err), ATTACHE_ERR_DATA);
    CHECK(px == NULL);
    free(png);

    jpg = make_jpeg(64, 8, &size);
    CHECK_INT(image_decode_grey(jpg, size, "scan.jpg", &w, &h, &px, &err), ATTACHE_OK);
    CHECK_INT(w, 64);
    CHECK_INT(h, 8);
    if (px)
        CHECK(px[0] < 16 && px[63] > 239);      /* the ramp, dark to light */
    free(px);
    jpg[3] ^= 0xff;
    CHECK_INT(image_decode_grey(jpg, size, "bad.jpg", &w, &h, &px, &err), ATTACHE_ERR_DATA);
    CHECK(strstr(err.message, "is not a readable JPEG image") != NULL);
    free(jpg);
    CHECK_INT(image_decode_grey((const unsigned char *)"hello", 5, "x.txt", &w, &h, &px, &err),
              ATTACHE_ERR_DATA);
    CHECK_STR(err.message, "is neither a PNG nor a JPEG image");
}

/* A side over the limit is refused from the header, with the same words
 * whichever way the image is read. */
static void test_too_large(void)
{
    const char *want = "PNG image is 20001x1 pixels; the limit is 40000000 pixels, "
                       "at most 20000 on a side";
    struct image_box none = {0, 0, IMAGE_CONTAIN};
    struct image *img = NULL;
    attache_error err;
    unsigned char *png, *px = NULL;
    size_t size;
    int w = 0, h = 0;

    attache_error_clear(&err);
    png = make_png(20001, 1, PNG_FORMAT_GA, grey_half_clear, &size);
    CHECK_INT(image_from_memory(png, size, "wide.png", &none, &img, &err), ATTACHE_ERR_DATA);
    CHECK(img == NULL);
    CHECK_STR(err.message, want);
    CHECK_STR(err.file, "wide.png");
    attache_error_clear(&err);
    CHECK_INT(image_decode_grey(png, size, "wide.png", &w, &h, &px, &err), ATTACHE_ERR_DATA);
    CHECK(px == NULL);
    CHECK_STR(err.message, want);
    free(png);
}

static void write_file(const char *rel, const void *data, size_t size)
{
    char path[256];

    snprintf(path, sizeof path, "%s/%s", root, rel);
    CHECK(fixture_write(path, data, size));
}

/* image_load() of `src` under root/assets fails with `code` and a message containing `what`. */
static void refused(const char *src, attache_status code, const char *what)
{
    struct image_box none = {0, 0, IMAGE_CONTAIN};
    struct image *img = (struct image *)&img;
    attache_error err;
    char base[128];

    attache_error_clear(&err);
    snprintf(base, sizeof base, "%s/assets", root);
    if (!CHECK(image_load(base, src, "officer 'kh-01'", &none, &img, &err) == code &&
               img == NULL && strstr(err.message, what) != NULL))
        fprintf(stderr, "    '%s': %d %s\n", src, err.code, err.message);
}

static void test_paths(void)
{
    struct image_box none = {0, 0, IMAGE_CONTAIN};
    struct image_cache *cache;
    struct image *a = NULL, *b = NULL;
    attache_error err;
    unsigned char *png;
    size_t size;
    char base[128], sub[160], outside[160], link[160];

    snprintf(base, sizeof base, "%s/assets", root);
    snprintf(sub, sizeof sub, "%s/assets/sub", root);
    snprintf(outside, sizeof outside, "%s/secret.png", root);
    snprintf(link, sizeof link, "%s/assets/link.png", root);
    mkdir(base, 0777);
    mkdir(sub, 0777);
    png = make_png(16, 4, PNG_FORMAT_RGB, two_colours, &size);
    write_file("assets/logo.png", png, size);
    write_file("secret.png", png, size);
    write_file("assets/notes.png", "not a picture", 13);
    CHECK(symlink(outside, link) == 0);
    free(png);

    attache_error_clear(&err);
    CHECK_INT(image_load(base, "logo.png", "issuer", &none, &a, &err), ATTACHE_OK);
    image_free(a);
    refused("/etc/passwd", ATTACHE_ERR_DATA, "image path '/etc/passwd' must be relative");
    refused("", ATTACHE_ERR_DATA, "must be relative");
    refused("http://example.org/a.png", ATTACHE_ERR_DATA, "must be relative");
    refused("../secret.png", ATTACHE_ERR_DATA, "may not contain '..' or empty parts");
    refused("sub//logo.png", ATTACHE_ERR_DATA, "may not contain '..' or empty parts");
    refused("link.png", ATTACHE_ERR_DATA, "leads outside its folder");
    refused("missing.png", ATTACHE_ERR_NOINPUT, "image 'missing.png' cannot be read");
    refused("sub", ATTACHE_ERR_NOINPUT, "image 'sub' is not a file");
    refused("notes.png", ATTACHE_ERR_DATA,
            "officer 'kh-01': image 'notes.png' is neither a PNG nor a JPEG image");
    CHECK_INT(image_load(NULL, "logo.png", "officer 'x'", &none, &a, &err), ATTACHE_ERR_USAGE);
    CHECK(strstr(err.message, "give --assets DIR") != NULL);
    CHECK_INT(image_load("/nonexistent-folder", "logo.png", "x", &none, &a, &err),
              ATTACHE_ERR_NOINPUT);
    CHECK(strstr(err.message, "image folder") != NULL);

    /* the cache hands out the one prepared image, a reference each */
    cache = image_cache_new();
    CHECK(cache != NULL);
    CHECK_INT(image_cache_get(cache, base, "logo.png", "issuer", &none, &a, &err), ATTACHE_OK);
    CHECK_INT(image_cache_get(cache, base, "logo.png", "issuer", &none, &b, &err), ATTACHE_OK);
    CHECK(a != NULL && a == b);
    CHECK_INT(image_cache_get(cache, base, "notes.png", "issuer", &none, &b, &err),
              ATTACHE_ERR_DATA);
    image_free(a);
    image_free(a);
    image_cache_free(cache);
    image_cache_free(NULL);
    image_free(NULL);
}

/* ---- preparing images ahead, and from several threads ------------------ */

struct getter {
    struct image_cache *cache;
    const char *base;
    struct image *a, *b;         /* what this thread was given */
    attache_status rc_a, rc_b;
};

static void *get_both(void *arg)
{
    struct getter *g = arg;
    struct image_box box = {72, 72, IMAGE_CONTAIN};
    attache_error err;

    attache_error_clear(&err);
    g->rc_a = image_cache_get(g->cache, g->base, "a.png", "test", &box, &g->a, &err);
    g->rc_b = image_cache_get(g->cache, g->base, "b.png", "test", &box, &g->b, &err);
    return NULL;
}

static void test_prepared(void)
{
    struct image_box small = {72, 72, IMAGE_CONTAIN}, large = {144, 144, IMAGE_CONTAIN};
    struct image_cache *recorder, *cache;
    struct image *img = NULL, *first_a = NULL, *first_b = NULL;
    struct getter g[4];
    pthread_t th[4];
    attache_error err;
    unsigned char *png;
    size_t size;
    char base[128], path[192];
    int i, round;

    snprintf(base, sizeof base, "%s/assets", root);
    mkdir(base, 0777);
    png = make_png(600, 400, PNG_FORMAT_RGB, gradient, &size);
    write_file("assets/a.png", png, size);
    write_file("assets/b.png", png, size);
    free(png);

    /* a recorder gives stand-ins and notes what it was asked for, once each */
    recorder = image_cache_new_recorder();
    cache = image_cache_new();
    CHECK(recorder != NULL && cache != NULL);
    attache_error_clear(&err);
    CHECK_INT(image_cache_get(recorder, base, "a.png", "test", &small, &img, &err), ATTACHE_OK);
    CHECK(img && !img->data && img->width == 600);     /* a stand-in: nothing decoded */
    image_free(img);
    CHECK_INT(image_cache_get(recorder, base, "b.png", "test", &large, &img, &err), ATTACHE_OK);
    image_free(img);
    CHECK_INT(image_cache_get(recorder, base, "a.png", "test", &small, &img, &err), ATTACHE_OK);
    image_free(img);
    CHECK_INT(image_cache_get(recorder, base, "gone.png", "test", &small, &img, &err),
              ATTACHE_ERR_NOINPUT);
    CHECK(img == NULL);

    /* prepared: with the files gone, the cache still has exactly those */
    CHECK_INT((int)image_cache_prepare_asked(recorder, cache), 3);   /* none was ready */
    snprintf(path, sizeof path, "%s/a.png", base);
    CHECK(unlink(path) == 0);
    snprintf(path, sizeof path, "%s/b.png", base);
    CHECK(unlink(path) == 0);
    CHECK_INT(image_cache_get(cache, base, "a.png", "test", &small, &img, &err), ATTACHE_OK);
    CHECK(img && img->data && img->size > 0);
    image_free(img);
    CHECK_INT(image_cache_get(cache, base, "b.png", "test", &large, &img, &err), ATTACHE_OK);
    CHECK(img && img->data);
    image_free(img);
    CHECK_INT(image_cache_get(cache, base, "a.png", "test", &large, &img, &err),
              ATTACHE_ERR_NOINPUT);                      /* another size was not asked for */
    /* what could not be prepared is reported when it is asked for */
    CHECK_INT(image_cache_get(cache, base, "gone.png", "test", &small, &img, &err),
              ATTACHE_ERR_NOINPUT);
    CHECK(strstr(err.message, "gone.png") != NULL);
    CHECK_INT((int)image_cache_prepare_asked(recorder, cache), 0);   /* nothing asked */
    CHECK_INT(image_cache_get(recorder, base, "a.png", "test", &small, &img, &err), ATTACHE_OK);
    image_free(img);                                     /* the recorder keeps its stand-in */
    CHECK_INT((int)image_cache_prepare_asked(recorder, cache), 0);   /* ready already */
    image_cache_free(cache);
    image_cache_free(recorder);

    /* threads asking at once, while the images are prepared, all get the one
       image of each, prepared once */
    png = make_png(600, 400, PNG_FORMAT_RGB, gradient, &size);
    write_file("assets/a.png", png, size);
    write_file("assets/b.png", png, size);
    free(png);
    for (round = 0; round < 3; round++) {
        recorder = image_cache_new_recorder();
        cache = image_cache_new();
        CHECK(recorder != NULL && cache != NULL);
        for (i = 0; i < 2; i++) {
            CHECK_INT(image_cache_get(recorder, base, i ? "b.png" : "a.png", "test", &small, &img,
                                      &err), ATTACHE_OK);
            image_free(img);
        }
        for (i = 0; i < 4; i++) {
            g[i].cache = cache;
            g[i].base = base;
            g[i].a = g[i].b = NULL;
            CHECK_INT(pthread_create(&th[i], NULL, get_both, &g[i]), 0);
        }
        image_cache_prepare_asked(recorder, cache);
        for (i = 0; i < 4; i++)
            pthread_join(th[i], NULL);
        for (i = 0; i < 4; i++) {
            CHECK_INT(g[i].rc_a, ATTACHE_OK);
            CHECK_INT(g[i].rc_b, ATTACHE_OK);
            CHECK(g[i].a != NULL && g[i].a == g[0].a);
            CHECK(g[i].b != NULL && g[i].b == g[0].b);
        }
        CHECK(g[0].a != g[0].b);
        first_a = g[0].a;
        first_b = g[0].b;
        CHECK_INT(first_a->refs, 5);                     /* four threads and the cache */
        CHECK_INT(first_b->refs, 5);
        for (i = 0; i < 4; i++) {
            image_free(g[i].a);
            image_free(g[i].b);
        }
        image_cache_free(cache);
        image_cache_free(recorder);
    }
}

int main(void)
{
    int rc;

    snprintf(root, sizeof root, "/tmp/attache-test-image-XXXXXX");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_png();
    test_jpeg();
    test_grey();
    test_too_large();
    test_paths();
    test_prepared();
    rc = check_done();
    fixture_remove_tree(root);
    return rc;
}

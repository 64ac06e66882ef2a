/*
 * image.c: reading PNG (libpng) and JPEG (libjpeg headers only) images.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>
#include <libdeflate.h>
#include <sodium.h>

#include "error.h"
#include "image.h"
#include "text.h"
#include "util.h"

#define MAX_IMAGE_FILE (20u * 1024 * 1024)
#define MAX_PIXELS (40u * 1000 * 1000)
#define MAX_SIDE 20000
#define MAX_JPEG_SCANS 256
#define MAX_JPEG_MEMORY (512L * 1024 * 1024)   /* libjpeg's own buffers */
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

#define PRINT_DPI 300.0f


/* Decoded pixels: `c` colour components, plus alpha when `alpha`. */
struct pixels {
    int w, h, c;                 /* c: colour channels, 1 (grey) or 3 (RGB) */
    bool alpha;
    unsigned char *px;           /* w * h * (c + alpha) */
};

/* The pixel size the box prints the picture at, never more than it has. */
static void target_size(const struct pixels *p, const struct image_box *box, int *tw, int *th)
{
    float sx, sy, s;

    *tw = p->w;
    *th = p->h;
    if (!box || box->w <= 0 || box->h <= 0)
        return;
    sx = box->w / (float)p->w;
    sy = box->h / (float)p->h;
    if (box->fit == IMAGE_STRETCH) {
        float w = box->w / 72 * PRINT_DPI, h = box->h / 72 * PRINT_DPI;
        if (w < (float)p->w)
            *tw = (int)ceilf(w);
        if (h < (float)p->h)
            *th = (int)ceilf(h);
        return;
    }
    s = box->fit == IMAGE_COVER ? fmaxf(sx, sy) : fminf(sx, sy);   /* points per pixel */
    s = s / 72 * PRINT_DPI;                                      /* dots per pixel */
    if (s < 1) {
        *tw = (int)ceilf((float)p->w * s);
        *th = (int)ceilf((float)p->h * s);
        if (*tw < 1)
            *tw = 1;
        if (*th < 1)
            *th = 1;
    }
}

/*
 * Add source row `row` to the accumulators, each output column's source
 * pixels weighed by their share of its width (wx) and the row's of its
 * height (wy), on premultiplied alpha.  Inlined for each pixel layout, so
 * that the loops over channels have constant bounds.
 */
static inline __attribute__((always_inline)) void
add_row(float *acc, const unsigned char *row, const float *w, const int *first,
        const int *count, int tw, int c, bool alpha, float wy, const float opacity[256])
{
    int ch = c + alpha, x, i, k;

    for (x = 0; x < tw; x++) {
        float *d = acc + (size_t)x * (size_t)ch;

        for (i = 0; i < count[x]; i++) {
            float wgt = *w++ * wy;
            const unsigned char *s = row + (size_t)(first[x] + i) * (size_t)ch;
            float a = alpha ? opacity[s[c]] : 1;

            for (k = 0; k < c; k++)
                d[k] += s[k] * a * wgt;
            if (alpha)
                d[c] += a * wgt;
        }
    }
}

/* A channel's value rounded into 0..255. */
static unsigned char clamp_byte(float v)
{
    v += 0.5f;
    return (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/*
 * Shrink with an exact box filter (each target pixel the area-weighted mean
 * of the source pixels under it), on premultiplied alpha so that edges do
 * not darken.
 */
static bool resample(struct pixels *p, int tw, int th)
{
    int ch = p->c + p->alpha, x, y, k;
    float fx = (float)p->w / (float)tw, fy = (float)p->h / (float)th;
    float *acc = calloc((size_t)tw * (size_t)ch, sizeof *acc);
    unsigned char *out = malloc((size_t)tw * (size_t)th * (size_t)ch);
    /* each output column's source columns (first[x], count[x]) and their
       widths within it, the same for every row: worked out once */
    int *first = malloc((size_t)tw * sizeof *first), *count = malloc((size_t)tw * sizeof *count);
    float *wx = malloc(((size_t)tw * ((size_t)ceilf(fx) + 2)) * sizeof *wx);
    float opacity[256];          /* by alpha value: v / 255, looked up, not divided a pixel */
    size_t nw = 0;

    if (!acc || !out || !first || !count || !wx) {
        free(acc);
        free(out);
        free(first);
        free(count);
        free(wx);
        return false;
    }
    for (k = 0; k < 256; k++)
        opacity[k] = (float)k / 255.0f;
    for (x = 0; x < tw; x++) {
        float x0 = (float)x * fx, x1 = x0 + fx;
        int sx;

        first[x] = (int)x0;
        count[x] = 0;
        for (sx = (int)x0; sx < (int)ceilf(x1) && sx < p->w; sx++, count[x]++)
            wx[nw++] = fminf(x1, (float)sx + 1) - fmaxf(x0, (float)sx);
    }
    for (y = 0; y < th; y++) {
        float y0 = (float)y * fy, y1 = y0 + fy, area = fx * fy;
        int sy;

        memset(acc, 0, (size_t)tw * (size_t)ch * sizeof *acc);
        for (sy = (int)y0; sy < (int)ceilf(y1) && sy < p->h; sy++) {
            float wy = fminf(y1, (float)sy + 1) - fmaxf(y0, (float)sy);
            const unsigned char *row = p->px + (size_t)sy * (size_t)p->w * (size_t)ch;

            /* the layouts decode_png() gives: grey or RGB (p->c 1 or 3), alpha or not */
            if (p->c == 1 && !p->alpha)
                add_row(acc, row, wx, first, count, tw, 1, false, wy, opacity);
            else if (p->c == 1)
                add_row(acc, row, wx, first, count, tw, 1, true, wy, opacity);
            else if (!p->alpha)
                add_row(acc, row, wx, first, count, tw, 3, false, wy, opacity);
            else
                add_row(acc, row, wx, first, count, tw, 3, true, wy, opacity);
        }
        for (x = 0; x < tw; x++) {
            float *d = acc + (size_t)x * (size_t)ch;
            unsigned char *o = out + ((size_t)y * (size_t)tw + (size_t)x) * (size_t)ch;
            float a = p->alpha ? d[p->c] / area : 1;
            for (k = 0; k < p->c; k++)
                o[k] = clamp_byte(a > 0 ? d[k] / area / a : 0);
            if (p->alpha)
                o[p->c] = clamp_byte(a * 255);
        }
    }
    free(acc);
    free(first);
    free(count);
    free(wx);
    free(p->px);
    p->px = out;
    p->w = tw;
    p->h = th;
    return true;
}

static int paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* A filtered byte's size as PNG encoders judge it: its distance from 0, as a signed byte. */
static unsigned magnitude(unsigned char v)
{
    return v < 128 ? v : 256u - v;
}

/*
 * Row `cur` through PNG filter f (0 none, 1 sub, 2 up, 3 Paeth) into c,
 * `up` the row above (zeros for the first): the sum of the magnitudes.
 * One loop a filter, the first pixel's bytes (which have no left
 * neighbour) apart, so that the compiler can keep the loops simple.
 */
static unsigned long filter_row(int f, const unsigned char *cur, const unsigned char *up,
                                size_t stride, size_t bpp, unsigned char *c)
{
    unsigned long sum = 0;
    size_t i, first = bpp < stride ? bpp : stride;

    switch (f) {
    case 0:
        for (i = 0; i < stride; i++)
            sum += magnitude(c[i] = cur[i]);
        break;
    case 1:
        for (i = 0; i < first; i++)
            sum += magnitude(c[i] = cur[i]);
        for (; i < stride; i++)
            sum += magnitude(c[i] = (unsigned char)(cur[i] - cur[i - bpp]));
        break;
    case 2:
        for (i = 0; i < stride; i++)
            sum += magnitude(c[i] = (unsigned char)(cur[i] - up[i]));
        break;
    default:
        for (i = 0; i < first; i++)                 /* Paeth of (0, b, 0) is b */
            sum += magnitude(c[i] = (unsigned char)(cur[i] - up[i]));
        for (; i < stride; i++)
            sum += magnitude(
                c[i] = (unsigned char)(cur[i] - paeth(cur[i - bpp], up[i], up[i - bpp])));
        break;
    }
    return sum;
}

/* PNG row filters (the one with the smallest sum per row), for /Predictor 15. */
static unsigned char *predict(const unsigned char *src, int w, int h, int bpp, size_t *size)
{
    size_t stride = (size_t)w * (size_t)bpp, n = (stride + 1) * (size_t)h;
    unsigned char *out = malloc(n), *cand = malloc(stride * 4), *zeros = calloc(stride + 1, 1);
    int y;

    if (!out || !cand || !zeros) {
        free(out);
        free(cand);
        free(zeros);
        return NULL;
    }
    for (y = 0; y < h; y++) {
        const unsigned char *cur = src + (size_t)y * stride, *up = y ? cur - stride : zeros;
        unsigned long best = (unsigned long)-1;
        int f, bestf = 0;

        for (f = 0; f < 4; f++) {
            unsigned long sum = filter_row(f, cur, up, stride, (size_t)bpp,
                                           cand + (size_t)f * stride);
            if (sum < best) {
                best = sum;
                bestf = f;
            }
        }
        out[(size_t)y * (stride + 1)] = (unsigned char)(bestf == 3 ? 4 : bestf);
        memcpy(out + (size_t)y * (stride + 1) + 1, cand + (size_t)bestf * stride, stride);
    }
    free(cand);
    free(zeros);
    *size = n;
    return out;
}

/*
 * Deflate samples, with PNG predictors when that is smaller, with libdeflate
 * at level 9, its slowest lazy level: an image is compressed once per run
 * and embedded in every document.  Level 10, the first near-optimal one,
 * makes a certificate with the sample logo and signature 383 bytes (1%)
 * smaller, but takes 40 ms more of every run's start, which delays every
 * worker waiting for the first images and is a tenth of a run of 200
 * certificates.  Whether predictors help is judged at level 1, a twentieth
 * of the cost, and only the better form is deflated at level 9.
 */
#define IMAGE_LEVEL 9

static bool deflate_best(const unsigned char *px, int w, int h, int bpp, unsigned char **out,
                         size_t *outn, bool *predicted)
{
    size_t n, plain_n = (size_t)w * (size_t)h * (size_t)bpp, trial_n, trial_plain_n;
    struct libdeflate_compressor *quick = libdeflate_alloc_compressor(1);
    struct libdeflate_compressor *z = libdeflate_alloc_compressor(IMAGE_LEVEL);
    unsigned char *p = predict(px, w, h, bpp, &n), *trial = NULL, *trial_plain = NULL;
    bool ok = quick && z && p && zlib_deflate(quick, p, n, &trial, &trial_n) &&
              zlib_deflate(quick, px, plain_n, &trial_plain, &trial_plain_n);

    free(trial);
    free(trial_plain);
    if (ok) {
        *predicted = trial_n < trial_plain_n;
        ok = *predicted ? zlib_deflate(z, p, n, out, outn)
                        : zlib_deflate(z, px, plain_n, out, outn);
    }
    libdeflate_free_compressor(quick);
    libdeflate_free_compressor(z);
    free(p);
    return ok;
}

/*
 * The distinct colours of the visible pixels, if there are at most 256, with
 * a hash of them so that finding a pixel's entry costs one probe or two, not
 * a scan of the palette: a large indexed logo has millions of pixels.
 */
#define PALETTE_SLOTS 1024          /* a power of two, well over 256 */

struct palette {
    int n;
    unsigned char rgb[256 * 3];
    uint32_t key[PALETTE_SLOTS];    /* colour + 1 (0: empty) */
    unsigned char index[PALETTE_SLOTS];
};

static uint32_t colour_key(const unsigned char *s, int c)
{
    return (c == 1 ? (uint32_t)s[0] * 0x010101u
                   : (uint32_t)s[0] << 16 | (uint32_t)s[1] << 8 | s[2]) + 1;
}

/* The slot of `key`: where it is, or the empty one where it would go. */
static size_t palette_slot(const struct palette *pal, uint32_t key)
{
    size_t i = (key * 2654435761u) >> 22 & (PALETTE_SLOTS - 1);

    while (pal->key[i] && pal->key[i] != key)
        i = (i + 1) & (PALETTE_SLOTS - 1);
    return i;
}

static bool find_palette(const struct pixels *p, struct palette *pal)
{
    size_t npx = (size_t)p->w * (size_t)p->h, i, slot;
    int ch = p->c + p->alpha;
    uint32_t key, last = 0;

    pal->n = 0;
    memset(pal->key, 0, sizeof pal->key);
    for (i = 0; i < npx; i++) {
        const unsigned char *s = p->px + i * (size_t)ch;
        if (p->alpha && s[p->c] == 0)
            continue;
        key = colour_key(s, p->c);
        if (key == last)
            continue;
        last = key;
        slot = palette_slot(pal, key);
        if (pal->key[slot])
            continue;
        if (pal->n == 256)
            return false;
        pal->key[slot] = key;
        pal->index[slot] = (unsigned char)pal->n;
        memcpy(pal->rgb + pal->n * 3, s, (size_t)p->c);
        pal->n++;
    }
    return pal->n > 0;
}

static int nearest(const struct palette *pal, const unsigned char *s, int c)
{
    int best = 0, k, j;
    long bestd = -1;
    size_t slot = palette_slot(pal, colour_key(s, c));

    if (pal->key[slot])
        return pal->index[slot];
    for (k = 0; k < pal->n; k++) {
        long d = 0;
        for (j = 0; j < c; j++) {
            long e = (long)s[j] - pal->rgb[k * 3 + j];
            d += e * e;
        }
        if (bestd < 0 || d < bestd) {
            bestd = d;
            best = k;
            if (!d)
                break;
        }
    }
    return best;
}

/*
 * Split pixels into the image's colour and alpha streams, deflated.  A
 * picture that had at most 256 colours before it was shrunk stays indexed
 * (a logo); one whose visible pixels are nearly all one colour becomes one
 * pixel under its alpha mask (a signature); alpha keeps 16 levels, which
 * print the same and compress far better.
 */
static attache_status store_flate(struct pixels *p, const struct palette *pal, const char *name,
                                  struct image *img, attache_error *err)
{
    size_t npx = (size_t)p->w * (size_t)p->h, i;
    int ch = p->c + p->alpha, k, cc;
    unsigned char *colour = calloc(npx, (size_t)p->c), *alpha = p->alpha ? calloc(npx, 1) : NULL;
    bool opaque = true, solid = true;
    double sum[3] = {0, 0, 0}, wsum = 0, weight[256];
    unsigned char mean[3] = {0, 0, 0}, level[256];
    attache_status rc = ATTACHE_OK;

    if (!colour || (p->alpha && !alpha)) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, name, 0, "out of memory");
        goto done;
    }
    for (k = 0; k < 256; k++) {  /* by alpha value: its weight, and the value at 16 levels */
        weight[k] = k / 255.0;
        level[k] = (unsigned char)((k * 15 + 127) / 255 * 17);
    }
    for (i = 0; i < npx; i++) {
        const unsigned char *s = p->px + i * (size_t)ch;
        double a = p->alpha ? weight[s[p->c]] : 1;

        for (k = 0; k < p->c; k++)
            colour[i * (size_t)p->c + (size_t)k] = s[k];
        if (alpha) {
            alpha[i] = level[s[p->c]];
            opaque &= alpha[i] == 255;
        }
        for (k = 0; k < p->c; k++)
            sum[k] += s[k] * a;
        wsum += a;
    }
    for (k = 0; k < p->c && wsum > 0; k++)
        mean[k] = (unsigned char)(sum[k] / wsum + 0.5);
    for (i = 0; i < npx && solid; i++) {
        const unsigned char *s = p->px + i * (size_t)ch;
        if (p->alpha && s[p->c] < 64)
            continue;
        for (k = 0; k < p->c; k++)
            if (abs((int)s[k] - (int)mean[k]) > 24)
                solid = false;
    }
    img->width = p->w;
    img->height = p->h;
    img->components = p->c;
    img->codec = IMAGE_FLATE;
    if (alpha && !opaque && solid) {
        img->solid = true;
        img->data = malloc((size_t)p->c);
        if (!img->data) {
            rc = err_set(err, ATTACHE_ERR_INTERNAL, name, 0, "out of memory");
            goto done;
        }
        memcpy(img->data, mean, (size_t)p->c);
        img->size = (size_t)p->c;
    } else {
        cc = p->c;
        if (pal && pal->n) {
            uint32_t last_key = 0;
            int last = 0;

            for (i = 0; i < npx; i++) {
                const unsigned char *s = p->px + i * (size_t)ch;
                uint32_t key = colour_key(s, p->c);

                if (key != last_key) {      /* runs of one colour are common */
                    last = nearest(pal, s, p->c);
                    last_key = key;
                }
                colour[i] = (unsigned char)last;
            }
            memcpy(img->palette, pal->rgb, (size_t)pal->n * 3);
            img->palette_size = pal->n;
            img->components = 1;
            if (p->c == 1)      /* grey palette entries as RGB */
                for (k = pal->n - 1; k >= 0; k--)
                    img->palette[k * 3] = img->palette[k * 3 + 1] = img->palette[k * 3 + 2] =
                        pal->rgb[k * 3];
            cc = 1;
        }
        if (!deflate_best(colour, p->w, p->h, cc, &img->data, &img->size, &img->predicted)) {
            rc = err_set(err, ATTACHE_ERR_INTERNAL, name, 0, "cannot compress image");
            goto done;
        }
    }
    if (alpha && !opaque) {
        bool predicted;
        if (!deflate_best(alpha, p->w, p->h, 1, &img->alpha, &img->alpha_size, &predicted)) {
            rc = err_set(err, ATTACHE_ERR_INTERNAL, name, 0, "cannot compress image");
            goto done;
        }
        img->alpha_predicted = predicted;
    }
done:
    free(colour);
    free(alpha);
    return rc;
}

/* Whether a picture of w x h pixels is within the limits; if not, why[] says so
 * ("it is 25000x1 pixels; the limit is ..."). */
static bool size_within_limits(unsigned long w, unsigned long h, char *why, size_t size)
{
    if (w && h && w <= MAX_SIDE && h <= MAX_SIDE && w * h <= MAX_PIXELS)
        return true;
    snprintf(why, size, "%lux%lu pixels; the limit is %u pixels, at most %u on a side", w, h,
             MAX_PIXELS, MAX_SIDE);
    return false;
}

/* Reads a PNG's header into pi, refusing what cannot be read and sizes
 * beyond the limits; on success the caller finishes or frees pi. */
static attache_status png_begin(const unsigned char *bytes, size_t size, const char *name,
                                png_image *pi, attache_error *err)
{
    char why[120];

    memset(pi, 0, sizeof *pi);
    pi->version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(pi, bytes, size))
        return err_set(err, ATTACHE_ERR_DATA, name, 0, "is not a readable PNG image (%s)",
                       pi->message);
    if (!size_within_limits(pi->width, pi->height, why, sizeof why)) {
        err_set(err, ATTACHE_ERR_DATA, name, 0, "PNG image is %s", why);
        png_image_free(pi);
        return ATTACHE_ERR_DATA;
    }
    return ATTACHE_OK;
}

static attache_status decode_png(const unsigned char *bytes, size_t size, const char *name,
                                 struct pixels *p, attache_error *err)
{
    png_image pi;
    attache_status rc = png_begin(bytes, size, name, &pi, err);

    if (rc != ATTACHE_OK)
        return rc;
    /* 16-bit samples are sRGB, as viewers take them, not linear as libpng would */
    pi.flags |= PNG_IMAGE_FLAG_16BIT_sRGB;
    p->alpha = pi.format & PNG_FORMAT_FLAG_ALPHA;
    p->c = pi.format & PNG_FORMAT_FLAG_COLOR ? 3 : 1;
    pi.format = p->c == 1 ? (p->alpha ? PNG_FORMAT_GA : PNG_FORMAT_GRAY)
                          : (p->alpha ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB);
    p->w = (int)pi.width;
    p->h = (int)pi.height;
    p->px = malloc(PNG_IMAGE_SIZE(pi));
    if (!p->px) {
        png_image_free(&pi);
        return err_set(err, ATTACHE_ERR_INTERNAL, name, 0, "out of memory");
    }
    if (!png_image_finish_read(&pi, NULL, p->px, 0, NULL))
        return err_set(err, ATTACHE_ERR_DATA, name, 0, "PNG image is damaged (%s)", pi.message);
    return ATTACHE_OK;
}

static attache_status from_png(const unsigned char *bytes, size_t size, const char *name,
                               const struct image_box *box, struct image *img,
                               attache_error *err)
{
    struct pixels p = {0};
    struct palette pal;
    attache_status rc = decode_png(bytes, size, name, &p, err);
    bool indexed = false;
    int tw, th;

    if (rc == ATTACHE_OK) {
        indexed = find_palette(&p, &pal);
        target_size(&p, box, &tw, &th);
        if ((tw < p.w || th < p.h) && !resample(&p, tw, th))
            rc = err_set(err, ATTACHE_ERR_INTERNAL, name, 0, "out of memory");
    }
    if (rc == ATTACHE_OK)
        rc = store_flate(&p, indexed ? &pal : NULL, name, img, err);
    free(p.px);
    return rc;
}

struct jpeg_err {
    struct jpeg_error_mgr mgr;
    struct jpeg_progress_mgr progress;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    bool truncated;              /* the data (or a scan's) ended before the picture did */
};

static void jpeg_fail(j_common_ptr cinfo)
{
    struct jpeg_err *e = (struct jpeg_err *)cinfo->err;

    (*cinfo->err->format_message)(cinfo, e->message);
    longjmp(e->jump, 1);
}

/* Warnings are not errors (many cameras write a few stray bytes), except the end of data. */
static void jpeg_quiet(j_common_ptr cinfo, int level)
{
    struct jpeg_err *e = (struct jpeg_err *)cinfo->err;

    if (level < 0 && (cinfo->err->msg_code == JWRN_JPEG_EOF ||
                      cinfo->err->msg_code == JWRN_HIT_MARKER))
        e->truncated = true;
}

/*
 * A progressive JPEG may hold any number of scans, each a pass over the
 * whole picture: a small file with thousands of them costs minutes.
 */
static void jpeg_count_scans(j_common_ptr cinfo)
{
    struct jpeg_err *e = (struct jpeg_err *)cinfo->err;

    if (cinfo->is_decompressor &&
        ((j_decompress_ptr)cinfo)->input_scan_number > MAX_JPEG_SCANS) {
        snprintf(e->message, sizeof e->message, "more than %d progressive scans",
                 MAX_JPEG_SCANS);
        longjmp(e->jump, 1);
    }
}

/* Error handling and limits for a decompressor, before jpeg_create_decompress(). */
static void jpeg_guard(struct jpeg_decompress_struct *ci, struct jpeg_err *je)
{
    memset(ci, 0, sizeof *ci);
    memset(je, 0, sizeof *je);
    ci->err = jpeg_std_error(&je->mgr);
    je->mgr.error_exit = jpeg_fail;
    je->mgr.emit_message = jpeg_quiet;
    je->progress.progress_monitor = jpeg_count_scans;
}

/* After jpeg_create_decompress(): the limits that live in the decompressor. */
static void jpeg_limit(struct jpeg_decompress_struct *ci, struct jpeg_err *je)
{
    ci->progress = &je->progress;
    ci->mem->max_memory_to_use = MAX_JPEG_MEMORY;
}

/* Whether the header's size is one attache accepts; err says why not. */
static bool jpeg_size_ok(const struct jpeg_decompress_struct *ci, const char *name,
                         attache_error *err)
{
    char why[120];

    if (size_within_limits(ci->image_width, ci->image_height, why, sizeof why))
        return true;
    err_set(err, ATTACHE_ERR_DATA, name, 0, "JPEG image is %s", why);
    return false;
}

/*
 * Decode the whole picture at an eighth of its size, only to find out that
 * it is all there: a JPEG that goes into the PDF as it is must not be cut
 * short (a viewer would draw grey where the data ends).
 */
static bool jpeg_complete(struct jpeg_decompress_struct *ci, struct jpeg_err *je)
{
    JSAMPARRAY row;

    ci->scale_num = 1;
    ci->scale_denom = 8;
    ci->out_color_space = JCS_GRAYSCALE;
    jpeg_start_decompress(ci);
    row = (*ci->mem->alloc_sarray)((j_common_ptr)ci, JPOOL_IMAGE, ci->output_width, 1);
    while (ci->output_scanline < ci->output_height && !je->truncated)
        jpeg_read_scanlines(ci, row, 1);
    if (!je->truncated)
        jpeg_finish_decompress(ci);
    return !je->truncated;
}

/* Encode pixels (no alpha) as a JPEG of good quality. */
static bool encode_jpeg(const struct pixels *p, unsigned char **out, size_t *size)
{
    struct jpeg_compress_struct ci;
    struct jpeg_err je;
    unsigned char *mem = NULL;
    unsigned long len = 0;
    JSAMPROW row;

    memset(&ci, 0, sizeof ci);
    ci.err = jpeg_std_error(&je.mgr);
    je.mgr.error_exit = jpeg_fail;
    if (setjmp(je.jump)) {
        jpeg_destroy_compress(&ci);
        free(mem);
        return false;
    }
    jpeg_create_compress(&ci);
    jpeg_mem_dest(&ci, &mem, &len);
    ci.image_width = (JDIMENSION)p->w;
    ci.image_height = (JDIMENSION)p->h;
    ci.input_components = p->c;
    ci.in_color_space = p->c == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, 90, TRUE);
    jpeg_start_compress(&ci, TRUE);
    while (ci.next_scanline < ci.image_height) {
        row = (JSAMPROW)(p->px + (size_t)ci.next_scanline * (size_t)p->w * (size_t)p->c);
        jpeg_write_scanlines(&ci, &row, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    *out = mem;
    *size = len;
    return true;
}

/*
 * A JPEG goes into the PDF as it is, unless it has far more pixels than the
 * box prints: then it is decoded, shrunk and encoded again.
 */
static attache_status from_jpeg(const unsigned char *bytes, size_t size, const char *name,
                                const struct image_box *box, struct image *img,
                                attache_error *err)
{
    struct jpeg_decompress_struct ci;
    struct jpeg_err je;
    struct pixels p = {0};
    volatile attache_status rc = ATTACHE_OK;
    int tw = 0, th = 0;

    jpeg_guard(&ci, &je);
    if (setjmp(je.jump)) {
        jpeg_destroy_decompress(&ci);
        free(p.px);
        return err_set(err, ATTACHE_ERR_DATA, name, 0, "is not a readable JPEG image (%s)",
                       je.message);
    }
    jpeg_create_decompress(&ci);
    jpeg_limit(&ci, &je);
    jpeg_mem_src(&ci, bytes, (unsigned long)size);
    jpeg_read_header(&ci, TRUE);
    if (!jpeg_size_ok(&ci, name, err)) {
        rc = err->code;
        goto done;
    }
    if (ci.num_components != 1 && ci.num_components != 3) {
        rc = err_set(err, ATTACHE_ERR_DATA, name, 0,
                     "JPEG image has %d colour components (CMYK?); use RGB or greyscale",
                     ci.num_components);
        goto done;
    }
    p.w = (int)ci.image_width;
    p.h = (int)ci.image_height;
    p.c = ci.num_components;
    target_size(&p, box, &tw, &th);
    img->width = p.w;
    img->height = p.h;
    img->components = p.c;
    img->codec = IMAGE_DCT;
    if ((size_t)tw * (size_t)th * 2 > (size_t)p.w * (size_t)p.h) {
        if (!jpeg_complete(&ci, &je)) {
            rc = err_set(err, ATTACHE_ERR_DATA, name, 0, "JPEG image is truncated or damaged");
            goto done;
        }
        img->data = malloc(size);
        if (!img->data) {
            rc = err_set(err, ATTACHE_ERR_INTERNAL, name, 0, "out of memory");
            goto done;
        }
        memcpy(img->data, bytes, size);
        img->size = size;
        goto done;
    }
    p.px = malloc((size_t)p.w * (size_t)p.h * (size_t)p.c);
    if (!p.px) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, name, 0, "out of memory");
        goto done;
    }
    ci.out_color_space = p.c == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&ci);
    while (ci.output_scanline < ci.output_height && !je.truncated) {
        JSAMPROW row = p.px + (size_t)ci.output_scanline * (size_t)p.w * (size_t)p.c;
        jpeg_read_scanlines(&ci, &row, 1);
    }
    if (je.truncated) {
        rc = err_set(err, ATTACHE_ERR_DATA, name, 0, "JPEG image is truncated or damaged");
        goto done;
    }
    jpeg_finish_decompress(&ci);
    if (!resample(&p, tw, th) || !encode_jpeg(&p, &img->data, &img->size)) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, name, 0, "cannot shrink the image");
        goto done;
    }
    img->width = p.w;
    img->height = p.h;
done:
    jpeg_destroy_decompress(&ci);
    free(p.px);
    return rc;
}

/* For scans: a picture cut short is still read, as far as it goes. */
static attache_status grey_jpeg(const unsigned char *bytes, size_t size, const char *name,
                                int *w, int *h, unsigned char **px, attache_error *err)
{
    struct jpeg_decompress_struct ci;
    struct jpeg_err je;
    unsigned char *volatile buf = NULL;

    jpeg_guard(&ci, &je);
    if (setjmp(je.jump)) {
        jpeg_destroy_decompress(&ci);
        free(buf);
        return err_set(err, ATTACHE_ERR_DATA, name, 0, "is not a readable JPEG image (%s)",
                       je.message);
    }
    jpeg_create_decompress(&ci);
    jpeg_limit(&ci, &je);
    jpeg_mem_src(&ci, bytes, (unsigned long)size);
    jpeg_read_header(&ci, TRUE);
    if (!jpeg_size_ok(&ci, name, err)) {
        jpeg_destroy_decompress(&ci);
        return err->code;
    }
    ci.out_color_space = JCS_GRAYSCALE;
    jpeg_start_decompress(&ci);
    buf = malloc((size_t)ci.output_width * ci.output_height);
    if (!buf) {
        jpeg_destroy_decompress(&ci);
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    }
    while (ci.output_scanline < ci.output_height) {
        JSAMPROW row = buf + (size_t)ci.output_scanline * ci.output_width;
        jpeg_read_scanlines(&ci, &row, 1);
    }
    *w = (int)ci.output_width;
    *h = (int)ci.output_height;
    jpeg_finish_decompress(&ci);
    jpeg_destroy_decompress(&ci);
    *px = buf;
    return ATTACHE_OK;
}

attache_status image_decode_grey(const unsigned char *bytes, size_t size, const char *name,
                                 int *w, int *h, unsigned char **px, attache_error *err)
{
    png_image pi;
    png_color white = {255, 255, 255};
    attache_status rc;

    *px = NULL;
    if (size >= 3 && !memcmp(bytes, "\xff\xd8\xff", 3))
        return grey_jpeg(bytes, size, name, w, h, px, err);
    if (size < 8 || memcmp(bytes, "\x89PNG\r\n\x1a\n", 8))
        return err_set(err, ATTACHE_ERR_DATA, name, 0, "is neither a PNG nor a JPEG image");
    if ((rc = png_begin(bytes, size, name, &pi, err)) != ATTACHE_OK)
        return rc;
    pi.format = PNG_FORMAT_GRAY;
    pi.flags |= PNG_IMAGE_FLAG_16BIT_sRGB;
    *px = malloc(PNG_IMAGE_SIZE(pi));
    if (!*px) {
        png_image_free(&pi);
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    }
    if (!png_image_finish_read(&pi, &white, *px, 0, NULL)) {
        free(*px);
        *px = NULL;
        return err_set(err, ATTACHE_ERR_DATA, name, 0, "PNG image is damaged (%s)", pi.message);
    }
    *w = (int)pi.width;
    *h = (int)pi.height;
    return ATTACHE_OK;
}

attache_status image_from_memory(const unsigned char *bytes, size_t size, const char *name,
                                 const struct image_box *box, struct image **out,
                                 attache_error *err)
{
    struct image *img = calloc(1, sizeof *img);
    attache_status rc;

    *out = NULL;
    if (!img)
        return err_set(err, ATTACHE_ERR_INTERNAL, name, 0, "out of memory");
    img->refs = 1;
    if (size >= 8 && !memcmp(bytes, "\x89PNG\r\n\x1a\n", 8))
        rc = from_png(bytes, size, name, box, img, err);
    else if (size >= 3 && !memcmp(bytes, "\xff\xd8\xff", 3))
        rc = from_jpeg(bytes, size, name, box, img, err);
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
        return err_set(err, ATTACHE_ERR_USAGE, NULL, 0,
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
                          const struct image_box *box, struct image **out, attache_error *err)
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
    rc = image_from_memory(bytes, size, src, box, out, err);
    if (rc == ATTACHE_OK)
        crypto_hash_sha256((*out)->sha256, bytes, (unsigned long long)size);
    free(bytes);
    if (rc != ATTACHE_OK)
        err_set(err, rc, NULL, 0, "%s: image '%s' %s", subject,
                text_clip(clip, sizeof clip, src, 60), err->message);
    return rc;
}

static uint32_t be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/*
 * What is wrong with a PNG file's structure, or NULL: its chunks, each with
 * its checksum, from IHDR to IEND, and a size within the limits.  A file cut
 * short (an interrupted copy) or with a byte changed is found here without
 * decoding it.
 */
static const char *png_damage(const unsigned char *b, size_t n, char *why, size_t size)
{
    size_t at = 8;
    bool header = false, pixels = false;
    char over[120];

    while (at + 12 <= n) {
        uint32_t len = be32(b + at);
        const unsigned char *type = b + at + 4;

        if (len > 0x7fffffffu || len > n - at - 12)
            return "it is cut short";
        if (libdeflate_crc32(0, type, len + 4) != be32(b + at + 8 + len)) {
            snprintf(why, size, "its %.4s chunk is damaged (its checksum does not match)",
                     (const char *)type);
            return why;
        }
        if (!header) {
            if (memcmp(type, "IHDR", 4) || len != 13)
                return "it does not start with a PNG header";
            header = true;
            if (!size_within_limits(be32(type + 4), be32(type + 8), over, sizeof over)) {
                snprintf(why, size, "it is %s", over);
                return why;
            }
        }
        pixels |= !memcmp(type, "IDAT", 4);
        if (!memcmp(type, "IEND", 4))
            return pixels ? NULL : "it holds no pixels";
        at += 12 + (size_t)len;
    }
    return "it is cut short";
}

/*
 * What is wrong with a JPEG file's structure, or NULL: a header libjpeg
 * reads, a size within the limits, and an end of image after the scan
 * (bytes after the end, which some cameras write, are fine).
 */
/* What is wrong with a JPEG's header (libjpeg reads it; its size), or NULL. */
static const char *jpeg_header_damage(const unsigned char *bytes, size_t len, char *why,
                                      size_t size)
{
    struct jpeg_decompress_struct ci;
    struct jpeg_err je;
    char over[120];
    /* what the longjmp back from libjpeg must find as it was */
    const unsigned char *volatile b = bytes;
    volatile size_t n = len, out_size = size;
    char *volatile out = why;

    jpeg_guard(&ci, &je);
    if (setjmp(je.jump)) {
        jpeg_destroy_decompress(&ci);
        snprintf(out, out_size, "its header cannot be read (%s)", je.message);
        return out;
    }
    jpeg_create_decompress(&ci);
    jpeg_mem_src(&ci, b, (unsigned long)n);
    jpeg_read_header(&ci, TRUE);
    if (!size_within_limits(ci.image_width, ci.image_height, over, sizeof over)) {
        jpeg_destroy_decompress(&ci);
        snprintf(out, out_size, "it is %s", over);
        return out;
    }
    jpeg_destroy_decompress(&ci);
    return NULL;
}

static const char *jpeg_damage(const unsigned char *b, size_t n, char *why, size_t size)
{
    const unsigned char *scan = NULL;
    const char *header = jpeg_header_damage(b, n, why, size);
    size_t i;
    bool ended = false;

    if (header)
        return header;
    for (i = 2; i + 1 < n && !scan; i++)
        if (b[i] == 0xFF && b[i + 1] == 0xDA)
            scan = b + i;
    for (i = n; scan && i >= 2 && !ended; i--)
        ended = b[i - 2] == 0xFF && b[i - 1] == 0xD9 && b + i - 2 > scan;
    return ended ? NULL : "it is cut short (no end of image after its scan)";
}

attache_status image_check(const char *base_dir, const char *src, const char *subject,
                           attache_error *err)
{
    unsigned char head[8];
    char path[PATH_MAX], clip[80];
    struct stat st;
    ssize_t n;
    int fd;
    attache_status rc;

    rc = resolve(base_dir, src, subject, path, sizeof path, err);
    if (rc != ATTACHE_OK)
        return rc;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return err_set(err, ATTACHE_ERR_NOINPUT, NULL, 0, "%s: image '%s' is not a file",
                       subject, text_clip(clip, sizeof clip, src, 60));
    }
    n = read(fd, head, sizeof head);
    if ((unsigned long long)st.st_size > MAX_IMAGE_FILE) {
        close(fd);
        return err_set(err, ATTACHE_ERR_DATA, NULL, 0, "%s: image '%s' is %llu bytes, more "
                       "than the limit of %u", subject, text_clip(clip, sizeof clip, src, 60),
                       (unsigned long long)st.st_size, MAX_IMAGE_FILE);
    }
    if (!(n >= 8 && !memcmp(head, "\x89PNG\r\n\x1a\n", 8)) &&
        !(n >= 3 && !memcmp(head, "\xff\xd8\xff", 3))) {
        close(fd);
        return err_set(err, ATTACHE_ERR_DATA, NULL, 0, "%s: image '%s' is not a PNG or JPEG "
                       "file (whatever its name says); save it as PNG or JPEG", subject,
                       text_clip(clip, sizeof clip, src, 60));
    }
    /* the whole file, for its structure */
    {
        size_t size = (size_t)st.st_size, got = 0;
        unsigned char *b = malloc(size ? size : 1);
        char why[160];
        const char *damage;

        while (b && got < size && (n = pread(fd, b + got, size - got, (off_t)got)) > 0)
            got += (size_t)n;
        close(fd);
        if (!b)
            return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        damage = head[0] == 0x89 ? png_damage(b, got, why, sizeof why)
                                 : jpeg_damage(b, got, why, sizeof why);
        free(b);
        if (damage)
            return err_set(err, ATTACHE_ERR_DATA, NULL, 0, "%s: image '%s' cannot be used: %s",
                           subject, text_clip(clip, sizeof clip, src, 60), damage);
    }
    return ATTACHE_OK;
}

/* The pixel size a PNG or JPEG file's header gives, or 1x1 when it gives none. */
static void header_size(const unsigned char *b, size_t n, int *w, int *h)
{
    size_t i;

    *w = *h = 1;
    if (n >= 24 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8) && !memcmp(b + 12, "IHDR", 4)) {
        unsigned long pw = (unsigned long)b[16] << 24 | (unsigned long)b[17] << 16 |
                           (unsigned long)b[18] << 8 | b[19];
        unsigned long ph = (unsigned long)b[20] << 24 | (unsigned long)b[21] << 16 |
                           (unsigned long)b[22] << 8 | b[23];
        if (pw && ph && pw < 1000000 && ph < 1000000) {
            *w = (int)pw;
            *h = (int)ph;
        }
        return;
    }
    /* JPEG: walk the markers to the first start of frame */
    for (i = 2; n >= 4 && b[0] == 0xFF && b[1] == 0xD8 && i + 9 < n && b[i] == 0xFF;) {
        unsigned m = b[i + 1];
        size_t len = (size_t)b[i + 2] << 8 | b[i + 3];

        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            int jh = b[i + 5] << 8 | b[i + 6], jw = b[i + 7] << 8 | b[i + 8];
            if (jw && jh) {
                *w = jw;
                *h = jh;
            }
            return;
        }
        i += 2 + len;
    }
}

/*
 * A stand-in for `src`: its file's hash, its header's size and no pixels, for
 * composing a document only to learn what it shows (image_cache_new_probe).
 * The file must be there and be read; whether it is an image is left to
 * image_load().
 */
static attache_status image_probe(const char *base_dir, const char *src, const char *subject,
                                  struct image **out, attache_error *err)
{
    char path[PATH_MAX], clip[80];
    unsigned char *bytes = NULL;
    size_t size = 0;
    struct image *img;
    attache_status rc;

    *out = NULL;
    rc = resolve(base_dir, src, subject, path, sizeof path, err);
    if (rc == ATTACHE_OK)
        rc = attache_read_input(path, MAX_IMAGE_FILE, &bytes, &size, err);
    if (rc != ATTACHE_OK)
        return rc;
    img = calloc(1, sizeof *img);
    if (!img || !(img->path = strdup(src))) {
        free(img);
        free(bytes);
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "%s: image '%s': out of memory",
                       subject, text_clip(clip, sizeof clip, src, 60));
    }
    crypto_hash_sha256(img->sha256, bytes, (unsigned long long)size);
    header_size(bytes, size, &img->width, &img->height);
    free(bytes);
    img->components = 1;
    img->refs = 1;
    *out = img;
    return ATTACHE_OK;
}

/* ---- cache ------------------------------------------------------------ */

/*
 * A slot is empty (no key), being loaded (key, no image yet: loading), or
 * ready.  An image is loaded without the lock held, so that two threads
 * can load two images at once; a thread asking for an image another is
 * loading waits for it (ready).  A slot being loaded is never reused.
 */
struct cache_slot {
    char *key;                  /* base_dir + "\n" + src + box */
    struct image *img;
    unsigned long used;         /* clock for least-recently-used */
    bool loading;
};

/* What a recording cache was asked for (image_cache_new_recorder). */
struct asked {
    char *key, *base_dir, *src;
    struct image_box box;
    bool has_box;
};

struct image_cache {
    pthread_mutex_t lock;
    pthread_cond_t ready;       /* a slot's loading ended */
    struct cache_slot slots[CACHE_SLOTS];
    unsigned long clock;
    bool probe;                 /* stand-ins only (image_probe) */
    bool record;                /* keeps what it is asked for in `asked` */
    struct asked *asked;
    size_t nasked, asked_cap;
};

struct image_cache *image_cache_new(void)
{
    struct image_cache *c = calloc(1, sizeof *c);

    if (c) {
        pthread_mutex_init(&c->lock, NULL);
        pthread_cond_init(&c->ready, NULL);
    }
    return c;
}

static char *cache_key(const char *base_dir, const char *src, const struct image_box *box)
{
    char *key;

    if (asprintf(&key, "%s\n%s\n%.1f %.1f %d", base_dir ? base_dir : "", src,
                 box ? (double)box->w : 0.0, box ? (double)box->h : 0.0,
                 box ? (int)box->fit : 0) < 0)
        return NULL;
    return key;
}

static void forget_asked(struct asked *a)
{
    free(a->key);
    free(a->base_dir);
    free(a->src);
}

/* Note a request in a recording cache (lock held); out of memory, it is not noted. */
static void note_asked(struct image_cache *c, const char *key, const char *base_dir,
                       const char *src, const struct image_box *box)
{
    struct asked a = {0};
    size_t i;

    for (i = 0; i < c->nasked; i++)
        if (!strcmp(c->asked[i].key, key))
            return;
    if (c->nasked == c->asked_cap) {
        size_t cap = c->asked_cap ? 2 * c->asked_cap : 4;
        struct asked *more = realloc(c->asked, cap * sizeof *more);

        if (!more)
            return;
        c->asked = more;
        c->asked_cap = cap;
    }
    a.key = strdup(key);
    a.base_dir = base_dir ? strdup(base_dir) : NULL;
    a.src = strdup(src);
    if (box) {
        a.box = *box;
        a.has_box = true;
    }
    if (!a.key || (base_dir && !a.base_dir) || !a.src) {
        forget_asked(&a);
        return;
    }
    c->asked[c->nasked++] = a;
}

/*
 * The image for `key` (taken over by the cache), loaded by this thread if
 * nobody has or is loading it.  `wait` false: an image another thread is
 * loading is left to it (*out NULL, ATTACHE_OK).  *fresh (may be NULL):
 * whether the image was not ready when asked for.
 */
static attache_status cache_get(struct image_cache *c, char *key, const char *base_dir,
                                const char *src, const char *subject,
                                const struct image_box *box, bool wait, bool *fresh,
                                struct image **out, attache_error *err)
{
    struct cache_slot *s = NULL;
    struct image *img = NULL;
    attache_status rc;
    size_t i;

    *out = NULL;
    if (fresh)
        *fresh = true;
    pthread_mutex_lock(&c->lock);
    if (c->record)
        note_asked(c, key, base_dir, src, box);
    for (;;) {
        struct cache_slot *victim = NULL;

        s = NULL;
        for (i = 0; i < CACHE_SLOTS && !s; i++) {
            struct cache_slot *t = &c->slots[i];

            if (t->key && !strcmp(t->key, key))
                s = t;
            else if (!t->loading && (!victim || t->used < victim->used))
                victim = t;
        }
        if (!s) {
            s = victim;         /* NULL: every slot is being loaded */
            break;
        }
        if (!s->loading) {
            if (fresh)
                *fresh = false;
            s->used = ++c->clock;
            *out = image_ref(s->img);
            pthread_mutex_unlock(&c->lock);
            free(key);
            return ATTACHE_OK;
        }
        if (!wait) {
            pthread_mutex_unlock(&c->lock);
            free(key);
            return ATTACHE_OK;
        }
        pthread_cond_wait(&c->ready, &c->lock);
    }
    if (s) {
        free(s->key);
        image_free(s->img);     /* users still holding it keep it alive */
        s->key = key;
        s->img = NULL;
        s->loading = true;
        s->used = ++c->clock;
        key = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    free(key);

    rc = c->probe ? image_probe(base_dir, src, subject, &img, err)
                  : image_load(base_dir, src, subject, box, &img, err);
    if (rc == ATTACHE_OK)
        *out = image_ref(img);
    if (!s) {
        image_free(img);        /* not kept: the caller's reference is all there is */
        return rc;
    }
    pthread_mutex_lock(&c->lock);
    s->loading = false;
    if (rc == ATTACHE_OK) {
        s->img = img;
    } else {                    /* not kept: whoever asks next tries, and reports, again */
        free(s->key);
        s->key = NULL;
    }
    pthread_cond_broadcast(&c->ready);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

attache_status image_cache_get(struct image_cache *c, const char *base_dir, const char *src,
                               const char *subject, const struct image_box *box,
                               struct image **out, attache_error *err)
{
    char *key = cache_key(base_dir, src, box);

    *out = NULL;
    if (!key)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    return cache_get(c, key, base_dir, src, subject, box, true, NULL, out, err);
}

struct image_cache *image_cache_new_probe(void)
{
    struct image_cache *c = image_cache_new();

    if (c)
        c->probe = true;
    return c;
}

struct image_cache *image_cache_new_recorder(void)
{
    struct image_cache *c = image_cache_new_probe();

    if (c)
        c->record = true;
    return c;
}

size_t image_cache_prepare_asked(struct image_cache *asked, struct image_cache *c)
{
    struct asked *list;
    size_t n, i, fresh = 0;

    pthread_mutex_lock(&asked->lock);
    list = asked->asked;
    n = asked->nasked;
    asked->asked = NULL;
    asked->nasked = asked->asked_cap = 0;
    pthread_mutex_unlock(&asked->lock);
    for (i = n; i-- > 0;) {
        struct asked *a = &list[i];
        char *key = a->key;     /* the cache's now */
        struct image *img = NULL;
        attache_error ignored;  /* the document's worker reports it */
        bool was_fresh = false;

        a->key = NULL;
        attache_error_clear(&ignored);
        cache_get(c, key, a->base_dir, a->src, "an image prepared ahead",
                  a->has_box ? &a->box : NULL, false, &was_fresh, &img, &ignored);
        fresh += was_fresh;
        image_free(img);
    }
    for (i = 0; i < n; i++)
        forget_asked(&list[i]);
    free(list);
    return fresh;
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
    for (i = 0; i < c->nasked; i++)
        forget_asked(&c->asked[i]);
    free(c->asked);
    pthread_cond_destroy(&c->ready);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/*
 * fuzz_font.c: a font file, as a template's <font> family gives one: the
 * face loaded (font_set_add_family()), glyphs cut from it by the slicer
 * (every glyph, and a few the input chooses, numbers kept or not) and by
 * font_subset_glyphs() (HarfBuzz when the slicer refuses), and every
 * program cut read back by HarfBuzz, outline by outline.
 */
#include <hb.h>
#include <stdlib.h>
#include <string.h>

#include "attache.h"
#include "font.h"
#include "font_slice.h"
#include "fuzz.h"

#define MAX_GLYPHS 4096     /* glyphs cut and read back at most: enough for any seed */

static hb_draw_funcs_t *no_drawing;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    no_drawing = hb_draw_funcs_create();   /* every callback does nothing */
    hb_draw_funcs_make_immutable(no_drawing);
    return 0;
}

/* A program the slicer or HarfBuzz cut, read as a viewer would. */
static void read_back(const unsigned char *data, size_t size)
{
    hb_blob_t *blob = hb_blob_create((const char *)data, (unsigned)size,
                                     HB_MEMORY_MODE_READONLY, NULL, NULL);
    hb_face_t *face = hb_face_create(blob, 0);
    hb_font_t *font = hb_font_create(face);
    unsigned n = hb_face_get_glyph_count(face), g;

    for (g = 0; g < n && g < MAX_GLYPHS; g++) {
        hb_font_get_glyph_shape(font, g, no_drawing, NULL);
        (void)hb_font_get_glyph_h_advance(font, g);
    }
    hb_font_destroy(font);
    hb_face_destroy(face);
    hb_blob_destroy(blob);
}

/* Up to 8 glyph numbers from the input's last bytes, some past the face's glyphs. */
static size_t chosen(const uint8_t *data, size_t size, unsigned nglyphs, unsigned *gids)
{
    size_t k, n = size < 16 ? size / 2 : 8;

    for (k = 0; k < n; k++)
        gids[k] = (unsigned)(data[size - 1 - 2 * k] << 8 | data[size - 2 - 2 * k]) %
                  (nglyphs + 2);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hb_blob_t *blob = hb_blob_create((const char *)data, (unsigned)size,
                                     HB_MEMORY_MODE_READONLY, NULL, NULL);
    hb_face_t *face = hb_face_create(blob, 0);
    struct glyph_slicer *s = glyph_slicer_new(face);
    unsigned nglyphs = hb_face_get_glyph_count(face), gids[MAX_GLYPHS], kept[MAX_GLYPHS], k;
    size_t n = chosen(data, size, nglyphs, gids), out_size;
    unsigned char *out;
    attache_error err;
    struct font_set *fs;

    if (s) {
        unsigned all = nglyphs < MAX_GLYPHS ? nglyphs : MAX_GLYPHS, every[MAX_GLYPHS];

        for (k = 0; k < all; k++)
            every[k] = k;
        if (glyph_slicer_cut(s, every, all, false, kept, &out, &out_size) == SLICE_DONE) {
            read_back(out, out_size);
            free(out);
        }
        if (glyph_slicer_cut(s, gids, n, size & 1, kept, &out, &out_size) == SLICE_DONE) {
            read_back(out, out_size);
            free(out);
        }
        glyph_slicer_free(s);
    }
    hb_face_destroy(face);
    hb_blob_destroy(blob);

    /* as documents embed it: loaded as a family's face, cut by the slicer or HarfBuzz */
    fs = font_set_new(&err);
    if (fs) {
        const char *files[4] = {fuzz_write("face.ttf", data, size, 0600), NULL, NULL, NULL};

        if (font_set_add_family(fs, "fuzz", files, NULL, &err) == ATTACHE_OK) {
            const struct font_face *f = font_family_face(font_family_find(fs, "fuzz"),
                                                         FONT_REGULAR);

            n = chosen(data, size, font_glyph_count(f), gids);
            if (font_subset_glyphs(f, gids, n, false, kept, &out, &out_size, &err) ==
                ATTACHE_OK) {
                read_back(out, out_size);
                free(out);
            }
        }
        font_set_free(fs);
    }
    return 0;
}

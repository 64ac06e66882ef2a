/*
 * fuzz_image.c: PNG and JPEG files, as documents use them (prepared for a
 * box, which shrinks, splits alpha and finds palettes) and as verify reads
 * scans (decoded to grey).
 */
#include <stdlib.h>

#include "attache.h"
#include "fuzz.h"
#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct image_box boxes[] = {
        {0, 0, IMAGE_CONTAIN}, {40, 20, IMAGE_CONTAIN}, {30, 30, IMAGE_COVER}};
    attache_error err;
    struct image *img;
    unsigned char *px;
    int w, h;
    size_t i = size ? data[size - 1] % 3 : 0;

    if (image_from_memory(data, size, "fuzz.png", &boxes[i], &img, &err) == ATTACHE_OK)
        image_free(img);
    if (image_decode_grey(data, size, "fuzz.png", &w, &h, &px, &err) == ATTACHE_OK)
        free(px);
    return 0;
}

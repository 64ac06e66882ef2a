/*
 * shape.c: text shaping with HarfBuzz (hb_shape), and the choice of the
 * face each character is shaped in.
 *
 * Each face's hb_font_t is made once, when the font set is loaded, and is
 * immutable: threads shape with it at the same time, and HarfBuzz keeps the
 * shape plans it makes for a face (one per script and direction) on that
 * face, so a plan is made once per process.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <hb.h>
#include <unictype.h>

#include "shape.h"
#include "text.h"
#include "util.h"

void shape_glyphs_release(struct shape_glyphs *g)
{
    free(g->v);
    memset(g, 0, sizeof *g);
}

/* A character that belongs to the cluster of the character before it. */
/*
 * The language every run is shaped in, made once: HarfBuzz adds a language to
 * its process-wide list the first time it is named, with atomics that a
 * thread checker cannot see inside the library, so workers only ever read it.
 */
static hb_language_t undetermined;
static pthread_once_t undetermined_once = PTHREAD_ONCE_INIT;

static void make_undetermined(void)
{
    undetermined = hb_language_from_string("und", -1);
}

static bool joins_previous(uint32_t cp)
{
    return uc_is_general_category(cp, UC_CATEGORY_M) || cp == 0x200C || cp == 0x200D ||
           (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF);
}

const struct font_face *shape_pick(const struct font_set *fs, const struct font_family *family,
                                   enum font_style style, uint32_t cp,
                                   const struct font_face *prev)
{
    if (prev && joins_previous(cp) && font_glyph(prev, cp))
        return prev;
    return font_pick(fs, family, style, cp);
}

bool shape_text(const struct font_face *face, const char *text, size_t text_len, size_t off,
                size_t len, bool kern, struct shape_glyphs *out)
{
    static const hb_feature_t no_kern = {HB_TAG('k', 'e', 'r', 'n'), 0, HB_FEATURE_GLOBAL_START,
                                         HB_FEATURE_GLOBAL_END};
    hb_buffer_t *buf = hb_buffer_create();
    hb_glyph_info_t *info;
    hb_glyph_position_t *pos;
    unsigned n = 0, i;
    bool ok = false;

    hb_buffer_add_utf8(buf, text, (int)text_len, (unsigned)off, (int)len);
    /* the default language would come from the locale: documents must not */
    pthread_once(&undetermined_once, make_undetermined);
    hb_buffer_set_language(buf, undetermined);
    hb_buffer_guess_segment_properties(buf);
    hb_buffer_set_direction(buf, HB_DIRECTION_LTR);
    hb_shape(font_hb(face), buf, kern ? NULL : &no_kern, kern ? 0 : 1);
    if (!hb_buffer_allocation_successful(buf))
        goto done;
    info = hb_buffer_get_glyph_infos(buf, &n);
    pos = hb_buffer_get_glyph_positions(buf, NULL);
    if (out->n + n > out->cap) {
        size_t cap = out->cap ? out->cap : 64;
        struct shaped_glyph *v;

        while (cap < out->n + n)
            cap *= 2;
        v = realloc(out->v, cap * sizeof *v);
        if (!v)
            goto done;
        out->v = v;
        out->cap = cap;
    }
    for (i = 0; i < n; i++) {
        struct shaped_glyph *g = &out->v[out->n++];
        g->gid = info[i].codepoint;
        g->cluster = info[i].cluster;
        g->x_advance = pos[i].x_advance;
        g->x_offset = pos[i].x_offset;
        g->y_offset = pos[i].y_offset;
    }
    ok = true;
done:
    hb_buffer_destroy(buf);
    return ok;
}

bool shape_is_rtl(uint32_t cp, const char **script)
{
    const uc_script_t *s = uc_script(cp);
    hb_script_t hs = hb_unicode_script(hb_unicode_funcs_get_default(), cp);

    if (hb_script_get_horizontal_direction(hs) != HB_DIRECTION_RTL)
        return false;
    if (script)
        *script = s ? s->name : "a right-to-left";
    return true;
}

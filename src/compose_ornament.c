/*
 * compose_ornament.c: the ornaments of a <border>: an outer rule, an inner
 * one, and between them two interlaced waves (a guilloche) with a rosette
 * at each corner.
 */
#include <math.h>

#include "compose_private.h"
#include "util.h"

/*
 * One period of the border's two interlaced waves, in the band's own
 * coordinates: x along the side from 0 to `period`, y across it.  Each
 * period is drawn through a matrix, so every repetition is the same text in
 * the PDF and compresses to almost nothing.
 */
static void wave_period(struct ctx *x, struct path_builder *pb, float period, float amp)
{
    float half = period / 2, c = half * 0.3642f;
    int k;

    for (k = 0; k < 2; k++) {
        float a = k ? -amp : amp;
        compose_seg(x, pb, PATH_MOVE, 0, a, 0, 0, 0, 0);
        compose_seg(x, pb, PATH_CURVE, c, a, half - c, -a, half, -a);
        compose_seg(x, pb, PATH_CURVE, half + c, -a, period - c, a, period, a);
    }
}

/* The waves along a side from (x0,y0) to (x1,y1), PDF coordinates. */
static void wave_side(struct ctx *x, size_t page, const struct tnode *t, float x0, float y0,
                      float x1, float y1, float amp, float want_period)
{
    float len = hypotf(x1 - x0, y1 - y0), ux = (x1 - x0) / len, uy = (y1 - y0) / len, period;
    int n = (int)(len / want_period + 0.5f), i;
    struct path_builder pb = {0};
    struct op_path *op;
    float (*m)[6];

    if (n < 1)
        n = 1;
    period = len / (float)n;
    wave_period(x, &pb, period, amp);
    m = arena_alloc(&x->d->arena, (size_t)n * sizeof *m);
    op = m ? compose_add_path(x, page, &pb) : NULL;
    if (!op) {
        oom(x);
        return;
    }
    for (i = 0; i < n; i++) {
        m[i][0] = ux;
        m[i][1] = uy;
        m[i][2] = -uy;
        m[i][3] = ux;
        m[i][4] = roundf((x0 + ux * period * (float)i) * 10) / 10;
        m[i][5] = roundf((y0 + uy * period * (float)i) * 10) / 10;
    }
    op->do_stroke = true;
    op->line_width = t->line_width * 0.45f;
    op->stroke = t->accent;
    op->repeat = (const float (*)[6])m;
    op->nrepeat = (size_t)n;
}

/* A rosette at a corner: petals as four arcs around a centre. */
static void rosette(struct ctx *x, struct path_builder *pb, float cx, float cy, float r)
{
    int i;

    for (i = 0; i < 8; i++) {
        float a = (float)i * (float)M_PI / 4, b = a + (float)M_PI / 4;
        float ax = cx + r * cosf(a), ay = cy + r * sinf(a);
        float bx = cx + r * cosf(b), by = cy + r * sinf(b);
        compose_seg(x, pb, PATH_MOVE, cx, cy, 0, 0, 0, 0);
        compose_seg(x, pb, PATH_CURVE, ax, ay, bx, by, cx, cy);
    }
}

void ornament_border(struct ctx *x, size_t page, const struct tnode *t)
{
    struct page *pg = cur_page(x, page);
    float in = t->x, w = pg->width, h = pg->height, band = 5 * MM;
    struct path_builder pb = {0};
    struct op_path *op;

    /* outer rule */
    compose_stroke_rect(x, page, in, in, w - 2 * in, h - 2 * in, t->line_width * 1.6f, t->stroke);
    if (t->pattern == BORDER_SIMPLE)
        return;
    /* inner rule */
    compose_stroke_rect(x, page, in + band, in + band, w - 2 * (in + band), h - 2 * (in + band),
                t->line_width * 0.6f, t->stroke);
    if (t->pattern == BORDER_DOUBLE)
        return;
    /* guilloche band: two interlaced waves around the page, between the rules */
    {
        float m = in + band / 2, amp = band * 0.32f, per = 7 * MM;
        float x0 = m, y0 = m, x1 = w - m, y1 = h - m;

        wave_side(x, page, t, x0, y0, x1, y0, amp, per);
        wave_side(x, page, t, x1, y0, x1, y1, amp, per);
        wave_side(x, page, t, x1, y1, x0, y1, amp, per);
        wave_side(x, page, t, x0, y1, x0, y0, amp, per);
        /* corner rosettes */
        rosette(x, &pb, x0, y0, band * 0.9f);
        rosette(x, &pb, x1, y0, band * 0.9f);
        rosette(x, &pb, x1, y1, band * 0.9f);
        rosette(x, &pb, x0, y1, band * 0.9f);
        op = compose_add_path(x, page, &pb);
        if (op) {
            op->do_stroke = true;
            op->line_width = t->line_width * 0.5f;
            op->stroke = t->stroke;
        }
    }
}

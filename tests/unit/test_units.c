/* Unit tests of template.c's units: lengths (pt, mm, cm, in) and colours as templates write them. */
#include <math.h>

#include "check.h"
#include "template.h"

static int near(float a, float b)
{
    return fabsf(a - b) < 0.001f;
}

static void test_length(void)
{
    static const char *const bad[] = {
        "", "   ", "mm", "12px", "12 m m", "12mmm", "1e6", "-1e6", "nan", "inf", "12,5mm",
        "twelve",
    };
    float v = -1;
    size_t i;

    CHECK(parse_length("12", &v) && near(v, 12));
    CHECK(parse_length("12pt", &v) && near(v, 12));
    CHECK(parse_length("  12.5 pt", &v) && near(v, 12.5f));
    CHECK(parse_length("25.4mm", &v) && near(v, 72));
    CHECK(parse_length("2.54cm", &v) && near(v, 72));
    CHECK(parse_length("1in", &v) && near(v, 72));
    CHECK(parse_length("210mm", &v) && near(v, 595.2756f));
    CHECK(parse_length("-3mm", &v) && near(v, -8.50394f));   /* negative offsets exist */
    CHECK(parse_length("99999", &v) && near(v, 99999));
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = -1;
        if (!CHECK(!parse_length(bad[i], &v)))
            fprintf(stderr, "    accepted \"%s\" as %g\n", bad[i], v);
    }
    CHECK(!parse_length("100000", &v));            /* a page is never that large */
    CHECK(!parse_length(NULL, &v));
}

static int is_rgb(struct rgb c, unsigned v)
{
    return near(c.r, (float)(v >> 16 & 255) / 255) && near(c.g, (float)(v >> 8 & 255) / 255) &&
           near(c.b, (float)(v & 255) / 255);
}

static void test_colour(void)
{
    static const char *const bad[] = {
        "", "#", "#12", "#12345", "#1234567", "#ggg", "#12345g", "123456", "Navy", "blue",
        " #123", "#123 ",
    };
    struct rgb c = {0, 0, 0};
    size_t i;

    CHECK(parse_colour("#1d3557", &c) && is_rgb(c, 0x1d3557));
    CHECK(parse_colour("#FFFFFF", &c) && is_rgb(c, 0xffffff));
    CHECK(parse_colour("#fa0", &c) && is_rgb(c, 0xffaa00));     /* #rgb doubles each digit */
    CHECK(parse_colour("#000", &c) && is_rgb(c, 0));
    CHECK(parse_colour("navy", &c) && is_rgb(c, 0x1d3557));
    CHECK(parse_colour("gold", &c) && is_rgb(c, 0xb08d3c));
    CHECK(parse_colour("grey", &c) && is_rgb(c, 0x808080));
    CHECK(parse_colour("gray", &c) && is_rgb(c, 0x808080));
    CHECK(parse_colour("white", &c) && is_rgb(c, 0xffffff));
    CHECK(parse_colour("maroon", &c) && is_rgb(c, 0x7a1f2b));
    CHECK(parse_colour("green", &c) && is_rgb(c, 0x2d6a4f));
    CHECK(parse_colour("black", &c) && is_rgb(c, 0));
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (!CHECK(!parse_colour(bad[i], &c)))
            fprintf(stderr, "    accepted \"%s\"\n", bad[i]);
    CHECK(!parse_colour(NULL, &c));
}

int main(void)
{
    test_length();
    test_colour();
    return check_done();
}

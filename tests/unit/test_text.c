/* Unit tests of src/text.c and src/date.c. */
#include <stdlib.h>

#include "check.h"
#include "date.h"
#include "text.h"

static void test_sanitize(void)
{
    char out[64];

    text_sanitize(out, sizeof out, "plain");
    CHECK_STR(out, "plain");
    text_sanitize(out, sizeof out, "a\x1b[31mb");
    CHECK_STR(out, "a<U+001B>[31mb");
    text_sanitize(out, sizeof out, "x\xe2\x80\xaey");          /* RLO */
    CHECK_STR(out, "x<U+202E>y");
    text_sanitize(out, sizeof out, "bad\xff");
    CHECK_STR(out, "bad\\xFF");
    text_sanitize(out, sizeof out, "line\nnext");
    CHECK_STR(out, "line\\nnext");
    text_sanitize(out, 12, "abcdefghijklmnop");
    CHECK_STR(out, "abcdefgh...");
    text_clip(out, sizeof out, "Nguy\xe1\xbb\x85n Th\xe1\xbb\x8b", 6);
    CHECK_STR(out, "Nguy\xe1\xbb\x85n...");
    text_clip(out, sizeof out, "short", 40);
    CHECK_STR(out, "short");
}

static void test_normalize(void)
{
    char *s;

    s = text_normalize("  Nguye\xcc\x82\xcc\x83n   Thi\xcc\xa3 \n Thu  ");   /* NFD input */
    CHECK_STR(s, "Nguy\xe1\xbb\x85n Th\xe1\xbb\x8b Thu");
    free(s);
    s = text_normalize("\t\n ");
    CHECK_STR(s, "");
    free(s);
    CHECK(text_normalize("bad\xc3") == NULL);
    CHECK_INT(text_length("Nguy\xe1\xbb\x85n"), 6);
}

static void test_forbidden(void)
{
    const char *script = NULL;

    CHECK_INT(text_forbidden_char("Chhy Ratha"), 0);
    CHECK_INT(text_forbidden_char("Chhy\xc2\x9bRatha"), 0x9B);
    CHECK_INT(text_forbidden_char("a\xe2\x81\xa7" "b"), 0x2067);
    CHECK_INT(text_forbidden_char("a\xee\x80\x80"), 0xE000);
    CHECK_INT(text_non_latin_letter("Ho\xc3\xa0ng Qu\xe1\xbb\x91" "c Trung", NULL), 0);
    CHECK_INT(text_non_latin_letter("O'Neil-Smith Jr. 2", NULL), 0);
    CHECK_INT(text_non_latin_letter("\xe1\x9e\x88\xe1\x9e\xb8", &script), 0x1788);
    CHECK_STR(script, "Khmer");
}

static void test_language_tag(void)
{
    CHECK(text_is_language_tag("km"));
    CHECK(text_is_language_tag("zh-Hant"));
    CHECK(text_is_language_tag("sr-Latn-RS"));
    CHECK(text_is_language_tag("de-1996"));
    CHECK(!text_is_language_tag(""));
    CHECK(!text_is_language_tag("1km"));
    CHECK(!text_is_language_tag("km-"));
    CHECK(!text_is_language_tag("-km"));
    CHECK(!text_is_language_tag("km--x"));
    CHECK(!text_is_language_tag("abcdefghi"));
    CHECK(!text_is_language_tag("k m"));
}

static void test_upper(void)
{
    char *s = text_upper("Nguy\xe1\xbb\x85n stra\xc3\x9f" "e");
    CHECK_STR(s, "NGUY\xe1\xbb\x84N STRASSE");
    free(s);
}

static void test_dates(void)
{
    struct date a, b;
    char out[80];

    CHECK(date_parse("2016-02-29", &a));
    CHECK(!date_parse("2015-02-29", &a));
    CHECK(!date_parse("2016-02-30", &a));
    CHECK(!date_parse("2016-13-01", &a));
    CHECK(!date_parse("2016-1-01", &a));
    CHECK(!date_parse("1850-01-01", &a));
    CHECK(date_parse("2000-02-29", &a));
    CHECK(!date_parse("2100-02-29", &a));
    CHECK_INT(time_parse("09:30"), 570);
    CHECK_INT(time_parse("24:00"), -1);
    date_parse("2015-02-09", &a);
    date_long(out, sizeof out, &a);
    CHECK_STR(out, "9 February 2015");
    date_parse("2015-02-13", &b);
    date_range_long(out, sizeof out, &a, &b);
    CHECK_STR(out, "9\xe2\x80\x93" "13 February 2015");
    date_parse("2015-03-02", &b);
    date_range_long(out, sizeof out, &a, &b);
    CHECK_STR(out, "9 February \xe2\x80\x93 2 March 2015");
    date_parse("2016-02-05", &b);
    date_range_long(out, sizeof out, &a, &b);
    CHECK_STR(out, "9 February 2015 \xe2\x80\x93 5 February 2016");
    CHECK_INT(date_days(&a), 16475);
    CHECK(date_cmp(&a, &b) < 0);
    a = date_from_time(1423440000);
    date_long(out, sizeof out, &a);
    CHECK_STR(out, "9 February 2015");
}

static void test_utf16(void)
{
    uint16_t u[2];

    CHECK_INT(text_utf16(0x41, u), 1);
    CHECK_INT(u[0], 0x41);
    CHECK_INT(text_utf16(0x1EC5, u), 1);          /* ễ */
    CHECK_INT(u[0], 0x1EC5);
    CHECK_INT(text_utf16(0x1F600, u), 2);
    CHECK_INT(u[0], 0xD83D);
    CHECK_INT(u[1], 0xDE00);
    CHECK_INT(text_utf16(0x10FFFF, u), 2);
    CHECK_INT(u[0], 0xDBFF);
    CHECK_INT(u[1], 0xDFFF);
}

/* Zawgyi-encoded Myanmar is caught; names in Unicode Myanmar pass. */
static void test_zawgyi(void)
{
    const char *why = NULL;

    CHECK_INT(text_zawgyi_sign("ထက်ထက်ထူး", &why), 0);
    CHECK_INT(text_zawgyi_sign("ငြိမ်းချမ်းအောင်", &why), 0);
    CHECK_INT(text_zawgyi_sign("သီရိကျော်", &why), 0);
    CHECK_INT(text_zawgyi_sign("မြင့် မောင်", &why), 0);
    CHECK_INT(text_zawgyi_sign("Kyaw", &why), 0);
    /* Zawgyi's ေ and ျ (its medial ra) come before the consonant */
    CHECK_INT(text_zawgyi_sign("ေက်ာ္", &why), 0x1031);
    CHECK_INT(text_zawgyi_sign("သီရိ ေက်ာ္", &why), 0x1031);
    CHECK_INT(text_zawgyi_sign("ျမင့္", &why), 0x103B);
    /* Zawgyi's killer is U+1039, which Unicode keeps for stacking */
    CHECK_INT(text_zawgyi_sign("ထက္ ထူး", &why), 0x1039);
    CHECK_INT(text_zawgyi_sign("ငြိမ္း", &why), 0x1039);
    CHECK_INT(text_zawgyi_sign("ထက္", &why), 0x1039);
    /* a medial after the vowel sign */
    CHECK_INT(text_zawgyi_sign("ကေြ", &why), 0x103C);
}

/* One English ordinal rule, for templates' ordinal() and a mail body's {batch}. */
static void test_ordinal(void)
{
    static const struct { long n; const char *suffix; } cases[] = {
        {0, "th"}, {1, "st"}, {2, "nd"}, {3, "rd"}, {4, "th"}, {11, "th"}, {12, "th"},
        {13, "th"}, {21, "st"}, {22, "nd"}, {23, "rd"}, {101, "st"}, {111, "th"},
        {112, "th"}, {1002, "nd"}, {-1, "st"}, {-12, "th"},
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_STR(text_ordinal_suffix(cases[i].n), cases[i].suffix);
}

int main(void)
{
    test_zawgyi();
    test_sanitize();
    test_normalize();
    test_forbidden();
    test_language_tag();
    test_upper();
    test_dates();
    test_utf16();
    test_ordinal();
    return check_done();
}

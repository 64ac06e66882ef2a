/* Unit tests of src/date.c: the strict date and time parsers, and dates as documents print them. */
#include <limits.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "date.h"

static void test_parse(void)
{
    static const char *const bad[] = {
        "2016-02-30", "2015-02-29", "2100-02-29", "2016-13-01", "2016-00-10", "2016-01-00",
        "2016-04-31", "1899-12-31", "2200-01-01", "2016-1-01", "2016-01-1", "20160101",
        "2016/01/01", "2016-01-01 ", " 2016-01-01", "2016-01-0x", "+016-01-01", "",
    };
    struct date d;
    size_t i;

    CHECK(date_parse("2016-02-29", &d));      /* a leap year */
    CHECK_INT(d.year, 2016);
    CHECK_INT(d.month, 2);
    CHECK_INT(d.day, 29);
    CHECK(date_parse("2000-02-29", &d));      /* divisible by 400 */
    CHECK(date_parse("1900-01-01", &d));
    CHECK(date_parse("2199-12-31", &d));
    CHECK(date_parse("2015-04-30", &d));
    CHECK_INT(d.day, 30);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (!CHECK(!date_parse(bad[i], &d)))
            fprintf(stderr, "    accepted \"%s\"\n", bad[i]);
    CHECK(!date_parse(NULL, &d));
}

static void test_time(void)
{
    CHECK_INT(time_parse("00:00"), 0);
    CHECK_INT(time_parse("09:30"), 570);
    CHECK_INT(time_parse("23:59"), 23 * 60 + 59);
    CHECK_INT(time_parse("24:00"), -1);
    CHECK_INT(time_parse("12:60"), -1);
    CHECK_INT(time_parse("9:30"), -1);
    CHECK_INT(time_parse("09.30"), -1);
    CHECK_INT(time_parse("09:3a"), -1);
    CHECK_INT(time_parse("09:300"), -1);
    CHECK_INT(time_parse(NULL), -1);
}

static void test_compare_and_count(void)
{
    struct date a = {2015, 2, 9}, b = {2015, 2, 13}, c = {2015, 3, 1}, e = {2016, 1, 1};
    struct date epoch = {1970, 1, 1}, before = {1969, 12, 31}, d;

    CHECK(date_cmp(&a, &b) < 0);
    CHECK(date_cmp(&b, &a) > 0);
    CHECK_INT(date_cmp(&a, &a), 0);
    CHECK(date_cmp(&b, &c) < 0);     /* the month decides before the day */
    CHECK(date_cmp(&e, &c) > 0);     /* the year before the month */
    CHECK(date_cmp(&c, &e) < 0);

    CHECK_INT(date_days(&epoch), 0);
    CHECK_INT(date_days(&before), -1);
    CHECK_INT(date_days(&b) - date_days(&a), 4);
    CHECK_INT(date_days(&e) - date_days(&(struct date){2015, 1, 1}), 365);
    CHECK_INT(date_days(&(struct date){2017, 1, 1}) - date_days(&(struct date){2016, 1, 1}), 366);
    CHECK_INT(date_days(&(struct date){2000, 3, 1}) - date_days(&(struct date){2000, 2, 28}), 2);
    CHECK_INT(date_days(&(struct date){1900, 3, 1}) - date_days(&(struct date){1900, 2, 28}), 1);

    /* a Unix time and its day agree both ways */
    d = date_from_time((time_t)1423440000 + 86399);     /* 2015-02-09 23:59:59 UTC */
    CHECK_INT(d.year, 2015);
    CHECK_INT(d.month, 2);
    CHECK_INT(d.day, 9);
    CHECK_INT(date_days(&d) * 86400, 1423440000);
    d = date_from_time(0);
    CHECK_INT(date_cmp(&d, &epoch), 0);
}

static void test_print(void)
{
    char out[80], small[8];
    struct date a = {2015, 2, 9}, b = {2015, 2, 13}, c = {2015, 3, 3}, e = {2016, 2, 5};

    date_long(out, sizeof out, &a);
    CHECK_STR(out, "9 February 2015");
    date_range_long(out, sizeof out, &a, &a);
    CHECK_STR(out, "9 February 2015");
    date_range_long(out, sizeof out, &a, &b);
    CHECK_STR(out, "9\xE2\x80\x93" "13 February 2015");
    date_range_long(out, sizeof out, &a, &c);
    CHECK_STR(out, "9 February \xE2\x80\x93 3 March 2015");
    date_range_long(out, sizeof out, &a, &e);
    CHECK_STR(out, "9 February 2015 \xE2\x80\x93 5 February 2016");
    date_long(small, sizeof small, &a);         /* clipped, still a string */
    CHECK_STR(small, "9 Febru");

    CHECK_STR(date_month_name(1), "January");
    CHECK_STR(date_month_name(12), "December");
    CHECK_STR(date_month_name(0), "?");
    CHECK_STR(date_month_name(13), "?");
}

int main(void)
{
    test_parse();
    test_time();
    test_compare_and_count();
    test_print();
    return check_done();
}

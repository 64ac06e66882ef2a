/*
 * date.c: parsing, checking and printing calendar dates.
 */
#include <stdio.h>
#include <string.h>

#include "attache.h"
#include "date.h"

static const char *const months[] = {
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December"
};

#define EN_DASH "\xE2\x80\x93"

const char *date_month_name(int month)
{
    return month >= 1 && month <= 12 ? months[month - 1] : "?";
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : n[m - 1];
}

static bool digits(const char *s, int n, int *value)
{
    int v = 0, i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *value = v;
    return true;
}

bool date_parse(const char *s, struct date *d)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    if (!digits(s, 4, &d->year) || !digits(s + 5, 2, &d->month) ||
        !digits(s + 8, 2, &d->day))
        return false;
    return d->year >= 1900 && d->year <= 2199 && d->month >= 1 && d->month <= 12 &&
           d->day >= 1 && d->day <= days_in_month(d->year, d->month);
}

bool attache_date_parse(const char *text, int64_t *t)
{
    struct date d;

    if (!date_parse(text, &d))
        return false;
    *t = (int64_t)date_days(&d) * 86400;
    return true;
}

int time_parse(const char *s)
{
    int h, m;

    if (!s || strlen(s) != 5 || s[2] != ':' || !digits(s, 2, &h) || !digits(s + 3, 2, &m))
        return -1;
    return h < 24 && m < 60 ? h * 60 + m : -1;
}

int date_cmp(const struct date *a, const struct date *b)
{
    if (a->year != b->year)
        return a->year < b->year ? -1 : 1;
    if (a->month != b->month)
        return a->month < b->month ? -1 : 1;
    return a->day < b->day ? -1 : a->day > b->day;
}

/* Howard Hinnant's days_from_civil. */
long date_days(const struct date *d)
{
    int y = d->year - (d->month <= 2);
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153u * (unsigned)(d->month + (d->month > 2 ? -3 : 9)) + 2) / 5 +
                   (unsigned)d->day - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

struct date date_from_time(time_t t)
{
    struct tm tm;
    struct date d;

    gmtime_r(&t, &tm);
    d.year = tm.tm_year + 1900;
    d.month = tm.tm_mon + 1;
    d.day = tm.tm_mday;
    return d;
}

void date_long(char *out, size_t size, const struct date *d)
{
    snprintf(out, size, "%d %s %d", d->day, date_month_name(d->month), d->year);
}

void date_range_long(char *out, size_t size, const struct date *a, const struct date *b)
{
    if (!date_cmp(a, b))
        date_long(out, size, a);
    else if (a->year == b->year && a->month == b->month)
        snprintf(out, size, "%d" EN_DASH "%d %s %d", a->day, b->day,
                 date_month_name(a->month), a->year);
    else if (a->year == b->year)
        snprintf(out, size, "%d %s " EN_DASH " %d %s %d", a->day,
                 date_month_name(a->month), b->day, date_month_name(b->month), b->year);
    else
        snprintf(out, size, "%d %s %d " EN_DASH " %d %s %d", a->day,
                 date_month_name(a->month), a->year, b->day,
                 date_month_name(b->month), b->year);
}

/*
 * date.h: calendar dates as the data format writes them (YYYY-MM-DD) and as
 * documents print them ("9 February 2015", "9-13 February 2015").
 */
#ifndef ATTACHE_DATE_H
#define ATTACHE_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct date {
    int year, month, day;
};

/* Parse exactly YYYY-MM-DD into *d; false unless it is a real date (1900-2199). */
bool date_parse(const char *s, struct date *d);

/* Parse exactly HH:MM into minutes since midnight; -1 if not a time. */
int time_parse(const char *s);

/* <0, 0, >0 as a is before, the same as, or after b. */
int date_cmp(const struct date *a, const struct date *b);

/* The UTC date of a Unix time; all fields 0 when it is not in the years 1 to 9999. */
struct date date_from_time(time_t t);

/* Days since 1970-01-01 (negative before). */
long date_days(const struct date *d);

/* "9 February 2015" */
void date_long(char *out, size_t size, const struct date *d);

/*
 * A range in long form, sharing what the ends share, with an en dash:
 * "9-13 February 2015", "28 February - 3 March 2015",
 * "9 February 2015 - 5 February 2016" (the dash is U+2013).
 */
void date_range_long(char *out, size_t size, const struct date *a, const struct date *b);

/* English month name, 1-12. */
const char *date_month_name(int month);

#endif

/*
 * country.c: the table of ISO 3166-1 alpha-2 codes (generated from Debian's
 * iso-codes by scripts/gen-countries.py) and its look-up.
 */
#include <stdlib.h>
#include <string.h>

#include "country.h"

struct country {
    const char code[3];
    const char *name;
};

static const struct country countries[] = {
#include "country_table.h"
};

static int by_code(const void *key, const void *elem)
{
    return strcmp(key, ((const struct country *)elem)->code);
}

const char *country_name(const char *code)
{
    const struct country *c;

    if (!code || strlen(code) != 2)
        return NULL;
    c = bsearch(code, countries, sizeof countries / sizeof countries[0],
                sizeof countries[0], by_code);
    return c ? c->name : NULL;
}

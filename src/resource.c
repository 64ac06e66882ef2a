/*
 * resource.c: look-up in the table of compiled-in files.
 */
#include <string.h>

#include "resource.h"

const struct resource *resource_find(const char *name)
{
    const struct resource *r;

    for (r = resources; r->name; r++)
        if (!strcmp(r->name, name))
            return r;
    return NULL;
}

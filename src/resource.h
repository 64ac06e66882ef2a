/*
 * resource.h: files compiled into the library by tools/embed.c: the XML
 * schemas, the built-in templates and the fonts.
 */
#ifndef ATTACHE_RESOURCE_H
#define ATTACHE_RESOURCE_H

#include <stddef.h>

struct resource {
    const char *name;            /* path in the source tree, e.g. "schema/attache-1.xsd" */
    const unsigned char *data;   /* NUL-terminated for convenience */
    size_t size;                 /* without the NUL */
};

/* The table, ending with a {NULL} entry. */
extern const struct resource resources[];

/* The resource called `name`, or NULL. */
const struct resource *resource_find(const char *name);

#endif

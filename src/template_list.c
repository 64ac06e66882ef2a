/*
 * template_list.c: the built-in templates compiled into the library, read
 * once for their name, kind and description.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "attache.h"
#include "resource.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static attache_template_info *infos;
static size_t ninfos;

static char *root_attr(xmlNodePtr root, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(root, BAD_CAST name);
    char *s = strdup(v ? (const char *)v : "");
    xmlFree(v);
    return s;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const attache_template_info *)a)->name,
                  ((const attache_template_info *)b)->name);
}

static bool is_xml(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && !strcmp(name + n - 4, ".xml");
}

static void load(void)
{
    const struct resource *r;
    size_t n = 0;

    for (r = resources; r->name; r++)
        n += !strncmp(r->name, "templates/", 10) && is_xml(r->name);
    infos = calloc(n ? n : 1, sizeof *infos);
    if (!infos)
        return;
    for (r = resources; r->name; r++) {
        xmlDocPtr doc;
        xmlNodePtr root;

        if (strncmp(r->name, "templates/", 10) || !is_xml(r->name))
            continue;        /* the mail bodies (.txt) are not document templates */
        doc = xmlReadMemory((const char *)r->data, (int)r->size, r->name, NULL, XML_PARSE_NONET);
        root = doc ? xmlDocGetRootElement(doc) : NULL;
        if (root) {
            infos[ninfos].name = root_attr(root, "name");
            infos[ninfos].kind = root_attr(root, "kind");
            infos[ninfos].description = root_attr(root, "description");
            infos[ninfos].source = (const char *)r->data;
            infos[ninfos].source_size = r->size;
            ninfos++;
        }
        xmlFreeDoc(doc);
    }
    qsort(infos, ninfos, sizeof *infos, by_name);
}

size_t attache_template_builtin_count(void)
{
    pthread_once(&once, load);
    return ninfos;
}

const attache_template_info *attache_template_builtin(size_t i)
{
    pthread_once(&once, load);
    return i < ninfos ? &infos[i] : NULL;
}

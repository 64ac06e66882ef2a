/*
 * libload.c: the functions of libraries loaded when first needed (see
 * libload.h), looked up once each.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "libload.h"
#include "util.h"

struct symbol {
    const char *name;
    size_t at;                     /* where its address goes in the table */
};

/*
 * Open `soname` and put the address of each of `symbols` at its place in
 * `table`; false, with why[] filled, when the library or a symbol is
 * missing.  Nothing is unloaded: a library is loaded for the process.
 */
static bool open_library(const char *soname, const struct symbol *symbols, size_t n,
                         void *table, char *why, size_t why_size)
{
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    size_t i;

    if (!h) {
        snprintf(why, why_size, "%s", dlerror());
        return false;
    }
    for (i = 0; i < n; i++) {
        void *f = dlsym(h, symbols[i].name);

        if (!f) {
            snprintf(why, why_size, "%s has no %s", soname, symbols[i].name);
            return false;
        }
        /* POSIX lets a function's address travel as dlsym()'s void * */
        memcpy((char *)table + symbols[i].at, &f, sizeof f);
    }
    return true;
}

/* ---- libcurl ------------------------------------------------------------------ */

#define CURL_SONAME "libcurl.so.4"
#define CURL_FN(field) {"curl_" #field, offsetof(struct curl_lib, field)}

static const struct symbol curl_symbols[] = {
    CURL_FN(global_init), CURL_FN(easy_init), CURL_FN(easy_setopt), CURL_FN(easy_perform),
    CURL_FN(easy_getinfo), CURL_FN(easy_header), CURL_FN(easy_cleanup), CURL_FN(easy_strerror),
    CURL_FN(free), CURL_FN(getdate), CURL_FN(slist_append), CURL_FN(slist_free_all),
    CURL_FN(url), CURL_FN(url_cleanup), CURL_FN(url_get), CURL_FN(url_set),
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static struct curl_lib curl_table;
static const struct curl_lib *curl_loaded;     /* &curl_table once loaded and started */
static char curl_why[256];                     /* otherwise, why not */

_Static_assert(sizeof curl_table.easy_init == sizeof(void *), "a function as dlsym() gives it");

static void load_curl(void)
{
    CURLcode rc;

    if (!open_library(CURL_SONAME, curl_symbols, ARRAY_SIZE(curl_symbols), &curl_table,
                      curl_why, sizeof curl_why))
        return;
    if ((rc = curl_table.global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
        snprintf(curl_why, sizeof curl_why, "%s", curl_table.easy_strerror(rc));
        return;
    }
    curl_loaded = &curl_table;
}

const struct curl_lib *curl_lib(const char *subject, attache_error *err)
{
    pthread_once(&curl_once, load_curl);
    if (!curl_loaded && err)
        err_set(err, ATTACHE_ERR_INTERNAL, subject, 0,
                "libcurl cannot start (%s): install the package libcurl4", curl_why);
    return curl_loaded;
}

/* ---- libzbar ------------------------------------------------------------------ */

#define ZBAR_SONAME "libzbar.so.0"
#define ZBAR_FN(field) {"zbar_" #field, offsetof(struct zbar_lib, field)}

static const struct symbol zbar_symbols[] = {
    ZBAR_FN(image_scanner_create), ZBAR_FN(image_scanner_destroy),
    ZBAR_FN(image_scanner_set_config), ZBAR_FN(image_create), ZBAR_FN(image_destroy),
    ZBAR_FN(image_set_format), ZBAR_FN(image_set_size), ZBAR_FN(image_set_data),
    ZBAR_FN(scan_image), ZBAR_FN(image_first_symbol), ZBAR_FN(symbol_next),
    ZBAR_FN(symbol_get_data),
};

static pthread_once_t zbar_once = PTHREAD_ONCE_INIT;
static struct zbar_lib zbar_table;
static const struct zbar_lib *zbar_loaded;
static char zbar_why[256];

static void load_zbar(void)
{
    if (open_library(ZBAR_SONAME, zbar_symbols, ARRAY_SIZE(zbar_symbols), &zbar_table,
                     zbar_why, sizeof zbar_why))
        zbar_loaded = &zbar_table;
}

const struct zbar_lib *zbar_lib(const char *subject, attache_error *err)
{
    pthread_once(&zbar_once, load_zbar);
    if (!zbar_loaded && err)
        err_set(err, ATTACHE_ERR_INTERNAL, subject, 0,
                "the QR code reader libzbar cannot start (%s): install the package libzbar0",
                zbar_why);
    return zbar_loaded;
}

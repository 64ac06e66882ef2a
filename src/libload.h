/*
 * libload.h: libraries loaded the first time a command needs them.
 *
 * Linked into the tool, libcurl and libzbar, with what they bring (TLS,
 * HTTP/2, LDAP, Kerberos and SSH for one; X11, D-Bus and video4linux for
 * the other: 38 of the 72 libraries the tool would map), cost every process
 * about 9 ms of CPU to map and relocate, more than all the rest of starting
 * it, while only fetching and mailing use libcurl and only reading QR codes
 * in pictures uses libzbar.  So the files that use them (fetch.c,
 * mail_smtp.c, verify.c) call them through these tables, filled from the
 * sonames Debian's libcurl4 and libzbar0 install, on first use.  Types and
 * constants are the libraries' own, from their headers.
 */
#ifndef ATTACHE_LIBLOAD_H
#define ATTACHE_LIBLOAD_H

#include <curl/curl.h>
#include <zbar.h>

#include "attache.h"

struct curl_lib {
    __typeof__(curl_global_init) *global_init;     /* called once, by curl_lib() */
    __typeof__(curl_easy_init) *easy_init;
    __typeof__(curl_easy_setopt) *easy_setopt;
    __typeof__(curl_easy_perform) *easy_perform;
    __typeof__(curl_easy_getinfo) *easy_getinfo;
    __typeof__(curl_easy_header) *easy_header;
    __typeof__(curl_easy_cleanup) *easy_cleanup;
    __typeof__(curl_easy_strerror) *easy_strerror;
    __typeof__(curl_free) *free;
    __typeof__(curl_getdate) *getdate;
    __typeof__(curl_slist_append) *slist_append;
    __typeof__(curl_slist_free_all) *slist_free_all;
    __typeof__(curl_url) *url;
    __typeof__(curl_url_cleanup) *url_cleanup;
    __typeof__(curl_url_get) *url_get;
    __typeof__(curl_url_set) *url_set;
};

struct zbar_lib {
    __typeof__(zbar_image_scanner_create) *image_scanner_create;
    __typeof__(zbar_image_scanner_destroy) *image_scanner_destroy;
    __typeof__(zbar_image_scanner_set_config) *image_scanner_set_config;
    __typeof__(zbar_image_create) *image_create;
    __typeof__(zbar_image_destroy) *image_destroy;
    __typeof__(zbar_image_set_format) *image_set_format;
    __typeof__(zbar_image_set_size) *image_set_size;
    __typeof__(zbar_image_set_data) *image_set_data;
    __typeof__(zbar_scan_image) *scan_image;
    __typeof__(zbar_image_first_symbol) *image_first_symbol;
    __typeof__(zbar_symbol_next) *symbol_next;
    __typeof__(zbar_symbol_get_data) *symbol_get_data;
};

/*
 * libcurl, loaded and started (curl_global_init) once for the process, by
 * whichever thread asks first.  NULL when it cannot be; `err`, unless NULL,
 * then says why, about `subject` (a URL as messages show it, or NULL).
 */
const struct curl_lib *curl_lib(const char *subject, attache_error *err);

/* libzbar, the same way (it needs no starting). */
const struct zbar_lib *zbar_lib(const char *subject, attache_error *err);

#endif

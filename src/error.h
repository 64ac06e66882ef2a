/*
 * error.h: filling an attache_error.  `return err_set(e, CODE, file, line,
 * fmt, ...)` keeps call sites short; the message is sanitised (control and
 * bidi characters escaped) after formatting, so hostile input quoted into it
 * cannot drive a terminal.
 */
#ifndef ATTACHE_ERROR_H
#define ATTACHE_ERROR_H

#include "attache.h"

#if defined(__GNUC__)
#define ATTACHE_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ATTACHE_PRINTF(a, b)
#endif

/* Fill `e` (may be NULL) and return `code`. `file` may be NULL. */
attache_status err_set(attache_error *e, attache_status code, const char *file,
                       unsigned long line, const char *fmt, ...) ATTACHE_PRINTF(5, 6);

/* Like err_set() but keeps e->file and e->line as they are. */
attache_status err_msg(attache_error *e, attache_status code, const char *fmt, ...)
    ATTACHE_PRINTF(3, 4);

#endif

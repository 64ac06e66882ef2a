/*
 * error.c: the error record every library call fills on failure.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "text.h"

void attache_error_clear(attache_error *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof *err);
}

const char *attache_error_format(const attache_error *err, char *buf, size_t size)
{
    if (!size)
        return buf;
    if (err->file[0] && err->line)
        snprintf(buf, size, "%s:%lu: %s", err->file, err->line, err->message);
    else if (err->file[0])
        snprintf(buf, size, "%s: %s", err->file, err->message);
    else
        snprintf(buf, size, "%s", err->message);
    return buf;
}

const char *attache_version(void)
{
    return ATTACHE_VERSION;
}

static void set_message(attache_error *e, const char *fmt, va_list ap)
{
    char raw[sizeof e->message];

    vsnprintf(raw, sizeof raw, fmt, ap);
    text_sanitize(e->message, sizeof e->message, raw);
}

attache_status err_set(attache_error *e, attache_status code, const char *file,
                       unsigned long line, const char *fmt, ...)
{
    va_list ap;

    if (!e)
        return code;
    e->code = code;
    e->line = line;
    text_sanitize(e->file, sizeof e->file, file ? file : "");
    va_start(ap, fmt);
    set_message(e, fmt, ap);
    va_end(ap);
    return code;
}

attache_status err_msg(attache_error *e, attache_status code, const char *fmt, ...)
{
    va_list ap;

    if (!e)
        return code;
    e->code = code;
    va_start(ap, fmt);
    set_message(e, fmt, ap);
    va_end(ap);
    return code;
}

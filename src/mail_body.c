/*
 * mail_body.c: the body templates of attache mail.
 *
 * A body template is plain text: its first line "Subject: ...", then the
 * body, with {field} where the data fills in ("{{" and "}}" for braces).
 * Fields are checked when it is loaded, so a misspelt one is an error naming
 * the template's line, never an empty space in a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "mail_private.h"
#include "text.h"

/* The fields' names, in the order of enum mail_field. */
static const char *const field_names[MAIL_NFIELDS] = {
    "name", "honorific", "programme", "batch", "batch-id", "issuer", "signatory",
    "signatory-title", "file"
};

#define FIELD_LIST "{name}, {honorific}, {programme}, {batch}, {batch-id}, {issuer}, " \
                   "{signatory}, {signatory-title}, {file}"

/* The field "{...}" at p: its index and *len; -1 when it is not closed, -2 when unknown. */
static long field_at(const char *p, size_t *len)
{
    const char *close = strchr(p, '}');
    size_t k;

    if (!close)
        return -1;
    for (k = 0; k < MAIL_NFIELDS; k++)
        if ((size_t)(close - p - 1) == strlen(field_names[k]) &&
            !strncmp(p + 1, field_names[k], strlen(field_names[k]))) {
            *len = (size_t)(close - p) + 1;
            return (long)k;
        }
    return -2;
}

/* Check every {field} of `text` (starting on line `line` of `name`). */
static attache_status check_fields(const char *text, const char *name, unsigned long line,
                                   attache_error *err)
{
    const char *p;
    char clip[80], field[200];
    size_t len;

    for (p = text; *p; p++) {
        if (*p == '\n')
            line++;
        if ((*p == '{' && p[1] == '{') || (*p == '}' && p[1] == '}')) {
            p++;
            continue;
        }
        if (*p == '}')
            return err_set(err, ATTACHE_ERR_DATA, name, line, "a '}' without its '{' (write "
                           "}} for a brace)");
        if (*p != '{')
            continue;
        switch (field_at(p, &len)) {
        case -1:
            return err_set(err, ATTACHE_ERR_DATA, name, line, "a '{' without its '}' (write "
                           "{{ for a brace)");
        case -2:
            snprintf(field, sizeof field, "%.*s", (int)(strchr(p, '}') - p) + 1, p);
            return err_set(err, ATTACHE_ERR_DATA, name, line, "unknown field '%s' (the fields "
                           "are " FIELD_LIST ")", text_clip(clip, sizeof clip, field, 40));
        default:
            p += len - 1;
        }
    }
    return ATTACHE_OK;
}

/* The line of `text` that `at` is on. */
static unsigned long line_of(const char *text, const char *at)
{
    unsigned long line = 1;

    for (; text < at; text++)
        line += *text == '\n';
    return line;
}

attache_status mail_body_parse(const char *text, size_t size, const char *name,
                               struct mail_body *t, attache_error *err)
{
    const char *nl, *body;
    attache_status rc;

    if (!text_valid(text, size) || memchr(text, '\0', size))
        return err_set(err, ATTACHE_ERR_DATA, name, 0, "is not UTF-8 text");
    if (strncasecmp(text, "Subject:", 8))
        return err_set(err, ATTACHE_ERR_DATA, name, 1, "the first line must be the subject: "
                       "\"Subject: ...\"");
    nl = strchr(text, '\n');
    body = nl ? nl + 1 : text + size;
    t->subject = strndup(text + 8, (size_t)((nl ? nl : text + size) - text - 8));
    if (body[0] == '\r' && body[1] == '\n')
        body += 2;
    else if (body[0] == '\n')
        body++;
    t->body = strdup(body);
    if (!t->subject || !t->body)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    {
        char *s = t->subject, *e = s + strlen(s);

        while (*s == ' ' || *s == '\t')
            s++;
        while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
            e--;
        memmove(t->subject, s, (size_t)(e - s));
        t->subject[e - s] = '\0';
    }
    if (!t->subject[0])
        return err_set(err, ATTACHE_ERR_DATA, name, 1, "the subject is empty");
    if ((rc = check_fields(t->subject, name, 1, err)) != ATTACHE_OK)
        return rc;
    return check_fields(t->body, name, line_of(text, body), err);
}

/* An empty field takes the space after it along: "Dear {honorific} {name}". */
bool mail_body_fill(struct buf *out, const char *text, const char *const values[MAIL_NFIELDS])
{
    const char *p;
    size_t len;
    long k;

    for (p = text; *p; p++) {
        if ((*p == '{' && p[1] == '{') || (*p == '}' && p[1] == '}')) {
            buf_add(out, p++, 1);
            continue;
        }
        if (*p != '{' || (k = field_at(p, &len)) < 0) {
            buf_add(out, p, 1);
            continue;
        }
        buf_adds(out, values[k]);
        p += len - 1;
        if (!values[k][0] && p[1] == ' ')
            p++;
    }
    return !out->failed;
}


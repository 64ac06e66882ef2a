/*
 * mail_private.h: what the files of attache mail share, and nothing else
 * includes.
 *
 *   mail.c       the mailing: the manifest's documents, the officers'
 *                addresses, the mail log, the pace
 *   mail_body.c  body templates: "Subject: ..." and the text, with {fields}
 *   mail_mime.c  the MIME message: headers (RFC 2047 words), the body, the PDF
 *   mail_smtp.c  handing a message to the SMTP server with libcurl
 */
#ifndef ATTACHE_MAIL_PRIVATE_H
#define ATTACHE_MAIL_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>


#include "attache.h"
#include "libload.h"
#include "util.h"

/* ---- body templates (mail_body.c) ------------------------------------------- */

/* The fields a body template may name, {name} ... {file}. */
enum mail_field {
    MF_NAME, MF_HONORIFIC, MF_PROGRAMME, MF_BATCH, MF_BATCH_ID, MF_ISSUER, MF_SIGNATORY,
    MF_SIGNATORY_TITLE, MF_FILE, MAIL_NFIELDS
};

struct mail_body {
    char kind[32];               /* the documents it is for; "" for a --body file */
    char *subject, *body;        /* the text after "Subject: ", and the body (free()) */
};

/*
 * Parse a body template of `size` bytes (`name` for messages) into `t`:
 * its first line "Subject: ...", then the body.  Every {field} is checked:
 * one that is not a field is ATTACHE_ERR_DATA at its line.
 */
attache_status mail_body_parse(const char *text, size_t size, const char *name,
                               struct mail_body *t, attache_error *err);

/* Append `text` with its fields filled from `values` to `out`; false when out of memory. */
bool mail_body_fill(struct buf *out, const char *text, const char *const values[MAIL_NFIELDS]);

/* ---- the MIME message (mail_mime.c) ------------------------------------------- */

/* An address attache puts in an envelope and a header (plain ASCII, no quoting needed). */
bool mail_address_usable(const char *address);

/* The sender, from "Name <addr>" or "addr". */
struct mail_sender {
    char *display;               /* "" when none (free()) */
    char *address;               /* (free()) */
    const char *domain;          /* in address */
};

/* Fill `from` from `s`: 1, or 0 when it is not a usable sender, -1 when
 * memory ran out.  Free its strings either way. */
int mail_sender_parse(const char *s, struct mail_sender *from);

struct mail_message {
    struct buf text;             /* the whole message, CRLF line ends (buf_release()) */
    char subject[1024];
    char message_id[256];
    char date[64];
};

/*
 * Make in `m` (zeroed) the message from `from` to `address` (named
 * values[MF_NAME]) with body template `t` filled from `values`, carrying the
 * PDF `pdf` as values[MF_FILE].  False when out of memory or when the
 * subject would not be one line.
 */
bool mail_message_build(struct mail_message *m, const struct mail_sender *from,
                        const char *address, const char *const values[MAIL_NFIELDS],
                        const struct mail_body *t, const char *doc_id,
                        const unsigned char *pdf, size_t pdf_size);

/* ---- SMTP (mail_smtp.c) ----------------------------------------------------------- */

struct mail_smtp {
    const struct curl_lib *cu;
    CURL *h;
    char shown[300];             /* the URL as messages show it */
    char errbuf[CURL_ERROR_SIZE];
    char reply[300];             /* the server's last reply line */
    char refusal[300];           /* its last 4xx or 5xx reply line */
    const struct buf *upload;
    size_t sent;
};

enum mail_outcome {
    MAIL_ACCEPTED,               /* the server took the message */
    MAIL_REFUSED,                /* refused for good (5xx) */
    MAIL_FAILED,                 /* did not get through this time */
    MAIL_FATAL                   /* no message can (connection, TLS, login) */
};

/* libcurl and libsodium started, once per process; an error when they cannot be. */
attache_status mail_libraries_start(attache_error *err);

/*
 * Check o->url (smtp or smtps, no login in it, plain smtp only to loopback)
 * and set up `s` (zeroed) for every message to reuse one connection.
 * ATTACHE_ERR_USAGE for a URL that cannot be used.  mail_smtp_close() it.
 */
attache_status mail_smtp_open(struct mail_smtp *s, const attache_mail_options *o,
                              attache_error *err);

/* Hand `msg` from `from` to `to` to the server; `why` receives the reply or the reason. */
enum mail_outcome mail_smtp_send(struct mail_smtp *s, const char *from, const char *to,
                                 const struct buf *msg, char *why, size_t size);

void mail_smtp_close(struct mail_smtp *s);

#endif

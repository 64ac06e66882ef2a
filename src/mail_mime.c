/*
 * mail_mime.c: the message attache mail sends: one MIME multipart/mixed
 * message per document, all 7-bit with CRLF line ends and lines of at most
 * 76 characters: From, To, Subject (RFC 2047 encoded words when it is not
 * plain ASCII), Date, Message-ID, a text/plain UTF-8 body and the PDF as an
 * application/pdf attachment, both in base64.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "mail_private.h"
#include "text.h"

/*
 * An address attache will put in an envelope and a header: printable ASCII,
 * one '@' with something on both sides, none of the characters that would
 * need quoting.  (The data format takes any address without spaces.)
 */
bool mail_address_usable(const char *a)
{
    const char *at = strchr(a, '@'), *p;

    if (!at || at == a || !at[1] || strchr(at + 1, '@') || strlen(a) > 254)
        return false;
    for (p = a; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || strchr("<>()[]\\,;:\"", *p))
            return false;
    return true;
}

static bool is_plain_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            return false;
    return true;
}

/* Base64 of `n` bytes, in lines of 76 characters ending in CRLF. */
static void add_base64(struct buf *b, const unsigned char *data, size_t n)
{
    const size_t chunk = 57;        /* 57 bytes make 76 characters */
    char line[80];
    size_t i;

    for (i = 0; i < n; i += chunk) {
        size_t m = n - i < chunk ? n - i : chunk;

        sodium_bin2base64(line, sizeof line, data + i, m, sodium_base64_VARIANT_ORIGINAL);
        buf_adds(b, line);
        buf_adds(b, "\r\n");
    }
}

/*
 * `text` as RFC 2047 encoded words ("=?UTF-8?B?...?="), cut between
 * characters and folded onto continuation lines so that no line is longer
 * than 76 characters; `used` is how much of the first line is taken already.
 * Returns the length of the last line.
 */
static size_t add_encoded_words(struct buf *b, const char *text, size_t used)
{
    const char *p = text, *end = text + strlen(text);
    char enc[80];

    while (p < end) {
        const char *q = p, *next;
        size_t room = used + 12 < 76 ? (76 - used - 12) / 4 * 3 : 0;

        if (room < 12) {                      /* too little left: a new line */
            buf_adds(b, "\r\n ");
            used = 1;
            continue;
        }
        while (q < end) {                     /* as many whole characters as fit */
            next = q;
            text_next(&next, end);
            if ((size_t)(next - p) > room)
                break;
            q = next;
        }
        sodium_bin2base64(enc, sizeof enc, (const unsigned char *)p, (size_t)(q - p),
                          sodium_base64_VARIANT_ORIGINAL);
        buf_addf(b, "=?UTF-8?B?%s?=", enc);
        used += 12 + strlen(enc);
        p = q;
        if (p < end) {
            buf_adds(b, "\r\n ");
            used = 1;
        }
    }
    return used;
}

/* A header whose value is free text: as it is when short plain ASCII, else encoded. */
static void add_text_header(struct buf *b, const char *name, const char *value)
{
    buf_addf(b, "%s: ", name);
    if (is_plain_ascii(value) && strlen(value) + strlen(name) + 2 <= 76 && !strstr(value, "=?"))
        buf_adds(b, value);
    else
        add_encoded_words(b, value, strlen(name) + 2);
    buf_adds(b, "\r\n");
}

/* A mailbox header: "Name" <address>, the name quoted or encoded. */
static void add_address_header(struct buf *b, const char *name, const char *display,
                               const char *address)
{
    size_t used = strlen(name) + 2;
    const char *p;

    buf_addf(b, "%s: ", name);
    if (display && *display) {
        if (is_plain_ascii(display) && !strstr(display, "=?") &&
            used + strlen(display) + 3 <= 76) {
            buf_add(b, "\"", 1);
            for (p = display; *p; p++) {
                if (*p == '"' || *p == '\\')
                    buf_add(b, "\\", 1);
                buf_add(b, p, 1);
            }
            buf_add(b, "\"", 1);
            used += strlen(display) + 2;
        } else
            used = add_encoded_words(b, display, used);
        if (used + strlen(address) + 3 > 76)
            buf_adds(b, "\r\n");
        buf_adds(b, " ");
    }
    buf_addf(b, "<%s>\r\n", address);
}

/* RFC 5322 date of `t`, in UTC, without the locale's names. */
static void rfc5322_date(time_t t, char *out, size_t size)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;

    gmtime_r(&t, &tm);
    snprintf(out, size, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

bool mail_message_build(struct mail_message *m, const struct mail_sender *from,
                        const char *address, const char *const values[MAIL_NFIELDS],
                        const struct mail_body *t, const char *doc_id,
                        const unsigned char *pdf, size_t pdf_size)
{
    const char *base = values[MF_FILE];
    struct buf subject = {0}, body = {0}, crlf = {0};
    unsigned char rnd[12];
    char hex[25], boundary[64];
    const char *p;
    bool ok;

    ok = mail_body_fill(&subject, t->subject, values) && mail_body_fill(&body, t->body, values) &&
         !strpbrk(subject.data, "\r\n");
    if (!ok)
        goto done;
    snprintf(m->subject, sizeof m->subject, "%s", subject.data);
    for (p = body.data; *p; p++) {
        if (*p == '\n' && (p == body.data || p[-1] != '\r'))
            buf_add(&crlf, "\r", 1);
        buf_add(&crlf, p, 1);
    }
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
    snprintf(boundary, sizeof boundary, "=_attache_%s", hex);
    rfc5322_date(time(NULL), m->date, sizeof m->date);
    snprintf(m->message_id, sizeof m->message_id, "<%.80s.%s@%.120s>", doc_id, hex, from->domain);

    add_address_header(&m->text, "From", from->display, from->address);
    add_address_header(&m->text, "To", values[MF_NAME], address);
    add_text_header(&m->text, "Subject", subject.data);
    buf_addf(&m->text, "Date: %s\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n", m->date,
             m->message_id);
    buf_addf(&m->text, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", boundary);
    buf_addf(&m->text, "This is a message in MIME format.\r\n\r\n--%s\r\n", boundary);
    buf_adds(&m->text, "Content-Type: text/plain; charset=UTF-8\r\n"
                       "Content-Transfer-Encoding: base64\r\n\r\n");
    add_base64(&m->text, (const unsigned char *)(crlf.data ? crlf.data : ""), crlf.len);
    buf_addf(&m->text, "\r\n--%s\r\n", boundary);
    buf_addf(&m->text, "Content-Type: application/pdf; name=\"%s\"\r\n"
                       "Content-Disposition: attachment; filename=\"%s\"\r\n"
                       "Content-Transfer-Encoding: base64\r\n\r\n", base, base);
    add_base64(&m->text, pdf, pdf_size);
    buf_addf(&m->text, "\r\n--%s--\r\n", boundary);
    ok = !m->text.failed && !crlf.failed;
done:
    buf_release(&subject);
    buf_release(&body);
    buf_release(&crlf);
    return ok;
}

int mail_sender_parse(const char *s, struct mail_sender *from)
{
    const char *lt = strrchr(s, '<');
    char *d, *e;

    if (!lt) {
        from->display = strdup("");
        from->address = strdup(s);
    } else {
        const char *gt = strchr(lt, '>');

        if (!gt || gt[1])
            return 0;
        from->display = strndup(s, (size_t)(lt - s));
        from->address = strndup(lt + 1, (size_t)(gt - lt - 1));
    }
    if (!from->display || !from->address)
        return -1;
    if (!mail_address_usable(from->address) || strpbrk(from->display, "\r\n") ||
        !text_valid(from->display, strlen(from->display)))
        return 0;
    for (d = from->display; *d == ' ' || *d == '"'; d++)
        ;
    e = d + strlen(d);
    while (e > d && (e[-1] == ' ' || e[-1] == '"'))
        e--;
    memmove(from->display, d, (size_t)(e - d));
    from->display[e - d] = '\0';
    from->domain = strchr(from->address, '@') + 1;
    return 1;
}


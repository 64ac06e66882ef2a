/*
 * mail.c: e-mailing the documents of an output folder, over SMTP with
 * libcurl.
 *
 * A mailing goes through the folder's manifest in order.  For each document
 * it finds the officer's address in the data, makes one MIME message (a
 * plain-text body from a body template, the PDF attached) and hands it to
 * the server.  What the server accepts is appended to the folder's mail log
 * (mail-log.csv, owned by this file) and synced at once, so that a run that
 * is interrupted, or that meets a refused recipient or a dropped connection,
 * can be run again and sends only what was not accepted yet.  The log is
 * locked while a run sends, so two runs never send the same document.
 *
 * Security: TLS is required (smtps://, or STARTTLS on smtp://) except to a
 * loopback address, and always verified; the login and password go to
 * libcurl only and never into a message; everything put into a header comes
 * from the data, which validation has already cleared of control characters,
 * and is checked again here for line breaks.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <csv.h>
#include <curl/curl.h>
#include <libxml/hash.h>
#include <sodium.h>

#include "data.h"
#include "error.h"
#include "fetch.h"
#include "manifest.h"
#include "resource.h"
#include "text.h"
#include "util.h"

#define LOG_FILE "mail-log.csv"
#define LOG_HEADER "document_id,to,message_id,date,reply\n"
#define MAX_ATTACHMENT (25u * 1024 * 1024)    /* what mail servers commonly take */
#define MAX_TEMPLATE (64u * 1024)
#define DEFAULT_TIMEOUT 120
#define MAX_FAILURES_IN_A_ROW 3

/* ---- body templates ------------------------------------------------------- */

/*
 * A body template: its first line "Subject: ...", the body after it, and
 * {field} for what the data fills in ("{{" and "}}" for braces).  Fields
 * are checked when it is loaded, so a misspelt one is an error naming the
 * template's line, never an empty space in a message.
 */
enum field {
    F_NAME, F_HONORIFIC, F_PROGRAMME, F_BATCH, F_BATCH_ID, F_ISSUER, F_SIGNATORY,
    F_SIGNATORY_TITLE, F_FILE, NFIELDS
};

static const char *const field_names[NFIELDS] = {
    "name", "honorific", "programme", "batch", "batch-id", "issuer", "signatory",
    "signatory-title", "file"
};

#define FIELD_LIST "{name}, {honorific}, {programme}, {batch}, {batch-id}, {issuer}, " \
                   "{signatory}, {signatory-title}, {file}"

struct body_template {
    char kind[32];               /* the documents it is for; "" for a --body file */
    char *subject, *body;        /* the text after "Subject: ", and the body */
};

static long field_at(const char *p, size_t *len)
{
    const char *close = strchr(p, '}');
    size_t k;

    if (!close)
        return -1;
    for (k = 0; k < NFIELDS; k++)
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

static attache_status parse_template(const char *text, size_t size, const char *name,
                                     struct body_template *t, attache_error *err)
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

/* Fill the fields of `text` from `values`.  An empty field takes the space after it along. */
static bool fill(struct buf *out, const char *text, const char *const values[NFIELDS])
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

/* ---- the officers' details ------------------------------------------------------ */

struct recipient {
    bool found;
    char *value[NFIELDS];        /* F_FILE is per document and stays NULL */
    char *address;
};

static const char *ordinal_suffix(unsigned long n)
{
    if (n % 100 >= 11 && n % 100 <= 13)
        return "th";
    switch (n % 10) {
    case 1: return "st";
    case 2: return "nd";
    case 3: return "rd";
    default: return "th";
    }
}

static xmlNodePtr child(xmlNodePtr n, const char *name, bool without_lang)
{
    for (n = n ? n->children : NULL; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name) &&
            (!without_lang || !xmlHasProp(n, BAD_CAST "lang")))
            return n;
    return NULL;
}

static char *text_of(xmlNodePtr n)
{
    xmlChar *t = n ? xmlNodeGetContent(n) : NULL;
    char *s = strdup(t ? (const char *)t : "");

    xmlFree(t);
    return s;
}

struct gather {
    struct recipient *recipients;
    bool failed;
};

/* data_foreach(): note what the messages need of one officer. */
static attache_status gather_officer(void *ctx, struct officer_view *v)
{
    struct gather *g = ctx;
    struct recipient *r = &g->recipients[v->index];
    xmlNodePtr off = v->officer, batch = off->parent, prog = batch ? batch->parent : NULL;
    xmlNodePtr sig = child(batch, "signatory", false);
    xmlChar *number = batch ? xmlGetNoNsProp(batch, BAD_CAST "number") : NULL;
    char ord[32];
    size_t k;

    snprintf(ord, sizeof ord, "%s%s", number ? (const char *)number : "",
             ordinal_suffix(number ? strtoul((const char *)number, NULL, 10) : 0));
    xmlFree(number);
    r->value[F_NAME] = text_of(child(off, "name", true));
    r->value[F_HONORIFIC] = text_of(child(off, "honorific", false));
    r->value[F_PROGRAMME] = text_of(child(prog, "title", false));
    r->value[F_BATCH] = strdup(ord);
    r->value[F_BATCH_ID] = strdup(v->batch->id);
    r->value[F_ISSUER] = text_of(child(child(xmlDocGetRootElement(v->doc), "issuer", false),
                                       "name", false));
    r->value[F_SIGNATORY] = text_of(child(sig, "name", false));
    r->value[F_SIGNATORY_TITLE] = text_of(child(sig, "title", false));
    r->address = text_of(child(off, "email", false));
    r->found = true;
    for (k = 0; k < NFIELDS; k++)
        if (k != F_FILE && !r->value[k])
            g->failed = true;
    if (!r->address)
        g->failed = true;
    xmlFreeDoc(v->doc);
    return ATTACHE_OK;
}

static void recipients_free(struct recipient *r, size_t n)
{
    size_t i, k;

    for (i = 0; r && i < n; i++) {
        for (k = 0; k < NFIELDS; k++)
            free(r[i].value[k]);
        free(r[i].address);
    }
    free(r);
}

/*
 * An address attache will put in an envelope and a header: printable ASCII,
 * one '@' with something on both sides, none of the characters that would
 * need quoting.  (The data format takes any address without spaces.)
 */
static bool usable_address(const char *a)
{
    const char *at = strchr(a, '@'), *p;

    if (!at || at == a || !at[1] || strchr(at + 1, '@') || strlen(a) > 254)
        return false;
    for (p = a; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || strchr("<>()[]\\,;:\"", *p))
            return false;
    return true;
}

/* ---- the mail log ------------------------------------------------------------------ */

/*
 * mail-log.csv: a header, then one row for each message a server accepted:
 * document_id, to (the address), message_id, date (RFC 5322), reply (the
 * server's last reply).  Rows are appended and synced one by one; a row cut
 * short by a crash is ignored when read.
 */
struct log_reader {
    xmlHashTablePtr sent;        /* "document_id\naddress" -> (void *)1 */
    char *cell[2];
    size_t ncells;
    bool header_done, failed;
};

static void log_cell(void *s, size_t len, void *ctx)
{
    struct log_reader *lr = ctx;

    if (lr->ncells < 2 && !lr->failed && !(lr->cell[lr->ncells] = strndup(s ? s : "", len)))
        lr->failed = true;
    lr->ncells++;
}

static void log_row_end(int c, void *ctx)
{
    struct log_reader *lr = ctx;

    /* a complete row has five cells; one cut short has fewer, and is not counted */
    if (lr->header_done && lr->ncells >= 5 && c != -1 && !lr->failed) {
        char *key = malloc(strlen(lr->cell[0]) + strlen(lr->cell[1]) + 2);

        if (!key)
            lr->failed = true;
        else {
            sprintf(key, "%s\n%s", lr->cell[0], lr->cell[1]);
            xmlHashUpdateEntry(lr->sent, BAD_CAST key, (void *)1, NULL);
            free(key);
        }
    }
    lr->header_done = true;
    free(lr->cell[0]);
    free(lr->cell[1]);
    lr->cell[0] = lr->cell[1] = NULL;
    lr->ncells = 0;
}

/* Read the log at `path` (missing is fine) into `sent`. */
static attache_status read_log(const char *path, xmlHashTablePtr sent, attache_error *err)
{
    struct log_reader lr = {.sent = sent};
    struct csv_parser csv;
    unsigned char *bytes = NULL;
    size_t size = 0;
    attache_status rc;

    if (access(path, F_OK) != 0 && errno == ENOENT)
        return ATTACHE_OK;
    rc = attache_read_input(path, ATTACHE_DEFAULT_MAX_SIZE, &bytes, &size, err);
    if (rc != ATTACHE_OK)
        return rc;
    if (csv_init(&csv, 0) != 0) {
        free(bytes);
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    }
    if (csv_parse(&csv, bytes, size, log_cell, log_row_end, &lr) != size)
        rc = err_set(err, ATTACHE_ERR_DATA, path, 0, "cannot be read: %s",
                     csv_strerror(csv_error(&csv)));
    /* a last row without its line end was cut short: it is not read */
    free(lr.cell[0]);
    free(lr.cell[1]);
    csv_free(&csv);
    free(bytes);
    if (rc == ATTACHE_OK && lr.failed)
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    return rc;
}

static bool was_sent(xmlHashTablePtr sent, const char *doc_id, const char *address)
{
    char key[512];

    snprintf(key, sizeof key, "%s\n%s", doc_id, address);
    return xmlHashLookup(sent, BAD_CAST key) != NULL;
}

static void csv_cell(struct buf *b, const char *s, bool last)
{
    if (strpbrk(s, ",\"\r\n")) {
        buf_add(b, "\"", 1);
        for (; *s; s++) {
            if (*s == '"')
                buf_add(b, "\"", 1);
            buf_add(b, s, 1);
        }
        buf_add(b, "\"", 1);
    } else
        buf_adds(b, s);
    buf_adds(b, last ? "\n" : ",");
}

/* Open the log for appending and lock it; writes the header into a new one. */
static int open_log(const char *path, attache_error *err)
{
    struct stat st;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);

    if (fd < 0) {
        err_set(err, ATTACHE_ERR_CANTCREAT, path, 0, "cannot open the mail log: %s",
                strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        err_set(err, ATTACHE_ERR_CANTCREAT, path, 0, "another attache mail is sending from "
                "this folder");
        close(fd);
        return -1;
    }
    if (fstat(fd, &st) == 0 && st.st_size == 0 &&
        (write(fd, LOG_HEADER, strlen(LOG_HEADER)) != (ssize_t)strlen(LOG_HEADER) ||
         fsync(fd) != 0)) {
        err_set(err, ATTACHE_ERR_IO, path, 0, "cannot write the mail log: %s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static attache_status append_log(int fd, const char *path, const char *doc_id,
                                 const char *address, const char *message_id, const char *date,
                                 const char *reply, attache_error *err)
{
    struct buf b = {0};
    attache_status rc = ATTACHE_OK;

    csv_cell(&b, doc_id, false);
    csv_cell(&b, address, false);
    csv_cell(&b, message_id, false);
    csv_cell(&b, date, false);
    csv_cell(&b, reply, true);
    if (b.failed)
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    else if (write(fd, b.data, b.len) != (ssize_t)b.len || fsync(fd) != 0)
        rc = err_set(err, ATTACHE_ERR_IO, path, 0, "cannot write the mail log: %s; the "
                     "message to %s was sent but is not recorded", strerror(errno), address);
    buf_release(&b);
    return rc;
}

/* ---- MIME ---------------------------------------------------------------------- */

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

struct sender {
    char *display;               /* of --from, "" when none */
    char *address;
    const char *domain;          /* in address */
};

struct message {
    struct buf text;             /* the whole message, CRLF line ends */
    char subject[1024];
    char message_id[256];
    char date[64];
};

/* Make the message carrying `pdf` to recipient `r`. */
static bool build_message(struct message *m, const struct sender *from,
                          const struct recipient *r, const struct body_template *t,
                          const char *doc_id, const char *file, const unsigned char *pdf,
                          size_t pdf_size)
{
    const char *values[NFIELDS];
    const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    struct buf subject = {0}, body = {0}, crlf = {0};
    unsigned char rnd[12];
    char hex[25], boundary[64];
    const char *p;
    size_t k;
    bool ok;

    for (k = 0; k < NFIELDS; k++)
        values[k] = r->value[k] ? r->value[k] : "";
    values[F_FILE] = base;
    ok = fill(&subject, t->subject, values) && fill(&body, t->body, values) &&
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
    add_address_header(&m->text, "To", r->value[F_NAME], r->address);
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

/* Split "Name <addr>" or "addr" into `from`; false when it is not usable. */
static bool parse_from(const char *s, struct sender *from)
{
    const char *lt = strrchr(s, '<');
    char *d, *e;

    if (!lt) {
        from->display = strdup("");
        from->address = strdup(s);
    } else {
        const char *gt = strchr(lt, '>');

        if (!gt || gt[1])
            return false;
        from->display = strndup(s, (size_t)(lt - s));
        from->address = strndup(lt + 1, (size_t)(gt - lt - 1));
    }
    if (!from->display || !from->address || !usable_address(from->address) ||
        strpbrk(from->display, "\r\n") || !text_valid(from->display, strlen(from->display)))
        return false;
    for (d = from->display; *d == ' ' || *d == '"'; d++)
        ;
    e = d + strlen(d);
    while (e > d && (e[-1] == ' ' || e[-1] == '"'))
        e--;
    memmove(from->display, d, (size_t)(e - d));
    from->display[e - d] = '\0';
    from->domain = strchr(from->address, '@') + 1;
    return true;
}

/* ---- SMTP ---------------------------------------------------------------------- */

struct smtp {
    CURL *h;
    char shown[300];             /* the URL as messages show it */
    char errbuf[CURL_ERROR_SIZE];
    char reply[300];             /* the server's last reply line */
    char refusal[300];           /* its last 4xx or 5xx reply line */
    const struct buf *upload;
    size_t sent;
};

static size_t read_upload(char *out, size_t size, size_t n, void *ctx)
{
    struct smtp *s = ctx;
    size_t left = s->upload->len - s->sent, take = size * n < left ? size * n : left;

    memcpy(out, s->upload->data + s->sent, take);
    s->sent += take;
    return take;
}

/* Keep the server's last reply line, for messages (what the client sends is not kept). */
static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *ctx)
{
    struct smtp *s = ctx;
    char line[sizeof s->reply];
    size_t n;

    (void)h;
    if (type != CURLINFO_HEADER_IN)
        return 0;
    n = strcspn(data, "\r\n");
    if (n > size)
        n = size;
    if (n >= sizeof line)
        n = sizeof line - 1;
    memcpy(line, data, n);
    line[n] = '\0';
    text_sanitize(s->reply, sizeof s->reply, line);
    if (line[0] == '4' || line[0] == '5')
        snprintf(s->refusal, sizeof s->refusal, "%s", s->reply);
    return 0;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static bool curl_ready;

static void init_libraries(void)
{
    curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK && sodium_init() >= 0;
}

/*
 * Check the URL (smtp or smtps, no login in it, plain smtp only to loopback)
 * and set up the handle that every message reuses, so one connection serves
 * them all.
 */
static attache_status smtp_open(struct smtp *s, const attache_mail_options *o,
                                attache_error *err)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    bool loopback;
    attache_status rc = ATTACHE_OK;

    fetch_url_shown(o->url, s->shown, sizeof s->shown);
    if (!u || curl_url_set(u, CURLUPART_URL, o->url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        rc = err_set(err, ATTACHE_ERR_USAGE, s->shown, 0, "is not an smtp:// or smtps:// URL");
        goto done;
    }
    if (strcmp(scheme, "smtp") && strcmp(scheme, "smtps")) {
        rc = err_set(err, ATTACHE_ERR_USAGE, s->shown, 0, "is not an smtp:// or smtps:// URL");
        goto done;
    }
    if (fetch_url_has_userinfo(o->url)) {
        rc = err_set(err, ATTACHE_ERR_USAGE, s->shown, 0, "a login in the URL is refused: "
                     "give it in $ATTACHE_SMTP_USER and $ATTACHE_SMTP_PASSWORD");
        goto done;
    }
    loopback = fetch_host_is_loopback(host);
    s->h = curl_easy_init();
    if (!s->h) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "cannot start libcurl");
        goto done;
    }
    curl_easy_setopt(s->h, CURLOPT_URL, o->url);
    curl_easy_setopt(s->h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    /* STARTTLS is a must, but to loopback: used when the server offers it */
    curl_easy_setopt(s->h, CURLOPT_USE_SSL, loopback ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_ALL);
    curl_easy_setopt(s->h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(s->h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (o->cacert)
        curl_easy_setopt(s->h, CURLOPT_CAINFO, o->cacert);
    if (o->user) {
        curl_easy_setopt(s->h, CURLOPT_USERNAME, o->user);
        curl_easy_setopt(s->h, CURLOPT_PASSWORD, o->password ? o->password : "");
    }
    curl_easy_setopt(s->h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(s->h, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(s->h, CURLOPT_READDATA, s);
    curl_easy_setopt(s->h, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(s->h, CURLOPT_VERBOSE, 1L);          /* for on_debug only */
    curl_easy_setopt(s->h, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(s->h, CURLOPT_DEBUGDATA, s);
    curl_easy_setopt(s->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s->h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(s->h, CURLOPT_TIMEOUT, (long)(o->timeout ? o->timeout : DEFAULT_TIMEOUT));
done:
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

enum outcome { SENT, REFUSED, FAILED, FATAL };

/*
 * Hand one message to the server.  SENT when it accepted it; REFUSED for a
 * permanent refusal (5xx) of this message; FAILED when it did not get
 * through this time; FATAL when no message can (connection, TLS, login).
 * `why` receives the reason.
 */
static enum outcome smtp_send(struct smtp *s, const char *from, const char *to,
                              const struct buf *msg, char *why, size_t size)
{
    struct curl_slist *rcpt = NULL;
    char envelope[300];
    long code = 0;
    CURLcode rc;

    snprintf(envelope, sizeof envelope, "<%s>", from);
    curl_easy_setopt(s->h, CURLOPT_MAIL_FROM, envelope);
    snprintf(envelope, sizeof envelope, "<%s>", to);
    rcpt = curl_slist_append(NULL, envelope);
    if (!rcpt) {
        snprintf(why, size, "out of memory");
        return FATAL;
    }
    curl_easy_setopt(s->h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(s->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg->len);
    s->upload = msg;
    s->sent = 0;
    s->errbuf[0] = s->reply[0] = s->refusal[0] = '\0';
    rc = curl_easy_perform(s->h);
    curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_setopt(s->h, CURLOPT_MAIL_RCPT, NULL);
    curl_slist_free_all(rcpt);
    if (rc == CURLE_OK) {
        snprintf(why, size, "%s", s->reply);
        return SENT;
    }
    switch (rc) {
    case CURLE_LOGIN_DENIED:
        snprintf(why, size, "the server refused the login (%s)", s->refusal);
        return FATAL;
    case CURLE_USE_SSL_FAILED:
        snprintf(why, size, "the server does not offer STARTTLS, and TLS is required except "
                 "to loopback (use smtps:// if it takes TLS from the start)");
        return FATAL;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
        snprintf(why, size, "TLS: %s; for a private CA give --cacert FILE",
                 s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
        return FATAL;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        snprintf(why, size, "%s", s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
        return FATAL;
    default:
        break;
    }
    if (code >= 500 && code < 600) {
        snprintf(why, size, "%s", s->refusal[0] ? s->refusal : s->errbuf);
        return REFUSED;
    }
    if (code >= 400 && code < 500)
        snprintf(why, size, "%s", s->refusal[0] ? s->refusal : s->errbuf);
    else
        snprintf(why, size, "%s", s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
    return FAILED;
}

/* ---- the mailing ---------------------------------------------------------------- */

struct mailing {
    const char *dir;
    const attache_data *data;
    const attache_mail_options *o;
    attache_mail_result *res;
    struct sender from;
    struct body_template *templates;
    size_t ntemplates;
    struct smtp smtp;
    xmlHashTablePtr sent;
    int log_fd;
    char log_path[4096];
    double last_send;            /* monotonic seconds of the last message, or < 0 */
};

static void emit(struct mailing *m, attache_mail_event_kind kind, const struct manifest_row *row,
                 const struct recipient *r, const char *subject, const char *message,
                 size_t bytes)
{
    attache_mail_event ev = {
        .kind = kind,
        .document_id = row->col[MCOL_DOCUMENT_ID],
        .file = row->col[MCOL_FILE],
        .officer_id = row->col[MCOL_OFFICER_ID],
        .name = r && r->value[F_NAME] ? r->value[F_NAME] : row->col[MCOL_NAME],
        .address = r && r->address ? r->address : "",
        .subject = subject,
        .message = message,
        .bytes = bytes,
    };
    size_t *counts[] = {
        [ATTACHE_MAIL_SENT] = &m->res->sent, [ATTACHE_MAIL_PLANNED] = &m->res->planned,
        [ATTACHE_MAIL_ALREADY_SENT] = &m->res->already_sent,
        [ATTACHE_MAIL_NO_ADDRESS] = &m->res->no_address,
        [ATTACHE_MAIL_NOT_SENT] = &m->res->not_sent, [ATTACHE_MAIL_REFUSED] = &m->res->refused,
        [ATTACHE_MAIL_FAILED] = &m->res->failed,
    };

    (*counts[kind])++;
    if (m->o->on_event)
        m->o->on_event(m->o->ctx, &ev);
}

/* The body template for documents of `kind`, loaded the first time. */
static const struct body_template *template_for(struct mailing *m, const char *kind,
                                                attache_error *err)
{
    struct body_template *t;
    char name[64];
    size_t i;
    attache_status rc;

    if (m->o->body_file)
        kind = "";
    for (i = 0; i < m->ntemplates; i++)
        if (!strcmp(m->templates[i].kind, kind))
            return &m->templates[i];
    t = realloc(m->templates, (m->ntemplates + 1) * sizeof *t);
    if (!t) {
        err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        return NULL;
    }
    m->templates = t;
    t = &m->templates[m->ntemplates++];
    memset(t, 0, sizeof *t);
    snprintf(t->kind, sizeof t->kind, "%s", kind);
    if (m->o->body_file) {
        unsigned char *bytes;
        size_t size;

        rc = attache_read_input(m->o->body_file, MAX_TEMPLATE, &bytes, &size, err);
        if (rc == ATTACHE_OK) {
            rc = parse_template((const char *)bytes, size, m->o->body_file, t, err);
            free(bytes);
        }
    } else {
        const struct resource *res;

        snprintf(name, sizeof name, "templates/mail-%s.txt", kind);
        res = strlen(kind) < 32 && !strchr(kind, '/') ? resource_find(name) : NULL;
        if (!res)
            rc = err_set(err, ATTACHE_ERR_USAGE, NULL, 0, "there is no built-in message for "
                         "documents of kind '%s': give the body with --body FILE", kind);
        else
            rc = parse_template((const char *)res->data, res->size, name, t, err);
    }
    return rc == ATTACHE_OK ? t : NULL;
}

/* A manifest's file name that stays inside the folder: relative, no "." or ".." parts. */
static bool safe_relative(const char *f)
{
    const char *p = f;

    if (!*f || *f == '/')
        return false;
    while (*p) {
        size_t n = strcspn(p, "/");

        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        p += n;
        if (*p == '/')
            p++;
    }
    return p[-1] != '/';
}

/* Read the document and check it is the one the manifest describes. */
static bool read_document(const struct mailing *m, const struct manifest_row *row,
                          unsigned char **pdf, size_t *size, char *why, size_t why_size)
{
    unsigned char hash[crypto_hash_sha256_BYTES];
    char hex[2 * crypto_hash_sha256_BYTES + 1], path[4096];
    attache_error e;

    *pdf = NULL;
    if (!safe_relative(row->col[MCOL_FILE])) {
        snprintf(why, why_size, "the manifest's file name leaves the folder");
        return false;
    }
    snprintf(path, sizeof path, "%s/%s", m->dir, row->col[MCOL_FILE]);
    attache_error_clear(&e);
    if (attache_read_input(path, MAX_ATTACHMENT, pdf, size, &e) != ATTACHE_OK) {
        snprintf(why, why_size, "%s", e.message);
        return false;
    }
    crypto_hash_sha256(hash, *pdf, *size);
    sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
    if (strcasecmp(hex, row->col[MCOL_SHA256])) {
        snprintf(why, why_size, "the file is not the one the manifest lists (its SHA-256 "
                 "differs): make the documents again");
        free(*pdf);
        *pdf = NULL;
        return false;
    }
    return true;
}

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait so that messages start at most per_minute a minute. */
static void keep_rate(struct mailing *m)
{
    double gap, wait;

    if (m->o->per_minute <= 0 || m->last_send < 0)
        return;
    gap = 60.0 / m->o->per_minute;
    wait = m->last_send + gap - now_seconds();
    if (wait > 0) {
        struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};

        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
}

/* Mail one document.  Returns non-OK only when the whole mailing must stop. */
static attache_status mail_one(struct mailing *m, const struct manifest_row *row,
                               const struct recipient *r, unsigned *failures, attache_error *err)
{
    const struct body_template *t;
    struct message msg = {0};
    unsigned char *pdf = NULL;
    size_t size = 0;
    char why[600];
    attache_status rc = ATTACHE_OK;

    if (!r) {
        emit(m, ATTACHE_MAIL_NOT_SENT, row, NULL, NULL, "the officer is not in the data", 0);
        return ATTACHE_OK;
    }
    if (!r->address[0]) {
        emit(m, ATTACHE_MAIL_NO_ADDRESS, row, r, NULL, NULL, 0);
        return ATTACHE_OK;
    }
    if (!usable_address(r->address)) {
        emit(m, ATTACHE_MAIL_NOT_SENT, row, r, NULL, "the address cannot be used in an "
             "envelope: plain ASCII without spaces, quotes, brackets, ',', ';' or ':'", 0);
        return ATTACHE_OK;
    }
    if (was_sent(m->sent, row->col[MCOL_DOCUMENT_ID], r->address)) {
        emit(m, ATTACHE_MAIL_ALREADY_SENT, row, r, NULL, NULL, 0);
        return ATTACHE_OK;
    }
    if (!(t = template_for(m, row->col[MCOL_KIND], err)))
        return err->code;
    if (!read_document(m, row, &pdf, &size, why, sizeof why)) {
        emit(m, ATTACHE_MAIL_NOT_SENT, row, r, NULL, why, 0);
        return ATTACHE_OK;
    }
    if (!build_message(&msg, &m->from, r, t, row->col[MCOL_DOCUMENT_ID], row->col[MCOL_FILE],
                       pdf, size)) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    if (m->o->dry_run) {
        emit(m, ATTACHE_MAIL_PLANNED, row, r, msg.subject, NULL, msg.text.len);
        goto done;
    }
    keep_rate(m);
    m->last_send = now_seconds();
    switch (smtp_send(&m->smtp, m->from.address, r->address, &msg.text, why, sizeof why)) {
    case SENT:
        *failures = 0;
        rc = append_log(m->log_fd, m->log_path, row->col[MCOL_DOCUMENT_ID], r->address,
                        msg.message_id, msg.date, why, err);
        if (rc == ATTACHE_OK)
            emit(m, ATTACHE_MAIL_SENT, row, r, msg.subject, NULL, msg.text.len);
        break;
    case REFUSED:
        *failures = 0;
        emit(m, ATTACHE_MAIL_REFUSED, row, r, msg.subject, why, msg.text.len);
        break;
    case FAILED:
        emit(m, ATTACHE_MAIL_FAILED, row, r, msg.subject, why, msg.text.len);
        if (++*failures >= MAX_FAILURES_IN_A_ROW)
            rc = err_set(err, ATTACHE_ERR_UNAVAILABLE, m->smtp.shown, 0, "%u messages in a row "
                         "did not get through (last: %s); stopped", *failures, why);
        break;
    case FATAL:
        rc = err_set(err, ATTACHE_ERR_UNAVAILABLE, m->smtp.shown, 0, "%s", why);
        break;
    }
done:
    buf_release(&msg.text);
    free(pdf);
    return rc;
}

attache_status attache_mail(const char *dir, const attache_data *data,
                            const attache_mail_options *o, attache_mail_result *result,
                            attache_error *err)
{
    struct mailing m = {.dir = dir, .data = data, .o = o, .log_fd = -1, .last_send = -1};
    attache_mail_result local = {0};
    attache_error local_err;
    struct manifest man = {0};
    struct recipient *recipients = NULL;
    bool *want = NULL;
    unsigned char *bytes = NULL;
    char path[4096];
    size_t size = 0, i, n = data_officer_count(data);
    unsigned failures = 0;
    attache_status rc = ATTACHE_OK;

    if (!err)
        err = &local_err;
    m.res = result ? result : &local;
    memset(m.res, 0, sizeof *m.res);
    pthread_once(&curl_once, init_libraries);
    if (!curl_ready)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "cannot start libcurl");
    if (!o->from || !parse_from(o->from, &m.from)) {
        rc = err_set(err, ATTACHE_ERR_USAGE, NULL, 0, "the sender '%s' is not an address "
                     "such as hr@example.org or \"HR Office <hr@example.org>\"",
                     o->from ? o->from : "");
        goto done;
    }
    if (!o->url) {
        rc = err_set(err, ATTACHE_ERR_USAGE, NULL, 0, "no SMTP server given");
        goto done;
    }
    if (o->per_minute < 0) {
        rc = err_set(err, ATTACHE_ERR_USAGE, NULL, 0, "a negative rate");
        goto done;
    }

    snprintf(path, sizeof path, "%s/%s", dir, MANIFEST_FILE);
    if ((rc = attache_read_input(path, ATTACHE_DEFAULT_MAX_SIZE, &bytes, &size, err)) != ATTACHE_OK ||
        (rc = manifest_parse(&man, path, bytes, size, err)) != ATTACHE_OK)
        goto done;

    /* the officers' details, in one walk over the data */
    recipients = calloc(n ? n : 1, sizeof *recipients);
    want = calloc(n ? n : 1, sizeof *want);
    if (!recipients || !want) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    for (i = 0; i < man.n; i++) {
        long k = data_find_officer(data, man.rows[i].col[MCOL_OFFICER_ID]);
        if (k >= 0)
            want[k] = true;
    }
    {
        struct gather g = {recipients, false};

        if ((rc = data_foreach(data, want, gather_officer, &g, err)) != ATTACHE_OK)
            goto done;
        if (g.failed) {
            rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
            goto done;
        }
    }

    /* what earlier runs sent */
    snprintf(m.log_path, sizeof m.log_path, "%s/%s", dir, LOG_FILE);
    if (!(m.sent = xmlHashCreate(64))) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    if (!o->dry_run && (m.log_fd = open_log(m.log_path, err)) < 0) {
        rc = err->code;
        goto done;
    }
    /* read after taking the lock, so a run that just finished is seen whole */
    if ((rc = read_log(m.log_path, m.sent, err)) != ATTACHE_OK)
        goto done;
    if ((rc = smtp_open(&m.smtp, o, err)) != ATTACHE_OK)      /* a dry run checks the URL too */
        goto done;

    for (i = 0; i < man.n && rc == ATTACHE_OK; i++) {
        long k = data_find_officer(data, man.rows[i].col[MCOL_OFFICER_ID]);

        rc = mail_one(&m, &man.rows[i], k >= 0 && recipients[k].found ? &recipients[k] : NULL,
                      &failures, err);
    }
done:
    if (m.smtp.h)
        curl_easy_cleanup(m.smtp.h);
    if (m.log_fd >= 0)
        close(m.log_fd);
    xmlHashFree(m.sent, NULL);
    for (i = 0; i < m.ntemplates; i++) {
        free(m.templates[i].subject);
        free(m.templates[i].body);
    }
    free(m.templates);
    free(m.from.display);
    free(m.from.address);
    recipients_free(recipients, n);
    free(want);
    manifest_release(&man);
    free(bytes);
    return rc;
}

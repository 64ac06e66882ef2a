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
 * and is checked again for line breaks.
 *
 * mail_private.h says which file does what.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <csv.h>
#include <libxml/hash.h>
#include <sodium.h>

#include "data.h"
#include "error.h"
#include "hash.h"
#include "mail_private.h"
#include "manifest.h"
#include "resource.h"
#include "text.h"
#include "util.h"

#define LOG_FILE "mail-log.csv"
#define LOG_HEADER "document_id,to,message_id,date,reply\n"
#define MAX_ATTACHMENT (25u * 1024 * 1024)    /* what mail servers commonly take */
#define MAX_TEMPLATE (64u * 1024)
#define MAX_FAILURES_IN_A_ROW 3

/* ---- the officers' details ------------------------------------------------------ */

struct recipient {
    bool found;
    char *value[MAIL_NFIELDS];   /* MF_FILE is per document and stays NULL */
    char *address;
};

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
    size_t k;

    r->value[MF_NAME] = text_of(child(off, "name", true));
    r->value[MF_HONORIFIC] = text_of(child(off, "honorific", false));
    r->value[MF_PROGRAMME] = text_of(child(prog, "title", false));
    r->value[MF_BATCH] = strdup(v->batch->ordinal);
    r->value[MF_BATCH_ID] = strdup(v->batch->id);
    r->value[MF_ISSUER] = text_of(child(child(xmlDocGetRootElement(v->doc), "issuer", false),
                                       "name", false));
    r->value[MF_SIGNATORY] = text_of(child(sig, "name", false));
    r->value[MF_SIGNATORY_TITLE] = text_of(child(sig, "title", false));
    r->address = text_of(child(off, "email", false));
    r->found = true;
    for (k = 0; k < MAIL_NFIELDS; k++)
        if (k != MF_FILE && !r->value[k])
            g->failed = true;
    if (!r->address)
        g->failed = true;
    return ATTACHE_OK;
}

static void recipients_free(struct recipient *r, size_t n)
{
    size_t i, k;

    for (i = 0; r && i < n; i++) {
        for (k = 0; k < MAIL_NFIELDS; k++)
            free(r[i].value[k]);
        free(r[i].address);
    }
    free(r);
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

/* ---- the mailing ---------------------------------------------------------------- */

struct mailing {
    const char *dir;
    const attache_data *data;
    const attache_mail_options *o;
    attache_mail_result *res;
    struct mail_sender from;
    struct mail_body *templates;
    size_t ntemplates;
    struct mail_smtp smtp;
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
        .name = r && r->value[MF_NAME] ? r->value[MF_NAME] : row->col[MCOL_NAME],
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
static const struct mail_body *template_for(struct mailing *m, const char *kind,
                                                attache_error *err)
{
    struct mail_body *t;
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
            rc = mail_body_parse((const char *)bytes, size, m->o->body_file, t, err);
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
            rc = mail_body_parse((const char *)res->data, res->size, name, t, err);
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
    char hex[2 * HASH_SHA256_BYTES + 1], path[4096];
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
    hash_sha256_hex(*pdf, *size, hex);
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
    const struct mail_body *t;
    struct mail_message msg = {0};
    const char *values[MAIL_NFIELDS];
    const char *file = row->col[MCOL_FILE];
    size_t k;
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
    if (!mail_address_usable(r->address)) {
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
    for (k = 0; k < MAIL_NFIELDS; k++)
        values[k] = r->value[k] ? r->value[k] : "";
    values[MF_FILE] = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    if (!mail_message_build(&msg, &m->from, r->address, values, t, row->col[MCOL_DOCUMENT_ID],
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
    switch (mail_smtp_send(&m->smtp, m->from.address, r->address, &msg.text, why, sizeof why)) {
    case MAIL_ACCEPTED:
        *failures = 0;
        rc = append_log(m->log_fd, m->log_path, row->col[MCOL_DOCUMENT_ID], r->address,
                        msg.message_id, msg.date, why, err);
        if (rc == ATTACHE_OK)
            emit(m, ATTACHE_MAIL_SENT, row, r, msg.subject, NULL, msg.text.len);
        break;
    case MAIL_REFUSED:
        *failures = 0;
        emit(m, ATTACHE_MAIL_REFUSED, row, r, msg.subject, why, msg.text.len);
        break;
    case MAIL_FAILED:
        emit(m, ATTACHE_MAIL_FAILED, row, r, msg.subject, why, msg.text.len);
        if (++*failures >= MAX_FAILURES_IN_A_ROW)
            rc = err_set(err, ATTACHE_ERR_UNAVAILABLE, m->smtp.shown, 0, "%u messages in a row "
                         "did not get through (last: %s); stopped", *failures, why);
        break;
    case MAIL_FATAL:
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
    int sender = 0;
    attache_status rc = ATTACHE_OK;

    if (!err)
        err = &local_err;
    m.res = result ? result : &local;
    memset(m.res, 0, sizeof *m.res);
    if ((rc = mail_libraries_start(err)) != ATTACHE_OK)
        return rc;
    if (o->from && (sender = mail_sender_parse(o->from, &m.from)) < 0) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    if (!o->from || sender == 0) {
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
    if ((rc = mail_smtp_open(&m.smtp, o, err)) != ATTACHE_OK)      /* a dry run checks the URL too */
        goto done;

    for (i = 0; i < man.n && rc == ATTACHE_OK; i++) {
        long k = data_find_officer(data, man.rows[i].col[MCOL_OFFICER_ID]);

        rc = mail_one(&m, &man.rows[i], k >= 0 && recipients[k].found ? &recipients[k] : NULL,
                      &failures, err);
    }
done:
    mail_smtp_close(&m.smtp);
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


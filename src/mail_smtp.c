/*
 * mail_smtp.c: handing messages to an SMTP server with libcurl (loaded when
 * first needed, libload.h).
 *
 * One easy handle serves a whole mailing, so one connection carries every
 * message.  TLS is required (smtps://, or STARTTLS on smtp://) except to a
 * loopback address, where STARTTLS is used when the server offers it; it is
 * always verified.  The login goes to libcurl and nowhere else: what the
 * client sends is never kept, only the server's replies, for messages.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "error.h"
#include "fetch.h"
#include "mail_private.h"
#include "text.h"

#define DEFAULT_TIMEOUT 120

/* libcurl's read callback: the next piece of the message being sent. */
static size_t read_upload(char *out, size_t size, size_t n, void *ctx)
{
    struct mail_smtp *s = ctx;
    size_t left = s->upload->len - s->sent, take = size * n < left ? size * n : left;

    memcpy(out, s->upload->data + s->sent, take);
    s->sent += take;
    return take;
}

/* Keep the server's last reply line, for messages (what the client sends is not kept). */
static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *ctx)
{
    struct mail_smtp *s = ctx;
    char line[sizeof s->reply];
    size_t n;

    (void)h;
    if (type != CURLINFO_HEADER_IN)
        return 0;
    for (n = 0; n < size && n + 1 < sizeof line && data[n] != '\r' && data[n] != '\n'; n++)
        ;
    memcpy(line, data, n);
    line[n] = '\0';
    text_sanitize(s->reply, sizeof s->reply, line);
    if (line[0] == '4' || line[0] == '5')
        snprintf(s->refusal, sizeof s->refusal, "%s", s->reply);
    return 0;
}

attache_status mail_libraries_start(attache_error *err)
{
    if (!curl_lib(NULL, err))
        return ATTACHE_ERR_INTERNAL;
    if (sodium_init() < 0)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "cannot start libsodium");
    return ATTACHE_OK;
}

attache_status mail_smtp_open(struct mail_smtp *s, const attache_mail_options *o,
                              attache_error *err)
{
    const struct curl_lib *cu = s->cu = curl_lib(NULL, err);
    CURLU *u = cu ? cu->url() : NULL;
    char *scheme = NULL, *host = NULL;
    bool loopback;
    attache_status rc = ATTACHE_OK;

    if (!cu)
        return ATTACHE_ERR_INTERNAL;
    fetch_url_shown(o->url, s->shown, sizeof s->shown);
    if (!u || cu->url_set(u, CURLUPART_URL, o->url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        cu->url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        cu->url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
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
    s->h = cu->easy_init();
    if (!s->h) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "cannot start libcurl");
        goto done;
    }
    cu->easy_setopt(s->h, CURLOPT_URL, o->url);
    cu->easy_setopt(s->h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    /* STARTTLS is a must, but to loopback: used when the server offers it */
    cu->easy_setopt(s->h, CURLOPT_USE_SSL, loopback ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_ALL);
    cu->easy_setopt(s->h, CURLOPT_SSL_VERIFYPEER, 1L);
    cu->easy_setopt(s->h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (o->cacert)
        cu->easy_setopt(s->h, CURLOPT_CAINFO, o->cacert);
    if (o->user) {
        cu->easy_setopt(s->h, CURLOPT_USERNAME, o->user);
        cu->easy_setopt(s->h, CURLOPT_PASSWORD, o->password ? o->password : "");
    }
    cu->easy_setopt(s->h, CURLOPT_UPLOAD, 1L);
    cu->easy_setopt(s->h, CURLOPT_READFUNCTION, read_upload);
    cu->easy_setopt(s->h, CURLOPT_READDATA, s);
    cu->easy_setopt(s->h, CURLOPT_ERRORBUFFER, s->errbuf);
    cu->easy_setopt(s->h, CURLOPT_VERBOSE, 1L);          /* for on_debug only */
    cu->easy_setopt(s->h, CURLOPT_DEBUGFUNCTION, on_debug);
    cu->easy_setopt(s->h, CURLOPT_DEBUGDATA, s);
    cu->easy_setopt(s->h, CURLOPT_NOSIGNAL, 1L);
    cu->easy_setopt(s->h, CURLOPT_CONNECTTIMEOUT, 10L);
    cu->easy_setopt(s->h, CURLOPT_TIMEOUT, (long)(o->timeout ? o->timeout : DEFAULT_TIMEOUT));
done:
    cu->free(scheme);
    cu->free(host);
    cu->url_cleanup(u);
    return rc;
}

/*
 * The outcome from libcurl's result and the last reply: 5xx is a refusal for
 * good, 4xx and a dropped connection are worth another try (the next run),
 * and what stops every message (connection, TLS, login) stops the mailing.
 */
enum mail_outcome mail_smtp_send(struct mail_smtp *s, const char *from, const char *to,
                                 const struct buf *msg, char *why, size_t size)
{
    struct curl_slist *rcpt = NULL;
    char envelope[300];
    long code = 0;
    CURLcode rc;

    snprintf(envelope, sizeof envelope, "<%s>", from);
    s->cu->easy_setopt(s->h, CURLOPT_MAIL_FROM, envelope);
    snprintf(envelope, sizeof envelope, "<%s>", to);
    rcpt = s->cu->slist_append(NULL, envelope);
    if (!rcpt) {
        snprintf(why, size, "out of memory");
        return MAIL_FATAL;
    }
    s->cu->easy_setopt(s->h, CURLOPT_MAIL_RCPT, rcpt);
    s->cu->easy_setopt(s->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg->len);
    s->upload = msg;
    s->sent = 0;
    s->errbuf[0] = s->reply[0] = s->refusal[0] = '\0';
    rc = s->cu->easy_perform(s->h);
    s->cu->easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
    s->cu->easy_setopt(s->h, CURLOPT_MAIL_RCPT, NULL);
    s->cu->slist_free_all(rcpt);
    if (rc == CURLE_OK) {
        snprintf(why, size, "%s", s->reply);
        return MAIL_ACCEPTED;
    }
    switch (rc) {
    case CURLE_LOGIN_DENIED:
        snprintf(why, size, "the server refused the login (%s)", s->refusal);
        return MAIL_FATAL;
    case CURLE_USE_SSL_FAILED:
        snprintf(why, size, "the server does not offer STARTTLS, and TLS is required except "
                 "to loopback (use smtps:// if it takes TLS from the start)");
        return MAIL_FATAL;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
        snprintf(why, size, "TLS: %s; for a private CA give --cacert FILE",
                 s->errbuf[0] ? s->errbuf : s->cu->easy_strerror(rc));
        return MAIL_FATAL;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        snprintf(why, size, "%s", s->errbuf[0] ? s->errbuf : s->cu->easy_strerror(rc));
        return MAIL_FATAL;
    default:
        break;
    }
    if (code >= 500 && code < 600) {
        snprintf(why, size, "%s", s->refusal[0] ? s->refusal : s->errbuf);
        return MAIL_REFUSED;
    }
    if (code >= 400 && code < 500)
        snprintf(why, size, "%s", s->refusal[0] ? s->refusal : s->errbuf);
    else
        snprintf(why, size, "%s", s->errbuf[0] ? s->errbuf : s->cu->easy_strerror(rc));
    return MAIL_FAILED;
}


void mail_smtp_close(struct mail_smtp *s)
{
    if (s->h)
        s->cu->easy_cleanup(s->h);
    s->h = NULL;
}

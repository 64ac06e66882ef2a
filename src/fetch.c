/*
 * fetch.c: remote data over HTTP(S) with libcurl (loaded when first needed,
 * libload.h).
 *
 * A fetch is a series of attempts; an attempt is a series of requests that
 * follows redirects itself (CURLOPT_FOLLOWLOCATION stays off) so that every
 * target's scheme and origin is checked here before anything is sent to it.
 * Bodies are kept in memory under a cap enforced in the write callback (it
 * sees the bytes after decompression, so a gzip bomb stops at the cap too),
 * validated as attache data, and only then returned and cached.  Nothing is
 * written anywhere but the cache, and the cache only gets validated bodies.
 *
 * Cache entries are one file each, named by the SHA-256 of the URL: a short
 * header (validators, content type, size and hash of the body) and the body,
 * written atomically with mode 0600 in a 0700 folder.  A 304 reuses the entry
 * without rewriting it; an entry whose body does not match its hash is
 * ignored.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attache.h"
#include "error.h"
#include "hash.h"
#include "fetch.h"
#include "libload.h"
#include "output.h"
#include "text.h"
#include "util.h"

#define DISCARD_MAX (256 * 1024)     /* body of a non-2xx response we read and drop */
#define CACHE_MAGIC "attache-cache 1\n"
#define CACHE_HEAD_MAX 4096
#define DEFAULT_TIMEOUT 60

/* ---- pure helpers (unit-tested) ---------------------------------------- */

long fetch_retry_after(const char *value, time_t now)
{
    const struct curl_lib *cu;
    const char *p;
    time_t when;

    if (!value)
        return -1;
    while (*value == ' ' || *value == '\t')
        value++;
    if (*value >= '0' && *value <= '9') {
        unsigned long long v = 0;

        for (p = value; *p >= '0' && *p <= '9'; p++) {
            v = v * 10 + (unsigned long long)(*p - '0');
            if (v > 1000000000ULL)
                v = 1000000000ULL;
        }
        while (*p == ' ' || *p == '\t')
            p++;
        return *p ? -1 : (long)v;
    }
    /* An HTTP date names a weekday first; curl_getdate() alone is lenient. */
    if (!((*value >= 'A' && *value <= 'Z') || (*value >= 'a' && *value <= 'z')))
        return -1;
    if (!(cu = curl_lib(NULL, NULL)))
        return -1;
    when = cu->getdate(value, NULL);
    if (when == (time_t)-1)
        return -1;
    return when > now ? (long)(when - now) : 0;
}

double fetch_backoff(unsigned retry, double base, double cap, double jitter)
{
    double d = base;
    unsigned i;

    if (base <= 0)
        return 0;
    for (i = 1; i < retry && d < cap; i++)
        d *= 2;
    if (d > cap)
        d = cap;
    if (jitter < 0)
        jitter = 0;
    if (jitter > 1)
        jitter = 1;
    return d / 2 + d / 2 * jitter;
}

/*
 * URLs are read by libcurl's own parser, the one that will use them, so
 * that what is checked (scheme, host, credentials) is what is requested:
 * curl takes "http:/u:p@h/" and "http:///u:p@h/" as "http://u:p@h/", which
 * a search for "://" would not.
 */
static CURLU *parse_url(const struct curl_lib *cu, const char *url)
{
    CURLU *u = cu ? cu->url() : NULL;

    if (u && cu->url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
        cu->url_cleanup(u);
        u = NULL;
    }
    return u;
}

/* Whether the parsed URL has a part set (and not empty). */
static bool has_part(const struct curl_lib *cu, CURLU *u, CURLUPart what)
{
    char *v = NULL;
    bool yes = cu->url_get(u, what, &v, 0) == CURLUE_OK && v && *v;

    cu->free(v);
    return yes;
}

/* Whether the parsed URL carries a login: a user, a password or login options. */
static bool has_login(const struct curl_lib *cu, CURLU *u)
{
    return has_part(cu, u, CURLUPART_USER) || has_part(cu, u, CURLUPART_PASSWORD) ||
           has_part(cu, u, CURLUPART_OPTIONS);
}

/*
 * For text libcurl cannot parse (and so never requests): where what might
 * be an authority starts and ends, after "scheme:" and any slashes, so
 * that anything before an '@' in it can be left out of messages.
 */
static bool rough_authority(const char *url, const char **start, const char **end)
{
    size_t n = strcspn(url, ":/?#");

    if (n == 0 || url[n] != ':')
        return false;
    *start = url + n + 1;
    while (**start == '/' || **start == '\\')
        (*start)++;
    *end = *start + strcspn(*start, "/\\?#");
    return true;
}

static const char *userinfo_end(const char *start, const char *end)
{
    const char *at = NULL, *p;

    for (p = start; p < end; p++)
        if (*p == '@')
            at = p;
    return at;
}

bool fetch_url_has_userinfo(const char *url)
{
    const struct curl_lib *cu = curl_lib(NULL, NULL);
    CURLU *u = parse_url(cu, url);
    const char *s, *e;
    bool yes;

    if (!u)
        return rough_authority(url, &s, &e) && userinfo_end(s, e);
    yes = has_login(cu, u);
    cu->url_cleanup(u);
    return yes;
}

void fetch_url_shown(const char *url, char *out, size_t size)
{
    const struct curl_lib *cu = curl_lib(NULL, NULL);
    CURLU *u;
    const char *s, *e, *at;
    char *text = NULL;
    struct buf b = {0};
    size_t n;

    if (!size)
        return;
    /* what libcurl would send as credentials is taken out by libcurl's parser */
    u = parse_url(cu, url);
    if (u && has_login(cu, u) &&
        cu->url_set(u, CURLUPART_USER, NULL, 0) == CURLUE_OK &&
        cu->url_set(u, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
        cu->url_set(u, CURLUPART_OPTIONS, NULL, 0) == CURLUE_OK &&
        cu->url_set(u, CURLUPART_FRAGMENT, NULL, 0) == CURLUE_OK &&
        cu->url_get(u, CURLUPART_URL, &text, 0) == CURLUE_OK && text) {
        text_sanitize(out, size, text);
        cu->free(text);
        cu->url_cleanup(u);
        return;
    }
    if (u)
        cu->url_cleanup(u);
    /* otherwise as written, less the fragment and, in text libcurl cannot
       parse, anything before an '@' in what may be its authority */
    if (rough_authority(url, &s, &e) && (at = userinfo_end(s, e)) != NULL) {
        buf_add(&b, url, (size_t)(s - url));
        buf_adds(&b, at + 1);
    } else
        buf_adds(&b, url);
    if (b.data) {
        b.data[strcspn(b.data, "#")] = '\0';
        text_sanitize(out, size, b.data);
    } else {
        n = strcspn(url, "#");
        snprintf(out, size, "%.*s", (int)(n < 400 ? n : 400), url);
    }
    buf_release(&b);
}

/* Scheme and host names are ASCII and compare without case. */
static void ascii_lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s + ('a' - 'A'));
}

/* Scheme (lower case), host (lower case) and port of an absolute URL. */
static bool url_parts(const char *url, char *scheme, size_t ssize, char *host, size_t hsize,
                      long *port)
{
    const struct curl_lib *cu = curl_lib(NULL, NULL);
    CURLU *u = parse_url(cu, url);
    char *sc = NULL, *ho = NULL, *po = NULL;
    bool ok = false;

    if (!u)
        return false;
    if (cu->url_get(u, CURLUPART_SCHEME, &sc, 0) != CURLUE_OK)
        goto done;
    snprintf(scheme, ssize, "%s", sc);
    ascii_lower(scheme);
    if (host) {
        if (cu->url_get(u, CURLUPART_HOST, &ho, 0) != CURLUE_OK)
            goto done;
        snprintf(host, hsize, "%s", ho);
        ascii_lower(host);
    }
    if (port) {
        if (cu->url_get(u, CURLUPART_PORT, &po, CURLU_DEFAULT_PORT) != CURLUE_OK)
            goto done;
        *port = strtol(po, NULL, 10);
    }
    ok = true;
done:
    cu->free(sc);
    cu->free(ho);
    cu->free(po);
    cu->url_cleanup(u);
    return ok;
}

bool fetch_same_origin(const char *a, const char *b)
{
    char sa[16], sb[16], ha[256], hb[256];
    long pa, pb;

    return url_parts(a, sa, sizeof sa, ha, sizeof ha, &pa) &&
           url_parts(b, sb, sizeof sb, hb, sizeof hb, &pb) && !strcmp(sa, sb) &&
           !strcmp(ha, hb) && pa == pb;
}

bool fetch_host_is_loopback(const char *host)
{
    char h[64];
    unsigned char addr[16];
    size_t n = strlen(host);

    if (!strcasecmp(host, "localhost") || !strcasecmp(host, "localhost."))
        return true;
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        if (n - 2 >= sizeof h)
            return false;
        memcpy(h, host + 1, n - 2);
        h[n - 2] = '\0';
    } else
        snprintf(h, sizeof h, "%s", host);
    if (inet_pton(AF_INET, h, addr) == 1)
        return addr[0] == 127;
    if (inet_pton(AF_INET6, h, addr) == 1) {
        static const unsigned char v6_loopback[16] = {[15] = 1};
        static const unsigned char v4_mapped[12] = {[10] = 0xff, [11] = 0xff};

        return !memcmp(addr, v6_loopback, 16) ||
               (!memcmp(addr, v4_mapped, 12) && addr[12] == 127);
    }
    return false;
}

/* ---- state of one fetch ------------------------------------------------- */

struct cache_entry {
    unsigned char *file;          /* the whole file (free()) */
    char *etag, *last_modified, *content_type;   /* point into `file` */
    const unsigned char *body;
    size_t size;
};

struct fetch {
    const char *url;                   /* as given */
    const attache_fetch_options *o;
    attache_data_options dopts;        /* the caller's, with our on_error */
    const attache_data_options *user_dopts;
    attache_error first;               /* the first validation error */
    bool have_first;
    char shown[512];                   /* url without credentials */
    char cache_name[2 * crypto_hash_sha256_BYTES + 8];
    bool credentials;                  /* token, headers or userinfo are sent */
    unsigned timeout;            /* seconds for the whole fetch: the option, or its default */
    double started, deadline;
    attache_fetch_info *info;

    const struct curl_lib *cu;         /* libcurl, loaded for the first request */

    /* the current request */
    CURL *h;
    unsigned requests;                 /* made with h so far */
    char errbuf[CURL_ERROR_SIZE];
    struct buf body;
    bool status_known, keep, too_large, discard_abort, no_memory;
    size_t discarded;
    double request_started;

    struct cache_entry cache;
    bool have_cache;
};

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void event(struct fetch *f, attache_fetch_event *ev)
{
    if (!f->o->on_event)
        return;
    ev->url = f->shown;
    f->o->on_event(f->o->ctx, ev);
}

static void notice(struct fetch *f, const char *fmt, ...) ATTACHE_PRINTF(2, 3);
static void notice(struct fetch *f, const char *fmt, ...)
{
    attache_fetch_event ev = {.kind = ATTACHE_FETCH_NOTICE};
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ev.message = msg;
    event(f, &ev);
}

/* ---- libcurl callbacks ------------------------------------------------ */

/* The body, capped; a non-2xx body is read (a little) and dropped. */
static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ctx)
{
    struct fetch *f = ctx;
    size_t n = size * nmemb;

    if (!f->status_known) {
        long code = 0;

        f->cu->easy_getinfo(f->h, CURLINFO_RESPONSE_CODE, &code);
        f->keep = code >= 200 && code < 300;
        f->status_known = true;
    }
    if (!f->keep) {
        f->discarded += n;
        if (f->discarded <= DISCARD_MAX)
            return n;
        f->discard_abort = true;
        return CURL_WRITEFUNC_ERROR;
    }
    if (n > f->o->max_size - f->body.len) {
        f->too_large = true;
        return CURL_WRITEFUNC_ERROR;
    }
    if (!buf_add(&f->body, ptr, n)) {
        f->no_memory = true;
        return CURL_WRITEFUNC_ERROR;
    }
    return n;
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    struct fetch *f = ctx;
    attache_fetch_event ev = {.kind = ATTACHE_FETCH_PROGRESS};

    (void)ultotal;
    (void)ulnow;
    if (!f->keep || dlnow <= 0)
        return 0;
    ev.received = (uint64_t)dlnow;
    ev.total = dltotal > 0 ? (uint64_t)dltotal : 0;
    ev.seconds = now_seconds() - f->request_started;
    event(f, &ev);
    return 0;
}

/* A response header's value, or NULL. */
static const char *header(struct fetch *f, const char *name)
{
    struct curl_header *hh;

    if (f->cu->easy_header(f->h, name, 0, CURLH_HEADER, -1, &hh) != CURLHE_OK)
        return NULL;
    return hh->value;
}

/* Whether a header value may be stored and sent back: printable ASCII only. */
static bool clean_value(const char *v)
{
    if (!v || !*v || strlen(v) > 512)
        return false;
    for (; *v; v++)
        if ((unsigned char)*v < 0x20 || (unsigned char)*v > 0x7e)
            return false;
    return true;
}

/* ---- cache ---------------------------------------------------------- */

static void cache_entry_release(struct cache_entry *c)
{
    free(c->file);
    memset(c, 0, sizeof *c);
}

/* Read and check the entry for this URL; false when there is none usable. */
static bool cache_load(struct fetch *f, struct cache_entry *c)
{
    char path[4096], *p, *end, sum[2 * crypto_hash_sha256_BYTES + 1];
    unsigned char *data = NULL;
    size_t len = 0, want_size = 0;
    const char *want_sum = NULL;
    attache_error ignored;
    struct stat st;

    memset(c, 0, sizeof *c);
    if (!f->o->cache_dir)
        return false;
    snprintf(path, sizeof path, "%s/%s", f->o->cache_dir, f->cache_name);
    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
        attache_read_input(path, f->o->max_size + CACHE_HEAD_MAX, &data, &len, &ignored) !=
            ATTACHE_OK)
        return false;
    if (len < strlen(CACHE_MAGIC) || memcmp(data, CACHE_MAGIC, strlen(CACHE_MAGIC)))
        goto bad;
    end = memmem(data, len < CACHE_HEAD_MAX ? len : CACHE_HEAD_MAX, "\n\n", 2);
    if (!end)
        goto bad;
    *end = '\0';
    c->file = data;
    c->body = (unsigned char *)end + 2;
    c->size = len - (size_t)(c->body - data);
    for (p = (char *)data + strlen(CACHE_MAGIC); p && *p;) {
        char *nl = strchr(p, '\n'), *colon;

        if (nl)
            *nl = '\0';
        colon = strstr(p, ": ");
        if (colon) {
            *colon = '\0';
            if (!strcmp(p, "etag"))
                c->etag = colon + 2;
            else if (!strcmp(p, "last-modified"))
                c->last_modified = colon + 2;
            else if (!strcmp(p, "content-type"))
                c->content_type = colon + 2;
            else if (!strcmp(p, "size"))
                want_size = (size_t)strtoull(colon + 2, NULL, 10);
            else if (!strcmp(p, "sha256"))
                want_sum = colon + 2;
        }
        p = nl ? nl + 1 : NULL;
    }
    hash_sha256_hex(c->body, c->size, sum);
    if (want_size != c->size || !want_sum || strcmp(want_sum, sum) ||
        (c->etag && !clean_value(c->etag)) ||
        (c->last_modified && !clean_value(c->last_modified)))
        goto bad;
    return true;
bad:
    free(data);
    memset(c, 0, sizeof *c);
    return false;
}

/* Keep a validated body.  Failing to is not an error: it is only said. */
static void cache_store(struct fetch *f, const unsigned char *body, size_t size)
{
    const char *etag = header(f, "ETag"), *lm = header(f, "Last-Modified");
    char sum[2 * crypto_hash_sha256_BYTES + 1];
    struct buf head = {0};
    int dirfd = -1;

    if (!f->o->cache_dir)
        return;
    hash_sha256_hex(body, size, sum);
    buf_adds(&head, CACHE_MAGIC);
    buf_addf(&head, "url: %s\n", f->shown);
    if (clean_value(etag))
        buf_addf(&head, "etag: %s\n", etag);
    if (clean_value(lm))
        buf_addf(&head, "last-modified: %s\n", lm);
    if (clean_value(f->info->content_type))
        buf_addf(&head, "content-type: %s\n", f->info->content_type);
    buf_addf(&head, "size: %zu\nsha256: %s\n\n", size, sum);
    if (head.failed) {
        notice(f, "the cache was not written: out of memory");
        goto done;
    }
    if (head.len > CACHE_HEAD_MAX) {
        notice(f, "the cache was not written: its validators are too long");
        goto done;
    }
    {
        struct part parts[2] = {{head.data, head.len}, {body, size}};
        attache_error e;

        attache_error_clear(&e);
        if (make_folders(f->o->cache_dir, 0700, &e) != ATTACHE_OK) {
            notice(f, "the cache in '%s' was not written: %s", f->o->cache_dir, e.message);
            goto done;
        }
        if ((dirfd = open(f->o->cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
            notice(f, "the cache in '%s' was not written: %s", f->o->cache_dir,
                   strerror(errno));
            goto done;
        }
        if (write_parts_at(dirfd, f->cache_name, parts, 2, 0600, f->cache_name, &e) !=
            ATTACHE_OK)
            notice(f, "the cache in '%s' was not written: %s", f->o->cache_dir, e.message);
    }
done:
    if (dirfd >= 0)
        close(dirfd);
    buf_release(&head);
}

static void cache_forget(struct fetch *f)
{
    char path[4096];

    snprintf(path, sizeof path, "%s/%s", f->o->cache_dir, f->cache_name);
    unlink(path);
}

/* ---- validation --------------------------------------------------------- */

static void on_data_error(void *ctx, const attache_error *e)
{
    struct fetch *f = ctx;

    if (!f->have_first) {
        f->first = *e;
        f->have_first = true;
    }
    if (f->user_dopts && f->user_dopts->on_error)
        f->user_dopts->on_error(f->user_dopts->on_error_ctx, e);
}

/*
 * Validate `bytes` as attache data.  With `out`, the loaded data is handed
 * back; otherwise it is freed.
 */
static attache_status validate(struct fetch *f, const unsigned char *bytes, size_t size,
                               attache_data **out, attache_error *err)
{
    attache_error e;
    attache_data *d;

    attache_error_clear(&e);
    f->have_first = false;
    d = attache_data_load(bytes, size, &f->dopts, &e);
    if (d) {
        if (out)
            *out = d;
        else
            attache_data_free(d);
        return ATTACHE_OK;
    }
    if (e.code != ATTACHE_ERR_DATA) {
        *err = e;
        return e.code ? e.code : ATTACHE_ERR_INTERNAL;
    }
    if (!f->have_first) {
        f->first = e;
        f->have_first = true;
    }
    if (f->first.line)
        return err_set(err, ATTACHE_ERR_DATA, f->shown, 0,
                       "not attache data (Content-Type %s): line %lu: %s",
                       f->info->content_type[0] ? f->info->content_type : "not given",
                       f->first.line, f->first.message);
    return err_set(err, ATTACHE_ERR_DATA, f->shown, 0, "not attache data (Content-Type %s): %s",
                   f->info->content_type[0] ? f->info->content_type : "not given",
                   f->first.message);
}

/* Use the cached copy (offline, or the server said it is current), if it is valid data. */
static attache_status use_cached(struct fetch *f, attache_data **data, attache_error *err)
{
    attache_status rc;

    snprintf(f->info->content_type, sizeof f->info->content_type, "%s",
             f->cache.content_type ? f->cache.content_type : "");
    rc = validate(f, f->cache.body, f->cache.size, data, err);
    if (rc == ATTACHE_OK)
        f->info->from_cache = true;
    return rc;
}

/* ---- requests ------------------------------------------------------------ */

/*
 * Whether `url` may be requested: http or https, plain http only to loopback
 * (or with allow_http), credentials never over plain http to another host
 * nor, on a redirect, to another origin.
 */
static attache_status check_target(struct fetch *f, const char *url, bool redirect,
                                   attache_error *err)
{
    char scheme[16], host[256], shown[512];
    long port;

    fetch_url_shown(url, shown, sizeof shown);
    if (!url_parts(url, scheme, sizeof scheme, NULL, 0, NULL)) {
        if (redirect)
            return err_set(err, ATTACHE_ERR_UNAVAILABLE, f->shown, 0,
                           "redirect to a malformed URL '%s' refused", shown);
        return err_set(err, ATTACHE_ERR_USAGE, f->shown, 0, "not a URL");
    }
    if (strcmp(scheme, "http") && strcmp(scheme, "https")) {
        if (redirect)
            return err_set(err, ATTACHE_ERR_UNAVAILABLE, f->shown, 0,
                           "redirect to '%s' refused: only http and https are followed",
                           shown);
        return err_set(err, ATTACHE_ERR_USAGE, f->shown, 0,
                       "only http and https URLs can be fetched");
    }
    if (!url_parts(url, scheme, sizeof scheme, host, sizeof host, &port) || !host[0])
        return err_set(err, redirect ? ATTACHE_ERR_UNAVAILABLE : ATTACHE_ERR_USAGE, f->shown, 0,
                       "%s '%s' has no host", redirect ? "redirect target" : "URL", shown);
    if (!strcmp(scheme, "http") && !fetch_host_is_loopback(host)) {
        if (!f->o->allow_http)
            return err_set(err, ATTACHE_ERR_UNAVAILABLE, f->shown, 0,
                           "%s%s: plain http is refused except to loopback "
                           "(use https, or give --allow-http)",
                           redirect ? "redirect to " : "", redirect ? shown : "refused");
        if (f->credentials)
            return err_set(err, ATTACHE_ERR_UNAVAILABLE, f->shown, 0,
                           "%s%s: credentials are never sent over plain http",
                           redirect ? "redirect to " : "", redirect ? shown : "refused");
    }
    if (redirect && f->credentials && !fetch_same_origin(f->url, url))
        return err_set(err, ATTACHE_ERR_UNAVAILABLE, f->shown, 0,
                       "redirect to another origin '%s' refused: the request carries "
                       "credentials (a token, --header or a user name in the URL)",
                       shown);
    return ATTACHE_OK;
}

static struct curl_slist *add_header(const struct curl_lib *cu, struct curl_slist *l,
                                     const char *h, bool *ok)
{
    struct curl_slist *n = cu->slist_append(l, h);

    if (!n)
        *ok = false;
    return n ? n : l;
}

/* Free a header list, wiping it first: it may hold the token. */
static void free_headers(const struct curl_lib *cu, struct curl_slist *l)
{
    struct curl_slist *p;

    for (p = l; p; p = p->next)
        sodium_memzero(p->data, strlen(p->data));
    cu->slist_free_all(l);
}

/* The request headers for `url`: credentials only to the first URL's origin. */
static struct curl_slist *request_headers(struct fetch *f, const char *url, bool conditional,
                                          bool *ok)
{
    struct curl_slist *l = NULL;
    bool own_origin = !strcmp(url, f->url) || fetch_same_origin(f->url, url);
    size_t i;

    *ok = true;
    l = add_header(f->cu, l, "Accept: application/xml, text/xml;q=0.9, */*;q=0.1", ok);
    if (own_origin && f->o->token) {
        struct buf b = {0};

        if (buf_addf(&b, "Authorization: Bearer %s", f->o->token))
            l = add_header(f->cu, l, b.data, ok);
        else
            *ok = false;
        if (b.data)
            sodium_memzero(b.data, b.len);
        buf_release(&b);
    }
    if (own_origin)
        for (i = 0; i < f->o->n_headers; i++)
            l = add_header(f->cu, l, f->o->headers[i], ok);
    if (conditional && f->have_cache) {
        struct buf b = {0};

        if (f->cache.etag && buf_addf(&b, "If-None-Match: %s", f->cache.etag))
            l = add_header(f->cu, l, b.data, ok);
        buf_reset(&b);
        if (f->cache.last_modified &&
            buf_addf(&b, "If-Modified-Since: %s", f->cache.last_modified))
            l = add_header(f->cu, l, b.data, ok);
        buf_release(&b);
    }
    return l;
}

/* The options every request of a fetch shares. */
static attache_status setup(struct fetch *f, attache_error *err)
{
    const attache_fetch_options *o = f->o;
    CURLcode rc = CURLE_OK;

#define SET(opt, val) do { if (rc == CURLE_OK) rc = f->cu->easy_setopt(f->h, opt, val); } while (0)
    SET(CURLOPT_ERRORBUFFER, f->errbuf);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (o->cacert)
        SET(CURLOPT_CAINFO, o->cacert);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, f);
    SET(CURLOPT_XFERINFOFUNCTION, on_progress);
    SET(CURLOPT_XFERINFODATA, f);
    SET(CURLOPT_NOPROGRESS, 0L);
    /* Decoding is safe: the cap in on_body() counts the decoded bytes. */
    SET(CURLOPT_ACCEPT_ENCODING, "");
    /* Only an early "no" for a declared length; on_body() is the real cap. */
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_size);
    SET(CURLOPT_LOW_SPEED_LIMIT, (long)o->low_speed_limit);
    SET(CURLOPT_LOW_SPEED_TIME, (long)o->low_speed_time);
    SET(CURLOPT_USERAGENT, "attache/" ATTACHE_VERSION);
    SET(CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
#undef SET
    if (rc == CURLE_OK)
        return ATTACHE_OK;
    return err_set(err, ATTACHE_ERR_INTERNAL, f->shown, 0, "libcurl: %s",
                   f->cu->easy_strerror(rc));
}

enum outcome {
    GOT_BODY,       /* 2xx, body in f->body */
    NOT_MODIFIED,   /* 304 */
    REDIRECT,       /* *next holds the target */
    RETRY,          /* worth another attempt; reason in `why`, *retry_after or -1 */
    FAILED          /* err is filled */
};

/* Why a transfer failed, in words; whether another attempt might work. */
static bool transport_reason(struct fetch *f, CURLcode cc, char *why, size_t size)
{
    const char *detail = f->errbuf[0] ? f->errbuf : f->cu->easy_strerror(cc);

    switch (cc) {
    case CURLE_OPERATION_TIMEDOUT:
        if (now_seconds() >= f->deadline - 0.5) {
            snprintf(why, size, "timed out after %u s (see --timeout)", f->timeout);
            return false;
        }
        if (strstr(detail, "too slow")) {
            snprintf(why, size, "too slow: under %u bytes/s for %u s", f->o->low_speed_limit,
                     f->o->low_speed_time);
            return true;
        }
        snprintf(why, size, "timed out: %s", detail);
        return true;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
        snprintf(why, size, "cannot connect: %s", detail);
        return true;
    case CURLE_PARTIAL_FILE:
        snprintf(why, size, "the connection closed before the whole body arrived (%s)", detail);
        return true;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        snprintf(why, size, "the connection failed: %s", detail);
        return true;
    case CURLE_PEER_FAILED_VERIFICATION:
        snprintf(why, size, "TLS: the server's certificate is not trusted (%s); for a "
                            "private CA give --cacert FILE", detail);
        return false;
    case CURLE_SSL_CACERT_BADFILE:
        snprintf(why, size, "TLS: the CA certificates cannot be used (%s)", detail);
        return false;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_SHUTDOWN_FAILED:
        snprintf(why, size, "TLS: %s", detail);
        return false;
    case CURLE_BAD_CONTENT_ENCODING:
        snprintf(why, size, "the body cannot be decoded: %s", detail);
        return false;
    default:
        snprintf(why, size, "%s", detail);
        return false;
    }
}

static attache_status too_large(struct fetch *f, attache_error *err)
{
    return err_set(err, ATTACHE_ERR_UNAVAILABLE, f->shown, 0,
                   "the body is larger than the limit of %zu bytes (see --max-size)",
                   f->o->max_size);
}

/* One request to `url`; what came of it. */
/*
 * Every request after a fetch's first gets a handle of its own.  libcurl
 * 7.88 (Debian 12's) reads freed memory when a response's first header
 * line is folded (starts with a space) after a response on the same
 * handle had headers: a retry or a redirect to a hostile server would do
 * it.  Retries and redirects are rare; the connection they might have
 * reused is the price.
 */
static bool fresh_handle(struct fetch *f, attache_error *err)
{
    if (f->requests++ == 0)
        return true;
    f->cu->easy_cleanup(f->h);
    f->h = f->cu->easy_init();
    if (!f->h) {
        err_set(err, ATTACHE_ERR_INTERNAL, f->shown, 0, "libcurl cannot start");
        return false;
    }
    return setup(f, err) == ATTACHE_OK;
}

static enum outcome request(struct fetch *f, const char *url, bool conditional, char **next,
                            char *why, size_t why_size, long *retry_after, attache_error *err)
{
    struct curl_slist *hdrs;
    double left = f->deadline - now_seconds();
    long status = 0, connect_ms;
    const char *ct = NULL, *ra;
    char *location = NULL, scheme[16], host[256];
    CURLU *parsed;
    CURLcode cc;
    bool ok, loopback;

    *retry_after = -1;
    if (left < 0.05) {
        snprintf(why, why_size, "timed out after %u s (see --timeout)", f->timeout);
        err_set(err, ATTACHE_ERR_UNAVAILABLE, f->shown, 0, "%s", why);
        return FAILED;
    }
    if (!fresh_handle(f, err))
        return FAILED;
    hdrs = request_headers(f, url, conditional, &ok);
    if (!ok) {
        free_headers(f->cu, hdrs);
        err_set(err, ATTACHE_ERR_INTERNAL, f->shown, 0, "out of memory");
        return FAILED;
    }
    connect_ms = (long)f->o->connect_timeout * 1000;
    if (connect_ms > (long)(left * 1000))
        connect_ms = (long)(left * 1000);
    buf_reset(&f->body);
    f->status_known = f->keep = f->too_large = f->discard_abort = f->no_memory = false;
    f->discarded = 0;
    f->errbuf[0] = '\0';
    f->request_started = now_seconds();
    parsed = parse_url(f->cu, url);
    /*
     * Loopback is never reached through a proxy: plain http is allowed
     * there, with a token, only because it does not leave the machine.
     */
    loopback = url_parts(url, scheme, sizeof scheme, host, sizeof host, NULL) &&
               fetch_host_is_loopback(host);
    if (!parsed || f->cu->easy_setopt(f->h, CURLOPT_CURLU, parsed) != CURLE_OK ||
        f->cu->easy_setopt(f->h, CURLOPT_NOPROXY, loopback ? "*" : NULL) != CURLE_OK ||
        f->cu->easy_setopt(f->h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
        f->cu->easy_setopt(f->h, CURLOPT_TIMEOUT_MS, (long)(left * 1000)) != CURLE_OK ||
        f->cu->easy_setopt(f->h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms > 1 ? connect_ms : 1L) !=
            CURLE_OK) {
        free_headers(f->cu, hdrs);
        f->cu->easy_setopt(f->h, CURLOPT_CURLU, NULL);
        f->cu->url_cleanup(parsed);
        err_set(err, ATTACHE_ERR_INTERNAL, f->shown, 0, "libcurl refused the request options");
        return FAILED;
    }
    cc = f->cu->easy_perform(f->h);
    f->cu->easy_setopt(f->h, CURLOPT_HTTPHEADER, NULL);
    f->cu->easy_setopt(f->h, CURLOPT_CURLU, NULL);
    f->cu->url_cleanup(parsed);
    free_headers(f->cu, hdrs);
    f->cu->easy_getinfo(f->h, CURLINFO_RESPONSE_CODE, &status);
    f->info->status = status;

    if (f->too_large || cc == CURLE_FILESIZE_EXCEEDED) {
        too_large(f, err);
        return FAILED;
    }
    if (f->no_memory) {
        err_set(err, ATTACHE_ERR_INTERNAL, f->shown, 0, "out of memory");
        return FAILED;
    }
    if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && f->discard_abort)) {
        if (transport_reason(f, cc, why, why_size))
            return RETRY;
        err_set(err, ATTACHE_ERR_UNAVAILABLE, f->shown, 0, "%s", why);
        return FAILED;
    }
    if (status >= 200 && status < 300) {
        if (f->cu->easy_getinfo(f->h, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
            text_sanitize(f->info->content_type, sizeof f->info->content_type, ct);
        else
            f->info->content_type[0] = '\0';
        return GOT_BODY;
    }
    if (status == 304) {
        if (conditional && f->have_cache)
            return NOT_MODIFIED;
        err_set(err, ATTACHE_ERR_UNAVAILABLE, f->shown, 0,
                "HTTP 304 (not modified) but nothing was cached");
        return FAILED;
    }
    if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
        if (f->cu->easy_getinfo(f->h, CURLINFO_REDIRECT_URL, &location) != CURLE_OK ||
            !location) {
            err_set(err, ATTACHE_ERR_UNAVAILABLE, f->shown, 0,
                    "HTTP %ld redirect without a usable Location", status);
            return FAILED;
        }
        *next = strdup(location);
        if (!*next) {
            err_set(err, ATTACHE_ERR_INTERNAL, f->shown, 0, "out of memory");
            return FAILED;
        }
        return REDIRECT;
    }
    snprintf(why, why_size, "HTTP %ld", status);
    if (status == 429 || (status >= 500 && status <= 599)) {
        ra = header(f, "Retry-After");
        if (ra) {
            *retry_after = fetch_retry_after(ra, time(NULL));
        }
        return RETRY;
    }
    err_set(err, ATTACHE_ERR_UNAVAILABLE, f->shown, 0, "HTTP %ld", status);
    return FAILED;
}

/* Sleep `seconds`, through signals. */
static void pause_for(double seconds)
{
    struct timespec ts, rem;

    if (seconds <= 0)
        return;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &rem) < 0 && errno == EINTR)
        ts = rem;
}

/*
 * Get a validated body: attempts with retries, each following redirects.
 * On success the body is in f->body (downloaded) or taken from the cache
 * (*from_cache), and *data holds the loaded data when `data` is given.
 */
static attache_status download(struct fetch *f, attache_data **data, attache_error *err)
{
    const attache_fetch_options *o = f->o;
    bool conditional = f->have_cache;
    unsigned retry = 0;
    char why[600] = "";
    attache_status rc;

    for (;;) {
        char *cur = NULL, *next = NULL;
        const char *url = f->url;
        enum outcome out;
        long retry_after = -1;
        unsigned hops = 0;
        double wait;

        for (;;) {
            rc = check_target(f, url, hops > 0, err);
            if (rc != ATTACHE_OK) {
                free(cur);
                return rc;
            }
            next = NULL;
            out = request(f, url, conditional, &next, why, sizeof why, &retry_after, err);
            if (out != REDIRECT)
                break;
            free(cur);
            url = cur = next;
            f->info->redirects = ++hops;
            if (hops > o->max_redirects) {
                free(cur);
                return err_set(err, ATTACHE_ERR_UNAVAILABLE, f->shown, 0,
                               "more than %u redirects", o->max_redirects);
            }
        }
        free(cur);
        switch (out) {
        case GOT_BODY:
            rc = validate(f, (unsigned char *)f->body.data, f->body.len, data, err);
            if (rc == ATTACHE_OK)
                cache_store(f, (unsigned char *)f->body.data, f->body.len);
            return rc;
        case NOT_MODIFIED:
            if ((rc = use_cached(f, data, err)) == ATTACHE_OK)
                return rc;
            /* The cached copy went bad: ask again for the whole body, once. */
            notice(f, "the cached copy is not valid data; downloading it again");
            cache_forget(f);
            conditional = false;
            continue;
        case FAILED:
            return err->code;
        case REDIRECT:
        case RETRY:
            break;
        }
        if (retry >= o->retries)
            break;
        retry++;
        if (retry_after >= 0)
            wait = (double)retry_after < o->max_wait ? (double)retry_after : o->max_wait;
        else
            wait = fetch_backoff(retry, o->retry_delay, o->max_wait,
                                 (double)randombytes_uniform(1001) / 1000.0);
        if (now_seconds() + wait >= f->deadline) {
            return err_set(err, ATTACHE_ERR_UNAVAILABLE, f->shown, 0,
                           "%s; no time left for retry %u within --timeout %u s", why, retry,
                           f->timeout);
        }
        {
            attache_fetch_event ev = {.kind = ATTACHE_FETCH_RETRY};
            char what[700];

            if (retry_after >= 0)
                snprintf(what, sizeof what, "%s, Retry-After %ld s", why, retry_after);
            else
                snprintf(what, sizeof what, "%s", why);
            ev.message = what;
            ev.wait = wait;
            ev.retry = retry;
            ev.retries = o->retries;
            event(f, &ev);
        }
        pause_for(wait);
        f->info->retries = retry;
    }
    if (retry)
        return err_set(err, ATTACHE_ERR_UNAVAILABLE, f->shown, 0, "%s after %u retr%s", why,
                       retry, retry == 1 ? "y" : "ies");
    return err_set(err, ATTACHE_ERR_UNAVAILABLE, f->shown, 0, "%s", why);
}

/* ---- public interface ------------------------------------------------------ */


void attache_fetch_options_init(attache_fetch_options *o)
{
    memset(o, 0, sizeof *o);
    o->timeout = DEFAULT_TIMEOUT;
    o->connect_timeout = 10;
    o->low_speed_limit = 1024;
    o->low_speed_time = 15;
    o->max_size = ATTACHE_DEFAULT_MAX_SIZE;
    o->retries = 3;
    o->retry_delay = 1.0;
    o->max_wait = 30;
    o->max_redirects = 5;
}

/* Check what cannot be sent: header lines and the token must be one line each. */
static attache_status check_options(struct fetch *f, attache_error *err)
{
    const attache_fetch_options *o = f->o;
    size_t i;

    if (o->token) {
        const unsigned char *p = (const unsigned char *)o->token;

        while (*p >= 0x20 && *p != 0x7f)
            p++;
        if (*p || !*o->token || strlen(o->token) > 8192)
            return err_set(err, ATTACHE_ERR_USAGE, f->shown, 0,
                           "the token is empty, too long or has control characters");
    }
    for (i = 0; i < o->n_headers; i++) {
        const char *h = o->headers[i], *colon = strchr(h, ':');

        if (!colon || colon == h || strpbrk(h, "\r\n") || strcspn(h, " \t") < (size_t)(colon - h))
            return err_set(err, ATTACHE_ERR_USAGE, f->shown, 0,
                           "header %zu is not one line of the form 'Name: value'", i + 1);
    }
    if (o->offline && !o->cache_dir)
        return err_set(err, ATTACHE_ERR_USAGE, f->shown, 0, "offline without a cache");
    if (o->max_size == 0)
        return err_set(err, ATTACHE_ERR_USAGE, f->shown, 0, "the size limit is 0");
    return ATTACHE_OK;
}

/*
 * The common part of attache_fetch() and attache_fetch_data(): on success
 * either *body and *size (when `body` is given) or *data hold the result.
 */
static attache_status fetch_run(const char *url, const attache_fetch_options *opts,
                                const attache_data_options *dopts, unsigned char **body,
                                size_t *size, attache_data **data, attache_fetch_info *info,
                                attache_error *err)
{
    attache_fetch_options defaults;
    attache_fetch_info local_info;
    unsigned char digest[crypto_hash_sha256_BYTES];
    struct fetch f;
    attache_status rc = ATTACHE_OK;

    memset(&f, 0, sizeof f);
    if (!opts) {
        attache_fetch_options_init(&defaults);
        opts = &defaults;
    }
    f.url = url;
    f.o = opts;
    f.info = info ? info : &local_info;
    memset(f.info, 0, sizeof *f.info);
    fetch_url_shown(url, f.shown, sizeof f.shown);
    /* libcurl reads the URL too, offline or not */
    if (!(f.cu = curl_lib(f.shown, err)))
        return ATTACHE_ERR_INTERNAL;
    f.user_dopts = dopts;
    if (dopts)
        f.dopts = *dopts;
    if (!f.dopts.name)
        f.dopts.name = f.shown;
    f.dopts.on_error = on_data_error;
    f.dopts.on_error_ctx = &f;
    f.credentials = opts->token || opts->n_headers || fetch_url_has_userinfo(url);
    crypto_hash_sha256(digest, (const unsigned char *)url, strlen(url));
    sodium_bin2hex(f.cache_name, 2 * 16 + 1, digest, 16);
    memcpy(f.cache_name + 32, ".xml", 5);
    f.timeout = opts->timeout ? opts->timeout : DEFAULT_TIMEOUT;
    f.started = now_seconds();
    f.deadline = f.started + f.timeout;

    if ((rc = check_options(&f, err)) != ATTACHE_OK ||
        (rc = check_target(&f, url, false, err)) != ATTACHE_OK)
        goto done;
    f.have_cache = cache_load(&f, &f.cache);
    if (opts->offline) {
        if (!f.have_cache) {
            rc = err_set(err, ATTACHE_ERR_UNAVAILABLE, f.shown, 0,
                         "not in the cache (offline: nothing is downloaded)");
            goto done;
        }
        if ((rc = use_cached(&f, data, err)) != ATTACHE_OK)
            goto done;
    } else {
        if (sodium_init() < 0) {      /* for the jitter of retry waits */
            rc = err_set(err, ATTACHE_ERR_INTERNAL, f.shown, 0, "libsodium cannot start");
            goto done;
        }
        f.h = f.cu->easy_init();
        if (!f.h) {
            rc = err_set(err, ATTACHE_ERR_INTERNAL, f.shown, 0, "libcurl cannot start");
            goto done;
        }
        if ((rc = setup(&f, err)) != ATTACHE_OK || (rc = download(&f, data, err)) != ATTACHE_OK)
            goto done;
    }
    if (body && f.info->from_cache) {
        buf_reset(&f.body);
        if (!buf_add(&f.body, f.cache.body, f.cache.size)) {
            rc = err_set(err, ATTACHE_ERR_INTERNAL, f.shown, 0, "out of memory");
            goto done;
        }
    }
    if (body) {
        size_t n = f.body.len;

        *body = (unsigned char *)buf_detach(&f.body, NULL);
        *size = n;
        if (!*body)
            rc = err_set(err, ATTACHE_ERR_INTERNAL, f.shown, 0, "out of memory");
    }
done:
    if (rc != ATTACHE_OK && data && *data) {
        attache_data_free(*data);
        *data = NULL;
    }
    if (f.h)
        f.cu->easy_cleanup(f.h);
    cache_entry_release(&f.cache);
    buf_release(&f.body);
    return rc;
}

attache_status attache_fetch(const char *url, const attache_fetch_options *o,
                             const attache_data_options *dopts, unsigned char **body,
                             size_t *size, attache_fetch_info *info, attache_error *err)
{
    *body = NULL;
    *size = 0;
    return fetch_run(url, o, dopts, body, size, NULL, info, err);
}

attache_data *attache_fetch_data(const char *url, const attache_fetch_options *o,
                                 const attache_data_options *dopts, attache_fetch_info *info,
                                 attache_error *err)
{
    attache_data *d = NULL;

    if (fetch_run(url, o, dopts, NULL, NULL, &d, info, err) != ATTACHE_OK)
        return NULL;
    return d;
}

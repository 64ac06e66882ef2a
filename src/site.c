/*
 * site.c: the static verification site (attache site).
 *
 * A document's QR code holds the issuer's verify-url and the token; the
 * site is what the issuer publishes there, as plain files any static web
 * host serves:
 *
 *   index.html   the page (web/index.html), for https://host/#ATT1:...
 *   404.html     the same page, which static hosts send for the paths they
 *                lack, such as /v/ATT1:...; it loads its script and style
 *                from the folder's path on the host (a <base> element)
 *   verify.js, token.js, verify.css, icon.svg   the page's code and style
 *   trust.json   the public keys with their validity windows, and the
 *                revocation list with the day it was published
 *
 * The page is kept as real files under web/ and compiled into the library
 * (tools/embed.c); this module only fills in trust.json and the base path.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "date.h"
#include "error.h"
#include "keys.h"
#include "output.h"
#include "resource.h"
#include "text.h"
#include "util.h"
#include "verify.h"

/* The page's files, copied as they are (404.html is made from index.html). */
static const char *const assets[] = {"verify.js", "token.js", "verify.css", "icon.svg"};

/* Where index.html says 404.html's <base> goes. */
#define BASE_MARK "<!-- attache-site-base -->\n"

#define MAX_BASE 200

/* A path such as "/" or "/verify/": what a <base href> may be, and no more. */
static bool valid_base(const char *base)
{
    size_t n = strlen(base);
    const char *p;

    if (n == 0 || n > MAX_BASE || base[0] != '/' || base[n - 1] != '/' || strstr(base, "//") ||
        strstr(base, "/./") || strstr(base, "/../"))
        return false;
    for (p = base; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("/-._~", *p)))
            return false;
    return true;
}

/* ---- trust.json ------------------------------------------------------------ */

/* A JSON string: quotes, backslashes and control characters escaped. */
static void json_string(struct buf *b, const char *s)
{
    buf_adds(b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            buf_addf(b, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            buf_addf(b, "\\u%04x", c);
        else
            buf_add(b, s, 1);
    }
    buf_adds(b, "\"");
}

/* A day of a key's window ("YYYY-MM-DD"), or null when it has no such limit. */
static void json_day(struct buf *b, int64_t t)
{
    struct date d;

    if (!t) {
        buf_adds(b, "null");
        return;
    }
    d = date_from_time((time_t)t);
    buf_addf(b, "\"%04d-%02d-%02d\"", d.year, d.month, d.day);
}

/* "names": what the issuer calls the ids its tokens sign, or null. */
static void json_names(const attache_verifier *v, struct buf *b)
{
    static const char *const kinds[] = {"issuers", "programmes", "batches"};
    size_t n, i, k;
    const struct verifier_name *names = verifier_names(v, &n);

    if (!n) {
        buf_adds(b, "null");
        return;
    }
    buf_adds(b, "{");
    for (k = 0; k < 3; k++) {
        bool first = true;

        buf_addf(b, "%s\n    \"%s\": {", k ? "," : "", kinds[k]);
        for (i = 0; i < n; i++) {
            if (strcmp(names[i].kind, kinds[k]))
                continue;
            buf_adds(b, first ? "\n      " : ",\n      ");
            first = false;
            json_string(b, names[i].id);
            buf_adds(b, ": {\"title\": ");
            json_string(b, names[i].title);
            if (names[i].start && names[i].end) {
                buf_adds(b, ", \"start\": ");
                json_string(b, names[i].start);
                buf_adds(b, ", \"end\": ");
                json_string(b, names[i].end);
            }
            buf_adds(b, "}");
        }
        buf_adds(b, first ? "}" : "\n    }");
    }
    buf_adds(b, "\n  }");
}

/*
 * {"attache-site": 1,
 *  "keys": [{"kid", "issuer", "public" (base64), "not-before", "not-after"}],
 *  "revocations": {"published": DAY, "documents": {ID: {"date", "reason"}}} or null,
 *  "names": {"issuers"|"programmes"|"batches": {ID: {"title", ["start", "end"]}}} or null}
 */
static attache_status trust_json(const attache_verifier *v, const char *published, struct buf *b,
                                 attache_error *err)
{
    size_t nkeys, nrevoked, i;
    const struct public_key *keys = verifier_keys(v, &nkeys);
    struct revoked_document *revoked = NULL;
    char hex[2 * KID_BYTES + 1];
    char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
    attache_status rc = verifier_revoked(v, &revoked, &nrevoked, err);

    if (rc != ATTACHE_OK)
        return rc;
    buf_adds(b, "{\n  \"attache-site\": 1,\n  \"keys\": [");
    for (i = 0; i < nkeys; i++) {
        kid_hex(keys[i].kid, hex);
        sodium_bin2base64(b64, sizeof b64, keys[i].key, sizeof keys[i].key,
                          sodium_base64_VARIANT_ORIGINAL);
        buf_addf(b, "%s\n    {\"kid\": \"%s\", \"issuer\": ", i ? "," : "", hex);
        json_string(b, keys[i].issuer);
        buf_addf(b, ", \"public\": \"%s\", \"not-before\": ", b64);
        json_day(b, keys[i].not_before);
        buf_adds(b, ", \"not-after\": ");
        json_day(b, keys[i].not_after);
        buf_adds(b, "}");
    }
    buf_adds(b, "\n  ],\n  \"revocations\": ");
    if (!verifier_has_revocations(v))
        buf_adds(b, "null");
    else {
        buf_addf(b, "{\n    \"published\": \"%s\",\n    \"documents\": {", published);
        for (i = 0; i < nrevoked; i++) {
            buf_adds(b, i ? ",\n      " : "\n      ");
            json_string(b, revoked[i].document_id);
            buf_addf(b, ": {\"date\": \"%s\", \"reason\": ", revoked[i].date);
            json_string(b, revoked[i].reason);
            buf_adds(b, "}");
        }
        buf_adds(b, nrevoked ? "\n    }\n  }" : "}\n  }");
    }
    buf_adds(b, ",\n  \"names\": ");
    json_names(v, b);
    buf_adds(b, "\n}\n");
    free(revoked);
    if (b->failed)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    return ATTACHE_OK;
}

/* ---- the pages ---------------------------------------------------------------- */

/*
 * index.html with its base mark removed (the page then loads its files
 * from its own folder), or, for 404.html, replaced by <base href=base>.
 */
static attache_status page(const char *base, struct buf *b, attache_error *err)
{
    const struct resource *r = resource_find("web/index.html");
    const char *mark = r ? strstr((const char *)r->data, BASE_MARK) : NULL;

    if (!mark)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "the built-in page has no base mark");
    buf_add(b, r->data, (size_t)(mark - (const char *)r->data));
    if (base)
        buf_addf(b, "<base href=\"%s\">\n", base);
    buf_adds(b, mark + strlen(BASE_MARK));
    if (b->failed)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    return ATTACHE_OK;
}

attache_status attache_site_write(const attache_verifier *v, const char *dir, const char *base,
                                  const char *published, attache_error *err)
{
    struct buf trust = {0}, index = {0}, notfound = {0};
    struct date d;
    char path[4096], clip[80], where[40];
    attache_status rc;
    size_t i;
    int fd = -1;

    if (!base)
        base = "/";
    if (!valid_base(base))
        return err_set(err, ATTACHE_ERR_USAGE, NULL, 0,
                       "the base '%s' is not a path on the host like / or /verify/ "
                       "(letters, digits, '-', '.', '_', '~', starting and ending with /)",
                       text_clip(clip, sizeof clip, base, 60));
    if (!published || !date_parse(published, &d))
        return err_set(err, ATTACHE_ERR_USAGE, NULL, 0, "the publication day '%s' is not YYYY-MM-DD",
                       text_clip(clip, sizeof clip, published ? published : "", 20));
    /* everything is made before anything is written */
    if ((rc = trust_json(v, published, &trust, err)) != ATTACHE_OK ||
        (rc = page(NULL, &index, err)) != ATTACHE_OK ||
        (rc = page(base, &notfound, err)) != ATTACHE_OK)
        goto done;
    for (i = 0; i < ARRAY_SIZE(assets); i++) {
        snprintf(where, sizeof where, "web/%s", assets[i]);
        if (!resource_find(where)) {
            rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "the built-in page has no %s",
                         assets[i]);
            goto done;
        }
    }
    if ((rc = make_folders(dir, 0755, err)) != ATTACHE_OK)
        goto done;
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        rc = err_set(err, ATTACHE_ERR_CANTCREAT, dir, 0, "cannot open: %s", strerror(errno));
        goto done;
    }
    /* a folder where a file goes is found before any file is written */
    {
        static const char *const pages[] = {"trust.json", "404.html", "index.html"};
        struct stat st;

        for (i = 0; i < ARRAY_SIZE(assets) + ARRAY_SIZE(pages); i++) {
            const char *name = i < ARRAY_SIZE(assets) ? assets[i] : pages[i - ARRAY_SIZE(assets)];

            if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
                rc = err_set(err, ATTACHE_ERR_CANTCREAT, dir, 0,
                             "cannot write %s: there is a folder of that name", name);
                goto done;
            }
        }
    }
    /* the page's files first, the pages that load them last */
    for (i = 0; i < ARRAY_SIZE(assets) && rc == ATTACHE_OK; i++) {
        const struct resource *r;
        snprintf(where, sizeof where, "web/%s", assets[i]);
        r = resource_find(where);
        snprintf(path, sizeof path, "%s/%s", dir, assets[i]);
        rc = write_at(fd, assets[i], r->data, r->size, path, err);
    }
    if (rc == ATTACHE_OK) {
        snprintf(path, sizeof path, "%s/trust.json", dir);
        rc = write_at(fd, "trust.json", trust.data, trust.len, path, err);
    }
    if (rc == ATTACHE_OK) {
        snprintf(path, sizeof path, "%s/404.html", dir);
        rc = write_at(fd, "404.html", notfound.data, notfound.len, path, err);
    }
    if (rc == ATTACHE_OK) {
        snprintf(path, sizeof path, "%s/index.html", dir);
        rc = write_at(fd, "index.html", index.data, index.len, path, err);
    }
    if (rc == ATTACHE_OK && fsync(fd) < 0)
        rc = err_set(err, ATTACHE_ERR_IO, dir, 0, "cannot sync: %s", strerror(errno));
done:
    if (fd >= 0)
        close(fd);
    buf_release(&trust);
    buf_release(&index);
    buf_release(&notfound);
    return rc;
}

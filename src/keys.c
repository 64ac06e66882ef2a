/*
 * keys.c: making, reading and using Ed25519 key pairs.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "date.h"
#include "error.h"
#include "keys.h"
#include "text.h"
#include "util.h"

#define MAX_KEY_FILE 4096

struct signing_key {
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    unsigned char kid[KID_BYTES];
    char issuer[65];
    int64_t not_before, not_after;   /* Unix times; 0: no limit */
    char not_before_text[11], not_after_text[11];
};

const char *signing_key_hint(void)
{
    return "make one with 'attache keygen -o NAME --issuer ID'";
}

static void make_kid(const unsigned char pk[32], unsigned char kid[KID_BYTES])
{
    unsigned char h[crypto_hash_sha256_BYTES];

    crypto_hash_sha256(h, pk, 32);
    memcpy(kid, h, KID_BYTES);
}

void kid_hex(const unsigned char kid[KID_BYTES], char out[2 * KID_BYTES + 1])
{
    sodium_bin2hex(out, 2 * KID_BYTES + 1, kid, KID_BYTES);
}

/* An issuer id has the shape of the data format's ids. */
static bool valid_id(const char *s)
{
    size_t i, n = strlen(s);

    if (n < 1 || n > 64)
        return false;
    for (i = 0; i < n; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
            return false;
    }
    return true;
}

/* ---- the text format --------------------------------------------------- */

struct fields {
    char magic[32];
    char issuer[128], kid[64], secret[128], public_[128], not_before[32], not_after[32];
    unsigned long magic_line;
};

/* Parse "name: value" lines; `#` starts a comment.  Unknown names are errors. */
static attache_status parse_fields(const char *path, const char *text, struct fields *f,
                                   attache_error *err)
{
    const char *p = text;
    unsigned long line = 0;

    memset(f, 0, sizeof *f);
    while (*p) {
        const char *end = strchr(p, '\n'), *colon;
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char name[32], value[200];
        char *dst = NULL;
        size_t cap = 0;

        line++;
        while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
            n--;
        colon = memchr(p, ':', n);
        if (n && *p != '#') {
            size_t kn, vn;
            const char *v;

            if (!colon)
                return err_set(err, ATTACHE_ERR_DATA, path, line, "expected 'name: value'");
            kn = (size_t)(colon - p);
            v = colon + 1;
            while (v < p + n && *v == ' ')
                v++;
            vn = (size_t)(p + n - v);
            if (kn >= sizeof name || vn >= sizeof value)
                return err_set(err, ATTACHE_ERR_DATA, path, line, "line is too long");
            memcpy(name, p, kn);
            name[kn] = '\0';
            memcpy(value, v, vn);
            value[vn] = '\0';
            if (!strcmp(name, "attache-key") || !strcmp(name, "attache-pub")) {
                snprintf(f->magic, sizeof f->magic, "%s %s", name, value);
                f->magic_line = line;
                p = end ? end + 1 : p + strlen(p);
                continue;
            }
#define FIELD(s, member) else if (!strcmp(name, s)) dst = f->member, cap = sizeof f->member
            if (0) {
            }
            FIELD("issuer", issuer);
            FIELD("kid", kid);
            FIELD("secret", secret);
            FIELD("public", public_);
            FIELD("not-before", not_before);
            FIELD("not-after", not_after);
#undef FIELD
            if (!dst) {
                char clip[40];
                return err_set(err, ATTACHE_ERR_DATA, path, line, "unknown field '%s'",
                               text_clip(clip, sizeof clip, name, 30));
            }
            if (*dst)
                return err_set(err, ATTACHE_ERR_DATA, path, line, "'%s' is given twice", name);
            if (strlen(value) >= cap)
                return err_set(err, ATTACHE_ERR_DATA, path, line, "'%s' is too long", name);
            strcpy(dst, value);
        }
        p = end ? end + 1 : p + strlen(p);
    }
    return ATTACHE_OK;
}

static bool decode32(const char *b64, unsigned char out[32])
{
    size_t len = 0;

    return sodium_base642bin(out, 32, b64, strlen(b64), NULL, &len, NULL,
                             sodium_base64_VARIANT_ORIGINAL) == 0 && len == 32;
}

static attache_status read_small(const char *path, char **text, struct stat *st,
                                 attache_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    ssize_t n;

    *text = NULL;
    if (fd < 0)
        return err_set(err, ATTACHE_ERR_NOINPUT, path, 0, "cannot open: %s", strerror(errno));
    if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || st->st_size > MAX_KEY_FILE) {
        close(fd);
        return err_set(err, ATTACHE_ERR_DATA, path, 0, "is not a key file");
    }
    *text = calloc(1, MAX_KEY_FILE + 1);
    if (!*text) {
        close(fd);
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    }
    n = read(fd, *text, MAX_KEY_FILE);
    close(fd);
    if (n < 0) {
        free(*text);
        *text = NULL;
        return err_set(err, ATTACHE_ERR_NOINPUT, path, 0, "cannot read: %s", strerror(errno));
    }
    return ATTACHE_OK;
}

static bool parse_day(const char *s, bool end_of_day, int64_t *out);

/* ---- secret keys -------------------------------------------------------- */

struct signing_key *signing_key_load(const char *path, attache_error *err)
{
    struct signing_key *k = NULL;
    struct fields f;
    struct stat st;
    unsigned char seed[32];
    char *text = NULL, hex[2 * KID_BYTES + 1];

    if (sodium_init() < 0) {
        err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "libsodium cannot start");
        return NULL;
    }
    if (read_small(path, &text, &st, err) != ATTACHE_OK)
        return NULL;
    /* what the file is, first: a public key given for the secret one is told so */
    if (parse_fields(path, text, &f, err) != ATTACHE_OK)
        goto done;
    if (strcmp(f.magic, "attache-key 1")) {
        err_set(err, ATTACHE_ERR_DATA, path, 0, "is not an attache signing key%s",
                !strcmp(f.magic, "attache-pub 1") ? " (it is the public key: use the .key file)"
                                                  : "");
        goto done;
    }
    if (st.st_mode & 077) {
        err_set(err, ATTACHE_ERR_NOINPUT, path, 0,
                "permissions %04o are too open: a signing key must be readable by its owner "
                "only (chmod 600 %s)", (unsigned)(st.st_mode & 07777), path);
        goto done;
    }
    if (!decode32(f.secret, seed) || !valid_id(f.issuer)) {
        err_set(err, ATTACHE_ERR_DATA, path, 0, "has no valid 'secret' and 'issuer'");
        goto done;
    }
    k = sodium_malloc(sizeof *k);
    if (!k) {
        err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    crypto_sign_seed_keypair(k->pk, k->sk, seed);
    make_kid(k->pk, k->kid);
    snprintf(k->issuer, sizeof k->issuer, "%s", f.issuer);
    k->not_before = k->not_after = 0;
    k->not_before_text[0] = k->not_after_text[0] = '\0';
    kid_hex(k->kid, hex);
    /* the validity window: in .key files since it is checked when signing;
       older files without it sign for any date */
    if (f.kid[0] && strcmp(f.kid, hex))
        err_set(err, ATTACHE_ERR_DATA, path, 0, "its kid %s does not match its key (%s)",
                f.kid, hex);
    else if (f.not_before[0] && !parse_day(f.not_before, false, &k->not_before))
        err_set(err, ATTACHE_ERR_DATA, path, 0, "not-before is not a date (YYYY-MM-DD)");
    else if (f.not_after[0] && !parse_day(f.not_after, true, &k->not_after))
        err_set(err, ATTACHE_ERR_DATA, path, 0, "not-after is not a date (YYYY-MM-DD)");
    else {
        snprintf(k->not_before_text, sizeof k->not_before_text, "%s", f.not_before);
        snprintf(k->not_after_text, sizeof k->not_after_text, "%s", f.not_after);
        goto done;
    }
    sodium_free(k);
    k = NULL;
done:
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(&f, sizeof f);
    if (text) {
        sodium_memzero(text, MAX_KEY_FILE);
        free(text);
    }
    return k;
}

struct signing_key *signing_key_from_seed(const unsigned char seed[32], const char *issuer)
{
    struct signing_key *k;

    if (sodium_init() < 0 || !valid_id(issuer) || !(k = sodium_malloc(sizeof *k)))
        return NULL;
    crypto_sign_seed_keypair(k->pk, k->sk, seed);
    make_kid(k->pk, k->kid);
    snprintf(k->issuer, sizeof k->issuer, "%s", issuer);
    k->not_before = k->not_after = 0;
    k->not_before_text[0] = k->not_after_text[0] = '\0';
    return k;
}

void signing_key_free(struct signing_key *key)
{
    if (key)
        sodium_free(key);
}

const char *signing_key_issuer(const struct signing_key *key)
{
    return key->issuer;
}

const unsigned char *signing_key_public(const struct signing_key *key)
{
    return key->pk;
}

const unsigned char *signing_key_kid(const struct signing_key *key)
{
    return key->kid;
}

attache_status signing_key_check(const struct signing_key *key, const char *path,
                                 const char *issuer, int64_t iat, attache_error *err)
{
    char clip[80], clip2[80], day[11];
    struct date d = date_from_time((time_t)iat);

    if (strcmp(key->issuer, issuer))
        return err_set(err, ATTACHE_ERR_USAGE, path, 0,
                       "the key signs for issuer '%s' but the data's issuer is '%s': "
                       "use that issuer's key", text_clip(clip, sizeof clip, key->issuer, 64),
                       text_clip(clip2, sizeof clip2, issuer, 64));
    snprintf(day, sizeof day, "%04d-%02d-%02d", d.year % 10000, d.month, d.day);
    if (key->not_before && iat < key->not_before)
        return err_set(err, ATTACHE_ERR_USAGE, path, 0,
                       "the issue date %s is before the key's not-before %s", day,
                       key->not_before_text);
    if (key->not_after && iat > key->not_after)
        return err_set(err, ATTACHE_ERR_USAGE, path, 0,
                       "the issue date %s is after the key's not-after %s", day,
                       key->not_after_text);
    return ATTACHE_OK;
}

void signing_key_sign(const struct signing_key *key, const unsigned char *msg, size_t len,
                      unsigned char sig[64])
{
    crypto_sign_detached(sig, NULL, msg, len, key->sk);
}

/* ---- public keys --------------------------------------------------------- */

static bool parse_day(const char *s, bool end_of_day, int64_t *out)
{
    struct date d;

    if (!date_parse(s, &d))
        return false;
    *out = (int64_t)date_days(&d) * 86400 + (end_of_day ? 86399 : 0);
    return true;
}

attache_status public_key_load(const char *path, struct public_key *out, attache_error *err)
{
    struct fields f;
    struct stat st;
    char *text = NULL, hex[2 * KID_BYTES + 1];
    attache_status rc;

    memset(out, 0, sizeof *out);
    snprintf(out->file, sizeof out->file, "%s", path);
    rc = read_small(path, &text, &st, err);
    if (rc != ATTACHE_OK)
        return rc;
    rc = parse_fields(path, text, &f, err);
    free(text);
    if (rc != ATTACHE_OK)
        return rc;
    if (strcmp(f.magic, "attache-pub 1"))
        return err_set(err, ATTACHE_ERR_DATA, path, 0, "is not an attache public key");
    if (!decode32(f.public_, out->key))
        return err_set(err, ATTACHE_ERR_DATA, path, 0, "has no valid 'public' key");
    if (!valid_id(f.issuer))
        return err_set(err, ATTACHE_ERR_DATA, path, 0, "has no valid 'issuer'");
    snprintf(out->issuer, sizeof out->issuer, "%s", f.issuer);
    make_kid(out->key, out->kid);
    kid_hex(out->kid, hex);
    if (f.kid[0] && strcmp(f.kid, hex))
        return err_set(err, ATTACHE_ERR_DATA, path, 0, "its kid %s does not match its key (%s)",
                       f.kid, hex);
    if (f.not_before[0] && !parse_day(f.not_before, false, &out->not_before))
        return err_set(err, ATTACHE_ERR_DATA, path, 0, "not-before is not a date (YYYY-MM-DD)");
    if (f.not_after[0] && !parse_day(f.not_after, true, &out->not_after))
        return err_set(err, ATTACHE_ERR_DATA, path, 0, "not-after is not a date (YYYY-MM-DD)");
    return ATTACHE_OK;
}

/* ---- keygen --------------------------------------------------------------- */

/* Write `text` to `path`, which must not exist: temporary file, sync, link. */
static attache_status create_new(const char *path, const char *text, mode_t mode,
                                 attache_error *err)
{
    char tmp[PATH_MAX];
    size_t len = strlen(text), done = 0;
    int fd;
    attache_status rc = ATTACHE_OK;

    if (snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid()) >= (int)sizeof tmp)
        return err_set(err, ATTACHE_ERR_CANTCREAT, path, 0, "path is too long");
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return err_set(err, ATTACHE_ERR_CANTCREAT, path, 0, "cannot create: %s", strerror(errno));
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = err_set(err, ATTACHE_ERR_IO, path, 0, "cannot write: %s", strerror(errno));
            break;
        }
        done += (size_t)n;
    }
    if (rc == ATTACHE_OK && (fchmod(fd, mode) < 0 || fsync(fd) < 0))
        rc = err_set(err, ATTACHE_ERR_IO, path, 0, "cannot write: %s", strerror(errno));
    if (close(fd) < 0 && rc == ATTACHE_OK)
        rc = err_set(err, ATTACHE_ERR_IO, path, 0, "cannot write: %s", strerror(errno));
    /* link() never replaces: an existing key is never overwritten */
    if (rc == ATTACHE_OK && link(tmp, path) < 0)
        rc = err_set(err, errno == EEXIST ? ATTACHE_ERR_CANTCREAT : ATTACHE_ERR_IO, path, 0,
                     errno == EEXIST ? "already exists; attache never overwrites a key"
                                     : "cannot create: %s", strerror(errno));
    unlink(tmp);
    return rc;
}

attache_status attache_keygen(const char *name, const char *issuer, const char *not_before,
                              const char *not_after, attache_error *err)
{
    unsigned char seed[32], pk[32], sk[64], kid[KID_BYTES];
    char seed64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
    char pk64[sizeof seed64], hex[2 * KID_BYTES + 1], *keytext = NULL, *pubtext = NULL;
    char keypath[PATH_MAX], pubpath[PATH_MAX], clip[80];
    int64_t from = 0, to = 0;
    const char *base;
    attache_status rc;
    struct stat st;

    if (sodium_init() < 0)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "libsodium cannot start");
    if (!issuer || !valid_id(issuer))
        return err_set(err, ATTACHE_ERR_USAGE, NULL, 0,
                       "the issuer id '%s' is not an id (letters, digits, '.', '_', '-')",
                       text_clip(clip, sizeof clip, issuer ? issuer : "", 40));
    if ((not_before && !parse_day(not_before, false, &from)) ||
        (not_after && !parse_day(not_after, true, &to)))
        return err_set(err, ATTACHE_ERR_USAGE, NULL, 0, "validity dates are YYYY-MM-DD");
    if (not_before && not_after && to < from)
        return err_set(err, ATTACHE_ERR_USAGE, NULL, 0,
                       "--not-after %s is before --not-before %s: the key could sign nothing",
                       not_after, not_before);
    base = name ? strrchr(name, '/') : NULL;
    base = base ? base + 1 : name;
    if (!base || !*base)
        return err_set(err, ATTACHE_ERR_USAGE, NULL, 0,
                       "-o NAME needs a file name, not a folder: it writes NAME.key and NAME.pub");
    if (snprintf(keypath, sizeof keypath, "%s.key", name) >= (int)sizeof keypath ||
        snprintf(pubpath, sizeof pubpath, "%s.pub", name) >= (int)sizeof pubpath)
        return err_set(err, ATTACHE_ERR_USAGE, name, 0, "name is too long");
    if (lstat(pubpath, &st) == 0)
        return err_set(err, ATTACHE_ERR_CANTCREAT, pubpath, 0,
                       "already exists; attache never overwrites a key");
    randombytes_buf(seed, sizeof seed);
    crypto_sign_seed_keypair(pk, sk, seed);
    make_kid(pk, kid);
    kid_hex(kid, hex);
    sodium_bin2base64(seed64, sizeof seed64, seed, sizeof seed, sodium_base64_VARIANT_ORIGINAL);
    sodium_bin2base64(pk64, sizeof pk64, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);
    if (asprintf(&keytext,
                 "# attache signing key: keep it secret (mode 0600); docs/token.md\n"
                 "attache-key: 1\nissuer: %s\nkid: %s\nsecret: %s\n%s%s%s%s%s%s",
                 issuer, hex, seed64, not_before ? "not-before: " : "",
                 not_before ? not_before : "", not_before ? "\n" : "",
                 not_after ? "not-after: " : "", not_after ? not_after : "",
                 not_after ? "\n" : "") < 0 ||
        asprintf(&pubtext,
                 "# attache public key, for 'attache verify --pub'; docs/token.md\n"
                 "attache-pub: 1\nissuer: %s\nkid: %s\npublic: %s\n%s%s%s%s%s%s",
                 issuer, hex, pk64, not_before ? "not-before: " : "",
                 not_before ? not_before : "", not_before ? "\n" : "",
                 not_after ? "not-after: " : "", not_after ? not_after : "",
                 not_after ? "\n" : "") < 0) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    rc = create_new(keypath, keytext, 0600, err);
    if (rc == ATTACHE_OK) {
        rc = create_new(pubpath, pubtext, 0644, err);
        if (rc != ATTACHE_OK)
            unlink(keypath);
    }
done:
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(seed64, sizeof seed64);
    if (keytext) {
        sodium_memzero(keytext, strlen(keytext));
        free(keytext);
    }
    free(pubtext);
    return rc;
}

/*
 * data_arg.c: reading the DATA argument of the commands that take one: a
 * file, standard input, or an http(s) URL fetched with attache_fetch(), and
 * the fetching options those commands share.
 */
#include <ctype.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"

static void print_error(void *ctx, const attache_error *err)
{
    (void)ctx;
    cli_report(err);
}

/* ---- fetching options --------------------------------------------------- */

static bool parse_seconds(const char *s, double max, double *out)
{
    char *end;
    double v;

    if (!s || !*s || !(isdigit((unsigned char)*s) || *s == '.'))
        return false;
    v = strtod(s, &end);
    if (*end || v < 0 || v > max)
        return false;
    *out = v;
    return true;
}

void cli_data_args_init(struct data_args *a)
{
    memset(a, 0, sizeof *a);
    attache_fetch_options_init(&a->fetch);
}

int cli_data_option(int c, const char *arg, struct data_args *a)
{
    unsigned long n;

    switch (c) {
    case CLI_OPT_CACERT:
        a->fetch.cacert = arg;
        return 0;
    case CLI_OPT_TOKEN_FILE:
        a->token_file = arg;
        return 0;
    case CLI_OPT_HEADER:
        if (a->fetch.n_headers == CLI_MAX_HEADERS) {
            cli_error("at most %d --header options", CLI_MAX_HEADERS);
            return 64;
        }
        if (!strchr(arg, ':') || arg[0] == ':' || strcspn(arg, " \t") < strcspn(arg, ":") ||
            strpbrk(arg, "\r\n")) {
            cli_error("--header must be one line of the form 'Name: value'");
            return 64;
        }
        a->headers[a->fetch.n_headers++] = arg;
        return 0;
    case CLI_OPT_ALLOW_HTTP:
        a->fetch.allow_http = true;
        return 0;
    case CLI_OPT_TIMEOUT:
        if (!cli_parse_uint(arg, 1, 86400, &n)) {
            cli_error("--timeout '%s' is not a number of seconds from 1 to 86400", arg);
            return 64;
        }
        a->fetch.timeout = (unsigned)n;
        return 0;
    case CLI_OPT_RETRIES:
        if (!cli_parse_uint(arg, 0, 100, &n)) {
            cli_error("--retries '%s' is not a number from 0 to 100", arg);
            return 64;
        }
        a->fetch.retries = (unsigned)n;
        return 0;
    case CLI_OPT_RETRY_DELAY:
        if (!parse_seconds(arg, 600, &a->fetch.retry_delay)) {
            cli_error("--retry-delay '%s' is not a number of seconds from 0 to 600", arg);
            return 64;
        }
        return 0;
    case CLI_OPT_LOW_SPEED_TIME:
        if (!cli_parse_uint(arg, 1, 3600, &n)) {
            cli_error("--low-speed-time '%s' is not a number of seconds from 1 to 3600", arg);
            return 64;
        }
        a->fetch.low_speed_time = (unsigned)n;
        return 0;
    case CLI_OPT_CACHE:
        a->cache_dir = arg;
        return 0;
    case CLI_OPT_NO_CACHE:
        a->no_cache = true;
        return 0;
    case CLI_OPT_OFFLINE:
        a->fetch.offline = true;
        return 0;
    case CLI_OPT_MAX_SIZE:
        if (!cli_parse_size(arg, &a->max_size)) {
            cli_error("--max-size '%s' is not a size such as 64M", arg);
            return 64;
        }
        return 0;
    case CLI_OPT_MAX_ERRORS:
        if (!cli_parse_uint(arg, 1, 100000, &n)) {
            cli_error("--max-errors '%s' is not a number from 1 to 100000", arg);
            return 64;
        }
        a->max_errors = (unsigned)n;
        return 0;
    case CLI_OPT_ASSETS:
        a->assets = arg;
        return 0;
    case 'q':
        a->quiet = true;
        return 0;
    default:
        return -1;
    }
}

int cli_other_option(const char *cmd, int c, char **argv, struct data_args *a)
{
    int status = cli_data_option(c, optarg, a);

    return status >= 0 ? status : cli_unknown_option(cmd, argv[optind - 1]);
}

/* "http:" or "https:", with any number of slashes: libcurl reads "http:/h/x"
 * and "http:///h/x" as "http://h/x", so they are URLs, not file names. */
bool cli_is_url(const char *arg)
{
    return !strncasecmp(arg, "http:", 5) || !strncasecmp(arg, "https:", 6);
}

/* "scheme://..." with a scheme other than http(s): not a file name we accept. */
static bool other_scheme(const char *arg)
{
    size_t n = strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");

    return n > 0 && isalpha((unsigned char)arg[0]) && !strncmp(arg + n, "://", 3);
}

/* ---- fetching ---------------------------------------------------------- */

struct fetch_cli {
    attache_fetch_options o;
    char *token;             /* wiped and freed at the end */
    char cache_dir[4096];
    bool tty, quiet, progress_shown;
    double last_progress;
    unsigned errors;         /* validation errors seen */
    attache_error first;     /* held back: the summary line repeats it */
};

static void clear_progress(struct fetch_cli *fc)
{
    if (fc->progress_shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        fc->progress_shown = false;
    }
}

static void human_bytes(char *out, size_t size, uint64_t n)
{
    if (n >= 1024 * 1024)
        snprintf(out, size, "%.1f MB", (double)n / (1024.0 * 1024.0));
    else if (n >= 1024)
        snprintf(out, size, "%.0f KB", (double)n / 1024.0);
    else
        snprintf(out, size, "%llu bytes", (unsigned long long)n);
}

static void on_fetch_event(void *ctx, const attache_fetch_event *ev)
{
    struct fetch_cli *fc = ctx;
    char got[32], total[32];

    switch (ev->kind) {
    case ATTACHE_FETCH_PROGRESS:
        /* only on a terminal, only for downloads that take a while */
        if (!fc->tty || fc->quiet || ev->seconds < 1.0 ||
            (fc->progress_shown && ev->seconds - fc->last_progress < 0.25))
            return;
        fc->last_progress = ev->seconds;
        human_bytes(got, sizeof got, ev->received);
        if (ev->total) {
            human_bytes(total, sizeof total, ev->total);
            fprintf(stderr, "\r\033[Kattache: %s: %s of %s, %.0f KB/s", ev->url, got, total,
                    (double)ev->received / 1024.0 / ev->seconds);
        } else
            fprintf(stderr, "\r\033[Kattache: %s: %s, %.0f KB/s", ev->url, got,
                    (double)ev->received / 1024.0 / ev->seconds);
        fflush(stderr);
        fc->progress_shown = true;
        return;
    case ATTACHE_FETCH_RETRY:
        clear_progress(fc);
        cli_error("%s: %s; waiting %.1f s before retry %u of %u", ev->url, ev->message,
                  ev->wait, ev->retry, ev->retries);
        return;
    case ATTACHE_FETCH_NOTICE:
        clear_progress(fc);
        cli_error("%s: %s", ev->url, ev->message);
        return;
    }
}

/* Validation errors of a fetched body: the first is held back because the
 * summary line ("not attache data ...: <first error>") says it; when there
 * are more, all are printed. */
static void on_remote_error(void *ctx, const attache_error *err)
{
    struct fetch_cli *fc = ctx;

    clear_progress(fc);
    if (++fc->errors == 1) {
        fc->first = *err;
        return;
    }
    if (fc->errors == 2)
        cli_report(&fc->first);
    cli_report(err);
}

/* The bearer token: --token-file, else $ATTACHE_TOKEN; surrounding blanks cut. */
static int read_token(struct fetch_cli *fc, const struct data_args *a)
{
    const char *env = getenv("ATTACHE_TOKEN");
    unsigned char *bytes = NULL;
    size_t size = 0, start = 0;
    attache_error err;

    if (a->token_file) {
        attache_error_clear(&err);
        if (attache_read_input(a->token_file, 16384, &bytes, &size, &err) != ATTACHE_OK)
            return cli_report(&err);
    } else if (env && *env) {
        size = strlen(env);
        bytes = malloc(size + 1);
        if (!bytes) {
            cli_error("out of memory");
            return 70;
        }
        memcpy(bytes, env, size + 1);
    } else
        return 0;
    while (size > 0 && isspace(bytes[size - 1]))
        bytes[--size] = '\0';
    while (start < size && isspace(bytes[start]))
        start++;
    memmove(bytes, bytes + start, size - start + 1);
    size -= start;
    if (!size || memchr(bytes, '\n', size) || memchr(bytes, '\r', size) ||
        strlen((char *)bytes) != size) {
        explicit_bzero(bytes, size);
        free(bytes);
        cli_error("%s: the token must be one line of text",
                  a->token_file ? a->token_file : "$ATTACHE_TOKEN");
        return 64;
    }
    fc->token = (char *)bytes;
    fc->o.token = fc->token;
    return 0;
}

/* The cache folder: --cache, else $XDG_CACHE_HOME/attache, else ~/.cache/attache. */
static void cache_dir(struct fetch_cli *fc, const struct data_args *a)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

    fc->o.cache_dir = NULL;
    if (a->no_cache)
        return;
    if (a->cache_dir)
        snprintf(fc->cache_dir, sizeof fc->cache_dir, "%s", a->cache_dir);
    else if (xdg && xdg[0] == '/')
        snprintf(fc->cache_dir, sizeof fc->cache_dir, "%s/attache", xdg);
    else if (home && home[0] == '/')
        snprintf(fc->cache_dir, sizeof fc->cache_dir, "%s/.cache/attache", home);
    else
        return;
    fc->o.cache_dir = fc->cache_dir;
}

static int fetch_cli_init(struct fetch_cli *fc, const struct data_args *a)
{
    memset(fc, 0, sizeof *fc);
    fc->o = a->fetch;
    fc->o.headers = a->headers;
    if (a->max_size)
        fc->o.max_size = a->max_size;
    fc->o.on_event = on_fetch_event;
    fc->o.ctx = fc;
    fc->tty = isatty(2);
    fc->quiet = a->quiet;
    cache_dir(fc, a);
    if (a->fetch.offline && !fc->o.cache_dir) {
        cli_error("--offline needs a cache: give --cache DIR (not --no-cache)");
        return 64;
    }
    return read_token(fc, a);
}

static void fetch_cli_release(struct fetch_cli *fc)
{
    if (fc->token) {
        explicit_bzero(fc->token, strlen(fc->token));
        free(fc->token);
    }
    fc->token = NULL;
}

/* Fetch `url`: *data when `data` is given, else *body and *size.  0 or an exit status. */
static int fetch_url(const char *url, const struct data_args *a, attache_data **data,
                     unsigned char **body, size_t *size, attache_fetch_info *info)
{
    attache_data_options dopts = {0};
    struct fetch_cli fc;
    attache_error err;
    attache_status rc;
    int status;

    if ((status = fetch_cli_init(&fc, a)) != 0)
        goto done;
    /* Image paths in remote data resolve against --assets only: never
     * against the current folder, never fetched. */
    dopts.base_dir = a->assets;
    dopts.check_images = a->assets != NULL && !a->no_images;
    dopts.max_errors = a->max_errors;
    dopts.on_error = on_remote_error;
    dopts.on_error_ctx = &fc;
    attache_error_clear(&err);
    if (data) {
        *data = attache_fetch_data(url, &fc.o, &dopts, info, &err);
        rc = *data ? ATTACHE_OK : (err.code ? err.code : ATTACHE_ERR_INTERNAL);
    } else
        rc = attache_fetch(url, &fc.o, &dopts, body, size, info, &err);
    clear_progress(&fc);
    if (rc != ATTACHE_OK)
        status = cli_report(&err);
done:
    fetch_cli_release(&fc);
    return status;
}

int cli_fetch_body(const char *url, const struct data_args *a, unsigned char **body,
                   size_t *size, attache_fetch_info *info)
{
    *body = NULL;
    *size = 0;
    if (!cli_is_url(url)) {
        cli_error("'%s' is not an http:// or https:// URL", url);
        return 64;
    }
    return fetch_url(url, a, NULL, body, size, info);
}

/* ---- DATA --------------------------------------------------------------- */

attache_data *cli_load_data(const char *arg, const struct data_args *a, int *status)
{
    attache_data_options o = {0};
    attache_error err;
    attache_data *d;
    unsigned char *bytes = NULL;
    size_t size = 0;
    char *copy = NULL;
    const char *name = strcmp(arg, "-") ? arg : "<stdin>";

    if (cli_is_url(arg)) {
        d = NULL;
        *status = fetch_url(arg, a, &d, NULL, NULL, NULL);
        return *status ? NULL : d;
    }
    if (other_scheme(arg)) {
        cli_error("'%.*s' URLs are not supported: DATA is a file, an http:// or https:// URL, "
                  "or -", (int)strcspn(arg, ":"), arg);
        *status = 64;
        return NULL;
    }
    attache_error_clear(&err);
    if (attache_read_input(arg, a->max_size ? a->max_size : ATTACHE_DEFAULT_MAX_SIZE,
                           &bytes, &size, &err) != ATTACHE_OK) {
        *status = cli_report(&err);
        return NULL;
    }
    o.name = name;
    if (a->assets)
        o.base_dir = a->assets;
    else if (strcmp(arg, "-")) {
        copy = strdup(arg);
        o.base_dir = copy ? dirname(copy) : ".";
    } else
        o.base_dir = ".";
    /*
     * Images are checked where a run would look for them: beside the data
     * file, in --assets, or for standard input in the current folder.
     */
    o.check_images = !a->no_images;
    o.max_errors = a->max_errors;
    o.on_error = print_error;
    d = attache_data_adopt(bytes, size, &o, &err);
    free(copy);
    if (!d) {
        if (err.code != ATTACHE_ERR_DATA)
            cli_report(&err);
        *status = err.code ? (int)err.code : 70;
    }
    return d;
}

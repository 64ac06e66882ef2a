/*
 * cli.h: what the subcommands of the attache tool share.  The tool uses
 * only the public header of libattache; this is its own plumbing.
 */
#ifndef ATTACHE_CLI_H
#define ATTACHE_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "attache.h"

#if defined(__GNUC__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    const char *usage;     /* synopsis and options, printed by CMD --help */
};

/* The subcommands, one file each (cmd_*.c). */
int cmd_validate(int argc, char **argv);
int cmd_templates(int argc, char **argv);
int cmd_certificates(int argc, char **argv);
int cmd_letters(int argc, char **argv);
int cmd_induction(int argc, char **argv);
int cmd_render(int argc, char **argv);
int cmd_manifest(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_mail(int argc, char **argv);
extern const char import_usage[], mail_usage[];
int cmd_site(int argc, char **argv);
extern const char site_usage[];

/* The table of subcommands (main.c). */
extern const struct command commands[];

/* Print "attache: <message>" on stderr. */
void cli_error(const char *fmt, ...) CLI_PRINTF(1, 2);

/* Print an error record on stderr and return its code as an exit status. */
int cli_report(const attache_error *err);

/* Print CMD's usage to stdout (help) or stderr (misuse); returns 0 or 64. */
int cli_usage(const char *cmd, bool to_stderr);

/* For getopt_long loops: the standard "see --help" message; returns 64. */
int cli_bad_option(const char *cmd);

/* Parse a size such as 65536, 64K, 64M, 1G; false if malformed. */
bool cli_parse_size(const char *s, size_t *out);

/* Parse a whole number within [min, max]; false if malformed or out of range. */
bool cli_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);

#define CLI_MAX_HEADERS 32

/* Options every command that reads DATA understands. */
struct data_args {
    size_t max_size;
    const char *assets;     /* --assets DIR */
    unsigned max_errors;
    bool quiet;
    /* for DATA given as an http(s) URL (see cli_data_option): the options
       set straight into `fetch`; what the library does not take here */
    attache_fetch_options fetch;
    const char *token_file, *cache_dir;
    const char *headers[CLI_MAX_HEADERS];
    bool no_cache;
};

/* Every option at its default. */
void cli_data_args_init(struct data_args *a);

/* The long options for fetching, shared by every command that takes DATA:
 * put CLI_FETCH_LONGOPTS in the getopt_long table and pass what the switch
 * does not know to cli_data_option(). */
enum {
    CLI_OPT_CACERT = 0x200, CLI_OPT_TOKEN_FILE, CLI_OPT_HEADER, CLI_OPT_ALLOW_HTTP,
    CLI_OPT_TIMEOUT, CLI_OPT_RETRIES, CLI_OPT_RETRY_DELAY, CLI_OPT_LOW_SPEED_TIME,
    CLI_OPT_CACHE, CLI_OPT_NO_CACHE, CLI_OPT_OFFLINE
};
#define CLI_FETCH_LONGOPTS                                                 \
    {"cacert", required_argument, NULL, CLI_OPT_CACERT},                   \
    {"token-file", required_argument, NULL, CLI_OPT_TOKEN_FILE},           \
    {"header", required_argument, NULL, CLI_OPT_HEADER},                   \
    {"allow-http", no_argument, NULL, CLI_OPT_ALLOW_HTTP},                 \
    {"timeout", required_argument, NULL, CLI_OPT_TIMEOUT},                 \
    {"retries", required_argument, NULL, CLI_OPT_RETRIES},                 \
    {"retry-delay", required_argument, NULL, CLI_OPT_RETRY_DELAY},         \
    {"low-speed-time", required_argument, NULL, CLI_OPT_LOW_SPEED_TIME},   \
    {"cache", required_argument, NULL, CLI_OPT_CACHE},                     \
    {"no-cache", no_argument, NULL, CLI_OPT_NO_CACHE},                     \
    {"offline", no_argument, NULL, CLI_OPT_OFFLINE}

/* The fetching options' usage text, which ends the usage of every command taking DATA. */
#define CLI_FETCH_USAGE                                                                   \
    "\n"                                                                                  \
    "When DATA is an http:// or https:// URL (see also 'attache fetch'):\n"                \
    "  --cacert FILE       trust the CA certificates in FILE (a private CA)\n"            \
    "  --token-file FILE   send the token in FILE as a bearer token (default:\n"         \
    "                      $ATTACHE_TOKEN)\n"                                             \
    "  --header 'N: V'     send this request header too (repeatable)\n"                  \
    "  --allow-http        allow plain http to hosts other than loopback\n"              \
    "  --timeout SECONDS   give up after this long, retries included (default 60)\n"     \
    "  --retries N         retry connection failures, 429 and 5xx N times (default 3)\n" \
    "  --retry-delay SECS  wait before the first retry, doubled each time (default 1)\n" \
    "  --low-speed-time S  abort a transfer under 1 KB/s for S seconds (default 15)\n"   \
    "  --cache DIR         cache folder (default: $XDG_CACHE_HOME/attache)\n"            \
    "  --no-cache          neither use nor fill the cache\n"                             \
    "  --offline           use the cached copy only\n"

/*
 * Handle option `c` (with its argument) if it is one of CLI_FETCH_LONGOPTS.
 * Returns -1 when it is not, 0 when it was taken, 64 (after a message) when
 * its value is wrong.
 */
int cli_data_option(int c, const char *arg, struct data_args *a);

/* Whether DATA names a URL (http:// or https://) rather than a file. */
bool cli_is_url(const char *arg);

/*
 * Load and validate DATA (a path, an http(s) URL, or "-"), printing every
 * error found.  Returns NULL and sets *status to the exit status on failure.
 */
attache_data *cli_load_data(const char *arg, const struct data_args *a, int *status);

/*
 * Fetch `url` with the options in `a` and validate it; on success *body
 * (free()) and *size hold it and 0 is returned, else the exit status after
 * the messages.  `info` may be NULL.
 */
int cli_fetch_body(const char *url, const struct data_args *a, unsigned char **body,
                   size_t *size, attache_fetch_info *info);

#endif

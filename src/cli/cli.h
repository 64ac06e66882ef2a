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

/*
 * The subcommands, in the cmd_*.c files.  Each handler parses its own
 * options, and its usage text (X_usage) is defined beside them.
 */
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
int cmd_site(int argc, char **argv);
extern const char validate_usage[], templates_usage[], certificates_usage[],
    letters_usage[], induction_usage[], render_usage[], manifest_usage[], keygen_usage[],
    verify_usage[], revoke_usage[], fetch_usage[], site_usage[], import_usage[],
    mail_usage[];

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

/* For the default case of a getopt_long loop: "CMD: unknown option or
 * missing value: 'ARG'" and the "see --help" line; returns 64. */
int cli_unknown_option(const char *cmd, const char *arg);

/*
 * The one operand left after the options, argv[optind]; when there are more
 * or none, NULL after "CMD takes one WHAT" or "CMD needs NEEDED" and the
 * "see --help" line (exit status 64).
 */
const char *cli_operand(const char *cmd, int argc, char **argv, const char *what,
                        const char *needed);

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
    bool no_images;         /* the command uses no image: they are not checked */
    /* for DATA given as an http(s) URL (see cli_data_option): the options
       set straight into `fetch`; what the library does not take here */
    attache_fetch_options fetch;
    const char *token_file, *cache_dir;
    const char *headers[CLI_MAX_HEADERS];
    bool no_cache;
};

/* Every option at its default. */
void cli_data_args_init(struct data_args *a);

/* The long options shared by the commands that take DATA: put
 * CLI_FETCH_LONGOPTS, and those of CLI_MAX_SIZE_LONGOPT, CLI_MAX_ERRORS_LONGOPT,
 * CLI_ASSETS_LONGOPT and CLI_QUIET_LONGOPT ("q" in the short options) the
 * command takes, in the getopt_long table, and pass what the switch does not
 * know to cli_data_option() or cli_other_option(). */
enum {
    CLI_OPT_CACERT = 0x200, CLI_OPT_TOKEN_FILE, CLI_OPT_HEADER, CLI_OPT_ALLOW_HTTP,
    CLI_OPT_TIMEOUT, CLI_OPT_RETRIES, CLI_OPT_RETRY_DELAY, CLI_OPT_LOW_SPEED_TIME,
    CLI_OPT_CACHE, CLI_OPT_NO_CACHE, CLI_OPT_OFFLINE,
    CLI_OPT_MAX_SIZE, CLI_OPT_MAX_ERRORS, CLI_OPT_ASSETS
};
#define CLI_MAX_SIZE_LONGOPT {"max-size", required_argument, NULL, CLI_OPT_MAX_SIZE}
#define CLI_MAX_ERRORS_LONGOPT {"max-errors", required_argument, NULL, CLI_OPT_MAX_ERRORS}
#define CLI_ASSETS_LONGOPT {"assets", required_argument, NULL, CLI_OPT_ASSETS}
#define CLI_QUIET_LONGOPT {"quiet", no_argument, NULL, 'q'}
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

/* What CLI_FETCH_LONGOPTS do, for the end of a usage text. */
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
 * Handle option `c` (with its argument) if it is one of the shared options
 * above (-q included).  Returns -1 when it is not, 0 when it was taken, 64
 * (after a message) when its value is wrong.
 */
int cli_data_option(int c, const char *arg, struct data_args *a);

/*
 * The default case of the getopt_long loop of command `cmd` that takes
 * DATA: cli_data_option(), else cli_unknown_option() for argv[optind - 1].
 * Returns 0 when the option was taken, else the exit status after a message.
 */
int cli_other_option(const char *cmd, int c, char **argv, struct data_args *a);

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

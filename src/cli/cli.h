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

/* Options every command that reads DATA understands. */
struct data_args {
    size_t max_size;
    const char *assets;     /* --assets DIR */
    unsigned max_errors;
    bool quiet;
};

/*
 * Load and validate DATA (a path or "-"), printing every error found.
 * Returns NULL and sets *status to the exit status on failure.
 */
attache_data *cli_load_data(const char *arg, const struct data_args *a, int *status);

#endif

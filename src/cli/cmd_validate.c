/*
 * cmd_validate.c: attache validate DATA.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void print_counts(const attache_batch_info *b)
{
    const struct { const char *what; unsigned n; } c[] = {
        {"selected", b->selected}, {"attached", b->attached},
        {"graduated", b->graduated}, {"withdrawn", b->withdrawn},
    };
    const char *sep = "";
    size_t i;

    for (i = 0; i < sizeof c / sizeof c[0]; i++)
        if (c[i].n) {
            printf("%s%u %s", sep, c[i].n, c[i].what);
            sep = ", ";
        }
}

const char validate_usage[] =
    "usage: attache validate [options] DATA\n"
    "\n"
    "Check DATA (a file, an http(s) URL, or - for standard input) against the attache\n"
    "data format, version 1.  Valid data gives one summary line per batch on stdout;\n"
    "invalid data gives every error found (up to --max-errors) on stderr and exit\n"
    "status 65; data that cannot be fetched gives exit status 69.  data-format.md\n"
    "(docs/ of the sources, share/doc/attache/ when installed) describes the format.\n"
    "\n"
    "  --max-size SIZE     refuse input larger than SIZE bytes (K, M, G suffixes;\n"
    "                      default 64M)\n"
    "  --max-errors N      stop after N errors (default 50)\n"
    "  --assets DIR        where image paths in the data resolve\n"
    "  -q, --quiet         print nothing when the data is valid\n"
    "  -h, --help          show this help\n"
    CLI_FETCH_USAGE;

int cmd_validate(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_MAX_SIZE_LONGOPT,
        CLI_MAX_ERRORS_LONGOPT,
        CLI_ASSETS_LONGOPT,
        CLI_QUIET_LONGOPT,
        {"help", no_argument, NULL, 'h'},
        CLI_FETCH_LONGOPTS,
        {NULL, 0, NULL, 0}
    };
    struct data_args a;
    attache_data *d;
    const char *data_arg;
    size_t i, officers = 0;
    int c, status = 0;

    cli_data_args_init(&a);
    opterr = 0;
    while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            return cli_usage("validate", false);
        default:
            if ((status = cli_other_option("validate", c, argv, &a)))
                return status;
        }
    }
    data_arg = cli_operand("validate", argc, argv, "DATA argument",
                           "DATA: a file, a URL, or - for standard input");
    if (!data_arg)
        return 64;
    d = cli_load_data(data_arg, &a, &status);
    if (!d)
        return status;
    for (i = 0; i < attache_data_batch_count(d); i++) {
        const attache_batch_info *b = attache_data_batch(d, i);

        officers += b->officers;
        if (a.quiet)
            continue;
        printf("%s: %s, %s batch, %s to %s: %u officer%s (", b->id, b->programme_id,
               b->ordinal, b->start, b->end, b->officers, b->officers == 1 ? "" : "s");
        print_counts(b);
        printf("), %u induction session%s\n", b->sessions, b->sessions == 1 ? "" : "s");
    }
    if (!a.quiet)
        printf("%s: valid: %zu batch%s, %zu officer%s\n", attache_data_name(d),
               attache_data_batch_count(d), attache_data_batch_count(d) == 1 ? "" : "es",
               officers, officers == 1 ? "" : "s");
    attache_data_free(d);
    return 0;
}

/*
 * cmd_validate.c: attache validate DATA.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char *ordinal_suffix(unsigned n)
{
    if (n % 100 >= 11 && n % 100 <= 13)
        return "th";
    switch (n % 10) {
    case 1: return "st";
    case 2: return "nd";
    case 3: return "rd";
    default: return "th";
    }
}

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
        {"max-size", required_argument, NULL, 'S'},
        {"max-errors", required_argument, NULL, 'E'},
        {"assets", required_argument, NULL, 'A'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        CLI_FETCH_LONGOPTS,
        {NULL, 0, NULL, 0}
    };
    struct data_args a;
    attache_data *d;
    unsigned long n;
    size_t i, officers = 0;
    int c, status = 0;

    cli_data_args_init(&a);
    opterr = 0;
    while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'S':
            if (!cli_parse_size(optarg, &a.max_size)) {
                cli_error("--max-size '%s' is not a size such as 64M", optarg);
                return 64;
            }
            break;
        case 'E':
            if (!cli_parse_uint(optarg, 1, 100000, &n)) {
                cli_error("--max-errors '%s' is not a number from 1 to 100000", optarg);
                return 64;
            }
            a.max_errors = (unsigned)n;
            break;
        case 'A':
            a.assets = optarg;
            break;
        case 'q':
            a.quiet = true;
            break;
        case 'h':
            return cli_usage("validate", false);
        default:
            if ((status = cli_data_option(c, optarg, &a)) >= 0) {
                if (status)
                    return status;
                break;
            }
            cli_error("validate: unknown option '%s'", argv[optind - 1]);
            return cli_bad_option("validate");
        }
    }
    if (argc - optind != 1) {
        cli_error(argc - optind ? "validate takes one DATA argument"
                                : "validate needs DATA: a file, a URL, or - for standard input");
        return cli_bad_option("validate");
    }
    d = cli_load_data(argv[optind], &a, &status);
    if (!d)
        return status;
    for (i = 0; i < attache_data_batch_count(d); i++) {
        const attache_batch_info *b = attache_data_batch(d, i);

        officers += b->officers;
        if (a.quiet)
            continue;
        printf("%s: %s, %u%s batch, %s to %s: %u officer%s (", b->id, b->programme_id,
               b->number, ordinal_suffix(b->number), b->start, b->end, b->officers,
               b->officers == 1 ? "" : "s");
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

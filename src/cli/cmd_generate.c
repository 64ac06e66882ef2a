/*
 * cmd_generate.c: attache certificates | letters | induction | render.
 *
 * The four commands differ only in which template they use; they share
 * options, progress display and the summary line.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define MAX_IDS 4096

struct gen_cli {
    attache_generate_options o;
    struct data_args data;
    const char *ids[MAX_IDS];
    size_t nids;
    const char *batches[MAX_IDS];
    size_t nbatches;
    char *owned[2 * MAX_IDS];     /* copies made while splitting comma lists */
    size_t nowned;
    bool tty;
    double last_shown;
    const char *cmd;
    const char *builtin;          /* the command's template; NULL for render */
    const char *template_arg, *issue_date, *data_arg;
    bool shard_given;
};

/* ---- progress ------------------------------------------------------------ */

static void show_progress(void *ctx, const attache_progress *p)
{
    struct gen_cli *g = ctx;
    size_t done = p->done + p->failed;
    double rate = p->seconds > 0 ? (double)done / p->seconds : 0;
    bool finished = done >= p->total;

    if (g->data.quiet)
        return;
    if (g->tty) {
        int width = 30, fill = p->total ? (int)((double)done * width / (double)p->total) : width;
        char bar[64];
        double eta = rate > 0 ? (double)(p->total - done) / rate : 0;

        if (!finished && p->seconds - g->last_shown < 0.1)
            return;
        g->last_shown = p->seconds;
        memset(bar, '#', (size_t)fill);
        memset(bar + fill, '.', (size_t)(width - fill));
        bar[width] = '\0';
        fprintf(stderr, "\r[%s] %zu/%zu  %.0f/s  ETA %d:%02d ", bar, done, p->total, rate,
                (int)eta / 60, (int)eta % 60);
        if (finished)
            fputc('\n', stderr);
        fflush(stderr);
    } else if (p->seconds - g->last_shown >= 5 || (finished && g->last_shown > 0)) {
        g->last_shown = p->seconds;
        fprintf(stderr, "attache: %zu/%zu documents, %.0f/s\n", done, p->total, rate);
    }
}

static void show_error(void *ctx, const attache_error *err)
{
    struct gen_cli *g = ctx;

    if (g->tty && !g->data.quiet)
        fputs("\r\033[K", stderr);
    cli_report(err);
}

/* ---- usage ----------------------------------------------------------------- */

/* The options all four commands take, after -t (which render does not). */
#define GENERATE_OPTIONS_USAGE                                                     \
    "  -o, --output DIR    write the documents here (created if missing)\n"        \
    "  -k, --key FILE      signing key (default: $ATTACHE_KEY); make one with\n"   \
    "                      'attache keygen -o NAME'\n"                             \
    "  --officer ID        only these officers (repeat, or a comma list)\n"        \
    "  --batch ID          only these batches (repeat, or a comma list)\n"         \
    "  --merge FILE        also write every document into one print-ready PDF\n"   \
    "  -j, --jobs N        parallel workers (default: the number of CPUs)\n"       \
    "  --shard K/N         make only shard K of N (also read from Slurm array and\n" \
    "                      Kubernetes Indexed Job variables; see docs/scaling.md)\n" \
    "  --issue-date DATE   date the documents are issued (default: today, or\n"    \
    "                      $SOURCE_DATE_EPOCH)\n"                                  \
    "  --force             rewrite documents that are already up to date\n"        \
    "  --assets DIR        where image paths in the data resolve (default: the\n"  \
    "                      data file's folder; for a URL, no images without it)\n" \
    "  --max-size SIZE     refuse data larger than SIZE (default 64M)\n"           \
    "  -q, --quiet         no progress output\n"                                   \
    "  -h, --help          show this help\n"                                       \
    CLI_FETCH_USAGE

#define TEMPLATE_OPTION_USAGE \
    "  -t, --template FILE use this template instead of the built-in one\n"

const char certificates_usage[] =
    "usage: attache certificates [options] DATA -o DIR\n"
    "\n"
    "Make a certificate of completion for every graduated officer in DATA (a file,\n"
    "an http(s) URL, or - for standard input) into DIR/<batch>/<officer>-certificate.pdf,\n"
    "with DIR/manifest.csv listing them.\n"
    "\n"
    TEMPLATE_OPTION_USAGE
    GENERATE_OPTIONS_USAGE;

const char letters_usage[] =
    "usage: attache letters [options] DATA -o DIR\n"
    "\n"
    "Make an attachment letter for every officer in DATA who has not withdrawn, into\n"
    "DIR/<batch>/<officer>-letter.pdf, with DIR/manifest.csv listing them.\n"
    "\n"
    TEMPLATE_OPTION_USAGE
    GENERATE_OPTIONS_USAGE;

const char induction_usage[] =
    "usage: attache induction [options] DATA -o DIR\n"
    "\n"
    "Make an induction pack for every officer in DATA who has not withdrawn, into\n"
    "DIR/<batch>/<officer>-induction.pdf, with DIR/manifest.csv listing them.\n"
    "\n"
    TEMPLATE_OPTION_USAGE
    GENERATE_OPTIONS_USAGE;

const char render_usage[] =
    "usage: attache render [options] TEMPLATE DATA -o DIR\n"
    "\n"
    "Make TEMPLATE's documents (a built-in template's name, or a template file; see\n"
    "docs/templates.md) into DIR/<batch>/<officer>-<kind>.pdf.\n"
    "\n"
    GENERATE_OPTIONS_USAGE;

/* ---- options --------------------------------------------------------------- */

/*
 * Add a comma-separated list of ids; false after saying what is wrong: an
 * empty id ("", "a,,b": an empty list would choose everyone), or too many.
 */
static bool add_ids(struct gen_cli *g, const char *option, const char *arg, const char **list,
                    size_t *n)
{
    char *copy = strdup(arg), *tok, *comma;

    if (!copy || g->nowned == sizeof g->owned / sizeof g->owned[0]) {
        free(copy);
        cli_error("out of memory");
        return false;
    }
    g->owned[g->nowned++] = copy;
    for (tok = copy; tok; tok = comma ? comma + 1 : NULL) {
        if ((comma = strchr(tok, ',')))
            *comma = '\0';
        if (!*tok) {
            cli_error("%s '%.80s' has an empty id", option, arg);
            return false;
        }
        if (*n == MAX_IDS) {
            cli_error("too many %s ids", option);
            return false;
        }
        list[(*n)++] = tok;
    }
    return true;
}

static bool parse_shard(const char *s, unsigned *k, unsigned *n)
{
    char *end;
    unsigned long a, b;

    a = strtoul(s, &end, 10);
    if (end == s || *end != '/')
        return false;
    s = end + 1;
    b = strtoul(s, &end, 10);
    if (end == s || *end || a < 1 || b < 1 || a > b || b > 100000)
        return false;
    *k = (unsigned)a;
    *n = (unsigned)b;
    return true;
}

/* The shard from a scheduler's environment when --shard is not given. */
static int shard_from_env(struct gen_cli *g)
{
    const char *slurm_id = getenv("SLURM_ARRAY_TASK_ID");
    const char *slurm_n = getenv("SLURM_ARRAY_TASK_COUNT");
    const char *slurm_min = getenv("SLURM_ARRAY_TASK_MIN");
    const char *k8s = getenv("JOB_COMPLETION_INDEX");
    unsigned long id, n, min = 0;

    if (slurm_id && slurm_n) {
        if (!cli_parse_uint(slurm_id, 0, 1000000, &id) || !cli_parse_uint(slurm_n, 1, 100000, &n) ||
            (slurm_min && !cli_parse_uint(slurm_min, 0, 1000000, &min)) || id < min ||
            id - min >= n) {
            cli_error("SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT do not make a shard; "
                      "use an array numbered from 0 or 1 without gaps, or give --shard K/N");
            return 64;
        }
        g->o.shard = (unsigned)(id - min + 1);
        g->o.shards = (unsigned)n;
    } else if (k8s) {
        const char *total = getenv("ATTACHE_SHARDS");
        if (!total || !cli_parse_uint(total, 1, 100000, &n) ||
            !cli_parse_uint(k8s, 0, 1000000, &id) || id >= n) {
            cli_error("JOB_COMPLETION_INDEX is set: set ATTACHE_SHARDS to the job's "
                      "completions (see docs/scaling.md), or give --shard K/N");
            return 64;
        }
        g->o.shard = (unsigned)id + 1;
        g->o.shards = (unsigned)n;
    }
    return 0;
}

static int issue_time(struct gen_cli *g, const char *issue_date)
{
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    unsigned long v;

    g->o.issued_at = (int64_t)time(NULL);
    if (sde && *sde) {
        if (!cli_parse_uint(sde, 0, 253402300799UL, &v)) {
            cli_error("SOURCE_DATE_EPOCH '%s' is not a Unix time", sde);
            return 64;
        }
        g->o.issued_at = (int64_t)v;
    }
    if (issue_date && !attache_date_parse(issue_date, &g->o.issued_at)) {
        cli_error("--issue-date '%s' is not a date (YYYY-MM-DD)", issue_date);
        return 64;
    }
    return 0;
}

/* Take one option; -1 to go on, or the exit status. */
static int one_option(struct gen_cli *g, int c, char **argv)
{
    const char *cmd = g->cmd;
    unsigned long n;
    int status;

    switch (c) {
    case 'o':
        g->o.output_dir = optarg;
        break;
    case 'k':
        g->o.key_path = optarg;
        break;
    case 't':
        if (!g->builtin) {
            cli_error("%s: the template is the first argument", cmd);
            return cli_bad_option(cmd);
        }
        g->template_arg = optarg;
        break;
    case 'O':
        if (!add_ids(g, "--officer", optarg, g->ids, &g->nids))
            return 64;
        break;
    case 'B':
        if (!add_ids(g, "--batch", optarg, g->batches, &g->nbatches))
            return 64;
        break;
    case 'M':
        g->o.merge_path = optarg;
        break;
    case 'j':
        if (!cli_parse_uint(optarg, 1, 64, &n)) {
            cli_error("--jobs '%s' is not a number from 1 to 64", optarg);
            return 64;
        }
        g->o.jobs = (unsigned)n;
        break;
    case 'S':
        if (!parse_shard(optarg, &g->o.shard, &g->o.shards)) {
            cli_error("--shard '%s' is not K/N with 1 <= K <= N, like 2/8", optarg);
            return 64;
        }
        g->shard_given = true;
        break;
    case 'D':
        g->issue_date = optarg;
        break;
    case 'F':
        g->o.force = true;
        break;
    case 'h':
        return cli_usage(cmd, false);
    default:
        status = cli_other_option(cmd, c, argv, &g->data);
        return status ? status : -1;
    }
    return -1;
}

/* Read the options and arguments; -1 to go on, or the exit status. */
static int parse_command_line(struct gen_cli *g, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"key", required_argument, NULL, 'k'},
        {"template", required_argument, NULL, 't'},
        {"officer", required_argument, NULL, 'O'},
        {"batch", required_argument, NULL, 'B'},
        {"merge", required_argument, NULL, 'M'},
        {"jobs", required_argument, NULL, 'j'},
        {"shard", required_argument, NULL, 'S'},
        {"issue-date", required_argument, NULL, 'D'},
        {"force", no_argument, NULL, 'F'},
        CLI_QUIET_LONGOPT,
        CLI_MAX_SIZE_LONGOPT,
        CLI_ASSETS_LONGOPT,
        {"help", no_argument, NULL, 'h'},
        CLI_FETCH_LONGOPTS,
        {NULL, 0, NULL, 0}
    };
    const char *cmd = g->cmd;
    int c, status;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:k:t:j:qh", longopts, NULL)) != -1)
        if ((status = one_option(g, c, argv)) >= 0)
            return status;
    if (!g->builtin) {
        if (argc - optind != 2) {
            cli_error("render takes a TEMPLATE and DATA");
            return cli_bad_option(cmd);
        }
        g->data_arg = argv[optind + 1];
        g->template_arg = argv[optind];
    } else if (!(g->data_arg = cli_operand(cmd, argc, argv, "DATA argument",
                                           "DATA: a file, or - for standard input"))) {
        return 64;
    }
    if (!g->o.output_dir) {
        cli_error("%s needs an output folder: -o DIR", cmd);
        return cli_bad_option(cmd);
    }
    return -1;
}

/* The library's options from the command line's (and the environment's). */
static int settle_options(struct gen_cli *g)
{
    int status;

    if (!g->shard_given && (status = shard_from_env(g)) != 0)
        return status;
    if ((status = issue_time(g, g->issue_date)) != 0)
        return status;
    g->o.template_name = g->template_arg ? g->template_arg : g->builtin;
    g->o.officer_ids = g->nids ? g->ids : NULL;
    g->o.n_officer_ids = g->nids;
    g->o.batch_ids = g->nbatches ? g->batches : NULL;
    g->o.n_batch_ids = g->nbatches;
    g->o.on_progress = show_progress;
    g->o.on_error = show_error;
    g->o.ctx = g;
    g->tty = isatty(2);
    return 0;
}

/* Say how the run went: its error if it stopped, else the summary line. */
static void summarise(const struct gen_cli *g, int status, const attache_generate_result *res,
                      const attache_error *err)
{
    /* failed documents were reported one by one; anything else is said here */
    if (status && (res->stopped || !res->failed))
        cli_report(err);
    if (!g->data.quiet && (status == 0 || (res->failed && !res->stopped))) {
        size_t done = res->written + res->reused;
        fprintf(stderr, "attache: %zu document%s in %s (%zu written, %zu up to date), "
                        "%zu failed, %zu skipped, %.1f s",
                done, done == 1 ? "" : "s", g->o.output_dir, res->written, res->reused,
                res->failed, res->skipped, res->seconds);
        if (res->seconds > 0 && done)
            fprintf(stderr, ", %.0f/s", (double)done / res->seconds);
        fputc('\n', stderr);
    }
    if (status && res->failed && !res->stopped)
        cli_error("%zu document%s failed", res->failed, res->failed == 1 ? "" : "s");
}

static int generate(int argc, char **argv, const char *cmd, const char *builtin)
{
    struct gen_cli *g = calloc(1, sizeof *g);
    attache_generate_result res;
    attache_data *data = NULL;
    attache_error err;
    int status;
    size_t i;

    if (!g) {
        cli_error("out of memory");
        return 70;
    }
    g->cmd = cmd;
    g->builtin = builtin;
    g->o.key_path = getenv("ATTACHE_KEY");
    cli_data_args_init(&g->data);
    if ((status = parse_command_line(g, argc, argv)) >= 0)
        goto done;
    if ((status = settle_options(g)) != 0)
        goto done;
    data = cli_load_data(g->data_arg, &g->data, &status);
    if (!data)
        goto done;
    if (builtin && g->template_arg) {
        attache_error_clear(&err);
        if (attache_template_check_kind(g->template_arg, builtin, &err) != ATTACHE_OK) {
            status = cli_report(&err);
            goto done;
        }
    }
    attache_error_clear(&err);
    status = (int)attache_generate(data, &g->o, &res, &err);
    summarise(g, status, &res, &err);
done:
    attache_data_free(data);
    for (i = 0; i < g->nowned; i++)
        free(g->owned[i]);
    free(g);
    return status;
}

int cmd_certificates(int argc, char **argv)
{
    return generate(argc, argv, "certificates", "certificate");
}

int cmd_letters(int argc, char **argv)
{
    return generate(argc, argv, "letters", "letter");
}

int cmd_induction(int argc, char **argv)
{
    return generate(argc, argv, "induction", "induction");
}

int cmd_render(int argc, char **argv)
{
    return generate(argc, argv, "render", NULL);
}

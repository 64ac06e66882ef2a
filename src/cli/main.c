/*
 * main.c: the attache tool.  One table of subcommands; `attache --help` is
 * made from it, and each subcommand parses its own options.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/*
 * The commands, in the order `attache --help` lists them: name, handler,
 * one-line summary, usage text (defined beside the handler's options).
 */
const struct command commands[] = {
    {"validate", cmd_validate, "check data against the data format and summarise it", validate_usage},
    {"fetch", cmd_fetch, "download data over HTTP(S), validate it, write it atomically", fetch_usage},
    {"certificates", cmd_certificates, "graduation certificates, one PDF per graduated officer", certificates_usage},
    {"letters", cmd_letters, "attachment (welcome) letters, one per officer not withdrawn", letters_usage},
    {"induction", cmd_induction, "induction packs, one multi-page PDF per officer not withdrawn", induction_usage},
    {"render", cmd_render, "documents from any template, built-in or a file", render_usage},
    {"keygen", cmd_keygen, "make an Ed25519 key pair for signing documents", keygen_usage},
    {"verify", cmd_verify, "check documents' QR codes: VALID, INVALID, REVOKED or UNKNOWN-KEY", verify_usage},
    {"revoke", cmd_revoke, "add a document to a revocation list", revoke_usage},
    {"site", cmd_site, "write the static verification page that documents' QR codes open", site_usage},
    {"manifest", cmd_manifest, "combine the manifests of shard runs into one", manifest_usage},
    {"import", cmd_import, "make a batch's officers the rows of a spreadsheet (CSV)", import_usage},
    {"mail", cmd_mail, "e-mail each document of a folder to its officer, once", mail_usage},
    {"templates", cmd_templates, "list the built-in templates", templates_usage},
    {NULL, NULL, NULL, NULL}
};

static const struct command *find(const char *name)
{
    const struct command *c;

    for (c = commands; c->name; c++)
        if (!strcmp(c->name, name))
            return c;
    return NULL;
}

static void main_usage(FILE *out)
{
    const struct command *c;

    fprintf(out, "usage: attache [--version] [--help] COMMAND [ARGS]\n\n"
                 "attache turns officer and batch data (XML) into print-ready PDF documents\n"
                 "with signed QR codes.\n\ncommands:\n");
    for (c = commands; c->name; c++)
        fprintf(out, "  %-13s %s\n", c->name, c->summary);
    fprintf(out, "\n'attache help COMMAND' or 'attache COMMAND --help' describes a command.\n"
                 "How to write the data file: data-format.md, in docs/ of the sources and in\n"
                 "share/doc/attache/ where attache is installed; 'man attache' for the rest.\n");
}

void cli_error(const char *fmt, ...)
{
    va_list ap;

    fputs("attache: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_report(const attache_error *err)
{
    char buf[1024];

    cli_error("%s", attache_error_format(err, buf, sizeof buf));
    return err->code ? (int)err->code : 70;
}

int cli_usage(const char *cmd, bool to_stderr)
{
    const struct command *c = find(cmd);

    if (!c)
        return 64;
    fputs(c->usage, to_stderr ? stderr : stdout);
    return to_stderr ? 64 : 0;
}

int cli_bad_option(const char *cmd)
{
    cli_error("see 'attache %s --help'", cmd);
    return 64;
}

int cli_unknown_option(const char *cmd, const char *arg)
{
    cli_error("%s: unknown option or missing value: '%s'", cmd, arg);
    return cli_bad_option(cmd);
}

const char *cli_operand(const char *cmd, int argc, char **argv, const char *what,
                        const char *needed)
{
    if (argc - optind == 1)
        return argv[optind];
    if (argc - optind > 1)
        cli_error("%s takes one %s", cmd, what);
    else
        cli_error("%s needs %s", cmd, needed);
    cli_bad_option(cmd);
    return NULL;
}

bool cli_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;

    if (!s || !*s || *s == '-' || *s == '+')
        return false;
    v = strtoul(s, &end, 10);
    if (*end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool cli_parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v, mult = 1;

    if (!s || *s < '0' || *s > '9')
        return false;
    v = strtoull(s, &end, 10);
    if (*end == 'K' || *end == 'k')
        mult = 1024ULL, end++;
    else if (*end == 'M' || *end == 'm')
        mult = 1024ULL * 1024, end++;
    else if (*end == 'G' || *end == 'g')
        mult = 1024ULL * 1024 * 1024, end++;
    if (*end || v == 0 || v > (unsigned long long)SIZE_MAX / mult)
        return false;
    *out = (size_t)(v * mult);
    return true;
}

static int run(int argc, char **argv);

/*
 * Results lost on the way out (a full disk behind > FILE, a closed pipe's
 * other end) are an I/O error, whichever command printed them: stdout is
 * flushed here, and a write that failed makes the status 74.  A command
 * that found it already said so and returned 74.
 */
int main(int argc, char **argv)
{
    int status = run(argc, argv);

    errno = 0;
    if ((fflush(stdout) != 0 || ferror(stdout)) && status != 74) {
        if (errno)
            cli_error("cannot write to standard output: %s", strerror(errno));
        else
            cli_error("cannot write to standard output");
        return 74;
    }
    return status;
}

static int run(int argc, char **argv)
{
    const struct command *c;

    if (argc < 2) {
        main_usage(stderr);
        return 64;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        main_usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("attache %s\n", attache_version());
        return 0;
    }
    if (!strcmp(argv[1], "help")) {
        if (argc < 3) {
            main_usage(stdout);
            return 0;
        }
        if (!find(argv[2])) {
            cli_error("'%s' is not an attache command; see 'attache --help'", argv[2]);
            return 64;
        }
        return cli_usage(argv[2], false);
    }
    c = find(argv[1]);
    if (!c) {
        if (argv[1][0] == '-')
            cli_error("unknown option '%s'; see 'attache --help'", argv[1]);
        else
            cli_error("'%s' is not an attache command; see 'attache --help'", argv[1]);
        return 64;
    }
    return c->run(argc - 1, argv + 1);
}

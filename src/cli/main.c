/*
 * main.c: the attache tool.  One table of subcommands; `attache --help` is
 * made from it, and each subcommand parses its own options.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"


const struct command commands[] = {
    {"validate", cmd_validate, "check data against the data format and summarise it",
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
     CLI_FETCH_USAGE},
    {"fetch", cmd_fetch, "download data over HTTP(S), validate it, write it atomically",
     "usage: attache fetch [options] URL [-o FILE]\n"
     "\n"
     "Download URL (http or https; plain http only to loopback unless --allow-http),\n"
     "check that it is valid attache data, and only then write it: atomically to FILE,\n"
     "or to standard output.  On any failure FILE is left as it was.  Exit status 69\n"
     "when the data cannot be fetched (HTTP error, timeout, too large, TLS), 65 when\n"
     "what arrives is not attache data.\n"
     "\n"
     "  -o, --output FILE   write the data here (default: standard output)\n"
     "  --max-size SIZE     refuse a body larger than SIZE after decompression\n"
     "                      (K, M, G suffixes; default 64M)\n"
     "  -q, --quiet         no progress or summary output\n"
     "  -h, --help          show this help\n"
     CLI_FETCH_USAGE},
    {"certificates", cmd_certificates, "graduation certificates, one PDF per graduated officer",
     "usage: attache certificates [options] DATA -o DIR\n"
     "\n"
     "Make a certificate of completion for every graduated officer in DATA (a file,\n"
     "an http(s) URL, or - for standard input) into DIR/<batch>/<officer>-certificate.pdf,\n"
     "with DIR/manifest.csv listing them.\n"
     "\n"
     "  -t, --template FILE use this template instead of the built-in one\n"
     "  -o, --output DIR    write the documents here (created if missing)\n"
     "  -k, --key FILE      signing key (default: $ATTACHE_KEY); make one with\n"
     "                      'attache keygen -o NAME'\n"
     "  --officer ID        only these officers (repeat, or a comma list)\n"
     "  --batch ID          only these batches (repeat, or a comma list)\n"
     "  --merge FILE        also write every document into one print-ready PDF\n"
     "  -j, --jobs N        parallel workers (default: the number of CPUs)\n"
     "  --shard K/N         make only shard K of N (also read from Slurm array and\n"
     "                      Kubernetes Indexed Job variables; see docs/scaling.md)\n"
     "  --issue-date DATE   date the documents are issued (default: today, or\n"
     "                      $SOURCE_DATE_EPOCH)\n"
     "  --force             rewrite documents that are already up to date\n"
     "  --assets DIR        where image paths in the data resolve (default: the\n"
     "                      data file's folder; for a URL, no images without it)\n"
     "  --max-size SIZE     refuse data larger than SIZE (default 64M)\n"
     "  -q, --quiet         no progress output\n"
     "  -h, --help          show this help\n"
     CLI_FETCH_USAGE},
    {"letters", cmd_letters, "attachment (welcome) letters, one per officer not withdrawn",
     "usage: attache letters [options] DATA -o DIR\n"
     "\n"
     "Make an attachment letter for every officer in DATA who has not withdrawn, into\n"
     "DIR/<batch>/<officer>-letter.pdf, with DIR/manifest.csv listing them.\n"
     "\n"
     "  -t, --template FILE use this template instead of the built-in one\n"
     "  -o, --output DIR    write the documents here (created if missing)\n"
     "  -k, --key FILE      signing key (default: $ATTACHE_KEY); make one with\n"
     "                      'attache keygen -o NAME'\n"
     "  --officer ID        only these officers (repeat, or a comma list)\n"
     "  --batch ID          only these batches (repeat, or a comma list)\n"
     "  --merge FILE        also write every document into one print-ready PDF\n"
     "  -j, --jobs N        parallel workers (default: the number of CPUs)\n"
     "  --shard K/N         make only shard K of N (also read from Slurm array and\n"
     "                      Kubernetes Indexed Job variables; see docs/scaling.md)\n"
     "  --issue-date DATE   date the documents are issued (default: today, or\n"
     "                      $SOURCE_DATE_EPOCH)\n"
     "  --force             rewrite documents that are already up to date\n"
     "  --assets DIR        where image paths in the data resolve (default: the\n"
     "                      data file's folder; for a URL, no images without it)\n"
     "  --max-size SIZE     refuse data larger than SIZE (default 64M)\n"
     "  -q, --quiet         no progress output\n"
     "  -h, --help          show this help\n"
     CLI_FETCH_USAGE},
    {"induction", cmd_induction, "induction packs, one multi-page PDF per officer not withdrawn",
     "usage: attache induction [options] DATA -o DIR\n"
     "\n"
     "Make an induction pack for every officer in DATA who has not withdrawn, into\n"
     "DIR/<batch>/<officer>-induction.pdf, with DIR/manifest.csv listing them.\n"
     "\n"
     "  -t, --template FILE use this template instead of the built-in one\n"
     "  -o, --output DIR    write the documents here (created if missing)\n"
     "  -k, --key FILE      signing key (default: $ATTACHE_KEY); make one with\n"
     "                      'attache keygen -o NAME'\n"
     "  --officer ID        only these officers (repeat, or a comma list)\n"
     "  --batch ID          only these batches (repeat, or a comma list)\n"
     "  --merge FILE        also write every document into one print-ready PDF\n"
     "  -j, --jobs N        parallel workers (default: the number of CPUs)\n"
     "  --shard K/N         make only shard K of N (also read from Slurm array and\n"
     "                      Kubernetes Indexed Job variables; see docs/scaling.md)\n"
     "  --issue-date DATE   date the documents are issued (default: today, or\n"
     "                      $SOURCE_DATE_EPOCH)\n"
     "  --force             rewrite documents that are already up to date\n"
     "  --assets DIR        where image paths in the data resolve (default: the\n"
     "                      data file's folder; for a URL, no images without it)\n"
     "  --max-size SIZE     refuse data larger than SIZE (default 64M)\n"
     "  -q, --quiet         no progress output\n"
     "  -h, --help          show this help\n"
     CLI_FETCH_USAGE},
    {"render", cmd_render, "documents from any template, built-in or a file",
     "usage: attache render [options] TEMPLATE DATA -o DIR\n"
     "\n"
     "Make TEMPLATE's documents (a built-in template's name, or a template file; see\n"
     "docs/templates.md) into DIR/<batch>/<officer>-<kind>.pdf.\n"
     "\n"
     "  -o, --output DIR    write the documents here (created if missing)\n"
     "  -k, --key FILE      signing key (default: $ATTACHE_KEY); make one with\n"
     "                      'attache keygen -o NAME'\n"
     "  --officer ID        only these officers (repeat, or a comma list)\n"
     "  --batch ID          only these batches (repeat, or a comma list)\n"
     "  --merge FILE        also write every document into one print-ready PDF\n"
     "  -j, --jobs N        parallel workers (default: the number of CPUs)\n"
     "  --shard K/N         make only shard K of N (also read from Slurm array and\n"
     "                      Kubernetes Indexed Job variables; see docs/scaling.md)\n"
     "  --issue-date DATE   date the documents are issued (default: today, or\n"
     "                      $SOURCE_DATE_EPOCH)\n"
     "  --force             rewrite documents that are already up to date\n"
     "  --assets DIR        where image paths in the data resolve (default: the\n"
     "                      data file's folder; for a URL, no images without it)\n"
     "  --max-size SIZE     refuse data larger than SIZE (default 64M)\n"
     "  -q, --quiet         no progress output\n"
     "  -h, --help          show this help\n"
     CLI_FETCH_USAGE},
    {"keygen", cmd_keygen, "make an Ed25519 key pair for signing documents",
     "usage: attache keygen -o NAME --issuer ID [--not-before DATE] [--not-after DATE]\n"
     "\n"
     "Write NAME.key (the secret key, readable by you only; keep it safe) and NAME.pub\n"
     "(the public key, for verifiers).  ID is the issuer's id in the data\n"
     "(<issuer id=...>).  Existing files are never overwritten.\n"
     "\n"
     "  --not-before DATE   verifiers accept documents issued from DATE (YYYY-MM-DD)\n"
     "  --not-after DATE    ... and up to DATE; for rotating keys\n"
     "  -h, --help          show this help\n"},
    {"verify", cmd_verify, "check documents' QR codes: VALID, INVALID, REVOKED or UNKNOWN-KEY",
     "usage: attache verify [--pub FILE]... [--revoked FILE] INPUT...\n"
     "\n"
     "Check each INPUT: a QR code's text (a token ATT1:... or a URL ending in one:\n"
     "any INPUT with ATT1: in it, in either case), a file, or - for one text per\n"
     "line on standard input.  A file is a PDF attache made (its tokens are kept\n"
     "in it: a print file's, one per document) or a PNG or JPEG picture with QR\n"
     "codes in it (a scan or a photo of a document).  One line per code or token,\n"
     "tab-separated:\n"
     "  VALID|INVALID|REVOKED|UNKNOWN-KEY  kind  document-id  name  batch  issue-date  [why]\n"
     "Exit status 0 when every input is VALID, 1 otherwise, 66 when a file cannot\n"
     "be opened (the other inputs are still checked).\n"
     "\n"
     "  --pub FILE          a trusted public key (repeat for several; default:\n"
     "                      $ATTACHE_PUB, a colon-separated list)\n"
     "  --revoked FILE      a revocation list (see attache revoke)\n"
     "  -h, --help          show this help\n"},
    {"revoke", cmd_revoke, "add a document to a revocation list",
     "usage: attache revoke DOCID --reason TEXT --list FILE [--date DATE]\n"
     "\n"
     "Add the document DOCID (as printed under its QR code) to the revocation list\n"
     "FILE, created if missing and replaced atomically.  attache verify --revoked FILE\n"
     "then reports it REVOKED.\n"
     "\n"
     "  --reason TEXT       why (at most 200 characters)\n"
     "  --date DATE         the day it is revoked (default: today, UTC)\n"
     "  -h, --help          show this help\n"},
    {"site", cmd_site, "write the static verification page that documents' QR codes open", site_usage},
    {"manifest", cmd_manifest, "combine the manifests of shard runs into one",
     "usage: attache manifest merge [-o FILE] [--data DATA] MANIFEST...\n"
     "\n"
     "Combine the manifest.csv files of shard runs (attache ... --shard K/N) into one,\n"
     "each document once, written atomically to FILE (default: standard output).\n"
     "With --data, rows follow the order of the officers in DATA, as an unsharded run\n"
     "writes them; without it they are ordered by file name.\n"
     "\n"
     "  -o, --output FILE   write the merged manifest here\n"
     "  --data DATA         order the rows as the officers are in DATA\n"
     "  -h, --help          show this help\n"},
    {"import", cmd_import, "make a batch's officers the rows of a spreadsheet (CSV)", import_usage},
    {"mail", cmd_mail, "e-mail each document of a folder to its officer, once", mail_usage},
    {"templates", cmd_templates, "list the built-in templates",
     "usage: attache templates [--show NAME]\n"
     "\n"
     "List the built-in templates: name, kind of document, page set-up.\n"
     "\n"
     "  --show NAME         print the built-in template NAME, to copy and change:\n"
     "                      attache templates --show certificate > mine.xml\n"
     "                      attache certificates DATA -o DIR --template mine.xml\n"
     "  -h, --help          show this help\n"},
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

int main(int argc, char **argv)
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

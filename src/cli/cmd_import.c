/*
 * cmd_import.c: attache import CSV --into DATA --batch ID -o OUT.
 */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* attache help import: beside the options it describes (main.c's table points here). */
const char import_usage[] =
    "usage: attache import CSV --into DATA --batch ID -o OUT\n"
    "\n"
    "Read the spreadsheet CSV (saved as CSV by Excel or LibreOffice: UTF-8, comma or\n"
    "semicolon) and write OUT: DATA with the officers of batch ID replaced by one\n"
    "officer per row, checked like any data.  DATA is not changed.  The header row\n"
    "names the columns, in any order: id, status, honorific, name, name:LANG (the\n"
    "name in a language's own script, e.g. name:km), country (a code such as KH),\n"
    "ministry, position, department, division, supervisor, email, photo.  Every bad\n"
    "row is reported as CSV:LINE: column 'NAME': what is wrong, with exit status 65,\n"
    "and then nothing is written.  See data-format.md, \"Officers from a spreadsheet\".\n"
    "\n"
    "  --into DATA         the data file (or http(s) URL) the officers go into\n"
    "  --batch ID          the batch whose officers the rows become\n"
    "  -o, --output OUT    write the new data file here, atomically\n"
    "  --assets DIR        where image paths in the data resolve (default: DATA's\n"
    "                      folder)\n"
    "  --max-size SIZE     refuse a spreadsheet or data over SIZE (default 64M)\n"
    "  --max-errors N      stop after N errors (default 50)\n"
    "  -q, --quiet         no summary line\n"
    "  -h, --help          show this help\n"
    CLI_FETCH_USAGE;

/* Print each error as it is found, counting them. */
static void print_error(void *ctx, const attache_error *err)
{
    (*(unsigned *)ctx)++;
    cli_report(err);
}

/* Read a file or standard input ("-"), reporting failure; 0 or the exit status. */
static int read_local(const char *path, size_t max_size, unsigned char **bytes, size_t *size)
{
    attache_error err;

    attache_error_clear(&err);
    if (attache_read_input(path, max_size, bytes, size, &err) != ATTACHE_OK)
        return cli_report(&err);
    return 0;
}

/* True when `a` and `b` name one existing file. */
static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;

    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

int cmd_import(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"into", required_argument, NULL, 'i'},
        {"batch", required_argument, NULL, 'b'},
        {"output", required_argument, NULL, 'o'},
        CLI_ASSETS_LONGOPT,
        CLI_MAX_SIZE_LONGOPT,
        CLI_MAX_ERRORS_LONGOPT,
        CLI_QUIET_LONGOPT,
        {"help", no_argument, NULL, 'h'},
        CLI_FETCH_LONGOPTS,
        {NULL, 0, NULL, 0}
    };
    const char *into = NULL, *batch = NULL, *out_path = NULL, *csv_path;
    struct data_args a;
    attache_import_options o = {0};
    attache_error err;
    unsigned char *csv = NULL, *data = NULL;
    size_t csv_size = 0, data_size = 0, out_size = 0;
    char *out = NULL, *dir_copy = NULL;
    unsigned printed = 0;
    int c, status = 0;

    cli_data_args_init(&a);
    a.max_size = ATTACHE_DEFAULT_MAX_SIZE;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'i':
            into = optarg;
            break;
        case 'b':
            batch = optarg;
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'h':
            return cli_usage("import", false);
        default:
            if ((status = cli_other_option("import", c, argv, &a)))
                return status;
        }
    }
    csv_path = cli_operand("import", argc, argv, "CSV argument",
                           "the spreadsheet, saved as CSV");
    if (!csv_path)
        return 64;
    if (!into || !batch || !out_path) {
        cli_error("import needs %s", !into ? "--into DATA, the data the officers go into"
                                     : !batch ? "--batch ID, the batch the rows are the officers of"
                                              : "-o OUT, the file to write");
        return cli_bad_option("import");
    }
    if (!strcmp(csv_path, "-") && !strcmp(into, "-")) {
        cli_error("import: only one of CSV and DATA can be standard input");
        return cli_bad_option("import");
    }
    if (!strcmp(out_path, "-") || same_file(out_path, into) || same_file(out_path, csv_path)) {
        cli_error("import: -o OUT must be a new file: DATA and the spreadsheet are never changed");
        return 64;
    }

    if ((status = read_local(csv_path, a.max_size, &csv, &csv_size)))
        goto done;
    if (cli_is_url(into))
        status = cli_fetch_body(into, &a, &data, &data_size, NULL);
    else
        status = read_local(into, a.max_size, &data, &data_size);
    if (status)
        goto done;

    o.batch_id = batch;
    o.csv_name = strcmp(csv_path, "-") ? csv_path : "<stdin>";
    o.data_name = strcmp(into, "-") ? into : "<stdin>";
    o.output_name = out_path;
    if (a.assets)
        o.base_dir = a.assets;
    else if (!cli_is_url(into) && strcmp(into, "-") && (dir_copy = strdup(into)))
        o.base_dir = dirname(dir_copy);
    o.max_errors = a.max_errors;
    o.on_error = print_error;
    o.on_error_ctx = &printed;
    attache_error_clear(&err);
    if (attache_import(csv, csv_size, data, data_size, &o, &out, &out_size, &err) != ATTACHE_OK) {
        status = err.code ? (int)err.code : 70;
        if (!printed)
            cli_report(&err);
        goto done;
    }
    if (attache_write_file(out_path, out, out_size, &err) != ATTACHE_OK) {
        status = cli_report(&err);
        goto done;
    }
    if (!a.quiet)
        printf("%s: batch '%s' has the officers of %s\n", out_path, batch, o.csv_name);
done:
    free(dir_copy);
    free(out);
    free(data);
    free(csv);
    return status;
}

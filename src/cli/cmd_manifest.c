/*
 * cmd_manifest.c: attache manifest merge.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char manifest_usage[] =
    "usage: attache manifest merge [-o FILE] [--data DATA] MANIFEST...\n"
    "\n"
    "Combine the manifest.csv files of shard runs (attache ... --shard K/N) into one,\n"
    "each document once, written atomically to FILE (default: standard output).\n"
    "With --data, rows follow the order of the officers in DATA, as an unsharded run\n"
    "writes them; without it they are ordered by file name.\n"
    "\n"
    "  -o, --output FILE   write the merged manifest here\n"
    "  --data DATA         order the rows as the officers are in DATA\n"
    "  -h, --help          show this help\n";

int cmd_manifest(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"data", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}
    };
    const char *out_path = NULL, *data_arg = NULL;
    struct data_args a;
    attache_data *data = NULL;
    attache_error err;
    char *csv = NULL;
    size_t len = 0;
    int c, status = 0;

    if (argc < 2 || strcmp(argv[1], "merge")) {
        if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
            return cli_usage("manifest", false);
        cli_error("manifest: the only action is 'merge'");
        return cli_bad_option("manifest");
    }
    argc--;
    argv++;
    cli_data_args_init(&a);
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out_path = optarg;
            break;
        case 'd':
            data_arg = optarg;
            break;
        case 'h':
            return cli_usage("manifest", false);
        default:
            cli_error("manifest merge: unknown option '%s'", argv[optind - 1]);
            return cli_bad_option("manifest");
        }
    }
    if (optind == argc) {
        cli_error("manifest merge needs the manifests to merge");
        return cli_bad_option("manifest");
    }
    if (data_arg && !(data = cli_load_data(data_arg, &a, &status)))
        return status;
    attache_error_clear(&err);
    if (attache_manifest_merge((const char *const *)argv + optind, (size_t)(argc - optind), data,
                               &csv, &len, &err) != ATTACHE_OK)
        status = cli_report(&err);
    else if (out_path) {
        if (attache_write_file(out_path, csv, len, &err) != ATTACHE_OK)
            status = cli_report(&err);
    } else if (fwrite(csv, 1, len, stdout) != len || fflush(stdout) != 0) {
        cli_error("cannot write the merged manifest to standard output");
        status = 74;
    }
    free(csv);
    attache_data_free(data);
    return status;
}

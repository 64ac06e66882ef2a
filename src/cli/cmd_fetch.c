/*
 * cmd_fetch.c: attache fetch URL [-o FILE].
 *
 * Download data, validate it, and only then write it: atomically to FILE
 * (a temporary file beside it, synced, renamed), or to standard output.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char fetch_usage[] =
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
    CLI_FETCH_USAGE;

int cmd_fetch(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        CLI_MAX_SIZE_LONGOPT,
        CLI_QUIET_LONGOPT,
        {"help", no_argument, NULL, 'h'},
        CLI_FETCH_LONGOPTS,
        {NULL, 0, NULL, 0}
    };
    struct data_args a;
    attache_fetch_info info;
    attache_error err;
    const char *output = NULL, *url;
    unsigned char *body = NULL;
    size_t size = 0;
    int c, status = 0;

    cli_data_args_init(&a);
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            output = optarg;
            break;
        case 'h':
            return cli_usage("fetch", false);
        default:
            if ((status = cli_other_option("fetch", c, argv, &a)))
                return status;
        }
    }
    if (!(url = cli_operand("fetch", argc, argv, "URL", "a URL")))
        return 64;
    status = cli_fetch_body(url, &a, &body, &size, &info);
    if (status)
        goto done;
    if (output) {
        attache_error_clear(&err);
        if (attache_write_file(output, body, size, &err) != ATTACHE_OK) {
            status = cli_report(&err);
            goto done;
        }
        if (!a.quiet)
            cli_error("%s: %zu bytes, %s", output, size,
                      info.from_cache ? "the cached copy (not modified)" : "downloaded");
    } else if (fwrite(body, 1, size, stdout) != size || fflush(stdout) != 0) {
        cli_error("standard output: cannot write: %s", strerror(errno));
        status = 74;
    }
done:
    free(body);
    return status;
}

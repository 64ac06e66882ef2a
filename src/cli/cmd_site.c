/*
 * cmd_site.c: attache site, the static verification page that documents'
 * QR codes open.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

const char site_usage[] =
    "usage: attache site -o DIR --pub FILE... [--revoked FILE] [--data DATA] [--base PATH]\n"
    "\n"
    "Write the verification site into DIR: a page that checks a document's QR code in\n"
    "the phone's browser, with no app and no server code, and gives the verdict\n"
    "'attache verify' gives (VALID, INVALID, REVOKED or UNKNOWN-KEY).  Publish DIR on\n"
    "any static web host at the address of the data's verify-url, for example\n"
    "https://verify.example.org/ for the verify-url https://verify.example.org/v/\n"
    "(docs/verify.md).  Run it again, and publish again, when keys or the revocation\n"
    "list change.\n"
    "\n"
    "  -o, --output DIR    write the site here (created if missing)\n"
    "  --pub FILE          a public key the page trusts (repeat for several)\n"
    "  --revoked FILE      a revocation list to publish (see attache revoke); its\n"
    "                      publication day is today (UTC), or $SOURCE_DATE_EPOCH's\n"
    "  --data DATA         the data documents were made from (repeatable): the page\n"
    "                      shows the issuer's name, the programme's title and the\n"
    "                      batch as documents print them, beside the signed ids\n"
    "  --base PATH         the path at which DIR is served on its host (default /,\n"
    "                      the site's root; e.g. /verify/): 404.html, which static\n"
    "                      hosts send for /v/ATT1:..., loads the page from there\n"
    "  -h, --help          show this help\n";

/* The publication day: $SOURCE_DATE_EPOCH's, for reproducible sites, or today's. */
static int today(char out[11])
{
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    time_t now = time(NULL);
    struct tm tm;
    unsigned long v;

    if (sde && *sde) {
        if (!cli_parse_uint(sde, 0, 253402300799UL, &v)) {
            cli_error("SOURCE_DATE_EPOCH '%s' is not a Unix time", sde);
            return 64;
        }
        now = (time_t)v;
    }
    gmtime_r(&now, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
    return 0;
}

int cmd_site(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"pub", required_argument, NULL, 'p'},
        {"revoked", required_argument, NULL, 'r'},
        {"base", required_argument, NULL, 'b'},
        {"data", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}
    };
    static const char *const written[] = {"index.html", "404.html", "trust.json", "verify.js",
                                          "token.js", "verify.css", "icon.svg"};
    const char *dir = NULL, *base = NULL;
    char published[11];
    attache_verifier *v;
    attache_error err;
    int c, status = 0, nkeys = 0;
    size_t i;

    attache_error_clear(&err);
    v = attache_verifier_new(&err);
    if (!v)
        return cli_report(&err);
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': dir = optarg; break;
        case 'b': base = optarg; break;
        case 'd': {
            struct data_args a;
            attache_data *d;

            cli_data_args_init(&a);
            a.quiet = true;
            a.no_images = true;
            if (!(d = cli_load_data(optarg, &a, &status)))
                goto done;
            status = attache_verifier_add_names(v, d, &err) == ATTACHE_OK ? 0 : cli_report(&err);
            attache_data_free(d);
            if (status)
                goto done;
            break;
        }
        case 'p':
            if (attache_verifier_add_key(v, optarg, &err) != ATTACHE_OK) {
                status = cli_report(&err);
                goto done;
            }
            nkeys++;
            break;
        case 'r':
            if (attache_verifier_add_revocations(v, optarg, &err) != ATTACHE_OK) {
                status = cli_report(&err);
                goto done;
            }
            break;
        case 'h':
            status = cli_usage("site", false);
            goto done;
        default:
            status = cli_unknown_option("site", argv[optind - 1]);
            goto done;
        }
    }
    if (!dir || optind != argc) {
        cli_error("site needs -o DIR, and takes no other arguments");
        status = cli_bad_option("site");
        goto done;
    }
    if (!nkeys) {
        cli_error("site needs at least one public key: --pub FILE (made by attache keygen)");
        status = cli_bad_option("site");
        goto done;
    }
    if ((status = today(published)) != 0)
        goto done;
    if (attache_site_write(v, dir, base, published, &err) != ATTACHE_OK) {
        status = cli_report(&err);
        goto done;
    }
    for (i = 0; i < sizeof written / sizeof *written; i++)
        printf("%s/%s\n", dir, written[i]);
done:
    attache_verifier_free(v);
    return status;
}

/*
 * cmd_keys.c: attache keygen, attache verify, attache revoke.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"

#define MAX_LINE 8192

const char keygen_usage[] =
    "usage: attache keygen -o NAME --issuer ID [--not-before DATE] [--not-after DATE]\n"
    "\n"
    "Write NAME.key (the secret key, readable by you only; keep it safe) and NAME.pub\n"
    "(the public key, for verifiers).  ID is the issuer's id in the data\n"
    "(<issuer id=...>).  Existing files are never overwritten.\n"
    "\n"
    "  --not-before DATE   verifiers accept documents issued from DATE (YYYY-MM-DD)\n"
    "  --not-after DATE    ... and up to DATE; for rotating keys\n"
    "  -h, --help          show this help\n";

int cmd_keygen(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"issuer", required_argument, NULL, 'i'},
        {"not-before", required_argument, NULL, 'b'},
        {"not-after", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}
    };
    const char *name = NULL, *issuer = NULL, *nb = NULL, *na = NULL;
    attache_error err;
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': name = optarg; break;
        case 'i': issuer = optarg; break;
        case 'b': nb = optarg; break;
        case 'a': na = optarg; break;
        case 'h': return cli_usage("keygen", false);
        default:
            return cli_unknown_option("keygen", argv[optind - 1]);
        }
    }
    if (optind != argc) {
        cli_error("keygen takes no arguments: '%s' (give the name with -o NAME)", argv[optind]);
        return cli_bad_option("keygen");
    }
    if (!name) {
        cli_error("keygen needs -o NAME (it writes NAME.key and NAME.pub)");
        return cli_bad_option("keygen");
    }
    if (!issuer) {
        cli_error("keygen needs --issuer ID: the id of the issuer in your data (<issuer id=...>)");
        return cli_bad_option("keygen");
    }
    attache_error_clear(&err);
    if (attache_keygen(name, issuer, nb, na, &err) != ATTACHE_OK)
        return cli_report(&err);
    printf("%s.key\n%s.pub\n", name, name);
    return 0;
}

static const char *verdict_name(attache_verdict v)
{
    switch (v) {
    case ATTACHE_VALID: return "VALID";
    case ATTACHE_REVOKED: return "REVOKED";
    case ATTACHE_UNKNOWN_KEY: return "UNKNOWN-KEY";
    default: return "INVALID";
    }
}

static const char *field(const char *s)
{
    return s && *s ? s : "-";
}

/* STATUS kind document-id name batch issue-date [detail], tab-separated */
static void print_result(const attache_verification *r)
{
    printf("%s\t%s\t%s\t%s\t%s\t%s", verdict_name(r->verdict), field(r->kind),
           field(r->document_id), field(r->officer_name), field(r->batch_id),
           field(r->issue_date));
    switch (r->verdict) {
    case ATTACHE_VALID:
        break;
    case ATTACHE_REVOKED:
        printf("\trevoked on %s: %s", r->revoked_on, r->reason);
        break;
    case ATTACHE_UNKNOWN_KEY:
        printf("\tkid %s: no public key for it (the fields are not verified)", r->kid);
        break;
    default:
        printf("\t%s", r->reason);
        break;
    }
    putchar('\n');
}

/* A QR text has "ATT1:" in it, in either case; any other INPUT names a file. */
static bool is_qr_text(const char *arg)
{
    for (; *arg; arg++)
        if (!strncasecmp(arg, "ATT1:", 5))
            return true;
    return false;
}

enum file_kind { FILE_PDF, FILE_PICTURE, FILE_OTHER };

/* What the file at `path` is, by its first bytes; false (errno set) when it cannot be read. */
static bool file_kind(const char *path, enum file_kind *kind)
{
    FILE *f = fopen(path, "rb");
    unsigned char magic[8] = {0};
    size_t got;

    if (!f)
        return false;
    got = fread(magic, 1, sizeof magic, f);
    if (ferror(f)) {
        int e = errno;
        fclose(f);
        errno = e;
        return false;
    }
    fclose(f);
    if (got >= 5 && !memcmp(magic, "%PDF-", 5))
        *kind = FILE_PDF;
    else if (got >= 3 && (!memcmp(magic, "\x89PNG", 4) || !memcmp(magic, "\xff\xd8\xff", 3)))
        *kind = FILE_PICTURE;
    else
        *kind = FILE_OTHER;
    return true;
}

static void print_invalid(const char *why)
{
    attache_verification r;

    memset(&r, 0, sizeof r);
    r.verdict = ATTACHE_INVALID;
    snprintf(r.reason, sizeof r.reason, "%s", why);
    print_result(&r);
}

/*
 * Verify the file at `path`, a PDF or a picture: one line per token or QR
 * code.  Returns whether all were VALID; *cannot_open when the file cannot
 * be opened or read (reported, no line printed).
 */
static bool verify_file(attache_verifier *v, const char *path, bool *cannot_open)
{
    attache_verification *rs = NULL;
    attache_error err;
    enum file_kind kind;
    size_t n = 0, k;
    bool all_valid = true;
    attache_status rc;

    attache_error_clear(&err);
    if (!file_kind(path, &kind)) {
        cli_error("%s: cannot open: %s", path, strerror(errno));
        *cannot_open = true;
        return false;
    }
    if (kind == FILE_OTHER) {
        print_invalid("not a PDF, PNG or JPEG file");
        return false;
    }
    rc = kind == FILE_PDF ? attache_verify_pdf(v, path, &rs, &n, &err)
                          : attache_verify_image(v, path, &rs, &n, &err);
    if (rc == ATTACHE_ERR_NOINPUT) {
        cli_report(&err);
        *cannot_open = true;
        return false;
    }
    if (rc != ATTACHE_OK) {
        if (kind == FILE_PDF)
            print_invalid(err.message);
        else {
            cli_report(&err);
            print_invalid("the picture cannot be read");
        }
        return false;
    }
    if (!n)
        print_invalid(kind == FILE_PDF ? "no attache token in the PDF"
                                       : "no QR code found in the picture");
    for (k = 0; k < n; k++) {
        print_result(&rs[k]);
        all_valid &= rs[k].verdict == ATTACHE_VALID;
    }
    free(rs);
    return all_valid && n;
}

const char verify_usage[] =
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
    "  -h, --help          show this help\n";

/* Add a trusted key; the exit status if it cannot be (a bad key is a usage error). */
static int add_key(attache_verifier *v, const char *path, attache_error *err)
{
    if (attache_verifier_add_key(v, path, err) == ATTACHE_OK)
        return 0;
    return cli_report(err);     /* 66: it cannot be opened; 65: it is not a public key */
}

/* Read verify's options; -1 to go on, or the exit status. */
static int verify_options(attache_verifier *v, int argc, char **argv, int *nkeys)
{
    static const struct option longopts[] = {
        {"pub", required_argument, NULL, 'p'},
        {"revoked", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}
    };
    attache_error err;
    int c, status;

    attache_error_clear(&err);
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if ((status = add_key(v, optarg, &err)) != 0)
                return status;
            (*nkeys)++;
            break;
        case 'r':
            if (attache_verifier_add_revocations(v, optarg, &err) != ATTACHE_OK)
                return cli_report(&err);
            break;
        case 'h':
            return cli_usage("verify", false);
        default:
            return cli_unknown_option("verify", argv[optind - 1]);
        }
    }
    return -1;
}

/* The keys in $ATTACHE_PUB, a colon-separated list; 0, or the exit status. */
static int keys_from_env(attache_verifier *v, int *nkeys)
{
    char *list, *save = NULL, *tok;
    attache_error err;
    int status;

    if (!getenv("ATTACHE_PUB") || !*getenv("ATTACHE_PUB"))
        return 0;
    attache_error_clear(&err);
    list = strdup(getenv("ATTACHE_PUB"));
    for (tok = list ? strtok_r(list, ":", &save) : NULL; tok; tok = strtok_r(NULL, ":", &save)) {
        if ((status = add_key(v, tok, &err)) != 0) {
            free(list);
            return status;
        }
        (*nkeys)++;
    }
    free(list);
    return 0;
}

/* Verify one text per line of standard input; 0, or the exit status. */
static int verify_lines(attache_verifier *v, bool *all_valid, bool *any)
{
    attache_verification r;
    char *line = malloc(MAX_LINE);
    size_t len = 0;
    int ch;
    bool overlong = false, seen = false;

    if (!line) {
        cli_error("out of memory");
        return 70;
    }
    /* one token per line; a line over the limit is read to its end and refused */
    while ((ch = getchar()) != EOF || len > 0 || overlong) {
        if (ch != '\n' && ch != EOF) {
            if (len + 1 < MAX_LINE)
                line[len++] = (char)ch;
            else
                overlong = true;
            continue;
        }
        line[len] = '\0';
        if (len || overlong) {
            if (overlong) {
                memset(&r, 0, sizeof r);
                r.verdict = ATTACHE_INVALID;
                snprintf(r.reason, sizeof r.reason, "malformed: the line is too long");
            } else
                attache_verify_text(v, line, &r);
            print_result(&r);
            *all_valid &= r.verdict == ATTACHE_VALID;
            *any = seen = true;
        }
        len = 0;
        overlong = false;
        if (ch == EOF)
            break;
    }
    free(line);
    if (!seen)      /* the status stays 1: nothing was found VALID */
        cli_error("verify: standard input had no text to check");
    return 0;
}

int cmd_verify(int argc, char **argv)
{
    attache_verifier *v;
    attache_error err;
    int i, status = 0, nkeys = 0;
    bool all_valid = true, any = false, cannot_open = false;

    attache_error_clear(&err);
    v = attache_verifier_new(&err);
    if (!v)
        return cli_report(&err);
    if ((status = verify_options(v, argc, argv, &nkeys)) >= 0)
        goto done;
    if (!nkeys && (status = keys_from_env(v, &nkeys)) != 0)
        goto done;
    if (!nkeys) {
        cli_error("verify needs public keys: --pub FILE, or ATTACHE_PUB=FILE[:FILE...]");
        status = cli_bad_option("verify");
        goto done;
    }
    if (optind == argc) {
        cli_error("verify needs an INPUT: a QR text, a picture, or - for lines on stdin");
        status = cli_bad_option("verify");
        goto done;
    }
    for (i = optind; i < argc; i++) {
        attache_verification r;

        if (!strcmp(argv[i], "-")) {
            if ((status = verify_lines(v, &all_valid, &any)) != 0)
                goto done;
        } else if (!is_qr_text(argv[i])) {
            all_valid &= verify_file(v, argv[i], &cannot_open);
            any = true;
        } else {
            attache_verify_text(v, argv[i], &r);
            print_result(&r);
            all_valid &= r.verdict == ATTACHE_VALID;
            any = true;
        }
    }
    /* results lost on standard output: main() makes the status 74 */
    status = cannot_open ? 66 : all_valid && any ? 0 : 1;
done:
    attache_verifier_free(v);
    return status;
}

const char revoke_usage[] =
    "usage: attache revoke DOCID --reason TEXT --list FILE [--date DATE]\n"
    "\n"
    "Add the document DOCID (as printed under its QR code) to the revocation list\n"
    "FILE, created if missing and replaced atomically.  attache verify --revoked FILE\n"
    "then reports it REVOKED.\n"
    "\n"
    "  --reason TEXT       why (at most 200 characters)\n"
    "  --date DATE         the day it is revoked (default: today, UTC)\n"
    "  -h, --help          show this help\n";

int cmd_revoke(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"reason", required_argument, NULL, 'r'},
        {"list", required_argument, NULL, 'l'},
        {"date", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}
    };
    const char *reason = NULL, *list = NULL, *date = NULL;
    char today[11];
    attache_error err;
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r': reason = optarg; break;
        case 'l': list = optarg; break;
        case 'd': date = optarg; break;
        case 'h': return cli_usage("revoke", false);
        default:
            return cli_unknown_option("revoke", argv[optind - 1]);
        }
    }
    if (argc - optind != 1 || !reason || !list) {
        cli_error("revoke needs a DOCID, --reason TEXT and --list FILE");
        return cli_bad_option("revoke");
    }
    if (!date) {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(today, sizeof today, "%Y-%m-%d", &tm);
        date = today;
    }
    attache_error_clear(&err);
    if (attache_revoke(list, argv[optind], reason, date, &err) != ATTACHE_OK)
        return cli_report(&err);
    return 0;
}

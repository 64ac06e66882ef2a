/*
 * cmd_mail.c: attache mail DIR --data DATA --smtp URL --from ADDR.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* attache help mail: beside the options it describes (main.c's table points here). */
const char mail_usage[] =
    "usage: attache mail DIR --data DATA --smtp URL --from ADDR [--dry-run]\n"
    "\n"
    "Send each document listed in DIR/manifest.csv to its officer's <email> in DATA:\n"
    "one message per document, with a plain-text body and the PDF attached.  The\n"
    "server is smtps://HOST[:PORT], or smtp://HOST[:PORT] with STARTTLS, which is\n"
    "required except to a loopback address; TLS is always verified.  The login is\n"
    "read from $ATTACHE_SMTP_USER and $ATTACHE_SMTP_PASSWORD and never printed.\n"
    "What the server accepts is recorded in DIR/mail-log.csv, so running again sends\n"
    "only what was not accepted yet (refused, failed, officers added since).\n"
    "Officers without an address and refused messages are named on stderr; exit\n"
    "status 69 when a message was refused or did not get through, 65 when a\n"
    "document could not be sent (no address, file missing or changed).\n"
    "\n"
    "  --data DATA         the data the documents were made from (a file or URL)\n"
    "  --smtp URL          the SMTP server\n"
    "  --from ADDR         the sender: hr@example.org or 'HR Office <hr@example.org>'\n"
    "  --dry-run           print what would be sent, and send nothing\n"
    "  --body FILE         the message's text: a first line 'Subject: ...', then the\n"
    "                      body, with {name}, {honorific}, {programme}, {batch},\n"
    "                      {batch-id}, {issuer}, {signatory}, {signatory-title} and\n"
    "                      {file} filled in (default: the built-in text for the\n"
    "                      kind of document)\n"
    "  --rate N            send at most N messages a minute\n"
    "  --smtp-timeout S    give up on one message after S seconds (default 120)\n"
    "  -q, --quiet         no line per message sent, no summary\n"
    "  -h, --help          show this help\n"
    "\n"
    "--cacert FILE (below) also says which CA the SMTP server's certificate is from.\n"
    CLI_FETCH_USAGE;

struct mail_cli {
    const char *dir;
    bool quiet;
};

/* One line per document: results on stdout, what went wrong on stderr. */
static void on_event(void *ctx, const attache_mail_event *ev)
{
    const struct mail_cli *mc = ctx;

    switch (ev->kind) {
    case ATTACHE_MAIL_SENT:
        if (!mc->quiet)
            printf("sent %s to %s\n", ev->file, ev->address);
        break;
    case ATTACHE_MAIL_PLANNED:
        printf("would send %s to %s <%s>: \"%s\" (%zu KB)\n", ev->file, ev->name, ev->address,
               ev->subject, (ev->bytes + 1023) / 1024);
        break;
    case ATTACHE_MAIL_ALREADY_SENT:
        break;
    case ATTACHE_MAIL_NO_ADDRESS:
        cli_error("officer '%s' (%s) has no <email> in the data: %s not sent", ev->officer_id,
                  ev->name, ev->file);
        break;
    case ATTACHE_MAIL_NOT_SENT:
        cli_error("%s/%s: not sent to officer '%s': %s", mc->dir, ev->file, ev->officer_id,
                  ev->message);
        break;
    case ATTACHE_MAIL_REFUSED:
        cli_error("%s: the server refused %s for officer '%s': %s", ev->address, ev->file,
                  ev->officer_id, ev->message);
        break;
    case ATTACHE_MAIL_FAILED:
        cli_error("%s: %s for officer '%s' did not get through (%s); run again to retry",
                  ev->address, ev->file, ev->officer_id, ev->message);
        break;
    }
}

/* "DIR: 3 sent, 2 sent before, 1 refused" (the counts that are not 0). */
static void print_summary(const char *dir, const attache_mail_result *r, bool dry_run)
{
    const struct { size_t n; const char *what; } parts[] = {
        {r->sent, "sent"}, {r->planned, "to send"}, {r->already_sent, "sent before"},
        {r->refused, "refused"}, {r->failed, "not through"},
        {r->no_address, "without an address"}, {r->not_sent, "not sendable"},
    };
    const char *sep = "";
    size_t i;

    printf("%s: %s", dir, dry_run ? "dry run, nothing sent: " : "");
    for (i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (parts[i].n) {
            printf("%s%zu %s", sep, parts[i].n, parts[i].what);
            sep = ", ";
        }
    printf("%s\n", *sep ? "" : "no documents");
}

int cmd_mail(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'd'},
        {"smtp", required_argument, NULL, 's'},
        {"from", required_argument, NULL, 'f'},
        {"body", required_argument, NULL, 'b'},
        {"dry-run", no_argument, NULL, 'n'},
        {"rate", required_argument, NULL, 'r'},
        {"smtp-timeout", required_argument, NULL, 'T'},
        CLI_ASSETS_LONGOPT,
        CLI_MAX_SIZE_LONGOPT,
        CLI_QUIET_LONGOPT,
        {"help", no_argument, NULL, 'h'},
        CLI_FETCH_LONGOPTS,
        {NULL, 0, NULL, 0}
    };
    const char *data_arg = NULL;
    struct data_args a;
    struct mail_cli mc = {0};
    attache_mail_options o = {0};
    attache_mail_result res;
    attache_error err;
    attache_data *data;
    unsigned long n;
    int c, status = 0;
    bool stopped;

    cli_data_args_init(&a);
    opterr = 0;
    while ((c = getopt_long(argc, argv, "nqh", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data_arg = optarg;
            break;
        case 's':
            o.url = optarg;
            break;
        case 'f':
            o.from = optarg;
            break;
        case 'b':
            o.body_file = optarg;
            break;
        case 'n':
            o.dry_run = true;
            break;
        case 'r':
            if (!cli_parse_uint(optarg, 1, 100000, &n)) {
                cli_error("--rate '%s' is not a number of messages a minute from 1 to 100000",
                          optarg);
                return 64;
            }
            o.per_minute = (double)n;
            break;
        case 'T':
            if (!cli_parse_uint(optarg, 1, 3600, &n)) {
                cli_error("--smtp-timeout '%s' is not a number of seconds from 1 to 3600",
                          optarg);
                return 64;
            }
            o.timeout = (unsigned)n;
            break;
        case 'h':
            return cli_usage("mail", false);
        default:
            if ((status = cli_other_option("mail", c, argv, &a)))
                return status;
        }
    }
    mc.dir = cli_operand("mail", argc, argv, "DIR argument",
                         "DIR, a folder of documents with its manifest.csv");
    if (!mc.dir)
        return 64;
    mc.quiet = a.quiet;
    if (!data_arg || !o.from || (!o.url && !o.dry_run)) {
        cli_error("mail needs %s", !data_arg ? "--data DATA, for the officers' addresses"
                                   : !o.from ? "--from ADDR, the sender's address"
                                             : "--smtp URL, the server (smtps://HOST or "
                                               "smtp://HOST with STARTTLS)");
        return cli_bad_option("mail");
    }
    if (!o.url)
        o.url = "smtps://dry-run.invalid";
    o.user = getenv("ATTACHE_SMTP_USER");
    o.password = getenv("ATTACHE_SMTP_PASSWORD");
    if (o.user && !*o.user)
        o.user = NULL;
    o.cacert = a.fetch.cacert;
    o.on_event = on_event;
    o.ctx = &mc;

    if (!(data = cli_load_data(data_arg, &a, &status)))
        return status;
    attache_error_clear(&err);
    stopped = attache_mail(mc.dir, data, &o, &res, &err) != ATTACHE_OK;
    if (stopped)
        status = cli_report(&err);
    else if (res.refused || res.failed)
        status = 69;
    else if (res.no_address || res.not_sent)
        status = 65;
    /* a mailing that stopped before any document has nothing to sum up */
    if ((!mc.quiet || o.dry_run) && (!stopped || res.sent || res.planned || res.already_sent ||
                                     res.refused || res.failed || res.no_address || res.not_sent))
        print_summary(mc.dir, &res, o.dry_run);
    attache_data_free(data);
    return status;
}

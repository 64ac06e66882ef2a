/*
 * test_mailing.c: what attache_mail decides for each document before any
 * server is involved (dry runs), and the options and folders it refuses.
 * Sending itself is tested against a real SMTP server in
 * tests/e2e/test_mail.py.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "attache.h"
#include "check.h"
#include "fixture.h"

#define OFFICER(id, email) FIXTURE_OFFICER(id, "Officer " id, "KH", email)

static const char all_xml[] = FIXTURE_DATA(OFFICER("kh-01", "<email>one@example.org</email>")
                                   OFFICER("kh-02", "")
                                   OFFICER("kh-03", "<email>thr\xc3\xa9\x65@example.org</email>")
                                   OFFICER("kh-04", "<email>four@example.org</email>"));
/* the same cohort without kh-04 */
static const char fewer_xml[] = FIXTURE_DATA(OFFICER("kh-01", "<email>one@example.org</email>")
                                     OFFICER("kh-02", "")
                                     OFFICER("kh-03", "<email>thr\xc3\xa9\x65@example.org</email>"));

static char dir[] = "/tmp/attache-mailing-XXXXXX";
static char out[600];

struct seen {
    char lines[8][300];
    size_t n;
};

static void on_event(void *ctx, const attache_mail_event *ev)
{
    struct seen *s = ctx;

    if (s->n < 8)
        snprintf(s->lines[s->n++], sizeof s->lines[0], "%s %d %s", ev->officer_id,
                 (int)ev->kind, ev->message ? ev->message : "");
}

static attache_data *load(const char *xml)
{
    attache_error err;
    attache_data *d = attache_data_load((const unsigned char *)xml, strlen(xml), NULL, &err);

    if (!CHECK(d != NULL))
        fprintf(stderr, "    %s\n", err.message);
    return d;
}

static attache_status dry_run(const attache_data *d, struct seen *s, attache_mail_result *r,
                              attache_error *err)
{
    attache_mail_options o = {0};

    o.url = "smtp://127.0.0.1:9";
    o.from = "Programme Office <office@example.org>";
    o.dry_run = true;
    o.on_event = on_event;
    o.ctx = s;
    memset(s, 0, sizeof *s);
    attache_error_clear(err);
    return attache_mail(out, d, &o, r, err);
}

int main(void)
{
    attache_data *all, *fewer;
    attache_generate_options g = {0};
    attache_generate_result gr;
    attache_mail_result r;
    attache_mail_options o = {0};
    attache_error err;
    struct seen s;
    char key[600], path[700];
    int fd;

    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    CHECK(fixture_key(dir, key, sizeof key, NULL));
    snprintf(out, sizeof out, "%s/out", dir);
    all = load(all_xml);
    fewer = load(fewer_xml);
    if (!all || !fewer)
        return check_done();
    g.template_name = "certificate";
    g.output_dir = out;
    g.key_path = key;
    g.jobs = 1;
    g.issued_at = 1454630400;
    CHECK_INT(attache_generate(all, &g, &gr, &err), ATTACHE_OK);

    /* each document's fate, in manifest order */
    CHECK_INT(dry_run(all, &s, &r, &err), ATTACHE_OK);
    CHECK_INT(s.n, 4);
    CHECK_STR(s.lines[0], "kh-01 1 ");
    CHECK_INT(r.planned, 2);
    CHECK_INT(r.no_address, 1);
    CHECK_INT(r.not_sent, 1);
    CHECK(strstr(s.lines[2], "kh-03") && strstr(s.lines[2], "the address cannot be used in an "
                                                 "envelope"));

    /* data without one of the officers the folder has documents for */
    CHECK_INT(dry_run(fewer, &s, &r, &err), ATTACHE_OK);
    CHECK_INT(r.not_sent, 2);
    CHECK(strstr(s.lines[3], "kh-04") && strstr(s.lines[3], "the officer is not in the data"));

    /* a document changed since the manifest was written */
    snprintf(path, sizeof path, "%s/b1/kh-01-certificate.pdf", out);
    fd = open(path, O_WRONLY | O_APPEND);
    CHECK(fd >= 0 && write(fd, "\n", 1) == 1);
    if (fd >= 0)
        close(fd);
    CHECK_INT(dry_run(all, &s, &r, &err), ATTACHE_OK);
    CHECK(strstr(s.lines[0], "kh-01") &&
          strstr(s.lines[0], "the file is not the one the manifest lists"));

    /* options that cannot be used */
    o.from = "office@example.org";
    o.dry_run = true;
    CHECK_INT(attache_mail(out, all, &o, &r, &err), ATTACHE_ERR_USAGE);
    CHECK_STR(err.message, "no SMTP server given");
    o.url = "smtp://127.0.0.1:9";
    o.per_minute = -1;
    CHECK_INT(attache_mail(out, all, &o, &r, &err), ATTACHE_ERR_USAGE);
    CHECK_STR(err.message, "a negative rate");
    o.per_minute = 0;
    o.from = "office at example.org";
    CHECK_INT(attache_mail(out, all, &o, &r, &err), ATTACHE_ERR_USAGE);
    CHECK(strstr(err.message, "the sender 'office at example.org' is not an address") != NULL);

    /* another mailing holds the folder's log */
    o.from = "office@example.org";
    o.dry_run = false;
    snprintf(path, sizeof path, "%s/mail-log.csv", out);
    fd = open(path, O_RDWR | O_CREAT, 0644);
    CHECK(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0);
    CHECK_INT(attache_mail(out, all, &o, &r, &err), ATTACHE_ERR_CANTCREAT);
    CHECK_STR(err.message, "another attache mail is sending from this folder");
    if (fd >= 0)
        close(fd);

    /* a folder without documents */
    snprintf(path, sizeof path, "%s/empty", dir);
    o.dry_run = true;
    CHECK_INT(attache_mail(path, all, &o, &r, &err), ATTACHE_ERR_NOINPUT);

    attache_data_free(all);
    attache_data_free(fewer);
    fixture_remove_tree(dir);
    return check_done();
}

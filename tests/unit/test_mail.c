/*
 * test_mail.c: the pieces of attache mail that need no server: body
 * templates and the MIME message.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mail_private.h"

static const char *const values[MAIL_NFIELDS] = {
    [MF_NAME] = "Nguyễn Thị Thu Hà", [MF_HONORIFIC] = "", [MF_PROGRAMME] = "Programme",
    [MF_BATCH] = "2nd", [MF_BATCH_ID] = "b-2", [MF_ISSUER] = "Issuer",
    [MF_SIGNATORY] = "Signer", [MF_SIGNATORY_TITLE] = "Director", [MF_FILE] = "x-letter.pdf",
};

static void body_templates(void)
{
    struct mail_body t;
    struct buf out = {0};
    attache_error err;
    const char *text = "Subject: Hello {name} {{x}}\n\nDear {honorific} {name},\n{file}\n";

    memset(&t, 0, sizeof t);
    attache_error_clear(&err);
    CHECK_INT(mail_body_parse(text, strlen(text), "t.txt", &t, &err), ATTACHE_OK);
    CHECK_STR(t.subject, "Hello {name} {{x}}");
    CHECK(mail_body_fill(&out, t.body, values));
    CHECK_STR(out.data, "Dear Nguyễn Thị Thu Hà,\nx-letter.pdf\n");   /* empty field, no space */
    buf_release(&out);
    CHECK(mail_body_fill(&out, t.subject, values));
    CHECK_STR(out.data, "Hello Nguyễn Thị Thu Hà {x}");
    buf_release(&out);
    free(t.subject);
    free(t.body);

    text = "Subject: s\n\nline two\nline three {minstry}\n";
    memset(&t, 0, sizeof t);
    CHECK_INT(mail_body_parse(text, strlen(text), "t.txt", &t, &err), ATTACHE_ERR_DATA);
    CHECK_INT(err.line, 4);
    CHECK(strstr(err.message, "unknown field '{minstry}'") != NULL);
    free(t.subject);
    free(t.body);

    text = "Dear {name}\n";
    memset(&t, 0, sizeof t);
    CHECK_INT(mail_body_parse(text, strlen(text), "t.txt", &t, &err), ATTACHE_ERR_DATA);
    CHECK_INT(err.line, 1);
    text = "Subject: {name\n";
    memset(&t, 0, sizeof t);
    CHECK_INT(mail_body_parse(text, strlen(text), "t.txt", &t, &err), ATTACHE_ERR_DATA);
    free(t.subject);
    free(t.body);
}

static void message(void)
{
    struct mail_sender from = {0};
    struct mail_message m = {0};
    struct mail_body t = {"letter", NULL, NULL};
    const unsigned char pdf[] = "%PDF-1.7\n...";
    char *line, *save = NULL;
    size_t longest = 0;
    bool high = false;

    CHECK_INT(mail_sender_parse("Phòng Nhân sự <hr@example.org>", &from), 1);
    CHECK_STR(from.address, "hr@example.org");
    CHECK_STR(from.domain, "example.org");
    t.subject = strdup("Thư chào mừng: a long subject that will have to be folded over more "
                       "than one line of the header, {name}");
    t.body = strdup("Kính gửi {name},\n");
    CHECK(mail_message_build(&m, &from, "thuha@example.org", values, &t, "L-AAAA", pdf,
                             sizeof pdf - 1));
    CHECK(strstr(m.text.data, "\r\nSubject: =?UTF-8?B?") != NULL);
    CHECK(strstr(m.text.data, "\r\nTo: =?UTF-8?B?") != NULL);
    CHECK(strstr(m.text.data, "<thuha@example.org>\r\n") != NULL);
    CHECK(strstr(m.text.data, "Content-Type: application/pdf; name=\"x-letter.pdf\"") != NULL);
    CHECK(strstr(m.text.data, "\r\nMessage-ID: <L-AAAA.") != NULL);
    CHECK(strstr(m.text.data, "@example.org>\r\n") != NULL);
    for (line = strtok_r(m.text.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t n = strlen(line);
        const char *p;

        CHECK(n > 0 && line[n - 1] == '\r');             /* CRLF, nothing else */
        if (n - 1 > longest)
            longest = n - 1;
        for (p = line; *p; p++)
            high |= (unsigned char)*p >= 0x80;
    }
    CHECK(longest <= 76);
    CHECK(!high);
    buf_release(&m.text);
    free(t.subject);
    free(t.body);
    free(from.display);
    free(from.address);

    memset(&from, 0, sizeof from);
    CHECK_INT(mail_sender_parse("not an address", &from), 0);
    free(from.display);
    free(from.address);
    CHECK(!mail_address_usable("a b@example.org"));
    CHECK(!mail_address_usable("a@b@example.org"));
    CHECK(!mail_address_usable("\"q\"@example.org"));
    CHECK(mail_address_usable("first.last+tag@example.org"));
}

int main(void)
{
    attache_error err;

    if (mail_libraries_start(&err) != ATTACHE_OK)
        return 1;
    body_templates();
    message();
    return check_done();
}

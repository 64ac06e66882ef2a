/*
 * test_import.c: spreadsheets turned into a batch's officers
 * (attache_import): what a good sheet gives, and the one message each
 * kind of bad sheet gets, with its line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attache.h"
#include "check.h"
#include "fixture.h"

static const char data_xml[] =
    FIXTURE_DATA(FIXTURE_OFFICER("kh-01", "Chhy Ratha", "KH", ""));

#define HEAD "id,status,name,country,ministry,department\n"
#define ROW "kh-02,attached,Sok Dara,KH,Ministry of Planning,ASCC\n"

struct outcome {
    attache_status rc;
    unsigned long line;
    char message[600];
    unsigned errors;
    char *xml;
};

static void count_error(void *ctx, const attache_error *e)
{
    (void)e;
    ((struct outcome *)ctx)->errors++;
}

static struct outcome run(const char *csv, size_t size)
{
    attache_import_options o = {0};
    attache_error err;
    struct outcome r = {0};
    size_t out_size = 0;

    o.batch_id = "b1";
    o.csv_name = "officers.csv";
    o.data_name = "data.xml";
    o.output_name = "new.xml";
    o.on_error = count_error;
    o.on_error_ctx = &r;
    attache_error_clear(&err);
    r.rc = attache_import((const unsigned char *)csv, size, (const unsigned char *)data_xml,
                          strlen(data_xml), &o, &r.xml, &out_size, &err);
    r.line = err.line;
    snprintf(r.message, sizeof r.message, "%s", err.message);
    if (r.rc == ATTACHE_OK)
        CHECK(r.xml != NULL && out_size == strlen(r.xml));
    else
        CHECK(r.xml == NULL);
    return r;
}

static void test_good(void)
{
    static const char sheet[] = HEAD ROW "vn-03,selected,\"Nguyễn  Thị Lan \",vn,\"Ministry of "
                                "Foreign Affairs\",AEC\n";
    struct outcome r = run(sheet, strlen(sheet));

    CHECK_INT(r.rc, ATTACHE_OK);
    if (r.xml) {
        CHECK(strstr(r.xml, "<officer id=\"kh-02\" status=\"attached\">") != NULL);
        CHECK(strstr(r.xml, "<name>Nguyễn Thị Lan</name>") != NULL);   /* trimmed, one space */
        CHECK(strstr(r.xml, "<country code=\"VN\"/>") != NULL);        /* upper-cased */
        CHECK(strstr(r.xml, "kh-01") == NULL);                         /* the batch replaced */
    }
    free(r.xml);

    /* semicolons, a byte-order mark, CRLF, name:LANG, email and photo columns */
    r = run("\xef\xbb\xbfid;status;name;name:km;country;ministry;department;email;photo\r\n"
            "kh-02;attached;Sok Dara;សុខ ដារា;KH;Ministry;ASCC;dara@example.org;photos/kh-02.jpg\r\n",
            strlen("\xef\xbb\xbfid;status;name;name:km;country;ministry;department;email;photo\r\n"
                   "kh-02;attached;Sok Dara;សុខ ដារា;KH;Ministry;ASCC;dara@example.org;"
                   "photos/kh-02.jpg\r\n"));
    CHECK_INT(r.rc, ATTACHE_OK);
    if (r.rc != ATTACHE_OK)
        fprintf(stderr, "    %lu: %s\n", r.line, r.message);
    if (r.xml) {
        CHECK(strstr(r.xml, "<name lang=\"km\">សុខ ដារា</name>") != NULL);
        CHECK(strstr(r.xml, "<email>dara@example.org</email>") != NULL);
        CHECK(strstr(r.xml, "<photo src=\"photos/kh-02.jpg\"/>") != NULL);
    }
    free(r.xml);
}

static void test_bad(void)
{
    static const struct {
        const char *csv;
        unsigned long line;
        const char *message;
    } cases[] = {
        {"", 1, "is empty: it needs a header row naming the columns (id, status, honorific, name, "
         "name:LANG, country, ministry, position, department, division, supervisor, email, "
         "photo)"},
        {HEAD, 0, "has no officers: only a header row"},
        {HEAD "kh-02,attached,S\xf6k Dara,KH,Ministry,ASCC\n", 2,
         "is not UTF-8 text: save the spreadsheet again as \"CSV UTF-8\" (Excel) or as Text "
         "CSV with the character set Unicode (UTF-8) (LibreOffice)"},
        {"id,,name,country,ministry,department\n" ROW, 1,
         "column 2 has no name in the header row (the columns are id, status, honorific, "
         "name, name:LANG, country, ministry, position, department, division, supervisor, "
         "email, photo)"},
        {"id,status,name,name,country,ministry,department\n" ROW, 1,
         "column 'name' is in the header twice"},
        {"id,status,name,name:km,name:km,country,ministry,department\n"
         "kh-02,attached,Sok Dara,a,b,KH,M,ASCC\n", 1, "column 'name:km' is in the header twice"},
        {HEAD "kh-02,attached,Sok Dara,KH,Ministry,ASCC,extra\n", 2,
         "cell 7, 'extra', has no column: the header has 6"},
        {HEAD "kh 02,attached,Sok Dara,KH,Ministry,ASCC\n", 2,
         "column 'id': 'kh 02' is not an id (1 to 64 letters, digits, '.', '_' or '-', "
         "starting with a letter or digit)"},
        {HEAD "kh-02,attached,Sok Dara,KH,Ministry,\"AS\xe2\x80\x8b" "CC\"\n", 2,
         "column 'department': has the invisible or control character U+200B"},
        {"id,status,name,country,ministry,department,email\n"
         "kh-02,attached,Sok Dara,KH,Ministry,ASCC,dara at example.org\n", 2,
         "column 'email': 'dara at example.org' is not an e-mail address"},
        {"id,status,name,country,ministry,department,photo\n"
         "kh-02,attached,Sok Dara,KH,Ministry,ASCC,../secret.png\n", 2,
         "column 'photo': '../secret.png' is not a relative path to a .png or .jpg file, "
         "without '..'"},
        {"id,status,name,country,ministry,department,photo\n"
         "kh-02,attached,Sok Dara,KH,Ministry,ASCC,photo.gif\n", 2,
         "column 'photo': 'photo.gif' is not a relative path to a .png or .jpg file, "
         "without '..'"},
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct outcome r = run(cases[i].csv, strlen(cases[i].csv));
        CHECK_INT(r.rc, ATTACHE_ERR_DATA);
        CHECK(r.errors >= 1);
        CHECK_INT(r.line, cases[i].line);
        CHECK_STR(r.message, cases[i].message);
    }
}

/* More name:LANG columns than a document has room for; a NUL byte; a long cell. */
static void test_limits(void)
{
    char head[600] = "id,status,name,country,ministry,department";
    char row[2000] = "kh-02,attached,Sok Dara,KH,Ministry,ASCC";
    char csv[3000];
    static const char *const langs[] = {"km", "lo", "my", "vi", "th", "ms", "id", "fil", "zh",
                                        "ja", "ko", "hi", "ar", "fr", "de", "es", "ru"};
    struct outcome r;
    size_t i;

    for (i = 0; i < sizeof langs / sizeof langs[0]; i++) {
        snprintf(head + strlen(head), sizeof head - strlen(head), ",name:%s", langs[i]);
        strcat(row, ",x");
    }
    snprintf(csv, sizeof csv, "%s\n%s\n", head, row);
    r = run(csv, strlen(csv));
    CHECK_INT(r.rc, ATTACHE_ERR_DATA);
    CHECK_STR(r.message, "column 'name:ru': at most 16 name:LANG columns");

    r = run(HEAD "kh-02,attached,Sok\0Dara,KH,Ministry,ASCC\n", strlen(HEAD) + 40);
    CHECK_INT(r.rc, ATTACHE_ERR_DATA);
    CHECK(strstr(r.message, "has NUL bytes") != NULL);

    snprintf(csv, sizeof csv, HEAD "kh-02,attached,%0300d,KH,Ministry,ASCC\n", 7);
    r = run(csv, strlen(csv));
    CHECK_INT(r.rc, ATTACHE_ERR_DATA);
    CHECK_INT(r.line, 2);
    CHECK(strstr(r.message, "column 'name': is 300 characters long; at most") != NULL);
}

int main(void)
{
    test_good();
    test_bad();
    test_limits();
    return check_done();
}

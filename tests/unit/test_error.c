/* Unit tests of src/error.c: filling an error record and formatting it as one safe line. */
#include <string.h>

#include "check.h"
#include "error.h"

static void test_set_and_format(void)
{
    attache_error e;
    char buf[600], small[12];

    attache_error_clear(&e);
    CHECK_INT(e.code, ATTACHE_OK);
    CHECK_STR(attache_error_format(&e, buf, sizeof buf), "");

    CHECK_INT(err_set(&e, ATTACHE_ERR_DATA, "batch16.xml", 42, "officer '%s': end date %s is "
                      "not a date", "vn-16-03", "2016-02-30"), ATTACHE_ERR_DATA);
    CHECK_INT(e.code, ATTACHE_ERR_DATA);
    CHECK_STR(attache_error_format(&e, buf, sizeof buf),
              "batch16.xml:42: officer 'vn-16-03': end date 2016-02-30 is not a date");
    CHECK_STR(attache_error_format(&e, small, sizeof small), "batch16.xml");  /* clipped */
    CHECK_STR(attache_error_format(&e, small, 0), small);   /* no room: untouched, returned */

    err_set(&e, ATTACHE_ERR_NOINPUT, "logo.png", 0, "cannot open");
    CHECK_STR(attache_error_format(&e, buf, sizeof buf), "logo.png: cannot open");
    err_set(&e, ATTACHE_ERR_INTERNAL, NULL, 7, "out of memory");
    CHECK_STR(attache_error_format(&e, buf, sizeof buf), "out of memory");

    /* err_msg keeps where the error is and replaces what it says */
    err_set(&e, ATTACHE_ERR_DATA, "t.xml", 3, "first");
    CHECK_INT(err_msg(&e, ATTACHE_ERR_NOINPUT, "image '%s': missing", "a.png"),
              ATTACHE_ERR_NOINPUT);
    CHECK_INT(e.code, ATTACHE_ERR_NOINPUT);
    CHECK_STR(attache_error_format(&e, buf, sizeof buf), "t.xml:3: image 'a.png': missing");

    /* a NULL record is allowed: only the code comes back */
    CHECK_INT(err_set(NULL, ATTACHE_ERR_IO, "f", 1, "x"), ATTACHE_ERR_IO);
    CHECK_INT(err_msg(NULL, ATTACHE_ERR_IO, "x"), ATTACHE_ERR_IO);
    attache_error_clear(NULL);
}

static void test_hostile_text(void)
{
    attache_error e;

    /* control characters in a file name or quoted input cannot reach a terminal raw */
    err_set(&e, ATTACHE_ERR_DATA, "a\033[2Jb.xml", 1, "name '%s'", "x\ny\rz");
    CHECK(strchr(e.file, '\033') == NULL);
    CHECK(strchr(e.message, '\n') == NULL);
    CHECK(strchr(e.message, '\r') == NULL);
    CHECK(strncmp(e.message, "name 'x", 7) == 0);
}

int main(void)
{
    CHECK(attache_version()[0] >= '0' && attache_version()[0] <= '9');
    test_set_and_format();
    test_hostile_text();
    return check_done();
}

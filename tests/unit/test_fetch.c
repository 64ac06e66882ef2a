/* Unit tests of the pure parts of src/fetch.c: Retry-After, backoff, URLs
 * as shown, origins, loopback. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "fetch.h"

static void test_retry_after(void)
{
    time_t now = 1454630400;            /* Fri, 05 Feb 2016 00:00:00 GMT */

    CHECK_INT(fetch_retry_after("120", now), 120);
    CHECK_INT(fetch_retry_after("0", now), 0);
    CHECK_INT(fetch_retry_after(" 7 ", now), 7);
    CHECK_INT(fetch_retry_after("99999999999999999999", now), 1000000000);
    CHECK_INT(fetch_retry_after("Fri, 05 Feb 2016 00:01:30 GMT", now), 90);
    CHECK_INT(fetch_retry_after("Friday, 05-Feb-16 00:00:10 GMT", now), 10);   /* RFC 850 */
    CHECK_INT(fetch_retry_after("Fri Feb  5 00:00:05 2016", now), 5);          /* asctime */
    CHECK_INT(fetch_retry_after("Thu, 04 Feb 2016 23:00:00 GMT", now), 0);    /* past */
    CHECK_INT(fetch_retry_after("", now), -1);
    CHECK_INT(fetch_retry_after("-5", now), -1);
    CHECK_INT(fetch_retry_after("12s", now), -1);
    CHECK_INT(fetch_retry_after("1.5", now), -1);
    CHECK_INT(fetch_retry_after("soon", now), -1);
    CHECK_INT(fetch_retry_after(NULL, now), -1);
}

static void test_backoff(void)
{
    /* jitter 1: the full doubled delay; 0: half of it */
    CHECK(fetch_backoff(1, 1.0, 30, 1.0) == 1.0);
    CHECK(fetch_backoff(2, 1.0, 30, 1.0) == 2.0);
    CHECK(fetch_backoff(3, 1.0, 30, 1.0) == 4.0);
    CHECK(fetch_backoff(3, 1.0, 30, 0.0) == 2.0);
    CHECK(fetch_backoff(6, 1.0, 30, 1.0) == 30.0);       /* 32 capped */
    CHECK(fetch_backoff(100, 1.0, 30, 1.0) == 30.0);     /* no overflow */
    CHECK(fetch_backoff(100, 1.0, 30, 0.0) == 15.0);
    CHECK(fabs(fetch_backoff(2, 0.05, 30, 0.5) - 0.075) < 1e-9);
    CHECK(fetch_backoff(1, 0, 30, 1.0) == 0.0);
    CHECK(fetch_backoff(1, 1.0, 30, 7.0) == 1.0);        /* jitter clamped */
}

static void test_url_shown(void)
{
    char out[256];

    fetch_url_shown("https://hr.example.org/batch16.xml", out, sizeof out);
    CHECK_STR(out, "https://hr.example.org/batch16.xml");
    fetch_url_shown("https://user:secret@hr.example.org:8443/b.xml?x=1#frag", out, sizeof out);
    CHECK_STR(out, "https://hr.example.org:8443/b.xml?x=1");
    fetch_url_shown("http://a@b@127.0.0.1/x", out, sizeof out);
    CHECK_STR(out, "http://127.0.0.1/x");
    fetch_url_shown("http://127.0.0.1/p@th", out, sizeof out);   /* @ in the path stays */
    CHECK_STR(out, "http://127.0.0.1/p@th");
    fetch_url_shown("http://h/\x1b[31m", out, sizeof out);
    CHECK_STR(out, "http://h/<U+001B>[31m");
    fetch_url_shown("not a url", out, sizeof out);
    CHECK_STR(out, "not a url");
    CHECK(fetch_url_has_userinfo("https://u:p@h/"));
    CHECK(fetch_url_has_userinfo("https://u@h/"));
    CHECK(!fetch_url_has_userinfo("https://h/a@b"));
    CHECK(!fetch_url_has_userinfo("https://h/?q=a@b"));
}

static void test_origin(void)
{
    CHECK(fetch_same_origin("https://h.example/a", "https://h.example/b?c"));
    CHECK(fetch_same_origin("https://h.example/a", "https://H.EXAMPLE:443/b"));
    CHECK(fetch_same_origin("http://127.0.0.1/a", "http://127.0.0.1:80/b"));
    CHECK(fetch_same_origin("https://u:p@h.example/a", "https://h.example/b"));
    CHECK(!fetch_same_origin("https://h.example/a", "http://h.example/a"));
    CHECK(!fetch_same_origin("http://127.0.0.1:8000/a", "http://127.0.0.1:8001/a"));
    CHECK(!fetch_same_origin("https://h.example/a", "https://h.example.evil/a"));
    CHECK(!fetch_same_origin("https://h.example/a", "file:///etc/passwd"));
    CHECK(!fetch_same_origin("https://h.example/a", "nonsense"));
}

static void test_loopback(void)
{
    CHECK(fetch_host_is_loopback("127.0.0.1"));
    CHECK(fetch_host_is_loopback("127.1.2.3"));
    CHECK(fetch_host_is_loopback("localhost"));
    CHECK(fetch_host_is_loopback("LocalHost"));
    CHECK(fetch_host_is_loopback("[::1]"));
    CHECK(fetch_host_is_loopback("::1"));
    CHECK(fetch_host_is_loopback("[::ffff:127.0.0.1]"));
    CHECK(!fetch_host_is_loopback("128.0.0.1"));
    CHECK(!fetch_host_is_loopback("localhost.example.org"));
    CHECK(!fetch_host_is_loopback("127.0.0.1.nip.io"));
    CHECK(!fetch_host_is_loopback("[::2]"));
    CHECK(!fetch_host_is_loopback(""));
}

int main(void)
{
    test_retry_after();
    test_backoff();
    test_url_shown();
    test_origin();
    test_loopback();
    return check_done();
}

/*
 * test_fetch_urls.c: URLs are read the way libcurl reads them, so that a
 * user name and password are found (and kept out of messages, and refused
 * over plain http) however many slashes follow the scheme.
 */
#include "check.h"
#include "fetch.h"

static void test_slashes(void)
{
    char out[256];

    /* libcurl takes one to three slashes after the scheme */
    CHECK(fetch_url_has_userinfo("http:///user:pw@example.org/x"));
    CHECK(fetch_url_has_userinfo("http:/user:pw@example.org/x"));
    CHECK(fetch_url_has_userinfo("https://user@example.org/"));
    CHECK(fetch_url_has_userinfo("http://;options@example.org/"));
    CHECK(!fetch_url_has_userinfo("https://example.org/a@b"));
    fetch_url_shown("http:///user:pw@example.org/x", out, sizeof out);
    CHECK_STR(out, "http://example.org/x");
    fetch_url_shown("http:/user:pw@example.org/x#f", out, sizeof out);
    CHECK_STR(out, "http://example.org/x");
    /* text libcurl refuses keeps no user name either */
    fetch_url_shown("http:\\\\user:pw@example.org/x", out, sizeof out);
    CHECK(!strstr(out, "pw"));
    fetch_url_shown("http:////user:pw@@example.org/x", out, sizeof out);
    CHECK(!strstr(out, "pw"));
    CHECK(fetch_url_has_userinfo("http:////user:pw@@example.org/x"));
}

static void test_origin_with_slashes(void)
{
    CHECK(fetch_same_origin("http:///127.0.0.1:8000/a", "http://127.0.0.1:8000/b"));
    CHECK(!fetch_same_origin("http:///127.0.0.1:8000/a", "http://127.0.0.2:8000/b"));
}

int main(void)
{
    test_slashes();
    test_origin_with_slashes();
    return check_done();
}

/*
 * fetch.h: the pure parts of fetching (src/fetch.c), exposed for the unit
 * tests.  The public interface is attache_fetch() in attache.h; fetch.c is
 * the only file that makes HTTP requests with libcurl (mail_smtp.c sends
 * mail with it, and uses the URL helpers below).
 */
#ifndef ATTACHE_FETCH_H
#define ATTACHE_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/*
 * Seconds a Retry-After value asks for: delta-seconds ("120") or an HTTP
 * date, counted from `now` (a date in the past gives 0).  -1 when the value
 * is neither.
 */
long fetch_retry_after(const char *value, time_t now);

/*
 * The wait before retry number `retry` (1-based): `base` doubled for each
 * earlier retry, capped at `cap`, then scaled by `jitter` (0..1) into the
 * upper half, so waits stay spread out yet never below half the backoff.
 */
double fetch_backoff(unsigned retry, double base, double cap, double jitter);

/*
 * `url` as it may be shown: userinfo ("user:password@") and fragment taken
 * out, the rest kept as written.  Writes at most `size` bytes to `out`.
 */
void fetch_url_shown(const char *url, char *out, size_t size);

/* Whether `url` carries userinfo (user name or password). */
bool fetch_url_has_userinfo(const char *url);

/*
 * Whether two absolute URLs share an origin: scheme, host and port (the
 * scheme's default port when none is written).  False if either does not
 * parse.
 */
bool fetch_same_origin(const char *a, const char *b);

/* Whether `host` (as in a URL; "[::1]" or "::1") is a loopback name or address. */
bool fetch_host_is_loopback(const char *host);

#endif

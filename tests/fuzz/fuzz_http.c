/*
 * fuzz_http.c: what a server sends back to attache fetch: status lines,
 * headers, redirects, bodies (compressed or not), and the cache file a
 * previous fetch left.  No network: a server thread on loopback answers
 * each connection with the next response from the input.
 *
 * The input is parts separated by lines "=====": first the cache file of
 * the URL (empty: none), then one response per connection, at most four.
 * In a response, "@PORT@" becomes the server's port (for redirects back to
 * it); in the cache file, "@SIZE@" and "@SHA256@" become the size and hash
 * of its body, so that the fuzzer can reach the revalidation paths.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "attache.h"
#include "fuzz.h"

#define MAX_RESPONSES 4

static int listener = -1;
static int port;
static char url[64], cache_dir[512], cache_file[600];

struct server {
    const uint8_t *response[MAX_RESPONSES];
    size_t len[MAX_RESPONSES];
    size_t n;
    atomic_bool stop;
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof a;
    unsigned char digest[crypto_hash_sha256_BYTES];
    char hex[33];

    (void)argc;
    (void)argv;
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0 || bind(listener, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(listener, 8) != 0 || getsockname(listener, (struct sockaddr *)&a, &alen) != 0 ||
        sodium_init() < 0)
        abort();
    port = ntohs(a.sin_port);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/data.xml", port);
    snprintf(cache_dir, sizeof cache_dir, "%s/cache", fuzz_dir());
    if (mkdir(cache_dir, 0700) != 0)
        abort();
    crypto_hash_sha256(digest, (const unsigned char *)url, strlen(url));
    sodium_bin2hex(hex, sizeof hex, digest, 16);
    snprintf(cache_file, sizeof cache_file, "%s/%s.xml", cache_dir, hex);
    return 0;
}

/* Write `p` with every `from` replaced by `to`. */
static void send_replaced(int fd, const uint8_t *p, size_t n, const char *from, const char *to)
{
    size_t k = strlen(from);

    while (n > 0) {
        const uint8_t *hit = memmem(p, n, from, k);
        size_t chunk = hit ? (size_t)(hit - p) : n;

        if (chunk && send(fd, p, chunk, MSG_NOSIGNAL) < 0)
            return;
        p += chunk;
        n -= chunk;
        if (hit) {
            if (send(fd, to, strlen(to), MSG_NOSIGNAL) < 0)
                return;
            p += k;
            n -= k;
        }
    }
}

static void *serve(void *arg)
{
    struct server *s = arg;
    size_t i = 0;
    char portstr[16];

    snprintf(portstr, sizeof portstr, "%d", port);
    while (!atomic_load(&s->stop)) {
        struct pollfd pfd = {listener, POLLIN, 0};
        char req[8192];
        size_t got = 0;
        int fd;

        if (poll(&pfd, 1, 20) <= 0)
            continue;
        fd = accept(listener, NULL, NULL);
        if (fd < 0)
            continue;
        /* the request, up to its blank line */
        while (got < sizeof req - 1) {
            struct pollfd cfd = {fd, POLLIN, 0};
            ssize_t r;

            if (poll(&cfd, 1, 1000) <= 0 || (r = recv(fd, req + got, sizeof req - 1 - got, 0)) <= 0)
                break;
            got += (size_t)r;
            req[got] = '\0';
            if (strstr(req, "\r\n\r\n"))
                break;
        }
        if (i < s->n)
            send_replaced(fd, s->response[i], s->len[i], "@PORT@", portstr);
        i++;
        shutdown(fd, SHUT_WR);
        close(fd);
    }
    return NULL;
}

/* The cache file for `url`, with its placeholders filled in. */
static void write_cache(const uint8_t *p, size_t n)
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    char hex[2 * crypto_hash_sha256_BYTES + 1], size[32];
    const uint8_t *body = memmem(p, n, "\n\n", 2);
    char *file, *out;
    size_t blen = body ? n - (size_t)(body + 2 - p) : 0, i, o = 0;

    crypto_hash_sha256(digest, body ? body + 2 : p, blen);
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    snprintf(size, sizeof size, "%zu", blen);
    file = out = malloc(n * 16 + 1);
    if (!file)
        abort();
    for (i = 0; i < n;) {
        if (n - i >= 6 && !memcmp(p + i, "@SIZE@", 6) && (!body || p + i < body)) {
            o += (size_t)sprintf(out + o, "%s", size);
            i += 6;
        } else if (n - i >= 8 && !memcmp(p + i, "@SHA256@", 8) && (!body || p + i < body)) {
            o += (size_t)sprintf(out + o, "%s", hex);
            i += 8;
        } else
            out[o++] = (char)p[i++];
    }
    fuzz_write(cache_file + strlen(fuzz_dir()) + 1, file, o, 0600);
    free(file);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *part[1 + MAX_RESPONSES];
    size_t len[1 + MAX_RESPONSES], n, i;
    struct server s;
    pthread_t th;
    attache_fetch_options o;
    attache_fetch_info info;
    attache_error err;
    unsigned char *body = NULL;
    size_t body_size;

    n = fuzz_split(data, size, "=====\n", part, len, 1 + MAX_RESPONSES);
    unlink(cache_file);      /* only the input's entry, if any */
    if (len[0])
        write_cache(part[0], len[0]);
    memset(&s, 0, sizeof s);
    for (i = 1; i < n; i++) {
        s.response[s.n] = part[i];
        s.len[s.n++] = len[i];
    }
    atomic_init(&s.stop, false);
    if (pthread_create(&th, NULL, serve, &s) != 0)
        abort();
    attache_fetch_options_init(&o);
    o.token = "fuzz-token";
    o.cache_dir = cache_dir;
    o.timeout = 5;
    o.connect_timeout = 2;
    o.retries = 1;
    o.retry_delay = 0.001;
    o.max_wait = 0.001;
    o.max_redirects = 3;
    o.max_size = 1u << 20;
    o.low_speed_time = 2;
    if (attache_fetch(url, &o, NULL, &body, &body_size, &info, &err) == ATTACHE_OK)
        free(body);
    atomic_store(&s.stop, true);
    pthread_join(th, NULL);
    return 0;
}

/*
 * Unit tests of src/qr.c: attache's QR encoder against libqrencode, and
 * every code read back with libzbar.
 *
 * The two may choose different masks, so the test takes each code's mask
 * from its format information, removes it from the data modules, and then
 * wants every module the same: version, segments, codewords, error
 * correction, interleaving, placement and function patterns all agree.
 */
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>
#include <zbar.h>

#include "check.h"
#include "error.h"
#include "qr.h"
#include "token.h"

static bool mask_at(int mask, int x, int y)
{
    switch (mask) {
    case 0: return (x + y) % 2 == 0;
    case 1: return y % 2 == 0;
    case 2: return x % 3 == 0;
    case 3: return (x + y) % 3 == 0;
    case 4: return (x / 3 + y / 2) % 2 == 0;
    case 5: return x * y % 2 + x * y % 3 == 0;
    case 6: return (x * y % 2 + x * y % 3) % 2 == 0;
    default: return ((x + y) % 2 + x * y % 3) % 2 == 0;
    }
}

/* The error correction level and mask a symbol's first format copy says (-1 if damaged). */
static int format_of(const unsigned char *m, int w, int *level)
{
    static const int at[15][2] = {{8, 0}, {8, 1}, {8, 2}, {8, 3}, {8, 4}, {8, 5}, {8, 7},
                                  {8, 8}, {7, 8}, {5, 8}, {4, 8}, {3, 8}, {2, 8}, {1, 8},
                                  {0, 8}};
    unsigned bits = 0, data, rem;
    int i;

    for (i = 0; i < 15; i++)
        bits |= (unsigned)(m[at[i][1] * w + at[i][0]] & 1) << i;
    bits ^= 0x5412;
    data = bits >> 10;
    for (rem = data, i = 0; i < 10; i++)
        rem = (rem << 1) ^ ((rem >> 9) * 0x537);
    if ((data << 10 | (rem & 0x3FF)) != bits)
        return -1;
    *level = (int)(data >> 3);
    return (int)(data & 7);
}

static bool in_format_area(int x, int y, int w)
{
    return (x == 8 && (y <= 8 || y >= w - 8)) || (y == 8 && (x <= 8 || x >= w - 8));
}

/* Write level M's format information for `mask` into both of its places. */
static void put_format(unsigned char *m, int w, int mask)
{
    static const int at[15][2] = {{8, 0}, {8, 1}, {8, 2}, {8, 3}, {8, 4}, {8, 5}, {8, 7},
                                  {8, 8}, {7, 8}, {5, 8}, {4, 8}, {3, 8}, {2, 8}, {1, 8},
                                  {0, 8}};
    unsigned data = (unsigned)mask, rem = data, bits;
    int i;

    for (i = 0; i < 10; i++)
        rem = (rem << 1) ^ ((rem >> 9) * 0x537);
    bits = (data << 10 | rem) ^ 0x5412;
    for (i = 0; i < 15; i++) {
        m[at[i][1] * w + at[i][0]] = bits >> i & 1;
        if (i < 8)
            m[8 * w + w - 1 - i] = bits >> i & 1;
        else
            m[(w - 15 + i) * w + 8] = bits >> i & 1;
    }
}

/* The standard's penalty of a line, module by module (outside the symbol is light). */
static long line_score(const unsigned char *p, int n, int step)
{
    long score = 0;
    unsigned window = 0;
    int i, run = 0, colour = -1;

    for (i = 0; i < n + 4; i++) {
        int dark = i < n ? p[i * step] : 0;
        if (i < n && dark == colour)
            run++;
        else if (i < n) {
            score += run >= 5 ? run - 2 : 0;
            colour = dark;
            run = 1;
        }
        window = (window << 1 | (unsigned)dark) & 0x7FF;
        score += (window == 0x05D) * 40 + (window == 0x5D0) * 40;
    }
    return score + (run >= 5 ? run - 2 : 0);
}

static long score(const unsigned char *m, int n)
{
    long s = 0, dark = 0, total = (long)n * n;
    int x, y;

    for (y = 0; y < n; y++)
        s += line_score(m + y * n, n, 1) + line_score(m + y, n, n);
    for (y = 0; y < n; y++)
        for (x = 0; x < n; x++) {
            dark += m[y * n + x];
            if (x + 1 < n && y + 1 < n && m[y * n + x] == m[y * n + x + 1] &&
                m[y * n + x] == m[(y + 1) * n + x] && m[y * n + x] == m[(y + 1) * n + x + 1])
                s += 3;
        }
    return s + ((labs(dark * 20 - total * 10) + total - 1) / total - 1) * 10;
}

/* The payload as attache splits it, encoded by libqrencode. */
static QRcode *reference(const char *payload)
{
    const char *tok = strstr(payload, TOKEN_PREFIX);
    size_t prefix = tok ? (size_t)(tok - payload) : strlen(payload), an = 0;
    QRinput *in = QRinput_new2(0, QR_ECLEVEL_M);
    QRcode *qr;

    while (an < prefix && ((payload[an] >= '0' && payload[an] <= '9') ||
                           (payload[an] >= 'A' && payload[an] <= 'Z') ||
                           strchr(" $%*+-./:", payload[an])))
        an++;
    if (an < 12)
        an = 0;
    if (an)
        QRinput_append(in, QR_MODE_AN, (int)an, (const unsigned char *)payload);
    if (prefix > an)
        QRinput_append(in, QR_MODE_8, (int)(prefix - an), (const unsigned char *)payload + an);
    if (tok)
        QRinput_append(in, QRinput_check(QR_MODE_AN, (int)strlen(tok),
                                         (const unsigned char *)tok) ? QR_MODE_8 : QR_MODE_AN,
                       (int)strlen(tok), (const unsigned char *)tok);
    qr = QRcode_encodeInput(in);
    QRinput_free(in);
    return qr;
}

/* The text zbar reads from the code drawn 4 pixels a module with its quiet zone. */
static char *read_back(const struct qr_code *q)
{
    int scale = 4, side = (q->width + 8) * scale, x, y;
    unsigned char *px = malloc((size_t)side * (size_t)side);
    zbar_image_scanner_t *scanner = zbar_image_scanner_create();
    zbar_image_t *img = zbar_image_create();
    const zbar_symbol_t *sym;
    char *text = NULL;

    for (y = 0; y < side; y++)
        for (x = 0; x < side; x++) {
            int mx = x / scale - 4, my = y / scale - 4;
            bool dark = mx >= 0 && my >= 0 && mx < q->width && my < q->width &&
                        q->modules[my * q->width + mx];
            px[y * side + x] = dark ? 0 : 255;
        }
    zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(img, (unsigned)side, (unsigned)side);
    zbar_image_set_data(img, px, (unsigned long)side * (unsigned long)side, NULL);
    if (zbar_scan_image(scanner, img) > 0 && (sym = zbar_image_first_symbol(img)))
        text = strdup(zbar_symbol_get_data(sym));
    zbar_image_destroy(img);
    zbar_image_scanner_destroy(scanner);
    free(px);
    return text;
}

/* Encode `payload` both ways; true when every module agrees once unmasked. */
static bool same_as_libqrencode(const char *payload, bool decode)
{
    struct qr_code q;
    attache_error err;
    QRcode *ref = reference(payload);
    int w, x, y, mine, theirs, level = -1, ref_level = -1, diff = 0;
    char *text;

    attache_error_clear(&err);
    if (!ref || qr_make(payload, 40, "test", &q, &err) != ATTACHE_OK) {
        if (ref)
            QRcode_free(ref);
        fprintf(stderr, "    cannot encode %zu characters\n", strlen(payload));
        return false;
    }
    w = q.width;
    mine = format_of(q.modules, w, &level);
    theirs = format_of(ref->data, ref->width, &ref_level);
    if (ref->version != q.version || ref->width != w || mine < 0 || theirs < 0 ||
        level != 0 || ref_level != 0) {
        fprintf(stderr, "    version %d against %d, mask %d against %d, level %d\n",
                q.version, ref->version, mine, theirs, level);
        diff = 1;
    }
    for (y = 0; !diff && y < w; y++)
        for (x = 0; x < w; x++) {
            unsigned char r = ref->data[y * w + x];
            int a = q.modules[y * w + x], b = r & 1;
            if (in_format_area(x, y, w))
                continue;
            if (!(r & 0xFC)) {            /* a data or error correction module */
                a ^= mask_at(mine, x, y);
                b ^= mask_at(theirs, x, y);
            }
            diff += a != b;
        }
    if (diff)
        fprintf(stderr, "    %d modules differ for %zu characters\n", diff, strlen(payload));
    /* the mask chosen scores lowest (the first of equals) by the standard's rules */
    if (!diff) {
        unsigned char *m = malloc((size_t)w * (size_t)w);
        long best = -1;
        int k, best_mask = -1;
        for (k = 0; k < 8; k++) {
            long sc;
            for (y = 0; y < w; y++)
                for (x = 0; x < w; x++) {
                    int a = q.modules[y * w + x];
                    if (!(ref->data[y * w + x] & 0xFC))
                        a ^= mask_at(mine, x, y) ^ mask_at(k, x, y);
                    m[y * w + x] = (unsigned char)a;
                }
            put_format(m, w, k);
            sc = score(m, w);
            if (best < 0 || sc < best) {
                best = sc;
                best_mask = k;
            }
        }
        if (best_mask != mine) {
            fprintf(stderr, "    mask %d chosen, %d scores lower\n", mine, best_mask);
            diff++;
        }
        free(m);
    }
    if (decode) {
        text = read_back(&q);
        if (!text || strcmp(text, payload)) {
            fprintf(stderr, "    zbar read \"%s\"\n", text ? text : "(nothing)");
            diff++;
        }
        free(text);
    }
    QRcode_free(ref);
    qr_release(&q);
    return !diff;
}

/* Payloads like attache's, of every length up to the largest version. */
static void test_against_libqrencode(void)
{
    static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    char payload[2400];
    size_t n, i, bad = 0;
    unsigned seed = 7;

    for (n = 1; n < 1700 && bad < 5; n += n < 200 ? 1 : 7) {
        int len = snprintf(payload, sizeof payload, "https://verify.example.org/v/%s",
                           TOKEN_PREFIX);
        for (i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            payload[len + (int)i] = alnum[(seed >> 16) % 36];
        }
        payload[len + (int)n] = '\0';
        if (!CHECK(same_as_libqrencode(payload, n % 50 == 1)))
            bad++;
    }
    /* a URL in capitals takes an alphanumeric segment of its own; no token; a token in bytes */
    CHECK(same_as_libqrencode("HTTPS://VERIFY.EXAMPLE.ORG/v/" TOKEN_PREFIX "ABC123", true));
    CHECK(same_as_libqrencode("https://example.org/only/a/url?x=1", true));
    CHECK(same_as_libqrencode("https://example.org/v/" TOKEN_PREFIX "a token in lower case", true));
}

static void test_limits(void)
{
    struct qr_code q;
    attache_error err;
    char *big = malloc(5000);

    attache_error_clear(&err);
    memset(big, 'a', 4999);
    big[4999] = '\0';
    CHECK_INT(qr_make(big, 40, "officer 'x'", &q, &err), ATTACHE_ERR_DATA);
    CHECK(strstr(err.message, "do not fit any QR version") != NULL);
    attache_error_clear(&err);
    big[300] = '\0';
    CHECK_INT(qr_make(big, 5, "officer 'x'", &q, &err), ATTACHE_ERR_DATA);
    CHECK(strstr(err.message, "more than the largest allowed, 5") != NULL);
    attache_error_clear(&err);
    CHECK_INT(qr_make(big, 0, "officer 'x'", &q, &err), ATTACHE_OK);
    CHECK(q.version > 5);
    qr_release(&q);
    free(big);
}

int main(void)
{
    test_against_libqrencode();
    test_limits();
    return check_done();
}

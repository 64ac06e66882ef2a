/* Unit tests of src/qr.c: QR codes that zbar reads back as their payload,
 * in the smallest version their segments allow, and payloads refused. */
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>
#include <zbar.h>

#include "check.h"
#include "qr.h"

#define TOKEN "ATT1:2QCEBA6DWLJ4QGT3T3ZGXRZYJPM5CUPKUYEAXXAAJK3J2QCEBA6DWLJ4QGT3T3ZGXRZYJPM5CUPK"

/* What zbar reads in `qr` drawn 4 pixels a module with a quiet zone; malloc'd or NULL. */
static char *read_back(const struct qr_code *qr)
{
    int scale = 4, quiet = 4, side = (qr->width + 2 * quiet) * scale, x, y;
    unsigned char *px = malloc((size_t)side * (size_t)side);
    zbar_image_scanner_t *scanner = zbar_image_scanner_create();
    zbar_image_t *img = zbar_image_create();
    const zbar_symbol_t *sym;
    char *text = NULL;

    for (y = 0; y < side; y++)
        for (x = 0; x < side; x++) {
            int mx = x / scale - quiet, my = y / scale - quiet;
            bool dark = mx >= 0 && my >= 0 && mx < qr->width && my < qr->width &&
                        qr->modules[my * qr->width + mx];
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

static void round_trip(const char *payload, int max_version, int want_version)
{
    struct qr_code qr;
    attache_error err;
    char *got;

    attache_error_clear(&err);
    if (!CHECK(qr_make(payload, max_version, "officer 'x'", &qr, &err) == ATTACHE_OK)) {
        fprintf(stderr, "    %s\n", err.message);
        return;
    }
    CHECK_INT(qr.width, 17 + 4 * qr.version);
    if (want_version)
        CHECK_INT(qr.version, want_version);
    got = read_back(&qr);
    CHECK_STR(got, payload);
    free(got);
    qr_release(&qr);
    CHECK(qr.modules == NULL);
}

static void test_round_trips(void)
{
    /* the token alone, alphanumeric: 80 characters fit version 4 at level M */
    round_trip(TOKEN, 0, 4);
    /* a URL before it: bytes, then alphanumeric */
    round_trip("https://verify.example.org/v/" TOKEN, 16, 0);
    /* a URL written in capitals is alphanumeric from its start */
    round_trip("HTTPS://VERIFY.EXAMPLE.ORG/V/" TOKEN, 16, 0);
    /* a token that is not all alphanumeric (lower case) goes in bytes */
    round_trip("https://v.example.org/att1:abc", 0, 0);
    round_trip("https://v.example.org/v/ATT1:abc", 0, 0);
    round_trip("no token here", 0, 1);        /* 13 bytes: 1-M holds 14 */
    round_trip("fifteen bytes!!", 0, 2);      /* ... and not 15 */
}

static void test_refused(void)
{
    struct qr_code qr;
    attache_error err;
    char *big = malloc(8000);

    attache_error_clear(&err);
    /* the URL makes the code larger than the template allows */
    CHECK_INT(qr_make("https://a-rather-long-verification-host.example.org/verify/" TOKEN, 5,
                      "officer 'kh-2015-01'", &qr, &err), ATTACHE_ERR_DATA);
    CHECK(strstr(err.message, "officer 'kh-2015-01': the QR code needs version ") != NULL);
    CHECK(strstr(err.message, "more than the largest allowed, 5; shorten the verify-url") != NULL);
    CHECK(qr.modules == NULL);
    memset(big, 'a', 7999);
    big[7999] = '\0';
    CHECK_INT(qr_make(big, 0, "officer 'x'", &qr, &err), ATTACHE_ERR_DATA);
    CHECK_STR(err.message, "officer 'x': the QR code's 7999 characters do not fit any QR version");
    free(big);
}

/*
 * qr.c chooses the mask itself (libqrencode's rules, scored faster): every
 * module must be the one libqrencode's own choice gives, at every size,
 * for payloads in byte mode and in alphanumeric mode.
 */
static void test_same_mask_as_libqrencode(void)
{
    static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    unsigned seed = 20261129;
    int i, differ = 0, versions[41] = {0}, covered = 0;

    for (i = 0; i < 3000; i++) {
        bool an = i % 3 == 0;
        int len = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 8) % (i % 50 ? 300 : 2300);
        char *p;
        struct qr_code qr;
        attache_error err;
        QRinput *in = QRinput_new2(0, QR_ECLEVEL_M);
        QRcode *ref;
        int k;

        if (an && len < 12)
            len = 12;            /* qr.c encodes a shorter run in byte mode */
        p = malloc((size_t)len + 1);
        for (k = 0; k < len; k++) {
            seed = seed * 1103515245u + 12345u;
            p[k] = an ? alnum[(seed >> 8) % (sizeof alnum - 1)] : (char)('a' + (seed >> 8) % 26);
        }
        p[len] = '\0';
        QRinput_append(in, an ? QR_MODE_AN : QR_MODE_8, len, (const unsigned char *)p);
        ref = QRcode_encodeInput(in);
        attache_error_clear(&err);
        if (qr_make(p, 40, "officer 'x'", &qr, &err) == ATTACHE_OK && ref) {
            if (qr.width != ref->width)
                differ++;
            else
                for (k = 0; k < qr.width * qr.width; k++)
                    if (qr.modules[k] != (ref->data[k] & 1)) {
                        differ++;
                        break;
                    }
            if (!versions[qr.version]++)
                covered++;
        } else if (ref) {
            differ++;
        }
        qr_release(&qr);
        QRcode_free(ref);
        QRinput_free(in);
        free(p);
    }
    CHECK_INT(differ, 0);
    CHECK(covered >= 30);        /* most sizes, up to version 40 */
}

int main(void)
{
    test_round_trips();
    test_refused();
    test_same_mask_as_libqrencode();
    return check_done();
}

/*
 * qr.c: encoding QR codes with libqrencode.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "error.h"
#include "qr.h"
#include "token.h"

static bool alphanumeric_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c && strchr(" $%*+-./:", c));
}

static bool alphanumeric(const char *s)
{
    for (; *s; s++)
        if (!alphanumeric_char(*s))
            return false;
    return true;
}

attache_status qr_make(const char *payload, int max_version, const char *subject,
                       struct qr_code *out, attache_error *err)
{
    const char *tok = strstr(payload, TOKEN_PREFIX);
    size_t prefix = tok ? (size_t)(tok - payload) : strlen(payload);
    QRinput *in = QRinput_new2(0, QR_ECLEVEL_Q);
    QRcode *qr = NULL;
    attache_status rc = ATTACHE_OK;
    int i, n;

    const char *whole = payload;

    memset(out, 0, sizeof *out);
    if (!in)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
    if (max_version <= 0 || max_version > 40)
        max_version = 40;
    /* the URL's capitalised start and the token in alphanumeric mode, the rest in bytes */
    {
        size_t an = 0;
        while (an < prefix && alphanumeric_char(payload[an]))
            an++;
        if (an < 12)
            an = 0;          /* a short run does not pay for its segment header */
        if (an && QRinput_append(in, QR_MODE_AN, (int)an, (const unsigned char *)payload) < 0)
            prefix = (size_t)-1;
        else {
            payload += an;
            prefix -= an;
        }
    }
    if (prefix == (size_t)-1 ||
        (prefix && QRinput_append(in, QR_MODE_8, (int)prefix, (const unsigned char *)payload) < 0) ||
        (tok && alphanumeric(tok) &&
         QRinput_append(in, QR_MODE_AN, (int)strlen(tok), (const unsigned char *)tok) < 0) ||
        (tok && !alphanumeric(tok) &&
         QRinput_append(in, QR_MODE_8, (int)strlen(tok), (const unsigned char *)tok) < 0)) {
        rc = err_set(err, ATTACHE_ERR_DATA, NULL, 0, "%s: cannot encode the QR code", subject);
        goto done;
    }
    qr = QRcode_encodeInput(in);
    if (!qr && errno == ERANGE) {
        rc = err_set(err, ATTACHE_ERR_DATA, NULL, 0,
                     "%s: the QR code's %zu characters do not fit any QR version", subject,
                     strlen(whole));
        goto done;
    }
    if (!qr) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "%s: cannot encode the QR code", subject);
        goto done;
    }
    if (qr->version > max_version) {
        rc = err_set(err, ATTACHE_ERR_DATA, NULL, 0,
                     "%s: the QR code needs version %d (%zu characters), more than the "
                     "largest allowed, %d; shorten the verify-url or the name, or raise the "
                     "template's qr-max-version", subject, qr->version, strlen(whole),
                     max_version);
        goto done;
    }
    n = qr->width * qr->width;
    out->modules = malloc((size_t)n);
    if (!out->modules) {
        rc = err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    for (i = 0; i < n; i++)
        out->modules[i] = qr->data[i] & 1;
    out->width = qr->width;
    out->version = qr->version;
done:
    if (qr)
        QRcode_free(qr);
    QRinput_free(in);
    return rc;
}

void qr_release(struct qr_code *qr)
{
    free(qr->modules);
    qr->modules = NULL;
    qr->width = 0;
}

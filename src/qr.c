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

/*
 * The payload as QR segments at `level`: the URL's capitalised start and the
 * token in alphanumeric mode, the rest in bytes.  NULL when out of memory
 * or not encodable.
 */
static QRinput *segments(const char *payload, QRecLevel level)
{
    const char *tok = strstr(payload, TOKEN_PREFIX);
    size_t prefix = tok ? (size_t)(tok - payload) : strlen(payload), an = 0;
    QRinput *in = QRinput_new2(0, level);

    if (!in)
        return NULL;
    while (an < prefix && alphanumeric_char(payload[an]))
        an++;
    if (an < 12)
        an = 0;          /* a short run does not pay for its segment header */
    if ((an && QRinput_append(in, QR_MODE_AN, (int)an, (const unsigned char *)payload) < 0) ||
        (prefix > an && QRinput_append(in, QR_MODE_8, (int)(prefix - an),
                                       (const unsigned char *)payload + an) < 0) ||
        (tok && QRinput_append(in, alphanumeric(tok) ? QR_MODE_AN : QR_MODE_8,
                               (int)strlen(tok), (const unsigned char *)tok) < 0)) {
        QRinput_free(in);
        return NULL;
    }
    return in;
}

/*
 * Level M, at the smallest version that holds the payload: the code is as
 * coarse as it can be, which is what a phone needs most.
 */
attache_status qr_make(const char *payload, int max_version, const char *subject,
                       struct qr_code *out, attache_error *err)
{
    QRinput *in;
    QRcode *qr = NULL;
    attache_status rc = ATTACHE_OK;
    int i, n;

    memset(out, 0, sizeof *out);
    if (max_version <= 0 || max_version > 40)
        max_version = 40;
    in = segments(payload, QR_ECLEVEL_M);
    if (!in)
        return err_set(err, ATTACHE_ERR_DATA, NULL, 0, "%s: cannot encode the QR code", subject);
    errno = 0;
    qr = QRcode_encodeInput(in);
    QRinput_free(in);
    if (!qr && errno == ERANGE)
        return err_set(err, ATTACHE_ERR_DATA, NULL, 0,
                       "%s: the QR code's %zu characters do not fit any QR version", subject,
                       strlen(payload));
    if (!qr)
        return err_set(err, ATTACHE_ERR_INTERNAL, NULL, 0, "%s: cannot encode the QR code",
                       subject);
    if (qr->version > max_version) {
        rc = err_set(err, ATTACHE_ERR_DATA, NULL, 0,
                     "%s: the QR code needs version %d (%zu characters), more than the "
                     "largest allowed, %d; shorten the verify-url or the name, or raise the "
                     "template's qr-max-version", subject, qr->version, strlen(payload),
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
    QRcode_free(qr);
    return rc;
}

void qr_release(struct qr_code *qr)
{
    free(qr->modules);
    qr->modules = NULL;
    qr->width = 0;
}

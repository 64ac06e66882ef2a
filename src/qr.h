/*
 * qr.h: QR codes for documents (qr.c encodes them).
 *
 * A code is made at error correction level M in the smallest version that
 * holds it: a phone reads a code by the size of its modules first, so the
 * version is kept as small as it can be (docs/token.md, "What goes into the
 * QR code").
 *
 * A payload "HTTPS://VERIFY.EXAMPLE.ORG/v/ATT1:..." is encoded in up to
 * three segments: the URL's capitalised start and the token, whose
 * characters are all in QR's alphanumeric set, in alphanumeric mode (5.5
 * bits a character instead of 8), the rest of the URL in byte mode.
 */
#ifndef ATTACHE_QR_H
#define ATTACHE_QR_H

#include "attache.h"

#define QR_DEFAULT_MAX_VERSION 13

struct qr_code {
    int version;
    int width;                 /* modules per side, without the quiet zone */
    unsigned char *modules;    /* width * width, row-major from the top, 1 = dark */
};

/*
 * Encode `payload`, refusing (ATTACHE_ERR_DATA, naming `subject`, e.g.
 * "officer 'kh-2015-01'") one that needs a version above max_version
 * (0: 40).  Free with qr_release().
 */
attache_status qr_make(const char *payload, int max_version, const char *subject,
                       struct qr_code *out, attache_error *err);
void qr_release(struct qr_code *qr);

#endif

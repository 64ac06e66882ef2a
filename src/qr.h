/*
 * qr.h: QR codes for documents, at error correction level Q (qr.c encodes them).
 *
 * A payload "https://verify.example.org/v/ATT1:..." is encoded as two
 * segments: the URL prefix in byte mode and the token, whose characters are
 * all in QR's alphanumeric set, in alphanumeric mode, which takes 5.5 bits a
 * character instead of 8.
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

/*
 * reference.c: the benchmark's yardstick.  A minimal program that draws the
 * same certificate content as attache's (border with waves, logo, a dozen
 * lines of text in two fonts, a signed-looking QR code) with libharu and
 * libqrencode directly, N pages in a tight loop into ONE PDF: fonts and
 * images loaded once, no templates, no signing, no files per document.
 * attache's time per certificate is reported as a ratio of this one's, so
 * results compare across machines.
 *
 *   reference N FONT_DIR LOGO.png
 *
 * prints "reference: N pages in S s (R/s), B bytes".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hpdf.h>
#include <qrencode.h>

static void on_error(HPDF_STATUS e, HPDF_STATUS d, void *u)
{
    (void)u;
    fprintf(stderr, "reference: libharu error 0x%04X (%u)\n", (unsigned)e, (unsigned)d);
    exit(70);
}

static void text(HPDF_Page p, HPDF_Font f, float size, float y, const char *s)
{
    float w;

    HPDF_Page_SetFontAndSize(p, f, size);
    w = HPDF_Page_TextWidth(p, s);
    HPDF_Page_BeginText(p);
    HPDF_Page_TextOut(p, (841.89f - w) / 2, y, s);
    HPDF_Page_EndText(p);
}

static void waves(HPDF_Page p, float x0, float y0, float x1, float y1)
{
    float len = hypotf(x1 - x0, y1 - y0), ux = (x1 - x0) / len, uy = (y1 - y0) / len;
    int n = (int)(len / 19.8f), i, k;
    float per = len / (float)n, amp = 4.5f;

    for (k = 0; k < 2; k++) {
        float a = k ? -amp : amp;
        HPDF_Page_MoveTo(p, x0 - uy * a, y0 + ux * a);
        for (i = 0; i < n; i++) {
            float s0 = per * (float)i, h = per / 2, c = h * 0.3642f;
            HPDF_Page_CurveTo(p, x0 + ux * (s0 + c) - uy * a, y0 + uy * (s0 + c) + ux * a,
                              x0 + ux * (s0 + h - c) + uy * a, y0 + uy * (s0 + h - c) - ux * a,
                              x0 + ux * (s0 + h) + uy * a, y0 + uy * (s0 + h) - ux * a);
            HPDF_Page_CurveTo(p, x0 + ux * (s0 + h + c) + uy * a, y0 + uy * (s0 + h + c) - ux * a,
                              x0 + ux * (s0 + per - c) - uy * a, y0 + uy * (s0 + per - c) + ux * a,
                              x0 + ux * (s0 + per) - uy * a, y0 + uy * (s0 + per) + ux * a);
        }
    }
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000, i, r, x;
    char serif[512], display[512];
    struct timespec t0, t1;
    HPDF_Doc pdf;
    HPDF_Font fs, fd;
    HPDF_Image logo;
    HPDF_UINT32 size;

    if (argc < 4) {
        fprintf(stderr, "usage: reference N FONT_DIR LOGO.png\n");
        return 64;
    }
    snprintf(serif, sizeof serif, "%s/AttacheSerif-Regular.ttf", argv[2]);
    snprintf(display, sizeof display, "%s/AttacheSerifDisplay-Regular.ttf", argv[2]);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pdf = HPDF_New(on_error, NULL);
    HPDF_SetCompressionMode(pdf, HPDF_COMP_ALL);
    HPDF_UseUTFEncodings(pdf);
    fs = HPDF_GetFont(pdf, HPDF_LoadTTFontFromFile(pdf, serif, HPDF_TRUE), "UTF-8");
    fd = HPDF_GetFont(pdf, HPDF_LoadTTFontFromFile(pdf, display, HPDF_TRUE), "UTF-8");
    logo = HPDF_LoadPngImageFromFile(pdf, argv[3]);
    for (i = 0; i < n; i++) {
        HPDF_Page p = HPDF_AddPage(pdf);
        char name[64], payload[128];
        QRcode *qr;
        float m;

        HPDF_Page_SetSize(p, HPDF_PAGE_SIZE_A4, HPDF_PAGE_LANDSCAPE);
        HPDF_Page_SetLineWidth(p, 1.9f);
        HPDF_Page_Rectangle(p, 25.5f, 25.5f, 790.9f, 544.3f);
        HPDF_Page_Stroke(p);
        HPDF_Page_SetLineWidth(p, 0.7f);
        HPDF_Page_Rectangle(p, 39.7f, 39.7f, 762.5f, 515.9f);
        HPDF_Page_Stroke(p);
        HPDF_Page_SetLineWidth(p, 0.5f);
        waves(p, 32.6f, 32.6f, 809.3f, 32.6f);
        waves(p, 809.3f, 32.6f, 809.3f, 562.7f);
        waves(p, 809.3f, 562.7f, 32.6f, 562.7f);
        waves(p, 32.6f, 562.7f, 32.6f, 32.6f);
        HPDF_Page_Stroke(p);
        HPDF_Page_DrawImage(p, logo, 384, 460, 74, 74);
        snprintf(name, sizeof name, "Ms. Nguyễn Thị Thu Hà %d", i);
        text(p, fs, 10.5f, 440, "ASEAN SECRETARIAT");
        text(p, fd, 40, 390, "Certificate of Completion");
        text(p, fs, 13, 365, "This is to certify that");
        text(p, fd, 36, 320, name);
        text(p, fs, 12.5f, 230, "of the Ministry of Industry and Trade, Viet Nam, has successfully completed the");
        text(p, fs, 15, 205, "Attachment Programme for AEC and ASCC Involvement at the ASEAN Secretariat");
        text(p, fs, 12.5f, 170, "2nd Batch, 9 February 2015 – 5 February 2016");
        text(p, fs, 9, 150, "Attached to the Trade Facilitation Division, AEC");
        text(p, fs, 9, 95, "Issued on 5 February 2016");
        text(p, fs, 11, 70, "Tran Dong Phuong");
        text(p, fs, 9, 56, "Director, Finance, Industry and Infrastructure Directorate");
        snprintf(payload, sizeof payload, "HTTPS://VERIFY.EXAMPLE.ORG/V/ATT1:%0110d", i);
        qr = QRcode_encodeString(payload, 0, QR_ECLEVEL_Q, QR_MODE_8, 1);
        m = 73.7f / (float)qr->width;
        for (r = 0; r < qr->width; r++)
            for (x = 0; x < qr->width; x++)
                if (qr->data[r * qr->width + x] & 1)
                    HPDF_Page_Rectangle(p, 675 + (float)x * m, 60 + (float)(qr->width - r) * m, m, m);
        HPDF_Page_Fill(p);
        QRcode_free(qr);
    }
    HPDF_SaveToStream(pdf);
    size = HPDF_GetStreamSize(pdf);
    HPDF_Free(pdf);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    {
        double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
        printf("reference: %d pages in %.3f s (%.0f/s), %u bytes\n", n, s, n / s, (unsigned)size);
    }
    return 0;
}

/*
 * text.c: UTF-8 handling on top of libunistring.  Normalisation, case
 * mapping and script data come from the library; only the policy (what is
 * forbidden, how messages are quoted) is ours.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "text.h"

int text_utf16(uint32_t cp, uint16_t u[2])
{
    if (cp < 0x10000) {
        u[0] = (uint16_t)cp;
        return 1;
    }
    u[0] = (uint16_t)(0xD800 + ((cp - 0x10000) >> 10));
    u[1] = (uint16_t)(0xDC00 + ((cp - 0x10000) & 0x3FF));
    return 2;
}

uint32_t text_next(const char **p, const char *end)
{
    ucs4_t cp;
    int n = u8_mbtoucr(&cp, (const uint8_t *)*p, (size_t)(end - *p));

    if (n <= 0) {
        (*p)++;
        return 0xFFFD;
    }
    *p += n;
    return cp;
}

size_t text_length(const char *s)
{
    return u8_mbsnlen((const uint8_t *)s, strlen(s));
}

size_t text_put(char *out, uint32_t cp)
{
    int n = u8_uctomb((uint8_t *)out, cp, 4);
    return n > 0 ? (size_t)n : 0;
}

bool text_valid(const char *s, size_t len)
{
    return u8_check((const uint8_t *)s, len) == NULL;
}

bool text_is_invisible(uint32_t cp)
{
    return (cp >= 0x200B && cp <= 0x200F) ||   /* zero width, LRM, RLM */
           (cp >= 0x202A && cp <= 0x202E) ||   /* embeddings, overrides */
           (cp >= 0x2060 && cp <= 0x206F) ||   /* isolates, invisible operators */
           cp == 0x061C || cp == 0xFEFF || cp == 0x00AD ||
           (cp >= 0xFFF9 && cp <= 0xFFFB) ||
           (cp >= 0xFE00 && cp <= 0xFE0F) ||   /* variation selectors: change the look */
           (cp >= 0xE0100 && cp <= 0xE01EF) ||
           (cp >= 0xE0000 && cp <= 0xE007F);   /* tags */
}

static bool is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp < 0xA0);
}

/* Writes `s` into out[*n..size-1], keeping one byte for the NUL. */
static bool put(char *out, size_t size, size_t *n, const char *s, size_t len)
{
    if (*n + len + 1 > size)
        return false;
    memcpy(out + *n, s, len);
    *n += len;
    return true;
}

static void sanitize(char *out, size_t size, const char *in, size_t max_chars)
{
    const char *p = in, *end = in + strlen(in);
    size_t n = 0, chars = 0;
    static const char more[] = "...";

    if (!size)
        return;
    while (p < end) {
        const char *start = p;
        char tmp[16];
        size_t len;
        uint32_t cp;
        int k = u8_mbtoucr(&cp, (const uint8_t *)p, (size_t)(end - p));

        if (chars == max_chars)
            break;
        if (k <= 0) {
            len = (size_t)snprintf(tmp, sizeof tmp, "\\x%02X", (unsigned char)*p);
            p++;
        } else {
            p += k;
            if (cp == '\n')
                len = (size_t)snprintf(tmp, sizeof tmp, "\\n");
            else if (cp == '\t')
                len = (size_t)snprintf(tmp, sizeof tmp, "\\t");
            else if (is_control(cp) || text_is_invisible(cp) ||
                     (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE)
                len = (size_t)snprintf(tmp, sizeof tmp, "<U+%04X>", (unsigned)cp);
            else {
                len = (size_t)(p - start);
                memcpy(tmp, start, len);
            }
        }
        /* keep room for "..." in case more follows */
        if (n + len + sizeof more > size) {
            p = start;
            break;
        }
        put(out, size, &n, tmp, len);
        chars++;
    }
    if (p < end)
        put(out, size, &n, more, sizeof more - 1);
    out[n] = '\0';
}

void text_sanitize(char *out, size_t size, const char *in)
{
    sanitize(out, size, in, (size_t)-1);
}

const char *text_clip(char *out, size_t size, const char *in, size_t max_chars)
{
    sanitize(out, size, in ? in : "", max_chars);
    return out;
}

static bool is_space(uint32_t cp)
{
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r';
}

char *text_normalize(const char *s)
{
    size_t len = strlen(s), nfc_len = 0;
    uint8_t *nfc;
    char *out, *o;
    const char *p, *end;
    bool pending_space = false;

    for (p = s; *p && !(*p & 0x80); p++)
        ;
    if (!*p) {                     /* ASCII is already NFC */
        nfc = malloc(len + 1);
        if (!nfc)
            return NULL;
        memcpy(nfc, s, len + 1);
        nfc_len = len;
    } else {
        if (u8_check((const uint8_t *)s, len))
            return NULL;
        nfc = u8_normalize(UNINORM_NFC, (const uint8_t *)s, len, NULL, &nfc_len);
        if (!nfc)
            return NULL;
    }
    out = malloc(nfc_len + 1);
    if (!out) {
        free(nfc);
        return NULL;
    }
    o = out;
    p = (const char *)nfc;
    end = p + nfc_len;
    while (p < end) {
        if (is_space((unsigned char)*p)) {
            pending_space = o != out;
            p++;
            continue;
        }
        if (pending_space)
            *o++ = ' ';
        pending_space = false;
        *o++ = *p++;
    }
    *o = '\0';
    free(nfc);
    return out;
}

uint32_t text_forbidden_char(const char *s)
{
    const char *p = s, *end = s + strlen(s);

    while (p < end) {
        uint32_t cp = text_next(&p, end);
        if (cp == 0xFFFD || (is_control(cp) && !is_space(cp)) ||
            text_is_invisible(cp) || (cp >= 0xFDD0 && cp <= 0xFDEF) ||
            (cp & 0xFFFE) == 0xFFFE || (cp >= 0xE000 && cp <= 0xF8FF))
            return cp;
    }
    return 0;
}

uint32_t text_non_latin_letter(const char *s, const char **script)
{
    const char *p = s, *end = s + strlen(s);

    while (p < end) {
        uint32_t cp = text_next(&p, end);
        const uc_script_t *sc;

        if (!uc_is_property_alphabetic(cp))
            continue;
        sc = uc_script(cp);
        if (!sc || !strcmp(sc->name, "Latin") || !strcmp(sc->name, "Common") ||
            !strcmp(sc->name, "Inherited"))
            continue;
        if (script)
            *script = sc->name;
        return cp;
    }
    return 0;
}

uint32_t text_right_to_left(const char *s)
{
    const char *p = s, *end = s + strlen(s);

    while (p < end) {
        uint32_t cp = text_next(&p, end);
        int bidi = uc_bidi_category(cp);

        if (bidi == UC_BIDI_R || bidi == UC_BIDI_AL)
            return cp;
    }
    return 0;
}

/* The script a language is written in, for the languages with one script. */
static const char *script_of_language(const char *lang)
{
    static const struct { const char *lang, *script; } table[] = {
        {"km", "Khmer"}, {"lo", "Lao"}, {"my", "Myanmar"}, {"th", "Thai"},
        {"vi", "Latin"}, {"id", "Latin"}, {"ms", "Latin"}, {"tl", "Latin"}, {"fil", "Latin"},
        {"en", "Latin"}, {"el", "Greek"}, {"ka", "Georgian"},
        {"hy", "Armenian"}, {"hi", "Devanagari"}, {"ne", "Devanagari"}, {"bn", "Bengali"},
        {"ta", "Tamil"}, {"si", "Sinhala"}, {"bo", "Tibetan"}, {"am", "Ethiopic"},
    };
    size_t i, n = strcspn(lang, "-_");

    for (i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strlen(table[i].lang) == n && !strncasecmp(table[i].lang, lang, n))
            return table[i].script;
    return NULL;
}

uint32_t text_letter_not_of_language(const char *s, const char *lang, const char **script,
                                     const char **expected)
{
    const char *want = script_of_language(lang), *p = s, *end = s + strlen(s);

    *expected = want;
    while (want && p < end) {
        uint32_t cp = text_next(&p, end);
        const uc_script_t *sc;

        if (!uc_is_property_alphabetic(cp))
            continue;
        sc = uc_script(cp);
        if (!sc || !strcmp(sc->name, want) || !strcmp(sc->name, "Common") ||
            !strcmp(sc->name, "Inherited"))
            continue;
        *script = sc->name;
        return cp;
    }
    return 0;
}

uint32_t text_compatibility_char(const char *s)
{
    const char *p = s, *end = s + strlen(s);

    while (p < end) {
        uint32_t cp = text_next(&p, end), decomposed[UC_DECOMPOSITION_MAX_LENGTH];
        int tag;

        if (cp >= 0x80 && uc_decomposition(cp, &tag, decomposed) > 0 &&
            tag != UC_DECOMP_CANONICAL)
            return cp;
    }
    return 0;
}

/* Myanmar letters a syllable starts with: consonants, independent vowels, digits. */
static bool myanmar_base(uint32_t cp)
{
    return (cp >= 0x1000 && cp <= 0x102A) || cp == 0x103F || (cp >= 0x1040 && cp <= 0x1049) ||
           (cp >= 0x104C && cp <= 0x104F) || (cp >= 0x1050 && cp <= 0x1055) ||
           cp == 0x105A || cp == 0x105B || cp == 0x105C || cp == 0x105D || cp == 0x1061 ||
           cp == 0x1065 || cp == 0x1066 || (cp >= 0x106E && cp <= 0x1070) ||
           (cp >= 0x1075 && cp <= 0x1081) || cp == 0x108E || (cp >= 0xAA60 && cp <= 0xAA76) ||
           (cp >= 0xA9E0 && cp <= 0xA9E4) || (cp >= 0xA9E7 && cp <= 0xA9EF) ||
           (cp >= 0xA9FA && cp <= 0xA9FE);
}

/* Signs that attach to the letter before them: vowels, medials, tones, asat, virama. */
static bool myanmar_sign(uint32_t cp)
{
    return (cp >= 0x102B && cp <= 0x103E) || (cp >= 0x1056 && cp <= 0x1059) ||
           (cp >= 0x105E && cp <= 0x1060) || (cp >= 0x1062 && cp <= 0x1064) ||
           (cp >= 0x1067 && cp <= 0x106D) || (cp >= 0x1071 && cp <= 0x1074) ||
           (cp >= 0x1082 && cp <= 0x108D) || cp == 0x108F || (cp >= 0x109A && cp <= 0x109D);
}

uint32_t text_zawgyi_sign(const char *s, const char **why)
{
    const char *p = s, *end = s + strlen(s);
    uint32_t prev = 0;
    bool vowel = false;           /* a vowel sign since the syllable's letter */

    while (p < end) {
        uint32_t cp = text_next(&p, end);

        if (myanmar_sign(cp) && !myanmar_base(prev) && !myanmar_sign(prev)) {
            *why = "before the letter it belongs to";
            return cp;
        }
        if (cp >= 0x103B && cp <= 0x103E && vowel) {
            *why = "after a vowel sign (a medial comes first)";
            return cp;
        }
        if (prev == 0x1039 && !(cp >= 0x1000 && cp <= 0x1021)) {
            *why = "used as a killer (Unicode writes U+103A)";
            return prev;
        }
        if (myanmar_base(cp))
            vowel = false;
        else if (cp >= 0x102B && cp <= 0x1035)
            vowel = true;
        prev = cp;
    }
    if (prev == 0x1039) {
        *why = "used as a killer (Unicode writes U+103A)";
        return prev;
    }
    return 0;
}

char *text_upper(const char *s)
{
    size_t len = 0;
    uint8_t *up = u8_toupper((const uint8_t *)s, strlen(s), NULL, UNINORM_NFC,
                             NULL, &len);
    char *out;

    if (!up)
        return NULL;
    out = malloc(len + 1);
    if (out) {
        memcpy(out, up, len);
        out[len] = '\0';
    }
    free(up);
    return out;
}

bool text_is_language_tag(const char *s)
{
    size_t part = 0;
    bool first = true;

    for (; *s; s++) {
        if (*s == '-') {
            if (!part)
                return false;
            part = 0;
            first = false;
        } else if (!(isalpha((unsigned char)*s) || (!first && isdigit((unsigned char)*s))) ||
                   ++part > 8)
            return false;
    }
    return part > 0;
}

const char *text_ordinal_suffix(long n)
{
    if (n < 0)
        n = -n;
    if (n % 100 >= 11 && n % 100 <= 13)
        return "th";
    switch (n % 10) {
    case 1: return "st";
    case 2: return "nd";
    case 3: return "rd";
    default: return "th";
    }
}

/*
 * text.h: UTF-8 text as attache needs it: normalisation (libunistring),
 * safe quoting of untrusted text in messages, and small helpers.
 */
#ifndef ATTACHE_TEXT_H
#define ATTACHE_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/*
 * Copy `in` into `out` (size bytes, always NUL-terminated) so that it is safe
 * to print on one line: control characters (C0, DEL, C1), bidi and other
 * invisible format characters are written as <U+XXXX>, newline and tab as
 * \n and \t, bytes that are not UTF-8 as \xNN.  Cut with "..." if too long.
 */
void text_sanitize(char *out, size_t size, const char *in);

/*
 * Copy at most `max_chars` characters of `in` into `out` (size bytes),
 * sanitised as above and ending in "..." when cut.  Returns `out`, so it can
 * stand as a printf argument: text_clip(buf, sizeof buf, name, 40).
 */
const char *text_clip(char *out, size_t size, const char *in, size_t max_chars);

/*
 * Decode the code point at *p (stopping at `end`), advance *p past it and
 * return it; an invalid sequence returns 0xFFFD and advances one byte.
 */
uint32_t text_next(const char **p, const char *end);

/* `cp` in UTF-16: its one or two code units into u; returns how many. */
int text_utf16(uint32_t cp, uint16_t u[2]);

/* Number of code points in a valid UTF-8 string. */
size_t text_length(const char *s);

/* Append the UTF-8 encoding of `cp` to `out`; returns the bytes written (1-4). */
size_t text_put(char *out, uint32_t cp);

/* True when `s` (len bytes) is valid UTF-8. */
bool text_valid(const char *s, size_t len);

/*
 * Normalise to Unicode NFC, trim white space at both ends and collapse every
 * inner run of white space (space, tab, CR, LF) into one space.  Returns a
 * new string (free() it), or NULL if out of memory or not valid UTF-8.
 */
char *text_normalize(const char *s);

/*
 * The first character of `s` that has no place in a document's text: a
 * control character (other than tab/newline, which normalisation removes),
 * a bidi override or isolate, or a noncharacter.  Returns 0 when there is none.
 */
uint32_t text_forbidden_char(const char *s);

/* True when `cp` is a bidi control, zero-width or other invisible format character. */
bool text_is_invisible(uint32_t cp);

/*
 * The first letter of `s` that is not in the Latin script (letters of the
 * Common and Inherited scripts, digits and punctuation are fine).  Returns 0
 * when all are Latin; *script receives the offending script's name.
 */
uint32_t text_non_latin_letter(const char *s, const char **script);

/* The first letter of s written right to left (bidi class R or AL), or 0. */
uint32_t text_right_to_left(const char *s);

/*
 * The first letter of s that is not of the script `lang` is written in
 * (km: Khmer, lo: Lao, my: Myanmar, ...), with its script; 0 when every
 * letter is, or when attache does not know the language's script
 * (*expected is then NULL).
 */
uint32_t text_letter_not_of_language(const char *s, const char *lang, const char **script,
                                     const char **expected);

/*
 * The first character of s that Unicode marks as a compatibility form of
 * others (fullwidth Ｃ for C, the ligature ﬁ for fi, superscript ²), or 0:
 * a name is written with the characters themselves.
 */
uint32_t text_compatibility_char(const char *s);

/*
 * Myanmar text typed in the legacy Zawgyi encoding, which shares Unicode's
 * code points but not their order: the first sign that Unicode Myanmar
 * cannot have where it stands (a vowel sign or medial before its letter, a
 * medial after a vowel sign, U+1039 not followed by a consonant).  Returns
 * 0 for text with none; *why receives what is wrong with the sign.
 */
uint32_t text_zawgyi_sign(const char *s, const char **why);

/* Upper-case `s` with full Unicode case mapping (NFC result); free() it. */
char *text_upper(const char *s);

/* Whether `s` is a language tag as xs:language has it: "km", "zh-Hant",
 * "sr-Latn-RS" (letters, then parts of up to 8 letters or digits). */
bool text_is_language_tag(const char *s);

/* The English ordinal suffix of n: "st" for 1, 21, 101; "nd", "rd"; "th" for 11-13 and the rest. */
const char *text_ordinal_suffix(long n);

#endif

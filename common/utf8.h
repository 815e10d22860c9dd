/* utf8.h: checking UTF-8 and showing untrusted names in messages.
 *
 * JSON text and safetensors names must be valid UTF-8: no overlong forms, no
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF. Names read from files
 * can hold anything, so messages quote them through utf8_printable. */
#ifndef NASLC_UTF8_H
#define NASLC_UTF8_H

#include <stddef.h>

/* The length (1..4) of the valid UTF-8 sequence that starts s[0..n), or 0
 * when it is not valid or is cut off by n. n > 0. */
size_t utf8_sequence(const unsigned char *s, size_t n);
/* 1 when the NUL-terminated s is valid UTF-8, else 0. */
int utf8_valid(const char *s);
/* A printable copy of s for a message, written to out[0..size) and returned:
 * control bytes (C0, DEL and C1) and bytes that are not UTF-8 become \xNN,
 * valid UTF-8 is kept, and a copy that would not fit is cut at a
 * character boundary and ends in "...". size >= 16. */
const char *utf8_printable(char *out, size_t size, const char *s);

#endif

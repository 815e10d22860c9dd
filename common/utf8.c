/* utf8.c: see utf8.h. */
#include "common/utf8.h"

#include <stdio.h>
#include <string.h>

size_t utf8_sequence(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  if (c < 0x80) return 1;
  size_t len;
  unsigned lo = 0x80, hi = 0xBF; /* the range of the second byte */
  if (c >= 0xC2 && c <= 0xDF) len = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0; /* overlong */
    if (c == 0xED) hi = 0x9F; /* surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90; /* overlong */
    if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
  } else {
    return 0;
  }
  if (n < len) return 0;
  if (s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < len; i++)
    if (s[i] < 0x80 || s[i] > 0xBF) return 0;
  return len;
}

int utf8_valid(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s);
  while (n) {
    size_t k = utf8_sequence(p, n);
    if (!k) return 0;
    p += k;
    n -= k;
  }
  return 1;
}

const char *utf8_printable(char *out, size_t size, const char *s) {
  size_t o = 0, limit = size - 8; /* room for one \xNN or the "..." and the NUL */
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (o >= limit) {
      while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80) o--;
      if (o > 0 && (unsigned char)out[o - 1] >= 0xC0) o--;
      memcpy(out + o, "...", 4);
      return out;
    }
    size_t n = *p < 0x80 ? 1 : utf8_sequence(p, strnlen((const char *)p, 4));
    /* escaped: C0 controls and DEL, C1 controls (U+0080..U+009F, such as
     * the terminal's CSI) and bytes that are not UTF-8 */
    if (*p < 0x20 || *p == 0x7F || n == 0 || (p[0] == 0xC2 && p[1] < 0xA0)) {
      o += (size_t)snprintf(out + o, size - o, "\\x%02X", *p);
    } else {
      if (o + n > limit) { /* this character does not fit */
        memcpy(out + o, "...", 4);
        return out;
      }
      memcpy(out + o, p, n);
      o += n;
      p += n - 1;
    }
  }
  out[o] = 0;
  return out;
}

/* strbuf.c: see strbuf.h. */
#include "common/strbuf.h"

#include <math.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"

void strbuf_init(strbuf *b) {
  b->cap = 64;
  b->len = 0;
  b->data = xmalloc(b->cap);
  b->data[0] = 0;
}

void strbuf_free(strbuf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

void strbuf_clear(strbuf *b) {
  b->len = 0;
  b->data[0] = 0;
}

static void reserve(strbuf *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap) return;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra + 1) cap *= 2;
  b->data = xrealloc(b->data, cap);
  b->cap = cap;
}

void strbuf_add(strbuf *b, const char *s, size_t n) {
  reserve(b, n);
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = 0;
}

void strbuf_puts(strbuf *b, const char *s) { strbuf_add(b, s, strlen(s)); }

void strbuf_putc(strbuf *b, char c) { strbuf_add(b, &c, 1); }

void strbuf_vprintf(strbuf *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n <= 0) return;
  reserve(b, (size_t)n);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
}

void strbuf_printf(strbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  strbuf_vprintf(b, fmt, ap);
  va_end(ap);
}

void strbuf_json_number(strbuf *b, const char *fmt, double v) {
  if (isfinite(v)) strbuf_printf(b, fabs(v) < 1e15 ? fmt : "%.9g", v); /* no 300-digit %f */
  else strbuf_puts(b, "null");
}

void strbuf_json_string(strbuf *b, const char *s) {
  strbuf_putc(b, '"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
      case '"': strbuf_puts(b, "\\\""); break;
      case '\\': strbuf_puts(b, "\\\\"); break;
      case '\n': strbuf_puts(b, "\\n"); break;
      case '\t': strbuf_puts(b, "\\t"); break;
      case '\r': strbuf_puts(b, "\\r"); break;
      default:
        if (*p < 0x20) strbuf_printf(b, "\\u%04x", *p);
        else strbuf_putc(b, (char)*p);
    }
  }
  strbuf_putc(b, '"');
}

char *strbuf_take(strbuf *b) {
  char *p = b->data;
  strbuf_init(b);
  return p;
}

int strbuf_read_file(strbuf *b, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return errno;
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) strbuf_add(b, chunk, n);
  int err = ferror(f) ? (errno ? errno : EIO) : 0;
  fclose(f);
  return err;
}

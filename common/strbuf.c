/* strbuf.c: see strbuf.h. */
#include "common/strbuf.h"

#include <math.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int strbuf_read_file(strbuf *b, const char *path, size_t limit) {
  int fd;
  do fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return e;
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return S_ISDIR(st.st_mode) ? EISDIR : STRBUF_E_NOTREG;
  }
  if ((unsigned long long)st.st_size > limit) {
    close(fd);
    return STRBUF_E_TOOBIG;
  }
  size_t start = b->len;
  int err = 0;
  reserve(b, (size_t)st.st_size + 1);
  for (;;) { /* the size may change while reading: read to the end, to the limit */
    reserve(b, 65536);
    ssize_t r = read(fd, b->data + b->len, 65536);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      err = errno;
      break;
    }
    if (r == 0) break;
    b->len += (size_t)r;
    if (b->len - start > limit) {
      err = STRBUF_E_TOOBIG;
      break;
    }
  }
  close(fd);
  if (err) b->len = start;
  b->data[b->len] = 0;
  return err;
}

const char *strbuf_read_error(int e, size_t limit) {
  static _Thread_local char text[128];
  if (e == STRBUF_E_NOTREG) return "not a regular file (a device, a pipe or a socket)";
  if (e != STRBUF_E_TOOBIG) return strerror(e);
  if (limit >= ((size_t)1 << 30) && limit % ((size_t)1 << 30) == 0)
    snprintf(text, sizeof text, "larger than %zu GiB, the limit for this kind of file (naslc(1), LIMITS)", limit >> 30);
  else if (limit >= ((size_t)1 << 20) && limit % ((size_t)1 << 20) == 0)
    snprintf(text, sizeof text, "larger than %zu MiB, the limit for this kind of file (naslc(1), LIMITS)", limit >> 20);
  else
    snprintf(text, sizeof text, "larger than %zu bytes, the limit for this kind of file (naslc(1), LIMITS)", limit);
  return text;
}

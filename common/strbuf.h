/* strbuf.h: a growable, always NUL-terminated byte buffer (malloc-backed).
 * Used for diagnostics, JSON output and reading files. The owner calls
 * strbuf_free(); strbuf_take() hands the bytes over to the caller. */
#ifndef NASLC_STRBUF_H
#define NASLC_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct strbuf {
  char *data;  /* NUL-terminated contents (never NULL after init) */
  size_t len;  /* bytes before the NUL */
  size_t cap;  /* allocated bytes */
} strbuf;

void strbuf_init(strbuf *b);
void strbuf_free(strbuf *b);
void strbuf_clear(strbuf *b);
void strbuf_add(strbuf *b, const char *s, size_t n);
void strbuf_puts(strbuf *b, const char *s);
void strbuf_putc(strbuf *b, char c);
void strbuf_printf(strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void strbuf_vprintf(strbuf *b, const char *fmt, va_list ap);
/* Appends s as a JSON string literal, quotes included. */
void strbuf_json_string(strbuf *b, const char *s);
/* Appends v as a JSON number printed with fmt ("%.6f", "%.17g"), or null
 * when v is infinite or NaN, which JSON cannot write (a diverged child's
 * perplexity is infinite). */
void strbuf_json_number(strbuf *b, const char *fmt, double v);
/* Returns the contents (caller frees) and leaves b empty. */
char *strbuf_take(strbuf *b);

/* Reads a whole file. Returns 0 on success, else errno; the bytes may contain
 * NULs, so use b->len. */
int strbuf_read_file(strbuf *b, const char *path);

#endif

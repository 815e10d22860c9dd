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

/* Reads a whole file into b (appending; the bytes may contain NULs, so use
 * b->len). The file must be a regular file of at most limit bytes: a device
 * (/dev/zero), a pipe or a directory would otherwise be read until memory
 * runs out, or block. Returns 0 on success; else errno (ENOENT, EACCES, ...)
 * or one of the two codes below, with b as it was. A FIFO is opened without
 * blocking, so naming one fails at once. */
int strbuf_read_file(strbuf *b, const char *path, size_t limit);
#define STRBUF_E_NOTREG (-1)  /* not a regular file */
#define STRBUF_E_TOOBIG (-2)  /* larger than the limit */
/* The reason for a strbuf_read_file error e, for "cannot read 'F': %s":
 * strerror(e), "not a regular file (a directory, device or pipe)", or
 * "larger than 16 MiB, the limit for this kind of file". The text lives in
 * a per-thread buffer until the next call. */
const char *strbuf_read_error(int e, size_t limit);

/* The size caps of the files naslc reads whole (naslc(1), LIMITS). */
#define NASL_LIMIT_SOURCE ((size_t)16 << 20)   /* a .nasl file, an imported one, the stdlib */
#define NASL_LIMIT_RECORD ((size_t)64 << 20)   /* an architecture record file, a checkpoint's metadata */
#define NASL_LIMIT_LOG ((size_t)1 << 30)       /* a run log (log.jsonl) */
#define NASL_LIMIT_TABLE ((size_t)1 << 30)     /* a reward table */
#define NASL_LIMIT_CORPUS ((size_t)2 << 30)    /* a text corpus file */
#define NASL_LIMIT_WEIGHTS ((size_t)8 << 30)   /* a safetensors file */

#endif

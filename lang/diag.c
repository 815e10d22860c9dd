/* diag.c: see diag.h. */
#include "lang/diag.h"

#include <stdlib.h>
#include <string.h>

#include "common/arena.h"

void nasl_diag_init(nasl_diag *d, FILE *stream) {
  memset(d, 0, sizeof *d);
  d->stream = stream;
  d->max_errors = 20;
}

void nasl_diag_free(nasl_diag *d) {
  for (int i = 0; i < d->nsources; i++) {
    free(d->sources[i]->path);
    free(d->sources[i]->text);
    free(d->sources[i]->line_starts);
    free(d->sources[i]);
  }
  free(d->sources);
  d->sources = NULL;
  d->nsources = 0;
}

int nasl_diag_add_source(nasl_diag *d, const char *path, char *text, size_t len) {
  nasl_source *s = xcalloc(1, sizeof *s);
  s->path = xstrdup(path);
  s->text = text;
  s->len = len;
  int cap = 64;
  s->line_starts = xmalloc(sizeof(int) * (size_t)cap);
  s->line_starts[s->nlines++] = 0;
  for (size_t i = 0; i < len; i++) {
    if (text[i] != '\n') continue;
    if (s->nlines == cap) {
      cap *= 2;
      s->line_starts = xrealloc(s->line_starts, sizeof(int) * (size_t)cap);
    }
    s->line_starts[s->nlines++] = (int)i + 1;
  }
  d->sources = xrealloc(d->sources, sizeof(*d->sources) * (size_t)(d->nsources + 1));
  d->sources[d->nsources] = s;
  return d->nsources++;
}

const nasl_source *nasl_diag_source(const nasl_diag *d, int file) {
  if (file < 0 || file >= d->nsources) return NULL;
  return d->sources[file];
}

void nasl_source_linecol(const nasl_source *s, int offset, int *line, int *col) {
  int lo = 0, hi = s->nlines - 1;
  while (lo < hi) { /* last line start <= offset */
    int mid = (lo + hi + 1) / 2;
    if (s->line_starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  *line = lo + 1;
  *col = offset - s->line_starts[lo] + 1;
}

static void emit(nasl_diag *d, const char *text, size_t n) {
  if (d->capture) strbuf_add(d->capture, text, n);
  if (d->stream) fwrite(text, 1, n, d->stream);
}

/* The source line holding loc.start, then a caret line under loc. Bytes that
 * are not printable ASCII are shown as '?' so a binary file cannot garble the
 * terminal; tabs are kept in both lines so the caret stays aligned. */
static void show_line(strbuf *b, const nasl_source *s, nasl_loc loc) {
  int line, col;
  nasl_source_linecol(s, loc.start, &line, &col);
  int ls = s->line_starts[line - 1];
  int le = ls;
  while ((size_t)le < s->len && s->text[le] != '\n') le++;
  if (le > ls && s->text[le - 1] == '\r') le--;
  if (le - ls > 400) return; /* a minified or binary file: the position is enough */
  strbuf_printf(b, "%5d | ", line);
  for (int i = ls; i < le; i++) {
    unsigned char c = (unsigned char)s->text[i];
    strbuf_putc(b, (c == '\t' || (c >= 0x20 && c < 0x7f)) ? (char)c : '?');
  }
  strbuf_puts(b, "\n      | ");
  int start = loc.start < le ? loc.start : le;
  for (int i = ls; i < start; i++) strbuf_putc(b, s->text[i] == '\t' ? '\t' : ' ');
  strbuf_putc(b, '^');
  int end = loc.end < le ? loc.end : le;
  for (int i = start + 1; i < end; i++) strbuf_putc(b, '~');
  strbuf_putc(b, '\n');
}

void nasl_report(nasl_diag *d, nasl_severity sev, nasl_loc loc, const char *fmt,
                 va_list ap) {
  if (sev == NASL_ERROR && loc.file >= 0) {
    /* a second error at the same spot is a consequence of the first */
    int kept = d->nrecent < 8 ? d->nrecent : 8;
    for (int i = 0; i < kept; i++)
      if (d->recent[i].file == loc.file && d->recent[i].start == loc.start) return;
    d->recent[d->nrecent++ % 8] = loc;
  }
  if (sev == NASL_ERROR) {
    d->errors++;
    if (d->max_errors && d->errors > d->max_errors) {
      d->suppressed++;
      return;
    }
  } else if (sev == NASL_WARNING) {
    d->warnings++;
  } else if (d->max_errors && d->errors > d->max_errors) {
    return; /* a note on a suppressed error */
  }
  static const char *const names[] = {"error", "warning", "note"};
  strbuf b;
  strbuf_init(&b);
  const nasl_source *s = nasl_diag_source(d, loc.file);
  if (s) {
    int line, col;
    nasl_source_linecol(s, loc.start, &line, &col);
    strbuf_printf(&b, "%s:%d:%d: %s: ", s->path, line, col, names[sev]);
  } else {
    strbuf_printf(&b, "naslc: %s: ", names[sev]);
  }
  strbuf_vprintf(&b, fmt, ap);
  strbuf_putc(&b, '\n');
  if (s) show_line(&b, s, loc);
  emit(d, b.data, b.len);
  strbuf_free(&b);
}

#define REPORT(sev)            \
  va_list ap;                  \
  va_start(ap, fmt);           \
  nasl_report(d, sev, loc, fmt, ap); \
  va_end(ap)

void nasl_error(nasl_diag *d, nasl_loc loc, const char *fmt, ...) { REPORT(NASL_ERROR); }
void nasl_warning(nasl_diag *d, nasl_loc loc, const char *fmt, ...) { REPORT(NASL_WARNING); }
void nasl_note(nasl_diag *d, nasl_loc loc, const char *fmt, ...) { REPORT(NASL_NOTE); }

void nasl_diag_summary(nasl_diag *d) {
  if (!d->errors && !d->warnings) return;
  strbuf b;
  strbuf_init(&b);
  if (d->suppressed)
    strbuf_printf(&b, "naslc: %d more error%s not shown\n", d->suppressed,
                  d->suppressed == 1 ? "" : "s");
  strbuf_printf(&b, "%d error%s, %d warning%s\n", d->errors, d->errors == 1 ? "" : "s",
                d->warnings, d->warnings == 1 ? "" : "s");
  emit(d, b.data, b.len);
  strbuf_free(&b);
}

int nasl_edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64) return 1000;
  /* optimal string alignment: edits plus swaps of neighbours ("sdg" -> "sgd") */
  int d[65][65];
  for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
  for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++) {
      int sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
      int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
      int m = sub < del ? sub : del;
      m = m < ins ? m : ins;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < m)
        m = d[i - 2][j - 2] + 1;
      d[i][j] = m;
    }
  return d[la][lb];
}

const char *nasl_suggest(const char *name, const char *const *candidates, int n) {
  const char *best = NULL;
  int best_d = 1000;
  size_t len = strlen(name);
  int limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
  for (int i = 0; i < n; i++) {
    int dist = nasl_edit_distance(name, candidates[i]);
    size_t lc = strlen(candidates[i]), shorter = lc < len ? lc : len;
    if (shorter >= 3 && !strncmp(name, candidates[i], shorter)) dist = 1; /* batch / batchsize */
    if (dist < best_d) {
      best_d = dist;
      best = candidates[i];
    }
  }
  return best_d <= limit ? best : NULL;
}

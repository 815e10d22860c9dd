/* diag.h: source files and the diagnostics that point into them.
 *
 * Every AST node carries a nasl_loc: a file id and a byte range. The diag
 * owns the text of every file read during a compilation (the main file and its
 * imports) and turns a location into "file:line:col", the source line and a
 * caret. Errors and warnings are counted; the compiler keeps going after an
 * error so that one run reports several, up to diag->max_errors. */
#ifndef NASLC_DIAG_H
#define NASLC_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "common/strbuf.h"

typedef struct nasl_loc {
  int file;   /* index into nasl_diag.sources; -1 for "no location" */
  int start;  /* byte offset of the first byte */
  int end;    /* byte offset one past the last byte */
} nasl_loc;

#define NASL_NOLOC ((nasl_loc){-1, 0, 0})

typedef struct nasl_source {
  char *path;        /* the name used in messages */
  char *text;        /* contents plus a terminating NUL; may contain NULs */
  size_t len;        /* bytes of text, without the terminating NUL */
  int *line_starts;  /* byte offset where each line starts */
  int nlines;        /* entries in line_starts */
} nasl_source;

typedef enum nasl_severity {
  NASL_ERROR,    /* the input is rejected */
  NASL_WARNING,  /* the input is accepted, but something looks wrong */
  NASL_NOTE      /* more about the previous error or warning */
} nasl_severity;

typedef struct nasl_diag {
  nasl_source **sources;  /* owned; freed by nasl_diag_free */
  int nsources;           /* files read so far */
  int errors;             /* errors reported */
  int warnings;           /* warnings reported */
  int max_errors;         /* stop printing after this many errors (0 = no limit) */
  int suppressed;         /* errors past max_errors, counted but not printed */
  nasl_loc recent[8];     /* where the latest errors were (one error per spot) */
  int nrecent;            /* errors recorded in recent, in all (it is a ring) */
  FILE *stream;           /* where messages go, if not NULL */
  strbuf *capture;        /* where messages go, if not NULL (tests) */
} nasl_diag;

void nasl_diag_init(nasl_diag *d, FILE *stream);
void nasl_diag_free(nasl_diag *d);

/* Takes ownership of text (malloc'd, len bytes, NUL-terminated at len);
 * returns the file id. */
int nasl_diag_add_source(nasl_diag *d, const char *path, char *text, size_t len);
const nasl_source *nasl_diag_source(const nasl_diag *d, int file);

/* 1-based line and column (in bytes) of a byte offset. */
void nasl_source_linecol(const nasl_source *s, int offset, int *line, int *col);

void nasl_error(nasl_diag *d, nasl_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void nasl_warning(nasl_diag *d, nasl_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void nasl_note(nasl_diag *d, nasl_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void nasl_report(nasl_diag *d, nasl_severity sev, nasl_loc loc, const char *fmt,
                 va_list ap);

/* Prints "N errors, M warnings" style closing counts when there were any. */
void nasl_diag_summary(nasl_diag *d);

/* Edit distance used for "did you mean" suggestions. */
int nasl_edit_distance(const char *a, const char *b);
/* Of candidates[0..n), the closest to name if close enough, else NULL. */
const char *nasl_suggest(const char *name, const char *const *candidates, int n);

#endif

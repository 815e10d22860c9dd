/* parse.c: see parse.h. strtol and strtod do the reading; this file adds the
 * checks they leave to the caller. */
#include "common/parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

/* strtol and strtod skip leading space; the text must start with the number. */
static int starts_well(const char *s) { return s && *s && !isspace((unsigned char)*s); }

int parse_long(const char *s, long lo, long hi, long *out) {
  if (!starts_well(s)) {
    errno = EINVAL;
    return -1;
  }
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (end == s || *end) {
    errno = EINVAL;
    return -1;
  }
  if (errno == ERANGE || v < lo || v > hi) {
    errno = ERANGE;
    return -1;
  }
  *out = v;
  return 0;
}

int parse_double(const char *s, double lo, double hi, unsigned flags, double *out) {
  if (!starts_well(s)) {
    errno = EINVAL;
    return -1;
  }
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || *end) {
    errno = EINVAL;
    return -1;
  }
  if (!isfinite(v) && (!(flags & PARSE_NONFINITE) || errno == ERANGE)) {
    errno = errno == ERANGE ? ERANGE : EINVAL; /* 1e999 overflows; "inf" is not allowed */
    return -1;
  }
  if (!isnan(v) && (v < lo || v > hi)) {
    errno = ERANGE;
    return -1;
  }
  *out = v;
  return 0;
}

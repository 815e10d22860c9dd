/* parse.h: numbers read from text a person typed (environment variables,
 * command-line values, state files), checked.
 *
 * atoi and unchecked strtol turn "abc" into 0 and "99999999999" into
 * anything; these refuse it instead. The whole text must be the number:
 * no leading or trailing space, nothing after it. Each returns 0 and sets
 * *out, or returns -1 with errno set and *out untouched:
 *   EINVAL  the text is NULL, empty or not a number (or has trailing text),
 *           or is inf or nan where that was not allowed;
 *   ERANGE  the number does not fit the type, or is outside [lo, hi]. */
#ifndef NASLC_PARSE_H
#define NASLC_PARSE_H

/* A decimal integer, optionally signed, in [lo, hi]. */
int parse_long(const char *s, long lo, long hi, long *out);

/* Flags for parse_double. */
enum {
  PARSE_NONFINITE = 1  /* accept inf, infinity and nan (any case, signed): an infinity must
                          still be in [lo, hi]; nan is accepted whatever lo and hi are */
};

/* A decimal or hexadecimal floating-point number (strtod's syntax) in
 * [lo, hi]. A number too large for a double is ERANGE; one too small (it
 * would underflow) is accepted as the nearest double. inf and nan are
 * refused unless flags has PARSE_NONFINITE. */
int parse_double(const char *s, double lo, double hi, unsigned flags, double *out);

#endif

/* json.h: the JSON reader of naslc, for its own records (architectures, run
 * logs) and for the header of safetensors files.
 *
 * Strict RFC 8259: objects, arrays, strings, numbers, true, false, null;
 * no comments, no trailing commas, no leading zeros, no NaN. Strings must be
 * valid UTF-8; escapes are decoded to UTF-8 (surrogate pairs joined, a lone
 * surrogate refused), and \u0000 is refused because strings come back
 * NUL-terminated. An object with the same key twice is refused. Numbers keep
 * their exact value as a 64-bit integer when written as one that fits, so
 * byte offsets and sizes need not pass through a double. Bad input is never
 * a crash: the reader stops at the first error and says where it is.
 *
 * Ownership: every value, array and string lives in the arena passed to the
 * reader and is released with it. The text is only read; nothing points into
 * it afterwards. Counts are ints, so a text is expected to be well under
 * 2 GB (safetensors headers are capped at 100 MB, log lines are short). */
#ifndef NASLC_JSON_H
#define NASLC_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/strbuf.h"

typedef enum json_kind { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_kind;

typedef struct json_value json_value;
struct json_value {
  json_kind kind;       /* which fields are meaningful */
  size_t pos;           /* byte of the text where the value starts */
  double number;        /* JSON_NUMBER: the nearest double; JSON_BOOL: 0 or 1 */
  int is_integer;       /* JSON_NUMBER: 1 when written without fraction or exponent and within int64_t */
  int64_t integer;      /* JSON_NUMBER with is_integer: the exact value */
  const char *string;   /* JSON_STRING: NUL-terminated UTF-8, escapes decoded */
  int n;                /* JSON_ARRAY, JSON_OBJECT: entries */
  json_value **items;   /* JSON_ARRAY, JSON_OBJECT: items[0..n), in text order */
  const char **keys;    /* JSON_OBJECT: keys[0..n), distinct */
};

/* What a particular kind of text may hold beyond the checks above. A zeroed
 * struct (or NULL) is plain JSON. */
typedef struct json_options {
  const char *text_name;  /* what messages call the text ("unexpected end of header"); NULL: "input" */
  int max_depth;          /* arrays and objects nested deeper are refused; 0: 64 */
  int integers_only;      /* refuse fractions, exponents and integers beyond int64_t */
  int no_literals;        /* refuse true, false and null */
} json_options;

/* Where reading stopped and why. */
typedef struct json_error {
  size_t pos;             /* byte of the text where the error is */
  char message[256];      /* e.g. "expected ',' or '}', found end of input"; "" when there is none */
} json_error;

/* Reads text[0..len): one value, with whitespace around it allowed. Returns
 * the value, or NULL and fills *err (when err is not NULL). */
json_value *json_read(arena *a, const char *text, size_t len, const json_options *opt, json_error *err);
/* json_read with plain JSON; on failure appends "at byte N: what" to err
 * (when err is not NULL). */
json_value *json_parse(arena *a, const char *text, size_t len, strbuf *err);

/* The member called key of an object, or NULL (also when obj is NULL or not
 * an object). */
const json_value *json_get(const json_value *obj, const char *key);
/* The kind of v with its article, for messages: "an object", "an array",
 * "a string", "an integer", "a number", "a boolean", "null". */
const char *json_describe(const json_value *v);

#endif

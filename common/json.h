/* json.h: a small JSON reader for naslc's own records (architectures, run
 * logs). Values live in an arena; parsing never crashes on bad input and
 * reports where it stopped. Nesting is limited to 64 levels. */
#ifndef NASLC_JSON_H
#define NASLC_JSON_H

#include <stddef.h>

#include "common/arena.h"
#include "common/strbuf.h"

typedef enum json_kind { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_kind;

typedef struct json_value json_value;
struct json_value {
  json_kind kind;       /* which fields are meaningful */
  double number;        /* JSON_NUMBER; JSON_BOOL: 0 or 1 */
  const char *string;   /* JSON_STRING (NUL-terminated, escapes decoded) */
  int n;                /* JSON_ARRAY, JSON_OBJECT: entries */
  json_value **items;   /* JSON_ARRAY, JSON_OBJECT: values */
  const char **keys;    /* JSON_OBJECT: keys */
};

/* Parses text[0..len) (one value, whitespace around allowed). NULL with a
 * message "at byte N: ..." appended to err on malformed input. */
json_value *json_parse(arena *a, const char *text, size_t len, strbuf *err);
/* The member called key of an object, or NULL. */
const json_value *json_get(const json_value *obj, const char *key);

#endif

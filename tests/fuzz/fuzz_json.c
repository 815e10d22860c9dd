/* fuzz_json.c: the JSON reader (common/json.c) on any bytes.
 *
 * The first byte picks the options (json_options: integers only, no
 * literals, a small nesting limit), the rest is the text. Promises checked
 * (json.h): a refused text has a message and a position within the text;
 * an accepted one is a tree whose strings are NUL-terminated UTF-8 of the
 * kinds the options allow, whose objects have distinct keys found by
 * json_get, nested no deeper than the limit; json_parse agrees with
 * json_read on plain JSON. */
#include <string.h>

#include "common/json.h"
#include "common/utf8.h"
#include "tests/fuzz/harness.h"

/* Walks v, checking what json.h promises; returns the depth of v. */
static int walk(const json_value *v, const json_options *o, size_t len) {
  fuzz_check(v->pos < len, "a value starts outside the text");
  switch (v->kind) {
    case JSON_NULL:
    case JSON_BOOL:
      fuzz_check(!o->no_literals, "a literal is read with no_literals");
      return 0;
    case JSON_NUMBER:
      fuzz_check(!o->integers_only || v->is_integer, "a fraction is read with integers_only");
      fuzz_check(!v->is_integer || (double)v->integer == v->number, "an integer and its double disagree");
      return 0;
    case JSON_STRING:
      fuzz_check(utf8_valid(v->string), "a string read is not UTF-8");
      return 0;
    case JSON_ARRAY:
    case JSON_OBJECT: {
      int depth = 0;
      for (int i = 0; i < v->n; i++) {
        if (v->kind == JSON_OBJECT) fuzz_check(json_get(v, v->keys[i]) == v->items[i], "a key is not unique");
        int d = walk(v->items[i], o, len);
        if (d > depth) depth = d;
      }
      return depth + 1;
    }
  }
  fuzz_check(0, "a value of no kind");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  json_options o = {"input", (data[0] & 3) ? 4 * (data[0] & 3) : 0, data[0] >> 2 & 1, data[0] >> 3 & 1};
  const char *text = (const char *)data + 1;
  size_t len = size - 1;
  arena a;
  arena_init(&a);
  json_error e;
  json_value *v = json_read(&a, text, len, &o, &e);
  if (v) {
    int depth = walk(v, &o, len);
    fuzz_check(depth <= (o.max_depth ? o.max_depth : 64), "a value nests deeper than max_depth");
  } else {
    fuzz_check(e.message[0] && e.pos <= len, "a refusal without a message or past the text");
  }
  if (!(data[0] & 15)) { /* plain JSON: json_parse reads the same */
    strbuf err;
    strbuf_init(&err);
    json_value *w = json_parse(&a, text, len, &err);
    fuzz_check(!w == !v && (w || err.len), "json_parse and json_read disagree");
    strbuf_free(&err);
  }
  arena_free(&a);
  return 0;
}

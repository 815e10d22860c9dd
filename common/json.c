/* json.c: see json.h. A recursive-descent reader; the first error wins and
 * every caller up the stack returns NULL. */
#include "common/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strmap.h"
#include "common/utf8.h"

typedef struct reader {
  arena *a;                /* owns every value and string */
  const unsigned char *s;  /* the text */
  size_t len, pos;
  int depth;               /* arrays and objects open around pos */
  json_options opt;        /* with the defaults filled in */
  strbuf scratch;          /* the string being decoded */
  json_error *err;         /* never NULL */
} reader;

static json_value *fail(reader *r, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static json_value *fail(reader *r, size_t pos, const char *fmt, ...) {
  if (!r->err->message[0]) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err->message, sizeof r->err->message, fmt, ap);
    va_end(ap);
    r->err->pos = pos;
  }
  return NULL;
}

static void skip_ws(reader *r) {
  while (r->pos < r->len) {
    unsigned char c = r->s[r->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    r->pos++;
  }
}

static int is_digit(const reader *r, size_t at) { return at < r->len && r->s[at] >= '0' && r->s[at] <= '9'; }

/* What is at r->pos, for messages: "'x'", "byte 0xE2" or "end of input". */
static const char *found(reader *r, char *buf, size_t size) {
  if (r->pos >= r->len) snprintf(buf, size, "end of %s", r->opt.text_name);
  else if (r->s[r->pos] >= 0x20 && r->s[r->pos] < 0x7F) snprintf(buf, size, "'%c'", r->s[r->pos]);
  else snprintf(buf, size, "byte 0x%02X", r->s[r->pos]);
  return buf;
}

static json_value *node(reader *r, json_kind kind, size_t pos) {
  json_value *v = arena_alloc(r->a, sizeof *v);
  v->kind = kind;
  v->pos = pos;
  return v;
}

/* ---- strings ---- */

static int hex4(reader *r, unsigned *out) {
  if (r->len - r->pos < 4) return 0;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned char c = r->s[r->pos + (size_t)i];
    unsigned d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return 0;
    v = v * 16 + d;
  }
  r->pos += 4;
  *out = v;
  return 1;
}

static void put_utf8(strbuf *b, unsigned cp) {
  char u[4];
  size_t n;
  if (cp < 0x80) {
    u[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    u[0] = (char)(0xC0 | cp >> 6);
    u[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    u[0] = (char)(0xE0 | cp >> 12);
    u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    u[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    u[0] = (char)(0xF0 | cp >> 18);
    u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    u[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  strbuf_add(b, u, n);
}

/* The code point of the \u escape that starts at esc (r->pos is after the
 * 'u'), joining a surrogate pair; 0 after an error. */
static unsigned unicode_escape(reader *r, size_t esc) {
  unsigned cp, lo;
  if (!hex4(r, &cp)) return fail(r, esc, "bad \\u escape (need 4 hex digits)"), 0;
  if (cp >= 0xDC00 && cp <= 0xDFFF) return fail(r, esc, "unpaired low surrogate \\u%04X", cp), 0;
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    if (r->len - r->pos < 2 || r->s[r->pos] != '\\' || r->s[r->pos + 1] != 'u')
      return fail(r, esc, "unpaired high surrogate \\u%04X", cp), 0;
    r->pos += 2;
    if (!hex4(r, &lo)) return fail(r, r->pos - 2, "bad \\u escape (need 4 hex digits)"), 0;
    if (lo < 0xDC00 || lo > 0xDFFF) return fail(r, esc, "unpaired high surrogate \\u%04X", cp), 0;
    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
  }
  if (cp == 0) return fail(r, esc, "\\u0000 in a string is not supported"), 0;
  return cp;
}

/* The string at r->pos (which is '"'), decoded into the arena, or NULL. */
static const char *string(reader *r) {
  size_t start = r->pos++;
  strbuf_clear(&r->scratch);
  for (;;) {
    if (r->pos >= r->len) return (const char *)fail(r, start, "unterminated string");
    unsigned char c = r->s[r->pos];
    if (c == '"') {
      r->pos++;
      return arena_strndup(r->a, r->scratch.data, r->scratch.len);
    }
    if (c < 0x20) return (const char *)fail(r, r->pos, "control byte 0x%02X in a string (must be escaped)", c);
    if (c != '\\') {
      size_t k = utf8_sequence(r->s + r->pos, r->len - r->pos);
      if (!k) return (const char *)fail(r, r->pos, "invalid UTF-8 in a string");
      strbuf_add(&r->scratch, (const char *)r->s + r->pos, k);
      r->pos += k;
      continue;
    }
    size_t esc = r->pos++;
    if (r->pos >= r->len) return (const char *)fail(r, start, "unterminated string");
    c = r->s[r->pos++];
    static const char plain[] = "\"\\/bfnrt", decoded[] = "\"\\/\b\f\n\r\t";
    const char *p = c ? strchr(plain, c) : NULL;
    if (p) {
      strbuf_putc(&r->scratch, decoded[p - plain]);
    } else if (c == 'u') {
      unsigned cp = unicode_escape(r, esc);
      if (!cp) return NULL;
      put_utf8(&r->scratch, cp);
    } else if (c >= 0x20 && c < 0x7F) {
      return (const char *)fail(r, esc, "bad escape '\\%c'", c);
    } else {
      return (const char *)fail(r, esc, "bad escape (backslash then byte 0x%02X)", c);
    }
  }
}

/* ---- numbers ---- */

static json_value *number(reader *r) {
  size_t start = r->pos;
  int neg = r->s[r->pos] == '-';
  r->pos += (size_t)neg;
  if (!is_digit(r, r->pos)) return fail(r, start, "'-' not followed by a digit");
  if (r->s[r->pos] == '0' && is_digit(r, r->pos + 1)) return fail(r, start, "number with a leading zero");
  uint64_t mag = 0;
  int overflow = 0, integral = 1;
  for (; is_digit(r, r->pos); r->pos++) {
    unsigned d = r->s[r->pos] - '0';
    if (mag > (uint64_t)(INT64_MAX - d) / 10) overflow = 1;
    else mag = mag * 10 + d;
  }
  if (r->pos < r->len && (r->s[r->pos] == '.' || r->s[r->pos] == 'e' || r->s[r->pos] == 'E')) {
    if (r->opt.integers_only) return fail(r, start, "only integers are supported (found a fraction or exponent)");
    integral = 0;
  }
  if (r->pos < r->len && r->s[r->pos] == '.') {
    if (!is_digit(r, ++r->pos)) return fail(r, start, "'.' not followed by a digit");
    while (is_digit(r, r->pos)) r->pos++;
  }
  if (r->pos < r->len && (r->s[r->pos] == 'e' || r->s[r->pos] == 'E')) {
    r->pos++;
    if (r->pos < r->len && (r->s[r->pos] == '+' || r->s[r->pos] == '-')) r->pos++;
    if (!is_digit(r, r->pos)) return fail(r, start, "exponent without digits");
    while (is_digit(r, r->pos)) r->pos++;
  }
  if (overflow && r->opt.integers_only) return fail(r, start, "integer out of range");
  json_value *v = node(r, JSON_NUMBER, start);
  if (integral && !overflow) {
    v->is_integer = 1;
    v->integer = neg ? -(int64_t)mag : (int64_t)mag;
    v->number = (double)v->integer;
    return v;
  }
  /* strtod needs a NUL; the span can be long (a %f of 1e300 has 300 digits) */
  size_t n = r->pos - start;
  char small[64], *buf = n < sizeof small ? small : xmalloc(n + 1);
  memcpy(buf, r->s + start, n);
  buf[n] = 0;
  v->number = strtod(buf, NULL);
  if (buf != small) free(buf);
  return v;
}

/* ---- values ---- */

static json_value *value(reader *r);

static json_value *container(reader *r, int is_object) {
  size_t start = r->pos++;
  if (++r->depth > r->opt.max_depth) return fail(r, start, "nested more than %d deep", r->opt.max_depth);
  json_value *v = node(r, is_object ? JSON_OBJECT : JSON_ARRAY, start);
  ptrvec keys = {0}, items = {0};
  char close = is_object ? '}' : ']';
  char at[40];
  skip_ws(r);
  if (r->pos < r->len && r->s[r->pos] == (unsigned char)close) {
    r->pos++;
  } else {
    for (;;) {
      skip_ws(r);
      if (is_object) {
        if (r->pos >= r->len || r->s[r->pos] != '"')
          return fail(r, r->pos, "expected a member name in quotes, found %s", found(r, at, sizeof at));
        const char *key = string(r);
        if (!key) return NULL;
        ptrvec_push(r->a, &keys, (void *)key);
        skip_ws(r);
        if (r->pos >= r->len || r->s[r->pos] != ':')
          return fail(r, r->pos, "expected ':', found %s", found(r, at, sizeof at));
        r->pos++;
      }
      json_value *item = value(r);
      if (!item) return NULL;
      ptrvec_push(r->a, &items, item);
      skip_ws(r);
      if (r->pos < r->len && r->s[r->pos] == ',') {
        r->pos++;
        continue;
      }
      if (r->pos < r->len && r->s[r->pos] == (unsigned char)close) {
        r->pos++;
        break;
      }
      return fail(r, r->pos, "expected ',' or '%c', found %s", close, found(r, at, sizeof at));
    }
  }
  r->depth--;
  v->n = items.n;
  v->items = (json_value **)items.items;
  v->keys = (const char **)keys.items;
  const char *dup = is_object ? strmap_first_duplicate(v->keys, v->n) : NULL;
  char shown[160];
  if (dup) return fail(r, start, "duplicate key '%s'", utf8_printable(shown, sizeof shown, dup));
  return v;
}

static json_value *value(reader *r) {
  char at[40];
  skip_ws(r);
  if (r->pos >= r->len) return fail(r, r->pos, "unexpected end of %s", r->opt.text_name);
  unsigned char c = r->s[r->pos];
  if (c == '{' || c == '[') return container(r, c == '{');
  if (c == '"') {
    size_t start = r->pos;
    const char *s = string(r);
    if (!s) return NULL;
    json_value *v = node(r, JSON_STRING, start);
    v->string = s;
    return v;
  }
  if (c == '-' || (c >= '0' && c <= '9')) return number(r);
  if (c == 't' || c == 'f' || c == 'n') {
    if (r->opt.no_literals)
      return fail(r, r->pos, "unsupported JSON value (only objects, arrays, strings and %s)",
                  r->opt.integers_only ? "integers" : "numbers");
    static const struct { const char *word; json_kind kind; double v; } literals[] = {
        {"true", JSON_BOOL, 1}, {"false", JSON_BOOL, 0}, {"null", JSON_NULL, 0}};
    for (int i = 0; i < 3; i++) {
      size_t n = strlen(literals[i].word);
      if (r->len - r->pos >= n && !memcmp(r->s + r->pos, literals[i].word, n)) {
        json_value *v = node(r, literals[i].kind, r->pos);
        v->number = literals[i].v;
        r->pos += n;
        return v;
      }
    }
  }
  return fail(r, r->pos, "unexpected %s", found(r, at, sizeof at));
}

json_value *json_read(arena *a, const char *text, size_t len, const json_options *opt, json_error *err) {
  json_error local;
  reader r = {.a = a, .s = (const unsigned char *)text, .len = len, .err = err ? err : &local};
  if (opt) r.opt = *opt;
  if (!r.opt.text_name) r.opt.text_name = "input";
  if (r.opt.max_depth <= 0) r.opt.max_depth = 64;
  r.err->pos = 0;
  r.err->message[0] = 0;
  strbuf_init(&r.scratch);
  json_value *v = value(&r);
  if (v) {
    skip_ws(&r);
    static const char *const nouns[] = {"null", "boolean", "number", "string", "array", "object"};
    if (r.pos < len) v = fail(&r, r.pos, "unexpected data after the JSON %s", nouns[v->kind]);
  }
  strbuf_free(&r.scratch);
  return v;
}

json_value *json_parse(arena *a, const char *text, size_t len, strbuf *err) {
  json_error e;
  json_value *v = json_read(a, text, len, NULL, &e);
  if (!v && err) strbuf_printf(err, "at byte %zu: %s", e.pos, e.message);
  return v;
}

const json_value *json_get(const json_value *obj, const char *key) {
  if (!obj || obj->kind != JSON_OBJECT) return NULL;
  for (int i = 0; i < obj->n; i++)
    if (!strcmp(obj->keys[i], key)) return obj->items[i];
  return NULL;
}

const char *json_describe(const json_value *v) {
  switch (v->kind) {
    case JSON_NULL: return "null";
    case JSON_BOOL: return "a boolean";
    case JSON_NUMBER: return v->is_integer ? "an integer" : "a number";
    case JSON_STRING: return "a string";
    case JSON_ARRAY: return "an array";
    case JSON_OBJECT: return "an object";
  }
  return "a value";
}

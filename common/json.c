/* json.c: see json.h. A recursive-descent reader. */
#include "common/json.h"

#include <stdlib.h>
#include <string.h>

typedef struct reader {
  arena *a;
  const char *s;
  size_t len, pos;
  strbuf *err;
  int failed;
} reader;

static void fail(reader *r, const char *what) {
  if (!r->failed && r->err) strbuf_printf(r->err, "at byte %zu: %s", r->pos, what);
  r->failed = 1;
}

static void skip_ws(reader *r) {
  while (r->pos < r->len && (r->s[r->pos] == ' ' || r->s[r->pos] == '\t' || r->s[r->pos] == '\n' || r->s[r->pos] == '\r'))
    r->pos++;
}

static json_value *value(reader *r, int depth);

static const char *string(reader *r) {
  r->pos++; /* the opening quote */
  strbuf b;
  strbuf_init(&b);
  while (r->pos < r->len && r->s[r->pos] != '"') {
    char c = r->s[r->pos++];
    if ((unsigned char)c < 0x20) {
      fail(r, "a control character inside a string");
      break;
    }
    if (c != '\\') {
      strbuf_putc(&b, c);
      continue;
    }
    if (r->pos >= r->len) break;
    c = r->s[r->pos++];
    switch (c) {
      case '"': case '\\': case '/': strbuf_putc(&b, c); break;
      case 'b': strbuf_putc(&b, '\b'); break;
      case 'f': strbuf_putc(&b, '\f'); break;
      case 'n': strbuf_putc(&b, '\n'); break;
      case 'r': strbuf_putc(&b, '\r'); break;
      case 't': strbuf_putc(&b, '\t'); break;
      case 'u': {
        unsigned v = 0;
        for (int i = 0; i < 4; i++) {
          char h = r->pos < r->len ? r->s[r->pos++] : 0;
          v = v * 16 + (unsigned)(h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                  : h >= 'A' && h <= 'F' ? h - 'A' + 10 : (fail(r, "a bad \\u escape"), 0));
        }
        if (v < 0x80) strbuf_putc(&b, (char)v); /* records are ASCII; others become '?' */
        else strbuf_putc(&b, '?');
        break;
      }
      default: fail(r, "an unknown escape in a string");
    }
  }
  if (r->pos >= r->len) fail(r, "an unterminated string");
  else r->pos++;
  const char *out = arena_strndup(r->a, b.data, b.len);
  strbuf_free(&b);
  return out;
}

static json_value *node(reader *r, json_kind k) {
  json_value *v = arena_alloc(r->a, sizeof *v);
  v->kind = k;
  return v;
}

static void push(reader *r, json_value *v, const char *key, json_value *item, int *cap) {
  if (v->n == *cap) {
    *cap = *cap ? 2 * *cap : 8;
    json_value **items = arena_alloc(r->a, sizeof(json_value *) * (size_t)*cap);
    const char **keys = arena_alloc(r->a, sizeof(char *) * (size_t)*cap);
    if (v->n) {
      memcpy(items, v->items, sizeof(json_value *) * (size_t)v->n);
      memcpy(keys, v->keys, sizeof(char *) * (size_t)v->n);
    }
    v->items = items;
    v->keys = keys;
  }
  v->keys[v->n] = key;
  v->items[v->n++] = item;
}

static json_value *container(reader *r, int depth, int object) {
  json_value *v = node(r, object ? JSON_OBJECT : JSON_ARRAY);
  int cap = 0;
  char close = object ? '}' : ']';
  r->pos++;
  skip_ws(r);
  if (r->pos < r->len && r->s[r->pos] == close) {
    r->pos++;
    return v;
  }
  while (!r->failed) {
    const char *key = NULL;
    skip_ws(r);
    if (object) {
      if (r->pos >= r->len || r->s[r->pos] != '"') {
        fail(r, "expected a key in quotes");
        break;
      }
      key = string(r);
      skip_ws(r);
      if (r->pos >= r->len || r->s[r->pos] != ':') {
        fail(r, "expected ':' after a key");
        break;
      }
      r->pos++;
    }
    json_value *item = value(r, depth + 1);
    if (!item) break;
    push(r, v, key, item, &cap);
    skip_ws(r);
    if (r->pos < r->len && r->s[r->pos] == ',') {
      r->pos++;
      continue;
    }
    if (r->pos < r->len && r->s[r->pos] == close) {
      r->pos++;
      return v;
    }
    fail(r, object ? "expected ',' or '}'" : "expected ',' or ']'");
  }
  return NULL;
}

static json_value *value(reader *r, int depth) {
  if (depth > 64) {
    fail(r, "nesting deeper than 64 levels");
    return NULL;
  }
  skip_ws(r);
  if (r->pos >= r->len) {
    fail(r, "unexpected end of input");
    return NULL;
  }
  char c = r->s[r->pos];
  if (c == '{' || c == '[') return container(r, depth, c == '{');
  if (c == '"') {
    json_value *v = node(r, JSON_STRING);
    v->string = string(r);
    return r->failed ? NULL : v;
  }
  static const struct { const char *word; json_kind kind; double v; } words[] = {
      {"true", JSON_BOOL, 1}, {"false", JSON_BOOL, 0}, {"null", JSON_NULL, 0}};
  for (int i = 0; i < 3; i++) {
    size_t l = strlen(words[i].word);
    if (r->len - r->pos >= l && !memcmp(r->s + r->pos, words[i].word, l)) {
      r->pos += l;
      json_value *v = node(r, words[i].kind);
      v->number = words[i].v;
      return v;
    }
  }
  if (c == '-' || (c >= '0' && c <= '9')) {
    /* the whole span, however long (a %f of 1e300 has 300 digits) */
    size_t start = r->pos;
    while (r->pos < r->len && r->s[r->pos] && strchr("+-0123456789.eE", r->s[r->pos])) r->pos++;
    size_t n = r->pos - start;
    char small[64], *buf = n < sizeof small ? small : xmalloc(n + 1);
    memcpy(buf, r->s + start, n);
    buf[n] = 0;
    char *end;
    json_value *v = node(r, JSON_NUMBER);
    v->number = strtod(buf, &end);
    int bad = *end != 0;
    if (buf != small) free(buf);
    if (bad) {
      fail(r, "a malformed number");
      return NULL;
    }
    return v;
  }
  fail(r, "unexpected character");
  return NULL;
}

json_value *json_parse(arena *a, const char *text, size_t len, strbuf *err) {
  reader r = {a, text, len, 0, err, 0};
  json_value *v = value(&r, 0);
  if (v) {
    skip_ws(&r);
    if (r.pos != len) {
      fail(&r, "extra text after the value");
      return NULL;
    }
  }
  return r.failed ? NULL : v;
}

const json_value *json_get(const json_value *obj, const char *key) {
  if (!obj || obj->kind != JSON_OBJECT) return NULL;
  for (int i = 0; i < obj->n; i++)
    if (!strcmp(obj->keys[i], key)) return obj->items[i];
  return NULL;
}

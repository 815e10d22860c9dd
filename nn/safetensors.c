/* safetensors.c: see safetensors.h. */
#define _POSIX_C_SOURCE 200809L
#include "nn/safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/arena.h"

/* The reference implementation refuses headers above 100 MB; so do we, which
 * also bounds every count in the parser well below INT_MAX. */
#define ST_HEADER_MAX 100000000ULL
/* The header nests three deep; anything much deeper is garbage. */
#define ST_JSON_DEPTH 16

/* ---------------------------------------------------------------- helpers */

static int fail(strbuf *err, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(strbuf *err, const char *path, const char *fmt, ...) {
  if (!err) return -1;
  strbuf_printf(err, "%s: ", path ? path : "(null)");
  va_list ap;
  va_start(ap, fmt);
  strbuf_vprintf(err, fmt, ap);
  va_end(ap);
  return -1;
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if it is not valid
 * (overlong forms, surrogates and code points above U+10FFFF are invalid). */
static size_t utf8_seq(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  if (c < 0x80) return 1;
  size_t len;
  unsigned lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) len = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (n < len) return 0;
  if (s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < len; i++)
    if (s[i] < 0x80 || s[i] > 0xBF) return 0;
  return len;
}

static int utf8_valid(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s);
  while (n) {
    size_t k = utf8_seq(p, n);
    if (!k) return 0;
    p += k;
    n -= k;
  }
  return 1;
}

/* A printable copy of a name for messages: control bytes become \xNN and long
 * names are cut (at a character boundary) with "...". */
static const char *show(char *out, size_t size, const char *s) {
  size_t o = 0, limit = size - 8;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (o >= limit) {
      while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80) o--;
      if (o > 0 && (unsigned char)out[o - 1] >= 0xC0) o--;
      memcpy(out + o, "...", 4);
      return out;
    }
    if (*p < 0x20 || *p == 0x7F) o += (size_t)snprintf(out + o, size - o, "\\x%02X", *p);
    else out[o++] = (char)*p;
  }
  out[o] = 0;
  return out;
}

#define NAMEBUF 160

/* Bytes of a tensor of this shape (4 per float), or -1 on overflow. */
static int64_t shape_bytes(int ndim, const int64_t *shape) {
  int64_t count = 1;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0) return -1;
    /* like the reference implementation, the running product must not
     * overflow even when a later dimension is 0 */
    if (shape[i] != 0 && count > INT64_MAX / 4 / shape[i]) return -1;
    count *= shape[i];
  }
#if SIZE_MAX < INT64_MAX
  if ((uint64_t)count * 4 > (uint64_t)SIZE_MAX) return -1;
#endif
  return count * 4;
}

static void put_le32(unsigned char *p, uint32_t u) {
  p[0] = (unsigned char)u;
  p[1] = (unsigned char)(u >> 8);
  p[2] = (unsigned char)(u >> 16);
  p[3] = (unsigned char)(u >> 24);
}

static uint32_t get_le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int cmp_str_ptr(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first string that occurs twice in s[0..n), or NULL. */
static const char *find_duplicate(const char *const *s, int n) {
  if (n < 2) return NULL;
  const char **sorted = xmalloc(sizeof *sorted * (size_t)n);
  memcpy(sorted, s, sizeof *sorted * (size_t)n);
  qsort(sorted, (size_t)n, sizeof *sorted, cmp_str_ptr);
  const char *dup = NULL;
  for (int i = 1; i < n && !dup; i++)
    if (!strcmp(sorted[i - 1], sorted[i])) dup = sorted[i];
  free(sorted);
  return dup;
}

/* ---------------------------------------------------------------- writing */

static int write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n) {
    ssize_t k = write(fd, p, n);
    if (k < 0) {
      if (errno == EINTR) continue;
      return errno ? errno : EIO;
    }
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

/* Best effort: makes the rename durable. Failure changes nothing for the
 * caller (the data itself is already on disk). */
static void sync_parent_dir(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = slash ? xmalloc((size_t)(slash - path) + 2) : NULL;
  if (dir) {
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    memcpy(dir, path, n);
    dir[n] = 0;
  }
  int fd = open(dir ? dir : ".", O_RDONLY);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  free(dir);
}

/* Checks the arguments of st_write and builds the padded header. */
static int build_header(const char *path, const st_tensor *t, int n, const char *const *mk,
                        const char *const *mv, int nmeta, strbuf *hdr, strbuf *err) {
  char nb[NAMEBUF];
  if (n < 0 || (n > 0 && !t)) return fail(err, path, "bad tensor list (n = %d)", n);
  if (nmeta < 0 || (nmeta > 0 && (!mk || !mv))) return fail(err, path, "bad metadata list (nmeta = %d)", nmeta);
  for (int i = 0; i < nmeta; i++) {
    if (!mk[i] || !mv[i]) return fail(err, path, "metadata pair %d has a NULL key or value", i);
    if (!utf8_valid(mk[i])) return fail(err, path, "metadata key %d is not valid UTF-8", i);
    if (!utf8_valid(mv[i]))
      return fail(err, path, "metadata value for '%s' is not valid UTF-8", show(nb, sizeof nb, mk[i]));
  }
  const char *dup = find_duplicate(mk, nmeta);
  if (dup) return fail(err, path, "duplicate metadata key '%s'", show(nb, sizeof nb, dup));

  const char **names = xmalloc(sizeof *names * (size_t)(n ? n : 1));
  int rc = 0;
  for (int i = 0; i < n && !rc; i++) {
    names[i] = t[i].name;
    if (!t[i].name || !t[i].name[0]) rc = fail(err, path, "tensor %d has an empty name", i);
    else if (!utf8_valid(t[i].name)) rc = fail(err, path, "tensor %d: name is not valid UTF-8", i);
    else if (!strcmp(t[i].name, "__metadata__"))
      rc = fail(err, path, "tensor %d: the name '__metadata__' is reserved", i);
  }
  if (!rc && (dup = find_duplicate(names, n)))
    rc = fail(err, path, "duplicate tensor name '%s'", show(nb, sizeof nb, dup));
  free(names);
  if (rc) return rc;

  strbuf_putc(hdr, '{');
  if (nmeta > 0) {
    strbuf_puts(hdr, "\"__metadata__\":{");
    for (int i = 0; i < nmeta; i++) {
      if (i) strbuf_putc(hdr, ',');
      strbuf_json_string(hdr, mk[i]);
      strbuf_putc(hdr, ':');
      strbuf_json_string(hdr, mv[i]);
    }
    strbuf_putc(hdr, '}');
  }
  int64_t offset = 0;
  for (int i = 0; i < n; i++) {
    const char *name = show(nb, sizeof nb, t[i].name);
    if (t[i].ndim < 0 || t[i].ndim > ST_MAX_DIMS)
      return fail(err, path, "tensor '%s' has %d dimensions (0..8 allowed)", name, t[i].ndim);
    for (int d = 0; d < t[i].ndim; d++)
      if (t[i].shape[d] < 0)
        return fail(err, path, "tensor '%s' has negative dimension %lld", name, (long long)t[i].shape[d]);
    int64_t bytes = shape_bytes(t[i].ndim, t[i].shape);
    if (bytes < 0) return fail(err, path, "tensor '%s': shape product overflows", name);
    if (bytes > 0 && !t[i].data) return fail(err, path, "tensor '%s' has no data", name);
    if (offset > INT64_MAX - bytes) return fail(err, path, "total data size overflows");
    if (nmeta > 0 || i) strbuf_putc(hdr, ',');
    strbuf_json_string(hdr, t[i].name);
    strbuf_puts(hdr, ":{\"dtype\":\"F32\",\"shape\":[");
    for (int d = 0; d < t[i].ndim; d++) strbuf_printf(hdr, d ? ",%lld" : "%lld", (long long)t[i].shape[d]);
    strbuf_printf(hdr, "],\"data_offsets\":[%lld,%lld]}", (long long)offset, (long long)(offset + bytes));
    offset += bytes;
  }
  strbuf_putc(hdr, '}');
  while (hdr->len % 8) strbuf_putc(hdr, ' ');
  if (hdr->len > ST_HEADER_MAX)
    return fail(err, path, "header would be %zu bytes (limit %llu)", hdr->len, ST_HEADER_MAX);
  return 0;
}

int st_write(const char *path, const st_tensor *tensors, int n, const char *const *meta_keys,
             const char *const *meta_values, int nmeta, strbuf *err) {
  if (!path || !path[0]) return fail(err, path, "no output path");
  strbuf hdr;
  strbuf_init(&hdr);
  strbuf_add(&hdr, "\0\0\0\0\0\0\0\0", 8); /* room for the length */
  strbuf body;
  strbuf_init(&body);
  if (build_header(path, tensors, n, meta_keys, meta_values, nmeta, &body, err)) {
    strbuf_free(&hdr);
    strbuf_free(&body);
    return -1;
  }
  uint64_t hlen = body.len;
  for (int i = 0; i < 8; i++) hdr.data[i] = (char)(hlen >> (8 * i));
  strbuf_add(&hdr, body.data, body.len);
  strbuf_free(&body);

  size_t plen = strlen(path);
  char *tmp = xmalloc(plen + 5);
  memcpy(tmp, path, plen);
  memcpy(tmp + plen, ".tmp", 5);
  int rc = 0, e = 0;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (fd < 0) {
    rc = fail(err, path, "cannot create %s: %s", tmp, strerror(errno));
    goto done;
  }
  e = write_all(fd, hdr.data, hdr.len);
  enum { CHUNK = 16384 };
  unsigned char *chunk = xmalloc(CHUNK * 4);
  for (int i = 0; i < n && !e; i++) {
    int64_t count = shape_bytes(tensors[i].ndim, tensors[i].shape) / 4;
    for (int64_t k = 0; k < count && !e;) {
      int64_t m = count - k < CHUNK ? count - k : CHUNK;
      for (int64_t j = 0; j < m; j++) {
        uint32_t u;
        memcpy(&u, &tensors[i].data[k + j], 4);
        put_le32(chunk + 4 * j, u);
      }
      e = write_all(fd, chunk, (size_t)m * 4);
      k += m;
    }
  }
  free(chunk);
  if (!e && fsync(fd)) e = errno;
  if (close(fd) && !e) e = errno;
  if (e) {
    rc = fail(err, path, "cannot write %s: %s", tmp, strerror(e));
    unlink(tmp);
    goto done;
  }
  if (rename(tmp, path)) {
    rc = fail(err, path, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    unlink(tmp);
    goto done;
  }
  sync_parent_dir(path);
done:
  free(tmp);
  strbuf_free(&hdr);
  return rc;
}

/* ------------------------------------------------------------ JSON parser */

typedef enum { J_OBJ, J_ARR, J_STR, J_INT } jkind;

typedef struct jval {
  jkind kind;
  size_t pos;              /* header byte where the value starts */
  int64_t num;             /* J_INT */
  char *str;               /* J_STR (no NULs: \u0000 is refused) */
  int n;                   /* members of J_OBJ / items of J_ARR */
  struct jval **items;     /* values */
  char **keys;             /* J_OBJ member names */
} jval;

typedef struct jparser {
  const unsigned char *s;  /* the header */
  size_t len, pos;
  int depth;
  arena *a;                /* owns every jval and string */
  strbuf scratch;          /* string being decoded */
  size_t err_pos;          /* where the error is */
  char err[200];           /* what the error is ("" if none) */
} jparser;

static jval *jfail(jparser *p, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static jval *jfail(jparser *p, size_t pos, const char *fmt, ...) {
  if (!p->err[0]) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, sizeof p->err, fmt, ap);
    va_end(ap);
    p->err_pos = pos;
  }
  return NULL;
}

static void jskip_ws(jparser *p) {
  while (p->pos < p->len) {
    unsigned char c = p->s[p->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    p->pos++;
  }
}

/* A description of the byte at pos for messages. */
static const char *jat(jparser *p, char *buf, size_t size) {
  if (p->pos >= p->len) return "end of header";
  unsigned char c = p->s[p->pos];
  if (c >= 0x20 && c < 0x7F) snprintf(buf, size, "'%c'", c);
  else snprintf(buf, size, "byte 0x%02X", c);
  return buf;
}

static int jhex4(jparser *p, unsigned *out) {
  if (p->len - p->pos < 4) return 0;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned char c = p->s[p->pos + (size_t)i];
    unsigned d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return 0;
    v = v * 16 + d;
  }
  p->pos += 4;
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

/* Parses a string at p->pos (which is '"') into an arena copy, or NULL. */
static char *jstring(jparser *p) {
  size_t start = p->pos++;
  strbuf_clear(&p->scratch);
  for (;;) {
    if (p->pos >= p->len) return (char *)jfail(p, start, "unterminated string");
    unsigned char c = p->s[p->pos];
    if (c == '"') {
      p->pos++;
      return arena_strndup(p->a, p->scratch.data, p->scratch.len);
    }
    if (c < 0x20) return (char *)jfail(p, p->pos, "control byte 0x%02X in a string (must be escaped)", c);
    if (c == '\\') {
      size_t esc = p->pos++;
      if (p->pos >= p->len) return (char *)jfail(p, start, "unterminated string");
      c = p->s[p->pos++];
      switch (c) {
        case '"': strbuf_putc(&p->scratch, '"'); break;
        case '\\': strbuf_putc(&p->scratch, '\\'); break;
        case '/': strbuf_putc(&p->scratch, '/'); break;
        case 'b': strbuf_putc(&p->scratch, '\b'); break;
        case 'f': strbuf_putc(&p->scratch, '\f'); break;
        case 'n': strbuf_putc(&p->scratch, '\n'); break;
        case 'r': strbuf_putc(&p->scratch, '\r'); break;
        case 't': strbuf_putc(&p->scratch, '\t'); break;
        case 'u': {
          unsigned cp;
          if (!jhex4(p, &cp)) return (char *)jfail(p, esc, "bad \\u escape (need 4 hex digits)");
          if (cp >= 0xDC00 && cp <= 0xDFFF) return (char *)jfail(p, esc, "unpaired low surrogate \\u%04X", cp);
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned lo;
            if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
              return (char *)jfail(p, esc, "unpaired high surrogate \\u%04X", cp);
            p->pos += 2;
            if (!jhex4(p, &lo)) return (char *)jfail(p, p->pos - 2, "bad \\u escape (need 4 hex digits)");
            if (lo < 0xDC00 || lo > 0xDFFF) return (char *)jfail(p, esc, "unpaired high surrogate \\u%04X", cp);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          if (cp == 0) return (char *)jfail(p, esc, "\\u0000 in a string is not supported");
          put_utf8(&p->scratch, cp);
          break;
        }
        default:
          if (c >= 0x20 && c < 0x7F) return (char *)jfail(p, esc, "bad escape '\\%c'", c);
          return (char *)jfail(p, esc, "bad escape (backslash then byte 0x%02X)", c);
      }
      continue;
    }
    size_t k = utf8_seq(p->s + p->pos, p->len - p->pos);
    if (!k) return (char *)jfail(p, p->pos, "invalid UTF-8 in a string");
    strbuf_add(&p->scratch, (const char *)p->s + p->pos, k);
    p->pos += k;
  }
}

static jval *jnew(jparser *p, jkind kind, size_t pos) {
  jval *v = arena_alloc(p->a, sizeof *v);
  v->kind = kind;
  v->pos = pos;
  return v;
}

static jval *jvalue(jparser *p);

static jval *jcontainer(jparser *p, int is_obj) {
  size_t start = p->pos++;
  if (++p->depth > ST_JSON_DEPTH) return jfail(p, start, "nested more than %d deep", ST_JSON_DEPTH);
  jval *v = jnew(p, is_obj ? J_OBJ : J_ARR, start);
  ptrvec keys = {0}, items = {0};
  char close = is_obj ? '}' : ']';
  char at[24];
  jskip_ws(p);
  if (p->pos < p->len && p->s[p->pos] == (unsigned char)close) {
    p->pos++;
  } else {
    for (;;) {
      jskip_ws(p);
      if (is_obj) {
        if (p->pos >= p->len || p->s[p->pos] != '"')
          return jfail(p, p->pos, "expected a member name in quotes, found %s", jat(p, at, sizeof at));
        char *key = jstring(p);
        if (!key) return NULL;
        ptrvec_push(p->a, &keys, key);
        jskip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != ':')
          return jfail(p, p->pos, "expected ':', found %s", jat(p, at, sizeof at));
        p->pos++;
      }
      jval *item = jvalue(p);
      if (!item) return NULL;
      ptrvec_push(p->a, &items, item);
      jskip_ws(p);
      if (p->pos < p->len && p->s[p->pos] == ',') {
        p->pos++;
        continue;
      }
      if (p->pos < p->len && p->s[p->pos] == (unsigned char)close) {
        p->pos++;
        break;
      }
      return jfail(p, p->pos, "expected ',' or '%c', found %s", close, jat(p, at, sizeof at));
    }
  }
  p->depth--;
  v->n = items.n;
  v->items = (jval **)items.items;
  v->keys = (char **)keys.items;
  if (is_obj) {
    const char *dup = find_duplicate((const char *const *)v->keys, v->n);
    char nb[NAMEBUF];
    if (dup) return jfail(p, start, "duplicate key '%s'", show(nb, sizeof nb, dup));
  }
  return v;
}

static jval *jnumber(jparser *p) {
  size_t start = p->pos;
  int neg = 0;
  if (p->s[p->pos] == '-') {
    neg = 1;
    p->pos++;
  }
  if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
    return jfail(p, start, "'-' not followed by a digit");
  if (p->s[p->pos] == '0' && p->pos + 1 < p->len && p->s[p->pos + 1] >= '0' && p->s[p->pos + 1] <= '9')
    return jfail(p, start, "number with a leading zero");
  uint64_t mag = 0;
  int overflow = 0;
  while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
    unsigned d = p->s[p->pos++] - '0';
    if (mag > (uint64_t)(INT64_MAX - d) / 10) overflow = 1;
    else mag = mag * 10 + d;
  }
  if (p->pos < p->len && (p->s[p->pos] == '.' || p->s[p->pos] == 'e' || p->s[p->pos] == 'E'))
    return jfail(p, start, "only integers are supported (found a fraction or exponent)");
  if (overflow) return jfail(p, start, "integer out of range");
  jval *v = jnew(p, J_INT, start);
  v->num = neg ? -(int64_t)mag : (int64_t)mag;
  return v;
}

static jval *jvalue(jparser *p) {
  char at[24];
  jskip_ws(p);
  if (p->pos >= p->len) return jfail(p, p->pos, "unexpected end of header");
  unsigned char c = p->s[p->pos];
  if (c == '{' || c == '[') return jcontainer(p, c == '{');
  if (c == '"') {
    size_t start = p->pos;
    char *s = jstring(p);
    if (!s) return NULL;
    jval *v = jnew(p, J_STR, start);
    v->str = s;
    return v;
  }
  if (c == '-' || (c >= '0' && c <= '9')) return jnumber(p);
  if (c == 't' || c == 'f' || c == 'n')
    return jfail(p, p->pos, "unsupported JSON value (only objects, arrays, strings and integers)");
  return jfail(p, p->pos, "unexpected %s", jat(p, at, sizeof at));
}

/* ---------------------------------------------------------------- reading */

static const char *kind_name(jkind k) {
  switch (k) {
    case J_OBJ: return "an object";
    case J_ARR: return "an array";
    case J_STR: return "a string";
    default: return "an integer";
  }
}

static jval *member(const jval *obj, const char *key) {
  for (int i = 0; i < obj->n; i++)
    if (!strcmp(obj->keys[i], key)) return obj->items[i];
  return NULL;
}

typedef struct span {
  int index;       /* position in the header */
  int64_t begin, end;
  const char *name;
} span;

static int cmp_span(const void *a, const void *b) {
  const span *x = a, *y = b;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

/* Checks one tensor entry; fills *t (shape only) and *sp. */
static int check_tensor(const char *path, const char *name, const jval *v, size_t data_len, st_tensor *t,
                        span *sp, strbuf *err) {
  char nb[NAMEBUF];
  const char *shown = show(nb, sizeof nb, name);
  if (!name[0]) return fail(err, path, "a tensor has an empty name");
  if (v->kind != J_OBJ) return fail(err, path, "tensor '%s': entry is %s, not an object", shown, kind_name(v->kind));
  for (int i = 0; i < v->n; i++) {
    const char *k = v->keys[i];
    if (strcmp(k, "dtype") && strcmp(k, "shape") && strcmp(k, "data_offsets")) {
      char kb[NAMEBUF];
      return fail(err, path, "tensor '%s': unknown key '%s'", shown, show(kb, sizeof kb, k));
    }
  }
  const jval *dtype = member(v, "dtype"), *shape = member(v, "shape"), *offs = member(v, "data_offsets");
  if (!dtype) return fail(err, path, "tensor '%s': missing key 'dtype'", shown);
  if (!shape) return fail(err, path, "tensor '%s': missing key 'shape'", shown);
  if (!offs) return fail(err, path, "tensor '%s': missing key 'data_offsets'", shown);
  if (dtype->kind != J_STR) return fail(err, path, "tensor '%s': dtype is %s, not a string", shown, kind_name(dtype->kind));
  if (strcmp(dtype->str, "F32")) {
    char db[NAMEBUF];
    return fail(err, path, "tensor '%s' has dtype %s; naslc reads F32 only", shown, show(db, sizeof db, dtype->str));
  }
  if (shape->kind != J_ARR) return fail(err, path, "tensor '%s': shape is %s, not an array", shown, kind_name(shape->kind));
  if (shape->n > ST_MAX_DIMS)
    return fail(err, path, "tensor '%s' has %d dimensions (at most 8 supported)", shown, shape->n);
  t->ndim = shape->n;
  for (int d = 0; d < shape->n; d++) {
    const jval *e = shape->items[d];
    if (e->kind != J_INT)
      return fail(err, path, "tensor '%s': shape[%d] is %s, not an integer", shown, d, kind_name(e->kind));
    if (e->num < 0) return fail(err, path, "tensor '%s': shape[%d] is negative (%lld)", shown, d, (long long)e->num);
    t->shape[d] = e->num;
  }
  int64_t bytes = shape_bytes(t->ndim, t->shape);
  if (bytes < 0) return fail(err, path, "tensor '%s': shape product overflows", shown);
  if (offs->kind != J_ARR || offs->n != 2)
    return fail(err, path, "tensor '%s': data_offsets must be an array [begin, end]", shown);
  for (int i = 0; i < 2; i++) {
    const jval *e = offs->items[i];
    if (e->kind != J_INT)
      return fail(err, path, "tensor '%s': data_offsets[%d] is %s, not an integer", shown, i, kind_name(e->kind));
    if (e->num < 0)
      return fail(err, path, "tensor '%s': data_offsets[%d] is negative (%lld)", shown, i, (long long)e->num);
  }
  int64_t begin = offs->items[0]->num, end = offs->items[1]->num;
  if (begin > end)
    return fail(err, path, "tensor '%s': data_offsets [%lld, %lld] are reversed (begin after end)", shown,
                (long long)begin, (long long)end);
  if (end - begin != bytes)
    return fail(err, path, "tensor '%s': data_offsets [%lld, %lld] span %lld bytes but its shape needs %lld", shown,
                (long long)begin, (long long)end, (long long)(end - begin), (long long)bytes);
  if ((uint64_t)end > data_len)
    return fail(err, path, "truncated: tensor '%s' needs bytes [%lld, %lld) of the data section, which has %zu", shown,
                (long long)begin, (long long)end, data_len);
  sp->begin = begin;
  sp->end = end;
  return 0;
}

/* Checks the parsed header against the data section and fills *f (names,
 * shapes, metadata; no data yet). */
static int check_header(const char *path, const jval *root, size_t data_len, st_file *f, span **spans_out,
                        strbuf *err) {
  char nb[NAMEBUF], nb2[NAMEBUF];
  if (root->kind != J_OBJ) return fail(err, path, "header is %s, not a JSON object", kind_name(root->kind));
  const jval *meta = member(root, "__metadata__");
  int n = root->n - (meta != NULL);
  if (meta) {
    if (meta->kind != J_OBJ) return fail(err, path, "__metadata__ is %s, not an object", kind_name(meta->kind));
    for (int i = 0; i < meta->n; i++)
      if (meta->items[i]->kind != J_STR)
        return fail(err, path, "__metadata__ value for '%s' is %s, not a string", show(nb, sizeof nb, meta->keys[i]),
                    kind_name(meta->items[i]->kind));
    f->meta_keys = xcalloc((size_t)(meta->n ? meta->n : 1), sizeof(char *));
    f->meta_values = xcalloc((size_t)(meta->n ? meta->n : 1), sizeof(char *));
    for (int i = 0; i < meta->n; i++) {
      f->meta_keys[i] = xstrdup(meta->keys[i]);
      f->meta_values[i] = xstrdup(meta->items[i]->str);
      f->nmeta = i + 1;
    }
  }
  st_tensor *tmp = xcalloc((size_t)(n ? n : 1), sizeof *tmp);
  span *sp = xcalloc((size_t)(n ? n : 1), sizeof *sp);
  int k = 0;
  for (int i = 0; i < root->n; i++) {
    if (root->items[i] == meta) continue;
    sp[k].index = k;
    sp[k].name = root->keys[i];
    if (check_tensor(path, root->keys[i], root->items[i], data_len, &tmp[k], &sp[k], err)) {
      free(tmp);
      free(sp);
      return -1;
    }
    k++;
  }
  qsort(sp, (size_t)n, sizeof *sp, cmp_span);
  int64_t at = 0;
  const char *prev = NULL;
  for (int i = 0; i < n; i++) {
    if (sp[i].begin < at) {
      fail(err, path, "tensors '%s' and '%s' overlap (data_offsets end at %lld, next begins at %lld)",
           show(nb, sizeof nb, prev), show(nb2, sizeof nb2, sp[i].name), (long long)at, (long long)sp[i].begin);
      goto bad;
    }
    if (sp[i].begin > at) {
      fail(err, path, "gap in the data section: bytes [%lld, %lld) before tensor '%s' belong to no tensor",
           (long long)at, (long long)sp[i].begin, show(nb, sizeof nb, sp[i].name));
      goto bad;
    }
    at = sp[i].end;
    prev = sp[i].name;
  }
  if ((uint64_t)at != data_len) {
    fail(err, path, "data section has %zu bytes but the tensors cover %lld (trailing bytes)", data_len, (long long)at);
    goto bad;
  }
  f->tensors = xcalloc((size_t)(n ? n : 1), sizeof *f->tensors);
  for (int i = 0; i < n; i++) {
    st_tensor *t = &f->tensors[i];
    *t = tmp[sp[i].index];
    t->name = xstrdup(sp[i].name);
    f->n = i + 1;
  }
  free(tmp);
  *spans_out = sp;
  return 0;
bad:
  free(tmp);
  free(sp);
  return -1;
}

int st_read(const char *path, st_file *f, strbuf *err) {
  if (!f) return fail(err, path, "no st_file to fill");
  memset(f, 0, sizeof *f);
  if (!path) return fail(err, path, "no input path");
  strbuf buf;
  strbuf_init(&buf);
  int e = strbuf_read_file(&buf, path);
  if (e) {
    strbuf_free(&buf);
    return fail(err, path, "cannot read: %s", strerror(e));
  }
  const unsigned char *s = (const unsigned char *)buf.data;
  int rc = -1;
  arena a;
  arena_init(&a);
  jparser p = {0};
  strbuf_init(&p.scratch);
  st_file out = {0};
  span *sp = NULL;
  if (buf.len < 8) {
    fail(err, path, "truncated: file has %zu bytes, too short for the 8-byte header length", buf.len);
    goto done;
  }
  uint64_t hlen = 0;
  for (int i = 0; i < 8; i++) hlen |= (uint64_t)s[i] << (8 * i);
  size_t rest = buf.len - 8;
  if (hlen > rest) {
    fail(err, path, "truncated: header says %llu bytes, file has %zu after the 8-byte length",
         (unsigned long long)hlen, rest);
    goto done;
  }
  if (hlen > ST_HEADER_MAX) {
    fail(err, path, "header of %llu bytes is too large (limit %llu)", (unsigned long long)hlen, ST_HEADER_MAX);
    goto done;
  }
  if (hlen == 0) {
    fail(err, path, "empty header (length 0)");
    goto done;
  }
  p.s = s + 8;
  p.len = (size_t)hlen;
  p.a = &a;
  jval *root = jvalue(&p);
  if (root) {
    jskip_ws(&p);
    if (p.pos < p.len) root = jfail(&p, p.pos, "unexpected data after the JSON object");
  }
  if (!root) {
    fail(err, path, "header is not valid JSON: at header byte %zu: %s", p.err_pos, p.err);
    goto done;
  }
  const unsigned char *data = s + 8 + hlen;
  size_t data_len = rest - (size_t)hlen;
  if (check_header(path, root, data_len, &out, &sp, err)) goto done;
  for (int i = 0; i < out.n; i++) {
    st_tensor *t = &out.tensors[i];
    size_t count = (size_t)(sp[i].end - sp[i].begin) / 4;
    t->data = xmalloc(count * sizeof(float));
    const unsigned char *src = data + sp[i].begin;
    for (size_t j = 0; j < count; j++) {
      uint32_t u = get_le32(src + 4 * j);
      memcpy(&t->data[j], &u, 4);
    }
  }
  *f = out;
  memset(&out, 0, sizeof out);
  rc = 0;
done:
  st_free(&out);
  free(sp);
  strbuf_free(&p.scratch);
  arena_free(&a);
  strbuf_free(&buf);
  return rc;
}

const st_tensor *st_find(const st_file *f, const char *name) {
  if (!f || !name) return NULL;
  for (int i = 0; i < f->n; i++)
    if (!strcmp(f->tensors[i].name, name)) return &f->tensors[i];
  return NULL;
}

void st_free(st_file *f) {
  if (!f) return;
  for (int i = 0; i < f->n; i++) {
    free((char *)f->tensors[i].name);
    free(f->tensors[i].data);
  }
  free(f->tensors);
  for (int i = 0; i < f->nmeta; i++) {
    free(f->meta_keys[i]);
    free(f->meta_values[i]);
  }
  free(f->meta_keys);
  free(f->meta_values);
  memset(f, 0, sizeof *f);
}

/* safetensors.c: see safetensors.h. */
#define _POSIX_C_SOURCE 200809L
#include "nn/safetensors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/strmap.h"
#include "common/utf8.h"

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

/* ---------------------------------------------------------------- writing */

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
      return fail(err, path, "metadata value for '%s' is not valid UTF-8", utf8_printable(nb, sizeof nb, mk[i]));
  }
  const char *dup = strmap_first_duplicate(mk, nmeta);
  if (dup) return fail(err, path, "duplicate metadata key '%s'", utf8_printable(nb, sizeof nb, dup));

  const char **names = xmalloc(sizeof *names * (size_t)(n ? n : 1));
  int rc = 0;
  for (int i = 0; i < n && !rc; i++) {
    names[i] = t[i].name;
    if (!t[i].name || !t[i].name[0]) rc = fail(err, path, "tensor %d has an empty name", i);
    else if (!utf8_valid(t[i].name)) rc = fail(err, path, "tensor %d: name is not valid UTF-8", i);
    else if (!strcmp(t[i].name, "__metadata__"))
      rc = fail(err, path, "tensor %d: the name '__metadata__' is reserved", i);
  }
  if (!rc && (dup = strmap_first_duplicate(names, n)))
    rc = fail(err, path, "duplicate tensor name '%s'", utf8_printable(nb, sizeof nb, dup));
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
    const char *name = utf8_printable(nb, sizeof nb, t[i].name);
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

  fs_atomic w;
  if (fs_atomic_begin(&w, path, err)) {
    strbuf_free(&hdr);
    return -1;
  }
  fs_atomic_write(&w, hdr.data, hdr.len);
  strbuf_free(&hdr);
  enum { CHUNK = 16384 };
  unsigned char *chunk = xmalloc(CHUNK * 4);
  for (int i = 0; i < n && !w.error; i++) {
    int64_t count = shape_bytes(tensors[i].ndim, tensors[i].shape) / 4;
    for (int64_t k = 0; k < count && !w.error;) {
      int64_t m = count - k < CHUNK ? count - k : CHUNK;
      for (int64_t j = 0; j < m; j++) {
        uint32_t u;
        memcpy(&u, &tensors[i].data[k + j], 4);
        put_le32(chunk + 4 * j, u);
      }
      fs_atomic_write(&w, chunk, (size_t)m * 4);
      k += m;
    }
  }
  free(chunk);
  return fs_atomic_commit(&w, err);
}

/* ---------------------------------------------------------------- reading */

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
static int check_tensor(const char *path, const char *name, const json_value *v, size_t data_len, st_tensor *t,
                        span *sp, strbuf *err) {
  char nb[NAMEBUF];
  const char *shown = utf8_printable(nb, sizeof nb, name);
  if (!name[0]) return fail(err, path, "a tensor has an empty name");
  if (v->kind != JSON_OBJECT)
    return fail(err, path, "tensor '%s': entry is %s, not an object", shown, json_describe(v));
  for (int i = 0; i < v->n; i++) {
    const char *k = v->keys[i];
    if (strcmp(k, "dtype") && strcmp(k, "shape") && strcmp(k, "data_offsets")) {
      char kb[NAMEBUF];
      return fail(err, path, "tensor '%s': unknown key '%s'", shown, utf8_printable(kb, sizeof kb, k));
    }
  }
  const json_value *dtype = json_get(v, "dtype"), *shape = json_get(v, "shape"), *offs = json_get(v, "data_offsets");
  if (!dtype) return fail(err, path, "tensor '%s': missing key 'dtype'", shown);
  if (!shape) return fail(err, path, "tensor '%s': missing key 'shape'", shown);
  if (!offs) return fail(err, path, "tensor '%s': missing key 'data_offsets'", shown);
  if (dtype->kind != JSON_STRING)
    return fail(err, path, "tensor '%s': dtype is %s, not a string", shown, json_describe(dtype));
  if (strcmp(dtype->string, "F32")) {
    char db[NAMEBUF];
    return fail(err, path, "tensor '%s' has dtype %s; naslc reads F32 only", shown,
                utf8_printable(db, sizeof db, dtype->string));
  }
  if (shape->kind != JSON_ARRAY)
    return fail(err, path, "tensor '%s': shape is %s, not an array", shown, json_describe(shape));
  if (shape->n > ST_MAX_DIMS)
    return fail(err, path, "tensor '%s' has %d dimensions (at most 8 supported)", shown, shape->n);
  t->ndim = shape->n;
  for (int d = 0; d < shape->n; d++) {
    const json_value *e = shape->items[d];
    if (e->kind != JSON_NUMBER || !e->is_integer)
      return fail(err, path, "tensor '%s': shape[%d] is %s, not an integer", shown, d, json_describe(e));
    if (e->integer < 0)
      return fail(err, path, "tensor '%s': shape[%d] is negative (%lld)", shown, d, (long long)e->integer);
    t->shape[d] = e->integer;
  }
  int64_t bytes = shape_bytes(t->ndim, t->shape);
  if (bytes < 0) return fail(err, path, "tensor '%s': shape product overflows", shown);
  if (offs->kind != JSON_ARRAY || offs->n != 2)
    return fail(err, path, "tensor '%s': data_offsets must be an array [begin, end]", shown);
  for (int i = 0; i < 2; i++) {
    const json_value *e = offs->items[i];
    if (e->kind != JSON_NUMBER || !e->is_integer)
      return fail(err, path, "tensor '%s': data_offsets[%d] is %s, not an integer", shown, i, json_describe(e));
    if (e->integer < 0)
      return fail(err, path, "tensor '%s': data_offsets[%d] is negative (%lld)", shown, i, (long long)e->integer);
  }
  int64_t begin = offs->items[0]->integer, end = offs->items[1]->integer;
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
static int check_header(const char *path, const json_value *root, size_t data_len, st_file *f, span **spans_out,
                        strbuf *err) {
  char nb[NAMEBUF], nb2[NAMEBUF];
  if (root->kind != JSON_OBJECT) return fail(err, path, "header is %s, not a JSON object", json_describe(root));
  const json_value *meta = json_get(root, "__metadata__");
  int n = root->n - (meta != NULL);
  if (meta) {
    if (meta->kind != JSON_OBJECT) return fail(err, path, "__metadata__ is %s, not an object", json_describe(meta));
    for (int i = 0; i < meta->n; i++)
      if (meta->items[i]->kind != JSON_STRING)
        return fail(err, path, "__metadata__ value for '%s' is %s, not a string",
                    utf8_printable(nb, sizeof nb, meta->keys[i]), json_describe(meta->items[i]));
    f->meta_keys = xcalloc((size_t)(meta->n ? meta->n : 1), sizeof(char *));
    f->meta_values = xcalloc((size_t)(meta->n ? meta->n : 1), sizeof(char *));
    for (int i = 0; i < meta->n; i++) {
      f->meta_keys[i] = xstrdup(meta->keys[i]);
      f->meta_values[i] = xstrdup(meta->items[i]->string);
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
           utf8_printable(nb, sizeof nb, prev), utf8_printable(nb2, sizeof nb2, sp[i].name), (long long)at,
           (long long)sp[i].begin);
      goto bad;
    }
    if (sp[i].begin > at) {
      fail(err, path, "gap in the data section: bytes [%lld, %lld) before tensor '%s' belong to no tensor",
           (long long)at, (long long)sp[i].begin, utf8_printable(nb, sizeof nb, sp[i].name));
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
  int e = strbuf_read_file(&buf, path, NASL_LIMIT_WEIGHTS);
  if (e) {
    strbuf_free(&buf);
    return fail(err, path, "cannot read: %s", strbuf_read_error(e, NASL_LIMIT_WEIGHTS));
  }
  const unsigned char *s = (const unsigned char *)buf.data;
  int rc = -1;
  arena a;
  arena_init(&a);
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
  /* the header nests three deep and holds no floats, booleans or nulls */
  json_options opt = {.text_name = "header", .max_depth = ST_JSON_DEPTH, .integers_only = 1, .no_literals = 1};
  json_error je;
  const json_value *root = json_read(&a, (const char *)s + 8, (size_t)hlen, &opt, &je);
  if (!root) {
    fail(err, path, "header is not valid JSON: at header byte %zu: %s", je.pos, je.message);
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

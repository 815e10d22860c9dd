/* safetensors_test.c: the safetensors reader and writer: round trips (scalar,
 * vector, NCHW, odd names, special float values, metadata), the exact bytes
 * of a tiny file, files in foreign formatting, writer argument checks and
 * atomicity, and corrupt files: one per check, random garbage, every
 * truncation and every single-bit flip of a small valid file. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nn/safetensors.h"
#include "tap.h"

static char dir[] = "/tmp/st_test.XXXXXX";
static char paths[64][256]; /* files to remove at the end */
static int npaths;

/* A path inside the scratch directory (remembered for cleanup). */
static const char *tpath(const char *name) {
  char *p = paths[npaths++];
  snprintf(p, sizeof paths[0], "%s/%s", dir, name);
  return p;
}

static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static void write_bytes(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, len, f) != len) {
    perror(path);
    exit(99);
  }
  fclose(f);
}

/* Writes 8-byte length + header + data. */
static void write_st(const char *path, uint64_t hlen, const char *header, size_t header_bytes, const void *data,
                     size_t dlen) {
  strbuf b;
  strbuf_init(&b);
  for (int i = 0; i < 8; i++) strbuf_putc(&b, (char)(hlen >> (8 * i)));
  strbuf_add(&b, header, header_bytes);
  if (dlen) strbuf_add(&b, data, dlen);
  write_bytes(path, b.data, b.len);
  strbuf_free(&b);
}

static void write_hdr(const char *path, const char *header, const void *data, size_t dlen) {
  write_st(path, strlen(header), header, strlen(header), data, dlen);
}

static int same_bits(const float *a, const float *b, size_t n) {
  return n == 0 || memcmp(a, b, n * sizeof(float)) == 0;
}

static int64_t numel(const st_tensor *t) {
  int64_t n = 1;
  for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
  return n;
}

static int starts_with(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

/* st_read must fail on path with a message that names it and contains want. */
static void expect_read_fail(const char *label, const char *path, const char *want) {
  st_file f;
  memset(&f, 0xAB, sizeof f);
  strbuf err;
  strbuf_init(&err);
  int rc = st_read(path, &f, &err);
  int zeroed = f.n == 0 && f.tensors == NULL && f.nmeta == 0 && f.meta_keys == NULL && f.meta_values == NULL;
  int ok = rc == -1 && starts_with(err.data, path) && strstr(err.data, want) && zeroed;
  tap_result(ok, "corrupt: %s", label);
  if (!ok) tap_diag("rc %d, zeroed %d, message \"%s\", wanted \"%s\"", rc, zeroed, err.data, want);
  st_free(&f);
  strbuf_free(&err);
}

static void corrupt(const char *label, const char *header, const void *data, size_t dlen, const char *want) {
  const char *p = tpath("corrupt.safetensors");
  npaths--; /* same file every time */
  write_hdr(p, header, data, dlen);
  expect_read_fail(label, p, want);
}

/* ------------------------------------------------------------ round trip */

static const char *model_path; /* ends up holding a 70000-float tensor */

/* The five tensors of the round trip: a scalar, a vector, an NCHW map with
 * special float values, an empty one and one with an awkward name. */
typedef struct sample_tensors {
  float scalar, bias[5], w[2 * 3 * 4 * 5], odd[2];
  st_tensor t[5];
} sample_tensors;

static const char *const sample_keys[] = {"format", "note", "epoch"};
static const char *const sample_values[] = {
    "pt", "quote \" backslash \\ newline \n tab \t ctrl \x01 \xC3\xA9 \xF0\x9F\x98\x80", "12"};

static void sample_init(sample_tensors *s) {
  s->scalar = 3.5f;
  const float bias[5] = {0.0f, -1.25f, 2.5e-3f, 1e30f, -7.0f};
  memcpy(s->bias, bias, sizeof bias);
  float *w = s->w;
  for (int i = 0; i < 120; i++) w[i] = (float)i * 0.25f - 7.0f;
  w[3] = NAN;
  w[7] = -0.0f;
  w[11] = INFINITY;
  w[13] = -INFINITY;
  w[17] = 1e-41f; /* subnormal */
  w[19] = 3.4028235e38f;
  uint32_t payload = 0x7FC12345u; /* NaN with a payload must survive */
  memcpy(&w[23], &payload, 4);
  s->odd[0] = 42.0f;
  s->odd[1] = -42.0f;
  st_tensor t[5] = {
      {.name = "scale", .ndim = 0, .data = &s->scalar},
      {.name = "layer.0.bias", .ndim = 1, .shape = {5}, .data = s->bias},
      {.name = "layer.3.conv2d.weight", .ndim = 4, .shape = {2, 3, 4, 5}, .data = s->w},
      {.name = "empty", .ndim = 2, .shape = {0, 3}, .data = NULL},
      {.name = "odd \"name\"\n\\ \xC3\xA9\xE5\x90\x8D", .ndim = 2, .shape = {1, 2}, .data = s->odd},
  };
  memcpy(s->t, t, sizeof t);
}

/* The bytes on disk: a header padded with spaces, the data right after it,
 * nothing more. */
static void check_raw_layout(const char *path) {
  strbuf raw;
  strbuf_init(&raw);
  strbuf_read_file(&raw, path, (size_t)-1);
  uint64_t hlen = 0;
  for (int i = 0; i < 8 && raw.len >= 8; i++) hlen |= (uint64_t)(unsigned char)raw.data[i] << (8 * i);
  size_t data_bytes = (1 + 5 + 120 + 0 + 2) * 4;
  int ok = raw.len == 8 + hlen + data_bytes && hlen % 8 == 0 && raw.data[8] == '{';
  size_t json_end = 8 + hlen;
  while (ok && json_end > 8 && raw.data[json_end - 1] == ' ') json_end--;
  ok = ok && raw.data[json_end - 1] == '}' && 8 + hlen - json_end < 8;
  tap_result(ok, "header padded with spaces to a multiple of 8 (%llu), data follows", (unsigned long long)hlen);
  ok = raw.len >= 8 + hlen + 4 && memcmp(raw.data + 8 + hlen, "\x00\x00\x60\x40", 4) == 0;
  tap_result(ok, "first data bytes are 3.5f little-endian");
  strbuf_free(&raw);
}

/* Reading back what the sample wrote: names, shapes, bits and metadata. */
static void check_read_back(const char *path, const st_tensor *t, strbuf *err) {
  st_file f;
  strbuf_clear(err);
  int rc = st_read(path, &f, err);
  tap_result(rc == 0 && f.n == 5 && f.nmeta == 3, "read back 5 tensors and 3 metadata pairs");
  if (rc) tap_diag("%s", err->data);
  int order = rc == 0;
  for (int i = 0; i < 5 && order; i++) order = !strcmp(f.tensors[i].name, t[i].name);
  tap_result(order, "tensors come back in write order with names intact (dots, quotes, newline, UTF-8)");
  for (int i = 0; i < 5 && rc == 0; i++) {
    const st_tensor *g = &f.tensors[i];
    int shape_ok = g->ndim == t[i].ndim && g->data != NULL;
    for (int d = 0; d < g->ndim && shape_ok; d++) shape_ok = g->shape[d] == t[i].shape[d];
    int data_ok = shape_ok && same_bits(g->data, t[i].data, (size_t)numel(&t[i]));
    tap_result(shape_ok && data_ok, "tensor '%s': ndim %d, shape and bits identical", i == 4 ? "odd" : t[i].name,
               t[i].ndim);
  }
  int meta_ok = rc == 0;
  for (int i = 0; i < 3 && meta_ok; i++)
    meta_ok = !strcmp(f.meta_keys[i], sample_keys[i]) && !strcmp(f.meta_values[i], sample_values[i]);
  tap_result(meta_ok, "metadata keys and values (escapes, control byte, UTF-8) in order");
  const st_tensor *found = st_find(&f, "layer.3.conv2d.weight");
  tap_result(found == &f.tensors[2] && st_find(&f, "layer.3.conv2d") == NULL && st_find(&f, "") == NULL &&
                 st_find(&f, NULL) == NULL && st_find(NULL, "scale") == NULL,
             "st_find: exact names only");
  st_free(&f);
  tap_result(f.n == 0 && f.tensors == NULL && f.meta_keys == NULL, "st_free zeroes the file");
  st_free(&f);
  st_free(NULL);
}

/* Overwriting with something smaller, files with no tensors, and a tensor
 * larger than one write chunk. */
static void round_trip_other_sizes(const char *path, strbuf *err) {
  st_file f;
  float v = -1.0f;
  st_tensor one = {.name = "only", .ndim = 1, .shape = {1}, .data = &v};
  strbuf_clear(err);
  int rc = st_write(path, &one, 1, NULL, NULL, 0, err);
  int ok = rc == 0 && st_read(path, &f, err) == 0 && f.n == 1 && f.nmeta == 0 && !strcmp(f.tensors[0].name, "only") &&
           f.tensors[0].data[0] == -1.0f;
  tap_result(ok, "overwrite an existing file; no metadata means none read");
  if (!ok) tap_diag("%s", err->data);
  st_free(&f);

  const char *p0 = tpath("empty.safetensors");
  ok = st_write(p0, NULL, 0, NULL, NULL, 0, err) == 0 && st_read(p0, &f, err) == 0 && f.n == 0 && f.nmeta == 0;
  tap_result(ok, "file without tensors round-trips");
  st_free(&f);
  const char *mk[] = {"only"}, *mv[] = {"meta"};
  ok = st_write(p0, NULL, 0, mk, mv, 1, err) == 0 && st_read(p0, &f, err) == 0 && f.n == 0 && f.nmeta == 1 &&
       !strcmp(f.meta_values[0], "meta");
  tap_result(ok, "file with only metadata round-trips");
  st_free(&f);

  size_t big_n = 70000;
  float *big = malloc(big_n * sizeof *big);
  for (size_t i = 0; i < big_n; i++) big[i] = (float)i / 3.0f;
  st_tensor bt = {.name = "big", .ndim = 3, .shape = {7, 100, 100}, .data = big};
  ok = st_write(path, &bt, 1, NULL, NULL, 0, err) == 0 && st_read(path, &f, err) == 0 && f.n == 1 &&
       same_bits(f.tensors[0].data, big, big_n);
  tap_result(ok, "70000-float tensor round-trips bit-exact");
  st_free(&f);
  free(big);
}

static void test_round_trip(void) {
  const char *path = model_path = tpath("model.safetensors");
  sample_tensors s;
  sample_init(&s);
  strbuf err;
  strbuf_init(&err);
  int rc = st_write(path, s.t, 5, sample_keys, sample_values, 3, &err);
  tap_result(rc == 0, "write 5 tensors with metadata");
  if (rc) tap_diag("%s", err.data);
  char tmp[300];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  tap_result(exists(path) && !exists(tmp), "file renamed into place, no .tmp left");
  check_raw_layout(path);
  check_read_back(path, s.t, &err);
  round_trip_other_sizes(path, &err);
  strbuf_free(&err);
}

/* ------------------------------------------------------------ exact bytes */

/* The file st_write must produce for tiny_tensors(), written out by hand. */
static const char tiny_header[] =
    "{\"__metadata__\":{\"k\":\"v\"},"
    "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
    "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[8,12]}}"
    "    "; /* 132 bytes of JSON + 4 spaces = 136 = 0x88 */
static const unsigned char tiny_length[8] = {0x88, 0, 0, 0, 0, 0, 0, 0};
static const unsigned char tiny_data[12] = {
    0x00, 0x00, 0x80, 0x3F, /* 1.0f */
    0x00, 0x00, 0x00, 0xC0, /* -2.0f */
    0x00, 0x00, 0x00, 0x3F, /* 0.5f */
};

static size_t tiny_file(unsigned char *out) {
  memcpy(out, tiny_length, 8);
  memcpy(out + 8, tiny_header, sizeof tiny_header - 1);
  memcpy(out + 8 + sizeof tiny_header - 1, tiny_data, sizeof tiny_data);
  return 8 + sizeof tiny_header - 1 + sizeof tiny_data;
}

static void test_exact_bytes(void) {
  static float wv[2] = {1.0f, -2.0f}, sv = 0.5f;
  st_tensor t[2] = {{.name = "w", .ndim = 1, .shape = {2}, .data = wv}, {.name = "s", .ndim = 0, .data = &sv}};
  const char *k[] = {"k"}, *v[] = {"v"};
  const char *path = tpath("tiny.safetensors");
  strbuf err;
  strbuf_init(&err);
  int rc = st_write(path, t, 2, k, v, 1, &err);
  unsigned char want[256];
  size_t want_len = tiny_file(want);
  strbuf got;
  strbuf_init(&got);
  strbuf_read_file(&got, path, (size_t)-1);
  tap_result(sizeof tiny_header - 1 == 136 && want_len == 156, "hand-made tiny file is 8 + 136 + 12 bytes");
  int ok = rc == 0 && got.len == want_len && memcmp(got.data, want, want_len) == 0;
  tap_result(ok, "st_write output matches the hand-made bytes exactly");
  if (!ok) {
    tap_diag("rc %d %s; got %zu bytes:", rc, err.data, got.len);
    if (got.len > 8) tap_diag("%.*s", (int)(got.len - 8), got.data + 8);
  }
  strbuf_free(&got);

  const char *hand = tpath("hand.safetensors");
  write_bytes(hand, want, want_len);
  st_file f;
  rc = st_read(hand, &f, &err);
  ok = rc == 0 && f.n == 2 && !strcmp(f.tensors[0].name, "w") && f.tensors[0].ndim == 1 &&
       f.tensors[0].shape[0] == 2 && f.tensors[0].data[0] == 1.0f && f.tensors[0].data[1] == -2.0f &&
       !strcmp(f.tensors[1].name, "s") && f.tensors[1].ndim == 0 && f.tensors[1].data[0] == 0.5f && f.nmeta == 1 &&
       !strcmp(f.meta_keys[0], "k") && !strcmp(f.meta_values[0], "v");
  tap_result(ok, "hand-made tiny file reads back");
  if (!ok) tap_diag("rc %d %s", rc, err.data);
  st_free(&f);
  strbuf_free(&err);
}

/* A header as another writer might format it: spaces, JSON order different
 * from the offset order, escapes, no padding. */
static void test_foreign_header(void) {
  const char *path = tpath("foreign.safetensors");
  const char *hdr =
      "{ \"b\" : {\"shape\": [1], \"dtype\": \"F32\", \"data_offsets\": [8, 12]},\n"
      "  \"__metadata__\": {\"format\": \"pt\", \"esc\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"},\n"
      "  \"c\\u00e9\": {\"dtype\": \"F32\", \"shape\": [], \"data_offsets\": [12, 16]},\n"
      "  \"a\": {\"dtype\": \"F32\", \"shape\": [2, 1], \"data_offsets\": [0, 8]},\n"
      "  \"z\": {\"dtype\": \"F32\", \"shape\": [0, 5], \"data_offsets\": [16, 16]}\t}\r\n";
  const unsigned char data[16] = {0, 0, 0x80, 0x3F, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40};
  write_hdr(path, hdr, data, sizeof data);
  st_file f;
  strbuf err;
  strbuf_init(&err);
  int rc = st_read(path, &f, &err);
  int ok = rc == 0 && f.n == 4 && !strcmp(f.tensors[0].name, "a") && !strcmp(f.tensors[1].name, "b") &&
           !strcmp(f.tensors[2].name, "c\xC3\xA9") && !strcmp(f.tensors[3].name, "z") && f.tensors[0].ndim == 2 &&
           f.tensors[0].shape[0] == 2 && f.tensors[0].shape[1] == 1 && f.tensors[0].data[1] == 2.0f &&
           f.tensors[1].data[0] == 3.0f && f.tensors[2].data[0] == 4.0f && f.tensors[3].shape[1] == 5 &&
           f.tensors[3].data != NULL;
  tap_result(ok, "foreign formatting: tensors sorted by offset, escaped names decoded");
  if (rc) tap_diag("%s", err.data);
  ok = rc == 0 && f.nmeta == 2 && !strcmp(f.meta_keys[1], "esc") &&
       !strcmp(f.meta_values[1], "\"\\/\b\f\n\r\t\xC3\xA9\xF0\x9F\x98\x80");
  tap_result(ok, "metadata escapes incl. \\u00e9 and a surrogate pair");
  st_free(&f);
  rc = st_read(path, &f, NULL);
  tap_result(rc == 0 && f.n == 4, "err may be NULL");
  st_free(&f);
  strbuf_free(&err);
}

/* ------------------------------------------------------- writer failures */

static void expect_write_fail(const char *label, const char *path, const st_tensor *t, int n, const char *const *mk,
                              const char *const *mv, int nmeta, const char *want) {
  strbuf err;
  strbuf_init(&err);
  int rc = st_write(path, t, n, mk, mv, nmeta, &err);
  char tmp[300];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int ok = rc == -1 && starts_with(err.data, path) && strstr(err.data, want) && !exists(tmp);
  tap_result(ok, "write rejects %s", label);
  if (!ok) tap_diag("rc %d, message \"%s\", wanted \"%s\"", rc, err.data, want);
  strbuf_free(&err);
}

static void test_write_errors(void) {
  const char *path = tpath("keep.safetensors");
  float d[4] = {1, 2, 3, 4};
  st_tensor good = {.name = "a", .ndim = 1, .shape = {4}, .data = d};
  strbuf err;
  strbuf_init(&err);
  int rc = st_write(path, &good, 1, NULL, NULL, 0, &err);
  tap_result(rc == 0, "write the file that failed writes must not touch");

  st_tensor two[2] = {good, good};
  expect_write_fail("duplicate names", path, two, 2, NULL, NULL, 0, "duplicate tensor name 'a'");
  two[1].name = "";
  expect_write_fail("an empty name", path, two, 2, NULL, NULL, 0, "tensor 1 has an empty name");
  two[1].name = NULL;
  expect_write_fail("a NULL name", path, two, 2, NULL, NULL, 0, "tensor 1 has an empty name");
  two[1].name = "__metadata__";
  expect_write_fail("the reserved name", path, two, 2, NULL, NULL, 0, "reserved");
  two[1].name = "bad\xFF";
  expect_write_fail("a name that is not UTF-8", path, two, 2, NULL, NULL, 0, "not valid UTF-8");
  two[1].name = "b";
  two[1].ndim = 9;
  expect_write_fail("9 dimensions", path, two, 2, NULL, NULL, 0, "tensor 'b' has 9 dimensions");
  two[1].ndim = 2;
  two[1].shape[1] = -1;
  expect_write_fail("a negative dimension", path, two, 2, NULL, NULL, 0, "negative dimension -1");
  two[1].shape[0] = (int64_t)1 << 40;
  two[1].shape[1] = (int64_t)1 << 40;
  expect_write_fail("a shape product overflow", path, two, 2, NULL, NULL, 0, "shape product overflows");
  two[1].shape[0] = 2;
  two[1].shape[1] = 2;
  two[1].data = NULL;
  expect_write_fail("missing data", path, two, 2, NULL, NULL, 0, "tensor 'b' has no data");
  const char *mk[] = {"x", "x"}, *mv[] = {"1", "2"};
  expect_write_fail("duplicate metadata keys", path, &good, 1, mk, mv, 2, "duplicate metadata key 'x'");
  const char *mk1[] = {"x"}, *mvbad[] = {"\xC0\xAF"}, *mvnull[] = {NULL};
  expect_write_fail("a metadata value that is not UTF-8", path, &good, 1, mk1, mvbad, 1, "not valid UTF-8");
  expect_write_fail("a NULL metadata value", path, &good, 1, mk1, mvnull, 1, "NULL key or value");
  expect_write_fail("a negative count", path, &good, -1, NULL, NULL, 0, "bad tensor list");

  st_file f;
  rc = st_read(path, &f, &err);
  tap_result(rc == 0 && f.n == 1 && f.tensors[0].data[3] == 4.0f, "rejected writes left the old file intact");
  st_free(&f);

  char missing[300];
  snprintf(missing, sizeof missing, "%s/no/such/dir/x.safetensors", dir);
  expect_write_fail("a path in a missing directory", missing, &good, 1, NULL, NULL, 0, "cannot create");
  const char *subdir = tpath("subdir");
  mkdir(subdir, 0700);
  expect_write_fail("a path that is a directory (rename fails)", subdir, &good, 1, NULL, NULL, 0, "cannot rename");
  strbuf_free(&err);
}

/* --------------------------------------------------------- corrupt files */

#define T(dtype, shape, offs) "{\"dtype\":\"" dtype "\",\"shape\":" shape ",\"data_offsets\":" offs "}"

static const unsigned char d16[16]; /* data sections of up to 16 bytes */

/* The file's length and the header length in its first 8 bytes. */
static void corrupt_lengths(const char *p) {
  write_bytes(p, "", 0);
  expect_read_fail("empty file", p, "truncated: file has 0 bytes");
  write_bytes(p, "\x10\0\0\0\0", 5);
  expect_read_fail("5-byte file", p, "truncated: file has 5 bytes");

  /* header length 1200 with 900 bytes after it */
  char *junk = calloc(1, 900);
  memset(junk, ' ', 900);
  junk[0] = '{';
  junk[1] = '}';
  write_st(p, 1200, junk, 900, NULL, 0);
  expect_read_fail("header longer than the file", p, "truncated: header says 1200 bytes, file has 900");
  write_st(p, UINT64_MAX, junk, 16, NULL, 0);
  expect_read_fail("header length 2^64-1", p, "truncated: header says 18446744073709551615 bytes");
  write_st(p, 0, "", 0, d16, 16);
  expect_read_fail("header length 0", p, "empty header");
  free(junk);
}

/* Header text that is not the JSON the reader accepts. */
static void corrupt_json_syntax(const char *p) {
  corrupt("header not JSON", "hello world", NULL, 0, "header is not valid JSON: at header byte 0: unexpected 'h'");
  corrupt("random text after the object", "{} x", NULL, 0, "unexpected data after the JSON object");
  write_st(p, 8, "{}\0\0\0\0\0\0", 8, NULL, 0);
  expect_read_fail("NUL bytes instead of space padding", p, "unexpected data after the JSON object");
  corrupt("top level array", "[1, 2]", NULL, 0, "header is an array, not a JSON object");
  corrupt("top level string", "\"x\"", NULL, 0, "header is a string, not a JSON object");
  corrupt("unterminated object", "{\"a\":" T("F32", "[1]", "[0,4]"), d16, 4, "expected ',' or '}', found end of header");
  corrupt("unterminated string", "{\"a", NULL, 0, "unterminated string");
  corrupt("trailing comma", "{\"a\":" T("F32", "[1]", "[0,4]") ",}", d16, 4, "expected a member name in quotes");
  corrupt("missing colon", "{\"a\" " T("F32", "[1]", "[0,4]") "}", d16, 4, "expected ':', found '{'");
  corrupt("single quotes", "{'a':1}", NULL, 0, "expected a member name in quotes, found '''");
  corrupt("bad escape", "{\"a\\q\":1}", NULL, 0, "bad escape '\\q'");
  corrupt("short \\u escape", "{\"a\\u12G4\":1}", NULL, 0, "bad \\u escape");
  corrupt("lone high surrogate", "{\"\\ud800x\":1}", NULL, 0, "unpaired high surrogate \\uD800");
  corrupt("lone low surrogate", "{\"\\udc00\":1}", NULL, 0, "unpaired low surrogate \\uDC00");
  corrupt("\\u0000 in a name", "{\"a\\u0000b\":1}", NULL, 0, "\\u0000 in a string is not supported");
  corrupt("raw newline in a string", "{\"a\nb\":1}", NULL, 0, "control byte 0x0A in a string");
  corrupt("invalid UTF-8", "{\"a\xC3(\":1}", NULL, 0, "invalid UTF-8 in a string");
  corrupt("overlong UTF-8", "{\"\xC0\xAF\":1}", NULL, 0, "invalid UTF-8 in a string");
  corrupt("UTF-8 surrogate", "{\"\xED\xA0\x80\":1}", NULL, 0, "invalid UTF-8 in a string");
  corrupt("byte outside a string", "{\xE2\x80\x9C" "a\":1}", NULL, 0, "found byte 0xE2");
}

/* JSON values outside the subset safetensors needs: non-integers, true and
 * null, deep nesting, repeated keys. */
static void corrupt_json_values(void) {
  corrupt("float in shape", "{\"a\":" T("F32", "[1.5]", "[0,4]") "}", d16, 4, "only integers are supported");
  corrupt("exponent in offsets", "{\"a\":" T("F32", "[1]", "[0,4e0]") "}", d16, 4, "only integers are supported");
  corrupt("true", "{\"a\":true}", NULL, 0, "unsupported JSON value");
  corrupt("null metadata", "{\"__metadata__\":null}", NULL, 0, "unsupported JSON value");
  corrupt("leading zero", "{\"a\":" T("F32", "[01]", "[0,4]") "}", d16, 4, "number with a leading zero");
  corrupt("integer overflow", "{\"a\":" T("F32", "[1]", "[0,99999999999999999999]") "}", d16, 4,
          "integer out of range");
  corrupt("lone minus", "{\"a\":" T("F32", "[-]", "[0,4]") "}", d16, 4, "'-' not followed by a digit");
  char *deep = calloc(1, 300);
  strcpy(deep, "{\"a\":");
  for (int i = 0; i < 200; i++) strcat(deep, "[");
  corrupt("nesting 200 deep", deep, NULL, 0, "nested more than 16 deep");
  free(deep);
  corrupt("duplicate tensor name", "{\"a\":" T("F32", "[1]", "[0,4]") ",\"a\":" T("F32", "[1]", "[4,8]") "}", d16, 8,
          "duplicate key 'a'");
  corrupt("duplicate metadata key", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", NULL, 0, "duplicate key 'k'");
}

/* Tensor entries: their keys, dtype and shape. */
static void corrupt_tensor_entries(void) {
  corrupt("missing dtype", "{\"x\":{\"shape\":[1],\"data_offsets\":[0,4]}}", d16, 4, "tensor 'x': missing key 'dtype'");
  corrupt("missing shape", "{\"x\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", d16, 4, "tensor 'x': missing key 'shape'");
  corrupt("missing data_offsets", "{\"x\":{\"dtype\":\"F32\",\"shape\":[1]}}", d16, 4,
          "tensor 'x': missing key 'data_offsets'");
  corrupt("unknown key", "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}}", d16, 4,
          "tensor 'x': unknown key 'extra'");
  corrupt("entry not an object", "{\"x\":[1]}", NULL, 0, "tensor 'x': entry is an array, not an object");
  corrupt("empty tensor name", "{\"\":" T("F32", "[1]", "[0,4]") "}", d16, 4, "a tensor has an empty name");
  corrupt("dtype F16", "{\"x\":" T("F16", "[2]", "[0,4]") "}", d16, 4, "tensor 'x' has dtype F16; naslc reads F32 only");
  corrupt("dtype BF16", "{\"x\":" T("BF16", "[2]", "[0,4]") "}", d16, 4, "tensor 'x' has dtype BF16; naslc reads F32 only");
  corrupt("dtype I64", "{\"x\":" T("I64", "[1]", "[0,8]") "}", d16, 8, "tensor 'x' has dtype I64; naslc reads F32 only");
  corrupt("dtype not a string", "{\"x\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", d16, 4,
          "tensor 'x': dtype is an integer, not a string");
  corrupt("shape not an array", "{\"x\":{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}}", d16, 4,
          "tensor 'x': shape is a string, not an array");
  corrupt("9 dimensions", "{\"x\":" T("F32", "[1,1,1,1,1,1,1,1,1]", "[0,4]") "}", d16, 4,
          "tensor 'x' has 9 dimensions (at most 8 supported)");
  corrupt("negative dimension", "{\"x\":" T("F32", "[-1]", "[0,4]") "}", d16, 4, "tensor 'x': shape[0] is negative (-1)");
  corrupt("dimension not an integer", "{\"x\":" T("F32", "[1,\"2\"]", "[0,8]") "}", d16, 8,
          "tensor 'x': shape[1] is a string, not an integer");
  corrupt("shape product overflow", "{\"x\":" T("F32", "[4294967296,4294967296]", "[0,4]") "}", d16, 4,
          "tensor 'x': shape product overflows");
  corrupt("shape product overflow before a 0", "{\"x\":" T("F32", "[4294967296,4294967296,0]", "[0,0]") "}", NULL, 0,
          "tensor 'x': shape product overflows");
}

/* Where the tensors lie in the data section: offsets, overlaps, gaps. */
static void corrupt_data_offsets(void) {
  corrupt("one data offset", "{\"x\":" T("F32", "[1]", "[4]") "}", d16, 4, "data_offsets must be an array [begin, end]");
  corrupt("data_offsets an object", "{\"x\":" T("F32", "[1]", "{}") "}", d16, 4,
          "data_offsets must be an array [begin, end]");
  corrupt("negative data offset", "{\"x\":" T("F32", "[1]", "[-4,0]") "}", d16, 4, "data_offsets[0] is negative (-4)");
  corrupt("data offset a string", "{\"x\":" T("F32", "[1]", "[0,\"4\"]") "}", d16, 4,
          "data_offsets[1] is a string, not an integer");
  corrupt("reversed data_offsets", "{\"x\":" T("F32", "[0]", "[8,0]") "}", d16, 8,
          "tensor 'x': data_offsets [8, 0] are reversed");
  corrupt("offsets inconsistent with shape", "{\"x\":" T("F32", "[2]", "[0,12]") "}", d16, 12,
          "tensor 'x': data_offsets [0, 12] span 12 bytes but its shape needs 8");
  corrupt("offsets past the data", "{\"x\":" T("F32", "[4]", "[0,16]") "}", d16, 8,
          "truncated: tensor 'x' needs bytes [0, 16) of the data section, which has 8");
  corrupt("offsets far past the data", "{\"x\":" T("F32", "[1]", "[9223372036854775800,9223372036854775804]") "}",
          d16, 4, "truncated: tensor 'x' needs bytes [9223372036854775800, 9223372036854775804)");
  corrupt("overlapping tensors", "{\"a\":" T("F32", "[2]", "[0,8]") ",\"b\":" T("F32", "[2]", "[4,12]") "}", d16, 12,
          "tensors 'a' and 'b' overlap");
  corrupt("same offsets twice", "{\"a\":" T("F32", "[1]", "[0,4]") ",\"b\":" T("F32", "[1]", "[0,4]") "}", d16, 8,
          "tensors 'a' and 'b' overlap");
  corrupt("gap between tensors", "{\"a\":" T("F32", "[1]", "[0,4]") ",\"b\":" T("F32", "[1]", "[8,12]") "}", d16, 12,
          "gap in the data section: bytes [4, 8) before tensor 'b'");
  corrupt("first tensor not at 0", "{\"a\":" T("F32", "[1]", "[4,8]") "}", d16, 8,
          "gap in the data section: bytes [0, 4) before tensor 'a'");
  corrupt("trailing data", "{\"a\":" T("F32", "[1]", "[0,4]") "}", d16, 8,
          "data section has 8 bytes but the tensors cover 4 (trailing bytes)");
  corrupt("data but no tensors", "{}", d16, 4, "data section has 4 bytes but the tensors cover 0");
}

static void corrupt_metadata(void) {
  corrupt("metadata not an object", "{\"__metadata__\":[\"a\"]}", NULL, 0, "__metadata__ is an array, not an object");
  corrupt("metadata value not a string", "{\"__metadata__\":{\"epoch\":3}}", NULL, 0,
          "__metadata__ value for 'epoch' is an integer, not a string");
}

static void test_corrupt(void) {
  expect_read_fail("missing file", tpath("does-not-exist.safetensors"), "cannot read: No such file");
  expect_read_fail("a directory", dir, "cannot read");
  const char *p = tpath("short.safetensors");
  corrupt_lengths(p);
  corrupt_json_syntax(p);
  corrupt_json_values();
  corrupt_tensor_entries();
  corrupt_data_offsets();
  corrupt_metadata();
  /* names in messages are shown with control bytes escaped */
  corrupt("control bytes shown escaped", "{\"a\\n\\u0001\":" T("F16", "[1]", "[0,2]") "}", d16, 2,
          "tensor 'a\\x0A\\x01' has dtype F16");
}

/* ---------------------------------------------------- garbage and damage */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t next_rand(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* Reads path; the result must be a clean success or a clean failure. Returns
 * rc, or 2 if the outcome was malformed. */
static int read_cleanly(const char *path, const char *want) {
  st_file f;
  strbuf err;
  strbuf_init(&err);
  int rc = st_read(path, &f, &err);
  int bad = 0;
  if (rc == 0) {
    for (int i = 0; i < f.n; i++) {
      volatile float sink = 0;
      for (int64_t j = 0; j < numel(&f.tensors[i]); j++) sink += f.tensors[i].data[j]; /* ASan checks bounds */
      (void)sink;
    }
    bad = err.len != 0;
  } else {
    bad = rc != -1 || !starts_with(err.data, path) || !strstr(err.data, want) || f.tensors || f.n;
  }
  if (bad) tap_diag("rc %d, message \"%s\"", rc, err.data);
  st_free(&f);
  strbuf_free(&err);
  return bad ? 2 : rc;
}

static void test_garbage(void) {
  const char *p = tpath("garbage.safetensors");
  unsigned char buf[600];
  int fails = 0, bad = 0;
  for (int round = 0; round < 300; round++) {
    size_t len = (size_t)(next_rand() % sizeof buf);
    for (size_t i = 0; i < len; i++) buf[i] = (unsigned char)next_rand();
    if (round % 2 && len >= 8) { /* plausible header length */
      uint64_t h = next_rand() % (len - 7);
      for (int i = 0; i < 8; i++) buf[i] = (unsigned char)(h >> (8 * i));
    }
    write_bytes(p, buf, len);
    int rc = read_cleanly(p, ": ");
    fails += rc == -1;
    bad += rc == 2;
  }
  tap_result(fails == 300 && bad == 0, "300 files of random bytes rejected cleanly");

  /* random JSON-ish text reaches deeper into the parser; any clean outcome */
  static const char alphabet[] = "{}[]\":,0123456789-. FS3eu\\ad_tnl";
  int parsed_ok = 0;
  bad = 0;
  for (int round = 0; round < 2000; round++) {
    size_t len = 1 + (size_t)(next_rand() % 80);
    char text[96];
    for (size_t i = 0; i < len; i++) text[i] = alphabet[next_rand() % (sizeof alphabet - 1)];
    if (round % 3 == 0) text[0] = '{';
    write_st(p, len, text, len, NULL, 0);
    int rc = read_cleanly(p, ": ");
    bad += rc == 2;
    parsed_ok += rc == 0;
  }
  tap_result(bad == 0, "2000 random JSON-ish headers handled cleanly (%d happened to be valid)", parsed_ok);
}

static void test_damage(void) {
  unsigned char file[256];
  size_t len = tiny_file(file);
  const char *p = tpath("damaged.safetensors");
  int bad = 0;
  for (size_t cut = 0; cut < len; cut++) {
    write_bytes(p, file, cut);
    if (read_cleanly(p, "truncated") != -1) {
      bad++;
      tap_diag("truncation to %zu bytes was not rejected as truncated", cut);
    }
  }
  tap_result(bad == 0, "every truncation (0..%zu bytes) of the tiny file fails with 'truncated'", len - 1);

  /* truncations of the larger round-trip file, at a stride */
  strbuf big;
  strbuf_init(&big);
  strbuf_read_file(&big, model_path, (size_t)-1);
  bad = 0;
  int tried = 0;
  for (size_t cut = 0; cut < big.len; cut += cut < 200 ? 1 : 997) {
    write_bytes(p, big.data, cut);
    tried++;
    if (read_cleanly(p, "truncated") != -1) bad++;
  }
  tap_result(big.len > 280000 && bad == 0, "%d truncations of a %zu-byte file fail with 'truncated'", tried, big.len);
  strbuf_free(&big);

  /* every single-bit flip: clean success (a data or name byte) or clean failure */
  bad = 0;
  int accepted = 0;
  for (size_t i = 0; i < len; i++) {
    for (int bit = 0; bit < 8; bit++) {
      file[i] ^= (unsigned char)(1u << bit);
      write_bytes(p, file, len);
      int rc = read_cleanly(p, ": ");
      bad += rc == 2;
      accepted += rc == 0;
      file[i] ^= (unsigned char)(1u << bit);
    }
  }
  tap_result(bad == 0, "all %zu single-bit flips of the tiny file handled cleanly (%d still valid)", len * 8, accepted);
}

int main(void) {
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 99;
  }
  test_round_trip();
  test_exact_bytes();
  test_foreign_header();
  test_write_errors();
  test_corrupt();
  test_garbage();
  test_damage();
  for (int i = npaths - 1; i >= 0; i--) {
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", paths[i]);
    remove(tmp);
    remove(paths[i]);
  }
  remove(tpath("corrupt.safetensors"));
  if (rmdir(dir)) tap_diag("could not remove %s", dir);
  return tap_done();
}

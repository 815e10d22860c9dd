/* common_test.c: the bottom layer checked on its own: the JSON reader on
 * valid and malformed text (exact messages), atomic file replacement, the
 * string map, UTF-8 checks, checked number parsing and the clock (TAP). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/clock.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/parse.h"
#include "common/strbuf.h"
#include "common/strmap.h"
#include "common/utf8.h"
#include "tap.h"

/* ---- JSON ---- */

static void test_json_valid(void) {
  arena a;
  arena_init(&a);
  strbuf err;
  strbuf_init(&err);
  const char text[] =
      " {\"name\": \"caf\\u00e9 \\ud83d\\ude00\", \"shape\": [2, -3, 0], \"big\": 9007199254740993,"
      " \"max\": 9223372036854775807, \"beyond\": 9223372036854775808, \"half\": 0.5, \"tiny\": -1e-4,"
      " \"flags\": [true, false, null], \"__metadata__\": {\"inner\": {\"deep\": [[]]}}} ";
  json_value *v = json_parse(&a, text, sizeof text - 1, &err);
  tap_result(v && v->kind == JSON_OBJECT && v->n == 9 && err.len == 0, "json: an object with nine members parses%s%s",
             err.len ? ": " : "", err.data);
  const json_value *name = json_get(v, "name"), *shape = json_get(v, "shape"), *big = json_get(v, "big");
  tap_result(name && name->kind == JSON_STRING && !strcmp(name->string, "caf\xC3\xA9 \xF0\x9F\x98\x80"),
             "json: \\u escapes and surrogate pairs decode to UTF-8");
  tap_result(shape && shape->kind == JSON_ARRAY && shape->n == 3 && shape->items[1]->is_integer &&
                 shape->items[1]->integer == -3 && shape->items[2]->integer == 0,
             "json: an array of integers");
  tap_result(big && big->is_integer && big->integer == 9007199254740993LL,
             "json: 2^53 + 1 is kept exactly as an integer (a double would round it)");
  const json_value *max = json_get(v, "max"), *beyond = json_get(v, "beyond");
  tap_result(max && max->is_integer && max->integer == INT64_MAX, "json: INT64_MAX is an integer");
  tap_result(beyond && beyond->kind == JSON_NUMBER && !beyond->is_integer && beyond->number == 9223372036854775808.0,
             "json: one past INT64_MAX is a number, not an integer");
  const json_value *half = json_get(v, "half"), *tiny = json_get(v, "tiny"), *flags = json_get(v, "flags");
  tap_result(half && !half->is_integer && half->number == 0.5 && tiny && tiny->number == -1e-4,
             "json: fractions and exponents");
  tap_result(flags && flags->n == 3 && flags->items[0]->kind == JSON_BOOL && flags->items[0]->number == 1 &&
                 flags->items[1]->kind == JSON_BOOL && flags->items[1]->number == 0 &&
                 flags->items[2]->kind == JSON_NULL,
             "json: true, false and null");
  const json_value *deep = json_get(json_get(json_get(v, "__metadata__"), "inner"), "deep");
  tap_result(deep && deep->kind == JSON_ARRAY && deep->n == 1 && deep->items[0]->n == 0, "json: nested metadata");
  tap_result(name && name->pos == 10 && shape && shape->pos == 45, "json: values know their byte offset (%zu, %zu)",
             name ? name->pos : 0, shape ? shape->pos : 0);
  tap_result(!json_get(v, "missing") && !json_get(shape, "name") && !json_get(NULL, "name"),
             "json_get: NULL for a missing key, an array, or NULL");
  tap_result(!strcmp(json_describe(v), "an object") && !strcmp(json_describe(shape), "an array") &&
                 !strcmp(json_describe(big), "an integer") && !strcmp(json_describe(half), "a number") &&
                 !strcmp(json_describe(name), "a string") && !strcmp(json_describe(flags->items[0]), "a boolean") &&
                 !strcmp(json_describe(flags->items[2]), "null"),
             "json_describe names every kind");
  strbuf_free(&err);
  arena_free(&a);
}

/* text must fail with exactly want (json_parse's "at byte N: ..."). */
static void expect_json_error(const char *label, const char *text, size_t len, const char *want) {
  arena a;
  arena_init(&a);
  strbuf err;
  strbuf_init(&err);
  json_value *v = json_parse(&a, text, len, &err);
  tap_result(!v && !strcmp(err.data, want), "json refuses %s: %s", label, err.data);
  if (v || strcmp(err.data, want)) tap_diag("wanted: %s", want);
  strbuf_free(&err);
  arena_free(&a);
}
#define JSON_ERROR(label, text, want) expect_json_error(label, text, sizeof text - 1, want)

static void test_json_malformed(void) {
  JSON_ERROR("empty text", "", "at byte 0: unexpected end of input");
  JSON_ERROR("blank text", "  \n", "at byte 3: unexpected end of input");
  JSON_ERROR("a bare word", "hello", "at byte 0: unexpected 'h'");
  JSON_ERROR("a misspelt literal", "[tru]", "at byte 1: unexpected 't'");
  JSON_ERROR("a byte outside a string", "[\xE2\x80\x9C]", "at byte 1: unexpected byte 0xE2");
  JSON_ERROR("an unterminated array", "[1, 2", "at byte 5: expected ',' or ']', found end of input");
  JSON_ERROR("a trailing comma in an object", "{\"a\": 1,}", "at byte 8: expected a member name in quotes, found '}'");
  JSON_ERROR("a trailing comma in an array", "[1,]", "at byte 3: unexpected ']'");
  JSON_ERROR("a missing colon", "{\"a\" 1}", "at byte 5: expected ':', found '1'");
  JSON_ERROR("single quotes", "{'a': 1}", "at byte 1: expected a member name in quotes, found '''");
  JSON_ERROR("a leading zero", "[01]", "at byte 1: number with a leading zero");
  JSON_ERROR("a lone minus", "[-]", "at byte 1: '-' not followed by a digit");
  JSON_ERROR("a bare decimal point", "[1.]", "at byte 1: '.' not followed by a digit");
  JSON_ERROR("an exponent without digits", "[1e+]", "at byte 1: exponent without digits");
  JSON_ERROR("an unterminated string", "[\"abc", "at byte 1: unterminated string");
  JSON_ERROR("a bad escape", "[\"a\\q\"]", "at byte 3: bad escape '\\q'");
  JSON_ERROR("a short \\u escape", "[\"\\u12G4\"]", "at byte 2: bad \\u escape (need 4 hex digits)");
  JSON_ERROR("a lone high surrogate", "[\"\\ud800x\"]", "at byte 2: unpaired high surrogate \\uD800");
  JSON_ERROR("a lone low surrogate", "[\"\\uDC00\"]", "at byte 2: unpaired low surrogate \\uDC00");
  JSON_ERROR("\\u0000", "[\"a\\u0000\"]", "at byte 3: \\u0000 in a string is not supported");
  JSON_ERROR("a raw newline in a string", "[\"a\nb\"]", "at byte 3: control byte 0x0A in a string (must be escaped)");
  JSON_ERROR("invalid UTF-8", "[\"a\xC3(\"]", "at byte 3: invalid UTF-8 in a string");
  JSON_ERROR("overlong UTF-8", "[\"\xC0\xAF\"]", "at byte 2: invalid UTF-8 in a string");
  JSON_ERROR("a duplicate key", "{\"k\": 1, \"j\": 2, \"k\": 3}", "at byte 0: duplicate key 'k'");
  JSON_ERROR("a duplicate key in a nested object", "[{}, {\"a\\n\": 1, \"a\\n\": 1}]",
             "at byte 5: duplicate key 'a\\x0A'");
  JSON_ERROR("text after an object", "{} x", "at byte 3: unexpected data after the JSON object");
  JSON_ERROR("text after an array", "[1] [2]", "at byte 4: unexpected data after the JSON array");
  JSON_ERROR("a NUL after the value", "7\0", "at byte 1: unexpected data after the JSON number");
  char deep[80];
  memset(deep, '[', 65);
  expect_json_error("65 levels of nesting", deep, 65, "at byte 64: nested more than 64 deep");
  arena a;
  arena_init(&a);
  tap_result(json_parse(&a, "{", 1, NULL) == NULL && json_read(&a, "[", 1, NULL, NULL) == NULL,
             "json: a NULL error buffer is allowed");
  json_error e;
  tap_result(json_read(&a, "[1]", 3, NULL, &e) && e.message[0] == 0, "json_read leaves the message empty on success");
  arena_free(&a);
}

/* The options json_read offers safetensors. */
static void expect_option_error(const char *label, const json_options *opt, const char *text, size_t want_pos,
                                const char *want) {
  arena a;
  arena_init(&a);
  json_error e;
  json_value *v = json_read(&a, text, strlen(text), opt, &e);
  tap_result(!v && e.pos == want_pos && !strcmp(e.message, want), "json options: %s: at %zu: %s", label, e.pos,
             e.message);
  arena_free(&a);
}

static void test_json_options(void) {
  json_options strict = {.text_name = "header", .max_depth = 2, .integers_only = 1, .no_literals = 1};
  expect_option_error("a fraction", &strict, "[1.5]", 1, "only integers are supported (found a fraction or exponent)");
  expect_option_error("an exponent", &strict, "[4e0]", 1, "only integers are supported (found a fraction or exponent)");
  expect_option_error("an integer beyond int64", &strict, "[99999999999999999999]", 1, "integer out of range");
  expect_option_error("true", &strict, "[true]", 1,
                      "unsupported JSON value (only objects, arrays, strings and integers)");
  expect_option_error("the text's name", &strict, "[", 1, "unexpected end of header");
  expect_option_error("the depth limit", &strict, "[[[1]]]", 2, "nested more than 2 deep");
  json_options literals = {.no_literals = 1};
  expect_option_error("null without integers_only", &literals, "null", 0,
                      "unsupported JSON value (only objects, arrays, strings and numbers)");
  arena a;
  arena_init(&a);
  json_error e;
  const char *ok = "{\"o\": [0, 18446744073], \"s\": \"x\"}";
  json_value *v = json_read(&a, ok, strlen(ok), &strict, &e);
  const json_value *o = json_get(v, "o");
  tap_result(o && o->n == 2 && o->items[1]->integer == 18446744073LL, "json options: integers within the limits pass");
  arena_free(&a);
}

/* JSON numbers as the run log writes and reads them: non-finite values are
 * null, huge ones keep their value, long spans parse */
static void test_json_numbers(void) {
  strbuf b;
  strbuf_init(&b);
  strbuf_puts(&b, "[");
  strbuf_json_number(&b, "%.6f", 1.5);
  strbuf_putc(&b, ',');
  strbuf_json_number(&b, "%.6f", INFINITY);
  strbuf_putc(&b, ',');
  strbuf_json_number(&b, "%.6f", NAN);
  strbuf_putc(&b, ',');
  strbuf_json_number(&b, "%.6f", 2.5e300);
  strbuf_puts(&b, "]");
  tap_result(!strcmp(b.data, "[1.500000,null,null,2.5e+300]"), "JSON numbers: inf and NaN as null, 1e300 short (%s)",
             b.data);
  arena a;
  arena_init(&a);
  strbuf long_num;
  strbuf_init(&long_num);
  strbuf_printf(&long_num, "{\"v\":%.6f}", 1e300); /* 300 digits, as older logs hold */
  json_value *v = json_parse(&a, long_num.data, long_num.len, NULL);
  const json_value *n = json_get(v, "v");
  tap_result(n && n->kind == JSON_NUMBER && fabs(n->number / 1e300 - 1) < 1e-12, "a 300-digit JSON number parses");
  v = json_parse(&a, b.data, b.len, NULL);
  tap_result(v != NULL, "the array with nulls parses");
  strbuf_free(&long_num);
  strbuf_free(&b);
  arena_free(&a);
}

/* ---- atomic replacement ---- */

static char tmpdir[256]; /* short enough for every path built from it */

static int file_is(const char *path, const char *want) {
  strbuf b;
  strbuf_init(&b);
  int ok = strbuf_read_file(&b, path, (size_t)-1) == 0 && b.len == strlen(want) && !memcmp(b.data, want, b.len);
  strbuf_free(&b);
  return ok;
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

/* strbuf_read_file: regular files only, at most the limit, b kept on error */
static void test_read_file(void) {
  char path[300];
  snprintf(path, sizeof path, "%s/ten", tmpdir);
  strbuf err, b;
  strbuf_init(&err);
  strbuf_init(&b);
  fs_write_atomic(path, "0123456789", 10, &err);
  strbuf_puts(&b, "kept");
  tap_result(strbuf_read_file(&b, path, 10) == 0 && b.len == 14 && !strcmp(b.data, "kept0123456789"),
             "a file of exactly the limit is read, appended");
  strbuf_clear(&b);
  strbuf_puts(&b, "kept");
  int e = strbuf_read_file(&b, path, 9);
  tap_result(e == STRBUF_E_TOOBIG && b.len == 4 && !strcmp(b.data, "kept"), "one byte over the limit: too big, b as it was");
  tap_result(!strcmp(strbuf_read_error(e, 9), "larger than 9 bytes, the limit for this kind of file (naslc(1), LIMITS)"),
             "the reason names the limit: %s", strbuf_read_error(e, 9));
  tap_result(!strcmp(strbuf_read_error(STRBUF_E_TOOBIG, (size_t)16 << 20),
                     "larger than 16 MiB, the limit for this kind of file (naslc(1), LIMITS)"),
             "a limit in MiB is given in MiB");
  tap_result(strbuf_read_file(&b, "/dev/zero", 1 << 20) == STRBUF_E_NOTREG && b.len == 4, "a device is not read");
  tap_result(strbuf_read_file(&b, tmpdir, 1 << 20) == EISDIR, "a directory: EISDIR");
  snprintf(path, sizeof path, "%s/none", tmpdir);
  tap_result(strbuf_read_file(&b, path, 1 << 20) == ENOENT, "a missing file: ENOENT");
  snprintf(path, sizeof path, "%s/ten", tmpdir);
  unlink(path);
  strbuf_free(&b);
  strbuf_free(&err);
}

static void test_atomic(void) {
  char path[300], tmp[320], sub[300], target[300], ro[300], inro[320];
  snprintf(path, sizeof path, "%s/state.json", tmpdir);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  strbuf err;
  strbuf_init(&err);

  int rc = fs_write_atomic(path, "old", 3, &err);
  tap_result(rc == 0 && file_is(path, "old") && !exists(tmp), "atomic: a new file is written, no temporary file left");
  rc = fs_write_atomic(path, "brand new", 9, &err);
  tap_result(rc == 0 && file_is(path, "brand new") && !exists(tmp), "atomic: an existing file is replaced");

  fs_atomic w;
  rc = fs_atomic_begin(&w, path, &err);
  tap_result(rc == 0 && exists(tmp) && file_is(path, "brand new"), "atomic: the target is untouched while writing");
  fs_atomic_write(&w, "piece ", 6);
  fs_atomic_write(&w, "by piece", 8);
  rc = fs_atomic_commit(&w, &err);
  tap_result(rc == 0 && file_is(path, "piece by piece") && !exists(tmp) && w.fd < 0 && !w.tmp,
             "atomic: contents written in pieces, then committed");

  fs_atomic_begin(&w, path, &err);
  fs_atomic_write(&w, "never", 5);
  fs_atomic_abort(&w);
  tap_result(file_is(path, "piece by piece") && !exists(tmp), "atomic: an abort leaves the old file and no temporary");

  fs_atomic_begin(&w, path, &err);
  fs_atomic_write(&w, "half", 4);
  w.error = ENOSPC; /* as fs_atomic_write records a failed write */
  strbuf_clear(&err);
  rc = fs_atomic_commit(&w, &err);
  strbuf want;
  strbuf_init(&want);
  strbuf_printf(&want, "%s: cannot write %s: %s", path, tmp, strerror(ENOSPC));
  tap_result(rc == -1 && !strcmp(err.data, want.data) && file_is(path, "piece by piece") && !exists(tmp),
             "atomic: a failed write is reported at commit, old file kept: %s", err.data);
  tap_result(w.fd < 0 && !w.path && !w.tmp, "atomic: a failed commit releases the file and the names");

  snprintf(sub, sizeof sub, "%s/missing/state.json", tmpdir);
  strbuf_clear(&err);
  strbuf_clear(&want);
  strbuf_printf(&want, "%s: cannot create %s.tmp: %s", sub, sub, strerror(ENOENT));
  rc = fs_write_atomic(sub, "x", 1, &err);
  tap_result(rc == -1 && !strcmp(err.data, want.data), "atomic: a missing directory: %s", err.data);

  snprintf(target, sizeof target, "%s/adir", tmpdir);
  mkdir(target, 0777);
  strbuf_clear(&err);
  strbuf_clear(&want);
  strbuf_printf(&want, "%s: cannot rename %s.tmp to %s: %s", target, target, target, strerror(EISDIR));
  rc = fs_write_atomic(target, "x", 1, &err);
  snprintf(tmp, sizeof tmp, "%s.tmp", target);
  tap_result(rc == -1 && !strcmp(err.data, want.data) && !exists(tmp),
             "atomic: a target that is a directory (rename fails), temporary removed: %s", err.data);
  rmdir(target);

  /* a directory that cannot be written: root ignores permissions */
  snprintf(ro, sizeof ro, "%s/readonly", tmpdir);
  snprintf(inro, sizeof inro, "%s/file", ro);
  mkdir(ro, 0777);
  fs_write_atomic(inro, "kept", 4, NULL);
  chmod(ro, 0555);
  if (geteuid() == 0) {
    printf("ok %d # SKIP atomic: a read-only directory (running as root, which ignores permissions)\n", ++tap_count);
  } else {
    strbuf_clear(&err);
    strbuf_clear(&want);
    strbuf_printf(&want, "%s: cannot create %s.tmp: %s", inro, inro, strerror(EACCES));
    rc = fs_write_atomic(inro, "lost", 4, &err);
    tap_result(rc == -1 && !strcmp(err.data, want.data) && file_is(inro, "kept"),
               "atomic: a read-only directory, old file intact: %s", err.data);
  }
  chmod(ro, 0777);
  remove(inro);
  rmdir(ro);

  /* a path without a directory: the directory synced is "." */
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd) && chdir(tmpdir) == 0) {
    rc = fs_write_atomic("here.txt", "here", 4, &err);
    tap_result(rc == 0 && file_is("here.txt", "here") && !exists("here.txt.tmp"),
               "atomic: a path relative to the current directory");
    remove("here.txt");
    if (chdir(cwd)) tap_diag("cannot go back to %s", cwd);
  }
  remove(path);
  strbuf_free(&want);
  strbuf_free(&err);
}

/* ---- the string map ---- */

static void test_strmap(void) {
  arena keys;
  arena_init(&keys);
  strmap m;
  strmap_init(&m, &keys);
  tap_result(strmap_get(&m, "x") == NULL && strmap_find(&m, "x", 1) == NULL && m.n == 0,
             "strmap: an empty map finds nothing");
  int one = 1, two = 2, three = 3;
  char key[16] = "alpha";
  strmap_put(&m, key, &one);
  strcpy(key, "beta");
  strmap_put(&m, key, &two);
  strcpy(key, "zzzz"); /* the map holds copies */
  tap_result(strmap_get(&m, "alpha") == &one && strmap_get(&m, "beta") == &two && m.n == 2,
             "strmap: put and get, keys copied into the arena");
  strmap_put(&m, "alpha", &three);
  tap_result(strmap_get(&m, "alpha") == &three && m.n == 2, "strmap: put replaces the value of a key");
  int added = -1;
  strmap_entry *e = strmap_add(&m, "gamma", 5, &added);
  tap_result(added == 1 && e->value == NULL && !strcmp(e->key, "gamma"), "strmap_add: a new key starts with NULL");
  e = strmap_add(&m, "beta", 4, &added);
  tap_result(added == 0 && e->value == &two, "strmap_add: an existing key is found, not added");

  char name[32];
  int ok = 1;
  for (int i = 0; i < 1000; i++) {
    snprintf(name, sizeof name, "k%d", i);
    strmap_put(&m, name, (void *)(size_t)(i + 1));
  }
  for (int i = 0; i < 1000 && ok; i++) {
    snprintf(name, sizeof name, "k%d", i);
    ok = strmap_get(&m, name) == (void *)(size_t)(i + 1) && !strcmp(m.entries[i + 3].key, name);
  }
  tap_result(ok && m.n == 1003, "strmap: 1000 more keys survive growth, in the order they were added");
  strmap_free(&m);
  tap_result(m.n == 0 && strmap_get(&m, "k1") == NULL, "strmap_free empties the map");
  strmap_put(&m, "again", &one);
  tap_result(strmap_get(&m, "again") == &one, "strmap: a freed map can be used again");
  strmap_free(&m);

  const char text[] = "the cat the hat";
  strmap_init(&m, NULL);
  strmap_add(&m, text, 3, NULL);
  strmap_add(&m, text + 4, 3, NULL);
  strmap_add(&m, text + 8, 3, &added);
  tap_result(added == 0 && m.n == 2 && m.entries[0].key == text && strmap_find(&m, "cat", 3) &&
                 !strmap_find(&m, "ca", 2) && !strmap_find(&m, "the ", 4),
             "strmap: borrowed byte-range keys (not NUL-terminated)");
  strmap_free(&m);
  arena_free(&keys);

  const char *dup[] = {"a", "b", "c", "b", "a"}, *distinct[] = {"a", "b", "ab"};
  tap_result(strmap_first_duplicate(dup, 5) == dup[3] && strmap_first_duplicate(distinct, 3) == NULL &&
                 strmap_first_duplicate(dup, 0) == NULL && strmap_first_duplicate(dup, 1) == NULL,
             "strmap_first_duplicate: the first repeat, or NULL");
}

/* ---- UTF-8 ---- */

static void test_utf8(void) {
  tap_result(utf8_valid("plain") && utf8_valid("caf\xC3\xA9") && utf8_valid("\xF0\x9F\x98\x80") && utf8_valid(""),
             "utf8_valid accepts ASCII, 2- and 4-byte sequences");
  tap_result(!utf8_valid("\xC0\xAF") && !utf8_valid("\xED\xA0\x80") && !utf8_valid("\xF4\x90\x80\x80") &&
                 !utf8_valid("\xE2\x82") && !utf8_valid("\x80"),
             "utf8_valid refuses overlong forms, surrogates, > U+10FFFF, cut sequences, stray continuations");
  const unsigned char euro[] = "\xE2\x82\xAC", a[] = "a";
  tap_result(utf8_sequence(euro, 3) == 3 && utf8_sequence(euro, 2) == 0 && utf8_sequence(a, 1) == 1,
             "utf8_sequence gives the length, 0 when cut off");
  char out[16];
  tap_result(!strcmp(utf8_printable(out, sizeof out, "a\nb\x7F"), "a\\x0Ab\\x7F"),
             "utf8_printable escapes control bytes");
  tap_result(!strcmp(utf8_printable(out, sizeof out, "abcdef\xC3\xA9zzzzzz"), "abcdef..."),
             "utf8_printable cuts a long name at a character boundary (%s)", out);
}

/* ---- numbers ---- */

static void test_parse(void) {
  long l = 99;
  tap_result(parse_long("42", 0, 100, &l) == 0 && l == 42, "parse_long: 42");
  tap_result(parse_long("-7", -10, 10, &l) == 0 && l == -7 && parse_long("+3", 0, 10, &l) == 0 && l == 3,
             "parse_long: signs");
  char max[32];
  snprintf(max, sizeof max, "%ld", LONG_MAX);
  tap_result(parse_long(max, 0, LONG_MAX, &l) == 0 && l == LONG_MAX, "parse_long: LONG_MAX");
  static const struct { const char *s; int err; const char *why; } bad[] = {
      {"", EINVAL, "empty"},
      {NULL, EINVAL, "NULL"},
      {" 4", EINVAL, "leading space"},
      {"4 ", EINVAL, "trailing space"},
      {"4x", EINVAL, "trailing garbage"},
      {"abc", EINVAL, "not a number"},
      {"0x10", EINVAL, "hexadecimal"},
      {"1.5", EINVAL, "a fraction"},
      {"99999999999999999999", ERANGE, "overflow"},
      {"-99999999999999999999", ERANGE, "negative overflow"},
      {"65", ERANGE, "above hi"},
      {"0", ERANGE, "below lo"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    l = 99;
    errno = 0;
    int rc = parse_long(bad[i].s, 1, 64, &l);
    tap_result(rc == -1 && errno == bad[i].err && l == 99, "parse_long refuses %s (%s)", bad[i].why,
               bad[i].err == EINVAL ? "EINVAL" : "ERANGE");
  }

  double d = 99;
  tap_result(parse_double("0.5", 0, 1, 0, &d) == 0 && d == 0.5, "parse_double: 0.5");
  tap_result(parse_double("-2.5e3", -1e4, 0, 0, &d) == 0 && d == -2500 && parse_double("1e-4", 0, 1, 0, &d) == 0 &&
                 d == 1e-4 && parse_double("0x1p3", 0, 10, 0, &d) == 0 && d == 8,
             "parse_double: exponents and hexadecimal");
  static const struct { const char *s; unsigned flags; double hi; int err; const char *why; } dbad[] = {
      {"", 0, 1e300, EINVAL, "empty"},
      {"1.5x", 0, 1e300, EINVAL, "trailing garbage"},
      {" 1", 0, 1e300, EINVAL, "leading space"},
      {"1e999", 0, 1e300, ERANGE, "overflow"},
      {"1e999", PARSE_NONFINITE, INFINITY, ERANGE, "overflow even with PARSE_NONFINITE"},
      {"nan", 0, 1e300, EINVAL, "nan"},
      {"inf", 0, INFINITY, EINVAL, "inf"},
      {"-inf", PARSE_NONFINITE, 1e300, ERANGE, "-inf below lo"},
      {"2", 0, 1, ERANGE, "above hi"}};
  for (size_t i = 0; i < sizeof dbad / sizeof dbad[0]; i++) {
    d = 99;
    errno = 0;
    int rc = parse_double(dbad[i].s, -1, dbad[i].hi, dbad[i].flags, &d);
    tap_result(rc == -1 && errno == dbad[i].err && d == 99, "parse_double refuses %s (%s)", dbad[i].why,
               dbad[i].err == EINVAL ? "EINVAL" : "ERANGE");
  }
  tap_result(parse_double("inf", 0, INFINITY, PARSE_NONFINITE, &d) == 0 && isinf(d) &&
                 parse_double("NaN", 0, 1, PARSE_NONFINITE, &d) == 0 && isnan(d),
             "parse_double: inf and nan when asked for");
}

/* ---- the clock ---- */

static void test_clock(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  double before = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec, t = nasl_clock_seconds();
  clock_gettime(CLOCK_MONOTONIC, &ts);
  double after = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
  /* bracketed by two readings of CLOCK_MONOTONIC, however long the process waits between them */
  tap_result(before - 1e-6 <= t && t <= after + 1e-6, "clock: nasl_clock_seconds reads CLOCK_MONOTONIC (%.3f in %.3f..%.3f)",
             t, before, after);
  int ok = 1;
  double prev = nasl_clock_seconds();
  for (int i = 0; i < 100000 && ok; i++) {
    double now = nasl_clock_seconds();
    ok = now >= prev;
    prev = now;
  }
  tap_result(ok, "clock: 100000 readings never go backwards");
  double t0 = nasl_clock_seconds();
  struct timespec pause = {0, 20 * 1000 * 1000};
  nanosleep(&pause, NULL);
  double el = nasl_clock_seconds() - t0;
  tap_result(el >= 0.0199, "clock: a 20 ms sleep measures at least 20 ms (%.4f s)", el);
}

int main(void) {
  const char *base = getenv("TMPDIR");
  snprintf(tmpdir, sizeof tmpdir, "%s/naslc-common-XXXXXX", base && base[0] ? base : "/tmp");
  if (!mkdtemp(tmpdir)) {
    tap_result(0, "cannot make a temporary directory %s: %s", tmpdir, strerror(errno));
    return tap_done();
  }
  test_json_valid();
  test_json_malformed();
  test_json_options();
  test_json_numbers();
  test_atomic();
  test_read_file();
  test_strmap();
  test_utf8();
  test_parse();
  test_clock();
  rmdir(tmpdir);
  return tap_done();
}

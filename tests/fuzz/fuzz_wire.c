/* fuzz_wire.c: the messages of a distributed search (runtime/search/wire.h,
 * what rank 0 and the workers read from each other) on any bytes.
 *
 * The first byte picks the reader: a worker's greeting, a reply, or a
 * request against one of the spaces below. Promises checked (wire.h): a
 * refusal has a reason; a message read is written again and reads back to
 * the same fields, bit for bit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/search/wire.h"
#include "tests/fuzz/harness.h"

static const char *const space_files[] = {"quickstart.nasl", "nb201.nasl", "nas_rnn_small.nasl"};
#define NSPACES ((int)(sizeof space_files / sizeof space_files[0]))
static grammar *spaces[NSPACES];

static void release(void) {
  for (int i = 0; i < NSPACES; i++) grammar_free(spaces[i]);
}

static void setup(void) {
  for (int i = 0; i < NSPACES; i++) spaces[i] = fuzz_compile_example(space_files[i]);
  atexit(release);
}

/* The same double, NaNs alike. */
static int same(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

static void reply(const char *text, size_t len) {
  long sample, s2;
  int status, st2;
  search_result res, back;
  strbuf error, err, again, e2;
  strbuf_init(&error);
  strbuf_init(&err);
  strbuf_init(&again);
  strbuf_init(&e2);
  if (wire_read_reply(text, len, &sample, &status, &error, &res, &err)) {
    fuzz_check(err.len > 0, "a refused reply without a reason");
  } else {
    wire_write_reply(&again, sample, status, error.data, &res);
    strbuf_clear(&err);
    int rc = wire_read_reply(again.data, again.len, &s2, &st2, &e2, &back, &err);
    fuzz_check(rc == 0 && s2 == sample && st2 == status, "a reply written again does not read back");
    if (status == 0) {
      int ok = back.ok == res.ok && same(back.reward, res.reward) && same(back.test_metric, res.test_metric) &&
               back.params == res.params && back.flops == res.flops && back.epochs == res.epochs &&
               !strcmp(back.note, res.note);
      for (int e = 0; ok && e < res.epochs; e++) ok = same(back.valid_metric[e], res.valid_metric[e]);
      fuzz_check(ok, "a reply written again reads back to other values");
    } else {
      fuzz_check(!strcmp(e2.data, error.data), "an error reply written again reads back to another reason");
    }
  }
  strbuf_free(&error);
  strbuf_free(&err);
  strbuf_free(&again);
  strbuf_free(&e2);
}

static void request(const grammar *g, const char *text, size_t len) {
  long sample, s2;
  int64_t seed, seed2;
  double best, b2;
  arch a, b;
  strbuf err, again;
  strbuf_init(&err);
  strbuf_init(&again);
  if (wire_read_request(g, text, len, &sample, &seed, &best, &a, &err)) {
    fuzz_check(err.len > 0, "a refused request without a reason");
  } else {
    wire_write_request(&again, sample, seed, best, &a);
    int rc = wire_read_request(g, again.data, again.len, &s2, &seed2, &b2, &b, &err);
    fuzz_check(rc == 0, "a request written again is refused");
    if (rc == 0) {
      fuzz_check(s2 == sample && seed2 == seed && (b2 == best || (isinf(b2) && isinf(best))) &&
                     b.ntokens == a.ntokens && (!a.ntokens || !memcmp(a.tokens, b.tokens, sizeof(int) * (size_t)a.ntokens)),
                 "a request written again reads back to other fields");
      arch_free(&b);
    }
    arch_free(&a);
  }
  strbuf_free(&err);
  strbuf_free(&again);
}

static void hello(const char *text, size_t len) {
  wire_hello h, h2;
  strbuf err, again;
  strbuf_init(&err);
  strbuf_init(&again);
  if (wire_read_hello(text, len, &h, &err)) {
    fuzz_check(err.len > 0, "a refused greeting without a reason");
  } else {
    wire_write_hello(&again, &h);
    fuzz_check(wire_read_hello(again.data, again.len, &h2, &err) == 0 && h2.rank == h.rank && h2.ready == h.ready &&
                   !strcmp(h2.host, h.host) && !strcmp(h2.space, h.space) && !strcmp(h2.error, h.error),
               "a greeting written again reads back to other fields");
  }
  strbuf_free(&err);
  strbuf_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  if (!spaces[0]) setup();
  const char *text = (const char *)data + 1;
  size_t len = size - 1;
  int pick = data[0] % (2 + NSPACES);
  if (pick == 0) hello(text, len);
  else if (pick == 1) reply(text, len);
  else request(spaces[pick - 2], text, len);
  return 0;
}

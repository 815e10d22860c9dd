/* fuzz_arch.c: architecture records (grammar/arch.c, arch_from_record, as
 * train, eval and show read --arch) on any bytes, against fixed spaces.
 *
 * The first byte picks one of the example spaces below (compiled once, with
 * the stdlib of $top_srcdir); the rest is the record. Promises checked
 * (arch.h): a refusal (0 or -1) has a message; a record that fits gives an
 * architecture that decodes (arch_decode_cnn, arch_cell_string,
 * search_key) and whose own record reads back to the same tokens and depth
 * and prints the same bytes again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/arch.h"
#include "runtime/search/search.h"
#include "tests/fuzz/harness.h"

/* A CNN with a variable depth, one with a depth curriculum, a DAG cell
 * (NAS-Bench-201) and a recurrent cell tree. */
static const char *const space_files[] = {"quickstart.nasl", "cnn_v2.nasl", "nb201.nasl", "nas_rnn_small.nasl"};
#define NSPACES ((int)(sizeof space_files / sizeof space_files[0]))
static grammar *spaces[NSPACES];

static void release(void) {
  for (int i = 0; i < NSPACES; i++) grammar_free(spaces[i]);
}

static void setup(void) {
  for (int i = 0; i < NSPACES; i++) spaces[i] = fuzz_compile_example(space_files[i]);
  atexit(release);
}

/* What a record that fits gives: the decoded forms, and a record of its
 * own that reads back to the same architecture. */
static void check_fit(const grammar *g, const arch *a) {
  strbuf out, again, err;
  strbuf_init(&out);
  strbuf_init(&again);
  strbuf_init(&err);
  arch_cnn c;
  if (arch_decode_cnn(a, &c)) arch_cnn_free(&c);
  arch_cell_string(a, &out);
  strbuf_clear(&out);
  search_key(a, &out);
  strbuf_clear(&out);
  arch_json(a, &out);
  arch b;
  fuzz_check(arch_from_record(g, out.data, out.len, &b, &err) == 1, "the record of a record read does not fit");
  fuzz_check(b.ntokens == a->ntokens && b.depth == a->depth &&
                 (!a->ntokens || !memcmp(a->tokens, b.tokens, sizeof(int) * (size_t)a->ntokens)),
             "a record reads back to other tokens or another depth");
  arch_json(&b, &again);
  fuzz_check(again.len == out.len && !memcmp(again.data, out.data, out.len), "a record read back prints another");
  arch_free(&b);
  strbuf_free(&out);
  strbuf_free(&again);
  strbuf_free(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  if (!spaces[0]) setup();
  const grammar *g = spaces[data[0] % NSPACES];
  strbuf err;
  strbuf_init(&err);
  arch a;
  int r = arch_from_record(g, (const char *)data + 1, size - 1, &a, &err);
  if (r == 1) {
    check_fit(g, &a);
    arch_free(&a);
  } else {
    fuzz_check((r == 0 || r == -1) && err.len > 0, "a refused record without a message");
  }
  strbuf_free(&err);
  return 0;
}

/* fuzz_nasl.c: the .nasl front end (lang/, compiler/) on any bytes.
 *
 * The input is the text of a .nasl file in the harness's private directory
 * (so a relative import finds nothing there), compiled with the real stdlib
 * ($top_srcdir/stdlib) and the registry's check of built-in operations, as
 * `naslc check` compiles. Promises checked (compile.h, diag.h, arch.h):
 *   - a rejected text has at least one error, and one of them is located as
 *     path:line:col;
 *   - from an accepted space, architectures drawn with the uniform sampler
 *     (at the start and deep into a depth curriculum) read back from their
 *     JSON records (arch_from_record) to the same tokens and depth, and
 *     print the same record again. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/strbuf.h"
#include "compiler/compile.h"
#include "grammar/arch.h"
#include "stdlib/registry.h"
#include "tests/fuzz/harness.h"

/* Is there a line "<path>:<line>:<col>: error: " in the diagnostics? */
static int located_error(const char *diag) {
  for (const char *line = diag; *line;) {
    const char *nl = strchr(line, '\n');
    const char *p = strstr(line, ": error: ");
    if (p && (!nl || p < nl) && strncmp(line, "naslc:", 6)) {
      const char *q = p;
      int fields = 0;
      while (fields < 2) { /* ":col" then ":line" */
        const char *digits = q;
        while (q > line && isdigit((unsigned char)q[-1])) q--;
        if (q == digits || q - 1 <= line || q[-1] != ':') break;
        q--;
        fields++;
      }
      if (fields == 2) return 1;
    }
    if (!nl) break;
    line = nl + 1;
  }
  return 0;
}

/* Draws an architecture of g and checks that its record replays. */
static void check_replay(const grammar *g, long samples_seen, uint64_t seed) {
  rng r;
  rng_seed(&r, seed);
  arch a, b;
  if (!arch_generate(g, samples_seen, arch_choose_uniform, &r, &a)) return;
  strbuf record, again, err;
  strbuf_init(&record);
  strbuf_init(&again);
  strbuf_init(&err);
  arch_json(&a, &record);
  int fit = arch_from_record(g, record.data, record.len, &b, &err);
  fuzz_check(fit == 1, "a sampled architecture's record does not fit its own space");
  fuzz_check(b.ntokens == a.ntokens && b.depth == a.depth &&
                 (!a.ntokens || !memcmp(a.tokens, b.tokens, sizeof(int) * (size_t)a.ntokens)),
             "a record reads back to other tokens or another depth");
  arch_json(&b, &again);
  fuzz_check(again.len == record.len && !memcmp(again.data, record.data, record.len),
             "a record read back prints another record");
  arch_free(&b);
  arch_free(&a);
  strbuf_free(&record);
  strbuf_free(&again);
  strbuf_free(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char path[4200], stdlib_dir[4200];
  if (!path[0]) {
    snprintf(path, sizeof path, "%s/space.nasl", fuzz_temp_dir());
    snprintf(stdlib_dir, sizeof stdlib_dir, "%s/stdlib", fuzz_top_srcdir());
  }
  nasl_options opt = {stdlib_dir, 0, stdlib_check_decl};
  strbuf diag;
  strbuf_init(&diag);
  nasl_diag d;
  nasl_diag_init(&d, NULL);
  d.capture = &diag;
  grammar *g = nasl_compile_text(path, (const char *)data, size, &opt, &d);
  if (g) {
    check_replay(g, 0, size);
    check_replay(g, 1000000, size + 1);
    grammar_free(g);
  } else {
    fuzz_check(d.errors > 0, "a text is rejected without an error");
    fuzz_check(located_error(diag.data ? diag.data : ""), "a text is rejected without a located error");
  }
  nasl_diag_free(&d);
  strbuf_free(&diag);
  return 0;
}

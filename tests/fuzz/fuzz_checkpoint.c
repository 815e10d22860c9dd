/* fuzz_checkpoint.c: a run's checkpoint as --resume reads it
 * (runtime/search/rundir.c, rundir_read_checkpoint) on any bytes.
 *
 * The input is dir/checkpoint.safetensors. It is read twice: for its
 * metadata alone (the run_state), and with the controller and optimizer of
 * fuzz_tiny_space (compiled once), whose tensors it must hold with their
 * shapes. Promises checked (rundir.h): a refused checkpoint has a message;
 * an accepted one gives counts within their ranges and, with the
 * controller, finite weights. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compile.h"
#include "runtime/search/rundir.h"
#include "runtime/train/loop.h"
#include "stdlib/registry.h"
#include "tests/fuzz/harness.h"

static grammar *space;
static controller ctl;
static nn_optim opt;

static void release(void) {
  nn_optim_free(&opt);
  controller_free(&ctl);
  grammar_free(space);
}

/* Compiles fuzz_tiny_space and makes its controller and optimizer. */
static void setup(void) {
  char stdlib_dir[4200];
  snprintf(stdlib_dir, sizeof stdlib_dir, "%s/stdlib", fuzz_top_srcdir());
  nasl_options o = {stdlib_dir, 0, stdlib_check_decl};
  nasl_diag d;
  nasl_diag_init(&d, stderr);
  space = nasl_compile_text("tiny.nasl", fuzz_tiny_space, strlen(fuzz_tiny_space), &o, &d);
  nasl_diag_free(&d);
  if (!space) {
    fprintf(stderr, "fuzz_checkpoint: the tiny space does not compile (is $top_srcdir set?)\n");
    exit(1);
  }
  rng r;
  rng_seed(&r, 1);
  controller_init(&ctl, space, &r);
  nn_optimizer cfg = train_optimizer(&space->search.optimizer);
  nn_optim_init(&opt, &cfg, &ctl.params);
  atexit(release);
}

static void check_state(const run_state *s) {
  fuzz_check(s->samples >= 0 && s->evaluated >= 0 && s->hits >= 0 && (s->have_baseline == 0 || s->have_baseline == 1),
             "a checkpoint's counts are out of range");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!space) setup();
  fuzz_write_file("checkpoint.safetensors", data, size);
  const char *dir = fuzz_temp_dir();
  strbuf err;
  strbuf_init(&err);
  run_state s;
  memset(&s, 0, sizeof s);
  if (rundir_read_checkpoint(dir, &s, NULL, NULL, &err) == 0) check_state(&s);
  else fuzz_check(err.len > 0, "a refused checkpoint without a message");
  strbuf_clear(&err);
  memset(&s, 0, sizeof s);
  if (rundir_read_checkpoint(dir, &s, &ctl, &opt, &err) == 0) {
    check_state(&s);
    for (int i = 0; i < ctl.params.items.n; i++) {
      const tensor *t = ctl.params.items.items[i];
      for (int64_t k = 0; k < t->n; k++) fuzz_check(isfinite(t->data[k]), "a weight read back is not finite");
    }
  } else {
    fuzz_check(err.len > 0, "a refused checkpoint without a message");
  }
  strbuf_free(&err);
  return 0;
}

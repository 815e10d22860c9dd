/* lm_bench.c: training throughput of the reference LSTM language model.
 *
 * The LSTM of examples/lstm_cell.nasl (the standard equations, four x and
 * four h projections) in the language-model child: vocabulary 10,000,
 * embedding 200, 2 layers of 200, BPTT 35, batch 20, dropout 0, SGD (lr 20)
 * with gradient-norm clipping at 5, on random token ids. One step is a
 * segment's forward, backward, clipping and update. bench/torch_lstm.py
 * measures nn.LSTM with the same setup; bench/run.sh (make bench) runs both.
 *
 * usage: lm_bench [--threads N] [--warmup W] [--steps S]
 * prints: naslc_lstm threads=N words_per_s=X step_ms=Y params=P peak_rss_mb=M
 * (peak_rss_mb: the process's peak resident memory, getrusage ru_maxrss) */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/clock.h"
#include "common/parse.h"
#include "compiler/compile.h"
#include "runtime/train/lm_train.h"
#include "nn/optim.h"
#include "nn/parallel.h"

static const char lstm_space[] =
    "cell lstm {\n"
    "  f = sigmoid(add(x, h)); i = sigmoid(add(x, h)); g = tanh(add(x, h)); o = sigmoid(add(x, h))\n"
    "  c_new = add(mul(f, c), mul(i, g))\n"
    "  h_new = mul(o, tanh(c_new))\n"
    "  memory: c_new\n"
    "  output: h_new\n"
    "}\n"
    "train { data: text(train: \"none\"); batch: 20; bptt: 35; hidden: 200; layers: 2; dropout: 0\n"
    "  optimizer: sgd(lr: 20); clip: 5 }\n";

enum { VOCAB = 10000, BATCH = 20, BPTT = 35 };

/* A count given on the command line: 0 and *out set, or 1 when it is not a
 * whole number from 0 to INT_MAX. */
static int count_arg(const char *s, int *out) {
  long v;
  if (parse_long(s, 0, INT_MAX, &v)) return 1;
  *out = (int)v;
  return 0;
}

int main(int argc, char **argv) {
  int threads = 1, warmup = 3, steps = 20;
  int bad = 0;
  for (int i = 1; i < argc; i++) {
    if (i + 1 < argc && !strcmp(argv[i], "--threads")) bad |= count_arg(argv[++i], &threads);
    else if (i + 1 < argc && !strcmp(argv[i], "--warmup")) bad |= count_arg(argv[++i], &warmup);
    else if (i + 1 < argc && !strcmp(argv[i], "--steps")) bad |= count_arg(argv[++i], &steps);
    else {
      fprintf(stderr, "usage: lm_bench [--threads N] [--warmup W] [--steps S]\n");
      return 2;
    }
  }
  if (bad || threads < 1 || steps < 1 || warmup < 0) {
    fprintf(stderr, "lm_bench: --threads and --steps must be whole numbers of at least 1, --warmup at least 0\n");
    return 2;
  }
  threads = nn_threads_default(threads);
  nasl_diag d;
  nasl_diag_init(&d, stderr);
  grammar *g = nasl_compile_text("lm_bench.nasl", lstm_space, sizeof lstm_space - 1, NULL, &d);
  nasl_diag_free(&d);
  if (!g) return 1;
  arch a;
  strbuf err;
  strbuf_init(&err);
  if (!arch_from_tokens(g, 0, NULL, 0, &a, &err)) {
    fprintf(stderr, "lm_bench: %s\n", err.data);
    return 1;
  }
  rng r;
  rng_seed(&r, 1);
  lm m;
  if (lm_build(&m, &a, &g->train, VOCAB, &r, &err)) {
    fprintf(stderr, "lm_bench: %s\n", err.data);
    return 1;
  }
  nn_optim opt;
  nn_optimizer ocfg = train_optimizer(&g->train.optimizer);
  nn_optim_init(&opt, &ocfg, &m.params);
  opt.threads = threads;
  nn_ctx ctx;
  nn_ctx_init(&ctx, threads, &r);
  int in[BATCH * BPTT], out[BATCH * BPTT];
  lm_reset_state(&m, BATCH);
  double t0 = 0;
  for (int s = 0; s < warmup + steps; s++) {
    if (s == warmup) t0 = nasl_clock_seconds();
    for (int i = 0; i < BATCH * BPTT; i++) {
      in[i] = (int)rng_below(&r, VOCAB);
      out[i] = (int)rng_below(&r, VOCAB);
    }
    nn_ctx_reset(&ctx);
    ctx.training = 1;
    tensor *loss = lm_segment_loss(&ctx, &m, in, out, BATCH, BPTT);
    if (!loss) {
      fprintf(stderr, "lm_bench: %s\n", ctx.error);
      return 1;
    }
    nn_zero_grad(&m.params, threads);
    lm_backward(&ctx, &m, loss);
    nn_clip_grad_norm_mt(&m.params, 5, threads);
    nn_optim_step(&opt, &m.params, 20);
  }
  double el = nasl_clock_seconds() - t0;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("naslc_lstm threads=%d words_per_s=%.1f step_ms=%.2f params=%lld peak_rss_mb=%.1f\n", threads,
         (double)steps * BATCH * BPTT / el, 1e3 * el / steps, (long long)m.nparams, ru.ru_maxrss / 1024.0);
  nn_ctx_free(&ctx);
  nn_optim_free(&opt);
  lm_free(&m);
  arch_free(&a);
  strbuf_free(&err);
  grammar_free(g);
  return 0;
}

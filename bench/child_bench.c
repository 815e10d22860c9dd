/* child_bench.c: training and evaluation throughput of a child network.
 *
 * By default the reference child network: six layers conv(kh x kw, f,
 * stride 1, same, no bias) -> batch norm -> relu with (kh, kw, f) = (3,3,36)
 * (5,5,48) (3,5,64) (1,7,36) (7,1,48) (3,3,64), then global average pooling
 * -> dense(10) -> softmax cross-entropy, on 1x28x28 inputs. It is written in
 * NASL below and built by the child builder (runtime/models/child.c), so the
 * bench runs the code a search runs and the FLOP count is the builder's.
 * With --space FILE the network is the first architecture `naslc sample FILE
 * --seed N` draws (--seed, default 1), on the same 1x28x28 inputs and 10
 * classes (the Fashion-MNIST shape of the example spaces).
 *
 * A training step is forward + backward + an SGD-momentum update (lr 0.01,
 * momentum 0.9) on batch statistics. With --eval a step is the forward pass
 * of evaluation, as train_evaluate runs it: running statistics, nothing
 * recorded for backward (ctx.training = ctx.record = 0), and batch norm folded
 * into the convolution before it unless --no-fold. Inputs are uniform random
 * images with random labels from a fixed seed.
 *
 * bench/torch_child.py measures the same reference network in PyTorch;
 * bench/run.sh (make bench) runs both and prints the ratio.
 *
 * usage: child_bench [--threads N] [--batch B] [--warmup W] [--steps S] [--eval] [--no-fold]
 *                    [--space FILE [--seed N]] [--memory] [--profile]
 * prints: naslc threads=N batch=B mode=train|eval images_per_s=X step_ms=Y
 *         gflop_per_image=G gflops=R peak_rss_mb=M
 * gflop_per_image is the builder's forward count, times 3 for a training
 * step (the backward pass of a convolution or a dense layer is two products
 * the size of the forward one); gflops is that times images_per_s.
 * peak_rss_mb is the process's peak resident memory (getrusage ru_maxrss).
 * --memory adds to stderr where the step's memory went (see bench/README.md,
 * Memory); --profile the time of each operation (the rest: concatenations,
 * the loss, the forward pass of batchnorm_relu and, in folded evaluation,
 * the convolutions). --no-fold runs concat, conv2d, batchnorm and relu each
 * as its own kernel: no folding in evaluation, no batchnorm_relu and no
 * conv2d_cat. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/clock.h"
#include "common/parse.h"
#include "compiler/compile.h"
#include "nn/optim.h"
#include "nn/parallel.h"
#include "runtime/models/child.h"

static const char reference_space[] =
    "space reference {\n"
    "  layer { conv2d(height: 3, width: 3, filters: 36); batchnorm; relu }\n"
    "  layer { conv2d(height: 5, width: 5, filters: 48); batchnorm; relu }\n"
    "  layer { conv2d(height: 3, width: 5, filters: 64); batchnorm; relu }\n"
    "  layer { conv2d(height: 1, width: 7, filters: 36); batchnorm; relu }\n"
    "  layer { conv2d(height: 7, width: 1, filters: 48); batchnorm; relu }\n"
    "  layer { conv2d(height: 3, width: 3, filters: 64); batchnorm; relu }\n"
    "  head { global_avgpool; dense }\n"
    "}\n";

enum { CHANNELS = 1, SIDE = 28, CLASSES = 10 };

typedef struct bench_options {
  int threads;        /* 0: $NASLC_THREADS or the cores */
  int batch, warmup, steps;
  int eval;           /* time evaluation, not training */
  int fold;           /* evaluation folds batch norm into convolutions */
  const char *space;  /* a .nasl file to sample from, or NULL: the reference */
  int seed;           /* its sampling seed */
  int memory;         /* where the memory went, to stderr */
  int prof;           /* time each operation, to stderr */
} bench_options;

/* ---- the profile: every operation's forward and backward time ---- */

static double fwd_time[NN_OP_COUNT], bwd_time[NN_OP_COUNT];

/* The registry entries of the child, copied with a forward that times the
 * original's: node->op points into timed_ops, timed_orig[i] is the entry
 * timed_ops[i] stands for. */
#define MAX_TIMED 32
static stdlib_op timed_ops[MAX_TIMED];
static const stdlib_op *timed_orig[MAX_TIMED];
static int ntimed;

static tensor *timed_forward(nn_ctx *ctx, const stdlib_node *n, tensor *const *in) {
  const stdlib_op *orig = timed_orig[n->op - timed_ops];
  double t0 = nasl_clock_seconds();
  tensor *y = orig->forward(ctx, n, in);
  fwd_time[orig->kernels[0]] += nasl_clock_seconds() - t0;
  return y;
}

static void time_node(stdlib_node *n) {
  int i = 0;
  while (i < ntimed && timed_orig[i] != n->op) i++;
  if (i == ntimed) {
    if (ntimed == MAX_TIMED || !n->op->forward) return;
    timed_orig[i] = n->op;
    timed_ops[i] = *n->op;
    timed_ops[i].forward = timed_forward;
    ntimed++;
  }
  n->op = &timed_ops[i];
}

/* Points every operation of c at its timed copy, except those the child
 * builder recognises by their entries to join them: with fused, batchnorm
 * and relu (batchnorm_relu) and the conv2d of a layer with several inputs
 * (conv2d_cat); with folded too, every conv2d (their forward time is then in
 * the rest; batchnorm_relu's and conv2d_cat's backward have their own rows). */
static void time_child(child *c, int fused, int folded) {
  for (int i = 0; i <= c->cnn.nlayers; i++) {
    child_layer *l = i < c->cnn.nlayers ? &c->layers[i] : c->head;
    int joined = i < c->cnn.nlayers && c->cnn.layers[i].ninputs > 1; /* conv2d_cat, when fused */
    for (int k = 0; k < l->nops; k++) {
      const stdlib_op *op = l->ops[k].op;
      if (fused && (op == &stdlib_op_batchnorm || op == &stdlib_op_relu)) continue;
      if ((folded || (fused && joined && k == 0)) && op == &stdlib_op_conv2d) continue;
      time_node(&l->ops[k]);
    }
  }
}

/* nn_backward walked op by op, so that each operation's backward time can
 * be added to bwd_time. */
static void backward_timed(nn_ctx *ctx, tensor *loss) {
  float *g = nn_grad(ctx, loss);
  g[0] = 1;
  for (int i = ctx->tape.n - 1; i >= 0; i--) {
    tensor *t = ctx->tape.items[i];
    if (!t->grad) continue;
    double t0 = nasl_clock_seconds();
    t->op->backward(ctx, t);
    bwd_time[t->op->id] += nasl_clock_seconds() - t0;
  }
}

static void print_profile(double fwd_total, double opt_time, int steps) {
  double timed = 0;
  fprintf(stderr, "%-16s %10s %10s   (ms per step)\n", "op", "forward", "backward");
  for (int k = 0; k < NN_OP_COUNT; k++) {
    timed += fwd_time[k];
    if (fwd_time[k] > 0 || bwd_time[k] > 0)
      fprintf(stderr, "%-16s %10.2f %10.2f\n", nn_ops[k].name, 1000 * fwd_time[k] / steps, 1000 * bwd_time[k] / steps);
  }
  fprintf(stderr, "%-16s %10.2f\n", "(the rest)", 1000 * (fwd_total - timed) / steps);
  if (opt_time > 0) fprintf(stderr, "%-16s %10.2f\n", "sgd step", 1000 * opt_time / steps);
}

/* ---- options ---- */

/* A count given on the command line: 0 and *out set, or 1 when it is not a
 * whole number from 0 to INT_MAX. */
static int count_arg(const char *s, int *out) {
  long v;
  if (parse_long(s, 0, INT_MAX, &v)) return 1;
  *out = (int)v;
  return 0;
}

/* Returns 0, or 2 (the exit status) after a usage message. */
static int parse_options(int argc, char **argv, bench_options *o) {
  *o = (bench_options){0, 64, 5, 30, 0, 1, NULL, 1, 0, 0};
  int bad = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--profile")) o->prof = 1;
    else if (!strcmp(argv[i], "--eval")) o->eval = 1;
    else if (!strcmp(argv[i], "--no-fold")) o->fold = 0;
    else if (!strcmp(argv[i], "--memory")) o->memory = 1;
    else if (i + 1 < argc && !strcmp(argv[i], "--space")) o->space = argv[++i];
    else if (i + 1 < argc && !strcmp(argv[i], "--seed")) bad |= count_arg(argv[++i], &o->seed);
    else if (i + 1 < argc && !strcmp(argv[i], "--threads")) bad |= count_arg(argv[++i], &o->threads);
    else if (i + 1 < argc && !strcmp(argv[i], "--batch")) bad |= count_arg(argv[++i], &o->batch);
    else if (i + 1 < argc && !strcmp(argv[i], "--warmup")) bad |= count_arg(argv[++i], &o->warmup);
    else if (i + 1 < argc && !strcmp(argv[i], "--steps")) bad |= count_arg(argv[++i], &o->steps);
    else {
      fprintf(stderr, "usage: child_bench [--threads N] [--batch B] [--warmup W] [--steps S] [--eval] [--no-fold]\n"
                      "                   [--space FILE [--seed N]] [--memory] [--profile]\n");
      return 2;
    }
  }
  if (bad || o->batch < 1 || o->steps < 1) {
    fprintf(stderr, "child_bench: --batch and --steps must be whole numbers of at least 1, "
                    "--threads, --warmup and --seed at least 0\n");
    return 2;
  }
  return 0;
}

/* ---- the network ---- */

/* The reference network, or the first sample of o->space: 0, or 1 after a
 * message. */
static int build_child(const bench_options *o, rng *r, grammar **g, arch *a, child *c) {
  nasl_diag d;
  nasl_diag_init(&d, stderr);
  nasl_options opt = {NULL, 0, stdlib_check_decl};
  *g = o->space ? nasl_compile_file(o->space, &opt, &d)
                : nasl_compile_text("reference.nasl", reference_space, sizeof reference_space - 1, &opt, &d);
  nasl_diag_free(&d);
  if (!*g) return 1;
  rng draw;
  rng_seed(&draw, (uint64_t)o->seed);
  if (!arch_generate(*g, 0, arch_choose_uniform, &draw, a)) {
    fprintf(stderr, "child_bench: %s has no architecture to draw\n", o->space ? o->space : "the reference");
    return 1;
  }
  strbuf err;
  strbuf_init(&err);
  int rc = child_build(c, a, (child_shape){CHANNELS, SIDE, SIDE}, CLASSES, r, &err);
  if (rc) fprintf(stderr, "child_bench: %s\n", err.data);
  strbuf_free(&err);
  return rc ? 1 : 0;
}

/* The step's memory after its forward pass (fwd) and at its end, in MB. */
static void print_memory(const child *c, const nn_ctx *ctx, size_t fwd, size_t end, int batch) {
  const double mb = 1.0 / (1 << 20);
  fprintf(stderr, "memory: parameters %.1f MB (x%d with gradients and momentum)\n", c->nparams * 4 * mb, 3);
  fprintf(stderr, "memory: operation outputs by shape inference %.1f MB (%lld floats per image x %d)\n",
          (double)c->activations * 4 * batch * mb, (long long)c->activations, batch);
  fprintf(stderr, "memory: step arena after forward %.1f MB, after backward %.1f MB\n", fwd * mb, end * mb);
  fprintf(stderr, "memory: convolution scratch (im2col) %.1f MB\n", ctx->scratch_len * 4 * mb);
}

/* ---- the loop ---- */

int main(int argc, char **argv) {
  bench_options o;
  int rc = parse_options(argc, argv, &o);
  if (rc) return rc;
  int threads = nn_threads_default(o.threads), batch = o.batch;
  rng r;
  rng_seed(&r, 1);
  grammar *g = NULL;
  arch a;
  child c;
  if (build_child(&o, &r, &g, &a, &c)) return 1;
  c.fold_batchnorm = c.fuse_batchnorm_relu = c.conv_concat = o.fold;
  if (o.prof) time_child(&c, o.fold, o.eval && o.fold);
  nn_optimizer cfg = {NN_SGD, 0.01, 0.9, 0, 0, 0, 0, 0};
  nn_optim opt;
  nn_optim_init(&opt, &cfg, &c.params);
  opt.threads = threads;
  nn_ctx ctx;
  nn_ctx_init(&ctx, threads, &r);
  ctx.training = ctx.record = !o.eval;
  size_t image = (size_t)CHANNELS * SIDE * SIDE;
  float *images = xmalloc(sizeof(float) * (size_t)batch * image);
  int *labels = xmalloc(sizeof(int) * (size_t)batch);
  for (size_t i = 0; i < batch * image; i++) images[i] = (float)rng_uniform(&r);
  for (int i = 0; i < batch; i++) labels[i] = (int)rng_below(&r, CLASSES);
  double fwd_total = 0, opt_time = 0, t_start = 0;
  size_t mem_fwd = 0, mem_end = 0;
  for (int step = 0; step < o.warmup + o.steps; step++) {
    if (step == o.warmup) { /* the clock and the profile start after the warm-up */
      t_start = nasl_clock_seconds();
      memset(fwd_time, 0, sizeof fwd_time);
      memset(bwd_time, 0, sizeof bwd_time);
      fwd_total = opt_time = 0;
    }
    nn_ctx_reset(&ctx);
    double t0 = nasl_clock_seconds();
    tensor *x = nn_new4(&ctx, batch, CHANNELS, SIDE, SIDE);
    memcpy(x->data, images, sizeof(float) * batch * image);
    tensor *loss = nn_softmax_xent(&ctx, child_forward(&ctx, &c, x), labels);
    if (!loss) {
      fprintf(stderr, "child_bench: %s\n", ctx.error);
      return 1;
    }
    fwd_total += nasl_clock_seconds() - t0;
    mem_fwd = ctx.mem.total;
    if (!o.eval) {
      nn_params_zero_grad(&c.params);
      if (o.prof) backward_timed(&ctx, loss);
      else nn_backward(&ctx, loss);
      t0 = nasl_clock_seconds();
      nn_optim_step(&opt, &c.params, 0.01);
      opt_time += nasl_clock_seconds() - t0;
    }
    mem_end = ctx.mem.total;
  }
  double elapsed = nasl_clock_seconds() - t_start, per_s = (double)batch * o.steps / elapsed;
  double gflop = (double)c.flops * (o.eval ? 1 : 3) / 1e9;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("naslc threads=%d batch=%d mode=%s images_per_s=%.1f step_ms=%.2f gflop_per_image=%.4f gflops=%.1f "
         "peak_rss_mb=%.1f\n", threads, batch, o.eval ? "eval" : "train", per_s, 1000 * elapsed / o.steps, gflop,
         gflop * per_s, ru.ru_maxrss / 1024.0);
  if (o.memory) print_memory(&c, &ctx, mem_fwd, mem_end, batch);
  if (o.prof) print_profile(fwd_total, opt_time, o.steps);
  free(images);
  free(labels);
  nn_ctx_free(&ctx);
  nn_optim_free(&opt);
  child_free(&c);
  arch_free(&a);
  grammar_free(g);
  return 0;
}

/* child_bench.c: training throughput of the reference child network.
 *
 * Six layers conv(kh x kw, f, stride 1, same, no bias) -> batch norm -> relu
 * with (kh, kw, f) = (3,3,36) (5,5,48) (3,5,64) (1,7,36) (7,1,48) (3,3,64),
 * then global average pooling -> dense(10) -> softmax cross-entropy, on
 * 1x28x28 inputs; one step is forward + backward + an SGD-momentum update.
 * bench/torch_child.py measures the same network in PyTorch; bench/run.sh
 * (make bench) runs both and prints the ratio.
 *
 * usage: child_bench [--threads N] [--batch B] [--warmup W] [--steps S] [--profile]
 * prints: naslc threads=N batch=B images_per_s=X step_ms=Y */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>

#include "common/clock.h"
#include "common/parse.h"
#include "stdlib/ops.h"
#include "nn/optim.h"
#include "nn/parallel.h"

static const int layers[6][3] = {{3, 3, 36}, {5, 5, 48}, {3, 5, 64}, {1, 7, 36}, {7, 1, 48}, {3, 3, 64}};

typedef struct net {
  tensor *w[6], *g[6], *b[6], *rm[6], *rv[6], *dw, *db;
} net;

static double fwd_time[NN_OP_COUNT];

#define TIMED(op, expr)             \
  ({                                \
    double t0_ = prof ? nasl_clock_seconds() : 0;  \
    tensor *r_ = (expr);            \
    if (prof) fwd_time[op] += nasl_clock_seconds() - t0_; \
    r_;                             \
  })

typedef struct bench_options {
  int threads; /* 0: $NASLC_THREADS or the cores */
  int batch, warmup, steps;
  int prof;    /* time each operation */
} bench_options;

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
  *o = (bench_options){0, 64, 5, 30, 0};
  int bad = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--profile")) o->prof = 1;
    else if (i + 1 < argc && !strcmp(argv[i], "--threads")) bad |= count_arg(argv[++i], &o->threads);
    else if (i + 1 < argc && !strcmp(argv[i], "--batch")) bad |= count_arg(argv[++i], &o->batch);
    else if (i + 1 < argc && !strcmp(argv[i], "--warmup")) bad |= count_arg(argv[++i], &o->warmup);
    else if (i + 1 < argc && !strcmp(argv[i], "--steps")) bad |= count_arg(argv[++i], &o->steps);
    else {
      fprintf(stderr, "usage: child_bench [--threads N] [--batch B] [--warmup W] [--steps S] [--profile]\n");
      return 2;
    }
  }
  if (bad || o->threads < 0 || o->batch < 1 || o->steps < 1 || o->warmup < 0) {
    fprintf(stderr, "child_bench: --batch and --steps must be whole numbers of at least 1, "
                    "--threads and --warmup at least 0\n");
    return 2;
  }
  return 0;
}

/* The six layers and the head, initialised as runtime/models/child.c does:
 * He for convolutions, Glorot for the dense layer. */
static void build_net(nn_params *p, net *n, rng *r) {
  int cin = 1;
  for (int l = 0; l < 6; l++) {
    int f = layers[l][2], wne[4] = {f, cin, layers[l][0], layers[l][1]}, c[1] = {f};
    char name[64];
    snprintf(name, sizeof name, "layer.%d.conv2d.weight", l);
    n->w[l] = nn_param(p, name, 4, wne);
    nn_init_he(n->w[l], r, cin * layers[l][0] * layers[l][1]);
    snprintf(name, sizeof name, "layer.%d.batchnorm.weight", l);
    n->g[l] = nn_param(p, name, 1, c);
    nn_init_const(n->g[l], 1);
    snprintf(name, sizeof name, "layer.%d.batchnorm.bias", l);
    n->b[l] = nn_param(p, name, 1, c);
    snprintf(name, sizeof name, "layer.%d.batchnorm.running_mean", l);
    n->rm[l] = nn_param(p, name, 1, c);
    snprintf(name, sizeof name, "layer.%d.batchnorm.running_var", l);
    n->rv[l] = nn_param(p, name, 1, c);
    nn_init_const(n->rv[l], 1);
    n->rm[l]->requires_grad = n->rv[l]->requires_grad = 0;
    cin = f;
  }
  int dne[2] = {10, cin}, d10[1] = {10};
  n->dw = nn_param(p, "head.dense.weight", 2, dne);
  nn_init_glorot(n->dw, r, cin, 10);
  n->db = nn_param(p, "head.dense.bias", 1, d10);
}

/* The forward pass to the loss; with prof, each operation's time goes to
 * fwd_time. NULL when an operation fails (ctx->error says why). */
static tensor *forward_loss(nn_ctx *ctx, const net *n, const float *images, const int *labels, int batch, int prof) {
  tensor *x = nn_new4(ctx, batch, 1, 28, 28);
  memcpy(x->data, images, sizeof(float) * (size_t)batch * 784);
  for (int l = 0; l < 6; l++) {
    x = TIMED(NN_CONV2D, nn_conv2d(ctx, x, n->w[l], NULL, 1));
    x = TIMED(NN_BATCHNORM, nn_batchnorm(ctx, x, n->g[l], n->b[l], n->rm[l], n->rv[l], 0.1f, 1e-5f));
    x = TIMED(NN_RELU, nn_relu(ctx, x));
  }
  x = TIMED(NN_GLOBAL_AVGPOOL, nn_global_avgpool(ctx, x));
  x = TIMED(NN_DENSE, nn_dense(ctx, x, n->dw, n->db));
  return TIMED(NN_SOFTMAX_XENT, nn_softmax_xent(ctx, x, labels));
}

/* nn_backward walked op by op, so that each operation's backward time can
 * be added to bwd_time. */
static void backward_timed(nn_ctx *ctx, tensor *loss, double *bwd_time) {
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

static void print_profile(const double *bwd_time, double opt_time, int steps) {
  fprintf(stderr, "%-16s %10s %10s   (ms per step)\n", "op", "forward", "backward");
  for (int k = 0; k < NN_OP_COUNT; k++)
    if (fwd_time[k] > 0 || bwd_time[k] > 0)
      fprintf(stderr, "%-16s %10.2f %10.2f\n", nn_ops[k].name, 1000 * fwd_time[k] / steps, 1000 * bwd_time[k] / steps);
  fprintf(stderr, "%-16s %10.2f\n", "sgd step", 1000 * opt_time / steps);
}

int main(int argc, char **argv) {
  bench_options opt;
  int rc = parse_options(argc, argv, &opt);
  if (rc) return rc;
  int threads = nn_threads_default(opt.threads), batch = opt.batch, steps = opt.steps;
  rng r;
  rng_seed(&r, 1);
  nn_params p;
  nn_params_init(&p);
  net n;
  build_net(&p, &n, &r);
  nn_optimizer cfg = {NN_SGD, 0.01, 0.9, 0, 0, 0, 0, 0};
  nn_optim o;
  nn_optim_init(&o, &cfg, &p);
  nn_ctx ctx;
  nn_ctx_init(&ctx, threads, &r);
  float *images = malloc(sizeof(float) * (size_t)batch * 784);
  int *labels = malloc(sizeof(int) * (size_t)batch);
  for (int i = 0; i < batch * 784; i++) images[i] = (float)rng_uniform(&r);
  for (int i = 0; i < batch; i++) labels[i] = (int)rng_below(&r, 10);
  double bwd_time[NN_OP_COUNT] = {0}, opt_time = 0, t_start = 0;
  for (int step = 0; step < opt.warmup + steps; step++) {
    if (step == opt.warmup) { /* the clock and the profile start after the warm-up */
      t_start = nasl_clock_seconds();
      memset(fwd_time, 0, sizeof fwd_time);
      memset(bwd_time, 0, sizeof bwd_time);
      opt_time = 0;
    }
    nn_ctx_reset(&ctx);
    tensor *loss = forward_loss(&ctx, &n, images, labels, batch, opt.prof);
    if (!loss) {
      fprintf(stderr, "child_bench: %s\n", ctx.error);
      return 1;
    }
    nn_params_zero_grad(&p);
    if (opt.prof) backward_timed(&ctx, loss, bwd_time);
    else nn_backward(&ctx, loss);
    double t0 = nasl_clock_seconds();
    nn_optim_step(&o, &p, 0.01);
    opt_time += nasl_clock_seconds() - t0;
  }
  double elapsed = nasl_clock_seconds() - t_start;
  printf("naslc threads=%d batch=%d images_per_s=%.1f step_ms=%.2f\n", threads, batch,
         (double)batch * steps / elapsed, 1000 * elapsed / steps);
  if (opt.prof) print_profile(bwd_time, opt_time, steps);
  free(images);
  free(labels);
  nn_ctx_free(&ctx);
  nn_optim_free(&o);
  nn_params_free(&p);
  return 0;
}

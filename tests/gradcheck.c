/* gradcheck.c: every differentiable operation against central finite
 * differences, in every configuration that matters, plus forward results on
 * small cases computed by hand.
 *
 * For an operation y = f(x1, x2, ...), the test takes L = sum(y * R) for a
 * fixed random R, gets dL/dxk from nn_backward, and compares a sample of its
 * entries with (L(x + e) - L(x - e)) / 2e. Inputs of piecewise operations
 * (relu, max pooling) are kept away from their kinks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stdlib/extern.h"
#include "stdlib/ops.h"
#include "stdlib/kernels.h"
#include "nn/parallel.h"
#include "tap.h"

#define MAX_IN 6

typedef struct gcase {
  const char *name;
  int nin;                       /* inputs */
  int ndim[MAX_IN];              /* their shapes */
  int ne[MAX_IN][4];
  int no_grad[MAX_IN];           /* inputs not differentiated (e.g. running stats) */
  tensor *(*build)(nn_ctx *ctx, tensor **in, const struct gcase *c);
  int ip[4];                     /* case parameters */
  float fp[2];
  int training;                  /* ctx->training */
  int threads;                   /* ctx->nthreads */
  float away;                    /* keep |x| at least this (kinks) */
  float eps;                     /* finite-difference step */
} gcase;

static rng R;
static tensor *b_maxpool(nn_ctx *ctx, tensor **in, const struct gcase *c);
static tensor *(*const b_maxpool_ptr)(nn_ctx *, tensor **, const struct gcase *) = b_maxpool;
static tensor *b_bn(nn_ctx *ctx, tensor **in, const struct gcase *c);
static tensor *b_bn_relu(nn_ctx *ctx, tensor **in, const struct gcase *c);

static double loss_of(nn_ctx *ctx, tensor **in, const gcase *c, const float *weights, tensor **out) {
  nn_ctx_reset(ctx);
  rng_seed(ctx->rng, 1234); /* the same dropout mask every time */
  tensor *y = c->build(ctx, in, c);
  if (out) *out = y;
  if (!y) return NAN;
  double l = 0;
  for (int64_t i = 0; weights && i < y->n; i++) l += (double)y->data[i] * weights[i];
  return l;
}

static void run_case(const gcase *c) {
  nn_params store;
  nn_params_init(&store);
  tensor *in[MAX_IN];
  for (int k = 0; k < c->nin; k++) {
    in[k] = nn_param(&store, "in", c->ndim[k], c->ne[k]);
    nn_init_uniform(in[k], &R, -1, 1);
    if (c->away > 0)
      for (int64_t i = 0; i < in[k]->n; i++) {
        float v = in[k]->data[i];
        if (fabsf(v) < c->away) in[k]->data[i] = v < 0 ? v - c->away : v + c->away;
      }
    in[k]->requires_grad = !c->no_grad[k];
  }
  if ((c->build == b_bn || c->build == b_bn_relu) && c->nin == 5) /* a running variance is positive */
    for (int64_t i = 0; i < in[4]->n; i++) in[4]->data[i] = fabsf(in[4]->data[i]) + 0.1f;
  if (c->build == b_maxpool_ptr) { /* distinct values 0.01 apart: no near-ties for the max to flip between */
    tensor *x = in[0];
    for (int64_t i = 0; i < x->n; i++) x->data[i] = (float)i * 0.01f;
    for (int64_t i = x->n - 1; i > 0; i--) {
      int64_t j = (int64_t)rng_below(&R, (uint64_t)i + 1);
      float t = x->data[i];
      x->data[i] = x->data[j];
      x->data[j] = t;
    }
  }
  rng dr;
  nn_ctx ctx;
  nn_ctx_init(&ctx, c->threads ? c->threads : 1, &dr);
  ctx.training = c->training;
  tensor *y;
  ctx.record = 1;
  loss_of(&ctx, in, c, NULL, &y); /* learn the output size */
  if (!y) {
    tap_result(0, "gradient of %s: %s", c->name, ctx.error);
    nn_ctx_free(&ctx);
    nn_params_free(&store);
    return;
  }
  int64_t ny = y->n;
  float *w = malloc(sizeof(float) * (size_t)ny);
  for (int64_t i = 0; i < ny; i++) w[i] = (float)(rng_uniform(&R) * 2 - 1);
  nn_params_zero_grad(&store);
  loss_of(&ctx, in, c, w, &y);
  /* backward of sum(y * w): seed y's gradient with w */
  if (y->requires_grad) {
    float *g = nn_grad(&ctx, y);
    memcpy(g, w, sizeof(float) * (size_t)ny);
    for (int i = ctx.tape.n - 1; i >= 0; i--) {
      tensor *t = ctx.tape.items[i];
      if (t->grad) t->op->backward(&ctx, t);
    }
  }
  float eps = c->eps > 0 ? c->eps : 1e-2f;
  double worst = 0;
  int checked = 0, bad = 0;
  for (int k = 0; k < c->nin; k++) {
    if (c->no_grad[k]) continue;
    int64_t n = in[k]->n, step = n > 48 ? n / 48 : 1;
    for (int64_t i = 0; i < n; i += step) {
      float keep = in[k]->data[i];
      in[k]->data[i] = keep + eps;
      double lp = loss_of(&ctx, in, c, w, NULL);
      in[k]->data[i] = keep - eps;
      double lm = loss_of(&ctx, in, c, w, NULL);
      in[k]->data[i] = keep;
      double num = (lp - lm) / (2 * eps), ana = in[k]->grad[i];
      double err = fabs(num - ana) / (1e-2 + fabs(num) + fabs(ana));
      if (err != err) err = INFINITY; /* a NaN on either side is a failure, not a pass */
      if (err > worst) worst = err;
      if (err > 2e-2) {
        if (bad++ < 3) tap_diag("%s: input %d [%lld]: analytic %.6f numeric %.6f", c->name, k, (long long)i, ana, num);
      }
      checked++;
    }
  }
  tap_result(bad == 0 && checked > 0, "gradient of %s (%d entries, worst relative error %.2e)", c->name, checked, worst);
  free(w);
  nn_ctx_free(&ctx);
  nn_params_free(&store);
}

/* ---- builders ---- */

static tensor *b_conv(nn_ctx *ctx, tensor **in, const gcase *c) {
  return nn_conv2d(ctx, in[0], in[1], c->nin > 2 ? in[2] : NULL, c->ip[0]);
}
/* three maps of different sizes joined, then the convolution (ip: stride; 1x1 or 3x3 by the weights) */
static tensor *b_dwconv(nn_ctx *ctx, tensor **in, const gcase *c) {
  return nn_dwconv2d(ctx, in[0], in[1], c->ip[0], c->ip[1]);
}

static tensor *b_conv_cat(nn_ctx *ctx, tensor **in, const gcase *c) {
  return nn_conv2d_cat(ctx, in, 3, in[3], c->nin > 4 ? in[4] : NULL, c->ip[0]);
}
static tensor *b_maxpool(nn_ctx *ctx, tensor **in, const gcase *c) { return nn_maxpool(ctx, in[0], c->ip[0], c->ip[1]); }
static tensor *b_avgpool(nn_ctx *ctx, tensor **in, const gcase *c) { return nn_avgpool(ctx, in[0], c->ip[0], c->ip[1]); }
static tensor *b_gap(nn_ctx *ctx, tensor **in, const gcase *c) { (void)c; return nn_global_avgpool(ctx, in[0]); }
static tensor *b_bn(nn_ctx *ctx, tensor **in, const gcase *c) {
  return nn_batchnorm(ctx, in[0], in[1], in[2], in[3], in[4], 0.1f, c->fp[0]);
}
static tensor *b_bn_relu(nn_ctx *ctx, tensor **in, const gcase *c) {
  return nn_batchnorm_relu(ctx, in[0], in[1], in[2], in[3], in[4], 0.1f, c->fp[0]);
}
static tensor *b_dropout(nn_ctx *ctx, tensor **in, const gcase *c) { return nn_dropout(ctx, in[0], c->fp[0]); }
static tensor *b_clip_rows(nn_ctx *ctx, tensor **in, const gcase *c) { return nn_clip_rows(ctx, in[0], c->fp[0]); }
static tensor *b_relu(nn_ctx *ctx, tensor **in, const gcase *c) { (void)c; return nn_relu(ctx, in[0]); }
static tensor *b_tanh(nn_ctx *ctx, tensor **in, const gcase *c) { (void)c; return nn_tanh(ctx, in[0]); }
static tensor *b_sigmoid(nn_ctx *ctx, tensor **in, const gcase *c) { (void)c; return nn_sigmoid(ctx, in[0]); }
static tensor *b_logsig(nn_ctx *ctx, tensor **in, const gcase *c) {
  return nn_log_sigmoid(ctx, nn_scale(ctx, in[0], c->fp[0]));
}
static tensor *b_exp(nn_ctx *ctx, tensor **in, const gcase *c) { (void)c; return nn_exp(ctx, in[0]); }
static tensor *b_add(nn_ctx *ctx, tensor **in, const gcase *c) { (void)c; return nn_add(ctx, in[0], in[1]); }
static tensor *b_sub(nn_ctx *ctx, tensor **in, const gcase *c) { (void)c; return nn_sub(ctx, in[0], in[1]); }
static tensor *b_mul(nn_ctx *ctx, tensor **in, const gcase *c) { (void)c; return nn_mul(ctx, in[0], in[1]); }
static tensor *b_scale(nn_ctx *ctx, tensor **in, const gcase *c) { return nn_scale(ctx, in[0], c->fp[0]); }
static tensor *b_sum(nn_ctx *ctx, tensor **in, const gcase *c) { (void)c; return nn_sum(ctx, in[0]); }
static tensor *b_slice(nn_ctx *ctx, tensor **in, const gcase *c) { return nn_slice(ctx, in[0], c->ip[0], c->ip[1]); }
static tensor *b_reshape(nn_ctx *ctx, tensor **in, const gcase *c) {
  int ne[2] = {c->ip[0], c->ip[1]};
  return nn_reshape(ctx, in[0], 2, ne);
}
static tensor *b_concat(nn_ctx *ctx, tensor **in, const gcase *c) { return nn_concat(ctx, in, c->nin); }
static tensor *b_dense(nn_ctx *ctx, tensor **in, const gcase *c) {
  return nn_dense(ctx, in[0], in[1], c->nin > 2 ? in[2] : NULL);
}
static tensor *b_embedding(nn_ctx *ctx, tensor **in, const gcase *c) {
  static const int ids[] = {2, 0, 2, 4, 1};
  (void)c;
  return nn_embedding(ctx, in[0], ids, 5);
}
static tensor *b_xent(nn_ctx *ctx, tensor **in, const gcase *c) {
  static const int labels[] = {1, 0, 3, 2, 3};
  (void)c;
  return nn_softmax_xent(ctx, in[0], labels);
}
static tensor *b_logsoftmax(nn_ctx *ctx, tensor **in, const gcase *c) { (void)c; return nn_log_softmax(ctx, in[0]); }
static tensor *b_pick(nn_ctx *ctx, tensor **in, const gcase *c) {
  static const int idx[] = {3, 0, 1};
  (void)c;
  return nn_pick(ctx, nn_log_softmax(ctx, in[0]), idx);
}

#define SHAPE4(a, b, c, d) 4, {a, b, c, d}

static void gradient_checks(void) {
  struct { const char *name; int kh, kw, stride, bias, threads; } convs[] = {
      {"conv2d 3x3 stride 1", 3, 3, 1, 0, 1}, {"conv2d 1x7 stride 1", 1, 7, 1, 0, 1},
      {"conv2d 7x1 stride 1", 7, 1, 1, 0, 1}, {"conv2d 5x3 stride 2 with bias", 5, 3, 2, 1, 1},
      {"conv2d 3x3 stride 3", 3, 3, 3, 0, 1}, {"conv2d 2x4 (even) stride 2", 2, 4, 2, 0, 1},
      {"conv2d 4x2 (even) stride 1", 4, 2, 1, 0, 1},
      {"conv2d 1x1 stride 1 (no im2col)", 1, 1, 1, 1, 1}, {"conv2d 1x1 stride 2", 1, 1, 2, 0, 1},
      {"conv2d 7x7 stride 1, 2 threads", 7, 7, 1, 1, 2}, {"conv2d 3x5 stride 2, 2 threads", 3, 5, 2, 0, 2},
  };
  for (size_t i = 0; i < sizeof convs / sizeof convs[0]; i++) {
    gcase c = {convs[i].name, convs[i].bias ? 3 : 2, {4, 4, 1}, {{3, 2, 8, 7}, {3, 2, convs[i].kh, convs[i].kw}, {3}},
               {0}, b_conv, {convs[i].stride}, {0}, 1, convs[i].threads, 0, 1e-2f};
    run_case(&c);
  }
  /* a patch matrix of more rows than conv.c makes at once (90 rows of 784
   * positions: blocks of 83), stride 1 and 2 */
  gcase blocked[] = {
      {"conv2d 3x3 stride 1 on 10x28x28 (patch rows in two blocks)", 2, {4, 4}, {{2, 10, 28, 28}, {3, 10, 3, 3}},
       {0}, b_conv, {1}, {0}, 1, 2, 0, 1e-2f},
      {"conv2d 5x5 stride 2 on 12x29x30 (patch rows in two blocks)", 2, {4, 4}, {{1, 12, 29, 30}, {2, 12, 5, 5}},
       {0}, b_conv, {2}, {0}, 1, 1, 0, 1e-2f},
  };
  for (size_t i = 0; i < sizeof blocked / sizeof blocked[0]; i++) run_case(&blocked[i]);
  /* conv2d_cat: maps of 2, 3 and 1 channels, of different heights and
   * widths (the smaller padded bottom and right), as a layer with three inputs */
  gcase cats[] = {
      {"conv2d_cat of three maps, 3x3 stride 1 with bias", 5, {4, 4, 4, 4, 1},
       {{2, 2, 6, 5}, {2, 3, 4, 5}, {2, 1, 6, 3}, {3, 6, 3, 3}, {3}}, {0}, b_conv_cat, {1}, {0}, 1, 1, 0, 1e-2f},
      {"conv2d_cat of three maps, 3x3 stride 2, 2 threads", 4, {4, 4, 4, 4},
       {{2, 2, 6, 5}, {2, 3, 4, 5}, {2, 1, 6, 3}, {2, 6, 3, 3}}, {0}, b_conv_cat, {2}, {0}, 1, 2, 0, 1e-2f},
      {"conv2d_cat of three maps, 1x1 (no patches)", 4, {4, 4, 4, 4},
       {{2, 2, 6, 5}, {2, 3, 4, 5}, {2, 1, 6, 3}, {4, 6, 1, 1}}, {0}, b_conv_cat, {1}, {0}, 1, 2, 0, 1e-2f},
  };
  for (size_t i = 0; i < sizeof cats / sizeof cats[0]; i++) run_case(&cats[i]);
  gcase cases[] = {
      {"dwconv2d 3x3 stride 1", 2, {4, 4}, {{2, 3, 6, 5}, {3, 1, 3, 3}}, {0}, b_dwconv, {1, 1}, {0}, 1, 1, 0, 1e-2f},
      {"dwconv2d 5x5 stride 2", 2, {4, 4}, {{2, 2, 7, 8}, {2, 1, 5, 5}}, {0}, b_dwconv, {2, 1}, {0}, 1, 1, 0, 1e-2f},
      {"dwconv2d 3x3 dilation 2 (dil_conv)", 2, {4, 4}, {{2, 3, 7, 7}, {3, 1, 3, 3}}, {0}, b_dwconv, {1, 2}, {0}, 1, 1,
       0, 1e-2f},
      {"dwconv2d 5x5 dilation 2 stride 2, 2 threads", 2, {4, 4}, {{3, 4, 9, 8}, {4, 1, 5, 5}}, {0}, b_dwconv, {2, 2},
       {0}, 1, 2, 0, 1e-2f},
      {"dwconv2d 2x2 (even), 2 threads", 2, {4, 4}, {{2, 2, 5, 6}, {2, 1, 2, 2}}, {0}, b_dwconv, {1, 1}, {0}, 1, 2, 0,
       1e-2f},
      {"maxpool 2x2 stride 2", 1, {4}, {{2, 3, 6, 6}}, {0}, b_maxpool, {2, 2}, {0}, 1, 1, 0, 1e-3f},
      {"maxpool 3x3 stride 1 (same padding)", 1, {4}, {{2, 2, 5, 5}}, {0}, b_maxpool, {3, 1}, {0}, 1, 1, 0, 1e-3f},
      {"maxpool 3x3 stride 2, odd map", 1, {4}, {{1, 2, 7, 5}}, {0}, b_maxpool, {3, 2}, {0}, 1, 1, 0, 1e-3f},
      {"avgpool 2x2 stride 2", 1, {4}, {{2, 3, 6, 6}}, {0}, b_avgpool, {2, 2}, {0}, 1, 1, 0, 1e-2f},
      {"avgpool 3x3 stride 1 (padding left out)", 1, {4}, {{2, 2, 5, 5}}, {0}, b_avgpool, {3, 1}, {0}, 1, 1, 0, 1e-2f},
      {"avgpool 3x3 stride 3", 1, {4}, {{1, 2, 7, 8}}, {0}, b_avgpool, {3, 3}, {0}, 1, 1, 0, 1e-2f},
      {"global average pooling", 1, {4}, {{3, 4, 5, 6}}, {0}, b_gap, {0}, {0}, 1, 1, 0, 1e-2f},
      {"batchnorm [N,C,H,W] training", 5, {4, 1, 1, 1, 1}, {{4, 3, 3, 2}, {3}, {3}, {3}, {3}}, {0, 0, 0, 1, 1}, b_bn,
       {0}, {1e-5f}, 1, 1, 0, 1e-2f},
      {"batchnorm [N,C] training", 5, {2, 1, 1, 1, 1}, {{6, 4}, {4}, {4}, {4}, {4}}, {0, 0, 0, 1, 1}, b_bn, {0},
       {1e-5f}, 1, 1, 0, 1e-2f},
      {"batchnorm [N,C,H,W] evaluation", 5, {4, 1, 1, 1, 1}, {{3, 3, 2, 2}, {3}, {3}, {3}, {3}}, {0, 0, 0, 1, 1}, b_bn,
       {0}, {0.5f}, 0, 1, 0, 1e-2f},
      {"batchnorm_relu [N,C,H,W] training", 5, {4, 1, 1, 1, 1}, {{4, 3, 3, 2}, {3}, {3}, {3}, {3}}, {0, 0, 0, 1, 1},
       b_bn_relu, {0}, {1e-5f}, 1, 1, 0, 1e-3f},
      {"batchnorm_relu [N,C] training, 2 threads", 5, {2, 1, 1, 1, 1}, {{6, 4}, {4}, {4}, {4}, {4}}, {0, 0, 0, 1, 1},
       b_bn_relu, {0}, {1e-5f}, 1, 2, 0, 1e-3f},
      {"batchnorm_relu [N,C,H,W] evaluation", 5, {4, 1, 1, 1, 1}, {{3, 3, 2, 2}, {3}, {3}, {3}, {3}},
       {0, 0, 0, 1, 1}, b_bn_relu, {0}, {0.5f}, 0, 1, 0, 1e-3f},
      {"dropout 0.3 training", 1, {4}, {{2, 3, 4, 4}}, {0}, b_dropout, {0}, {0.3f}, 1, 1, 0, 1e-2f},
      {"dropout evaluation (identity)", 1, {4}, {{2, 3, 4, 4}}, {0}, b_dropout, {0}, {0.3f}, 0, 1, 0, 1e-2f},
      {"clip_rows, some rows clipped", 1, {2}, {{8, 5}}, {0}, b_clip_rows, {0}, {1.25f}, 1, 1, 0, 1e-3f},
      {"clip_rows, every row clipped", 1, {4}, {{4, 3, 2, 2}}, {0}, b_clip_rows, {0}, {0.5f}, 1, 1, 0, 1e-3f},
      {"clip_rows, no row clipped", 1, {2}, {{4, 6}}, {0}, b_clip_rows, {0}, {100.0f}, 1, 1, 0, 1e-3f},
      {"relu", 1, {4}, {{2, 3, 4, 4}}, {0}, b_relu, {0}, {0}, 1, 1, 0.05f, 1e-2f},
      {"tanh", 1, {2}, {{5, 7}}, {0}, b_tanh, {0}, {0}, 1, 1, 0, 1e-2f},
      {"sigmoid", 1, {2}, {{5, 7}}, {0}, b_sigmoid, {0}, {0}, 1, 1, 0, 1e-2f},
      {"log_sigmoid, large inputs too", 1, {2}, {{5, 7}}, {0}, b_logsig, {0}, {30.0f}, 1, 1, 0, 1e-3f},
      {"exp", 1, {2}, {{4, 5}}, {0}, b_exp, {0}, {0}, 1, 1, 0, 1e-3f},
      {"add", 2, {4, 4}, {{2, 3, 4, 4}, {2, 3, 4, 4}}, {0}, b_add, {0}, {0}, 1, 1, 0, 1e-2f},
      {"sub", 2, {2, 2}, {{3, 5}, {3, 5}}, {0}, b_sub, {0}, {0}, 1, 1, 0, 1e-2f},
      {"mul", 2, {4, 4}, {{2, 3, 4, 4}, {2, 3, 4, 4}}, {0}, b_mul, {0}, {0}, 1, 1, 0, 1e-2f},
      {"scale", 1, {2}, {{3, 5}}, {0}, b_scale, {0}, {-2.5f}, 1, 1, 0, 1e-2f},
      {"sum", 1, {4}, {{2, 3, 4, 4}}, {0}, b_sum, {0}, {0}, 1, 1, 0, 1e-2f},
      {"slice of columns", 1, {2}, {{3, 12}}, {0}, b_slice, {4, 5}, {0}, 1, 1, 0, 1e-2f},
      {"reshape [2, 3, 2, 2] to [2, 12]", 1, {4}, {{2, 3, 2, 2}}, {0}, b_reshape, {2, 12}, {0}, 1, 1, 0, 1e-2f},
      {"concat with zero padding of smaller maps", 3, {4, 4, 4}, {{2, 2, 6, 6}, {2, 3, 3, 3}, {2, 1, 6, 4}}, {0},
       b_concat, {0}, {0}, 1, 1, 0, 1e-2f},
      {"concat of six maps", 6, {4, 4, 4, 4, 4, 4},
       {{1, 1, 3, 3}, {1, 2, 3, 3}, {1, 1, 2, 2}, {1, 1, 3, 1}, {1, 3, 1, 3}, {1, 1, 3, 3}}, {0}, b_concat, {0},
       {0}, 1, 1, 0, 1e-2f},
      {"dense with bias", 3, {2, 2, 1}, {{4, 6}, {5, 6}, {5}}, {0}, b_dense, {0}, {0}, 1, 1, 0, 1e-2f},
      {"dense over a flattened map", 2, {4, 2}, {{3, 2, 2, 2}, {4, 8}}, {0}, b_dense, {0}, {0}, 1, 1, 0, 1e-2f},
      {"embedding (repeated ids)", 1, {2}, {{5, 3}}, {0}, b_embedding, {0}, {0}, 1, 1, 0, 1e-2f},
      {"softmax cross-entropy", 1, {2}, {{5, 4}}, {0}, b_xent, {0}, {0}, 1, 1, 0, 1e-2f},
      {"log_softmax", 1, {2}, {{3, 6}}, {0}, b_logsoftmax, {0}, {0}, 1, 1, 0, 1e-2f},
      {"pick of log_softmax", 1, {2}, {{3, 6}}, {0}, b_pick, {0}, {0}, 1, 1, 0, 1e-2f},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    if (cases[i].build == b_bn || cases[i].build == b_bn_relu) { /* variances must be positive */
      cases[i].away = 0;
    }
    run_case(&cases[i]);
  }
}

/* ---- forward results computed by hand ---- */

static tensor *from(nn_ctx *ctx, int ndim, const int *ne, const float *v) {
  tensor *t = nn_new(ctx, ndim, ne);
  memcpy(t->data, v, sizeof(float) * (size_t)t->n);
  return t;
}

static int close_to(const float *a, const float *b, int n, float tol) {
  for (int i = 0; i < n; i++)
    if (fabsf(a[i] - b[i]) > tol) return 0;
  return 1;
}

/* The 3x3 map of 1..9 most checks start from, as [1, 1, 3, 3]. */
static const float one_to_nine[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static const int map3x3[4] = {1, 1, 3, 3};

static void conv2d_forward_checks(nn_ctx *ctx) {
  /* 3x3 all-ones filter on a 3x3 map: each output sums its neighbourhood */
  const float ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  tensor *y = nn_conv2d(ctx, from(ctx, 4, map3x3, one_to_nine), from(ctx, 4, map3x3, ones), NULL, 1);
  float want[9] = {12, 21, 16, 27, 45, 33, 24, 39, 28};
  tap_result(y && y->ne[2] == 3 && close_to(y->data, want, 9, 1e-5f), "conv2d 3x3 same padding sums neighbourhoods");
  y = nn_conv2d(ctx, from(ctx, 4, map3x3, one_to_nine), from(ctx, 4, map3x3, ones), NULL, 2);
  float want2[4] = {12, 16, 24, 28};
  tap_result(y && y->ne[2] == 2 && y->ne[3] == 2 && close_to(y->data, want2, 4, 1e-5f),
             "conv2d stride 2: a 3x3 map gives 2x2 (ceil)");
  int w17[4] = {1, 1, 1, 7};
  float seven[7] = {1, 1, 1, 1, 1, 1, 1};
  y = nn_conv2d(ctx, from(ctx, 4, map3x3, one_to_nine), from(ctx, 4, w17, seven), NULL, 1);
  float want17[9] = {6, 6, 6, 15, 15, 15, 24, 24, 24};
  tap_result(y && close_to(y->data, want17, 9, 1e-5f), "conv2d 1x7 on a 3-wide map sums whole rows");
}

static void pooling_forward_checks(nn_ctx *ctx) {
  tensor *y = nn_maxpool(ctx, from(ctx, 4, map3x3, one_to_nine), 2, 2);
  float wantmax[4] = {5, 6, 8, 9};
  tap_result(y && y->ne[2] == 2 && close_to(y->data, wantmax, 4, 0), "maxpool 2x2 stride 2 with same padding");
  y = nn_avgpool(ctx, from(ctx, 4, map3x3, one_to_nine), 3, 1);
  float wantavg[9] = {3, 3.5f, 4, 4.5f, 5, 5.5f, 6, 6.5f, 7};
  tap_result(y && close_to(y->data, wantavg, 9, 1e-5f), "avgpool 3x3 leaves padding out of the mean");
  static const float ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  y = nn_dwconv2d(ctx, from(ctx, 4, map3x3, one_to_nine), from(ctx, 4, map3x3, ones), 1, 2);
  float wantdil[9] = {20, 10, 20, 10, 5, 10, 20, 10, 20};
  tap_result(y && y->ne[2] == 3 && close_to(y->data, wantdil, 9, 0),
             "dwconv2d 3x3 with dilation 2 reads taps two apart, padding for a 5x5 span");
  y = nn_global_avgpool(ctx, from(ctx, 4, map3x3, one_to_nine));
  tap_result(y && y->n == 1 && fabsf(y->data[0] - 5) < 1e-6f, "global average pooling of 1..9 is 5");
  float with_nan[9] = {1, 2, 3, 4, NAN, 6, 7, 8, 9};
  y = nn_maxpool(ctx, from(ctx, 4, map3x3, with_nan), 2, 2);
  tap_result(y && isnan(y->data[0]) && y->data[3] == 9, "maxpool: a NaN in a window is its maximum, as in PyTorch");
  int l3[1] = {3};
  float signs[3] = {-1, NAN, 2};
  y = nn_relu(ctx, from(ctx, 1, l3, signs));
  tap_result(y && y->data[0] == 0 && isnan(y->data[1]) && y->data[2] == 2, "relu passes a NaN on, as in PyTorch");
}

/* softmax cross-entropy on uniform, extreme, NaN and infinite logits, and
 * the vectorised exp it relies on */
static void xent_forward_checks(nn_ctx *ctx) {
  int l4[2] = {2, 4};
  float logits[8] = {0, 0, 0, 0, 1000, 0, 0, 0};
  int labels[2] = {2, 0};
  tensor *y = nn_softmax_xent(ctx, from(ctx, 2, l4, logits), labels);
  tap_result(y && fabsf(y->data[0] - logf(4) / 2) < 1e-5f, "softmax cross-entropy: log 4 for uniform logits, 0 for a sure one, no overflow at 1000");
  float nanlogits[8] = {0, NAN, 0, 0, 1, 2, 3, 4};
  y = nn_softmax_xent(ctx, from(ctx, 2, l4, nanlogits), labels);
  tap_result(y && isnan(y->data[0]), "softmax cross-entropy of a NaN logit is NaN (a diverged child is caught)");
  float inf_logits[8] = {-INFINITY, 0, 0, 0, -1e30f, 0, 0, 0};
  y = nn_softmax_xent(ctx, from(ctx, 2, l4, inf_logits), labels);
  tap_result(y && isfinite(y->data[0]), "softmax cross-entropy with -inf and -1e30 logits stays finite");
  float huge[8] = {3e38f, 3e38f, 3e38f, 3e38f, 3e38f, 3e38f, 3e38f, 3e38f};
  y = nn_softmax_xent(ctx, from(ctx, 2, l4, huge), labels);
  tap_result(y && fabsf(y->data[0] - logf(4)) < 1e-5f, "softmax cross-entropy of equal logits of 3e38 is log 4, not 0 (%g)",
             y ? y->data[0] : -1);
  y = nn_log_softmax(ctx, from(ctx, 2, l4, huge));
  tap_result(y && fabsf(y->data[0] + logf(4)) < 1e-5f && fabsf(y->data[7] + logf(4)) < 1e-5f,
             "log-softmax of equal logits of 3e38 is -log 4 (%g)", y ? y->data[0] : 0);
  float ex[6] = {-100, -87, -1, 0, 1, 88}, worst = 0;
  for (int i = 0; i < 6; i++) {
    float want = expf(ex[i] < -87 ? -87 : ex[i]), got = nn_fast_expf(ex[i]);
    float rel = fabsf(got - want) / want;
    if (rel > worst) worst = rel;
  }
  tap_result(worst < 1e-6f && isnan(nn_fast_expf(NAN)), "the vectorised exp: within 1e-6 relative on [-87, 88], NaN gives NaN (%g)", worst);
}

static void concat_forward_check(nn_ctx *ctx) {
  int cs[2][4] = {{1, 1, 2, 2}, {1, 1, 1, 1}};
  float a4[4] = {1, 2, 3, 4}, b1[1] = {9};
  tensor *parts[2] = {from(ctx, 4, cs[0], a4), from(ctx, 4, cs[1], b1)};
  tensor *y = nn_concat(ctx, parts, 2);
  float wantcat[8] = {1, 2, 3, 4, 9, 0, 0, 0};
  tap_result(y && y->ne[1] == 2 && close_to(y->data, wantcat, 8, 0), "concat pads the smaller map with zeros");
}

/* batch norm and dropout: what they compute depends on training or
 * evaluation */
static void mode_forward_checks(nn_ctx *ctx) {
  /* batch norm in training: zero mean, unit variance per channel */
  int bs[4] = {4, 1, 1, 2}, one[1] = {1};
  float bx[8] = {1, 2, 3, 4, 5, 6, 7, 8}, g1[1] = {1}, b0[1] = {0}, rm[1] = {0}, rv[1] = {1};
  tensor *rmean = from(ctx, 1, one, rm), *rvar = from(ctx, 1, one, rv);
  tensor *y = nn_batchnorm(ctx, from(ctx, 4, bs, bx), from(ctx, 1, one, g1), from(ctx, 1, one, b0), rmean, rvar, 0.1f, 0);
  double s = 0, ss = 0;
  for (int i = 0; i < 8; i++) {
    s += y->data[i];
    ss += y->data[i] * y->data[i];
  }
  tap_result(fabs(s) < 1e-5 && fabs(ss / 8 - 1) < 1e-5, "batchnorm in training: mean 0, variance 1");
  tap_result(fabsf(rmean->data[0] - 0.45f) < 1e-6f && fabsf(rvar->data[0] - (0.9f + 0.1f * 6.0f)) < 1e-5f,
             "batchnorm updates running mean and unbiased variance with momentum 0.1");
  ctx->training = 0;
  y = nn_dropout(ctx, from(ctx, 4, bs, bx), 0.5f);
  tap_result(y && close_to(y->data, bx, 8, 0), "dropout is the identity in evaluation");
  ctx->training = 1;
  /* rows (3, 4) and (0.3, 0.4) under the norm bound 1: the first is scaled
   * to norm 1, the second is left as it is */
  int cs[2] = {2, 2};
  float cx[4] = {3, 4, 0.3f, 0.4f}, cy[4] = {0.6f, 0.8f, 0.3f, 0.4f};
  y = nn_clip_rows(ctx, from(ctx, 2, cs, cx), 1.0f);
  tap_result(y && close_to(y->data, cy, 4, 1e-6f), "clip_rows scales a row above the bound to it, leaves one below");
  tap_result(!nn_clip_rows(ctx, from(ctx, 2, cs, cx), 0.0f) && strstr(ctx->error, "must be positive"),
             "clip_rows refuses a bound of 0: %s", ctx->error);
}

/* shape errors are reported, never silent */
static void shape_error_checks(nn_ctx *ctx) {
  int bad[4] = {1, 2, 3, 3};
  tensor *y = nn_conv2d(ctx, from(ctx, 4, map3x3, one_to_nine), nn_new(ctx, 4, bad), NULL, 1);
  tap_result(!y && strstr(ctx->error, "expect 2 input channels, the map [1, 1, 3, 3] has 1"),
             "a channel mismatch is an error: %s", ctx->error);
  tensor *z = nn_relu(ctx, y);
  tap_result(z == NULL, "an operation on a failed result fails too");
  nn_ctx_reset(ctx);
  int l4[2] = {2, 4};
  float logits[8] = {0, 0, 0, 0, 1000, 0, 0, 0};
  y = nn_add(ctx, from(ctx, 4, map3x3, one_to_nine), from(ctx, 2, l4, logits));
  tap_result(!y && strstr(ctx->error, "add needs two tensors of one shape, not [1, 1, 3, 3] and [2, 4]"),
             "mismatched shapes in add: %s", ctx->error);
}

static void forward_checks(void) {
  rng r;
  rng_seed(&r, 1);
  nn_ctx ctx;
  nn_ctx_init(&ctx, 1, &r);
  conv2d_forward_checks(&ctx);
  pooling_forward_checks(&ctx);
  xent_forward_checks(&ctx);
  concat_forward_check(&ctx);
  mode_forward_checks(&ctx);
  nn_ctx_reset(&ctx);
  shape_error_checks(&ctx);
  nn_ctx_free(&ctx);
}

/* NN_EXTERN: the example plug-ins that make builds, called through libffi,
 * differentiated through the tape like any operation. */
static const nn_extern *ext_swish, *ext_sepconv;
static const grammar_value swish_args[1] = {{GV_FLOAT, 0, 1.5, NULL}};
static const grammar_value sepconv_args[2] = {{GV_INT, 3, 0, NULL}, {GV_INT, 4, 0, NULL}};

static tensor *b_ext_swish(nn_ctx *ctx, tensor **in, const gcase *c) {
  (void)c;
  return nn_extern_forward(ctx, ext_swish, swish_args, in[0], in[0]->ndim, in[0]->ne, NULL, 0);
}

static tensor *b_ext_sepconv(nn_ctx *ctx, tensor **in, const gcase *c) {
  (void)c;
  int ne[4] = {1, 4, in[0]->ne[2], in[0]->ne[3]};
  return nn_extern_forward(ctx, ext_sepconv, sepconv_args, in[0], 4, ne, in + 1, 3);
}

static void extern_checks(void) {
  const char *dir = getenv("abs_top_builddir");
  char path[2][4096];
  snprintf(path[0], sizeof path[0], "%s/examples/plugins/swish.so", dir ? dir : "..");
  snprintf(path[1], sizeof path[1], "%s/examples/plugins/sepconv.so", dir ? dir : "..");
  grammar_param fp = {"beta", GV_FLOAT, 0, 0, 0, 0, NULL, 0, {GV_FLOAT, 0, 1, NULL}, NULL};
  grammar_param ip[2] = {{"kernel", GV_INT, 0, 0, 0, 0, NULL, 0, {GV_INT, 3, 0, NULL}, NULL},
                         {"filters", GV_INT, 0, 0, 0, 0, NULL, 0, {GV_INT, 4, 0, NULL}, NULL}};
  grammar_extern xs = {path[0], "swish_forward", "swish_backward", NULL, "gradcheck.c:1:1"};
  grammar_extern xc = {path[1], "sepconv_forward", "sepconv_backward", "sepconv_shape", "gradcheck.c:2:1"};
  grammar_opdecl os = {"swish", OP_ROLE_ACTIVATION, 1, &fp, NULL, &xs};
  grammar_opdecl oc = {"sepconv", OP_ROLE_LAYER, 2, ip, NULL, &xc};
  strbuf err;
  strbuf_init(&err);
  ext_swish = nn_extern_load(&os, &err);
  ext_sepconv = ext_swish ? nn_extern_load(&oc, &err) : NULL;
  tap_result(ext_swish && ext_sepconv, "the example plug-ins load%s%s", err.len ? ": " : "", err.len ? err.data : "");
  strbuf_free(&err);
  if (!ext_sepconv) return;
  gcase cases[] = {
      {"extern swish (libffi, a double parameter)", 1, {4}, {{2, 3, 4, 4}}, {0}, b_ext_swish, {0}, {0}, 1, 1, 0, 1e-2f},
      {"extern sepconv 3x3 (libffi, 3 weights)", 4, {4, 4, 4, 1}, {{2, 3, 5, 6}, {3, 1, 3, 3}, {4, 3, 1, 1}, {4}}, {0},
       b_ext_sepconv, {0}, {0}, 1, 1, 0, 1e-2f},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i]);
}

int main(void) {
  rng_seed(&R, 42);
  nn_threads_default(1);
  forward_checks();
  gradient_checks();
  extern_checks();
  return tap_done();
}

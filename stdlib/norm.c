/* norm.c: batch normalisation and dropout, the two operations whose
 * behaviour differs between training and evaluation (ctx->training), and
 * batch normalisation with a relu after it as one kernel; and the clipping
 * of rows to a norm (nn_clip_rows).
 * Batch norm works channel by channel, so its channels are split over the
 * context's threads. */
#include <math.h>
#include <string.h>

/* No fused multiply-adds formed by the compiler here: whether it forms one
 * depends on how each loop is vectorised, and batchnorm_relu must give the
 * values and gradients of batchnorm then relu bit for bit (tests/child_test).
 * (clang forms them only within one expression, the same in every loop.) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif

#include "nn/dispatch.h"
#include "nn/parallel.h"
#include "stdlib/kernels.h"
#include "stdlib/registry.h"

typedef struct bn_state {
  float *mean;    /* per channel: the mean used */
  float *invstd;  /* per channel: 1 / sqrt(var + eps) used */
  int training;   /* batch statistics were used (they depend on x) */
} bn_state;

typedef struct bn_task {
  int N, C;
  int64_t hw;
  const float *x, *gamma, *beta, *dy;
  float *y, *dx, *dgamma, *dbeta;
  int fresh;                  /* dx was just allocated: assign, do not add */
  int relu;                   /* nn_batchnorm_relu: the output is clamped at 0 */
  const float *out;           /* backward with relu: the output, whose sign masks dy */
  float *run_mean, *run_var;  /* updated in training, or NULL */
  float momentum, eps;
  bn_state *st;
} bn_task;

/* Sums over one plane in 16 lanes: lane l takes the values at k = l mod 16
 * and the lanes are added in order at the end. A single running sum cannot
 * be vectorised without reordering it (and was most of batch norm's time);
 * the lanes can, at any vector width, with the same result on every CPU. */
#define LANES 16

static inline float lanes_total(const float *acc) {
  float s = 0;
  for (int l = 0; l < LANES; l++) s += acc[l];
  return s;
}

/* sum of p[k] */
static inline float plane_sum(const float *restrict p, int64_t n) {
  float acc[LANES] = {0};
  int64_t k = 0;
  for (; k + LANES <= n; k += LANES)
    for (int l = 0; l < LANES; l++) acc[l] += p[k + l];
  for (int l = 0; k < n; k++, l++) acc[l] += p[k];
  return lanes_total(acc);
}

/* sum of (p[k] - mean)^2 */
static inline float plane_sqdev(const float *restrict p, int64_t n, float mean) {
  float acc[LANES] = {0};
  int64_t k = 0;
  for (; k + LANES <= n; k += LANES)
    for (int l = 0; l < LANES; l++) acc[l] += (p[k + l] - mean) * (p[k + l] - mean);
  for (int l = 0; k < n; k++, l++) acc[l] += (p[k] - mean) * (p[k] - mean);
  return lanes_total(acc);
}

/* sums of g'[k] and g'[k] (p[k] - mean), g' = g, or g where o > 0 (o: a
 * relu's output, or NULL) */
static inline void plane_dsums(const float *restrict p, const float *restrict g, const float *restrict o, int64_t n,
                               float mean, float *sg, float *sgx) {
  float a[LANES] = {0}, b[LANES] = {0};
  int64_t k = 0;
  if (o) {
    for (; k + LANES <= n; k += LANES)
      for (int l = 0; l < LANES; l++) {
        float gv = g[k + l], gk = o[k + l] > 0 ? gv : 0.0f;
        a[l] += gk;
        b[l] += gk * (p[k + l] - mean);
      }
    for (int l = 0; k < n; k++, l++) {
      float gk = o[k] > 0 ? g[k] : 0.0f;
      a[l] += gk;
      b[l] += gk * (p[k] - mean);
    }
  } else {
    for (; k + LANES <= n; k += LANES)
      for (int l = 0; l < LANES; l++) {
        a[l] += g[k + l];
        b[l] += g[k + l] * (p[k + l] - mean);
      }
    for (int l = 0; k < n; k++, l++) {
      a[l] += g[k];
      b[l] += g[k] * (p[k] - mean);
    }
  }
  *sg = lanes_total(a);
  *sgx = lanes_total(b);
}

/* sum over the channel's N planes of f(plane); float partial sums per plane,
 * double across planes: fast and accurate enough for 64 x 28 x 28 values */
NN_CLONES static void bn_forward_part(void *arg, int ith, int nth) {
  bn_task *t = arg;
  int c0, c1;
  nn_split(t->C, ith, nth, &c0, &c1);
  double m = (double)t->N * (double)t->hw;
  for (int c = c0; c < c1; c++) {
    double mean, var;
    if (t->st->training) {
      double s = 0, ss = 0;
      for (int n = 0; n < t->N; n++) s += plane_sum(t->x + ((int64_t)n * t->C + c) * t->hw, t->hw);
      mean = s / m;
      float fm = (float)mean;
      for (int n = 0; n < t->N; n++) ss += plane_sqdev(t->x + ((int64_t)n * t->C + c) * t->hw, t->hw, fm);
      var = ss / m;
      if (t->run_mean) {
        t->run_mean[c] = (float)((1 - t->momentum) * t->run_mean[c] + t->momentum * mean);
        double unbiased = m > 1 ? ss / (m - 1) : var;
        t->run_var[c] = (float)((1 - t->momentum) * t->run_var[c] + t->momentum * unbiased);
      }
    } else {
      mean = t->run_mean[c];
      var = t->run_var[c];
    }
    float inv = (float)(1.0 / sqrt(var + t->eps));
    t->st->mean[c] = (float)mean;
    t->st->invstd[c] = inv;
    float a = t->gamma[c] * inv, b = t->beta[c] - (float)mean * a;
    for (int n = 0; n < t->N; n++) {
      const float *restrict p = t->x + ((int64_t)n * t->C + c) * t->hw;
      float *restrict q = t->y + ((int64_t)n * t->C + c) * t->hw;
      if (t->relu)
        for (int64_t k = 0; k < t->hw; k++) {
          float v = p[k] * a + b;
          q[k] = v < 0 ? 0.0f : v; /* a NaN passes, as in nn_relu */
        }
      else
        for (int64_t k = 0; k < t->hw; k++) q[k] = p[k] * a + b;
    }
  }
}

static tensor *bn_forward(nn_ctx *ctx, tensor *x, tensor *gamma, tensor *beta, tensor *running_mean,
                          tensor *running_var, float momentum, float eps, int relu) {
  if (!x || !gamma || !beta) return NULL;
  if (x->ndim != 2 && x->ndim != 4)
    return nn_fail(ctx, "batchnorm needs [N, C] or [N, C, H, W], not %s", nn_shape_text(ctx, x));
  int N = x->ne[0], C = x->ne[1];
  int64_t hw = x->ndim == 4 ? (int64_t)x->ne[2] * x->ne[3] : 1;
  if (gamma->n != C || beta->n != C || (running_mean && running_mean->n != C) || (running_var && running_var->n != C))
    return nn_fail(ctx, "batchnorm parameters do not match %d channels", C);
  if ((int64_t)N * hw < 2 && (ctx->training || !running_mean || !running_var))
    return nn_fail(ctx, "batchnorm in training needs more than one value per channel");
  tensor *src[3] = {x, gamma, beta};
  tensor *y = nn_op_output(ctx, relu ? NN_BATCHNORM_RELU : NN_BATCHNORM, x->ndim, x->ne, src, 3);
  if (!y) return NULL;
  bn_state *st = arena_alloc(&ctx->mem, sizeof *st);
  st->mean = arena_alloc(&ctx->mem, sizeof(float) * (size_t)C);
  st->invstd = arena_alloc(&ctx->mem, sizeof(float) * (size_t)C);
  st->training = ctx->training || !running_mean || !running_var;
  y->aux = st;
  y->fp[0] = eps;
  int update = ctx->training && running_mean && running_var;
  bn_task t = {.N = N, .C = C, .hw = hw, .x = x->data, .gamma = gamma->data, .beta = beta->data, .y = y->data,
               .run_mean = update ? running_mean->data : NULL, .run_var = update ? running_var->data : NULL,
               .momentum = momentum, .eps = eps, .st = st, .relu = relu};
  if (!st->training) {
    t.run_mean = running_mean->data;
    t.run_var = running_var->data;
  }
  nn_parallel(ctx->nthreads < C ? ctx->nthreads : C, bn_forward_part, &t);
  return y;
}

tensor *nn_batchnorm(nn_ctx *ctx, tensor *x, tensor *gamma, tensor *beta, tensor *running_mean,
                     tensor *running_var, float momentum, float eps) {
  return bn_forward(ctx, x, gamma, beta, running_mean, running_var, momentum, eps, 0);
}

tensor *nn_batchnorm_relu(nn_ctx *ctx, tensor *x, tensor *gamma, tensor *beta, tensor *running_mean,
                          tensor *running_var, float momentum, float eps) {
  return bn_forward(ctx, x, gamma, beta, running_mean, running_var, momentum, eps, 1);
}

NN_CLONES static void bn_backward_part(void *arg, int ith, int nth) {
  bn_task *t = arg;
  int c0, c1;
  nn_split(t->C, ith, nth, &c0, &c1);
  double m = (double)t->N * (double)t->hw;
  for (int c = c0; c < c1; c++) {
    float mean = t->st->mean[c], inv = t->st->invstd[c];
    double sdy = 0, sdyx = 0; /* sums of dy and dy * xhat */
    for (int n = 0; n < t->N; n++) {
      int64_t at = ((int64_t)n * t->C + c) * t->hw;
      float a, b; /* with relu, its backward first: dy where the output is positive */
      plane_dsums(t->x + at, t->dy + at, t->relu ? t->out + at : NULL, t->hw, mean, &a, &b);
      sdy += a;
      sdyx += (double)b * inv;
    }
    if (t->dgamma) t->dgamma[c] += (float)sdyx;
    if (t->dbeta) t->dbeta[c] += (float)sdy;
    if (!t->dx) continue;
    float gi = t->gamma[c] * inv;
    float a = (float)(sdy / m), b = (float)(sdyx / m) * inv;
    for (int n = 0; n < t->N; n++) {
      const float *restrict p = t->x + ((int64_t)n * t->C + c) * t->hw;
      const float *restrict g = t->dy + ((int64_t)n * t->C + c) * t->hw;
      float *restrict d = t->dx + ((int64_t)n * t->C + c) * t->hw;
      if (t->relu) {
        const float *restrict o = t->out + ((int64_t)n * t->C + c) * t->hw;
        for (int64_t k = 0; k < t->hw; k++) {
          float gk = o[k] > 0 ? g[k] : 0.0f;
          float v = t->st->training ? gi * (gk - a - (p[k] - mean) * b) : gi * gk;
          d[k] = t->fresh ? v : d[k] + v;
        }
      } else if (t->st->training) {
        if (t->fresh)
          for (int64_t k = 0; k < t->hw; k++) d[k] = gi * (g[k] - a - (p[k] - mean) * b);
        else
          for (int64_t k = 0; k < t->hw; k++) d[k] += gi * (g[k] - a - (p[k] - mean) * b);
      } else {
        if (t->fresh)
          for (int64_t k = 0; k < t->hw; k++) d[k] = gi * g[k];
        else
          for (int64_t k = 0; k < t->hw; k++) d[k] += gi * g[k];
      }
    }
  }
}

static void bn_backward(nn_ctx *ctx, tensor *y, int relu) {
  tensor *x = y->src[0], *gamma = y->src[1], *beta = y->src[2];
  bn_task t = {0};
  t.N = x->ne[0];
  t.C = x->ne[1];
  t.hw = x->ndim == 4 ? (int64_t)x->ne[2] * x->ne[3] : 1;
  t.x = x->data;
  t.gamma = gamma->data;
  t.dy = y->grad;
  t.dx = x->requires_grad ? nn_grad_fresh(ctx, x, &t.fresh) : NULL;
  t.dgamma = gamma->requires_grad ? nn_grad(ctx, gamma) : NULL;
  t.dbeta = beta->requires_grad ? nn_grad(ctx, beta) : NULL;
  t.st = y->aux;
  t.relu = relu;
  t.out = y->data;
  nn_parallel(ctx->nthreads < t.C ? ctx->nthreads : t.C, bn_backward_part, &t);
}

void nn_batchnorm_backward(nn_ctx *ctx, tensor *y) { bn_backward(ctx, y, 0); }

void nn_batchnorm_relu_backward(nn_ctx *ctx, tensor *y) { bn_backward(ctx, y, 1); }

tensor *nn_dropout(nn_ctx *ctx, tensor *x, float rate) {
  if (!x) return NULL;
  if (!(rate >= 0 && rate < 1)) return nn_fail(ctx, "dropout rate must be in [0, 1), not %g", rate);
  tensor *y = nn_op_output(ctx, NN_DROPOUT, x->ndim, x->ne, &x, 1);
  if (!y) return NULL;
  y->fp[0] = rate;
  if (!ctx->training || rate == 0) {
    memcpy(y->data, x->data, sizeof(float) * (size_t)x->n);
    return y;
  }
  float *mask = arena_alloc_raw(&ctx->mem, sizeof(float) * (size_t)x->n);
  float keep = 1.0f / (1.0f - rate);
  for (int64_t i = 0; i < x->n; i++) {
    mask[i] = rng_uniform(ctx->rng) < rate ? 0.0f : keep;
    y->data[i] = x->data[i] * mask[i];
  }
  y->aux = mask;
  return y;
}

void nn_dropout_backward(nn_ctx *ctx, tensor *y) {
  tensor *x = y->src[0];
  if (!x->requires_grad) return;
  float *dx = nn_grad(ctx, x);
  const float *mask = y->aux;
  for (int64_t i = 0; i < x->n; i++) dx[i] += mask ? y->grad[i] * mask[i] : y->grad[i];
}

tensor *nn_clip_rows(nn_ctx *ctx, tensor *x, float max_norm) {
  if (!x) return NULL;
  if (!(max_norm > 0)) return nn_fail(ctx, "a norm bound must be positive, not %g", max_norm);
  tensor *y = nn_op_output(ctx, NN_CLIP_ROWS, x->ndim, x->ne, &x, 1);
  if (!y) return NULL;
  y->fp[0] = max_norm;
  int64_t rows = x->ne[0], cols = rows ? x->n / rows : 0;
  float *factor = arena_alloc_raw(&ctx->mem, sizeof(float) * (size_t)(rows ? rows : 1));
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x->data + r * cols;
    float *yr = y->data + r * cols;
    double ss = 0;
    for (int64_t j = 0; j < cols; j++) ss += (double)xr[j] * xr[j];
    double norm = sqrt(ss);
    float f = norm > max_norm ? (float)(max_norm / norm) : 1.0f;
    factor[r] = f;
    if (f == 1.0f) memcpy(yr, xr, sizeof(float) * (size_t)cols);
    else
      for (int64_t j = 0; j < cols; j++) yr[j] = xr[j] * f;
  }
  y->aux = factor;
  return y;
}

void nn_clip_rows_backward(nn_ctx *ctx, tensor *y) {
  tensor *x = y->src[0];
  if (!x->requires_grad) return;
  float *dx = nn_grad(ctx, x);
  const float *factor = y->aux;
  int64_t rows = x->ne[0], cols = rows ? x->n / rows : 0;
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x->data + r * cols, *dy = y->grad + r * cols;
    float *dxr = dx + r * cols;
    if (factor[r] == 1.0f) {
      for (int64_t j = 0; j < cols; j++) dxr[j] += dy[j];
      continue;
    }
    double ss = 0, xdy = 0; /* y = m x / |x|: dx = f (dy - x (x.dy) / |x|^2), f = m / |x| */
    for (int64_t j = 0; j < cols; j++) ss += (double)xr[j] * xr[j], xdy += (double)xr[j] * dy[j];
    double f = factor[r], k = xdy / ss;
    for (int64_t j = 0; j < cols; j++) dxr[j] += (float)(f * (dy[j] - xr[j] * k));
  }
}

/* ---- registry entries (registry.h) ---- */

static const char *const batchnorm_params[] = {"momentum", "eps", NULL};
static const nn_op batchnorm_kernels[] = {NN_BATCHNORM, NN_LEAF};

/* f: momentum, eps; w: weight (gamma), bias (beta), running_mean, running_var [C] */
static int batchnorm_resolve(stdlib_node *n, stdlib_shape *s, stdlib_build *b, strbuf *err) {
  (void)err;
  n->f[0] = stdlib_float_arg(n, "momentum", 0.1f);
  n->f[1] = stdlib_float_arg(n, "eps", 1e-5f);
  b->nparams += 2LL * s->c;
  b->flops += 2LL * s->c * s->h * s->w;
  static const char *const what[4] = {"weight", "bias", "running_mean", "running_var"};
  for (int k = 0; k < 4; k++) stdlib_weight(n, b, what[k], 1, &s->c);
  if (b->params) {
    nn_init_const(n->w[0], 1);
    nn_init_const(n->w[3], 1);
    n->w[2]->requires_grad = n->w[3]->requires_grad = 0; /* statistics, not trained */
  }
  return 0;
}

static tensor *batchnorm_forward(nn_ctx *ctx, const stdlib_node *n, tensor *const *in) {
  return nn_batchnorm(ctx, in[0], n->w[0], n->w[1], n->w[2], n->w[3], n->f[0], n->f[1]);
}

static const char *const dropout_params[] = {"rate", NULL};
static const nn_op dropout_kernels[] = {NN_DROPOUT, NN_LEAF};

/* f: rate */
static int dropout_resolve(stdlib_node *n, stdlib_shape *s, stdlib_build *b, strbuf *err) {
  (void)s, (void)b, (void)err;
  n->f[0] = stdlib_float_arg(n, "rate", 0.5f);
  return 0;
}

static tensor *dropout_forward(nn_ctx *ctx, const stdlib_node *n, tensor *const *in) {
  return nn_dropout(ctx, in[0], n->f[0]);
}

static void dropout_label(const stdlib_node *n, strbuf *out) { strbuf_printf(out, "dropout %g", n->f[0]); }

const stdlib_op stdlib_op_batchnorm = {"batchnorm", OP_ROLE_LAYER, batchnorm_params, batchnorm_kernels,
                                       batchnorm_resolve, batchnorm_forward, NULL, NULL, NULL};
const stdlib_op stdlib_op_dropout = {"dropout", OP_ROLE_LAYER, dropout_params, dropout_kernels, dropout_resolve,
                                     dropout_forward, NULL, dropout_label, NULL};

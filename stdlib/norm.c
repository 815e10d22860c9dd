/* norm.c: batch normalisation and dropout, the two operations whose
 * behaviour differs between training and evaluation (ctx->training). */
#include <math.h>
#include <string.h>

#include "kernels.h"

typedef struct bn_state {
  float *mean;    /* per channel: the mean used */
  float *invstd;  /* per channel: 1 / sqrt(var + eps) used */
  int training;   /* batch statistics were used (they depend on x) */
} bn_state;

/* planes: N; C channels; each of hw positions */
static void bn_dims(const tensor *x, int *N, int *C, int64_t *hw) {
  *N = x->ne[0];
  *C = x->ne[1];
  *hw = 1;
  for (int i = 2; i < x->ndim; i++) *hw *= x->ne[i];
}

tensor *nn_batchnorm(nn_ctx *ctx, tensor *x, tensor *gamma, tensor *beta, tensor *running_mean,
                     tensor *running_var, float momentum, float eps) {
  if (!x || !gamma || !beta) return NULL;
  if (x->ndim != 2 && x->ndim != 4)
    return nn_fail(ctx, "batchnorm needs [N, C] or [N, C, H, W], not %s", nn_shape_text(ctx, x));
  int N, C;
  int64_t hw;
  bn_dims(x, &N, &C, &hw);
  if (gamma->n != C || beta->n != C || (running_mean && running_mean->n != C) || (running_var && running_var->n != C))
    return nn_fail(ctx, "batchnorm parameters do not match %d channels", C);
  int64_t m = (int64_t)N * hw;
  if (ctx->training && m < 2) return nn_fail(ctx, "batchnorm in training needs more than one value per channel");
  tensor *src[3] = {x, gamma, beta};
  tensor *y = nn_op_output(ctx, NN_BATCHNORM, x->ndim, x->ne, src, 3);
  if (!y) return NULL;
  bn_state *st = arena_alloc(&ctx->mem, sizeof *st);
  st->mean = arena_alloc(&ctx->mem, sizeof(float) * (size_t)C);
  st->invstd = arena_alloc(&ctx->mem, sizeof(float) * (size_t)C);
  st->training = ctx->training || !running_mean || !running_var;
  y->aux = st;
  y->fp[0] = eps;
  for (int c = 0; c < C; c++) {
    double mean, var;
    if (st->training) {
      double s = 0, ss = 0;
      for (int n = 0; n < N; n++) {
        const float *p = x->data + ((int64_t)n * C + c) * hw;
        for (int64_t k = 0; k < hw; k++) s += p[k];
      }
      mean = s / (double)m;
      for (int n = 0; n < N; n++) {
        const float *p = x->data + ((int64_t)n * C + c) * hw;
        for (int64_t k = 0; k < hw; k++) ss += (p[k] - mean) * (p[k] - mean);
      }
      var = ss / (double)m;
      if (ctx->training && running_mean && running_var) {
        running_mean->data[c] = (float)((1 - momentum) * running_mean->data[c] + momentum * mean);
        double unbiased = m > 1 ? ss / (double)(m - 1) : var;
        running_var->data[c] = (float)((1 - momentum) * running_var->data[c] + momentum * unbiased);
      }
    } else {
      mean = running_mean->data[c];
      var = running_var->data[c];
    }
    float inv = (float)(1.0 / sqrt(var + eps));
    st->mean[c] = (float)mean;
    st->invstd[c] = inv;
    float a = gamma->data[c] * inv, b = beta->data[c] - (float)mean * a;
    for (int n = 0; n < N; n++) {
      const float *p = x->data + ((int64_t)n * C + c) * hw;
      float *q = y->data + ((int64_t)n * C + c) * hw;
      for (int64_t k = 0; k < hw; k++) q[k] = p[k] * a + b;
    }
  }
  return y;
}

void nn_batchnorm_backward(nn_ctx *ctx, tensor *y) {
  tensor *x = y->src[0], *gamma = y->src[1], *beta = y->src[2];
  const bn_state *st = y->aux;
  int N, C;
  int64_t hw;
  bn_dims(x, &N, &C, &hw);
  double m = (double)N * (double)hw;
  float *dx = x->requires_grad ? nn_grad(ctx, x) : NULL;
  float *dg = gamma->requires_grad ? nn_grad(ctx, gamma) : NULL;
  float *db = beta->requires_grad ? nn_grad(ctx, beta) : NULL;
  for (int c = 0; c < C; c++) {
    float mean = st->mean[c], inv = st->invstd[c];
    double sdy = 0, sdyx = 0; /* sums of dy and dy * xhat */
    for (int n = 0; n < N; n++) {
      const float *p = x->data + ((int64_t)n * C + c) * hw, *g = y->grad + ((int64_t)n * C + c) * hw;
      for (int64_t k = 0; k < hw; k++) {
        sdy += g[k];
        sdyx += g[k] * (p[k] - mean) * inv;
      }
    }
    if (dg) dg[c] += (float)sdyx;
    if (db) db[c] += (float)sdy;
    if (!dx) continue;
    float gi = gamma->data[c] * inv;
    for (int n = 0; n < N; n++) {
      const float *p = x->data + ((int64_t)n * C + c) * hw, *g = y->grad + ((int64_t)n * C + c) * hw;
      float *d = dx + ((int64_t)n * C + c) * hw;
      if (st->training) {
        float a = (float)(sdy / m), b = (float)(sdyx / m);
        for (int64_t k = 0; k < hw; k++) d[k] += gi * (g[k] - a - (p[k] - mean) * inv * b);
      } else {
        for (int64_t k = 0; k < hw; k++) d[k] += gi * g[k];
      }
    }
  }
}

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

/* tensor.c: tensors, the step context, the tape, backward, parameters and
 * initialisers (see tensor.h). */
#include "nn/tensor.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


void nn_ctx_init(nn_ctx *ctx, int nthreads, rng *r) {
  memset(ctx, 0, sizeof *ctx);
  arena_init(&ctx->mem);
  ctx->nthreads = nthreads > 0 ? nthreads : 1;
  ctx->rng = r;
  ctx->record = 1;
  ctx->training = 1;
}

void nn_ctx_reset(nn_ctx *ctx) {
  arena_reset(&ctx->mem);
  memset(&ctx->tape, 0, sizeof ctx->tape);
  ctx->error[0] = 0;
}

void nn_ctx_free(nn_ctx *ctx) {
  arena_free(&ctx->mem);
  free(ctx->scratch);
  ctx->scratch = NULL;
  ctx->scratch_len = 0;
  memset(&ctx->tape, 0, sizeof ctx->tape);
}

float *nn_scratch(nn_ctx *ctx, size_t n) {
  if (n > ctx->scratch_len) {
    free(ctx->scratch);
    ctx->scratch = xmalloc(sizeof(float) * n);
    ctx->scratch_len = n;
  }
  return ctx->scratch;
}

tensor *nn_fail(nn_ctx *ctx, const char *fmt, ...) {
  if (ctx->error[0]) return NULL;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx->error, sizeof ctx->error, fmt, ap);
  va_end(ap);
  return NULL;
}

/* A tensor whose data is not initialised: for outputs a kernel writes in full. */
static tensor *new_raw(nn_ctx *ctx, int ndim, const int *ne) {
  if (ndim < 0 || ndim > NN_MAX_DIMS) return nn_fail(ctx, "a tensor has at most %d dimensions", NN_MAX_DIMS);
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) {
    if (ne[i] <= 0) return nn_fail(ctx, "a tensor dimension must be positive, not %d", ne[i]);
    n *= ne[i];
    if (n > (int64_t)1 << 34) return nn_fail(ctx, "a tensor of more than 2^34 elements is too large");
  }
  tensor *t = arena_alloc(&ctx->mem, sizeof *t);
  t->ndim = ndim;
  for (int i = 0; i < ndim; i++) t->ne[i] = ne[i];
  t->n = n;
  t->data = arena_alloc_raw(&ctx->mem, sizeof(float) * (size_t)n);
  return t;
}

tensor *nn_new(nn_ctx *ctx, int ndim, const int *ne) {
  tensor *t = new_raw(ctx, ndim, ne);
  if (t) memset(t->data, 0, sizeof(float) * (size_t)t->n);
  return t;
}

tensor *nn_new4(nn_ctx *ctx, int n, int c, int h, int w) {
  int ne[4] = {n, c, h, w};
  return nn_new(ctx, 4, ne);
}

tensor *nn_new2(nn_ctx *ctx, int rows, int cols) {
  int ne[2] = {rows, cols};
  return nn_new(ctx, 2, ne);
}

tensor *nn_scalar(nn_ctx *ctx, float v) {
  tensor *t = nn_new(ctx, 0, NULL);
  if (t) t->data[0] = v;
  return t;
}

const char *nn_shape_text(nn_ctx *ctx, const tensor *t) {
  char buf[96];
  int k = snprintf(buf, sizeof buf, "[");
  for (int i = 0; i < t->ndim; i++) k += snprintf(buf + k, sizeof buf - (size_t)k, "%s%d", i ? ", " : "", t->ne[i]);
  snprintf(buf + k, sizeof buf - (size_t)k, "]");
  return arena_strdup(&ctx->mem, buf);
}

int nn_same_shape(const tensor *a, const tensor *b) {
  if (a->ndim != b->ndim) return 0;
  for (int i = 0; i < a->ndim; i++)
    if (a->ne[i] != b->ne[i]) return 0;
  return 1;
}

tensor *nn_tape_output(nn_ctx *ctx, const nn_kernel *op, int ndim, const int *ne, tensor *const *src, int nsrc) {
  tensor *t = new_raw(ctx, ndim, ne);
  if (!t) return NULL;
  t->op = op;
  t->nsrc = nsrc < NN_MAX_SRC ? nsrc : NN_MAX_SRC;
  for (int i = 0; i < t->nsrc; i++) {
    t->src[i] = src[i];
    if (src[i] && src[i]->requires_grad) t->requires_grad = 1;
  }
  if (t->requires_grad && ctx->record) ptrvec_push(&ctx->mem, &ctx->tape, t);
  return t;
}

nn_list *nn_tape_list(nn_ctx *ctx, tensor *out, tensor *const *xs, int n) {
  nn_list *l = arena_alloc(&ctx->mem, sizeof *l);
  l->n = n;
  l->xs = arena_alloc(&ctx->mem, sizeof(tensor *) * (size_t)n);
  memcpy(l->xs, xs, sizeof(tensor *) * (size_t)n);
  for (int i = 0; i < n; i++)
    if (xs[i]->requires_grad && !out->requires_grad) {
      out->requires_grad = 1;
      if (ctx->record) ptrvec_push(&ctx->mem, &ctx->tape, out);
    }
  return l;
}

float *nn_grad(nn_ctx *ctx, tensor *t) {
  if (!t->grad) {
    t->grad = arena_alloc_raw(&ctx->mem, sizeof(float) * (size_t)t->n);
    memset(t->grad, 0, sizeof(float) * (size_t)t->n);
  }
  return t->grad;
}

float *nn_grad_fresh(nn_ctx *ctx, tensor *t, int *fresh) {
  *fresh = t->grad == NULL;
  if (!t->grad) t->grad = arena_alloc_raw(&ctx->mem, sizeof(float) * (size_t)t->n);
  return t->grad;
}

void nn_backward(nn_ctx *ctx, tensor *loss) {
  if (!loss || !loss->requires_grad) return;
  float *g = nn_grad(ctx, loss);
  for (int64_t i = 0; i < loss->n; i++) g[i] += 1.0f;
  for (int i = ctx->tape.n - 1; i >= 0; i--) {
    tensor *t = ctx->tape.items[i];
    if (!t->grad) continue; /* nothing flows back through it */
    t->op->backward(ctx, t);
  }
}

/* ---- parameters ---- */

void nn_params_init(nn_params *p) {
  memset(p, 0, sizeof *p);
  arena_init(&p->names);
}

void nn_params_free(nn_params *p) {
  for (int i = 0; i < p->items.n; i++) {
    tensor *t = p->items.items[i];
    free(t->data);
    free(t->grad);
    free(t);
  }
  arena_free(&p->names); /* also holds the item vector */
  memset(p, 0, sizeof *p);
}

tensor *nn_param(nn_params *p, const char *name, int ndim, const int *ne) {
  tensor *t = xcalloc(1, sizeof *t);
  t->ndim = ndim;
  t->n = 1;
  for (int i = 0; i < ndim; i++) {
    t->ne[i] = ne[i];
    t->n *= ne[i];
  }
  t->data = xcalloc((size_t)t->n, sizeof(float));
  t->grad = xcalloc((size_t)t->n, sizeof(float));
  t->requires_grad = 1;
  t->is_param = 1;
  t->name = arena_strdup(&p->names, name);
  ptrvec_push(&p->names, &p->items, t);
  return t;
}

void nn_params_zero_grad(nn_params *p) {
  for (int i = 0; i < p->items.n; i++) {
    tensor *t = p->items.items[i];
    memset(t->grad, 0, sizeof(float) * (size_t)t->n);
  }
}

int64_t nn_params_count(const nn_params *p) {
  int64_t n = 0;
  for (int i = 0; i < p->items.n; i++) {
    const tensor *t = p->items.items[i];
    if (t->requires_grad) n += t->n;
  }
  return n;
}

tensor *nn_params_find(const nn_params *p, const char *name) {
  for (int i = 0; i < p->items.n; i++) {
    tensor *t = p->items.items[i];
    if (!strcmp(t->name, name)) return t;
  }
  return NULL;
}

/* ---- initialisers ---- */

void nn_init_uniform(tensor *t, rng *r, float lo, float hi) {
  for (int64_t i = 0; i < t->n; i++) t->data[i] = lo + (hi - lo) * (float)rng_uniform(r);
}

void nn_init_he(tensor *t, rng *r, int fan_in) {
  double std = sqrt(2.0 / (fan_in > 0 ? fan_in : 1));
  for (int64_t i = 0; i < t->n; i += 2) { /* Box-Muller, two at a time */
    double u1 = rng_uniform(r), u2 = rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    double m = sqrt(-2.0 * log(u1));
    t->data[i] = (float)(std * m * cos(2 * M_PI * u2));
    if (i + 1 < t->n) t->data[i + 1] = (float)(std * m * sin(2 * M_PI * u2));
  }
}

void nn_init_glorot(tensor *t, rng *r, int fan_in, int fan_out) {
  float limit = (float)sqrt(6.0 / (fan_in + fan_out > 0 ? fan_in + fan_out : 1));
  nn_init_uniform(t, r, -limit, limit);
}

void nn_init_const(tensor *t, float v) {
  for (int64_t i = 0; i < t->n; i++) t->data[i] = v;
}

const tensor *nn_params_nonfinite(const nn_params *p) {
  for (int i = 0; i < p->items.n; i++) {
    const tensor *t = p->items.items[i];
    for (int64_t k = 0; k < t->n; k++)
      if (!isfinite(t->data[k])) return t;
  }
  return NULL;
}

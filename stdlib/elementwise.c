/* elementwise.c: sums, products, scaling, slicing and channel concatenation. */
#include <string.h>

#include "nn/dispatch.h"
#include "stdlib/kernels.h"
#include "stdlib/registry.h"

static tensor *binary(nn_ctx *ctx, nn_op op, const char *name, tensor *a, tensor *b) {
  if (!a || !b) return NULL;
  if (!nn_same_shape(a, b))
    return nn_fail(ctx, "%s needs two tensors of one shape, not %s and %s", name, nn_shape_text(ctx, a),
                   nn_shape_text(ctx, b));
  tensor *src[2] = {a, b};
  return nn_op_output(ctx, op, a->ndim, a->ne, src, 2);
}

NN_CLONES tensor *nn_add(nn_ctx *ctx, tensor *a, tensor *b) {
  tensor *y = binary(ctx, NN_ADD, "add", a, b);
  if (y)
    for (int64_t i = 0; i < y->n; i++) y->data[i] = a->data[i] + b->data[i];
  return y;
}

tensor *nn_sub(nn_ctx *ctx, tensor *a, tensor *b) {
  tensor *y = binary(ctx, NN_SUB, "sub", a, b);
  if (y)
    for (int64_t i = 0; i < y->n; i++) y->data[i] = a->data[i] - b->data[i];
  return y;
}

NN_CLONES tensor *nn_mul(nn_ctx *ctx, tensor *a, tensor *b) {
  tensor *y = binary(ctx, NN_MUL, "mul", a, b);
  if (y)
    for (int64_t i = 0; i < y->n; i++) y->data[i] = a->data[i] * b->data[i];
  return y;
}

static void add_into(nn_ctx *ctx, tensor *x, const float *g, float factor) {
  if (!x->requires_grad) return;
  float *dx = nn_grad(ctx, x);
  for (int64_t i = 0; i < x->n; i++) dx[i] += factor * g[i];
}

NN_CLONES void nn_add_backward(nn_ctx *ctx, tensor *y) {
  add_into(ctx, y->src[0], y->grad, 1);
  add_into(ctx, y->src[1], y->grad, 1);
}

void nn_sub_backward(nn_ctx *ctx, tensor *y) {
  add_into(ctx, y->src[0], y->grad, 1);
  add_into(ctx, y->src[1], y->grad, -1);
}

NN_CLONES void nn_mul_backward(nn_ctx *ctx, tensor *y) {
  tensor *a = y->src[0], *b = y->src[1];
  if (a->requires_grad) {
    float *da = nn_grad(ctx, a);
    for (int64_t i = 0; i < y->n; i++) da[i] += y->grad[i] * b->data[i];
  }
  if (b->requires_grad) {
    float *db = nn_grad(ctx, b);
    for (int64_t i = 0; i < y->n; i++) db[i] += y->grad[i] * a->data[i];
  }
}

tensor *nn_scale(nn_ctx *ctx, tensor *x, float factor) {
  if (!x) return NULL;
  tensor *y = nn_op_output(ctx, NN_SCALE, x->ndim, x->ne, &x, 1);
  if (!y) return NULL;
  y->fp[0] = factor;
  for (int64_t i = 0; i < y->n; i++) y->data[i] = factor * x->data[i];
  return y;
}

void nn_scale_backward(nn_ctx *ctx, tensor *y) { add_into(ctx, y->src[0], y->grad, y->fp[0]); }

tensor *nn_sum(nn_ctx *ctx, tensor *x) {
  if (!x) return NULL;
  tensor *y = nn_op_output(ctx, NN_SUM, 0, NULL, &x, 1);
  if (!y) return NULL;
  double s = 0;
  for (int64_t i = 0; i < x->n; i++) s += x->data[i];
  y->data[0] = (float)s;
  return y;
}

void nn_sum_backward(nn_ctx *ctx, tensor *y) {
  tensor *x = y->src[0];
  if (!x->requires_grad) return;
  float *dx = nn_grad(ctx, x);
  for (int64_t i = 0; i < x->n; i++) dx[i] += y->grad[0];
}

tensor *nn_slice(nn_ctx *ctx, tensor *x, int first, int count) {
  if (!x) return NULL;
  if (x->ndim != 2 || first < 0 || count < 1 || first + count > x->ne[1])
    return nn_fail(ctx, "slice of columns %d..%d does not fit %s", first, first + count - 1, nn_shape_text(ctx, x));
  int ne[2] = {x->ne[0], count};
  tensor *y = nn_op_output(ctx, NN_SLICE, 2, ne, &x, 1);
  if (!y) return NULL;
  y->ip[0] = first;
  for (int r = 0; r < x->ne[0]; r++)
    memcpy(y->data + (int64_t)r * count, x->data + (int64_t)r * x->ne[1] + first, sizeof(float) * (size_t)count);
  return y;
}

void nn_slice_backward(nn_ctx *ctx, tensor *y) {
  tensor *x = y->src[0];
  if (!x->requires_grad) return;
  float *dx = nn_grad(ctx, x);
  int count = y->ne[1], first = y->ip[0];
  for (int r = 0; r < x->ne[0]; r++)
    for (int k = 0; k < count; k++) dx[(int64_t)r * x->ne[1] + first + k] += y->grad[(int64_t)r * count + k];
}

/* The sources of a concatenation: more than NN_MAX_SRC go in aux. */

tensor *nn_concat(nn_ctx *ctx, tensor *const *xs, int n) {
  if (n < 1) return nn_fail(ctx, "concat needs at least one map");
  int N = 0, C = 0, H = 0, W = 0;
  for (int i = 0; i < n; i++) {
    if (!xs[i]) return NULL;
    if (xs[i]->ndim != 4) return nn_fail(ctx, "concat joins [N, C, H, W] maps, not %s", nn_shape_text(ctx, xs[i]));
    if (i && xs[i]->ne[0] != N)
      return nn_fail(ctx, "concat needs one batch size, not %d and %d", N, xs[i]->ne[0]);
    N = xs[i]->ne[0];
    C += xs[i]->ne[1];
    if (xs[i]->ne[2] > H) H = xs[i]->ne[2];
    if (xs[i]->ne[3] > W) W = xs[i]->ne[3];
  }
  int ne[4] = {N, C, H, W};
  tensor *y = nn_op_output(ctx, NN_CONCAT, 4, ne, xs, n <= NN_MAX_SRC ? n : 0);
  if (!y) return NULL;
  y->aux = nn_tape_list(ctx, y, xs, n); /* the tape needs to know about every source */
  memset(y->data, 0, sizeof(float) * (size_t)y->n); /* the padding of smaller maps */
  for (int b = 0; b < N; b++) {
    int c0 = 0;
    for (int i = 0; i < n; i++) {
      const tensor *x = xs[i];
      int Ci = x->ne[1], Hi = x->ne[2], Wi = x->ne[3];
      for (int c = 0; c < Ci; c++)
        for (int r = 0; r < Hi; r++)
          memcpy(y->data + (((int64_t)b * C + c0 + c) * H + r) * W,
                 x->data + (((int64_t)b * Ci + c) * Hi + r) * Wi, sizeof(float) * (size_t)Wi);
      c0 += Ci;
    }
  }
  return y;
}

void nn_concat_backward(nn_ctx *ctx, tensor *y) {
  const nn_list *l = y->aux;
  int N = y->ne[0], C = y->ne[1], H = y->ne[2], W = y->ne[3];
  int c0 = 0;
  for (int i = 0; i < l->n; i++) {
    tensor *x = l->xs[i];
    int Ci = x->ne[1], Hi = x->ne[2], Wi = x->ne[3];
    if (x->requires_grad) {
      float *dx = nn_grad(ctx, x);
      for (int b = 0; b < N; b++)
        for (int c = 0; c < Ci; c++)
          for (int r = 0; r < Hi; r++) {
            const float *g = y->grad + (((int64_t)b * C + c0 + c) * H + r) * W;
            float *d = dx + (((int64_t)b * Ci + c) * Hi + r) * Wi;
            for (int k = 0; k < Wi; k++) d[k] += g[k];
          }
    }
    c0 += Ci;
  }
}

tensor *nn_reshape(nn_ctx *ctx, tensor *x, int ndim, const int *ne) {
  if (!x) return NULL;
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) n *= ne[i];
  if (ndim < 0 || ndim > NN_MAX_DIMS || n != x->n)
    return nn_fail(ctx, "cannot reshape %s (%lld values) to %d dimensions of %lld values", nn_shape_text(ctx, x),
                   (long long)x->n, ndim, (long long)n);
  tensor *y = nn_op_output(ctx, NN_RESHAPE, ndim, ne, &x, 1);
  if (y) memcpy(y->data, x->data, sizeof(float) * (size_t)x->n);
  return y;
}

void nn_reshape_backward(nn_ctx *ctx, tensor *y) { add_into(ctx, y->src[0], y->grad, 1); }

/* ---- registry entries (registry.h): combines, which run in recurrent cells ---- */

static tensor *add_forward(nn_ctx *ctx, const stdlib_node *n, tensor *const *in) {
  (void)n;
  return nn_add(ctx, in[0], in[1]);
}
static tensor *mul_forward(nn_ctx *ctx, const stdlib_node *n, tensor *const *in) {
  (void)n;
  return nn_mul(ctx, in[0], in[1]);
}

static const nn_op add_kernels[] = {NN_ADD, NN_LEAF};
static const nn_op mul_kernels[] = {NN_MUL, NN_LEAF};

const stdlib_op stdlib_op_add = {"add", OP_ROLE_COMBINE, NULL, add_kernels, NULL, add_forward, NULL, NULL, NULL};
const stdlib_op stdlib_op_mul = {"mul", OP_ROLE_COMBINE, NULL, mul_kernels, NULL, mul_forward, NULL, NULL, NULL};

/* activation.c: element-wise functions and their derivatives. */
#include <math.h>

#include "nn/dispatch.h"
#include "nn/parallel.h"
#include "stdlib/kernels.h"
#include "stdlib/registry.h"

/* relu is the one activation on the hot path of every child network: its
 * passes are split over threads. */
typedef struct relu_task {
  const float *x, *g;
  float *y;
  int64_t n;
  int fresh;
} relu_task;

/* Local restrict pointers let the compiler vectorise: through the task
 * struct it must assume y may alias x and g, and emits a branchy scalar loop
 * that mispredicts on random signs. */
NN_CLONES static void relu_forward_part(void *arg, int ith, int nth) {
  relu_task *t = arg;
  int64_t b = t->n * ith / nth, e = t->n * (ith + 1) / nth;
  const float *restrict x = t->x;
  float *restrict y = t->y;
  for (int64_t i = b; i < e; i++) y[i] = x[i] < 0 ? 0.0f : x[i]; /* a NaN passes, as in PyTorch */
}

NN_CLONES static void relu_backward_part(void *arg, int ith, int nth) {
  relu_task *t = arg;
  int64_t b = t->n * ith / nth, e = t->n * (ith + 1) / nth;
  const float *restrict x = t->x, *restrict g = t->g;
  float *restrict dx = t->y;
  if (t->fresh)
    for (int64_t i = b; i < e; i++) dx[i] = x[i] > 0 ? g[i] : 0.0f;
  else
    for (int64_t i = b; i < e; i++) dx[i] += x[i] > 0 ? g[i] : 0.0f;
}

static int threads_for(const nn_ctx *ctx, int64_t n) { return n < 65536 ? 1 : ctx->nthreads; }

static tensor *unary(nn_ctx *ctx, nn_op op, tensor *x) {
  if (!x) return NULL;
  return nn_op_output(ctx, op, x->ndim, x->ne, &x, 1);
}

tensor *nn_relu(nn_ctx *ctx, tensor *x) {
  tensor *y = unary(ctx, NN_RELU, x);
  if (!y) return NULL;
  relu_task t = {x->data, NULL, y->data, x->n, 0};
  nn_parallel(threads_for(ctx, x->n), relu_forward_part, &t);
  return y;
}

void nn_relu_backward(nn_ctx *ctx, tensor *y) {
  tensor *x = y->src[0];
  if (!x->requires_grad) return;
  relu_task t = {x->data, y->grad, NULL, x->n, 0};
  t.y = nn_grad_fresh(ctx, x, &t.fresh);
  nn_parallel(threads_for(ctx, x->n), relu_backward_part, &t);
}

/* tanh and sigmoid sit on the recurrent cells' hot path: they are written
 * with nn_fast_expf so that their loops vectorise (libm's tanhf and expf are
 * calls the compiler cannot). Absolute error about 1e-7. */
NN_CLONES tensor *nn_tanh(nn_ctx *ctx, tensor *x) {
  tensor *y = unary(ctx, NN_TANH, x);
  if (!y) return NULL;
  const float *restrict xs = x->data;
  float *restrict ys = y->data;
  for (int64_t i = 0; i < x->n; i++) { /* tanh |v| = 1 - 2 / (exp(2|v|) + 1), sign put back */
    float v = xs[i], a = fabsf(v) < 9.0f ? fabsf(v) : 9.0f;
    float t = 1.0f - 2.0f / (nn_fast_expf(2.0f * a) + 1.0f);
    ys[i] = v < 0 ? -t : t;
  }
  return y;
}

NN_CLONES void nn_tanh_backward(nn_ctx *ctx, tensor *y) {
  tensor *x = y->src[0];
  if (!x->requires_grad) return;
  int fresh;
  float *restrict dx = nn_grad_fresh(ctx, x, &fresh);
  const float *restrict g = y->grad, *restrict ys = y->data;
  if (fresh)
    for (int64_t i = 0; i < x->n; i++) dx[i] = g[i] * (1.0f - ys[i] * ys[i]);
  else
    for (int64_t i = 0; i < x->n; i++) dx[i] += g[i] * (1.0f - ys[i] * ys[i]);
}

static float sigmoidf(float v) {
  if (v >= 0) return 1.0f / (1.0f + expf(-v));
  float e = expf(v);
  return e / (1.0f + e);
}

NN_CLONES tensor *nn_sigmoid(nn_ctx *ctx, tensor *x) {
  tensor *y = unary(ctx, NN_SIGMOID, x);
  if (!y) return NULL;
  const float *restrict xs = x->data;
  float *restrict ys = y->data;
  for (int64_t i = 0; i < x->n; i++) ys[i] = 1.0f / (1.0f + nn_fast_expf(-xs[i]));
  return y;
}

NN_CLONES void nn_sigmoid_backward(nn_ctx *ctx, tensor *y) {
  tensor *x = y->src[0];
  if (!x->requires_grad) return;
  int fresh;
  float *restrict dx = nn_grad_fresh(ctx, x, &fresh);
  const float *restrict g = y->grad, *restrict ys = y->data;
  if (fresh)
    for (int64_t i = 0; i < x->n; i++) dx[i] = g[i] * ys[i] * (1.0f - ys[i]);
  else
    for (int64_t i = 0; i < x->n; i++) dx[i] += g[i] * ys[i] * (1.0f - ys[i]);
}

tensor *nn_log_sigmoid(nn_ctx *ctx, tensor *x) {
  tensor *y = unary(ctx, NN_LOG_SIGMOID, x);
  if (y)
    for (int64_t i = 0; i < x->n; i++) {
      float v = x->data[i];
      y->data[i] = (v < 0 ? v : 0.0f) - log1pf(expf(-fabsf(v)));
    }
  return y;
}

void nn_log_sigmoid_backward(nn_ctx *ctx, tensor *y) {
  tensor *x = y->src[0];
  if (!x->requires_grad) return;
  float *dx = nn_grad(ctx, x);
  for (int64_t i = 0; i < x->n; i++) dx[i] += y->grad[i] * sigmoidf(-x->data[i]);
}

tensor *nn_exp(nn_ctx *ctx, tensor *x) {
  tensor *y = unary(ctx, NN_EXP, x);
  if (y)
    for (int64_t i = 0; i < x->n; i++) y->data[i] = expf(x->data[i]);
  return y;
}

void nn_exp_backward(nn_ctx *ctx, tensor *y) {
  tensor *x = y->src[0];
  if (!x->requires_grad) return;
  float *dx = nn_grad(ctx, x);
  for (int64_t i = 0; i < x->n; i++) dx[i] += y->grad[i] * y->data[i];
}

/* ---- registry entries (registry.h) ---- */

/* Element-wise: the shape stays, one operation per value. */
static int activation_resolve(stdlib_node *n, stdlib_shape *s, stdlib_build *b, strbuf *err) {
  (void)n, (void)err;
  b->flops += (int64_t)s->c * s->h * s->w;
  return 0;
}

static tensor *identity_forward(nn_ctx *ctx, const stdlib_node *n, tensor *const *in) {
  (void)ctx, (void)n;
  return in[0];
}
static tensor *tanh_forward(nn_ctx *ctx, const stdlib_node *n, tensor *const *in) {
  (void)n;
  return nn_tanh(ctx, in[0]);
}
static tensor *sigmoid_forward(nn_ctx *ctx, const stdlib_node *n, tensor *const *in) {
  (void)n;
  return nn_sigmoid(ctx, in[0]);
}
static tensor *relu_forward(nn_ctx *ctx, const stdlib_node *n, tensor *const *in) {
  (void)n;
  return nn_relu(ctx, in[0]);
}

static const nn_op identity_kernels[] = {NN_LEAF};
static const nn_op tanh_kernels[] = {NN_TANH, NN_LEAF};
static const nn_op sigmoid_kernels[] = {NN_SIGMOID, NN_LEAF};
static const nn_op relu_kernels[] = {NN_RELU, NN_LEAF};

const stdlib_op stdlib_op_identity = {"identity", OP_ROLE_ACTIVATION, NULL, identity_kernels, activation_resolve,
                                      identity_forward, NULL, NULL, NULL};
const stdlib_op stdlib_op_tanh = {"tanh", OP_ROLE_ACTIVATION, NULL, tanh_kernels, activation_resolve, tanh_forward,
                                  NULL, NULL, NULL};
const stdlib_op stdlib_op_sigmoid = {"sigmoid", OP_ROLE_ACTIVATION, NULL, sigmoid_kernels, activation_resolve,
                                     sigmoid_forward, NULL, NULL, NULL};
const stdlib_op stdlib_op_relu = {"relu", OP_ROLE_ACTIVATION, NULL, relu_kernels, activation_resolve, relu_forward,
                                  NULL, NULL, NULL};

/* activation.c: element-wise functions and their derivatives. */
#include <math.h>

#include "kernels.h"

static tensor *unary(nn_ctx *ctx, nn_op op, tensor *x) {
  if (!x) return NULL;
  return nn_op_output(ctx, op, x->ndim, x->ne, &x, 1);
}

tensor *nn_relu(nn_ctx *ctx, tensor *x) {
  tensor *y = unary(ctx, NN_RELU, x);
  if (y)
    for (int64_t i = 0; i < x->n; i++) y->data[i] = x->data[i] > 0 ? x->data[i] : 0.0f;
  return y;
}

void nn_relu_backward(nn_ctx *ctx, tensor *y) {
  tensor *x = y->src[0];
  if (!x->requires_grad) return;
  float *dx = nn_grad(ctx, x);
  for (int64_t i = 0; i < x->n; i++)
    if (x->data[i] > 0) dx[i] += y->grad[i];
}

tensor *nn_tanh(nn_ctx *ctx, tensor *x) {
  tensor *y = unary(ctx, NN_TANH, x);
  if (y)
    for (int64_t i = 0; i < x->n; i++) y->data[i] = tanhf(x->data[i]);
  return y;
}

void nn_tanh_backward(nn_ctx *ctx, tensor *y) {
  tensor *x = y->src[0];
  if (!x->requires_grad) return;
  float *dx = nn_grad(ctx, x);
  for (int64_t i = 0; i < x->n; i++) dx[i] += y->grad[i] * (1.0f - y->data[i] * y->data[i]);
}

static float sigmoidf(float v) {
  if (v >= 0) return 1.0f / (1.0f + expf(-v));
  float e = expf(v);
  return e / (1.0f + e);
}

tensor *nn_sigmoid(nn_ctx *ctx, tensor *x) {
  tensor *y = unary(ctx, NN_SIGMOID, x);
  if (y)
    for (int64_t i = 0; i < x->n; i++) y->data[i] = sigmoidf(x->data[i]);
  return y;
}

void nn_sigmoid_backward(nn_ctx *ctx, tensor *y) {
  tensor *x = y->src[0];
  if (!x->requires_grad) return;
  float *dx = nn_grad(ctx, x);
  for (int64_t i = 0; i < x->n; i++) dx[i] += y->grad[i] * y->data[i] * (1.0f - y->data[i]);
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

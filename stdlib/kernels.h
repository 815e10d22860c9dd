/* kernels.h: the backward functions of the stdlib kernels, for the operation
 * table in runtime/ops.c. Each file of stdlib/ implements one family. */
#ifndef NASLC_KERNELS_H
#define NASLC_KERNELS_H

#include <stdint.h>

#include "stdlib/ops.h"

void nn_conv2d_backward(nn_ctx *ctx, tensor *out);
void nn_conv2d_cat_backward(nn_ctx *ctx, tensor *out);
void nn_dwconv2d_backward(nn_ctx *ctx, tensor *out);
void nn_maxpool_backward(nn_ctx *ctx, tensor *out);
void nn_avgpool_backward(nn_ctx *ctx, tensor *out);
void nn_global_avgpool_backward(nn_ctx *ctx, tensor *out);
void nn_batchnorm_backward(nn_ctx *ctx, tensor *out);
void nn_batchnorm_relu_backward(nn_ctx *ctx, tensor *out);
void nn_dropout_backward(nn_ctx *ctx, tensor *out);
void nn_clip_rows_backward(nn_ctx *ctx, tensor *out);
void nn_relu_backward(nn_ctx *ctx, tensor *out);
void nn_tanh_backward(nn_ctx *ctx, tensor *out);
void nn_sigmoid_backward(nn_ctx *ctx, tensor *out);
void nn_log_sigmoid_backward(nn_ctx *ctx, tensor *out);
void nn_add_backward(nn_ctx *ctx, tensor *out);
void nn_sub_backward(nn_ctx *ctx, tensor *out);
void nn_mul_backward(nn_ctx *ctx, tensor *out);
void nn_scale_backward(nn_ctx *ctx, tensor *out);
void nn_sum_backward(nn_ctx *ctx, tensor *out);
void nn_slice_backward(nn_ctx *ctx, tensor *out);
void nn_concat_backward(nn_ctx *ctx, tensor *out);
void nn_dense_backward(nn_ctx *ctx, tensor *out);
void nn_embedding_backward(nn_ctx *ctx, tensor *out);
void nn_reshape_backward(nn_ctx *ctx, tensor *out);
void nn_exp_backward(nn_ctx *ctx, tensor *out);
void nn_softmax_xent_backward(nn_ctx *ctx, tensor *out);
void nn_log_softmax_backward(nn_ctx *ctx, tensor *out);
void nn_pick_backward(nn_ctx *ctx, tensor *out);

/* exp(x) for x in [-87, 88] to about 2 ulp, written so that a loop of it
 * vectorises: Cody-Waite reduction x = n ln 2 + r, a degree-6 polynomial for
 * exp(r) on |r| <= ln(2)/2, and 2^n put into the exponent bits. Below -87
 * it returns about 1e-38 (the smallest normal), which is 0 to a softmax.
 * NaN gives NaN (so a diverged network's loss is NaN), with the exponent
 * arithmetic done on a clamped value so that it stays in range. */
static inline float nn_fast_expf(float in) {
  float x = !(in >= -87.0f) ? -87.0f : in > 88.0f ? 88.0f : in;
  float n = __builtin_rintf(x * 1.44269504088896341f);
  float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  union {
    int32_t i;
    float f;
  } scale = {.i = (int32_t)((uint32_t)((int32_t)n + 127) << 23)};
  return in != in ? in : p * scale.f;
}

/* Same padding: the output size and the padding before the first element. */
int nn_same_out(int in, int k, int stride, int *pad_before);

#endif

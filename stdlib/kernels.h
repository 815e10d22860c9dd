/* kernels.h: the backward functions of the stdlib kernels, for the operation
 * table in runtime/ops.c. Each file of stdlib/ implements one family. */
#ifndef NASLC_KERNELS_H
#define NASLC_KERNELS_H

#include "../runtime/ops.h"

void nn_conv2d_backward(nn_ctx *ctx, tensor *out);
void nn_maxpool_backward(nn_ctx *ctx, tensor *out);
void nn_avgpool_backward(nn_ctx *ctx, tensor *out);
void nn_global_avgpool_backward(nn_ctx *ctx, tensor *out);
void nn_batchnorm_backward(nn_ctx *ctx, tensor *out);
void nn_dropout_backward(nn_ctx *ctx, tensor *out);
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

/* Same padding: the output size and the padding before the first element. */
int nn_same_out(int in, int k, int stride, int *pad_before);

#endif

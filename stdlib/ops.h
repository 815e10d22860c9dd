/* ops.h: the built-in operations of the tape, as functions that compute their output
 * at once and record themselves for backward (see tensor.h).
 *
 * Each returns NULL, with ctx->error set, when a source is NULL or the shapes
 * do not fit. The kernels live in stdlib/ (one file per family); nn_ops[]
 * names each operation and gives its backward function. */
#ifndef NASLC_OPS_H
#define NASLC_OPS_H

#include "nn/tensor.h"

/* Every built-in operation of the tape. Kernels live here, one file per
 * family; the table in stdlib/ops.c names each and gives its backward
 * function, and a static assertion keeps the table and this list the same
 * length. */
typedef enum nn_op {
  NN_LEAF,           /* an input or a parameter */
  NN_CONV2D,         /* src: x, weight, [bias]; ip: stride, pad_top, pad_left, H, W */
  NN_CONV2D_CAT,     /* src: weight, [bias]; aux: the maps joined; ip as NN_CONV2D */
  NN_MAXPOOL,        /* src: x; ip: size, stride, pad_top, pad_left; aux: argmax */
  NN_AVGPOOL,        /* src: x; ip: size, stride, pad_top, pad_left */
  NN_GLOBAL_AVGPOOL, /* src: x */
  NN_BATCHNORM,      /* src: x, gamma, beta; aux: mean and 1/std per channel */
  NN_BATCHNORM_RELU, /* as NN_BATCHNORM, the output clamped at 0 */
  NN_DROPOUT,        /* src: x; fp: rate; aux: mask */
  NN_RELU,           /* src: x */
  NN_TANH,           /* src: x */
  NN_SIGMOID,        /* src: x */
  NN_ADD,            /* src: a, b (same shape) */
  NN_SUB,            /* src: a, b (same shape) */
  NN_MUL,            /* src: a, b (same shape) */
  NN_SCALE,          /* src: x; fp: factor */
  NN_CONCAT,         /* src: up to NN_MAX_SRC maps, or a list in aux; channels joined */
  NN_DENSE,          /* src: x, weight [out, in], [bias]: x flattened per row */
  NN_SOFTMAX_XENT,   /* src: logits [N, K]; aux: labels, softmax; mean over rows */
  NN_LOG_SOFTMAX,    /* src: x [N, K] */
  NN_LOG_SIGMOID,    /* src: x */
  NN_PICK,           /* src: x [N, K]; aux: one index per row -> [N, 1] */
  NN_SUM,            /* src: x -> scalar */
  NN_SLICE,          /* src: x [N, K]; ip: first column, count */
  NN_EMBEDDING,      /* src: table [V, D]; aux: ids -> [n, D] */
  NN_RESHAPE,        /* src: x; the same values under another shape */
  NN_EXP,            /* src: x */
  NN_EXTERN,         /* src: x, first weights; aux: the plug-in, its arguments, every
                        weight (stdlib/extern.c) */
  NN_DWCONV2D,       /* src: x, weight [C, 1, k, k]; ip: size, stride, dilation, pad_top, pad_left */
  NN_CLIP_ROWS,      /* src: x [N, ...]; fp: max norm; aux: per row, the factor applied */
  NN_OP_COUNT
} nn_op;

/* One row per operation, in enum order: nn_ops[k].id == k. */
extern const nn_kernel nn_ops[NN_OP_COUNT];

/* An operation's output, recorded on the tape (see nn_tape_output). */
static inline tensor *nn_op_output(nn_ctx *ctx, nn_op op, int ndim, const int *ne, tensor *const *src, int nsrc) {
  return nn_tape_output(ctx, &nn_ops[op], ndim, ne, src, nsrc);
}

/* stdlib/conv.c: 2-D convolution, "same" padding (output ceil(H/stride) by
 * ceil(W/stride)); x [N, C, H, W], w [F, C, kh, kw], b [F] or NULL. */
tensor *nn_conv2d(nn_ctx *ctx, tensor *x, tensor *w, tensor *b, int stride);
/* nn_relu(nn_conv2d(...)) in one pass over the output, for evaluation: it
 * has no backward, so it fails (NULL, ctx->error) when it would be recorded
 * on the tape (ctx->record set and a source requires a gradient). */
tensor *nn_conv2d_relu(nn_ctx *ctx, tensor *x, tensor *w, tensor *b, int stride);
/* nn_conv2d(nn_concat(xs, n), ...) without the joined map: each image's
 * input is joined in a per-thread buffer when the convolution reads it, and
 * backward adds each map's part of the input gradient straight into that
 * map's gradient. The same values and gradients, bit for bit; neither the
 * joined map nor its gradient is kept. n == 1 is nn_conv2d. */
tensor *nn_conv2d_cat(nn_ctx *ctx, tensor *const *xs, int n, tensor *w, tensor *b, int stride);
tensor *nn_conv2d_cat_relu(nn_ctx *ctx, tensor *const *xs, int n, tensor *w, tensor *b, int stride);

/* stdlib/depthwise.c: depthwise convolution, one k x k filter per channel
 * (w [C, 1, k, k]), taps `dilation` apart, "same" padding for the dilated
 * kernel (output ceil(H/stride) by ceil(W/stride)), no bias. */
tensor *nn_dwconv2d(nn_ctx *ctx, tensor *x, tensor *w, int stride, int dilation);

/* stdlib/pool.c: windows of size x size, "same" padding; padding never wins a
 * max and is left out of a mean. */
tensor *nn_maxpool(nn_ctx *ctx, tensor *x, int size, int stride);
tensor *nn_avgpool(nn_ctx *ctx, tensor *x, int size, int stride);
tensor *nn_global_avgpool(nn_ctx *ctx, tensor *x); /* [N, C, H, W] -> [N, C, 1, 1] */

/* stdlib/norm.c: batch norm over N (and H, W) per channel, for [N, C, H, W] or
 * [N, C]. In training it normalises with the batch statistics and updates
 * the running ones (new = (1 - momentum) * old + momentum * batch, unbiased
 * variance); in evaluation it uses the running ones. */
tensor *nn_batchnorm(nn_ctx *ctx, tensor *x, tensor *gamma, tensor *beta, tensor *running_mean,
                     tensor *running_var, float momentum, float eps);
/* nn_relu(nn_batchnorm(...)) as one kernel: the same values and gradients,
 * bit for bit, with one map written instead of two (the batch norm's output
 * is not kept: backward masks dy with the sign of the relu's output and
 * recomputes the normalised input from x). */
tensor *nn_batchnorm_relu(nn_ctx *ctx, tensor *x, tensor *gamma, tensor *beta, tensor *running_mean,
                          tensor *running_var, float momentum, float eps);
/* Inverted dropout: in training zeroes with probability rate and scales the
 * rest by 1 / (1 - rate); the identity in evaluation. */
tensor *nn_dropout(nn_ctx *ctx, tensor *x, float rate);
/* Every row of x [N, ...] (flattened) whose Euclidean norm exceeds max_norm
 * scaled down to that norm; other rows unchanged. The gradient is the exact
 * one: through a clipped row y = m x / |x|, dx = (m / |x|)(dy - x (x.dy) / |x|^2).
 * The language model's state clipping (lm.h). max_norm > 0. */
tensor *nn_clip_rows(nn_ctx *ctx, tensor *x, float max_norm);

/* stdlib/activation.c */
tensor *nn_relu(nn_ctx *ctx, tensor *x);
tensor *nn_tanh(nn_ctx *ctx, tensor *x);
tensor *nn_sigmoid(nn_ctx *ctx, tensor *x);
tensor *nn_log_sigmoid(nn_ctx *ctx, tensor *x); /* log(sigmoid(x)), stable */
tensor *nn_exp(nn_ctx *ctx, tensor *x);

/* stdlib/elementwise.c */
tensor *nn_add(nn_ctx *ctx, tensor *a, tensor *b);
tensor *nn_sub(nn_ctx *ctx, tensor *a, tensor *b);
tensor *nn_mul(nn_ctx *ctx, tensor *a, tensor *b);
tensor *nn_scale(nn_ctx *ctx, tensor *x, float factor);
tensor *nn_sum(nn_ctx *ctx, tensor *x);                       /* -> scalar */
tensor *nn_slice(nn_ctx *ctx, tensor *x, int first, int count); /* columns of [N, K] */
/* The same values under another shape with as many elements. */
tensor *nn_reshape(nn_ctx *ctx, tensor *x, int ndim, const int *ne);
/* Joins [N, Ci, Hi, Wi] maps along channels; smaller maps are padded with
 * zeros at the bottom and right to the largest H and W. */
tensor *nn_concat(nn_ctx *ctx, tensor *const *xs, int n);

/* stdlib/dense.c */
/* x [N, ...] flattened to [N, in]; w [out, in]; b [out] or NULL -> [N, out] */
tensor *nn_dense(nn_ctx *ctx, tensor *x, tensor *w, tensor *b);
/* rows of table [V, D] picked by ids[0..n) -> [n, D] */
tensor *nn_embedding(nn_ctx *ctx, tensor *table, const int *ids, int n);

/* stdlib/loss.c */
/* mean over rows of -log softmax(logits)[label]; labels[N] in [0, K) */
tensor *nn_softmax_xent(nn_ctx *ctx, tensor *logits, const int *labels);
tensor *nn_log_softmax(nn_ctx *ctx, tensor *x);            /* per row of [N, K] */
tensor *nn_pick(nn_ctx *ctx, tensor *x, const int *index); /* x[i, index[i]] -> [N, 1] */

#endif

/* ops.c: the table of the tape's operations: one row per nn_op, in enum order. */
#include "stdlib/ops.h"

#include <assert.h>

#include "stdlib/kernels.h"
#include "stdlib/extern.h"

static void leaf_backward(nn_ctx *ctx, tensor *out) {
  (void)ctx;
  (void)out;
}

const nn_kernel nn_ops[NN_OP_COUNT] = {
    [NN_LEAF] = {"leaf", leaf_backward, NN_LEAF},
    [NN_CONV2D] = {"conv2d", nn_conv2d_backward, NN_CONV2D},
    [NN_CONV2D_CAT] = {"conv2d_cat", nn_conv2d_cat_backward, NN_CONV2D_CAT},
    [NN_MAXPOOL] = {"maxpool", nn_maxpool_backward, NN_MAXPOOL},
    [NN_AVGPOOL] = {"avgpool", nn_avgpool_backward, NN_AVGPOOL},
    [NN_GLOBAL_AVGPOOL] = {"global_avgpool", nn_global_avgpool_backward, NN_GLOBAL_AVGPOOL},
    [NN_BATCHNORM] = {"batchnorm", nn_batchnorm_backward, NN_BATCHNORM},
    [NN_BATCHNORM_RELU] = {"batchnorm_relu", nn_batchnorm_relu_backward, NN_BATCHNORM_RELU},
    [NN_DROPOUT] = {"dropout", nn_dropout_backward, NN_DROPOUT},
    [NN_RELU] = {"relu", nn_relu_backward, NN_RELU},
    [NN_TANH] = {"tanh", nn_tanh_backward, NN_TANH},
    [NN_SIGMOID] = {"sigmoid", nn_sigmoid_backward, NN_SIGMOID},
    [NN_ADD] = {"add", nn_add_backward, NN_ADD},
    [NN_SUB] = {"sub", nn_sub_backward, NN_SUB},
    [NN_MUL] = {"mul", nn_mul_backward, NN_MUL},
    [NN_SCALE] = {"scale", nn_scale_backward, NN_SCALE},
    [NN_CONCAT] = {"concat", nn_concat_backward, NN_CONCAT},
    [NN_DENSE] = {"dense", nn_dense_backward, NN_DENSE},
    [NN_SOFTMAX_XENT] = {"softmax_xent", nn_softmax_xent_backward, NN_SOFTMAX_XENT},
    [NN_LOG_SOFTMAX] = {"log_softmax", nn_log_softmax_backward, NN_LOG_SOFTMAX},
    [NN_LOG_SIGMOID] = {"log_sigmoid", nn_log_sigmoid_backward, NN_LOG_SIGMOID},
    [NN_PICK] = {"pick", nn_pick_backward, NN_PICK},
    [NN_SUM] = {"sum", nn_sum_backward, NN_SUM},
    [NN_SLICE] = {"slice", nn_slice_backward, NN_SLICE},
    [NN_EMBEDDING] = {"embedding", nn_embedding_backward, NN_EMBEDDING},
    [NN_RESHAPE] = {"reshape", nn_reshape_backward, NN_RESHAPE},
    [NN_EXP] = {"exp", nn_exp_backward, NN_EXP},
    [NN_EXTERN] = {"extern", nn_extern_backward, NN_EXTERN},
    [NN_DWCONV2D] = {"dwconv2d", nn_dwconv2d_backward, NN_DWCONV2D},
    [NN_CLIP_ROWS] = {"clip_rows", nn_clip_rows_backward, NN_CLIP_ROWS},
};

/* Adding an operation without its row leaves a hole the check below finds at
 * start-up in the tests; the count itself is fixed by the enum. */
static_assert(sizeof nn_ops / sizeof nn_ops[0] == NN_OP_COUNT, "one row per operation");
static_assert(NN_OP_COUNT == 30, "a new operation needs its row here, a gradient check and a doc entry");

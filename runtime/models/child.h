/* child.h: a sampled CNN architecture made into a trainable network.
 *
 * A DAG-cell architecture is first written as layers of the same kind
 * (runtime/models/dagnet.h): its nodes add their inputs (ARCH_JOIN_SUM) and
 * a node no edge reaches is zeros (ARCH_JOIN_ZERO), where a CNN layer joins
 * its inputs along channels; from there it is built, run and saved as any
 * child.
 *
 * The builder follows the paper's rules: a layer with several inputs takes
 * them concatenated along channels, smaller maps zero-padded to the largest;
 * a layer with no input takes the image; every layer whose output no later
 * layer uses is concatenated before the classifier head. Shapes are worked
 * out before anything is allocated, so an architecture that cannot work is
 * rejected with a reason and nothing else happens. Weights are named
 * layer.<i>.<instance>.<tensor> and head.<instance>.<tensor> (see
 * nasl-stdlib(7), WEIGHTS).
 *
 * A child owns its parameters and its decoded architecture; it borrows the
 * grammar of the arch it was built from. */
#ifndef NASLC_CHILD_H
#define NASLC_CHILD_H

#include "grammar/arch.h"
#include "stdlib/ops.h"
#include "stdlib/registry.h"

/* channels, height, width of one example's map */
typedef stdlib_shape child_shape;

typedef struct child_layer {
  int nops;              /* operations */
  stdlib_node *ops;      /* each resolved through the registry (stdlib/registry.h) */
  child_shape out;       /* shape of its output */
} child_layer;

typedef struct child {
  arch_cnn cnn;            /* the decoded architecture */
  child_layer *layers;     /* one per cnn layer */
  child_layer *head;       /* the classifier head */
  int *used;               /* per layer: some later layer reads it */
  child_shape input;       /* the image */
  int classes;             /* outputs of the head */
  nn_params params;        /* every weight, named */
  int64_t nparams;         /* trainable values */
  int64_t flops;           /* forward floating-point operations per example */
  int64_t activations;     /* floats kept per example for backward */
  int fold_batchnorm;      /* evaluation folds batch norm into the convolution before it (1 after child_build) */
  int fuse_batchnorm_relu; /* a batchnorm that a relu follows runs with it as one kernel (1 after child_build) */
  int conv_concat;         /* a layer with several inputs and a conv2d first joins them in the conv (1 after child_build) */
} child;

/* The most floats a network may keep per example for backward (1 GB): a
 * child or a unit past it is refused, "the network keeps N MB of
 * activations per example; that is more than this machine can train". */
#define CHILD_MAX_ACTIVATIONS ((int64_t)1 << 28)

/* Builds the network of a (CNN) architecture for images of shape input and
 * `classes` outputs, initialising weights from r. Returns 0, or -1 with the
 * reason in err (nothing to free then), e.g. past CHILD_MAX_ACTIVATIONS. */
int child_build(child *c, const arch *a, child_shape input, int classes, rng *r, strbuf *err);
/* The same, for a DAG-cell architecture with the network settings
 * (channels, cells) of recipe t rather than a->g->train's: the final stage
 * builds with the final recipe. */
int child_build_with(child *c, const arch *a, const grammar_train *t, child_shape input, int classes, rng *r,
                     strbuf *err);
void child_free(child *c);

/* Logits [N, classes] for images [N, C, H, W]; NULL with ctx->error set on
 * failure. ctx->training selects batch-norm statistics and dropout.
 *
 * In evaluation (ctx->training and ctx->record both 0) and with
 * c->fold_batchnorm, a conv2d followed by a batchnorm in a layer runs as one
 * convolution: batch norm with running statistics is an affine map per
 * channel, y = a x + b with a = gamma / sqrt(var + eps), b = beta - a mean,
 * so the convolution's weights of filter f are scaled by a[f] and its bias
 * becomes a[f] bias[f] + b[f]. The logits are those of the unfolded network
 * up to float rounding. A relu right after the batchnorm is applied in the
 * same pass (nn_conv2d_relu), so conv2d -> batchnorm -> relu makes one map
 * instead of three and reads it once. The folded weights are made in ctx's
 * arena for each call (F x K values, little next to the convolution).
 *
 * Otherwise, with c->fuse_batchnorm_relu, a batchnorm followed by a relu
 * runs as nn_batchnorm_relu, in training too: the same values and gradients,
 * bit for bit, one map kept instead of two.
 *
 * With c->conv_concat, a layer with several inputs whose first operation is
 * a conv2d runs it as nn_conv2d_cat: the joined map and its gradient are
 * never made (the same values and gradients, bit for bit). */
tensor *child_forward(nn_ctx *ctx, child *c, tensor *images);

/* One operation on its own, for `naslc gradcheck`: op with arguments
 * args (one per parameter, copied) on maps of shape input, its weights
 * named unit.op.<tensor>. Release with child_free. 0, or -1 with the reason
 * in err; as child_build, the shapes are worked out first and a unit past
 * CHILD_MAX_ACTIVATIONS is refused before anything is allocated. */
int child_unit_build(child *c, const grammar_opdecl *op, const grammar_value *args, child_shape input, rng *r,
                     strbuf *err);
/* The operation's output for x [N, C, H, W]. */
tensor *child_unit_forward(nn_ctx *ctx, child *c, tensor *x);

/* Makes every batch norm of c normalise with the statistics of its batch,
 * in evaluation too, and keep no running statistics: the running-statistic
 * tensors stay in c->params but are no longer read or written, and batch
 * norm is no longer folded into convolutions. For children whose weights
 * are shared (runtime/models/shared.h), whose running statistics would mix
 * architectures. */
void child_batch_statistics(child *c);

/* The output shape of layer i (0 <= i < c->cnn.nlayers), or of the head (-1). */
child_shape child_layer_shape(const child *c, int i);

/* A table of the layers: inputs, operations, output shapes, parameters. */
void child_summary(const child *c, strbuf *out);

/* The network as a Graphviz digraph: the image, one box per layer with its
 * operations, the chain solid and skip connections dashed, the head fed by
 * every layer no other layer reads (runtime/models/draw.c). */
void child_dot(const child *c, strbuf *out);

#endif

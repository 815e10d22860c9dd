/* dagnet.h: the network of a DAG-cell architecture, written as layers for
 * the child builder (runtime/models/child.h).
 *
 * A DAG cell says how a cell computes; the network around it is fixed, the
 * skeleton of NAS-Bench-201 (Dong & Yang, 2020), with the input
 * preprocessing of DARTS for cells of two inputs:
 *
 *   stem     conv2d 3x3 (C filters) -> batchnorm, on the image;
 *   stage s  s = 0, 1, 2 with C * 2^s channels: for s > 0 a residual
 *            reduction block first (relu -> conv2d 3x3 stride 2 ->
 *            batchnorm -> relu -> conv2d 3x3 -> batchnorm, added to
 *            avgpool 2x2 stride 2 -> conv2d 1x1 of the block's input), then
 *            `cells` copies of the searched cell, each with its own weights;
 *   head     batchnorm -> relu -> global_avgpool -> dense.
 *
 * C is the recipe's `channels` and `cells` its cells per stage (nasl(5),
 * TRAIN SETTINGS).
 *
 * Inside a cell, node 0 (or nodes 0 and 1) is the input: the previous cell
 * (or the previous two: the earlier one is the stem at the start, and after
 * a reduction block the last cell before it). A computed node is the sum
 * (ARCH_JOIN_SUM) of its incoming edges; a node that no edge reaches is a
 * map of zeros (ARCH_JOIN_ZERO). The edge operations of stdlib/cells.nasl
 * become stdlib layers:
 *
 *   none           no edge
 *   skip_connect   the source itself
 *   nor_conv_KxK   relu -> conv2d KxK -> batchnorm (the stage's channels)
 *   avg_pool_3x3   avgpool(size: 3, stride: 1) (padding left out of the mean)
 *   max_pool_3x3   maxpool(size: 3, stride: 1)
 *   sep_conv_KxK   (relu -> dwconv2d KxK -> conv2d 1x1 -> batchnorm) twice
 *   dil_conv_KxK   relu -> dwconv2d KxK dilation 2 -> conv2d 1x1 -> batchnorm
 *
 * and an operation of role layer or activation runs as itself, with the
 * arguments the ops list fixes. Any other edge operation (one declared in
 * the user's file) is refused.
 *
 * The output is the last node, or the nodes `output` names concatenated.
 * A cell input whose channels or size differ from the stage's (always, for
 * cells of two inputs, as in DARTS) first goes through relu -> conv2d 1x1
 * (stride 2 when it comes from before a reduction block) -> batchnorm.
 * Only what reaches the cell's output is built: an edge out of a node that
 * nothing reads has no layer and no weights; and a layer the network's
 * output does not depend on (the block or cell before a cell that does not
 * read that input) is dropped.
 *
 * Every layer of the result except the last is read by a later one, so the
 * head reads the last cell alone. Weights are named as a CNN child's,
 * layer.<i>.<op>.<tensor>: layer numbers follow the order above, and two
 * architectures share a number only where their cells agree up to it.
 *
 * So every layer also has a share name (arch_layer.share), its place in
 * the network whatever the architecture, for shared weights (shared.h):
 * PLACE/n, the n-th layer made for PLACE, where PLACE is
 *   stem, redS            the stem, the reduction block before stage S;
 *   sScKinJ               copy K of stage S: the preprocessing of input J;
 *   sScKnIxM_J:C:OP       its edge into node I, the M-th into that node, from
 *                         node J, with choice C of the ops list, operation OP
 *                         (one place per choice: dwconv2d(size: 3) and
 *                         dwconv2d(size: 5) in one list have two);
 *   sScKnI, sScKout       the node's sum or zeros, the joined output. */
#ifndef NASLC_DAGNET_H
#define NASLC_DAGNET_H

#include "common/strbuf.h"
#include "grammar/arch.h"

/* The layers of a's network (a DAG-cell architecture) with the recipe t's
 * channels and cells, into out (release with arch_cnn_free). 0, or -1 with
 * the reason in err (nothing to free then): an edge operation that cannot
 * run, a space that is not a DAG cell. Shapes are not checked here; the
 * child builder checks them. */
int dagnet_lower(const arch *a, const grammar_train *t, arch_cnn *out, strbuf *err);

/* 0 when every edge operation of the DAG-cell space g can run; else -1
 * with err naming the first that cannot and what to do. A search that
 * trains its children checks this first, rather than fail child after
 * child. */
int dagnet_check_ops(const grammar *g, strbuf *err);

#endif

/* dagnet_test.c: DAG-cell architectures as networks (runtime/models/dagnet.h):
 * the layers a cell becomes (sums, zeros, skips, dead edges left out, the
 * inputs of two-input cells brought to the stage's size), the parameter
 * count by hand, gradients against finite differences through whole
 * networks, a refused operation, the final recipe's network settings, and a
 * tiny training run that must learn and repeat itself. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compile.h"
#include "runtime/models/dagnet.h"
#include "runtime/train/train.h"
#include "quads.h"
#include "tap.h"

static grammar *compile_text(const char *text) {
  nasl_diag d;
  nasl_diag_init(&d, stderr);
  grammar *g = nasl_compile_text("dag.nasl", text, strlen(text), NULL, &d);
  nasl_diag_free(&d);
  return g;
}

static const char nb201[] =
    "cell nb { dag { nodes: 4; edges: all; ops: [none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3] } }\n"
    "train { channels: 2; cells: 1; epochs: 4; batch: 16; optimizer: sgd(lr: 0.05, momentum: 0.9); seed: 3 }\n"
    "final { cells: 2 }\n"
    "search reinforce { reward: max(valid_accuracy, last: 2) ^ 3 }\n";

/* |nor_conv_3x3~0|+|none~0|none~1|+|nor_conv_1x1~0|skip_connect~1|nor_conv_1x1~2| */
static const int cell_a[] = {3, 0, 0, 2, 1, 2};
/* |avg_pool_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|none~0|none~1|skip_connect~2|: node 1 reaches the output */
static const int cell_b[] = {4, 3, 1, 0, 0, 1};

static int build(const grammar *g, const grammar_train *t, const int *tokens, int n, child_shape in, child *c,
                 strbuf *err) {
  arch a;
  if (!arch_from_tokens(g, 0, tokens, n, &a, err)) return -1;
  rng r;
  rng_seed(&r, 7);
  int rc = child_build_with(c, &a, t, in, 10, &r, err);
  arch_free(&a);
  return rc;
}

static int inputs_are(const arch_layer *l, arch_join join, int n, int i0, int i1, int i2) {
  int want[3] = {i0, i1, i2};
  if (l->join != join || l->ninputs != n) return 0;
  for (int k = 0; k < n; k++)
    if (l->inputs[k] != want[k]) return 0;
  return 1;
}

static void test_layers(const grammar *g) {
  strbuf err;
  strbuf_init(&err);
  child c;
  if (build(g, &g->train, cell_a, 6, (child_shape){1, 8, 8}, &c, &err)) {
    tap_result(0, "the NAS-Bench-201 cell builds: %s", err.data);
    strbuf_free(&err);
    return;
  }
  const arch_layer *l = c.cnn.layers;
  /* stem 0; cell 1..5; reduction 6..9; cell 10..14; reduction 15..18; cell 19..23 */
  tap_result(c.cnn.nlayers == 24, "stem, three cells and two reduction blocks make 24 layers (%d)", c.cnn.nlayers);
  if (c.cnn.nlayers != 24) {
    child_free(&c);
    strbuf_free(&err);
    return;
  }
  tap_result(l[0].ninputs == 0 && l[0].nops == 2 && inputs_are(&l[1], ARCH_JOIN_CONCAT, 1, 0, 0, 0),
             "the stem reads the image; node 1 is a convolution of the cell's input");
  tap_result(inputs_are(&l[2], ARCH_JOIN_ZERO, 1, 0, 0, 0) && l[2].nops == 0,
             "node 2, which no edge reaches, is a map of zeros shaped like the input");
  tap_result(inputs_are(&l[5], ARCH_JOIN_SUM, 3, 3, 1, 4) && inputs_are(&l[4], ARCH_JOIN_CONCAT, 1, 2, 0, 0),
             "node 3 adds its three edges: conv of node 0, node 1 itself (skip), conv of the zeros");
  tap_result(inputs_are(&l[6], ARCH_JOIN_CONCAT, 1, 5, 0, 0) && inputs_are(&l[8], ARCH_JOIN_CONCAT, 1, 5, 0, 0) &&
                 inputs_are(&l[9], ARCH_JOIN_SUM, 2, 7, 8, 0),
             "the reduction block adds its two convolutions to the pooled shortcut");
  child_shape s0 = child_layer_shape(&c, 5), s1 = child_layer_shape(&c, 14), s2 = child_layer_shape(&c, 23);
  tap_result(s0.c == 2 && s0.h == 8 && s1.c == 4 && s1.h == 4 && s2.c == 8 && s2.h == 2 && s2.w == 2,
             "stages of 2, 4 and 8 channels on 8x8, 4x4 and 2x2 maps");
  int dangling = 0;
  for (int i = 0; i < c.cnn.nlayers; i++) dangling += !c.used[i];
  tap_result(dangling == 1 && !c.used[23], "the head reads the last cell alone");
  /* by hand: convolutions K*K*in*out, batch norms 2 per channel, dense 8*10+10 */
  int64_t stem = 9 * 1 * 2 + 4, cell0 = (9 * 2 * 2 + 4) + 2 * (2 * 2 + 4);
  int64_t red1 = (9 * 2 * 4 + 8) + (9 * 4 * 4 + 8) + 2 * 4, cell1 = (9 * 4 * 4 + 8) + 2 * (4 * 4 + 8);
  int64_t red2 = (9 * 4 * 8 + 16) + (9 * 8 * 8 + 16) + 4 * 8, cell2 = (9 * 8 * 8 + 16) + 2 * (8 * 8 + 16);
  int64_t head = 16 + 8 * 10 + 10, want = stem + cell0 + red1 + cell1 + red2 + cell2 + head;
  tap_result(c.nparams == want, "parameters counted: %lld (by hand %lld)", (long long)c.nparams, (long long)want);
  child_free(&c);

  /* dead edges: node 2 is read by nobody on the way to the output */
  if (build(g, &g->train, cell_b, 6, (child_shape){1, 8, 8}, &c, &err)) {
    tap_result(0, "the second cell builds: %s", err.data);
  } else {
    /* node 1 = avgpool(0) [1]; node 2 = conv(0) [2] + node 1, their sum [3]; node 3 = node 2 (one skip) */
    l = c.cnn.layers;
    tap_result(inputs_are(&l[1], ARCH_JOIN_CONCAT, 1, 0, 0, 0) && l[1].nops == 1 &&
                   inputs_are(&l[3], ARCH_JOIN_SUM, 2, 2, 1, 0) && inputs_are(&l[4], ARCH_JOIN_CONCAT, 1, 3, 0, 0),
               "a node reached by one skip is its source: the reduction reads node 2's sum directly");
    child_free(&c);
  }
  int cell_c[] = {3, 0, 3, 1, 0, 0}; /* node 3 = skip(0): nodes 1 and 2 are dead */
  if (build(g, &g->train, cell_c, 6, (child_shape){1, 8, 8}, &c, &err)) {
    tap_result(0, "the third cell builds: %s", err.data);
  } else {
    tap_result(c.cnn.nlayers == 1 + 4 + 4 && c.nparams == stem + (red1 + red2) + head,
               "edges into nodes the output does not read make no layers and no weights (%d layers, %lld parameters)",
               c.cnn.nlayers, (long long)c.nparams);
    child_free(&c);
  }

  /* the final recipe's settings */
  if (build(g, &g->final, cell_a, 6, (child_shape){1, 8, 8}, &c, &err)) {
    tap_result(0, "the final network builds: %s", err.data);
  } else {
    tap_result(c.cnn.nlayers == 1 + 3 * 2 * 5 + 2 * 4, "the final recipe's cells: 2 per stage, %d layers",
               c.cnn.nlayers);
    child_free(&c);
  }
  strbuf_free(&err);
}

/* Cells of two inputs: each input brought to the stage (a strided 1x1
 * convolution for the one from before a reduction), the unused nodes
 * concatenated. */
static void test_two_inputs(void) {
  grammar *g = compile_text(
      "cell e { dag { inputs: 2; nodes: 5; edges: 2; ops: [skip_connect, nor_conv_3x3, avg_pool_3x3, max_pool_3x3]; "
      "output: unused } }\n"
      "train { channels: 2; cells: 1 }\n");
  if (!g) {
    tap_result(0, "the two-input space compiles");
    return;
  }
  /* node 2: skip(1) + conv(0); node 3: max(2) + avg(1); node 4: conv(1) + skip(0): 3 and 4 unused */
  int t[] = {1, 0, 0, 1, 2, 1, 3, 2, 1, 0, 1, 0};
  strbuf err;
  strbuf_init(&err);
  child c;
  if (build(g, &g->train, t, 12, (child_shape){1, 8, 8}, &c, &err)) {
    tap_result(0, "the two-input cell builds: %s", err.data);
  } else {
    int strided = 0, concat = 0;
    for (int i = 0; i < c.cnn.nlayers; i++) {
      const arch_layer *l = &c.cnn.layers[i];
      if (l->nops == 3 && l->ops[1].args[0].i == 1 && l->ops[1].args[3].i == 2) strided++;
      if (l->join == ARCH_JOIN_CONCAT && l->ninputs == 2 && l->nops == 0) concat++;
    }
    child_shape out = child_layer_shape(&c, c.cnn.nlayers - 1);
    tap_result(strided == 2, "the cell after each reduction brings its earlier input down with a strided 1x1 (%d)",
               strided);
    tap_result(concat == 3 && out.c == 16 && out.h == 2, "the two unused nodes are concatenated: 2 x 8 channels (%dx%dx%d)",
               out.c, out.h, out.w);
    child_free(&c);
  }
  strbuf_free(&err);
  grammar_free(g);
}

/* The loss of c on fixed images, in training mode (batch statistics);
 * with record, as a taped softmax_xent, else computed from the logits in
 * double (finer than a float loss: finite differences need it). */
static const int labels[32] = {1, 0, 3, 2, 2, 3, 0, 1, 1, 0, 3, 2, 2, 3, 0, 1, 1, 0, 3, 2, 2, 3, 0, 1, 1, 0, 3, 2, 2, 3, 0, 1};

static tensor *logits_of(nn_ctx *ctx, child *c, int record) {
  ctx->training = 1;
  ctx->record = record;
  rng r;
  rng_seed(&r, 11);
  tensor *x = nn_new4(ctx, 32, 1, 16, 16);
  for (int64_t i = 0; i < x->n; i++) x->data[i] = (float)rng_uniform(&r) * 2 - 1;
  return child_forward(ctx, c, x);
}

static double loss_double(nn_ctx *ctx, child *c) {
  tensor *z = logits_of(ctx, c, 0);
  if (!z) return NAN;
  int n = z->ne[0], k = z->ne[1];
  double sum = 0;
  for (int i = 0; i < n; i++) {
    double m = -INFINITY, e = 0;
    for (int j = 0; j < k; j++) m = fmax(m, z->data[i * k + j]);
    for (int j = 0; j < k; j++) e += exp(z->data[i * k + j] - m);
    sum += m + log(e) - z->data[i * k + labels[i]];
  }
  return sum / n;
}

/* Gradients of every weight tensor of the network against central
 * differences along a random direction of that tensor: d loss / d t . v
 * with v of unit length and random signs, so every entry of the tensor
 * takes part. The network runs in float: a step of 3e-4 is small enough
 * for the relu kinks and large enough for the rounding of the forward
 * pass, and the tolerance (1e-3 plus 5%) is what that leaves; adding the
 * later inputs of every sum 10% too strongly fails it by more than ten
 * times. */
static void gradcheck(const grammar *g, const int *tokens, int n, const char *what) {
  strbuf err;
  strbuf_init(&err);
  child c;
  if (build(g, &g->train, tokens, n, (child_shape){1, 16, 16}, &c, &err)) {
    tap_result(0, "%s: builds: %s", what, err.data);
    strbuf_free(&err);
    return;
  }
  c.fuse_batchnorm_relu = 0; /* the plain kernels, as the finite differences run them */
  rng r;
  rng_seed(&r, 1);
  nn_ctx ctx;
  nn_ctx_init(&ctx, 1, &r);
  tensor *z = logits_of(&ctx, &c, 1), *l = z ? nn_softmax_xent(&ctx, z, labels) : NULL;
  nn_params_zero_grad(&c.params);
  if (l) nn_backward(&ctx, l);
  int checked = 0, bad = 0;
  double worst = 0;
  for (int i = 0; l && i < c.params.items.n; i++) {
    tensor *t = c.params.items.items[i];
    if (strstr(t->name, "running")) continue;
    float *keep = malloc(sizeof(float) * (size_t)t->n), *v = malloc(sizeof(float) * (size_t)t->n);
    memcpy(keep, t->data, sizeof(float) * (size_t)t->n);
    double analytic = 0;
    for (int64_t k = 0; k < t->n; k++) {
      v[k] = (float)((rng_below(&r, 2) ? 1 : -1) / sqrt((double)t->n));
      analytic += (t->grad ? t->grad[k] : 0) * (double)v[k];
    }
    const double eps = 3e-4;
    double f[2];
    for (int side = 0; side < 2; side++) {
      for (int64_t k = 0; k < t->n; k++) t->data[k] = keep[k] + (float)((side ? -eps : eps) * v[k]);
      nn_ctx fctx;
      nn_ctx_init(&fctx, 1, &r);
      f[side] = loss_double(&fctx, &c);
      nn_ctx_free(&fctx);
    }
    memcpy(t->data, keep, sizeof(float) * (size_t)t->n);
    free(keep);
    free(v);
    double numeric = (f[0] - f[1]) / (2 * eps);
    double diff = fabs(numeric - analytic) / (1e-3 + 5e-2 * fmax(fabs(numeric), fabs(analytic)));
    if (!(diff <= worst)) worst = diff;
    if (!(diff <= 1)) {
      bad++;
      tap_diag("%s: analytic %g, numeric %g", t->name, analytic, numeric);
    }
    checked++;
  }
  tap_result(l && checked >= 20 && bad == 0,
             "%s: gradients match finite differences (%d tensors, worst %.2f of the tolerance)", what, checked, worst);
  nn_ctx_free(&ctx);
  child_free(&c);
  strbuf_free(&err);
}

/* Four channels: a float network of two channels is too rough a function
 * for finite differences (a relu kink crossed moves the loss visibly); so
 * is one of separable convolutions (four relus an edge), whose layers are
 * checked by their operations instead (test_separable) and dwconv2d by
 * tests/gradcheck. */
static void test_gradients(void) {
  char text[sizeof nb201];
  memcpy(text, nb201, sizeof nb201);
  char *at = strstr(text, "channels: 2");
  if (at) at[10] = '4';
  grammar *g = compile_text(text);
  if (g) {
    gradcheck(g, cell_a, 6, "a NAS-Bench-201 network (sums, zeros, skips, reductions)");
    gradcheck(g, cell_b, 6, "one with pooling on an edge");
  } else {
    tap_result(0, "the four-channel space compiles");
  }
  grammar_free(g);
  g = compile_text(
      "cell e { dag { inputs: 2; nodes: 5; edges: 2; ops: [skip_connect, nor_conv_3x3, avg_pool_3x3, max_pool_3x3]; "
      "output: unused } }\n"
      "train { channels: 4; cells: 1 }\n");
  int t[] = {1, 0, 0, 1, 2, 1, 3, 2, 1, 0, 1, 0};
  if (g) gradcheck(g, t, 12, "a two-input cell with concatenated outputs");
  else tap_result(0, "the two-input space compiles");
  grammar_free(g);
}

/* The separable and dilated convolutions of DARTS, and an edge operation
 * declared in the file, which nothing runs. */
static void test_separable(void) {
  grammar *g = compile_text(
      "op wiggle : edge \"declared, never run\"\n"
      "cell s { dag { nodes: 3; ops: [sep_conv_3x3, dil_conv_5x5, wiggle] } }\n"
      "train { channels: 4; cells: 1 }\n");
  if (!g) {
    tap_result(0, "the separable space compiles");
    return;
  }
  strbuf err;
  strbuf_init(&err);
  child c;
  int t[] = {0, 1, 0}; /* node 1 = sep(0); node 2 = dil(0) + sep(1) */
  if (build(g, &g->train, t, 3, (child_shape){1, 8, 8}, &c, &err)) {
    tap_result(0, "sep_conv and dil_conv build: %s", err.data);
  } else {
    const arch_layer *sep = &c.cnn.layers[1], *dil = &c.cnn.layers[2];
    static const char *const want_sep[] = {"relu",   "dwconv2d",   "conv2d",   "batchnorm",
                                           "relu_2", "dwconv2d_2", "conv2d_2", "batchnorm_2"};
    int ok = sep->nops == 8 && dil->nops == 4;
    for (int k = 0; ok && k < 8; k++) ok = !strcmp(sep->ops[k].inst, want_sep[k]);
    tap_result(ok, "sep_conv_3x3 is relu, depthwise 3x3, 1x1, batch norm, twice, each with its own weights");
    tap_result(dil->nops == 4 && dil->ops[1].args[0].i == 5 && dil->ops[1].args[2].i == 2,
               "dil_conv_5x5 is relu, depthwise 5x5 of dilation 2, 1x1, batch norm");
    /* stem and head; per stage of C channels two separable convolutions (each twice depthwise 9C, pointwise
     * C*C, batch norm 2C) and a dilated one (25C + C*C + 2C); the reduction blocks */
    int64_t want = (9 * 4 + 2 * 4) + (2 * 16 + 16 * 10 + 10);
    for (int s = 0, C = 4; s < 3; s++, C *= 2) {
      want += 2 * (2 * (9 * C + C * C + 2 * C)) + (25 * C + C * C + 2 * C);
      if (s > 0) want += (9 * (C / 2) * C + 2 * C) + (9 * C * C + 2 * C) + (C / 2) * C;
    }
    tap_result(c.nparams == want, "parameters counted: %lld (by hand %lld)", (long long)c.nparams, (long long)want);
    child_free(&c);
  }
  int w[] = {2, 0, 0};
  int rc = build(g, &g->train, w, 3, (child_shape){1, 8, 8}, &c, &err);
  tap_result(rc != 0 && strstr(err.data, "node 1: the edge operation 'wiggle' has no runtime in naslc"),
             "an edge operation nothing runs is refused with the reason: %s", err.data);
  if (rc == 0) child_free(&c);
  strbuf_clear(&err);
  tap_result(dagnet_check_ops(g, &err) != 0 && strstr(err.data, "'s' offers the edge operation 'wiggle'"),
             "and a search that would train the space is told so before it starts");
  strbuf_free(&err);
  grammar_free(g);
}

/* Two variants of one operation in an ops list are two choices: the edge
 * of each has a place of its own (dagnet.h), so that shared weights keep
 * them apart. */
static void test_variant_places(void) {
  grammar *g = compile_text("cell v { dag { nodes: 3; ops: [dwconv2d(size: 3), dwconv2d(size: 5)] } }\n"
                            "train { channels: 4; cells: 1 }\n");
  if (!g) {
    tap_result(0, "the space of two dwconv2d variants compiles");
    return;
  }
  strbuf err;
  strbuf_init(&err);
  char *share[2] = {NULL, NULL};
  for (int v = 0; v < 2; v++) {
    int t[] = {v, 0, 0}; /* node 1 = variant v of input 0 */
    child c;
    if (build(g, &g->train, t, 3, (child_shape){1, 8, 8}, &c, &err)) continue;
    for (int i = 0; i < c.cnn.nlayers; i++)
      if (c.cnn.layers[i].share && !strncmp(c.cnn.layers[i].share, "s0c0n1x0_0:", 11))
        share[v] = xstrdup(c.cnn.layers[i].share);
    child_free(&c);
  }
  tap_result(share[0] && share[1] && !strcmp(share[0], "s0c0n1x0_0:0:dwconv2d/0") &&
                 !strcmp(share[1], "s0c0n1x0_0:1:dwconv2d/0"),
             "dwconv2d(size: 3) and dwconv2d(size: 5) on one edge have two places: %s, %s %s",
             share[0] ? share[0] : "-", share[1] ? share[1] : "-", err.data);
  free(share[0]);
  free(share[1]);
  strbuf_free(&err);
  grammar_free(g);
}

static void test_training(const grammar *g) {
  train_data d;
  quads_data(&d);
  strbuf err;
  strbuf_init(&err);
  arch a;
  if (!arch_from_tokens(g, 0, cell_a, 6, &a, &err)) {
    tap_result(0, "the cell: %s", err.data);
    strbuf_free(&err);
    return;
  }
  train_opts o = {0, 2, 1, 0, 0, 0};
  train_report rep[2];
  for (int run = 0; run < 2; run++) {
    child c;
    if (train_child(g, &a, &d, &o, &c, &rep[run], &err)) {
      tap_result(0, "tiny training: %s", err.data);
      arch_free(&a);
      train_data_free(&d);
      strbuf_free(&err);
      return;
    }
    child_free(&c);
  }
  tap_result(rep[0].epochs == 4 && rep[0].valid_metric[3] > 0.9 && rep[0].test_metric > 0.9,
             "a DAG network learns: valid accuracy %.3f, test accuracy %.3f after 4 epochs (chance 0.25)",
             rep[0].valid_metric[3], rep[0].test_metric);
  int same = rep[0].test_metric == rep[1].test_metric;
  for (int e = 0; e < 4; e++) same &= rep[0].valid_loss[e] == rep[1].valid_loss[e];
  tap_result(same, "the same seed gives the same history, bit for bit");
  train_report_free(&rep[0]);
  train_report_free(&rep[1]);
  arch_free(&a);
  train_data_free(&d);
  strbuf_free(&err);
}

int main(void) {
  grammar *g = compile_text(nb201);
  if (!g) {
    tap_result(0, "the NAS-Bench-201 space compiles");
    return tap_done();
  }
  test_layers(g);
  test_two_inputs();
  test_gradients();
  test_separable();
  test_variant_places();
  test_training(g);
  grammar_free(g);
  return tap_done();
}

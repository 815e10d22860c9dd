/* child_test.c: the child builder's rules, one test each, its counts, a
 * rejected architecture, and a tiny training run on generated images that
 * must learn and must repeat itself exactly from the same seed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compile.h"
#include "nn/parallel.h"
#include "runtime/train/train.h"
#include "quads.h"
#include "tap.h"

static grammar *compile_text(const char *text) {
  nasl_diag d;
  nasl_diag_init(&d, stderr);
  grammar *g = nasl_compile_text("child.nasl", text, strlen(text), NULL, &d);
  nasl_diag_free(&d);
  return g;
}

/* The first architecture of g whose anchor tokens are given (others 0). */
static int arch_with(const grammar *g, const int *tokens, int n, arch *a) {
  strbuf err;
  strbuf_init(&err);
  int ok = arch_from_tokens(g, 0, tokens, n, a, &err);
  if (!ok) tap_diag("%s", err.data);
  strbuf_free(&err);
  return ok;
}

/* anchor(previous: true): the layer before is always an input, beside the
 * layers the anchors choose; with none chosen, only it (not the image) */
static void test_keep_previous(void) {
  grammar *g = compile_text("space s { layers 4 { conv2d(height: 3, width: 3, filters: 4); "
                            "inputs: anchor(window: 2, previous: true) } }");
  if (!g) {
    tap_result(0, "previous: true compiles");
    return;
  }
  rng r;
  rng_seed(&r, 1);
  strbuf err;
  strbuf_init(&err);
  child c;
  arch a;
  int none[] = {0, 0, 0}, some[] = {1, 1, 0}; /* layer 2: layer 0 on/off; layer 3: layers 0, 1 on/off */
  for (int k = 0; k < 2; k++) {
    if (!arch_with(g, k ? some : none, 3, &a) || child_build(&c, &a, (child_shape){1, 8, 8}, 10, &r, &err)) {
      tap_result(0, "builds: %s", err.data);
      continue;
    }
    const arch_layer *l = c.cnn.layers;
    if (k == 0)
      tap_result(l[0].ninputs == 0 && l[1].ninputs == 1 && l[1].inputs[0] == 0 && l[2].ninputs == 1 &&
                     l[2].inputs[0] == 1 && l[3].ninputs == 1 && l[3].inputs[0] == 2,
                 "with no anchor chosen, each layer reads the one before it (not the image)");
    else
      tap_result(l[2].ninputs == 2 && l[2].inputs[0] == 0 && l[2].inputs[1] == 1 && l[3].ninputs == 2 &&
                     l[3].inputs[0] == 0 && l[3].inputs[1] == 2,
                 "chosen anchors join the layer before it (layer 2 reads 0 and 1, layer 3 reads 0 and 2)");
    child_free(&c);
    arch_free(&a);
  }
  strbuf_free(&err);
  grammar_free(g);
}

static void test_rules(void) {
  /* three layers with anchors: tokens are layer[1].inputs (1 bit), layer[2].inputs (2 bits) */
  grammar *g = compile_text(
      "space s { layer { conv2d(height: 3, width: 3, filters: 4, stride: 2) }\n"
      "          layers 2 { conv2d(height: 3, width: 3, filters: 6); inputs: anchor } }");
  if (!g) {
    tap_result(0, "rule space compiles");
    return;
  }
  rng r;
  rng_seed(&r, 1);
  strbuf err;
  strbuf_init(&err);
  child c;
  arch a;
  /* layer 1 takes nothing (the image), layer 2 takes layers 0 and 1 */
  int t1[] = {0, 1, 1};
  arch_with(g, t1, 3, &a);
  int rc = child_build(&c, &a, (child_shape){1, 8, 8}, 10, &r, &err);
  tap_result(rc == 0, "builds: %s", rc ? err.data : "ok");
  if (rc == 0) {
    tensor *w1 = nn_params_find(&c.params, "layer.1.conv2d.weight");
    tap_result(c.cnn.layers[1].ninputs == 0 && w1 && w1->ne[1] == 1,
               "a layer with no input takes the image (1 channel)");
    tensor *w2 = nn_params_find(&c.params, "layer.2.conv2d.weight");
    tap_result(w2 && w2->ne[1] == 4 + 6, "several inputs are concatenated along depth (4 + 6 channels)");
    tap_result(child_layer_shape(&c, 0).h == 4 && child_layer_shape(&c, 2).h == 8 && child_layer_shape(&c, 2).w == 8,
               "a 4x4 map concatenated with an 8x8 one is padded to 8x8");
    tap_result(c.used[0] && c.used[1] && !c.used[2], "layers 0 and 1 feed layer 2; layer 2 is dangling");
    tensor *hw = nn_params_find(&c.params, "head.dense.weight");
    tap_result(hw && hw->ne[1] == 6 && hw->ne[0] == 10, "the head reads the dangling layer: dense [10, 6]");
    /* counts by hand: convs 4*1*9, 6*1*9, 6*10*9; dense 10*6 + 10 */
    tap_result(c.nparams == 36 + 54 + 540 + 70, "parameters counted: %lld", (long long)c.nparams);
    long long flops = 2LL * 4 * 9 * 16 + 2LL * 6 * 9 * 64 + 2LL * 6 * 90 * 64 + 6LL * 64 + 2LL * 60;
    tap_result(c.flops == flops, "forward FLOPs counted: %lld (by hand %lld)", (long long)c.flops, flops);
    nn_ctx ctx;
    nn_ctx_init(&ctx, 1, &r);
    tensor *x = nn_new4(&ctx, 3, 1, 8, 8);
    tensor *y = child_forward(&ctx, &c, x);
    tap_result(y && y->ndim == 2 && y->ne[0] == 3 && y->ne[1] == 10, "forward gives [3, 10] logits");
    nn_ctx_free(&ctx);
    child_free(&c);
  }
  arch_free(&a);
  /* no skip connections: layer 0 and layer 1 both dangle */
  int t2[] = {0, 0, 1};
  arch_with(g, t2, 3, &a);
  rc = child_build(&c, &a, (child_shape){1, 8, 8}, 10, &r, &err);
  if (rc == 0) {
    tensor *hw = nn_params_find(&c.params, "head.dense.weight");
    tap_result(!c.used[0] && hw && hw->ne[1] == 4 + 6,
               "every unused output is concatenated before the head (4 + 6 channels)");
    child_free(&c);
  } else {
    tap_result(0, "builds the second architecture: %s", err.data);
  }
  arch_free(&a);
  grammar_free(g);
  /* a head that cannot give the classes is rejected with a reason */
  g = compile_text("space s { layer { conv2d(filters: 8) } head { global_avgpool } }");
  rng_seed(&r, 1);
  arch_generate(g, 0, arch_choose_uniform, &r, &a);
  strbuf_clear(&err);
  rc = child_build(&c, &a, (child_shape){1, 8, 8}, 10, &r, &err);
  tap_result(rc != 0 && strstr(err.data, "the head ends with a 8x1x1 map but the data has 10 classes"),
             "an impossible head is rejected: %s", err.data);
  arch_free(&a);
  grammar_free(g);
  strbuf_free(&err);
}

static void test_training(void) {
  grammar *g = compile_text(
      "space s { layer { conv2d(filters: 8); batchnorm; relu; maxpool(size: 2, stride: 2) } head { dense } }\n"
      "train { epochs: 4; batch: 16; optimizer: sgd(lr: 0.05, momentum: 0.9); seed: 3 }\n"
      "search reinforce { reward: max(valid_accuracy, last: 2) ^ 3 }");
  if (!g) {
    tap_result(0, "the training space compiles");
    return;
  }
  train_data d;
  quads_data(&d);
  rng r;
  rng_seed(&r, 1);
  arch a;
  arch_generate(g, 0, arch_choose_uniform, &r, &a);
  train_opts o = {0, 2, 1, 0, 0, 0};
  train_report rep[2];
  strbuf err;
  strbuf_init(&err);
  for (int run = 0; run < 2; run++) {
    child c;
    if (train_child(g, &a, &d, &o, &c, &rep[run], &err)) {
      tap_result(0, "tiny training: %s", err.data);
      return;
    }
    child_free(&c);
  }
  tap_result(rep[0].epochs == 4, "four epochs trained");
  tap_result(rep[0].valid_metric[3] > 0.9 && rep[0].test_metric > 0.9,
             "it learns: valid accuracy %.3f, test accuracy %.3f (chance 0.25)", rep[0].valid_metric[3],
             rep[0].test_metric);
  tap_result(rep[0].valid_loss[3] < rep[0].valid_loss[0] || rep[0].valid_loss[0] < 0.1, "validation loss falls");
  int same = rep[0].test_metric == rep[1].test_metric;
  for (int e = 0; e < 4; e++) same &= rep[0].valid_loss[e] == rep[1].valid_loss[e];
  tap_result(same, "the same seed gives the same history, bit for bit");
  double best = fmax(rep[0].valid_metric[2], rep[0].valid_metric[3]);
  tap_result(rep[0].reward_ok && fabs(rep[0].reward - best * best * best) < 1e-12,
             "reward: max of the last 2 validation accuracies, cubed (%.4f)", rep[0].reward);
  train_report_free(&rep[0]);
  train_report_free(&rep[1]);
  arch_free(&a);
  train_data_free(&d);
  grammar_free(g);
  strbuf_free(&err);
}

/* Sets every value of t to a uniform draw from [lo, hi). */
static void fill(tensor *t, rng *r, float lo, float hi) {
  for (int64_t i = 0; i < t->n; i++) t->data[i] = lo + (hi - lo) * (float)rng_uniform(r);
}

/* The logits of c on x in evaluation (no tape, running statistics), with
 * or without batch norm folded; *bytes: the step arena's use. */
static tensor *evaluate(nn_ctx *ctx, child *c, const tensor *x, int fold, size_t *bytes) {
  nn_ctx_reset(ctx);
  ctx->training = ctx->record = 0;
  c->fold_batchnorm = fold;
  tensor *in = nn_new(ctx, x->ndim, x->ne);
  memcpy(in->data, x->data, sizeof(float) * (size_t)x->n);
  tensor *y = child_forward(ctx, c, in);
  *bytes = ctx->mem.total;
  return y;
}

/* One recorded training step of c on x: the loss, the step arena's use,
 * and every parameter's gradient in store order (ngrad floats, malloc'd). */
static float *train_step(nn_ctx *ctx, child *c, const tensor *x, const int *labels, int64_t ngrad, float *loss,
                         size_t *bytes) {
  nn_ctx_reset(ctx);
  ctx->training = 1;
  ctx->record = 1;
  tensor *in = nn_new(ctx, x->ndim, x->ne);
  memcpy(in->data, x->data, sizeof(float) * (size_t)x->n);
  nn_params_zero_grad(&c->params);
  tensor *l = nn_softmax_xent(ctx, child_forward(ctx, c, in), labels);
  *loss = l ? l->data[0] : NAN;
  nn_backward(ctx, l);
  *bytes = ctx->mem.total;
  float *grads = malloc(sizeof(float) * (size_t)ngrad);
  int64_t at = 0;
  for (int i = 0; i < c->params.items.n; i++) {
    const tensor *p = c->params.items.items[i];
    for (int64_t k = 0; k < p->n; k++) grads[at++] = p->grad ? p->grad[k] : 0.0f;
  }
  return grads;
}

static void test_fold(void) {
  /* a bias to fold too, a 1x1 convolution (no im2col), a concatenation, a stride */
  grammar *g = compile_text(
      "space s { layer { conv2d(height: 3, width: 5, filters: 6, bias: true); batchnorm(eps: 0.01); relu }\n"
      "          layer { conv2d(height: 1, width: 1, filters: 5); batchnorm; relu; inputs: anchor }\n"
      "          layer { conv2d(height: 3, width: 3, filters: 4, stride: 2); batchnorm; inputs: anchor } }");
  if (!g) {
    tap_result(0, "the folding space compiles");
    return;
  }
  rng r;
  rng_seed(&r, 7);
  arch a;
  strbuf err;
  strbuf_init(&err);
  child c;
  int tokens[] = {1, 1, 1}; /* layer 1 reads layer 0, layer 2 reads both */
  if (!arch_with(g, tokens, 3, &a) || child_build(&c, &a, (child_shape){2, 9, 9}, 3, &r, &err)) {
    tap_result(0, "the folding child builds: %s", err.data);
    return;
  }
  tap_result(c.fold_batchnorm == 1, "a child folds batch norm in evaluation by default");
  /* statistics and affine parameters far from the identity, so that a wrong fold shows */
  for (int i = 0; i < c.params.items.n; i++) {
    tensor *p = c.params.items.items[i];
    if (strstr(p->name, "running_var")) fill(p, &r, 0.2f, 3.0f);
    else if (strstr(p->name, "batchnorm") || strstr(p->name, "conv2d.bias")) fill(p, &r, -1.5f, 1.5f);
  }
  nn_ctx ctx, ctx2, inputs; /* the two runs' logits side by side, and their input */
  nn_ctx_init(&ctx, 2, &r);
  nn_ctx_init(&ctx2, 2, &r);
  nn_ctx_init(&inputs, 1, &r);
  tensor *x = nn_new4(&inputs, 4, 2, 9, 9);
  fill(x, &r, -1, 1);
  size_t folded_bytes, plain_bytes;
  tensor *plain = evaluate(&ctx2, &c, x, 0, &plain_bytes);
  tensor *folded = evaluate(&ctx, &c, x, 1, &folded_bytes);
  double worst = 0, scale = 0;
  for (int64_t i = 0; plain && folded && i < plain->n; i++) {
    worst = fmax(worst, fabs(plain->data[i] - folded->data[i]));
    scale = fmax(scale, fabs(plain->data[i]));
  }
  tap_result(plain && folded && scale > 0.1 && worst <= 1e-5 * scale,
             "evaluation with batch norm folded gives the logits of the unfolded network within float rounding "
             "(largest difference %.2g, largest logit %.2g)", worst, scale);
  tap_result(folded_bytes < plain_bytes,
             "folding makes fewer maps: no batch norm or relu output of their own (%zu bytes against %zu)",
             folded_bytes, plain_bytes);
  /* recording for backward: batch norm runs as itself, its parameters get gradients */
  nn_ctx_reset(&ctx);
  ctx.training = 0;
  ctx.record = 1;
  tensor *in = nn_new(&ctx, x->ndim, x->ne);
  memcpy(in->data, x->data, sizeof(float) * (size_t)x->n);
  int labels[4] = {0, 1, 2, 0};
  nn_params_zero_grad(&c.params);
  nn_backward(&ctx, nn_softmax_xent(&ctx, child_forward(&ctx, &c, in), labels));
  tensor *gamma = nn_params_find(&c.params, "layer.0.batchnorm.weight");
  int moved = 0;
  for (int64_t i = 0; gamma && i < gamma->n; i++) moved |= gamma->grad[i] != 0;
  tap_result(moved, "with a tape, nothing is folded: batch norm's weight gets a gradient");
  /* training with batchnorm -> relu as one kernel: the loss and every
   * gradient of the two-kernel network, bit for bit, and less memory */
  tap_result(c.fuse_batchnorm_relu == 1, "a child runs batchnorm -> relu as one kernel by default");
  float loss[2];
  size_t step_bytes[2];
  float *grads[2] = {NULL, NULL};
  int64_t ngrad = 0;
  for (int i = 0; i < c.params.items.n; i++) ngrad += ((tensor *)c.params.items.items[i])->n;
  for (int fused = 0; fused < 2; fused++) {
    c.fuse_batchnorm_relu = fused;
    grads[fused] = train_step(&ctx, &c, x, labels, ngrad, &loss[fused], &step_bytes[fused]);
  }
  tap_result(!memcmp(&loss[0], &loss[1], sizeof loss[0]) && !memcmp(grads[0], grads[1], sizeof(float) * (size_t)ngrad),
             "training with batchnorm_relu gives the loss (%.6f) and the %lld gradients of batchnorm then relu, bit "
             "for bit", loss[1], (long long)ngrad);
  tap_result(step_bytes[1] < step_bytes[0], "and keeps less for backward (%zu bytes against %zu)", step_bytes[1],
             step_bytes[0]);
  free(grads[0]);
  free(grads[1]);
  /* a layer with several inputs: conv2d_cat against concat then conv2d,
   * training and folded evaluation */
  tap_result(c.conv_concat == 1, "a child joins a layer's inputs in its first conv2d by default");
  tensor *logits[2] = {NULL, NULL};
  for (int joined = 0; joined < 2; joined++) { /* before training moves the running statistics */
    c.conv_concat = joined;
    logits[joined] = evaluate(joined ? &ctx : &ctx2, &c, x, 1, &folded_bytes);
  }
  tap_result(logits[0] && logits[1] && !memcmp(logits[0]->data, logits[1]->data, sizeof(float) * (size_t)logits[0]->n),
             "folded evaluation with conv2d_cat gives the logits of concat then conv2d, bit for bit");
  for (int joined = 0; joined < 2; joined++) {
    c.conv_concat = joined;
    grads[joined] = train_step(&ctx, &c, x, labels, ngrad, &loss[joined], &step_bytes[joined]);
  }
  tap_result(!memcmp(&loss[0], &loss[1], sizeof loss[0]) && !memcmp(grads[0], grads[1], sizeof(float) * (size_t)ngrad),
             "training with conv2d_cat gives the loss (%.6f) and the %lld gradients of concat then conv2d, bit for bit",
             loss[1], (long long)ngrad);
  tap_result(step_bytes[1] < step_bytes[0], "and keeps less (%zu bytes against %zu)", step_bytes[1], step_bytes[0]);
  free(grads[0]);
  free(grads[1]);
  nn_ctx_reset(&ctx);
  tensor *w = nn_params_find(&c.params, "layer.0.conv2d.weight");
  tap_result(!nn_conv2d_relu(&ctx, x, w, NULL, 1) &&
                 !strcmp(ctx.error, "conv2d with relu has no backward; it is for evaluation without a tape"),
             "conv2d with relu refuses to be recorded: %s", ctx.error);
  nn_ctx_free(&ctx);
  nn_ctx_free(&ctx2);
  nn_ctx_free(&inputs);
  child_free(&c);
  arch_free(&a);
  strbuf_free(&err);
  grammar_free(g);
}

int main(void) {
  nn_threads_default(1);
  test_rules();
  test_keep_previous();
  test_training();
  test_fold();
  return tap_done();
}

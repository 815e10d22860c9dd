/* child.c: building, running and describing child networks (see child.h). */
#include "runtime/models/child.h"

#include "runtime/models/dagnet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Resolves one operation of a layer (or the head) for an input of shape *s;
 * updates *s and the child's counts, and makes the weights when p is set. */
static int resolve(child *c, stdlib_node *n, const arch_op *src, const char *prefix, child_shape *s, nn_params *p,
                   rng *r, strbuf *err) {
  strbuf why;
  strbuf_init(&why);
  n->op = stdlib_find_decl(src->op, &why);
  if (!n->op) {
    /* a plug-in's own messages name its declaration; the registry's name the layer */
    if (src->op->ext) strbuf_puts(err, why.data);
    else strbuf_printf(err, "%s: %s", prefix, why.data);
    strbuf_free(&why);
    return -1;
  }
  strbuf_free(&why);
  n->decl = src->op;
  n->args = src->args;
  n->inst = src->inst;
  stdlib_build b = {p, r, prefix, c->classes, 0, 0};
  if (stdlib_resolve(n, s, &b, err)) return -1;
  c->nparams += b.nparams;
  c->flops += b.flops;
  c->activations += (int64_t)s->c * s->h * s->w;
  return 0;
}

static child_shape concat_shape(const child *c, const arch_layer *l) {
  child_shape s = {0, 0, 0};
  if (l->join != ARCH_JOIN_CONCAT) return c->layers[l->inputs[0]].out; /* sum: all alike (checked); zero: the first */
  for (int i = 0; i < l->ninputs; i++) {
    child_shape in = c->layers[l->inputs[i]].out;
    s.c += in.c;
    if (in.h > s.h) s.h = in.h;
    if (in.w > s.w) s.w = in.w;
  }
  return s;
}

/* The memory cap of a child, checked on its shapes before any weight or map
 * is allocated: show, train and gradcheck refuse the same networks. */
static int check_activations(const child *c, strbuf *err) {
  if (c->activations > CHILD_MAX_ACTIVATIONS) {
    strbuf_printf(err, "the network keeps %lld MB of activations per example; that is more than this machine can train",
                  (long long)(c->activations * 4 >> 20));
    return -1;
  }
  return 0;
}

static int build(child *c, nn_params *p, rng *r, strbuf *err) {
  c->nparams = c->flops = c->activations = 0;
  for (int i = 0; i < c->cnn.nlayers; i++) {
    const arch_layer *l = &c->cnn.layers[i];
    child_layer *cl = &c->layers[i];
    child_shape s = l->ninputs ? concat_shape(c, l) : c->input;
    char prefix[32];
    snprintf(prefix, sizeof prefix, "layer.%d", i);
    for (int k = 1; l->join == ARCH_JOIN_SUM && k < l->ninputs; k++) {
      child_shape in = c->layers[l->inputs[k]].out;
      if (in.c != s.c || in.h != s.h || in.w != s.w) {
        strbuf_printf(err, "%s adds maps of different shapes: %dx%dx%d (layer %d) and %dx%dx%d (layer %d)", prefix, s.c,
                      s.h, s.w, l->inputs[0], in.c, in.h, in.w, l->inputs[k]);
        return -1;
      }
    }
    for (int k = 0; k < l->nops; k++)
      if (resolve(c, &cl->ops[k], &l->ops[k], prefix, &s, p, r, err)) return -1;
    cl->out = s;
  }
  /* the head reads every output nobody else read */
  arch_layer dangling = {-1, 0, xcalloc((size_t)c->cnn.nlayers + 1, sizeof(int)), 0, NULL, ARCH_JOIN_CONCAT, NULL};
  for (int i = 0; i < c->cnn.nlayers; i++)
    if (!c->used[i]) dangling.inputs[dangling.ninputs++] = i;
  child_shape s = concat_shape(c, &dangling);
  free(dangling.inputs);
  for (int k = 0; k < c->cnn.head.nops; k++)
    if (resolve(c, &c->head->ops[k], &c->cnn.head.ops[k], "head", &s, p, r, err)) return -1;
  c->head->out = s;
  if (s.h != 1 || s.w != 1 || s.c != c->classes) {
    strbuf_printf(err, "the head ends with a %dx%dx%d map but the data has %d classes; end the head with dense",
                  s.c, s.h, s.w, c->classes);
    return -1;
  }
  return check_activations(c, err);
}

int child_build(child *c, const arch *a, child_shape input, int classes, rng *r, strbuf *err) {
  return child_build_with(c, a, &a->g->train, input, classes, r, err);
}

int child_build_with(child *c, const arch *a, const grammar_train *t, child_shape input, int classes, rng *r,
                     strbuf *err) {
  memset(c, 0, sizeof *c);
  if (a->g->space_kind == SPACE_DAG_CELL) {
    if (dagnet_lower(a, t, &c->cnn, err)) return -1;
  } else if (!arch_decode_cnn(a, &c->cnn)) {
    strbuf_puts(err, "only CNN and DAG-cell spaces build child networks");
    return -1;
  }
  c->input = input;
  c->classes = classes;
  c->layers = xcalloc((size_t)c->cnn.nlayers + 1, sizeof(child_layer));
  c->head = xcalloc(1, sizeof(child_layer));
  c->used = xcalloc((size_t)c->cnn.nlayers + 1, sizeof(int));
  for (int i = 0; i < c->cnn.nlayers; i++) {
    const arch_layer *l = &c->cnn.layers[i];
    c->layers[i].nops = l->nops;
    c->layers[i].ops = xcalloc((size_t)l->nops + 1, sizeof(stdlib_node));
    for (int k = 0; k < l->ninputs; k++) c->used[l->inputs[k]] = 1;
  }
  c->head->nops = c->cnn.head.nops;
  c->head->ops = xcalloc((size_t)c->head->nops + 1, sizeof(stdlib_node));
  nn_params_init(&c->params);
  /* shapes first: nothing is allocated for an architecture that cannot work */
  if (build(c, NULL, r, err) || build(c, &c->params, r, err)) {
    child_free(c);
    return -1;
  }
  c->fold_batchnorm = 1;
  c->fuse_batchnorm_relu = 1;
  c->conv_concat = 1;
  return 0;
}

void child_free(child *c) {
  for (int i = 0; i < c->cnn.nlayers && c->layers; i++) free(c->layers[i].ops);
  free(c->layers);
  if (c->head) free(c->head->ops);
  free(c->head);
  free(c->used);
  nn_params_free(&c->params);
  arch_cnn_free(&c->cnn);
  memset(c, 0, sizeof *c);
}

static tensor *run_op(nn_ctx *ctx, const stdlib_node *n, tensor *x) { return stdlib_forward(ctx, n, &x); }

/* Do ops[k] and ops[k + 1] run as one folded convolution (child.h)? */
static int folds(nn_ctx *ctx, const child *c, const stdlib_node *ops, int nops, int k) {
  return c->fold_batchnorm && !ctx->training && !ctx->record && k + 1 < nops && ops[k].op == &stdlib_op_conv2d &&
         ops[k + 1].op == &stdlib_op_batchnorm;
}

/* conv2d (conv) then batchnorm (bn) with running statistics, as one
 * convolution whose weights and bias absorb the batch norm's affine map;
 * with relu, followed by a relu in the same pass. */
static tensor *conv_batchnorm(nn_ctx *ctx, const stdlib_node *conv, const stdlib_node *bn, int relu, tensor *const *xs,
                              int n) {
  const tensor *w = conv->w[0], *bias = conv->nw > 1 ? conv->w[1] : NULL;
  const float *gamma = bn->w[0]->data, *beta = bn->w[1]->data, *mean = bn->w[2]->data, *var = bn->w[3]->data;
  int F = w->ne[0];
  if (bn->w[0]->n != F) /* the builder's shapes rule it out; nn_batchnorm's message if not */
    return nn_fail(ctx, "batchnorm parameters do not match %d channels", F);
  int64_t K = w->n / F;
  tensor *wf = nn_new(ctx, w->ndim, w->ne), *bf = nn_new(ctx, 1, &F);
  if (!wf || !bf) return NULL;
  for (int f = 0; f < F; f++) {
    /* as nn_batchnorm computes it in evaluation */
    float a = gamma[f] * (float)(1.0 / sqrt((double)var[f] + bn->f[1]));
    for (int64_t k = 0; k < K; k++) wf->data[f * K + k] = w->data[f * K + k] * a;
    bf->data[f] = beta[f] - mean[f] * a + (bias ? bias->data[f] * a : 0);
  }
  return relu ? nn_conv2d_cat_relu(ctx, xs, n, wf, bf, conv->k[3]) : nn_conv2d_cat(ctx, xs, n, wf, bf, conv->k[3]);
}

/* The operations of one layer (or the head) on its inputs xs[0..n-1],
 * joined along channels (nn_conv2d_cat when a conv2d comes first). */
static tensor *run_ops(nn_ctx *ctx, const child *c, const stdlib_node *ops, int nops, tensor *const *xs, int n) {
  tensor *x = n == 1 ? xs[0] : NULL;
  int k = 0;
  if (n > 1 && nops > 0 && ops[0].op == &stdlib_op_conv2d && c->conv_concat) {
    if (folds(ctx, c, ops, nops, 0)) {
      int relu = 2 < nops && ops[2].op == &stdlib_op_relu;
      x = conv_batchnorm(ctx, &ops[0], &ops[1], relu, xs, n);
      k = 2 + relu;
    } else {
      const stdlib_node *conv = &ops[0];
      x = nn_conv2d_cat(ctx, xs, n, conv->w[0], conv->nw > 1 ? conv->w[1] : NULL, conv->k[3]);
      k = 1;
    }
  } else if (n > 1) {
    x = nn_concat(ctx, xs, n);
  }
  for (; k < nops && x; k++) {
    if (folds(ctx, c, ops, nops, k)) {
      int relu = k + 2 < nops && ops[k + 2].op == &stdlib_op_relu;
      x = conv_batchnorm(ctx, &ops[k], &ops[k + 1], relu, &x, 1);
      k += 1 + relu;
    } else if (c->fuse_batchnorm_relu && k + 1 < nops && ops[k].op == &stdlib_op_batchnorm &&
               ops[k + 1].op == &stdlib_op_relu) {
      const stdlib_node *bn = &ops[k];
      x = nn_batchnorm_relu(ctx, x, bn->w[0], bn->w[1], bn->w[2], bn->w[3], bn->f[0], bn->f[1]);
      k++;
    } else {
      x = run_op(ctx, &ops[k], x);
    }
  }
  return x;
}

/* The maps outs[which[0..n-1]], in arena memory. */
static tensor **pick(nn_ctx *ctx, tensor **outs, const int *which, int n) {
  tensor **xs = arena_alloc(&ctx->mem, sizeof(tensor *) * (size_t)n);
  for (int i = 0; i < n; i++) xs[i] = outs[which[i]];
  return xs;
}

/* The map a summing or zero layer l starts from. */
static tensor *joined(nn_ctx *ctx, const child *c, const arch_layer *l, tensor **outs) {
  tensor *x = outs[l->inputs[0]];
  if (l->join == ARCH_JOIN_ZERO) {
    child_shape s = c->layers[l->inputs[0]].out;
    return nn_new4(ctx, x->ne[0], s.c, s.h, s.w);
  }
  for (int k = 1; k < l->ninputs && x; k++) x = nn_add(ctx, x, outs[l->inputs[k]]);
  return x;
}

tensor *child_forward(nn_ctx *ctx, child *c, tensor *images) {
  int L = c->cnn.nlayers;
  tensor **outs = arena_alloc(&ctx->mem, sizeof(tensor *) * (size_t)(L + 1));
  for (int i = 0; i < L; i++) {
    const arch_layer *l = &c->cnn.layers[i];
    tensor *x;
    if (l->join != ARCH_JOIN_CONCAT) {
      x = joined(ctx, c, l, outs);
      x = x ? run_ops(ctx, c, c->layers[i].ops, c->layers[i].nops, &x, 1) : NULL;
    } else {
      x = l->ninputs ? run_ops(ctx, c, c->layers[i].ops, c->layers[i].nops, pick(ctx, outs, l->inputs, l->ninputs),
                               l->ninputs)
                     : run_ops(ctx, c, c->layers[i].ops, c->layers[i].nops, &images, 1);
    }
    if (!x) return NULL;
    outs[i] = x;
  }
  int *dangling = arena_alloc(&ctx->mem, sizeof(int) * (size_t)(L + 1)), nd = 0;
  for (int i = 0; i < L; i++)
    if (!c->used[i]) dangling[nd++] = i;
  tensor *x = nd ? run_ops(ctx, c, c->head->ops, c->head->nops, pick(ctx, outs, dangling, nd), nd)
                 : run_ops(ctx, c, c->head->ops, c->head->nops, &images, 1);
  if (!x) return NULL;
  int ne[2] = {x->ne[0], c->classes};
  return nn_reshape(ctx, x, 2, ne);
}

int child_unit_build(child *c, const grammar_opdecl *op, const grammar_value *args, child_shape input, rng *r,
                     strbuf *err) {
  memset(c, 0, sizeof *c);
  c->input = input;
  c->cnn.nlayers = 1;
  c->cnn.layers = xcalloc(1, sizeof(arch_layer));
  c->cnn.layers[0].nops = 1;
  c->cnn.layers[0].ops = xcalloc(1, sizeof(arch_op));
  grammar_value *copy = xcalloc((size_t)op->nparams + 1, sizeof *copy);
  for (int i = 0; i < op->nparams; i++) copy[i] = args[i];
  c->cnn.layers[0].ops[0] = (arch_op){op, "op", copy};
  c->layers = xcalloc(1, sizeof(child_layer));
  c->layers[0].nops = 1;
  c->layers[0].ops = xcalloc(1, sizeof(stdlib_node));
  c->head = xcalloc(1, sizeof(child_layer));
  c->used = xcalloc(1, sizeof(int));
  nn_params_init(&c->params);
  c->classes = 1;
  /* shapes first, as child_build: nothing is allocated for a unit too large to hold */
  child_shape s = input;
  int rc = resolve(c, &c->layers[0].ops[0], &c->cnn.layers[0].ops[0], "unit", &s, NULL, r, err) ||
           check_activations(c, err);
  c->nparams = c->flops = c->activations = 0;
  s = input;
  if (rc || resolve(c, &c->layers[0].ops[0], &c->cnn.layers[0].ops[0], "unit", &s, &c->params, r, err)) {
    child_free(c);
    return -1;
  }
  c->layers[0].out = s;
  return 0;
}

tensor *child_unit_forward(nn_ctx *ctx, child *c, tensor *x) { return run_op(ctx, &c->layers[0].ops[0], x); }

static void batch_statistics(child_layer *l) {
  for (int k = 0; k < l->nops; k++)
    if (l->ops[k].op == &stdlib_op_batchnorm) l->ops[k].w[2] = l->ops[k].w[3] = NULL;
}

void child_batch_statistics(child *c) {
  for (int i = 0; i < c->cnn.nlayers; i++) batch_statistics(&c->layers[i]);
  batch_statistics(c->head);
  c->fold_batchnorm = 0;
}

child_shape child_layer_shape(const child *c, int i) { return i < 0 ? c->head->out : c->layers[i].out; }

void child_summary(const child *c, strbuf *out) {
  strbuf_printf(out, "%-6s %-14s %-14s %s\n", "layer", "inputs", "output", "operations");
  for (int i = 0; i < c->cnn.nlayers; i++) {
    const arch_layer *l = &c->cnn.layers[i];
    char in[64] = "image", shape[48];
    if (l->join == ARCH_JOIN_ZERO) {
      snprintf(in, sizeof in, "zeros");
    } else if (l->ninputs) {
      int k = 0;
      for (int j = 0; j < l->ninputs && k < 50; j++)
        k += snprintf(in + k, sizeof in - (size_t)k, "%s%d", j ? (l->join == ARCH_JOIN_SUM ? "+" : ",") : "",
                      l->inputs[j]);
    }
    snprintf(shape, sizeof shape, "%dx%dx%d", c->layers[i].out.c, c->layers[i].out.h, c->layers[i].out.w);
    strbuf_printf(out, "%-6d %-14s %-14s ", i, in, shape);
    for (int k = 0; k < c->layers[i].nops; k++) {
      if (k) strbuf_puts(out, " -> ");
      stdlib_text(&c->layers[i].ops[k], c->classes, out);
    }
    strbuf_printf(out, "%s\n", c->used[i] ? "" : "   [to the head]");
  }
  strbuf_printf(out, "%-6s %-14s %-14s ", "head", "unused layers", "");
  for (int k = 0; k < c->head->nops; k++) {
    if (k) strbuf_puts(out, " -> ");
    stdlib_text(&c->head->ops[k], c->classes, out);
  }
  strbuf_printf(out, "\nparameters: %lld   forward FLOPs per example: %lld   activations per example: %lld floats\n",
                (long long)c->nparams, (long long)c->flops, (long long)c->activations);
}

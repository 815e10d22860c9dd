/* child.c: building, running and describing child networks (see child.h). */
#include "runtime/models/child.h"

#include "stdlib/extern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the builder knows how to run, by stdlib name. */
typedef enum child_kind {
  CK_CONV2D, CK_MAXPOOL, CK_AVGPOOL, CK_GLOBAL_AVGPOOL, CK_BATCHNORM, CK_DROPOUT, CK_DENSE,
  CK_RELU, CK_TANH, CK_SIGMOID, CK_IDENTITY, CK_EXTERN
} child_kind;

static const struct { const char *name; child_kind kind; } kinds[] = {
    {"conv2d", CK_CONV2D},   {"maxpool", CK_MAXPOOL}, {"avgpool", CK_AVGPOOL}, {"global_avgpool", CK_GLOBAL_AVGPOOL},
    {"batchnorm", CK_BATCHNORM}, {"dropout", CK_DROPOUT}, {"dense", CK_DENSE}, {"relu", CK_RELU},
    {"tanh", CK_TANH},       {"sigmoid", CK_SIGMOID}, {"identity", CK_IDENTITY},
};

struct child_op {
  child_kind kind;       /* what to run */
  const arch_op *src;    /* the decoded operation */
  int k0, k1, k2, k3;    /* integer arguments, by kind (see resolve) */
  float f0, f1;          /* float arguments */
  tensor *w, *b, *rm, *rv; /* weights: conv/dense weight and bias, or bn gamma, beta, running stats */
  const nn_extern *ext;  /* CK_EXTERN: the plug-in */
  int out_ndim;          /* CK_EXTERN: its output's dimensions (2 or 4) */
  int out_ne[4];         /* CK_EXTERN: its output for one example */
  int nw;                /* CK_EXTERN: weights it owns */
  tensor *ew[NASLC_MAX_WEIGHTS]; /* CK_EXTERN: those weights */
};

struct child_layer {
  int nops;
  child_op *ops;
  child_shape out;       /* shape of its output */
};

static const grammar_value *arg(const arch_op *op, const char *name) {
  for (int i = 0; i < op->op->nparams; i++)
    if (!strcmp(op->op->params[i].name, name)) return &op->args[i];
  return NULL;
}

static int int_arg(const arch_op *op, const char *name, int def) {
  const grammar_value *v = arg(op, name);
  return v ? (int)v->i : def;
}

static float float_arg(const arch_op *op, const char *name, float def) {
  const grammar_value *v = arg(op, name);
  return v ? (float)(v->kind == GV_INT ? (double)v->i : v->f) : def;
}

static int same_out(int in, int k, int stride) {
  (void)k;
  return (in + stride - 1) / stride;
}

/* Resolves one operation for an input of shape *s; updates *s, counts,
 * creates the weights (when p is not NULL). */
static int resolve_extern(child *c, child_op *o, const arch_op *src, const char *prefix, child_shape *s,
                          nn_params *p, rng *r, strbuf *err);

static int resolve(child *c, child_op *o, const arch_op *src, const char *prefix, child_shape *s, nn_params *p,
                   rng *r, strbuf *err) {
  if (src->op->ext) return resolve_extern(c, o, src, prefix, s, p, r, err);
  int found = 0;
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (!strcmp(kinds[i].name, src->op->name)) {
      o->kind = kinds[i].kind;
      found = 1;
    }
  if (!found) {
    strbuf_printf(err, "%s: operation '%s' has no runtime in naslc yet", prefix, src->op->name);
    return -1;
  }
  o->src = src;
  char name[256];
  int64_t elems_in = (int64_t)s->c * s->h * s->w;
  switch (o->kind) {
    case CK_CONV2D: {
      int kh = int_arg(src, "height", 3), kw = int_arg(src, "width", 3), f = int_arg(src, "filters", 32);
      int st = int_arg(src, "stride", 1), bias = int_arg(src, "bias", 0);
      o->k0 = kh, o->k1 = kw, o->k2 = f, o->k3 = st;
      int oh = same_out(s->h, kh, st), ow = same_out(s->w, kw, st);
      c->nparams += (int64_t)f * s->c * kh * kw + (bias ? f : 0);
      c->flops += 2LL * f * s->c * kh * kw * oh * ow;
      if (p) {
        int ne[4] = {f, s->c, kh, kw};
        snprintf(name, sizeof name, "%s.%s.weight", prefix, src->inst);
        o->w = nn_param(p, name, 4, ne);
        nn_init_he(o->w, r, s->c * kh * kw);
        if (bias) {
          snprintf(name, sizeof name, "%s.%s.bias", prefix, src->inst);
          o->b = nn_param(p, name, 1, &f);
        }
      }
      s->c = f, s->h = oh, s->w = ow;
      break;
    }
    case CK_MAXPOOL:
    case CK_AVGPOOL: {
      int size = int_arg(src, "size", 2), st = int_arg(src, "stride", 2);
      o->k0 = size, o->k1 = st;
      s->h = same_out(s->h, size, st);
      s->w = same_out(s->w, size, st);
      c->flops += (int64_t)size * size * s->c * s->h * s->w;
      break;
    }
    case CK_GLOBAL_AVGPOOL:
      c->flops += elems_in;
      s->h = s->w = 1;
      break;
    case CK_BATCHNORM: {
      o->f0 = float_arg(src, "momentum", 0.1f);
      o->f1 = float_arg(src, "eps", 1e-5f);
      c->nparams += 2LL * s->c;
      c->flops += 2 * elems_in;
      if (p) {
        const char *what[4] = {"weight", "bias", "running_mean", "running_var"};
        tensor **slot[4] = {&o->w, &o->b, &o->rm, &o->rv};
        for (int k = 0; k < 4; k++) {
          snprintf(name, sizeof name, "%s.%s.%s", prefix, src->inst, what[k]);
          *slot[k] = nn_param(p, name, 1, &s->c);
        }
        nn_init_const(o->w, 1);
        nn_init_const(o->rv, 1);
        o->rm->requires_grad = o->rv->requires_grad = 0;
      }
      break;
    }
    case CK_DROPOUT: o->f0 = float_arg(src, "rate", 0.5f); break;
    case CK_DENSE: {
      int units = int_arg(src, "units", 0);
      if (units == 0) units = c->classes;
      o->k0 = units;
      int64_t in = elems_in;
      if (in > (1 << 26)) {
        strbuf_printf(err, "%s: dense over %lld inputs is too large", prefix, (long long)in);
        return -1;
      }
      c->nparams += in * units + units;
      c->flops += 2 * in * units;
      if (p) {
        int ne[2] = {units, (int)in};
        snprintf(name, sizeof name, "%s.%s.weight", prefix, src->inst);
        o->w = nn_param(p, name, 2, ne);
        nn_init_glorot(o->w, r, (int)in, units);
        snprintf(name, sizeof name, "%s.%s.bias", prefix, src->inst);
        o->b = nn_param(p, name, 1, &units);
      }
      s->c = units, s->h = s->w = 1;
      break;
    }
    default: c->flops += elems_in; break; /* activations */
  }
  c->activations += (int64_t)s->c * s->h * s->w;
  return 0;
}

/* A plug-in: its shape function says what comes out for one example and
 * which weights to make; the same registry path as a built-in otherwise. */
static int resolve_extern(child *c, child_op *o, const arch_op *src, const char *prefix, child_shape *s,
                          nn_params *p, rng *r, strbuf *err) {
  o->kind = CK_EXTERN;
  o->src = src;
  if (!(o->ext = nn_extern_load(src->op, err))) return -1;
  int in[4] = {1, s->c, s->h, s->w};
  naslc_weight w[NASLC_MAX_WEIGHTS];
  if (nn_extern_shape(o->ext, src->args, 4, in, &o->out_ndim, o->out_ne, w, &o->nw, err)) return -1;
  if (o->out_ndim != 4 && o->out_ndim != 2) {
    strbuf_printf(err, "%s: error: extern op '%s' gives a %d-dimensional output; in a CNN a layer gives a map "
                  "[N, C, H, W] or features [N, K]", nn_extern_where(o->ext), src->op->name, o->out_ndim);
    return -1;
  }
  for (int k = 0; k < o->nw; k++) {
    int ne[4];
    int64_t n = 1;
    for (int i = 0; i < w[k].ndim; i++) n *= ne[i] = (int)w[k].size[i];
    c->nparams += n;
    if (!p) continue;
    char name[1024];
    snprintf(name, sizeof name, "%s.%s.%s", prefix, src->inst, w[k].name);
    tensor *t = o->ew[k] = nn_param(p, name, w[k].ndim, ne);
    int fan_in = w[k].fan_in > 0 && w[k].fan_in < INT32_MAX ? (int)w[k].fan_in : (int)(n / ne[0]);
    int fan_out = w[k].fan_out > 0 && w[k].fan_out < INT32_MAX ? (int)w[k].fan_out : ne[0];
    switch (w[k].init) {
      case NASLC_INIT_ZERO: break;
      case NASLC_INIT_ONE: nn_init_const(t, 1); break;
      case NASLC_INIT_HE: nn_init_he(t, r, fan_in); break;
      case NASLC_INIT_GLOROT: nn_init_glorot(t, r, fan_in, fan_out); break;
    }
  }
  int64_t elems = 1;
  for (int i = 1; i < o->out_ndim; i++) elems *= o->out_ne[i];
  c->flops += elems;
  s->c = o->out_ne[1];
  s->h = o->out_ndim == 4 ? o->out_ne[2] : 1;
  s->w = o->out_ndim == 4 ? o->out_ne[3] : 1;
  c->activations += elems;
  return 0;
}

static child_shape concat_shape(const child *c, const arch_layer *l) {
  child_shape s = {0, 0, 0};
  for (int i = 0; i < l->ninputs; i++) {
    child_shape in = c->layers[l->inputs[i]].out;
    s.c += in.c;
    if (in.h > s.h) s.h = in.h;
    if (in.w > s.w) s.w = in.w;
  }
  return s;
}

static int build(child *c, nn_params *p, rng *r, strbuf *err) {
  c->nparams = c->flops = c->activations = 0;
  for (int i = 0; i < c->cnn.nlayers; i++) {
    const arch_layer *l = &c->cnn.layers[i];
    child_layer *cl = &c->layers[i];
    child_shape s = l->ninputs ? concat_shape(c, l) : c->input;
    char prefix[32];
    snprintf(prefix, sizeof prefix, "layer.%d", i);
    for (int k = 0; k < l->nops; k++)
      if (resolve(c, &cl->ops[k], &l->ops[k], prefix, &s, p, r, err)) return -1;
    cl->out = s;
  }
  /* the head reads every output nobody else read */
  arch_layer dangling = {-1, 0, xcalloc((size_t)c->cnn.nlayers + 1, sizeof(int)), 0, NULL};
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
  if (c->activations > ((int64_t)1 << 28)) {
    strbuf_printf(err, "the network keeps %lld MB of activations per example; that is more than this machine can train",
                  (long long)(c->activations * 4 >> 20));
    return -1;
  }
  return 0;
}

int child_build(child *c, const arch *a, child_shape input, int classes, rng *r, strbuf *err) {
  memset(c, 0, sizeof *c);
  if (!arch_decode_cnn(a, &c->cnn)) {
    strbuf_puts(err, "only CNN spaces build child networks");
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
    c->layers[i].ops = xcalloc((size_t)l->nops + 1, sizeof(child_op));
    for (int k = 0; k < l->ninputs; k++) c->used[l->inputs[k]] = 1;
  }
  c->head->nops = c->cnn.head.nops;
  c->head->ops = xcalloc((size_t)c->head->nops + 1, sizeof(child_op));
  nn_params_init(&c->params);
  /* shapes first: nothing is allocated for an architecture that cannot work */
  if (build(c, NULL, r, err) || build(c, &c->params, r, err)) {
    child_free(c);
    return -1;
  }
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

static tensor *run_op(nn_ctx *ctx, const child_op *o, tensor *x) {
  switch (o->kind) {
    case CK_CONV2D: return nn_conv2d(ctx, x, o->w, o->b, o->k3);
    case CK_MAXPOOL: return nn_maxpool(ctx, x, o->k0, o->k1);
    case CK_AVGPOOL: return nn_avgpool(ctx, x, o->k0, o->k1);
    case CK_GLOBAL_AVGPOOL: return nn_global_avgpool(ctx, x);
    case CK_BATCHNORM: return nn_batchnorm(ctx, x, o->w, o->b, o->rm, o->rv, o->f0, o->f1);
    case CK_DROPOUT: return nn_dropout(ctx, x, o->f0);
    case CK_DENSE: {
      tensor *y = nn_dense(ctx, x, o->w, o->b);
      if (!y) return NULL;
      int ne[4] = {y->ne[0], y->ne[1], 1, 1}; /* a 1x1 map, so any operation may follow */
      return nn_reshape(ctx, y, 4, ne);
    }
    case CK_RELU: return nn_relu(ctx, x);
    case CK_TANH: return nn_tanh(ctx, x);
    case CK_SIGMOID: return nn_sigmoid(ctx, x);
    case CK_IDENTITY: return x;
    case CK_EXTERN: {
      tensor *y = nn_extern_forward(ctx, o->ext, o->src->args, x, o->out_ndim, o->out_ne, o->ew, o->nw);
      if (!y || y->ndim == 4) return y;
      int ne[4] = {y->ne[0], y->ne[1], 1, 1}; /* features as a 1x1 map, as after dense */
      return nn_reshape(ctx, y, 4, ne);
    }
  }
  return NULL;
}

static tensor *join(nn_ctx *ctx, tensor **outs, const int *which, int n) {
  if (n == 1) return outs[which[0]];
  tensor **xs = arena_alloc(&ctx->mem, sizeof(tensor *) * (size_t)n);
  for (int i = 0; i < n; i++) xs[i] = outs[which[i]];
  return nn_concat(ctx, xs, n);
}

tensor *child_forward(nn_ctx *ctx, child *c, tensor *images) {
  int L = c->cnn.nlayers;
  tensor **outs = arena_alloc(&ctx->mem, sizeof(tensor *) * (size_t)(L + 1));
  for (int i = 0; i < L; i++) {
    const arch_layer *l = &c->cnn.layers[i];
    tensor *x = l->ninputs ? join(ctx, outs, l->inputs, l->ninputs) : images;
    for (int k = 0; k < c->layers[i].nops && x; k++) x = run_op(ctx, &c->layers[i].ops[k], x);
    if (!x) return NULL;
    outs[i] = x;
  }
  int *dangling = arena_alloc(&ctx->mem, sizeof(int) * (size_t)(L + 1)), nd = 0;
  for (int i = 0; i < L; i++)
    if (!c->used[i]) dangling[nd++] = i;
  tensor *x = nd ? join(ctx, outs, dangling, nd) : images;
  for (int k = 0; k < c->head->nops && x; k++) x = run_op(ctx, &c->head->ops[k], x);
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
  c->layers[0].ops = xcalloc(1, sizeof(child_op));
  c->head = xcalloc(1, sizeof(child_layer));
  c->used = xcalloc(1, sizeof(int));
  nn_params_init(&c->params);
  child_shape s = input;
  c->classes = 1;
  if (resolve(c, &c->layers[0].ops[0], &c->cnn.layers[0].ops[0], "unit", &s, &c->params, r, err)) {
    child_free(c);
    return -1;
  }
  c->layers[0].out = s;
  return 0;
}

tensor *child_unit_forward(nn_ctx *ctx, child *c, tensor *x) { return run_op(ctx, &c->layers[0].ops[0], x); }

child_shape child_layer_shape(const child *c, int i) { return i < 0 ? c->head->out : c->layers[i].out; }

/* op(name: value, ...); `classes` stands in for a dense layer's units of 0 */
static void op_text(const child_op *o, int classes, strbuf *out) {
  const arch_op *a = o->src;
  strbuf_puts(out, a->op->name);
  if (!a->op->nparams) return;
  strbuf_putc(out, '(');
  for (int i = 0; i < a->op->nparams; i++) {
    char buf[64];
    grammar_value_format(&a->args[i], buf, sizeof buf);
    if (!strcmp(a->op->name, "dense") && !strcmp(a->op->params[i].name, "units") && a->args[i].i == 0)
      snprintf(buf, sizeof buf, "%d", classes);
    strbuf_printf(out, "%s%s: %s", i ? ", " : "", a->op->params[i].name, buf);
  }
  strbuf_putc(out, ')');
}

void child_summary(const child *c, strbuf *out) {
  strbuf_printf(out, "%-6s %-14s %-14s %s\n", "layer", "inputs", "output", "operations");
  for (int i = 0; i < c->cnn.nlayers; i++) {
    const arch_layer *l = &c->cnn.layers[i];
    char in[64] = "image", shape[48];
    if (l->ninputs) {
      int k = 0;
      for (int j = 0; j < l->ninputs && k < 50; j++) k += snprintf(in + k, sizeof in - (size_t)k, "%s%d", j ? "," : "", l->inputs[j]);
    }
    snprintf(shape, sizeof shape, "%dx%dx%d", c->layers[i].out.c, c->layers[i].out.h, c->layers[i].out.w);
    strbuf_printf(out, "%-6d %-14s %-14s ", i, in, shape);
    for (int k = 0; k < c->layers[i].nops; k++) {
      if (k) strbuf_puts(out, " -> ");
      op_text(&c->layers[i].ops[k], c->classes, out);
    }
    strbuf_printf(out, "%s\n", c->used[i] ? "" : "   [to the head]");
  }
  strbuf_printf(out, "%-6s %-14s %-14s ", "head", "unused layers", "");
  for (int k = 0; k < c->head->nops; k++) {
    if (k) strbuf_puts(out, " -> ");
    op_text(&c->head->ops[k], c->classes, out);
  }
  strbuf_printf(out, "\nparameters: %lld   forward FLOPs per example: %lld   activations per example: %lld floats\n",
                (long long)c->nparams, (long long)c->flops, (long long)c->activations);
}

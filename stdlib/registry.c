/* registry.c: the table of operations (see registry.h), the entries without
 * a runtime of their own (edge operations, operations the runtime inserts),
 * and the defaults of the hooks. */
#include "stdlib/registry.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "stdlib/extern.h"

/* ---- the edge operations of DAG cells (cells.nasl): declared here, built
 * from layer operations by the DAG network (runtime/models/dagnet.h) ---- */

static const nn_op no_kernels[] = {NN_LEAF};

#define EDGE(id, text) static const stdlib_op id = {text, OP_ROLE_EDGE, NULL, no_kernels, NULL, NULL, NULL, NULL, NULL}
EDGE(op_none, "none");
EDGE(op_skip_connect, "skip_connect");
EDGE(op_nor_conv_1x1, "nor_conv_1x1");
EDGE(op_nor_conv_3x3, "nor_conv_3x3");
EDGE(op_avg_pool_3x3, "avg_pool_3x3");
EDGE(op_max_pool_3x3, "max_pool_3x3");
EDGE(op_sep_conv_3x3, "sep_conv_3x3");
EDGE(op_sep_conv_5x5, "sep_conv_5x5");
EDGE(op_dil_conv_3x3, "dil_conv_3x3");
EDGE(op_dil_conv_5x5, "dil_conv_5x5");
#undef EDGE

/* ---- operations the runtime inserts (internal.nasl): one tape kernel each ---- */

#define INTERNAL(id, text, kernel)                                                               \
  static const nn_op id##_kernels[] = {kernel, NN_LEAF};                                         \
  static const stdlib_op id = {text, OP_ROLE_INTERNAL, NULL, id##_kernels, NULL, NULL, NULL, NULL, NULL}
INTERNAL(op_concat, "concat", NN_CONCAT);
INTERNAL(op_softmax_xent, "softmax_xent", NN_SOFTMAX_XENT);
INTERNAL(op_log_softmax, "log_softmax", NN_LOG_SOFTMAX);
INTERNAL(op_log_sigmoid, "log_sigmoid", NN_LOG_SIGMOID);
INTERNAL(op_pick, "pick", NN_PICK);
INTERNAL(op_embedding, "embedding", NN_EMBEDDING);
INTERNAL(op_sub, "sub", NN_SUB);
INTERNAL(op_scale, "scale", NN_SCALE);
INTERNAL(op_sum, "sum", NN_SUM);
INTERNAL(op_slice, "slice", NN_SLICE);
INTERNAL(op_reshape, "reshape", NN_RESHAPE);
INTERNAL(op_exp, "exp", NN_EXP);
INTERNAL(op_batchnorm_relu, "batchnorm_relu", NN_BATCHNORM_RELU);
INTERNAL(op_conv2d_cat, "conv2d_cat", NN_CONV2D_CAT);
INTERNAL(op_clip_rows, "clip_rows", NN_CLIP_ROWS);
#undef INTERNAL

/* ---- the table ---- */

const stdlib_op *const stdlib_registry[] = {
    /* layers (layers.nasl; stdlib/conv.c, depthwise.c, pool.c, norm.c, dense.c) */
    &stdlib_op_conv2d, &stdlib_op_dwconv2d, &stdlib_op_maxpool, &stdlib_op_avgpool, &stdlib_op_global_avgpool, &stdlib_op_batchnorm,
    &stdlib_op_dropout, &stdlib_op_dense,
    /* activations and combines (activations.nasl; stdlib/activation.c, elementwise.c) */
    &stdlib_op_identity, &stdlib_op_tanh, &stdlib_op_sigmoid, &stdlib_op_relu, &stdlib_op_add, &stdlib_op_mul,
    /* edge operations (cells.nasl) */
    &op_none, &op_skip_connect, &op_nor_conv_1x1, &op_nor_conv_3x3, &op_avg_pool_3x3, &op_max_pool_3x3,
    &op_sep_conv_3x3, &op_sep_conv_5x5, &op_dil_conv_3x3, &op_dil_conv_5x5,
    /* inserted by the runtime (internal.nasl) */
    &op_concat, &op_softmax_xent, &op_log_softmax, &op_log_sigmoid, &op_pick, &op_embedding, &op_sub, &op_scale,
    &op_sum, &op_slice, &op_reshape, &op_exp, &op_batchnorm_relu, &op_conv2d_cat, &op_clip_rows,
};
const int stdlib_registry_count = (int)(sizeof stdlib_registry / sizeof stdlib_registry[0]);
static_assert(sizeof stdlib_registry / sizeof stdlib_registry[0] == 39,
              "a new operation needs its declaration in stdlib/*.nasl, its entry here, a gradient check "
              "and its section in nasl-stdlib(7)");

const stdlib_op *stdlib_find(const char *name) {
  for (int i = 0; i < stdlib_registry_count; i++)
    if (!strcmp(stdlib_registry[i]->name, name)) return stdlib_registry[i];
  return NULL;
}

const stdlib_op *stdlib_find_decl(const grammar_opdecl *decl, strbuf *err) {
  if (decl->ext) return stdlib_extern_entry(decl, err);
  const stdlib_op *op = stdlib_find(decl->name);
  if (!op) strbuf_printf(err, "operation '%s' has no runtime in naslc yet", decl->name);
  return op;
}

int stdlib_check_decl(const grammar_opdecl *decl, char *why, size_t size) {
  const stdlib_op *op = stdlib_find(decl->name);
  if (!op) return 1;
  if (op->role != decl->role) {
    snprintf(why, size, "naslc runs '%s' as %s %s, not as %s %s", op->name, grammar_role_article(op->role),
             grammar_role_names[op->role], grammar_role_article(decl->role), grammar_role_names[decl->role]);
    return -1;
  }
  int k = 0;
  for (const char *const *p = op->params; p && *p; p++, k++)
    if (k >= decl->nparams || strcmp(decl->params[k].name, *p)) {
      snprintf(why, size, "naslc's '%s' reads a parameter '%s' as its parameter %d; declare it there", op->name, *p,
               k + 1);
      return -1;
    }
  if (k != decl->nparams) {
    snprintf(why, size, "naslc's '%s' reads %d parameter%s, not %d: '%s' would be ignored", op->name, k,
             k == 1 ? "" : "s", decl->nparams, decl->params[k].name);
    return -1;
  }
  return 0;
}

int stdlib_arity(const stdlib_op *op) { return op->role == OP_ROLE_COMBINE ? 2 : 1; }

int stdlib_resolve(stdlib_node *n, stdlib_shape *s, stdlib_build *b, strbuf *err) {
  if (!n->op->resolve) {
    const char *name = n->op->name;
    if (n->op->role == OP_ROLE_COMBINE)
      strbuf_printf(err, "%s: operation '%s' is a combine: it joins two inputs in a recurrent cell and does not run "
                    "on one feature map", b->prefix, name);
    else if (n->op->role == OP_ROLE_EDGE)
      strbuf_printf(err, "%s: operation '%s' is an edge operation of DAG cells; it runs only on a cell's edges",
                    b->prefix, name);
    else
      strbuf_printf(err, "%s: operation '%s' is one the runtime inserts itself; it does not run on its own",
                    b->prefix, name);
    return -1;
  }
  n->nw = 0;
  return n->op->resolve(n, s, b, err);
}

tensor *stdlib_forward(nn_ctx *ctx, const stdlib_node *n, tensor *const *in) {
  if (!n->op->forward) return nn_fail(ctx, "operation '%s' has no forward function", n->op->name);
  return n->op->forward(ctx, n, in);
}

void stdlib_text(const stdlib_node *n, int classes, strbuf *out) {
  if (n->op->text) {
    n->op->text(n, classes, out);
    return;
  }
  strbuf_puts(out, n->decl->name);
  if (!n->decl->nparams) return;
  strbuf_putc(out, '(');
  for (int i = 0; i < n->decl->nparams; i++) {
    char buf[64];
    grammar_value_format(&n->args[i], buf, sizeof buf);
    strbuf_printf(out, "%s%s: %s", i ? ", " : "", n->decl->params[i].name, buf);
  }
  strbuf_putc(out, ')');
}

void stdlib_label(const stdlib_node *n, strbuf *out) {
  if (n->op->label) n->op->label(n, out);
  else strbuf_puts(out, n->decl->name);
}

/* ---- for the hooks ---- */

const grammar_value *stdlib_arg(const stdlib_node *n, const char *name) {
  for (int i = 0; i < n->decl->nparams; i++)
    if (!strcmp(n->decl->params[i].name, name)) return &n->args[i];
  return NULL;
}

int stdlib_int_arg(const stdlib_node *n, const char *name, int def) {
  const grammar_value *v = stdlib_arg(n, name);
  return v ? (int)v->i : def;
}

float stdlib_float_arg(const stdlib_node *n, const char *name, float def) {
  const grammar_value *v = stdlib_arg(n, name);
  return v ? (float)(v->kind == GV_INT ? (double)v->i : v->f) : def;
}

tensor *stdlib_weight(stdlib_node *n, stdlib_build *b, const char *what, int ndim, const int *ne) {
  tensor *t = NULL;
  if (b->params) {
    char name[512];
    snprintf(name, sizeof name, "%s.%s.%s", b->prefix, n->inst, what);
    t = nn_param(b->params, name, ndim, ne);
  }
  if (n->nw < NASLC_MAX_WEIGHTS) n->w[n->nw++] = t;
  return t;
}

/* dagnet.c: a DAG-cell architecture as the layers of a network (see dagnet.h). */
#include "runtime/models/dagnet.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"

typedef struct lowering {
  const grammar *g;
  arch_cnn *out;
  int cap;
  int *channels, *level; /* per layer: output channels, reductions before it */
  strbuf place;          /* the place the next layers belong to (arch_layer.share) ... */
  int nth;               /* ... and how many of its layers there are so far */
  strbuf *err;
  const grammar_opdecl *conv, *dwconv, *bn, *relu, *avgpool, *maxpool, *gap, *dense;
} lowering;

static const grammar_opdecl *decl(const grammar *g, const char *name) {
  for (int i = 0; i < g->nops; i++)
    if (!strcmp(g->ops[i].name, name) && !g->ops[i].ext) return &g->ops[i];
  return NULL;
}

/* The place of the layers made next (printf-style); their share names are
 * PLACE/0, PLACE/1, ... in the order they are made. */
static void place(lowering *L, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  strbuf_clear(&L->place);
  strbuf_vprintf(&L->place, fmt, ap);
  va_end(ap);
  L->nth = 0;
}

/* A new layer reading inputs[0..n-1]; returns its number. */
static int layer(lowering *L, arch_join join, const int *inputs, int n, int channels, int level) {
  arch_cnn *o = L->out;
  if (o->nlayers == L->cap) {
    L->cap = L->cap ? 2 * L->cap : 32;
    o->layers = xrealloc(o->layers, sizeof(arch_layer) * (size_t)L->cap);
    L->channels = xrealloc(L->channels, sizeof(int) * (size_t)L->cap);
    L->level = xrealloc(L->level, sizeof(int) * (size_t)L->cap);
  }
  int i = o->nlayers++;
  arch_layer *l = &o->layers[i];
  memset(l, 0, sizeof *l);
  l->index = i;
  l->join = join;
  strbuf share;
  strbuf_init(&share);
  strbuf_printf(&share, "%s/%d", L->place.data, L->nth++);
  l->share = strbuf_take(&share);
  strbuf_free(&share); /* take leaves a fresh buffer */
  l->ninputs = n;
  l->inputs = xcalloc((size_t)n + 1, sizeof(int));
  memcpy(l->inputs, inputs, sizeof(int) * (size_t)n);
  L->channels[i] = channels;
  L->level[i] = level;
  return i;
}

/* Appends op to layer l (-1: the head) with its default arguments, then
 * the pairs (name, value) of ints given, ended by NULL. */
static void op(lowering *L, int l, const grammar_opdecl *d, ...) {
  arch_layer *ly = l < 0 ? &L->out->head : &L->out->layers[l];
  ly->ops = xrealloc(ly->ops, sizeof(arch_op) * (size_t)(ly->nops + 1));
  grammar_value *args = xcalloc((size_t)d->nparams + 1, sizeof *args);
  for (int k = 0; k < d->nparams; k++) args[k] = d->params[k].def;
  va_list ap;
  va_start(ap, d);
  for (const char *name; (name = va_arg(ap, const char *));) {
    int v = va_arg(ap, int);
    for (int k = 0; k < d->nparams; k++)
      if (!strcmp(d->params[k].name, name)) args[k].i = v;
  }
  va_end(ap);
  /* a second instance in the layer is NAME_2, as the compiler names them */
  static const char *const seconds[][2] = {
      {"relu", "relu_2"}, {"dwconv2d", "dwconv2d_2"}, {"conv2d", "conv2d_2"}, {"batchnorm", "batchnorm_2"}};
  const char *inst = d->name;
  for (int k = 0; k < ly->nops; k++)
    if (ly->ops[k].op == d)
      for (size_t j = 0; j < sizeof seconds / sizeof seconds[0]; j++)
        if (!strcmp(seconds[j][0], d->name)) inst = seconds[j][1];
  ly->ops[ly->nops++] = (arch_op){d, inst, args};
}

/* An operation written in the ops list (role layer or activation), as it is. */
static void op_as_written(lowering *L, int l, const grammar_node *n) {
  arch_layer *ly = &L->out->layers[l];
  ly->ops = xrealloc(ly->ops, sizeof(arch_op) * (size_t)(ly->nops + 1));
  grammar_value *args = xcalloc((size_t)n->op->nparams + 1, sizeof *args);
  for (int k = 0; k < n->op->nparams; k++) args[k] = n->args[k].fixed;
  ly->ops[ly->nops++] = (arch_op){n->op, n->op->name, args};
}

/* relu -> conv2d KxK (filters, stride) -> batchnorm on layer src */
static int relu_conv_bn(lowering *L, int src, int k, int filters, int stride, int level) {
  int l = layer(L, ARCH_JOIN_CONCAT, &src, 1, filters, level);
  op(L, l, L->relu, NULL);
  op(L, l, L->conv, "height", k, "width", k, "filters", filters, "stride", stride, NULL);
  op(L, l, L->bn, NULL);
  return l;
}

/* The residual block that halves the map and sets the channels. */
static int reduction(lowering *L, int src, int channels, int level) {
  int a = layer(L, ARCH_JOIN_CONCAT, &src, 1, channels, level);
  op(L, a, L->relu, NULL);
  op(L, a, L->conv, "height", 3, "width", 3, "filters", channels, "stride", 2, NULL);
  op(L, a, L->bn, NULL);
  int b = relu_conv_bn(L, a, 3, channels, 1, level);
  int sc = layer(L, ARCH_JOIN_CONCAT, &src, 1, channels, level);
  op(L, sc, L->avgpool, "size", 2, "stride", 2, NULL);
  op(L, sc, L->conv, "height", 1, "width", 1, "filters", channels, "stride", 1, NULL);
  int both[2] = {b, sc};
  return layer(L, ARCH_JOIN_SUM, both, 2, channels, level);
}

/* An edge operation of cells.nasl that has no layers to run it. */
static int unsupported(const grammar_opdecl *op) {
  static const char *const runs[] = {"none",         "skip_connect", "nor_conv_1x1", "nor_conv_3x3",
                                     "avg_pool_3x3", "max_pool_3x3", "sep_conv_3x3", "sep_conv_5x5",
                                     "dil_conv_3x3", "dil_conv_5x5"};
  if (op->role != OP_ROLE_EDGE || op->ext) return 0;
  for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++)
    if (!strcmp(op->name, runs[i])) return 0;
  return 1;
}

static const char runs_text[] = "DAG networks run the edge operations of cells.nasl and layer operations";

/* relu -> dwconv2d KxK (dilation) -> conv2d 1x1 -> batchnorm, appended to layer l */
static void relu_dw_pw_bn(lowering *L, int l, int k, int dilation, int channels) {
  op(L, l, L->relu, NULL);
  op(L, l, L->dwconv, "size", k, "stride", 1, "dilation", dilation, NULL);
  op(L, l, L->conv, "height", 1, "width", 1, "filters", channels, "stride", 1, NULL);
  op(L, l, L->bn, NULL);
}

int dagnet_check_ops(const grammar *g, strbuf *err) {
  const grammar_node *n = g->program;
  if (g->space_kind != SPACE_DAG_CELL || n->kind != GN_DAG) return 0;
  for (int o = 0; o < n->nchildren; o++)
    if (unsupported(n->children[o]->op)) {
      strbuf_printf(err, "'%s' offers the edge operation '%s', which has no runtime in naslc, so its children cannot be "
                    "trained (%s); search it with evaluator: table(...), or take '%s' out of its ops",
                    g->name, n->children[o]->op->name, runs_text, n->children[o]->op->name);
      return -1;
    }
  return 0;
}

/* One edge out of layer src with operation n: the layer whose map the node
 * adds, or -1 for none; -2 with err set when it cannot run. */
static int edge(lowering *L, int src, const grammar_node *n, int channels, int level, int node) {
  const char *name = n->op->name;
  if (n->op->role == OP_ROLE_EDGE && !n->op->ext) {
    if (unsupported(n->op)) {
      strbuf_printf(L->err, "node %d: the edge operation '%s' has no runtime in naslc; %s", node, name, runs_text);
      return -2;
    }
    if (!strcmp(name, "none")) return -1;
    if (!strcmp(name, "skip_connect")) return src;
    if (!strcmp(name, "nor_conv_1x1")) return relu_conv_bn(L, src, 1, channels, 1, level);
    if (!strcmp(name, "nor_conv_3x3")) return relu_conv_bn(L, src, 3, channels, 1, level);
    int k = strstr(name, "5x5") ? 5 : 3;
    if (!strncmp(name, "sep_conv_", 9) || !strncmp(name, "dil_conv_", 9)) {
      int l = layer(L, ARCH_JOIN_CONCAT, &src, 1, channels, level);
      if (name[0] == 's') { /* DARTS's separable convolution: the pair twice */
        relu_dw_pw_bn(L, l, k, 1, channels);
        relu_dw_pw_bn(L, l, k, 1, channels);
      } else {
        relu_dw_pw_bn(L, l, k, 2, channels);
      }
      return l;
    }
    /* avg_pool_3x3 or max_pool_3x3: unsupported() has ruled out the rest */
    int l = layer(L, ARCH_JOIN_CONCAT, &src, 1, channels, level);
    op(L, l, !strcmp(name, "avg_pool_3x3") ? L->avgpool : L->maxpool, "size", 3, "stride", 1, NULL);
    return l;
  }
  int l = layer(L, ARCH_JOIN_CONCAT, &src, 1, channels, level);
  op_as_written(L, l, n);
  return l;
}

/* The edges of a cell as (to, from, op, slot) tuples, slot the edge's
 * number among those into its node; returns how many. */
static int cell_edges(const arch *a, const grammar_node *n, int (*e)[4]) {
  int per = n->dag_pick ? 2 * n->dag_pick : n->dag_nodes, k = 0;
  for (int i = n->dag_inputs; i < n->dag_nodes; i++) {
    int count = n->dag_pick ? n->dag_pick : i;
    for (int m = 0; m < count; m++) {
      int from = n->dag_pick ? arch_token(a, n->dag_decisions[i * per + 2 * m]) : m;
      int o = arch_token(a, n->dag_decisions[i * per + (n->dag_pick ? 2 * m + 1 : m)]);
      if (from < 0 || from >= i || o < 0 || o >= n->nchildren) continue;
      e[k][0] = i, e[k][1] = from, e[k][2] = o, e[k][3] = m;
      k++;
    }
  }
  return k;
}

static int is_none(const grammar_node *n, int o) {
  return n->children[o]->op->role == OP_ROLE_EDGE && !strcmp(n->children[o]->op->name, "none");
}

/* One copy of the cell on the maps of layers in[0..inputs-1] (channels,
 * level of the stage), copy `copy` of stage `level`; returns the layer of
 * its output, or -1 with err. */
static int cell(lowering *L, const arch *a, const int *in, int channels, int level, int copy) {
  const grammar_node *n = a->g->program;
  int N = n->dag_nodes, K = n->dag_inputs;
  int (*e)[4] = xcalloc((size_t)N * (size_t)N * 8 + 1, sizeof *e);
  int ne = cell_edges(a, n, e);
  int *live = xcalloc((size_t)N, sizeof(int)), *read = xcalloc((size_t)N, sizeof(int));
  int *val = xcalloc((size_t)N, sizeof(int));
  int *outs = xcalloc((size_t)N, sizeof(int)), nout = 0, result = -1;
  for (int k = 0; k < ne; k++)
    if (!is_none(n, e[k][2])) read[e[k][1]] = 1;
  for (int i = K; i < N; i++)
    if (n->dag_output == DAG_OUTPUT_CONCAT || (n->dag_output == DAG_OUTPUT_UNUSED && !read[i]) ||
        (n->dag_output == DAG_OUTPUT_LAST && i == N - 1))
      outs[nout++] = i;
  if (nout == 0) outs[nout++] = N - 1; /* every node read: the last one, as ENAS does */
  for (int k = 0; k < nout; k++) live[outs[k]] = 1;
  for (int i = N - 1; i >= K; i--) {
    int reached = 0;
    for (int k = 0; k < ne; k++)
      if (e[k][0] == i && !is_none(n, e[k][2])) {
        reached = 1;
        if (live[i]) live[e[k][1]] = 1;
      }
    if (live[i] && !reached) live[K - 1] = 1; /* a map of zeros takes its shape from the last input */
  }
  /* the inputs, brought to the stage's channels and size where they differ:
   * one 1x1 convolution of stride 2 per reduction between them */
  for (int j = 0; j < K; j++) {
    val[j] = -1;
    if (!live[j]) continue;
    place(L, "s%dc%din%d", level, copy, j);
    int src = in[j], changed = 0;
    while (L->level[src] < level) {
      src = relu_conv_bn(L, src, 1, channels, 2, L->level[src] + 1);
      changed = 1;
    }
    if (!changed && (K > 1 || L->channels[src] != channels)) src = relu_conv_bn(L, src, 1, channels, 1, level);
    val[j] = src;
  }
  for (int i = K; i < N; i++) {
    if (!live[i]) continue;
    int *terms = xcalloc((size_t)ne + 1, sizeof(int)), nt = 0;
    for (int k = 0; k < ne; k++) {
      if (e[k][0] != i) continue;
      /* one place per (node, slot, input, operation choice): its weights
       * are the same whatever the rest of the cell is; the choice's number
       * tells apart variants of one operation (dwconv2d(size: 3) and
       * dwconv2d(size: 5)) */
      place(L, "s%dc%dn%dx%d_%d:%d:%s", level, copy, i, e[k][3], e[k][1], e[k][2],
            n->children[e[k][2]]->op->name);
      int t = edge(L, val[e[k][1]], n->children[e[k][2]], channels, level, i);
      if (t == -2) {
        free(terms);
        goto done;
      }
      if (t >= 0) terms[nt++] = t;
    }
    place(L, "s%dc%dn%d", level, copy, i);
    if (nt == 0) val[i] = layer(L, ARCH_JOIN_ZERO, &val[K - 1], 1, channels, level);
    else if (nt == 1) val[i] = terms[0];
    else val[i] = layer(L, ARCH_JOIN_SUM, terms, nt, channels, level);
    free(terms);
  }
  if (nout == 1) {
    result = val[outs[0]];
  } else {
    int *src = xcalloc((size_t)nout, sizeof(int));
    for (int k = 0; k < nout; k++) src[k] = val[outs[k]];
    place(L, "s%dc%dout", level, copy);
    result = layer(L, ARCH_JOIN_CONCAT, src, nout, channels * nout, level);
    free(src);
  }
done:
  free(e);
  free(live);
  free(read);
  free(val);
  free(outs);
  return result;
}

/* Drops the layers the last one does not depend on, renumbering the rest
 * in order: a cell that does not read one of its inputs leaves the layer
 * that made it (a reduction block, the cell before) to nobody. */
static void prune(arch_cnn *o) {
  int n = o->nlayers, m = 0;
  if (n == 0) return;
  int *keep = xcalloc((size_t)n, sizeof(int)), *to = xcalloc((size_t)n, sizeof(int));
  keep[n - 1] = 1;
  for (int i = n - 1; i >= 0; i--)
    for (int k = 0; keep[i] && k < o->layers[i].ninputs; k++) keep[o->layers[i].inputs[k]] = 1;
  for (int i = 0; i < n; i++) {
    if (!keep[i]) {
      arch_layer_free(&o->layers[i]);
      continue;
    }
    to[i] = m;
    o->layers[m] = o->layers[i];
    o->layers[m].index = m;
    for (int k = 0; k < o->layers[m].ninputs; k++) o->layers[m].inputs[k] = to[o->layers[m].inputs[k]];
    m++;
  }
  o->nlayers = m;
  free(keep);
  free(to);
}

int dagnet_lower(const arch *a, const grammar_train *t, arch_cnn *out, strbuf *err) {
  memset(out, 0, sizeof *out);
  const grammar *g = a->g;
  if (g->space_kind != SPACE_DAG_CELL || g->program->kind != GN_DAG) {
    strbuf_puts(err, "only DAG-cell spaces make DAG networks");
    return -1;
  }
  lowering L = {.g = g, .out = out, .err = err};
  L.conv = decl(g, "conv2d"), L.dwconv = decl(g, "dwconv2d"), L.bn = decl(g, "batchnorm"), L.relu = decl(g, "relu");
  L.avgpool = decl(g, "avgpool"), L.maxpool = decl(g, "maxpool"), L.gap = decl(g, "global_avgpool");
  L.dense = decl(g, "dense");
  if (!L.conv || !L.dwconv || !L.bn || !L.relu || !L.avgpool || !L.maxpool || !L.gap || !L.dense) {
    strbuf_puts(err, "the stdlib's layer operations are not declared (is NASLC_STDLIB right?)");
    return -1;
  }
  out->head.index = -1;
  int C = t->channels > 0 ? t->channels : 16, cells = t->cells > 0 ? t->cells : 1;
  if (g->program->dag_inputs > 8) {
    strbuf_printf(err, "a DAG network takes cells of 1 to 8 inputs, not %d", g->program->dag_inputs);
    return -1;
  }
  int none = 0;
  strbuf_init(&L.place);
  place(&L, "stem");
  int stem = layer(&L, ARCH_JOIN_CONCAT, &none, 0, C, 0);
  op(&L, stem, L.conv, "height", 3, "width", 3, "filters", C, "stride", 1, NULL);
  op(&L, stem, L.bn, NULL);
  /* the outputs so far: a cell of K inputs reads the last K (the stem
   * stands in for those before it) */
  int K = g->program->dag_inputs, nhist = 0;
  int *hist = xcalloc((size_t)(3 + 3 * cells) + 1, sizeof(int)), in[8];
  hist[nhist++] = stem;
  int rc = 0;
  for (int s = 0; s < 3 && rc == 0; s++) {
    int channels = C << s;
    if (s > 0) {
      place(&L, "red%d", s);
      int r = reduction(&L, hist[nhist - 1], channels, s);
      hist[nhist++] = r;
    }
    for (int k = 0; k < cells; k++) {
      for (int j = 0; j < K; j++) in[j] = hist[nhist - K + j >= 0 ? nhist - K + j : 0];
      int o = cell(&L, a, in, channels, s, k);
      if (o < 0) {
        rc = -1;
        break;
      }
      hist[nhist++] = o;
    }
  }
  free(hist);
  if (rc == 0) prune(out);
  /* the head must read the last cell alone (dagnet.h) */
  int *read = xcalloc((size_t)out->nlayers + 1, sizeof(int));
  for (int i = 0; i < out->nlayers; i++)
    for (int k = 0; k < out->layers[i].ninputs; k++) read[out->layers[i].inputs[k]] = 1;
  for (int i = 0; i + 1 < out->nlayers && rc == 0; i++)
    if (!read[i]) {
      strbuf_printf(err, "internal error: layer %d of the DAG network is read by no other layer", i);
      rc = -1;
    }
  free(read);
  if (rc == 0) {
    op(&L, -1, L.bn, NULL);
    op(&L, -1, L.relu, NULL);
    op(&L, -1, L.gap, NULL);
    op(&L, -1, L.dense, NULL);
  }
  free(L.channels);
  free(L.level);
  strbuf_free(&L.place);
  if (rc) arch_cnn_free(out);
  return rc;
}

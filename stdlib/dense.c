/* dense.c: fully connected layers (GEMM) and embeddings. */
#include <string.h>

#include "nn/dispatch.h"
#include "nn/parallel.h"
#include "stdlib/kernels.h"
#include "stdlib/registry.h"

NN_CLONES tensor *nn_dense(nn_ctx *ctx, tensor *x, tensor *w, tensor *b) {
  if (!x || !w) return NULL;
  if (x->ndim < 1 || w->ndim != 2)
    return nn_fail(ctx, "dense needs an input [N, ...] and weights [out, in], not %s and %s", nn_shape_text(ctx, x),
                   nn_shape_text(ctx, w));
  int N = x->ne[0];
  int64_t in = x->n / N;
  if (in != w->ne[1])
    return nn_fail(ctx, "dense weights %s take %d inputs per row; %s gives %lld", nn_shape_text(ctx, w), w->ne[1],
                   nn_shape_text(ctx, x), (long long)in);
  if (b && (b->ndim != 1 || b->ne[0] != w->ne[0]))
    return nn_fail(ctx, "dense bias %s does not match %d outputs", nn_shape_text(ctx, b), w->ne[0]);
  int out = w->ne[0];
  int ne[2] = {N, out};
  tensor *src[3] = {x, w, b};
  tensor *y = nn_op_output(ctx, NN_DENSE, 2, ne, src, b ? 3 : 2);
  if (!y) return NULL;
  nn_sgemm(ctx->nthreads, 0, 1, N, out, (int)in, 1.0f, x->data, (int)in, w->data, (int)in, 0.0f, y->data, out);
  if (b)
    for (int r = 0; r < N; r++)
      for (int k = 0; k < out; k++) y->data[(int64_t)r * out + k] += b->data[k];
  return y;
}

NN_CLONES void nn_dense_backward(nn_ctx *ctx, tensor *y) {
  tensor *x = y->src[0], *w = y->src[1], *b = y->nsrc > 2 ? y->src[2] : NULL;
  int N = y->ne[0], out = y->ne[1], in = w->ne[1];
  if (x->requires_grad)
    nn_sgemm(ctx->nthreads, 0, 0, N, in, out, 1.0f, y->grad, out, w->data, in, 1.0f, nn_grad(ctx, x), in);
  if (w->requires_grad)
    nn_sgemm(ctx->nthreads, 1, 0, out, in, N, 1.0f, y->grad, out, x->data, in, 1.0f, nn_grad(ctx, w), in);
  if (b && b->requires_grad) {
    float *db = nn_grad(ctx, b);
    for (int r = 0; r < N; r++)
      for (int k = 0; k < out; k++) db[k] += y->grad[(int64_t)r * out + k];
  }
}

tensor *nn_embedding(nn_ctx *ctx, tensor *table, const int *ids, int n) {
  if (!table) return NULL;
  if (table->ndim != 2) return nn_fail(ctx, "an embedding table is [V, D], not %s", nn_shape_text(ctx, table));
  if (n < 1) return nn_fail(ctx, "an embedding lookup needs at least one id");
  int V = table->ne[0], D = table->ne[1];
  for (int i = 0; i < n; i++)
    if (ids[i] < 0 || ids[i] >= V) return nn_fail(ctx, "embedding id %d is outside 0..%d", ids[i], V - 1);
  int ne[2] = {n, D};
  tensor *y = nn_op_output(ctx, NN_EMBEDDING, 2, ne, &table, 1);
  if (!y) return NULL;
  int *copy = arena_alloc(&ctx->mem, sizeof(int) * (size_t)n);
  memcpy(copy, ids, sizeof(int) * (size_t)n);
  y->aux = copy;
  for (int i = 0; i < n; i++)
    memcpy(y->data + (int64_t)i * D, table->data + (int64_t)ids[i] * D, sizeof(float) * (size_t)D);
  return y;
}

void nn_embedding_backward(nn_ctx *ctx, tensor *y) {
  tensor *table = y->src[0];
  if (!table->requires_grad) return;
  float *dt = nn_grad(ctx, table);
  const int *ids = y->aux;
  int n = y->ne[0], D = y->ne[1];
  for (int i = 0; i < n; i++)
    for (int k = 0; k < D; k++) dt[(int64_t)ids[i] * D + k] += y->grad[(int64_t)i * D + k];
}

/* ---- registry entry (registry.h) ---- */

static const char *const dense_params[] = {"units", NULL};
static const nn_op dense_kernels[] = {NN_DENSE, NN_RESHAPE, NN_LEAF};

/* k: units (0 in the declaration: the number of classes); w: weight [units, in], bias [units] */
static int dense_resolve(stdlib_node *n, stdlib_shape *s, stdlib_build *b, strbuf *err) {
  int units = stdlib_int_arg(n, "units", 0);
  if (units == 0) units = b->classes;
  n->k[0] = units;
  int64_t in = (int64_t)s->c * s->h * s->w;
  if (in > (1 << 26)) {
    strbuf_printf(err, "%s: dense over %lld inputs is too large", b->prefix, (long long)in);
    return -1;
  }
  b->nparams += in * units + units;
  b->flops += 2 * in * units;
  int ne[2] = {units, (int)in};
  tensor *w = stdlib_weight(n, b, "weight", 2, ne);
  if (w) nn_init_glorot(w, b->rng, (int)in, units);
  stdlib_weight(n, b, "bias", 1, &units);
  s->c = units, s->h = s->w = 1;
  return 0;
}

/* The features come out as a 1x1 map, so that any operation may follow. */
static tensor *dense_forward(nn_ctx *ctx, const stdlib_node *n, tensor *const *in) {
  tensor *y = nn_dense(ctx, in[0], n->w[0], n->w[1]);
  if (!y) return NULL;
  int ne[4] = {y->ne[0], y->ne[1], 1, 1};
  return nn_reshape(ctx, y, 4, ne);
}

/* units of 0 are shown as what they stand for */
static void dense_text(const stdlib_node *n, int classes, strbuf *out) {
  const grammar_value *v = stdlib_arg(n, "units");
  strbuf_printf(out, "dense(units: %lld)", v && v->i ? (long long)v->i : (long long)classes);
}

static void dense_label(const stdlib_node *n, strbuf *out) { strbuf_printf(out, "dense %d", n->k[0]); }

const stdlib_op stdlib_op_dense = {"dense", OP_ROLE_LAYER, dense_params, dense_kernels, dense_resolve, dense_forward,
                                   dense_text, dense_label, NULL};

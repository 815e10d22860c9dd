/* dense.c: fully connected layers (GEMM) and embeddings. */
#include <cblas.h>
#include <string.h>

#include "stdlib/kernels.h"

tensor *nn_dense(nn_ctx *ctx, tensor *x, tensor *w, tensor *b) {
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
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, out, (int)in, 1.0f, x->data, (int)in, w->data, (int)in,
              0.0f, y->data, out);
  if (b)
    for (int r = 0; r < N; r++)
      for (int k = 0; k < out; k++) y->data[(int64_t)r * out + k] += b->data[k];
  return y;
}

void nn_dense_backward(nn_ctx *ctx, tensor *y) {
  tensor *x = y->src[0], *w = y->src[1], *b = y->nsrc > 2 ? y->src[2] : NULL;
  int N = y->ne[0], out = y->ne[1], in = w->ne[1];
  if (x->requires_grad)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, in, out, 1.0f, y->grad, out, w->data, in, 1.0f,
                nn_grad(ctx, x), in);
  if (w->requires_grad)
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, N, 1.0f, y->grad, out, x->data, in, 1.0f,
                nn_grad(ctx, w), in);
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

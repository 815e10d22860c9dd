/* loss.c: softmax cross-entropy (stable: log-sum-exp with the row maximum
 * taken out), log-softmax and picking one entry per row, the pieces of both
 * the classifier loss and the controller's log-probabilities. */
#include <math.h>
#include <string.h>

#include "nn/dispatch.h"
#include "nn/parallel.h"
#include "stdlib/kernels.h"

/* The row's maximum m and log(sum exp(r - m)): log-sum-exp is m plus the
 * second, kept apart so that r - m is taken first (m + log(s) would round
 * away log(s) next to a logit of 1e38). */
static float row_max_logsum(const float *r, int k, float *logsum) {
  float m = r[0];
  for (int j = 1; j < k; j++)
    if (r[j] > m) m = r[j];
  double s = 0;
  for (int j = 0; j < k; j++) s += exp((double)(r[j] - m));
  *logsum = (float)log(s);
  return m;
}

/* Rows of softmax cross-entropy: p = exp(r - max) / sum in two vectorised
 * passes and a scaling, and each row's loss, for rows b..e of a part. */
typedef struct xent_task {
  const float *logits;
  float *p;
  const int *labels;
  double *row_loss;
  int N, K;
} xent_task;

NN_CLONES static void xent_rows(void *arg, int ith, int nth) {
  const xent_task *t = arg;
  int b, e, K = t->K;
  nn_split(t->N, ith, nth, &b, &e);
  for (int i = b; i < e; i++) {
    const float *r = t->logits + (int64_t)i * K;
    float *pr = t->p + (int64_t)i * K, m = r[0], lane[16];
    int j = 0;
    for (int u = 0; u < 16; u++) lane[u] = r[0];
    for (; j + 16 <= K; j += 16) /* the maximum in 16 lanes (one running maximum does not vectorise) */
      for (int u = 0; u < 16; u++) lane[u] = r[j + u] > lane[u] ? r[j + u] : lane[u];
    for (; j < K; j++) m = r[j] > m ? r[j] : m;
    for (int u = 0; u < 16; u++) m = lane[u] > m ? lane[u] : m; /* a NaN in r[0] stays, as in one pass */
    float part[16] = {0};
    j = 0;
    for (; j + 16 <= K; j += 16) /* exp and sum in one pass, 16 lanes */
      for (int u = 0; u < 16; u++) {
        float ex = nn_fast_expf(r[j + u] - m);
        pr[j + u] = ex;
        part[u] += ex;
      }
    double s = 0;
    for (; j < K; j++) s += pr[j] = nn_fast_expf(r[j] - m);
    for (int u = 0; u < 16; u++) s += part[u];
    float inv = (float)(1.0 / s);
    for (j = 0; j < K; j++) pr[j] *= inv;
    t->row_loss[i] = log(s) - ((double)r[t->labels[i]] - m); /* r - m first: exact next to a huge m */
  }
}

tensor *nn_softmax_xent(nn_ctx *ctx, tensor *logits, const int *labels) {
  if (!logits) return NULL;
  if (logits->ndim != 2) return nn_fail(ctx, "softmax cross-entropy needs [N, K] logits, not %s", nn_shape_text(ctx, logits));
  int N = logits->ne[0], K = logits->ne[1];
  for (int i = 0; i < N; i++)
    if (labels[i] < 0 || labels[i] >= K) return nn_fail(ctx, "label %d is outside 0..%d", labels[i], K - 1);
  tensor *y = nn_op_output(ctx, NN_SOFTMAX_XENT, 0, NULL, &logits, 1);
  if (!y) return NULL;
  /* saved: the softmax (for backward) followed by the labels */
  float *p = arena_alloc_raw(&ctx->mem, sizeof(float) * (size_t)logits->n + sizeof(int) * (size_t)N);
  int *lab = (int *)(p + logits->n);
  memcpy(lab, labels, sizeof(int) * (size_t)N);
  y->aux = p;
  xent_task t = {logits->data, p, labels, arena_alloc_raw(&ctx->mem, sizeof(double) * (size_t)N), N, K};
  int nth = (int64_t)N * K < 65536 ? 1 : ctx->nthreads < N ? ctx->nthreads : N;
  nn_parallel(nth, xent_rows, &t);
  double loss = 0;
  for (int i = 0; i < N; i++) loss += t.row_loss[i]; /* in row order, whatever the threads */
  y->data[0] = (float)(loss / N);
  return y;
}

typedef struct xent_back_task {
  const float *p;
  const int *labels;
  float *dx, g;
  int N, K, fresh;
} xent_back_task;

NN_CLONES static void xent_back_rows(void *arg, int ith, int nth) {
  const xent_back_task *t = arg;
  int b, e;
  nn_split(t->N, ith, nth, &b, &e);
  float g = t->g;
  for (int i = b; i < e; i++) {
    const float *restrict p = t->p + (int64_t)i * t->K;
    float *restrict d = t->dx + (int64_t)i * t->K;
    if (t->fresh) /* logits of a language model are large: write, do not zero then add */
      for (int j = 0; j < t->K; j++) d[j] = g * p[j];
    else
      for (int j = 0; j < t->K; j++) d[j] += g * p[j];
    d[t->labels[i]] -= g;
  }
}

void nn_softmax_xent_backward(nn_ctx *ctx, tensor *y) {
  tensor *x = y->src[0];
  if (!x->requires_grad) return;
  int N = x->ne[0], K = x->ne[1];
  const float *p = y->aux;
  xent_back_task t = {p, (const int *)(p + x->n), NULL, y->grad[0] / (float)N, N, K, 0};
  t.dx = nn_grad_fresh(ctx, x, &t.fresh);
  int nth = (int64_t)N * K < 65536 ? 1 : ctx->nthreads < N ? ctx->nthreads : N;
  nn_parallel(nth, xent_back_rows, &t);
}

tensor *nn_log_softmax(nn_ctx *ctx, tensor *x) {
  if (!x) return NULL;
  if (x->ndim != 2) return nn_fail(ctx, "log_softmax works on rows of [N, K], not %s", nn_shape_text(ctx, x));
  tensor *y = nn_op_output(ctx, NN_LOG_SOFTMAX, 2, x->ne, &x, 1);
  if (!y) return NULL;
  int N = x->ne[0], K = x->ne[1];
  for (int i = 0; i < N; i++) {
    const float *r = x->data + (int64_t)i * K;
    float ls, m = row_max_logsum(r, K, &ls);
    for (int j = 0; j < K; j++) y->data[(int64_t)i * K + j] = (r[j] - m) - ls;
  }
  return y;
}

void nn_log_softmax_backward(nn_ctx *ctx, tensor *y) {
  tensor *x = y->src[0];
  if (!x->requires_grad) return;
  int N = x->ne[0], K = x->ne[1];
  float *dx = nn_grad(ctx, x);
  for (int i = 0; i < N; i++) {
    const float *g = y->grad + (int64_t)i * K, *ly = y->data + (int64_t)i * K;
    double s = 0;
    for (int j = 0; j < K; j++) s += g[j];
    for (int j = 0; j < K; j++) dx[(int64_t)i * K + j] += g[j] - expf(ly[j]) * (float)s;
  }
}

tensor *nn_pick(nn_ctx *ctx, tensor *x, const int *index) {
  if (!x) return NULL;
  if (x->ndim != 2) return nn_fail(ctx, "pick works on rows of [N, K], not %s", nn_shape_text(ctx, x));
  int N = x->ne[0], K = x->ne[1];
  for (int i = 0; i < N; i++)
    if (index[i] < 0 || index[i] >= K) return nn_fail(ctx, "pick index %d is outside 0..%d", index[i], K - 1);
  int ne[2] = {N, 1};
  tensor *y = nn_op_output(ctx, NN_PICK, 2, ne, &x, 1);
  if (!y) return NULL;
  int *copy = arena_alloc(&ctx->mem, sizeof(int) * (size_t)N);
  memcpy(copy, index, sizeof(int) * (size_t)N);
  y->aux = copy;
  for (int i = 0; i < N; i++) y->data[i] = x->data[(int64_t)i * K + index[i]];
  return y;
}

void nn_pick_backward(nn_ctx *ctx, tensor *y) {
  tensor *x = y->src[0];
  if (!x->requires_grad) return;
  float *dx = nn_grad(ctx, x);
  const int *index = y->aux;
  int N = x->ne[0], K = x->ne[1];
  for (int i = 0; i < N; i++) dx[(int64_t)i * K + index[i]] += y->grad[i];
}

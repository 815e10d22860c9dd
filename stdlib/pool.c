/* pool.c: max, average and global average pooling over NCHW maps. Windows
 * use "same" padding: the output is ceil(H / stride) by ceil(W / stride);
 * padded positions never win a max and do not count in a mean. */
#include <float.h>
#include <string.h>

#include "stdlib/kernels.h"
#include "stdlib/registry.h"

static tensor *pool_output(nn_ctx *ctx, nn_op op, tensor *x, int size, int stride) {
  if (!x) return NULL;
  if (x->ndim != 4) return nn_fail(ctx, "pooling needs a [N, C, H, W] map, not %s", nn_shape_text(ctx, x));
  if (size < 1 || stride < 1) return nn_fail(ctx, "pooling size and stride must be positive");
  int pt, pl;
  int oh = nn_same_out(x->ne[2], size, stride, &pt), ow = nn_same_out(x->ne[3], size, stride, &pl);
  int ne[4] = {x->ne[0], x->ne[1], oh, ow};
  tensor *y = nn_op_output(ctx, op, 4, ne, &x, 1);
  if (!y) return NULL;
  y->ip[0] = size;
  y->ip[1] = stride;
  y->ip[2] = pt;
  y->ip[3] = pl;
  return y;
}

tensor *nn_maxpool(nn_ctx *ctx, tensor *x, int size, int stride) {
  tensor *y = pool_output(ctx, NN_MAXPOOL, x, size, stride);
  if (!y) return NULL;
  int H = x->ne[2], W = x->ne[3], OH = y->ne[2], OW = y->ne[3], pt = y->ip[2], pl = y->ip[3];
  int32_t *arg = arena_alloc_raw(&ctx->mem, sizeof(int32_t) * (size_t)y->n);
  y->aux = arg;
  int64_t planes = (int64_t)x->ne[0] * x->ne[1];
  for (int64_t p = 0; p < planes; p++) {
    const float *xp = x->data + p * H * W;
    float *yp = y->data + p * OH * OW;
    int32_t *ap = arg + p * OH * OW;
    for (int oy = 0; oy < OH; oy++)
      for (int ox = 0; ox < OW; ox++) {
        float best = -FLT_MAX;
        int where = -1;
        for (int ki = 0; ki < size; ki++) {
          int iy = oy * stride - pt + ki;
          if (iy < 0 || iy >= H) continue;
          for (int kj = 0; kj < size; kj++) {
            int ix = ox * stride - pl + kj;
            if (ix < 0 || ix >= W) continue;
            float v = xp[iy * W + ix];
            if (where < 0 || v > best || (v != v && best == best)) { /* the first NaN wins, as in PyTorch */
              best = v;
              where = iy * W + ix;
            }
          }
        }
        yp[oy * OW + ox] = best;
        ap[oy * OW + ox] = where;
      }
  }
  return y;
}

void nn_maxpool_backward(nn_ctx *ctx, tensor *y) {
  tensor *x = y->src[0];
  if (!x->requires_grad) return;
  float *dx = nn_grad(ctx, x);
  const int32_t *arg = y->aux;
  int64_t planes = (int64_t)x->ne[0] * x->ne[1], in = (int64_t)x->ne[2] * x->ne[3], out = (int64_t)y->ne[2] * y->ne[3];
  for (int64_t p = 0; p < planes; p++)
    for (int64_t o = 0; o < out; o++) dx[p * in + arg[p * out + o]] += y->grad[p * out + o];
}

/* number of real (unpadded) positions under window (oy, ox) */
static int window_count(const tensor *y, int H, int W, int oy, int ox) {
  int size = y->ip[0], stride = y->ip[1], pt = y->ip[2], pl = y->ip[3];
  int y0 = oy * stride - pt, x0 = ox * stride - pl;
  int y1 = y0 + size, x1 = x0 + size;
  if (y0 < 0) y0 = 0;
  if (x0 < 0) x0 = 0;
  if (y1 > H) y1 = H;
  if (x1 > W) x1 = W;
  return (y1 - y0) * (x1 - x0);
}

tensor *nn_avgpool(nn_ctx *ctx, tensor *x, int size, int stride) {
  tensor *y = pool_output(ctx, NN_AVGPOOL, x, size, stride);
  if (!y) return NULL;
  int H = x->ne[2], W = x->ne[3], OH = y->ne[2], OW = y->ne[3], pt = y->ip[2], pl = y->ip[3];
  int64_t planes = (int64_t)x->ne[0] * x->ne[1];
  for (int64_t p = 0; p < planes; p++) {
    const float *xp = x->data + p * H * W;
    float *yp = y->data + p * OH * OW;
    for (int oy = 0; oy < OH; oy++)
      for (int ox = 0; ox < OW; ox++) {
        float s = 0;
        for (int ki = 0; ki < size; ki++) {
          int iy = oy * stride - pt + ki;
          if (iy < 0 || iy >= H) continue;
          for (int kj = 0; kj < size; kj++) {
            int ix = ox * stride - pl + kj;
            if (ix >= 0 && ix < W) s += xp[iy * W + ix];
          }
        }
        yp[oy * OW + ox] = s / (float)window_count(y, H, W, oy, ox);
      }
  }
  return y;
}

void nn_avgpool_backward(nn_ctx *ctx, tensor *y) {
  tensor *x = y->src[0];
  if (!x->requires_grad) return;
  float *dx = nn_grad(ctx, x);
  int H = x->ne[2], W = x->ne[3], OH = y->ne[2], OW = y->ne[3];
  int size = y->ip[0], stride = y->ip[1], pt = y->ip[2], pl = y->ip[3];
  int64_t planes = (int64_t)x->ne[0] * x->ne[1];
  for (int64_t p = 0; p < planes; p++) {
    float *dxp = dx + p * H * W;
    const float *dyp = y->grad + p * OH * OW;
    for (int oy = 0; oy < OH; oy++)
      for (int ox = 0; ox < OW; ox++) {
        float g = dyp[oy * OW + ox] / (float)window_count(y, H, W, oy, ox);
        for (int ki = 0; ki < size; ki++) {
          int iy = oy * stride - pt + ki;
          if (iy < 0 || iy >= H) continue;
          for (int kj = 0; kj < size; kj++) {
            int ix = ox * stride - pl + kj;
            if (ix >= 0 && ix < W) dxp[iy * W + ix] += g;
          }
        }
      }
  }
}

tensor *nn_global_avgpool(nn_ctx *ctx, tensor *x) {
  if (!x) return NULL;
  if (x->ndim != 4) return nn_fail(ctx, "global_avgpool needs a [N, C, H, W] map, not %s", nn_shape_text(ctx, x));
  int ne[4] = {x->ne[0], x->ne[1], 1, 1};
  tensor *y = nn_op_output(ctx, NN_GLOBAL_AVGPOOL, 4, ne, &x, 1);
  if (!y) return NULL;
  int64_t hw = (int64_t)x->ne[2] * x->ne[3];
  for (int64_t p = 0; p < y->n; p++) {
    double s = 0;
    for (int64_t k = 0; k < hw; k++) s += x->data[p * hw + k];
    y->data[p] = (float)(s / (double)hw);
  }
  return y;
}

void nn_global_avgpool_backward(nn_ctx *ctx, tensor *y) {
  tensor *x = y->src[0];
  if (!x->requires_grad) return;
  float *dx = nn_grad(ctx, x);
  int64_t hw = (int64_t)x->ne[2] * x->ne[3];
  for (int64_t p = 0; p < y->n; p++) {
    float g = y->grad[p] / (float)hw;
    for (int64_t k = 0; k < hw; k++) dx[p * hw + k] += g;
  }
}

/* ---- registry entries (registry.h) ---- */

static const char *const pool_params[] = {"size", "stride", NULL};
static const nn_op maxpool_kernels[] = {NN_MAXPOOL, NN_LEAF};
static const nn_op avgpool_kernels[] = {NN_AVGPOOL, NN_LEAF};
static const nn_op global_avgpool_kernels[] = {NN_GLOBAL_AVGPOOL, NN_LEAF};

/* k: size, stride */
static int pool_resolve(stdlib_node *n, stdlib_shape *s, stdlib_build *b, strbuf *err) {
  (void)err;
  int size = stdlib_int_arg(n, "size", 2), st = stdlib_int_arg(n, "stride", 2);
  n->k[0] = size, n->k[1] = st;
  s->h = (s->h + st - 1) / st;
  s->w = (s->w + st - 1) / st;
  b->flops += (int64_t)size * size * s->c * s->h * s->w;
  return 0;
}

static tensor *maxpool_forward(nn_ctx *ctx, const stdlib_node *n, tensor *const *in) {
  return nn_maxpool(ctx, in[0], n->k[0], n->k[1]);
}

static tensor *avgpool_forward(nn_ctx *ctx, const stdlib_node *n, tensor *const *in) {
  return nn_avgpool(ctx, in[0], n->k[0], n->k[1]);
}

static void pool_label(const stdlib_node *n, strbuf *out) {
  strbuf_printf(out, "%s %dx%d /%d", n->op->name, n->k[0], n->k[0], n->k[1]);
}

static int global_avgpool_resolve(stdlib_node *n, stdlib_shape *s, stdlib_build *b, strbuf *err) {
  (void)n, (void)err;
  b->flops += (int64_t)s->c * s->h * s->w;
  s->h = s->w = 1;
  return 0;
}

static tensor *global_avgpool_forward(nn_ctx *ctx, const stdlib_node *n, tensor *const *in) {
  (void)n;
  return nn_global_avgpool(ctx, in[0]);
}

const stdlib_op stdlib_op_maxpool = {"maxpool", OP_ROLE_LAYER, pool_params, maxpool_kernels, pool_resolve,
                                     maxpool_forward, NULL, pool_label, NULL};
const stdlib_op stdlib_op_avgpool = {"avgpool", OP_ROLE_LAYER, pool_params, avgpool_kernels, pool_resolve,
                                     avgpool_forward, NULL, pool_label, NULL};
const stdlib_op stdlib_op_global_avgpool = {"global_avgpool", OP_ROLE_LAYER, NULL, global_avgpool_kernels,
                                            global_avgpool_resolve, global_avgpool_forward, NULL, NULL, NULL};

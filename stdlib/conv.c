/* conv.c: 2-D convolution as im2col + GEMM (nn_gemm), split over images.
 *
 * For image i, the patches of x form a matrix col [C*kh*kw, OH*OW]; the output
 * is W [F, C*kh*kw] times col, written straight into NCHW. Backward rebuilds
 * col (cheaper than keeping it), computes dW += dY col^T per thread (summed at
 * the end) and dcol = W^T dY, which col2im adds back into dx. A 1x1 stride-1
 * convolution uses x itself as col. In evaluation a following relu can be
 * applied in the same pass as the bias (nn_conv2d_relu), while the image's
 * output is still in cache. */
#include <string.h>

#include "nn/gemm.h"
#include "nn/parallel.h"
#include "stdlib/kernels.h"
#include "stdlib/registry.h"

int nn_same_out(int in, int k, int stride, int *pad_before) {
  int out = (in + stride - 1) / stride;
  int total = (out - 1) * stride + k - in;
  if (total < 0) total = 0;
  *pad_before = total / 2;
  return out;
}

typedef struct conv_geom {
  int N, C, H, W, F, kh, kw, stride, pt, pl, OH, OW, K, P;
} conv_geom;

static void geom_of(const tensor *out, conv_geom *g) {
  const tensor *x = out->src[0], *w = out->src[1];
  g->N = x->ne[0];
  g->C = x->ne[1];
  g->H = x->ne[2];
  g->W = x->ne[3];
  g->F = w->ne[0];
  g->kh = w->ne[2];
  g->kw = w->ne[3];
  g->stride = out->ip[0];
  g->pt = out->ip[1];
  g->pl = out->ip[2];
  g->OH = out->ne[2];
  g->OW = out->ne[3];
  g->K = g->C * g->kh * g->kw;
  g->P = g->OH * g->OW;
}

static int direct(const conv_geom *g) { return g->kh == 1 && g->kw == 1 && g->stride == 1; }

static void im2col(const conv_geom *g, const float *x, float *col) {
  for (int c = 0; c < g->C; c++)
    for (int ki = 0; ki < g->kh; ki++)
      for (int kj = 0; kj < g->kw; kj++) {
        float *row = col + (size_t)((c * g->kh + ki) * g->kw + kj) * g->P;
        const float *xc = x + (size_t)c * g->H * g->W;
        for (int oy = 0; oy < g->OH; oy++) {
          int iy = oy * g->stride - g->pt + ki;
          float *r = row + oy * g->OW;
          if (iy < 0 || iy >= g->H) {
            memset(r, 0, sizeof(float) * (size_t)g->OW);
            continue;
          }
          const float *xr = xc + (size_t)iy * g->W;
          if (g->stride == 1) {
            int ix0 = -g->pl + kj; /* ix = ox + ix0 */
            int lo = ix0 < 0 ? -ix0 : 0, hi = g->W - ix0 < g->OW ? g->W - ix0 : g->OW;
            if (hi < lo) hi = lo;
            memset(r, 0, sizeof(float) * (size_t)lo);
            memcpy(r + lo, xr + lo + ix0, sizeof(float) * (size_t)(hi - lo));
            memset(r + hi, 0, sizeof(float) * (size_t)(g->OW - hi));
          } else {
            for (int ox = 0; ox < g->OW; ox++) {
              int ix = ox * g->stride - g->pl + kj;
              r[ox] = (ix >= 0 && ix < g->W) ? xr[ix] : 0.0f;
            }
          }
        }
      }
}

static void col2im(const conv_geom *g, const float *col, float *dx) {
  for (int c = 0; c < g->C; c++)
    for (int ki = 0; ki < g->kh; ki++)
      for (int kj = 0; kj < g->kw; kj++) {
        const float *row = col + (size_t)((c * g->kh + ki) * g->kw + kj) * g->P;
        float *dc = dx + (size_t)c * g->H * g->W;
        for (int oy = 0; oy < g->OH; oy++) {
          int iy = oy * g->stride - g->pt + ki;
          if (iy < 0 || iy >= g->H) continue;
          const float *r = row + oy * g->OW;
          float *dr = dc + (size_t)iy * g->W;
          if (g->stride == 1) { /* ix = ox + ix0 over the columns that land inside */
            int ix0 = -g->pl + kj;
            int lo = ix0 < 0 ? -ix0 : 0, hi = g->W - ix0 < g->OW ? g->W - ix0 : g->OW;
            for (int ox = lo; ox < hi; ox++) dr[ox + ix0] += r[ox];
            continue;
          }
          for (int ox = 0; ox < g->OW; ox++) {
            int ix = ox * g->stride - g->pl + kj;
            if (ix >= 0 && ix < g->W) dr[ix] += r[ox];
          }
        }
      }
}

typedef struct conv_task {
  conv_geom g;
  const float *x, *w, *b, *dy;
  float *y, *dx;
  float **col;   /* per thread: K * P floats */
  float **dcol;  /* per thread (backward) */
  float **dw;    /* per thread (backward): F * K floats, thread 0 writes the real grad */
  float **db;    /* per thread (backward): F floats */
  int relu;      /* forward: clamp the output at 0 (nn_conv2d_relu) */
} conv_task;

static void forward_part(void *arg, int ith, int nth) {
  conv_task *t = arg;
  const conv_geom *g = &t->g;
  int i0, i1;
  nn_split(g->N, ith, nth, &i0, &i1);
  for (int i = i0; i < i1; i++) {
    const float *xi = t->x + (size_t)i * g->C * g->H * g->W;
    float *yi = t->y + (size_t)i * g->F * g->P;
    const float *col = xi;
    if (!direct(g)) {
      im2col(g, xi, t->col[ith]);
      col = t->col[ith];
    }
    nn_gemm(0, 0, g->F, g->P, g->K, 1.0f, t->w, g->K, col, g->P, 0.0f, yi, g->P);
    if (t->b || t->relu)
      for (int f = 0; f < g->F; f++) {
        float bf = t->b ? t->b[f] : 0, *restrict yr = yi + (size_t)f * g->P;
        if (t->relu)
          for (int p = 0; p < g->P; p++) {
            float v = yr[p] + bf;
            yr[p] = v < 0 ? 0.0f : v; /* a NaN passes, as in nn_relu */
          }
        else
          for (int p = 0; p < g->P; p++) yr[p] += bf;
      }
  }
}

static tensor *conv_forward(nn_ctx *ctx, tensor *x, tensor *w, tensor *b, int stride, int relu) {
  if (!x || !w) return NULL;
  if (x->ndim != 4 || w->ndim != 4)
    return nn_fail(ctx, "conv2d needs a [N, C, H, W] map and [F, C, kh, kw] weights, not %s and %s",
                   nn_shape_text(ctx, x), nn_shape_text(ctx, w));
  if (w->ne[1] != x->ne[1])
    return nn_fail(ctx, "conv2d weights %s expect %d input channels, the map %s has %d", nn_shape_text(ctx, w),
                   w->ne[1], nn_shape_text(ctx, x), x->ne[1]);
  if (b && (b->ndim != 1 || b->ne[0] != w->ne[0]))
    return nn_fail(ctx, "conv2d bias %s does not match %d filters", nn_shape_text(ctx, b), w->ne[0]);
  if (stride < 1) return nn_fail(ctx, "conv2d stride must be positive, not %d", stride);
  int pt, pl;
  int oh = nn_same_out(x->ne[2], w->ne[2], stride, &pt), ow = nn_same_out(x->ne[3], w->ne[3], stride, &pl);
  int ne[4] = {x->ne[0], w->ne[0], oh, ow};
  tensor *src[3] = {x, w, b};
  tensor *y = nn_op_output(ctx, NN_CONV2D, 4, ne, src, b ? 3 : 2);
  if (!y) return NULL;
  y->ip[0] = stride;
  y->ip[1] = pt;
  y->ip[2] = pl;
  conv_task t = {0};
  geom_of(y, &t.g);
  t.x = x->data;
  t.w = w->data;
  t.b = b ? b->data : NULL;
  t.y = y->data;
  t.relu = relu;
  int nth = ctx->nthreads < t.g.N ? ctx->nthreads : t.g.N;
  float *cols[64];
  t.col = cols;
  size_t kp = (size_t)t.g.K * t.g.P;
  float *scratch = direct(&t.g) ? NULL : nn_scratch(ctx, kp * (size_t)nth);
  for (int i = 0; i < nth; i++) cols[i] = scratch ? scratch + kp * (size_t)i : NULL;
  nn_parallel(nth, forward_part, &t);
  return y;
}

tensor *nn_conv2d(nn_ctx *ctx, tensor *x, tensor *w, tensor *b, int stride) {
  return conv_forward(ctx, x, w, b, stride, 0);
}

tensor *nn_conv2d_relu(nn_ctx *ctx, tensor *x, tensor *w, tensor *b, int stride) {
  if (ctx->record && ((x && x->requires_grad) || (w && w->requires_grad) || (b && b->requires_grad)))
    return nn_fail(ctx, "conv2d with relu has no backward; it is for evaluation without a tape");
  return conv_forward(ctx, x, w, b, stride, 1);
}

static void backward_part(void *arg, int ith, int nth) {
  conv_task *t = arg;
  const conv_geom *g = &t->g;
  int i0, i1;
  nn_split(g->N, ith, nth, &i0, &i1);
  for (int i = i0; i < i1; i++) {
    const float *xi = t->x + (size_t)i * g->C * g->H * g->W;
    const float *dyi = t->dy + (size_t)i * g->F * g->P;
    const float *col = xi;
    if (t->dw[ith]) {
      if (!direct(g)) {
        im2col(g, xi, t->col[ith]);
        col = t->col[ith];
      }
      nn_gemm(0, 1, g->F, g->K, g->P, 1.0f, dyi, g->P, col, g->P, 1.0f, t->dw[ith], g->K);
    }
    if (t->db[ith])
      for (int f = 0; f < g->F; f++) {
        const float *r = dyi + (size_t)f * g->P;
        float s = 0;
        for (int p = 0; p < g->P; p++) s += r[p];
        t->db[ith][f] += s;
      }
    if (t->dx) {
      float *dxi = t->dx + (size_t)i * g->C * g->H * g->W;
      if (direct(g)) {
        nn_gemm(1, 0, g->K, g->P, g->F, 1.0f, t->w, g->K, dyi, g->P, 1.0f, dxi, g->P);
      } else {
        nn_gemm(1, 0, g->K, g->P, g->F, 1.0f, t->w, g->K, dyi, g->P, 0.0f, t->dcol[ith], g->P);
        col2im(g, t->dcol[ith], dxi);
      }
    }
  }
}

void nn_conv2d_backward(nn_ctx *ctx, tensor *out) {
  tensor *x = out->src[0], *w = out->src[1], *b = out->nsrc > 2 ? out->src[2] : NULL;
  conv_task t = {0};
  geom_of(out, &t.g);
  t.x = x->data;
  t.w = w->data;
  t.dy = out->grad;
  t.dx = x->requires_grad ? nn_grad(ctx, x) : NULL;
  int nth = ctx->nthreads < t.g.N ? ctx->nthreads : t.g.N;
  float *cols[64], *dcols[64], *dws[64], *dbs[64];
  t.col = cols;
  t.dcol = dcols;
  t.dw = dws;
  t.db = dbs;
  size_t kp = (size_t)t.g.K * t.g.P;
  float *scratch = direct(&t.g) ? NULL : nn_scratch(ctx, 2 * kp * (size_t)nth);
  for (int i = 0; i < nth; i++) {
    cols[i] = !scratch || !w->requires_grad ? NULL : scratch + 2 * kp * (size_t)i;
    dcols[i] = !scratch || !t.dx ? NULL : scratch + 2 * kp * (size_t)i + kp;
    dws[i] = !w->requires_grad ? NULL : i == 0 ? nn_grad(ctx, w) : arena_alloc(&ctx->mem, sizeof(float) * (size_t)w->n);
    dbs[i] = !(b && b->requires_grad) ? NULL : i == 0 ? nn_grad(ctx, b) : arena_alloc(&ctx->mem, sizeof(float) * (size_t)b->n);
  }
  nn_parallel(nth, backward_part, &t);
  for (int i = 1; i < nth; i++) {
    if (dws[i])
      for (int64_t k = 0; k < w->n; k++) dws[0][k] += dws[i][k];
    if (dbs[i])
      for (int64_t k = 0; k < b->n; k++) dbs[0][k] += dbs[i][k];
  }
}

/* ---- registry entry (registry.h) ---- */

static const char *const conv2d_params[] = {"height", "width", "filters", "stride", "bias", NULL};
static const nn_op conv2d_kernels[] = {NN_CONV2D, NN_LEAF};

/* k: height, width, filters, stride; w: weight [F, C, kh, kw], bias [F] */
static int conv2d_resolve(stdlib_node *n, stdlib_shape *s, stdlib_build *b, strbuf *err) {
  (void)err;
  int kh = stdlib_int_arg(n, "height", 3), kw = stdlib_int_arg(n, "width", 3), f = stdlib_int_arg(n, "filters", 32);
  int st = stdlib_int_arg(n, "stride", 1), bias = stdlib_int_arg(n, "bias", 0);
  n->k[0] = kh, n->k[1] = kw, n->k[2] = f, n->k[3] = st;
  int oh = (s->h + st - 1) / st, ow = (s->w + st - 1) / st;
  b->nparams += (int64_t)f * s->c * kh * kw + (bias ? f : 0);
  b->flops += 2LL * f * s->c * kh * kw * oh * ow;
  int ne[4] = {f, s->c, kh, kw};
  tensor *w = stdlib_weight(n, b, "weight", 4, ne);
  if (w) nn_init_he(w, b->rng, s->c * kh * kw);
  if (bias) stdlib_weight(n, b, "bias", 1, &f);
  s->c = f, s->h = oh, s->w = ow;
  return 0;
}

static tensor *conv2d_forward(nn_ctx *ctx, const stdlib_node *n, tensor *const *in) {
  return nn_conv2d(ctx, in[0], n->w[0], n->nw > 1 ? n->w[1] : NULL, n->k[3]);
}

static void conv2d_label(const stdlib_node *n, strbuf *out) {
  strbuf_printf(out, "conv %dx%d, %d", n->k[0], n->k[1], n->k[2]);
  if (n->k[3] > 1) strbuf_printf(out, " /%d", n->k[3]);
}

const stdlib_op stdlib_op_conv2d = {"conv2d", OP_ROLE_LAYER, conv2d_params, conv2d_kernels, conv2d_resolve,
                                    conv2d_forward, NULL, conv2d_label, NULL};

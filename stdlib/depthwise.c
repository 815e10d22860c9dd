/* depthwise.c: depthwise 2-D convolution over NCHW maps: one k x k filter
 * per channel, no mixing between channels (PyTorch's groups = channels),
 * with a dilation, "same" padding (the output is ceil(H / stride) by
 * ceil(W / stride), the padding worked out for the dilated kernel) and no
 * bias. The building block of separable and dilated convolutions (the
 * sep_conv and dil_conv edges of DAG cells).
 *
 * Direct loops, split over threads by plane (image, channel) for the
 * output and the input gradient, and by channel for the weight gradient,
 * so every value is summed in one fixed order whatever the thread count. */
#include "stdlib/kernels.h"
#include "nn/parallel.h"
#include "stdlib/registry.h"

typedef struct dw_geom {
  int N, C, H, W, OH, OW, k, stride, dil, pt, pl;
} dw_geom;

static void geom_of(const tensor *y, dw_geom *g) {
  const tensor *x = y->src[0];
  g->N = x->ne[0], g->C = x->ne[1], g->H = x->ne[2], g->W = x->ne[3];
  g->OH = y->ne[2], g->OW = y->ne[3];
  g->k = y->ip[0], g->stride = y->ip[1], g->dil = y->ip[2], g->pt = y->ip[3], g->pl = y->ip[4];
}

typedef struct dw_task {
  dw_geom g;
  const float *x, *w, *dy;
  float *y, *dx, *dw;
  int fresh; /* dx / dw just allocated: written, not added to */
} dw_task;

static void forward_part(void *arg, int ith, int nth) {
  dw_task *t = arg;
  const dw_geom *g = &t->g;
  int b, e;
  nn_split(g->N * g->C, ith, nth, &b, &e);
  for (int p = b; p < e; p++) {
    const float *xp = t->x + (int64_t)p * g->H * g->W, *wp = t->w + (int64_t)(p % g->C) * g->k * g->k;
    float *yp = t->y + (int64_t)p * g->OH * g->OW;
    for (int oy = 0; oy < g->OH; oy++)
      for (int ox = 0; ox < g->OW; ox++) {
        float s = 0;
        for (int ki = 0; ki < g->k; ki++) {
          int iy = oy * g->stride - g->pt + ki * g->dil;
          if (iy < 0 || iy >= g->H) continue;
          for (int kj = 0; kj < g->k; kj++) {
            int ix = ox * g->stride - g->pl + kj * g->dil;
            if (ix >= 0 && ix < g->W) s += xp[iy * g->W + ix] * wp[ki * g->k + kj];
          }
        }
        yp[oy * g->OW + ox] = s;
      }
  }
}

static int threads_for(const nn_ctx *ctx, const dw_geom *g) {
  return (int64_t)g->N * g->C * g->OH * g->OW * g->k * g->k < 200000 ? 1 : ctx->nthreads;
}

tensor *nn_dwconv2d(nn_ctx *ctx, tensor *x, tensor *w, int stride, int dilation) {
  if (!x || !w) return NULL;
  if (x->ndim != 4) return nn_fail(ctx, "dwconv2d needs a [N, C, H, W] map, not %s", nn_shape_text(ctx, x));
  if (w->ndim != 4 || w->ne[0] != x->ne[1] || w->ne[1] != 1 || w->ne[2] != w->ne[3])
    return nn_fail(ctx, "dwconv2d weights %s do not fit a map of %d channels", nn_shape_text(ctx, w), x->ne[1]);
  if (stride < 1 || dilation < 1) return nn_fail(ctx, "dwconv2d stride and dilation must be positive");
  int k = w->ne[2], span = (k - 1) * dilation + 1, pt, pl;
  int oh = nn_same_out(x->ne[2], span, stride, &pt), ow = nn_same_out(x->ne[3], span, stride, &pl);
  int ne[4] = {x->ne[0], x->ne[1], oh, ow};
  tensor *src[2] = {x, w};
  tensor *y = nn_op_output(ctx, NN_DWCONV2D, 4, ne, src, 2);
  if (!y) return NULL;
  y->ip[0] = k, y->ip[1] = stride, y->ip[2] = dilation, y->ip[3] = pt, y->ip[4] = pl;
  dw_task t = {.x = x->data, .w = w->data, .y = y->data};
  geom_of(y, &t.g);
  nn_parallel(threads_for(ctx, &t.g), forward_part, &t);
  return y;
}

static void input_grad_part(void *arg, int ith, int nth) {
  dw_task *t = arg;
  const dw_geom *g = &t->g;
  int b, e;
  nn_split(g->N * g->C, ith, nth, &b, &e);
  for (int p = b; p < e; p++) {
    float *dxp = t->dx + (int64_t)p * g->H * g->W;
    const float *wp = t->w + (int64_t)(p % g->C) * g->k * g->k, *dyp = t->dy + (int64_t)p * g->OH * g->OW;
    if (t->fresh)
      for (int i = 0; i < g->H * g->W; i++) dxp[i] = 0;
    for (int oy = 0; oy < g->OH; oy++)
      for (int ox = 0; ox < g->OW; ox++) {
        float d = dyp[oy * g->OW + ox];
        for (int ki = 0; ki < g->k; ki++) {
          int iy = oy * g->stride - g->pt + ki * g->dil;
          if (iy < 0 || iy >= g->H) continue;
          for (int kj = 0; kj < g->k; kj++) {
            int ix = ox * g->stride - g->pl + kj * g->dil;
            if (ix >= 0 && ix < g->W) dxp[iy * g->W + ix] += d * wp[ki * g->k + kj];
          }
        }
      }
  }
}

static void weight_grad_part(void *arg, int ith, int nth) {
  dw_task *t = arg;
  const dw_geom *g = &t->g;
  int b, e;
  nn_split(g->C, ith, nth, &b, &e);
  for (int c = b; c < e; c++) {
    float *dwp = t->dw + (int64_t)c * g->k * g->k;
    for (int ki = 0; ki < g->k; ki++)
      for (int kj = 0; kj < g->k; kj++) {
        float s = 0;
        for (int n = 0; n < g->N; n++) {
          const float *xp = t->x + ((int64_t)n * g->C + c) * g->H * g->W;
          const float *dyp = t->dy + ((int64_t)n * g->C + c) * g->OH * g->OW;
          for (int oy = 0; oy < g->OH; oy++) {
            int iy = oy * g->stride - g->pt + ki * g->dil;
            if (iy < 0 || iy >= g->H) continue;
            for (int ox = 0; ox < g->OW; ox++) {
              int ix = ox * g->stride - g->pl + kj * g->dil;
              if (ix >= 0 && ix < g->W) s += dyp[oy * g->OW + ox] * xp[iy * g->W + ix];
            }
          }
        }
        if (t->fresh) dwp[ki * g->k + kj] = s;
        else dwp[ki * g->k + kj] += s;
      }
  }
}

void nn_dwconv2d_backward(nn_ctx *ctx, tensor *y) {
  tensor *x = y->src[0], *w = y->src[1];
  dw_task t = {.x = x->data, .w = w->data, .dy = y->grad};
  geom_of(y, &t.g);
  int nth = threads_for(ctx, &t.g);
  if (x->requires_grad) {
    t.dx = nn_grad_fresh(ctx, x, &t.fresh);
    nn_parallel(nth, input_grad_part, &t);
  }
  if (w->requires_grad) {
    t.dw = nn_grad_fresh(ctx, w, &t.fresh);
    nn_parallel(nth, weight_grad_part, &t);
  }
}

/* ---- registry entry (registry.h) ---- */

static const char *const dwconv2d_params[] = {"size", "stride", "dilation", NULL};
static const nn_op dwconv2d_kernels[] = {NN_DWCONV2D, NN_LEAF};

/* k: size, stride, dilation; w: weight [C, 1, k, k] */
static int dwconv2d_resolve(stdlib_node *n, stdlib_shape *s, stdlib_build *b, strbuf *err) {
  (void)err;
  int k = stdlib_int_arg(n, "size", 3), st = stdlib_int_arg(n, "stride", 1), dil = stdlib_int_arg(n, "dilation", 1);
  n->k[0] = k, n->k[1] = st, n->k[2] = dil;
  int oh = (s->h + st - 1) / st, ow = (s->w + st - 1) / st;
  b->nparams += (int64_t)s->c * k * k;
  b->flops += 2LL * s->c * k * k * oh * ow;
  int ne[4] = {s->c, 1, k, k};
  tensor *w = stdlib_weight(n, b, "weight", 4, ne);
  if (w) nn_init_he(w, b->rng, k * k);
  s->h = oh, s->w = ow;
  return 0;
}

static tensor *dwconv2d_forward(nn_ctx *ctx, const stdlib_node *n, tensor *const *in) {
  return nn_dwconv2d(ctx, in[0], n->w[0], n->k[1], n->k[2]);
}

static void dwconv2d_label(const stdlib_node *n, strbuf *out) {
  strbuf_printf(out, "dw %dx%d", n->k[0], n->k[0]);
  if (n->k[2] > 1) strbuf_printf(out, " d%d", n->k[2]);
  if (n->k[1] > 1) strbuf_printf(out, " /%d", n->k[1]);
}

const stdlib_op stdlib_op_dwconv2d = {"dwconv2d", OP_ROLE_LAYER, dwconv2d_params, dwconv2d_kernels, dwconv2d_resolve,
                                      dwconv2d_forward, NULL, dwconv2d_label, NULL};

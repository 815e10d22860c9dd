/* sepconv.c: a depthwise-separable convolution (a k x k convolution of
 * each channel on its own, then a 1x1 convolution that mixes channels,
 * plus a bias) as a naslc plug-in with weights. Declared in plugins.nasl as
 *
 *   extern op sepconv(kernel: int in 1..7 = 3, filters: int in 1..512 = 16) : layer {
 *     library: "sepconv.so"; forward: "sepconv_forward"
 *     backward: "sepconv_backward"; shape: "sepconv_shape"
 *   }
 *
 * The shape function declares three weights, which naslc allocates,
 * initialises, trains and saves as layer.<i>.sepconv.depthwise [C, 1, k, k],
 * .pointwise [F, C, 1, 1] and .bias [F]. Padding is "same" (stride 1), as
 * for conv2d: an even kernel has one more row and column of padding at the
 * bottom and right.
 * Build: cc -shared -fPIC -O2 -I PREFIX/include -o sepconv.so sepconv.c */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <naslc/op.h>

#if NASLC_OP_ABI_VERSION != 1
#error "sepconv.c is written for version 1 of naslc/op.h"
#endif

static void weight(naslc_weight *w, const char *name, int ndim, const int64_t *size, naslc_init init,
                   int64_t fan_in, int64_t fan_out) {
  snprintf(w->name, NASLC_NAME_LEN, "%s", name);
  w->ndim = ndim;
  for (int i = 0; i < ndim; i++) w->size[i] = size[i];
  w->init = init;
  w->fan_in = fan_in;
  w->fan_out = fan_out;
}

int sepconv_shape(const naslc_tensor *in, naslc_tensor *out, naslc_weight *weights, int *nweights, int64_t kernel,
                  int64_t filters, char *msg) {
  if (in->ndim != 4) {
    snprintf(msg, NASLC_MSG_LEN, "sepconv takes maps [N, C, H, W], not %d-dimensional input", in->ndim);
    return NASLC_FAIL;
  }
  if (*nweights < 3) {
    snprintf(msg, NASLC_MSG_LEN, "sepconv needs room for 3 weights");
    return NASLC_FAIL;
  }
  int64_t c = in->size[1];
  *out = *in;
  out->size[1] = filters;
  int64_t dw[4] = {c, 1, kernel, kernel}, pw[4] = {filters, c, 1, 1}, b[1] = {filters};
  weight(&weights[0], "depthwise", 4, dw, NASLC_INIT_HE, kernel * kernel, kernel * kernel);
  weight(&weights[1], "pointwise", 4, pw, NASLC_INIT_HE, c, filters);
  weight(&weights[2], "bias", 1, b, NASLC_INIT_ZERO, 0, 0);
  *nweights = 3;
  return NASLC_OK;
}

/* Geometry of one call, and the depthwise result kept between passes. */
typedef struct geom {
  int64_t n, c, h, w, f, k, top, left;
} geom;

static int setup(geom *g, const naslc_tensor *in, const naslc_tensor *weights, int nweights, int64_t kernel,
                 int64_t filters, char *msg) {
  if (nweights != 3 || in->ndim != 4 || weights[0].size[2] != kernel || weights[1].size[0] != filters) {
    snprintf(msg, NASLC_MSG_LEN, "sepconv was given weights that its shape function did not declare");
    return NASLC_FAIL;
  }
  g->n = in->size[0], g->c = in->size[1], g->h = in->size[2], g->w = in->size[3];
  g->f = filters, g->k = kernel;
  g->top = (kernel - 1) / 2, g->left = (kernel - 1) / 2;
  return NASLC_OK;
}

/* The depthwise convolution of one example into mid [C, H, W]. */
static void depthwise(const geom *g, const float *x, const float *dw, float *mid) {
  for (int64_t c = 0; c < g->c; c++)
    for (int64_t i = 0; i < g->h; i++)
      for (int64_t j = 0; j < g->w; j++) {
        double s = 0;
        for (int64_t a = 0; a < g->k; a++) {
          int64_t y = i + a - g->top;
          if (y < 0 || y >= g->h) continue;
          for (int64_t b = 0; b < g->k; b++) {
            int64_t xx = j + b - g->left;
            if (xx < 0 || xx >= g->w) continue;
            s += (double)x[(c * g->h + y) * g->w + xx] * dw[(c * g->k + a) * g->k + b];
          }
        }
        mid[(c * g->h + i) * g->w + j] = (float)s;
      }
}

int sepconv_forward(const naslc_tensor *in, naslc_tensor *out, const naslc_tensor *weights, int nweights,
                    int64_t kernel, int64_t filters, char *msg) {
  geom g;
  if (setup(&g, in, weights, nweights, kernel, filters, msg)) return NASLC_FAIL;
  int64_t hw = g.h * g.w;
  float *mid = malloc(sizeof(float) * (size_t)(g.c * hw)); /* one example's depthwise result */
  if (!mid) {
    snprintf(msg, NASLC_MSG_LEN, "sepconv: out of memory");
    return NASLC_FAIL;
  }
  const float *pw = weights[1].data, *bias = weights[2].data;
  for (int64_t e = 0; e < g.n; e++) {
    depthwise(&g, in->data + e * g.c * hw, weights[0].data, mid);
    float *y = out->data + e * g.f * hw;
    for (int64_t f = 0; f < g.f; f++)
      for (int64_t p = 0; p < hw; p++) {
        double s = bias[f];
        for (int64_t c = 0; c < g.c; c++) s += (double)pw[f * g.c + c] * mid[c * hw + p];
        y[f * hw + p] = (float)s;
      }
  }
  free(mid);
  return NASLC_OK;
}

int sepconv_backward(const naslc_tensor *in, const naslc_tensor *out, const naslc_tensor *dout, naslc_tensor *din,
                     const naslc_tensor *weights, naslc_tensor *dweights, int nweights, int64_t kernel,
                     int64_t filters, char *msg) {
  (void)out;
  geom g;
  if (setup(&g, in, weights, nweights, kernel, filters, msg)) return NASLC_FAIL;
  int64_t hw = g.h * g.w;
  float *mid = malloc(sizeof(float) * (size_t)(2 * g.c * hw)), *dmid = mid + g.c * hw;
  if (!mid) {
    snprintf(msg, NASLC_MSG_LEN, "sepconv: out of memory");
    return NASLC_FAIL;
  }
  const float *dwt = weights[0].data, *pw = weights[1].data;
  float *ddw = dweights[0].data, *dpw = dweights[1].data, *db = dweights[2].data;
  for (int64_t e = 0; e < g.n; e++) {
    const float *x = in->data + e * g.c * hw, *dy = dout->data + e * g.f * hw;
    float *dx = din->data + e * g.c * hw;
    depthwise(&g, x, dwt, mid);
    memset(dmid, 0, sizeof(float) * (size_t)(g.c * hw));
    for (int64_t f = 0; f < g.f; f++)
      for (int64_t p = 0; p < hw; p++) {
        float d = dy[f * hw + p];
        db[f] += d;
        for (int64_t c = 0; c < g.c; c++) {
          dpw[f * g.c + c] += d * mid[c * hw + p];
          dmid[c * hw + p] += d * pw[f * g.c + c];
        }
      }
    for (int64_t c = 0; c < g.c; c++)
      for (int64_t i = 0; i < g.h; i++)
        for (int64_t j = 0; j < g.w; j++) {
          float d = dmid[(c * g.h + i) * g.w + j];
          for (int64_t a = 0; a < g.k; a++) {
            int64_t y = i + a - g.top;
            if (y < 0 || y >= g.h) continue;
            for (int64_t b = 0; b < g.k; b++) {
              int64_t xx = j + b - g.left;
              if (xx < 0 || xx >= g.w) continue;
              ddw[(c * g.k + a) * g.k + b] += d * x[(c * g.h + y) * g.w + xx];
              dx[(c * g.h + y) * g.w + xx] += d * dwt[(c * g.k + a) * g.k + b];
            }
          }
        }
  }
  free(mid);
  return NASLC_OK;
}

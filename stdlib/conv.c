/* conv.c: 2-D convolution as products with nn_gemm, split over images.
 *
 * For image i, the patches of x form a matrix col [C*kh*kw, OH*OW]; the
 * output is W [F, C*kh*kw] times col, written straight into NCHW, and the
 * weight gradient is dY col^T (per thread, summed at the end).
 *
 * On the own AVX-512 kernel col is never made: a packer writes its values
 * straight into the kernel's panels (nn_gemm_packed_b), at stride 1 from a
 * padded copy of the image, where each panel row is a few contiguous runs.
 * The input gradient of a stride-1 convolution is itself a stride-1
 * convolution: of dY, padded by kh - 1 - pt above and kw - 1 - pl on the
 * left, by the filters turned 180 degrees with F and C swapped (wflip), so
 * it goes through the same packer with no patch matrix and no col2im.
 *
 * Otherwise (strides above 1, or OpenBLAS), col is made a block of rows at
 * a time (block_rows), each block multiplied while it is still in cache,
 * and the input gradient is dcol[block, :] = W[:, block]^T dY, which col2im
 * adds back into dx. A 1x1 stride-1 convolution uses x itself as col. In
 * evaluation a following relu can be applied in the same pass as the bias
 * (nn_conv2d_relu), while the image's output is still in cache. */
#include <string.h>

#include "nn/dispatch.h"
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

/* The geometry of a convolution's output (ip: stride, pads, the input's H
 * and W; w: src[0] of a concatenated-input one, src[1] of a plain one). */
static void geom_of(const tensor *out, const tensor *w, conv_geom *g) {
  g->N = out->ne[0];
  g->C = w->ne[1];
  g->H = out->ip[3];
  g->W = out->ip[4];
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

/* Positions p0..p1 of row r of image x's patch matrix (row (c * kh + ki) *
 * kw + kj, one column per output position: the value x[c][iy][ix] under
 * tap (ki, kj) of the filter at that position, 0 in the padding) into out. */
NN_CLONES static void patch_row(const conv_geom *g, const float *x, int r, int p0, int p1, float *out) {
  int c = r / (g->kh * g->kw), ki = r / g->kw % g->kh, kj = r % g->kw;
  const float *xc = x + (size_t)c * g->H * g->W;
  int oy = p0 / g->OW, ox0 = p0 % g->OW;
  for (int p = p0; p < p1; oy++, ox0 = 0) {
    int ox1 = g->OW < ox0 + (p1 - p) ? g->OW : ox0 + (p1 - p); /* this output row's part: ox0..ox1 */
    float *o = out + (p - p0) - ox0;                            /* o[ox] */
    int iy = oy * g->stride - g->pt + ki;
    if (iy < 0 || iy >= g->H) {
      for (int ox = ox0; ox < ox1; ox++) o[ox] = 0.0f;
    } else if (g->stride == 1) {
      const float *xr = xc + (size_t)iy * g->W + kj - g->pl; /* xr[ox]: ix = ox + kj - pl */
      int lo = g->pl - kj, hi = g->W + g->pl - kj;          /* the ox that land inside */
      if (lo < ox0) lo = ox0;
      if (hi > ox1) hi = ox1;
      if (hi < lo) hi = lo;
      for (int ox = ox0; ox < lo; ox++) o[ox] = 0.0f;
      for (int ox = lo; ox < hi; ox++) o[ox] = xr[ox];
      for (int ox = hi > ox0 ? hi : ox0; ox < ox1; ox++) o[ox] = 0.0f;
    } else {
      const float *xr = xc + (size_t)iy * g->W;
      for (int ox = ox0; ox < ox1; ox++) {
        int ix = ox * g->stride - g->pl + kj;
        o[ox] = (ix >= 0 && ix < g->W) ? xr[ix] : 0.0f;
      }
    }
    p += ox1 - ox0;
  }
}

/* Rows r0..r1 of image x's patch matrix into col, row r at col + (r - r0) P. */
static void im2col(const conv_geom *g, const float *x, int r0, int r1, float *col) {
  for (int r = r0; r < r1; r++) patch_row(g, x, r, 0, g->P, col + (size_t)(r - r0) * g->P);
}

/* Stride 1: image x with its zero padding written out, xp [C, HP, WP] with
 * HP = OH + kh - 1 and WP = OW + kw - 1, so that patch row (c, ki, kj) at
 * output row oy is the plain run xp[c][oy + ki][kj .. kj + OW]. */
static size_t padded_floats(const conv_geom *g) {
  return g->stride == 1 ? (size_t)g->C * (g->OH + g->kh - 1) * (g->OW + g->kw - 1) : 0;
}

static void pad_image(const conv_geom *g, const float *x, float *xp) {
  int HP = g->OH + g->kh - 1, WP = g->OW + g->kw - 1;
  for (int c = 0; c < g->C; c++)
    for (int y = 0; y < HP; y++) {
      float *row = xp + ((size_t)c * HP + y) * WP;
      int iy = y - g->pt;
      if (iy < 0 || iy >= g->H) {
        memset(row, 0, sizeof(float) * (size_t)WP);
        continue;
      }
      memset(row, 0, sizeof(float) * (size_t)g->pl);
      memcpy(row + g->pl, x + ((size_t)c * g->H + iy) * g->W, sizeof(float) * (size_t)g->W);
      memset(row + g->pl + g->W, 0, sizeof(float) * (size_t)(WP - g->pl - g->W));
    }
}

/* patch_row from the padded image: one copy per output row. */
NN_CLONES static void padded_row(const conv_geom *g, const float *xp, int r, int p0, int p1, float *out) {
  int HP = g->OH + g->kh - 1, WP = g->OW + g->kw - 1;
  int c = r / (g->kh * g->kw), ki = r / g->kw % g->kh, kj = r % g->kw;
  const float *base = xp + ((size_t)c * HP + ki) * WP + kj; /* base[oy WP + ox] */
  int oy = p0 / g->OW, ox0 = p0 % g->OW;
  for (int p = p0; p < p1; oy++, ox0 = 0) {
    int n = g->OW - ox0 < p1 - p ? g->OW - ox0 : p1 - p;
    memcpy(out + (p - p0), base + (size_t)oy * WP + ox0, sizeof(float) * (size_t)n);
    p += n;
  }
}

/* The patch matrix of one image as a packer of nn_gemm_packed_b, written
 * straight into the kernel's panels: col itself (the forward product's B:
 * rows are patch rows, columns positions), or transposed (the weight
 * gradient's: rows are positions). tmp: one patch row, P floats; xp: the
 * padded image (stride 1) or NULL. */
typedef struct patches {
  const conv_geom *g;
  const float *x, *xp;
  float *tmp;
} patches;

static void row_of(const patches *s, int r, int p0, int p1) {
  if (s->xp)
    padded_row(s->g, s->xp, r, p0, p1, s->tmp);
  else
    patch_row(s->g, s->x, r, p0, p1, s->tmp);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define PACK_AVX512 1

/* The packers run only under nn_gemm_packed_b, that is on the own kernel,
 * on a CPU with AVX-512; from the padded image they copy runs of positions
 * with 512-bit loads and stores. A run: positions that are contiguous both
 * in the padded image (one output row) and in the destination. */
typedef struct run {
  int d, s, n; /* destination offset, offset in the padded map (oy WP + ox), length */
} run;

/* The runs of positions p0..p0+n (at most n of them). */
static int runs_of(const conv_geom *g, int p0, int n, run *out) {
  int WP = g->OW + g->kw - 1, k = 0, oy = p0 / g->OW, ox = p0 % g->OW;
  for (int d = 0; d < n; oy++, ox = 0) {
    int len = g->OW - ox < n - d ? g->OW - ox : n - d;
    out[k++] = (run){d, oy * WP + ox, len};
    d += len;
  }
  return k;
}

static __mmask16 first_lanes(int n) { return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1); }

__attribute__((target("avx512f"))) static inline void copy_run(float *d, const float *s, int n) {
  int i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(d + i, _mm512_loadu_ps(s + i));
  if (i < n) _mm512_mask_storeu_ps(d + i, first_lanes(n - i), _mm512_maskz_loadu_ps(first_lanes(n - i), s + i));
}

/* Where patch rows r0..r0+n start in the padded image, into off: row r's
 * value at position (oy, ox) is at xp + off[r - r0] + oy WP + ox. */
static void padded_offsets(const conv_geom *g, int r0, int n, size_t *off) {
  int HP = g->OH + g->kh - 1, WP = g->OW + g->kw - 1;
  int c = r0 / (g->kh * g->kw), ki = r0 / g->kw % g->kh, kj = r0 % g->kw;
  for (int i = 0; i < n; i++) {
    off[i] = ((size_t)c * HP + ki) * WP + kj;
    if (++kj == g->kw) {
      kj = 0;
      if (++ki == g->kh) ki = 0, c++;
    }
  }
}

/* pack_patches from the padded image: each panel row is a few runs. */
__attribute__((target("avx512f"))) static void pack_padded(const patches *s, int k0, int kc, int j0, int nc,
                                                           float *dst) {
  run runs[NN_GEMM_NR];
  size_t off[NN_GEMM_KC];
  padded_offsets(s->g, k0, kc, off);
  for (int q = 0; q * NN_GEMM_NR < nc; q++) {
    int nr = nc - q * NN_GEMM_NR < NN_GEMM_NR ? nc - q * NN_GEMM_NR : NN_GEMM_NR;
    int nrun = runs_of(s->g, j0 + q * NN_GEMM_NR, nr, runs);
    float *panel = dst + (size_t)q * kc * NN_GEMM_NR;
    for (int k = 0; k < kc; k++) {
      const float *base = s->xp + off[k];
      float *d = panel + (size_t)k * NN_GEMM_NR;
      if (nr < NN_GEMM_NR) {
        _mm512_store_ps(d, _mm512_setzero_ps());
        _mm512_store_ps(d + 16, _mm512_setzero_ps());
      }
      for (int u = 0; u < nrun; u++) copy_run(d + runs[u].d, base + runs[u].s, runs[u].n);
    }
  }
}

/* pack_patches_t from the padded image: NR patch rows at a time copied as
 * runs into s->tmp (row jj at tmp + jj ld), then made the panel's columns. */
static void pack_padded_t(const patches *s, int k0, int kc, int j0, int nc, float *dst) {
  run runs[NN_GEMM_KC];
  int nrun = runs_of(s->g, k0, kc, runs), ld = (kc + 15) / 16 * 16;
  size_t off[NN_GEMM_NR];
  for (int q = 0; q * NN_GEMM_NR < nc; q++) {
    int nr = nc - q * NN_GEMM_NR < NN_GEMM_NR ? nc - q * NN_GEMM_NR : NN_GEMM_NR;
    padded_offsets(s->g, j0 + q * NN_GEMM_NR, nr, off);
    for (int jj = 0; jj < nr; jj++)
      for (int u = 0; u < nrun; u++) copy_run(s->tmp + (size_t)jj * ld + runs[u].d, s->xp + off[jj] + runs[u].s, runs[u].n);
    nn_gemm_pack_columns(s->tmp, (size_t)ld, nr, kc, dst + (size_t)q * kc * NN_GEMM_NR);
  }
}
#endif

static void pack_patches(void *arg, int k0, int kc, int j0, int nc, float *dst) {
  const patches *s = arg;
#ifdef PACK_AVX512
  if (s->xp) {
    pack_padded(s, k0, kc, j0, nc, dst);
    return;
  }
#endif
  for (int k = 0; k < kc; k++) {
    row_of(s, k0 + k, j0, j0 + nc);
    for (int q = 0; q * NN_GEMM_NR < nc; q++) {
      float *d = dst + ((size_t)q * kc + k) * NN_GEMM_NR;
      int nr = nc - q * NN_GEMM_NR < NN_GEMM_NR ? nc - q * NN_GEMM_NR : NN_GEMM_NR;
      memcpy(d, s->tmp + q * NN_GEMM_NR, sizeof(float) * (size_t)nr);
      if (nr < NN_GEMM_NR) memset(d + nr, 0, sizeof(float) * (size_t)(NN_GEMM_NR - nr));
    }
  }
}

NN_CLONES static void pack_patches_t(void *arg, int k0, int kc, int j0, int nc, float *dst) {
  const patches *s = arg;
#ifdef PACK_AVX512
  if (s->xp) {
    pack_padded_t(s, k0, kc, j0, nc, dst);
    return;
  }
#endif
  int padded = (nc + NN_GEMM_NR - 1) / NN_GEMM_NR * NN_GEMM_NR;
  for (int j = 0; j < padded; j++) {
    float *d = dst + (size_t)(j / NN_GEMM_NR) * NN_GEMM_NR * kc + j % NN_GEMM_NR;
    if (j < nc) {
      row_of(s, j0 + j, k0, k0 + kc);
      for (int k = 0; k < kc; k++) d[(size_t)k * NN_GEMM_NR] = s->tmp[k];
    } else {
      for (int k = 0; k < kc; k++) d[(size_t)k * NN_GEMM_NR] = 0.0f;
    }
  }
}

/* Adds rows r0..r1 of a patch-matrix gradient (as im2col lays them out)
 * back into image dx. */
NN_CLONES static void col2im(const conv_geom *g, const float *col, int r0, int r1, float *dx) {
  for (int r = r0; r < r1; r++) {
    int c = r / (g->kh * g->kw), ki = r / g->kw % g->kh, kj = r % g->kw;
    const float *row = col + (size_t)(r - r0) * g->P;
    float *dc = dx + (size_t)c * g->H * g->W;
    for (int oy = 0; oy < g->OH; oy++) {
      int iy = oy * g->stride - g->pt + ki;
      if (iy < 0 || iy >= g->H) continue;
      const float *restrict rr = row + oy * g->OW;
      float *restrict dr = dc + (size_t)iy * g->W;
      if (g->stride == 1) { /* ix = ox + ix0 over the columns that land inside */
        int ix0 = -g->pl + kj;
        int lo = ix0 < 0 ? -ix0 : 0, hi = g->W - ix0 < g->OW ? g->W - ix0 : g->OW;
        for (int ox = lo; ox < hi; ox++) dr[ox + ix0] += rr[ox];
        continue;
      }
      for (int ox = 0; ox < g->OW; ox++) {
        int ix = ox * g->stride - g->pl + kj;
        if (ix >= 0 && ix < g->W) dr[ix] += rr[ox];
      }
    }
  }
}

/* Rows of the patch matrix made (and consumed) at a time: at most 1 MiB per
 * thread (and per direction in backward), whatever the layer. Smaller
 * blocks, made to stay in L2, were measured no faster on the reference
 * child (bench/README.md); the bound keeps the scratch of a layer with a
 * wide input (a concatenation of many maps under a large filter) small. */
/* The per-thread tmp buffer: a patch row, rounded up to 16 floats, then the
 * padded image. */
static size_t tmp_row_floats(const conv_geom *g) {
  size_t row = ((size_t)g->P + 15) / 16 * 16, block = (size_t)NN_GEMM_NR * NN_GEMM_KC; /* pack_padded_t's */
  return row > block ? row : block;
}
static size_t tmp_floats(const conv_geom *g) { return tmp_row_floats(g) + padded_floats(g); }

static int block_rows(const conv_geom *g) {
  int rows = 262144 / g->P;
  if (rows < 8) rows = 8;
  return rows < g->K ? rows : g->K;
}

typedef struct conv_task {
  conv_geom g;
  const float *x, *w, *b, *dy;
  float *y, *dx;
  float **col;   /* per thread: block_rows * P floats */
  float **dcol;  /* per thread (backward): as many */
  float **tmp;   /* per thread: one patch row (P floats), then the padded image (padded_floats) */
  float **dw;    /* per thread (backward): F * K floats, thread 0 writes the real grad */
  float **db;    /* per thread (backward): F floats */
  int relu;      /* forward: clamp the output at 0 (nn_conv2d_relu) */
  /* concatenated input (nn_conv2d_cat): the maps, joined one image at a
   * time into xcat[ith] (C x H x W, zeros where a map is smaller); backward
   * makes image i's input gradient in dxcat[ith] and adds each map's part
   * into dxs[k] (NULL: the map needs none) */
  int nin;
  tensor *const *in;
  float **xcat, **dxcat, **dxs;
  /* backward, stride 1 on the own kernel: the input gradient as a
   * convolution of dY (geometry gd) by wflip [C, F kh kw], W's filters
   * turned 180 degrees with F and C swapped; dtmp per thread: gd's patch
   * row, then the padded dY */
  conv_geom gd;
  float *wflip, **dtmp;
} conv_task;

/* Image i of the concatenated input, into xc [C, H, W]. */
static void join_image(const conv_task *t, int i, float *xc) {
  const conv_geom *g = &t->g;
  int c0 = 0;
  for (int k = 0; k < t->nin; k++) {
    const tensor *x = t->in[k];
    int Ci = x->ne[1], Hi = x->ne[2], Wi = x->ne[3];
    for (int c = 0; c < Ci; c++) {
      float *dst = xc + (size_t)(c0 + c) * g->H * g->W;
      const float *src = x->data + (((size_t)i * Ci + c) * Hi) * Wi;
      if (Hi == g->H && Wi == g->W) {
        memcpy(dst, src, sizeof(float) * (size_t)Hi * Wi);
        continue;
      }
      for (int y = 0; y < g->H; y++) {
        float *row = dst + (size_t)y * g->W;
        int n = y < Hi ? Wi : 0;
        if (n) memcpy(row, src + (size_t)y * Wi, sizeof(float) * (size_t)n);
        memset(row + n, 0, sizeof(float) * (size_t)(g->W - n));
      }
    }
    c0 += Ci;
  }
}

/* Adds image i's input gradient dxc [C, H, W] into the maps' gradients. */
NN_CLONES static void split_image(const conv_task *t, int i, const float *dxc) {
  const conv_geom *g = &t->g;
  int c0 = 0;
  for (int k = 0; k < t->nin; k++) {
    const tensor *x = t->in[k];
    int Ci = x->ne[1], Hi = x->ne[2], Wi = x->ne[3];
    if (t->dxs[k])
      for (int c = 0; c < Ci; c++)
        for (int y = 0; y < Hi; y++) {
          const float *restrict src = dxc + ((size_t)(c0 + c) * g->H + y) * g->W;
          float *restrict dst = t->dxs[k] + (((size_t)i * Ci + c) * Hi + y) * Wi;
          for (int xx = 0; xx < Wi; xx++) dst[xx] += src[xx];
        }
    c0 += Ci;
  }
}

static void forward_part(void *arg, int ith, int nth) {
  conv_task *t = arg;
  const conv_geom *g = &t->g;
  int i0, i1;
  nn_split(g->N, ith, nth, &i0, &i1);
  for (int i = i0; i < i1; i++) {
    const float *xi = t->x + (size_t)i * g->C * g->H * g->W;
    if (t->nin) {
      join_image(t, i, t->xcat[ith]);
      xi = t->xcat[ith];
    }
    float *yi = t->y + (size_t)i * g->F * g->P;
    if (direct(g)) {
      nn_gemm(0, 0, g->F, g->P, g->K, 1.0f, t->w, g->K, xi, g->P, 0.0f, yi, g->P);
    } else {
      patches src = {g, xi, NULL, t->tmp[ith]};
      if (g->stride == 1 && nn_gemm_has_own()) {
        src.xp = t->tmp[ith] + tmp_row_floats(g);
        pad_image(g, xi, (float *)src.xp);
      }
      if (nn_gemm_packed_b(0, g->F, g->P, g->K, 1.0f, t->w, g->K, pack_patches, &src, 0.0f, yi, g->P)) {
        int kb = block_rows(g); /* without the own kernel: the patch matrix in blocks */
        for (int r0 = 0; r0 < g->K; r0 += kb) { /* y (+)= W[:, r0..r1] col[r0..r1, :] */
          int r1 = r0 + kb < g->K ? r0 + kb : g->K;
          im2col(g, xi, r0, r1, t->col[ith]);
          nn_gemm(0, 0, g->F, g->P, r1 - r0, 1.0f, t->w + r0, g->K, t->col[ith], g->P, r0 ? 1.0f : 0.0f, yi, g->P);
        }
      }
    }
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

/* The convolution of the maps xs[0..n-1] joined along channels as
 * nn_concat joins them (n > 1: nothing joined is kept; n == 1: a plain
 * convolution of xs[0]). */
static tensor *conv_forward(nn_ctx *ctx, tensor *const *xs, int n, tensor *w, tensor *b, int stride, int relu) {
  if (!w || n < 1) return NULL;
  int N = 0, C = 0, H = 0, W = 0;
  for (int k = 0; k < n; k++) {
    if (!xs[k]) return NULL;
    if (xs[k]->ndim != 4 || w->ndim != 4)
      return nn_fail(ctx, "conv2d needs a [N, C, H, W] map and [F, C, kh, kw] weights, not %s and %s",
                     nn_shape_text(ctx, xs[k]), nn_shape_text(ctx, w));
    if (k && xs[k]->ne[0] != N) return nn_fail(ctx, "concat needs one batch size, not %d and %d", N, xs[k]->ne[0]);
    N = xs[k]->ne[0];
    C += xs[k]->ne[1];
    if (xs[k]->ne[2] > H) H = xs[k]->ne[2];
    if (xs[k]->ne[3] > W) W = xs[k]->ne[3];
  }
  if (w->ne[1] != C) {
    if (n == 1)
      return nn_fail(ctx, "conv2d weights %s expect %d input channels, the map %s has %d", nn_shape_text(ctx, w),
                     w->ne[1], nn_shape_text(ctx, xs[0]), C);
    return nn_fail(ctx, "conv2d weights %s expect %d input channels, the %d maps joined have %d", nn_shape_text(ctx, w),
                   w->ne[1], n, C);
  }
  if (b && (b->ndim != 1 || b->ne[0] != w->ne[0]))
    return nn_fail(ctx, "conv2d bias %s does not match %d filters", nn_shape_text(ctx, b), w->ne[0]);
  if (stride < 1) return nn_fail(ctx, "conv2d stride must be positive, not %d", stride);
  int pt, pl;
  int oh = nn_same_out(H, w->ne[2], stride, &pt), ow = nn_same_out(W, w->ne[3], stride, &pl);
  int ne[4] = {N, w->ne[0], oh, ow};
  tensor *y;
  conv_task t = {0};
  if (n == 1) {
    tensor *src[3] = {xs[0], w, b};
    y = nn_op_output(ctx, NN_CONV2D, 4, ne, src, b ? 3 : 2);
    if (!y) return NULL;
    t.x = xs[0]->data;
  } else {
    tensor *src[2] = {w, b};
    y = nn_op_output(ctx, NN_CONV2D_CAT, 4, ne, src, b ? 2 : 1);
    if (!y) return NULL;
    nn_list *l = nn_tape_list(ctx, y, xs, n); /* the tape must know about the maps too */
    y->aux = l;
    t.nin = n;
    t.in = l->xs;
  }
  y->ip[0] = stride;
  y->ip[1] = pt;
  y->ip[2] = pl;
  y->ip[3] = H;
  y->ip[4] = W;
  geom_of(y, w, &t.g);
  t.w = w->data;
  t.b = b ? b->data : NULL;
  t.y = y->data;
  t.relu = relu;
  int nth = ctx->nthreads < t.g.N ? ctx->nthreads : t.g.N;
  float *cols[64], *tmps[64], *xcat[64];
  t.col = cols;
  t.tmp = tmps;
  t.xcat = xcat;
  size_t img = (size_t)C * H * W;
  size_t kp = direct(&t.g) ? 0 : (size_t)block_rows(&t.g) * t.g.P, tp = direct(&t.g) ? 0 : tmp_floats(&t.g);
  size_t xp = n > 1 ? img : 0, per = kp + tp + xp;
  float *scratch = per ? nn_scratch(ctx, per * (size_t)nth) : NULL;
  for (int i = 0; i < nth; i++) {
    cols[i] = kp ? scratch + per * (size_t)i : NULL;
    tmps[i] = tp ? scratch + per * (size_t)i + kp : NULL;
    xcat[i] = xp ? scratch + per * (size_t)i + kp + tp : NULL;
  }
  nn_parallel(nth, forward_part, &t);
  return y;
}

tensor *nn_conv2d(nn_ctx *ctx, tensor *x, tensor *w, tensor *b, int stride) {
  return conv_forward(ctx, &x, 1, w, b, stride, 0);
}

tensor *nn_conv2d_cat(nn_ctx *ctx, tensor *const *xs, int n, tensor *w, tensor *b, int stride) {
  return conv_forward(ctx, xs, n, w, b, stride, 0);
}

static tensor *conv_relu(nn_ctx *ctx, tensor *const *xs, int n, tensor *w, tensor *b, int stride) {
  int grads = (w && w->requires_grad) || (b && b->requires_grad);
  for (int k = 0; k < n; k++) grads |= xs[k] && xs[k]->requires_grad;
  if (ctx->record && grads)
    return nn_fail(ctx, "conv2d with relu has no backward; it is for evaluation without a tape");
  return conv_forward(ctx, xs, n, w, b, stride, 1);
}

tensor *nn_conv2d_relu(nn_ctx *ctx, tensor *x, tensor *w, tensor *b, int stride) {
  return conv_relu(ctx, &x, 1, w, b, stride);
}

tensor *nn_conv2d_cat_relu(nn_ctx *ctx, tensor *const *xs, int n, tensor *w, tensor *b, int stride) {
  return conv_relu(ctx, xs, n, w, b, stride);
}

static void backward_part(void *arg, int ith, int nth) {
  conv_task *t = arg;
  const conv_geom *g = &t->g;
  int i0, i1;
  nn_split(g->N, ith, nth, &i0, &i1);
  for (int i = i0; i < i1; i++) {
    const float *xi = t->x + (size_t)i * g->C * g->H * g->W;
    const float *dyi = t->dy + (size_t)i * g->F * g->P;
    float *dxi = t->dx ? t->dx + (size_t)i * g->C * g->H * g->W : NULL;
    if (t->nin) {
      join_image(t, i, t->xcat[ith]);
      xi = t->xcat[ith];
      dxi = t->dxcat[ith];
      if (dxi) memset(dxi, 0, sizeof(float) * (size_t)g->C * g->H * g->W);
    }
    if (t->db[ith])
      for (int f = 0; f < g->F; f++) {
        const float *r = dyi + (size_t)f * g->P;
        float s = 0;
        for (int p = 0; p < g->P; p++) s += r[p];
        t->db[ith][f] += s;
      }
    if (direct(g)) { /* x itself is the patch matrix */
      if (t->dw[ith]) nn_gemm(0, 1, g->F, g->K, g->P, 1.0f, dyi, g->P, xi, g->P, 1.0f, t->dw[ith], g->K);
      if (dxi) nn_gemm(1, 0, g->K, g->P, g->F, 1.0f, t->w, g->K, dyi, g->P, 1.0f, dxi, g->P);
      if (t->nin && dxi) split_image(t, i, dxi);
      continue;
    }
    int kb = block_rows(g), dw_done = 0;
    if (t->dw[ith]) { /* dW += dY col^T, the patches packed as the product reads them */
      patches src = {g, xi, NULL, t->tmp[ith]};
      if (g->stride == 1 && nn_gemm_has_own()) {
        src.xp = t->tmp[ith] + tmp_row_floats(g);
        pad_image(g, xi, (float *)src.xp);
      }
      dw_done = !nn_gemm_packed_b(0, g->F, g->K, g->P, 1.0f, dyi, g->P, pack_patches_t, &src, 1.0f, t->dw[ith], g->K);
    }
    int dx_done = 0;
    if (dxi && t->wflip) { /* dx += the stride-1 convolution of dY by the flipped filters */
      const conv_geom *gd = &t->gd;
      patches src = {gd, dyi, t->dtmp[ith] + tmp_row_floats(gd), t->dtmp[ith]};
      pad_image(gd, dyi, (float *)src.xp);
      dx_done = !nn_gemm_packed_b(0, gd->F, gd->P, gd->K, 1.0f, t->wflip, gd->K, pack_patches, &src, 1.0f, dxi, gd->P);
    }
    for (int r0 = 0; r0 < g->K && !(dw_done && (dx_done || !dxi)); r0 += kb) {
      int r1 = r0 + kb < g->K ? r0 + kb : g->K;
      if (t->dw[ith] && !dw_done) { /* dW[:, r0..r1] += dY col[r0..r1, :]^T */
        im2col(g, xi, r0, r1, t->col[ith]);
        nn_gemm(0, 1, g->F, r1 - r0, g->P, 1.0f, dyi, g->P, t->col[ith], g->P, 1.0f, t->dw[ith] + r0, g->K);
      }
      if (dxi && !dx_done) { /* dcol[r0..r1, :] = W[:, r0..r1]^T dY, added back into dx */
        nn_gemm(1, 0, r1 - r0, g->P, g->F, 1.0f, t->w + r0, g->K, dyi, g->P, 0.0f, t->dcol[ith], g->P);
        col2im(g, t->dcol[ith], r0, r1, dxi);
      }
    }
    if (t->nin && dxi) split_image(t, i, dxi);
  }
}

static void conv_backward(nn_ctx *ctx, tensor *out, const nn_list *l, tensor *w, tensor *b) {
  conv_task t = {0};
  geom_of(out, w, &t.g);
  t.w = w->data;
  t.dy = out->grad;
  float *dxs[64];
  int dx_any = 0;
  if (l) {
    float **d = l->n <= 64 ? dxs : arena_alloc(&ctx->mem, sizeof(float *) * (size_t)l->n);
    for (int k = 0; k < l->n; k++) {
      d[k] = l->xs[k]->requires_grad ? nn_grad(ctx, l->xs[k]) : NULL;
      dx_any |= d[k] != NULL;
    }
    t.nin = l->n;
    t.in = l->xs;
    t.dxs = d;
  } else {
    t.x = out->src[0]->data;
    t.dx = out->src[0]->requires_grad ? nn_grad(ctx, out->src[0]) : NULL;
    dx_any = t.dx != NULL;
  }
  int nth = ctx->nthreads < t.g.N ? ctx->nthreads : t.g.N;
  float *cols[64], *dcols[64], *dws[64], *dbs[64], *tmps[64], *xcat[64], *dxcat[64], *dtmps[64];
  t.col = cols;
  t.dcol = dcols;
  t.dw = dws;
  t.db = dbs;
  t.tmp = tmps;
  t.xcat = xcat;
  t.dxcat = dxcat;
  t.dtmp = dtmps;
  const conv_geom *g = &t.g;
  int flip = dx_any && g->stride == 1 && !direct(g) && nn_gemm_has_own();
  if (flip) {
    t.gd = (conv_geom){.N = g->N, .C = g->F, .H = g->OH, .W = g->OW, .F = g->C, .kh = g->kh, .kw = g->kw,
                       .stride = 1, .pt = g->kh - 1 - g->pt, .pl = g->kw - 1 - g->pl, .OH = g->H, .OW = g->W,
                       .K = g->F * g->kh * g->kw, .P = g->H * g->W};
    t.wflip = arena_alloc_raw(&ctx->mem, sizeof(float) * (size_t)w->n);
    for (int f = 0; f < g->F; f++)
      for (int c = 0; c < g->C; c++)
        for (int ki = 0; ki < g->kh; ki++)
          for (int kj = 0; kj < g->kw; kj++)
            t.wflip[(((size_t)c * g->F + f) * g->kh + g->kh - 1 - ki) * g->kw + g->kw - 1 - kj] =
                w->data[(((size_t)f * g->C + c) * g->kh + ki) * g->kw + kj];
  }
  size_t img = (size_t)g->C * g->H * g->W;
  size_t kp = direct(g) ? 0 : (size_t)block_rows(g) * g->P, tp = direct(g) ? 0 : tmp_floats(g);
  size_t dkp = dx_any && !flip ? kp : 0, dtp = flip ? tmp_floats(&t.gd) : 0;
  size_t xp = l ? img : 0, dxp = l && dx_any ? img : 0, per = kp + dkp + tp + xp + dxp + dtp;
  float *scratch = per ? nn_scratch(ctx, per * (size_t)nth) : NULL;
  for (int i = 0; i < nth; i++) {
    float *at = scratch ? scratch + per * (size_t)i : NULL;
    cols[i] = kp && w->requires_grad ? at : NULL;
    dcols[i] = dkp ? at + kp : NULL;
    tmps[i] = tp ? at + kp + dkp : NULL;
    xcat[i] = xp ? at + kp + dkp + tp : NULL;
    dxcat[i] = dxp ? at + kp + dkp + tp + xp : NULL;
    dtmps[i] = dtp ? at + kp + dkp + tp + xp + dxp : NULL;
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

void nn_conv2d_backward(nn_ctx *ctx, tensor *out) {
  conv_backward(ctx, out, NULL, out->src[1], out->nsrc > 2 ? out->src[2] : NULL);
}

void nn_conv2d_cat_backward(nn_ctx *ctx, tensor *out) {
  conv_backward(ctx, out, out->aux, out->src[0], out->nsrc > 1 ? out->src[1] : NULL);
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

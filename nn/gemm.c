/* gemm.c: see gemm.h. The own kernel follows the usual blocked scheme:
 *
 *   for each block of NC columns of C (jc)
 *     for each block of KC along K (pc): pack op(B)[pc.., jc..] into panels
 *                                        of NR columns, k-major
 *       for each block of MC rows (ic): pack op(A)[ic.., pc..] into panels
 *                                        of MR rows, k-major
 *         for each panel of B (jr), each panel of A (ir): the micro-kernel
 *
 * The micro-kernel holds an MR x NR = 12 x 32 tile of C in 24 zmm registers;
 * each step along K loads two vectors of the B panel, broadcasts the 12
 * values of the A panel and does 24 fused multiply-adds. A B panel (KC x NR,
 * 32 KiB) stays in L1 while the A panels of a block (MC x KC, 144 KiB) come
 * from L2. Panels are padded with zeros to whole tiles; the stores are
 * masked to the part of the tile inside C. The first block along K applies
 * beta (C not read when beta is 0), the later ones add. */
#include "nn/gemm.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "common/arena.h"

#define MR 12
#define NR NN_GEMM_NR
#define KC NN_GEMM_KC
#define MC 144
#define NC 3072

static void blas(int transa, int transb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                 int ldb, float beta, float *C, int ldc) {
  cblas_sgemm(CblasRowMajor, transa ? CblasTrans : CblasNoTrans, transb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A,
              lda, B, ldb, beta, C, ldc);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_OWN 1

static __mmask16 first_lanes(int n) { return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1); }

/* Turns the 16 x 16 block r[0..15] (rows) into its columns, in place. */
__attribute__((target("avx512f"))) static inline void transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int g = 0; g < 4; g++) { /* u[4g + m], 128-bit lane L: rows 4g..4g+3 at column 4L + m */
    u[4 * g + 0] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
    u[4 * g + 1] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
    u[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
    u[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
  }
  for (int m = 0; m < 4; m++) {
    __m512 a = _mm512_shuffle_f32x4(u[m], u[4 + m], 0x88), b = _mm512_shuffle_f32x4(u[m], u[4 + m], 0xDD);
    __m512 c = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0x88), d = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0xDD);
    r[m] = _mm512_shuffle_f32x4(a, c, 0x88);
    r[8 + m] = _mm512_shuffle_f32x4(a, c, 0xDD);
    r[4 + m] = _mm512_shuffle_f32x4(b, d, 0x88);
    r[12 + m] = _mm512_shuffle_f32x4(b, d, 0xDD);
  }
}

/* dst[k width + i] = src[i ld + k] for i < rows, 0 for rows <= i < width,
 * k < kc: rows of a matrix into a panel that holds them as columns, 16 x 16
 * blocks at a time. */
__attribute__((target("avx512f"))) static void pack_columns(const float *src, size_t ld, int rows, int width,
                                                            int kc, float *dst) {
  for (int b = 0; b < width; b += 16) {
    __mmask16 out = first_lanes(width - b);
    for (int k = 0; k < kc; k += 16) {
      __mmask16 in = first_lanes(kc - k);
      __m512 r[16];
      for (int i = 0; i < 16; i++)
        r[i] = b + i < rows ? _mm512_maskz_loadu_ps(in, src + (size_t)(b + i) * ld + k) : _mm512_setzero_ps();
      transpose16(r);
      int kk = kc - k < 16 ? kc - k : 16;
      for (int i = 0; i < kk; i++) _mm512_mask_storeu_ps(dst + (size_t)(k + i) * width + b, out, r[i]);
    }
  }
}

void nn_gemm_pack_columns(const float *src, size_t ld, int rows, int kc, float *dst) {
  pack_columns(src, ld, rows, NR, kc, dst);
}

/* op(A)[i0 + i, k0 + k] for i < mc, k < kc, in panels of MR rows: panel p
 * holds, for each k, the MR values of rows p*MR.. (zeros past mc). */
/* (compiled for AVX-512 like the kernel: it only runs where the kernel does) */
__attribute__((target("avx512f"))) static void pack_a(int transa, const float *A, int lda, int i0, int mc, int k0,
                                                      int kc, float *pa) {
  for (int p = 0; p < mc; p += MR, pa += (size_t)MR * kc) {
    int mr = mc - p < MR ? mc - p : MR;
    if (transa) {
      for (int k = 0; k < kc; k++) {
        const float *src = A + (size_t)(k0 + k) * lda + i0 + p;
        float *dst = pa + (size_t)k * MR;
        int i = 0;
        for (; i < mr; i++) dst[i] = src[i];
        for (; i < MR; i++) dst[i] = 0.0f;
      }
    } else {
      pack_columns(A + (size_t)(i0 + p) * lda + k0, (size_t)lda, mr, MR, kc, pa);
    }
  }
}

/* op(B)[k0 + k, j0 + j] for k < kc, j < nc, in panels of NR columns: panel
 * q holds, for each k, the NR values of columns q*NR.. (zeros past nc). */
__attribute__((target("avx512f"))) static void pack_b(int transb, const float *B, int ldb, int k0, int kc, int j0,
                                                      int nc, float *pb) {
  for (int q = 0; q < nc; q += NR, pb += (size_t)NR * kc) {
    int nr = nc - q < NR ? nc - q : NR;
    if (!transb) {
      for (int k = 0; k < kc; k++) {
        const float *src = B + (size_t)(k0 + k) * ldb + j0 + q;
        float *dst = pb + (size_t)k * NR;
        memcpy(dst, src, sizeof(float) * (size_t)nr);
        if (nr < NR) memset(dst + nr, 0, sizeof(float) * (size_t)(NR - nr));
      }
    } else {
      pack_columns(B + (size_t)(j0 + q) * ldb + k0, (size_t)ldb, nr, NR, kc, pb);
    }
  }
}

#define ROW_DECL(i) __m512 c##i##0 = _mm512_setzero_ps(), c##i##1 = _mm512_setzero_ps()
#define ROW_FMA(i)                          \
  do {                                      \
    __m512 a = _mm512_set1_ps(pa[i]);       \
    c##i##0 = _mm512_fmadd_ps(a, b0, c##i##0); \
    c##i##1 = _mm512_fmadd_ps(a, b1, c##i##1); \
  } while (0)
#define ROW_STORE(i)                                      \
  if (i < mr) store_row(C + (size_t)(i) * ldc, c##i##0, c##i##1, m0, m1, alpha, beta, first)

__attribute__((target("avx512f"))) static inline void store_row(float *r, __m512 v0, __m512 v1, __mmask16 m0,
                                                                __mmask16 m1, float alpha, float beta, int first) {
  __m512 va = _mm512_set1_ps(alpha);
  v0 = _mm512_mul_ps(va, v0);
  v1 = _mm512_mul_ps(va, v1);
  if (!first || beta != 0.0f) {
    __m512 vb = _mm512_set1_ps(first ? beta : 1.0f);
    v0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, r), v0);
    v1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, r + 16), v1);
  }
  _mm512_mask_storeu_ps(r, m0, v0);
  _mm512_mask_storeu_ps(r + 16, m1, v1);
}

/* C[0..mr, 0..nr] (= or +=) alpha * (A panel x B panel) over kc steps. */
__attribute__((target("avx512f"))) static void kernel(int kc, const float *restrict pa, const float *restrict pb,
                                                      float *C, int ldc, int mr, int nr, float alpha, float beta,
                                                      int first) {
  ROW_DECL(0); ROW_DECL(1); ROW_DECL(2); ROW_DECL(3); ROW_DECL(4); ROW_DECL(5);
  ROW_DECL(6); ROW_DECL(7); ROW_DECL(8); ROW_DECL(9); ROW_DECL(10); ROW_DECL(11);
  for (int k = 0; k < kc; k++, pa += MR, pb += NR) {
    __m512 b0 = _mm512_load_ps(pb), b1 = _mm512_load_ps(pb + 16);
    ROW_FMA(0); ROW_FMA(1); ROW_FMA(2); ROW_FMA(3); ROW_FMA(4); ROW_FMA(5);
    ROW_FMA(6); ROW_FMA(7); ROW_FMA(8); ROW_FMA(9); ROW_FMA(10); ROW_FMA(11);
  }
  __mmask16 m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1);
  __mmask16 m1 = nr >= 32 ? (__mmask16)0xFFFF : nr <= 16 ? (__mmask16)0 : (__mmask16)((1u << (nr - 16)) - 1);
  ROW_STORE(0); ROW_STORE(1); ROW_STORE(2); ROW_STORE(3); ROW_STORE(4); ROW_STORE(5);
  ROW_STORE(6); ROW_STORE(7); ROW_STORE(8); ROW_STORE(9); ROW_STORE(10); ROW_STORE(11);
}

/* The packing buffers of the calling thread, 64-byte aligned, kept for the
 * life of the thread (naslc's pool threads live as long as the process). */
static _Thread_local float *buf_a, *buf_b;
static _Thread_local size_t cap_a, cap_b;

static float *grow(float **p, size_t *cap, size_t n) {
  if (n > *cap) {
    free(*p);
    *p = aligned_alloc(64, (sizeof(float) * n + 63) / 64 * 64);
    if (!*p) nasl_out_of_memory(sizeof(float) * n);
    *cap = n;
  }
  return *p;
}

/* op(B) as a plain matrix, for own() */
typedef struct matrix_b {
  int trans, ld;
  const float *B;
} matrix_b;

static void pack_matrix_b(void *arg, int k0, int kc, int j0, int nc, float *dst) {
  const matrix_b *m = arg;
  pack_b(m->trans, m->B, m->ld, k0, kc, j0, nc, dst);
}

static void own(int transa, int M, int N, int K, float alpha, const float *A, int lda, nn_gemm_pack_fn packb,
                void *arg, float beta, float *C, int ldc) {
  int ncap = N < NC ? N : NC, mcap = M < MC ? M : MC, kcap = K < KC ? K : KC;
  float *pb = grow(&buf_b, &cap_b, (size_t)(ncap + NR - 1) / NR * NR * kcap);
  float *pa = grow(&buf_a, &cap_a, (size_t)(mcap + MR - 1) / MR * MR * kcap);
  for (int jc = 0; jc < N; jc += NC) {
    int nc = N - jc < NC ? N - jc : NC;
    for (int pc = 0; pc < K; pc += KC) {
      int kc = K - pc < KC ? K - pc : KC;
      packb(arg, pc, kc, jc, nc, pb);
      for (int ic = 0; ic < M; ic += MC) {
        int mc = M - ic < MC ? M - ic : MC;
        pack_a(transa, A, lda, ic, mc, pc, kc, pa);
        for (int jr = 0; jr < nc; jr += NR)
          for (int ir = 0; ir < mc; ir += MR)
            kernel(kc, pa + (size_t)ir * kc, pb + (size_t)jr * kc, C + (size_t)(ic + ir) * ldc + jc + jr, ldc,
                   mc - ir < MR ? mc - ir : MR, nc - jr < NR ? nc - jr : NR, alpha, beta, pc == 0);
      }
    }
  }
}

/* 1: the own kernel, 0: OpenBLAS; decided once, by the first caller. */
static int choice;
static pthread_once_t chosen = PTHREAD_ONCE_INIT;

static void choose(void) {
  const char *env = getenv("NASLC_GEMM");
  __builtin_cpu_init();
  choice = __builtin_cpu_supports("avx512f") && !(env && !strcmp(env, "blas"));
}

static int own_kernel(void) {
  pthread_once(&chosen, choose);
  return choice;
}
#else
#define HAVE_OWN 0
static int own_kernel(void) { return 0; }

void nn_gemm_pack_columns(const float *src, size_t ld, int rows, int kc, float *dst) {
  for (int k = 0; k < kc; k++)
    for (int i = 0; i < NR; i++) dst[(size_t)k * NR + i] = i < rows ? src[(size_t)i * ld + k] : 0.0f;
}
#endif

const char *nn_gemm_kernel(void) { return own_kernel() ? "avx512" : "openblas"; }

int nn_gemm_has_own(void) { return own_kernel(); }

void nn_gemm(int transa, int transb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
             float beta, float *C, int ldc) {
#if HAVE_OWN
  if (M >= NN_GEMM_MIN_M && N >= NN_GEMM_MIN_N && K >= NN_GEMM_MIN_K && alpha != 0.0f && own_kernel()) {
    matrix_b mb = {transb, ldb, B};
    own(transa, M, N, K, alpha, A, lda, pack_matrix_b, &mb, beta, C, ldc);
    return;
  }
#endif
  blas(transa, transb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

int nn_gemm_packed_b(int transa, int M, int N, int K, float alpha, const float *A, int lda, nn_gemm_pack_fn pack,
                     void *arg, float beta, float *C, int ldc) {
#if HAVE_OWN
  if (own_kernel() && M > 0 && N > 0 && K > 0 && alpha != 0.0f) {
    own(transa, M, N, K, alpha, A, lda, pack, arg, beta, C, ldc);
    return 0;
  }
#else
  (void)transa, (void)M, (void)N, (void)K, (void)alpha, (void)A, (void)lda, (void)pack, (void)arg, (void)beta;
  (void)C, (void)ldc;
#endif
  return -1;
}

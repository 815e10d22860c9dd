/* gemm_test.c: nn/gemm.h against a product summed in double precision, on
 * shapes that cross every edge of the own kernel's blocking (rows not a
 * multiple of its 12, columns not a multiple of its 32, K over a block of
 * 256, N over a block of 3072, M over a block of 144), every transpose,
 * leading dimensions wider than the matrix, and the three kinds of beta (0
 * with C full of NaN, which must not be read; 1; another). On a CPU without
 * AVX-512, or with NASLC_GEMM=blas, the same checks hold OpenBLAS to it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/gemm.h"
#include "tests/tap.h"

static unsigned state = 12345;

static float uniform(void) {
  state = state * 1103515245u + 12345u;
  return (float)(state >> 8) / (float)(1u << 24) - 0.5f;
}

/* The largest error of nn_gemm on one case, relative to sum |alpha a b| +
 * |beta c| of the element (the scale of its rounding); 1e9 for a NaN. */
static double one_case(int ta, int tb, int M, int N, int K, float alpha, float beta, int pad) {
  int arows = ta ? K : M, acols = ta ? M : K, brows = tb ? N : K, bcols = tb ? K : N;
  int lda = acols + pad, ldb = bcols + pad, ldc = N + pad;
  float *A = malloc(sizeof(float) * (size_t)arows * lda), *B = malloc(sizeof(float) * (size_t)brows * ldb);
  float *C = malloc(sizeof(float) * (size_t)M * ldc), *C0 = malloc(sizeof(float) * (size_t)M * ldc);
  for (size_t i = 0; i < (size_t)arows * lda; i++) A[i] = uniform();
  for (size_t i = 0; i < (size_t)brows * ldb; i++) B[i] = uniform();
  for (size_t i = 0; i < (size_t)M * ldc; i++) C0[i] = beta == 0.0f ? NAN : uniform();
  memcpy(C, C0, sizeof(float) * (size_t)M * ldc);
  nn_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  double worst = 0;
  for (int i = 0; i < M; i++) {
    for (int j = 0; j < N; j++) {
      double s = 0, scale = 0;
      for (int k = 0; k < K; k++) {
        double a = ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
        double b = tb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
        s += a * b;
        scale += fabs(a * b);
      }
      double want = alpha * s, c0 = C0[(size_t)i * ldc + j];
      scale = fabs(alpha) * scale;
      if (beta != 0.0f) {
        want += beta * c0;
        scale += fabs(beta * c0);
      }
      double got = C[(size_t)i * ldc + j];
      double e = isnan(got) ? 1e9 : fabs(got - want) / (scale + 1e-30);
      if (e > worst) worst = e;
    }
    for (int j = N; j < ldc; j++) /* the padding of C is not touched */
      if (memcmp(&C[(size_t)i * ldc + j], &C0[(size_t)i * ldc + j], sizeof(float))) worst = 1e9;
  }
  free(A);
  free(B);
  free(C);
  free(C0);
  return worst;
}

int main(void) {
  static const int shapes[][3] = {
      {12, 32, 8},   {13, 33, 9},    {64, 784, 576}, {36, 784, 9},  {48, 900, 784}, {900, 784, 48},
      {8, 16, 300},  {145, 70, 513}, {5, 40, 40},    {40, 5, 40},   {40, 40, 5},    {300, 3100, 20},
  };
  const int nshapes = (int)(sizeof shapes / sizeof shapes[0]);
  tap_diag("the kernel in use: %s", nn_gemm_kernel());
  for (int s = 0; s < nshapes; s++) {
    int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
    double worst = 0;
    for (int ta = 0; ta < 2; ta++)
      for (int tb = 0; tb < 2; tb++)
        for (int b = 0; b < 3; b++) {
          float beta = b == 0 ? 0.0f : b == 1 ? 1.0f : -0.75f;
          double e = one_case(ta, tb, M, N, K, b == 2 ? 1.0f : 0.5f, beta, (ta + tb + b) % 2 ? 3 : 0);
          if (e > worst) worst = e;
        }
    tap_result(worst < 1e-5, "%d x %d x %d, every transpose, beta 0 (C not read), 1 and -0.75: within float "
               "rounding (largest relative error %.2g)", M, N, K, worst);
  }
  /* the same arguments give the same bits */
  int n = 200;
  float *A = malloc(sizeof(float) * n * n), *B = malloc(sizeof(float) * n * n);
  float *C1 = malloc(sizeof(float) * n * n), *C2 = malloc(sizeof(float) * n * n);
  for (int i = 0; i < n * n; i++) {
    A[i] = uniform();
    B[i] = uniform();
  }
  nn_gemm(0, 1, n, n, n, 1.0f, A, n, B, n, 0.0f, C1, n);
  nn_gemm(0, 1, n, n, n, 1.0f, A, n, B, n, 0.0f, C2, n);
  tap_result(!memcmp(C1, C2, sizeof(float) * n * n), "the same product twice gives the same bits");
  free(A);
  free(B);
  free(C1);
  free(C2);
  return tap_done();
}

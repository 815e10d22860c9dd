/* parallel_test.c: nn/parallel.h. The pool runs every part once; SGEMMs
 * called from several of naslc's threads at once give the bits they give
 * one at a time (a BLAS that is not safe to call concurrently, such as an
 * OpenBLAS built without locking, shares its packing buffers between the
 * callers and fails here); nn_sgemm's bands give the product. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "nn/parallel.h"
#include "tests/tap.h"

static void test_split(void) {
  int ok = 1;
  for (int n = 0; n <= 20; n++)
    for (int nth = 1; nth <= 7; nth++) {
      int next = 0;
      for (int i = 0; i < nth; i++) {
        int b, e;
        nn_split(n, i, nth, &b, &e);
        ok &= b == next && e >= b && e - b <= n / nth + 1;
        next = e;
      }
      ok &= next == n;
    }
  tap_result(ok, "nn_split cuts 0..20 items into 1..7 consecutive parts of near-equal size");
}

typedef struct count_task {
  int calls[64];
  int nth_seen[64];
} count_task;

static void count_part(void *arg, int ith, int nth) {
  count_task *t = arg;
  t->calls[ith]++;
  t->nth_seen[ith] = nth;
}

static void test_pool(void) {
  int ok = 1;
  for (int round = 0; round < 200; round++) {
    int nth = 1 + round % 8;
    count_task t;
    memset(&t, 0, sizeof t);
    nn_parallel(nth, count_part, &t);
    for (int i = 0; i < 64; i++) ok &= t.calls[i] == (i < nth) && (i >= nth || t.nth_seen[i] == nth);
  }
  tap_result(ok, "nn_parallel runs part i of n exactly once, 200 tasks of 1 to 8 parts");
}

/* Each part multiplies its own matrices, many times, with sizes that need
 * OpenBLAS's packing buffers; the results are kept for comparison. */
enum { M = 64, N = 72, K = 80, PARTS = 4, REPEAT = 100 };

typedef struct gemm_task {
  float *a[PARTS], *b[PARTS], *c[PARTS];
} gemm_task;

static void gemm_part(void *arg, int ith, int nth) {
  gemm_task *t = arg;
  for (int p = ith; p < PARTS; p += nth)
    for (int r = 0; r < REPEAT; r++)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, r % 2 ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, t->a[p], K, t->b[p],
                  r % 2 ? K : N, 0.0f, t->c[p] + (size_t)r * M * N, N);
}

static float *uniform(size_t n, unsigned *state) {
  float *v = malloc(sizeof(float) * n);
  for (size_t i = 0; i < n; i++) {
    *state = *state * 1103515245u + 12345u;
    v[i] = (float)(*state >> 8) / (float)(1u << 24) - 0.5f;
  }
  return v;
}

static void test_concurrent_gemm(void) {
  unsigned s = 7;
  gemm_task t;
  for (int p = 0; p < PARTS; p++) {
    t.a[p] = uniform((size_t)M * K, &s);
    t.b[p] = uniform((size_t)K * N, &s);
    t.c[p] = calloc((size_t)REPEAT * M * N, sizeof(float));
  }
  float *one[PARTS];
  gemm_part(&t, 0, 1);
  for (int p = 0; p < PARTS; p++) {
    one[p] = t.c[p];
    t.c[p] = calloc((size_t)REPEAT * M * N, sizeof(float));
  }
  int same = 1;
  for (int round = 0; round < 50; round++) {
    nn_parallel(round % 2 ? 4 : 2, gemm_part, &t);
    for (int p = 0; p < PARTS; p++) same &= !memcmp(one[p], t.c[p], sizeof(float) * (size_t)REPEAT * M * N);
  }
  tap_result(same, "SGEMMs on 2 and 4 threads at once give the bits of the same SGEMMs one at a time");
  for (int p = 0; p < PARTS; p++) {
    free(t.a[p]);
    free(t.b[p]);
    free(t.c[p]);
    free(one[p]);
  }
}

/* nn_sgemm against one cblas_sgemm: tall (bands of rows) and wide (bands
 * of columns), each transpose, beta 0 and 1. */
static void test_nn_sgemm(void) {
  static const int shapes[][3] = {{300, 40, 500}, {40, 300, 500}, {257, 129, 131}};
  unsigned s = 11;
  double worst = 0;
  int repeat_same = 1;
  for (int k = 0; k < 3; k++) {
    int m = shapes[k][0], n = shapes[k][1], kk = shapes[k][2];
    for (int ta = 0; ta < 2; ta++)
      for (int tb = 0; tb < 2; tb++)
        for (int beta = 0; beta < 2; beta++) {
          float *a = uniform((size_t)m * kk, &s), *b = uniform((size_t)kk * n, &s);
          float *c0 = uniform((size_t)m * n, &s);
          float *c1 = malloc(sizeof(float) * (size_t)m * n), *c2 = malloc(sizeof(float) * (size_t)m * n);
          memcpy(c1, c0, sizeof(float) * (size_t)m * n);
          memcpy(c2, c0, sizeof(float) * (size_t)m * n);
          int lda = ta ? m : kk, ldb = tb ? kk : n;
          cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, kk, 0.5f, a,
                      lda, b, ldb, (float)beta, c0, n);
          nn_sgemm(3, ta, tb, m, n, kk, 0.5f, a, lda, b, ldb, (float)beta, c1, n);
          nn_sgemm(3, ta, tb, m, n, kk, 0.5f, a, lda, b, ldb, (float)beta, c2, n);
          repeat_same &= !memcmp(c1, c2, sizeof(float) * (size_t)m * n);
          for (int i = 0; i < m * n; i++) {
            double d = fabs((double)c0[i] - c1[i]);
            if (d > worst || d != d) worst = d != d ? INFINITY : d;
          }
          free(a);
          free(b);
          free(c0);
          free(c1);
          free(c2);
        }
  }
  tap_result(worst < 1e-4, "nn_sgemm on 3 threads gives cblas_sgemm's product, rows or columns banded, every "
             "transpose, beta 0 and 1 (largest difference %.2g)", worst);
  tap_result(repeat_same, "nn_sgemm gives the same bits twice");
}

int main(void) {
  nn_threads_default(4);
  tap_diag("the BLAS library %s be called from several threads at once", nn_blas_concurrent() ? "may" : "may not, "
           "so nn_parallel runs the parts one after another");
  test_split();
  test_pool();
  test_concurrent_gemm();
  test_nn_sgemm();
  return tap_done();
}

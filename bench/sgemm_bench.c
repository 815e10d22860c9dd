/* sgemm_bench.c: the SGEMM rate naslc can reach on this machine, the
 * denominator of the "fraction of SGEMM peak" column of bench/run.sh.
 *
 * naslc keeps OpenBLAS single-threaded (nn_threads_default) and threads
 * with its own pool (nn/parallel.h): a kernel's parts run side by side,
 * each calling nn_gemm (nn/gemm.h: naslc's AVX-512 kernel where the CPU has
 * it, else OpenBLAS's single-threaded cblas_sgemm). The peak is measured the
 * same way: C = A B on N x N matrices, the rows of A and C split over the
 * threads with nn_split, every thread one nn_gemm on its rows, all of them
 * through nn_parallel. With 1 thread that is one plain SGEMM. The
 * best of R repetitions (after one untimed warm-up) is reported, in
 * GFLOP/s counting 2 N^3 floating-point operations per product.
 *
 * usage: sgemm_bench [--threads N] [--size N] [--reps R]
 * prints: sgemm threads=N size=N gflops=X peak_rss_mb=M kernel=avx512|openblas */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/arena.h"
#include "common/clock.h"
#include "common/parse.h"
#include "common/rng.h"
#include "nn/gemm.h"
#include "nn/parallel.h"

typedef struct sgemm_task {
  int n;
  const float *a, *b;
  float *c;
} sgemm_task;

/* Rows [r0, r1) of C = A B. */
static void sgemm_part(void *arg, int ith, int nth) {
  sgemm_task *t = arg;
  int r0, r1;
  nn_split(t->n, ith, nth, &r0, &r1);
  if (r1 > r0)
    nn_gemm(0, 0, r1 - r0, t->n, t->n, 1.0f, t->a + (size_t)r0 * t->n, t->n, t->b, t->n, 0.0f,
            t->c + (size_t)r0 * t->n, t->n);
}

/* A count given on the command line: 0 and *out set, or 1 when it is not a
 * whole number from 1 to INT_MAX. */
static int count_arg(const char *s, int *out) {
  long v;
  if (parse_long(s, 1, INT_MAX, &v)) return 1;
  *out = (int)v;
  return 0;
}

int main(int argc, char **argv) {
  int threads = 1, n = 2048, reps = 5, bad = 0;
  for (int i = 1; i < argc; i++) {
    if (i + 1 < argc && !strcmp(argv[i], "--threads")) bad |= count_arg(argv[++i], &threads);
    else if (i + 1 < argc && !strcmp(argv[i], "--size")) bad |= count_arg(argv[++i], &n);
    else if (i + 1 < argc && !strcmp(argv[i], "--reps")) bad |= count_arg(argv[++i], &reps);
    else bad = 1;
  }
  if (bad || n > 16384) {
    fprintf(stderr, "usage: sgemm_bench [--threads N] [--size N] [--reps R] (whole numbers of at least 1, "
                    "size at most 16384)\n");
    return 2;
  }
  threads = nn_threads_default(threads);
  size_t nn = (size_t)n * (size_t)n;
  float *a = xmalloc(sizeof(float) * nn), *b = xmalloc(sizeof(float) * nn), *c = xmalloc(sizeof(float) * nn);
  rng r;
  rng_seed(&r, 1);
  for (size_t k = 0; k < nn; k++) {
    a[k] = (float)rng_uniform(&r) - 0.5f;
    b[k] = (float)rng_uniform(&r) - 0.5f;
  }
  sgemm_task t = {n, a, b, c};
  double best = 0;
  for (int rep = 0; rep <= reps; rep++) { /* rep 0 warms up the pool, the caches and the pages of c */
    double t0 = nasl_clock_seconds();
    nn_parallel(threads, sgemm_part, &t);
    double el = nasl_clock_seconds() - t0;
    if (rep > 0 && (best == 0 || el < best)) best = el;
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("sgemm threads=%d size=%d gflops=%.1f peak_rss_mb=%.1f kernel=%s\n", threads, n,
         2.0 * n * (double)n * n / best / 1e9, ru.ru_maxrss / 1024.0, nn_gemm_kernel());
  free(a);
  free(b);
  free(c);
  return 0;
}

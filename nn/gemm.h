/* gemm.h: the single-precision matrix product every kernel calls.
 *
 * nn_gemm(transa, transb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
 * computes C = alpha op(A) op(B) + beta C for row-major matrices, exactly as
 * cblas_sgemm(CblasRowMajor, ...) is specified (transa, transb: 0 for no
 * transpose, 1 for transpose; with beta 0, C is written without being read,
 * so it may hold anything), on the calling thread only. Parallelism is the
 * caller's (nn_parallel, nn_sgemm in nn/parallel.h).
 *
 * Which code runs is chosen at run time, once:
 * - on a CPU with AVX-512 (asked with __builtin_cpu_supports), a product with
 *   M >= NN_GEMM_MIN_M, N >= NN_GEMM_MIN_N and K >= NN_GEMM_MIN_K runs on
 *   naslc's own kernel: blocks of op(A) and op(B) packed into panels that
 *   stay in the caches, and a 12 x 32 tile of C kept in 24 vector registers
 *   over each block of K. It uses the 512-bit units whatever OpenBLAS was
 *   built for or told to use ($OPENBLAS_CORETYPE);
 * - anything else goes to OpenBLAS's cblas_sgemm.
 * $NASLC_GEMM=blas sends every product to OpenBLAS (to compare the two);
 * nn_gemm_kernel() names the code in use.
 *
 * The two differ only in rounding (each element is the same sum over K,
 * added in another order). For given arguments the result is the same on
 * every run. */
#ifndef NASLC_GEMM_H
#define NASLC_GEMM_H

#include <stddef.h>

#define NN_GEMM_MIN_M 8
#define NN_GEMM_MIN_N 16
#define NN_GEMM_MIN_K 8

void nn_gemm(int transa, int transb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
             float beta, float *C, int ldc);

/* The own kernel's packed layout of op(B), for nn_gemm_packed_b: a packer
 * fills dst with rows k0..k0+kc-1 and columns j0..j0+nc-1 of op(B) in
 * panels of NN_GEMM_NR columns; panel q (columns j0 + q NR ..) starts at
 * dst + q NR kc and holds, row after row, NR values, zeros past the last
 * column. dst is 64-byte aligned. */
#define NN_GEMM_NR 32
/* kc, the rows a packer is asked for at once, is at most NN_GEMM_KC. */
#define NN_GEMM_KC 256
typedef void (*nn_gemm_pack_fn)(void *arg, int k0, int kc, int j0, int nc, float *dst);

/* For packers: a panel made of up to NN_GEMM_NR rows of a matrix, taken
 * as its columns: dst[k NR + j] = src[j ld + k] for j < rows, 0 for
 * rows <= j < NR, k < kc (vectorised transposes on the own kernel). */
void nn_gemm_pack_columns(const float *src, size_t ld, int rows, int kc, float *dst);

/* nn_gemm with op(B) [K x N] given by a packer instead of a matrix, so that a
 * caller can write B's values straight into the layout the kernel reads (a
 * convolution's patches, without the patch matrix). Runs on the own kernel
 * only: 0 when done, -1 (nothing done) when it is not in use or M, N, K or
 * alpha is 0; the caller then makes B and calls nn_gemm. */
int nn_gemm_packed_b(int transa, int M, int N, int K, float alpha, const float *A, int lda, nn_gemm_pack_fn pack,
                     void *arg, float beta, float *C, int ldc);

/* "avx512" or "openblas": what runs a product large enough for the own kernel. */
const char *nn_gemm_kernel(void);
/* 1 when the own kernel is in use (nn_gemm_packed_b works). */
int nn_gemm_has_own(void);

#endif

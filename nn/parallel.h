/* parallel.h: splitting a kernel's work over threads.
 *
 * A kernel is written for a slice of its work: fn(arg, ith, nth) handles part
 * ith of nth (ggml's convention), so the thread count is a parameter and not a
 * rewrite. nn_parallel runs the nth parts on nth threads (the calling thread
 * takes part 0) and returns when all are done. Not reentrant: a task must
 * not call nn_parallel itself. */
#ifndef NASLC_PARALLEL_H
#define NASLC_PARALLEL_H

typedef void (*nn_task_fn)(void *arg, int ith, int nth);

/* When the BLAS library cannot be called from two threads at once (Debian's
 * serial OpenBLAS, built without locking), the parts run one after another
 * on the calling thread: the same results, one core. */
void nn_parallel(int nth, nn_task_fn fn, void *arg);
/* The first and one-past-last index of part ith of n items split nth ways. */
void nn_split(int n, int ith, int nth, int *begin, int *end);
/* The thread count to use: requested when it is positive (--threads), else
 * $NASLC_THREADS when that is a positive integer, else the cores; at most
 * 64. A $NASLC_THREADS that is set to anything else is ignored with a
 * warning on stderr (once per process). Also tells OpenBLAS to stay
 * single-threaded inside our threads. */
int nn_threads_default(int requested);

/* The threads the BLAS library started when it was loaded, before main:
 * the threaded OpenBLAS starts one per core unless $OPENBLAS_NUM_THREADS
 * says otherwise. naslc uses none of them (cli/main.c restarts itself
 * with OPENBLAS_NUM_THREADS=1 when there are more than one). */
int nn_blas_load_threads(void);
/* 1 when the BLAS library may be called from several threads at once. */
int nn_blas_concurrent(void);

/* C = alpha op(A) op(B) + beta C, row-major, as cblas_sgemm with CblasRowMajor
 * (transa, transb: 0 for no transpose, 1 for transpose), on up to nth
 * threads: a product of at least NN_SGEMM_SPLIT_FLOPS is cut into nth bands
 * of C's rows (or of its columns when C is wide and short), one cblas_sgemm
 * each, so every element of C is still summed by one call over the whole of
 * K. For a given nth the result is the same on every run. Not from inside a
 * task (nn_parallel is not reentrant). */
#define NN_SGEMM_SPLIT_FLOPS 4000000.0
void nn_sgemm(int nth, int transa, int transb, int M, int N, int K, float alpha, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc);

#endif

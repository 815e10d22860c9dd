/* parallel.c: see parallel.h. A pool of worker threads, started on first use
 * and kept for the life of the process, runs the parts of each call; the
 * calling thread does part 0 itself. A task is posted by bumping a
 * generation counter; workers poll it for a short while before they block
 * on a condition variable, and the caller polls for the last part the same
 * way, because a language model's time step is a chain of kernels of tens
 * of microseconds each, where a wake-up through the kernel would cost as
 * much as the work. Idle threads still end up blocked, off the CPU. */
#include "nn/parallel.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cblas.h>

#include "common/parse.h"
#include "nn/gemm.h"

#define MAX_THREADS 64

static struct pool {
  pthread_mutex_t lock;
  pthread_cond_t work;          /* a new task was posted (for sleeping workers) */
  pthread_cond_t done;          /* the last part finished (for a sleeping caller) */
  int started;                  /* workers running */
  atomic_ulong generation;      /* odd while a task is being posted, bumped to even when it is */
  atomic_int sleepers;          /* workers blocked on work */
  atomic_int remaining;         /* parts not finished */
  _Atomic(nn_task_fn) fn;       /* the task (a worker reads these between two equal, even */
  _Atomic(void *) arg;          /* generations: a seqlock, for workers that take no part and */
  atomic_int nth;               /* may still be looking when the next task is posted) */
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER, .done = PTHREAD_COND_INITIALIZER};

/* How long a thread polls before it blocks: about 50 microseconds, longer
 * than the gap between two kernels of a language model's time step and
 * shorter than any time a user would notice on a loaded machine. */
#define SPINS 20000

static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static void *worker(void *p) {
  int id = (int)(long)p; /* this worker does part id of every task with more parts */
  unsigned long seen = 0;
  for (;;) {
    unsigned long g;
    int spins = 0;
    while ((g = atomic_load(&pool.generation)) == seen || (g & 1)) {
      if (++spins < SPINS) {
        relax();
        continue;
      }
      pthread_mutex_lock(&pool.lock);
      atomic_fetch_add(&pool.sleepers, 1);
      while (atomic_load(&pool.generation) == seen) pthread_cond_wait(&pool.work, &pool.lock);
      /* an odd generation (a task half posted) is polled again above */
      atomic_fetch_sub(&pool.sleepers, 1);
      pthread_mutex_unlock(&pool.lock);
      spins = 0;
    }
    int nth = atomic_load_explicit(&pool.nth, memory_order_relaxed);
    nn_task_fn fn = atomic_load_explicit(&pool.fn, memory_order_relaxed);
    void *arg = atomic_load_explicit(&pool.arg, memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire); /* the three loads above happen before the check */
    if (atomic_load(&pool.generation) != g) continue; /* posted again meanwhile: read again */
    seen = g;
    if (id >= nth) continue;
    fn(arg, id, nth);
    if (atomic_fetch_sub(&pool.remaining, 1) == 1) { /* the last part: wake the caller if it sleeps */
      pthread_mutex_lock(&pool.lock);
      pthread_cond_signal(&pool.done);
      pthread_mutex_unlock(&pool.lock);
    }
  }
  return NULL;
}

/* openblas_get_parallel(): 0 for the serial build, 1 threaded, 2 OpenMP. */
int nn_blas_concurrent(void) { return openblas_get_parallel() != 0; }

int nn_blas_load_threads(void) { return openblas_get_num_threads(); }

void nn_parallel(int nth, nn_task_fn fn, void *arg) {
  static int concurrent = -1; /* asked on first use (one caller at a time) */
  if (nth > MAX_THREADS) nth = MAX_THREADS;
  if (nth <= 1) {
    fn(arg, 0, 1);
    return;
  }
  if (concurrent < 0) concurrent = nn_blas_concurrent();
  if (!concurrent) {
    for (int i = 0; i < nth; i++) fn(arg, i, nth);
    return;
  }
  pthread_mutex_lock(&pool.lock);
  while (pool.started < nth - 1) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int ok = pthread_create(&t, &attr, worker, (void *)(long)(pool.started + 1)) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) break;
    pool.started++;
  }
  pthread_mutex_unlock(&pool.lock);
  int workers = nth - 1 < pool.started ? nth - 1 : pool.started;
  atomic_fetch_add(&pool.generation, 1); /* odd: being posted */
  atomic_store_explicit(&pool.fn, fn, memory_order_relaxed);
  atomic_store_explicit(&pool.arg, arg, memory_order_relaxed);
  atomic_store_explicit(&pool.nth, workers + 1, memory_order_relaxed);
  atomic_store(&pool.remaining, workers);
  atomic_fetch_add(&pool.generation, 1); /* even: posted */
  if (atomic_load(&pool.sleepers) > 0) {
    pthread_mutex_lock(&pool.lock);
    pthread_cond_broadcast(&pool.work);
    pthread_mutex_unlock(&pool.lock);
  }
  fn(arg, 0, workers + 1); /* with fewer workers than asked, the parts are fewer and larger */
  for (int spins = 0; atomic_load(&pool.remaining) > 0 && spins < SPINS; spins++) relax();
  if (atomic_load(&pool.remaining) > 0) {
    pthread_mutex_lock(&pool.lock);
    while (atomic_load(&pool.remaining) > 0) pthread_cond_wait(&pool.done, &pool.lock);
    pthread_mutex_unlock(&pool.lock);
  }
}

void nn_split(int n, int ith, int nth, int *begin, int *end) {
  int per = n / nth, extra = n % nth;
  *begin = ith * per + (ith < extra ? ith : extra);
  *end = *begin + per + (ith < extra ? 1 : 0);
}

/* $NASLC_THREADS when it is a positive integer, else 0. Any other value
 * that is set and not empty is reported once: "4x" or "-2" must not pass
 * for a thread count unnoticed. */
static long threads_from_env(void) {
  static int warned;
  const char *env = getenv("NASLC_THREADS");
  long n;
  if (!env || !env[0]) return 0;
  if (parse_long(env, 1, LONG_MAX, &n) == 0) return n;
  if (!warned)
    fprintf(stderr, "naslc: NASLC_THREADS='%s' is not a positive integer; ignored (the thread count comes from "
            "the number of cores)\n", env);
  warned = 1;
  return 0;
}

int nn_threads_default(int requested) {
  long n = requested > 0 ? requested : threads_from_env();
  if (n <= 0) n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n <= 0) n = 1;
  if (n > MAX_THREADS) n = MAX_THREADS;
  openblas_set_num_threads(1);
  static int warned;
  if (n > 1 && !nn_blas_concurrent() && !warned) {
    fprintf(stderr, "naslc: the OpenBLAS loaded is its serial build, which cannot be called from two threads at "
            "once; running on one core (install the Debian package 'libopenblas0-pthread')\n");
    warned = 1;
  }
  return (int)n;
}

typedef struct sgemm_task {
  int transa, transb, M, N, K, lda, ldb, ldc, by_rows;
  float alpha, beta;
  const float *A, *B;
  float *C;
} sgemm_task;

static void sgemm_part(void *arg, int ith, int nth) {
  const sgemm_task *t = arg;
  int b, e;
  nn_split(t->by_rows ? t->M : t->N, ith, nth, &b, &e);
  if (b == e) return;
  const float *A = t->A, *B = t->B;
  float *C = t->C;
  int M = t->M, N = t->N;
  if (t->by_rows) { /* rows b..e of C: rows of op(A) */
    A += t->transa ? (size_t)b : (size_t)b * t->lda;
    C += (size_t)b * t->ldc;
    M = e - b;
  } else { /* columns b..e of C: columns of op(B) */
    B += t->transb ? (size_t)b * t->ldb : (size_t)b;
    C += b;
    N = e - b;
  }
  nn_gemm(t->transa, t->transb, M, N, t->K, t->alpha, A, t->lda, B, t->ldb, t->beta, C, t->ldc);
}

void nn_sgemm(int nth, int transa, int transb, int M, int N, int K, float alpha, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc) {
  sgemm_task t = {transa, transb, M, N, K, lda, ldb, ldc, M >= N, alpha, beta, A, B, C};
  int along = t.by_rows ? M : N;
  if (nth > along / 8) nth = along / 8; /* bands of at least 8 rows or columns */
  if (nth <= 1 || 2.0 * M * N * K < NN_SGEMM_SPLIT_FLOPS) {
    sgemm_part(&t, 0, 1);
    return;
  }
  nn_parallel(nth, sgemm_part, &t);
}

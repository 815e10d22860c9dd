/* parallel.c: see parallel.h. Threads are started per call: a kernel call
 * does milliseconds of work, so the ~20 microseconds of pthread_create are
 * noise, and no pool has to be shut down. */
#include "parallel.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <cblas.h>

typedef struct part {
  nn_task_fn fn;
  void *arg;
  int ith, nth;
} part;

static void *run_part(void *p) {
  part *t = p;
  t->fn(t->arg, t->ith, t->nth);
  return NULL;
}

void nn_parallel(int nth, nn_task_fn fn, void *arg) {
  if (nth <= 1) {
    fn(arg, 0, 1);
    return;
  }
  if (nth > 64) nth = 64;
  pthread_t threads[64];
  part parts[64];
  int started[64] = {0};
  for (int i = 1; i < nth; i++) {
    parts[i] = (part){fn, arg, i, nth};
    started[i] = pthread_create(&threads[i], NULL, run_part, &parts[i]) == 0;
  }
  fn(arg, 0, nth);
  for (int i = 1; i < nth; i++) {
    if (started[i]) pthread_join(threads[i], NULL);
    else fn(arg, i, nth); /* no thread to be had: do the part here */
  }
}

void nn_split(int n, int ith, int nth, int *begin, int *end) {
  int per = n / nth, extra = n % nth;
  *begin = ith * per + (ith < extra ? ith : extra);
  *end = *begin + per + (ith < extra ? 1 : 0);
}

int nn_threads_default(int requested) {
  int n = requested;
  if (n <= 0) {
    const char *env = getenv("NASLC_THREADS");
    n = env ? atoi(env) : 0;
  }
  if (n <= 0) n = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (n <= 0) n = 1;
  if (n > 64) n = 64;
  openblas_set_num_threads(1);
  return n;
}

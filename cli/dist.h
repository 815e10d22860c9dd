/* dist.h: `mpirun -n N naslc run FILE`, a search over N processes (naslc(1),
 * Distributed runs). Rank 0 runs the search loop and owns the run
 * directory; ranks 1..N-1 are workers that load the data once and evaluate
 * the children rank 0 sends them (runtime/search/wire.h has the messages),
 * one at a time each, through runtime/search's search_pool. With the shared
 * evaluator, rank 0 also trains the shared weights and sends them to each
 * worker after every round, before the worker's next child.
 *
 * Without MPI (configure --without-mpi, or no Open MPI found) naslc builds
 * as before, and dist_begin refuses a start by mpirun with more than one
 * rank. */
#ifndef NASLC_DIST_H
#define NASLC_DIST_H

#include "cli/cli.h"
#include "runtime/search/evaluate.h"
#include "runtime/search/search.h"

typedef struct dist {
  int rank, size;          /* this process and the job's ranks (0 and 1: a serial run) */
  int mpi;                 /* MPI was initialised (dist_end finalises it) */
  double timeout;          /* seconds a worker may take for one child before the job ends (0: no limit) */
  long *inflight;          /* rank 0: the sample each worker evaluates, or -1 */
  double *since;           /* rank 0: when it was sent */
  char **hosts;            /* rank 0: each worker's host */
  const search_shared *inner; /* rank 0, the shared evaluator: its own hooks (dist_share) */
  search_shared shared;    /* rank 0, the shared evaluator: the hooks the search gets */
  long version;            /* rank 0, the shared evaluator: rounds of training so far */
  long *has;               /* rank 0, the shared evaluator: the version each worker holds (-1: none) */
  strbuf store;            /* rank 0, the shared evaluator: the weights of `version`, as a file's bytes */
  long store_version;      /* and which version those bytes are (-1: none) */
  double waited;           /* rank 0: seconds spent waiting for answers */
  long answers;            /* rank 0: answers taken */
  strbuf buf;              /* a message */
  search_pool pool;        /* rank 0: the workers, for search_opts.pool */
} dist;

/* Starts MPI when naslc was started by mpirun (or another MPI launcher);
 * else a serial run (rank 0, size 1). 0, or an exit status after printing
 * why (a build without MPI started with several ranks: EXIT_USAGE). */
int dist_begin(dist *d);

/* A worker's whole life (ranks > 0): open the evaluator of g (NULL: the
 * file did not compile, status says why), say whether it is ready, then
 * evaluate requests until rank 0 says stop. Returns the exit status. */
int dist_work(dist *d, grammar *g, int status, int threads);

/* Rank 0: waits until every worker has said whether it is ready (and has
 * the space called space); 0 and the pool in d->pool, or an exit status
 * after printing which ranks are not ready and why. */
int dist_gather(dist *d, const char *space, int quiet);

/* Rank 0, the shared evaluator: the hooks to give the search in *outer:
 * inner's, with training that marks the weights changed, so that a worker
 * gets them (as a safetensors file's bytes) before its next child. */
void dist_share(dist *d, const search_shared *inner, search_shared *outer);

/* Rank 0, after an error with children in flight: prints which and ends the
 * whole job with status (does not return). */
void dist_abort(dist *d, int status);

/* Rank 0's signal handler: writes which samples are in flight on which
 * ranks to standard error (async-signal-safe; nothing when none are). */
void dist_note(void);

/* One line for --version: the MPI library, or that there is none. */
void dist_describe(strbuf *out);

/* Tells the workers to stop (rank 0) and finalises MPI. */
void dist_end(dist *d);

#endif

/* run.h: one search run's state, shared by the synchronous loop
 * (search.c) and the asynchronous one (async.c). Private to runtime/search. */
#ifndef NASLC_RUN_H
#define NASLC_RUN_H

#include "nn/optim.h"
#include "runtime/search/controller.h"
#include "runtime/search/rundir.h"
#include "runtime/search/search.h"
#include "runtime/search/smap.h"

typedef struct run {
  const grammar *g;           /* the space */
  const grammar_search *cfg;  /* its search recipe */
  const search_opts *o;       /* the caller's options */
  search_eval_fn eval;        /* the evaluator */
  void *eval_ctx;             /* and its context */
  long budget;                /* samples in all */
  double minutes;             /* wall budget (0: none) */
  int reinforce;              /* a controller learns (else random search) */
  run_state s;                /* what the checkpoint holds */
  controller ctl;             /* REINFORCE: the controller */
  nn_optim opt;               /* REINFORCE: its optimizer */
  rundir_log known;           /* a resumed run: what its log holds */
  char log_path[4096];        /* dir/log.jsonl */
  int log;                    /* open for appending (fs_append_synced), or -1 */
  int lock;                   /* the run directory's lock (rundir_lock), or -1 */
  nn_ctx ctx;                 /* the controller's graph of the batch */
  controller_sample *batch;   /* the batch's samples */
  double *rewards;            /* and their rewards */
  strbuf key, line;           /* scratch: a sample's key and log line */
  double t0;                  /* when this call started */
  long start_samples;         /* samples settled before it */
  long done;                  /* samples settled by it */
  strbuf *err;                /* the first error */
  const search_shared *shared;/* the evaluator's weights, or NULL */
} run;

/* Evaluates sample idx with r->eval, or takes given (a worker's result; a
 * test figure the serial run would not have taken is dropped), and appends
 * its log line; r->key holds its canonical string. */
int run_evaluate(run *r, long idx, const arch *a, search_result *res, const search_result *given);
/* A sample settled without an evaluation: in the log of a resumed run, or
 * (unless the evaluator judges repeats again) a repeat of a logged
 * architecture (*hit; counted). 1 with its result in *res, else 0; r->key
 * holds its canonical string. */
int run_known(run *r, long idx, search_result *res, int *hit);
/* What follows a sample's reward: the caller's on_sample, best.json when
 * it beats the best, the progress line; r->key holds its canonical string. */
int run_took(run *r, long idx, const arch *a, const search_result *res, int hit);
/* REINFORCE over r->batch[0..k) (logp, entropy) and r->rewards[0..k). */
void run_update(run *r, int k);

/* The asynchronous loop (async.c): keeps every worker of r->o->pool busy
 * and updates the controller on each r->cfg->batch results as they come. */
int run_loop_async(run *r, search_summary *sum);

#endif

/* evaluate.h: the evaluators of a search: what turns an architecture into a
 * reward (search.h calls one through search_eval_fn).
 *
 *   train   each child is built and trained with the recipe's `train`
 *           block on data loaded once for the whole search: image children
 *           (runtime/train/train.h) or language models of a cell space
 *           (runtime/train/lm_train.h). The reward is the recipe's formula
 *           over the validation history; the test set is evaluated only for
 *           a child that beats the best so far (a full pass costs time). A
 *           child that cannot be built or trained gets SEARCH_FAILED_REWARD
 *           and a note, and the search goes on.
 *   table   the reward formula over a value looked up by the architecture's
 *           canonical string in a CSV table (NAS-Bench-201, say).
 *   shared  (CNN spaces) every child takes its weights from one store
 *           (runtime/models/shared.h) that the search trains as it goes:
 *           before each round of `batch` samples, `steps` training steps,
 *           each on one batch of the recipe's training data with an
 *           architecture drawn from the search's policy, update the store
 *           with the train block's optimizer at its learning rate (no
 *           schedule; its crops, flips and clip apply). An architecture's
 *           reward is the formula over its accuracy (a series of one) and
 *           loss on the first `valid` validation images under the store,
 *           batch norm with batch statistics. Its hooks (search_shared)
 *           keep the store in the checkpoint; a repeated architecture is
 *           judged again.
 *
 * A search_evaluator owns its data and table (search_evaluator_close); it
 * borrows the grammar. */
#ifndef NASLC_EVALUATE_H
#define NASLC_EVALUATE_H

#include "runtime/search/search.h"
#include "runtime/train/lm_train.h"
#include "runtime/models/shared.h"
#include "runtime/train/train.h"

typedef struct search_evaluator {
  const grammar *g;          /* the space and its recipes (borrowed) */
  search_eval_fn fn;         /* the evaluator, for search_run */
  train_data data;           /* train, image spaces: the data */
  corpus text;               /* train, cell spaces: the corpus */
  lm_data words;             /* its token streams */
  train_opts opts;           /* how children are trained (quiet, no test pass) */
  search_table *table;       /* table: the rewards */
  double simulate;           /* table: seconds each lookup sleeps ($NASLC_SIMULATE_SECONDS; benchmarks of
                                distributed runs), 0: none */
  shared_weights store;      /* shared: the weights */
  int moments;               /* shared: optimizer buffers per weight */
  int *perm, *labels;        /* shared: the epoch's order, a step's labels */
  long epoch;                /* shared: the epoch perm is for (-1: none) */
  nn_ctx ctx;                /* shared: every step and judgement (its memory kept) */
  rng ctx_rng;               /* shared: its draws, seeded per step */
  int ctx_ready;             /* shared: ctx is initialised */
  int64_t lm_len;            /* shared, cell spaces: tokens per training stream (0: an image space) */
  int lm_batch, lm_bptt;     /* shared, cell spaces: streams, steps per segment */
  float *lm_state;           /* shared, cell spaces: h then c, carried from step to step */
  int *seg_in, *seg_out;     /* shared, cell spaces: a segment's ids */
  search_shared hooks;       /* shared: the loop's side (ctx is e) */
  const search_shared *shared; /* &hooks for the shared evaluator, else NULL (search_opts.shared) */
} search_evaluator;

/* Prepares the evaluator g's search recipe names, loading its data (saying
 * so on stderr unless quiet) or table; children train on `threads` threads.
 * 0, or a search_error with a reason in err: SEARCH_E_FILE (data or table
 * unreadable) or SEARCH_E_UNSUPPORTED (a space this evaluator cannot
 * train). Pass e to search_run as the evaluator's context. */
int search_evaluator_open(search_evaluator *e, const grammar *g, int threads, int quiet, strbuf *err);
void search_evaluator_close(search_evaluator *e);

/* The shared evaluator's part of search_evaluator_open (sharedeval.c), once
 * the data is loaded. */
int search_shared_open(search_evaluator *e, strbuf *err);

#endif

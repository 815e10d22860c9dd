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
 *
 * A search_evaluator owns its data and table (search_evaluator_close); it
 * borrows the grammar. */
#ifndef NASLC_EVALUATE_H
#define NASLC_EVALUATE_H

#include "runtime/search/search.h"
#include "runtime/train/lm_train.h"
#include "runtime/train/train.h"

typedef struct search_evaluator {
  const grammar *g;          /* the space and its recipes (borrowed) */
  search_eval_fn fn;         /* the evaluator, for search_run */
  train_data data;           /* train, image spaces: the data */
  corpus text;               /* train, cell spaces: the corpus */
  lm_data words;             /* its token streams */
  train_opts opts;           /* how children are trained (quiet, no test pass) */
  search_table *table;       /* table: the rewards */
} search_evaluator;

/* Prepares the evaluator g's search recipe names, loading its data (saying
 * so on stderr unless quiet) or table; children train on `threads` threads.
 * 0, or a search_error with a reason in err: SEARCH_E_FILE (data or table
 * unreadable) or SEARCH_E_UNSUPPORTED (a space this evaluator cannot
 * train). Pass e to search_run as the evaluator's context. */
int search_evaluator_open(search_evaluator *e, const grammar *g, int threads, int quiet, strbuf *err);
void search_evaluator_close(search_evaluator *e);

#endif

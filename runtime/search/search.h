/* search.h: the search loop. Sample a batch of architectures (the controller,
 * or uniformly for random search), evaluate each once (a repeated
 * architecture reuses its reward: a dedupe hit), then for REINFORCE update
 * the controller with
 *     grad = (1/m) sum_k (R_k - b) grad sum_t log P(a_t | a_<t)
 * (plus the entropy bonus), b an exponential moving average of the rewards.
 *
 * The run directory holds:
 *   log.jsonl          one line per evaluated sample, appended and fsync'd
 *                      as soon as the child is done (a kill -9 loses at most
 *                      the child in flight)
 *   best.json          the record of the best architecture so far (with its
 *                      reward and, when trained, test accuracy)
 *   checkpoint.safetensors  controller weights, optimizer moments, and in its
 *                      metadata the baseline, the RNG state, samples done,
 *                      dedupe hits; written atomically after every update
 *   shared-R.safetensors  the shared evaluator's weights and optimizer
 *                      buffers after R rounds of training (search_shared),
 *                      written before the checkpoint that names R; older
 *                      ones are removed once it is written
 *   lock               held (flock) by the process that runs the search, with
 *                      its process id inside; the kernel releases it when that
 *                      process ends, however it ends
 * A resumed run restores the checkpoint and re-draws the batch it was in: the
 * same seed gives the same samples, and those already in the log take their
 * logged reward instead of being trained again.
 *
 * A write that fails (a full disk, an I/O error) stops the search with
 * SEARCH_E_FILE and a message naming the file; what is on disk is still a
 * state to resume from: a log line is appended whole or not at all
 * (fs_append_synced), the checkpoint and best.json are replaced atomically.
 * A run that fails before its first checkpoint (written before any child is
 * evaluated) has nothing to resume; --resume says so, and the run starts
 * again with --dir. */
#ifndef NASLC_SEARCH_H
#define NASLC_SEARCH_H

#include "grammar/arch.h"

typedef struct search_result {
  double best_before;        /* in: the best reward of the run so far (-inf at first) */
  double reward;             /* what the strategy learns from */
  int ok;                    /* evaluated (0: rejected; reward is search_failed_reward) */
  double seconds;            /* evaluation time */
  int64_t params, flops;     /* of the child, when trained */
  double test_metric;        /* when trained: the test accuracy, or perplexity for a
                                language model (grammar_is_lm); NAN when not tested */
  int epochs;                /* entries of valid_metric */
  double valid_metric[64];   /* the validation history (first 64 epochs) in the same
                                metric */
  char note[256];            /* why it was rejected, or "" */
  int async;                 /* settled by an asynchronous run: the log gives staleness */
  long staleness;            /* asynchronous: controller updates between its draw and its result */
} search_result;

/* What went wrong when a search stops on an error; the command line turns
 * each into its own exit status. */
typedef enum search_error {
  SEARCH_OK = 0,             /* no error */
  SEARCH_E_FILE = -1,        /* a file or directory cannot be read or written */
  SEARCH_E_REWARD = -2,      /* the reward formula cannot be evaluated */
  SEARCH_E_UNSUPPORTED = -3, /* the space cannot be searched with its evaluator */
  SEARCH_E_INTERNAL = -4,    /* the controller drew something the grammar rejects (a bug) */
  SEARCH_E_BUSY = -5,        /* another process holds the run directory */
  SEARCH_E_EXISTS = -6,      /* a new run into a directory that holds one */
  SEARCH_E_TRAINING = -7     /* training the evaluator's own weights failed (a loss that is not finite) */
} search_error;

/* Evaluates one architecture; key is its canonical string. Returns 0 (with
 * res->ok 0 for an architecture that cannot be built), or a search_error to
 * stop the search (a data file that cannot be read, say) with a message. */
typedef int (*search_eval_fn)(void *ctx, const arch *a, const char *key, search_result *res, strbuf *err);

/* The reward given to an architecture that cannot be built or trained. */
#define SEARCH_FAILED_REWARD 0.0

/* Draws the architecture of one shared-weight training step from the
 * search's policy (the controller, or uniformly for random search). */
typedef int (*search_draw_fn)(void *draw_ctx, arch *out, strbuf *err);

/* What an evaluator with weights of its own (the shared evaluator,
 * evaluate.h) adds to the loop. Before the first sample of each round of
 * `batch` samples (the search recipe's batch, for random search too), train
 * trains the weights for round `round` (0-based), drawing each step's
 * architecture with draw; the draws come from the state the batch then goes
 * on drawing from, so a resumed round draws the same. The weights are saved
 * with the checkpoint as dir/shared-<rounds>.safetensors (save; rounds:
 * rounds trained), the checkpoint naming the file, and read back by load
 * on --resume. train returns early (0) when *stop is set; the batch then
 * stops before its first sample, and a resumed run trains the round again. Such an evaluator judges a repeated architecture again (the
 * weights have moved): no dedupe hits. */
typedef struct search_shared {
  void *ctx;
  int (*train)(void *ctx, long round, search_draw_fn draw, void *draw_ctx, volatile int *stop, strbuf *err);
  int (*save)(void *ctx, const char *path, strbuf *err);
  int (*load)(void *ctx, const char *path, strbuf *err);
  /* The ranking that ends a search which ran out of samples or minutes:
   * `rank` architectures drawn from the final policy (from the state the
   * next batch would have drawn from), each judged by judge (on the whole
   * validation split, as search_eval_fn), written best first to
   * dir/ranked.jsonl (log lines, "sample" the draw's number; atomically, and
   * taken as it is by a resumed run). The final stage retrains the best of
   * that file instead of the log's. */
  int rank;
  search_eval_fn judge;
} search_shared;

/* Evaluation elsewhere: worker processes (cli/mpi.c, over MPI) that each
 * evaluate one child at a time. The loop hands each child that needs an
 * evaluation to submit, never more than `workers` at once, and takes
 * results back from wait in whatever order they finish; it settles the
 * samples in sample order, so the log, best.json and the controller are
 * those of the serial run (the synchronous mode). A child's test pass runs
 * when it beats best_before, the best reward settled when it was
 * submitted; the loop drops a test figure that the serial run would not
 * have taken (the child does not beat the best settled before it). */
typedef struct search_pool {
  void *ctx;
  int workers;   /* children that can be in flight at once (>= 1) */
  /* Starts the evaluation of sample's architecture a (key: its canonical
   * string). 0, or a search_error with a message. */
  int (*submit)(void *ctx, long sample, const arch *a, const char *key, double best_before, strbuf *err);
  /* Waits for one child in flight to finish: its sample and its result
   * (as search_eval_fn fills it). 0, or a search_error with a message (a
   * worker failed, or its evaluator stopped the search). */
  int (*wait)(void *ctx, long *sample, search_result *res, strbuf *err);
} search_pool;

typedef struct search_opts {
  const char *dir;       /* run directory (created) */
  int resume;            /* continue the run in dir */
  int quiet;             /* no progress lines */
  long samples;          /* budget; 0: the recipe's */
  double minutes;        /* wall budget; 0: the recipe's (0 there: none) */
  const char *file;      /* the .nasl file, recorded in the log */
  volatile int *stop;    /* set (by a signal handler) to stop after the child in flight */
  /* called after every sample (repeats included), or NULL */
  void (*on_sample)(void *ctx, long sample, double reward, int repeat);
  void *on_sample_ctx;
  int threads;           /* the final stage's training threads (0: 1) */
  const search_shared *shared; /* the evaluator's weights, or NULL */
  const search_pool *pool;     /* evaluate on workers (search_pool), or NULL: here, with eval */
  int async;                   /* with pool, a new run: the asynchronous mode (a resumed run keeps its own) */
} search_opts;

/* One model of the final stage. */
typedef struct search_final {
  int rank;              /* 1: the search's best architecture */
  long sample;           /* the sample that found it (ranked: its draw in the ranking, from 0) */
  double reward;         /* its reward in the search (ranked: in the ranking) */
  int ranked;            /* it comes from a shared-weight search's ranking, not from the log */
  char key[512];         /* its canonical string */
  int ok;                /* trained and saved (0: note says why not) */
  int reused;            /* found complete in the run directory (a resumed run) */
  double test;           /* test accuracy, or perplexity for a language model */
  double valid;          /* the last epoch's validation figure, or NAN */
  double seconds;        /* training time, or NAN */
  int64_t params;        /* parameters */
  char note[256];        /* why it was not trained */
} search_final;

#define SEARCH_FINAL_MAX 20 /* the largest `top` of a final block */

typedef struct search_summary {
  long samples;          /* samples drawn in all (resumed runs included) */
  long evaluated;        /* children evaluated (not dedupe hits) */
  long hits;             /* dedupe hits */
  double best_reward;    /* best so far */
  double best_test;      /* its test accuracy, or perplexity (trained children; else NAN) */
  char best_key[512];    /* its canonical string */
  int stopped;           /* stopped early by *stop */
  int ranked;            /* candidates in dir/ranked.jsonl (a shared-weight search; 0: none) */
  double ranked_reward;  /* the best one's reward there */
  char ranked_key[512];  /* and its canonical string */
  int nfinal;            /* models of the final stage done (a final block) */
  search_final final[SEARCH_FINAL_MAX]; /* final[0..nfinal) */
} search_summary;

/* Runs (or with o->resume continues) the search of g in o->dir. 0 when the
 * budget is spent or *o->stop was set (sum->stopped), else a search_error
 * with a reason in err; *sum is filled either way. With a final block
 * (g->has_final), a search that ends (its samples or minutes spent, not
 * stopped) goes on to the final stage, search_final_stage. */
int search_run(const grammar *g, const search_opts *o, search_eval_fn eval, void *eval_ctx,
               search_summary *sum, strbuf *err);

/* The final stage (final.c), run by search_run with the run directory held:
 * the g->final.top best distinct architectures of the log (of
 * dir/ranked.jsonl after a shared-weight search, search_shared; evaluated
 * without error, by reward, ties to the earlier sample) are each trained
 * from scratch with g->final, tested, and saved in o->dir/final/RANK/
 * (train_save: arch.json, history.json, weights.safetensors), RANK = 1 for
 * the best. A rank already saved for the same architecture is kept, so a
 * resumed run trains again only the model that was in flight and those
 * after it; *o->stop is checked between models. Fills sum->final; 0, or a
 * search_error. */
int search_final_stage(const grammar *g, const search_opts *o, search_summary *sum, strbuf *err);

/* The canonical string of an architecture: the NAS-Bench-201 string for a DAG
 * cell with edges: all, else "d<depth>:" and the tokens. */
void search_key(const arch *a, strbuf *out);

/* A table of rewards: a CSV file whose column `key` holds canonical strings
 * and column `column` the values. */
typedef struct search_table search_table;
int search_table_load(const char *path, const char *key, const char *column, search_table **out, strbuf *err);
void search_table_free(search_table *t);
/* The value for key, or NAN when the table has no such row. */
double search_table_lookup(const search_table *t, const char *key);

#endif

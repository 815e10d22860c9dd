/* loop.h: the one training loop, and what a model shows it.
 *
 * Every network naslc trains -- the image child of a CNN space
 * (runtime/train/train.h), the language model of a cell space
 * (runtime/train/lm_train.h), and whatever comes next (a DAG-cell network, a
 * child of a shared-weight supernet) -- is handed to train_run as a
 * train_model: its parameters, its sizes, the metric it is judged by, and
 * four callbacks that know its data (begin an epoch, the loss of one step,
 * backward, evaluate a split). train_run does the rest the same way for all:
 * the recipe's optimizer and learning-rate schedule; epochs of steps
 * (forward, a check that the loss is finite, zeroed gradients, backward, a
 * check that a plug-in's backward did not fail, gradient-norm clipping, the
 * optimizer's update); the progress bar and the epoch line on stderr;
 * validation after every epoch; the test pass; the recipe's reward formula
 * over the validation series; the time it took.
 *
 * Randomness. The loop draws nothing itself. Every draw of training
 * (shuffles, crops and flips, dropout masks) comes from the model's rng in
 * the order its callbacks make them, so the same seed trains the same
 * network bit for bit whatever the loop around it.
 *
 * Ownership. train_run borrows the model (and everything it points to) for
 * the call; the series of a train_report are malloc'd by train_run and
 * freed by train_report_free. */
#ifndef NASLC_LOOP_H
#define NASLC_LOOP_H

#include "grammar/grammar.h"
#include "nn/optim.h"

/* What a model is judged by. It decides the reward's series
 * (valid_accuracy or valid_perplexity), the names of the figures in
 * history.json and the run log, and how training reads on stderr (batches
 * of images or segments of words). */
typedef enum train_metric {
  TRAIN_ACCURACY,   /* the fraction of examples classified right: higher is better */
  TRAIN_PERPLEXITY  /* exp of the mean cross-entropy per word: lower is better */
} train_metric;

/* The splits a model is evaluated on besides its training data. */
typedef enum train_split {
  TRAIN_VALID,  /* held out of the training data, after every epoch */
  TRAIN_TEST    /* the test set, once at the end */
} train_split;

/* A model as the loop sees it. Every callback gets `self` first. */
typedef struct train_model {
  void *self;           /* the model and its data, for the callbacks; borrowed */
  nn_params *params;    /* what the optimizer updates; borrowed */
  rng *rng;             /* every draw of training: the steps' ctx->rng (dropout), the callbacks' shuffles; borrowed */
  int64_t nparams;      /* trainable values, for the report and the reward */
  int64_t flops;        /* forward FLOPs per example, for the report and the reward */
  train_metric metric;  /* what evaluate returns, and how the loop reports it */
  /* Begins epoch `epoch` (0-based): shuffles the training examples, or
   * resets the recurrent state. Returns the number of steps of the epoch
   * (at least 1) and sets *examples to how many examples they hold in all. */
  int64_t (*begin_epoch)(void *self, int epoch, int64_t *examples);
  /* The forward pass of step `step` (0-based) of the current epoch in ctx
   * (reset, training mode, recording): the step's mean loss as a scalar on
   * ctx's tape, or NULL with ctx->error set. *examples gets how many
   * examples it held, *weight what its mean counts for in the epoch's mean
   * loss (1 for a batch; a segment's length, so that a language model's
   * mean is per word). */
  tensor *(*step_loss)(void *self, nn_ctx *ctx, int64_t step, int64_t *examples, double *weight);
  /* Adds d loss / d parameter into the parameters' gradients; a failure is
   * left in ctx->error. NULL: nn_backward. */
  void (*backward)(void *self, nn_ctx *ctx, tensor *loss);
  /* The metric and the mean loss on a split (evaluation mode), drawing
   * nothing from rng. An empty split is not an error: the model says what
   * it is worth (0 for accuracy, NAN for perplexity). 0, or -1 with a
   * reason in err. */
  int (*evaluate)(void *self, train_split split, int threads, double *metric, double *loss, strbuf *err);
} train_model;

/* How to run training (the recipe says what to train). */
typedef struct train_opts {
  int epochs;          /* 0: the recipe's */
  int threads;         /* worker threads (>= 1) */
  int quiet;           /* no progress output */
  int bar;             /* progress as a redrawn bar (a terminal), else a line per epoch */
  long samples_seen;   /* curriculum position (for the record only) */
  int skip_test;       /* do not evaluate the test set (a search does it for its best only) */
} train_opts;

/* What training produced, named for the model's metric: the figures are
 * accuracies or perplexities as `metric` says. */
typedef struct train_report {
  train_metric metric;   /* what valid_metric and test_metric measure */
  int epochs;            /* epochs trained: entries of the series */
  double *valid_metric;  /* per epoch, malloc'd: the metric on the validation split */
  double *valid_loss;    /* per epoch, malloc'd: the mean loss there (log of the perplexity) */
  double train_loss;     /* mean over the last epoch's steps, weighted as step_loss says */
  double test_metric;    /* on the test split; NAN when it was skipped */
  double test_loss;      /* mean loss there; NAN when skipped */
  double rate;           /* training examples (images or words) per second, last epoch, validation excluded */
  double seconds;        /* wall time of training and evaluation */
  double reward;         /* the recipe's reward formula (search recipe) */
  int reward_ok;         /* the formula could be evaluated */
  int64_t params, flops; /* of the model */
} train_report;

/* Frees the series and zeroes r; harmless on a zeroed report. */
void train_report_free(train_report *r);

/* The core's optimizer and schedule records for a recipe's. */
nn_optimizer train_optimizer(const grammar_optimizer *g);
nn_schedule train_schedule(const grammar_schedule *g);

/* Trains m with the recipe (its epochs unless o->epochs, batch sizes are
 * the model's business) and fills rep; with a reward formula (NULL: none)
 * evaluates it over the validation series of m's metric. 0, or -1 with a
 * reason in err and rep zeroed: a step that fails, a loss that is not
 * finite ("the loss became nan at epoch 3, batch 17; lower the learning
 * rate"; "segment" and "... or the clip" for perplexity), a gradient whose
 * norm is not finite although the loss is ("the gradient norm became inf at
 * epoch 3, batch 17 (the loss was 2.31); lower the learning rate": the
 * step updates no weight, though batch norm's running statistics have
 * seen its batch), a backward that fails,
 * an evaluation that fails. A reward that cannot be evaluated is no
 * failure (rep->reward_ok is 0). */
int train_run(const train_model *m, const grammar_train *recipe, const train_opts *o, const grammar_reward *reward,
              train_report *rep, strbuf *err);

#endif

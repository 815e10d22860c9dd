/* train.h: training a child network on images, the way the search's
 * evaluator and `naslc train` do: epochs of shuffled batches with the
 * recipe's optimizer and schedule, validation every epoch, test at the end,
 * and the reward formula on the validation history. */
#ifndef NASLC_TRAIN_H
#define NASLC_TRAIN_H

#include "nn/optim.h"
#include "runtime/models/child.h"
#include "runtime/data/dataset.h"

/* The data of a recipe, loaded once and shared by every child of a search:
 * training examples (after `subset`), the validation split held out of them
 * (seeded), the test set, all normalised with the training part's
 * per-channel statistics. */
typedef struct train_data {
  ds_images train, valid, test;  /* owned */
  child_shape shape;             /* of one image */
  int classes;                   /* labels are 0..classes-1 */
} train_data;

int train_data_load(const grammar_train *recipe, train_data *d, strbuf *err);
/* The shape and classes a dataset's images will have, without loading it. */
void train_data_shape(const grammar_dataset *ds, child_shape *shape, int *classes);
void train_data_free(train_data *d);

typedef struct train_opts {
  int epochs;          /* 0: the recipe's */
  int threads;         /* worker threads (>= 1) */
  int quiet;           /* no progress output */
  int bar;             /* progress as a redrawn bar (a terminal), else a line per epoch */
  long samples_seen;   /* curriculum position (for the record only) */
  int skip_test;       /* do not evaluate the test set (a search does it for its best only) */
} train_opts;

typedef struct train_report {
  int epochs;                /* epochs trained */
  double *valid_accuracy;    /* per epoch, malloc'd */
  double *valid_loss;        /* per epoch, malloc'd */
  double train_loss;         /* mean over the last epoch */
  double test_accuracy, test_loss;
  double *valid_perplexity;  /* language models: per epoch, malloc'd; else NULL */
  double test_perplexity;    /* language models */
  double rate;               /* training examples (images or words) per second, last epoch */
  double seconds;            /* wall time of training and evaluation */
  double reward;             /* the recipe's reward formula (search recipe) */
  int reward_ok;             /* the formula could be evaluated */
  int64_t params, flops;     /* of the child */
} train_report;

void train_report_free(train_report *r);

/* The core's optimizer and schedule records for a recipe's. */
nn_optimizer train_optimizer(const grammar_optimizer *g);
nn_schedule train_schedule(const grammar_schedule *g);

/* Builds and trains the child of a. On success the trained child is left in
 * *out (the caller frees it with child_free) and 0 is returned; -1 with a
 * message in err when the architecture cannot be built or training fails
 * (a NaN loss, say). */
int train_child(const grammar *g, const arch *a, const train_data *d, const train_opts *o, child *out,
                train_report *rep, strbuf *err);

/* Accuracy and mean loss of c on d (evaluation mode). */
int evaluate(child *c, const ds_images *d, int batch, int threads, double *accuracy, double *loss, strbuf *err);

/* Writes a trained model into dir (created with its parents): arch.json (the
 * record, see arch_record_json), history.json (the report: validation
 * series, test figures, parameters, FLOPs, time, reward) and
 * weights.safetensors (params, with the record and naslc's version in its
 * metadata), each replaced atomically. 0, or -1 with a reason. */
int train_save(const char *dir, const arch *a, const char *file, const nn_params *params, const train_report *rep,
               strbuf *err);

#endif

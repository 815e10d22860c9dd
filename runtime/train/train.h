/* train.h: training a child network on images, the way the search's
 * evaluator and `naslc train` do: the child of a CNN architecture is built
 * and handed to the training loop (runtime/train/loop.h) as a model whose
 * steps are shuffled batches (with the recipe's crops and flips) under
 * softmax cross-entropy and whose metric is accuracy. Also the recipe's
 * image data, and the saved form of any trained model (train_save). */
#ifndef NASLC_TRAIN_H
#define NASLC_TRAIN_H

#include "runtime/data/dataset.h"
#include "runtime/models/child.h"
#include "runtime/train/loop.h"

/* The data of a recipe, loaded once and shared by every child of a search:
 * training examples (after `subset`), the validation split held out of them
 * (seeded), the test set, all normalised with the training part's
 * per-channel statistics. */
typedef struct train_data {
  ds_images train, valid, test;  /* owned */
  child_shape shape;             /* of one image */
  int classes;                   /* labels are 0..classes-1 */
} train_data;

/* Loads the recipe's data: 0, or -1 with the reason in err (the loaders'
 * messages, which name the file). The classes are the dataset's as declared
 * (grammar_dataset.classes); a label outside them, in the training or the
 * test file, is an error, and so are test images of another size than the
 * training images. */
int train_data_load(const grammar_train *recipe, train_data *d, strbuf *err);
/* The shape and classes a dataset's images will have, without loading it
 * (the shape is the loader's standard one: 1x28x28 or 3x32x32). */
void train_data_shape(const grammar_dataset *ds, child_shape *shape, int *classes);
void train_data_free(train_data *d);

/* Builds the child of a for d and trains it with g's recipe through
 * train_run (the reward is g's search recipe's). On success the trained
 * child is left in *out (the caller frees it with child_free), rep holds
 * accuracies (train_report_free) and 0 is returned; -1 with a message in
 * err and nothing to free when the architecture cannot be built or
 * training fails (a NaN loss, say). */
int train_child(const grammar *g, const arch *a, const train_data *d, const train_opts *o, child *out,
                train_report *rep, strbuf *err);

/* Accuracy and mean loss of c on d (evaluation mode). */
int train_evaluate(child *c, const ds_images *d, int batch, int threads, double *accuracy, double *loss, strbuf *err);
/* The same in ctx, whose memory (arena, scratch) it keeps for the next
 * call: a caller that evaluates many children keeps one context instead of
 * faulting in new memory for each. ctx's mode is left as it was. */
int train_evaluate_in(nn_ctx *ctx, child *c, const ds_images *d, int batch, double *accuracy, double *loss,
                      strbuf *err);

/* Writes a trained model into dir (created with its parents): arch.json (the
 * record, see arch_record_json), history.json (the report, its figures
 * named for rep->metric: valid_accuracy, valid_loss, test_accuracy and
 * test_loss, or valid_perplexity, test_perplexity and words_per_second;
 * then params, flops, seconds and the reward) and weights.safetensors
 * (params, with the record and naslc's version in its metadata). The three
 * are replaced as one set (fs_dirset, common/fsutil.h): a reader of dir, or
 * dir after a crash or a failed write, holds the whole old set or the whole
 * new one. 0, or -1 with a reason (the old set untouched, unless the reason
 * says the new one is in place but its directory could not be synced). */
int train_save(const char *dir, const arch *a, const char *file, const nn_params *params, const train_report *rep,
               strbuf *err);
/* What train_save will need, checked before any training: dir exists or is
 * created, holds nothing but the files of a saved model, and a new set can
 * be written beside it (fs_dirset_check). 0, or -1 with a reason. */
int train_save_check(const char *dir, strbuf *err);

#endif

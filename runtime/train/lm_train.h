/* lm_train.h: training the language-model child of a cell space (see
 * runtime/models/lm.h for the network) through the training loop
 * (runtime/train/loop.h), the way train.h trains an image child.
 *
 * Training follows the word-level recipe of Zaremba et al. and the NAS-RNN
 * paper: the training tokens are laid out as `batch` parallel streams, and
 * each step of the loop is one segment of truncated back-propagation
 * through time over `bptt` steps (lm_backward), with the state carried (and
 * detached) from one segment to the next; the loop adds gradient-norm
 * clipping, the recipe's optimizer and schedule, validation perplexity
 * after every epoch and test perplexity at the end. */
#ifndef NASLC_LM_TRAIN_H
#define NASLC_LM_TRAIN_H

#include "runtime/data/corpus.h"
#include "runtime/models/lm.h"
#include "runtime/train/train.h"

/* The ids of segment [pos, pos + T) of `batch` streams of length L laid out
 * one after the other in tokens: inputs at pos + t, targets at pos + t + 1
 * (stream-major, as lm_segment_loss reads them). */
void lm_segment_ids(const int *tokens, int64_t L, int batch, int64_t pos, int T, int *in, int *out);

/* Perplexity of m on a token stream (evaluation mode; state from zero). */
int lm_evaluate(lm *m, const int *tokens, int64_t n, int batch, int bptt, int threads, double *perplexity,
                strbuf *err);

/* Trains the child of a (a cell architecture) on d the way train_child does
 * for images: rep's metric is perplexity, valid_metric holds it per epoch
 * (and valid_loss its log), test_metric the test perplexity unless
 * o->skip_test (NAN for an empty test split), and the reward. The trained
 * model is left in *out (lm_free). 0, or -1 with a reason and nothing to
 * free. */
int lm_train_child(const grammar *g, const arch *a, const lm_data *d, const train_opts *o, lm *out,
                   train_report *rep, strbuf *err);

/* Loads the corpus of recipe t (its `subset` caps the training words) into
 * *cp and points *d at its streams; unless quiet, says what it loads and
 * how much on stderr. 0, or -1 with a reason (cp then needs no freeing). */
int lm_data_load(const grammar_train *t, int quiet, corpus *cp, lm_data *d, strbuf *err);

#endif

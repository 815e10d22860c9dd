/* reward.h: the reward formula of a search recipe evaluated on what training
 * a child produced. */
#ifndef NASLC_REWARD_H
#define NASLC_REWARD_H

#include "grammar/grammar.h"
#include "common/strbuf.h"

/* The series are named as the formula names them; a model has the one of
 * its metric (train_run fills it from train_report's valid_metric) and
 * NULL for the other. */
typedef struct reward_inputs {
  int epochs;                    /* entries in the series */
  const double *valid_accuracy;  /* per epoch, in [0, 1] (image children), or NULL */
  const double *valid_loss;      /* per epoch */
  const double *valid_perplexity;/* per epoch (language models), or NULL */
  double params, flops;          /* of the child */
  double table;                  /* the table evaluator's value */
} reward_inputs;

/* The value, or 0 with a message in err when the formula cannot be evaluated
 * (an empty series, a series the child does not have, a division by zero, a
 * result that is not finite); *ok tells which. */
double reward_eval(const grammar_reward *r, const reward_inputs *in, int *ok, strbuf *err);

#endif

/* optim.h: optimizers, gradient-norm clipping and learning-rate schedules.
 *
 * The update rules (the recipes of grammar/grammar.h are converted to these
 * records by runtime/train/train.h):
 *   SGD:  g = grad + wd * p;  buf = momentum * buf + g (buf = g at the first
 *         step);  g = nesterov ? g + momentum * buf : buf;  p -= lr * g
 *   Adam: g = grad + wd * p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
 *         p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * Parameters whose requires_grad is 0 (batch-norm running statistics) are
 * left alone. The optimizer owns its state (allocated by nn_optim_init,
 * released by nn_optim_free); it borrows the parameters. */
#ifndef NASLC_OPTIM_H
#define NASLC_OPTIM_H

#include "nn/tensor.h"

typedef enum nn_optimizer_kind { NN_SGD, NN_ADAM } nn_optimizer_kind;

typedef struct nn_optimizer {
  nn_optimizer_kind kind;   /* SGD or Adam */
  double lr;                /* learning rate */
  double momentum;          /* SGD */
  int nesterov;             /* SGD */
  double weight_decay;      /* both (L2 added to the gradient) */
  double beta1, beta2, eps; /* Adam */
} nn_optimizer;

typedef enum nn_schedule_kind { NN_SCHED_CONSTANT, NN_SCHED_STEP, NN_SCHED_COSINE } nn_schedule_kind;

typedef struct nn_schedule {
  nn_schedule_kind kind;  /* how lr changes over epochs */
  int every;              /* STEP: epochs between decays */
  double gamma;           /* STEP: factor per decay */
  double min_lr;          /* COSINE: final learning rate */
} nn_schedule;

typedef struct nn_optim {
  nn_optimizer cfg;       /* kind and hyperparameters */
  long step;              /* updates done */
  int n;                  /* parameters, in store order */
  float **m;              /* momentum buffer (SGD) or first moment (Adam) */
  float **v;              /* second moment (Adam) */
  int threads;            /* a large tensor's update is split over this many (0 or 1: none) */
} nn_optim;

void nn_optim_init(nn_optim *o, const nn_optimizer *cfg, const nn_params *p);
void nn_optim_step(nn_optim *o, nn_params *p, double lr);
void nn_optim_free(nn_optim *o);

/* Scales every gradient by max_norm / norm when their joint L2 norm exceeds
 * max_norm (> 0; 0 only measures). Returns the norm before clipping, which
 * is not finite when a gradient overflowed (the gradients are then not to
 * be used). The sum of squares is
 * taken in blocks of 65536 values, added in a fixed order. */
double nn_clip_grad_norm(nn_params *p, double max_norm);
/* The same, the blocks split over nth threads: the same result for every
 * nth. */
double nn_clip_grad_norm_mt(nn_params *p, double max_norm, int nth);
/* Zeroes every gradient of p (nn_params_zero_grad) on nth threads. */
void nn_zero_grad(nn_params *p, int nth);

/* Learning rate for epoch e (0-based) of E, starting from base_lr:
 *   constant: base;  step: base * gamma^floor(e / every);
 *   cosine:   min + (base - min) * (1 + cos(pi * e / E)) / 2 */
double nn_schedule_lr(const nn_schedule *s, double base_lr, int epoch, int epochs);

#endif

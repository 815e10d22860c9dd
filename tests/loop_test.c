/* loop_test.c: the training loop (runtime/train/loop.h) on its own, with a
 * toy model whose every figure is known: logistic regression of two
 * classes of points in the plane. It must learn; a loss that stops being
 * finite, a step or a backward that fails, and an evaluation that fails
 * must stop it with their exact messages; the epoch's mean loss must be
 * weighted as the steps say; the reward must be computed over the series
 * of the model's metric; and the loop must draw nothing from the model's
 * generator. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compile.h"
#include "nn/parallel.h"
#include "runtime/data/dataset.h"
#include "runtime/train/loop.h"
#include "stdlib/ops.h"
#include "tap.h"

enum { NTRAIN = 240, NVALID = 80, BATCH = 16 };

/* Points of class 1 are above the line x + y = 0, class 0 below, with one
 * label in ten flipped: a model can learn about 90% of them and no more. */
typedef struct toy_split {
  float x[NTRAIN][2];  /* the points */
  int y[NTRAIN];       /* their classes */
  int n;               /* points in use */
} toy_split;

/* The model and its data, with faults to inject (1-based; 0: none). */
typedef struct toy {
  nn_params params;        /* w [2, 2], b [2] */
  tensor *w, *b;           /* dense layer: logits = x w^T + b */
  toy_split train, valid;  /* the splits (the test split is the validation one) */
  rng *r;                  /* shuffles */
  int perm[NTRAIN];        /* this epoch's order */
  int labels[BATCH];       /* the step's classes */
  int epoch;               /* the current one (0-based) */
  train_metric metric;     /* what evaluate returns */
  int nan_epoch, nan_step; /* make the loss of this step NAN */
  float bad_loss;          /* ... or this value (NAN, INFINITY) */
  int fail_step;           /* make this step's forward fail */
  int fail_backward_step;  /* make this step's backward fail */
  int inf_grad_step;       /* make this step's gradient infinite (its loss stays finite) */
  float w_seen[4], b_seen[2]; /* the weights that step's forward saw */
  int fail_evaluate;       /* make evaluation fail */
  int64_t steps_run;       /* forward passes made */
  double sum, weight;      /* the current epoch's weighted losses and weights, as the toy counts them */
} toy;

static void toy_points(toy_split *s, int n, uint64_t seed) {
  rng r;
  rng_seed(&r, seed);
  s->n = n;
  for (int i = 0; i < n; i++) {
    float a = (float)(rng_uniform(&r) * 4 - 2), b = (float)(rng_uniform(&r) * 4 - 2);
    s->y[i] = (a + b > 0) ^ (rng_uniform(&r) < 0.1);
    s->x[i][0] = a;
    s->x[i][1] = b;
  }
}

static void toy_init(toy *t, rng *r) {
  memset(t, 0, sizeof *t);
  nn_params_init(&t->params);
  t->w = nn_param(&t->params, "w", 2, (int[]){2, 2});
  t->b = nn_param(&t->params, "b", 1, (int[]){2});
  toy_points(&t->train, NTRAIN, 1);
  toy_points(&t->valid, NVALID, 2);
  t->r = r;
  t->metric = TRAIN_ACCURACY;
  t->bad_loss = NAN;
}

static int64_t toy_begin_epoch(void *self, int epoch, int64_t *examples) {
  toy *t = self;
  t->epoch = epoch;
  t->sum = t->weight = 0;
  ds_shuffle(t->train.n, t->perm, t->r);
  *examples = (int64_t)(t->train.n / BATCH) * BATCH;
  return t->train.n / BATCH;
}

/* The step's weight is 1, 2 or 3 in turn, so that a loop that ignored
 * weights would get the epoch's mean wrong. */
static tensor *toy_step_loss(void *self, nn_ctx *ctx, int64_t step, int64_t *examples, double *weight) {
  toy *t = self;
  t->steps_run++;
  if (step + 1 == t->fail_step) return nn_fail(ctx, "the toy's forward failed");
  if (t->steps_run == t->inf_grad_step)
    memcpy(t->w_seen, t->w->data, sizeof t->w_seen), memcpy(t->b_seen, t->b->data, sizeof t->b_seen);
  tensor *x = nn_new2(ctx, BATCH, 2);
  for (int i = 0; i < BATCH; i++) {
    int k = t->perm[step * BATCH + i];
    x->data[2 * i] = t->train.x[k][0];
    x->data[2 * i + 1] = t->train.x[k][1];
    t->labels[i] = t->train.y[k];
  }
  tensor *loss = nn_softmax_xent(ctx, nn_dense(ctx, x, t->w, t->b), t->labels);
  if (loss && t->epoch + 1 == t->nan_epoch && step + 1 == t->nan_step) loss->data[0] = t->bad_loss;
  *examples = BATCH;
  *weight = 1 + step % 3;
  if (loss) {
    t->sum += (double)loss->data[0] * *weight;
    t->weight += *weight;
  }
  return loss;
}

static void toy_backward(void *self, nn_ctx *ctx, tensor *loss) {
  toy *t = self;
  nn_backward(ctx, loss);
  if (t->steps_run == t->fail_backward_step) nn_fail(ctx, "the toy's backward failed");
  if (t->steps_run == t->inf_grad_step) t->w->grad[1] = INFINITY;
}

/* Accuracy, or exp of the mean loss as a perplexity, worked out by hand. */
static int toy_evaluate(void *self, train_split split, int threads, double *metric, double *loss, strbuf *err) {
  (void)split, (void)threads;
  toy *t = self;
  if (t->fail_evaluate) {
    strbuf_puts(err, "the toy cannot be evaluated");
    return -1;
  }
  const float *w = t->w->data, *b = t->b->data;
  double total = 0;
  int right = 0;
  for (int i = 0; i < t->valid.n; i++) {
    double z[2];
    for (int k = 0; k < 2; k++) z[k] = w[2 * k] * t->valid.x[i][0] + w[2 * k + 1] * t->valid.x[i][1] + b[k];
    double m = fmax(z[0], z[1]), lse = m + log(exp(z[0] - m) + exp(z[1] - m));
    total += lse - z[t->valid.y[i]];
    right += (z[1] > z[0]) == t->valid.y[i];
  }
  *loss = total / t->valid.n;
  *metric = t->metric == TRAIN_ACCURACY ? (double)right / t->valid.n : exp(*loss);
  return 0;
}

static train_model toy_model(toy *t) {
  train_model m = {.self = t, .params = &t->params, .rng = t->r, .nparams = 6, .flops = 8, .metric = t->metric,
                   .begin_epoch = toy_begin_epoch, .step_loss = toy_step_loss, .backward = toy_backward,
                   .evaluate = toy_evaluate};
  return m;
}

/* A recipe for the toy (the space is there because a file needs one). */
static grammar *toy_recipe(const char *reward) {
  char text[512];
  snprintf(text, sizeof text,
           "space s { layer { relu } }\n"
           "train { epochs: 6; batch: 16; optimizer: sgd(lr: 0.02); clip: 5 }\n"
           "search reinforce { reward: %s }\n",
           reward);
  nasl_diag d;
  nasl_diag_init(&d, stderr);
  grammar *g = nasl_compile_text("loop.nasl", text, strlen(text), NULL, &d);
  nasl_diag_free(&d);
  return g;
}

static const train_opts quiet = {0, 1, 1, 0, 0, 0};

static void test_learns(void) {
  grammar *g = toy_recipe("max(valid_accuracy, last: 2) ^ 3");
  if (!g) {
    tap_result(0, "the toy recipe compiles");
    return;
  }
  rng r;
  rng_seed(&r, 7);
  toy t;
  toy_init(&t, &r);
  train_model m = toy_model(&t);
  train_report rep;
  strbuf err;
  strbuf_init(&err);
  double untrained, chance; /* all weights 0: every logit 0, the loss log 2 */
  toy_evaluate(&t, TRAIN_VALID, 1, &chance, &untrained, &err);
  int rc = train_run(&m, &g->train, &quiet, g->search.reward, &rep, &err);
  tap_result(rc == 0, "the toy trains (%s)", err.data);
  if (rc == 0) {
    tap_result(rep.epochs == 6 && rep.metric == TRAIN_ACCURACY && rep.params == 6 && rep.flops == 8,
               "the report has 6 epochs of accuracy and the model's sizes");
    int falls = rep.valid_loss[0] < untrained;
    for (int e = 1; e < 6; e++) falls &= rep.valid_loss[e] < rep.valid_loss[e - 1];
    tap_result(falls, "its validation loss falls every epoch (%.4f untrained, %.4f, ..., %.4f)", untrained,
               rep.valid_loss[0], rep.valid_loss[5]);
    tap_result(rep.valid_metric[5] > 0.8, "it learns: valid accuracy %.3f (about 0.9 at best)", rep.valid_metric[5]);
    tap_result(rep.train_loss == t.sum / t.weight, "the epoch's loss is the steps' weighted mean (%.6f)",
               rep.train_loss);
    tap_result(rep.test_metric == rep.valid_metric[5], "the test pass runs (the toy's test split is its valid one)");
    double best = fmax(rep.valid_metric[4], rep.valid_metric[5]);
    tap_result(rep.reward_ok && rep.reward == best * best * best,
               "the reward is computed over the accuracy series (%.6f)", rep.reward);
    tap_result(t.steps_run == 6 * (NTRAIN / BATCH), "every step of every epoch ran once");
  }
  /* the toy drew one shuffle per epoch, and nothing else may have drawn */
  rng replay;
  rng_seed(&replay, 7);
  int perm[NTRAIN];
  for (int e = 0; e < 6; e++) ds_shuffle(NTRAIN, perm, &replay);
  tap_result(!memcmp(&replay, &r, sizeof r), "the loop draws nothing from the model's generator");
  train_report_free(&rep);
  nn_params_free(&t.params);
  strbuf_free(&err);
  grammar_free(g);
}

/* Runs the toy with a fault; returns train_run's status, the message in err. */
static int run_faulty(const grammar *g, toy *t, const train_opts *o, train_report *rep, strbuf *err) {
  train_model m = toy_model(t);
  strbuf_clear(err);
  return train_run(&m, &g->train, o, g->search.reward, rep, err);
}

static void test_faults(void) {
  grammar *g = toy_recipe("80 / min(valid_perplexity) ^ 2");
  if (!g) {
    tap_result(0, "the toy recipe compiles");
    return;
  }
  rng r;
  rng_seed(&r, 7);
  toy t;
  train_report rep;
  strbuf err;
  strbuf_init(&err);
  const char *expect[] = {"the loss became nan at epoch 2, batch 3; lower the learning rate",
                          "the loss became nan at epoch 2, segment 3; lower the learning rate or the clip"};
  for (int metric = 0; metric < 2; metric++) {
    toy_init(&t, &r);
    t.metric = (train_metric)metric;
    t.nan_epoch = 2, t.nan_step = 3;
    int rc = run_faulty(g, &t, &quiet, &rep, &err);
    tap_result(rc == -1 && !strcmp(err.data, expect[metric]), "a NaN loss stops training: '%s'", err.data);
    tap_result(rep.epochs == 0 && !rep.valid_metric && !rep.valid_loss, "and leaves the report empty");
    tap_result(t.steps_run == NTRAIN / BATCH + 3, "no step runs after it");
    nn_params_free(&t.params);
  }
  toy_init(&t, &r);
  t.nan_epoch = 1, t.nan_step = 1, t.bad_loss = INFINITY;
  tap_result(run_faulty(g, &t, &quiet, &rep, &err) == -1 &&
                 !strcmp(err.data, "the loss became inf at epoch 1, batch 1; lower the learning rate"),
             "an infinite loss stops training: '%s'", err.data);
  nn_params_free(&t.params);
  toy_init(&t, &r);
  t.fail_step = 5;
  tap_result(run_faulty(g, &t, &quiet, &rep, &err) == -1 &&
                 !strcmp(err.data, "training failed: the toy's forward failed") && t.steps_run == 5,
             "a failed forward stops training: '%s'", err.data);
  nn_params_free(&t.params);
  toy_init(&t, &r);
  t.fail_backward_step = 4;
  tap_result(run_faulty(g, &t, &quiet, &rep, &err) == -1 &&
                 !strcmp(err.data, "training failed: the toy's backward failed") && t.steps_run == 4,
             "a failed backward (ctx->error) stops training: '%s'", err.data);
  nn_params_free(&t.params);
  toy_init(&t, &r);
  t.inf_grad_step = 6;
  int rc = run_faulty(g, &t, &quiet, &rep, &err);
  char want[200];
  snprintf(want, sizeof want, "the gradient norm became inf at epoch 1, batch 6 (the loss was ");
  tap_result(rc == -1 && !strncmp(err.data, want, strlen(want)) && strstr(err.data, "); lower the learning rate") &&
                 t.steps_run == 6,
             "a finite loss with an infinite gradient stops training at that step: '%s'", err.data);
  tap_result(!memcmp(t.w->data, t.w_seen, sizeof t.w_seen) && !memcmp(t.b->data, t.b_seen, sizeof t.b_seen),
             "and the weights stay as the step before left them");
  nn_params_free(&t.params);
  toy_init(&t, &r);
  t.fail_evaluate = 1;
  tap_result(run_faulty(g, &t, &quiet, &rep, &err) == -1 && !strcmp(err.data, "the toy cannot be evaluated") &&
                 t.steps_run == NTRAIN / BATCH,
             "a failed validation stops training after the first epoch: '%s'", err.data);
  nn_params_free(&t.params);
  strbuf_free(&err);
  grammar_free(g);
}

/* The perplexity series feeds a perplexity reward; a formula over a series
 * the model does not have is no failure, only no reward. */
static void test_reward_series(void) {
  const char *formulas[] = {"80 / min(valid_perplexity) ^ 2", "max(valid_accuracy)"};
  for (int f = 0; f < 2; f++) {
    grammar *g = toy_recipe(formulas[f]);
    if (!g) {
      tap_result(0, "the toy recipe compiles");
      continue;
    }
    rng r;
    rng_seed(&r, 3);
    toy t;
    toy_init(&t, &r);
    t.metric = TRAIN_PERPLEXITY;
    train_opts o = quiet;
    o.epochs = 3;
    o.skip_test = 1;
    train_report rep;
    strbuf err;
    strbuf_init(&err);
    train_model m = toy_model(&t);
    int rc = train_run(&m, &g->train, &o, g->search.reward, &rep, &err);
    if (f == 0) {
      double best = fmin(rep.valid_metric[0], fmin(rep.valid_metric[1], rep.valid_metric[2]));
      tap_result(rc == 0 && rep.epochs == 3 && rep.valid_metric[2] == exp(rep.valid_loss[2]),
                 "a perplexity model's series holds perplexities (%.4f)", rep.valid_metric[2]);
      tap_result(rep.reward_ok && rep.reward == 80 / (best * best), "the reward is computed over them (%.6f)",
                 rep.reward);
      tap_result(isnan(rep.test_metric) && isnan(rep.test_loss), "skip_test leaves the test figures NAN");
    } else {
      tap_result(rc == 0 && !rep.reward_ok, "a reward over valid_accuracy has no value for a perplexity model");
    }
    train_report_free(&rep);
    nn_params_free(&t.params);
    strbuf_free(&err);
    grammar_free(g);
  }
}

int main(void) {
  nn_threads_default(1);
  test_learns();
  test_faults();
  test_reward_series();
  return tap_done();
}

/* loop.c: the training loop (see loop.h). */
#include "runtime/train/loop.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "runtime/train/reward.h"

void train_report_free(train_report *r) {
  free(r->valid_metric);
  free(r->valid_loss);
  memset(r, 0, sizeof *r);
}

nn_optimizer train_optimizer(const grammar_optimizer *g) {
  nn_optimizer o = {g->kind == OPTIM_ADAM ? NN_ADAM : NN_SGD, g->lr, g->momentum, g->nesterov, g->weight_decay,
                    g->beta1, g->beta2, g->eps};
  return o;
}

nn_schedule train_schedule(const grammar_schedule *g) {
  nn_schedule s = {g->kind == SCHED_STEP ? NN_SCHED_STEP : g->kind == SCHED_COSINE ? NN_SCHED_COSINE : NN_SCHED_CONSTANT,
                   g->every, g->gamma, g->min_lr};
  return s;
}

/* One epoch in progress: what the progress bar, the epoch line and the
 * report are made of. */
typedef struct loop_epoch {
  int epoch, epochs;       /* this one (0-based), and how many in all */
  double lr;               /* its learning rate */
  int64_t step, steps;     /* steps done, and in the epoch */
  int64_t done, examples;  /* training examples done, and in the epoch */
  double sum, weight;      /* the steps' mean losses times their weights, and the weights */
  double start;            /* nasl_clock_seconds() when it began */
  double train_seconds;    /* of its steps */
  double seconds;          /* of its steps and its validation */
} loop_epoch;

/* The progress bar: fill of 24 for done of total. */
static void fill_bar(char bar[32], int64_t done, int64_t total) {
  int width = 24, fill = total ? (int)((double)done / (double)total * width) : width;
  for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
  bar[width] = 0;
}

static void accuracy_bar(const loop_epoch *ep, double loss, double rate, double eta) {
  char bar[32];
  fill_bar(bar, ep->step, ep->steps);
  fprintf(stderr, "\r  epoch %d/%d [%s] batch %d/%d  loss %.4f  %.0f img/s  ETA %d:%02d ", ep->epoch + 1, ep->epochs,
          bar, (int)ep->step, (int)ep->steps, loss, rate, (int)eta / 60, (int)eta % 60);
}

static void perplexity_bar(const loop_epoch *ep, double loss, double rate, double eta) {
  char bar[32];
  fill_bar(bar, ep->done, ep->examples);
  fprintf(stderr, "\r  epoch %d/%d [%s] %lld/%lld words  ppl %.1f  %.0f words/s  ETA %d:%02d ", ep->epoch + 1,
          ep->epochs, bar, (long long)ep->done, (long long)ep->examples, exp(loss), rate, (int)eta / 60,
          (int)eta % 60);
}

/* The image line times the whole epoch, validation included; the language
 * model's times its training alone, so that its words/s is the report's
 * rate (history.json's words_per_second). Both are as man/naslc.1 shows. */
static void accuracy_line(const loop_epoch *ep, const train_report *rep) {
  fprintf(stderr, "  epoch %d/%d: train loss %.4f, valid accuracy %.4f, valid loss %.4f, %.0f img/s, %.1f s\n",
          ep->epoch + 1, ep->epochs, rep->train_loss, rep->valid_metric[ep->epoch], rep->valid_loss[ep->epoch],
          (double)ep->examples / ep->seconds, ep->seconds);
}

static void perplexity_line(const loop_epoch *ep, const train_report *rep) {
  fprintf(stderr, "  epoch %d/%d: lr %g, train perplexity %.2f, valid perplexity %.2f, %.0f words/s, %.1f s\n",
          ep->epoch + 1, ep->epochs, ep->lr, exp(rep->train_loss), rep->valid_metric[ep->epoch], rep->rate,
          ep->train_seconds);
}

/* How training reads on stderr for each metric: a table, so that a new
 * metric is one more row (the assertion below asks for it). */
typedef struct loop_style {
  const char *step;       /* what a step trains on, in messages */
  const char *advice;     /* what to do when the loss is not finite */
  int progress_every;     /* steps between redraws of the bar */
  void (*bar)(const loop_epoch *ep, double loss, double rate, double eta);  /* the redrawn bar */
  void (*line)(const loop_epoch *ep, const train_report *rep);              /* the line after validation */
} loop_style;

static const loop_style loop_styles[] = {
    [TRAIN_ACCURACY] = {"batch", "lower the learning rate", 8, accuracy_bar, accuracy_line},
    [TRAIN_PERPLEXITY] = {"segment", "lower the learning rate or the clip", 16, perplexity_bar, perplexity_line},
};
_Static_assert(sizeof loop_styles / sizeof *loop_styles == TRAIN_PERPLEXITY + 1, "a style for every train_metric");

/* What the steps of one run share. */
typedef struct loop_run {
  const train_model *m;       /* what is trained */
  const grammar_train *recipe;/* clip, base learning rate */
  const train_opts *o;        /* threads, quiet, bar */
  const loop_style *style;    /* of m's metric */
  train_report *rep;          /* filled as epochs end */
  nn_optimizer ocfg;          /* the recipe's optimizer */
  nn_schedule sched;          /* and its schedule */
  nn_optim opt;               /* the optimizer's state */
  nn_ctx ctx;                 /* the steps' tensors and tape */
} loop_run;

/* One step: forward, checks, backward, update. */
static int loop_step(loop_run *run, loop_epoch *ep, strbuf *err) {
  const train_model *m = run->m;
  nn_ctx *ctx = &run->ctx;
  nn_ctx_reset(ctx);
  ctx->training = 1;
  int64_t examples = 0;
  double weight = 1;
  tensor *loss = m->step_loss(m->self, ctx, ep->step, &examples, &weight);
  if (!loss) {
    strbuf_printf(err, "training failed: %s", ctx->error);
    return -1;
  }
  if (!isfinite(loss->data[0])) {
    strbuf_printf(err, "the loss became %g at epoch %d, %s %lld; %s", loss->data[0], ep->epoch + 1, run->style->step,
                  (long long)ep->step + 1, run->style->advice);
    return -1;
  }
  ep->sum += (double)loss->data[0] * weight;
  ep->weight += weight;
  ep->done += examples;
  nn_zero_grad(m->params, ctx->nthreads);
  if (m->backward)
    m->backward(m->self, ctx, loss);
  else
    nn_backward(ctx, loss);
  if (ctx->error[0]) { /* a plug-in's backward failed */
    strbuf_printf(err, "training failed: %s", ctx->error);
    return -1;
  }
  /* The norm is measured even without a clip: a finite loss whose gradient
   * overflowed would otherwise write inf and NaN into every weight, and the
   * failure would show a step later as a NaN loss. */
  double norm = nn_clip_grad_norm_mt(m->params, run->recipe->clip, ctx->nthreads); /* clip 0: measured only */
  if (!isfinite(norm)) {
    strbuf_printf(err, "the gradient norm became %g at epoch %d, %s %lld (the loss was %g); %s", norm, ep->epoch + 1,
                  run->style->step, (long long)ep->step + 1, loss->data[0], run->style->advice);
    return -1;
  }
  nn_optim_step(&run->opt, m->params, ep->lr);
  return 0;
}

/* The bar after ep->step steps, with the time left for this epoch and the
 * ones after it at the rate so far. */
static void loop_progress(const loop_run *run, const loop_epoch *ep) {
  if (run->o->quiet || !run->o->bar) return;
  if (ep->step % run->style->progress_every && ep->step != ep->steps) return;
  double el = nasl_clock_seconds() - ep->start, rate = (double)ep->done / (el > 0 ? el : 1e-9);
  double left = (double)(ep->examples - ep->done) / rate +
                (double)(ep->epochs - ep->epoch - 1) * (double)ep->examples / rate;
  run->style->bar(ep, ep->sum / ep->weight, rate, left);
  fflush(stderr);
}

/* Epoch e of epochs: its steps, then validation and the epoch line. */
static int loop_epoch_run(loop_run *run, int e, int epochs, strbuf *err) {
  const train_model *m = run->m;
  train_report *rep = run->rep;
  loop_epoch ep = {.epoch = e, .epochs = epochs};
  ep.lr = nn_schedule_lr(&run->sched, run->recipe->optimizer.lr, e, epochs);
  ep.start = nasl_clock_seconds();
  ep.steps = m->begin_epoch(m->self, e, &ep.examples);
  while (ep.step < ep.steps) {
    if (loop_step(run, &ep, err)) return -1;
    ep.step++;
    loop_progress(run, &ep);
  }
  rep->train_loss = ep.sum / ep.weight;
  ep.train_seconds = nasl_clock_seconds() - ep.start;
  rep->rate = (double)ep.done / (ep.train_seconds > 0 ? ep.train_seconds : 1e-9);
  double metric = 0, loss = 0;
  if (m->evaluate(m->self, TRAIN_VALID, run->o->threads, &metric, &loss, err)) return -1;
  rep->valid_metric[e] = metric;
  rep->valid_loss[e] = loss;
  rep->epochs = e + 1;
  ep.seconds = nasl_clock_seconds() - ep.start;
  if (!run->o->quiet) {
    if (run->o->bar) fprintf(stderr, "\r\033[K");
    run->style->line(&ep, rep);
  }
  return 0;
}

/* The reward formula over the validation series of rep's metric; a formula
 * that cannot be evaluated leaves reward_ok 0 (the search says so). */
static void loop_reward(train_report *rep, const grammar_reward *reward) {
  reward_inputs in = {.epochs = rep->epochs, .valid_loss = rep->valid_loss, .params = (double)rep->params,
                      .flops = (double)rep->flops};
  if (rep->metric == TRAIN_PERPLEXITY)
    in.valid_perplexity = rep->valid_metric;
  else
    in.valid_accuracy = rep->valid_metric;
  strbuf why;
  strbuf_init(&why);
  rep->reward = reward_eval(reward, &in, &rep->reward_ok, &why);
  strbuf_free(&why);
}

int train_run(const train_model *m, const grammar_train *recipe, const train_opts *o, const grammar_reward *reward,
              train_report *rep, strbuf *err) {
  memset(rep, 0, sizeof *rep);
  int epochs = o->epochs > 0 ? o->epochs : recipe->epochs;
  rep->metric = m->metric;
  rep->params = m->nparams;
  rep->flops = m->flops;
  rep->valid_metric = xcalloc((size_t)epochs + 1, sizeof(double));
  rep->valid_loss = xcalloc((size_t)epochs + 1, sizeof(double));
  rep->test_metric = rep->test_loss = NAN;
  loop_run run = {.m = m, .recipe = recipe, .o = o, .style = &loop_styles[m->metric], .rep = rep,
                  .ocfg = train_optimizer(&recipe->optimizer), .sched = train_schedule(&recipe->schedule)};
  nn_optim_init(&run.opt, &run.ocfg, m->params);
  run.opt.threads = o->threads;
  nn_ctx_init(&run.ctx, o->threads, m->rng);
  double t0 = nasl_clock_seconds();
  int rc = 0;
  for (int e = 0; e < epochs && rc == 0; e++) rc = loop_epoch_run(&run, e, epochs, err);
  if (rc == 0 && !o->skip_test &&
      m->evaluate(m->self, TRAIN_TEST, o->threads, &rep->test_metric, &rep->test_loss, err))
    rc = -1;
  rep->seconds = nasl_clock_seconds() - t0;
  if (rc == 0 && reward) loop_reward(rep, reward);
  nn_ctx_free(&run.ctx);
  nn_optim_free(&run.opt);
  if (rc) train_report_free(rep);
  return rc;
}

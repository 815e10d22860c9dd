/* sharedeval.c: the shared evaluator (see evaluate.h): children of a CNN
 * space, a DAG-cell space or a recurrent-cell space judged under weights
 * they all train together
 * (runtime/models/shared.h), the loop's side in search_shared. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "runtime/search/evaluate.h"
#include "runtime/train/lm_train.h"
#include "runtime/train/reward.h"

/* The train recipe's optimizer for params, on the evaluator's threads. */
static void optimizer_for(const search_evaluator *e, const nn_params *params, nn_optim *o) {
  nn_optimizer cfg = train_optimizer(&e->g->train.optimizer);
  nn_optim_init(o, &cfg, params);
  o->threads = e->opts.threads;
}

/* The child of a for the evaluator's data, its weights drawn from the
 * store; its own initial values (seeded by seed) fill what the store does
 * not hold yet. With o, an optimizer is made for it and loaded too. */
static int bind_child(search_evaluator *e, const arch *a, uint64_t seed, child *c, nn_optim *o, shared_map *map,
                      strbuf *why) { /* with o: training (the store grows); without: judging */
  rng r;
  rng_seed(&r, seed);
  if (child_build(c, a, e->data.shape, e->data.classes, &r, why)) return -1;
  if (o) optimizer_for(e, &c->params, o);
  if (shared_bind(&e->store, c, o, o != NULL, map, why)) {
    if (o) nn_optim_free(o);
    child_free(c);
    return -1;
  }
  child_batch_statistics(c);
  return 0;
}

/* The training examples' order for the epoch of global step `step`. */
static void order_for(search_evaluator *e, long epoch) {
  if (e->epoch == epoch) return;
  rng r;
  rng_seed(&r, (uint64_t)e->g->train.seed * 0x9e3779b97f4a7c15ull + (uint64_t)epoch);
  ds_shuffle(e->data.train.n, e->perm, &r);
  e->epoch = epoch;
}

/* A judgement's result: the reward formula over in (a validation series of
 * one entry, `metric`), or the reason it failed (why, when set). */
static void take_judgement(const search_evaluator *e, const strbuf *why, const reward_inputs *in, double metric,
                           double t0, search_result *res) {
  if (why) {
    res->ok = 0;
    snprintf(res->note, sizeof res->note, "%s", why->data);
  } else {
    strbuf rw;
    strbuf_init(&rw);
    res->reward = reward_eval(e->g->search.reward, in, &res->ok, &rw);
    if (!res->ok) snprintf(res->note, sizeof res->note, "%s", rw.data);
    strbuf_free(&rw);
    res->epochs = 1;
    res->valid_metric[0] = metric;
  }
  res->params = (int64_t)in->params;
  res->flops = (int64_t)in->flops;
  res->test_metric = NAN;
  res->seconds = nasl_clock_seconds() - t0;
}

/* One step: the architecture a, one batch, one update of the store.
 * *skipped is 1 when the architecture cannot be built, 2 when its loss or
 * the norm of its gradient is not finite (it trains nothing either way),
 * else 0. */
static int train_step(search_evaluator *e, const arch *a, long step, double *loss, int *skipped, strbuf *err) {
  const grammar_train *t = &e->g->train;
  const ds_images *train = &e->data.train;
  int batch = t->batch < train->n ? t->batch : train->n;
  long per_epoch = train->n / batch;
  order_for(e, step / per_epoch);
  child c;
  nn_optim o;
  shared_map map;
  strbuf why;
  strbuf_init(&why);
  *skipped = 0;
  uint64_t seed = (uint64_t)t->seed * 2654435761u + (uint64_t)step * 0x9e3779b97f4a7c15ull + 1;
  if (bind_child(e, a, seed, &c, &o, &map, &why)) {
    *skipped = 1;
    strbuf_free(&why);
    return 0;
  }
  rng_seed(&e->ctx_rng, seed ^ 0xd509); /* crops, flips, dropout */
  nn_ctx *ctx = &e->ctx;
  nn_ctx_reset(ctx);
  tensor *x = nn_new4(ctx, batch, train->c, train->h, train->w);
  ds_batch(train, e->perm, (int)(step % per_epoch) * batch, batch, t->crop, t->flip, &e->ctx_rng, x->data, e->labels);
  tensor *l = nn_softmax_xent(ctx, child_forward(ctx, &c, x), e->labels);
  int rc = 0;
  if (!l) {
    strbuf_printf(err, "training the shared weights failed at step %ld: %s", step, ctx->error);
    rc = SEARCH_E_TRAINING;
  } else if (!isfinite(l->data[0])) { /* this architecture diverged: no update */
    *skipped = 2;
  } else {
    *loss = l->data[0];
    nn_zero_grad(&c.params, ctx->nthreads);
    nn_backward(ctx, l);
    if (ctx->error[0]) {
      strbuf_printf(err, "training the shared weights failed at step %ld: %s", step, ctx->error);
      rc = SEARCH_E_TRAINING;
    } else if (!isfinite(nn_clip_grad_norm_mt(&c.params, t->clip, ctx->nthreads))) {
      *skipped = 2; /* a finite loss whose gradient overflowed: the update would write NaN into the store */
    } else {
      nn_optim_step(&o, &c.params, t->optimizer.lr);
      shared_store(&e->store, &c, &o, &map);
    }
  }
  nn_ctx_reset(ctx);
  shared_map_free(&map);
  nn_optim_free(&o);
  child_free(&c);
  strbuf_free(&why);
  return rc;
}

/* ---- recurrent cells: the language model's weights, whole ---- */

/* The model of a for the evaluator's corpus, its weights from the store; as
 * bind_child. */
static int bind_lm(search_evaluator *e, const arch *a, uint64_t seed, lm *m, nn_optim *o, shared_map *map,
                   strbuf *why) {
  rng r;
  rng_seed(&r, seed);
  if (lm_build(m, a, &e->g->train, e->words.vocab, &r, why)) return -1;
  if (o) optimizer_for(e, &m->params, o);
  if (shared_bind_params(&e->store, &m->params, o, o != NULL, map, why)) {
    if (o) nn_optim_free(o);
    lm_free(m);
    return -1;
  }
  return 0;
}

/* One segment of truncated BPTT: the architecture a on the next `bptt`
 * steps of the training streams, the state carried from the step before
 * (whatever architecture made it; zero at the start of a round and of the
 * streams). */
static int train_step_lm(search_evaluator *e, const arch *a, long step, double *loss, int *skipped, strbuf *err) {
  const grammar_train *t = &e->g->train;
  int B = e->lm_batch, T = e->lm_bptt;
  long per_pass = (long)((e->lm_len - 1) / T);
  if (per_pass < 1) per_pass = 1;
  int64_t pos = (int64_t)(step % per_pass) * T;
  lm m;
  nn_optim o;
  shared_map map;
  strbuf why;
  strbuf_init(&why);
  *skipped = 0;
  uint64_t seed = (uint64_t)t->seed * 2654435761u + (uint64_t)step * 0x9e3779b97f4a7c15ull + 1;
  if (bind_lm(e, a, seed, &m, &o, &map, &why)) {
    *skipped = 1;
    strbuf_free(&why);
    return 0;
  }
  size_t state = (size_t)m.layers * B * m.hidden;
  lm_reset_state(&m, B);
  if (pos == 0) memset(e->lm_state, 0, sizeof(float) * 2 * state);
  memcpy(m.h, e->lm_state, sizeof(float) * state);
  if (m.c) memcpy(m.c, e->lm_state + state, sizeof(float) * state);
  rng_seed(&e->ctx_rng, seed ^ 0xd509); /* dropout */
  nn_ctx *ctx = &e->ctx;
  nn_ctx_reset(ctx);
  ctx->training = 1;
  ctx->record = 1;
  lm_segment_ids(e->words.train, e->lm_len, B, pos, T, e->seg_in, e->seg_out);
  tensor *l = lm_segment_loss(ctx, &m, e->seg_in, e->seg_out, B, T);
  int rc = 0;
  if (!l) {
    strbuf_printf(err, "training the shared weights failed at step %ld: %s", step, ctx->error);
    rc = SEARCH_E_TRAINING;
  } else if (!isfinite(l->data[0])) { /* this architecture diverged: no update, and the state starts again */
    *skipped = 2;
    memset(e->lm_state, 0, sizeof(float) * 2 * state);
  } else {
    *loss = l->data[0];
    nn_zero_grad(&m.params, ctx->nthreads);
    lm_backward(ctx, &m, l);
    if (ctx->error[0]) {
      strbuf_printf(err, "training the shared weights failed at step %ld: %s", step, ctx->error);
      rc = SEARCH_E_TRAINING;
    } else if (!isfinite(nn_clip_grad_norm_mt(&m.params, t->clip, ctx->nthreads))) {
      *skipped = 2; /* a finite loss whose gradient overflowed: the update would write NaN into the store */
      memset(e->lm_state, 0, sizeof(float) * 2 * state);
    } else {
      nn_optim_step(&o, &m.params, t->optimizer.lr);
      shared_store_params(&e->store, &m.params, &o, &map);
      memcpy(e->lm_state, m.h, sizeof(float) * state);
      if (m.c) memcpy(e->lm_state + state, m.c, sizeof(float) * state);
    }
  }
  nn_ctx_reset(ctx);
  shared_map_free(&map);
  nn_optim_free(&o);
  lm_free(&m);
  strbuf_free(&why);
  return rc;
}

/* The reward of a cell: the formula over its perplexity on the first
 * `valid` validation words (all of them when all is set) under the store. */
static int judge_lm(search_evaluator *e, const arch *a, int all, search_result *res) {
  double t0 = nasl_clock_seconds();
  lm m;
  shared_map map;
  strbuf why;
  strbuf_init(&why);
  if (bind_lm(e, a, (uint64_t)e->g->train.seed, &m, NULL, &map, &why)) {
    res->ok = 0;
    snprintf(res->note, sizeof res->note, "%s", why.data);
    strbuf_free(&why);
    return 0;
  }
  int64_t n = e->words.nvalid;
  if (!all && n > e->g->search.shared_valid) n = e->g->search.shared_valid;
  double ppl, loss = NAN;
  int failed = lm_evaluate(&m, e->words.valid, n, e->lm_batch, e->lm_bptt, e->opts.threads, &ppl, &why);
  if (!failed) loss = log(ppl);
  reward_inputs in = {1, NULL, &loss, &ppl, (double)m.nparams, (double)m.flops, 0};
  take_judgement(e, failed ? &why : NULL, &in, ppl, t0, res);
  shared_map_free(&map);
  lm_free(&m);
  strbuf_free(&why);
  return 0;
}

static int train_round(void *p, long round, search_draw_fn draw, void *draw_ctx, volatile int *stop, strbuf *err) {
  search_evaluator *e = p;
  int steps = e->g->search.shared_steps, skipped = 0, diverged = 0, rc = 0, done = 0;
  double t0 = nasl_clock_seconds(), sum = 0;
  /* a round starts from zero state: what a resumed run restores (the store)
   * is then all the next round needs */
  if (e->lm_len) memset(e->lm_state, 0, sizeof(float) * 2 * (size_t)e->g->train.layers * e->lm_batch * e->g->train.hidden);
  for (int j = 0; j < steps && rc == 0; j++) {
    if (stop && *stop) return 0;
    arch a;
    if ((rc = draw(draw_ctx, &a, err))) break;
    double loss = 0;
    int skip;
    rc = e->lm_len ? train_step_lm(e, &a, round * steps + j, &loss, &skip, err)
                   : train_step(e, &a, round * steps + j, &loss, &skip, err);
    arch_free(&a);
    skipped += skip == 1;
    diverged += skip == 2;
    if (!skip) sum += loss, done++;
  }
  if (rc == 0 && diverged == steps) {
    strbuf_printf(err,
                  "training the shared weights failed: the loss or gradient of every step of round %ld was not "
                  "finite; lower the train block's learning rate",
                  round + 1);
    return SEARCH_E_TRAINING;
  }
  if (rc == 0 && !e->opts.quiet)
    fprintf(stderr,
            "shared weights: round %ld, %d steps (%d architectures that cannot be built, %d whose loss or gradient "
            "was not finite), loss %.4f, %.1f s, %lld values\n",
            round + 1, steps, skipped, diverged, done ? sum / done : NAN, nasl_clock_seconds() - t0,
            (long long)shared_count(&e->store));
  return rc;
}

static int save_store(void *p, const char *path, strbuf *err) {
  search_evaluator *e = p;
  return shared_save(&e->store, path, NULL, NULL, 0, err);
}

static int load_store(void *p, const char *path, strbuf *err) {
  search_evaluator *e = p;
  shared_free(&e->store);
  shared_init(&e->store, e->moments);
  return shared_load(&e->store, path, err);
}

/* The reward of a: its accuracy on the first `valid` validation images
 * under the shared weights (all of them when all is set). */
static int judge(search_evaluator *e, const arch *a, int all, search_result *res) {
  double t0 = nasl_clock_seconds();
  child c;
  shared_map map;
  strbuf why;
  strbuf_init(&why);
  if (bind_child(e, a, (uint64_t)e->g->train.seed, &c, NULL, &map, &why)) {
    res->ok = 0;
    snprintf(res->note, sizeof res->note, "%s", why.data);
    strbuf_free(&why);
    return 0;
  }
  ds_images part = e->data.valid;
  if (!all && part.n > e->g->search.shared_valid) part.n = e->g->search.shared_valid;
  double acc, loss;
  int failed = train_evaluate_in(&e->ctx, &c, &part, 256, &acc, &loss, &why);
  reward_inputs in = {1, &acc, &loss, NULL, (double)c.nparams, (double)c.flops, 0};
  take_judgement(e, failed ? &why : NULL, &in, acc, t0, res);
  shared_map_free(&map);
  child_free(&c);
  strbuf_free(&why);
  return 0;
}

static int eval_shared(void *p, const arch *a, const char *key, search_result *res, strbuf *err) {
  (void)key, (void)err;
  search_evaluator *e = p;
  return e->lm_len ? judge_lm(e, a, 0, res) : judge(e, a, 0, res);
}

static int rank_shared(void *p, const arch *a, const char *key, search_result *res, strbuf *err) {
  (void)key, (void)err;
  search_evaluator *e = p;
  return e->lm_len ? judge_lm(e, a, 1, res) : judge(e, a, 1, res);
}

int search_shared_open(search_evaluator *e, strbuf *err) {
  const grammar *g = e->g;
  int cell = grammar_is_lm(g);
  if (!cell && e->data.valid.n == 0) {
    strbuf_printf(err, "the shared evaluator judges architectures on validation images; give the train block 'valid: N'");
    return SEARCH_E_UNSUPPORTED;
  }
  if (cell) {
    e->lm_batch = g->train.batch;
    e->lm_bptt = g->train.bptt > 0 ? g->train.bptt : 35;
    if (e->lm_batch > e->words.ntrain / 2) e->lm_batch = (int)(e->words.ntrain / 2 > 0 ? e->words.ntrain / 2 : 1);
    e->lm_len = e->words.ntrain / e->lm_batch;
    if (e->lm_len < 2 || e->words.nvalid < 2) {
      strbuf_printf(err, "%lld training and %lld validation words are too few for the shared evaluator",
                    (long long)e->words.ntrain, (long long)e->words.nvalid);
      e->lm_len = 0;
      return SEARCH_E_UNSUPPORTED;
    }
    size_t state = (size_t)g->train.layers * e->lm_batch * g->train.hidden;
    e->lm_state = xcalloc(2 * state + 1, sizeof(float));
    e->seg_in = xmalloc(sizeof(int) * (size_t)e->lm_batch * e->lm_bptt);
    e->seg_out = xmalloc(sizeof(int) * (size_t)e->lm_batch * e->lm_bptt);
  }
  e->moments = g->train.optimizer.kind == OPTIM_ADAM ? 2 : g->train.optimizer.momentum > 0 ? 1 : 0;
  shared_init(&e->store, e->moments);
  e->perm = xmalloc(sizeof(int) * (size_t)e->data.train.n + 1);
  e->labels = xmalloc(sizeof(int) * (size_t)(g->train.batch + 1));
  e->epoch = -1;
  nn_ctx_init(&e->ctx, e->opts.threads, &e->ctx_rng);
  e->ctx_ready = 1;
  e->hooks = (search_shared){e, train_round, save_store, load_store, g->search.shared_rank, rank_shared};
  e->fn = eval_shared;
  return 0;
}

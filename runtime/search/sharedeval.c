/* sharedeval.c: the shared evaluator (see evaluate.h): children of a CNN
 * space judged under weights they all train together
 * (runtime/models/shared.h), the loop's side in search_shared. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "runtime/search/evaluate.h"
#include "runtime/train/reward.h"

/* The child of a for the evaluator's data, its weights drawn from the
 * store; its own initial values (seeded by seed) fill what the store does
 * not hold yet. With o, an optimizer is made for it and loaded too. */
static int bind_child(search_evaluator *e, const arch *a, uint64_t seed, child *c, nn_optim *o, shared_map *map,
                      strbuf *why) { /* with o: training (the store grows); without: judging */
  rng r;
  rng_seed(&r, seed);
  if (child_build(c, a, e->data.shape, e->data.classes, &r, why)) return -1;
  if (o) {
    nn_optimizer cfg = train_optimizer(&e->g->train.optimizer);
    nn_optim_init(o, &cfg, &c->params);
    o->threads = e->opts.threads;
  }
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

/* One step: the architecture a, one batch, one update of the store.
 * *skipped when the architecture cannot be built (it trains nothing). */
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
  if (!l || !isfinite(l->data[0])) {
    strbuf_printf(err, "training the shared weights failed at step %ld: %s; lower the train block's learning rate",
                  step, l ? "the loss is not finite" : ctx->error);
    rc = SEARCH_E_TRAINING;
  } else {
    *loss = l->data[0];
    nn_zero_grad(&c.params, ctx->nthreads);
    nn_backward(ctx, l);
    if (ctx->error[0]) {
      strbuf_printf(err, "training the shared weights failed at step %ld: %s", step, ctx->error);
      rc = SEARCH_E_TRAINING;
    } else {
      if (t->clip > 0) nn_clip_grad_norm_mt(&c.params, t->clip, ctx->nthreads);
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

static int train_round(void *p, long round, search_draw_fn draw, void *draw_ctx, volatile int *stop, strbuf *err) {
  search_evaluator *e = p;
  int steps = e->g->search.shared_steps, skipped = 0, rc = 0, done = 0;
  double t0 = nasl_clock_seconds(), sum = 0;
  for (int j = 0; j < steps && rc == 0; j++) {
    if (stop && *stop) return 0;
    arch a;
    if ((rc = draw(draw_ctx, &a, err))) break;
    double loss = 0;
    int skip;
    rc = train_step(e, &a, round * steps + j, &loss, &skip, err);
    arch_free(&a);
    skipped += skip;
    if (!skip) sum += loss, done++;
  }
  if (rc == 0 && !e->opts.quiet)
    fprintf(stderr, "shared weights: round %ld, %d steps (%d architectures that cannot be built), loss %.4f, %.1f s, "
                    "%lld values\n",
            round + 1, steps, skipped, done ? sum / done : NAN, nasl_clock_seconds() - t0,
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
  if (train_evaluate_in(&e->ctx, &c, &part, 256, &acc, &loss, &why)) {
    res->ok = 0;
    snprintf(res->note, sizeof res->note, "%s", why.data);
  } else {
    reward_inputs in = {1, &acc, &loss, NULL, (double)c.nparams, (double)c.flops, 0};
    strbuf rw;
    strbuf_init(&rw);
    res->reward = reward_eval(e->g->search.reward, &in, &res->ok, &rw);
    if (!res->ok) snprintf(res->note, sizeof res->note, "%s", rw.data);
    strbuf_free(&rw);
    res->epochs = 1;
    res->valid_metric[0] = acc;
  }
  res->params = c.nparams;
  res->flops = c.flops;
  res->test_metric = NAN;
  res->seconds = nasl_clock_seconds() - t0;
  shared_map_free(&map);
  child_free(&c);
  strbuf_free(&why);
  return 0;
}

static int eval_shared(void *p, const arch *a, const char *key, search_result *res, strbuf *err) {
  (void)key, (void)err;
  return judge(p, a, 0, res);
}

static int rank_shared(void *p, const arch *a, const char *key, search_result *res, strbuf *err) {
  (void)key, (void)err;
  return judge(p, a, 1, res);
}

int search_shared_open(search_evaluator *e, strbuf *err) {
  const grammar *g = e->g;
  if (g->space_kind != SPACE_CNN) {
    strbuf_printf(err, "the shared evaluator shares the weights of CNN layer spaces; '%s' is a cell space", g->name);
    return SEARCH_E_UNSUPPORTED;
  }
  if (e->data.valid.n == 0) {
    strbuf_printf(err, "the shared evaluator judges architectures on validation images; give the train block 'valid: N'");
    return SEARCH_E_UNSUPPORTED;
  }
  e->moments = g->train.optimizer.kind == OPTIM_ADAM ? 2 : g->train.optimizer.momentum > 0 ? 1 : 0;
  shared_init(&e->store, e->moments);
  e->perm = xmalloc(sizeof(int) * (size_t)e->data.train.n);
  e->labels = xmalloc(sizeof(int) * (size_t)(g->train.batch + 1));
  e->epoch = -1;
  nn_ctx_init(&e->ctx, e->opts.threads, &e->ctx_rng);
  e->ctx_ready = 1;
  e->hooks = (search_shared){e, train_round, save_store, load_store, g->search.shared_rank, rank_shared};
  e->fn = eval_shared;
  return 0;
}

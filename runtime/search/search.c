/* search.c: the search loop (see search.h): draw a batch, settle each
 * sample (from the log of a resumed run, a dedupe hit, or an evaluation),
 * update the controller, checkpoint. The files it keeps are rundir.c's. */
#include "runtime/search/search.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/fsutil.h"
#include "nn/optim.h"
#include "runtime/search/controller.h"
#include "runtime/search/run.h"
#include "runtime/train/train.h"

void search_key(const arch *a, strbuf *out) {
  const grammar_node *p = a->g->program;
  if (p->kind == GN_DAG && !p->dag_pick) {
    arch_cell_string(a, out);
    return;
  }
  strbuf_printf(out, "d%d:", a->depth);
  for (int i = 0; i < a->ntokens; i++) strbuf_printf(out, "%s%d", i ? "," : "", a->tokens[i]);
}

/* dir/shared-R.safetensors */
static void shared_path(const run *r, long rounds, char *path, size_t size) {
  snprintf(path, size, "%s/shared-%ld.safetensors", r->o->dir, rounds);
}

/* A run directory whose run failed before its first checkpoint (which is
 * written before any child is evaluated): no checkpoint, nothing logged. */
static int never_started(const char *dir, const char *log_path) {
  char path[4200];
  struct stat st;
  snprintf(path, sizeof path, "%s/checkpoint.safetensors", dir);
  return stat(path, &st) && errno == ENOENT && (stat(log_path, &st) || st.st_size == 0);
}

/* Opens or resumes the run directory: the state, the controller and the
 * log. 0, or a search_error. */
static int open_run(run *r) {
  const search_opts *o = r->o;
  struct stat st;
  if (o->resume && (stat(o->dir, &st) || !S_ISDIR(st.st_mode))) {
    strbuf_printf(r->err, "there is no run to resume in '%s'", o->dir);
    return SEARCH_E_FILE;
  }
  if (fs_mkdirs(o->dir)) {
    strbuf_printf(r->err, "cannot create the run directory '%s': %s", o->dir, strerror(errno));
    return SEARCH_E_FILE;
  }
  if ((r->lock = rundir_lock(o->dir, r->err)) < 0) return SEARCH_E_BUSY;
  snprintf(r->log_path, sizeof r->log_path, "%s/log.jsonl", o->dir);
  controller *ctl = r->reinforce ? &r->ctl : NULL;
  if (o->resume && never_started(o->dir, r->log_path)) {
    strbuf_printf(r->err, "'%s' holds no checkpoint and no log: the run stopped before it began, so there is nothing "
                  "to resume; start it again with --dir %s", o->dir, o->dir);
    return SEARCH_E_FILE;
  }
  if (o->resume) {
    if (rundir_read_checkpoint(o->dir, &r->s, ctl, &r->opt, r->err) ||
        rundir_read_log(r->log_path, &r->known, o->quiet, r->err))
      return SEARCH_E_FILE;
    r->s.evaluated = r->known.lines; /* children logged after the checkpoint count too */
    if (r->shared && r->s.shared_rounds > 0) {
      char path[4200];
      shared_path(r, r->s.shared_rounds, path, sizeof path);
      if (r->shared->load(r->shared->ctx, path, r->err)) return SEARCH_E_FILE;
    }
    if (!o->quiet) fprintf(stderr, "resuming %s at sample %ld of %ld\n", o->dir, r->s.samples, r->budget);
  } else if (stat(r->log_path, &st) == 0 && st.st_size > 0) {
    strbuf_printf(r->err, "'%s' already holds a run; resume it with --resume %s or choose another --dir", o->dir, o->dir);
    return SEARCH_E_EXISTS;
  } else if (rundir_write_checkpoint(o->dir, &r->s, ctl, &r->opt, r->err)) {
    return SEARCH_E_FILE;
  }
  if ((r->log = open(r->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666)) < 0) {
    strbuf_printf(r->err, "cannot open the run log '%s': %s", r->log_path, strerror(errno));
    return SEARCH_E_FILE;
  }
  return 0;
}

/* Draws k architectures from the state batch_r starts at. */
static int draw_batch(run *r, int k, rng *batch_r) {
  for (int i = 0; i < k; i++) {
    long idx = r->s.samples + i;
    if (r->reinforce) {
      if (controller_draw(&r->ctl, &r->ctx, batch_r, idx, &r->batch[i], r->err)) return SEARCH_E_INTERNAL;
    } else if (!arch_generate(r->g, idx, arch_choose_uniform, batch_r, &r->batch[i].a)) {
      strbuf_printf(r->err, "sample %ld: the space drew no architecture", idx);
      return SEARCH_E_INTERNAL;
    }
  }
  return 0;
}

/* Evaluates sample idx (or takes the result a worker gave, search_pool)
 * and appends its log line. */
int run_evaluate(run *r, long idx, const arch *a, search_result *res, const search_result *given) {
  if (given) {
    *res = *given;
    res->best_before = r->s.best;
    if (!(res->ok && res->reward > r->s.best)) res->test_metric = NAN; /* the serial run would not have tested it */
  } else {
    res->best_before = r->s.best;
    int rc = r->eval(r->eval_ctx, a, r->key.data, res, r->err);
    if (rc) return rc;
  }
  if (!res->ok) res->reward = SEARCH_FAILED_REWARD;
  r->s.evaluated++;
  smap_put(&r->known.by_key, r->key.data, res->reward);
  rundir_log_line(&r->line, idx, r->key.data, res, 0, a);
  if (fs_append_synced(r->log, r->line.data, r->line.len)) {
    strbuf_printf(r->err, "cannot write the run log '%s': %s", r->log_path, strerror(errno));
    return SEARCH_E_FILE;
  }
  return 0;
}

static void print_progress(const run *r, long idx, const search_result *res, int hit) {
  double el = nasl_clock_seconds() - r->t0, done = (double)r->done;
  double per = done > 0 ? el / done : 0, eta = per * (double)(r->budget - r->start_samples - r->done);
  double left = r->minutes * 60 - el;
  if (r->minutes > 0 && eta > left) eta = left > 0 ? left : 0;
  fprintf(stderr, "sample %ld/%ld  reward %.4f%s  best %.4f  baseline %.4f  hits %ld  ETA %d:%02d\n", idx + 1,
          r->budget, res->reward, hit ? " (seen)" : res->ok ? "" : " (rejected)", r->s.best, r->s.baseline,
          r->s.hits, (int)eta / 60, (int)eta % 60);
}

int run_known(run *r, long idx, search_result *res, int *hit) {
  double v;
  const rundir_entry *logged = rundir_logged(&r->known, idx);
  *hit = 0;
  if (logged) { /* logged before a stop: not evaluated again */
    res->reward = logged->reward;
    res->ok = 1;
    res->test_metric = logged->test;
    res->epochs = !isnan(res->test_metric); /* so a logged best keeps its test figure */
    return 1;
  }
  if (!r->shared && smap_get(&r->known.by_key, r->key.data, &v)) {
    res->reward = v;
    res->ok = 1;
    *hit = 1;
    r->s.hits++;
    return 1;
  }
  return 0;
}

/* Settles sample i of the batch: its reward from the log of a resumed run,
 * from an earlier sample of the same key, from the result a worker gave
 * (given), or from the evaluator. *settled is 0 when a stop was asked for
 * before it had to be evaluated. */
static int settle_sample(run *r, int i, const search_result *given, int *settled) {
  long idx = r->s.samples + i;
  const arch *a = &r->batch[i].a;
  strbuf_clear(&r->key);
  search_key(a, &r->key);
  search_result res;
  memset(&res, 0, sizeof res);
  int hit = 0, rc = 0;
  *settled = 0;
  if (!run_known(r, idx, &res, &hit)) {
    if (!given && r->o->stop && *r->o->stop) return 0;
    if ((rc = run_evaluate(r, idx, a, &res, given))) return rc;
  }
  r->rewards[i] = res.reward;
  *settled = 1;
  return run_took(r, idx, a, &res, hit);
}

int run_took(run *r, long idx, const arch *a, const search_result *res, int hit) {
  if (r->o->on_sample) r->o->on_sample(r->o->on_sample_ctx, idx, res->reward, hit);
  if (res->reward > r->s.best) {
    r->s.best = res->reward;
    r->s.best_test = res->epochs ? res->test_metric : NAN; /* NAN for children not tested */
    snprintf(r->s.best_key, sizeof r->s.best_key, "%s", r->key.data);
    if (rundir_write_best(r->o->dir, r->o->file, a, res, r->err)) return SEARCH_E_FILE;
  }
  r->done++;
  if (!r->o->quiet) print_progress(r, idx, res, hit);
  return 0;
}

/* REINFORCE over the batch's k samples: the loss
 * -(1/k) sum (R_i - b) log P(a_i) - (entropy/k) sum H(a_i), one optimizer
 * step, then the baseline moves towards each reward. */
void run_update(run *r, int k) {
  const grammar_search *cfg = r->cfg;
  run_state *s = &r->s;
  if (!s->have_baseline) {
    double mean = 0;
    for (int i = 0; i < k; i++) mean += r->rewards[i] / k;
    s->baseline = mean;
    s->have_baseline = 1;
  }
  tensor *loss = NULL;
  for (int i = 0; i < k; i++) {
    tensor *term = nn_scale(&r->ctx, r->batch[i].logp, (float)(-(r->rewards[i] - s->baseline) / k));
    if (cfg->entropy > 0) term = nn_sub(&r->ctx, term, nn_scale(&r->ctx, r->batch[i].entropy, (float)(cfg->entropy / k)));
    loss = loss ? nn_add(&r->ctx, loss, term) : term;
  }
  nn_params_zero_grad(&r->ctl.params);
  nn_backward(&r->ctx, loss);
  nn_optim_step(&r->opt, &r->ctl.params, cfg->optimizer.lr);
  for (int i = 0; i < k; i++) s->baseline = cfg->baseline_decay * s->baseline + (1 - cfg->baseline_decay) * r->rewards[i];
}

/* Draws the architecture of a shared-weight training step (search_draw_fn). */
typedef struct step_draw {
  run *r;
  rng *from;  /* the batch's state */
  long idx;   /* the sample the round comes before (a depth curriculum's position) */
} step_draw;

static int draw_step(void *p, arch *a, strbuf *err) {
  step_draw *d = p;
  run *r = d->r;
  if (r->reinforce) {
    controller_sample cs;
    int rc = controller_draw(&r->ctl, &r->ctx, d->from, d->idx, &cs, err);
    nn_ctx_reset(&r->ctx); /* nothing learns from a training step's draw */
    if (rc) return SEARCH_E_INTERNAL;
    *a = cs.a;
    return 0;
  }
  if (!arch_generate(r->g, d->idx, arch_choose_uniform, d->from, a)) {
    strbuf_printf(err, "sample %ld: the space drew no architecture", d->idx);
    return SEARCH_E_INTERNAL;
  }
  return 0;
}

/* The checkpoint of a batch that ended, with the shared weights first when
 * a round trained them. */
static int checkpoint(run *r, long rounds_before) {
  char path[4200];
  if (r->shared && r->s.shared_rounds != rounds_before) {
    shared_path(r, r->s.shared_rounds, path, sizeof path);
    if (r->shared->save(r->shared->ctx, path, r->err)) return SEARCH_E_FILE;
  }
  if (rundir_write_checkpoint(r->o->dir, &r->s, r->reinforce ? &r->ctl : NULL, &r->opt, r->err)) return SEARCH_E_FILE;
  if (r->shared && r->s.shared_rounds != rounds_before && rounds_before > 0) {
    shared_path(r, rounds_before, path, sizeof path);
    unlink(path); /* the checkpoint no longer names it */
  }
  return 0;
}

/* Whether sample i of the batch needs an evaluation: it is not in the log
 * of a resumed run, and (unless the evaluator judges repeats again) its
 * architecture is in neither the log nor an earlier sample of the batch
 * (batch_keys, which gets its key). */
static int needs_evaluation(run *r, int i, smap *batch_keys) {
  double v;
  strbuf_clear(&r->key);
  search_key(&r->batch[i].a, &r->key);
  int seen = smap_get(&r->known.by_key, r->key.data, &v) || smap_get(batch_keys, r->key.data, &v);
  smap_put(batch_keys, r->key.data, 0);
  if (rundir_logged(&r->known, r->s.samples + i)) return 0;
  return r->shared || !seen;
}

/* Settles the k samples of a drawn batch with the children evaluated by
 * the workers of o->pool, keeping every worker busy: results come back in
 * any order and are settled in sample order, as far as they reach. After a
 * stop no child is submitted; those in flight are waited for. *done: the
 * samples settled. */
static int settle_pooled(run *r, int k, int *done) {
  const search_pool *p = r->o->pool;
  search_result *got = xcalloc((size_t)k, sizeof *got);
  char *need = xcalloc((size_t)k, 1), *have = xcalloc((size_t)k, 1);
  smap batch_keys;
  memset(&batch_keys, 0, sizeof batch_keys);
  for (int i = 0; i < k; i++) need[i] = (char)needs_evaluation(r, i, &batch_keys);
  smap_free(&batch_keys);
  int next = 0, inflight = 0, rc = 0;
  *done = 0;
  for (;;) {
    while (*done < k && (!need[*done] || have[*done])) {
      int settled;
      if ((rc = settle_sample(r, *done, need[*done] ? &got[*done] : NULL, &settled)) || !settled) goto out;
      (*done)++;
    }
    if (*done == k) break;
    int stopping = r->o->stop && *r->o->stop;
    for (; !stopping && inflight < p->workers && next < k; next++) {
      if (!need[next]) continue;
      strbuf_clear(&r->key);
      search_key(&r->batch[next].a, &r->key);
      if ((rc = p->submit(p->ctx, r->s.samples + next, &r->batch[next].a, r->key.data, r->s.best, r->err))) goto out;
      inflight++;
    }
    if (inflight == 0) break; /* stopped */
    long sample;
    search_result res;
    memset(&res, 0, sizeof res);
    if ((rc = p->wait(p->ctx, &sample, &res, r->err))) goto out;
    long i = sample - r->s.samples;
    if (i < 0 || i >= next || !need[i] || have[i]) {
      strbuf_printf(r->err, "a worker answered for sample %ld, which is not in flight", sample);
      rc = SEARCH_E_INTERNAL;
      goto out;
    }
    got[i] = res;
    have[i] = 1;
    inflight--;
  }
out:
  free(got);
  free(need);
  free(have);
  return rc;
}

/* One batch: draw, settle, learn, checkpoint. *stopped is set when a stop
 * came inside the batch (the last checkpoint is kept: a resumed run
 * re-draws the batch). */
static int run_batch(run *r, int k, int *stopped) {
  nn_ctx_reset(&r->ctx);
  rng batch_r = r->s.r; /* the state to resume from is the checkpoint's */
  long rounds = r->s.shared_rounds;
  int rc = 0, done = 0;
  if (r->shared && rounds * r->cfg->batch <= r->s.samples) { /* a round begins: train the shared weights */
    step_draw d = {r, &batch_r, r->s.samples};
    rc = r->shared->train(r->shared->ctx, rounds, draw_step, &d, r->o->stop, r->err);
    rounds++;
  }
  if (rc == 0) rc = draw_batch(r, k, &batch_r);
  if (rc == 0 && r->o->pool) {
    rc = settle_pooled(r, k, &done);
  } else {
    for (int i = 0; i < k && rc == 0; i++) {
      int settled;
      rc = settle_sample(r, i, NULL, &settled);
      if (!settled) break;
      done++;
    }
  }
  if (rc == 0 && done == k) {
    if (r->reinforce) run_update(r, k);
    r->s.samples += k;
    r->s.r = batch_r;
    long before = r->s.shared_rounds;
    r->s.shared_rounds = rounds;
    rc = checkpoint(r, before);
  } else if (rc == 0) {
    *stopped = 1;
  }
  for (int i = 0; i < k; i++) arch_free(&r->batch[i].a);
  return rc;
}

static int loop(run *r, search_summary *sum) {
  /* random search settles one sample at a time, or one per worker: its
   * draws, and so its log, do not depend on how they are grouped; with
   * shared weights it goes by batches, as the rounds of shared training
   * do, so that they come between the same samples with any number of
   * workers */
  int m = r->reinforce || r->shared ? r->cfg->batch : r->o->pool ? r->o->pool->workers : 1, rc = 0;
  r->batch = xcalloc((size_t)m, sizeof *r->batch);
  r->rewards = xcalloc((size_t)m, sizeof(double));
  r->t0 = nasl_clock_seconds();
  r->start_samples = r->s.samples;
  while (r->s.samples < r->budget && rc == 0 && !sum->stopped) {
    if (r->o->stop && *r->o->stop) {
      sum->stopped = 1;
      break;
    }
    if (r->minutes > 0 && nasl_clock_seconds() - r->t0 > r->minutes * 60) {
      if (!r->o->quiet) fprintf(stderr, "the time budget of %g minutes is spent\n", r->minutes);
      break;
    }
    int k = (int)(r->budget - r->s.samples < m ? r->budget - r->s.samples : m);
    rc = run_batch(r, k, &sum->stopped);
  }
  free(r->batch);
  free(r->rewards);
  return rc;
}

/* A candidate of the ranking and its line. */
typedef struct candidate {
  double reward;
  int ok;
  long draw;
  char *line;
} candidate;

static int by_reward(const void *pa, const void *pb) {
  const candidate *a = pa, *b = pb;
  if (a->ok != b->ok) return b->ok - a->ok;
  if (a->reward != b->reward) return a->reward < b->reward ? 1 : -1;
  return a->draw < b->draw ? -1 : a->draw > b->draw;
}

/* The summary's figures of the ranking in path. */
static int ranked_best(const char *path, search_summary *sum, strbuf *err) {
  rundir_top top;
  int n = rundir_read_top(path, 1, &top, err);
  if (n < 0) return SEARCH_E_FILE;
  strbuf text;
  strbuf_init(&text);
  if (strbuf_read_file(&text, path, 1 << 26) == 0)
    for (size_t i = 0; i < text.len; i++) sum->ranked += text.data[i] == '\n';
  strbuf_free(&text);
  if (n == 1) {
    sum->ranked_reward = top.reward;
    snprintf(sum->ranked_key, sizeof sum->ranked_key, "%s", top.key);
    rundir_top_free(&top, 1);
  }
  return 0;
}

/* The ranking that ends a shared-weight search (search_shared.rank). */
static int rank_candidates(run *r, search_summary *sum) {
  char path[4200];
  struct stat st;
  snprintf(path, sizeof path, "%s/ranked.jsonl", r->o->dir);
  if (stat(path, &st) == 0) return ranked_best(path, sum, r->err); /* a resumed run that had ranked */
  int n = r->shared->rank, rc = 0, kept = 0;
  if (!r->o->quiet)
    fprintf(stderr, "ranking %d architectures drawn from the %s on the validation split under the shared weights\n", n,
            r->reinforce ? "controller" : "space");
  candidate *c = xcalloc((size_t)n, sizeof *c);
  rng from = r->s.r;
  smap seen;
  memset(&seen, 0, sizeof seen);
  for (int i = 0; i < n && rc == 0; i++) {
    if (r->o->stop && *r->o->stop) {
      sum->stopped = 1;
      break;
    }
    nn_ctx_reset(&r->ctx);
    step_draw d = {r, &from, r->s.samples};
    arch a;
    if ((rc = draw_step(&d, &a, r->err))) break;
    strbuf_clear(&r->key);
    search_key(&a, &r->key);
    double v;
    if (smap_get(&seen, r->key.data, &v)) { /* drawn before */
      arch_free(&a);
      continue;
    }
    smap_put(&seen, r->key.data, 0);
    search_result res;
    memset(&res, 0, sizeof res);
    res.best_before = INFINITY;
    rc = r->shared->judge(r->shared->ctx, &a, r->key.data, &res, r->err);
    if (rc == 0) {
      if (!res.ok) res.reward = SEARCH_FAILED_REWARD;
      strbuf_clear(&r->line);
      rundir_log_line(&r->line, i, r->key.data, &res, 0, &a);
      c[kept] = (candidate){res.reward, res.ok, i, xstrdup(r->line.data)};
      kept++;
      if (!r->o->quiet)
        fprintf(stderr, "candidate %d/%d: reward %.4f%s  %s\n", i + 1, n, res.reward, res.ok ? "" : " (rejected)",
                r->key.data);
    }
    arch_free(&a);
  }
  smap_free(&seen);
  if (rc == 0 && !sum->stopped) {
    qsort(c, (size_t)kept, sizeof *c, by_reward);
    strbuf all;
    strbuf_init(&all);
    for (int i = 0; i < kept; i++) strbuf_puts(&all, c[i].line);
    if (fs_write_atomic(path, all.data, all.len, r->err)) rc = SEARCH_E_FILE;
    strbuf_free(&all);
    if (rc == 0) rc = ranked_best(path, sum, r->err);
  }
  for (int i = 0; i < kept; i++) free(c[i].line);
  free(c);
  return rc;
}

int search_run(const grammar *g, const search_opts *o, search_eval_fn eval, void *eval_ctx, search_summary *sum,
               strbuf *err) {
  memset(sum, 0, sizeof *sum);
  run r;
  memset(&r, 0, sizeof r);
  r.g = g;
  r.cfg = &g->search;
  r.o = o;
  r.eval = eval;
  r.eval_ctx = eval_ctx;
  r.err = err;
  r.shared = o->shared;
  r.lock = -1;
  r.log = -1;
  r.budget = o->samples > 0 ? o->samples : r.cfg->samples;
  r.minutes = o->minutes > 0 ? o->minutes : r.cfg->minutes;
  r.reinforce = r.cfg->strategy == STRATEGY_REINFORCE;
  r.s.best = -INFINITY;
  r.s.best_test = NAN;
  rng_seed(&r.s.r, (uint64_t)r.cfg->seed);
  rng init_r;
  rng_seed(&init_r, (uint64_t)r.cfg->seed ^ 0xc0ffee);
  if (r.reinforce) {
    controller_init(&r.ctl, g, &init_r);
    nn_optimizer ocfg = train_optimizer(&r.cfg->optimizer);
    nn_optim_init(&r.opt, &ocfg, &r.ctl.params);
  }
  strbuf_init(&r.key);
  strbuf_init(&r.line);
  r.s.async = o->pool && o->async;
  int rc = open_run(&r);
  if (rc == 0 && r.s.async && !o->pool) {
    strbuf_printf(err, "'%s' holds an asynchronous run; resume it under mpirun (mpirun -n N naslc run FILE --resume %s)",
                  o->dir, o->dir);
    rc = SEARCH_E_UNSUPPORTED;
  }
  if (rc == 0) {
    nn_ctx_init(&r.ctx, 1, &r.s.r);
    rc = r.s.async ? run_loop_async(&r, sum) : loop(&r, sum);
    if (rc == 0 && !sum->stopped && r.shared && r.shared->rank > 0) rc = rank_candidates(&r, sum);
    nn_ctx_free(&r.ctx);
  }
  if (rc == 0 && !sum->stopped && g->has_final) rc = search_final_stage(g, o, sum, err); /* the lock still held */
  if (r.log >= 0) close(r.log);
  rundir_unlock(r.lock);
  sum->samples = r.s.samples;
  sum->evaluated = r.s.evaluated;
  sum->hits = r.s.hits;
  sum->best_reward = r.s.best;
  sum->best_test = r.s.best_test;
  snprintf(sum->best_key, sizeof sum->best_key, "%s", r.s.best_key);
  if (r.reinforce) {
    nn_optim_free(&r.opt);
    controller_free(&r.ctl);
  }
  rundir_log_free(&r.known);
  free(r.s.inflight);
  strbuf_free(&r.key);
  strbuf_free(&r.line);
  return rc;
}

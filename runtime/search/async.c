/* async.c: the asynchronous mode of a search on workers (search.h,
 * search_opts.async). Every worker is kept busy: when one finishes, its
 * result is logged at once and a new architecture is drawn from the
 * controller as it is then. Every `batch` results (in the order they came)
 * the controller is updated by REINFORCE on them, their log-probabilities
 * taken under the current controller, and the run is checkpointed. A
 * result's staleness (logged) is the number of updates between its draw
 * and its arrival.
 *
 * Crash safety rests on one fact: every sample drawn after a checkpoint was
 * drawn by the checkpoint's controller from the checkpoint's random state,
 * in sample order. A resumed run therefore draws them again, takes those in
 * the log from the log and trains the others again; and the children in
 * flight at the checkpoint, drawn earlier, are in the checkpoint
 * ("inflight": sample, updates when drawn, tokens).
 *
 * An architecture is trained once: a draw of one that is on a worker
 * (unless the evaluator judges repeats again) waits for that worker's
 * result and is settled by it as a repeat, as a draw of one already in the
 * log is at once. Such twins are in the checkpoint's "inflight" too. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/clock.h"
#include "common/json.h"
#include "runtime/search/run.h"

typedef struct child {
  long sample;
  long version;   /* r->s.updates when it was drawn */
  arch a;
  char *key;      /* a's canonical string, once it has been looked up (sort_out) */
  double reward;  /* when settled */
} child;

typedef struct children {
  child *v;
  int n, cap;
} children;

static void add(children *c, const child *x) {
  if (c->n == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 16;
    c->v = xrealloc(c->v, sizeof *c->v * (size_t)c->cap);
  }
  c->v[c->n++] = *x;
}

/* Removes and returns child i, keeping the order of the rest. */
static child take(children *c, int i) {
  child x = c->v[i];
  c->n--;
  memmove(c->v + i, c->v + i + 1, sizeof *c->v * (size_t)(c->n - i));
  return x;
}

static int by_sample(const void *x, const void *y) {
  long a = ((const child *)x)->sample, b = ((const child *)y)->sample;
  return (a > b) - (a < b);
}

static void child_free(child *c) {
  arch_free(&c->a);
  free(c->key);
}

static void free_children(children *c) {
  for (int i = 0; i < c->n; i++) child_free(&c->v[i]);
  free(c->v);
  memset(c, 0, sizeof *c);
}

typedef struct async {
  run *r;
  rng from;          /* the draws' state */
  long drawn;        /* samples drawn */
  int m;             /* results per update */
  int cap;           /* entries of r->batch and r->rewards */
  children flight;   /* on a worker */
  children queue;    /* in flight at the checkpoint a resumed run started from: to train again */
  children pending;  /* settled since the last update */
  children twins;    /* drawn while their architecture was on a worker: settled by its result */
} async;

/* The children in flight at the checkpoint (r->s.inflight) into a->queue,
 * or into a->pending when the log already holds them. */
static int read_inflight(async *a) {
  run *r = a->r;
  if (!r->s.inflight) return 0;
  arena mem;
  arena_init(&mem);
  strbuf why;
  strbuf_init(&why);
  int rc = 0;
  const json_value *v = json_parse(&mem, r->s.inflight, strlen(r->s.inflight), &why);
  for (int i = 0; v && v->kind == JSON_ARRAY && i < v->n && rc == 0; i++) {
    const json_value *e = v->items[i];
    child c;
    memset(&c, 0, sizeof c);
    int ok = e->kind == JSON_ARRAY && e->n == 3 && e->items[0]->is_integer && e->items[1]->is_integer &&
             e->items[2]->kind == JSON_ARRAY && e->items[2]->n <= 100000 && e->items[0]->integer >= 0 &&
             e->items[0]->integer < a->drawn && e->items[1]->integer >= 0;
    int *tokens = NULL;
    if (ok) {
      tokens = xcalloc((size_t)e->items[2]->n + 1, sizeof(int));
      for (int k = 0; k < e->items[2]->n && ok; k++) {
        const json_value *t = e->items[2]->items[k];
        ok = t->is_integer && t->integer >= 0 && t->integer < 1000000;
        if (ok) tokens[k] = (int)t->integer;
      }
    }
    if (ok) {
      c.sample = (long)e->items[0]->integer;
      c.version = (long)e->items[1]->integer;
      ok = arch_from_tokens(r->g, c.sample, tokens, e->items[2]->n, &c.a, &why);
    }
    free(tokens);
    if (!ok) {
      strbuf_printf(r->err, "the checkpoint's 'inflight' entry %d is damaged%s%s; the run cannot be resumed from it",
                    i + 1, why.len ? ": " : "", why.data);
      rc = SEARCH_E_FILE;
      break;
    }
    const rundir_entry *logged = rundir_logged(&r->known, c.sample);
    if (logged) {
      c.reward = logged->reward;
      add(&a->pending, &c);
    } else {
      add(&a->queue, &c);
    }
  }
  /* trained again in sample order: a twin is then the later draw, as it was */
  if (a->queue.n > 1) qsort(a->queue.v, (size_t)a->queue.n, sizeof *a->queue.v, by_sample);
  if (rc == 0 && (!v || v->kind != JSON_ARRAY)) {
    strbuf_printf(r->err, "the checkpoint's 'inflight' is damaged (%s); the run cannot be resumed from it",
                  why.len ? why.data : "not a list");
    rc = SEARCH_E_FILE;
  }
  strbuf_free(&why);
  arena_free(&mem);
  return rc;
}

/* The checkpoint after an update: the children in flight, queued or
 * waiting for a twin go in its "inflight". */
static int checkpoint(async *a) {
  run *r = a->r;
  strbuf b;
  strbuf_init(&b);
  strbuf_putc(&b, '[');
  const children *lists[] = {&a->flight, &a->queue, &a->twins};
  for (int q = 0; q < 3; q++) {
    const children *c = lists[q];
    for (int i = 0; i < c->n; i++) {
      strbuf_printf(&b, "%s[%ld,%ld,[", b.len > 1 ? "," : "", c->v[i].sample, c->v[i].version);
      for (int k = 0; k < c->v[i].a.ntokens; k++) strbuf_printf(&b, "%s%d", k ? "," : "", c->v[i].a.tokens[k]);
      strbuf_puts(&b, "]]");
    }
  }
  strbuf_putc(&b, ']');
  free(r->s.inflight);
  r->s.inflight = strbuf_take(&b);
  strbuf_free(&b); /* take leaves a fresh buffer */
  r->s.samples = a->drawn;
  r->s.r = a->from;
  return rundir_write_checkpoint(r->o->dir, &r->s, r->reinforce ? &r->ctl : NULL, &r->opt, r->err) ? SEARCH_E_FILE : 0;
}

/* REINFORCE on the pending results, each scored under the controller as
 * it is now, then a checkpoint. */
static int update(async *a) {
  run *r = a->r;
  int k = a->pending.n;
  if (k > a->cap) { /* more than a batch: a resumed run found many in its log */
    a->cap = k;
    r->batch = xrealloc(r->batch, sizeof *r->batch * (size_t)k);
    r->rewards = xrealloc(r->rewards, sizeof *r->rewards * (size_t)k);
  }
  if (r->reinforce && k > 0) {
    nn_ctx_reset(&r->ctx);
    for (int i = 0; i < k; i++) {
      if (controller_score(&r->ctl, &r->ctx, &a->pending.v[i].a, &r->batch[i].logp, &r->batch[i].entropy, r->err))
        return SEARCH_E_INTERNAL;
      r->rewards[i] = a->pending.v[i].reward;
    }
    run_update(r, k);
    nn_ctx_reset(&r->ctx);
  }
  r->s.updates++;
  free_children(&a->pending);
  return checkpoint(a);
}

/* A settled child joins the pending results; an update when there are m. */
static int settled(async *a, child *c) {
  add(&a->pending, c);
  return a->pending.n >= a->m ? update(a) : 0;
}

/* Draws sample a->drawn into *c. */
static int draw(async *a, child *c) {
  run *r = a->r;
  memset(c, 0, sizeof *c);
  c->sample = a->drawn;
  c->version = r->s.updates;
  if (r->reinforce) {
    controller_sample cs;
    int rc = controller_draw(&r->ctl, &r->ctx, &a->from, c->sample, &cs, r->err);
    nn_ctx_reset(&r->ctx); /* the update scores it again */
    if (rc) return SEARCH_E_INTERNAL;
    c->a = cs.a;
  } else if (!arch_generate(r->g, c->sample, arch_choose_uniform, &a->from, &c->a)) {
    strbuf_printf(r->err, "sample %ld: the space drew no architecture", c->sample);
    return SEARCH_E_INTERNAL;
  }
  a->drawn++;
  return 0;
}

/* Whether a child on a worker has the architecture of key. */
static int on_worker(const async *a, const char *key) {
  for (int i = 0; i < a->flight.n; i++)
    if (!strcmp(a->flight.v[i].key, key)) return 1;
  return 0;
}

/* Child *c, drawn or queued, without a worker yet: settled when the log or
 * an earlier sample knows its architecture (0), parked among the twins when
 * one with that architecture is on a worker (0), else to be trained (1); or
 * a search_error. */
static int sort_out(async *a, child *c) {
  run *r = a->r;
  strbuf_clear(&r->key);
  search_key(&c->a, &r->key);
  if (!c->key) c->key = xstrdup(r->key.data);
  search_result res;
  memset(&res, 0, sizeof res);
  int hit, rc;
  if (!run_known(r, c->sample, &res, &hit)) {
    if (r->shared || !on_worker(a, c->key)) return 1;
    add(&a->twins, c);
    return 0;
  }
  c->reward = res.reward;
  if ((rc = run_took(r, c->sample, &c->a, &res, hit))) {
    child_free(c);
    return rc;
  }
  return settled(a, c); /* which keeps c */
}

/* The next child for an idle worker into *c: one to train again, else a
 * new draw; draws that the log, an earlier sample or a child on a worker
 * settle are settled or parked on the way. 1 when there is one, 0 when
 * there is none (budget spent, a stop, a batch of twins waiting), or a
 * search_error. */
static int next_child(async *a, child *c) {
  run *r = a->r;
  while (a->queue.n) {
    *c = take(&a->queue, 0);
    int rc = sort_out(a, c);
    if (rc) return rc;
  }
  for (;;) {
    if ((r->o->stop && *r->o->stop) || a->drawn >= r->budget) return 0;
    if (r->minutes > 0 && nasl_clock_seconds() - r->t0 > r->minutes * 60) return 0;
    /* a batch of twins waits: further draws would come from a policy that
     * has not yet learnt from them (the idle worker waits for a result) */
    if (a->twins.n >= a->m) return 0;
    int rc = draw(a, c);
    if (!rc) rc = sort_out(a, c);
    if (rc) return rc;
  }
}

/* A worker's result: logged, learnt from when m have come. */
static int arrived(async *a, long sample, search_result *got) {
  run *r = a->r;
  int i = 0;
  while (i < a->flight.n && a->flight.v[i].sample != sample) i++;
  if (i == a->flight.n) {
    strbuf_printf(r->err, "a worker answered for sample %ld, which is not in flight", sample);
    return SEARCH_E_INTERNAL;
  }
  child c = take(&a->flight, i);
  got->async = 1;
  got->staleness = r->s.updates - c.version;
  strbuf_clear(&r->key);
  strbuf_puts(&r->key, c.key);
  search_result res;
  int rc = run_evaluate(r, sample, &c.a, &res, got);
  if (rc == 0) {
    c.reward = res.reward;
    rc = run_took(r, sample, &c.a, &res, 0);
  }
  if (rc) {
    child_free(&c);
    return rc;
  }
  char *key = c.key; /* kept here: settling may free the pending children */
  c.key = NULL;
  rc = settled(a, &c);
  /* its twins: repeats of the result just logged */
  for (int j = 0; rc == 0 && j < a->twins.n;) {
    if (strcmp(a->twins.v[j].key, key)) {
      j++;
      continue;
    }
    child t = take(&a->twins, j); /* in the order they were drawn */
    rc = sort_out(a, &t);
    if (rc == 1) { /* not known after all: trained on its own */
      add(&a->queue, &t);
      rc = 0;
    }
  }
  free(key);
  return rc;
}

int run_loop_async(run *r, search_summary *sum) {
  const search_pool *p = r->o->pool;
  async a;
  memset(&a, 0, sizeof a);
  a.r = r;
  a.from = r->s.r;
  a.drawn = r->s.samples;
  a.m = r->reinforce ? r->cfg->batch : p->workers;
  a.cap = a.m;
  r->batch = xcalloc((size_t)a.cap, sizeof *r->batch);
  r->rewards = xcalloc((size_t)a.cap, sizeof(double));
  r->t0 = nasl_clock_seconds();
  r->start_samples = r->s.samples;
  int rc = read_inflight(&a);
  while (rc == 0) {
    while (rc == 0 && a.flight.n < p->workers) {
      child c;
      int got = next_child(&a, &c);
      if (got <= 0) {
        rc = got;
        break;
      }
      rc = p->submit(p->ctx, c.sample, &c.a, c.key, r->s.best, r->err);
      add(&a.flight, &c);
    }
    if (rc || a.flight.n == 0) break;
    long sample;
    search_result res;
    memset(&res, 0, sizeof res);
    if ((rc = p->wait(p->ctx, &sample, &res, r->err)) == 0) rc = arrived(&a, sample, &res);
  }
  if (rc == 0 && r->o->stop && *r->o->stop) {
    sum->stopped = 1; /* the last checkpoint stands: a resumed run draws again from it */
  } else if (rc == 0 && (a.pending.n > 0 || a.queue.n > 0 || a.drawn > r->s.samples)) {
    rc = update(&a); /* the last results, fewer than a batch */
  }
  r->s.samples = a.drawn;
  free_children(&a.flight);
  free_children(&a.queue);
  free_children(&a.pending);
  free_children(&a.twins);
  free(r->batch);
  free(r->rewards);
  r->batch = NULL;
  r->rewards = NULL;
  return rc;
}

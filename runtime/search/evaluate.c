/* evaluate.c: the evaluators a search recipe can name (see evaluate.h):
 * training each child on the recipe's data (image children or language
 * models), or looking its reward up in a table. */
#include "runtime/search/evaluate.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/parse.h"
#include "runtime/models/dagnet.h"
#include "runtime/train/reward.h"

/* A child that cannot be built or trained: it gets the failure reward, and
 * the reason is its note. */
static int rejected(search_result *res, const strbuf *why) {
  res->ok = 0;
  snprintf(res->note, sizeof res->note, "%s", why->data);
  return 0;
}

/* The reward of a trained child; 1 when it beats the best so far, so that
 * its test pass is worth its cost (a full pass over the test set). */
static int take_reward(search_result *res, const train_report *rep) {
  res->ok = rep->reward_ok;
  res->reward = rep->reward_ok ? rep->reward : SEARCH_FAILED_REWARD;
  return res->ok && res->reward > res->best_before;
}

/* The rest of the report: its test figure (test_ok: the pass ran; else NAN
 * with the pass's error, if any, as the note), sizes, time and the
 * validation series. */
static void take_report(search_result *res, const train_report *rep, int test_ok, const strbuf *why) {
  if (why->len) snprintf(res->note, sizeof res->note, "%s", why->data);
  if (!rep->reward_ok) snprintf(res->note, sizeof res->note, "the reward could not be evaluated");
  res->seconds = rep->seconds;
  res->params = rep->params;
  res->flops = rep->flops;
  res->test_metric = test_ok ? rep->test_metric : NAN; /* the log names it by the metric */
  res->epochs = rep->epochs < 64 ? rep->epochs : 64;
  for (int i = 0; i < res->epochs; i++) res->valid_metric[i] = rep->valid_metric[i];
}

static int eval_train(void *p, const arch *a, const char *key, search_result *res, strbuf *err) {
  (void)key, (void)err;
  search_evaluator *e = p;
  child ch;
  train_report rep;
  strbuf why;
  strbuf_init(&why);
  if (train_child(e->g, a, &e->data, &e->opts, &ch, &rep, &why)) {
    rejected(res, &why);
    strbuf_free(&why);
    return 0;
  }
  int test_ok = 0;
  if (take_reward(res, &rep)) {
    double loss;
    test_ok = !train_evaluate(&ch, &e->data.test, 256, e->opts.threads, &rep.test_metric, &loss, &why);
  }
  take_report(res, &rep, test_ok, &why);
  child_free(&ch);
  train_report_free(&rep);
  strbuf_free(&why);
  return 0;
}

static int eval_lm(void *p, const arch *a, const char *key, search_result *res, strbuf *err) {
  (void)key, (void)err;
  search_evaluator *e = p;
  lm m;
  train_report rep;
  strbuf why;
  strbuf_init(&why);
  if (lm_train_child(e->g, a, &e->words, &e->opts, &m, &rep, &why)) {
    rejected(res, &why);
    train_report_free(&rep);
    strbuf_free(&why);
    return 0;
  }
  int test_ok = 0;
  if (take_reward(res, &rep)) {
    const grammar_train *t = &e->g->train;
    test_ok = !lm_evaluate(&m, e->words.test, e->words.ntest, t->batch, t->bptt, e->opts.threads, &rep.test_metric,
                           &why);
  }
  take_report(res, &rep, test_ok, &why);
  lm_free(&m);
  train_report_free(&rep);
  strbuf_free(&why);
  return 0;
}

static int eval_table(void *p, const arch *a, const char *key, search_result *res, strbuf *err) {
  (void)a;
  search_evaluator *e = p;
  double v = search_table_lookup(e->table, key);
  if (isnan(v)) {
    res->ok = 0;
    snprintf(res->note, sizeof res->note, "'%.200s' is not in the table", key);
    return 0;
  }
  if (e->simulate > 0) { /* NASLC_SIMULATE_SECONDS: stands for a child's training */
    struct timespec ts = {(time_t)e->simulate, (long)((e->simulate - floor(e->simulate)) * 1e9)};
    while (nanosleep(&ts, &ts) && errno == EINTR) {
    }
    res->seconds = e->simulate;
  }
  reward_inputs in = {0, NULL, NULL, NULL, 0, 0, v};
  res->reward = reward_eval(e->g->search.reward, &in, &res->ok, err);
  if (!res->ok) return SEARCH_E_REWARD; /* the formula needs what a table does not have */
  return 0;
}

int search_evaluator_open(search_evaluator *e, const grammar *g, int threads, int quiet, strbuf *err) {
  memset(e, 0, sizeof *e);
  e->g = g;
  const grammar_search *s = &g->search;
  /* a DAG cell whose children cannot be built: refused before any is drawn */
  if ((s->evaluator != EVAL_TABLE || g->has_final) && dagnet_check_ops(g, err)) return SEARCH_E_UNSUPPORTED;
  if (s->evaluator == EVAL_TABLE) {
    const char *sim = getenv("NASLC_SIMULATE_SECONDS");
    if (sim && *sim && parse_double(sim, 0, 86400, 0, &e->simulate)) {
      strbuf_printf(err, "NASLC_SIMULATE_SECONDS is '%.40s'; it must be a number of seconds from 0 to 86400", sim);
      return SEARCH_E_UNSUPPORTED;
    }
    if (search_table_load(s->table_file, s->table_key, s->table_column, &e->table, err)) return SEARCH_E_FILE;
    e->fn = eval_table;
    return 0;
  }
  int failed;
  if (grammar_is_lm(g)) {
    failed = lm_data_load(&g->train, quiet, &e->text, &e->words, err);
  } else {
    if (!quiet) fprintf(stderr, "loading %s\n", g->train.data.name);
    failed = train_data_load(&g->train, &e->data, err);
  }
  if (failed) return SEARCH_E_FILE;
  e->opts = (train_opts){0, threads, 1, 0, 0, 1};
  e->fn = grammar_is_lm(g) ? eval_lm : eval_train;
  if (s->evaluator == EVAL_SHARED) {
    e->opts.quiet = quiet;
    int rc = search_shared_open(e, err);
    if (rc) return rc;
    e->shared = &e->hooks;
  }
  return 0;
}

void search_evaluator_close(search_evaluator *e) {
  train_data_free(&e->data);
  if (e->words.train) corpus_free(&e->text);
  search_table_free(e->table);
  if (e->shared) shared_free(&e->store);
  if (e->ctx_ready) nn_ctx_free(&e->ctx);
  free(e->perm);
  free(e->labels);
  free(e->lm_state);
  free(e->seg_in);
  free(e->seg_out);
  memset(e, 0, sizeof *e);
}

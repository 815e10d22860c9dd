/* evaluate.c: the evaluators a search recipe can name (see evaluate.h):
 * training each child on the recipe's data (image children or language
 * models), or looking its reward up in a table. */
#include "runtime/search/evaluate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "runtime/train/reward.h"

static int eval_train(void *p, const arch *a, const char *key, search_result *res, strbuf *err) {
  (void)key;
  search_evaluator *e = p;
  child ch;
  train_report rep;
  strbuf why;
  strbuf_init(&why);
  if (train_child(e->g, a, &e->data, &e->opts, &ch, &rep, &why)) {
    res->ok = 0; /* this child cannot be built or trained: it gets the failure reward */
    snprintf(res->note, sizeof res->note, "%s", why.data);
    strbuf_free(&why);
    (void)err;
    return 0;
  }
  res->ok = rep.reward_ok;
  res->reward = rep.reward_ok ? rep.reward : SEARCH_FAILED_REWARD;
  if (res->ok && res->reward > res->best_before) { /* the test set is for new bests only: it costs a full pass */
    double loss;
    if (train_evaluate(&ch, &e->data.test, 256, e->opts.threads, &rep.test_metric, &loss, &why)) {
      snprintf(res->note, sizeof res->note, "%s", why.data);
      rep.test_metric = NAN;
    }
  } else {
    rep.test_metric = NAN;
  }
  if (!rep.reward_ok) snprintf(res->note, sizeof res->note, "the reward could not be evaluated");
  res->seconds = rep.seconds;
  res->params = rep.params;
  res->flops = rep.flops;
  res->test_metric = rep.test_metric;
  res->epochs = rep.epochs < 64 ? rep.epochs : 64;
  for (int i = 0; i < res->epochs; i++) res->valid_metric[i] = rep.valid_metric[i];
  child_free(&ch);
  train_report_free(&rep);
  strbuf_free(&why);
  return 0;
}

static int eval_lm(void *p, const arch *a, const char *key, search_result *res, strbuf *err) {
  (void)key;
  (void)err;
  search_evaluator *e = p;
  lm m;
  train_report rep;
  strbuf why;
  strbuf_init(&why);
  if (lm_train_child(e->g, a, &e->words, &e->opts, &m, &rep, &why)) {
    res->ok = 0; /* this cell cannot be built or trained: it gets the failure reward */
    snprintf(res->note, sizeof res->note, "%s", why.data);
    train_report_free(&rep);
    strbuf_free(&why);
    return 0;
  }
  res->ok = rep.reward_ok;
  res->reward = rep.reward_ok ? rep.reward : SEARCH_FAILED_REWARD;
  if (res->ok && res->reward > res->best_before) { /* the test set for new bests only */
    const grammar_train *t = &e->g->train;
    if (lm_evaluate(&m, e->words.test, e->words.ntest, t->batch, t->bptt, e->opts.threads, &rep.test_metric,
                    &why)) {
      snprintf(res->note, sizeof res->note, "%s", why.data);
      rep.test_metric = NAN;
    }
  } else {
    rep.test_metric = NAN;
  }
  if (!rep.reward_ok) snprintf(res->note, sizeof res->note, "the reward could not be evaluated");
  res->seconds = rep.seconds;
  res->params = rep.params;
  res->flops = rep.flops;
  res->test_metric = rep.test_metric; /* the log calls it test_perplexity */
  res->epochs = rep.epochs < 64 ? rep.epochs : 64;
  for (int i = 0; i < res->epochs; i++) res->valid_metric[i] = rep.valid_metric[i];
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
  reward_inputs in = {0, NULL, NULL, NULL, 0, 0, v};
  res->reward = reward_eval(e->g->search.reward, &in, &res->ok, err);
  if (!res->ok) return SEARCH_E_REWARD; /* the formula needs what a table does not have */
  return 0;
}

int search_evaluator_open(search_evaluator *e, const grammar *g, int threads, int quiet, strbuf *err) {
  memset(e, 0, sizeof *e);
  e->g = g;
  const grammar_search *s = &g->search;
  if (s->evaluator == EVAL_TABLE) {
    if (search_table_load(s->table_file, s->table_key, s->table_column, &e->table, err)) return SEARCH_E_FILE;
    e->fn = eval_table;
    return 0;
  }
  if (g->space_kind == SPACE_DAG_CELL) {
    strbuf_printf(err, "training DAG-cell children is not implemented; search '%s' with evaluator: table(...)",
                  g->name);
    return SEARCH_E_UNSUPPORTED;
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
  return 0;
}

void search_evaluator_close(search_evaluator *e) {
  train_data_free(&e->data);
  if (e->words.train) corpus_free(&e->text);
  search_table_free(e->table);
  memset(e, 0, sizeof *e);
}

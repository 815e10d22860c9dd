/* final.c: the final stage of a search (search.h, a `final` block): the
 * best architectures of the log retrained from scratch with the final
 * recipe, tested, and saved as DIR/final/RANK/ (train_save's set).
 *
 * A rank whose directory already holds a complete set for the same
 * architecture (arch.json, history.json and weights.safetensors are
 * replaced as one set, so a set is complete or absent) is taken as it is:
 * a resumed run retrains only the model that was in flight and those after
 * it. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/json.h"
#include "runtime/search/rundir.h"
#include "runtime/search/search.h"
#include "runtime/train/lm_train.h"
#include "runtime/train/train.h"

/* The data of the final recipe, loaded when the first model needs it. */
typedef struct final_data {
  int loaded;
  train_data images;
  corpus text;
  lm_data words;
} final_data;

static int load_data(const grammar *g, int quiet, final_data *fd, strbuf *err) {
  if (fd->loaded) return 0;
  int failed;
  if (grammar_is_lm(g)) {
    failed = lm_data_load(&g->final, quiet, &fd->text, &fd->words, err);
  } else {
    if (!quiet) fprintf(stderr, "loading %s for the final training\n", g->final.data.name);
    failed = train_data_load(&g->final, &fd->images, err);
  }
  if (failed) return -1;
  fd->loaded = 1;
  return 0;
}

static void free_data(const grammar *g, final_data *fd) {
  if (!fd->loaded) return;
  if (grammar_is_lm(g)) {
    corpus_free(&fd->text);
  } else {
    train_data_free(&fd->images);
  }
}

/* The figures of a complete set in dir for the architecture key, into f:
 * 1 when there is one, 0 when there is none (or it is another
 * architecture's, or not readable: it is trained again). */
static int saved_set(const grammar *g, const char *dir, const char *key, search_final *f) {
  char path[4300];
  strbuf text, k, why;
  strbuf_init(&text);
  strbuf_init(&k);
  strbuf_init(&why);
  arena mem;
  arena_init(&mem);
  int found = 0;
  arch a;
  snprintf(path, sizeof path, "%s/arch.json", dir);
  if (strbuf_read_file(&text, path, 1 << 20) == 0 && arch_from_record(g, text.data, text.len, &a, &why) == 1) {
    search_key(&a, &k);
    arch_free(&a);
    strbuf_clear(&text);
    snprintf(path, sizeof path, "%s/history.json", dir);
    const json_value *h = NULL;
    if (!strcmp(k.data, key) && strbuf_read_file(&text, path, 1 << 20) == 0)
      h = json_parse(&mem, text.data, text.len, NULL);
    const json_value *test = json_get(h, grammar_is_lm(g) ? "test_perplexity" : "test_accuracy");
    const json_value *valid = json_get(h, grammar_is_lm(g) ? "valid_perplexity" : "valid_accuracy");
    const json_value *secs = json_get(h, "seconds"), *params = json_get(h, "params");
    snprintf(path, sizeof path, "%s/weights.safetensors", dir);
    struct stat st;
    if (test && test->kind == JSON_NUMBER && stat(path, &st) == 0) {
      found = 1;
      f->ok = 1;
      f->reused = 1;
      f->test = test->number;
      f->valid = valid && valid->kind == JSON_ARRAY && valid->n && valid->items[valid->n - 1]->kind == JSON_NUMBER
                     ? valid->items[valid->n - 1]->number
                     : NAN;
      f->seconds = secs && secs->kind == JSON_NUMBER ? secs->number : NAN;
      f->params = params && params->kind == JSON_NUMBER ? (int64_t)params->number : 0;
    }
  }
  arena_free(&mem);
  strbuf_free(&text);
  strbuf_free(&k);
  strbuf_free(&why);
  return found;
}

/* Trains architecture a from scratch with the final recipe and saves it in
 * dir. 0 (f->ok says whether it trained; f->note why not), or -1 with a
 * message when the model cannot be saved. */
static int train_one(const grammar *g, const search_opts *o, const arch *a, const final_data *fd, const char *dir,
                     search_final *f, strbuf *err) {
  grammar gf = *g; /* the final recipe in the place train_child reads */
  gf.train = g->final;
  train_opts opts = {0, o->threads > 0 ? o->threads : 1, o->quiet, 0, 0, 0};
  train_report rep;
  memset(&rep, 0, sizeof rep);
  strbuf why;
  strbuf_init(&why);
  int rc = 0;
  if (train_save_check(dir, err)) {
    strbuf_free(&why);
    return -1;
  }
  if (grammar_is_lm(g)) {
    lm m;
    if (lm_train_child(&gf, a, &fd->words, &opts, &m, &rep, &why) == 0) {
      f->ok = 1;
      rc = train_save(dir, a, o->file, &m.params, &rep, err);
      lm_free(&m);
    }
  } else {
    child ch;
    if (train_child(&gf, a, &fd->images, &opts, &ch, &rep, &why) == 0) {
      f->ok = 1;
      rc = train_save(dir, a, o->file, &ch.params, &rep, err);
      child_free(&ch);
    }
  }
  if (f->ok) {
    f->test = rep.test_metric;
    f->valid = rep.epochs ? rep.valid_metric[rep.epochs - 1] : NAN;
    f->seconds = rep.seconds;
    f->params = rep.params;
  } else {
    snprintf(f->note, sizeof f->note, "%s", why.data);
  }
  train_report_free(&rep);
  strbuf_free(&why);
  return rc;
}

int search_final_stage(const grammar *g, const search_opts *o, search_summary *sum, strbuf *err) {
  char path[4200];
  rundir_top top[SEARCH_FINAL_MAX];
  int k = g->final.top < SEARCH_FINAL_MAX ? g->final.top : SEARCH_FINAL_MAX;
  int ranked = o->shared && o->shared->rank > 0; /* a shared-weight search ranks its own candidates */
  snprintf(path, sizeof path, "%s/%s", o->dir, ranked ? "ranked.jsonl" : "log.jsonl");
  int n = rundir_read_top(path, k, top, err);
  if (n < 0) return SEARCH_E_FILE;
  if (n == 0) {
    if (!o->quiet) fprintf(stderr, "final training: no architecture was evaluated without error; nothing to retrain\n");
    return 0;
  }
  int rc = 0;
  const char *metric = grammar_is_lm(g) ? "test perplexity" : "test accuracy";
  final_data fd;
  memset(&fd, 0, sizeof fd);
  for (int i = 0; i < n && rc == 0; i++) {
    search_final *f = &sum->final[i];
    memset(f, 0, sizeof *f);
    f->rank = i + 1;
    f->sample = top[i].sample;
    f->reward = top[i].reward;
    f->ranked = ranked;
    f->test = f->valid = f->seconds = NAN;
    snprintf(f->key, sizeof f->key, "%s", top[i].key);
    snprintf(path, sizeof path, "%s/final/%d", o->dir, i + 1);
    if (saved_set(g, path, top[i].key, f)) {
      if (!o->quiet)
        fprintf(stderr, "final %d/%d: %s, already trained (%s %.4f)\n", i + 1, n, path, metric, f->test);
      sum->nfinal = i + 1;
      continue;
    }
    if (o->stop && *o->stop) {
      sum->stopped = 1;
      break;
    }
    arch a;
    strbuf why;
    strbuf_init(&why);
    if (arch_from_record(g, top[i].record, strlen(top[i].record), &a, &why) != 1) {
      strbuf_printf(err, "%s: the record of sample %ld does not fit the space: %s", o->dir, top[i].sample, why.data);
      strbuf_free(&why);
      rc = SEARCH_E_FILE;
      break;
    }
    strbuf_free(&why);
    if (load_data(g, o->quiet, &fd, err)) {
      arch_free(&a);
      rc = SEARCH_E_FILE;
      break;
    }
    if (!o->quiet)
      fprintf(stderr, "final %d/%d: %s %ld (%s reward %.4f) trained from scratch with the final recipe, %d epochs\n",
              i + 1, n, ranked ? "candidate" : "sample", ranked ? top[i].sample + 1 : top[i].sample,
              ranked ? "ranking" : "search", top[i].reward, g->final.epochs);
    if (train_one(g, o, &a, &fd, path, f, err)) rc = SEARCH_E_FILE;
    arch_free(&a);
    if (rc == 0) {
      sum->nfinal = i + 1;
      if (!o->quiet) {
        if (f->ok) fprintf(stderr, "final %d/%d: %s %.4f, saved in %s\n", i + 1, n, metric, f->test, path);
        else fprintf(stderr, "final %d/%d: not trained: %s\n", i + 1, n, f->note);
      }
    }
  }
  free_data(g, &fd);
  rundir_top_free(top, n);
  return rc;
}

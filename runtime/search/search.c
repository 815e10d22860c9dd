/* search.c: see search.h. */
#include "runtime/search/search.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/json.h"
#include "runtime/search/controller.h"
#include "nn/optim.h"
#include "nn/safetensors.h"
#include "runtime/train/train.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void search_key(const arch *a, strbuf *out) {
  const grammar_node *p = a->g->program;
  if (p->kind == GN_DAG && !p->dag_pick) {
    arch_cell_string(a, out);
    return;
  }
  strbuf_printf(out, "d%d:", a->depth);
  for (int i = 0; i < a->ntokens; i++) strbuf_printf(out, "%s%d", i ? "," : "", a->tokens[i]);
}

/* ---- a string -> double map (dedupe, tables) ---- */

typedef struct smap {
  char **keys;
  double *vals;
  size_t cap, n;
} smap;

static uint64_t hash(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

static void smap_put(smap *m, const char *key, double v);

static void smap_grow(smap *m) {
  smap bigger = {0};
  bigger.cap = m->cap ? m->cap * 2 : 1024;
  bigger.keys = xcalloc(bigger.cap, sizeof(char *));
  bigger.vals = xcalloc(bigger.cap, sizeof(double));
  for (size_t i = 0; i < m->cap; i++)
    if (m->keys[i]) {
      smap_put(&bigger, m->keys[i], m->vals[i]);
      free(m->keys[i]);
    }
  free(m->keys);
  free(m->vals);
  *m = bigger;
}

static void smap_put(smap *m, const char *key, double v) {
  if ((m->n + 1) * 2 > m->cap) smap_grow(m);
  size_t i = hash(key) & (m->cap - 1);
  while (m->keys[i] && strcmp(m->keys[i], key)) i = (i + 1) & (m->cap - 1);
  if (!m->keys[i]) {
    m->keys[i] = xstrdup(key);
    m->n++;
  }
  m->vals[i] = v;
}

static int smap_get(const smap *m, const char *key, double *v) {
  if (!m->cap) return 0;
  size_t i = hash(key) & (m->cap - 1);
  while (m->keys[i]) {
    if (!strcmp(m->keys[i], key)) {
      *v = m->vals[i];
      return 1;
    }
    i = (i + 1) & (m->cap - 1);
  }
  return 0;
}

static void smap_free(smap *m) {
  for (size_t i = 0; i < m->cap; i++) free(m->keys[i]);
  free(m->keys);
  free(m->vals);
  memset(m, 0, sizeof *m);
}

/* ---- reward tables (CSV) ---- */

struct search_table {
  smap rows;
};

/* Splits one CSV line (quotes allowed) into at most max fields, in place. */
static int csv_fields(char *line, char **f, int max) {
  int n = 0;
  char *p = line;
  while (n < max) {
    if (*p == '"') {
      char *w = ++p;
      f[n++] = w;
      while (*p && !(*p == '"' && p[1] != '"')) {
        if (*p == '"') p++;
        *w++ = *p++;
      }
      if (*p == '"') p++;
      *w = 0;
      if (*p == ',') p++;
      else break;
    } else {
      f[n++] = p;
      char *c = strchr(p, ',');
      if (!c) break;
      *c = 0;
      p = c + 1;
    }
  }
  return n;
}

int search_table_load(const char *path, const char *key, const char *column, search_table **out, strbuf *err) {
  *out = NULL;
  strbuf text;
  strbuf_init(&text);
  int e = strbuf_read_file(&text, path);
  if (e) {
    strbuf_printf(err, "cannot read the reward table '%s': %s", path, strerror(e));
    strbuf_free(&text);
    return -1;
  }
  search_table *t = xcalloc(1, sizeof *t);
  char *line = text.data, *f[64];
  int kcol = -1, vcol = -1, row = 0, rc = 0;
  while (line && *line) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = 0;
    if (nl && nl > line && nl[-1] == '\r') nl[-1] = 0;
    int n = csv_fields(line, f, 64);
    if (row == 0) {
      for (int i = 0; i < n; i++) {
        if (!strcmp(f[i], key)) kcol = i;
        if (!strcmp(f[i], column)) vcol = i;
      }
      if (kcol < 0 || vcol < 0) {
        strbuf_printf(err, "%s: no column '%s' in the header", path, kcol < 0 ? key : column);
        rc = -1;
        break;
      }
    } else if (n > kcol && n > vcol) {
      char *end;
      double v = strtod(f[vcol], &end);
      if (end == f[vcol]) {
        strbuf_printf(err, "%s:%d: '%s' is not a number", path, row + 1, f[vcol]);
        rc = -1;
        break;
      }
      smap_put(&t->rows, f[kcol], v);
    } else if (n > 1) {
      strbuf_printf(err, "%s:%d: the row has %d fields, the header more", path, row + 1, n);
      rc = -1;
      break;
    }
    row++;
    line = nl ? nl + 1 : NULL;
  }
  if (rc == 0 && t->rows.n == 0) {
    strbuf_printf(err, "%s: the table has no rows", path);
    rc = -1;
  }
  strbuf_free(&text);
  if (rc) {
    search_table_free(t);
    return -1;
  }
  *out = t;
  return 0;
}

void search_table_free(search_table *t) {
  if (!t) return;
  smap_free(&t->rows);
  free(t);
}

double search_table_lookup(const search_table *t, const char *key) {
  double v;
  return smap_get(&t->rows, key, &v) ? v : NAN;
}

/* ---- the run ---- */

typedef struct run_state {
  long samples;        /* samples drawn and settled */
  long evaluated, hits;
  double baseline;
  int have_baseline;
  double best, best_test;
  char best_key[512];
  rng r;
} run_state;

static int write_checkpoint(const char *dir, const run_state *s, controller *ctl, const nn_optim *opt, strbuf *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/checkpoint.safetensors", dir);
  int np = ctl ? ctl->params.items.n : 0;
  st_tensor *ts = xcalloc((size_t)(3 * np + 1), sizeof *ts);
  char **names = xcalloc((size_t)(3 * np + 1), sizeof(char *));
  int n = 0;
  for (int i = 0; i < np; i++) {
    const tensor *t = ctl->params.items.items[i];
    for (int k = 0; k < 3; k++) {
      if (k == 2 && !opt->v[i]) continue;
      names[n] = xmalloc(strlen(t->name) + 16);
      sprintf(names[n], "%s%s", k == 0 ? "" : k == 1 ? "optim.m." : "optim.v.", t->name);
      ts[n].name = names[n];
      ts[n].ndim = t->ndim;
      for (int d = 0; d < t->ndim; d++) ts[n].shape[d] = t->ne[d];
      ts[n].data = k == 0 ? t->data : k == 1 ? opt->m[i] : opt->v[i];
      n++;
    }
  }
  char vals[10][600];
  snprintf(vals[0], sizeof vals[0], "%ld", s->samples);
  snprintf(vals[1], sizeof vals[1], "%ld", s->evaluated);
  snprintf(vals[2], sizeof vals[2], "%ld", s->hits);
  snprintf(vals[3], sizeof vals[3], "%.17g", s->baseline);
  snprintf(vals[4], sizeof vals[4], "%d", s->have_baseline);
  snprintf(vals[5], sizeof vals[5], "%016llx%016llx%016llx%016llx", (unsigned long long)s->r.s[0],
           (unsigned long long)s->r.s[1], (unsigned long long)s->r.s[2], (unsigned long long)s->r.s[3]);
  snprintf(vals[6], sizeof vals[6], "%ld", opt ? opt->step : 0);
  snprintf(vals[7], sizeof vals[7], "%.17g", s->best);
  snprintf(vals[8], sizeof vals[8], "%s", s->best_key);
  snprintf(vals[9], sizeof vals[9], "%.17g", s->best_test);
  const char *keys[] = {"samples", "evaluated", "hits", "baseline", "have_baseline", "rng", "optim_step", "best",
                        "best_key", "best_test"};
  const char *v[10];
  for (int i = 0; i < 10; i++) v[i] = vals[i];
  int rc = st_write(path, ts, n, keys, v, 10, err);
  for (int i = 0; i < n; i++) free(names[i]);
  free(names);
  free(ts);
  return rc;
}

static const char *meta(const st_file *f, const char *key) {
  for (int i = 0; i < f->nmeta; i++)
    if (!strcmp(f->meta_keys[i], key)) return f->meta_values[i];
  return NULL;
}

static int read_checkpoint(const char *dir, run_state *s, controller *ctl, nn_optim *opt, strbuf *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/checkpoint.safetensors", dir);
  st_file f;
  if (st_read(path, &f, err)) return -1;
  const char *need[] = {"samples", "evaluated", "hits", "baseline", "have_baseline", "rng", "optim_step", "best", "best_key"};
  for (int i = 0; i < 9; i++)
    if (!meta(&f, need[i])) {
      strbuf_printf(err, "%s: not a naslc checkpoint (no '%s')", path, need[i]);
      st_free(&f);
      return -1;
    }
  s->samples = atol(meta(&f, "samples"));
  s->evaluated = atol(meta(&f, "evaluated"));
  s->hits = atol(meta(&f, "hits"));
  s->baseline = strtod(meta(&f, "baseline"), NULL);
  s->have_baseline = atoi(meta(&f, "have_baseline"));
  s->best = strtod(meta(&f, "best"), NULL);
  snprintf(s->best_key, sizeof s->best_key, "%s", meta(&f, "best_key"));
  s->best_test = meta(&f, "best_test") ? strtod(meta(&f, "best_test"), NULL) : NAN;
  const char *hex = meta(&f, "rng");
  for (int k = 0; k < 4 && strlen(hex) >= 64; k++) {
    char part[17];
    memcpy(part, hex + 16 * k, 16);
    part[16] = 0;
    s->r.s[k] = strtoull(part, NULL, 16);
  }
  int rc = 0;
  if (ctl) {
    opt->step = atol(meta(&f, "optim_step"));
    for (int i = 0; i < ctl->params.items.n && rc == 0; i++) {
      tensor *t = ctl->params.items.items[i];
      char name[512];
      for (int k = 0; k < 3 && rc == 0; k++) {
        float *dst = k == 0 ? t->data : k == 1 ? opt->m[i] : opt->v[i];
        if (!dst) continue;
        snprintf(name, sizeof name, "%s%s", k == 0 ? "" : k == 1 ? "optim.m." : "optim.v.", t->name);
        const st_tensor *st = st_find(&f, name);
        int64_t n = 1;
        for (int d = 0; st && d < st->ndim; d++) n *= st->shape[d];
        if (!st || n != t->n) {
          strbuf_printf(err, "%s: '%s' is missing or has another shape: was the space changed?", path, name);
          rc = -1;
          break;
        }
        memcpy(dst, st->data, sizeof(float) * (size_t)n);
      }
    }
  }
  st_free(&f);
  return rc;
}

/* The log of a resumed run: rewards by sample index and by key. A damaged
 * last line (a kill in the middle of a write) is reported and cut off. */
static int read_log(const char *path, smap *by_key, double **by_sample, double **test_by_sample, long *nsamples,
                    int quiet, strbuf *err) {
  strbuf text;
  strbuf_init(&text);
  int e = strbuf_read_file(&text, path);
  if (e) {
    strbuf_free(&text);
    if (e == ENOENT) return 0;
    strbuf_printf(err, "cannot read the run log '%s': %s", path, strerror(e));
    return -1;
  }
  arena mem;
  arena_init(&mem);
  size_t pos = 0, good = 0;
  while (pos < text.len) {
    char *nl = memchr(text.data + pos, '\n', text.len - pos);
    size_t end = nl ? (size_t)(nl - text.data) : text.len;
    json_value *v = json_parse(&mem, text.data + pos, end - pos, NULL);
    const json_value *s = json_get(v, "sample"), *k = json_get(v, "key"), *r = json_get(v, "reward"),
                     *ta = json_get(v, "test_accuracy");
    if (!ta) ta = json_get(v, "test_perplexity"); /* language models */
    if (!nl || !v || !s || !k || !r || k->kind != JSON_STRING) {
      if (!quiet)
        fprintf(stderr, "run log: the line at byte %zu is damaged (%zu bytes, cut short by a crash?); "
                        "it is dropped and its child will be evaluated again\n", pos, text.len - pos);
      break;
    }
    long i = (long)s->number;
    if (i >= *nsamples) {
      long cap = i + 1024;
      *by_sample = xrealloc(*by_sample, sizeof(double) * (size_t)cap);
      *test_by_sample = xrealloc(*test_by_sample, sizeof(double) * (size_t)cap);
      for (long j = *nsamples; j < cap; j++) (*by_sample)[j] = (*test_by_sample)[j] = NAN;
      *nsamples = cap;
    }
    (*by_sample)[i] = r->number;
    (*test_by_sample)[i] = ta && ta->kind == JSON_NUMBER ? ta->number : NAN;
    smap_put(by_key, k->string, r->number);
    pos = end + 1;
    good = pos;
  }
  arena_free(&mem);
  int rc = 0;
  if (good < text.len && truncate(path, (off_t)good)) {
    strbuf_printf(err, "cannot cut the damaged end of '%s': %s", path, strerror(errno));
    rc = -1;
  }
  strbuf_free(&text);
  return rc;
}

static void log_line(strbuf *b, long sample, const char *key, const search_result *res, int hit, const arch *a) {
  strbuf_clear(b);
  strbuf_printf(b, "{\"sample\":%ld,\"key\":", sample);
  strbuf_json_string(b, key);
  strbuf_puts(b, ",\"reward\":");
  strbuf_json_number(b, "%.17g", res->reward);
  strbuf_printf(b, ",\"ok\":%s,\"hit\":%s,\"seconds\":%.3f,\"params\":%lld,\"flops\":%lld",
                res->ok ? "true" : "false", hit ? "true" : "false", res->seconds, (long long)res->params,
                (long long)res->flops);
  if (res->epochs) {
    int lm = grammar_is_lm(a->g);
    if (!isnan(res->test_metric)) {
      strbuf_printf(b, ",\"%s\":", lm ? "test_perplexity" : "test_accuracy");
      strbuf_json_number(b, "%.6f", res->test_metric);
    }
    strbuf_printf(b, ",\"%s\":[", lm ? "valid_perplexity" : "valid_accuracy");
    for (int e = 0; e < res->epochs && e < 64; e++) {
      if (e) strbuf_putc(b, ',');
      strbuf_json_number(b, "%.6f", res->valid_metric[e]);
    }
    strbuf_putc(b, ']');
  }
  if (res->note[0]) {
    strbuf_puts(b, ",\"note\":");
    strbuf_json_string(b, res->note);
  }
  strbuf_puts(b, ",\"record\":");
  arch_json(a, b);
  strbuf_puts(b, "}\n");
}

/* best.json: the record of the best architecture, readable by naslc show and train --arch */
static int write_best(const search_opts *o, const arch *a, const search_result *res, strbuf *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/best.json", o->dir);
  strbuf b;
  strbuf_init(&b);
  arch_json(a, &b);
  b.len--; /* reopen the record */
  strbuf_puts(&b, ",\"reward\":");
  strbuf_json_number(&b, "%.17g", res->reward);
  if (res->epochs && !isnan(res->test_metric)) {
    strbuf_printf(&b, ",\"%s\":", grammar_is_lm(a->g) ? "test_perplexity" : "test_accuracy");
    strbuf_json_number(&b, "%.6f", res->test_metric);
  }
  if (o->file) {
    char abs[4096];
    strbuf_puts(&b, ",\"file\":");
    strbuf_json_string(&b, realpath(o->file, abs) ? abs : o->file);
  }
  strbuf_puts(&b, "}\n");
  int rc = fs_write_atomic(path, b.data, b.len, err);
  strbuf_free(&b);
  return rc;
}

int search_run(const grammar *g, const search_opts *o, search_eval_fn eval, void *eval_ctx, search_summary *sum,
               strbuf *err) {
  memset(sum, 0, sizeof *sum);
  const grammar_search *cfg = &g->search;
  long budget = o->samples > 0 ? o->samples : cfg->samples;
  double minutes = o->minutes > 0 ? o->minutes : cfg->minutes;
  int reinforce = cfg->strategy == STRATEGY_REINFORCE;
  struct stat dst;
  if (o->resume && (stat(o->dir, &dst) || !S_ISDIR(dst.st_mode))) {
    strbuf_printf(err, "there is no run to resume in '%s'", o->dir);
    return -1;
  }
  if (fs_mkdirs(o->dir)) {
    strbuf_printf(err, "cannot create the run directory '%s': %s", o->dir, strerror(errno));
    return -1;
  }
  char log_path[4096];
  snprintf(log_path, sizeof log_path, "%s/log.jsonl", o->dir);
  run_state s = {0};
  s.best = -INFINITY;
  s.best_test = NAN;
  rng_seed(&s.r, (uint64_t)cfg->seed);
  rng init_r;
  rng_seed(&init_r, (uint64_t)cfg->seed ^ 0xc0ffee);
  controller ctl;
  nn_optim opt;
  memset(&opt, 0, sizeof opt);
  if (reinforce) {
    controller_init(&ctl, g, &init_r);
    nn_optimizer ocfg = train_optimizer(&cfg->optimizer);
    nn_optim_init(&opt, &ocfg, &ctl.params);
  }
  smap by_key = {0};
  double *by_sample = NULL, *test_by_sample = NULL;
  long nby = 0;
  int rc = 0;
  struct stat st;
  if (o->resume) {
    if (read_checkpoint(o->dir, &s, reinforce ? &ctl : NULL, &opt, err) ||
        read_log(log_path, &by_key, &by_sample, &test_by_sample, &nby, o->quiet, err)) {
      rc = -1;
      goto done;
    }
    if (!o->quiet) fprintf(stderr, "resuming %s at sample %ld of %ld\n", o->dir, s.samples, budget);
  } else if (stat(log_path, &st) == 0 && st.st_size > 0) {
    strbuf_printf(err, "'%s' already holds a run; resume it with --resume or choose another directory", o->dir);
    rc = -1;
    goto done;
  } else if (write_checkpoint(o->dir, &s, reinforce ? &ctl : NULL, &opt, err)) {
    rc = -1;
    goto done;
  }
  FILE *log = fopen(log_path, "a");
  if (!log) {
    strbuf_printf(err, "cannot open the run log '%s': %s", log_path, strerror(errno));
    rc = -1;
    goto done;
  }
  nn_ctx ctx;
  nn_ctx_init(&ctx, 1, &s.r);
  int m = reinforce ? cfg->batch : 1;
  controller_sample *batch = xcalloc((size_t)m, sizeof *batch);
  double *rewards = xcalloc((size_t)m, sizeof(double));
  strbuf key, line;
  strbuf_init(&key);
  strbuf_init(&line);
  double t0 = now();
  long start_samples = s.samples;
  while (s.samples < budget && rc == 0) {
    if (o->stop && *o->stop) {
      sum->stopped = 1;
      break;
    }
    if (minutes > 0 && now() - t0 > minutes * 60) {
      if (!o->quiet) fprintf(stderr, "the time budget of %g minutes is spent\n", minutes);
      break;
    }
    int k = (int)(budget - s.samples < m ? budget - s.samples : m);
    nn_ctx_reset(&ctx);
    rng batch_r = s.r; /* the state to resume from is the checkpoint's */
    for (int i = 0; i < k && rc == 0; i++) {
      if (reinforce) rc = controller_draw(&ctl, &ctx, &batch_r, s.samples + i, &batch[i], err) ? SEARCH_E_INTERNAL : 0;
      else if (!arch_generate(g, s.samples + i, arch_choose_uniform, &batch_r, &batch[i].a)) {
        strbuf_printf(err, "sample %ld: the space drew no architecture", s.samples + i);
        rc = SEARCH_E_INTERNAL;
      }
    }
    if (rc) break;
    int done_k = 0;
    for (int i = 0; i < k; i++) {
      long idx = s.samples + i;
      strbuf_clear(&key);
      search_key(&batch[i].a, &key);
      search_result res;
      memset(&res, 0, sizeof res);
      int hit = 0;
      double v;
      if (idx < nby && !isnan(by_sample[idx])) { /* logged before a stop: not evaluated again */
        res.reward = by_sample[idx];
        res.ok = 1;
        res.test_metric = test_by_sample[idx];
        res.epochs = !isnan(res.test_metric); /* so a logged best keeps its test accuracy */
      } else if (smap_get(&by_key, key.data, &v)) {
        res.reward = v;
        res.ok = 1;
        hit = 1;
        s.hits++;
      } else {
        if (o->stop && *o->stop) break;
        res.best_before = s.best;
        rc = eval(eval_ctx, &batch[i].a, key.data, &res, err);
        if (rc) break;
        if (!res.ok) res.reward = SEARCH_FAILED_REWARD;
        s.evaluated++;
        smap_put(&by_key, key.data, res.reward);
        log_line(&line, idx, key.data, &res, 0, &batch[i].a);
        if (fputs(line.data, log) < 0 || fflush(log) || fsync(fileno(log))) {
          strbuf_printf(err, "cannot write the run log '%s': %s", log_path, strerror(errno));
          rc = -1;
          break;
        }
      }
      rewards[i] = res.reward;
      done_k++;
      if (o->on_sample) o->on_sample(o->on_sample_ctx, idx, res.reward, hit);
      if (res.reward > s.best) {
        s.best = res.reward;
        s.best_test = res.epochs ? res.test_metric : NAN; /* NAN for children not tested */
        snprintf(s.best_key, sizeof s.best_key, "%s", key.data);
        if (write_best(o, &batch[i].a, &res, err)) {
          rc = -1;
          break;
        }
      }
      if (!o->quiet) {
        double el = now() - t0, per = (idx + 1 - start_samples) > 0 ? el / (double)(idx + 1 - start_samples) : 0;
        double eta = per * (double)(budget - idx - 1);
        if (minutes > 0 && eta > minutes * 60 - el) eta = minutes * 60 - el > 0 ? minutes * 60 - el : 0;
        fprintf(stderr, "sample %ld/%ld  reward %.4f%s  best %.4f  baseline %.4f  hits %ld  ETA %d:%02d\n", idx + 1,
                budget, res.reward, hit ? " (seen)" : res.ok ? "" : " (rejected)", s.best, s.baseline, s.hits,
                (int)eta / 60, (int)eta % 60);
      }
    }
    if (rc || done_k < k) { /* stopped inside the batch: keep the last checkpoint */
      for (int i = 0; i < k; i++) arch_free(&batch[i].a);
      if (!rc) sum->stopped = 1;
      break;
    }
    if (reinforce) {
      if (!s.have_baseline) {
        double mean = 0;
        for (int i = 0; i < k; i++) mean += rewards[i] / k;
        s.baseline = mean;
        s.have_baseline = 1;
      }
      tensor *loss = NULL;
      for (int i = 0; i < k; i++) {
        tensor *term = nn_scale(&ctx, batch[i].logp, (float)(-(rewards[i] - s.baseline) / k));
        if (cfg->entropy > 0) term = nn_sub(&ctx, term, nn_scale(&ctx, batch[i].entropy, (float)(cfg->entropy / k)));
        loss = loss ? nn_add(&ctx, loss, term) : term;
      }
      nn_params_zero_grad(&ctl.params);
      nn_backward(&ctx, loss);
      nn_optim_step(&opt, &ctl.params, cfg->optimizer.lr);
      for (int i = 0; i < k; i++) s.baseline = cfg->baseline_decay * s.baseline + (1 - cfg->baseline_decay) * rewards[i];
    }
    for (int i = 0; i < k; i++) arch_free(&batch[i].a);
    s.samples += k;
    s.r = batch_r;
    if (write_checkpoint(o->dir, &s, reinforce ? &ctl : NULL, &opt, err)) rc = -1;
  }
  fclose(log);
  nn_ctx_free(&ctx);
  free(batch);
  free(rewards);
  strbuf_free(&key);
  strbuf_free(&line);
done:
  sum->samples = s.samples;
  sum->evaluated = s.evaluated;
  sum->hits = s.hits;
  sum->best_reward = s.best;
  sum->best_test = s.best_test;
  snprintf(sum->best_key, sizeof sum->best_key, "%s", s.best_key);
  if (reinforce) {
    nn_optim_free(&opt);
    controller_free(&ctl);
  }
  smap_free(&by_key);
  free(by_sample);
  free(test_by_sample);
  return rc;
}

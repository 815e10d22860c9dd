/* search_test.c: the controller's log-probabilities against finite
 * differences; REINFORCE against random search on a synthetic reward (the
 * fraction of decisions that match a hidden target); resuming, from a batch
 * boundary and from inside a batch, gives the log of a run never stopped;
 * the log holds each evaluated child with its reward; dedupe; a damaged log
 * tail. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler/compile.h"
#include "runtime/search/controller.h"
#include "nn/parallel.h"
#include "runtime/search/search.h"
#include "tap.h"

static grammar *compile_text(const char *text) {
  nasl_diag d;
  nasl_diag_init(&d, stderr);
  grammar *g = nasl_compile_text("search.nasl", text, strlen(text), NULL, &d);
  nasl_diag_free(&d);
  return g;
}

static double logp_of(controller *c, const arch *a) {
  rng r;
  rng_seed(&r, 1);
  nn_ctx ctx;
  nn_ctx_init(&ctx, 1, &r);
  tensor *lp, *ent;
  strbuf err;
  strbuf_init(&err);
  double v = controller_score(c, &ctx, a, &lp, &ent, &err) ? NAN : lp->data[0];
  strbuf_free(&err);
  nn_ctx_free(&ctx);
  return v;
}

static void gradcheck(const char *what, const char *text) {
  grammar *g = compile_text(text);
  if (!g) {
    tap_result(0, "%s compiles", what);
    return;
  }
  rng r;
  rng_seed(&r, 5);
  controller c;
  controller_init(&c, g, &r);
  for (int i = 0; i < c.params.items.n; i++) nn_init_uniform(c.params.items.items[i], &r, -0.5f, 0.5f);
  nn_ctx ctx;
  nn_ctx_init(&ctx, 1, &r);
  controller_sample s;
  strbuf err;
  strbuf_init(&err);
  if (controller_draw(&c, &ctx, &r, 0, &s, &err)) {
    tap_result(0, "%s: %s", what, err.data);
    return;
  }
  nn_params_zero_grad(&c.params);
  nn_backward(&ctx, s.logp);
  double analytic_logp = s.logp->data[0];
  int checked = 0, bad = 0;
  double worst = 0;
  for (int i = 0; i < c.params.items.n; i++) {
    tensor *t = c.params.items.items[i];
    int64_t step = t->n > 6 ? t->n / 6 : 1;
    for (int64_t k = 0; k < t->n; k += step) {
      float keep = t->data[k], eps = 1e-2f;
      t->data[k] = keep + eps;
      double lp = logp_of(&c, &s.a);
      t->data[k] = keep - eps;
      double lm = logp_of(&c, &s.a);
      t->data[k] = keep;
      double num = (lp - lm) / (2 * eps), ana = t->grad[k];
      double e = fabs(num - ana) / (1e-2 + fabs(num) + fabs(ana));
      if (e > worst) worst = e;
      if (e > 3e-2 && bad++ < 3) tap_diag("%s [%lld]: analytic %.5f numeric %.5f", t->name, (long long)k, ana, num);
      checked++;
    }
  }
  tap_result(fabs(logp_of(&c, &s.a) - analytic_logp) < 1e-5, "%s: re-scoring gives the sampled log-probability", what);
  tap_result(bad == 0, "%s: d log P / d weights by finite differences (%d entries, worst %.1e)", what, checked, worst);
  arch_free(&s.a);
  strbuf_free(&err);
  nn_ctx_free(&ctx);
  controller_free(&c);
  grammar_free(g);
}

/* ---- synthetic reward ---- */

typedef struct target {
  int ntokens;
  int tokens[256];
  int calls;
  int stop_after;        /* set *stop after this many evaluations (0: never) */
  volatile int *stop;
} target;

static int eval_match(void *p, const arch *a, const char *key, search_result *res, strbuf *err) {
  (void)key;
  (void)err;
  target *t = p;
  int same = 0, n = a->ntokens < t->ntokens ? a->ntokens : t->ntokens;
  for (int i = 0; i < n; i++) same += a->tokens[i] == t->tokens[i];
  res->ok = 1;
  res->reward = (double)same / t->ntokens;
  t->calls++;
  if (t->stop_after && t->calls == t->stop_after) *t->stop = 1;
  return 0;
}

static int make_dir(char *tmpl) { return mkdtemp(tmpl) != NULL; }

/* the mean reward of the last `last` lines of DIR/log.jsonl, and in *count the number of lines */
static double mean_of_last(const char *dir, int last, int *count) {
  char path[512];
  snprintf(path, sizeof path, "%s/log.jsonl", dir);
  FILE *f = fopen(path, "r");
  double r[20000];
  int n = 0;
  char line[65536];
  while (f && n < 20000 && fgets(line, sizeof line, f)) {
    const char *p = strstr(line, "\"reward\":");
    if (p) r[n++] = atof(p + 9);
  }
  if (f) fclose(f);
  *count = n;
  double s = 0;
  int k = 0;
  for (int i = n - last; i < n; i++)
    if (i >= 0) s += r[i], k++;
  return k ? s / k : 0;
}

static const char *synthetic_space =
    "space s { layers 5 { conv2d(height: [1, 3, 5, 7], filters: [8, 16, 24, 32]) } }\n"
    "search %s { controller: lstm(layers: 1, hidden: 32, init: 0.1); samples: %d; seed: 7; %s }\n";
static const char *learning = "optimizer: adam(lr: 0.01); baseline: ema(0.9); batch: 5; entropy: 0.02";

typedef struct trace {
  double r[20000];
  long n;
  long fresh;         /* samples that were not repeats, so were evaluated and logged */
  double fresh_sum;   /* and the sum of their rewards, in sample order */
} trace;

static void on_sample(void *p, long sample, double reward, int repeat) {
  trace *t = p;
  if (sample < 20000) t->r[sample] = reward;
  if (sample + 1 > t->n) t->n = sample + 1;
  if (!repeat) t->fresh++, t->fresh_sum += reward;
}

/* The run's log.jsonl holds one line per evaluated child (a repeat is not
 * evaluated again, so not logged) with the reward the search was given. */
static void check_log(const char *what, const char *dir, const trace *t, long evaluated, int calls) {
  int lines;
  double logged = mean_of_last(dir, 20000, &lines);
  double reported = t->fresh ? t->fresh_sum / (double)t->fresh : 0;
  tap_result(lines == evaluated && lines == calls && lines == t->fresh && fabs(logged - reported) < 1e-12,
             "the log of the %s run holds its %d evaluated children (%ld reported, %d evaluations), mean reward "
             "%.6f (reported %.6f)",
             what, lines, t->fresh, calls, logged, reported);
}

static double tail_mean(const trace *t, int last) {
  double s = 0;
  for (long i = t->n - last; i < t->n; i++) s += t->r[i];
  return s / last;
}

static void test_synthetic(void) {
  char text[1024];
  snprintf(text, sizeof text, synthetic_space, "reinforce", 3000, learning);
  grammar *g = compile_text(text);
  grammar *gr = compile_text(
      "space s { layers 5 { conv2d(height: [1, 3, 5, 7], filters: [8, 16, 24, 32]) } }\n"
      "search random { samples: 3000; seed: 7 }\n");
  if (!g || !gr) {
    tap_result(0, "synthetic spaces compile");
    return;
  }
  target t = {0};
  rng r;
  rng_seed(&r, 99);
  arch hidden;
  arch_generate(g, 0, arch_choose_uniform, &r, &hidden);
  t.ntokens = hidden.ntokens;
  memcpy(t.tokens, hidden.tokens, sizeof(int) * (size_t)hidden.ntokens);
  arch_free(&hidden);
  char d1[] = "/tmp/naslc-search-XXXXXX", d2[] = "/tmp/naslc-search-XXXXXX";
  make_dir(d1);
  make_dir(d2);
  static trace tr, trr;
  search_opts o = {d1, 0, 1, 0, 0, "search.nasl", NULL, on_sample, &tr};
  search_summary sum, sumr;
  strbuf err;
  strbuf_init(&err);
  int rc = search_run(g, &o, eval_match, &t, &sum, &err);
  double tail = tail_mean(&tr, 100);
  tap_result(rc == 0 && tr.n == 3000 && sum.samples == 3000, "REINFORCE ran 3000 samples (%ld repeats) %s", sum.hits,
             err.data);
  check_log("REINFORCE", d1, &tr, sum.evaluated, t.calls);
  int calls_before = t.calls;
  tap_result(tail >= 0.9, "REINFORCE reaches a mean reward of %.3f over its last 100 samples (>= 0.9)", tail);
  o.dir = d2;
  o.on_sample_ctx = &trr;
  rc = search_run(gr, &o, eval_match, &t, &sumr, &err);
  double rtail = tail_mean(&trr, 100);
  check_log("random", d2, &trr, sumr.evaluated, t.calls - calls_before);
  tap_result(sum.best_reward == 1.0, "REINFORCE finds the hidden architecture");
  tap_result(rc == 0 && sumr.best_reward < 1.0 && rtail < 0.5,
             "random search stays well below: it does not find it (best %.2f), mean of the last 100 %.3f",
             sumr.best_reward, rtail);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf %s %s", d1, d2);
  if (system(cmd)) tap_diag("could not remove the temporary runs");
  strbuf_free(&err);
  grammar_free(g);
  grammar_free(gr);
}

static int read_file(const char *dir, strbuf *out) {
  char path[512];
  snprintf(path, sizeof path, "%s/log.jsonl", dir);
  strbuf_clear(out);
  return strbuf_read_file(out, path, (size_t)-1);
}

/* the log without the timing field, which differs between runs */
static void strip_seconds(strbuf *b) {
  char *p;
  while ((p = strstr(b->data, "\"seconds\":"))) {
    char *q = strchr(p, ',');
    if (!q) break;
    memmove(p, q + 1, strlen(q + 1) + 1);
  }
  b->len = strlen(b->data);
}

static void test_resume(void) {
  char text[1024];
  snprintf(text, sizeof text, synthetic_space, "reinforce", 60, learning);
  grammar *g = compile_text(text);
  target t = {0};
  t.ntokens = 10;
  for (int i = 0; i < 10; i++) t.tokens[i] = i % 4;
  char whole[] = "/tmp/naslc-resume-XXXXXX", parts[] = "/tmp/naslc-resume-XXXXXX", mid[] = "/tmp/naslc-resume-XXXXXX";
  make_dir(whole);
  make_dir(parts);
  make_dir(mid);
  strbuf err, a, b;
  strbuf_init(&err);
  strbuf_init(&a);
  strbuf_init(&b);
  search_summary sum;
  search_opts o = {whole, 0, 1, 0, 0, "search.nasl", NULL, NULL, NULL};
  search_run(g, &o, eval_match, &t, &sum, &err);
  int whole_calls = t.calls;
  read_file(whole, &a);
  strip_seconds(&a);
  /* stopped at a batch boundary (30 of 60), then resumed */
  o.dir = parts;
  o.samples = 30;
  search_run(g, &o, eval_match, &t, &sum, &err);
  o.samples = 0;
  o.resume = 1;
  int rc = search_run(g, &o, eval_match, &t, &sum, &err);
  read_file(parts, &b);
  strip_seconds(&b);
  tap_result(rc == 0 && !strcmp(a.data, b.data), "stopped at sample 30 and resumed: the same 60 samples and rewards");
  /* stopped inside a batch (after 23 evaluations), then resumed */
  volatile int stop = 0;
  target t2 = t;
  t2.stop_after = 23;
  t2.stop = &stop;
  t2.calls = 0;
  search_opts o2 = {mid, 0, 1, 0, 0, "search.nasl", &stop, NULL, NULL};
  search_run(g, &o2, eval_match, &t2, &sum, &err);
  tap_result(sum.stopped && sum.samples == 20, "a stop inside the batch keeps the checkpoint of sample %ld", sum.samples);
  stop = 0;
  t2.stop_after = 0;
  int calls_before = t2.calls;
  o2.resume = 1;
  rc = search_run(g, &o2, eval_match, &t2, &sum, &err);
  read_file(mid, &b);
  strip_seconds(&b);
  tap_result(rc == 0 && !strcmp(a.data, b.data), "stopped at 23 and resumed: the same log as a run never stopped");
  tap_result(t2.calls - calls_before == whole_calls - 23, "children already logged are not evaluated again (%d new of %d)",
             t2.calls - calls_before, whole_calls);
  /* a damaged last line is detected, cut off and evaluated again */
  char path[512];
  snprintf(path, sizeof path, "%s/log.jsonl", mid);
  FILE *f = fopen(path, "a");
  fputs("{\"sample\":60,\"key\":\"d10:1,2", f);
  fclose(f);
  o2.samples = 70;
  rc = search_run(g, &o2, eval_match, &t2, &sum, &err);
  read_file(mid, &b);
  int lines = 0;
  for (size_t i = 0; i < b.len; i++) lines += b.data[i] == '\n';
  tap_result(rc == 0 && lines == 70 && b.data[b.len - 1] == '\n', "a damaged log tail is cut and the run goes on (%d lines)", lines);
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf %s %s %s", whole, parts, mid);
  if (system(cmd)) tap_diag("could not remove the temporary runs");
  strbuf_free(&err);
  strbuf_free(&a);
  strbuf_free(&b);
  grammar_free(g);
}

static void test_dedupe(void) {
  grammar *g = compile_text("space s { layer { conv2d(height: [1, 3], width: [1, 3]) } }\nsearch random { samples: 40 }\n");
  target t = {0};
  t.ntokens = 2;
  char dir[] = "/tmp/naslc-dedupe-XXXXXX";
  make_dir(dir);
  search_opts o = {dir, 0, 1, 0, 0, "search.nasl", NULL, NULL, NULL};
  search_summary sum;
  strbuf err;
  strbuf_init(&err);
  int rc = search_run(g, &o, eval_match, &t, &sum, &err);
  tap_result(rc == 0 && t.calls <= 4 && sum.evaluated == t.calls && sum.hits == 40 - t.calls,
             "dedupe: 40 samples of 4 architectures train %d children, %ld repeats", t.calls, sum.hits);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd)) tap_diag("could not remove the temporary run");
  strbuf_free(&err);
  grammar_free(g);
}

int main(void) {
  nn_threads_default(1);
  gradcheck("anchors and categorical heads",
            "space s { layers 3 { conv2d(height: [1, 3, 5], filters: [8, 16]); maybe maxpool; inputs: anchor } }\n"
            "search reinforce { controller: lstm(layers: 2, hidden: 6, init: 0.5) }");
  gradcheck("pointers of a DAG cell, temperature and tanh constant",
            "cell c { dag { inputs: 2; nodes: 5; edges: 2; ops: [skip_connect, max_pool_3x3, sep_conv_3x3] } }\n"
            "search reinforce { controller: lstm(layers: 1, hidden: 5, init: 0.5); temperature: 2; tanh_constant: 2.5 }");
  test_synthetic();
  test_resume();
  test_dedupe();
  return tap_done();
}

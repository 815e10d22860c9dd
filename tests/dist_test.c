/* dist_test.c: the distributed search without MPI. The search loop with a
 * pool of workers that answer out of order (search.h, search_pool) writes
 * the log, best record and checkpoint of the serial loop, repeats and test
 * figures included, for REINFORCE and random search, and a pooled run
 * stopped mid-batch resumes serially to the same end; the asynchronous
 * mode logs every sample once with its staleness, learns, and resumes with
 * another number of workers without losing or repeating one; the messages of
 * runtime/search/wire.h cross exactly, and malformed ones are refused with
 * a reason. tests/mpi.sh runs the same over mpirun. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler/compile.h"
#include "nn/parallel.h"
#include "runtime/search/search.h"
#include "runtime/search/wire.h"
#include "tap.h"

static grammar *compile_text(const char *text) {
  nasl_diag d;
  nasl_diag_init(&d, stderr);
  grammar *g = nasl_compile_text("space.nasl", text, strlen(text), NULL, &d);
  nasl_diag_free(&d);
  return g;
}

/* A reward from matching tokens, and a "test figure" computed only for a
 * child that beats best_before, as the training evaluator does. */
static int eval_tested(void *p, const arch *a, const char *key, search_result *res, strbuf *err) {
  (void)p, (void)key, (void)err;
  int same = 0;
  for (int i = 0; i < a->ntokens; i++) same += a->tokens[i] == i % 3;
  res->ok = 1;
  res->reward = (double)same / a->ntokens + 1e-3 * a->tokens[0];
  res->epochs = 1;
  res->valid_metric[0] = res->reward;
  res->test_metric = res->reward > res->best_before ? 1 - res->reward / 3 : NAN;
  res->params = 1000 + a->tokens[0];
  return 0;
}

/* Workers that finish in a scrambled order: submit evaluates at once and
 * keeps the result; wait hands back a pseudo-random one of those kept. */
typedef struct fake_pool {
  long sample[8];
  search_result res[8];
  char key[8][256];        /* the architectures on the workers */
  int n;
  int submits, twins;      /* children submitted; of them, ones whose architecture was on a worker already */
  unsigned state;
  int waits, stop_after;   /* set *stop after this many answers (0: never) */
  int fail_after;          /* fail the wait after this many answers, as a lost worker does (0: never) */
  volatile int *stop;
} fake_pool;

static int fake_submit(void *ctx, long sample, const arch *a, const char *key, double best_before, strbuf *err) {
  fake_pool *f = ctx;
  search_result *r = &f->res[f->n];
  memset(r, 0, sizeof *r);
  r->best_before = best_before;
  f->submits++;
  for (int i = 0; i < f->n; i++) f->twins += !strcmp(f->key[i], key);
  snprintf(f->key[f->n], sizeof f->key[0], "%s", key);
  f->sample[f->n++] = sample;
  return eval_tested(NULL, a, key, r, err);
}

static int fake_wait(void *ctx, long *sample, search_result *res, strbuf *err) {
  fake_pool *f = ctx;
  if (f->fail_after && f->waits == f->fail_after) {
    strbuf_printf(err, "worker 1 was lost");
    return SEARCH_E_FILE;
  }
  f->state = f->state * 1103515245u + 12345u;
  int i = (int)((f->state >> 16) % (unsigned)f->n);
  *sample = f->sample[i];
  *res = f->res[i];
  f->n--;
  f->sample[i] = f->sample[f->n];
  f->res[i] = f->res[f->n];
  memcpy(f->key[i], f->key[f->n], sizeof f->key[0]);
  f->waits++;
  if (f->stop_after && f->waits == f->stop_after) *f->stop = 1;
  return 0;
}

static void slurp(const char *dir, const char *name, strbuf *out, int strip) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  strbuf_clear(out);
  if (strbuf_read_file(out, path, (size_t)1 << 30)) return;
  if (!strip) return;
  char *p;
  while ((p = strstr(out->data, "\"seconds\":"))) { /* timing differs between runs */
    char *q = strchr(p, ',');
    if (!q) break;
    memmove(p, q + 1, strlen(q + 1) + 1);
  }
  out->len = strlen(out->data);
}

/* The two runs in a and b ended alike: log (without timings), best.json
 * and checkpoint. */
static int same_run(const char *a, const char *b) {
  strbuf x, y;
  strbuf_init(&x);
  strbuf_init(&y);
  int same = 1;
  slurp(a, "log.jsonl", &x, 1);
  slurp(b, "log.jsonl", &y, 1);
  same = same && x.len > 0 && x.len == y.len && !memcmp(x.data, y.data, x.len);
  slurp(a, "best.json", &x, 0);
  slurp(b, "best.json", &y, 0);
  same = same && x.len == y.len && !memcmp(x.data, y.data, x.len);
  slurp(a, "checkpoint.safetensors", &x, 0);
  slurp(b, "checkpoint.safetensors", &y, 0);
  same = same && x.len > 0 && x.len == y.len && !memcmp(x.data, y.data, x.len);
  strbuf_free(&x);
  strbuf_free(&y);
  return same;
}

static int count_lines(const char *dir, const char *pattern) {
  strbuf x;
  strbuf_init(&x);
  slurp(dir, "log.jsonl", &x, 0);
  int n = 0;
  for (const char *p = x.data; (p = strstr(p, pattern)); p++) n++;
  strbuf_free(&x);
  return n;
}

static void rm_dirs(char *a, char *b) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf %s %s", a, b);
  if (system(cmd)) tap_diag("could not remove the temporary runs");
}

static void pooled_equals_serial(const char *what, const char *text, int workers) {
  grammar *g = compile_text(text);
  if (!g) {
    tap_result(0, "%s: the space compiles", what);
    return;
  }
  char serial[] = "/tmp/naslc-dist-XXXXXX", pooled[] = "/tmp/naslc-dist-XXXXXX";
  if (!mkdtemp(serial) || !mkdtemp(pooled)) return;
  strbuf err;
  strbuf_init(&err);
  search_summary s1, s2;
  search_opts o = {serial, 0, 1, 0, 0, "space.nasl", NULL, NULL, NULL, 1, NULL, NULL, 0};
  int rc1 = search_run(g, &o, eval_tested, NULL, &s1, &err);
  fake_pool f;
  memset(&f, 0, sizeof f);
  f.state = 12345;
  search_pool pool = {&f, workers, fake_submit, fake_wait};
  o.dir = pooled;
  o.pool = &pool;
  int rc2 = search_run(g, &o, NULL, NULL, &s2, &err);
  int tested = count_lines(serial, "\"test_accuracy\"");
  tap_result(rc1 == 0 && rc2 == 0 && same_run(serial, pooled) && s1.hits == s2.hits && s1.evaluated == s2.evaluated,
             "%s: %d workers answering out of order give the serial run's log, best.json and checkpoint "
             "(%ld children, %ld repeats, %d tested) %s",
             what, workers, s2.evaluated, s2.hits, tested, err.data);
  tap_result(tested >= 1 && tested < s1.evaluated, "%s: only the children that beat the best before them keep a test "
             "figure (%d of %ld)", what, tested, s1.evaluated);
  rm_dirs(serial, pooled);
  strbuf_free(&err);
  grammar_free(g);
}

/* A pooled run stopped by a signal after a few answers, resumed serially. */
static void pooled_stop_then_serial(void) {
  grammar *g = compile_text("space s { layers 4 { conv2d(height: [1, 3, 5], filters: [8, 16, 24]) } }\n"
                            "search reinforce { batch: 6; samples: 24; seed: 5 }\n");
  char serial[] = "/tmp/naslc-dist-XXXXXX", pooled[] = "/tmp/naslc-dist-XXXXXX";
  if (!g || !mkdtemp(serial) || !mkdtemp(pooled)) return;
  strbuf err;
  strbuf_init(&err);
  search_summary sum;
  search_opts o = {serial, 0, 1, 0, 0, "space.nasl", NULL, NULL, NULL, 1, NULL, NULL, 0};
  search_run(g, &o, eval_tested, NULL, &sum, &err);
  volatile int stop = 0;
  fake_pool f;
  memset(&f, 0, sizeof f);
  f.state = 99;
  f.stop_after = 7; /* the first answer of the second batch: its last sample is never sent */
  f.stop = &stop;
  search_pool pool = {&f, 4, fake_submit, fake_wait};
  o.dir = pooled;
  o.pool = &pool;
  o.stop = &stop;
  int rc = search_run(g, &o, NULL, NULL, &sum, &err);
  int lines = count_lines(pooled, "\"sample\"");
  tap_result(rc == 0 && sum.stopped && sum.samples == 6 && f.n == 0 && lines > 6 && lines < 12,
             "a stop waits for the children in flight and logs them (%d lines, checkpoint at %ld)", lines, sum.samples);
  o.pool = NULL;
  o.stop = NULL;
  o.resume = 1;
  rc = search_run(g, &o, eval_tested, NULL, &sum, &err);
  tap_result(rc == 0 && same_run(serial, pooled), "resumed without workers, it ends as the serial run %s", err.data);
  rm_dirs(serial, pooled);
  strbuf_free(&err);
  grammar_free(g);
}

/* ---- the asynchronous mode ---- */

/* The log's samples: each logged once, all below budget; *n lines, *stale
 * lines with a staleness, *maxstale the largest. 1 when consistent. */
static int log_samples(const char *dir, long budget, int *n, int *stale, long *maxstale) {
  strbuf x;
  strbuf_init(&x);
  slurp(dir, "log.jsonl", &x, 0);
  char *seen = calloc((size_t)budget, 1);
  int ok = 1;
  *n = *stale = 0;
  *maxstale = 0;
  for (const char *p = x.data; (p = strstr(p, "{\"sample\":")); p++) {
    long s = atol(p + 10);
    if (s < 0 || s >= budget || seen[s]) ok = 0;
    else seen[s] = 1;
    (*n)++;
    const char *nl = strchr(p, '\n'), *st = strstr(p, "\"staleness\":");
    if (st && (!nl || st < nl)) {
      (*stale)++;
      if (atol(st + 12) > *maxstale) *maxstale = atol(st + 12);
    }
  }
  free(seen);
  strbuf_free(&x);
  return ok;
}

/* The mean reward of log lines [from, to) in the order they were written. */
static double mean_reward(const char *dir, int from, int to) {
  strbuf x;
  strbuf_init(&x);
  slurp(dir, "log.jsonl", &x, 0);
  double sum = 0;
  int i = 0, k = 0;
  for (const char *p = x.data; (p = strstr(p, "\"reward\":")); p++, i++)
    if (i >= from && i < to) sum += atof(p + 9), k++;
  strbuf_free(&x);
  return k ? sum / k : 0;
}

static void async_runs(void) {
  grammar *g = compile_text("space s { layers 6 { conv2d(height: [1, 3, 5], filters: [8, 16, 24]) } }\n"
                            "search reinforce { batch: 8; samples: 800; seed: 9; optimizer: adam(lr: 0.02) }\n");
  char dir[] = "/tmp/naslc-dist-XXXXXX", dir2[] = "/tmp/naslc-dist-XXXXXX";
  if (!g || !mkdtemp(dir) || !mkdtemp(dir2)) return;
  strbuf err;
  strbuf_init(&err);
  search_summary sum;
  fake_pool f;
  memset(&f, 0, sizeof f);
  f.state = 7;
  search_pool pool = {&f, 4, fake_submit, fake_wait};
  search_opts o = {dir, 0, 1, 0, 0, "space.nasl", NULL, NULL, NULL, 1, NULL, &pool, 1};
  int rc = search_run(g, &o, NULL, NULL, &sum, &err);
  int n, stale;
  long maxstale;
  int consistent = log_samples(dir, 800, &n, &stale, &maxstale);
  tap_result(rc == 0 && consistent && n + sum.hits == 800 && sum.samples == 800 && stale == n,
             "asynchronous: 800 samples, each logged once (%d) or a repeat (%ld), each line with its staleness %s", n,
             sum.hits, err.data);
  tap_result(maxstale >= 1, "some results come from an older policy (at most %ld updates old)", maxstale);
  double first = mean_reward(dir, 0, 100), last = mean_reward(dir, n - 100, n);
  tap_result(last > first + 0.1, "the controller learns from results as they come (mean reward %.3f, then %.3f)",
             first, last);
  strbuf ck;
  strbuf_init(&ck);
  slurp(dir, "checkpoint.safetensors", &ck, 0);
  tap_result(ck.len > 8 && strstr(ck.data + 8, "\"updates\":\"100\"") && strstr(ck.data + 8, "\"inflight\":\"[]\""),
             "the checkpoint counts 100 updates and nothing in flight");
  strbuf_free(&ck);

  /* stopped after 50 answers with 4 workers, resumed with 2, then 3 */
  volatile int stop = 0;
  memset(&f, 0, sizeof f);
  f.state = 3;
  f.stop_after = 50;
  f.stop = &stop;
  o.dir = dir2;
  o.stop = &stop;
  o.samples = 120;
  rc = search_run(g, &o, NULL, NULL, &sum, &err);
  int n1;
  log_samples(dir2, 120, &n1, &stale, &maxstale);
  tap_result(rc == 0 && sum.stopped && n1 >= 50, "a stop waits for the children in flight (%d logged)", n1);
  o.pool = NULL;
  o.resume = 1;
  o.stop = NULL;
  strbuf_clear(&err);
  rc = search_run(g, &o, eval_tested, NULL, &sum, &err);
  tap_result(rc == SEARCH_E_UNSUPPORTED && strstr(err.data, "holds an asynchronous run; resume it under mpirun"),
             "resuming it without workers is refused: %s", err.data);
  memset(&f, 0, sizeof f);
  f.state = 5;
  f.stop_after = 20;
  f.stop = &stop;
  stop = 0;
  pool.workers = 2;
  o.pool = &pool;
  o.stop = &stop;
  rc = search_run(g, &o, NULL, NULL, &sum, &err);
  memset(&f, 0, sizeof f);
  f.state = 6;
  stop = 0;
  pool.workers = 3;
  rc = search_run(g, &o, NULL, NULL, &sum, &err);
  consistent = log_samples(dir2, 120, &n, &stale, &maxstale);
  tap_result(rc == 0 && consistent && n + sum.hits == 120 && n > n1,
             "resumed twice with 2 then 3 workers: all 120 samples, none lost or logged twice (%d logged, %ld "
             "repeats) %s", n, sum.hits, err.data);
  rm_dirs(dir, dir2);
  strbuf_free(&err);
  grammar_free(g);
}

/* A space of 4 architectures on 4 workers: most draws repeat one that is
 * on a worker; each is trained once all the same, the rest settled as
 * repeats, and a run stopped and resumed still accounts for every sample. */
static void async_twins(void) {
  grammar *g = compile_text("space s { layers 1 { conv2d(height: [1, 3], filters: [8, 16]) } }\n"
                            "search reinforce { batch: 4; samples: 60; seed: 4; optimizer: adam(lr: 0.02) }\n");
  char dir[] = "/tmp/naslc-dist-XXXXXX";
  if (!g || !mkdtemp(dir)) return;
  strbuf err;
  strbuf_init(&err);
  search_summary sum;
  fake_pool f;
  memset(&f, 0, sizeof f);
  f.state = 11;
  search_pool pool = {&f, 4, fake_submit, fake_wait};
  search_opts o = {dir, 0, 1, 0, 0, "space.nasl", NULL, NULL, NULL, 1, NULL, &pool, 1};
  int rc = search_run(g, &o, NULL, NULL, &sum, &err);
  int n, stale;
  long maxstale;
  int consistent = log_samples(dir, 60, &n, &stale, &maxstale);
  tap_result(rc == 0 && consistent && f.twins == 0 && f.submits == n && n <= 4 && n + sum.hits == 60,
             "asynchronous, 4 architectures on 4 workers: each trained once (%d submitted, %d while a twin was on "
             "a worker), %ld repeats, 60 samples accounted for %s",
             f.submits, f.twins, sum.hits, err.data);
  /* a worker lost after 3 answers: the run ends with the error and its last
   * checkpoint; the resumed run trains again only what was on the workers */
  char dir2[] = "/tmp/naslc-dist-XXXXXX";
  if (mkdtemp(dir2)) {
    memset(&f, 0, sizeof f);
    f.state = 11;
    f.fail_after = 3;
    o.dir = dir2;
    strbuf_clear(&err);
    rc = search_run(g, &o, NULL, NULL, &sum, &err);
    int lost = rc == SEARCH_E_FILE && strstr(err.data, "worker 1 was lost");
    strbuf ck;
    strbuf_init(&ck);
    slurp(dir2, "checkpoint.safetensors", &ck, 0);
    /* its entries "[sample,version,[tokens]]": two with the same tokens are
     * a child on a worker and its twin */
    const char *in = ck.len > 8 ? strstr(ck.data + 8, "\"inflight\":\"[") : NULL;
    char tokens[16][64];
    int entries = 0, twins = 0;
    for (const char *q = in ? in + 13 : ""; *q == '[' && entries < 16;) {
      long sample, version;
      int at = 0;
      if (sscanf(q, "[%ld,%ld,[%n", &sample, &version, &at) != 2 || !at) break;
      const char *close = strchr(q + at, ']');
      if (!close) break;
      snprintf(tokens[entries], sizeof tokens[0], "%.*s", (int)(close - q - at), q + at);
      for (int i = 0; i < entries; i++)
        if (!strcmp(tokens[i], tokens[entries])) {
          twins++;
          break;
        }
      entries++;
      q = close + 2; /* past "]]" */
      if (*q == ',') q++;
    }
    tap_result(lost && twins > 0, "a lost worker ends the run (%s); its checkpoint lists %d children, %d of them "
               "waiting for a twin on a worker", err.data, entries, twins);
    strbuf_free(&ck);
    memset(&f, 0, sizeof f);
    f.state = 12;
    o.resume = 1;
    strbuf_clear(&err);
    rc = search_run(g, &o, NULL, NULL, &sum, &err);
    consistent = log_samples(dir2, 60, &n, &stale, &maxstale);
    tap_result(rc == 0 && consistent && f.twins == 0 && n <= 4 && n + sum.hits == 60,
               "resumed: each architecture trained once in all (%d logged, %ld repeats) %s", n, sum.hits, err.data);
    rm_dirs(dir, dir2);
  }
  strbuf_free(&err);
  grammar_free(g);
}

/* ---- the messages ---- */

static void messages(void) {
  grammar *g = compile_text("space s { layers 3 { conv2d(height: [1, 3, 5], filters: [8, 16]); inputs: anchor } }\n");
  if (!g) return;
  rng r;
  rng_seed(&r, 3);
  arch a, b;
  arch_generate(g, 0, arch_choose_uniform, &r, &a);
  strbuf msg, err, e2;
  strbuf_init(&msg);
  strbuf_init(&err);
  strbuf_init(&e2);
  double best = 0.1 + 0.2; /* not a short decimal: must cross bit for bit */
  wire_write_request(&msg, 41, 1234567, best, &a);
  long sample;
  int64_t seed;
  double bb;
  int rc = wire_read_request(g, msg.data, msg.len, &sample, &seed, &bb, &b, &err);
  tap_result(rc == 0 && sample == 41 && seed == 1234567 && bb == best && b.ntokens == a.ntokens &&
             !memcmp(a.tokens, b.tokens, sizeof(int) * (size_t)a.ntokens),
             "a request crosses: sample, seed, best_before bit for bit, the architecture %s", err.data);
  if (rc == 0) arch_free(&b);
  wire_write_request(&msg, 0, 1, -INFINITY, &a);
  rc = wire_read_request(g, msg.data, msg.len, &sample, &seed, &bb, &b, &err);
  tap_result(rc == 0 && isinf(bb) && bb < 0, "no best yet crosses as null and comes back as -inf");
  if (rc == 0) arch_free(&b);

  search_result res, back;
  memset(&res, 0, sizeof res);
  res.ok = 1;
  res.reward = 2.0 / 3.0;
  res.seconds = 1.25;
  res.params = 123456789012LL;
  res.flops = 9;
  res.test_metric = NAN;
  res.epochs = 3;
  res.valid_metric[0] = 0.1, res.valid_metric[1] = 1.0 / 7, res.valid_metric[2] = NAN;
  snprintf(res.note, sizeof res.note, "a note with \"quotes\"\n");
  wire_write_reply(&msg, 7, 0, NULL, &res);
  int status;
  rc = wire_read_reply(msg.data, msg.len, &sample, &status, &e2, &back, &err);
  tap_result(rc == 0 && sample == 7 && status == 0 && back.ok && back.reward == res.reward && back.params == res.params &&
             back.flops == 9 && isnan(back.test_metric) && back.epochs == 3 && back.valid_metric[1] == 1.0 / 7 &&
             isnan(back.valid_metric[2]) && !strcmp(back.note, res.note) && back.seconds == 1.25,
             "a reply crosses: reward bit for bit, sizes, no test figure, the validation series, the note");
  wire_write_reply(&msg, 8, SEARCH_E_REWARD, "the formula needs test_accuracy", NULL);
  strbuf_clear(&e2);
  rc = wire_read_reply(msg.data, msg.len, &sample, &status, &e2, &back, &err);
  tap_result(rc == 0 && status == SEARCH_E_REWARD && !strcmp(e2.data, "the formula needs test_accuracy"),
             "an evaluator's error crosses with its reason");

  static const struct {
    const char *text, *why;
  } bad[] = {
      {"", "input"},
      {"[1]", "a message is an array, not an object"},
      {"{\"sample\":-1,\"status\":0}", "\"sample\" is not an integer from 0"},
      {"{\"sample\":1}", "no \"status\""},
      {"{\"sample\":1,\"status\":3}", "\"status\" is not an integer from -100 to 0"},
      {"{\"sample\":1,\"status\":-2}", "no \"error\""},
      {"{\"sample\":1,\"status\":0,\"ok\":1}", "\"ok\" is an integer"},
      {"{\"sample\":1,\"status\":0,\"ok\":true,\"reward\":null,\"seconds\":0,\"params\":0,\"flops\":0,\"test\":null,"
       "\"valid\":[],\"note\":\"\"}",
       "a child evaluated without error has no reward"},
      {"{\"sample\":1,\"status\":0,\"ok\":true,\"reward\":1,\"seconds\":0,\"params\":-5,\"flops\":0,\"test\":null,"
       "\"valid\":[],\"note\":\"\"}",
       "\"params\" and \"flops\" must be integers of at least 0"},
      {"{\"sample\":1,\"status\":0,\"ok\":true,\"reward\":1,\"seconds\":0,\"params\":0,\"flops\":0,\"test\":null,"
       "\"valid\":[\"x\"],\"note\":\"\"}",
       "entry 1 of \"valid\" is a string"},
  };
  int refused = 0;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    strbuf_clear(&err);
    rc = wire_read_reply(bad[i].text, strlen(bad[i].text), &sample, &status, &e2, &back, &err);
    if (rc == -1 && strstr(err.data, bad[i].why)) refused++;
    else tap_diag("'%s': %d, '%s'", bad[i].text, rc, err.data);
  }
  tap_result(refused == (int)(sizeof bad / sizeof bad[0]), "malformed replies are refused with the reason (%d of %zu)",
             refused, sizeof bad / sizeof bad[0]);
  strbuf_clear(&err);
  const char *misfit = "{\"sample\":1,\"seed\":1,\"best_before\":0,\"record\":{\"tokens\":[9,9,9,9,9,9]}}\n";
  rc = wire_read_request(g, misfit, strlen(misfit), &sample, &seed, &bb, &b, &err);
  tap_result(rc == -1 && strstr(err.data, "the record does not fit the space"),
             "a request whose record does not fit the space is refused: %s", err.data);
  wire_hello h = {3, 0, "node-7", "macro", "cannot read 'data/x': No such file or directory"}, h2;
  wire_write_hello(&msg, &h);
  rc = wire_read_hello(msg.data, msg.len, &h2, &err);
  tap_result(rc == 0 && h2.rank == 3 && !h2.ready && !strcmp(h2.host, "node-7") && !strcmp(h2.error, h.error),
             "a worker's greeting crosses, with why it is not ready");
  arch_free(&a);
  strbuf_free(&msg);
  strbuf_free(&err);
  strbuf_free(&e2);
  grammar_free(g);
}

int main(void) {
  nn_threads_default(1);
  pooled_equals_serial("REINFORCE", "space s { layers 5 { conv2d(height: [1, 3, 5, 7], filters: [8, 16, 24, 32]) } }\n"
                       "search reinforce { batch: 5; samples: 40; seed: 7; optimizer: adam(lr: 0.05) }\n", 3);
  pooled_equals_serial("REINFORCE in a space of 4 (repeats in every batch)",
                       "space s { layer { conv2d(height: [1, 3], width: [1, 3]) } }\n"
                       "search reinforce { batch: 6; samples: 30; seed: 2 }\n", 4);
  pooled_equals_serial("random search", "space s { layers 3 { conv2d(height: [1, 3, 5], filters: [8, 16]) } }\n"
                       "search random { samples: 25; seed: 11 }\n", 4);
  pooled_equals_serial("one worker", "space s { layers 3 { conv2d(height: [1, 3, 5], filters: [8, 16]) } }\n"
                       "search reinforce { batch: 4; samples: 12; seed: 1 }\n", 1);
  pooled_stop_then_serial();
  async_runs();
  async_twins();
  messages();
  return tap_done();
}

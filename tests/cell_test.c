/* cell_test.c: recurrent cells and language-model children.
 *
 *  - every combine x activation node, a cell reading c, and the whole
 *    unrolled NASCell and LSTM language models (2 layers, several steps)
 *    against central finite differences of the segment loss;
 *  - the example NASCell (examples/nascell.nasl) against the published
 *    equations, computed here by hand for fixed small inputs, and the same
 *    cell drawn as tokens of the NAS-RNN tree space (examples/nas_rnn.nasl);
 *  - the example LSTM (examples/lstm_cell.nasl) against the standard LSTM
 *    equations;
 *  - a tiny corpus end to end: perplexity falls, and the same seed gives the
 *    same history. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compile.h"
#include "runtime/train/lm_train.h"
#include "tap.h"

static grammar *compile_text(const char *text) {
  nasl_diag d;
  nasl_diag_init(&d, stderr);
  grammar *g = nasl_compile_text("cell.nasl", text, strlen(text), NULL, &d);
  nasl_diag_free(&d);
  return g;
}

static grammar *compile_example(const char *name) {
  const char *top = getenv("top_srcdir");
  char path[4096];
  snprintf(path, sizeof path, "%s/examples/%s", top ? top : ".", name);
  nasl_diag d;
  nasl_diag_init(&d, stderr);
  grammar *g = nasl_compile_file(path, NULL, &d);
  nasl_diag_free(&d);
  return g;
}

/* The one architecture of a space without decisions. */
static int only_arch(const grammar *g, arch *a) {
  strbuf err;
  strbuf_init(&err);
  int ok = arch_from_tokens(g, 0, NULL, 0, a, &err);
  if (!ok) tap_diag("%s", err.data);
  strbuf_free(&err);
  return ok;
}

/* ---- finite differences of the segment loss ---- */

#define B 2
#define T 4
static const int ids_in[B * T] = {1, 4, 2, 6, 3, 0, 5, 2};
static const int ids_out[B * T] = {4, 2, 6, 1, 0, 5, 2, 3};

static double loss_at(lm *m) {
  rng r;
  rng_seed(&r, 7);
  nn_ctx ctx;
  nn_ctx_init(&ctx, 1, &r);
  ctx.training = 1;
  lm_reset_state(m, B);
  /* a non-zero starting state, so that h_{t-1} and c_{t-1} terms matter at t = 0 */
  for (int i = 0; i < m->layers * B * m->hidden; i++) {
    m->h[i] = 0.3f * sinf((float)i + 1);
    m->c[i] = 0.5f * cosf((float)i * 0.7f);
  }
  tensor *l = lm_segment_loss(&ctx, m, ids_in, ids_out, B, T);
  double v = l ? l->data[0] : NAN;
  if (!l) tap_diag("%s", ctx.error);
  nn_ctx_free(&ctx);
  return v;
}

/* Max relative error over every parameter entry (the models are tiny). */
static double gradcheck_lm(lm *m) {
  rng r;
  rng_seed(&r, 7);
  nn_ctx ctx;
  nn_ctx_init(&ctx, 1, &r);
  ctx.training = 1;
  lm_reset_state(m, B);
  for (int i = 0; i < m->layers * B * m->hidden; i++) {
    m->h[i] = 0.3f * sinf((float)i + 1);
    m->c[i] = 0.5f * cosf((float)i * 0.7f);
  }
  nn_params_zero_grad(&m->params);
  tensor *l = lm_segment_loss(&ctx, m, ids_in, ids_out, B, T);
  if (!l) {
    tap_diag("%s", ctx.error);
    nn_ctx_free(&ctx);
    return INFINITY;
  }
  lm_backward(&ctx, m, l);
  /* Two step sizes: where they disagree the step crossed a relu kink (or the
   * float loss is too flat to tell), and the entry is skipped; the rest must
   * agree with reverse mode. At most a tenth may be skipped. */
  double worst = 0;
  long total = 0, skipped = 0;
  for (int k = 0; k < m->params.items.n; k++) {
    tensor *p = m->params.items.items[k];
    for (int64_t i = 0; i < p->n; i++) {
      double fd[2];
      for (int s = 0; s < 2; s++) {
        float eps = s ? 5e-3f : 1e-2f, keep = p->data[i];
        p->data[i] = keep + eps;
        double up = loss_at(m);
        p->data[i] = keep - eps;
        double down = loss_at(m);
        p->data[i] = keep;
        fd[s] = (up - down) / (2.0 * eps);
      }
      double an = p->grad ? p->grad[i] : 0;
      total++;
      if (fabs(fd[0] - fd[1]) > 0.03 * fmax(fabs(fd[0]), fabs(fd[1])) + 3e-5) {
        skipped++;
        continue;
      }
      double rel = fabs(fd[1] - an) / fmax(5e-3, fmax(fabs(fd[1]), fabs(an)));
      if (rel > worst) {
        worst = rel;
        if (rel > 2e-2) tap_diag("%s[%lld]: analytic %.6g, finite differences %.6g", p->name, (long long)i, an, fd[1]);
      }
    }
  }
  if (skipped * 10 > total) {
    tap_diag("%ld of %ld entries near a kink", skipped, total);
    worst = INFINITY;
  }
  nn_ctx_free(&ctx);
  return worst;
}

/* Relative error of the derivative along one random direction over every
 * parameter: central differences of step eps against the gradient's dot
 * product with the direction. Where every entry's gradient is tiny (a state
 * scaled down to a small norm makes the loss flat) single-entry differences
 * of a float loss are mostly rounding; the sum over all entries is not. */
static double directional_check(lm *m, float eps) {
  rng r;
  rng_seed(&r, 7);
  nn_ctx ctx;
  nn_ctx_init(&ctx, 1, &r);
  ctx.training = 1;
  nn_params_zero_grad(&m->params);
  loss_at(m); /* the starting state of loss_at, then the recorded pass */
  lm_reset_state(m, B);
  for (int i = 0; i < m->layers * B * m->hidden; i++) {
    m->h[i] = 0.3f * sinf((float)i + 1);
    m->c[i] = 0.5f * cosf((float)i * 0.7f);
  }
  tensor *l = lm_segment_loss(&ctx, m, ids_in, ids_out, B, T);
  if (!l) {
    nn_ctx_free(&ctx);
    return INFINITY;
  }
  lm_backward(&ctx, m, l);
  rng dr;
  rng_seed(&dr, 11);
  int np = m->params.items.n;
  float **dir = malloc(sizeof(float *) * (size_t)np);
  double an = 0, side[2];
  for (int k = 0; k < np; k++) {
    tensor *p = m->params.items.items[k];
    dir[k] = malloc(sizeof(float) * (size_t)p->n);
    for (int64_t i = 0; i < p->n; i++) {
      dir[k][i] = (float)(rng_uniform(&dr) * 2 - 1);
      an += (p->grad ? p->grad[i] : 0) * dir[k][i];
    }
  }
  for (int s = 0; s < 2; s++) {
    for (int k = 0; k < np; k++) {
      tensor *p = m->params.items.items[k];
      for (int64_t i = 0; i < p->n; i++) p->data[i] += (s ? -2 : 1) * eps * dir[k][i];
    }
    side[s] = loss_at(m);
  }
  for (int k = 0; k < np; k++) {
    tensor *p = m->params.items.items[k];
    for (int64_t i = 0; i < p->n; i++) p->data[i] += eps * dir[k][i];
    free(dir[k]);
  }
  free(dir);
  nn_ctx_free(&ctx);
  double fd = (side[0] - side[1]) / (2.0 * eps);
  tap_diag("along a random direction: analytic %.7g, finite differences %.7g", an, fd);
  return fabs(fd - an) / fmax(1e-6, fabs(an));
}

static void small_recipe(grammar *g, int layers) {
  g->train.hidden = 3;
  g->train.embed = 2;
  g->train.layers = layers;
  g->train.dropout = 0;
}

/* The largest norm of a stream's row in a state buffer [layers][B][hidden]. */
static double max_row_norm(const float *s, int rows, int hidden) {
  double worst = 0;
  for (int r = 0; r < rows; r++) {
    double ss = 0;
    for (int j = 0; j < hidden; j++) ss += (double)s[r * hidden + j] * s[r * hidden + j];
    if (sqrt(ss) > worst) worst = sqrt(ss);
  }
  return worst;
}

/* The cell body in a space whose train block adds `extra`, built from its
 * only architecture and checked by finite differences: entry by entry, or,
 * when bound > 0, along a random direction, with the state checked to be
 * within the clip_state bound (and above it with the clipping turned off,
 * so that the check means something). */
static void check_cell_clip(const char *what, const char *body, int layers, const char *extra, double bound) {
  char text[2048];
  snprintf(text, sizeof text,
           "cell t {\n%s\n}\ntrain { data: text(train: \"x.txt\"); hidden: 3; layers: %d; dropout: 0%s }\n", body, layers,
           extra);
  grammar *g = compile_text(text);
  if (!g) {
    tap_result(0, "%s: compiles", what);
    return;
  }
  arch a;
  if (!only_arch(g, &a)) {
    tap_result(0, "%s: has its architecture", what);
    grammar_free(g);
    return;
  }
  rng r;
  rng_seed(&r, 3);
  lm m;
  strbuf err;
  strbuf_init(&err);
  small_recipe(g, layers);
  if (lm_build(&m, &a, &g->train, 7, &r, &err)) {
    tap_result(0, "%s: builds (%s)", what, err.data);
  } else {
    if (bound > 0) {
      double e = directional_check(&m, 1e-2f);
      tap_result(e < 1e-2, "%s: the gradient matches finite differences along a random direction (rel. error %.2g)",
                 what, e);
      int rows = layers * B;
      loss_at(&m);
      double h = max_row_norm(m.h, rows, m.hidden), c = max_row_norm(m.c, rows, m.hidden);
      tap_result(m.clip_state == (float)bound && h <= bound * (1 + 1e-6) && c <= bound * (1 + 1e-6),
                 "%s: every stream's h and c within the bound %g (largest %.4g, %.4g)", what, bound, h, c);
      m.clip_state = 0;
      loss_at(&m);
      h = max_row_norm(m.h, rows, m.hidden);
      c = max_row_norm(m.c, rows, m.hidden);
      tap_result(h > bound && c > bound, "%s: without the bound the state exceeds it (largest %.4g, %.4g)", what, h, c);
    } else {
      double e = gradcheck_lm(&m);
      tap_result(e < 2e-2, "%s: gradients match finite differences (max rel. error %.2g)", what, e);
    }
    lm_free(&m);
  }
  strbuf_free(&err);
  arch_free(&a);
  grammar_free(g);
}

static void check_cell_text(const char *what, const char *body, int layers) {
  check_cell_clip(what, body, layers, "", 0);
}

static void gradcheck_nodes(void) {
  static const char *const combines[] = {"add", "mul"};
  static const char *const acts[] = {"identity", "tanh", "sigmoid", "relu"};
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 4; j++) {
      char body[512], what[128];
      snprintf(body, sizeof body, "  n = %s(%s(x, h))\n  memory: n\n  output: n", acts[j], combines[i]);
      snprintf(what, sizeof what, "node %s(%s(x, h))", acts[j], combines[i]);
      check_cell_text(what, body, 1);
    }
  check_cell_text("memory injection tanh(mul(sigmoid(add(x, h)), c))",
                  "  a = sigmoid(add(x, h))\n  m = tanh(mul(a, c))\n  o = tanh(add(m, add(x, h)))\n"
                  "  memory: m\n  output: o",
                  1);
  /* clip_state: a cell whose state grows step by step, over 2 layers, and
   * one that sums its memory into its output, under bounds they cross */
  check_cell_clip("clip_state 0.4, identity(add(x, add(h, c))), 2 layers",
                  "  n = identity(add(x, add(h, c)))\n  memory: n\n  output: n", 2, "; clip_state: 0.4", 0.4);
  check_cell_clip("clip_state 0.3, memory tanh(add(c, x)), output identity(add(h, add(m, m)))",
                  "  m = tanh(add(c, x))\n  o = identity(add(h, add(m, m)))\n  memory: m\n  output: o", 1,
                  "; clip_state: 0.3", 0.3);
}

static void gradcheck_example(const char *file, const char *what) {
  grammar *g = compile_example(file);
  arch a;
  if (!g || !only_arch(g, &a)) {
    tap_result(0, "%s: compiles", what);
    if (g) grammar_free(g);
    return;
  }
  small_recipe(g, 2);
  rng r;
  rng_seed(&r, 5);
  lm m;
  strbuf err;
  strbuf_init(&err);
  if (lm_build(&m, &a, &g->train, 7, &r, &err)) {
    tap_result(0, "%s: builds (%s)", what, err.data);
  } else {
    double e = gradcheck_lm(&m);
    tap_result(e < 2e-2, "%s, 2 layers unrolled over %d steps: gradients match finite differences (max rel. error %.2g)",
               what, T, e);
    lm_free(&m);
  }
  strbuf_free(&err);
  arch_free(&a);
  grammar_free(g);
}

/* ---- one step against equations computed by hand ---- */

#define H 3
#define NB 2 /* rows */

static float val(int proj, int side, int i) { /* a fixed, varied input */
  return 0.9f * sinf(1.3f * (float)proj + 0.7f * (float)side + 0.37f * (float)i + 0.2f);
}

static float sig(float v) { return 1.0f / (1.0f + expf(-v)); }
static float relu(float v) { return v > 0 ? v : 0; }

/* Runs the program on px = val(k, 0, .), ph = val(k, 1, .), c = val(0, 2, .). */
static int run_step(const cell_program *p, float *h_out, float *c_out) {
  rng r;
  rng_seed(&r, 1);
  nn_ctx ctx;
  nn_ctx_init(&ctx, 1, &r);
  tensor *px[16], *ph[16];
  for (int k = 0; k < p->nx && k < 16; k++) {
    px[k] = nn_new2(&ctx, NB, H);
    for (int i = 0; i < NB * H; i++) px[k]->data[i] = val(k, 0, i);
  }
  for (int k = 0; k < p->nh && k < 16; k++) {
    ph[k] = nn_new2(&ctx, NB, H);
    for (int i = 0; i < NB * H; i++) ph[k]->data[i] = val(k, 1, i);
  }
  tensor *c = nn_new2(&ctx, NB, H), *cn = NULL;
  for (int i = 0; i < NB * H; i++) c->data[i] = val(0, 2, i);
  tensor *h = cell_forward(&ctx, p, px, ph, c, &cn);
  int ok = h && cn;
  if (ok) {
    memcpy(h_out, h->data, sizeof(float) * NB * H);
    memcpy(c_out, cn->data, sizeof(float) * NB * H);
  }
  nn_ctx_free(&ctx);
  return ok;
}

/* The NASCell of Zoph & Le (2017), as published (TensorFlow's NASCell):
 * eight leaves over chunks m_k of the x projection and r_k of the h one. */
static void nascell_by_hand(float *h, float *c) {
  for (int i = 0; i < NB * H; i++) {
    float m[8], r[8];
    for (int k = 0; k < 8; k++) {
      m[k] = val(k, 0, i);
      r[k] = val(k, 1, i);
    }
    float l1_0 = sig(m[0] + r[0]), l1_1 = relu(m[1] + r[1]), l1_2 = sig(m[2] + r[2]), l1_3 = relu(m[3] * r[3]);
    float l1_4 = tanhf(m[4] + r[4]), l1_5 = sig(m[5] + r[5]), l1_6 = tanhf(m[6] + r[6]), l1_7 = sig(m[7] + r[7]);
    float l2_0 = tanhf(l1_0 * l1_1), l2_1 = tanhf(l1_2 + l1_3), l2_2 = tanhf(l1_4 * l1_5), l2_3 = sig(l1_6 + l1_7);
    l2_0 = tanhf(l2_0 + val(0, 2, i));
    float l3_0 = l2_0 * l2_1, l3_1 = tanhf(l2_2 + l2_3);
    c[i] = l3_0;
    h[i] = tanhf(l3_0 * l3_1);
  }
}

static void lstm_by_hand(float *h, float *c) {
  for (int i = 0; i < NB * H; i++) {
    float f = sig(val(0, 0, i) + val(0, 1, i)), in = sig(val(1, 0, i) + val(1, 1, i));
    float g = tanhf(val(2, 0, i) + val(2, 1, i)), o = sig(val(3, 0, i) + val(3, 1, i));
    c[i] = f * val(0, 2, i) + in * g;
    h[i] = o * tanhf(c[i]);
  }
}

static double max_diff(const float *a, const float *b, int n) {
  double d = 0;
  for (int i = 0; i < n; i++) d = fmax(d, fabs((double)a[i] - b[i]));
  return d;
}

static void check_equations(const char *what, const grammar *g, const arch *a, int nx, int nh,
                            void (*by_hand)(float *, float *)) {
  cell_program p;
  strbuf err;
  strbuf_init(&err);
  if (cell_program_build(a, &p, &err)) {
    tap_result(0, "%s: builds (%s)", what, err.data);
    strbuf_free(&err);
    return;
  }
  (void)g;
  tap_result(p.nx == nx && p.nh == nh, "%s: %d projections of x and %d of h (has %d, %d)", what, nx, nh, p.nx, p.nh);
  float h[NB * H], c[NB * H], eh[NB * H], ec[NB * H];
  by_hand(eh, ec);
  if (!run_step(&p, h, c)) {
    tap_result(0, "%s: runs", what);
  } else {
    tap_result(max_diff(h, eh, NB * H) < 1e-6, "%s: h_t equals the equations (max diff %.2g)", what,
               max_diff(h, eh, NB * H));
    tap_result(max_diff(c, ec, NB * H) < 1e-6, "%s: c_t equals the equations (max diff %.2g)", what,
               max_diff(c, ec, NB * H));
  }
  cell_program_free(&p);
  strbuf_free(&err);
}

/* The token of decision `path` that means `value`. */
static int token_for(const grammar *g, const char *path, const char *sym, long num) {
  for (int i = 0; i < g->ndecisions; i++) {
    const grammar_decision *d = &g->decisions[i];
    if (strcmp(d->path, path)) continue;
    for (int k = 0; k < d->vocab_len; k++) {
      const grammar_value *v = &d->vocab[k];
      if (sym ? (v->sym && !strcmp(v->sym, sym)) : (v->kind == GV_INT && v->i == num)) return k;
    }
  }
  return -1;
}

static void nascell_as_tree(void) {
  grammar *g = compile_example("nas_rnn.nasl");
  if (!g) {
    tap_result(0, "nas_rnn.nasl compiles");
    return;
  }
  /* nascell.nasl's header gives the mapping: node combine/activation, inject at 8, memory from 12 */
  static const char *const comb[15] = {"add", "add", "add", "mul", "add", "add", "add", "add",
                                       "mul", "add", "mul", "add", "mul", "add", "mul"};
  static const char *const act[15] = {"sigmoid", "relu", "sigmoid", "relu", "tanh", "sigmoid", "tanh", "sigmoid",
                                      "tanh",    "tanh", "tanh",    "sigmoid", "identity", "tanh", "tanh"};
  int tokens[64], n = 0, bad = 0;
  for (int i = 0; i < g->ndecisions; i++) {
    const char *path = g->decisions[i].path;
    int node, t = -1;
    char field[32];
    if (sscanf(path, "node[%d].%31s", &node, field) == 2 && node >= 0 && node < 15)
      t = token_for(g, path, !strcmp(field, "combine") ? comb[node] : act[node], 0);
    else if (!strcmp(path, "inject.combine")) t = token_for(g, path, "add", 0);
    else if (!strcmp(path, "inject.activation")) t = token_for(g, path, "tanh", 0);
    else if (!strcmp(path, "inject.at")) t = token_for(g, path, NULL, 8);
    else if (!strcmp(path, "memory.from")) t = token_for(g, path, NULL, 12);
    if (t < 0) {
      tap_diag("no token for %s", path);
      bad = 1;
    }
    tokens[n++] = t;
  }
  arch a;
  strbuf err;
  strbuf_init(&err);
  if (bad || !arch_from_tokens(g, 0, tokens, n, &a, &err)) {
    tap_result(0, "the NASCell is a point of the NAS-RNN tree space (%s)", err.data);
  } else {
    check_equations("NASCell drawn from the tree space", g, &a, 8, 8, nascell_by_hand);
    arch_free(&a);
  }
  strbuf_free(&err);
  grammar_free(g);
}

static void equations(void) {
  grammar *g = compile_example("nascell.nasl");
  arch a;
  if (g && only_arch(g, &a)) {
    check_equations("examples/nascell.nasl", g, &a, 8, 8, nascell_by_hand);
    arch_free(&a);
  } else {
    tap_result(0, "nascell.nasl compiles");
  }
  if (g) grammar_free(g);
  g = compile_example("lstm_cell.nasl");
  if (g && only_arch(g, &a)) {
    check_equations("examples/lstm_cell.nasl", g, &a, 4, 4, lstm_by_hand);
    arch_free(&a);
  } else {
    tap_result(0, "lstm_cell.nasl compiles");
  }
  if (g) grammar_free(g);
  nascell_as_tree();
}

/* ---- a tiny corpus end to end ---- */

static void tiny_corpus(void) {
  /* a stream with structure: a cycle of 6 words with a random word now and then */
  enum { N = 6000, V = 12 };
  int *tok = malloc(sizeof(int) * N);
  rng r;
  rng_seed(&r, 11);
  for (int i = 0; i < N; i++) tok[i] = rng_uniform(&r) < 0.1 ? (int)rng_below(&r, V) : i % 6;
  grammar *g = compile_text(
      "cell lstm {\n  f = sigmoid(add(x, h)); i = sigmoid(add(x, h)); g = tanh(add(x, h)); o = sigmoid(add(x, h))\n"
      "  c2 = add(mul(f, c), mul(i, g))\n  h2 = mul(o, tanh(c2))\n  memory: c2\n  output: h2\n}\n"
      "train { data: text(train: \"t.txt\"); epochs: 3; batch: 8; bptt: 10; hidden: 16; layers: 1; dropout: 0\n"
      "  optimizer: sgd(lr: 1); clip: 5 }\n"
      "search reinforce { reward: 80 / (min(valid_perplexity, last: 1) ^ 2) }\n");
  arch a;
  if (!g || !only_arch(g, &a)) {
    tap_result(0, "tiny corpus: the LSTM space compiles");
    if (g) grammar_free(g);
    free(tok);
    return;
  }
  lm_data d = {tok, tok + 4800, tok + 5400, 4800, 600, 600, V};
  train_opts o = {0, 1, 1, 0, 0, 0};
  double first[2] = {0, 0}, last[2] = {0, 0}, test = 0, reward = 0;
  int ok = 1;
  for (int run = 0; run < 2; run++) {
    lm m;
    train_report rep;
    strbuf err;
    strbuf_init(&err);
    if (lm_train_child(g, &a, &d, &o, &m, &rep, &err)) {
      tap_diag("%s", err.data);
      ok = 0;
    } else {
      first[run] = rep.valid_metric[0];
      last[run] = rep.valid_metric[rep.epochs - 1];
      test = rep.test_metric;
      reward = rep.reward;
      tap_diag("run %d: valid perplexity %.3f -> %.3f, test %.3f, reward %.4f", run, first[run], last[run], test,
               rep.reward);
      lm_free(&m);
    }
    train_report_free(&rep);
    strbuf_free(&err);
  }
  tap_result(ok, "tiny corpus: an LSTM language model trains");
  /* uniform guessing is 12; the cycle with 10% noise allows about 1.5 */
  tap_result(ok && first[0] < 8 && last[0] < first[0] && last[0] < 3, "tiny corpus: perplexity falls (%.2f -> %.2f)",
             first[0], last[0]);
  tap_result(ok && isfinite(test) && test < 3, "tiny corpus: test perplexity %.2f", test);
  tap_result(ok && fabs(reward - 80 / (last[0] * last[0])) < 1e-6 * reward, "tiny corpus: reward is 80 / ppl^2");
  tap_result(ok && first[0] == first[1] && last[0] == last[1], "tiny corpus: the same seed gives the same history");
  arch_free(&a);
  grammar_free(g);
  free(tok);
}

int main(void) {
  gradcheck_nodes();
  gradcheck_example("nascell.nasl", "examples/nascell.nasl");
  gradcheck_example("lstm_cell.nasl", "examples/lstm_cell.nasl");
  equations();
  tiny_corpus();
  return tap_done();
}

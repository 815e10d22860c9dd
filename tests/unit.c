/* unit.c: the compiler and sampler checked from C: space sizes against hand
 * counts, decision paths and guards, uniform and reproducible sampling,
 * token replay and the depth curriculum. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "compiler/compile.h"
#include "compiler/print.h"
#include "grammar/arch.h"
#include "stdlib/ops.h"
#include "tap.h"

/* Compiles text with the stdlib; diagnostics are captured into *diag. */
static grammar *compile_text(const char *text, strbuf *diag) {
  nasl_diag d;
  nasl_diag_init(&d, NULL);
  d.capture = diag;
  grammar *g = nasl_compile_text("test.nasl", text, strlen(text), NULL, &d);
  nasl_diag_free(&d);
  return g;
}

static void check_size(const char *name, const char *text, const char *expected) {
  strbuf diag;
  strbuf_init(&diag);
  grammar *g = compile_text(text, &diag);
  int ok = g && g->size_exact && !strcmp(g->size_exact, expected);
  tap_result(ok, "size of %s is %s", name, expected);
  if (!ok) tap_diag("got %s %s", g && g->size_exact ? g->size_exact : "(none)", diag.data);
  grammar_free(g);
  strbuf_free(&diag);
}

static void test_sizes(void) {
  check_size("anchored 3-layer stack", "space s { layers 3 { conv2d(height: [1,3], width: [1,3]) inputs: anchor } }",
             "512");
  check_size("decided depth", "space s { layers 1..2 { conv2d(height: [1,3]) } }", "6");
  check_size("depth from a list", "space s { layers [1, 3] { conv2d(height: [1,3]) } }", "10");
  check_size("curriculum 2..5 grow 2", "space s { layers 2..5 grow 2 every 10 { conv2d(height: [1,3]) } }", "52");
  check_size("maybe", "space s { layer { maybe maxpool(size: [2,3]) } }", "3");
  check_size("either", "space s { layer { either { conv2d(height: [1,3]) } or { maxpool } } }", "3");
  check_size("op choice", "space s { layer { [relu, tanh, conv2d(filters: [8, 16])] } }", "4");
  check_size("anchor window", "space s { layers 4 { relu inputs: anchor(window: 2) } }", "32");
  check_size("head choices", "space s { layer { relu } head { global_avgpool; dense(units: [10, 20]) } }", "2");
  check_size("NAS-Bench-201 cell",
             "cell c { dag { nodes: 4; edges: all; ops: [none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3] } }",
             "15625");
  check_size("ENAS micro cell",
             "cell c { dag { inputs: 2; nodes: 7; edges: 2; ops: [skip_connect, sep_conv_3x3, sep_conv_5x5, avg_pool_3x3, max_pool_3x3] } }",
             "5062500000000");
  check_size("NAS-RNN 8-leaf tree (paper: about 6e16)",
             "cell c { tree(leaves: 8) { combine: [add, mul]; activation: [identity, tanh, sigmoid, relu] } inject { } }",
             "63331869759897600");
  check_size("2-leaf tree with fixed inject", "cell c { tree(leaves: 2) { } inject { at: 0; memory: [1, 2] } }",
             "8192");
  check_size("fixed cell", "cell c { a = tanh(add(x, h)); memory: a }", "1");

  strbuf diag;
  strbuf_init(&diag);
  grammar *g = compile_text(
      "space s { layers 6..15 grow 2 every 1600 { conv2d(height: [1,3,5,7], width: [1,3,5,7], filters: [24,36,48,64]) "
      "inputs: anchor } }",
      &diag);
  /* depths 6, 8, 10, 12, 14, 15: sum over d of 4^(3d) * 2^(d(d-1)/2) */
  double sum = 0;
  int depths[] = {6, 8, 10, 12, 14, 15};
  for (int i = 0; i < 6; i++) sum += pow(4, 3 * depths[i]) * pow(2, depths[i] * (depths[i] - 1) / 2.0);
  tap_result(g && fabs(g->log10_size - log10(sum)) < 1e-9, "v1 curriculum space: log10 size %.4f", log10(sum));
  tap_result(g && g->size_exact == NULL, "a space past 128 bits reports no exact size");
  grammar_free(g);
  strbuf_free(&diag);
}

static const grammar_decision *find_decision(const grammar *g, const char *path) {
  for (int i = 0; i < g->ndecisions; i++)
    if (!strcmp(g->decisions[i].path, path)) return &g->decisions[i];
  return NULL;
}

static void test_paths(void) {
  strbuf diag;
  strbuf_init(&diag);
  grammar *g = compile_text(
      "space s { layers 2 { conv2d(height: [1,3]) relu maybe maxpool(size: [2,3]) conv2d(width: [1, 5]) "
      "inputs: anchor } layers 1..2 { either a: { relu } or b: { conv2d(filters: [4, 8]) } } }",
      &diag);
  tap_result(g != NULL, "space with branches compiles");
  if (!g) {
    tap_diag("%s", diag.data);
    return;
  }
  const char *paths[] = {"layer[0].conv2d.height", "layer[0].maxpool.use", "layer[0].maxpool.size",
                         "layer[0].conv2d_2.width", "layer[1].inputs", "depth", "layer[2].either",
                         "layer[3].conv2d.filters"};
  for (int i = 0; i < 8; i++) tap_result(find_decision(g, paths[i]) != NULL, "decision %s exists", paths[i]);
  tap_result(find_decision(g, "layer[0].inputs") == NULL, "the first layer has no anchor decision");
  const grammar_decision *size = find_decision(g, "layer[0].maxpool.size");
  const grammar_decision *use = find_decision(g, "layer[0].maxpool.use");
  tap_result(size && use && size->guard == use->id && size->guard_token == 1,
             "maxpool.size is taken only when maxpool.use is true");
  const grammar_decision *f = find_decision(g, "layer[3].conv2d.filters");
  tap_result(f && f->min_depth == 4 && f->guard == find_decision(g, "layer[3].either")->id && f->guard_token == 1,
             "a deep layer's decision is guarded by its branch and the depth");
  const grammar_decision *anchor = find_decision(g, "layer[1].inputs");
  tap_result(anchor && anchor->kind == GRAMMAR_ANCHOR && anchor->ncandidates == 1, "anchor of layer 1 has one candidate");
  const grammar_decision *h0 = find_decision(g, "layer[0].conv2d.height");
  const grammar_decision *h1 = find_decision(g, "layer[1].conv2d.height");
  tap_result(h0 && h1 && h0->head == h1->head, "layers share the controller head of conv2d.height");
  tap_result(h0 && h1 && h0->head != find_decision(g, "layer[0].conv2d_2.width")->head,
             "different parameters get different heads");
  grammar_free(g);
  strbuf_free(&diag);
}

/* Counts how often each architecture of a small space is drawn. */
static void test_uniform(void) {
  strbuf diag;
  strbuf_init(&diag);
  /* 4 architectures: 3 with the convolution, 1 with the pool. A per-decision
   * coin would draw the pool half of the time. */
  grammar *g = compile_text("space s { layer { either { conv2d(height: [1,3,5]) } or { maxpool } } }", &diag);
  rng r;
  rng_seed(&r, 7);
  int counts[4] = {0};
  int n = 20000;
  for (int i = 0; i < n; i++) {
    arch a;
    arch_generate(g, 0, arch_choose_uniform, &r, &a);
    int branch = arch_token(&a, 0);
    int k = branch == 1 ? 3 : arch_token(&a, 1);
    if (k >= 0 && k < 4) counts[k]++;
    arch_free(&a);
  }
  int ok = 1;
  for (int k = 0; k < 4; k++) ok &= fabs(counts[k] / (double)n - 0.25) < 0.02;
  tap_result(ok, "sampling is uniform over architectures (%d %d %d %d of %d)", counts[0], counts[1], counts[2],
             counts[3], n);
  grammar_free(g);
  strbuf_free(&diag);
}

static void test_reproducible(void) {
  strbuf diag;
  strbuf_init(&diag);
  grammar *g = compile_text(
      "space s { layers 2..6 { conv2d(height: [1,3,5], filters: [8, 16]) maybe maxpool inputs: anchor } }", &diag);
  strbuf a1, a2, a3;
  strbuf_init(&a1);
  strbuf_init(&a2);
  strbuf_init(&a3);
  for (int seed = 1; seed <= 3; seed++) {
    rng r;
    rng_seed(&r, seed == 3 ? 99 : 5);
    strbuf *out = seed == 1 ? &a1 : seed == 2 ? &a2 : &a3;
    for (int i = 0; i < 20; i++) {
      arch a;
      arch_generate(g, 0, arch_choose_uniform, &r, &a);
      arch_json(&a, out);
      arch_free(&a);
    }
  }
  tap_result(!strcmp(a1.data, a2.data), "the same seed draws the same architectures");
  tap_result(strcmp(a1.data, a3.data) != 0, "another seed draws others");
  /* replay: tokens rebuild the same record */
  rng r;
  rng_seed(&r, 3);
  int ok = 1;
  for (int i = 0; i < 200 && ok; i++) {
    arch a, b;
    arch_generate(g, 0, arch_choose_uniform, &r, &a);
    strbuf err, ja, jb;
    strbuf_init(&err);
    strbuf_init(&ja);
    strbuf_init(&jb);
    ok = arch_from_tokens(g, 0, a.tokens, a.ntokens, &b, &err);
    if (ok) {
      arch_json(&a, &ja);
      arch_json(&b, &jb);
      ok = !strcmp(ja.data, jb.data);
      arch_free(&b);
    } else {
      tap_diag("%s", err.data);
    }
    arch_free(&a);
    strbuf_free(&err);
    strbuf_free(&ja);
    strbuf_free(&jb);
  }
  tap_result(ok, "200 sampled token sequences replay to the same records");
  int bad[] = {9, 9, 9};
  arch b;
  strbuf err;
  strbuf_init(&err);
  tap_result(!arch_from_tokens(g, 0, bad, 3, &b, &err) && strstr(err.data, "out of range"),
             "an out-of-range token is rejected: %s", err.data);
  strbuf_free(&err);
  strbuf_free(&a1);
  strbuf_free(&a2);
  strbuf_free(&a3);
  grammar_free(g);
  strbuf_free(&diag);
}

static void test_curriculum(void) {
  strbuf diag;
  strbuf_init(&diag);
  grammar *g = compile_text("space s { layers 6..15 grow 2 every 1600 { relu } }", &diag);
  const grammar_node *st = g->variable_stack;
  int ok = st && grammar_curriculum_depth(st, 0) == 6 && grammar_curriculum_depth(st, 1599) == 6 &&
           grammar_curriculum_depth(st, 1600) == 8 && grammar_curriculum_depth(st, 6400) == 14 &&
           grammar_curriculum_depth(st, 8000) == 15 && grammar_curriculum_depth(st, 1000000) == 15;
  tap_result(ok, "curriculum: 6 layers, +2 every 1600 samples, at most 15");
  rng r;
  rng_seed(&r, 1);
  arch a;
  arch_generate(g, 3200, arch_choose_uniform, &r, &a);
  tap_result(a.depth == 10, "an architecture drawn at sample 3200 has 10 layers (got %d)", a.depth);
  arch_free(&a);
  grammar_free(g);
  strbuf_free(&diag);
}

/* The classes of a dataset come from its declaration: the loader's
 * `classes` for IDX data, the format's for CIFAR. */
static void test_dataset_classes(void) {
  static const struct { const char *decl; int classes; } cases[] = {
      {"mnist(dir: \"/d\", classes: 12)", 12}, {"fashion_mnist(classes: 256)", 256}, {"mnist()", 10},
      {"cifar10()", 10}, {"cifar100()", 100}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    strbuf diag, text;
    strbuf_init(&diag);
    strbuf_init(&text);
    strbuf_printf(&text, "dataset x = %s\nspace s { layer { relu } }\n", cases[i].decl);
    grammar *g = compile_text(text.data, &diag);
    tap_result(g && g->train.data.classes == cases[i].classes, "dataset %s has %d classes", cases[i].decl,
               cases[i].classes);
    if (g) grammar_free(g);
    strbuf_free(&diag);
    strbuf_free(&text);
  }
}

static void test_recipes(void) {
  strbuf diag;
  strbuf_init(&diag);
  grammar *g = compile_text(
      "dataset f = fashion_mnist(dir: \"/data/f\")\n"
      "space s { layer { relu } }\n"
      "train { data: f; valid: 5000; epochs: 50; batch: 64; optimizer: sgd(lr: 0.1, momentum: 0.9, nesterov: true, "
      "weight_decay: 1e-4); schedule: cosine(min_lr: .5e-3) }\n"
      "search reinforce { controller: lstm(layers: 2, hidden: 35, init: 0.08); optimizer: adam(lr: 6e-4); "
      "baseline: ema(0.95); batch: 8; samples: 12800; reward: max(valid_accuracy, last: 5) ^ 3; seed: 0x10 }",
      &diag);
  tap_result(g != NULL, "the issue's example recipes compile");
  if (!g) {
    tap_diag("%s", diag.data);
    return;
  }
  const grammar_train *t = &g->train;
  tap_result(!strcmp(t->data.loader, "fashion_mnist") && !strcmp(t->data.dir, "/data/f") && t->data.classes == 10 &&
                 t->valid == 5000 && t->epochs == 50 && t->batch == 64,
             "train: data (10 classes unless given), valid, epochs, batch");
  tap_result(t->optimizer.kind == OPTIM_SGD && t->optimizer.lr == 0.1 && t->optimizer.momentum == 0.9 &&
                 t->optimizer.nesterov && t->optimizer.weight_decay == 1e-4,
             "train: sgd with momentum, nesterov and weight decay");
  tap_result(t->schedule.kind == SCHED_COSINE && t->schedule.min_lr == 0.5e-3, "train: cosine schedule, .5e-3");
  const grammar_search *s = &g->search;
  tap_result(s->controller_layers == 2 && s->controller_hidden == 35 && s->controller_init == 0.08 &&
                 s->optimizer.kind == OPTIM_ADAM && s->optimizer.lr == 6e-4 && s->baseline_decay == 0.95 &&
                 s->batch == 8 && s->samples == 12800 && s->seed == 16,
             "search: controller, optimizer, baseline, batch, samples, hex seed");
  const grammar_reward *r = s->reward;
  tap_result(r && r->kind == RW_BINARY && r->op == '^' && r->lhs->kind == RW_REDUCE &&
                 r->lhs->reduce == REDUCE_MAX && r->lhs->last == 5 && r->rhs->number == 3,
             "reward: max(valid_accuracy, last: 5) ^ 3");
  grammar_free(g);
  strbuf_free(&diag);
}

static void test_multiple_errors(void) {
  strbuf diag;
  strbuf_init(&diag);
  grammar *g = compile_text("space s {\n  layer { conv2d(heigth: 3) }\n}\ntrain { epochs: 0; batchsize: 3 }\n", &diag);
  int errors = 0;
  for (const char *p = diag.data; (p = strstr(p, ": error: ")); p++) errors++;
  tap_result(!g && errors >= 3, "one run reports several errors (%d)", errors);
  tap_result(strstr(diag.data, "did you mean 'height'?") && strstr(diag.data, "did you mean 'batch'?"),
             "misspelt names get a suggestion");
  strbuf_free(&diag);
}

/* The operation table, the stdlib declarations and the kernels agree. */
static void test_op_table(void) {
  strbuf diag;
  strbuf_init(&diag);
  grammar *g = compile_text("space s { layer { relu } }", &diag);
  int missing = 0;
  for (int k = 1; k < NN_OP_COUNT; k++) {
    if (k == NN_EXTERN) continue; /* plug-ins are declared by the files that load them */
    int found = 0;
    for (int i = 0; g && i < g->nops; i++) found |= !strcmp(g->ops[i].name, nn_ops[k].name);
    if (!found) tap_diag("kernel '%s' has no stdlib declaration", nn_ops[k].name), missing++;
  }
  tap_result(g && missing == 0, "every kernel is declared in the stdlib");
  missing = 0;
  for (int i = 0; g && i < g->nops; i++) {
    const grammar_opdecl *op = &g->ops[i];
    if (op->role == OP_ROLE_EDGE || !strcmp(op->name, "identity")) continue; /* composites; a no-op */
    int found = 0;
    for (int k = 1; k < NN_OP_COUNT; k++) found |= !strcmp(op->name, nn_ops[k].name);
    if (!found) tap_diag("stdlib operation '%s' has no kernel", op->name), missing++;
  }
  tap_result(g && missing == 0, "every layer, activation, combine and internal operation has a kernel");
  grammar_free(g);
  strbuf_free(&diag);
}

int main(void) {
  test_op_table();
  test_sizes();
  test_paths();
  test_uniform();
  test_reproducible();
  test_curriculum();
  test_recipes();
  test_dataset_classes();
  test_multiple_errors();
  return tap_done();
}

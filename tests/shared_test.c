/* shared_test.c: the store of shared weights (runtime/models/shared.h):
 * leading slices for filter counts, one tensor per input source, a store
 * that trains a fixed architecture exactly as plain training does, judging
 * that leaves the store alone, and a save that reads back the same. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler/compile.h"
#include "runtime/models/shared.h"
#include "stdlib/ops.h"
#include "tap.h"

static grammar *compile_text(const char *text) {
  nasl_diag d;
  nasl_diag_init(&d, stderr);
  grammar *g = nasl_compile_text("shared.nasl", text, strlen(text), NULL, &d);
  nasl_diag_free(&d);
  return g;
}

/* three layers, each 4 or 6 filters, anchors; a pooled dense head */
static const char *space =
    "space s { layers 3 { conv2d(height: 3, width: 3, filters: [4, 6]); batchnorm; relu; inputs: anchor }\n"
    "          head { global_avgpool; dense } }";

/* The child of g for tokens, built with init seed `seed`. */
static int build(const grammar *g, const int *tokens, int n, uint64_t seed, child *c) {
  strbuf err;
  strbuf_init(&err);
  arch a;
  rng r;
  rng_seed(&r, seed);
  int rc = !arch_from_tokens(g, 0, tokens, n, &a, &err) || child_build(c, &a, (child_shape){1, 8, 8}, 3, &r, &err);
  if (rc) tap_diag("%s", err.data);
  if (a.tokens) arch_free(&a);
  strbuf_free(&err);
  return rc ? -1 : 0;
}

static float *copy_of(const child *c, const char *name, int64_t *n) {
  const tensor *t = nn_params_find((nn_params *)&c->params, name);
  if (!t) return NULL;
  float *p = malloc(sizeof(float) * (size_t)t->n);
  memcpy(p, t->data, sizeof(float) * (size_t)t->n);
  if (n) *n = t->n;
  return p;
}

static int64_t trainable(const child *c) {
  int64_t n = 0;
  for (int i = 0; i < c->params.items.n; i++) {
    const tensor *t = c->params.items.items[i];
    if (t->requires_grad) n += t->n;
  }
  return n;
}

/* tokens: filters of layer 0, filters of layer 1, its anchor to layer 0,
 * filters of layer 2, its anchors to layers 0 and 1 */
static void test_slices(const grammar *g) {
  strbuf err;
  strbuf_init(&err);
  shared_weights s;
  shared_init(&s, 1);
  child a, b, c;
  int ta[] = {1, 1, 1, 1, 1, 1}; /* 6 filters everywhere; layer 2 reads layers 0 and 1 */
  int tb[] = {0, 1, 1, 1, 1, 1}; /* layer 0 has 4 filters */
  int tc[] = {1, 1, 1, 1, 0, 1}; /* layer 2 reads layer 1 only */
  if (build(g, ta, 6, 1, &a) || build(g, tb, 6, 2, &b) || build(g, tc, 6, 3, &c)) {
    tap_result(0, "the three children build");
    return;
  }
  const tensor *w2a = nn_params_find(&a.params, "layer.2.conv2d.weight");
  const tensor *w0b = nn_params_find(&b.params, "layer.0.conv2d.weight");
  const tensor *w2c = nn_params_find(&c.params, "layer.2.conv2d.weight");
  tap_result(w2a && w2a->ne[1] == 12 && w0b && w0b->ne[0] == 4 && w2c && w2c->ne[1] == 6,
             "the tokens give the intended shapes (12 and 6 input channels at layer 2, 4 filters at layer 0)");
  int64_t n0, n2;
  float *a0 = copy_of(&a, "layer.0.conv2d.weight", &n0), *a2 = copy_of(&a, "layer.2.conv2d.weight", &n2);
  float *ag = copy_of(&a, "layer.2.batchnorm.weight", NULL);
  shared_map ma, mb, mc;
  int rc = shared_bind(&s, &a, NULL, 1, &ma, &err);
  tap_result(rc == 0 && !memcmp(a0, nn_params_find(&a.params, "layer.0.conv2d.weight")->data, sizeof(float) * n0),
             "the first child bound to an empty store keeps its own values");
  tap_result(shared_count(&s) == trainable(&a), "the store holds every trained value of it (%lld of %lld)",
             (long long)shared_count(&s), (long long)trainable(&a));
  /* perturb the store through a, as an update would */
  for (int i = 0; i < a.params.items.n; i++) {
    tensor *t = a.params.items.items[i];
    for (int64_t k = 0; k < t->n; k++) t->data[k] += 0.5f;
  }
  shared_store(&s, &a, NULL, &ma);
  for (int64_t k = 0; k < n0; k++) a0[k] += 0.5f;
  for (int64_t k = 0; k < n2; k++) a2[k] += 0.5f;
  for (int k = 0; k < 6; k++) ag[k] += 0.5f;
  rc = shared_bind(&s, &b, NULL, 1, &mb, &err);
  tap_result(rc == 0 && !memcmp(w0b->data, a0, sizeof(float) * 4 * 9),
             "4 filters take the leading 4 of the 6 that the first child trained");
  rc = shared_bind(&s, &c, NULL, 1, &mc, &err);
  int same = rc == 0;
  for (int f = 0; f < 6 && same; f++) /* c's channels 0..5 are a's 6..11 (layer 1's outputs) */
    same = !memcmp(w2c->data + f * 6 * 9, a2 + f * 12 * 9 + 6 * 9, sizeof(float) * 6 * 9);
  tap_result(same, "a layer that drops one of its sources keeps the weights of the other (one tensor per source)");
  tap_result(!memcmp(nn_params_find(&c.params, "layer.2.batchnorm.weight")->data, ag, sizeof(float) * 6),
             "batch norm after the convolution shares its leading slice");
  tap_result(shared_count(&s) == trainable(&a), "children inside what the store holds do not grow it");
  shared_map_free(&ma);
  shared_map_free(&mb);
  shared_map_free(&mc);
  free(a0);
  free(a2);
  free(ag);
  child_free(&a);
  child_free(&b);
  child_free(&c);
  shared_free(&s);
  strbuf_free(&err);
}

/* A child that needs more than the store holds, bound without growing:
 * the store is unchanged, and the child keeps its own values there. */
static void test_judge(const grammar *g) {
  strbuf err;
  strbuf_init(&err);
  shared_weights s;
  shared_init(&s, 1);
  child small, big;
  int ts[] = {0, 0, 1, 0, 1, 1}, tb[] = {1, 1, 1, 1, 1, 1};
  if (build(g, ts, 6, 1, &small) || build(g, tb, 6, 2, &big)) {
    tap_result(0, "the children build");
    return;
  }
  shared_map m1, m2;
  shared_bind(&s, &small, NULL, 1, &m1, &err);
  int64_t before = shared_count(&s);
  float *own = copy_of(&big, "layer.0.conv2d.weight", NULL), *smallw = copy_of(&small, "layer.0.conv2d.weight", NULL);
  int rc = shared_bind(&s, &big, NULL, 0, &m2, &err);
  const float *w = nn_params_find(&big.params, "layer.0.conv2d.weight")->data;
  tap_result(rc == 0 && shared_count(&s) == before, "judging a larger child leaves the store as it was");
  tap_result(!memcmp(w, smallw, sizeof(float) * 4 * 9) && !memcmp(w + 4 * 9, own + 4 * 9, sizeof(float) * 2 * 9),
             "it takes what the store holds and keeps its own values for the rest");
  shared_map_free(&m1);
  shared_map_free(&m2);
  free(own);
  free(smallw);
  child_free(&small);
  child_free(&big);
  shared_free(&s);
  strbuf_free(&err);
}

/* One SGD-momentum step of c on fixed data. */
static void step(child *c, nn_optim *o) {
  rng r;
  rng_seed(&r, 7);
  nn_ctx ctx;
  nn_ctx_init(&ctx, 1, &r);
  tensor *x = nn_new4(&ctx, 4, 1, 8, 8);
  for (int64_t k = 0; k < x->n; k++) x->data[k] = (float)sin(0.37 * (double)k);
  int labels[4] = {0, 1, 2, 1};
  tensor *l = nn_softmax_xent(&ctx, child_forward(&ctx, c, x), labels);
  nn_params_zero_grad(&c->params);
  nn_backward(&ctx, l);
  nn_optim_step(o, &c->params, 0.1);
  nn_ctx_free(&ctx);
}

/* A fixed architecture trained through the store, a fresh child each step
 * (each with other initial values), equals the same child trained on its
 * own, bit for bit: binding and storing only copy. */
static void test_training(const grammar *g) {
  strbuf err;
  strbuf_init(&err);
  int t[] = {1, 0, 1, 1, 1, 1};
  nn_optimizer cfg = {NN_SGD, 0.1, 0.9, 1, 1e-4, 0, 0, 0};
  child plain;
  build(g, t, 6, 11, &plain);
  child_batch_statistics(&plain);
  nn_optim po;
  nn_optim_init(&po, &cfg, &plain.params);
  for (int k = 0; k < 3; k++) step(&plain, &po);
  shared_weights s;
  shared_init(&s, 1);
  child c;
  for (int k = 0; k < 3; k++) {
    build(g, t, 6, k == 0 ? 11 : 100 + (uint64_t)k, &c); /* the first one starts the store as plain started */
    nn_optim o;
    nn_optim_init(&o, &cfg, &c.params);
    shared_map m;
    shared_bind(&s, &c, &o, 1, &m, &err);
    child_batch_statistics(&c);
    step(&c, &o);
    shared_store(&s, &c, &o, &m);
    shared_map_free(&m);
    nn_optim_free(&o);
    if (k < 2) child_free(&c);
  }
  int same = 1;
  for (int i = 0; i < plain.params.items.n && same; i++) {
    const tensor *p = plain.params.items.items[i];
    if (!p->requires_grad) continue;
    const tensor *q = nn_params_find(&c.params, p->name);
    same = q && q->n == p->n && !memcmp(p->data, q->data, sizeof(float) * (size_t)p->n);
    if (!same) tap_diag("%s differs", p->name);
  }
  tap_result(same, "three steps through the store equal three steps of plain training, bit for bit");
  tap_result(s.steps == 3, "the store counts its updates (%ld)", s.steps);

  /* save and load */
  char path[] = "/tmp/naslc-shared-XXXXXX";
  int fd = mkstemp(path);
  if (fd >= 0) close(fd);
  const char *k[] = {"note"}, *v[] = {"test"};
  int rc = shared_save(&s, path, k, v, 1, &err);
  shared_weights back;
  shared_init(&back, 1);
  rc = rc || shared_load(&back, path, &err);
  same = rc == 0 && back.n == s.n && back.steps == s.steps;
  for (int i = 0; i < s.n && same; i++) {
    const shared_entry *e = &s.e[i], *f = &back.e[i];
    size_t n = (size_t)e->a * e->b * e->kh * e->kw;
    same = !strcmp(e->key, f->key) && e->a == f->a && e->b == f->b && e->kh == f->kh && e->kw == f->kw &&
           !memcmp(e->w, f->w, sizeof(float) * n) && !memcmp(e->m, f->m, sizeof(float) * n);
  }
  tap_result(same, "a saved store reads back the same: keys, shapes, weights, momentum, steps%s%s", rc ? ": " : "",
             rc ? err.data : "");
  /* a damaged store is refused with a message */
  FILE *fp = fopen(path, "r+b");
  if (fp) {
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, size - 4, SEEK_SET);
    float nanv = NAN;
    fwrite(&nanv, sizeof nanv, 1, fp);
    fclose(fp);
  }
  shared_weights bad;
  shared_init(&bad, 1);
  strbuf_clear(&err);
  rc = shared_load(&bad, path, &err);
  tap_result(rc != 0 && strstr(err.data, path), "a store holding a NaN is refused, naming the file: %s", err.data);
  shared_free(&bad);
  unlink(path);
  shared_free(&back);
  child_free(&c);
  child_free(&plain);
  nn_optim_free(&po);
  shared_free(&s);
  strbuf_free(&err);
}

/* The mean loss of c on fixed data (training mode: batch statistics). */
static tensor *loss_of(nn_ctx *ctx, child *c) {
  tensor *x = nn_new4(ctx, 4, 1, 8, 8);
  for (int64_t k = 0; k < x->n; k++) x->data[k] = (float)sin(0.37 * (double)k + 0.1);
  static const int labels[4] = {0, 1, 2, 1};
  return nn_softmax_xent(ctx, child_forward(ctx, c, x), labels);
}

/* A child drawn under shared weights computes what the same child computes
 * as a standalone network given those weights (through a weights file),
 * bit for bit; and the gradient of its loss with respect to the store's
 * values, which reach it through leading slices and input sources, matches
 * finite differences of the loss as the store's values move. */
/* The loss of the child of tokens tc bound (without growing) to s. */
static double loss_under(const grammar *g, const int *tc, int ntok, shared_weights *s) {
  child d;
  shared_map md;
  strbuf err;
  strbuf_init(&err);
  if (build(g, tc, ntok, 2, &d)) return NAN;
  shared_bind(s, &d, NULL, 0, &md, &err);
  child_batch_statistics(&d);
  rng r;
  rng_seed(&r, 1);
  nn_ctx fctx;
  nn_ctx_init(&fctx, 1, &r);
  tensor *l = loss_of(&fctx, &d);
  double f = l ? l->data[0] : NAN;
  nn_ctx_free(&fctx);
  shared_map_free(&md);
  child_free(&d);
  strbuf_free(&err);
  return f;
}

/* With `directional`, the gradient is checked per store entry along a
 * random direction of unit length (every value takes part), for networks
 * whose many relus make single-value differences of a float loss too rough
 * (as in tests/dagnet_test). On these 8x8 images a step of 1e-3 still
 * crosses kinks (the differences move towards the gradient as the step
 * shrinks: 2x the tolerance at 1e-3, within it at 1e-4, rounding below
 * 3e-5), so the step is 1e-4 and the tolerance 2e-3 plus 5%. */
static void test_child_under_store(const grammar *g, const int *tb, const int *tc, int ntok, const char *what,
                                   int directional) {
  strbuf err;
  strbuf_init(&err);
  shared_weights s;
  shared_init(&s, 0);
  child big, c, plain;
  if (build(g, tb, ntok, 1, &big) || build(g, tc, ntok, 2, &c) || build(g, tc, ntok, 3, &plain)) {
    tap_result(0, "%s: the children build", what);
    return;
  }
  shared_map mb, mc;
  shared_bind(&s, &big, NULL, 1, &mb, &err); /* the store: big's values */
  shared_bind(&s, &c, NULL, 0, &mc, &err);
  child_batch_statistics(&c);
  char path[] = "/tmp/naslc-shared-child-XXXXXX";
  int fd = mkstemp(path);
  if (fd >= 0) close(fd);
  int rc = nn_params_save(&c.params, path, NULL, NULL, 0, &err) || nn_params_load(&plain.params, path, &err);
  unlink(path);
  child_batch_statistics(&plain);
  rng r;
  rng_seed(&r, 1);
  nn_ctx ctx;
  nn_ctx_init(&ctx, 1, &r);
  tensor *l1 = loss_of(&ctx, &c);
  float v1 = l1 ? l1->data[0] : NAN;
  nn_ctx_reset(&ctx);
  tensor *l2 = loss_of(&ctx, &plain);
  float v2 = l2 ? l2->data[0] : NAN;
  tap_result(rc == 0 && l1 && l2 && v1 == v2,
             "%s: a child under the store computes what the standalone network with its weights does (%.9g, %.9g)%s%s",
             what, (double)v1, (double)v2, rc ? ": " : "", rc ? err.data : "");

  /* d loss / d store value, through c's views, against central differences */
  nn_ctx_reset(&ctx);
  l1 = loss_of(&ctx, &c);
  nn_params_zero_grad(&c.params);
  nn_backward(&ctx, l1);
  int checked = 0, bad = 0;
  double worst = 0;
  for (int i = 0; directional && i < mc.n; i++) {
    const shared_view *v = &mc.v[i];
    const tensor *t = c.params.items.items[v->param];
    for (int j = 0; j < v->nblocks; j++) {
      shared_entry *e = &s.e[v->blocks[j].entry];
      if (e->a != v->a || e->b != v->b || e->kh != v->kh || e->kw != v->kw) continue; /* the same layout only */
      int64_t n = (int64_t)e->a * e->b * e->kh * e->kw;
      float *keep = malloc(sizeof(float) * (size_t)n), *dir = malloc(sizeof(float) * (size_t)n);
      memcpy(keep, e->w, sizeof(float) * (size_t)n);
      double analytic = 0;
      for (int64_t k = 0; k < n; k++) {
        dir[k] = (float)((rng_below(&r, 2) ? 1 : -1) / sqrt((double)n));
        analytic += (double)t->grad[k] * dir[k];
      }
      const double eps = 1e-4;
      double f[2];
      for (int side = 0; side < 2; side++) {
        for (int64_t k = 0; k < n; k++) e->w[k] = keep[k] + (float)((side ? -eps : eps) * dir[k]);
        f[side] = loss_under(g, tc, ntok, &s);
      }
      memcpy(e->w, keep, sizeof(float) * (size_t)n);
      free(keep);
      free(dir);
      double numeric = (f[0] - f[1]) / (2 * eps);
      double diff = fabs(numeric - analytic) / (2e-3 + 5e-2 * fmax(fabs(numeric), fabs(analytic)));
      if (!(diff <= worst)) worst = diff;
      if (!(diff <= 1)) {
        bad++;
        tap_diag("%s along a direction: analytic %g, numeric %g", e->key, analytic, numeric);
      }
      checked++;
    }
  }
  for (int i = 0; !directional && i < mc.n; i++) {
    const shared_view *v = &mc.v[i];
    const tensor *t = c.params.items.items[v->param];
    for (int j = 0; j < v->nblocks; j++) {
      const shared_block *bk = &v->blocks[j];
      shared_entry *e = &s.e[bk->entry];
      for (int at = 0; at < 3; at++) { /* the slice's first value, a middle one, its far corner */
      int row = at * (v->a - 1) / 2, col = at * (bk->count - 1) / 2;
      int y = at * (v->kh - 1) / 2, x = at * (v->kw - 1) / 2, dy = (e->kh - v->kh) / 2, dx = (e->kw - v->kw) / 2;
      float *w = &e->w[(((size_t)row * e->b + col) * e->kh + y + dy) * e->kw + x + dx];
      double analytic = t->grad[(((size_t)row * v->b + bk->off + col) * v->kh + y) * v->kw + x];
      const float eps = 1e-3f, keep = *w; /* small: relu kinks stay put */
      double f[2];
      for (int side = 0; side < 2; side++) {
        *w = keep + (side ? -eps : eps);
        child d;
        shared_map md;
        build(g, tc, ntok, 2, &d);
        shared_bind(&s, &d, NULL, 0, &md, &err);
        child_batch_statistics(&d);
        nn_ctx fctx;
        nn_ctx_init(&fctx, 1, &r);
        tensor *l = loss_of(&fctx, &d);
        f[side] = l ? l->data[0] : NAN;
        nn_ctx_free(&fctx);
        shared_map_free(&md);
        child_free(&d);
      }
      *w = keep;
      double numeric = (f[0] - f[1]) / (2 * eps);
      /* float forward passes: 2% of the gradient, or 1e-4 for a small one */
      double diff = fabs(numeric - analytic) / (1e-4 + 2e-2 * fmax(fabs(numeric), fabs(analytic)));
      if (diff > worst) worst = diff;
      if (diff > 1) {
        bad++;
        tap_diag("%s from %s: analytic %g, numeric %g", t->name, e->key, analytic, numeric);
      }
      checked++;
      }
    }
  }
  tap_result(checked >= 30 && bad == 0,
             "%s: gradients through the store's slices and sources match finite differences (%d %s, worst %.2f of "
             "the tolerance)",
             what, checked, directional ? "entries along random directions" : "values", worst);
  nn_ctx_free(&ctx);
  shared_map_free(&mb);
  shared_map_free(&mc);
  child_free(&big);
  child_free(&c);
  child_free(&plain);
  shared_free(&s);
  strbuf_free(&err);
}

/* A layer's output is one source for the layers after it, whatever made
 * it: a convolution after a pooling layer reads "the layer before". */
static void test_passthrough(void) {
  grammar *g = compile_text("space p { layers 3 { either conv: { conv2d(height: 3, width: 3, filters: 4); batchnorm; "
                            "relu } or pool: { maxpool(size: 3, stride: 1) } } head { global_avgpool; dense } }");
  if (!g) {
    tap_result(0, "the pooling space compiles");
    return;
  }
  strbuf err;
  strbuf_init(&err);
  shared_weights s;
  shared_init(&s, 0);
  child c;
  int t[] = {0, 1, 0}; /* conv, pool, conv */
  shared_map m;
  int rc = build(g, t, 3, 1, &c) || shared_bind(&s, &c, NULL, 1, &m, &err);
  tap_result(!rc && strmap_get(&s.index, "layer.2.conv2d.weight|conv2d|k/1|L1") &&
                 strmap_get(&s.index, "layer.2.batchnorm.weight|batchnorm|-|L2o0") &&
                 strmap_get(&s.index, "head.dense.weight|dense|-/1|L2"),
             "after conv, pool, conv: layer 2 reads the output of layer 1 (a pooling), the head that of layer 2");
  if (!rc) {
    shared_map_free(&m);
    child_free(&c);
  }
  shared_free(&s);
  strbuf_free(&err);
  grammar_free(g);
}

/* Kernel sizes share the centre of the largest: a 3x3 takes the middle of
 * a 5x5, a 3x5 its middle rows; a store grown from 3x3 to 5x5 keeps the
 * trained 3x3 in the middle. */
static void test_kernels(void) {
  grammar *g = compile_text("space k { layers 2 { conv2d(height: [3, 5], width: [3, 5], filters: 2) } "
                            "head { global_avgpool; dense } }");
  if (!g) {
    tap_result(0, "the kernel space compiles");
    return;
  }
  strbuf err;
  strbuf_init(&err);
  shared_weights s;
  shared_init(&s, 0);
  child big, mid, tall, small, grown;
  int t55[] = {1, 1, 1, 1}, t33[] = {0, 0, 1, 1}, t35[] = {0, 1, 1, 1}; /* layer 0's height, width; layer 1's */
  if (build(g, t55, 4, 1, &big) || build(g, t33, 4, 2, &mid) || build(g, t35, 4, 3, &tall) ||
      build(g, t33, 4, 4, &small) || build(g, t55, 4, 5, &grown)) {
    tap_result(0, "the kernel children build");
    return;
  }
  shared_map m1, m2, m3;
  shared_bind(&s, &big, NULL, 1, &m1, &err);
  shared_bind(&s, &mid, NULL, 1, &m2, &err);
  shared_bind(&s, &tall, NULL, 1, &m3, &err);
  const float *W = nn_params_find(&big.params, "layer.0.conv2d.weight")->data; /* [2, 1, 5, 5] */
  const float *w3 = nn_params_find(&mid.params, "layer.0.conv2d.weight")->data, *w35 = nn_params_find(&tall.params, "layer.0.conv2d.weight")->data;
  int centre = 1, rows = 1;
  for (int f = 0; f < 2; f++)
    for (int y = 0; y < 3; y++)
      for (int x = 0; x < 5; x++) {
        if (x < 3) centre &= w3[(f * 3 + y) * 3 + x] == W[(f * 5 + y + 1) * 5 + x + 1];
        rows &= w35[(f * 3 + y) * 5 + x] == W[(f * 5 + y + 1) * 5 + x];
      }
  tap_result(centre, "a 3x3 kernel is the centre of the 5x5 one at its place");
  tap_result(rows, "a 3x5 kernel is its middle three rows");
  /* a store that has trained only 3x3 kernels, grown by a 5x5 child */
  shared_weights s2;
  shared_init(&s2, 0);
  shared_map m4, m5;
  shared_bind(&s2, &small, NULL, 1, &m4, &err);
  float *own = copy_of(&grown, "layer.0.conv2d.weight", NULL);
  shared_bind(&s2, &grown, NULL, 1, &m5, &err);
  const float *g5 = nn_params_find(&grown.params, "layer.0.conv2d.weight")->data;
  const float *s3 = nn_params_find(&small.params, "layer.0.conv2d.weight")->data;
  int kept = 1, border = 1;
  for (int f = 0; f < 2; f++)
    for (int y = 0; y < 5; y++)
      for (int x = 0; x < 5; x++) {
        int in = y >= 1 && y < 4 && x >= 1 && x < 4, at = (f * 5 + y) * 5 + x;
        if (in) kept &= g5[at] == s3[(f * 3 + y - 1) * 3 + x - 1];
        else border &= g5[at] == own[at];
      }
  tap_result(kept && border, "grown to 5x5, the store keeps the 3x3 in the middle and takes the border from the child");
  free(own);
  shared_map_free(&m1);
  shared_map_free(&m2);
  shared_map_free(&m3);
  shared_map_free(&m4);
  shared_map_free(&m5);
  child_free(&big);
  child_free(&mid);
  child_free(&tall);
  child_free(&small);
  child_free(&grown);
  shared_free(&s);
  shared_free(&s2);
  strbuf_free(&err);
  grammar_free(g);
}

/* ---- DAG networks: weights by place ---- */

/* A two-input cell of two computed nodes, each picking two edges. */
static const char *dag_space =
    "cell m { dag { inputs: 2; nodes: 4; edges: 2; output: unused;\n"
    "               ops: [skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3] } }\n"
    "train { channels: 4; cells: 1 }";
/* per node (2, then 3): its two inputs, then their two operations */
static const int dag_big[] = {0, 1, 2, 1, 2, 0, 2, 2}; /* n2: conv3x3(0) + conv1x1(1); n3: conv3x3(2) + conv3x3(0) */
static const int dag_c[] = {0, 1, 2, 0, 2, 0, 2, 1};   /* n2: conv3x3(0) + skip(1);    n3: conv3x3(2) + conv1x1(0) */

/* The conv2d weight of the layer at place `share` in c, or NULL. */
static const tensor *weight_at(const child *c, const char *share) {
  for (int i = 0; i < c->cnn.nlayers; i++)
    if (c->cnn.layers[i].share && !strcmp(c->cnn.layers[i].share, share)) {
      char name[64];
      snprintf(name, sizeof name, "layer.%d.conv2d.weight", i);
      return nn_params_find((nn_params *)&c->params, name);
    }
  return NULL;
}

/* An edge's weights are those of its place (stage, copy, node, slot,
 * input, operation) whatever the rest of the network is, though its layer
 * number differs; another operation at the same edge has its own. */
static void test_dag_places(const grammar *g) {
  strbuf err;
  strbuf_init(&err);
  shared_weights s;
  shared_init(&s, 0);
  child big, c;
  if (build(g, dag_big, 8, 1, &big) || build(g, dag_c, 8, 2, &c)) {
    tap_result(0, "the DAG children build");
    return;
  }
  const char *same = "s0c0n3x0_2:2:nor_conv_3x3/0", *other = "s0c0n3x1_0:1:nor_conv_1x1/0";
  const tensor *wb = weight_at(&big, same), *wc = weight_at(&c, same), *oc = weight_at(&c, other);
  float *own = oc ? malloc(sizeof(float) * (size_t)oc->n) : NULL;
  if (own) memcpy(own, oc->data, sizeof(float) * (size_t)oc->n);
  int differ = wb && wc && memcmp(wb->data, wc->data, sizeof(float) * (size_t)wb->n) != 0;
  shared_map mb, mc;
  int rc = shared_bind(&s, &big, NULL, 1, &mb, &err) || shared_bind(&s, &c, NULL, 0, &mc, &err);
  int layer_b = -1, layer_c = -1;
  for (int i = 0; i < big.cnn.nlayers; i++)
    if (!strcmp(big.cnn.layers[i].share, same)) layer_b = i;
  for (int i = 0; i < c.cnn.nlayers; i++)
    if (!strcmp(c.cnn.layers[i].share, same)) layer_c = i;
  tap_result(!rc && differ && wc->n == wb->n && !memcmp(wb->data, wc->data, sizeof(float) * (size_t)wb->n),
             "an edge's weights come from its place in the store (%s: layer %d of one network, %d of the other)", same,
             layer_b, layer_c);
  tap_result(!rc && oc && own && !memcmp(own, oc->data, sizeof(float) * (size_t)oc->n) &&
                 strmap_get(&s.index, "s0c0n3x1_0:2:nor_conv_3x3/0.conv2d.weight|conv2d|k/1|in") &&
                 !strmap_get(&s.index, "s0c0n3x1_0:1:nor_conv_1x1/0.conv2d.weight|conv2d|k/1|in"),
             "another operation on the same edge has weights of its own, not the centre of the 3x3");
  tap_result(!rc && strmap_get(&s.index, "head.dense.weight|dense|-/1|in") != NULL,
             "the head's weights are the head's, one source");
  free(own);
  shared_map_free(&mb);
  shared_map_free(&mc);
  child_free(&big);
  child_free(&c);
  shared_free(&s);
  strbuf_free(&err);
}

int main(void) {
  grammar *g = compile_text(space);
  if (!g) {
    tap_result(0, "the test space compiles");
    return tap_done();
  }
  test_slices(g);
  test_judge(g);
  test_training(g);
  /* c: 4 filters at layers 0 and 2; layer 2 reads layer 1 */
  test_child_under_store(g, (const int[]){1, 1, 1, 1, 1, 1}, (const int[]){0, 1, 1, 0, 0, 1}, 6, "CNN", 0);
  grammar_free(g);
  if (!(g = compile_text(dag_space))) {
    tap_result(0, "the DAG test space compiles");
    return tap_done();
  }
  test_dag_places(g);
  test_child_under_store(g, dag_big, dag_c, 8, "DAG cell", 1);
  grammar_free(g);
  test_passthrough();
  test_kernels();
  return tap_done();
}

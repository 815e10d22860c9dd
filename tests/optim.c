/* optim.c: optimizer steps, clipping, schedules and initialisers checked
 * against their formulas, a small network that must learn, and the thread
 * count taken from $NASLC_THREADS. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stdlib/ops.h"
#include "nn/optim.h"
#include "nn/parallel.h"
#include "tap.h"

static int near(double a, double b, double tol) { return fabs(a - b) <= tol * (1 + fabs(b)); }

/* One parameter [2] with value w and a constant gradient g, stepped k times. */
static void run_steps(nn_optimizer cfg, float w0, float g, int k, double lr, float *out) {
  nn_params p;
  nn_params_init(&p);
  int ne[1] = {1};
  tensor *t = nn_param(&p, "w", 1, ne);
  t->data[0] = w0;
  nn_optim o;
  nn_optim_init(&o, &cfg, &p);
  for (int i = 0; i < k; i++) {
    t->grad[0] = g;
    nn_optim_step(&o, &p, lr);
    out[i] = t->data[0];
  }
  nn_optim_free(&o);
  nn_params_free(&p);
}

static void test_sgd(void) {
  float w[3];
  nn_optimizer plain = {NN_SGD, 0.1, 0, 0, 0, 0, 0, 0};
  run_steps(plain, 1.0f, 0.5f, 1, 0.1, w);
  tap_result(near(w[0], 0.95, 1e-6), "sgd: w - lr g");
  nn_optimizer mom = {NN_SGD, 0.1, 0.9, 0, 0, 0, 0, 0};
  run_steps(mom, 1.0f, 0.5f, 2, 0.1, w);
  tap_result(near(w[0], 1 - 0.05, 1e-6) && near(w[1], 1 - 0.05 - 0.1 * 1.9 * 0.5, 1e-6),
             "sgd momentum: buf = g, then 0.9 buf + g");
  nn_optimizer nes = {NN_SGD, 0.1, 0.9, 1, 0, 0, 0, 0};
  run_steps(nes, 1.0f, 0.5f, 2, 0.1, w);
  tap_result(near(w[0], 1 - 0.1 * 1.9 * 0.5, 1e-6) && near(w[1], w[0] - 0.1 * 2.71 * 0.5, 1e-6),
             "sgd nesterov: g + momentum * buf");
  nn_optimizer wd = {NN_SGD, 0.1, 0, 0, 0.01, 0, 0, 0};
  run_steps(wd, 2.0f, 0.5f, 1, 0.1, w);
  tap_result(near(w[0], 2 - 0.1 * (0.5 + 0.01 * 2), 1e-6), "sgd weight decay adds wd * w to the gradient");
}

static void test_adam(void) {
  float w[3];
  nn_optimizer adam = {NN_ADAM, 1e-3, 0, 0, 0, 0.9, 0.999, 1e-8};
  run_steps(adam, 1.0f, 0.5f, 3, 1e-3, w);
  /* reference in double: the same recurrences */
  double m = 0, v = 0, x = 1, ok = 1;
  for (int t = 1; t <= 3; t++) {
    m = 0.9 * m + 0.1 * 0.5;
    v = 0.999 * v + 0.001 * 0.25;
    x -= 1e-3 * (m / (1 - pow(0.9, t))) / (sqrt(v / (1 - pow(0.999, t))) + 1e-8);
    ok = ok && near(w[t - 1], x, 1e-6);
  }
  tap_result(ok, "adam: three steps match the bias-corrected formula");
  tap_result(near(w[0], 1 - 1e-3, 1e-5), "adam: the first step moves by about lr");
}

static void test_clip_schedule(void) {
  nn_params p;
  nn_params_init(&p);
  int ne[1] = {2};
  tensor *t = nn_param(&p, "w", 1, ne);
  t->grad[0] = 3;
  t->grad[1] = 4;
  double norm = nn_clip_grad_norm(&p, 1.0);
  tap_result(near(norm, 5, 1e-9) && near(t->grad[0], 0.6, 1e-5) && near(t->grad[1], 0.8, 1e-5),
             "clipping scales a gradient of norm 5 to norm 1");
  norm = nn_clip_grad_norm(&p, 10.0);
  tap_result(near(t->grad[0], 0.6, 1e-5), "a gradient under the limit is left alone");
  nn_params_free(&p);
  nn_schedule st = {NN_SCHED_STEP, 10, 0.1, 0}, cs = {NN_SCHED_COSINE, 0, 0, 0.001}, cst = {NN_SCHED_CONSTANT, 0, 0, 0};
  tap_result(near(nn_schedule_lr(&st, 0.1, 25, 50), 0.001, 1e-9) && near(nn_schedule_lr(&st, 0.1, 9, 50), 0.1, 1e-9),
             "step schedule: lr * gamma^floor(epoch / every)");
  tap_result(near(nn_schedule_lr(&cs, 0.1, 0, 50), 0.1, 1e-9) &&
                 near(nn_schedule_lr(&cs, 0.1, 25, 50), (0.1 + 0.001) / 2, 1e-9),
             "cosine schedule: base at 0, the midpoint halfway");
  tap_result(nn_schedule_lr(&cst, 0.1, 40, 50) == 0.1, "constant schedule");
}

static void test_init(void) {
  rng r;
  rng_seed(&r, 5);
  nn_params p;
  nn_params_init(&p);
  int ne[2] = {400, 250};
  tensor *t = nn_param(&p, "w", 2, ne);
  nn_init_uniform(t, &r, -0.08f, 0.08f);
  double s = 0, lo = 1, hi = -1;
  for (int64_t i = 0; i < t->n; i++) {
    s += t->data[i];
    if (t->data[i] < lo) lo = t->data[i];
    if (t->data[i] > hi) hi = t->data[i];
  }
  tap_result(lo >= -0.08 && hi <= 0.08 && lo < -0.079 && hi > 0.079 && fabs(s / t->n) < 2e-3,
             "uniform init fills [-0.08, 0.08]");
  nn_init_he(t, &r, 250);
  double ss = 0;
  s = 0;
  for (int64_t i = 0; i < t->n; i++) {
    s += t->data[i];
    ss += t->data[i] * t->data[i];
  }
  double sd = sqrt(ss / t->n - (s / t->n) * (s / t->n));
  tap_result(near(sd, sqrt(2.0 / 250), 0.02), "He init: std sqrt(2 / fan_in) (%.4f)", sd);
  nn_init_glorot(t, &r, 250, 400);
  hi = 0;
  for (int64_t i = 0; i < t->n; i++)
    if (fabs(t->data[i]) > hi) hi = fabs(t->data[i]);
  tap_result(hi <= sqrt(6.0 / 650) && hi > 0.99 * sqrt(6.0 / 650), "Glorot init: limit sqrt(6 / (fan_in + fan_out))");
  nn_params_free(&p);
}

/* conv -> batchnorm -> relu -> global pool -> dense on 8x8 images whose class
 * is where a bright square sits: the loss must fall and accuracy rise. */
static void test_learns(void) {
  rng r;
  rng_seed(&r, 11);
  nn_params p;
  nn_params_init(&p);
  int wne[4] = {8, 1, 3, 3}, c8[1] = {8}, dne[2] = {4, 32}, d4[1] = {4};
  tensor *w = nn_param(&p, "conv.weight", 4, wne), *g = nn_param(&p, "bn.weight", 1, c8),
         *b = nn_param(&p, "bn.bias", 1, c8), *rm = nn_param(&p, "bn.running_mean", 1, c8),
         *rv = nn_param(&p, "bn.running_var", 1, c8), *dw = nn_param(&p, "dense.weight", 2, dne),
         *db = nn_param(&p, "dense.bias", 1, d4);
  rm->requires_grad = rv->requires_grad = 0;
  nn_init_he(w, &r, 9);
  nn_init_const(g, 1);
  nn_init_const(rv, 1);
  nn_init_glorot(dw, &r, 32, 4);
  nn_optimizer cfg = {NN_SGD, 0.1, 0.9, 1, 1e-4, 0, 0, 0};
  nn_optim o;
  nn_optim_init(&o, &cfg, &p);
  nn_ctx ctx;
  nn_ctx_init(&ctx, 2, &r);
  double first = 0, last = 0;
  int correct = 0;
  for (int step = 0; step < 120; step++) {
    nn_ctx_reset(&ctx);
    tensor *x = nn_new4(&ctx, 16, 1, 8, 8);
    int labels[16];
    for (int i = 0; i < 16; i++) {
      labels[i] = (int)rng_below(&r, 4);
      int oy = labels[i] / 2 * 4, ox = labels[i] % 2 * 4;
      for (int k = 0; k < 64; k++) x->data[i * 64 + k] = (float)(rng_uniform(&r) * 0.3);
      for (int yy = 0; yy < 3; yy++)
        for (int xx = 0; xx < 3; xx++) x->data[i * 64 + (oy + yy) * 8 + ox + xx] += 1.0f;
    }
    /* a position-sensitive head: the pooled map loses position, so pool 4x4 first */
    tensor *h = nn_relu(&ctx, nn_batchnorm(&ctx, nn_conv2d(&ctx, x, w, NULL, 1), g, b, rm, rv, 0.1f, 1e-5f));
    h = nn_maxpool(&ctx, h, 4, 4);                 /* [16, 8, 2, 2] */
    tensor *logits = nn_dense(&ctx, h, dw, db);
    tensor *loss = nn_softmax_xent(&ctx, logits, labels);
    if (!loss) break;
    if (step < 10) first += loss->data[0] / 10;
    if (step >= 110) {
      last += loss->data[0] / 10;
      for (int i = 0; i < 16; i++) {
        int best = 0;
        for (int k = 1; k < 4; k++)
          if (logits->data[i * 4 + k] > logits->data[i * 4 + best]) best = k;
        correct += best == labels[i];
      }
    }
    nn_params_zero_grad(&p);
    nn_backward(&ctx, loss);
    nn_optim_step(&o, &p, 0.05);
  }
  tap_result(ctx.error[0] == 0, "the small network builds (%s)", ctx.error[0] ? ctx.error : "no error");
  tap_result(last < first * 0.3, "its loss falls: %.3f -> %.3f", first, last);
  tap_result(correct > 150, "it learns the task: %d of 160 right at the end", correct);
  nn_ctx_free(&ctx);
  nn_optim_free(&o);
  nn_params_free(&p);
}

/* A store saved and loaded back; shapes and names checked on load. */
static void test_weights(void) {
  rng r;
  rng_seed(&r, 3);
  nn_params a, b;
  nn_params_init(&a);
  nn_params_init(&b);
  int w4[4] = {6, 3, 1, 7}, c6[1] = {6}, d2[2] = {10, 6};
  const char *names[] = {"layer.0.conv2d.weight", "layer.0.batchnorm.weight", "layer.0.batchnorm.running_var",
                         "head.dense.weight"};
  const int nd[] = {4, 1, 1, 2};
  const int *shapes[] = {w4, c6, c6, d2};
  for (int i = 0; i < 4; i++) {
    nn_init_uniform(nn_param(&a, names[i], nd[i], shapes[i]), &r, -1, 1);
    nn_param(&b, names[i], nd[i], shapes[i]);
  }
  char dir[] = "/tmp/naslc-weights-XXXXXX";
  if (!mkdtemp(dir)) {
    tap_result(0, "temporary directory");
    return;
  }
  char path[256];
  snprintf(path, sizeof path, "%s/w.safetensors", dir);
  strbuf err;
  strbuf_init(&err);
  const char *mk[] = {"naslc.arch"}, *mv[] = {"{\"tokens\":[1,2]}"};
  int rc = nn_params_save(&a, path, mk, mv, 1, &err);
  tap_result(rc == 0, "weights saved %s", err.data);
  rc = nn_params_load(&b, path, &err);
  tap_result(rc == 0, "weights loaded %s", err.data);
  int same = 1;
  for (int i = 0; i < 4; i++) {
    tensor *ta = a.items.items[i], *tb = b.items.items[i];
    same &= memcmp(ta->data, tb->data, sizeof(float) * (size_t)ta->n) == 0;
  }
  tap_result(same, "every weight comes back bit for bit");
  nn_params c;
  nn_params_init(&c);
  int wrong[4] = {6, 3, 7, 1};
  nn_param(&c, "layer.0.conv2d.weight", 4, wrong);
  strbuf_clear(&err);
  rc = nn_params_load(&c, path, &err);
  tap_result(rc != 0 &&
                 strstr(err.data, "tensor 'layer.0.conv2d.weight' is [6, 3, 1, 7], the network needs [6, 3, 7, 1]"),
             "a shape mismatch is reported: %s", err.data);
  nn_params_free(&c);
  nn_params_init(&c);
  nn_param(&c, "layer.1.conv2d.weight", 4, w4);
  strbuf_clear(&err);
  rc = nn_params_load(&c, path, &err);
  tap_result(rc != 0 && strstr(err.data, "has no tensor 'layer.1.conv2d.weight'"),
             "a missing tensor is reported: %s", err.data);
  nn_params_free(&c);
  nn_params_init(&c); /* the first tensor only, as the file has it: the file holds three more */
  tensor *only = nn_param(&c, names[0], nd[0], shapes[0]);
  strbuf_clear(&err);
  rc = nn_params_load(&c, path, &err);
  tap_result(rc != 0 && strstr(err.data, "that the network does not have") && only->data[0] == 0,
             "a tensor the network does not have is reported, and nothing is loaded: %s", err.data);
  nn_params_free(&c);
  remove(path);
  remove(dir);
  strbuf_free(&err);
  nn_params_free(&a);
  nn_params_free(&b);
}

/* nn_threads_default(requested) with NASLC_THREADS=value (NULL: unset);
 * what it wrote to stderr goes to *said. */
static int threads_with_env(const char *value, int requested, strbuf *said) {
  if (value) setenv("NASLC_THREADS", value, 1);
  else unsetenv("NASLC_THREADS");
  char path[] = "/tmp/naslc-threads-XXXXXX";
  int fd = mkstemp(path), saved = dup(2);
  fflush(stderr);
  dup2(fd, 2);
  int n = nn_threads_default(requested);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  close(fd);
  strbuf_clear(said);
  strbuf_read_file(said, path, (size_t)-1);
  remove(path);
  if (said->len && said->data[said->len - 1] == '\n') said->data[--said->len] = 0; /* one TAP line */
  return n;
}

static void test_threads_env(void) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  int all = cores < 1 ? 1 : cores > 64 ? 64 : (int)cores;
  strbuf said;
  strbuf_init(&said);
  int n = threads_with_env("3", 0, &said);
  tap_result(n == 3 && said.len == 0, "NASLC_THREADS=3 gives 3 threads (%d)", n);
  n = threads_with_env("3", 2, &said);
  tap_result(n == 2, "--threads 2 wins over NASLC_THREADS=3 (%d)", n);
  n = threads_with_env("1000", 0, &said);
  tap_result(n == 64, "NASLC_THREADS=1000 is capped at 64 (%d)", n);
  n = threads_with_env("", 0, &said);
  tap_result(n == all && said.len == 0, "an empty NASLC_THREADS is as if unset: the cores (%d)", n);
  n = threads_with_env("4x", 0, &said);
  tap_result(n == all && !strcmp(said.data, "naslc: NASLC_THREADS='4x' is not a positive integer; ignored (the thread "
                                            "count comes from the number of cores)"),
             "NASLC_THREADS=4x is not 4: the cores, with a warning (%d): %s", n, said.data);
  n = threads_with_env("0", 0, &said);
  tap_result(n == all && said.len == 0, "NASLC_THREADS=0: the cores; the warning is given once per process (%d)", n);
  threads_with_env(NULL, 0, &said);
  strbuf_free(&said);
}

int main(void) {
  test_threads_env();
  test_weights();
  nn_threads_default(1);
  test_sgd();
  test_adam();
  test_clip_schedule();
  test_init();
  test_learns();
  return tap_done();
}

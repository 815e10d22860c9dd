/* opcheck.c: central finite differences on one operation (see opcheck.h). */
#include "runtime/models/opcheck.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/models/child.h"

#define EPS 1e-3f
#define TOLERANCE 2e-2
#define ENTRIES 64

typedef struct check {
  child unit;     /* the operation and its weights */
  nn_params in;   /* the input, as a parameter so that it gets a gradient */
  tensor *x;      /* the input */
  nn_ctx ctx;     /* one step per evaluation */
  rng drop;       /* reseeded before every evaluation: the same dropout mask */
  float *r;       /* the random weights of the loss */
  int64_t ny;     /* outputs */
} check;

/* L = sum(y * R) in double; NAN when the operation fails. */
static double loss(check *k, tensor **out) {
  nn_ctx_reset(&k->ctx);
  k->ctx.training = 1;
  rng_seed(&k->drop, 1234);
  tensor *y = child_unit_forward(&k->ctx, &k->unit, k->x);
  if (out) *out = y;
  if (!y || k->ctx.error[0]) return NAN;
  double l = 0;
  for (int64_t i = 0; k->r && i < y->n && i < k->ny; i++) l += (double)y->data[i] * k->r[i];
  return l;
}

/* Distinct values, |v| >= 0.05, in random order. */
static void fill_input(tensor *x, rng *r) {
  int64_t n = x->n;
  for (int64_t i = 0; i < n; i++) {
    float mag = 0.05f + 0.95f * (float)(i / 2) / (float)(n / 2 + 1);
    x->data[i] = (i & 1) ? -mag : mag;
  }
  for (int64_t i = n - 1; i > 0; i--) {
    int64_t j = (int64_t)rng_below(r, (uint64_t)i + 1);
    float t = x->data[i];
    x->data[i] = x->data[j];
    x->data[j] = t;
  }
}

/* Compares t's gradient with central differences; one report line. */
static int compare(check *k, tensor *t, const char *name, strbuf *report) {
  int64_t n = t->n, step = n > ENTRIES ? n / ENTRIES : 1;
  double max_abs = 0, max_rel = 0;
  int checked = 0, bad = 0;
  for (int64_t i = 0; i < n && checked < ENTRIES; i += step) {
    float keep = t->data[i];
    t->data[i] = keep + EPS;
    double lp = loss(k, NULL);
    t->data[i] = keep - EPS;
    double lm = loss(k, NULL);
    t->data[i] = keep;
    double num = (lp - lm) / (2.0 * EPS), ana = t->grad[i];
    double abs_err = fabs(num - ana), rel = abs_err / (1e-2 + fabs(num) + fabs(ana));
    if (!(abs_err <= max_abs)) max_abs = abs_err;
    if (!(rel <= max_rel)) max_rel = rel;
    if (!(rel <= TOLERANCE)) bad++;
    checked++;
  }
  strbuf_printf(report, "  %-28s %3d entries  max abs error %.3e  max rel error %.3e  %s\n", name, checked, max_abs,
                max_rel, bad ? "FAIL" : "ok");
  return bad ? 1 : 0;
}

/* The unit's output over the whole batch is held several times (the output,
 * its gradient, the loss weights R), so the batch's output is capped as one
 * example's is (child_unit_build), before the input or any map is
 * allocated: whatever show and train accept can be checked on a batch of 1. */
static int too_large(const child *unit, const int in[4], strbuf *err) {
  int64_t values = (int64_t)in[0] * unit->activations;
  if (values <= CHILD_MAX_ACTIVATIONS) return 0;
  strbuf_printf(err, "on a batch of %d its output holds %lld values (%lld MB), more than the %lld MB a check holds; "
                "check it on a batch of at most %lld (--shape N,C,H,W)", in[0], (long long)values,
                (long long)(values * 4 >> 20), (long long)(CHILD_MAX_ACTIVATIONS * 4 >> 20),
                (long long)(CHILD_MAX_ACTIVATIONS / unit->activations));
  return -1;
}

int opcheck_run(const grammar_opdecl *op, const grammar_value *args, const int in[4], uint64_t seed,
                strbuf *report, strbuf *err) {
  check k;
  memset(&k, 0, sizeof k);
  rng r;
  rng_seed(&r, seed);
  child_shape s = {in[1], in[2], in[3]};
  if (child_unit_build(&k.unit, op, args, s, &r, err)) return -1;
  if (too_large(&k.unit, in, err)) {
    child_free(&k.unit);
    return -1;
  }
  nn_params_init(&k.in);
  k.x = nn_param(&k.in, "input", 4, in);
  fill_input(k.x, &r);
  nn_ctx_init(&k.ctx, 1, &k.drop);
  int rc = -1;
  tensor *y;
  loss(&k, &y);
  if (!y || k.ctx.error[0]) {
    strbuf_printf(err, "%s", k.ctx.error[0] ? k.ctx.error : "the operation gave no output");
    goto done;
  }
  k.ny = y->n;
  k.r = xmalloc(sizeof(float) * (size_t)k.ny);
  for (int64_t i = 0; i < k.ny; i++) k.r[i] = (float)(rng_uniform(&r) * 2 - 1);
  nn_params_zero_grad(&k.in);
  nn_params_zero_grad(&k.unit.params);
  loss(&k, &y);
  if (!y || k.ctx.error[0]) { /* a plug-in may fail on a second call too */
    strbuf_printf(err, "%s", k.ctx.error[0] ? k.ctx.error : "the operation gave no output");
    goto done;
  }
  if (y->requires_grad) { /* reverse mode through L = sum(y * R), as in training */
    tensor *R = nn_new(&k.ctx, y->ndim, y->ne);
    memcpy(R->data, k.r, sizeof(float) * (size_t)k.ny);
    nn_backward(&k.ctx, nn_sum(&k.ctx, nn_mul(&k.ctx, y, R)));
  }
  if (k.ctx.error[0]) {
    strbuf_printf(err, "%s", k.ctx.error);
    goto done;
  }
  /* compare() reruns forward only: the parameters' gradients stay */
  nn_params *stores[2] = {&k.in, &k.unit.params};
  strbuf_printf(report, "gradcheck %s on [%d, %d, %d, %d], seed %llu\n", op->name, in[0], in[1], in[2], in[3],
                (unsigned long long)seed);
  int fails = 0;
  for (int st = 0; st < 2; st++)
    for (int i = 0; i < stores[st]->items.n; i++) {
      tensor *t = stores[st]->items.items[i];
      if (!t->requires_grad) continue; /* running statistics */
      fails += compare(&k, t, t->name, report);
      if (k.ctx.error[0]) {
        strbuf_printf(err, "%s", k.ctx.error);
        goto done;
      }
    }
  strbuf_puts(report, fails ? "FAIL\n" : "pass\n");
  rc = fails ? 1 : 0;
done:
  free(k.r);
  nn_ctx_free(&k.ctx);
  nn_params_free(&k.in);
  child_free(&k.unit);
  return rc;
}

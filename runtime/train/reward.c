/* reward.c: see reward.h. */
#include "runtime/train/reward.h"

#include <math.h>

static const double *series_of(const reward_inputs *in, grammar_series s) {
  switch (s) {
    case SERIES_VALID_ACCURACY: return in->valid_accuracy;
    case SERIES_VALID_LOSS: return in->valid_loss;
    case SERIES_VALID_PERPLEXITY: return in->valid_perplexity;
  }
  return NULL;
}

static const char *const series_names[] = {"valid_accuracy", "valid_loss", "valid_perplexity"};

static double eval(const grammar_reward *r, const reward_inputs *in, int *ok, strbuf *err) {
  if (!*ok) return 0;
  switch (r->kind) {
    case RW_NUMBER: return r->number;
    case RW_SCALAR: return r->scalar == SCALAR_PARAMS ? in->params : r->scalar == SCALAR_FLOPS ? in->flops : in->table;
    case RW_NEG: return -eval(r->lhs, in, ok, err);
    case RW_REDUCE: {
      const double *s = series_of(in, r->series);
      if (!s || in->epochs < 1) {
        if (err) strbuf_printf(err, "the reward needs %s, which this child does not have", series_names[r->series]);
        *ok = 0;
        return 0;
      }
      int from = r->last > 0 && r->last < in->epochs ? in->epochs - r->last : 0;
      double v = s[from], sum = 0;
      for (int i = from; i < in->epochs; i++) {
        if (r->reduce == REDUCE_MAX && s[i] > v) v = s[i];
        if (r->reduce == REDUCE_MIN && s[i] < v) v = s[i];
        sum += s[i];
      }
      if (r->reduce == REDUCE_MEAN) v = sum / (in->epochs - from);
      if (r->reduce == REDUCE_LAST) v = s[in->epochs - 1];
      return v;
    }
    case RW_BINARY: {
      double a = eval(r->lhs, in, ok, err), b = eval(r->rhs, in, ok, err);
      switch (r->op) {
        case '+': return a + b;
        case '-': return a - b;
        case '*': return a * b;
        case '/':
          if (b == 0) {
            if (err && *ok) strbuf_puts(err, "the reward divides by zero");
            *ok = 0;
            return 0;
          }
          return a / b;
        default: return pow(a, b);
      }
    }
  }
  return 0;
}

double reward_eval(const grammar_reward *r, const reward_inputs *in, int *ok, strbuf *err) {
  *ok = 1;
  double v = eval(r, in, ok, err);
  if (*ok && !isfinite(v)) {
    if (err) strbuf_puts(err, "the reward is not a finite number");
    *ok = 0;
  }
  return *ok ? v : 0;
}

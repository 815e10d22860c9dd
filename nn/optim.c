/* optim.c: see optim.h. */
#include "nn/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/dispatch.h"
#include "nn/parallel.h"

void nn_optim_init(nn_optim *o, const nn_optimizer *cfg, const nn_params *p) {
  memset(o, 0, sizeof *o);
  o->cfg = *cfg;
  o->n = p->items.n;
  o->m = xcalloc((size_t)o->n + 1, sizeof(float *));
  o->v = xcalloc((size_t)o->n + 1, sizeof(float *));
  for (int i = 0; i < o->n; i++) {
    const tensor *t = p->items.items[i];
    o->m[i] = xcalloc((size_t)t->n, sizeof(float));
    if (cfg->kind == NN_ADAM) o->v[i] = xcalloc((size_t)t->n, sizeof(float));
  }
}

void nn_optim_free(nn_optim *o) {
  for (int i = 0; i < o->n; i++) {
    free(o->m[i]);
    free(o->v[i]);
  }
  free(o->m);
  free(o->v);
  memset(o, 0, sizeof *o);
}

/* One tensor's update, elements b..e (each element on its own: the split
 * over threads does not change a bit). */
typedef struct step_task {
  const nn_optimizer *c;
  long step;
  float *w, *g, *m, *v;
  int64_t n;
  float wd, lr, a, s2;
} step_task;

NN_CLONES static void step_part(void *arg, int ith, int nth) {
  const step_task *t = arg;
  const nn_optimizer *c = t->c;
  int64_t b = t->n * ith / nth, e = t->n * (ith + 1) / nth;
  float *restrict w = t->w, *restrict m = t->m;
  const float *restrict g = t->g;
  float wd = t->wd, flr = t->lr;
  if (c->kind == NN_SGD) {
    float mu = (float)c->momentum;
    if (mu == 0) {
      for (int64_t k = b; k < e; k++) w[k] -= flr * (g[k] + wd * w[k]);
    } else if (t->step == 1) {
      for (int64_t k = b; k < e; k++) {
        float d = g[k] + wd * w[k];
        m[k] = d;
        w[k] -= flr * (c->nesterov ? d + mu * d : d);
      }
    } else if (c->nesterov) {
      for (int64_t k = b; k < e; k++) {
        float d = g[k] + wd * w[k];
        m[k] = mu * m[k] + d;
        w[k] -= flr * (d + mu * m[k]);
      }
    } else {
      for (int64_t k = b; k < e; k++) {
        m[k] = mu * m[k] + (g[k] + wd * w[k]);
        w[k] -= flr * m[k];
      }
    }
  } else {
    float *restrict v = t->v, b1 = (float)c->beta1, b2 = (float)c->beta2, eps = (float)c->eps;
    for (int64_t k = b; k < e; k++) {
      float d = g[k] + wd * w[k];
      m[k] = b1 * m[k] + (1 - b1) * d;
      v[k] = b2 * v[k] + (1 - b2) * d * d;
      w[k] -= t->a * m[k] / (sqrtf(v[k]) * t->s2 + eps);
    }
  }
}

void nn_optim_step(nn_optim *o, nn_params *p, double lr) {
  o->step++;
  const nn_optimizer *c = &o->cfg;
  double bc1 = 1 - pow(c->beta1, (double)o->step), bc2 = 1 - pow(c->beta2, (double)o->step);
  for (int i = 0; i < o->n && i < p->items.n; i++) {
    tensor *t = p->items.items[i];
    if (!t->requires_grad) continue;
    step_task st = {c, o->step, t->data, t->grad, o->m[i], o->v ? o->v[i] : NULL, t->n, (float)c->weight_decay,
                    (float)lr, (float)(lr / bc1), (float)(1.0 / sqrt(bc2))};
    int nth = t->n < 65536 ? 1 : o->threads;
    nn_parallel(nth, step_part, &st);
  }
}

NN_CLONES double nn_clip_grad_norm(nn_params *p, double max_norm) {
  double lane[8] = {0}; /* eight running sums, so that the additions need not wait on each other */
  for (int i = 0; i < p->items.n; i++) {
    const tensor *t = p->items.items[i];
    if (!t->requires_grad) continue;
    const float *g = t->grad;
    int64_t k = 0;
    for (; k + 8 <= t->n; k += 8)
      for (int u = 0; u < 8; u++) lane[u] += (double)g[k + u] * g[k + u];
    for (; k < t->n; k++) lane[0] += (double)g[k] * g[k];
  }
  double ss = 0;
  for (int u = 0; u < 8; u++) ss += lane[u];
  double norm = sqrt(ss);
  if (max_norm > 0 && norm > max_norm) {
    float f = (float)(max_norm / (norm + 1e-6));
    for (int i = 0; i < p->items.n; i++) {
      tensor *t = p->items.items[i];
      if (!t->requires_grad) continue;
      for (int64_t k = 0; k < t->n; k++) t->grad[k] *= f;
    }
  }
  return norm;
}

double nn_schedule_lr(const nn_schedule *s, double base_lr, int epoch, int epochs) {
  switch (s->kind) {
    case NN_SCHED_CONSTANT: return base_lr;
    case NN_SCHED_STEP: return base_lr * pow(s->gamma, (double)(s->every > 0 ? epoch / s->every : 0));
    case NN_SCHED_COSINE: {
      double t = epochs > 0 ? (double)epoch / (double)epochs : 0.0;
      return s->min_lr + (base_lr - s->min_lr) * 0.5 * (1 + cos(M_PI * t));
    }
  }
  return base_lr;
}

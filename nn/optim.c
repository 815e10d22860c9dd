/* optim.c: see optim.h. */
#include "nn/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

void nn_optim_step(nn_optim *o, nn_params *p, double lr) {
  o->step++;
  const nn_optimizer *c = &o->cfg;
  float wd = (float)c->weight_decay, flr = (float)lr;
  double bc1 = 1 - pow(c->beta1, (double)o->step), bc2 = 1 - pow(c->beta2, (double)o->step);
  for (int i = 0; i < o->n && i < p->items.n; i++) {
    tensor *t = p->items.items[i];
    if (!t->requires_grad) continue;
    float *w = t->data, *g = t->grad, *m = o->m[i];
    if (c->kind == NN_SGD) {
      float mu = (float)c->momentum;
      for (int64_t k = 0; k < t->n; k++) {
        float d = g[k] + wd * w[k];
        if (mu != 0) {
          m[k] = o->step == 1 ? d : mu * m[k] + d;
          d = c->nesterov ? d + mu * m[k] : m[k];
        }
        w[k] -= flr * d;
      }
    } else {
      float *v = o->v[i], b1 = (float)c->beta1, b2 = (float)c->beta2, eps = (float)c->eps;
      float a = (float)(lr / bc1), s2 = (float)(1.0 / sqrt(bc2));
      for (int64_t k = 0; k < t->n; k++) {
        float d = g[k] + wd * w[k];
        m[k] = b1 * m[k] + (1 - b1) * d;
        v[k] = b2 * v[k] + (1 - b2) * d * d;
        w[k] -= a * m[k] / (sqrtf(v[k]) * s2 + eps);
      }
    }
  }
}

double nn_clip_grad_norm(nn_params *p, double max_norm) {
  double ss = 0;
  for (int i = 0; i < p->items.n; i++) {
    const tensor *t = p->items.items[i];
    if (!t->requires_grad) continue;
    for (int64_t k = 0; k < t->n; k++) ss += (double)t->grad[k] * t->grad[k];
  }
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

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

/* The gradients cut into blocks of GRAD_BLOCK values (a tensor's last block
 * may be shorter), numbered across the tensors in store order: the unit of
 * work of the passes below, and the order of the norm's partial sums, so
 * that the norm does not depend on the thread count. */
#define GRAD_BLOCK 65536

typedef struct grad_pass {
  nn_params *p;
  int64_t nblocks;   /* in all */
  double *partial;   /* per block: its sum of squares (norm pass) */
  float scale;       /* scale pass: the factor */
  int kind;          /* 0: zero, 1: sum of squares, 2: scale */
} grad_pass;

static int64_t count_blocks(const nn_params *p) {
  int64_t n = 0;
  for (int i = 0; i < p->items.n; i++) {
    const tensor *t = p->items.items[i];
    if (t->requires_grad || t->grad) n += (t->n + GRAD_BLOCK - 1) / GRAD_BLOCK;
  }
  return n;
}

NN_CLONES static double sum_squares(const float *g, int64_t n) {
  double lane[8] = {0}; /* eight running sums, so that the additions need not wait on each other */
  int64_t k = 0;
  for (; k + 8 <= n; k += 8)
    for (int u = 0; u < 8; u++) lane[u] += (double)g[k + u] * g[k + u];
  for (; k < n; k++) lane[0] += (double)g[k] * g[k];
  double ss = 0;
  for (int u = 0; u < 8; u++) ss += lane[u];
  return ss;
}

static void grad_part(void *arg, int ith, int nth) {
  grad_pass *gp = arg;
  int64_t b0 = gp->nblocks * ith / nth, b1 = gp->nblocks * (ith + 1) / nth, b = 0;
  for (int i = 0; i < gp->p->items.n && b < b1; i++) {
    tensor *t = gp->p->items.items[i];
    if (!(t->requires_grad || t->grad)) continue;
    for (int64_t k = 0; k < t->n; k += GRAD_BLOCK, b++) {
      if (b < b0) continue;
      if (b >= b1) break;
      int64_t len = t->n - k < GRAD_BLOCK ? t->n - k : GRAD_BLOCK;
      float *g = t->grad + k;
      if (gp->kind == 0) memset(g, 0, sizeof(float) * (size_t)len);
      else if (gp->kind == 1) gp->partial[b] = t->requires_grad ? sum_squares(g, len) : 0;
      else if (t->requires_grad)
        for (int64_t j = 0; j < len; j++) g[j] *= gp->scale;
    }
  }
}

static void grad_run(grad_pass *gp, int nth) {
  gp->nblocks = count_blocks(gp->p);
  if (nth < 1) nth = 1;
  if (nth > gp->nblocks) nth = gp->nblocks > 0 ? (int)gp->nblocks : 1;
  nn_parallel(nth, grad_part, gp);
}

void nn_zero_grad(nn_params *p, int nth) {
  grad_pass gp = {p, 0, NULL, 0, 0};
  grad_run(&gp, nth);
}

double nn_clip_grad_norm_mt(nn_params *p, double max_norm, int nth) {
  grad_pass gp = {p, 0, NULL, 0, 1};
  gp.partial = xcalloc((size_t)count_blocks(p) + 1, sizeof(double));
  grad_run(&gp, nth);
  double ss = 0;
  for (int64_t b = 0; b < gp.nblocks; b++) ss += gp.partial[b];
  free(gp.partial);
  double norm = sqrt(ss);
  if (max_norm > 0 && norm > max_norm) {
    gp.kind = 2;
    gp.scale = (float)(max_norm / (norm + 1e-6));
    grad_run(&gp, nth);
  }
  return norm;
}

double nn_clip_grad_norm(nn_params *p, double max_norm) { return nn_clip_grad_norm_mt(p, max_norm, 1); }

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

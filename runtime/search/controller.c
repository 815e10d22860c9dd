/* controller.c: see controller.h. */
#include "runtime/search/controller.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int controller_init(controller *c, const grammar *g, rng *r) {
  memset(c, 0, sizeof *c);
  c->g = g;
  c->cfg = g->search;
  nn_params_init(&c->params);
  int H = c->cfg.controller_hidden, L = c->cfg.controller_layers;
  float lim = (float)c->cfg.controller_init;
  char name[96];
  int one[2] = {1, H};
  c->start = nn_param(&c->params, "controller.start", 2, one);
  c->embed = xcalloc((size_t)g->nheads + 1, sizeof(tensor *));
  c->out_w = xcalloc((size_t)g->nheads + 1, sizeof(tensor *));
  c->out_b = xcalloc((size_t)g->nheads + 1, sizeof(tensor *));
  for (int h = 0; h < g->nheads; h++) {
    const grammar_head *hd = &g->heads[h];
    int v = hd->kind == GRAMMAR_CATEGORICAL ? hd->vocab_len : 1;
    int ne[2] = {v, H};
    snprintf(name, sizeof name, "controller.head.%d.embedding", h);
    c->embed[h] = nn_param(&c->params, name, 2, ne);
    if (hd->kind == GRAMMAR_CATEGORICAL) {
      snprintf(name, sizeof name, "controller.head.%d.weight", h);
      c->out_w[h] = nn_param(&c->params, name, 2, ne);
      snprintf(name, sizeof name, "controller.head.%d.bias", h);
      c->out_b[h] = nn_param(&c->params, name, 1, &v);
    }
  }
  c->wx = xcalloc((size_t)L, sizeof(tensor *));
  c->wh = xcalloc((size_t)L, sizeof(tensor *));
  c->bias = xcalloc((size_t)L, sizeof(tensor *));
  for (int l = 0; l < L; l++) {
    int wne[2] = {4 * H, H}, b4 = 4 * H;
    snprintf(name, sizeof name, "controller.lstm.%d.wx", l);
    c->wx[l] = nn_param(&c->params, name, 2, wne);
    snprintf(name, sizeof name, "controller.lstm.%d.wh", l);
    c->wh[l] = nn_param(&c->params, name, 2, wne);
    snprintf(name, sizeof name, "controller.lstm.%d.bias", l);
    c->bias[l] = nn_param(&c->params, name, 1, &b4);
  }
  int hh[2] = {H, H}, vv[2] = {1, H};
  c->att_prev = nn_param(&c->params, "controller.attention.prev", 2, hh);
  c->att_curr = nn_param(&c->params, "controller.attention.curr", 2, hh);
  c->att_v = nn_param(&c->params, "controller.attention.v", 2, vv);
  for (int i = 0; i < c->params.items.n; i++) nn_init_uniform(c->params.items.items[i], r, -lim, lim);
  return 0;
}

void controller_free(controller *c) {
  nn_params_free(&c->params);
  free(c->embed);
  free(c->out_w);
  free(c->out_b);
  free(c->wx);
  free(c->wh);
  free(c->bias);
  memset(c, 0, sizeof *c);
}

typedef struct walk_state {
  controller *c;
  nn_ctx *ctx;
  rng *r;                 /* sampling; NULL when replaying */
  const arch *replay;     /* tokens to score instead of sampling */
  tensor **h, **cell;     /* per LSTM layer */
  tensor *x;              /* the next input */
  tensor **unit_h;        /* per layer or node: the state at its latest decision */
  int nunits;
  tensor *logp, *entropy; /* running sums (scalars) */
} walk_state;

static tensor *accumulate(nn_ctx *ctx, tensor *sum, tensor *term) {
  tensor *s = nn_sum(ctx, term);
  return sum ? nn_add(ctx, sum, s) : s;
}

static tensor *lstm_step(walk_state *s) {
  controller *c = s->c;
  nn_ctx *ctx = s->ctx;
  int H = c->cfg.controller_hidden;
  tensor *x = s->x;
  for (int l = 0; l < c->cfg.controller_layers; l++) {
    tensor *gates = nn_add(ctx, nn_dense(ctx, x, c->wx[l], c->bias[l]), nn_dense(ctx, s->h[l], c->wh[l], NULL));
    tensor *i = nn_sigmoid(ctx, nn_slice(ctx, gates, 0, H)), *f = nn_sigmoid(ctx, nn_slice(ctx, gates, H, H));
    tensor *g = nn_tanh(ctx, nn_slice(ctx, gates, 2 * H, H)), *o = nn_sigmoid(ctx, nn_slice(ctx, gates, 3 * H, H));
    s->cell[l] = nn_add(ctx, nn_mul(ctx, f, s->cell[l]), nn_mul(ctx, i, g));
    s->h[l] = nn_mul(ctx, o, nn_tanh(ctx, s->cell[l]));
    x = s->h[l];
  }
  return x;
}

/* The attention score of candidate unit j for the current state q (W_curr h_i). */
static tensor *score(walk_state *s, tensor *q, int j) {
  controller *c = s->c;
  tensor *key = (j >= 0 && j < s->nunits && s->unit_h[j]) ? nn_dense(s->ctx, s->unit_h[j], c->att_prev, NULL)
                                                           : nn_new2(s->ctx, 1, c->cfg.controller_hidden);
  return nn_dense(s->ctx, nn_tanh(s->ctx, nn_add(s->ctx, key, q)), c->att_v, NULL); /* [1, 1] */
}

static int sample_index(rng *r, const float *logp, int n) {
  double u = rng_uniform(r), acc = 0;
  for (int k = 0; k < n; k++) {
    acc += exp((double)logp[k]);
    if (u < acc) return k;
  }
  return n - 1;
}

/* log-probabilities [1, n] -> entropy contribution -sum p log p */
static tensor *entropy_of(nn_ctx *ctx, tensor *lp) { return nn_scale(ctx, nn_sum(ctx, nn_mul(ctx, nn_exp(ctx, lp), lp)), -1); }

static int choose(void *arg, const grammar_decision *d, const double *w, int *tokens) {
  (void)w;
  walk_state *s = arg;
  controller *c = s->c;
  nn_ctx *ctx = s->ctx;
  tensor *out = lstm_step(s);
  int head = d->head, token = 0;
  if (!out) return 0;
  const int *given = s->replay ? s->replay->tokens + s->replay->offset[d->id] : NULL;
  if (d->kind == GRAMMAR_CATEGORICAL) {
    tensor *logits = nn_dense(ctx, out, c->out_w[head], c->out_b[head]);
    if (c->cfg.temperature > 0 && c->cfg.temperature != 1) logits = nn_scale(ctx, logits, (float)(1 / c->cfg.temperature));
    if (c->cfg.tanh_constant > 0) logits = nn_scale(ctx, nn_tanh(ctx, logits), (float)c->cfg.tanh_constant);
    tensor *lp = nn_log_softmax(ctx, logits);
    if (!lp) return 0;
    token = given ? given[0] : sample_index(s->r, lp->data, d->vocab_len);
    tokens[0] = token;
    s->logp = accumulate(ctx, s->logp, nn_pick(ctx, lp, &token));
    s->entropy = accumulate(ctx, s->entropy, entropy_of(ctx, lp));
  } else {
    tensor *q = nn_dense(ctx, out, c->att_curr, NULL);
    tensor **z = arena_alloc(&ctx->mem, sizeof(tensor *) * (size_t)d->ncandidates);
    for (int j = 0; j < d->ncandidates; j++) z[j] = score(s, q, d->first_candidate + j);
    if (d->kind == GRAMMAR_ANCHOR) {
      for (int j = 0; j < d->ncandidates; j++) {
        if (!z[j]) return 0;
        double p = 1 / (1 + exp(-(double)z[j]->data[0]));
        int bit = given ? given[j] : rng_uniform(s->r) < p;
        tokens[j] = bit;
        tensor *lp1 = nn_log_sigmoid(ctx, z[j]), *lp0 = nn_log_sigmoid(ctx, nn_scale(ctx, z[j], -1));
        s->logp = accumulate(ctx, s->logp, bit ? lp1 : lp0);
        tensor *ent = nn_add(ctx, nn_mul(ctx, nn_sigmoid(ctx, z[j]), lp1),
                             nn_mul(ctx, nn_sigmoid(ctx, nn_scale(ctx, z[j], -1)), lp0));
        s->entropy = accumulate(ctx, s->entropy, nn_scale(ctx, ent, -1));
      }
    } else { /* pointer: softmax over the candidates */
      int ne4[4] = {1, 1, 1, 1}, ne2[2] = {1, d->ncandidates};
      for (int j = 0; j < d->ncandidates; j++) z[j] = nn_reshape(ctx, z[j], 4, ne4);
      tensor *lp = nn_log_softmax(ctx, nn_reshape(ctx, nn_concat(ctx, z, d->ncandidates), 2, ne2));
      if (!lp) return 0;
      token = given ? given[0] : sample_index(s->r, lp->data, d->ncandidates);
      tokens[0] = token;
      s->logp = accumulate(ctx, s->logp, nn_pick(ctx, lp, &token));
      s->entropy = accumulate(ctx, s->entropy, entropy_of(ctx, lp));
    }
    token = 0; /* anchors and pointers feed their head's one learned vector */
  }
  s->x = nn_embedding(ctx, c->embed[head], &token, 1);
  if (d->layer >= 0 && d->layer < s->nunits) s->unit_h[d->layer] = out;
  return s->x != NULL && s->logp != NULL;
}

static int walk(controller *c, nn_ctx *ctx, rng *r, const arch *replay, long samples_seen, arch *a, tensor **logp,
                tensor **entropy, strbuf *err) {
  walk_state s = {0};
  s.c = c;
  s.ctx = ctx;
  s.r = r;
  s.replay = replay;
  int L = c->cfg.controller_layers, H = c->cfg.controller_hidden;
  s.h = arena_alloc(&ctx->mem, sizeof(tensor *) * (size_t)L);
  s.cell = arena_alloc(&ctx->mem, sizeof(tensor *) * (size_t)L);
  for (int l = 0; l < L; l++) {
    s.h[l] = nn_new2(ctx, 1, H);
    s.cell[l] = nn_new2(ctx, 1, H);
  }
  s.x = c->start;
  s.nunits = c->g->max_layers + 64; /* layers of a CNN, nodes of a DAG cell */
  s.unit_h = arena_alloc(&ctx->mem, sizeof(tensor *) * (size_t)s.nunits);
  int ok, have_a;
  if (replay) {
    /* walk the replayed tokens through the same chooser */
    ok = have_a = arch_from_tokens(c->g, samples_seen, replay->tokens, replay->ntokens, a, NULL);
    if (ok) {
      arch tmp;
      ok = arch_generate(c->g, samples_seen, choose, &s, &tmp);
      if (ok) arch_free(&tmp);
    }
  } else {
    ok = have_a = arch_generate(c->g, samples_seen, choose, &s, a);
  }
  if (!ok || ctx->error[0]) {
    strbuf_printf(err, "the controller failed: %s", ctx->error[0] ? ctx->error : "a token out of range");
    if (have_a) arch_free(a);
    return -1;
  }
  if (!s.logp) { /* a space without decisions */
    s.logp = nn_scalar(ctx, 0);
    s.entropy = nn_scalar(ctx, 0);
  }
  *logp = s.logp;
  *entropy = s.entropy;
  return 0;
}

int controller_draw(controller *c, nn_ctx *ctx, rng *r, long samples_seen, controller_sample *out, strbuf *err) {
  memset(out, 0, sizeof *out);
  return walk(c, ctx, r, NULL, samples_seen, &out->a, &out->logp, &out->entropy, err);
}

int controller_score(controller *c, nn_ctx *ctx, const arch *a, tensor **logp, tensor **entropy, strbuf *err) {
  arch copy;
  /* the curriculum position only matters through the depth, which a carries */
  const grammar_node *v = c->g->variable_stack;
  long at = v ? grammar_curriculum_position(v, a->depth - v->first_layer) : 0;
  if (walk(c, ctx, NULL, a, at, &copy, logp, entropy, err)) return -1;
  arch_free(&copy);
  return 0;
}

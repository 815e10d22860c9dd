/* lm.c: the language-model child of a cell space (see lm.h). */
#include "runtime/models/lm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/parallel.h"

int lm_build(lm *m, const arch *a, const grammar_train *t, int vocab, rng *r, strbuf *err) {
  memset(m, 0, sizeof *m);
  if (cell_program_build(a, &m->cell, err)) return -1;
  if (vocab < 2) {
    strbuf_printf(err, "a vocabulary of %d words is too small for a language model", vocab);
    cell_program_free(&m->cell);
    return -1;
  }
  m->vocab = vocab;
  m->hidden = t->hidden > 0 ? t->hidden : 200;
  m->embed = t->embed > 0 ? t->embed : m->hidden;
  m->layers = t->layers > 0 ? t->layers : 1;
  m->dropout = t->dropout;
  m->clip_state = (float)t->clip_state;
  int H = m->hidden, nx = m->cell.nx, nh = m->cell.nh;
  nn_params_init(&m->params);
  m->wx = xcalloc((size_t)m->layers, sizeof(tensor *));
  m->bx = xcalloc((size_t)m->layers, sizeof(tensor *));
  m->wh = xcalloc((size_t)m->layers, sizeof(tensor *));
  m->pending = xcalloc((size_t)m->layers, sizeof(lm_pending));
  m->emb = nn_param(&m->params, "embedding.weight", 2, (int[]){vocab, m->embed});
  nn_init_uniform(m->emb, r, -0.1f, 0.1f);
  float k = 1.0f / sqrtf((float)H);
  for (int l = 0; l < m->layers; l++) {
    int in = l ? H : m->embed;
    char name[64];
    if (nx) {
      snprintf(name, sizeof name, "cell.%d.weight_x", l);
      m->wx[l] = nn_param(&m->params, name, 2, (int[]){nx * H, in});
      nn_init_uniform(m->wx[l], r, -k, k);
      snprintf(name, sizeof name, "cell.%d.bias_x", l);
      m->bx[l] = nn_param(&m->params, name, 1, (int[]){nx * H});
    }
    if (nh) {
      snprintf(name, sizeof name, "cell.%d.weight_h", l);
      m->wh[l] = nn_param(&m->params, name, 2, (int[]){nh * H, H});
      nn_init_uniform(m->wh[l], r, -k, k);
    }
    m->flops += 2 * ((int64_t)nx * H * in + (int64_t)nh * H * H) + (int64_t)m->cell.nsteps * H;
  }
  m->dec_w = nn_param(&m->params, "decoder.weight", 2, (int[]){vocab, H});
  nn_init_uniform(m->dec_w, r, -0.1f, 0.1f);
  m->dec_b = nn_param(&m->params, "decoder.bias", 1, (int[]){vocab});
  m->flops += 2 * (int64_t)H * vocab;
  m->nparams = nn_params_count(&m->params);
  return 0;
}

void lm_free(lm *m) {
  cell_program_free(&m->cell);
  nn_params_free(&m->params);
  free(m->wx);
  free(m->bx);
  free(m->wh);
  free(m->pending);
  free(m->h);
  free(m->c);
  memset(m, 0, sizeof *m);
}

void lm_reset_state(lm *m, int batch) {
  size_t n = (size_t)m->layers * (size_t)batch * (size_t)m->hidden;
  if (batch != m->state_batch) {
    free(m->h);
    free(m->c);
    m->h = xmalloc(sizeof(float) * n);
    m->c = xmalloc(sizeof(float) * n);
    m->state_batch = batch;
  }
  memset(m->h, 0, sizeof(float) * n);
  memset(m->c, 0, sizeof(float) * n);
}

static tensor *state_leaf(nn_ctx *ctx, const float *src, int batch, int H) {
  tensor *t = nn_new2(ctx, batch, H);
  memcpy(t->data, src, sizeof(float) * (size_t)batch * (size_t)H);
  return t;
}

/* The columns [k*H, (k+1)*H) of every row: projection k of a block. */
static tensor *block(nn_ctx *ctx, tensor *all, int k, int count, int H) {
  return count == 1 ? all : nn_slice(ctx, all, k * H, H);
}

/* One layer over T steps: X [B*T, in] stream-major -> [B*T, H]. */
static tensor *layer_forward(nn_ctx *ctx, lm *m, int l, tensor *X, int B, int T) {
  const cell_program *p = &m->cell;
  int H = m->hidden, nx = p->nx, nh = p->nh;
  float *hs = m->h + (size_t)l * B * H, *cs = m->c + (size_t)l * B * H;
  tensor *h = state_leaf(ctx, hs, B, H), *c = p->reads_c ? state_leaf(ctx, cs, B, H) : NULL;
  tensor *PX = NULL, *wh = NULL;
  lm_pending *pend = &m->pending[l];
  pend->T = 0;
  if (nh) {
    /* W_h enters every step through a view that wants no gradient, so reverse
     * mode gives each step's d(W_h h) but no per-step d W_h: lm_backward
     * forms d W_h in one product over all steps (K = B*T, not B) */
    wh = arena_alloc(&ctx->mem, sizeof *wh);
    *wh = *m->wh[l];
    wh->grad = NULL;
    wh->requires_grad = 0;
    wh->is_param = 0;
    if (ctx->record && ctx->training) {
      h->requires_grad = 1; /* so that step 0's d(W_h h) is computed too */
      pend->ph = arena_alloc(&ctx->mem, sizeof(tensor *) * (size_t)T);
      pend->hp = arena_alloc(&ctx->mem, sizeof(tensor *) * (size_t)T);
    }
  }
  if (nx) { /* the x projections of every step in one product */
    PX = nn_dense(ctx, X, m->wx[l], m->bx[l]);
    PX = nn_reshape(ctx, PX, 2, (int[]){B, T * nx * H});
  }
  tensor **px = arena_alloc(&ctx->mem, sizeof(tensor *) * (size_t)(nx + 1));
  tensor **ph = arena_alloc(&ctx->mem, sizeof(tensor *) * (size_t)(nh + 1));
  tensor **outs = arena_alloc(&ctx->mem, sizeof(tensor *) * (size_t)T);
  for (int t = 0; t < T; t++) {
    if (nx) {
      tensor *xt = nn_slice(ctx, PX, t * nx * H, nx * H);
      for (int k = 0; k < nx; k++) px[k] = block(ctx, xt, k, nx, H);
    }
    if (nh) {
      tensor *PH = nn_dense(ctx, h, wh, NULL);
      if (pend->ph) {
        pend->ph[t] = PH;
        pend->hp[t] = h;
        pend->T = t + 1;
      }
      for (int k = 0; k < nh; k++) ph[k] = block(ctx, PH, k, nh, H);
    }
    tensor *c_next = NULL;
    h = cell_forward(ctx, p, px, ph, c, &c_next);
    if (h && m->clip_state > 0) {
      h = nn_clip_rows(ctx, h, m->clip_state);
      if (c_next) c_next = nn_clip_rows(ctx, c_next, m->clip_state);
    }
    if (!h) return NULL;
    if (p->memory >= 0) c = c_next;
    outs[t] = nn_reshape(ctx, h, 4, (int[]){B, H, 1, 1});
  }
  memcpy(hs, h->data, sizeof(float) * (size_t)B * H); /* the state goes on, detached */
  if (c) memcpy(cs, c->data, sizeof(float) * (size_t)B * H);
  tensor *Y = nn_concat(ctx, outs, T);
  return nn_reshape(ctx, Y, 2, (int[]){B * T, H});
}

tensor *lm_segment_loss(nn_ctx *ctx, lm *m, const int *inputs, const int *targets, int B, int T) {
  if (m->state_batch != B) lm_reset_state(m, B);
  for (int l = 0; l < m->layers; l++) m->pending[l] = (lm_pending){0};
  m->pending_batch = B;
  tensor *X = nn_embedding(ctx, m->emb, inputs, B * T);
  for (int l = 0; l < m->layers && X; l++) {
    if (m->dropout > 0) X = nn_dropout(ctx, X, (float)m->dropout);
    X = layer_forward(ctx, m, l, X, B, T);
  }
  if (m->dropout > 0) X = nn_dropout(ctx, X, (float)m->dropout);
  tensor *logits = nn_dense(ctx, X, m->dec_w, m->dec_b);
  return nn_softmax_xent(ctx, logits, targets);
}


void lm_backward(nn_ctx *ctx, lm *m, tensor *loss) {
  nn_backward(ctx, loss);
  int B = m->pending_batch, H = m->hidden, nh = m->cell.nh;
  for (int l = 0; l < m->layers; l++) {
    lm_pending *pd = &m->pending[l];
    if (!pd->T || !m->wh[l]) continue;
    int T = pd->T, rows = B * T, cols = nh * H;
    float *G = nn_scratch(ctx, (size_t)rows * (size_t)(cols + H)), *Hp = G + (size_t)rows * cols;
    for (int t = 0; t < T; t++) {
      const tensor *ph = pd->ph[t];
      if (ph->grad) memcpy(G + (size_t)t * B * cols, ph->grad, sizeof(float) * (size_t)B * cols);
      else memset(G + (size_t)t * B * cols, 0, sizeof(float) * (size_t)B * cols);
      memcpy(Hp + (size_t)t * B * H, pd->hp[t]->data, sizeof(float) * (size_t)B * H);
    }
    /* d W_h [nh*H, H] += G^T Hp */
    nn_sgemm(ctx->nthreads, 1, 0, cols, H, rows, 1.0f, G, cols, Hp, H, 1.0f, m->wh[l]->grad, H);
    pd->T = 0;
  }
}


void lm_summary(const lm *m, strbuf *out) {
  strbuf_printf(out, "language model: vocabulary %d, embedding %d, %d layer%s of %d, dropout %g", m->vocab, m->embed,
                m->layers, m->layers == 1 ? "" : "s", m->hidden, m->dropout);
  if (m->clip_state > 0) strbuf_printf(out, ", state norm at most %g", m->clip_state);
  strbuf_putc(out, '\n');
  strbuf_printf(out, "cell: %d projections of x, %d of h, %d steps%s\n", m->cell.nx, m->cell.nh, m->cell.nsteps,
                m->cell.memory >= 0 ? ", with memory" : "");
  cell_program_text(&m->cell, out);
  strbuf_printf(out, "parameters: %lld   forward FLOPs per word: %lld\n", (long long)m->nparams, (long long)m->flops);
}

/* lm_train.c: evaluating the language-model child of a cell space, and
 * the model as the training loop sees it (see lm_train.h). */
#include "runtime/train/lm_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lm_segment_ids(const int *tokens, int64_t L, int batch, int64_t pos, int T, int *in, int *out) {
  for (int b = 0; b < batch; b++)
    for (int t = 0; t < T; t++) {
      in[b * T + t] = tokens[(int64_t)b * L + pos + t];
      out[b * T + t] = tokens[(int64_t)b * L + pos + t + 1];
    }
}

int lm_evaluate(lm *m, const int *tokens, int64_t n, int batch, int bptt, int threads, double *perplexity,
                strbuf *err) {
  *perplexity = NAN;
  if (batch > n / 2) batch = (int)(n / 2 > 0 ? n / 2 : 1);
  int64_t L = n / batch;
  if (L < 2) {
    strbuf_printf(err, "%lld words are too few to evaluate a language model", (long long)n);
    return -1;
  }
  rng r;
  rng_seed(&r, 0);
  nn_ctx ctx;
  nn_ctx_init(&ctx, threads, &r);
  int *in = xmalloc(sizeof(int) * (size_t)batch * (size_t)bptt), *out = xmalloc(sizeof(int) * (size_t)batch * (size_t)bptt);
  lm_reset_state(m, batch);
  double total = 0;
  int64_t count = 0;
  int rc = 0;
  for (int64_t pos = 0; pos + 1 < L; pos += bptt) {
    int T = (int)(L - 1 - pos < bptt ? L - 1 - pos : bptt);
    nn_ctx_reset(&ctx);
    ctx.training = 0;
    ctx.record = 0;
    lm_segment_ids(tokens, L, batch, pos, T, in, out);
    tensor *loss = lm_segment_loss(&ctx, m, in, out, batch, T);
    if (!loss) {
      strbuf_printf(err, "evaluation failed: %s", ctx.error);
      rc = -1;
      break;
    }
    total += (double)loss->data[0] * batch * T;
    count += (int64_t)batch * T;
  }
  if (rc == 0) *perplexity = exp(total / (double)count);
  free(in);
  free(out);
  nn_ctx_free(&ctx);
  return rc;
}

/* A language model as a train_model: each epoch is one pass of truncated
 * BPTT over `batch` parallel streams of the training tokens, the state
 * carried (detached) from one segment to the next. */
typedef struct lm_model {
  lm *m;             /* the network */
  const lm_data *d;  /* its token streams */
  int batch;         /* parallel streams */
  int bptt;          /* steps per segment (the last may be shorter) */
  int64_t L;         /* tokens per stream */
  int *in, *tg;      /* the segment's inputs and targets (batch x bptt) */
} lm_model;

static int64_t lm_begin_epoch(void *self, int epoch, int64_t *examples) {
  (void)epoch;
  lm_model *lmm = self;
  lm_reset_state(lmm->m, lmm->batch);
  *examples = (int64_t)lmm->batch * (lmm->L - 1);
  return (lmm->L - 1 + lmm->bptt - 1) / lmm->bptt;
}

static tensor *lm_step_loss(void *self, nn_ctx *ctx, int64_t step, int64_t *examples, double *weight) {
  lm_model *lmm = self;
  int64_t pos = step * lmm->bptt, L = lmm->L;
  int T = (int)(L - 1 - pos < lmm->bptt ? L - 1 - pos : lmm->bptt);
  lm_segment_ids(lmm->d->train, L, lmm->batch, pos, T, lmm->in, lmm->tg);
  *examples = (int64_t)lmm->batch * T;
  *weight = T; /* the epoch's mean loss is per word */
  return lm_segment_loss(ctx, lmm->m, lmm->in, lmm->tg, lmm->batch, T);
}

static void lm_model_backward(void *self, nn_ctx *ctx, tensor *loss) {
  lm_model *lmm = self;
  lm_backward(ctx, lmm->m, loss);
}

/* An empty split has no perplexity (NAN); the loss is its log. */
static int lm_model_evaluate(void *self, train_split split, int threads, double *metric, double *loss, strbuf *err) {
  lm_model *lmm = self;
  const int *tokens = split == TRAIN_VALID ? lmm->d->valid : lmm->d->test;
  int64_t n = split == TRAIN_VALID ? lmm->d->nvalid : lmm->d->ntest;
  *metric = *loss = NAN;
  if (n && lm_evaluate(lmm->m, tokens, n, lmm->batch, lmm->bptt, threads, metric, err)) return -1;
  *loss = log(*metric);
  return 0;
}

int lm_train_child(const grammar *g, const arch *a, const lm_data *d, const train_opts *o, lm *out,
                   train_report *rep, strbuf *err) {
  memset(rep, 0, sizeof *rep);
  const grammar_train *t = &g->train;
  rng r;
  rng_seed(&r, (uint64_t)t->seed * 2654435761u + 17);
  if (lm_build(out, a, t, d->vocab, &r, err)) return -1;
  lm_model lmm = {.m = out, .d = d, .batch = t->batch, .bptt = t->bptt > 0 ? t->bptt : 35};
  if (lmm.batch > d->ntrain / 2) lmm.batch = (int)(d->ntrain / 2 > 0 ? d->ntrain / 2 : 1);
  lmm.L = d->ntrain / lmm.batch;
  if (lmm.L < 2) {
    strbuf_printf(err, "%lld training words are too few for batches of %d streams", (long long)d->ntrain, lmm.batch);
    lm_free(out);
    return -1;
  }
  lmm.in = xmalloc(sizeof(int) * (size_t)lmm.batch * (size_t)lmm.bptt);
  lmm.tg = xmalloc(sizeof(int) * (size_t)lmm.batch * (size_t)lmm.bptt);
  train_model m = {.self = &lmm, .params = &out->params, .rng = &r, .nparams = out->nparams, .flops = out->flops,
                   .metric = TRAIN_PERPLEXITY, .begin_epoch = lm_begin_epoch, .step_loss = lm_step_loss,
                   .backward = lm_model_backward, .evaluate = lm_model_evaluate};
  int rc = train_run(&m, t, o, g->search.reward, rep, err);
  free(lmm.in);
  free(lmm.tg);
  if (rc) lm_free(out);
  return rc;
}

int lm_data_load(const grammar_train *t, int quiet, corpus *cp, lm_data *d, strbuf *err) {
  if (!quiet) fprintf(stderr, "loading %s (%s)\n", t->data.name, t->data.loader);
  if (corpus_load(&t->data, t->subset, cp, err)) return -1;
  *d = (lm_data){cp->train, cp->valid, cp->test, cp->ntrain, cp->nvalid, cp->ntest, cp->nwords};
  if (!quiet)
    fprintf(stderr, "%lld training, %lld validation, %lld test words; vocabulary %d\n", (long long)cp->ntrain,
            (long long)cp->nvalid, (long long)cp->ntest, cp->nwords);
  return 0;
}

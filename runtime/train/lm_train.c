/* lm_train.c: training and evaluating the language-model child of a cell
 * space (see lm_train.h). */
#include "runtime/train/lm_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "nn/optim.h"
#include "runtime/train/reward.h"

/* The ids of segment [pos, pos + T) of `batch` streams of length L laid out
 * one after the other in tokens: inputs at pos + t, targets at pos + t + 1. */
static void segment(const int *tokens, int64_t L, int batch, int64_t pos, int T, int *in, int *out) {
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
    segment(tokens, L, batch, pos, T, in, out);
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

static void progress(const train_opts *o, int epoch, int epochs, int64_t done, int64_t total, double loss,
                     double rate, double eta) {
  if (o->quiet || !o->bar) return;
  int width = 24, fill = total ? (int)((double)done / (double)total * width) : width;
  char bar[32];
  for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
  bar[width] = 0;
  fprintf(stderr, "\r  epoch %d/%d [%s] %lld/%lld words  ppl %.1f  %.0f words/s  ETA %d:%02d ", epoch, epochs, bar,
          (long long)done, (long long)total, exp(loss), rate, (int)eta / 60, (int)eta % 60);
  fflush(stderr);
}

int lm_train_child(const grammar *g, const arch *a, const lm_data *d, const train_opts *o, lm *out,
                   train_report *rep, strbuf *err) {
  memset(rep, 0, sizeof *rep);
  const grammar_train *t = &g->train;
  int epochs = o->epochs > 0 ? o->epochs : t->epochs, bptt = t->bptt > 0 ? t->bptt : 35;
  rng r;
  rng_seed(&r, (uint64_t)t->seed * 2654435761u + 17);
  lm *m = out;
  if (lm_build(m, a, t, d->vocab, &r, err)) return -1;
  rep->params = m->nparams;
  rep->flops = m->flops;
  rep->valid_perplexity = xcalloc((size_t)epochs + 1, sizeof(double));
  rep->valid_loss = xcalloc((size_t)epochs + 1, sizeof(double));
  rep->test_perplexity = NAN;
  int batch = t->batch;
  if (batch > d->ntrain / 2) batch = (int)(d->ntrain / 2 > 0 ? d->ntrain / 2 : 1);
  int64_t L = d->ntrain / batch;
  if (L < 2) {
    strbuf_printf(err, "%lld training words are too few for batches of %d streams", (long long)d->ntrain, batch);
    lm_free(m);
    return -1;
  }
  int64_t words = (int64_t)batch * (L - 1);
  nn_optim opt;
  nn_optimizer ocfg = train_optimizer(&t->optimizer);
  nn_schedule sched = train_schedule(&t->schedule);
  nn_optim_init(&opt, &ocfg, &m->params);
  nn_ctx ctx;
  nn_ctx_init(&ctx, o->threads, &r);
  int *in = xmalloc(sizeof(int) * (size_t)batch * (size_t)bptt), *tg = xmalloc(sizeof(int) * (size_t)batch * (size_t)bptt);
  double t0 = nasl_clock_seconds();
  int rc = 0;
  for (int e = 0; e < epochs && rc == 0; e++) {
    double lr = nn_schedule_lr(&sched, t->optimizer.lr, e, epochs), sum = 0, te = nasl_clock_seconds();
    int64_t done = 0, s = 0;
    lm_reset_state(m, batch);
    for (int64_t pos = 0; pos + 1 < L; pos += bptt, s++) {
      int T = (int)(L - 1 - pos < bptt ? L - 1 - pos : bptt);
      nn_ctx_reset(&ctx);
      ctx.training = 1;
      segment(d->train, L, batch, pos, T, in, tg);
      tensor *loss = lm_segment_loss(&ctx, m, in, tg, batch, T);
      if (!loss) {
        strbuf_printf(err, "training failed: %s", ctx.error);
        rc = -1;
        break;
      }
      if (!isfinite(loss->data[0])) {
        strbuf_printf(err, "the loss became %g at epoch %d, segment %lld; lower the learning rate or the clip",
                      loss->data[0], e + 1, (long long)s + 1);
        rc = -1;
        break;
      }
      sum += (double)loss->data[0] * T;
      done += (int64_t)batch * T;
      nn_params_zero_grad(&m->params);
      lm_backward(&ctx, m, loss);
      if (ctx.error[0]) { /* a plug-in cell step whose backward failed */
        strbuf_printf(err, "training failed: %s", ctx.error);
        rc = -1;
        break;
      }
      if (t->clip > 0) nn_clip_grad_norm(&m->params, t->clip);
      nn_optim_step(&opt, &m->params, lr);
      if (s % 16 == 15 || pos + bptt + 1 >= L) {
        double el = nasl_clock_seconds() - te, rate = (double)done / (el > 0 ? el : 1e-9);
        double left = (double)(words - done) / rate + (double)(epochs - e - 1) * (double)words / rate;
        progress(o, e + 1, epochs, done, words, sum / ((double)done / batch), rate, left);
      }
    }
    if (rc) break;
    rep->train_loss = sum / ((double)done / batch);
    double el = nasl_clock_seconds() - te;
    rep->rate = (double)done / (el > 0 ? el : 1e-9);
    double ppl = NAN;
    if (d->nvalid && lm_evaluate(m, d->valid, d->nvalid, batch, bptt, o->threads, &ppl, err)) {
      rc = -1;
      break;
    }
    rep->valid_perplexity[e] = ppl;
    rep->valid_loss[e] = log(ppl);
    rep->epochs = e + 1;
    if (!o->quiet) {
      if (o->bar) fprintf(stderr, "\r\033[K");
      fprintf(stderr, "  epoch %d/%d: lr %g, train perplexity %.2f, valid perplexity %.2f, %.0f words/s, %.1f s\n",
              e + 1, epochs, lr, exp(rep->train_loss), ppl, rep->rate, el);
    }
  }
  if (rc == 0 && !o->skip_test && d->ntest &&
      lm_evaluate(m, d->test, d->ntest, batch, bptt, o->threads, &rep->test_perplexity, err))
    rc = -1;
  rep->seconds = nasl_clock_seconds() - t0;
  if (rc == 0 && g->search.reward) {
    reward_inputs ri = {rep->epochs, NULL, rep->valid_loss, rep->valid_perplexity, (double)rep->params,
                        (double)rep->flops, 0};
    strbuf rerr;
    strbuf_init(&rerr);
    rep->reward = reward_eval(g->search.reward, &ri, &rep->reward_ok, &rerr);
    strbuf_free(&rerr);
  }
  free(in);
  free(tg);
  nn_ctx_free(&ctx);
  nn_optim_free(&opt);
  if (rc) lm_free(m);
  return rc;
}

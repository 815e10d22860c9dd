/* train.c: see train.h. */
#include "runtime/train/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "nn/optim.h"
#include "nn/parallel.h"
#include "runtime/train/reward.h"

int train_data_load(const grammar_train *recipe, train_data *d, strbuf *err) {
  memset(d, 0, sizeof *d);
  const grammar_dataset *ds = &recipe->data;
  ds_images all, test;
  int rc;
  if (!strcmp(ds->loader, "fashion_mnist") || !strcmp(ds->loader, "mnist")) {
    rc = ds_load_mnist_dir(ds->dir, 1, &all, err);
    if (!rc) rc = ds_load_mnist_dir(ds->dir, 0, &test, err);
  } else if (!strcmp(ds->loader, "cifar10")) {
    rc = ds_load_cifar10(ds->dir, 1, &all, err);
    if (!rc) rc = ds_load_cifar10(ds->dir, 0, &test, err);
  } else if (!strcmp(ds->loader, "cifar100")) {
    rc = ds_load_cifar100(ds->dir, 1, &all, err);
    if (!rc) rc = ds_load_cifar100(ds->dir, 0, &test, err);
  } else {
    strbuf_printf(err, "dataset '%s' (%s) holds text; image spaces train on fashion_mnist, mnist, cifar10 or cifar100",
                  ds->name, ds->loader);
    return -1;
  }
  if (rc) {
    if (all.x) ds_free(&all);
    return -1;
  }
  if (recipe->subset > 0 && recipe->subset < all.n) { /* a seeded subset of the training set */
    ds_images part;
    if (ds_split(&all, recipe->subset, (uint64_t)recipe->seed ^ 0x5eed, &part, NULL, err)) goto fail;
    ds_free(&all);
    all = part;
  }
  if (recipe->valid >= all.n) {
    strbuf_printf(err, "'valid: %d' holds out every one of the %d training examples", recipe->valid, all.n);
    goto fail;
  }
  if (ds_split(&all, recipe->valid, (uint64_t)recipe->seed, &d->valid, &d->train, err)) goto fail;
  ds_free(&all);
  if (recipe->test > 0 && recipe->test < test.n) { /* a seeded subset of the test set */
    ds_images part;
    if (ds_split(&test, recipe->test, (uint64_t)recipe->seed ^ 0x7e57, &part, NULL, err)) goto fail;
    ds_free(&test);
    test = part;
  }
  d->test = test;
  float mean[4], std[4];
  ds_channel_stats(&d->train, mean, std);
  ds_normalize(&d->train, mean, std);
  if (d->valid.n) ds_normalize(&d->valid, mean, std);
  ds_normalize(&d->test, mean, std);
  d->shape = (child_shape){d->train.c, d->train.h, d->train.w};
  d->classes = d->train.classes > d->test.classes ? d->train.classes : d->test.classes;
  return 0;
fail:
  ds_free(&all);
  ds_free(&test);
  return -1;
}

void train_data_shape(const grammar_dataset *ds, child_shape *shape, int *classes) {
  int cifar = !strncmp(ds->loader, "cifar", 5);
  *shape = cifar ? (child_shape){3, 32, 32} : (child_shape){1, 28, 28};
  *classes = !strcmp(ds->loader, "cifar100") ? 100 : 10;
}

void train_data_free(train_data *d) {
  ds_free(&d->train);
  ds_free(&d->valid);
  ds_free(&d->test);
  memset(d, 0, sizeof *d);
}

nn_optimizer train_optimizer(const grammar_optimizer *g) {
  nn_optimizer o = {g->kind == OPTIM_ADAM ? NN_ADAM : NN_SGD, g->lr, g->momentum, g->nesterov, g->weight_decay,
                    g->beta1, g->beta2, g->eps};
  return o;
}

nn_schedule train_schedule(const grammar_schedule *g) {
  nn_schedule s = {g->kind == SCHED_STEP ? NN_SCHED_STEP : g->kind == SCHED_COSINE ? NN_SCHED_COSINE : NN_SCHED_CONSTANT,
                   g->every, g->gamma, g->min_lr};
  return s;
}

void train_report_free(train_report *r) {
  free(r->valid_accuracy);
  free(r->valid_loss);
  free(r->valid_perplexity);
  memset(r, 0, sizeof *r);
}

int evaluate(child *c, const ds_images *d, int batch, int threads, double *accuracy, double *loss, strbuf *err) {
  *accuracy = 0;
  *loss = 0;
  if (d->n == 0) return 0;
  /* a step keeps every activation until it ends: bound that to about 512 MB */
  if (c->activations > 0 && (int64_t)batch * c->activations > ((int64_t)1 << 27))
    batch = (int)(((int64_t)1 << 27) / c->activations) > 0 ? (int)(((int64_t)1 << 27) / c->activations) : 1;
  rng r;
  rng_seed(&r, 0);
  nn_ctx ctx;
  nn_ctx_init(&ctx, threads, &r);
  ctx.training = 0;
  ctx.record = 0;
  int *perm = xmalloc(sizeof(int) * (size_t)d->n), *labels = xmalloc(sizeof(int) * (size_t)batch);
  for (int i = 0; i < d->n; i++) perm[i] = i;
  long correct = 0;
  double total = 0;
  int rc = 0;
  for (int start = 0; start < d->n; start += batch) {
    int n = d->n - start < batch ? d->n - start : batch;
    nn_ctx_reset(&ctx);
    tensor *x = nn_new4(&ctx, n, d->c, d->h, d->w);
    ds_batch(d, perm, start, n, 0, 0, NULL, x->data, labels);
    tensor *logits = child_forward(&ctx, c, x);
    tensor *l = nn_softmax_xent(&ctx, logits, labels);
    if (!l) {
      strbuf_printf(err, "evaluation failed: %s", ctx.error);
      rc = -1;
      break;
    }
    total += (double)l->data[0] * n;
    for (int i = 0; i < n; i++) {
      const float *row = logits->data + (int64_t)i * c->classes;
      int best = 0;
      for (int k = 1; k < c->classes; k++)
        if (row[k] > row[best]) best = k;
      correct += best == labels[i];
    }
  }
  *accuracy = (double)correct / d->n;
  *loss = total / d->n;
  free(perm);
  free(labels);
  nn_ctx_free(&ctx);
  return rc;
}

static void progress(const train_opts *o, int epoch, int epochs, int done, int total, double loss, double rate,
                     double eta) {
  if (o->quiet || !o->bar) return;
  int width = 24, fill = total ? (int)((double)done / total * width) : width;
  char bar[32];
  for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
  bar[width] = 0;
  fprintf(stderr, "\r  epoch %d/%d [%s] batch %d/%d  loss %.4f  %.0f img/s  ETA %d:%02d ", epoch, epochs, bar, done,
          total, loss, rate, (int)eta / 60, (int)eta % 60);
  fflush(stderr);
}

int train_child(const grammar *g, const arch *a, const train_data *d, const train_opts *o, child *out,
                train_report *rep, strbuf *err) {
  memset(rep, 0, sizeof *rep);
  const grammar_train *t = &g->train;
  int epochs = o->epochs > 0 ? o->epochs : t->epochs;
  rng r;
  rng_seed(&r, (uint64_t)t->seed * 2654435761u + 17);
  child *c = out;
  if (child_build(c, a, d->shape, d->classes, &r, err)) return -1;
  rep->params = c->nparams;
  rep->flops = c->flops;
  rep->valid_accuracy = xcalloc((size_t)epochs + 1, sizeof(double));
  rep->valid_loss = xcalloc((size_t)epochs + 1, sizeof(double));
  nn_optim opt;
  nn_optimizer ocfg = train_optimizer(&t->optimizer);
  nn_schedule sched = train_schedule(&t->schedule);
  nn_optim_init(&opt, &ocfg, &c->params);
  nn_ctx ctx;
  nn_ctx_init(&ctx, o->threads, &r);
  int batch = t->batch < d->train.n ? t->batch : d->train.n;
  int nbatches = d->train.n / batch; /* a last partial batch is dropped: batch norm wants full batches */
  if (nbatches < 1) nbatches = 1;
  int *perm = xmalloc(sizeof(int) * (size_t)d->train.n), *labels = xmalloc(sizeof(int) * (size_t)batch);
  double t0 = nasl_clock_seconds();
  int rc = 0;
  for (int e = 0; e < epochs && rc == 0; e++) {
    double lr = nn_schedule_lr(&sched, t->optimizer.lr, e, epochs), sum = 0, te = nasl_clock_seconds();
    ds_shuffle(d->train.n, perm, &r);
    for (int b = 0; b < nbatches; b++) {
      nn_ctx_reset(&ctx);
      ctx.training = 1;
      tensor *x = nn_new4(&ctx, batch, d->train.c, d->train.h, d->train.w);
      ds_batch(&d->train, perm, b * batch, batch, t->crop, t->flip, &r, x->data, labels);
      tensor *loss = nn_softmax_xent(&ctx, child_forward(&ctx, c, x), labels);
      if (!loss) {
        strbuf_printf(err, "training failed: %s", ctx.error);
        rc = -1;
        break;
      }
      if (!isfinite(loss->data[0])) {
        strbuf_printf(err, "the loss became %g at epoch %d, batch %d; lower the learning rate", loss->data[0], e + 1,
                      b + 1);
        rc = -1;
        break;
      }
      sum += loss->data[0];
      nn_params_zero_grad(&c->params);
      nn_backward(&ctx, loss);
      if (ctx.error[0]) { /* a plug-in's backward failed */
        strbuf_printf(err, "training failed: %s", ctx.error);
        rc = -1;
        break;
      }
      if (t->clip > 0) nn_clip_grad_norm(&c->params, t->clip);
      nn_optim_step(&opt, &c->params, lr);
      if (b % 8 == 7 || b == nbatches - 1) {
        double el = nasl_clock_seconds() - te, rate = (b + 1) * (double)batch / (el > 0 ? el : 1e-9);
        double left = (double)(nbatches - b - 1) * batch / rate + (double)(epochs - e - 1) * nbatches * batch / rate;
        progress(o, e + 1, epochs, b + 1, nbatches, sum / (b + 1), rate, left);
      }
    }
    if (rc) break;
    rep->train_loss = sum / nbatches;
    double acc = 0, vloss = 0;
    if (d->valid.n && evaluate(c, &d->valid, 256, o->threads, &acc, &vloss, err)) {
      rc = -1;
      break;
    }
    rep->valid_accuracy[e] = acc;
    rep->valid_loss[e] = vloss;
    rep->epochs = e + 1;
    if (!o->quiet) {
      double el = nasl_clock_seconds() - te;
      if (o->bar) fprintf(stderr, "\r\033[K");
      fprintf(stderr, "  epoch %d/%d: train loss %.4f, valid accuracy %.4f, valid loss %.4f, %.0f img/s, %.1f s\n",
              e + 1, epochs, rep->train_loss, acc, vloss, nbatches * (double)batch / el, el);
    }
  }
  if (rc == 0 && !o->skip_test && evaluate(c, &d->test, 256, o->threads, &rep->test_accuracy, &rep->test_loss, err))
    rc = -1;
  rep->seconds = nasl_clock_seconds() - t0;
  if (rc == 0 && g->search.reward) {
    reward_inputs in = {rep->epochs, rep->valid_accuracy, rep->valid_loss, NULL, (double)rep->params,
                        (double)rep->flops, 0};
    strbuf rerr;
    strbuf_init(&rerr);
    rep->reward = reward_eval(g->search.reward, &in, &rep->reward_ok, &rerr);
    strbuf_free(&rerr);
  }
  free(perm);
  free(labels);
  nn_ctx_free(&ctx);
  nn_optim_free(&opt);
  if (rc) {
    child_free(c);
    train_report_free(rep);
  }
  return rc;
}

/* train.c: the image data of a recipe, the evaluation of an image child,
 * and the child as a model of the training loop (see train.h). */
#include "runtime/train/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int train_data_load(const grammar_train *recipe, train_data *d, strbuf *err) {
  memset(d, 0, sizeof *d);
  const grammar_dataset *ds = &recipe->data;
  ds_images all, test;
  int rc;
  if (!strcmp(ds->loader, "fashion_mnist") || !strcmp(ds->loader, "mnist")) {
    rc = ds_load_mnist(ds->dir, ds->classes, &all, &test, err);
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
  d->classes = ds->classes; /* the declaration's, which every loader has checked the labels against */
  return 0;
fail:
  ds_free(&all);
  ds_free(&test);
  return -1;
}

void train_data_shape(const grammar_dataset *ds, child_shape *shape, int *classes) {
  int cifar = !strncmp(ds->loader, "cifar", 5);
  *shape = cifar ? (child_shape){3, 32, 32} : (child_shape){1, 28, 28};
  *classes = ds->classes;
}

void train_data_free(train_data *d) {
  ds_free(&d->train);
  ds_free(&d->valid);
  ds_free(&d->test);
  memset(d, 0, sizeof *d);
}

int train_evaluate(child *c, const ds_images *d, int batch, int threads, double *accuracy, double *loss, strbuf *err) {
  rng r;
  rng_seed(&r, 0);
  nn_ctx ctx;
  nn_ctx_init(&ctx, threads, &r);
  int rc = train_evaluate_in(&ctx, c, d, batch, accuracy, loss, err);
  nn_ctx_free(&ctx);
  return rc;
}

int train_evaluate_in(nn_ctx *ctx_in, child *c, const ds_images *d, int batch, double *accuracy, double *loss,
                      strbuf *err) {
  *accuracy = 0;
  *loss = 0;
  if (d->n == 0) return 0;
  /* a step keeps every activation until it ends: bound that to about 512 MB */
  if (c->activations > 0 && (int64_t)batch * c->activations > ((int64_t)1 << 27))
    batch = (int)(((int64_t)1 << 27) / c->activations) > 0 ? (int)(((int64_t)1 << 27) / c->activations) : 1;
  nn_ctx ctx = *ctx_in; /* its arena and scratch, in evaluation mode */
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
  nn_ctx_reset(&ctx);
  ctx.training = ctx_in->training; /* the arena and scratch go back, grown */
  ctx.record = ctx_in->record;
  *ctx_in = ctx;
  return rc;
}

/* An image child as a train_model: its steps are the batches of a fresh
 * shuffle of the training set each epoch. */
typedef struct image_model {
  child *c;                    /* the network */
  const train_data *d;         /* its data */
  const grammar_train *recipe; /* crop and flip */
  rng *r;                      /* shuffles, crops and flips */
  int batch;                   /* images per step */
  int nbatches;                /* steps per epoch */
  int *perm;                   /* this epoch's order of the training set */
  int *labels;                 /* the step's labels (batch of them) */
} image_model;

static int64_t image_begin_epoch(void *self, int epoch, int64_t *examples) {
  (void)epoch;
  image_model *im = self;
  ds_shuffle(im->d->train.n, im->perm, im->r);
  *examples = (int64_t)im->nbatches * im->batch;
  return im->nbatches;
}

static tensor *image_step_loss(void *self, nn_ctx *ctx, int64_t step, int64_t *examples, double *weight) {
  image_model *im = self;
  const ds_images *train = &im->d->train;
  tensor *x = nn_new4(ctx, im->batch, train->c, train->h, train->w);
  ds_batch(train, im->perm, (int)step * im->batch, im->batch, im->recipe->crop, im->recipe->flip, im->r, x->data,
           im->labels);
  *examples = im->batch;
  *weight = 1;
  return nn_softmax_xent(ctx, child_forward(ctx, im->c, x), im->labels);
}

static int image_evaluate(void *self, train_split split, int threads, double *metric, double *loss, strbuf *err) {
  image_model *im = self;
  const ds_images *d = split == TRAIN_VALID ? &im->d->valid : &im->d->test;
  return train_evaluate(im->c, d, 256, threads, metric, loss, err);
}

int train_child(const grammar *g, const arch *a, const train_data *d, const train_opts *o, child *out,
                train_report *rep, strbuf *err) {
  memset(rep, 0, sizeof *rep);
  const grammar_train *t = &g->train;
  rng r;
  rng_seed(&r, (uint64_t)t->seed * 2654435761u + 17);
  if (child_build_with(out, a, t, d->shape, d->classes, &r, err)) return -1;
  image_model im = {.c = out, .d = d, .recipe = t, .r = &r, .batch = t->batch < d->train.n ? t->batch : d->train.n};
  im.nbatches = d->train.n / im.batch; /* a last partial batch is dropped: batch norm wants full batches */
  if (im.nbatches < 1) im.nbatches = 1;
  im.perm = xmalloc(sizeof(int) * (size_t)d->train.n);
  im.labels = xmalloc(sizeof(int) * (size_t)im.batch);
  train_model m = {.self = &im, .params = &out->params, .rng = &r, .nparams = out->nparams, .flops = out->flops,
                   .metric = TRAIN_ACCURACY, .begin_epoch = image_begin_epoch, .step_loss = image_step_loss,
                   .evaluate = image_evaluate};
  int rc = train_run(&m, t, o, g->search.reward, rep, err);
  free(im.perm);
  free(im.labels);
  if (rc) child_free(out);
  return rc;
}

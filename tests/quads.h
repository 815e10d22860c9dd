/* quads.h: a tiny image task for the tests that train children: 8x8
 * images with a bright 3x3 square over noise in one of four quadrants (the
 * class), the C twin of tap.sh's quads. */
#ifndef NASLC_TEST_QUADS_H
#define NASLC_TEST_QUADS_H

#include <stdlib.h>
#include <string.h>

#include "runtime/train/train.h"

/* n images of the task drawn from seed into d (malloc'd). */
static void quads_images(ds_images *d, int n, uint64_t seed) {
  rng r;
  rng_seed(&r, seed);
  d->n = n;
  d->c = 1, d->h = 8, d->w = 8, d->classes = 4;
  d->x = malloc(sizeof(float) * (size_t)n * 64);
  d->y = malloc(sizeof(int) * (size_t)n);
  for (int i = 0; i < n; i++) {
    int k = (int)rng_below(&r, 4), oy = k / 2 * 4, ox = k % 2 * 4;
    d->y[i] = k;
    for (int p = 0; p < 64; p++) d->x[i * 64 + p] = (float)rng_uniform(&r) * 0.3f;
    for (int yy = 0; yy < 3; yy++)
      for (int xx = 0; xx < 3; xx++) d->x[i * 64 + (oy + yy) * 8 + ox + xx] += 1.0f;
  }
}

/* 320 training, 64 validation and 64 test images (seeds 1, 2, 3); release
 * with train_data_free. */
static void quads_data(train_data *d) {
  memset(d, 0, sizeof *d);
  quads_images(&d->train, 320, 1);
  quads_images(&d->valid, 64, 2);
  quads_images(&d->test, 64, 3);
  d->shape = (child_shape){1, 8, 8};
  d->classes = 4;
}

#endif

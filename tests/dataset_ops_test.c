/* dataset_ops_test.c: what the trainer does with a loaded image set, on
 * synthetic images in memory: the seeded validation split, per-channel
 * statistics and normalisation, shuffling, and batches with random crops
 * and flips against a reference computed here. (Reading the files is
 * dataset_test.c.) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/data/dataset.h"
#include "tap.h"

static int is_zeroed(const ds_images *d) {
  return d->x == NULL && d->y == NULL && d->n == 0 && d->c == 0 && d->h == 0 && d->w == 0 && d->classes == 0;
}

/* Checks a failed call: -1, output zeroed, a one-line message that starts
 * with who and contains want. */
static void check_fail(const char *label, int rc, const ds_images *d, const strbuf *err, const char *who,
                       const char *want) {
  int ok = rc == -1 && is_zeroed(d) && strncmp(err->data, who, strlen(who)) == 0 && strstr(err->data, want) &&
           !strchr(err->data, '\n');
  tap_result(ok, "error: %s", label);
  if (!ok) tap_diag("rc %d, message: %s (wanted prefix %s and %s)", rc, err->data, who, want);
}

/* ---- split, stats, shuffle, batch --------------------------------------- */

/* n examples of c x h x w; example i is filled with i + ch/10 + offset
 * pattern; label i % classes. */
static void make_synthetic(ds_images *d, int n, int c, int h, int w, int classes) {
  d->n = n;
  d->c = c;
  d->h = h;
  d->w = w;
  d->classes = classes;
  size_t img = (size_t)c * h * w;
  d->x = malloc((size_t)n * img * sizeof(float) + 1);
  d->y = malloc((size_t)n * sizeof(int) + 1);
  for (int i = 0; i < n; i++) {
    d->y[i] = i % classes;
    for (size_t k = 0; k < img; k++) d->x[i * img + k] = (float)i * 1000 + (float)k;
  }
}

/* Which example of the synthetic set does a copied image come from? */
static int source_of(const float *x) { return (int)(x[0] / 1000); }

static void test_split(void) {
  ds_images all;
  make_synthetic(&all, 50, 2, 3, 3, 5);
  size_t img = 18;
  strbuf err;
  strbuf_init(&err);
  ds_images part, rest;
  int rc = ds_split(&all, 20, 42, &part, &rest, &err);
  int seen[50] = {0}, ok = rc == 0 && part.n == 20 && rest.n == 30 && part.c == 2 && part.h == 3 && part.w == 3 &&
                              part.classes == 5 && rest.classes == 5;
  for (int i = 0; ok && i < part.n; i++) {
    int s = source_of(part.x + i * img);
    seen[s]++;
    if (memcmp(part.x + i * img, all.x + s * img, img * sizeof(float)) != 0 || part.y[i] != all.y[s]) ok = 0;
  }
  for (int i = 0; ok && i < rest.n; i++) {
    int s = source_of(rest.x + i * img);
    seen[s]++;
    if (memcmp(rest.x + i * img, all.x + s * img, img * sizeof(float)) != 0 || rest.y[i] != all.y[s]) ok = 0;
  }
  for (int i = 0; i < 50; i++)
    if (seen[i] != 1) ok = 0;
  tap_result(ok, "split: disjoint, complete, copies of the right examples");
  int identity = 1;
  for (int i = 0; i < 20; i++)
    if (source_of(part.x + i * img) != i) identity = 0;
  tap_result(!identity, "split: the part is shuffled, not a prefix");

  ds_images part2, rest2;
  ds_split(&all, 20, 42, &part2, &rest2, &err);
  tap_result(memcmp(part.x, part2.x, 20 * img * sizeof(float)) == 0 &&
                 memcmp(rest.x, rest2.x, 30 * img * sizeof(float)) == 0 &&
                 memcmp(part.y, part2.y, 20 * sizeof(int)) == 0,
             "split: same seed, same split");
  ds_free(&part2);
  ds_free(&rest2);
  ds_split(&all, 20, 43, &part2, NULL, &err);
  tap_result(memcmp(part.x, part2.x, 20 * img * sizeof(float)) != 0, "split: different seed, different split");
  ds_free(&part2);
  ds_free(&part);
  ds_free(&rest);

  rc = ds_split(&all, 0, 1, &part, &rest, &err);
  tap_result(rc == 0 && part.n == 0 && part.x && part.y && rest.n == 50, "split: count 0");
  ds_free(&part);
  ds_free(&rest);
  rc = ds_split(&all, 50, 1, &part, &rest, &err);
  tap_result(rc == 0 && part.n == 50 && rest.n == 0, "split: count n");
  ds_free(&part);
  ds_free(&rest);
  rc = ds_split(&all, 30, 1, NULL, &rest, &err);
  tap_result(rc == 0 && rest.n == 20, "split: part may be NULL");
  ds_free(&rest);
  tap_result(err.len == 0, "split: no message on success");

  memset(&part, 0xAB, sizeof part);
  rc = ds_split(&all, 51, 1, &part, &rest, &err);
  check_fail("split: count above n", rc, &part, &err, "ds_split:", "count 51 is out of range 0..50");
  strbuf_clear(&err);
  rc = ds_split(&all, -1, 1, &part, NULL, &err);
  check_fail("split: negative count", rc, &part, &err, "ds_split:", "count -1 is out of range 0..50");
  strbuf_free(&err);
  ds_free(&all);
}

static void test_stats(void) {
  /* 2 examples, 2 channels of 2x2: channel 0 = 1,2,3,4 / 5,6,7,8; channel 1
   * constant 3 (std 0). */
  ds_images d = {0};
  d.n = 2;
  d.c = 2;
  d.h = 2;
  d.w = 2;
  d.classes = 2;
  float x[16] = {1, 2, 3, 4, 3, 3, 3, 3, 5, 6, 7, 8, 3, 3, 3, 3};
  int y[2] = {0, 1};
  d.x = x;
  d.y = y;
  float mean[2], std[2];
  ds_channel_stats(&d, mean, std);
  double want_std = sqrt(21.0 / 4.0); /* population std of 1..8 */
  tap_result(fabsf(mean[0] - 4.5f) < 1e-6f && fabsf(std[0] - (float)want_std) < 1e-6f && mean[1] == 3.0f &&
                 std[1] == 0.0f,
             "stats: per-channel mean and population std");
  ds_normalize(&d, mean, std);
  tap_result(fabsf(x[0] - (float)((1 - 4.5) / want_std)) < 1e-6f && x[4] == 0.0f && x[15] == 0.0f,
             "normalize: (x - mean) / std, std 0 treated as 1");

  ds_images s;
  make_synthetic(&s, 7, 3, 5, 4, 3);
  for (size_t i = 0; i < 7 * 60; i++) s.x[i] = (float)((i * 2654435761u) % 1000) / 100.0f;
  float m3[3], s3[3];
  ds_channel_stats(&s, m3, s3);
  ds_normalize(&s, m3, s3);
  ds_channel_stats(&s, m3, s3);
  int ok = 1;
  for (int ch = 0; ch < 3; ch++)
    if (fabsf(m3[ch]) > 1e-5f || fabsf(s3[ch] - 1) > 1e-5f) ok = 0;
  tap_result(ok, "normalize: mean ~0 and std ~1 afterwards");
  ds_free(&s);
  ds_images e = {0};
  e.c = 1;
  e.h = e.w = 2;
  ds_channel_stats(&e, m3, s3);
  tap_result(m3[0] == 0 && s3[0] == 0, "stats: empty set gives 0");
}

static int is_perm(const int *p, int n) {
  char *seen = calloc((size_t)n + 1, 1);
  int ok = 1;
  for (int i = 0; i < n; i++) {
    if (p[i] < 0 || p[i] >= n || seen[p[i]]) ok = 0;
    else seen[p[i]] = 1;
  }
  free(seen);
  return ok;
}

static void test_shuffle(void) {
  enum { N = 1000 };
  static int a[N], b[N], c[N];
  rng r;
  rng_seed(&r, 7);
  ds_shuffle(N, a, &r);
  rng_seed(&r, 7);
  ds_shuffle(N, b, &r);
  rng_seed(&r, 8);
  ds_shuffle(N, c, &r);
  int fixed = 0;
  for (int i = 0; i < N; i++) fixed += a[i] == i;
  tap_result(is_perm(a, N) && is_perm(c, N), "shuffle: a permutation of 0..n-1");
  tap_result(memcmp(a, b, sizeof a) == 0, "shuffle: same seed, same permutation");
  tap_result(memcmp(a, c, sizeof a) != 0 && fixed < 20, "shuffle: different seed differs, not the identity");
  /* every one of the 6 permutations of 3 appears */
  int counts[6] = {0};
  rng_seed(&r, 1);
  for (int t = 0; t < 6000; t++) {
    int p[3];
    ds_shuffle(3, p, &r);
    counts[p[0] * 2 + (p[1] > p[2])]++;
  }
  int ok = 1;
  for (int i = 0; i < 6; i++)
    if (counts[i] < 800 || counts[i] > 1200) ok = 0;
  tap_result(ok, "shuffle: uniform over the 6 permutations of 3");
  rng before = r;
  int one = -1;
  ds_shuffle(1, &one, &r);
  ds_shuffle(0, NULL, &r);
  tap_result(one == 0 && memcmp(&before, &r, sizeof r) == 0, "shuffle: n 0 and 1 draw nothing");
}

/* Independent reference for crop: pad explicitly, then take the window,
 * then mirror. */
static void reference_aug(const float *src, int c, int h, int w, int crop, int dy, int dx, int mirror, float *out) {
  int ph = h + 2 * crop, pw = w + 2 * crop;
  float *pad = calloc((size_t)c * ph * pw, sizeof(float));
  for (int ch = 0; ch < c; ch++)
    for (int i = 0; i < h; i++)
      for (int j = 0; j < w; j++) pad[(ch * ph + i + crop) * pw + j + crop] = src[(ch * h + i) * w + j];
  for (int ch = 0; ch < c; ch++)
    for (int i = 0; i < h; i++)
      for (int j = 0; j < w; j++) {
        float v = pad[(ch * ph + i + dy) * pw + j + dx];
        out[(ch * h + i) * w + (mirror ? w - 1 - j : j)] = v;
      }
  free(pad);
}

/* Without augmentation a batch is a copy of the chosen examples, and no
 * random numbers are drawn. */
static void batch_copies(const ds_images *d, size_t img) {
  int perm[12];
  rng r;
  rng_seed(&r, 3);
  ds_shuffle(12, perm, &r);
  float x[5 * 40];
  int y[5];
  rng before = r;
  ds_batch(d, perm, 4, 5, 0, 0, NULL, x, y);
  int ok = memcmp(&before, &r, sizeof r) == 0;
  for (int k = 0; k < 5; k++)
    if (memcmp(x + k * img, d->x + perm[4 + k] * img, img * sizeof(float)) != 0 || y[k] != d->y[perm[4 + k]]) ok = 0;
  tap_result(ok, "batch: copies examples perm[start..start+count) with labels");
  ds_batch(d, NULL, 7, 5, 0, 0, NULL, x, NULL);
  ok = 1;
  for (int k = 0; k < 5; k++)
    if (memcmp(x + k * img, d->x + (7 + k) * img, img * sizeof(float)) != 0) ok = 0;
  tap_result(ok, "batch: perm NULL is the identity, y_out may be NULL");
}

/* crop with a known image: 1 channel 3x3 of 1..9, crop 1 */
static void batch_crop_known_pixel(void) {
  ds_images s = {0};
  float px[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  int ly = 0;
  s.n = 1;
  s.c = 1;
  s.h = s.w = 3;
  s.classes = 2;
  s.x = px;
  s.y = &ly;
  /* find a seed whose first draws are dy = 0, dx = 2 (shift down-left) */
  uint64_t seed = 0;
  for (;; seed++) {
    rng t;
    rng_seed(&t, seed);
    int dy = (int)rng_below(&t, 3), dx = (int)rng_below(&t, 3);
    if (dy == 0 && dx == 2) break;
  }
  rng r;
  rng_seed(&r, seed);
  int zero = 0;
  float out[9];
  ds_batch(&s, &zero, 0, 1, 1, 0, &r, out, NULL);
  /* output (i, j) = input (i - 1, j + 1): top row zero, right column zero */
  float want[9] = {0, 0, 0, 2, 3, 0, 5, 6, 0};
  tap_result(memcmp(out, want, sizeof want) == 0, "batch: crop shifts a known pixel and fills with zeros");
}

/* crop and flip against the reference, many draws: a twin generator
 * replays the draws ds_batch makes */
static void batch_crop_flip_reference(const ds_images *d, size_t img, const int *idx, float *xb) {
  float ref[40];
  rng r;
  rng_seed(&r, 99);
  rng twin = r;
  ds_batch(d, idx, 0, 200, 2, 1, &r, xb, NULL);
  int offsets[5][5] = {{0}}, flips = 0, zeros = 0;
  int ok = 1;
  for (int k = 0; k < 200; k++) {
    int dy = (int)rng_below(&twin, 5), dx = (int)rng_below(&twin, 5), mirror = rng_below(&twin, 2) == 1;
    offsets[dy][dx]++;
    flips += mirror;
    reference_aug(d->x + idx[k] * img, 2, 4, 5, 2, dy, dx, mirror, ref);
    if (memcmp(ref, xb + k * img, sizeof ref) != 0) ok = 0;
    for (int v = 0; v < 40; v++) zeros += xb[k * img + v] == 0 && idx[k] != 0;
  }
  int all_offsets = 1;
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 5; j++)
      if (!offsets[i][j]) all_offsets = 0;
  tap_result(ok && memcmp(&twin, &r, sizeof r) == 0, "batch: crop 2 + flip match a pad/window/mirror reference");
  tap_result(all_offsets && flips > 60 && flips < 140 && zeros > 0, "batch: every offset and both flips occur");
}

/* flip only: mirror or identity */
static void batch_flip_only(const ds_images *d, size_t img, const int *idx, float *xb) {
  rng r;
  rng_seed(&r, 5);
  rng twin = r;
  ds_batch(d, idx, 0, 64, 0, 1, &r, xb, NULL);
  int mirrored = 0, same = 0;
  int ok = 1;
  for (int k = 0; k < 64; k++) {
    int m = rng_below(&twin, 2) == 1;
    const float *src = d->x + idx[k] * img, *o = xb + k * img;
    for (int ch = 0; ch < 2; ch++)
      for (int i = 0; i < 4; i++)
        for (int j = 0; j < 5; j++)
          if (o[(ch * 4 + i) * 5 + j] != src[(ch * 4 + i) * 5 + (m ? 4 - j : j)]) ok = 0;
    if (m) mirrored++;
    else same++;
  }
  tap_result(ok && mirrored > 10 && same > 10, "batch: flip mirrors each row (w-1-j) with probability 1/2");
}

/* Batches of 12 synthetic 2x4x5 examples (40 floats each). */
static void test_batch(void) {
  ds_images d;
  make_synthetic(&d, 12, 2, 4, 5, 4);
  size_t img = 40;
  batch_copies(&d, img);
  batch_crop_known_pixel();
  float *xb = malloc(200 * img * sizeof(float));
  int idx[200];
  for (int k = 0; k < 200; k++) idx[k] = k % 12;
  batch_crop_flip_reference(&d, img, idx, xb);
  batch_flip_only(&d, img, idx, xb);
  free(xb);
  ds_free(&d);
}

int main(void) {
  test_split();
  test_stats();
  test_shuffle();
  test_batch();
  return tap_done();
}

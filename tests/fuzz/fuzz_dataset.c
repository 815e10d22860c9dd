/* fuzz_dataset.c: the image data set readers (runtime/data/dataset.c) on
 * any bytes: IDX (MNIST, Fashion-MNIST), CIFAR-10 and CIFAR-100, each
 * gzipped or not.
 *
 * The first byte picks the reader (its value mod 3):
 *   0  IDX: bytes 1-2 are a big-endian length L; the next L bytes (or all
 *      that is left) are the images file, the rest the labels file;
 *   1  CIFAR-10: the rest is test_batch.bin;
 *   2  CIFAR-100: the rest is test.bin.
 * Promises checked (dataset.h): a refusal has a message and leaves the
 * output zeroed; an accepted set has 1 or more examples of the documented
 * shape, labels below its class count and values in [0, 1]. */
#include <string.h>

#include "runtime/data/dataset.h"
#include "tests/fuzz/harness.h"

static void check_set(const ds_images *d) {
  fuzz_check(d->n >= 1 && d->c >= 1 && d->h >= 1 && d->w >= 1 && d->classes >= 2 && d->x && d->y,
             "an accepted data set is empty or has no buffers");
  size_t values = (size_t)d->n * (size_t)d->c * (size_t)d->h * (size_t)d->w;
  for (size_t i = 0; i < values; i++) fuzz_check(d->x[i] >= 0 && d->x[i] <= 1, "a value outside [0, 1]");
  for (int i = 0; i < d->n; i++) fuzz_check(d->y[i] >= 0 && d->y[i] < d->classes, "a label outside the classes");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  ds_images d;
  memset(&d, 0xa5, sizeof d); /* the loaders must zero it on failure */
  strbuf err;
  strbuf_init(&err);
  int rc;
  switch (data[0] % 3) {
    case 0: {
      size_t len = size >= 3 ? (size_t)data[1] << 8 | data[2] : 0, rest = size >= 3 ? size - 3 : 0;
      if (len > rest) len = rest;
      const uint8_t *p = data + (size >= 3 ? 3 : size);
      char images[4200];
      snprintf(images, sizeof images, "%s", fuzz_write_file("images-idx3-ubyte", p, len));
      const char *labels = fuzz_write_file("labels-idx1-ubyte", p + len, rest - len);
      rc = ds_load_idx(images, labels, 2 + (int)(size % 255), &d, &err); /* 2..256 classes, as a dataset may declare */
      break;
    }
    case 1:
      fuzz_write_file("test_batch.bin", data + 1, size - 1);
      rc = ds_load_cifar10(fuzz_temp_dir(), 0, &d, &err);
      break;
    default:
      fuzz_write_file("test.bin", data + 1, size - 1);
      rc = ds_load_cifar100(fuzz_temp_dir(), 0, &d, &err);
  }
  if (rc == 0) {
    check_set(&d);
  } else {
    ds_images zero;
    memset(&zero, 0, sizeof zero);
    fuzz_check(err.len > 0 && !memcmp(&d, &zero, sizeof d), "a refusal without a message or not zeroed");
  }
  ds_free(&d);
  strbuf_free(&err);
  return 0;
}

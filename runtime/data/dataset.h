/* dataset.h: image classification data sets in memory (NCHW floats + labels).
 *
 * Loaders for the IDX format (MNIST, Fashion-MNIST) and the CIFAR-10 and
 * CIFAR-100 binary formats, plus what training needs on top of them: a seeded
 * train/validation split, per-channel statistics and normalisation, and
 * minibatch assembly with optional random-crop and horizontal-flip
 * augmentation.
 *
 * Files: every loader reads each file whole and, when it starts with the gzip
 * magic bytes 1f 8b (whatever its name), inflates it in one go with zlib
 * (concatenated gzip members are accepted; anything after the last member,
 * a truncated stream or a bad CRC is an error). Pixel bytes b become b / 255
 * exactly as float, so values lie in [0, 1].
 *
 * Errors: each function returning int gives 0, or -1 after appending one line
 * (no trailing newline) to *err when err is not NULL. The line starts with
 * the path of the file concerned (or "ds_split:" for an argument error), says
 * what is wrong and what to do, e.g.
 *   "/d/train-images-idx3-ubyte.gz: truncated: header says 10 images of 4x3
 *    (136 bytes), file has 130 bytes after decompression; the file is
 *    incomplete, fetch it again".
 * Nothing here exits or aborts, except when malloc fails (fatal everywhere in
 * naslc, see arena.h).
 *
 * Ownership: a ds_images filled by a loader or by ds_split owns its x and y
 * (malloc'd, never NULL, even for 0 examples) and is released by ds_free. On
 * failure the output is left zeroed, so ds_free on it is harmless. A zeroed
 * ds_images ({0}) is an empty, valid-to-free value. */
#ifndef NASLC_DATASET_H
#define NASLC_DATASET_H

#include <stdint.h>

#include "common/strbuf.h"
#include "common/rng.h"

/* Where the Debian package dataset-fashion-mnist installs Fashion-MNIST. */
#define DS_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

/* Limits checked by the IDX loader: each image side is 1..DS_MAX_SIDE
 * pixels and a data set holds 1..DS_MAX_EXAMPLES examples of at most
 * DS_MAX_VALUES values in all (so n*c*h*w fits comfortably in memory and in
 * size_t arithmetic). Decompressed files may not exceed DS_MAX_FILE_BYTES. */
#define DS_MAX_SIDE 4096
#define DS_MAX_EXAMPLES 100000000
#define DS_MAX_VALUES ((uint64_t)1 << 31)
#define DS_MAX_FILE_BYTES ((uint64_t)1 << 33)

typedef struct ds_images {
  int n;            /* examples */
  int c, h, w;      /* shape of one image (NCHW) */
  int classes;      /* number of classes (labels are 0..classes-1) */
  float *x;         /* n*c*h*w values, bytes scaled to [0, 1] */
  int *y;           /* n labels */
} ds_images;

/* Loads a pair of IDX files (MNIST / Fashion-MNIST layout), each gzipped or
 * not: images_path holds big-endian magic 0x00000803, then u32 n, rows, cols
 * and n*rows*cols unsigned bytes (row-major); labels_path holds magic
 * 0x00000801, u32 n and n label bytes. The data set has `classes` classes
 * (2..256, as its declaration says; see nasl(5)), so every label must be
 * below it. The result has c = 1, h = rows, w = cols and that many classes.
 * Checks: classes in 2..256, magic numbers (a swapped images/labels pair is
 * named as such), the two counts are equal, each file's size matches its
 * header exactly (truncated or trailing data is an error), rows and cols in
 * 1..DS_MAX_SIDE, n in 1..DS_MAX_EXAMPLES, n*rows*cols <= DS_MAX_VALUES,
 * and the labels, the first one too large named with its item (from 0):
 *   "/d/t10k-labels-idx1-ubyte: label 200 at item 17 is outside the 10
 *    classes of the data set (labels 0..9); the labels do not belong to it,
 *    or it has more classes: declare them with 'classes: N' in its loader
 *    call". */
int ds_load_idx(const char *images_path, const char *labels_path, int classes, ds_images *out, strbuf *err);

/* Loads the training set (train != 0: train-images-idx3-ubyte and
 * train-labels-idx1-ubyte) or the test set (t10k-images-idx3-ubyte,
 * t10k-labels-idx1-ubyte) from a directory in the MNIST layout, as
 * ds_load_idx with `classes`. For each file the plain name is tried first,
 * then the name with ".gz". When the directory or a file is missing, the
 * message names the file looked for (both spellings) and, for
 * DS_FASHION_MNIST_DIR, suggests `apt-get install dataset-fashion-mnist`. */
int ds_load_mnist_dir(const char *dir, int train, int classes, ds_images *out, strbuf *err);

/* Loads both sets of an MNIST-layout directory, the training set first (as
 * ds_load_mnist_dir), and checks that they fit together: the test images
 * must have the training images' size, else the message names both files,
 *   "/d/t10k-images-idx3-ubyte: images are 14x14, the training images
 *    (/d/train-images-idx3-ubyte) are 28x28; the test set must hold images
 *    of the training set's size".
 * On failure both outputs are left zeroed. */
int ds_load_mnist(const char *dir, int classes, ds_images *train, ds_images *test, strbuf *err);

/* Loads CIFAR-10 in its binary version from dir (the extracted
 * cifar-10-batches-bin directory): data_batch_1.bin .. data_batch_5.bin in
 * that order (train != 0; all five are required) or test_batch.bin. Each
 * record is 1 label byte then 3072 pixel bytes (3x32x32, channel-major:
 * all red, then green, then blue). Result: c = 3, h = w = 32, classes = 10.
 * Each file must be non-empty and a whole number of 3073-byte records, and
 * every label must be below 10. */
int ds_load_cifar10(const char *dir, int train, ds_images *out, strbuf *err);

/* Loads CIFAR-100 in its binary version from dir (the extracted
 * cifar-100-binary directory): train.bin (train != 0) or test.bin. Each record
 * is 2 label bytes (coarse 0..19, fine 0..99) then 3072 pixel bytes as in
 * CIFAR-10; the fine label is used, classes = 100. Records are 3074 bytes;
 * both labels are range-checked. */
int ds_load_cifar100(const char *dir, int train, ds_images *out, strbuf *err);

/* Releases d's buffers and zeroes it. d may be NULL or already zeroed. */
void ds_free(ds_images *d);

/* Splits all by a permutation of 0..n-1 drawn (ds_shuffle) from an rng seeded
 * with seed: its first count examples, in permutation order, are copied into
 * *part and the rest into *rest (either may be NULL to skip it). The outputs
 * keep all's shape and classes, own their buffers (ds_free) and must not be
 * all itself. count must be in 0..all->n; otherwise -1 with a message and
 * the outputs zeroed. The same seed always gives the same split. */
int ds_split(const ds_images *all, int count, uint64_t seed, ds_images *part, ds_images *rest, strbuf *err);

/* Per-channel mean and population standard deviation over every pixel of
 * every example (accumulated in double): mean and std have d->c entries each.
 * With n = 0 they are 0. */
void ds_channel_stats(const ds_images *d, float *mean, float *std);

/* In place: x = (x - mean[ch]) / std[ch] for every value of channel ch; a
 * std of 0 is treated as 1. */
void ds_normalize(ds_images *d, const float *mean, const float *std);

/* Fills perm[0..n) with a uniformly random permutation of 0..n-1: identity,
 * then Fisher-Yates from the end (for i = n-1 down to 1 swap perm[i] with
 * perm[rng_below(r, i+1)]). n <= 0 does nothing and draws nothing. */
void ds_shuffle(int n, int *perm, rng *r);

/* Copies examples perm[start], ..., perm[start+count-1] of d (perm NULL means
 * the identity order) into x_out (count*c*h*w floats, NCHW) and y_out (count
 * labels; may be NULL to skip labels). Preconditions, not checked (this
 * function cannot fail): count >= 0, start >= 0, perm has at least
 * start+count entries, each in 0..d->n-1 (without perm, start+count <= d->n),
 * and x_out does not overlap d->x.
 * Augmentation, drawn from r per example in this order:
 *   crop > 0: the image is padded with `crop` zero pixels on each side and a
 *     window of h x w taken at offsets dy = rng_below(r, 2*crop+1) then
 *     dx = rng_below(r, 2*crop+1) in the padded image, i.e. output (i, j) is
 *     input (i + dy - crop, j + dx - crop), or 0 outside the image; the same
 *     offsets apply to every channel.
 *   flip != 0: with rng_below(r, 2) == 1 the (cropped) image is mirrored
 *     horizontally: output (i, j) becomes (i, w-1-j).
 * r may be NULL when crop == 0 and flip == 0; nothing is drawn then. */
void ds_batch(const ds_images *d, const int *perm, int start, int count, int crop, int flip, rng *r, float *x_out,
              int *y_out);

#endif

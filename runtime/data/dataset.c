/* dataset.c: see dataset.h. */
#define _POSIX_C_SOURCE 200809L
#include "runtime/data/dataset.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/arena.h"

#define FASHION_HINT "install Fashion-MNIST with `apt-get install dataset-fashion-mnist`"

static void errf(strbuf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void errf(strbuf *err, const char *fmt, ...) {
  if (!err) return;
  va_list ap;
  va_start(ap, fmt);
  strbuf_vprintf(err, fmt, ap);
  va_end(ap);
}

/* ---- reading files ---------------------------------------------------- */

/* A whole file's bytes, decompressed when it was gzip. */
typedef struct blob {
  unsigned char *p;  /* malloc'd, len bytes (never NULL after a success) */
  size_t len;
  int gz;            /* 1 when the file was gzip-compressed */
} blob;

static void blob_free(blob *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}

/* " after decompression" when the sizes in a message are of inflated data. */
static const char *decomp(const blob *b) { return b->gz ? " after decompression" : ""; }

/* Reads path whole: one allocation sized by fstat for a regular file. */
static int read_raw(const char *path, blob *out, strbuf *err) {
  int fd;
  do fd = open(path, O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    int e = errno;
    errf(err, "%s: cannot open: %s; %s", path, strerror(e),
         e == EACCES ? "check the file's permissions" : "check the path");
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    errf(err, "%s: cannot stat: %s; check the path", path, strerror(e));
    return -1;
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    errf(err, "%s: is a directory, not a data file; pass the path of a file inside it", path);
    return -1;
  }
  if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > DS_MAX_FILE_BYTES) {
    close(fd);
    errf(err, "%s: file is %lld bytes, more than the %llu-byte limit; this is not a supported data set file", path,
         (long long)st.st_size, (unsigned long long)DS_MAX_FILE_BYTES);
    return -1;
  }
  size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : (size_t)1 << 20;
  unsigned char *p = xmalloc(cap);
  size_t len = 0;
  for (;;) {
    if (len == cap) {
      if ((uint64_t)cap > DS_MAX_FILE_BYTES) {
        free(p);
        close(fd);
        errf(err, "%s: file is more than %llu bytes; this is not a supported data set file", path,
             (unsigned long long)DS_MAX_FILE_BYTES);
        return -1;
      }
      cap *= 2;
      p = xrealloc(p, cap);
    }
    size_t want = cap - len;
    if (want > ((size_t)1 << 30)) want = (size_t)1 << 30;
    ssize_t r = read(fd, p + len, want);
    if (r < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      free(p);
      close(fd);
      errf(err, "%s: read error: %s; check the file and the disk", path, strerror(e));
      return -1;
    }
    if (r == 0) break;
    len += (size_t)r;
  }
  close(fd);
  out->p = p;
  out->len = len;
  out->gz = 0;
  return 0;
}

/* Inflates a gzip file (one or more members) held in raw; on success
 * replaces raw's bytes with the decompressed ones. */
static int gunzip(const char *path, blob *raw, strbuf *err) {
  const unsigned char *in = raw->p;
  size_t in_len = raw->len, in_pos = 0;
  /* The last 4 bytes (ISIZE) give the size mod 2^32 of a single-member file;
   * deflate cannot expand more than about 1032:1, which bounds the hint. */
  uint64_t cap64 = 64;
  if (in_len >= 18) {
    const unsigned char *t = in + in_len - 4;
    uint64_t isize = (uint64_t)t[0] | (uint64_t)t[1] << 8 | (uint64_t)t[2] << 16 | (uint64_t)t[3] << 24;
    uint64_t bound = (uint64_t)in_len * 1032 + 64;
    cap64 = isize < bound ? isize : bound;
    if (cap64 < 64) cap64 = 64;
  }
  if (cap64 > DS_MAX_FILE_BYTES) cap64 = DS_MAX_FILE_BYTES;
  size_t cap = (size_t)cap64, out_len = 0;
  unsigned char *out = xmalloc(cap);

  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, 15 + 16) != Z_OK) {
    free(out);
    errf(err, "%s: cannot start gzip decompression (zlib: %s); check the zlib installation", path,
         zs.msg ? zs.msg : "init failed");
    return -1;
  }
  int rc = 0;
  for (;;) {
    if (out_len == cap) {
      if ((uint64_t)cap >= DS_MAX_FILE_BYTES) {
        errf(err, "%s: decompresses to more than %llu bytes; this is not a supported data set file", path,
             (unsigned long long)DS_MAX_FILE_BYTES);
        rc = -1;
        break;
      }
      uint64_t nc = (uint64_t)cap * 2;
      if (nc > DS_MAX_FILE_BYTES) nc = DS_MAX_FILE_BYTES;
      cap = (size_t)nc;
      out = xrealloc(out, cap);
    }
    size_t give_in = in_len - in_pos, give_out = cap - out_len;
    if (give_in > UINT_MAX) give_in = UINT_MAX;
    if (give_out > UINT_MAX) give_out = UINT_MAX;
    zs.next_in = (unsigned char *)in + in_pos;
    zs.avail_in = (uInt)give_in;
    zs.next_out = out + out_len;
    zs.avail_out = (uInt)give_out;
    int z = inflate(&zs, Z_NO_FLUSH);
    in_pos += give_in - zs.avail_in;
    out_len += give_out - zs.avail_out;
    if (z == Z_STREAM_END) {
      if (in_pos == in_len) break;
      if (in_len - in_pos >= 2 && in[in_pos] == 0x1f && in[in_pos + 1] == 0x8b) {
        inflateReset(&zs); /* another gzip member follows */
        continue;
      }
      errf(err,
           "%s: %zu bytes of trailing garbage after the gzip stream; the file is corrupt, fetch it again "
           "(`gzip -t` checks it)",
           path, in_len - in_pos);
      rc = -1;
      break;
    }
    if (z == Z_OK) continue;
    if (z == Z_BUF_ERROR) {
      if (out_len == cap) continue; /* needs more room */
      if (in_pos == in_len) {
        errf(err,
             "%s: truncated gzip stream: the compressed data ends early (%zu bytes read, %zu decompressed); the "
             "file is incomplete, fetch it again (`gzip -t` checks it)",
             path, in_len, out_len);
        rc = -1;
        break;
      }
    }
    errf(err, "%s: corrupt gzip data (zlib: %s); the file is damaged, fetch it again (`gzip -t` checks it)", path,
         zs.msg ? zs.msg : "error");
    rc = -1;
    break;
  }
  inflateEnd(&zs);
  if (rc != 0) {
    free(out);
    return -1;
  }
  free(raw->p);
  raw->p = out;
  raw->len = out_len;
  raw->gz = 1;
  return 0;
}

/* Reads path whole, inflating it when it starts with the gzip magic bytes,
 * and rejects an empty file. */
static int load_file(const char *path, blob *out, strbuf *err) {
  memset(out, 0, sizeof *out);
  if (read_raw(path, out, err) != 0) return -1;
  if (out->len == 0) {
    blob_free(out);
    errf(err, "%s: empty file (0 bytes); the download or extraction failed, fetch the file again", path);
    return -1;
  }
  if (out->len >= 2 && out->p[0] == 0x1f && out->p[1] == 0x8b && gunzip(path, out, err) != 0) {
    blob_free(out);
    return -1;
  }
  return 0;
}

/* ---- conversion --------------------------------------------------------- */

/* lut[b] = b / 255 exactly as float, so 0 and 255 give 0 and 1. */
static void fill_lut(float *lut) {
  for (int i = 0; i < 256; i++) lut[i] = (float)i / 255.0f;
}

static void bytes_to_floats(const float *lut, const unsigned char *src, size_t n, float *dst) {
  for (size_t i = 0; i < n; i++) dst[i] = lut[src[i]];
}

static void zero_images(ds_images *d) {
  if (d) memset(d, 0, sizeof *d);
}

void ds_free(ds_images *d) {
  if (!d) return;
  free(d->x);
  free(d->y);
  memset(d, 0, sizeof *d);
}

/* ---- IDX ---------------------------------------------------------------- */

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Names what an IDX magic number denotes, for messages about a wrong one. */
static void describe_magic(uint32_t magic, char *buf, size_t size) {
  if ((magic >> 16) == 0 && ((magic >> 8) & 0xff) >= 0x08 && ((magic >> 8) & 0xff) <= 0x0e)
    snprintf(buf, size, "an IDX file with %u dimensions of type 0x%02x", magic & 0xff, (magic >> 8) & 0xff);
  else
    snprintf(buf, size, "not an IDX file");
}

/* Checks an IDX images file; sets n, rows, cols. */
static int check_idx_images(const char *path, const blob *b, uint32_t *n, uint32_t *rows, uint32_t *cols,
                            strbuf *err) {
  if (b->len < 4) {
    errf(err, "%s: truncated: %zu bytes%s is too short for the 16-byte IDX images header; fetch the file again",
         path, b->len, decomp(b));
    return -1;
  }
  uint32_t magic = be32(b->p);
  if (magic != 0x00000803) {
    if (magic == 0x00000801) {
      errf(err,
           "%s: wrong magic number 0x00000801: this is an IDX labels file, not images; pass the images file "
           "(e.g. train-images-idx3-ubyte) first and the labels file second",
           path);
    } else {
      char what[96];
      describe_magic(magic, what, sizeof what);
      errf(err,
           "%s: wrong magic number 0x%08x (%s), expected 0x00000803 for IDX unsigned-byte images; check that the "
           "path names an MNIST-style images file",
           path, magic, what);
    }
    return -1;
  }
  if (b->len < 16) {
    errf(err, "%s: truncated: %zu bytes%s is too short for the 16-byte IDX images header; fetch the file again",
         path, b->len, decomp(b));
    return -1;
  }
  *n = be32(b->p + 4);
  *rows = be32(b->p + 8);
  *cols = be32(b->p + 12);
  if (*rows < 1 || *rows > DS_MAX_SIDE || *cols < 1 || *cols > DS_MAX_SIDE) {
    errf(err, "%s: image size %ux%u is outside the supported 1..%d pixels per side; the header is corrupt", path,
         *rows, *cols, DS_MAX_SIDE);
    return -1;
  }
  if (*n < 1 || *n > DS_MAX_EXAMPLES) {
    errf(err, "%s: header says %u images, outside the supported 1..%d; the header is corrupt or the file is empty",
         path, *n, DS_MAX_EXAMPLES);
    return -1;
  }
  uint64_t values = (uint64_t)*n * *rows * *cols;
  if (values > DS_MAX_VALUES) {
    errf(err, "%s: %u images of %ux%u are %llu values, more than the supported %llu; use a smaller data set", path,
         *n, *rows, *cols, (unsigned long long)values, (unsigned long long)DS_MAX_VALUES);
    return -1;
  }
  uint64_t want = 16 + values;
  if ((uint64_t)b->len < want) {
    errf(err,
         "%s: truncated: header says %u images of %ux%u (%llu bytes), file has %zu bytes%s; the file is "
         "incomplete, fetch it again",
         path, *n, *rows, *cols, (unsigned long long)want, b->len, decomp(b));
    return -1;
  }
  if ((uint64_t)b->len > want) {
    errf(err,
         "%s: %llu trailing bytes: header says %u images of %ux%u (%llu bytes), file has %zu bytes%s; the file is "
         "corrupt or not an IDX images file, fetch it again",
         path, (unsigned long long)(b->len - want), *n, *rows, *cols, (unsigned long long)want, b->len, decomp(b));
    return -1;
  }
  return 0;
}

/* Checks an IDX labels file; sets n. */
static int check_idx_labels(const char *path, const blob *b, uint32_t *n, strbuf *err) {
  if (b->len < 4) {
    errf(err, "%s: truncated: %zu bytes%s is too short for the 8-byte IDX labels header; fetch the file again",
         path, b->len, decomp(b));
    return -1;
  }
  uint32_t magic = be32(b->p);
  if (magic != 0x00000801) {
    if (magic == 0x00000803) {
      errf(err,
           "%s: wrong magic number 0x00000803: this is an IDX images file, not labels; pass the images file first "
           "and the labels file (e.g. train-labels-idx1-ubyte) second",
           path);
    } else {
      char what[96];
      describe_magic(magic, what, sizeof what);
      errf(err,
           "%s: wrong magic number 0x%08x (%s), expected 0x00000801 for IDX unsigned-byte labels; check that the "
           "path names an MNIST-style labels file",
           path, magic, what);
    }
    return -1;
  }
  if (b->len < 8) {
    errf(err, "%s: truncated: %zu bytes%s is too short for the 8-byte IDX labels header; fetch the file again",
         path, b->len, decomp(b));
    return -1;
  }
  *n = be32(b->p + 4);
  uint64_t want = 8 + (uint64_t)*n;
  if ((uint64_t)b->len < want) {
    errf(err,
         "%s: truncated: header says %u labels (%llu bytes), file has %zu bytes%s; the file is incomplete, fetch it "
         "again",
         path, *n, (unsigned long long)want, b->len, decomp(b));
    return -1;
  }
  if ((uint64_t)b->len > want) {
    errf(err,
         "%s: %llu trailing bytes: header says %u labels (%llu bytes), file has %zu bytes%s; the file is corrupt "
         "or not an IDX labels file, fetch it again",
         path, (unsigned long long)(b->len - want), *n, (unsigned long long)want, b->len, decomp(b));
    return -1;
  }
  return 0;
}

/* 0 when every one of the n labels (bytes) is below classes, else -1 naming
 * the first that is not. */
static int check_idx_classes(const char *path, const unsigned char *labels, uint32_t n, int classes, strbuf *err) {
  for (uint32_t i = 0; i < n; i++)
    if (labels[i] >= classes) {
      errf(err,
           "%s: label %d at item %u is outside the %d classes of the data set (labels 0..%d); the labels do not "
           "belong to it, or it has more classes: declare them with 'classes: N' in its loader call",
           path, labels[i], i, classes, classes - 1);
      return -1;
    }
  return 0;
}

int ds_load_idx(const char *images_path, const char *labels_path, int classes, ds_images *out, strbuf *err) {
  zero_images(out);
  if (classes < 2 || classes > 256) {
    errf(err, "ds_load_idx: %d classes; IDX labels are bytes, so a data set has 2 to 256 classes", classes);
    return -1;
  }
  blob im, lb;
  uint32_t n = 0, rows = 0, cols = 0, nl = 0;
  if (load_file(images_path, &im, err) != 0) return -1;
  if (check_idx_images(images_path, &im, &n, &rows, &cols, err) != 0) {
    blob_free(&im);
    return -1;
  }
  if (load_file(labels_path, &lb, err) != 0) {
    blob_free(&im);
    return -1;
  }
  if (check_idx_labels(labels_path, &lb, &nl, err) != 0) {
    blob_free(&im);
    blob_free(&lb);
    return -1;
  }
  if (nl != n) {
    errf(err,
         "%s: count mismatch: %u labels, but %s has %u images; use the labels file that belongs to these images "
         "(train with train, t10k with t10k)",
         labels_path, nl, images_path, n);
    blob_free(&im);
    blob_free(&lb);
    return -1;
  }
  if (check_idx_classes(labels_path, lb.p + 8, n, classes, err) != 0) {
    blob_free(&im);
    blob_free(&lb);
    return -1;
  }
  float lut[256];
  fill_lut(lut);
  size_t values = (size_t)n * rows * cols;
  float *x = xmalloc(values * sizeof(float));
  int *y = xmalloc((size_t)n * sizeof(int));
  bytes_to_floats(lut, im.p + 16, values, x);
  for (uint32_t i = 0; i < n; i++) y[i] = lb.p[8 + i];
  blob_free(&im);
  blob_free(&lb);
  out->n = (int)n;
  out->c = 1;
  out->h = (int)rows;
  out->w = (int)cols;
  out->classes = classes;
  out->x = x;
  out->y = y;
  return 0;
}

/* ---- directories -------------------------------------------------------- */

/* dir + "/" + name (no doubled slash), malloc'd. */
static char *join_path(const char *dir, const char *name, const char *suffix) {
  size_t dl = strlen(dir);
  int slash = dl > 0 && dir[dl - 1] == '/';
  size_t size = dl + 1 + strlen(name) + strlen(suffix) + 1;
  char *p = xmalloc(size);
  snprintf(p, size, "%s%s%s%s", dir, slash ? "" : "/", name, suffix);
  return p;
}

/* Is dir the default Fashion-MNIST directory (ignoring trailing slashes)? */
static int is_fashion_dir(const char *dir) {
  size_t dl = strlen(dir), fl = strlen(DS_FASHION_MNIST_DIR);
  while (dl > 1 && dir[dl - 1] == '/') dl--;
  return dl == fl && strncmp(dir, DS_FASHION_MNIST_DIR, fl) == 0;
}

/* 0 when dir is an existing directory, else -1 with a message built from
 * what (the files expected there) and hint (what to do). */
static int check_dir(const char *dir, const char *what, const char *hint, strbuf *err) {
  struct stat st;
  if (stat(dir, &st) != 0) {
    int e = errno;
    errf(err, "%s: cannot open the data set directory (%s), looked for %s there; %s", dir, strerror(e), what, hint);
    return -1;
  }
  if (!S_ISDIR(st.st_mode)) {
    errf(err, "%s: not a directory, expected one holding %s; %s", dir, what, hint);
    return -1;
  }
  return 0;
}

static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* Finds dir/name or dir/name.gz; returns the malloc'd path, or NULL with a
 * message naming both. */
static char *find_plain_or_gz(const char *dir, const char *name, const char *hint, strbuf *err) {
  char *plain = join_path(dir, name, "");
  if (exists(plain)) return plain;
  char *gz = join_path(dir, name, ".gz");
  if (exists(gz)) {
    free(plain);
    return gz;
  }
  errf(err, "%s: not found (nor %s); %s", plain, gz, hint);
  free(plain);
  free(gz);
  return NULL;
}

/* The images and labels files of the training (train != 0) or test set in
 * an MNIST-layout directory, malloc'd: 0, or -1 with a message and both
 * NULL. */
static int mnist_paths(const char *dir, int train, char **images, char **labels, strbuf *err) {
  *images = *labels = NULL;
  const char *prefix = train ? "train" : "t10k";
  const char *hint = is_fashion_dir(dir)
                         ? FASHION_HINT
                         : "pass a directory in the MNIST layout (train-images-idx3-ubyte[.gz], "
                           "train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz])";
  char images_name[64], labels_name[64], what[160];
  snprintf(images_name, sizeof images_name, "%s-images-idx3-ubyte", prefix);
  snprintf(labels_name, sizeof labels_name, "%s-labels-idx1-ubyte", prefix);
  snprintf(what, sizeof what, "%s[.gz] and %s[.gz]", images_name, labels_name);
  if (check_dir(dir, what, hint, err) != 0) return -1;
  if (!(*images = find_plain_or_gz(dir, images_name, hint, err))) return -1;
  if (!(*labels = find_plain_or_gz(dir, labels_name, hint, err))) {
    free(*images);
    *images = NULL;
    return -1;
  }
  return 0;
}

int ds_load_mnist_dir(const char *dir, int train, int classes, ds_images *out, strbuf *err) {
  zero_images(out);
  char *images, *labels;
  if (mnist_paths(dir, train, &images, &labels, err) != 0) return -1;
  int rc = ds_load_idx(images, labels, classes, out, err);
  free(images);
  free(labels);
  return rc;
}

int ds_load_mnist(const char *dir, int classes, ds_images *train, ds_images *test, strbuf *err) {
  zero_images(train);
  zero_images(test);
  char *im = NULL, *lb = NULL, *tim = NULL, *tlb = NULL;
  int rc = mnist_paths(dir, 1, &im, &lb, err) != 0 || ds_load_idx(im, lb, classes, train, err) != 0 ||
                   mnist_paths(dir, 0, &tim, &tlb, err) != 0 || ds_load_idx(tim, tlb, classes, test, err) != 0
               ? -1
               : 0;
  if (rc == 0 && (test->c != train->c || test->h != train->h || test->w != train->w)) {
    errf(err,
         "%s: images are %dx%d, the training images (%s) are %dx%d; the test set must hold images of the "
         "training set's size",
         tim, test->h, test->w, im, train->h, train->w);
    rc = -1;
  }
  if (rc != 0) {
    ds_free(train);
    ds_free(test);
  }
  free(im);
  free(lb);
  free(tim);
  free(tlb);
  return rc;
}

/* ---- CIFAR -------------------------------------------------------------- */

#define CIFAR_PIXELS 3072 /* 3 x 32 x 32 */

typedef struct cifar_kind {
  const char *name;      /* "CIFAR-10" */
  const char *hint;      /* what to do when files are missing */
  int label_bytes;       /* bytes before the pixels */
  int label_index;       /* which of them is the label used */
  int classes;           /* range of that label */
  int coarse_classes;    /* CIFAR-100's coarse label range (byte 0), or 0 */
} cifar_kind;

static int load_cifar(const char *dir, const char *const *names, int nfiles, const cifar_kind *k, ds_images *out,
                      strbuf *err) {
  zero_images(out);
  char what[160];
  snprintf(what, sizeof what, "%s%s", names[0], nfiles > 1 ? " .. data_batch_5.bin" : "");
  if (check_dir(dir, what, k->hint, err) != 0) return -1;
  blob files[8];
  int loaded = 0, rc = 0;
  size_t rec = (size_t)k->label_bytes + CIFAR_PIXELS;
  uint64_t total = 0;
  for (int f = 0; f < nfiles && rc == 0; f++) {
    char *path = join_path(dir, names[f], "");
    if (!exists(path)) {
      errf(err, "%s: not found; %s", path, k->hint);
      rc = -1;
    } else if (load_file(path, &files[f], err) != 0) {
      rc = -1;
    } else {
      loaded++;
      blob *b = &files[f];
      if (b->len == 0) { /* a gzip stream of nothing */
        errf(err, "%s: no records: 0 bytes%s; the file is incomplete or not the %s binary version, fetch it again",
             path, decomp(b), k->name);
        rc = -1;
      } else if (b->len % rec != 0) {
        errf(err,
             "%s: truncated: %zu bytes%s is not a whole number of %zu-byte records; the file is incomplete or not "
             "the %s binary version, fetch it again",
             path, b->len, decomp(b), rec, k->name);
        rc = -1;
      }
      size_t nrec = b->len / rec;
      for (size_t i = 0; i < nrec && rc == 0; i++) {
        const unsigned char *r = b->p + i * rec;
        if (k->coarse_classes && r[0] >= k->coarse_classes) {
          errf(err,
               "%s: record %zu has coarse label %d, but %s has %d coarse classes (0..%d); the file is corrupt or "
               "not the %s binary version",
               path, i, r[0], k->name, k->coarse_classes, k->coarse_classes - 1, k->name);
          rc = -1;
        } else if (r[k->label_index] >= k->classes) {
          errf(err,
               "%s: record %zu has label %d, but %s has %d classes (0..%d); the file is corrupt or not the %s "
               "binary version",
               path, i, r[k->label_index], k->name, k->classes, k->classes - 1, k->name);
          rc = -1;
        }
      }
      total += nrec;
      if (rc == 0 && total * CIFAR_PIXELS > DS_MAX_VALUES) {
        errf(err, "%s: %llu records in all are more than the supported %llu values; use a smaller data set", path,
             (unsigned long long)total, (unsigned long long)DS_MAX_VALUES);
        rc = -1;
      }
    }
    free(path);
  }
  if (rc == 0) {
    float lut[256];
    fill_lut(lut);
    float *x = xmalloc((size_t)total * CIFAR_PIXELS * sizeof(float));
    int *y = xmalloc((size_t)total * sizeof(int));
    size_t e = 0;
    for (int f = 0; f < nfiles; f++) {
      size_t nrec = files[f].len / rec;
      for (size_t i = 0; i < nrec; i++, e++) {
        const unsigned char *r = files[f].p + i * rec;
        y[e] = r[k->label_index];
        bytes_to_floats(lut, r + k->label_bytes, CIFAR_PIXELS, x + e * CIFAR_PIXELS);
      }
    }
    out->n = (int)total;
    out->c = 3;
    out->h = 32;
    out->w = 32;
    out->classes = k->classes;
    out->x = x;
    out->y = y;
  }
  for (int f = 0; f < loaded; f++) blob_free(&files[f]);
  return rc;
}

int ds_load_cifar10(const char *dir, int train, ds_images *out, strbuf *err) {
  static const char *const train_names[] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                            "data_batch_4.bin", "data_batch_5.bin"};
  static const char *const test_names[] = {"test_batch.bin"};
  static const cifar_kind k = {"CIFAR-10",
                               "pass the extracted cifar-10-batches-bin directory of the binary version "
                               "(cifar-10-binary.tar.gz), which holds data_batch_1.bin .. data_batch_5.bin and "
                               "test_batch.bin",
                               1, 0, 10, 0};
  return load_cifar(dir, train ? train_names : test_names, train ? 5 : 1, &k, out, err);
}

int ds_load_cifar100(const char *dir, int train, ds_images *out, strbuf *err) {
  static const char *const train_names[] = {"train.bin"};
  static const char *const test_names[] = {"test.bin"};
  static const cifar_kind k = {"CIFAR-100",
                               "pass the extracted cifar-100-binary directory of the binary version "
                               "(cifar-100-binary.tar.gz), which holds train.bin and test.bin",
                               2, 1, 100, 20};
  return load_cifar(dir, train ? train_names : test_names, 1, &k, out, err);
}

/* ---- split, statistics, batching ---------------------------------------- */

void ds_shuffle(int n, int *perm, rng *r) {
  if (n <= 0) return;
  for (int i = 0; i < n; i++) perm[i] = i;
  for (int i = n - 1; i > 0; i--) {
    int j = (int)rng_below(r, (uint64_t)i + 1);
    int t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
}

/* A copy of the examples idx[0..count) of all. */
static void gather(const ds_images *all, const int *idx, int count, ds_images *dst) {
  size_t img = (size_t)all->c * all->h * all->w;
  dst->n = count;
  dst->c = all->c;
  dst->h = all->h;
  dst->w = all->w;
  dst->classes = all->classes;
  dst->x = xmalloc((size_t)count * img * sizeof(float));
  dst->y = xmalloc((size_t)count * sizeof(int));
  for (int i = 0; i < count; i++) {
    memcpy(dst->x + (size_t)i * img, all->x + (size_t)idx[i] * img, img * sizeof(float));
    dst->y[i] = all->y[idx[i]];
  }
}

int ds_split(const ds_images *all, int count, uint64_t seed, ds_images *part, ds_images *rest, strbuf *err) {
  zero_images(part);
  zero_images(rest);
  if (count < 0 || count > all->n) {
    errf(err, "ds_split: count %d is out of range 0..%d (the data set has %d examples); pass a count within it",
         count, all->n, all->n);
    return -1;
  }
  int *perm = xmalloc((size_t)(all->n > 0 ? all->n : 1) * sizeof(int));
  rng r;
  rng_seed(&r, seed);
  ds_shuffle(all->n, perm, &r);
  if (part) gather(all, perm, count, part);
  if (rest) gather(all, perm + count, all->n - count, rest);
  free(perm);
  return 0;
}

void ds_channel_stats(const ds_images *d, float *mean, float *std) {
  size_t plane = (size_t)d->h * d->w, img = plane * d->c;
  double count = (double)d->n * (double)plane;
  for (int ch = 0; ch < d->c; ch++) {
    if (count == 0) {
      mean[ch] = std[ch] = 0;
      continue;
    }
    double sum = 0;
    for (int i = 0; i < d->n; i++) {
      const float *p = d->x + (size_t)i * img + (size_t)ch * plane;
      double s = 0;
      for (size_t k = 0; k < plane; k++) s += p[k];
      sum += s;
    }
    double m = sum / count, ss = 0;
    for (int i = 0; i < d->n; i++) {
      const float *p = d->x + (size_t)i * img + (size_t)ch * plane;
      double s = 0;
      for (size_t k = 0; k < plane; k++) {
        double t = p[k] - m;
        s += t * t;
      }
      ss += s;
    }
    mean[ch] = (float)m;
    std[ch] = (float)sqrt(ss / count);
  }
}

void ds_normalize(ds_images *d, const float *mean, const float *std) {
  size_t plane = (size_t)d->h * d->w, img = plane * d->c;
  for (int ch = 0; ch < d->c; ch++) {
    float m = mean[ch], s = std[ch] == 0 ? 1.0f : std[ch];
    for (int i = 0; i < d->n; i++) {
      float *p = d->x + (size_t)i * img + (size_t)ch * plane;
      for (size_t k = 0; k < plane; k++) p[k] = (p[k] - m) / s;
    }
  }
}

void ds_batch(const ds_images *d, const int *perm, int start, int count, int crop, int flip, rng *r, float *x_out,
              int *y_out) {
  int h = d->h, w = d->w;
  size_t plane = (size_t)h * w, img = plane * d->c;
  if (crop < 0) crop = 0;
  for (int k = 0; k < count; k++) {
    int idx = perm ? perm[start + k] : start + k;
    const float *src = d->x + (size_t)idx * img;
    float *dst = x_out + (size_t)k * img;
    if (y_out) y_out[k] = d->y[idx];
    int dy = crop, dx = crop, mirror = 0;
    if (crop > 0) {
      dy = (int)rng_below(r, (uint64_t)(2 * crop + 1));
      dx = (int)rng_below(r, (uint64_t)(2 * crop + 1));
    }
    if (flip) mirror = rng_below(r, 2) == 1;
    int oy = dy - crop, ox = dx - crop; /* output (i, j) reads input (i + oy, j' + ox) */
    if (oy == 0 && ox == 0 && !mirror) {
      memcpy(dst, src, img * sizeof(float));
      continue;
    }
    for (int ch = 0; ch < d->c; ch++) {
      const float *sp = src + (size_t)ch * plane;
      float *dp = dst + (size_t)ch * plane;
      for (int i = 0; i < h; i++) {
        int si = i + oy;
        float *row = dp + (size_t)i * w;
        if (si < 0 || si >= h) {
          memset(row, 0, (size_t)w * sizeof(float));
          continue;
        }
        const float *srow = sp + (size_t)si * w;
        for (int j = 0; j < w; j++) {
          int sj = (mirror ? w - 1 - j : j) + ox;
          row[j] = sj >= 0 && sj < w ? srow[sj] : 0.0f;
        }
      }
    }
  }
}

/* safetensors.h: reading and writing weights in the safetensors format.
 *
 * Layout: an 8-byte little-endian unsigned header length N, N bytes of UTF-8
 * JSON, then the data section. The JSON is an object mapping each tensor name
 * to {"dtype":"F32","shape":[...],"data_offsets":[begin,end]} (byte offsets
 * into the data section, end exclusive), plus an optional "__metadata__"
 * object of string -> string. Tensors tile the data section contiguously, in
 * the order of their offsets; values are little-endian, row-major (C order).
 *
 * naslc writes and reads F32 only. st_write emits "__metadata__" first (when
 * there is metadata), then the tensors in the order given, with offsets in
 * that same order, and pads the header with spaces to a multiple of 8 bytes.
 *
 * st_read accepts any conforming file (JSON key order need not match the
 * offset order; whitespace is allowed) and checks everything: the header
 * length against the file size (at most 100 000 000 bytes, the limit of the
 * reference implementation), strict JSON read by common/json.h (objects,
 * arrays, strings with escapes, integers; no floats, true, false or null;
 * no duplicate keys), UTF-8, the keys of every entry, dtype, rank (0..8),
 * shape products, offsets against the shape and the data section, overlaps,
 * gaps and trailing bytes. Corrupt input gives -1 and a message; it never
 * crashes or aborts (except when malloc fails, which naslc treats as fatal
 * everywhere; allocations are bounded by the file size).
 *
 * Errors: each function returning int gives 0, or -1 after appending one line
 * (no trailing newline) to *err when err is not NULL. The line starts with the
 * path and says what is wrong, e.g.
 *   "w.safetensors: truncated: header says 1200 bytes, file has 900 after the
 *    8-byte length".
 *
 * Ownership: st_write only reads its arguments; the caller keeps them. st_read
 * fills a caller-provided st_file whose strings (names, metadata) and float
 * buffers are all owned by the st_file and released by st_free. On failure
 * *f is left zeroed (st_free on it is harmless). st_find returns a pointer
 * into f, valid until st_free. */
#ifndef NASLC_SAFETENSORS_H
#define NASLC_SAFETENSORS_H

#include <stdint.h>

#include "common/strbuf.h"

#define ST_MAX_DIMS 8

typedef struct st_tensor {
  const char *name;   /* tensor name: non-empty UTF-8, not "__metadata__" */
  int ndim;           /* 0..8; 0 is a scalar holding one float */
  int64_t shape[8];   /* dimensions, each >= 0; only shape[0..ndim) is used */
  float *data;        /* product(shape) floats, row-major; may be NULL when
                         the product is 0. Never NULL in what st_read returns */
} st_tensor;

/* Writes tensors (and metadata pairs, may be NULL/0) to path atomically, as
 * fs_atomic does (common/fsutil.h): to "path.tmp", fsync, rename, then an
 * fsync of the directory.
 * Returns 0, or -1 with a message in err; on failure path.tmp is removed and
 * path is untouched (unless only the directory's sync failed, see
 * fsutil.h). Names must be unique, non-empty, valid UTF-8 and not
 * "__metadata__"; metadata keys must be unique and keys and values valid
 * UTF-8. */
int st_write(const char *path, const st_tensor *tensors, int n, const char *const *meta_keys,
             const char *const *meta_values, int nmeta, strbuf *err);

typedef struct st_file {
  int n;               /* number of tensors */
  st_tensor *tensors;  /* tensors[0..n), in data-section (offset) order */
  int nmeta;           /* number of metadata pairs */
  char **meta_keys;    /* meta_keys[0..nmeta), in header order */
  char **meta_values;  /* meta_values[0..nmeta) */
} st_file;

/* Reads a file; every string and buffer is owned by f and released by
 * st_free. Returns 0, or -1 with a message in err (never crashes or aborts on
 * corrupt input). */
int st_read(const char *path, st_file *f, strbuf *err);
/* The tensor called name, or NULL. */
const st_tensor *st_find(const st_file *f, const char *name);
/* Releases everything st_read allocated and zeroes *f; NULL is allowed. */
void st_free(st_file *f);

#endif

/* fuzz_safetensors.c: the safetensors reader (nn/safetensors.c) on any
 * bytes.
 *
 * The input is a weights file. Promises checked (safetensors.h): a refused
 * file has a message and leaves the st_file zeroed; an accepted one has
 * named tensors of rank 0..8 with non-negative dimensions and data, each
 * found by its name, and metadata pairs; every float of every tensor can be
 * read (the address sanitizer sees a buffer shorter than the shape). */
#include <string.h>

#include "nn/safetensors.h"
#include "tests/fuzz/harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_write_file("weights.safetensors", data, size);
  st_file f;
  strbuf err;
  strbuf_init(&err);
  if (st_read(path, &f, &err) == 0) {
    for (int i = 0; i < f.n; i++) {
      const st_tensor *t = &f.tensors[i];
      fuzz_check(t->name && t->name[0] && t->ndim >= 0 && t->ndim <= ST_MAX_DIMS && t->data,
                 "a tensor without a name, a rank of 0..8 or data");
      fuzz_check(st_find(&f, t->name) == t, "a tensor is not found by its name");
      int64_t n = 1;
      for (int d = 0; d < t->ndim; d++) {
        fuzz_check(t->shape[d] >= 0, "a negative dimension");
        n *= t->shape[d];
      }
      volatile float sum = 0;
      for (int64_t k = 0; k < n; k++) sum += t->data[k];
    }
    for (int i = 0; i < f.nmeta; i++)
      fuzz_check(f.meta_keys[i] && f.meta_values[i], "a metadata pair without key or value");
  } else {
    fuzz_check(err.len > 0 && f.n == 0 && !f.tensors && f.nmeta == 0, "a refused file without a message or not zeroed");
  }
  st_free(&f);
  strbuf_free(&err);
  return 0;
}

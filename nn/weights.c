/* weights.c: a parameter store saved to and loaded from safetensors files
 * (see nn_params_save in tensor.h). */
#include <stdio.h>
#include <stdlib.h>

#include "common/utf8.h"
#include "nn/safetensors.h"
#include "nn/tensor.h"

int nn_params_save(const nn_params *p, const char *path, const char *const *meta_keys,
                   const char *const *meta_values, int nmeta, strbuf *err) {
  int n = p->items.n;
  st_tensor *ts = xcalloc((size_t)n + 1, sizeof *ts);
  for (int i = 0; i < n; i++) {
    const tensor *t = p->items.items[i];
    ts[i].name = t->name;
    ts[i].ndim = t->ndim;
    for (int k = 0; k < t->ndim; k++) ts[i].shape[k] = t->ne[k];
    ts[i].data = t->data;
  }
  int rc = st_write(path, ts, n, meta_keys, meta_values, nmeta, err);
  free(ts);
  return rc;
}

int nn_params_load(nn_params *p, const char *path, strbuf *err) {
  st_file f;
  if (st_read(path, &f, err)) return -1;
  int rc = 0;
  for (int i = 0; i < p->items.n && rc == 0; i++) {
    tensor *t = p->items.items[i];
    const st_tensor *s = st_find(&f, t->name);
    if (!s) {
      if (err) strbuf_printf(err, "%s: has no tensor '%s'", path, t->name);
      rc = -1;
      break;
    }
    int same = s->ndim == t->ndim;
    for (int k = 0; same && k < t->ndim; k++) same = s->shape[k] == t->ne[k];
    if (!same) {
      if (err) {
        strbuf_printf(err, "%s: tensor '%s' is [", path, t->name);
        for (int k = 0; k < s->ndim; k++) strbuf_printf(err, "%s%lld", k ? ", " : "", (long long)s->shape[k]);
        strbuf_puts(err, "], the network needs [");
        for (int k = 0; k < t->ndim; k++) strbuf_printf(err, "%s%d", k ? ", " : "", t->ne[k]);
        strbuf_puts(err, "]");
      }
      rc = -1;
      break;
    }
  }
  /* a tensor the network does not have: the file is of another network, even
   * when every tensor the network needs is in it with its shape */
  for (int i = 0; rc == 0 && i < f.n; i++)
    if (!nn_params_find(p, f.tensors[i].name)) {
      char nb[200];
      if (err)
        strbuf_printf(err, "%s: has a tensor '%s' that the network does not have (weights of another architecture?)",
                      path, utf8_printable(nb, sizeof nb, f.tensors[i].name));
      rc = -1;
    }
  /* copy only when everything fits: a failed load leaves the store as it was */
  for (int i = 0; rc == 0 && i < p->items.n; i++) {
    tensor *t = p->items.items[i];
    const st_tensor *s = st_find(&f, t->name);
    for (int64_t k = 0; k < t->n; k++) t->data[k] = s->data[k];
  }
  st_free(&f);
  return rc;
}

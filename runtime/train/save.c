/* save.c: a trained model's directory (see train.h, train_save). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common/fsutil.h"
#include "runtime/train/train.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

static void json_series(strbuf *b, const char *name, const double *v, int n) {
  strbuf_printf(b, "\"%s\":[", name);
  for (int i = 0; i < n; i++) {
    if (i) strbuf_putc(b, ',');
    strbuf_json_number(b, "%.6f", v[i]);
  }
  strbuf_putc(b, ']');
}

/* The files of a saved model, all of them: the set that is replaced. */
static const char *const saved_files[] = {"arch.json", "history.json", "weights.safetensors"};
enum { SAVED_FILES = 3 };

int train_save_check(const char *dir, strbuf *err) { return fs_dirset_check(dir, saved_files, SAVED_FILES, err); }

int train_save(const char *dir, const arch *a, const char *file, const nn_params *params, const train_report *rep,
               strbuf *err) {
  if (fs_mkdirs(dir)) {
    strbuf_printf(err, "cannot create the directory '%s': %s", dir, strerror(errno));
    return -1;
  }
  fs_dirset set;
  if (fs_dirset_begin(&set, dir, err)) return -1;
  char path[PATH_MAX];
  strbuf rec, hist;
  strbuf_init(&rec);
  strbuf_init(&hist);
  arch_record_json(a, file, &rec);
  strbuf_putc(&rec, '\n');
  snprintf(path, sizeof path, "%s/arch.json", set.stage);
  int rc = fs_write_atomic(path, rec.data, rec.len, err);
  strbuf_printf(&hist, "{\"epochs\":%d,", rep->epochs);
  if (rep->metric == TRAIN_PERPLEXITY) { /* a language model */
    json_series(&hist, "valid_perplexity", rep->valid_metric, rep->epochs);
    strbuf_puts(&hist, ",\"test_perplexity\":");
    strbuf_json_number(&hist, "%.6f", rep->test_metric);
    strbuf_printf(&hist, ",\"words_per_second\":%.1f", rep->rate);
  } else {
    json_series(&hist, "valid_accuracy", rep->valid_metric, rep->epochs);
    strbuf_putc(&hist, ',');
    json_series(&hist, "valid_loss", rep->valid_loss, rep->epochs);
    strbuf_puts(&hist, ",\"test_accuracy\":");
    strbuf_json_number(&hist, "%.6f", rep->test_metric);
    strbuf_puts(&hist, ",\"test_loss\":");
    strbuf_json_number(&hist, "%.6f", rep->test_loss);
  }
  strbuf_printf(&hist, ",\"params\":%lld,\"flops\":%lld,\"seconds\":%.1f", (long long)rep->params,
                (long long)rep->flops, rep->seconds);
  if (rep->reward_ok) {
    strbuf_puts(&hist, ",\"reward\":");
    strbuf_json_number(&hist, "%.6f", rep->reward);
  }
  strbuf_puts(&hist, "}\n");
  snprintf(path, sizeof path, "%s/history.json", set.stage);
  if (!rc) rc = fs_write_atomic(path, hist.data, hist.len, err);
  snprintf(path, sizeof path, "%s/weights.safetensors", set.stage);
  rec.data[rec.len - 1] = 0;
  const char *keys[] = {"naslc.arch", "naslc.version"}, *vals[] = {rec.data, PACKAGE_VERSION};
  if (!rc) rc = nn_params_save(params, path, keys, vals, 2, err);
  strbuf_free(&rec);
  strbuf_free(&hist);
  if (rc) {
    fs_dirset_abort(&set, saved_files, SAVED_FILES);
    return -1;
  }
  return fs_dirset_commit(&set, saved_files, SAVED_FILES, err);
}

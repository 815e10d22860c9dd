/* rundir.c: the files of a run directory: the checkpoint, the log and
 * best.json (see rundir.h). */
#include "runtime/search/rundir.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/json.h"
#include "common/parse.h"
#include "nn/safetensors.h"

/* Sample numbers and counts beyond this are not what naslc wrote (a run's
 * budget is at most 10^9 samples). */
#define MAX_LOGGED_SAMPLE 1000000000L

/* The random-number state as the checkpoint writes it: 64 hexadecimal
 * digits. 1, or 0 when it is not that. */
static int read_rng(const char *hex, rng *r) {
  if (!hex || strlen(hex) != 64 || strspn(hex, "0123456789abcdefABCDEF") != 64) return 0;
  for (int k = 0; k < 4; k++) {
    char part[17];
    memcpy(part, hex + 16 * k, 16);
    part[16] = 0;
    r->s[k] = strtoull(part, NULL, 16);
  }
  return 1;
}

int rundir_write_checkpoint(const char *dir, const run_state *s, controller *ctl, const nn_optim *opt, strbuf *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/checkpoint.safetensors", dir);
  int np = ctl ? ctl->params.items.n : 0;
  st_tensor *ts = xcalloc((size_t)(3 * np + 1), sizeof *ts);
  char **names = xcalloc((size_t)(3 * np + 1), sizeof(char *));
  int n = 0;
  for (int i = 0; i < np; i++) {
    const tensor *t = ctl->params.items.items[i];
    for (int k = 0; k < 3; k++) {
      if (k == 2 && !opt->v[i]) continue;
      names[n] = xmalloc(strlen(t->name) + 16);
      sprintf(names[n], "%s%s", k == 0 ? "" : k == 1 ? "optim.m." : "optim.v.", t->name);
      ts[n].name = names[n];
      ts[n].ndim = t->ndim;
      for (int d = 0; d < t->ndim; d++) ts[n].shape[d] = t->ne[d];
      ts[n].data = k == 0 ? t->data : k == 1 ? opt->m[i] : opt->v[i];
      n++;
    }
  }
  char vals[11][600];
  snprintf(vals[0], sizeof vals[0], "%ld", s->samples);
  snprintf(vals[1], sizeof vals[1], "%ld", s->evaluated);
  snprintf(vals[2], sizeof vals[2], "%ld", s->hits);
  snprintf(vals[3], sizeof vals[3], "%.17g", s->baseline);
  snprintf(vals[4], sizeof vals[4], "%d", s->have_baseline);
  snprintf(vals[5], sizeof vals[5], "%016llx%016llx%016llx%016llx", (unsigned long long)s->r.s[0],
           (unsigned long long)s->r.s[1], (unsigned long long)s->r.s[2], (unsigned long long)s->r.s[3]);
  snprintf(vals[6], sizeof vals[6], "%ld", opt ? opt->step : 0);
  snprintf(vals[7], sizeof vals[7], "%.17g", s->best);
  snprintf(vals[8], sizeof vals[8], "%s", s->best_key);
  snprintf(vals[9], sizeof vals[9], "%.17g", s->best_test);
  snprintf(vals[10], sizeof vals[10], "%ld", s->shared_rounds);
  const char *keys[] = {"samples", "evaluated", "hits", "baseline", "have_baseline", "rng", "optim_step", "best",
                        "best_key", "best_test", "shared_rounds", "updates", "inflight"};
  const char *v[13];
  for (int i = 0; i < 11; i++) v[i] = vals[i];
  char updates[32];
  snprintf(updates, sizeof updates, "%ld", s->updates);
  v[11] = updates;
  v[12] = s->inflight ? s->inflight : "[]";
  int rc = st_write(path, ts, n, keys, v, s->async ? 13 : 11, err); /* a synchronous run's as before */
  for (int i = 0; i < n; i++) free(names[i]);
  free(names);
  free(ts);
  return rc;
}

static const char *meta(const st_file *f, const char *key) {
  for (int i = 0; i < f->nmeta; i++)
    if (!strcmp(f->meta_keys[i], key)) return f->meta_values[i];
  return NULL;
}

int rundir_read_checkpoint(const char *dir, run_state *s, controller *ctl, nn_optim *opt, strbuf *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/checkpoint.safetensors", dir);
  st_file f;
  if (st_read(path, &f, err)) return -1;
  const char *need[] = {"samples", "evaluated", "hits", "baseline", "have_baseline", "rng", "optim_step", "best", "best_key"};
  for (int i = 0; i < 9; i++)
    if (!meta(&f, need[i])) {
      strbuf_printf(err, "%s: not a naslc checkpoint (no '%s')", path, need[i]);
      st_free(&f);
      return -1;
    }
  long samples, evaluated, hits, have_baseline, step = 0, shared_rounds = 0;
  double baseline, best, best_test = NAN;
  const char *bad = NULL;
  if (parse_long(meta(&f, "samples"), 0, MAX_LOGGED_SAMPLE, &samples)) bad = "samples";
  else if (parse_long(meta(&f, "evaluated"), 0, MAX_LOGGED_SAMPLE, &evaluated)) bad = "evaluated";
  else if (parse_long(meta(&f, "hits"), 0, MAX_LOGGED_SAMPLE, &hits)) bad = "hits";
  else if (parse_long(meta(&f, "have_baseline"), 0, 1, &have_baseline)) bad = "have_baseline";
  else if (parse_double(meta(&f, "baseline"), -INFINITY, INFINITY, PARSE_NONFINITE, &baseline)) bad = "baseline";
  else if (parse_double(meta(&f, "best"), -INFINITY, INFINITY, PARSE_NONFINITE, &best)) bad = "best";
  else if (meta(&f, "best_test") && parse_double(meta(&f, "best_test"), -INFINITY, INFINITY, PARSE_NONFINITE, &best_test))
    bad = "best_test";
  else if (ctl && parse_long(meta(&f, "optim_step"), 0, LONG_MAX, &step)) bad = "optim_step";
  else if (!read_rng(meta(&f, "rng"), &s->r)) bad = "rng";
  else if (meta(&f, "shared_rounds") && parse_long(meta(&f, "shared_rounds"), 0, MAX_LOGGED_SAMPLE, &shared_rounds))
    bad = "shared_rounds";
  else if (meta(&f, "updates") && parse_long(meta(&f, "updates"), 0, MAX_LOGGED_SAMPLE, &s->updates))
    bad = "updates";
  else if (meta(&f, "updates") && !meta(&f, "inflight"))
    bad = "inflight";
  if (bad) {
    strbuf_printf(err, "%s: the checkpoint's '%s' is damaged ('%.40s'); the run cannot be resumed from it", path, bad,
                  meta(&f, bad));
    st_free(&f);
    return -1;
  }
  s->samples = samples;
  s->evaluated = evaluated;
  s->hits = hits;
  s->have_baseline = (int)have_baseline;
  s->baseline = baseline;
  s->best = best;
  s->best_test = best_test;
  s->shared_rounds = shared_rounds;
  s->async = meta(&f, "updates") != NULL;
  free(s->inflight);
  s->inflight = s->async ? xstrdup(meta(&f, "inflight")) : NULL; /* search.c reads it */
  snprintf(s->best_key, sizeof s->best_key, "%s", meta(&f, "best_key"));
  if (ctl) opt->step = step;
  int rc = 0;
  if (ctl) {
    for (int i = 0; i < ctl->params.items.n && rc == 0; i++) {
      tensor *t = ctl->params.items.items[i];
      char name[512];
      for (int k = 0; k < 3 && rc == 0; k++) {
        float *dst = k == 0 ? t->data : k == 1 ? opt->m[i] : opt->v[i];
        if (!dst) continue;
        snprintf(name, sizeof name, "%s%s", k == 0 ? "" : k == 1 ? "optim.m." : "optim.v.", t->name);
        const st_tensor *st = st_find(&f, name);
        int64_t n = 1;
        for (int d = 0; st && d < st->ndim; d++) n *= st->shape[d];
        if (!st || n != t->n) {
          strbuf_printf(err, "%s: '%s' is missing or has another shape: was the space changed?", path, name);
          rc = -1;
          break;
        }
        memcpy(dst, st->data, sizeof(float) * (size_t)n);
        for (int64_t j = 0; j < n && rc == 0; j++)
          if (!isfinite(dst[j])) {
            strbuf_printf(err, "%s: '%s' holds a value that is not finite; the run cannot be resumed from it", path,
                          name);
            rc = -1;
          }
      }
    }
  }
  st_free(&f);
  return rc;
}

/* One line of the log into log; 0 when it is not a line naslc writes. */
static int read_line(rundir_log *log, arena *mem, const char *line, size_t len) {
  json_value *v = json_parse(mem, line, len, NULL);
  const json_value *s = json_get(v, "sample"), *k = json_get(v, "key"), *r = json_get(v, "reward"),
                   *ta = json_get(v, "test_accuracy");
  if (!ta) ta = json_get(v, "test_perplexity"); /* language models */
  if (!v || !s || s->kind != JSON_NUMBER || !k || k->kind != JSON_STRING || !r) return 0;
  if (!(s->number >= 0 && s->number <= (double)MAX_LOGGED_SAMPLE) || s->number != (double)(long)s->number) return 0;
  if (log->n == log->cap) {
    log->cap = log->cap ? 2 * log->cap : 256;
    log->entries = xrealloc(log->entries, sizeof *log->entries * (size_t)log->cap);
  }
  rundir_entry *e = &log->entries[log->n++];
  e->sample = (long)s->number;
  e->reward = r->number;
  e->test = ta && ta->kind == JSON_NUMBER ? ta->number : NAN;
  e->line = log->lines + 1;
  smap_put(&log->by_key, k->string, r->number);
  log->lines++;
  return 1;
}

/* By sample, then by line. */
static int by_sample_then_line(const void *a, const void *b) {
  const rundir_entry *x = a, *y = b;
  if (x->sample != y->sample) return x->sample < y->sample ? -1 : 1;
  return x->line < y->line ? -1 : x->line > y->line;
}

/* Sorts the entries by sample and keeps the last line of each sample. */
static void sort_entries(rundir_log *log) {
  if (log->n > 1) qsort(log->entries, (size_t)log->n, sizeof *log->entries, by_sample_then_line);
  long kept = 0;
  for (long i = 0; i < log->n; i++) {
    if (kept && log->entries[kept - 1].sample == log->entries[i].sample) kept--;
    log->entries[kept++] = log->entries[i];
  }
  log->n = kept;
}

const rundir_entry *rundir_logged(const rundir_log *log, long sample) {
  long lo = 0, hi = log->n;
  while (lo < hi) {
    long mid = lo + (hi - lo) / 2;
    if (log->entries[mid].sample < sample) lo = mid + 1;
    else hi = mid;
  }
  return lo < log->n && log->entries[lo].sample == sample ? &log->entries[lo] : NULL;
}

int rundir_read_log(const char *path, rundir_log *log, int quiet, strbuf *err) {
  strbuf text;
  strbuf_init(&text);
  int e = strbuf_read_file(&text, path, NASL_LIMIT_LOG);
  if (e) {
    strbuf_free(&text);
    if (e == ENOENT) return 0;
    strbuf_printf(err, "cannot read the run log '%s': %s", path, strbuf_read_error(e, NASL_LIMIT_LOG));
    return -1;
  }
  arena mem;
  arena_init(&mem);
  size_t pos = 0;
  long line = 0;
  int rc = 0;
  while (pos < text.len) {
    char *nl = memchr(text.data + pos, '\n', text.len - pos);
    size_t end = nl ? (size_t)(nl - text.data) : text.len;
    line++;
    int last = end + 1 >= text.len; /* nothing after this line */
    if (nl && read_line(log, &mem, text.data + pos, end - pos)) {
      pos = end + 1;
      continue;
    }
    if (!last) { /* a crash damages only the end: this is something else, and the log is left as it is */
      strbuf_printf(err, "%s:%ld: the line is damaged, and it is not the last one (a crash damages only the last); "
                    "the log is left untouched: repair or remove that line, then resume", path, line);
      rc = -1;
      break;
    }
    if (!quiet)
      fprintf(stderr, "run log: the line at byte %zu is damaged (%zu bytes, cut short by a crash?); "
                      "it is dropped and its child will be evaluated again\n", pos, text.len - pos);
    if (truncate(path, (off_t)pos)) {
      strbuf_printf(err, "cannot cut the damaged end of '%s': %s", path, strerror(errno));
      rc = -1;
    }
    break;
  }
  sort_entries(log);
  arena_free(&mem);
  strbuf_free(&text);
  return rc;
}

void rundir_log_line(strbuf *b, long sample, const char *key, const search_result *res, int hit, const arch *a) {
  strbuf_clear(b);
  strbuf_printf(b, "{\"sample\":%ld,\"key\":", sample);
  strbuf_json_string(b, key);
  strbuf_puts(b, ",\"reward\":");
  strbuf_json_number(b, "%.17g", res->reward);
  strbuf_printf(b, ",\"ok\":%s,\"hit\":%s,\"seconds\":%.3f,\"params\":%lld,\"flops\":%lld",
                res->ok ? "true" : "false", hit ? "true" : "false", res->seconds, (long long)res->params,
                (long long)res->flops);
  if (res->async) strbuf_printf(b, ",\"staleness\":%ld", res->staleness);
  if (res->epochs) {
    int lm = grammar_is_lm(a->g);
    if (!isnan(res->test_metric)) {
      strbuf_printf(b, ",\"%s\":", lm ? "test_perplexity" : "test_accuracy");
      strbuf_json_number(b, "%.6f", res->test_metric);
    }
    strbuf_printf(b, ",\"%s\":[", lm ? "valid_perplexity" : "valid_accuracy");
    for (int e = 0; e < res->epochs && e < 64; e++) {
      if (e) strbuf_putc(b, ',');
      strbuf_json_number(b, "%.6f", res->valid_metric[e]);
    }
    strbuf_putc(b, ']');
  }
  if (res->note[0]) {
    strbuf_puts(b, ",\"note\":");
    strbuf_json_string(b, res->note);
  }
  strbuf_puts(b, ",\"record\":");
  arch_json(a, b);
  strbuf_puts(b, "}\n");
}

/* By reward, best first, then by sample. */
static int by_reward(const void *a, const void *b) {
  const rundir_top *x = a, *y = b;
  if (x->reward != y->reward) return x->reward > y->reward ? -1 : 1;
  return x->sample < y->sample ? -1 : x->sample > y->sample;
}

int rundir_read_top(const char *path, int k, rundir_top *out, strbuf *err) {
  strbuf text;
  strbuf_init(&text);
  int e = strbuf_read_file(&text, path, NASL_LIMIT_LOG);
  if (e) {
    strbuf_printf(err, "cannot read the run log '%s': %s", path, strbuf_read_error(e, NASL_LIMIT_LOG));
    strbuf_free(&text);
    return -1;
  }
  /* every candidate once: by key, the best line of it */
  rundir_top *all = NULL;
  long n = 0, cap = 0;
  smap seen = {0}; /* key -> index into all */
  size_t pos = 0;
  while (pos < text.len) {
    char *nl = memchr(text.data + pos, '\n', text.len - pos);
    size_t end = nl ? (size_t)(nl - text.data) : text.len;
    arena mem;
    arena_init(&mem);
    const json_value *v = json_parse(&mem, text.data + pos, end - pos, NULL);
    const json_value *s = json_get(v, "sample"), *key = json_get(v, "key"), *r = json_get(v, "reward"),
                     *ok = json_get(v, "ok"), *rec = json_get(v, "record");
    /* the record is the line's last member: from where it starts to the closing brace */
    if (s && s->kind == JSON_NUMBER && key && key->kind == JSON_STRING && strlen(key->string) < sizeof all->key &&
        r && r->kind == JSON_NUMBER && ok && ok->kind == JSON_BOOL && ok->number && rec &&
        rec->kind == JSON_OBJECT && end - pos >= 2 && text.data[end - 1] == '}' && rec->pos < end - pos - 1) {
      double at;
      rundir_top *t = NULL;
      if (smap_get(&seen, key->string, &at)) {
        t = &all[(long)at];
        if (r->number <= t->reward) t = NULL; /* the same architecture evaluated again after a crash */
        else free(t->record);
      } else {
        if (n == cap) {
          cap = cap ? 2 * cap : 64;
          all = xrealloc(all, sizeof *all * (size_t)cap);
        }
        t = &all[n];
        smap_put(&seen, key->string, (double)n++);
      }
      if (t) {
        t->sample = (long)s->number;
        t->reward = r->number;
        snprintf(t->key, sizeof t->key, "%s", key->string);
        size_t len = end - pos - 1 - rec->pos;
        t->record = xmalloc(len + 1);
        memcpy(t->record, text.data + pos + rec->pos, len);
        t->record[len] = 0;
      }
    }
    arena_free(&mem);
    pos = end + 1;
  }
  if (n > 1) qsort(all, (size_t)n, sizeof *all, by_reward);
  int got = n < k ? (int)n : k;
  for (int i = 0; i < got; i++) out[i] = all[i];
  for (long i = got; i < n; i++) free(all[i].record);
  free(all);
  smap_free(&seen);
  strbuf_free(&text);
  return got;
}

void rundir_top_free(rundir_top *t, int n) {
  for (int i = 0; i < n; i++) {
    free(t[i].record);
    t[i].record = NULL;
  }
}

int rundir_write_best(const char *dir, const char *file, const arch *a, const search_result *res, strbuf *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/best.json", dir);
  strbuf b;
  strbuf_init(&b);
  arch_json(a, &b);
  b.len--; /* reopen the record */
  strbuf_puts(&b, ",\"reward\":");
  strbuf_json_number(&b, "%.17g", res->reward);
  if (res->epochs && !isnan(res->test_metric)) {
    strbuf_printf(&b, ",\"%s\":", grammar_is_lm(a->g) ? "test_perplexity" : "test_accuracy");
    strbuf_json_number(&b, "%.6f", res->test_metric);
  }
  if (file) arch_json_file(&b, file);
  strbuf_puts(&b, "}\n");
  int rc = fs_write_atomic(path, b.data, b.len, err);
  strbuf_free(&b);
  return rc;
}

void rundir_log_free(rundir_log *log) {
  smap_free(&log->by_key);
  free(log->entries);
  memset(log, 0, sizeof *log);
}

int rundir_lock(const char *dir, strbuf *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/lock", dir);
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    strbuf_printf(err, "cannot open '%s': %s", path, strerror(errno));
    return -1;
  }
  if (flock(fd, LOCK_EX | LOCK_NB)) {
    int busy = errno == EWOULDBLOCK;
    char pid[32] = "";
    ssize_t n = busy ? pread(fd, pid, sizeof pid - 1, 0) : 0;
    pid[n > 0 ? n : 0] = 0;
    pid[strcspn(pid, "\n")] = 0;
    if (busy)
      strbuf_printf(err, "'%s' is in use by another naslc (process %s); wait for it to end, or stop it first",
                    dir, pid[0] ? pid : "unknown");
    else
      strbuf_printf(err, "cannot lock '%s': %s", path, strerror(errno));
    close(fd);
    return -1;
  }
  char pid[32];
  int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
  if (ftruncate(fd, 0) || fs_write_all(fd, pid, (size_t)len)) { /* a disk that takes no process id takes no run */
    strbuf_printf(err, "cannot write '%s': %s", path, strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

void rundir_unlock(int fd) {
  if (fd >= 0) close(fd);
}

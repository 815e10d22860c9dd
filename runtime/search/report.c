/* report.c: reading a run's log and plotting its rewards (see report.h). */
#include "runtime/search/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

#define REPORT_WINDOW 20

/* Appends the entries of the log's lines to r. */
static void read_lines(search_report *r, const char *path, const strbuf *text, int quiet) {
  long cap = 0;
  size_t pos = 0;
  while (pos < text->len) {
    char *nl = memchr(text->data + pos, '\n', text->len - pos);
    size_t end = nl ? (size_t)(nl - text->data) : text->len;
    json_value *v = json_parse(&r->mem, text->data + pos, end - pos, NULL);
    const json_value *s = json_get(v, "sample"), *rw = json_get(v, "reward"), *k = json_get(v, "key");
    int reward_ok = rw && (rw->kind == JSON_NUMBER || rw->kind == JSON_NULL); /* null: not finite */
    if (v && s && s->kind == JSON_NUMBER && reward_ok && k && k->kind == JSON_STRING) {
      if (r->n == cap) r->entries = xrealloc(r->entries, sizeof *r->entries * (size_t)(cap = cap ? 2 * cap : 256));
      double reward = rw->kind == JSON_NUMBER ? rw->number : NAN;
      r->entries[r->n++] = (search_report_entry){(long)s->number, reward, k->string};
    } else {
      r->damaged++;
      if (!quiet) fprintf(stderr, "naslc: %s: the line at byte %zu is damaged and left out\n", path, pos);
    }
    pos = end + 1;
  }
}

/* The series and figures of report.h from the entries. */
static void summarise(search_report *r) {
  long n = r->n;
  r->moving_average = xcalloc((size_t)n, sizeof(double));
  r->best = xcalloc((size_t)n, sizeof(double));
  double sum = 0, best = -INFINITY;
  int have_range = 0;
  for (long i = 0; i < n; i++) {
    double v = r->entries[i].reward;
    sum += v;
    if (i >= REPORT_WINDOW) sum -= r->entries[i - REPORT_WINDOW].reward;
    r->moving_average[i] = sum / (double)(i < REPORT_WINDOW ? i + 1 : REPORT_WINDOW);
    if (v > best) {
      best = v;
      r->best_sample = r->entries[i].sample;
    }
    r->best[i] = best;
    if (!isfinite(v)) continue;
    r->lo = !have_range || v < r->lo ? v : r->lo;
    r->hi = !have_range || v > r->hi ? v : r->hi;
    have_range = 1;
  }
  r->best_reward = best;
  long q = n / 4 ? n / 4 : 1;
  for (long i = 0; i < q; i++) {
    r->first_quarter += r->entries[i].reward / (double)q;
    r->last_quarter += r->entries[n - 1 - i].reward / (double)q;
  }
}

int search_report_load(const char *dir, int quiet, search_report *r, strbuf *err) {
  memset(r, 0, sizeof *r);
  arena_init(&r->mem);
  strbuf path, text;
  strbuf_init(&path);
  strbuf_init(&text);
  strbuf_printf(&path, "%s/log.jsonl", dir);
  int rc = 0, e = strbuf_read_file(&text, path.data, NASL_LIMIT_LOG);
  if (e) {
    strbuf_printf(err, "cannot read '%s': %s (is '%s' a run directory?)", path.data, strbuf_read_error(e, NASL_LIMIT_LOG), dir);
    rc = -1;
  } else {
    read_lines(r, path.data, &text, quiet);
    if (r->n == 0) {
      strbuf_printf(err, "'%s' holds no evaluated architecture yet", path.data);
      rc = -1;
    } else {
      summarise(r);
    }
  }
  strbuf_free(&path);
  strbuf_free(&text);
  if (rc) search_report_free(r);
  return rc;
}

void search_report_free(search_report *r) {
  free(r->entries);
  free(r->moving_average);
  free(r->best);
  arena_free(&r->mem);
  memset(r, 0, sizeof *r);
}

/* ---- the plot ---- */

enum { SVG_W = 720, SVG_H = 360, SVG_LEFT = 60, SVG_BOTTOM = 40, SVG_MARGIN = 20 };

static double plot_x(const search_report *r, long i) {
  double f = r->n > 1 ? (double)i / (double)(r->n - 1) : 0.5;
  return SVG_LEFT + (SVG_W - SVG_LEFT - SVG_MARGIN) * f;
}

/* Values outside the finite range (infinities, NaN) are drawn at its edge. */
static double plot_y(const search_report *r, double v) {
  double span = r->hi > r->lo ? r->hi - r->lo : 1;
  double f = isnan(v) ? 0 : (v - r->lo) / span;
  f = f < 0 ? 0 : f > 1 ? 1 : f;
  return SVG_H - SVG_BOTTOM - (SVG_H - SVG_BOTTOM - SVG_MARGIN) * f;
}

static void svg_axes(const search_report *r, strbuf *o) {
  double W = SVG_W, H = SVG_H, L = SVG_LEFT, B = SVG_BOTTOM;
  strbuf_printf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\" "
                   "font-size=\"12\">\n", W, H);
  strbuf_puts(o, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
  strbuf_printf(o, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", L, H - B, W - 20, H - B);
  strbuf_printf(o, "<line x1=\"%.0f\" y1=\"20\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", L, L, H - B);
  strbuf_printf(o, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">sample</text>\n", (W + L) / 2, H - 8);
  strbuf_printf(o, "<text x=\"8\" y=\"%.0f\">%.3g</text><text x=\"8\" y=\"24\">%.3g</text>\n", H - B, r->lo, r->hi);
  strbuf_printf(o, "<text x=\"%.0f\" y=\"%.0f\">0</text><text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%ld</text>\n", L,
                H - B + 14, W - 20, H - B + 14, r->n);
}

void search_report_svg(const search_report *r, strbuf *o) {
  svg_axes(r, o);
  for (long i = 0; i < r->n; i++)
    strbuf_printf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.6\" fill=\"#888\"/>\n", plot_x(r, i),
                  plot_y(r, r->entries[i].reward));
  const double *lines[2] = {r->moving_average, r->best};
  const char *colours[2] = {"#1f77b4", "#d62728"};
  for (int k = 0; k < 2; k++) {
    strbuf_printf(o, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", colours[k]);
    for (long i = 0; i < r->n; i++) strbuf_printf(o, "%.1f,%.1f ", plot_x(r, i), plot_y(r, lines[k][i]));
    strbuf_puts(o, "\"/>\n");
  }
  double L = SVG_LEFT;
  strbuf_printf(o, "<text x=\"%.0f\" y=\"36\" fill=\"#1f77b4\">moving average (20)</text>\n", L + 10);
  strbuf_printf(o, "<text x=\"%.0f\" y=\"52\" fill=\"#d62728\">best so far</text>\n", L + 10);
  strbuf_printf(o, "<text x=\"%.0f\" y=\"68\" fill=\"#888\">reward of each sample</text>\n</svg>\n", L + 10);
}

int search_report_finals(const char *dir, search_report_final *out, int max) {
  int n = 0;
  strbuf path, text;
  strbuf_init(&path);
  strbuf_init(&text);
  for (int rank = 1; rank <= max; rank++) {
    strbuf_clear(&path);
    strbuf_clear(&text);
    strbuf_printf(&path, "%s/final/%d/history.json", dir, rank);
    if (strbuf_read_file(&text, path.data, 1 << 20)) continue;
    arena mem;
    arena_init(&mem);
    const json_value *h = json_parse(&mem, text.data, text.len, NULL);
    const json_value *acc = json_get(h, "test_accuracy"), *ppl = json_get(h, "test_perplexity");
    const json_value *test = acc ? acc : ppl, *valid = json_get(h, acc ? "valid_accuracy" : "valid_perplexity");
    const json_value *epochs = json_get(h, "epochs"), *secs = json_get(h, "seconds"), *params = json_get(h, "params");
    if (test && test->kind == JSON_NUMBER) {
      search_report_final *f = &out[n++];
      f->rank = rank;
      f->perplexity = acc == NULL;
      f->test = test->number;
      f->valid = valid && valid->kind == JSON_ARRAY && valid->n && valid->items[valid->n - 1]->kind == JSON_NUMBER
                     ? valid->items[valid->n - 1]->number
                     : NAN;
      f->epochs = epochs && epochs->kind == JSON_NUMBER ? (int)epochs->number : 0;
      f->seconds = secs && secs->kind == JSON_NUMBER ? secs->number : NAN;
      f->params = params && params->kind == JSON_NUMBER ? (long long)params->number : 0;
    }
    arena_free(&mem);
  }
  strbuf_free(&path);
  strbuf_free(&text);
  return n;
}

static int by_reward(const void *a, const void *b) {
  double x = ((const search_report_entry *)a)->reward, y = ((const search_report_entry *)b)->reward;
  return x < y ? 1 : x > y ? -1 : 0;
}

void search_report_top(const search_report *r, search_report_entry *top, long k) {
  search_report_entry *all = xcalloc((size_t)r->n, sizeof *all);
  memcpy(all, r->entries, sizeof *all * (size_t)r->n);
  qsort(all, (size_t)r->n, sizeof *all, by_reward);
  memcpy(top, all, sizeof *all * (size_t)k);
  free(all);
}

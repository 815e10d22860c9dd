/* report.h: what `naslc report` reads from a run directory and the plot it
 * draws.
 *
 * A report is the log's lines in order (one per evaluated child; repeats
 * are not logged), with the moving average of the reward over the last 20,
 * the best so far, and the mean of the first and of the last quarter (a
 * quarter has at least one line). Rewards that are not finite (a diverged
 * child can log 1e999) count in neither the range of the plot nor the
 * averages' range, and are drawn at its edge.
 *
 * A search_report owns its entries and their keys (search_report_free). */
#ifndef NASLC_REPORT_H
#define NASLC_REPORT_H

#include "common/arena.h"
#include "common/strbuf.h"

typedef struct search_report_entry {
  long sample;     /* as logged: counted from 0 */
  double reward;   /* as logged */
  const char *key; /* canonical string (in the report's arena) */
} search_report_entry;

typedef struct search_report {
  long n;                       /* entries, in log order */
  search_report_entry *entries; /* malloc'd */
  double *moving_average;       /* per entry: mean of the last 20 rewards */
  double *best;                 /* per entry: best reward so far */
  double lo, hi;                /* least and greatest finite reward */
  double first_quarter, last_quarter; /* mean rewards */
  double best_reward;           /* the best reward */
  long best_sample;             /* its sample */
  long damaged;                 /* lines left out */
  arena mem;                    /* keys */
} search_report;

/* Reads dir/log.jsonl. Each damaged line is left out with a note on stderr
 * ("naslc: PATH: the line at byte N is damaged and left out") unless quiet.
 * 0, or -1 with a reason in err: the log cannot be read, or holds no
 * evaluated architecture. */
int search_report_load(const char *dir, int quiet, search_report *r, strbuf *err);
void search_report_free(search_report *r);

/* The plot as an SVG document of 720 x 360 pixels: each reward a grey dot
 * in log order, the moving average blue, the best so far red. */
void search_report_svg(const search_report *r, strbuf *out);

/* Sorts a copy of the entries by reward, best first: the k best into
 * top[0..k) (k <= r->n). */
void search_report_top(const search_report *r, search_report_entry *top, long k);

/* A model of the final stage, as saved in DIR/final/RANK/history.json. */
typedef struct search_report_final {
  int rank;            /* RANK */
  int perplexity;      /* the figures are perplexities (a language model), else accuracies */
  double test;         /* test figure */
  double valid;        /* the last epoch's validation figure, or NAN */
  int epochs;          /* epochs trained */
  double seconds;      /* training time, or NAN */
  long long params;    /* parameters */
} search_report_final;

/* The final models saved under dir/final (ranks 1..max, in order; a rank
 * without a readable history.json with a test figure is left out, as a
 * model still in training is): how many went into out. */
int search_report_finals(const char *dir, search_report_final *out, int max);

#endif

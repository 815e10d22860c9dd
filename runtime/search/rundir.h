/* rundir.h: the files of a run directory (the layout is in search.h), read
 * and written by the search loop. Private to runtime/search.
 *
 * checkpoint.safetensors holds the controller's weights and its optimizer's
 * moments as tensors, and the run_state in its metadata; it is replaced
 * atomically after every update. log.jsonl gets one line per evaluated
 * child (rundir_log_line), appended and fsync'd by the loop. best.json is
 * replaced atomically when a child beats the best. */
#ifndef NASLC_RUNDIR_H
#define NASLC_RUNDIR_H

#include "nn/optim.h"
#include "runtime/search/controller.h"
#include "runtime/search/search.h"
#include "runtime/search/smap.h"

/* Where a search stands between two batches (an asynchronous run: after an
 * update; samples is then the samples drawn, every one of them either
 * learnt from or in inflight): what the checkpoint holds. */
typedef struct run_state {
  long samples;        /* samples drawn and settled (their batch updated the controller) */
  long evaluated;      /* children evaluated (not dedupe hits) */
  long hits;           /* dedupe hits */
  double baseline;     /* REINFORCE: the moving average of the rewards */
  int have_baseline;   /* the baseline has been set (by the first batch) */
  double best;         /* the best reward so far (-inf at first) */
  double best_test;    /* its test accuracy or perplexity, or NAN */
  char best_key[512];  /* its canonical string */
  rng r;               /* the draws' state at the start of the next batch */
  long shared_rounds;  /* rounds of shared-weight training done (search_shared) */
  int async;           /* an asynchronous run (search_opts.async): the three below are in the checkpoint */
  long updates;        /* asynchronous: controller updates so far */
  char *inflight;      /* asynchronous: the children in flight at the checkpoint, JSON
                          [[sample, updates when drawn, [tokens...]], ...] (malloc'd; NULL: none) */
} run_state;

/* Takes dir/lock (an advisory flock, which the kernel drops when the
 * process ends) and writes the process id into it: the file descriptor, or
 * -1 with a message naming the holder when another process has it, or the
 * file and the reason when it cannot be opened or written. */
int rundir_lock(const char *dir, strbuf *err);
/* Releases it (fd < 0: nothing). */
void rundir_unlock(int fd);

/* Writes dir/checkpoint.safetensors: s, and for REINFORCE (ctl set) the
 * controller's weights and opt's moments. 0, or -1 with a message. */
int rundir_write_checkpoint(const char *dir, const run_state *s, controller *ctl, const nn_optim *opt, strbuf *err);
/* Reads it back into s (and ctl, opt when ctl is set); 0, or -1 with a
 * message naming the file and what is wrong with it. */
int rundir_read_checkpoint(const char *dir, run_state *s, controller *ctl, nn_optim *opt, strbuf *err);

/* One child of the log: what a resumed run takes instead of evaluating it. */
typedef struct rundir_entry {
  long sample;    /* its sample index */
  double reward;  /* its reward */
  double test;    /* its test accuracy or perplexity, or NAN */
  long line;      /* the line it came from (1-based) */
} rundir_entry;

/* What a resumed run knows from its log. Sample numbers may be far apart
 * (dedupe hits are not logged), so entries are a sorted list, not an array
 * indexed by sample. */
typedef struct rundir_log {
  smap by_key;            /* reward by canonical string (dedupe) */
  rundir_entry *entries;  /* by increasing sample, one per sample: the last line of it (malloc'd) */
  long n;                 /* entries */
  long cap;               /* entries allocated */
  long lines;             /* lines read: children evaluated in the run so far */
} rundir_log;

/* Reads the log at path (none yet is not an error). A damaged last line (a
 * kill in the middle of a write) is reported unless quiet and cut off; a
 * damaged line before the last is an error naming it, and the file is left
 * as it is. 0, or -1 with a message. */
int rundir_read_log(const char *path, rundir_log *log, int quiet, strbuf *err);
void rundir_log_free(rundir_log *log);
/* The entry of sample in log, or NULL when the log has none. */
const rundir_entry *rundir_logged(const rundir_log *log, long sample);

/* The log line of sample (one JSON object and a newline) into b. */
void rundir_log_line(strbuf *b, long sample, const char *key, const search_result *res, int hit, const arch *a);

/* One of the best architectures of a log (rundir_read_top). */
typedef struct rundir_top {
  long sample;     /* the first sample that evaluated it */
  double reward;   /* its reward */
  char key[512];   /* its canonical string */
  char *record;    /* its record as logged (malloc'd) */
} rundir_top;
/* The k best distinct architectures of the log at path, best first: the
 * children evaluated without error, by reward, ties to the earlier sample.
 * Fills out[0..k) and returns how many there were (at most k; free them
 * with rundir_top_free), or -1 with a message. */
int rundir_read_top(const char *path, int k, rundir_top *out, strbuf *err);
void rundir_top_free(rundir_top *t, int n);
/* Replaces dir/best.json: the record of a, its reward and test figure, and
 * the space's file (absolute) when file is set; readable by naslc show and
 * train --arch. 0, or -1 with a message. */
int rundir_write_best(const char *dir, const char *file, const arch *a, const search_result *res, strbuf *err);

#endif

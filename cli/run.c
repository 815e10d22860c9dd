/* run.c: `naslc run FILE [--dir DIR] ... | FILE --resume DIR`: the search.
 * Prepares the recipe's evaluator, runs runtime/search/search.h's loop in
 * the run directory and prints the summary. Ctrl-C (or SIGTERM) asks the
 * loop to stop after the child in flight; the run then resumes with
 * --resume. */
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/dist.h"
#include "common/clock.h"
#include "runtime/search/evaluate.h"
#include "runtime/search/search.h"

/* The exit status of a search that stopped on an error. */
static int exit_status(int error) {
  switch (error) {
    case SEARCH_E_REWARD: return EXIT_TRAIN;        /* the formula */
    case SEARCH_E_UNSUPPORTED: return EXIT_USAGE;   /* a space this evaluator cannot search */
    case SEARCH_E_INTERNAL: return EXIT_TRAIN;
    case SEARCH_E_BUSY: return EXIT_IO;             /* another process has the run directory */
    case SEARCH_E_EXISTS: return EXIT_USAGE;        /* a new run would overwrite one: --resume it */
    case SEARCH_E_TRAINING: return EXIT_TRAIN;      /* the shared weights' loss is not finite */
    default: return EXIT_IO;                        /* files and directories */
  }
}

static volatile sig_atomic_t stop_requested;
static void on_interrupt(int sig) {
  (void)sig;
  static const char say[] = "naslc: stopping after the child in flight; the same signal again stops at once\n";
  if (!stop_requested) {
    ssize_t w = write(2, say, sizeof say - 1); /* async-signal-safe; nothing to do if it fails */
    (void)w;
    dist_note(); /* under mpirun: the samples in flight and their ranks (mpirun may kill us next) */
  }
  stop_requested = 1;
}

/* Ctrl-C, SIGTERM and SIGHUP ask the search to stop after the child in
 * flight (search_opts.stop); each handler is reset when it runs, so the
 * same signal a second time ends the process at once, which the run
 * directory survives as it survives kill -9. A signal ignored when naslc
 * starts (nohup ignores SIGHUP) stays ignored. */
static void catch_stop_signals(void) {
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    struct sigaction old, sa;
    if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(sigs[i], &sa, NULL);
  }
}

/* The final stage's models, and the first one's test figure as the run's
 * result. */
static void print_final(const cli *c, const grammar *g, const search_summary *sum, const char *dir) {
  if (!sum->nfinal) return;
  const char *metric = grammar_is_lm(g) ? "test perplexity" : "test accuracy";
  printf("final models (retrained from scratch with the final recipe):\n");
  for (int i = 0; i < sum->nfinal; i++) {
    const search_final *f = &sum->final[i];
    char from[96];
    if (f->ranked) snprintf(from, sizeof from, "ranking reward %.4f, candidate %ld", f->reward, f->sample + 1);
    else snprintf(from, sizeof from, "search reward %.4f, sample %ld", f->reward, f->sample);
    if (f->ok) printf("  %d. %s %.4f  (%s)  %s/final/%d\n", f->rank, metric, f->test, from, dir, f->rank);
    else printf("  %d. not trained: %s  (%s)\n", f->rank, f->note, from);
  }
  for (int i = 0; i < sum->nfinal; i++)
    if (sum->final[i].ok) {
      printf("final %s %.4f: %s/final/%d (naslc eval %s --final --arch %s/final/%d/arch.json --weights "
             "%s/final/%d/weights.safetensors)\n",
             metric, sum->final[i].test, dir, sum->final[i].rank, c->file, dir, sum->final[i].rank, dir,
             sum->final[i].rank);
      break;
    }
}

/* A worker of a distributed run (dist.h): the file compiled without its
 * diagnostics (rank 0 prints them), then dist_work. */
static int run_worker(cli *c, dist *d) {
  int status = 0, saved = dup(2), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
  fflush(stderr);
  if (saved >= 0 && null >= 0) dup2(null, 2);
  grammar *g = cli_compile_runnable(c, &status);
  fflush(stderr);
  if (saved >= 0 && null >= 0) dup2(saved, 2);
  if (saved >= 0) close(saved);
  if (null >= 0) close(null);
  status = dist_work(d, g, status, cli_threads(c));
  dist_end(d);
  if (g) grammar_free(g);
  return status;
}

/* Rank 0 of a distributed run: the workers' greetings, then the pool the
 * search hands its children to. 0, or an exit status. */
static int start_workers(cli *c, dist *d, const grammar *g, int quiet, search_opts *o) {
  if (g->search.evaluator == EVAL_SHARED && (c->given & O_ASYNCMODE)) {
    fprintf(stderr, "naslc: the shared evaluator runs distributed in the synchronous mode only; run %s without "
            "--async\n", c->file);
    return EXIT_USAGE;
  }
  if (o->shared) { /* rank 0 trains the shared weights; the workers get them after every round */
    dist_share(d, o->shared, &d->shared);
    o->shared = &d->shared;
  }
  d->timeout = (double)cli_num(c, O_TIMEOUT, 0);
  o->async = (c->given & O_ASYNCMODE) != 0;
  int status = dist_gather(d, g->name, quiet);
  if (status) return status;
  o->pool = &d->pool;
  return 0;
}

int cmd_run(cli *c) {
  if ((c->given & O_DIR) && (c->given & O_RESUME)) return cli_bad_usage("%s: give --dir or --resume, not both", "run");
  if ((c->given & O_SEED) && (c->given & O_RESUME))
    return cli_bad_usage("%s: --seed starts a new run; a resumed run keeps the seed in its checkpoint", "run");
  dist d;
  int status = dist_begin(&d);
  if (status) return status;
  if (d.rank > 0) return run_worker(c, &d);
  if (d.size == 1 && (c->given & (O_TIMEOUT | O_ASYNCMODE))) {
    dist_end(&d);
    return cli_bad_usage((c->given & O_ASYNCMODE) ? "%s: --async is for a run under mpirun (mpirun -n N naslc run ...)"
                                              : "%s: --timeout is for a run under mpirun (mpirun -n N naslc run ...)",
                         "run");
  }
  if ((c->given & O_ASYNCMODE) && (c->given & O_RESUME)) {
    dist_end(&d);
    return cli_bad_usage("%s: --async starts a new run; a resumed run keeps the mode in its checkpoint", "run");
  }
  grammar *g = cli_compile_runnable(c, &status);
  if (!g) {
    dist_end(&d);
    return status;
  }
  if (c->given & O_SEED) g->search.seed = cli_num(c, O_SEED, 1);
  const grammar_search *s = &g->search;
  strbuf err;
  strbuf_init(&err);
  int quiet = (c->given & O_QUIET) != 0;
  search_evaluator e;
  memset(&e, 0, sizeof e);
  /* distributed, the workers load the data; rank 0 only searches, unless it
   * trains shared weights */
  int rc = d.size > 1 && g->search.evaluator != EVAL_SHARED ? 0 : search_evaluator_open(&e, g, cli_threads(c), quiet, &err);
  if (rc) {
    fprintf(stderr, "naslc: %s\n", err.data);
    search_evaluator_close(&e);
    grammar_free(g);
    strbuf_free(&err);
    dist_end(&d);
    return exit_status(rc);
  }
  char dir[4096];
  if (c->given & O_RESUME) snprintf(dir, sizeof dir, "%s", cli_text(c, O_RESUME));
  else if (c->given & O_DIR) snprintf(dir, sizeof dir, "%s", cli_text(c, O_DIR));
  else snprintf(dir, sizeof dir, "runs/%s", g->name);
  search_opts o = {dir, (c->given & O_RESUME) != 0, quiet, (long)cli_num(c, O_SAMPLES, 0), 0, c->file, &stop_requested,
                   NULL, NULL, cli_threads(c), e.shared, NULL, 0};
  if (g->ndecisions == 0 && !(c->given & O_SAMPLES)) o.samples = 1; /* one architecture: train it once */
  if (d.size > 1 && (status = start_workers(c, &d, g, quiet, &o))) {
    grammar_free(g);
    strbuf_free(&err);
    dist_end(&d);
    return status;
  }
  catch_stop_signals();
  if (!quiet)
    fprintf(stderr, "%s search of '%s' (%s architectures), run directory %s%s\n",
            s->strategy == STRATEGY_REINFORCE ? "REINFORCE" : "random", g->name,
            g->size_exact ? g->size_exact : "many", dir, d.size > 1 ? ", children evaluated by the workers" : "");
  search_summary sum;
  double t0 = nasl_clock_seconds();
  rc = search_run(g, &o, e.fn, &e, &sum, &err);
  if (d.size > 1 && !quiet && d.answers > 0) { /* what one controller costs per child (bench/mpi_scaling.sh) */
    double el = nasl_clock_seconds() - t0;
    fprintf(stderr, "distributed: %d workers, %ld children in %.2f s (%.2f per second); rank 0 busy %.3f ms per child\n",
            d.size - 1, d.answers, el, (double)d.answers / el, 1000 * (el - d.waited) / (double)d.answers);
  }
  if (rc) {
    fprintf(stderr, "naslc: %s\n", err.data);
    status = exit_status(rc);
    if (d.size > 1) dist_abort(&d, status); /* workers may be in the middle of a child */
  } else {
    if (sum.stopped) {
      fprintf(stderr, "stopped at sample %ld; continue with: naslc run %s --resume %s\n", sum.samples, c->file, dir);
      status = EXIT_STOPPED;
    }
    printf("samples %ld, children evaluated %ld, repeats %ld\n", sum.samples, sum.evaluated, sum.hits);
    printf("best reward %.6f: %s\n", sum.best_reward, sum.best_key);
    if (!isnan(sum.best_test))
      printf("best architecture's test %s %.4f\n", grammar_is_lm(g) ? "perplexity" : "accuracy", sum.best_test);
    printf("best architecture: %s/best.json (naslc show %s/best.json)\n", dir, dir);
    if (sum.ranked)
      printf("ranking: %d architectures drawn at the end, best reward %.6f: %s (%s/ranked.jsonl)\n", sum.ranked,
             sum.ranked_reward, sum.ranked_key, dir);
    print_final(c, g, &sum, dir);
    printf("run directory %s (naslc report %s)\n", dir, dir);
  }
  search_evaluator_close(&e);
  grammar_free(g);
  strbuf_free(&err);
  dist_end(&d);
  return status;
}

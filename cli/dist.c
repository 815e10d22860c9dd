/* dist.c: distributed runs over MPI (see dist.h). Every wait polls with
 * MPI_Iprobe and sleeps between polls (50 us growing to 2 ms), so that an
 * idle rank leaves its core to the others: Open MPI's blocking receives
 * spin, which on an oversubscribed machine takes the cores the workers
 * train on. */
#include "cli/dist.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "runtime/search/wire.h"

#ifdef HAVE_MPI
#include <mpi.h>
#endif

enum { TAG_HELLO = 1, TAG_REQUEST = 2, TAG_REPLY = 3, TAG_STOP = 4, TAG_STORE = 5 };

/* The job's size as the launcher gave it, from its environment (Open MPI,
 * then PMI launchers such as MPICH's); 0 when naslc was not launched so. */
static int launcher_size(int *rank) {
  static const char *const sizes[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"};
  static const char *const ranks[] = {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"};
  for (int i = 0; i < 3; i++) {
    const char *s = getenv(sizes[i]), *r = getenv(ranks[i]);
    if (s && *s) {
      *rank = r ? atoi(r) : 0;
      return atoi(s);
    }
  }
  *rank = 0;
  return 0;
}

#ifdef HAVE_MPI

static void nap(double *us) {
  struct timespec ts = {0, (long)(*us * 1000)};
  nanosleep(&ts, NULL);
  *us = *us * 1.5 < 2000 ? *us * 1.5 : 2000;
}

int dist_begin(dist *d) {
  memset(d, 0, sizeof *d);
  strbuf_init(&d->buf);
  strbuf_init(&d->store);
  int rank, size = launcher_size(&rank);
  d->size = 1;
  if (size <= 0) return 0; /* not started by mpirun: a serial run, MPI untouched */
  int provided;
  if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    fprintf(stderr, "naslc: MPI could not be started\n");
    return EXIT_IO;
  }
  d->mpi = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
  MPI_Comm_size(MPI_COMM_WORLD, &d->size);
  return 0;
}

/* Receives a message from source (or any) with tag (or any) into d->buf,
 * polling; *from and *tag say what came. With a deadline (> 0, on
 * nasl_clock_seconds) returns 1 when it passes first. */
static int receive(dist *d, int source, int want, int *from, int *tag, double deadline) {
  double us = 50;
  for (;;) {
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(source, want, MPI_COMM_WORLD, &flag, &st);
    if (flag) {
      int n = 0;
      MPI_Get_count(&st, MPI_CHAR, &n);
      char *text = xmalloc((size_t)n + 1);
      MPI_Recv(text, n, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      strbuf_clear(&d->buf);
      strbuf_add(&d->buf, text, (size_t)n);
      free(text);
      *from = st.MPI_SOURCE;
      *tag = st.MPI_TAG;
      return 0;
    }
    if (deadline > 0 && nasl_clock_seconds() > deadline) return 1;
    nap(&us);
  }
}

/* Sends text to dest, polling for completion rather than spinning; 1 when
 * a deadline (> 0) passes first (a receiver that is stopped or hung never
 * takes even a short message). */
static int send_text(const strbuf *text, int dest, int tag, double deadline) {
  MPI_Request req;
  MPI_Isend(text->data, (int)text->len, MPI_CHAR, dest, tag, MPI_COMM_WORLD, &req);
  double us = 50;
  for (;;) {
    int done = 0;
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    if (done) return 0;
    if (deadline > 0 && nasl_clock_seconds() > deadline) return 1;
    nap(&us);
  }
}

/* What a signal handler may print about the children in flight
 * (dist_note): rewritten by rank 0 after every change into the buffer not
 * in use, then published by switching `shown`. */
static char notes[2][8192];
static size_t note_len[2];
static volatile sig_atomic_t shown = -1;

static void update_note(const dist *d) {
  int k = shown == 0 ? 1 : 0;
  size_t n = 0;
  for (int w = 1; w < d->size && n < sizeof notes[k] - 200; w++)
    if (d->inflight[w] >= 0)
      n += (size_t)snprintf(notes[k] + n, sizeof notes[k] - n, "naslc: sample %ld in flight on rank %d (%s)\n",
                            d->inflight[w], w, d->hosts[w]);
  note_len[k] = n;
  shown = k;
}

void dist_note(void) {
  int k = shown;
  if (k >= 0 && note_len[k]) {
    ssize_t w = write(2, notes[k], note_len[k]); /* async-signal-safe */
    (void)w;
  }
}

/* The job ends: worker w has not answered (or taken) sample in time. */
static void timed_out(dist *d, int w, long sample) {
  fprintf(stderr, "naslc: rank %d (%s) has not answered for sample %ld in %g s (--timeout); the job ends\n", w,
          d->hosts[w], sample, d->timeout);
  dist_abort(d, EXIT_WORKER);
}

/* A new temporary file for the shared weights, under $TMPDIR or /tmp: its
 * descriptor (path holds its name), or -1. */
static int temp_file(char *path, size_t size) {
  const char *tmp = getenv("TMPDIR");
  snprintf(path, size, "%s/naslc-store-%ld-XXXXXX", tmp && *tmp ? tmp : "/tmp", (long)getpid());
  return mkstemp(path);
}

/* ---- a worker ---- */

static void hello(dist *d, const char *space, const char *error) {
  wire_hello h;
  memset(&h, 0, sizeof h);
  h.rank = d->rank;
  h.ready = error == NULL;
  if (gethostname(h.host, sizeof h.host - 1)) snprintf(h.host, sizeof h.host, "?");
  snprintf(h.space, sizeof h.space, "%s", space);
  if (error) snprintf(h.error, sizeof h.error, "%s", error);
  strbuf msg;
  strbuf_init(&msg);
  wire_write_hello(&msg, &h);
  send_text(&msg, 0, TAG_HELLO, 0);
  strbuf_free(&msg);
}

/* A file of the shared weights in d->buf: loaded into e's store through a
 * temporary file; a failure is kept in why for the next reply. */
static void take_store(dist *d, search_evaluator *e, strbuf *why) {
  char path[4096];
  int fd = temp_file(path, sizeof path);
  strbuf_clear(why);
  if (fd < 0) {
    strbuf_printf(why, "cannot write the shared weights to a temporary file: %s", strerror(errno));
    return;
  }
  size_t done = 0;
  while (done < d->buf.len) {
    ssize_t w = write(fd, d->buf.data + done, d->buf.len - done);
    if (w <= 0) break;
    done += (size_t)w;
  }
  close(fd);
  if (done < d->buf.len) strbuf_printf(why, "cannot write the shared weights to '%s': %s", path, strerror(errno));
  else if (e->shared->load(e->shared->ctx, path, why) == 0) strbuf_clear(why);
  unlink(path);
}

/* Evaluates the request in d->buf and sends the reply (an error when the
 * shared weights could not be taken: store_error). */
static void serve(dist *d, search_evaluator *e, grammar *g, const strbuf *store_error) {
  long sample = 0;
  int64_t seed;
  double best_before;
  arch a;
  search_result res;
  memset(&res, 0, sizeof res);
  strbuf err, key, reply;
  strbuf_init(&err);
  strbuf_init(&key);
  strbuf_init(&reply);
  int status = 0;
  if (wire_read_request(g, d->buf.data, d->buf.len, &sample, &seed, &best_before, &a, &err)) {
    status = SEARCH_E_INTERNAL;
  } else if (store_error->len) {
    strbuf_puts(&err, store_error->data);
    status = SEARCH_E_FILE;
    arch_free(&a);
  } else {
    g->train.seed = seed;
    search_key(&a, &key);
    res.best_before = best_before;
    status = e->fn(e, &a, key.data, &res, &err);
    arch_free(&a);
  }
  wire_write_reply(&reply, sample, status, err.data, &res);
  send_text(&reply, 0, TAG_REPLY, 0);
  strbuf_free(&err);
  strbuf_free(&key);
  strbuf_free(&reply);
}

int dist_work(dist *d, grammar *g, int status, int threads) {
  search_evaluator e;
  memset(&e, 0, sizeof e);
  strbuf err;
  strbuf_init(&err);
  if (!g) {
    hello(d, "", "the file does not compile here (rank 0 shows the diagnostics if it sees them too)");
  } else if ((status = search_evaluator_open(&e, g, threads, 1, &err))) {
    hello(d, g->name, err.data);
    status = status == SEARCH_E_UNSUPPORTED ? EXIT_USAGE : EXIT_IO;
  } else {
    hello(d, g->name, NULL);
  }
  strbuf store_error;
  strbuf_init(&store_error);
  for (;;) {
    int from, tag;
    receive(d, 0, MPI_ANY_TAG, &from, &tag, 0);
    if (tag == TAG_STOP) break;
    if (tag == TAG_STORE && e.shared) take_store(d, &e, &store_error);
    if (tag == TAG_REQUEST && e.fn) serve(d, &e, g, &store_error);
  }
  strbuf_free(&store_error);
  if (e.fn) search_evaluator_close(&e);
  strbuf_free(&err);
  (void)status; /* rank 0 reports a worker that is not ready, and its exit status is the job's */
  return 0;
}

/* ---- rank 0 ---- */

/* The shared weights of d->version as a file's bytes in d->store (written
 * once per version, through a temporary file). 0, or a search_error. */
static int store_bytes(dist *d, strbuf *err) {
  if (d->store_version == d->version) return 0;
  char path[4096];
  int fd = temp_file(path, sizeof path);
  if (fd < 0) {
    strbuf_printf(err, "cannot make a temporary file for the shared weights: %s", strerror(errno));
    return SEARCH_E_FILE;
  }
  close(fd);
  int rc = 0;
  strbuf_clear(&d->store);
  if (d->inner->save(d->inner->ctx, path, err)) rc = SEARCH_E_FILE;
  else if (strbuf_read_file(&d->store, path, (size_t)1 << 40)) {
    strbuf_printf(err, "cannot read back the shared weights from '%s'", path);
    rc = SEARCH_E_FILE;
  }
  unlink(path);
  if (rc == 0) d->store_version = d->version;
  return rc;
}

static int share_train(void *ctx, long round, search_draw_fn draw, void *draw_ctx, volatile int *stop, strbuf *err) {
  dist *d = ctx;
  d->version++;
  return d->inner->train(d->inner->ctx, round, draw, draw_ctx, stop, err);
}
static int share_save(void *ctx, const char *path, strbuf *err) {
  dist *d = ctx;
  return d->inner->save(d->inner->ctx, path, err);
}
static int share_load(void *ctx, const char *path, strbuf *err) {
  dist *d = ctx;
  d->version++;
  return d->inner->load(d->inner->ctx, path, err);
}

static int share_judge(void *ctx, const arch *a, const char *key, search_result *res, strbuf *err) {
  dist *d = ctx;
  return d->inner->judge(d->inner->ctx, a, key, res, err);
}

void dist_share(dist *d, const search_shared *inner, search_shared *outer) {
  d->inner = inner;
  d->store_version = -1;
  *outer = *inner;
  outer->ctx = d;
  outer->train = share_train;
  outer->save = share_save;
  outer->load = share_load;
  outer->judge = share_judge; /* the closing ranking runs on rank 0 */
}

static int pool_submit(void *ctx, long sample, const arch *a, const char *key, double best_before, strbuf *err) {
  (void)key, (void)err;
  dist *d = ctx;
  int w = 1;
  while (w < d->size && d->inflight[w] >= 0) w++;
  if (w == d->size) {
    strbuf_printf(err, "no idle worker for sample %ld", sample);
    return SEARCH_E_INTERNAL;
  }
  strbuf msg;
  strbuf_init(&msg);
  wire_write_request(&msg, sample, a->g->train.seed, best_before, a);
  d->inflight[w] = sample;
  d->since[w] = nasl_clock_seconds();
  update_note(d);
  double deadline = d->timeout > 0 ? d->since[w] + d->timeout : 0;
  if (d->inner && d->has[w] != d->version) { /* the shared weights moved since this worker got them */
    int rc = store_bytes(d, err);
    if (rc) {
      strbuf_free(&msg);
      return rc;
    }
    if (send_text(&d->store, w, TAG_STORE, deadline)) timed_out(d, w, sample);
    d->has[w] = d->version;
  }
  if (send_text(&msg, w, TAG_REQUEST, deadline)) timed_out(d, w, sample);
  strbuf_free(&msg);
  return 0;
}

/* The oldest child in flight: its worker, or 0. */
static int oldest(const dist *d) {
  int w = 0;
  for (int i = 1; i < d->size; i++)
    if (d->inflight[i] >= 0 && (!w || d->since[i] < d->since[w])) w = i;
  return w;
}

static int pool_wait(void *ctx, long *sample, search_result *res, strbuf *err) {
  dist *d = ctx;
  double t0 = nasl_clock_seconds();
  d->answers++;
  for (;;) {
    int w = oldest(d);
    if (!w) {
      strbuf_puts(err, "no child is in flight");
      return SEARCH_E_INTERNAL;
    }
    double deadline = d->timeout > 0 ? d->since[w] + d->timeout : 0;
    int from, tag;
    if (receive(d, MPI_ANY_SOURCE, TAG_REPLY, &from, &tag, deadline)) timed_out(d, w, d->inflight[w]);
    if (from <= 0 || from >= d->size || d->inflight[from] < 0) continue; /* not a worker's answer: ignored */
    int status;
    strbuf why, error;
    strbuf_init(&why);
    strbuf_init(&error);
    d->waited += nasl_clock_seconds() - t0;
    int bad = wire_read_reply(d->buf.data, d->buf.len, sample, &status, &error, res, &why);
    long sent = d->inflight[from];
    d->inflight[from] = -1;
    update_note(d);
    int rc = 0;
    if (bad || *sample != sent) {
      strbuf_printf(err, "rank %d (%s) answered sample %ld with %s%s", from, d->hosts[from], sent,
                    bad ? "a message that is not a reply: " : "another sample's result", why.data);
      rc = SEARCH_E_INTERNAL;
    } else if (status) {
      strbuf_printf(err, "sample %ld on rank %d (%s): %s", sent, from, d->hosts[from], error.data);
      rc = status;
    }
    strbuf_free(&why);
    strbuf_free(&error);
    return rc;
  }
}

int dist_gather(dist *d, const char *space, int quiet) {
  int n = d->size;
  d->inflight = xcalloc((size_t)n, sizeof *d->inflight);
  d->since = xcalloc((size_t)n, sizeof *d->since);
  d->hosts = xcalloc((size_t)n, sizeof *d->hosts);
  d->has = xcalloc((size_t)n, sizeof *d->has);
  for (int i = 0; i < n; i++) d->inflight[i] = -1, d->has[i] = -1;
  int ready = 0, status = 0;
  for (int got = 0; got < n - 1;) {
    int from, tag;
    receive(d, MPI_ANY_SOURCE, TAG_HELLO, &from, &tag, 0);
    wire_hello h;
    strbuf why;
    strbuf_init(&why);
    if (from <= 0 || from >= n || d->hosts[from]) {
      strbuf_free(&why);
      continue;
    }
    if (wire_read_hello(d->buf.data, d->buf.len, &h, &why)) {
      fprintf(stderr, "naslc: rank %d sent a greeting that cannot be read: %s\n", from, why.data);
      snprintf(h.host, sizeof h.host, "?");
      status = EXIT_WORKER;
    } else if (!h.ready) {
      fprintf(stderr, "naslc: rank %d (%s) is not ready: %s\n", from, h.host, h.error);
      if (!status) status = EXIT_WORKER;
    } else if (strcmp(h.space, space)) {
      fprintf(stderr, "naslc: rank %d (%s) has space '%s', not '%s': every rank must read the same file\n", from,
              h.host, h.space, space);
      if (!status) status = EXIT_WORKER;
    } else {
      ready++;
    }
    d->hosts[from] = xstrdup(h.host);
    got++;
    strbuf_free(&why);
  }
  if (!status && !quiet) fprintf(stderr, "%d workers ready\n", ready);
  d->pool = (search_pool){d, n - 1, pool_submit, pool_wait};
  return status;
}

void dist_abort(dist *d, int status) {
  for (int w = 1; d->inflight && w < d->size; w++)
    if (d->inflight[w] >= 0)
      fprintf(stderr, "naslc: sample %ld was in flight on rank %d (%s)\n", d->inflight[w], w, d->hosts[w]);
  fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, status);
  exit(status);
}

void dist_end(dist *d) {
  if (d->mpi) {
    if (d->rank == 0) {
      strbuf none;
      strbuf_init(&none);
      for (int w = 1; w < d->size; w++) send_text(&none, w, TAG_STOP, 0);
      strbuf_free(&none);
    }
    MPI_Finalize();
  }
  for (int i = 0; d->hosts && i < d->size; i++) free(d->hosts[i]);
  free(d->hosts);
  free(d->inflight);
  free(d->since);
  free(d->has);
  strbuf_free(&d->store);
  strbuf_free(&d->buf);
  memset(d, 0, sizeof *d);
}

void dist_describe(strbuf *out) {
  char v[MPI_MAX_LIBRARY_VERSION_STRING];
  int n = 0;
  MPI_Get_library_version(v, &n);
  char *end = strpbrk(v, ",\n"); /* the first part: "Open MPI v4.1.4" */
  if (end) *end = 0;
  strbuf_printf(out, "distributed runs: %s", v);
}

#else /* no MPI */

void dist_describe(strbuf *out) { strbuf_puts(out, "distributed runs: not built (no MPI found by configure)"); }

void dist_note(void) {}

void dist_share(dist *d, const search_shared *inner, search_shared *outer) {
  (void)d;
  *outer = *inner;
}

int dist_begin(dist *d) {
  memset(d, 0, sizeof *d);
  d->size = 1;
  int rank, size = launcher_size(&rank);
  if (size > 1) {
    if (rank == 0)
      fprintf(stderr, "naslc: started by mpirun with %d ranks, but this naslc was built without MPI; install Open "
              "MPI (the Debian package libopenmpi-dev) and build again, or run without mpirun\n", size);
    return EXIT_USAGE;
  }
  return 0;
}

int dist_work(dist *d, grammar *g, int status, int threads) {
  (void)d, (void)g, (void)threads;
  return status;
}

int dist_gather(dist *d, const char *space, int quiet) {
  (void)d, (void)space, (void)quiet;
  return EXIT_USAGE;
}

void dist_abort(dist *d, int status) {
  (void)d;
  exit(status);
}

void dist_end(dist *d) { memset(d, 0, sizeof *d); }

#endif

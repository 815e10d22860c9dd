/* wire.h: the messages of a distributed search (cli/mpi.c carries them;
 * naslc(1), Distributed runs). Every message is one line of JSON text, so
 * that ranks on different machines need agree only on the text:
 *
 *   hello    worker -> controller, once, when the worker is ready (or not):
 *            {"rank":R,"host":"H","space":"NAME","ready":true}
 *            {"rank":R,"host":"H","space":"NAME","ready":false,"error":"why"}
 *   request  controller -> worker, one child:
 *            {"sample":N,"seed":S,"best_before":B,"record":{...}}
 *            the record is the architecture as naslc sample prints it
 *            (arch_json), S the training seed, B the best reward settled
 *            before it (null for none): a child that beats B runs its test
 *            pass (search.h, search_pool)
 *   reply    worker -> controller, its result:
 *            {"sample":N,"status":0,"ok":true,"reward":X,"seconds":T,
 *             "params":P,"flops":F,"test":Y,"valid":[...],"note":"..."}
 *            status is 0 or a search_error, with "error" saying why; test
 *            is null when the child was not tested; numbers are written with
 *            17 significant digits, so a reward crosses exactly
 *   stop     controller -> worker: no body (its own message tag)
 *   weights  controller -> worker, with the shared evaluator: the bytes of
 *            a safetensors file of the shared weights (runtime/models/
 *            shared.h; read by shared_load, its own tag), sent after each
 *            round of training before the worker's next request
 *
 * The readers are strict (common/json.h) and check every field's kind and
 * range: a message that is not one of these is an error with a reason,
 * never a crash. */
#ifndef NASLC_WIRE_H
#define NASLC_WIRE_H

#include "runtime/search/search.h"

#define WIRE_MAX ((size_t)1 << 24) /* the longest message read (16 MiB) */

typedef struct wire_hello {
  int rank;
  int ready;
  char host[256];
  char space[256];
  char error[1024];  /* when not ready */
} wire_hello;

void wire_write_hello(strbuf *out, const wire_hello *h);
int wire_read_hello(const char *text, size_t len, wire_hello *h, strbuf *err);

void wire_write_request(strbuf *out, long sample, int64_t seed, double best_before, const arch *a);
/* Reads a request for grammar g into *a (arch_free it): 0, or -1 with a
 * reason (the record does not fit g, say). */
int wire_read_request(const grammar *g, const char *text, size_t len, long *sample, int64_t *seed,
                      double *best_before, arch *a, strbuf *err);

/* status 0: res is the result; else a search_error and error says why. */
void wire_write_reply(strbuf *out, long sample, int status, const char *error, const search_result *res);
/* 0 with *status, and *res (status 0) or the reason in error (status not
 * 0); -1 with a reason in err when the text is not a reply. */
int wire_read_reply(const char *text, size_t len, long *sample, int *status, strbuf *error, search_result *res,
                    strbuf *err);

#endif

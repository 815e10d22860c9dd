/* wire.c: the messages of a distributed search (see wire.h). */
#include "runtime/search/wire.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"

/* A double that reads back as the same bits; null when not finite. */
static void put_exact(strbuf *b, double v) {
  if (isfinite(v)) strbuf_printf(b, "%.17g", v);
  else strbuf_puts(b, "null");
}

void wire_write_hello(strbuf *out, const wire_hello *h) {
  strbuf_clear(out);
  strbuf_printf(out, "{\"rank\":%d,\"host\":", h->rank);
  strbuf_json_string(out, h->host);
  strbuf_puts(out, ",\"space\":");
  strbuf_json_string(out, h->space);
  strbuf_printf(out, ",\"ready\":%s", h->ready ? "true" : "false");
  if (!h->ready) {
    strbuf_puts(out, ",\"error\":");
    strbuf_json_string(out, h->error);
  }
  strbuf_puts(out, "}\n");
}

/* ---- reading: each field checked for its kind and range ---- */

static const json_value *field(const json_value *obj, const char *name, json_kind kind, strbuf *err) {
  const json_value *v = json_get(obj, name);
  if (!v) {
    strbuf_printf(err, "no \"%s\"", name);
    return NULL;
  }
  if (v->kind != kind) {
    strbuf_printf(err, "\"%s\" is %s", name, json_describe(v));
    return NULL;
  }
  return v;
}

static int get_long(const json_value *obj, const char *name, long lo, long hi, long *out, strbuf *err) {
  const json_value *v = field(obj, name, JSON_NUMBER, err);
  if (!v) return -1;
  if (!v->is_integer || v->integer < lo || v->integer > hi) {
    strbuf_printf(err, "\"%s\" is not an integer from %ld to %ld", name, lo, hi);
    return -1;
  }
  *out = (long)v->integer;
  return 0;
}

/* A number, or null for a value that is not finite (nullval). */
static int get_number(const json_value *obj, const char *name, double nullval, double *out, strbuf *err) {
  const json_value *v = json_get(obj, name);
  if (v && v->kind == JSON_NULL) {
    *out = nullval;
    return 0;
  }
  if (!(v = field(obj, name, JSON_NUMBER, err))) return -1;
  if (!isfinite(v->number)) { /* 1e999: what cannot be written back (null stands for none) */
    strbuf_printf(err, "\"%s\" is out of range", name);
    return -1;
  }
  *out = v->number;
  return 0;
}

static int get_string(const json_value *obj, const char *name, char *out, size_t size, strbuf *err) {
  const json_value *v = field(obj, name, JSON_STRING, err);
  if (!v) return -1;
  if (strlen(v->string) >= size) {
    strbuf_printf(err, "\"%s\" is longer than %zu bytes", name, size - 1);
    return -1;
  }
  snprintf(out, size, "%s", v->string);
  return 0;
}

/* Parses text as one JSON object (a message); NULL with a reason. */
static const json_value *message(arena *mem, const char *text, size_t len, strbuf *err) {
  if (len > WIRE_MAX) {
    strbuf_printf(err, "a message of %zu bytes (at most %zu)", len, WIRE_MAX);
    return NULL;
  }
  const json_value *v = json_parse(mem, text, len, err);
  if (v && v->kind != JSON_OBJECT) {
    strbuf_printf(err, "a message is %s, not an object", json_describe(v));
    return NULL;
  }
  return v;
}

int wire_read_hello(const char *text, size_t len, wire_hello *h, strbuf *err) {
  arena mem;
  arena_init(&mem);
  memset(h, 0, sizeof *h);
  int rc = -1;
  long rank;
  const json_value *v = message(&mem, text, len, err), *ready;
  if (!v || get_long(v, "rank", 0, 1L << 30, &rank, err) || get_string(v, "host", h->host, sizeof h->host, err) ||
      get_string(v, "space", h->space, sizeof h->space, err) || !(ready = field(v, "ready", JSON_BOOL, err)))
    goto out;
  h->rank = (int)rank;
  h->ready = ready->number != 0;
  if (!h->ready && get_string(v, "error", h->error, sizeof h->error, err)) goto out;
  rc = 0;
out:
  arena_free(&mem);
  return rc;
}

void wire_write_request(strbuf *out, long sample, int64_t seed, double best_before, const arch *a) {
  strbuf_clear(out);
  strbuf_printf(out, "{\"sample\":%ld,\"seed\":%lld,\"best_before\":", sample, (long long)seed);
  put_exact(out, best_before);
  strbuf_puts(out, ",\"record\":");
  arch_json(a, out);
  strbuf_puts(out, "}\n");
}

int wire_read_request(const grammar *g, const char *text, size_t len, long *sample, int64_t *seed,
                      double *best_before, arch *a, strbuf *err) {
  arena mem;
  arena_init(&mem);
  int rc = -1;
  const json_value *v = message(&mem, text, len, err), *sd, *rec;
  if (!v || get_long(v, "sample", 0, 1L << 40, sample, err) || !(sd = field(v, "seed", JSON_NUMBER, err)) ||
      get_number(v, "best_before", -INFINITY, best_before, err) || !(rec = field(v, "record", JSON_OBJECT, err)))
    goto out;
  if (!sd->is_integer) {
    strbuf_puts(err, "\"seed\" is not an integer");
    goto out;
  }
  *seed = sd->integer;
  /* the record is the rest of the text from its opening brace to the
   * message's closing one */
  size_t end = len;
  while (end > rec->pos && text[end - 1] != '}') end--;
  if (end <= rec->pos + 1) {
    strbuf_puts(err, "the record cannot be found in the message");
    goto out;
  }
  strbuf why;
  strbuf_init(&why);
  int fits = arch_from_record(g, text + rec->pos, end - 1 - rec->pos, a, &why);
  if (fits != 1) strbuf_printf(err, "the record does not fit the space: %s", why.data);
  strbuf_free(&why);
  if (fits == 1) rc = 0;
out:
  arena_free(&mem);
  return rc;
}

void wire_write_reply(strbuf *out, long sample, int status, const char *error, const search_result *res) {
  strbuf_clear(out);
  strbuf_printf(out, "{\"sample\":%ld,\"status\":%d", sample, status);
  if (status) {
    strbuf_puts(out, ",\"error\":");
    strbuf_json_string(out, error ? error : "");
    strbuf_puts(out, "}\n");
    return;
  }
  strbuf_printf(out, ",\"ok\":%s,\"reward\":", res->ok ? "true" : "false");
  put_exact(out, res->reward);
  strbuf_puts(out, ",\"seconds\":");
  put_exact(out, res->seconds);
  strbuf_printf(out, ",\"params\":%lld,\"flops\":%lld,\"test\":", (long long)res->params, (long long)res->flops);
  put_exact(out, res->test_metric);
  strbuf_puts(out, ",\"valid\":[");
  for (int e = 0; e < res->epochs && e < 64; e++) {
    if (e) strbuf_putc(out, ',');
    put_exact(out, res->valid_metric[e]);
  }
  strbuf_puts(out, "],\"note\":");
  strbuf_json_string(out, res->note);
  strbuf_puts(out, "}\n");
}

static int read_result(const json_value *v, search_result *res, strbuf *err) {
  const json_value *ok, *valid, *p, *f;
  if (!(ok = field(v, "ok", JSON_BOOL, err)) || get_number(v, "reward", NAN, &res->reward, err) ||
      get_number(v, "seconds", NAN, &res->seconds, err) || !(p = field(v, "params", JSON_NUMBER, err)) ||
      !(f = field(v, "flops", JSON_NUMBER, err)) || get_number(v, "test", NAN, &res->test_metric, err) ||
      !(valid = field(v, "valid", JSON_ARRAY, err)) || get_string(v, "note", res->note, sizeof res->note, err))
    return -1;
  res->ok = ok->number != 0;
  if (!p->is_integer || !f->is_integer || p->integer < 0 || f->integer < 0) {
    strbuf_puts(err, "\"params\" and \"flops\" must be integers of at least 0");
    return -1;
  }
  res->params = p->integer;
  res->flops = f->integer;
  if (res->ok && !isfinite(res->reward)) {
    strbuf_puts(err, "a child evaluated without error has no reward");
    return -1;
  }
  if (valid->n > 64) {
    strbuf_printf(err, "\"valid\" has %d entries (at most 64)", valid->n);
    return -1;
  }
  res->epochs = valid->n;
  for (int e = 0; e < valid->n; e++) {
    const json_value *x = valid->items[e];
    if (x->kind != JSON_NUMBER && x->kind != JSON_NULL) {
      strbuf_printf(err, "entry %d of \"valid\" is %s", e + 1, json_describe(x));
      return -1;
    }
    if (x->kind == JSON_NUMBER && !isfinite(x->number)) {
      strbuf_printf(err, "entry %d of \"valid\" is out of range", e + 1);
      return -1;
    }
    res->valid_metric[e] = x->kind == JSON_NUMBER ? x->number : NAN;
  }
  return 0;
}

int wire_read_reply(const char *text, size_t len, long *sample, int *status, strbuf *error, search_result *res,
                    strbuf *err) {
  arena mem;
  arena_init(&mem);
  memset(res, 0, sizeof *res);
  int rc = -1;
  long st;
  const json_value *v = message(&mem, text, len, err), *e;
  if (!v || get_long(v, "sample", 0, 1L << 40, sample, err) || get_long(v, "status", -100, 0, &st, err)) goto out;
  *status = (int)st;
  if (st) {
    if (!(e = field(v, "error", JSON_STRING, err))) goto out;
    strbuf_puts(error, e->string);
    rc = 0;
    goto out;
  }
  rc = read_result(v, res, err);
out:
  arena_free(&mem);
  return rc;
}

/* extern.h: plug-in operations (`extern op`) loaded with dlopen and called
 * through libffi, following include/naslc/op.h.
 *
 * A loaded operation (nn_extern) holds the library handle, the three
 * symbols and the libffi call descriptions built from the declaration's
 * parameter types. Loaded operations live for the whole process in one
 * cache keyed by declaration site, library and symbols, so every child of
 * a search shares one load; nothing is ever unloaded (a plug-in's code may
 * still be on the stack of a tensor's backward otherwise).
 *
 * Errors start with the declaration's "file:line:col: error: " so that a
 * person can find the `extern op` that caused them. */
#ifndef NASLC_EXTERN_H
#define NASLC_EXTERN_H

#include "grammar/grammar.h"
#include "naslc/op.h"
#include "stdlib/ops.h"
#include "stdlib/registry.h"

typedef struct nn_extern nn_extern;

/* The loaded form of op (op->ext must not be NULL); loads the library on
 * first use. NULL with the reason in err when the library cannot be
 * opened, a symbol is missing or the declaration cannot be called. */
const nn_extern *nn_extern_load(const grammar_opdecl *op, strbuf *err);

/* The registry entry of op's plug-in (registry.h), loading it on first
 * use; NULL with the reason in err. The entry lives as long as the loaded
 * operation: for the whole process. */
const stdlib_op *stdlib_extern_entry(const grammar_opdecl *op, strbuf *err);

/* Loads every extern op g declares; 0, or -1 with the first reason. */
int nn_extern_load_all(const grammar *g, strbuf *err);

/* The name and declaration site of a loaded operation. */
const char *nn_extern_name(const nn_extern *x);
const char *nn_extern_where(const nn_extern *x);

/* Calls the shape function (or applies "same") for one example of shape
 * in[0..ndim) (in[0], the batch, should be 1): the output's shape into
 * *out_ndim and out_ne, the weights into w[0 .. *nw) (w has room for
 * NASLC_MAX_WEIGHTS). args has one value per declared parameter. Checks
 * what the plug-in said; 0, or -1 with the reason in err. */
int nn_extern_shape(const nn_extern *x, const grammar_value *args, int ndim, const int *in, int *out_ndim,
                    int *out_ne, naslc_weight *w, int *nw, strbuf *err);

/* Runs the forward function on x with the weights w[0..nw) and records the
 * operation (NN_EXTERN) for backward. out_ne is the shape the shape
 * function gave for a batch of one; the output has x's batch size. args
 * is borrowed until the step ends. NULL with ctx->error set when the
 * plug-in fails. */
tensor *nn_extern_forward(nn_ctx *ctx, const nn_extern *x, const grammar_value *args, tensor *in, int out_ndim,
                          const int *out_ne, tensor *const *w, int nw);

/* NN_EXTERN's row in nn_ops: calls the backward function. A plug-in
 * failure is recorded in ctx->error (the caller checks after nn_backward). */
void nn_extern_backward(nn_ctx *ctx, tensor *out);

#endif

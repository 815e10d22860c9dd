/* tensor.h: float32 tensors, the tape that records operations, and reverse-mode
 * differentiation. One core serves the child networks and the controller.
 *
 * A tensor is a shape, contiguous row-major data (NCHW for images), the
 * operation that made it and its sources. Operations run eagerly when they are
 * called (nn_conv2d() computes its output at once) and, when any source needs a
 * gradient, are recorded on the context's tape; nn_backward() walks the tape
 * in reverse and calls each operation's backward function, which adds into its
 * sources' gradients.
 *
 * Memory. Everything made during one step (activations, gradients of
 * activations, saved state) comes from the context's arena and is released by
 * nn_ctx_reset(). Parameters live in an nn_params store, outside any step; a
 * parameter's gradient is accumulated across steps until nn_params_zero_grad().
 *
 * Errors. A shape that does not fit an operation is a normal event (a sampled
 * architecture may be impossible): the operation returns NULL, the context
 * records the first message (ctx->error) and every later operation given a
 * NULL source returns NULL too, so a caller checks once at the end. */
#ifndef NASLC_TENSOR_H
#define NASLC_TENSOR_H

#include <stdint.h>

#include "common/arena.h"
#include "common/strbuf.h"
#include "common/rng.h"

#define NN_MAX_DIMS 4
#define NN_MAX_SRC 4

typedef struct tensor tensor;
typedef struct nn_ctx nn_ctx;

/* What the tape needs of an operation: its name (for messages and
 * profiles), the function that adds d loss / d src into each source's
 * gradient given out->grad, and a small number that identifies it. The
 * operations themselves, their kernels and their table live in stdlib/
 * (stdlib/ops.h); the core knows them only through this record. */
typedef void (*nn_backward_fn)(nn_ctx *ctx, tensor *out);
typedef struct nn_kernel {
  const char *name;         /* as in messages and nasl-stdlib(7) */
  nn_backward_fn backward;  /* adds d loss / d src into each source's grad */
  int id;                   /* index in the stdlib's table (stdlib/ops.h) */
} nn_kernel;

struct tensor {
  int ndim;                 /* 0 (scalar) to NN_MAX_DIMS */
  int ne[NN_MAX_DIMS];      /* sizes, outermost first (N, C, H, W) */
  int64_t n;                /* number of elements */
  float *data;              /* n floats */
  float *grad;              /* n floats, or NULL until a gradient reaches it */
  const nn_kernel *op;      /* what made it; NULL for a leaf (input or parameter) */
  tensor *src[NN_MAX_SRC];  /* its sources (NULL-terminated when fewer) */
  int nsrc;                 /* sources in use */
  int32_t ip[8];            /* integer parameters of op */
  float fp[4];              /* float parameters of op */
  void *aux;                /* op-private state saved for backward */
  int requires_grad;        /* a gradient is wanted for it or its sources */
  int is_param;             /* owned by an nn_params store */
  const char *name;         /* parameters: their name in weight files */
};

struct nn_ctx {
  arena mem;            /* this step's tensors and state */
  ptrvec tape;          /* recorded operations, in execution order */
  int training;         /* batch norm uses batch statistics, dropout drops */
  int record;           /* record operations for backward (default 1) */
  int nthreads;         /* worker threads for the kernels */
  rng *rng;             /* dropout masks */
  char error[512];      /* the first error of this step, or "" */
  float *scratch;       /* nn_scratch's buffer (malloc'd, kept across steps) */
  size_t scratch_len;   /* its size in floats */
};

void nn_ctx_init(nn_ctx *ctx, int nthreads, rng *r);
/* Forgets the step: tensors, tape and error (keeps the arena's memory). */
void nn_ctx_reset(nn_ctx *ctx);
void nn_ctx_free(nn_ctx *ctx);
/* A buffer of n floats for one kernel call's temporary work (im2col
 * patches, say), valid until the next nn_scratch call: kernels run one at a
 * time, so one buffer serves them all instead of the step arena growing by
 * every call's temporaries. Contents are not initialised. */
float *nn_scratch(nn_ctx *ctx, size_t n);
/* Records the first error of the step; returns NULL for convenience. */
tensor *nn_fail(nn_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A new tensor from the step arena, zero-filled. ne has ndim entries. */
tensor *nn_new(nn_ctx *ctx, int ndim, const int *ne);
tensor *nn_new4(nn_ctx *ctx, int n, int c, int h, int w);
tensor *nn_new2(nn_ctx *ctx, int rows, int cols);
tensor *nn_scalar(nn_ctx *ctx, float v);
/* "[64, 36, 28, 28]" for messages. */
const char *nn_shape_text(nn_ctx *ctx, const tensor *t);
int nn_same_shape(const tensor *a, const tensor *b);

/* An operation's output: shape ne, sources src[0..nsrc), recorded on the tape
 * when a source requires a gradient. Its data is NOT initialised: the kernel
 * must write every element. Used by the kernels in stdlib/ (through
 * nn_op_output of stdlib/ops.h). */
tensor *nn_tape_output(nn_ctx *ctx, const nn_kernel *op, int ndim, const int *ne, tensor *const *src, int nsrc);

/* A list of sources, for an operation that reads more than src[] holds (a
 * concatenation of any number of maps). */
typedef struct nn_list {
  int n;
  tensor **xs;
} nn_list;
/* xs[0..n) copied into ctx's arena, for out->aux; out is recorded on the
 * tape (once) if one of them requires a gradient, as nn_tape_output does
 * for src[]. */
nn_list *nn_tape_list(nn_ctx *ctx, tensor *out, tensor *const *xs, int n);
/* The gradient buffer of t, allocated zeroed on first use. */
float *nn_grad(nn_ctx *ctx, tensor *t);
/* For kernels that write every element of t's gradient: the buffer, and
 * *fresh = 1 when it was just allocated and not zeroed, so the kernel must
 * assign (=) rather than accumulate (+=). Saves a pass over memory. */
float *nn_grad_fresh(nn_ctx *ctx, tensor *t, int *fresh);

/* Reverse mode from a scalar: d loss / d loss = 1. Parameters accumulate. */
void nn_backward(nn_ctx *ctx, tensor *loss);

/* ---- parameters ---- */

typedef struct nn_params {
  ptrvec items;   /* tensor*, malloc'd with their data and grad */
  arena names;    /* their names */
} nn_params;

void nn_params_init(nn_params *p);
void nn_params_free(nn_params *p);
/* A zeroed parameter (data and grad malloc'd, freed by nn_params_free). */
tensor *nn_param(nn_params *p, const char *name, int ndim, const int *ne);
void nn_params_zero_grad(nn_params *p);
int64_t nn_params_count(const nn_params *p);
tensor *nn_params_find(const nn_params *p, const char *name);
/* The first parameter holding a NaN or an infinity, or NULL when every value
 * is finite (weights read from a file are checked with it). */
const tensor *nn_params_nonfinite(const nn_params *p);

/* Weights on disk (safetensors, F32): every tensor of the store under its
 * name, plus metadata pairs. Names follow PyTorch's module conventions so a
 * model with the same module names loads them with load_state_dict:
 *   layer.<i>.conv2d.weight [F, C, kh, kw], layer.<i>.conv2d.bias [F]
 *   layer.<i>.batchnorm.weight | bias | running_mean | running_var [C]
 *   head.dense.weight [out, in], head.dense.bias [out]
 * (documented in nasl-stdlib(7), WEIGHTS). Saving is atomic. Loading checks
 * that every tensor of the store is in the file with the same shape and
 * that the file has no other tensor, and reports the first one that is
 * not so (the store is then unchanged). Both return 0, or -1 with a
 * message. */
int nn_params_save(const nn_params *p, const char *path, const char *const *meta_keys,
                   const char *const *meta_values, int nmeta, strbuf *err);
int nn_params_load(nn_params *p, const char *path, strbuf *err);

/* ---- initialisers ---- */

void nn_init_uniform(tensor *t, rng *r, float lo, float hi);
/* He (Kaiming) normal for ReLU layers: std = sqrt(2 / fan_in). */
void nn_init_he(tensor *t, rng *r, int fan_in);
/* Glorot (Xavier) uniform: limit = sqrt(6 / (fan_in + fan_out)). */
void nn_init_glorot(tensor *t, rng *r, int fan_in, int fan_out);
void nn_init_const(tensor *t, float v);

#endif

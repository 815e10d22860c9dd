/* registry.h: the one table of the operations a search space can name.
 *
 * Each operation of the standard library is described once, by one entry
 * (stdlib_op) beside its kernels in stdlib/<family>.c, and listed once in
 * stdlib_registry[] (stdlib/registry.c). Its declaration in the stdlib .nasl files
 * gives the parameters' types, ranges, defaults and documentation, which the
 * compiler checks; the entry gives the rest, and everything that builds,
 * runs, counts or prints an operation reads it:
 *   - the compiler, through stdlib_check_decl (passed in nasl_options by the
 *     command line): a declaration of the standard library must have an
 *     entry of the same role that reads parameters of those names;
 *   - the child builder (runtime/models/child.c) and the cell builder
 *     (runtime/models/cell.c): shape rule, weights, parameter and FLOP
 *     counts, forward;
 *   - `naslc show` and `--dot` (the text and label hooks), `naslc gradcheck`
 *     (the child builder's path, on one operation);
 *   - tests/registry.sh, which checks the table of operations in
 *     nasl-stdlib(7) against `naslc ops`, which prints this table.
 * The backward pass of an operation is that of the tape kernels its forward
 * records (nn_ops[] in stdlib/ops.c; each is gradient-checked); `kernels`
 * names them.
 *
 * A plug-in operation (`extern op`, stdlib/extern.h) enters the same table
 * when it is loaded: stdlib_find_decl gives its entry, made once per loaded
 * plug-in, whose hooks call the plug-in through libffi. Nothing that uses
 * the registry tells the two apart. */
#ifndef NASLC_REGISTRY_H
#define NASLC_REGISTRY_H

#include <stdint.h>

#include "common/rng.h"
#include "common/strbuf.h"
#include "grammar/grammar.h"
#include "naslc/op.h"
#include "nn/tensor.h"
#include "stdlib/ops.h"

/* The map of one example: channels, height, width (features are C x 1 x 1). */
typedef struct stdlib_shape {
  int c, h, w;
} stdlib_shape;

typedef struct stdlib_op stdlib_op;
typedef struct nn_extern nn_extern;

/* An operation of a network: its entry, its arguments, and what resolving it
 * for an input shape gave (arguments read, weights, plug-in details). */
typedef struct stdlib_node {
  const stdlib_op *op;           /* its registry entry */
  const grammar_opdecl *decl;    /* its declaration: parameter names, plug-in */
  const grammar_value *args;     /* one per parameter of decl (borrowed) */
  const char *inst;              /* its instance name, in weight names ("conv2d") */
  int k[4];                      /* integer arguments, as the entry reads them */
  float f[2];                    /* float arguments, as the entry reads them */
  int nw;                        /* weights */
  tensor *w[NASLC_MAX_WEIGHTS];  /* in the entry's order (NULL while counting) */
  int out_ndim;                  /* plug-ins: dimensions of the output (2 or 4); 0: as the input */
  int out_ne[4];                 /* plug-ins: the output for one example */
} stdlib_node;

/* What resolving the operations of a network adds to. */
typedef struct stdlib_build {
  nn_params *params;  /* where weights go; NULL: shapes and counts only */
  rng *rng;           /* their initialisers */
  const char *prefix; /* weight names are prefix.inst.tensor ("layer.3") */
  int classes;        /* a dense layer's units of 0 stand for this */
  int64_t nparams;    /* trainable values, accumulated */
  int64_t flops;      /* forward floating-point operations per example, accumulated */
} stdlib_build;

struct stdlib_op {
  const char *name;             /* as declared in the stdlib .nasl files */
  grammar_op_role role;         /* where a space may use it; COMBINE takes two inputs */
  const char *const *params;    /* the parameters it reads, in declaration order, NULL-terminated
                                   (NULL: none) */
  const nn_op *kernels;         /* the tape kernels its forward records, ending with NN_LEAF */
  /* Works out the output shape for input *s (updated), reads the arguments
   * into n->k and n->f, counts parameters and FLOPs into b, and when
   * b->params is set makes and initialises the weights. 0, or -1 with a
   * reason (the shape does not fit). NULL: it does not run on maps (combines,
   * edge operations, operations the runtime inserts). */
  int (*resolve)(stdlib_node *n, stdlib_shape *s, stdlib_build *b, strbuf *err);
  /* The output for inputs in[0..arity) ([N, C, H, W] maps in a network,
   * [B, H] in a cell); NULL with ctx->error set. NULL: the runtime inserts it
   * itself (through its kernel). */
  tensor *(*forward)(nn_ctx *ctx, const stdlib_node *n, tensor *const *in);
  /* `naslc show`: the operation with its arguments, "conv2d(height: 3, ...)".
   * NULL: the name and every argument as given. */
  void (*text)(const stdlib_node *n, int classes, strbuf *out);
  /* `--dot`: a short label, "conv 3x5, 36". NULL: the name. */
  void (*label)(const stdlib_node *n, strbuf *out);
  const nn_extern *ext;         /* plug-ins: the loaded operation; NULL for a built-in */
};

/* The entries defined beside their kernels (stdlib/<family>.c). */
extern const stdlib_op stdlib_op_conv2d;         /* conv.c */
extern const stdlib_op stdlib_op_dwconv2d;       /* depthwise.c */
extern const stdlib_op stdlib_op_maxpool;        /* pool.c */
extern const stdlib_op stdlib_op_avgpool;        /* pool.c */
extern const stdlib_op stdlib_op_global_avgpool; /* pool.c */
extern const stdlib_op stdlib_op_batchnorm;      /* norm.c */
extern const stdlib_op stdlib_op_dropout;        /* norm.c */
extern const stdlib_op stdlib_op_dense;          /* dense.c */
extern const stdlib_op stdlib_op_identity;       /* activation.c */
extern const stdlib_op stdlib_op_tanh;           /* activation.c */
extern const stdlib_op stdlib_op_sigmoid;        /* activation.c */
extern const stdlib_op stdlib_op_relu;           /* activation.c */
extern const stdlib_op stdlib_op_add;            /* elementwise.c */
extern const stdlib_op stdlib_op_mul;            /* elementwise.c */

/* The entries of the standard library, in nasl-stdlib(7)'s order. */
extern const stdlib_op *const stdlib_registry[];
extern const int stdlib_registry_count;

/* The built-in entry named name, or NULL. */
const stdlib_op *stdlib_find(const char *name);

/* The entry of a declared operation: the built-in of that name, or for an
 * extern op its plug-in's entry (the plug-in is loaded on first use). NULL
 * with a reason: a plug-in that cannot be loaded, or a declaration the
 * registry has no entry for ("operation 'x' has no runtime in naslc"). */
const stdlib_op *stdlib_find_decl(const grammar_opdecl *decl, strbuf *err);

/* For the compiler (nasl_options.check_builtin): does a declaration without
 * `extern` match the entry of its name? Returns 0 when it does (same role,
 * and every parameter the entry reads declared, in that order), 1 when the
 * registry has no entry of that name, -1 when it has one that does not match
 * (the reason in why[0..size)). */
int stdlib_check_decl(const grammar_opdecl *decl, char *why, size_t size);

/* Number of inputs: 2 for a combine, else 1. */
int stdlib_arity(const stdlib_op *op);

/* Resolves n (whose op, decl, args and inst are set) for input *s. */
int stdlib_resolve(stdlib_node *n, stdlib_shape *s, stdlib_build *b, strbuf *err);
/* The output of n; NULL with ctx->error set. */
tensor *stdlib_forward(nn_ctx *ctx, const stdlib_node *n, tensor *const *in);
/* The text and label of n (the entry's hooks, or the defaults). */
void stdlib_text(const stdlib_node *n, int classes, strbuf *out);
void stdlib_label(const stdlib_node *n, strbuf *out);

/* ---- for the entries' hooks ---- */

/* The value of parameter name of n, or NULL when its declaration has none. */
const grammar_value *stdlib_arg(const stdlib_node *n, const char *name);
int stdlib_int_arg(const stdlib_node *n, const char *name, int def);
float stdlib_float_arg(const stdlib_node *n, const char *name, float def);
/* A weight named b->prefix.n->inst.what of shape ne[0..ndim), made into
 * n->w[n->nw++] (zeroed) when b->params is set; NULL when counting. */
tensor *stdlib_weight(stdlib_node *n, stdlib_build *b, const char *what, int ndim, const int *ne);

#endif

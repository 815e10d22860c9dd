/* naslc/op.h: the interface between naslc and a plug-in operation.
 *
 * A plug-in is a shared library holding up to three functions that an
 * `extern op` declaration names (see nasl(5), "extern op", and
 * nasl-stdlib(7), PLUG-IN OPERATIONS):
 *
 *   shape     what the output looks like for an input, and which weights
 *             the operation owns (optional: without it the output has the
 *             shape of the input and there are no weights);
 *   forward   computes the output;
 *   backward  adds the gradients of the input and of the weights
 *             (optional: without it the operation cannot be trained).
 *
 * naslc calls them through libffi with the fixed arguments below, then one
 * argument per declared parameter, in declaration order, then a message
 * buffer:
 *
 *   int    parameter  ->  int64_t
 *   float  parameter  ->  double
 *   bool   parameter  ->  int (0 or 1)
 *   symbol parameter  ->  const char * (the symbol's name)
 *
 * so for `extern op swish(beta: float = 1) : activation { ... }` the forward
 * function is
 *
 *   int swish_forward(const naslc_tensor *in, naslc_tensor *out,
 *                     const naslc_tensor *weights, int nweights,
 *                     double beta, char *msg);
 *
 * Every function returns NASLC_OK, or NASLC_FAIL after writing a one-line
 * reason (NUL-terminated, at most NASLC_MSG_LEN bytes with the NUL) into
 * msg. naslc shows the reason; the network that used the operation fails
 * like an architecture that cannot be built (in a search it gets the failed
 * child's reward). Functions must not keep pointers they are given past the
 * call, must not print, exit or abort, and may be called from any thread
 * but never twice at once for one network.
 *
 * Tensors are float32, contiguous, row-major, outermost dimension first:
 * a map is [N, C, H, W] (batch, channels, height, width). */
#ifndef NASLC_OP_H
#define NASLC_OP_H

#include <stdint.h>

/* The version of this interface; a plug-in may check it at compile time.
 * It changes when a signature or a struct below changes. */
#define NASLC_OP_ABI_VERSION 1

#define NASLC_MAX_DIMS 4     /* dimensions of a tensor */
#define NASLC_MAX_WEIGHTS 8  /* weights one operation may own */
#define NASLC_MSG_LEN 256    /* size of the msg buffer, NUL included */
#define NASLC_NAME_LEN 32    /* size of a weight's name, NUL included */

/* Return codes. */
#define NASLC_OK 0
#define NASLC_FAIL 1

/* A view of a tensor naslc owns; a plug-in never allocates or frees one. */
typedef struct naslc_tensor {
  float *data;                    /* size[0] * ... * size[ndim-1] floats */
  int ndim;                       /* 1 to NASLC_MAX_DIMS */
  int64_t size[NASLC_MAX_DIMS];   /* sizes, outermost first */
} naslc_tensor;

/* How naslc initialises a weight before training. */
typedef enum naslc_init {
  NASLC_INIT_ZERO = 0,    /* all 0 (biases) */
  NASLC_INIT_ONE = 1,     /* all 1 (scales) */
  NASLC_INIT_HE = 2,      /* normal, std sqrt(2 / fan_in) (before a ReLU) */
  NASLC_INIT_GLOROT = 3   /* uniform, limit sqrt(6 / (fan_in + fan_out)) */
} naslc_init;

/* A weight the operation owns, as its shape function reports it. naslc
 * allocates it, initialises it, trains it and saves it under
 * layer.<i>.<instance>.<name> (head.<instance>.<name> in the head). */
typedef struct naslc_weight {
  char name[NASLC_NAME_LEN];      /* [a-z0-9_]+, unique within the operation */
  int ndim;                       /* 1 to NASLC_MAX_DIMS */
  int64_t size[NASLC_MAX_DIMS];   /* sizes, each at least 1 */
  naslc_init init;                /* initialiser */
  int64_t fan_in, fan_out;        /* for NASLC_INIT_HE and NASLC_INIT_GLOROT */
} naslc_weight;

/* shape: given the input's shape (in->data is NULL), sets out->ndim and
 * out->size, fills weights[0 .. *nweights) and sets *nweights (on entry it
 * holds the capacity, NASLC_MAX_WEIGHTS; leave it 0 for no weights). The
 * batch size in->size[0] is 1 here; the output must keep it as its own
 * size[0], since naslc runs any batch size through the same operation. */
typedef int (*naslc_shape_fn)(const naslc_tensor *in, naslc_tensor *out, naslc_weight *weights,
                              int *nweights /* , parameters..., char *msg */);

/* forward: writes every element of out->data (out's shape is the one the
 * shape function gave). weights[k] is the k-th weight the shape function
 * declared. */
typedef int (*naslc_forward_fn)(const naslc_tensor *in, naslc_tensor *out, const naslc_tensor *weights,
                                int nweights /* , parameters..., char *msg */);

/* backward: given dout (d loss / d out, out's shape), ADDS d loss / d in
 * into din->data and d loss / d weights[k] into dweights[k].data: never
 * assign, other parts of the network add into the same buffers. */
typedef int (*naslc_backward_fn)(const naslc_tensor *in, const naslc_tensor *out, const naslc_tensor *dout,
                                 naslc_tensor *din, const naslc_tensor *weights, naslc_tensor *dweights,
                                 int nweights /* , parameters..., char *msg */);

#endif

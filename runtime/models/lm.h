/* lm.h: the language-model child of a recurrent-cell space.
 *
 * The network: embedding [V, E] -> `layers` layers of the cell (hidden size
 * H; layer 0 reads the embedding, later layers the layer below) -> dense
 * [V, H] -> softmax over the vocabulary. Dropout (the recipe's rate) is
 * applied to the input of every layer and to the output of the last one.
 * With the recipe's clip_state M > 0, after every step each stream's h_t
 * (and c_t when the cell has memory) whose norm exceeds M is scaled down to
 * norm M (nn_clip_rows, gradient included) before it is output and carried
 * on: a cell whose state would grow without bound (mul and identity nodes)
 * stays finite. ENAS clips its shared cells' state the same way.
 * Weights are named
 *   embedding.weight [V, E]
 *   cell.<l>.weight_x [nx*H, in]   cell.<l>.bias_x [nx*H]   (one H-row block
 *   cell.<l>.weight_h [nh*H, H]     per x or h projection of the cell program)
 *   decoder.weight [V, H]           decoder.bias [V]
 * Initialisation: embedding and decoder uniform in [-0.1, 0.1] (decoder
 * bias 0); cell weights uniform in [-1/sqrt(H), 1/sqrt(H)], biases 0.
 *
 * Training and evaluation are in runtime/train/lm_train.h.
 *
 * An lm owns its cell program, parameters and state buffers (lm_free); it
 * borrows nothing after lm_build returns. */
#ifndef NASLC_LM_H
#define NASLC_LM_H

#include "runtime/models/cell.h"

/* What lm_backward needs of one layer's last forward pass (in the step's
 * arena): each step's h projection and the h_{t-1} it was made from. */
typedef struct lm_pending {
  int T;                 /* steps recorded (0: none) */
  tensor **ph, **hp;     /* W_h h_{t-1} and h_{t-1}, per step */
} lm_pending;

typedef struct lm {
  cell_program cell;     /* one time step */
  int vocab, embed, hidden, layers;
  double dropout;        /* on layer inputs and the last output */
  float clip_state;      /* norm bound on each stream's h and c after every step (0: none) */
  nn_params params;      /* every weight, named as above */
  tensor *emb, *dec_w, *dec_b;
  tensor **wx, **bx, **wh;  /* per layer (wh NULL when the cell reads no h) */
  int64_t nparams;       /* trainable values */
  int64_t flops;         /* forward floating-point operations per word */
  int state_batch;       /* streams the state below holds */
  float *h, *c;          /* state: [layers][state_batch][hidden] each */
  lm_pending *pending;   /* per layer, for lm_backward */
  int pending_batch;     /* streams of the recorded pass */
} lm;

/* Token streams of a corpus (borrowed). */
typedef struct lm_data {
  const int *train, *valid, *test;
  int64_t ntrain, nvalid, ntest;
  int vocab;             /* ids are in [0, vocab) */
} lm_data;

/* Builds the model of a cell architecture with the recipe's sizes for a
 * vocabulary of `vocab` words, initialising from r. 0, or -1 with a reason. */
int lm_build(lm *m, const arch *a, const grammar_train *t, int vocab, rng *r, strbuf *err);
void lm_free(lm *m);

/* Zeroes the state for `batch` streams. */
void lm_reset_state(lm *m, int batch);

/* Mean cross-entropy of one segment: inputs and targets are batch x T ids,
 * stream-major (row b*T + t is stream b at step t). Starts from the held
 * state and leaves the final one in it (detached). NULL with ctx->error on
 * failure. */
tensor *lm_segment_loss(nn_ctx *ctx, lm *m, const int *inputs, const int *targets, int batch, int T);

/* Reverse mode from the loss of lm_segment_loss (call it instead of
 * nn_backward): parameters accumulate their gradients. */
void lm_backward(nn_ctx *ctx, lm *m, tensor *loss);

/* A summary: sizes, parameters, FLOPs per word, and the cell program. */
void lm_summary(const lm *m, strbuf *out);

/* The cell program as a Graphviz digraph: the projections and c_{t-1} at
 * the bottom, one node per step, h_t and c_t marked (runtime/models/draw.c). */
void lm_dot(const lm *m, strbuf *out);

#endif

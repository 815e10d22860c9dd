/* controller.h: the LSTM controller that samples architectures token by
 * token from a grammar and the log-probability REINFORCE differentiates.
 *
 * One LSTM (layers x hidden from the search recipe, weights uniform in
 * [-init, init]) steps once per decision. Its input is a learned start vector
 * at the first step, then the embedding of the token just chosen (one table
 * per controller head). Categorical decisions read logits from their head's
 * softmax layer (divided by the temperature, then c * tanh when a tanh
 * constant c is set). Anchor decisions use the paper's attention: for each
 * candidate layer j, P(j feeds the current layer) =
 * sigmoid(v^T tanh(W_prev h_j + W_curr h_i)), where h_j is the LSTM state at
 * layer j's last decision. Pointer decisions (DAG-cell inputs) use the same
 * scores with a softmax over the candidate nodes. */
#ifndef NASLC_CONTROLLER_H
#define NASLC_CONTROLLER_H

#include "grammar/arch.h"
#include "stdlib/ops.h"

typedef struct controller {
  const grammar *g;          /* borrowed */
  grammar_search cfg;        /* sizes, init, temperature, tanh constant */
  nn_params params;          /* every weight, named controller.* */
  tensor *start;             /* [1, H] the first input */
  tensor **embed;            /* per head: [max(vocab, 1), H] */
  tensor **out_w, **out_b;   /* per categorical head: [vocab, H], [vocab] */
  tensor **wx, **wh, **bias; /* per LSTM layer: [4H, in], [4H, H], [4H] */
  tensor *att_prev, *att_curr, *att_v; /* [H, H], [H, H], [1, H] */
} controller;

int controller_init(controller *c, const grammar *g, rng *r);
void controller_free(controller *c);

/* A sampled architecture and the graph of its log-probability. */
typedef struct controller_sample {
  arch a;            /* the architecture (owned; arch_free) */
  tensor *logp;      /* scalar: sum of log P(token) over its decisions (in ctx) */
  tensor *entropy;   /* scalar: sum of the entropies of its decisions (in ctx) */
} controller_sample;

/* Samples one architecture, recording the graph in ctx (which must stay
 * alive until the update). Returns 0, or -1 with a message. */
int controller_draw(controller *c, nn_ctx *ctx, rng *r, long samples_seen, controller_sample *out, strbuf *err);

/* Re-scores a given architecture (for tests and resumed batches): the same
 * graph as sampling would build, for the tokens of a. */
int controller_score(controller *c, nn_ctx *ctx, const arch *a, tensor **logp, tensor **entropy, strbuf *err);

#endif

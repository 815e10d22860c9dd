/* arch.h: an architecture, a token sequence drawn from a grammar.
 *
 * arch_generate() walks the grammar's program and asks a chooser for the
 * tokens of each decision it meets: the uniform sampler here, the LSTM
 * controller in the search. The record keeps the flat token sequence and,
 * for each decision, where its tokens start (-1 when a branch or the depth
 * skipped it), which is all that is needed to decode it (arch_json) or to
 * build the child network. An arch borrows its grammar; arch_free releases
 * what arch_generate allocated. */
#ifndef NASLC_ARCH_H
#define NASLC_ARCH_H

#include "common/strbuf.h"
#include "grammar/grammar.h"
#include "common/rng.h"

typedef struct arch {
  const grammar *g;  /* the grammar it was drawn from (borrowed) */
  int ntokens;       /* tokens in program order */
  int *tokens;       /* categorical: index into the vocabulary; anchor: one 0/1 per
                        candidate; pointer: candidate index */
  int *offset;       /* per decision: index of its first token, or -1 */
  int depth;         /* layers of the variable stack, or the fixed layer count */
} arch;

/* Chooses the tokens of decision d: one token, or d->ncandidates for an
 * anchor. log10_weights, when not NULL, gives for each token of a categorical
 * decision the log10 size of the sub-space it leads to (a uniform draw over
 * architectures weighs tokens by it). Returns 0 to abort the walk. */
typedef int (*arch_choose_fn)(void *ctx, const grammar_decision *d, const double *log10_weights,
                              int *tokens);

/* Draws one architecture; samples_seen sets a depth curriculum's position.
 * Returns 0 (and leaves *a empty) when the chooser aborted. */
int arch_generate(const grammar *g, long samples_seen, arch_choose_fn choose, void *ctx, arch *a);

/* The uniform chooser: every architecture of the space equally likely. */
int arch_choose_uniform(void *rng_ctx, const grammar_decision *d, const double *log10_weights, int *tokens);

/* Rebuilds a record from a token sequence; 0 with a message in err when the
 * tokens do not fit the grammar. */
int arch_from_tokens(const grammar *g, long samples_seen, const int *tokens, int ntokens, arch *a,
                     strbuf *err);

void arch_free(arch *a);

/* Token of decision id, or -1 when not taken. For anchors: the first bit. */
int arch_token(const arch *a, int decision);

/* ---- the decoded form of a CNN architecture (what the child builder reads) ---- */

typedef struct arch_op {
  const grammar_opdecl *op;   /* the operation */
  const char *inst;           /* instance name in its layer ("conv2d_2"), names its weights */
  const grammar_value *args;  /* one per op->params (the layer's own copy, freed with it) */
} arch_op;

/* How a layer with several inputs joins them before its operations. */
typedef enum arch_join {
  ARCH_JOIN_CONCAT = 0, /* along channels, smaller maps zero-padded (CNN spaces) */
  ARCH_JOIN_SUM,        /* added; every input has the same shape (the nodes of DAG networks) */
  ARCH_JOIN_ZERO        /* a map of zeros shaped like inputs[0] (a DAG node that no edge reaches) */
} arch_join;

typedef struct arch_layer {
  int index;       /* layer number, -1 for the head */
  int ninputs;     /* layers feeding it; 0: the image */
  int *inputs;     /* their numbers, ascending */
  int nops;        /* operations, in order */
  arch_op *ops;
  arch_join join;  /* how several inputs are joined */
  char *share;     /* DAG networks: the layer's place, the same in every architecture that has
                      it ("s1c0n3x1_0:sep_conv_3x3/0"), for shared weights (shared.h); NULL otherwise */
} arch_layer;

typedef struct arch_cnn {
  int nlayers;        /* layers of this architecture */
  arch_layer *layers; /* layers[i].index == i */
  arch_layer head;    /* the classifier head (inputs unused) */
} arch_cnn;

/* Decodes a CNN architecture; 0 for other kinds of space (a DAG cell
 * becomes a whole network in runtime/models/dagnet.h). Release with
 * arch_cnn_free. */
int arch_decode_cnn(const arch *a, arch_cnn *out);
void arch_cnn_free(arch_cnn *c);
/* Releases what one layer owns (its operations' arguments, inputs, share). */
void arch_layer_free(arch_layer *l);

/* One line of JSON: the tokens and the decoded layers or cell. */
void arch_json(const arch *a, strbuf *out);
/* arch_json with a "file" member: the absolute path of the space it was
 * drawn from (file as given when it cannot be resolved), so that a record
 * alone is enough for `naslc show`. The record of `naslc sample`, of a run's
 * best.json and of a saved model's arch.json. */
void arch_record_json(const arch *a, const char *file, strbuf *out);
/* Appends the "file" member of a record (,"file":"/abs/path") to an object
 * being written. */
void arch_json_file(strbuf *out, const char *file);

/* Reads a record (text[0..len), one JSON object as arch_json writes it) back
 * into *a for grammar g: its tokens, and in a curriculum space its depth,
 * which picks the position. 1 when it fits (free *a with arch_free); 0 when
 * it is a record that does not fit g; -1 when it is not a record at all
 * (not JSON, no "tokens" list of integers). The reason is in err. */
int arch_from_record(const grammar *g, const char *text, size_t len, arch *a, strbuf *err);

/* NAS-Bench-201 style string of a DAG cell with edges: all
 * ("|op~0|+|op~0|op~1|+..."); empty for other spaces. */
void arch_cell_string(const arch *a, strbuf *out);

#endif

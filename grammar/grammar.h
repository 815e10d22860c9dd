/* grammar.h: the controller token grammar, the contract between the compiler
 * and the runtime.
 *
 * The compiler lowers a .nasl search space into this structure; the runtime
 * (controller, sampler, child builder, trainer) reads it and never sees the
 * syntax tree. It holds:
 *   - the decisions, in the order a walk of the program meets them: each has
 *     a dotted path ("layer[3].conv2d.height"), a kind and a vocabulary;
 *   - the controller heads: decisions of one kind and vocabulary share one
 *     embedding and one softmax (the paper's per-hyperparameter softmaxes);
 *   - the generation program, a tree of grammar_node, which says which
 *     decision comes next given the tokens so far (sequences, branches chosen
 *     by a token, optional ops, stacks of layers of variable depth);
 *   - the training and search recipes as plain typed records;
 *   - the size of the space.
 * Everything lives in the grammar's own arena; grammar_free() releases it.
 * The runtime must treat a grammar as read-only. This header includes
 * nothing from lang/. */
#ifndef NASLC_GRAMMAR_H
#define NASLC_GRAMMAR_H

#include <stdint.h>

#include "common/arena.h"

/* ---- values ---- */

typedef enum grammar_value_kind {
  GV_INT,     /* i */
  GV_FLOAT,   /* f */
  GV_BOOL,    /* i: 0 or 1 */
  GV_SYMBOL,  /* sym: an operation, label or symbolic constant */
  GV_STRING   /* sym: a string (paths, symbol names) */
} grammar_value_kind;

typedef struct grammar_value {
  grammar_value_kind kind;  /* which field holds the value */
  int64_t i;                /* GV_INT, GV_BOOL */
  double f;                 /* GV_FLOAT */
  const char *sym;          /* GV_SYMBOL, GV_STRING */
} grammar_value;

/* ---- decisions ---- */

/* The runtime depends on these values (they index its head tables). */
typedef enum grammar_decision_kind {
  GRAMMAR_CATEGORICAL = 0, /* one of vocab_len values: one token in [0, vocab_len) */
  GRAMMAR_ANCHOR = 1,      /* a subset of earlier layers: ncandidates tokens, each 0 or 1 */
  GRAMMAR_POINTER = 2      /* one earlier cell node: one token in [0, ncandidates) */
} grammar_decision_kind;

typedef struct grammar_head {
  const char *name;            /* "conv2d.height", "inputs", "node.combine", ... */
  grammar_decision_kind kind;  /* every decision of the head has this kind */
  int vocab_len;               /* CATEGORICAL: size of vocab; else 0 */
  const grammar_value *vocab;  /* CATEGORICAL: the values */
} grammar_head;

typedef struct grammar_decision {
  int id;                      /* index in grammar.decisions */
  const char *path;            /* "layer[3].conv2d.height", "node[2].combine" */
  grammar_decision_kind kind;  /* how many tokens and of what range */
  int head;                    /* index in grammar.heads */
  int vocab_len;               /* CATEGORICAL: number of values */
  const grammar_value *vocab;  /* CATEGORICAL: the values (shared with the head) */
  int ncandidates;             /* ANCHOR, POINTER: number of candidates */
  int first_candidate;         /* ANCHOR: layer index of candidate 0;
                                  POINTER: node index of candidate 0 */
  int layer;                   /* the layer (CNN) or node (DAG cell) it belongs to, or -1 */
  int guard;                   /* decision whose token enables this one, or -1 */
  int guard_token;             /* the token of guard that enables it */
  int min_depth;               /* taken only when the space has at least this many
                                  layers in all (0: always) */
} grammar_decision;

/* ---- the generation program ---- */

/* A slot: an argument that is either fixed or chosen by a decision. */
typedef struct grammar_slot {
  int decision;        /* decision id, or -1 when fixed */
  grammar_value fixed; /* the value when decision is -1 */
} grammar_slot;

typedef enum grammar_op_role {
  OP_ROLE_LAYER,       /* one map in, one map out */
  OP_ROLE_ACTIVATION,  /* element-wise, shape preserving */
  OP_ROLE_COMBINE,     /* two inputs of one shape, one output */
  OP_ROLE_EDGE,        /* operation on a DAG-cell edge */
  OP_ROLE_INTERNAL     /* inserted by the runtime (concat, losses); never written in a space */
} grammar_op_role;

typedef struct grammar_param {
  const char *name;          /* parameter name */
  grammar_value_kind type;   /* GV_INT, GV_FLOAT, GV_BOOL or GV_SYMBOL */
  int has_range;             /* lo/hi are meaningful */
  double lo, hi;             /* inclusive range */
  int nsymbols;              /* GV_SYMBOL: allowed symbols */
  const char **symbols;      /* GV_SYMBOL: their names */
  int required;              /* no default */
  grammar_value def;         /* the default when not required */
  const char *doc;           /* one line, or NULL */
} grammar_param;

typedef struct grammar_extern {
  const char *library;   /* shared library path as written */
  const char *forward;   /* symbol of the forward function */
  const char *backward;  /* symbol of the backward function, or NULL */
  const char *shape;     /* symbol of the shape function, or NULL for "same" */
  const char *where;     /* "file:line:col" of the declaration, for messages */
} grammar_extern;

typedef struct grammar_opdecl {
  const char *name;            /* operation name */
  grammar_op_role role;        /* where it may be used */
  int nparams;                 /* number of parameters */
  const grammar_param *params; /* in declaration order */
  const char *doc;             /* one line, or NULL */
  const grammar_extern *ext;   /* plug-in details, or NULL for a built-in */
} grammar_opdecl;

typedef enum grammar_node_kind {
  GN_SEQ,       /* children run in order */
  GN_BRANCH,    /* token of decision picks children[token]; `maybe` is a branch
                   over {absent (empty SEQ), present} */
  GN_STACK,     /* a block of layers: children[k] is the GN_LAYER of its k-th layer */
  GN_LAYER,     /* one layer: layer index; children[0] is its body */
  GN_INPUTS,    /* where the layer's inputs come from: anchor decision or previous */
  GN_OP,        /* an operation and its argument slots */
  GN_TREE,      /* a searched NAS-RNN tree cell */
  GN_FIXED_CELL,/* a recurrent cell written as equations */
  GN_DAG        /* a DAG cell whose edges pick operations */
} grammar_node_kind;

typedef enum grammar_depth_kind {
  DEPTH_FIXED,       /* count layers */
  DEPTH_DECIDED,     /* decision picks the count from its vocabulary (GV_INT) */
  DEPTH_CURRICULUM   /* min at first, +grow every `every` samples, clamped at max */
} grammar_depth_kind;

typedef enum grammar_inputs_kind {
  INPUTS_PREVIOUS,   /* the previous layer (the image for the first one) */
  INPUTS_ANCHOR      /* the anchor decision's chosen layers; none: the image */
} grammar_inputs_kind;

/* Leaves of a fixed cell expression. */
typedef enum grammar_cell_term_kind {
  CELL_X,        /* a learned projection of x_t (own weights per occurrence) */
  CELL_H,        /* a learned projection of h_{t-1} (own weights per occurrence) */
  CELL_C,        /* c_{t-1} itself */
  CELL_NODE,     /* the value of an earlier node */
  CELL_APPLY     /* op applied to args (1 for activations, 2 for combines) */
} grammar_cell_term_kind;

typedef struct grammar_cell_term {
  grammar_cell_term_kind kind;  /* what this term is */
  const char *op;               /* CELL_APPLY: the operation */
  int arg[2];                   /* CELL_APPLY: indices of argument terms */
  int node;                     /* CELL_NODE: index of the named node */
} grammar_cell_term;

typedef enum grammar_dag_output {
  DAG_OUTPUT_LAST,    /* the last node */
  DAG_OUTPUT_CONCAT,  /* all computed nodes, concatenated */
  DAG_OUTPUT_UNUSED   /* computed nodes no other node uses, concatenated */
} grammar_dag_output;

typedef struct grammar_node grammar_node;

struct grammar_node {
  grammar_node_kind kind;      /* which fields below are meaningful */
  int nchildren;               /* SEQ, BRANCH, STACK, LAYER */
  grammar_node **children;     /* SEQ, BRANCH, STACK, LAYER */
  int decision;                /* BRANCH; INPUTS (anchor); STACK (DEPTH_DECIDED) */
  const char *name;            /* BRANCH: decision name; OP: instance name */

  /* GN_STACK */
  grammar_depth_kind depth_kind;  /* how the number of layers is set */
  int min_layers, max_layers;     /* children = max_layers layers */
  int grow, every;                /* DEPTH_CURRICULUM */
  int first_layer;                /* global index of children[0] */

  /* GN_LAYER */
  int layer;                      /* global layer index */
  int is_head;                    /* the classifier head, not a numbered layer */

  /* GN_INPUTS */
  grammar_inputs_kind inputs;     /* previous or anchor */
  int window;                     /* ANCHOR: only this many latest layers (0 = all) */
  int keep_previous;              /* ANCHOR: the layer before is always an input, and the anchors
                                     choose among the layers before it */

  /* GN_OP */
  const grammar_opdecl *op;       /* the operation */
  grammar_slot *args;             /* one per op->params, in that order */

  /* GN_TREE: nodes are leaves 0..leaves-1, then each level; root last */
  int leaves, nnodes;
  grammar_slot *combine, *activation;  /* per node */
  int has_inject;                      /* c_{t-1} injected */
  grammar_slot inject_combine, inject_activation, inject_at, memory_from;

  /* GN_FIXED_CELL */
  int nterms;                     /* expression terms */
  grammar_cell_term *terms;       /* in dependency order */
  int ncell_nodes;                /* named nodes */
  const char **cell_node_names;   /* their names */
  int *cell_node_term;            /* the term each named node evaluates */
  int memory_node, output_node;   /* named node indices (memory -1: none) */

  /* GN_DAG */
  int dag_inputs, dag_nodes;      /* input nodes; total nodes */
  int dag_pick;                   /* 0: every earlier node feeds (one edge op
                                     decision per pair); k: each node picks k */
  grammar_dag_output dag_output;  /* how the cell's output is formed */
  int *dag_decisions;             /* pick=0: node i, edge j -> decision id at
                                     [i*dag_nodes+j]; pick=k: [i*2k + 2m] input m,
                                     [i*2k + 2m + 1] op m */
  const char **dag_ops;           /* the edge operations (vocabulary) */
  int dag_nops;

  /* sizes of the sub-space this node spans */
  double log10_size;              /* log10 of the number of token sequences */
};

/* ---- recipes ---- */

typedef enum grammar_optimizer_kind { OPTIM_SGD, OPTIM_ADAM } grammar_optimizer_kind;

typedef struct grammar_optimizer {
  grammar_optimizer_kind kind;  /* SGD or Adam */
  double lr;                    /* learning rate */
  double momentum;              /* SGD */
  int nesterov;                 /* SGD */
  double weight_decay;          /* both (L2 added to the gradient) */
  double beta1, beta2, eps;     /* Adam */
} grammar_optimizer;

typedef enum grammar_schedule_kind { SCHED_CONSTANT, SCHED_STEP, SCHED_COSINE } grammar_schedule_kind;

typedef struct grammar_schedule {
  grammar_schedule_kind kind;  /* how lr changes over epochs */
  int every;                   /* STEP: epochs between decays */
  double gamma;                /* STEP: factor per decay */
  double min_lr;               /* COSINE: final learning rate */
} grammar_schedule;

typedef struct grammar_dataset {
  const char *name;    /* as declared ("fashion"), or the loader name */
  const char *loader;  /* fashion_mnist, mnist, cifar10, cifar100, text, kjv */
  const char *dir;     /* image loaders: directory of the files */
  int classes;         /* image loaders: labels are 0..classes-1 (MNIST's: as declared, CIFAR's: 10 or 100) */
  const char *train, *valid, *test;  /* text: corpus files (valid/test may be NULL) */
  int vocab;           /* text, kjv: vocabulary cap */
} grammar_dataset;

typedef struct grammar_train {
  grammar_dataset data;         /* what to train on */
  int valid;                    /* examples held out for validation */
  int subset;                   /* training examples used (0: all) */
  int test;                     /* test examples used, a seeded subset (0: all) */
  int epochs;                   /* passes over the training data */
  int batch;                    /* examples per step */
  grammar_optimizer optimizer;  /* child optimizer */
  grammar_schedule schedule;    /* learning-rate schedule */
  double clip;                  /* gradient-norm clip (0: off) */
  int crop;                     /* random-crop padding (0: off) */
  int flip;                     /* random horizontal flips */
  int bptt;                     /* truncated BPTT length (language models) */
  int hidden;                   /* language models: cell size */
  int layers;                   /* language models: stacked cells */
  int embed;                    /* language models: embedding size (0: hidden) */
  double dropout;               /* language models: on layer inputs and the output */
  double clip_state;            /* language models: each stream's h and c scaled to at most this norm after every step (0: off) */
  int channels;                 /* DAG networks: channels of the first stage (doubled at each later one) */
  int cells;                    /* DAG networks: cells per stage */
  int64_t seed;                 /* data split, shuffling, initialisation */
  int top;                      /* the final recipe: architectures retrained (0 in the train recipe) */
} grammar_train;

typedef enum grammar_reward_kind {
  RW_NUMBER,   /* number */
  RW_REDUCE,   /* reduce(series, last) */
  RW_SCALAR,   /* a per-child scalar */
  RW_BINARY,   /* lhs op rhs */
  RW_NEG       /* -lhs */
} grammar_reward_kind;

typedef enum grammar_series {
  SERIES_VALID_ACCURACY, SERIES_VALID_LOSS, SERIES_VALID_PERPLEXITY
} grammar_series;

typedef enum grammar_reduce { REDUCE_MAX, REDUCE_MIN, REDUCE_MEAN, REDUCE_LAST } grammar_reduce;

typedef enum grammar_scalar { SCALAR_PARAMS, SCALAR_FLOPS, SCALAR_TABLE } grammar_scalar;

typedef struct grammar_reward grammar_reward;
struct grammar_reward {
  grammar_reward_kind kind;    /* which fields are meaningful */
  double number;               /* RW_NUMBER */
  grammar_series series;       /* RW_REDUCE */
  grammar_reduce reduce;       /* RW_REDUCE */
  int last;                    /* RW_REDUCE: over the last this many epochs (0: all) */
  grammar_scalar scalar;       /* RW_SCALAR */
  char op;                     /* RW_BINARY: + - * / ^ */
  grammar_reward *lhs, *rhs;   /* RW_BINARY, RW_NEG */
};

typedef enum grammar_strategy { STRATEGY_REINFORCE, STRATEGY_RANDOM } grammar_strategy;
typedef enum grammar_evaluator { EVAL_TRAIN, EVAL_TABLE, EVAL_SHARED } grammar_evaluator;

typedef struct grammar_search {
  grammar_strategy strategy;    /* reinforce or random */
  int controller_layers;        /* LSTM layers */
  int controller_hidden;        /* LSTM hidden size */
  double controller_init;       /* uniform init range +-init */
  grammar_optimizer optimizer;  /* controller optimizer */
  double baseline_decay;        /* EMA decay of the reward baseline */
  int batch;                    /* architectures per policy update */
  int samples;                  /* architectures to sample in all */
  double minutes;               /* wall-clock budget (0: none) */
  const grammar_reward *reward; /* reward formula */
  const char *reward_text;      /* the formula as written */
  double temperature;           /* logits divided by this */
  double tanh_constant;         /* logits = c * tanh(logits) when > 0 */
  double entropy;               /* entropy bonus weight */
  int64_t seed;                 /* controller init and sampling */
  grammar_evaluator evaluator;  /* train children or look rewards up */
  const char *table_file;       /* EVAL_TABLE: CSV file */
  const char *table_column;     /* EVAL_TABLE: column holding the value */
  const char *table_key;        /* EVAL_TABLE: column holding the canonical strings */
  int shared_steps;             /* EVAL_SHARED: shared-weight training steps per `batch` samples */
  int shared_valid;             /* EVAL_SHARED: validation images that judge one architecture */
  int shared_rank;              /* EVAL_SHARED: architectures drawn and ranked at the end (0: none) */
} grammar_search;

/* ---- the grammar ---- */

typedef enum grammar_space_kind {
  SPACE_CNN,         /* layers of operations (space) */
  SPACE_TREE_CELL,   /* a searched NAS-RNN cell */
  SPACE_FIXED_CELL,  /* a recurrent cell given by equations */
  SPACE_DAG_CELL     /* a DAG cell */
} grammar_space_kind;

typedef struct grammar {
  arena mem;                       /* owns everything below */
  const char *name;                /* the space or cell name */
  grammar_space_kind space_kind;   /* what kind of space */
  int ndecisions;                  /* decisions, in program order */
  grammar_decision *decisions;
  int nheads;                      /* controller heads */
  grammar_head *heads;
  grammar_node *program;           /* the generation program */
  grammar_node *head;              /* CNN classifier head (GN_LAYER), never NULL for SPACE_CNN */
  int max_layers;                  /* CNN: numbered layers at the largest depth */
  const grammar_node *variable_stack; /* the stack whose depth varies, or NULL */
  int nops;                        /* operations declared (stdlib and extern) */
  const grammar_opdecl *ops;
  grammar_train train;             /* the training recipe (defaults if absent) */
  grammar_search search;           /* the search recipe (defaults if absent) */
  grammar_train final;             /* the final recipe: the train recipe with the final block written over it */
  int has_train, has_search;       /* written in the file */
  int has_final;                   /* a final block: after the search, the best `final.top` are retrained */
  double log10_size;               /* log10 of the number of architectures */
  const char *size_exact;          /* decimal count, or NULL when it does not fit 128 bits */
} grammar;

void grammar_free(grammar *g);

/* Children of g are language models (recurrent-cell spaces): they are
 * trained on a corpus, and their figures are perplexities (a run log names
 * them test_perplexity and valid_perplexity). */
int grammar_is_lm(const grammar *g);

/* The roles as a .nasl file writes them ("layer", "activation", ...), in
 * grammar_op_role order, and the article that goes before one. */
extern const char *const grammar_role_names[OP_ROLE_INTERNAL + 1];
const char *grammar_role_article(grammar_op_role r); /* "a" or "an" */

/* The depths a GN_STACK can take (one for DEPTH_FIXED); returns how many. */
int grammar_stack_depths(const grammar *g, const grammar_node *stack, int *out, int max);
/* The depth of a DEPTH_CURRICULUM stack after samples_seen architectures
 * (max_layers for other stacks). */
int grammar_curriculum_depth(const grammar_node *stack, long samples_seen);
/* The first curriculum position at which the stack has `depth` layers (0
 * for other stacks): what a record's depth says about when it was drawn. */
long grammar_curriculum_position(const grammar_node *stack, int depth);

/* Human-readable name of a kind / value. */
const char *grammar_decision_kind_name(grammar_decision_kind k);
/* Writes v as text ("3", "0.5", "true", "relu") into buf. */
void grammar_value_format(const grammar_value *v, char *buf, int n);

#endif

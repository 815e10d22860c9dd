/* cell.h: a recurrent cell drawn from a grammar, as one time step of a graph.
 *
 * A cell architecture (a searched NAS-RNN tree or a cell written as
 * equations) is flattened into a cell program: a list of steps in dependency
 * order, each reading earlier steps. Leaves of the computation are learned
 * projections of x_t and h_{t-1} (every occurrence its own projection, so a
 * tree leaf combines W_x,i x_t + b_i with W_h,i h_{t-1}) and the memory
 * c_{t-1}. A tree cell is flattened by the NAS-RNN rules:
 *   leaf i:        pre_i = combine_i(W_x,i x + b_i, W_h,i h);  out_i = act_i(pre_i)
 *   inner node k:  pre_k = combine_k(out_left, out_right);     out_k = act_k(pre_k)
 *   injection at node a: out_a = inject_act(inject_combine(out_a, c_{t-1}))
 *   c_t = pre_m of the memory node m;  h_t = out of the root.
 * A fixed cell's terms map one to one onto steps; its memory node gives c_t
 * and its output node h_t.
 *
 * The program owns its steps (cell_program_free). cell_forward builds one
 * time step on the tape from the projections, so reverse mode, gradient
 * checks and training come from the core. */
#ifndef NASLC_CELL_H
#define NASLC_CELL_H

#include "grammar/arch.h"
#include "stdlib/extern.h"
#include "stdlib/ops.h"
#include "stdlib/registry.h"

typedef enum cell_step_kind {
  CS_X,   /* projection proj of x_t */
  CS_H,   /* projection proj of h_{t-1} */
  CS_C,   /* c_{t-1} */
  CS_OP   /* an operation of the registry: a combine of steps a and b, or an
             activation of step a (built-in, or a plug-in declared with
             `shape: same`, run with its parameters' defaults) */
} cell_step_kind;

typedef struct cell_step {
  cell_step_kind kind;  /* what it computes */
  int a, b;             /* earlier steps it reads (b: combines only) */
  int proj;             /* CS_X, CS_H: which projection */
  stdlib_node node;     /* CS_OP: the operation, with its parameters' defaults as arguments */
} cell_step;

typedef struct cell_program {
  int nsteps;          /* steps in dependency order */
  cell_step *steps;    /* malloc'd */
  int nx, nh;          /* projections of x_t and of h_{t-1} */
  int output;          /* step giving h_t */
  int memory;          /* step giving c_t, or -1 for a cell without memory */
  int reads_c;         /* some step reads c_{t-1} */
  int nargs;           /* argument arrays made for the steps' operations */
  grammar_value **args;/* those arrays (malloc'd, owned) */
} cell_program;

/* Flattens the cell of a (a tree or fixed cell space). Returns 0, or -1 with
 * the reason in err (an operation a cell cannot run, a DAG or CNN space). */
int cell_program_build(const arch *a, cell_program *p, strbuf *err);
void cell_program_free(cell_program *p);

/* What a step computes, for people: "x", "h", "c", the combine or activation
 * ("add", "tanh"), or a plug-in activation's own name. */
const char *cell_step_name(const cell_step *s);

/* One step: px[0..nx) and ph[0..nh) are the projections ([B, H] each),
 * c_prev the memory ([B, H], or NULL when the cell reads none). Returns h_t
 * and sets *c_next to c_t (NULL for a cell without memory); NULL with
 * ctx->error set on failure. */
tensor *cell_forward(nn_ctx *ctx, const cell_program *p, tensor *const *px, tensor *const *ph, tensor *c_prev,
                     tensor **c_next);

/* The program as text, one step per line ("s3 = add(s1, s2)"), for
 * summaries and messages. */
void cell_program_text(const cell_program *p, strbuf *out);

#endif

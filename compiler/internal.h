/* internal.h: state shared by the compiler's passes (not for the runtime).
 *
 * load.c     reads files, follows imports, gathers declarations
 * declare.c  checks operation declarations and binds arguments to parameters
 * compiler_lower_space.c, compiler_lower_cell.c   turn a space or cell into the program
 * recipe.c   fills the training and search recipes
 * build.c    decisions, heads and sizes of the grammar being built */
#ifndef NASLC_COMPILER_INTERNAL_H
#define NASLC_COMPILER_INTERNAL_H

#include "lang/ast.h"
#include "compiler/compile.h"

typedef struct compiler {
  nasl_diag *d;          /* diagnostics */
  arena ast;             /* syntax trees of every file */
  grammar *g;            /* the grammar being built (its arena holds the result) */
  const char *stdlib_dir;/* where the stdlib lives */
  int stdlib_sources;    /* source ids below this are the stdlib's files */
  nasl_builtin_check check_builtin; /* see nasl_options, or NULL */
  ptrvec files;          /* ast_file*, in load order */
  ptrvec file_dirs;      /* directory of each source id (for relative paths) */
  ptrvec loaded_paths;   /* canonical paths already loaded */
  ptrvec op_decls;       /* ast_decl* of each grammar op, parallel to ops */
  grammar_opdecl *ops;   /* operations declared so far */
  int nops, cap_ops;
  ptrvec datasets;       /* ast_decl* (DE_DATASET) */
  ptrvec spaces;         /* ast_decl* (DE_SPACE, DE_CELL) */
  ast_decl *train;       /* the train block, or NULL */
  ast_decl *search;      /* the search block, or NULL */
  ast_decl *final;       /* the final block, or NULL */
  ptrvec decisions;      /* grammar_decision*, in program order */
  ptrvec heads;          /* grammar_head* */
  int guard, guard_token;/* decision enabling what is being lowered */
  int min_depth;         /* depth needed for what is being lowered */
  int layer;             /* layer being lowered, or -1 */
  int block_first;       /* the first layer of the block being lowered */
  int quiet;             /* repeating a lowering already checked: no warnings */
} compiler;

/* load.c */
void compiler_load_main(compiler *c, const char *path, const char *text, size_t len);
/* Directory of the file a location is in ("." if unknown). */
const char *compiler_loc_dir(compiler *c, nasl_loc loc);
/* path made relative to the file at loc when it is not absolute. */
const char *compiler_resolve_path(compiler *c, nasl_loc loc, const char *path);

/* declare.c */
void compiler_declare_ops(compiler *c);
const grammar_opdecl *compiler_find_op(compiler *c, const char *name, nasl_loc loc, int report);
int compiler_op_index(compiler *c, const grammar_opdecl *op);

/* A bound argument: what was written for one parameter. */
typedef struct bound_arg {
  ast_expr *expr;       /* the value written, or NULL: default */
  nasl_loc loc;         /* where (the call when defaulted) */
} bound_arg;

/* Matches call's arguments (EX_CALL or EX_IDENT) to params; reports unknown,
 * repeated, missing and surplus arguments. Returns 0 on error. */
int compiler_bind_args(compiler *c, const ast_expr *call, const char *what,
              const grammar_param *params, int nparams, bound_arg *out);
/* Converts a literal to a value of param's type, checking the range.
 * Returns 0 (after reporting) when it cannot. */
int compiler_check_value(compiler *c, const ast_expr *e, const grammar_param *p, grammar_value *out);
/* Values of a choice list (ranges expanded), deduplicated; n returned. */
int compiler_check_choices(compiler *c, const ast_expr *list, const grammar_param *p,
                  grammar_value **out);
/* Evaluates a numeric literal expression (with + - * / ^). */
int compiler_const_number(compiler *c, const ast_expr *e, double *out, int *is_int);
int compiler_values_equal(const grammar_value *a, const grammar_value *b);

/* build.c */
grammar_node *compiler_node_new(compiler *c, grammar_node_kind kind);
void compiler_node_add(compiler *c, grammar_node *parent, grammar_node *child);
/* Adds a decision in program order under the current guard and depth. */
int compiler_decision_categorical(compiler *c, const char *path, const char *head,
                         const grammar_value *vocab, int n);
int compiler_decision_anchor(compiler *c, const char *path, int first, int ncand);
int compiler_decision_pointer(compiler *c, const char *path, const char *head, int first, int ncand);
void compiler_finish_grammar(compiler *c);
void compiler_compute_sizes(compiler *c);

/* compiler_lower_space.c, compiler_lower_cell.c */
/* Names of the operation instances of one layer: conv2d, conv2d_2, ... */
typedef struct scope {
  const char *prefix;   /* "layer[3]", "head", "dag" */
  ptrvec names;         /* names handed out */
  ptrvec bases;         /* the base name of each, parallel to names */
  int top;              /* lowering the top level of a layer body */
} scope;
/* op call -> GN_OP; in_layer: used in a layer body (not on a cell edge);
 * inst: the instance name, or NULL to make one. */
grammar_node *compiler_lower_op_call(compiler *c, scope *s, const ast_expr *call, const char *inst,
                            int in_layer);
void compiler_lower_space(compiler *c, ast_decl *space);
void compiler_lower_cell(compiler *c, ast_decl *cell);
/* A slot for param p from a written argument: fixed or a new decision. */
grammar_slot compiler_slot_from_arg(compiler *c, const bound_arg *arg, const grammar_param *p,
                           const char *path, const char *head);

/* recipe.c */
void compiler_fill_recipes(compiler *c);

#endif

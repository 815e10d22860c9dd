/* ast.h: the syntax tree of a .nasl file.
 *
 * The parser builds it; the compiler reads it and never changes it. Every node
 * lives in the arena passed to nasl_parse() and carries its source location.
 * Lists are ptrvecs of node pointers. Names are arena strings. Nothing here
 * knows what an operation or a setting means: that is the checker's work. */
#ifndef NASLC_AST_H
#define NASLC_AST_H

#include <stdint.h>

#include "common/arena.h"
#include "lang/diag.h"

/* ---- expressions: argument values, settings, reward formulas ---- */

typedef enum ast_expr_kind {
  EX_INT,     /* integer literal: i */
  EX_FLOAT,   /* floating literal: f */
  EX_STRING,  /* string literal: s */
  EX_BOOL,    /* true / false: i */
  EX_IDENT,   /* bare name: s */
  EX_CALL,    /* name(args): s, args */
  EX_LIST,    /* [a, b, ...]: items */
  EX_RANGE,   /* lo..hi: lhs, rhs */
  EX_BINOP,   /* lhs op rhs, op one of + - * / ^: op, lhs, rhs */
  EX_NEG      /* -operand: lhs */
} ast_expr_kind;

typedef struct ast_expr ast_expr;

typedef struct ast_arg {
  const char *name;  /* NULL for a positional argument */
  nasl_loc name_loc; /* location of the name (of the value if positional) */
  ast_expr *value;   /* the argument's value */
} ast_arg;

struct ast_expr {
  ast_expr_kind kind; /* which of the fields below are meaningful */
  nasl_loc loc;       /* the whole expression */
  int64_t i;          /* EX_INT, EX_BOOL */
  double f;           /* EX_FLOAT */
  const char *s;      /* EX_STRING, EX_IDENT, EX_CALL (the callee) */
  char op;            /* EX_BINOP: '+', '-', '*', '/', '^' */
  ast_expr *lhs;      /* EX_RANGE, EX_BINOP, EX_NEG */
  ast_expr *rhs;      /* EX_RANGE, EX_BINOP */
  ptrvec args;        /* EX_CALL: ast_arg* */
  ptrvec items;       /* EX_LIST: ast_expr* */
};

/* key: value, in train/search blocks, cell blocks and layer bodies */
typedef struct ast_setting {
  const char *key;  /* the setting's name */
  nasl_loc key_loc; /* where the name is */
  ast_expr *value;  /* its value */
} ast_setting;

/* ---- layer bodies ---- */

typedef enum ast_item_kind {
  IT_OP,       /* an operation: call (EX_IDENT or EX_CALL) */
  IT_MAYBE,    /* maybe ITEM: inner */
  IT_EITHER,   /* either {..} or {..}: branches */
  IT_CHOICE,   /* [op, op(..), ...]: call is the EX_LIST */
  IT_SETTING   /* key: value (inputs: anchor): setting */
} ast_item_kind;

typedef struct ast_item ast_item;

typedef struct ast_branch {
  const char *label;  /* explicit label, or NULL */
  nasl_loc loc;       /* the label, else the opening brace */
  ptrvec items;       /* ast_item* */
} ast_branch;

struct ast_item {
  ast_item_kind kind;   /* which fields are meaningful */
  nasl_loc loc;         /* the whole item (for either: the keyword) */
  ast_expr *call;       /* IT_OP, IT_CHOICE */
  ast_item *inner;      /* IT_MAYBE */
  ptrvec branches;      /* IT_EITHER: ast_branch* */
  ast_setting *setting; /* IT_SETTING */
};

/* ---- spaces and cells ---- */

typedef enum ast_block_kind {
  BL_LAYERS,   /* layers COUNT [grow K every N] { items } */
  BL_LAYER,    /* layer { items } */
  BL_HEAD,     /* head { items } */
  BL_TREE,     /* tree(args) { settings } */
  BL_INJECT,   /* inject { settings } */
  BL_DAG,      /* dag { settings } */
  BL_NODE,     /* name = expr (fixed cell node) */
  BL_SETTING   /* key: value */
} ast_block_kind;

typedef struct ast_block {
  ast_block_kind kind;  /* which fields are meaningful */
  nasl_loc loc;         /* the keyword (the name for BL_NODE) */
  ast_expr *count;      /* BL_LAYERS: the count expression */
  ast_expr *grow;       /* BL_LAYERS: K of "grow K every N", or NULL */
  ast_expr *every;      /* BL_LAYERS: N of "grow K every N", or NULL */
  ptrvec items;         /* BL_LAYERS, BL_LAYER, BL_HEAD: ast_item* */
  ptrvec args;          /* BL_TREE: ast_arg* */
  ptrvec settings;      /* BL_TREE, BL_INJECT, BL_DAG: ast_setting* */
  const char *name;     /* BL_NODE */
  ast_expr *value;      /* BL_NODE */
  ast_setting *setting; /* BL_SETTING */
} ast_block;

/* ---- declarations ---- */

typedef struct ast_param {
  const char *name;     /* parameter name */
  nasl_loc loc;         /* its location */
  const char *type;     /* "int", "float", "bool", ... or NULL for a symbol set */
  nasl_loc type_loc;    /* location of the type */
  ptrvec symbols;       /* symbol set members: ast_expr* (EX_IDENT) */
  ast_expr *range;      /* "in lo..hi", or NULL */
  ast_expr *def;        /* "= default", or NULL (the parameter is required) */
  const char *doc;      /* one-line documentation, or NULL */
} ast_param;

typedef enum ast_decl_kind {
  DE_IMPORT,   /* import "path": str */
  DE_DATASET,  /* dataset name = call: name, value */
  DE_OP,       /* [extern] op name(params) : role "doc" { settings } */
  DE_SPACE,    /* space name { blocks } */
  DE_CELL,     /* cell name { blocks } */
  DE_TRAIN,    /* train { settings } */
  DE_SEARCH,   /* search strategy { settings }: name is the strategy */
  DE_FINAL     /* final { settings } */
} ast_decl_kind;

typedef struct ast_decl {
  ast_decl_kind kind;  /* which fields are meaningful */
  nasl_loc loc;        /* the keyword */
  const char *name;    /* declared name (strategy for DE_SEARCH) */
  nasl_loc name_loc;   /* where the name is */
  const char *str;     /* DE_IMPORT path; DE_OP doc */
  nasl_loc str_loc;    /* location of str */
  ast_expr *value;     /* DE_DATASET loader call */
  int is_extern;       /* DE_OP: declared with "extern" */
  int has_params;      /* DE_OP: a parameter list was written */
  ptrvec params;       /* DE_OP: ast_param* */
  const char *role;    /* DE_OP: role name */
  nasl_loc role_loc;   /* DE_OP: where the role is */
  ptrvec settings;     /* DE_OP (extern), DE_TRAIN, DE_SEARCH, DE_FINAL: ast_setting* */
  ptrvec blocks;       /* DE_SPACE, DE_CELL: ast_block* */
} ast_decl;

typedef struct ast_file {
  int file;       /* source id in the diag */
  ptrvec decls;   /* ast_decl* */
} ast_file;

/* Parses source `file` of d into an AST in arena a. Syntax errors are
 * reported to d; the returned tree holds what could be recovered (never NULL).
 * Check d->errors to know whether the file was well formed. */
ast_file *nasl_parse(arena *a, nasl_diag *d, int file);

/* Constructors used by the parser (one per production shape). */
ast_expr *ast_int(arena *a, nasl_loc loc, int64_t v);
ast_expr *ast_float(arena *a, nasl_loc loc, double v);
ast_expr *ast_string(arena *a, nasl_loc loc, const char *s);
ast_expr *ast_bool(arena *a, nasl_loc loc, int v);
ast_expr *ast_ident(arena *a, nasl_loc loc, const char *name);
ast_expr *ast_call(arena *a, nasl_loc loc, const char *name, ptrvec args);
ast_expr *ast_list(arena *a, nasl_loc loc, ptrvec items);
ast_expr *ast_binop(arena *a, nasl_loc loc, char op, ast_expr *l, ast_expr *r);
ast_expr *ast_range(arena *a, nasl_loc loc, ast_expr *l, ast_expr *r);
ast_expr *ast_neg(arena *a, nasl_loc loc, ast_expr *e);
ast_arg *ast_arg_new(arena *a, const char *name, nasl_loc loc, ast_expr *value);
ast_setting *ast_setting_new(arena *a, const char *key, nasl_loc loc, ast_expr *value);
ast_item *ast_item_op(arena *a, ast_expr *call);
ast_item *ast_item_maybe(arena *a, nasl_loc loc, ast_item *inner);
ast_item *ast_item_either(arena *a, nasl_loc loc, ptrvec branches);
ast_item *ast_item_choice(arena *a, ast_expr *list);
ast_item *ast_item_setting(arena *a, ast_setting *s);
ast_branch *ast_branch_new(arena *a, const char *label, nasl_loc loc, ptrvec items);
ast_block *ast_block_new(arena *a, ast_block_kind kind, nasl_loc loc);
ast_param *ast_param_new(arena *a, const char *name, nasl_loc loc);
ast_decl *ast_decl_new(arena *a, ast_decl_kind kind, nasl_loc loc);

/* Joins two locations of one file into the range covering both. */
nasl_loc nasl_loc_join(nasl_loc a, nasl_loc b);

/* The operator or literal as written, for messages: "integer 3", "'conv2d'". */
const char *ast_expr_describe(arena *a, const ast_expr *e);

#endif

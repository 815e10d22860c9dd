/* ast.c: constructors for the syntax tree (see ast.h). */
#include "lang/ast.h"

#include <string.h>

static ast_expr *expr(arena *a, ast_expr_kind kind, nasl_loc loc) {
  ast_expr *e = arena_alloc(a, sizeof *e);
  e->kind = kind;
  e->loc = loc;
  return e;
}

ast_expr *ast_int(arena *a, nasl_loc loc, int64_t v) {
  ast_expr *e = expr(a, EX_INT, loc);
  e->i = v;
  return e;
}

ast_expr *ast_float(arena *a, nasl_loc loc, double v) {
  ast_expr *e = expr(a, EX_FLOAT, loc);
  e->f = v;
  return e;
}

ast_expr *ast_string(arena *a, nasl_loc loc, const char *s) {
  ast_expr *e = expr(a, EX_STRING, loc);
  e->s = s;
  return e;
}

ast_expr *ast_bool(arena *a, nasl_loc loc, int v) {
  ast_expr *e = expr(a, EX_BOOL, loc);
  e->i = v;
  return e;
}

ast_expr *ast_ident(arena *a, nasl_loc loc, const char *name) {
  ast_expr *e = expr(a, EX_IDENT, loc);
  e->s = name;
  return e;
}

ast_expr *ast_call(arena *a, nasl_loc loc, const char *name, ptrvec args) {
  ast_expr *e = expr(a, EX_CALL, loc);
  e->s = name;
  e->args = args;
  return e;
}

ast_expr *ast_list(arena *a, nasl_loc loc, ptrvec items) {
  ast_expr *e = expr(a, EX_LIST, loc);
  e->items = items;
  return e;
}

ast_expr *ast_binop(arena *a, nasl_loc loc, char op, ast_expr *l, ast_expr *r) {
  ast_expr *e = expr(a, EX_BINOP, loc);
  e->op = op;
  e->lhs = l;
  e->rhs = r;
  return e;
}

ast_expr *ast_range(arena *a, nasl_loc loc, ast_expr *l, ast_expr *r) {
  ast_expr *e = expr(a, EX_RANGE, loc);
  e->lhs = l;
  e->rhs = r;
  return e;
}

ast_expr *ast_neg(arena *a, nasl_loc loc, ast_expr *operand) {
  ast_expr *e = expr(a, EX_NEG, loc);
  e->lhs = operand;
  return e;
}

ast_arg *ast_arg_new(arena *a, const char *name, nasl_loc loc, ast_expr *value) {
  ast_arg *g = arena_alloc(a, sizeof *g);
  g->name = name;
  g->name_loc = loc;
  g->value = value;
  return g;
}

ast_setting *ast_setting_new(arena *a, const char *key, nasl_loc loc, ast_expr *value) {
  ast_setting *s = arena_alloc(a, sizeof *s);
  s->key = key;
  s->key_loc = loc;
  s->value = value;
  return s;
}

static ast_item *item(arena *a, ast_item_kind kind, nasl_loc loc) {
  ast_item *it = arena_alloc(a, sizeof *it);
  it->kind = kind;
  it->loc = loc;
  return it;
}

ast_item *ast_item_op(arena *a, ast_expr *call) {
  ast_item *it = item(a, IT_OP, call->loc);
  it->call = call;
  return it;
}

ast_item *ast_item_maybe(arena *a, nasl_loc loc, ast_item *inner) {
  ast_item *it = item(a, IT_MAYBE, loc);
  it->inner = inner;
  return it;
}

ast_item *ast_item_either(arena *a, nasl_loc loc, ptrvec branches) {
  ast_item *it = item(a, IT_EITHER, loc);
  it->branches = branches;
  return it;
}

ast_item *ast_item_choice(arena *a, ast_expr *list) {
  ast_item *it = item(a, IT_CHOICE, list->loc);
  it->call = list;
  return it;
}

ast_item *ast_item_setting(arena *a, ast_setting *s) {
  ast_item *it = item(a, IT_SETTING, s->key_loc);
  it->setting = s;
  return it;
}

ast_branch *ast_branch_new(arena *a, const char *label, nasl_loc loc, ptrvec items) {
  ast_branch *b = arena_alloc(a, sizeof *b);
  b->label = label;
  b->loc = loc;
  b->items = items;
  return b;
}

ast_block *ast_block_new(arena *a, ast_block_kind kind, nasl_loc loc) {
  ast_block *b = arena_alloc(a, sizeof *b);
  b->kind = kind;
  b->loc = loc;
  return b;
}

ast_param *ast_param_new(arena *a, const char *name, nasl_loc loc) {
  ast_param *p = arena_alloc(a, sizeof *p);
  p->name = name;
  p->loc = loc;
  return p;
}

ast_decl *ast_decl_new(arena *a, ast_decl_kind kind, nasl_loc loc) {
  ast_decl *d = arena_alloc(a, sizeof *d);
  d->kind = kind;
  d->loc = loc;
  return d;
}

nasl_loc nasl_loc_join(nasl_loc a, nasl_loc b) {
  if (a.file != b.file || a.file < 0) return a;
  nasl_loc r = a;
  if (b.start < r.start) r.start = b.start;
  if (b.end > r.end) r.end = b.end;
  return r;
}

const char *ast_expr_describe(arena *a, const ast_expr *e) {
  switch (e->kind) {
    case EX_INT: return arena_printf(a, "integer %lld", (long long)e->i);
    case EX_FLOAT: return arena_printf(a, "number %g", e->f);
    case EX_STRING: return "a string";
    case EX_BOOL: return e->i ? "true" : "false";
    case EX_IDENT: return arena_printf(a, "name '%s'", e->s);
    case EX_CALL: return arena_printf(a, "call '%s(...)'", e->s);
    case EX_LIST: return "a list";
    case EX_RANGE: return "a range";
    case EX_BINOP:
    case EX_NEG: return "an arithmetic expression";
  }
  return "an expression";
}

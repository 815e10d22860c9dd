/* parser.y: the grammar of .nasl (pure bison, locations).
 *
 * Actions only build AST nodes through the constructors of ast.h; every check
 * of meaning lives in compiler/. Syntax errors are reported with the token
 * that was not expected and what could have come instead; "error" rules at
 * the top level, in blocks and in bodies let one run report several.
 * Semantic values live in the parser's arena, so no %destructor is needed:
 * whatever error recovery discards is freed with the arena. */
%define api.pure full
%define api.prefix {nasl_yy}
%define parse.error custom
%define api.location.type {nasl_loc}
%locations
%expect 0
%param {void *scanner}
%parse-param {struct nasl_parser *P}

%code requires {
#include <stdint.h>
#include "lang/ast.h"

#define NASL_BRACKET_MAX 256

/* State shared by the lexer and the parser for one file. */
struct nasl_parser {
  arena *a;                              /* where the AST goes */
  nasl_diag *d;                          /* where errors go */
  int file;                              /* source id being parsed */
  int offset;                            /* lexer position, in bytes */
  int string_start;                      /* offset of the opening quote of the string being scanned */
  ast_file *result;                      /* the tree being built */
  int depth;                             /* open brackets */
  nasl_loc brackets[NASL_BRACKET_MAX];   /* where each open bracket is */
  char bracket_chars[NASL_BRACKET_MAX];  /* which bracket it is */
};

#define YYLLOC_DEFAULT(Cur, Rhs, N)                                  \
  do {                                                               \
    if (N) {                                                         \
      (Cur).file = YYRHSLOC(Rhs, 1).file;                            \
      (Cur).start = YYRHSLOC(Rhs, 1).start;                          \
      (Cur).end = YYRHSLOC(Rhs, N).end;                              \
    } else {                                                         \
      (Cur).file = YYRHSLOC(Rhs, 0).file;                            \
      (Cur).start = (Cur).end = YYRHSLOC(Rhs, 0).end;                \
    }                                                                \
  } while (0)
}

%union {
  int64_t i;
  double f;
  const char *str;
  ast_expr *expr;
  ast_arg *arg;
  ast_setting *setting;
  ast_item *item;
  ast_branch *branch;
  ast_block *block;
  ast_param *param;
  ast_decl *decl;
  ptrvec vec;
}

%code {
int nasl_yylex(NASL_YYSTYPE *lval, nasl_loc *lloc, void *scanner);
static void nasl_yyerror(nasl_loc *loc, void *scanner, struct nasl_parser *P,
                         const char *msg);
#define A (P->a)
static ptrvec vec1(arena *a, void *x) { ptrvec v = {0}; ptrvec_push(a, &v, x); return v; }
static ptrvec push(arena *a, ptrvec v, void *x) { ptrvec_push(a, &v, x); return v; }
}

%token <str> IDENT "identifier"
%token <str> STRING "string"
%token <i> INT "integer"
%token <f> FLOAT "number"
%token IMPORT "import" DATASET "dataset" OP "op" EXTERN "extern"
%token SPACE "space" CELL "cell" TRAIN "train" SEARCH "search" FINAL "final"
%token LAYERS "layers" LAYER "layer" HEAD "head" MAYBE "maybe"
%token EITHER "either" OR "or" GROW "grow" EVERY "every"
%token TREE "tree" INJECT "inject" DAG "dag"
%token TRUE "true" FALSE "false" IN "in" DOTDOT ".."

%nonassoc DOTDOT
%left '+' '-'
%left '*' '/'
%precedence NEG
%right '^'

%type <decl> decl opdecl
%type <vec> decls params blocks items branches settings args args_opt exprs exprs_opt idents
%type <param> param
%type <str> doc_opt name
%type <expr> expr call prange_opt pdefault_opt
%type <arg> arg
%type <setting> setting
%type <item> item
%type <branch> branch
%type <block> block

%%

file:
  decls                         { P->result->decls = $1; }
;

decls:
  %empty                        { $$ = (ptrvec){0}; }
| decls decl                    { $$ = push(A, $1, $2); }
| decls ';'                     { $$ = $1; }
| decls error                   { $$ = $1; }
;

/* decl -> import STRING | dataset NAME = expr | [extern] op ... | space ... */
decl:
  IMPORT STRING                 { $$ = ast_decl_new(A, DE_IMPORT, @1); $$->str = $2; $$->str_loc = @2; }
| DATASET IDENT '=' expr        { $$ = ast_decl_new(A, DE_DATASET, @1); $$->name = $2; $$->name_loc = @2; $$->value = $4; }
| opdecl                        { $$ = $1; }
| EXTERN opdecl                 { $$ = $2; $$->is_extern = 1; $$->loc = @1; }
| SPACE IDENT '{' blocks '}'    { $$ = ast_decl_new(A, DE_SPACE, @1); $$->name = $2; $$->name_loc = @2; $$->blocks = $4; }
| CELL IDENT '{' blocks '}'     { $$ = ast_decl_new(A, DE_CELL, @1); $$->name = $2; $$->name_loc = @2; $$->blocks = $4; }
| TRAIN '{' settings '}'        { $$ = ast_decl_new(A, DE_TRAIN, @1); $$->settings = $3; }
| FINAL '{' settings '}'        { $$ = ast_decl_new(A, DE_FINAL, @1); $$->settings = $3; }
| SEARCH IDENT '{' settings '}' { $$ = ast_decl_new(A, DE_SEARCH, @1); $$->name = $2; $$->name_loc = @2; $$->settings = $4; }
;

/* opdecl -> op NAME [(params)] : ROLE ["doc"] [{ settings }] */
opdecl:
  OP IDENT ':' name doc_opt     { $$ = ast_decl_new(A, DE_OP, @1); $$->name = $2; $$->name_loc = @2;
                                  $$->role = $4; $$->role_loc = @4; $$->str = $5; $$->str_loc = @5; }
| OP IDENT '(' params ')' ':' name doc_opt
                                { $$ = ast_decl_new(A, DE_OP, @1); $$->name = $2; $$->name_loc = @2;
                                  $$->has_params = 1; $$->params = $4;
                                  $$->role = $7; $$->role_loc = @7; $$->str = $8; $$->str_loc = @8; }
| opdecl '{' settings '}'       { $$ = $1; $$->settings = $3; }
;

params:
  %empty                        { $$ = (ptrvec){0}; }
| param                         { $$ = vec1(A, $1); }
| params ',' param              { $$ = push(A, $1, $3); }
;

/* param -> NAME : TYPE [in lo..hi] [= default] ["doc"] */
param:
  name ':' IDENT prange_opt pdefault_opt doc_opt
                                { $$ = ast_param_new(A, $1, @1); $$->type = $3; $$->type_loc = @3;
                                  $$->range = $4; $$->def = $5; $$->doc = $6; }
| name ':' '{' idents '}' pdefault_opt doc_opt
                                { $$ = ast_param_new(A, $1, @1); $$->type_loc = @3; $$->symbols = $4;
                                  $$->def = $6; $$->doc = $7; }
;

idents:
  IDENT                         { $$ = vec1(A, ast_ident(A, @1, $1)); }
| idents ',' IDENT              { $$ = push(A, $1, ast_ident(A, @3, $3)); }
;

prange_opt:
  %empty                        { $$ = NULL; }
| IN expr                       { $$ = $2; }
;

pdefault_opt:
  %empty                        { $$ = NULL; }
| '=' expr                      { $$ = $2; }
;

doc_opt:
  %empty                        { $$ = NULL; }
| STRING                        { $$ = $1; }
;

/* blocks of a space or a cell; the checker decides which belong where */
blocks:
  %empty                        { $$ = (ptrvec){0}; }
| blocks block                  { $$ = push(A, $1, $2); }
| blocks ';'                    { $$ = $1; }
| blocks error                  { $$ = $1; }
;

block:
  LAYERS expr '{' items '}'     { $$ = ast_block_new(A, BL_LAYERS, @1); $$->count = $2; $$->items = $4; }
| LAYERS expr GROW expr EVERY expr '{' items '}'
                                { $$ = ast_block_new(A, BL_LAYERS, @1); $$->count = $2;
                                  $$->grow = $4; $$->every = $6; $$->items = $8; }
| LAYER '{' items '}'           { $$ = ast_block_new(A, BL_LAYER, @1); $$->items = $3; }
| HEAD '{' items '}'            { $$ = ast_block_new(A, BL_HEAD, @1); $$->items = $3; }
| TREE '{' settings '}'         { $$ = ast_block_new(A, BL_TREE, @1); $$->settings = $3; }
| TREE '(' args_opt ')' '{' settings '}'
                                { $$ = ast_block_new(A, BL_TREE, @1); $$->args = $3; $$->settings = $6; }
| INJECT '{' settings '}'       { $$ = ast_block_new(A, BL_INJECT, @1); $$->settings = $3; }
| DAG '{' settings '}'          { $$ = ast_block_new(A, BL_DAG, @1); $$->settings = $3; }
| IDENT '=' expr                { $$ = ast_block_new(A, BL_NODE, @1); $$->name = $1; $$->value = $3; }
| setting                       { $$ = ast_block_new(A, BL_SETTING, $1->key_loc); $$->setting = $1; }
;

items:
  %empty                        { $$ = (ptrvec){0}; }
| items item                    { $$ = push(A, $1, $2); }
| items ';'                     { $$ = $1; }
| items error                   { $$ = $1; }
;

/* item -> op call | maybe item | either branches | [ops] | key: value */
item:
  call                          { $$ = ast_item_op(A, $1); }
| MAYBE item                    { $$ = ast_item_maybe(A, @1, $2); }
| EITHER branches               { $$ = ast_item_either(A, @1, $2); }
| '[' exprs_opt ']'             { $$ = ast_item_choice(A, ast_list(A, @$, $2)); }
| setting                       { $$ = ast_item_setting(A, $1); }
;

branches:
  branch OR branch              { $$ = push(A, vec1(A, $1), $3); }
| branches OR branch            { $$ = push(A, $1, $3); }
;

branch:
  '{' items '}'                 { $$ = ast_branch_new(A, NULL, @1, $2); }
| IDENT ':' '{' items '}'       { $$ = ast_branch_new(A, $1, @1, $4); }
;

settings:
  %empty                        { $$ = (ptrvec){0}; }
| settings setting              { $$ = push(A, $1, $2); }
| settings ';'                  { $$ = $1; }
| settings error                { $$ = $1; }
;

setting:
  name ':' expr                 { $$ = ast_setting_new(A, $1, @1, $3); }
;

/* Setting and argument names may be words that are keywords elsewhere
 * (lstm(layers: 2), step(every: 10)). */
name:
  IDENT                         { $$ = $1; }
| LAYERS                        { $$ = "layers"; }
| LAYER                         { $$ = "layer"; }
| EVERY                         { $$ = "every"; }
| GROW                          { $$ = "grow"; }
| HEAD                          { $$ = "head"; }
| TREE                          { $$ = "tree"; }
| INJECT                        { $$ = "inject"; }
| DAG                           { $$ = "dag"; }
| CELL                          { $$ = "cell"; }
| SPACE                         { $$ = "space"; }
| TRAIN                         { $$ = "train"; }
| SEARCH                        { $$ = "search"; }
| FINAL                         { $$ = "final"; }
| DATASET                       { $$ = "dataset"; }
| OP                            { $$ = "op"; }
| IN                            { $$ = "in"; }
;

call:
  IDENT                         { $$ = ast_ident(A, @1, $1); }
| IDENT '(' args_opt ')'        { $$ = ast_call(A, @$, $1, $3); }
;

args_opt:
  %empty                        { $$ = (ptrvec){0}; }
| args                          { $$ = $1; }
| args ','                      { $$ = $1; }
;

args:
  arg                           { $$ = vec1(A, $1); }
| args ',' arg                  { $$ = push(A, $1, $3); }
;

arg:
  name ':' expr                 { $$ = ast_arg_new(A, $1, @1, $3); }
| expr                          { $$ = ast_arg_new(A, NULL, @1, $1); }
;

expr:
  INT                           { $$ = ast_int(A, @1, $1); }
| FLOAT                         { $$ = ast_float(A, @1, $1); }
| STRING                        { $$ = ast_string(A, @1, $1); }
| TRUE                          { $$ = ast_bool(A, @1, 1); }
| FALSE                         { $$ = ast_bool(A, @1, 0); }
| call                          { $$ = $1; }
| TRAIN                         { $$ = ast_ident(A, @1, "train"); } /* evaluator: train */
| '[' exprs_opt ']'             { $$ = ast_list(A, @$, $2); }
| '(' expr ')'                  { $$ = $2; }
| expr DOTDOT expr              { $$ = ast_range(A, @$, $1, $3); }
| expr '+' expr                 { $$ = ast_binop(A, @$, '+', $1, $3); }
| expr '-' expr                 { $$ = ast_binop(A, @$, '-', $1, $3); }
| expr '*' expr                 { $$ = ast_binop(A, @$, '*', $1, $3); }
| expr '/' expr                 { $$ = ast_binop(A, @$, '/', $1, $3); }
| expr '^' expr                 { $$ = ast_binop(A, @$, '^', $1, $3); }
| '-' expr %prec NEG            { $$ = ast_neg(A, @$, $2); }
;

exprs_opt:
  %empty                        { $$ = (ptrvec){0}; }
| exprs                         { $$ = $1; }
| exprs ','                     { $$ = $1; }
;

exprs:
  expr                          { $$ = vec1(A, $1); }
| exprs ',' expr                { $$ = push(A, $1, $3); }
;

%%

#undef YYSTYPE
#undef YYLTYPE
#include "lang/lexer.h"

/* How a token reads in a message: the symbol's name, plus its text when the
 * name alone would not say which one it is. */
static void describe_token(strbuf *b, struct nasl_parser *P, yysymbol_kind_t sym,
                           const nasl_loc *loc, int with_text) {
  if (sym == YYSYMBOL_YYEOF) {
    strbuf_puts(b, "end of file");
    return;
  }
  const nasl_source *s = nasl_diag_source(P->d, loc->file);
  int n = loc->end - loc->start;
  if (with_text && (sym == YYSYMBOL_IDENT || sym == YYSYMBOL_INT || sym == YYSYMBOL_FLOAT) && s &&
      n > 0 && n <= 40) {
    strbuf_printf(b, "%s '%.*s'", yysymbol_name(sym), n, s->text + loc->start);
    return;
  }
  const char *name = yysymbol_name(sym);
  if (sym >= YYSYMBOL_IMPORT && sym <= YYSYMBOL_DOTDOT) /* keywords and '..' */
    strbuf_printf(b, "'%s'", name);
  else
    strbuf_puts(b, name);
}

static int yyreport_syntax_error(const yypcontext_t *ctx, void *scanner,
                                 struct nasl_parser *P) {
  (void)scanner;
  yysymbol_kind_t expected[6];
  int n = yypcontext_expected_tokens(ctx, expected, 6);
  yysymbol_kind_t tok = yypcontext_token(ctx);
  const nasl_loc *loc = yypcontext_location(ctx);
  strbuf b;
  strbuf_init(&b);
  strbuf_puts(&b, "syntax error: unexpected ");
  describe_token(&b, P, tok, loc, 1);
  if (n > 0 && n <= 4) {
    strbuf_puts(&b, "; expected ");
    for (int i = 0; i < n; i++) {
      if (i) strbuf_puts(&b, i == n - 1 ? " or " : ", ");
      describe_token(&b, P, expected[i], loc, 0);
    }
  }
  nasl_error(P->d, *loc, "%s", b.data);
  strbuf_free(&b);
  if (tok == YYSYMBOL_YYEOF && P->depth > 0) {
    int i = (P->depth <= NASL_BRACKET_MAX ? P->depth : NASL_BRACKET_MAX) - 1;
    nasl_note(P->d, P->brackets[i], "the '%c' opened here is never closed",
              P->bracket_chars[i]);
  }
  return 0;
}

static void nasl_yyerror(nasl_loc *loc, void *scanner, struct nasl_parser *P,
                         const char *msg) {
  (void)scanner;
  if (strstr(msg, "exhausted"))
    nasl_error(P->d, *loc, "the file nests too deeply to be parsed");
  else
    nasl_error(P->d, *loc, "%s", msg);
}

ast_file *nasl_parse(arena *a, nasl_diag *d, int file) {
  const nasl_source *src = nasl_diag_source(d, file);
  struct nasl_parser *P = xcalloc(1, sizeof *P);
  P->a = a;
  P->d = d;
  P->file = file;
  P->result = arena_alloc(a, sizeof(ast_file));
  P->result->file = file;
  if (!src) {
    free(P);
    return arena_alloc(a, sizeof(ast_file));
  }
  yyscan_t scanner;
  nasl_yylex_init_extra(P, &scanner);
  YY_BUFFER_STATE buf = nasl_yy_scan_bytes(src->text, (int)src->len, scanner);
  nasl_yyparse(scanner, P);
  nasl_yy_delete_buffer(buf, scanner);
  nasl_yylex_destroy(scanner);
  ast_file *result = P->result;
  free(P);
  return result;
}

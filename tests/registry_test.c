/* registry_test.c: the operation registry (stdlib/registry.h) against what
 * depends on it.
 *
 *  - the stdlib's declarations and the registry's entries are the same list,
 *    with the same roles and parameter names (what the compiler checks
 *    through stdlib_check_decl), and the compiler reports a declaration that
 *    does not match, or a stdlib declaration without an entry;
 *  - every tape kernel is recorded by some entry (so every operation's
 *    backward is one of the gradient-checked kernels), and every entry that
 *    a network or a cell can run has the hooks it needs;
 *  - nasl-stdlib(7) documents every entry under its own name;
 *  - resolving an operation through the registry gives the shapes, weights,
 *    parameter and FLOP counts of its rule, and its text and label. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compile.h"
#include "stdlib/registry.h"
#include "tap.h"

/* Compiles text with the real stdlib and the registry's check; the
 * diagnostics into out. */
static grammar *compile_checked(const char *text, int no_stdlib, const char *stdlib_dir, strbuf *out) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  nasl_diag d;
  nasl_diag_init(&d, f);
  nasl_options opt = {stdlib_dir, no_stdlib, stdlib_check_decl};
  grammar *g = nasl_compile_text("t.nasl", text, strlen(text), &opt, &d);
  if (!g) nasl_diag_summary(&d);
  nasl_diag_free(&d);
  fclose(f);
  strbuf_clear(out);
  strbuf_puts(out, buf ? buf : "");
  free(buf);
  return g;
}

static void test_declarations(void) {
  strbuf diag;
  strbuf_init(&diag);
  grammar *g = compile_checked("space s { layer { relu } }", 0, getenv("NASLC_STDLIB"), &diag);
  tap_result(g != NULL, "the stdlib compiles with the registry's check");
  if (!g) tap_diag("%s", diag.data);
  int bad = 0, builtin = 0;
  for (int i = 0; g && i < g->nops; i++) {
    char why[256] = "";
    if (g->ops[i].ext) continue;
    builtin++;
    if (stdlib_check_decl(&g->ops[i], why, sizeof why) != 0) {
      tap_diag("'%s': %s", g->ops[i].name, why[0] ? why : "no entry");
      bad++;
    }
  }
  tap_result(g && bad == 0, "every stdlib declaration has a matching entry (%d)", builtin);
  bad = 0;
  for (int k = 0; g && k < stdlib_registry_count; k++) {
    int found = 0;
    for (int i = 0; i < g->nops; i++) found |= !strcmp(g->ops[i].name, stdlib_registry[k]->name);
    if (!found) tap_diag("entry '%s' has no stdlib declaration", stdlib_registry[k]->name), bad++;
  }
  tap_result(g && bad == 0 && builtin == stdlib_registry_count, "every entry is declared in the stdlib (%d entries)",
             stdlib_registry_count);
  grammar_free(g);
  strbuf_free(&diag);
}

static void test_mismatches(void) {
  strbuf diag;
  strbuf_init(&diag);
  grammar *g = compile_checked("op conv2d(height: int = 3, filters: int = 8) : layer\nspace s { layer { conv2d } }\n",
                               1, NULL, &diag);
  tap_result(!g && strstr(diag.data, "t.nasl:1:4: error: operation 'conv2d' does not match naslc's implementation: "
                                     "naslc's 'conv2d' reads a parameter 'width' as its parameter 2; declare it there"),
             "a built-in declared with other parameters is an error at its name");
  if (g || !strstr(diag.data, "parameter 'width'")) tap_diag("%s", diag.data);
  grammar_free(g);
  g = compile_checked("op relu : layer\nspace s { layer { relu } }\n", 1, NULL, &diag);
  tap_result(!g && strstr(diag.data, "error: operation 'relu' does not match naslc's implementation: naslc runs "
                                     "'relu' as an activation, not as a layer"),
             "a built-in declared with another role is an error");
  grammar_free(g);
  g = compile_checked("op dropout(rate: float = 0.5, seed: int = 1) : layer\nspace s { layer { dropout } }\n", 1, NULL,
                      &diag);
  tap_result(!g && strstr(diag.data, "naslc's 'dropout' reads 1 parameter, not 2: 'seed' would be ignored"),
             "a built-in declared with a parameter it does not read is an error");
  grammar_free(g);
  g = compile_checked("op lrelu(slope: float = 0.1) : activation\nspace s { layer { lrelu } }\n", 1, NULL, &diag);
  tap_result(g != NULL, "an operation of one's own without an entry compiles (it has no runtime)");
  grammar_free(g);
  strbuf_free(&diag);
}

static void test_kernels_and_hooks(void) {
  int bad = 0;
  for (int k = 1; k < NN_OP_COUNT; k++) {
    if (k == NN_EXTERN) continue; /* recorded by plug-in entries */
    int found = 0;
    for (int i = 0; i < stdlib_registry_count; i++)
      for (const nn_op *p = stdlib_registry[i]->kernels; *p != NN_LEAF; p++) found |= (int)*p == k;
    if (!found) tap_diag("kernel '%s' is recorded by no entry", nn_ops[k].name), bad++;
  }
  tap_result(bad == 0, "every tape kernel is recorded by an entry");
  bad = 0;
  for (int i = 0; i < stdlib_registry_count; i++) {
    const stdlib_op *op = stdlib_registry[i];
    int runs = op->role == OP_ROLE_LAYER || op->role == OP_ROLE_ACTIVATION;
    if (runs && (!op->resolve || !op->forward)) tap_diag("'%s' cannot run in a network", op->name), bad++;
    if (op->role == OP_ROLE_COMBINE && !op->forward) tap_diag("combine '%s' has no forward", op->name), bad++;
    if (op->resolve && !op->forward) tap_diag("'%s' resolves but does not run", op->name), bad++;
    if (stdlib_find(op->name) != op) tap_diag("'%s' is listed twice", op->name), bad++;
  }
  tap_result(bad == 0, "layers and activations resolve and run, combines run, names are unique");
}

/* nasl-stdlib(7) has a section (.SS NAME) or an item (.TP / .B NAME) for
 * every entry. */
static void test_manual(void) {
  const char *top = getenv("top_srcdir");
  char path[4096];
  snprintf(path, sizeof path, "%s/man/nasl-stdlib.7", top ? top : ".");
  strbuf page;
  strbuf_init(&page);
  if (strbuf_read_file(&page, path, (size_t)-1)) {
    tap_result(0, "nasl-stdlib(7) can be read (%s)", path);
    strbuf_free(&page);
    return;
  }
  int bad = 0;
  for (int i = 0; i < stdlib_registry_count; i++) {
    char a[128], b[128];
    snprintf(a, sizeof a, "\n.SS %s\n", stdlib_registry[i]->name);
    snprintf(b, sizeof b, "\n.TP\n.B %s\n", stdlib_registry[i]->name);
    if (!strstr(page.data, a) && !strstr(page.data, b)) tap_diag("'%s' is not documented", stdlib_registry[i]->name), bad++;
  }
  tap_result(bad == 0, "nasl-stdlib(7) documents every entry of the registry");
  strbuf_free(&page);
}

/* conv2d 3x5, 16 filters, stride 2, with a bias on an 8x9x9 map. */
static void test_resolve(void) {
  strbuf diag, err, text;
  strbuf_init(&diag);
  strbuf_init(&err);
  strbuf_init(&text);
  grammar *g = compile_checked("space s { layer { relu } }", 0, getenv("NASLC_STDLIB"), &diag);
  const grammar_opdecl *decl = NULL;
  for (int i = 0; g && i < g->nops; i++)
    if (!strcmp(g->ops[i].name, "conv2d")) decl = &g->ops[i];
  if (!decl) {
    tap_result(0, "conv2d is declared");
    grammar_free(g);
    return;
  }
  grammar_value args[5] = {{GV_INT, 3, 0, NULL}, {GV_INT, 5, 0, NULL}, {GV_INT, 16, 0, NULL}, {GV_INT, 2, 0, NULL},
                           {GV_BOOL, 1, 0, NULL}};
  stdlib_node n = {0};
  n.op = stdlib_find_decl(decl, &err);
  n.decl = decl;
  n.args = args;
  n.inst = "conv2d";
  nn_params p;
  nn_params_init(&p);
  rng r;
  rng_seed(&r, 1);
  stdlib_build b = {&p, &r, "layer.0", 10, 0, 0};
  stdlib_shape s = {8, 9, 9};
  int rc = stdlib_resolve(&n, &s, &b, &err);
  tap_result(rc == 0 && s.c == 16 && s.h == 5 && s.w == 5, "conv2d's shape rule: 8x9x9 -> 16x5x5 (stride 2, same)");
  tap_result(b.nparams == 16 * 8 * 3 * 5 + 16 && b.flops == 2LL * 16 * 8 * 3 * 5 * 5 * 5,
             "its parameters and FLOPs (%lld, %lld)", (long long)b.nparams, (long long)b.flops);
  tap_result(n.nw == 2 && nn_params_find(&p, "layer.0.conv2d.weight") == n.w[0] &&
                 nn_params_find(&p, "layer.0.conv2d.bias") == n.w[1] && n.w[0]->ne[0] == 16 && n.w[0]->ne[3] == 5,
             "its weights, named and shaped");
  stdlib_text(&n, 10, &text);
  tap_result(!strcmp(text.data, "conv2d(height: 3, width: 5, filters: 16, stride: 2, bias: true)"), "its text: %s",
             text.data);
  strbuf_clear(&text);
  stdlib_label(&n, &text);
  tap_result(!strcmp(text.data, "conv 3x5, 16 /2"), "its label: %s", text.data);
  nn_params_free(&p);
  grammar_free(g);
  strbuf_free(&diag);
  strbuf_free(&err);
  strbuf_free(&text);
}

int main(void) {
  test_declarations();
  test_mismatches();
  test_kernels_and_hooks();
  test_manual();
  test_resolve();
  return tap_done();
}

/* grammar.c: small helpers of the grammar contract (see grammar.h). */
#include "grammar/grammar.h"

#include <stdio.h>
#include <stdlib.h>

void grammar_free(grammar *g) {
  if (!g) return;
  arena_free(&g->mem);
  free(g);
}

const char *grammar_decision_kind_name(grammar_decision_kind k) {
  switch (k) {
    case GRAMMAR_CATEGORICAL: return "categorical";
    case GRAMMAR_ANCHOR: return "anchor";
    case GRAMMAR_POINTER: return "pointer";
  }
  return "?";
}

void grammar_value_format(const grammar_value *v, char *buf, int n) {
  switch (v->kind) {
    case GV_INT: snprintf(buf, (size_t)n, "%lld", (long long)v->i); break;
    case GV_FLOAT: snprintf(buf, (size_t)n, "%g", v->f); break;
    case GV_BOOL: snprintf(buf, (size_t)n, "%s", v->i ? "true" : "false"); break;
    case GV_SYMBOL: snprintf(buf, (size_t)n, "%s", v->sym ? v->sym : ""); break;
    case GV_STRING: snprintf(buf, (size_t)n, "\"%s\"", v->sym ? v->sym : ""); break;
  }
}

int grammar_stack_depths(const grammar *g, const grammar_node *n, int *out, int max) {
  int k = 0;
  switch (n->depth_kind) {
    case DEPTH_FIXED: out[k++] = n->max_layers; break;
    case DEPTH_DECIDED: {
      const grammar_decision *d = &g->decisions[n->decision];
      for (int i = 0; i < d->vocab_len && k < max; i++) out[k++] = (int)d->vocab[i].i;
      break;
    }
    case DEPTH_CURRICULUM:
      for (int depth = n->min_layers; k < max; depth += n->grow) {
        out[k++] = depth < n->max_layers ? depth : n->max_layers;
        if (depth >= n->max_layers) break;
      }
      break;
  }
  return k;
}

int grammar_curriculum_depth(const grammar_node *n, long samples_seen) {
  if (n->depth_kind != DEPTH_CURRICULUM) return n->max_layers;
  if (samples_seen < 0) samples_seen = 0;
  long steps = n->every > 0 ? samples_seen / n->every : 0;
  /* once the stack could have grown to its maximum, it has: no product to overflow */
  long to_max = n->grow > 0 ? (n->max_layers - n->min_layers + n->grow - 1) / n->grow : 0;
  if (n->grow <= 0 || steps >= to_max) return n->grow > 0 ? n->max_layers : n->min_layers;
  long depth = n->min_layers + steps * (long)n->grow;
  return depth < n->max_layers ? (int)depth : n->max_layers;
}

long grammar_curriculum_position(const grammar_node *stack, int depth) {
  long at = 0;
  if (!stack || stack->depth_kind != DEPTH_CURRICULUM || stack->every <= 0) return 0;
  while (grammar_curriculum_depth(stack, at) < depth && at < 1000000000L) at += stack->every;
  return at;
}

int grammar_is_lm(const grammar *g) {
  return g->space_kind == SPACE_TREE_CELL || g->space_kind == SPACE_FIXED_CELL;
}

const char *const grammar_role_names[OP_ROLE_INTERNAL + 1] = {"layer", "activation", "combine", "edge", "internal"};

const char *grammar_role_article(grammar_op_role r) {
  return (r == OP_ROLE_ACTIVATION || r == OP_ROLE_EDGE || r == OP_ROLE_INTERNAL) ? "an" : "a";
}

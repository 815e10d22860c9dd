/* print.c: see print.h. */
#include "compiler/print.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const space_kinds[] = {"cnn", "tree cell", "fixed cell", "dag cell"};

static const char *plural(long n, const char *one, const char *many) { return n == 1 ? one : many; }

void grammar_size_text(const grammar *g, char *buf, int n) {
  if (g->size_exact && strlen(g->size_exact) <= 15) {
    snprintf(buf, (size_t)n, "%s", g->size_exact);
    return;
  }
  double e = floor(g->log10_size);
  snprintf(buf, (size_t)n, "%.2fe+%.0f", pow(10.0, g->log10_size - e), e);
}

static void vocab_text(const grammar *g, const grammar_decision *d, strbuf *out) {
  if (d->kind == GRAMMAR_ANCHOR) {
    for (int j = 0; j < d->ncandidates; j++) {
      if (j == 3 && d->ncandidates > 5) {
        strbuf_printf(out, " ... layer[%d]", d->first_candidate + d->ncandidates - 1);
        break;
      }
      strbuf_printf(out, "%slayer[%d]", j ? " " : "", d->first_candidate + j);
    }
    strbuf_puts(out, " (each on/off)");
    return;
  }
  if (d->kind == GRAMMAR_POINTER) {
    strbuf_printf(out, "node[%d]..node[%d]", d->first_candidate, d->first_candidate + d->ncandidates - 1);
    return;
  }
  (void)g;
  size_t start = out->len;
  for (int j = 0; j < d->vocab_len; j++) {
    char buf[128];
    grammar_value_format(&d->vocab[j], buf, sizeof buf);
    if (out->len - start + strlen(buf) > 48 && j < d->vocab_len - 1) {
      strbuf_printf(out, " ... (%d values)", d->vocab_len);
      break;
    }
    strbuf_printf(out, "%s%s", j ? " " : "", buf);
  }
}

static void when_text(const grammar *g, const grammar_decision *d, strbuf *out) {
  if (d->guard >= 0) {
    const grammar_decision *gd = &g->decisions[d->guard];
    char buf[128];
    grammar_value_format(&gd->vocab[d->guard_token], buf, sizeof buf);
    strbuf_printf(out, "%s = %s", gd->path, buf);
  }
  if (d->min_depth > 0) strbuf_printf(out, "%slayers >= %d", d->guard >= 0 ? ", " : "", d->min_depth);
}

static void depth_text(const grammar *g, strbuf *out) {
  if (g->space_kind != SPACE_CNN) return;
  const grammar_node *v = g->variable_stack;
  if (!v) {
    strbuf_printf(out, "depth: %d %s (fixed)\n", g->max_layers, plural(g->max_layers, "layer", "layers"));
    return;
  }
  int before = v->first_layer;
  const char *plus = before ? " after the fixed layers" : "";
  if (v->depth_kind == DEPTH_CURRICULUM)
    strbuf_printf(out, "depth: curriculum: %d layers%s at first, +%d every %d samples, at most %d (not a decision)\n",
                  v->min_layers, plus, v->grow, v->every, v->max_layers);
  else
    if (before)
      strbuf_printf(out, "depth: chosen by decision 'depth', %d to %d layers%s (%d to %d in all)\n", v->min_layers,
                    v->max_layers, plus, before + v->min_layers, before + v->max_layers);
    else
      strbuf_printf(out, "depth: chosen by decision 'depth', %d to %d layers\n", v->min_layers, v->max_layers);
}

void grammar_print_tokens(const grammar *g, strbuf *out) {
  strbuf_printf(out, "%s %s (%s): %d %s, %d controller %s\n", g->space_kind == SPACE_CNN ? "space" : "cell",
                g->name, space_kinds[g->space_kind], g->ndecisions, plural(g->ndecisions, "decision", "decisions"),
                g->nheads, plural(g->nheads, "head", "heads"));
  depth_text(g, out);
  int width = 8;
  for (int i = 0; i < g->ndecisions; i++) {
    int l = (int)strlen(g->decisions[i].path);
    if (l > width) width = l;
  }
  if (g->ndecisions) strbuf_printf(out, "\n%4s  %-*s  %-11s  %4s  %s\n", "#", width, "decision", "kind", "n", "vocabulary  [taken when]");
  for (int i = 0; i < g->ndecisions; i++) {
    const grammar_decision *d = &g->decisions[i];
    int n = d->kind == GRAMMAR_CATEGORICAL ? d->vocab_len : d->ncandidates;
    strbuf_printf(out, "%4d  %-*s  %-11s  %4d  ", i, width, d->path, grammar_decision_kind_name(d->kind), n);
    vocab_text(g, d, out);
    if (d->guard >= 0 || d->min_depth > 0) {
      strbuf_puts(out, "  [");
      when_text(g, d, out);
      strbuf_putc(out, ']');
    }
    strbuf_putc(out, '\n');
  }
  char size[64];
  grammar_size_text(g, size, sizeof size);
  int anchors = 0;
  for (int i = 0; i < g->ndecisions; i++) anchors |= g->decisions[i].kind == GRAMMAR_ANCHOR;
  strbuf_printf(out, "\nsize: %s %s (log10 %.2f)%s\n", size,
                g->size_exact && !strcmp(g->size_exact, "1") ? "architecture" : "architectures", g->log10_size,
                anchors ? ", skip connections included" : "");
}

static void json_vocab_value(strbuf *out, const grammar_value *v) {
  switch (v->kind) {
    case GV_INT: strbuf_printf(out, "%lld", (long long)v->i); break;
    case GV_FLOAT: strbuf_printf(out, "%.17g", v->f); break;
    case GV_BOOL: strbuf_puts(out, v->i ? "true" : "false"); break;
    default: strbuf_json_string(out, v->sym ? v->sym : ""); break;
  }
}

void grammar_print_json(const grammar *g, strbuf *out) {
  static const char *const kinds[] = {"cnn", "tree_cell", "fixed_cell", "dag_cell"};
  strbuf_puts(out, "{\"name\":");
  strbuf_json_string(out, g->name);
  strbuf_printf(out, ",\"kind\":\"%s\"", kinds[g->space_kind]);
  if (g->space_kind == SPACE_CNN) {
    const grammar_node *v = g->variable_stack;
    static const char *const dk[] = {"fixed", "decided", "curriculum"};
    strbuf_printf(out, ",\"depth\":{\"kind\":\"%s\",\"min\":%d,\"max\":%d", v ? dk[v->depth_kind] : "fixed",
                  v ? v->first_layer + v->min_layers : g->max_layers, g->max_layers);
    if (v && v->depth_kind == DEPTH_CURRICULUM) strbuf_printf(out, ",\"grow\":%d,\"every\":%d", v->grow, v->every);
    strbuf_putc(out, '}');
  }
  strbuf_puts(out, ",\"heads\":[");
  for (int i = 0; i < g->nheads; i++) {
    strbuf_puts(out, i ? ",{\"name\":" : "{\"name\":");
    strbuf_json_string(out, g->heads[i].name);
    strbuf_printf(out, ",\"kind\":\"%s\"}", grammar_decision_kind_name(g->heads[i].kind));
  }
  strbuf_puts(out, "],\"decisions\":[");
  for (int i = 0; i < g->ndecisions; i++) {
    const grammar_decision *d = &g->decisions[i];
    strbuf_printf(out, "%s{\"id\":%d,\"path\":", i ? "," : "", i);
    strbuf_json_string(out, d->path);
    strbuf_printf(out, ",\"kind\":\"%s\",\"head\":%d", grammar_decision_kind_name(d->kind), d->head);
    if (d->kind == GRAMMAR_CATEGORICAL) {
      strbuf_puts(out, ",\"vocab\":[");
      for (int j = 0; j < d->vocab_len; j++) {
        if (j) strbuf_putc(out, ',');
        json_vocab_value(out, &d->vocab[j]);
      }
      strbuf_putc(out, ']');
    } else {
      strbuf_printf(out, ",\"first_candidate\":%d,\"candidates\":%d", d->first_candidate, d->ncandidates);
    }
    if (d->layer >= 0) strbuf_printf(out, ",\"layer\":%d", d->layer);
    if (d->guard >= 0) strbuf_printf(out, ",\"guard\":{\"decision\":%d,\"token\":%d}", d->guard, d->guard_token);
    if (d->min_depth > 0) strbuf_printf(out, ",\"min_depth\":%d", d->min_depth);
    strbuf_putc(out, '}');
  }
  strbuf_puts(out, "],\"size\":{\"exact\":");
  if (g->size_exact) strbuf_json_string(out, g->size_exact);
  else strbuf_puts(out, "null");
  strbuf_printf(out, ",\"log10\":%.6f}}", g->log10_size);
}

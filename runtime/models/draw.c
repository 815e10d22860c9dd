/* draw.c: child networks and language-model cells as Graphviz drawings
 * (`naslc show --dot`; see child_dot in child.h and lm_dot in lm.h). */
#include <string.h>

#include "runtime/models/child.h"
#include "runtime/models/lm.h"

void child_dot(const child *ch, strbuf *out) {
  strbuf_puts(out, "digraph architecture {\n  rankdir=TB;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n");
  strbuf_printf(out, "  image [shape=ellipse, label=\"image\\n%dx%dx%d\"];\n", ch->input.c, ch->input.h, ch->input.w);
  for (int i = 0; i < ch->cnn.nlayers; i++) {
    const arch_layer *l = &ch->cnn.layers[i];
    strbuf_printf(out, "  L%d [label=\"layer %d", i, i);
    if (l->join == ARCH_JOIN_SUM) strbuf_puts(out, "\\nsum"); /* a node of a DAG cell */
    if (l->join == ARCH_JOIN_ZERO) strbuf_puts(out, "\\nzeros");
    for (int k = 0; k < ch->layers[i].nops; k++) {
      strbuf_puts(out, "\\n");
      stdlib_label(&ch->layers[i].ops[k], out);
    }
    strbuf_puts(out, "\"];\n");
    if (!l->ninputs) strbuf_printf(out, "  image -> L%d;\n", i);
    for (int k = 0; k < l->ninputs; k++) /* the chain solid, skip connections dashed, a zeros' shape dotted */
      strbuf_printf(out, "  L%d -> L%d%s;\n", l->inputs[k], i,
                    l->join == ARCH_JOIN_ZERO ? " [style=dotted]" : l->inputs[k] == i - 1 ? "" : " [style=dashed]");
  }
  strbuf_puts(out, "  head [shape=box, style=\"rounded,filled\", fillcolor=\"#eeeeee\", label=\"head");
  for (int k = 0; k < ch->head->nops; k++) {
    strbuf_puts(out, "\\n");
    stdlib_label(&ch->head->ops[k], out);
  }
  strbuf_puts(out, "\"];\n");
  for (int i = 0; i < ch->cnn.nlayers; i++)
    if (!ch->used[i]) strbuf_printf(out, "  L%d -> head;\n", i);
  strbuf_puts(out, "}\n");
}

void lm_dot(const lm *m, strbuf *out) {
  const cell_program *p = &m->cell;
  strbuf_puts(out, "digraph cell {\n  rankdir=BT;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n");
  for (int i = 0; i < p->nsteps; i++) {
    const cell_step *st = &p->steps[i];
    if (st->kind == CS_X) strbuf_printf(out, "  s%d [shape=ellipse, label=\"W%d x_t\"];\n", i, st->proj);
    else if (st->kind == CS_H) strbuf_printf(out, "  s%d [shape=ellipse, label=\"U%d h_t-1\"];\n", i, st->proj);
    else if (st->kind == CS_C) strbuf_printf(out, "  s%d [shape=ellipse, label=\"c_t-1\"];\n", i);
    else strbuf_printf(out, "  s%d [label=\"%s\"];\n", i, cell_step_name(st));
    if (st->kind == CS_OP) strbuf_printf(out, "  s%d -> s%d;\n", st->a, i);
    if (st->kind == CS_OP && st->b >= 0) strbuf_printf(out, "  s%d -> s%d;\n", st->b, i);
  }
  strbuf_puts(out, "  h_t [shape=plaintext];\n");
  strbuf_printf(out, "  s%d -> h_t;\n", p->output);
  if (p->memory >= 0) strbuf_printf(out, "  c_t [shape=plaintext];\n  s%d -> c_t [style=dashed];\n", p->memory);
  strbuf_puts(out, "}\n");
}

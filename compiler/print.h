/* print.h: the grammar shown to people (naslc tokens) and to programs
 * (naslc tokens --json). */
#ifndef NASLC_PRINT_H
#define NASLC_PRINT_H

#include "common/strbuf.h"
#include "grammar/grammar.h"

void grammar_print_tokens(const grammar *g, strbuf *out);
void grammar_print_json(const grammar *g, strbuf *out);
/* "1.02e+51" or the exact count when it has at most 15 digits. */
void grammar_size_text(const grammar *g, char *buf, int n);

#endif

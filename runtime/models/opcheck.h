/* opcheck.h: the gradient check of one operation, built-in or plug-in,
 * behind `naslc gradcheck`.
 *
 * The operation runs alone, as the child builder makes it (the same
 * weights, the same registry path), in training mode, on a random input
 * whose values are distinct and at least 0.05 away from 0 (so that a max
 * or a ReLU does not flip between the two sides of a finite difference).
 * With a fixed random R, L = sum(y * R); the backward pass gives dL/dv for
 * the input and every trained weight v, and each is compared on up to 64
 * entries with the central difference (L(v + e) - L(v - e)) / 2e,
 * e = 1e-3, L summed in double. An entry fails when
 * |a - n| / (0.01 + |a| + |n|) > 0.02 (a analytic, n numeric). */
#ifndef NASLC_OPCHECK_H
#define NASLC_OPCHECK_H

#include "common/strbuf.h"
#include "grammar/grammar.h"

/* Checks op with arguments args (one per parameter) on an input of shape
 * in (N, C, H, W), drawing from seed. Writes one line per input and
 * weight (entries checked, max absolute and relative error, ok or FAIL)
 * into report. Returns 0 when every entry passes, 1 when one fails, -1
 * with the reason in err when the operation cannot run: among others when
 * its output per example is past CHILD_MAX_ACTIVATIONS (as in show and
 * train) or its output over the batch in[0] is, checked before anything
 * large is allocated. */
int opcheck_run(const grammar_opdecl *op, const grammar_value *args, const int in[4], uint64_t seed,
                strbuf *report, strbuf *err);

#endif

/* swish.c: the Swish activation, y = x * sigmoid(beta * x) (Ramachandran,
 * Zoph and Le, "Searching for Activation Functions", 2017), as a naslc
 * plug-in. Declared in plugins.nasl as
 *
 *   extern op swish(beta: float in 0.1..10 = 1) : activation {
 *     library: "swish.so"; forward: "swish_forward"; backward: "swish_backward"
 *   }
 *
 * No shape function: the output has the input's shape, no weights.
 * Build: cc -shared -fPIC -O2 -I PREFIX/include -o swish.so swish.c -lm */
#include <math.h>
#include <stdio.h>

#include <naslc/op.h>

#if NASLC_OP_ABI_VERSION != 1
#error "swish.c is written for version 1 of naslc/op.h"
#endif

static int64_t count(const naslc_tensor *t) {
  int64_t n = 1;
  for (int i = 0; i < t->ndim; i++) n *= t->size[i];
  return n;
}

static double sigmoid(double v) { return 1.0 / (1.0 + exp(-v)); }

int swish_forward(const naslc_tensor *in, naslc_tensor *out, const naslc_tensor *weights, int nweights,
                  double beta, char *msg) {
  (void)weights;
  if (nweights != 0) {
    snprintf(msg, NASLC_MSG_LEN, "swish owns no weights but was given %d", nweights);
    return NASLC_FAIL;
  }
  int64_t n = count(in);
  for (int64_t i = 0; i < n; i++) {
    double x = in->data[i];
    out->data[i] = (float)(x * sigmoid(beta * x));
  }
  return NASLC_OK;
}

/* dy/dx = s + beta * x * s * (1 - s), s = sigmoid(beta * x) */
int swish_backward(const naslc_tensor *in, const naslc_tensor *out, const naslc_tensor *dout, naslc_tensor *din,
                   const naslc_tensor *weights, naslc_tensor *dweights, int nweights, double beta, char *msg) {
  (void)out, (void)weights, (void)dweights, (void)nweights, (void)msg;
  int64_t n = count(in);
  for (int64_t i = 0; i < n; i++) {
    double x = in->data[i], s = sigmoid(beta * x);
    din->data[i] += (float)(dout->data[i] * (s + beta * x * s * (1 - s)));
  }
  return NASLC_OK;
}

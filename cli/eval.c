/* eval.c: `naslc eval FILE [--arch A.json] --weights W`: the test accuracy
 * (or perplexity) of saved weights. */
#include <math.h>

#include "cli/cli.h"
#include "runtime/search/search.h"
#include "runtime/train/lm_train.h"
#include "runtime/train/train.h"

/* Weights read from a file must be finite; 1 after saying which is not. */
static int nonfinite(const nn_params *p, const char *path) {
  const tensor *t = nn_params_nonfinite(p);
  if (t) fprintf(stderr, "naslc: %s: weight '%s' holds a value that is not finite (NaN or infinity); "
                         "these weights cannot be evaluated\n", path, t->name);
  return t != NULL;
}

int cmd_eval(cli *c) {
  if (!(c->given & O_WEIGHTS)) return cli_bad_usage("%s needs --weights W (and --arch A.json unless the space has no decisions)", "eval");
  int status;
  grammar *g = cli_compile_runnable(c, &status);
  if (!g) return status;
  arch a;
  if (cli_arch(c, g, &a, &status)) {
    grammar_free(g);
    return status;
  }
  strbuf err;
  strbuf_init(&err);
  int threads = cli_threads(c);
  train_data d;
  child ch;
  rng r;
  rng_seed(&r, 1);
  if (grammar_is_lm(g)) {
    corpus cp;
    lm_data ld;
    lm m;
    double ppl;
    if (lm_data_load(&g->train, 1, &cp, &ld, &err)) {
      fprintf(stderr, "naslc: %s\n", err.data);
      status = EXIT_IO;
    } else {
      if (lm_build(&m, &a, &g->train, ld.vocab, &r, &err)) {
        fprintf(stderr, "naslc: %s\n", err.data);
        status = EXIT_TRAIN;
      } else {
        if (nn_params_load(&m.params, cli_text(c, O_WEIGHTS), &err)) {
          fprintf(stderr, "naslc: %s\n", err.data);
          status = EXIT_IO;
        } else if (nonfinite(&m.params, cli_text(c, O_WEIGHTS))) {
          status = EXIT_TRAIN;
        } else if (lm_evaluate(&m, ld.test, ld.ntest, g->train.batch, g->train.bptt, threads, &ppl, &err)) {
          fprintf(stderr, "naslc: %s\n", err.data);
          status = EXIT_TRAIN;
        } else if (!isfinite(ppl)) {
          fprintf(stderr, "naslc: the test perplexity is not finite (%g): these weights overflow\n", ppl);
          status = EXIT_TRAIN;
        } else {
          printf("test perplexity %.4f (%lld words)\n", ppl, (long long)ld.ntest);
        }
        lm_free(&m);
      }
      corpus_free(&cp);
    }
  } else if (train_data_load(&g->train, &d, &err)) {
    fprintf(stderr, "naslc: %s\n", err.data);
    status = EXIT_IO;
  } else {
    if (child_build(&ch, &a, d.shape, d.classes, &r, &err)) {
      fprintf(stderr, "naslc: %s\n", err.data);
      status = EXIT_TRAIN;
    } else {
      double acc, loss;
      if (nn_params_load(&ch.params, cli_text(c, O_WEIGHTS), &err)) {
        fprintf(stderr, "naslc: %s\n", err.data);
        status = EXIT_IO;
      } else if (nonfinite(&ch.params, cli_text(c, O_WEIGHTS))) {
        status = EXIT_TRAIN;
      } else if (train_evaluate(&ch, &d.test, 256, threads, &acc, &loss, &err)) {
        fprintf(stderr, "naslc: %s\n", err.data);
        status = EXIT_TRAIN;
      } else if (!isfinite(loss)) {
        fprintf(stderr, "naslc: the test loss is not finite (%s): the network's values overflow with these weights\n",
                isnan(loss) ? "NaN" : "infinity");
        status = EXIT_TRAIN;
      } else {
        printf("test accuracy %.4f, test loss %.4f (%d images)\n", acc, loss, d.test.n);
      }
      child_free(&ch);
    }
    train_data_free(&d);
  }
  arch_free(&a);
  strbuf_free(&err);
  grammar_free(g);
  return status;
}

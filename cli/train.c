/* train.c: `naslc train FILE [--arch A.json] ...`: train one architecture
 * with the file's recipe (an image child or a language model), print its
 * figures, and with --save keep the model. */
#include <math.h>
#include <unistd.h>

#include "cli/cli.h"
#include "runtime/search/search.h"
#include "runtime/train/lm_train.h"
#include "runtime/train/train.h"

/* --save DIR: the trained model kept (train_save); EXIT_OK, or EXIT_IO after
 * saying why. */
static int save(const cli *c, const arch *a, const nn_params *params, const train_report *rep) {
  const char *dir = cli_text(c, O_SAVE);
  if (!dir) return EXIT_OK;
  strbuf err;
  strbuf_init(&err);
  int rc = train_save(dir, a, c->file, params, rep, &err);
  if (rc) fprintf(stderr, "naslc: %s\n", err.data);
  else if (!(c->given & O_QUIET)) fprintf(stderr, "saved %s/arch.json, %s/weights.safetensors and %s/history.json\n", dir, dir, dir);
  strbuf_free(&err);
  return rc ? EXIT_IO : EXIT_OK;
}

/* --save DIR checked before any training (train_save_check), so that a
 * directory that cannot take the model is found before the work is done;
 * EXIT_OK, or EXIT_IO after saying why. */
static int check_save(const cli *c) {
  const char *dir = cli_text(c, O_SAVE);
  if (!dir) return EXIT_OK;
  strbuf err;
  strbuf_init(&err);
  int rc = train_save_check(dir, &err);
  if (rc) fprintf(stderr, "naslc: cannot save the model: %s; nothing was trained\n", err.data);
  strbuf_free(&err);
  return rc ? EXIT_IO : EXIT_OK;
}

static int train_lm(cli *c, grammar *g, const arch *a) {
  int quiet = (c->given & O_QUIET) != 0, status = EXIT_OK;
  int threads = cli_threads(c);
  if (c->given & O_SUBSET) g->train.subset = (int)cli_num(c, O_SUBSET, 0);
  strbuf err;
  strbuf_init(&err);
  corpus cp;
  lm_data d;
  if (lm_data_load(&g->train, quiet, &cp, &d, &err)) {
    fprintf(stderr, "naslc: %s\n", err.data);
    strbuf_free(&err);
    return EXIT_IO;
  }
  train_opts o = {(int)cli_num(c, O_EPOCHS, 0), threads, quiet, isatty(2), 0, 0};
  lm m;
  train_report rep;
  if (lm_train_child(g, a, &d, &o, &m, &rep, &err)) {
    fprintf(stderr, "naslc: %s\n", err.data);
    status = EXIT_TRAIN;
  } else {
    printf("parameters %lld, forward FLOPs per word %lld\n", (long long)rep.params, (long long)rep.flops);
    double best = INFINITY;
    for (int i = 0; i < rep.epochs; i++) best = rep.valid_metric[i] < best ? rep.valid_metric[i] : best;
    printf("valid perplexity %.2f (best %.2f), test perplexity %.2f, %.0f words/s, %.1f s\n",
           rep.epochs ? rep.valid_metric[rep.epochs - 1] : NAN, best, rep.test_metric, rep.rate,
           rep.seconds);
    if (rep.reward_ok) printf("reward %.6f (%s)\n", rep.reward, g->search.reward_text);
    status = save(c, a, &m.params, &rep);
    lm_free(&m);
  }
  train_report_free(&rep);
  corpus_free(&cp);
  strbuf_free(&err);
  return status;
}

int cmd_train(cli *c) {
  int status;
  grammar *g = cli_compile_runnable(c, &status);
  if (!g) return status;
  arch a;
  if (grammar_is_lm(g)) {
    if (c->given & (O_VALID | O_TEST)) {
      grammar_free(g);
      return cli_bad_usage("%s: --valid and --test count images; a language model uses the corpus's own splits",
                       "train");
    }
    if (cli_arch(c, g, &a, &status) == 0) {
      status = check_save(c);
      if (status == EXIT_OK) status = train_lm(c, g, &a);
      arch_free(&a);
    }
    grammar_free(g);
    return status;
  }
  if (cli_arch(c, g, &a, &status)) {
    grammar_free(g);
    return status;
  }
  strbuf err;
  strbuf_init(&err);
  if ((status = check_save(c)) != EXIT_OK) goto done;
  int threads = cli_threads(c);
  int quiet = (c->given & O_QUIET) != 0;
  if (c->given & O_SUBSET) g->train.subset = (int)cli_num(c, O_SUBSET, 0);
  if (c->given & O_VALID) g->train.valid = (int)cli_num(c, O_VALID, 0);
  if (c->given & O_TEST) g->train.test = (int)cli_num(c, O_TEST, 0);
  train_data d;
  if (!quiet) fprintf(stderr, "loading %s (%s)\n", g->train.data.name, g->train.data.dir ? g->train.data.dir : "");
  if (train_data_load(&g->train, &d, &err)) {
    fprintf(stderr, "naslc: %s\n", err.data);
    status = EXIT_IO;
    goto done;
  }
  if (!quiet)
    fprintf(stderr, "%d training, %d validation, %d test images of %dx%dx%d, %d classes; %d threads\n", d.train.n,
            d.valid.n, d.test.n, d.shape.c, d.shape.h, d.shape.w, d.classes, threads);
  train_opts o = {(int)cli_num(c, O_EPOCHS, 0), threads, quiet, isatty(2), 0, 0};
  child ch;
  train_report rep;
  if (train_child(g, &a, &d, &o, &ch, &rep, &err)) {
    fprintf(stderr, "naslc: %s\n", err.data);
    status = EXIT_TRAIN;
  } else {
    printf("parameters %lld, forward FLOPs per image %lld\n", (long long)rep.params, (long long)rep.flops);
    double best = 0;
    for (int i = 0; i < rep.epochs; i++) best = rep.valid_metric[i] > best ? rep.valid_metric[i] : best;
    printf("valid accuracy %.4f (best %.4f), test accuracy %.4f, %.1f s\n",
           rep.epochs ? rep.valid_metric[rep.epochs - 1] : 0, best, rep.test_metric, rep.seconds);
    if (rep.reward_ok) printf("reward %.6f (%s)\n", rep.reward, g->search.reward_text);
    status = save(c, &a, &ch.params, &rep);
    child_free(&ch);
    train_report_free(&rep);
  }
  train_data_free(&d);
done:
  arch_free(&a);
  strbuf_free(&err);
  grammar_free(g);
  return status;
}

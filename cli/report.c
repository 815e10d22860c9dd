/* report.c: `naslc report DIR`: the summary of a run (a finished one or one
 * still going) and DIR/report.svg, the plot of its rewards
 * (runtime/search/report.h). */
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/fsutil.h"
#include "runtime/search/report.h"
#include "runtime/search/rundir.h"
#include "runtime/search/search.h"

int cmd_report(cli *c) {
  const char *dir = c->file;
  strbuf err, svg, path;
  strbuf_init(&err);
  search_report r;
  if (search_report_load(dir, (c->given & O_QUIET) != 0, &r, &err)) {
    fprintf(stderr, "naslc: %s\n", err.data);
    strbuf_free(&err);
    return EXIT_IO;
  }
  printf("%s: %ld architectures evaluated\n", dir, r.n);
  printf("mean reward: first quarter %.4f, last quarter %.4f\n", r.first_quarter, r.last_quarter);
  printf("best reward %.6f (sample %ld)\n", r.best_reward, r.best_sample);
  strbuf_init(&svg);
  strbuf_init(&path);
  search_report_svg(&r, &svg);
  strbuf_printf(&path, "%s/report.svg", dir);
  int status = EXIT_OK;
  if (fs_write_atomic(path.data, svg.data, svg.len, &err)) {
    fprintf(stderr, "naslc: cannot write the plot: %s\n", err.data);
    status = EXIT_IO;
  } else {
    printf("plot: %s\n", path.data);
  }
  search_report_entry top[5];
  long k = r.n < 5 ? r.n : 5;
  search_report_top(&r, top, k);
  printf("top architectures:\n");
  for (long i = 0; i < k; i++) printf("  %.6f  sample %ld  %s\n", top[i].reward, top[i].sample, top[i].key);
  /* a shared-weight search's closing ranking */
  strbuf_clear(&path);
  strbuf_printf(&path, "%s/ranked.jsonl", dir);
  rundir_top ranked[5];
  strbuf why;
  strbuf_init(&why);
  int nr = access(path.data, F_OK) == 0 ? rundir_read_top(path.data, 5, ranked, &why) : 0;
  if (nr < 0) {
    fprintf(stderr, "naslc: %s\n", why.data);
    status = EXIT_IO;
  }
  if (nr > 0) printf("ranking at the end of the search (%s), best first:\n", path.data);
  for (int i = 0; i < nr; i++) printf("  %.6f  draw %ld  %s\n", ranked[i].reward, ranked[i].sample + 1, ranked[i].key);
  if (nr > 0) rundir_top_free(ranked, nr);
  strbuf_free(&why);
  search_report_final finals[SEARCH_FINAL_MAX];
  int nf = search_report_finals(dir, finals, SEARCH_FINAL_MAX);
  if (nf) printf("final models (retrained from scratch; naslc show %s/final/RANK/arch.json):\n", dir);
  for (int i = 0; i < nf; i++) {
    const search_report_final *f = &finals[i];
    printf("  %d. test %s %.4f, valid %.4f, %d epochs, %lld parameters, %.1f s  %s/final/%d\n", f->rank,
           f->perplexity ? "perplexity" : "accuracy", f->test, f->valid, f->epochs, f->params, f->seconds, dir,
           f->rank);
  }
  search_report_free(&r);
  strbuf_free(&err);
  strbuf_free(&svg);
  strbuf_free(&path);
  return status;
}

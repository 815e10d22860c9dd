#!/bin/sh
# shared_fmnist.sh: the Fashion-MNIST comparison of issue 14, one run after
# another (each is given the whole machine):
#   shared     examples/shared_macro.nasl as it is: REINFORCE over shared
#              weights, MINUTES of search, the ranking, the final training;
#   random     the same with `search random` (the same shared weights, the
#              same budget: Li and Talwalkar's baseline);
#   perchild   the quickstart's per-child search (each child trained on its
#              own) for the same MINUTES, then the same final recipe.
# for each seed of SEEDS (`naslc run --seed`). Each run takes MINUTES of
# search plus its final training: with the defaults (60 minutes, 3 seeds)
# about 18 hours in all. Every run directory is kept under DIR (default
# runs/shared_fmnist); a run that is killed resumes where it stopped when
# the script is run again.
#
# Each finished run adds a line to RESULTS (default
# bench/shared_fmnist.results, kept in git, so that the table grows across
# machines and days; with FINAL_EPOCHS, DIR/results): date, strategy, seed, minutes, final test accuracy,
# search and final minutes (the search's "?" for a resumed run), samples,
# shared rounds, whether the run was resumed, and the CPU. A (strategy, seed, minutes) already there is not
# run again. NEXT=1 runs only the first missing one (seeds outer,
# strategies inner), which is how the table is filled two hours at a time.
# At the end the script prints the table from RESULTS: per strategy, the
# runs at MINUTES, the mean and spread of their final test accuracies and
# their mean search and final minutes.
: "${NASLC:=./naslc}"
: "${SEEDS:=1 2 3}"
: "${MINUTES:=60}"
: "${STRATEGIES:=shared random perchild}"
: "${FINAL_EPOCHS:=}" # set: the final block's epochs (a quick look; the issue's figures use the file's)
: "${NEXT:=}"
work=${DIR:-runs/shared_fmnist}
src=${srcdir:-.}
if [ -n "$FINAL_EPOCHS" ]; then : "${RESULTS:=$work/results}" # not the issue's recipe: kept apart
else : "${RESULTS:=$src/bench/shared_fmnist.results}"; fi
mkdir -p "$work" || exit 1
final_block() { sed -n '/^final {/,/^}/p' "$src/examples/shared_macro.nasl"; }
for strategy in $STRATEGIES; do
  case $strategy in
    shared) sed "s/  minutes: [0-9.]*/  minutes: $MINUTES/" "$src/examples/shared_macro.nasl" > "$work/$strategy.nasl" ;;
    random) sed -e "s/  minutes: [0-9.]*/  minutes: $MINUTES/" -e "s/^search reinforce {/search random {/" \
                "$src/examples/shared_macro.nasl" > "$work/$strategy.nasl" ;;
    perchild)
      { sed -e "s/  minutes: [0-9.]*/  minutes: $MINUTES/" -e "s/  samples: [0-9]*/  samples: 100000/" -e "/^final {/,/^}/d" \
            "$src/examples/quickstart.nasl"; final_block; } > "$work/$strategy.nasl" ;;
    *) echo "shared_fmnist.sh: unknown strategy '$strategy' (shared, random, perchild)" >&2; exit 2 ;;
  esac
done
if [ -n "$FINAL_EPOCHS" ]; then
  for strategy in $STRATEGIES; do
    sed -i "/^final {/,/^}/s/  epochs: [0-9]*/  epochs: $FINAL_EPOCHS/" "$work/$strategy.nasl"
  done
fi
[ -f "$RESULTS" ] || printf 'date\tstrategy\tseed\tminutes\tfinal_test\tsearch_min\tfinal_min\tsamples\trounds\tresumed\tcpu\n' > "$RESULTS"
recorded() { awk -F '\t' -v s="$1" -v n="$2" -v m="$MINUTES" '$2 == s && $3 == n && $4 == m { f = 1 } END { exit !f }' "$RESULTS"; }
cpu=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo 2> /dev/null | head -n 1 | tr '\t' ' ')
for seed in $SEEDS; do
  for strategy in $STRATEGIES; do
    if recorded "$strategy" "$seed"; then
      echo "$strategy seed $seed: in $RESULTS already"
      continue
    fi
    dir="$work/$strategy-$seed"
    resumed=no
    if [ -d "$dir" ]; then set -- --resume "$dir"; resumed=yes; else set -- --dir "$dir"; fi
    t0=$(date +%s)
    "$NASLC" run "$work/$strategy.nasl" --seed "$seed" "$@" > "$dir.out" 2> "$dir.err"
    rc=$?
    wall=$(($(date +%s) - t0)) # a resumed run: the last part only
    echo "$strategy seed $seed: exit $rc: $(grep '^final test accuracy' "$dir.out")"
    acc=$(sed -n 's/^final test accuracy \([0-9.]*\):.*/\1/p' "$dir.out")
    [ "$rc" -eq 0 ] && [ -n "$acc" ] || continue
    fsec=$(sed -n 's/.*"seconds":\([0-9.]*\).*/\1/p' "$dir/final/1/history.json" 2> /dev/null)
    samples=$(sed -n 's/^samples \([0-9]*\),.*/\1/p' "$dir.out")
    rounds=$(grep -ao '"shared_rounds":"[0-9]*"' "$dir/checkpoint.safetensors" | grep -o '[0-9][0-9]*')
    # the search's minutes: the wall time less the final training's, known
    # only for a run that was not resumed (a resumed run's wall is its last part)
    times=$(awk -v w="$wall" -v f="${fsec:-0}" -v r="$resumed" \
      'BEGIN { if (r == "yes") printf "?\t%.1f", f / 60; else printf "%.1f\t%.1f", (w - f) / 60, f / 60 }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%d)" "$strategy" "$seed" "$MINUTES" "$acc" \
      "$times" "${samples:-?}" "${rounds:-0}" "$resumed" "${cpu:-unknown}" >> "$RESULTS"
    [ -n "$NEXT" ] && break 2
  done
done
echo
echo "from $RESULTS, runs of $MINUTES minutes of search:"
printf '%-9s %5s %12s %8s %12s %11s  %s\n' strategy runs "final test" spread "search min" "final min" "per seed"
awk -F '\t' -v m="$MINUTES" 'NR > 1 && $4 == m {
    n[$2]++; a[$2] += $5; q[$2] += $5 * $5; per[$2] = per[$2] sprintf(" %s:%.2f%%", $3, 100 * $5)
    if ($6 != "?") { s[$2] += $6; ns[$2]++ }
    f[$2] += $7
  }
  END {
    for (k in n) {
      mean = a[k] / n[k]; var = n[k] > 1 ? (q[k] - n[k] * mean * mean) / (n[k] - 1) : 0
      printf "%-9s %5d %11.2f%% %7.2f%% %12.1f %11.1f %s\n", k, n[k], 100 * mean, 100 * sqrt(var > 0 ? var : 0), ns[k] ? s[k] / ns[k] : 0, f[k] / n[k], per[k]
    }
  }' "$RESULTS"

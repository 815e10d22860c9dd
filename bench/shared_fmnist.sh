#!/bin/sh
# shared_fmnist.sh: the Fashion-MNIST comparison of issue 14, one run after
# another (each is given the whole machine):
#   shared     examples/shared_macro.nasl as it is: REINFORCE over shared
#              weights, MINUTES of search, the ranking, the final training;
#   random     the same with `search random` (the same shared weights, the
#              same budget: Li and Talwalkar's baseline);
#   perchild   the quickstart's per-child search (each child trained on its
#              own) for the same MINUTES, then the same final recipe.
# for each seed of SEEDS (`naslc run --seed`). Prints one line per run and
# a table of the final test accuracies (mean over the seeds) with the
# search and final times. Each run takes MINUTES of search plus its final
# training: with the defaults (60 minutes, 3 seeds) about 18 hours in all.
# Every run directory is kept under DIR (default runs/shared_fmnist); a run
# that is killed resumes where it stopped when the script is run again.
: "${NASLC:=./naslc}"
: "${SEEDS:=1 2 3}"
: "${MINUTES:=60}"
: "${STRATEGIES:=shared random perchild}"
: "${FINAL_EPOCHS:=}" # set: the final block's epochs (a quick look; the issue's figures use the file's)
work=${DIR:-runs/shared_fmnist}
src=${srcdir:-.}
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
for seed in $SEEDS; do
  for strategy in $STRATEGIES; do
    dir="$work/$strategy-$seed"
    if [ -d "$dir" ]; then set -- --resume "$dir"; else set -- --dir "$dir"; fi
    t0=$(date +%s)
    "$NASLC" run "$work/$strategy.nasl" --seed "$seed" "$@" > "$dir.out" 2> "$dir.err"
    rc=$?
    echo $(($(date +%s) - t0)) > "$dir.wall" # a resumed run: the last part only
    echo "$strategy seed $seed: exit $rc: $(grep '^final test accuracy' "$dir.out")"
  done
done
echo
printf '%-9s %5s %14s %14s %16s\n' strategy seeds "final test" "search min" "final min"
for strategy in $STRATEGIES; do
  for seed in $SEEDS; do
    dir="$work/$strategy-$seed"
    acc=$(sed -n 's/^final test accuracy \([0-9.]*\):.*/\1/p' "$dir.out")
    fsec=$(sed -n 's/.*"seconds":\([0-9.]*\).*/\1/p' "$dir/final/1/history.json" 2> /dev/null)
    wall=$(cat "$dir.wall" 2> /dev/null)
    ssec=$(awk -v w="${wall:-0}" -v f="${fsec:-0}" 'BEGIN { print w - f }')
    echo "$strategy ${acc:-nan} ${ssec:-nan} ${fsec:-nan}"
  done
done | awk '{ n[$1]++; a[$1] += $2; s[$1] += $3 / 60; f[$1] += $4 / 60 }
  END { for (k in n) printf "%-9s %5d %13.2f%% %14.1f %16.1f\n", k, n[k], 100 * a[k] / n[k], s[k] / n[k], f[k] / n[k] }'

#!/bin/sh
# longrun.sh: REINFORCE against random search on the quickstart space at an
# equal budget of 200 samples, side by side on one thread each (about 45
# minutes on 2 cores), then the mean reward of the trained children by
# quarter of the run and the best of each. The README's "longer search" table
# comes from this script.
: "${NASLC:=./naslc}"
: "${SAMPLES:=200}"
work=${LONGRUN_DIR:-runs/longrun}
mkdir -p "$work" || exit 1
for strategy in reinforce random; do
  # no time budget, no final stage: the search alone
  sed -e "s/^search reinforce {/search $strategy {/" -e "s/  minutes: [0-9.]*/  minutes: 0/" -e "/^final {/,/^}/d" \
      -e "s/  optimizer: adam(lr: 6e-4)/  optimizer: adam(lr: 0.005)/" \
      "${srcdir:-.}/examples/quickstart.nasl" > "$work/$strategy.nasl"
  rm -rf "$work/$strategy"
  "$NASLC" run "$work/$strategy.nasl" --dir "$work/$strategy" --samples "$SAMPLES" --threads 1 --quiet \
    > "$work/$strategy.out" 2>&1 &
done
wait
for strategy in reinforce random; do
  echo "== $strategy"
  tail -n 5 "$work/$strategy.out"
  awk -v N="$SAMPLES" -F'"reward":' '{ split($1, a, "\"sample\":"); split(a[2], n, ","); split($2, r, ",");
      s = n[1] + 0; q = int(4 * s / N); qs[q] += r[1]; qn[q]++ }
      END { printf "mean reward by quarter:"; for (i = 0; i < 4; i++) printf " %.3f", qn[i] ? qs[i] / qn[i] : 0; printf "\n" }' \
    "$work/$strategy/log.jsonl"
done

#!/bin/sh
# nb201.sh: REINFORCE against random search on NAS-Bench-201 (CIFAR-10 test
# accuracy after 200 epochs as the reward, looked up in the NATS-Bench
# topology table), 20 seeds each, best accuracy found after 100, 200 and 500
# samples: mean +- standard deviation, and how many runs found the optimum.
#   NB201_CSV  the table (default ../shared/data/nats-bench-201-tss.csv)
#   SEEDS      number of seeds (default 20)
: "${NB201_CSV:=../shared/data/nats-bench-201-tss.csv}"
: "${SEEDS:=20}"
: "${NASLC:=./naslc}"
[ -r "$NB201_CSV" ] || { echo "nb201: the table $NB201_CSV is not readable (set NB201_CSV)"; exit 1; }
csv=$(cd "$(dirname "$NB201_CSV")" && pwd)/$(basename "$NB201_CSV")
work=${TMPDIR:-/tmp}/naslc-nb201.$$
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
for strategy in random reinforce; do
  sed -e "s|search reinforce|search $strategy|" -e "s|file: \"[^\"]*\"|file: \"$csv\"|" \
      "${srcdir:-.}/examples/nb201.nasl" > "$work/$strategy.nasl"
  s=1
  while [ "$s" -le "$SEEDS" ]; do
    "$NASLC" run "$work/$strategy.nasl" --dir "$work/$strategy-$s" --samples 500 --seed "$s" --quiet > /dev/null 2>&1 ||
      { echo "nb201: the $strategy run with seed $s failed"; exit 1; }
    s=$((s + 1))
  done
done
echo "NAS-Bench-201, CIFAR-10 test accuracy (optimum 94.37), $SEEDS seeds, best found after N samples:"
printf '%-10s %8s %18s %10s\n' strategy samples "mean +- std" optimum
for strategy in random reinforce; do
  for budget in 100 200 500; do
    for d in "$work/$strategy"-*; do
      # best reward among samples < budget (repeats are not logged but repeat a logged reward)
      awk -v b="$budget" -F'"reward":' '{ split($1, a, "\"sample\":"); split(a[2], n, ","); split($2, r, ",");
        if (n[1] + 0 < b && r[1] + 0 > best) best = r[1] + 0 } END { printf "%.4f\n", best }' "$d/log.jsonl"
    done | awk -v s="$strategy" -v b="$budget" '{ x[NR] = $1; sum += $1; if ($1 >= 94.37) opt++ }
      END { m = sum / NR; for (i = 1; i <= NR; i++) v += (x[i] - m) ^ 2; sd = NR > 1 ? sqrt(v / (NR - 1)) : 0;
            printf "%-10s %8d %11.2f +- %.2f %6d/%d\n", s, b, m, sd, opt + 0, NR }'
  done
done

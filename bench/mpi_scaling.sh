#!/bin/sh
# mpi_scaling.sh: how a distributed search scales with its workers, on one
# machine. The table evaluator stands in for training: each child sleeps
# CHILD_SECONDS (NASLC_SIMULATE_SECONDS, naslc(1) ENVIRONMENT) and then looks its
# reward up, so the workers cost no CPU and 64 of them fit on 2 cores. For
# 1, 2, 4, ... 64 workers (mpirun -n W+1, --oversubscribe), asynchronous
# mode (batch 16) and synchronous mode (batch 16, or W when larger), W x 8
# children (at least 24) each, it prints children per second, the speed-up over
# one worker, the efficiency (children per second against W / CHILD_SECONDS, the
# rate of workers never idle) and rank 0's own time per child (drawing,
# learning, logging, checkpointing: what bounds how many workers one
# controller can feed; the waits are not counted).
#   CHILD_SECONDS  simulated training time per child (default 0.5)
#   WORKERS   the worker counts (default "1 2 4 8 16 32 64")
#   MODES     "async sync" (default both)
# Waiting ranks poll and sleep (cli/dist.c), so Open MPI's spinning is not
# in the way; mpi_yield_when_idle is also set for the MPI library's own waits.
: "${CHILD_SECONDS:=0.5}"
: "${WORKERS:=1 2 4 8 16 32 64}"
: "${MODES:=async sync}"
: "${NASLC:=./naslc}"
"$NASLC" --version | grep -q '^distributed runs: Open MPI' ||
  { echo "mpi_scaling: this naslc was built without MPI (see naslc --version)"; exit 0; }
command -v mpirun > /dev/null || { echo "mpi_scaling: mpirun not found (Debian package openmpi-bin)"; exit 0; }
asroot=
[ "$(id -u)" = 0 ] && asroot=--allow-run-as-root
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_mpi_yield_when_idle=1
work=${TMPDIR:-/tmp}/naslc-mpiscale.$$
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

# a reward table over the NAS-Bench-201 cell space (5 operations on 6 edges:
# 15,625 rows), values from a fixed formula: a stand-in with the real
# table's size and key format
awk 'BEGIN { split("none skip_connect nor_conv_1x1 nor_conv_3x3 avg_pool_3x3", o, " "); print "ArchitectureString,acc"
  for (a = 1; a <= 5; a++) for (b = 1; b <= 5; b++) for (c = 1; c <= 5; c++)
  for (d = 1; d <= 5; d++) for (e = 1; e <= 5; e++) for (f = 1; f <= 5; f++) {
    k++; printf "|%s~0|+|%s~0|%s~1|+|%s~0|%s~1|%s~2|,%.2f\n", o[a], o[b], o[c], o[d], o[e], o[f],
      50 + (k * 7919) % 4400 / 100 } }' > "$work/table.csv"
cat > "$work/space.nasl" <<NASL
cell c { dag { nodes: 4; edges: all; ops: [none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3] } }
search reinforce {
  controller: lstm(layers: 1, hidden: 64)
  batch: 16
  evaluator: table(file: "$work/table.csv", column: "acc")
  reward: table / 100
  seed: 1
}
NASL

echo "== distributed search on one machine: table evaluator, ${CHILD_SECONDS} s per child (simulated), $(nproc) cores"
echo "   mpirun $(mpirun --version 2>/dev/null | head -n 1 | sed 's/.*) //'), ranks oversubscribed, waits by polling and sleeping"
printf '%-6s %7s %8s %10s %8s %10s %14s %14s\n' mode workers children "child/s" speedup efficiency "rank0 ms/child" "feeds workers"
for mode in $MODES; do
  base=
  for w in $WORKERS; do
    n=$((w * 8))
    [ "$n" -lt 24 ] && n=24
    flag=
    [ "$mode" = async ] && flag=--async
    # a synchronous batch smaller than the workers leaves some idle: it gets
    # at least one sample per worker
    b=16
    [ "$mode" = sync ] && [ "$w" -gt 16 ] && b=$w
    sed "s/batch: 16/batch: $b/" "$work/space.nasl" > "$work/run.nasl"
    NASLC_SIMULATE_SECONDS=$CHILD_SECONDS mpirun $asroot --oversubscribe -x NASLC_SIMULATE_SECONDS -n $((w + 1)) \
      "$NASLC" run "$work/run.nasl" --dir "$work/$mode-$w" --samples "$n" $flag > "$work/out" 2> "$work/err" ||
      { echo "mpi_scaling: $mode with $w workers failed:"; tail -n 5 "$work/err"; exit 1; }
    line=$(grep '^distributed: ' "$work/err")
    rate=$(echo "$line" | sed 's/.*(\([0-9.]*\) per second).*/\1/')
    busy=$(echo "$line" | sed 's/.*busy \([0-9.]*\) ms per child/\1/')
    [ -z "$base" ] && base=$rate
    awk -v m="$mode" -v w="$w" -v n="$n" -v r="$rate" -v b="$base" -v t="$CHILD_SECONDS" -v u="$busy" 'BEGIN {
      feeds = u > 0 ? t * 1000 / u : 0
      printf "%-6s %7d %8d %10.2f %7.2fx %9.1f%% %14.3f %14d\n", m, w, n, r, r / b, 100 * r * t / w, u, feeds }'
  done
done
echo "(feeds workers: CHILD_SECONDS / rank 0's time per child, the workers one controller keeps busy at this child time;"
echo " it grows in proportion to the child's training time)"

#!/bin/sh
# mpi_local.sh: on one machine, is it better to train one child at a time
# on every core, or one child per core? The quickstart space's search
# (examples/quickstart.nasl, real Fashion-MNIST, its train recipe; random
# search so that both runs train the same children; no final stage) is run
#   serial:      naslc run ... --threads T           (T: the cores)
#   distributed: mpirun -n T+1 naslc run ... --threads 1 (T workers, one core each)
# and the children per hour of each are printed, from the wall time of the
# whole command (data loading included on both sides).
#   SAMPLES  children per run (default 16)
: "${SAMPLES:=16}"
: "${NASLC:=./naslc}"
"$NASLC" --version | grep -q '^distributed runs: Open MPI' ||
  { echo "mpi_local: this naslc was built without MPI (see naslc --version)"; exit 0; }
command -v mpirun > /dev/null || { echo "mpi_local: mpirun not found (Debian package openmpi-bin)"; exit 0; }
asroot=
[ "$(id -u)" = 0 ] && asroot=--allow-run-as-root
export OMPI_MCA_btl_vader_single_copy_mechanism=none
cores=$(nproc)
work=${TMPDIR:-/tmp}/naslc-mpilocal.$$
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
# the quickstart's search as random search, without its time budget and final block
awk '/^final \{/ { skip = 1 } !skip && !/^ *minutes:/ { print } skip && /^\}/ { skip = 0 }' \
  "${srcdir:-.}/examples/quickstart.nasl" | sed 's/^search reinforce {/search random {/' > "$work/q.nasl"
now() { date +%s.%N; }
t0=$(now)
"$NASLC" run "$work/q.nasl" --dir "$work/serial" --samples "$SAMPLES" --threads "$cores" --quiet > /dev/null 2> "$work/err" ||
  { echo "mpi_local: the serial run failed"; tail -n 5 "$work/err"; exit 1; }
t1=$(now)
mpirun $asroot --oversubscribe -n $((cores + 1)) "$NASLC" run "$work/q.nasl" --dir "$work/mpi" --samples "$SAMPLES" \
  --threads 1 --quiet > /dev/null 2> "$work/err" || { echo "mpi_local: the mpirun run failed"; tail -n 5 "$work/err"; exit 1; }
t2=$(now)
same=no
[ "$(sed 's/.*"key":"\([^"]*\)".*/\1/' "$work/serial/log.jsonl")" = "$(sed 's/.*"key":"\([^"]*\)".*/\1/' "$work/mpi/log.jsonl")" ] && same=yes
n=$(wc -l < "$work/serial/log.jsonl")
echo "== one machine ($cores cores): $n children of the quickstart space (random search, the same children on both sides: $same)"
awk -v n="$n" -v a="$t0" -v b="$t1" -v c="$t2" -v k="$cores" 'BEGIN {
  s = b - a; m = c - b
  printf "%-44s %8s %14s\n", "", "seconds", "children/hour"
  printf "%-44s %8.1f %14.0f\n", "naslc run --threads " k " (one child at a time)", s, n * 3600 / s
  printf "%-44s %8.1f %14.0f\n", "mpirun -n " k + 1 " naslc run --threads 1", m, n * 3600 / m
  printf "distributed against serial: %.2fx the children per hour\n", s / m }'

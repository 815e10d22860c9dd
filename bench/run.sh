#!/bin/sh
# run.sh (make bench): training throughput of the reference child network in
# naslc and in PyTorch (Debian's python3-torch, /usr/bin/python3), same
# network, batch and threads, in the same run; 1 and 2 threads; first with
# the environment as it is, then with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
# unset (in those commands only). Prints one table row per setting with the
# ratio naslc / PyTorch.
: "${STEPS:=30}"
: "${WARMUP:=5}"
bench=./bench/child_bench
torch="${srcdir:-.}/bench/torch_child.py"
[ -x "$bench" ] || { echo "bench: build bench/child_bench first (make bench)"; exit 1; }
have_torch=0
if /usr/bin/python3 -c 'import torch' 2> /dev/null; then have_torch=1; else
  echo "bench: PyTorch not found (apt-get install python3-torch); naslc figures only"
fi

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

printf '%-34s %8s %14s %14s %7s\n' "environment" threads "naslc img/s" "torch img/s" ratio
for envmode in set unset; do
  if [ "$envmode" = set ]; then
    label="OPENBLAS_* as set (${OPENBLAS_CORETYPE:-none}/${OPENBLAS_L2_SIZE:-none})"
    run() { "$@"; }
  else
    label="OPENBLAS_* unset"
    run() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$@"; }
  fi
  for t in 1 2; do
    ours=$(run "$bench" --threads "$t" --steps "$STEPS" --warmup "$WARMUP" | field images_per_s)
    theirs=-
    ratio=-
    if [ "$have_torch" = 1 ]; then
      theirs=$(run /usr/bin/python3 "$torch" --threads "$t" --steps "$STEPS" --warmup "$WARMUP" | field images_per_s)
      [ -n "$theirs" ] && [ -n "$ours" ] && ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.2fx", a / b }')
    fi
    printf '%-34s %8s %14s %14s %7s\n' "$label" "$t" "${ours:-failed}" "${theirs:-failed}" "$ratio"
  done
done
echo "(images per second: forward + backward + SGD-momentum step, batch 64, 1x28x28;"
echo " per-op profile: bench/child_bench --threads 2 --profile)"

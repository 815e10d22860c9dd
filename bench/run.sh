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
: "${NASLC_STDLIB:=${srcdir:-.}/stdlib}" # lm_bench compiles its LSTM from NASL
export NASLC_STDLIB
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

# ---- the LSTM language model: 2 x 200, vocabulary 10,000, BPTT 35, batch 20, 1 thread ----
lm=./bench/lm_bench
torch_lm="${srcdir:-.}/bench/torch_lstm.py"
: "${LM_STEPS:=40}"
: "${LM_WARMUP:=3}"
if [ -x "$lm" ]; then
  echo
  printf '%-34s %8s %14s %14s %7s\n' "environment" threads "naslc words/s" "torch words/s" ratio
  for envmode in set unset; do
    if [ "$envmode" = set ]; then
      label="OPENBLAS_* as set (${OPENBLAS_CORETYPE:-none}/${OPENBLAS_L2_SIZE:-none})"
      run() { "$@"; }
    else
      label="OPENBLAS_* unset"
      run() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$@"; }
    fi
    ours=$(run "$lm" --threads 1 --steps "$LM_STEPS" --warmup "$LM_WARMUP" | field words_per_s)
    theirs=-
    ratio=-
    if [ "$have_torch" = 1 ]; then
      theirs=$(run /usr/bin/python3 "$torch_lm" --threads 1 --steps "$LM_STEPS" --warmup "$LM_WARMUP" | field words_per_s)
      [ -n "$theirs" ] && [ -n "$ours" ] && ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.2fx", a / b }')
    fi
    printf '%-34s %8s %14s %14s %7s\n' "$label" 1 "${ours:-failed}" "${theirs:-failed}" "$ratio"
  done
  echo "(words per second: a 35-step segment of 20 streams, forward + backward + clip 5 + SGD;"
  echo " the LSTM of examples/lstm_cell.nasl against torch.nn.LSTM, same sizes, 4.65M parameters)"
fi

#!/bin/sh
# run.sh (make bench): the reference child network in naslc and in PyTorch
# (Debian's python3-torch, /usr/bin/python3), same network, batch and
# threads, in the same run; 1 and 2 threads; first with the environment as
# it is, then with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (in those
# commands only). Two tables: training steps (batch 64) and evaluation
# (forward only, batch 256 as naslc evaluates). Each row gives images per
# second on both sides and their ratio, the peak resident memory of each
# process, and naslc's achieved GFLOP/s against the SGEMM rate measured in
# the same row (bench/sgemm_bench: what naslc's thread pool reaches with
# nn_gemm, its own AVX-512 kernel where the CPU has one, else single-threaded
# OpenBLAS). Then the LSTM language model (1 and 2 threads). Every figure is
# the best of $REPS runs (default 3), naslc and PyTorch run in turn, so that
# a moment of noise on a shared machine does not decide a ratio.
: "${STEPS:=30}"
: "${WARMUP:=5}"
: "${EVAL_STEPS:=10}"
: "${EVAL_WARMUP:=2}"
: "${EVAL_BATCH:=256}"
: "${REPS:=3}" # each figure: the best of REPS runs, naslc's and PyTorch's taken in turn
bench=./bench/child_bench
sgemm=./bench/sgemm_bench
torch="${srcdir:-.}/bench/torch_child.py"
[ -x "$bench" ] && [ -x "$sgemm" ] || { echo "bench: build bench/child_bench and bench/sgemm_bench first (make bench)"; exit 1; }
: "${NASLC_STDLIB:=${srcdir:-.}/stdlib}" # child_bench and lm_bench compile their networks from NASL
export NASLC_STDLIB
have_torch=0
if /usr/bin/python3 -c 'import torch' 2> /dev/null; then have_torch=1; else
  echo "bench: PyTorch not found (apt-get install python3-torch); naslc figures only"
fi

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
# ratio A B FORMAT [SCALE]: SCALE x A / B printed with FORMAT, nothing when a figure is missing
ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" -v k="${4:-1}" "BEGIN { if (b > 0) printf \"$3\", k * a / b }"; }

# better KEY A B: of two outputs, the one with the larger KEY figure (A when B has none)
better() {
  a=$(echo "$2" | field "$1")
  b=$(echo "$3" | field "$1")
  if [ -z "$a" ] || { [ -n "$b" ] && awk -v a="$a" -v b="$b" 'BEGIN { exit !(b > a) }'; }; then
    echo "$3"
  else
    echo "$2"
  fi
}

# in_turn KEY OURS THEIRS ARGS...: runs the commands OURS ARGS and (with
# PyTorch) THEIRS ARGS in turn, REPS times each; best_ours and best_theirs
# get the output of each with the larger KEY figure
in_turn() {
  key=$1 ours_cmd=$2 theirs_cmd=$3
  shift 3
  best_ours= best_theirs= i=0
  while [ "$i" -lt "$REPS" ]; do
    best_ours=$(better "$key" "$best_ours" "$($ours_cmd "$@")")
    [ "$have_torch" = 1 ] && best_theirs=$(better "$key" "$best_theirs" "$($theirs_cmd "$@")")
    i=$((i + 1))
  done
}
child_ours() { run "$bench" "$@"; }
child_theirs() { run /usr/bin/python3 "$torch" "$@"; }

# env_mode set|unset: sets label and run (the prefix of every command)
env_mode() {
  if [ "$1" = set ]; then
    label="OPENBLAS_* as set (${OPENBLAS_CORETYPE:-none}/${OPENBLAS_L2_SIZE:-none})"
    run() { "$@"; }
  else
    label="OPENBLAS_* unset"
    run() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$@"; }
  fi
}

row_format='%-34s %3s %9s %9s %6s %7s %7s %7s %7s %5s\n'

# child_row THREADS FLAGS...: one row of a child table, in the current env_mode
child_row() {
  t=$1
  shift
  peak=$(run "$sgemm" --threads "$t" | field gflops)
  in_turn images_per_s child_ours child_theirs --threads "$t" "$@"
  out=$best_ours
  ours=$(echo "$out" | field images_per_s)
  ours_mb=$(echo "$out" | field peak_rss_mb)
  gflops=$(echo "$out" | field gflops)
  theirs=- theirs_mb=- speed=-
  if [ "$have_torch" = 1 ]; then
    out=$best_theirs
    theirs=$(echo "$out" | field images_per_s)
    theirs_mb=$(echo "$out" | field peak_rss_mb)
    speed=$(ratio "$ours" "$theirs" "%.2fx")
  fi
  share=$(ratio "$gflops" "$peak" "%.0f%%" 100)
  printf "$row_format" "$label" "$t" "${ours:-failed}" "${theirs:-failed}" "${speed:--}" "${ours_mb:--}" \
    "${theirs_mb:--}" "${gflops:--}" "${peak:--}" "${share:--}"
}

child_table() {
  printf "$row_format" "environment" thr "naslc" "torch" ratio "naslc" "torch" "naslc" "SGEMM" "of"
  printf "$row_format" "" "" "img/s" "img/s" "" "MB" "MB" "GFLOP/s" "GFLOP/s" "peak"
  for envmode in set unset; do
    env_mode "$envmode"
    for t in 1 2; do child_row "$t" "$@"; done
  done
}

echo "== reference child, training: forward + backward + SGD-momentum step, batch 64, 1x28x28"
child_table --steps "$STEPS" --warmup "$WARMUP"
echo
echo "== reference child, evaluation: forward only, running statistics, no tape, batch $EVAL_BATCH"
echo "   (naslc: batch norm folded into the convolutions; PyTorch: model.eval(), torch.no_grad())"
child_table --eval --batch "$EVAL_BATCH" --steps "$EVAL_STEPS" --warmup "$EVAL_WARMUP"
echo "(each figure the best of $REPS runs, the two sides in turn; MB: peak resident memory of each process, getrusage ru_maxrss; naslc GFLOP/s: the child's"
echo " forward FLOPs per image (x3 for a training step) times images/s; SGEMM: bench/sgemm_bench,"
echo " C = A B on 2048 x 2048 matrices, rows split over naslc's threads, each one nn_gemm"
echo " (kernel: $("$sgemm" --threads 1 --size 64 --reps 1 | sed -n 's/.* kernel=//p')), best of 5; of peak: the one over the other. Per-op profile:"
echo " bench/child_bench --threads 2 --profile [--eval --batch 256])"

# ---- the LSTM language model: 2 x 200, vocabulary 10,000, BPTT 35, batch 20, 1 and 2 threads ----
lm=./bench/lm_bench
torch_lm="${srcdir:-.}/bench/torch_lstm.py"
lm_ours() { run "$lm" "$@"; }
lm_theirs() { run /usr/bin/python3 "$torch_lm" "$@"; }
: "${LM_STEPS:=40}"
: "${LM_WARMUP:=3}"
if [ -x "$lm" ]; then
  echo
  lm_format='%-34s %3s %9s %9s %6s %7s %7s\n'
  printf "$lm_format" "environment" thr "naslc" "torch" ratio "naslc" "torch"
  printf "$lm_format" "" "" "words/s" "words/s" "" "MB" "MB"
  for envmode in set unset; do
    env_mode "$envmode"
    one=
    for t in 1 2; do
      in_turn words_per_s lm_ours lm_theirs --threads "$t" --steps "$LM_STEPS" --warmup "$LM_WARMUP"
      out=$best_ours
      ours=$(echo "$out" | field words_per_s)
      ours_mb=$(echo "$out" | field peak_rss_mb)
      [ "$t" = 1 ] && one=$ours
      theirs=- theirs_mb=- speed=-
      if [ "$have_torch" = 1 ]; then
        out=$best_theirs
        theirs=$(echo "$out" | field words_per_s)
        theirs_mb=$(echo "$out" | field peak_rss_mb)
        speed=$(ratio "$ours" "$theirs" "%.2fx")
      fi
      printf "$lm_format" "$label" "$t" "${ours:-failed}" "${theirs:-failed}" "${speed:--}" "${ours_mb:--}" "${theirs_mb:--}"
    done
    echo "   naslc 2 threads against 1: $(ratio "$ours" "$one" "%.2fx")"
  done
  echo "(words per second: a 35-step segment of 20 streams, forward + backward + clip 5 + SGD;"
  echo " the LSTM of examples/lstm_cell.nasl against torch.nn.LSTM, same sizes, 4.65M parameters)"
fi

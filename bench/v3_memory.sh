#!/bin/sh
# v3_memory.sh (make bench, make bench-memory): the peak resident memory of
# training the v3 child of examples/cnn_v3.nasl at batch 64: the
# architecture `naslc sample examples/cnn_v3.nasl --seed 4` prints (39
# layers, about 12.3 GFLOP per 1x28x28 image), random images, one
# forward + backward + SGD-momentum step (the peak is reached in the first
# step: later steps reuse the step arena's memory). Prints the bench's line
# (peak_rss_mb) and where the memory went (bench/README.md, Memory).
# A step is about 2.4 TFLOP: a minute or two on 2 cores.
: "${V3_THREADS:=2}"
: "${V3_BATCH:=64}"
: "${V3_STEPS:=1}"
bench=./bench/child_bench
space="${srcdir:-.}/examples/cnn_v3.nasl"
[ -x "$bench" ] || { echo "bench: build bench/child_bench first (make bench)"; exit 1; }
: "${NASLC_STDLIB:=${srcdir:-.}/stdlib}"
export NASLC_STDLIB
echo
echo "== v3 child (naslc sample $space --seed 4), training, batch $V3_BATCH: peak resident memory"
set -- "$bench" --space "$space" --seed 4 --batch "$V3_BATCH" --threads "$V3_THREADS" --warmup 0 \
  --steps "$V3_STEPS" --memory
echo "   $*"
"$@" 2>&1

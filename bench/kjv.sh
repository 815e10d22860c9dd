#!/bin/sh
# kjv.sh: the language-model results of the README, on the King James text
# (Debian's bible-kjv; split by books, see nasl(5), dataset).
#
#  1. the two reference cells with one recipe at one parameter count (4.65M):
#     the LSTM (examples/lstm_cell.nasl, hidden 200) and the NAS paper's
#     NASCell (examples/nascell.nasl, hidden 180: twice the projections),
#     6 epochs each, side by side on one core each;
#  2. a small REINFORCE cell search (examples/nas_rnn_small.nasl: a 4-leaf
#     tree, each child 2 epochs on 200,000 words, 30 minutes);
#  3. its best cell trained with the references' recipe (a 4-leaf tree has
#     the LSTM's 4 + 4 projections, so hidden 200 gives the same 4.65M).
#
# usage: sh bench/kjv.sh [OUT_DIR]      (default runs/kjv; about an hour on 2 cores)
# Each step's summary goes to OUT_DIR/<step>.txt, its progress to <step>.log.
naslc=${NASLC:-./naslc}
out=${1:-runs/kjv}
[ -x "$naslc" ] || { echo "kjv.sh: build naslc first (make)"; exit 1; }
command -v bible > /dev/null || { echo "kjv.sh: the corpus needs Debian's bible-kjv (apt-get install bible-kjv)"; exit 1; }
mkdir -p "$out" || exit 1

echo "references: LSTM and NASCell, 6 epochs each (in parallel)"
"$naslc" train examples/lstm_cell.nasl --threads 1 --save "$out/lstm" > "$out/lstm.txt" 2> "$out/lstm.log" &
lstm=$!
"$naslc" train examples/nascell.nasl --threads 1 --save "$out/nascell" > "$out/nascell.txt" 2> "$out/nascell.log" &
nascell=$!

echo "search: examples/nas_rnn_small.nasl for 30 minutes"
rm -rf "$out/search"
"$naslc" run examples/nas_rnn_small.nasl --dir "$out/search" --threads 1 > "$out/search.txt" 2> "$out/search.log"
wait "$lstm" "$nascell"

echo "the best cell with the references' recipe"
# the search space with the train block of lstm_cell.nasl: the same tokens fit it
best_space="$out/best_cell.nasl"
awk 'FNR == NR { if (/^train \{/) t = 1; if (t) block = block $0 "\n"; if (t && /^\}/) t = 0; next }
     /^train \{/ { skip = 1; printf "%s", block; next }
     skip && /^\}/ { skip = 0; next }
     !skip' examples/lstm_cell.nasl examples/nas_rnn_small.nasl > "$best_space"
"$naslc" train "$best_space" --arch "$out/search/best.json" --threads 1 --save "$out/best" > "$out/best.txt" 2> "$out/best.log"

for f in lstm nascell search best; do
  echo "== $f"
  cat "$out/$f.txt"
done

#!/bin/sh
# lm.sh: recurrent-cell spaces on the command line (TAP): language models
# trained on a small generated corpus with train, eval, show, run (with a
# kill -9 and a resume) and report, and the errors of text data and recipes.
: "${NASLC:=../naslc}"
: "${top_srcdir:=.}"
cd "$top_srcdir" || exit 1
tmp=${TMPDIR:-/tmp}/naslc-lm.$$
trap 'rm -rf "$tmp" "$tmp".*' EXIT
. "$top_srcdir/tests/tap.sh"
num() { sed -n "s/.*$1 \([0-9.]*\).*/\1/p" "$tmp.out" | head -1; }

# A corpus with structure: sentences from a tiny grammar, one per line.
mkdir -p "$tmp.text"
sentences "$tmp.text/corpus.txt"
cat > "$tmp.lstm.nasl" <<NASL
dataset words = text(train: "$tmp.text/corpus.txt", vocab: 40)
cell lstm {
  f = sigmoid(add(x, h)); i = sigmoid(add(x, h)); g = tanh(add(x, h)); o = sigmoid(add(x, h))
  c_new = add(mul(f, c), mul(i, g))
  h_new = mul(o, tanh(c_new))
  memory: c_new
  output: h_new
}
train { data: words; epochs: 4; batch: 8; bptt: 12; hidden: 24; layers: 2; dropout: 0
  optimizer: sgd(lr: 5); clip: 5 }
NASL

run 0 "train a fixed cell on a text corpus" train "$tmp.lstm.nasl" --save "$tmp.lstm" --threads 1
ppl=$(num "test perplexity")
if awk -v p="$ppl" 'BEGIN { exit !(p > 1 && p < 3) }'; then ok "the language model learns (test perplexity $ppl; 24 words, about 1.8 at best)"; else fail "the language model learns (test perplexity $ppl)"; fi
says_like "[0-9]+ training, [0-9]+ validation, [0-9]+ test words; vocabulary [0-9]+" "the corpus sizes are printed"
has "$tmp.out" "parameters " "the parameter count is printed"
for f in arch.json weights.safetensors history.json; do
  if [ -s "$tmp.lstm/$f" ]; then ok "--save writes $f"; else fail "--save writes $f"; fi
done
has "$tmp.lstm/history.json" '"valid_perplexity":[' "the history holds the validation perplexities"
first=$(sed -n 's/.*"valid_perplexity":\[\([0-9.]*\),.*/\1/p' "$tmp.lstm/history.json")
last=$(sed -n 's/.*"valid_perplexity":\[[0-9.,]*,\([0-9.]*\)\].*/\1/p' "$tmp.lstm/history.json")
if awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a) }'; then ok "validation perplexity falls ($first -> $last)"; else fail "validation perplexity falls ($first -> $last)"; fi
run 0 "train again with the same seed" train "$tmp.lstm.nasl" --quiet --threads 1
if [ "$(num "test perplexity")" = "$ppl" ]; then ok "same seed, same test perplexity"; else fail "same seed, same test perplexity"; fi
run 0 "eval the saved weights" eval "$tmp.lstm.nasl" --arch "$tmp.lstm/arch.json" --weights "$tmp.lstm/weights.safetensors"
if [ "$(num "test perplexity")" != "" ] && awk -v a="$(num "test perplexity")" -v b="$ppl" 'BEGIN { d = a - b; exit !(d < 0.01 && d > -0.01) }'; then
  ok "eval gives the test perplexity training reported"
else
  fail "eval gives the test perplexity training reported ($ppl)"
fi
run 0 "eval a fixed cell without --arch" eval "$tmp.lstm.nasl" --weights "$tmp.lstm/weights.safetensors"
if awk -v a="$(num "test perplexity")" -v b="$ppl" 'BEGIN { d = a - b; exit !(a != "" && d < 0.01 && d > -0.01) }'; then
  ok "the fixed cell's own architecture is evaluated"
else
  fail "the fixed cell's own architecture is evaluated"
fi
run 0 "show a fixed cell from its .nasl file" show "$tmp.lstm.nasl" --dot
has "$tmp.out" "digraph cell" "the fixed cell is drawn without a record"
run 0 "show a cell" show "$tmp.lstm/arch.json"
has "$tmp.out" "4 projections of x, 4 of h" "the summary counts the projections"
has "$tmp.out" "-> c_t" "the summary marks the memory"
run 0 "show --dot of a cell" show "$tmp.lstm/arch.json" --dot
has "$tmp.out" "digraph cell" "the cell is drawn as Graphviz"
if command -v dot > /dev/null; then
  if dot -Tpng "$tmp.out" -o "$tmp.png" 2> "$tmp.err" && [ -s "$tmp.png" ]; then ok "the cell renders with dot -Tpng"; else fail "the cell renders with dot -Tpng"; fi
else
  n=$((n + 1)); echo "ok $n # SKIP graphviz is not installed"
fi

# ---- a tree-cell space: sample, train, search, kill, resume, report ----
cat > "$tmp.tree.nasl" <<NASL
dataset words = text(train: "$tmp.text/corpus.txt", vocab: 40)
cell small {
  tree(leaves: 2) { combine: [add, mul]; activation: [identity, tanh, sigmoid, relu] }
  inject { combine: [add, mul]; activation: [tanh, sigmoid] }
}
train { data: words; subset: 4000; epochs: 1; batch: 8; bptt: 12; hidden: 16; layers: 1; dropout: 0
  optimizer: sgd(lr: 2); clip: 5 }
search reinforce { batch: 3; samples: 300; seed: 2; reward: 80 / (min(valid_perplexity, last: 1) ^ 2) }
NASL
"$NASLC" sample "$tmp.tree.nasl" --seed 3 > "$tmp.tree.json"
run 0 "train a sampled tree cell" train "$tmp.tree.nasl" --arch "$tmp.tree.json" --quiet
has "$tmp.out" "reward " "the reward of a cell is reported"
run 0 "a cell search never stopped" run "$tmp.tree.nasl" --dir "$tmp.whole" --threads 1 --quiet
has "$tmp.out" "samples 300," "the search draws its 300 samples"
has "$tmp.out" "best architecture's test perplexity" "the best cell's test perplexity is printed"
has "$tmp.whole/log.jsonl" '"valid_perplexity":[' "the log holds validation perplexities"
has "$tmp.whole/best.json" '"test_perplexity":' "best.json holds the test perplexity"
"$NASLC" run "$tmp.tree.nasl" --dir "$tmp.killed" --threads 1 --quiet > /dev/null 2>&1 &
pid=$!
i=0
while [ "$(cat "$tmp.killed/log.jsonl" 2> /dev/null | wc -l)" -lt 3 ] && [ "$i" -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
kill -9 "$pid" 2> /dev/null
wait "$pid" 2> /dev/null
killed_at=$(wc -l < "$tmp.killed/log.jsonl")
# on a loaded machine the run may end before the kill lands: a skip, not a failure
if [ "$killed_at" -lt 300 ]; then ok "killed with $killed_at of 300 cells logged"; else n=$((n + 1)); echo "ok $n # SKIP the run ended before the kill landed"; fi
run 0 "resume the cell search after kill -9" run "$tmp.tree.nasl" --resume "$tmp.killed" --threads 1 --quiet
strip() { sed 's/"seconds":[0-9.]*,//' "$1"; }
if [ "$(strip "$tmp.whole/log.jsonl")" = "$(strip "$tmp.killed/log.jsonl")" ]; then
  ok "killed and resumed, the log equals the run never stopped"
else
  fail "killed and resumed, the log equals the run never stopped"
  diff "$tmp.whole/log.jsonl" "$tmp.killed/log.jsonl" | head -5 | sed 's/^/# /'
fi
# cells that blow up: infinite or astronomically large perplexities must
# still make valid log lines, which report and resume read back in full
sed 's/optimizer: sgd(lr: 2); clip: 5/optimizer: sgd(lr: 100); clip: 0/; s/samples: 300;/samples: 40;/' "$tmp.tree.nasl" > "$tmp.diverge.nasl"
run 0 "a search whose cells diverge" run "$tmp.diverge.nasl" --dir "$tmp.diverge" --threads 1 --quiet
run 0 "report of the diverged cells" report "$tmp.diverge"
if grep -q "damaged" "$tmp.err"; then fail "every log line of diverged cells reads back"; else ok "every log line of diverged cells reads back"; fi
has "$tmp.out" "40 architectures evaluated" "all 40 diverged cells are counted"
run 0 "report of a cell search" report "$tmp.whole"
has "$tmp.out" "architectures evaluated" "the report counts the cells"
run 0 "show the best cell" show "$tmp.whole/best.json"
run 0 "train the best cell again" train "$tmp.tree.nasl" --arch "$tmp.whole/best.json" --quiet

# ---- the NAS-RNN space itself on the real corpus (Debian's bible-kjv) ----
# examples/nas_rnn.nasl's dataset and 8-leaf cell tree with a tiny recipe: a
# search from the example file, on the King James text, in seconds.
if command -v bible > /dev/null 2>&1; then
  sed '/^train {/,$d' examples/nas_rnn.nasl > "$tmp.nasrnn.nasl"
  cat >> "$tmp.nasrnn.nasl" <<NASL
train { data: kjv; subset: 3000; epochs: 1; batch: 10; bptt: 20; hidden: 16; layers: 1; dropout: 0
  optimizer: sgd(lr: 5); clip: 0.25 }
search reinforce { batch: 2; samples: 2; seed: 1; reward: 80 / (min(valid_perplexity, last: 1) ^ 2) }
NASL
  run 0 "the NAS-RNN space searches cells on the King James text" run "$tmp.nasrnn.nasl" --dir "$tmp.kjvrun" --quiet
  has "$tmp.out" "samples 2, children evaluated 2" "both sampled cells were trained on the KJV corpus"
  has "$tmp.kjvrun/best.json" '"test_perplexity":' "the best KJV cell has a test perplexity"
else
  n=$((n + 1)); echo "ok $n # SKIP bible-kjv is not installed (apt-get install bible-kjv)"
  n=$((n + 1)); echo "ok $n # SKIP bible-kjv is not installed"
  n=$((n + 1)); echo "ok $n # SKIP bible-kjv is not installed"
fi

# ---- errors ----
sed "s|$tmp.text/corpus.txt|$tmp.text/missing.txt|" "$tmp.lstm.nasl" > "$tmp.missing.nasl"
run 3 "a missing corpus" train "$tmp.missing.nasl"
says_line "naslc: $tmp.text/missing.txt: cannot read: No such file or directory; it is the training text of dataset 'words' (train: in its text(...) in the .nasl file)" "the missing corpus file is named"
printf 'a b c\0d\n' > "$tmp.text/binary.txt"
sed "s|$tmp.text/corpus.txt|$tmp.text/binary.txt|" "$tmp.lstm.nasl" > "$tmp.binary.nasl"
run 3 "a binary corpus" train "$tmp.binary.nasl"
says_line "naslc: $tmp.text/binary.txt: holds a NUL byte (offset 5), so it is not a text file; give plain text, one sentence per line" "the binary file is named"
run 2 "--valid on a language model" train "$tmp.lstm.nasl" --valid 10
says "naslc: train: --valid and --test count images; a language model uses the corpus's own splits
run 'naslc --help' for usage" "--valid is explained"
sed 's/hidden: 24;/hidden: 24; crop: 4;/' "$tmp.lstm.nasl" > "$tmp.crop.nasl"
run 1 "an image setting in a cell recipe" check "$tmp.crop.nasl"
says "$tmp.crop.nasl:9:65: error: 'crop' applies to image classifiers (CNN and DAG-cell spaces); 'lstm' is a recurrent-cell space
    9 | train { data: words; epochs: 4; batch: 8; bptt: 12; hidden: 24; crop: 4; layers: 2; dropout: 0
      |                                                                 ^~~~
1 error, 0 warnings" "crop in a cell recipe is an error"
printf 'space s { layer { conv2d } }\ntrain { hidden: 100 }\n' > "$tmp.cnn.nasl"
run 1 "a language-model setting in a CNN recipe" check "$tmp.cnn.nasl"
says "$tmp.cnn.nasl:2:9: error: 'hidden' applies to language models (recurrent-cell spaces); 's' is a CNN space
    2 | train { hidden: 100 }
      |         ^~~~~~
1 error, 0 warnings" "hidden in a CNN recipe is an error"
sed 's/dataset words = text(train: "[^"]*", vocab: 40)/dataset words = fashion_mnist()/' "$tmp.lstm.nasl" > "$tmp.images.nasl"
run 1 "images for a cell space" check "$tmp.images.nasl"
says "$tmp.images.nasl:9:15: error: 'lstm' is a recurrent-cell space: it trains a language model on text (text, ptb or kjv), not on fashion_mnist
    9 | train { data: words; epochs: 4; batch: 8; bptt: 12; hidden: 24; layers: 2; dropout: 0
      |               ^~~~~
1 error, 0 warnings" "image data for a cell is an error"

echo "1..$n"
[ "$failed" -eq 0 ]

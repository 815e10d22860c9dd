#!/bin/sh
# shared.sh: searches with the shared evaluator (TAP): rounds of training of
# the shared weights, rewards under them, the store kept beside the
# checkpoint; a kill -9 and --resume end with the same log, checkpoint and
# store as a run never interrupted; random search through the same
# evaluator; a repeated architecture judged again; a damaged store refused;
# a DAG cell's network and a recurrent cell's language model under shared
# weights, and the state bound that keeps the latter finite.
# Real Fashion-MNIST, tiny recipes.
: "${NASLC:=../naslc}"
: "${top_srcdir:=.}"
cd "$top_srcdir" || exit 1
tmp=${TMPDIR:-/tmp}/naslc-shared.$$
trap 'kill -9 $pid 2>/dev/null; rm -rf "$tmp" "$tmp".*' EXIT
. "$top_srcdir/tests/tap.sh"
pid=

mkdir -p "$tmp"
space="$tmp/space.nasl"
cat > "$space" <<'EOF'
dataset fashion = fashion_mnist()
space macro {
  layers 3 {
    conv2d(height: [1, 3], width: [1, 3], filters: [4, 8], stride: 1)
    batchnorm
    relu
    maybe maxpool(size: 2, stride: 2)
    inputs: anchor
  }
  head { global_avgpool; dense }
}
train { data: fashion; subset: 1000; valid: 200; batch: 32; optimizer: sgd(lr: 0.05, momentum: 0.9) }
search reinforce { batch: 3; samples: 9; evaluator: shared(steps: 4, valid: 100, rank: 4); reward: last(valid_accuracy) }
EOF

# the fields of a log that do not depend on timing
stable() { sed 's/"seconds":[0-9.]*,//' "$1"; }

# killed_at N FILE DIR: runs a search of FILE into DIR and kill -9s it once
# its log holds N lines (or later, or not at all if it ends first: the
# checks after a resume hold wherever the kill lands). It waits for the
# lines, not for a time: the cap (10 minutes) is for a run that hangs.
killed_at() {
  "$NASLC" run "$2" --dir "$3" --threads 1 > /dev/null 2> /dev/null &
  pid=$!
  i=0
  while [ $i -lt 12000 ] && [ "$(cat "$3/log.jsonl" 2> /dev/null | wc -l)" -lt "$1" ] && kill -0 $pid 2> /dev/null; do
    sleep 0.05
    i=$((i + 1))
  done
  kill -9 $pid 2> /dev/null
  wait $pid 2> /dev/null
  pid=
}

# ---- a whole run ----
run 0 "a search with the shared evaluator" run "$space" --dir "$tmp/a" --threads 1
says_like "shared weights: round 1, 4 steps \(0 architectures that cannot be built, 0 whose loss or gradient was not finite\), loss [0-9.]+, [0-9.]+ s, [0-9]+ values" \
  "the first round of shared training is announced"
cnt=$(grep -c "^shared weights: round" "$tmp.err")
if [ "$cnt" = 3 ]; then ok "9 samples in batches of 3 train 3 rounds"; else fail "9 samples in batches of 3 train 3 rounds ($cnt)"; fi
cnt=$(wc -l < "$tmp/a/log.jsonl")
if [ "$cnt" = 9 ]; then ok "every sample is logged"; else fail "every sample is logged ($cnt lines)"; fi
if grep -q '"valid_accuracy":\[0\.[0-9]*\]' "$tmp/a/log.jsonl"; then ok "a reward is a validation accuracy under the shared weights"
else fail "a reward is a validation accuracy under the shared weights"; fi
if [ -s "$tmp/a/shared-3.safetensors" ] && [ "$(ls "$tmp/a" | grep -c '^shared-')" = 1 ]; then
  ok "the store after round 3 is kept, the older ones removed"
else ls "$tmp/a" | sed 's/^/# /'; fail "the store after round 3 is kept, the older ones removed"; fi

# ---- the ranking at the end ----
cnt=$(wc -l < "$tmp/a/ranked.jsonl")
if [ "$cnt" -ge 1 ] && [ "$cnt" -le 4 ]; then ok "ranked.jsonl holds the distinct architectures of 4 draws ($cnt)"
else fail "ranked.jsonl holds the distinct architectures of 4 draws ($cnt)"; fi
rewards=$(sed 's/.*"reward":\([-0-9.e]*\),.*/\1/' "$tmp/a/ranked.jsonl")
if [ "$rewards" = "$(echo "$rewards" | sort -gr)" ]; then ok "best first"; else fail "best first"; fi
first=$(sed -n '1s/.*"key":"\([^"]*\)".*/\1/p' "$tmp/a/ranked.jsonl")
has "$tmp.out" "ranking: $cnt architectures drawn at the end, best reward " "the summary gives the ranking's best"
has "$tmp.out" ": $first ($tmp/a/ranked.jsonl)" "which is the first of ranked.jsonl"
says_like "candidate 1/4: reward 0\.[0-9]+  d3:[0-9,]+" "each candidate is announced"

run 0 "report on a shared-weight search" report "$tmp/a"
has "$tmp.out" "ranking at the end of the search ($tmp/a/ranked.jsonl), best first:" "report shows the closing ranking"
has "$tmp.out" "  draw " "with the draws' numbers"

# ---- the same seed, the same run ----
run 0 "the same search again" run "$space" --dir "$tmp/a2" --threads 1
if [ "$(stable "$tmp/a/log.jsonl")" = "$(stable "$tmp/a2/log.jsonl")" ] &&
  cmp -s "$tmp/a/shared-3.safetensors" "$tmp/a2/shared-3.safetensors"; then
  ok "the same seed gives the same log and the same store"
else fail "the same seed gives the same log and the same store"; fi

# ---- kill -9, then --resume ----
# killed once the fourth sample is logged (or later: the checks hold
# wherever the kill lands); the resumed run ends as the run above did
killed_at 4 "$space" "$tmp/b"
run 0 "resume after the kill" run "$space" --resume "$tmp/b" --threads 1
if [ "$(stable "$tmp/a/log.jsonl")" = "$(stable "$tmp/b/log.jsonl")" ]; then ok "the resumed log equals the uninterrupted one"
else diff "$tmp/a/log.jsonl" "$tmp/b/log.jsonl" | head -5 | sed 's/^/# /'; fail "the resumed log equals the uninterrupted one"; fi
if cmp -s "$tmp/a/shared-3.safetensors" "$tmp/b/shared-3.safetensors" &&
  cmp -s "$tmp/a/checkpoint.safetensors" "$tmp/b/checkpoint.safetensors"; then
  ok "and so do the store and the checkpoint, byte for byte"
else fail "and so do the store and the checkpoint, byte for byte"; fi

# ---- a final block retrains the ranking's best ----
cat "$space" > "$tmp/final.nasl"
echo 'final { top: 1; subset: 500; valid: 100; test: 500; epochs: 1 }' >> "$tmp/final.nasl"
cp -r "$tmp/a" "$tmp/f"
rm -rf "$tmp/f/ranked.jsonl"
run 0 "a shared search with a final block (resumed after its last sample)" run "$tmp/final.nasl" --resume "$tmp/f" --threads 1
says_like "final 1/1: candidate [0-9]+ \(ranking reward [0-9.]+\) trained from scratch with the final recipe, 1 epochs" \
  "the final model is a candidate of the ranking"
if grep -Eq '^  1\. test accuracy [0-9.]+  \(ranking reward [0-9.]+, candidate [0-9]+\)  ' "$tmp.out"; then
  ok "the summary names it by its place in the ranking"
else fail "the summary names it by its place in the ranking"; fi
key=$(sed -n 's/.*"tokens":\(\[[^]]*\]\).*/\1/p' "$tmp/f/final/1/arch.json")
if [ -n "$key" ] && [ "$key" = "$(sed -n '1s/.*"tokens":\(\[[^]]*\]\).*/\1/p' "$tmp/f/ranked.jsonl")" ]; then
  ok "final/1 is the first of ranked.jsonl"
else fail "final/1 is the first of ranked.jsonl"; fi
if [ "$(stable "$tmp/a/ranked.jsonl")" = "$(stable "$tmp/f/ranked.jsonl")" ]; then ok "the ranking of the resumed run is the same"
else fail "the ranking of the resumed run is the same"; fi

# ---- a damaged store ----
cp -r "$tmp/a" "$tmp/c"
printf 'not a store' > "$tmp/c/shared-3.safetensors"
run 3 "resume with a damaged store" run "$space" --resume "$tmp/c" --samples 12 --threads 1
says_like "naslc: $tmp/c/shared-3.safetensors: .*" "the message names the store"
rm "$tmp/c/shared-3.safetensors"
run 3 "resume with the store missing" run "$space" --resume "$tmp/c" --samples 12 --threads 1
says_line "naslc: $tmp/c/shared-3.safetensors: cannot read: No such file or directory" "the message names the missing store"

# ---- random search through the same evaluator ----
sed 's/search reinforce/search random/' "$space" > "$tmp/random.nasl"
run 0 "random search with the shared evaluator" run "$tmp/random.nasl" --dir "$tmp/r" --threads 1
cnt=$(grep -c "^shared weights: round" "$tmp.err")
if [ "$cnt" = 3 ]; then ok "random search trains a round every 3 samples too"; else fail "random search trains a round every 3 samples too ($cnt)"; fi
if grep -q "'batch' is ignored" "$tmp.err"; then fail "and its batch is not warned about as ignored"
else ok "and its batch is not warned about as ignored"; fi

# ---- a repeated architecture is judged again ----
cat > "$tmp/two.nasl" <<'EOF'
dataset fashion = fashion_mnist()
space two { layer { conv2d(height: 3, width: 3, filters: [4, 8]); batchnorm; relu } head { global_avgpool; dense } }
train { data: fashion; subset: 500; valid: 100; batch: 32 }
search random { batch: 2; samples: 6; evaluator: shared(steps: 2, valid: 100); reward: last(valid_accuracy) }
EOF
run 0 "a search of two architectures" run "$tmp/two.nasl" --dir "$tmp/t" --threads 1
has "$tmp.out" "samples 6, children evaluated 6, repeats 0" "each of the 6 samples is judged, none a repeat"

# ---- a recurrent cell: the language model's weights shared ----
mkdir -p "$tmp.text"
sentences "$tmp.text/corpus.txt"
cat > "$tmp/cell.nasl" <<EOF
dataset words = text(train: "$tmp.text/corpus.txt", vocab: 40)
cell small { tree(leaves: 4) { combine: [add, mul]; activation: [identity, tanh, sigmoid, relu] } }
train { data: words; batch: 8; bptt: 12; hidden: 24; layers: 1; dropout: 0; optimizer: sgd(lr: 1, momentum: 0.5); clip: 5 }
search reinforce { batch: 4; samples: 12; evaluator: shared(steps: 30, valid: 500, rank: 4) }
EOF
run 0 "a cell search with the shared evaluator" run "$tmp/cell.nasl" --dir "$tmp/ca" --threads 1
says_like "shared weights: round 3, 30 steps \(0 architectures that cannot be built, [0-9]+ whose loss or gradient was not finite\), loss [0-9.]+, [0-9.]+ s, [0-9]+ values" \
  "three rounds train the language model's shared weights"
if grep -q '"valid_perplexity":\[[0-9.]*\]' "$tmp/ca/log.jsonl"; then ok "a cell's reward comes from its validation perplexity"
else fail "a cell's reward comes from its validation perplexity"; fi
killed_at 6 "$tmp/cell.nasl" "$tmp/cb"
run 0 "resume the killed cell search" run "$tmp/cell.nasl" --resume "$tmp/cb" --threads 1
if [ "$(stable "$tmp/ca/log.jsonl")" = "$(stable "$tmp/cb/log.jsonl")" ] &&
  cmp -s "$tmp/ca/shared-3.safetensors" "$tmp/cb/shared-3.safetensors"; then
  ok "the resumed cell search ends with the uninterrupted one's log and store"
else fail "the resumed cell search ends with the uninterrupted one's log and store"; fi

# ---- a DAG cell (ENAS's micro space): weights by place ----
cat > "$tmp/micro.nasl" <<'EOF'
cell micro {
  dag { inputs: 2; nodes: 5; edges: 2; output: unused;
        ops: [skip_connect, sep_conv_3x3, sep_conv_5x5, avg_pool_3x3, max_pool_3x3] }
}
train { channels: 4; cells: 1; subset: 1000; valid: 200; test: 500; batch: 32; optimizer: sgd(lr: 0.05, momentum: 0.9) }
search reinforce { batch: 3; samples: 9; evaluator: shared(steps: 4, valid: 100, rank: 4); reward: last(valid_accuracy) }
final { epochs: 1 }
EOF
run 0 "a shared-weight search of a DAG cell, with a final training" run "$tmp/micro.nasl" --dir "$tmp/ma" --threads 1
cnt=$(grep -c '^shared weights: round [0-9]*, 4 steps (0 architectures that cannot be built, 0 whose loss or gradient was not finite)' "$tmp.err")
if [ "$cnt" = 3 ]; then ok "three rounds train the DAG network's shared weights"; else fail "three rounds train the DAG network's shared weights ($cnt)"; fi
if [ "$(wc -l < "$tmp/ma/ranked.jsonl")" -ge 1 ] && [ -s "$tmp/ma/final/1/weights.safetensors" ]; then
  ok "the drawn cells are ranked and the best is trained from scratch"
else fail "the drawn cells are ranked and the best is trained from scratch"; fi
if grep -q 's0c0n[234]x[01]_[0-3]:[12]:sep_conv_[35]x[35]/0.dwconv2d.weight|dwconv2d|' "$tmp/ma/shared-3.safetensors"; then
  ok "the store names a weight by its place in the cell and its operation"
else fail "the store names a weight by its place in the cell and its operation"; fi
killed_at 5 "$tmp/micro.nasl" "$tmp/mb"
run 0 "resume the killed DAG search" run "$tmp/micro.nasl" --resume "$tmp/mb" --threads 1
if [ "$(stable "$tmp/ma/log.jsonl")" = "$(stable "$tmp/mb/log.jsonl")" ] &&
  cmp -s "$tmp/ma/shared-3.safetensors" "$tmp/mb/shared-3.safetensors" &&
  [ "$(stable "$tmp/ma/ranked.jsonl")" = "$(stable "$tmp/mb/ranked.jsonl")" ]; then
  ok "the resumed DAG search ends with the uninterrupted one's log, store and ranking"
else fail "the resumed DAG search ends with the uninterrupted one's log, store and ranking"; fi

# ---- the state bound: a cell search at a learning rate of 20 ----
sed -e 's/optimizer: sgd(lr: 1, momentum: 0.5); clip: 5/optimizer: sgd(lr: 20, momentum: 0); clip: 0.25; clip_state: 2/' \
  "$tmp/cell.nasl" > "$tmp/clip.nasl"
sed 's/; clip_state: 2//' "$tmp/clip.nasl" > "$tmp/noclip.nasl"
run 0 "the same search without the bound" run "$tmp/noclip.nasl" --dir "$tmp/cn" --threads 1
if grep -q '^shared weights: round 3, 30 steps (0 architectures that cannot be built, [1-9][0-9]* whose loss or gradient was not finite)' "$tmp.err"
then ok "without it, steps of round 3 diverge"; else fail "without it, steps of round 3 diverge"; fi
# a step whose loss is finite but whose gradient overflows writes nothing:
# the store holds no value that is not finite
if /usr/bin/env python3 - "$tmp/cn/shared-3.safetensors" <<'PY'
import array, json, math, struct, sys
b = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
bad = 0
for k, v in json.loads(b[8:8 + n]).items():
    if k != '__metadata__':
        s, e = v['data_offsets']
        a = array.array('f')
        a.frombytes(b[8 + n + s:8 + n + e])
        bad += sum(1 for x in a if not math.isfinite(x))
sys.exit(1 if bad else 0)
PY
then ok "the diverging search leaves every value of its store finite"
else fail "the diverging search leaves every value of its store finite"; fi
run 0 "a cell search with clip_state 2" run "$tmp/clip.nasl" --dir "$tmp/cc" --threads 1
if [ "$(grep -c '^shared weights: round [0-9]*, 30 steps (0 architectures that cannot be built, 0 whose loss or gradient was not finite), loss [0-9.]*,' "$tmp.err")" -eq 3 ]
then ok "with the state bounded, no step of its 3 rounds diverges"
else fail "with the state bounded, no step of its 3 rounds diverges"; fi
if grep -q '"valid_perplexity":\[\(null\|[0-9.]*e+[0-9]*\)\]' "$tmp/cc/log.jsonl"; then fail "every perplexity is finite and below 1e+8"
else ok "every perplexity is finite and below 1e+8"; fi
run 0 "show the best cell of the bounded space" show "$tmp/clip.nasl" --arch "$tmp/cc/best.json"
has "$tmp.out" "layer of 24, dropout 0, state norm at most 2" "show names the state bound"

# ---- what the evaluator needs ----
sed 's/valid: 200;/valid: 0;/' "$space" > "$tmp/novalid.nasl"
run 2 "a shared search without validation images" run "$tmp/novalid.nasl" --dir "$tmp/n" --threads 1
says_line "naslc: the shared evaluator judges architectures on validation images; give the train block 'valid: N'" \
  "it asks for validation images"

echo "1..$n"
[ "$failed" -eq 0 ]

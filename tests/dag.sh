#!/bin/sh
# dag.sh: DAG-cell spaces trained for real (TAP): naslc show prints the
# network around a cell, train saves it and eval gives the same figure from
# the saved weights, a search with the train evaluator and a final block
# whose network is larger than the searched one, the ENAS micro space (two
# inputs, separable convolutions), and the refusal of an edge
# operation without a runtime. Real Fashion-MNIST, tiny recipes.
: "${NASLC:=../naslc}"
: "${top_srcdir:=.}"
cd "$top_srcdir" || exit 1
tmp=${TMPDIR:-/tmp}/naslc-dag.$$
trap 'rm -rf "$tmp" "$tmp".*' EXIT
. "$top_srcdir/tests/tap.sh"

mkdir -p "$tmp"
space="$tmp/nb.nasl"
cat > "$space" <<'EOF'
cell nb {
  dag { nodes: 4; edges: all; ops: [none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3] }
}
train { channels: 4; cells: 1; subset: 1200; valid: 200; test: 500; epochs: 1; batch: 32 }
search reinforce { batch: 2; samples: 4; evaluator: train }
final { cells: 2; epochs: 2; subset: 2000 }
EOF
# |nor_conv_3x3~0|+|none~0|none~1|+|nor_conv_1x1~0|skip_connect~1|nor_conv_1x1~2|
echo '{"space":"nb","tokens":[3,0,0,2,1,2]}' > "$tmp/a.json"

# ---- show ----
run 0 "show a DAG cell's network" show "$space" --arch "$tmp/a.json"
has "$tmp.out" "5      3+1+4          4x28x28" "node 3 adds its edges (layer 5 reads 3+1+4)"
has "$tmp.out" "2      zeros          4x28x28" "node 2, which no edge reaches, is zeros"
has "$tmp.out" "23     21+19+22       16x7x7            [to the head]" "the head reads the last cell alone"
has "$tmp.out" "head   unused layers                 batchnorm(momentum: 0.1, eps: 1e-05) -> relu -> global_avgpool -> dense(units: 10)" \
  "the head: batch norm, relu, global average pooling, dense"
run 0 "show --final: the network the final stage trains" show "$space" --arch "$tmp/a.json" --final
if grep -q '^38 .*\[to the head\]$' "$tmp.out"; then ok "two cells per stage: 39 layers, the last one read by the head"
else fail "two cells per stage: 39 layers, the last one read by the head"; fi
grep -v '^final' "$space" > "$tmp/nofinal.nasl"
run 2 "show --final of a file without a final block" show "$tmp/nofinal.nasl" --arch "$tmp/a.json" --final
says "naslc: $tmp/nofinal.nasl has no final block; --final uses its recipe" "it says so"
run 0 "show --dot" show "$space" --arch "$tmp/a.json" --dot
has "$tmp.out" "digraph" "a Graphviz graph of the network"
has "$tmp.out" 'L5 [label="layer 5\nsum"];' "a node of the cell is drawn as a sum"
has "$tmp.out" 'L0 -> L2 [style=dotted];' "a map of zeros is drawn dotted from the map it is shaped like"

# ---- train, save, eval ----
run 0 "train a DAG cell's network on Fashion-MNIST" train "$space" --arch "$tmp/a.json" --save "$tmp/m" --threads 1
acc=$(sed -n 's/^valid accuracy [0-9.]* (best [0-9.]*), test accuracy \([0-9.]*\),.*/\1/p' "$tmp.out")
if [ -n "$acc" ] && awk -v a="$acc" 'BEGIN { exit !(a > 0.3) }'; then ok "it learns in one epoch of 1,000 images: test accuracy $acc (chance 0.1)"
else fail "it learns in one epoch of 1,000 images: test accuracy ${acc:-none}"; fi
for f in arch.json weights.safetensors history.json; do
  if [ -s "$tmp/m/$f" ]; then ok "train --save writes $f"; else fail "train --save writes $f"; fi
done
run 0 "eval the saved network" eval "$space" --arch "$tmp/m/arch.json" --weights "$tmp/m/weights.safetensors"
has "$tmp.out" "test accuracy $acc," "eval gives the trained figure again ($acc)"

# ---- a search with the train evaluator and a larger final network ----
run 0 "search a DAG space with the train evaluator and a final block" run "$space" --dir "$tmp/r" --threads 1
n_log=$(wc -l < "$tmp/r/log.jsonl")
if [ "$n_log" -eq 4 ]; then ok "four children trained and logged"; else fail "four children trained and logged ($n_log)"; fi
for f in arch.json history.json weights.safetensors; do
  if [ -s "$tmp/r/final/1/$f" ]; then ok "final/1/$f saved"; else fail "final/1/$f saved"; fi
done
facc=$(sed -n 's/^final test accuracy \([0-9.]*\): .*/\1/p' "$tmp.out")
if [ -n "$facc" ]; then ok "the run's result is the final test accuracy ($facc)"; else fail "the run's result is the final test accuracy"; fi
run 0 "eval the final model with the final recipe" eval "$space" --final --arch "$tmp/r/final/1/arch.json" \
  --weights "$tmp/r/final/1/weights.safetensors"
has "$tmp.out" "test accuracy $facc," "naslc eval --final gives the printed $facc (the final recipe's two cells per stage)"
run 3 "the final network does not load into the searched one (one cell per stage)" eval "$space" \
  --arch "$tmp/r/final/1/arch.json" --weights "$tmp/r/final/1/weights.safetensors"
says_like "naslc: $tmp/r/final/1/weights.safetensors: (has no tensor|tensor) '[^']+'.*" "eval names a tensor that does not fit"

# ---- the ENAS micro space: two inputs, separable convolutions ----
cat > "$tmp/enas.nasl" <<'EOF'
cell enas_micro {
  dag { inputs: 2; nodes: 7; edges: 2; ops: [skip_connect, sep_conv_3x3, sep_conv_5x5, avg_pool_3x3, max_pool_3x3]; output: unused }
}
train { channels: 4; cells: 1; subset: 1200; valid: 200; test: 500; epochs: 1; batch: 32 }
EOF
run 0 "sample an ENAS micro cell" sample "$tmp/enas.nasl" --seed 2
cp "$tmp.out" "$tmp/e.json"
run 0 "train its network" train "$tmp/enas.nasl" --arch "$tmp/e.json" --threads 1
eacc=$(sed -n 's/^valid accuracy [0-9.]* (best [0-9.]*), test accuracy \([0-9.]*\),.*/\1/p' "$tmp.out")
if [ -n "$eacc" ] && awk -v a="$eacc" 'BEGIN { exit !(a > 0.2) }'; then ok "it learns: test accuracy $eacc after one epoch (chance 0.1)"
else fail "it learns: test accuracy ${eacc:-none}"; fi
run 0 "show it" show "$tmp/enas.nasl" --arch "$tmp/e.json"
has "$tmp.out" "relu -> dwconv2d(size: 5, stride: 1, dilation: 1) -> conv2d(height: 1, width: 1, filters: 4, stride: 1, bias: false) -> batchnorm(momentum: 0.1, eps: 1e-05) -> relu -> dwconv2d(size: 5, stride: 1, dilation: 1)" \
  "sep_conv_5x5 is relu, depthwise, pointwise, batch norm, twice"

# ---- an edge operation without a runtime ----
cat > "$tmp/sep.nasl" <<'EOF'
op wiggle : edge "declared, never run"
cell s { dag { nodes: 3; ops: [skip_connect, wiggle] } }
train { channels: 4; cells: 1; subset: 600; valid: 100; test: 100; epochs: 1 }
EOF
echo '{"space":"s","tokens":[0,1,0]}' > "$tmp/s.json"
run 4 "a cell with an edge operation nothing runs cannot be built" train "$tmp/sep.nasl" --arch "$tmp/s.json" --threads 1
says_line "naslc: node 2: the edge operation 'wiggle' has no runtime in naslc; DAG networks run the edge operations of cells.nasl and layer operations" \
  "the message names the node and the operation"
printf 'search reinforce { batch: 2; samples: 2 }\n' >> "$tmp/sep.nasl"
run 2 "a search that would train such cells is refused before it starts" run "$tmp/sep.nasl" --dir "$tmp/sep"
says "naslc: 's' offers the edge operation 'wiggle', which has no runtime in naslc, so its children cannot be trained (DAG networks run the edge operations of cells.nasl and layer operations); search it with evaluator: table(...), or take 'wiggle' out of its ops" \
  "the refusal names the operation and what to do"
if [ -e "$tmp/sep" ]; then fail "no run directory is made"; else ok "no run directory is made"; fi

echo "1..$n"
[ "$failed" -eq 0 ]

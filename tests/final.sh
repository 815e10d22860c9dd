#!/bin/sh
# final.sh: the final stage of a search (TAP): a `final` block retrains the
# best architectures from scratch, saves them in DIR/final/RANK/, prints the
# final test figure; a resumed run keeps the models already saved and
# trains again only the one in flight, giving the same weights as a run
# that was never interrupted. Real Fashion-MNIST, tiny recipes.
: "${NASLC:=../naslc}"
: "${top_srcdir:=.}"
cd "$top_srcdir" || exit 1
tmp=${TMPDIR:-/tmp}/naslc-final.$$
trap 'kill -9 $pid 2>/dev/null; rm -rf "$tmp" "$tmp".*' EXIT
. "$top_srcdir/tests/tap.sh"
pid=

mkdir -p "$tmp"
space="$tmp/space.nasl"
cat > "$space" <<'EOF'
dataset fashion = fashion_mnist()
space tiny {
  layers 1..2 {
    conv2d(height: [1, 3], width: [1, 3], filters: [4, 8], stride: 1)
    batchnorm
    relu
    inputs: anchor
  }
}
train { data: fashion; subset: 1000; valid: 200; test: 500; epochs: 1; batch: 64 }
search reinforce { batch: 2; samples: 6 }
final { top: 2; subset: 3000; epochs: 12 }
EOF

# ---- a whole run ----
run 0 "a search with a final block" run "$space" --dir "$tmp/a" --threads 1
for r in 1 2; do
  for f in arch.json history.json weights.safetensors; do
    if [ -s "$tmp/a/final/$r/$f" ]; then ok "final/$r/$f saved"; else fail "final/$r/$f saved"; fi
  done
done
has "$tmp.out" "final models (retrained from scratch with the final recipe):" "the final models are listed"
says_like "final 1/2: sample [0-9]+ \(search reward [0-9.]+\) trained from scratch with the final recipe, 12 epochs" \
  "the first final training is announced with its epochs"
acc=$(sed -n 's/^final test accuracy \([0-9.]*\): .*/\1/p' "$tmp.out")
if [ -n "$acc" ]; then ok "the run's result is the final test accuracy ($acc)"; else fail "the run's result is the final test accuracy"; fi
# the saved model is the one that was tested: naslc eval gives the same figure
"$NASLC" eval "$space" --final --arch "$tmp/a/final/1/arch.json" --weights "$tmp/a/final/1/weights.safetensors" \
  > "$tmp.eval" 2> /dev/null
if grep -q "^test accuracy $acc," "$tmp.eval"; then ok "naslc eval of final/1 gives the printed $acc"
else sed 's/^/# /' "$tmp.eval"; fail "naslc eval of final/1 gives the printed $acc"; fi
# final/1 is the search's best: its record is the one of best.json
tokens() { sed -n 's/.*"tokens":\(\[[^]]*\]\).*/\1/p' "$1"; }
if [ "$(tokens "$tmp/a/final/1/arch.json")" = "$(tokens "$tmp/a/best.json")" ]; then ok "final/1 is the architecture of best.json"
else fail "final/1 is the architecture of best.json"; fi
run 0 "report on the run" report "$tmp/a"
has "$tmp.out" "final models (retrained from scratch; naslc show $tmp/a/final/RANK/arch.json):" "report lists the final models"
has "$tmp.out" "  1. test accuracy $acc, valid " "report gives final/1's test accuracy"

# ---- resuming a finished run trains nothing again ----
cp -r "$tmp/a/final" "$tmp/a.final"
run 0 "resume a finished run" run "$space" --resume "$tmp/a" --threads 1
says_like "final 1/2: $tmp/a/final/1, already trained \(test accuracy $acc\)" "a saved final model is kept"
if diff -r "$tmp/a/final" "$tmp/a.final" > /dev/null; then ok "the saved models are untouched"; else fail "the saved models are untouched"; fi

# ---- a kill -9 during the final stage ----
# The run is killed once the second final model has started (or later: if
# it is already done, the checks below still hold). Resuming trains it again
# from scratch, keeps final/1 as it was, and ends with the weights of the
# uninterrupted run above.
"$NASLC" run "$space" --dir "$tmp/b" --threads 1 > "$tmp.b.out" 2> "$tmp.b.err" &
pid=$!
i=0 # waits for the line, not for a time: the cap (10 minutes) is for a run that hangs
while [ $i -lt 6000 ] && ! grep -q "^final 2/2: sample" "$tmp.b.err" 2> /dev/null && kill -0 $pid 2> /dev/null; do
  sleep 0.1
  i=$((i + 1))
done
kill -9 $pid 2> /dev/null
wait $pid 2> /dev/null
pid=
if grep -q "^final 2/2: sample" "$tmp.b.err"; then ok "the run reached the second final model"; else fail "the run reached the second final model"; fi
cp "$tmp/b/final/1/weights.safetensors" "$tmp/b1.weights"
run 0 "resume after the kill" run "$space" --resume "$tmp/b" --threads 1
says_line "final 1/2: $tmp/b/final/1, already trained (test accuracy $acc)" "the first final model is not trained again"
if cmp -s "$tmp/b1.weights" "$tmp/b/final/1/weights.safetensors"; then ok "final/1 is untouched by the resume"
else fail "final/1 is untouched by the resume"; fi
for r in 1 2; do
  if cmp -s "$tmp/a/final/$r/weights.safetensors" "$tmp/b/final/$r/weights.safetensors"; then
    ok "final/$r after kill and resume has the weights of the uninterrupted run"
  else
    fail "final/$r after kill and resume has the weights of the uninterrupted run"
  fi
done

echo "1..$n"
[ "$failed" -eq 0 ]

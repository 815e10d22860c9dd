#!/bin/sh
# plugin.sh: plug-in operations (extern op) on the command line (TAP): the
# example plug-ins load, pass naslc gradcheck, search and train in
# plugins.nasl, their weights save and evaluate again; built-in operations
# pass gradcheck too; and every plug-in error (a missing library or symbol,
# a shape function saying nonsense, a forward or backward that fails, a
# declaration its use contradicts) gives its exact message and exit code.
# Broken plug-ins are compiled here with $CC.
: "${NASLC:=../naslc}"
: "${top_srcdir:=.}"
: "${abs_top_builddir:=$(cd .. && pwd)}"
: "${CC:=cc}"
tmp=${TMPDIR:-/tmp}/naslc-plugin.$$
trap 'rm -rf "$tmp" "$tmp".*' EXIT
mkdir -p "$tmp" || exit 1
. "$top_srcdir/tests/tap.sh"

# ---- the examples, with the libraries make built, beside a copy of the file ----
ex="$tmp/ex"
mkdir -p "$ex"
cp "$top_srcdir/examples/plugins/plugins.nasl" "$ex/" &&
  cp "$abs_top_builddir/examples/plugins/swish.so" "$abs_top_builddir/examples/plugins/sepconv.so" "$ex/" ||
  { echo "Bail out! the example plug-ins are not built"; exit 1; }
run 0 "plugins.nasl checks, its libraries found beside it" check "$ex/plugins.nasl"
has "$tmp.out" "ok: space 'plugins'" "check reports the space"

run 0 "gradcheck swish" gradcheck "$ex/plugins.nasl" swish
has "$tmp.out" "pass" "gradcheck swish passes"
run 0 "gradcheck swish with beta 2.5" gradcheck "$ex/plugins.nasl" swish --arg beta=2.5 --seed 4
run 0 "gradcheck sepconv 5x5, 4 filters" gradcheck "$ex/plugins.nasl" sepconv --arg kernel=5 --arg filters=4 --shape 2,3,7,6
has "$tmp.out" "unit.op.depthwise" "gradcheck checks sepconv's depthwise weight"
has "$tmp.out" "unit.op.pointwise" "gradcheck checks sepconv's pointwise weight"
has "$tmp.out" "unit.op.bias" "gradcheck checks sepconv's bias"
for op in conv2d dwconv2d maxpool avgpool global_avgpool batchnorm dropout dense relu tanh sigmoid identity; do
  run 0 "gradcheck built-in $op" gradcheck "$ex/plugins.nasl" "$op"
done
run 0 "gradcheck conv2d 5x3 stride 2 with bias" gradcheck "$ex/plugins.nasl" conv2d --arg height=5 --arg width=3 \
  --arg stride=2 --arg bias=true --arg filters=4
run 0 "gradcheck dwconv2d 5x5 stride 2 dilation 2" gradcheck "$ex/plugins.nasl" dwconv2d --arg size=5 --arg stride=2 \
  --arg dilation=2 --shape 2,3,9,8

run 2 "gradcheck of an unknown operation" gradcheck "$ex/plugins.nasl" sepconf
says "naslc: '$ex/plugins.nasl' declares no operation 'sepconf'; did you mean 'sepconv'?" "its message"
run 2 "gradcheck with an unknown parameter" gradcheck "$ex/plugins.nasl" swish --arg bta=2
says "naslc: operation 'swish' has no parameter 'bta'" "its message"
run 2 "gradcheck with a value out of range" gradcheck "$ex/plugins.nasl" swish --arg beta=20
says "naslc: parameter 'beta' of 'swish' expects a number in 0.1..10, not '20'" "its message"
run 2 "gradcheck with a bad shape" gradcheck "$ex/plugins.nasl" swish --shape 2,3,8
says "naslc: --shape expects N,C,H,W, four integers in 1..4096, not '2,3,8'
run 'naslc --help' for usage" "its message"
run 2 "gradcheck with a shape too big to check" gradcheck "$ex/plugins.nasl" swish --shape 4096,4096,2,1
says "naslc: --shape 4096,4096,2,1 has more than 2^24 values; a finite-difference check of it would take days
run 'naslc --help' for usage" "its message"
run 2 "gradcheck without an operation" gradcheck "$ex/plugins.nasl"
run 4 "gradcheck of a combine" gradcheck "$ex/plugins.nasl" add
says "naslc: gradcheck of 'add' cannot run: unit: operation 'add' is a combine: it joins two inputs in a recurrent cell and does not run on one feature map" "its message"

# ---- search and training ----
run 0 "plugins.nasl searches (4 architectures)" run "$ex/plugins.nasl" --dir "$tmp/run" --threads 1 --quiet
if [ "$(grep -c '"reward"' "$tmp/run/log.jsonl" 2>/dev/null)" -eq 4 ]; then ok "the log has 4 architectures"; else fail "the log has 4 architectures"; fi
run 0 "sample architectures" sample "$ex/plugins.nasl" -n 40 --seed 1
grep sepconv "$tmp.out" | grep swish | head -n 1 > "$tmp/arch.json"
if [ -s "$tmp/arch.json" ]; then ok "a sample has both sepconv and swish"; else fail "a sample has both sepconv and swish"; fi
run 0 "train it" train "$ex/plugins.nasl" --arch "$tmp/arch.json" --save "$tmp/save" --threads 1 --quiet
has "$tmp.out" "test accuracy" "train reports a test accuracy"
acc=$(sed -n 's/.*test accuracy \([0-9.]*\).*/\1/p' "$tmp.out" | head -n 1)
if grep -qa 'sepconv.depthwise' "$tmp/save/weights.safetensors" && grep -qa 'sepconv.pointwise' "$tmp/save/weights.safetensors"; then
  ok "the plug-in's weights are saved under stable names"
else fail "the plug-in's weights are saved under stable names"; fi
run 0 "eval the saved weights" eval "$ex/plugins.nasl" --arch "$tmp/save/arch.json" --weights "$tmp/save/weights.safetensors" --threads 1
has "$tmp.out" "test accuracy $acc" "eval gives train's test accuracy ($acc)"

# ---- broken plug-ins ----
cat > "$tmp/broken.c" <<'C'
#include <stdio.h>
#include <naslc/op.h>
static int64_t count(const naslc_tensor *t) { int64_t n = 1; for (int i = 0; i < t->ndim; i++) n *= t->size[i]; return n; }
int id_forward(const naslc_tensor *in, naslc_tensor *out, const naslc_tensor *w, int nw, char *msg) {
  (void)w, (void)nw, (void)msg;
  for (int64_t i = 0; i < count(in); i++) out->data[i] = in->data[i];
  return NASLC_OK;
}
int id_backward(const naslc_tensor *in, const naslc_tensor *out, const naslc_tensor *dout, naslc_tensor *din,
                const naslc_tensor *w, naslc_tensor *dw, int nw, char *msg) {
  (void)out, (void)w, (void)dw, (void)nw, (void)msg;
  for (int64_t i = 0; i < count(in); i++) din->data[i] += dout->data[i];
  return NASLC_OK;
}
int wrong_backward(const naslc_tensor *in, const naslc_tensor *out, const naslc_tensor *dout, naslc_tensor *din,
                   const naslc_tensor *w, naslc_tensor *dw, int nw, char *msg) {
  (void)out, (void)w, (void)dw, (void)nw, (void)msg;
  for (int64_t i = 0; i < count(in); i++) din->data[i] += 2 * dout->data[i];
  return NASLC_OK;
}
int fail_forward(const naslc_tensor *in, naslc_tensor *out, const naslc_tensor *w, int nw, char *msg) {
  (void)in, (void)out, (void)w, (void)nw;
  snprintf(msg, NASLC_MSG_LEN, "refusing on purpose");
  return NASLC_FAIL;
}
int fail_backward(const naslc_tensor *in, const naslc_tensor *out, const naslc_tensor *dout, naslc_tensor *din,
                  const naslc_tensor *w, naslc_tensor *dw, int nw, char *msg) {
  (void)in, (void)out, (void)dout, (void)din, (void)w, (void)dw, (void)nw;
  snprintf(msg, NASLC_MSG_LEN, "no gradient today");
  return NASLC_FAIL;
}
int zero_shape(const naslc_tensor *in, naslc_tensor *out, naslc_weight *w, int *nw, char *msg) {
  (void)w, (void)msg; *out = *in; out->size[1] = 0; *nw = 0; return NASLC_OK;
}
int five_shape(const naslc_tensor *in, naslc_tensor *out, naslc_weight *w, int *nw, char *msg) {
  (void)w, (void)msg; *out = *in; out->ndim = 5; *nw = 0; return NASLC_OK;
}
int widen_shape(const naslc_tensor *in, naslc_tensor *out, naslc_weight *w, int *nw, char *msg) {
  (void)w, (void)msg; *out = *in; out->size[1] *= 2; *nw = 0; return NASLC_OK;
}
int huge_shape(const naslc_tensor *in, naslc_tensor *out, naslc_weight *w, int *nw, char *msg) {
  (void)w, (void)msg; *out = *in; out->size[1] = 1 << 30; out->size[2] = 1 << 30; *nw = 0; return NASLC_OK;
}
int wide_shape(const naslc_tensor *in, naslc_tensor *out, naslc_weight *w, int *nw, char *msg) {
  (void)w, (void)msg; *out = *in; out->ndim = 2; out->size[1] = 1 << 30; *nw = 0; return NASLC_OK;
}
int tall_shape(const naslc_tensor *in, naslc_tensor *out, naslc_weight *w, int *nw, char *msg) {
  (void)w, (void)msg; *out = *in; out->ndim = 2; out->size[1] = 1 << 27; *nw = 0; return NASLC_OK;
}
int fail_shape(const naslc_tensor *in, naslc_tensor *out, naslc_weight *w, int *nw, char *msg) {
  (void)in, (void)out, (void)w, (void)nw;
  snprintf(msg, NASLC_MSG_LEN, "no shape for you");
  return NASLC_FAIL;
}
int loud_shape(const naslc_tensor *in, naslc_tensor *out, naslc_weight *w, int *nw, char *msg) {
  (void)in, (void)out, (void)w, (void)nw;
  snprintf(msg, NASLC_MSG_LEN, "\033[2J\033]0;owned\007red \302\233""31m caf\303\251 \377");
  return NASLC_FAIL;
}
int badweight_shape(const naslc_tensor *in, naslc_tensor *out, naslc_weight *w, int *nw, char *msg) {
  (void)msg; *out = *in;
  snprintf(w[0].name, NASLC_NAME_LEN, "kernel"); w[0].ndim = 2; w[0].size[0] = 3; w[0].size[1] = -1;
  *nw = 1; return NASLC_OK;
}
C
if "$CC" -shared -fPIC -I"$top_srcdir/include" -o "$tmp/broken.so" "$tmp/broken.c" 2> "$tmp.err"; then
  ok "a broken plug-in compiles against naslc/op.h"
else fail "a broken plug-in compiles against naslc/op.h"; fi

# One space per case: op NAME declared with the given settings, used in a layer.
space() { # file, role, settings
  cat > "$tmp/$1.nasl" <<NASL
dataset fashion = fashion_mnist()
extern op $1 : $2 { library: "broken.so"; $3 }
space s { layer { conv2d(filters: 4); $1 } }
train { data: fashion; subset: 64; valid: 32; test: 64; epochs: 1; batch: 32 }
search reinforce { batch: 2; samples: 2; seed: 1 }
NASL
}
at() { echo "$tmp/$1.nasl:2:1"; }

cat > "$tmp/gone.nasl" <<'NASL'
dataset fashion = fashion_mnist()
space s { layer { conv2d; gone } }
  extern op gone : activation { library: "lib/nope.so"; forward: "f" }
NASL
run 1 "a missing library is an error of the file" check "$tmp/gone.nasl"
says "$tmp/gone.nasl:3:3: error: extern op 'gone': cannot load '$tmp/lib/nope.so': $tmp/lib/nope.so: cannot open shared object file: No such file or directory" \
  "its message names the declaration, the resolved path and dlerror's reason"
run 1 "train stops at the missing library" train "$tmp/gone.nasl"
run 0 "tokens does not need the library" tokens "$tmp/gone.nasl"

space nosym activation 'forward: "id_forward"; backward: "id_backwards"'
run 1 "a missing symbol is an error of the file" check "$tmp/nosym.nasl"
says "$(at nosym): error: extern op 'nosym': '$tmp/broken.so' has no symbol 'id_backwards'" "its message"

cat > "$tmp/combine.nasl" <<'NASL'
extern op both : combine { library: "broken.so"; forward: "id_forward" }
space s { layer { conv2d } }
NASL
run 1 "an extern combine is rejected" check "$tmp/combine.nasl"
has "$tmp.err" "combine.nasl:1:18: error: an extern op is a layer or an activation; a plug-in cannot be a combine" "its message"

space wrong activation 'forward: "id_forward"; backward: "wrong_backward"'
run 4 "gradcheck finds a wrong backward" gradcheck "$tmp/wrong.nasl" wrong
has "$tmp.out" "FAIL" "gradcheck reports the failure"

space failfwd activation 'forward: "fail_forward"; backward: "id_backward"'
run 4 "a failing forward fails training" train "$tmp/failfwd.nasl" --quiet
says "naslc: training failed: $(at failfwd): extern op 'failfwd': forward function 'fail_forward' failed: refusing on purpose" "its message is shown"
run 0 "in a search, the failing child is rejected and the search goes on" run "$tmp/failfwd.nasl" --dir "$tmp/failrun" --threads 1 --quiet
if grep -q '"reward":0,"ok":false' "$tmp/failrun/log.jsonl"; then ok "the failed child gets the failed-child reward 0"; else fail "the failed child gets the failed-child reward 0"; fi

space failbwd activation 'forward: "id_forward"; backward: "fail_backward"'
run 4 "a failing backward fails training" train "$tmp/failbwd.nasl" --quiet
says "naslc: training failed: $(at failbwd): extern op 'failbwd': backward function 'fail_backward' failed: no gradient today" "its message is shown"

space nobwd activation 'forward: "id_forward"'
run 4 "an op without backward cannot be trained" train "$tmp/nobwd.nasl" --quiet
says "naslc: training failed: $(at nobwd): extern op 'nobwd' declares no backward function, so it cannot be trained" "its message"

space zero layer 'forward: "id_forward"; backward: "id_backward"; shape: "zero_shape"'
run 4 "a shape with a size 0 is rejected" train "$tmp/zero.nasl" --quiet
says "naslc: $(at zero): error: extern op 'zero': shape function 'zero_shape' gave output [1, 0, 28, 28] (4 dimensions) for input [1, 4, 28, 28]; an output has 1 to 4 dimensions, each at least 1, the first the batch size 1, and at most 2^30 values per example" "its message"

space five layer 'forward: "id_forward"; shape: "five_shape"'
run 4 "a 5-dimensional shape is rejected" train "$tmp/five.nasl" --quiet
says "naslc: $(at five): error: extern op 'five': shape function 'five_shape' gave output [1, 4, 28, 28] (5 dimensions) for input [1, 4, 28, 28]; an output has 1 to 4 dimensions, each at least 1, the first the batch size 1, and at most 2^30 values per example" "its message"

space huge layer 'forward: "id_forward"; backward: "id_backward"; shape: "huge_shape"'
run 4 "a shape too big to hold is rejected, without overflow" train "$tmp/huge.nasl" --quiet
says "naslc: $(at huge): error: extern op 'huge': shape function 'huge_shape' gave output [1, 1073741824, 1073741824, 28] (4 dimensions) for input [1, 4, 28, 28]; an output has 1 to 4 dimensions, each at least 1, the first the batch size 1, and at most 2^30 values per example" "its message"

# Outputs within what a plug-in may give but past what a network may keep:
# refused before anything is allocated (under a memory limit, so that a
# regression fails instead of exhausting the machine; not under AddressSanitizer,
# which reserves terabytes of address space for itself and cannot start under it).
limit=3000000
if ldd "$NASLC" 2> /dev/null | grep -q 'libasan'; then limit=unlimited; fi
space wide layer 'forward: "id_forward"; backward: "id_backward"; shape: "wide_shape"'
cat > "$tmp/limited" <<SH
#!/bin/sh
ulimit -v $limit 2> /dev/null
exec "$NASLC" "\$@"
SH
chmod +x "$tmp/limited"
naslc=$NASLC NASLC=$tmp/limited
run 4 "show refuses an output of 2^30 values per example" show "$tmp/wide.nasl"
run 4 "gradcheck refuses it too, as show does" gradcheck "$tmp/wide.nasl" wide
says "naslc: gradcheck of 'wide' cannot run: the network keeps 4096 MB of activations per example; that is more than this machine can train" "its message"
space tall layer 'forward: "id_forward"; backward: "id_backward"; shape: "tall_shape"'
run 4 "gradcheck refuses a batch whose output is too large" gradcheck "$tmp/tall.nasl" tall --shape 4,3,8,8
says "naslc: gradcheck of 'tall' cannot run: on a batch of 4 its output holds 536870912 values (2048 MB), more than the 1024 MB a check holds; check it on a batch of at most 2 (--shape N,C,H,W)" "its message"
NASLC=$naslc

space widen activation 'forward: "id_forward"; shape: "widen_shape"'
run 4 "an activation that changes the shape is rejected" train "$tmp/widen.nasl" --quiet
says "naslc: $(at widen): error: extern op 'widen' is an activation but its shape function turns [1, 4, 28, 28] into [1, 8, 28, 28]; declare it a layer" "its message"

space failshape layer 'forward: "id_forward"; shape: "fail_shape"'
run 4 "a failing shape function is reported" train "$tmp/failshape.nasl" --quiet
says "naslc: $(at failshape): error: extern op 'failshape': shape function 'fail_shape' failed for input [1, 4, 28, 28]: no shape for you" "its message"
space loud layer 'forward: "id_forward"; shape: "loud_shape"'
run 4 "a plug-in message with terminal escapes" train "$tmp/loud.nasl" --quiet
says "naslc: $(at loud): error: extern op 'loud': shape function 'loud_shape' failed for input [1, 4, 28, 28]: \\x1B[2J\\x1B]0;owned\\x07red \\xC2\\x9B31m café \\xFF" "it is shown escaped, valid UTF-8 kept"

space badweight layer 'forward: "id_forward"; shape: "badweight_shape"'
run 4 "a weight of negative size is rejected" train "$tmp/badweight.nasl" --quiet
says "naslc: $(at badweight): error: extern op 'badweight': weight 'kernel' has shape [3, -1]; a weight has 1 to 4 dimensions, each at least 1, and at most 2^30 values" "its message"

# ---- recurrent cells: a plug-in activation (shape: same) is a cell step ----
awk 'BEGIN { split("the cat a dog my king sat on looked at the mat a house", w, " ");
  s = 7; for (i = 0; i < 400; i++) { line = ""; for (j = 0; j < 6; j++) { s = (s * 1103515245 + 12345) % 2147483648;
  line = line (j ? " " : "") w[1 + int(s / 65536) % 14] } print line } }' > "$ex/words.txt"
cat > "$ex/cell.nasl" <<'NASL'
dataset words = text(train: "words.txt", vocab: 20)
extern op swish(beta: float in 0.1..10 = 1) : activation {
  library: "swish.so"; forward: "swish_forward"; backward: "swish_backward"
}
cell swishy {
  f = sigmoid(add(x, h)); g = swish(add(x, h))
  c_new = add(mul(f, c), g)
  h_new = mul(f, swish(c_new))
  memory: c_new
  output: h_new
}
train { data: words; epochs: 1; batch: 8; bptt: 8; hidden: 12; layers: 1; dropout: 0; optimizer: sgd(lr: 2); clip: 5 }
NASL
run 0 "a fixed cell with swish trains" train "$ex/cell.nasl" --save "$tmp/cell" --threads 1
ppl=$(sed -n 's/.*test perplexity \([0-9.]*\).*/\1/p' "$tmp.out" | head -n 1)
run 0 "show the cell" show "$tmp/cell/arch.json"
has "$tmp.out" "= swish(s" "the cell program has swish steps"
run 0 "draw the cell" show "$tmp/cell/arch.json" --dot
if grep -q 'label="swish"' "$tmp.out" && ! grep -q 'label="(null)"' "$tmp.out"; then ok "the drawing names the plug-in activation"; else fail "the drawing names the plug-in activation"; fi
run 0 "eval the cell's weights" eval "$ex/cell.nasl" --arch "$tmp/cell/arch.json" --weights "$tmp/cell/weights.safetensors" --threads 1
has "$tmp.out" "test perplexity $ppl" "eval gives train's test perplexity ($ppl)"
cat > "$ex/tree.nasl" <<'NASL'
dataset words = text(train: "words.txt", vocab: 20)
extern op swish(beta: float in 0.1..10 = 1) : activation {
  library: "swish.so"; forward: "swish_forward"; backward: "swish_backward"
}
cell t { tree(leaves: 2) { combine: [add, mul]; activation: [tanh, swish] } }
train { data: words; epochs: 1; batch: 8; bptt: 8; hidden: 12; layers: 1; dropout: 0; optimizer: sgd(lr: 2); clip: 5 }
search reinforce { batch: 2; samples: 4; seed: 1 }
NASL
run 0 "a tree cell search with swish among the activations" run "$ex/tree.nasl" --dir "$tmp/tree" --threads 1 --quiet
if grep -q '"ok":true' "$tmp/tree/log.jsonl" && grep -q 'swish' "$tmp/tree/log.jsonl"; then ok "cells with swish train in the search"; else fail "cells with swish train in the search"; fi
cat > "$tmp/cellshape.nasl" <<NASL
dataset words = text(train: "$ex/words.txt", vocab: 20)
extern op wide : activation { library: "broken.so"; forward: "id_forward"; backward: "id_backward"; shape: "widen_shape" }
cell w { h_new = wide(add(x, h)); output: h_new }
train { data: words; epochs: 1; batch: 8; bptt: 8; hidden: 12; layers: 1; dropout: 0 }
NASL
run 4 "a plug-in with a shape function cannot be a cell step" train "$tmp/cellshape.nasl" --quiet
says "naslc: $tmp/cellshape.nasl:2:1: error: extern op 'wide' has a shape function; a recurrent cell runs only plug-in activations declared with 'shape: same'" "its message"

echo "1..$n"
[ "$failed" -eq 0 ]

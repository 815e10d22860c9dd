#!/bin/sh
# cli.sh: the naslc command line (TAP): exit codes, messages, output formats.
: "${NASLC:=../naslc}"
: "${top_srcdir:=.}"
cd "$top_srcdir" || exit 1
tmp=${TMPDIR:-/tmp}/naslc-cli.$$
trap 'rm -rf "$tmp" "$tmp".*' EXIT
. "$top_srcdir/tests/tap.sh"
json_ok() { # each line of FILE parses as JSON
  /usr/bin/env python3 -c 'import json,sys
for line in open(sys.argv[1]): json.loads(line)' "$1" 2>> "$tmp.err"
}

run 2 "no arguments prints usage" ; cp "$tmp.err" "$tmp.usage"
says_line "usage: naslc COMMAND FILE [OPTIONS]" "usage names the form"
run 0 "--help" --help ; has "$tmp.out" "naslc sample" "help lists the sample command"
if cmp -s "$tmp.out" "$tmp.usage"; then ok "no arguments prints the text of --help"; else fail "no arguments prints the text of --help"; fi
has "$tmp.out" "exit status: 0 ok, 1 the file has errors, 2 bad command line, 3 a file cannot be read" "help gives the exit codes"
run 0 "--version" --version ; has "$tmp.out" "naslc 0." "version printed"
run 2 "a misspelt command" chek examples/quickstart.nasl
says "naslc: unknown command 'chek'; did you mean 'check'?" "misspelt command gets a suggestion"
run 2 "an unknown option" check --frobnicate examples/quickstart.nasl
says "naslc: unknown option '--frobnicate'
run 'naslc --help' for usage" "unknown option named"
run 2 "check without a file" check
says "naslc: 'check' needs a .nasl file
run 'naslc --help' for usage" "missing file argument named"
run 2 "a bad -n" sample examples/quickstart.nasl -n many
says "naslc: -n expects an integer in 0..100000000, not 'many'
run 'naslc --help' for usage" "bad number explained"
run 2 "-n without a value" sample examples/quickstart.nasl -n
run 2 "--json on check" check examples/quickstart.nasl --json
says "naslc: --json does not apply to 'check'
run 'naslc --help' for usage" "inapplicable option explained"
run 2 "two files" check examples/quickstart.nasl examples/cnn_v1.nasl
run 3 "a missing file" check no/such/space.nasl
says "naslc: cannot read 'no/such/space.nasl': No such file or directory" "missing file named with the reason"
run 3 "a directory given as the file" check examples
says "naslc: cannot read 'examples': Is a directory" "directory rejected with the reason"
# files read whole must be regular files under a size cap (naslc(1), LIMITS)
run 3 "a device given as the file" check /dev/zero
says "naslc: cannot read '/dev/zero': not a regular file (a device, a pipe or a socket)" "it is refused at once, not read until memory runs out"
mkfifo "$tmp.fifo"
run 3 "a pipe given as the file" check "$tmp.fifo"
says "naslc: cannot read '$tmp.fifo': not a regular file (a device, a pipe or a socket)" "it is refused without waiting for a writer"
printf 'import "/dev/zero"\nspace s { layer { conv2d(filters: 8) } }\n' > "$tmp.imp.nasl"
run 1 "an import of a device" check "$tmp.imp.nasl"
says_line "$tmp.imp.nasl:1:8: error: cannot read imported file '/dev/zero': not a regular file (a device, a pipe or a socket)" "the import is named"
head -c 16777217 /dev/zero > "$tmp.huge.nasl"
run 3 "a source over 16 MiB" check "$tmp.huge.nasl"
says "naslc: cannot read '$tmp.huge.nasl': larger than 16 MiB, the limit for this kind of file (naslc(1), LIMITS)" "the cap is named"
rm -f "$tmp.huge.nasl"
run 3 "a device as an architecture record" show examples/cnn_v1.nasl --arch /dev/zero
says "naslc: cannot read '/dev/zero': not a regular file (a device, a pipe or a socket)" "the record is refused"
# out of memory is exit 5 with a message (under a 150 MB address-space limit;
# not under AddressSanitizer, which cannot start under one)
if ldd "$NASLC" 2> /dev/null | grep -q libasan; then
  n=$((n + 1)); echo "ok $n # SKIP out of memory: AddressSanitizer cannot run under ulimit -v"
else
  /usr/bin/env python3 -c 'print("space s { layer { conv2d(filters: [" + ",".join(["8"] * 2000000) + "]) } }")' > "$tmp.many.nasl"
  printf '#!/bin/sh\nulimit -v 150000 || exit 99\nexec timeout 120 "$@"\n' > "$tmp.limited"
  chmod +x "$tmp.limited"
  naslc=$NASLC NASLC=$tmp.limited
  run 5 "a file too large for the memory there is" "$naslc" check "$tmp.many.nasl"
  NASLC=$naslc
  says_like "naslc: out of memory \(asked for [0-9]+ bytes\); free memory, or use a smaller network, batch or data set" "out of memory is said, not a crash"
  # the threaded OpenBLAS's own threads, started at load, once spun forever
  # under such a limit and the process never exited (timeout: status 124)
  printf '#!/bin/sh\nulimit -v 100000 || exit 99\nexec timeout 120 "$@"\n' > "$tmp.limited"
  NASLC=$tmp.limited
  run 0 "a check under a 100 MB address-space limit ends" "$naslc" check "$top_srcdir/examples/quickstart.nasl"
  NASLC=$naslc
  rm -f "$tmp.many.nasl"
fi
mkdir "$tmp.devlog" && ln -s /dev/zero "$tmp.devlog/log.jsonl"
run 3 "a run log that is a device" report "$tmp.devlog"
says_like "naslc: cannot read '$tmp.devlog/log.jsonl': not a regular file \(a device, a pipe or a socket\).*" "the log is refused"
printf 'space s { layer { conv2 } }\n' > "$tmp.bad.nasl"
run 1 "an invalid file" check "$tmp.bad.nasl"
says "$tmp.bad.nasl:1:19: error: unknown operation 'conv2'; did you mean 'conv2d'?
    1 | space s { layer { conv2 } }
      |                   ^~~~~
1 error, 0 warnings" "diagnostic with file:line:col, the line, the caret and the count"
run 1 "an invalid file with tokens" tokens "$tmp.bad.nasl"
run 1 "an invalid file with sample" sample "$tmp.bad.nasl"
run 1 "a missing stdlib" --stdlib /no/such/dir check examples/quickstart.nasl
says_line "naslc: error: cannot read the stdlib '/no/such/dir/std.nasl': No such file or directory" "missing stdlib explained"

for f in examples/*.nasl; do
  run 0 "check $f" check "$f"
done

run 0 "tokens of the v1 space" tokens examples/cnn_v1.nasl
has "$tmp.out" "depth: curriculum: 6 layers at first, +2 every 1600 samples, at most 15" "v1 shows the curriculum"
for d in conv2d.height conv2d.width conv2d.filters inputs; do
  has "$tmp.out" "layer[14].$d" "v1 shows layer[14].$d"
done
run 0 "tokens --json" tokens examples/cnn_v1.nasl --json
if json_ok "$tmp.out"; then ok "tokens --json is JSON"; else fail "tokens --json is JSON"; fi
has "$tmp.out" '"path":"layer[3].conv2d.height"' "JSON names decisions by dotted path"

run 0 "sample 5" sample examples/quickstart.nasl -n 5 --seed 42
if [ "$(wc -l < "$tmp.out")" -eq 5 ]; then ok "five records"; else fail "five records"; fi
if json_ok "$tmp.out"; then ok "each record is JSON"; else fail "each record is JSON"; fi
cp "$tmp.out" "$tmp.first"
run 0 "sample again with the same seed" sample examples/quickstart.nasl -n 5 --seed 42
if cmp -s "$tmp.out" "$tmp.first"; then ok "same seed, same records"; else fail "same seed, same records"; fi
run 0 "sample with another seed" sample examples/quickstart.nasl -n 5 --seed 43
if cmp -s "$tmp.out" "$tmp.first"; then fail "another seed, other records"; else ok "another seed, other records"; fi
run 0 "sample the v1 space at sample 3200" sample examples/cnn_v1.nasl --at 3200
has "$tmp.out" '"depth":10,' "the curriculum gives 10 layers at sample 3200"
sed 's/layers 6..15 grow 2 every 1600/layers 6..15 grow 2 every 1/' examples/cnn_v1.nasl > "$tmp.grow.nasl"
run 0 "a depth curriculum at the largest sample number" sample "$tmp.grow.nasl" --at 9223372036854775807
has "$tmp.out" '"depth":15,' "the stack has grown to its maximum (no overflow)"
run 0 "sample the NAS-Bench-201 space" sample examples/nb201.nasl -n 3
has "$tmp.out" '"string":"|' "cells carry their NAS-Bench-201 string"
run 0 "sample the NAS-RNN space" sample examples/nas_rnn.nasl
has "$tmp.out" '"inject":{"combine":' "tree cells record the injection"
run 0 "sample a fixed cell" sample examples/lstm_cell.nasl
has "$tmp.out" '"memory":"c_new"' "fixed cells record their memory node"
run 0 "sample zero architectures" sample examples/quickstart.nasl -n 0
if [ ! -s "$tmp.out" ]; then ok "-n 0 prints nothing"; else fail "-n 0 prints nothing"; fi

# ---- training on a small generated image set (IDX, gzipped) ----
mkdir -p "$tmp.data"
quads "$tmp.data" 600 200
cat > "$tmp.train.nasl" <<NASL
dataset quads = mnist(dir: "$tmp.data", classes: 4)
space s {
  layers 2 { conv2d(height: [1, 3], filters: [4, 8]); batchnorm; relu; inputs: anchor }
  head { maxpool(size: 2, stride: 2); dense }
}
train { data: quads; valid: 100; epochs: 3; batch: 20; optimizer: sgd(lr: 0.05, momentum: 0.9) }
search reinforce { reward: max(valid_accuracy, last: 2) ^ 3 }
NASL
run 2 "train a space with decisions needs --arch" train "$tmp.train.nasl"
says "naslc: space 's' has 5 decisions; name an architecture with --arch A.json (a record from 'naslc sample')" "the missing --arch is explained"
"$NASLC" sample "$tmp.train.nasl" --seed 4 > "$tmp.arch.json"
run 0 "train a sampled architecture" train "$tmp.train.nasl" --arch "$tmp.arch.json" --save "$tmp.run" --threads 2
acc=$(sed -n 's/.*test accuracy \([0-9.]*\).*/\1/p' "$tmp.out")
if awk -v a="$acc" 'BEGIN { exit !(a > 0.6) }'; then ok "it learns (test accuracy $acc, chance 0.25)"; else fail "it learns (test accuracy $acc)"; fi
has "$tmp.out" "reward " "the reward is reported"
for f in arch.json weights.safetensors history.json; do
  if [ -s "$tmp.run/$f" ]; then ok "--save writes $f"; else fail "--save writes $f"; fi
done
cp "$tmp.out" "$tmp.train.out"
# --save is checked before training, and what a directory holds is never mixed into a saved model
: > "$tmp.notdir"
run 3 "train --save into a directory that cannot be made" train "$tmp.train.nasl" --arch "$tmp.arch.json" --save "$tmp.notdir/model" --quiet
says "naslc: cannot save the model: cannot create the directory '$tmp.notdir/model': Not a directory; nothing was trained" "the --save directory is checked before training"
if [ ! -s "$tmp.out" ]; then ok "nothing was trained"; else fail "nothing was trained"; fi
mkdir -p "$tmp.other" && echo keep > "$tmp.other/notes.txt"
run 3 "train --save into a directory holding other files" train "$tmp.train.nasl" --arch "$tmp.arch.json" --save "$tmp.other" --quiet
says "naslc: cannot save the model: '$tmp.other' holds 'notes.txt', which is not one of the files of the set (arch.json, history.json, weights.safetensors); nothing was trained" "the foreign file is named"
if [ "$(ls "$tmp.other")" = notes.txt ] && [ ! -s "$tmp.out" ]; then ok "the other file is left alone, nothing trained"; else fail "the other file is left alone, nothing trained"; fi
if [ -z "$(ls -d "$tmp.run".* 2> /dev/null)" ]; then ok "--save leaves nothing beside its directory"; else fail "--save leaves nothing beside its directory"; fi
run 0 "train again with the same seed" train "$tmp.train.nasl" --arch "$tmp.arch.json" --quiet
again=$(sed -n 's/.*test accuracy \([0-9.]*\).*/\1/p' "$tmp.out")
if [ -n "$acc" ] && [ "$again" = "$acc" ]; then
  ok "the same seed gives the same result"
else
  fail "the same seed gives the same result (test accuracy '$acc', then '$again')"
  sed 's/^/# first: /' "$tmp.train.out"
fi
# nan_first FILE OUT: OUT is FILE with the first float of its first tensor set to NaN
nan_first() {
  /usr/bin/env python3 - "$1" "$2" <<'PY'
import json, struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
first = min(v["data_offsets"][0] for k, v in h.items() if k != "__metadata__")
struct.pack_into("<f", b, 8 + n + first, float("nan"))
open(sys.argv[2], "wb").write(b)
PY
}
run 0 "eval the saved weights" eval "$tmp.train.nasl" --arch "$tmp.run/arch.json" --weights "$tmp.run/weights.safetensors"
has "$tmp.out" "test accuracy $acc" "eval reproduces the test accuracy of training"
nan_first "$tmp.run/weights.safetensors" "$tmp.nan.safetensors"
run 4 "eval of weights holding a NaN" eval "$tmp.train.nasl" --arch "$tmp.run/arch.json" --weights "$tmp.nan.safetensors"
says_like "naslc: $tmp.nan.safetensors: weight '[a-z0-9_.]+' holds a value that is not finite \\(NaN or infinity\\); these weights cannot be evaluated" "the weight is named"
# every weight 3e38: finite, but the logits overflow; the loss is not a number to report
/usr/bin/env python3 - "$tmp.run/weights.safetensors" "$tmp.huge.safetensors" <<'PY'
import json, struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
for k, v in h.items():
    if k != "__metadata__":
        for o in range(v["data_offsets"][0], v["data_offsets"][1], 4):
            struct.pack_into("<f", b, 8 + n + o, 3e38)
open(sys.argv[2], "wb").write(b)
PY
run 4 "eval of weights of 3e38" eval "$tmp.train.nasl" --arch "$tmp.run/arch.json" --weights "$tmp.huge.safetensors"
says "naslc: the test loss is not finite (NaN): the network's values overflow with these weights" "the overflow is said, not a loss of 0"
run 3 "eval with missing weights" eval "$tmp.train.nasl" --arch "$tmp.arch.json" --weights "$tmp.none"
run 2 "eval of a space with decisions needs --arch" eval "$tmp.train.nasl" --weights "$tmp.run/weights.safetensors"
says "naslc: space 's' has 5 decisions; name an architecture with --arch A.json (a record from 'naslc sample')" "the missing --arch is explained"
run 0 "show a fixed network from its .nasl file" show examples/fashion_reference.nasl
has "$tmp.out" "parameters: 65834" "the fixed network is shown without a record"
run 0 "show a record" show "$tmp.run/arch.json"
has "$tmp.out" "parameters:" "show gives the parameter count"
run 0 "show --dot" show "$tmp.run/arch.json" --dot
has "$tmp.out" "digraph architecture" "show --dot writes Graphviz"
if command -v dot > /dev/null; then
  if dot -Tpng "$tmp.out" -o "$tmp.png" 2> "$tmp.err" && [ -s "$tmp.png" ]; then ok "the drawing renders with dot -Tpng"; else fail "the drawing renders with dot -Tpng"; fi
else
  n=$((n + 1)); echo "ok $n # SKIP graphviz is not installed"
fi
printf 'not json' > "$tmp.bad.json"
run 3 "train with a broken record" train "$tmp.train.nasl" --arch "$tmp.bad.json"
says "naslc: '$tmp.bad.json' is not an architecture record (at byte 0: unexpected 'n'); records come from 'naslc sample'" "a broken record is explained"
"$NASLC" sample examples/cnn_v1.nasl --seed 1 > "$tmp.v1.json"
run 3 "a record of another space" show examples/quickstart.nasl --arch "$tmp.v1.json"
says "naslc: '$tmp.v1.json' does not fit space 'quick': token 3 of layer[0].conv2d.filters is out of range 0..2" "its message"
printf '{"tokens":[1e300]}\n' > "$tmp.huge.json"
run 3 "a record whose token is not an integer" show examples/quickstart.nasl --arch "$tmp.huge.json"
says "naslc: '$tmp.huge.json' is not an architecture record (token 1 is not an integer); records come from 'naslc sample'" "its message"
sed "s|$tmp.data|$tmp.nodata|" "$tmp.train.nasl" > "$tmp.nodata.nasl"
run 3 "train with missing data" train "$tmp.nodata.nasl" --arch "$tmp.arch.json"
says_line "naslc: $tmp.nodata: cannot open the data set directory (No such file or directory), looked for train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz] there; pass a directory in the MNIST layout (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz])" "the missing data directory is named"
printf 'garbage' | gzip > "$tmp.data/t10k-labels-idx1-ubyte.gz"
run 3 "train with a corrupt data file" train "$tmp.train.nasl" --arch "$tmp.arch.json"
says_line "naslc: $tmp.data/t10k-labels-idx1-ubyte.gz: wrong magic number 0x67617262 (not an IDX file), expected 0x00000801 for IDX unsigned-byte labels; check that the path names an MNIST-style labels file" "the corrupt file is named"

# ---- training and test files that do not fit together or the declaration ----
# idx_set DIR PREFIX N SIDE [INDEX LABEL]: N images of SIDE x SIDE, gzipped,
# labels i % 4 except label LABEL at item INDEX
idx_set() {
  mkdir -p "$1"
  /usr/bin/env python3 - "$@" <<'PY'
import gzip, struct, sys
d, prefix, n, side = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
labels = bytearray(i % 4 for i in range(n))
if len(sys.argv) > 6:
    labels[int(sys.argv[5])] = int(sys.argv[6])
with gzip.open(f"{d}/{prefix}-images-idx3-ubyte.gz", "wb") as f:
    f.write(struct.pack(">IIII", 0x803, n, side, side) + bytes(i % 251 for i in range(n * side * side)))
with gzip.open(f"{d}/{prefix}-labels-idx1-ubyte.gz", "wb") as f:
    f.write(struct.pack(">II", 0x801, n) + bytes(labels))
PY
}
idx_set "$tmp.side" train 200 8
idx_set "$tmp.side" t10k 50 4
sed "s|$tmp.data|$tmp.side|" "$tmp.train.nasl" > "$tmp.side.nasl"
run 3 "a test set of another image size" train "$tmp.side.nasl" --arch "$tmp.arch.json" --quiet
says "naslc: $tmp.side/t10k-images-idx3-ubyte.gz: images are 4x4, the training images ($tmp.side/train-images-idx3-ubyte.gz) are 8x8; the test set must hold images of the training set's size" "both files and sizes are named"
idx_set "$tmp.label" train 200 8
idx_set "$tmp.label" t10k 50 8 17 200
sed "s|$tmp.data|$tmp.label|" "$tmp.train.nasl" > "$tmp.label.nasl"
run 3 "a test label outside the declared classes" train "$tmp.label.nasl" --arch "$tmp.arch.json" --quiet
says "naslc: $tmp.label/t10k-labels-idx1-ubyte.gz: label 200 at item 17 is outside the 4 classes of the data set (labels 0..3); the labels do not belong to it, or it has more classes: declare them with 'classes: N' in its loader call" "the label, its item and the classes are named"
run 3 "eval checks the test labels too" eval "$tmp.label.nasl" --arch "$tmp.run/arch.json" --weights "$tmp.run/weights.safetensors"
idx_set "$tmp.label" train 200 8 5 4
run 3 "a training label outside the declared classes" train "$tmp.label.nasl" --arch "$tmp.arch.json" --quiet
says "naslc: $tmp.label/train-labels-idx1-ubyte.gz: label 4 at item 5 is outside the 4 classes of the data set (labels 0..3); the labels do not belong to it, or it has more classes: declare them with 'classes: N' in its loader call" "its message"
sed "s|$tmp.data\", classes: 4|$tmp.side\"|" "$tmp.train.nasl" > "$tmp.ten.nasl"
idx_set "$tmp.side" t10k 50 8 17 9
run 0 "without 'classes', an IDX dataset has 10" train "$tmp.ten.nasl" --arch "$tmp.arch.json" --epochs 1
has "$tmp.err" "100 training, 100 validation, 50 test images of 1x8x8, 10 classes" "the network has 10 outputs"
"$NASLC" sample "$tmp.ten.nasl" --seed 4 > "$tmp.ten.json"
run 0 "show takes the classes from the declaration too" show "$tmp.ten.json"
has "$tmp.out" "dense(units: 10)" "the head's dense has the declared 10 outputs"
sed 's/classes: 4/classes: 3/' "$tmp.train.nasl" > "$tmp.three.nasl"
"$NASLC" sample "$tmp.three.nasl" --seed 4 > "$tmp.three.json"
run 0 "show a space of 3 classes" show "$tmp.three.json"
has "$tmp.out" "dense(units: 3)" "the head's dense has 3 outputs"

# ---- the search: runs, kill -9 in the middle, resume, report ----
sed 's/search reinforce {/search reinforce { batch: 4; samples: 40; seed: 5;/' "$tmp.train.nasl" > "$tmp.search.nasl"
/usr/bin/env python3 - "$tmp.data" <<'PY'
import gzip, random, struct, sys
d = sys.argv[1]
rnd = random.Random(2)
n = 200
labels = bytes(rnd.randrange(4) for _ in range(n))
with gzip.open(f"{d}/t10k-labels-idx1-ubyte.gz", "wb") as f:
    f.write(struct.pack(">II", 0x801, n) + labels)
PY
run 0 "a search that is never stopped" run "$tmp.search.nasl" --dir "$tmp.whole" --threads 1 --quiet
has "$tmp.out" "samples 40," "the search draws its 40 samples"
grep '^samples' "$tmp.out" > "$tmp.whole.summary"
has "$tmp.out" "best architecture's test accuracy" "the best child's test accuracy is printed"
"$NASLC" run "$tmp.search.nasl" --dir "$tmp.killed" --threads 1 --quiet > /dev/null 2>&1 &
pid=$!
i=0 # kill it once a few children are logged, in the middle of whatever it does
while [ "$(cat "$tmp.killed/log.jsonl" 2> /dev/null | wc -l)" -lt 6 ] && [ "$i" -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
kill -9 "$pid" 2> /dev/null
wait "$pid" 2> /dev/null
killed_at=$(wc -l < "$tmp.killed/log.jsonl")
# on a loaded machine the run may end before the kill lands: then there is
# nothing to resume from the middle, which is a skip, not a failure
if [ "$killed_at" -lt 40 ]; then ok "killed with $killed_at of 40 children logged"; else n=$((n + 1)); echo "ok $n # SKIP the run ended before the kill landed"; fi
wait "$pid" 2> /dev/null
run 0 "resume after kill -9" run "$tmp.search.nasl" --resume "$tmp.killed" --threads 1 --quiet
strip() { sed 's/"seconds":[0-9.]*,//' "$1"; }
if [ "$(strip "$tmp.whole/log.jsonl")" = "$(strip "$tmp.killed/log.jsonl")" ]; then
  ok "killed and resumed, the log equals the run never stopped"
else
  fail "killed and resumed, the log equals the run never stopped"
  diff "$tmp.whole/log.jsonl" "$tmp.killed/log.jsonl" | head -5 | sed 's/^/# /'
fi
if grep -qxF -f "$tmp.whole.summary" "$tmp.out"; then ok "the resumed run's summary counts every child, as the run never stopped"; else fail "the resumed run's summary counts every child, as the run never stopped"; fi
# ---- a run directory is used by one process at a time ----
# The holder here is flock(1) standing in for a naslc in the middle of a run
# (it takes the same lock and writes a process id, 4242): no timing involved.
if grep -qx '[0-9][0-9]*' "$tmp.whole/lock"; then ok "a run leaves its process id in DIR/lock"; else fail "a run leaves its process id in DIR/lock"; fi
cp -r "$tmp.whole" "$tmp.busy"
flock "$tmp.busy/lock" sh -c 'echo 4242 > "$1"; while [ ! -e "$2" ]; do sleep 0.05; done' sh "$tmp.busy/lock" "$tmp.release" &
holder=$!
while [ "$(cat "$tmp.busy/lock" 2> /dev/null)" != 4242 ] && kill -0 "$holder" 2> /dev/null; do sleep 0.05; done
run 3 "a second process on a run directory in use" run "$tmp.search.nasl" --resume "$tmp.busy" --threads 1 --quiet
says "naslc: '$tmp.busy' is in use by another naslc (process 4242); wait for it to end, or stop it first" "it is refused, with the holder named"
touch "$tmp.release"
wait "$holder" 2> /dev/null
# Two real searches on one directory: a run that cannot end during the test
# (a million samples) holds it; each wait is for a state (the lock naming the
# holder and a logged child), never for a time.
sed 's/samples: 40;/samples: 1000000;/' "$tmp.search.nasl" > "$tmp.long.nasl"
hold() { # DIR: starts a long run or resume on DIR in the background ($held)
  if [ -d "$1" ]; then set -- --resume "$1"; else set -- --dir "$1"; fi
  env --default-signal=INT "$NASLC" run "$tmp.long.nasl" "$@" --threads 1 --quiet > "$tmp.held.out" 2> "$tmp.held.err" &
  held=$!
  while { [ "$(cat "$2/lock" 2> /dev/null)" != "$held" ] || [ "$(wc -l < "$2/log.jsonl" 2> /dev/null || echo 0)" -lt 2 ]; } &&
    kill -0 "$held" 2> /dev/null; do sleep 0.05; done
}
stop_held() { # SIGNAL: sends it to $held, waits, leaves its exit status and messages as a command's
  kill -0 "$held" 2> /dev/null || echo "# the held run (process $held) had ended before SIG$1 was sent"
  kill -"$1" "$held"; wait "$held"; got=$?
  cp "$tmp.held.out" "$tmp.out"; cp "$tmp.held.err" "$tmp.err"
  if [ "$got" -eq 6 ]; then ok "SIG$1 stops the run (exit 6)"; else echo "# exit $got"; fail "SIG$1 stops the run (exit 6)"; fi
}
hold "$tmp.two"
run 3 "two runs at once on one directory: the second" run "$tmp.long.nasl" --dir "$tmp.two" --threads 1 --quiet
says "naslc: '$tmp.two' is in use by another naslc (process $held); wait for it to end, or stop it first" "the second run is refused, the first named"
stop_held TERM
says_like "stopped at sample [0-9]+; continue with: naslc run $tmp.long.nasl --resume $tmp.two" "it says how to continue"
says_line "naslc: stopping after the child in flight; the same signal again stops at once" "it says what it does on the signal"
hold "$tmp.two"
run 3 "two resumes at once: the second" run "$tmp.long.nasl" --resume "$tmp.two" --threads 1 --quiet
says "naslc: '$tmp.two' is in use by another naslc (process $held); wait for it to end, or stop it first" "the second resume is refused, the first named"
stop_held HUP
hold "$tmp.two"
stop_held INT
lines=$(wc -l < "$tmp.two/log.jsonl") whole=$(wc -l < "$tmp.whole/log.jsonl")
[ "$lines" -lt "$whole" ] || lines=$whole # compared as far as both go
strip "$tmp.two/log.jsonl" | head -n "$lines" > "$tmp.two.log"
strip "$tmp.whole/log.jsonl" | head -n "$lines" > "$tmp.whole.head"
if [ "$lines" -ge 2 ] && cmp -s "$tmp.two.log" "$tmp.whole.head"; then
  ok "stopped by three signals and resumed twice, the log is the uninterrupted run's"
else
  fail "stopped by three signals and resumed twice, the log is the uninterrupted run's"
fi
# ---- damage in the middle of a log is not what a crash leaves: nothing is cut ----
cp -r "$tmp.whole" "$tmp.mid"
sed -i '3a\\' "$tmp.mid/log.jsonl"
cp "$tmp.mid/log.jsonl" "$tmp.mid.before"
run 3 "resume with a blank line in the middle of the log" run "$tmp.search.nasl" --resume "$tmp.mid" --threads 1 --quiet
says "naslc: $tmp.mid/log.jsonl:4: the line is damaged, and it is not the last one (a crash damages only the last); the log is left untouched: repair or remove that line, then resume" "the line is named"
if cmp -s "$tmp.mid/log.jsonl" "$tmp.mid.before"; then ok "the log is left as it was"; else fail "the log is left as it was"; fi
cp -r "$tmp.whole" "$tmp.ckpt"
sed -i 's/"samples":"40"/"samples":"-8"/' "$tmp.ckpt/checkpoint.safetensors"
run 3 "resume from a checkpoint with a negative sample count" run "$tmp.search.nasl" --resume "$tmp.ckpt" --threads 1 --quiet
says "naslc: $tmp.ckpt/checkpoint.safetensors: the checkpoint's 'samples' is damaged ('-8'); the run cannot be resumed from it" "it is refused with the field named"
cp -r "$tmp.whole" "$tmp.nanckpt"
nan_first "$tmp.whole/checkpoint.safetensors" "$tmp.nanckpt/checkpoint.safetensors"
run 3 "resume from a checkpoint whose controller holds a NaN" run "$tmp.search.nasl" --resume "$tmp.nanckpt" --threads 1 --quiet
says_like "naslc: $tmp.nanckpt/checkpoint.safetensors: '[a-z0-9_.]+' holds a value that is not finite; the run cannot be resumed from it" "it is refused"
run 2 "--seed with --resume" run "$tmp.search.nasl" --resume "$tmp.whole" --seed 3
says "naslc: run: --seed starts a new run; a resumed run keeps the seed in its checkpoint
run 'naslc --help' for usage" "it is refused, not ignored"
run 3 "an empty --dir" run "$tmp.search.nasl" --dir "" --threads 1 --quiet
says_line "naslc: cannot create the run directory '': No such file or directory" "its message"
cp -r "$tmp.whole" "$tmp.neg"
sed -i '2s/"sample":1,/"sample":-1,/' "$tmp.neg/log.jsonl"
run 3 "resume with a negative sample number in the log" run "$tmp.search.nasl" --resume "$tmp.neg" --threads 1 --quiet
says "naslc: $tmp.neg/log.jsonl:2: the line is damaged, and it is not the last one (a crash damages only the last); the log is left untouched: repair or remove that line, then resume" "it is refused, not written out of bounds"
run 2 "run into an existing run directory" run "$tmp.search.nasl" --dir "$tmp.whole" --quiet
says "naslc: '$tmp.whole' already holds a run; resume it with --resume $tmp.whole or choose another --dir" "an existing run is not overwritten"
run 0 "report" report "$tmp.whole"
has "$tmp.out" "architectures evaluated" "the report counts the children"
if grep -q "<polyline" "$tmp.whole/report.svg" 2> /dev/null; then ok "the report draws report.svg"; else fail "the report draws report.svg"; fi
run 0 "show the best architecture" show "$tmp.whole/best.json"
run 3 "report of a directory without a run" report "$tmp.data"
sed 's/search reinforce {/search random { batch: 1; samples: 6; seed: 5; /; s/reward: max(valid_accuracy, last: 2) ^ 3 }/}/' "$tmp.train.nasl" > "$tmp.random.nasl"
run 0 "random search through the same loop" run "$tmp.random.nasl" --dir "$tmp.random" --threads 1 --quiet
# the exit status says what failed, whatever the message's words
: > "$tmp.file"
run 3 "a run directory that cannot be created (under a folder named reward)" run "$tmp.random.nasl" --dir "$tmp.file/reward/run" --quiet
says_line "naslc: cannot create the run directory '$tmp.file/reward/run': Not a directory" "its message"
# a reward that is not finite is drawn at the edge of the plot, not at NaN
mkdir -p "$tmp.inf" && sed '2s/"reward":[^,]*,/"reward":1e999,/' "$tmp.whole/log.jsonl" > "$tmp.inf/log.jsonl"
run 0 "report of a log with an infinite reward" report "$tmp.inf"
if ! grep -q '1e999' "$tmp.inf/log.jsonl" || grep -q 'nan\|inf' "$tmp.inf/report.svg"; then fail "report.svg has only finite coordinates"; else ok "report.svg has only finite coordinates"; fi

# ---- the operation registry and the stdlib agree, or the compiler says so ----
mkdir -p "$tmp.std" && cp "$top_srcdir"/stdlib/*.nasl "$tmp.std/"
printf 'op gelu : activation "x * Phi(x)"\n' >> "$tmp.std/activations.nasl"
run 1 "a stdlib declaration without a registry entry" --stdlib "$tmp.std" check examples/quickstart.nasl
says "$tmp.std/activations.nasl:12:4: error: the standard library declares 'gelu' but naslc has no implementation of it; add its entry to the operation registry (nasl-stdlib(7), ADDING AN OPERATION)
   12 | op gelu : activation \"x * Phi(x)\"
      |    ^~~~
1 error, 0 warnings" "its message"

echo "1..$n"
[ "$failed" -eq 0 ]

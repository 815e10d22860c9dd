#!/bin/sh
# cli.sh: the naslc command line (TAP): exit codes, messages, output formats.
: "${NASLC:=../naslc}"
: "${top_srcdir:=.}"
cd "$top_srcdir" || exit 1
tmp=${TMPDIR:-/tmp}/naslc-cli.$$
trap 'rm -rf "$tmp" "$tmp".*' EXIT
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; sed 's/^/# /' "$tmp.out" "$tmp.err" 2>/dev/null | head -20; }
# run EXPECTED_STATUS DESCRIPTION ARGS...: runs naslc, checks the exit status
run() {
  want=$1; what=$2; shift 2
  "$NASLC" "$@" > "$tmp.out" 2> "$tmp.err"
  got=$?
  if [ "$got" -eq "$want" ]; then ok "$what (exit $want)"; else echo "# exit $got"; fail "$what (exit $want)"; fi
}
# has FILE TEXT DESCRIPTION: the file contains the text
has() { if grep -qF -- "$2" "$1"; then ok "$3"; else fail "$3"; fi; }
json_ok() { # each line of FILE parses as JSON
  /usr/bin/env python3 -c 'import json,sys
for line in open(sys.argv[1]): json.loads(line)' "$1" 2>> "$tmp.err"
}

run 2 "no arguments prints usage" ; has "$tmp.err" "usage: naslc COMMAND FILE" "usage names the form"
run 0 "--help" --help ; has "$tmp.out" "naslc sample" "help lists the sample command"
has "$tmp.out" "exit status: 0 ok, 1 the file has errors, 2 bad command line, 3 a file cannot be read" "help gives the exit codes"
run 0 "--version" --version ; has "$tmp.out" "naslc 0." "version printed"
run 2 "a misspelt command" chek examples/quickstart.nasl
has "$tmp.err" "naslc: unknown command 'chek'; did you mean 'check'?" "misspelt command gets a suggestion"
run 2 "an unknown option" check --frobnicate examples/quickstart.nasl
has "$tmp.err" "naslc: unknown option '--frobnicate'" "unknown option named"
run 2 "check without a file" check ; has "$tmp.err" "'check' needs a .nasl file" "missing file argument named"
run 2 "a bad -n" sample examples/quickstart.nasl -n many
has "$tmp.err" "naslc: -n expects an integer in 0..100000000, not 'many'" "bad number explained"
run 2 "-n without a value" sample examples/quickstart.nasl -n
run 2 "--json on check" check examples/quickstart.nasl --json
has "$tmp.err" "an option given does not apply to 'check'" "inapplicable option explained"
run 2 "two files" check examples/quickstart.nasl examples/cnn_v1.nasl
run 3 "a missing file" check no/such/space.nasl
has "$tmp.err" "naslc: cannot read 'no/such/space.nasl': No such file or directory" "missing file named with the reason"
run 3 "a directory given as the file" check examples
has "$tmp.err" "Is a directory" "directory rejected with the reason"
printf 'space s { layer { conv2 } }\n' > "$tmp.bad.nasl"
run 1 "an invalid file" check "$tmp.bad.nasl"
has "$tmp.err" ":1:19: error: unknown operation 'conv2'; did you mean 'conv2d'?" "diagnostic with file:line:col"
run 1 "an invalid file with tokens" tokens "$tmp.bad.nasl"
run 1 "an invalid file with sample" sample "$tmp.bad.nasl"
run 1 "a missing stdlib" --stdlib /no/such/dir check examples/quickstart.nasl
has "$tmp.err" "cannot read the stdlib '/no/such/dir/std.nasl'" "missing stdlib explained"

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
run 0 "sample the NAS-Bench-201 space" sample examples/nb201.nasl -n 3
has "$tmp.out" '"string":"|' "cells carry their NAS-Bench-201 string"
run 0 "sample the NAS-RNN space" sample examples/nas_rnn.nasl
has "$tmp.out" '"inject":{"combine":' "tree cells record the injection"
run 0 "sample a fixed cell" sample examples/lstm_cell.nasl
has "$tmp.out" '"memory":"c_new"' "fixed cells record their memory node"
run 0 "sample zero architectures" sample examples/quickstart.nasl -n 0
if [ ! -s "$tmp.out" ]; then ok "-n 0 prints nothing"; else fail "-n 0 prints nothing"; fi

echo "1..$n"
[ "$failed" -eq 0 ]

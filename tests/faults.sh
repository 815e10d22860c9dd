#!/bin/sh
# faults.sh: write faults (TAP). tests/faultfs.so, preloaded into naslc,
# makes one file-system call fail on purpose: an open for writing, a write,
# an fsync, a rename or a mkdir, with ENOSPC, EIO or EROFS. A counting run
# of each command first learns how many such calls it makes on its files;
# then every one of them is made to fail in turn, and each time naslc must
# exit with status 3, say on standard error which file failed and why, not
# crash, and leave what was there before readable:
#   run           the run resumes (or, failed before its first checkpoint,
#                 starts again) and ends with the log, checkpoint and
#                 best.json of a run that never failed
#   train --save  the directory holds the whole old model, or (only when the
#                 last directory sync failed) the whole new one
#   report        report.svg is the old plot, or (the same case) the new one
# Skipped when the shim cannot be preloaded (naslc built with a sanitizer,
# which must come first in LD_PRELOAD, or a naslc that ignores it).
: "${NASLC:=../naslc}"
: "${top_srcdir:=.}"
: "${abs_top_builddir:=$(cd "$(dirname "$NASLC")" && pwd)}"
cd "$top_srcdir" || exit 1
tmp=${TMPDIR:-/tmp}/naslc-faults.$$
trap 'rm -rf "$tmp" "$tmp".*' EXIT
. "$top_srcdir/tests/tap.sh"
shim=$abs_top_builddir/tests/faultfs.so

skip_all() { echo "1..0 # SKIP $1"; exit 0; }
[ -r "$shim" ] || skip_all "the fault shim $shim is not built"
if ldd "$NASLC" 2> /dev/null | grep -q 'lib[at]san'; then
  skip_all "naslc is built with a sanitizer, which must come first in LD_PRELOAD"
fi

# faulty DIR OP N ERRNO ARGS...: naslc ARGS with the Nth call of kind OP on
# the files under DIR failing with ERRNO (OP "none": counting only); the
# status in $got, the counts in $tmp.count
faulty() {
  fdir=$1 fop=$2 fat=$3 ferr=$4
  shift 4
  rm -f "$tmp.count"
  FAULT_DIR=$fdir FAULT_OP=$fop FAULT_AT=$fat FAULT_ERRNO=$ferr FAULT_COUNT=$tmp.count LD_PRELOAD=$shim \
    "$NASLC" "$@" > "$tmp.out" 2> "$tmp.err"
  got=$?
}
# count KIND: how many calls of that kind the last faulty run made
count() { sed -n "s/^$1 //p" "$tmp.count" 2> /dev/null; }
# the error of the Nth fault, in turn
errno_of() { case $(($1 % 3)) in 0) echo ENOSPC ;; 1) echo EIO ;; *) echo EROFS ;; esac; }
reason_of() { case $1 in ENOSPC) echo "No space left on device" ;; EIO) echo "Input/output error" ;; *) echo "Read-only file system" ;; esac; }
# reported ERRNO: the last faulty run hit its fault, exited with status 3
# without a crash, and one line of its standard error starts with "naslc: "
# and names the file that failed (its last component) and the reason;
# otherwise $why says what went wrong
reported() {
  why=
  file=$(sed -n 's/^fired [a-z]* \([^ ]*\).*/\1/p' "$tmp.count" 2> /dev/null)
  if [ -z "$file" ]; then why="the fault was not reached"; return 1; fi
  if [ "$got" -ge 128 ] || grep -q 'Sanitizer\|runtime error' "$tmp.err"; then why="it crashed (exit $got)"; return 1; fi
  if [ "$got" -ne 3 ]; then why="exit $got, not 3"; return 1; fi
  base=$(basename "$file")
  if ! grep '^naslc: ' "$tmp.err" | grep -F -- "$base" | grep -qF -- "$(reason_of "$1")"; then
    why="no message names $base and says '$(reason_of "$1")'"
    return 1
  fi
}
strip() { sed 's/"seconds":[0-9.]*,//' "$1"; }

# ---- naslc run: a search against a reward table (no training: fast) ----
awk 'BEGIN { split("none skip_connect nor_conv_1x1", o, " "); print "ArchitectureString,acc"
  for (a = 1; a <= 3; a++) for (b = 1; b <= 3; b++) for (c = 1; c <= 3; c++) {
    k++; printf "|%s~0|+|%s~0|%s~1|,%d.%d\n", o[a], o[b], o[c], 50 + (k * 37) % 41, k % 10 } }' > "$tmp.csv"
cat > "$tmp.nasl" <<NASL
cell c { dag { nodes: 3; edges: all; ops: [none, skip_connect, nor_conv_1x1] } }
search reinforce {
  controller: lstm(layers: 1, hidden: 8)
  batch: 2
  samples: 8
  evaluator: table(file: "$tmp.csv", column: "acc")
  reward: table
  seed: 3
}
NASL
mkdir -p "$tmp.ref"
run 0 "a search that never fails (the reference)" run "$tmp.nasl" --dir "$tmp.ref/run" --quiet
faulty "$tmp.w" none 0 EIO run "$tmp.nasl" --dir "$tmp.w/run" --quiet
if [ "$(count write)" -gt 0 ] 2> /dev/null; then
  ok "the shim counts the writes of a run ($(tr '\n' ' ' < "$tmp.count"))"
else
  echo "1..$((n + 1))"
  n=$((n + 1)); echo "ok $n # SKIP LD_PRELOAD has no effect on this naslc"
  exit 0
fi
strip "$tmp.ref/run/log.jsonl" > "$tmp.ref.log"
# same_run DIR: DIR ends as the reference run ended
same_run() {
  [ "$(strip "$1/log.jsonl")" = "$(cat "$tmp.ref.log")" ] && cmp -s "$1/checkpoint.safetensors" "$tmp.ref/run/checkpoint.safetensors" &&
    cmp -s "$1/best.json" "$tmp.ref/run/best.json" && [ -z "$(ls "$1" | grep '\.tmp$')" ]
}
# recovers DIR: without faults, the run in DIR goes on to the reference's end
recovers() {
  if [ -e "$1/checkpoint.safetensors" ]; then
    "$NASLC" run "$tmp.nasl" --resume "$1" --quiet > "$tmp.out" 2> "$tmp.err" || { why="the resume fails: $(cat "$tmp.err")"; return 1; }
  else
    if [ -d "$1" ]; then
      want="naslc: '$1' holds no checkpoint and no log: the run stopped before it began, so there is nothing to resume; start it again with --dir $1"
    else
      want="naslc: there is no run to resume in '$1'"
    fi
    "$NASLC" run "$tmp.nasl" --resume "$1" --quiet > "$tmp.out" 2> "$tmp.err"
    if [ $? -ne 3 ] || [ "$(cat "$tmp.err")" != "$want" ]; then
      why="a run without a checkpoint is not refused as such: $(cat "$tmp.err")"
      return 1
    fi
    "$NASLC" run "$tmp.nasl" --dir "$1" --quiet > "$tmp.out" 2> "$tmp.err" || { why="it cannot start again: $(cat "$tmp.err")"; return 1; }
  fi
  same_run "$1" || { why="after recovery the run differs from the reference"; return 1; }
}
# each_fault WHAT SETUP ARGS...: every call of every kind counted in a run of
# naslc ARGS after SETUP (which prepares $tmp.w) fails once in turn; CHECK
# (a function) judges what is left; one TAP result per kind
each_fault() {
  what=$1 setup=$2 check=$3
  shift 3
  $setup
  faulty "$tmp.w" none 0 EIO "$@"
  cp "$tmp.count" "$tmp.sites"
  for op in open write fsync rename mkdir; do
    total=$(sed -n "s/^$op //p" "$tmp.sites")
    [ "$total" -gt 0 ] || continue
    bad=0 i=1
    while [ "$i" -le "$total" ]; do
      e=$(errno_of "$i")
      $setup
      faulty "$tmp.w" "$op" "$i" "$e" "$@"
      if reported "$e" && $check; then :; else
        bad=$((bad + 1))
        echo "# $what: $op $i of $total ($e): $why"
        sed 's/^/#   /' "$tmp.err" | head -3
      fi
      i=$((i + 1))
    done
    if [ "$bad" -eq 0 ]; then ok "$what: each of $total ${op}s failing is reported and leaves a readable state"
    else n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $what: $bad of $total ${op}s failing"; fi
  done
}

fresh_run() { rm -rf "$tmp.w"; mkdir "$tmp.w"; }
check_run() { recovers "$tmp.w/run"; }
each_fault "run" fresh_run check_run run "$tmp.nasl" --dir "$tmp.w/run" --quiet

# a run stopped half way, resumed with faults
mkdir -p "$tmp.half"
"$NASLC" run "$tmp.nasl" --dir "$tmp.half/run" --samples 4 --quiet > /dev/null 2>&1
half_run() { rm -rf "$tmp.w"; mkdir "$tmp.w"; cp -r "$tmp.half/run" "$tmp.w/run"; }
each_fault "run --resume" half_run check_run run "$tmp.nasl" --resume "$tmp.w/run" --quiet

# ---- naslc report: report.svg is replaced whole or not at all ----
mkdir -p "$tmp.rep"
head -3 "$tmp.ref/run/log.jsonl" > "$tmp.rep/log.jsonl"
"$NASLC" report "$tmp.rep" > /dev/null 2>&1 && cp "$tmp.rep/report.svg" "$tmp.old.svg"
cp "$tmp.ref/run/log.jsonl" "$tmp.rep/log.jsonl"
"$NASLC" report "$tmp.rep" > /dev/null 2>&1 && cp "$tmp.rep/report.svg" "$tmp.new.svg"
if cmp -s "$tmp.old.svg" "$tmp.new.svg" || [ ! -s "$tmp.old.svg" ]; then fail "the old plot and the new one differ"; else ok "the old plot and the new one differ"; fi
old_report() { rm -rf "$tmp.w"; mkdir "$tmp.w"; cp "$tmp.rep/log.jsonl" "$tmp.w/"; cp "$tmp.old.svg" "$tmp.w/report.svg"; }
check_report() {
  if [ -n "$(ls "$tmp.w" | grep '\.tmp$')" ]; then why="a temporary file is left"; return 1; fi
  cmp -s "$tmp.w/report.svg" "$tmp.old.svg" && return 0
  if grep -q 'may not survive a crash' "$tmp.err" && cmp -s "$tmp.w/report.svg" "$tmp.new.svg"; then return 0; fi
  why="report.svg is neither the old plot nor (after a failed directory sync) the new one"
  return 1
}
each_fault "report" old_report check_report report "$tmp.w"

# ---- naslc train --save: the saved model is replaced as a set ----
mkdir -p "$tmp.data"
quads "$tmp.data" 100 40
cat > "$tmp.train.nasl" <<NASL
dataset quads = mnist(dir: "$tmp.data")
space s {
  layers 1 { conv2d(height: 3, filters: 4); relu; inputs: anchor }
  head { dense }
}
train { data: quads; valid: 20; epochs: 1; batch: 20; optimizer: sgd(lr: 0.05) }
NASL
run 0 "the old model" train "$tmp.train.nasl" --epochs 2 --save "$tmp.old/model" --threads 1 --quiet
run 0 "the new model (the reference)" train "$tmp.train.nasl" --save "$tmp.new/model" --threads 1 --quiet
if cmp -s "$tmp.old/model/weights.safetensors" "$tmp.new/model/weights.safetensors"; then fail "the old and the new weights differ"; else ok "the old and the new weights differ"; fi
# same_set DIR REF: DIR holds the three files of REF (history.json up to its timing)
same_set() {
  [ "$(ls "$1" | tr '\n' ' ')" = "arch.json history.json weights.safetensors " ] &&
    cmp -s "$1/arch.json" "$2/arch.json" && cmp -s "$1/weights.safetensors" "$2/weights.safetensors" &&
    [ "$(strip "$1/history.json")" = "$(strip "$2/history.json")" ]
}
old_model() { rm -rf "$tmp.w"; mkdir "$tmp.w"; cp -r "$tmp.old/model" "$tmp.w/model"; }
check_model() {
  if [ "$(ls "$tmp.w")" != model ]; then why="beside the model: $(ls "$tmp.w" | tr '\n' ' ')"; return 1; fi
  same_set "$tmp.w/model" "$tmp.old/model" && return 0
  if grep -q 'may not survive a crash' "$tmp.err" && same_set "$tmp.w/model" "$tmp.new/model"; then return 0; fi
  why="the directory holds neither the whole old model nor (after a failed directory sync) the whole new one"
  return 1
}
each_fault "train --save" old_model check_model train "$tmp.train.nasl" --save "$tmp.w/model" --threads 1 --quiet
FAULT_NOEXCHANGE=1
export FAULT_NOEXCHANGE
each_fault "train --save without RENAME_EXCHANGE" old_model check_model train "$tmp.train.nasl" --save "$tmp.w/model" --threads 1 --quiet
old_model
faulty "$tmp.w" none 0 EIO train "$tmp.train.nasl" --save "$tmp.w/model" --threads 1 --quiet
if [ "$got" -eq 0 ] && same_set "$tmp.w/model" "$tmp.new/model" && [ "$(ls "$tmp.w")" = model ]; then
  ok "without RENAME_EXCHANGE the new model replaces the old one whole"
else
  fail "without RENAME_EXCHANGE the new model replaces the old one whole"
fi
unset FAULT_NOEXCHANGE

echo "1..$n"
[ "$failed" -eq 0 ]

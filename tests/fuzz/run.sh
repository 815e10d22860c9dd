#!/bin/sh
# run.sh: make fuzz. Builds the harnesses (build.sh), then runs each for
# $FUZZ_SECONDS seconds of coverage-guided fuzzing, one after the other.
#
# usage: run.sh SOURCE...   (the library's sources, passed on to build.sh)
# environment: that of build.sh, and
#   FUZZ_SECONDS  seconds per harness (default 60)
#   FUZZ_ONLY     names of the harnesses to run, separated by spaces
#                 (default: every tests/fuzz/fuzz_<name>.c)
#   FUZZ_FLAGS    more libFuzzer options, e.g. -runs=1000000
# Each harness starts from its seeds (tests/fuzz/seeds/<name>, the
# directories tests/fuzz/seed-dirs names for it) and its regressions
# (tests/fuzz/regress/<name>) and adds what it finds new to the working
# corpus $FUZZ_BUILD/corpus/<name>, kept from one run to the next. Its log is
# $FUZZ_BUILD/<name>.log, the build's $FUZZ_BUILD/build.log.
#
# Output: TAP, one result per harness, e.g.
#   ok 1 - nasl: 60 s, 81234 runs, cov: 4012 ft: 15210, corpus: 1432 inputs
#   not ok 2 - arch: crash-3f2a... in fuzz-build/findings/arch/
# and "not ok 1 - build the harnesses" when the build fails. A finding
# (crash-*, leak-*, timeout-*, oom-*) is left in $FUZZ_BUILD/findings/<name>/;
# once the reader is fixed, the input goes to tests/fuzz/regress/<name>/ so
# that make check replays it. Exit 0 when every harness ran without a
# finding, 1 otherwise.
set -u
srcdir=${srcdir:-.}
builddir=${builddir:-.}
FUZZ_BUILD=${FUZZ_BUILD:-$builddir/fuzz-build}
export srcdir builddir FUZZ_BUILD
seconds=${FUZZ_SECONDS:-60}
abs_srcdir=$(cd "$srcdir" && pwd)

mkdir -p "$FUZZ_BUILD"
if ! sh "$srcdir/tests/fuzz/build.sh" "$@" > "$FUZZ_BUILD/build.log" 2>&1; then
  tail -n 30 "$FUZZ_BUILD/build.log"
  echo "not ok 1 - build the harnesses (log: $FUZZ_BUILD/build.log)"
  echo "1..1"
  exit 1
fi

names=${FUZZ_ONLY:-$(for h in "$srcdir"/tests/fuzz/fuzz_*.c; do basename "$h" .c | sed 's/^fuzz_//'; done)}
n=0
failed=0
for name in $names; do
  n=$((n + 1))
  corpus=$FUZZ_BUILD/corpus/$name
  findings=$FUZZ_BUILD/findings/$name
  log=$FUZZ_BUILD/$name.log
  mkdir -p "$corpus" "$findings"
  dirs=
  for d in seeds/$name regress/$name; do
    [ -d "$srcdir/tests/fuzz/$d" ] && dirs="$dirs $srcdir/tests/fuzz/$d"
  done
  for d in $(sed -n "s/^$name[[:space:]]\{1,\}//p" "$srcdir/tests/fuzz/seed-dirs"); do
    dirs="$dirs $srcdir/$d"
  done
  before=$(ls "$findings" | wc -l)
  top_srcdir=$abs_srcdir "$FUZZ_BUILD/fuzz_$name" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$findings/" ${FUZZ_FLAGS:-} "$corpus" $dirs > "$log" 2>&1
  rc=$?
  found=$(ls -t "$findings" | grep -E '^(crash|leak|timeout|oom)-' | head -n 1)
  stats=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  time=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log")
  cov=$(echo "$stats" | sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/cov: \1 ft: \2, corpus: \3 inputs/p')
  if [ "$rc" -eq 0 ] && [ "$(ls "$findings" | wc -l)" -eq "$before" ]; then
    echo "ok $n - $name: ${time:-?} s, ${runs:-?} runs, ${cov:-no coverage line}"
  else
    failed=$((failed + 1))
    echo "not ok $n - $name: ${found:-exit status $rc} in $findings/ (log: $log)"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz: broken promise|.*runtime error)' "$log" | head -n 5 | sed 's/^/# /'
  fi
done
echo "1..$n"
[ "$failed" -eq 0 ]

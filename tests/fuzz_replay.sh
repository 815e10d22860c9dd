#!/bin/sh
# fuzz_replay.sh: make check's part of the fuzzing. Each harness of
# tests/fuzz/ (fuzz_<name>.c), built by the ordinary compiler with the
# replay driver as tests/fuzz/replay_<name>, runs over its seeds
# (tests/fuzz/seeds/<name> and the directories tests/fuzz/seed-dirs names)
# and over every input that once made it fail (tests/fuzz/regress/<name>).
# One TAP result per harness; a failure names the input that caused it and
# shows the start of the report.
top_srcdir=${top_srcdir:-.}
build=${abs_top_builddir:-.}
export top_srcdir
n=0
failed=0
for h in "$top_srcdir"/tests/fuzz/fuzz_*.c; do
  name=$(basename "$h" .c | sed 's/^fuzz_//')
  n=$((n + 1))
  dirs=
  for d in seeds/$name regress/$name; do
    [ -d "$top_srcdir/tests/fuzz/$d" ] && dirs="$dirs $top_srcdir/tests/fuzz/$d"
  done
  for d in $(sed -n "s/^$name[[:space:]]\{1,\}//p" "$top_srcdir/tests/fuzz/seed-dirs"); do
    dirs="$dirs $top_srcdir/$d"
  done
  log=$build/tests/fuzz/replay_$name.out
  if "$build/tests/fuzz/replay_$name" $dirs > "$log" 2>&1; then
    echo "ok $n - $name: $(tail -n 1 "$log")"
  else
    failed=$((failed + 1))
    input=$(sed -n 's/^replay: //p' "$log" | tail -n 1)
    echo "not ok $n - $name: fails on ${input:-?}"
    grep -v '^replay: ' "$log" | head -n 12 | sed 's/^/# /'
  fi
done
echo "1..$n"
[ "$failed" -eq 0 ]

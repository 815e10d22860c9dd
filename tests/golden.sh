#!/bin/sh
# golden.sh: the compiler's visible behaviour against expected files (TAP).
#   tests/golden/NAME.nasl  ->  NAME.tokens   (naslc tokens, exit 0)
#   tests/errors/NAME.nasl  ->  NAME.err      (naslc check: the exact
#                               diagnostics, carets included; exit 1, or exit 0
#                               for warn_* cases)
# Paths of stdlib files in messages are written as STDLIB/... in the expected
# files. Run with UPDATE=1 to rewrite the expected files from the current
# output (then review the diff before committing).
: "${NASLC:=../naslc}"
: "${top_srcdir:=.}"
cd "$top_srcdir/tests" || exit 1
tmp=${TMPDIR:-/tmp}/naslc-golden.$$
trap 'rm -f "$tmp" "$tmp.raw"' EXIT
n=0
failed=0

report() { # ok|fail, description, expected file
  n=$((n + 1))
  if [ "$1" = ok ]; then
    echo "ok $n - $2"
  else
    failed=$((failed + 1))
    echo "not ok $n - $2"
    if [ -f "$3" ]; then diff -u "$3" "$tmp" | sed 's/^/# /' | head -40; else sed 's/^/# /' "$tmp" | head -40; fi
  fi
}

normalise() { sed "s|${NASLC_STDLIB:-/nonexistent}|STDLIB|g" ; }

# The output goes to $tmp.raw first and is normalised into $tmp afterwards,
# so that rc is naslc's own exit status: after "naslc ... | normalise" the
# shell's $? is the sed's, which is 0 whatever naslc did (and PIPESTATUS is
# bash's, not sh's, which make check runs this script with).

for f in golden/*.nasl; do
  exp=${f%.nasl}.tokens
  "$NASLC" tokens "$f" > "$tmp.raw" 2>&1
  rc=$?
  normalise < "$tmp.raw" > "$tmp"
  [ -n "$UPDATE" ] && cp "$tmp" "$exp"
  if [ "$rc" -eq 0 ] && cmp -s "$tmp" "$exp"; then
    report ok "tokens $f (exit 0)" "$exp"
  else
    echo "# exit status $rc, expected 0"
    report fail "tokens $f (exit 0)" "$exp"
  fi
done

for f in errors/*.nasl; do
  exp=${f%.nasl}.err
  "$NASLC" check --quiet "$f" 2> "$tmp.raw" > /dev/null
  rc=$?
  normalise < "$tmp.raw" > "$tmp"
  [ -n "$UPDATE" ] && cp "$tmp" "$exp"
  case $f in errors/warn_*) want=0 ;; *) want=1 ;; esac
  if [ "$rc" -eq "$want" ] && cmp -s "$tmp" "$exp"; then
    report ok "diagnostics of $f (exit $want)" "$exp"
  else
    echo "# exit status $rc, expected $want"
    report fail "diagnostics of $f (exit $want)" "$exp"
  fi
done

echo "1..$n"
[ "$failed" -eq 0 ]

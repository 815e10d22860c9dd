#!/bin/sh
# manpage.sh: the examples in nasl(5) are run, so the documentation cannot
# drift from the compiler (TAP). Every .EX/.EE block that holds a whole space
# or cell (a line starting "space " or "cell ") must pass `naslc check`; a
# block right after a roff comment line '.\" error' must be rejected instead.
: "${NASLC:=../naslc}"
: "${top_srcdir:=.}"
cd "$top_srcdir" || exit 1
tmp=${TMPDIR:-/tmp}/naslc-man.$$
mkdir -p "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT
awk -v dir="$tmp" '
  /^\.\\" error/ { want_error = 1; next }
  /^\.EX/ { inblock = 1; n++; file = sprintf("%s/ex%03d.nasl", dir, n); body = ""; start = NR; next }
  /^\.EE/ {
    if (inblock && body ~ /(^|\n)(space|cell) [A-Za-z_]/) {
      printf "%s", body > file; close(file)
      print file, (want_error ? "error" : "ok"), start > (dir "/list")
    }
    inblock = 0; want_error = 0; next
  }
  inblock {
    line = $0
    gsub(/\\e/, "\\", line); gsub(/\\-/, "-", line); gsub(/\\\(dq/, "\"", line)
    gsub(/\\\(aq/, "'"'"'", line); gsub(/\\&/, "", line); gsub(/\\\(ti/, "~", line); gsub(/\\\(ha/, "^", line)
    body = body line "\n"
  }
' man/nasl.5
n=0
failed=0
while read -r file want line; do
  n=$((n + 1))
  "$NASLC" check --quiet "$file" > "$tmp/out" 2>&1
  rc=$?
  if { [ "$want" = ok ] && [ "$rc" -eq 0 ]; } || { [ "$want" = error ] && [ "$rc" -eq 1 ]; }; then
    echo "ok $n - nasl(5) example at line $line is ${want}"
  else
    failed=$((failed + 1))
    echo "not ok $n - nasl(5) example at line $line is ${want} (exit $rc)"
    sed 's/^/# /' "$tmp/out" | head -10
  fi
done < "$tmp/list"
echo "1..$n"
[ "$n" -gt 0 ] && [ "$failed" -eq 0 ]

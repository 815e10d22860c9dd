#!/bin/sh
# install.sh: `make install` into a temporary prefix, then use what it put
# there (TAP): the installed naslc finds its stdlib without NASLC_STDLIB, the
# plug-in examples compile against the installed naslc/op.h and load, and
# `man` shows naslc(1), nasl(5) and nasl-stdlib(7) from the prefix.
# It configures and builds a second copy of the tracked sources, so it is run
# by .ci/run after the build, not by make check. Needs git, a C compiler and
# the build dependencies; man-db for the manual-page cases.
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/naslc-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; [ -f "$tmp/log" ] && tail -n 20 "$tmp/log" | sed 's/^/# /'; }
check() { what=$1; shift; if "$@" > "$tmp/log" 2>&1; then ok "$what"; else fail "$what"; fi; }

mkdir -p "$tmp/src"
if (cd "$src" && git ls-files) | tar -C "$src" -cf - -T - | tar -C "$tmp/src" -xf -; then
  ok "copy the tracked sources"
else
  fail "copy the tracked sources"; echo "1..$n"; exit 1
fi
check "configure --prefix and build" sh -c "cd '$tmp/src' && autoreconf -fi && ./configure --prefix='$prefix' && make -j2"
check "make install" sh -c "cd '$tmp/src' && make install"

unset NASLC_STDLIB
for f in bin/naslc include/naslc/op.h share/naslc/stdlib/std.nasl share/naslc/stdlib/layers.nasl \
         share/man/man1/naslc.1 share/man/man5/nasl.5 share/man/man7/nasl-stdlib.7 \
         share/naslc/examples/plugins/swish.c share/naslc/examples/plugins/sepconv.c \
         share/naslc/examples/plugins/plugins.nasl; do
  if [ -f "$prefix/$f" ]; then ok "installed $f"; else fail "installed $f"; fi
done

printf 'space s { layer { conv2d; relu } }\n' > "$tmp/tiny.nasl"
check "the installed naslc finds its stdlib without NASLC_STDLIB" "$prefix/bin/naslc" check "$tmp/tiny.nasl"
check "and samples from it" "$prefix/bin/naslc" sample "$tmp/tiny.nasl" --seed 1

mkdir -p "$tmp/plugins"
cp "$prefix/share/naslc/examples/plugins/plugins.nasl" "$tmp/plugins/"
check "swish.c compiles against the installed naslc/op.h" \
  cc -shared -fPIC -O2 -Wall -Werror -I "$prefix/include" -o "$tmp/plugins/swish.so" "$prefix/share/naslc/examples/plugins/swish.c" -lm
check "sepconv.c compiles against the installed naslc/op.h" \
  cc -shared -fPIC -O2 -Wall -Werror -I "$prefix/include" -o "$tmp/plugins/sepconv.so" "$prefix/share/naslc/examples/plugins/sepconv.c"
check "the installed plugins.nasl checks with them" "$prefix/bin/naslc" check "$tmp/plugins/plugins.nasl"
check "the installed naslc gradchecks swish" "$prefix/bin/naslc" gradcheck "$tmp/plugins/plugins.nasl" swish

if command -v man > /dev/null; then
  for page in "1 naslc:gradcheck" "5 nasl:extern op" "7 nasl-stdlib:PLUG-IN OPERATIONS"; do
    sect=${page%% *}; rest=${page#* }; name=${rest%%:*}; want=${rest#*:}
    if man -M "$prefix/share/man" "$sect" "$name" 2> "$tmp/log" | grep -q "$want"; then
      ok "man -M PREFIX/share/man $sect $name shows '$want'"
    else fail "man -M PREFIX/share/man $sect $name shows '$want'"; fi
  done
  if MANPATH="$prefix/share/man" man naslc 2> "$tmp/log" | grep -q "NAME"; then ok "MANPATH=PREFIX/share/man man naslc"; else fail "MANPATH=PREFIX/share/man man naslc"; fi
else
  for i in 1 2 3 4; do ok "man page $i # SKIP man is not installed (Debian package man-db)"; done
fi

echo "1..$n"
[ "$failed" -eq 0 ]

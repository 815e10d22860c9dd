#!/bin/sh
# build.sh: builds the fuzzing harnesses (tests/fuzz/fuzz_*.c) with clang,
# libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer, apart from the
# ordinary build. Called by run.sh (make fuzz), which passes the library's
# sources as Makefile.am lists them.
#
# usage: build.sh SOURCE...   (paths from the top of the tree; only the .c
#                              files are compiled; generated ones such as
#                              lang/parser.c are looked for in $builddir)
# environment:
#   srcdir      the source tree (default .)
#   builddir    the configured build tree holding the generated sources (.)
#   FUZZ_BUILD  where objects and harnesses go (default $builddir/fuzz-build)
#   FUZZ_CC     the compiler (default clang); it must support
#               -fsanitize=fuzzer (Debian: clang, libclang-rt-14-dev)
#   FUZZ_LIBS   the libraries to link (configure's LIBS)
# Result: $FUZZ_BUILD/fuzz_<name> for each harness. The library's objects
# are instrumented with -fsanitize=fuzzer-no-link and rebuilt only when
# their source or a header they include changed. Exit 1 on any failure.
set -eu
srcdir=${srcdir:-.}
builddir=${builddir:-.}
out=${FUZZ_BUILD:-$builddir/fuzz-build}
cc=${FUZZ_CC:-clang}
libs=${FUZZ_LIBS:-}
abs_srcdir=$(cd "$srcdir" && pwd)
mkdir -p "$out/obj"

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cflags="-g -O1 -std=gnu11 $san -I$srcdir -I$builddir -I$srcdir/include -DNASLC_STDLIB_DIR=\"$abs_srcdir/stdlib\""

# needs_build OBJECT: the object is missing, or older than a file it depends on
needs_build() {
  [ -f "$1" ] && [ -f "$1.d" ] || return 0
  for dep in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$1.d"); do
    [ "$dep" -nt "$1" ] && return 0
  done
  return 1
}

# compile SOURCE OBJECT EXTRA-FLAGS: one object (its dependencies in
# OBJECT.d), in the background, two at a time; finish waits for the last.
rebuilt=0
pids=
compile() {
  needs_build "$2" || return 0
  echo "  FUZZCC   $1"
  rebuilt=1
  $cc $cflags $3 -MMD -MF "$2.d" -c "$1" -o "$2" &
  pids="$pids $!"
  set -- $pids
  [ $# -lt 2 ] || finish
}
finish() {
  for pid in $pids; do
    wait "$pid" || { echo "build.sh: a compilation failed" >&2; exit 1; }
  done
  pids=
}

objs=
for s in "$@"; do
  case $s in *.c) ;; *) continue ;; esac
  if [ -f "$srcdir/$s" ]; then src=$srcdir/$s; else src=$builddir/$s; fi
  obj=$out/obj/$(echo "$s" | tr / _ | sed 's/\.c$/.o/')
  compile "$src" "$obj" -fsanitize=fuzzer-no-link
  objs="$objs $obj"
done
[ -n "$objs" ] || { echo "build.sh: no sources given" >&2; exit 1; }
compile "$srcdir/tests/fuzz/harness.c" "$out/obj/harness.o" -fsanitize=fuzzer-no-link
for h in "$srcdir"/tests/fuzz/fuzz_*.c; do
  compile "$h" "$out/obj/$(basename "$h" .c).o" -fsanitize=fuzzer
done
finish
if [ "$rebuilt" = 1 ] || [ ! -f "$out/libnasl_fuzz.a" ]; then
  rm -f "$out/libnasl_fuzz.a"
  ar rcs "$out/libnasl_fuzz.a" $objs
fi
for h in "$srcdir"/tests/fuzz/fuzz_*.c; do
  name=$(basename "$h" .c)
  if [ ! -f "$out/$name" ] || [ "$out/obj/$name.o" -nt "$out/$name" ] || [ "$out/obj/harness.o" -nt "$out/$name" ] || [ "$out/libnasl_fuzz.a" -nt "$out/$name" ]; then
    echo "  FUZZLD   $out/$name"
    $cc $san -fsanitize=fuzzer -o "$out/$name" "$out/obj/$name.o" "$out/obj/harness.o" "$out/libnasl_fuzz.a" $libs -lm
  fi
done

#!/bin/sh
# layers.sh: the folders are the layers, and a file may include headers only
# from its own layer and the layers below it (TAP, one result per layer).
# The table below is the rule; HACKING.md explains it. A project header is
# always included by its path from the top of the tree ("nn/tensor.h"), so
# the folder of every include can be read off the line; "../" is refused.
#
# Each line: a layer, then the layers it may include (besides itself).
# "naslc" stands for include/naslc/, the plug-in interface.
: "${top_srcdir:=.}"
cd "$top_srcdir" || exit 1

rules='
common
grammar         common
lang            common
compiler        common grammar lang
nn              common
stdlib          common grammar nn naslc
runtime/data    common grammar nn
runtime/models  common grammar nn stdlib naslc runtime/data
runtime/train   common grammar nn stdlib runtime/data runtime/models
runtime/search  common grammar nn stdlib runtime/data runtime/models runtime/train
cli             common grammar lang compiler nn stdlib runtime/data runtime/models runtime/train runtime/search
'

# layer_of PATH: the layer a file or an included header belongs to ("" when
# the path is in no layer).
layer_of() {
  case $1 in
    runtime/*/*) echo "$1" | cut -d/ -f1-2 ;;
    naslc/*) echo naslc ;;
    */*) echo "${1%%/*}" ;;
    *) echo "" ;;
  esac
}

n=0
failed=0
printf '%s\n' "$rules" | while read -r layer allowed; do
  [ -n "$layer" ] || continue
  n=$((n + 1))
  if [ ! -d "$layer" ]; then
    echo "not ok $n - layer $layer: no such folder"
    continue
  fi
  bad=$(
    for f in $(find "$layer" -maxdepth 1 -type f \( -name '*.c' -o -name '*.h' -o -name '*.l' -o -name '*.y' \) | sort); do
      case $f in lang/parser.[ch]|lang/lexer.[ch]) continue ;; esac  # generated from parser.y, lexer.l
      sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" | while read -r inc; do
        case $inc in
          ../*|*/../*) echo "$f: #include \"$inc\": relative paths hide the layer; name it from the top of the tree"; continue ;;
        esac
        to=$(layer_of "$inc")
        if [ -z "$to" ]; then
          echo "$f: #include \"$inc\": not a path from the top of the tree"
          continue
        fi
        [ "$to" = "$layer" ] && continue
        case " $allowed " in
          *" $to "*) ;;
          *) echo "$f: #include \"$inc\": $layer may not use $to (it may use: ${allowed:-nothing})" ;;
        esac
      done
    done
  )
  if [ -z "$bad" ]; then
    echo "ok $n - layer $layer includes only ${allowed:-itself}"
  else
    echo "not ok $n - layer $layer includes a layer above it"
    printf '%s\n' "$bad" | sed 's/^/# /'
  fi
done

# Every folder with C sources is in the table (a new folder needs its row).
unlisted=$(find . -path ./.git -prune -o -path ./tests -prune -o -path ./bench -prune -o -path ./examples -prune \
  -o -path ./include -prune -o -name '*.c' -print | sed 's|^\./||' | while read -r f; do
  l=$(layer_of "$f")
  printf '%s\n' "$rules" | grep -q "^$l " || printf '%s\n' "$rules" | grep -qx "$l" || echo "$f"
done | grep -v '^lang/\(parser\|lexer\)\.c$' | grep -v '^[^/]*$')
nrules=$(printf '%s\n' "$rules" | grep -c .)
if [ -z "$unlisted" ]; then
  echo "ok $((nrules + 1)) - every folder with C sources has a row in the layer table"
else
  echo "not ok $((nrules + 1)) - folders missing from the layer table"
  printf '%s\n' "$unlisted" | sed 's/^/# /'
fi
echo "1..$((nrules + 1))"

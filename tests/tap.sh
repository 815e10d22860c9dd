# tap.sh: the TAP helpers the command-line tests share. Source it after
# setting $NASLC (the binary) and $tmp (a scratch path prefix; $tmp.out and
# $tmp.err receive each command's output).
n=0
failed=0
# ok DESCRIPTION / fail DESCRIPTION: one TAP result; a failure shows the
# last command's output
ok() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; sed 's/^/# /' "$tmp.out" "$tmp.err" 2>/dev/null | head -20; }
# run EXPECTED_STATUS DESCRIPTION ARGS...: runs naslc, checks the exit status
run() {
  want=$1; what=$2; shift 2
  "$NASLC" "$@" > "$tmp.out" 2> "$tmp.err"
  got=$?
  if [ "$got" -eq "$want" ]; then ok "$what (exit $want)"; else echo "# exit $got"; fail "$what (exit $want)"; fi
}
# has FILE TEXT DESCRIPTION: the file contains the text (anywhere: for
# output, not for the messages the man pages promise word for word)
has() { if grep -qF -- "$2" "$1"; then ok "$3"; else fail "$3"; fi; }
# says TEXT DESCRIPTION: the whole of the last command's standard error, exactly
says() { printf '%s\n' "$1" > "$tmp.want"; if cmp -s "$tmp.want" "$tmp.err"; then ok "$2"; else diff "$tmp.want" "$tmp.err" | sed 's/^/# /'; fail "$2"; fi; }
# says_line TEXT DESCRIPTION: one whole line of the last command's standard
# error is TEXT, exactly (for a message among progress lines; TEXT is one line)
says_line() { if grep -qxF -e "$1" "$tmp.err"; then ok "$2"; else echo "# no line of standard error is: $1"; fail "$2"; fi; }
# says_like PATTERN DESCRIPTION: one whole line of the last command's standard
# error matches the extended regular expression PATTERN, anchored at both
# ends (for a line whose numbers legitimately vary)
says_like() { if grep -qxE -e "$1" "$tmp.err"; then ok "$2"; else echo "# no line of standard error matches ^$1\$"; fail "$2"; fi; }
# quads DIR NTRAIN NTEST: writes a small IDX data set of 8x8 images in four
# classes (a bright 3x3 square in one quadrant over noise) to DIR, gzipped:
# training images from seed 1, test images from seed 2
quads() {
  /usr/bin/env python3 - "$@" <<'PY'
import gzip, random, struct, sys
d = sys.argv[1]
def write(prefix, n, seed):
    rnd = random.Random(seed)
    images, labels = bytearray(), bytearray()
    for _ in range(n):
        k = rnd.randrange(4)
        img = [rnd.randrange(60) for _ in range(64)]
        for y in range(3):
            for x in range(3):
                img[(k // 2 * 4 + y) * 8 + k % 2 * 4 + x] = 255
        images += bytes(img)
        labels.append(k)
    with gzip.open(f"{d}/{prefix}-images-idx3-ubyte.gz", "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 8, 8) + images)
    with gzip.open(f"{d}/{prefix}-labels-idx1-ubyte.gz", "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + labels)
write("train", int(sys.argv[2]), 1)
write("t10k", int(sys.argv[3]), 2)
PY
}
# sentences FILE: writes a text corpus with structure to FILE: 1,500
# sentences from a tiny grammar, one per line (24 words; seed 3)
sentences() {
  /usr/bin/env python3 - "$1" <<'PY'
import random, sys
rnd = random.Random(3)
subj = ["the cat", "a dog", "the old man", "my sister", "the king"]
verb = ["sat on", "looked at", "walked to", "spoke to", "found"]
obj = ["the mat", "a house", "the river", "the city gate", "his brother"]
with open(sys.argv[1], "w") as f:
    for _ in range(1500):
        f.write(f"{rnd.choice(subj)} {rnd.choice(verb)} {rnd.choice(obj)}\n")
PY
}

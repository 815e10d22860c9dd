#!/bin/sh
# mpi.sh: distributed runs under mpirun (TAP). Synchronous runs with 2 and 4
# ranks write the serial run's log, best record and checkpoint (a reward
# table, then real training on a small image set); a job killed with kill -9
# resumes with another number of ranks to the same end; a worker killed, or
# stopped (a hang) under --timeout, ends the job with a message naming the
# rank and the sample, and --resume continues; workers that cannot load the
# data, or read another space, say so; the shared evaluator's search (rank 0
# trains the weights and sends them, workers judge) gives the serial run's
# log, weights and ranking; --async with it and --timeout without mpirun
# are refused. A naslc built without MPI must refuse mpirun's several ranks.
: "${NASLC:=../naslc}"
: "${top_srcdir:=.}"
cd "$top_srcdir" || exit 1
tmp=${TMPDIR:-/tmp}/naslc-mpi.$$
# mpirun starts each rank as its child, in a process group of its own:
# killall_job kills the job's ranks and mpirun itself
killall_job() { [ -n "$job" ] && kill -9 $(pgrep -P "$job") "$job" 2> /dev/null; }
trap 'killall_job; rm -rf "$tmp" "$tmp".*' EXIT
. "$top_srcdir/tests/tap.sh"
job=

mkdir -p "$tmp"
awk 'BEGIN { split("none skip_connect nor_conv_1x1 avg_pool_3x3", o, " "); print "ArchitectureString,acc"
  for (a = 1; a <= 4; a++) for (b = 1; b <= 4; b++) for (c = 1; c <= 4; c++) {
    k++; printf "|%s~0|+|%s~0|%s~1|,%d.%d\n", o[a], o[b], o[c], 40 + (k * 37) % 53, k % 10 } }' > "$tmp/table.csv"
cat > "$tmp/table.nasl" <<NASL
cell c { dag { nodes: 3; edges: all; ops: [none, skip_connect, nor_conv_1x1, avg_pool_3x3] } }
search reinforce {
  controller: lstm(layers: 1, hidden: 8)
  batch: 5
  samples: 30
  evaluator: table(file: "$tmp/table.csv", column: "acc")
  reward: table
  seed: 3
}
NASL
sed 's/search reinforce {/search random {/' "$tmp/table.nasl" > "$tmp/random.nasl"

if ! "$NASLC" --version | grep -q '^distributed runs: Open MPI'; then
  # ---- a build without MPI ----
  OMPI_COMM_WORLD_SIZE=3 OMPI_COMM_WORLD_RANK=0 "$NASLC" run "$tmp/table.nasl" --dir "$tmp/x" > "$tmp.out" 2> "$tmp.err"
  if [ $? = 2 ]; then ok "a build without MPI started with 3 ranks refuses (exit 2)"; else fail "a build without MPI started with 3 ranks refuses (exit 2)"; fi
  says "naslc: started by mpirun with 3 ranks, but this naslc was built without MPI; install Open MPI (the Debian package libopenmpi-dev) and build again, or run without mpirun" \
    "it says why and what to do"
  OMPI_COMM_WORLD_SIZE=3 OMPI_COMM_WORLD_RANK=1 "$NASLC" run "$tmp/table.nasl" --dir "$tmp/x" > "$tmp.out" 2> "$tmp.err"
  if [ $? = 2 ] && [ ! -s "$tmp.err" ]; then ok "the other ranks end quietly with the same status"; else fail "the other ranks end quietly with the same status"; fi
  run 0 "a serial run is as before" run "$tmp/table.nasl" --dir "$tmp/serial" --quiet
  n=$((n + 1)); echo "ok $n # SKIP naslc was built without MPI: distributed runs not tested"
  echo "1..$n"
  [ "$failed" = 0 ]
  exit
fi
if ! command -v mpirun > /dev/null; then
  echo "1..1"; echo "ok 1 # SKIP naslc has MPI but mpirun is not installed (openmpi-bin)"; exit 0
fi

# mpirun as this machine allows: root needs --allow-run-as-root, and more
# ranks than cores need --oversubscribe
asroot=
[ "$(id -u)" = 0 ] && asroot=--allow-run-as-root
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1
# mpi N ARGS...: mpirun -n N naslc ARGS ($job while it runs),
# output in $tmp.out and $tmp.err, status in $got
mpi() {
  k=$1; shift
  mpirun $asroot --oversubscribe -n "$k" "$NASLC" "$@" > "$tmp.out" 2> "$tmp.err" &
  job=$!
  wait $job
  got=$?
  job=
}
# mpi_ok N DESCRIPTION ARGS...: mpi, and exit status 0 as one result
mpi_ok() {
  k=$1; what=$2; shift 2
  mpi "$k" "$@"
  if [ "$got" = 0 ]; then ok "$what (exit 0)"; else echo "# exit $got"; fail "$what (exit 0)"; fi
}
# started_at N DIR K ARGS...: starts mpirun -n K naslc ARGS in the
# background ($job; output in $tmp.out and $tmp.err) and returns once
# DIR/log.jsonl holds N lines, or the job has ended, or after 5 minutes:
# it waits for lines, not for a time
started_at() {
  lines=$1; dir=$2; k=$3; shift 3
  mpirun $asroot --oversubscribe -n "$k" "$NASLC" "$@" > "$tmp.out" 2> "$tmp.err" &
  job=$!
  i=0
  while [ $i -lt 6000 ] && [ "$(cat "$dir/log.jsonl" 2> /dev/null | wc -l)" -lt "$lines" ] && kill -0 $job 2> /dev/null; do
    sleep 0.05
    i=$((i + 1))
  done
}
# kill_job: kill -9 of the whole job started by started_at
kill_job() { killall_job; wait $job 2> /dev/null; job=; sleep 0.5; }
# a_worker DIR: the process id of a worker of $job (not rank 0, whose id is in DIR/lock); empty once the job has ended
a_worker() { pgrep -P $job -x naslc | grep -vx "$(cat "$1/lock" 2> /dev/null)" | head -n 1; }
# skip_rest K WHY: K results skipped
skip_rest() { j=0; while [ $j -lt "$1" ]; do n=$((n + 1)); echo "ok $n # SKIP $2"; j=$((j + 1)); done; }
strip() { sed 's/"seconds":[0-9.]*,//' "$1"; }
# same_run A B: runs A and B ended alike (log without timings, best.json, checkpoint)
same_run() {
  [ -s "$1/log.jsonl" ] && [ "$(strip "$1/log.jsonl")" = "$(strip "$2/log.jsonl")" ] &&
    cmp -s "$1/best.json" "$2/best.json" && cmp -s "$1/checkpoint.safetensors" "$2/checkpoint.safetensors"
}
check_same() { # check_same A B DESCRIPTION
  if same_run "$1" "$2"; then ok "$3"; else diff "$1/log.jsonl" "$2/log.jsonl" | head -6 | sed 's/^/# /'; fail "$3"; fi
}

# ---- synchronous runs against a reward table ----
run 0 "the serial run (the reference)" run "$tmp/table.nasl" --dir "$tmp/t1" --quiet
mpi_ok 2 "mpirun -n 2: one worker" run "$tmp/table.nasl" --dir "$tmp/t2"
has "$tmp.err" "1 workers ready" "rank 0 counts the workers ready"
has "$tmp.err" "children evaluated by the workers" "and says who evaluates"
check_same "$tmp/t1" "$tmp/t2" "2 ranks: the serial run's log, best record and controller"
mpi_ok 4 "mpirun -n 4: three workers" run "$tmp/table.nasl" --dir "$tmp/t4" --quiet
check_same "$tmp/t1" "$tmp/t4" "4 ranks: the serial run's log, best record and controller"
if [ "$(cat "$tmp.out")" = "$("$NASLC" run "$tmp/table.nasl" --resume "$tmp/t1" 2> /dev/null | sed "s|$tmp/t1|$tmp/t4|g")" ]; then
  ok "the summary is the serial one"; else fail "the summary is the serial one"; fi
run 0 "random search, serial" run "$tmp/random.nasl" --dir "$tmp/r1" --quiet
mpi_ok 4 "random search, mpirun -n 4" run "$tmp/random.nasl" --dir "$tmp/r4" --quiet
if [ "$(strip "$tmp/r1/log.jsonl")" = "$(strip "$tmp/r4/log.jsonl")" ] && cmp -s "$tmp/r1/best.json" "$tmp/r4/best.json"; then
  ok "random search with 4 ranks: the serial log"; else fail "random search with 4 ranks: the serial log"; fi

# ---- real training: a small CNN space on a generated image set ----
mkdir -p "$tmp/data"
quads "$tmp/data" 240 80
cat > "$tmp/train.nasl" <<NASL
dataset quads = mnist(dir: "$tmp/data", classes: 4)
space s {
  layers 2 { conv2d(height: [1, 3], filters: [4, 8]); batchnorm; relu; inputs: anchor }
  head { maxpool(size: 2, stride: 2); dense }
}
train { data: quads; valid: 60; epochs: 2; batch: 20; optimizer: sgd(lr: 0.05, momentum: 0.9) }
search reinforce { batch: 3; samples: 9; seed: 4; reward: last(valid_accuracy) }
NASL
run 0 "training children: the serial run" run "$tmp/train.nasl" --dir "$tmp/c1" --threads 1 --quiet
mpi_ok 3 "training children: mpirun -n 3, one thread each" run "$tmp/train.nasl" --dir "$tmp/c3" --threads 1 --quiet
check_same "$tmp/c1" "$tmp/c3" "3 ranks: the same children, rewards, test figures and controller as the serial run"
tested=$(grep -c '"test_accuracy"' "$tmp/c3/log.jsonl")
if [ "$tested" -ge 1 ]; then ok "the children that beat the best are tested ($tested)"; else fail "the children that beat the best are tested"; fi

# children that take about a second each, for the kills below
mkdir -p "$tmp/slowdata"
quads "$tmp/slowdata" 3000 80
sed -e "s|dir: \"$tmp/data\"|dir: \"$tmp/slowdata\"|" -e 's/epochs: 2/epochs: 6/' "$tmp/train.nasl" > "$tmp/slow.nasl"
run 0 "slower children: the serial run" run "$tmp/slow.nasl" --dir "$tmp/s1" --threads 1 --quiet

# ---- kill -9 of the whole job, resumed with another number of ranks ----
# the kill comes once the log holds 3 lines (or later, or never if the run
# ends first: the checks after the resume hold wherever it lands)
started_at 3 "$tmp/k" 4 run "$tmp/slow.nasl" --dir "$tmp/k" --threads 1 --quiet
kill_job
lines=$(cat "$tmp/k/log.jsonl" 2> /dev/null | wc -l)
mpi_ok 2 "killed with $lines of 9 children logged, resumed with 2 ranks" run "$tmp/slow.nasl" --resume "$tmp/k" --threads 1 --quiet
check_same "$tmp/s1" "$tmp/k" "the resumed job ends as the serial run: nothing lost or repeated"

# ---- a worker that dies ----
# once the first child is logged, both workers are training (the next
# child of the batch goes out at once); a job that ended first is a skip
# naslc's note comes from rank 0's SIGTERM handler while mpirun tears the
# job down, and on a loaded machine mpirun can drop that last output: the
# kill is tried up to three times, on a new run directory each time
for attempt in 1 2 3; do
  rm -rf "$tmp/d"
  # mpirun gives a rank 1 s between SIGTERM and SIGKILL; 10 for this job, so
  # that rank 0's handler runs on a loaded machine too
  export OMPI_MCA_odls_base_sigkill_timeout=10
  started_at 1 "$tmp/d" 3 run "$tmp/slow.nasl" --dir "$tmp/d" --threads 1
  unset OMPI_MCA_odls_base_sigkill_timeout
  victim=$(a_worker "$tmp/d")
  if [ -z "$victim" ]; then wait $job; job=; break; fi # the run ended first: a skip below
  kill -9 "$victim" 2> /dev/null
  wait $job
  got=$?
  job=
  [ -n "$victim" ] && grep -Eq '^naslc: sample [0-9]+ in flight on rank [12] ' "$tmp.err" && break
  echo "# attempt $attempt: no note from naslc on stderr"
done
if [ -z "$victim" ]; then
  skip_rest 3 "the run ended before a worker could be killed"
else
  if [ "$got" != 0 ]; then ok "a worker killed: the job ends (exit $got)"; else fail "a worker killed: the job ends"; fi
  if grep -Eq 'rank [12] .*(exited on signal 9|Killed)|process rank [12]' "$tmp.err" "$tmp.out"; then ok "mpirun names the rank that died"
  else fail "mpirun names the rank that died"; fi
  if grep -Eq '^naslc: sample [0-9]+ in flight on rank [12] ' "$tmp.err"; then ok "naslc names the samples in flight and their ranks"
  else fail "naslc names the samples in flight and their ranks"; fi
fi
mpi_ok 3 "--resume continues" run "$tmp/slow.nasl" --resume "$tmp/d" --threads 1 --quiet
check_same "$tmp/s1" "$tmp/d" "and ends as the serial run"

# ---- a worker that hangs (stopped), under --timeout ----
# a stopped worker that is idle still gets the next batch's first child
# (the lowest idle rank is served first), which it never takes
started_at 1 "$tmp/h" 3 run "$tmp/slow.nasl" --dir "$tmp/h" --threads 1 --timeout 4
victim=$(a_worker "$tmp/h")
kill -STOP "$victim" 2> /dev/null
(sleep 120; kill -CONT "$victim") 2> /dev/null & # if the job did not end, let it
watchdog=$!
wait $job
got=$?
kill "$watchdog" 2> /dev/null
kill -9 "$victim" 2> /dev/null
job=
if [ -z "$victim" ]; then
  skip_rest 2 "the run ended before a worker could be stopped"
else
  if [ "$got" = 7 ]; then ok "a worker that does not answer in --timeout 4: the job ends (exit 7)"; else fail "a worker that does not answer in --timeout 4: the job ends (exit 7, got $got)"; fi
  says_like "naslc: rank [12] \(.+\) has not answered for sample [0-9]+ in 4 s \(--timeout\); the job ends" "the message names the rank and the sample"
fi
mpi_ok 2 "--resume continues" run "$tmp/slow.nasl" --resume "$tmp/h" --threads 1 --quiet
check_same "$tmp/s1" "$tmp/h" "and ends as the serial run"

# ---- the asynchronous mode ----
# logged: sample and staleness of each line; each sample once
samples_of() { sed 's/^{"sample":\([0-9]*\),.*/\1/' "$1/log.jsonl" | sort -n; }
mpi_ok 4 "asynchronous, 3 workers, against the table" run "$tmp/table.nasl" --dir "$tmp/a4" --async
lines=$(wc -l < "$tmp/a4/log.jsonl")
reps=$(sed -n 's/^samples 30, children evaluated [0-9]*, repeats \([0-9]*\)$/\1/p' "$tmp.out")
if [ -n "$reps" ] && [ $((lines + reps)) = 30 ] && [ "$(samples_of "$tmp/a4" | uniq | wc -l)" = "$lines" ]; then
  ok "30 samples: each logged once ($lines) or a repeat ($reps)"; else fail "30 samples: each logged once or a repeat"; fi
if [ "$(grep -c '"staleness":[0-9]' "$tmp/a4/log.jsonl")" = "$lines" ]; then ok "every line gives its staleness"
else fail "every line gives its staleness"; fi
has "$tmp.err" "distributed: 3 workers, $lines children in " "rank 0 says what the workers did and its own time per child"
run 2 "an asynchronous run resumed without mpirun" run "$tmp/table.nasl" --resume "$tmp/a4"
says_line "naslc: '$tmp/a4' holds an asynchronous run; resume it under mpirun (mpirun -n N naslc run FILE --resume $tmp/a4)" \
  "is refused with the reason"
mpi 2 run "$tmp/table.nasl" --resume "$tmp/a4" --async
if [ "$got" = 2 ]; then ok "--async with --resume is refused (exit 2)"; else fail "--async with --resume is refused (exit 2, got $got)"; fi

# kill -9 of an asynchronous job, resumed with another number of ranks
started_at 4 "$tmp/ak" 4 run "$tmp/slow.nasl" --dir "$tmp/ak" --threads 1 --async --quiet
kill_job
before=$(cat "$tmp/ak/log.jsonl" 2> /dev/null | wc -l)
mpi_ok 3 "asynchronous, killed with $before children logged, resumed with 3 ranks" run "$tmp/slow.nasl" --resume "$tmp/ak" --threads 1
lines=$(wc -l < "$tmp/ak/log.jsonl")
reps=$(sed -n 's/^samples 9, children evaluated [0-9]*, repeats \([0-9]*\)$/\1/p' "$tmp.out")
if [ -n "$reps" ] && [ $((lines + reps)) = 9 ] && [ "$(samples_of "$tmp/ak" | uniq | wc -l)" = "$lines" ] && [ "$lines" -ge "$before" ]; then
  ok "all 9 samples, none lost or logged twice ($lines logged, $reps repeats)"; else fail "all 9 samples, none lost or logged twice"; fi

# ---- refusals ----
sed "s|dir: \"$tmp/data\"|dir: \"$tmp/nowhere\"|" "$tmp/train.nasl" > "$tmp/nodata.nasl"
mpi 3 run "$tmp/nodata.nasl" --dir "$tmp/n" --quiet
if [ "$got" = 7 ]; then ok "workers without the data: the job ends (exit 7)"; else fail "workers without the data: the job ends (exit 7, got $got)"; fi
says_like "naslc: rank [12] \(.+\) is not ready: .*$tmp/nowhere.*" "each says why it is not ready"
sed 's/^cell c /cell other /' "$tmp/table.nasl" > "$tmp/other.nasl"
mpirun $asroot --oversubscribe -n 1 "$NASLC" run "$tmp/table.nasl" --dir "$tmp/o" : -n 1 "$NASLC" run "$tmp/other.nasl" --dir "$tmp/o" > "$tmp.out" 2> "$tmp.err"
got=$?
if [ "$got" = 7 ]; then ok "a worker that reads another file: the job ends (exit 7)"; else fail "a worker that reads another file: the job ends (exit 7, got $got)"; fi
says_like "naslc: rank 1 \(.+\) has space 'other', not 'c': every rank must read the same file" "the message names both spaces"
cat > "$tmp/shared.nasl" <<NASL
dataset quads = mnist(dir: "$tmp/data", classes: 4)
space s { layers 2 { conv2d(height: [1, 3], filters: [4, 8]); batchnorm; relu; inputs: anchor } head { dense } }
train { data: quads; valid: 60; batch: 20; optimizer: sgd(lr: 0.05, momentum: 0.9) }
search reinforce { batch: 4; samples: 12; seed: 2; evaluator: shared(steps: 3, valid: 40, rank: 3); reward: last(valid_accuracy) }
NASL
run 0 "the shared evaluator: the serial run" run "$tmp/shared.nasl" --dir "$tmp/sh1" --threads 1 --quiet
mpi_ok 3 "the shared evaluator under mpirun -n 3 (rank 0 trains the weights, the workers judge)" run "$tmp/shared.nasl" --dir "$tmp/sh3" --threads 1
has "$tmp.err" "shared weights: round 3, 3 steps" "rank 0 trains the shared weights in rounds"
if same_run "$tmp/sh1" "$tmp/sh3" && cmp -s "$tmp/sh1/shared-3.safetensors" "$tmp/sh3/shared-3.safetensors" &&
   [ "$(strip "$tmp/sh1/ranked.jsonl")" = "$(strip "$tmp/sh3/ranked.jsonl")" ]; then
  ok "the serial run's log, controller, shared weights and closing ranking"
else diff "$tmp/sh1/log.jsonl" "$tmp/sh3/log.jsonl" | head -6 | sed 's/^/# /'; fail "the serial run's log, controller, shared weights and closing ranking"; fi
# random search through the shared weights: batch 3 on 2 workers, so that
# grouping the samples by workers would move the rounds
sed -e 's/search reinforce { batch: 4;/search random { batch: 3;/' "$tmp/shared.nasl" > "$tmp/sharedrandom.nasl"
run 0 "random search with shared weights: the serial run" run "$tmp/sharedrandom.nasl" --dir "$tmp/sr1" --threads 1 --quiet
mpi_ok 3 "random search with shared weights under mpirun -n 3" run "$tmp/sharedrandom.nasl" --dir "$tmp/sr3" --threads 1 --quiet
if same_run "$tmp/sr1" "$tmp/sr3" && cmp -s "$tmp/sr1/shared-4.safetensors" "$tmp/sr3/shared-4.safetensors" &&
   [ "$(strip "$tmp/sr1/ranked.jsonl")" = "$(strip "$tmp/sr3/ranked.jsonl")" ]; then
  ok "random search with 2 workers: the serial run's log, shared weights and ranking"
else diff "$tmp/sr1/log.jsonl" "$tmp/sr3/log.jsonl" | head -6 | sed 's/^/# /'; fail "random search with 2 workers: the serial run's log, shared weights and ranking"; fi
# killed in the middle (the rounds made slow), resumed with another number of ranks
sed 's/steps: 3,/steps: 400,/' "$tmp/shared.nasl" > "$tmp/sharedslow.nasl"
run 0 "slower shared rounds: the serial run" run "$tmp/sharedslow.nasl" --dir "$tmp/ss1" --threads 1 --quiet
started_at 5 "$tmp/ssk" 3 run "$tmp/sharedslow.nasl" --dir "$tmp/ssk" --threads 1 --quiet
kill_job
lines=$(cat "$tmp/ssk/log.jsonl" 2> /dev/null | wc -l)
mpi_ok 2 "killed with $lines of 12 logged, resumed with 2 ranks" run "$tmp/sharedslow.nasl" --resume "$tmp/ssk" --threads 1 --quiet
if same_run "$tmp/ss1" "$tmp/ssk" && cmp -s "$tmp/ss1/shared-3.safetensors" "$tmp/ssk/shared-3.safetensors"; then
  ok "it ends as the serial run, shared weights included"; else fail "it ends as the serial run, shared weights included"; fi
mpi 2 run "$tmp/shared.nasl" --dir "$tmp/sh2" --async --quiet
if [ "$got" = 2 ]; then ok "the shared evaluator with --async is refused (exit 2)"; else fail "the shared evaluator with --async is refused (exit 2, got $got)"; fi
says_line "naslc: the shared evaluator runs distributed in the synchronous mode only; run $tmp/shared.nasl without --async" "with the reason"
run 2 "--timeout without mpirun" run "$tmp/table.nasl" --dir "$tmp/x" --timeout 5
says_line "naslc: run: --timeout is for a run under mpirun (mpirun -n N naslc run ...)" "is refused with the reason"

echo "1..$n"
[ "$failed" = 0 ]

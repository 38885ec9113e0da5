#!/bin/bash
# What `giltracer top` costs the program it watches (root, perf, pyenv 3.11.7): the contention example
# (examples/two_threads.py: two pure-Python threads, 8M additions each) and a GIL-switch storm (bench/contention.py:
# THREADS threads alternating a 4 KiB sha256, which releases the GIL, with a little pure Python, ROUNDS times each),
# each run alone and under `giltracer top -- …` (perf -p on the program from its first line; frames every second),
# interleaved, RUNS times; the program times itself, so top's own start-up is not counted. Prints the medians, the
# slowdown, and the events per second top handled during the storm with the events perf lost.
# Environment: RUNS (3), THREADS (8), ROUNDS (20000), GILTRACER (./giltracer), OUT (/tmp/giltracer-top-overhead).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-/root/.pyenv/versions/3.11.7/bin/python3.11}
RUNS=${RUNS:-3}; THREADS=${THREADS:-8}; ROUNDS=${ROUNDS:-20000}
GT=${GILTRACER:-$ROOT/giltracer}
OUT=${OUT:-/tmp/giltracer-top-overhead}
rm -rf "$OUT" && mkdir -p "$OUT"
"$GT" --version > /dev/null
TIMED='import runpy, sys, time
t = time.perf_counter()
runpy.run_path(sys.argv[1], run_name="__main__")
print(f"elapsed {time.perf_counter() - t:.3f}", file=sys.stderr)'
seconds() { sed -n 's/^elapsed \([0-9.]*\)$/\1/p; s/.*rounds: \([0-9.]*\) s$/\1/p' "$1" | tail -1; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for i in $(seq "$RUNS"); do
  "$PY" -c "$TIMED" "$ROOT/examples/two_threads.py" 2> "$OUT/contention-alone-$i.err"
  "$GT" top -q -v -- "$PY" -c "$TIMED" "$ROOT/examples/two_threads.py" 2> "$OUT/contention-top-$i.err"
  "$PY" "$ROOT/bench/contention.py" "$THREADS" "$ROUNDS" 2> "$OUT/storm-alone-$i.err"
  "$GT" top -q -v -- "$PY" "$ROOT/bench/contention.py" "$THREADS" "$ROUNDS" 2> "$OUT/storm-top-$i.err"
done
for w in contention storm; do
  alone=$(for i in $(seq "$RUNS"); do seconds "$OUT/$w-alone-$i.err"; done | median)
  top=$(for i in $(seq "$RUNS"); do seconds "$OUT/$w-top-$i.err"; done | median)
  echo "$w: alone $alone s, under top $top s (median of $RUNS): $(awk -v a="$alone" -v t="$top" 'BEGIN { printf "%.2fx", t / a }')"
done
for i in $(seq "$RUNS"); do
  s=$(seconds "$OUT/storm-top-$i.err")
  sed -n 's/^\([0-9]*\) events (\([0-9]*\) lost).*/\1 \2/p' "$OUT/storm-top-$i.err" |
    awk -v s="$s" '{ printf "storm under top, run %d: %d events in %.2f s of program: %.0f events/s handled, %d lost\n", '"$i"', $1, s, $1 / s, $2 }'
done

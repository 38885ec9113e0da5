#!/bin/bash
# GilTracer benchmark: records a real GIL storm and compares, on the same perf.data in one run,
#   perf script --ns > /dev/null            (what any text-based tool pays before parsing anything)
#   giltracer convert gil perf.data         (native perf.data reader + full analysis and outputs)
#   giltracer convert gil perf.txt          (span-based text reader + full analysis and outputs)
#   perfdata-bench count perf.data          (the perf.data reader alone)
# with wall time, CPU time and peak RSS (/usr/bin/time -v), and the traced program's run time with and
# without recording. Needs root, perf, pyenv Python 3.11.7 (or PYTHON=...), the .NET SDK.
# Environment: THREADS (8), ROUNDS per thread (70000: about 2.2M GIL events), OUT (/tmp/giltracer-bench).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-/root/.pyenv/versions/3.11.7/bin/python3.11}
THREADS=${THREADS:-8}
ROUNDS=${ROUNDS:-70000}
OUT=${OUT:-/tmp/giltracer-bench}
WORKLOAD="$ROOT/bench/contention.py"

command -v /usr/bin/time >/dev/null || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
rm -rf "$OUT" && mkdir -p "$OUT"

echo "== building (Release)"
for proj in src/GilTracer bench/PerfDataBench; do
    dotnet build -c Release -v q -nologo "$ROOT/$proj" > "$OUT/build.log" 2>&1 || { cat "$OUT/build.log" >&2; exit 1; }
done
GT="$ROOT/src/GilTracer/bin/Release/net10.0/giltracer"
[ -n "${GILTRACER:-}" ] && GT=$GILTRACER   # e.g. a Native AOT build
PDB="$ROOT/bench/PerfDataBench/bin/Release/net10.0/perfdata-bench"

# measure NAME CMD...: runs CMD under /usr/bin/time -v, stdout to $OUT/NAME.out, keeps wall s, cpu s, rss MB
declare -A WALL CPU RSS
measure() {
    local name=$1; shift
    /usr/bin/time -v -o "$OUT/$name.time" "$@" > "$OUT/$name.out" 2> "$OUT/$name.err" || { echo "bench: $name failed:" >&2; tail -3 "$OUT/$name.err" >&2; exit 1; }
    WALL[$name]=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$OUT/$name.time")
    CPU[$name]=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.2f", u + s }' "$OUT/$name.time")
    RSS[$name]=$(awk -F': ' '/Maximum resident/ { printf "%.0f", $2 / 1024 }' "$OUT/$name.time")
}
program_seconds() { sed -n 's/.*rounds: \([0-9.]*\) s.*/\1/p' "$1"; }

echo "== workload: $THREADS threads x $ROUNDS rounds (hash 4 KiB, then pure Python), $PY"
measure plain "$PY" "$WORKLOAD" "$THREADS" "$ROUNDS"
echo "== recording it with giltracer run (GIL probes only)"
measure run "$GT" run --python "$PY" -o "$OUT/run" --no-html -q "$WORKLOAD" "$THREADS" "$ROUNDS"
DATA="$OUT/run/perf.data"
read -r EVENTS LOST < <("$PDB" count "$DATA" | awk '/^events/ { print $2, $6 }')

echo "== decoding $EVENTS events ($(du -m "$DATA" | cut -f1) MB perf.data, $LOST lost)"
# the text beside perf.data (so convert finds threads.jsonl's names), with perf's EXIT records like the native reader
TEXT="$OUT/run/perf.txt"
perf script -i "$DATA" --ns --show-lost-events --show-task-events -F comm,pid,tid,cpu,time,event,trace > "$TEXT" 2>/dev/null
measure perf_script perf script -i "$DATA" --ns
measure convert_data "$GT" convert gil "$DATA" -o "$OUT/conv-data" --no-html -q
measure convert_text "$GT" convert gil "$TEXT" -o "$OUT/conv-text" --no-html -q
measure reader "$PDB" count "$DATA"

same="identical"
cmp -s "$OUT/conv-data/summary.json" "$OUT/conv-text/summary.json" || same="DIFFERENT (see $OUT/conv-*/summary.json)"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }'; }
rate() { awk -v n="$EVENTS" -v s="$1" 'BEGIN { if (s > 0) printf "%.2fM", n / s / 1e6; else print "-" }'; }
echo
printf '%-36s %9s %9s %8s %10s %12s %12s\n' "step (same perf.data, $EVENTS events)" "wall s" "cpu s" "RSS MB" "events/s" "vs perf wall" "vs perf cpu"
for n in perf_script convert_data convert_text reader; do
    case $n in
        perf_script) label="perf script --ns > /dev/null" ;;
        convert_data) label="giltracer convert gil perf.data" ;;
        convert_text) label="giltracer convert gil perf.txt" ;;
        reader) label="perf.data reader alone" ;;
    esac
    printf '%-36s %9s %9s %8s %10s %12s %12s\n' "$label" "${WALL[$n]}" "${CPU[$n]}" "${RSS[$n]}" "$(rate "${WALL[$n]}")" \
        "$(ratio "${WALL[perf_script]}" "${WALL[$n]}")" "$(ratio "${CPU[perf_script]}" "${CPU[$n]}")"
done
echo
P0=$(program_seconds "$OUT/plain.err"); P1=$(program_seconds "$OUT/run.err")
printf 'traced program: %s s alone, %s s under giltracer run (%s slower; whole run incl. decode %s s)\n' \
    "$P0" "$P1" "$(ratio "$P1" "$P0")" "${WALL[run]}"
echo "summary.json from perf.data vs from text: $same"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) (wall times are noisy on a busy machine; cpu s is steadier)"

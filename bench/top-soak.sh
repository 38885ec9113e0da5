#!/bin/bash
# Soak of `giltracer top` (outside CI; root, perf, pyenv 3.11.7): the contention example as a service
# (bench/spin_rate.py: two threads contending, iterations counted every 10 s) runs for BEFORE s alone, SOAK s under
# `giltracer top PID --metrics`, then AFTER s alone again. Every 10 s: the RSS of giltracer and of its perf, the bytes
# of the regular files either has open (perf writes to a pipe: nothing should grow) and the lost-event counter from
# /metrics. At the end: how RSS and files moved, the events lost, and the target's rate under top against its rate
# alone (the slowdown).
# Environment: SOAK (600), BEFORE (60), AFTER (60), PORT (9464), GILTRACER (./giltracer), OUT (/tmp/giltracer-soak).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-/root/.pyenv/versions/3.11.7/bin/python3.11}
SOAK=${SOAK:-600}; BEFORE=${BEFORE:-60}; AFTER=${AFTER:-60}; PORT=${PORT:-9464}
GT=${GILTRACER:-$ROOT/giltracer}
OUT=${OUT:-/tmp/giltracer-soak}
rm -rf "$OUT" && mkdir -p "$OUT"
"$GT" --version > /dev/null   # builds the launcher's binary first, if needed

"$PY" "$ROOT/bench/spin_rate.py" "$OUT/rate.txt" 10 > "$OUT/target.out" &
TARGET=$!
trap 'kill $TARGET 2>/dev/null || true' EXIT
sleep 1
echo "== target $TARGET alone for $BEFORE s"
sleep "$BEFORE"
T0=$(awk '{print $1}' /proc/uptime)
"$GT" top "$TARGET" --duration "$SOAK" --metrics "$PORT" -v > "$OUT/top.out" 2> "$OUT/top.err" &
TOP=$!
# bytes of the regular files a process has open, but for its stdout and stderr and their copies (top's own log goes
# to files here, and .NET holds duplicates of both)
filebytes() { local n=0 f own; own=" $(readlink "/proc/$1/fd/1") $(readlink "/proc/$1/fd/2") "
  for f in /proc/$1/fd/*; do [ -f "$f" ] || continue; [[ "$own" == *" $(readlink "$f") "* ]] && continue
  n=$(( n + $(stat -L -c %s "$f") )); done 2>/dev/null; echo $n; }
echo "t_s giltracer_rss_kb perf_rss_kb giltracer_file_bytes perf_file_bytes lost_events" > "$OUT/samples.txt"
sleep 5
while kill -0 "$TOP" 2>/dev/null; do
  PERF=$(pgrep -P "$TOP" -x perf | head -1 || true)
  rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
  LOST=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^giltracer_lost_events_total/ {print $2}')
  T=$(awk -v t0="$T0" '{printf "%.0f", $1 - t0}' /proc/uptime)
  [ -n "$PERF" ] && [ "$T" -lt 20 ] && ls -l "/proc/$PERF/fd/1" > "$OUT/perf-stdout.txt" 2>&1
  echo "$T $(rss "$TOP") $(rss "${PERF:-0}") $(filebytes "$TOP") $(filebytes "${PERF:-0}") ${LOST:-?}" >> "$OUT/samples.txt"
  sleep 10
done
wait "$TOP" && echo "== top exited 0" || echo "== top exited $?"
echo "== target alone for $AFTER s"
sleep "$AFTER"
kill $TARGET

echo "== samples ($OUT/samples.txt): first, last, min and max"
awk 'NR == 2 { f = $0 } NR > 1 { l = $0; for (i = 2; i <= 6; i++) { if (NR == 2 || $i < mn[i]) mn[i] = $i; if (NR == 2 || $i > mx[i]) mx[i] = $i } }
     END { print "first: " f; print "last:  " l
           print "giltracer RSS " mn[2] "-" mx[2] " kB, perf RSS " mn[3] "-" mx[3] " kB, open files " mx[4] " / " mx[5] " B, lost " mx[6] }' "$OUT/samples.txt"
cat "$OUT/perf-stdout.txt" 2>/dev/null || true
grep -E "events, .* bytes from perf" "$OUT/top.err" || true
echo "== target rate (iterations per 10 s): alone before/after vs under top"
# rate lines are "monotonic_s count"; top ran from the first sample after BEFORE s to SOAK s later (its monotonic window
# is taken from the rate file's own clock: lines 1..BEFORE/10 alone, the next SOAK/10 under top, the rest alone)
awk -v b="$BEFORE" -v s="$SOAK" 'NR > 1 && NR <= b / 10 { a += $2; na++ } NR > b / 10 + 1 && NR <= (b + s) / 10 { t += $2; nt++ }
     NR > (b + s) / 10 + 2 { a += $2; na++ }
     END { printf "alone %.0f (n=%d), under top %.0f (n=%d): slowdown %.1f %%\n", a / na, na, t / nt, nt, 100 * (1 - (t / nt) / (a / na)) }' "$OUT/rate.txt"

#!/bin/bash
# Re-creates the small real perf.data fixtures of the perf.data reader tests (needs root, perf, pyenv 3.11.7).
# Probes live in group giltracer_$$ and are removed on every exit path.
set -euo pipefail
cd "$(dirname "$0")"
PY="/root/.pyenv/versions/3.11.7/bin/python3.11 -S -I two_threads_short.py"
LIB=/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0
G=giltracer_$$
UE=/sys/kernel/tracing/uprobe_events
off() { printf '0x%x' "0x$(readelf -sW "$LIB" | awk -v s="$1" '$8==s && $4=="FUNC" {print $2; exit}')"; }
TAKE=$(off take_gil); DROP=$(off drop_gil)
cleanup() { for e in take_gil take_gil_ret drop_gil drop_gil_ret; do echo "-:$G/$e" >> $UE 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
echo "p:$G/take_gil $LIB:$TAKE" >> $UE
echo "r:$G/take_gil_ret $LIB:$TAKE" >> $UE
echo "p:$G/drop_gil $LIB:$DROP" >> $UE
echo "r:$G/drop_gil_ret $LIB:$DROP" >> $UE
REC="perf record -q -D 200 -k CLOCK_MONOTONIC"
SCHED="-e sched:sched_switch -e sched:sched_wakeup -e sched:sched_wakeup_new -e sched:sched_process_fork -e sched:sched_process_exit"
# 1. GIL probes only.
$REC -e "$G:*" -o gil.perf.data -- $PY spin 0.02
# 2. GIL probes + sched events.
$REC -e "$G:*" $SCHED -o sched.perf.data -- $PY spin 0.01
# 3. Lost events: a one-page ring buffer, perf niced on the same CPU as a burst of GIL switches
#    (retried until perf really lost some).
for try in 1 2 3 4 5 6; do
  taskset -c 0 nice -n 19 $REC -m 1 -e "$G:*" -o lost.perf.data -- nice -n -39 $PY storm 200
  [ "$(perf script -i lost.perf.data --show-lost-events 2>/dev/null | grep -c PERF_RECORD_LOST)" != 0 ] && break
done
# 4. sched events with call stacks (-g).
$REC -g -e "$G:take_gil" $SCHED -o callchain.perf.data -- $PY spin 0.01
# 5. Pipe mode (perf record -o -, what top reads): GIL probes, and lost events as in 3.
$REC -e "$G:*" -o - -- $PY spin 0.02 > gil.pipe.data
for try in 1 2 3 4 5 6; do
  taskset -c 0 nice -n 19 $REC -m 1 -e "$G:*" -o - -- nice -n -39 $PY storm 200 > lost.pipe.data
  [ "$(perf script -i - --show-lost-events < lost.pipe.data 2>/dev/null | grep -c PERF_RECORD_LOST)" != 0 ] && break
done
for f in *.perf.data; do
  perf script --ns --show-task-events --show-lost-events -F comm,pid,tid,cpu,time,event,trace -i "$f" > "${f%.perf.data}.script.txt" 2>/dev/null
done
for f in *.pipe.data; do
  perf script --ns --show-task-events --show-lost-events -F comm,pid,tid,cpu,time,event,trace -i - < "$f" > "${f%.data}.script.txt" 2>/dev/null
done
rm -f *.old; ls -l

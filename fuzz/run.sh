#!/usr/bin/env bash
# Fuzzes one reader of untrusted bytes with AFL++ and SharpFuzz, outside CI (see fuzz/README.md).
#   fuzz/run.sh build                  build the harness and instrument GilTracer.Core.dll (once, before fuzzing)
#   fuzz/run.sh TARGET [SECONDS]       fuzz TARGET (perfdata, perfscript, functions, elf, ehframe, gilscan), 600 s by default
#   fuzz/run.sh replay TARGET DIR…     run inputs (afl's crashes, a corpus) through the harness without afl
# Work, corpus and crashes go to fuzz/work/ (not committed). Needs afl++ (apt-get install afl++) and the
# SharpFuzz.CommandLine dotnet tool (installed into fuzz/work/tools).
set -euo pipefail
cd "$(dirname "$0")"
work=$PWD/work bin=$PWD/work/bin data=$PWD/../tests/GilTracer.Tests/TestData

if [ "${1:-}" = build ]; then
  mkdir -p "$work"
  [ -x "$work/tools/sharpfuzz" ] || dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$work/tools"
  rm -rf "$bin"
  dotnet build GilTracer.Fuzz -c Release -o "$bin" -v q
  # replay runs the same harness uninstrumented (instrumented code needs afl's shared memory)
  rm -rf "$work/plain"; cp -r "$bin" "$work/plain"
  # only our own code gets the coverage callbacks afl reads
  "$work/tools/sharpfuzz" "$bin/GilTracer.Core.dll"
  exit 0
fi
if [ "${1:-}" = replay ]; then shift; t=$1; shift; exec dotnet "$work/plain/giltracer-fuzz.dll" "$t" "$@"; fi

target=${1:?target}; seconds=${2:-600}
[ -f "$bin/giltracer-fuzz.dll" ] || { echo "run '$0 build' first" >&2; exit 2; }
seeds=$work/seeds/$target
rm -rf "$seeds"; mkdir -p "$seeds"
case $target in
  perfdata)   cp "$data"/perfdata/gil.perf.data "$data"/perfdata/sched.perf.data "$data"/perfdata/callchain.perf.data "$seeds"/ ;;
  perfscript) cp "$data"/perfdata/gil.script.txt "$data"/perfdata/sched.script.txt "$data"/perfdata/callchain.script.txt "$seeds"/
              head -c 20000 "$data"/state_systemwide.txt > "$seeds"/state.txt ;;
  functions)  for d in hog38 hog312; do
                { head -c 1616 "$data"/functions/$d/functions.bin; printf '\nGILNAMES\n'; head -n 12 "$data"/functions/$d/functions.names.jsonl; } > "$seeds"/$d
              done ;;
  elf|ehframe|gilscan)
              gcc -O2 -shared -fPIC -o "$seeds"/gil_like.so gil_like.c -lpthread
              cp "$seeds"/gil_like.so "$seeds"/gil_like_stripped.so && strip "$seeds"/gil_like_stripped.so ;;
  *) echo "unknown target $target" >&2; exit 2 ;;
esac
# -t: a hang is an input that takes over 5 s; the GC heap limit turns runaway memory into an OutOfMemoryException (a crash).
# No CPU binding: the machine is shared. nice: fuzzing yields to everything else.
AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
DOTNET_GCHeapHardLimit=0x20000000 DOTNET_TieredPGO=0 \
  exec nice -n 19 afl-fuzz -V "$seconds" -i "$seeds" -o "$work/out-$target" -t 5000 -m none -- dotnet "$bin/giltracer-fuzz.dll" "$target"

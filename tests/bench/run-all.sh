#!/usr/bin/env bash
# Runs every bench-* executable in BUILD_BENCH_DIR, shows its output, and ends with a summary of
# the goals met and missed. Benchmarks are not pass/fail: a missed goal never fails the build.
# The exit status is non-zero only if a benchmark crashed (exited non-zero or was killed).
# Arguments after the directory go to every benchmark (e.g. --benchmark_filter=NONE).
# FERRIX (the ferrix binary, for command-line comparisons) is passed through from the caller.
set -u

dir=${1:?usage: run-all.sh BUILD_BENCH_DIR [BENCH-ARGS...]}
shift
logs="$dir/logs"
mkdir -p "$logs"
rm -f "$logs"/bench-*.log # the summary must not pick up a benchmark that no longer exists

echo "== machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)," \
  "sha_ni $(grep -qw sha_ni /proc/cpuinfo && echo yes || echo no), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== ferrix: ${FERRIX:-(FERRIX not set: each bench uses the binary it was built with)}"

ran=0
crashed=()
for exe in "$dir"/bench-*; do
  [ -f "$exe" ] && [ -x "$exe" ] || continue
  name=${exe##*/}
  ran=$((ran + 1))
  echo
  echo "### $name"
  start=$(date +%s)
  "$exe" "$@" 2>&1 | tee "$logs/$name.log"
  status=${PIPESTATUS[0]}
  echo "### $name: exit status $status after $(($(date +%s) - start)) s"
  [ "$status" -eq 0 ] || crashed+=("$name (exit status $status)")
done

# Every benchmark reports through lines starting GOAL, RATIO, WARNING or SKIP (see bench.hh).
summary() { cat "$logs"/bench-*.log 2>/dev/null | grep -E "^$1 " || true; }
met=$(summary 'GOAL met')
missed=$(summary 'GOAL missed')
count() { [ -n "$1" ] && printf '%s\n' "$1" | wc -l || echo 0; }

echo
echo "=== summary: $ran benchmarks; $(count "$met") goals met, $(count "$missed") missed;" \
  "${#crashed[@]} crashed"
summary 'GOAL' | sed 's/^GOAL /  /'
summary 'RATIO' | sed 's/^RATIO /  ratio /'
summary 'WARNING' | sed 's/^WARNING /  warning /'
summary 'SKIP' | sed 's/^SKIP /  skipped /'
for c in ${crashed[@]+"${crashed[@]}"}; do
  echo "  crashed $c"
done

[ ${#crashed[@]} -eq 0 ]

#!/usr/bin/env bash
# Runs libFuzzer targets of the fuzz build (doc/fuzzing.md):
#   tests/fuzz/run.sh TARGET|all SECONDS [LIBFUZZER-OPTION...]
# Each target starts from its seeds (tests/fuzz/corpus/TARGET, read only) and the inputs earlier
# runs found (corpus-work/TARGET in the build directory, where new ones go); a crash leaves its
# input as crash-* in artifacts/TARGET and makes the script fail.
# FERRIX_FUZZ_BIN_DIR: where the fuzz-TARGET binaries are (default build-fuzz/tests/fuzz).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${FERRIX_FUZZ_BIN_DIR:-$top/build-fuzz/tests/fuzz}

if [ $# -lt 2 ]; then
  echo "usage: tests/fuzz/run.sh TARGET|all SECONDS [LIBFUZZER-OPTION...]" >&2
  exit 2
fi
target=$1 seconds=$2
shift 2

if [ "$target" = all ]; then
  targets=()
  for seeds in "$here"/corpus/*/; do targets+=("$(basename "$seeds")"); done
else
  targets=("$target")
fi

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
status=0
for t in "${targets[@]}"; do
  program=$bin/fuzz-$t
  if [ ! -x "$program" ]; then
    echo "run.sh: no $program: build the fuzz targets first (build-aux/setup fuzz)" >&2
    exit 2
  fi
  work=$bin/corpus-work/$t artifacts=$bin/artifacts/$t scratch=$bin/tmp/$t
  mkdir -p "$work" "$artifacts" "$scratch"
  options=(-max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1
           -artifact_prefix="$artifacts/")
  [ -f "$here/dict/$t.dict" ] && options+=(-dict="$here/dict/$t.dict")
  echo "run.sh: fuzz-$t for ${seconds}s" >&2
  if ! TMPDIR=$scratch "$program" "${options[@]}" "$@" "$work" "$here/corpus/$t"; then
    echo "run.sh: fuzz-$t failed; its input is in $artifacts" >&2
    status=1
  fi
  rm -rf "$scratch"
done
exit $status

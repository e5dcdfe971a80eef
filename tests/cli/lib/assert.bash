# Shared helpers for the command-line tests. Each test script sources this file; it gets
# $FERRIX (the binary) and $TEST_TMP (a scratch directory, emptied here) from CTest.
set -euo pipefail
: "${FERRIX:?FERRIX must name the ferrix binary}"
: "${TEST_TMP:?TEST_TMP must name a scratch directory}"
chmod -R u+w "$TEST_TMP" 2>/dev/null || true
rm -rf "$TEST_TMP"
mkdir -p "$TEST_TMP"
export FERRIX_STORE="$TEST_TMP/store-root"
unset FERRIX_STORE_DIR XDG_DATA_HOME
export NIX_CONFIG="build-users-group =
sandbox = false"
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; }

# expect_eq LABEL ACTUAL EXPECTED
expect_eq() {
  if [ "$2" == "$3" ]; then ok "$1"; else not_ok "$1: got '$2', expected '$3'"; fi
}

# expect_status LABEL STATUS CMD...: runs CMD, checks its exit status; keeps stderr in $err.
expect_status() {
  local label=$1 want=$2
  shift 2
  local got=0
  "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || got=$?
  err=$(cat "$TEST_TMP/err")
  out=$(cat "$TEST_TMP/out")
  if [ "$got" -eq "$want" ]; then ok "$label"; else not_ok "$label: exit $got, expected $want; stderr: $err"; fi
}

# expect_match LABEL TEXT REGEX
expect_match() {
  if [[ "$2" =~ $3 ]]; then ok "$1"; else not_ok "$1: '$2' does not match /$3/"; fi
}

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

#!/usr/bin/env bash
# The test crates of tests/data/crates, built by plain cargo (offline, against pinned copies of
# the registry crates their lock files name): each program prints its expected-output, the
# failing crate fails with rustc's error[E0308], the tests crate's tests pass under `cargo test`.
# They are the per-crate mode's test graphs: this checks the graphs themselves.
set -euo pipefail
: "${FERRIX_SOURCE_DIR:?}" "${TEST_TMP:?}"
source "$FERRIX_SOURCE_DIR/tests/cli/lib/assert.bash"
source "$FERRIX_SOURCE_DIR/tests/data/crates/prepare.bash"
export CARGO_HOME="$TEST_TMP/cargo-home"
mkdir -p "$CARGO_HOME"

crates="build-script links proc-macro sys deps workspace resolver-1 resolver-2 tests"
for crate in $crates; do
  dir=$TEST_TMP/$crate
  prepare_crate "$crate" "$dir"
  if (cd "$dir" && cargo build --release --locked --offline) >"$TEST_TMP/$crate.log" 2>&1; then
    ok "$crate: cargo build --release"
    expect_eq "$crate: the program's output" \
      "$("$dir/target/release/$(crate_program "$crate")")" "$(cat "$dir/expected-output")"
  else
    not_ok "$crate: cargo build --release: $(tail -5 "$TEST_TMP/$crate.log")"
  fi
done

# The resolvers give different features: that is what the two copies are for.
if ! diff -q "$FERRIX_SOURCE_DIR/tests/data/crates/resolver-1/expected-output" \
  "$FERRIX_SOURCE_DIR/tests/data/crates/resolver-2/expected-output" >/dev/null; then
  ok "resolver 1 and resolver 2 give different features"
else
  not_ok "resolver 1 and resolver 2 give the same features"
fi

# cargo test runs the unit tests, the integration test and the doctests.
dir=$TEST_TMP/tests
if (cd "$dir" && cargo test --release --locked --offline) >"$TEST_TMP/test.log" 2>&1; then
  ok "tests: cargo test --release"
  results=$(grep -E '^test result: ok\. [0-9]+ passed' "$TEST_TMP/test.log" |
    sed -E 's/^test result: ok\. ([0-9]+) passed.*/\1/' | tr '\n' ' ')
  expect_eq "tests: passed per test binary (lib, main, integration, doctests)" "$results" "2 0 1 2 "
else
  not_ok "tests: cargo test --release: $(tail -5 "$TEST_TMP/test.log")"
fi

# The failing crate: rustc's type error.
dir=$TEST_TMP/failing
prepare_crate failing "$dir"
if (cd "$dir" && cargo build --release --locked --offline) >"$TEST_TMP/failing.log" 2>&1; then
  not_ok "failing: cargo build succeeded"
else
  ok "failing: cargo build fails"
  if grep -q 'error\[E0308\]: mismatched types' "$TEST_TMP/failing.log"; then
    ok "failing: rustc reports error[E0308]"
  else
    not_ok "failing: no error[E0308] in $(cat "$TEST_TMP/failing.log")"
  fi
fi

finish

#!/usr/bin/env bash
# `ferrix store gc` and the per-crate mode (issue 13, item 5): a root on a per-crate package keeps
# its units (the outputs of the derivations its derivation depends on), so gc after a build
# deletes none of them; after an edit and a rebuild under the same root, gc reclaims the
# superseded units of the application, and only those: the shared crates' units stay, the new
# program runs, a rebuild builds nothing, and gc says what it freed.
source "$(dirname "$0")/lib/cargo.bash"

work=$TEST_TMP/example
rm -rf "$work" "$TEST_TMP/result"
mkdir -p "$work"
cp -r "$FERRIX_SOURCE_DIR/examples/wordfreq" "$FERRIX_SOURCE_DIR/examples/wordfreq.scm" "$work/"
sed -i 's/#:install-source? #f)/#:install-source? #f #:tests? #f)/' "$work/wordfreq.scm"
sample=$FERRIX_SOURCE_DIR/examples/wordfreq/sample.txt

# rooted_build: build --per-crate with the root $TEST_TMP/result; the derivations it built go to
# $TEST_TMP/built, one name a line (-v: only then do units print their "building" lines).
rooted_build() {
  if ! "$FERRIX" build --per-crate -v -M 2 -r "$TEST_TMP/result" -f "$work/wordfreq.scm" \
    >"$TEST_TMP/build.out" 2>"$TEST_TMP/build.err"; then
    tail -n 40 "$TEST_TMP/build.err" >&2
    fail "ferrix build --per-crate -r failed"
  fi
  grep -o "building '[^']*'" "$TEST_TMP/build.err" | sed -E "s|building '.*/[a-z0-9]{32}-||; s|\.drv'$||" \
    >"$TEST_TMP/built" || true
}

# unit_outputs: the unit outputs in the store (not their .drv nor builder files), full paths,
# sorted.
unit_outputs() {
  ls -d "$store"/*-rust-unit-* | grep -v -e '\.drv$' -e '-builder$' | sort
}

rooted_build
old=$(readlink "$TEST_TMP/result")
store=$(dirname "$old")
expect_eq "the root points at the build's output" "$(tail -n 1 "$TEST_TMP/build.out")" "$old"
before=$(unit_outputs)
expect_match "units built" "$before" "-rust-unit-serde_json-1\.0\.87-lib-"

"$FERRIX" store gc >"$TEST_TMP/gc.out" 2>"$TEST_TMP/gc.err"
expect_eq "gc after a rooted build deletes no unit" "$(grep -c -- '-rust-unit-' "$TEST_TMP/gc.out" || true)" "0"
expect_eq "gc after a rooted build: every unit output is still there" "$(unit_outputs)" "$before"

# An edit that changes the program: wordfreq's units are built again, nothing else.
sed -i 's/Count word frequencies on standard input/Count the words of standard input/' \
  "$work/wordfreq/src/main.rs"
rooted_build
new=$(readlink "$TEST_TMP/result")
expect_eq "the edit gives a new output" "$([ "$new" != "$old" ] && echo new || echo same)" "new"
expect_eq "after the edit only wordfreq's units are built" \
  "$(grep '^rust-unit-' "$TEST_TMP/built" | sed -E 's/^rust-unit-(wordfreq)-.*/\1/' | sort -u | tr '\n' ' ')" "wordfreq "
superseded=$(grep -- '-rust-unit-wordfreq-' <<<"$before")

"$FERRIX" store gc >"$TEST_TMP/gc.out" 2>"$TEST_TMP/gc.err"
deleted=$(cat "$TEST_TMP/gc.out")
for u in $superseded; do
  expect_eq "gc deletes the superseded unit ${u##*/}" "$(grep -cx -- "$u" <<<"$deleted" || true)" "1"
done
expect_eq "gc deletes the superseded program" "$(grep -cx -- "$old" <<<"$deleted" || true)" "1"
expect_eq "gc deletes no unit of another crate" \
  "$(grep -- '-rust-unit-' <<<"$deleted" | grep -vc -- '-rust-unit-wordfreq-' || true)" "0"
expect_eq "gc deletes nothing but the application's superseded items" \
  "$(grep -vc -- 'wordfreq' <<<"$deleted" || true)" "0"
expect_match "gc says what it freed" "$(cat "$TEST_TMP/gc.err")" \
  "^deleted $(wc -l <<<"$deleted") items, [0-9]+ leftovers; [1-9][0-9]* bytes freed$"
expect_eq "the new units stay" "$(unit_outputs | wc -l)" "$(wc -l <<<"$before")"
expect_eq "the units of the new build are all there" "$(comm -13 <(unit_outputs) <(grep -v -- '-rust-unit-wordfreq-' <<<"$before"))" ""
expect_status "the store verifies after gc" 0 "$FERRIX" store verify
expect_match "the new program runs" "$("$new/bin/wordfreq" --help)" "Count the words of standard input"
expect_match "the new program counts" "$("$new/bin/wordfreq" --json -n 1 <"$sample")" '"count": [1-9]'

# The closure is whole: building again builds nothing.
rooted_build
expect_eq "after gc, a rebuild builds nothing" "$(wc -l <"$TEST_TMP/built")" "0"
expect_eq "after gc, the same output" "$(readlink "$TEST_TMP/result")" "$new"

# Without the root, everything the build made goes.
rm "$TEST_TMP/result"
"$FERRIX" store gc >"$TEST_TMP/gc.out" 2>/dev/null
expect_eq "without a root, gc reclaims every unit" "$(ls -d "$store"/*-rust-unit-* 2>/dev/null | wc -l)" "0"
finish

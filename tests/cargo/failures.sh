#!/usr/bin/env bash
# What a failed build shows (doc/build.md, "Failures"): for a type error, the phase, the failing
# command, rustc's whole error[E0308] block with its --> location and snippet, no warnings, the
# log's file name and no Scheme backtrace (the build side's backtrace only with --debug); the same
# for a per-crate unit; a failing test's panic and assertion message; a configure error as
# sentences; a missing -f file named; an unbound variable and a wrong-type error in a -L module
# located FILE:LINE:COLUMN.
source "$(dirname "$0")/lib/cargo.bash"
cd "$TEST_TMP"

# typo: a program with a type error, using a path crate that compiles with a warning first.
app=$TEST_TMP/typo
rm -rf "$app"
mkdir -p "$app/src" "$app/noisy/src"
cat >"$app/Cargo.toml" <<'TOML'
[package]
name = "typo"
version = "0.1.0"
edition = "2021"

[dependencies]
noisy = { path = "noisy" }
TOML
cat >"$app/src/main.rs" <<'RS'
fn main() {
    noisy::hello();
    let x: u32 = "not a number";
    println!("{}", x);
}
RS
printf '[package]\nname = "noisy"\nversion = "0.1.0"\nedition = "2021"\n' >"$app/noisy/Cargo.toml"
cat >"$app/noisy/src/lib.rs" <<'RS'
pub fn hello() {
    let unused_variable = 1;
}
RS
file=$(registry_package typo "$app" '#f')

# run NAME ARG...: ferrix build ARG..., expecting failure; stderr in $err, the status in $status.
run() {
  local name=$1
  shift
  status=0
  "$FERRIX" build "$@" >"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err" || status=$?
  err=$(cat "$TEST_TMP/$name.err")
}

run plain -f "$file"
log=$("$FERRIX" log -p "$(drv "$file")")
expect_eq "type error: exit 1" "$status" 1
expect_match "type error: the phase and the failing command" "$err" \
  "in phase 'build': command \"cargo\" \"build\" [^
]* failed with exit status 101"
block=$(awk '/^error\[E0308\]/{on=1} on&&/^$/{exit} on' "$log")
expect_match "the log has rustc's block" "$block" "^error\[E0308\]: mismatched types"
expect_eq "rustc's whole block is shown, as in the log" \
  "$(awk '/^error\[E0308\]/{on=1} on&&/^$/{exit} on' "$TEST_TMP/plain.err")" "$block"
expect_match "... with its location" "$err" $'\n'" --> src/main.rs:3:18"$'\n'
expect_match "... and its snippet" "$err" '3 \|     let x: u32 = "not a number";'
expect_match "cargo's summary too" "$err" "error: could not compile \`typo\`"
expect_match "the log has the warning" "$(cat "$log")" "warning: unused variable"
expect_eq "no warning shown" "$(grep -c "warning" <<<"$err" || true)" 0
expect_match "the log's file name" "$err" $'\n'"log: $log"$'\n'
expect_match "the log has the build side's backtrace" "$(cat "$log")" "Backtrace:"
expect_eq "no backtrace shown" "$(grep -c -E "Backtrace|In ice-9|&invoke-error|Throw to key" <<<"$err" || true)" 0

run debug --debug -f "$file"
expect_eq "--debug: exit 1" "$status" 1
expect_match "--debug: the build side's backtrace" "$err" "Backtrace:"$'\n'"In ice-9/boot-9.scm"
expect_match "--debug: rustc's error still" "$err" "error\[E0308\]"

run quiet -q -f "$file"
expect_eq "-q: exit 1" "$status" 1
expect_match "-q: the failure is shown" "$err" "error\[E0308\]: mismatched types"
expect_eq "-q: no building line" "$(grep -c "^building" <<<"$err" || true)" 0

# --- The same in the per-crate mode: the unit's rustc error.
run unit --per-crate -f "$file"
expect_eq "per-crate: exit 1" "$status" 1
expect_match "per-crate: rustc's block" "$err" "error\[E0308\]: mismatched types"$'\n'" --> src/main.rs:3:18"
expect_match "per-crate: the unit's error" "$err" "error: could not compile"
expect_match "per-crate: the unit's log" "$err" $'\n'"log: [^"$'\n'"]*rust-unit-typo-0\.1\.0-bin[^"$'\n'"]*\.log"
expect_eq "per-crate: no backtrace" "$(grep -c -E "Backtrace|In ice-9" <<<"$err" || true)" 0

# --- A failing test suite: libtest's failures (the panic and the assertion's message), not only
# cargo's "error: test failed" summary.
sums=$TEST_TMP/sums
rm -rf "$sums"
mkdir -p "$sums/src"
printf '[package]\nname = "sums"\nversion = "0.1.0"\nedition = "2021"\n' >"$sums/Cargo.toml"
cat >"$sums/src/lib.rs" <<'RS'
pub fn sum(a: u32, b: u32) -> u32 {
    a + b
}

#[test]
fn sums() {
    assert_eq!(sum(2, 2), 5, "the sum is wrong");
}
RS
run tests -f "$(registry_package sums "$sums" '#t')"
expect_eq "failing test: exit 1" "$status" 1
expect_match "failing test: the phase and the failing command" "$err" "in phase 'check': command \"cargo\" \"test\""
expect_match "failing test: the panic" "$err" "thread 'sums'( \([0-9]+\))? panicked at src/lib.rs:7:5:"
expect_match "failing test: the assertion's message" "$err" "assertion \`left == right\` failed: the sum is wrong"
expect_match "failing test: libtest's result" "$err" "test result: FAILED\. 0 passed; 1 failed"
expect_match "failing test: cargo's summary too" "$err" "error: test failed, to rerun pass"
expect_eq "failing test: no backtrace" "$(grep -c -E "Backtrace|In ice-9" <<<"$err" || true)" 0

# --- A configure error: a Cargo.lock naming a crate no input provides.
cfg=$TEST_TMP/cfg
rm -rf "$cfg"
mkdir -p "$cfg/src"
printf '[package]\nname = "cfg"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\nitoa = "1"\n' >"$cfg/Cargo.toml"
echo 'fn main() {}' >"$cfg/src/main.rs"
cat >"$cfg/Cargo.lock" <<'LOCK'
version = 3

[[package]]
name = "cfg"
version = "0.1.0"
dependencies = ["itoa"]

[[package]]
name = "itoa"
version = "1.0.1"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "1aab8fc367588b89dcee83ab0fd66b72b50b72fa1d9b5a2f58ba3aeea0e2d2ea"
LOCK
run cfg -f "$(registry_package cfg "$cfg" '#f')"
expect_eq "configure error: exit 1" "$status" 1
expect_match "configure error: the phase and the sentence" "$err" \
  "in phase 'configure': /build/source/Cargo.lock does not match the crate inputs:"
expect_match "configure error: real newlines" "$err" $'\n'"    itoa 1.0.1 is locked but no input provides it"$'\n'
expect_eq "configure error: no format directive, no throw, no escaped newline" \
  "$(grep -c -E '~A|~a|Throw to key|\\n' <<<"$err" || true)" 0

# --- Errors before any build.
run nosuch -f nosuch.scm
expect_eq "-f nosuch.scm: exit 1" "$status" 1
expect_eq "-f nosuch.scm: names the file" "$err" "ferrix: error: nosuch.scm: No such file or directory"

mkdir -p mods/my
module() { printf '(define-module (my pkgs)\n  #:use-module (ferrix packages))\n\n%s\n' "$1" >mods/my/pkgs.scm; }
module '(define x (undefined-procedure 1))'
run unbound -d -L mods anything
expect_eq "-L module, unbound variable: exit 1" "$status" 1
expect_eq "-L module, unbound variable: located" "$err" \
  "mods/my/pkgs.scm:4:11: error: unbound variable 'undefined-procedure'"
module '(define x (+ 1 "a"))'
run wrong -d -L mods anything
expect_eq "-L module, wrong type: located at the call" "$err" \
  "mods/my/pkgs.scm:4:10: error: +: Wrong type argument in position 2: \"a\""
module '(define x (let ((a 1) a)))'
run syntax -d -L mods anything
expect_match "-L module, syntax error: located" "$err" "^mods/my/pkgs.scm:4:10: error: let: bad let"

finish

#!/usr/bin/env bash
# Doctests in the per-crate mode (doc/per-crate.md, "Doctests"): with #:tests? #t rustdoc
# compiles and runs the package's library's doctests in the package's derivation, after its unit
# and integration tests, with the arguments cargo gives it (compared with `cargo test --doc -v`)
# and its build script's directives; a failing doctest fails the build naming the crate and
# showing rustdoc's report; `doctest = false`, a package without a library and #:tests? #f run
# none; a proc-macro's run as cargo's; a registry library whose doctests use its dependencies
# passes as `cargo test --doc` does.
source "$(dirname "$0")/lib/cargo.bash"
source "$FERRIX_SOURCE_DIR/tests/data/crates/prepare.bash"

registry=/usr/share/cargo/registry

# expect_no_match LABEL TEXT REGEX
expect_no_match() {
  if [[ "$2" =~ $3 ]]; then not_ok "$1: /$3/ found in '$2'"; else ok "$1"; fi
}

# per_crate FILE: ferrix build --per-crate; its standard error in $TEST_TMP/build.err, the unit
# derivations it built (one a line) in $TEST_TMP/built, the package's log in $TEST_TMP/last.log
# and its output in $built.
per_crate() {
  local status=0 d
  d=$("$FERRIX" build --per-crate -d -f "$1")
  built=$(out_path "$d")
  "$FERRIX" build --per-crate -v -f "$1" >"$TEST_TMP/build.out" 2>"$TEST_TMP/build.err" || status=$?
  grep -o "building '[^']*'" "$TEST_TMP/build.err" | sed -E "s|building '.*/[a-z0-9]{32}-||; s|\.drv'$||" \
    >"$TEST_TMP/built" || true
  "$FERRIX" log "$d" >"$TEST_TMP/last.log" 2>/dev/null || : >"$TEST_TMP/last.log"
  return $status
}

# rustdoc_args LINE: rustdoc's arguments in LINE (ferrix's log or `cargo test -v`), paths set
# aside: the program dropped, a library as libNAME.rlib, every -L dependency= as one, the run
# directory as DIR; cargo's shell quotes removed.
rustdoc_args() {
  sed -E "s/^ *(Running \`)?[^ ]*rustdoc //; s/\`$//; s/'//g" <<<"$1" |
    sed -E 's|=[^ ]*/lib([a-z_]+)-[0-9a-f]+\.rlib|=lib\1.rlib|g; s|-L dependency=[^ ]*|-L dependency=DEPS|g;
            s|--test-run-directory [^ ]*|--test-run-directory DIR|' |
    sed -E 's|(-L dependency=DEPS )+|-L dependency=DEPS |g'
}

# cargo_rustdoc DIR: rustdoc's invocation in `cargo test --release --doc -v` run in DIR.
cargo_rustdoc() {
  (cd "$1" && cargo test --release --doc -v >"$TEST_TMP/cargo.out" 2>&1) || {
    tail -n 30 "$TEST_TMP/cargo.out" >&2
    fail "cargo test --doc failed in $1"
  }
  grep -m 1 'Running `.*rustdoc ' "$TEST_TMP/cargo.out"
}

# --- The test crate (tests/data/crates/tests): its two doctests run after its other tests.
prepare_crate tests "$TEST_TMP/oracle/tested"
mkdir -p "$TEST_TMP/tested"
cp -R "$FERRIX_SOURCE_DIR/tests/data/crates/tests" "$TEST_TMP/tested/ok"
file=$(registry_package tested "$TEST_TMP/tested/ok" '#t')
if ! per_crate "$file"; then
  tail -n 40 "$TEST_TMP/build.err" >&2
  fail "ferrix build --per-crate of the test crate with #:tests? #t failed"
fi
log=$(cat "$TEST_TMP/last.log")
expect_eq "tests: the program is built" "$("$built/bin/tested")" "$(cat "$FERRIX_SOURCE_DIR/tests/data/crates/tests/expected-output")"
expect_match "tests: the doctests run, named as cargo names them" "$log" \
  "test src/lib.rs - add \(line 5\) \.\.\. ok"
expect_match "tests: rustdoc's result line" "$log" \
  "running \`tested' 0.1.0 \(doctests\).*test result: ok\. 2 passed; 0 failed"
unit_line=$(grep -n "test tests::adds ... ok" <<<"$log" | cut -d: -f1)
integration_line=$(grep -n "test triangle_is_a_sum ... ok" <<<"$log" | cut -d: -f1)
doc_line=$(grep -n "running \`tested' 0.1.0 (doctests)" <<<"$log" | cut -d: -f1)
if [ -n "$unit_line" ] && [ -n "$integration_line" ] && [ -n "$doc_line" ] &&
  [ "$unit_line" -lt "$doc_line" ] && [ "$integration_line" -lt "$doc_line" ]; then
  ok "tests: the doctests run after the unit and integration tests, as cargo orders them"
else
  not_ok "tests: the doctests run after the unit and integration tests ($unit_line $integration_line $doc_line)"
fi
if grep -q doctest "$TEST_TMP/built"; then
  not_ok "tests: no unit derivation for the doctests: $(grep doctest "$TEST_TMP/built")"
else
  ok "tests: no unit derivation for the doctests (they run in the package's)"
fi
ours=$(grep -m 1 -A 2 "running \`tested' 0.1.0 (doctests)" <<<"$log" | grep rustdoc || true)
expect_eq "tests: rustdoc's arguments are cargo's" "$(rustdoc_args "$ours")" \
  "$(rustdoc_args "$(cargo_rustdoc "$TEST_TMP/oracle/tested")")"

# --- A build script's directives reach the doctests as cargo gives them: --cfg, -L, link
# arguments, rustc-env and OUT_DIR (a doctest asserting each).
cp -R "$FERRIX_SOURCE_DIR/tests/data/crates/tests" "$TEST_TMP/tested/scripted"
cat >"$TEST_TMP/tested/scripted/build.rs" <<'RS'
fn main() {
    let out = std::env::var("OUT_DIR").unwrap();
    std::fs::write(format!("{out}/word.txt"), "scripted").unwrap();
    println!("cargo:rustc-cfg=from_script");
    println!("cargo::rustc-check-cfg=cfg(from_script)");
    println!("cargo:rustc-link-search=native={out}");
    println!("cargo:rustc-link-arg=-Wl,--as-needed");
    println!("cargo:rustc-env=FROM_SCRIPT=yes");
}
RS
cat >>"$TEST_TMP/tested/scripted/src/lib.rs" <<'RS'

/// Sees its build script.
///
/// ```
/// assert!(cfg!(from_script));
/// assert_eq!(env!("FROM_SCRIPT"), "yes");
/// assert_eq!(include_str!(concat!(env!("OUT_DIR"), "/word.txt")), "scripted");
/// ```
pub fn scripted() {}
RS
file=$(registry_package tested "$TEST_TMP/tested/scripted" '#t')
if per_crate "$file"; then
  log=$(cat "$TEST_TMP/last.log")
  expect_match "build script: its directives on rustdoc's command line" "$log" \
    "rustdoc [^
]* -L native=[^ ]*/out -C link-arg=-Wl,--as-needed --cfg from_script --check-cfg cfg\(from_script\)"
  expect_match "build script: the doctest seeing them passes" "$log" \
    "test src/lib.rs - scripted \(line [0-9]+\) \.\.\. ok.*test result: ok\. 3 passed"
else
  not_ok "build script: the build failed: $(tail -n 20 "$TEST_TMP/build.err")"
fi

# --- Without #:parallel-tests?, one test thread, as the whole-package mode's `cargo test`; only
# the package is built again (the same source, at the same name: the same units).
mkdir -p "$TEST_TMP/serial"
cp -R "$FERRIX_SOURCE_DIR/tests/data/crates/tests" "$TEST_TMP/serial/ok"
file=$(EXTRA_ARGUMENTS='#:parallel-tests? #f' registry_package tested "$TEST_TMP/serial/ok" '#t')
if per_crate "$file"; then
  expect_eq "#:parallel-tests? #f: only the package is built again" \
    "$(grep -c '^rust-unit-' "$TEST_TMP/built" || true)" "0"
  expect_match "#:parallel-tests? #f: rustdoc runs the doctests on one thread" \
    "$(cat "$TEST_TMP/last.log")" "rustdoc [^
]* --test-args --test-threads=1 .*test result: ok\. 2 passed"
else
  not_ok "#:parallel-tests? #f: the build failed: $(tail -n 20 "$TEST_TMP/build.err")"
fi

# --- A failing doctest fails the package: rustdoc's report, the crate named, no backtrace.
cp -R "$FERRIX_SOURCE_DIR/tests/data/crates/tests" "$TEST_TMP/tested/failing"
sed -i 's|/// assert_eq!(tested::add(2, 3), 5);|/// assert_eq!(tested::add(2, 3), 6);|' "$TEST_TMP/tested/failing/src/lib.rs"
file=$(registry_package tested "$TEST_TMP/tested/failing" '#t')
per_crate "$file" && status=0 || status=$?
err=$(cat "$TEST_TMP/build.err")
expect_eq "failing doctest: the build fails" "$status" "1"
expect_match "failing doctest: rustdoc's report names it" "$(cat "$TEST_TMP/last.log")" \
  "test src/lib.rs - add \(line 5\) \.\.\. FAILED.*test result: FAILED\. 1 passed; 1 failed"
expect_match "failing doctest: the assertion shown" "$err" "left: 5"
expect_match "failing doctest: the crate, version and doctests named" "$err" \
  "error: test \`tested' 0.1.0 \(doctests\) failed"
if grep -q "^Backtrace:\|In procedure" "$TEST_TMP/build.err"; then
  not_ok "failing doctest: no Scheme backtrace"
else
  ok "failing doctest: no Scheme backtrace"
fi

# --- `doctest = false`: the same failing doctest is not run; the other tests are.
cp -R "$TEST_TMP/tested/failing" "$TEST_TMP/tested/nodoctest"
printf '\n[lib]\ndoctest = false\n' >>"$TEST_TMP/tested/nodoctest/Cargo.toml"
file=$(registry_package tested "$TEST_TMP/tested/nodoctest" '#t')
if per_crate "$file"; then
  ok "doctest = false: the build passes"
  expect_match "doctest = false: the unit tests ran" "$(cat "$TEST_TMP/last.log")" "test tests::adds ... ok"
  expect_no_match "doctest = false: no doctest ran" "$(cat "$TEST_TMP/last.log")" "doctests"
else
  not_ok "doctest = false: the build failed: $(tail -n 20 "$TEST_TMP/build.err")"
fi

# --- #:tests? #f: no test work at all, neither the failing doctest nor a failing unit test.
cp -R "$TEST_TMP/tested/failing" "$TEST_TMP/tested/untested"
sed -i 's|assert_eq!(super::add(40, 2), 42);|assert_eq!(super::add(40, 2), 0);|' "$TEST_TMP/tested/untested/src/lib.rs"
file=$(registry_package tested "$TEST_TMP/tested/untested" '#f')
if per_crate "$file"; then
  ok "#:tests? #f: the build passes"
  expect_eq "#:tests? #f: no test unit built" "$(grep -c -- '-test-' "$TEST_TMP/built" || true)" "0"
  expect_no_match "#:tests? #f: nothing run" "$(cat "$TEST_TMP/last.log")" "running"
else
  not_ok "#:tests? #f: the build failed: $(tail -n 20 "$TEST_TMP/build.err")"
fi

# --- A package without a library: cargo runs no doctest of a binary.
mkdir -p "$TEST_TMP/binonly/src"
cat >"$TEST_TMP/binonly/Cargo.toml" <<'TOML'
[package]
name = "binonly"
version = "0.1.0"
edition = "2021"
TOML
cat >"$TEST_TMP/binonly/src/main.rs" <<'RS'
/// Never run: binaries have no doctests.
///
/// ```
/// assert!(false);
/// ```
fn main() {
    println!("binonly");
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs() {}
}
RS
file=$(registry_package binonly "$TEST_TMP/binonly" '#t')
if per_crate "$file"; then
  ok "no library: the build passes"
  expect_match "no library: the binary's unit tests ran" "$(cat "$TEST_TMP/last.log")" "test tests::runs ... ok"
  expect_no_match "no library: no doctest ran" "$(cat "$TEST_TMP/last.log")" "doctests"
else
  not_ok "no library: the build failed: $(tail -n 20 "$TEST_TMP/build.err")"
fi

# --- A proc-macro: cargo runs its doctests too (when not cross-compiling), the macro linked as
# its .so and proc_macro named; its unit tests run too (they load the toolchain's libstd, found
# through LD_LIBRARY_PATH as cargo sets it).
prepare_crate tests "$TEST_TMP/oracle/pmx"
rm -rf "$TEST_TMP/oracle/pmx/src" "$TEST_TMP/oracle/pmx/tests"
mkdir -p "$TEST_TMP/oracle/pmx/src"
cat >"$TEST_TMP/oracle/pmx/Cargo.toml" <<'TOML'
[package]
name = "pmx"
version = "0.1.0"
edition = "2021"

[lib]
proc-macro = true
TOML
cat >"$TEST_TMP/oracle/pmx/src/lib.rs" <<'RS'
//! A proc-macro with a doctest.
//!
//! ```
//! assert_eq!(2 + 2, 4);
//! ```
use proc_macro::TokenStream;

/// Returns its input.
#[proc_macro]
pub fn same(input: TokenStream) -> TokenStream {
    input
}

#[cfg(test)]
mod tests {
    #[test]
    fn unit_test_runs() {
        assert_eq!(2 * 3, 6);
    }
}
RS
rm -f "$TEST_TMP/oracle/pmx/Cargo.lock"
mkdir -p "$TEST_TMP/pmx"
cp -R "$TEST_TMP/oracle/pmx/src" "$TEST_TMP/oracle/pmx/Cargo.toml" "$TEST_TMP/pmx/"
file=$(registry_package pmx "$TEST_TMP/pmx" '#t')
if per_crate "$file"; then
  log=$(cat "$TEST_TMP/last.log")
  expect_match "proc-macro: its unit test runs" "$log" "test tests::unit_test_runs \.\.\. ok"
  expect_match "proc-macro: its doctest runs" "$log" \
    "running \`pmx' 0.1.0 \(doctests\).*test result: ok\. 1 passed"
  ours=$(grep -m 1 -A 2 "running \`pmx' 0.1.0 (doctests)" <<<"$log" | grep rustdoc || true)
  expect_eq "proc-macro: rustdoc's arguments are cargo's" \
    "$(rustdoc_args "$ours" | sed -E 's|=[^ ]*/libpmx-[0-9a-f]+\.so|=libpmx.so|')" \
    "$(rustdoc_args "$(cargo_rustdoc "$TEST_TMP/oracle/pmx")" | sed -E 's|=[^ ]*/libpmx-[0-9a-f]+\.so|=libpmx.so|')"
else
  not_ok "proc-macro: the build failed: $(tail -n 20 "$TEST_TMP/build.err")"
fi

# --- A registry library whose doctests use its dependencies (rand_core, and the dev-dependency
# bincode's closure), built as the root package from a copy: as `cargo test --doc` runs them.
crate=rand_xoshiro-0.6.0
cp -R "$registry/$crate" "$TEST_TMP/rx"
chmod -R u+w "$TEST_TMP/rx"
file=$(registry_package rand_xoshiro "$TEST_TMP/rx" '#t' rand_core-0.6.3 bincode-1.3.3 serde-1.0.152)
if ! per_crate "$file"; then
  tail -n 40 "$TEST_TMP/build.err" >&2
  fail "ferrix build --per-crate of $crate with #:tests? #t failed"
fi
log=$(cat "$TEST_TMP/last.log")
# cargo on its own copy, the crates its lock file needs (serde's derive too) vendored.
oracle=$TEST_TMP/oracle/rx
cp -R "$registry/$crate" "$oracle"
chmod -R u+w "$oracle"
mkdir -p "$oracle.vendor" "$oracle/.cargo"
for c in rand_core-0.6.3 bincode-1.3.3 serde-1.0.152 serde_derive-1.0.152 proc-macro2-1.0.47 \
  quote-1.0.21 syn-1.0.107 unicode-ident-1.0.0; do
  cp -R "$registry/$c" "$oracle.vendor/$c"
  printf '{"files":{},"package":null}' >"$oracle.vendor/$c/.cargo-checksum.json"
done
printf '[source.crates-io]\nreplace-with = "pinned"\n[source.pinned]\ndirectory = "%s"\n[net]\noffline = true\n' \
  "$oracle.vendor" >"$oracle/.cargo/config.toml"
theirs=$(cargo_rustdoc "$oracle")
ours=$(grep -m 1 -A 2 "running \`rand_xoshiro' 0.6.0 (doctests)" <<<"$log" | grep rustdoc || true)
expect_eq "$crate: rustdoc's arguments are cargo's" "$(rustdoc_args "$ours")" "$(rustdoc_args "$theirs")"
results() { grep -E '^test src/|^test result: ' | sed -E 's/; finished in .*//' | sort; }
expect_eq "$crate: the doctests and their results are cargo's" \
  "$(sed -n "/running \`rand_xoshiro' 0.6.0 (doctests)/,\$p" <<<"$log" | results)" \
  "$(sed -n '/Doc-tests rand_xoshiro/,$p' "$TEST_TMP/cargo.out" | results)"
expect_match "$crate: its twelve doctests pass" "$log" "test result: ok\. 12 passed; 0 failed"

finish

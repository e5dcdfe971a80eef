#!/usr/bin/env bash
# Issue 14, items 1 and 2, in the whole-package mode: [target.'cfg(...)'] tables decided against
# `rustc --print cfg` and the rustflags' --cfg (cfg(loom), target_feature, a --cfg turning a
# dependency on), dev-dependencies no input provides (pruned with tests off, a configure error
# with tests on), #:skip-build? implying no tests, and #:test-target with "doc" run as cargo
# accepts it. Registry crates (cfg-if, either, lazy_static) are Debian's, pinned by hash.
source "$(dirname "$0")/lib/cargo.bash"

reg=/usr/share/cargo/registry
for c in cfg-if-1.0.0 either-1.6.1 lazy_static-1.4.0; do
  [ -f "$reg/$c/Cargo.toml" ] || { echo "skipped: no $reg/$c"; exit 0; }
done
triple=$(rustc -vV | sed -n 's/^host: //p')

# expect_no_match LABEL TEXT REGEX
expect_no_match() {
  if [[ "$2" =~ $3 ]]; then not_ok "$1: matches /$3/: ${BASH_REMATCH[0]}"; else ok "$1"; fi
}

# --- cfg(loom), target_feature and a --cfg name of the rustflags.
src=$TEST_TMP/cfgdeps
mkdir -p "$src/src"
cat >"$src/Cargo.toml" <<'T'
[package]
name = "cfgdeps"
version = "0.1.0"
edition = "2021"

[target.'cfg(loom)'.dev-dependencies]
loom = "0.5"

[target.'cfg(target_feature = "avx2")'.dependencies]
no-such-avx2-crate = "1"

[target.'cfg(all(unix, target_feature = "sse2"))'.dependencies]
cfg-if = "1"

[target.'cfg(ferrix_extra)'.dependencies]
either = "1"
T
cat >"$src/src/main.rs" <<'T'
#![allow(unexpected_cfgs)]
cfg_if::cfg_if! {
    if #[cfg(ferrix_extra)] {
        fn extra() -> String { format!("extra {}", either::Either::<u32, u32>::Left(7).left().unwrap()) }
    } else {
        fn extra() -> String { "no extra".to_string() }
    }
}
fn main() { println!("{}", extra()); }
#[cfg(test)]
mod t { #[test] fn extra_named() { assert!(super::extra().contains("extra")); } }
T

# Tests on, no --cfg: loom (cfg(loom) false), the avx2 crate (not in rustc's target features)
# and either (ferrix_extra not set) are pruned; cfg-if (sse2 is) is kept and used.
pkg=$(registry_package cfgdeps "$src" '#t' cfg-if-1.0.0)
build "$pkg" "$TEST_TMP/out-plain"
log=$(cat "$TEST_TMP/last.log")
expect_match "decided against rustc --print cfg" "$log" "target tables decided against \`rustc --print cfg' for $triple"
expect_match "cfg(loom) is false: loom pruned with tests on" "$log" \
  "pruned target\.cfg\(loom\)\.dev-dependencies\.loom of .*/Cargo\.toml \(no input, not for $triple\)"
expect_match "target_feature avx2 decided (false): pruned" "$log" \
  "pruned target\.cfg\(target_feature = \"avx2\"\)\.dependencies\.no-such-avx2-crate of"
expect_match "an unset --cfg name is false: either pruned" "$log" \
  "pruned target\.cfg\(ferrix_extra\)\.dependencies\.either of"
expect_no_match "nothing kept undecided" "$log" "undecidable"
expect_match "the tests ran" "$log" "test t::extra_named \.\.\. ok"
expect_eq "the program, without the extra" "$("$TEST_TMP/out-plain/bin/cfgdeps")" "no extra"

# --cfg ferrix_extra in #:rustflags turns either on; tests off.
pkg=$(EXTRA_ARGUMENTS='#:rustflags ("--cfg" "ferrix_extra")' registry_package cfgdeps "$src" '#f' cfg-if-1.0.0 either-1.6.1)
build "$pkg" "$TEST_TMP/out-extra"
log=$(cat "$TEST_TMP/last.log")
expect_match "the rustflags' --cfg named" "$log" "with the rustflags' --cfg ferrix_extra"
expect_no_match "either kept" "$log" "dependencies\.either of"
expect_match "loom pruned with tests off" "$log" "pruned target\.cfg\(loom\)\.dev-dependencies\.loom of"
expect_eq "the program, with the extra" "$("$TEST_TMP/out-extra/bin/cfgdeps")" "extra 7"

# The same --cfg without either's crate: the table applies, so it is kept, and cargo finds no
# crate for it.
pkg=$(EXTRA_ARGUMENTS='#:rustflags ("--cfg" "ferrix_extra")' registry_package cfgdeps "$src" '#f' cfg-if-1.0.0)
expect_status "--cfg ferrix_extra without either: the build fails" 1 try_build "$pkg"
expect_match "cargo looked for either" "$(cat "$TEST_TMP/last.log")" "either"

# --- Dev-dependencies no input provides.
dev=$TEST_TMP/devmissing
mkdir -p "$dev/src"
cat >"$dev/Cargo.toml" <<'T'
[package]
name = "devmissing"
version = "0.1.0"
edition = "2021"

[dev-dependencies]
doc-comment = "0.3"

[target.'cfg(unix)'.dev-dependencies]
quickcheck = { version = "1.0", default-features = false }

[target.'cfg(windows)'.dev-dependencies]
winapi-tests = "0.1"
T
echo 'pub fn two() -> u32 { 2 }' >"$dev/src/lib.rs"

pkg=$(registry_package devmissing "$dev" '#t')
expect_status "tests on, dev-dependencies missing: the build fails" 1 try_build "$pkg"
log=$(cat "$TEST_TMP/last.log" "$TEST_TMP/build.err")
expect_match "the error says what is missing" "$log" "the tests need dev-dependencies that no input provides:"
expect_match "doc-comment named with its requirement" "$log" \
  "doc-comment \"0\.3\" \(\[dev-dependencies\] of .*/Cargo\.toml\)"
expect_match "quickcheck named with its table" "$log" \
  "quickcheck \"1\.0\" \(\[target\.'cfg\(unix\)'\.dev-dependencies\] of"
expect_no_match "a windows-only one is not for this target" "$log" "winapi-tests \""
expect_match "the two ways out" "$log" "give each as an input \(#:cargo-development-inputs.*or build without the tests \(#:tests\? #f\)"
expect_no_match "before cargo ran" "$log" "running \`cargo"

pkg=$(registry_package devmissing "$dev" '#f')
build "$pkg" "$TEST_TMP/out-devmissing"
log=$(cat "$TEST_TMP/last.log")
expect_match "tests off: every dev-dependency without input pruned" "$log" \
  "pruned target\.cfg\(unix\)\.dev-dependencies\.quickcheck of .*(no input, tests off)"
expect_match "tests off: the plain table too" "$log" "pruned dev-dependencies\.doc-comment of"

# --- #:skip-build? implies no tests: lazy_static 1.4 has a dev-dependency (doc-comment) that
# no input provides.
cat >"$TEST_TMP/lazy.scm" <<SCM
$PREAMBLE
(package
  (name "rust-lazy-static") (version "1.4.0")
  (source (registry-crate "lazy_static" "1.4.0" #:sha256 "$("$FERRIX" hash -r "$reg/lazy_static-1.4.0")"))
  (build-system cargo-build-system)
  (arguments \`(#:skip-build? #t))
  (synopsis "") (description "") (license #f) (home-page #f))
SCM
build "$TEST_TMP/lazy.scm" "$TEST_TMP/out-lazy"
log=$(cat "$TEST_TMP/last.log")
expect_match "skip-build: tests off, said" "$log" "tests off: #:skip-build\? #t builds nothing to test"
expect_match "its dev-dependency pruned" "$log" "pruned dev-dependencies\.doc-comment of"
expect_match "the source installed" "$(ls "$TEST_TMP/out-lazy/share/cargo/registry")" "lazy_static-1\.4\.0\.crate"

# --- #:test-target with several targets and "doc": the doc tests by a cargo test of their own.
cp -R "$FERRIX_SOURCE_DIR/tests/data/crates/tests" "$TEST_TMP/tested"
chmod -R u+w "$TEST_TMP/tested"
pkg=$(EXTRA_ARGUMENTS='#:test-target ("lib" "integration" "doc")' registry_package tested "$TEST_TMP/tested" '#t')
build "$pkg" "$TEST_TMP/out-tested"
log=$(cat "$TEST_TMP/last.log")
expect_match "lib and the integration test in one cargo test" "$log" \
  "running \`cargo test --offline --locked --release --lib --test integration'"
expect_match "then cargo test --doc" "$log" "running \`cargo test --offline --locked --release --doc'"
expect_no_match "cargo never refused the options" "$log" "can't mix --doc"
expect_eq "unit tests, integration test, then doc tests, in that order" \
  "$(grep -oE '(Running (unittests src/lib\.rs|unittests src/main\.rs|tests/integration\.rs))|Doc-tests tested' "$TEST_TMP/last.log" | tr '\n' ';')" \
  "Running unittests src/lib.rs;Running tests/integration.rs;Doc-tests tested;"
expect_match "the doc tests passed" "$log" "test result: ok\. 2 passed"

pkg=$(EXTRA_ARGUMENTS='#:test-target "doc"' registry_package tested "$TEST_TMP/tested" '#t')
build "$pkg" "$TEST_TMP/out-tested-doc"
log=$(cat "$TEST_TMP/last.log")
expect_match "doc alone: one cargo test --doc" "$log" "running \`cargo test --offline --locked --release --doc'"
expect_eq "doc alone: only the doc tests" \
  "$(grep -oE 'Running [^ ]+( [^ ]+)?|Doc-tests tested' "$TEST_TMP/last.log" | tr '\n' ';')" "Doc-tests tested;"

# --- #:test-target in the per-crate mode: the graph's test units chosen as cargo test's options
# choose them (the units themselves are compared with cargo's by tests/cargo/unit-graph.sh).
pkg=$(EXTRA_ARGUMENTS='#:test-target ("lib" "integration") #:per-crate? #t' registry_package tested "$TEST_TMP/tested" '#t')
build "$pkg" "$TEST_TMP/out-tested-pc"
log=$(cat "$TEST_TMP/last.log")
expect_eq "per-crate: the lib's and the integration test's units ran, no other" \
  "$(grep -oE '^running .*-rust-unit-tested-0\.1\.0-[a-z-]+-test-' "$TEST_TMP/last.log" |
     sed -E 's/.*rust-unit-tested-0\.1\.0-//' | sort | tr '\n' ';')" \
  "lib-test-;test-integration-test-;"
expect_match "per-crate: the integration test passed" "$log" "test triangle_is_a_sum \.\.\. ok"

pkg=$(EXTRA_ARGUMENTS='#:test-target "doc" #:per-crate? #t' registry_package tested "$TEST_TMP/tested" '#t')
build "$pkg" "$TEST_TMP/out-tested-pc-doc"
log=$(cat "$TEST_TMP/last.log")
expect_match "per-crate, doc alone: the doc tests ran" "$log" "test result: ok\. 2 passed"
expect_no_match "per-crate, doc alone: no unit test ran" "$log" "test tests::adds"

pkg=$(EXTRA_ARGUMENTS='#:test-target ("lib" "nosuch") #:per-crate? #t' registry_package tested "$TEST_TMP/tested" '#t')
expect_status "per-crate: a test target that does not exist is refused" 1 "$FERRIX" build -d -f "$pkg"
expect_match "per-crate: the error names it" "$("$FERRIX" build -d -f "$pkg" 2>&1)" \
  "tested 0\.1\.0 \(.*Cargo\.toml\) has no test target named 'nosuch' \(#:test-target\)"
finish

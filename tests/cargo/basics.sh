#!/usr/bin/env bash
# Crates without dependencies: binary detection ([[bin]], src/main.rs, src/bin/, none), the
# install-source layout and its reproducible .crate, #:tests? #f, #:test-target, and phases
# replaced, added and deleted from Scheme.
source "$(dirname "$0")/lib/cargo.bash"

src=$TEST_TMP/src
mkdir -p "$src"

# crate NAME [BIN-KIND]: a crate with a lib, a passing unit test, and (BIN-KIND) a binary as
# src/main.rs ("main"), src/bin/NAME.rs ("bin-dir"), a [[bin]] at tools/run.rs ("bin-table").
crate() {
  local name=$1 kind=${2:-none} dir=$src/$1
  mkdir -p "$dir/src"
  printf '[package]\nname = "%s"\nversion = "0.2.0"\nedition = "2021"\n' "$name" > "$dir/Cargo.toml"
  printf 'pub fn answer() -> u32 { 42 }\n#[cfg(test)]\nmod t { #[test] fn unit() { assert_eq!(super::answer(), 42); } }\n' > "$dir/src/lib.rs"
  case $kind in
    main) printf 'fn main() { println!("%s {}", %s::answer()); }\n' "$name" "$name" > "$dir/src/main.rs" ;;
    bin-dir) mkdir -p "$dir/src/bin"
             printf 'fn main() { println!("%s {}", %s::answer()); }\n' "$name" "$name" > "$dir/src/bin/$name-tool.rs" ;;
    bin-table) mkdir -p "$dir/tools"
               printf '\n[[bin]]\nname = "runner"\npath = "tools/run.rs"\n' >> "$dir/Cargo.toml"
               printf 'fn main() { println!("runner {}", %s::answer()); }\n' "$name" > "$dir/tools/run.rs" ;;
  esac
}

# package NAME ARGUMENTS: a package file for the crate NAME of $src.
package() {
  cat > "$TEST_TMP/$1.scm" <<SCM
$PREAMBLE
(package
  (name "$1") (version "0.2.0")
  (source (local-file "$src/$1" #:recursive? #t))
  (build-system cargo-build-system)
  (arguments \`($2))
  (synopsis "test") (description "test") (license #f) (home-page #f))
SCM
  echo "$TEST_TMP/$1.scm"
}

# --- Binary detection and the install layout.
crate plain main
build "$(package plain '')" "$TEST_TMP/out-plain"
out=$TEST_TMP/out-plain
expect_eq "src/main.rs: installed binary runs" "$("$out/bin/plain")" "plain 42"
log=$(cat "$TEST_TMP/last.log")
expect_match "unit test ran" "$log" "test t::unit ... ok"
expect_match "no Cargo.lock: one generated, then --locked" "$log" "generating one from the vendored crates"
expect_match "cargo build --offline --locked --release" "$log" "running \`cargo build --offline --locked --release'"
expect_match "cargo install --no-track into the output" "$log" "running \`cargo install --offline --no-track --locked --path . --root $built'"
expect_eq "layout" "$(cd "$out" && find . -mindepth 1 | sort | tr '\n' ' ')" \
  "./bin ./bin/plain ./share ./share/cargo ./share/cargo/registry ./share/cargo/registry/plain-0.2.0.crate ./share/rust-source ./share/rust-source/plain-0.2.0 ./share/rust-source/plain-0.2.0/Cargo.lock ./share/rust-source/plain-0.2.0/Cargo.toml ./share/rust-source/plain-0.2.0/src ./share/rust-source/plain-0.2.0/src/lib.rs ./share/rust-source/plain-0.2.0/src/main.rs "
expect_eq "installed Cargo.toml is the original" "$(cat "$out/share/rust-source/plain-0.2.0/Cargo.toml")" "$(cat "$src/plain/Cargo.toml")"
expect_eq ".crate holds NAME-VERSION/..." "$(tar tzf "$out/share/cargo/registry/plain-0.2.0.crate" | sort | tr '\n' ' ')" \
  "plain-0.2.0/ plain-0.2.0/Cargo.lock plain-0.2.0/Cargo.toml plain-0.2.0/src/ plain-0.2.0/src/lib.rs plain-0.2.0/src/main.rs "
expect_eq ".crate entries: mtime 0, root" "$(tar tvzf "$out/share/cargo/registry/plain-0.2.0.crate" | awk '{print $2, $4, $5}' | sort -u)" "root/root 1970-01-01 00:00"

# Built again and compared bit for bit (the .crate included): reproducible.
expect_status "ferrix build --check: the same output again" 0 try_build "$TEST_TMP/plain.scm" --check

crate bindir bin-dir
build "$(package bindir '#:install-source? #f')" "$TEST_TMP/out-bindir"
expect_eq "src/bin/: binary installed, no source" "$(ls "$TEST_TMP/out-bindir" | tr '\n' ' ')$("$TEST_TMP/out-bindir/bin/bindir-tool")" "bin bindir 42"

crate bintable bin-table
build "$(package bintable '#:install-source? #f')" "$TEST_TMP/out-bintable"
expect_eq "[[bin]]: binary installed" "$("$TEST_TMP/out-bintable/bin/runner")" "runner 42"

crate libonly
build "$(package libonly '')" "$TEST_TMP/out-libonly"
expect_eq "library only: no bin/, source only" "$(ls "$TEST_TMP/out-libonly")" "share"
expect_match "library only: cargo install not run" "$(cat "$TEST_TMP/last.log")" "no binary targets: nothing for cargo install"

crate skip
build "$(package skip '#:skip-build? #t')" "$TEST_TMP/out-skip"
expect_match "#:skip-build? #t: nothing compiled" "$(cat "$TEST_TMP/last.log")" "build skipped"
expect_eq "#:skip-build? #t: source and .crate" "$(cd "$TEST_TMP/out-skip" && find . -name '*.crate')" "./share/cargo/registry/skip-0.2.0.crate"

# --- #:tests? #f: a failing test and a dev-dependency that has no input do not matter.
crate notests main
printf '\n[dev-dependencies]\nnot-an-input = "1"\n' >> "$src/notests/Cargo.toml"
printf '#[test]\nfn broken() { panic!("must not run"); }\n' > "$src/notests/src/extra.rs"
echo 'mod extra;' >> "$src/notests/src/lib.rs"
build "$(package notests '#:tests? #f')" "$TEST_TMP/out-notests"
log=$(cat "$TEST_TMP/last.log")
expect_match "#:tests? #f: test suite not run" "$log" "test suite not run"
expect_match "#:tests? #f: dev-dependency without input pruned" "$log" "pruned dev-dependencies.not-an-input"
expect_eq "#:tests? #f: installed source keeps the dev-dependency" "$(grep -c not-an-input "$TEST_TMP/out-notests/share/rust-source/notests-0.2.0/Cargo.toml")" "1"
expect_status "tests on: the dev-dependency without input fails resolution" 1 try_build "$(package notests '')"
expect_match "... naming it" "$(cat "$TEST_TMP/last.log")" "not-an-input"
expect_eq "... and nothing is registered" "$(test -e "$built" && echo registered || echo none)" "none"

# --- #:test-target: only the named integration test runs.
crate targets
mkdir -p "$src/targets/tests"
printf '#[test]\nfn good() { assert_eq!(targets::answer(), 42); }\n' > "$src/targets/tests/good.rs"
printf '#[test]\nfn bad() { panic!("bad ran"); }\n' > "$src/targets/tests/bad.rs"
build "$(package targets '#:test-target "good" #:cargo-test-flags ("--release" "--verbose")')" "$TEST_TMP/out-targets"
log=$(cat "$TEST_TMP/last.log")
expect_match "#:test-target: the target ran" "$log" "test good ... ok"
expect_eq "#:test-target: no other target ran" "$(grep -c 'bad ran\|t::unit' <<<"$log")" "0"
expect_match "#:cargo-test-flags and #:test-target honoured" "$log" "running \`cargo test --offline --locked --release --verbose --test good'"
expect_status "#:test-target list with a failing test fails the build" 1 try_build "$(package targets '#:test-target ("lib" "bad")')"
expect_match "... in the check phase" "$(cat "$TEST_TMP/last.log")" "error: in phase 'check'"

# --- #:features, jobs (-c, #:parallel-build?).
crate feat main
printf '\n[features]\nloud = []\n' >> "$src/feat/Cargo.toml"
printf 'fn main() { if cfg!(feature = "loud") { println!("FEAT"); } else { println!("feat"); } }\n' > "$src/feat/src/main.rs"
expect_status "-c 1 passed to cargo as jobs" 0 try_build "$(package feat '#:features ("loud") #:install-source? #f')" -c 1
ln -sfn "$built" "$TEST_TMP/out-feat"
expect_eq "#:features: the feature is on" "$("$TEST_TMP/out-feat/bin/feat")" "FEAT"
log=$(cat "$TEST_TMP/last.log")
expect_match "... cargo build --features loud" "$log" "running \`cargo build --offline --locked --release --features loud'"
expect_match "... CARGO_BUILD_JOBS from -c" "$log" "environment variable \`CARGO_BUILD_JOBS' set to \`1'"
build "$(package feat '#:parallel-build? #f')" "$TEST_TMP/out-feat-serial"
expect_eq "no feature: off" "$("$TEST_TMP/out-feat-serial/bin/feat")" "feat"
expect_match "#:parallel-build? #f: one job" "$(cat "$TEST_TMP/last.log")" "environment variable \`CARGO_BUILD_JOBS' set to \`1'"

# --- Phases from Scheme: added, replaced, deleted; they get every keyword argument.
crate phased main
build "$(package phased '#:phases
    (modify-phases %standard-phases
      (delete (quote check))
      (add-before (quote build) (quote patch)
        (lambda _ (substitute* "src/lib.rs" (("42") "43"))))
      (replace (quote install)
        (lambda* (#:key outputs crate-name #:allow-other-keys)
          (let ((bin (string-append (assoc-ref outputs "out") "/bin")))
            (mkdir-p bin)
            (copy-file (string-append (getenv "CARGO_TARGET_DIR") "/release/" crate-name)
                       (string-append bin "/" crate-name "-copy")))))
      (add-after (quote install) (quote smoke)
        (lambda* (#:key outputs #:allow-other-keys)
          (invoke (string-append (assoc-ref outputs "out") "/bin/phased-copy")))))')" "$TEST_TMP/out-phased"
log=$(cat "$TEST_TMP/last.log")
expect_eq "phases: order" "$(grep -o "starting phase \`[a-z-]*'" <<<"$log" | tr '\n' ' ')" \
  "starting phase \`set-paths' starting phase \`unpack' starting phase \`configure' starting phase \`patch' starting phase \`build' starting phase \`install' starting phase \`smoke' "
expect_match "phases: added phase patched the source, smoke test ran it" "$log" "phased 43"
expect_eq "phases: replaced install" "$(ls "$TEST_TMP/out-phased/bin")" "phased-copy"
finish

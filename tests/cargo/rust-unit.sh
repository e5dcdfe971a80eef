#!/usr/bin/env bash
# The per-crate build side, `ferrix unit' (lib/cargo/unit-build.cc), with invocations written by
# hand for a two-crate project: greet (a library with a build script and links = "greet") and
# hello (a binary with a build script that reads DEP_GREET_*), six units, each its own derivation
# made by (ferrix build-system cargo-units). Checks the outputs of doc/per-crate.md, the
# directives' effects (--cfg, rustc-env, OUT_DIR, -l/-L, DEP_ variables), sharing (the same unit
# is the same derivation), and the failures: a build script's cargo::error and a rustc error, each
# named.
source "$(dirname "$0")/lib/cargo.bash"

src=$TEST_TMP/src
rm -rf "$src"
mkdir -p "$src/greet/src" "$src/hello/src" "$src/native"

cat >"$src/greet/Cargo.toml" <<'TOML'
[package]
name = "greet"
version = "0.1.0"
edition = "2021"
links = "greet"
TOML
cat >"$src/hello/Cargo.toml" <<'TOML'
[package]
name = "hello"
version = "0.1.0"
edition = "2021"

[dependencies]
greet = { path = "../greet" }
TOML
cat >"$src/greet/build.rs" <<'RS'
use std::{env, fs, path::Path};
fn main() {
    let out = env::var("OUT_DIR").unwrap();
    fs::write(Path::new(&out).join("greeting.rs"), "pub const GREETING: &str = \"hello\";\n").unwrap();
    // A native library the crate links, as -sys crates build them into OUT_DIR.
    let lib = Path::new(&out).join("lib");
    fs::create_dir_all(&lib).unwrap();
    let status = std::process::Command::new("cc")
        .args(["-c", "-fPIC", "-o"]).arg(lib.join("native.o"))
        .arg(Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("native.c"))
        .status().unwrap();
    assert!(status.success());
    let status = std::process::Command::new("ar")
        .arg("crs").arg(lib.join("libgreetnative.a")).arg(lib.join("native.o"))
        .status().unwrap();
    assert!(status.success());
    println!("cargo::rustc-link-search=native={}", lib.display());
    println!("cargo::rustc-link-lib=static=greetnative");
    println!("cargo::rustc-cfg=greet_loud");
    println!("cargo::rustc-check-cfg=cfg(greet_loud)");
    println!("cargo::rustc-env=GREET_BUILT_BY=build.rs");
    println!("cargo::metadata=include={}/include", out);
    println!("cargo:root={}", out);
    println!("cargo::warning=greet is being built");
    if env::var("GREET_FAIL").is_ok() {
        println!("cargo::error=greet was told to fail");
    }
}
RS
cat >"$src/greet/native.c" <<'C'
int greet_native_answer(void) { return 42; }
C
cat >"$src/greet/src/lib.rs" <<'RS'
include!(concat!(env!("OUT_DIR"), "/greeting.rs"));
extern "C" {
    fn greet_native_answer() -> i32;
}
pub fn greet(who: &str) -> String {
    let g = if cfg!(greet_loud) { GREETING.to_uppercase() } else { GREETING.to_string() };
    let n = unsafe { greet_native_answer() };
    format!("{g}, {who} ({} {n})", env!("GREET_BUILT_BY"))
}
RS
cat >"$src/hello/build.rs" <<'RS'
fn main() {
    let include = std::env::var("DEP_GREET_INCLUDE").expect("DEP_GREET_INCLUDE");
    let root = std::env::var("DEP_GREET_ROOT").expect("DEP_GREET_ROOT");
    assert!(include.starts_with(&root));
    assert!(std::path::Path::new(&root).join("greeting.rs").exists());
    println!("cargo:rustc-env=HELLO_SAW_GREET={}", include.ends_with("/out/include"));
}
RS
cat >"$src/hello/src/main.rs" <<'RS'
fn main() {
    println!("{} {}", greet::greet("world"), env!("HELLO_SAW_GREET"));
}
#[cfg(test)]
mod t {
    #[test]
    fn greets() {
        assert!(greet::greet("tester").contains("tester"));
    }
    #[test]
    fn runs_as_cargo_runs_tests() {
        assert_eq!(std::env::var("CARGO_PKG_NAME").unwrap(), "hello");
        let tmp = std::env::var("CARGO_TARGET_TMPDIR").unwrap();
        std::fs::write(format!("{}/scratch", tmp), "x").unwrap();
    }
}
RS

# The driver: the six units by hand, in dependency order; prints NAME OUTPUT per unit.
cat >"$TEST_TMP/units.scm" <<'SCM'
(use-modules (ferrix build-system cargo-units) (ferrix toolchain) (ferrix store)
             (ferrix derivations) (ferrix packages) (ice-9 match) (srfi srfi-1))
(define-values (src extra) (match (command-line) ((_ src . extra) (values src extra))))
(define store (open-store))
(define toolchain (lower-object store (host-rust-toolchain)))
(define rustc (string-append toolchain "/bin/rustc"))
(define (add dir) (add-to-store store (basename dir) #t (quote sha256) dir))
(define greet-src (add (string-append src "/greet")))
(define hello-src (add (string-append src "/hello")))
(define out %unit-output-placeholder)
(define fail? (member "fail" extra))
(define (pkg-env crate dir)
  `(("CARGO_PKG_NAME" . ,crate) ("CARGO_PKG_VERSION" . "0.1.0")
    ("CARGO_MANIFEST_DIR" . ,dir) ("CARGO_CRATE_NAME" . ,crate)))
(define (unit . args)
  (apply unit-derivation store #:version "0.1.0" #:cargo-version "1.95.0"
         #:host-directories (toolchain-item-host-directories toolchain) args))
(define (compile-script crate dir meta)
  (unit #:crate crate #:kind 'custom-build #:target-name "build-script-build"
        #:crate-types '("bin") #:mode 'build #:metadata meta
        #:program rustc #:directory dir #:sources (list toolchain dir)
        #:arguments `("--crate-name" "build_script_build" "--edition" "2021" "build.rs"
                      "--crate-type" "bin" "-C" ,(string-append "metadata=" meta)
                      "-C" ,(string-append "extra-filename=-" meta)
                      "--out-dir" ,(string-append out "/bin"))
        #:environment (pkg-env crate dir)))
(define (run-script crate dir compiled meta scripts env)
  (unit #:crate crate #:kind 'custom-build #:target-name "build-script-build"
        #:mode 'run-custom-build #:metadata meta
        #:program (string-append (derivation->output-path compiled) "/bin/build-script-build")
        #:directory dir #:sources (list toolchain dir) #:units (list compiled)
        #:scripts scripts
        #:environment `(("OUT_DIR" . ,(string-append out "/out"))
                        ("TARGET" . "x86_64-unknown-linux-gnu")
                        ("HOST" . "x86_64-unknown-linux-gnu") ("RUSTC" . ,rustc)
                        ,@env ,@(pkg-env crate dir))))
(define greet-script (compile-script "greet" greet-src "aaaa"))
(define greet-run
  (run-script "greet" greet-src greet-script "aaaa" '()
              `(("CARGO_MANIFEST_LINKS" . "greet") ,@(if fail? '(("GREET_FAIL" . "1")) '()))))
(define greet-lib
  (unit #:crate "greet" #:kind 'lib #:target-name "greet" #:crate-types '("lib")
        #:mode 'build #:metadata "bbbb" #:program rustc #:directory greet-src
        #:sources (list toolchain greet-src)
        #:scripts `((,greet-run own #f))
        #:arguments `("--crate-name" "greet" "--edition" "2021" "src/lib.rs"
                      "--crate-type" "lib" "--emit=dep-info,metadata,link"
                      "-C" "metadata=bbbb" "-C" "extra-filename=-bbbb"
                      "--out-dir" ,(string-append out "/lib"))
        #:environment (pkg-env "greet" greet-src)))
(define hello-script (compile-script "hello" hello-src "cccc"))
(define hello-run
  (run-script "hello" hello-src hello-script "cccc" `((,greet-run metadata "greet")) '()))
(define greet-out (derivation->output-path greet-lib))
(define hello-bin
  (unit #:crate "hello" #:kind 'bin #:target-name "hello" #:crate-types '("bin")
        #:mode 'build #:metadata "dddd" #:program rustc #:directory hello-src
        #:sources (list toolchain hello-src) #:units (list greet-lib)
        #:scripts `((,hello-run own #f) (,greet-run link-search #f))
        #:arguments `("--crate-name" "hello" "--edition" "2021" "src/main.rs"
                      "--crate-type" "bin" "--emit=dep-info,link"
                      "-C" "metadata=dddd" "-C" "extra-filename=-dddd"
                      "--out-dir" ,(string-append out "/bin")
                      "--extern" ,(string-append "greet=" greet-out "/lib/libgreet-bbbb.rlib")
                      "-L" ,(string-append "dependency=" greet-out "/lib"))
        #:environment (pkg-env "hello" hello-src)))
(define units (list greet-script greet-run greet-lib hello-script hello-run hello-bin))
(for-each (lambda (drv)
            (format #t "~a ~a ~a~%" (derivation-name drv) (derivation-file-name drv)
                    (derivation->output-path drv)))
          units)
(force-output)
(build-derivations store (list hello-bin))
(define hello-test
  (unit #:crate "hello" #:kind 'bin #:target-name "hello" #:crate-types '("bin")
        #:mode 'test #:metadata "eeee" #:program rustc #:directory hello-src
        #:sources (list toolchain hello-src) #:units (list greet-lib)
        #:scripts `((,hello-run own #f) (,greet-run link-search #f))
        #:arguments `("--crate-name" "hello" "--edition" "2021" "src/main.rs"
                      "--test" "-C" "metadata=eeee" "-C" "extra-filename=-eeee"
                      "--out-dir" ,(string-append out "/bin")
                      "--extern" ,(string-append "greet=" greet-out "/lib/libgreet-bbbb.rlib")
                      "-L" ,(string-append "dependency=" greet-out "/lib"))
        #:environment (pkg-env "hello" hello-src)))
(when (member "package" extra)
  (let ((pkg (package-install-derivation store "hello-0.1.0" hello-src
                                         (list hello-bin)
                                         #:tests `((,hello-test "bin/hello-eeee" ,hello-src
                                                     (("CARGO_PKG_NAME" . "hello")
                                                      ("CARGO_TARGET_TMPDIR" . "/build/target/tmp"))
                                                     "`hello' 0.1.0 (bin \"hello\")"))
                                         #:install-source? #t)))
    (format #t "test ~a~%" (derivation->output-path hello-test))
    (format #t "package-drv ~a~%" (derivation-file-name pkg))
    (build-derivations store (list pkg))
    (format #t "package ~a~%" (derivation->output-path pkg))))
SCM

run_units() {
  "$FERRIX" repl "$TEST_TMP/units.scm" "$src" "$@" >"$TEST_TMP/units.out" 2>"$TEST_TMP/units.err"
}
if ! run_units; then
  cat "$TEST_TMP/units.out" "$TEST_TMP/units.err" >&2
  fail "building the hand-written units failed"
fi
out_of() { awk -v n="$1" '$1 ~ n { print $3 }' "$TEST_TMP/units.out"; }
names=$(awk '{print $1}' "$TEST_TMP/units.out" | tr '\n' ' ')
expect_eq "derivation names" "$names" \
  "rust-unit-greet-0.1.0-custom-build-aaaa rust-unit-greet-0.1.0-custom-build-run-aaaa rust-unit-greet-0.1.0-lib-bbbb rust-unit-hello-0.1.0-custom-build-cccc rust-unit-hello-0.1.0-custom-build-run-cccc rust-unit-hello-0.1.0-bin-dddd "

greet_script=$(out_of 'greet-0.1.0-custom-build-aaaa$')
greet_run=$(out_of 'greet-0.1.0-custom-build-run-aaaa$')
greet_lib=$(out_of 'greet-0.1.0-lib-bbbb$')
hello_bin=$(out_of 'hello-0.1.0-bin-dddd$')
listing() { (cd "$1" && find . -mindepth 1 | sort | tr '\n' ' '); }
expect_eq "build script compilation: bin/build-script-build only (uplifted from build_script_build-aaaa)" "$(listing "$greet_script")" \
  "./bin ./bin/build-script-build "
expect_eq "library: the rlib and rmeta, no dep-info" "$(listing "$greet_lib")" \
  "./lib ./lib/libgreet-bbbb.rlib ./lib/libgreet-bbbb.rmeta "
expect_eq "binary: bin/NAME (uplifted from hello-dddd)" "$(listing "$hello_bin")" "./bin ./bin/hello "
expect_eq "build script run: out/, output, directives" \
  "$(cd "$greet_run" && ls | tr '\n' ' ')" "directives out output "
expect_match "OUT_DIR is the output's out/" "$(ls "$greet_run/out")" "greeting.rs"
expect_eq "the script's standard output kept as it was" "$(head -n 1 "$greet_run/output")" \
  "cargo::rustc-link-search=native=$greet_run/out/lib"
expect_eq "directives saved, read as cargo reads them" "$(cat "$greet_run/directives")" \
  "rustc-link-lib=static=greetnative
rustc-link-search=native=$greet_run/out/lib
rustc-cfg=greet_loud
rustc-check-cfg=cfg(greet_loud)
rustc-env=GREET_BUILT_BY=build.rs
metadata=include=$greet_run/out/include
metadata=root=$greet_run/out
warning=greet is being built"
expect_eq "the program: cfg, rustc-env, OUT_DIR, the native library, DEP_ variables" \
  "$("$hello_bin/bin/hello")" "HELLO, world (build.rs 42) true"

# The package's derivation: the binary units' programs, and the source as the whole-package
# mode installs it.
run_units package || fail "building the package failed"
pkg=$(awk '$1 == "package" { print $2 }' "$TEST_TMP/units.out")
expect_eq "package: bin/ and the installed source" \
  "$(cd "$pkg" && find . -mindepth 1 -maxdepth 4 -not -path './share/rust-source/*/*' | sort | tr '\n' ' ')" \
  "./bin ./bin/hello ./share ./share/cargo ./share/cargo/registry ./share/cargo/registry/hello-0.1.0.crate ./share/rust-source ./share/rust-source/hello-0.1.0 "
expect_eq "package: the program runs" "$("$pkg/bin/hello")" "HELLO, world (build.rs 42) true"
expect_eq "test unit: bin/NAME-META" "$(listing "$(awk '$1 == "test" { print $2 }' "$TEST_TMP/units.out")")" \
  "./bin ./bin/hello-eeee "
expect_match "package: its tests ran first" \
  "$("$FERRIX" log "$(awk '$1 == "package-drv" { print $2 }' "$TEST_TMP/units.out")")" "test t::greets ... ok"

# What lowering reads before the graph: the toolchain's facts, and a .crate as a directory.
tar czf "$TEST_TMP/greet-0.1.0.crate" -C "$src" --transform 's|^greet|greet-0.1.0|' greet
cat >"$TEST_TMP/facts.scm" <<SCM
(use-modules (ferrix build-system cargo-units) (ferrix toolchain) (ferrix store)
             (ferrix packages))
(define store (open-store))
(define toolchain (lower-object store (host-rust-toolchain)))
(define facts (toolchain-facts store toolchain #f '()))
(define flagged (toolchain-facts store toolchain #f '("--cfg" "ferrix_probe")))
(format #t "flagged ~a ~a~%"
        (and (string-contains (assq-ref flagged 'host-cfg) "ferrix_probe") #t)
        (and (string-contains (assq-ref facts 'host-cfg) "ferrix_probe") #t))
(format #t "release ~a~%host ~a~%linux ~a~%target-cfg ~a~%same ~a~%"
        (assq-ref facts 'release) (assq-ref facts 'host)
        (and (string-contains (assq-ref facts 'host-cfg) "target_os=\"linux\"") #t)
        (assq-ref facts 'target-cfg)
        (eq? facts (toolchain-facts store toolchain #f '())))
(define crate (add-to-store store "greet-0.1.0.crate" #f 'sha256 "$TEST_TMP/greet-0.1.0.crate"))
(define dir (unpacked-source store crate (%current-system)))
(format #t "unpacked ~a~%" dir)
(format #t "directory kept ~a~%" (string=? dir (unpacked-source store dir (%current-system))))
SCM
"$FERRIX" repl "$TEST_TMP/facts.scm" >"$TEST_TMP/facts.out" 2>"$TEST_TMP/facts.err" || {
  cat "$TEST_TMP/facts.err" >&2
  fail "the toolchain's facts and unpacking failed"
}
facts=$(cat "$TEST_TMP/facts.out")
expect_match "toolchain facts: rustc -vV's release" "$facts" "release $(rustc -vV | sed -n 's/^release: //p')"
expect_match "toolchain facts: rustc -vV's host" "$facts" "host x86_64-unknown-linux-gnu"
expect_match "toolchain facts: rustc --print cfg" "$facts" "linux #t"
expect_match "toolchain facts: no target cfg when not cross-compiling" "$facts" "target-cfg #f"
expect_match "toolchain facts: read once" "$facts" "same #t"
expect_match "toolchain facts: the rustflags' --cfg seen by rustc --print cfg, and only with them" \
  "$facts" "flagged #t #f"
unpacked=$(sed -n 's/^unpacked //p' "$TEST_TMP/facts.out")
expect_eq "a .crate unpacked into a directory of its own" "$(cd "$unpacked" && find . -type f | sort | tr '\n' ' ')" \
  "./Cargo.toml ./build.rs ./native.c ./src/lib.rs "
expect_match "an unpacked .crate is named after it" "$unpacked" "greet-0.1.0.crate-unpacked$"
expect_match "a directory stays as it is" "$facts" "directory kept #t"

# Sharing: the same units again, and with hello's source edited: greet's units are the same
# derivations, and nothing of greet is built again.
before=$(awk '{print $2}' "$TEST_TMP/units.out" | head -n 3)
echo "// edited" >>"$src/hello/src/main.rs"
if ! run_units; then
  cat "$TEST_TMP/units.out" "$TEST_TMP/units.err" >&2
  fail "building the units after an edit failed"
fi
expect_eq "an edit to hello: greet's three units unchanged" \
  "$(awk '{print $2}' "$TEST_TMP/units.out" | head -n 3)" "$before"
expect_match "an edit to hello: its units built" "$(cat "$TEST_TMP/units.err")" "Compiling hello v0.1.0"
if grep -q "building .*greet\|Compiling greet" "$TEST_TMP/units.err"; then
  not_ok "an edit to hello: greet not built again"
else
  ok "an edit to hello: greet not built again"
fi

# A cargo::error fails the run, naming the crate and showing the script's output.
run_units fail && status=0 || status=$?
expect_eq "cargo::error: the unit fails" "$status" "1"
log=$("$FERRIX" log "$(awk '/greet-0.1.0-custom-build-run/ {print $2}' "$TEST_TMP/units.out")" 2>&1 || true)
expect_match "cargo::error: shown" "$log" "error: greet@0.1.0: greet was told to fail"
expect_match "cargo::error: names the unit" "$log" "failed to run custom build command for \`greet' 0.1.0 \\(custom-build\\)"
expect_match "cargo::error: the script's output shown" "$log" "--- stdout"

# A rustc error: its diagnostic and the unit named.
echo 'fn broken() -> u32 { "no" }' >>"$src/hello/src/main.rs"
run_units && status=0 || status=$?
expect_eq "rustc error: the unit fails" "$status" "1"
log=$("$FERRIX" log "$(awk '/hello-0.1.0-bin/ {print $2}' "$TEST_TMP/units.out")" 2>&1 || true)
expect_match "rustc error: rustc's diagnostic" "$log" "error\[E0308\]: mismatched types"
expect_match "rustc error: names the crate, version and unit" "$log" "could not compile \`hello' 0.1.0 \\(bin\\)"

finish

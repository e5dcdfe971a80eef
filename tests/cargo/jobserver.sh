#!/usr/bin/env bash
# The run's jobserver in the per-crate mode (doc/build.md, "Jobs and the jobserver"): rustc and
# build scripts get it (a build script's make uses it as cargo's autotools crate does, NUM_JOBS
# is the run's cores), rustc never says it failed to connect, and it is scheduling, not content:
# the units built with -c 1 are rebuilt identically (--check) with -c 2.
source "$(dirname "$0")/lib/cargo.bash"

src=$TEST_TMP/jobs
rm -rf "$src" "$src.scm"
mkdir -p "$src/src" "$src/helper/src"
cat >"$src/Cargo.toml" <<'TOML'
[package]
name = "jobs"
version = "0.1.0"
edition = "2021"

[dependencies]
helper = { path = "helper" }
TOML
cat >"$src/helper/Cargo.toml" <<'TOML'
[package]
name = "helper"
version = "0.1.0"
edition = "2021"
TOML
cat >"$src/helper/src/lib.rs" <<'RS'
pub fn digits(n: u64) -> String {
    n.to_string().chars().rev().collect()
}
RS
# The build script fails unless the jobserver reached it as cargo gives it, and make can use it.
cat >"$src/build.rs" <<'RS'
use std::{env, fs, path::Path, process::Command};
fn main() {
    let flags = env::var("CARGO_MAKEFLAGS").expect("CARGO_MAKEFLAGS");
    assert!(flags.contains("--jobserver-auth=3,4"), "CARGO_MAKEFLAGS={flags}");
    assert_eq!(env::var("NUM_JOBS").ok(), env::var("NIX_BUILD_CORES").ok());
    let out = env::var("OUT_DIR").unwrap();
    let makefile = Path::new(&out).join("Makefile");
    fs::write(&makefile, "all: a b\na b:\n\t@true\n").unwrap();
    let made = Command::new("make").arg("-f").arg(&makefile).env("MAKEFLAGS", &flags)
        .output().expect("make");
    let said = String::from_utf8_lossy(&made.stderr);
    assert!(made.status.success() && !said.contains("jobserver"), "make said: {said}");
    fs::remove_file(&makefile).unwrap();
}
RS
cat >"$src/src/main.rs" <<'RS'
fn main() {
    println!("{}", helper::digits(42));
}
RS
(cd "$src" && cargo generate-lockfile --offline >/dev/null 2>&1) ||
  fail "cargo generate-lockfile failed"
pkg=$(registry_package jobs "$src" "#f")

status=0
"$FERRIX" build --per-crate -v -c 1 -f "$pkg" >"$TEST_TMP/build.out" 2>"$TEST_TMP/build.err" ||
  status=$?
if [ $status != 0 ]; then
  tail -n 40 "$TEST_TMP/build.err" >&2
  fail "ferrix build --per-crate -c 1 failed"
fi
ok "built with -c 1: rustc and the build script found the jobserver"
expect_eq "the program runs" "$("$(tail -n 1 "$TEST_TMP/build.out")/bin/jobs")" "24"

# The unit derivations it built, and no complaint of rustc about the jobserver in their logs.
grep -o "building '[^']*\.drv'" "$TEST_TMP/build.err" | sed -E "s/^building '//; s/'$//" |
  grep '/[a-z0-9]*-rust-unit-' >"$TEST_TMP/units"
expect_match "units were built" "$(wc -l <"$TEST_TMP/units")" "^[1-9]"
complaints=0
while read -r d; do
  if "$FERRIX" log "$d" | grep -q "failed to connect to jobserver"; then
    complaints=$((complaints + 1))
  fi
done <"$TEST_TMP/units"
expect_eq "no rustc complains about the jobserver" "$complaints" "0"

# The same derivations whatever -c, and the same outputs: --check rebuilds each unit with -c 2
# and compares it with what -c 1 built.
expect_eq "the same derivations with -c 2" "$("$FERRIX" build --per-crate -d -c 2 -f "$pkg")" \
  "$("$FERRIX" build --per-crate -d -c 1 -f "$pkg")"
mapfile -t units <"$TEST_TMP/units"
if "$FERRIX" build --check -c 2 -M 2 "${units[@]}" >"$TEST_TMP/check.out" 2>"$TEST_TMP/check.err"; then
  ok "every unit rebuilt with -c 2 is identical to its -c 1 build (${#units[@]} units)"
else
  tail -n 20 "$TEST_TMP/check.err" >&2
  not_ok "a unit differs between -c 1 and -c 2"
fi
finish

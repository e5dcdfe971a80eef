#!/usr/bin/env bash
# Issue 14, item 3: a -sys crate's switch forcing the system library is set only when pkg-config
# finds the library in configure; otherwise the crate's bundled sources are built, or, without
# them, configure stops naming the library, its pkg-config name and its Debian package. The
# per-crate mode checks the same way when demo-sys's build script runs. demo-sys,
# written here, does what onig_sys does with RUSTONIG_SYSTEM_LIBONIG: with DEMO_SYS_USE_PKG_CONFIG
# set its build script requires `ferrixdemo' from pkg-config, else it uses bundled/; its row comes
# from the package's #:sys-crates.
source "$(dirname "$0")/lib/cargo.bash"

# demo_sys DIR VERSION BUNDLED?: the -sys crate, with bundled sources or not.
demo_sys() {
  mkdir -p "$1/src"
  # links: in the per-crate mode, the build script run of a crate with links gets the package's
  # inputs (doc/per-crate.md).
  printf '[package]\nname = "demo-sys"\nversion = "%s"\nedition = "2021"\nbuild = "build.rs"\nlinks = "ferrixdemo"\n' "$2" >"$1/Cargo.toml"
  cat >"$1/build.rs" <<'T'
use std::env;
use std::process::Command;
fn main() {
    println!("cargo:rerun-if-env-changed=DEMO_SYS_USE_PKG_CONFIG");
    let source = if env::var_os("DEMO_SYS_USE_PKG_CONFIG").is_some() {
        let out = Command::new("pkg-config").args(["--modversion", "ferrixdemo"]).output()
            .expect("running pkg-config");
        if !out.status.success() {
            panic!("Unable to find ferrixdemo in pkg-config, and DEMO_SYS_USE_PKG_CONFIG is set");
        }
        format!("system {}", String::from_utf8(out.stdout).unwrap().trim())
    } else {
        let v = std::fs::read_to_string("bundled/VERSION").expect("no bundled sources");
        format!("bundled {}", v.trim())
    };
    println!("cargo:rustc-env=DEMO_SOURCE={}", source);
}
T
  echo 'pub const SOURCE: &str = env!("DEMO_SOURCE");' >"$1/src/lib.rs"
  if [ "$3" = yes ]; then mkdir -p "$1/bundled" && echo 1.0 >"$1/bundled/VERSION"; fi
}
demo_sys "$TEST_TMP/demo-sys-bundled" 0.1.0 yes
demo_sys "$TEST_TMP/demo-sys-alone" 0.1.0 no

# The library, as a package would provide it: a pkg-config file in lib/pkgconfig.
mkdir -p "$TEST_TMP/libdemo/lib/pkgconfig"
printf 'prefix=/nonexistent\nName: ferrixdemo\nDescription: a test library\nVersion: 2.5\nLibs:\nCflags:\n' \
  >"$TEST_TMP/libdemo/lib/pkgconfig/ferrixdemo.pc"

app=$TEST_TMP/app
mkdir -p "$app/src"
printf '[package]\nname = "demo-app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\ndemo-sys = "0.1"\n' >"$app/Cargo.toml"
echo 'fn main() { println!("{}", demo_sys::SOURCE); }' >"$app/src/main.rs"

# package NAME SYS-CRATE [EXTRA-INPUT]: demo-app with the crate directory SYS-CRATE, in the
# per-crate mode when $PER_CRATE is set.
package() {
  local inputs="" mode=""
  [ -z "${3:-}" ] || inputs="(local-file \"$3\" #:recursive? #t)"
  [ -z "${PER_CRATE:-}" ] || mode="#:per-crate? #t"
  cat >"$TEST_TMP/$1.scm" <<SCM
$PREAMBLE
(package
  (name "$1") (version "0.1.0")
  (source (local-file "$app" #:recursive? #t))
  (build-system cargo-build-system)
  (inputs (list $inputs))
  (arguments
   \`(#:install-source? #f $mode
     #:sys-crates (("demo-sys" "DEMO_SYS_USE_PKG_CONFIG" "1"
                    ("the demo library" "ferrixdemo" "libferrixdemo-dev" "bundled")))
     #:cargo-inputs (("demo-sys" ,(local-file "$2" #:recursive? #t)))))
  (synopsis "test") (description "test") (license #f) (home-page #f))
SCM
  echo "$TEST_TMP/$1.scm"
}

# Absent, bundled sources: the switch is left unset, the bundled sources are built.
build "$(package absent "$TEST_TMP/demo-sys-bundled")" "$TEST_TMP/out-absent"
log=$(cat "$TEST_TMP/last.log")
expect_match "not found: said, switch not set" "$log" \
  "demo-sys: the demo library not found by pkg-config \(ferrixdemo\): DEMO_SYS_USE_PKG_CONFIG not set, building the crate's bundled sources \(bundled/\)"
if [[ "$log" =~ DEMO_SYS_USE_PKG_CONFIG\'\ set ]]; then not_ok "switch set"; else ok "the switch is not in the environment"; fi
expect_eq "the bundled sources were used" "$("$TEST_TMP/out-absent/bin/demo-app")" "bundled 1.0"

# Present (an input's lib/pkgconfig): the switch is set, the system library used.
build "$(package present "$TEST_TMP/demo-sys-bundled" "$TEST_TMP/libdemo")" "$TEST_TMP/out-present"
log=$(cat "$TEST_TMP/last.log")
expect_match "found: said" "$log" "demo-sys: the demo library found by pkg-config \(ferrixdemo\): DEMO_SYS_USE_PKG_CONFIG=1"
expect_match "the switch set" "$log" "environment variable \`DEMO_SYS_USE_PKG_CONFIG' set to \`1'"
expect_eq "the system library was used" "$("$TEST_TMP/out-present/bin/demo-app")" "system 2.5"

# Absent, no bundled sources: configure stops, naming the library, before cargo builds.
expect_status "absent, nothing bundled: the build fails" 1 try_build "$(package alone "$TEST_TMP/demo-sys-alone")"
log=$(cat "$TEST_TMP/last.log" "$TEST_TMP/build.err")
expect_match "the error names the library, pkg-config name and Debian package" "$log" \
  "demo-sys 0\.1\.0 needs the system library the demo library, which pkg-config does not find \(pkg-config name \`ferrixdemo'\), and the crate has no bundled sources to build instead: install it \(Debian's libferrixdemo-dev\), or give the package an input providing lib/pkgconfig/ferrixdemo\.pc"
expect_match "in configure" "$log" "error: in phase 'configure'"
if [[ "$log" =~ running\ \`cargo\ build ]]; then not_ok "cargo build ran"; else ok "cargo build never ran"; fi

# --- The per-crate mode: the same three cases, decided in demo-sys's build script run (its own
# derivation), with the same lines and error; -v 3 shows the units' logs.
export PER_CRATE=1
per_crate() { # NAME SYS-CRATE [EXTRA-INPUT]: build it per crate; $log the output, $status
  status=0
  try_build "$(package "$@")" -v 3 || status=$?
  log=$(cat "$TEST_TMP/build.err")
}
per_crate pc-absent "$TEST_TMP/demo-sys-bundled"
expect_eq "per-crate, absent, bundled: built" "$status" 0
expect_match "per-crate: not found: said, switch not set" "$log" \
  "demo-sys: the demo library not found by pkg-config \(ferrixdemo\): DEMO_SYS_USE_PKG_CONFIG not set, building the crate's bundled sources \(bundled/\)"
expect_eq "per-crate: the bundled sources were used" "$("$built/bin/demo-app")" "bundled 1.0"

per_crate pc-present "$TEST_TMP/demo-sys-bundled" "$TEST_TMP/libdemo"
expect_eq "per-crate, present: built" "$status" 0
expect_match "per-crate: found: said" "$log" "demo-sys: the demo library found by pkg-config \(ferrixdemo\): DEMO_SYS_USE_PKG_CONFIG=1"
expect_eq "per-crate: the system library was used" "$("$built/bin/demo-app")" "system 2.5"

per_crate pc-alone "$TEST_TMP/demo-sys-alone"
expect_eq "per-crate, absent, nothing bundled: the build fails" "$status" 1
expect_match "per-crate: the error names the library, pkg-config name and Debian package" "$log" \
  "demo-sys 0\.1\.0 needs the system library the demo library, which pkg-config does not find \(pkg-config name \`ferrixdemo'\), and the crate has no bundled sources to build instead: install it \(Debian's libferrixdemo-dev\), or give the package an input providing lib/pkgconfig/ferrixdemo\.pc"
if [[ "$log" =~ Unable\ to\ find\ ferrixdemo ]]; then not_ok "per-crate: the build script ran with the switch"; else ok "per-crate: the build script never ran with the switch"; fi

finish

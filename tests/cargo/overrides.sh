#!/usr/bin/env bash
# Per-crate overrides (doc/cargo.md, "Per-crate overrides") with `ferrix build --per-crate`:
# the default override of libz-sys reaches its build script's run (and the program links the
# host's zlib); a package's overrides give a crate's build script a variable (turned into a
# rustc-env the program prints), rustc flags (a --cfg its code tests), a native input whose
# program the build script runs, a patch to a registry crate and a replacement build script;
# an override whose version does not match changes nothing; the other crates' units keep their
# derivations; `ferrix build --crate-overrides=FILE`; errors name the override.
source "$(dirname "$0")/lib/cargo.bash"
source "$FERRIX_SOURCE_DIR/tests/data/crates/prepare.bash"

work=$TEST_TMP/work
mkdir -p "$work"

# per_crate_build FILE [OPTION...]: ferrix build --per-crate; the names of the unit derivations
# it built go to $TEST_TMP/built, the output path to $built.
per_crate_build() {
  local file=$1 status=0
  shift
  "$FERRIX" build --per-crate -v "$@" -f "$file" >"$TEST_TMP/build.out" 2>"$TEST_TMP/build.err" || status=$?
  grep -o "building '[^']*'" "$TEST_TMP/build.err" | sed -E "s|building '.*/[a-z0-9]{32}-||; s|\.drv'$||" \
    >"$TEST_TMP/built" || true
  built=$(tail -n 1 "$TEST_TMP/build.out")
  return $status
}

# units FILE [OPTION...]: the names of the unit derivations in the closure of FILE's package in
# the per-crate mode, with their store hashes (one a line, sorted).
units() {
  local file=$1
  shift
  local top
  top=$("$FERRIX" build --per-crate -d "$@" -f "$file")
  python3 - "$FERRIX" "$top" <<'PY'
import json, subprocess, sys
ferrix, top = sys.argv[1], sys.argv[2]
seen, todo = set(), [top]
while todo:
    batch = [d for d in todo if d not in seen]
    seen.update(batch)
    todo = []
    if batch:
        shown = json.loads(subprocess.check_output([ferrix, "show-derivation"] + batch))
        for drv in shown.values():
            todo.extend(drv["inputDrvs"].keys())
for d in sorted(seen):
    name = d.rsplit("/", 1)[1]
    if name[33:].startswith("rust-unit-"):
        print(name)
PY
}

# store_file PATH: PATH as a file of this machine (the test store may keep items elsewhere).
store_file() {
  if [ -e "$1" ]; then echo "$1"; else echo "$FERRIX_STORE$1"; fi
}

# builder_of DRV-NAME: the spec of the unit DRV-NAME (in $TEST_TMP/built's form) that the last
# build built, then its build-side script if it has one.
builder_of() {
  local drv
  drv=$(grep -o "building '[^']*$1[^']*'" "$TEST_TMP/build.err" | head -n 1 | sed -E "s/^building '//; s/'$//")
  [ -n "$drv" ] || return 1
  "$FERRIX" show-derivation "$drv" | python3 -c '
import json, sys
drv = next(iter(json.load(sys.stdin).values()))
print(drv["env"]["ferrixUnit"])
if drv["args"][0] == "build-side":
    print(drv["args"][-1])' | while read -r line; do
    case $line in
      /*) cat "$(store_file "$line")" ;;
      *) printf '%s\n' "$line" ;;
    esac
  done
}

pin() { "$FERRIX" hash -r "/usr/share/cargo/registry/$1"; }

# --- The default override of libz-sys: the sys test crate (tests/data/crates/sys).
sys=$work/sys
rm -rf "$sys"
cp -R "$FERRIX_SOURCE_DIR/tests/data/crates/sys" "$sys"
# shellcheck disable=SC2046 # one word per crate
registry_package sys-app "$sys" '#f' $(locked_registry_crates "$sys/Cargo.lock" | cut -d' ' -f1) >/dev/null
if per_crate_build "$sys.scm"; then
  expect_eq "sys: the program's output is cargo's" "$("$built/bin/sys-app")" \
    "$(cat "$FERRIX_SOURCE_DIR/tests/data/crates/sys/expected-output")"
  expect_match "sys: the program links the host's libz" "$(ldd "$built/bin/sys-app")" "libz\.so"
  expect_match "sys: the default override sets LIBZ_SYS_STATIC=0 for libz-sys's build script run" \
    "$(builder_of 'rust-unit-libz-sys-[0-9.]*-custom-build-run-')" '\["LIBZ_SYS_STATIC","0"\]'
  if ! pkgconfig_builder=$(builder_of 'rust-unit-pkg-config-'); then
    not_ok "sys: pkg-config's unit was not built by this build: nothing to compare"
  elif grep -q LIBZ_SYS_STATIC <<<"$pkgconfig_builder"; then
    not_ok "sys: the default override reaches pkg-config's units"
  else
    ok "sys: the default override does not reach other crates' units"
  fi
else
  not_ok "sys: ferrix build --per-crate failed: $(tail -n 20 "$TEST_TMP/build.err")"
fi

# --- An application with two local crates and a registry crate.
app=$work/app
mkdir -p "$app/src" "$app/envy/src" "$app/other/src"
cat >"$app/Cargo.toml" <<'TOML'
[package]
name = "ov-app"
version = "0.1.0"
edition = "2021"

[dependencies]
envy = { path = "envy" }
other = { path = "other" }
either = "1"
TOML
cat >"$app/src/main.rs" <<'RS'
fn main() {
    println!("greeting: {}", envy::greeting());
    println!("tool: {}", envy::tool());
    println!("shiny: {}", envy::shiny());
    println!("other: {}", other::other());
    let e: either::Either<u8, u8> = either::Either::Left(1);
    println!("left: {}", e.is_left());
    // Given by the patch test's override of ov-app (--cfg patched).
    #[cfg(patched)]
    println!("patched: {}", either::ferrix_patched());
}
RS
cat >"$app/envy/Cargo.toml" <<'TOML'
[package]
name = "envy"
version = "0.1.0"
edition = "2021"
TOML
cat >"$app/envy/build.rs" <<'RS'
use std::process::Command;

fn main() {
    let greeting = std::env::var("ENVY_GREETING").unwrap_or_else(|_| "plain".to_string());
    println!("cargo:rustc-env=GREETING={}", greeting);
    let tool = Command::new("ov-tool")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "none".to_string());
    println!("cargo:rustc-env=TOOL={}", tool);
    println!("cargo::rustc-check-cfg=cfg(shiny)");
}
RS
cat >"$app/envy/src/lib.rs" <<'RS'
pub fn greeting() -> &'static str {
    env!("GREETING")
}
pub fn tool() -> &'static str {
    env!("TOOL")
}
pub fn shiny() -> bool {
    cfg!(shiny)
}
RS
cat >"$app/other/Cargo.toml" <<'TOML'
[package]
name = "other"
version = "0.1.0"
edition = "2021"
TOML
printf 'pub fn other() -> &%sstatic str {\n    "other"\n}\n' "'" >"$app/other/src/lib.rs"
mkdir -p "$work/tools/bin"
printf '#!/bin/sh\necho tool says hi\n' >"$work/tools/bin/ov-tool"
chmod +x "$work/tools/bin/ov-tool"
either_pin=$(pin either-1.6.1)

# app_package NAME OVERRIDES: a package file building the application with OVERRIDES (Scheme,
# a list expression) as its #:crate-overrides.
app_package() {
  cat >"$work/$1.scm" <<SCM
$PREAMBLE
(package
  (name "$1") (version "0.1.0")
  (source (local-file "$app" #:recursive? #t))
  (build-system cargo-build-system)
  (arguments
   \`(#:install-source? #f #:tests? #f
     #:cargo-inputs (("either" ,(registry-crate "either" "1.6.1" #:sha256 "$either_pin")))
     #:crate-overrides ,$2))
  (synopsis "test") (description "test") (license #f) (home-page #f))
SCM
  echo "$work/$1.scm"
}

# output_of FILE [OPTION...]: build FILE's package and print its program's output.
output_of() {
  local file=$1
  shift
  if per_crate_build "$file" "$@"; then
    "$built/bin/ov-app"
  else
    echo "build failed: $(tail -n 20 "$TEST_TMP/build.err")"
  fi
}

plain=$(app_package plain "'()")
expect_eq "no override: the build script's defaults" "$(output_of "$plain")" \
  "greeting: plain
tool: none
shiny: false
other: other
left: true"
units "$plain" >"$TEST_TMP/units-plain"

env_file=$(app_package env "(list (crate-override (name \"envy\") (environment '((\"ENVY_GREETING\" . \"hello from an override\")))))")
expect_match "environment: the build script's variable, made a rustc-env" "$(output_of "$env_file")" \
  "greeting: hello from an override"
units "$env_file" >"$TEST_TMP/units-env"
expect_eq "environment: the other crates' units keep their derivations" \
  "$(grep -v -e '-envy-' -e '-ov-app-' "$TEST_TMP/units-env")" \
  "$(grep -v -e '-envy-' -e '-ov-app-' "$TEST_TMP/units-plain")"
expect_eq "environment: envy's units (and the application's, which use them) change" \
  "$(comm -13 "$TEST_TMP/units-plain" "$TEST_TMP/units-env" | sed -E 's/^[a-z0-9]{32}-rust-unit-([a-z-]+)-0\.1\.0.*/\1/' | sort -u | tr '\n' ' ')" \
  "envy ov-app "
expect_eq "environment: envy's build script is compiled once, its run changes" \
  "$(comm -12 "$TEST_TMP/units-plain" "$TEST_TMP/units-env" | grep -c -- '-envy-0.1.0-custom-build-' || true)" "1"

flags=$(app_package flags "(list (crate-override (name \"envy\") (rustc-flags '(\"--cfg\" \"shiny\"))))")
expect_match "rustc-flags: the crate's code sees --cfg shiny" "$(output_of "$flags")" "shiny: true"
units "$flags" >"$TEST_TMP/units-flags"
expect_eq "rustc-flags: envy's build script compilation and run are unchanged" \
  "$(grep -- '-envy-0.1.0-custom-build-' "$TEST_TMP/units-flags")" \
  "$(grep -- '-envy-0.1.0-custom-build-' "$TEST_TMP/units-plain")"

native=$(app_package native "(list (crate-override (name \"envy\") (native-inputs (list (local-file \"$work/tools\" #:recursive? #t)))))")
expect_match "native-inputs: the build script runs the input's program" "$(output_of "$native")" \
  "tool: tool says hi"

replaced=$(app_package replaced "(list (crate-override (name \"envy\") (build-script '(begin (format #t \"cargo:rustc-env=GREETING=replaced, OUT_DIR ~a~%\" (if (getenv \"OUT_DIR\") \"set\" \"unset\")) (display \"cargo:rustc-env=TOOL=scheme\\n\") (display \"cargo:rustc-cfg=shiny\\n\")))))")
expect_eq "build-script: the replacement's directives take effect" "$(output_of "$replaced" | head -n 3)" \
  "greeting: replaced, OUT_DIR set
tool: scheme
shiny: true"

failing=$(app_package failing-script "(list (crate-override (name \"envy\") (build-script '(error \"no libenvy here\"))))")
per_crate_build "$failing" && status=0 || status=$?
expect_eq "build-script: a replacement that raises an error fails the build" "$status" "1"
expect_match "build-script: the failure names the crate and shows the error" "$(cat "$TEST_TMP/build.err")" \
  "failed to run custom build command for \`envy' 0\.1\.0 \(custom-build\)"
expect_match "build-script: the replacement's error under --- stderr" "$(cat "$TEST_TMP/build.err")" \
  "no libenvy here"

by_version=$(app_package by-version "(list (crate-override (name \"envy\") (version \">=0.2\") (environment '((\"ENVY_GREETING\" . \"never\")))) (crate-override (name \"either\") (version \"2\") (rustc-flags '(\"--cfg\" \"never\"))))")
units "$by_version" >"$TEST_TMP/units-by-version"
expect_eq "version: overrides whose version does not match leave every unit as it was" \
  "$(cat "$TEST_TMP/units-by-version")" "$(cat "$TEST_TMP/units-plain")"
matching=$(app_package matching "(list (crate-override (name \"envy\") (version \"0.1\") (environment '((\"ENVY_GREETING\" . \"matched\")))))")
expect_match "version: a requirement the crate meets applies" "$(output_of "$matching")" "greeting: matched"

# Two packages giving the same override share the overridden units.
env2=$(app_package env2 "(list (crate-override (name \"envy\") (environment '((\"ENVY_GREETING\" . \"hello from an override\")))))")
expect_eq "the same override in two packages: the same units" "$(units "$env2")" "$(cat "$TEST_TMP/units-env")"

# A patch to a registry crate copied from Debian's registry.
rm -rf "$work/either-a" "$work/either-b"
cp -R /usr/share/cargo/registry/either-1.6.1 "$work/either-a"
cp -R /usr/share/cargo/registry/either-1.6.1 "$work/either-b"
chmod -R u+w "$work/either-a" "$work/either-b"
printf '\npub fn ferrix_patched() -> &%sstatic str {\n    "patched by an override"\n}\n' "'" >>"$work/either-b/src/lib.rs"
(cd "$work" && diff -u --label a/src/lib.rs --label b/src/lib.rs either-a/src/lib.rs either-b/src/lib.rs \
  >"$work/either.patch") || true
patched=$(app_package patched "(list (crate-override (name \"either\") (patches '(\"$work/either.patch\"))) (crate-override (name \"ov-app\") (rustc-flags '(\"--cfg\" \"patched\"))))")
expect_match "patches: the registry crate's patched code runs" "$(output_of "$patched")" \
  "patched: patched by an override"
expect_match "patches: a patched source item of its own" "$(cat "$TEST_TMP/built")" "either-1.6.1-patched"
units "$patched" >"$TEST_TMP/units-patched"
expect_eq "patches: envy's and other's units keep their derivations" \
  "$(grep -E -- '-(envy|other)-' "$TEST_TMP/units-patched")" "$(grep -E -- '-(envy|other)-' "$TEST_TMP/units-plain")"

# --crate-overrides=FILE: the user's overrides, for every package, after the package's own.
cat >"$work/user-overrides.scm" <<'SCM'
(list (crate-override
        (name "envy")
        (environment '(("ENVY_GREETING" . "from the user")))
        (rustc-flags '("--cfg" "shiny"))))
SCM
out=$(output_of "$plain" --crate-overrides="$work/user-overrides.scm")
expect_match "--crate-overrides=FILE: the user's override applies" "$out" "greeting: from the user"
expect_match "--crate-overrides=FILE: all its fields" "$out" "shiny: true"
expect_match "--crate-overrides=FILE: the package's own override comes first" \
  "$(output_of "$env_file" --crate-overrides="$work/user-overrides.scm")" \
  "greeting: hello from an override
tool: none
shiny: false"

# Errors: named, located, no backtrace, exit status 1.
bad_version=$(app_package bad-version "(list (crate-override (name \"envy\") (version \"not a version\")))")
expect_status "a version requirement that does not parse: an error" 1 \
  "$FERRIX" build --per-crate -d -f "$bad_version"
expect_match "the error names the override, the field and the package file's location" "$err" \
  "bad-version\.scm:[0-9]+:[0-9]+: error: .*crate override \`envy' not a version \(.*\): field \`version'"
expect_eq "no backtrace" "$(grep -c 'Backtrace' <<<"$err" || true)" "0"
bad_env=$(app_package bad-env "(list (crate-override (name \"envy\") (environment '((\"X\" . 1)))))")
expect_status "an environment that is not an alist of strings: an error" 1 \
  "$FERRIX" build --per-crate -d -f "$bad_env"
expect_match "the error names the field" "$err" "crate override \`envy' .*field \`environment' expects"
no_script=$(app_package no-script "(list (crate-override (name \"other\") (build-script '(display \"cargo:rustc-cfg=x\\n\"))))")
expect_status "a build-script for a crate without one: an error" 1 \
  "$FERRIX" build --per-crate -d -f "$no_script"
expect_match "the error names the crate" "$err" \
  "crate override \`other' .* replaces the build script of \`other' 0\.1\.0, which has none"
own_patch=$(app_package own-patch "(list (crate-override (name \"envy\") (patches '(\"$work/either.patch\"))))")
expect_status "patches to a crate of the package's own source: an error" 1 \
  "$FERRIX" build --per-crate -d -f "$own_patch"
expect_match "the error says why" "$err" \
  "crate override \`envy' .* patches \`envy' 0\.1\.0, which is the package's own source"
echo '(list 42)' >"$work/bad-user.scm"
expect_status "--crate-overrides=FILE not a list of overrides: an error" 1 \
  "$FERRIX" build --per-crate -d --crate-overrides="$work/bad-user.scm" -f "$plain"
expect_match "the error says what it got" "$err" "expected a crate override, got 42"

finish

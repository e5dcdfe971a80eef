#!/usr/bin/env bash
# The per-crate mode end to end (doc/per-crate.md): examples/wordfreq built with `ferrix build
# --per-crate`, one store item per unit, the same program as the whole-package mode; after a
# one-line edit to its main.rs only its own units rebuild; a second application sharing its
# crates builds them once; a failing unit shows rustc's error and names the crate, version and
# unit; the test graphs of tests/data/crates build and run as cargo's.
source "$(dirname "$0")/lib/cargo.bash"
source "$FERRIX_SOURCE_DIR/tests/data/crates/prepare.bash"

# A copy of the example, so that its source can be edited.
work=$TEST_TMP/example
rm -rf "$work"
mkdir -p "$work"
cp -r "$FERRIX_SOURCE_DIR/examples/wordfreq" "$FERRIX_SOURCE_DIR/examples/wordfreq.scm" "$work/"
sample=$FERRIX_SOURCE_DIR/examples/wordfreq/sample.txt

# per_crate_build FILE [OPTION...]: ferrix build --per-crate; the names of the unit derivations
# it built go to $TEST_TMP/built (one a line), the output path to $built.
per_crate_build() {
  local status=0 file=$1
  shift
  "$FERRIX" build --per-crate -v "$@" -f "$file" >"$TEST_TMP/build.out" 2>"$TEST_TMP/build.err" || status=$?
  grep -o "building '[^']*'" "$TEST_TMP/build.err" | sed -E "s|building '.*/[a-z0-9]{32}-||; s|\.drv'$||" \
    >"$TEST_TMP/built" || true
  built=$(tail -n 1 "$TEST_TMP/build.out")
  return $status
}

if ! per_crate_build "$work/wordfreq.scm" -M 2; then
  tail -n 40 "$TEST_TMP/build.err" >&2
  fail "ferrix build --per-crate -f wordfreq.scm failed"
fi
per_crate=$built

# Pipelining (doc/per-crate.md): libraries take the metadata of the libraries they use (their
# meta output). Whether a unit then starts while such a library is still building depends on
# the tokens rustc's codegen threads hold at that moment, so it is reported, not asserted:
# tests/unit/early-outputs.cc checks the scheduler's side with derivations that wait for it.
# shellcheck disable=SC2046
"$FERRIX" show-derivation $(grep -o "building '[^']*'" "$TEST_TMP/build.err" | tr -d "'" | cut -d' ' -f2) \
  >"$TEST_TMP/drvs.json"
pipelining=$(python3 - "$TEST_TMP/build.err" "$TEST_TMP/drvs.json" <<'EOF'
import json, re, sys
drvs = json.load(open(sys.argv[2]))
def meta_inputs(d):
    ins = drvs[d]["inputDrvs"]
    return [i for i, o in ins.items() if "meta" in (o if isinstance(o, list) else o["outputs"])]
running, takes, overlaps = set(), 0, 0
for line in open(sys.argv[1]):
    m = re.match(r"(building|built) '([^']*)'", line)
    if not m:
        continue
    if m.group(1) == "building":
        ins = meta_inputs(m.group(2))
        takes += bool(ins)
        overlaps += any(i in running for i in ins)
        running.add(m.group(2))
    else:
        running.discard(m.group(2))
print(takes > 0, overlaps > 0)
EOF
)
expect_eq "pipelining: units took metadata outputs" "${pipelining% *}" "True"
echo "# pipelining: a unit started before a library whose meta it takes was done: ${pipelining#* }"
units=$(grep -c '^rust-unit-' "$TEST_TMP/built" || true)
crates=$(grep '^rust-unit-' "$TEST_TMP/built" | sed -E 's/^rust-unit-(.*)-[0-9]+\.[0-9]+\.[0-9]+.*/\1/' | sort -u | tr '\n' ' ')
expect_eq "one store item per unit: every crate of the closure has its units" "$crates" \
  "atty bitflags clap clap_lex itoa libc os_str_bytes regex regex-syntax ryu serde serde_json strsim termcolor wordfreq "
expect_match "build scripts compiled and run in units of their own" "$(cat "$TEST_TMP/built")" \
  "rust-unit-serde-1.0.152-custom-build-run-"
expect_eq "the package holds bin/ only (#:install-source? #f)" "$(ls "$per_crate")" "bin"

# The same program as the whole-package mode.
build "$work/wordfreq.scm" "$TEST_TMP/whole"
if [ "$(readlink "$TEST_TMP/whole")" != "$per_crate" ]; then
  ok "both modes coexist: two outputs"
else
  not_ok "both modes coexist: the whole-package mode gave the per-crate output"
fi
for args in "-n 3" "-n 2 -i" "--json -n 1 -i"; do
  expect_eq "same output as the whole-package mode: wordfreq $args" \
    "$("$per_crate/bin/wordfreq" $args <"$sample")" "$("$TEST_TMP/whole/bin/wordfreq" $args <"$sample")"
done

# A one-line edit to the application: only its own units are built again.
echo '// edited' >>"$work/wordfreq/src/main.rs"
if ! per_crate_build "$work/wordfreq.scm"; then
  tail -n 40 "$TEST_TMP/build.err" >&2
  fail "the build after an edit failed"
fi
expect_eq "after an edit to main.rs only wordfreq's units are built" \
  "$(grep '^rust-unit-' "$TEST_TMP/built" | sed -E 's/^rust-unit-(wordfreq)-.*/\1/' | sort -u | tr '\n' ' ')" "wordfreq "
expect_eq "the edited program runs" "$("$built/bin/wordfreq" -n 1 <"$sample")" \
  "$("$per_crate/bin/wordfreq" -n 1 <"$sample")"

# A second application sharing the crates: they are built once.
cp -r "$work/wordfreq" "$work/wordtop"
sed -i 's/^name = "wordfreq"/name = "wordtop"/' "$work/wordtop/Cargo.toml"
cat >"$work/wordtop.scm" <<SCM
(use-modules (ferrix packages))
(define wordfreq (load "$work/wordfreq.scm"))
(package
  (inherit wordfreq)
  (name "wordtop")
  (source (local-file "$work/wordtop" #:recursive? #t)))
SCM
if ! per_crate_build "$work/wordtop.scm"; then
  tail -n 40 "$TEST_TMP/build.err" >&2
  fail "building a second application failed"
fi
expect_eq "a second application: only its own units are built" \
  "$(grep '^rust-unit-' "$TEST_TMP/built" | sed -E 's/^rust-unit-(wordtop)-.*/\1/' | sort -u | tr '\n' ' ')" "wordtop "

# A package with inputs of its own still shares the registry crates' units: only its own units
# (and -sys crates' build script runs) are given its inputs.
mkdir -p "$work/tools/bin"
printf '#!/bin/sh\necho tool\n' >"$work/tools/bin/some-tool"
chmod +x "$work/tools/bin/some-tool"
cat >"$work/wordtop-inputs.scm" <<SCM
(use-modules (ferrix packages))
(define wordtop (load "$work/wordtop.scm"))
(package
  (inherit wordtop)
  (inputs (list (local-file "$work/tools" #:recursive? #t))))
SCM
if ! per_crate_build "$work/wordtop-inputs.scm"; then
  tail -n 40 "$TEST_TMP/build.err" >&2
  fail "building an application with inputs of its own failed"
fi
expect_eq "inputs of its own: only the application's units are built again" \
  "$(grep '^rust-unit-' "$TEST_TMP/built" | sed -E 's/^rust-unit-([a-z_-]+)-[0-9].*/\1/' | sort -u | tr '\n' ' ')" "wordtop "

# A failing unit: rustc's diagnostic, and the crate, version and unit named.
echo 'fn broken() -> u32 { "no" }' >>"$work/wordfreq/src/main.rs"
per_crate_build "$work/wordfreq.scm" && status=0 || status=$?
expect_eq "a failing unit fails the build" "$status" "1"
expect_match "rustc's diagnostic shown" "$(cat "$TEST_TMP/build.err")" "error\[E0308\]: mismatched types"
expect_match "the crate, version and unit named" "$(cat "$TEST_TMP/build.err")" \
  "could not compile \`wordfreq' 0.1.0 \\(bin\\)"

# The test graphs of tests/data/crates (README.md there): a build script, links and DEP_, a
# proc-macro (serde_derive and a local one), libz-sys through pkg-config, renamed, optional and
# target-specific dependencies, a workspace, the two resolvers: each package's program prints
# what cargo's does. Registry crates are the lock file's, from Debian's registry.
data_package() {
  local name=$1 dir=$TEST_TMP/data/$1
  rm -rf "$dir"
  mkdir -p "$TEST_TMP/data"
  cp -R "$FERRIX_SOURCE_DIR/tests/data/crates/$name" "$dir"
  # shellcheck disable=SC2046 # one word per crate
  registry_package "$name" "$dir" '#f' $(locked_registry_crates "$dir/Cargo.lock" | cut -d' ' -f1)
}
for name in build-script links proc-macro sys deps workspace resolver-1 resolver-2; do
  file=$(data_package "$name")
  if per_crate_build "$file"; then
    expect_eq "$name: the program's output is cargo's" \
      "$("$built/bin/$(crate_program "$name")")" "$(cat "$FERRIX_SOURCE_DIR/tests/data/crates/$name/expected-output")"
  else
    not_ok "$name: ferrix build --per-crate failed: $(tail -n 20 "$TEST_TMP/build.err")"
  fi
done
# A workspace's members each read an item of their own: an edit to the app rebuilds the app's
# units only, an edit to util rebuilds util's and its dependent's; a target/ directory in a member
# is no part of its item. The program still prints what cargo's does.
ws=$TEST_TMP/data/workspace
ws_rebuilt() {
  if per_crate_build "$ws.scm"; then
    expect_eq "workspace, $1: the program's output is cargo's" "$("$built/bin/ws-app")" \
      "$(cat "$FERRIX_SOURCE_DIR/tests/data/crates/workspace/expected-output")"
  else
    not_ok "workspace, $1: ferrix build --per-crate failed: $(tail -n 20 "$TEST_TMP/build.err")"
  fi
  rebuilt=$({ grep '^rust-unit-' "$TEST_TMP/built" || true; } | sed -E 's/^rust-unit-([a-z_-]+)-[0-9].*/\1/' |
    sort -u | tr '\n' ' ')
}
mkdir -p "$ws/app/target/release"
echo stale >"$ws/app/target/release/junk"
ws_rebuilt "target/ added"
expect_eq "workspace: a member's target/ changes no unit" "$rebuilt" ""
echo '// edited' >>"$ws/app/src/main.rs"
ws_rebuilt "app edited"
expect_eq "workspace: an edit to the app rebuilds the app's units only" "$rebuilt" "ws-app "
echo '// edited' >>"$ws/util/src/lib.rs"
ws_rebuilt "util edited"
expect_eq "workspace: an edit to util rebuilds util's units and the app's" "$rebuilt" "util ws-app "

# Cross-compiling (to the host's own triple: the toolchain has no other target here) gives the
# target units the linker the package configures for the triple in .cargo/config.toml, as the
# whole-package mode's cargo reads it; a path with a slash is the package's own file. Host units
# (the build script) get none. The linker here is a wrapper that marks what it links with an
# rpath.
file=$(data_package build-script)
cross=$TEST_TMP/data/build-script
mkdir -p "$cross/.cargo" "$cross/tools"
printf '[target.x86_64-unknown-linux-gnu]\nlinker = "tools/wrapped-cc"\n' >"$cross/.cargo/config.toml"
printf '#!/bin/sh\nexec cc -Wl,-rpath,/ferrix-linked-by-the-package "$@"\n' >"$cross/tools/wrapped-cc"
chmod +x "$cross/tools/wrapped-cc"
if "$FERRIX" build --per-crate --target=x86_64-linux-gnu -f "$file" >"$TEST_TMP/build.out" \
  2>"$TEST_TMP/build.err"; then
  built=$(tail -n 1 "$TEST_TMP/build.out")
  program=$built/bin/$(crate_program build-script)
  expect_eq "cross: the program's output is cargo's" "$("$program")" \
    "$(cat "$FERRIX_SOURCE_DIR/tests/data/crates/build-script/expected-output")"
  expect_match "cross: the binary was linked by the package's linker" \
    "$(readelf -d "$program")" "ferrix-linked-by-the-package"
  drv=$("$FERRIX" build -d --per-crate --target=x86_64-linux-gnu -f "$file" 2>/dev/null | tail -n 1)
  linkers=$(FERRIX="$FERRIX" python3 - "$drv" <<'PY'
import json, os, re, subprocess, sys
seen, todo = set(), [sys.argv[1]]
while todo:
    path = todo.pop()
    if path in seen:
        continue
    seen.add(path)
    d = next(iter(json.loads(subprocess.check_output([os.environ["FERRIX"], "show-derivation", path])).values()))
    todo.extend(d["inputDrvs"])
    name = re.sub(r"^.*/[a-z0-9]{32}-|\.drv$", "", path)
    if name.startswith("rust-unit-") and "-run-" not in name:
        # The unit's spec: its rustc arguments.
        args = json.loads(d["env"]["ferrixUnit"])["arguments"]
        linked = any(a.startswith("linker=") for a in args)
        print(re.sub(r"-[0-9a-f]{16}$", "", name), "linker" if linked else "none")
PY
)
  linkers=$(sort <<<"$linkers")
  expect_eq "cross: target units get the linker, host units none" "$linkers" \
    "$(printf '%s\n' 'rust-unit-build-script-demo-0.1.0-bin linker' \
      'rust-unit-build-script-demo-0.1.0-custom-build none' | sort)"
else
  not_ok "cross: ferrix build --per-crate --target failed: $(tail -n 20 "$TEST_TMP/build.err")"
fi

file=$(data_package failing)
per_crate_build "$file" && status=0 || status=$?
expect_eq "failing: the build fails" "$status" "1"
expect_match "failing: rustc's error[E0308]" "$(cat "$TEST_TMP/build.err")" "error\[E0308\]: mismatched types"

finish

#!/usr/bin/env bash
# The real-world matrix (issue 14, doc/real-world.md): real applications and libraries from
# Debian's registry, each taken through the documented import workflow as a user would
# (doc/registry.md, doc/import.md): Debian's registry exported once and served on 127.0.0.1,
# `ferrix import crate -r NAME@VERSION --insert` into a module directory, `ferrix build -L DIR
# NAME@VERSION` in the whole-package mode and with --per-crate, then each program's smoke
# command or each library's test suite (run by the build's check phase). Not a CTest test: it
# takes long. Run by `build-aux/setup matrix` (the `matrix` target).
#
#   tests/matrix/run.sh [--mode=whole|per-crate|both] [--timeout=SECONDS] [CASE...]
#   tests/matrix/run.sh --list            the cases, fastest first
#   tests/matrix/run.sh --table           only rewrite doc/real-world.md's table
#
# Needs FERRIX, FERRIX_SOURCE_DIR and FERRIX_BUILD_DIR. Everything goes under
# ${FERRIX_MATRIX_DIR:-$FERRIX_BUILD_DIR/tests/matrix}: one store shared by every case and both
# modes (sources are fetched once; each mode's derivations are its own), the served registry,
# one module directory and log per case, and one result file per case and mode, from which the
# table between doc/real-world.md's markers is regenerated after each case (a case not run again
# keeps its last row). Exit status 0 when every case run gave the expected result (built, or
# stopped for a reason outside ferrix that the table names), else 1.
set -uo pipefail

: "${FERRIX:?}" "${FERRIX_SOURCE_DIR:?}" "${FERRIX_BUILD_DIR:?}"
work=${FERRIX_MATRIX_DIR:-$FERRIX_BUILD_DIR/tests/matrix}
doc=$FERRIX_SOURCE_DIR/doc/real-world.md

# The cases: NAME CRATE@VERSION KIND IMPORT-FLAGS EDIT. KIND app (a smoke command, tests off
# with --no-dev-dependencies) or lib (its test suite, with the dev-dependencies the registry
# has). EDIT is what the user then changes in the root's definition: - (nothing), tests-on
# (drops the #:tests? #f the importer wrote for missing dev-dependencies), test-target=LIST or
# cap-lints (#:rustflags ("--cap-lints" "warn"): an old crate's #![deny(...)] against a newer
# rustc's lints). clap's test-target=tests leaves out its doctests, 2 of which fail with a newer
# rustc than its own (doc/real-world.md, "Neither").
cases=(
  "hexyl hexyl@0.8.0 app --no-dev-dependencies -"
  "regex regex@1.7.1 lib - -"
  "serde-derive serde@1.0.152 lib --features=derive cap-lints"
  "serde_json serde_json@1.0.87 lib - -"
  "serde_json-tests serde_json@1.0.87 lib - test-target=lib,map,stream,lexical"
  "rand rand@0.8.5 lib - -"
  "syn syn@1.0.107 lib - -"
  "clap clap@4.0.32 lib - test-target=tests"
  "tokio tokio@1.24.2 lib --features=full -"
  "tokio-tests tokio@1.24.2 lib --features=full tests-on"
  "cbindgen cbindgen@0.24.3 app --no-dev-dependencies -"
  "bat bat@0.22.1 app --no-dev-dependencies -"
  "debcargo debcargo@2.6.0 app --no-dev-dependencies -"
  "cargo cargo@0.66.0 app --no-dev-dependencies -"
  "cargo-c cargo-c@0.9.14 app --no-dev-dependencies -"
)

mode=both
timeout=5400
only_table=
selected=()
for arg in "$@"; do
  case $arg in
    --mode=*) mode=${arg#--mode=} ;;
    --timeout=*) timeout=${arg#--timeout=} ;;
    --list) for c in "${cases[@]}"; do echo "${c%% *}"; done; exit 0 ;;
    --table) only_table=1 ;;
    -*) echo "usage: $0 [--mode=whole|per-crate|both] [--timeout=SECONDS] [--list] [--table] [CASE...]" >&2; exit 2 ;;
    *) selected+=("$arg") ;;
  esac
done
case $mode in
  whole) modes=(whole) ;;
  per-crate) modes=(per-crate) ;;
  both) modes=(whole per-crate) ;;
  *) echo "$0: --mode is whole, per-crate or both" >&2; exit 2 ;;
esac

mkdir -p "$work/results"

# --- The table.

# A result file holds one line of tab-separated fields: case crate mode crates import-s build-s
# result tests note.
write_table() {
  local c names=()
  for c in "${cases[@]}"; do names+=("${c%% *}:$(cut -d' ' -f2 <<<"$c")"); done
  python3 - "$doc" "$work/results" "${names[@]}" <<'EOF'
import os, sys
doc, results, cases = sys.argv[1], sys.argv[2], sys.argv[3:]
def cell(text, width=200):  # one table cell: no pipe, no newline, at most WIDTH characters
    return text.replace("|", "\\|").replace("`", "'").replace("\n", " ")[:width]
rows = ["| case | crate | mode | crates | import | build | result | tests or smoke | first error line, or note |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
for case in cases:
    name, crate = case.split(":", 1)
    for mode in ("whole", "per-crate"):
        path = os.path.join(results, "%s.%s.tsv" % (name, mode))
        if os.path.exists(path):
            f = open(path, encoding="utf-8", errors="replace").read().rstrip("\n").split("\t")
            f += [""] * (9 - len(f))
            # The note holds what ferrix named (missing crates and why): room for it.
            rows.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |"
                        % tuple(cell(x, 400 if i == 8 else 200) for i, x in enumerate(f[:9])))
        else:
            rows.append("| %s | %s | %s | | | | not run | | |" % (name, crate, mode))
begin, end = "<!-- matrix:begin -->", "<!-- matrix:end -->"
text = open(doc).read()
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
open(doc, "w").write(head + begin + "\n" + "\n".join(rows) + "\n" + end + tail)
EOF
}

if [[ -n $only_table ]]; then
  write_table
  exit 0
fi

# --- The registry, served on 127.0.0.1 (doc/registry.md "Serving it"), and ferrix's
# configuration sending crates.io downloads to it (doc/fetch.md's prefix mirror).
source "$FERRIX_SOURCE_DIR/tests/lib/httpd.bash"
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
export TEST_TMP=$work/tmp
rm -rf "$TEST_TMP"
mkdir -p "$TEST_TMP" "$work/registry"
export FERRIX_STORE=$work/store FERRIX_STORE_DIR=
export XDG_CACHE_HOME=$work/cache XDG_CONFIG_HOME=$work/config
httpd_start "$work/registry" --max-seconds $((timeout * 4 + 3600)) || exit 1
echo "matrix: exporting /usr/share/cargo/registry, served at $HTTPD_URL" >&2
"$FERRIX" registry export --base-url "$HTTPD_URL" /usr/share/cargo/registry "$work/registry" >&2 ||
  exit 1
index=sparse+$HTTPD_URL/index/
mkdir -p "$XDG_CONFIG_HOME/ferrix"
cat >"$XDG_CONFIG_HOME/ferrix/config.toml" <<EOF
[[mirror]]
prefix = "https://crates.io/api/v1/crates/"
urls = ["$HTTPD_URL/api/v1/crates/"]
EOF

# --- Smoke commands: $1 the output, $2 a scratch directory; the output of each command goes to
# stdout (the case's log), and the last line printed on fd 3 says what ran.

tiny_crate() { # DIR KIND: a crate with no dependency, for cargo, cbindgen and cargo-c.
  mkdir -p "$1/src"
  printf '[package]\nname = "tiny"\nversion = "0.1.0"\nedition = "2018"\n\n[lib]\ncrate-type = ["lib"]\n' \
    >"$1/Cargo.toml"
  printf '#[no_mangle]\npub extern "C" fn tiny_add(a: i32, b: i32) -> i32 {\n    a + b\n}\n' \
    >"$1/src/lib.rs"
}

smoke_hexyl() {
  "$1/bin/hexyl" --version || return 1
  printf 'ferrix matrix\n' >"$2/input"
  "$1/bin/hexyl" --color=never --border=ascii "$2/input" | tee "$2/out" || return 1
  grep -q '00000000' "$2/out" && grep -q '66 65 72 72 69 78' "$2/out" || return 1
  echo "--version; a file dumped" >&3
}
smoke_bat() {
  local v
  v=$(HOME=$2 "$1/bin/bat" --version) || return 1
  echo "$v"
  HOME=$2 "$1/bin/bat" --color=always --paging=never "$FERRIX_SOURCE_DIR/tests/matrix/run.sh" \
    >"$2/out" || return 1
  head -n 3 "$2/out"
  grep -q $'\e\\[38;' "$2/out" || return 1
  echo "--version; a shell script highlighted" >&3
}
smoke_cbindgen() {
  "$1/bin/cbindgen" --version || return 1
  tiny_crate "$2/tiny"
  (cd "$2/tiny" && CARGO_HOME=$2/cargo-home "$1/bin/cbindgen" --lang c -o tiny.h .) || return 1
  cat "$2/tiny/tiny.h"
  grep -q 'int32_t tiny_add(int32_t a, int32_t b);' "$2/tiny/tiny.h" || return 1
  echo "--version; a C header for a tiny crate" >&3
}
smoke_cargo() {
  "$1/bin/cargo" --version || return 1
  tiny_crate "$2/tiny"
  printf 'fn main() {\n    println!("{}", tiny::tiny_add(40, 2));\n}\n' >"$2/tiny/src/main.rs"
  (cd "$2/tiny" && export CARGO_HOME=$2/cargo-home &&
    "$1/bin/cargo" metadata --offline --format-version 1 >"$2/metadata.json" &&
    "$1/bin/cargo" build --offline && [[ $(./target/debug/tiny) == 42 ]]) || return 1
  grep -q '"name":"tiny"' "$2/metadata.json" || return 1
  echo "--version; cargo metadata and cargo build of a tiny project" >&3
}
smoke_debcargo() {
  # Every subcommand that does something reads crates.io's index over the network (even
  # deb-src-name with a version), which this machine cannot reach: --version and --help only.
  "$1/bin/debcargo" --version || return 1
  "$1/bin/debcargo" --help | tee "$2/help" || return 1
  grep -q 'package' "$2/help" || return 1
  echo "--version; --help (its subcommands need crates.io)" >&3
}
smoke_cargo-c() {
  # The tiny crate as a C library: cargo cbuild's shared library, pkg-config file and header
  # (made by the cbindgen cargo-c carries).
  tiny_crate "$2/tiny"
  printf '\n[features]\ncapi = []\n' >>"$2/tiny/Cargo.toml"
  (export PATH=$1/bin:$PATH CARGO_HOME=$2/cargo-home && cd "$2/tiny" &&
    cargo cbuild --version && cargo cbuild --offline --release) || return 1
  local out
  out=$(find "$2/tiny/target" -path '*/release/tiny.h' | head -n 1)
  [[ -n $out ]] || return 1
  out=$(dirname "$out")
  ls "$out"
  grep -q 'int32_t tiny_add(int32_t a, int32_t b);' "$out/tiny.h" &&
    [[ -f $out/libtiny.so && -f $out/tiny.pc ]] || return 1
  echo "--version; cargo cbuild of a tiny crate: libtiny.so, tiny.pc, tiny.h" >&3
}

# --- One case in one mode.

first_error() { # FILE: the first line that reads as an error, else the last non-empty line.
  local line log
  # A failed build: the compiler's first error in its log, with its location.
  log=$(sed -nE 's/.*\(log: (.*)\)$/\1/p' "$1" | tail -n 1)
  if [[ -n $log && -f $log ]]; then
    line=$(awk '/^error(\[E[0-9]+\])?: / && !e { e = $0; n = NR; next }
                e && NR <= n + 2 && /^ *--> / { sub(/^ *--> /, ""); e = e " (" $0 ")"; exit }
                END { print e }' "$log")
    [[ -n $line ]] && { printf '%s' "$line"; return; }
  fi
  line=$(grep -m1 -E '(^|[: ])error(\[E[0-9]+\])?:|^error|failed' "$1")
  [[ -n $line ]] || line=$(grep -v '^[[:space:]]*$' "$1" | tail -n 1)
  printf '%s' "$line"
}

# edit_root FILE VARIABLE EDIT: the user's change to the root's definition.
edit_root() {
  python3 - "$@" <<'EOF'
import re, sys
path, var, edit = sys.argv[1:4]
text = open(path).read()
start = text.index("(define-public " + var + "\n")
m = re.search(r"\n\(define-public ", text[start + 1:])
end = start + 1 + m.start() if m else len(text)
block = text[start:end]
if edit == "tests-on":
    block = re.sub(r"#:tests\? #f\s*", "", block)
elif edit == "cap-lints":
    block = block.replace("`(", "`(#:rustflags (\"--cap-lints\" \"warn\")\n       ", 1)
elif edit.startswith("test-target="):
    targets = " ".join('"%s"' % t for t in edit.split("=", 1)[1].split(","))
    block = re.sub(r"#:tests\? #f\s*", "", block)
    block = block.replace("`(", "`(#:test-target (%s)\n       " % targets, 1)
open(path, "w").write(text[:start] + block + text[end:])
EOF
}

record() { # case crate mode crates import build result tests note
  local IFS=$'\t'
  printf '%s\n' "$*" >"$work/results/$1.$3.tsv"
  echo "matrix: $1 ($3): $7${9:+ — $9}" >&2
}

failures=0
run_case() {
  local name=$1 spec=$2 kind=$3 flags=$4 edit=$5 m=$6
  local crate=${spec%@*} version=${spec#*@}
  local dir=$work/cases/$name/$m package=rust-${crate//_/-}
  rm -rf "$dir"
  mkdir -p "$dir/modules/matrix" "$dir/scratch"
  local log=$dir/log module=$dir/modules/matrix/${name//_/-}.scm
  local t0 t1 t2 status crates tests note= result
  cat >"$module" <<EOF
(define-module (matrix ${name//_/-})
  #:use-module (ferrix packages)
  #:use-module (ferrix download)
  #:use-module (ferrix build-system cargo)
  #:use-module ((ferrix licenses) #:prefix license:))

EOF
  local import_flags=(-r --registry "$index" --insert "$module")
  [[ $flags != - ]] && import_flags+=("$flags")
  echo "matrix: $name ($m): ferrix import crate ${import_flags[*]} $spec" >&2
  t0=$(date +%s)
  "$FERRIX" import crate "${import_flags[@]}" "$spec" >"$log" 2>"$dir/import.err"
  status=$?
  t1=$(date +%s)
  cat "$dir/import.err" >>"$log"
  crates=$(grep -c '^(define-public ' "$module")
  local import_s build_s="0 s"
  import_s="$((t1 - t0)) s"
  # What the importer left out of the root (warnings naming missing dev-dependencies).
  local lacking
  lacking=$(sed -nE 's/.*development dependency ([^ ]+) [^ ]+ left out.*/\1/p' "$dir/import.err" |
    sort -u | paste -sd, - | sed 's/,/, /g')
  if ((status != 0)); then
    record "$name" "$spec" "$m" "$crates" "$import_s" "" "FAILED (import)" "" "$(first_error "$dir/import.err")"
    failures=$((failures + 1))
    return
  fi
  local var
  var=$(grep -o "(define-public rust-${crate//_/-}-[0-9.]*$" "$module" | tail -n 1 | cut -d' ' -f2)
  [[ $edit != - ]] && edit_root "$module" "$var" "$edit"
  case $edit in
    cap-lints) note='edited: #:rustflags ("--cap-lints" "warn")' ;;
    tests-on) note='edited: #:tests? #f removed' ;;
    test-target=*) note="edited: #:test-target (${edit#test-target=})" ;;
  esac
  local build_flags=(-L "$dir/modules" --timeout="$timeout")
  [[ $m == per-crate ]] && build_flags+=(--per-crate)
  echo "matrix: $name ($m): ferrix build ${build_flags[*]} $package@$version" >&2
  t1=$(date +%s)
  nice -n 19 "$FERRIX" build "${build_flags[@]}" "$package@$version" >"$dir/build.out" 2>"$dir/build.err"
  status=$?
  t2=$(date +%s)
  cat "$dir/build.out" "$dir/build.err" >>"$log"
  build_s="$((t2 - t1)) s"
  # A shared store: a case whose root was built by an earlier run builds nothing now.
  # (The per-crate mode prints cargo's "Compiling" lines rather than the derivations'.)
  ((status != 0)) ||
    grep -qE "^building '.*-$package-$version\.drv'|^ +Compiling $crate v$version\b" \
      "$dir/build.err" || build_s="$build_s, in store"
  if ((status != 0)); then
    local first
    first=$(first_error "$dir/build.err")
    if grep -qE "the tests need dev-dependencies that no (input|crate at hand) provides" \
      "$dir/build.err"; then
      # Named by ferrix before anything is built (configure, or the per-crate unit graph). Debian's
      # only when the importer, reading the registry, left out each of them and said why;
      # one the registry has is ferrix's failure.
      local named n why reasons="" unexplained=""
      # One "  NAME "REQ" ([TABLE] of FILE)" line each (newlines may come escaped, as \n).
      named=$(sed 's/\\n/\n/g; s/\\"/"/g' "$dir/build.err" |
        sed -nE 's/^[[:space:]]+([A-Za-z0-9_-]+) ("[^"]*") \(\[.*dev-dependencies\].*/\1 \2/p' |
        sort -u)
      for n in $(cut -d' ' -f1 <<<"$named"); do
        why=$(sed -nE "s/.*development dependency $n [^ ]+ left out: (.*)/\1/p" "$dir/import.err" |
          head -n 1)
        if [[ -n $why ]]; then
          reasons+="${reasons:+; }$n: ${why#crate $n }"
        else
          unexplained+="${unexplained:+, }$n"
        fi
      done
      named=$(paste -sd, - <<<"$named" | sed 's/,/, /g')
      if [[ -z $unexplained ]]; then
        record "$name" "$spec" "$m" "$crates" "$import_s" "$build_s" \
          "Debian's: tests need dev-dependencies not packaged" "tests on" \
          "${note:+$note; }ferrix names them before building: $named ($reasons)"
      else
        record "$name" "$spec" "$m" "$crates" "$import_s" "$build_s" "FAILED (build)" "" \
          "named missing, yet the registry has them: $unexplained"
        failures=$((failures + 1))
      fi
    else
      record "$name" "$spec" "$m" "$crates" "$import_s" "$build_s" "FAILED (build)" "" "$first"
      failures=$((failures + 1))
    fi
    return
  fi
  local out
  out=$(tail -n 1 "$dir/build.out")
  if [[ $kind == app ]]; then
    local what
    if what=$("smoke_$name" "$out" "$dir/scratch" 3>&1 >>"$log" 2>&1 | tail -n 1) && [[ -n $what ]]; then
      record "$name" "$spec" "$m" "$crates" "$import_s" "$build_s" built "$what" ""
    else
      record "$name" "$spec" "$m" "$crates" "$import_s" "$build_s" "FAILED (smoke)" "" \
        "smoke: $(tail -n 1 "$log")"
      failures=$((failures + 1))
    fi
    return
  fi
  # A library: its tests ran in the build (check phase) unless they are off.
  "$FERRIX" log "$out" >"$dir/build.log" 2>/dev/null || true
  local passed failed runs
  runs=$(grep -c '^test result: ' "$dir/build.log")
  passed=$(awk '/^test result: ok\. [0-9]+ passed/ { n += $4 } END { print n + 0 }' "$dir/build.log")
  if ((runs > 0)); then
    tests="tests on: $passed passed in $runs test binaries"
  elif [[ -n $lacking ]]; then
    tests="tests off"
    note="Debian lacks dev-dependencies: $lacking"
  else
    tests="tests off"
  fi
  record "$name" "$spec" "$m" "$crates" "$import_s" "$build_s" built "$tests" "${note:-}"
}

for c in "${cases[@]}"; do
  read -r name spec kind flags edit <<<"$c"
  if ((${#selected[@]})); then
    printf '%s\n' "${selected[@]}" | grep -qxF "$name" || continue
  fi
  for m in "${modes[@]}"; do
    run_case "$name" "$spec" "$kind" "$flags" "$edit" "$m"
    write_table
  done
done
httpd_stop
exit $((failures > 0))

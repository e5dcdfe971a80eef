#!/usr/bin/env bash
# ferrix refresh against a real registry: crates made here (rfoo 1.0.0, 1.2.0, 1.3.0 yanked,
# 2.0.0; rbar 0.1.0, 0.1.1, 0.2.0) plus Debian's, exported with `ferrix registry export` and
# served on 127.0.0.1. Definitions pinned at old versions, in a module under -L and in -f
# files: the report (newest compatible, newest, yanked skipped, up to date, FILE:LINE:COLUMN),
# -u rewriting only the package's version and hash (diff checked, the hash the .crate's), the
# updated package built with `ferrix build` through a prefix mirror of crates.io,
# --target-version, --recursive, and failures (unknown package, crate not in the registry,
# registry unreachable, a definition that cannot be rewritten) leaving the files unchanged.
source "$FERRIX_SOURCE_DIR/tests/cli/lib/assert.bash"
source "$FERRIX_SOURCE_DIR/tests/registry/lib/registry.bash"
export XDG_CACHE_HOME=$TEST_TMP/cache
cd "$TEST_TMP" # locations are printed relative to the current directory

# --- Crates with several versions.
crates=$TEST_TMP/crates
make_crate() { # NAME VERSION [DEPENDENCY-LINE]
  local dir=$crates/$1-$2
  mkdir -p "$dir/src"
  cat >"$dir/Cargo.toml" <<EOF
[package]
name = "$1"
version = "$2"
edition = "2018"
description = "A test crate of ferrix refresh"
license = "MIT"

[dependencies]
${3:-}
EOF
  echo "pub fn version() -> &'static str { \"$2\" }" >"$dir/src/lib.rs"
}
make_crate rfoo 1.0.0
make_crate rfoo 1.2.0
make_crate rfoo 1.3.0
make_crate rfoo 2.0.0
make_crate rbar 0.1.0 'rfoo = "1"'
make_crate rbar 0.1.1 'rfoo = "1"'
make_crate rbar 0.2.0 'rfoo = "2"'

registry_serve "$crates" /usr/share/cargo/registry
"$FERRIX" registry export --quiet --base-url "$REGISTRY_URL" --yank rfoo@1.3.0 \
  "$crates" /usr/share/cargo/registry "$REGISTRY_DIR"
registry_mirror_config "$TEST_TMP/config"
crate_file() { echo "$REGISTRY_DIR/api/v1/crates/$1/$2/download"; }
itoa_version=$(basename "$(dirname "$(ls -d "$REGISTRY_DIR"/api/v1/crates/itoa/*/download | tail -1)")")

# --- Definitions: a module under -L, copies as -f files.
mods=$TEST_TMP/mods
mkdir -p "$mods/my"
definition() { # VARIABLE CRATE VERSION HASH [ARGUMENTS]
  local args=${5:-}
  [[ -n $args ]] || args="'()"
  cat <<EOF
(define-public $1
  (package
    (name "rust-$2")
    (version "$3")
    (source (origin
              (method url-fetch)
              (uri (crate-uri "$2" version))
              (file-name (string-append name "-" version ".tar.gz"))
              (sha256
               (base32
                "$4"))))
    (build-system cargo-build-system)
    (arguments $args)
    (synopsis "Test crate")
    (description "A crate of the refresh test.")
    (license #f)))

EOF
}
h_foo100=$("$FERRIX" hash "$(crate_file rfoo 1.0.0)")
h_foo120=$("$FERRIX" hash "$(crate_file rfoo 1.2.0)")
h_bar010=$("$FERRIX" hash "$(crate_file rbar 0.1.0)")
h_itoa=$("$FERRIX" hash "$(crate_file itoa "$itoa_version")")
{
  cat <<'EOF'
(define-module (my crates)
  #:use-module (ferrix packages)
  #:use-module (ferrix download)
  #:use-module (ferrix build-system cargo))

;; Not a crate package: ignored by refresh.
(define-public not-a-crate
  (package
    (name "not-a-crate")
    (version "1.0")
    (source #f)
    (build-system cargo-build-system)
    (synopsis "x")
    (description "x")
    (license #f)))

EOF
  definition rust-rfoo-1 rfoo 1.0.0 "$h_foo100"
  definition rust-rbar-0.1 rbar 0.1.0 "$h_bar010" "(list #:cargo-inputs (list rust-rfoo-1))"
  definition rust-itoa-1 itoa "$itoa_version" "$h_itoa"
} >"$mods/my/crates.scm"
orig=$TEST_TMP/crates.scm.orig
cp "$mods/my/crates.scm" "$orig"
foo_line=$(grep -n '^(define-public rust-rfoo-1' "$orig" | cut -d: -f1)
foo_loc="mods/my/crates.scm:$((foo_line + 1)):2"
bar_line=$(grep -n '^(define-public rust-rbar-0.1' "$orig" | cut -d: -f1)
bar_loc="mods/my/crates.scm:$((bar_line + 1)):2"
# copy_as NAME: the definitions as a -f file (no define-module), $TEST_TMP/NAME.scm.
copy_as() { sed '1,4d' "$orig" | sed '1i (use-modules (ferrix packages) (ferrix download) (ferrix build-system cargo))' >"$TEST_TMP/$1.scm"; }

refresh() { "$FERRIX" refresh --registry "$REGISTRY_INDEX" "$@"; }
unchanged() { cmp -s "$orig" "$mods/my/crates.scm"; }

# --- The report.
expect_status "report on one package" 0 refresh -L "$mods" rust-rfoo
expect_eq "newest compatible 1.2.0 (1.3.0 is yanked), newest 2.0.0" "$out" \
  "$foo_loc: rust-rfoo would be upgraded from 1.0.0 to 1.2.0 (newest 2.0.0)"
expect_status "report on every crate package under -L" 0 refresh -L "$mods"
expect_eq "rfoo and rbar (0.1.1 is compatible with 0.1.0, 0.2.0 is not), itoa up to date" "$out" \
  "$foo_loc: rust-rfoo would be upgraded from 1.0.0 to 1.2.0 (newest 2.0.0)
$bar_loc: rust-rbar would be upgraded from 0.1.0 to 0.1.1 (newest 0.2.0)"
expect_status "-v also reports up-to-date packages" 0 refresh -v -L "$mods"
expect_match "itoa up to date" "$out" "rust-itoa $itoa_version is up to date"
expect_status "--target-version=latest" 0 refresh -L "$mods" --target-version=latest rust-rbar
expect_eq "the newest" "$out" "$bar_loc: rust-rbar would be upgraded from 0.1.0 to 0.2.0"
expect_status "--recursive follows #:cargo-inputs" 0 refresh -L "$mods" --recursive rust-rbar
expect_eq "rbar and rfoo" "$out" \
  "$foo_loc: rust-rfoo would be upgraded from 1.0.0 to 1.2.0 (newest 2.0.0)
$bar_loc: rust-rbar would be upgraded from 0.1.0 to 0.1.1 (newest 0.2.0)"
expect_match "the index was read from the server" "$(cat "$HTTPD_LOG")" "GET /index/rf/oo/rfoo 200"
copy_as plain
expect_status "a -f file" 0 refresh -f "$TEST_TMP/plain.scm"
expect_match "located in the file" "$out" \
  "plain.scm:$((foo_line - 2)):2: rust-rfoo would be upgraded from 1.0.0 to 1.2.0"

expect_status "-e, with -L" 0 refresh -L "$mods" -e '(@ (my crates) rust-rbar-0.1)'
expect_eq "only what -e names" "$out" \
  "$bar_loc: rust-rbar would be upgraded from 0.1.0 to 0.1.1 (newest 0.2.0)"

# --- Every crate of Debian's registry, pinned at the version the registry has: all up to date
# (or, for an older one of two versions, nothing compatible newer). Real index lines, written
# by the export from real Cargo.toml files (renames, targets, features2, build deps).
{
  echo '(use-modules (ferrix packages) (ferrix download) (ferrix build-system cargo))'
  for f in "$REGISTRY_DIR"/api/v1/crates/*/*/download; do
    v=$(basename "$(dirname "$f")")
    c=$(basename "$(dirname "$(dirname "$f")")")
    case $c in rfoo | rbar) continue ;; esac
    definition "rust-$c-$v" "$c" "$v" "$("$FERRIX" hash "$f")"
  done
} >"$TEST_TMP/debian.scm"
n_debian=$(grep -c '^(define-public' "$TEST_TMP/debian.scm")
expect_status "refresh -v every Debian crate" 0 refresh -v -f "$TEST_TMP/debian.scm"
expect_eq "one line per package, none to upgrade" \
  "$(grep -cE 'is up to date|is the newest compatible version' <<<"$out")" "$n_debian"
expect_match "over 100 of them" "$n_debian" "^[1-9][0-9][0-9]$"

copy_as ahead
sed -i 's/(version "1\.0\.0")/(version "1.9.0")/' "$TEST_TMP/ahead.scm"
expect_status "a version ahead of the registry's newest compatible one" 0 \
  refresh -f "$TEST_TMP/ahead.scm" rust-rfoo
expect_match "no downgrade proposed" "$out" "rust-rfoo 1\.9\.0 is the newest compatible version \(newest 2\.0\.0\)"

# --- Errors: clear, non-zero, files untouched.
expect_status "an unknown package" 1 refresh -u -L "$mods" rust-rfo
expect_match "its name, and a suggestion" "$err" "rust-rfo: unknown package.*rust-rfoo"
expect_status "not a crate package" 1 refresh -L "$mods" not-a-crate
expect_match "says so" "$err" "not-a-crate is not a crate package"
expect_status "no package at all" 2 "$FERRIX" refresh
copy_as missing
definition rust-nosuch nosuchcrate 1.0.0 "$h_foo100" >>"$TEST_TMP/missing.scm"
cp "$TEST_TMP/missing.scm" "$TEST_TMP/missing.orig"
expect_status "a crate not in the registry, with -u" 1 refresh -u -f "$TEST_TMP/missing.scm"
expect_match "named, located" "$err" \
  "missing.scm:[0-9]+:2: error: rust-nosuchcrate@1\.0\.0: crate 'nosuchcrate' is not in the registry sparse\+$REGISTRY_URL/index/"
expect_match "nothing written" "$err" "no file was changed"
expect_status "that file is unchanged" 0 cmp "$TEST_TMP/missing.orig" "$TEST_TMP/missing.scm"
expect_status "an unreachable registry" 1 \
  "$FERRIX" refresh -u -L "$mods" --registry "sparse+http://127.0.0.1:9/index/" rust-rfoo
expect_match "names the URL" "$err" "http://127.0.0.1:9/index/config.json"
expect_status "a bad --target-version" 2 refresh -L "$mods" --target-version=newer rust-rfoo
expect_status "an exact --target-version needs one PACKAGE" 2 refresh -L "$mods" --target-version=1.2.0
expect_status "a version the registry lacks" 1 refresh -u -L "$mods" --target-version=1.1.0 rust-rfoo
expect_match "says which" "$err" "crate 'rfoo' has no version 1.1.0"
# A .crate that does not match the index's checksum: the download fails, nothing is written.
bar011=$(crate_file rbar 0.1.1)
cp "$bar011" "$TEST_TMP/rbar-0.1.1.crate"
echo garbage >"$bar011"
expect_status "a .crate whose hash is not the index's" 1 refresh -u -L "$mods" rust-rbar
expect_match "names the URL" "$err" "api/v1/crates/rbar/0\.1\.1/download"
expect_match "and that nothing changed" "$err" "no file was changed"
cp "$TEST_TMP/rbar-0.1.1.crate" "$bar011"
expect_status "the module is unchanged after the failures" 0 unchanged
# A hash that is not a literal cannot be rewritten: nothing is.
copy_as indirect
python3 - "$TEST_TMP/indirect.scm" "$h_foo100" <<'EOF'
import sys
path, h = sys.argv[1], sys.argv[2]
text = open(path).read()
text = text.replace('(base32\n                "%s")' % h, "%rfoo-hash", 1)
text = text.replace("(define-public rust-rfoo-1", '(define %%rfoo-hash (base32 "%s"))\n(define-public rust-rfoo-1' % h, 1)
open(path, "w").write(text)
EOF
cp "$TEST_TMP/indirect.scm" "$TEST_TMP/indirect.orig"
expect_status "a hash that is not a literal, with -u" 1 refresh -u -f "$TEST_TMP/indirect.scm"
expect_match "says why" "$err" "sha256 is not \(base32 \"...\"\); cannot update it in place"
expect_status "that file is unchanged" 0 cmp "$TEST_TMP/indirect.orig" "$TEST_TMP/indirect.scm"

# --- -u: only the package's version and hash change.
expect_status "update rfoo" 0 refresh -u -L "$mods" rust-rfoo
expect_match "reported" "$out" "rust-rfoo updated from 1.0.0 to 1.2.0 \(sha256 $h_foo120\)"
diff "$orig" "$mods/my/crates.scm" >"$TEST_TMP/diff" || true
expect_eq "the diff: the version line and the hash line" "$(cat "$TEST_TMP/diff")" \
  "$((foo_line + 3))c$((foo_line + 3))
<     (version \"1.0.0\")
---
>     (version \"1.2.0\")
$((foo_line + 10))c$((foo_line + 10))
<                 \"$h_foo100\"))))
---
>                 \"$h_foo120\"))))"
expect_match "the .crate came from the registry" "$(cat "$HTTPD_LOG")" \
  "GET /api/v1/crates/rfoo/1.2.0/download 200"
expect_eq "no temporary file left" "$(ls "$mods/my")" "crates.scm"
expect_status "now up to date within 1.x" 0 refresh -L "$mods" rust-rfoo
expect_eq "says the newest is 2.0.0" "$out" \
  "$foo_loc: rust-rfoo 1.2.0 is the newest compatible version (newest 2.0.0)"

# --- The updated package builds, its source fetched by its crates.io URL through the mirror.
before=$(grep -c "GET /api/v1/crates/rfoo/1.2.0/download 200" "$HTTPD_LOG")
expect_status "build the updated package" 0 "$FERRIX" build -L "$mods" rust-rfoo
expect_match "built rust-rfoo-1.2.0" "$out" "-rust-rfoo-1\.2\.0$"
expect_eq "its .crate fetched again, by its crates.io URL through the mirror" \
  "$(grep -c "GET /api/v1/crates/rfoo/1.2.0/download 200" "$HTTPD_LOG")" $((before + 1))

# --- -u to the newest; every package of a -f file.
expect_status "update rbar to the latest" 0 refresh -u -L "$mods" -m rust-rbar
expect_match "to 0.2.0" "$out" "rust-rbar updated from 0.1.0 to 0.2.0"
expect_match "version rewritten" "$(cat "$mods/my/crates.scm")" '\(name "rust-rbar"\)
    \(version "0\.2\.0"\)'
copy_as all
cp "$TEST_TMP/all.scm" "$TEST_TMP/all.orig"
expect_status "update every package of a -f file" 0 refresh -u -f "$TEST_TMP/all.scm"
expect_eq "two versions changed" "$(diff "$TEST_TMP/all.orig" "$TEST_TMP/all.scm" | grep -c '^> *(version')" 2
expect_eq "two hashes changed" "$(diff "$TEST_TMP/all.orig" "$TEST_TMP/all.scm" | grep -c '^> *"[0-9a-z]\{52\}"')" 2
expect_status "the file reads back, now up to date" 0 refresh -f "$TEST_TMP/all.scm"
expect_match "rfoo: the newest compatible" "$out" "rust-rfoo 1.2.0 is the newest compatible version"

finish

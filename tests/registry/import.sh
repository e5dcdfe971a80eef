#!/usr/bin/env bash
# ferrix import against a real registry: Debian's crates exported with `ferrix registry export`
# and served on 127.0.0.1. One crate; the closures of regex, serde_json and clap (-r), checked
# for order and lowered; serde_json's built with `ferrix build`; a Cargo.lock that cargo generates for an example
# application (examples/wordfreq) against the same registry, imported, inserted into the
# application's file, built (the crate sources fetched through a prefix mirror of crates.io)
# and run; --insert twice; yanked versions; missing crates (a dependency's: an error naming the
# chain; an optional one of the root: a warning); errors (unknown crate, malformed JSON from the
# server, malformed Cargo.lock, bad NAME@VERSION).
source "$FERRIX_SOURCE_DIR/tests/cli/lib/assert.bash"
source "$FERRIX_SOURCE_DIR/tests/registry/lib/registry.bash"
export XDG_CACHE_HOME=$TEST_TMP/cache

# Debian's registry as this test knows it: clap's dev-dependencies trybuild and rustversion are
# absent whatever is installed (the checks below are about a missing one), through a view of
# symbolic links rather than the directory itself.
view=$TEST_TMP/debian-registry
rm -rf "$view" && mkdir -p "$view"
for crate in /usr/share/cargo/registry/*/; do
  case $(basename "$crate") in trybuild-* | rustversion-*) continue ;; esac
  ln -s "${crate%/}" "$view/"
done
registry_serve "$view"
registry_mirror_config "$TEST_TMP/config"
import() { "$FERRIX" import crate --registry "$REGISTRY_INDEX" "$@"; }

# defined_before_use FILE: every ,rust-… a definition refers to is defined earlier in FILE (or
# not at all: reused from elsewhere); prints the offending names.
defined_before_use() {
  python3 - "$1" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
defined, bad = set(), []
for m in re.finditer(r'\(define-public (\S+)(.*?)(?=\n\(define-public |\Z)', text, re.S):
    name, body = m.group(1), m.group(2)
    for ref in re.findall(r',(rust-[\w.+-]+)\)', body):
        if ref not in defined and re.search(r'\(define-public ' + re.escape(ref) + r'\b', text):
            bad.append(f"{name} uses {ref}")
    defined.add(name)
print("\n".join(bad))
EOF
}

# --- One crate.
expect_status "import one crate" 0 import itoa
itoa=$out
crate_file=$REGISTRY_DIR/api/v1/crates/itoa/1.0.1/download
expect_match "its definition" "$itoa" "\(define-public rust-itoa-1"
expect_match "its version" "$itoa" '\(version "1\.0\.1"\)'
expect_match "the sha256 of the downloaded .crate" "$itoa" \
  "\(base32 \"$("$FERRIX" hash "$crate_file")\"\)"
expect_match "the use-modules header" "$itoa" \
  "^\(use-modules \(ferrix packages\)"
expect_match "the license" "$itoa" '\(license \(list license:expat license:asl2\.0\)\)'
expect_match "crate-uri source" "$itoa" '\(uri \(crate-uri "itoa" version\)\)'
expect_match "the .crate was fetched from the registry" "$(cat "$HTTPD_LOG")" \
  "/api/v1/crates/itoa/1\.0\.1/download"
expect_eq "the .crate is in the store" \
  "$(ls "$FERRIX_STORE"/store | grep -c -- '-rust-itoa-1\.0\.1\.tar\.gz$')" 1
expect_status "an exact version" 0 import itoa@1.0.1
expect_status "a requirement" 0 import 'itoa@^1'
expect_match "the requirement's version" "$out" '\(version "1\.0\.1"\)'
expect_status "a requirement nothing meets" 1 import itoa@2
expect_match "the error lists the versions" "$err" "no version of crate itoa matches 2.*available: 1\.0\.1"

# Without -r, the dependencies are referred to, not defined.
expect_status "import one crate with dependencies" 0 import serde_json
expect_match "inputs referred to" "$out" '\("rust-itoa" ,rust-itoa-1\)'
expect_eq "only one definition" "$(grep -c '^(define-public' <<<"$out")" 1

# --- The closure of regex: order, features, lowering.
expect_status "import regex -r" 0 import -r --no-dev-dependencies regex
printf '%s\n' "$out" >"$TEST_TMP/regex.scm"
expect_eq "regex is the last definition" \
  "$(grep '^(define-public' "$TEST_TMP/regex.scm" | tail -n 1)" "(define-public rust-regex-1"
expect_match "its dependencies are defined" "$out" "define-public rust-regex-syntax-0\.6"
expect_match "memchr (regex's optional dependency, all features of the root)" "$out" \
  "define-public rust-memchr-2"
expect_eq "dependencies before dependents" "$(defined_before_use "$TEST_TMP/regex.scm")" ""
expect_match "dependencies are not built on their own" "$out" "#:skip-build\? #t"
expect_match "tests off without dev-dependencies" "$out" "#:tests\? #f"
expect_eq "the file evaluates to the root" "$(tail -n 1 "$TEST_TMP/regex.scm")" "rust-regex-1"
expect_status "regex's closure lowers" 0 "$FERRIX" build -d -f "$TEST_TMP/regex.scm"
expect_status "import regex -r with its dev-dependencies" 0 import -r regex
expect_match "dev-dependencies of the root" "$out" \
  '#:cargo-development-inputs \(\("rust-lazy-static" ,rust-lazy-static-1\)'
expect_match "their closure" "$out" "define-public rust-rand-core-0\.6"

# --- The closure of serde_json, built (serde's derive feature comes from serde_json's
# dev-dependency on serde, which the build keeps: serde_derive and its closure are imported).
expect_status "import serde_json -r" 0 import -r --no-dev-dependencies serde_json
printf '%s\n' "$out" >"$TEST_TMP/serde_json.scm"
expect_match "serde_derive, through serde's derive feature" "$out" "define-public rust-serde-derive-1"
expect_match "indexmap, an optional dependency of the root" "$out" "define-public rust-indexmap-1"
sj_status=0
"$FERRIX" build -f "$TEST_TMP/serde_json.scm" >"$TEST_TMP/sj.out" 2>"$TEST_TMP/sj.err" ||
  sj_status=$?
if [[ $sj_status == 0 ]]; then
  ok "the imported serde_json builds"
  expect_match "its .crate installed" \
    "$(ls "$(tail -n 1 "$TEST_TMP/sj.out")"/share/cargo/registry)" "serde_json-1\.0\.87\.crate"
else
  not_ok "the imported serde_json builds: $(tail -n 20 "$TEST_TMP/sj.err")"
fi

# --- The closure of clap: every definition lowers.
expect_status "import clap -r" 0 import -r clap
clap_err=$err
printf '%s\n' "$out" >"$TEST_TMP/clap.scm"
expect_match "clap_lex" "$out" "define-public rust-clap-lex-0\.3"
expect_match "crate-name property" "$out" "crate-name \. \"clap_lex\""
expect_match "no windows crates" "$(grep -c 'define-public rust-winapi' "$TEST_TMP/clap.scm" || true)" '^0$'
expect_eq "dependencies before dependents" "$(defined_before_use "$TEST_TMP/clap.scm")" ""
expect_status "clap's closure lowers" 0 "$FERRIX" build -d -f "$TEST_TMP/clap.scm"
expect_match "a derivation" "$out" "\.drv$"
expect_match "clap's dev-dependencies missing from the registry: a warning" "$clap_err" \
  "clap: development dependency trybuild .* left out"
expect_match "and its tests off" "$(sed -n '/^(define-public rust-clap-4/,$p' "$TEST_TMP/clap.scm")" \
  "#:tests\? #f"
clap_status=0
"$FERRIX" build -f "$TEST_TMP/clap.scm" >"$TEST_TMP/clap.out" 2>"$TEST_TMP/clap.err" ||
  clap_status=$?
if [[ $clap_status == 0 ]]; then
  ok "the imported clap builds (its 38 dependencies vendored)"
else
  not_ok "the imported clap builds: $(tail -n 20 "$TEST_TMP/clap.err")"
fi

# -L: packages already defined are reused.
mkdir -p "$TEST_TMP/mods/my"
{
  echo '(define-module (my crates) #:use-module (ferrix packages) #:use-module (ferrix download)'
  echo '  #:use-module (ferrix build-system cargo) #:use-module ((ferrix licenses) #:prefix license:))'
  sed -n '/^(define-public rust-memchr-2/,/^$/p' "$TEST_TMP/regex.scm"
} >"$TEST_TMP/mods/my/crates.scm"
expect_status "import regex -r -L" 0 import -r -L "$TEST_TMP/mods" regex
expect_eq "memchr not imported again" "$(grep -c 'define-public rust-memchr-2' <<<"$out" || true)" 0
expect_match "memchr referred to" "$out" '\("rust-memchr" ,rust-memchr-2\)'
expect_match "its module used" "$out" "\(my crates\)\)"

# --- A Cargo.lock generated by cargo for examples/wordfreq against the same registry.
app=$TEST_TMP/wordfreq
cp -R "$FERRIX_SOURCE_DIR/examples/wordfreq" "$app"
rm -rf "$app/target" "$app/Cargo.lock"
registry_cargo_home "$TEST_TMP/cargo-home"
(cd "$app" && cargo generate-lockfile "${registry_cargo_flags[@]}") >"$TEST_TMP/cargo.log" 2>&1 ||
  { cat "$TEST_TMP/cargo.log"; not_ok "cargo generate-lockfile"; finish; exit 1; }
ok "cargo generates the lock file against the local registry"
locked=$(grep -c '^checksum = ' "$app/Cargo.lock")
expect_status "import --lockfile" 0 "$FERRIX" import --lockfile "$app/Cargo.lock"
expect_eq "a crate source per locked registry package" "$(grep -c '(crate-source "' <<<"$out")" "$locked"
expect_match "named rust-NAME-VERSION" "$out" '\(define-public rust-serde-json-1\.0\.87'
sum=$(sed -n '/^name = "serde_json"/,/^checksum/p' "$app/Cargo.lock" | sed -n 's/^checksum = "\(.*\)"/\1/p')
expect_match "its hash is the lock file's checksum in nix32" "$out" \
  "\"$(python3 -c "
import sys
h = bytes.fromhex('$sum')
alphabet = '0123456789abcdfghijklmnpqrsvwxyz'
n = len(h) * 8 // 5 + (1 if len(h) * 8 % 5 else 0)
out = []
for i in range(n - 1, -1, -1):
    b = i * 5; j, k = b // 8, b % 8
    c = (h[j] >> k) | ((h[j + 1] << (8 - k)) if j + 1 < len(h) else 0)
    out.append(alphabet[c & 31])
print(''.join(out))")\""
expect_match "the input list" "$out" "\(define-public wordfreq-cargo-inputs"
expect_eq "the workspace member is skipped" "$(grep -c 'rust-wordfreq' <<<"$out" || true)" 0

cat >"$TEST_TMP/app.scm" <<EOF
(use-modules (ferrix packages) (ferrix build-system cargo))

(define-public wordfreq
  (package
    (name "wordfreq")
    (version "0.1.0")
    (source (local-file "$app" "wordfreq" #:recursive? #t
                        #:select? (lambda (file stat)
                                    (not (string=? (basename file) "target")))))
    (build-system cargo-build-system)
    (arguments \`(#:cargo-inputs ,wordfreq-cargo-inputs #:install-source? #f))
    (synopsis "Count word frequencies")
    (description "Counts words.")
    (license #f)
    (home-page #f)))

wordfreq
EOF
expect_status "import --lockfile --insert" 0 "$FERRIX" import crate --lockfile "$app/Cargo.lock" \
  --insert "$TEST_TMP/app.scm"
expect_match "the count is reported" "$err" "$((locked + 1)) definitions added"
cp "$TEST_TMP/app.scm" "$TEST_TMP/app.scm.1"
expect_status "inserting again" 0 "$FERRIX" import crate --lockfile "$app/Cargo.lock" \
  --insert "$TEST_TMP/app.scm"
expect_match "nothing added" "$err" "0 definitions added, $((locked + 1)) already there"
expect_eq "the file unchanged" "$(cmp "$TEST_TMP/app.scm" "$TEST_TMP/app.scm.1" && echo same)" same
names=$(sed -n 's/^(define-public \([^ ]*\).*/\1/p' "$TEST_TMP/app.scm")
expect_eq "definitions sorted" "$names" "$(LC_ALL=C sort <<<"$names")"
expect_eq "the application's definition kept" \
  "$(grep -c '(arguments `(#:cargo-inputs ,wordfreq-cargo-inputs #:install-source? #f))' "$TEST_TMP/app.scm")" 1
expect_eq "the last expression kept" "$(tail -n 1 "$TEST_TMP/app.scm")" wordfreq

app_status=0
"$FERRIX" build -f "$TEST_TMP/app.scm" >"$TEST_TMP/app.out" 2>"$TEST_TMP/app.err" || app_status=$?
if [[ $app_status == 0 ]]; then
  ok "the application builds from the imported lock file"
  wordfreq=$(tail -n 1 "$TEST_TMP/app.out")
  expect_eq "and runs" "$("$wordfreq/bin/wordfreq" -n 1 -i <"$app/sample.txt" | head -n 1)" "the 6"
  # winapi (atty's Windows dependency) was imported by no -r above: only the build fetched it,
  # from its crates.io URL rewritten by the mirror.
  expect_match "crates fetched from the registry through the mirror" "$(cat "$HTTPD_LOG")" \
    "/api/v1/crates/winapi/0\.3\.9/download"
else
  not_ok "the application builds from the imported lock file: $(tail -n 20 "$TEST_TMP/app.err")"
fi

# --- Yanked versions: itoa 1.0.1 yanked in the served index and API.
sed -i 's/"yanked":false/"yanked":true/' "$REGISTRY_DIR/index/it/oa/itoa" \
  "$REGISTRY_DIR/api/v1/crates/itoa/index.html"
expect_status "only a yanked version: an error" 1 import itoa
expect_match "which suggests --allow-yanked" "$err" \
  "no version of crate itoa to import \(available: 1\.0\.1 \(yanked\)\); --allow-yanked"
expect_status "--allow-yanked" 0 import --allow-yanked itoa
expect_match "the yanked version, marked" "$out" ";; FIXME: itoa 1\.0\.1 is yanked from the registry\."
expect_match "defined" "$out" '\(version "1\.0\.1"\)'
sed -i 's/"yanked":true/"yanked":false/' "$REGISTRY_DIR/index/it/oa/itoa" \
  "$REGISTRY_DIR/api/v1/crates/itoa/index.html"

# --- Errors.
expect_status "an unknown crate" 1 import no-such-crate
expect_match "says so" "$err" "crate no-such-crate is not in the registry"
# A dependency missing two levels down: chain-a -> chain-b -> no-such-dep (index entries added
# to the served registry).
mkdir -p "$REGISTRY_DIR/index/ch/ai"
dep() { printf '{"name":"%s","req":"%s","features":[],"optional":false,"default_features":true,"target":null,"kind":"normal"}' "$1" "$2"; }
sum=$(printf '0%.0s' {1..64})
printf '{"name":"chain-a","vers":"1.0.0","deps":[%s],"cksum":"%s","features":{},"yanked":false}\n' \
  "$(dep chain-b ^2)" "$sum" >"$REGISTRY_DIR/index/ch/ai/chain-a"
printf '{"name":"chain-b","vers":"2.1.0","deps":[%s,%s],"cksum":"%s","features":{},"yanked":false}\n' \
  "$(dep itoa ^1)" "$(dep no-such-dep ^0.3)" "$sum" >"$REGISTRY_DIR/index/ch/ai/chain-b"
expect_status "a missing dependency of a dependency" 1 import -r chain-a
expect_match "the chain of dependents named" "$err" \
  "crate no-such-dep is not in the registry \(required as no-such-dep \^0\.3 by chain-a 1\.0\.0 -> chain-b 2\.1\.0 \(\^2\)\)"
# An optional dependency of the root that the registry lacks: a warning and a comment, not an
# error (opt-a's .crate is itoa's, served under its name).
mkdir -p "$REGISTRY_DIR/index/op/t-" "$REGISTRY_DIR/api/v1/crates/opt-a/0.1.0"
cp "$REGISTRY_DIR/api/v1/crates/itoa/1.0.1/download" "$REGISTRY_DIR/api/v1/crates/opt-a/0.1.0/download"
printf '{"name":"opt-a","vers":"0.1.0","deps":[%s,%s],"cksum":"%s","features":{},"yanked":false}\n' \
  "$(dep itoa ^1)" "$(dep no-such-opt ^1 | sed 's/"optional":false/"optional":true/')" \
  "$(sha256sum "$REGISTRY_DIR/api/v1/crates/opt-a/0.1.0/download" | cut -c1-64)" \
  >"$REGISTRY_DIR/index/op/t-/opt-a"
expect_status "a missing optional dependency of the root" 0 import -r opt-a
expect_match "is a warning" "$err" "opt-a: optional dependency no-such-opt \^1 left out"
expect_match "and a comment" "$out" ";; Not in the registry, left out: no-such-opt \^1\."
expect_match "the rest imported" "$out" '\(define-public rust-itoa-1'
mkdir -p "$REGISTRY_DIR/index/3/b"
printf '{"name": "bad", "vers": "1.0.0", "deps": [\n' >"$REGISTRY_DIR/index/3/b/bad"
expect_status "malformed JSON from the server" 1 import bad
expect_match "names the crate" "$err" "bad"
printf 'version = 3\n\n[[package]]\nname = "x"\nversion = \n' >"$TEST_TMP/bad.lock"
expect_status "a malformed Cargo.lock" 1 "$FERRIX" import --lockfile "$TEST_TMP/bad.lock"
expect_match "FILE:LINE:COLUMN" "$err" "$TEST_TMP/bad\.lock:5:[0-9]+: "
expect_status "a missing Cargo.lock" 1 "$FERRIX" import --lockfile "$TEST_TMP/none.lock"
for spec in 'itoa@' 'itoa@1.x.y.z' '@1' 'it oa'; do
  expect_status "bad NAME@VERSION: '$spec'" 2 import "$spec"
  expect_match "names it" "$err" "invalid|empty"
done
expect_status "no crate" 2 "$FERRIX" import crate
expect_status "unknown importer" 2 "$FERRIX" import pypi foo
expect_status "--help" 0 "$FERRIX" import crate --help
expect_match "describes -r" "$out" "--recursive"
expect_status "ferrix import --help" 0 "$FERRIX" import --help
printf '(define-public a 1)\n(define-public b\n' >"$TEST_TMP/broken.scm"
expect_status "--insert into an unreadable file" 1 "$FERRIX" import --lockfile "$app/Cargo.lock" \
  --insert "$TEST_TMP/broken.scm"
expect_match "FILE:LINE:COLUMN" "$err" "broken\.scm:2:0"
expect_eq "left unchanged" "$(cat "$TEST_TMP/broken.scm")" "$(printf '(define-public a 1)\n(define-public b')"

httpd_stop
finish

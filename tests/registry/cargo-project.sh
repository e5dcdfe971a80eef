#!/usr/bin/env bash
# `ferrix build --cargo DIR` and (ferrix cargo-project): a Cargo project built from its Cargo.toml
# and Cargo.lock with no Scheme written. A registry holding Debian's itoa, ryu and fnv (copied out,
# exported, served on 127.0.0.1) and a git repository (served by dumb HTTP from the same server);
# an application `greet` depending on both, its real Cargo.lock written by cargo; the crates
# fetched from the registry with --crates-from (and through a mirror of crates.io by default).
# Checked: the binary runs; -d is the same across two lowerings; a changed Cargo.lock (a new
# dependency) gives another derivation with no file regenerated, which builds and runs; a
# workspace of two members (both binaries installed); --per-crate; a directory registry used
# directly (dir:, Debian's unpacked crates taken by version); the Scheme procedure gives the same
# derivation as the option; a missing checksum, an unknown source, a missing Cargo.lock and a bad
# --crates-from named clearly.
source "$FERRIX_SOURCE_DIR/tests/cli/lib/assert.bash"
source "$FERRIX_SOURCE_DIR/tests/registry/lib/registry.bash"
export XDG_CACHE_HOME=$TEST_TMP/cache
export TMPDIR=$TEST_TMP/tmp
mkdir -p "$TMPDIR"
source "$FERRIX_SOURCE_DIR/tests/registry/lib/git.bash"

# Copies, never Debian's directory itself: the dir: case below reads these. The newest 1.x of
# each (librust-itoa-dev, librust-ryu-dev, librust-fnv-dev), its version read from its directory,
# so that a Debian point release does not break the test; *_re: the version as a regexp.
mkdir -p "$TEST_TMP/crates"
for c in itoa ryu fnv; do
  dir=$(ls -d /usr/share/cargo/registry/"$c"-1.* 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] || { not_ok "Debian's $c 1.x is installed (librust-$c-dev)"; finish || true; exit 1; }
  cp -R "$dir" "$TEST_TMP/crates/"
  version=${dir##*/"$c"-}
  printf -v "${c}_re" '%s' "${version//./\\.}"
done
registry_serve "$TEST_TMP/crates"
registry_mirror_config "$TEST_TMP/config"
srv=$REGISTRY_DIR
from=--crates-from=$REGISTRY_URL/api/v1/crates

# --- A git repository holding the crate alpha.
repo=$TEST_TMP/alpha-src
mkdir -p "$repo/src"
g init -q "$repo"
printf '[package]\nname = "alpha"\nversion = "0.1.0"\nedition = "2018"\n' >"$repo/Cargo.toml"
echo 'pub fn word() -> &'"'"'static str { "git" }' >"$repo/src/lib.rs"
g -C "$repo" add . && g -C "$repo" commit -q -m one
commit=$(g -C "$repo" rev-parse HEAD)
g clone -q --bare "$repo" "$srv/alpha.git"
g -C "$srv/alpha.git" update-server-info
url=$HTTPD_URL/alpha.git

# --- The application, with a target/ and a .git that are not part of its source.
app=$TEST_TMP/greet
mkdir -p "$app/src"
cat >"$app/Cargo.toml" <<EOF
[package]
name = "greet"
version = "0.3.0"
edition = "2018"

[dependencies]
alpha = { git = "$url", rev = "${commit:0:12}" }
itoa = "1"
EOF
cat >"$app/src/main.rs" <<'EOF'
fn main() {
    println!("{} {}", alpha::word(), itoa::Buffer::new().format(42));
}
EOF
registry_cargo_home "$TEST_TMP/cargo-home"
lockgen() {
  env CARGO_NET_GIT_FETCH_WITH_CLI=true cargo generate-lockfile "${registry_cargo_flags[@]}" \
    --manifest-path "$1/Cargo.toml" >"$TEST_TMP/lockgen.log" 2>&1
}
expect_status "cargo generate-lockfile" 0 lockgen "$app"
g init -q "$app"
mkdir -p "$app/target/debug"
echo junk >"$app/target/debug/junk"
unset CARGO_HOME

# --- -d: the same derivation across two lowerings (two processes), and no build.
expect_status "build --cargo -d" 0 "$FERRIX" build -d --cargo "$from" "$app"
drv=$out
expect_match "a derivation named after the root package" "$drv" "-greet-0\.3\.0\.drv$"
expect_status "again" 0 "$FERRIX" build -d "$from" --cargo="$app"
expect_eq "the same derivation (reproducible, --cargo=DIR too)" "$out" "$drv"
src=$("$FERRIX" show-derivation "$drv" | grep -o '"/[^"]*-greet"' | head -n 1 | tr -d '"')
expect_eq "the source has no target/" "$(ls -A "$src")" "Cargo.lock
Cargo.toml
src"
expect_eq "the git hash was cached" "$(ls "$XDG_CACHE_HOME/ferrix/git-hashes" | wc -l)" 1

# --- Scheme: the procedure gives the same derivation.
expect_status "cargo-project from Scheme" 0 "$FERRIX" build -d "$from" \
  -e "((@ (ferrix cargo-project) cargo-project) \"$app\")"
expect_eq "the same derivation as --cargo" "$out" "$drv"
expect_status "from the lock file's name" 0 "$FERRIX" build -d "$from" \
  -e "((@ (ferrix cargo-project) cargo-project) \"$app/Cargo.lock\")"
expect_eq "the same again" "$out" "$drv"

# --- The build, from the current directory.
: >"$HTTPD_LOG"
status=0
(cd "$app" && "$FERRIX" build --cargo "$from") >"$TEST_TMP/b.out" 2>"$TEST_TMP/b.err" || status=$?
if [[ $status == 0 ]]; then
  ok "build --cargo in the project's directory"
  greet=$(tail -n 1 "$TEST_TMP/b.out")
  expect_eq "the binary runs, with the git and registry crates" "$("$greet/bin/greet")" "git 42"
  expect_match "the crate came from --crates-from" "$(cat "$HTTPD_LOG")" \
    "/api/v1/crates/itoa/$itoa_re/download"
  expect_match "the checkout from the git server" "$(cat "$HTTPD_LOG")" "/alpha\.git/"
  expect_eq "no source installed" "$(ls "$greet")" "bin"
else
  not_ok "build --cargo in the project's directory: $(tail -n 30 "$TEST_TMP/b.err")"
fi

# Through the configured mirror of crates.io (the default crates-from): the same output.
expect_status "-d with crates from crates.io" 0 "$FERRIX" build -d --cargo "$app"
expect_eq "the URLs are in the derivation: another one" "$([[ $out != "$drv" ]] && echo yes)" yes
expect_status "built through the mirror" 0 "$FERRIX" build --cargo "$app"
expect_eq "to the same output (fixed-output inputs)" "$(tail -n 1 <<<"$out")" "${greet:-}"

# --- A changed Cargo.lock: a new dependency, no Scheme file anywhere.
sed -i 's/^itoa = "1"$/itoa = "1"\nryu = "1"/' "$app/Cargo.toml"
cat >"$app/src/main.rs" <<'EOF'
fn main() {
    println!("{} {} {}", alpha::word(), itoa::Buffer::new().format(42),
             ryu::Buffer::new().format(1.5));
}
EOF
CARGO_HOME=$TEST_TMP/cargo-home expect_status "cargo generate-lockfile again" 0 lockgen "$app"
expect_match "ryu is locked now" "$(cat "$app/Cargo.lock")" 'name = "ryu"'
expect_status "-d after the change" 0 "$FERRIX" build -d "$from" --cargo "$app"
drv2=$out
expect_eq "another derivation" "$([[ $drv2 != "$drv" ]] && echo yes)" yes
expect_match "which has ryu's download" "$("$FERRIX" show-derivation "$drv2")" "rust-ryu-$ryu_re\.tar\.gz\.drv"
status=0
"$FERRIX" build "$from" --cargo "$app" >"$TEST_TMP/b2.out" 2>"$TEST_TMP/b2.err" || status=$?
if [[ $status == 0 ]]; then
  ok "the changed project builds"
  expect_eq "and runs with ryu" "$("$(tail -n 1 "$TEST_TMP/b2.out")/bin/greet")" "git 42 1.5"
else
  not_ok "the changed project builds: $(tail -n 30 "$TEST_TMP/b2.err")"
fi

# --- import --lockfile --insert keeps an input list current.
cat >"$TEST_TMP/app.scm" <<EOF
(use-modules (ferrix packages) (ferrix build-system cargo))

(define-public greet
  (package
    (name "greet")
    (version "0.3.0")
    (source (local-file "$app" "greet" #:recursive? #t))
    (build-system cargo-build-system)
    (arguments \`(#:cargo-inputs ,greet-cargo-inputs #:install-source? #f))
    (synopsis "Greet")
    (description "Greets.")
    (license #f)
    (home-page #f)))

greet
EOF
# The lock file without ryu first: greet's dependencies before the change.
mkdir -p "$TEST_TMP/old"
awk 'BEGIN { RS = ""; ORS = "\n\n" } !/\nname = "ryu"\n/' "$app/Cargo.lock" |
  sed '/^ "ryu",$/d' >"$TEST_TMP/old/Cargo.lock"
expect_status "import --insert of the old lock" 0 "$FERRIX" import --lockfile \
  "$TEST_TMP/old/Cargo.lock" --insert "$TEST_TMP/app.scm"
expect_match "the list is added" "$(cat "$TEST_TMP/app.scm")" \
  "\(define-public greet-cargo-inputs \(list rust-alpha-0\.1\.0 rust-itoa-$itoa_re\)\)"
# An entry at another version, as if itoa had been 0.4.8 then.
sed -i "s/rust-itoa-$itoa_re/rust-itoa-0.4.8/g" "$TEST_TMP/app.scm"
expect_status "import --insert of the new lock" 0 "$FERRIX" import --lockfile "$app/Cargo.lock" \
  --insert "$TEST_TMP/app.scm"
expect_match "says what changed" "$err" "input list updated: 1 added, 1 replaced, 0 removed"
expect_match "the list is current" "$(tr -s ' \n' ' ' <"$TEST_TMP/app.scm")" \
  "\(define-public greet-cargo-inputs \(list rust-alpha-0\.1\.0 rust-itoa-$itoa_re rust-ryu-$ryu_re\)\)"
expect_eq "the stale source is gone" "$(grep -c 'rust-itoa-0\.4\.8' "$TEST_TMP/app.scm")" 0
expect_eq "one list" "$(grep -c 'define-public greet-cargo-inputs' "$TEST_TMP/app.scm")" 1
expect_status "the updated file lowers" 0 "$FERRIX" build -d "$from" -f "$TEST_TMP/app.scm"
cp "$TEST_TMP/app.scm" "$TEST_TMP/app.scm.kept"
expect_status "importing again" 0 "$FERRIX" import --lockfile "$app/Cargo.lock" \
  --insert "$TEST_TMP/app.scm"
expect_match "changes nothing" "$err" ": 0 definitions added, [0-9]+ already there"
expect_eq "the file unchanged" "$(cmp "$TEST_TMP/app.scm" "$TEST_TMP/app.scm.kept" && echo same)" same
expect_status "the old lock again" 0 "$FERRIX" import --lockfile "$TEST_TMP/old/Cargo.lock" \
  --insert "$TEST_TMP/app.scm"
expect_match "removes ryu" "$err" "input list updated: 0 added, 0 replaced, 1 removed"
expect_eq "and its source" "$(grep -c 'rust-ryu' "$TEST_TMP/app.scm")" 0

# --- A workspace of two members, one using the other by path.
ws=$TEST_TMP/ws
mkdir -p "$ws/one/src" "$ws/two/src"
printf '[workspace]\nmembers = ["one", "two"]\n' >"$ws/Cargo.toml"
cat >"$ws/one/Cargo.toml" <<'EOF'
[package]
name = "one"
version = "1.2.0"
edition = "2018"

[dependencies]
fnv = "1"
EOF
cat >"$ws/one/src/lib.rs" <<'EOF'
pub fn hashed(s: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = fnv::FnvHasher::default();
    h.write(s.as_bytes());
    h.finish()
}
EOF
echo 'fn main() { println!("one {}", one::hashed("a")); }' >"$ws/one/src/main.rs"
cat >"$ws/two/Cargo.toml" <<'EOF'
[package]
name = "two"
version = "1.2.0"
edition = "2018"

[dependencies]
one = { path = "../one" }
itoa = "1"
EOF
echo 'fn main() { println!("two {}", itoa::Buffer::new().format(one::hashed("") % 7)); }' \
  >"$ws/two/src/main.rs"
CARGO_HOME=$TEST_TMP/cargo-home expect_status "the workspace's lock file" 0 lockgen "$ws"
expect_status "-d of the workspace" 0 "$FERRIX" build -d "$from" --cargo "$ws"
expect_match "named after its directory, at its members' version" "$out" "-ws-1\.2\.0\.drv$"
status=0
"$FERRIX" build "$from" --cargo "$ws" >"$TEST_TMP/ws.out" 2>"$TEST_TMP/ws.err" || status=$?
if [[ $status == 0 ]]; then
  ok "the workspace builds"
  wsout=$(tail -n 1 "$TEST_TMP/ws.out")
  expect_eq "both binaries" "$(ls "$wsout/bin" | tr '\n' ' ')" "one two "
  expect_eq "one runs" "$("$wsout/bin/one")" "one 12638187200555641996"
  expect_eq "two runs" "$("$wsout/bin/two")" "two 2"
else
  not_ok "the workspace builds: $(tail -n 30 "$TEST_TMP/ws.err")"
fi

# --- The per-crate mode.
status=0
"$FERRIX" build --per-crate "$from" --cargo "$ws" >"$TEST_TMP/pc.out" 2>"$TEST_TMP/pc.err" ||
  status=$?
if [[ $status == 0 ]]; then
  ok "the workspace builds --per-crate"
  pcout=$(tail -n 1 "$TEST_TMP/pc.out")
  expect_eq "two runs" "$("$pcout/bin/two")" "two 2"
else
  not_ok "the workspace builds --per-crate: $(tail -n 30 "$TEST_TMP/pc.err")"
fi

# --- A directory registry, used directly: Debian's unpacked crates (copies).
expect_status "build with --crates-from=dir:" 0 "$FERRIX" build --crates-from="dir:$TEST_TMP/crates" \
  --cargo "$ws"
expect_eq "the same binaries" "$("$(tail -n 1 <<<"$out")/bin/two")" "two 2"
expect_match "taken by version, said once" "$err" \
  "warning: .*ws/Cargo.lock: 2 of the crates taken from the directory registry .* do not record the lock file's checksum \((fnv $fnv_re, itoa $itoa_re|itoa $itoa_re, fnv $fnv_re)\)"
expect_status "and in the per-crate mode" 0 "$FERRIX" build --per-crate \
  --crates-from="dir:$TEST_TMP/crates" --cargo "$ws"
expect_eq "the same binaries again" "$("$(tail -n 1 <<<"$out")/bin/two")" "two 2"
mkdir "$TEST_TMP/empty"
expect_status "a crate missing from the directory" 1 "$FERRIX" build -d \
  --crates-from="dir:$TEST_TMP/empty" --cargo "$ws"
expect_match "is named" "$err" "error: .*fnv $fnv_re \(locked in .*ws/Cargo\.lock\) is not in the directory registry .*/empty"

# --- Errors.
bad=$TEST_TMP/bad
cp -R "$ws" "$bad"
sed -i '/name = "itoa"/,/^checksum/{/^checksum/d}' "$bad/Cargo.lock"
expect_status "a registry package without checksum" 1 "$FERRIX" build -d "$from" --cargo "$bad"
expect_match "is named" "$err" "error: itoa $itoa_re has no checksum in .*/bad/Cargo\.lock"
cp "$ws/Cargo.lock" "$bad/Cargo.lock"
sed -i -E 's#^source = "(sparse|registry)\+[^"]*"#source = "local-registry+file:///nowhere"#' "$bad/Cargo.lock"
expect_status "an unknown source" 1 "$FERRIX" build -d "$from" --cargo "$bad"
expect_match "is named" "$err" "error: (fnv $fnv_re|itoa $itoa_re) comes from local-registry\+file:///nowhere"
rm "$bad/Cargo.lock"
expect_status "no Cargo.lock" 1 "$FERRIX" build -d --cargo "$bad"
expect_match "says what to do" "$err" "/bad/Cargo\.lock: no such file .*cargo generate-lockfile"
expect_status "a directory without Cargo.toml" 1 "$FERRIX" build -d --cargo "$TEST_TMP/empty"
expect_match "is named" "$err" "/empty is not a Cargo project"
expect_status "a bad --crates-from" 2 "$FERRIX" build -d --crates-from=ftp://x --cargo "$ws"
expect_match "is a usage error" "$err" "--crates-from needs"
FERRIX_CRATES_FROM=ftp://x expect_status "a bad \$FERRIX_CRATES_FROM" 1 "$FERRIX" build -d --cargo "$ws"
expect_match "is named" "$err" "error: \\\$FERRIX_CRATES_FROM is 'ftp://x': expected crates\.io"
FERRIX_CRATES_FROM=dir:$TEST_TMP/empty expect_status "--no-config: \$FERRIX_CRATES_FROM still read" 1 \
  "$FERRIX" build -d --no-config --cargo "$ws"
expect_match "crates from it, not crates.io" "$err" "is not in the directory registry .*/empty"
rm -rf "$XDG_CACHE_HOME/ferrix/git-hashes"
httpd_stop
expect_status "a git hash that cannot be computed" 1 "$FERRIX" build -d "$from" --cargo "$app"
expect_match "names the package and the way out" "$err" \
  "error: alpha 0\.1\.0: the lock file records no hash of its git source, .*#:git-hashes"

finish

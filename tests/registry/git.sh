#!/usr/bin/env bash
# git-fetch origins against a real git server: repositories made here with the host's git (a
# small crate: two commits, an annotated tag, an executable file; a superproject with it as a
# submodule), served over HTTP with git's dumb protocol (bare clones + update-server-info, static
# files from tests/lib/httpd.py on 127.0.0.1). git-checkout-hash equals `ferrix hash -r` of
# manual checkouts (git archive; a clone without .git), by commit or tag, with submodules or
# not; a package whose source is a git-fetch origin builds with `ferrix build` (the checkout
# holds Cargo.toml, keeps the executable bit, has no .git; the program runs) and building again
# does nothing; a wrong hash fails naming the expected and actual hashes and registers nothing;
# an unknown commit and an unreachable repository fail clearly (build and git-checkout-hash).
source "$FERRIX_SOURCE_DIR/tests/cli/lib/assert.bash"
source "$FERRIX_SOURCE_DIR/tests/lib/httpd.bash"
export XDG_CACHE_HOME=$TEST_TMP/cache
# git-checkout-hash's temporary checkouts go here; it must stay empty.
export TMPDIR=$TEST_TMP/tmp
mkdir -p "$TMPDIR"
source "$FERRIX_SOURCE_DIR/tests/registry/lib/git.bash"

srv=$TEST_TMP/srv
mkdir -p "$srv"
httpd_start "$srv"
# publish NAME DIR: make a bare clone of DIR servable at $HTTPD_URL/NAME.git (dumb protocol).
publish() {
  rm -rf "$srv/$1.git"
  g clone -q --bare "$2" "$srv/$1.git"
  g -C "$srv/$1.git" update-server-info
}

# --- The crate's repository.
work=$TEST_TMP/gitcrate
mkdir -p "$work/src"
g init -q "$work"
cat >"$work/Cargo.toml" <<'EOF'
[package]
name = "gitcrate"
version = "0.1.0"
edition = "2018"
EOF
echo 'fn main() { println!("hello from git, one"); }' >"$work/src/main.rs"
printf '#!/bin/sh\necho configured\n' >"$work/configure"
chmod +x "$work/configure"
g -C "$work" add . && g -C "$work" commit -q -m one
g -C "$work" tag -a v0.1.0 -m "version 0.1.0"
c1=$(g -C "$work" rev-parse HEAD)
echo 'fn main() { println!("hello from git, two"); }' >"$work/src/main.rs"
g -C "$work" commit -q -a -m two
c2=$(g -C "$work" rev-parse HEAD)
publish gitcrate "$work"
url=$HTTPD_URL/gitcrate.git

# checkout_hash URL COMMIT [-r]: git-checkout-hash, through `ferrix repl SCRIPT`.
cat >"$TEST_TMP/hash.scm" <<'EOF'
(use-modules (ferrix git-download) (ice-9 match))
(match (command-line)
  ((_ url commit rest ...)
   (display (git-checkout-hash url commit #:recursive? (member "-r" rest)))
   (newline)))
EOF
checkout_hash() { "$FERRIX" repl "$TEST_TMP/hash.scm" "$@"; }

# The expected hashes, by hand: git archive of c1, a clone of c2 without .git.
mkdir "$TEST_TMP/archive"
g -C "$work" archive "$c1" | tar -x -C "$TEST_TMP/archive"
h1=$("$FERRIX" hash -r "$TEST_TMP/archive")
g clone -q "$url" "$TEST_TMP/clone"
g -C "$TEST_TMP/clone" -c advice.detachedHead=false checkout -q "$c2"
rm -rf "$TEST_TMP/clone/.git"
h2=$("$FERRIX" hash -r "$TEST_TMP/clone")
expect_status "the two commits differ" 1 test "$h1" = "$h2"

: >"$HTTPD_LOG"
expect_status "git-checkout-hash of a commit over dumb HTTP" 0 checkout_hash "$url" "$c1"
expect_eq "it is ferrix hash -r of git archive" "$out" "$h1"
expect_match "the fallback to a full fetch is said" "$err" \
  "$c1 cannot be fetched by itself from $url; fetching the whole repository"
expect_match "the dumb protocol was used (loose objects)" "$(cat "$HTTPD_LOG")" \
  "GET /gitcrate\.git/objects/"
expect_status "git-checkout-hash of the second commit" 0 checkout_hash "$url" "$c2"
expect_eq "it is ferrix hash -r of a clone without .git" "$out" "$h2"
expect_status "git-checkout-hash of a tag" 0 checkout_hash "$url" v0.1.0
expect_eq "the tag's commit's tree" "$out" "$h1"
expect_status "git-checkout-hash of a branch" 0 checkout_hash "$url" main
expect_eq "its head's tree" "$out" "$h2"
expect_status "git-checkout-hash over file:// (a shallow fetch)" 0 \
  checkout_hash "file://$srv/gitcrate.git" "$c1"
expect_eq "the same hash" "$out" "$h1"
expect_eq "no full fetch was needed" "$(grep -c 'fetching the whole' <<<"$err" || true)" 0
expect_eq "the temporary checkouts are removed" "$(ls -A "$TMPDIR")" ""

# package FILE VERSION-LABEL URL COMMIT HASH: a cargo package whose source is a git-fetch origin.
package() {
  cat >"$1" <<EOF
(use-modules (ferrix packages) (ferrix git-download) (ferrix build-system cargo))
(package
  (name "gitcrate")
  (version "$2")
  (source (origin
            (method git-fetch)
            (uri (git-reference
                   (url "$3")
                   (commit "$4")))
            (file-name (git-file-name name version))
            (sha256 (base32 "$5"))))
  (build-system cargo-build-system)
  (synopsis "A crate from git")
  (description "A crate fetched with git-fetch.")
  (license "MIT")
  (home-page #f))
EOF
}
# origin FILE NAME URL COMMIT HASH [RECURSIVE?]: a file evaluating to the derivation of a
# git-fetch origin (`ferrix build -f` takes packages and derivations).
origin() {
  cat >"$1" <<EOF
(use-modules (ferrix packages) (ferrix git-download) (ferrix store))
(with-store store
  (origin->derivation
   store
   (origin
     (method git-fetch)
     (uri (git-reference
            (url "$3")
            (commit "$4")
            (recursive? ${6:-#f})))
     (file-name (git-file-name "$2" "1"))
     (sha256 (base32 "$5")))))
EOF
}
# output_of FILE: the output path of the derivation of FILE, without building it.
output_of() {
  "$FERRIX" show-derivation "$("$FERRIX" build -d -f "$1")" |
    grep -o "\"path\": *\"[^\"]*\"" | head -1 | sed 's/.*: *"//; s/"$//'
}
store=$FERRIX_STORE/store

# --- Building from git.
package "$TEST_TMP/good.scm" 0.1.0 "$url" "$c1" "$h1"
: >"$HTTPD_LOG"
expect_status "ferrix build of a package whose source is git-fetch" 0 \
  "$FERRIX" build -f "$TEST_TMP/good.scm"
built=$out
expect_match "the checkout was built" "$err" "building '.*-gitcrate-0\.1\.0-checkout\.drv'"
checkout=$(ls -d "$store"/*-gitcrate-0.1.0-checkout 2>/dev/null || true)
expect_status "the checkout is a valid store item" 0 "$FERRIX" store path-info "$checkout"
expect_eq "its Cargo.toml" "$(cat "$checkout/Cargo.toml" 2>/dev/null)" "$(cat "$work/Cargo.toml")"
expect_status "its configure is executable" 0 test -x "$checkout/configure"
expect_status "its Cargo.toml is not executable" 1 test -x "$checkout/Cargo.toml"
expect_status "no .git in the checkout" 1 test -e "$checkout/.git"
expect_eq "the checkout's NAR hash" "$("$FERRIX" hash -r "$checkout")" "$h1"
expect_eq "the program of the first commit runs" "$("$built/bin/gitcrate" 2>&1)" "hello from git, one"
expect_match "the server was asked" "$(cat "$HTTPD_LOG")" "GET /gitcrate\.git/"

: >"$HTTPD_LOG"
expect_status "building again" 0 "$FERRIX" build -f "$TEST_TMP/good.scm"
expect_eq "the same output" "$out" "$built"
expect_eq "builds nothing" "$(grep -c '^building' <<<"$err" || true)" 0
expect_eq "fetches nothing" "$(wc -l <"$HTTPD_LOG")" 0

# A tag, by the same hash, is the same fixed output: nothing to build.
package "$TEST_TMP/tag.scm" 0.1.0 "$url" v0.1.0 "$h1"
expect_status "a tag with the same hash" 0 "$FERRIX" build -f "$TEST_TMP/tag.scm"
expect_eq "the same output again" "$out" "$built"

# The checkout is deterministic: fetched again (here by its tag, so through a full fetch over the
# dumb protocol), it is the same tree.
origin "$TEST_TMP/by-tag.scm" bytag "$url" v0.1.0 "$h1"
expect_status "a git-fetch of the tag builds" 0 "$FERRIX" build -f "$TEST_TMP/by-tag.scm"
expect_status "--check: rebuilt, the same tree" 0 "$FERRIX" build --check -f "$TEST_TMP/by-tag.scm"
expect_match "--check rebuilt it" "$err" "checking '.*-bytag-1-checkout\.drv'"

# --- A wrong hash: the hash of the second commit for the first.
origin "$TEST_TMP/wrong.scm" wrong "$url" "$c1" "$h2"
expect_status "a wrong hash fails" 1 "$FERRIX" build -f "$TEST_TMP/wrong.scm"
expect_match "hash mismatch" "$err" "hash mismatch in fixed-output derivation '.*-wrong-1-checkout\.drv'"
expect_match "names the expected hash" "$err" "expected: sha256:$h2"
expect_match "names the actual hash" "$err" "actual: +sha256:$h1"
wrong_out=$(output_of "$TEST_TMP/wrong.scm")
expect_match "the checkout's output path" "$wrong_out" "^$store/.*-wrong-1-checkout$"
expect_status "nothing registered" 1 "$FERRIX" store path-info "$wrong_out"
expect_status "nothing left in the store directory" 1 test -e "$wrong_out"

# --- An unknown commit.
bad=0123456789abcdef0123456789abcdef01234567
origin "$TEST_TMP/unknown.scm" unknown "$url" "$bad" "$h1"
expect_status "an unknown commit fails" 1 "$FERRIX" build -f "$TEST_TMP/unknown.scm"
expect_match "the log says which" "$err" "git-fetch: error: no commit, tag or branch '$bad' in $url"
expect_status "nothing registered" 1 "$FERRIX" store path-info "$(output_of "$TEST_TMP/unknown.scm")"
expect_status "git-checkout-hash of an unknown commit" 1 checkout_hash "$url" "$bad"
expect_match "a clear error" "$err" "no commit, tag or branch '$bad' in $url"
expect_eq "no hash printed" "$out" ""

# --- No repository there.
origin "$TEST_TMP/nowhere.scm" nowhere "$HTTPD_URL/nowhere.git" "$c1" "$h1"
expect_status "an unreachable repository fails" 1 "$FERRIX" build -f "$TEST_TMP/nowhere.scm"
expect_match "the log says so" "$err" "git-fetch: error: cannot fetch $c1 of $HTTPD_URL/nowhere\.git"
expect_status "git-checkout-hash of an unreachable repository" 1 \
  checkout_hash "http://127.0.0.1:1/nowhere.git" "$c1"
expect_match "a clear error naming URL and commit" "$err" \
  "cannot fetch $c1 of http://127\.0\.0\.1:1/nowhere\.git"

# --- Submodules (recursive?).
sup=$TEST_TMP/super
g init -q "$sup"
echo "a superproject" >"$sup/README"
g -C "$sup" add README
g -C "$sup" submodule --quiet add "$url" vendor/gitcrate
g -C "$sup/vendor/gitcrate" -c advice.detachedHead=false checkout -q "$c1"
g -C "$sup" add vendor/gitcrate
g -C "$sup" commit -q -m "with a submodule"
s1=$(g -C "$sup" rev-parse HEAD)
publish super "$sup"
g clone -q --recurse-submodules "$HTTPD_URL/super.git" "$TEST_TMP/super-clone"
find "$TEST_TMP/super-clone" -name .git -prune -exec rm -rf {} +
hs=$("$FERRIX" hash -r "$TEST_TMP/super-clone")
expect_status "git-checkout-hash with submodules" 0 checkout_hash "$HTTPD_URL/super.git" "$s1" -r
expect_eq "the hash of a recursive clone without .git" "$out" "$hs"
expect_status "git-checkout-hash without submodules" 0 checkout_hash "$HTTPD_URL/super.git" "$s1"
expect_status "differs" 1 test "$out" = "$hs"

origin "$TEST_TMP/super.scm" super "$HTTPD_URL/super.git" "$s1" "$hs" "#t"
expect_status "ferrix build of a recursive git-fetch origin" 0 "$FERRIX" build -f "$TEST_TMP/super.scm"
expect_eq "the submodule's files are there" "$(cat "$out/vendor/gitcrate/Cargo.toml" 2>/dev/null)" \
  "$(cat "$work/Cargo.toml")"
expect_status "no .git in the submodule" 1 test -e "$out/vendor/gitcrate/.git"

httpd_stop
finish

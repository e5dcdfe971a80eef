#!/usr/bin/env bash
# `ferrix import --lockfile` of a Cargo.lock with git sources, end to end: a workspace repository
# (crates alpha and beta, beta depending on alpha by path) made with the host's git and served
# over HTTP with git's dumb protocol on 127.0.0.1 (next to a registry holding Debian's itoa); an
# application depending on beta by git rev and on itoa from the registry;
# `cargo generate-lockfile` writes the real Cargo.lock (two packages of one git source); the
# import writes one git-fetch origin for the checkout, hashed as `ferrix hash -r` of the commit's
# tree, and the input list; `ferrix build` of the application with those #:cargo-inputs vendors
# both crates from the one checkout (cargo's [source."git+URL?rev=REV"] replaced) and the program
# runs. Also: --insert adds the use-modules form once; an unknown commit fails naming the package,
# URL and commit, writing nothing; an origin with a git-reference and no file-name is named
# "git-checkout".
source "$FERRIX_SOURCE_DIR/tests/cli/lib/assert.bash"
source "$FERRIX_SOURCE_DIR/tests/registry/lib/registry.bash"
export XDG_CACHE_HOME=$TEST_TMP/cache
export TMPDIR=$TEST_TMP/tmp
mkdir -p "$TMPDIR"
source "$FERRIX_SOURCE_DIR/tests/registry/lib/git.bash"

# One server: a registry holding Debian's itoa (for a registry crate next to the git ones) and
# the git repository.
mkdir -p "$TEST_TMP/crates"
ln -s /usr/share/cargo/registry/itoa-1.0.1 "$TEST_TMP/crates/"
registry_serve "$TEST_TMP/crates"
registry_mirror_config "$TEST_TMP/config"
srv=$REGISTRY_DIR

# --- The workspace repository.
ws=$TEST_TMP/ws
mkdir -p "$ws/alpha/src" "$ws/beta/src" "$ws/fixtures/broken"
g init -q "$ws"
printf '[workspace]\nmembers = ["alpha", "beta"]\nexclude = ["fixtures"]\n' >"$ws/Cargo.toml"
printf '[package]\nname = "alpha"\nversion = "0.1.0"\nedition = "2018"\n' >"$ws/alpha/Cargo.toml"
echo 'pub fn word() -> &'"'"'static str { "git" }' >"$ws/alpha/src/lib.rs"
cat >"$ws/beta/Cargo.toml" <<'EOF'
[package]
name = "beta"
version = "0.2.0"
edition = "2018"

[dependencies]
alpha = { path = "../alpha", version = "0.1" }
EOF
echo 'pub fn greeting() -> String { format!("hello from {}", alpha::word()) }' >"$ws/beta/src/lib.rs"
# Not a crate of the workspace: vendoring must skip it.
echo 'this is not toml [' >"$ws/fixtures/broken/Cargo.toml"
g -C "$ws" add . && g -C "$ws" commit -q -m one
commit=$(g -C "$ws" rev-parse HEAD)
rev=${commit:0:12}
g clone -q --bare "$ws" "$srv/ws.git"
g -C "$srv/ws.git" update-server-info
url=$HTTPD_URL/ws.git

# --- The application and its real lock file (cargo fetches the dumb-HTTP repository with git).
app=$TEST_TMP/app
mkdir -p "$app/src"
cat >"$app/Cargo.toml" <<EOF
[package]
name = "greet"
version = "0.1.0"
edition = "2018"

[dependencies]
beta = { git = "$url", rev = "$rev" }
itoa = "1"
EOF
cat >"$app/src/main.rs" <<'EOF'
fn main() {
    println!("{}, {}", beta::greeting(), itoa::Buffer::new().format(42));
}
EOF
registry_cargo_home "$TEST_TMP/cargo-home"
expect_status "cargo generate-lockfile" 0 env CARGO_NET_GIT_FETCH_WITH_CLI=true \
  cargo generate-lockfile "${registry_cargo_flags[@]}" --manifest-path "$app/Cargo.toml"
source_id="git+$url?rev=$rev#$commit"
expect_eq "both crates locked from the git source" \
  "$(grep -c "^source = \"$source_id\"" "$app/Cargo.lock")" 2

# The expected hash, by hand.
mkdir "$TEST_TMP/archive"
g -C "$ws" archive "$commit" | tar -x -C "$TEST_TMP/archive"
hash=$("$FERRIX" hash -r "$TEST_TMP/archive")

# --- The import.
expect_status "import --lockfile" 0 "$FERRIX" import --lockfile "$app/Cargo.lock"
imported=$out
expect_match "the git-download module is used" "$out" "\(ferrix git-download\)\)"
expect_eq "in the one use-modules form" "$(grep -c '(use-modules' <<<"$out")" 1
expect_match "a git-fetch origin named after the first crate" "$out" \
  "\(define-public rust-alpha-0\.1\.0"$'\n'" +\(origin"$'\n'" +\(method git-fetch\)"
expect_match "of the URL without query and commit" "$out" "\(url \"$url\"\)"
expect_match "at the full commit" "$out" "\(commit \"$commit\"\)"
expect_match "its file name" "$out" "\(file-name \(git-file-name \"rust-alpha\" \"0\.1\.0\"\)\)"
expect_match "its hash is the tree's" "$out" "\(sha256 \(base32 \"$hash\"\)\)"
expect_eq "one checkout for the two crates" "$(grep -c '(method git-fetch)' <<<"$out")" 1
expect_match "beta is said to be in it" "$out" \
  ";; beta 0\.2\.0 is in the checkout of alpha 0\.1\.0"
expect_match "the registry crate as a crate-source" "$out" "\(crate-source \"itoa\" \"1\.0\.1\""
expect_match "the input list" "$out" \
  "\(define-public greet-cargo-inputs \(list rust-alpha-0\.1\.0 rust-itoa-1\.0\.1\)\)"
expect_eq "the checkout was removed" "$(ls -A "$TMPDIR")" ""

# --- Building the application with the imported inputs.
cat >"$TEST_TMP/app.scm" <<EOF
(use-modules (ferrix packages) (ferrix build-system cargo))

(define-public greet
  (package
    (name "greet")
    (version "0.1.0")
    (source (local-file "$app" "greet" #:recursive? #t))
    (build-system cargo-build-system)
    (arguments \`(#:cargo-inputs ,greet-cargo-inputs #:install-source? #f))
    (synopsis "Greet")
    (description "Greets, with a crate from git.")
    (license #f)
    (home-page #f)))

greet
EOF
expect_status "import --lockfile --insert" 0 "$FERRIX" import --lockfile "$app/Cargo.lock" \
  --insert "$TEST_TMP/app.scm"
expect_eq "the use-modules form inserted once" \
  "$(grep -c '^(use-modules (ferrix git-download))' "$TEST_TMP/app.scm")" 1
expect_status "inserting again" 0 "$FERRIX" import --lockfile "$app/Cargo.lock" \
  --insert "$TEST_TMP/app.scm"
expect_eq "still once" "$(grep -c '^(use-modules (ferrix git-download))' "$TEST_TMP/app.scm")" 1
# greet-cargo-inputs sorts before rust-alpha-0.1.0 but names it: it goes after it.
names=$(sed -n 's/^(define-public \([^ ]*\).*/\1/p' "$TEST_TMP/app.scm")
expect_eq "the input list after the sources it names" "$(tr '\n' ' ' <<<"$names")" \
  "greet rust-alpha-0.1.0 rust-itoa-1.0.1 greet-cargo-inputs "

: >"$HTTPD_LOG"
app_status=0
"$FERRIX" build -f "$TEST_TMP/app.scm" >"$TEST_TMP/app.out" 2>"$TEST_TMP/app.err" || app_status=$?
if [[ $app_status == 0 ]]; then
  ok "the application builds from the imported lock file"
  greet=$(tail -n 1 "$TEST_TMP/app.out")
  expect_eq "and runs with the crates from git" "$("$greet/bin/greet")" "hello from git, 42"
  expect_match "the checkout was fetched from the server" "$(cat "$HTTPD_LOG")" "/ws\.git/"
  log=$("$FERRIX" log "$("$FERRIX" build -d -f "$TEST_TMP/app.scm")")
  expect_match "the git source is replaced" "$log" "git source git\+$url\?rev=$rev replaced by"
  expect_match "alpha vendored from the checkout" "$log" "vendored alpha 0\.1\.0 from .*-rust-alpha-0\.1\.0-checkout/alpha"
  expect_match "beta vendored from the checkout" "$log" "vendored beta 0\.2\.0 from .*-rust-alpha-0\.1\.0-checkout/beta"
  expect_match "the fixture skipped" "$log" "skipping .*/fixtures/broken"
  expect_match "built --locked" "$log" "Cargo\.lock matches the vendored crates: building --locked"
else
  not_ok "the application builds from the imported lock file: $(tail -n 30 "$TEST_TMP/app.err")"
fi

# --- Without the git input, the lock file check names the git package.
sed 's/(list rust-alpha-0\.1\.0 /(list /' "$TEST_TMP/app.scm" >"$TEST_TMP/app-none.scm"
expect_status "building without the git checkout fails" 1 "$FERRIX" build -f "$TEST_TMP/app-none.scm"
expect_match "naming the package and its source" "$err" \
  "alpha 0\.1\.0 is locked but no input provides it \(it comes from $(sed 's/[.?+]/\\&/g' <<<"$source_id")\)"

# --- An unknown commit: a clear error, nothing written.
bad=0123456789abcdef0123456789abcdef01234567
sed "s/#$commit/#$bad/" "$app/Cargo.lock" >"$TEST_TMP/Cargo.lock"
cp "$TEST_TMP/app.scm" "$TEST_TMP/app.scm.before"
expect_status "an unknown commit fails" 1 "$FERRIX" import --lockfile "$TEST_TMP/Cargo.lock"
expect_match "naming the package, commit and URL" "$err" \
  "error: alpha 0\.1\.0: cannot check out commit $bad of $url"
expect_eq "nothing on stdout" "$out" ""
expect_status "with --insert too" 1 "$FERRIX" import --lockfile "$TEST_TMP/Cargo.lock" \
  --insert "$TEST_TMP/app.scm"
expect_eq "the file is untouched" "$(cmp "$TEST_TMP/app.scm" "$TEST_TMP/app.scm.before" && echo same)" same
expect_eq "no checkout left" "$(ls -A "$TMPDIR")" ""

# --- An origin with a git-reference and no file-name.
cat >"$TEST_TMP/nameless.scm" <<EOF
(use-modules (ferrix packages) (ferrix git-download) (ferrix store))
(with-store store
  (origin->derivation
   store
   (origin
     (method git-fetch)
     (uri (git-reference (url "$url") (commit "$commit")))
     (sha256 (base32 "$hash")))))
EOF
expect_status "an origin without file-name" 0 "$FERRIX" build -f "$TEST_TMP/nameless.scm"
expect_match "is called git-checkout" "$out" "-git-checkout$"

httpd_stop
finish

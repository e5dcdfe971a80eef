#!/usr/bin/env bash
# Optional dependencies of the crate being built that no input provides: cargo resolves every
# optional dependency of the package it makes a lock file for, enabled or not, so the configure
# phase prunes them from the manifest (with the feature entries that enable them), as it prunes
# dev-dependencies and other platforms' dependencies. With the input present they are kept.
# A feature asked for with #:features that needs a pruned dependency is refused, naming it.
source "$(dirname "$0")/lib/cargo.bash"

src=$TEST_TMP/src
mkdir -p "$src/helper-1.0.0/src" "$src/app/src"

cat > "$src/helper-1.0.0/Cargo.toml" <<'T'
[package]
name = "helper"
version = "1.0.0"
edition = "2021"

[features]
std = []
T
printf 'pub fn value() -> u32 { if cfg!(feature = "std") { 42 } else { 41 } }\n' \
  > "$src/helper-1.0.0/src/lib.rs"

# Every form of feature entry that enables helper: "dep:helper", "helper/std", "helper?/std",
# and a bare "helper" (the implicit feature of an optional dependency is gone with "dep:", so
# the bare name is an explicit feature here).
cat > "$src/app/Cargo.toml" <<'T'
[package]
name = "app"
version = "0.1.0"
edition = "2021"

[dependencies]
helper = { version = "1.0", optional = true }

[features]
default = ["fancy", "weak"]
fancy = ["dep:helper", "helper/std"]
weak = ["helper?/std"]
helper = ["fancy"]
plain = []
T
cat > "$src/app/src/main.rs" <<'T'
fn main() {
    #[cfg(feature = "fancy")]
    println!("app with helper {}", helper::value());
    #[cfg(not(feature = "fancy"))]
    println!("app without helper");
}
T

# app.scm WITH-HELPER? FEATURES
app() {
  local inputs=""
  [ "$1" = yes ] && inputs='#:cargo-inputs (("rust-helper" ,helper))'
  cat <<SCM
$PREAMBLE
(define helper
  (package (name "rust-helper") (version "1.0.0") (source (local-file "$src/helper-1.0.0"))
    (build-system cargo-build-system)
    (arguments \`(#:skip-build? #t))
    (synopsis "") (description "") (license #f) (home-page #f)))
(package
  (name "app") (version "0.1.0")
  (source (local-file "$src/app" #:recursive? #t))
  (build-system cargo-build-system)
  (arguments \`($inputs #:features $2))
  (synopsis "") (description "") (license #f) (home-page #f))
SCM
}

app no "()" > "$TEST_TMP/without.scm"
build "$TEST_TMP/without.scm" "$TEST_TMP/out-without"
log=$(cat "$TEST_TMP/last.log")
expect_eq "an optional dependency without input: the crate builds without it" \
  "$("$TEST_TMP/out-without/bin/app")" "app without helper"
expect_match "... pruned, and logged" "$log" "pruned optional dependencies.helper of .*/source/Cargo.toml \(no input\)"
expect_match "... cargo ran on the rewritten manifest" "$log" "running \`cargo build --offline"
expect_eq "the installed source has the original manifest" \
  "$(cat "$TEST_TMP/out-without/share/rust-source/app-0.1.0/Cargo.toml")" "$(cat "$src/app/Cargo.toml")"
if grep -q 'name = "helper"' "$TEST_TMP/out-without/share/rust-source/app-0.1.0/Cargo.lock"; then
  not_ok "the generated Cargo.lock does not name helper"
else
  ok "the generated Cargo.lock does not name helper"
fi

app yes "()" > "$TEST_TMP/with.scm"
build "$TEST_TMP/with.scm" "$TEST_TMP/out-with"
log=$(cat "$TEST_TMP/last.log")
expect_eq "with its input the optional dependency is kept (default features)" \
  "$("$TEST_TMP/out-with/bin/app")" "app with helper 42"
if grep -q "pruned optional" <<<"$log"; then
  not_ok "... and nothing is pruned"
else
  ok "... and nothing is pruned"
fi

app no "'(\"plain\")" > "$TEST_TMP/plain.scm"
build "$TEST_TMP/plain.scm" "$TEST_TMP/out-plain"
expect_eq "#:features naming an unrelated feature builds" "$("$TEST_TMP/out-plain/bin/app")" "app without helper"

for f in fancy helper helper/std; do
  app no "'(\"$f\")" > "$TEST_TMP/refused.scm"
  expect_status "#:features (\"$f\") without helper's input fails" 1 try_build "$TEST_TMP/refused.scm"
  expect_match "... saying what is missing" "$(cat "$TEST_TMP/last.log")" \
    "feature '$f' \(#:features\) needs the optional dependency helper of .*Cargo.toml, which no input provides"
done
finish

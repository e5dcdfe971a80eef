#!/usr/bin/env bash
# Crates with dependencies: a program over a library with a build script over a library given
# as a .crate (nested #:cargo-inputs); checksum files cargo accepts (a Cargo.lock with the
# .crate's checksum is kept and the build is --locked; one that does not match is refused, naming
# the crate); dependencies' lints capped by cargo; a virtual workspace.
source "$(dirname "$0")/lib/cargo.bash"

src=$TEST_TMP/src
mkdir -p "$src/leaf-1.0.0/src" "$src/mid/src" "$src/app/src"

# leaf: denies warnings and has one; cargo caps a dependency's lints, so it builds.
cat > "$src/leaf-1.0.0/Cargo.toml" <<'T'
[package]
name = "leaf"
version = "1.0.0"
edition = "2021"
T
cat > "$src/leaf-1.0.0/src/lib.rs" <<'T'
#![deny(warnings)]
pub fn leaf() -> u32 { let unused = 1; 7 }
T
tar czf "$src/leaf-1.0.0.crate" -C "$src" leaf-1.0.0
leaf_sum=$(sha256sum < "$src/leaf-1.0.0.crate" | cut -d' ' -f1)

# mid: a build script that generates code and sets an environment variable.
cat > "$src/mid/Cargo.toml" <<'T'
[package]
name = "mid"
version = "0.5.0"
edition = "2021"
build = "build.rs"

[dependencies]
leaf = "1.0"

[target.'cfg(windows)'.dependencies]
winapi = "0.3"
T
cat > "$src/mid/build.rs" <<'T'
use std::{env, fs, path::Path};
fn main() {
    let out = env::var("OUT_DIR").unwrap();
    fs::write(Path::new(&out).join("gen.rs"), "pub const GENERATED: u32 = 100;\n").unwrap();
    println!("cargo:rustc-env=MID_BUILT_BY=build.rs");
}
T
cat > "$src/mid/src/lib.rs" <<'T'
include!(concat!(env!("OUT_DIR"), "/gen.rs"));
pub const BUILT_BY: &str = env!("MID_BUILT_BY");
pub fn mid() -> u32 { GENERATED + leaf::leaf() }
T

cat > "$src/app/Cargo.toml" <<'T'
[package]
name = "app"
version = "0.1.0"
edition = "2021"

[dependencies]
mid = "0.5"
T
cat > "$src/app/src/main.rs" <<'T'
fn main() { println!("app {} {}", mid::mid(), mid::BUILT_BY); }
T

cat > "$TEST_TMP/app.scm" <<SCM
$PREAMBLE
(define (lib name version file)
  (package (name name) (version version) (source (local-file file))
    (build-system cargo-build-system)
    (arguments \`(#:skip-build? #t))
    (synopsis "") (description "") (license #f) (home-page #f)))
(define leaf (lib "rust-leaf" "1.0.0" "$src/leaf-1.0.0.crate"))
(define mid
  (package (inherit (lib "rust-mid" "0.5.0" "$src/mid"))
    (arguments \`(#:skip-build? #t #:cargo-inputs (("rust-leaf" ,leaf))))))
(package
  (name "app") (version "0.1.0")
  (source (local-file "$src/app" #:recursive? #t))
  (build-system cargo-build-system)
  (arguments \`(#:cargo-inputs (("rust-mid" ,mid))))
  (synopsis "") (description "") (license #f) (home-page #f))
SCM

build "$TEST_TMP/app.scm" "$TEST_TMP/out-app"
log=$(cat "$TEST_TMP/last.log")
expect_eq "nested dependencies, build script: the program runs" "$("$TEST_TMP/out-app/bin/app")" "app 107 build.rs"
expect_match "leaf vendored from its .crate" "$log" "vendored leaf 1.0.0 from .*-leaf-1.0.0.crate"
expect_match "mid's Windows-only dependency pruned" "$log" "pruned target.cfg\(windows\).dependencies.winapi of mid 0.5.0"
lock=$TEST_TMP/out-app/share/rust-source/app-0.1.0/Cargo.lock
expect_match "the generated Cargo.lock has the .crate's checksum" "$(cat "$lock")" "name = \"leaf\"
version = \"1.0.0\"
source = \"registry\+https://github.com/rust-lang/crates.io-index\"
checksum = \"$leaf_sum\""

# The lock file cargo wrote, now part of the source: kept, and the build is --locked.
cp "$lock" "$src/app/Cargo.lock"
build "$TEST_TMP/app.scm" "$TEST_TMP/out-app-locked"
log=$(cat "$TEST_TMP/last.log")
expect_match "a matching Cargo.lock is kept" "$log" "Cargo.lock matches the vendored crates: building --locked"
expect_match "... and cargo accepts the checksum files" "$log" "running \`cargo build --offline --locked"
expect_eq "... and the program runs" "$("$TEST_TMP/out-app-locked/bin/app")" "app 107 build.rs"

sed -i "s/$leaf_sum/$(printf '%064d' 0)/" "$src/app/Cargo.lock"
expect_status "a Cargo.lock that does not match the inputs fails" 1 try_build "$TEST_TMP/app.scm"
expect_match "... naming the crate and both checksums" "$(cat "$TEST_TMP/last.log")" "leaf 1.0.0 is locked with checksum 0{64} but its input \(.*leaf-1.0.0.crate\) has $leaf_sum"
sed -i 's/version = "1.0.0"/version = "1.0.9"/' "$src/app/Cargo.lock"
expect_status "a Cargo.lock naming a crate no input provides fails" 1 try_build "$TEST_TMP/app.scm"
expect_match "... naming it" "$(cat "$TEST_TMP/last.log")" "leaf 1.0.9 is locked but no input provides it"
rm "$src/app/Cargo.lock"

# A built library package as a plain input: its share/cargo/registry/*.crate is vendored.
mkdir -p "$src/app2/src"
printf '[package]\nname = "app2"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nleaf = "1"\n' > "$src/app2/Cargo.toml"
printf 'fn main() { println!("app2 {}", leaf::leaf()); }\n' > "$src/app2/src/main.rs"
# leaf built as the package itself: its own lints are not capped (#![deny(warnings)] fails it)...
leafpkg() {
  cat <<SCM
(define leaf
  (package (name "rust-leaf") (version "1.0.0") (source (local-file "$src/leaf-1.0.0.crate"))
    (build-system cargo-build-system)
    (arguments \`(#:rustflags $1))
    (synopsis "") (description "") (license #f) (home-page #f)))
SCM
}
printf '%s\n%s\nleaf\n' "$PREAMBLE" "$(leafpkg "()")" > "$TEST_TMP/leaf.scm"
expect_status "a crate's own lints are not capped" 1 try_build "$TEST_TMP/leaf.scm"
expect_match "... (deny(warnings) and a warning)" "$(cat "$TEST_TMP/last.log")" "error: unused variable"
# ... unless the package says so.
cat > "$TEST_TMP/app2.scm" <<SCM
$PREAMBLE
$(leafpkg '("--cap-lints" "warn")')
(package
  (name "app2") (version "0.1.0")
  (source (local-file "$src/app2" #:recursive? #t))
  (build-system cargo-build-system)
  (inputs (list leaf))
  (arguments \`(#:install-source? #f))
  (synopsis "") (description "") (license #f) (home-page #f))
SCM
build "$TEST_TMP/app2.scm" "$TEST_TMP/out-app2"
expect_match "a built package's .crate vendored" "$(cat "$TEST_TMP/last.log")" "vendored leaf 1.0.0 from /.*-rust-leaf-1.0.0/share/cargo/registry/leaf-1.0.0.crate"
expect_eq "... and the program runs" "$("$TEST_TMP/out-app2/bin/app2")" "app2 7"

# A virtual workspace: a library and a program using it and leaf.
ws=$src/ws
mkdir -p "$ws/crates/wlib/src" "$ws/crates/wbin/src"
printf '[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n' > "$ws/Cargo.toml"
printf '[package]\nname = "wlib"\nversion = "0.1.0"\nedition = "2021"\n' > "$ws/crates/wlib/Cargo.toml"
printf 'pub fn two() -> u32 { 2 }\n#[test]\nfn two_is_two() { assert_eq!(two(), 2); }\n' > "$ws/crates/wlib/src/lib.rs"
printf '[package]\nname = "wbin"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nwlib = { path = "../wlib" }\nleaf = "1"\n' > "$ws/crates/wbin/Cargo.toml"
printf 'fn main() { println!("wbin {}", wlib::two() + leaf::leaf()); }\n' > "$ws/crates/wbin/src/main.rs"
cat > "$TEST_TMP/ws.scm" <<SCM
$PREAMBLE
(package
  (name "ws") (version "0.1.0")
  (source (local-file "$ws" #:recursive? #t))
  (build-system cargo-build-system)
  (arguments \`(#:cargo-inputs (("rust-leaf" ,(package (name "rust-leaf") (version "1.0.0")
                                                (source (local-file "$src/leaf-1.0.0.crate"))
                                                (build-system cargo-build-system)
                                                (synopsis "") (description "") (license #f) (home-page #f))))))
  (synopsis "") (description "") (license #f) (home-page #f))
SCM
build "$TEST_TMP/ws.scm" "$TEST_TMP/out-ws"
log=$(cat "$TEST_TMP/last.log")
expect_match "workspace: the members' tests ran" "$log" "test two_is_two ... ok"
expect_eq "workspace: the member with a binary is installed" "$("$TEST_TMP/out-ws/bin/wbin")" "wbin 9"
expect_match "workspace: cargo install --path of the member" "$log" "running \`cargo install --offline --no-track --locked --path crates/wbin"
expect_eq "workspace: source installed under the package's name, no .crate" \
  "$(cd "$TEST_TMP/out-ws/share" && find . -maxdepth 2 | sort | tr '\n' ' ')" ". ./rust-source ./rust-source/ws-0.1.0 "
finish

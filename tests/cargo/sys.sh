#!/usr/bin/env bash
# A -sys crate linking a host C library through pkg-config: libz-sys (with pkg-config, its build
# dependency, and libc) from Debian's registry, pinned by hash, against zlib1g-dev. Its
# dependency for MSVC targets (vcpkg) has no input and is pruned.
source "$(dirname "$0")/lib/cargo.bash"

reg=/usr/share/cargo/registry
for c in libz-sys-1.1.8 pkg-config-0.3.25 libc-0.2.139; do
  [ -f "$reg/$c/Cargo.toml" ] || { echo "skipped: no $reg/$c (librust-libz-sys-dev)"; exit 0; }
done
pin() { "$FERRIX" hash -r "$reg/$1"; }

src=$TEST_TMP/zver
mkdir -p "$src/src"
printf '[package]\nname = "zver"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nlibz-sys = "1.1"\n' > "$src/Cargo.toml"
cat > "$src/src/main.rs" <<'T'
use std::ffi::CStr;
fn main() {
    let v = unsafe { CStr::from_ptr(libz_sys::zlibVersion()) };
    println!("{}", v.to_str().unwrap());
}
T
cat > "$TEST_TMP/zver.scm" <<SCM
$PREAMBLE
(define (crate id version hash)
  (package (name (crate-name->package-name id)) (version version)
    (source (registry-crate id version #:sha256 hash))
    (build-system cargo-build-system) (arguments \`(#:skip-build? #t))
    (synopsis "") (description "") (license #f) (home-page #f)))
(package
  (name "zver") (version "0.1.0")
  (source (local-file "$src" #:recursive? #t))
  (build-system cargo-build-system)
  (arguments
   \`(#:install-source? #f
     #:cargo-inputs (("libz-sys" ,(crate "libz-sys" "1.1.8" "$(pin libz-sys-1.1.8)"))
                     ("pkg-config" ,(crate "pkg-config" "0.3.25" "$(pin pkg-config-0.3.25)"))
                     ("libc" ,(crate "libc" "0.2.139" "$(pin libc-0.2.139)")))))
  (synopsis "") (description "") (license #f) (home-page #f))
SCM
build "$TEST_TMP/zver.scm" "$TEST_TMP/out"
log=$(cat "$TEST_TMP/last.log")
expect_match "vcpkg (MSVC only, no input) pruned" "$log" "pruned target.cfg\(target_env = \"msvc\"\).build-dependencies.vcpkg of libz-sys 1.1.8"
expect_match "LIBZ_SYS_STATIC=0 set" "$log" "environment variable \`LIBZ_SYS_STATIC' set to \`0'"
expect_eq "the program reports the host's zlib" "$("$TEST_TMP/out/bin/zver")" "$(pkg-config --modversion zlib)"
expect_match "linked dynamically against the host's libz" "$(ldd "$TEST_TMP/out/bin/zver")" "libz\.so\.1 => /"
finish

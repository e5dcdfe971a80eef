# `ferrix show`: recutils records like `guix show`, packages found by name (-L, -f), versions,
# filled descriptions, and unknown packages.
source "$(dirname "$0")/lib/assert.bash"
: "${FERRIX_SOURCE_DIR:?}"
examples=$FERRIX_SOURCE_DIR/examples
cd "$FERRIX_SOURCE_DIR" # locations are printed relative to the current directory

expect_status "--help" 0 "$FERRIX" show --help
expect_status "no package: usage error" 2 "$FERRIX" show
expect_status "show -f FILE" 0 "$FERRIX" show -f examples/hello.scm
expect_eq "the record" "$out" "name: hello
version: 0.1.0
outputs:
+ out: everything
systems: x86_64-linux i686-linux armhf-linux aarch64-linux mips64el-linux
+ powerpc-linux powerpc64le-linux riscv64-linux i586-gnu x86_64-gnu
dependencies:
location: examples/hello.scm:14:2
homepage:
license: GPL-3.0-or-later
synopsis: Print a greeting
description: The smallest ferrix example: a Rust program with no dependencies."

expect_status "by name after -f" 0 "$FERRIX" show -f examples/packages.scm word-count rust-lazy-static
expect_eq "two records" "$(grep -c '^name: ' <<<"$out")" "2"
expect_match "dependencies: #:cargo-inputs, sorted, with versions" "$out" $'\ndependencies: rust-itoa@1.0.1 rust-memchr@2.5.0\n'
expect_match "long descriptions are filled, continued with '+ '" "$out" \
  $'\ndescription: A ferrix example with dependencies: counts the lines and words of\n\\+ its input, with the memchr and itoa crates.'
expect_match "homepage" "$out" $'\nhomepage: https://crates.io/crates/lazy_static\n'
expect_match "location of a package made by a procedure" "$out" $'\nlocation: examples/packages.scm:26:2\n'
longest=$(awk '{ if (length($0) > m) m = length($0) } END { print m }' <<<"$out")
[ "$longest" -le 79 ] && ok "lines of at most 79 characters" || not_ok "a line of $longest characters"

# Versions, -L, inputs of every kind.
mkdir -p "$TEST_TMP/mods/demo"
cat >"$TEST_TMP/mods/demo/two.scm" <<'SCM'
(define-module (demo two)
  #:use-module (ferrix packages)
  #:use-module (ferrix build-system cargo))

(define-public lib-1
  (package (name "lib") (version "1.2.0") (build-system cargo-build-system)
           (synopsis "Old") (license "MIT")))
(define-public lib-2
  (package (name "lib") (version "2.0.1") (build-system cargo-build-system)
           (synopsis "New") (license '("MIT" "Apache-2.0"))))
(define-public tool
  (package (name "tool") (version "0.3") (build-system cargo-build-system)
           (outputs '("out" "doc"))
           (inputs (list lib-2))
           (native-inputs `(("lib" ,lib-1)))
           (home-page "https://example.org/tool")
           (synopsis "A tool") (description "Uses both.")))
SCM
expect_status "-L DIR NAME: every version" 0 "$FERRIX" show -L "$TEST_TMP/mods" lib
expect_eq "highest version first" "$(grep '^version: ' <<<"$out" | tr '\n' ' ')" "version: 2.0.1 version: 1.2.0 "
expect_match "a list of licenses" "$out" $'\nlicense: MIT, Apache-2.0\n'
expect_status "NAME@VERSION" 0 "$FERRIX" show -L "$TEST_TMP/mods" lib@1
expect_eq "NAME@VERSION: that version only" "$(grep '^version: ' <<<"$out")" "version: 1.2.0"
expect_status "inputs and native inputs" 0 "$FERRIX" show -L "$TEST_TMP/mods" tool
expect_match "dependencies of every kind" "$out" $'\ndependencies: lib@1.2.0 lib@2.0.1\n'
expect_match "outputs" "$out" $'\noutputs:\n\\+ out: everything else\n\\+ doc\n'

# Unknown packages: exit 1, a suggestion when a name is close.
expect_status "unknown package" 1 "$FERRIX" show -f examples/packages.scm rust-memchar
expect_eq "unknown package: suggestion" "$err" "ferrix: error: rust-memchar: unknown package (did you mean 'rust-memchr'?)"
expect_status "unknown package, nothing close" 1 "$FERRIX" show -f examples/packages.scm zzzzzz
expect_eq "unknown package: no suggestion" "$err" "ferrix: error: zzzzzz: unknown package"
expect_status "unknown version" 1 "$FERRIX" show -L "$TEST_TMP/mods" lib@3
expect_eq "unknown version: the available ones" "$err" "ferrix: error: lib@3: no version 3 of package 'lib' (available: 2.0.1, 1.2.0)"

finish

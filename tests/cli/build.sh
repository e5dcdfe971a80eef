# `ferrix build -d`: packages from -f, -e, -L and by name lowered to .drv files; determinism across
# processes and stores; options; and errors in package files reported as FILE:LINE:COLUMN with a
# one-line reason, the backtrace only with --debug.
source "$(dirname "$0")/lib/assert.bash"
: "${FERRIX_SOURCE_DIR:?}"
examples=$FERRIX_SOURCE_DIR/examples
cd "$TEST_TMP" # error locations are printed relative to the current directory

# Usage.
expect_status "--help" 0 "$FERRIX" build --help
expect_match "--help describes -d" "$out" "-d, --derivations +only lower to derivations"
expect_status "no package: usage error" 2 "$FERRIX" build -d
expect_status "unknown option: usage error" 2 "$FERRIX" build -d --frobnicate hello
expect_match "unknown option: named" "$err" "unrecognized option '--frobnicate'"
expect_status "-f without its argument" 2 "$FERRIX" build -d -f

# One package from a file: one .drv, in the store, and nothing built.
expect_status "-d -f examples/hello.scm" 0 "$FERRIX" build -d -f "$examples/hello.scm"
drv=$out
expect_match "a .drv in the store" "$drv" "^$FERRIX_STORE/store/[0-9a-z]{32}-hello-0\.1\.0\.drv$"
expect_eq "the .drv exists" "$(test -f "$drv" && echo yes)" "yes"
expect_eq "nothing built" "$(ls "$FERRIX_STORE/store" | grep -c -- '-hello-0\.1\.0$' || true)" "0"

# Determinism: another process, the same .drv; by name after -f; through -e.
expect_eq "same .drv in another process" "$("$FERRIX" build -d -f "$examples/hello.scm")" "$drv"
expect_eq "-f then the name: printed once" "$("$FERRIX" build -d -f "$examples/hello.scm" hello)" "$drv"
expect_eq "-e (load-package-file ...)" \
  "$("$FERRIX" build -d -e "(load-package-file \"$examples/hello.scm\")")" "$drv"
# Two stores with the same store directory (and two processes) give the same file name.
a=$("$FERRIX" --store "$TEST_TMP/nix-a" --store-dir /nix/store build -d -f "$examples/hello.scm")
b=$("$FERRIX" build --store "$TEST_TMP/nix-b" --store-dir /nix/store -d -f "$examples/hello.scm")
expect_match "a /nix/store .drv" "$a" "^/nix/store/[0-9a-z]{32}-hello-0\.1\.0\.drv$"
expect_eq "same .drv in two fresh stores" "$b" "$a"
expect_eq "--store after the command is used" "$(test -f "$TEST_TMP/nix-b/nix/store/${b#/nix/store/}" && echo yes)" "yes"

# The same definition in a package module found with -L gives the same derivation.
mkdir -p mods/demo
cat >mods/demo/hello.scm <<SCM
(define-module (demo hello)
  #:use-module (ferrix packages)
  #:use-module (ferrix build-system cargo))

(define-public hello
  (package
    (name "hello")
    (version "0.1.0")
    (source (local-file "$examples/hello"
                        #:recursive? #t
                        #:select? (lambda (file stat)
                                    (not (member (basename file)
                                                 '("target" "Cargo.lock"))))))
    (build-system cargo-build-system)
    (arguments
     \`(#:install-source? #f))
    (synopsis "Print a greeting")
    (description
     "The smallest ferrix example: a Rust program with no dependencies.")
    (license "GPL-3.0-or-later")
    (home-page #f)))
SCM
expect_status "-L DIR NAME" 0 "$FERRIX" build -d -L mods hello
expect_eq "-L DIR NAME equals -f FILE" "$out" "$drv"
expect_status "-L DIR NAME@VERSION" 0 "$FERRIX" build -d -L mods hello@0.1
expect_eq "NAME@VERSION prefix" "$out" "$drv"
expect_status "unknown version" 1 "$FERRIX" build -d -L mods hello@2
expect_match "unknown version: available ones" "$err" "no version 2 of package 'hello' \(available: 0\.1\.0\)"
expect_status "unknown package" 1 "$FERRIX" build -d -L mods helo
expect_eq "unknown package: a suggestion" "$err" "ferrix: error: helo: unknown package (did you mean 'hello'?)"

# Several packages; dependencies; -e with a list and with a derivation.
expect_status "-f examples/packages.scm NAME" 0 "$FERRIX" build -d -f "$examples/packages.scm" rust-memchr
expect_eq "two .drv files" "$(wc -l <<<"$out")" "2"
expect_match "word-count first" "$(head -n1 <<<"$out")" "-word-count-0\.1\.0\.drv$"
expect_match "then rust-memchr" "$(tail -n1 <<<"$out")" "-rust-memchr-2\.5\.0\.drv$"
expect_status "-e a list" 0 "$FERRIX" build -d -f "$examples/packages.scm" \
  -e '(map specification->package (list "rust-itoa" "rust-cfg-if"))'
expect_eq "-e a list: one .drv each, after the file's" "$(sed 1d <<<"$out" | sed 's/.*-\(rust-[a-z-]*\)-[0-9.]*\.drv$/\1/' | tr '\n' ' ')" "rust-itoa rust-cfg-if "
expect_status "-e a derivation" 0 "$FERRIX" build -d \
  -e "(with-store s (package-derivation s (load-package-file \"$examples/hello.scm\")))"
expect_eq "-e a derivation: its file name" "$out" "$drv"
expect_status "-e something else" 1 "$FERRIX" build -d -e '(list 1 2)'
expect_eq "-e something else: explained" "$err" "ferrix: error: -e (list 1 2): expected a package, a derivation or a list of them, got (1 2)"

# Systems, targets, outputs, toolchains.
cat >multi.scm <<SCM
(use-modules (ferrix packages) (ferrix build-system cargo))
(package
  (name "multi")
  (version "1.0")
  (source (local-file "$examples/hello" #:recursive? #t))
  (build-system cargo-build-system)
  (outputs '("out" "doc")))
SCM
expect_status "two outputs" 0 "$FERRIX" build -d -f multi.scm
expect_eq "two outputs: one .drv" "$(wc -l <<<"$out")" "1"
expect_match "two outputs: both in the .drv" "$(cat "$out")" '\("doc",.*\("out",'
expect_status "-s aarch64-linux" 0 "$FERRIX" build -d -s aarch64-linux -f "$examples/hello.scm"
expect_eq "-s: the .drv says so" "$(grep -o '"aarch64-linux"' "$out" | head -n1)" '"aarch64-linux"'
[ "$out" != "$drv" ] && ok "-s: another .drv" || not_ok "-s: another .drv"
expect_status "--target aarch64-linux-gnu" 0 "$FERRIX" build -d --target aarch64-linux-gnu -f "$examples/hello.scm"
expect_match "--target: the Rust target in the build script" \
  "$(cat $(grep -o "$FERRIX_STORE/store/[0-9a-z]*-hello-0.1.0-builder" "$out" | head -n1))" "aarch64-unknown-linux-gnu"
expect_status "unknown system" 1 "$FERRIX" build -d -s vax-vms -f "$examples/hello.scm"
expect_match "unknown system: named, not blamed on the package" "$err" "^ferrix: error: unknown system \"vax-vms\": no Rust target"
expect_status "unknown target" 1 "$FERRIX" build -d --target vax-dec-vms -f "$examples/hello.scm"
expect_match "unknown target: named" "$err" "^ferrix: error: unknown system \"vax-dec-vms\""
mkdir -p fake-rust/bin
cat >fake-rust/bin/rustc <<'SH'
#!/bin/sh
case "$1" in
  -vV) printf 'rustc 1.70.0 (fake)\nbinary: rustc\ncommit-hash: unknown\nhost: x86_64-unknown-linux-gnu\nrelease: 1.70.0\n' ;;
  *) echo "rustc 1.70.0 (fake)" ;;
esac
SH
printf '#!/bin/sh\necho "cargo 1.70.0 (fake)"\n' >fake-rust/bin/cargo
chmod +x fake-rust/bin/rustc fake-rust/bin/cargo
expect_status "--with-rust=PATH" 0 "$FERRIX" build -d --with-rust=fake-rust -f "$examples/hello.scm"
[ "$out" != "$drv" ] && ok "--with-rust: another .drv" || not_ok "--with-rust: another .drv"
expect_match "--with-rust: the toolchain is an input" "$(cat "$out")" "rust-toolchain-1\.70\.0"
expect_status "--with-rust=missing" 1 "$FERRIX" build -d --with-rust=no-such-dir -f "$examples/hello.scm"

# Errors in package files.  Each bad file differs from good.scm in one place; the location is
# exact (lines from 1, columns from 0) and the reason fits on one line.
mkdir -p bad/src
echo 'fn main() {}' >bad/src/main.rs
cat >bad/good.scm <<'SCM'
(use-modules (ferrix packages)
             (ferrix build-system cargo))

(define-public hello
  (package
    (name "hello")
    (version "0.1.0")
    (source (local-file "src" #:recursive? #t))
    (build-system cargo-build-system)
    (synopsis "Print a greeting")
    (description "A test package.")
    (license "GPL-3.0-or-later")))

hello
SCM
bad() { # bad NAME SED-SCRIPT: bad/NAME.scm is good.scm edited by SED-SCRIPT
  sed "$2" bad/good.scm >"bad/$1.scm"
}
bad field 's/(synopsis "Print/(synopsys "Print/'
bad unbound 's/(build-system cargo-build-system)/(build-system cargo-bulid-system)/'
bad wrong-type 's/(version "0.1.0")/(version (string-append "0." 1))/'
bad unclosed 's/(name "hello")/(name "hello"/'
bad extra-paren 's/(license "GPL-3.0-or-later")))/(license "GPL-3.0-or-later"))))/'
bad field-type 's/(version "0.1.0")/(version 1)/'
bad missing-field '/(version "0.1.0")/d'
bad duplicate-field 's/(name "hello")/(name "hello") (name "hi")/'
bad arguments 's/(build-system cargo-build-system)/(build-system cargo-build-system) (arguments "fast")/'
bad arguments-thunk 's/(build-system cargo-build-system)/(build-system cargo-build-system) (arguments (list #:tests? (car (list))))/'
bad input-unbound 's/(build-system cargo-build-system)/(build-system cargo-build-system) (inputs (list rust-nowhere))/'
bad bad-input 's/(build-system cargo-build-system)/(build-system cargo-build-system)\n    (inputs (list 42))/'
bad bad-source 's/(source (local-file "src" #:recursive? #t))/(source 42)/'
bad no-such-file 's/(local-file "src" #:recursive? #t)/(local-file "nowhere")/'
bad hash-eol 's/(version "0.1.0")/(version "0.1.0") #/'
bad binary 's/(synopsis "Print a greeting")/(synopsis #\xff\xfe)/'
bad name-slash 's/(name "hello")/(name "he\/llo")/'
bad name-dot 's/(name "hello")/(name ".hello")/'
bad version-empty 's/(version "0.1.0")/(version "")/'
bad version-space 's/(version "0.1.0")/(version "0.1 beta")/'
bad output-name 's/(build-system cargo-build-system)/(build-system cargo-build-system) (outputs (list "out" "d\/v"))/'
bad phases 's/(build-system cargo-build-system)/(build-system cargo-build-system) (arguments (list #:phases 5))/'
bad phases-string 's/(build-system cargo-build-system)/(build-system cargo-build-system) (arguments `(#:tests? #f #:phases "build"))/'
bad tests-flag "s/(build-system cargo-build-system)/(build-system cargo-build-system) (arguments '(#:tests? \"no\"))/"
bad build-flags "s/(build-system cargo-build-system)/(build-system cargo-build-system) (arguments '(#:cargo-build-flags \"--release\"))/"
bad features "s/(build-system cargo-build-system)/(build-system cargo-build-system) (arguments '(#:features (std)))/"
bad cargo-inputs "s/(build-system cargo-build-system)/(build-system cargo-build-system) (arguments '(#:cargo-inputs 5))/"
bad crate-name "s/(build-system cargo-build-system)/(build-system cargo-build-system) (arguments '(#:crate-name hello))/"
bad unknown-argument "s/(build-system cargo-build-system)/(build-system cargo-build-system) (arguments '(#:test? #f))/"
expect_status "good.scm is good" 0 "$FERRIX" build -d -f bad/good.scm

# check_error LABEL FILE EXPECTED-STDERR: exit status 1, exactly that one line, no backtrace; with
# --debug, a backtrace and the same line last.
check_error() {
  local label=$1 file=$2 expected=$3
  expect_status "$label: exit status 1" 1 "$FERRIX" build -d -f "$file"
  expect_eq "$label: FILE:LINE:COLUMN: error: reason" "$err" "$expected"
  expect_status "$label --debug: exit status 1" 1 "$FERRIX" build -d --debug -f "$file"
  expect_match "$label --debug: a backtrace" "$err" "^Backtrace:"
  expect_eq "$label --debug: the same error last" "$(tail -n1 <<<"$err")" "$expected"
}
check_error "unknown field" bad/field.scm \
  "bad/field.scm:10:4: error: package: extraneous field initializers (synopsys)"
check_error "unbound variable" bad/unbound.scm \
  "bad/unbound.scm:9:18: error: unbound variable 'cargo-bulid-system' (did you mean 'cargo-build-system'?)"
check_error "wrong argument type" bad/wrong-type.scm \
  "bad/wrong-type.scm:7:13: error: string-append: Wrong type (expecting string): 1"
check_error "unclosed parenthesis" bad/unclosed.scm \
  "bad/unclosed.scm:6:4: error: unbalanced parentheses: this one is never closed"
check_error "extra parenthesis" bad/extra-paren.scm \
  "bad/extra-paren.scm:12:34: error: unbalanced parentheses: this one closes nothing"
check_error "field of the wrong type, found at lowering" bad/field-type.scm \
  "bad/field-type.scm:7:4: error: hello: field 'version': expected a string, got 1"
check_error "missing field" bad/missing-field.scm \
  "bad/missing-field.scm:5:2: error: package: missing field initializers (version)"
check_error "duplicate field" bad/duplicate-field.scm \
  "bad/duplicate-field.scm:6:19: error: package: duplicate field initializers (name)"
check_error "arguments of the wrong type" bad/arguments.scm \
  "bad/arguments.scm:9:38: error: hello@0.1.0: field 'arguments': expected a list of keyword arguments (#:KEYWORD VALUE ...), got \"fast\""
check_error "error in a thunked field" bad/arguments-thunk.scm \
  "bad/arguments-thunk.scm:9:38: error: hello@0.1.0: field 'arguments': car: Wrong type argument in position 1 (expecting pair): ()"
check_error "unbound variable in a thunked field" bad/input-unbound.scm \
  "bad/input-unbound.scm:9:52: error: unbound variable 'rust-nowhere'"
check_error "invalid input" bad/bad-input.scm \
  "bad/bad-input.scm:10:4: error: hello@0.1.0: invalid input (\"_\" 42)"
expect_eq "an error after the source was added: no temporary directory left" \
  "$(ls -A "$FERRIX_STORE/store/.ferrix-tmp")" ""

check_error "invalid source" bad/bad-source.scm \
  "bad/bad-source.scm:8:4: error: hello@0.1.0: invalid input (\"source\" 42)"
expect_status "missing local file" 1 "$FERRIX" build -d -f bad/no-such-file.scm
expect_match "missing local file: located" "$err" "^bad/no-such-file\.scm:8:12: error: local-file: file 'nowhere' not found \(looked for .*/bad/nowhere\)$"

# Reader errors are located at what the reader choked on, also when that ends a line (Guile
# reports the position after the newline) or is not text.
check_error "# at the end of a line" bad/hash-eol.scm \
  "bad/hash-eol.scm:7:22: error: Unknown # object: \"#\\n\""
expect_status "binary bytes" 1 "$FERRIX" build -d -f bad/binary.scm
expect_match "binary bytes: located at the #" "$err" "^bad/binary\.scm:10:14: error: Unknown # object: "

# Names and versions become store file names; build-system arguments are checked when the package
# is lowered, each error at the argument's keyword.
check_error "name with a slash" bad/name-slash.scm \
  "bad/name-slash.scm:6:4: error: he/llo@0.1.0: field 'name': expected a name made of letters, digits and \"+-._?=\", not starting with '.' (it becomes part of store file names), got \"he/llo\": '/' is not allowed"
check_error "name starting with a dot" bad/name-dot.scm \
  "bad/name-dot.scm:6:4: error: .hello@0.1.0: field 'name': expected a name made of letters, digits and \"+-._?=\", not starting with '.' (it becomes part of store file names), got \".hello\": it starts with '.'"
check_error "empty version" bad/version-empty.scm \
  "bad/version-empty.scm:7:4: error: hello@: field 'version': expected a non-empty string, got \"\""
check_error "version with a space" bad/version-space.scm \
  "bad/version-space.scm:7:4: error: hello@0.1 beta: field 'version': expected a version made of letters, digits and \"+-._?=\" (it becomes part of store file names), got \"0.1 beta\": ' ' is not allowed"
check_error "output name with a slash" bad/output-name.scm \
  "bad/output-name.scm:9:38: error: hello@0.1.0: field 'outputs': expected output names made of letters, digits and \"+-._?=\" (it becomes part of store file names), got \"d/v\": '/' is not allowed"
check_error "#:phases not code" bad/phases.scm \
  "bad/phases.scm:9:55: error: hello-0.1.0: cargo-build-system argument #:phases: expected build-side code for the phases, such as %standard-phases or (modify-phases %standard-phases ...), got 5"
check_error "#:phases a string, quasiquoted" bad/phases-string.scm \
  "bad/phases-string.scm:9:63: error: hello-0.1.0: cargo-build-system argument #:phases: expected build-side code for the phases, such as %standard-phases or (modify-phases %standard-phases ...), got \"build\""
check_error "#:tests? not a boolean" bad/tests-flag.scm \
  "bad/tests-flag.scm:9:51: error: hello-0.1.0: cargo-build-system argument #:tests?: expected #t or #f, got \"no\""
check_error "#:cargo-build-flags not a list" bad/build-flags.scm \
  "bad/build-flags.scm:9:51: error: hello-0.1.0: cargo-build-system argument #:cargo-build-flags: expected a list of strings, got \"--release\""
check_error "#:features not strings" bad/features.scm \
  "bad/features.scm:9:51: error: hello-0.1.0: cargo-build-system argument #:features: expected a list of strings, got (std)"
check_error "#:cargo-inputs not a list" bad/cargo-inputs.scm \
  "bad/cargo-inputs.scm:9:51: error: hello-0.1.0: cargo-build-system argument #:cargo-inputs: expected a list of inputs, packages or labelled (\"LABEL\" PACKAGE), got 5"
check_error "#:crate-name not a string" bad/crate-name.scm \
  "bad/crate-name.scm:9:51: error: hello-0.1.0: cargo-build-system argument #:crate-name: expected a string, got hello"
expect_status "unknown argument" 1 "$FERRIX" build -d -f bad/unknown-argument.scm
expect_match "unknown argument: at its keyword" "$err" "^bad/unknown-argument\.scm:9:51: error: hello-0\.1\.0: cargo-build-system: unknown argument #:test\? \(known: "

# A build that fails after its source was added (it has no Cargo.toml) leaves no temporary
# directory: `ferrix build` exits with its store open.
expect_status "a failing build" 1 "$FERRIX" build -f bad/good.scm
expect_eq "a failing build: no temporary directory left" "$(ls -A "$FERRIX_STORE/store/.ferrix-tmp")" ""

# In a package module found with -L (loaded by Guile's module system, not tracked).
mkdir -p badmods/demo
cat >badmods/demo/pkgs.scm <<'SCM'
(define-module (demo pkgs)
  #:use-module (ferrix packages)
  #:use-module (ferrix build-system cargo))

(define-public demo
  (package
    (name "demo")
    (version "1.0")
    (build-system cargo-build-system)
    (inputs (list no-such-package))
    (synopsis "Demo")))
SCM
expect_status "-L module: unbound variable" 1 "$FERRIX" build -d -L badmods demo
expect_eq "-L module: located" "$err" "badmods/demo/pkgs.scm:10:18: error: unbound variable 'no-such-package'"

finish

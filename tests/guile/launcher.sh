# The `ferrix` launcher and (ferrix ui): help, version, unknown commands, global options passed
# through, errors escaping a command, and a light start.
source "$FERRIX_SOURCE_DIR/tests/cli/lib/assert.bash"

expect_status "--version" 0 "$FERRIX" --version
expect_match "--version text" "$out" "^ferrix [0-9]+\.[0-9]+"
expect_eq "--version: nothing on stderr (compiled modules up to date)" "$err" ""
expect_status "-V" 0 "$FERRIX" -V
expect_status "--help" 0 "$FERRIX" --help
expect_match "--help lists commands" "$out" "show-derivation"
expect_status "no command" 2 "$FERRIX"
expect_match "no command: usage on stderr" "$err" "^Usage: ferrix"
expect_status "unknown command" 2 "$FERRIX" frobnicate
expect_eq "unknown command: message" "$err" "ferrix: unknown command 'frobnicate'
Try 'ferrix --help'."
expect_status "a command name that is not a module name" 2 "$FERRIX" ../ui
expect_status "global options before the help" 0 "$FERRIX" --store "$TEST_TMP/x" --help

# Global store options are passed through to the command.
printf bar >"$TEST_TMP/bar"
expect_status "--store --store-dir before the command" 0 \
  "$FERRIX" --store "$TEST_TMP/nix" --store-dir /nix/store store add-text foo "$TEST_TMP/bar"
expect_eq "the text path of doc/formats.md, row 11" "$out" "/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo"
expect_status "--store=DIR form" 0 "$FERRIX" --store="$TEST_TMP/nix" store path-info --hash "$out"

# Errors escaping a command's Scheme code. The launcher's own directories come first in the load
# path; GUILE_LOAD_PATH still adds more, which is how this test adds a command.
mkdir -p "$TEST_TMP/mods/ferrix/scripts"
cat >"$TEST_TMP/mods/ferrix/scripts/explode.scm" <<'SCM'
(define-module (ferrix scripts explode)
  #:use-module (ferrix store)
  #:export (ferrix-explode))
(define (ferrix-explode how)
  (cond ((string=? how "ferrix-error")
         (throw 'ferrix-error "here" "~A" '("it broke") '(store-error)))
        ((string=? how "usage")
         (throw 'ferrix-error "here" "~A" '("explode: bad usage") '(usage-error)))
        ((string=? how "store")
         (with-store store (query-path-info store (string-append (store-directory store) "/00000000000000000000000000000000-x"))))
        ((string=? how "scheme") (car 1))
        ((string=? how "exit") (exit 7))
        ((string=? how "root") (display (%default-store-root)) (newline))
        (else #t)))
SCM
export GUILE_LOAD_PATH="$TEST_TMP/mods" GUILE_AUTO_COMPILE=0
expect_status "a ferrix-error: exit 1" 1 "$FERRIX" explode ferrix-error
expect_eq "a ferrix-error: message" "$err" "ferrix: error: it broke"
expect_status "a usage-error: exit 2" 2 "$FERRIX" explode usage
expect_eq "a usage-error: message" "$err" "ferrix: explode: bad usage"
expect_status "an error from the core: exit 1" 1 "$FERRIX" --store "$TEST_TMP/own" explode store
expect_match "an error from the core: message" "$err" "^ferrix: error: path '.*-x' is not valid$"
expect_status "another Scheme error: exit 1" 1 "$FERRIX" explode scheme
expect_match "another Scheme error: message" "$err" "^ferrix: error: .*car"
expect_status "exit status of the command" 7 "$FERRIX" explode exit
expect_status "success" 0 "$FERRIX" explode ok
expect_status "--store reaches (ferrix store)" 0 "$FERRIX" --store "$TEST_TMP/own" explode root
expect_eq "--store reaches (ferrix store): value" "$out" "$TEST_TMP/own"
unset GUILE_LOAD_PATH

# A copy under a prefix laid out like the build-side item uses that prefix's modules and
# extension; `ferrix build-side SCRIPT` loads SCRIPT.
item="$TEST_TMP/item"
mkdir -p "$item/bin" "$item/lib" "$item/share/guile/site/3.0/ferrix"
cp "$FERRIX" "$item/bin/ferrix"
cp "$FERRIX_BUILD_DIR/guile/libguile-ferrix.so" "$item/lib/"
cp "$FERRIX_SOURCE_DIR/modules/ferrix/records.scm" "$item/share/guile/site/3.0/ferrix/"
cat >"$TEST_TMP/script.scm" <<'SCM'
(use-modules (ferrix records) (ice-9 rdelim))
(display (search-path %load-path "ferrix/records.scm")) (newline)
(load-extension "libguile-ferrix" "init_ferrix")
(display (%nix32-encode (%hash-string 'sha256 "abc"))) (newline)
(call-with-input-file "/proc/self/maps"
  (lambda (port)
    (let loop ()
      (let ((line (read-line port)))
        (cond ((eof-object? line) #f)
              ((string-contains line "libguile-ferrix")
               (display (substring line (string-index line #\/))) (newline))
              (else (loop)))))))
SCM
expect_status "build-side: a script" 0 env -u GUILE_LOAD_PATH GUILE_AUTO_COMPILE=0 "$item/bin/ferrix" build-side "$TEST_TMP/script.scm"
expect_eq "build-side: the item's modules and extension" "$out" "$item/share/guile/site/3.0/ferrix/records.scm
1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s
$item/lib/libguile-ferrix.so"
echo '(exit 3)' >"$TEST_TMP/exit.scm"
expect_status "build-side: the script's exit status" 3 "$item/bin/ferrix" build-side "$TEST_TMP/exit.scm"
echo '(car 1)' >"$TEST_TMP/fail.scm"
expect_status "build-side: an error fails" 1 "$item/bin/ferrix" build-side "$TEST_TMP/fail.scm"
expect_match "build-side: the error is shown" "$err" "car"

# --version loads neither the extension nor the store (its time is measured by bench-cli, not
# here: a bound on a loaded machine fails for the wrong reason).
libs=$(LD_DEBUG=files "$FERRIX" --version 2>&1 >/dev/null | grep -c 'libguile-ferrix' || true)
expect_eq "--version does not load libguile-ferrix" "$libs" "0"
finish

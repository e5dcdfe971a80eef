# `ferrix repl`: a Guile REPL with the ferrix modules, fed on standard input; `ferrix repl FILE`
# runs FILE with them, and its errors are located like those of package files.
source "$(dirname "$0")/lib/assert.bash"
: "${FERRIX_SOURCE_DIR:?}"
examples=$FERRIX_SOURCE_DIR/examples
cd "$TEST_TMP"

expect_status "--help" 0 "$FERRIX" repl --help
expect_status "unknown option" 2 "$FERRIX" repl --frobnicate

# Expressions on standard input; the ferrix modules are there.
cat >in.scm <<SCM
(define hello (load-package-file "$examples/hello.scm"))
(package-name hello)
(crate-uri "memchr" "2.5.0")
(with-store store (derivation-file-name (package-derivation store hello)))
(record-type-name (struct-vtable hello))
SCM
"$FERRIX" repl <in.scm >out.txt 2>err.txt && status=0 || status=$?
expect_eq "exit status 0 at the end of input" "$status" "0"
expect_match "a value" "$(cat out.txt)" '\$1 = "hello"'
expect_match "(ferrix build-system cargo)" "$(cat out.txt)" '\$2 = "https://crates.io/api/v1/crates/memchr/2.5.0/download"'
drv=$("$FERRIX" build -d -f "$examples/hello.scm")
expect_match "(ferrix store) and (ferrix derivations): the .drv of ferrix build -d" "$(cat out.txt)" "\\\$3 = \"$drv\""
expect_eq "nothing on stderr" "$(cat err.txt)" ""

# A script with arguments.
cat >script.scm <<'SCM'
(define hello (load-package-file (cadr (command-line))))
(format #t "~a ~a~%" (package-full-name hello) (length (command-line)))
SCM
expect_status "repl FILE ARGS" 0 "$FERRIX" repl script.scm "$examples/hello.scm"
expect_eq "repl FILE ARGS: output" "$out" "hello@0.1.0 2"
expect_status "-L DIR" 0 "$FERRIX" repl -L "$FERRIX_SOURCE_DIR/tests/cli/lib" script.scm "$examples/hello.scm"
printf '(display (exit 3))\n' >exit.scm
expect_status "the script's exit status" 3 "$FERRIX" repl exit.scm

# Errors in the script: located, one line, backtrace with --debug.
printf '(define x 1)\n(display (+ x y))\n' >bad.scm
expect_status "error in FILE" 1 "$FERRIX" repl bad.scm
expect_eq "error in FILE: located" "$err" "bad.scm:2:14: error: unbound variable 'y'"
expect_status "error in FILE --debug" 1 "$FERRIX" repl --debug bad.scm
expect_match "error in FILE --debug: backtrace" "$err" "^Backtrace:"
expect_status "missing FILE" 1 "$FERRIX" repl no-such-file.scm

finish

;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of the per-crate unit's primitives (guile/cargo.cc over
;;; lib/cargo/unit-build.cc): %unit-spec, the JSON `ferrix unit' reads;
;;; %unit-script-arguments and %unit-script-environment, what saved
;;; directives add to a doctest; %unit-search-paths; and their errors, which
;;; name the argument or field.  Run from the source directory as:
;;;   GUILE_EXTENSIONS_PATH=build/guile \
;;;     guile -L modules -L build/modules -L tests/scheme/lib \
;;;     --no-auto-compile tests/scheme/unit-spec.scm
;;; Exits non-zero when a test fails.

(use-modules (ferrix tests)
             (srfi srfi-64)
             (ice-9 match))

(load-extension "libguile-ferrix" "init_ferrix_cargo")

(define %dir (test-directory "unit-spec"))

(define (write-file file text)
  (call-with-output-file file (lambda (port) (display text port))))

(define (run-item name stdout)
  "Return the directory of a build script run whose directives are those of
STDOUT, saved as a run saves them."
  (let ((item (string-append %dir "/" name)))
    (mkdir item)
    (write-file (string-append item "/directives")
                (%build-script-directives stdout "1.95.0"))
    item))

(define %fields
  `((crate . "regex-syntax") (version . "0.6.28") (kind . lib)
    (target-name . "regex_syntax") (crate-types . ("lib")) (mode . build)
    (metadata . "0123abcd") (program . "/store/rustc")
    (arguments . ("--crate-name" "regex_syntax" "\"quoted\"\n"))
    (environment . (("CARGO_PKG_NAME" . "regex-syntax")))
    (directory . "/store/src")
    (scripts . (("/store/run" own #f) ("/store/dep-run" metadata "z")))
    (placeholder . "/@out@") (link-libs? . #t) (cargo-version . "1.95.0")
    (inputs . ("/store/pkg-config"))))

(define (error-message thunk)
  "Return the message of the error THUNK raises, or #f."
  (catch #t
    (lambda () (thunk) #f)
    (lambda (key subr fmt args . _)
      (apply format #f fmt args))))

(test-begin "unit-spec")

(test-equal "%unit-spec: one line of JSON, symbols as strings, #f links as \"\""
  '(#t #t #t #t #f)
  (let ((json (%unit-spec %fields)))
    (list (and (string-contains json "\"kind\":\"lib\"") #t)
          (and (string-contains json "\"mode\":\"build\"") #t)
          (and (string-contains
                json "{\"item\":\"/store/run\",\"links\":\"\",\"what\":\"own\"}")
               #t)
          (and (string-contains json "\"\\\"quoted\\\"\\n\"") #t)
          (and (string-index json #\newline) #t))))

(test-equal "%unit-spec: a missing field is named"
  #t
  (and (string-contains
        (error-message (lambda ()
                         (%unit-spec (assq-remove! (list-copy %fields)
                                                   'program))))
        "program")
       #t))

(test-equal "%unit-spec: a field of the wrong type is named"
  '(#t #t)
  (list (and (string-contains
              (error-message
               (lambda ()
                 (%unit-spec (cons '(arguments . ("a" 1))
                                   (assq-remove! (list-copy %fields)
                                                 'arguments)))))
              "arguments")
             #t)
        (and (string-contains
              (error-message
               (lambda ()
                 (%unit-spec (cons '(scripts . (("/i" "own" #f)))
                                   (assq-remove! (list-copy %fields)
                                                 'scripts)))))
              "SCRIPTS")
             #t)))

(unless (file-exists? %dir) (mkdir %dir))
(define %own
  (run-item "own" "cargo:rustc-cfg=has_x\ncargo:rustc-link-lib=foo\ncargo:rustc-link-search=native=/opt\ncargo:rustc-env=BY=script\n"))
(define %dep (run-item "dep" "cargo:include=/dep/include\n"))

(test-equal "%unit-script-arguments: a doctest's, without -l"
  '("-L" "native=/opt" "--cfg" "has_x")
  (%unit-script-arguments `((,%own own #f)) 'lib "" '() #f #t))

(test-equal "%unit-script-environment: OUT_DIR, rustc-env, DEP_ variables"
  `(("OUT_DIR" . ,(string-append %own "/out")) ("BY" . "script")
    ("DEP_MY_DEP_INCLUDE" . "/dep/include"))
  (%unit-script-environment `((,%own own #f) (,%dep metadata "my-dep"))))

(test-equal "%unit-script-arguments: a run without saved directives is an error naming it"
  #t
  (and (string-contains
        (error-message
         (lambda ()
           (%unit-script-arguments `((,(string-append %dir "/none") own #f))
                                   'lib "" '() #t #f)))
        "/none/directives")
       #t))

(test-equal "%unit-search-paths: the inputs' bin first, then the host's"
  `("PATH" ,(string-append %own "/bin:/usr/bin:/bin"))
  (begin
    (mkdir (string-append %own "/bin"))
    (match (assoc "PATH" (%unit-search-paths (list %own %dep)))
      ((name . value) (list name value)))))

(test-end "unit-spec")

(delete-test-directory %dir)
(exit-with-test-status)

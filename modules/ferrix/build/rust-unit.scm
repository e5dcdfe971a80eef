;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix build rust-unit): what the build side of the per-crate mode
;;; (doc/per-crate.md) does in Scheme.  A unit is built by `ferrix unit'
;;; (lib/cargo/unit-build.cc) without Guile; this module holds the two
;;; steps of a build script run that are Scheme code -- a crate override's
;;; replacement of the script, and the check of a switch forcing a system
;;; library by (ferrix build sys-crates) -- and the package's derivation:
;;; its tests, its doctests and its installation.

(define-module (ferrix build rust-unit)
  #:use-module (ferrix build utils)
  #:use-module ((ferrix build sys-crates) #:select (system-library-switch))
  #:use-module ((srfi srfi-1) #:select (filter-map))
  #:use-module (srfi srfi-11)
  #:use-module (srfi srfi-26)
  #:use-module (srfi srfi-34)
  #:use-module (srfi srfi-35)
  #:use-module (ice-9 match)
  #:use-module ((ice-9 exceptions)
                #:select (exception-with-message? exception-message
                          exception-with-irritants? exception-irritants))
  #:export (check-system-libraries-then-build
            run-replacement
            rust-package-install))

(eval-when (expand load eval)
  (load-extension "libguile-ferrix" "init_ferrix_cargo"))

;;; Code:

(define (error-text e)
  (cond ((and (exception-with-message? e) (exception-with-irritants? e))
         (apply format #f (exception-message e) (exception-irritants e)))
        ((message-condition? e) (condition-message e))
        (else (format #f "~s" e))))

(define (fail fmt . args)
  "Report the unit's failure as an error line, without a backtrace (its
diagnostics are above it), and exit with status 1."
  (format (current-error-port) "error: ~a~%" (apply format #f fmt args))
  (force-output (current-error-port))
  (exit 1))

(define (set-search-paths! inputs)
  "Set what a unit's build sets for INPUTS, store items (%unit-search-paths):
PATH, PKG_CONFIG_PATH and SOURCE_DATE_EPOCH."
  (for-each (match-lambda ((name . value) (setenv name value)))
            (%unit-search-paths inputs)))

(define (run-replacement code)
  "Evaluate CODE, a crate override's build script, in a fresh module using
(ferrix build utils), as the build script run's program (its standard output
is the run's), and exit: with status 0, or 1 after showing the error it
raised."
  (let ((module (make-fresh-user-module)))
    (module-use! module (resolve-interface '(ferrix build utils)))
    (exit (guard (e (#t (format (current-error-port) "~a~%" (error-text e))
                        (force-output (current-error-port))
                        1))
            (eval code module)
            (force-output)
            0))))

(define* (check-system-libraries-then-build #:key crate version directory
                                            placeholder (inputs '())
                                            (environment '()) rows)
  "Set the variables of ROWS, (VARIABLE VALUE LIBRARY PKG-CONFIG-NAME
DEBIAN-PACKAGE BUNDLED), switches of CRATE at VERSION (whose sources are in
DIRECTORY) forcing a system library, that pkg-config finds as the build
script will run it -- with INPUTS' search paths and the unit's ENVIRONMENT,
PLACEHOLDER in them standing for the output -- saying what was decided; fail
naming the library when it is missing and the crate has no bundled sources;
then become `ferrix unit', which builds the unit with those variables set."
  (define (subst str)
    (match (string-contains str placeholder)
      (#f str)
      (at (string-append (substring str 0 at) (getenv "out")
                         (subst (substring str
                                           (+ at (string-length placeholder))))))))
  (let ((original (environ)))
    (set-search-paths! inputs)
    (for-each (match-lambda ((name . value) (setenv name (subst value))))
              environment)
    (let ((switches
           (filter-map
            (match-lambda
              ((variable value . library)
               (let-values (((switch line)
                             (guard (c ((message-condition? c)
                                        (fail "~a" (condition-message c))))
                               (system-library-switch
                                crate (list version) (cons variable value)
                                library (const (subst directory))))))
                 (format #t "~a~%" line)
                 switch)))
            rows)))
      ;; `ferrix unit' sets the search paths and the environment itself.
      (environ original)
      (for-each (match-lambda ((variable . value) (setenv variable value)))
                switches)
      (force-output)
      (execl "/proc/self/exe" "ferrix" "unit"))))

;;;
;;; The package.
;;;

(define (run-doctests doctest)
  "Run DOCTEST, (PROGRAM ARGUMENTS ENVIRONMENT DIRECTORY SCRIPTS DESCRIPTION):
rustdoc, PROGRAM, compiling and running the doctests of a library with
ARGUMENTS and ENVIRONMENT in DIRECTORY, after adding what its build SCRIPTS
give (see the commentary: cargo passes doctests the -L, --cfg, --check-cfg and
link arguments of the scripts, no -l); fail naming them by DESCRIPTION if one
fails."
  (match doctest
    ((program arguments environment directory scripts description)
     (let ((environment* (append environment
                                 (%unit-script-environment scripts)))
           (arguments* (append arguments
                               (%unit-script-arguments scripts 'lib "" '()
                                                       #f #t))))
       ;; rustdoc links each doctest with the host's cc.
       (set-search-paths! '())
       (format #t "running ~a~%  in ~a~%  ~a~%" description
               directory (string-join (cons program arguments*)))
       (force-output)
       (for-each (match-lambda ((name . value) (setenv name value)))
                 environment*)
       (let ((status (with-directory-excursion directory
                       (apply system*/jobserver program arguments*))))
         (for-each (compose unsetenv car) environment*)
         (unless (eqv? 0 (status:exit-val status))
           (fail "test ~a failed" description)))))))

(define* (rust-package-install #:key name source (binaries '()) (tests '())
                               (doctests '())
                               install-source? outputs #:allow-other-keys)
  "Make the output of the package NAME in the per-crate mode: run its TESTS,
a list of (PROGRAM DIRECTORY ENVIRONMENT DESCRIPTION) (test binaries of its
test units, each run in its package's directory with the variables cargo
sets, as `cargo test' runs them), then its DOCTESTS (see 'run-doctests'),
then install the programs
of BINARIES, the outputs of its binary units, under bin/, and with
INSTALL-SOURCE? its SOURCE tree and .crate as the whole-package mode installs
them."
  (let ((out (assoc-ref outputs "out")))
    (for-each (match-lambda
                ((program directory environment description)
                 (format #t "running ~a~%" program)
                 (force-output)
                 (for-each (match-lambda
                             (("CARGO_TARGET_TMPDIR" . dir)
                              ;; Made by cargo before tests run; a build
                              ;; without /build (build users) has none.
                              (false-if-exception (mkdir-p dir))
                              (setenv "CARGO_TARGET_TMPDIR" dir))
                             ((name . value) (setenv name value)))
                           environment)
                 (let ((status (with-directory-excursion directory
                                 (system*/jobserver program))))
                   (for-each (compose unsetenv car) environment)
                   (unless (eqv? 0 (status:exit-val status))
                     (fail "test ~a failed" description)))))
              tests)
    (for-each run-doctests doctests)
    (mkdir-p out)
    (when install-source?
      (for-each (cut format #t "~a~%" <>)
                (%cargo-install-source source out name)))
    (for-each (lambda (item)
                (copy-recursively (string-append item "/bin")
                                  (string-append out "/bin")))
              binaries)
    #t))

;;; rust-unit.scm ends here

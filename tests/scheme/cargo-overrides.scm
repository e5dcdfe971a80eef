;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of (ferrix build-system cargo-overrides): matching overrides by
;;; crate name and version, the defaults made from the -sys table the
;;; whole-package mode also uses, what an override changes in a unit's
;;; invocation, and the errors of ill-formed overrides (tests/cargo/overrides.sh
;;; builds with them).

(use-modules (ferrix tests)
             (ferrix build-system cargo-overrides)
             (ferrix build-system cargo)
             (ferrix build-system)
             ((ferrix build cargo-build-system)
              #:select (%sys-crate-table %sys-crate-switches))
             (ferrix packages)
             (srfi srfi-1)
             (srfi srfi-34)
             (srfi srfi-35)
             (srfi srfi-64)
             (ice-9 match))

(test-begin "cargo-overrides")

(define any-version (crate-override (name "foo") (rustc-flags '("-a"))))
(define old (crate-override (name "foo") (version ">=0.9, <0.10")
                            (rustc-flags '("-b"))))
(define one (crate-override (name "foo") (version "1.1") (rustc-flags '("-c"))))

(test-group "matching"
  (test-eq "the first by name wins" any-version
    (lookup-crate-override (list any-version old) "foo" "0.9.3"))
  (test-eq "a version requirement: met" old
    (lookup-crate-override (list old any-version) "foo" "0.9.3"))
  (test-eq "a version requirement: not met, the next one" any-version
    (lookup-crate-override (list old any-version) "foo" "0.10.0"))
  (test-eq "a caret requirement" one
    (lookup-crate-override (list old one) "foo" "1.4.0"))
  (test-equal "no match" #f
    (lookup-crate-override (list old one) "foo" "2.0.0"))
  (test-equal "another crate's name" #f
    (lookup-crate-override (list any-version) "foo-sys" "1.0.0")))

(test-group "defaults"
  (test-equal "one override per crate of the -sys table, in its order"
    (delete-duplicates (map car %sys-crate-table))
    (map crate-override-name %default-crate-overrides))
  (test-equal "the same variables as the whole-package mode's switches"
    %sys-crate-switches
    (append-map crate-override-environment %default-crate-overrides))
  (test-equal "libz-sys: the host's zlib"
    '(("LIBZ_SYS_STATIC" . "0"))
    (crate-override-environment
     (lookup-crate-override %default-crate-overrides "libz-sys" "1.1.8")))

  (test-assert "the defaults are valid"
    (not (any crate-override-problem %default-crate-overrides)))
  (test-equal "a package's #:sys-crates rows: one override per crate"
    '(("a-sys" ("A_SYS_USE_PKG_CONFIG" . "1") ("A_STATIC" . ""))
      ("b-sys" ("B" . "0")))
    (map (lambda (override)
           (cons (crate-override-name override)
                 (crate-override-environment override)))
         (sys-crate-overrides
          '(("a-sys" "A_SYS_USE_PKG_CONFIG" "1" ("a" "a" "liba-dev" "a"))
            ("b-sys" "B" "0")
            ("a-sys" "A_STATIC" ""))))))

(test-group "an override of a crate with a default keeps the default's variables"
  (let* ((own (crate-override (name "libz-sys")
                              (environment '(("EXTRA" . "1")))))
         (unsetting (crate-override (name "libz-sys")
                                    (environment '(("LIBZ_SYS_STATIC" . "")))))
         (found (lookup-crate-override (cons own %default-crate-overrides)
                                       "libz-sys" "1.1.8")))
    (test-equal "its own, then the default's"
      '(("EXTRA" . "1") ("LIBZ_SYS_STATIC" . "0"))
      (crate-override-environment found))
    (test-eq "the same record each time" found
      (lookup-crate-override (cons own %default-crate-overrides)
                             "libz-sys" "1.1.8"))
    (test-equal "a variable it sets wins over the default's"
      '(("LIBZ_SYS_STATIC" . ""))
      (crate-override-environment
       (lookup-crate-override (cons unsetting %default-crate-overrides)
                              "libz-sys" "1.1.8")))
    (test-equal "a crate without a default: the override as it is"
      '(("EXTRA" . "1"))
      (crate-override-environment
       (lookup-crate-override (list (crate-override (inherit own)
                                                    (name "no-default")))
                              "no-default" "1.0.0")))))

(define invocation
  '((program . "rustc") (args "--crate-name" "foo")
    (env ("A" . "1") ("B" . "2")) (cwd . "/src")))

(define (unit kind mode)
  `((package . "foo") (version . "1.0.0") (kind . ,kind) (mode . ,mode)))

(define override
  (crate-override (name "foo")
                  (environment '(("B" . "two") ("C" . "3") ("D" . "")))
                  (rustc-flags '("--cfg" "shiny"))))

(test-group "invocations"
  (test-equal "a library's compilation: variables and flags"
    '((program . "rustc") (args "--crate-name" "foo" "--cfg" "shiny")
      (env ("A" . "1") ("B" . "two") ("C" . "3")) (cwd . "/src"))
    (crate-override-invocation override (unit 'lib 'build) invocation))
  (test-equal "a build script's run: variables only"
    '((program . "rustc") (args "--crate-name" "foo")
      (env ("A" . "1") ("B" . "two") ("C" . "3")) (cwd . "/src"))
    (crate-override-invocation override (unit 'custom-build 'run-custom-build)
                               invocation))
  (test-equal "a build script's compilation: unchanged, so shared"
    invocation
    (crate-override-invocation override (unit 'custom-build 'build)
                               invocation))
  (test-equal "an empty value unsets a variable"
    '(("A" . "1"))
    (assq-ref (crate-override-invocation
               (crate-override (name "foo") (environment '(("B" . ""))))
               (unit 'bin 'build) invocation)
              'env)))

(define (problem obj)
  (crate-override-problem obj))

(test-group "errors"
  (test-equal "a valid override" #f
    (problem (crate-override
              (name "foo") (version "1")
              (native-inputs (list "/store/x" '("pkg-config" "/store/y")))
              (environment '(("A" . "1")))
              (rustc-flags '("-C" "opt-level=1"))
              (patches '("/tmp/a.patch"))
              (build-script '(display "cargo:rustc-cfg=x\n")))))
  (test-assert "not an override"
    (string-contains (problem 42) "expected a crate override, got 42"))
  (test-assert "a version requirement that does not parse: named, located"
    (let ((message (problem (crate-override (name "foo") (version "one")))))
      (and (string-prefix? "crate override `foo' one (" message)
           (string-contains message "cargo-overrides.scm:"))))
  (test-assert "... names the field"
    (string-contains
     (problem (crate-override (name "foo") (version "one")))
     "field `version' expects #f or a version requirement"))
  (test-assert "the name"
    (string-contains (problem (crate-override (name 'foo)))
                     "field `name' expects a string"))
  (test-assert "the environment"
    (string-contains
     (problem (crate-override (name "foo") (environment '(("A" . 1)))))
     "field `environment' expects an alist"))
  (test-assert "the rustc flags"
    (string-contains
     (problem (crate-override (name "foo") (rustc-flags "-O")))
     "field `rustc-flags' expects a list of strings, got \"-O\""))
  (test-assert "the inputs"
    (string-contains
     (problem (crate-override (name "foo") (inputs '(42))))
     "field `inputs' expects a list of inputs"))
  (test-assert "the patches"
    (string-contains
     (problem (crate-override (name "foo") (patches '(42))))
     "field `patches' expects a list of patch files"))
  (test-assert "the build script"
    (string-contains
     (problem (crate-override (name "foo") (build-script "echo")))
     "field `build-script' expects #f or a build-side expression")))

(define (package-with arguments)
  (package
    (name "app") (version "0.1.0") (source #f)
    (build-system cargo-build-system)
    (arguments arguments)
    (synopsis "s") (description "d") (license #f) (home-page #f)))

(define (lowering-error arguments)
  "Return the message of the error lowering a package with ARGUMENTS raises,
or #f."
  (guard (e ((build-system-argument-error? e)
             (list (build-system-argument-error-keyword e)
                   (condition-message e))))
    (package->bag (package-with arguments))
    #f))

(test-group "#:crate-overrides"
  (test-equal "accepted in both modes" #f
    (lowering-error (list #:crate-overrides (list any-version))))
  (test-equal "not a list"
    '(#:crate-overrides "app-0.1.0: cargo-build-system argument \
#:crate-overrides: expected a list of crate overrides, got 42")
    (lowering-error '(#:crate-overrides 42)))
  (test-assert "an invalid override: named, with the argument's keyword"
    (match (lowering-error
            (list #:crate-overrides
                  (list (crate-override (name "foo") (version "x.y")))))
      ((#:crate-overrides message)
       (string-contains message "#:crate-overrides: crate override `foo' x.y"))
      (_ #f))))

(test-end "cargo-overrides")
(exit-with-test-status)

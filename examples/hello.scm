;;; ferrix --- functional package builder for Rust crates
;;;
;;; The package definition of examples/hello, a Rust program with no
;;; dependencies.  Build it (or just print its derivation) with:
;;;
;;;   ferrix build -f examples/hello.scm        ; add -d for the .drv only
;;;
;;; The file evaluates to the package, as 'guix build -f' expects.

(use-modules (ferrix packages)
             (ferrix build-system cargo))

(define-public hello
  (package
    (name "hello")
    (version "0.1.0")
    (source (local-file "hello"
                        #:recursive? #t
                        ;; Leave out what a local `cargo build' leaves behind.
                        #:select? (lambda (file stat)
                                    (not (member (basename file)
                                                 '("target" "Cargo.lock"))))))
    (build-system cargo-build-system)
    (arguments
     `(#:install-source? #f))
    (synopsis "Print a greeting")
    (description
     "The smallest ferrix example: a Rust program with no dependencies.")
    (license "GPL-3.0-or-later")
    (home-page #f)))

hello

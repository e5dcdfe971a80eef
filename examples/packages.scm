;;; ferrix --- functional package builder for Rust crates
;;;
;;; Several packages in one file: library crates taken from Debian's Rust
;;; registry (/usr/share/cargo/registry, filled by the librust-*-dev
;;; packages that build-aux/setup installs) and word-count, a program of
;;; this directory that depends on two of them.  Dependencies are given the
;;; older Guix way, with #:cargo-inputs: their sources (and those of their
;;; own #:cargo-inputs, recursively) are vendored into the build.
;;;
;;;   ferrix build -d -f examples/packages.scm     ; word-count's .drv
;;;
;;; The file evaluates to word-count; the other packages it defines can be
;;; named once it is loaded, e.g. rust-memchr.

(use-modules (ferrix packages)
             (ferrix build-system cargo))

(define %debian-registry "/usr/share/cargo/registry")

(define* (debian-crate crate version #:key (cargo-inputs '()))
  "Return the package of CRATE at VERSION whose source is the unpacked crate
in Debian's registry.  Library crates are not built on their own: as in
Guix, their sources are vendored into the packages that use them.  (The
argument is not called 'name': in a 'package' form, 'name' is the name field
once written.)"
  (package
    (name (crate-name->package-name crate))
    (version version)
    (source (local-file (string-append %debian-registry "/" crate "-" version)
                        (string-append crate "-" version)
                        #:recursive? #t))
    (build-system cargo-build-system)
    (arguments `(#:skip-build? #t
                 #:cargo-inputs ,cargo-inputs))
    ;; The crate's real name, when the package name had to change it.
    (properties (if (string-index crate #\_)
                    `((crate-name . ,crate))
                    '()))
    (home-page (string-append "https://crates.io/crates/" crate))
    (synopsis (string-append "The " crate " crate, from Debian's registry"))
    (description (string-append "The Rust crate " crate " " version "."))
    (license #f)))

(define-public rust-memchr-2 (debian-crate "memchr" "2.5.0"))
(define-public rust-itoa-1 (debian-crate "itoa" "1.0.1"))
(define-public rust-cfg-if-1 (debian-crate "cfg-if" "1.0.0"))
(define-public rust-lazy-static-1 (debian-crate "lazy_static" "1.4.0"))

(define-public word-count
  (package
    (name "word-count")
    (version "0.1.0")
    (source (local-file "word-count"
                        #:recursive? #t
                        #:select? (lambda (file stat)
                                    (not (member (basename file)
                                                 '("target" "Cargo.lock"))))))
    (build-system cargo-build-system)
    (arguments
     `(#:cargo-inputs (("rust-memchr" ,rust-memchr-2)
                       ("rust-itoa" ,rust-itoa-1))
       #:install-source? #f
       #:phases
       (modify-phases %standard-phases
         (add-after 'install 'smoke-test
           (lambda* (#:key outputs #:allow-other-keys)
             (invoke "sh" "-c"
                     (string-append "printf 'a b\\nc\\n' | "
                                    (assoc-ref outputs "out")
                                    "/bin/word-count")))))))
    (synopsis "Count lines and words")
    (description
     "A ferrix example with dependencies: counts the lines and words of its
input, with the memchr and itoa crates.")
    (license "GPL-3.0-or-later")
    (home-page #f)))

word-count

;;; ferrix --- functional package builder for Rust crates
;;;
;;; Bootstrapping cargo without cargo (doc/cargo.md, "The cargo bootstrap"):
;;; cargo 0.66, from Debian's registry (librust-cargo-dev), is built in the
;;; per-crate mode with a toolchain that has rustc and no cargo at all --
;;; every crate of its closure compiled by rustc into its own store item,
;;; its -sys crates linking the host's C libraries -- and the cargo it gives
;;; then builds examples/wordfreq in the whole-package mode, as the cargo of
;;; that build's toolchain.
;;;
;;;   ferrix build -M 2 -f examples/cargo-bootstrap.scm
;;;   /…-cargo-0.66.0/bin/cargo --version      # cargo 1.65.0 (crate 0.66)
;;;   /…-wordfreq-0.1.0/bin/wordfreq --top 3 < examples/wordfreq/sample.txt
;;;
;;; The rustc is the default toolchain's (--with-rust, FERRIX_RUST, the
;;; project's pin, PATH), its cargo left out: 'rust-toolchain-without-cargo'
;;; gives a toolchain item holding bin/rustc alone, so nothing can run the
;;; host's cargo.  'rust-toolchain-with-cargo' pairs that rustc with the
;;; bootstrapped cargo: an item (a derivation) holding both.
;;;
;;; Cargo's crate closure -- about 120 crates -- is not written here by
;;; hand: examples/cargo-bootstrap/crates.scm lists each crate's name,
;;; version and NAR sha256, and examples/cargo-bootstrap/update-crates.scm
;;; writes it, computing the closure with the per-crate mode's own resolver
;;; (%crate-unit-graph over Debian's whole registry).  A generated file
;;; rather than a procedure computing the closure when this file is read:
;;; a hash computed at evaluation would accept whatever the registry holds
;;; and pin nothing, while the file's hashes fail lowering, naming the crate,
;;; when the registry changes.  cargo's manifest has no Cargo.lock: the
;;; per-crate mode takes, for each requirement, the highest of these crates
;;; matching it.  They are plain sources (registry-crate), not packages:
;;; the per-crate mode reads their manifests, and nothing else needs them.
;;;
;;; The -sys crates (curl-sys, libgit2-sys, libssh2-sys, libz-sys,
;;; openssl-sys, libnghttp2-sys) find the host's libraries with pkg-config
;;; (libcurl4-gnutls-dev, libgit2-dev, libssh2-1-dev, zlib1g-dev, libssl-dev,
;;; libnghttp2-dev, which build-aux/setup installs): Debian's crates carry no
;;; bundled C sources.  The file evaluates to the list of cargo and of
;;; wordfreq built with it (-M 2: two units build at once).

(use-modules (ferrix packages)
             (ferrix crates)
             (ferrix toolchain)
             (ferrix build-system cargo)
             ((ferrix package-files) #:select (load-package-file))
             (ice-9 match))

;; The pinned crates, read when this file is: (CARGO-HASH ((NAME VERSION
;; NAR-SHA256) ...)).  Read, not included, since ferrix caches this file
;; compiled, keyed by its own contents.
(define %here (dirname (current-filename)))

(define-values (%cargo-0.66-sha256 %cargo-0.66-crates)
  (call-with-input-file (string-append %here "/cargo-bootstrap/crates.scm")
    (lambda (port)
      (let* ((cargo (read port))
             (crates (read port)))
        (values cargo crates)))))

(define %rustc-only
  ;; The default toolchain's rustc, alone.
  (rust-toolchain-without-cargo (default-rust-toolchain)))

(define-public cargo-0.66
  (package
    (name "cargo")
    (version "0.66.0")
    (source (registry-crate "cargo" "0.66.0" #:sha256 %cargo-0.66-sha256))
    (build-system cargo-build-system)
    (arguments
     `(#:rust ,%rustc-only
       #:per-crate? #t
       #:install-source? #f
       ;; Its tests need snapbox, which Debian's registry lacks.
       #:tests? #f
       #:cargo-inputs
       ,(map (match-lambda
               ((crate version hash)
                (list (string-append crate "-" version)
                      (registry-crate crate version #:sha256 hash))))
             %cargo-0.66-crates)))
    (synopsis "Cargo 0.66, built without cargo")
    (description
     "Cargo, the Rust package manager, at version 0.66 from Debian's crate
registry, built crate by crate with rustc alone.")
    (license "MIT OR Apache-2.0")
    (home-page "https://crates.io/crates/cargo")))

(define-public wordfreq/bootstrapped-cargo
  ;; examples/wordfreq.scm's program, built by the bootstrapped cargo.
  (let ((wordfreq (load-package-file (string-append %here "/wordfreq.scm"))))
    (package
      (inherit wordfreq)
      (arguments
       `(#:rust ,(rust-toolchain-with-cargo %rustc-only cargo-0.66)
         ,@(package-arguments wordfreq))))))

(list cargo-0.66 wordfreq/bootstrapped-cargo)

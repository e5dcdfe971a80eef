;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix build sys-crates): the switches of the -sys crates, and the
;;; check that a switch forcing a system library is set only when pkg-config
;;; finds that library.  Both modes use it: the whole-package mode's
;;; configure for every -sys crate in Cargo.lock, the per-crate mode's build
;;; script run of each such crate.  See doc/cargo.md, "The -sys crates".

(define-module (ferrix build sys-crates)
  #:use-module (ferrix build utils)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-11)
  #:use-module (srfi srfi-26)
  #:use-module (srfi srfi-34)
  #:use-module (srfi srfi-35)
  #:use-module (ice-9 match)
  #:export (%sys-crate-table
            %sys-crate-switches
            pkg-config-finds?
            system-library-switch
            sys-crate-switches))

(define %sys-crate-table
  ;; (CRATE VARIABLE VALUE [SYSTEM-LIBRARY]): the variables that make common
  ;; -sys crates link the system's libraries through pkg-config rather than
  ;; build bundled copies; an empty VALUE unsets VARIABLE.  SYSTEM-LIBRARY,
  ;; for a switch that forces the system's library (the crate's build fails
  ;; without it), is (LIBRARY PKG-CONFIG-NAME DEBIAN-PACKAGE BUNDLED): the
  ;; switch is set only when pkg-config finds PKG-CONFIG-NAME, and otherwise
  ;; the crate's bundled sources are built when its directory BUNDLED (#f:
  ;; none) is there, or the build stops.  The one source of both modes'
  ;; switches: the per-crate mode gives each to its crate's units
  ;; (%default-crate-overrides).  Debian's curl-sys, libnghttp2-sys and
  ;; bzip2-sys use pkg-config without being asked.
  '(("libz-sys" "LIBZ_SYS_STATIC" "0")       ;the system's zlib, else bundled
    ("openssl-sys" "OPENSSL_NO_VENDOR" "1"
     ("OpenSSL" "openssl" "libssl-dev" #f))
    ("libsqlite3-sys" "LIBSQLITE3_SYS_USE_PKG_CONFIG" "1"
     ("SQLite" "sqlite3" "libsqlite3-dev" "sqlite3"))
    ("zstd-sys" "ZSTD_SYS_USE_PKG_CONFIG" "1"
     ("zstd" "libzstd" "libzstd-dev" "zstd"))
    ("libgit2-sys" "LIBGIT2_NO_VENDOR" "1"
     ("libgit2" "libgit2" "libgit2-dev" "libgit2"))
    ("libssh2-sys" "LIBSSH2_SYS_USE_PKG_CONFIG" "1"
     ("libssh2" "libssh2" "libssh2-1-dev" "libssh2"))
    ("lzma-sys" "LZMA_API_STATIC" "")        ;dynamic
    ("onig_sys" "RUSTONIG_SYSTEM_LIBONIG" "1"
     ("Oniguruma" "oniguruma" "libonig-dev" "oniguruma"))
    ("libsodium-sys" "SODIUM_USE_PKG_CONFIG" "1"
     ("libsodium" "libsodium" "libsodium-dev" #f))))

(define %sys-crate-switches
  ;; (VARIABLE . VALUE) of %sys-crate-table, in its order.
  (map (match-lambda ((crate variable value . _) (cons variable value)))
       %sys-crate-table))

(define (pkg-config-finds? name)
  "Return true if pkg-config finds the library NAME."
  (false-if-exception
   (zero? (status:exit-val (system* "pkg-config" "--exists" name)))))

(define (non-empty-directory? directory)
  ;; An unreadable directory counts as empty, as a missing one does.
  (pair? (or (false-if-exception (directory-entries directory)) '())))

(define (system-library-switch crate versions switch system-library
                               directory-of)
  "Return two values: SWITCH, a (VARIABLE . VALUE) pair of CRATE forcing its
system library, if it is to be set, else #f; and the log line saying why.
SYSTEM-LIBRARY is (LIBRARY PKG-CONFIG-NAME DEBIAN-PACKAGE BUNDLED): SWITCH is
set when pkg-config finds PKG-CONFIG-NAME, left out when each of VERSIONS of
CRATE, whose directory DIRECTORY-OF returns, has the non-empty directory
BUNDLED; otherwise raise an error naming the library, its pkg-config name and
its Debian package."
  (match system-library
    ((library pkg-config debian bundled)
     (match switch
       ((variable . value)
        (cond
         ((pkg-config-finds? pkg-config)
          (values switch
                  (format #f "~a: ~a found by pkg-config (~a): ~a=~a"
                          crate library pkg-config variable value)))
         ((and bundled
               (every (lambda (version)
                        (non-empty-directory?
                         (string-append (directory-of version) "/" bundled)))
                      versions))
          (values #f
                  (format #f "~a: ~a not found by pkg-config (~a): ~a not set, \
building the crate's bundled sources (~a/)"
                          crate library pkg-config variable bundled)))
         (else
          (raise
           (condition
            (&message
             (message
              (format #f "~a ~a needs the system library ~a, which pkg-config \
does not find (pkg-config name `~a'), and the crate has no bundled sources to \
build instead: install it (Debian's ~a), or give the package an input \
providing lib/pkgconfig/~a.pc"
                      crate (string-join versions ", ")
                      library pkg-config debian pkg-config))))))))))))

(define (sys-crate-switches table packages vendor-directory)
  "Return two values: the (VARIABLE . VALUE) to set for the rows of TABLE
(see %sys-crate-table) whose crate is one of PACKAGES, a list of (NAME .
VERSION) vendored as VENDOR-DIRECTORY/NAME-VERSION, and the log lines.  A
switch forcing a system library is checked by 'system-library-switch'."
  (define (versions crate)
    (filter-map (match-lambda
                  ((name . version) (and (string=? name crate) version)))
                packages))
  (let loop ((table table) (switches '()) (log '()) (seen '()))
    (match table
      (() (values (reverse switches) (reverse log)))
      (((crate variable value . system-library) rest ...)
       (cond
        ;; A package's own row for a crate comes first and wins.
        ((or (member (cons crate variable) seen) (null? (versions crate)))
         (loop rest switches log seen))
        (else
         (let ((seen (cons (cons crate variable) seen))
               (switch (cons variable value)))
           (match system-library
             (()
              (loop rest (cons switch switches) log seen))
             ((system-library)
              (let-values (((set line)
                            (system-library-switch
                             crate (versions crate) switch system-library
                             (lambda (version)
                               (string-append vendor-directory "/" crate "-"
                                              version)))))
                (loop rest (if set (cons set switches) switches)
                      (cons line log) seen)))))))))))

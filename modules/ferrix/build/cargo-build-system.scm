;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix build cargo-build-system): the build side of the Cargo build
;;; system: its standard phases and the 'cargo-build' entry point called by
;;; build scripts (see (ferrix build-system cargo) for the script format).
;;;
;;; The phase loop, 'modify-phases' and user phases are Scheme; the work of
;;; each standard phase is C++ (lib/archive.cc and lib/cargo/, through the
;;; primitives of guile/cargo.cc): safe unpacking, vendoring with checksum
;;; files, manifest pruning, Cargo.lock checking, the cargo command lines,
;;; and the installation of sources and reproducible .crate files.  The
;;; commands are run here with 'invoke', so that a failing one is an
;;; &invoke-error naming it.  See doc/cargo.md.

(define-module (ferrix build cargo-build-system)
  #:use-module (ferrix build utils)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 match)
  #:export (%standard-phases
            cargo-build
            cargo-phase-settings
            unpack-crate-source
            pack-crate
            crate-manifest-info
            crate-checksum-json))

(eval-when (expand load eval)
  (load-extension "libguile-ferrix" "init_ferrix_cargo"))

;;; Commentary:
;;;
;;; Every phase is called with all the keyword arguments of 'cargo-build':
;;; #:name #:source #:system #:target #:cargo-target #:crate-name #:inputs
;;; #:native-inputs #:outputs #:tests? #:test-target #:cargo-build-flags
;;; #:cargo-test-flags #:features #:skip-build? #:install-source?
;;; #:vendor-dir #:rustflags #:parallel-build? #:parallel-tests?, so a
;;; phase must accept other keys.  Inputs and outputs are alists of labels
;;; (output names) to store file names.
;;;
;;; Directories: 'unpack' unpacks the source into ./source and enters it;
;;; the build directory above it (FERRIX_BUILD_TOP) holds the vendor
;;; directory (#:vendor-dir, relative to it), CARGO_HOME (.cargo, with
;;; config.toml) and cargo's target directory, so that the source tree stays
;;; clean and is what 'install' installs.
;;;
;;; Code:

(define (unpack-crate-source source directory)
  "Make DIRECTORY (which must not exist) hold the source tree of SOURCE, a
directory or an archive (.crate, .tar.gz, .tar.xz ...), refusing entries
that would leave the tree; a single top-level directory becomes DIRECTORY."
  (%unpack-source source directory))

(define (pack-crate directory prefix file)
  "Write to FILE the reproducible .crate of DIRECTORY, its entries under
PREFIX (\"NAME-VERSION\")."
  (%pack-tree directory prefix file))

(define (crate-manifest-info directory)
  "Return (NAME VERSION BINARIES?) for DIRECTORY/Cargo.toml; NAME and
VERSION are #f for a virtual workspace."
  (%cargo-manifest-info directory))

(define* (crate-checksum-json directory #:optional package)
  "Return the .cargo-checksum.json of DIRECTORY, with PACKAGE (a hexadecimal
sha256, or #f) as the package checksum."
  (%cargo-checksum-json directory package))

(define (build-top)
  (or (getenv "FERRIX_BUILD_TOP") (dirname (getcwd))))

(define (crate-inputs inputs)
  "The store file names of INPUTS that may hold crates: all but the source
and the toolchain."
  (delete-duplicates
   (filter-map (match-lambda
                 (((or "source" "rust") . _) #f)
                 ((_ . file) file))
               inputs)))

(define* (cargo-phase-settings #:key name crate-name (inputs '())
                               (native-inputs '()) (outputs '())
                               cargo-target target (rustflags '())
                               (cargo-build-flags '("--release"))
                               (cargo-test-flags '("--release"))
                               (features '()) test-target (tests? #t)
                               skip-build? (install-source? #t)
                               (parallel-build? #t) (parallel-tests? #t)
                               (vendor-dir "ferrix-vendor")
                               #:allow-other-keys)
  "Return the settings of the C++ phases for the keyword arguments of a
phase: an alist of string pairs."
  (define (flag value) (if value "true" "false"))
  (define (each key values) (map (lambda (v) (cons key v)) values))
  `(("name" . ,(or name ""))
    ("crate-name" . ,(or crate-name ""))
    ("source-dir" . ,(getcwd))
    ("build-top" . ,(build-top))
    ("vendor-dir" . ,vendor-dir)
    ,@(each "input" (crate-inputs inputs))
    ;; Where tools and pkg-config files are looked for: every input.
    ,@(each "native-input" (delete-duplicates
                            (map cdr (append native-inputs inputs))))
    ("cargo-target" . ,(or cargo-target ""))
    ("cross" . ,(flag target))
    ,@(each "rustflag" rustflags)
    ,@(each "build-flag" cargo-build-flags)
    ,@(each "test-flag" cargo-test-flags)
    ,@(each "feature" features)
    ,@(each "test-target" (match test-target
                            (#f '())
                            ((? string? t) (list t))
                            (l l)))
    ("tests" . ,(flag tests?))
    ("skip-build" . ,(flag skip-build?))
    ("install-source" . ,(flag install-source?))
    ("parallel-build" . ,(flag parallel-build?))
    ("parallel-tests" . ,(flag parallel-tests?))
    ("locked" . ,(flag (equal? (getenv "FERRIX_CARGO_LOCKED") "1")))
    ("out" . ,(or (assoc-ref outputs "out") ""))))

(define (run command)
  "Print COMMAND, a list of strings, and invoke it."
  (format #t "running `~a'~%" (string-join command " "))
  (force-output)
  (apply invoke command))

(define (report lines)
  (for-each (lambda (line) (format #t "~a~%" line)) lines)
  (force-output))

(define* (set-paths #:key (inputs '()) (native-inputs '())
                    #:allow-other-keys)
  "Put the bin directories of the inputs first on PATH, before the host's
/usr/bin and /bin."
  (let ((dirs (delete-duplicates (map cdr (append native-inputs inputs)))))
    (setenv "PATH"
            (string-join (append (filter directory-exists?
                                         (map (lambda (dir)
                                                (string-append dir "/bin"))
                                              dirs))
                                 '("/usr/bin" "/bin"))
                         ":"))
    (format #t "environment variable `PATH' set to `~a'~%" (getenv "PATH"))
    (setenv "SOURCE_DATE_EPOCH" "1")))

(define* (unpack #:key source #:allow-other-keys)
  "Unpack SOURCE into ./source and enter it."
  (unless source
    (error "no source to unpack"))
  (let ((top (getcwd)))
    (setenv "FERRIX_BUILD_TOP" top)
    (unpack-crate-source source (string-append top "/source"))
    (chdir (string-append top "/source"))))

(define* (configure #:rest arguments)
  "Vendor the crate inputs, prune what cannot be resolved offline, point
cargo at the vendor directory and set its environment; generate Cargo.lock
when there is none."
  (match (%cargo-configure (apply cargo-phase-settings arguments))
    ((_ env log generate)
     (report log)
     (for-each (match-lambda
                 ((var . "") (unsetenv var))
                 ((var . value) (setenv var value)))
               env)
     (for-each (match-lambda
                 ((var . value)
                  (format #t "environment variable `~a' set to `~a'~%"
                          var value)))
               env)
     ;; A kept lock file matched the inputs; a generated one matches them by
     ;; construction: either way the later cargo commands are --locked.
     (setenv "FERRIX_CARGO_LOCKED" "1")
     (unless (null? generate)
       (run generate)))))

(define* (build #:key skip-build? #:allow-other-keys #:rest arguments)
  "Run cargo build, unless SKIP-BUILD?."
  (if skip-build?
      (format #t "build skipped (#:skip-build? #t)~%")
      (run (%cargo-build-command (apply cargo-phase-settings arguments)))))

(define* (check #:rest arguments)
  "Run cargo test on #:test-target with #:cargo-test-flags when #:tests?
(and the build was not skipped)."
  (match (%cargo-test-command (apply cargo-phase-settings arguments))
    (() (format #t "test suite not run~%"))
    (command (run command))))

(define* (install #:rest arguments)
  "Install the source under share/rust-source and its .crate under
share/cargo/registry (when #:install-source?), and the binaries with cargo
install when the crate has binary targets."
  (match (%cargo-install (apply cargo-phase-settings arguments))
    ((commands log)
     (report log)
     (for-each run commands))))

(define %standard-phases
  ;; The phases of the Cargo build system, in order.
  `((set-paths . ,set-paths)
    (unpack . ,unpack)
    (configure . ,configure)
    (build . ,build)
    (check . ,check)
    (install . ,install)))

(define* (cargo-build #:key (phases %standard-phases) #:allow-other-keys
                      #:rest arguments)
  "Build a crate by running PHASES with ARGUMENTS."
  (apply run-phases phases arguments))

;;; cargo-build-system.scm ends here

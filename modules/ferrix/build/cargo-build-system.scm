;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix build cargo-build-system): the build side of the Cargo build
;;; system: its standard phases and the 'cargo-build' entry point called by
;;; build scripts (see (ferrix build-system cargo) for the script format).
;;;
;;; The phase loop, 'modify-phases', user phases, the cargo command lines
;;; and their environment are Scheme; the work that needs C++ (lib/archive.cc
;;; and lib/cargo/, through the primitives of guile/cargo.cc) is safe
;;; unpacking, vendoring with checksum files, manifest pruning, Cargo.lock
;;; checking, and the installation of sources and reproducible .crate files.
;;; The primitives take the phases' keyword arguments as values.  Commands
;;; are run with 'invoke', so that a failing one is an &invoke-error naming
;;; it.  See doc/cargo.md.

(define-module (ferrix build cargo-build-system)
  #:use-module (ferrix build utils)
  #:use-module (ferrix build sys-crates)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-11)
  #:use-module (srfi srfi-26)
  #:use-module (srfi srfi-34)
  #:use-module (srfi srfi-35)
  #:use-module (ice-9 match)
  #:use-module ((ice-9 threads) #:select (current-processor-count))
  #:use-module ((ice-9 ftw) #:select (scandir))
  #:use-module (ice-9 popen)
  #:use-module (ice-9 rdelim)
  #:use-module ((ice-9 textual-ports) #:select (get-string-all))
  #:export (%standard-phases
            cargo-build

            cargo-build-command
            cargo-test-command
            cargo-test-commands
            cargo-install-command
            test-target-flags
            cargo-environment
            build-cores
            lock-file-packages
            platform-cfg
            source-config-rustflags

            unpack-crate-source
            pack-crate
            crate-manifest-info
            crate-checksum-json)
  ;; Their home is (ferrix build sys-crates); exported here too for the host
  ;; side's modules that read them.
  #:re-export (%sys-crate-table
               %sys-crate-switches
               sys-crate-switches))

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
;;; (output names) to store file names.  The host side, (ferrix build-system
;;; cargo), writes every one of them into the build script with its default
;;; filled in: the defaults live there only, not here.
;;;
;;; 'configure' passes #:locked? #t on to the phases after it (see
;;; 'later-phase-arguments'): it checked Cargo.lock against the vendored
;;; crates, or generated it from them, so cargo may run --locked.  Without
;;; 'configure' (deleted, or replaced by a phase that does not pass it on),
;;; #:locked? is absent and cargo runs without --locked.
;;;
;;; Directories: 'unpack' unpacks the source into ./source and enters it;
;;; the build directory above it (FERRIX_BUILD_TOP) holds the vendor
;;; directory (#:vendor-dir, relative to it), CARGO_HOME (.cargo, with
;;; config.toml) and cargo's target directory, so that the source tree stays
;;; clean and is what 'install' installs.
;;;
;;; Code:

(define* (unpack-crate-source source directory
                              #:key max-size max-entries max-ratio)
  "Make DIRECTORY (which must not exist) hold the source tree of SOURCE, a
directory or an archive (.crate, .tar.gz, .tar.xz ...), refusing entries
that would leave the tree; a single top-level directory becomes DIRECTORY.
Refuse an archive of more than MAX-SIZE bytes of files, MAX-ENTRIES entries,
or more than MAX-RATIO times its compressed size; #f for the environment's
FERRIX_MAX_UNPACKED_SIZE, FERRIX_MAX_UNPACKED_ENTRIES or
FERRIX_MAX_COMPRESSION_RATIO, else the default, and 0 for no limit."
  (%unpack-source source directory max-size max-entries max-ratio))

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


;;;
;;; Command lines.
;;;

(define (locked-flags locked?)
  (if locked? '("--locked") '()))

(define (feature-flags features)
  "Return the flags of cargo enabling FEATURES, a list of strings."
  (if (null? features)
      '()
      (list "--features" (string-join features ","))))

(define %test-target-kinds
  ;; #:test-target names that select a kind of target rather than an
  ;; integration test.  "doc" is one too, but cargo refuses to mix --doc
  ;; with the others: it gets a 'cargo test' of its own.
  '("lib" "bins" "tests" "benches" "examples" "all-targets"))

(define %named-test-target-kinds
  ;; KIND in a #:test-target "KIND:NAME": one target of that kind.
  '("bin" "test" "example" "bench"))

(define (test-targets test-target)
  "Return TEST-TARGET, #f, a string or a list of strings, as a list."
  (match test-target
    (#f '())
    ((? string? target) (list target))
    (targets targets)))

(define (test-target-flags test-target)
  "Return the flags of 'cargo test' selecting TEST-TARGET but its doc tests:
#f (cargo's default targets), a string or a list of strings, each a kind of
target (see %test-target-kinds, given as --KIND), \"KIND:NAME\" for one
bin, test, example or bench target (--KIND NAME), \"doc\" (left to
'doc-test-target?'), or the name of an integration test (--test NAME)."
  (append-map (lambda (target)
                (let ((colon (string-index target #\:)))
                  (cond ((string=? target "doc") '())
                        ((member target %test-target-kinds)
                         (list (string-append "--" target)))
                        ((and colon
                              (member (substring target 0 colon)
                                      %named-test-target-kinds))
                         (list (string-append "--" (substring target 0 colon))
                               (substring target (+ colon 1))))
                        (else (list "--test" target)))))
              (test-targets test-target)))

(define (doc-test-target? test-target)
  "Return true if TEST-TARGET asks for the doc tests."
  (and (member "doc" (test-targets test-target)) #t))

(define* (cargo-build-command #:key locked? cargo-build-flags features
                              #:allow-other-keys)
  "Return the 'cargo build' command line, a list of strings, for
CARGO-BUILD-FLAGS and FEATURES, --locked when LOCKED?."
  `("cargo" "build" "--offline" ,@(locked-flags locked?)
    ,@cargo-build-flags ,@(feature-flags features)))

(define* (cargo-test-commands #:key locked? cargo-test-flags features
                              test-target parallel-tests?
                              #:allow-other-keys)
  "Return the 'cargo test' command lines, a list, for CARGO-TEST-FLAGS,
FEATURES and TEST-TARGET, --locked when LOCKED?, one test thread unless
PARALLEL-TESTS?: one selecting TEST-TARGET's targets, then, when it names
\"doc\", one running the doc tests ('cargo test --doc' takes no other
target option); only the latter when \"doc\" is all it names."
  (define (command . selection)
    `("cargo" "test" "--offline" ,@(locked-flags locked?)
      ,@cargo-test-flags ,@(feature-flags features)
      ,@selection
      ,@(if parallel-tests? '() '("--" "--test-threads=1"))))
  (let ((targets (test-targets test-target)))
    (append (if (and (pair? targets) (every (cut string=? "doc" <>) targets))
                '()
                (list (apply command (test-target-flags test-target))))
            (if (doc-test-target? test-target)
                (list (command "--doc"))
                '()))))

(define* (cargo-test-command #:rest arguments)
  "Return the first of the 'cargo test' command lines of
'cargo-test-commands' for ARGUMENTS."
  (car (apply cargo-test-commands arguments)))

(define* (cargo-install-command directory output #:key locked? features
                                #:allow-other-keys)
  "Return the 'cargo install' command line installing the binaries of the
crate in DIRECTORY under OUTPUT, with FEATURES, --locked when LOCKED?."
  `("cargo" "install" "--offline" "--no-track" ,@(locked-flags locked?)
    "--path" ,directory "--root" ,output ,@(feature-flags features)))


;;;
;;; Environment.
;;;

(define (lock-file-packages file)
  "Return the packages of the Cargo.lock FILE, a list of (NAME . VERSION)."
  (call-with-input-file file
    (lambda (port)
      (let loop ((name #f) (result '()))
        (match (read-line port)
          ((? eof-object?) (reverse result))
          (line
           (let ((value (lambda (key)
                          (and (string-prefix? (string-append key " = \"")
                                               line)
                               (string-suffix? "\"" line)
                               (substring line (+ (string-length key) 4)
                                          (- (string-length line) 1))))))
             (cond ((string=? line "[[package]]") (loop #f result))
                   ((value "name") => (cut loop <> result))
                   ((and name (value "version"))
                    => (lambda (version)
                         (loop #f (cons (cons name version) result))))
                   (else (loop name result))))))))))

(define (build-cores)
  "Return the number of jobs for cargo: FERRIX_BUILD_CORES, else
NIX_BUILD_CORES, else the number of processors; 0 in either variable means
every processor."
  (define (cores variable)
    (let ((value (getenv variable)))
      (and value
           (not (string-null? value))
           (string-every char-set:digit value)
           (string->number value))))
  (match (or (cores "FERRIX_BUILD_CORES") (cores "NIX_BUILD_CORES") 0)
    (0 (current-processor-count))
    (n n)))

(define (rustdoc-next-to-rustc directories)
  "Return the rustdoc next to the real rustc of the first of DIRECTORIES
whose bin/rustc leads to one, or #f: a toolchain item links rustc and cargo
only, and doc tests need rustdoc."
  (any (lambda (directory)
         (let ((rustc (string-append directory "/bin/rustc")))
           (and (file-exists? rustc)
                (let ((rustdoc (string-append
                                (dirname (canonicalize-path rustc))
                                "/rustdoc")))
                  (and (file-exists? rustdoc) rustdoc)))))
       directories))

(define* (cargo-environment #:key build-directory cargo-home
                            cargo-target cross? rustflags parallel-build?
                            (directories '())
                            (sys-switches %sys-crate-switches))
  "Return the environment of cargo, an alist of variables to values (an
empty value unsets the variable), in the order they are set: for a build in
BUILD-DIRECTORY with CARGO-HOME, for CARGO-TARGET (set as cargo's target
when CROSS?), with RUSTFLAGS, BUILD-CORES jobs if PARALLEL-BUILD? (else
one), and SYS-SWITCHES; pkg-config and rustdoc are looked up in
DIRECTORIES, every input."
  `(("CARGO_HOME" . ,cargo-home)
    ("CARGO_TARGET_DIR" . ,(string-append build-directory "/target"))
    ("CARGO_BUILD_JOBS" . ,(number->string
                            (if parallel-build? (build-cores) 1)))
    ("CARGO_NET_OFFLINE" . "true")
    ("CARGO_INCREMENTAL" . "0")
    ("CARGO_TERM_COLOR" . "never")
    ;; The build directory's name varies from build to build; file names
    ;; under it end up in the binaries (panic locations of the vendored
    ;; crates): map it to a fixed name.  Cargo caps the lints of the
    ;; vendored crates itself (--cap-lints allow for non-path
    ;; dependencies); here it would cap the package's own too.
    ("CARGO_ENCODED_RUSTFLAGS"
     . ,(string-join (cons (string-append "--remap-path-prefix="
                                          build-directory "=/ferrix-build")
                           rustflags)
                     "\x1f"))
    ,@(if cross?
          `(("CARGO_BUILD_TARGET" . ,cargo-target)
            ("PKG_CONFIG_ALLOW_CROSS" . "1"))
          '())
    ("PKG_CONFIG_PATH"
     . ,(string-join
         (append (filter directory-exists?
                         (append-map (lambda (directory)
                                       (list (string-append directory
                                                            "/lib/pkgconfig")
                                             (string-append directory
                                                            "/share/pkgconfig")))
                                     directories))
                 (match (getenv "PKG_CONFIG_PATH")
                   ((or #f "") '())
                   (path (list path))))
         ":"))
    ,@sys-switches
    ,@(if (getenv "RUSTDOC")
          '()
          (match (rustdoc-next-to-rustc directories)
            (#f '())
            (rustdoc `(("RUSTDOC" . ,rustdoc)))))))


;;;
;;; Phases.
;;;

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

(define (input-directories inputs native-inputs)
  "The store file names of every input: where tools, pkg-config files and
rustdoc are looked for."
  (delete-duplicates (map cdr (append native-inputs inputs))))

(define (run command)
  "Print COMMAND, a list of strings, and invoke it."
  (format #t "running `~a'~%" (string-join command " "))
  (force-output)
  ;; cargo is a jobserver client: the run's tokens bound its rustc processes.
  (apply invoke/jobserver command))

(define (report lines)
  (for-each (lambda (line) (format #t "~a~%" line)) lines)
  (force-output))

(define* (set-paths #:key inputs native-inputs #:allow-other-keys)
  "Put the bin directories of the inputs first on PATH, before the host's
/usr/bin and /bin."
  (setenv "PATH"
          (string-join (append (filter directory-exists?
                                       (map (lambda (dir)
                                              (string-append dir "/bin"))
                                            (input-directories
                                             inputs native-inputs)))
                               '("/usr/bin" "/bin"))
                       ":"))
  (format #t "environment variable `PATH' set to `~a'~%" (getenv "PATH"))
  (setenv "SOURCE_DATE_EPOCH" "1"))

(define* (unpack #:key source max-unpacked-size max-unpacked-entries
                 max-compression-ratio #:allow-other-keys)
  "Unpack SOURCE into ./source and enter it, refusing an archive beyond
MAX-UNPACKED-SIZE bytes, MAX-UNPACKED-ENTRIES entries or
MAX-COMPRESSION-RATIO (see 'unpack-crate-source')."
  (unless source
    (error "no source to unpack"))
  (let ((top (getcwd)))
    (setenv "FERRIX_BUILD_TOP" top)
    (unpack-crate-source source (string-append top "/source")
                         #:max-size max-unpacked-size
                         #:max-entries max-unpacked-entries
                         #:max-ratio max-compression-ratio)
    (chdir (string-append top "/source"))))

(define (rustc-output . arguments)
  "Return what `rustc ARGUMENTS' prints; raise an error if it fails."
  (let* ((port (apply open-pipe* OPEN_READ "rustc" arguments))
         (text (get-string-all port))
         (status (close-pipe port)))
    (unless (eqv? 0 (status:exit-val status))
      (raise (condition
              (&message
               (message (format #f "`rustc ~a' failed (exit status ~a)"
                                (string-join arguments)
                                (status:exit-val status)))))))
    text))

(define* (platform-cfg #:key target cargo-target rustflags)
  "Return three values: the host's triple, and what `rustc --print cfg'
prints for CARGO-TARGET and for the host, with RUSTFLAGS where cargo passes
them (to the target's, which is the host's unless cross-compiling, TARGET
true): the cfg sets cargo decides [target.'cfg(...)'] tables against."
  (let* ((vv (rustc-output "-vV"))
         (host (any (lambda (line)
                      (and (string-prefix? "host: " line)
                           (substring line 6)))
                    (string-split vv #\newline))))
    (if target
        (values host
                (apply rustc-output "--print" "cfg" "--target" cargo-target
                       rustflags)
                (rustc-output "--print" "cfg"))
        (let ((cfg (apply rustc-output "--print" "cfg" rustflags)))
          (values host cfg cfg)))))

(define (rustflags-cfgs flags)
  "Return the cfg specifications of the --cfg flags of FLAGS, a list of
rustc's arguments."
  (match flags
    (("--cfg" spec rest ...) (cons spec (rustflags-cfgs rest)))
    (((? (cut string-prefix? "--cfg=" <>) flag) rest ...)
     (cons (substring flag 6) (rustflags-cfgs rest)))
    ((_ rest ...) (rustflags-cfgs rest))
    (() '())))

(define* (source-config-rustflags cargo-target
                                  #:key (directory (getcwd)) quiet?)
  "Return the rustflags that the .cargo/config* of DIRECTORY, by default the
current directory, the source, gives CARGO-TARGET, cargo's way: [target.TRIPLE]
rustflags, else [build] rustflags (see %cargo-config-rustflags); unless QUIET?,
say so."
  (let-values (((file flags) (%cargo-config-rustflags directory cargo-target)))
    (unless (or quiet? (null? flags))
      (report (list (format #f "kept the rustflags of ~a: ~a" file
                            (string-join flags)))))
    flags))

(define* (configure #:key inputs native-inputs target cargo-target tests?
                    skip-build? features rustflags parallel-build? vendor-dir
                    (sys-crates '())
                    #:allow-other-keys)
  "Vendor the crate INPUTS into VENDOR-DIR, prune what cannot be resolved
offline (target tables decided against `rustc --print cfg' for CARGO-TARGET
and the host, with RUSTFLAGS), point cargo at the vendor directory and set
its environment; check Cargo.lock against the vendored crates, or generate
it when there is none; set the switches of the -sys crates of SYS-CRATES and
%sys-crate-table that the build has, checked.  The source's .cargo/config*
loses what would replace the vendored crates (the log names it); its
rustflags are added to RUSTFLAGS.  With TESTS? (and not
SKIP-BUILD?, which builds nothing to test), refuse dev-dependencies no input
provides.  Pass #:locked? #t on to the later phases."
  (let* ((top (build-top))
         ;; CARGO_ENCODED_RUSTFLAGS, which the build sets, would hide the
         ;; rustflags of the source's .cargo/config*: they are added to it.
         (rustflags (append rustflags (source-config-rustflags cargo-target)))
         (vendor (if (absolute-file-name? vendor-dir)
                     vendor-dir
                     (string-append top "/" vendor-dir)))
         (cargo-home (string-append top "/.cargo"))
         (testing? (and tests? (not skip-build?))))
    (when (and tests? skip-build?)
      (report '("tests off: #:skip-build? #t builds nothing to test")))
    (let*-values (((host target-cfg host-cfg)
                   (platform-cfg #:target target #:cargo-target cargo-target
                                 #:rustflags rustflags))
                  ((log lock-file?)
                   (begin
                     (report
                      (list (format #f "target tables decided against \
`rustc --print cfg~a' for ~a~a~a" (if target " --target" "")
                                    cargo-target
                                    (if target
                                        (string-append " (and " host
                                                       "'s for build \
dependencies)")
                                        "")
                                    (match (rustflags-cfgs rustflags)
                                      (() "")
                                      (cfgs
                                       (string-append
                                        ", with the rustflags' --cfg "
                                        (string-join cfgs ", --cfg ")))))))
                     (%cargo-prepare-offline-source (getcwd)
                                                    (crate-inputs inputs)
                                                    vendor cargo-home
                                                    cargo-target testing?
                                                    features host target-cfg
                                                    host-cfg))))
      (report log)
      (report (list (if lock-file?
                        "Cargo.lock matches the vendored crates: building --locked"
                        "no Cargo.lock: generating one from the vendored crates")))
      (let ((environment
             (cargo-environment #:build-directory top
                                #:cargo-home cargo-home
                                #:cargo-target cargo-target
                                #:cross? (and target #t)
                                #:rustflags rustflags
                                #:parallel-build? parallel-build?
                                #:directories (input-directories
                                               inputs native-inputs)
                                #:sys-switches '())))
        (set-environment environment))
      (unless lock-file?
        (run '("cargo" "generate-lockfile" "--offline")))
      ;; The -sys crates the lock file has get their switches, checked now
      ;; rather than by their build scripts after minutes of compiling.
      (let-values (((switches log)
                    (sys-crate-switches (append sys-crates %sys-crate-table)
                                        (lock-file-packages "Cargo.lock")
                                        vendor)))
        (report log)
        (set-environment switches))
      ;; A kept lock file matched the inputs; a generated one matches them
      ;; by construction: either way the later cargo commands are --locked.
      (later-phase-arguments #:locked? #t))))

(define (set-environment environment)
  "Set ENVIRONMENT, an alist of variables to values (an empty value unsets
the variable), and say so."
  (for-each (match-lambda
              ((variable . "") (unsetenv variable))
              ((variable . value) (setenv variable value)))
            environment)
  (for-each (match-lambda
              ((variable . value)
               (format #t "environment variable `~a' set to `~a'~%"
                       variable value)))
            environment))

(define* (build #:key skip-build? #:allow-other-keys #:rest arguments)
  "Run cargo build, unless SKIP-BUILD?."
  (if skip-build?
      (format #t "build skipped (#:skip-build? #t)~%")
      (run (apply cargo-build-command arguments))))

(define* (check #:key tests? skip-build? #:allow-other-keys #:rest arguments)
  "Run cargo test on #:test-target with #:cargo-test-flags when TESTS? (and
the build was not SKIP-BUILD?): the doc tests, when #:test-target asks for
them with others, by a 'cargo test --doc' of their own, after the others."
  (if (and tests? (not skip-build?))
      (for-each run (apply cargo-test-commands arguments))
      (format #t "test suite not run~%")))

(define* (install #:key name outputs install-source? skip-build? locked?
                  features #:allow-other-keys)
  "Install the source under share/rust-source and its .crate under
share/cargo/registry (when INSTALL-SOURCE?), and the binaries with cargo
install when the crate has binary targets (unless SKIP-BUILD?)."
  (let ((out (assoc-ref outputs "out"))
        (source (getcwd)))
    (unless out
      (raise (condition (&message (message "install: no \"out\" output")))))
    (mkdir-p out)
    (when install-source?
      (report (%cargo-install-source source out name)))
    (unless skip-build?
      (match (%cargo-binary-crates source)
        (() (report '("no binary targets: nothing for cargo install")))
        (directories
         (for-each (lambda (directory)
                     (run (cargo-install-command directory out
                                                 #:locked? locked?
                                                 #:features features)))
                   directories))))))

(define %standard-phases
  ;; The phases of the Cargo build system, in order.
  `((set-paths . ,set-paths)
    (unpack . ,unpack)
    (configure . ,configure)
    (build . ,build)
    (check . ,check)
    (install . ,install)))

(define* (cargo-build #:key phases #:allow-other-keys #:rest arguments)
  "Build a crate by running PHASES with ARGUMENTS."
  (apply run-phases phases arguments))

;;; cargo-build-system.scm ends here

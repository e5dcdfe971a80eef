;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix scripts shell): 'ferrix shell', like 'guix shell -D' and 'nix
;;; develop': a shell, or a command, in the environment of a package's
;;; build: its toolchain first on PATH, and a CARGO_HOME whose configuration
;;; points cargo at the package's exact vendored crate set, offline.  See
;;; doc/shell.md.

(define-module (ferrix scripts shell)
  #:use-module (ferrix ui)
  #:use-module (ferrix scripts)
  #:use-module (ferrix scripts packages)
  #:use-module (ferrix packages)
  #:use-module (ferrix store)
  #:use-module (ferrix derivations)
  #:use-module ((ferrix build-system)
                #:select (keyword-argument strip-keyword-arguments))
  #:use-module ((ferrix build-system cargo-units) #:select (%per-crate?))
  #:use-module ((ferrix cache)
                #:select (cache-directory make-cache-directory
                          remove-oldest-cache-entries))
  #:use-module ((ferrix build utils) #:select (delete-file-recursively))
  #:use-module ((ferrix cargo-project)
                #:select (cargo-project %crates-from))
  #:use-module ((ferrix build cargo-build-system)
                #:select (cargo-environment platform-cfg sys-crate-switches
                          source-config-rustflags %sys-crate-table))
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-11)
  #:use-module (srfi srfi-26)
  #:use-module (srfi srfi-34)
  #:use-module (srfi srfi-35)
  #:use-module (srfi srfi-37)
  #:use-module (ice-9 match)
  #:use-module (ice-9 popen)
  #:use-module (ice-9 rdelim)
  #:export (ferrix-shell
            package-shell-environment))

(eval-when (expand load eval)
  ;; %cargo-vendor-inputs, %cargo-vendor-config.
  (load-extension "libguile-ferrix" "init_ferrix_cargo"))

;;; Commentary:
;;;
;;; The package is lowered as 'ferrix build' would in the whole-package mode
;;; (its crates are the same in the per-crate mode), and what its build needs
;;; is read back from the build script of its derivation: the inputs (the
;;; toolchain under the label "rust", the crate sources), the rustflags, the
;;; target and the -sys crates.  Those inputs are realised; their crates are
;;; vendored once per derivation into the per-user cache "shell"; a fresh
;;; CARGO_HOME, removed when the command ends, holds the configuration that
;;; replaces crates.io with that directory.
;;;
;;; Code:

(define (show-help)
  (display "Usage: ferrix shell [OPTION]... [PACKAGE | -f FILE | -e EXPR | --cargo [DIR]]
                    [-- COMMAND ARG...]
Run COMMAND (default: $SHELL) in the environment of the build of PACKAGE: its
Rust toolchain and its inputs' bin directories first on PATH, and a fresh
CARGO_HOME whose config.toml points cargo at the package's vendored crates,
offline, so that 'cargo build' and 'cargo test' in the project directory use
the crates and the compiler that 'ferrix build' uses.  The rustflags and the
-sys crate switches of the build are set too.  The exit status is COMMAND's.

      --cargo[=DIR]      the Cargo project DIR (or the operand, or the current
                         directory) with its Cargo.lock, as 'ferrix build
                         --cargo' builds it (see doc/cargo-project.md)
      --crates-from=FROM where the crates of its Cargo.lock come from:
                         crates.io, a download URL, sparse+URL or
                         dir:DIRECTORY
      --pure             clear the environment but for HOME, USER, LOGNAME,
                         DISPLAY, XAUTHORITY, TERM, TZ and PAGER; PATH is
                         then the build's (the inputs, /usr/bin and /bin)
  -q, --quiet            do not describe the environment on standard error")
  (show-load-options-help)
  (show-lowering-options-help)
  (display "
Exit status: COMMAND's (128 + N when signal N ended it); 1 when the
environment cannot be made, 2 on a usage error.
"))

(define %options
  (append (list (flag-option '("pure") 'pure?)
                (flag-option '(#\q "quiet") 'quiet?))
          (cargo-project-cli-options "shell")
          %load-options %lowering-options))

(define (cargo-project-directory opts)
  "Return the Cargo project directory that --cargo in OPTS names (--cargo=DIR,
else the operand, else the current directory), or #f without --cargo."
  (match (assq-ref opts 'cargo)
    (#f #f)
    ((? string? directory) directory)
    (#t (match (option-values opts 'argument)
          ((directory) directory)
          (_ ".")))))

(define %precious-variables
  ;; What --pure keeps, as 'guix shell --pure' does.
  '("HOME" "USER" "LOGNAME" "DISPLAY" "XAUTHORITY" "TERM" "TZ" "PAGER"))


;;;
;;; What the build needs, read from its derivation.
;;;

(define (whole-package p)
  "Return P, a package, built in the whole-package mode: its build script is
the one that names the crates and the toolchain."
  (let ((arguments (package-arguments p)))
    (if (and (list? arguments) (keyword-argument arguments #:per-crate? #f))
        (package (inherit p)
          (arguments (strip-keyword-arguments '(#:per-crate?) arguments)))
        p)))

(define (build-call store drv)
  "Return the keyword arguments of the 'cargo-build' call in the build
script of DRV, or raise an error if DRV is not a cargo-build-system build."
  (define (not-cargo)
    (raise (condition
            (&message
             (message (format #f "~a: not built by the cargo build system: \
no environment to enter" (derivation-name drv)))))))
  (match (derivation-builder-arguments drv)
    (("build-side" script)
     (let ((forms (call-with-input-file (store-real-path store script)
                    (lambda (port)
                      (let loop ((forms '()))
                        (match (read port)
                          ((? eof-object?) (reverse forms))
                          (form (loop (cons form forms)))))))))
       (or (any (match-lambda
                  (('cargo-build . arguments) arguments)
                  (_ #f))
                forms)
           (not-cargo))))
    (_ (not-cargo))))

(define (argument arguments keyword)
  "Return the value of KEYWORD in ARGUMENTS, the forms of a build script's
call, unquoted; #f when absent."
  (match (memq keyword arguments)
    ((_ ('quote datum) . _) datum)
    ((_ value . _) value)
    (_ #f)))


;;;
;;; Vendoring, in the per-user cache.
;;;

(define (fresh-directory prefix)
  "Create and return a new directory whose name starts with PREFIX."
  (let loop ((n 0))
    (let ((name (format #f "~a~a-~a" prefix (getpid)
                        (+ n (random 1000000 (random-state-from-platform))))))
      (catch 'system-error
        (lambda () (mkdir name #o700) name)
        (lambda args
          (if (and (= EEXIST (system-error-errno args)) (< n 100))
              (loop (+ n 1))
              (apply throw args)))))))

(define (lock-file-checksums file)
  "Return the (NAME VERSION CHECKSUM) of the packages of the Cargo.lock FILE
that record a checksum."
  (call-with-input-file file
    (lambda (port)
      (let loop ((name #f) (version #f) (result '()))
        (match (read-line port)
          ((? eof-object?) (reverse result))
          (line
           (let ((value (lambda (key)
                          (and (string-prefix? (string-append key " = \"")
                                               line)
                               (string-suffix? "\"" line)
                               (substring line (+ (string-length key) 4)
                                          (- (string-length line) 1))))))
             (cond ((string=? line "[[package]]") (loop #f #f result))
                   ((value "name") => (cut loop <> #f result))
                   ((value "version") => (cut loop name <> result))
                   ((and name version (value "checksum"))
                    => (lambda (checksum)
                         (loop name version
                               (cons (list name version checksum) result))))
                   (else (loop name version result))))))))))

(define (align-package-checksums vendor checksums)
  "Give the crates of VENDOR the package checksums of CHECKSUMS, (NAME VERSION
CHECKSUM) of a Cargo.lock, where they have another: the crates of a dir:
registry are matched by version, not by the .crate's hash, as in the build
of a Cargo project (doc/cargo-project.md), and cargo compares the two."
  (for-each (match-lambda
              ((name version checksum)
               (let* ((directory (string-append vendor "/" name "-" version))
                      (file (string-append directory "/.cargo-checksum.json")))
                 (when (and (file-exists? file)
                            (not (string-contains
                                  (call-with-input-file file read-line)
                                  checksum)))
                   (let ((json (%cargo-checksum-json directory checksum)))
                     (delete-file file)
                     (call-with-output-file file (cut display json <>)))))))
            checksums))

(define* (vendored-crates drv crate-inputs platforms
                          #:key (checksums '())
                          (cache (cache-directory "shell"))
                          (temporary-directory
                           (or (getenv "TMPDIR") "/tmp")))
  "Return two values: the vendor directory holding CRATE-INPUTS (real file
names) for DRV, made once per derivation in CACHE, by default the cache
\"shell\" (else, when CACHE is #f, in TEMPORARY-DIRECTORY), and the crates in
it, (NAME . VERSION) pairs.  PLATFORMS is the list of the arguments HOST,
TARGET-CFG and HOST-CFG of %cargo-vendor-inputs after its target.  CHECKSUMS,
those of a Cargo project's lock file, are given to the crates (see
'align-package-checksums').  A vendoring that fails leaves nothing behind."
  (let* ((cache cache)
         (key (basename (derivation-file-name drv) ".drv"))
         (entry (and cache (string-append cache "/" key)))
         (vendor (and entry (string-append entry "/vendor"))))
    (define (vendor-into directory)
      (let-values (((log crates)
                     (apply %cargo-vendor-inputs crate-inputs directory
                            platforms)))
        crates))
    (define (crates-file directory)
      (string-append directory "/crates"))
    (cond
     ((and entry (file-exists? (crates-file entry)))
      ;; Touched, so that the cache keeps the entries in use.
      (false-if-exception (utime entry))
      (values vendor (call-with-input-file (crates-file entry) read)))
     (else
      (when cache (make-cache-directory cache))
      (let* ((work (fresh-directory
                    (if (and cache (directory? cache))
                        (string-append cache "/." key "-")
                        (string-append temporary-directory
                                       "/ferrix-vendor-"))))
             (crates (with-exception-handler
                         (lambda (exception)
                           (false-if-exception (delete-file-recursively work))
                           (raise-exception exception))
                       (lambda ()
                         (let ((crates (vendor-into
                                        (string-append work "/vendor"))))
                           (align-package-checksums
                            (string-append work "/vendor") checksums)
                           (call-with-output-file (crates-file work)
                             (cut write crates <>))
                           crates)))))
        (cond ((not cache)
               (values (string-append work "/vendor") crates))
              ((false-if-exception (rename-file work entry))
               (remove-oldest-cache-entries cache 32)
               (values vendor crates))
              (else
               ;; Another shell made it meanwhile: the same crates.
               (false-if-exception (delete-file-recursively work))
               (values vendor crates))))))))


;;;
;;; The environment.
;;;

(define (directory? file)
  (and (file-exists? file) (file-is-directory? file)))

(define (input-bin-directories directories)
  (filter directory?
          (map (cut string-append <> "/bin") directories)))

(define (search-path directories subdirectory variable)
  "Return DIRECTORIES/SUBDIRECTORY that exist joined with colons, before
VARIABLE's current value."
  (string-join (append (filter directory?
                               (map (cut string-append <> subdirectory)
                                    directories))
                       (match (getenv variable)
                         ((or #f "") '())
                         (value (list value))))
               ":"))

(define (rustc-version)
  "Return what `rustc --version' prints, or #f."
  (false-if-exception
   (let* ((port (open-pipe* OPEN_READ "rustc" "--version"))
          (line (read-line port)))
     (close-pipe port)
     (and (string? line) line))))

(define (set-environment! environment)
  "Set ENVIRONMENT, an alist of variables to values (an empty value unsets
the variable), in this process."
  (for-each (match-lambda
              ((variable . "") (unsetenv variable))
              ((variable . value) (setenv variable value)))
            environment))

(define* (package-shell-environment store drv cargo-home
                                    #:key pure? (lock-file #f)
                                    lock-checksums?
                                    (project-directory (getcwd)))
  "Set up this process's environment for the build of DRV, a cargo build
system derivation whose inputs are valid in STORE: PATH, CARGO_HOME (the
directory CARGO-HOME, whose config.toml is written, with the git sources of
LOCK-FILE if true, and with LOCK-CHECKSUMS? the package checksums it
records, for a Cargo project's lock file), the rustflags and switches of the
build, the rustflags of PROJECT-DIRECTORY's .cargo/config* added as the build
adds its source's.  With PURE?,
clear the environment first but for %precious-variables.  Return an alist
describing it: toolchain, rustc, vendor, crates."
  (let* ((arguments (build-call store drv))
         (real (cut store-real-path store <>))
         (inputs (map (match-lambda ((label . file) (cons label (real file))))
                      (append (or (argument arguments #:native-inputs) '())
                              (or (argument arguments #:inputs) '()))))
         (toolchain (assoc-ref inputs "rust"))
         (directories (delete-duplicates (map cdr inputs)))
         (crate-inputs (delete-duplicates
                        (filter-map (match-lambda
                                      (((or "source" "rust") . _) #f)
                                      ((_ . file) file))
                                    inputs)))
         (target (argument arguments #:target))
         (cargo-target (argument arguments #:cargo-target))
         ;; CARGO_ENCODED_RUSTFLAGS hides the project's .cargo/config*
         ;; rustflags from cargo: they are added to it, as the build does.
         (rustflags (append (or (argument arguments #:rustflags) '())
                            (if cargo-target
                                (source-config-rustflags
                                 cargo-target
                                 #:directory project-directory
                                 #:quiet? #t)
                                '())))
         (old-path (getenv "PATH"))
         ;; Read before --pure clears XDG_CACHE_HOME and TMPDIR, so that a
         ;; pure shell uses the same cache as another.
         (cache (cache-directory "shell"))
         (temporary-directory (or (getenv "TMPDIR") "/tmp")))
    (when pure?
      (environ (filter (lambda (binding)
                         (any (lambda (name)
                                (string-prefix? (string-append name "=")
                                                binding))
                              %precious-variables))
                       (environ))))
    (setenv "PATH"
            (string-join (append (input-bin-directories
                                  (if toolchain
                                      (cons toolchain
                                            (delete toolchain directories))
                                      directories))
                                 (if (or pure? (not old-path))
                                     '("/usr/bin" "/bin")
                                     (list old-path)))
                         ":"))
    (let*-values (((host target-cfg host-cfg)
                   (platform-cfg #:target target #:cargo-target cargo-target
                                 #:rustflags rustflags))
                  ((vendor crates)
                   (vendored-crates drv crate-inputs
                                    (list cargo-target host target-cfg
                                          host-cfg)
                                    #:checksums
                                    (if (and lock-file lock-checksums?)
                                        (lock-file-checksums lock-file)
                                        '())
                                    #:cache cache
                                    #:temporary-directory
                                    temporary-directory))
                  ((switches log)
                   (sys-crate-switches
                    (append (or (argument arguments #:sys-crates) '())
                            %sys-crate-table)
                    crates vendor)))
      (call-with-output-file (string-append cargo-home "/config.toml")
        (cut display (%cargo-vendor-config vendor lock-file) <>))
      (set-environment!
       (append
        (filter-map
         (match-lambda
           ;; The project's own target directory, jobs and incremental
           ;; builds: those are the developer's.
           (((or "CARGO_TARGET_DIR" "CARGO_BUILD_JOBS" "CARGO_INCREMENTAL"
                 "CARGO_TERM_COLOR")
             . _)
            #f)
           (("CARGO_ENCODED_RUSTFLAGS" . _)
            (cons "CARGO_ENCODED_RUSTFLAGS" (string-join rustflags "\x1f")))
           (binding binding))
         (cargo-environment #:build-directory (getcwd)
                            #:cargo-home cargo-home
                            #:cargo-target cargo-target
                            #:cross? (and target #t)
                            #:rustflags rustflags
                            #:parallel-build? #t
                            #:directories directories
                            #:sys-switches switches))
        `(("LIBRARY_PATH" . ,(search-path directories "/lib" "LIBRARY_PATH"))
          ("FERRIX_SHELL" . ,(derivation-file-name drv)))))
      `((toolchain . ,(and toolchain (string-append toolchain "/bin")))
        (rustc . ,(rustc-version))
        (vendor . ,vendor)
        (crates . ,crates)))))


;;;
;;; The command.
;;;

(define (split-command args)
  "Return two values: ARGS up to \"--\", and the command after it (or
'())."
  (match (member "--" args)
    (#f (values args '()))
    ((_ . command) (values (list-head args (- (length args)
                                              (length command) 1))
                           command))))

(define (status->exit-code status)
  (or (status:exit-val status)
      (+ 128 (or (status:term-sig status) 0))))

(define (command-line-package opts)
  "Return the one package that OPTS name (PACKAGE, -f, -e or --cargo), made
to build in the whole-package mode."
  (match (append (match (cargo-project-directory opts)
                   (#f '())
                   (directory (list (cargo-project directory))))
                 (append-map (lambda (file value)
                               (value->objects value file))
                             (option-values opts 'file)
                             (load-files opts))
                 (append-map (lambda (expression value)
                               (value->objects value
                                               (string-append "-e " expression)))
                             (option-values opts 'expression)
                             (evaluate-expressions opts))
                 (if (cargo-project-directory opts)
                     '()
                     (resolve-specifications opts)))
    (((? package? p)) (whole-package p))
    (_ (raise (condition
               (&message
                (message "ferrix shell needs one package, not a derivation \
or a list")))))))

(define (describe-environment port p description cargo-home)
  "Write to PORT, in two lines, what the environment of P is."
  (format port "ferrix shell: ~a's build environment: ~a~a~%  ~a crate~a \
vendored in ~a; CARGO_HOME=~a (offline)~%"
          (package-full-name p)
          (or (assq-ref description 'toolchain) "no toolchain")
          (match (assq-ref description 'rustc)
            (#f "")
            (version (string-append " (" version ")")))
          (length (assq-ref description 'crates))
          (match (assq-ref description 'crates) ((_) "") (_ "s"))
          (assq-ref description 'vendor)
          cargo-home))

(define (project-lock-file opts)
  "Return the Cargo.lock of the --cargo project of OPTS, else that of the
current directory, or #f."
  (let ((file (string-append (or (cargo-project-directory opts) ".")
                             "/Cargo.lock")))
    (and (file-exists? file) (canonicalize-path file))))

(define (run-in-environment opts command)
  "Make the environment of the package OPTS name and run COMMAND, a list of
strings, in it; return its exit code."
  (let* ((p (command-line-package opts))
         (store (open-store))
         (drv (match (parameterize ((%per-crate? #f))
                       (lower-objects store (list p)
                                      #:system (%current-system)
                                      #:target (assq-ref opts 'target)))
                ((drv) drv))))
    ;; The toolchain and the crate sources: built or downloaded now.
    (build-derivations store (map derivation-input-path
                                  (derivation-inputs drv)))
    (let ((cargo-home (fresh-directory
                       (string-append (or (getenv "TMPDIR") "/tmp")
                                      "/ferrix-shell-"))))
      (dynamic-wind
        (const #t)
        (lambda ()
          (let ((description
                 (package-shell-environment
                  store drv cargo-home
                  #:pure? (assq-ref opts 'pure?)
                  #:lock-file (project-lock-file opts)
                  #:lock-checksums? (and (cargo-project-directory opts) #t)
                  #:project-directory
                  (or (cargo-project-directory opts) (getcwd)))))
            (close-store store)
            (unless (assq-ref opts 'quiet?)
              (describe-environment (current-error-port) p description
                                    cargo-home)
              (force-output (current-error-port)))
            ;; system* ignores SIGINT and SIGQUIT while COMMAND runs, as a
            ;; shell does.
            (status->exit-code (apply system* command))))
        (lambda ()
          (false-if-exception (delete-file-recursively cargo-home)))))))

(define (ferrix-shell . args)
  "Run 'ferrix shell' with the list of strings ARGS."
  (let*-values (((args command) (split-command args))
                ((opts) (parse-command-line "shell" args %options)))
    (when (assq-ref opts 'help?)
      (show-help)
      (exit 0))
    (match (cons (assq-ref opts 'cargo) (option-values opts 'argument))
      (((? string? directory) package . _)
       (usage-error "shell" "--cargo=~a names the package, the Cargo project \
in ~a: give no PACKAGE ('~a') with it" directory directory package))
      (_ #t))
    (let ((count (+ (if (assq-ref opts 'cargo)
                        (max 1 (length (option-values opts 'argument)))
                        (length (option-values opts 'argument)))
                    (length (option-values opts 'file))
                    (length (option-values opts 'expression)))))
      (unless (= count 1)
        (usage-error "shell"
                     (if (zero? count)
                         "no package given (use PACKAGE, -f FILE, -e EXPR or \
--cargo DIR)"
                         "one package at a time (give one PACKAGE, -f FILE, \
-e EXPR or --cargo DIR)"))))
    ;; Read when the Cargo project's lock file is lowered.
    (%crates-from (assq-ref opts 'crates-from))
    (let ((command (match command
                     (() (list (or (getenv "SHELL") "/bin/sh")))
                     (_ command))))
      (exit (call-with-command-environment opts
              (lambda ()
                ;; As 'ferrix build' does: the builds of the toolchain and
                ;; the crates, and the shell's programs, must run here.
                (check-system opts)
                (run-in-environment opts command)))))))

;;; shell.scm ends here

;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix scripts build): 'ferrix build', like 'guix build': lower
;;; packages to derivations and realise them (or only print the derivations'
;;; file names with -d).

(define-module (ferrix scripts build)
  #:use-module (ferrix ui)
  #:use-module (ferrix scripts)
  #:use-module (ferrix scripts packages)
  #:use-module (ferrix packages)
  #:use-module (ferrix store)
  #:use-module (ferrix derivations)
  #:use-module (ferrix download)
  #:use-module ((ferrix config) #:select (%ferrix-version))
  #:use-module ((ferrix build-system cargo-units) #:select (%per-crate?))
  #:use-module ((ferrix build-system cargo-overrides)
                #:select (%crate-overrides))
  #:use-module ((ferrix diagnostics)
                #:select (load-package-file/located raise-diagnostic-error))
  #:use-module ((ferrix toolchain)
                #:select (default-rust-toolchain rust-toolchain->store-path))
  #:use-module ((ferrix build-system cargo) #:select (system->rust-platform))
  ;; Loaded only for --cargo and --crates-from.
  #:autoload (ferrix cargo-project) (cargo-project %crates-from
                                     environment-crates-from)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-11)
  #:use-module (srfi srfi-26)
  #:use-module (srfi srfi-37)
  #:use-module (ice-9 match)
  #:export (ferrix-build))

(define (show-help)
  (display "Usage: ferrix build [OPTION]... [PACKAGE|DRV]...
Build PACKAGEs (NAME or NAME@VERSION), derivations (/.../NAME.drv files in
the store) and the packages given by -f and -e, and print the store paths of
their outputs, one per line.

  -d, --derivations      only lower to derivations and print their file names
  -M, --max-jobs=N       build up to N derivations at once (default: the
                         cores of -c)
  -c, --cores=N          let each build use N cores, and all of them together
                         N jobserver tokens (default: 0, all)
  -K, --keep-failed      keep the build directory of a failed build
  -k, --keep-going       after a failure, go on building what does not
                         depend on it
      --check            rebuild the packages and compare with the result
                         already in the store, naming the files that differ
      --timeout=SECONDS  kill a build that takes longer than SECONDS
      --max-silent-time=SECONDS
                         kill a build silent for longer than SECONDS
  -r, --root=FILE        make FILE a symlink to the result, and a GC root
      --per-crate        build every cargo-build-system package in the
                         per-crate mode: one derivation per crate's unit,
                         shared by all packages (see doc/per-crate.md)
      --crate-overrides=FILE
                         in the per-crate mode, give every package the
                         crate overrides of FILE, a Scheme file evaluating
                         to a list of them (see doc/cargo.md)
  -n, --dry-run          list what would be built and downloaded; build
                         nothing
  -S, --source           build the packages' sources only (their origins
                         and local files), not the packages
  -q, --quiet            show failures only (--verbosity=0)
  -v, --verbosity[=LEVEL]
                         0: failures only; 1: a line per build (the
                         default); 2 (-v alone, or --verbose): also each
                         per-crate unit's own lines (building '...drv'...)
                         and cargo's Fresh lines; 3 (-vv): also stream
                         every build's log
      --timings[=FILE]   write an HTML report of the build's timings to FILE
                         (default: ferrix-timings.html): each derivation's
                         start and duration, built or already valid, and
                         the concurrency and CPU use over time
      --no-substitutes   build everything locally (always the case)
      --cargo[=DIR]      build the Cargo project DIR (a crate or a workspace
                         with its Cargo.lock), or each directory given as
                         an argument, or the current directory: no Scheme
                         needed (see doc/cargo-project.md)
      --crates-from=FROM where the crates of Cargo.lock files come from:
                         crates.io (the default), a download URL as a
                         registry's dl template, sparse+URL, or
                         dir:DIRECTORY

Downloads (url-fetch origins) take no -M slot: they run at once over one
download engine, with the mirrors and retries of the configuration file
${XDG_CONFIG_HOME:-~/.config}/ferrix/config.toml or $FERRIX_CONFIG (see
doc/fetch.md):
      --max-downloads=N  download up to N files at once (default: 16)
      --mirror=PREFIX=URL
                         also try URLs starting with PREFIX at URL + the
                         rest, before the configured mirrors (repeatable)
      --content-mirror=TEMPLATE
                         a content-addressed mirror, e.g.
                         http://host/{sha256} (repeatable)
      --no-config        ignore the configuration file")
  (show-load-options-help)
  (show-lowering-options-help)
  (display "
A failed build is reported with the phase that failed, the failing command,
the compiler's errors (or the log's last lines) and the log's file name
(see 'ferrix log').  Errors in package files are reported as
FILE:LINE:COLUMN: error: REASON (lines from 1, columns from 0); --debug adds
the backtraces, the build side's too.  -s SYSTEM must be a system this
machine runs (cross-compile with --target instead); -d only lowers, for any
system.  Exit status: 0 on success, 1 on failure, 2 on a usage error.
"))

(define (number-option short long key)
  (option (if short (list short long) (list long)) #t #f
          (lambda (opt name arg result)
            (let ((n (and arg (string->number arg))))
              (unless (and n (exact-integer? n) (>= n 0))
                (usage-error "build" "option '~a' needs a non-negative integer, \
not '~a'"
                             (if (char? name) (string #\- name)
                                 (string-append "--" name))
                             (or arg "")))
              (alist-cons key n result)))))

(define %options
  (append (list (flag-option '(#\d "derivations") 'derivations?)
                (number-option #\M "max-jobs" 'max-jobs)
                (number-option #\c "cores" 'cores)
                (flag-option '(#\K "keep-failed") 'keep-failed?)
                (flag-option '(#\k "keep-going") 'keep-going?)
                (flag-option '("check") 'check?)
                (number-option #f "timeout" 'timeout)
                (number-option #f "max-silent-time" 'max-silent-time)
                (value-option '(#\r "root") 'root)
                (flag-option '("per-crate") 'per-crate?)
                (value-option '("crate-overrides") 'crate-overrides)
                (flag-option '(#\n "dry-run") 'dry-run?)
                (flag-option '(#\S "source") 'source?)
                (flag-option '(#\q "quiet") 'verbosity 0)
                (option '(#\v "verbose" "verbosity") #f #t
                        (lambda (opt name arg result)
                          (alist-cons 'verbosity (verbosity-level name arg)
                                      result)))
                (option '("timings") #f #t
                        (lambda (opt name arg result)
                          (alist-cons 'timings
                                      (or arg %default-timings-file)
                                      result)))
                (flag-option '("no-substitutes") 'no-substitutes?)
                (number-option #f "max-downloads" 'max-downloads)
                (option '("mirror") #t #f
                        (lambda (opt name arg result)
                          (unless (and (string-index arg #\=)
                                       (> (string-index arg #\=) 0)
                                       (< (+ (string-index arg #\=) 1)
                                          (string-length arg)))
                            (usage-error "build" "--mirror needs PREFIX=URL, \
not '~a'" arg))
                          (alist-cons 'mirror arg result)))
                (value-option '("content-mirror") 'content-mirror)
                (flag-option '("no-config") 'no-config?))
          (cargo-project-cli-options "build")
          %load-options %lowering-options))

(define (verbosity-level name arg)
  "Return the verbosity that option NAME with ARG (a string or #f) asks for:
\"-v\" alone is 2, as the --verbose it replaces; \"-vv\" 3; \"-vN\" and
\"--verbosity=N\" N, from 0 to 3."
  (cond ((not arg) 2)
        ((string-every #\v arg) (min 3 (+ 2 (string-length arg))))
        ((and (string->number arg) (exact-integer? (string->number arg))
              (<= 0 (string->number arg) 3))
         (string->number arg))
        (else
         (usage-error "build" "option '~a' takes a verbosity from 0 to 3, \
not '~a'"
                      (if (char? name) (string #\- name)
                          (string-append "--" name))
                      arg))))

(define (join-verbosity-operand args)
  "Return ARGS with \"-v N\" and \"--verbosity N\" made \"--verbosity=N\", as
Guix users write them (N any number, so that one out of range is refused as
a verbosity rather than read as a package), and \"-v\", \"--verbose\" and
\"--verbosity\" alone \"--verbosity=2\": SRFI-37 would take the next argument
as their optional value."
  (match args
    (() '())
    (("--" . rest) args)
    (((or "-v" "--verbosity") (? string->number level) . rest)
     (cons (string-append "--verbosity=" level)
           (join-verbosity-operand rest)))
    (((? (cut member <> '("-v" "--verbose" "--verbosity"))) . rest)
     (cons "--verbosity=2" (join-verbosity-operand rest)))
    ((arg . rest) (cons arg (join-verbosity-operand rest)))))

(define %default-timings-file
  ;; Where --timings writes its report when given no file.
  "ferrix-timings.html")

(define (colour-status? port)
  "Return true if PORT is a terminal that shows colours."
  (and (isatty? port)
       (not (equal? (getenv "TERM") "dumb"))))

(define (cargo-status port verb text)
  "Write to PORT a line in cargo's layout: VERB right-aligned in twelve
columns, bold green on a terminal, then TEXT."
  (let ((padding (make-string (max 0 (- 12 (string-length verb))) #\space)))
    (if (colour-status? port)
        (format port "~a\x1b[1m\x1b[32m~a\x1b[0m ~a~%" padding verb text)
        (format port "~a~a ~a~%" padding verb text))))

(define (elapsed-text seconds)
  "Return SECONDS as cargo's Finished line words a duration: \"22.23s\",
\"1m 05s\"."
  (define (two-digits n)
    (string-pad (number->string n) 2 #\0))
  (if (>= seconds 60)
      (let ((whole (inexact->exact (floor seconds))))
        (string-append (number->string (quotient whole 60)) "m "
                       (two-digits (remainder whole 60)) "s"))
      (let ((hundredths (inexact->exact (floor (* seconds 100)))))
        (string-append (number->string (quotient hundredths 100)) "."
                       (two-digits (remainder hundredths 100)) "s"))))

(define (display-variable store files name)
  "Return the value of the environment variable NAME of the first derivation
among FILES, .drv file names, that has it, or #f."
  (any (lambda (file)
         (assoc-ref (derivation-builder-environment-vars
                     (read-derivation-from-store store file))
                    name))
       files))

(define (seconds-since start)
  "Return the seconds elapsed since START, an internal real time."
  (exact->inexact (/ (- (get-internal-real-time) start)
                     internal-time-units-per-second)))

(define (register-roots store root results)
  "Make ROOT, a file name relative to the current directory, a symlink to
the output in RESULTS and an indirect GC root (ROOT-1, ROOT-2... for further
items, ROOT-OUTPUT for outputs other than \"out\"), as 'guix build -r'."
  (let ((root (if (string-prefix? "/" root)
                  root
                  (string-append (getcwd) "/" root))))
    (let loop ((results results) (index 0))
      (unless (null? results)
        (let ((base (if (zero? index) root
                        (string-append root "-" (number->string index)))))
          (for-each (lambda (output)
                      (add-root store (cdr output)
                                (if (string=? (car output) "out") base
                                    (string-append base "-" (car output)))))
                    (car results)))
        (loop (cdr results) (+ index 1))))))

(define (toolchain-items store files)
  "Return the Rust toolchain items among the sources of the derivations
FILES, .drv file names, and of the derivations they depend on: the toolchains
their packages are built with (their #:rust, or the default)."
  (define (toolchain-item? item)
    (let ((base (basename item)))
      (and (> (string-length base) 33)
           (string-prefix? "rust-toolchain" (string-drop base 33)))))

  (let ((seen (make-hash-table)))
    (let loop ((files files) (items '()))
      (match files
        (() (delete-duplicates items))
        ((file . rest)
         (if (hash-ref seen file)
             (loop rest items)
             (let ((drv (read-derivation-from-store store file)))
               (hash-set! seen file #t)
               (loop (append (map derivation-input-path
                                  (derivation-inputs drv))
                             rest)
                     (append (filter toolchain-item? (derivation-sources drv))
                             items)))))))))

(define (check-target store target files)
  "Refuse TARGET, a GNU triplet or system, when a Rust toolchain the
derivations FILES are built with (else the default one) has no standard
library for it: every cross build would fail at its first crate."
  (define triple (system->rust-platform target))

  (define (check item)
    (let* ((rustc (false-if-exception
                   (canonicalize-path (string-append item "/bin/rustc"))))
           (sysroot (and rustc (dirname (dirname rustc))))
           (std (and sysroot
                     (string-append sysroot "/lib/rustlib/" triple "/lib"))))
      (unless (and std (file-exists? std) (file-is-directory? std))
        (leave 1 "error: cannot cross-compile for '~a': the Rust toolchain~a \
has no standard library for ~a~%hint: cross-compilation needs that target \
installed in the toolchain (e.g. rustup target add ~a)"
               target (if sysroot (string-append " at " sysroot) "")
               triple triple))))

  (for-each check
            (match (toolchain-items store files)
              (()
               (list (rust-toolchain->store-path store
                                                 (default-rust-toolchain))))
              (items items))))

(define (source-items store objects)
  "Return the sources of OBJECTS, packages, lowered: a .drv file name or a
store file name each.  A package without a source has none."
  (append-map
   (lambda (object)
     (cond ((derivation? object)
            (raise-diagnostic-error
             #f "~a: -S builds packages' sources, not derivations"
             (derivation-file-name object)))
           ((package-source object)
            => (lambda (source)
                 (let ((item (package-source-derivation store source
                                                        (%current-system))))
                   (list (if (derivation? item)
                             (derivation-file-name item)
                             item)))))
           (else
            (format (current-error-port)
                    "ferrix: warning: package '~a' has no source~%"
                    (package-name object))
            '())))
   objects))

(define (show-plan store files)
  "Print on the error port what building FILES, .drv file names, would
build and download, as 'guix build -n' does."
  (define (show title items)
    (unless (null? items)
      (format (current-error-port) "~a~%" title)
      (for-each (cut format (current-error-port) "   ~a~%" <>) items)))
  (let-values (((builds downloads) (derivations-to-build store files)))
    (show (if (= 1 (length builds))
              "The following derivation would be built:"
              "The following derivations would be built:")
          builds)
    (show (if (= 1 (length downloads))
              "The following file would be downloaded:"
              "The following files would be downloaded:")
          (map (lambda (file)
                 (derivation->output-path
                  (read-derivation-from-store store file)))
               downloads))))

(define (default-max-jobs opts)
  "Return the number of builds run at once without -M among OPTS: one per
jobserver token, that is the cores of -c, or every core.  The tokens bound the
compilers of all of them together (doc/build.md, \"Jobs and the jobserver\")."
  (let ((cores (assq-ref opts 'cores)))
    (if (and cores (positive? cores)) cores (usable-cores))))

(define (cargo-project-options opts)
  "Return OPTS with the Cargo projects that --cargo names in place of
arguments: with --cargo=DIR, DIR; with --cargo alone, the arguments, which
are then directories, or the current directory."
  (let ((dirs (filter string? (option-values opts 'cargo))))
    (cond ((not (assq 'cargo opts)) opts)
          ((pair? dirs) (alist-cons 'cargo-projects dirs opts))
          (else
           (let ((arguments (option-values opts 'argument)))
             (alist-cons 'cargo-projects
                         (if (null? arguments) '(".") arguments)
                         (remove (lambda (pair) (eq? (car pair) 'argument))
                                 opts)))))))

(define (ferrix-build . args)
  "Run 'ferrix build' with the list of strings ARGS."
  (define (derivation-argument? pair)
    ;; A .drv file name on the command line is built as is, like 'guix build'.
    (and (eq? (car pair) 'argument)
         (derivation-path? (cdr pair))
         (string-prefix? "/" (cdr pair))))
  (define start (get-internal-real-time))
  (let* ((all  (parse-command-line "build" (join-verbosity-operand args)
                                   %options))
         (drvs (reverse (map cdr (filter derivation-argument? all))))
         (opts (cargo-project-options (remove derivation-argument? all)))
         (verbosity (or (assq-ref opts 'verbosity) 1)))
    (when (assq-ref opts 'help?)
      (show-help)
      (exit 0))
    (when (and (null? drvs)
               (null? (option-values opts 'argument))
               (null? (option-values opts 'file))
               (null? (option-values opts 'expression))
               (not (assq 'cargo-projects opts)))
      (usage-error "build" "no package given (use PACKAGE, -f FILE or -e EXPR)"))
    (when (and (assq-ref opts 'source?) (pair? drvs))
      (usage-error "build" "-S builds packages' sources, not derivations \
such as '~a'" (car drvs)))
    (call-with-command-environment opts
      (lambda ()
        ;; Read when Cargo projects' lock files are lowered: the option,
        ;; else $FERRIX_CRATES_FROM, else the configuration file, which
        ;; --no-config ignores (crates.io then).
        (when (or (assq 'cargo-projects opts) (assq 'crates-from opts)
                  (assq-ref opts 'no-config?))
          (%crates-from (or (assq-ref opts 'crates-from)
                            (environment-crates-from)
                            (and (assq-ref opts 'no-config?) "crates.io"))))
        (check-system opts)
        (let* ((projects (or (assq-ref opts 'cargo-projects) '()))
               (objects (append
                         ;; Referenced only when needed: (ferrix cargo-project)
                         ;; and what it loads cost every build 4 ms.
                         (if (null? projects) '() (map cargo-project projects))
                         (append-map (lambda (file value)
                                       (value->objects value file))
                                     (option-values opts 'file)
                                     (load-files opts))
                         (append-map (lambda (expression value)
                                       (value->objects
                                        value (string-append "-e " expression)))
                                     (option-values opts 'expression)
                                     (evaluate-expressions opts))
                         (resolve-specifications opts)))
               (store   (open-store))
               (items   (delete-duplicates
                         (append
                          drvs
                          (if (assq-ref opts 'source?)
                              (source-items store objects)
                              (map derivation-file-name
                                   (parameterize ((%per-crate?
                                                   (assq-ref opts 'per-crate?))
                                                  (%crate-overrides
                                                   (match (assq-ref opts
                                                                    'crate-overrides)
                                                     (#f (%crate-overrides))
                                                     (file
                                                      (load-package-file/located
                                                       file)))))
                                     (lower-objects store objects
                                                    #:system (%current-system)
                                                    #:target
                                                    (assq-ref opts 'target))))))))
               ;; Local files are sources as they are: nothing to build.
               (files   (filter derivation-path? items)))
          (when (and (assq-ref opts 'target)
                     (not (or (assq-ref opts 'derivations?)
                              (assq-ref opts 'source?))))
            (check-target store (assq-ref opts 'target) files))
          (if (or (assq-ref opts 'derivations?) (assq-ref opts 'dry-run?))
              (if (assq-ref opts 'derivations?)
                  (for-each (lambda (file)
                              (display file)
                              (newline))
                            items)
                  (show-plan store files))
              (let ((results (append
                              (map (lambda (item) `(("out" . ,item)))
                                   (remove derivation-path? items))
                              (begin
                               (set-fetch-options!
                                #:no-config? (assq-ref opts 'no-config?)
                                #:mirrors (option-values opts 'mirror)
                                #:content-mirrors
                                (option-values opts 'content-mirror)
                                #:max-downloads
                                (let ((n (assq-ref opts 'max-downloads)))
                                  (and n (positive? n) n)))
                               (build-derivations
                              store files
                              #:max-jobs (or (assq-ref opts 'max-jobs)
                                             (default-max-jobs opts))
                              #:cores (or (assq-ref opts 'cores) 0)
                              #:keep-failed? (assq-ref opts 'keep-failed?)
                              #:keep-going? (assq-ref opts 'keep-going?)
                              #:check? (assq-ref opts 'check?)
                              #:timeout (or (assq-ref opts 'timeout) 0)
                              #:max-silent-time
                              (or (assq-ref opts 'max-silent-time) 0)
                              #:verbose? (>= verbosity 2)
                              #:verbosity verbosity
                              #:backtraces? (assq-ref opts 'debug?)
                              #:timings
                              (and=> (assq-ref opts 'timings)
                                     (lambda (file)
                                       `((file . ,file)
                                         (command
                                          . ,(string-join
                                              (cons "ferrix build" args)))
                                         (ferrix-version
                                          . ,(string-append
                                              "ferrix " %ferrix-version))
                                         ,@(filter-map
                                            (match-lambda
                                              ((key . name)
                                               (and=> (display-variable
                                                       store files name)
                                                      (cut cons key <>))))
                                            '((rustc-version . "ferrixRustc")
                                              (profile
                                               . "ferrixProfile")))))))))))
                ;; Per-crate packages end as cargo's builds do.
                (and=> (and (> verbosity 0)
                            (display-variable store files "ferrixProfile"))
                       (lambda (profile)
                         (cargo-status (current-error-port) "Finished"
                                       (string-append
                                        profile " target(s) in "
                                        (elapsed-text (seconds-since start))))))
                (and=> (and (> verbosity 0) (assq-ref opts 'timings))
                       (lambda (file)
                         (cargo-status (current-error-port) "Timing"
                                       (string-append
                                        "report saved to "
                                        (canonicalize-path file)))))
                (for-each (lambda (outputs)
                            (for-each (lambda (output)
                                        (display (cdr output))
                                        (newline))
                                      outputs))
                          results)
                (let ((root (assq-ref opts 'root)))
                  (when root
                    (register-roots store root results)))))
          (close-store store)
          (force-output))))))

;;; build.scm ends here

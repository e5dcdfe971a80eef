;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix scripts registry): 'ferrix registry SUBCOMMAND', crate
;;; registries.  'ferrix registry export SRC... DIR --base-url URL' makes a
;;; static, crates.io-shaped registry (.crate files at the download
;;; endpoint's layout, crates.io's API JSON, cargo's sparse index) from
;;; directories of unpacked crates; the work is C++
;;; (lib/cargo/registry-export.cc), see doc/registry.md.

(define-module (ferrix scripts registry)
  #:use-module (ferrix ui)
  #:use-module (ferrix scripts)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-26)
  #:use-module (ice-9 format)
  #:use-module (ice-9 match)
  #:export (ferrix-registry))

(eval-when (expand load eval)
  (load-extension "libguile-ferrix" "init_ferrix_cargo"))

(define (show-help)
  (display "Usage: ferrix registry SUBCOMMAND [OPTION]... ARGS...
Manage crate registries.

Subcommands:
  export SRC... DIR   make or update the static registry DIR from the
                      unpacked crates in each SRC

Run 'ferrix registry SUBCOMMAND --help' for a subcommand's options.
"))

(define (show-export-help)
  (display "Usage: ferrix registry export [OPTION]... SRC... DIR
Make DIR a static, crates.io-shaped registry of the crates in each SRC: a
directory of unpacked crates (NAME-VERSION/ or NAME/, each with a
Cargo.toml), such as Debian's /usr/share/cargo/registry or a 'cargo vendor'
directory, or of NAME-VERSION.crate files (exported as they are, their
checksums kept), or one crate directory or .crate file.  Any static HTTP server can serve DIR;
cargo uses it through its sparse index (sparse+URL/index/), ferrix through
its API (URL/api/v1/crates/NAME).  Exporting into an existing DIR adds and
replaces crates (and removes those no SRC holds with --prune); unchanged ones
are not packed again.  A bad crate fails the
export and leaves DIR as it was.

  -u, --base-url=URL     the absolute URL DIR will be served at (required)
      --yank=NAME@VERSION
                         mark that version yanked (repeatable); it stays
                         yanked in later exports
      --unyank=NAME@VERSION
                         mark that version no longer yanked (repeatable)
  -k, --keep-going       skip bad crates with a warning instead of failing
      --prune            remove from DIR the versions no SRC holds (and the
                         crates left without any), so that DIR mirrors the
                         SRCs; not done when --keep-going skipped a crate
  -j, --jobs=N           pack N crates at a time (default: one per core)
  -q, --quiet            print no summary
  -h, --help             display this help and exit

Exit status: 0 on success, 1 on failure, 2 on a usage error.
"))

(define %export-options
  (list (value-option '(#\u "base-url") 'base-url)
        (value-option '("yank") 'yank)
        (value-option '("unyank") 'unyank)
        (value-option '(#\j "jobs") 'jobs)
        (flag-option '(#\k "keep-going") 'keep-going?)
        (flag-option '("prune") 'prune?)
        (flag-option '(#\q "quiet") 'quiet?)
        %help-option))

(define (size->string bytes)
  (cond ((>= bytes (* 1024 1024))
         (format #f "~,1f MiB" (/ bytes 1024. 1024.)))
        ((>= bytes 1024)
         (format #f "~,1f KiB" (/ bytes 1024.)))
        (else (format #f "~a bytes" bytes))))

(define (registry-export args)
  (let* ((opts (parse-command-line "registry export" args %export-options))
         (operands (option-values opts 'argument)))
    (when (assq-ref opts 'help?)
      (show-export-help)
      (exit 0))
    (when (< (length operands) 2)
      (usage-error "registry export" "expected SRC... DIR"))
    (unless (assq-ref opts 'base-url)
      (usage-error "registry export" "--base-url is required: the absolute \
URL DIR will be served at"))
    (let* ((sources (drop-right operands 1))
           (dir (last operands))
           (settings
            (append (map (cut cons "source" <>) sources)
                    `(("dir" . ,dir)
                      ("base-url" . ,(assq-ref opts 'base-url)))
                    (map (cut cons "yank" <>) (option-values opts 'yank))
                    (map (cut cons "unyank" <>) (option-values opts 'unyank))
                    (if (assq-ref opts 'keep-going?)
                        '(("keep-going" . "true"))
                        '())
                    (if (assq-ref opts 'prune?)
                        '(("prune" . "true"))
                        '())
                    (match (assq-ref opts 'jobs)
                      (#f '())
                      (n `(("jobs" . ,n))))))
           (summary (%registry-export settings))
           (count (lambda (key) (assq-ref summary key))))
      (for-each (lambda (warning)
                  (format (current-error-port) "ferrix: warning: ~a~%" warning))
                (assq-ref summary 'warnings))
      (unless (assq-ref opts 'quiet?)
        (format #t "~a: ~a crate~:p, ~a version~:p, ~a of .crate files (~a bytes)~%"
                dir (count 'crates) (count 'versions)
                (size->string (count 'bytes)) (count 'bytes))
        (format #t "exported ~a version~:p (~a packed, ~a unchanged~a) \
in ~,2f s~%"
                (count 'exported) (count 'packed) (count 'unchanged)
                (string-append
                 (if (zero? (count 'skipped))
                     ""
                     (format #f ", ~a skipped" (count 'skipped)))
                 (if (zero? (count 'removed))
                     ""
                     (format #f ", ~a removed" (count 'removed))))
                (count 'seconds))))))

(define (ferrix-registry . args)
  "Run 'ferrix registry' with the list of strings ARGS."
  (match args
    ((or () ((or "-h" "--help") . _))
     (show-help)
     (exit (if (null? args) 2 0)))
    (("export" . rest)
     (registry-export rest))
    ((command . _)
     (leave 2 "registry: unknown subcommand '~a'~%~aTry 'ferrix registry \
--help'." command (did-you-mean command '("export"))))))

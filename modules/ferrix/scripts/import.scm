;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix scripts import): 'ferrix import', write package definitions for
;;; crates of a registry or for the packages of a Cargo.lock, like 'guix
;;; import crate'.

(define-module (ferrix scripts import)
  #:use-module (ferrix ui)
  #:use-module (ferrix scripts)
  #:use-module (ferrix packages)
  #:use-module (ferrix discovery)
  #:use-module (ferrix store)
  #:use-module (ferrix import utils)
  #:use-module (ferrix import crate)
  #:use-module ((ferrix registry) #:select (open-registry %default-registry))
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-11)
  #:use-module (srfi srfi-34)
  #:use-module (srfi srfi-35)
  #:use-module (ice-9 match)
  #:export (ferrix-import))

(define (show-help)
  (display "Usage: ferrix import IMPORTER [OPTION]... ARGUMENT...
Write package definitions for what ARGUMENTs name, with IMPORTER:

  crate      crates of a registry (crates.io by default), or the packages
             of a Cargo.lock

'ferrix import --lockfile=FILE' is short for 'ferrix import crate
--lockfile=FILE'.  Run 'ferrix import IMPORTER --help' for its options.
"))

(define (show-crate-help)
  (display "Usage: ferrix import crate [OPTION]... NAME[@VERSION]
       ferrix import crate [OPTION]... --lockfile=Cargo.lock
Write a package definition for crate NAME: its newest non-yanked version, or
the newest matching VERSION, an exact version or a requirement (\"1.2\",
\"^1.2\", \"~0.4.1\", \">=1, <3\").  The .crate is downloaded into the store
and checked against the registry's checksum; its sha256 goes into the
definition.  Definitions are printed to standard output, after the
use-modules form they need.

With --lockfile, write a crate source for each registry package of the lock
file (its checksum is the hash: nothing is downloaded), named
rust-NAME-VERSION, and a list of them all, NAME-cargo-inputs, to be the
application's #:cargo-inputs.

  -r, --recursive        also import the crates it depends on, recursively,
                         dependencies first
      --allow-yanked     allow yanked versions (marked as such)
      --registry=URL     the registry: a sparse index URL
                         (\"sparse+https://index.crates.io/\", the default)
      --lockfile=FILE    import the packages of FILE, a Cargo.lock
      --insert=FILE      add the new definitions to FILE, in order, rather
                         than print them; those FILE has are skipped
  -L, --load-path=DIR    reuse the crate packages of the modules under DIR
                         rather than import them again (repeatable)
      --features=LIST    give the root crate the features of LIST (comma
                         separated) and \"default\", rather than all, and
                         build it with them (#:features)
      --no-default-features
                         with --features: without \"default\"
      --recursive-dev-dependencies
                         import the development dependencies of every crate,
                         not only of the root
      --no-dev-dependencies
                         import no development dependencies
      --debug            print a backtrace along with errors
  -h, --help             display this help and exit
"))

(define %crate-options
  (list (flag-option '(#\r "recursive") 'recursive?)
        (flag-option '("allow-yanked") 'allow-yanked?)
        (value-option '("registry") 'registry)
        (value-option '("lockfile") 'lockfile)
        (value-option '("insert") 'insert)
        %load-path-option
        (value-option '("features") 'features)
        (flag-option '("no-default-features") 'no-default-features?)
        (flag-option '("recursive-dev-dependencies") 'dev-everywhere?)
        (flag-option '("no-dev-dependencies") 'no-dev?)
        %debug-option
        %help-option))

(define (call-with-import-error-handling debug? thunk)
  "Call THUNK, turning import errors into \"ferrix: error: ...\" (exit 1)."
  ;; Other errors go to (ferrix ui)'s handler, which knows ferrix-error's
  ;; message format.
  (guard (c ((and (not debug?) (crate-import-error? c))
             (leave 1 "error: ~a" (condition-message c)))
            ((and (not debug?) (insert-error? c))
             (leave 1 "error: ~a" (condition-message c)))
            ((and (not debug?) (ferrix-error? c))
             (leave 1 "error: ~a" (ferrix-error-message c))))
    (thunk)))

(define (write-definitions header definitions trailer port)
  (when header
    (pretty-print-sexp header port)
    (newline port))
  (for-each (lambda (items)
              (newline port)
              (for-each (lambda (item)
                          (pretty-print-sexp item port)
                          (newline port))
                        items))
            definitions)
  (when trailer
    (newline port)
    (for-each (lambda (item)
                (pretty-print-sexp item port)
                (newline port))
              trailer)))

(define (merge-use-modules header definitions)
  "Return HEADER, a use-modules form, with the modules of the use-modules
items of DEFINITIONS added, and DEFINITIONS without those items: one
use-modules form on standard output."
  (define (use-modules-item? items)
    (match (last items)
      (('use-modules _ ...) #t)
      (_ #f)))
  (match header
    (('use-modules modules ...)
     (let-values (((uses rest) (partition use-modules-item? definitions)))
       (values `(use-modules
                 ,@(delete-duplicates
                    (append modules
                            (append-map (lambda (items)
                                          (match (last items)
                                            ((_ modules ...) modules)))
                                        uses))))
               rest)))
    (_ (values header definitions))))

(define (output-definitions opts header definitions trailer)
  (match (assq-ref opts 'insert)
    (#f (let-values (((header definitions)
                      (merge-use-modules header definitions)))
          (write-definitions header definitions trailer
                             (current-output-port))))
    (file
     (unless (file-exists? file)
       (leave 1 "error: --insert: ~a: no such file" file))
     (match (update-input-list file definitions)
       ((added replaced removed)
        ;; The file had the input list: it now lists what the lock file
        ;; locks.
        (format (current-error-port) "ferrix: ~a: input list updated: ~a \
added, ~a replaced, ~a removed~%" file added replaced removed))
       (#f
        (let ((added (insert-definitions file definitions)))
          (format (current-error-port) "ferrix: ~a: ~a definition~a added~a~%"
                  file (length added) (if (= 1 (length added)) "" "s")
                  (match (- (length definitions) (length added))
                    (0 "")
                    (n (format #f ", ~a already there" n))))))))))

(define (import-lockfile opts file)
  (unless (file-exists? file)
    (leave 1 "error: ~a: no such file" file))
  (let* ((definitions (lockfile-definitions file))
         (header '(use-modules (ferrix packages)
                               (ferrix build-system cargo))))
    (output-definitions opts header definitions #f)))

(define (import-crate opts spec)
  (let*-values (((name requirement)
                 (guard (c ((crate-import-error? c)
                            (leave 2 "import crate: ~a~%Try 'ferrix import \
crate --help'." (condition-message c))))
                   (parse-crate-specification spec)))
                ((registry)
                 (open-registry (or (assq-ref opts 'registry)
                                    (%default-registry))))
                ((recursive?) (assq-ref opts 'recursive?))
                ((existing)
                 (begin
                   (for-each add-to-package-module-path!
                             (map (lambda (dir)
                                    (unless (file-is-directory? dir)
                                      (leave 1 "error: -L ~a: not a directory"
                                             dir))
                                    dir)
                                  (option-values opts 'load-path)))
                   (load-path-crate-packages)))
                ((features)
                 (match (assq-ref opts 'features)
                   (#f (if (assq-ref opts 'no-default-features?) '() 'all))
                   (list (remove string-null?
                                 (map string-trim-both
                                      (string-split list #\,))))))
                ((root)
                 (resolve-crate-closure
                  (registry-lookup registry) name requirement
                  #:allow-yanked? (assq-ref opts 'allow-yanked?)
                  #:features features
                  #:default-features? (not (assq-ref opts
                                                     'no-default-features?))
                  #:dev-dependencies (cond ((assq-ref opts 'no-dev?) #f)
                                           ((assq-ref opts 'dev-everywhere?)
                                            'all)
                                           (else 'root))
                  #:recursive? recursive?
                  #:existing existing))
                ((nodes) (if recursive?
                             (closure-order root)
                             (list root)))
                ((hashes)
                 (with-store store
                   (download-crates store registry nodes)))
                ((definitions)
                 (filter (lambda (items)
                           (or recursive?
                               (eq? (definition-name (last items))
                                    (node-variable root))))
                         (crate-definitions
                          root hashes
                          #:features features
                          #:default-features? (not (assq-ref
                                                    opts
                                                    'no-default-features?))))))
    (output-definitions opts (crate-import-header root) definitions
                        (and recursive?
                             (list (comment "The package this file \
evaluates to, for 'ferrix build -f'.")
                                   (node-variable root))))))

(define (ferrix-import-crate args)
  (let* ((opts (parse-command-line "import crate" args %crate-options))
         (arguments (option-values opts 'argument))
         (lockfile (assq-ref opts 'lockfile)))
    (when (assq-ref opts 'help?)
      (show-crate-help)
      (exit 0))
    (call-with-import-error-handling
     (assq-ref opts 'debug?)
     (lambda ()
       (match (list lockfile arguments)
         (((? string? file) ())
          (import-lockfile opts file))
         ((#f (spec))
          (import-crate opts spec))
         ((#f ())
          (usage-error "import crate" "missing crate name"))
         ((#f _)
          (usage-error "import crate" "one crate at a time (got ~a)"
                       (string-join arguments " ")))
         ((_ _)
          (usage-error "import crate" "--lockfile takes no crate name")))))))

(define (ferrix-import . args)
  "Run 'ferrix import' with the list of strings ARGS."
  (match args
    (((or "-h" "--help") . _)
     (show-help)
     (exit 0))
    (("crate" . rest)
     (ferrix-import-crate rest))
    (((? (lambda (arg)
           (or (string=? arg "--lockfile")
               (string-prefix? "--lockfile=" arg))))
      . _)
     (ferrix-import-crate args))
    (()
     (usage-error "import" "missing importer name"))
    ((importer . _)
     (usage-error "import" "unknown importer '~a' (known: crate)" importer))))

;;; import.scm ends here

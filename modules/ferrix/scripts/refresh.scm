;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix scripts refresh): 'ferrix refresh', like 'guix refresh': report
;;; the newer versions that a registry has for crate packages, and with -u
;;; rewrite the definitions (version and hash) in place.

(define-module (ferrix scripts refresh)
  #:use-module (ferrix ui)
  #:use-module (ferrix scripts)
  #:use-module (ferrix scripts packages)
  #:use-module (ferrix packages)
  #:use-module (ferrix discovery)
  #:use-module (ferrix diagnostics)
  #:use-module (ferrix registry)
  #:use-module (ferrix semver)
  #:use-module (ferrix upstream)
  #:use-module (ferrix base32)
  #:use-module (ferrix store)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-11)
  #:use-module (ice-9 match)
  #:use-module (ice-9 regex)
  #:export (ferrix-refresh))

(define (show-help)
  (display "Usage: ferrix refresh [OPTION]... [PACKAGE]...
Report, for each crate PACKAGE (NAME or NAME@VERSION), the newest version of
its crate in the registry that is semver-compatible with the package's, and
the newest of all.  Without PACKAGE, report on the crate packages that the -f
files define or evaluate to and that the -e expressions evaluate to, or
without those on every crate package of the modules under the -L
directories.

  -u, --update           rewrite the version and sha256 of the packages in
                         their source files (the .crate is downloaded and
                         checked against the registry's checksum)
      --registry=URL     use the registry whose sparse index is at URL
                         (default: sparse+https://index.crates.io/)
      --target-version=VERSION
                         move to VERSION: \"compatible\" (the default: the
                         newest semver-compatible version), \"latest\" (the
                         newest version), or an exact version number
  -m, --major            the same as --target-version=latest
      --recursive        also refresh the packages' #:cargo-inputs, recursively
  -v, --verbose          also report the packages that are up to date")
  (show-load-options-help)
  (display "
      --store=DIR        use the store rooted at DIR for the downloads of -u
      --store-dir=PATH   the store's logical directory, e.g. /nix/store
")
  (display "
Yanked versions and prereleases are never proposed.  With -u, nothing is
written unless every package could be updated.  Exit status: 0 on success,
1 on failure (a package unknown or missing from the registry, a registry
error), 2 on a usage error.
"))

(define %options
  (append (list (flag-option '(#\u "update") 'update?)
                (value-option '("registry") 'registry)
                (value-option '("target-version") 'target-version)
                (flag-option '(#\m "major") 'target-version "latest")
                (flag-option '("recursive") 'recursive?)
                (flag-option '(#\v "verbose") 'verbose?))
          %store-options
          %load-options))

(define (cargo-input-closure packages)
  "Return PACKAGES and the packages of their #:cargo-inputs, recursively."
  (let loop ((todo packages) (seen '()))
    (match todo
      (() (reverse seen))
      ((p . rest)
       (if (memq p seen)
           (loop rest seen)
           (loop (append rest (argument-packages p #:cargo-inputs))
                 (cons p seen)))))))

(define (location<? a b)
  (let ((la (package-location a)) (lb (package-location b)))
    (cond ((not la) #f)
          ((not lb) #t)
          ((not (equal? (location-file la) (location-file lb)))
           (string<? (or (location-file la) "") (or (location-file lb) "")))
          (else (< (location-line la) (location-line lb))))))

(define (where package)
  (match (package-location package)
    (#f (package-name package))
    (loc (location->display-string loc))))

(define (call-reporting-errors package thunk)
  "Call THUNK; if it raises an error, report it at PACKAGE (if true) and
return #f."
  (define (call)
    (with-exception-handler
        (lambda (exn)
          (let-values (((location message) (exception->diagnostic exn #f)))
            ;; The message starts with NAME@VERSION (the package context).
            (report-diagnostic (or location
                                   (and package (package-location package)))
                               message)
            #f))
      thunk
      #:unwind? #t))
  (if package
      (with-package-context package call)
      (call)))

(define verbose?
  ;; -v: also report the packages that are up to date.
  (make-parameter #f))

(define (report update update?)
  "Print what UPDATE says; return #t if there is something to do."
  (let* ((package (upstream-update-package update))
         (current (upstream-update-current update))
         (target (upstream-update-target update))
         (newest (upstream-update-newest update))
         (newest-number (and newest (crate-version-number newest)))
         (yanked (if (upstream-update-yanked? update)
                     (format #f " (~a is yanked)" current)
                     "")))
    (cond (target
           (let ((new (crate-version-number target)))
             (format #t "~a: ~a ~a from ~a to ~a~a~a~%"
                     (where package) (package-name package)
                     (if update? "will be upgraded" "would be upgraded")
                     current new
                     (if (and newest-number (not (string=? newest-number new)))
                         (format #f " (newest ~a)" newest-number)
                         "")
                     yanked)
             #t))
          ((and newest-number (semver<? current newest-number))
           (format #t "~a: ~a ~a is the newest compatible version \
(newest ~a)~a~%"
                   (where package) (package-name package) current
                   newest-number yanked)
           #f)
          (else
           (when (or (verbose?) (upstream-update-yanked? update))
             (format #t "~a: ~a ~a is up to date~a~%"
                     (where package) (package-name package) current yanked))
           #f))))

(define (new-urls package old new)
  "Return PACKAGE's source URLs moved from version OLD to NEW."
  (map (lambda (url)
         (regexp-substitute/global
          #f (string-append "(/|-)" (regexp-quote old) "(/|\\.crate$)")
          url 'pre 1 new 2 'post))
       (package-crate-urls package)))

(define (ferrix-refresh . args)
  "Run 'ferrix refresh' with the list of strings ARGS."
  (let* ((opts (parse-command-line "refresh" args %options))
         (update? (assq-ref opts 'update?))
         (target-version
          (match (assq-ref opts 'target-version)
            ((or #f "compatible") 'compatible)
            ("latest" 'latest)
            ((? semver-valid? v) v)
            (v (leave 2 "refresh: --target-version: '~a' is neither \
\"compatible\", \"latest\" nor a version number" v)))))
    (when (assq-ref opts 'help?)
      (show-help)
      (exit 0))
    (when (and (string? target-version)
               (not (= 1 (length (option-values opts 'argument)))))
      (leave 2 "refresh: --target-version=VERSION needs exactly one PACKAGE"))
    (call-with-command-environment opts
      (lambda ()
        (parameterize ((verbose? (assq-ref opts 'verbose?)))
          (let* ((registry (open-registry (or (assq-ref opts 'registry)
                                              (%default-registry))))
                 ;; A file's packages are those it defines, and its value
                 ;; when that is a package or a list of packages; -e too.
                 (file-packages (append-map (match-lambda
                                              ((? package? p) (list p))
                                              (((? package? p) ...) p)
                                              (_ '()))
                                            (append (load-files opts)
                                                    (evaluate-expressions
                                                     opts))))
                 (named (resolve-specifications opts))
                 (roots
                  (cond ((pair? named) named)
                        ((and (null? (option-values opts 'load-path))
                              (null? (option-values opts 'file))
                              (null? (option-values opts 'expression)))
                         (leave 2 "refresh: no package given (use PACKAGE, \
-L DIR or -f FILE)~%Try 'ferrix refresh --help'."))
                        ((or (pair? (option-values opts 'file))
                             (pair? (option-values opts 'expression)))
                         ;; What the files define and evaluate to, and what -e
                         ;; evaluates to; not the modules under -L.
                         (append file-packages
                                 (parameterize ((%package-module-path '()))
                                   (fold-packages cons '()))))
                        (else
                         (fold-packages cons '()))))
                 (_ (for-each (lambda (p)
                                (unless (crate-package? p)
                                  (report-diagnostic
                                   (package-location p)
                                   (format #f "~a is not a crate package (its \
source is not a crate download URL and it has no crate-name property)"
                                           (package-name p)))
                                  (exit 1)))
                              named))
                 (packages
                  (sort (filter crate-package?
                                (delete-duplicates
                                 (if (assq-ref opts 'recursive?)
                                     (cargo-input-closure roots)
                                     roots)
                                 eq?))
                        location<?))
                 (failed? #f)
                 (_ (registry-prefetch registry
                                       (map package-crate-name packages)))
                 (updates
                  (filter-map
                   (lambda (package)
                     (let ((u (call-reporting-errors
                               package
                               (lambda ()
                                 (package-update registry package
                                                 #:target-version
                                                 target-version)))))
                       (unless u (set! failed? #t))
                       (and u (report u update?) u)))
                   packages)))
            (when (and update? (not failed?) (pair? updates))
              (let* ((store (open-store))
                     ;; (PACKAGE OLD NEW DRV HASH) per update.
                     (downloads
                      (filter-map
                       (lambda (u)
                         (let* ((package (upstream-update-package u))
                                (old (upstream-update-current u))
                                (new (crate-version-number
                                      (upstream-update-target u))))
                           (or (call-reporting-errors
                                package
                                (lambda ()
                                  (let-values (((drv hash)
                                                (crate-download-derivation
                                                 store registry
                                                 (crate-name
                                                  (upstream-update-crate u))
                                                 new
                                                 #:urls (new-urls package
                                                                  old new))))
                                    (list package old new drv hash))))
                               (begin (set! failed? #t) #f))))
                       updates)))
                ;; Every .crate at once; a failed download names its URL.
                (unless (or failed?
                            (call-reporting-errors
                             #f
                             (lambda ()
                               (build-derivations
                                store (map fourth downloads) #:max-jobs 8)
                               #t)))
                  (set! failed? #t))
                (close-store store)
                (unless (or failed?
                            (call-reporting-errors
                             #f
                             (lambda ()
                               (let ((changes
                                      (map (match-lambda
                                             ((package old new drv hash)
                                              (list package old new
                                                    (bytevector->nix-base32-string
                                                     hash))))
                                           downloads)))
                                 (update-packages-in-files changes)
                                 (for-each
                                  (match-lambda
                                    ((package old new hash)
                                     (format #t "~a: ~a updated from ~a to ~a \
(sha256 ~a)~%"
                                             (where package)
                                             (package-name package)
                                             old new hash)))
                                  changes)
                                 #t))))
                  (set! failed? #t))))
            (force-output)
            (when failed?
              (when update?
                (format (current-error-port)
                        "ferrix: no file was changed~%"))
              (exit 1))))))))

;;; refresh.scm ends here

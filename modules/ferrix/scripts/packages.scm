;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix scripts packages): what the package commands (build, show,
;;; graph, refresh) share beyond option parsing: the environment their
;;; options ask for, finding the packages the command line names, and
;;; lowering them with errors located in the package files.

(define-module (ferrix scripts packages)
  #:use-module (ferrix ui)
  #:use-module (ferrix scripts)
  #:use-module (ferrix packages)
  #:use-module (ferrix discovery)
  #:use-module (ferrix package-files)
  #:use-module (ferrix build-system)
  #:use-module (ferrix store)
  #:use-module (ferrix derivations)
  #:use-module (ferrix toolchain)
  #:use-module ((ferrix build-system cargo) #:select (system->rust-platform))
  #:use-module (ferrix diagnostics)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-11)
  #:use-module (srfi srfi-37)
  #:use-module (ice-9 match)
  ;; Loaded only when --crates-from is given.
  #:autoload (ferrix cargo-project) (crates-from?)
  #:export (call-with-command-environment
            check-system
            cargo-project-cli-options

            load-files
            evaluate-expressions
            resolve-specifications
            specification->package*
            value->objects

            package-dependencies
            argument-packages
            checked-closure
            lower-objects))

;;; Commentary:
;;;
;;; Not a command: there is no 'ferrix-packages'.  The options these
;;; procedures read are those of %load-options and %lowering-options, parsed
;;; by 'parse-command-line' of (ferrix scripts).
;;;
;;; Code:

(define (check-system opts)
  "Refuse, before anything is lowered, to build for a --system this machine
cannot run builds for: its builders would run this machine's programs.
Lowering only (-d, the option 'derivations? of OPTS) is allowed."
  (let ((system (%current-system))
        (runnable (runnable-systems)))
    (unless (or (assq-ref opts 'derivations?) (member system runnable))
      (leave 1 "error: cannot build for system '~a': this machine runs ~a~%\
hint: cross-compile with --target=TRIPLET, or lower only with -d"
             system (string-join runnable " and ")))))

(define (cargo-project-cli-options command)
  "Return the options --cargo[=DIR] and --crates-from=FROM, as COMMAND, a
string, takes them: Cargo projects named on the command line."
  (list (option '("cargo") #f #t
                (lambda (opt name arg result)
                  (alist-cons 'cargo (or arg #t) result)))
        (option '("crates-from") #t #f
                (lambda (opt name arg result)
                  (unless (crates-from? arg)
                    (usage-error command "--crates-from needs crates.io, a \
download URL, sparse+URL or dir:DIRECTORY, not '~a'" arg))
                  (alist-cons 'crates-from arg result)))))

(define (call-with-command-environment opts thunk)
  "Call THUNK with the environment OPTS asks for: errors reported with file
locations (backtraces with --debug), %current-system set by --system, the
store options and the Rust toolchain of --with-rust."
  (call-with-error-reporting
   (lambda ()
     (let ((system (or (assq-ref opts 'system) (%current-system)))
           (target (assq-ref opts 'target))
           (rust (assq-ref opts 'with-rust)))
       ;; Check the system and the target before any package is involved,
       ;; so that an unknown one is not reported as the package's error.
       (system->rust-platform system)
       (when target (system->rust-platform target))
       (when rust
         (unless (file-exists? rust)
           (leave 1 "error: --with-rust: ~a: no such file or directory" rust))
         (set-rust-toolchain! (canonicalize-path rust)))
       (parameterize ((%current-system system))
         (call-with-store-options opts
           (lambda ()
             (for-each add-to-package-module-path!
                       (map (lambda (dir)
                              (unless (file-exists? dir)
                                (leave 1 "error: -L ~a: No such file or \
directory" dir))
                              (unless (file-is-directory? dir)
                                (leave 1 "error: -L ~a: not a directory" dir))
                              dir)
                            (option-values opts 'load-path)))
             (thunk))))))
   #:debug? (assq-ref opts 'debug?)))


;;;
;;; What the command line names.
;;;

(define (value->objects value what)
  "Return the list of packages and derivations that VALUE, the value of WHAT
(a description such as \"file.scm\"), stands for: VALUE itself or its
elements.  Anything else is an error."
  (define (object? x) (or (package? x) (derivation? x)))
  (cond ((object? value) (list value))
        ((and (list? value) (pair? value) (every object? value)) value)
        (else
         (raise-diagnostic-error
          #f "~a: expected a package, a derivation or a list of them, \
got ~a" what (truncate-display value)))))

(define (truncate-display value)
  (let ((str (if (unspecified? value)
                 "no value (the last expression is a definition?)"
                 (format #f "~s" value))))
    (if (> (string-length str) 70)
        (string-append (substring str 0 67) "...")
        str)))

(define (load-files opts)
  "Load the files of the -f options in OPTS, in order, with error
locations; return the list of their values."
  (map load-package-file/located (option-values opts 'file)))

(define %expression-imports
  '((ferrix packages) (ferrix discovery) (ferrix package-files) (ferrix build-system)
    (ferrix build-system cargo)
    (ferrix download) (ferrix toolchain) (ferrix store) (ferrix derivations)
    (guile)))

(define (evaluate-expressions opts)
  "Evaluate the expressions of the -e options in OPTS, in order, each in a
fresh module using the ferrix modules; return their values."
  (map (lambda (expression)
         (let ((module (make-fresh-user-module)))
           (for-each (lambda (name)
                       (module-use! module (resolve-interface name)))
                     %expression-imports)
           (let ((form (catch 'read-error
                         (lambda ()
                           (call-with-input-string expression read-syntax))
                         (lambda (key subr fmt args . rest)
                           (raise-diagnostic-error
                            #f "-e ~a: ~a" expression
                            (let-values (((file line column reason)
                                          (split-reader-message
                                           (apply simple-format #f fmt
                                                  (or args '())))))
                              reason))))))
             (when (eof-object? form)
               (raise-diagnostic-error #f "-e: empty expression"))
             (eval form module))))
       (option-values opts 'expression)))

(define (all-package-names)
  (delete-duplicates
   (fold-packages (lambda (p names) (cons (package-name p) names)) '())))

(define (specification->package* spec)
  "Return the package SPEC (NAME or NAME@VERSION) designates, the highest
version if several match; raise an error suggesting similar names if there
is none."
  (let-values (((name version)
                (let ((at (string-rindex spec #\@)))
                  (if (and at (> at 0))
                      (values (substring spec 0 at) (substring spec (+ at 1)))
                      (values spec #f)))))
    (match (find-packages-by-name name version)
      ((p . _) p)
      (()
       (match (and version (find-packages-by-name name))
         ((? pair? others)
          (raise-diagnostic-error
           #f "~a: no version ~a of package '~a' (available: ~a)"
           spec version name
           (string-join (map package-version others) ", ")))
         (_
          (raise-diagnostic-error
           #f "~a: unknown package~a" name
           (match (similar-strings name (all-package-names))
             (() "")
             ((best) (format #f " (did you mean '~a'?)" best))
             ((several ...)
              (format #f " (did you mean ~a?)"
                      (string-join (map (lambda (s) (format #f "'~a'" s))
                                        several)
                                   ", ")))))))))))

(define (resolve-specifications opts)
  "Return the packages named by the operands of OPTS.  The package modules
this loads (-L) are read with their forms tracked, so that their errors are
located as those of package files are."
  (call-with-form-tracking
   (lambda ()
     (map specification->package* (option-values opts 'argument)))))


;;;
;;; Dependencies and lowering.
;;;

(define (input-packages inputs)
  "Return the packages of INPUTS, a list of inputs in either form."
  (filter-map (match-lambda
                ((? package? p) p)
                (((? string?) (? package? p) . _) p)
                (((? package? p) (? string?)) p)
                (_ #f))
              (if (list? inputs) inputs '())))

(define (argument-packages package keyword)
  "Return the packages listed in the KEYWORD argument of PACKAGE, e.g.
#:cargo-inputs."
  (let ((arguments (package-arguments package)))
    (if (list? arguments)
        (input-packages (keyword-argument arguments keyword '()))
        '())))

(define (package-dependencies package)
  "Return the dependencies of PACKAGE as a list of (KIND . PACKAGES), KIND
being one of 'inputs, 'native-inputs, 'propagated-inputs, 'cargo-inputs and
'cargo-development-inputs."
  `((inputs . ,(input-packages (package-inputs package)))
    (native-inputs . ,(input-packages (package-native-inputs package)))
    (propagated-inputs . ,(input-packages (package-propagated-inputs package)))
    (cargo-inputs . ,(argument-packages package #:cargo-inputs))
    (cargo-development-inputs
     . ,(argument-packages package #:cargo-development-inputs))))

(define (checked-closure packages)
  "Check every package of the closure of PACKAGES (see 'check-package'),
dependencies before dependants.  Return the closure over the inputs that
lowering follows (not #:cargo-inputs, whose sources only are used), in that
order."
  (let ((seen (make-hash-table)))
    (let visit ((packages packages) (order '()))
      (match packages
        (() order)
        ((p . rest)
         (if (hashq-ref seen p)
             (visit rest order)
             (begin
               (hashq-set! seen p #t)
               (let ((deps (with-package-context p
                             (lambda ()
                               (check-package p)
                               (package-dependencies p)))))
                 ;; Packages used only for their sources are checked too.
                 (visit (append (assq-ref deps 'cargo-inputs)
                                (assq-ref deps 'cargo-development-inputs))
                        '())
                 (let ((order (visit (append (assq-ref deps 'native-inputs)
                                             (assq-ref deps 'inputs)
                                             (assq-ref deps 'propagated-inputs))
                                     order)))
                   (visit rest (cons p order)))))))))))

(define* (lower-objects store objects #:key (system (%current-system)) target)
  "Return the derivations of OBJECTS, packages and derivations, for SYSTEM
(cross-compiled for TARGET if true).  Packages are checked first, and for
native builds their dependencies are lowered before them, so that an error
is reported at the package it comes from."
  (let* ((packages (filter package? objects))
         (closure (reverse (checked-closure packages))))
    (define (lower package)
      (with-package-context package
        (lambda ()
          (if target
              (package-cross-derivation store package target system)
              (package-derivation store package system)))))
    (unless target
      ;; Dependencies first; lowering is memoised, so this costs nothing more.
      (for-each lower closure))
    (let ((derivations (map (lambda (obj)
                              (if (package? obj) (lower obj) obj))
                            objects)))
      (package-files-lowered!)
      derivations)))

;;; packages.scm ends here

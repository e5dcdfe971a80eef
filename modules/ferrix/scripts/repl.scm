;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix scripts repl): 'ferrix repl', a Guile REPL with the ferrix
;;; modules loaded, or a Scheme script run with them, like 'guix repl'.

(define-module (ferrix scripts repl)
  #:use-module (ferrix ui)
  #:use-module (ferrix packages)
  #:use-module (ferrix diagnostics)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 match)
  #:autoload (system repl repl) (start-repl)
  #:export (ferrix-repl
            %repl-modules))

(define %repl-modules
  ;; The modules the REPL and scripts see, as 'guix repl' offers Guix's.
  '((ferrix records)
    (ferrix packages)
    (ferrix build-system)
    (ferrix build-system cargo)
    (ferrix download)
    (ferrix toolchain)
    (ferrix store)
    (ferrix derivations)))

(define (show-help)
  (display "Usage: ferrix repl [OPTION]... [FILE [ARG]...]
Start a Guile REPL in the (guile-user) module with the ferrix modules loaded:
(ferrix packages), (ferrix build-system cargo), (ferrix store),
(ferrix derivations), (ferrix records) and others.  It reads from standard
input, so expressions may be piped to it.  With FILE, run the Scheme program
FILE with the same modules, ARGs being its (command-line) after it; errors in
FILE are reported as FILE:LINE:COLUMN: error: REASON.

  -L, --load-path=DIR    add DIR to the module and package search paths
  -i, --interactive      start the REPL after running FILE
      --debug            print a backtrace along with errors in FILE
  -h, --help             display this help and exit
"))

(define (parse-arguments args)
  "Parse ARGS: options up to the first operand, which is FILE; the rest goes
to FILE.  Return an alist."
  (let loop ((args args) (result '()))
    (define (value option rest)
      (match rest
        ((value . rest) (loop rest (alist-cons option value result)))
        (() (leave 2 "repl: option '~a' requires an argument" (car args)))))
    (match args
      (() result)
      (((or "-h" "--help") . _) (alist-cons 'help? #t result))
      (((or "-i" "--interactive") . rest)
       (loop rest (alist-cons 'interactive? #t result)))
      (("--debug" . rest) (loop rest (alist-cons 'debug? #t result)))
      (("-L" . rest) (value 'load-path rest))
      (((? (lambda (a) (string-prefix? "--load-path=" a)) arg) . rest)
       (loop rest (alist-cons 'load-path
                              (substring arg (string-length "--load-path="))
                              result)))
      (((? (lambda (a) (and (string-prefix? "-L" a) (> (string-length a) 2)))
           arg) . rest)
       (loop rest (alist-cons 'load-path (substring arg 2) result)))
      (("--" file . rest)
       (alist-cons 'script (cons file rest) result))
      (((? (lambda (a) (and (string-prefix? "-" a) (not (string=? a "-"))))
           arg) . _)
       (leave 2 "repl: unrecognized option '~a'~%Try 'ferrix repl --help'."
              arg))
      ((file . rest)
       (alist-cons 'script (cons file rest) result)))))

(define (repl-module)
  "Return (guile-user), using the ferrix modules."
  (let ((module (resolve-module '(guile-user))))
    (for-each (lambda (name)
                (module-use! module (resolve-interface name)))
              %repl-modules)
    module))

(define (ferrix-repl . args)
  "Run 'ferrix repl' with the list of strings ARGS."
  (let ((opts (parse-arguments args)))
    (when (assq-ref opts 'help?)
      (show-help)
      (exit 0))
    (for-each (lambda (dir)
                (unless (file-is-directory? dir)
                  (leave 1 "error: -L ~a: not a directory" dir))
                (add-to-package-module-path! dir))
              (reverse (filter-map (match-lambda
                                     (('load-path . dir) dir)
                                     (_ #f))
                                   opts)))
    (let ((module (repl-module)))
      (set-current-module module)
      (match (assq-ref opts 'script)
        ((file . script-args)
         (set-program-arguments (cons file script-args))
         (call-with-error-reporting
          (lambda ()
            (unless (file-exists? file)
              (raise-diagnostic-error #f "~a: no such file" file))
            (call-with-form-tracking
             (lambda ()
               (save-module-excursion
                (lambda ()
                  (set-current-module module)
                  (primitive-load file))))))
          #:debug? (assq-ref opts 'debug?))
         (when (assq-ref opts 'interactive?)
           (start-repl)))
        (#f
         (start-repl))))))

;;; repl.scm ends here

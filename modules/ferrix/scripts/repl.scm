;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix scripts repl): 'ferrix repl', a Guile REPL with the ferrix
;;; modules loaded, or a Scheme script run with them, like 'guix repl'.

(define-module (ferrix scripts repl)
  #:use-module (ferrix ui)
  #:use-module (ferrix scripts)
  #:use-module (ferrix packages)
  #:use-module (ferrix discovery)
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
    (ferrix discovery)
    (ferrix package-files)
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

(define %options
  (list %load-path-option
        (flag-option '(#\i "interactive") 'interactive?)
        %debug-option
        %help-option))

(define (repl-module)
  "Return (guile-user), using the ferrix modules."
  (let ((module (resolve-module '(guile-user))))
    (for-each (lambda (name)
                (module-use! module (resolve-interface name)))
              %repl-modules)
    module))

(define (ferrix-repl . args)
  "Run 'ferrix repl' with the list of strings ARGS."
  (let ((opts (parse-command-line "repl" args %options
                                  #:stop-at-first-operand? #t)))
    (when (assq-ref opts 'help?)
      (show-help)
      (exit 0))
    (for-each (lambda (dir)
                (unless (file-is-directory? dir)
                  (leave 1 "error: -L ~a: not a directory" dir))
                (add-to-package-module-path! dir))
              (option-values opts 'load-path))
    (let ((module (repl-module)))
      (set-current-module module)
      (match (option-values opts 'argument)
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
        (()
         (start-repl))))))

;;; repl.scm ends here

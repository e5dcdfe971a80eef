;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix scripts build): 'ferrix build', like 'guix build'.  For now it
;;; only lowers packages to derivations and prints their file names (-d):
;;; realising them arrives with the build scheduler.

(define-module (ferrix scripts build)
  #:use-module (ferrix ui)
  #:use-module (ferrix scripts)
  #:use-module (ferrix packages)
  #:use-module (ferrix store)
  #:use-module (ferrix derivations)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-37)
  #:export (ferrix-build))

(define (show-help)
  (display "Usage: ferrix build -d [OPTION]... [PACKAGE]...
Lower PACKAGEs (NAME or NAME@VERSION) and the packages given by -f and -e to
derivations, write them to the store and print their file names, one per
line.  Nothing is built: -d is required until the build scheduler lands.

  -d, --derivations      print the derivation file names (required for now)")
  (show-load-options-help)
  (show-lowering-options-help)
  (display "
Errors in package files are reported as FILE:LINE:COLUMN: error: REASON
(lines from 1, columns from 0); --debug adds the backtrace.  Exit status: 0
on success, 1 on failure, 2 on a usage error.
"))

(define %options
  (cons (option '(#\d "derivations") #f #f
                (lambda (opt name arg result)
                  (alist-cons 'derivations? #t result)))
        (append %load-options %lowering-options)))

(define (ferrix-build . args)
  "Run 'ferrix build' with the list of strings ARGS."
  (let ((opts (parse-command-line "build" args %options)))
    (when (assq-ref opts 'help?)
      (show-help)
      (exit 0))
    (unless (assq-ref opts 'derivations?)
      (leave 2 "build: -d is required: building is not implemented until \
the build scheduler lands~%Try 'ferrix build --help'."))
    (when (and (null? (option-values opts 'argument))
               (null? (option-values opts 'file))
               (null? (option-values opts 'expression)))
      (leave 2 "build: no package given (use PACKAGE, -f FILE or -e EXPR)~%\
Try 'ferrix build --help'."))
    (call-with-command-environment opts
      (lambda ()
        (let* ((objects (append
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
               (derivations
                (with-store store
                  (lower-objects store objects
                                 #:system (%current-system)
                                 #:target (assq-ref opts 'target)))))
          (for-each (lambda (file)
                      (display file)
                      (newline))
                    (delete-duplicates (map derivation-file-name derivations)))
          (force-output))))))

;;; build.scm ends here

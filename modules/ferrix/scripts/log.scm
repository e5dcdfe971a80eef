;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix scripts log): 'ferrix log FILE...', like 'guix build --log-file'
;;; followed by printing the log: the build log of a .drv, or of the
;;; derivation an output was built by.

(define-module (ferrix scripts log)
  #:use-module (ferrix ui)
  #:use-module (ferrix scripts)
  #:use-module (ferrix store)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 binary-ports)
  #:export (ferrix-log))

(define (show-help)
  (display "Usage: ferrix log [OPTION]... FILE...
Print the build log of each FILE: a derivation (.drv) or a store item built
by one (or a file inside it).

  -p, --path             print the log's file name instead of its contents
      --store=DIR        use the store rooted at DIR (as 'ferrix --store')
      --store-dir=PATH   the store's logical directory, e.g. /nix/store
  -h, --help             display this help and exit

Exit status: 0 on success, 1 when a FILE has no log, 2 on a usage error.
"))

(define %options
  (cons* (flag-option '(#\p "path") 'path?)
         %help-option
         %store-options))

(define (ferrix-log . args)
  "Run 'ferrix log' with the list of strings ARGS."
  (let ((opts (parse-command-line "log" args %options)))
    (when (assq-ref opts 'help?)
      (show-help)
      (exit 0))
    (let ((files (option-values opts 'argument)))
      (when (null? files)
        (usage-error "log" "no file given"))
      (let ((store (call-with-store-options opts open-store)))
        (for-each
         (lambda (file)
           (let ((log (log-file store file)))
             (unless log
               (leave 1 "error: no build log for '~a'" file))
             (if (assq-ref opts 'path?)
                 (begin (display log) (newline))
                 (let ((bv (call-with-input-file log get-bytevector-all
                             #:binary #t)))
                   (unless (eof-object? bv)
                     (put-bytevector (current-output-port) bv))))))
         files)
        (close-store store)
        (force-output)))))

;;; log.scm ends here

;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix ui): the command line.  'ferrix COMMAND ARGS...' calls the
;;; procedure 'ferrix-COMMAND' of the module (ferrix scripts COMMAND) with
;;; ARGS, as Guix does with (guix scripts COMMAND) and 'guix-COMMAND'.

(define-module (ferrix ui)
  #:use-module (ferrix config)
  #:autoload (ferrix utils) (similar-strings)
  #:export (main
            leading-store-options
            run-ferrix-command
            command-store-root
            command-store-directory
            leave
            did-you-mean
            show-version
            show-usage
            %commands))

;;; Commentary:
;;;
;;; This module is loaded at every start of 'ferrix', so it stays small: no
;;; store, no extension.  A command's module is loaded only when the command
;;; runs.  Global options, before the command: --store=DIR and
;;; --store-dir=PATH (the defaults of 'open-store' while the command runs,
;;; see (ferrix store)), --help, --version.
;;;
;;; Exit status: 0 on success, 1 on failure, 2 on a usage error.  A
;;; ferrix-error escaping a command is printed as "ferrix: error: MESSAGE"
;;; (exit 1; "ferrix: MESSAGE" and exit 2 for one of kind 'usage-error).
;;;
;;; Code:

(define %commands
  ;; (NAME . SYNOPSIS) of the commands listed by 'ferrix --help'.  Any module
  ;; (ferrix scripts NAME) is a command, listed or not.
  '(("build" . "build packages (-d: lower them to derivations)")
    ("log" . "print the build log of a derivation or output")
    ("show" . "show information about packages")
    ("graph" . "print the dependency graph of packages (DOT)")
    ("shell" . "run a shell or command in a package's build environment")
    ("download" . "download a file into the store and print its hash")
    ("import" . "write package definitions for crates or a Cargo.lock")
    ("refresh" . "report and apply newer versions of crate packages")
    ("registry" . "make a static crate registry from unpacked crates")
    ("repl" . "read-eval-print loop with the ferrix modules")
    ("hash" . "compute the hash of files")
    ("store" . "manipulate the store")
    ("show-derivation" . "print derivations as JSON")))

(define (show-version)
  (format #t "ferrix ~a~%" %ferrix-version))

(define (show-usage port)
  (display "Usage: ferrix [--store=DIR] [--store-dir=PATH] COMMAND [OPTION]...

A functional package builder for Rust crates.

Commands:
" port)
  (for-each (lambda (command)
              (format port "  ~a~a~a~%" (car command)
                      (make-string (max 1 (- 18 (string-length (car command))))
                                   #\space)
                      (cdr command)))
            %commands)
  (display "
Run 'ferrix COMMAND --help' for a command's options.
" port))

(define (leave status fmt . args)
  "Print \"ferrix: \" followed by FMT formatted with ARGS on the error port,
then exit with STATUS."
  (force-output (current-output-port))
  (apply format (current-error-port) (string-append "ferrix: " fmt "~%") args)
  (exit status))

(define (did-you-mean name candidates)
  "Return a line suggesting the strings of CANDIDATES closest to NAME, as
\"hint: did you mean 'build'?\" followed by a newline, or the empty string if
none is close enough."
  (let ((close (similar-strings name candidates)))
    (if (null? close)
        ""
        (format #f "hint: did you mean ~a?~%"
                (string-join (map (lambda (str) (string-append "'" str "'"))
                                  close)
                             ", ")))))

(define command-store-root
  ;; The --store option given before the command, or #f.
  (make-parameter #f))

(define command-store-directory
  ;; The --store-dir option given before the command, or #f.
  (make-parameter #f))

(define (valid-command-name? name)
  (and (not (string-null? name))
       (not (char=? #\- (string-ref name 0)))
       (string-every (lambda (c)
                       (or (char-alphabetic? c) (char-numeric? c) (char=? c #\-)))
                     name)))

(define (command-procedure name)
  "Return the procedure 'ferrix-NAME' of (ferrix scripts NAME), or #f if
there is no such command."
  (and (valid-command-name? name)
       (let* ((module-name `(ferrix scripts ,(string->symbol name)))
              (module (and (%search-load-path
                            (string-append "ferrix/scripts/" name))
                           (resolve-interface module-name))))
         (and module
              (module-ref module (symbol-append 'ferrix- (string->symbol name))
                          #f)))))

(define (error-message key args)
  "Return the message of the exception KEY ARGS, as a string: for a
ferrix-error its message alone, for other errors in the usual (SUBR FORMAT
ARGUMENTS REST) shape \"SUBR: MESSAGE\"."
  (if (and (pair? args) (pair? (cdr args)) (string? (cadr args))
           (pair? (cddr args)) (list? (caddr args)))
      (let ((message (apply simple-format #f (cadr args) (caddr args)))
            (subr    (car args)))
        (if (and (not (eq? key 'ferrix-error))
                 (or (string? subr) (symbol? subr)))
            (simple-format #f "~a: ~a" subr message)
            message))
      (call-with-output-string
        (lambda (port)
          (print-exception port #f key args)))))

(define (error-kind args)
  (and (= (length args) 4) (pair? (list-ref args 3))
       (car (list-ref args 3))))

(define (call-with-error-handling thunk)
  "Call THUNK; report an error escaping it and exit 1 (2 for usage errors)."
  (catch #t
    thunk
    (lambda (key . args)
      (case key
        ((quit) (apply throw key args))
        ((ferrix-error)
         (if (eq? (error-kind args) 'usage-error)
             (leave 2 "~a" (error-message key args))
             (leave 1 "error: ~a" (error-message key args))))
        (else
         (leave 1 "error: ~a" (string-trim-right (error-message key args))))))))

(define (run-ferrix-command name args)
  "Run the command NAME with the list of strings ARGS."
  (let ((proc (call-with-error-handling
               (lambda () (command-procedure name)))))
    (unless proc
      (leave 2 "unknown command '~a'~%~aTry 'ferrix --help'." name
             (did-you-mean name (map car %commands))))
    (call-with-error-handling
     (lambda ()
       ;; The store options become the defaults of (ferrix store), which the
       ;; command has loaded by now if it uses the store.
       (let ((store (resolve-module '(ferrix store) #f #:ensure #f)))
         (if (and store (module-variable store '%default-store-root))
             (parameterize (((module-ref store '%default-store-root)
                             (command-store-root))
                            ((module-ref store '%default-store-directory)
                             (command-store-directory)))
               (apply proc args))
             (apply proc args)))))))

(define (leading-store-options args root store-dir)
  "Read the --store and --store-dir options (\"--store=DIR\" or \"--store
DIR\") at the head of ARGS, which may come before a command or a
subcommand.  Return three values: the store root and the store directory
they give (else ROOT and STORE-DIR), and the arguments after them."
  (let loop ((rest args) (root root) (store-dir store-dir))
    (define (option-value option)
      ;; "--store=X" -> "X"
      (substring (car rest) (+ 1 (string-length option))))
    (cond ((null? rest)
           (values root store-dir rest))
          ((string-prefix? "--store=" (car rest))
           (loop (cdr rest) (option-value "--store") store-dir))
          ((string-prefix? "--store-dir=" (car rest))
           (loop (cdr rest) root (option-value "--store-dir")))
          ((and (member (car rest) '("--store" "--store-dir"))
                (pair? (cdr rest)))
           (if (string=? (car rest) "--store")
               (loop (cddr rest) (cadr rest) store-dir)
               (loop (cddr rest) root (cadr rest))))
          (else
           (values root store-dir rest)))))

(define (main args)
  "The entry point of 'ferrix': ARGS is the command line, program name
first."
  (call-with-values
      (lambda ()
        (leading-store-options (if (pair? args) (cdr args) '()) #f #f))
    (lambda (root store-dir rest)
      (cond ((null? rest)
             (show-usage (current-error-port))
             (exit 2))
            ((member (car rest) '("--help" "-h" "help"))
             (show-usage (current-output-port))
             (exit 0))
            ((member (car rest) '("--version" "-V"))
             (show-version)
             (exit 0))
            (else
             (parameterize ((command-store-root root)
                            (command-store-directory store-dir))
               (run-ferrix-command (car rest) (cdr rest)))
             (exit 0))))))

;;; ui.scm ends here

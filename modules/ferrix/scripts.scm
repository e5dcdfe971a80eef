;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix scripts): what every command shares: parsing its command line
;;; and the options common to several commands.  It is loaded by every
;;; command, so it loads nothing heavy; finding and lowering packages is
;;; (ferrix scripts packages).  The commands themselves are the modules
;;; (ferrix scripts NAME).

(define-module (ferrix scripts)
  #:use-module (ferrix ui)
  ;; Only commands that open a store apply the store options: autoloaded, so
  ;; that the others do not load the store and its extension.
  #:autoload (ferrix store) (%default-store-root %default-store-directory)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-37)
  #:use-module (ice-9 match)
  #:export (parse-command-line
            option-values
            usage-error
            flag-option
            value-option

            %help-option
            %debug-option
            %load-path-option
            %store-options
            call-with-store-options
            %load-options
            %lowering-options
            show-load-options-help
            show-lowering-options-help))

;;; Commentary:
;;;
;;; Options are SRFI-37 options whose processors cons onto an alist, as in
;;; Guix.  'parse-command-line' returns that alist, most recent first;
;;; repeated options (-L, -f, -e) appear once per use and 'option-values'
;;; returns them in command-line order.  Operands are under the key
;;; 'argument.  Every command accepts the same forms: "-x VALUE", "-xVALUE",
;;; "--long=VALUE", "--long VALUE", clustered short flags ("-rf"), and "--"
;;; ending the options.  A usage error (unknown option, missing value...)
;;; is printed as "ferrix: COMMAND: MESSAGE" followed by "Try 'ferrix
;;; COMMAND --help'.", with exit status 2.
;;;
;;; Code:


;;;
;;; Parsing.
;;;

(define (usage-error command fmt . args)
  "Report the usage error of COMMAND described by FMT and ARGS, pointing at
its --help, and exit with status 2."
  (apply leave 2 (string-append "~a: " fmt "~%Try 'ferrix ~a --help'.")
         command (append args (list command))))

(define (option-name->string name)
  (if (char? name) (string #\- name) (string-append "--" name)))

(define (value-names options)
  "Return the long names of the OPTIONS that take a value."
  (append-map (lambda (opt)
                (if (option-required-arg? opt)
                    (filter string? (option-names opt))
                    '()))
              options))

(define (join-long-option-values args options)
  "Return ARGS with \"--NAME VALUE\" turned into \"--NAME=VALUE\" for the
long OPTIONS that take a value, as SRFI-37 only accepts the second form."
  (define names (value-names options))
  (define (takes-value? arg)
    (and (string-prefix? "--" arg)
         (not (string-index arg #\=))
         (member (substring arg 2) names)))
  (let loop ((args args) (result '()))
    (match args
      (() (reverse result))
      (("--" . _) (append (reverse result) args))
      (((? takes-value? name) value . rest)
       (loop rest (cons (string-append name "=" value) result)))
      ((arg . rest) (loop rest (cons arg result))))))

(define (split-at-first-operand args options)
  "Return two values: the options of ARGS up to its first operand (or \"--\"),
and the rest, all operands."
  (define short-with-value
    (append-map (lambda (opt)
                  (if (option-required-arg? opt)
                      (filter char? (option-names opt))
                      '()))
                options))
  (define (consumes-next? arg)
    ;; "-L DIR": the last short option of the cluster takes the next argument.
    (or (and (string-prefix? "--" arg)
             (not (string-index arg #\=))
             (member (substring arg 2) (value-names options)))
        (and (not (string-prefix? "--" arg))
             (let loop ((i 1))
               (and (< i (string-length arg))
                    (if (memv (string-ref arg i) short-with-value)
                        (= i (- (string-length arg) 1))
                        (loop (+ i 1))))))))
  (let loop ((args args) (result '()))
    (match args
      (() (values (reverse result) '()))
      (("--" . rest) (values (reverse result) rest))
      (((? (lambda (arg)
             (and (string-prefix? "-" arg) (not (string=? arg "-"))))
           arg) . rest)
       (if (and (consumes-next? arg) (pair? rest))
           (loop (cdr rest) (cons* (car rest) arg result))
           (loop rest (cons arg result))))
      (_ (values (reverse result) args)))))

(define (srfi-37-error->message fmt args)
  "Return the message for the args-fold error FMT with ARGS, in the words
the commands use."
  (let ((name (string-append (if (string-contains fmt "`--") "--" "-")
                             (format #f "~a" (car args)))))
    (cond ((string-prefix? "Missing required argument" fmt)
           (format #f "option '~a' needs a value" name))
          ((string-prefix? "Extraneous argument" fmt)
           (format #f "option '~a' takes no value" name))
          (else (apply simple-format #f fmt args)))))

(define* (parse-command-line command args options
                             #:key stop-at-first-operand?)
  "Parse ARGS, the arguments of 'ferrix COMMAND', with OPTIONS, SRFI-37
options whose processors cons onto an alist, and return the alist, operands
under the key 'argument.  With STOP-AT-FIRST-OPERAND?, the first operand and
everything after it are operands (as 'ferrix repl FILE ARG...' needs).  An
unknown option or a missing value is a usage error; an unknown option after
--help is not, the help being what was asked for."
  (define-values (to-parse operands)
    (if stop-at-first-operand?
        (split-at-first-operand args options)
        (values args '())))
  (define result
    (catch 'misc-error
      (lambda ()
        (args-fold (join-long-option-values to-parse options) options
                   (lambda (opt name arg result)
                     (if (assq 'help? result)
                         result
                         (usage-error command "unrecognized option '~a'"
                                      (option-name->string name))))
                   (lambda (operand result)
                     (alist-cons 'argument operand result))
                   '()))
      (lambda (key subr fmt fargs . _)
        (usage-error command "~a"
                     (srfi-37-error->message fmt (or fargs '()))))))
  (fold (lambda (operand result)
          (alist-cons 'argument operand result))
        result
        operands))

(define (option-values opts key)
  "Return the values of option KEY in OPTS, in command-line order."
  (reverse (filter-map (match-lambda
                         ((k . v) (and (eq? k key) v)))
                       opts)))

(define* (flag-option names key #:optional (value #t))
  "Return an option called NAMES (characters and strings) that takes no
value and records KEY with VALUE."
  (option names #f #f
          (lambda (opt name arg result)
            (alist-cons key value result))))

(define (value-option names key)
  "Return an option called NAMES (characters and strings) that takes a
value and records it under KEY."
  (option names #t #f
          (lambda (opt name arg result)
            (alist-cons key arg result))))


;;;
;;; Options common to several commands.
;;;

(define %help-option
  (flag-option '(#\h "help") 'help?))

(define %debug-option
  ;; Print a backtrace along with errors.
  (flag-option '("debug") 'debug?))

(define %load-path-option
  (value-option '(#\L "load-path") 'load-path))

(define %store-options
  ;; The store the command uses, as 'ferrix --store' and '--store-dir'.
  (list (value-option '("store") 'store)
        (value-option '("store-dir") 'store-dir)))

(define (call-with-store-options opts thunk)
  "Call THUNK with the defaults of 'open-store' set by the --store and
--store-dir options in OPTS, where they were given."
  (parameterize ((%default-store-root (or (assq-ref opts 'store)
                                          (%default-store-root)))
                 (%default-store-directory (or (assq-ref opts 'store-dir)
                                               (%default-store-directory))))
    (thunk)))

(define %load-options
  ;; How packages are found: -L, -f, -e; and --debug, --help.
  (list %load-path-option
        (value-option '(#\f "file") 'file)
        (value-option '(#\e "expression") 'expression)
        %debug-option
        %help-option))

(define %lowering-options
  ;; How packages are lowered: system, target, toolchain, store.
  (cons* (value-option '(#\s "system") 'system)
         (value-option '("target") 'target)
         (value-option '("with-rust") 'with-rust)
         %store-options))

(define (show-load-options-help)
  (display "
  -L, --load-path=DIR    search DIR for package modules (repeatable)
  -f, --file=FILE        also use the package or list of packages that the
                         code in FILE evaluates to (repeatable)
  -e, --expression=EXPR  also use the package, derivation or list of them
                         that EXPR evaluates to (repeatable)
      --debug            print a backtrace along with errors
  -h, --help             display this help and exit
"))

(define (show-lowering-options-help)
  (display "
  -s, --system=SYSTEM    lower for SYSTEM, e.g. \"aarch64-linux\" (default:
                         this machine's)
      --target=TRIPLET   cross-compile for TRIPLET, e.g. \"aarch64-linux-gnu\"
      --with-rust=PATH   use the Rust toolchain at PATH (a directory with
                         bin/rustc and bin/cargo) for every package
      --store=DIR        use the store rooted at DIR (as 'ferrix --store')
      --store-dir=PATH   the store's logical directory, e.g. /nix/store
"))

;;; scripts.scm ends here

;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix diagnostics): finding where an error in a package file comes
;;; from, and reporting it the way Guix does: "FILE:LINE:COLUMN: error:
;;; REASON" on one line, a backtrace only when asked for.

(define-module (ferrix diagnostics)
  #:use-module (ferrix packages)
  #:use-module ((ferrix package-files) #:select (load-package-file))
  #:use-module (ferrix build-system)
  #:use-module (ferrix utils)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-11)
  #:use-module (srfi srfi-26)
  #:use-module (srfi srfi-34)
  #:use-module (srfi srfi-35)
  #:use-module (ice-9 match)
  #:use-module ((ice-9 exceptions)
                #:select (exception-kind exception-args
                          exception-with-message? exception-message
                          exception-with-origin? exception-origin))
  #:use-module ((system syntax) #:select (syntax?))
  #:autoload (language tree-il) (pre-order
                                 tree-il-src
                                 toplevel-ref? toplevel-ref-name
                                 toplevel-set? toplevel-set-name
                                 module-ref? module-ref-name
                                 call? call-proc
                                 primcall? primcall-name)
  #:export (&diagnostic-error
            diagnostic-error?
            diagnostic-error-location
            raise-diagnostic-error

            display-file-name
            location->display-string

            load-package-file/located
            call-with-form-tracking
            read-syntax-file
            split-reader-message

            with-package-context
            check-package

            exception->diagnostic
            call-with-error-reporting
            report-diagnostic)
  #:re-export (string-distance            ;from (ferrix utils)
               similar-strings))

;;; Commentary:
;;;
;;; Package files are evaluated, not compiled (compiling costs about 1.5 ms
;;; per top-level form, evaluating a small fraction of that), and the
;;; evaluator's frames carry no source locations.  So locations are found
;;; from what is known when an error is raised:
;;;
;;;  - reader errors: the reader's position; for unbalanced parentheses and
;;;    unterminated strings, a scan of the file finds the opening parenthesis
;;;    that is never closed (the innermost one) or the closing parenthesis
;;;    that has no opening one;
;;;  - expansion errors ('syntax-violation', e.g. an unknown field in a
;;;    'package' form): the source of the offending form, which the error
;;;    carries;
;;;  - unbound variables: files are read with 'read-syntax' (see
;;;    'call-with-form-tracking'), so every identifier has a location; the
;;;    form being evaluated, then the other forms of the loaded files, are
;;;    expanded again and searched for a reference to the variable;
;;;  - other run-time errors while a file is loaded (wrong argument type...):
;;;    the call of the failing procedure within the top-level form being
;;;    evaluated, else that form;
;;;  - errors while a package is lowered: 'with-package-context' names the
;;;    package, and 'check-package' checks the types of its fields first, so
;;;    that a field of the wrong type is reported at that field.
;;;
;;; Locations are printed as Guile and Guix print them: 1-based lines,
;;; 0-based columns, file names relative to the current directory when they
;;; are below it.
;;;
;;; Code:


;;;
;;; Located errors.
;;;

(define-condition-type &diagnostic-error &error
  diagnostic-error?
  (location diagnostic-error-location))   ;<location> | #f

(define (raise-diagnostic-error location fmt . args)
  "Raise an error at LOCATION (a <location> or #f) whose message is FMT
formatted with ARGS."
  (raise (make-compound-condition
          (make-condition &diagnostic-error 'location location)
          (make-condition &message 'message (apply format #f fmt args)))))

(define (display-file-name file)
  "Return FILE relative to the current directory if it is below it."
  (let ((cwd (false-if-exception (getcwd))))
    (if (and (string? file) cwd (not (string=? cwd "/"))
             (string-prefix? (string-append cwd "/") file))
        (substring file (+ 1 (string-length cwd)))
        file)))

(define (location->display-string location)
  "Return LOCATION as FILE:LINE:COLUMN, FILE relative to the current
directory when it is below it."
  (format #f "~a:~a:~a"
          (or (display-file-name (location-file location)) "<unknown file>")
          (location-line location) (location-column location)))


;;;
;;; Reading files with locations, and remembering what was read.
;;;

;; Files whose forms were read by 'tracking-reader', in load order, and for
;; each the list of (MODULE . FORM), newest first.
(define %tracked-files '())
(define %tracked-forms (make-hash-table))

;; The top-level forms being evaluated, innermost load first: (FILE MODULE
;; FORM) for each file being loaded.
(define %active-forms '())

(define (tracking-reader port)
  "Read the next form from PORT with 'read-syntax', so that every datum has
a location, and remember it as the form being evaluated."
  (let ((file (port-filename port))
        (form (read-syntax port)))
    (when (string? file)
      (set! %active-forms
        (remove (lambda (entry) (equal? (car entry) file)) %active-forms))
      (unless (eof-object? form)
        (set! %active-forms
          (cons (list file (current-module) form) %active-forms))
        (unless (hash-ref %tracked-forms file)
          (set! %tracked-files (append %tracked-files (list file))))
        (hash-set! %tracked-forms file
                   (cons (cons (current-module) form)
                         (hash-ref %tracked-forms file '())))))
    form))

(define (call-with-form-tracking thunk)
  "Call THUNK with 'primitive-load' (and so 'load-package-file') reading
files with 'read-syntax' and remembering their forms, for error locations."
  (let ((active %active-forms))
    (dynamic-wind
      (const #t)
      (lambda ()
        (with-fluids ((current-reader tracking-reader))
          (thunk)))
      (lambda ()
        (set! %active-forms active)))))

(define (load-package-file/located file)
  "Like 'load-package-file', with the forms of FILE tracked for error
locations."
  (call-with-form-tracking (lambda () (load-package-file file))))

(define %file-syntax-cache (make-hash-table))

(define (read-syntax-file file)
  "Return the forms of FILE read with 'read-syntax', or '() if it cannot be
read."
  (or (hash-ref %file-syntax-cache file)
      (let ((forms (or (false-if-exception
                        (call-with-input-file file
                          (lambda (port)
                            (let loop ((forms '()))
                              (let ((form (read-syntax port)))
                                (if (eof-object? form)
                                    (reverse forms)
                                    (loop (cons form forms))))))))
                       '())))
        (hash-set! %file-syntax-cache file forms)
        forms)))


;;;
;;; Walking syntax objects and expansions.
;;;

(define (syntax-location stx)
  "Return the <location> of the syntax object STX, or #f."
  (and (syntax? stx)
       (let ((props (syntax-source stx)))
         (and props (assq-ref props 'filename)
              (source-properties->location props)))))

(define (syntax-children stx)
  "Return the syntax objects directly inside STX, a syntax object or a list
of them."
  (cond ((syntax? stx)
         (syntax-case stx ()
           ((head . tail) (cons #'head (syntax-children #'tail)))
           (#(elements ...) #'(elements ...))
           (_ '())))
        ((pair? stx) (cons (car stx) (syntax-children (cdr stx))))
        (else '())))

(define (syntax-find pred stx)
  "Return the first syntax object within STX (itself included, depth first,
in source order) that satisfies PRED, or #f."
  (let loop ((stx stx))
    (cond ((and (syntax? stx) (pred stx)) stx)
          (else (any loop (syntax-children stx))))))

(define (quoting-form? stx)
  (and (syntax? stx)
       (memq (syntax->datum stx) '(quote quasiquote syntax quasisyntax))))

(define (syntax-find-identifier name stx)
  "Return the first occurrence of the identifier NAME in STX outside quoted
data, or #f.  This is a fallback for forms that cannot be expanded again."
  (let loop ((stx stx))
    (cond ((and (syntax? stx) (eq? (syntax->datum stx) name)) stx)
          ((and (syntax? stx) (symbol? (syntax->datum stx))) #f)
          (else
           (let ((children (syntax-children stx)))
             (if (and (pair? children) (quoting-form? (car children)))
                 #f
                 (any loop children)))))))

(define (expand-form form module)
  "Return the expansion of FORM (tree-il) in MODULE, or #f if it fails."
  (false-if-exception
   (save-module-excursion
    (lambda ()
      (set-current-module module)
      (macroexpand form)))))

(define (tree-il-find pred tree)
  "Return the source location of the first node of TREE (pre-order)
satisfying PRED and having a source location, or #f."
  (let ((found #f))
    (pre-order (lambda (node)
                 (when (and (not found) (pred node))
                   (let ((src (tree-il-src node)))
                     (when (and src (assq-ref src 'filename))
                       (set! found (source-properties->location src)))))
                 node)
               tree)
    found))

(define (reference-location name form module)
  "Return the location of the first reference to the global variable NAME
in FORM (a syntax object) expanded in MODULE, or #f."
  (let ((tree (and module (expand-form form module))))
    (if tree
        (tree-il-find (lambda (node)
                        (or (and (toplevel-ref? node)
                                 (eq? (toplevel-ref-name node) name))
                            (and (toplevel-set? node)
                                 (eq? (toplevel-set-name node) name))))
                      tree)
        (syntax-location (syntax-find-identifier name form)))))

(define (call-location procedure-name form module)
  "Return the location of the first call of the procedure named
PROCEDURE-NAME (a symbol) in FORM expanded in MODULE, or #f."
  (let ((tree (and module (expand-form form module))))
    (and tree
         (tree-il-find (lambda (node)
                         (or (and (call? node)
                                  (let ((proc (call-proc node)))
                                    (or (and (toplevel-ref? proc)
                                             (eq? (toplevel-ref-name proc)
                                                  procedure-name))
                                        (and (module-ref? proc)
                                             (eq? (module-ref-name proc)
                                                  procedure-name)))))
                             (and (primcall? node)
                                  (eq? (primcall-name node) procedure-name))))
                       tree))))


;;;
;;; Reader errors.
;;;

(define (scan-parentheses port)
  "Scan the Scheme text on PORT.  Return #f if its parentheses are balanced
and its strings and block comments terminated, else (KIND LINE COLUMN):
KIND is 'unclosed for a parenthesis that is not closed, 'unexpected for a
closing parenthesis that closes nothing, 'string or 'comment for an
unterminated string or block comment; LINE is 1-based, COLUMN 0-based (a tab
advances to the next multiple of 8, as Guile counts).

Which parenthesis is not closed: when a line starts at or to the left of a
parenthesis opened on an earlier line and still open, that parenthesis most
likely lacks its closing one (in indented code, what follows an opening
parenthesis is indented more); the first such one is reported.  Failing
that, the innermost parenthesis still open at the end."
  (define line 1)
  (define column 0)
  (define fresh-line? #t)               ;nothing but blanks read on this line
  (define suspect #f)                   ;(LINE COLUMN) or #f
  (define (next!)
    (let ((c (read-char port)))
      (cond ((eof-object? c) c)
            ((char=? c #\newline)
             (set! line (+ line 1))
             (set! column 0)
             (set! fresh-line? #t)
             c)
            ((char=? c #\tab) (set! column (* 8 (+ 1 (quotient column 8)))) c)
            (else (set! column (+ column 1)) c))))
  (define (peek) (peek-char port))
  (define (skip-line!)
    (let loop ()
      (let ((c (next!)))
        (unless (or (eof-object? c) (char=? c #\newline))
          (loop)))))
  (define (skip-block-comment! start)
    ;; After "#|": nested, until "|#".
    (let loop ((depth 1))
      (let ((c (next!)))
        (cond ((eof-object? c) (cons 'comment start))
              ((and (char=? c #\|) (eqv? (peek) #\#))
               (next!)
               (if (= depth 1) #f (loop (- depth 1))))
              ((and (char=? c #\#) (eqv? (peek) #\|))
               (next!)
               (loop (+ depth 1)))
              (else (loop depth))))))
  (define (skip-until! first second start kind)
    ;; Until the two characters FIRST SECOND, e.g. "!#" or "}#".
    (let loop ()
      (let ((c (next!)))
        (cond ((eof-object? c) (cons kind start))
              ((and (char=? c first) (eqv? (peek) second)) (next!) #f)
              (else (loop))))))
  (define (skip-string! start)
    (let loop ()
      (let ((c (next!)))
        (cond ((eof-object? c) (cons 'string start))
              ((char=? c #\\) (next!) (loop))
              ((char=? c #\") #f)
              (else (loop))))))
  (define (check-indentation! open start)
    ;; START begins a line: a parenthesis opened on an earlier line at or
    ;; right of START's column, and still open, is suspect (the outermost).
    (unless suspect
      (match start
        ((l c)
         (set! suspect
           (find (match-lambda
                   ((ol oc) (and (< ol l) (>= oc c))))
                 (reverse open)))))))
  (let loop ((open '()))                ;list of (LINE COLUMN), innermost first
    (let* ((start (list line column))
           (first? fresh-line?)
           (c (next!)))
      (when (and first? (char? c) (not (char-whitespace? c)))
        (set! fresh-line? #f)
        (unless (memv c '(#\; #\) #\]))
          (check-indentation! open start)))
      (cond
       ((eof-object? c)
        (match open
          (() #f)
          ((innermost _ ...) (cons 'unclosed (or suspect innermost)))))
       ((char=? c #\;) (skip-line!) (loop open))
       ((char=? c #\")
        (or (skip-string! start)
            (begin (set! fresh-line? #f) (loop open))))
       ((memv c '(#\( #\[)) (loop (cons start open)))
       ((memv c '(#\) #\]))
        (if (null? open)
            (cons 'unexpected start)
            (loop (cdr open))))
       ((char=? c #\#)
        (case (peek)
          ((#\|)
           (next!)
           (or (skip-block-comment! start)
               (begin (set! fresh-line? #f) (loop open))))
          ((#\!)
           (next!)
           (or (skip-until! #\! #\# start 'comment)
               (begin (set! fresh-line? #f) (loop open))))
          ((#\{)
           (next!)
           (or (skip-until! #\} #\# start 'string) (loop open)))
          ((#\\)
           ;; A character: one character, then any letters or digits of
           ;; its name (#\space, #\x41).
           (next!)
           (next!)
           (let skip ()
             (let ((p (peek)))
               (when (and (char? p) (or (char-alphabetic? p) (char-numeric? p)))
                 (next!)
                 (skip))))
           (loop open))
          (else (loop open))))
       (else (loop open))))))

(define (split-reader-message message)
  "Split MESSAGE, a reader error message \"FILE:LINE:COLUMN: TEXT\", into
FILE, LINE, COLUMN and TEXT (four values), or return #f and MESSAGE."
  (let* ((parts (string-split message #\:))
         (n (length parts)))
    ;; Find the last "NUMBER:NUMBER: " followed by the text: the file name
    ;; may contain colons, the text too.
    (let loop ((i (- n 3)))
      (if (< i 1)
          (values #f #f #f message)
          (let ((l (string->number (list-ref parts i)))
                (c (string->number (list-ref parts (+ i 1))))
                (rest (string-join (drop parts (+ i 2)) ":")))
            (if (and l c (string-prefix? " " rest))
                (values (string-join (take parts i) ":") l c
                        (string-drop rest 1))
                (loop (- i 1))))))))

(define (read-error-diagnostic args)
  "Return the location and message of a reader error whose arguments are
ARGS."
  (match args
    ((_ (? string? fmt) fargs . _)
     (let*-values (((text) (apply simple-format #f fmt
                                  (if (list? fargs) fargs '())))
                   ((file line column reason) (split-reader-message text)))
       (let ((scan (and file (file-exists? file)
                        (false-if-exception
                         (call-with-input-file file scan-parentheses)))))
         (match scan
           (((and kind (or 'unclosed 'unexpected 'string 'comment)) l c)
            (values (location (file file) (line l) (column c))
                    (case kind
                      ((unclosed) "unbalanced parentheses: this one is never closed")
                      ((unexpected) "unbalanced parentheses: this one closes nothing")
                      ((string) "unterminated string")
                      ((comment) "unterminated block comment"))))
           (_
            (values (and file (file-exists? file)
                         (or (reader-error-location
                              file line column
                              ;; "Unknown # object: ~S" quotes what it read.
                              (match fargs
                                (((? string? token))
                                 (and (string-contains fmt
                                                       ": Unknown # object: ")
                                      token))
                                (_ #f)))
                             ;; Not found in the text: the character read
                             ;; last, if on this line.
                             (and (>= column 2)
                                  (location (file file) (line line)
                                            (column (- column 2))))))
                    reason))))))
    (_ (values #f "read error"))))

(define (reader-error-location file line column token)
  "Return the location in FILE of what a reader error is about, or #f.  The
reader gives LINE and COLUMN just after the last character it read, the
column 1-based; what is wrong is that character or, if TOKEN is a string,
the TOKEN it just read.  Subtracting from the column alone would be wrong
(negative) when that crosses a line, as in \"#\" at the end of a line, so
the position is found in the text, counted as the reader counts (a tab
advances to the next multiple of 8, an undecodable byte is one character)."
  (let ((text (false-if-exception
               (call-with-input-file file
                 (lambda (port)
                   (set-port-encoding! port "UTF-8")
                   (set-port-conversion-strategy! port 'substitute)
                   (let loop ((chars '()))
                     (let ((c (read-char port)))
                       (if (eof-object? c)
                           (list->string (reverse chars))
                           (loop (cons c chars))))))))))
    (and text
         (let ((n (string-length text))
               (want (- column 1)))
           ;; POSITIONS: the (LINE . COLUMN) before each character, and after
           ;; the last one.
           (let loop ((i 0) (l 1) (c 0) (positions '()))
             (define positions* (cons (cons l c) positions))
             (if (and (= l line) (= c want))
                 (let* ((all (list->vector (reverse positions*)))
                        (start (- i (if token (string-length token) 1))))
                   (and (>= start 0)
                        (match (vector-ref all start)
                          ((l . c)
                           (location (file file) (line l) (column c))))))
                 (and (< i n) (<= l line)
                      (let ((ch (string-ref text i)))
                        (cond ((char=? ch #\newline)
                               (loop (+ i 1) (+ l 1) 0 positions*))
                              ((char=? ch #\tab)
                               (loop (+ i 1) l (* 8 (+ 1 (quotient c 8)))
                                     positions*))
                              (else
                               (loop (+ i 1) l (+ c 1) positions*)))))))))))


;;;
;;; From exceptions to diagnostics.
;;;

(define (throw-arguments? args)
  "Return true if ARGS have the (SUBR FORMAT FORMAT-ARGS DATA) shape of
Guile's 'throw' errors."
  (match args
    (((or #f (? string?) (? symbol?)) (? string?) (or #f (? list?)) . _) #t)
    (_ #f)))

(define (one-line str)
  "Return STR with its lines joined by spaces and trimmed."
  (string-join (remove string-null?
                       (map string-trim-both (string-split str #\newline)))
               " "))

(define* (exception->message exn #:key lines?)
  "Return the message of EXN, an exception object, as a string: on one line,
or with LINES? on the lines it has (a core error listing several items)."
  (let ((kind (exception-kind exn))
        (args (exception-args exn)))
    ((if lines? string-trim-right one-line)
     (cond
      ((eq? kind 'quit) "exit")
      ((and (eq? kind 'syntax-error) (pair? args))
       (match args
         ((who (? string? message) _ form subform . _)
          (let ((shown (or subform form)))
            (string-append
             (if who (format #f "~a: " who) "")
             message
             (if (and shown (< (string-length message) 40)
                      (not (string-contains message "(")))
                 (format #f " in ~a" (truncate-string
                                      (format #f "~s" (syntax->datum shown))
                                      60))
                 ""))))
         (_ "syntax error")))
      ((and (eq? kind 'unbound-variable) (throw-arguments? args))
       (match args
         ((_ _ (name . _) . _) (format #f "unbound variable '~a'" name))
         (_ "unbound variable")))
      ((and (not (eq? kind '%exception)) (throw-arguments? args))
       (match args
         ((subr fmt fargs . _)
          (let ((message (catch #t
                           (lambda ()
                             (apply simple-format #f fmt (or fargs '())))
                           (lambda _ fmt))))
            (if (and subr (not (eq? kind 'ferrix-error)))
                (format #f "~a: ~a" subr message)
                message)))))
      ((exception-with-message? exn) (exception-message exn))
      (else
       (call-with-output-string
         (lambda (port)
           (print-exception port #f kind args))))))))

(define (truncate-string str width)
  (if (> (string-length str) width)
      (string-append (substring str 0 (- width 3)) "...")
      str))

(define (message-location message)
  "If MESSAGE starts with \"FILE:LINE:COLUMN: \" naming an existing file,
return its location and the rest of MESSAGE; else #f and MESSAGE."
  (let-values (((file line column rest) (split-reader-message message)))
    (if (and file (not (string-index file #\space)) (file-exists? file))
        (values (location (file file) (line line) (column column)) rest)
        (values #f message))))

;; The package being lowered or checked, for errors without a location.
(define %package-context (make-parameter #f))

(define (with-package-context package thunk)
  "Call THUNK; errors it raises are located at PACKAGE when nothing more
precise is known."
  (parameterize ((%package-context package))
    (thunk)))

(define (module-visible-names module)
  "Return the names bound in MODULE and in the modules it uses."
  (delete-duplicates
   (append (module-map (lambda (name var) name) module)
           (append-map (lambda (interface)
                         (module-map (lambda (name var) name) interface))
                       (module-uses module)))
   eq?))

(define (unbound-variable-hint name module)
  (if module
      (match (similar-strings (symbol->string name)
                              (map symbol->string
                                   (module-visible-names module)))
        ((best . _) (format #f " (did you mean '~a'?)" best))
        (() ""))
      ""))

(define (unbound-variable-location name file-of-stack)
  "Return the location of a reference to the unbound variable NAME, and the
module it was looked up in: in the form being evaluated, else the other
tracked forms (the package being lowered's file first), else the forms of
FILE-OF-STACK (a file being loaded by Guile's module system)."
  (define (search-entries entries)
    ;; ENTRIES: list of (MODULE . FORM)
    (any (match-lambda
           ((module . form)
            (let ((loc (reference-location name form module)))
              (and loc (cons loc module)))))
         entries))
  (define (tracked file)
    (reverse (hash-ref %tracked-forms file '())))
  (define (search-file file)
    ;; FILE was not tracked (a module loaded by Guile): look for the
    ;; identifier in its text.
    (any (lambda (form)
           (let ((loc (syntax-location (syntax-find-identifier name form))))
             (and loc (cons loc #f))))
         (read-syntax-file file)))
  (define package-file
    (let ((package (%package-context)))
      (and package (package-location package)
           (location-file (package-location package)))))
  (let ((found
         (or (match %active-forms
               (((file module form) . _)
                (search-entries (cons (cons module form) (tracked file))))
               (() #f))
             (and package-file (search-entries (tracked package-file)))
             (and package-file (null? (tracked package-file))
                  (search-file package-file))
             (any (compose search-entries tracked) %tracked-files)
             (and file-of-stack (search-file file-of-stack)))))
    (match found
      ((loc . module) (values loc module))
      (#f (values #f (match %active-forms
                       (((_ module _) . _) module)
                       (() #f)))))))

(define (stack-load-file stack)
  "Return the file that the innermost 'primitive-load' (or
'primitive-load-path', as Guile's module system loads a module given by -L)
of STACK is loading, or #f."
  (and stack
       (let loop ((i 0))
         (and (< i (stack-length stack))
              (let ((frame (stack-ref stack i)))
                (or (match (frame-procedure-name frame)
                      ('primitive-load
                       (match (frame-arguments frame)
                         (((? string? file) . _) file)
                         (_ #f)))
                      ('primitive-load-path
                       (match (frame-arguments frame)
                         (((? string? name) . _)
                          (or (%search-load-path name) name))
                         (_ #f)))
                      (_ #f))
                    (loop (+ i 1))))))))

(define (stack-evaluated-form stack)
  "Return the datum of the innermost top-level form that 'primitive-eval'
is evaluating in STACK (as a file is loaded), or #f."
  (and stack
       (let loop ((i 0))
         (and (< i (stack-length stack))
              (let ((frame (stack-ref stack i)))
                (or (and (eq? (frame-procedure-name frame) 'primitive-eval)
                         (match (frame-arguments frame)
                           ((form . _) form)
                           (_ #f)))
                    (loop (+ i 1))))))))

(define (loaded-form-location file datum origin)
  "Return the location, in FILE, of the call of ORIGIN (a symbol or #f)
within the top-level form whose datum is DATUM (#f if unknown), else of that
form, else #f: for run-time errors in a module loaded by Guile, whose forms
are not tracked.  With DATUM unknown, only a call of ORIGIN that is the only
one in FILE is located."
  (define (calls form)
    ;; The calls of ORIGIN in FORM, in source order.
    (let loop ((stx form))
      (append (match (syntax-children stx)
                (((? syntax? head) . _)
                 (if (and (pair? (syntax->datum stx))
                          (eq? (syntax->datum head) origin))
                     (list stx)
                     '()))
                (_ '()))
              (append-map loop (syntax-children stx)))))
  (let ((forms (read-syntax-file file)))
    (if datum
        (let ((form (find (lambda (form)
                            (equal? (syntax->datum form) datum))
                          forms)))
          (and form
               (or (and origin
                        (match (calls form)
                          ((call . _) (syntax-location call))
                          (() #f)))
                   (syntax-location form))))
        (and origin
             (match (append-map calls forms)
               ((call) (syntax-location call))
               (_ #f))))))

(define (form-location form)
  (syntax-location form))

(define (mentions-package? message package)
  "Return true if MESSAGE names PACKAGE as NAME@VERSION or NAME-VERSION."
  (let ((name (package-name package))
        (version (package-version package)))
    (and (string? name) (string? version)
         (or (string-contains message (string-append name "@" version))
             (string-contains message (string-append name "-" version))))))

(define (exception->diagnostic exn stack)
  "Return two values: the location (or #f) and the one-line message of EXN,
an exception object raised where STACK (or #f) was captured."
  (let ((kind (exception-kind exn))
        (args (exception-args exn))
        (package (%package-context))
        (active (match %active-forms
                  ((entry . _) entry)
                  (() #f))))
    (define (package-fallback)
      (and package (package-location package)))
    (define (active-fallback)
      (match active
        ((file module form) (form-location form))
        (#f #f)))
    (cond
     ((diagnostic-error? exn)
      (values (diagnostic-error-location exn) (exception->message exn)))
     ((eq? kind 'read-error)
      (read-error-diagnostic args))
     ((eq? kind 'syntax-error)
      (values (match args
                ((_ _ (? pair? props) . _)
                 (or (and (assq-ref props 'filename)
                          (source-properties->location props))
                     (active-fallback)))
                (_ (active-fallback)))
              (exception->message exn)))
     ((eq? kind 'unbound-variable)
      (let* ((name (match args
                     ((_ _ ((? symbol? name) . _) . _) name)
                     (_ #f)))
             (message (exception->message exn)))
        (if name
            (let-values (((loc module)
                          (unbound-variable-location
                           name (stack-load-file stack))))
              (values (or loc (active-fallback) (package-fallback))
                      (string-append message
                                     (unbound-variable-hint name module))))
            (values (or (active-fallback) (package-fallback)) message))))
     ((eq? kind 'ferrix-error)
      ;; Failures of the store and other core errors: not the package's.
      ;; Their lines are kept: a list of what is missing reads as one.
      (values #f (exception->message exn #:lines? #t)))
     ((build-system-argument-error? exn)
      ;; Raised by the build system's 'lower', which knows the package by
      ;; NAME-VERSION only: locate it in PACKAGE if that is the one.
      (values (or (and package (package? package)
                       (string? (package-name package))
                       (string? (package-version package))
                       (equal? (build-system-argument-error-name exn)
                               (package-store-name package))
                       (argument-location
                        package (build-system-argument-error-keyword exn)))
                  (package-fallback))
              (exception->message exn)))
     ((package-error? exn)
      (values (let ((p (package-error-package exn)))
                (or (and (package? p)
                         (if (package-input-error? exn)
                             (input-field-location
                              p (package-error-invalid-input exn))
                             (package-location p)))
                    (package-fallback)))
              (exception->message exn)))
     (else
      (let-values (((loc message)
                    (message-location (exception->message exn))))
        (values
         (or loc
             (and (not active) stack
                  (let ((file (stack-load-file stack))
                        (datum (stack-evaluated-form stack)))
                    (and file
                         (loaded-form-location
                          file datum
                          (and (exception-with-origin? exn)
                               (let ((origin (exception-origin exn)))
                                 (cond ((symbol? origin) origin)
                                       ((string? origin)
                                        (string->symbol origin))
                                       (else #f))))))))
             (and active
                  (match active
                    ((file module form)
                     (or (and (exception-with-origin? exn)
                              (let ((origin (exception-origin exn)))
                                (and (or (string? origin) (symbol? origin))
                                     (call-location
                                      (if (symbol? origin)
                                          origin
                                          (string->symbol origin))
                                      form module))))
                         (form-location form)))))
             (package-fallback))
         (if (and package (not active) (not (package-error? exn))
                  (not (mentions-package? message package)))
             (format #f "~a: ~a" (package-full-name package) message)
             message)))))))


;;;
;;; Checking packages.
;;;

(define (field-location package field)
  "Return the location of the FIELD clause of the 'package' form that made
PACKAGE, else the location of that form, else #f."
  (or (syntax-location (field-syntax package field))
      (package-location package)))

(define (argument-location package keyword)
  "Return the location of KEYWORD in the 'arguments' clause of PACKAGE,
else that of the clause, else that of PACKAGE, else #f."
  (or (let ((clause (field-syntax package 'arguments)))
        (and clause keyword
             (syntax-location
              (syntax-find (lambda (stx) (eq? (syntax->datum stx) keyword))
                           clause))))
      (field-location package 'arguments)))

(define (field-syntax package field)
  "Return the syntax object of the FIELD clause of the 'package' form that
made PACKAGE, or #f."
  (let ((loc (package-location package)))
    (and loc
         (let* ((file (location-file loc))
                (forms (if (hash-ref %tracked-forms file)
                           (map cdr (reverse (hash-ref %tracked-forms file)))
                           (and file (read-syntax-file file))))
                (form (and forms
                           (any (cut syntax-find
                                     (lambda (stx)
                                       (let ((l (syntax-location stx)))
                                         (and l
                                              (pair? (syntax->datum stx))
                                              (= (location-line l)
                                                 (location-line loc))
                                              (= (location-column l)
                                                 (location-column loc)))))
                                     <>)
                                forms))))
           (and form
                (find (lambda (clause)
                        (let ((datum (syntax->datum clause)))
                          (and (pair? datum) (eq? (car datum) field))))
                      (syntax-children form)))))))

(define (input-field-location package input)
  "Return the location of the input field of PACKAGE that holds INPUT."
  (let ((field (find (lambda (field+accessor)
                       (member input
                               (false-if-exception
                                ((cdr field+accessor) package))))
                     `((inputs . ,package-inputs)
                       (native-inputs . ,package-native-inputs)
                       (propagated-inputs . ,package-propagated-inputs)))))
    (cond (field (field-location package (car field)))
          ((match input
             ((_ object . _) (eq? object (package-source package)))
             (_ #f))
           (field-location package 'source))
          (else (package-location package)))))

(define (check-package package)
  "Check the fields of PACKAGE whose type lowering relies on, computing its
thunked fields; raise a &diagnostic-error located at the faulty field."
  (define (fail field fmt . args)
    (raise-diagnostic-error (field-location package field)
                            "~a: field '~a': ~a"
                            (describe-package package) field
                            (apply format #f fmt args)))
  (define (check field value ok? expected)
    (unless (ok? value)
      (fail field "expected ~a, got ~s" expected value)))
  (define (computed field thunk)
    ;; Compute a thunked field; an error doing so is located at it.
    (with-exception-handler
        (lambda (exn)
          (if (or (diagnostic-error? exn) (eq? (exception-kind exn) 'quit)
                  (eq? (exception-kind exn) 'unbound-variable))
              (raise-exception exn)
              (raise-diagnostic-error (field-location package field)
                                      "~a: field '~a': ~a"
                                      (describe-package package) field
                                      (exception->message exn))))
      thunk))
  (define (string-list? x) (and (list? x) (every string? x)))
  (define (check-store-name field value)
    ;; VALUE, a non-empty string, becomes part of store file names; only
    ;; the name starts one.
    (match (store-name-problem value (eq? field 'name))
      (#f #t)
      (problem (fail field "expected ~a made of letters, digits and \
\"+-._?=\"~a (it becomes part of store file names), got ~s: ~a"
                     (case field
                       ((name) "a name")
                       ((version) "a version")
                       (else "output names"))
                     (if (eq? field 'name) ", not starting with '.'" "")
                     value problem))))
  (check 'name (package-name package)
         (lambda (x) (and (string? x) (not (string-null? x))))
         "a non-empty string")
  (check-store-name 'name (package-name package))
  (check 'version (package-version package) string? "a string")
  (check 'version (package-version package)
         (negate string-null?) "a non-empty string")
  (check-store-name 'version (package-version package))
  (check 'build-system (package-build-system package) build-system?
         "a build system such as cargo-build-system")
  (check 'outputs (package-outputs package)
         (lambda (x) (and (pair? x) (string-list? x)))
         "a non-empty list of output names (strings)")
  (for-each (cut check-store-name 'outputs <>) (package-outputs package))
  ;; The longest store file names made of them: NAME-VERSION-OUTPUT for an
  ;; output other than "out", NAME-VERSION.drv.
  (let ((longest (fold (lambda (output longest)
                         (let ((name (if (string=? output "out")
                                         (string-append (package-store-name
                                                         package)
                                                        ".drv")
                                         (string-append (package-store-name
                                                         package)
                                                        "-" output))))
                           (if (> (string-length name) (string-length longest))
                               name
                               longest)))
                       "" (package-outputs package))))
    (when (> (string-length longest) %store-name-max-length)
      (fail 'name "name and version make the store file name ~s of ~a \
characters (at most ~a are allowed)" longest (string-length longest)
            %store-name-max-length)))
  (check 'synopsis (package-synopsis package) string? "a string")
  (check 'description (package-description package) string? "a string")
  (check 'home-page (package-home-page package)
         (lambda (x) (or (not x) (string? x))) "a string or #f")
  (check 'supported-systems (package-supported-systems package)
         string-list? "a list of system names (strings)")
  (check 'properties (package-properties package)
         (lambda (x) (and (list? x) (every pair? x))) "an association list")
  (for-each (lambda (field accessor)
              (computed field (lambda () (accessor package))))
            '(inputs native-inputs propagated-inputs)
            (list package-inputs package-native-inputs
                  package-propagated-inputs))
  (let ((arguments (computed 'arguments
                             (lambda () (package-arguments package)))))
    (unless (and (list? arguments) (keyword-list? arguments))
      (fail 'arguments "expected a list of keyword arguments \
(#:KEYWORD VALUE ...), got ~s" arguments))))

(define %store-name-max-length
  ;; The longest name a store file name can have after its hash (Nix's).
  211)

(define (store-name-char? c)
  (or (and (char<=? #\a c) (char<=? c #\z))
      (and (char<=? #\A c) (char<=? c #\Z))
      (and (char<=? #\0 c) (char<=? c #\9))
      (memv c '(#\+ #\- #\. #\_ #\? #\=))))

(define (store-name-problem str start?)
  "Return why STR, a non-empty string, cannot be part of a store file name
(with START?, begin one), as a phrase, or #f if it can."
  (cond ((string-index str (negate store-name-char?))
         => (lambda (i)
              (let ((c (string-ref str i)))
                (if (or (char=? c #\space)
                        (char-set-contains? char-set:graphic c))
                    (format #f "'~a' is not allowed" c)
                    (format #f "the character U+~a is not allowed"
                            (string-pad (string-upcase
                                         (number->string (char->integer c) 16))
                                        4 #\0))))))
        ((and start? (char=? #\. (string-ref str 0)))
         "it starts with '.'")
        (else #f)))

(define (package-store-name package)
  "Return NAME-VERSION of PACKAGE, the name of its store items."
  (string-append (package-name package) "-" (package-version package)))

(define (keyword-list? lst)
  (match lst
    (() #t)
    (((? keyword?) _ rest ...) (keyword-list? rest))
    (_ #f)))

(define (describe-package package)
  (let ((name (package-name package))
        (version (package-version package)))
    (if (and (string? name) (string? version))
        (string-append name "@" version)
        (format #f "~a" name))))


;;;
;;; Reporting.
;;;

(define (report-diagnostic location message)
  "Print MESSAGE as an error at LOCATION (or without one) on the error port."
  (force-output (current-output-port))
  (if location
      (format (current-error-port) "~a: error: ~a~%"
              (location->display-string location) message)
      (format (current-error-port) "ferrix: error: ~a~%" message))
  (force-output (current-error-port)))

(define* (call-with-error-reporting thunk #:key debug?)
  "Call THUNK.  If it raises an error, report it as FILE:LINE:COLUMN: error:
REASON (see the commentary) and exit with status 1; with DEBUG?, print the
backtrace first.  'exit' passes through."
  (let ((tag (make-prompt-tag "ferrix-error")))
    (call-with-prompt tag
      (lambda ()
        (with-exception-handler
            (lambda (exn)
              (if (eq? (exception-kind exn) 'quit)
                  (raise-exception exn)
                  (let ((stack (make-stack #t raise-exception)))
                    (let-values (((location message)
                                  (catch #t
                                    (lambda ()
                                      (exception->diagnostic exn stack))
                                    (lambda _
                                      (values #f
                                              (false-if-exception
                                               (exception->message exn)))))))
                      (abort-to-prompt tag location
                                       (or message "unknown error")
                                       (and debug? stack))))))
          thunk))
      (lambda (k location message stack)
        (when stack
          (display "Backtrace:\n" (current-error-port))
          (display-backtrace stack (current-error-port))
          (newline (current-error-port)))
        (report-diagnostic location message)
        (exit 1)))))


;;;
;;; Suggestions.
;;;

;;; diagnostics.scm ends here

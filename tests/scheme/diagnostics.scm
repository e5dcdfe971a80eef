;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of (ferrix diagnostics): the parenthesis scanner, reader messages,
;;; edit distances and suggestions, and the locations found for errors
;;; raised while package files are loaded and their packages checked.  Run
;;; by CTest with the build tree's modules and extension; exits non-zero
;;; when a test fails.

(use-modules (ferrix tests)
             (ferrix diagnostics)
             (ferrix packages)
             (srfi srfi-1)
             (srfi srfi-11)
             (srfi srfi-34)
             (srfi srfi-35)
             (srfi srfi-64)
             (ice-9 match))


(define %tmp
  (test-directory "diag"))

(define scan-parentheses (@@ (ferrix diagnostics) scan-parentheses))

(define (scan text)
  (call-with-input-string text scan-parentheses))

(define (write-file name text)
  (let ((file (string-append %tmp "/" name)))
    (call-with-output-file file (lambda (port) (display text port)))
    file))

(define (diagnostic-of thunk)
  "Call THUNK; return (LINE COLUMN MESSAGE) of the error it raises, as the
commands would report it, or 'no-error."
  (let ((tag (make-prompt-tag)))
    (call-with-prompt tag
      (lambda ()
        (with-exception-handler
            (lambda (exn)
              (let-values (((loc message)
                            (exception->diagnostic exn (make-stack #t))))
                (abort-to-prompt tag
                                 (list (and loc (location-line loc))
                                       (and loc (location-column loc))
                                       message))))
          (lambda () (thunk) 'no-error)))
      (lambda (k result) result))))

(define %package-header
  "(use-modules (ferrix packages) (ferrix build-system cargo))\n")

(test-begin "diagnostics")

;;; The scanner.

(test-equal "balanced" #f (scan "(a (b \"(\" c) ; )\n #\\( #\\) #| ( |# d)"))
(test-equal "innermost unclosed at the end" '(unclosed 2 2)
  (scan "(a\n  (b (c)"))
(test-equal "a line starting left of an open parenthesis"
  '(unclosed 2 2)
  (scan "(define x\n  (list 1\n  (f 2))"))
(test-equal "closing parenthesis that closes nothing" '(unexpected 1 5)
  (scan "(a b))\n"))
(test-equal "unterminated string" '(string 2 3) (scan "(a)\n(b \"c)\n"))
(test-equal "unterminated block comment" '(comment 1 4) (scan "(a) #| (b)"))
(test-equal "characters are not parentheses" #f (scan "(list #\\) #\\( #\\space)"))
(test-equal "tabs advance to multiples of 8" '(unexpected 1 8) (scan "\t)"))

;;; Reader messages, distances.

(test-equal "split a reader message"
  '("/a:b/c.scm" 3 7 "unexpected \")\"")
  (call-with-values
      (lambda () (split-reader-message "/a:b/c.scm:3:7: unexpected \")\""))
    list))
(test-equal "edit distance" 3 (string-distance "kitten" "sitting"))
(test-equal "a swap counts once" 1 (string-distance "top" "tpo"))
(test-equal "suggestions, closest first"
  '("cargo-build-system")
  (similar-strings "cargo-bulid-system"
                   '("cargo-build-system" "gnu-build-system" "origin")))
(test-equal "no suggestion for short names" '() (similar-strings "y" '("x" "*")))

;;; Locations of errors in package files.

(define good
  (write-file "good.scm"
              (string-append %package-header "
(define-public p
  (package
    (name \"p\")
    (version \"1.0\")
    (build-system cargo-build-system)))
p
")))

(test-assert "a good file loads" (package? (load-package-file/located good)))

(test-equal "unknown field"
  '(6 4 "package: extraneous field initializers (verison)")
  (diagnostic-of
   (lambda ()
     (load-package-file/located
      (write-file "field.scm"
                  (string-append %package-header "
(define-public p
  (package
    (name \"p\")
    (verison \"1.0\")
    (build-system cargo-build-system)))
"))))))

(test-equal "unbound variable, with a suggestion"
  '(7 18 "unbound variable 'cargo-build-sytem' (did you mean 'cargo-build-system'?)")
  (diagnostic-of
   (lambda ()
     (load-package-file/located
      (write-file "unbound.scm"
                  (string-append %package-header "
(define-public p
  (package
    (name \"p\")
    (version \"1.0\")
    (build-system cargo-build-sytem)))
"))))))

(test-equal "wrong argument type: the call"
  '(4 18 "string-append: Wrong type (expecting string): 2")
  (diagnostic-of
   (lambda ()
     (load-package-file/located
      (write-file "type.scm"
                  (string-append %package-header "
(define x 1)
(define y (list x (string-append \"a\" 2)))
"))))))

(test-equal "reader error: unclosed parenthesis"
  '(4 2 "unbalanced parentheses: this one is never closed")
  (diagnostic-of
   (lambda ()
     (load-package-file/located
      (write-file "paren.scm"
                  (string-append %package-header "
(define x
  (list 1
  (list 2))
(define y 2)
"))))))

(test-equal "a field of the wrong type, found when checking"
  '(7 2 "p: field 'version': expected a string, got 1.0")
  (diagnostic-of
   (lambda ()
     (check-package
      (load-package-file/located
       (write-file "version.scm"
                   (string-append %package-header "
(package
  (name \"p\")
  (build-system cargo-build-system)
  (synopsis \"P\")
  (version 1.0))
")))))))

(test-equal "an error in a thunked field, found when checking"
  '(6 2 "p@1: field 'inputs': car: Wrong type argument in position 1 (expecting pair): ()")
  (diagnostic-of
   (lambda ()
     (check-package
      (load-package-file/located
       (write-file "thunk.scm"
                   (string-append %package-header "
(package
  (name \"p\") (version \"1\")
  (build-system cargo-build-system)
  (inputs (list (car (list)))))
")))))))

(test-equal "errors while lowering are located at the package"
  '(3 0 "p@1: something went wrong")
  (diagnostic-of
   (lambda ()
     (let ((p (load-package-file/located
               (write-file "context.scm"
                           (string-append %package-header "
(package
  (name \"p\") (version \"1\")
  (build-system cargo-build-system))
")))))
       (with-package-context p (lambda () (error "something went wrong")))))))

(test-equal "raise-diagnostic-error"
  '(#f #f "something: 42")
  (diagnostic-of (lambda () (raise-diagnostic-error #f "something: ~a" 42))))

(test-equal "file names relative to the current directory"
  "x/y.scm:3:4"
  (location->display-string
   (source-properties->location
    `((filename . ,(string-append (getcwd) "/x/y.scm")) (line . 2) (column . 4)))))

(test-end "diagnostics")

(delete-test-directory %tmp)
(exit-with-test-status)

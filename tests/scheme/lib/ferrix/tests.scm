;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix tests): what every SRFI-64 test file under tests/scheme shares.
;;; Importing it installs a runner that logs to standard output only and
;;; prints the expected and actual values of a failed test; a test file
;;; ends with (exit-with-test-status), which exits non-zero when any test
;;; failed or unexpectedly passed.  Not installed: tests only.

(define-module (ferrix tests)
  #:use-module (srfi srfi-64)
  #:export (test-directory
            delete-test-directory
            ferrix-error-of
            exit-with-test-status))

(define %failures 0)

(set! test-log-to-file #f)
(test-runner-factory
 (lambda ()
   (let ((runner (test-runner-simple)))
     (test-runner-on-test-end!
      runner
      (lambda (runner)
        (test-on-test-end-simple runner)
        (when (memq (test-result-kind runner) '(fail xpass))
          (set! %failures (+ 1 %failures))
          (for-each (lambda (key)
                      (let ((value (test-result-ref runner key '%none)))
                        (unless (eq? value '%none)
                          (format #t "  ~a: ~s~%" key value))))
                    '(expected-value actual-value actual-error)))))
     runner)))

(define (test-directory prefix)
  "Return a fresh directory whose name starts with PREFIX, under $TEST_TMP
(set by CTest) or /tmp."
  (mkdtemp (string-append (or (getenv "TEST_TMP") "/tmp") "/" prefix "-XXXXXX")))

(define (delete-test-directory directory)
  "Delete DIRECTORY, including the read-only store items in it."
  (system* "chmod" "-R" "u+w" directory)
  (system* "rm" "-rf" directory))

(define (ferrix-error-of thunk)
  "Call THUNK; return (KIND MESSAGE) of the ferrix-error it raises, or #f."
  (catch 'ferrix-error
    (lambda () (thunk) #f)
    (lambda args
      ;; Resolved here so that tests without a store need no extension.
      (list ((@ (ferrix store) ferrix-error-kind) args)
            ((@ (ferrix store) ferrix-error-message) args)))))

(define (exit-with-test-status)
  "Exit with status 0 if no test failed or unexpectedly passed, 1 otherwise."
  (exit (if (zero? %failures) 0 1)))

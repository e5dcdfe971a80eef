;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of the compiled package files of 'load-package-file' (ferrix
;;; package-files): the second load (and lowering) of unchanged contents
;;; compiles them, later loads use the compiled code, a file that loads but
;;; is not lowered is not compiled, and any change (the file, a module it uses)
;;; or an error brings back the interpreter.  Whether a load was interpreted
;;; is seen through a macro of the test files that counts its expansions:
;;; compiled code is not expanded again.  Run from the source directory as:
;;;   GUILE_EXTENSIONS_PATH=build/guile \
;;;     guile -L modules -L build/modules --no-auto-compile \
;;;       tests/scheme/package-file-cache.scm

(use-modules (ferrix tests)
             (ferrix packages)
             (ferrix package-files)
             (ferrix discovery)
             (ferrix diagnostics)
             (srfi srfi-1)
             (srfi srfi-64)
             (ice-9 ftw))

(define %test-directory
  (test-directory "package-file-cache"))
(setenv "XDG_CACHE_HOME" (string-append %test-directory "/cache"))
(define %cache (string-append %test-directory "/cache/ferrix/package-files"))
(define %modules (string-append %test-directory "/modules"))
(mkdir %modules)
(mkdir (string-append %modules "/counting"))
(add-to-package-module-path! %modules)

;; (counting macros): 'counted' expands to its argument and adds one to
;; $EXPANSIONS each time it is expanded.
(define %macros (string-append %modules "/counting/macros.scm"))
(define (write-macros! suffix)
  (call-with-output-file %macros
    (lambda (port)
      (format port "(define-module (counting macros) #:export (counted))
(define-syntax counted
  (lambda (s)
    (setenv \"EXPANSIONS\"
            (number->string (+ 1 (string->number (or (getenv \"EXPANSIONS\") \"0\")))))
    (syntax-case s () ((_ x) #'x))))
;; ~a~%" suffix))))
(write-macros! "version 1")

(define (expansions)
  (string->number (or (getenv "EXPANSIONS") "0")))

(define %file (string-append %test-directory "/pkg.scm"))
(define (write-package-file! version)
  (call-with-output-file %file
    (lambda (port)
      (format port "(use-modules (counting macros))
(define-public counted-hello
  (package
    (name \"counted-hello\")
    (version (counted ~s))
    (source #f)
    (build-system cargo-build-system)
    (synopsis \"s\") (description \"d\") (license #f) (home-page #f)))
(when (getenv \"FAIL_AT_LOAD\") (error \"failing on purpose\"))
counted-hello~%" version))))
(write-package-file! "1.0")

(define (cache-files suffix)
  (filter (lambda (name) (string-suffix? suffix name))
          (or (scandir %cache) '())))

(define (load-counting)
  "Load %file as 'ferrix build' does (loading, then lowering succeeded);
return (VERSION . EXPANSIONS-DURING-THE-LOAD)."
  (let* ((before (expansions))
         (package (load-package-file/located %file)))
    (package-files-lowered!)
    (cons (package-version package) (- (expansions) before))))

(test-begin "package-file-cache")

(test-equal "first load: interpreted, not compiled"
  '(("1.0" . 1) ())
  (list (load-counting) (cache-files ".go")))

(test-equal "second load: interpreted, then compiled (one more expansion)"
  '(("1.0" . 2) 1 1)
  (list (load-counting) (length (cache-files ".go"))
        (length (cache-files ".deps"))))

(test-equal "third and fourth loads: the compiled code, no expansion"
  '(("1.0" . 0) ("1.0" . 0))
  (list (load-counting) (load-counting)))

(test-equal "the package's location is the file's, compiled or not"
  (list %file 3)
  (let ((loc (package-location (load-package-file %file))))
    (list (location-file loc) (location-line loc))))

(test-equal "changed contents: interpreted again"
  '("2.0" . 1)
  (begin
    (write-package-file! "2.0")
    (load-counting)))

(test-equal "a changed module the file uses: interpreted again, then recompiled"
  '(("2.0" . 0) ("2.0" . 1) ("2.0" . 2) ("2.0" . 0))
  (let ((compiled (begin (load-counting) (load-counting))))
    ;; The module is not reloaded in this process; what matters is that the
    ;; compiled code, which inlines its macro, is no longer trusted.
    (write-macros! "version 2, a different size")
    (let* ((first (load-counting))
           (second (load-counting)))
      (list compiled first second (load-counting)))))

(test-assert "an error from the compiled code: the file is interpreted, the error raised, the code dropped"
  (let ((go-before (cache-files ".go"))
        (before (expansions)))
    (setenv "FAIL_AT_LOAD" "1")
    (let ((raised (catch #t
                    (lambda () (load-package-file/located %file) #f)
                    (lambda _ #t))))
      (unsetenv "FAIL_AT_LOAD")
      ;; The entry of version 1.0's contents is still there, unused.
      (and raised
           (= 2 (length go-before))
           (= 1 (- (expansions) before)) ;interpreted once, not compiled
           (= 1 (length (cache-files ".go")))))))

(test-equal "a file that includes another is never compiled"
  '((("1.0" . 1) ("1.0" . 1) ("1.0" . 1)) 1)
  (let ((file (string-append %test-directory "/including.scm")))
    (write-package-file! "1.0")
    (copy-file %file (string-append %test-directory "/part.scm"))
    (call-with-output-file file
      (lambda (port)
        (write '(include "part.scm") port)))
    (let ((results (map (lambda (i)
                          (let* ((before (expansions))
                                 (package (load-package-file file)))
                            (package-files-lowered!)
                            (cons (package-version package)
                                  (- (expansions) before))))
                        '(1 2 3))))
      (write-package-file! "2.0")
      (list results (length (cache-files ".go"))))))

(test-equal "no cache directory at all: loads as before"
  '("2.0" . 1)
  (let ((home (getenv "HOME")))
    (unsetenv "XDG_CACHE_HOME")
    (unsetenv "HOME")
    (let ((result (load-counting)))
      (setenv "HOME" home)
      (setenv "XDG_CACHE_HOME" (string-append %test-directory "/cache"))
      result)))

(test-equal "loaded twice but never lowered: not compiled"
  '(("3.0" . 1) ("3.0" . 1) ("3.0" . 1))
  (begin
    (write-package-file! "3.0")
    (map (lambda (i)
           (let ((before (expansions)))
             (cons (package-version (load-package-file %file))
                   (- (expansions) before))))
         '(1 2 3))))

(test-end "package-file-cache")

(delete-test-directory %test-directory)
(exit-with-test-status)

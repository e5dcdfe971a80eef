;;; ferrix --- functional package builder for Rust crates
;;;
;;; Embedding ferrix in a Guile program: define a package, lower it to its
;;; derivation, build it in the default store (FERRIX_STORE, else
;;; ~/.local/share/ferrix), and capture the build's output through an
;;; observer instead of letting ferrix draw it on the terminal.  Run it with
;;; a guile that finds the ferrix modules (see "Scheme API" in the manual):
;;;
;;;   guile examples/embed.scm
;;;
;;; It prints the captured lines that came from cargo, the output's store
;;; file name, and exits with status 1 if the build failed.

(use-modules (ferrix store)
             (ferrix packages)
             (ferrix derivations)
             (ferrix build-system cargo)
             (ice-9 format)
             (ice-9 match)
             (srfi srfi-1))

(define hello
  (package
    (name "hello")
    (version "0.1.0")
    ;; examples/hello, beside this file.
    (source (local-file "hello"
                        #:recursive? #t
                        #:select? (lambda (file stat)
                                    (not (member (basename file)
                                                 '("target" "Cargo.lock"))))))
    (build-system cargo-build-system)
    (arguments '(#:install-source? #f))
    (synopsis "Print a greeting")
    (description "examples/hello, built from a Guile program.")
    (license "GPL-3.0-or-later")
    (home-page #f)))

(define captured '())                   ;the builders' lines, newest first

(define (observe event)
  "Record EVENT, an alist whose first pair is (kind . KIND), as it comes."
  (match (assq-ref event 'kind)
    ('log-line                          ;an empty line has no 'text
     (set! captured (cons (or (assq-ref event 'text) "") captured)))
    ('started
     (format #t "building ~a~%" (assq-ref event 'name)))
    ('failed
     (format #t "failed: ~a~%log: ~a~%" (assq-ref event 'text)
             (assq-ref event 'log-file)))
    (_ #t)))

(with-store store
  (let* ((drv (package-derivation store hello))
         (result (false-if-exception
                  (build-derivations store (list drv) #:observer observe)))
         (lines (reverse captured)))
    (format #t "captured ~a lines~%" (length lines))
    (for-each (lambda (line)
                (when (string-contains line "Compiling")
                  (format #t "cargo said: ~a~%" (string-trim line))))
              lines)
    (match result
      (((("out" . out))) (format #t "output: ~a~%" out))
      (_ (format #t "the build failed~%") (exit 1)))))

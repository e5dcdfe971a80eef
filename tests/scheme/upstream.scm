;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of (ferrix upstream) without a registry: which packages are crate
;;; packages, the S-expression scanner, and rewriting a package's version
;;; and hash in its file (tests/registry/refresh.sh runs the whole updater
;;; against a served registry).

(use-modules (ferrix tests)
             (ferrix upstream)
             (ferrix packages)
             (ferrix discovery)
             (ferrix package-files)
             (srfi srfi-1)
             (srfi srfi-34)
             (srfi srfi-35)
             (srfi srfi-64)
             (ice-9 ftw)
             (ice-9 string-fun)
             (ice-9 textual-ports))

(define %tmp (test-directory "upstream"))

(define (write-file name text)
  (let ((file (string-append %tmp "/" name)))
    (call-with-output-file file (lambda (port) (put-string port text)))
    file))

(define (read-file file)
  (call-with-input-file file get-string-all))

(define (package-in file name)
  (load-package-file file)
  (find (lambda (p) (and (string=? (package-name p) name)
                         (equal? (location-file (package-location p))
                                 (canonicalize-path file))))
        (fold-packages cons '())))

(define h1 "0ssi1wpaf7plaswqqjwigppsg5fyh99vdlb9kzl7c9lng89ndq1i")
(define h2 "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s")

(define (upstream-message thunk)
  (guard (c ((upstream-error? c) (condition-message c)))
    (thunk)
    #f))

(test-begin "upstream")

(test-group "S-expressions"
  (define text "(a \"b)\" #\\) ; c)\n #| d) |# #;(e) (f [g]) 'h `(i ,j ,@k) #(l))x")
  (test-equal "the end of a form with strings, characters and comments"
    (- (string-length text) 1)
    (sexp-end text 0))
  (test-equal "its children"
    '("a" "\"b)\"" "#\\)" "(f [g])" "'h" "`(i ,j ,@k)" "#(l)")
    (map (lambda (c) (substring text (car c) (cdr c)))
         (sexp-children text 0)))
  (test-equal "a symbol ends at a delimiter" 3 (sexp-end "abc)" 0))
  (test-equal "#\\space" 7 (sexp-end "#\\space)" 0))
  (test-error "unbalanced" #t (sexp-end "(a (b)" 0)))

(define defs
  (string-append
   ";; Definitions.\n"
   "(define-public rust-foo\n"
   "  (package\n"
   "    (name \"rust-foo\")  ; (version \"9.9.9\") in a comment\n"
   "    (version \"1.0.0\")\n"
   "    (source (origin\n"
   "              (method url-fetch)\n"
   "              (uri (crate-uri \"foo\" \"1.0.0\"))\n"
   "              (sha256 (base32 \"" h1 "\"))))\n"
   "    (build-system cargo-build-system)\n"
   "    (arguments '(#:phases (version \"1.0.0\")))\n"
   "    (synopsis \"Foo 1.0.0\")\n"
   "    (description \"x\")\n"
   "    (license #f)))\n"
   "\n"
   "(define-public rust-bar\n"
   "\t(package\n"
   "\t  (name \"rust-bar\") (version \"0.1.0\")\n"
   "\t  (source (origin (method url-fetch)\n"
   "\t\t\t  (uri \"https://static.example/crates/bar/bar-0.1.0.crate\")\n"
   "\t\t\t  (sha256 (base32 \"" h1 "\"))))\n"
   "\t  (build-system cargo-build-system)\n"
   "\t  (synopsis \"x\") (description \"x\") (license #f)))\n"
   "\n"
   "(define-public rust-baz\n"
   "  (package\n"
   "    (name \"rust-baz\")\n"
   "    (version \"2.0.0\")\n"
   "    (source (origin\n"
   "              (method url-fetch)\n"
   "              (uri \"mirror://crates/baz/2.0.0/download\")\n"
   "              (sha256 (base32 \"" h1 "\"))))\n"
   "    (build-system cargo-build-system)\n"
   "    (synopsis \"x\") (description \"x\") (license #f)))\n"
   "\n"
   "(define-public rust-inherited\n"
   "  (package\n"
   "    (inherit rust-foo)\n"
   "    (name \"rust-inherited\")\n"
   "    (version \"1.0.0\")))\n"
   "\n"
   "(define-public not-a-crate\n"
   "  (package\n"
   "    (name \"not-a-crate\")\n"
   "    (version \"1.0\")\n"
   "    (source #f)\n"
   "    (build-system cargo-build-system)\n"
   "    (properties '((crate-name . \"qux\")))\n"
   "    (synopsis \"x\") (description \"x\") (license #f)))\n"))

(define file (write-file "defs.scm" defs))
(define foo (package-in file "rust-foo"))
(define bar (package-in file "rust-bar"))
(define baz (package-in file "rust-baz"))
(define inherited (package-in file "rust-inherited"))
(define not-a-crate (package-in file "not-a-crate"))

(test-group "crate packages"
  (test-equal "crate-uri" '("foo" "1.0.0")
    (list (package-crate-name foo) (package-crate-version foo)))
  (test-equal "a NAME-VERSION.crate URL" '("bar" "0.1.0")
    (list (package-crate-name bar) (package-crate-version bar)))
  (test-equal "mirror://crates/" '("baz" "2.0.0")
    (list (package-crate-name baz) (package-crate-version baz)))
  (test-equal "a crate-name property" '("qux" "1.0")
    (list (package-crate-name not-a-crate) (package-crate-version not-a-crate)))
  (test-assert "crate-package?" (every crate-package? (list foo bar baz inherited))))

(test-group "rewriting"
  (update-packages-in-files (list (list foo "1.0.0" "1.2.0" h2)
                                  (list bar "0.1.0" "0.1.10" h2)
                                  (list baz "2.0.0" "2.1.0" h2)))
  (define new (read-file file))
  (define expected
    (let* ((s defs)
           (s (string-replace-substring s "    (version \"1.0.0\")\n    (source"
                                        "    (version \"1.2.0\")\n    (source"))
           (s (string-replace-substring s "(crate-uri \"foo\" \"1.0.0\")"
                                        "(crate-uri \"foo\" \"1.2.0\")"))
           (s (string-replace-substring s "(version \"0.1.0\")" "(version \"0.1.10\")"))
           (s (string-replace-substring s "bar/bar-0.1.0.crate" "bar/bar-0.1.10.crate"))
           (s (string-replace-substring s "(version \"2.0.0\")" "(version \"2.1.0\")"))
           (s (string-replace-substring s "baz/2.0.0/download" "baz/2.1.0/download")))
      ;; Hashes: the three crate packages' only.
      (string-replace-substring s h1 h2)))
  (test-equal "only the versions, URIs and hashes of those packages changed"
    expected new)
  (test-assert "comments, arguments and synopses untouched"
    (and (string-contains new "; (version \"9.9.9\") in a comment")
         (string-contains new "(#:phases (version \"1.0.0\"))")
         (string-contains new "(synopsis \"Foo 1.0.0\")")))
  (test-equal "no temporary file left" '("defs.scm")
    (scandir %tmp (lambda (f) (not (member f (list "." "..")))))))

(test-group "a file reached through a symbolic link"
  (define real (write-file "real.scm" defs))
  (define link (string-append %tmp "/link.scm"))
  (symlink real link)
  (define foo3 (package-in link "rust-foo"))
  (update-packages-in-files (list (list foo3 "1.0.0" "1.0.1" h2)))
  (test-assert "the link is still a link" (eq? 'symlink (stat:type (lstat link))))
  (test-assert "the file it points to was updated"
    (string-contains (read-file real) "(version \"1.0.1\")")))

(test-group "what cannot be rewritten"
  ;; A fresh copy: FOO2 can be updated, the other one of each pair cannot.
  (define file2 (write-file "defs2.scm" defs))
  (define foo2 (package-in file2 "rust-foo"))
  (define (attempt name)
    (let ((package (package-in file2 name)))
      (upstream-message
       (lambda ()
         (update-packages-in-files
          (list (list foo2 "1.0.0" "1.3.0" h2)
                (list package (package-version package) "9.0.0" h2)))))))
  (test-equal "an inherited source"
    "the definition has no 'source' field (inherited?); cannot update it in place"
    (attempt "rust-inherited"))
  (test-equal "a package whose source is not an origin"
    "its source is not an (origin ...) form; cannot update it in place"
    (attempt "not-a-crate"))
  (test-equal "nothing written when one of them fails" defs
    (read-file file2))
  (test-equal "a stale location (the file changed under us)"
    "its 'version' field is not the string \"1.0.0\"; cannot update it in place"
    ;; FOO's version is 1.2.0 in its file now.
    (upstream-message
     (lambda ()
       (update-packages-in-files (list (list foo "1.0.0" "1.3.0" h1)))))))

(test-end "upstream")
(delete-test-directory %tmp)
(exit-with-test-status)

;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix upstream): what the updater ('ferrix refresh') knows: which
;;; packages are crates of a registry, which newer versions the registry
;;; has, and how to rewrite a package's version and hash in its source file.

(define-module (ferrix upstream)
  #:use-module (ferrix packages)
  #:use-module (ferrix registry)
  #:use-module (ferrix semver)
  #:use-module (ferrix base32)
  #:use-module (ferrix download)
  #:use-module (ferrix store)
  #:use-module (ferrix derivations)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-9)
  #:use-module (srfi srfi-11)
  #:use-module (srfi srfi-26)
  #:use-module (srfi srfi-34)
  #:use-module (srfi srfi-35)
  #:use-module (ice-9 match)
  #:use-module (ice-9 regex)
  #:use-module (ice-9 textual-ports)
  #:export (crate-package?
            package-crate-name
            package-crate-version
            package-crate-urls

            upstream-update?
            upstream-update-package
            upstream-update-crate
            upstream-update-current
            upstream-update-compatible
            upstream-update-newest
            upstream-update-yanked?
            upstream-update-target
            package-update

            &upstream-error
            upstream-error?
            upstream-error-package

            crate-download-derivation
            crate-download-hash
            sexp-end
            sexp-children
            update-package-text
            update-packages-in-files))

;;; Commentary:
;;;
;;; A crate package is one whose source is an origin with a crate download
;;; URL (crate-uri's "BASE/api/v1/crates/NAME/VERSION/download", the
;;; mirror://crates/ form or a "NAME-VERSION.crate" file), or one with a
;;; 'crate-name property.  'package-update' asks the registry for the newest
;;; version compatible with the package's (cargo's sense: same major, or
;;; 0.MINOR, or 0.0.PATCH) and the newest of all, yanked versions and
;;; prereleases left out.
;;;
;;; Rewriting works on the text, not on the data: the package's form is
;;; found at its location (FILE:LINE:COLUMN of its 'package' form), and only
;;; the string of its 'version' field, the nix-base32 string of its source's
;;; (sha256 (base32 "...")) and version numbers inside its source's URI
;;; strings change; every other byte of the file stays as it was.  The new
;;; text is checked to read back, then written to a temporary file renamed
;;; over the original.
;;;
;;; Code:

(define-condition-type &upstream-error &error
  upstream-error?
  (package upstream-error-package))

(define (upstream-error package fmt . args)
  (raise (make-compound-condition
          (make-condition &upstream-error 'package package)
          (make-condition &message 'message (apply format #f fmt args)))))


;;;
;;; Crate packages.
;;;

(define %crate-url-patterns
  ;; (REGEXP NAME-GROUP VERSION-GROUP)
  (list (list (make-regexp "/api/v1/crates/([^/]+)/([^/]+)/download$") 1 2)
        (list (make-regexp "^mirror://crates/([^/]+)/([^/]+)/download$") 1 2)
        (list (make-regexp "/([^/]+)/\\1-([0-9][^/]*)\\.crate$") 1 2)))

(define (crate-url->name+version url)
  "Return the crate name and version of URL, a crate download URL, or #f and
#f."
  (let loop ((patterns %crate-url-patterns))
    (match patterns
      (() (values #f #f))
      (((rx name version) . rest)
       (match (regexp-exec rx url)
         (#f (loop rest))
         (m (values (match:substring m name) (match:substring m version))))))))

(define (package-crate-urls package)
  "Return the URLs of PACKAGE's source origin, or '()."
  (match (package-source package)
    ((? origin? o)
     (match (origin-uri o)
       ((? string? url) (list url))
       ((? list? urls) (filter string? urls))
       (_ '())))
    (_ '())))

(define (source-crate package)
  (let loop ((urls (package-crate-urls package)))
    (match urls
      (() (values #f #f))
      ((url . rest)
       (let-values (((name version) (crate-url->name+version url)))
         (if name (values name version) (loop rest)))))))

(define (package-crate-name package)
  "Return the name of the crate PACKAGE is made from, or #f."
  (or (assq-ref (package-properties package) 'crate-name)
      (let-values (((name version) (source-crate package))) name)))

(define (package-crate-version package)
  "Return the version of the crate PACKAGE is made from: the one of its
source URL, else its version."
  (let-values (((name version) (source-crate package)))
    (or version (package-version package))))

(define (crate-package? package)
  "Return true if PACKAGE is made from a registry crate."
  (and (package-crate-name package) #t))


;;;
;;; What the registry has.
;;;

(define-record-type <upstream-update>
  (make-upstream-update package crate current compatible newest yanked? target)
  upstream-update?
  (package    upstream-update-package)
  (crate      upstream-update-crate)       ;<crate>
  (current    upstream-update-current)     ;string
  (compatible upstream-update-compatible)  ;<crate-version> | #f
  (newest     upstream-update-newest)      ;<crate-version> | #f
  (yanked?    upstream-update-yanked?)     ;is the current version yanked?
  (target     upstream-update-target))     ;<crate-version> to move to | #f

(define* (package-update registry package #:key (target-version 'compatible))
  "Return an <upstream-update> for PACKAGE from REGISTRY.  TARGET-VERSION is
'compatible (the newest semver-compatible version), 'latest (the newest
version), or a version string.  Raise an &upstream-error when the crate or
the requested version is not in the registry."
  (let* ((name (package-crate-name package))
         (current (package-crate-version package))
         (crate (or (lookup-crate registry name #:metadata? #f)
                    (upstream-error package "crate '~a' is not in the \
registry ~a" name (registry-url registry)))))
    (unless (semver-valid? current)
      (upstream-error package "version ~s of ~a is not a semantic version"
                      current (package-name package)))
    (let* ((compatible (crate-newest-version
                        crate (string-append "^" current)))
           (newest (crate-newest-version crate))
           (this (crate-version crate current))
           (target
            (match target-version
              ('compatible compatible)
              ('latest newest)
              ((? string? v)
               (or (crate-version crate v)
                   (upstream-error package "crate '~a' has no version ~a in \
the registry ~a" name v (registry-url registry)))))))
      (make-upstream-update package crate current compatible newest
                            (and this (crate-version-yanked? this))
                            ;; Never a downgrade, unless asked by number.
                            (and target
                                 (if (string? target-version)
                                     (not (string=? (crate-version-number target)
                                                    current))
                                     (semver<? current
                                               (crate-version-number target)))
                                 target)))))


;;;
;;; Downloading.
;;;

(define* (crate-download-derivation store registry name version
                                    #:key (urls '()))
  "Return two values: a fixed-output derivation downloading the .crate of
NAME at VERSION from REGISTRY (or, failing that, from URLS) whose expected
hash is the registry's checksum, so that building it verifies the download,
and that sha256 as a bytevector."
  (let* ((crate (lookup-crate registry name #:metadata? #f))
         (v (and crate (crate-version crate version)))
         (hash (if v
                   (base16-string->bytevector (crate-version-checksum v))
                   (error (format #f "crate ~a has no version ~a in ~a"
                                  name version (registry-url registry))))))
    (values (url-fetch store
                       (delete-duplicates
                        (cons (registry-download-url registry name version)
                              urls))
                       'sha256 hash
                       (string-append name "-" version ".crate"))
            hash)))

(define* (crate-download-hash store registry name version #:key (urls '()))
  "Download the .crate of NAME at VERSION (see 'crate-download-derivation')
and return its sha256 as a bytevector."
  (let-values (((drv hash) (crate-download-derivation store registry name
                                                      version #:urls urls)))
    (build-derivations store (list drv))
    hash))


;;;
;;; The text of package definitions.
;;;

(define (char-at text i)
  (and (< i (string-length text)) (string-ref text i)))

(define (skip-atmosphere text i end)
  "Return the index of the first character at or after I (before END) that
is neither white space nor part of a comment."
  (let loop ((i i))
    (cond ((>= i end) end)
          ((char-whitespace? (string-ref text i)) (loop (+ i 1)))
          ((char=? (string-ref text i) #\;)
           (loop (or (string-index text #\newline i end) end)))
          ((and (char=? (string-ref text i) #\#)
                (eqv? (char-at text (+ i 1)) #\|))
           (loop (block-comment-end text (+ i 2) end)))
          ((and (char=? (string-ref text i) #\#)
                (eqv? (char-at text (+ i 1)) #\;))
           ;; A datum comment comments out the next datum.
           (loop (sexp-end text (skip-atmosphere text (+ i 2) end) end)))
          (else i))))

(define (block-comment-end text i end)
  (let loop ((i i) (depth 1))
    (cond ((>= i end) (error "unterminated block comment"))
          ((and (char=? (string-ref text i) #\|)
                (eqv? (char-at text (+ i 1)) #\#))
           (if (= depth 1) (+ i 2) (loop (+ i 2) (- depth 1))))
          ((and (char=? (string-ref text i) #\#)
                (eqv? (char-at text (+ i 1)) #\|))
           (loop (+ i 2) (+ depth 1)))
          (else (loop (+ i 1) depth)))))

(define (string-literal-end text i end)
  "I is the index of a double quote: return the index after the string."
  (let loop ((i (+ i 1)))
    (cond ((>= i end) (error "unterminated string"))
          ((char=? (string-ref text i) #\\) (loop (+ i 2)))
          ((char=? (string-ref text i) #\") (+ i 1))
          (else (loop (+ i 1))))))

(define (delimiter? c)
  (or (char-whitespace? c) (memv c '(#\( #\) #\[ #\] #\" #\;))))

(define* (sexp-end text start #:optional (end (string-length text)))
  "Return the index just after the datum that starts at START in TEXT."
  (let ((c (string-ref text start)))
    (cond ((memv c '(#\( #\[))
           (let loop ((i (+ start 1)))
             (let ((i (skip-atmosphere text i end)))
               (cond ((>= i end) (error "unbalanced parentheses"))
                     ((memv (string-ref text i) '(#\) #\])) (+ i 1))
                     (else (loop (sexp-end text i end)))))))
          ((char=? c #\") (string-literal-end text start end))
          ((memv c '(#\' #\` #\,))
           (let ((next (if (and (char=? c #\,) (eqv? (char-at text (+ start 1)) #\@))
                           (+ start 2) (+ start 1))))
             (sexp-end text (skip-atmosphere text next end) end)))
          ((and (char=? c #\#) (eqv? (char-at text (+ start 1)) #\\))
           ;; A character: #\( and #\) are one character; #\space longer.
           (let loop ((i (+ start 3)))
             (if (or (>= i end) (delimiter? (string-ref text i))) i (loop (+ i 1)))))
          ((and (char=? c #\#) (memv (char-at text (+ start 1)) '(#\( #\[)))
           (sexp-end text (+ start 1) end))
          (else
           (let loop ((i start))
             (if (or (>= i end) (delimiter? (string-ref text i))) i (loop (+ i 1))))))))

(define (sexp-children text start)
  "Return the (START . END) index pairs of the elements of the list whose
opening parenthesis is at START in TEXT."
  (let ((end (sexp-end text start)))
    (let loop ((i (+ start 1)) (children '()))
      (let ((i (skip-atmosphere text i end)))
        (if (>= i (- end 1))
            (reverse children)
            (let ((e (sexp-end text i end)))
              (loop e (cons (cons i e) children))))))))

(define (child-head text child)
  "Return the symbol at the head of CHILD, a (START . END) list, or #f."
  (match child
    ((s . e)
     (and (char=? (string-ref text s) #\()
          (let ((i (skip-atmosphere text (+ s 1) e)))
            (and (< i (- e 1))
                 (not (memv (string-ref text i) '(#\( #\" #\#)))
                 (string->symbol (substring text i (sexp-end text i e)))))))))

(define (find-child text start head)
  (find (lambda (child) (eq? (child-head text child) head))
        (sexp-children text start)))

(define (location->index text line column)
  "Return the index in TEXT of LINE (from 1) and COLUMN (from 0, tabs
advancing to the next multiple of 8 as Guile's reader counts)."
  (let loop ((i 0) (l 1))
    (cond ((= l line)
           (let col ((i i) (c 0))
             (cond ((= c column) i)
                   ((or (>= i (string-length text))
                        (char=? (string-ref text i) #\newline)
                        (> c column))
                    #f)
                   ((char=? (string-ref text i) #\tab)
                    (col (+ i 1) (* 8 (+ 1 (quotient c 8)))))
                   (else (col (+ i 1) (+ c 1))))))
          ((string-index text #\newline i)
           => (lambda (nl) (loop (+ nl 1) (+ l 1))))
          (else #f))))

(define (replace-ranges text replacements)
  "Return TEXT with each (START END NEW) of REPLACEMENTS applied."
  (let loop ((replacements (sort replacements
                                 (lambda (a b) (> (car a) (car b)))))
             (text text))
    (match replacements
      (() text)
      (((s e new) . rest)
       (loop rest (string-append (substring text 0 s) new
                                 (substring text e)))))))

(define (string-literal-value text child)
  "Return the string of CHILD if it is a string literal, else #f."
  (match child
    ((s . e)
     (and (char=? (string-ref text s) #\")
          (call-with-input-string (substring text s e) read)))))

(define (update-package-text text line column package old-version new-version
                             new-hash)
  "Return TEXT with the package form at LINE and COLUMN updated from
OLD-VERSION to NEW-VERSION, and its source's sha256 set to NEW-HASH (a
nix-base32 string).  PACKAGE is for error messages."
  (define (fail fmt . args)
    (apply upstream-error package fmt args))
  (let* ((start (or (location->index text line column)
                    (fail "no package form at line ~a, column ~a" line column)))
         (_ (unless (char=? (string-ref text start) #\()
              (fail "no package form at line ~a, column ~a" line column)))
         (version (or (find-child text start 'version)
                      (fail "the definition has no 'version' field")))
         (version-value (match (sexp-children text (car version))
                          ((_ value) value)
                          (_ (fail "its 'version' field is not a string"))))
         (_ (unless (equal? (string-literal-value text version-value)
                            (package-version package))
              (fail "its 'version' field is not the string ~s; cannot \
update it in place" (package-version package))))
         (source (or (find-child text start 'source)
                     (fail "the definition has no 'source' field (inherited?); \
cannot update it in place")))
         (origin (match (sexp-children text (car source))
                   ((_ (? (lambda (c) (eq? 'origin (child-head text c))) o))
                    o)
                   (_ (fail "its source is not an (origin ...) form; cannot \
update it in place"))))
         (sha256 (or (find-child text (car origin) 'sha256)
                     (fail "its origin has no 'sha256' field")))
         (base32 (match (sexp-children text (car sha256))
                   ((_ (? (lambda (c) (eq? 'base32 (child-head text c))) b))
                    (match (sexp-children text (car b))
                      ((_ (? (cut string-literal-value text <>) str)) str)
                      (_ #f)))
                   (_ #f)))
         (_ (unless base32
              (fail "its origin's sha256 is not (base32 \"...\"); cannot \
update it in place")))
         (uri (find-child text (car origin) 'uri))
         (uri-replacements
          ;; Version numbers inside the URI's string literals: a literal
          ;; "OLD" (crate-uri "foo" "OLD"), or /OLD/ and -OLD.crate in a URL.
          (if (not uri)
              '()
              (let loop ((i (car uri)) (result '()))
                (let ((q (string-index text #\" i (cdr uri))))
                  (if (not q)
                      result
                      (let* ((e (string-literal-end text q (cdr uri)))
                             (value (string-literal-value text (cons q e)))
                             (new (cond ((string=? value old-version) new-version)
                                        (else
                                         (regexp-substitute/global
                                          #f (string-append
                                              "(/|-)" (regexp-quote old-version)
                                              "(/|\\.crate$)")
                                          value 'pre 1 new-version 2 'post)))))
                        (loop e (if (string=? new value)
                                    result
                                    (cons (list q e (object->string new))
                                          result))))))))))
    (replace-ranges text
                    (cons* (list (car version-value) (cdr version-value)
                                 (object->string new-version))
                           (list (car base32) (cdr base32)
                                 (object->string new-hash))
                           uri-replacements))))

(define (check-readable text file)
  "Raise an error unless TEXT reads as Scheme data to the end."
  (call-with-input-string text
    (lambda (port)
      (let loop ()
        (unless (eof-object? (read port))
          (loop)))))
  text)

(define (write-file-atomically file text)
  "Replace FILE by TEXT: write a temporary file next to it, with FILE's
permissions, then rename it over FILE (over the file a symbolic link points
to, not the link)."
  (let* ((file (canonicalize-path file))
         (template (string-append file ".ferrix-XXXXXX"))
         (port (mkstemp! template))
         (tmp (port-filename port)))
    (catch #t
      (lambda ()
        (set-port-encoding! port "UTF-8")
        (put-string port text)
        (force-output port)
        (fsync port)
        (chmod port (stat:perms (stat file)))
        (close-port port)
        (rename-file tmp file))
      (lambda args
        (false-if-exception (delete-file tmp))
        (apply throw args)))))

(define (update-packages-in-files updates)
  "UPDATES is a list of (PACKAGE OLD-VERSION NEW-VERSION NEW-HASH).  Compute
the new text of every file first (any error leaves all files untouched),
then replace each file."
  (define (file-of update)
    (match update
      ((package _ _ _)
       (match (package-location package)
         (#f (upstream-error package "~a has no source location; cannot \
update it" (package-name package)))
         (loc (location-file loc))))))
  (let* ((files (delete-duplicates (map file-of updates)))
         (by-file (map (lambda (file)
                         (cons file (filter (lambda (u)
                                              (string=? file (file-of u)))
                                            updates)))
                       files))
         (texts
          (map (match-lambda
                 ((file . updates)
                  (let ((text (call-with-input-file file get-string-all
                                #:encoding "UTF-8")))
                    (cons file
                          (check-readable
                           (fold (lambda (update text)
                                   (match update
                                     ((package old new hash)
                                      (let ((loc (package-location package)))
                                        (update-package-text
                                         text (location-line loc)
                                         (location-column loc)
                                         package old new hash)))))
                                 text
                                 updates)
                           file)))))
               by-file)))
    (for-each (match-lambda
                ((file . text) (write-file-atomically file text)))
              texts)))

;;; upstream.scm ends here

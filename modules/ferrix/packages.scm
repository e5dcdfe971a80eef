;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix packages): packages, origins and local files, and their lowering
;;; through bags to derivations, with the semantics of Guix's
;;; (guix packages).

(define-module (ferrix packages)
  #:use-module (ferrix records)
  #:use-module (ferrix build-system)
  #:use-module (ferrix store)
  #:use-module (ferrix derivations)
  #:use-module ((ferrix base32) #:select (nix-base32-string->bytevector
                                          bytevector->base16-string))
  #:use-module ((ferrix hash) #:select (sha256))
  ;; Only copying a selection of files needs these: autoloaded, so that a
  ;; no-op build does not load (ferrix build utils) and what it uses.
  #:autoload (ferrix build utils) (copy-recursively delete-file-recursively)
  #:use-module (ferrix package-files)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-26)
  #:use-module (srfi srfi-34)
  #:use-module (srfi srfi-35)
  #:use-module (ice-9 match)
  #:use-module (rnrs bytevectors)
  #:re-export (%current-system
               %current-target-system)
  #:export (;; Locations.
            location
            location?
            location-file
            location-line
            location-column
            location->string
            source-properties->location
            current-source-directory

            ;; Origins and local files.
            base32
            origin
            origin?
            this-origin
            origin-uri
            origin-method
            origin-sha256
            origin-file-name
            origin-patches
            origin-snippet
            origin-modules
            origin-actual-file-name
            origin->derivation

            local-file
            local-file?
            local-file-file
            local-file-absolute-file-name
            local-file-name
            local-file-recursive?
            local-file-select?
            local-file->store-path

            ;; Packages.
            package
            package?
            this-package
            package-name
            package-version
            package-source
            package-build-system
            package-arguments
            package-inputs
            package-native-inputs
            package-propagated-inputs
            package-outputs
            package-synopsis
            package-description
            package-license
            package-home-page
            package-properties
            package-supported-systems
            package-location
            %supported-systems
            supported-package?

            package-full-name
            package-name->crate-name
            package-version-major+minor
            package-name->name+version
            version-compare
            version>?
            version-prefix?

            package-direct-inputs
            package-transitive-inputs
            package-transitive-propagated-inputs
            package-closure
            transitive-inputs
            bag-transitive-inputs
            bag-transitive-build-inputs
            bag-transitive-host-inputs
            bag-transitive-target-inputs
            normalize-inputs
            package-input-rewriting
            package-mapping

            ;; Lowering.
            package->bag
            bag->derivation
            package-derivation
            package-cross-derivation
            package-output
            package-source-derivation
            lower-object
            register-object-lowerer!
            lowered-input-file-name

            ;; Errors.
            &package-error
            package-error?
            package-error-package
            &package-input-error
            package-input-error?
            package-error-invalid-input
            &package-cross-build-system-error
            package-cross-build-system-error?))

;;; Commentary:
;;;
;;; Input lists.  A package's inputs, native-inputs and propagated-inputs
;;; may be written in either of the forms Guix accepts:
;;;
;;;   labelled: `(("label" ,pkg) ("label" ,pkg "output"))
;;;   plain:    (list pkg1 pkg2 (list pkg3 "output"))
;;;
;;; and the two may be mixed.  The accessors return the normalised labelled
;;; form, (LABEL OBJECT) or (LABEL OBJECT OUTPUT), with the package name as
;;; the label of a plain package (the file name for origins and local files,
;;; "_" for anything else).  An input object is a package, an origin, a
;;; local file, a derivation, a store file name, another file name (added to
;;; the store), or any object with a lowerer (see 'register-object-lowerer!';
;;; the Rust toolchain is one).
;;;
;;; Lowering.  'package-derivation' and 'package-cross-derivation' are
;;; memoised per store, package (by identity), system and target, as is the
;;; lowering of origins and local files, so a graph of many packages sharing
;;; dependencies lowers each node once.  Thunked fields are evaluated with
;;; %current-system and %current-target-system bound to the system and
;;; target being lowered for.
;;;
;;; Code:


;;;
;;; Locations.
;;;

(define-record-type* <location> location make-location
  location?
  (file   location-file)                  ;string | #f
  (line   location-line)                  ;1-based
  (column location-column))               ;0-based

(set-record-type-printer! <location>
  (lambda (loc port)
    (format port "#<location ~a>" (location->string loc))))

(define (location->string loc)
  "Return LOC as \"FILE:LINE:COLUMN\"."
  (format #f "~a:~a:~a"
          (or (location-file loc) "<unknown location>")
          (location-line loc) (location-column loc)))

(define (source-properties->location properties)
  "Return a <location> for PROPERTIES, the alist returned by
'current-source-location' or 'source-properties' (0-based lines), or #f.  A
<location> is returned as is."
  (cond ((location? properties) properties)
        ((and (pair? properties) (assq-ref properties 'line))
         (make-location (assq-ref properties 'filename)
                        (+ 1 (assq-ref properties 'line))
                        (or (assq-ref properties 'column) 0)))
        (else #f)))

(define (absolute-dirname file)
  "Return the directory of FILE, a relative file name recorded by the
compiler or reader: found in %load-path, else relative to the current
directory; #f if it cannot be found."
  (let ((found (search-path %load-path file)))
    (cond (found (dirname (canonicalize-path found)))
          ((file-exists? file) (dirname (canonicalize-path file)))
          (else #f))))

(define-syntax current-source-directory
  (lambda (s)
    "Expand to the directory of the source file containing this form, or #f
when it is not known (e.g., at the REPL)."
    (syntax-case s ()
      ((_)
       (let ((file (and (syntax-source s)
                        (assq-ref (syntax-source s) 'filename))))
         (cond ((not (string? file)) #'#f)
               ((string-prefix? "/" file)
                (datum->syntax s (dirname file)))
               (else
                #`(absolute-dirname #,(datum->syntax s file)))))))))


;;;
;;; Errors.
;;;

(define-condition-type &package-error &error
  package-error?
  (package package-error-package))

(define-condition-type &package-input-error &package-error
  package-input-error?
  (input package-error-invalid-input))

(define-condition-type &package-cross-build-system-error &package-error
  package-cross-build-system-error?)

(define (raise-package-error type package message . args)
  (raise (make-compound-condition
          (apply make-condition type 'package package args)
          (make-condition &message 'message message))))


;;;
;;; Base32 hashes.
;;;

(eval-when (expand load eval)
  (define %nix32-alphabet "0123456789abcdfghijklmnpqrsvwxyz")

  (define (nix32-decode str)
    "Decode STR, a nix-base32 string.  Return a bytevector, or a string
explaining why STR is invalid."
    (let* ((len  (string-length str))
           (size (quotient (* len 5) 8)))
      (cond
       ((not (memv len '(26 32 52 103)))
        (format #f "~a characters is not the length of a nix-base32 hash \
(52 for sha256; 26, 32 and 103 for md5, sha1 and sha512)" len))
       (else
        (let ((bv (make-bytevector size 0)))
          (let loop ((n 0))
            (if (= n len)
                bv
                (let* ((c     (string-ref str (- len n 1)))
                       (digit (string-index %nix32-alphabet c)))
                  (if (not digit)
                      (format #f "invalid character '~a' at position ~a"
                              c (- len n 1))
                      (let* ((b (* n 5))
                             (i (quotient b 8))
                             (j (remainder b 8))
                             (low (logand #xff (ash digit j)))
                             (carry (ash digit (- j 8))))
                        (bytevector-u8-set! bv i
                                            (logior low
                                                    (bytevector-u8-ref bv i)))
                        (cond ((< i (- size 1))
                               (bytevector-u8-set!
                                bv (+ i 1)
                                (logior carry
                                        (bytevector-u8-ref bv (+ i 1))))
                               (loop (+ n 1)))
                              ((zero? carry)
                               (loop (+ n 1)))
                              (else
                               "value too large: the first character \
overflows the hash")))))))))))))

(define-syntax base32
  (lambda (s)
    "Return the bytevector denoted by a nix-base32 string.  A literal string
is decoded when the form is expanded, and an invalid one is a syntax error
reported at its location."
    (syntax-case s ()
      ((_ str)
       (string? (syntax->datum #'str))
       (let ((result (nix32-decode (syntax->datum #'str))))
         (if (bytevector? result)
             (datum->syntax s result)
             (syntax-violation 'base32
                               (string-append "invalid nix-base32 string: "
                                              result)
                               s #'str))))
      ((_ str)
       #'(nix-base32-string->bytevector str)))))


;;;
;;; Origins.
;;;

(define (check-sha256 hash)
  (unless (and (bytevector? hash) (= 32 (bytevector-length hash)))
    (error "origin sha256 must be a 32-byte bytevector, as given by \
(base32 \"...\")" hash))
  hash)

(define-record-type* <origin> origin make-origin
  origin?
  this-origin
  (uri       origin-uri)                  ;string | list of strings
  (method    origin-method)               ;procedure
  (sha256    origin-sha256 (sanitize check-sha256))
  (file-name origin-file-name (default #f))
  (patches   origin-patches (default '()) (delayed))
  (snippet   origin-snippet (default #f)) ;S-expression | #f
  (modules   origin-modules (default '()))) ;build-side modules for SNIPPET

(define (uri-basename uri)
  (let ((uri (if (pair? uri) (car uri) uri)))
    (if (string? uri)
        (basename (match (string-index uri #\?)
                    (#f uri)
                    (q (substring uri 0 q))))
        ;; A git-reference (or another method's record) has no base name:
        ;; Guix's git-fetch calls such a checkout "git-checkout".
        "git-checkout")))

(define (origin-actual-file-name origin)
  "Return the store name of ORIGIN: its file name, else the last component
of its URI."
  (or (origin-file-name origin)
      (uri-basename (origin-uri origin))))

(define (strip-archive-extension name)
  (let loop ((extensions '(".tar.gz" ".tar.xz" ".tar.bz2" ".tar.zst" ".tgz"
                           ".tar" ".crate" ".zip")))
    (match extensions
      (() name)
      ((ext rest ...)
       (if (string-suffix? ext name)
           (string-drop-right name (string-length ext))
           (loop rest))))))


;;;
;;; Local files.
;;;

(define-record-type* <local-file> %local-file make-local-file
  local-file?
  (file          local-file-file)           ;as written
  (absolute      local-file-absolute-file-name)
  (name          local-file-name)
  (recursive?    local-file-recursive?)
  (select?       local-file-select?))

(set-record-type-printer! <local-file>
  (lambda (f port)
    (format port "#<local-file ~s>" (local-file-absolute-file-name f))))

(define (true-for-every-file file stat) #t)

(define* (make-local-file* file directory location
                           #:optional (name (basename file))
                           #:key recursive? (select? true-for-every-file))
  (let ((absolute (cond ((string-prefix? "/" file) file)
                        (directory (string-append directory "/" file))
                        (else (string-append (getcwd) "/" file)))))
    (unless (file-exists? absolute)
      (error (format #f "~alocal-file: file '~a' not found (looked for ~a)"
                     (match location
                       ((? string? loc) (string-append loc ": "))
                       (_ ""))
                     file absolute)))
    (%local-file (file file) (absolute absolute) (name name)
                 (recursive? recursive?) (select? select?))))

(define-syntax local-file
  (lambda (s)
    "(local-file FILE [NAME] #:recursive? #:select?): the file or directory
FILE, added to the store under NAME (default: its base name) when lowered.
A relative literal FILE is relative to the directory of the source file
containing the form (else to the current directory).  Directories are always
added recursively; RECURSIVE? keeps the permission bits of a regular file.
SELECT?, called with each file name and stat, chooses the files that are
added."
    (define (location-string)
      (let ((props (syntax-source s)))
        (and props
             (format #f "~a:~a:~a"
                     (or (assq-ref props 'filename) "<unknown>")
                     (+ 1 (or (assq-ref props 'line) 0))
                     (or (assq-ref props 'column) 0)))))
    (syntax-case s ()
      ((_ file rest ...)
       (string? (syntax->datum #'file))
       #`(make-local-file* file (current-source-directory)
                           #,(location-string) rest ...))
      ((_ file rest ...)
       #`(make-local-file* file #f #,(location-string) rest ...))
      (id
       (identifier? #'id)
       #'make-local-file*))))


;;;
;;; Packages.
;;;

(define %supported-systems
  ;; Systems a package supports by default: every native system ferrix
  ;; knows a Rust target for.
  '("x86_64-linux" "i686-linux" "armhf-linux" "aarch64-linux"
    "mips64el-linux" "powerpc-linux" "powerpc64le-linux" "riscv64-linux"
    "i586-gnu" "x86_64-gnu"))

(define (sanitize-location properties)
  (source-properties->location properties))

(define-record-type* <package> package make-package
  package?
  this-package
  (name              package-name)                  ;string
  (version           package-version)               ;string
  (source            package-source (default #f))   ;origin | local-file | ...
  (build-system      package-build-system)          ;<build-system>
  (arguments         package-arguments (default '()) (thunked))
  (inputs            package-inputs (default '()) (thunked)
                     (sanitize normalize-inputs))
  (propagated-inputs package-propagated-inputs (default '()) (thunked)
                     (sanitize normalize-inputs))
  (native-inputs     package-native-inputs (default '()) (thunked)
                     (sanitize normalize-inputs))
  (outputs           package-outputs (default '("out")))
  (synopsis          package-synopsis (default ""))
  (description       package-description (default ""))
  (license           package-license (default #f))
  (home-page         package-home-page (default #f))
  (properties        package-properties (default '()))
  (supported-systems package-supported-systems
                     (default %supported-systems))
  (location          package-location
                     (default (current-source-location))
                     (innate)
                     (sanitize sanitize-location)))

(define (normalize-input input)
  (match input
    (((? string?) _) input)
    (((? string?) _ (? string?)) input)
    (((? package? p) (? string? output)) (list (package-name p) p output))
    ((? package? p) (list (package-name p) p))
    ((? origin? o) (list (origin-actual-file-name o) o))
    ((? local-file? f) (list (local-file-name f) f))
    (x (list "_" x))))

(define (normalize-inputs inputs)
  "Return INPUTS, a list of inputs in labelled or plain form (or a mix), as
labelled tuples (LABEL OBJECT [OUTPUT])."
  (unless (list? inputs)
    (error "input lists must be lists of packages or labelled inputs"
           inputs))
  (map normalize-input inputs))

(set-record-type-printer! <package>
  (lambda (p port)
    (format port "#<package ~a@~a~a>"
            (package-name p) (package-version p)
            (match (package-location p)
              (#f "")
              (loc (string-append " " (location->string loc)))))))

(define* (package-full-name package #:optional (delimiter "@"))
  "Return NAME@VERSION for PACKAGE."
  (string-append (package-name package) delimiter (package-version package)))

(define (supported-package? package system)
  "Return true if PACKAGE supports SYSTEM."
  (member system (package-supported-systems package)))

(define (package-name->crate-name package)
  "Return the crate name of PACKAGE, a package or a package name: its
'crate-name' property when it has one, else its name without the \"rust-\"
prefix."
  (let ((name (if (package? package) (package-name package) package)))
    (or (and (package? package)
             (assq-ref (package-properties package) 'crate-name))
        (if (string-prefix? "rust-" name)
            (string-drop name 5)
            name))))

(define (package-name->name+version spec)
  "Split SPEC, \"NAME-VERSION\" or \"NAME@VERSION\", at the last '@' or at
the last hyphen followed by a digit.  Return two values, NAME and VERSION (#f
when there is none)."
  (let ((at (string-rindex spec #\@)))
    (if at
        (values (substring spec 0 at) (substring spec (+ at 1)))
        (let loop ((i (- (string-length spec) 1)))
          (cond ((< i 1) (values spec #f))
                ((and (char=? (string-ref spec i) #\-)
                      (< (+ i 1) (string-length spec))
                      (char-numeric? (string-ref spec (+ i 1))))
                 (values (substring spec 0 i) (substring spec (+ i 1))))
                (else (loop (- i 1))))))))

(define (version-components version)
  (let loop ((chars (string->list version)) (current '()) (result '()))
    (define (flush)
      (if (null? current)
          result
          (let ((str (list->string (reverse current))))
            (cons (or (string->number str) str) result))))
    (match chars
      (() (reverse (flush)))
      ((c rest ...)
       (cond ((memv c '(#\. #\- #\+ #\_))
              (loop rest '() (flush)))
             ((and (pair? current)
                   (not (eq? (char-numeric? c)
                             (char-numeric? (car current)))))
              (loop rest (list c) (flush)))
             (else (loop rest (cons c current) result)))))))

(define (version-compare a b)
  "Compare versions A and B component by component (numbers numerically).
Return '<, '= or '>."
  (let loop ((a (version-components a)) (b (version-components b)))
    (match (list a b)
      ((() ()) '=)
      ;; A pre-release (a text component after the common prefix) sorts
      ;; before the release: 1.0.0-rc1 < 1.0.0.
      ((() ((? string?) _ ...)) '>)
      ((((? string?) _ ...) ()) '<)
      ((() _) '<)
      ((_ ()) '>)
      (((x rest-a ...) (y rest-b ...))
       (cond ((and (number? x) (number? y))
              (cond ((< x y) '<) ((> x y) '>) (else (loop rest-a rest-b))))
             ((number? x) '>)
             ((number? y) '<)
             ((string<? x y) '<)
             ((string>? x y) '>)
             (else (loop rest-a rest-b)))))))

(define (version>? a b)
  (eq? '> (version-compare a b)))

(define (version-prefix? prefix version)
  "Return true if PREFIX is VERSION or a prefix of it at a component
boundary: \"1.2\" is a prefix of \"1.2.3\", not of \"1.23\"."
  (or (string=? prefix version)
      (and (string-prefix? prefix version)
           (memv (string-ref version (string-length prefix))
                 '(#\. #\- #\+)))))

(define (package-version-major+minor package)
  "Return the MAJOR.MINOR part of the version of PACKAGE (a package or a
version string)."
  (let* ((version (if (package? package) (package-version package) package))
         (parts (string-split version #\.)))
    (match parts
      ((major minor _ ...) (string-append major "." minor))
      (_ version))))


;;;
;;; Input graphs.
;;;

(define (package-direct-inputs package)
  "Return the native, regular and propagated inputs of PACKAGE."
  (append (package-native-inputs package)
          (package-inputs package)
          (package-propagated-inputs package)))

(define (transitive-inputs inputs)
  "Return the closure of INPUTS, labelled inputs, over the
'propagated-inputs' edges.  Duplicates are omitted, except those already
present in INPUTS itself."
  (let ((seen (make-hash-table)))
    (define (seen? package output)
      (member output (hashq-ref seen package '())))
    (define (see! package output)
      (hashq-set! seen package (cons output (hashq-ref seen package '()))))
    (let loop ((inputs inputs) (result '()) (propagated '()) (first? #t))
      (match inputs
        (()
         (if (null? propagated)
             (reverse result)
             (loop (concatenate (reverse propagated)) result '() #f)))
        (((and input (label (? package? package) output ...)) rest ...)
         (let ((output (match output (() "out") ((o) o))))
           (if (and (not first?) (seen? package output))
               (loop rest result propagated first?)
               (begin
                 (see! package output)
                 (loop rest (cons input result)
                       (cons (package-propagated-inputs package) propagated)
                       first?)))))
        ((input rest ...)
         (loop rest (cons input result) propagated first?))))))

(define (package-transitive-inputs package)
  "Return the direct inputs of PACKAGE and what they propagate,
recursively."
  (transitive-inputs (package-direct-inputs package)))

(define (package-transitive-propagated-inputs package)
  "Return the propagated inputs of PACKAGE and what they propagate."
  (transitive-inputs (package-propagated-inputs package)))

(define (bag-transitive-inputs bag)
  "Return the direct inputs of BAG and what they propagate."
  (parameterize ((%current-system (bag-system bag)))
    (transitive-inputs (bag-direct-inputs bag))))

(define (bag-transitive-build-inputs bag)
  (parameterize ((%current-system (bag-system bag)))
    (transitive-inputs (bag-build-inputs bag))))

(define (bag-transitive-host-inputs bag)
  (parameterize ((%current-system (bag-system bag))
                 (%current-target-system (bag-target bag)))
    (transitive-inputs (bag-host-inputs bag))))

(define (bag-transitive-target-inputs bag)
  (parameterize ((%current-system (bag-system bag)))
    (transitive-inputs (bag-target-inputs bag))))

(define* (package-closure packages #:key (system (%current-system)))
  "Return PACKAGES and every package they depend on, recursively, through
the direct inputs of their bags for SYSTEM; each package appears once."
  (let ((visited (make-hash-table)))
    (let loop ((packages packages) (closure '()))
      (match packages
        (() (reverse closure))
        ((package rest ...)
         (if (hashq-ref visited package)
             (loop rest closure)
             (begin
               (hashq-set! visited package #t)
               (let ((dependencies
                      (filter-map (match-lambda
                                    ((_ (? package? p) _ ...) p)
                                    (_ #f))
                                  (bag-direct-inputs
                                   (package->bag package system #f)))))
                 (loop (append dependencies rest)
                       (cons package closure))))))))))

(define* (package-mapping proc #:optional (cut? (const #f)))
  "Return a procedure that, given a package, applies PROC to it and to its
inputs, recursively (not crossing packages for which CUT? is true), and
returns the resulting package.  Results are memoised by identity."
  (let ((memo (make-hash-table)))
    (define (rewrite-input input)
      (match input
        ((label (? package? p) rest ...) (cons* label (replace p) rest))
        (_ input)))
    (define (replace p)
      (or (hashq-ref memo p)
          (let ((new (if (cut? p)
                         (proc p)
                         (proc (package
                                 (inherit p)
                                 (inputs (map rewrite-input
                                              (package-inputs p)))
                                 (native-inputs (map rewrite-input
                                                     (package-native-inputs p)))
                                 (propagated-inputs
                                  (map rewrite-input
                                       (package-propagated-inputs p))))))))
            (hashq-set! memo p new)
            new)))
    replace))

(define* (package-input-rewriting replacements
                                  #:optional (rewrite-name identity))
  "Return a procedure that, given a package, replaces its dependencies
according to REPLACEMENTS, an alist of (OLD . NEW) packages, recursively.
Rewritten packages have their name passed through REWRITE-NAME."
  (package-mapping
   (lambda (p)
     (or (assq-ref replacements p)
         (if (eq? rewrite-name identity)
             p
             (package (inherit p) (name (rewrite-name (package-name p)))))))
   (lambda (p) (assq-ref replacements p))))


;;;
;;; Lowering.
;;;

;; Per store: a table from objects (by identity) to an alist
;; ((SYSTEM . TARGET) . RESULT).
(define %lowered (make-weak-key-hash-table))

(define (lowering-table store)
  (or (hashq-ref %lowered store)
      (let ((table (make-hash-table)))
        (hashq-set! %lowered store table)
        table)))

(define (cached store object system target compute)
  "Return the result of COMPUTE for OBJECT, SYSTEM and TARGET in STORE,
computing it once.  A dependency cycle (COMPUTE asking for its own result)
is an error."
  (let* ((table (lowering-table store))
         (key (cons system target))
         (entries (hashq-ref table object '())))
    (match (assoc key entries)
      ((_ . 'in-progress)
       (error (format #f "dependency cycle through ~a"
                      (if (package? object)
                          (package-full-name object)
                          object))))
      ((_ . result) result)
      (#f
       (hashq-set! table object (acons key 'in-progress entries))
       (let ((result #f) (done? #f))
         ;; On a non-local exit, forget the in-progress mark and let the
         ;; exception through untouched.
         (dynamic-wind
           (const #t)
           (lambda ()
             (set! result (compute))
             (set! done? #t))
           (lambda ()
             (hashq-set! table object
                         (let ((others (alist-delete
                                        key (hashq-ref table object '()))))
                           (if done? (acons key result others) others)))))
         result)))))

(define %object-lowerers '())           ;list of (PREDICATE . PROCEDURE)

(define (register-object-lowerer! predicate procedure)
  "Make objects satisfying PREDICATE valid inputs and sources: PROCEDURE,
called as (PROCEDURE STORE OBJECT SYSTEM TARGET), returns a derivation or a
store file name.  Results are memoised per store, object and system."
  (set! %object-lowerers
    (cons (cons predicate procedure) %object-lowerers)))

(define* (lower-object store object #:optional (system (%current-system))
                       (target #f))
  "Return the derivation or store file name that OBJECT lowers to for
SYSTEM and TARGET; #f if OBJECT cannot be lowered."
  (cond ((package? object)
         (if target
             (package-cross-derivation store object target system)
             (package-derivation store object system)))
        ((origin? object) (origin->derivation store object system))
        ((local-file? object) (local-file->store-path store object))
        ((derivation? object) object)
        ((string? object)
         (if (direct-store-path? object (store-directory store))
             object
             (cached store object system #f
                     (lambda ()
                       (add-to-store store (basename object) #t 'sha256
                                     object)))))
        ((find (lambda (entry) ((car entry) object)) %object-lowerers)
         => (lambda (entry)
              (cached store object system target
                      (lambda ()
                        ((cdr entry) store object system target)))))
        (else #f)))

(define (lowered-input-file-name lowered)
  "Return the file name of LOWERED, a lowered input (LABEL OBJECT OUTPUT)."
  (match lowered
    ((_ (? derivation? drv) output) (derivation->output-path drv output))
    ((_ (? string? file) _) file)))

(define (lower-input store package input system target)
  "Lower INPUT, a labelled input of PACKAGE, to (LABEL OBJECT OUTPUT)."
  (define (invalid)
    (raise-package-error &package-input-error package
                         (format #f "~a: invalid input ~s"
                                 (package-full-name package) input)
                         'input input))
  (match input
    (((? string? label) object output ...)
     (let ((lowered (lower-object store object system target))
           (output (match output (() "out") (((? string? o)) o) (_ #f))))
       (unless (and lowered output) (invalid))
       (list label lowered output)))
    (_ (invalid))))

(define* (package->bag package #:optional (system (%current-system))
                       (target (%current-target-system)))
  "Return the bag of PACKAGE for SYSTEM and TARGET (a cross-compilation
target, or #f)."
  (parameterize ((%current-system system)
                 (%current-target-system target))
    (or (make-bag (package-build-system package)
                  (string-append (package-name package) "-"
                                 (package-version package))
                  #:system system
                  #:target target
                  #:source (package-source package)
                  #:inputs (append (package-inputs package)
                                   (package-propagated-inputs package))
                  #:native-inputs (package-native-inputs package)
                  #:outputs (package-outputs package)
                  #:properties (package-properties package)
                  #:arguments (package-arguments package))
        (raise-package-error
         (if target &package-cross-build-system-error &package-error)
         package
         (if target
             (format #f "~a: build system '~a' does not support \
cross-compilation to ~a" (package-full-name package)
                     (build-system-name (package-build-system package))
                     target)
             (format #f "~a: build system '~a' could not lower it"
                     (package-full-name package)
                     (build-system-name (package-build-system package))))))))

(define* (bag->derivation store bag #:optional package)
  "Return the derivation that builds BAG.  PACKAGE, if given, is the
package BAG comes from, named in errors."
  (define system (bag-system bag))
  (define target (bag-target bag))
  (define (lower inputs target)
    (map (lambda (input)
           (lower-input store (or package bag) input system target))
         inputs))
  (if target
      (apply (bag-build bag) store (bag-name bag)
             #:build-inputs (lower (bag-transitive-build-inputs bag) #f)
             #:host-inputs (lower (bag-transitive-host-inputs bag) target)
             #:target-inputs (lower (bag-transitive-target-inputs bag) #f)
             #:system system
             #:target target
             #:outputs (bag-outputs bag)
             (bag-arguments bag))
      (apply (bag-build bag) store (bag-name bag)
             (lower (bag-transitive-inputs bag) #f)
             #:system system
             #:outputs (bag-outputs bag)
             (bag-arguments bag))))

(define* (package-derivation store package
                             #:optional (system (%current-system))
                             #:key graft?)
  "Return the derivation building PACKAGE for SYSTEM in STORE (memoised)."
  (cached store package system #f
          (lambda ()
            (bag->derivation store (package->bag package system #f)
                             package))))

(define* (package-cross-derivation store package target
                                   #:optional (system (%current-system))
                                   #:key graft?)
  "Return the derivation cross-building PACKAGE from SYSTEM for TARGET."
  (cached store package system target
          (lambda ()
            (bag->derivation store (package->bag package system target)
                             package))))

(define* (package-output store package #:optional (output "out")
                         (system (%current-system)))
  "Return the store file name of OUTPUT of PACKAGE for SYSTEM."
  (derivation->output-path (package-derivation store package system) output))

(define* (package-source-derivation store source
                                    #:optional (system (%current-system)))
  "Return the derivation or store file name of SOURCE, a package source."
  (or (lower-object store source system #f)
      (error "invalid package source" source)))

(define* (origin->derivation store origin
                             #:optional (system (%current-system)))
  "Return the derivation (or store file name) of ORIGIN for SYSTEM: what its
method returns, or, with patches or a snippet, a derivation that unpacks it,
applies the patches and runs the snippet."
  (cached store origin system #f
          (lambda ()
            (let* ((name (origin-actual-file-name origin))
                   (fetched ((origin-method origin) store (origin-uri origin)
                             'sha256 (origin-sha256 origin) name
                             #:system system)))
              (if (and (null? (origin-patches origin))
                       (not (origin-snippet origin)))
                  fetched
                  (patched-origin-derivation store origin fetched system))))))

(define (patched-origin-derivation store origin fetched system)
  (define (lower-patch patch)
    (match patch
      ((? string? file)
       (unless (string-prefix? "/" file)
         (error (format #f "patch '~a': use an absolute file name or \
(local-file \"~a\")" file file)))
       (if (direct-store-path? file (store-directory store))
           file
           (add-to-store store (basename file) #f 'sha256 file)))
      (_ (or (lower-object store patch system #f)
             (error "invalid patch" patch)))))
  (define (file-of lowered)
    (if (derivation? lowered) (derivation->output-path lowered) lowered))
  (define (input-of lowered)
    (if (derivation? lowered) (list lowered "out") (list lowered)))
  (let ((patches (map lower-patch (origin-patches origin)))
        (snippet (origin-snippet origin)))
    (build-script->derivation
     store (strip-archive-extension (origin-actual-file-name origin))
     `((use-modules (ferrix build utils) ,@(origin-modules origin))
       (patch-source #:source ,(file-of fetched)
                     #:patches ',(map file-of patches)
                     #:snippet ,(if snippet `(lambda () ,snippet) #f)
                     #:output (getenv "out")))
     #:system system
     #:inputs (map input-of (cons fetched patches)))))

(define (selected-tree-stamp source select?)
  "Return a string identifying the files of SOURCE that SELECT? keeps, by
name, type, size, permissions, inode, modification and change times, or #f
if one of them changed less than a second ago (a change within the same
clock tick could then go unnoticed)."
  (define (ns seconds nanoseconds)
    (+ (* seconds 1000000000) nanoseconds))
  (define limit
    (let ((now (gettimeofday)))
      (- (ns (car now) (* 1000 (cdr now))) 1000000000)))
  (define racy? #f)
  (define (ctime-ns st)
    ;; Guile 3.0.8's stat:ctimensec gives the seconds again: then assume
    ;; the end of that second.
    (let ((nsec (stat:ctimensec st)))
      (ns (stat:ctime st) (if (< nsec 1000000000) nsec 999999999))))
  (define (row name st)
    (when (or (> (ns (stat:mtime st) (stat:mtimensec st)) limit)
              (> (ctime-ns st) limit))
      (set! racy? #t))
    (format #f "~s ~a ~a ~a ~a ~a.~a ~a~%" name (stat:type st) (stat:size st)
            (stat:perms st) (stat:ino st) (stat:mtime st) (stat:mtimensec st)
            (ctime-ns st)))
  (define (entries directory)
    ;; Not (ice-9 ftw)'s scandir: loading it and (ice-9 vlist) would cost a
    ;; no-op build a few milliseconds, and this runs on every one.
    (let ((stream (opendir directory)))
      (let loop ((result '()))
        (let ((entry (readdir stream)))
          (cond ((eof-object? entry) (closedir stream) (sort result string<?))
                ((member entry '("." "..")) (loop result))
                (else (loop (cons entry result))))))))
  (define (walk file name)
    (let ((st (lstat file)))
      (cons (row name st)
            (if (eq? 'directory (stat:type st))
                (append-map (lambda (entry)
                              (let ((child (string-append file "/" entry)))
                                (if (select? child (lstat child))
                                    (walk child (string-append name "/" entry))
                                    '())))
                            (entries file))
                '()))))
  (let ((rows (walk source ".")))
    (and (not racy?)
         (bytevector->base16-string (sha256 (string-concatenate rows))))))

(define (local-file->store-path store file)
  "Add FILE, a <local-file>, to STORE and return its store file name."
  (cached store file #f #f
          (lambda ()
            (let* ((source (local-file-absolute-file-name file))
                   (directory? (eq? 'directory (stat:type (stat source))))
                   (recursive? (or directory? (local-file-recursive? file)))
                   (select? (local-file-select? file)))
              (if (eq? select? true-for-every-file)
                  (add-to-store store (local-file-name file) recursive?
                                'sha256 source)
                  ;; The selected files are copied to a temporary directory
                  ;; to be added; skip that (tens of milliseconds of file
                  ;; creations and deletions on a busy disk) when the same
                  ;; selection of unchanged files was added before.
                  (let* ((stamp (selected-tree-stamp source select?))
                         (key (list source (local-file-name file) recursive?
                                    stamp))
                         (known (and stamp (stamp-cache-ref 'local-file key))))
                    (if (and known (valid-path? store known))
                        known
                        (let* ((tmp (mkdtemp (string-append
                                              (or (getenv "TMPDIR") "/tmp")
                                              "/ferrix-local-file-XXXXXX")))
                               (copy (string-append tmp "/copy"))
                               (item (dynamic-wind
                                       (const #t)
                                       (lambda ()
                                         (copy-recursively source copy
                                                           #:select? select?)
                                         (add-to-store store
                                                       (local-file-name file)
                                                       recursive? 'sha256 copy))
                                       (lambda ()
                                         (delete-file-recursively tmp)))))
                          (when stamp
                            (stamp-cache-set! 'local-file key item))
                          item))))))))


;;; packages.scm ends here

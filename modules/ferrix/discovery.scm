;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix discovery): finding packages.  The modules under the package
;;; module path (-L) and those of loaded package files are searched for
;;; packages by name, as Guix's (guix discovery) and (gnu packages) do.

(define-module (ferrix discovery)
  #:use-module ((ferrix packages)
                #:select (package? package-name package-version
                          version-prefix? version>?))
  #:use-module ((ferrix package-files) #:select (package-file-modules))
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-11)
  #:use-module (srfi srfi-26)
  #:use-module (srfi srfi-34)
  #:use-module (srfi srfi-35)
  #:autoload (ice-9 ftw) (scandir)
  #:use-module (ice-9 match)
  #:export (%package-module-path
            add-to-package-module-path!
            scheme-modules
            package-modules
            fold-packages
            find-packages-by-name
            specification->package))

(define %package-module-path
  ;; Directories whose modules are searched for packages (-L).
  (make-parameter '()))

(define (add-to-package-module-path! directory)
  "Search DIRECTORY for package modules, and for modules in general."
  (let ((directory (canonicalize-path directory)))
    (unless (member directory %load-path)
      (set! %load-path (cons directory %load-path)))
    (unless (member directory (%package-module-path))
      (%package-module-path (append (%package-module-path)
                                    (list directory))))))

(define (module-file? file)
  "Return true if FILE starts with a 'define-module' form."
  (false-if-exception
   (call-with-input-file file
     (lambda (port)
       (match (read port)
         (('define-module (names ...) _ ...) #t)
         (_ #f))))))

(define (scheme-modules directory)
  "Return the names of the modules defined by the .scm files under
DIRECTORY, sorted by file name; hidden directories and files that do not
start with 'define-module' are skipped."
  (define (walk dir prefix result)
    (fold (lambda (entry result)
            (let ((file (string-append dir "/" entry)))
              (cond ((and (eq? 'directory (stat:type (stat file)))
                          (not (string-prefix? "." entry)))
                     (walk file (append prefix (list entry)) result))
                    ((and (string-suffix? ".scm" entry) (module-file? file))
                     (cons (map string->symbol
                                (append prefix
                                        (list (string-drop-right entry 4))))
                           result))
                    (else result))))
          result
          (scandir dir (negate (cut member <> '("." ".."))) string<?)))
  (reverse (walk directory '() '())))

(define %package-module-cache '())      ;((DIRECTORY ...) . INTERFACES)

(define (package-modules)
  "Return the public interfaces of the modules under %package-module-path,
loading them, followed by the modules of files loaded with
'load-package-file'.  The directories are scanned once for a given
%package-module-path."
  (append (match %package-module-cache
            (((? (cut equal? <> (%package-module-path))) . interfaces)
             interfaces)
            (_
             (let ((interfaces
                    (append-map (lambda (directory)
                                  (map resolve-interface
                                       (scheme-modules directory)))
                                (%package-module-path))))
               (set! %package-module-cache
                 (cons (%package-module-path) interfaces))
               interfaces)))
          (package-file-modules)))

(define* (fold-packages proc init #:optional (modules (package-modules)))
  "Call (PROC PACKAGE RESULT) for each package bound in MODULES, each
package once."
  (let ((seen (make-hash-table)))
    (fold (lambda (module result)
            (let ((result result))
              (module-for-each
               (lambda (symbol variable)
                 (when (variable-bound? variable)
                   (let ((value (variable-ref variable)))
                     (when (and (package? value)
                                (not (hashq-ref seen value)))
                       (hashq-set! seen value #t)
                       (set! result (proc value result))))))
               module)
              result))
          init
          modules)))

(define* (find-packages-by-name name #:optional version)
  "Return the packages named NAME whose version is VERSION or starts with
it (at a component boundary), highest version first."
  (sort (fold-packages (lambda (p result)
                         (if (and (string=? (package-name p) name)
                                  (or (not version)
                                      (version-prefix? version
                                                       (package-version p))))
                             (cons p result)
                             result))
                       '())
        (lambda (a b)
          (version>? (package-version a) (package-version b)))))

(define (specification->package spec)
  "Return the package for SPEC, \"NAME\" or \"NAME@VERSION\": the highest
matching version.  Raise an error when there is none."
  (let-values (((name version)
                (let ((at (string-rindex spec #\@)))
                  (if at
                      (values (substring spec 0 at) (substring spec (+ at 1)))
                      (values spec #f)))))
    (match (find-packages-by-name name version)
      ((p _ ...) p)
      (()
       (raise (make-condition &message 'message
                              (if version
                                  (format #f "~a: no package with version ~a"
                                          name version)
                                  (format #f "~a: unknown package" name))))))))

;;; discovery.scm ends here

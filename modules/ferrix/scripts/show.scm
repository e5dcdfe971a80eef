;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix scripts show): 'ferrix show', print the metadata of packages as
;;; recutils records, like 'guix show'.

(define-module (ferrix scripts show)
  #:use-module (ferrix ui)
  #:use-module (ferrix scripts)
  #:use-module (ferrix scripts packages)
  #:use-module (ferrix packages)
  #:use-module (ferrix discovery)
  #:use-module (ferrix diagnostics)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 match)
  #:export (ferrix-show
            package->recutils))

(define (show-help)
  (display "Usage: ferrix show [OPTION]... PACKAGE...
Show the metadata of PACKAGEs (NAME, or NAME@VERSION for the versions
starting with VERSION) as recutils records: every package of that name, in
decreasing version order.  With -f FILE and no PACKAGE, show the packages
FILE evaluates to.")
  (show-load-options-help))

(define %options %load-options)

(define %text-width 79)

(define (fill-words words first-prefix)
  "Return WORDS joined by spaces, broken into lines of at most %text-width
characters; the first line starts with FIRST-PREFIX, the others with \"+ \",
as recutils continues a field."
  (let loop ((words words)
             (line first-prefix)
             (fresh? #t)
             (lines '()))
    (match words
      (()
       (string-join (reverse (cons line lines)) "\n"))
      ((word . rest)
       (cond (fresh?
              (loop rest (string-append line word) #f lines))
             ((> (+ (string-length line) 1 (string-length word)) %text-width)
              (loop rest (string-append "+ " word) #f (cons line lines)))
             (else
              (loop rest (string-append line " " word) #f lines)))))))

(define (field name value)
  "Return the recutils line(s) of field NAME with the string VALUE, filled."
  (let ((words (remove string-null?
                       (string-split (string-map (lambda (c)
                                                   (if (char-whitespace? c)
                                                       #\space
                                                       c))
                                                 value)
                                     #\space))))
    (if (null? words)
        (string-append name ":")
        (fill-words words (string-append name ": ")))))

(define (output-description package output)
  "Describe OUTPUT of PACKAGE as 'guix show' does, or return #f."
  (cond ((= 1 (length (package-outputs package))) "everything")
        ((string=? output "out") "everything else")
        (else #f)))

(define (dependency-names package)
  (sort (delete-duplicates
         (map package-full-name
              (append-map cdr (package-dependencies package))))
        string<?))

(define (license->string license)
  (match license
    (#f "")
    ((? string?) license)
    ((licenses ...) (string-join (map license->string licenses) ", "))
    (other (format #f "~a" other))))

(define (package->recutils package port)
  "Write the recutils record describing PACKAGE to PORT."
  (define (line str)
    (display str port)
    (newline port))
  (line (field "name" (package-name package)))
  (line (field "version" (package-version package)))
  (line "outputs:")
  (for-each (lambda (output)
              (let ((text (output-description package output)))
                (line (if (string? text)
                          (string-append "+ " output ": " text)
                          (string-append "+ " output)))))
            (package-outputs package))
  (line (field "systems" (string-join (package-supported-systems package))))
  (line (field "dependencies" (string-join (dependency-names package))))
  (line (field "location" (match (package-location package)
                            (#f "")
                            (loc (location->display-string loc)))))
  (line (field "homepage" (or (package-home-page package) "")))
  (line (field "license" (license->string (package-license package))))
  (line (field "synopsis" (package-synopsis package)))
  (line (field "description" (package-description package)))
  (newline port))

(define (specification->packages spec)
  "Return every package matching SPEC, highest version first."
  (let* ((at (string-rindex spec #\@))
         (name (if (and at (> at 0)) (substring spec 0 at) spec))
         (version (and at (> at 0) (substring spec (+ at 1)))))
    (match (find-packages-by-name name version)
      (() (list (specification->package* spec))) ;raises the error
      (packages packages))))

(define (ferrix-show . args)
  "Run 'ferrix show' with the list of strings ARGS."
  (let ((opts (parse-command-line "show" args %options)))
    (when (assq-ref opts 'help?)
      (show-help)
      (exit 0))
    (when (and (null? (option-values opts 'argument))
               (null? (option-values opts 'file))
               (null? (option-values opts 'expression)))
      (usage-error "show" "no package given"))
    (call-with-command-environment opts
      (lambda ()
        (let* ((files (load-files opts))
               (expressions (evaluate-expressions opts))
               (specs (option-values opts 'argument))
               (packages
                (if (null? specs)
                    (filter package?
                            (append
                             (append-map value->objects files
                                         (option-values opts 'file))
                             (append-map value->objects expressions
                                         (option-values opts 'expression))))
                    (append-map specification->packages specs))))
          (for-each (lambda (package)
                      (with-package-context package
                        (lambda ()
                          (package->recutils package (current-output-port)))))
                    (delete-duplicates packages eq?)))))))

;;; show.scm ends here

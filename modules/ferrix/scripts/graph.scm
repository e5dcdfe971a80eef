;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix scripts graph): 'ferrix graph', the dependency graph of packages
;;; or of their derivations in Graphviz's DOT language, like 'guix graph'.

(define-module (ferrix scripts graph)
  #:use-module (ferrix ui)
  #:use-module (ferrix scripts)
  #:use-module (ferrix scripts packages)
  #:use-module (ferrix packages)
  #:use-module (ferrix store)
  #:use-module (ferrix derivations)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-26)
  #:use-module (srfi srfi-37)
  #:use-module (ice-9 match)
  #:export (ferrix-graph
            package-graph
            derivation-graph
            write-dot))

;;; Commentary:
;;;
;;; A graph is a list of nodes (ID LABEL SHAPE) and a list of edges (FROM
;;; TO KIND).  Output is deterministic: nodes sorted by identifier, edges by
;;; source, target and kind, identifiers derived from names (packages) or
;;; store file names (derivations), never from addresses.
;;;
;;; Code:

(define %types
  '(("package" . "the package DAG: packages and their inputs, native inputs,
                 propagated inputs and #:cargo-inputs (the default)")
    ("derivation" . "the derivation DAG: .drv files and the sources they use")))

(define %backends
  '(("graphviz" . "the DOT language of Graphviz (the default; alias: dot)")))

(define (show-help)
  (display "Usage: ferrix graph [OPTION]... PACKAGE...
Print the dependency graph of PACKAGEs (and those given by -f and -e) in the
DOT language of Graphviz, e.g. for 'dot -Tsvg'.

  -t, --type=TYPE        the graph: 'package' (default) or 'derivation'
  -b, --backend=BACKEND  the output format: 'graphviz' (default)
      --list-types       list the graph types and exit
      --list-backends    list the backends and exit")
  (show-load-options-help)
  (show-lowering-options-help)
  (display "
In package graphs, plain edges are inputs; dashed ones native inputs, bold
ones propagated inputs, dotted ones #:cargo-inputs and
#:cargo-development-inputs (whose sources are vendored).
"))

(define %options
  (append (list (option '(#\t "type") #t #f
                        (lambda (opt name arg result)
                          (unless (assoc arg %types)
                            (leave 2 "graph: ~a: unknown graph type~%\
Try 'ferrix graph --list-types'." arg))
                          (alist-cons 'type arg result)))
                (option '(#\b "backend") #t #f
                        (lambda (opt name arg result)
                          (unless (member arg '("graphviz" "dot"))
                            (leave 2 "graph: ~a: unknown backend~%\
Try 'ferrix graph --list-backends'." arg))
                          result))
                (flag-option '("list-types") 'list 'types)
                (flag-option '("list-backends") 'list 'backends))
          %load-options
          %lowering-options))


;;;
;;; Package graphs.
;;;

(define %edge-kinds
  ;; Dependency kinds in the order of 'package-dependencies', with their
  ;; DOT attributes.
  '((inputs)
    (native-inputs (style . "dashed") (label . "native"))
    (propagated-inputs (style . "bold") (label . "propagated"))
    (cargo-inputs (style . "dotted") (label . "cargo"))
    (cargo-development-inputs (style . "dotted") (label . "cargo-dev"))))

(define (package-graph packages)
  "Return the nodes and the edges (two values) of the dependency graph of
PACKAGES.  Node identifiers are NAME@VERSION, followed by \" (2)\", \" (3)\"...
for distinct packages of the same name and version, numbered in depth-first
order from PACKAGES."
  (let ((ids (make-hash-table))         ;package -> id
        (taken (make-hash-table)))      ;id -> #t
    (define (id-of package)
      (or (hashq-ref ids package)
          (let* ((base (package-full-name package))
                 (id (let loop ((n 1))
                       (let ((candidate (if (= n 1)
                                            base
                                            (format #f "~a (~a)" base n))))
                         (if (hash-ref taken candidate)
                             (loop (+ n 1))
                             candidate)))))
            (hash-set! taken id #t)
            (hashq-set! ids package id)
            id)))
    (let ((visited (make-hash-table)))
      (let loop ((todo packages) (nodes '()) (edges '()))
        (match todo
          (()
           (values nodes edges))
          ((package . rest)
           (if (hashq-ref visited package)
               (loop rest nodes edges)
               (let* ((id (id-of package))
                      (deps (package-dependencies package))
                      (dependencies (append-map cdr deps)))
                 (hashq-set! visited package #t)
                 ;; Name the dependencies in order before descending.
                 (for-each id-of dependencies)
                 (loop (append dependencies rest)
                       (cons (list id (package-full-name package) "box")
                             nodes)
                       (append (append-map
                                (match-lambda
                                  ((kind . dependencies)
                                   (map (lambda (p) (list id (id-of p) kind))
                                        dependencies)))
                                deps)
                               edges))))))))))


;;;
;;; Derivation graphs.
;;;

(define (derivation-graph store derivations)
  "Return the nodes and the edges (two values) of the graph of DERIVATIONS
and their inputs in STORE: .drv files and the store items they use as
sources.  Identifiers are store file names."
  (let ((seen (make-hash-table)))
    (let loop ((todo (map derivation-file-name derivations))
               (nodes '())
               (edges '()))
      (match todo
        (()
         (values nodes edges))
        ((file . rest)
         (if (hash-ref seen file)
             (loop rest nodes edges)
             (begin
               (hash-set! seen file #t)
               (if (derivation-path? file)
                   (let* ((drv (read-derivation-from-store store file))
                          (inputs (map derivation-input-path
                                       (derivation-inputs drv)))
                          (sources (derivation-sources drv)))
                     (loop (append inputs sources rest)
                           (cons (list file (store-path-package-name file)
                                       "box")
                                 nodes)
                           (append (map (lambda (input)
                                          (list file input 'input))
                                        inputs)
                                   (map (lambda (source)
                                          (list file source 'source))
                                        sources)
                                   edges)))
                   (loop rest
                         (cons (list file (store-path-package-name file)
                                     "ellipse")
                               nodes)
                         edges)))))))))


;;;
;;; DOT.
;;;

(define (dot-string str)
  "Return STR as a quoted DOT identifier."
  (string-append "\""
                 (string-concatenate
                  (map (lambda (c)
                         (case c
                           ((#\") "\\\"")
                           ((#\\) "\\\\")
                           ((#\newline) "\\n")
                           (else (string c))))
                       (string->list str)))
                 "\""))

(define (edge<? a b)
  (match (list a b)
    (((from1 to1 kind1) (from2 to2 kind2))
     (or (string<? from1 from2)
         (and (string=? from1 from2)
              (or (string<? to1 to2)
                  (and (string=? to1 to2)
                       (string<? (symbol->string kind1)
                                 (symbol->string kind2)))))))))

(define (write-dot name nodes edges port)
  "Write the graph NAME with NODES and EDGES (see the commentary) to PORT in
the DOT language, sorted."
  (format port "digraph ~a {~%" (dot-string name))
  (format port "  node [fontname = \"sans\"];~%")
  (for-each (match-lambda
              ((id label shape)
               (format port "  ~a [label = ~a, shape = ~a];~%"
                       (dot-string id) (dot-string label) shape)))
            (sort (delete-duplicates nodes)
                  (lambda (a b) (string<? (car a) (car b)))))
  (for-each (match-lambda
              ((from to kind)
               (let ((attributes (or (assq-ref %edge-kinds kind) '())))
                 (format port "  ~a -> ~a~a;~%" (dot-string from) (dot-string to)
                         (if (null? attributes)
                             ""
                             (string-append
                              " ["
                              (string-join
                               (map (match-lambda
                                      ((key . value)
                                       (format #f "~a = ~a" key
                                               (dot-string value))))
                                    attributes)
                               ", ")
                              "]"))))))
            (sort (delete-duplicates edges) edge<?))
  (format port "}~%"))


(define (ferrix-graph . args)
  "Run 'ferrix graph' with the list of strings ARGS."
  (let ((opts (parse-command-line "graph" args %options)))
    (when (assq-ref opts 'help?)
      (show-help)
      (exit 0))
    (match (assq-ref opts 'list)
      ('types
       (for-each (match-lambda
                   ((name . description)
                    (format #t "  - ~a: ~a~%" name
                            (string-join (map string-trim
                                              (string-split description
                                                            #\newline))
                                         " "))))
                 %types)
       (exit 0))
      ('backends
       (for-each (match-lambda
                   ((name . description)
                    (format #t "  - ~a: ~a~%" name description)))
                 %backends)
       (exit 0))
      (#f #t))
    (when (and (null? (option-values opts 'argument))
               (null? (option-values opts 'file))
               (null? (option-values opts 'expression)))
      (usage-error "graph" "no package given"))
    (call-with-command-environment opts
      (lambda ()
        (let* ((objects (append
                         (append-map value->objects (load-files opts)
                                     (option-values opts 'file))
                         (append-map value->objects (evaluate-expressions opts)
                                     (map (cut string-append "-e " <>)
                                          (option-values opts 'expression)))
                         (resolve-specifications opts)))
               (type (or (assq-ref opts 'type) "package")))
          (if (string=? type "package")
              (let ((packages (filter package? objects)))
                (unless (= (length packages) (length objects))
                  (leave 1 "error: graph: a package graph needs packages, \
not derivations; try --type=derivation"))
                (call-with-values (lambda () (package-graph packages))
                  (lambda (nodes edges)
                    (write-dot "ferrix package graph" nodes edges
                               (current-output-port)))))
              (with-store store
                (let ((derivations (lower-objects
                                    store objects
                                    #:system (%current-system)
                                    #:target (assq-ref opts 'target))))
                  (call-with-values
                      (lambda () (derivation-graph store derivations))
                    (lambda (nodes edges)
                      (write-dot "ferrix derivation graph" nodes edges
                                 (current-output-port))))))))))))

;;; graph.scm ends here

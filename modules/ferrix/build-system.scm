;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix build-system): build systems, bags, and the build-side
;;; convention every derivation made by a build system follows.

(define-module (ferrix build-system)
  #:use-module (ferrix records)
  #:use-module (ferrix store)
  #:use-module (ferrix derivations)
  #:use-module ((ferrix hash) #:select (sha256))
  #:use-module ((ferrix base32) #:select (bytevector->base16-string))
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-34)
  #:use-module (srfi srfi-35)
  #:use-module (ferrix cache)
  #:use-module (ice-9 match)
  #:use-module ((rnrs bytevectors) #:select (bytevector?))
  #:re-export (%current-system
               %current-target-system)
  #:export (build-system
            build-side-derivation
            build-script->store
            build-system?
            build-system-name
            build-system-description
            build-system-lower

            bag
            bag?
            bag-name
            bag-system
            bag-target
            bag-build-inputs
            bag-host-inputs
            bag-target-inputs
            bag-outputs
            bag-arguments
            bag-build
            bag-direct-inputs
            make-bag

            %standard-inputs
            strip-keyword-arguments
            keyword-argument

            &build-system-argument-error
            build-system-argument-error?
            build-system-argument-error-name
            build-system-argument-error-keyword
            build-system-argument-error-value
            raise-build-system-argument-error

            build-side-directory
            build-side-item
            build-script->derivation
            write-build-script
            stamp-cache-ref
            stamp-cache-set!))

;;; Commentary:
;;;
;;; A build system turns a package into a bag (its 'lower' procedure, called
;;; by 'make-bag'), and a bag's 'build' procedure turns the bag into a
;;; derivation, as in Guix's (guix build-system).  Arguments of 'lower':
;;;
;;;   (LOWER NAME #:system #:target #:source #:inputs #:native-inputs
;;;          #:outputs #:properties . ARGUMENTS)
;;;
;;; where ARGUMENTS are the package's arguments; #:properties (the package's
;;; properties alist) is a ferrix addition, so LOWER must accept other keys
;;; (as every Guix 'lower' does) and strip it.  LOWER returns a <bag>, or #f
;;; when it cannot build for TARGET.
;;;
;;; The 'build' procedure of a bag is called in the store-passing style of
;;; pre-gexp Guix, with its input lists already lowered: each input is
;;; (LABEL OBJECT OUTPUT), OBJECT a <derivation> or a store file name.
;;; Native builds (no target):
;;;
;;;   (BUILD STORE NAME INPUTS #:system #:outputs . ARGUMENTS)
;;;
;;; INPUTS being the bag's transitive inputs (build, host and target inputs
;;; plus what they propagate); cross builds:
;;;
;;;   (BUILD STORE NAME #:build-inputs #:host-inputs #:target-inputs
;;;          #:system #:target #:outputs . ARGUMENTS)
;;;
;;; The build-side convention.  Derivations made by build systems all run
;;; the same program, the build-side item (see 'build-side-item'): a store
;;; directory holding
;;;
;;;   bin/ferrix                             the launcher
;;;   lib/libguile-ferrix.so                 the Guile extension
;;;   share/guile/site/3.0/ferrix/...        build-side modules
;;;
;;; A per-crate unit's builder is ITEM/bin/ferrix with the argument "unit"
;;; (see 'build-side-derivation' and (ferrix build-system cargo-units)); the
;;; others' is ITEM/bin/ferrix with arguments ("build-side" SCRIPT),
;;; SCRIPT being a text store item holding Scheme top-level forms that the
;;; launcher evaluates in order with 'primitive-load' after putting
;;; ITEM/share/guile/site/3.0 first in the load path and ITEM/lib first in
;;; the extension path; the derivation's environment also carries those two
;;; directories in GUILE_LOAD_PATH and GUILE_EXTENSIONS_PATH, and
;;; GUILE_AUTO_COMPILE=0.  Outputs reach the script through the environment
;;; (one variable per output name, as in every Nix/Guix derivation).
;;; Because the item is content-addressed, a change to build-side code
;;; changes every derivation.
;;;
;;; Code:


;;;
;;; Inputs.
;;;

(define %standard-inputs
  ;; Inputs added to the host inputs of every package.  Builds see the host's
  ;; read-only /usr (compilers, libc), so there are none by default; a
  ;; distribution may list packages here, in either input form.
  (make-parameter '()))


;;;
;;; Build systems and bags.
;;;

(define-record-type* <build-system> build-system make-build-system
  build-system?
  (name        build-system-name)         ;symbol
  (description build-system-description)  ;string
  (lower       build-system-lower))       ;procedure, see above

(set-record-type-printer! <build-system>
  (lambda (bs port)
    (format port "#<build-system ~a>" (build-system-name bs))))

(define-record-type* <bag> bag %make-bag
  bag?
  (name          bag-name)                ;string, NAME-VERSION
  (system        bag-system)              ;string
  (target        bag-target (default #f)) ;string | #f
  ;; Build/host/target as in the GNU tool chain.  Target inputs are built
  ;; natively but used by target programs (as in Guix).
  (build-inputs  bag-build-inputs (default '()))
  (host-inputs   bag-host-inputs (default '()))
  (target-inputs bag-target-inputs (default '()))
  (outputs       bag-outputs (default '("out")))
  (arguments     bag-arguments (default '()))
  (build         bag-build))              ;procedure, see above

(define (bag-direct-inputs bag)
  "Return the build, host and target inputs of BAG, in that order."
  (append (bag-build-inputs bag)
          (bag-host-inputs bag)
          (bag-target-inputs bag)))

(define* (make-bag build-system name
                   #:key source (inputs '()) (native-inputs '())
                   (outputs '()) (arguments '()) (properties '())
                   system target)
  "Ask BUILD-SYSTEM to return a bag for NAME, with the given SOURCE, INPUTS,
NATIVE-INPUTS, OUTPUTS, PROPERTIES and additional ARGUMENTS (a keyword list).
TARGET, when true, is the cross-compilation target.  Return #f if the build
system cannot build for TARGET."
  (apply (build-system-lower build-system) name
         #:system system
         #:source source
         #:inputs inputs
         #:native-inputs native-inputs
         #:outputs outputs
         #:target target
         #:properties properties
         arguments))


;;;
;;; Keyword lists.
;;;

;; A package argument a build system refuses: NAME is the name given to its
;; 'lower' (NAME-VERSION), KEYWORD the argument (#f when the list itself is
;; malformed), VALUE what it was given.  Also a &message condition.
(define-condition-type &build-system-argument-error &error
  build-system-argument-error?
  (name    build-system-argument-error-name)
  (keyword build-system-argument-error-keyword)
  (value   build-system-argument-error-value))

(define (raise-build-system-argument-error name keyword value message)
  "Raise a &build-system-argument-error for argument KEYWORD of the package
NAME whose value is VALUE; MESSAGE is the whole sentence."
  (raise (make-compound-condition
          (make-condition &build-system-argument-error
                          'name name 'keyword keyword 'value value)
          (make-condition &message 'message message))))

(define (strip-keyword-arguments keywords arguments)
  "Remove from ARGUMENTS, a keyword list, the keywords in KEYWORDS and their
values."
  (let loop ((arguments arguments) (result '()))
    (match arguments
      (() (reverse result))
      (((? keyword? key) value rest ...)
       (loop rest (if (memq key keywords)
                      result
                      (cons* value key result))))
      ((x rest ...)
       (loop rest (cons x result))))))

(define* (keyword-argument arguments keyword #:optional default)
  "Return the value of KEYWORD in ARGUMENTS, a keyword list, or DEFAULT."
  (let loop ((arguments arguments))
    (match arguments
      (((? keyword? key) value rest ...)
       (if (eq? key keyword) value (loop rest)))
      ((_ rest ...) (loop rest))
      (() default))))


;;;
;;; The build-side item.
;;;

(define (build-side-directory)
  "Return the directory assembled at build time that becomes the build-side
item: $FERRIX_BUILD_SIDE_DIRECTORY, else (ferrix config)'s."
  (or (getenv "FERRIX_BUILD_SIDE_DIRECTORY")
      ;; Resolved lazily: (ferrix config) is generated by CMake.
      (module-ref (resolve-interface '(ferrix config))
                  '%build-side-directory)))

(define (directory-stamp directory)
  "Return a list describing the files under DIRECTORY by name, type, size,
mode and modification time, cheap to compute and changed by any rebuild."
  (define (walk dir prefix result)
    (fold (lambda (entry result)
            (let* ((file (string-append dir "/" entry))
                   (st (lstat file))
                   (name (string-append prefix entry))
                   (row (list name (stat:type st) (stat:size st)
                              (stat:perms st) (stat:mtime st)
                              (stat:mtimensec st) (stat:ino st))))
              (if (eq? (stat:type st) 'directory)
                  (walk file (string-append name "/") (cons row result))
                  (cons row result))))
          result
          (sort (or (scandir* dir) '()) string<?)))
  (reverse (walk directory "" '())))

(define (scandir* dir)
  "Return the entries of DIR other than . and .., or #f."
  (let ((stream (false-if-exception (opendir dir))))
    (and stream
         (let loop ((entries '()))
           (let ((entry (readdir stream)))
             (cond ((eof-object? entry)
                    (closedir stream)
                    entries)
                   ((member entry '("." "..")) (loop entries))
                   (else (loop (cons entry entries)))))))))

;; Per store: the build-side item already added in this process.
(define %build-side-items (make-weak-key-hash-table))

(define (build-side-item store)
  "Add the build-side directory to STORE (recursively, sha256) and return
its store file name.  This is done once per store and process; across
processes, a directory whose files have the same names, sizes and times as
when last added is not hashed again if its item is still valid."
  (or (hashq-ref %build-side-items store)
      (let* ((directory (build-side-directory))
             (_ (unless (file-exists? (string-append directory "/bin/ferrix"))
                  (error (format #f "build-side directory '~a' is missing or \
incomplete; build the 'ferrix-build-side' target" directory))))
             (stamp (directory-stamp directory))
             (cached (stamp-cache-ref 'build-side (list directory stamp)))
             (item (if (and cached (valid-path? store cached))
                       cached
                       (let ((item (add-to-store store "ferrix-build-side" #t
                                                 'sha256 directory)))
                         (stamp-cache-set! 'build-side (list directory stamp)
                                           item)
                         item))))
        (hashq-set! %build-side-items store item)
        item)))


;;;
;;; A tiny persistent cache of facts keyed by file metadata.
;;;
;;; One small file per entry, named by the sha256 of the written key, in the
;;; cache directory "stamps" (see (ferrix cache)): a look-up reads only its
;;; own entry (one file holding every entry took 8 ms to read back with
;;; Guile's reader, a sixth of a no-op build).  Keys hold the metadata they
;;; depend on, so an entry is never stale, only unused; the oldest go once
;;; there are more than %stamp-cache-size.
;;;

(define %stamp-cache-size 512)

(define (stamp-cache-file directory kind key)
  (string-append directory "/"
                 (string-take (bytevector->base16-string
                               (sha256 (object->string (list kind key))))
                              40)))

(define (stamp-cache-ref kind key)
  "Return the value cached for KEY of KIND, or #f."
  (let ((directory (cache-directory "stamps")))
    (and directory
         (false-if-exception
          (call-with-input-file (stamp-cache-file directory kind key)
            (lambda (port)
              (let ((value (read port)))
                (and (not (eof-object? value)) value))))))))

(define (stamp-cache-set! kind key value)
  "Record VALUE, a datum, for KEY of KIND.  Errors writing the cache are
ignored: it is only an optimisation."
  (let ((directory (cache-directory "stamps")))
    (when directory
      (false-if-exception
       (let* ((file (stamp-cache-file directory kind key))
              (tmp (string-append directory "/.tmp-" (basename file) "-"
                                  (number->string (getpid)))))
         (make-cache-directory directory)
         (call-with-output-file tmp
           (lambda (port) (write value port)))
         (rename-file tmp file)
         (remove-oldest-cache-entries directory %stamp-cache-size))))))


;;;
;;; Build scripts and their derivations.
;;;

(define (serializable? obj)
  "Return #t if OBJ can be written and read back as the same datum."
  (let loop ((obj obj))
    (cond ((pair? obj) (and (loop (car obj)) (loop (cdr obj))))
          ((vector? obj) (every loop (vector->list obj)))
          (else (or (null? obj) (string? obj) (symbol? obj) (keyword? obj)
                    (number? obj) (char? obj) (boolean? obj)
                    (bytevector? obj) (unspecified? obj))))))

(define (check-serializable who obj)
  (unless (serializable? obj)
    (error (format #f "~a: cannot be written into a build script \
(not plain data): ~s" who obj))))

(define (write-build-script forms port)
  "Write FORMS, a list of top-level Scheme forms, to PORT, one per line.  A
form (PROC #:KEY VALUE ...) is written with one keyword argument per line.
Writing is deterministic: the same data always gives the same text."
  (define (write-value value)
    (match value
      (('quote datum)
       (display "'" port)
       (write datum port))
      (_ (write value port))))
  (define (write-call form)
    (match form
      (((? symbol? proc) args ...)
       (if (any keyword? args)
           (begin
             (display "(" port)
             (write proc port)
             (let loop ((args args))
               (match args
                 (() #t)
                 (((? keyword? key) value rest ...)
                  (display "\n " port)
                  (write key port)
                  (display " " port)
                  (write-value value)
                  (loop rest))
                 ((x rest ...)
                  (display "\n " port)
                  (write x port)
                  (loop rest))))
             (display ")" port))
           (write form port)))
      (_ (write form port))))
  (for-each (lambda (form)
              (check-serializable "build script" form)
              (write-call form)
              (newline port))
            forms))

(define* (build-side-derivation store name arguments
                                #:key (system (%current-system))
                                (inputs '())
                                (outputs '("out"))
                                (env-vars '())
                                hash hash-algo recursive?)
  "Return a derivation NAME whose builder is the build side's `ferrix' run
with ARGUMENTS: `build-side SCRIPT' (see 'build-script->derivation'), or
`unit' (a per-crate unit, doc/per-crate.md).  INPUTS are derivation inputs in
the form accepted by 'derivation'; the build-side item is added to them."
  (let ((item (build-side-item store)))
    (derivation store name (string-append item "/bin/ferrix") arguments
                #:system system
                #:env-vars
                (append `(("GUILE_AUTO_COMPILE" . "0")
                          ("GUILE_EXTENSIONS_PATH" . ,(string-append item "/lib"))
                          ("GUILE_LOAD_PATH"
                           . ,(string-append item "/share/guile/site/3.0")))
                        env-vars)
                #:inputs (merge-derivation-inputs (append inputs `((,item))))
                #:outputs outputs
                #:hash hash
                #:hash-algo hash-algo
                #:recursive? recursive?)))

(define (build-script->store store name forms references)
  "Add FORMS, a list of top-level forms, to STORE as the text item NAME, a
build script whose references are the build-side item and REFERENCES, store
files; return its file name."
  (add-text-to-store store name
                     (call-with-output-string
                       (lambda (port)
                         (display ";;; ferrix build script (generated)\n" port)
                         (write-build-script forms port)))
                     (delete-duplicates (cons (build-side-item store)
                                              references))))

(define* (build-script->derivation store name forms
                                   #:key (system (%current-system))
                                   (inputs '())
                                   (outputs '("out"))
                                   (env-vars '())
                                   hash hash-algo recursive?)
  "Return a derivation NAME that runs FORMS, a list of top-level forms, on
the build side (see the commentary).  INPUTS are derivation inputs in the
form accepted by 'derivation': (DRV OUTPUT ...) or (STORE-FILE).  The script
is a text store item NAME-builder whose references are the store files among
INPUTS, and the build-side item and the script are added to the inputs."
  (let* ((sources (filter-map (match-lambda
                                (((? string? file)) file)
                                (_ #f))
                              inputs))
         (script  (build-script->store store (string-append name "-builder")
                                       forms sources)))
    (build-side-derivation store name (list "build-side" script)
                           #:system system
                           #:env-vars env-vars
                           #:inputs (append inputs `((,script)))
                           #:outputs outputs
                           #:hash hash
                           #:hash-algo hash-algo
                           #:recursive? recursive?)))

(define (merge-derivation-inputs inputs)
  "Merge INPUTS, derivation inputs, so that each derivation or store file
appears once, with the union of its outputs, in first-seen order."
  (define (key obj)
    (if (derivation? obj) (derivation-file-name obj) obj))
  (let ((table (make-hash-table)))
    (let loop ((inputs inputs) (order '()))
      (match inputs
        (()
         (map (lambda (k)
                (match (hash-ref table k)
                  ((obj . outputs) (cons obj (reverse outputs)))))
              (reverse order)))
        (((obj outputs ...) rest ...)
         (let* ((k (key obj))
                (entry (hash-ref table k)))
           (if entry
               (begin
                 (hash-set! table k
                            (cons (car entry)
                                  (fold (lambda (o acc)
                                          (if (member o acc) acc (cons o acc)))
                                        (cdr entry) outputs)))
                 (loop rest order))
               (begin
                 (hash-set! table k (cons obj (reverse outputs)))
                 (loop rest (cons k order))))))))))

;;; build-system.scm ends here

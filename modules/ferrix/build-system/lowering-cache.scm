;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix build-system lowering-cache): the per-crate mode's lowering,
;;; cached (doc/per-crate.md, "Lowering and its cache").  Lowering a package
;;; in that mode reads every manifest, resolves the crate graph and writes a
;;; derivation per unit; a package whose lowering depends on nothing that
;;; changed since the last time gets the package derivation it got then,
;;; read back from the store, without any of that work.

(define-module (ferrix build-system lowering-cache)
  #:use-module (ferrix store)
  #:use-module (ferrix derivations)
  #:use-module ((ferrix packages) #:select (lower-object))
  #:use-module ((ferrix build-system) #:select (build-side-item))
  #:use-module (ferrix build-system cargo-overrides)
  #:use-module ((ferrix build-system cargo-units) #:select (cargo-units-build))
  #:use-module (ferrix cache)
  #:use-module ((ferrix hash) #:select (sha256))
  #:use-module ((ferrix base32) #:select (bytevector->base16-string))
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 match)
  #:use-module ((rnrs bytevectors) #:select (bytevector?))
  #:export (%lowering-cache-format
            %lowering-key-parameters
            lowering-cache-key
            cached-cargo-units-build))

;;; Commentary:
;;;
;;; The key is everything the lowering reads, by identity: the inputs (the
;;; package's source, its crates, the toolchain, its other inputs) by store
;;; file name or derivation file name, both of which name their content;
;;; every argument of 'cargo-units-build' (features, tests, target, flags,
;;; rustflags...), the crate overrides by their data and the identities of
;;; their inputs and patches; the build-side item (the build side and the
;;; extension, by content); the files of the host-side modules that make the
;;; derivations, by name, size, times and inode; ferrix's version and this
;;; cache's format.  The lock file, the manifests, the profiles and the
;;; `.cargo/config.toml' are inside the source or crate items, so their
;;; store file names cover them.
;;;
;;; The value is the package's derivation file name.  It is used only if that
;;; .drv is still valid in the store: then so is every unit derivation and
;;; every source it refers to (a valid item's references stay valid).  An
;;; entry is a file of (ferrix cache)'s directory "per-crate", named by the
;;; key's sha256, written to a temporary file then renamed: an entry is whole
;;; or absent.  An entry that cannot be read, or of another format, is
;;; ignored and written again.
;;;
;;; Code:

(define %lowering-cache-format
  ;; Bump when the value's form or the key's meaning changes.
  1)

(define %lowering-cache-size
  ;; Entries kept; the least recently used go first.
  256)

(define %lowering-key-parameters
  ;; Parameters the lowering reads besides its arguments, whose values must
  ;; therefore be in the key: add here any parameter that 'cargo-units-build'
  ;; or what it calls comes to read (a number of jobs written into the
  ;; invocations, say).  None today.
  '())

(define %lowering-modules
  ;; The host-side modules whose code shapes the derivations.
  '("ferrix/build-system/cargo-units.scm"
    "ferrix/build-system/cargo-overrides.scm"
    "ferrix/build-system/cargo.scm"
    "ferrix/build-system/lowering-cache.scm"
    "ferrix/build-system.scm"
    "ferrix/toolchain.scm"
    "ferrix/derivations.scm"))

(define (file-signature file)
  "Return a list describing FILE by name, size, times and inode, or its name
alone when it cannot be read."
  (match (and file (false-if-exception (stat file)))
    (#f (list file))
    (st (list file (stat:size st) (stat:mtime st) (stat:mtimensec st)
              (stat:ctime st) (stat:ctimensec st) (stat:ino st)))))

(define %modules-signature
  ;; Computed once per process: the modules do not change under it.
  (delay (map (lambda (module)
                (file-signature (search-path %load-path module)))
              %lowering-modules)))

(define (ferrix-version)
  (false-if-exception
   (module-ref (resolve-interface '(ferrix config)) '%ferrix-version)))

(define (plain-data? obj)
  "Return #t if OBJ is written and read back as the same datum."
  (let loop ((obj obj))
    (cond ((pair? obj) (and (loop (car obj)) (loop (cdr obj))))
          ((vector? obj) (every loop (vector->list obj)))
          (else (or (null? obj) (string? obj) (symbol? obj) (keyword? obj)
                    (number? obj) (char? obj) (boolean? obj)
                    (bytevector? obj))))))

(define (object-identity store obj system)
  "Return what names OBJ, an input, by content: its derivation file name or
its store file name.  Raise an error when it has neither: the lowering is
then not cached."
  (cond ((derivation? obj) (derivation-file-name obj))
        ((string? obj) obj)
        (else
         (match (lower-object store obj system)
           ((? derivation? drv) (derivation-file-name drv))
           ((? string? file) file)
           (_ (error "no identity for the input" obj))))))

(define (input-identity store input system)
  "Return INPUT, (LABEL OBJ [OUTPUT]) or OBJ, with OBJ named by content."
  (match input
    (((? string? label) obj . outputs)
     (cons* label (object-identity store obj system) outputs))
    (obj (object-identity store obj system))))

(define (crate-override-identity store override system)
  "Return the data of OVERRIDE that can change a unit: everything but where
it was written, its inputs and patches by content."
  (list (crate-override-name override)
        (crate-override-version override)
        (map (lambda (input) (input-identity store input system))
             (crate-override-native-inputs override))
        (map (lambda (input) (input-identity store input system))
             (crate-override-inputs override))
        (crate-override-environment override)
        (crate-override-system-libraries override)
        (crate-override-rustc-flags override)
        (map (lambda (patch) (object-identity store patch system))
             (crate-override-patches override))
        (crate-override-build-script override)))

(define (lowering-cache-key store name inputs arguments)
  "Return the key of the per-crate lowering of the package NAME with INPUTS
and ARGUMENTS, the keyword arguments of 'cargo-units-build', as a datum; #f
when one of them cannot be named by content (it is then not cached)."
  (define system
    (or (and=> (memq #:system arguments) cadr) (%current-system)))
  (let ((key
         (list 'per-crate-lowering %lowering-cache-format (ferrix-version)
               (force %modules-signature)
               (store-directory store)
               (build-side-item store)
               name
               (map (lambda (parameter) (parameter)) %lowering-key-parameters)
               (map (lambda (input) (input-identity store input system))
                    inputs)
               (let loop ((arguments arguments) (result '()))
                 (match arguments
                   (() (reverse result))
                   ((#:crate-overrides overrides rest ...)
                    (loop rest
                          (cons* (map (lambda (override)
                                        (crate-override-identity store override
                                                                 system))
                                      overrides)
                                 #:crate-overrides result)))
                   ((x rest ...) (loop rest (cons x result))))))))
    (and (plain-data? key) key)))

(define (entry-file key)
  (let ((directory (cache-directory "per-crate")))
    (and directory
         (string-append directory "/"
                        (string-take (bytevector->base16-string
                                      (sha256 (object->string key)))
                                     40)))))

(define (cache-ref store file)
  "Return the derivation the entry FILE names, if it is whole, of this
format, and its .drv is valid in STORE; #f otherwise."
  (match (false-if-exception
          (call-with-input-file file read))
    (('per-crate-lowering (? (lambda (v) (eqv? v %lowering-cache-format)))
                          (? string? drv-file))
     ;; The temporary root first: a gc between the check and the build must
     ;; not take the .drv or the unit derivations it refers to.
     (and (false-if-exception (add-temp-root store drv-file))
          (false-if-exception (valid-path? store drv-file))
          (let ((drv (false-if-exception
                      (read-derivation-from-store store drv-file))))
            ;; Keep it among the most recently used.
            (when drv
              (false-if-exception (utime file)))
            drv)))
    (_ #f)))

(define (cache-set! file drv)
  "Record DRV's file name in the entry FILE, atomically; errors are ignored,
the cache being only an optimisation."
  (false-if-exception
   (let* ((directory (dirname file))
          (tmp (string-append directory "/.tmp-" (basename file) "-"
                              (number->string (getpid)))))
     (make-cache-directory directory)
     (call-with-output-file tmp
       (lambda (port)
         (write (list 'per-crate-lowering %lowering-cache-format
                      (derivation-file-name drv))
                port)))
     (rename-file tmp file)
     (remove-oldest-cache-entries directory %lowering-cache-size))))

(define (cached-cargo-units-build store name inputs . arguments)
  "Return what (cargo-units-build STORE NAME INPUTS ARGUMENTS...) returns,
the per-crate derivation of the package NAME, from the cache when a lowering
with the same key (see 'lowering-cache-key') made it before and it is still
in STORE; otherwise lower it and record it."
  (let* ((key (false-if-exception
               (lowering-cache-key store name inputs arguments)))
         (file (and key (entry-file key))))
    (or (and file (cache-ref store file))
        (let ((drv (apply cargo-units-build store name inputs arguments)))
          (when file
            (cache-set! file drv))
          drv))))

;;; lowering-cache.scm ends here

;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix build-system cargo-overrides): per-crate overrides of the
;;; per-crate mode (doc/cargo.md, "Per-crate overrides"): what a package, a
;;; user or ferrix itself gives the units of one crate (inputs, variables,
;;; rustc flags, patches, a replacement build script), found by crate name
;;; and version.

(define-module (ferrix build-system cargo-overrides)
  #:use-module (ferrix records)
  #:use-module (ferrix packages)
  #:use-module (ferrix build-system)
  #:use-module (ferrix derivations)
  #:use-module (ferrix store)
  #:use-module (ferrix semver)
  #:use-module ((ferrix build sys-crates) #:select (%sys-crate-table))
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-11)
  #:use-module (srfi srfi-34)
  #:use-module (srfi srfi-35)
  #:use-module (ice-9 match)
  #:export (crate-override
            crate-override?
            crate-override-name
            crate-override-version
            crate-override-native-inputs
            crate-override-inputs
            crate-override-environment
            crate-override-system-libraries
            crate-override-rustc-flags
            crate-override-patches
            crate-override-build-script
            crate-override-location

            %crate-overrides
            %default-crate-overrides
            sys-crate-overrides
            crate-override-problem
            crate-override-description
            lookup-crate-override
            lower-crate-override
            crate-override-invocation
            patched-crate-source))

;;; Commentary:
;;;
;;; Which units each field reaches (a unit of the crate NAME at a version
;;; VERSION matches):
;;;
;;;   native-inputs, inputs  every unit of the crate: its derivation depends
;;;                          on them, their bin/ comes first on PATH, their
;;;                          pkgconfig directories on PKG_CONFIG_PATH;
;;;   environment            its build script's run and its compilations of
;;;                          lib, bin, test, bench and example targets (for
;;;                          env!), not its build script's compilation,
;;;                          which stays shared; an empty value unsets the
;;;                          variable;
;;;   system-libraries       its build script's run: (VARIABLE LIBRARY
;;;                          PKG-CONFIG-NAME DEBIAN-PACKAGE BUNDLED), a
;;;                          variable of the environment that forces a system
;;;                          library, set only when pkg-config finds it there
;;;                          (see (ferrix build sys-crates));
;;;   rustc-flags            its compilations of lib, bin, test, bench and
;;;                          example targets;
;;;   patches                the crate's source, for every unit: a patched
;;;                          copy made by a derivation of its own (patch
;;;                          -p1), shared by every package with the same
;;;                          crate and patches;
;;;   build-script           its build script's run: the S-expression is
;;;                          evaluated instead of the compiled script, with
;;;                          its environment (OUT_DIR...) and directory, and
;;;                          what it prints is read as its directives.
;;;
;;; No other unit changes, except through the outputs of the units it uses.
;;;
;;; Code:

(define-record-type* <crate-override> crate-override make-crate-override
  crate-override?
  (name          crate-override-name)                 ;string
  (version       crate-override-version (default #f)) ;#f | requirement
  (native-inputs crate-override-native-inputs (default '()))
  (inputs        crate-override-inputs (default '()))
  (environment   crate-override-environment (default '())) ;((NAME . VALUE))
  (system-libraries crate-override-system-libraries ;((VARIABLE LIBRARY ...))
                    (default '()))
  (rustc-flags   crate-override-rustc-flags (default '()))
  (patches       crate-override-patches (default '()))
  (build-script  crate-override-build-script (default #f)) ;#f | form
  (location      crate-override-location
                 (default (current-source-location)) (innate)))

(set-record-type-printer! <crate-override>
  (lambda (override port)
    (format port "#<crate-override ~a>" (crate-override-description override))))

(define (crate-override-description override)
  "Return how errors name OVERRIDE: `NAME' [VERSION] and where it was
written."
  (let ((loc (source-properties->location (crate-override-location override))))
    (format #f "`~a'~a~a" (crate-override-name override)
            (match (crate-override-version override)
              ((? string? v) (string-append " " v))
              (_ ""))
            (if loc (string-append " (" (location->string loc) ")") ""))))

(define %crate-overrides
  ;; The user's overrides, for every package of a command, after a package's
  ;; own #:crate-overrides: `ferrix build --crate-overrides=FILE'.
  (make-parameter '()))

(define (sys-crate-overrides table)
  "Return one override per crate of TABLE, rows of %sys-crate-table's form:
the variables that make it link the host's library through pkg-config, those
forcing a system library checked when its build script runs."
  (let loop ((table table) (result '()))
    (match table
      (() (reverse result))
      (((crate _ _ . _) _ ...)
       (let-values (((mine others)
                     (partition (lambda (row) (string=? (car row) crate))
                                table)))
         (loop others
               (cons (crate-override
                      (name crate)
                      (environment (map (match-lambda
                                          ((_ variable value . _)
                                           (cons variable value)))
                                        mine))
                      (system-libraries
                       (filter-map (match-lambda
                                     ((_ variable _ (library ...))
                                      (cons variable library))
                                     (_ #f))
                                   mine)))
                     result)))))))

(define %default-crate-overrides
  ;; One override per crate of %sys-crate-table.
  (sys-crate-overrides %sys-crate-table))


;;;
;;; Checking and matching.
;;;

(define (input? obj)
  (or (package? obj) (origin? obj) (local-file? obj) (string? obj)
      (derivation? obj)))

(define (crate-override-problem obj)
  "Return a sentence saying what is wrong with OBJ as a crate override, or #f
when it is a valid one."
  (define (field-problem name value expected ok?)
    (and (not (ok? value))
         (format #f "crate override ~a: field `~a' expects ~a, got ~s"
                 (crate-override-description obj) name expected value)))
  (cond
   ((not (crate-override? obj))
    (format #f "expected a crate override, got ~s" obj))
   ((not (string? (crate-override-name obj)))
    (format #f "crate override ~a: field `name' expects a string, got ~s"
            (crate-override-description obj) (crate-override-name obj)))
   (else
    (or (field-problem "version" (crate-override-version obj)
                       "#f or a version requirement such as \"1.1\" or \
\">=0.9, <0.10\""
                       (lambda (v)
                         (or (not v)
                             (and (string? v) (semver-requirement-valid? v)))))
        (any (lambda (name value)
               (field-problem name value
                              "a list of inputs (packages, origins, local \
files, store file names), labelled or not"
                              (lambda (v)
                                (and (list? v)
                                     (every (match-lambda
                                              (((? string?) (? input?)) #t)
                                              (((? string?) (? input?)
                                                (? string?)) #t)
                                              (x (input? x)))
                                            v)))))
             '("native-inputs" "inputs")
             (list (crate-override-native-inputs obj)
                   (crate-override-inputs obj)))
        (field-problem "environment" (crate-override-environment obj)
                       "an alist of variable names and values (strings)"
                       (lambda (v)
                         (and (list? v)
                              (every (match-lambda
                                       (((? string?) . (? string?)) #t)
                                       (_ #f))
                                     v))))
        (field-problem "system-libraries"
                       (crate-override-system-libraries obj)
                       "a list of (VARIABLE LIBRARY PKG-CONFIG-NAME \
DEBIAN-PACKAGE BUNDLED), BUNDLED #f or a directory of the crate"
                       (lambda (v)
                         (and (list? v)
                              (every (match-lambda
                                       (((? string?) (? string?) (? string?)
                                         (? string?) (or #f (? string?)))
                                        #t)
                                       (_ #f))
                                     v))))
        (field-problem "rustc-flags" (crate-override-rustc-flags obj)
                       "a list of strings"
                       (lambda (v) (and (list? v) (every string? v))))
        (field-problem "patches" (crate-override-patches obj)
                       "a list of patch files (file names, local files or \
origins)"
                       (lambda (v)
                         (and (list? v)
                              (every (lambda (p)
                                       (or (string? p) (local-file? p)
                                           (origin? p)))
                                     v))))
        (field-problem "build-script" (crate-override-build-script obj)
                       "#f or a build-side expression"
                       (lambda (v) (or (not v) (pair? v))))))))

(define (lookup-crate-override overrides name version)
  "Return the first of OVERRIDES that names the crate NAME and whose version
requirement, if any, VERSION satisfies; #f if none does.  When it is not one
of %default-crate-overrides but one of those matches too, the result also has
the default's variables that it does not set itself: a package adding an
input to openssl-sys keeps OPENSSL_NO_VENDOR."
  (define (matches? override)
    (and (string=? (crate-override-name override) name)
         (match (crate-override-version override)
           (#f #t)
           (requirement
            (semver-requirement-match? requirement version)))))
  (match (find matches? overrides)
    (#f #f)
    (override
     (match (and (not (memq override %default-crate-overrides))
                 (find matches? %default-crate-overrides))
       (#f override)
       (default
        (let* ((own (crate-override-environment override))
               (kept (remove (lambda (variable)
                               (assoc (car variable) own))
                             (crate-override-environment default))))
          (cond ((null? kept) override)
                ;; The same record each time: lowering is memoised by it.
                ((assq-ref (hashq-ref %with-defaults override '()) default))
                (else
                 (let ((merged (crate-override
                                 (inherit override)
                                 (environment (append own kept))
                                 ;; A kept switch stays checked.
                                 (system-libraries
                                  (append
                                   (crate-override-system-libraries override)
                                   (filter (lambda (row)
                                             (assoc (car row) kept))
                                           (crate-override-system-libraries
                                            default)))))))
                   (hashq-set! %with-defaults override
                               (acons default merged
                                      (hashq-ref %with-defaults override
                                                 '())))
                   merged)))))))))

(define %with-defaults
  ;; Override -> ((DEFAULT . OVERRIDE-WITH-DEFAULT'S-VARIABLES) ...).
  (make-weak-key-hash-table))


;;;
;;; Lowering.
;;;

(define (realise store obj system)
  "Lower OBJ, an input or patch, and return its store file name, built."
  (match (lower-object store obj system)
    (#f (raise (condition
                (&message (message (format #f "cannot lower ~s" obj))))))
    ((? derivation? drv)
     (build-derivations store (list drv))
     (derivation->output-path drv))
    (file file)))

(define %lowered
  ;; OVERRIDE -> its lowered form, per system.
  (make-weak-key-hash-table))

(define (lower-crate-override store override system)
  "Return OVERRIDE with its inputs (native ones first) and patches as store
file names, built: what the units of its crate use."
  (define key (cons system (store-directory store)))
  (or (assoc-ref (hashq-ref %lowered override '()) key)
      (let* ((inputs (map (match-lambda
                            (((? string?) obj) (realise store obj system))
                            (((? string?) obj (? string? output))
                             (let ((drv (lower-object store obj system)))
                               (if (derivation? drv)
                                   (begin
                                     (build-derivations store (list drv))
                                     (derivation->output-path drv output))
                                   drv)))
                            (obj (realise store obj system)))
                          (append (crate-override-native-inputs override)
                                  (crate-override-inputs override))))
             (lowered (crate-override
                       (inherit override)
                       (native-inputs '())
                       (inputs (delete-duplicates inputs))
                       (patches (map (lambda (patch)
                                       (realise store patch system))
                                     (crate-override-patches override))))))
        (hashq-set! %lowered override
                    (acons key lowered (hashq-ref %lowered override '())))
        lowered)))

(define (crate-override-invocation override unit invocation)
  "Return INVOCATION, the alist of UNIT's invocation, with what OVERRIDE
changes in it: for a build script run, its environment (an empty value unsets
a variable), the variables forcing a system library under `checked-env' as
(VARIABLE VALUE LIBRARY PKG-CONFIG-NAME DEBIAN-PACKAGE BUNDLED) rather than
`env'; for a compilation of a lib, bin, test, bench or example target, its
environment and its rustc flags after the others."
  (define environment (crate-override-environment override))
  (define compilation?
    (and (memq (assq-ref unit 'mode) '(build test))
         (not (eq? (assq-ref unit 'kind) 'custom-build))))
  (define run? (eq? (assq-ref unit 'mode) 'run-custom-build))
  (define checked
    ;; (VARIABLE VALUE LIBRARY ...) of the switches its run checks.
    (if run?
        (filter-map (match-lambda
                      ((variable . library)
                       (match (assoc variable environment)
                         ((_ . (? string-null?)) #f)
                         ((_ . value) (cons* variable value library))
                         (#f #f))))
                    (crate-override-system-libraries override))
        '()))
  (define (unchecked pairs)
    (remove (lambda (pair) (assoc (car pair) checked)) pairs))
  (append
   (map (match-lambda
         (('env . env)
          (cons 'env
                (if (or run? compilation?)
                    (append (remove (lambda (pair)
                                      (assoc (car pair) environment))
                                    env)
                            (unchecked
                             (remove (match-lambda
                                       ((_ . value) (string-null? value)))
                                     environment)))
                    env)))
         (('args . args)
          (cons 'args (if compilation?
                          (append args (crate-override-rustc-flags override))
                          args)))
         (pair pair))
       invocation)
   (if (null? checked) '() `((checked-env . ,checked)))))

(define (patched-crate-source store directory crate version patches system)
  "Return the store directory holding DIRECTORY, the source of CRATE at
VERSION, with PATCHES (store file names) applied with patch -p1, made by a
derivation of its own, built now."
  (let ((drv (build-script->derivation
              store (string-append crate "-" version "-patched")
              `((use-modules (ferrix build utils))
                (copy-recursively ,directory (getenv "out"))
                ;; Store files are read-only: patch writes into the copy.
                (invoke "chmod" "-R" "u+w" (getenv "out"))
                (with-directory-excursion (getenv "out")
                  (for-each (lambda (patch)
                              (format #t "applying '~a'...~%" patch)
                              (invoke "patch" "--batch" "--force" "-p1"
                                      "-i" patch))
                            ',patches)))
              #:system system
              #:inputs (map list (cons directory patches)))))
    (build-derivations store (list drv))
    (derivation->output-path drv)))

;;; cargo-overrides.scm ends here

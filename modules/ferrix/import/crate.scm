;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix import crate): package definitions for crates of a registry, and
;;; crate sources for the packages of a Cargo.lock, as 'guix import crate'
;;; writes them.

(define-module (ferrix import crate)
  #:use-module (ferrix import utils)
  #:use-module (ferrix licenses)
  #:use-module (ferrix base32)
  #:use-module (ferrix semver)
  #:use-module ((ferrix registry) #:prefix registry:)
  #:use-module ((ferrix packages)
                #:select (package? package-source origin? origin-uri))
  #:use-module ((ferrix discovery) #:select (package-modules))
  #:use-module ((ferrix download) #:select (url-fetch))
  #:use-module ((ferrix git-download) #:select (git-checkout-hash))
  #:use-module ((ferrix store) #:select (build-derivations))
  #:use-module ((ferrix crates)
                #:select (registry-crate? registry-crate-name
                          registry-crate-version))
  #:use-module ((ferrix build-system cargo)
                #:select (crate-name->package-name %rust-platforms))
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-9)
  #:use-module (srfi srfi-11)
  #:use-module (srfi srfi-26)
  #:use-module (srfi srfi-34)
  #:use-module (srfi srfi-35)
  #:use-module (ice-9 match)
  #:use-module (ice-9 regex)
  #:export (<crate-info>
            crate-info
            crate-info?
            crate-info-name
            crate-info-description
            crate-info-home-page
            crate-info-repository
            crate-info-documentation
            crate-info-versions

            version-info
            version-info?
            version-info-number
            version-info-yanked?
            version-info-license
            version-info-checksum
            version-info-features
            version-info-dependencies

            dependency-info
            dependency-info?
            dependency-info-name
            dependency-info-key
            dependency-info-requirement
            dependency-info-kind
            dependency-info-optional?
            dependency-info-default-features?
            dependency-info-features
            dependency-info-target

            &crate-import-error
            crate-import-error?

            version->semver-prefix
            crate-variable-name
            lockfile-variable-name
            parse-crate-specification
            select-version
            linux-target-applies?

            registry-lookup
            load-path-crate-packages

            node?
            node-crate
            node-version
            node-features
            node-existing
            node-variable
            node-missing
            resolve-crate-closure
            closure-order
            node-dependencies

            crate-definitions
            crate-import-header
            download-crates
            checksum->nix32

            lockfile-packages
            lockfile-definitions))

;;; Commentary:
;;;
;;; Crates are described by the records below, made from the registry's
;;; records by 'registry-lookup' (or by hand, in tests, so that the
;;; resolution can be tested without a registry): a lookup procedure takes
;;; a crate name and returns a <crate-info>, or #f.
;;;
;;; 'resolve-crate-closure' resolves the dependency graph of a crate the way
;;; cargo does for a build: each dependency resolved to the newest
;;; (non-yanked) version its requirement allows, a node per crate version,
;;; features unified per node, computed as a fixpoint:
;;;
;;;  - the root gets every feature (cargo resolves the lock file of a
;;;    package with all the features of the workspace members; that is
;;;    what 'cargo generate-lockfile' needs), or the features asked for;
;;;  - a node's features expand through its [features] table: "dep:x"
;;;    enables the optional dependency x, "x/f" enables x and its feature
;;;    f, "x?/f" enables f of x only if x is enabled otherwise, "f" the
;;;    feature f; an optional dependency no "dep:" names is also an
;;;    implicit feature of its own name;
;;;  - a dependency edge exists for each non-optional dependency and each
;;;    enabled optional one; it activates, in the dependency, the features
;;;    listed with it, "default" unless default-features = false, and the
;;;    "x/f" ones;
;;;  - normal and build dependencies are followed; dev-dependencies only
;;;    from the root (or from every crate when asked);
;;;  - dependencies for other platforms are skipped: a [target.KEY] table
;;;    counts only if KEY applies to one of the Linux targets ferrix knows
;;;    (or cannot be decided, e.g. feature-dependent cfg()).
;;;
;;; Optional dependencies and dev-dependencies of the root that the
;;; registry does not have are left out with a warning (the build system
;;; prunes what no input provides); anything else missing is an error that
;;; names the chain of dependents.
;;;
;;; Code:


;;;
;;; Crate descriptions.
;;;

(define-record-type <crate-info>
  (crate-info name description home-page repository documentation versions)
  crate-info?
  (name          crate-info-name)
  (description   crate-info-description)
  (home-page     crate-info-home-page)
  (repository    crate-info-repository)
  (documentation crate-info-documentation)
  (versions      crate-info-versions))      ;<version-info>, newest first

(define-record-type <version-info>
  (version-info number yanked? license checksum features dependencies)
  version-info?
  (number       version-info-number)
  (yanked?      version-info-yanked?)
  (license      version-info-license)       ;SPDX string | #f
  (checksum     version-info-checksum)      ;hex sha256 of the .crate | #f
  (features     version-info-features)      ;((NAME VALUE ...) ...)
  (dependencies version-info-dependencies)) ;<dependency-info>

(define-record-type <dependency-info>
  (dependency-info name key requirement kind optional? default-features?
                   features target)
  dependency-info?
  (name              dependency-info-name)  ;the crate's real name
  (key               dependency-info-key)   ;how the dependent calls it
  (requirement       dependency-info-requirement)
  (kind              dependency-info-kind)  ;'normal | 'build | 'dev
  (optional?         dependency-info-optional?)
  (default-features? dependency-info-default-features?)
  (features          dependency-info-features)
  (target            dependency-info-target)) ;#f | "cfg(...)" | triple

(define-condition-type &crate-import-error &error
  crate-import-error?)

(define (import-error fmt . args)
  (raise (make-compound-condition
          (make-condition &crate-import-error)
          (make-condition &message 'message (apply format #f fmt args)))))

(define (warning fmt . args)
  (apply format (current-error-port) (string-append "ferrix: warning: " fmt "~%")
         args))


;;;
;;; The registry.
;;;

(define (registry-lookup registry)
  "Return a procedure that takes a crate name and returns its <crate-info>
in REGISTRY, a (ferrix registry) registry, or #f; each crate is asked for
once."
  (define (convert-dependency dep)
    (dependency-info (registry:crate-dependency-name dep)
                     (registry:crate-dependency-key dep)
                     (registry:crate-dependency-requirement dep)
                     (registry:crate-dependency-kind dep)
                     (registry:crate-dependency-optional? dep)
                     (registry:crate-dependency-default-features? dep)
                     (registry:crate-dependency-features dep)
                     (registry:crate-dependency-target dep)))
  (define (convert-version v)
    (version-info (registry:crate-version-number v)
                  (registry:crate-version-yanked? v)
                  (registry:crate-version-license v)
                  (registry:crate-version-checksum v)
                  (registry:crate-version-features v)
                  (map convert-dependency
                       (registry:crate-version-dependencies v))))
  (define cache (make-hash-table))
  (lambda (name)
    (match (hash-ref cache name 'none)
      ('none
       (let* ((crate (registry:lookup-crate registry name))
              (info (and crate
                         (crate-info (registry:crate-name crate)
                                     (registry:crate-description crate)
                                     (registry:crate-home-page crate)
                                     (registry:crate-repository crate)
                                     (registry:crate-documentation crate)
                                     (map convert-version
                                          (registry:crate-versions crate))))))
         (hash-set! cache name info)
         info))
      (info info))))


;;;
;;; Names and versions.
;;;

(define (version->semver-prefix version)
  "Return the part of VERSION that semver-compatible versions share, as
Guix names crate packages: \"1\" for 1.2.3, \"0.2\" for 0.2.5."
  (let ((core (car (string-split (car (string-split version #\+)) #\-))))
    (match (string-split core #\.)
      (("0" minor _ ...) (string-append "0." minor))
      ((major _ ...) major))))

(define (crate-variable-name name version)
  "Return the variable of the package of crate NAME at VERSION:
rust-regex-1, rust-serde-json-1, rust-libc-0.2."
  (string->symbol (string-append (crate-name->package-name name) "-"
                                 (version->semver-prefix version))))

(define (lockfile-variable-name name version)
  "Return the variable of the crate source of NAME at VERSION:
rust-serde-json-1.0.87."
  (string->symbol (string-append (crate-name->package-name name) "-"
                                 version)))

(define (valid-crate-name? name)
  (and (not (string-null? name))
       (string-every (lambda (c)
                       (or (char-alphabetic? c) (char-numeric? c)
                           (memv c '(#\- #\_))))
                     name)
       (char-alphabetic? (string-ref name 0))))

(define (parse-crate-specification spec)
  "Split SPEC, \"NAME\" or \"NAME@VERSION\", into two values: the crate
name and the version requirement (#f for none).  Raise a
&crate-import-error for a malformed one."
  (let*-values (((at) (string-index spec #\@))
                ((name version)
                 (if at
                     (values (substring spec 0 at) (substring spec (+ at 1)))
                     (values spec #f))))
    (unless (valid-crate-name? name)
      (import-error "~s: invalid crate name ~s (expected NAME or \
NAME@VERSION, e.g. regex@1.7)" spec name))
    (when version
      (when (string-null? (string-trim-both version))
        (import-error "~s: empty version after '@'" spec))
      (unless (semver-requirement-valid? version)
        (import-error "~s: invalid version or requirement ~s" spec
                      version)))
    (values name version)))

(define (prerelease? version)
  (string-index (car (string-split version #\+)) #\-))

(define* (select-version crate requirement #:key allow-yanked?)
  "Return the <version-info> of CRATE to use for REQUIREMENT (a cargo
version requirement, an exact version, or #f for the newest release): the
newest non-yanked version matching it, else, with ALLOW-YANKED?, the newest
yanked one; #f if there is none."
  (define versions (crate-info-versions crate))
  (define (matches? v)
    (let ((number (version-info-number v)))
      (if requirement
          (semver-requirement-match? requirement number)
          (not (prerelease? number)))))
  (define exact
    (and requirement
         (find (lambda (v) (string=? requirement (version-info-number v)))
               versions)))
  (define (newest candidates)
    ;; CANDIDATES are newest first in the registry's order; sort anyway.
    (match (sort candidates
                 (lambda (a b)
                   (semver<? (version-info-number b)
                    (version-info-number a))))
      (() #f)
      ((v . _) v)))
  (cond ((and exact (or allow-yanked? (not (version-info-yanked? exact))))
         exact)
        (else
         (let ((matching (filter matches? versions)))
           (or (newest (remove version-info-yanked? matching))
               (and allow-yanked? (newest matching))
               ;; Without a requirement, a pre-release when there is
               ;; nothing else.
               (and (not requirement)
                    (newest (filter (lambda (v)
                                      (or allow-yanked?
                                          (not (version-info-yanked? v))))
                                    versions))))))))


;;;
;;; Platforms.
;;;

(eval-when (expand load eval)
  (load-extension "libguile-ferrix" "init_ferrix_import"))

(define %linux-targets
  ;; The Rust targets of the Linux systems ferrix builds for.
  (filter-map (match-lambda
                (((? string? system) _ rust)
                 (and (string-suffix? "-linux" system) rust))
                (_ #f))
              %rust-platforms))

(define linux-target-applies?
  (let ((cache (make-hash-table)))
    (lambda (target)
      "Return true if dependencies under [target.TARGET] (TARGET: #f, a
triple or \"cfg(...)\") apply to one of the Linux targets, or if that cannot
be decided."
      (or (not target)
          (match (hash-ref cache target 'none)
            ('none
             (let ((result
                    (catch 'ferrix-error
                      (lambda ()
                        (any (lambda (triple)
                               (memq (%target-applies? target triple)
                                     '(#t unknown)))
                             %linux-targets))
                      (lambda _
                        (warning "cannot evaluate target ~s: dependencies \
under it are kept" target)
                        #t))))
               (hash-set! cache target (and result #t))
               (and result #t)))
            (result result))))))


;;;
;;; Packages already defined.
;;;

(define %crate-uri-rx
  (make-regexp "/api/v1/crates/([^/]+)/([^/]+)/download$"))

(define (origin-crate source)
  "Return (NAME . VERSION) for SOURCE when it is a crate source: an origin
whose URI is a crate-uri, or a (ferrix crates) registry crate; else #f."
  (cond ((origin? source)
         (any (lambda (uri)
                (and (string? uri)
                     (match (regexp-exec %crate-uri-rx uri)
                       (#f #f)
                       (m (cons (match:substring m 1)
                                (match:substring m 2))))))
              (match (origin-uri source)
                ((? string? uri) (list uri))
                ((? list? uris) uris)
                (_ '()))))
        ((registry-crate? source)
         (cons (registry-crate-name source) (registry-crate-version source)))
        (else #f)))

(define (load-path-crate-packages)
  "Return the crate packages defined by the modules of the package module
path (-L): a list of (CRATE-NAME VERSION VARIABLE MODULE-NAME)."
  (append-map
   (lambda (interface)
     (let ((result '()))
       (module-for-each
        (lambda (symbol variable)
          (when (variable-bound? variable)
            (let ((value (variable-ref variable)))
              (when (package? value)
                (match (false-if-exception (origin-crate (package-source value)))
                  ((name . version)
                   (set! result (cons (list name version symbol
                                            (module-name interface))
                                      result)))
                  (_ #f))))))
        interface)
       (sort result (lambda (a b)
                      (string<? (symbol->string (third a))
                                (symbol->string (third b)))))))
   (package-modules)))


;;;
;;; Resolution.
;;;

(define-record-type <node>
  (make-node crate version features enabled edges parent requirement
             existing root? missing)
  node?
  (crate       node-crate)                  ;<crate-info> | #f (existing)
  (version     node-version)                ;<version-info> | version string
  (features    node-features)               ;hash table: feature -> #t
  (enabled     node-enabled)                ;hash table: optional dep key -> #t
  (edges       node-edges set-node-edges!)  ;((KIND . NODE) ...)
  (parent      node-parent)                 ;the dependent that found it
  (requirement node-requirement)            ;how PARENT asked for it
  (existing    node-existing)               ;#f | (VARIABLE MODULE-NAME)
  (root?       node-root?)
  (missing     node-missing set-node-missing!)) ;(("NAME REQ" . KIND) ...)

(define (node-name node)
  (if (node-crate node)
      (crate-info-name (node-crate node))
      (car (node-version node))))

(define (node-number node)
  (if (node-crate node)
      (version-info-number (node-version node))
      (cdr (node-version node))))

(define (node-variable node)
  "Return the variable of NODE's package."
  (match (node-existing node)
    ((variable _) variable)
    (#f (crate-variable-name (node-name node) (node-number node)))))

(define (node-chain node)
  "Return the chain of dependents of NODE, as text: \"a 1.0 -> b ^2\"."
  (let loop ((node node) (result '()))
    (if (not node)
        (string-join result " -> ")
        (loop (node-parent node)
              (cons (if (node-parent node)
                        (format #f "~a ~a (~a)" (node-name node)
                                (node-number node)
                                (or (node-requirement node) "*"))
                        (format #f "~a ~a" (node-name node)
                                (node-number node)))
                    result)))))

(define (node-dependencies node kinds)
  "Return the distinct nodes NODE depends on through edges of KINDS."
  (delete-duplicates
   (filter-map (match-lambda
                 ((kind . child) (and (memq kind kinds) child)))
               (node-edges node))
   eq?))

(define (hash-keys table)
  (hash-fold (lambda (key value result) (cons key result)) '() table))

(define* (resolve-crate-closure lookup name requirement
                                #:key allow-yanked?
                                (features 'all)
                                (default-features? #t)
                                (dev-dependencies 'root)
                                (recursive? #t)
                                (existing '())
                                (leave-out-missing? #t))
  "Resolve crate NAME at REQUIREMENT (see 'select-version') and, when
RECURSIVE?, its dependency closure, with LOOKUP (a procedure from crate
names to <crate-info> or #f).  FEATURES is 'all (every feature of the
root, as cargo resolves a package's lock file) or the list of features
asked for (with \"default\" unless DEFAULT-FEATURES? is false).
DEV-DEPENDENCIES is 'root, 'all or #f.  EXISTING is a list of (CRATE-NAME
VERSION VARIABLE MODULE-NAME): crates already packaged, reused when their
version meets a requirement.  When LEAVE-OUT-MISSING? is false, an optional
or dev dependency of the root that cannot be resolved is an error rather
than a warning.  Return the root node."
  (define nodes (make-hash-table))        ;"name@version" -> node
  (define queue '())

  (define (enqueue! node)
    (unless (memq node queue)
      (set! queue (append queue (list node)))))

  (define (activate! node features)
    (let ((table (node-features node)))
      (let ((new (remove (cut hash-ref table <>) features)))
        (unless (null? new)
          (for-each (cut hash-set! table <> #t) new)
          (enqueue! node)))))

  (define (get-node! crate version parent requirement)
    (let ((key (string-append (crate-info-name crate) "@"
                              (version-info-number version))))
      (or (hash-ref nodes key)
          (let ((node (make-node crate version (make-hash-table)
                                 (make-hash-table) '() parent requirement
                                 #f (not parent) '())))
            (hash-set! nodes key node)
            (when (or (not parent) recursive?)
              (enqueue! node))
            node))))

  (define (existing-node name requirement parent)
    (any (match-lambda
           ((crate version variable module)
            (and (string=? crate name)
                 (false-if-exception
                  (semver-requirement-match?
                   (or requirement "*") version))
                 (let ((key (string-append "existing:" (symbol->string
                                                        variable))))
                   (or (hash-ref nodes key)
                       (let ((node (make-node #f (cons name version)
                                              (make-hash-table)
                                              (make-hash-table) '() parent
                                              requirement
                                              (list variable module) #f
                                              '())))
                         (hash-set! nodes key node)
                         node))))))
         existing))

  (define (existing-covers? name requirement)
    ;; Whether a crate already packaged meets REQUIREMENT of NAME.
    (any (match-lambda
           ((crate version _ _)
            (and (string=? crate name)
                 (false-if-exception
                  (semver-requirement-match? (or requirement "*") version)))))
         existing))

  (define (same-crate-node name requirement)
    ;; A node of crate NAME already resolved whose version meets
    ;; REQUIREMENT: cargo unifies such requirements on one version.
    (hash-fold (lambda (key node result)
                 (or result
                     (and (node-crate node)
                          (string=? (node-name node) name)
                          (semver-requirement-match?
                           (or requirement "*") (node-number node))
                          node)))
               #f nodes))

  (define (resolve-dependency dep parent)
    (let ((name (dependency-info-name dep))
          (requirement (dependency-info-requirement dep)))
      (or (existing-node name requirement parent)
          (same-crate-node name requirement)
          (let ((crate (lookup name)))
            (unless crate
              (import-error "crate ~a is not in the registry (required as \
~a ~a by ~a)" name name requirement (node-chain parent)))
            (let ((version (select-version crate requirement
                                           #:allow-yanked? allow-yanked?)))
              (unless version
                (import-error "no version of crate ~a matches ~a (required \
by ~a; available: ~a)" name requirement (node-chain parent)
                              (string-join
                               (map (lambda (v)
                                      (string-append
                                       (version-info-number v)
                                       (if (version-info-yanked? v)
                                           " (yanked)" "")))
                                    (crate-info-versions crate))
                               ", ")))
              (get-node! crate version parent requirement))))))

  (define (also-normal? node dep)
    ;; Whether DEP, a dev-dependency of NODE, names a crate NODE also
    ;; depends on normally: the build's 'configure' keeps such
    ;; dev-dependencies (an input provides them), so their features count.
    (any (lambda (other)
           (and (memq (dependency-info-kind other) '(normal build))
                (string=? (dependency-info-name other)
                          (dependency-info-name dep))))
         (version-info-dependencies (node-version node))))

  (define (dependency-applies? node dep)
    (and (case (dependency-info-kind dep)
           ((normal build) #t)
           ((dev) (case dev-dependencies
                    ((all) #t)
                    ((root) (node-root? node))
                    (else (and (node-root? node) (also-normal? node dep)))))
           (else #f))
         (linux-target-applies? (dependency-info-target dep))))

  (define (process! node)
    (let* ((version (node-version node))
           (table (version-info-features version))
           (deps (filter (cut dependency-applies? node <>)
                         (version-info-dependencies version)))
           (optional-keys (delete-duplicates
                           (map dependency-info-key
                                (filter dependency-info-optional? deps))))
           (dep-syntax (append-map
                        (match-lambda
                          ((_ values ...)
                           (filter-map (lambda (v)
                                         (and (string-prefix? "dep:" v)
                                              (string-drop v 4)))
                                       values)))
                        table))
           (features (node-features node))
           (enabled (node-enabled node))
           (dep-features '()))                ;((KEY . FEATURE) ...)
      (define (implicit? name)
        (and (member name optional-keys)
             (not (member name dep-syntax))
             (not (assoc name table))))
      (define (add-feature! name)
        (unless (hash-ref features name)
          (hash-set! features name #t)
          (expand! name)))
      (define (enable! key)
        (hash-set! enabled key #t)
        (when (implicit? key)
          (add-feature! key)))
      (define (expand! feature)
        (for-each
         (lambda (value)
           (cond ((string-prefix? "dep:" value)
                  (enable! (string-drop value 4)))
                 ((string-contains value "?/")
                  => (lambda (i)
                       (set! dep-features
                         (cons (list (substring value 0 i)
                                     (substring value (+ i 2)) 'weak)
                               dep-features))))
                 ((string-index value #\/)
                  => (lambda (i)
                       (let ((key (substring value 0 i)))
                         (when (member key optional-keys)
                           (enable! key))
                         (set! dep-features
                           (cons (list key (substring value (+ i 1)) 'strong)
                                 dep-features)))))
                 ((or (assoc value table) (implicit? value))
                  (add-feature! value))
                 ((member value optional-keys)
                  (enable! value))))
         (cond ((assoc-ref table feature) => identity)
               ((implicit? feature) (list (string-append "dep:" feature)))
               (else '()))))
      (for-each expand! (hash-keys features))
      (let ((edges
             (filter-map
              (lambda (dep)
                (let ((key (dependency-info-key dep)))
                  (and (or (not (dependency-info-optional? dep))
                           (hash-ref enabled key))
                       (let ((child (resolve-optional node dep)))
                         (and child
                              (begin
                                (when (node-crate child)
                                  (activate!
                                   child
                                   (delete-duplicates
                                    (append
                                     (dependency-info-features dep)
                                     (if (dependency-info-default-features? dep)
                                         '("default")
                                         '())
                                     (filter-map
                                      (match-lambda
                                        ((k f _) (and (string=? k key) f)))
                                      dep-features)))))
                                (cons (dependency-info-kind dep) child)))))))
              deps)))
        (set-node-edges! node (delete-duplicates
                               (append (node-edges node) edges))))))

  (define (resolve-optional node dep)
    ;; The node for DEP of NODE; for the root's optional and dev
    ;; dependencies, #f with a warning when the registry lacks them.
    (if (and leave-out-missing?
             (node-root? node)
             (or (dependency-info-optional? dep)
                 (eq? 'dev (dependency-info-kind dep))))
        (guard (c ((crate-import-error? c)
                   (let ((what (format #f "~a ~a"
                                       (dependency-info-name dep)
                                       (dependency-info-requirement dep))))
                     (unless (assoc what (node-missing node))
                       (warning "~a: ~a dependency ~a left out: ~a"
                                (node-name node)
                                (if (eq? 'dev (dependency-info-kind dep))
                                    "development"
                                    "optional")
                                what (condition-message c))
                       (set-node-missing!
                        node
                        (cons (cons what
                                    (if (eq? 'dev (dependency-info-kind dep))
                                        'dev-missing
                                        'optional-missing))
                              (node-missing node)))))
                   #f))
          (begin
            ;; Its whole closure must resolve too: a dev-dependency whose
            ;; own dependency the registry lacks is left out the same way.
            (unless (or (same-crate-node (dependency-info-name dep)
                                         (dependency-info-requirement dep))
                        (existing-covers? (dependency-info-name dep)
                                          (dependency-info-requirement dep)))
              (with-error-to-port (%make-void-port "w")
                (lambda ()
                  (resolve-crate-closure lookup (dependency-info-name dep)
                                         (dependency-info-requirement dep)
                                         #:allow-yanked? allow-yanked?
                                         #:features
                                         (dependency-info-features dep)
                                         #:default-features?
                                         (dependency-info-default-features?
                                          dep)
                                         #:dev-dependencies #f
                                         #:existing existing
                                         #:leave-out-missing? #f))))
            (resolve-dependency dep node)))
        (resolve-dependency dep node)))

  (let* ((crate (or (lookup name)
                    (import-error "crate ~a is not in the registry" name)))
         (version (or (select-version crate requirement
                                      #:allow-yanked? allow-yanked?)
                      (import-error "no version of crate ~a ~a \
(available: ~a)~a" name
                                    (if requirement
                                        (string-append "matches " requirement)
                                        "to import")
                                    (string-join
                                     (map (lambda (v)
                                            (string-append
                                             (version-info-number v)
                                             (if (version-info-yanked? v)
                                                 " (yanked)" "")))
                                          (crate-info-versions crate))
                                     ", ")
                                    (if (and (not allow-yanked?)
                                             (any version-info-yanked?
                                                  (crate-info-versions crate)))
                                        "; --allow-yanked allows yanked versions"
                                        ""))))
         (root (get-node! crate version #f requirement)))
    (activate! root
               (if (eq? features 'all)
                   (append (map car (version-info-features version))
                           (filter-map (lambda (dep)
                                         (and (dependency-info-optional? dep)
                                              (dependency-info-key dep)))
                                       (version-info-dependencies version)))
                   (if default-features?
                       (cons "default" features)
                       features)))
    (enqueue! root)
    ;; Without dev-dependencies, the root's tests cannot be built.
    (unless dev-dependencies
      (set-node-missing!
       root
       (filter-map (lambda (dep)
                     (and (eq? 'dev (dependency-info-kind dep))
                          (linux-target-applies? (dependency-info-target dep))
                          (not (also-normal? root dep))
                          (cons (format #f "~a ~a" (dependency-info-name dep)
                                        (dependency-info-requirement dep))
                                'dev-skipped)))
                   (version-info-dependencies version))))
    (let loop ()
      (match queue
        (() root)
        ((node . rest)
         (set! queue rest)
         (process! node)
         (loop))))))

(define (closure-order root)
  "Return the nodes of ROOT's graph, dependencies before their dependents
(depth first, children in the order of their variables), ROOT last."
  (let ((seen (make-hash-table))
        (order '()))
    (let visit ((node root))
      (unless (hashq-ref seen node)
        (hashq-set! seen node #t)
        (for-each visit
                  (sort (node-dependencies node '(normal build dev))
                        (lambda (a b)
                          (string<? (symbol->string (node-variable a))
                                    (symbol->string (node-variable b))))))
        (set! order (cons node order))))
    (reverse order)))


;;;
;;; Definitions.
;;;

(define (checksum->nix32 checksum)
  "Return CHECKSUM, a hexadecimal sha256, in nix-base32."
  (bytevector->nix-base32-string (base16-string->bytevector checksum)))

(define (home-page crate)
  (let ((non-empty (lambda (s) (and (string? s) (not (string-null? s)) s))))
    (or (non-empty (crate-info-home-page crate))
        (non-empty (crate-info-repository crate))
        (string-append "https://crates.io/crates/" (crate-info-name crate)))))

(define (input-list nodes)
  (map (lambda (node)
         (list (crate-name->package-name (node-name node))
               (list 'unquote (node-variable node))))
       (sort nodes
             (lambda (a b)
               (string<? (symbol->string (node-variable a))
                         (symbol->string (node-variable b)))))))

(define* (node->definition node hash #:key root? (features 'all)
                           (default-features? #t))
  "Return (COMMENT ... DEFINITION) for NODE, whose .crate has the nix32
sha256 HASH.  The root is built with the FEATURES it was resolved for (a
list; 'all means cargo's default ones), without \"default\" unless
DEFAULT-FEATURES?."
  (let* ((crate (node-crate node))
         (version (node-version node))
         (name (crate-info-name crate))
         (number (version-info-number version))
         (package-name (crate-name->package-name name))
         (inputs (node-dependencies node '(normal build)))
         (dev-inputs (remove (cut memq <> inputs)
                             (node-dependencies node '(dev))))
         (license (version-info-license version))
         (missing (node-missing node))
         (arguments
          `(,@(if root? '() '(#:skip-build? #t))
            ,@(if (any (match-lambda
                         ((_ . kind) (memq kind '(dev-missing dev-skipped))))
                       missing)
                  '(#:tests? #f)
                  '())
            ;; The features the closure was resolved for: without them the
            ;; build would miss what they enable (serde's derive doctests).
            ,@(match (if (and root? (list? features))
                         (delete "default" features)
                         '())
                (() '())
                (asked `(#:features ,asked)))
            ,@(if (and root? (not default-features?))
                  '(#:cargo-build-flags ("--no-default-features")
                    #:cargo-test-flags ("--no-default-features"))
                  '())
            ,@(if (null? inputs) '() `(#:cargo-inputs ,(input-list inputs)))
            ,@(if (null? dev-inputs)
                  '()
                  `(#:cargo-development-inputs ,(input-list dev-inputs))))))
    (define-values (license-sexp unknowns)
      (if license
          (spdx-string->license-sexp license)
          (values #f '())))
    (for-each (lambda (id)
                (warning "~a ~a: unknown license identifier ~s, kept as \
(license:unknown ~s)" name number id id))
              unknowns)
    (define description (crate-info-description crate))
    (append
     (if (version-info-yanked? version)
         (list (comment (format #f "FIXME: ~a ~a is yanked from the registry."
                                name number)))
         '())
     (list
      `(define-public ,(node-variable node)
         (package
           (name ,package-name)
           (version ,number)
           (source
            (origin
              (method url-fetch)
              (uri (crate-uri ,name version))
              (file-name (string-append name "-" version ".tar.gz"))
              (sha256
               (base32 ,hash))))
           (build-system cargo-build-system)
           ,@(if (null? arguments)
                 '()
                 `((arguments ,(list 'quasiquote arguments))))
           ,@(if (string=? (crate-name->package-name name)
                           (string-append "rust-" name))
                 '()
                 `((properties '((crate-name . ,name)))))
           ,@(match (filter-map (match-lambda
                                  ((what . 'dev-skipped) #f)
                                  ((what . _) what))
                                (reverse missing))
               (() '())
               (left-out
                (list (comment
                       (string-append "Not in the registry, left out: "
                                      (string-join left-out ", ") ".")))))
           (home-page ,(home-page crate))
           (synopsis ,(beautify-synopsis description))
           (description ,(beautify-description description))
           ,@(cond ((not license)
                    (list (comment "FIXME: the registry gives no SPDX \
license (a license file?)")))
                   ((or (pair? unknowns)
                        (match (false-if-exception
                                (parse-spdx-expression license))
                          ((? string?) #f)
                          (('or (? string?) ...) #f)
                          (_ #t)))
                    (list (comment (string-append
                                    (if (pair? unknowns) "FIXME: " "")
                                    "SPDX: " license))))
                   (else '()))
           (license ,license-sexp)))))))

(define* (crate-definitions root hashes #:key (features 'all)
                            (default-features? #t))
  "Return the definitions for the nodes of ROOT's graph that are not
already packaged, dependencies first: a list of (COMMENT ... DEFINITION).
HASHES maps nodes to the nix32 sha256 of their .crate (a procedure).
FEATURES and DEFAULT-FEATURES? are those ROOT was resolved with (see
'resolve-crate-closure'): the root's definition builds with them."
  (filter-map (lambda (node)
                (and (not (node-existing node))
                     (node->definition node (hashes node)
                                       #:root? (node-root? node)
                                       #:features features
                                       #:default-features?
                                       default-features?)))
              (rename-clashes (closure-order root))))

(define (rename-clashes nodes)
  ;; Two versions of a crate with the same semver prefix cannot share a
  ;; variable: cargo would not pick both, but requirements such as "=1.1.0"
  ;; and "^1.2" can.  Such nodes are left as they are; their definitions
  ;; would clash, so report it.
  (let ((seen (make-hash-table)))
    (for-each (lambda (node)
                (unless (node-existing node)
                  (let ((variable (node-variable node)))
                    (match (hashq-ref seen variable)
                      (#f (hashq-set! seen variable node))
                      (other
                       (warning "~a: both ~a and ~a are needed (~a); only one \
definition can be named so: rename one by hand"
                                variable (node-number other) (node-number node)
                                (node-chain node)))))))
              nodes)
    nodes))

(define (crate-import-header root)
  "Return the use-modules form the definitions of ROOT's graph need."
  `(use-modules (ferrix packages)
                (ferrix download)
                (ferrix build-system cargo)
                ((ferrix licenses) #:prefix license:)
                ,@(delete-duplicates
                   (filter-map (lambda (node)
                                 (match (node-existing node)
                                   ((_ module) module)
                                   (#f #f)))
                               (closure-order root)))))


;;;
;;; Downloading.
;;;

(define* (download-crates store registry nodes)
  "Download the .crate of each of NODES from REGISTRY into STORE, as the
url-fetch origins of their definitions will, checking each against the
registry's checksum.  Return a procedure mapping each node to the nix32
sha256 of its .crate."
  (define download-url registry:registry-download-url)
  (define (file-name node)
    (string-append (crate-name->package-name (node-name node)) "-"
                   (node-number node) ".tar.gz"))
  (define hashes (make-hash-table))
  (let* ((nodes (remove node-existing nodes))
         (derivations
          (map (lambda (node)
                 (let ((checksum (version-info-checksum (node-version node))))
                   (unless (and (string? checksum)
                                (= 64 (string-length checksum)))
                     (import-error "~a ~a: the registry gives no sha256 \
checksum for its .crate" (node-name node) (node-number node)))
                   (hashq-set! hashes node (checksum->nix32 checksum))
                   (url-fetch store
                              (download-url registry (node-name node)
                                            (node-number node))
                              'sha256
                              (base16-string->bytevector checksum)
                              (file-name node))))
               nodes)))
    (unless (null? derivations)
      (build-derivations store derivations #:max-jobs 16))
    (lambda (node)
      (hashq-ref hashes node))))


;;;
;;; Cargo.lock.
;;;

(define (lockfile-packages file)
  "Return the [[package]] entries of FILE, a Cargo.lock, as a list of (NAME
VERSION SOURCE CHECKSUM), SOURCE and CHECKSUM being #f when absent.  A
malformed FILE raises a ferrix-error naming FILE:LINE:COLUMN."
  (match (%read-lockfile file)
    ((version . packages) packages)))

(define %crates-io-sources
  '("registry+https://github.com/rust-lang/crates.io-index"
    "sparse+https://index.crates.io/"))

(define (git-source-info source)
  "Return (URL . COMMIT) for SOURCE, \"git+URL?QUERY#COMMIT\"."
  (let* ((rest (string-drop source 4))
         (hash (string-rindex rest #\#))
         (commit (if hash
                     (substring rest (+ hash 1))
                     (import-error "~a: no commit (#SHA) in the git source"
                                   source)))
         (url (if hash (substring rest 0 hash) rest))
         (url (match (string-index url #\?)
                (#f url)
                (q (substring url 0 q)))))
    (cons url commit)))

(define (git-source-hash name version url commit)
  "Return the nix32 hash of the checkout of COMMIT of URL, where NAME at
VERSION comes from; raise a &crate-import-error naming them on failure."
  (catch 'ferrix-error
    (lambda ()
      (git-checkout-hash url commit))
    (lambda (key subr fmt args . rest)
      (import-error "~a ~a: cannot check out commit ~a of ~a: ~a" name version
                    commit url (apply format #f fmt args)))))

(define* (lockfile-definitions file #:key name)
  "Return the definitions for FILE, a Cargo.lock: a crate source per
registry package, named rust-NAME-VERSION, with the lock file's checksum
as its hash, and a list of them all, NAME-cargo-inputs (NAME: the lock
file's only workspace member, else the name of its directory), to be the
application's #:cargo-inputs.  A git package gets a git-fetch origin of its
commit, hashed by checking it out (packages of the same repository and
commit share the first one's checkout), and the list is preceded by the
use-modules form of (ferrix git-download); workspace (path) members are
skipped.  Each definition is a list
(COMMENT ... DEFINITION)."
  (define packages (lockfile-packages file))
  (define members (filter-map (match-lambda
                                ((name _ #f _) name)
                                (_ #f))
                              packages))
  (define list-name
    (string->symbol
     (string-append
      (or name
          (match members
            ((one) one)
            (_ (basename (dirname (canonicalize-path file))))))
      "-cargo-inputs")))
  (define other-registries
    (delete-duplicates
     (filter-map (match-lambda
                   ((_ _ (? string? source) _)
                    (and (or (string-prefix? "registry+" source)
                             (string-prefix? "sparse+" source))
                         (not (member source %crates-io-sources))
                         source))
                   (_ #f))
                 packages)))
  (define registry-warned '())
  (define git-checkouts '())              ;(((URL . COMMIT) NAME VERSION VAR) ...)
  (define sources
    (filter-map
     (match-lambda
       ((name version (? string? source) checksum)
        (let ((variable (lockfile-variable-name name version)))
          (cond
           ((or (string-prefix? "registry+" source)
                (string-prefix? "sparse+" source))
            (if checksum
                (let ((note (and (not (member source %crates-io-sources))
                                 (not (member source registry-warned))
                                 (begin
                                   (set! registry-warned
                                     (cons source registry-warned))
                                   (comment
                                    (format #f "Crates of the registry ~a: \
crate-uri names crates.io's
download URL, so fetch them through a mirror of it (see doc/import.md)."
                                            (string-drop
                                             source
                                             (+ 1 (string-index source
                                                                #\+)))))))))
                  (list variable
                        (append
                         (if note (list note) '())
                         (list `(define-public ,variable
                                  (crate-source ,name ,version
                                                ,(checksum->nix32 checksum)))))))
                (begin
                  (warning "~a ~a: no checksum in ~a: left out" name version
                           file)
                  (list #f
                        (list (comment
                               (format #f "FIXME: ~a ~a has no checksum in \
the lock file: add it
with (crate-source ~s ~s \"HASH\") and list it below."
                                       name version name version)))))))
           ((string-prefix? "git+" source)
            (match (git-source-info source)
              ((url . commit)
               (match (assoc (cons url commit) git-checkouts)
                 ((_ . (first-name first-version first-variable))
                  ;; A workspace repository: the checkout already listed
                  ;; holds this crate too, and vendoring finds it there.
                  (list #f
                        (list (comment
                               (format #f "~a ~a is in the checkout of ~a ~a (~a, commit ~a):
~a provides it."
                                       name version first-name first-version
                                       url commit first-variable)))))
                 (#f
                  (set! git-checkouts
                    (cons (list (cons url commit) name version variable)
                          git-checkouts))
                  (list variable
                        (list `(define-public ,variable
                                 (origin
                                   (method git-fetch)
                                   (uri (git-reference
                                         (url ,url)
                                         (commit ,commit)))
                                   (file-name
                                    (git-file-name
                                     ,(crate-name->package-name name)
                                     ,version))
                                   (sha256
                                    (base32
                                     ,(git-source-hash name version url
                                                       commit))))))))))))
           (else
            (warning "~a ~a: unknown source ~s: left out" name version source)
            (list #f (list (comment (format #f "FIXME: ~a ~a: unknown source \
~a" name version source))))))))
       (_ #f))                            ;path package: a workspace member
     packages))
  (append (if (null? git-checkouts)
              '()
              (list (list (comment "git-fetch, git-reference, git-file-name:")
                          '(use-modules (ferrix git-download)))))
          (map second sources)
          (list (list (comment (format #f "The crates of ~a~a, as \
#:cargo-inputs."
                                       (match members
                                         (() "the lock file")
                                         (_ (string-join members ", ")))
                                       (if (null? other-registries)
                                           ""
                                           (string-append
                                            " (from "
                                            (string-join other-registries ", ")
                                            ")"))))
                      `(define-public ,list-name
                         (list ,@(filter-map first sources)))))))

;;; crate.scm ends here

;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix build-system cargo): the Cargo build system, host side.

(define-module (ferrix build-system cargo)
  #:use-module (ferrix build-system)
  #:use-module (ferrix packages)
  #:use-module (ferrix toolchain)
  #:use-module (ferrix derivations)
  #:use-module (ferrix download)
  #:use-module ((ferrix store) #:select (store-real-path))
  #:use-module (ferrix build-system cargo-units)
  #:use-module (ferrix build-system cargo-overrides)
  #:use-module ((ferrix build-system lowering-cache)
                #:select (cached-cargo-units-build))
  #:use-module ((ferrix base32) #:select (nix-base32-string->bytevector))
  #:use-module (rnrs bytevectors)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-34)
  #:use-module (srfi srfi-35)
  #:use-module (ice-9 match)
  #:export (cargo-build-system
            %crate-base-url
            crate-uri
            crate-source
            crate-name->package-name
            system->rust-platform
            %rust-platforms
            &unknown-system-error
            unknown-system-error?
            unknown-system-error-system
            %default-rustflags
            %cargo-arguments
            cargo-build
            cargo-cross-build
            cargo-per-crate-build
            cargo-per-crate-cross-build)
  ;; For package files, which use this module: (crate-override ...).
  #:re-export (crate-override
               crate-override?
               %crate-overrides
               %default-crate-overrides))

;;; Commentary:
;;;
;;; 'lower' makes a bag whose host inputs are the source, the package's
;;; inputs, the sources of its #:cargo-inputs and #:cargo-development-inputs
;;; closure (the older Guix style, vendored on the build side) and
;;; %standard-inputs; its build inputs are the Rust toolchain (label "rust")
;;; and the native inputs.  The bag's build procedure writes a build script
;;; (see 'build-script->derivation' in (ferrix build-system)):
;;;
;;;   (use-modules (ferrix build cargo-build-system) (ferrix build utils)
;;;                MODULE ...)
;;;   (cargo-build
;;;    #:name "rust-foo-1.2.3"
;;;    #:source "/…/store/…-foo-1.2.3.tar.gz"
;;;    #:system "x86_64-linux"
;;;    #:target #f                              ;or the GNU triplet
;;;    #:cargo-target "x86_64-unknown-linux-gnu"  ;Rust triple of target/system
;;;    #:crate-name "foo"
;;;    #:inputs '(("source" . "/…") ("rust" . "/…") …)
;;;    #:native-inputs '(…)                     ;cross builds: build inputs
;;;    #:outputs (map (lambda (o) (cons o (getenv o))) '("out"))
;;;    #:tests? #t
;;;    … every argument of %cargo-arguments, in that order …
;;;    #:phases %standard-phases)
;;;
;;; Arguments that are lists of strings (flags, features) may be written as
;;; data or as quoted data, as in Guix's quasiquoted arguments
;;; (#:cargo-build-flags '("--release") or ''("--release") with gexps);
;;; #:phases is code for the build side, written as is.  #:rustflags is
;;; appended to %default-rustflags.
;;;
;;; Code:


;;;
;;; Crates.io.
;;;

(define %crate-base-url
  ;; Base URL of the crate registry, read by 'crate-uri' at call time.
  (make-parameter "https://crates.io"))

(define (crate-uri name version)
  "Return the download URL of crate NAME at VERSION on the registry at
%crate-base-url."
  (string-append (%crate-base-url) "/api/v1/crates/" name "/" version
                 "/download"))

(define (crate-source name version hash)
  "Return the origin of crate NAME at VERSION (see 'crate-uri') whose .crate
has the sha256 HASH, a nix-base32 string or a bytevector: the crate sources
'ferrix import --lockfile' writes, usable as #:cargo-inputs."
  (origin
    (method url-fetch)
    (uri (crate-uri name version))
    (file-name (string-append (crate-name->package-name name) "-" version
                              ".tar.gz"))
    (sha256 (if (bytevector? hash)
                hash
                (nix-base32-string->bytevector hash)))))

(define (crate-name->package-name name)
  "Return the package name for crate NAME: \"foo_bar\" -> \"rust-foo-bar\"."
  (string-append "rust-"
                 (string-map (lambda (c) (if (char=? c #\_) #\- c))
                             (string-downcase name))))


;;;
;;; Platforms.
;;;

(define %rust-platforms
  ;; (SYSTEM GNU-TRIPLET RUST-TARGET): SYSTEM is #f for targets Guix only
  ;; cross-compiles to.
  '(("x86_64-linux"      "x86_64-linux-gnu"      "x86_64-unknown-linux-gnu")
    ("i686-linux"        "i686-linux-gnu"        "i686-unknown-linux-gnu")
    ("armhf-linux"       "arm-linux-gnueabihf"   "armv7-unknown-linux-gnueabihf")
    ("aarch64-linux"     "aarch64-linux-gnu"     "aarch64-unknown-linux-gnu")
    ("mips64el-linux"    "mips64el-linux-gnu"    "mips64el-unknown-linux-gnuabi64")
    ("powerpc-linux"     "powerpc-linux-gnu"     "powerpc-unknown-linux-gnu")
    ("powerpc64le-linux" "powerpc64le-linux-gnu" "powerpc64le-unknown-linux-gnu")
    ("riscv64-linux"     "riscv64-linux-gnu"     "riscv64gc-unknown-linux-gnu")
    ("i586-gnu"          "i586-pc-gnu"           "i686-unknown-hurd-gnu")
    ("x86_64-gnu"        "x86_64-pc-gnu"         "x86_64-unknown-hurd-gnu")
    (#f "powerpc64-linux-gnu"   "powerpc64-unknown-linux-gnu")
    (#f "loongarch64-linux-gnu" "loongarch64-unknown-linux-gnu")
    (#f "x86_64-linux-gnux32"   "x86_64-unknown-linux-gnux32")
    (#f "i686-w64-mingw32"      "i686-pc-windows-gnu")
    (#f "x86_64-w64-mingw32"    "x86_64-pc-windows-gnu")))

(define-condition-type &unknown-system-error &error
  unknown-system-error?
  (system unknown-system-error-system))

(define (system->rust-platform system)
  "Return the Rust target triple for SYSTEM, a system name
(\"aarch64-linux\"), a GNU triplet (\"aarch64-linux-gnu\",
\"x86_64-w64-mingw32\") or a Rust triple.  Raise an &unknown-system-error,
with a message naming SYSTEM, for anything else."
  (define (lookup name)
    (any (match-lambda
           ((sys triplet rust)
            (and (or (equal? name sys) (equal? name triplet)
                     (equal? name rust))
                 rust)))
         %rust-platforms))
  (or (and (string? system)
           (or (lookup system)
               ;; Other spellings of a triplet: x86_64-pc-linux-gnu, ….
               (lookup (gnu-triplet->nix-system system))))
      (raise (make-compound-condition
              (make-condition &unknown-system-error 'system system)
              (make-condition
               &message 'message
               (format #f "unknown system ~s: no Rust target for it \
(known: ~a)" system
                       (string-join
                        (map (match-lambda
                               ((sys triplet _) (or sys triplet)))
                             %rust-platforms)
                        ", ")))))))


;;;
;;; Arguments.
;;;

(define %default-rustflags
  ;; Flags given to rustc in every build, before the package's #:rustflags;
  ;; the FERRIX_RUSTFLAGS environment variable (space-separated) replaces
  ;; the default.
  (make-parameter
   (let ((env (getenv "FERRIX_RUSTFLAGS")))
     (if env
         (string-tokenize env)
         '("-C" "link-arg=-Wl,-z,relro")))))

(define %cargo-arguments
  ;; (KEYWORD DEFAULT KIND), in the order they are written to the script.
  ;; The one place these defaults are written: every argument reaches the
  ;; build side filled in, so its phases declare none.
  '((#:tests?            #t                  boolean)
    (#:test-target       #f                  test-target)
    (#:cargo-build-flags ("--release")       strings)
    (#:cargo-test-flags  ("--release")       strings)
    (#:features          ()                  strings)
    (#:skip-build?       #f                  boolean)
    (#:install-source?   #t                  boolean)
    (#:vendor-dir        "ferrix-vendor"     string)
    (#:rustflags         ()                  strings)
    (#:parallel-build?   #t                  boolean)
    (#:parallel-tests?   #t                  boolean)
    ;; The package's own -sys crate switches, rows as those of
    ;; %sys-crate-table, before it (doc/cargo.md); in the per-crate mode they
    ;; become crate overrides.
    (#:sys-crates        ()                  sys-crates)
    ;; Unpacking limits (doc/cargo.md); #f: the environment's, or the default.
    (#:max-unpacked-size     #f              limit)
    (#:max-unpacked-entries  #f              limit)
    (#:max-compression-ratio #f              limit)
    ;; The per-crate mode (doc/per-crate.md); `ferrix build --per-crate'
    ;; turns it on for every package.  Not written to the build script.
    (#:per-crate?        #f                  boolean)
    ;; Per-crate overrides (doc/cargo.md), first match first, before
    ;; %crate-overrides and %default-crate-overrides: a list of
    ;; crate-override records.  Accepted in both modes, used by the per-crate
    ;; mode only; not written to the build script.
    (#:crate-overrides   ()                  crate-overrides)
    (#:modules           ()                  modules)
    (#:phases            %standard-phases    code)))

(define %private-keywords
  ;; Keywords 'lower' consumes.
  '(#:source #:target #:system #:inputs #:native-inputs #:outputs
    #:properties #:rust #:cargo-inputs #:cargo-development-inputs))

(define (argument-error name keyword message value)
  (raise-build-system-argument-error
   name keyword value
   (format #f "~a: cargo-build-system argument ~s: ~a, got ~s"
           name keyword message value)))

(define (phases-code? value)
  "Return true if VALUE can be build-side code evaluating to a list of
phases: a variable such as %standard-phases, an expression such as
(modify-phases ...), or a quoted list; not a constant like 5 or \"x\"."
  (match value
    (('quote datum) (list? datum))
    ((? symbol?) (not (keyword? value)))
    ((head . _) (list? value))
    (_ #f)))

(define (inputs-list? value)
  "Return true if VALUE is a list of inputs, plain (packages, origins, local
files) or labelled, as #:cargo-inputs are."
  (and (list? value)
       (every (match-lambda
                ((or (? package?) (? origin?) (? local-file?)) #t)
                (((? string?) _) #t)
                (((? string?) _ (? string?)) #t)
                (_ #f))
              value)))

(define (unquote-datum value)
  "Return the datum VALUE denotes when it is data or quoted data:
(quote X) and (list X ...) of self-evaluating X are accepted."
  (match value
    (('quote datum) datum)
    (('list (? string? items) ...) items)
    (_ value)))

(define (check-argument name keyword kind value)
  "Return the normalised VALUE of argument KEYWORD of kind KIND."
  (define datum (unquote-datum value))
  (define (strings? x) (and (list? x) (every string? x)))
  (case kind
    ((boolean)
     (if (boolean? datum)
         datum
         (argument-error name keyword "expected #t or #f" value)))
    ((string)
     (if (string? datum)
         datum
         (argument-error name keyword "expected a string" value)))
    ((strings)
     (if (strings? datum)
         datum
         (argument-error name keyword "expected a list of strings" value)))
    ((test-target)
     (if (or (not datum) (string? datum) (strings? datum))
         datum
         (argument-error name keyword
                         "expected #f, a string or a list of strings"
                         value)))
    ((sys-crates)
     (if (and (list? datum)
              (every (match-lambda
                       (((? string?) (? string?) (? string?)) #t)
                       (((? string?) (? string?) (? string?)
                         ((? string?) (? string?) (? string?)
                          (or #f (? string?))))
                        #t)
                       (_ #f))
                     datum))
         datum
         (argument-error name keyword
                         "expected a list of (CRATE VARIABLE VALUE) or \
(CRATE VARIABLE VALUE (LIBRARY PKG-CONFIG-NAME DEBIAN-PACKAGE BUNDLED))"
                         value)))
    ((modules)
     (if (and (list? datum)
              (every (lambda (m) (and (list? m) (every symbol? m))) datum))
         datum
         (argument-error name keyword
                         "expected a list of module names" value)))
    ((limit)
     (if (or (not datum) (and (exact-integer? datum) (>= datum 0)))
         datum
         (argument-error name keyword "expected #f or a non-negative integer"
                         value)))
    ((crate-overrides)
     (cond ((not (list? value))
            (argument-error name keyword "expected a list of crate overrides"
                            value))
           ((any crate-override-problem value)
            => (lambda (problem)
                 (raise-build-system-argument-error
                  name keyword value
                  (format #f "~a: cargo-build-system argument ~s: ~a"
                          name keyword problem))))
           (else value)))
    ((code)
     (if (phases-code? value)
         value
         (argument-error name keyword
                         "expected build-side code for the phases, such as \
%standard-phases or (modify-phases %standard-phases ...)"
                         value)))
    (else value)))

(define (cargo-arguments name arguments)
  "Check ARGUMENTS, a keyword list, and return the full list of cargo
arguments, defaults filled in, in the order of %cargo-arguments."
  (let loop ((rest arguments))
    (match rest
      (() #t)
      (((? keyword? key) value rest ...)
       (unless (or (assq key %cargo-arguments)
                   (memq key '(#:crate-name)))
         (raise-build-system-argument-error
          name key value
          (format #f "~a: cargo-build-system: unknown argument ~s \
(known: ~a)" name key
                  (string-join (map (compose symbol->string
                                             keyword->symbol car)
                                    %cargo-arguments)
                               " #:" 'prefix))))
       (when (and (eq? key #:crate-name) (not (string? value)))
         (argument-error name key "expected a string" value))
       (loop rest))
      ((x _ ...)
       (raise-build-system-argument-error
        name #f x
        (format #f "~a: arguments must be a keyword list, found ~s"
                name x)))))
  (append-map (match-lambda
                ((key default kind)
                 (list key
                       (check-argument name key kind
                                       (keyword-argument arguments key
                                                         default)))))
              %cargo-arguments))


;;;
;;; Lowering.
;;;

(define (package-cargo-inputs package)
  (normalize-inputs
   (keyword-argument (package-arguments package) #:cargo-inputs '())))

(define (crate-closure-sources name cargo-inputs development-inputs)
  "Return labelled inputs for the sources of CARGO-INPUTS and
DEVELOPMENT-INPUTS and of the cargo inputs of those, recursively
(development inputs are not followed)."
  (let ((seen (make-hash-table)))
    (let loop ((inputs (append (normalize-inputs cargo-inputs)
                               (normalize-inputs development-inputs)))
               (result '()))
      (match inputs
        (() (reverse result))
        (((label (? package? p) _ ...) rest ...)
         (if (hashq-ref seen p)
             (loop rest result)
             (begin
               (hashq-set! seen p #t)
               (let ((source (package-source p)))
                 (unless source
                   (raise (make-condition
                           &message 'message
                           (format #f "~a: cargo input ~a has no source"
                                   name (package-full-name p)))))
                 (loop (append rest (package-cargo-inputs p))
                       (cons (list (string-append (package-name p) "-"
                                                  (package-version p))
                                   source)
                             result))))))
        ((input rest ...)
         (loop rest (cons input result)))))))

(define (name->crate-name name properties)
  (or (assq-ref properties 'crate-name)
      (call-with-values (lambda () (package-name->name+version name))
        (lambda (package-name version)
          (package-name->crate-name package-name)))))

(define* (lower name
                #:key source inputs native-inputs outputs system target
                properties rust
                (cargo-inputs '()) (cargo-development-inputs '())
                #:allow-other-keys
                #:rest arguments)
  "Return the bag building NAME with Cargo."
  (system->rust-platform system)
  (when target (system->rust-platform target))
  (let* ((arguments (strip-keyword-arguments %private-keywords arguments))
         ;; The package's own #:crate-name wins over the one its name implies.
         (crate-name (or (keyword-argument arguments #:crate-name #f)
                         (name->crate-name name (or properties '()))))
         (rust (match rust
                 (#f (default-rust-toolchain))
                 ((? string? directory) (host-rust-toolchain directory))
                 (toolchain toolchain))))
    ;; Check the arguments now, so that errors name the package early.
    (cargo-arguments name arguments)
    (for-each (lambda (keyword value)
                (unless (inputs-list? value)
                  (argument-error name keyword
                                  "expected a list of inputs, packages or \
labelled (\"LABEL\" PACKAGE)" value)))
              '(#:cargo-inputs #:cargo-development-inputs)
              (list cargo-inputs cargo-development-inputs))
    (unless (or (not rust) (string? rust) (rust-toolchain? rust)
                (rust-toolchain-with-cargo? rust))
      (argument-error name #:rust
                      "expected #f, a toolchain directory or a toolchain"
                      rust))
    (let ((crates (crate-closure-sources name cargo-inputs
                                         cargo-development-inputs))
          (per-crate? (or (%per-crate?)
                          (keyword-argument arguments #:per-crate? #f))))
      (bag
        (name name)
        (system system)
        (target target)
        (host-inputs `(,@(if source `(("source" ,source)) '())
                       ,@inputs
                       ,@crates
                       ,@(normalize-inputs (%standard-inputs))))
        (build-inputs `(("rust" ,rust)
                        ,@native-inputs))
        (outputs outputs)
        (arguments `(#:crate-name ,crate-name
                     ,@(if per-crate?
                           `(#:crate-labels ,(map car crates))
                           '())
                     ,@(strip-keyword-arguments '(#:crate-name)
                                                arguments)))
        (build (cond ((and per-crate? target) cargo-per-crate-cross-build)
                     (per-crate? cargo-per-crate-build)
                     (target cargo-cross-build)
                     (else cargo-build)))))))

(define (check-toolchain-cargo store name item)
  "Raise an error when ITEM, the toolchain item the package NAME is built
with in the whole-package mode, has no bin/cargo (a toolchain of rustc
alone)."
  (unless (false-if-exception
           (lstat (string-append (store-real-path store item) "/bin/cargo")))
    (raise-build-system-argument-error
     name #:rust item
     (format #f "~a: the whole-package mode runs cargo, but the Rust \
toolchain ~a has none (no bin/cargo); build it in the per-crate mode \
(#:per-crate? #t or --per-crate), or give it a toolchain with cargo"
             name item))))

(define (lowered->pair input)
  (match input
    ((label _ _) (cons label (lowered-input-file-name input)))))

(define (lowered->derivation-input input)
  (match input
    ((_ (? derivation? drv) output) (list drv output))
    ((_ (? string? file) _) (list file))))

(define (cargo-derivation store name system target inputs native-inputs
                          outputs arguments)
  (let* ((crate-name (keyword-argument arguments #:crate-name))
         (arguments (strip-keyword-arguments
                     '(#:crate-name #:system #:target #:outputs
                       #:build-inputs #:host-inputs #:target-inputs)
                     arguments))
         (settings (cargo-arguments name arguments))
         (source (any (match-lambda
                        (("source" . file) file)
                        (_ #f))
                      (map lowered->pair inputs)))
         (settings
          (let loop ((settings settings) (result '()))
            (match settings
              (() (reverse result))
              ((#:rustflags flags rest ...)
               (loop rest (cons* `',(append (%default-rustflags) flags)
                                 #:rustflags result)))
              (((or #:modules #:per-crate? #:crate-overrides) _ rest ...)
               (loop rest result))
              ((#:phases phases rest ...)
               (loop rest (cons* phases #:phases result)))
              (((? keyword? key) (? list? value) rest ...)
               (loop rest (cons* `',value key result)))
              ((key value rest ...)
               (loop rest (cons* value key result))))))
         (modules (keyword-argument (cargo-arguments name arguments)
                                    #:modules '()))
         ;; A host toolchain's item (a toolchain with a package's cargo is a
         ;; derivation, which has one).
         (_ (for-each (match-lambda
                        (("rust" (? string? item) _)
                         (check-toolchain-cargo store name item))
                        (_ #t))
                      (append native-inputs inputs)))
         ;; A host toolchain (rustup's, say) lives outside the store and
         ;; outside /usr: the contained build must be shown it, read-only.
         (host-directories
          (append-map (match-lambda
                        (("rust" . file) (toolchain-item-host-directories file))
                        (_ '()))
                      (map lowered->pair (append native-inputs inputs)))))
    (build-script->derivation
     store name
     `((use-modules (ferrix build cargo-build-system) (ferrix build utils)
                    ,@modules)
       (cargo-build #:name ,name
                    #:source ,source
                    #:system ,system
                    #:target ,target
                    #:cargo-target ,(system->rust-platform (or target system))
                    #:crate-name ,crate-name
                    #:inputs ',(map lowered->pair inputs)
                    #:native-inputs ',(map lowered->pair native-inputs)
                    #:outputs (map (lambda (output)
                                     (cons output (getenv output)))
                                   ',outputs)
                    ,@settings))
     #:system system
     #:inputs (map lowered->derivation-input
                   (append native-inputs inputs))
     #:env-vars (if (null? host-directories)
                    '()
                    `(("impureHostDeps" . ,(string-join host-directories))))
     #:outputs outputs)))

(define* (cargo-build store name inputs
                      #:key system (outputs '("out"))
                      #:allow-other-keys
                      #:rest arguments)
  "Return the derivation building NAME natively with INPUTS, lowered."
  (cargo-derivation store name system #f inputs '() outputs arguments))

(define* (cargo-cross-build store name
                            #:key system target
                            (build-inputs '()) (host-inputs '())
                            (target-inputs '()) (outputs '("out"))
                            #:allow-other-keys
                            #:rest arguments)
  "Return the derivation cross-building NAME for TARGET."
  (cargo-derivation store name system target
                    (append host-inputs target-inputs) build-inputs
                    outputs arguments))

(define (per-crate-derivation store name system target inputs outputs
                              crate-labels arguments)
  "Return the derivation of NAME in the per-crate mode (see
'cargo-units-build' in (ferrix build-system cargo-units)), INPUTS lowered."
  (let ((settings (cargo-arguments
                   name
                   (strip-keyword-arguments
                    '(#:crate-name #:crate-labels #:system #:target #:outputs
                      #:build-inputs #:host-inputs #:target-inputs)
                    arguments))))
    ;; What the per-crate mode cannot honour yet is refused, not ignored.
    (for-each (match-lambda
                ((keyword default)
                 (let ((value (keyword-argument settings keyword default)))
                   (unless (equal? value default)
                     (raise-build-system-argument-error
                      name keyword value
                      (format #f "~a: cargo-build-system argument ~s is not \
supported in the per-crate mode yet (doc/per-crate.md), got ~s"
                              name keyword value))))))
              '((#:cargo-build-flags ("--release"))
                (#:cargo-test-flags ("--release"))
                (#:phases %standard-phases)))
    (cached-cargo-units-build store name inputs
                       #:system system #:target target #:outputs outputs
                       #:crate-labels crate-labels
                       #:features (keyword-argument settings #:features '())
                       #:tests? (and (keyword-argument settings #:tests? #f)
                                     (not (keyword-argument settings
                                                            #:skip-build? #f)))
                       #:test-target (keyword-argument settings #:test-target #f)
                       #:parallel-tests?
                       (keyword-argument settings #:parallel-tests? #t)
                       #:install-source?
                       (keyword-argument settings #:install-source? #t)
                       #:rustflags
                       (append (%default-rustflags)
                               (keyword-argument settings #:rustflags '()))
                       #:cargo-target
                       (and target (system->rust-platform target))
                       #:crate-overrides
                       (append (keyword-argument settings #:crate-overrides '())
                               (sys-crate-overrides
                                (keyword-argument settings #:sys-crates '()))
                               (checked-user-overrides)
                               %default-crate-overrides))))

(define (checked-user-overrides)
  "Return %crate-overrides, after checking that it is a list of valid crate
overrides."
  (let ((overrides (%crate-overrides)))
    (unless (list? overrides)
      (raise (condition
              (&message
               (message (format #f "the crate overrides must be a list of \
crate overrides, got ~s" overrides))))))
    (match (any crate-override-problem overrides)
      (#f overrides)
      (problem (raise (condition (&message (message problem))))))))

(define* (cargo-per-crate-build store name inputs
                                #:key system (outputs '("out"))
                                (crate-labels '())
                                #:allow-other-keys
                                #:rest arguments)
  "Return the derivation building NAME natively in the per-crate mode."
  (per-crate-derivation store name system #f inputs outputs crate-labels
                        arguments))

(define* (cargo-per-crate-cross-build store name
                                      #:key system target
                                      (build-inputs '()) (host-inputs '())
                                      (target-inputs '()) (outputs '("out"))
                                      (crate-labels '())
                                      #:allow-other-keys
                                      #:rest arguments)
  "Return the derivation cross-building NAME for TARGET in the per-crate
mode."
  (per-crate-derivation store name system target
                        (append build-inputs host-inputs target-inputs)
                        outputs crate-labels arguments))

(define cargo-build-system
  (build-system
    (name 'cargo)
    (description "Cargo build system, to build Rust crates")
    (lower lower)))

;;; cargo.scm ends here

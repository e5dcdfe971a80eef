;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix build-system cargo-units): the per-crate mode of the cargo build
;;; system, host side (doc/per-crate.md): one derivation per compilation
;;; unit, built by `ferrix unit' (lib/cargo/unit-build.cc).

(define-module (ferrix build-system cargo-units)
  #:use-module (ferrix build-system)
  #:use-module (ferrix derivations)
  #:use-module (ferrix store)
  #:use-module ((ferrix toolchain) #:select (toolchain-item-host-directories))
  #:use-module (ferrix build-system cargo-overrides)
  #:use-module ((ferrix build utils)
                #:select (copy-recursively delete-file-recursively))
  #:use-module ((ferrix build cargo-build-system)
                #:select (source-config-rustflags))
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-26)
  #:use-module (srfi srfi-34)
  #:use-module (srfi srfi-35)
  #:use-module (ice-9 match)
  #:use-module (ice-9 popen)
  #:use-module ((ice-9 textual-ports) #:select (get-string-all))
  #:export (%per-crate?
            %unit-output-placeholder
            unit-derivation-name
            unit-derivation
            package-install-derivation
            unpacked-source
            toolchain-facts
            cargo-units-build))

;; %crate-unit-graph, unit-graph-units, unit-invocation: guile/units.cc.
(eval-when (expand load eval)
  (load-extension "libguile-ferrix" "init_ferrix")
  ;; %cargo-config-linker.
  (load-extension "libguile-ferrix" "init_ferrix_cargo"))

;;; Commentary:
;;;
;;; A unit's derivation is named rust-unit-CRATE-VERSION-KIND[-TARGET]-META
;;; (META the unit's metadata hash, or "run" for a build script run) and its
;;; inputs are the unit's source, the outputs of the units it uses, the
;;; toolchain item, the inputs it is given (a -sys crate's pkg-config and
;;; library, say) and the build side: nothing that names the package being
;;; built, so that the same unit in two packages is the same derivation.
;;;
;;; Its builder is the build side's `ferrix unit' (lib/cargo/unit-build.cc),
;;; which reads the unit's spec from the variable ferrixUnit (passed as a
;;; file, as Nix's passAsFile does): the JSON that
;;; %unit-spec makes of the crate, version, kind, target name, crate types,
;;; mode, metadata, the invocation (program, arguments, environment and
;;; directory, where %unit-output-placeholder stands for the output), the
;;; build script runs it reads ((ITEM WHAT LINKS) ...), whether it passes
;;; their -l, the cargo version reading a run's directives and the input
;;; items.  It starts no Guile: a graph has hundreds of units.  Two kinds of
;;; build script run need the build side's Scheme: one whose crate override
;;; replaces the script (the program is then `ferrix build-side' running
;;; the override's code, 'run-replacement'), and one with switches forcing
;;; a system library, which (ferrix build sys-crates) checks before handing
;;; over to `ferrix unit' ('check-system-libraries-then-build').
;;;
;;; Code:

(define %per-crate?
  ;; Whether every cargo-build-system package of the command is built in the
  ;; per-crate mode, whatever its #:per-crate? says: `ferrix build
  ;; --per-crate'.
  (make-parameter #f))

(define %unit-output-placeholder
  ;; Stands for the unit's own output in its invocation, which is written
  ;; before the output's file name is known; the build side replaces it.
  "/@ferrix-unit-output@")

(define (sanitize str)
  (string-map (lambda (c)
                (if (or (char-alphabetic? c) (char-numeric? c)
                        (memv c '(#\- #\. #\_ #\+)))
                    c
                    #\-))
              str))

(define (unit-derivation-name crate version kind target-name mode metadata)
  "Return the name of the derivation of a unit: rust-unit-CRATE-VERSION-KIND,
then the target's name when it is not the crate's, then \"test\" or
\"doctest\" for MODE test or doctest, then METADATA (after \"run-\" for a
build script run, MODE run-custom-build)."
  (sanitize
   (string-join
    (append (list "rust-unit" crate version (symbol->string kind))
            (if (or (not target-name)
                    (string=? target-name crate)
                    (string=? (string-map (lambda (c) (if (char=? c #\-) #\_ c))
                                          crate)
                              target-name)
                    (eq? kind 'custom-build))
                '()
                (list target-name))
            (if (memq mode '(test doctest))
                (list (symbol->string mode))
                '())
            (list (if (eq? mode 'run-custom-build)
                      (string-append "run-" metadata)
                      metadata)))
    "-")))

(define* (unit-derivation store #:key crate version kind target-name
                          (crate-types '()) mode metadata
                          program (arguments '()) (environment '())
                          (checked-environment '())
                          directory (scripts '()) (link-libs? #t)
                          cargo-version replacement
                          (sources '()) (units '()) (meta-units '())
                          pipelined? (inputs '())
                          (host-directories '())
                          (system (%current-system)))
  "Return the derivation of a unit of CRATE at VERSION (see the commentary):
PROGRAM run with ARGUMENTS and ENVIRONMENT in DIRECTORY, where
%unit-output-placeholder stands for its output.  SCRIPTS are (DRV WHAT LINKS),
DRV a build script run's derivation.  SOURCES are store items it reads (its
source, the toolchain item); UNITS the derivations of the units whose outputs
it reads, META-UNITS those whose meta output only it reads (pipelining, see
doc/per-crate.md); PIPELINED? says it has a meta output too; INPUTS store items whose bin/ and pkgconfig directories it uses,
in that order; HOST-DIRECTORIES the host directories it must see (a toolchain outside
the store).  REPLACEMENT, for a build script run, is build-side code run
instead of the script (a crate override's).  CHECKED-ENVIRONMENT, for a build
script run, are (VARIABLE VALUE LIBRARY PKG-CONFIG-NAME DEBIAN-PACKAGE
BUNDLED): switches forcing a system library, set only when pkg-config finds it
(see (ferrix build sys-crates))."
  (define name
    (unit-derivation-name crate version kind target-name mode metadata))
  (define script-units (map car scripts))
  (define replacement-script
    ;; A crate override's build script, run in place of the crate's.
    (and replacement
         (build-script->store store (string-append name "-replacement")
                              `((use-modules (ferrix build rust-unit))
                                (run-replacement ',replacement))
                              '())))
  (define spec
    (%unit-spec
     `((crate . ,crate) (version . ,version) (kind . ,kind)
       (target-name . ,target-name) (crate-types . ,crate-types)
       (mode . ,mode) (metadata . ,metadata)
       (program . ,(if replacement-script
                       (string-append (build-side-item store) "/bin/ferrix")
                       program))
       (arguments . ,(if replacement-script
                         (list "build-side" replacement-script)
                         arguments))
       (environment . ,environment) (directory . ,directory)
       (scripts . ,(map (match-lambda
                          ((drv what links)
                           (list (derivation->output-path drv) what links)))
                        scripts))
       (placeholder . ,%unit-output-placeholder)
       (link-libs? . ,link-libs?) (cargo-version . ,cargo-version)
       (inputs . ,inputs))))
  (define drv-inputs
    (append (map list (delete-duplicates
                       (append sources inputs
                               (if replacement-script
                                   (list replacement-script)
                                   '()))))
            (map (cut list <> "out")
                 (delete-duplicates (append units script-units) eq?))
            (map (cut list <> "meta")
                 (delete-duplicates meta-units eq?))))
  (define env-vars
    ;; As a file in the build directory: a unit with hundreds of dependencies
    ;; has a spec larger than the kernel takes for one variable (128 KiB).
    (append `(("ferrixUnit" . ,spec) ("passAsFile" . "ferrixUnit"))
            (unit-display-variables crate version kind mode)
            (if (null? host-directories)
                '()
                `(("impureHostDeps" . ,(string-join host-directories))))))
  (define outputs (if pipelined? '("out" "meta") '("out")))
  (if (null? checked-environment)
      ;; `ferrix unit' builds it (lib/cargo/unit-build.cc): no Guile to start.
      (build-side-derivation store name '("unit")
                             #:system system #:outputs outputs
                             #:inputs drv-inputs #:env-vars env-vars)
      ;; Switches forcing a system library are checked by the build side's
      ;; Scheme, (ferrix build sys-crates), which then hands over to it.
      (build-script->derivation
       store name
       `((use-modules (ferrix build rust-unit))
         (check-system-libraries-then-build
          #:crate ,crate #:version ,version #:directory ,directory
          #:placeholder ,%unit-output-placeholder #:inputs ',inputs
          #:environment ',environment #:rows ',checked-environment))
       #:system system #:outputs outputs
       #:inputs drv-inputs #:env-vars env-vars)))

(define (unit-display-variables crate version kind mode)
  "Return the variables that tell the build display what the unit of CRATE at
VERSION, of KIND and MODE, is (doc/build.md): the package, its version and the
unit's action, the name cargo's progress bar gives it."
  `(("ferrixPackage" . ,crate)
    ("ferrixVersion" . ,version)
    ("ferrixAction" . ,(cond ((eq? mode 'run-custom-build) "build-script-run")
                             ((eq? kind 'custom-build) "build-script")
                             ((eq? mode 'test) "test")
                             (else (symbol->string kind))))))

(define (profile-description unit)
  "Return the profile of UNIT, a root unit, as cargo's Finished line words it:
\"`release` profile [optimized]\", \"[unoptimized + debuginfo]\"..."
  (format #f "`~a` profile [~a~a]"
          (assq-ref unit 'profile)
          (if (equal? (assq-ref unit 'opt-level) "0") "unoptimized" "optimized")
          (if (zero? (assq-ref unit 'debuginfo)) "" " + debuginfo")))

;;;
;;; Lowering a package.
;;;

(define (realise store items)
  "Build the derivations among ITEMS, a list of derivations and store file
names, and return the store file names of their outputs, in order."
  (let ((drvs (filter derivation? items)))
    (unless (null? drvs)
      (build-derivations store drvs))
    (map (lambda (item)
           (if (derivation? item) (derivation->output-path item) item))
         items)))

(define (unpacked-source store item system)
  "Return the directory holding the source ITEM, a directory or an archive
(a url-fetch .crate): an archive becomes a directory through a small
derivation of its own, realised now, shared by every package using it."
  (if (file-is-directory? (store-real-path store item))
      item
      (let ((drv (build-script->derivation
                  store (string-append (strip-store-hash item) "-unpacked")
                  `((use-modules (ferrix build utils))
                    (unpack-source ,item (getenv "out")))
                  #:system system
                  #:inputs `((,item)))))
        (car (realise store (list drv))))))

(define (store-item store file)
  "Return the store item FILE, a store item or a file inside one (a path
dependency's directory), belongs to."
  (let* ((prefix (string-append (store-directory store) "/"))
         (rest (if (string-prefix? prefix file)
                   (substring file (string-length prefix))
                   file))
         (slash (string-index rest #\/)))
    (if (and slash (string-prefix? prefix file))
        (string-append prefix (substring rest 0 slash))
        file)))

(define (strip-store-hash item)
  (let ((base (basename item)))
    (substring base (+ 1 (or (string-index base #\-) -1)))))

(define (persistent-toolchain-fact kind key)
  "Return what the per-user cache holds for KIND of KEY, a toolchain item
first: the item names its rustc by content (its sha256sums, or the rustc
itself), so what rustc says of itself stays true while the item exists.
Saves running rustc (about 0.1 s of CPU a run) at each lowering."
  (stamp-cache-ref kind key))

(define %toolchain-facts
  ;; (ITEM TARGET RUSTFLAGS) -> ((release . R) (host . H) (host-cfg . CFG) ...).
  (make-hash-table))

(define (toolchain-facts store item target rustflags)
  "Return what the graph needs to know of the toolchain ITEM: its release
and host (`rustc -vV'), and `rustc --print cfg' for the host and for TARGET
when cross-compiling, with RUSTFLAGS where cargo passes them (to the target's,
which is the host's when not cross-compiling); read once per toolchain,
target and flags."
  (define key (list item target rustflags))
  (define rustc (string-append (store-real-path store item) "/bin/rustc"))
  (define (output . args)
    (let* ((port (apply open-pipe* OPEN_READ rustc args))
           (text (get-string-all port))
           (status (close-pipe port)))
      (unless (eqv? 0 (status:exit-val status))
        (raise (condition
                (&message
                 (message (format #f "cannot ask the toolchain ~a what it \
targets: `rustc ~a' failed (exit status ~a)"
                                  item (string-join args)
                                  (status:exit-val status)))))))
      text))
  (define (field text name)
    (any (lambda (line)
           (and (string-prefix? (string-append name ": ") line)
                (substring line (+ 2 (string-length name)))))
         (string-split text #\newline)))
  (or (hash-ref %toolchain-facts key)
      (persistent-toolchain-fact 'toolchain-facts key)
      (let* ((vv (output "-vV"))
             (facts `((release . ,(field vv "release"))
                      (host . ,(field vv "host"))
                      (host-cfg . ,(apply output "--print" "cfg"
                                          (if target '() rustflags)))
                      (target-cfg . ,(if target
                                         (apply output "--print" "cfg"
                                                "--target" target rustflags)
                                         #f)))))
        (hash-set! %toolchain-facts key facts)
        (stamp-cache-set! 'toolchain-facts key facts)
        facts)))

(define* (cargo-units-build store name inputs
                            #:key system target (outputs '("out"))
                            (crate-labels '()) (features '()) tests?
                            (test-target #f)
                            install-source? rustflags
                            (cargo-target #f) (crate-overrides '())
                            (parallel-tests? #t)
                            #:allow-other-keys)
  "Return the derivation of the package NAME in the per-crate mode: its units'
derivations are made (and the sources realised) now, and the package's
derivation installs its binaries.  With TESTS? it runs the package's tests
first, then its library's doctests (on one thread unless PARALLEL-TESTS?):
those TEST-TARGET selects when it is not #f (a string or a list of strings,
as cargo-build-system's #:test-target).
CRATE-OVERRIDES, crate overrides, first match first, change the units of the
crates they name."
  (define (input label)
    (any (match-lambda
           ((l obj . _) (and (string=? l label) obj)))
         inputs))
  (define toolchain (input "rust"))
  (define source (input "source"))
  (define crate-inputs (filter-map input crate-labels))
  (define other-inputs
    ;; The package's inputs and native inputs (pkg-config, C libraries...),
    ;; as store items, without their labels: see 'unit-inputs'.
    (delete-duplicates
     (filter-map (match-lambda
                   ((label obj . _)
                    (and (not (member label (cons* "rust" "source"
                                                   crate-labels)))
                         (if (derivation? obj)
                             (derivation->output-path obj)
                             obj))))
                 inputs)))
  (define (unit-inputs unit)
    ;; Only the units that may use the package's inputs get them: the
    ;; package's own (path) units, and the build script runs of crates with
    ;; `links' (the -sys crates, which look for C libraries).  Any other unit
    ;; must not depend on them, or two packages with different inputs could
    ;; not share it.
    (if (or (string-prefix? "path+" (assq-ref unit 'source))
            (and (eq? (assq-ref unit 'mode) 'run-custom-build)
                 (assq-ref unit 'links)))
        other-inputs
        '()))
  (match (realise store (cons* toolchain source crate-inputs))
    ((toolchain-item source-item . crate-items)
     (let* ((root (unpacked-source store source-item system))
            (crates* (map (lambda (item)
                            (list (unpacked-source store item system)
                                  "registry+https://github.com/rust-lang/crates.io-index"
                                  #f))
                          crate-items))
            ;; The rustflags of the source's .cargo/config* apply, as in
            ;; the whole-package mode (doc/cargo.md); its [source] tables
            ;; cannot matter: no cargo resolves anything here.
            (rustflags (append rustflags
                               (source-config-rustflags
                                (or cargo-target
                                    (assq-ref (toolchain-facts
                                               store toolchain-item
                                               cargo-target rustflags)
                                              'host))
                                #:directory root
                                #:quiet? #t)))
            (facts (toolchain-facts store toolchain-item cargo-target
                                   rustflags))
            (options `((host . ,(assq-ref facts 'host))
                       (target . ,(or cargo-target (assq-ref facts 'host)))
                       (host-cfg . ,(assq-ref facts 'host-cfg))
                       (target-cfg . ,(or (assq-ref facts 'target-cfg)
                                          (assq-ref facts 'host-cfg)))
                       (cross? . ,(and target #t))
                       (features . ,features)
                       (rustflags . ,rustflags)
                       (rustc . ,(string-append toolchain-item "/bin/rustc"))
                       ;; What build scripts find as RUSTDOC and CARGO: the
                       ;; toolchain's, never the host's.
                       ,@(filter-map
                          (lambda (tool)
                            (let ((file (string-append toolchain-item "/bin/"
                                                       tool)))
                              (and (file-exists? (store-real-path store file))
                                   (cons (string->symbol tool) file))))
                          '("rustdoc" "cargo"))
                       (workspace-root . ,root)
                       (cargo-version . ,(assq-ref facts 'release))))
            (host-directories (toolchain-item-host-directories toolchain-item))
            (crates (patch-crates store root crates*
                                  (acons 'tests? tests? options)
                                  crate-overrides
                                  system))
            (options (append (cross-linker store root
                                            (and target cargo-target))
                             options))
            (options (acons 'package-dirs
                            (path-package-items store root crates
                                                (acons 'tests? tests? options))
                            options)))
       (define (unit-ref unit key) (assq-ref unit key))
       (define (unit-override unit)
         (let ((override (lookup-crate-override crate-overrides
                                                (unit-ref unit 'package)
                                                (unit-ref unit 'version))))
           (and override
                (lower-crate-override store override system))))
       (define linker-sources
         ;; A linker the package keeps in its own tree is a store item of its
         ;; own (see 'cross-linker').
         (match (assq-ref options 'linker)
           ((and (? string?) (? (cut string-prefix?
                                    (string-append (store-directory store) "/")
                                    <>))
                 linker)
            (list linker))
           (_ '())))
       (define (graph-root-units tests?)
         ;; The root units of the graph cargo makes for `cargo build' (TESTS?
         ;; #f) or `cargo test', each unit's derivation made before its
         ;; dependents'; a unit both graphs hold is the same derivation.
         (let* ((options (cons* `(tests? . ,tests?)
                                `(test-targets
                                  . ,(match test-target
                                       (#f '())
                                       ((? string? target) (list target))
                                       (targets targets)))
                                options))
                (graph (%crate-unit-graph root crates options))
                (units (unit-graph-units graph))
                (count (vector-length units))
                (drvs (make-vector count #f))
                (closures (make-vector count '()))
                (outputs* (make-vector count #f))
                (environments (make-vector count '()))
                (doctests (make-vector count #f)))
           (define packages-with-lib
             ;; (PACKAGE . VERSION) of the packages that have a lib unit,
             ;; found once rather than per unit (graphs have hundreds).
             (let ((table (make-hash-table)))
               (for-each (lambda (unit)
                           (when (eq? (unit-ref unit 'kind) 'lib)
                             (hash-set! table
                                        (cons (unit-ref unit 'package)
                                              (unit-ref unit 'version))
                                        #t)))
                         (vector->list units))
               table))
           (define (meta-only? unit index)
             ;; Whether UNIT needs only the metadata of unit INDEX.
             (and (unit-ref unit 'pipelined?)
                  (unit-ref (vector-ref units index) 'pipelined?)))
           (define (package-has-lib? unit)
             (hash-ref packages-with-lib
                       (cons (unit-ref unit 'package) (unit-ref unit 'version))))
           (check-replacements units crate-overrides)
           (do ((i 0 (+ i 1))) ((= i count))
             ;; A doctest is no unit derivation: rustdoc compiles and runs
             ;; it in the package's derivation, as cargo runs it with the
             ;; tests (see 'doctest-run').
             (if (eq? (unit-ref (vector-ref units i) 'mode) 'doctest)
               (unless target
                 (vector-set! doctests i
                              (doctest-run graph i units drvs outputs*
                                           options)))
               (let* ((unit (vector-ref units i))
                      (_ (vector-set! closures i
                                      (delete-duplicates
                                       (append-map (lambda (d)
                                                     (cons d (vector-ref closures d)))
                                                   (unit-ref unit 'deps)))))
                      (override (unit-override unit))
                      (inv (let ((inv (unit-invocation
                                       graph i outputs*
                                       %unit-output-placeholder options)))
                             (if override
                                 (crate-override-invocation override unit inv)
                                 inv)))
                      (drv (unit-derivation
                            store
                            #:crate (unit-ref unit 'package)
                            #:version (unit-ref unit 'version)
                            #:kind (unit-ref unit 'kind)
                            #:target-name (unit-ref unit 'target-name)
                            #:crate-types (unit-ref unit 'crate-types)
                            #:mode (unit-ref unit 'mode)
                            #:metadata (unit-ref unit 'metadata)
                            #:program (assq-ref inv 'program)
                            #:arguments (assq-ref inv 'args)
                            #:environment (assq-ref inv 'env)
                            #:checked-environment
                            (or (assq-ref inv 'checked-env) '())
                            #:directory (assq-ref inv 'cwd)
                            #:scripts (map (match-lambda
                                             ((index what links)
                                              (list (vector-ref drvs index)
                                                    what links)))
                                           (assq-ref inv 'scripts))
                            #:link-libs? (or (eq? (unit-ref unit 'kind) 'lib)
                                             (not (package-has-lib? unit)))
                            #:cargo-version (assq-ref facts 'release)
                            #:sources (cons* toolchain-item
                                             (store-item store
                                                         (unit-ref unit 'dir))
                                             ;; Host units get no linker.
                                             (if (unit-ref unit 'host?)
                                                 '()
                                                 linker-sources))
                            ;; rustc finds a library's own dependencies
                            ;; through -L dependency=: the whole closure.
                            ;; A pipelined unit reads the pipelined
                            ;; libraries' meta output only.
                            #:units (map (cut vector-ref drvs <>)
                                         (remove (cut meta-only? unit <>)
                                                 (vector-ref closures i)))
                            #:meta-units (map (cut vector-ref drvs <>)
                                              (filter (cut meta-only? unit <>)
                                                      (vector-ref closures i)))
                            #:pipelined? (unit-ref unit 'pipelined?)
                            #:inputs (if override
                                         (append (unit-inputs unit)
                                                 (crate-override-inputs
                                                  override))
                                         (unit-inputs unit))
                            #:replacement
                            (and override
                                 (eq? (unit-ref unit 'mode) 'run-custom-build)
                                 (crate-override-build-script override))
                            #:host-directories host-directories
                            #:system system)))
                 (vector-set! drvs i drv)
                 (vector-set! environments i (assq-ref inv 'env))
                 (vector-set! outputs* i
                              (if (unit-ref unit 'pipelined?)
                                  (cons (derivation->output-path drv)
                                        (derivation->output-path drv "meta"))
                                  (derivation->output-path drv))))))
           ;; (UNIT DRV ENV), DRV a doctest's run for a doctest unit.
           (filter-map (lambda (unit drv env doctest)
                         (and (unit-ref unit 'root?) (or drv doctest)
                              (list unit (or drv doctest) env)))
                       (vector->list units) (vector->list drvs)
                       (vector->list environments) (vector->list doctests))))
       (define (doctest-run graph index units drvs outputs options)
         ;; The doctest unit INDEX of GRAPH, whose UNITS have DRVS and
         ;; OUTPUTS, as 'package-install-derivation' runs it: rustdoc's
         ;; invocation, and the derivations it reads (the units of its
         ;; closure, its build scripts' runs).
         (let* ((unit (vector-ref units index))
                (rustdoc (or (toolchain-rustdoc store toolchain-item)
                             (raise (condition
                                     (&message
                                      (message
                                       (format #f "cannot run the doctests \
of `~a' ~a: the toolchain ~a has no rustdoc"
                                               (unit-ref unit 'package)
                                               (unit-ref unit 'version)
                                               toolchain-item)))))))
                (inv (unit-invocation
                      graph index outputs %unit-output-placeholder
                      `((rustdoc . ,rustdoc)
                        (test-args . ,(if parallel-tests?
                                          '()
                                          '("--test-threads=1")))
                        ,@options)))
                (closure (let loop ((pending (unit-ref unit 'deps))
                                    (seen '()))
                           (match pending
                             (() seen)
                             ((d rest ...)
                              (if (memv d seen)
                                  (loop rest seen)
                                  (loop (append (unit-ref (vector-ref units d)
                                                          'deps)
                                                rest)
                                        (cons d seen))))))))
           `((program . ,(assq-ref inv 'program))
             (arguments . ,(assq-ref inv 'args))
             (environment . ,(assq-ref inv 'env))
             (directory . ,(assq-ref inv 'cwd))
             (scripts . ,(map (match-lambda
                                ((i what links)
                                 (list (vector-ref drvs i) what links)))
                              (assq-ref inv 'scripts)))
             (units . ,(filter-map (cut vector-ref drvs <>) closure))
             (sources . ,(list toolchain-item
                               (store-item store (unit-ref unit 'dir))))
             (description . ,(format #f "`~a' ~a (doctests)"
                                     (unit-ref unit 'package)
                                     (unit-ref unit 'version))))))
       (define (test-library-path)
         ;; Test binaries of proc-macros (-C prefer-dynamic) load the
         ;; toolchain's libstd: cargo puts its target libdir on the search
         ;; path when it runs them.
         `(("LD_LIBRARY_PATH"
            . ,(string-append (toolchain-sysroot store toolchain-item)
                              "/lib/rustlib/"
                              (or cargo-target (assq-ref facts 'host))
                              "/lib"))))
       (let ((built (graph-root-units #f))
             (tested (if tests? (graph-root-units #t) '())))
         (package-install-derivation
          store name root
          (filter-map (match-lambda
                        ((unit drv _)
                         (and (eq? (unit-ref unit 'kind) 'bin)
                              (eq? (unit-ref unit 'mode) 'build)
                              drv)))
                      built)
          #:tests (filter-map
                   (match-lambda
                     ((unit drv env)
                      (and (eq? (unit-ref unit 'mode) 'test)
                           (list drv
                                 (string-append "bin/"
                                                (unit-ref unit 'target-name)
                                                "-" (unit-ref unit 'metadata))
                                 (unit-ref unit 'dir)
                                 (append (test-environment env)
                                         (test-library-path))
                                 (format #f "`~a' ~a (~a \"~a\")"
                                         (unit-ref unit 'package)
                                         (unit-ref unit 'version)
                                         (unit-ref unit 'kind)
                                         (unit-ref unit 'target-name))))))
                   tested)
          #:doctests (filter-map (match-lambda
                                   ((unit run _)
                                    (and (eq? (unit-ref unit 'mode) 'doctest)
                                         run)))
                                 tested)
          #:toolchain toolchain-item
          #:host-directories host-directories
          #:install-source? install-source?
          #:display-variables
          `(("ferrixRustc" . ,(string-append "rustc "
                                             (assq-ref facts 'release)))
            ,@(match built
                (((unit . _) . _)
                 ;; Its build is the package's last step, as cargo shows it.
                 `(("ferrixProfile" . ,(profile-description unit))
                   ("ferrixPackage" . ,(unit-ref unit 'package))
                   ("ferrixVersion" . ,(unit-ref unit 'version))
                   ("ferrixAction" . "package")))
                (_ '())))
          #:system system))))))

(define (patch-crates store root crates options overrides system)
  "Return CRATES, a list of (DIRECTORY SOURCE CHECKSUM), with the directory of
each crate that one of OVERRIDES gives patches replaced by its patched copy;
the crates' names and versions are those of the graph of ROOT and CRATES for
OPTIONS."
  (if (not (any (compose pair? crate-override-patches) overrides))
      crates
      (let ((versions (make-hash-table)))
        ;; DIRECTORY -> (NAME . VERSION), from a graph's units.
        (for-each
         (lambda (unit)
           (let* ((crate (assq-ref unit 'package))
                  (version (assq-ref unit 'version))
                  (override (lookup-crate-override overrides crate version)))
             (when (and override (pair? (crate-override-patches override))
                        (string-prefix? "path+" (assq-ref unit 'source)))
               (raise (condition
                       (&message
                        (message
                         (format #f "crate override ~a patches `~a' ~a, \
which is the package's own source: patch the package's origin instead"
                                 (crate-override-description override)
                                 crate version))))))
             (hash-set! versions (assq-ref unit 'dir) (cons crate version))))
         (vector->list
          (unit-graph-units
           (%crate-unit-graph root crates options))))
        (map (match-lambda
               ((directory source checksum)
                (match (hash-ref versions directory)
                  ((crate . version)
                   (match (lookup-crate-override overrides crate version)
                     ((and (? crate-override?) override)
                      (let ((patches (crate-override-patches
                                      (lower-crate-override store override
                                                            system))))
                        (list (if (null? patches)
                                  directory
                                  (patched-crate-source store directory crate
                                                        version patches
                                                        system))
                              source checksum)))
                     (#f (list directory source checksum))))
                  (#f (list directory source checksum)))))
             crates))))

(define (check-replacements units overrides)
  "Raise an error if one of OVERRIDES that matches a crate among UNITS (a
vector of unit alists) replaces the build script of a crate that has none."
  (let ((scripts (make-hash-table)))
    (for-each (lambda (unit)
                (when (eq? (assq-ref unit 'kind) 'custom-build)
                  (hash-set! scripts (cons (assq-ref unit 'package)
                                           (assq-ref unit 'version))
                             #t)))
              (vector->list units))
    (for-each
     (lambda (unit)
       (let* ((crate (assq-ref unit 'package))
              (version (assq-ref unit 'version))
              (override (lookup-crate-override overrides crate version)))
         (when (and override (crate-override-build-script override)
                    (not (hash-ref scripts (cons crate version))))
           (raise (condition
                   (&message
                    (message
                     (format #f "crate override ~a replaces the build script \
of `~a' ~a, which has none"
                             (crate-override-description override)
                             crate version))))))))
     (vector->list units))))

(define (cross-linker store root triple)
  "Return the options giving target units the linker the package in ROOT
configures for TRIPLE in its .cargo/config.toml, where the whole-package
mode's cargo finds it: '((linker . LINKER)), or '() when TRIPLE is #f (not
cross-compiling) or nothing is configured, rustc's default then.  A linker
inside ROOT is added to STORE as an item of its own, so that target units
depend on it and not on the whole package's source."
  (match (and triple (%cargo-config-linker root triple))
    (#f '())
    ((? (cut string-prefix? (string-append root "/") <>) linker)
     `((linker . ,(add-to-store store (basename linker) #t 'sha256
                                (store-real-path store linker)))))
    (linker `((linker . ,linker)))))

;;;
;;; Path packages.
;;;

(define (package-tree-select dir others)
  "Return a predicate for 'copy-recursively' keeping what `cargo package'
keeps of the package in DIR: not DIR/target, not the directories of OTHERS,
the graph's other path packages."
  (lambda (file stat)
    (not (and (eq? (stat:type stat) 'directory)
              (or (string=? file (string-append dir "/target"))
                  (member file others))))))

(define (package-tree->store store name dir others)
  "Add to STORE, as an item called NAME, the files of the package in DIR, in
the store or not, without the directories of the path packages OTHERS (see
'package-tree-select'), and return it: by content, so that an unchanged
package gets the same item.  Symbolic links are followed, as `cargo package'
follows them: a member's README.md linking to ../README.md stays readable."
  (let* ((prefix (string-append (store-directory store) "/"))
         (real (lambda (file)
                 (if (string-prefix? prefix file)
                     (store-real-path store file)
                     file)))
         (tmp (mkdtemp (string-append (or (getenv "TMPDIR") "/tmp")
                                      "/ferrix-package-XXXXXX")))
         (copy (string-append tmp "/" name)))
    (dynamic-wind
      (const #t)
      (lambda ()
        (copy-recursively (real dir) copy
                          #:follow-symlinks? #t
                          #:select? (package-tree-select (real dir)
                                                         (map real others)))
        (add-to-store store name #t 'sha256 copy))
      (lambda ()
        (delete-file-recursively tmp)))))

(define (path-package-items store root crates options)
  "Return pairs (DIRECTORY . ITEM) for the path packages (workspace members,
path dependencies) in the graph of ROOT, CRATES and OPTIONS, as
%crate-unit-graph takes them: ITEM holds only the package in DIRECTORY, so
that an edit to one package changes its units and its dependents' only.  A
package whose only path package is ROOT itself keeps ROOT: nothing to copy."
  (let* ((units (vector->list
                 (unit-graph-units (%crate-unit-graph root crates options))))
         (packages (delete-duplicates
                    (filter-map (lambda (unit)
                                  (and (string-prefix? "path+"
                                                       (assq-ref unit 'source))
                                       (cons (assq-ref unit 'dir)
                                             (sanitize
                                              (string-append
                                               (assq-ref unit 'package) "-"
                                               (assq-ref unit 'version))))))
                                units)))
         (dirs (map car packages)))
    (if (equal? dirs (list root))
        '()
        (map (match-lambda
               ((dir . name)
                (cons dir
                      (package-tree->store store name dir
                                           (delete dir dirs)))))
             packages))))

(define (toolchain-rustdoc store item)
  "Return the rustdoc of the toolchain ITEM, or #f: ITEM/bin/rustdoc, else
the rustdoc next to the real rustc ITEM/bin/rustc leads to (a toolchain item
links rustc and cargo only)."
  (let ((own (string-append item "/bin/rustdoc")))
    (if (file-exists? (store-real-path store own))
        own
        (let* ((rustc (store-real-path store (string-append item "/bin/rustc")))
               (next (and (file-exists? rustc)
                          (string-append (dirname (canonicalize-path rustc))
                                         "/rustdoc"))))
          (and next (file-exists? next) next)))))

(define %toolchain-sysroots (make-hash-table))

(define (toolchain-sysroot store item)
  "Return the sysroot of the toolchain ITEM's rustc (`rustc --print
sysroot'), asked once per process."
  (or (hash-ref %toolchain-sysroots item)
      (persistent-toolchain-fact 'toolchain-sysroot item)
      (let* ((rustc (string-append (store-real-path store item) "/bin/rustc"))
             (port (open-pipe* OPEN_READ rustc "--print" "sysroot"))
             (text (string-trim-both (get-string-all port)))
             (status (close-pipe port)))
        (unless (and (eqv? 0 (status:exit-val status))
                     (not (string-null? text)))
          (raise (condition
                  (&message
                   (message (format #f "cannot ask the toolchain ~a where its \
libraries are: `rustc --print sysroot' failed (exit status ~a)"
                                    item (status:exit-val status)))))))
        (hash-set! %toolchain-sysroots item text)
        (stamp-cache-set! 'toolchain-sysroot item text)
        text)))

(define (test-environment env)
  "Return the variables of ENV, a test unit's compilation environment, that
cargo also sets when it runs the test: the package's CARGO_PKG_* and
CARGO_MANIFEST_*, CARGO, OUT_DIR and CARGO_TARGET_TMPDIR."
  (filter (match-lambda
            ((name . value)
             (and (or (member name '("CARGO" "CARGO_MANIFEST_DIR"
                                     "CARGO_MANIFEST_PATH" "OUT_DIR"
                                     "CARGO_TARGET_TMPDIR"))
                      (string-prefix? "CARGO_PKG_" name))
                  (not (string-contains value %unit-output-placeholder)))))
          env))

(define* (package-install-derivation store name source binaries
                                     #:key (tests '()) (doctests '())
                                     toolchain (host-directories '())
                                     install-source?
                                     (display-variables '())
                                     (system (%current-system)))
  "Return the derivation of the package NAME in the per-crate mode: the
programs of BINARIES, the derivations of its binary units, under bin/, and
with INSTALL-SOURCE? its SOURCE directory as the whole-package mode installs
it, once TESTS, a list of (DRV FILE DIRECTORY ENVIRONMENT DESCRIPTION) (a
test unit, its test binary, where it runs, the variables it runs with and how
errors name it) have passed, then DOCTESTS, alists (program, arguments,
environment, directory, scripts as (DRV WHAT LINKS), units and sources it
reads, description) of rustdoc's runs.  Tests see the TOOLCHAIN item and
HOST-DIRECTORIES (a toolchain outside the store): a proc-macro's test loads
its libstd.  DISPLAY-VARIABLES, variables for the front end (ferrixProfile,
ferrixRustc: doc/build.md), go to its environment."
  (build-script->derivation
   store name
   `((use-modules (ferrix build rust-unit))
     (rust-package-install
      #:name ,name #:source ,source
      #:binaries ',(map derivation->output-path binaries)
      #:tests ',(map (match-lambda
                       ((drv file directory environment description)
                        (list (string-append (derivation->output-path drv)
                                             "/" file)
                              directory environment description)))
                     tests)
      ,@(if (null? doctests)
            '()
            `(#:doctests ',(map doctest->build-side doctests)))
      #:install-source? ,install-source?
      #:outputs (list (cons "out" (getenv "out")))))
   #:system system
   #:inputs `((,source)
              ,@(map (lambda (dir) (list (store-item store dir)))
                     (delete-duplicates (map caddr tests)))
              ,@(map (cut list <> "out")
                     (append binaries (map car tests)))
              ,@(if (and (pair? tests) (null? doctests) toolchain)
                    `((,toolchain))     ;the doctests' inputs have it
                    '())
              ,@(doctest-inputs doctests))
   #:env-vars (append display-variables
                      (if (or (and (null? tests) (null? doctests))
                              (null? host-directories))
                          '()
                          `(("impureHostDeps"
                             . ,(string-join host-directories)))))))

(define (doctest->build-side doctest)
  "Return DOCTEST as 'rust-package-install' takes it: (PROGRAM ARGUMENTS
ENVIRONMENT DIRECTORY SCRIPTS DESCRIPTION), SCRIPTS as (ITEM WHAT LINKS)."
  (define (ref key) (assq-ref doctest key))
  (list (ref 'program) (ref 'arguments) (ref 'environment) (ref 'directory)
        (map (match-lambda
               ((drv what links)
                (list (derivation->output-path drv) what links)))
             (ref 'scripts))
        (ref 'description)))

(define (doctest-inputs doctests)
  "Return the derivation inputs that DOCTESTS read, once each: their sources,
then the outputs of their units and build script runs."
  (append (map list
               (delete-duplicates
                (append-map (cut assq-ref <> 'sources) doctests)))
          (map (cut list <> "out")
               (delete-duplicates
                (append-map (lambda (doctest)
                              (append (assq-ref doctest 'units)
                                      (map car (assq-ref doctest 'scripts))))
                            doctests)
                eq?))))

;;; cargo-units.scm ends here

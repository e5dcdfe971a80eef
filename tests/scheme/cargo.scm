;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of (ferrix build-system cargo) and (ferrix toolchain): crate URLs
;;; and names, Rust platforms, and lowering: every argument reaching the
;;; derivation, cross-compilation, the crate-name property, toolchains.  And
;;; of the build side, (ferrix build cargo-build-system): the cargo command
;;; lines and environment built from the script's arguments, #:locked?
;;; passed on by the phase loop, the typed primitives and their errors.
;;; Run from the source directory as:
;;;   GUILE_EXTENSIONS_PATH=build/guile \
;;;     guile -L modules -L build/modules --no-auto-compile tests/scheme/cargo.scm
;;; Needs the build-side directory (target ferrix-build-side).  Uses a store
;;; and fake Rust toolchains in a temporary directory; never the network.
;;; Exits non-zero when a test fails.

(use-modules (ferrix tests)
             (ferrix build-system cargo)
             (ferrix build-system cargo-units)
             (ferrix build-system)
             (ferrix packages)
             (ferrix discovery)
             (ferrix package-files)
             (ferrix download)
             (ferrix toolchain)
             (ferrix store)
             (ferrix derivations)
             ((ferrix build cargo-build-system) #:prefix build:)
             ((ferrix build utils)
              #:select (run-phases later-phase-arguments mkdir-p))
             (srfi srfi-1)
             (srfi srfi-11)
             (srfi srfi-34)
             (srfi srfi-35)
             (srfi srfi-64)
             (ice-9 ftw)
             (ice-9 match)
             (ice-9 popen)
             (ice-9 rdelim)
             ((ice-9 string-fun) #:select (string-replace-substring))
             ((ice-9 threads) #:select (current-processor-count)))



;;;
;;; Fixtures.
;;;

(define %test-directory
  (test-directory "cargo"))
(setenv "XDG_CACHE_HOME" (string-append %test-directory "/cache"))
(unsetenv "FERRIX_RUST")
(define %store-root (string-append %test-directory "/store"))
(define %store (open-store #:root %store-root))

(define (write-script file text)
  (call-with-output-file file (lambda (port) (display text port)))
  (chmod file #o755))

(define (make-fake-toolchain name version)
  "Create a toolchain directory NAME whose rustc and cargo print VERSION,
as a distribution's rustc 1.63 at /usr/bin or rustup's would."
  (let ((dir (string-append %test-directory "/" name)))
    (mkdir dir)
    (mkdir (string-append dir "/bin"))
    (write-script (string-append dir "/bin/rustc")
                  (format #f "#!/bin/sh
printf 'rustc ~a (fake)\\nbinary: rustc\\nrelease: ~a\\nhost: x86_64-unknown-linux-gnu\\n'
" version version))
    (write-script (string-append dir "/bin/cargo")
                  (format #f "#!/bin/sh\necho 'cargo ~a (fake)'\n" version))
    dir))

(define %rust-a (make-fake-toolchain "rust-a" "1.63.0"))
(define %rust-b (make-fake-toolchain "rust-b" "1.80.1"))
(set-rust-toolchain! %rust-a)

(define (store-file-contents file)
  (call-with-input-file (store-real-path %store file) read-string))

(define (read-all port)
  (let loop ((forms '()))
    (let ((form (read port)))
      (if (eof-object? form)
          (reverse forms)
          (loop (cons form forms))))))

(define (script-forms drv)
  "Return the forms of the build script of DRV."
  (match (derivation-builder-arguments drv)
    (("build-side" script)
     (call-with-input-file (store-real-path %store script) read-all))))

(define (build-arguments drv)
  "Return the keyword arguments of the cargo-build call of DRV's script as
an alist, quoted values unquoted."
  (match (last (script-forms drv))
    (('cargo-build arguments ...)
     (let loop ((arguments arguments) (result '()))
       (match arguments
         (() (reverse result))
         ((key ('quote value) rest ...)
          (loop rest (acons key value result)))
         ((key value rest ...)
          (loop rest (acons key value result))))))))

(define (argument drv key)
  (assq-ref (build-arguments drv) key))

(define (input-file drv label)
  (assoc-ref (argument drv #:inputs) label))

(define (env-ref drv name)
  (assoc-ref (derivation-builder-environment-vars drv) name))

(define (drv-file drv) (derivation-file-name drv))

(define hash (base32 "0ssi1wpaf7plaswqqjwigppsg5fyh99vdlb9kzl7c9lng89ndq1i"))

(define* (crate name version #:key (arguments '()) (properties '())
                (inputs '()) (native-inputs '()) (outputs '("out")))
  (package
    (name (crate-name->package-name name))
    (version version)
    (source (origin
              (method url-fetch)
              (uri (crate-uri name version))
              (file-name (string-append name "-" version ".tar.gz"))
              (sha256 hash)))
    (build-system cargo-build-system)
    (arguments arguments)
    (properties properties)
    (inputs inputs)
    (native-inputs native-inputs)
    (outputs outputs)))

(define rust-dep (crate "dep" "0.3.1"))
(define rust-foo (crate "foo" "1.2.3" #:inputs (list rust-dep)))


(test-begin "cargo")


;;;
;;; Crates.io names and URLs.
;;;

(test-equal "crate-uri: crates.io by default"
  "https://crates.io/api/v1/crates/serde_json/1.0.99/download"
  (crate-uri "serde_json" "1.0.99"))

(test-equal "crate-uri: %crate-base-url is read at call time"
  '("http://localhost:8080/api/v1/crates/foo/1.0.0/download"
    "https://crates.io/api/v1/crates/foo/1.0.0/download")
  (list (parameterize ((%crate-base-url "http://localhost:8080"))
          (crate-uri "foo" "1.0.0"))
        (crate-uri "foo" "1.0.0")))

(test-equal "crate-name->package-name"
  '("rust-foo-bar" "rust-serde-json" "rust-syn" "rust-fnv")
  (map crate-name->package-name '("foo_bar" "serde_json" "syn" "FNV")))


;;;
;;; Platforms.
;;;

(define %platform-table
  ;; SYSTEM-OR-TRIPLET -> RUST TARGET, every row Guix knows.
  '(("x86_64-linux"          . "x86_64-unknown-linux-gnu")
    ("x86_64-linux-gnu"      . "x86_64-unknown-linux-gnu")
    ("i686-linux"            . "i686-unknown-linux-gnu")
    ("i686-linux-gnu"        . "i686-unknown-linux-gnu")
    ("armhf-linux"           . "armv7-unknown-linux-gnueabihf")
    ("arm-linux-gnueabihf"   . "armv7-unknown-linux-gnueabihf")
    ("aarch64-linux"         . "aarch64-unknown-linux-gnu")
    ("aarch64-linux-gnu"     . "aarch64-unknown-linux-gnu")
    ("mips64el-linux"        . "mips64el-unknown-linux-gnuabi64")
    ("mips64el-linux-gnu"    . "mips64el-unknown-linux-gnuabi64")
    ("powerpc-linux"         . "powerpc-unknown-linux-gnu")
    ("powerpc-linux-gnu"     . "powerpc-unknown-linux-gnu")
    ("powerpc64le-linux"     . "powerpc64le-unknown-linux-gnu")
    ("powerpc64le-linux-gnu" . "powerpc64le-unknown-linux-gnu")
    ("riscv64-linux"         . "riscv64gc-unknown-linux-gnu")
    ("riscv64-linux-gnu"     . "riscv64gc-unknown-linux-gnu")
    ("i586-gnu"              . "i686-unknown-hurd-gnu")
    ("i586-pc-gnu"           . "i686-unknown-hurd-gnu")
    ("x86_64-gnu"            . "x86_64-unknown-hurd-gnu")
    ("x86_64-pc-gnu"         . "x86_64-unknown-hurd-gnu")
    ("powerpc64-linux-gnu"   . "powerpc64-unknown-linux-gnu")
    ("loongarch64-linux-gnu" . "loongarch64-unknown-linux-gnu")
    ("x86_64-linux-gnux32"   . "x86_64-unknown-linux-gnux32")
    ("i686-w64-mingw32"      . "i686-pc-windows-gnu")
    ("x86_64-w64-mingw32"    . "x86_64-pc-windows-gnu")
    ;; Other spellings.
    ("x86_64-pc-linux-gnu"   . "x86_64-unknown-linux-gnu")
    ("aarch64-unknown-linux-gnu" . "aarch64-unknown-linux-gnu")))

(for-each (match-lambda
            ((system . rust)
             (test-equal (string-append "system->rust-platform: " system)
               rust (system->rust-platform system))))
          %platform-table)

(test-assert "system->rust-platform: every supported system has a target"
  (every (lambda (system) (string? (system->rust-platform system)))
         %supported-systems))

(test-equal "system->rust-platform: unknown system, a clear error naming it"
  '(#t "sparc-solaris" #t)
  (guard (c ((unknown-system-error? c)
             (list (message-condition? c)
                   (unknown-system-error-system c)
                   (and (string-contains (condition-message c)
                                         "unknown system \"sparc-solaris\"")
                        (string-contains (condition-message c)
                                         "x86_64-linux")
                        #t))))
    (system->rust-platform "sparc-solaris")))

(test-assert "system->rust-platform: a non-string is an error too"
  (guard (c ((unknown-system-error? c) #t))
    (system->rust-platform #f)))


;;;
;;; Lowering.
;;;

(define foo-drv (package-derivation %store rust-foo))

(test-assert "lower: host inputs are the source and inputs, build inputs the toolchain"
  (let ((bag (package->bag rust-foo)))
    (match (list (bag-host-inputs bag) (bag-build-inputs bag))
      (((("source" (? origin?)) ("rust-dep" (? package? dep)))
        (("rust" (? rust-toolchain? tc))))
       (and (eq? dep rust-dep)
            (string=? %rust-a (rust-toolchain-directory tc))))
      (x (format #t "unexpected: ~s~%" x) #f))))

(test-assert "lower: private keywords are stripped from the bag's arguments"
  (let ((bag (package->bag (crate "x" "1.0"
                                  #:arguments `(#:rust ,%rust-b
                                                #:cargo-inputs ()
                                                #:tests? #f)))))
    (equal? '(#:crate-name "x" #:tests? #f) (bag-arguments bag))))

(test-equal "lower: the package's own #:crate-name wins over its name's"
  '(#:crate-name "my_crate" #:tests? #f)
  (bag-arguments (package->bag (crate "x" "1.0"
                                      #:arguments '(#:tests? #f
                                                    #:crate-name "my_crate")))))

(test-equal "derivation: name, builder convention, system"
  '("rust-foo-1.2.3" "build-side" "x86_64-linux")
  (list (derivation-name foo-drv)
        (car (derivation-builder-arguments foo-drv))
        (derivation-system foo-drv)))

(test-assert "derivation: the builder is the build-side item's launcher"
  (let ((item (build-side-item %store)))
    (and (string=? (string-append item "/bin/ferrix")
                   (derivation-builder foo-drv))
         (member item (derivation-sources foo-drv)))))

(test-equal "script: loads the build-side modules, then calls cargo-build"
  '((use-modules (ferrix build cargo-build-system) (ferrix build utils))
    cargo-build)
  (match (script-forms foo-drv)
    ((use (call . _)) (list use call))))

(test-equal "script: defaults of every argument"
  `((#:name . "rust-foo-1.2.3")
    (#:system . "x86_64-linux")
    (#:target . #f)
    (#:cargo-target . "x86_64-unknown-linux-gnu")
    (#:crate-name . "foo")
    (#:native-inputs . ())
    (#:tests? . #t)
    (#:test-target . #f)
    (#:cargo-build-flags . ("--release"))
    (#:cargo-test-flags . ("--release"))
    (#:features . ())
    (#:skip-build? . #f)
    (#:install-source? . #t)
    (#:vendor-dir . "ferrix-vendor")
    (#:rustflags . ("-C" "link-arg=-Wl,-z,relro"))
    (#:parallel-build? . #t)
    (#:parallel-tests? . #t)
    (#:sys-crates . ())
    (#:max-unpacked-size . #f)
    (#:max-unpacked-entries . #f)
    (#:max-compression-ratio . #f)
    (#:phases . %standard-phases))
  (filter (lambda (pair)
            (not (memq (car pair) '(#:source #:inputs #:outputs))))
          (build-arguments foo-drv)))

(test-assert "script: source, inputs and outputs"
  (let* ((source (origin->derivation %store (package-source rust-foo)))
         (dep (package-derivation %store rust-dep))
         (arguments (build-arguments foo-drv)))
    (and (string=? (derivation->output-path source)
                   (assq-ref arguments #:source))
         (equal? `(("rust" . ,(lower-object %store (host-rust-toolchain %rust-a)))
                   ("source" . ,(derivation->output-path source))
                   ("rust-dep" . ,(derivation->output-path dep)))
                 (assq-ref arguments #:inputs))
         (equal? '(map (lambda (output) (cons output (getenv output)))
                       '("out"))
                 (assq-ref arguments #:outputs)))))

(test-assert "derivation: inputs are the input derivations and store items"
  (let ((inputs (map derivation-input-path (derivation-inputs foo-drv))))
    (and (lset= string=?
                (list (drv-file (origin->derivation %store
                                                    (package-source rust-foo)))
                      (drv-file (package-derivation %store rust-dep)))
                inputs)
         (member (lower-object %store (host-rust-toolchain %rust-a))
                 (derivation-sources foo-drv))
         (member (cadr (derivation-builder-arguments foo-drv))
                 (derivation-sources foo-drv)))))

(define every-argument
  (crate "bar" "0.1.0"
         #:outputs '("out" "doc")
         #:arguments
         `(#:tests? #f
           #:test-target "integration"
           #:cargo-build-flags '("--release" "--locked")
           #:cargo-test-flags ("--release" "--" "--skip" "slow")
           #:features '("serde" "std")
           #:skip-build? #t
           #:install-source? #f
           #:vendor-dir "vendor"
           #:rustflags '("-C" "target-cpu=generic")
           #:parallel-build? #f
           #:parallel-tests? #f
           #:modules ((ice-9 match))
           #:phases (modify-phases %standard-phases
                      (add-after 'unpack 'hello
                        (lambda _ (display "hello\n")))
                      (delete 'check)))))

(define every-drv (package-derivation %store every-argument))

(test-equal "script: every argument reaches the derivation"
  `((#:tests? . #f)
    (#:test-target . "integration")
    (#:cargo-build-flags . ("--release" "--locked"))
    (#:cargo-test-flags . ("--release" "--" "--skip" "slow"))
    (#:features . ("serde" "std"))
    (#:skip-build? . #t)
    (#:install-source? . #f)
    (#:vendor-dir . "vendor")
    (#:rustflags . ("-C" "link-arg=-Wl,-z,relro" "-C" "target-cpu=generic"))
    (#:parallel-build? . #f)
    (#:parallel-tests? . #f)
    (#:phases . (modify-phases %standard-phases
                  (add-after 'unpack 'hello
                    (lambda _ (display "hello\n")))
                  (delete 'check))))
  (map (lambda (key) (cons key (argument every-drv key)))
       '(#:tests? #:test-target #:cargo-build-flags #:cargo-test-flags
         #:features #:skip-build? #:install-source? #:vendor-dir
         #:rustflags #:parallel-build? #:parallel-tests? #:phases)))

(test-equal "script: #:modules are used, #:outputs are the derivation's"
  '((use-modules (ferrix build cargo-build-system) (ferrix build utils)
                 (ice-9 match))
    ("doc" "out")
    (map (lambda (output) (cons output (getenv output))) '("out" "doc")))
  (list (first (script-forms every-drv))
        (derivation-output-names every-drv)
        (argument every-drv #:outputs)))

(test-assert "arguments: each one changes the derivation"
  (let ((base (drv-file (package-derivation %store (crate "baz" "1.0")))))
    (every (lambda (arguments)
             (not (string=? base
                            (drv-file (package-derivation
                                       %store
                                       (crate "baz" "1.0"
                                              #:arguments arguments))))))
           `((#:tests? #f) (#:test-target "t") (#:cargo-build-flags ())
             (#:cargo-test-flags ()) (#:features ("f")) (#:skip-build? #t)
             (#:install-source? #f) (#:vendor-dir "v") (#:rustflags ("-g"))
             (#:parallel-build? #f) (#:parallel-tests? #f)
             (#:sys-crates (("a-sys" "A_SYS_USE_PKG_CONFIG" "1")))
             (#:modules ((srfi srfi-26)))
             (#:phases (modify-phases %standard-phases (delete 'check)))))))

(test-equal "arguments: #:test-target may list several targets"
  '("lib" "integration")
  (argument (package-derivation
             %store (crate "baz" "1.0"
                           #:arguments '(#:test-target ("lib" "integration"))))
            #:test-target))

(test-equal "#:rustflags: merged after %default-rustflags"
  '("-C" "opt-level=2" "-g")
  (parameterize ((%default-rustflags '("-C" "opt-level=2")))
    (argument (package-derivation
               %store (crate "flags" "1.0" #:arguments '(#:rustflags ("-g"))))
              #:rustflags)))

(test-assert "arguments: an unknown keyword is an error naming the package"
  (guard (c ((message-condition? c)
             (and (string-contains (condition-message c) "rust-oops-1.0")
                  (string-contains (condition-message c) "#:no-such-thing"))))
    (package-derivation %store (crate "oops" "1.0"
                                      #:arguments '(#:no-such-thing #t)))
    #f))

(test-assert "arguments: a value of the wrong type is an error"
  (guard (c ((message-condition? c)
             (string-contains (condition-message c) "#:cargo-build-flags")))
    (package-derivation %store (crate "oops2" "1.0"
                                      #:arguments '(#:cargo-build-flags "-j1")))
    #f))

(define (argument-error-of thunk)
  "Call THUNK; return the keyword, value and message of the
&build-system-argument-error it raises, as a list, or #f."
  (guard (c ((build-system-argument-error? c)
             (list (build-system-argument-error-keyword c)
                   (build-system-argument-error-value c)
                   (condition-message c))))
    (thunk)
    #f))

(test-equal "arguments: #:phases must be code, not a constant"
  '(#:phases 5 "rust-phases-1.0: cargo-build-system argument #:phases: \
expected build-side code for the phases, such as %standard-phases or \
(modify-phases %standard-phases ...), got 5")
  (argument-error-of
   (lambda ()
     (package-derivation %store (crate "phases" "1.0"
                                       #:arguments '(#:phases 5))))))

(test-assert "toolchains: the whole-package mode refuses one without cargo"
  ;; A toolchain of rustc alone (as when bootstrapping cargo) has no
  ;; bin/cargo in its item: whole-package lowering says so.
  (let* ((rustc-only (rust-toolchain-without-cargo %rust-a))
         (error (argument-error-of
                 (lambda ()
                   (package-derivation
                    %store (crate "nocargo" "1.0"
                                  #:arguments `(#:rust ,rustc-only)))))))
    (match error
      ((#:rust item message)
       (and (string-suffix? "-rust-toolchain-1.63.0" item)
            (not (file-exists? (store-real-path
                                %store (string-append item "/bin/cargo"))))
            (string-contains message "rust-nocargo-1.0: the whole-package \
mode runs cargo, but the Rust toolchain")
            (string-contains message "--per-crate")))
      (_ #f))))

(test-equal "arguments: an unpacking limit must be #f or a non-negative integer"
  '(#:max-unpacked-size -1 "rust-limit-1.0: cargo-build-system argument \
#:max-unpacked-size: expected #f or a non-negative integer, got -1")
  (argument-error-of
   (lambda ()
     (package-derivation %store (crate "limit" "1.0"
                                       #:arguments '(#:max-unpacked-size -1))))))

(test-assert "arguments: an unpacking limit reaches the build side"
  (member '(#:max-unpacked-entries . 10)
          (build-arguments
           (package-derivation %store
                               (crate "limit" "1.0"
                                      #:arguments '(#:max-unpacked-entries 10))))))

(test-equal "arguments: #:phases may be a variable, an expression or quoted"
  '(#f #f #f)
  (map (lambda (phases)
         (argument-error-of
          (lambda ()
            (package-derivation %store (crate "phases-ok" "1.0"
                                              #:arguments
                                              `(#:phases ,phases))))))
       '(%standard-phases
         (modify-phases %standard-phases (delete 'check))
         '())))

(test-equal "arguments: each kind of value is checked, naming the keyword"
  '(#:tests? #:cargo-test-flags #:features #:vendor-dir #:test-target
    #:modules #:cargo-inputs #:cargo-development-inputs #:crate-name
    #:sys-crates #:sys-crates)
  (map (lambda (arguments)
         (match (argument-error-of
                 (lambda ()
                   (package-derivation %store (crate "kinds" "1.0"
                                                     #:arguments arguments))))
           ((keyword . _) keyword)
           (#f #f)))
       '((#:tests? "yes")
         (#:cargo-test-flags ("--release" 1))
         (#:features (std))
         (#:vendor-dir #f)
         (#:test-target 5)
         (#:modules (ice-9 match))
         (#:cargo-inputs 5)
         (#:cargo-development-inputs (5))
         (#:crate-name foo)
         (#:sys-crates (("a-sys" "A")))
         (#:sys-crates (("a-sys" "A" "1" ("a" "a" "liba-dev")))))))

(test-assert "#:cargo-inputs and #:cargo-development-inputs: their source closure is vendored"
  (let* ((leaf (crate "leaf" "1.0.0"))
         (mid (crate "mid" "2.0.0" #:arguments `(#:cargo-inputs (("rust-leaf" ,leaf)))))
         (dev (crate "dev" "0.1.0" #:arguments `(#:cargo-inputs (("rust-leaf" ,leaf)))))
         (top (crate "top" "1.0.0"
                     #:arguments `(#:cargo-inputs (("rust-mid" ,mid))
                                   #:cargo-development-inputs (("rust-dev" ,dev)))))
         (drv (package-derivation %store top))
         (inputs (argument drv #:inputs))
         (source (lambda (p)
                   (derivation->output-path
                    (origin->derivation %store (package-source p))))))
    (and (equal? (list (source mid) (source dev) (source leaf))
                 (map (lambda (label) (assoc-ref inputs label))
                      '("rust-mid-2.0.0" "rust-dev-0.1.0" "rust-leaf-1.0.0")))
         (= 1 (count (lambda (pair) (string=? "rust-leaf-1.0.0" (car pair)))
                     inputs))
         ;; Sources, not packages: no derivation of mid is an input.
         (not (member (drv-file (package-derivation %store mid))
                      (map derivation-input-path (derivation-inputs drv)))))))

(test-equal "crate-name property: the crate's real name reaches the build side"
  '("foo_bar" "foo-bar")
  (list (argument (package-derivation
                   %store (crate "foo_bar" "1.0"
                                 #:properties '((crate-name . "foo_bar"))))
                  #:crate-name)
        (argument (package-derivation %store (crate "foo-bar" "1.0"))
                  #:crate-name)))


;;;
;;; Cross-compilation.
;;;

(define cross-drv
  (package-cross-derivation %store
                            (crate "foo" "1.2.3"
                                   #:inputs (list rust-dep)
                                   #:native-inputs (list (crate "tool" "1.0")))
                            "aarch64-linux-gnu"))

(test-equal "cross: the target and its Rust triple reach the build side"
  '("aarch64-linux-gnu" "aarch64-unknown-linux-gnu" "x86_64-linux")
  (list (argument cross-drv #:target)
        (argument cross-drv #:cargo-target)
        (argument cross-drv #:system)))

(test-assert "cross: build inputs are native, host inputs cross-built"
  (and (equal? (list "rust" "rust-tool")
               (map car (argument cross-drv #:native-inputs)))
       (string=? (input-file cross-drv "rust-dep")
                 (derivation->output-path
                  (package-cross-derivation %store rust-dep
                                            "aarch64-linux-gnu")))
       (string=? (assoc-ref (argument cross-drv #:native-inputs) "rust-tool")
                 (derivation->output-path
                  (package-derivation %store (crate "tool" "1.0"))))))

(test-assert "cross: Guix system names and mingw triplets are accepted"
  (every (lambda (target)
           (derivation? (package-cross-derivation %store rust-dep target)))
         '("riscv64-linux" "x86_64-w64-mingw32" "i686-w64-mingw32"
           "powerpc64-linux-gnu")))

(test-assert "cross: an unknown target is an error naming it"
  (guard (c ((unknown-system-error? c)
             (string=? "vax-bsd" (unknown-system-error-system c))))
    (package-cross-derivation %store rust-dep "vax-bsd")
    #f))

(test-assert "native: an unknown system is an error naming it"
  (guard (c ((unknown-system-error? c)
             (string-contains (condition-message c) "pdp11-unix")))
    (package-derivation %store rust-dep "pdp11-unix")
    #f))


;;;
;;; Toolchains.
;;;

(define (toolchain-of drv)
  (input-file drv "rust"))

(test-assert "toolchain item: versions, hashes and links to the real binaries"
  (let* ((item (toolchain-of foo-drv))
         (file (lambda (name)
                 (store-real-path %store (string-append item "/" name)))))
    (and (string-suffix? "-rust-toolchain-1.63.0" item)
         (string-contains (call-with-input-file (file "rustc-vV") read-string)
                          "release: 1.63.0")
         (string=? "cargo 1.63.0 (fake)\n"
                   (call-with-input-file (file "cargo-V") read-string))
         (string=? (string-append %rust-a "/bin/rustc")
                   (readlink (file "bin/rustc")))
         (string=? (string-append %rust-a "/bin/cargo")
                   (readlink (file "bin/cargo")))
         (string-contains (call-with-input-file (file "sha256sums") read-string)
                          (string-append "  " %rust-a "/bin/cargo\n")))))

(test-assert "toolchain: another compiler gives another .drv"
  (let ((b (parameterize ((%rust-toolchain %rust-b))
             (package-derivation %store (crate "foo" "1.2.3")))))
    (and (string-suffix? "-rust-toolchain-1.80.1" (toolchain-of b))
         (not (string=? (drv-file b)
                        (drv-file (package-derivation
                                   %store (crate "foo" "1.2.3"))))))))

(test-assert "toolchain: the same version rebuilt gives another .drv"
  (let* ((c (make-fake-toolchain "rust-c" "1.63.0"))
         (_ (call-with-output-file (string-append c "/bin/cargo")
              (lambda (port)
                (display "#!/bin/sh\necho 'cargo 1.63.0 (fake)'\n# rebuilt\n"
                         port))))
         (drv (parameterize ((%rust-toolchain c))
                (package-derivation %store (crate "foo" "1.2.3")))))
    (and (string-suffix? "-rust-toolchain-1.63.0" (toolchain-of drv))
         (not (string=? (toolchain-of drv) (toolchain-of foo-drv))))))

(test-assert "toolchain: #:rust wins over every other setting"
  (let ((drv (parameterize ((%rust-toolchain %rust-a))
               (package-derivation
                %store (crate "foo" "1.2.3"
                              #:arguments `(#:rust ,(host-rust-toolchain
                                                     %rust-b)))))))
    (string-suffix? "-rust-toolchain-1.80.1" (toolchain-of drv))))

(test-assert "toolchain: #:rust may be a directory name"
  (string-suffix? "-rust-toolchain-1.80.1"
                  (toolchain-of (package-derivation
                                 %store (crate "foo" "1.2.3"
                                               #:arguments `(#:rust ,%rust-b))))))

(test-assert "toolchain: a bin directory or the rustc binary itself are accepted"
  (let ((item (lower-object %store (host-rust-toolchain %rust-b))))
    (every (lambda (dir)
             (string=? item (lower-object %store (host-rust-toolchain dir))))
           (list (string-append %rust-b "/bin")
                 (string-append %rust-b "/bin/rustc")))))

(test-assert "toolchain: a directory without rustc is an error naming it"
  (catch #t
    (lambda ()
      (lower-object %store (host-rust-toolchain %test-directory))
      #f)
    (lambda (key . args)
      (string-contains (object->string args) %test-directory))))

(define project (string-append %test-directory "/project"))
(mkdir project)
(call-with-output-file (string-append project "/rust-toolchain.toml")
  (lambda (port)
    (format port "# pinned for this project
[toolchain]
channel = \"1.80.1\"   # ignored: path wins
path = ~s
" %rust-b)))

(test-equal "toolchain: selection order"
  '("1.63.0" "1.80.1" "1.63.0" "1.80.1" "1.63.0")
  (let ((release (lambda ()
                   (rust-toolchain-release (default-rust-toolchain)))))
    (set-rust-toolchain! #f)
    (dynamic-wind
      (const #t)
      (lambda ()
        (list
         ;; FERRIX_RUST, one setting for every package.
         (begin (setenv "FERRIX_RUST" %rust-a) (release))
         ;; --with-rust (set-rust-toolchain!) wins over FERRIX_RUST.
         (begin (set-rust-toolchain! %rust-b) (release))
         ;; %rust-toolchain, parameterized, wins over both.
         (parameterize ((%rust-toolchain %rust-a)) (release))
         ;; The project's rust-toolchain.toml, when nothing else is set.
         (begin (set-rust-toolchain! #f) (unsetenv "FERRIX_RUST")
                (parameterize ((%project-directory project)) (release)))
         ;; FERRIX_RUST wins over the project's pin.
         (begin (setenv "FERRIX_RUST" %rust-a)
                (parameterize ((%project-directory project)) (release)))))
      (lambda ()
        (unsetenv "FERRIX_RUST")
        (set-rust-toolchain! %rust-a)))))

(test-equal "rust-toolchain-pin: [toolchain] path, relative to the file"
  (list %rust-b (string-append project "/../rust-a") #f)
  (let ((other (string-append %test-directory "/other-project")))
    (mkdir other)
    (call-with-output-file (string-append other "/rust-toolchain.toml")
      (lambda (port)
        (display "[toolchain]\npath = '../rust-a'\n" port)))
    (list (rust-toolchain-pin project)
          (let ((pin (rust-toolchain-pin other)))
            (and pin (string-append project "/../rust-a")))
          (rust-toolchain-pin %test-directory))))

(test-assert "toolchain: the one on PATH by default"
  (let ((path (getenv "PATH")))
    (set-rust-toolchain! #f)
    (dynamic-wind
      (const #t)
      (lambda ()
        (setenv "PATH" (string-append %rust-b "/bin:" path))
        (and (not (rust-toolchain-directory (default-rust-toolchain)))
             (string=? "1.80.1"
                       (rust-toolchain-release (host-rust-toolchain)))))
      (lambda ()
        (setenv "PATH" path)
        (set-rust-toolchain! %rust-a)))))

(test-assert "toolchain: versions and hashes are cached by file metadata"
  (let ((cache (string-append %test-directory "/cache/ferrix/stamps")))
    (any (lambda (entry)
           (string-contains (call-with-input-file
                                (string-append cache "/" entry)
                              read-string)
                            (string-append %rust-a "/bin/rustc")))
         (or (scandir cache (lambda (name) (not (string-prefix? "." name))))
             '()))))


;;;
;;; Determinism, and the example.
;;;

(define definition-file (string-append %test-directory "/definition.scm"))
(call-with-output-file definition-file
  (lambda (port)
    (display "(use-modules (ferrix packages) (ferrix build-system cargo))
(package
  (name \"rust-det\")
  (version \"0.1.0\")
  (source (origin (method url-fetch) (uri (crate-uri \"det\" version))
                  (file-name \"det-0.1.0.tar.gz\")
                  (sha256 (base32 \"0ssi1wpaf7plaswqqjwigppsg5fyh99vdlb9kzl7c9lng89ndq1i\"))))
  (build-system cargo-build-system)
  (arguments `(#:features '(\"a\") #:phases (modify-phases %standard-phases (delete 'check)))))
" port)))

(define (derivation-in-new-process file)
  "Return the .drv file name of the package FILE evaluates to, computed by
another guile process with the same load paths and store."
  (let* ((load-options
          ;; This process's load paths, source and compiled.
          (append (append-map (lambda (dir) (list "-L" dir)) %load-path)
                  (append-map (lambda (dir) (list "-C" dir))
                              %load-compiled-path)))
         (expression
          (format #f "(begin
  (use-modules (ferrix packages) (ferrix package-files) (ferrix store)
               (ferrix derivations) (ferrix toolchain))
  (set-rust-toolchain! ~s)
  (let ((store (open-store #:root ~s)))
    (display (derivation-file-name
              (package-derivation store (load-package-file ~s))))))"
                  %rust-a %store-root file))
         (port (apply open-pipe* OPEN_READ (or (getenv "GUILE") "guile")
                      "--no-auto-compile"
                      (append load-options (list "-c" expression))))
         (output (read-string port)))
    (close-pipe port)
    output))

(test-equal "determinism: the same definition, the same .drv in another process"
  (drv-file (package-derivation %store (load-package-file definition-file)))
  (derivation-in-new-process definition-file))

(define hello-file
  (let ((file (search-path (list (string-append (dirname (current-filename))
                                                "/../../examples"))
                           "hello.scm")))
    file))

(test-assert "examples/hello.scm: its package lowers to a derivation"
  (let* ((hello (load-package-file hello-file))
         (drv (package-derivation %store hello))
         (source (argument drv #:source)))
    (and (package? hello)
         (string=? "hello" (package-name hello))
         (string=? "hello-0.1.0" (derivation-name drv))
         (string-suffix? "-hello" source)
         (file-exists? (store-real-path %store
                                        (string-append source "/Cargo.toml")))
         (file-exists? (store-real-path %store
                                        (string-append source "/src/main.rs")))
         (not (file-exists? (store-real-path %store
                                             (string-append source "/target"))))
         (equal? #f (argument drv #:install-source?))
         (string=? "hello" (argument drv #:crate-name)))))

(test-equal "examples/hello.scm: the same .drv in another process"
  (drv-file (package-derivation %store (load-package-file hello-file)))
  (derivation-in-new-process hello-file))

(test-assert "examples/hello.scm: with the Rust toolchain on PATH, if any"
  (let ((rustc (search-path (parse-path (getenv "PATH")) "rustc")))
    (or (not rustc)
        (begin
          (set-rust-toolchain! #f)
          (dynamic-wind
            (const #t)
            (lambda ()
              (let* ((drv (package-derivation
                           %store (package (inherit (load-package-file hello-file)))))
                     (item (toolchain-of drv)))
                (and (string-contains item "-rust-toolchain-")
                     (file-exists?
                      (store-real-path %store (string-append item "/bin/cargo"))))))
            (lambda () (set-rust-toolchain! %rust-a)))))))

(test-assert "examples/packages.scm: word-count vendors its crates' sources"
  ;; Needs Debian's librust-memchr-dev and librust-itoa-dev.
  (or (not (file-exists? "/usr/share/cargo/registry/memchr-2.5.0"))
      (not (file-exists? "/usr/share/cargo/registry/itoa-1.0.1"))
      (let* ((file (string-append (dirname hello-file) "/packages.scm"))
             (word-count (load-package-file file))
             (drv (package-derivation %store word-count))
             (memchr (specification->package "rust-memchr")))
        (and (string=? "word-count" (package-name word-count))
             (string=? (input-file drv "rust-memchr-2.5.0")
                       (lower-object %store (package-source memchr)))
             (input-file drv "rust-itoa-1.0.1")
             (equal? #t (argument (package-derivation %store memchr)
                                  #:skip-build?))
             (string=? "lazy_static"
                       (argument (package-derivation
                                  %store
                                  (specification->package "rust-lazy-static"))
                                 #:crate-name))))))



;;;
;;; The build side: command lines and environment, in Scheme.
;;;

(define (script-arguments drv)
  "Return the keyword arguments of DRV's cargo-build call as a keyword list
of values, as the phases receive them (#:outputs and #:phases aside)."
  (append-map (match-lambda
                ((key . value) (list key value)))
              (remove (match-lambda
                        ((key . _) (memq key '(#:outputs #:phases))))
                      (build-arguments drv))))

(test-equal "cargo-build-command: the host side's defaults, not locked"
  '("cargo" "build" "--offline" "--release")
  (apply build:cargo-build-command (script-arguments foo-drv)))

(test-equal "cargo-build-command: --locked, flags, then features"
  '("cargo" "build" "--offline" "--locked" "--release" "--locked"
    "--features" "serde,std")
  (apply build:cargo-build-command #:locked? #t
         (script-arguments every-drv)))

(test-equal "cargo-test-command: the host side's defaults"
  '("cargo" "test" "--offline" "--locked" "--release")
  (apply build:cargo-test-command #:locked? #t (script-arguments foo-drv)))

(test-equal "cargo-test-command: flags, features, test target, one thread"
  '("cargo" "test" "--offline" "--release" "--" "--skip" "slow"
    "--features" "serde,std" "--test" "integration"
    "--" "--test-threads=1")
  (apply build:cargo-test-command (script-arguments every-drv)))

(test-equal "test-target-flags: kinds of targets, named targets, integration tests"
  '(() ("--lib") ("--test" "integration")
    ("--lib" "--bins" "--tests" "--benches" "--examples"
     "--all-targets" "--bin" "tool" "--test" "it" "--example" "demo"
     "--bench" "speed" "--test" "other"))
  (map build:test-target-flags
       '(#f "lib" "integration"
         ("lib" "bins" "tests" "benches" "examples" "doc" "all-targets"
          "bin:tool" "test:it" "example:demo" "bench:speed" "other"))))

(test-equal "cargo-test-commands: \"doc\" by a cargo test --doc of its own, after"
  '((("cargo" "test" "--offline" "--locked" "--lib" "--test" "map"
      "--test" "stream")
     ("cargo" "test" "--offline" "--locked" "--doc"))
    (("cargo" "test" "--offline" "--doc" "--" "--test-threads=1"))
    (("cargo" "test" "--offline" "--release" "--features" "std"))
    (("cargo" "test" "--offline" "--all-targets")
     ("cargo" "test" "--offline" "--doc")))
  (list (build:cargo-test-commands #:locked? #t #:cargo-test-flags '()
                                   #:features '()
                                   #:test-target '("lib" "map" "doc" "stream")
                                   #:parallel-tests? #t)
        (build:cargo-test-commands #:cargo-test-flags '() #:features '()
                                   #:test-target "doc"
                                   #:parallel-tests? #f)
        (build:cargo-test-commands #:cargo-test-flags '("--release")
                                   #:features '("std")
                                   #:test-target #f #:parallel-tests? #t)
        (build:cargo-test-commands #:cargo-test-flags '() #:features '()
                                   #:test-target '("all-targets" "doc")
                                   #:parallel-tests? #t)))

(test-equal "cargo-install-command: path, root, --locked, features"
  '(("cargo" "install" "--offline" "--no-track" "--locked" "--path" "."
     "--root" "/out" "--features" "a,b")
    ("cargo" "install" "--offline" "--no-track" "--path" "cli"
     "--root" "/out"))
  (list (build:cargo-install-command "." "/out" #:locked? #t
                                     #:features '("a" "b"))
        (build:cargo-install-command "cli" "/out" #:features '())))

(define (with-environment variables thunk)
  "Call THUNK with VARIABLES, an alist (#f values unset), set, then restore
the previous values."
  (let ((saved (map (match-lambda ((name . _) (cons name (getenv name))))
                    variables)))
    (define (set-all! alist)
      (for-each (match-lambda
                  ((name . #f) (unsetenv name))
                  ((name . value) (setenv name value)))
                alist))
    (dynamic-wind (lambda () (set-all! variables))
                  thunk
                  (lambda () (set-all! saved)))))

(define* (environment #:key (cross? #f) (parallel-build? #t)
                      (directories '()) (rustflags '("-C" "debuginfo=0")))
  (build:cargo-environment #:build-directory "/b" #:cargo-home "/b/.cargo"
                           #:cargo-target "aarch64-unknown-linux-gnu"
                           #:cross? cross? #:rustflags rustflags
                           #:parallel-build? parallel-build?
                           #:directories directories))

(test-equal "cargo-environment: native, in order"
  `(("CARGO_HOME" . "/b/.cargo")
    ("CARGO_TARGET_DIR" . "/b/target")
    ("CARGO_BUILD_JOBS" . "3")
    ("CARGO_NET_OFFLINE" . "true")
    ("CARGO_INCREMENTAL" . "0")
    ("CARGO_TERM_COLOR" . "never")
    ("CARGO_ENCODED_RUSTFLAGS"
     . "--remap-path-prefix=/b=/ferrix-build\x1f-C\x1fdebuginfo=0")
    ("PKG_CONFIG_PATH" . "")
    ,@build:%sys-crate-switches)
  (with-environment '(("FERRIX_BUILD_CORES" . "3") ("PKG_CONFIG_PATH" . #f)
                      ("RUSTDOC" . #f))
    environment))

(test-equal "cargo-environment: cross, cargo's target and pkg-config allowed"
  '(("CARGO_BUILD_TARGET" . "aarch64-unknown-linux-gnu")
    ("PKG_CONFIG_ALLOW_CROSS" . "1"))
  (with-environment '(("RUSTDOC" . #f))
    (lambda ()
      (filter (match-lambda
                ((name . _) (member name '("CARGO_BUILD_TARGET"
                                           "PKG_CONFIG_ALLOW_CROSS"))))
              (environment #:cross? #t)))))

(test-equal "cargo-environment: no cargo target unless cross"
  #f
  (assoc-ref (environment) "CARGO_BUILD_TARGET"))

(test-equal "cargo-environment: jobs from -c, all processors for 0, one without #:parallel-build?"
  (list "5" "4" (number->string (current-processor-count)) "1")
  (map (match-lambda
         ((variables parallel?)
          (with-environment variables
            (lambda ()
              (assoc-ref (environment #:parallel-build? parallel?)
                         "CARGO_BUILD_JOBS")))))
       '(((("FERRIX_BUILD_CORES" . "5") ("NIX_BUILD_CORES" . "4")) #t)
         ((("FERRIX_BUILD_CORES" . #f) ("NIX_BUILD_CORES" . "4")) #t)
         ((("FERRIX_BUILD_CORES" . "0") ("NIX_BUILD_CORES" . "4")) #t)
         ((("FERRIX_BUILD_CORES" . "5")) #f))))

(define %inputs-directory (string-append %test-directory "/build-side"))
(define %toolchain-real (string-append %inputs-directory "/real"))
(define %toolchain-item (string-append %inputs-directory "/item"))
(define %pc-input (string-append %inputs-directory "/zlib"))
(mkdir-p (string-append %toolchain-real "/bin"))
(mkdir-p (string-append %toolchain-item "/bin"))
(mkdir-p (string-append %pc-input "/lib/pkgconfig"))
(mkdir-p (string-append %pc-input "/share/pkgconfig"))
(for-each (lambda (program)
            (write-script (string-append %toolchain-real "/bin/" program)
                          "#!/bin/sh\n"))
          '("rustc" "rustdoc"))
(symlink (string-append %toolchain-real "/bin/rustc")
         (string-append %toolchain-item "/bin/rustc"))

(test-equal "cargo-environment: pkg-config directories of the inputs, then PKG_CONFIG_PATH; rustdoc next to the real rustc"
  (list (string-append %pc-input "/lib/pkgconfig:" %pc-input
                       "/share/pkgconfig:/elsewhere")
        (string-append %toolchain-real "/bin/rustdoc")
        #f)
  (with-environment '(("PKG_CONFIG_PATH" . "/elsewhere") ("RUSTDOC" . #f))
    (lambda ()
      (let ((env (environment #:directories (list %toolchain-item %pc-input)))
            (mine (with-environment '(("RUSTDOC" . "/my/rustdoc"))
                    (lambda ()
                      (environment #:directories (list %toolchain-item))))))
        (list (assoc-ref env "PKG_CONFIG_PATH")
              (assoc-ref env "RUSTDOC")
              (assoc-ref mine "RUSTDOC"))))))


;;;
;;; The build side: values passed on by phases.
;;;

(define (phase-calls phases . arguments)
  "Run PHASES with ARGUMENTS, output discarded; return the #:locked? and #:x
each phase saw, in order."
  (let ((seen '()))
    (with-output-to-string
      (lambda ()
        (apply run-phases
               (map (match-lambda
                      ((name . proc)
                       (cons name
                             (lambda* (#:key locked? x #:allow-other-keys
                                       #:rest arguments)
                               (set! seen (cons (list name locked? x) seen))
                               (apply proc arguments)))))
                    phases)
               arguments)))
    (reverse seen)))

(test-equal "run-phases: later-phase-arguments reach the later phases only"
  '((configure #f 1) (build #t 2) (check #t 2))
  (phase-calls `((configure . ,(lambda _
                                 (later-phase-arguments #:locked? #t #:x 2)))
                 (build . ,(const 'ignored))
                 (check . ,(lambda _ (values))))
               #:x 1))

(test-equal "run-phases: without the phase that passes it on, no #:locked?"
  '((build #f #f) (check #f #f))
  (phase-calls `((build . ,(const #t)) (check . ,(const #t)))))


;;;
;;; The build side: typed primitives.
;;;

(define prepare-offline-source
  (@@ (ferrix build cargo-build-system) %cargo-prepare-offline-source))

(define (wrong-type-message thunk)
  "Call THUNK; return the message of the wrong-type-arg error it raises, or
#f."
  (catch 'wrong-type-arg
    (lambda () (thunk) #f)
    (lambda (key subr message arguments rest)
      (string-append subr ": " (apply format #f message arguments)))))

(test-equal "primitives: a wrong type is an error naming the argument"
  '("%cargo-prepare-offline-source: Wrong type argument in position 6 (TESTS?: expecting #t or #f): \"yes\""
    "%cargo-prepare-offline-source: Wrong type argument in position 7 (FEATURES: expecting a list of strings): \"std\""
    "%cargo-prepare-offline-source: Wrong type argument in position 2 (INPUTS: expecting a list of strings): (\"/a\" 1)"
    "%cargo-prepare-offline-source: Wrong type argument in position 3 (VENDOR-DIRECTORY: expecting a string): #f"
    "%cargo-install-source: Wrong type argument in position 3 (NAME: expecting a string): rust-foo"
    "%cargo-binary-crates: Wrong type argument in position 1 (SOURCE: expecting a string): 42")
  (map wrong-type-message
       (list (lambda ()
               (prepare-offline-source "/s" '() "/v" "/h" "x" "yes" '()))
             (lambda ()
               (prepare-offline-source "/s" '() "/v" "/h" "x" #t "std"))
             (lambda ()
               (prepare-offline-source "/s" '("/a" 1) "/v" "/h" "x" #t '()))
             (lambda ()
               (prepare-offline-source "/s" '() #f "/h" "x" #t '()))
             (lambda ()
               ((@@ (ferrix build cargo-build-system) %cargo-install-source)
                "/s" "/o" 'rust-foo))
             (lambda ()
               ((@@ (ferrix build cargo-build-system) %cargo-binary-crates)
                42)))))

(define (offline-source lock)
  "Prepare a crate without dependencies (with LOCK as its Cargo.lock, unless
#f) for an offline build; return its log, whether it had a Cargo.lock, and
the cargo configuration written."
  (let ((top (mkdtemp (string-append %test-directory "/offline-XXXXXX"))))
    (mkdir-p (string-append top "/source/src"))
    (call-with-output-file (string-append top "/source/Cargo.toml")
      (lambda (port)
        (display "[package]\nname = \"solo\"\nversion = \"0.1.0\"\n" port)))
    (call-with-output-file (string-append top "/source/src/lib.rs")
      (const #t))
    (when lock
      (call-with-output-file (string-append top "/source/Cargo.lock")
        (lambda (port) (display lock port))))
    (let-values (((log lock-file?)
                  (prepare-offline-source (string-append top "/source") '()
                                          (string-append top "/vendor")
                                          (string-append top "/.cargo")
                                          "x86_64-unknown-linux-gnu" #t '())))
      (list (map (lambda (line)
                   (string-replace-substring line top "TOP"))
                 log)
            lock-file?
            (file-exists? (string-append top "/.cargo/config.toml"))))))

(test-equal "%cargo-prepare-offline-source: no Cargo.lock"
  '(("crates.io replaced by TOP/vendor (0 crates) in TOP/.cargo/config.toml")
    #f #t)
  (offline-source #f))

(test-equal "%cargo-prepare-offline-source: a matching Cargo.lock"
  '(("crates.io replaced by TOP/vendor (0 crates) in TOP/.cargo/config.toml")
    #t #t)
  (offline-source "version = 3\n\n[[package]]\nname = \"solo\"\nversion = \"0.1.0\"\n"))

(test-assert "%cargo-prepare-offline-source: a Cargo.lock that does not match"
  (let ((error (ferrix-error-of
                (lambda ()
                  (offline-source "version = 3\n\n[[package]]\nname = \"leaf\"
version = \"1.0.0\"
source = \"registry+https://github.com/rust-lang/crates.io-index\"\n")))))
    (and error
         (string-contains (cadr error)
                          "leaf 1.0.0 is locked but no input provides it"))))

;;;
;;; The per-crate mode's choice (the mode itself: tests/cargo/rust-unit.sh,
;;; tests/cargo/per-crate.sh).
;;;

(test-equal "#:per-crate? #f: the whole-package mode's derivation, unchanged"
  (derivation-file-name foo-drv)
  (derivation-file-name
   (package-derivation %store (crate "foo" "1.2.3"
                                     #:inputs (list rust-dep)
                                     #:arguments '(#:per-crate? #f)))))

(test-assert "whole-package mode by default"
  (eq? cargo-build (bag-build (package->bag rust-foo))))

(test-assert "#:per-crate? #t: built per crate, the crate closure's labels passed on"
  (let ((bag (package->bag (crate "pc" "1.0"
                                  #:arguments `(#:per-crate? #t
                                                #:cargo-inputs
                                                (("rust-dep" ,rust-dep)))))))
    (and (eq? cargo-per-crate-build (bag-build bag))
         (equal? '("rust-dep-0.3.1")
                 (keyword-argument (bag-arguments bag) #:crate-labels)))))

(test-assert "#:per-crate? #t and a target: the cross per-crate build"
  (eq? cargo-per-crate-cross-build
       (bag-build (package->bag (crate "pcx" "1.0"
                                       #:arguments '(#:per-crate? #t))
                                "x86_64-linux" "aarch64-linux-gnu"))))

(test-assert "%per-crate? (ferrix build --per-crate): every package per crate"
  (parameterize ((%per-crate? #t))
    (eq? cargo-per-crate-build (bag-build (package->bag rust-foo)))))

(test-equal "arguments: #:per-crate? must be a boolean"
  '(#:per-crate? "yes" "rust-pcb-1.0: cargo-build-system argument \
#:per-crate?: expected #t or #f, got \"yes\"")
  (argument-error-of
   (lambda ()
     (package-derivation %store (crate "pcb" "1.0"
                                       #:arguments '(#:per-crate? "yes"))))))

(test-equal "unit-derivation-name: crate, version, kind, target when not the crate's, test, metadata"
  '("rust-unit-serde-1.0.152-lib-0123abcd"
    "rust-unit-serde_json-1.0.91-lib-4567"
    "rust-unit-clap-4.0.32-custom-build-89ab"
    "rust-unit-clap-4.0.32-custom-build-run-89ab"
    "rust-unit-wordfreq-0.1.0-bin-wf-tool-cdef"
    "rust-unit-wordfreq-0.1.0-bin-test-0246")
  (list (unit-derivation-name "serde" "1.0.152" 'lib "serde" 'build "0123abcd")
        (unit-derivation-name "serde_json" "1.0.91" 'lib "serde_json" 'build
                              "4567")
        (unit-derivation-name "clap" "4.0.32" 'custom-build
                              "build-script-build" 'build "89ab")
        (unit-derivation-name "clap" "4.0.32" 'custom-build
                              "build-script-build" 'run-custom-build "89ab")
        (unit-derivation-name "wordfreq" "0.1.0" 'bin "wf-tool" 'build
                              "cdef")
        (unit-derivation-name "wordfreq" "0.1.0" 'bin "wordfreq" 'test
                              "0246")))

;;;
;;; The -sys crates' switches, checked in configure.
;;;

(test-equal "lock-file-packages: the name and version of each package"
  '(("app" . "0.1.0") ("onig_sys" . "69.8.0") ("cc" . "1.0.73"))
  (let ((file (string-append (mkdtemp (string-append %test-directory
                                                     "/lock-XXXXXX"))
                             "/Cargo.lock")))
    (call-with-output-file file
      (lambda (port)
        (display "version = 3

[[package]]
name = \"app\"
version = \"0.1.0\"
dependencies = [
 \"onig_sys\",
]

[[package]]
name = \"onig_sys\"
version = \"69.8.0\"
source = \"registry+https://github.com/rust-lang/crates.io-index\"

[[package]]
name = \"cc\"
version = \"1.0.73\"
" port)))
    (build:lock-file-packages file)))

(let ((vendor (mkdtemp (string-append %test-directory "/vendor-XXXXXX")))
      (table '(("found-sys" "FOUND" "1" ("zlib" "zlib" "zlib1g-dev" #f))
               ("bundled-sys" "BUNDLED" "1"
                ("the none library" "ferrix-no-such-library" "libnone-dev"
                 "bundled"))
               ("plain-sys" "PLAIN" "0")
               ("absent-sys" "ABSENT" "1")
               ("bare-sys" "BARE" "1"
                ("the bare library" "ferrix-no-such-library" "libbare-dev"
                 "bundled")))))
  (mkdir-p (string-append vendor "/bundled-sys-2.0/bundled"))
  (call-with-output-file (string-append vendor "/bundled-sys-2.0/bundled/x.c")
    (const #t))
  (mkdir-p (string-append vendor "/bare-sys-1.0/bundled")) ;empty: no sources
  (test-equal "sys-crate-switches: found, bundled, no library, not in the build"
    '((("FOUND" . "1") ("PLAIN" . "0"))
      ("found-sys: zlib found by pkg-config (zlib): FOUND=1"
       "bundled-sys: the none library not found by pkg-config \
(ferrix-no-such-library): BUNDLED not set, building the crate's bundled \
sources (bundled/)"))
    (call-with-values
        (lambda ()
          (build:sys-crate-switches (list-head table 4)
                                    '(("found-sys" . "1.0")
                                      ("bundled-sys" . "2.0")
                                      ("plain-sys" . "0.1")
                                      ("other" . "1.0"))
                                    vendor))
      list))
  (test-equal "sys-crate-switches: no library and nothing bundled stops"
    "bare-sys 1.0 needs the system library the bare library, which \
pkg-config does not find (pkg-config name `ferrix-no-such-library'), and the \
crate has no bundled sources to build instead: install it (Debian's \
libbare-dev), or give the package an input providing \
lib/pkgconfig/ferrix-no-such-library.pc"
    (guard (c ((message-condition? c) (condition-message c)))
      (build:sys-crate-switches table '(("bare-sys" . "1.0")) vendor)))
  (test-equal "sys-crate-switches: a package's row before the table's wins"
    '(("BUNDLED" . "0"))
    (call-with-values
        (lambda ()
          (build:sys-crate-switches (cons '("bundled-sys" "BUNDLED" "0")
                                          table)
                                    '(("bundled-sys" . "2.0"))
                                    vendor))
      (lambda (switches log) switches))))

(test-end "cargo")

(close-store %store)
(delete-test-directory %test-directory)

(exit-with-test-status)

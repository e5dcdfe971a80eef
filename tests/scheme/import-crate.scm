;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of (ferrix import crate) and (ferrix import utils): names, version
;;; selection, the resolution of features and optional dependencies over a
;;; hand-made registry, topological order, the definitions and their
;;; layout, inserting into a file, and Cargo.lock import.

(use-modules (ferrix tests)
             (ferrix import crate)
             ((ferrix git-download) #:select (git-checkout-hash))
             (ferrix import utils)
             (ferrix store)
             (srfi srfi-1)
             (srfi srfi-11)
             (srfi srfi-26)
             (srfi srfi-34)
             (srfi srfi-35)
             (srfi srfi-64)
             (ice-9 match)
             (ice-9 rdelim))

(define %tmp (test-directory "import-crate"))


;;;
;;; A hand-made registry.
;;;

(define* (dep name requirement #:key (kind 'normal) optional? (key name)
              (default-features? #t) (features '()) target)
  (dependency-info name key requirement kind optional? default-features?
                   features target))

(define* (ver number #:key yanked? (license "MIT OR Apache-2.0")
              (features '()) (deps '()))
  (version-info number yanked? license
                (string-pad (number->string (string-hash number) 16) 64 #\a)
                features deps))

(define* (krate name versions #:key (description "A test crate.")
                home-page repository)
  (crate-info name description home-page repository #f versions))

(define %crates
  (list
   (krate "app"
          (list (ver "1.0.0"
                     #:features '(("default" "std")
                                  ("std" "util/std")
                                  ("fancy" "dep:color" "serde?/derive")
                                  ("serde" "dep:serde"))
                     #:deps (list (dep "util" "^1.0")
                                  (dep "color" "^0.2" #:optional? #t)
                                  (dep "serde" "^1" #:optional? #t)
                                  (dep "cc" "^1" #:kind 'build)
                                  (dep "winapi" "^0.3"
                                       #:target "cfg(windows)")
                                  (dep "libc" "^0.2"
                                       #:target "cfg(unix)")
                                  (dep "tester" "^2" #:kind 'dev)
                                  (dep "absent-dev" "^1" #:kind 'dev)
                                  (dep "half-dev" "^1" #:kind 'dev)
                                  (dep "engine" "^1"
                                       #:default-features? #f
                                       #:features '("x"))))))
   (krate "util"
          (list (ver "1.3.0" #:yanked? #t)
                (ver "1.2.0"
                     #:features '(("std")))
                (ver "1.1.0")
                (ver "0.9.0"))
          #:home-page "https://util.example.org"
          #:repository "https://git.example.org/util")
   (krate "color" (list (ver "0.2.4" #:license "MIT"))
          #:repository "https://git.example.org/color")
   (krate "serde" (list (ver "1.0.152"
                             #:features '(("derive" "serde_derive")
                                          ("default" "std")
                                          ("std"))
                             #:deps (list (dep "serde_derive" "=1.0.152"
                                               #:optional? #t)))))
   (krate "serde_derive" (list (ver "1.0.152")))
   (krate "cc" (list (ver "1.0.73" #:license "MIT/Apache-2.0")))
   (krate "libc" (list (ver "0.2.139"
                            #:deps (list (dep "rustc-std-workspace-core" "^1"
                                              #:optional? #t)))))
   (krate "winapi" (list (ver "0.3.9")))
   (krate "tester" (list (ver "2.1.0" #:deps (list (dep "util" "^1.1")
                                                   (dep "dev-only" "^1"
                                                        #:kind 'dev)))))
   (krate "engine"
          (list (ver "1.5.0"
                     #:license "Apache-2.0 WITH LLVM-exception OR Foo-1.0"
                     #:features '(("default" "heavy")
                                  ("heavy" "dep:big")
                                  ("x" "fast?/simd" "small/std" "mid")
                                  ("bad" "small/extra")
                                  ("mid"))
                     #:deps (list (dep "big" "^1" #:optional? #t)
                                  (dep "fast" "^1" #:optional? #t)
                                  (dep "small" "^1" #:optional? #t)
                                  (dep "tiny" "^1" #:optional? #t
                                       #:key "tiny-renamed")))))
   ;; A dev-dependency the registry has, but not its own dependency.
   (krate "half-dev" (list (ver "1.0.0"
                                #:features '(("default" "dep:nowhere"))
                                #:deps (list (dep "nowhere" "^1"
                                                  #:optional? #t)))))
   (krate "big" (list (ver "1.0.0")))
   (krate "fast" (list (ver "1.0.0")))
   (krate "small" (list (ver "1.0.0" #:features '(("std")
                                                  ("extra" "dep:broken"))
                             #:deps (list (dep "broken" "^3"
                                               #:optional? #t)))))
   (krate "broken" (list (ver "2.0.0")))
   (krate "tiny" (list (ver "1.0.0")))))

(define (lookup name)
  (find (lambda (c) (string=? name (crate-info-name c))) %crates))

(define (crate name)
  (or (lookup name) (error "no such test crate" name)))

(define (node-names root)
  (map (lambda (node)
         (string-append (crate-info-name (node-crate node)) "@"
                        (version-info-number (node-version node))))
       (closure-order root)))

(define (error-message thunk)
  (guard (c ((crate-import-error? c) (condition-message c)))
    (thunk)
    #f))

(define (resolve name requirement . args)
  (with-error-to-string
   (lambda ()
     (set! %last-root
       (apply resolve-crate-closure lookup name requirement args)))))

(define %last-root #f)

(define %zero-hash "0000000000000000000000000000000000000000000000000000")

(define (root-arguments definitions n)
  "Return the first N items of the arguments of the last of DEFINITIONS."
  (match (last (last definitions))
    (('define-public _ ('package fields ...))
     (match (assq-ref (filter pair? fields) 'arguments)
       ((('quasiquote arguments)) (list-head arguments n))))))
(define %lock-defs #f)

(test-begin "import-crate")

(test-group "names"
  (test-equal "semver prefixes"
    '("1" "0.2" "0.0" "2" "1")
    (map version->semver-prefix
         '("1.7.1" "0.2.139" "0.0.3" "2.0.0-rc.1" "1.0.0+build")))
  (test-equal "package variables"
    '(rust-regex-1 rust-serde-json-1 rust-libc-0.2 rust-os-str-bytes-6)
    (list (crate-variable-name "regex" "1.7.1")
          (crate-variable-name "serde_json" "1.0.87")
          (crate-variable-name "libc" "0.2.139")
          (crate-variable-name "os_str_bytes" "6.0.0")))
  (test-equal "crate source variables" 'rust-serde-json-1.0.87
    (lockfile-variable-name "serde_json" "1.0.87")))

(test-group "specifications"
  (test-equal "name only" '("regex" #f)
    (call-with-values (cut parse-crate-specification "regex") list))
  (test-equal "name and requirement" '("regex" "1.7")
    (call-with-values (cut parse-crate-specification "regex@1.7") list))
  (test-equal "name and exact version" '("serde_json" "=1.0.87")
    (call-with-values (cut parse-crate-specification "serde_json@=1.0.87")
      list))
  (for-each (lambda (spec)
              (test-assert (string-append "rejected: " spec)
                (let ((message (error-message
                                (cut parse-crate-specification spec))))
                  (and message (string-contains message spec)))))
            '("regex@" "regex@1.x.y.z" "@1.0" "re gex" "regex@not-a-version"
              "")))

(test-group "version selection"
  (test-equal "newest non-yanked" "1.2.0"
    (version-info-number (select-version (crate "util") #f)))
  (test-equal "yanked allowed, not preferred" "1.2.0"
    (version-info-number (select-version (crate "util") #f
                                         #:allow-yanked? #t)))
  (test-equal "yanked allowed when nothing else matches" "1.3.0"
    (version-info-number (select-version (crate "util") "~1.3"
                                         #:allow-yanked? #t)))
  (test-equal "requirement" "1.1.0"
    (version-info-number (select-version (crate "util") "~1.1")))
  (test-equal "bare version is a caret requirement" "1.2.0"
    (version-info-number (select-version (crate "util") "1.1")))
  (test-equal "exact version that exists" "0.9.0"
    (version-info-number (select-version (crate "util") "0.9.0")))
  (test-equal "a yanked exact version needs --allow-yanked" '(#f "1.3.0")
    (list (select-version (crate "util") "1.3.0")
          (version-info-number (select-version (crate "util") "1.3.0"
                                               #:allow-yanked? #t))))
  (test-equal "nothing matches" #f
    (select-version (crate "util") "^5")))

(test-group "targets"
  (test-assert "unix applies" (linux-target-applies? "cfg(unix)"))
  (test-assert "windows does not" (not (linux-target-applies? "cfg(windows)")))
  (test-assert "a Linux triple applies"
    (linux-target-applies? "aarch64-unknown-linux-gnu"))
  (test-assert "a macOS triple does not"
    (not (linux-target-applies? "x86_64-apple-darwin")))
  (test-assert "undecidable is kept"
    (linux-target-applies? "cfg(feature = \"foo\")"))
  (test-assert "no target" (linux-target-applies? #f)))

(test-group "resolution, all features of the root"
  (define warnings (resolve "app" #f))
  (define root %last-root)
  (define (find-node name)
    (find (lambda (n) (string=? name (crate-info-name (node-crate n))))
          (closure-order root)))
  (test-equal "closure in topological order, root last"
    '("cc@1.0.73" "color@0.2.4" "small@1.0.0" "engine@1.5.0" "libc@0.2.139"
      "serde_derive@1.0.152" "serde@1.0.152" "util@1.2.0" "tester@2.1.0"
      "app@1.0.0")
    (let ((names (node-names root)))
      names))
  (test-equal "every optional dependency of the root, none for windows"
    '("cc" "color" "engine" "libc" "serde" "tester" "util")
    (sort (map (compose crate-info-name node-crate)
               (node-dependencies root '(normal build dev)))
          string<?))
  (test-equal "dev-dependencies are separate"
    '("tester")
    (map (compose crate-info-name node-crate)
         (node-dependencies root '(dev))))
  (test-assert "a missing dev-dependency of the root is a warning"
    (and (string-contains warnings "absent-dev")
         (assoc "absent-dev ^1" (node-missing root))))
  (test-assert "so is one whose own dependency is missing, named with it"
    (and (string-contains warnings "half-dev ^1 left out: crate nowhere is not \
in the registry")
         (equal? '(("absent-dev ^1" . dev-missing) ("half-dev ^1" . dev-missing))
                 (sort (node-missing root)
                       (lambda (a b) (string<? (car a) (car b)))))
         (not (find-node "half-dev"))))
  (test-equal "dev-dependencies of dependencies are not followed" #f
    (find-node "dev-only"))
  (test-equal "weak feature on an enabled dependency: serde gets derive"
    '("default" "derive" "serde_derive" "std")
    (sort (hash-map->list (lambda (k v) k) (node-features (find-node "serde")))
          string<?))
  (test-equal "features through x/f: util gets std (and default, asked for)"
    '("default" "std")
    (sort (hash-map->list (lambda (k v) k) (node-features (find-node "util")))
          string<?))
  (test-equal "default-features = false: engine without heavy (so no big); \
x enables small (and its implicit feature), not fast (weak)"
    '(("mid" "small" "x") ("small"))
    (let ((engine (find-node "engine")))
      (list (sort (hash-map->list (lambda (k v) k) (node-features engine))
                  string<?)
            (map (compose crate-info-name node-crate)
                 (node-dependencies engine '(normal build))))))
  (test-equal "libc's optional dependency is not enabled" '()
    (node-dependencies (find-node "libc") '(normal build)))
  (test-equal "the newest non-yanked matching version is chosen" "1.2.0"
    (version-info-number (node-version (find-node "util")))))

(test-group "resolution, default features of the root"
  (resolve "app" #f #:features '() #:dev-dependencies #f)
  (test-equal "only what default enables"
    '("cc" "engine" "libc" "util")
    (sort (map (compose crate-info-name node-crate)
               (node-dependencies %last-root '(normal build dev)))
          string<?))
  (resolve "app" #f #:features '("fancy") #:dev-dependencies #f)
  (test-equal "a feature enabling an optional dependency"
    '("cc" "color" "engine" "libc" "util")
    (sort (map (compose crate-info-name node-crate)
               (node-dependencies %last-root '(normal build dev)))
          string<?))
  (test-equal "the root's definition builds with the features asked for"
    '(#:tests? #f #:features ("fancy"))
    (root-arguments (crate-definitions %last-root (const %zero-hash)
                                       #:features '("default" "fancy"))
                    4))
  (resolve "engine" #f #:features '("x") #:default-features? #f)
  (test-equal "the renamed optional dependency stays off, as does heavy"
    '("small")
    (map (compose crate-info-name node-crate)
         (node-dependencies %last-root '(normal build))))
  (test-equal "and without cargo's default features"
    '(#:features ("x")
      #:cargo-build-flags ("--no-default-features")
      #:cargo-test-flags ("--no-default-features"))
    (root-arguments (crate-definitions %last-root (const %zero-hash)
                                       #:features '("x")
                                       #:default-features? #f)
                    6))
  (resolve "app" #f #:dev-dependencies #f)
  (test-equal "all features (no --features): cargo's default ones"
    '(#:tests? #f #:cargo-inputs)
    (root-arguments (crate-definitions %last-root (const %zero-hash)) 3)))

(test-group "errors"
  (test-assert "a missing crate names the chain of dependents"
    (let ((message (error-message
                    (lambda ()
                      (resolve "engine" #f #:features '("x" "bad"))))))
      (and message
           (string-contains message "broken")
           (string-contains message "^3")
           (string-contains message "engine 1.5.0 -> small 1.0.0"))))
  (test-assert "unknown root crate"
    (string-contains (error-message (lambda () (resolve "nope" #f)))
                     "crate nope is not in the registry"))
  (test-assert "no matching version lists the available ones"
    (let ((message (error-message (lambda () (resolve "util" "^7")))))
      (and (string-contains message "1.3.0 (yanked)")
           (string-contains message "--allow-yanked")))))

(test-group "existing packages"
  (resolve "tester" #f
           #:existing '(("util" "1.1.0" rust-util-1 (my crates))))
  (test-equal "reused rather than imported"
    '(rust-util-1 (my crates))
    (node-existing (car (node-dependencies %last-root '(normal)))))
  (test-equal "the header uses its module"
    '(use-modules (ferrix packages) (ferrix download)
                  (ferrix build-system cargo)
                  ((ferrix licenses) #:prefix license:)
                  (my crates))
    (crate-import-header %last-root))
  (test-equal "only the root is defined" '(rust-tester-2)
    (map (compose definition-name last)
         (crate-definitions %last-root (const "0000000000000000000000000000000000000000000000000000"))))
  (resolve "tester" #f
           #:existing '(("util" "0.9.0" rust-util-0.9 (my crates))))
  (test-equal "an incompatible version is not reused" #f
    (node-existing (car (node-dependencies %last-root '(normal))))))

(define %hash "1i2p8x80k9r5w4ky5m3is2xh3rbbvjc95w4ljr33pc80cl78qgcq")

(test-group "definitions"
  (resolve "app" #f)
  (let* ((definitions (crate-definitions %last-root (const %hash)))
         (by-name (lambda (name)
                    (find (lambda (items)
                            (eq? name (definition-name (last items))))
                          definitions))))
    (test-equal "one per node, dependencies first"
      '(rust-cc-1 rust-color-0.2 rust-small-1 rust-engine-1 rust-libc-0.2
                  rust-serde-derive-1 rust-serde-1 rust-util-1 rust-tester-2
                  rust-app-1)
      (map (compose definition-name last) definitions))
    (test-equal "a dependency: skip-build, inputs, license, home page from \
the repository"
      '(define-public rust-color-0.2
         (package
           (name "rust-color")
           (version "0.2.4")
           (source
            (origin
              (method url-fetch)
              (uri (crate-uri "color" version))
              (file-name (string-append name "-" version ".tar.gz"))
              (sha256
               (base32 "1i2p8x80k9r5w4ky5m3is2xh3rbbvjc95w4ljr33pc80cl78qgcq"))))
           (build-system cargo-build-system)
           (arguments `(#:skip-build? #t))
           (home-page "https://git.example.org/color")
           (synopsis "Test crate")
           (description "This package provides a test crate.")
           (license license:expat)))
      (last (by-name 'rust-color-0.2)))
    (test-equal "the root: built, tests off (a dev-dependency is missing), \
development inputs"
      '(#:tests? #f
        #:cargo-inputs (("rust-cc" ,rust-cc-1)
                        ("rust-color" ,rust-color-0.2)
                        ("rust-engine" ,rust-engine-1)
                        ("rust-libc" ,rust-libc-0.2)
                        ("rust-serde" ,rust-serde-1)
                        ("rust-util" ,rust-util-1))
        #:cargo-development-inputs (("rust-tester" ,rust-tester-2)))
      (match (last (by-name 'rust-app-1))
        (('define-public _ ('package fields ...))
         (match (assq-ref (filter pair? fields) 'arguments)
           ((('quasiquote arguments)) arguments)))))
    (test-equal "crate-name property for underscores"
      '((properties '((crate-name . "serde_derive"))))
      (match (last (by-name 'rust-serde-derive-1))
        (('define-public _ ('package fields ...))
         (filter (lambda (f) (and (pair? f) (eq? 'properties (car f))))
                 fields))))
    (test-assert "unknown license flagged in a comment and in the value"
      (let ((text (call-with-output-string
                    (lambda (port)
                      (for-each (cut pretty-print-sexp <> port)
                                (by-name 'rust-engine-1))))))
        (and (string-contains text ";; FIXME: SPDX: Apache-2.0 WITH \
LLVM-exception OR Foo-1.0")
             (string-contains text "(license:unknown \"Foo-1.0\")")
             (string-contains text "(license:with-exception license:asl2.0 \
\"LLVM-exception\")"))))
    (test-assert "home page defaults to crates.io"
      (string-contains (sexp->string (last (by-name 'rust-small-1)))
                       "(home-page \"https://crates.io/crates/small\")")))
  (resolve "util" "~1.3" #:allow-yanked? #t)
  (test-assert "a yanked version is marked"
    (match (crate-definitions %last-root (const %hash))
      (((c definition))
       (and (comment? c)
            (string-contains (comment-text c) "yanked"))))))

(test-group "layout"
  (test-equal "Guix's layout, 78 columns"
    "(define-public rust-tester-2
  (package
    (name \"rust-tester\")
    (version \"2.1.0\")
    (source
     (origin
       (method url-fetch)
       (uri (crate-uri \"tester\" version))
       (file-name (string-append name \"-\" version \".tar.gz\"))
       (sha256
        (base32 \"1i2p8x80k9r5w4ky5m3is2xh3rbbvjc95w4ljr33pc80cl78qgcq\"))))
    (build-system cargo-build-system)
    (arguments
     `(#:cargo-inputs ((\"rust-util\" ,rust-util-1))
       #:cargo-development-inputs ((\"rust-dev-only\" ,rust-dev-only-1))))
    (home-page \"https://crates.io/crates/tester\")
    (synopsis \"Test crate\")
    (description \"This package provides a test crate.\")
    (license (list license:expat license:asl2.0))))"
    (begin
      (resolve "tester" #f #:dev-dependencies 'root
               #:existing '(("dev-only" "1.0.0" rust-dev-only-1 (x))))
      (sexp->string (last (last (crate-definitions %last-root
                                                   (const %hash)))))))
  (test-assert "no line over 78 columns, long descriptions filled"
    (let ((text (sexp->string
                 `(define-public x
                    (package
                      (description ,(string-join (make-list 40 "word"))))))))
      (and (string-index text #\newline)
           (every (lambda (line) (<= (string-length line) 78))
                  (string-split text #\newline)))))
  (test-equal "comments inside forms"
    "(package\n  ;; a note\n  (name \"x\"))"
    (sexp->string `(package ,(comment "a note") (name "x"))))
  (test-equal "synopsis: first sentence, no article, no period"
    "Fast regular expressions, e.g. for grep"
    (beautify-synopsis "A fast regular   expressions, e.g. for grep. More."))
  (test-equal "description: a sentence" "This package provides a parser."
    (beautify-description "A parser"))
  (test-equal "description: two spaces between sentences, not after e.g."
    "Regular expressions, e.g. for grep.  Linear time!  Really."
    (beautify-description "Regular expressions, e.g. for grep. Linear time!
Really"))
  (test-assert "filled descriptions keep the two spaces"
    (let ((text (sexp->string
                 `(description
                   ,(beautify-description
                     (string-append "First sentence here. Then "
                                    (string-join (make-list 20 "word"))))))))
      (and (string-contains text "here.  Then")
           (string-index text #\newline)
           (every (lambda (line) (<= (string-length line) 78))
                  (string-split text #\newline)))))
  (test-equal "several keyword arguments: a pair per line"
    "(arguments\n `(#:skip-build? #t\n   #:cargo-inputs ((\"rust-a\" ,rust-a-1))))"
    (sexp->string '(arguments
                    (quasiquote (#:skip-build? #t
                                 #:cargo-inputs (("rust-a"
                                                  (unquote rust-a-1)))))))))

(define (write-file file text)
  (call-with-output-file file (cut display text <>)))

(define (read-file file)
  (call-with-input-file file read-string))

(test-group "insert"
  (define file (string-append %tmp "/crates.scm"))
  (define original
    ";;; My crates.  Some UTF-8: é.

(define-module (my crates))

;; The b crate.
(define-public rust-b-1
  (package (name \"rust-b\")))   ; odd layout kept

(define-public rust-d-1 'd)
;; trailing comment
")
  (define (def name) (list `(define-public ,name ',name)))
  (write-file file original)
  (test-equal "names added, in the order given" '(rust-c-1 rust-a-1 rust-e-1)
    (insert-definitions file (list (def 'rust-c-1) (def 'rust-b-1)
                                   (def 'rust-a-1) (def 'rust-e-1))))
  (test-equal "sorted among the define-public forms, the rest unchanged"
    ";;; My crates.  Some UTF-8: é.

(define-module (my crates))

(define-public rust-a-1 'rust-a-1)

;; The b crate.
(define-public rust-b-1
  (package (name \"rust-b\")))   ; odd layout kept

(define-public rust-c-1 'rust-c-1)

(define-public rust-d-1 'd)

(define-public rust-e-1 'rust-e-1)
;; trailing comment
"
    (read-file file))
  (let ((before (read-file file)))
    (test-equal "a second time: nothing added" '()
      (insert-definitions file (list (def 'rust-c-1) (def 'rust-a-1))))
    (test-equal "a second time: the file unchanged" before (read-file file)))
  (let ((empty (string-append %tmp "/empty.scm")))
    (write-file empty "")
    (insert-definitions empty (list (def 'rust-z-1)))
    (test-equal "into an empty file" "(define-public rust-z-1 'rust-z-1)\n"
      (read-file empty)))
  (let ((app (string-append %tmp "/app.scm")))
    (write-file app "(use-modules (ferrix packages))

(define-public app 'app)

(define-public zlib 'zlib)
")
    (test-equal "a use-modules form and a list naming what it comes before"
      '(#f app-cargo-inputs rust-b-2 rust-a-2)
      (insert-definitions
       app
       (list (list '(use-modules (ferrix git-download)))
             (list '(define-public app-cargo-inputs (list rust-a-2 rust-b-2)))
             (def 'rust-b-2) (def 'rust-a-2))))
    (test-equal "the module first, the list after the sources it names"
      "(use-modules (ferrix packages))

(use-modules (ferrix git-download))

(define-public app 'app)

(define-public rust-a-2 'rust-a-2)

(define-public rust-b-2 'rust-b-2)

(define-public app-cargo-inputs (list rust-a-2 rust-b-2))

(define-public zlib 'zlib)
"
      (read-file app))
    (test-equal "the module is not added again" '()
      (insert-definitions
       app (list (list '(use-modules (ferrix git-download)))))))
  (let ((bad (string-append %tmp "/bad.scm")))
    (write-file bad "(define-public x 1)\n\n(define-public y\n")
    (test-assert "an unreadable file: FILE:LINE:COLUMN, unchanged"
      (and (guard (c ((insert-error? c)
                      (string-contains (condition-message c)
                                       (string-append bad ":3:0"))))
             (insert-definitions bad (list (def 'rust-a-1)))
             #f)
           (string=? "(define-public x 1)\n\n(define-public y\n"
                     (read-file bad))))))

(test-group "input list"
  (define file (string-append %tmp "/inputs.scm"))
  (define (source name) (list `(define-public ,name ',name)))
  (write-file file "(define-public rust-itoa-1.0.1 'rust-itoa-1.0.1)

(define-public rust-syn-1.0.1 'rust-syn-1.0.1)

(define-public rust-syn-1.0.2 'rust-syn-1.0.2)

(define-public app-cargo-inputs
  (list rust-itoa-1.0.1 rust-syn-1.0.1 rust-syn-1.0.2))
")
  (test-equal "two versions of a crate gone, one come: 1 replaced, 1 removed"
    '(1 1 1)
    (update-input-list file
                       (list (source 'rust-itoa-1.0.1)
                             (source 'rust-ryu-1.0.2)
                             (source 'rust-syn-2.0.0)
                             (list '(define-public app-cargo-inputs
                                      (list rust-itoa-1.0.1 rust-ryu-1.0.2
                                            rust-syn-2.0.0))))))
  (test-equal "the old list and its orphans replaced, in one step"
    "(define-public rust-itoa-1.0.1 'rust-itoa-1.0.1)

(define-public rust-ryu-1.0.2 'rust-ryu-1.0.2)

(define-public rust-syn-2.0.0 'rust-syn-2.0.0)

(define-public app-cargo-inputs
  (list rust-itoa-1.0.1 rust-ryu-1.0.2 rust-syn-2.0.0))
"
    (read-file file))
  (test-equal "one version of a crate gone, two come: 1 replaced, 1 added"
    '(1 1 0)
    (update-input-list file
                       (list (source 'rust-itoa-1.0.1)
                             (source 'rust-ryu-1.0.2)
                             (source 'rust-syn-2.0.1)
                             (source 'rust-syn-1.0.3)
                             (list '(define-public app-cargo-inputs
                                      (list rust-itoa-1.0.1 rust-ryu-1.0.2
                                            rust-syn-1.0.3 rust-syn-2.0.1)))))))

(define (git . args)
  (unless (zero? (apply system* "git" "-c" "init.defaultBranch=main"
                        "-c" "user.name=ferrix" "-c" "user.email=f@example.org"
                        args))
    (error "git failed" args)))

(test-group "Cargo.lock"
  ;; A git repository (a workspace: git-dep and git-dep-macros) for the
  ;; lock file's git packages.
  (define repo (string-append %tmp "/git-dep"))
  (define commit
    (begin
      (setenv "GIT_CONFIG_NOSYSTEM" "1")
      (setenv "GIT_CONFIG_GLOBAL" "/dev/null")
      (mkdir repo)
      (git "init" "-q" repo)
      (write-file (string-append repo "/Cargo.toml")
                  "[workspace]\nmembers = [\"dep\", \"macros\"]\n")
      (git "-C" repo "add" ".")
      (git "-C" repo "commit" "-q" "-m" "one")
      (string-trim-right
       (let* ((port ((@ (ice-9 popen) open-pipe*) OPEN_READ
                     "git" "-C" repo "rev-parse" "HEAD"))
              (text (read-string port)))
         ((@ (ice-9 popen) close-pipe) port)
         text))))
  (define url (string-append "file://" repo))
  (define lock (string-append %tmp "/Cargo.lock"))
  (write-file lock (string-append "# This file is automatically @generated by Cargo.
version = 3

[[package]]
name = \"app\"
version = \"0.1.0\"
dependencies = [
 \"git-dep\",
 \"serde_json\",
]

[[package]]
name = \"git-dep\"
version = \"0.3.0\"
source = \"git+" url "?branch=main#" commit "\"
dependencies = [
 \"git-dep-macros\",
]

[[package]]
name = \"git-dep-macros\"
version = \"0.3.1\"
source = \"git+" url "?branch=main#" commit "\"

[[package]]
name = \"itoa\"
version = \"1.0.1\"
source = \"sparse+http://127.0.0.1:1234/index/\"
checksum = \"1aab8fc367588b89dcee83ab0fd66b72b50b72fa1904d7095045ace2b0c81c35\"

[[package]]
name = \"serde_json\"
version = \"1.0.87\"
source = \"registry+https://github.com/rust-lang/crates.io-index\"
checksum = \"6ce777b7b150d76b9cf60d28b55f5847135a003f7d7350c6be7a773508ce7d45\"
dependencies = [
 \"itoa\",
]
"))
  (define definitions
    (with-error-to-string (lambda () (set! %lock-defs
                                        (lockfile-definitions lock)))))
  (test-equal "a source per registry package and git checkout, the input list last"
    '(rust-git-dep-0.3.0 rust-itoa-1.0.1 rust-serde-json-1.0.87 app-cargo-inputs)
    (filter-map (compose definition-name last) %lock-defs))
  (test-equal "the git-download module first"
    '(use-modules (ferrix git-download))
    (last (first %lock-defs)))
  (test-equal "a git source: a git-fetch origin of the commit, hashed"
    `(define-public rust-git-dep-0.3.0
       (origin
         (method git-fetch)
         (uri (git-reference
               (url ,url)
               (commit ,commit)))
         (file-name (git-file-name "rust-git-dep" "0.3.0"))
         (sha256 (base32 ,(git-checkout-hash url commit)))))
    (last (second %lock-defs)))
  (test-assert "the second crate of the checkout: a comment naming the first"
    (match (third %lock-defs)
      (((? comment? c))
       (string-contains (comment-text c)
                        "git-dep-macros 0.3.1 is in the checkout of git-dep \
0.3.0"))
      (_ #f)))
  (test-equal "the checksum in nix32, no download"
    `(define-public rust-serde-json-1.0.87
       (crate-source "serde_json" "1.0.87"
                     ,(checksum->nix32 "6ce777b7b150d76b9cf60d28b55f5847135a003f7d7350c6be7a773508ce7d45")))
    (last (list-ref %lock-defs 4)))
  (test-equal "nix32 of a hex sha256"
    "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"
    (checksum->nix32
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
  (test-equal "the input list"
    '(define-public app-cargo-inputs
       (list rust-git-dep-0.3.0 rust-itoa-1.0.1 rust-serde-json-1.0.87))
    (last (last %lock-defs)))
  (let ((bad (string-append %tmp "/bad-commit.lock"))
        (missing "0123456789abcdef0123456789abcdef01234567"))
    (write-file bad (string-append "version = 3
[[package]]
name = \"git-dep\"
version = \"0.3.0\"
source = \"git+" url "?rev=0123456#" missing "\"
"))
    (test-assert "a commit that cannot be checked out: the package, URL, commit"
      (guard (c ((crate-import-error? c)
                 (string-prefix?
                  (string-append "git-dep 0.3.0: cannot check out commit "
                                 missing " of " url ": ")
                  (condition-message c))))
        (lockfile-definitions bad)
        #f)))
  (test-assert "the other registry is noted"
    (any (lambda (items)
           (any (lambda (item)
                  (and (comment? item)
                       (string-contains (comment-text item)
                                        "http://127.0.0.1:1234/index/")))
                items))
         %lock-defs))
  (test-assert "the checkout is logged, once for the two crates"
    (= 1 (length (filter (cut string-prefix? "git-fetch: fetching" <>)
                         (string-split definitions #\newline)))))
  (let ((bad (string-append %tmp "/bad.lock")))
    (write-file bad "version = 3\n\n[[package]]\nname = \"x\"\nversion = \n")
    (test-assert "a malformed lock file: FILE:LINE:COLUMN"
      (match (ferrix-error-of (lambda () (lockfile-definitions bad)))
        ((kind message)
         (string-prefix? (string-append bad ":5:") message))
        (_ #f)))))

(test-end "import-crate")

(delete-test-directory %tmp)
(exit-with-test-status)

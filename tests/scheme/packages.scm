;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of (ferrix packages).  Run from the source directory as:
;;;   GUILE_EXTENSIONS_PATH=build/guile \
;;;     guile -L modules -L build/modules --no-auto-compile tests/scheme/packages.scm
;;; Uses a store in a temporary directory.  Exits non-zero when a test fails.

(use-modules (ferrix tests)
             (ferrix packages)
             (ferrix build-system)
             (ferrix build-system cargo)
             (ferrix download)
             (ferrix toolchain)
             (ferrix store)
             (ferrix derivations)
             (ferrix base32)
             (srfi srfi-1)
             (srfi srfi-34)
             (srfi srfi-35)
             (srfi srfi-64)
             (rnrs bytevectors)
             (ice-9 match)
             (ice-9 rdelim))



;;;
;;; Fixtures: a store and a fake Rust toolchain in a temporary directory.
;;;

(define %test-directory
  (test-directory "packages"))
(setenv "XDG_CACHE_HOME" (string-append %test-directory "/cache"))

(define %store (open-store #:root (string-append %test-directory "/store")))

(define (write-script file text)
  (call-with-output-file file (lambda (port) (display text port)))
  (chmod file #o755))

(define (make-fake-toolchain name version)
  "Create a toolchain directory NAME whose rustc and cargo print VERSION."
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

(set-rust-toolchain! (make-fake-toolchain "rust-1.63" "1.63.0"))

(define (store-file-contents file)
  (call-with-input-file (store-real-path %store file) read-string))


;;;
;;; A trivial build system: its derivations record their inputs in the
;;; environment, one variable per label.
;;;

(define* (trivial-lower name #:key source inputs native-inputs outputs
                        system target #:allow-other-keys #:rest arguments)
  (bag
    (name name)
    (system system)
    (target target)
    (build-inputs native-inputs)
    (host-inputs (append (if source `(("source" ,source)) '()) inputs))
    (outputs outputs)
    (arguments (strip-keyword-arguments
                '(#:source #:inputs #:native-inputs #:outputs #:system
                  #:target #:properties)
                arguments))
    (build (if target trivial-cross-build trivial-build))))

(define (lowered->input lowered)
  (match lowered
    ((_ (? derivation? drv) output) (list drv output))
    ((_ (? string? file) _) (list file))))

(define (lowered->env lowered)
  (match lowered
    ((label _ _) (cons (string-append "in-" label)
                       (lowered-input-file-name lowered)))))

(define* (trivial-build store name inputs #:key system outputs
                        #:allow-other-keys)
  (derivation store name "/bin/sh" '("-c" "exit 1")
              #:system system #:outputs outputs
              #:inputs (map lowered->input inputs)
              #:env-vars (map lowered->env inputs)))

(define* (trivial-cross-build store name #:key system target outputs
                              build-inputs host-inputs target-inputs
                              #:allow-other-keys)
  (derivation store name "/bin/sh" '("-c" "exit 1")
              #:system system #:outputs outputs
              #:inputs (map lowered->input
                            (append build-inputs host-inputs target-inputs))
              #:env-vars (cons (cons "target" target)
                               (map lowered->env
                                    (append build-inputs host-inputs
                                            target-inputs)))))

(define trivial-build-system
  (build-system
    (name 'trivial)
    (description "test build system")
    (lower trivial-lower)))

(define* (dummy name #:key (version "1.0") (inputs '()) (native-inputs '())
                (propagated-inputs '()) (outputs '("out")))
  (package
    (name name)
    (version version)
    (build-system trivial-build-system)
    (inputs inputs)
    (native-inputs native-inputs)
    (propagated-inputs propagated-inputs)
    (outputs outputs)))

(define (env-ref drv name)
  (assoc-ref (derivation-builder-environment-vars drv) name))


(test-begin "packages")


;;;
;;; Records.
;;;

(define hello-hash "0ssi1wpaf7plaswqqjwigppsg5fyh99vdlb9kzl7c9lng89ndq1i")

(define p0
  (package
    (name "rust-foo")
    (version "1.2.3")
    (source (origin
              (method url-fetch)
              (uri (crate-uri "foo" version))
              (file-name (string-append name "-" version ".tar.gz"))
              (sha256 (base32 "0ssi1wpaf7plaswqqjwigppsg5fyh99vdlb9kzl7c9lng89ndq1i"))))
    (build-system cargo-build-system)
    (synopsis "Foo")
    (description "The foo crate.")
    (license "MIT")
    (home-page "https://example.org/foo")))

(test-equal "package: fields"
  '("rust-foo" "1.2.3" "Foo" "The foo crate." "MIT" "https://example.org/foo")
  (list (package-name p0) (package-version p0) (package-synopsis p0)
        (package-description p0) (package-license p0)
        (package-home-page p0)))

(test-equal "package: defaults"
  (list '("out") '() '() '() '() '() %supported-systems)
  (list (package-outputs p0) (package-arguments p0) (package-inputs p0)
        (package-native-inputs p0) (package-propagated-inputs p0)
        (package-properties p0) (package-supported-systems p0)))

(test-assert "package: location is where it was made"
  (let ((loc (package-location p0)))
    (and (location? loc)
         (string-suffix? "packages.scm" (location-file loc))
         (> (location-line loc) 100))))

(test-assert "package: inherit keeps fields and gets a new location"
  (let ((p1 (package (inherit p0) (version "2.0.0"))))
    (and (string=? "rust-foo" (package-name p1))
         (string=? "2.0.0" (package-version p1))
         (eq? (package-source p0) (package-source p1))
         (not (= (location-line (package-location p0))
                 (location-line (package-location p1)))))))

(test-equal "package: thunked fields see this-package and %current-system"
  '("x-1.0 on mips64el-linux" "x-1.0 on x86_64-linux")
  (let ((p (package
             (name "x") (version "1.0")
             (build-system trivial-build-system)
             (arguments
              (list #:note (string-append (package-name this-package) "-"
                                          (package-version this-package)
                                          " on " (%current-system)))))))
    (list (keyword-argument (bag-arguments (package->bag p "mips64el-linux"))
                            #:note)
          (keyword-argument (bag-arguments (package->bag p "x86_64-linux"))
                            #:note))))

(test-assert "package: a record printer naming it"
  (string-prefix? "#<package rust-foo@1.2.3 "
                  (call-with-output-string (lambda (port) (write p0 port)))))


;;;
;;; Input lists.
;;;

(define a (dummy "a"))
(define b (dummy "b" #:outputs '("out" "lib")))

(test-equal "inputs: labelled form is kept"
  `(("first" ,a) ("second" ,b "lib"))
  (package-inputs (dummy "c" #:inputs `(("first" ,a) ("second" ,b "lib")))))

(test-equal "inputs: plain form gets package names as labels"
  `(("a" ,a) ("b" ,b) ("b" ,b "lib"))
  (package-inputs (dummy "c" #:inputs (list a b (list b "lib")))))

(test-equal "inputs: forms can be mixed, in every input field"
  (list `(("x" ,a) ("b" ,b))
        `(("a" ,a))
        `(("b" ,b "lib")))
  (let ((p (dummy "c" #:inputs (list (list "x" a) b)
                  #:native-inputs (list a)
                  #:propagated-inputs (list (list b "lib")))))
    (list (package-inputs p) (package-native-inputs p)
          (package-propagated-inputs p))))

(test-assert "inputs: origins and local files are labelled by file name"
  (match (package-inputs
          (dummy "c" #:inputs (list (package-source p0)
                                    (local-file "packages.scm"))))
    ((("rust-foo-1.2.3.tar.gz" (? origin?))
      ("packages.scm" (? local-file?)))
     #t)
    (_ #f)))

(test-equal "package-direct-inputs: native, regular, propagated"
  '("n" "i" "p")
  (map car (package-direct-inputs
            (dummy "c" #:native-inputs `(("n" ,a)) #:inputs `(("i" ,a))
                   #:propagated-inputs `(("p" ,a))))))

(define c (dummy "c" #:propagated-inputs (list a)))
(define d (dummy "d" #:propagated-inputs (list c b)))
(define e (dummy "e" #:inputs (list d a) #:native-inputs (list b)))

(test-equal "package-transitive-inputs: propagated inputs, recursively"
  `(("b" ,b) ("d" ,d) ("a" ,a) ("c" ,c))
  (package-transitive-inputs e))

(test-equal "package-transitive-propagated-inputs"
  `(("c" ,c) ("b" ,b) ("a" ,a))
  (package-transitive-propagated-inputs d))

(define (names packages)
  (sort (map package-name packages) string<?))

(test-equal "package-closure: every package once"
  '("a" "b" "c" "d" "e")
  (let ((closure (package-closure (list e))))
    (and (= 5 (length closure)) (names closure))))

(test-equal "package-closure: several packages, and an input's closure"
  '(("a" "b" "c" "d" "e") ("a" "b" "c" "d"))
  (list (names (package-closure (list e d a)))
        (names (package-closure (list d)))))

(test-equal "package-input-rewriting: replaces dependencies, recursively"
  '("a2" "a2")
  (let* ((a2 (dummy "a2"))
         (rewrite (package-input-rewriting `((,a . ,a2))))
         (e2 (rewrite e)))
    (list (package-name (cadr (assoc "a" (package-inputs e2))))
          (match (package-transitive-propagated-inputs
                  (cadr (assoc "d" (package-inputs e2))))
            ((_ _ ("a" p)) (package-name p))))))


;;;
;;; Utilities.
;;;

(test-equal "package-full-name" "rust-foo@1.2.3" (package-full-name p0))
(test-equal "package-name->crate-name: prefix stripped" "foo-bar"
  (package-name->crate-name "rust-foo-bar"))
(test-equal "package-name->crate-name: a package without property" "foo"
  (package-name->crate-name p0))
(test-equal "package-name->crate-name: crate-name property" "foo_bar"
  (package-name->crate-name
   (package (inherit p0) (name "rust-foo-bar")
            (properties '((crate-name . "foo_bar"))))))
(test-equal "package-version-major+minor" '("1.2" "0.4" "7")
  (list (package-version-major+minor p0)
        (package-version-major+minor "0.4.0-rc.1")
        (package-version-major+minor "7")))
(test-equal "package-name->name+version"
  '(("rust-foo-bar" "1.2.3") ("hello" "0.1") ("hello" #f) ("x" "2"))
  (map (lambda (spec)
         (call-with-values (lambda () (package-name->name+version spec))
           list))
       '("rust-foo-bar-1.2.3" "hello@0.1" "hello" "x-2")))
(test-equal "version-compare" '(< > = < >)
  (map (lambda (pair) (apply version-compare pair))
       '(("1.2.3" "1.10.0") ("2.0" "1.99.99") ("1.0.0" "1.0.0")
         ("1.0" "1.0.1") ("1.0.0" "1.0.0-rc1"))))


;;;
;;; Origins and base32.
;;;

(test-equal "base32: a literal is decoded when expanded, like the core does"
  (nix-base32-string->bytevector hello-hash)
  (base32 "0ssi1wpaf7plaswqqjwigppsg5fyh99vdlb9kzl7c9lng89ndq1i"))

(test-equal "base32: a non-literal is decoded at run time"
  (nix-base32-string->bytevector hello-hash)
  (let ((str hello-hash)) (base32 str)))

(define (expand-string text)
  "Expand TEXT, read from a port named bad-hash.scm; return the syntax
error's arguments, or 'no-error."
  (catch 'syntax-error
    (lambda ()
      (call-with-input-string text
        (lambda (port)
          (set-port-filename! port "bad-hash.scm")
          (macroexpand (read-syntax port))
          'no-error)))
    (lambda (key who message properties form subform)
      (list who message (assq-ref properties 'filename)
            (assq-ref properties 'line)))))

(test-equal "base32: a bad literal character is an expansion-time error with its location"
  '(base32 "invalid nix-base32 string: invalid character 'e' at position 3"
           "bad-hash.scm" 2)
  (expand-string "\n\n  (base32 \"0sse1wpaf7plaswqqjwigppsg5fyh99vdlb9kzl7c9lng89ndq1i\")"))

(test-assert "base32: a bad literal length is an expansion-time error"
  (match (expand-string "(base32 \"0ssi1wpaf7\")")
    (('base32 message "bad-hash.scm" 0)
     (string-contains message "10 characters"))
    (_ #f)))

(test-assert "base32: an overflowing literal is an expansion-time error"
  (match (expand-string
          "(base32 \"zssi1wpaf7plaswqqjwigppsg5fyh99vdlb9kzl7c9lng89ndq1i\")")
    (('base32 message _ _) (string-contains message "too large"))
    (_ #f)))

(test-assert "base32: compiling a file with a bad literal fails"
  (let ((file (string-append %test-directory "/bad.scm")))
    (call-with-output-file file
      (lambda (port)
        (write '(use-modules (ferrix packages)) port)
        (display "\n(define h (base32 \"0ssi\"))\n" port)))
    (catch 'syntax-error
      (lambda ()
        ((@ (system base compile) compile-file) file
         #:output-file (string-append file ".go"))
        #f)
      (const #t))))

(test-assert "origin: sha256 must be 32 bytes"
  (catch #t
    (lambda ()
      (origin (method url-fetch) (uri "https://example.org/x")
              (sha256 (base32 "0ssi1wpaf7plaswqqjwigppsg5fyh99v")))
      #f)
    (const #t)))

(test-equal "origin: fields and defaults"
  (list "https://example.org/a/b.tar.gz?x=1" '() #f '() "b.tar.gz")
  (let ((o (origin (method url-fetch)
                   (uri "https://example.org/a/b.tar.gz?x=1")
                   (sha256 (base32 hello-hash)))))
    (list (origin-uri o) (origin-patches o) (origin-snippet o)
          (origin-modules o) (origin-actual-file-name o))))

(test-assert "origin->derivation: url-fetch gives a fixed-output builtin:download"
  (let* ((o (package-source p0))
         (drv (origin->derivation %store o)))
    (and (fixed-output-derivation? drv)
         (string=? "builtin:download" (derivation-builder drv))
         (string=? "https://crates.io/api/v1/crates/foo/1.2.3/download"
                   (env-ref drv "url"))
         (string=? "1" (env-ref drv "preferLocalBuild"))
         (string-suffix? "-rust-foo-1.2.3.tar.gz"
                         (derivation->output-path drv))
         (let ((out (assoc-ref (derivation-outputs drv) "out")))
           (and (eq? 'sha256 (derivation-output-hash-algo out))
                (equal? (nix-base32-string->bytevector hello-hash)
                        (derivation-output-hash out))
                (not (derivation-output-recursive? out)))))))

(test-assert "origin->derivation: memoised per store"
  (eq? (origin->derivation %store (package-source p0))
       (origin->derivation %store (package-source p0))))

(test-equal "url-fetch: several URLs and mirrors, recursive"
  '("https://a.example/x https://m1.example/p/x.tar https://m2.example/x.tar"
    #t)
  (parameterize ((%mirrors '((test "https://m1.example/p"
                                   "https://m2.example/"))))
    (let ((drv (url-fetch %store '("https://a.example/x"
                                   "mirror://test/x.tar")
                          'sha256 (base32 hello-hash) "x"
                          #:recursive? #t)))
      (list (env-ref drv "url")
            (derivation-output-recursive?
             (assoc-ref (derivation-outputs drv) "out"))))))

(test-assert "origin with patches: a derivation applying them on the build side"
  (let* ((patch (local-file "packages.scm" "fix.patch"))
         (o (origin (inherit (package-source p0))
                    (patches (list patch))
                    (snippet '(delete-file "Cargo.lock"))))
         (drv (origin->derivation %store o))
         (script (store-file-contents
                  (cadr (derivation-builder-arguments drv)))))
    (and (string-suffix? "-rust-foo-1.2.3" (derivation->output-path drv))
         (string-contains script "(patch-source")
         (string-contains script "fix.patch")
         (string-contains script "(lambda () (delete-file \"Cargo.lock\"))")
         (member (derivation-file-name
                  (origin->derivation %store (package-source p0)))
                 (map derivation-input-path (derivation-inputs drv))))))


;;;
;;; Local files.
;;;

(test-assert "local-file: relative to the directory of this file"
  (let ((f (local-file "packages.scm")))
    (and (local-file? f)
         (string=? "packages.scm" (local-file-name f))
         (string-suffix? "/tests/scheme/packages.scm"
                         (local-file-absolute-file-name f)))))

(test-assert "local-file: a missing file is an error naming it"
  (catch #t
    (lambda () (local-file "no-such-file.txt") #f)
    (lambda (key . args)
      (string-contains (call-with-output-string
                         (lambda (port) (write args port)))
                       "no-such-file.txt"))))

(test-assert "local-file: lowered with add-to-store, contents identical"
  (let* ((f (local-file "packages.scm" "my-test.scm"))
         (item (local-file->store-path %store f)))
    (and (valid-path? %store item)
         (string-suffix? "-my-test.scm" item)
         (string=? (store-file-contents item)
                   (call-with-input-file (local-file-absolute-file-name f)
                     read-string)))))

(define %tree (string-append %test-directory "/tree"))
(mkdir %tree)
(mkdir (string-append %tree "/target"))
(call-with-output-file (string-append %tree "/Cargo.toml")
  (lambda (port) (display "[package]\n" port)))
(call-with-output-file (string-append %tree "/target/junk")
  (lambda (port) (display "junk" port)))

(test-assert "local-file: a directory is added recursively, select? filters"
  (let* ((all (local-file->store-path %store (local-file %tree "tree")))
         (some (local-file->store-path
                %store
                (local-file %tree "tree"
                            #:select? (lambda (file stat)
                                        (not (string=? "target"
                                                       (basename file))))))))
    (and (file-exists? (store-real-path %store (string-append all "/target/junk")))
         (file-exists? (store-real-path %store (string-append some "/Cargo.toml")))
         (not (file-exists? (store-real-path %store
                                             (string-append some "/target"))))
         (not (string=? all some)))))


;; A selection of unchanged files added before is not copied again (the
;; stamp cache), and any change to a selected file is seen.
(let* ((tree (string-append %test-directory "/stamped"))
       (lower (lambda ()
                (local-file->store-path
                 %store
                 (local-file tree "stamped"
                             #:select? (lambda (file stat)
                                         (not (string=? "skipped"
                                                        (basename file))))))))
       (no-tmp (string-append %test-directory "/no-such-tmp"))
       (write-file (lambda (name text)
                     (call-with-output-file (string-append tree "/" name)
                       (lambda (port) (display text port)))))
       (lower-without-tmp (lambda ()
                            ;; Copying would need a temporary directory.
                            (let ((old (getenv "TMPDIR")))
                              (setenv "TMPDIR" no-tmp)
                              (let ((result (false-if-exception (lower))))
                                (if old (setenv "TMPDIR" old) (unsetenv "TMPDIR"))
                                result)))))
  (mkdir tree)
  (write-file "kept" "one")
  (write-file "skipped" "x")
  (let ((first (lower)))
    (test-equal "local-file select?: files written just now are copied each time"
      #f (lower-without-tmp))
    (sleep 2)
    (test-equal "... older ones: the first lowering copies, the next ones do not"
      (list first first) (list (lower) (lower-without-tmp)))
    (write-file "skipped" "y")
    (sleep 2)
    (test-equal "... a file left out may change" first (lower-without-tmp))
    (write-file "kept" "two")
    (sleep 2)
    (let ((second (lower)))
      (test-assert "... a selected file that changes gives a new item"
        (not (string=? first second)))
      (test-equal "... with the new contents" "two"
        (call-with-input-file (store-real-path %store (string-append second "/kept"))
          read-line))
      (test-equal "... itself cached in turn" second (lower-without-tmp)))))


;;;
;;; Bags and derivations.
;;;

(test-assert "package->bag: name, system, target and inputs"
  (let ((bag (package->bag e "aarch64-linux")))
    (and (string=? "e-1.0" (bag-name bag))
         (string=? "aarch64-linux" (bag-system bag))
         (not (bag-target bag))
         (equal? `(("d" ,d) ("a" ,a)) (bag-host-inputs bag))
         (equal? `(("b" ,b)) (bag-build-inputs bag)))))

(test-assert "package->bag: regular and propagated inputs are host inputs"
  (let ((bag (package->bag d)))
    (equal? `(("c" ,c) ("b" ,b)) (bag-host-inputs bag))))

(test-equal "bag-transitive-inputs: includes what inputs propagate"
  '("b" "d" "a" "c")
  (map car (bag-transitive-inputs (package->bag e))))

(test-assert "package-derivation: inputs become derivation inputs"
  (let* ((drv (package-derivation %store e))
         (inputs (map derivation-input-path (derivation-inputs drv))))
    (and (string-suffix? "-e-1.0.drv" (derivation-file-name drv))
         (every (lambda (p)
                  (member (derivation-file-name (package-derivation %store p))
                          inputs))
                (list a b c d))
         (string=? (derivation->output-path (package-derivation %store c))
                   (env-ref drv "in-c")))))

(test-assert "package-derivation: an output other than out"
  (let ((drv (package-derivation %store (dummy "f" #:inputs (list (list b "lib"))))))
    (string=? (derivation->output-path (package-derivation %store b) "lib")
              (env-ref drv "in-b"))))

(test-assert "package-derivation: memoised per store, package and system"
  (and (eq? (package-derivation %store e) (package-derivation %store e))
       (not (eq? (package-derivation %store e)
                 (package-derivation %store e "aarch64-linux")))
       (not (string=? (derivation-file-name (package-derivation %store e))
                      (derivation-file-name
                       (package-derivation %store e "aarch64-linux"))))))

(test-assert "package-cross-derivation: native and cross inputs"
  (let* ((tool (dummy "tool"))
         (drv (package-cross-derivation
               %store (dummy "x" #:native-inputs (list tool) #:inputs (list a))
               "aarch64-linux-gnu")))
    (and (string=? "aarch64-linux-gnu" (env-ref drv "target"))
         ;; Build inputs are native, host inputs are cross-built.
         (string=? (env-ref drv "in-tool")
                   (derivation->output-path (package-derivation %store tool)))
         (not (string=? (env-ref drv "in-a")
                        (derivation->output-path
                         (package-derivation %store a))))
         (string=? (env-ref drv "in-a")
                   (derivation->output-path
                    (package-cross-derivation %store a "aarch64-linux-gnu"))))))

(test-equal "package-output" (derivation->output-path
                              (package-derivation %store b) "lib")
  (package-output %store b "lib"))

(test-assert "package-derivation: an invalid input is a &package-input-error"
  (guard (c ((package-input-error? c)
             (and (equal? '("x" oops) (package-error-invalid-input c))
                  (string-contains (condition-message c) "invalid input"))))
    (package-derivation %store (dummy "g" #:inputs `(("x" oops))))
    #f))

(test-assert "package-derivation: a dependency cycle is an error"
  (letrec ((p (package
                (name "loop") (version "1")
                (build-system trivial-build-system)
                (inputs (list p)))))
    (catch #t
      (lambda () (package-derivation %store p) #f)
      (lambda (key . args)
        (string-contains (call-with-output-string
                           (lambda (port) (write args port)))
                         "cycle")))))

(test-assert "package-derivation: store files and other files as inputs"
  (let* ((item (add-text-to-store %store "text" "hello"))
         (drv (package-derivation
               %store (dummy "h" #:inputs `(("item" ,item)
                                            ("file" ,(string-append
                                                      %tree "/Cargo.toml")))))))
    (and (string=? item (env-ref drv "in-item"))
         (valid-path? %store (env-ref drv "in-file"))
         (member item (derivation-sources drv)))))


(test-end "packages")

(close-store %store)
(delete-test-directory %test-directory)

(exit-with-test-status)

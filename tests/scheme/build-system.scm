;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of (ferrix build-system): build systems, bags, the build-side item
;;; and build scripts.  Run from the source directory as:
;;;   GUILE_EXTENSIONS_PATH=build/guile \
;;;     guile -L modules -L build/modules --no-auto-compile tests/scheme/build-system.scm
;;; Needs the build-side directory (target ferrix-build-side).  Uses a store
;;; in a temporary directory.  Exits non-zero when a test fails.

(use-modules (ferrix tests)
             (ferrix build-system)
             (ferrix packages)
             (ferrix store)
             (ferrix derivations)
             (ferrix hash)
             ((ferrix build utils) #:prefix build:)
             ((ferrix build cargo-build-system) #:prefix build:)
             (srfi srfi-1)
             (srfi srfi-34)
             (srfi srfi-35)
             (srfi srfi-64)
             (ice-9 match)
             (ice-9 rdelim)
             ((ice-9 textual-ports) #:select (get-string-all)))


(define %test-directory
  (test-directory "build-system"))
(setenv "XDG_CACHE_HOME" (string-append %test-directory "/cache"))
(define %store (open-store #:root (string-append %test-directory "/store")))

(define (store-file-contents file)
  (call-with-input-file (store-real-path %store file) read-string))


;;;
;;; A build system that records how it is called.
;;;

(define %lower-calls '())

(define* (recording-lower name #:rest arguments)
  (set! %lower-calls (cons (cons name arguments) %lower-calls))
  (and (not (keyword-argument arguments #:target))
       (bag
         (name name)
         (system (keyword-argument arguments #:system))
         (host-inputs (keyword-argument arguments #:inputs))
         (build-inputs (keyword-argument arguments #:native-inputs))
         (build (lambda* (store name inputs #:rest rest)
                  (list 'built name inputs rest))))))

(define recording-build-system
  (build-system
    (name 'recording)
    (description "records its calls")
    (lower recording-lower)))

(define* (pkg name #:key (inputs '()) (propagated-inputs '())
              (native-inputs '()) (arguments '()) (properties '()))
  (package
    (name name)
    (version "1.0")
    (build-system recording-build-system)
    (inputs inputs)
    (propagated-inputs propagated-inputs)
    (native-inputs native-inputs)
    (arguments arguments)
    (properties properties)))


(test-begin "build-system")

(test-equal "build-system: fields"
  '(recording "records its calls" #t)
  (list (build-system-name recording-build-system)
        (build-system-description recording-build-system)
        (procedure? (build-system-lower recording-build-system))))

(test-equal "build-system: printer"
  "#<build-system recording>"
  (object->string recording-build-system))

(test-equal "make-bag: calls LOWER with the package's parts and its arguments"
  '("x-1.0" #:system "riscv64-linux" #:source src #:inputs (("i" 1))
    #:native-inputs (("n" 2)) #:outputs ("out" "doc") #:target #f
    #:properties ((crate-name . "x_y")) #:tests? #f)
  (begin
    (set! %lower-calls '())
    (make-bag recording-build-system "x-1.0"
              #:system "riscv64-linux" #:source 'src
              #:inputs '(("i" 1)) #:native-inputs '(("n" 2))
              #:outputs '("out" "doc") #:arguments '(#:tests? #f)
              #:properties '((crate-name . "x_y")))
    (car %lower-calls)))

(test-equal "bag: defaults"
  '(#f () () () ("out") ())
  (let ((b (bag (name "b") (system "x86_64-linux") (build 'build))))
    (list (bag-target b) (bag-build-inputs b) (bag-host-inputs b)
          (bag-target-inputs b) (bag-outputs b) (bag-arguments b))))

(test-equal "bag-direct-inputs: build, host, target"
  '("b" "h" "t")
  (map car (bag-direct-inputs (bag (name "b") (system "x86_64-linux")
                                   (build-inputs '(("b" 1)))
                                   (host-inputs '(("h" 2)))
                                   (target-inputs '(("t" 3)))
                                   (build 'build)))))

(define p1 (pkg "p1"))
(define p2 (pkg "p2" #:propagated-inputs (list p1)))
(define p3 (pkg "p3" #:inputs (list p2) #:native-inputs (list p1)))

(test-equal "package->bag: inputs and propagated inputs are host inputs"
  `(("p2" ,p2))
  (bag-host-inputs (package->bag p3)))

(test-equal "bag-transitive-inputs and friends follow propagated inputs"
  '(("p1" "p2") ("p1") ("p2" "p1") ())
  (let ((b (bag (name "b") (system "x86_64-linux")
                (build-inputs `(("p1" ,p1)))
                (host-inputs `(("p2" ,p2)))
                (build 'build))))
    (list (map car (bag-transitive-inputs b))
          (map car (bag-transitive-build-inputs b))
          (map car (bag-transitive-host-inputs b))
          (map car (bag-transitive-target-inputs b)))))

(test-assert "bag->derivation: BUILD gets the store, name, lowered inputs"
  ;; The recording build system's BUILD returns a list rather than a
  ;; derivation; its inputs are lowered the same way.
  (match (bag->derivation %store (package->bag p3))
    (('built "p3-1.0"
             (("p1" ('built "p1-1.0" () _) "out")
              ("p2" ('built "p2-1.0" (("p1" _ "out")) _) "out"))
             (#:system system #:outputs ("out")))
     (string=? system (%current-system)))
    (x (format #t "unexpected: ~s~%" x) #f)))

(test-assert "package->bag: #f from LOWER for a target is a cross-build error"
  (guard (c ((package-cross-build-system-error? c)
             (and (eq? p1 (package-error-package c))
                  (string-contains (condition-message c) "cross"))))
    (package->bag p1 "x86_64-linux" "aarch64-linux-gnu")
    #f))

(test-equal "strip-keyword-arguments"
  '(#:a 1 #:c 3)
  (strip-keyword-arguments '(#:b #:d) '(#:a 1 #:b 2 #:c 3 #:d 4)))

(test-equal "keyword-argument"
  '(2 #f default)
  (list (keyword-argument '(#:a 1 #:b 2) #:b)
        (keyword-argument '(#:a #f) #:a 'default)
        (keyword-argument '(#:a 1) #:z 'default)))

(test-assert "one system->triplet converter: (ferrix build-system) has no other"
  (not (module-variable (resolve-interface '(ferrix build-system))
                        'gnu-triplet->ferrix-system)))


;;;
;;; The build-side item.
;;;

(define item (build-side-item %store))

(test-assert "build-side-item: a valid store item with the launcher and modules"
  (and (valid-path? %store item)
       (string-suffix? "-ferrix-build-side" item)
       (every (lambda (file)
                (file-exists? (store-real-path %store
                                               (string-append item "/" file))))
              '("bin/ferrix"
                "share/guile/site/3.0/ferrix/records.scm"
                "share/guile/site/3.0/ferrix/build/utils.scm"
                "share/guile/site/3.0/ferrix/build/cargo-build-system.scm"))))

(test-assert "build-side-item: the content of the build-side directory"
  (equal? (nar-hash (build-side-directory))
          (path-info-hash (query-path-info %store item))))

(test-eq "build-side-item: once per store" item (build-side-item %store))

(test-assert "build-side-item: the same item in another store with the same directory"
  (let ((other (open-store #:root (string-append %test-directory "/other")
                           #:store-dir (store-directory %store))))
    (string=? (basename item) (basename (build-side-item other)))))


;;;
;;; Build scripts.
;;;

(define forms
  '((use-modules (ferrix build utils))
    (frob #:name "x" #:flags '("a" "b") #:phases (modify-phases x (delete 'y))
          #:n 42 #:ok? #f)))

(test-equal "write-build-script: one keyword argument a line, quoted data as '"
  "(use-modules (ferrix build utils))
(frob
 #:name \"x\"
 #:flags '(\"a\" \"b\")
 #:phases (modify-phases x (delete (quote y)))
 #:n 42
 #:ok? #f)
"
  (call-with-output-string (lambda (port) (write-build-script forms port))))

(test-assert "write-build-script: refuses what cannot be read back"
  (catch #t
    (lambda ()
      (write-build-script `((frob #:p ,p1)) (%make-void-port "w"))
      #f)
    (lambda (key . args)
      (string-contains (object->string args) "not plain data"))))

(define drv-a (package-derivation %store (package (inherit p1)
                                            (name "two-outputs")
                                            (build-system
                                             (build-system
                                               (name 'two)
                                               (description "")
                                               (lower
                                                (lambda* (name #:key system
                                                               #:allow-other-keys)
                                                  (bag
                                                    (name name)
                                                    (system system)
                                                    (outputs '("out" "lib"))
                                                    (build
                                                     (lambda* (store name inputs
                                                                     #:key system
                                                                     outputs
                                                                     #:allow-other-keys)
                                                       (derivation store name "/bin/sh" '()
                                                                   #:system system
                                                                   #:outputs outputs)))))))))))

(define source (add-text-to-store %store "source" "hello"))

(define drv
  (build-script->derivation %store "scripted" forms
                            #:system "aarch64-linux"
                            #:inputs `((,drv-a "out") (,source) (,drv-a "lib"))
                            #:outputs '("out" "doc")
                            #:env-vars '(("extra" . "1"))))

(define script (cadr (derivation-builder-arguments drv)))

(test-equal "build-script->derivation: the builder convention"
  (list (string-append item "/bin/ferrix") "build-side" "aarch64-linux")
  (list (derivation-builder drv)
        (car (derivation-builder-arguments drv))
        (derivation-system drv)))

(test-equal "build-script->derivation: environment"
  (list "0" (string-append item "/lib")
        (string-append item "/share/guile/site/3.0") "1"
        (derivation->output-path drv "doc"))
  (map (lambda (name)
         (assoc-ref (derivation-builder-environment-vars drv) name))
       '("GUILE_AUTO_COMPILE" "GUILE_EXTENSIONS_PATH" "GUILE_LOAD_PATH"
         "extra" "doc")))

(test-equal "build-script->derivation: the script reads back as the forms"
  forms
  (call-with-input-file (store-real-path %store script)
    (lambda (port)
      (let loop ((forms '()))
        (let ((form (read port)))
          (if (eof-object? form)
              (reverse forms)
              (loop (cons form forms))))))))

(test-assert "build-script->derivation: script named after the derivation, referring to sources"
  (and (string-suffix? "-scripted-builder" script)
       (lset= string=? (list item source) (references %store script))))

(test-assert "build-script->derivation: inputs merged, item and script are sources"
  (and (equal? (list (list (derivation-file-name drv-a) "lib" "out"))
               (map (lambda (input)
                      (cons (derivation-input-path input)
                            (sort (derivation-input-sub-derivations input)
                                  string<?)))
                    (derivation-inputs drv)))
       (lset= string=? (list source item script) (derivation-sources drv))))

(test-equal "build-script->derivation: same forms, same derivation"
  (derivation-file-name drv)
  (derivation-file-name
   (build-script->derivation %store "scripted" forms
                             #:system "aarch64-linux"
                             #:inputs `((,drv-a "lib") (,source) (,drv-a "out"))
                             #:outputs '("out" "doc")
                             #:env-vars '(("extra" . "1")))))


;;;
;;; The build side: (ferrix build utils) and the cargo phases' order.
;;;

;; system*/jobserver: what the per-crate build side runs rustc, build scripts
;; and tests with (posix_spawn, guile/process.cc).
(test-equal "system*/jobserver: the status, standard output and error to the current file ports"
  '(3 "out\n" "err\n")
  (let ((out (string-append %test-directory "/spawn-out"))
        (err (string-append %test-directory "/spawn-err")))
    (let ((status (with-output-to-file out
                    (lambda ()
                      (with-error-to-file err
                        (lambda ()
                          (build:system*/jobserver
                           "sh" "-c" "echo out; echo err >&2; exit 3")))))))
      (list (status:exit-val status)
            (call-with-input-file out get-string-all)
            (call-with-input-file err get-string-all)))))

(test-equal "system*/jobserver: a program that cannot start exits 127, saying why"
  '(127 #t)
  (let* ((err (string-append %test-directory "/spawn-err"))
         (status (with-error-to-file err
                   (lambda ()
                     (build:system*/jobserver "/nonexistent/ferrix-program")))))
    (list (status:exit-val status)
          (and (string-contains (call-with-input-file err get-string-all)
                                "/nonexistent/ferrix-program")
               #t))))

;; (ferrix build sys-crates)'s check for a crate's bundled sources, through
;; directory-entries of (ferrix build utils).
(define non-empty-directory?
  (@@ (ferrix build sys-crates) non-empty-directory?))

(test-equal "non-empty-directory?: missing, empty, non-empty, unreadable"
  '(#f #f #t #f)
  (let ((dir (string-append %test-directory "/bundled")))
    (build:delete-file-recursively dir)
    (let ((missing (non-empty-directory? dir)))
      (mkdir dir)
      (let ((empty (non-empty-directory? dir)))
        (call-with-output-file (string-append dir "/file") (const #t))
        (let ((full (non-empty-directory? dir)))
          (chmod dir #o000)
          ;; root reads it anyway.
          (let ((unreadable (and (not (zero? (getuid)))
                                 (non-empty-directory? dir))))
            (chmod dir #o755)
            (list missing empty full unreadable)))))))

(test-equal "directory-entries: sorted, without . and .., those SELECT? accepts"
  '(("a" "b.rmeta" "c.rmeta") ("b.rmeta" "c.rmeta"))
  (let ((dir (string-append %test-directory "/entries")))
    (build:delete-file-recursively dir)
    (mkdir dir)
    (for-each (lambda (f)
                (call-with-output-file (string-append dir "/" f) (const #t)))
              '("c.rmeta" "a" "b.rmeta"))
    (list (build:directory-entries dir)
          (build:directory-entries dir (lambda (f)
                                         (string-suffix? ".rmeta" f))))))

(define %phases
  `((a . ,(lambda* (#:key log #:allow-other-keys) (log 'a)))
    (b . ,(lambda* (#:key log #:allow-other-keys) (log 'b)))
    (c . ,(lambda* (#:key log #:allow-other-keys) (log 'c)))))

(define-syntax-rule (phase-names exp)
  (map car exp))

(test-equal "modify-phases: add-before, add-after, replace, delete"
  '((x a b y) (a c) (a b c))
  (list (phase-names
         (build:modify-phases %phases
           (add-before 'a 'x (const 'x))
           (add-after 'b 'y (const 'y))
           (delete 'c)))
        (phase-names (build:modify-phases %phases (delete 'b) (delete 'nope)))
        (phase-names (build:modify-phases %phases
                       (replace 'b (const 'new))))))

(test-assert "modify-phases: naming a missing phase is an error"
  (every (lambda (thunk)
           (guard (c ((message-condition? c)
                      (string-contains (condition-message c) "nope")))
             (thunk)
             #f))
         (list (lambda () (build:modify-phases %phases (replace 'nope #f)))
               (lambda () (build:modify-phases %phases (add-after 'nope 'x #f)))
               (lambda () (build:modify-phases %phases (add-before 'nope 'x #f))))))

(test-equal "run-phases: in order, with every keyword argument, reporting each"
  '((a b c)
    "starting phase `a'\nphase `a' succeeded after 0.0 seconds\n\
starting phase `b'\nphase `b' succeeded after 0.0 seconds\n\
starting phase `c'\nphase `c' succeeded after 0.0 seconds\n")
  (let* ((log '())
         (output (with-output-to-string
                   (lambda ()
                     (build:run-phases %phases
                                       #:log (lambda (x)
                                               (set! log (cons x log)))
                                       #:other 1)))))
    (list (reverse log) output)))

(test-assert "run-phases: a failing phase stops the loop and its error goes through"
  (let ((ran '()))
    (and (guard (c ((build:invoke-error? c)
                    (equal? '("-c" "exit 3") (build:invoke-error-arguments c))))
           (with-output-to-string
             (lambda ()
               (with-error-to-string
                (lambda ()
                  (build:run-phases
                   `((fail . ,(lambda _ (build:invoke "sh" "-c" "exit 3")))
                     (after . ,(lambda _ (set! ran '(after)))))))))))
         (null? ran))))

(test-equal "invoke: an &invoke-error with the exit status"
  '(#t "false" () 1)
  (list (build:invoke "true")
        (guard (c ((build:invoke-error? c) (build:invoke-error-program c)))
          (build:invoke "false"))
        (guard (c ((build:invoke-error? c) (build:invoke-error-arguments c)))
          (build:invoke "false"))
        (guard (c ((build:invoke-error? c) (build:invoke-error-exit-status c)))
          (build:invoke "false"))))

(test-equal "with-directory-excursion, mkdir-p, substitute*, copy-recursively"
  '("/" "version = \"2.0\"\nname = \"x\"\n" "version = \"2.0\"\nname = \"x\"\n")
  (let ((dir (string-append %test-directory "/work/a/b")))
    (build:mkdir-p dir)
    (build:with-directory-excursion dir
      (call-with-output-file "Cargo.toml"
        (lambda (port) (display "version = \"1.0\"\nname = \"x\"\n" port)))
      (build:substitute* "Cargo.toml"
        (("version = \"([0-9]+)\\.([0-9]+)\"" all major minor)
         "version = \"2.0\"")))
    (build:copy-recursively (string-append %test-directory "/work")
                            (string-append %test-directory "/copy"))
    (list (build:with-directory-excursion "/" (getcwd))
          (call-with-input-file (string-append dir "/Cargo.toml") read-string)
          (call-with-input-file (string-append %test-directory
                                               "/copy/a/b/Cargo.toml")
            read-string))))

(test-equal "cargo-build-system: the standard phases, in order"
  '(set-paths unpack configure build check install)
  (map car build:%standard-phases))


;;;
;;; The per-crate mode: a path package's own item.
;;;

(test-group "a path package's item holds its files, not the other path packages'"
  (let* ((package->store (@@ (ferrix build-system cargo-units)
                             package-tree->store))
         (dir (string-append %test-directory "/member"))
         (write-file (lambda (file text)
                       (build:mkdir-p (dirname (string-append dir "/" file)))
                       (with-output-to-file (string-append dir "/" file)
                         (lambda () (display text)))))
         (has? (lambda (item file)
                 (file-exists? (store-real-path %store
                                                (string-append item "/" file))))))
    (write-file "Cargo.toml" "[package]\nname = \"member\"\n")
    (write-file "src/lib.rs" "")
    (write-file "data/words.txt" "a b c\n")
    (write-file "target/release/junk" "stale\n")
    (write-file "inner/Cargo.toml" "[package]\nname = \"inner\"\n")
    (write-file "inner/src/lib.rs" "")
    (write-file "tests/fixtures/proj/Cargo.toml" "[package]\nname = \"proj\"\n")
    (write-file "../README.md" "read me\n")
    (symlink "../README.md" (string-append dir "/README.md"))
    (let ((item (package->store %store "member-0.1.0" dir
                                (list (string-append dir "/inner")))))
      (test-assert "its sources and data"
        (and (has? item "Cargo.toml") (has? item "src/lib.rs")
             (has? item "data/words.txt")))
      (test-assert "not target/, not a path package of the graph below it"
        (not (or (has? item "target") (has? item "inner"))))
      (test-assert "a fixture with a Cargo.toml that is no path package kept"
        (has? item "tests/fixtures/proj/Cargo.toml"))
      (test-equal "a link out of the package copied as the file it names"
        "read me\n"
        (call-with-input-file
            (store-real-path %store (string-append item "/README.md"))
          get-string-all))
      (write-file "target/release/more" "stale\n")
      (write-file "inner/src/lib.rs" "// edited\n")
      (test-equal "by content: target/ and the inner package change nothing" item
        (package->store %store "member-0.1.0" dir
                        (list (string-append dir "/inner"))))
      (write-file "src/lib.rs" "// edited\n")
      (test-assert "an edit to it: another item"
        (not (equal? item (package->store %store "member-0.1.0" dir
                                          (list (string-append dir "/inner")))))))))

(test-end "build-system")

(close-store %store)
(delete-test-directory %test-directory)

(exit-with-test-status)

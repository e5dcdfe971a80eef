;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of (ferrix derivations): the derivations "bar", "foo" and
;;; "has-multi-out" of doc/formats.md, section 7 (rows 17-20, the .drv
;;; and output paths nix-instantiate gives), records and accessors, reading
;;; back, sources, errors, and the same .drv in another guile process.  Run
;;; by CTest with the build tree's modules and extension; exits non-zero when
;;; a test fails.

(use-modules (ferrix tests)
             (ferrix derivations)
             (ferrix store)
             (ferrix base32)
             (srfi srfi-1)
             (srfi srfi-64)
             (ice-9 popen)
             (ice-9 rdelim)
             (rnrs bytevectors))


(define %tmp
  (test-directory "drv"))

;; The spec's derivations, as a procedure of a store root so that another
;; process can run the very same code.  Returns the derivations bar, foo and
;; has-multi-out.
(define %recipe
  '(lambda (root)
     (let* ((store (open-store #:root root #:store-dir "/nix/store"))
            (bar   (derivation store "bar" ":" '()
                               #:system ":"
                               #:hash (base16-string->bytevector
                                       "08813cbee9903c62be4c5027726a418a300da4500b2d369d3af9286f4815ceba")
                               #:hash-algo 'sha256
                               #:recursive? #t))
            (foo   (derivation store "foo" ":" '()
                               #:system ":"
                               #:inputs `((,bar "out"))
                               #:env-vars `(("bar" . ,(derivation->output-path bar)))))
            (multi (derivation store "has-multi-out" ":" '()
                               #:system ":"
                               #:outputs '("out" "lib"))))
       (close-store store)
       (list bar foo multi))))

(define run-recipe (eval %recipe (current-module)))

(test-begin "derivations")

(define %drvs (run-recipe (string-append %tmp "/root")))
(define %bar (first %drvs))
(define %foo (second %drvs))
(define %multi (third %drvs))

(test-group "spec vectors (what nix-instantiate gives)"
  (test-equal "bar: .drv (row 17)"
    "/nix/store/0hm2f1psjpcwg8fijsmr4wwxrx59s092-bar.drv" (derivation-file-name %bar))
  (test-equal "bar: out (row 17)"
    "/nix/store/4q0pg5zpfmznxscq3avycvf9xdvx50n3-bar" (derivation->output-path %bar))
  (test-equal "foo: .drv (row 19)"
    "/nix/store/4wvvbi4jwn0prsdxb7vs673qa5h9gr7x-foo.drv" (derivation-file-name %foo))
  (test-equal "foo: out (row 19)"
    "/nix/store/5vyvcwah9l9kf07d52rcgdk70g2f4y13-foo" (derivation->output-path %foo))
  (test-equal "has-multi-out: outputs and .drv (row 20)"
    '("/nix/store/2vixb94v0hy2xc6p7mbnxxcyc095yyia-has-multi-out-lib"
      "/nix/store/55lwldka5nyxa08wnvlizyqw02ihy8ic-has-multi-out"
      "/nix/store/h32dahq0bx5rp1krcdx3a53asj21jvhk-has-multi-out.drv")
    (list (derivation->output-path %multi "lib")
          (derivation->output-path %multi)
          (derivation-file-name %multi)))
  (test-equal "bar: environment (the spec's exact ATerm)"
    '(("builder" . ":") ("name" . "bar")
      ("out" . "/nix/store/4q0pg5zpfmznxscq3avycvf9xdvx50n3-bar")
      ("outputHash" . "08813cbee9903c62be4c5027726a418a300da4500b2d369d3af9286f4815ceba")
      ("outputHashAlgo" . "sha256") ("outputHashMode" . "recursive") ("system" . ":"))
    (derivation-builder-environment-vars %bar)))

(test-group "records"
  (test-assert "derivation?" (and (derivation? %foo) (not (derivation? "x"))))
  (test-equal "system and builder" '(":" ":")
    (list (derivation-system %foo) (derivation-builder %foo)))
  (test-equal "arguments" '() (derivation-builder-arguments %foo))
  (test-equal "derivation-name" "has-multi-out" (derivation-name %multi))
  (test-equal "output names, sorted" '("lib" "out") (derivation-output-names %multi))
  (test-equal "derivation->output-paths"
    '(("lib" . "/nix/store/2vixb94v0hy2xc6p7mbnxxcyc095yyia-has-multi-out-lib")
      ("out" . "/nix/store/55lwldka5nyxa08wnvlizyqw02ihy8ic-has-multi-out"))
    (derivation->output-paths %multi))
  (test-equal "multi: \"outputs\" in the environment, in the order given"
    "out lib" (assoc-ref (derivation-builder-environment-vars %multi) "outputs"))
  (let ((out (assoc-ref (derivation-outputs %bar) "out")))
    (test-equal "fixed output: hash algo, recursive?, hash"
      (list 'sha256 #t "08813cbee9903c62be4c5027726a418a300da4500b2d369d3af9286f4815ceba")
      (list (derivation-output-hash-algo out) (derivation-output-recursive? out)
            (bytevector->base16-string (derivation-output-hash out)))))
  (test-assert "fixed-output-derivation?"
    (and (fixed-output-derivation? %bar) (not (fixed-output-derivation? %foo))))
  (test-equal "input-addressed output: no hash" '(#f #f #f)
    (let ((out (assoc-ref (derivation-outputs %foo) "out")))
      (list (derivation-output-hash-algo out) (derivation-output-hash out)
            (derivation-output-recursive? out))))
  (let ((inputs (derivation-inputs %foo)))
    (test-equal "inputs" (list (list (derivation-file-name %bar) "out"))
      (map (lambda (input)
             (cons (derivation-input-path input) (derivation-input-sub-derivations input)))
           inputs)))
  (test-equal "the input's output in the environment"
    (derivation->output-path %bar)
    (assoc-ref (derivation-builder-environment-vars %foo) "bar"))
  (test-equal "no output \"dev\""
    'bad-derivation
    (car (ferrix-error-of (lambda () (derivation->output-path %foo "dev")))))
  (test-assert "derivation-path?" (derivation-path? (derivation-file-name %foo))))

(define %store (open-store #:root (string-append %tmp "/root")))

(define (fields drv)
  (list (derivation-file-name drv) (derivation->output-paths drv)
        (map (lambda (input)
               (cons (derivation-input-path input) (derivation-input-sub-derivations input)))
             (derivation-inputs drv))
        (derivation-sources drv) (derivation-system drv) (derivation-builder drv)
        (derivation-builder-arguments drv) (derivation-builder-environment-vars drv)))

(test-group "reading back"
  (test-equal "read-derivation-from-store"
    (fields %foo) (fields (read-derivation-from-store %store (derivation-file-name %foo))))
  (test-equal "read-derivation-from-file, fixed output"
    (cdr (fields %bar))
    (cdr (fields (read-derivation-from-file
                  (store-real-path %store (derivation-file-name %bar))))))
  (test-equal "derivation-input-output-paths"
    (list (derivation->output-path %bar))
    (derivation-input-output-paths (car (derivation-inputs %foo)) %store))
  (test-equal "the .drv refers to its input derivations"
    (list (derivation-file-name %bar))
    (references %store (derivation-file-name %foo))))

(test-group "inputs, sources, hashes"
  (let* ((src (add-text-to-store %store "builder.sh" "echo hi > $out\n"))
         (drv (derivation %store "with-src" "/bin/sh" (list src)
                          #:system "x86_64-linux"
                          #:inputs `((,src) (,(derivation-file-name %foo)))
                          #:env-vars '(("A" . "1") ("B" . "two\nlines")))))
    (test-equal "(STORE-PATH) is a source" (list src) (derivation-sources drv))
    (test-equal "(DRV-FILE) means its \"out\""
      (list (list (derivation-file-name %foo) "out"))
      (map (lambda (input)
             (cons (derivation-input-path input) (derivation-input-sub-derivations input)))
           (derivation-inputs drv)))
    (test-equal "references: sources and input derivations"
      (sort (list src (derivation-file-name %foo)) string<?)
      (sort (references %store (derivation-file-name drv)) string<?))
    (test-equal "arguments" (list src) (derivation-builder-arguments drv))
    (test-equal "environment with escapes read back"
      "two\nlines"
      (assoc-ref (derivation-builder-environment-vars
                  (read-derivation-from-store %store (derivation-file-name drv)))
                 "B"))
    (test-equal "same inputs, same derivation"
      (derivation-file-name drv)
      (derivation-file-name
       (derivation %store "with-src" "/bin/sh" (list src)
                   #:system "x86_64-linux"
                   #:inputs `((,src) (,%foo "out"))
                   #:env-vars '(("A" . "1") ("B" . "two\nlines"))))))
  (test-equal "a hash in nix32 gives the same derivation as a bytevector"
    (derivation-file-name %bar)
    (derivation-file-name
     (derivation %store "bar" ":" '()
                 #:system ":"
                 #:hash (bytevector->nix-base32-string
                         (base16-string->bytevector
                          "08813cbee9903c62be4c5027726a418a300da4500b2d369d3af9286f4815ceba"))
                 #:recursive? #t)))
  (let ((flat (derivation %store "flat" ":" '()
                          #:hash (base16-string->bytevector (make-string 40 #\a))
                          #:hash-algo 'sha1)))
    (test-equal "flat fixed output: mode and algo"
      '("flat" "sha1" #f sha1)
      (list (assoc-ref (derivation-builder-environment-vars flat) "outputHashMode")
            (assoc-ref (derivation-builder-environment-vars flat) "outputHashAlgo")
            (derivation-output-recursive? (assoc-ref (derivation-outputs flat) "out"))
            (derivation-output-hash-algo (assoc-ref (derivation-outputs flat) "out")))))
  (test-equal "default system" (%current-system)
    (derivation-system (derivation %store "sys" "/bin/sh" '()))))

(test-group "errors"
  (test-equal "an input derivation that is not in the store"
    'sys-error
    (car (ferrix-error-of
          (lambda ()
            (derivation %store "x" "/bin/sh" '()
                        #:inputs '(("/nix/store/00000000000000000000000000000000-y.drv")))))))
  (test-equal "a source that is not valid"
    'invalid-path
    (car (ferrix-error-of
          (lambda ()
            (derivation %store "x" "/bin/sh" '()
                        #:inputs '(("/nix/store/00000000000000000000000000000000-src")))))))
  (test-equal "an input derivation without the output asked for"
    '(bad-derivation "input derivation '/nix/store/4wvvbi4jwn0prsdxb7vs673qa5h9gr7x-foo.drv' has no output 'dev'")
    (ferrix-error-of (lambda () (derivation %store "x" "/bin/sh" '() #:inputs `((,%foo "dev"))))))
  (test-equal "no outputs" 'bad-derivation
    (car (ferrix-error-of (lambda () (derivation %store "x" "/bin/sh" '() #:outputs '())))))
  (test-equal "hash of the wrong size" 'bad-hash
    (car (ferrix-error-of
          (lambda () (derivation %store "x" "/bin/sh" '() #:hash (make-bytevector 3 0))))))
  (test-equal "fixed output with two outputs" 'bad-derivation
    (car (ferrix-error-of
          (lambda ()
            (derivation %store "x" "/bin/sh" '() #:hash (make-bytevector 32 0)
                        #:outputs '("out" "doc"))))))
  (test-equal "bad name" 'bad-derivation
    (car (ferrix-error-of (lambda () (derivation %store "a b" "/bin/sh" '())))))
  (test-error "arguments must be strings" 'wrong-type-arg
    (derivation %store "x" "/bin/sh" '(1)))
  (test-error "a bad input" 'wrong-type-arg
    (derivation %store "x" "/bin/sh" '() #:inputs '(42))))

(test-group "systems"
  (test-equal "gnu-triplet->nix-system"
    '("x86_64-linux" "i686-linux" "aarch64-linux")
    (map gnu-triplet->nix-system
         '("x86_64-pc-linux-gnu" "i586-pc-linux-gnu" "aarch64-unknown-linux-gnu")))
  ;; The one converter: %current-system's default and the cargo build
  ;; system's platform look-up both go through it.
  (test-equal "gnu-triplet->nix-system: the triplets of the systems ferrix knows"
    '(("x86_64-linux-gnu" . "x86_64-linux")
      ("x86_64-pc-linux-gnu" . "x86_64-linux")
      ("x86_64-unknown-linux-gnu" . "x86_64-linux")
      ("i686-linux-gnu" . "i686-linux")
      ("i386-pc-linux-gnu" . "i686-linux")
      ("i486-pc-linux-gnu" . "i686-linux")
      ("i586-unknown-linux-gnu" . "i686-linux")
      ("arm-linux-gnueabihf" . "armhf-linux")
      ("armv7-unknown-linux-gnueabihf" . "armhf-linux")
      ("aarch64-linux-gnu" . "aarch64-linux")
      ("aarch64-unknown-linux-gnu" . "aarch64-linux")
      ("mips64el-linux-gnu" . "mips64el-linux")
      ("mips64el-unknown-linux-gnuabi64" . "mips64el-linux")
      ("powerpc-linux-gnu" . "powerpc-linux")
      ("powerpc64le-linux-gnu" . "powerpc64le-linux")
      ("riscv64-linux-gnu" . "riscv64-linux")
      ("i586-pc-gnu" . "i586-gnu")
      ("i686-pc-gnu" . "i586-gnu")
      ("i586-pc-gnu0.3" . "i586-gnu")
      ("x86_64-pc-gnu" . "x86_64-gnu")
      ("powerpc64-linux-gnu" . "powerpc64-linux")
      ("loongarch64-linux-gnu" . "loongarch64-linux")
      ("x86_64-linux-gnux32" . "x86_64-linux")
      ;; No Linux, no Hurd: left as they are.
      ("i686-w64-mingw32" . "i686-w64-mingw32")
      ("x86_64-w64-mingw32" . "x86_64-w64-mingw32")
      ("vax-bsd" . "vax-bsd"))
    (map (lambda (triplet) (cons triplet (gnu-triplet->nix-system triplet)))
         '("x86_64-linux-gnu" "x86_64-pc-linux-gnu" "x86_64-unknown-linux-gnu"
           "i686-linux-gnu" "i386-pc-linux-gnu" "i486-pc-linux-gnu"
           "i586-unknown-linux-gnu" "arm-linux-gnueabihf"
           "armv7-unknown-linux-gnueabihf" "aarch64-linux-gnu"
           "aarch64-unknown-linux-gnu" "mips64el-linux-gnu"
           "mips64el-unknown-linux-gnuabi64" "powerpc-linux-gnu"
           "powerpc64le-linux-gnu" "riscv64-linux-gnu" "i586-pc-gnu"
           "i686-pc-gnu" "i586-pc-gnu0.3" "x86_64-pc-gnu" "powerpc64-linux-gnu"
           "loongarch64-linux-gnu" "x86_64-linux-gnux32" "i686-w64-mingw32"
           "x86_64-w64-mingw32" "vax-bsd")))
  (test-equal "gnu-triplet->nix-system: a system name is returned as is"
    '("x86_64-linux" "i686-linux" "armhf-linux" "aarch64-linux"
      "mips64el-linux" "powerpc-linux" "powerpc64le-linux" "riscv64-linux"
      "i586-gnu" "x86_64-gnu")
    (map gnu-triplet->nix-system
         '("x86_64-linux" "i686-linux" "armhf-linux" "aarch64-linux"
           "mips64el-linux" "powerpc-linux" "powerpc64le-linux" "riscv64-linux"
           "i586-gnu" "x86_64-gnu")))
  (test-equal "%current-system is the host's triplet converted"
    (gnu-triplet->nix-system %host-type)
    (%current-system))
  (test-assert "%current-system looks like CPU-KERNEL"
    (string-index (%current-system) #\-)))

;; The same .drv files in a fresh guile process, with another store root.
(define (run-in-other-process root)
  (let* ((guile (or (getenv "GUILE") "guile"))
         (code  (format #f "(use-modules (ferrix store) (ferrix derivations) (ferrix base32))
                            (for-each (lambda (drv)
                                        (display (derivation-file-name drv)) (newline))
                                      (~s ~s))"
                        %recipe root)))
    (setenv "GUILE_LOAD_PATH" (string-join %load-path ":"))
    (setenv "GUILE_LOAD_COMPILED_PATH" (string-join %load-compiled-path ":"))
    (let* ((port  (open-pipe* OPEN_READ guile "--no-auto-compile" "-c" code))
           (lines (let loop ((acc '()))
                    (let ((line (read-line port)))
                      (if (eof-object? line) (reverse acc) (loop (cons line acc))))))
           (status (close-pipe port)))
      (and (zero? (status:exit-val status)) lines))))

(test-equal "determinism: another process, another root"
  (map derivation-file-name %drvs)
  (run-in-other-process (string-append %tmp "/other-root")))

(test-end "derivations")

(close-store %store)
(delete-test-directory %tmp)
(exit-with-test-status)

;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of the unit graph primitives (guile/units.cc) on examples/wordfreq
;;; with Debian's registry as the crates at hand; tests/cargo/unit-graph.sh
;;; compares the graphs themselves with cargo's.

(use-modules (ferrix tests)
             (ice-9 popen)
             (ice-9 rdelim)
             (ice-9 regex)
             (srfi srfi-1)
             (srfi srfi-64))

(load-extension "libguile-ferrix" "init_ferrix")

(define %source-directory
  (dirname (dirname (dirname (current-filename)))))

(define %wordfreq (string-append %source-directory "/examples/wordfreq"))
(define %registry "/usr/share/cargo/registry")

(define (rustc-cfg)
  (let* ((port (open-pipe* OPEN_READ "rustc" "--print" "cfg"))
         (text (read-string port)))
    (close-pipe port)
    text))

(define (registry-crates)
  (filter-map (lambda (name)
                (let ((dir (string-append %registry "/" name)))
                  (and (file-exists? (string-append dir "/Cargo.toml"))
                       (list dir #f #f))))
              (scandir* %registry)))

(define (scandir* dir)
  (let ((d (opendir dir)))
    (let loop ((names '()))
      (let ((name (readdir d)))
        (if (eof-object? name)
            (begin (closedir d) (sort names string<?))
            (loop (if (member name '("." "..")) names (cons name names))))))))

;; A copy without Cargo.lock: the graph then comes from the crates at hand.
(define %root
  (let ((dir (test-directory "units")))
    (system* "cp" "-r" %wordfreq (string-append dir "/wordfreq"))
    (false-if-exception (delete-file (string-append dir "/wordfreq/Cargo.lock")))
    (string-append dir "/wordfreq")))

(define %options
  `((host . "x86_64-unknown-linux-gnu")
    (host-cfg . ,(rustc-cfg))
    (cargo-version . "1.95.0")))

(define (unit-ref unit key) (assq-ref unit key))

(test-begin "units")

(define graph (%crate-unit-graph %root (registry-crates) %options))
(define units (unit-graph-units graph))

(test-assert "a vector of units" (and (vector? units) (> (vector-length units) 5)))

(test-group "the root"
  (let ((roots (filter (lambda (u) (unit-ref u 'root?)) (vector->list units))))
    (test-equal "one root, wordfreq's binary"
      '(("wordfreq" bin build))
      (map (lambda (u) (list (unit-ref u 'package) (unit-ref u 'kind) (unit-ref u 'mode)))
           roots))
    (test-equal "it is the last unit" (vector-length units)
      (+ 1 (list-index (lambda (u) (unit-ref u 'root?)) (vector->list units))))))

(test-group "units"
  (test-assert "dependencies come first"
    (every (lambda (i)
             (every (lambda (d) (< d i)) (unit-ref (vector-ref units i) 'deps)))
           (iota (vector-length units))))
  (let ((regex (find (lambda (u) (equal? (unit-ref u 'package) "regex"))
                     (vector->list units))))
    (test-equal "regex: a library, with the features wordfreq asks for"
      '(lib ("lib") #t #t)
      (list (unit-ref regex 'kind) (unit-ref regex 'crate-types)
            (and (member "std" (unit-ref regex 'features)) #t)
            (and (member "unicode" (unit-ref regex 'features)) #t)))
    (test-assert "a 16-hex metadata hash"
      (string-match "^[0-9a-f]{16}$" (unit-ref regex 'metadata))))
  (test-assert "a build script's run depends on its compilation, for the host"
    (any (lambda (u)
           (and (eq? (unit-ref u 'mode) 'run-custom-build)
                (let ((script (vector-ref units (car (unit-ref u 'deps)))))
                  (and (eq? (unit-ref script 'kind) 'custom-build)
                       (eq? (unit-ref script 'mode) 'build)
                       (unit-ref script 'host?)))))
         (vector->list units))))

(test-group "JSON"
  (let ((json (unit-graph->json graph)))
    (test-assert "cargo's shape"
      (and (string-prefix? "{" json)
           (string-contains json "\"roots\":[")
           (string-contains json "\"version\":1")))))

(test-group "invocations"
  (let* ((n (vector-length units))
         (outputs (list->vector
                   (map (lambda (i) (string-append "/unit-" (number->string i)))
                        (iota n))))
         (root (- n 1))
         (inv (unit-invocation graph root outputs "/out" %options))
         (args (assq-ref inv 'args)))
    (test-equal "the root: rustc compiling wordfreq's binary" "wordfreq"
      (cadr (member "--crate-name" args)))
    (test-assert "its dependencies' outputs are named"
      (any (lambda (arg) (string-prefix? "dependency=/unit-" arg)) args))
    (test-assert "an environment of string pairs"
      (and (pair? (assq-ref inv 'env))
           (every (lambda (p) (and (string? (car p)) (string? (cdr p))))
                  (assq-ref inv 'env))))
    (test-equal "a missing output is an error" 'error
      (car (ferrix-error-of
            (lambda ()
              (unit-invocation graph root (make-vector n #f) "/out" %options)))))
    (let ((run (list-index (lambda (u) (eq? (unit-ref u 'mode) 'run-custom-build))
                           (vector->list units))))
      (test-assert "a build script's run runs the compiled script"
        (string-prefix? (vector-ref outputs (car (unit-ref (vector-ref units run) 'deps)))
                        (assq-ref (unit-invocation graph run outputs "/out" %options)
                                  'program))))))

(test-group "errors"
  (test-equal "a missing crate names the dependent, the requirement and what is at hand"
    'error
    (car (ferrix-error-of
          (lambda () (%crate-unit-graph %root '() %options)))))
  (test-assert "the message names clap"
    (string-contains (cadr (ferrix-error-of
                            (lambda () (%crate-unit-graph %root '() %options))))
                     "wordfreq 0.1.0"))
  (test-error "not a graph" #t (unit-graph-units 42)))

(test-group "the linker a package configures"
  ;; As the whole-package mode's cargo reads it: ROOT/.cargo/config(.toml).
  (let ((root (string-append (dirname %root) "/configured")))
    (mkdir root)
    (test-equal "no configuration: no linker" #f
      (%cargo-config-linker root "aarch64-unknown-linux-gnu"))
    (mkdir (string-append root "/.cargo"))
    (with-output-to-file (string-append root "/.cargo/config.toml")
      (lambda ()
        (display "[target.aarch64-unknown-linux-gnu]
linker = \"aarch64-linux-gnu-gcc\"
[target.riscv64gc-unknown-linux-gnu]
linker = \"tools/riscv-cc\"
[target.'cfg(unix)']
rustflags = [\"-Cx\"]
")))
    (test-equal "a bare name, looked up on PATH" "aarch64-linux-gnu-gcc"
      (%cargo-config-linker root "aarch64-unknown-linux-gnu"))
    (test-equal "a path with a slash, from the package's directory"
      (string-append root "/tools/riscv-cc")
      (%cargo-config-linker root "riscv64gc-unknown-linux-gnu"))
    (test-equal "another triple: none" #f
      (%cargo-config-linker root "x86_64-unknown-linux-gnu"))
    (with-output-to-file (string-append root "/.cargo/config")
      (lambda ()
        (display "[target.aarch64-unknown-linux-gnu]\nlinker = \"cc-from-config\"\n")))
    (test-equal ".cargo/config first, as cargo prefers it" "cc-from-config"
      (%cargo-config-linker root "aarch64-unknown-linux-gnu"))
    (with-output-to-file (string-append root "/.cargo/config")
      (lambda ()
        (display "[target.aarch64-unknown-linux-gnu]\nlinker = 5\n")))
    (test-assert "a linker that is not a string: an error naming the place"
      (string-contains (cadr (ferrix-error-of
                              (lambda ()
                                (%cargo-config-linker
                                 root "aarch64-unknown-linux-gnu"))))
                       "/.cargo/config:2:10: target.aarch64-unknown-linux-gnu.linker must be a string"))))

(test-end "units")
(delete-test-directory (dirname %root))
(exit-with-test-status)

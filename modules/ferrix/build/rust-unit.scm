;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix build rust-unit): the build side of one compilation unit of the
;;; per-crate mode (doc/per-crate.md): a library, a binary or a test compiled
;;; by rustc, a build script compiled, or a build script run.  The host side,
;;; (ferrix build-system cargo), writes into the build script the unit's
;;; invocation as (ferrix cargo units) makes it: the program, its arguments,
;;; its environment and directory, with PLACEHOLDER standing for the unit's
;;; own output, and the build script runs it uses as store items with what to
;;; take from each.  Directives are read by the C++ of build-script.cc through
;;; the primitives of guile/cargo.cc, so that they mean what they mean to
;;; cargo.

(define-module (ferrix build rust-unit)
  #:use-module (ferrix build utils)
  #:use-module ((ferrix build sys-crates) #:select (system-library-switch))
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-11)
  #:use-module (srfi srfi-26)
  #:use-module (srfi srfi-34)
  #:use-module (srfi srfi-35)
  #:use-module (ice-9 match)
  ;; Not (ice-9 ftw) nor (ice-9 textual-ports): every unit loads this module,
  ;; and they cost it 2 to 3 ms.
  #:use-module ((ice-9 rdelim) #:select (read-line read-string))
  #:use-module ((ice-9 exceptions)
                #:select (exception-with-message? exception-message
                          exception-with-irritants? exception-irritants))
  #:export (rust-unit-build
            rust-package-install
            directives-arguments
            directives-environment
            link-arg-applies?
            envify
            read-directives))

(eval-when (expand load eval)
  (load-extension "libguile-ferrix" "init_ferrix_cargo"))

;;; Commentary:
;;;
;;; The scripts a unit uses, (ITEM WHAT LINKS), ITEM the output of a build
;;; script run:
;;;
;;;   own          the unit's package's script: --cfg, --check-cfg, its
;;;                rustc-env variables and OUT_DIR, -l (when cargo passes
;;;                them: the library, or any target of a package without
;;;                one), -L, and -C link-arg= for the link arguments that
;;;                apply to the unit's target;
;;;   link-search  a dependency's script: its -L (and cdylib link arguments
;;;                when the unit is a cdylib, which cargo allows);
;;;   metadata     for a build script run, a direct dependency's script whose
;;;                package has `links = LINKS': DEP_<LINKS>_<KEY>=VALUE.
;;;
;;; A run's output is out/ (OUT_DIR), output (the script's standard output)
;;; and directives (the saved form); a compilation's is lib/ or bin/, and
;;; nothing else (no dep-info files).
;;;
;;; Code:

(define (envify name)
  "Return NAME as cargo writes it in an environment variable name: upper
case, with - as _."
  (string-map (lambda (c) (if (char=? c #\-) #\_ c)) (string-upcase name)))

(define %directives
  ;; ITEM -> its directives alist: a unit's arguments and environment look at
  ;; the same scripts several times, and items do not change.
  (make-hash-table))

(define (read-directives item)
  "Return the directives alist saved in ITEM/directives, read once."
  (or (hash-ref %directives item)
      (let* ((file (string-append item "/directives"))
             (directives (%read-build-script-directives
                          (call-with-input-file file read-string) file)))
        (hash-set! %directives item directives)
        directives)))

(define* (link-arg-applies? which kind target-name crate-types
                            #:optional test?)
  "Return true if a link argument for WHICH (\"\", \"bin:NAME\", \"bins\",
\"tests\", \"examples\", \"benches\", \"cdylib\") is passed to a unit of
KIND (a symbol) named TARGET-NAME, of CRATE-TYPES, compiled as a test when
TEST?, as cargo decides it."
  (match which
    ("" #t)
    ("cdylib" (and (not test?) (member "cdylib" crate-types)))
    ("bins" (eq? kind 'bin))
    ("tests" (eq? kind 'test))
    ("benches" (eq? kind 'bench))
    ("examples" (and (eq? kind 'example) (member "bin" crate-types)))
    (_ (and (eq? kind 'bin)
            (string=? which (string-append "bin:" target-name))))))

(define* (directives-arguments scripts #:key kind target-name
                               (crate-types '()) (link-libs? #t) test?)
  "Return the rustc arguments the directives of SCRIPTS, a list of (ITEM WHAT
LINKS), add to the compilation of a unit of KIND named TARGET-NAME (a test
when TEST?), in cargo's order: -L and -l, link arguments, then --cfg and
--check-cfg of its own script."
  (define (directive item key)
    (assq-ref (read-directives item) key))
  (append
   (append-map
    (match-lambda
      ((item (and what (or 'own 'link-search)) _)
       (let ((d (read-directives item)))
         (append
          (append-map (cut list "-L" <>) (assq-ref d 'link-search))
          (if (and (eq? what 'own) link-libs?)
              (append-map (cut list "-l" <>) (assq-ref d 'link-libs))
              '())
          (append-map (match-lambda
                        ((which . arg)
                         (if (and (link-arg-applies? which kind target-name
                                                     crate-types test?)
                                  (or (eq? what 'own)
                                      (string=? which "cdylib")))
                             (list "-C" (string-append "link-arg=" arg))
                             '())))
                      (assq-ref d 'link-args)))))
      (_ '()))
    scripts)
   (append-map (match-lambda
                 ((item 'own _)
                  (append (append-map (cut list "--cfg" <>)
                                      (directive item 'cfgs))
                          (append-map (cut list "--check-cfg" <>)
                                      (directive item 'check-cfgs))))
                 (_ '()))
               scripts)))

(define (directives-environment scripts)
  "Return the environment variables, (NAME . VALUE), that SCRIPTS give the
unit: OUT_DIR and the rustc-env variables of its own script, and
DEP_<LINKS>_<KEY> of the metadata of its dependencies' scripts."
  (append-map
   (match-lambda
     ((item 'own _)
      (cons (cons "OUT_DIR" (string-append item "/out"))
            (assq-ref (read-directives item) 'env)))
     ((item 'metadata (? string? links))
      (map (match-lambda
             ((key . value)
              (cons (string-append "DEP_" (envify links) "_" (envify key))
                    value)))
           (assq-ref (read-directives item) 'metadata)))
     (_ '()))
   scripts))

(define (replace-placeholder placeholder out)
  "Return a procedure replacing PLACEHOLDER by OUT in a string."
  (lambda (str)
    (let loop ((str str))
      (match (string-contains str placeholder)
        (#f str)
        (i (loop (string-append (substring str 0 i) out
                                (substring str (+ i (string-length
                                                     placeholder))))))))))

(define (unit-description crate version kind target-name)
  (format #f "`~a' ~a (~a~a)" crate version kind
          (if (and target-name (not (string=? target-name crate))
                   (not (eq? kind 'custom-build)))
              (string-append " \"" target-name "\"")
              "")))

(define (error-text e)
  (cond ((and (exception-with-message? e) (exception-with-irritants? e))
         (apply format #f (exception-message e) (exception-irritants e)))
        ((message-condition? e) (condition-message e))
        (else (format #f "~s" e))))

(define (fail fmt . args)
  "Report the unit's failure as an error line, without a backtrace (its
diagnostics are above it), and exit with status 1."
  (format (current-error-port) "error: ~a~%" (apply format #f fmt args))
  (force-output (current-error-port))
  (exit 1))

(define (set-search-paths! inputs)
  "Put the bin directories of INPUTS, a list of store items, on PATH before
the host's /usr/bin and /bin, as the whole-package mode does, and their
pkgconfig directories on PKG_CONFIG_PATH."
  (define (existing sub)
    (filter file-exists?
            (map (lambda (dir) (string-append dir "/" sub)) inputs)))
  (setenv "PATH" (string-join (append (existing "bin") '("/usr/bin" "/bin"))
                              ":"))
  (let ((pkg-config (append (existing "lib/pkgconfig")
                            (existing "share/pkgconfig")))
        (old (getenv "PKG_CONFIG_PATH")))
    (unless (null? pkg-config)
      (setenv "PKG_CONFIG_PATH"
              (string-join (if old (append pkg-config (list old)) pkg-config)
                           ":"))))
  (setenv "SOURCE_DATE_EPOCH" "1"))

(define (set-build-script-jobs!)
  "Give a build script run NUM_JOBS as cargo does, its number of jobs: with a
jobserver (CARGO_MAKEFLAGS, see 'jobserver-command'), the run's cores, which
its tokens bound; without one, the unit's own value stays."
  (let ((cores (getenv "NIX_BUILD_CORES")))
    (when (and cores (jobserver-descriptor))
      (setenv "NUM_JOBS" cores))))

(define (clean-output out)
  "Delete from OUT/lib and OUT/bin what the outputs of doc/per-crate.md do
not hold: rustc's dep-info files and anything but the unit's artifacts."
  (for-each (lambda (dir)
              (let ((path (string-append out "/" dir)))
                (for-each delete-file
                          (find-files path
                                      (lambda (file st)
                                        (string-suffix? ".d" file))))
                (for-each (lambda (entry)
                            (let ((file (string-append path "/" entry)))
                              (when (eq? 'directory (stat:type (lstat file)))
                                (delete-file-recursively file))))
                          (if (file-exists? path) (directory-entries path) '()))
                (when (and (file-exists? path) (null? (directory-entries path)))
                  (rmdir path))))
            '("lib" "bin")))

(define (uplift out kind mode target-name metadata)
  "Rename the executable rustc wrote as CRATE-METADATA (-C extra-filename) to
the name doc/per-crate.md gives it, as cargo uplifts it: bin/build-script-build
for a build script, bin/TARGET-NAME for a binary, bin/TARGET-NAME-METADATA for
a test."
  (when metadata
    (let* ((crate (string-map (lambda (c) (if (char=? c #\-) #\_ c))
                              target-name))
           (written (string-append out "/bin/" crate "-" metadata))
           (wanted (string-append
                    out "/bin/"
                    (cond ((eq? kind 'custom-build) "build-script-build")
                          ((memq mode '(test doctest))
                           (string-append target-name "-" metadata))
                          (else target-name)))))
      (when (and (file-exists? written) (not (string=? written wanted)))
        (rename-file written wanted)))))

(define (run-replacement code)
  "Evaluate CODE, a crate override's build script, in a fresh module using
(ferrix build utils), and return the status of a process that would have
run it: 0, or exit status 1 after showing the error it raised."
  (let ((module (make-fresh-user-module)))
    (module-use! module (resolve-interface '(ferrix build utils)))
    (guard (e (#t (format (current-error-port) "~a~%" (error-text e))
                  (* 256 1)))
      (eval code module)
      (force-output)
      0)))

(define (show-file title file)
  (when (and (file-exists? file) (positive? (stat:size (stat file))))
    (format (current-error-port) "~a~%~a" title
            (call-with-input-file file read-string))))

(define (json-string line start)
  "Return the JSON string whose opening quote is at START in LINE, unescaped."
  (let loop ((i (+ start 1)) (chars '()))
    (match (string-ref line i)
      (#\" (list->string (reverse chars)))
      (#\\
       (match (string-ref line (+ i 1))
         (#\u (let ((n (string->number (substring line (+ i 2) (+ i 6)) 16)))
                ;; rustc escapes control characters only; a lone surrogate
                ;; is no character.
                (loop (+ i 6)
                      (cons (if (<= #xD800 n #xDFFF) #\xFFFD (integer->char n))
                            chars))))
         (c (loop (+ i 2)
                  (cons (case c
                          ((#\n) #\newline) ((#\t) #\tab) ((#\r) #\return)
                          ((#\b) #\backspace) ((#\f) #\page) (else c))
                        chars)))))
      (c (loop (+ i 1) (cons c chars))))))

(define (json-field line key)
  "Return the first string value of KEY in LINE, one JSON object as rustc
prints it, or #f.  (A nested null value does not match, nor does a key inside
a string, whose quotes are escaped.)"
  (let* ((pattern (string-append "\"" key "\":\""))
         (at (string-contains line pattern)))
    (and at (json-string line (+ at (string-length pattern) -1)))))

(define (run-rustc-pipelined command meta)
  "Run COMMAND, rustc and its arguments, with JSON messages (its standard
output and error on one pipe): each diagnostic is
shown as rustc renders it, and as soon as rustc has written the .rmeta it is
copied into META/lib and META declared complete (doc/build.md, \"Early
outputs\"), while rustc goes on with the .rlib.  Return rustc's status and
whether META was declared, as two values.  As with 'system*/jobserver', a
rustc that cannot be started gives status 127 after a line on the error port
saying why; and whatever happens while reading, the pipe is closed and rustc
reaped."
  (match-let (((port . write-end) (pipe))
              (err (current-error-port)))
    (define pid
      (catch 'ferrix-error
        (lambda ()
          (spawn/jobserver command #:output write-end #:error write-end))
        (lambda (key subr message arguments . _)
          (format err "~a~%" (apply simple-format #f message arguments))
          #f)))
    (define status #f)
    (close-port write-end)
    (if (not pid)
        (begin
          (close-port port)
          (values (* 127 256) #f))
        (dynamic-wind
          (const #t)
          (lambda ()
            (let ((declared? (read-rustc-messages port meta err)))
              (close-port port)
              (set! status (cdr (waitpid pid)))
              (values status declared?)))
          (lambda ()
            (unless status
              ;; Left by an error: rustc's output goes nowhere any more.
              (close-port port)
              (false-if-exception (kill pid SIGTERM))
              (set! status (or (false-if-exception (cdr (waitpid pid))) 0))))))))

(define (read-rustc-messages port meta err)
  "Read rustc's JSON messages from PORT until it ends, as 'run-rustc-pipelined'
says; return whether META was declared."
  (let loop ((declared? #f))
    (match (read-line port)
      ((? eof-object?) declared?)
      ((? (cut string-prefix? "{" <>) line)
       (let ((artifact (json-field line "artifact")))
         (cond ((and artifact (string-suffix? ".rmeta" artifact)
                     (not declared?))
                (mkdir-p (string-append meta "/lib"))
                (copy-file artifact
                           (string-append meta "/lib/" (basename artifact)))
                (format #t "@ferrix output-complete meta~%")
                (force-output)
                (loop #t))
               (artifact (loop declared?))
               (else
                (let ((text (json-field line "rendered")))
                  (when text
                    (display text err)
                    (force-output err)))
                (loop declared?)))))
      (line
       (display line err)
       (newline err)
       (loop declared?)))))

(define (finish-meta out meta declared?)
  "Leave the .rmeta rustc wrote in OUT/lib only in META/lib: already copied
there if DECLARED?, moved there otherwise."
  (let ((lib (string-append out "/lib")))
    (for-each (lambda (entry)
                (let ((file (string-append lib "/" entry)))
                  (if declared?
                      (delete-file file)
                      (begin
                        (mkdir-p (string-append meta "/lib"))
                        (rename-file file
                                     (string-append meta "/lib/" entry))))))
              (or (false-if-exception
                   (directory-entries lib (cut string-suffix? ".rmeta" <>)))
                  '()))))

(define (check-system-libraries crate version directory rows)
  "Set the variables of ROWS, (VARIABLE VALUE LIBRARY PKG-CONFIG-NAME
DEBIAN-PACKAGE BUNDLED), switches of CRATE at VERSION in DIRECTORY forcing a
system library, that pkg-config finds; say what was decided; fail naming the
library when it is missing and the crate has no bundled sources."
  (for-each (match-lambda
              ((variable value . library)
               (let-values (((switch line)
                             (guard (c ((message-condition? c)
                                        (fail "~a" (condition-message c))))
                               (system-library-switch
                                crate (list version) (cons variable value)
                                library (const directory)))))
                 (format #t "~a~%" line)
                 (when switch
                   (setenv variable value)))))
            rows))

(define* (rust-unit-build #:key name crate version kind target-name
                          (crate-types '()) mode metadata
                          program (arguments '()) (environment '()) directory
                          (scripts '()) placeholder (link-libs? #t)
                          cargo-version (inputs '()) replacement outputs
                          (checked-environment '())
                          #:allow-other-keys)
  "Build the unit NAME of CRATE at VERSION: its target TARGET-NAME of KIND (a
symbol: lib, bin, test, bench, example, custom-build), in MODE, build or
run-custom-build.  Run PROGRAM with ARGUMENTS and ENVIRONMENT (an alist) in
DIRECTORY, PLACEHOLDER in them standing for the output, after adding what
SCRIPTS give (see the commentary).  A build script run saves its output and
its directives as CARGO-VERSION reads them, and fails on a `cargo::error'.
INPUTS (label to store item) come first on PATH.  REPLACEMENT, code, is
evaluated instead of a build script run's PROGRAM (see 'run-replacement').
CHECKED-ENVIRONMENT, (VARIABLE VALUE LIBRARY PKG-CONFIG-NAME DEBIAN-PACKAGE
BUNDLED), are a build script run's switches forcing a system library: each is
set only when pkg-config finds the library, else the crate's BUNDLED sources
are built, or the unit fails saying which library to install."
  (define out (assoc-ref outputs "out"))
  (define meta (assoc-ref outputs "meta")) ;a pipelined library's .rmeta
  (define subst (replace-placeholder placeholder out))
  (define run? (eq? mode 'run-custom-build))
  (define description (unit-description crate version kind target-name))
  (define environment*
    (append (map (match-lambda ((k . v) (cons k (subst v)))) environment)
            (directives-environment scripts)))
  (define arguments*
    (append (map subst arguments)
            (if run?
                '()
                (directives-arguments scripts #:kind kind
                                      #:target-name target-name
                                      #:crate-types crate-types
                                      #:link-libs? link-libs?
                                      #:test? (eq? mode 'test)))
            (if meta
                '("--error-format=json" "--json=artifacts")
                '())))

  (set-search-paths! inputs)
  (unless (file-exists? (subst program))
    (fail "~a: ~a: no such file" description (subst program)))
  (for-each (match-lambda ((k . v) (setenv k v))) environment*)
  (when run?
    (set-build-script-jobs!)
    (check-system-libraries crate version (subst directory)
                            checked-environment))
  (mkdir-p out)
  ;; rustc writes into --out-dir, or -o's directory, which must exist.
  (let loop ((args arguments*))
    (match args
      (("--out-dir" dir rest ...) (mkdir-p dir) (loop rest))
      (("-o" file rest ...) (mkdir-p (dirname file)) (loop rest))
      ((_ rest ...) (loop rest))
      (() #t)))
  (format #t "~a ~a~%  in ~a~%" (if run? "running" "compiling") description
          (subst directory))
  (format #t "  ~a~%" (string-join (cons (subst program) arguments*)))
  (force-output)
  (if run?
      (let ((stdout (string-append out "/output"))
            (stderr (string-append (or (getenv "TMPDIR") "/tmp")
                                   "/build-script-stderr")))
        (mkdir-p (string-append out "/out"))
        (let ((status
               (with-directory-excursion (subst directory)
                 (with-output-to-file stdout
                   (lambda ()
                     (with-error-to-file stderr
                       (lambda ()
                         (if replacement
                             (run-replacement replacement)
                             (apply system*/jobserver
                                    (subst program) arguments*)))))))))
          (define (show-and-fail why)
            (format (current-error-port) "~a~%" why)
            (show-file "--- stdout" stdout)
            (show-file "--- stderr" stderr)
            (fail "failed to run custom build command for ~a" description))
          (unless (eqv? 0 (status:exit-val status))
            (show-and-fail
             (if (status:exit-val status)
                 (format #f "the build script exited with status ~a"
                         (status:exit-val status))
                 (format #f "the build script was killed by signal ~a"
                         (status:term-sig status)))))
          (let* ((text (call-with-input-file stdout read-string))
                 (saved (guard (e (#t (show-and-fail (error-text e))))
                          (%build-script-directives text cargo-version)))
                 (file (string-append out "/directives")))
            (call-with-output-file file (cut display saved <>))
            (let ((d (read-directives out)))
              (for-each (cut format (current-error-port)
                             "warning: ~a@~a: ~a~%" crate version <>)
                        (assq-ref d 'warnings))
              (unless (null? (assq-ref d 'errors))
                (for-each (cut format (current-error-port)
                               "error: ~a@~a: ~a~%" crate version <>)
                          (assq-ref d 'errors))
                (show-and-fail "the build script reported errors"))))))
      (let-values (((status declared?)
                     (with-directory-excursion (subst directory)
                       ;; rustc's codegen threads take the run's tokens.
                       (let ((command (cons (subst program) arguments*)))
                         (if meta
                             (run-rustc-pipelined command meta)
                             (values (apply system*/jobserver command)
                                     #f))))))
        (unless (eqv? 0 (status:exit-val status))
          (fail "could not compile ~a" description))
        (when meta
          (finish-meta out meta declared?))
        (unless (eq? kind 'lib)
          (uplift out kind mode target-name metadata))
        (clean-output out)))
  #t)

;;;
;;; The package.
;;;

(define (run-doctests doctest)
  "Run DOCTEST, (PROGRAM ARGUMENTS ENVIRONMENT DIRECTORY SCRIPTS DESCRIPTION):
rustdoc, PROGRAM, compiling and running the doctests of a library with
ARGUMENTS and ENVIRONMENT in DIRECTORY, after adding what its build SCRIPTS
give (see the commentary: cargo passes doctests the -L, --cfg, --check-cfg and
link arguments of the scripts, no -l); fail naming them by DESCRIPTION if one
fails."
  (match doctest
    ((program arguments environment directory scripts description)
     (let ((environment* (append environment
                                 (directives-environment scripts)))
           (arguments* (append arguments
                               (directives-arguments scripts #:kind 'lib
                                                     #:link-libs? #f
                                                     #:test? #t))))
       ;; rustdoc links each doctest with the host's cc.
       (set-search-paths! '())
       (format #t "running ~a~%  in ~a~%  ~a~%" description
               directory (string-join (cons program arguments*)))
       (force-output)
       (for-each (match-lambda ((name . value) (setenv name value)))
                 environment*)
       (let ((status (with-directory-excursion directory
                       (apply system*/jobserver program arguments*))))
         (for-each (compose unsetenv car) environment*)
         (unless (eqv? 0 (status:exit-val status))
           (fail "test ~a failed" description)))))))

(define* (rust-package-install #:key name source (binaries '()) (tests '())
                               (doctests '())
                               install-source? outputs #:allow-other-keys)
  "Make the output of the package NAME in the per-crate mode: run its TESTS,
a list of (PROGRAM DIRECTORY ENVIRONMENT DESCRIPTION) (test binaries of its
test units, each run in its package's directory with the variables cargo
sets, as `cargo test' runs them), then its DOCTESTS (see 'run-doctests'),
then install the programs
of BINARIES, the outputs of its binary units, under bin/, and with
INSTALL-SOURCE? its SOURCE tree and .crate as the whole-package mode installs
them."
  (let ((out (assoc-ref outputs "out")))
    (for-each (match-lambda
                ((program directory environment description)
                 (format #t "running ~a~%" program)
                 (force-output)
                 (for-each (match-lambda
                             (("CARGO_TARGET_TMPDIR" . dir)
                              ;; Made by cargo before tests run; a build
                              ;; without /build (build users) has none.
                              (false-if-exception (mkdir-p dir))
                              (setenv "CARGO_TARGET_TMPDIR" dir))
                             ((name . value) (setenv name value)))
                           environment)
                 (let ((status (with-directory-excursion directory
                                 (system*/jobserver program))))
                   (for-each (compose unsetenv car) environment)
                   (unless (eqv? 0 (status:exit-val status))
                     (fail "test ~a failed" description)))))
              tests)
    (for-each run-doctests doctests)
    (mkdir-p out)
    (when install-source?
      (for-each (cut format #t "~a~%" <>)
                (%cargo-install-source source out name)))
    (for-each (lambda (item)
                (copy-recursively (string-append item "/bin")
                                  (string-append out "/bin")))
              binaries)
    #t))

;;; rust-unit.scm ends here

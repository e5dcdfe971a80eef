;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix build cargo-build-system): the build side of the Cargo build
;;; system: its standard phases and the 'cargo-build' entry point called by
;;; build scripts (see (ferrix build-system cargo) for the script format).
;;;
;;; The phases here are a plain Scheme implementation that invokes cargo;
;;; the core's C++ phases (lib/cargo/phases) are meant to take over their
;;; work, keeping the phase names, order and keyword arguments.

(define-module (ferrix build cargo-build-system)
  #:use-module (ferrix build utils)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 match)
  #:use-module (ice-9 popen)
  #:use-module (ice-9 rdelim)
  #:use-module ((rnrs io ports) #:select (get-string-all))
  #:export (%standard-phases
            cargo-build))

;;; Commentary:
;;;
;;; Every phase is called with all the keyword arguments of 'cargo-build':
;;; #:name #:source #:system #:target #:cargo-target #:crate-name #:inputs
;;; #:native-inputs #:outputs #:tests? #:test-target #:cargo-build-flags
;;; #:cargo-test-flags #:features #:skip-build? #:install-source?
;;; #:vendor-dir #:rustflags #:parallel-build? #:parallel-tests?, so a
;;; phase must accept other keys.  Inputs and outputs are alists of labels
;;; (output names) to store file names.
;;;
;;; Code:

(define (input-directories inputs)
  (delete-duplicates (map cdr inputs)))

(define* (set-paths #:key (inputs '()) (native-inputs '())
                    #:allow-other-keys)
  "Put the bin directories of the inputs first on PATH, before the host's
/usr/bin and /bin, and give cargo a home of its own."
  (let ((dirs (input-directories (append native-inputs inputs))))
    (setenv "PATH"
            (string-join (append (filter directory-exists?
                                         (map (lambda (dir)
                                                (string-append dir "/bin"))
                                              dirs))
                                 '("/usr/bin" "/bin"))
                         ":"))
    (format #t "environment variable `PATH' set to `~a'~%" (getenv "PATH"))
    (setenv "CARGO_HOME" (string-append (getcwd) "/.cargo-home"))
    (setenv "SOURCE_DATE_EPOCH" "1")))

(define* (unpack #:key source #:allow-other-keys)
  "Unpack SOURCE into ./source and enter it."
  (unless source
    (error "no source to unpack"))
  (chdir (unpack-source source (string-append (getcwd) "/source"))))

(define (store-item-name file)
  "Return the name of FILE, a store item: its base name without the hash."
  (let ((base (basename file)))
    (if (and (> (string-length base) 33)
             (char=? #\- (string-ref base 32)))
        (substring base 33)
        base)))

(define (command-output program . args)
  (let* ((port (apply open-pipe* OPEN_READ program args))
         (output (get-string-all port)))
    (close-pipe port)
    output))

(define (file-sha256 file)
  (car (string-tokenize (command-output "sha256sum" file))))

(define (write-checksum-file directory package-checksum)
  (call-with-output-file (string-append directory "/.cargo-checksum.json")
    (lambda (port)
      (format port "{\"files\":{},\"package\":~a}"
              (if package-checksum
                  (string-append "\"" package-checksum "\"")
                  "null")))))

(define (vendor-crate! vendor-dir file)
  "Add the crate FILE (a .crate tarball or a crate directory) to VENDOR-DIR.
Return #t if FILE was a crate."
  (cond ((and (directory-exists? file)
              (file-exists? (string-append file "/Cargo.toml")))
         (let ((dest (string-append vendor-dir "/" (store-item-name file))))
           (unless (file-exists? dest)
             (copy-recursively file dest)
             (false-if-exception
              (delete-file (string-append dest "/.cargo-checksum.json")))
             (chmod dest #o755)
             (write-checksum-file dest #f))
           #t))
        ((and (not (directory-exists? file))
              (any (lambda (ext) (string-suffix? ext file))
                   '(".crate" ".tar.gz" ".tgz")))
         (let* ((name (store-item-name file))
                (tmp (string-append vendor-dir "/.unpack-" name)))
           (unpack-source file tmp)
           (if (file-exists? (string-append tmp "/Cargo.toml"))
               (let ((dest (string-append vendor-dir "/"
                                          (fold (lambda (ext name)
                                                  (if (string-suffix? ext name)
                                                      (string-drop-right
                                                       name (string-length ext))
                                                      name))
                                                name
                                                '(".crate" ".tar.gz" ".tgz")))))
                 (if (file-exists? dest)
                     (delete-file-recursively tmp)
                     (begin
                       (rename-file tmp dest)
                       (write-checksum-file dest (file-sha256 file))))
                 #t)
               (begin
                 (delete-file-recursively tmp)
                 #f))))
        (else #f)))

(define* (configure #:key (inputs '()) (vendor-dir "ferrix-vendor")
                    target cargo-target (rustflags '())
                    #:allow-other-keys)
  "Vendor the crates among the inputs (crate tarballs, crate directories,
and the share/cargo/registry of packages) into VENDOR-DIR, point cargo at
it, and set the flags and target."
  (let ((vendor (string-append (getcwd) "/" vendor-dir)))
    (mkdir-p vendor)
    (for-each (match-lambda
                (((or "source" "rust") . _) #t)
                ((label . file)
                 (unless (vendor-crate! vendor file)
                   (let ((registry (string-append file "/share/cargo/registry")))
                     (when (directory-exists? registry)
                       (for-each (lambda (crate)
                                   (vendor-crate!
                                    vendor
                                    (string-append registry "/" crate)))
                                 (scandir* registry)))))))
              inputs)
    (mkdir-p ".cargo")
    (call-with-output-file ".cargo/config.toml"
      (lambda (port)
        (format port "[source.crates-io]
replace-with = \"vendored-sources\"

[source.vendored-sources]
directory = ~s
" vendor)))
    (setenv "CARGO_ENCODED_RUSTFLAGS"
            (string-join rustflags (string #\x1f)))
    (when target
      (setenv "CARGO_BUILD_TARGET" cargo-target))
    (setenv "CARGO_TARGET_DIR" (string-append (getcwd) "/target"))))

(define (scandir* dir)
  (let ((stream (opendir dir)))
    (let loop ((entries '()))
      (let ((entry (readdir stream)))
        (cond ((eof-object? entry)
               (closedir stream)
               (sort entries string<?))
              ((member entry '("." "..")) (loop entries))
              (else (loop (cons entry entries))))))))

(define (features-flags features)
  (if (null? features)
      '()
      (list "--features" (string-join features ","))))

(define (jobs-flags parallel?)
  (if parallel? '() '("-j" "1")))

(define* (build #:key skip-build? (cargo-build-flags '("--release"))
                (features '()) (parallel-build? #t)
                #:allow-other-keys)
  "Run cargo build, unless SKIP-BUILD?."
  (if skip-build?
      (format #t "build skipped (#:skip-build? #t)~%")
      (apply invoke "cargo" "build" "--offline"
             (append cargo-build-flags
                     (features-flags features)
                     (jobs-flags parallel-build?)))))

(define (test-target-flags test-target)
  "Return the cargo test flags selecting TEST-TARGET: #f (all targets), a
target name, or a list; \"lib\", \"bins\", \"tests\", \"benches\",
\"examples\", \"doc\" and \"all-targets\" select kinds of targets, any other
name an integration test (--test NAME)."
  (define (flags target)
    (if (member target '("lib" "bins" "tests" "benches" "examples" "doc"
                         "all-targets"))
        (list (string-append "--" target))
        (list "--test" target)))
  (match test-target
    (#f '())
    ((? string? target) (flags target))
    ((targets ...) (append-map flags targets))))

(define* (check #:key tests? skip-build? (cargo-test-flags '("--release"))
                (features '()) test-target (parallel-tests? #t)
                #:allow-other-keys)
  "Run cargo test on TEST-TARGET when TESTS? (and the build was not
skipped)."
  (if (and tests? (not skip-build?))
      (apply invoke "cargo" "test" "--offline"
             (append cargo-test-flags
                     (features-flags features)
                     (test-target-flags test-target)
                     (if parallel-tests?
                         '()
                         '("--" "--test-threads=1"))))
      (format #t "test suite not run~%")))

(define (has-executable-target?)
  (or (file-exists? "src/main.rs")
      (directory-exists? "src/bin")
      (string-contains (call-with-input-file "Cargo.toml" get-string-all)
                       "[[bin]]")))

(define (name->version name)
  "Return the version at the end of NAME, \"rust-foo-1.2.3\", or #f."
  (let loop ((i (- (string-length name) 1)))
    (cond ((< i 1) #f)
          ((and (char=? #\- (string-ref name i))
                (char-numeric? (string-ref name (+ i 1))))
           (substring name (+ i 1)))
          (else (loop (- i 1))))))

(define* (install #:key name crate-name outputs skip-build? install-source?
                  (features '()) (vendor-dir "ferrix-vendor")
                  #:allow-other-keys)
  "Install the binaries with cargo install, and the source under
share/cargo/registry and share/cargo/src when INSTALL-SOURCE?."
  (let ((out (assoc-ref outputs "out")))
    (mkdir-p out)
    (when (and (not skip-build?) (has-executable-target?))
      (apply invoke "cargo" "install" "--offline" "--no-track"
             "--path" "." "--root" out
             (features-flags features)))
    (when install-source?
      (let* ((crate (string-append crate-name
                                   (match (name->version name)
                                     (#f "")
                                     (version (string-append "-" version)))))
             (registry (string-append out "/share/cargo/registry/" crate)))
        (copy-recursively "." registry
                          #:select?
                          (lambda (file stat)
                            (not (member (basename file)
                                         (list "target" ".cargo" ".cargo-home"
                                               vendor-dir)))))
        (write-checksum-file registry #f)
        (mkdir-p (string-append out "/share/cargo/src"))
        (symlink (string-append "../registry/" crate)
                 (string-append out "/share/cargo/src/" crate))))))

(define %standard-phases
  ;; The phases of the Cargo build system, in order.
  `((set-paths . ,set-paths)
    (unpack . ,unpack)
    (configure . ,configure)
    (build . ,build)
    (check . ,check)
    (install . ,install)))

(define* (cargo-build #:key (phases %standard-phases) #:allow-other-keys
                      #:rest arguments)
  "Build a crate by running PHASES with ARGUMENTS."
  (apply run-phases phases arguments))

;;; cargo-build-system.scm ends here

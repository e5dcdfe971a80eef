;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix toolchain): the Rust toolchain as an input.

(define-module (ferrix toolchain)
  #:use-module (ferrix packages)
  #:use-module ((ferrix package-files) #:select (project-directory))
  #:use-module (ferrix build-system)
  #:use-module (ferrix store)
  #:use-module ((ferrix derivations) #:select (derivation->output-path))
  #:use-module ((ferrix hash) #:select (file-sha256))
  #:use-module ((ferrix base32) #:select (bytevector->base16-string))
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-9)
  #:use-module ((srfi srfi-9 gnu) #:select (set-record-type-printer!))
  #:use-module (srfi srfi-11)
  #:use-module (ice-9 match)
  ;; Only needed when a toolchain's facts are not cached yet.
  #:autoload (ice-9 popen) (open-pipe* close-pipe)
  #:use-module (ice-9 rdelim)
  ;; Not (rnrs io ports): loading it costs every command about 13 ms.
  #:use-module ((ice-9 textual-ports) #:select (get-string-all))
  #:export (host-rust-toolchain
            rust-toolchain?
            rust-toolchain-directory
            rust-toolchain-facts
            rust-toolchain-release
            rust-toolchain-cargo?
            rust-toolchain-without-cargo
            rust-toolchain-with-cargo
            rust-toolchain-with-cargo?
            rust-toolchain-with-cargo-rustc
            rust-toolchain-with-cargo-cargo
            rust-toolchain->store-path
            toolchain-item-host-directories

            %rust-toolchain
            %rust-toolchain-override
            set-rust-toolchain!
            default-rust-toolchain
            rust-toolchain-pin))

;;; Commentary:
;;;
;;; A host Rust toolchain wraps a rustc and a cargo installed outside the
;;; store.  Lowering one adds to the store a small directory recording
;;; exactly which compiler it is:
;;;
;;;   rust-toolchain-RELEASE/
;;;     bin/rustc     symlink to the real rustc (rustup proxies resolved)
;;;     bin/cargo     symlink to the real cargo
;;;     rustc-vV      output of `rustc -vV`
;;;     cargo-V       output of `cargo -V`
;;;     sha256sums    "HEX  FILE" lines for the real rustc and cargo
;;;                   (the format of `sha256sum`, usable with `-c`)
;;;
;;; so another compiler, or the same one rebuilt, is another store item and
;;; gives other derivations.  A rustup proxy (a rustc that is a link to
;;; rustup, as in ~/.cargo/bin) is resolved with `rustc --print sysroot`,
;;; run in the project directory so that rustup honours its overrides;
;;; cargo is then taken from the same sysroot.  Versions and hashes are
;;; cached (${XDG_CACHE_HOME:-~/.cache}/ferrix/stamps, see (ferrix cache))
;;; by the binaries' device, inode, size and times, and proxy resolutions by the rustup
;;; settings and toolchain files that could change them; the item's file
;;; name is cached by those facts, so that lowering an unchanged toolchain
;;; neither runs nor writes anything.
;;;
;;; Which toolchain a package uses, first match wins:
;;;
;;;   1. its #:rust argument (a toolchain, a package, or a directory name);
;;;   2. %rust-toolchain, when parameterized, else the value set with
;;;      'set-rust-toolchain!' (the command line's --with-rust=PATH);
;;;   3. the FERRIX_RUST environment variable (a toolchain directory);
;;;   4. the project's pin: rust-toolchain.toml in the project directory
;;;      (see 'project-directory' in (ferrix packages)) whose [toolchain]
;;;      table has path = "/some/toolchain" (rustup's key for a custom
;;;      toolchain; a relative path is relative to the file);
;;;   5. the rustc and cargo found on PATH.
;;;
;;; A toolchain directory holds bin/rustc and bin/cargo; a bin directory
;;; holding rustc and cargo, or the rustc binary itself, are accepted too.
;;; A directory with rustc and no cargo is a toolchain too, whose item has no
;;; bin/cargo nor cargo-V: only the per-crate mode can use it, since it
;;; never runs cargo (that is how cargo itself is bootstrapped,
;;; examples/cargo-bootstrap.scm).
;;;
;;; (rust-toolchain-with-cargo TOOLCHAIN CARGO) is the rustc of TOOLCHAIN
;;; with the cargo that the package CARGO builds (its bin/cargo): it lowers
;;; to a derivation whose output holds bin/rustc (a link to the real rustc,
;;; as in TOOLCHAIN's item), rustc-vV, sha256sums and bin/cargo (a link into
;;; CARGO's output).  The host directories its rustc needs (see
;;; 'toolchain-item-host-directories') are those of TOOLCHAIN's item, known
;;; before the derivation is built.
;;;
;;; Code:

(define-record-type <rust-toolchain>
  (make-rust-toolchain directory context cargo?)
  rust-toolchain?
  (directory rust-toolchain-directory)    ;string | #f (PATH)
  (context   rust-toolchain-context)      ;directory rustup proxies run in
  (cargo?    rust-toolchain-cargo-wanted?)) ;#f: its cargo left out

(set-record-type-printer! <rust-toolchain>
  (lambda (tc port)
    (format port "#<rust-toolchain ~a~a>"
            (or (rust-toolchain-directory tc) "(PATH)")
            (if (rust-toolchain-cargo-wanted? tc) "" " without cargo"))))

(define %toolchains (make-hash-table))  ;(DIRECTORY . CONTEXT) -> toolchain

(define* (host-rust-toolchain #:optional directory #:key (cargo? #t))
  "Return the host toolchain in DIRECTORY (see the commentary), or the one
on PATH when DIRECTORY is #f; without its cargo when CARGO? is #f.  The same
arguments give the same object."
  (let* ((directory (and directory
                         (if (string-prefix? "/" directory)
                             directory
                             (string-append (getcwd) "/" directory))))
         (context (project-directory))
         (key (list directory context cargo?)))
    (or (hash-ref %toolchains key)
        (let ((tc (make-rust-toolchain directory context cargo?)))
          (hash-set! %toolchains key tc)
          tc))))

(define (rust-toolchain-without-cargo tc)
  "Return the toolchain TC (a host toolchain or a directory name) without
its cargo: its item holds rustc alone."
  (let ((tc (->toolchain tc)))
    (host-rust-toolchain (rust-toolchain-directory tc) #:cargo? #f)))


;;;
;;; Selecting the toolchain.
;;;

(define %rust-toolchain
  ;; The toolchain for every package without #:rust: a toolchain, a
  ;; package or a directory name; #f to use the global setting.
  (make-parameter #f))

(define %rust-toolchain-override %rust-toolchain)

(define %global-toolchain #f)

(define (set-rust-toolchain! toolchain)
  "Use TOOLCHAIN (a toolchain, a package, a directory name, or #f to undo)
for every package that has no #:rust argument, unless %rust-toolchain is
parameterized.  This is what --with-rust=PATH does."
  (set! %global-toolchain toolchain))

(define (->toolchain value)
  (if (string? value) (host-rust-toolchain value) value))

(define (rust-toolchain-pin directory)
  "Return the toolchain directory pinned by DIRECTORY/rust-toolchain.toml
([toolchain] path = \"...\"), or #f."
  (let ((file (string-append directory "/rust-toolchain.toml")))
    (and (file-exists? file)
         (let ((path (toml-toolchain-path file)))
           (and path
                (if (string-prefix? "/" path)
                    path
                    (string-append directory "/" path)))))))

(define (toml-toolchain-path file)
  "Return the string value of 'path' in the [toolchain] table of FILE, a
TOML file, or #f.  Only what rust-toolchain.toml needs is understood."
  (define (unquote-value str)
    (let ((str (string-trim-both str)))
      (and (>= (string-length str) 2)
           (memv (string-ref str 0) '(#\" #\'))
           (let ((end (string-index str (string-ref str 0) 1)))
             (and end (substring str 1 end))))))
  (call-with-input-file file
    (lambda (port)
      (let loop ((section #f))
        (let ((line (read-line port)))
          (if (eof-object? line)
              #f
              (let ((line (string-trim-both line)))
                (cond ((string-prefix? "[" line)
                       (loop (string-trim-both
                              (string-trim-both line
                                                (char-set #\[ #\])))))
                      ((and (equal? section "toolchain")
                            (string-prefix? "path" line)
                            (string-index line #\=))
                       => (lambda (eq)
                            (if (string=? "path"
                                          (string-trim-both
                                           (substring line 0 eq)))
                                (unquote-value (substring line (+ eq 1)))
                                (loop section))))
                      (else (loop section))))))))))

(define (default-rust-toolchain)
  "Return the toolchain for a package without #:rust (see the
commentary)."
  (cond ((%rust-toolchain) => ->toolchain)
        (%global-toolchain (->toolchain %global-toolchain))
        ((let ((env (getenv "FERRIX_RUST")))
           (and env (not (string-null? env)) env))
         => host-rust-toolchain)
        ((rust-toolchain-pin (project-directory)) => host-rust-toolchain)
        (else (host-rust-toolchain #f))))


;;;
;;; Resolving a toolchain.
;;;

(define (executable-file? file)
  (and (file-exists? file)
       (not (file-is-directory? file))
       (access? file X_OK)))

(define (search-path* name)
  (let ((path (or (getenv "PATH") "")))
    (find executable-file?
          (map (lambda (dir) (string-append dir "/" name))
               (filter (negate string-null?) (string-split path #\:))))))

(define (toolchain-binaries tc)
  "Return two values: the rustc and cargo of TC as found (maybe proxies)."
  (define directory (rust-toolchain-directory tc))
  (define (in dir name)
    (let ((file (string-append dir "/" name)))
      (and (executable-file? file) file)))
  (if directory
      (let ((bin (cond ((in (string-append directory "/bin") "rustc")
                        (string-append directory "/bin"))
                       ((in directory "rustc") directory)
                       ((and (executable-file? directory)
                             (string=? "rustc" (basename directory)))
                        (dirname directory))
                       (else
                        (error (format #f "Rust toolchain '~a': no \
~a/bin/rustc" directory directory))))))
        (values (in bin "rustc") (in bin "cargo")))
      (let ((rustc (search-path* "rustc")))
        (unless rustc
          (error "no rustc on PATH; install Rust or choose a toolchain \
with --with-rust=DIRECTORY"))
        (values rustc (search-path* "cargo")))))

(define (proxy? file)
  (and file (string-prefix? "rustup" (basename (canonicalize-path file)))))

(define (command-output program . args)
  "Run PROGRAM with ARGS and return its standard output; raise an error
naming the command if it fails."
  (let* ((port (apply open-pipe* OPEN_READ program args))
         (output (get-string-all port))
         (status (close-pipe port)))
    (unless (zero? (or (status:exit-val status) 1))
      (error (format #f "`~a' failed (status ~a)"
                     (string-join (cons program args) " ") status)))
    output))

(define (with-directory directory thunk)
  (let ((previous (getcwd)))
    (dynamic-wind (lambda () (chdir directory))
                  thunk
                  (lambda () (chdir previous)))))

(define (file-signature file)
  (let ((st (false-if-exception (stat file))))
    (and st (list (stat:dev st) (stat:ino st) (stat:size st)
                  (stat:mtime st) (stat:mtimensec st)
                  (stat:ctime st) (stat:ctimensec st)))))

(define (proxy-context-key proxy context)
  "Return what the resolution of PROXY, a rustup proxy, run in CONTEXT may
depend on."
  (let* ((home (or (getenv "RUSTUP_HOME")
                   (string-append (or (getenv "HOME") "/") "/.rustup"))))
    (list (canonicalize-path proxy) proxy context
          (getenv "RUSTUP_TOOLCHAIN") home
          (file-signature (string-append home "/settings.toml"))
          (let loop ((dir context) (files '()))
            (let ((files (append (map (lambda (name)
                                        (let ((file (string-append dir "/"
                                                                   name)))
                                          (list file (file-signature file))))
                                      '("rust-toolchain" "rust-toolchain.toml"))
                                 files)))
              (if (string=? dir "/")
                  files
                  (loop (dirname dir) files)))))))

(define (proxy-sysroot proxy context)
  "Return the sysroot of the toolchain that PROXY, a rustup proxy, selects
when run in CONTEXT."
  (let* ((key (proxy-context-key proxy context))
         (cached (stamp-cache-ref 'rustup-sysroot key)))
    (if (and cached (executable-file? (string-append cached "/bin/rustc")))
        cached
        (let ((sysroot (string-trim-both
                        (with-directory (if (file-is-directory? context)
                                            context
                                            "/")
                          (lambda ()
                            (command-output proxy "--print" "sysroot"))))))
          (stamp-cache-set! 'rustup-sysroot key sysroot)
          sysroot))))

(define (file-sha256-hex file)
  (bytevector->base16-string (file-sha256 file)))

(define (first-line str)
  (match (string-index str #\newline)
    (#f str)
    (n (substring str 0 n))))

(define %facts (make-hash-table))       ;toolchain -> facts, this process

(define (rust-toolchain-facts tc)
  "Return an alist describing TC: the real rustc and cargo file names,
their version output and their sha256 (hexadecimal)."
  (or (hashq-ref %facts tc)
      (let-values (((rustc cargo) (toolchain-binaries tc)))
        (let* ((sysroot (and (proxy? rustc)
                             (proxy-sysroot rustc
                                            (rust-toolchain-context tc))))
               (rustc (canonicalize-path
                       (if sysroot
                           (string-append sysroot "/bin/rustc")
                           rustc)))
               ;; A toolchain may be rustc alone (no cargo found, or left
               ;; out): the per-crate mode never runs cargo.
               (cargo (cond ((not (rust-toolchain-cargo-wanted? tc)) #f)
                            ((and sysroot (or (not cargo) (proxy? cargo)))
                             (let ((cargo (string-append sysroot
                                                         "/bin/cargo")))
                               (and (file-exists? cargo) cargo)))
                            (else cargo)))
               (cargo (and cargo (canonicalize-path cargo)))
               (key (list rustc (file-signature rustc)
                          cargo (and cargo (file-signature cargo))))
               (facts (or (stamp-cache-ref 'rust-toolchain key)
                          (let ((facts
                                 `((rustc . ,rustc)
                                   (cargo . ,cargo)
                                   (rustc-version
                                    . ,(command-output rustc "-vV"))
                                   (cargo-version
                                    . ,(and cargo (command-output cargo "-V")))
                                   (rustc-sha256 . ,(file-sha256-hex rustc))
                                   (cargo-sha256
                                    . ,(and cargo (file-sha256-hex cargo))))))
                            (stamp-cache-set! 'rust-toolchain key facts)
                            facts))))
          (hashq-set! %facts tc facts)
          facts))))

(define (rust-toolchain-release tc)
  "Return the release of TC's rustc (\"1.95.0\"), or #f."
  (let ((version (assq-ref (rust-toolchain-facts tc) 'rustc-version)))
    (or (any (lambda (line)
               (and (string-prefix? "release: " line)
                    (string-trim-both (string-drop line 9))))
             (string-split version #\newline))
        (match (string-tokenize (first-line version))
          ((_ release _ ...) release)
          (_ #f)))))

(define (rust-toolchain-cargo? tc)
  "Return true if TC, a host toolchain, has a cargo."
  (and (assq-ref (rust-toolchain-facts tc) 'cargo) #t))

(define (valid-name-char? c)
  (or (char-alphabetic? c) (char-numeric? c) (memv c '(#\- #\. #\_ #\+))))

(define (toolchain-item-name tc)
  (let ((release (rust-toolchain-release tc)))
    (string-append "rust-toolchain"
                   (if release
                       (string-append "-"
                                      (string-filter valid-name-char? release))
                       ""))))

(define (rust-toolchain->store-path store tc)
  "Add the store item describing TC (see the commentary) to STORE and
return its file name."
  ;; The item's contents are a function of its name and TC's facts, which
  ;; are themselves cached by the binaries' metadata; so when the item of
  ;; the same facts is still valid, nothing is written, hashed or run.
  (let* ((facts (rust-toolchain-facts tc))
         (name (toolchain-item-name tc))
         (key (list (store-directory store) name facts))
         (cached (stamp-cache-ref 'rust-toolchain-item key)))
    (if (and cached (valid-path? store cached))
        cached
        (let ((item (add-toolchain-item store name facts)))
          (stamp-cache-set! 'rust-toolchain-item key item)
          item))))

(define (add-toolchain-item store name facts)
  "Assemble the toolchain item NAME from FACTS in a temporary directory and
add it to STORE; return its file name."
  (let* ((tmp (mkdtemp (string-append (or (getenv "TMPDIR") "/tmp")
                                      "/ferrix-toolchain-XXXXXX")))
         (root (string-append tmp "/" name)))
    (define (write-file file text)
      (call-with-output-file (string-append root "/" file)
        (lambda (port) (display text port))))
    (dynamic-wind
      (const #t)
      (lambda ()
        (mkdir root)
        (mkdir (string-append root "/bin"))
        (symlink (assq-ref facts 'rustc) (string-append root "/bin/rustc"))
        (write-file "rustc-vV" (assq-ref facts 'rustc-version))
        ;; Without cargo, no bin/cargo nor cargo-V: the item of a toolchain
        ;; with cargo is unchanged.
        (when (assq-ref facts 'cargo)
          (symlink (assq-ref facts 'cargo) (string-append root "/bin/cargo"))
          (write-file "cargo-V" (assq-ref facts 'cargo-version)))
        (write-file "sha256sums"
                    (string-append (assq-ref facts 'rustc-sha256) "  "
                                   (assq-ref facts 'rustc) "\n"
                                   (if (assq-ref facts 'cargo)
                                       (string-append
                                        (assq-ref facts 'cargo-sha256) "  "
                                        (assq-ref facts 'cargo) "\n")
                                       "")))
        (add-to-store store name #t 'sha256 root))
      (lambda ()
        (for-each (lambda (file)
                    (false-if-exception
                     (delete-file (string-append root "/" file))))
                  '("bin/rustc" "bin/cargo" "rustc-vV" "cargo-V"
                    "sha256sums"))
        (false-if-exception (rmdir (string-append root "/bin")))
        (false-if-exception (rmdir root))
        (false-if-exception (rmdir tmp))))))

;; What every contained build sees of the host anyway (see doc/build.md).
(define %visible-host-directories '("/usr" "/bin" "/sbin" "/lib" "/lib64"))

(define (toolchain-item-host-directories item)
  "Return the host directories that the toolchain store item ITEM needs a
build to see: the sysroots (the directory above bin/) of its rustc and
cargo when they are links out of the store to a host toolchain outside
/usr, as with rustup.  These become the derivation's impureHostDeps."
  (define (sysroot link)
    (let ((target (false-if-exception (readlink link))))
      (and target
           (string-prefix? "/" target)
           ;; A cargo built by ferrix is an input, not a host directory.
           (not (string-prefix? (string-append (dirname item) "/") target))
           (dirname (dirname target)))))
  (or (hash-ref %with-cargo-host-directories item)
      (delete-duplicates
       (filter-map (lambda (program)
                     (let ((root (sysroot (string-append item "/bin/"
                                                         program))))
                       (and root
                            (not (any (lambda (visible)
                                        (or (string=? root visible)
                                            (string-prefix?
                                             (string-append visible "/")
                                             root)))
                                      %visible-host-directories))
                            root)))
                   '("rustc" "cargo")))))

(register-object-lowerer!
 rust-toolchain?
 (lambda (store tc system target)
   (rust-toolchain->store-path store tc)))


;;;
;;; A host rustc with the cargo of a package.
;;;

(define-record-type <rust-toolchain-with-cargo>
  (make-rust-toolchain-with-cargo rustc cargo)
  rust-toolchain-with-cargo?
  (rustc rust-toolchain-with-cargo-rustc)  ;<rust-toolchain>
  (cargo rust-toolchain-with-cargo-cargo)) ;package

(set-record-type-printer! <rust-toolchain-with-cargo>
  (lambda (tc port)
    (format port "#<rust-toolchain-with-cargo ~a ~a>"
            (or (rust-toolchain-directory (rust-toolchain-with-cargo-rustc tc))
                "(PATH)")
            (package-full-name (rust-toolchain-with-cargo-cargo tc)))))

(define (rust-toolchain-with-cargo toolchain cargo)
  "Return the toolchain made of the rustc of TOOLCHAIN (a host toolchain or
its directory name) and the bin/cargo of the package CARGO: a cargo built
by ferrix, say, rather than the host's."
  (unless (or (string? toolchain) (rust-toolchain? toolchain))
    (error "rust-toolchain-with-cargo: TOOLCHAIN must be a host toolchain \
or a toolchain directory" toolchain))
  (unless (package? cargo)
    (error "rust-toolchain-with-cargo: CARGO must be a package" cargo))
  (make-rust-toolchain-with-cargo (if (string? toolchain)
                                      (host-rust-toolchain toolchain)
                                      toolchain)
                                  cargo))

(define %with-cargo-host-directories
  ;; Output of a toolchain-with-cargo derivation -> the host directories of
  ;; its rustc: that output may not be built yet when a derivation using it
  ;; is made.
  (make-hash-table))

(define (rust-toolchain-with-cargo-derivation store tc system)
  "Return the derivation of TC, a toolchain with the cargo of a package,
for SYSTEM."
  (let* ((rustc (rust-toolchain-with-cargo-rustc tc))
         (facts (rust-toolchain-facts rustc))
         (cargo (package-derivation store (rust-toolchain-with-cargo-cargo tc)
                                    system))
         (drv (build-script->derivation
               store (string-append (toolchain-item-name rustc) "-with-"
                                    (package-name
                                     (rust-toolchain-with-cargo-cargo tc))
                                    "-"
                                    (package-version
                                     (rust-toolchain-with-cargo-cargo tc)))
               `((let ((out (getenv "out")))
                   (define (write-file file text)
                     (call-with-output-file (string-append out "/" file)
                       (lambda (port) (display text port))))
                   (mkdir out)
                   (mkdir (string-append out "/bin"))
                   (symlink ,(assq-ref facts 'rustc)
                            (string-append out "/bin/rustc"))
                   (symlink ,(string-append (derivation->output-path cargo)
                                            "/bin/cargo")
                            (string-append out "/bin/cargo"))
                   (write-file "rustc-vV" ,(assq-ref facts 'rustc-version))
                   (write-file "sha256sums"
                               ,(string-append (assq-ref facts 'rustc-sha256)
                                               "  " (assq-ref facts 'rustc)
                                               "\n"))))
               #:system system
               #:inputs `((,cargo "out")))))
    (hash-set! %with-cargo-host-directories (derivation->output-path drv)
               (toolchain-item-host-directories
                (rust-toolchain->store-path store rustc)))
    drv))

(register-object-lowerer!
 rust-toolchain-with-cargo?
 (lambda (store tc system target)
   (rust-toolchain-with-cargo-derivation store tc system)))

;;; toolchain.scm ends here

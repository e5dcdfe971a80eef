;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix cargo-project): a Cargo project (a crate or a workspace with its
;;; Cargo.lock) as a package, its crate inputs read from the lock file when
;;; the package is lowered, as nixpkgs' importCargoLock and Guix's
;;; cargo-inputs-from-lockfile do.

(define-module (ferrix cargo-project)
  #:use-module (ferrix packages)
  #:use-module (ferrix download)
  #:use-module (ferrix git-download)
  #:use-module (ferrix build-system cargo)
  #:use-module (ferrix base32)
  #:use-module ((ferrix hash) #:select (sha256))
  #:use-module ((ferrix cache) #:select (cache-directory make-cache-directory))
  #:use-module ((ferrix registry) #:select (open-registry registry-download-url))
  #:use-module ((ferrix diagnostics) #:select (&diagnostic-error))
  #:use-module ((ferrix build-system cargo-units) #:select (%per-crate?))
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-34)
  #:use-module (srfi srfi-35)
  #:use-module (rnrs bytevectors)
  #:use-module (ice-9 match)
  #:use-module (ice-9 rdelim)
  #:export (cargo-project
            cargo-project-lockfile
            lockfile-cargo-inputs
            lockfile-directory-crates

            %crates-from
            current-crates-from
            environment-crates-from
            crates-from?
            crate-download-uri

            &cargo-project-error
            cargo-project-error?
            cargo-project-error-package))

;;; Commentary:
;;;
;;; (cargo-project "DIR") is a package built with cargo-build-system:
;;;
;;;   - name and version: the root package's, from DIR/Cargo.toml; for a
;;;     virtual workspace (no [package]), DIR's base name and the version
;;;     the workspace's members share in Cargo.lock (else "0.0.0");
;;;   - source: DIR as a local-file, without target/ and VCS directories
;;;     (path dependencies inside DIR come with it);
;;;   - #:cargo-inputs: one origin per locked package, computed from
;;;     DIR/Cargo.lock each time the package's arguments are read, that is
;;;     when it is lowered: editing the lock file changes the derivation,
;;;     and there is no generated file to keep in sync.
;;;
;;; A registry package is a url-fetch origin pinned by the lock's checksum
;;; (the sha256 of the .crate), its URL from %crates-from (below).  A git
;;; package ("git+URL?rev=...#COMMIT") is a git-fetch origin of COMMIT; the
;;; lock records no hash of the checkout, so its hash is computed at
;;; lowering by checking the commit out once, and kept in the per-user cache
;;; "git-hashes" keyed by URL and commit (the commit pins the content, so
;;; the cache is only an optimisation); #:git-hashes gives them instead, as
;;; nixpkgs' outputHashes does.  Packages of one repository and commit share
;;; one checkout.
;;;
;;; %crates-from says where crates come from: "crates.io" ('crate-uri', so
;;; that the configured mirrors apply), a download URL as cargo's registry
;;; config.json "dl" (with {crate}, {version}, {prefix}, {lowerprefix} and
;;; {sha256-checksum}, or none, meaning DL/{crate}/{version}/download), a
;;; sparse index "sparse+URL" (its config.json read at lowering), or a
;;; directory registry "dir:PATH" holding unpacked crates NAME-VERSION/.
;;; An unpacked crate cannot reproduce its .crate's checksum (packing is not
;;; byte-exact, and Debian's crates are patched), so in a directory registry
;;; a crate is the directory's content (a local-file) matched by the lock's
;;; name and version only: its content is not checked against the lock's
;;; checksum.  Crates whose .cargo-checksum.json records another package
;;; checksum than the lock's, or none, are named in a warning, and a phase
;;; before 'configure', 'directory-crate-checksums', gives them in the
;;; build's copy of Cargo.lock the checksum they record (the line removed
;;; when they record none), so that cargo's comparison with the vendored
;;; crates passes.
;;;
;;; Code:

(eval-when (expand load eval)
  ;; %user-crates-from; %read-lockfile; %cargo-manifest-info.
  (load-extension "libguile-ferrix" "init_ferrix")
  (load-extension "libguile-ferrix" "init_ferrix_import")
  (load-extension "libguile-ferrix" "init_ferrix_cargo"))

(define-condition-type &cargo-project-error &error
  cargo-project-error?
  (package cargo-project-error-package))      ;"NAME VERSION" | #f

(define (project-error package fmt . args)
  ;; A diagnostic without location: the message names the package and the
  ;; lock file, which is not Scheme to point into.
  (raise (make-compound-condition
          (make-condition &cargo-project-error 'package package)
          (make-condition &diagnostic-error 'location #f)
          (make-condition &message 'message (apply format #f fmt args)))))


;;;
;;; Where crates come from.
;;;

(define (crates-from? value)
  "Return true if VALUE is a valid %crates-from setting."
  (and (string? value)
       (or (string=? value "crates.io")
           (and (string-prefix? "dir:" value) (> (string-length value) 4))
           (string-prefix? "sparse+" value)
           (string-prefix? "http://" value)
           (string-prefix? "https://" value)
           (string-prefix? "file://" value))))

(define %crates-from
  ;; Where the crates of lock files come from, see the commentary; #f: as
  ;; 'crates-from' says.
  (make-parameter #f
                  (lambda (value)
                    (unless (or (not value) (crates-from? value))
                      (raise (make-compound-condition
                              (make-condition &cargo-project-error
                                              'package #f)
                              (make-condition
                               &message 'message
                               (format #f "crates from '~a': expected \
crates.io, a download URL (http://, https://, file://), sparse+URL or \
dir:DIRECTORY" value)))))
                    value)))

(define (environment-crates-from)
  "Return the value of $FERRIX_CRATES_FROM, or #f when it is unset or empty;
raise a &cargo-project-error naming the variable when it is not a valid
%crates-from setting."
  (match (getenv "FERRIX_CRATES_FROM")
    ((or #f "") #f)
    ((? crates-from? value) value)
    (value
     (raise (make-compound-condition
             (make-condition &cargo-project-error 'package #f)
             (make-condition
              &message 'message
              (format #f "$FERRIX_CRATES_FROM is '~a': expected crates.io, \
a download URL (http://, https://, file://), sparse+URL or dir:DIRECTORY"
                      value)))))))

(define (current-crates-from)
  "Return where the crates of lock files come from: %crates-from, else
$FERRIX_CRATES_FROM, else the configuration file's [crates] from, else
\"crates.io\"."
  (or (%crates-from)
      (environment-crates-from)
      (%user-crates-from)
      "crates.io"))

(define (lower-prefix name)
  ;; cargo's {prefix}: "1/a", "2/ab", "3/a/abc", "ab/cd" for longer names.
  (let ((n (string-length name)))
    (cond ((= n 1) "1")
          ((= n 2) "2")
          ((= n 3) (string-append "3/" (substring name 0 1)))
          (else (string-append (substring name 0 2) "/" (substring name 2 4))))))

(define (expand-download-template dl name version checksum)
  (define markers
    '("{crate}" "{version}" "{prefix}" "{lowerprefix}" "{sha256-checksum}"))
  (define (replace text marker value)
    (let loop ((text text))
      (match (string-contains text marker)
        (#f text)
        (i (loop (string-append (substring text 0 i) value
                                (substring text (+ i (string-length marker)))))))))
  (if (any (lambda (m) (string-contains dl m)) markers)
      (fold (lambda (pair text) (replace text (car pair) (cdr pair)))
            dl
            `(("{crate}" . ,name) ("{version}" . ,version)
              ("{prefix}" . ,(lower-prefix name))
              ("{lowerprefix}" . ,(lower-prefix (string-downcase name)))
              ("{sha256-checksum}" . ,(or checksum ""))))
      (string-append (string-trim-right dl #\/) "/" name "/" version
                     "/download")))

(define* (crate-download-uri name version
                             #:key checksum (from (current-crates-from)))
  "Return the URL of the .crate of NAME at VERSION (whose sha256 is CHECKSUM,
in hexadecimal, or #f) for FROM, a %crates-from setting other than dir:."
  (cond ((string=? from "crates.io") (crate-uri name version))
        ((string-prefix? "sparse+" from)
         (registry-download-url (open-registry from) name version))
        (else (expand-download-template from name version checksum))))


;;;
;;; Cargo.lock.
;;;

(define (read-lockfile file)
  ;; ((NAME VERSION SOURCE CHECKSUM) ...).
  (unless (file-exists? file)
    (project-error #f "~a: no such file (a Cargo project needs its \
Cargo.lock: run `cargo generate-lockfile' in its directory)" file))
  (match (%read-lockfile file)
    ((version . packages) packages)))

(define (git-source-url+commit source)
  "Return the URL and commit of SOURCE, \"git+URL?QUERY#COMMIT\", or #f."
  (let* ((rest (string-drop source 4))
         (hash (string-rindex rest #\#)))
    (and hash
         (let ((url (substring rest 0 hash)))
           (cons (match (string-index url #\?)
                   (#f url)
                   (q (substring url 0 q)))
                 (substring rest (+ hash 1)))))))

(define (git-hash-cache-file url commit)
  (let ((directory (cache-directory "git-hashes")))
    (and directory
         (string-append directory "/"
                        (bytevector->nix-base32-string
                         (sha256 (string->utf8
                                  (string-append url "#" commit))))))))

(define (cached-git-hash url commit)
  (let ((file (git-hash-cache-file url commit)))
    (and file
         (false-if-exception
          (let ((text (call-with-input-file file read-line)))
            (and (string? text) (= 52 (string-length text)) text))))))

(define (cache-git-hash! url commit hash)
  (let ((file (git-hash-cache-file url commit)))
    (when file
      (false-if-exception
       (begin
         (make-cache-directory (dirname file))
         (let ((tmp (string-append file ".tmp" (number->string (getpid)))))
           (call-with-output-file tmp
             (lambda (port) (display hash port) (newline port)))
           (rename-file tmp file)))))))

(define (git-source-hash name version url commit git-hashes)
  "Return the nix32 hash of the checkout of COMMIT of URL, the source of
NAME at VERSION: from GIT-HASHES, an alist whose keys are crate names,
\"NAME@VERSION\" or URLs, else the cache, else by checking it out."
  (or (any (lambda (key) (assoc-ref git-hashes key))
           (list (string-append name "@" version) name url))
      (cached-git-hash url commit)
      (let ((hash (catch 'ferrix-error
                    (lambda () (git-checkout-hash url commit))
                    (lambda (key subr fmt args . rest)
                      (project-error
                       (string-append name " " version)
                       "~a ~a: the lock file records no hash of its git \
source, and checking out commit ~a of ~a to compute it failed: ~a; give the \
hash with #:git-hashes '((~s . \"HASH\")) (what `ferrix hash -r' of the \
checkout prints)"
                       name version commit url (apply format #f fmt args)
                       name)))))
        (cache-git-hash! url commit hash)
        hash)))

(define (directory-crate-checksum directory)
  ;; The package checksum of DIRECTORY's .cargo-checksum.json, or #f.
  (false-if-exception
   (let* ((text (call-with-input-file
                    (string-append directory "/.cargo-checksum.json")
                  (lambda (port) (read-delimited "" port))))
          (key "\"package\":")
          (i (string-contains text key)))
     (and i
          (let* ((start (string-index text #\" (+ i (string-length key)))))
            (and start
                 (let* ((end (string-index text #\" (+ start 1)))
                        (value (substring text (+ start 1) end)))
                   (and (= 64 (string-length value))
                        (string-every (char-set-union char-set:digit
                                                      (string->char-set "abcdef"))
                                      value)
                        value))))))))

(define (directory-crate name version checksum registry file)
  "Return the local-file of NAME at VERSION in the directory REGISTRY,
whose Cargo.toml must be NAME at VERSION, as the lock FILE says; matched by
version only, its content is not checked against CHECKSUM, the lock's (see
'lockfile-directory-crates')."
  (let* ((directory (string-append registry "/" name "-" version))
         (id (string-append name " " version)))
    (unless (file-exists? (string-append directory "/Cargo.toml"))
      (project-error id "~a ~a (locked in ~a) is not in the directory \
registry ~a: no ~a/Cargo.toml" name version file registry directory))
    (match (%cargo-manifest-info directory)
      ((found-name found-version _)
       (unless (and (equal? found-name name) (equal? found-version version))
         (project-error id "~a ~a (locked in ~a): ~a/Cargo.toml is ~a ~a"
                        name version file directory found-name
                        found-version))))
    (local-file directory (string-append name "-" version)
                #:recursive? #t)))

(define* (lockfile-cargo-inputs file
                                #:key (crates-from (current-crates-from))
                                (git-hashes '()))
  "Return the origins of the crates FILE, a Cargo.lock, locks, in its order:
a url-fetch origin per registry package, pinned by its checksum, whose URL
CRATES-FROM gives (or the crate's directory when CRATES-FROM is
\"dir:PATH\"); a git-fetch origin per git repository and commit, hashed as
GIT-HASHES says or by checking it out.  Path packages are skipped.  A
registry package without checksum, or of a source ferrix cannot fetch,
raises a &cargo-project-error naming it."
  (define directory
    (and (string-prefix? "dir:" crates-from) (string-drop crates-from 4)))
  (define checkouts '())                  ;((URL . COMMIT) ...)
  (filter-map
   (match-lambda
     ((name version #f _) #f)               ;a member or path dependency
     ((name version source checksum)
      (cond
       ((or (string-prefix? "registry+" source)
            (string-prefix? "sparse+" source))
        (cond (directory
               (directory-crate name version checksum directory file))
              ((not checksum)
               (project-error (string-append name " " version)
                              "~a ~a has no checksum in ~a: without it the \
download cannot be pinned (let cargo record it: `cargo generate-lockfile', \
or `cargo update -p ~a')" name version file name))
              (else
               (origin
                 (method url-fetch)
                 (uri (crate-download-uri name version #:checksum checksum
                                          #:from crates-from))
                 (file-name (string-append (crate-name->package-name name)
                                           "-" version ".tar.gz"))
                 (sha256 (base16-string->bytevector checksum))))))
       ((string-prefix? "git+" source)
        (match (git-source-url+commit source)
          (#f (project-error (string-append name " " version)
                             "~a ~a: the git source ~a in ~a names no \
commit (#SHA1)" name version source file))
          ((and key (url . commit))
           (and (not (member key checkouts))
                (begin
                  (set! checkouts (cons key checkouts))
                  (origin
                    (method git-fetch)
                    (uri (git-reference (url url) (commit commit)))
                    (file-name (git-file-name (crate-name->package-name name)
                                              version))
                    (sha256 (nix-base32-string->bytevector
                             (git-source-hash name version url commit
                                              git-hashes)))))))))
       (else
        (project-error (string-append name " " version)
                       "~a ~a comes from ~a (in ~a), a source ferrix cannot \
fetch: it takes registry (registry+, sparse+), git (git+) and path packages"
                       name version source file)))))
   (read-lockfile file)))

(define %warned-directory-crates
  ;; Lock files whose unmatched directory crates were reported.
  (make-hash-table))

(define* (lockfile-directory-crates file
                                    #:key (crates-from (current-crates-from)))
  "Return the (NAME VERSION CHECKSUM) of the registry packages of FILE, a
Cargo.lock, whose checksum the build's copy of the lock file must change:
with CRATES-FROM \"dir:PATH\", those whose directory does not record the
lock's checksum in its .cargo-checksum.json (it was patched, or packed by
someone else), taken by version only, CHECKSUM being the one it records, or
#f; else none.  Say so once per FILE on the error port."
  (define registry
    (and (string-prefix? "dir:" crates-from) (string-drop crates-from 4)))
  (define unmatched
    (if registry
        (filter-map (match-lambda
                      ((name version (? string? source) (? string? checksum))
                       (let ((recorded (directory-crate-checksum
                                        (string-append registry "/" name
                                                       "-" version))))
                         (and (or (string-prefix? "registry+" source)
                                  (string-prefix? "sparse+" source))
                              (not (equal? checksum recorded))
                              (list name version recorded))))
                      (_ #f))
                    (read-lockfile file))
        '()))
  (unless (or (null? unmatched) (hash-ref %warned-directory-crates file))
    (hash-set! %warned-directory-crates file #t)
    (format (current-error-port) "warning: ~a: ~a of the crates taken from \
the directory registry ~a do not record the lock file's checksum (~a~a): an \
unpacked crate cannot reproduce its .crate, so they are matched by version, \
unchecked, and the build's copy of Cargo.lock has the checksums they record, \
or none~%"
            file (length unmatched) registry
            (string-join (map (match-lambda
                                ((name version _)
                                 (string-append name " " version)))
                              (list-head unmatched
                                         (min 3 (length unmatched))))
                         ", ")
            (if (> (length unmatched) 3) ", ..." "")))
  unmatched)


;;;
;;; The package.
;;;

(define %vcs-directories
  '(".git" ".hg" ".svn" ".jj" ".pijul" "_darcs" ".bzr"))

(define (project-file-selector directory)
  "Return the select? procedure of DIRECTORY's source: everything but the
top-level target/ and result links, and VCS directories."
  (let ((target (string-append directory "/target"))
        (prefix (string-append directory "/result")))
    (lambda (file stat)
      (not (or (string=? file target)
               (and (string-prefix? prefix file)
                    (not (string-index (string-drop file (string-length
                                                          directory))
                                       #\/ 1))
                    (eq? 'symlink (stat:type stat)))
               (member (basename file) %vcs-directories))))))

(define (lock-checksums-phase crates)
  ;; Build-side code: a phase giving CRATES, a list of (NAME VERSION
  ;; CHECKSUM), the checksum CHECKSUM in ./Cargo.lock, or none when #f.
  `(lambda _
     (let* ((crates ',crates)
            (lines (call-with-input-file "Cargo.lock"
                     (lambda (port)
                       (let loop ((lines '()))
                         (let ((line ((@ (ice-9 rdelim) read-line) port)))
                           (if (eof-object? line)
                               (reverse lines)
                               (loop (cons line lines))))))))
            (value (lambda (line key)
                     (and (string-prefix? (string-append key " = \"") line)
                          (let ((start (+ 4 (string-length key))))
                            (substring line start
                                       (string-index line #\" start)))))))
       (call-with-output-file "Cargo.lock"
         (lambda (port)
           (let loop ((lines lines) (name #f) (version #f))
             (unless (null? lines)
               (let ((line (car lines)))
                 (cond ((string=? line "[[package]]")
                        (display line port) (newline port)
                        (loop (cdr lines) #f #f))
                       ((value line "name")
                        => (lambda (n)
                             (display line port) (newline port)
                             (loop (cdr lines) n version)))
                       ((value line "version")
                        => (lambda (v)
                             (display line port) (newline port)
                             (loop (cdr lines) name v)))
                       ((and (value line "checksum")
                             ((@ (srfi srfi-1) find)
                              (lambda (crate)
                                (equal? (list-head crate 2)
                                        (list name version)))
                              crates))
                        => (lambda (crate)
                             (when (caddr crate)
                               (format port "checksum = ~s~%" (caddr crate)))
                             (loop (cdr lines) name version)))
                       (else
                        (display line port) (newline port)
                        (loop (cdr lines) name version))))))))
       (format #t "Cargo.lock: the checksums of ~a crates of the directory \
registry are those their .cargo-checksum.json records, or none~%"
               (length crates))
       #t)))

(define (arguments-with-phase arguments name phase)
  ;; ARGUMENTS with the phase NAME, whose code is PHASE, added before
  ;; 'configure': to the caller's #:phases when ARGUMENTS give some, else to
  ;; %standard-phases.
  (match (memq #:phases arguments)
    (#f
     (append arguments
             `(#:phases
               (modify-phases %standard-phases
                 (add-before 'configure ',name ,phase)))))
    ((_ phases . _)
     (let loop ((arguments arguments))
       (match arguments
         ((#:phases _ . rest)
          `(#:phases
            (modify-phases ,phases
              (add-before 'configure ',name ,phase))
            ,@rest))
         ((first . rest)
          (cons first (loop rest))))))))

(define (defaults-not-in arguments defaults)
  ;; The keyword arguments of DEFAULTS whose keyword ARGUMENTS lacks.
  (let loop ((defaults defaults) (result '()))
    (match defaults
      (() (reverse result))
      ((key value . rest)
       (loop rest (if (memq key arguments) result
                      (cons* value key result)))))))

(define (cargo-project-lockfile directory)
  "Return the Cargo.lock file name of DIRECTORY."
  (string-append directory "/Cargo.lock"))

(define (project-directory file)
  ;; FILE is a project directory or its Cargo.lock (or Cargo.toml).
  (let ((file (if (string-prefix? "/" file) file
                  (string-append (getcwd) "/" file))))
    (unless (file-exists? file)
      (project-error #f "~a: no such file or directory" file))
    (let ((directory (if (eq? 'directory (stat:type (stat file)))
                         file
                         (dirname file))))
      (unless (file-exists? (string-append directory "/Cargo.toml"))
        (project-error #f "~a is not a Cargo project: it has no Cargo.toml"
                       directory))
      (canonicalize-path directory))))

(define* (cargo-project file
                        #:key name version
                        (git-hashes '())
                        (arguments '())
                        (inputs '())
                        (native-inputs '()))
  "Return the package of the Cargo project FILE, its directory or its
Cargo.lock, built with cargo-build-system: named after the root package of
its Cargo.toml (or NAME and VERSION), its source the directory without
target/ and VCS directories, its #:cargo-inputs the crates Cargo.lock locks,
read when the package is lowered from where %crates-from says (its value at
lowering), GIT-HASHES giving the hashes of git checkouts (see
'lockfile-cargo-inputs').  ARGUMENTS are further cargo-build-system
arguments."
  (let* ((directory (project-directory file))
         (lock (cargo-project-lockfile directory))
         (info (match (%cargo-manifest-info directory)
                 ((name version _) (cons name version))))
         (members-version
          (lambda ()
            (match (delete-duplicates
                    (filter-map (match-lambda
                                  ((_ version #f _) version)
                                  (_ #f))
                                (if (file-exists? lock)
                                    (read-lockfile lock)
                                    '())))
              ((one) one)
              (_ "0.0.0")))))
    (package
      (name (or name (car info) (basename directory)))
      (version (or version (cdr info) (members-version)))
      (source (local-file directory (or name (car info) (basename directory))
                          #:recursive? #t
                          #:select? (project-file-selector directory)))
      (build-system cargo-build-system)
      (arguments
       (let* ((from (current-crates-from))
              ;; The per-crate mode resolves from the lock file and the
              ;; crates at hand, and does not compare checksums: no phase.
              (per-crate? (or (%per-crate?)
                              (and=> (memq #:per-crate? arguments) cadr)))
              (unpinned (if per-crate?
                            '()
                            (lockfile-directory-crates lock
                                                       #:crates-from from))))
         (append
          ;; The caller's #:phases, if any, get the phase too.
          (if (null? unpinned)
              arguments
              (arguments-with-phase arguments 'directory-crate-checksums
                                    (lock-checksums-phase unpinned)))
          (defaults-not-in
           arguments
           `(#:cargo-inputs ,(lockfile-cargo-inputs lock
                                                    #:crates-from from
                                                    #:git-hashes git-hashes)
             #:install-source? #f)))))
      (inputs inputs)
      (native-inputs native-inputs)
      (synopsis (string-append "The Cargo project " (basename directory)))
      (description (string-append "The Cargo project at " directory
                                  ", built from its Cargo.lock."))
      (license #f)
      (home-page #f)
      ;; Not this file's: errors about the package are not located here.
      (location #f))))

;;; cargo-project.scm ends here

;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix store): the local store, from Scheme.  Keyword procedures over
;;; the %-primitives of libguile-ferrix, named as in Guix's (guix store).

(define-module (ferrix store)
  #:use-module (srfi srfi-9)
  #:use-module (srfi srfi-9 gnu)
  #:export (ferrix-error?
            ferrix-error-message
            ferrix-error-kind

            %default-store-root
            %default-store-directory
            open-store
            close-store
            store?
            store-open?
            current-store
            with-store
            call-with-store

            store-directory
            store-root
            %store-directory
            store-path?
            direct-store-path?
            store-path-hash-part
            store-path-package-name
            derivation-path?
            store-real-path

            valid-path?
            add-text-to-store
            add-to-store
            source-hash
            source-store-path
            query-path-info
            path-info?
            path-info-path
            path-info-deriver
            path-info-hash
            path-info-nar-size
            path-info-references
            path-info-registration-time
            path-info-content-address
            references
            referrers
            requisites
            add-root
            remove-root
            add-temp-root

            build-derivations
            derivations-to-build
            runnable-systems
            usable-cores
            log-file))

(eval-when (expand load eval)
  (load-extension "libguile-ferrix" "init_ferrix"))

;;; Commentary:
;;;
;;; A store is a struct wrapping the C++ LocalStore.  Open one with
;;; 'open-store' (or 'with-store'), close it with 'close-store'; a store
;;; that is no longer referenced is also closed by the garbage collector,
;;; but closing explicitly releases its locks and temporary roots at a known
;;; time.  Using a closed store raises a ferrix-error "store is closed".
;;;
;;; Every failure of the core arrives as an exception of kind 'ferrix-error'
;;; whose arguments are (SUBR "~A" (MESSAGE) (KIND)), KIND being a symbol
;;; such as 'invalid-path, 'bad-store-path, 'sys-error or 'store-error.
;;; 'ferrix-error?', 'ferrix-error-message' and 'ferrix-error-kind' accept
;;; the exception object (with-exception-handler, guard) as well as the
;;; argument list a 'catch' handler receives, with or without the key.
;;;
;;; Code:


;;;
;;; Errors.
;;;

(define (error-arguments obj)
  "Return the arguments of the ferrix error OBJ, which may be an exception
object, the arguments of a 'catch' handler, or those preceded by the key; #f
if OBJ is none of these."
  (cond ((and (exception? obj) (eq? (exception-kind obj) 'ferrix-error))
         (exception-args obj))
        ((and (pair? obj) (eq? (car obj) 'ferrix-error))
         (cdr obj))
        ((and (pair? obj) (string? (car obj)) (pair? (cdr obj))) ;(SUBR FMT ...)
         obj)
        (else #f)))

(define (ferrix-error? obj)
  "Return true if OBJ is a ferrix-error exception (or the key 'ferrix-error,
as a 'catch' handler receives it)."
  (or (eq? obj 'ferrix-error)
      (and (exception? obj) (eq? (exception-kind obj) 'ferrix-error))))

(define (ferrix-error-message obj)
  "Return the message of the ferrix error OBJ: an exception object, or the
arguments of a 'catch' handler (with or without the key)."
  (let ((args (error-arguments obj)))
    (if (and args (>= (length args) 3) (pair? (list-ref args 2)))
        (car (list-ref args 2))
        (error "not a ferrix error" obj))))

(define (ferrix-error-kind obj)
  "Return the kind of the ferrix error OBJ, a symbol such as 'invalid-path,
or #f."
  (let ((args (error-arguments obj)))
    (and args (>= (length args) 4)
         (pair? (list-ref args 3))
         (car (list-ref args 3)))))


;;;
;;; Opening and closing.
;;;

(define %default-store-root
  ;; The store root 'open-store' uses by default; #f means $FERRIX_STORE,
  ;; else ${XDG_DATA_HOME:-~/.local/share}/ferrix.  Set by 'ferrix --store'.
  (make-parameter #f))

(define %default-store-directory
  ;; The logical store directory 'open-store' asks for by default; #f means
  ;; $FERRIX_STORE_DIR, else what the store's database recorded, else
  ;; ROOT/store.  Set by 'ferrix --store-dir'.
  (make-parameter #f))

(define* (open-store #:key
                     (root (%default-store-root))
                     (store-dir (%default-store-directory)))
  "Open the store rooted at ROOT whose logical store directory is STORE-DIR
(strings, or #f for the defaults), creating it if needed."
  (%open-store root store-dir))

(define (close-store store)
  "Close STORE.  Closing it again does nothing; using it raises an error."
  (%close-store store))

(define (store? obj)
  "Return true if OBJ is a store (open or closed)."
  (%store? obj))

(define (store-open? store)
  "Return true if STORE has not been closed."
  (%store-open? store))

(define current-store
  ;; The store in use, or #f.  'with-store' sets it.
  (make-parameter #f))

(define (call-with-store proc)
  "Open the default store, call PROC with it (with 'current-store' set to it)
and close it when PROC returns or exits non-locally."
  (let ((store (open-store)))
    (dynamic-wind
      (const #t)
      (lambda ()
        (parameterize ((current-store store))
          (proc store)))
      (lambda ()
        (close-store store)))))

(define-syntax-rule (with-store store body ...)
  "Bind STORE to the default store, opened for the extent of BODY, and
evaluate BODY."
  (call-with-store (lambda (store) body ...)))


;;;
;;; Store paths.
;;;

(define (store-directory store)
  "Return the logical store directory of STORE, such as \"/nix/store\"."
  (%store-dir store))

(define (store-root store)
  "Return the directory STORE lives under."
  (%store-root store))

(define %store-directory-cache
  ;; (CONFIGURATION . DIRECTORY) of the default store, last time it was asked.
  #f)

(define (%store-directory)
  "Return the logical store directory of (current-store), or of the default
store when there is no current store."
  (let ((store (current-store)))
    (if store
        (store-directory store)
        (let ((key (list (%default-store-root) (%default-store-directory)
                         (getenv "FERRIX_STORE") (getenv "FERRIX_STORE_DIR")
                         (getenv "XDG_DATA_HOME") (getenv "HOME") (getcwd))))
          (if (and %store-directory-cache
                   (equal? key (car %store-directory-cache)))
              (cdr %store-directory-cache)
              (let* ((store (open-store))
                     (dir   (store-directory store)))
                (close-store store)
                (set! %store-directory-cache (cons key dir))
                dir))))))

(define %nix32-characters "0123456789abcdfghijklmnpqrsvwxyz")

(define (hash-part? str start)
  "Return true if the 32 characters of STR from START are nix32 digits."
  (and (<= (+ start 32) (string-length str))
       (let loop ((i start))
         (or (= i (+ start 32))
             (and (string-index %nix32-characters (string-ref str i))
                  (loop (+ i 1)))))))

(define* (store-path? path #:optional (directory (%store-directory)))
  "Return true if PATH is a store item in DIRECTORY or a file inside one:
DIRECTORY/HASH-NAME[/...]."
  (let ((prefix (string-append directory "/")))
    (and (string? path)
         (string-prefix? prefix path)
         (let ((start (string-length prefix)))
           (and (hash-part? path start)
                (> (string-length path) (+ start 33))
                (char=? #\- (string-ref path (+ start 32))))))))

(define* (direct-store-path? path #:optional (directory (%store-directory)))
  "Return true if PATH is a store item in DIRECTORY itself, not a file inside
one."
  (and (store-path? path directory)
       (not (string-index path #\/ (+ (string-length directory) 1)))))

(define (item-base-name path)
  "Return the HASH-NAME part of the store item PATH, or #f."
  (let* ((slash (string-rindex path #\/))
         (base  (if slash (substring path (+ slash 1)) path)))
    (and (> (string-length base) 33)
         (hash-part? base 0)
         (char=? #\- (string-ref base 32))
         base)))

(define (store-path-hash-part path)
  "Return the hash part of the store item PATH, a string of 32 nix32
digits, or #f if PATH does not look like a store item."
  (let ((base (item-base-name path)))
    (and base (substring base 0 32))))

(define (store-path-package-name path)
  "Return the name part of the store item PATH (\"/…/HASH-foo-1.0\" ->
\"foo-1.0\"), or #f if PATH does not look like a store item."
  (let ((base (item-base-name path)))
    (and base (substring base 33))))

(define (derivation-path? path)
  "Return true if PATH names a derivation file: a string ending in \".drv\"."
  (and (string? path) (string-suffix? ".drv" path)))

(define (store-real-path store path)
  "Return where the store item PATH (or a file inside one) of STORE really
is on disk: PATH itself, unless STORE keeps its items elsewhere (a store whose
directory is /nix/store but whose root is ROOT keeps them in
ROOT/nix/store)."
  (%store-real-path store path))


;;;
;;; Adding and querying.
;;;

(define (valid-path? store path)
  "Return true if PATH is a valid item of STORE."
  (%valid-path? store path))

(define* (add-text-to-store store name text #:optional (references '()))
  "Add TEXT (a string, stored as UTF-8, or a bytevector) to STORE as an item
called NAME that refers to the store items REFERENCES, and return its store
path."
  (%add-text-to-store store name text references))

(define* (add-to-store store basename recursive? hash-algo file-name
                       #:key (references '()))
  "Copy FILE-NAME into STORE as an item called BASENAME and return its store
path.  RECURSIVE? true: the whole file tree (NAR); false: a single regular
file.  HASH-ALGO is a symbol: 'sha256 with RECURSIVE? gives a source path,
anything else a fixed-output path.  REFERENCES is a list of store items the
new item may refer to (its contents are scanned for them)."
  (%add-to-store store basename recursive? hash-algo file-name references))

(define (source-hash store file-name)
  "Return the NAR sha256 (a bytevector) of FILE-NAME, a file or directory
outside the store, i.e. the hash a recursive 'sha256 add of it would have.
STORE keeps it in a cache keyed by the tree's metadata (names, modes, sizes,
inodes, modification and change times), so an unchanged tree is only walked,
not read again."
  (%source-hash store file-name))

(define (source-store-path store name hash)
  "Return the store file name that a recursive 'sha256 add of a tree called
NAME whose NAR sha256 is HASH (a bytevector) gets, without references."
  (%source-path store name hash))

(define-record-type <path-info>
  (make-path-info path deriver hash nar-size references registration-time
                  content-address)
  path-info?
  (path              path-info-path)
  (deriver           path-info-deriver)           ;string or #f
  (hash              path-info-hash)              ;bytevector: sha256 of the NAR
  (nar-size          path-info-nar-size)
  (references        path-info-references)        ;list of store paths
  (registration-time path-info-registration-time) ;seconds since the epoch
  (content-address   path-info-content-address))  ;string or #f

(set-record-type-printer! <path-info>
  (lambda (info port)
    (format port "#<path-info ~a>" (path-info-path info))))

(define (query-path-info store path)
  "Return a <path-info> for the valid item PATH of STORE; raise a
ferrix-error if PATH is not valid."
  (let ((v (%query-path-info store path)))
    (make-path-info (vector-ref v 0) (vector-ref v 1) (vector-ref v 2)
                    (vector-ref v 3) (vector-ref v 4) (vector-ref v 5)
                    (vector-ref v 6))))

(define (references store path)
  "Return the store items the valid item PATH refers to."
  (%references store path))

(define (referrers store path)
  "Return the valid store items that refer to PATH."
  (%referrers store path))

(define (requisites store paths)
  "Return the closure of PATHS: them and everything they refer to,
transitively."
  (%requisites store paths))

(define (add-root store path name)
  "Keep the valid item PATH alive.  NAME without a slash names a root in the
store's root directory; otherwise NAME is a symlink to create (an indirect
root).  Return the symlink created."
  (%add-root store path name))

(define (remove-root store name)
  "Remove the root NAME made by 'add-root'."
  (%remove-root store name))

(define (add-temp-root store path)
  "Keep PATH alive while STORE is open."
  (%add-temp-root store path))

;;;
;;; Building.
;;;

(define (derivation-file-name* drv)
  "Return the .drv file name of DRV: a file name, a <derivation> record, or
a (DRV . OUTPUT) pair."
  (cond ((string? drv) drv)
        ((pair? drv) (derivation-file-name* (car drv)))
        ((and (record? drv)
              (eq? (record-type-descriptor drv)
                   (module-ref (resolve-interface '(ferrix derivations))
                               '<derivation>)))
         ;; (ferrix derivations) uses this module: its accessor is looked up
         ;; at run time, through the record type.
         ((record-accessor (record-type-descriptor drv) 'file-name) drv))
        (else (error "not a derivation" drv))))

(define* (build-derivations store derivations
                            #:key (max-jobs 1) (cores 0) keep-failed?
                            keep-going? check? (timeout 0) (max-silent-time 0)
                            observer timings verbose? verbosity
                            backtraces?)
  "Realise DERIVATIONS, a list of .drv file names (or <derivation> records,
or (DRV . OUTPUT) pairs as Guix accepts, the output being ignored: every
output is built), in STORE: build each derivation of their graph whose
outputs are not all valid, inputs first, up to MAX-JOBS at once, each with
CORES cores (0: all).  KEEP-FAILED? keeps the build directory of a failed
build; KEEP-GOING? goes on, after a failure, with the builds that do not
depend on it (the error then names every failure); CHECK? rebuilds the given
derivations and compares the results with the valid outputs.  TIMEOUT and
MAX-SILENT-TIME are in seconds (0: none).

Progress goes to standard error, unless OBSERVER is a procedure: it is then
called, in the calling thread, with each event of the run in the order they
happen, an alist whose first pair is (kind . KIND).  KIND is one of
'started, 'phase, 'log-line, 'finished, 'failed, 'already-valid,
'output-valid (an output registered while its builder still runs), 'waiting,
'message, 'downloads-planned, 'download-started, 'download-progress,
'download-retry, 'downloaded or 'fresh (a derivation valid before the run,
reported with TIMINGS or VERBOSE? only); the other keys, present when they
apply, are 'derivation, 'name, 'path, 'url, 'via, 'text (a log line, a
phase, an error message), 'log-file, 'log-tail, 'bytes, 'total, 'builds (in
'downloads-planned, the number of other derivations to build), 'seconds,
'check?, 'download? and, for a derivation saying
what it is for people (a per-crate unit), 'package, 'version and 'action.  An
error raised by OBSERVER ends its calls; it is raised when the run is over.

TIMINGS, an alist, asks for an HTML report of the run's timings written to
its 'file (whether the build succeeds or fails), as 'ferrix build --timings';
its summary shows its 'command, 'ferrix-version, 'rustc-version and
'profile, strings it may have.  VERBOSE? has the display on standard error
show, for the derivations that say what they are (per-crate units), each
build's own lines besides cargo's and the Fresh ones.  VERBOSITY, an integer
or #f, says how much that display shows: 0 failures only, 1 a line per build
(the default), 2 as VERBOSE?, 3 also every line of the builders' output;
BACKTRACES? adds to a failure the build side's backtrace from its log.  A
'failed event also has, from the log, the 'phase that failed, the build
side's error ('cause), the compiler's 'errors (else the 'log-tail) and the
'backtrace.

Return, per derivation, an alist of output names and store paths.  A failed
build raises a ferrix-error."
  (%build-derivations store (map derivation-file-name* derivations)
                      max-jobs cores keep-failed? check?
                      timeout max-silent-time keep-going?
                      (if (or timings verbose? verbosity backtraces?)
                          `((observer . ,observer) (timings . ,timings)
                            (verbose? . ,verbose?)
                            (verbosity . ,verbosity)
                            (backtraces? . ,backtraces?))
                          observer)))

(define (derivations-to-build store derivations)
  "Return two values: the .drv file names among the graph of DERIVATIONS (as
'build-derivations' takes them) that building them would build, and those
that it would download (url-fetch origins), dependencies first.  Nothing is
built."
  (apply values (%plan-derivations store (map derivation-file-name*
                                              derivations))))

(define (runnable-systems)
  "Return the systems whose builds this machine runs, its own first, e.g.
(\"x86_64-linux\")."
  (%runnable-systems))

(define (usable-cores)
  "Return the processors this process may run on (its affinity mask), at
least 1: the count behind the builds' default cores and the jobserver's
tokens, which the default number of builds at once must match."
  (%usable-cores))

(define (log-file store file)
  "Return the build log of FILE, a .drv file name or an output built by a
derivation, or #f if there is none."
  (%log-file store file))

;;; store.scm ends here

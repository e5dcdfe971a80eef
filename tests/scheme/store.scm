;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of (ferrix store): paths against doc/formats.md, section 7,
;;; and against the C++ command line ($FERRIX, when CTest gives it), adds,
;;; queries, roots, errors as ferrix-error conditions, with-store.  Run by
;;; CTest with the build tree's modules and extension; exits non-zero when a
;;; test fails.

(use-modules (ferrix tests)
             (ferrix store)
             (ferrix hash)
             (ferrix base32)
             (srfi srfi-1)
             (srfi srfi-26)
             (srfi srfi-34)
             (srfi srfi-64)
             (ice-9 popen)
             (ice-9 rdelim)
             (rnrs bytevectors))


(define %tmp
  (test-directory "store"))

(define (tmp-file name contents)
  (let ((file (string-append %tmp "/" name)))
    (call-with-output-file file (lambda (port) (display contents port)))
    file))

(define %ferrix (getenv "FERRIX"))      ;the C++ command line, if given

(define (ferrix-output . args)
  "Run $FERRIX with ARGS and return the first line of its output."
  (let* ((port (apply open-pipe* OPEN_READ %ferrix args))
         (line (read-line port)))
    (close-pipe port)
    line))

;; A store whose paths are Nix's, and one with the default (per-root)
;; directory.
(define %nix-root (string-append %tmp "/nix-root"))
(define %nix (open-store #:root %nix-root #:store-dir "/nix/store"))
(define %own-root (string-append %tmp "/own-root"))
(define %own (open-store #:root %own-root))

(test-begin "store")

(test-group "opening"
  (test-assert "store?" (and (store? %nix) (not (store? 42))))
  (test-equal "store-directory" "/nix/store" (store-directory %nix))
  (test-equal "store-root" %nix-root (store-root %nix))
  (test-equal "default store directory: ROOT/store"
    (string-append %own-root "/store") (store-directory %own))
  (test-equal "%store-directory follows current-store"
    "/nix/store"
    (parameterize ((current-store %nix)) (%store-directory)))
  (test-equal "%default-store-root and %default-store-directory"
    (list (string-append %tmp "/param-root") "/gnu/store")
    (parameterize ((%default-store-root (string-append %tmp "/param-root"))
                   (%default-store-directory "/gnu/store"))
      (let* ((store (open-store))
             (result (list (store-root store) (store-directory store))))
        (close-store store)
        result)))
  (test-equal "a store directory other than the recorded one is refused"
    'store-error
    (car (ferrix-error-of
          (lambda () (open-store #:root %nix-root #:store-dir "/gnu/store"))))))

(test-group "text items"
  (let ((foo (add-text-to-store %nix "foo" "bar")))
    (test-equal "toFile \"foo\" \"bar\" (row 11)"
      "/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo" foo)
    (test-equal "text referring to it (row 12)"
      "/nix/store/5xd714cbfnkz02h2vbsj4fm03x3f15nf-baz"
      (add-text-to-store %nix "baz" foo (list foo)))
    (test-equal "references" (list foo)
      (references %nix "/nix/store/5xd714cbfnkz02h2vbsj4fm03x3f15nf-baz"))
    (test-equal "referrers" (list "/nix/store/5xd714cbfnkz02h2vbsj4fm03x3f15nf-baz")
      (referrers %nix foo))
    (test-equal "requisites"
      (sort (list foo "/nix/store/5xd714cbfnkz02h2vbsj4fm03x3f15nf-baz") string<?)
      (sort (requisites %nix (list "/nix/store/5xd714cbfnkz02h2vbsj4fm03x3f15nf-baz"))
            string<?))
    (test-equal "a bytevector is stored as is" foo
      (add-text-to-store %nix "foo" (string->utf8 "bar")))
    (test-equal "idempotent" foo (add-text-to-store %nix "foo" "bar"))
    (test-assert "valid-path?" (valid-path? %nix foo))
    (test-assert "not valid: never added"
      (not (valid-path? %nix "/nix/store/00000000000000000000000000000000-foo")))
    (test-assert "not valid: not a store path" (not (valid-path? %nix "/etc/passwd")))
    (test-assert "the item is on disk under the root"
      (file-exists? (store-real-path %nix foo)))
    (test-equal "store-real-path"
      (string-append %nix-root "/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo")
      (store-real-path %nix foo)))
  (when %ferrix
    (test-equal "same path as 'ferrix store add-text'"
      (add-text-to-store %nix "note" "some text\n")
      (ferrix-output "--store" %nix-root "--store-dir" "/nix/store" "store" "add-text"
                     "note" (tmp-file "note" "some text\n")))
    (test-equal "same path as 'ferrix store add-text', default store directory"
      (add-text-to-store %own "note" "some text\n")
      (ferrix-output "--store" %own-root "store" "add-text" "note"
                     (tmp-file "note" "some text\n")))))

(test-group "store paths"
  (let ((foo "/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo-1.0"))
    (test-assert "store-path?" (store-path? foo "/nix/store"))
    (test-assert "store-path?: inside an item" (store-path? (string-append foo "/bin/x") "/nix/store"))
    (test-assert "store-path?: other directory" (not (store-path? foo "/gnu/store")))
    (test-assert "store-path?: no hash" (not (store-path? "/nix/store/foo" "/nix/store")))
    (test-assert "store-path?: current store"
      (parameterize ((current-store %nix)) (store-path? foo)))
    (test-assert "direct-store-path?" (direct-store-path? foo "/nix/store"))
    (test-assert "direct-store-path?: inside" (not (direct-store-path? (string-append foo "/bin") "/nix/store")))
    (test-equal "store-path-hash-part" "vxjiwkjkn7x4079qvh1jkl5pn05j2aw0"
      (store-path-hash-part foo))
    (test-equal "store-path-package-name" "foo-1.0" (store-path-package-name foo))
    (test-equal "not store paths" '(#f #f)
      (list (store-path-hash-part "/etc/passwd") (store-path-package-name "/tmp/x")))
    (test-assert "derivation-path?" (and (derivation-path? "/x/y.drv")
                                         (not (derivation-path? "/x/y"))))))

(test-group "adding files"
  (let* ((dir  (string-append %tmp "/pkg"))
         (file (begin
                 (mkdir dir)
                 (mkdir (string-append dir "/bin"))
                 (tmp-file "pkg/bin/hello" "#!/bin/sh\necho hello\n")))
         (_    (chmod file #o755))
         (item (add-to-store %nix "pkg" #t 'sha256 dir))
         (info (query-path-info %nix item)))
    (test-assert "recursive add: a store path" (direct-store-path? item "/nix/store"))
    (test-equal "path-info-path" item (path-info-path info))
    (test-equal "path-info-hash is the NAR hash" (nar-hash dir) (path-info-hash info))
    (test-equal "path-info-nar-size"
      (call-with-values (lambda () (nar-hash+size dir)) (lambda (h s) s))
      (path-info-nar-size info))
    (test-equal "no references" '() (path-info-references info))
    (test-equal "no deriver" #f (path-info-deriver info))
    (test-assert "registration time" (<= (- (current-time) 600) (path-info-registration-time info) (+ (current-time) 5)))
    (test-assert "executable bit kept"
      (= #o555 (logand #o777 (stat:perms (stat (store-real-path %nix (string-append item "/bin/hello")))))))
    (when %ferrix
      (test-equal "same path as 'ferrix store add'"
        item (ferrix-output "--store" %nix-root "--store-dir" "/nix/store" "store" "add" dir))
      (test-equal "flat sha256: same as 'ferrix store add -S none'"
        (add-to-store %nix "hello" #f 'sha256 file)
        (ferrix-output "--store" %nix-root "--store-dir" "/nix/store" "store" "add" "-S" "none" file))
      (test-equal "fixed sha1: same as 'ferrix store add -H sha1'"
        (add-to-store %nix "pkg" #t 'sha1 dir)
        (ferrix-output "--store" %nix-root "--store-dir" "/nix/store" "store" "add" "-H" "sha1" dir)))
    (test-assert "content address of a fixed item"
      (string-prefix? "fixed:"
                      (path-info-content-address
                       (query-path-info %nix (add-to-store %nix "pkg" #t "sha512" dir))))))
  ;; Reference scanning: an item mentioning another one refers to it when
  ;; that one is among the candidates.
  (let* ((target (add-text-to-store %nix "target" "I am referred to"))
         (dir    (string-append %tmp "/refs"))
         (_      (mkdir dir))
         (_      (tmp-file "refs/file" (string-append "see " target "\n")))
         (item   (add-to-store %nix "refs" #t 'sha256 dir #:references (list target))))
    (test-equal "scanned references" (list target) (references %nix item))
    (test-equal "not a candidate, not a reference" '()
      (references %nix (add-to-store %nix "refs2" #t 'sha256 dir)))))

(test-group "roots"
  (let* ((item (add-text-to-store %nix "rooted" "keep me"))
         (link (add-root %nix item "my-root")))
    (test-assert "add-root returns the symlink" (string-suffix? "/my-root" link))
    (test-equal "the symlink points at the item" item (readlink link))
    (remove-root %nix "my-root")
    (test-assert "remove-root" (not (false-if-exception (lstat link))))
    (add-temp-root %nix item)
    (test-assert "add-temp-root" #t)))

(test-group "errors"
  (let ((missing "/nix/store/00000000000000000000000000000000-x"))
    (test-equal "invalid path: kind and message"
      (list 'invalid-path (string-append "path '" missing "' is not valid"))
      (ferrix-error-of (lambda () (query-path-info %nix missing))))
    (test-equal "catch: key and argument shape"
      (list 'ferrix-error "%query-path-info" "~A")
      (catch 'ferrix-error
        (lambda () (query-path-info %nix missing))
        (lambda (key subr fmt args rest) (list key subr fmt))))
    (test-assert "ferrix-error? on the key" (ferrix-error? 'ferrix-error))
    (test-equal "with-exception-handler: the exception object"
      (list #t (string-append "path '" missing "' is not valid") 'invalid-path)
      (with-exception-handler
          (lambda (e) (list (ferrix-error? e) (ferrix-error-message e) (ferrix-error-kind e)))
        (lambda () (references %nix missing))
        #:unwind? #t))
    (test-equal "SRFI-34 guard"
      'caught
      (guard (e ((ferrix-error? e) 'caught))
        (references %nix missing)))
    (test-equal "ferrix-error-message with the key"
      (string-append "path '" missing "' is not valid")
      (catch 'ferrix-error
        (lambda () (referrers %nix missing))
        (lambda args (ferrix-error-message args))))
    (test-assert "other errors are not ferrix errors"
      (guard (e ((ferrix-error? e) #f) (#t #t))
        (car 1))))
  (test-equal "bad name" 'bad-store-path
    (car (ferrix-error-of (lambda () (add-text-to-store %nix "bad name" "x")))))
  (test-equal "reference to a path that is not valid" 'invalid-path
    (car (ferrix-error-of
          (lambda ()
            (add-text-to-store %nix "x" "y"
                               (list "/nix/store/00000000000000000000000000000000-x"))))))
  (test-equal "reference outside the store" 'bad-store-path
    (car (ferrix-error-of (lambda () (add-text-to-store %nix "x" "y" (list "/etc/passwd"))))))
  (test-equal "missing file" 'sys-error
    (car (ferrix-error-of (lambda () (add-to-store %nix "x" #t 'sha256 "/nonexistent/x")))))
  (test-error "wrong type: name" 'wrong-type-arg (add-text-to-store %nix 'foo "x"))
  (test-error "wrong type: reference list" 'wrong-type-arg (add-text-to-store %nix "foo" "x" '(1)))
  (test-error "wrong type: store" 'wrong-type-arg (valid-path? "not a store" "/x"))
  (let ((store (open-store #:root (string-append %tmp "/closed"))))
    (close-store store)
    (test-assert "store-open? after close" (not (store-open? store)))
    (test-equal "closed store" '(store-error "store is closed")
      (ferrix-error-of (lambda () (add-text-to-store store "x" "y"))))
    (test-equal "closing twice is harmless" #t (begin (close-store store) #t))))

(test-group "with-store"
  ;; CTest sets FERRIX_STORE to a scratch directory.
  (let* ((inside #f)
         (result (with-store store
                   (set! inside store)
                   (list (eq? store (current-store))
                         (add-text-to-store store "hello" "world")))))
    (test-assert "current-store is the store" (car result))
    (test-assert "default store under $FERRIX_STORE"
      (or (not (getenv "FERRIX_STORE"))
          (string-prefix? (getenv "FERRIX_STORE") (cadr result))))
    (test-assert "closed afterwards" (not (store-open? inside)))
    (test-equal "current-store restored" #f (current-store)))
  (let ((escaped #f))
    (catch 'oops
      (lambda () (with-store store (set! escaped store) (throw 'oops)))
      (const #f))
    (test-assert "closed after a non-local exit" (not (store-open? escaped)))))

(test-group "build-derivations and log-file"
  ;; Builders are /bin/sh: no cargo needed.  <derivation> records and .drv
  ;; file names are both accepted.
  (let* ((derivation   (@ (ferrix derivations) derivation))
         (output-path  (@ (ferrix derivations) derivation->output-path))
         (file-name    (lambda (drv)
                         ((@ (ferrix derivations) derivation-file-name) drv)))
         (store        (open-store #:root (string-append %tmp "/build")))
         (dep          (derivation store "sdep" "/bin/sh"
                                   '("-c" "echo building-dep; mkdir $out; echo d > $out/d")))
         (top          (derivation store "stop" "/bin/sh"
                                   (list "-c" (string-append
                                               "cat " (output-path dep) "/d > $out; "
                                               "echo " (output-path dep) " >> $out"))
                                   #:inputs (list (list dep))))
         (failing      (derivation store "sfail" "/bin/sh"
                                   '("-c" "echo about-to-fail; exit 7")))
         (results      (build-derivations store (list top (file-name dep))
                                          #:max-jobs 2 #:cores 1)))
    (test-equal "one alist per derivation, output paths"
      (list (list (cons "out" (output-path top)))
            (list (cons "out" (output-path dep))))
      results)
    (test-assert "outputs valid" (valid-path? store (output-path top)))
    (test-equal "built from the input" (string-append "d\n" (output-path dep) "\n")
      (call-with-input-file (store-real-path store (output-path top)) read-string))
    (test-equal "deriver recorded" (file-name top)
      (path-info-deriver (query-path-info store (output-path top))))
    (test-assert "references scanned"
      (member (output-path dep) (references store (output-path top))))
    (test-assert "log-file of a .drv" (string? (log-file store (file-name dep))))
    (test-equal "log-file of an output: its deriver's log"
      (log-file store (file-name dep)) (log-file store (output-path dep)))
    (test-equal "the log holds the builder's output" "building-dep\n"
      (call-with-input-file (log-file store (file-name dep)) read-string))
    (test-equal "no log for an item that was not built" #f
      (log-file store (add-text-to-store store "plain" "text")))
    (test-equal "a no-op second build" results
      (build-derivations store (list (cons top "out") dep)))
    (let ((error (ferrix-error-of
                  (lambda () (build-derivations store (list failing))))))
      (test-equal "a failed build is a ferrix-error of kind build-error"
        'build-error (car error))
      (test-assert "naming the status" (string-contains (cadr error) "status 7")))
    (test-assert "nothing registered for the failed build"
      (not (valid-path? store (output-path failing))))
    (test-assert "its log kept" (string? (log-file store (file-name failing))))
    (test-assert "wrong type: max-jobs"
      (catch 'wrong-type-arg
        (lambda () (build-derivations store (list top) #:max-jobs -1) #f)
        (const #t)))
    (close-store store)))

;; The source-hash cache: keyed by the tree's metadata, never stale.
(test-group "source-hash"
  (let* ((dir (string-append %tmp "/hashed-tree"))
         (cache (string-append %own-root "/var/ferrix/cache/source-hashes"))
         (entries (lambda ()
                    (if (file-exists? cache)
                        (filter (lambda (f) (not (member f '("." ".."))))
                                (let ((d (opendir cache)))
                                  (let loop ((acc '()))
                                    (let ((e (readdir d)))
                                      (if (eof-object? e)
                                          (begin (closedir d) acc)
                                          (loop (cons e acc)))))))
                        '()))))
    (mkdir dir)
    (mkdir (string-append dir "/sub"))
    (call-with-output-file (string-append dir "/a") (cut display "alpha" <>))
    (call-with-output-file (string-append dir "/sub/b") (cut display "beta" <>))
    (test-equal "a tree written just now: its NAR hash, not cached (racy)"
      (list (nar-hash dir) '())
      (list (source-hash %own dir) (entries)))
    (sleep 2)
    (let ((hash (source-hash %own dir)))
      (test-equal "an older tree: its NAR hash" (nar-hash dir) hash)
      (test-equal "... cached in one file" 1 (length (entries)))
      ;; Replace the cached hash: a look-up that returns it used the cache.
      (let* ((file (string-append cache "/" (car (entries))))
             (lines (call-with-input-file file
                      (lambda (port)
                        (let loop ((acc '()))
                          (let ((l (read-line port)))
                            (if (eof-object? l) (reverse acc)
                                (loop (cons l acc)))))))))
        (call-with-output-file file
          (lambda (port)
            (for-each (lambda (l) (display l port) (newline port))
                      (append (list-head lines 3)
                              (list (make-string 64 #\0))
                              (list-tail lines 4)))))
        (test-equal "an unchanged tree is not read again (the cached value)"
          (make-bytevector 32 0) (source-hash %own dir)))
      ;; Same size, new contents: ctime and mtime change.
      (call-with-output-file (string-append dir "/sub/b") (cut display "BETA" <>))
      (sleep 2)
      (test-assert "a changed file is noticed"
        (not (equal? hash (source-hash %own dir))))
      (test-equal "... and the new hash is right" (nar-hash dir)
        (source-hash %own dir))
      (chmod (string-append dir "/a") #o600)
      (test-equal "so is a changed mode" (nar-hash dir)
        (source-hash %own dir))
      (test-equal "source-store-path: the path add-to-store gives"
        (add-to-store %own "hashed-tree" #t 'sha256 dir)
        (source-store-path %own "hashed-tree" (nar-hash dir))))))

(test-end "store")

(close-store %nix)
(close-store %own)
(delete-test-directory %tmp)
(exit-with-test-status)

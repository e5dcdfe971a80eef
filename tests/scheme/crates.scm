;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of (ferrix crates) (crates from a directory registry, pinned by
;;; NAR hash) and of the build side's cargo primitives in (ferrix build
;;; cargo-build-system): unpacking, packing, manifests, checksum files.
;;; Uses a registry and a store in a temporary directory.

(use-modules (ferrix tests)
             (ferrix crates)
             (ferrix packages)
             (ferrix store)
             (ferrix hash)
             (ferrix base32)
             (ferrix build cargo-build-system)
             (ferrix build utils)
             (srfi srfi-34)
             (srfi srfi-35)
             (srfi srfi-64)
             (ice-9 match)
             (ice-9 rdelim)
             (rnrs io ports))

(define %test-directory (test-directory "crates"))
(define %store (open-store #:root (string-append %test-directory "/store")))
(define %registry (string-append %test-directory "/registry"))

(define (write-file file text)
  (mkdir-p (dirname file))
  (call-with-output-file file (lambda (port) (display text port))))

(write-file (string-append %registry "/foo_bar-1.2.3/Cargo.toml")
            "[package]\nname = \"foo_bar\"\nversion = \"1.2.3\"\n")
(write-file (string-append %registry "/foo_bar-1.2.3/src/lib.rs")
            "pub fn f() {}\n")
(write-file (string-append %registry "/foo_bar-1.2.3/.cargo-checksum.json")
            "{\"package\":\"Could not get crate checksum\",\"files\":{}}")

(define (hash-of crate)
  (bytevector->nix-base32-string (registry-crate-hash crate)))

(define (error-message thunk)
  (guard (e ((message-condition? e) (condition-message e)))
    (thunk)
    "(no error)"))

(test-begin "crates")

(parameterize ((%crate-registry %registry))
  (let* ((unpinned (registry-crate "foo_bar" "1.2.3"))
         (hash (hash-of unpinned))
         (crate (registry-crate "foo_bar" "1.2.3" #:sha256 hash)))
    (test-equal "the directory of a crate"
      (string-append %registry "/foo_bar-1.2.3")
      (registry-crate-directory crate))
    (test-equal "its hash is the NAR hash of the directory"
      (nar-hash (registry-crate-directory crate))
      (registry-crate-hash crate))
    (test-equal "#:sha256 as a bytevector or a string"
      (registry-crate-sha256 crate)
      (registry-crate-sha256
       (registry-crate "foo_bar" "1.2.3"
                       #:sha256 (nix-base32-string->bytevector hash))))

    (let ((item (lower-object %store crate)))
      (test-assert "lowered: a store item named NAME-VERSION"
        (string-suffix? "-foo_bar-1.2.3" item))
      (test-equal "... holding the crate, by content"
        (registry-crate-hash crate)
        (nar-hash item)))

    (test-assert "unpinned: refused, with the hash to add"
      (string-contains
       (error-message (lambda () (lower-object %store unpinned)))
       (string-append "is not pinned: add #:sha256 (base32 \"" hash "\")")))

    (let ((other (registry-crate "foo_bar" "1.2.3"
                                 #:sha256 (make-string 52 #\0))))
      (test-assert "another hash: refused, naming both"
        (let ((msg (error-message (lambda () (lower-object %store other)))))
          (and (string-contains msg "crate foo_bar 1.2.3: the registry's copy")
               (string-contains msg (string-append "has sha256 " hash))
               (string-contains msg (string-append "expects " (make-string 52 #\0)))))))

    (test-assert "a crate not in the registry: the Debian package named"
      (string-contains
       (error-message
        (lambda ()
          (lower-object %store (registry-crate "no_such" "0.1.0" #:sha256 hash))))
       "librust-no-such-dev"))

    (test-assert "a registry-crate is a valid error object"
      (guard (e ((registry-crate-error? e)
                 (eq? (registry-crate-error-crate e) unpinned)))
        (lower-object %store unpinned)
        #f))))

;; The build side's primitives.
(let* ((crate (string-append %registry "/foo_bar-1.2.3"))
       (copy (string-append %test-directory "/copy"))
       (file (string-append %test-directory "/foo_bar-1.2.3.crate"))
       (back (string-append %test-directory "/back")))
  (unpack-crate-source crate copy)
  (test-equal "unpack-crate-source copies a directory"
    "pub fn f() {}\n"
    (call-with-input-file (string-append copy "/src/lib.rs") get-string-all))
  (test-equal "crate-manifest-info"
    '("foo_bar" "1.2.3" #f)
    (crate-manifest-info copy))
  (pack-crate copy "foo_bar-1.2.3" file)
  (unpack-crate-source file back)
  (test-equal "pack-crate, then unpack-crate-source: the same tree"
    (nar-hash copy)
    (nar-hash back))
  (test-assert "crate-checksum-json: every file, the package checksum"
    (let ((json (crate-checksum-json copy "ab")))
      (and (string-contains json "\"src/lib.rs\":\"")
           (string-contains json "\"package\":\"ab\""))))
  (test-assert "crate-checksum-json: null package"
    (string-contains (crate-checksum-json copy) "\"package\":null"))
  (test-assert "unpack-crate-source #:max-entries refuses, naming the limit"
    (catch 'ferrix-error
      (lambda ()
        (unpack-crate-source file (string-append %test-directory "/few")
                             #:max-entries 2)
        #f)
      (lambda (key subr fmt args . rest)
        (and (string-contains (car args) "more than 2 entries")
             (string-contains (car args) "#:max-unpacked-entries")
             (not (file-exists? (string-append %test-directory "/few")))))))
  (unpack-crate-source file (string-append %test-directory "/enough")
                       #:max-size 100000 #:max-entries 5 #:max-ratio 0)
  (test-equal "unpack-crate-source within its limits"
    (nar-hash copy)
    (nar-hash (string-append %test-directory "/enough")))
  (test-assert "the unpack phase passes #:max-unpacked-entries on"
    (let ((dir (string-append %test-directory "/phase"))
          (cwd (getcwd)))
      (mkdir-p dir)
      (chdir dir)
      (catch 'ferrix-error
        (lambda ()
          ((assq-ref %standard-phases 'unpack)
           #:source file #:max-unpacked-entries 2)
          (chdir cwd)
          #f)
        (lambda (key subr fmt args . rest)
          (chdir cwd)
          (unsetenv "FERRIX_BUILD_TOP")
          (and (string-contains (car args) "more than 2 entries")
               (not (file-exists? (string-append dir "/source"))))))))
  (test-equal "%unpack-source: a limit of the wrong type"
    'wrong-type-arg
    (catch #t
      (lambda ()
        ((@@ (ferrix build cargo-build-system) %unpack-source)
         file (string-append %test-directory "/bad") -1))
      (lambda (key . _) key)))
  (test-assert "unsafe archives raise ferrix-error, naming the entry"
    (let ((tar (string-append %test-directory "/evil.tar")))
      (system* "tar" "-cf" tar "-C" %test-directory "--absolute-names"
               (string-append %test-directory "/copy/Cargo.toml"))
      (catch 'ferrix-error
        (lambda ()
          (unpack-crate-source tar (string-append %test-directory "/evil"))
          #f)
        (lambda (key subr fmt args . rest)
          (string-contains (car args) "has an absolute path"))))))

(test-end "crates")

(close-store %store)
(delete-test-directory %test-directory)

(exit-with-test-status)

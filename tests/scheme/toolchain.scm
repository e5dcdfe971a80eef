;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of (ferrix toolchain): the toolchain item and its cache.  Lowering
;;; an unchanged toolchain again, in another process, must give the same
;;; item without running rustc or cargo and without writing anything; a
;;; changed rustc must give another item.  Run from the source directory as:
;;;   GUILE_EXTENSIONS_PATH=build/guile \
;;;     guile -L modules -L build/modules --no-auto-compile tests/scheme/toolchain.scm
;;; Uses fake toolchains (shell scripts that log their runs) and a store in a
;;; temporary directory.  Exits non-zero when a test fails.

(use-modules (ferrix tests)
             (ferrix toolchain)
             (ferrix store)
             (srfi srfi-1)
             (srfi srfi-64)
             (ice-9 popen)
             (ice-9 rdelim))

(define %test-directory
  (test-directory "toolchain"))
(setenv "XDG_CACHE_HOME" (string-append %test-directory "/cache"))
(unsetenv "FERRIX_RUST")
(define %store-root (string-append %test-directory "/store"))
(define %store (open-store #:root %store-root))
(define %log (string-append %test-directory "/runs.log"))

(define (write-script file text)
  (call-with-output-file file (lambda (port) (display text port)))
  (chmod file #o755))

(define* (write-rustc dir version #:optional (comment ""))
  (write-script (string-append dir "/bin/rustc")
                (format #f "#!/bin/sh
echo \"rustc $*\" >> '~a'
printf 'rustc ~a (fake)\\nbinary: rustc\\nrelease: ~a\\nhost: x86_64-unknown-linux-gnu\\n'
# ~a
" %log version version comment)))

(define (make-fake-toolchain name version)
  "Create a toolchain directory NAME whose rustc and cargo print VERSION and
append a line to %LOG each time they run."
  (let ((dir (string-append %test-directory "/" name)))
    (mkdir dir)
    (mkdir (string-append dir "/bin"))
    (write-rustc dir version)
    (write-script (string-append dir "/bin/cargo")
                  (format #f "#!/bin/sh
echo \"cargo $*\" >> '~a'
echo 'cargo ~a (fake)'
" %log version))
    dir))

(define (runs)
  "Return the lines logged by the fake toolchains so far."
  (if (file-exists? %log)
      (call-with-input-file %log
        (lambda (port)
          (let loop ((lines '()))
            (let ((line (read-line port)))
              (if (eof-object? line)
                  (reverse lines)
                  (loop (cons line lines)))))))
      '()))

(define (item-file item name)
  (store-real-path %store (string-append item "/" name)))

(define* (lower-in-new-process dir #:key (root %store-root)
                               (store-dir "") (tmpdir #f))
  "Lower the toolchain in DIR in a new Guile process using the store at
ROOT (and STORE-DIR, unless empty), with TMPDIR if given; return the item's
file name, or #f if that process failed."
  (let* ((program (or (getenv "GUILE") "guile"))
         (script
          `(begin
             (use-modules (ferrix toolchain) (ferrix store))
             (let ((store (open-store #:root ,root
                                      #:store-dir ,(and (not (string-null?
                                                             store-dir))
                                                        store-dir))))
               (display (rust-toolchain->store-path
                         store (host-rust-toolchain ,dir)))
               (newline))))
         (saved (getenv "TMPDIR")))
    (setenv "GUILE_LOAD_PATH" (string-join %load-path ":"))
    (setenv "GUILE_LOAD_COMPILED_PATH" (string-join %load-compiled-path ":"))
    (when tmpdir (setenv "TMPDIR" tmpdir))
    (let* ((port (open-pipe* OPEN_READ program "--no-auto-compile" "-c"
                             (object->string script)))
           (line (read-line port))
           (status (close-pipe port)))
      (if saved (setenv "TMPDIR" saved) (unsetenv "TMPDIR"))
      (and (zero? (or (status:exit-val status) 1))
           (string? line)
           line))))

(define %rust (make-fake-toolchain "rust" "1.70.0"))

(test-begin "toolchain")

(define %item (rust-toolchain->store-path %store (host-rust-toolchain %rust)))

(test-assert "first lowering: the item records the fake compiler, run once"
  (and (string-suffix? "-rust-toolchain-1.70.0" %item)
       (valid-path? %store %item)
       (string-contains (call-with-input-file (item-file %item "rustc-vV")
                          read-string)
                        "release: 1.70.0")
       (string=? (string-append %rust "/bin/rustc")
                 (readlink (item-file %item "bin/rustc")))))

(test-equal "first lowering: rustc -vV and cargo -V each ran once"
  '("rustc -vV" "cargo -V")
  (runs))

(test-equal "another process: same item, nothing run, no temporary directory"
  (list %item '("rustc -vV" "cargo -V"))
  ;; TMPDIR names no directory: assembling the item would fail.
  (let ((item (lower-in-new-process
               %rust #:tmpdir (string-append %test-directory "/no-such-dir"))))
    (list item (runs))))

(test-assert "a changed rustc (same version) gives another item"
  (begin
    (write-rustc %rust "1.70.0" "rebuilt")
    (let ((item (lower-in-new-process %rust)))
      (and item
           (string-suffix? "-rust-toolchain-1.70.0" item)
           (not (string=? item %item))
           (valid-path? %store item)
           (= 4 (length (runs)))))))

(test-assert "a changed rustc (new version) gives another item, then cached"
  (begin
    (write-rustc %rust "1.71.0")
    (let* ((item (lower-in-new-process %rust))
           (count (length (runs)))
           (again (lower-in-new-process
                   %rust
                   #:tmpdir (string-append %test-directory "/no-such-dir"))))
      (and item
           (string-suffix? "-rust-toolchain-1.71.0" item)
           (equal? item again)
           (= 6 count)
           (= count (length (runs)))))))

(test-assert "a cached item missing from the store is added again"
  ;; Same logical store directory, another store: the cached file name is
  ;; not valid there, so the item is assembled and added.
  (let* ((root (string-append %test-directory "/other-store"))
         (item (lower-in-new-process %rust #:root root
                                     #:store-dir (store-directory %store)))
         (other (open-store #:root root #:store-dir (store-directory %store))))
    (and item
         (string-suffix? "-rust-toolchain-1.71.0" item)
         (valid-path? other item))))

(define %rustc-only
  ;; A toolchain directory with rustc and no cargo, as when bootstrapping
  ;; cargo (examples/cargo-bootstrap.scm).
  (let ((dir (string-append %test-directory "/rustc-only")))
    (mkdir dir)
    (mkdir (string-append dir "/bin"))
    (write-rustc dir "1.72.0")
    dir))

(test-assert "a directory with rustc and no cargo: an item without bin/cargo"
  (let ((item (rust-toolchain->store-path %store
                                          (host-rust-toolchain %rustc-only))))
    (and (string-suffix? "-rust-toolchain-1.72.0" item)
         (valid-path? %store item)
         (file-exists? (item-file item "bin/rustc"))
         (not (false-if-exception (lstat (item-file item "bin/cargo"))))
         (not (file-exists? (item-file item "cargo-V")))
         (not (rust-toolchain-cargo? (host-rust-toolchain %rustc-only)))
         (= 1 (call-with-input-file (item-file item "sha256sums")
                (lambda (port)
                  (let loop ((n 0))
                    (if (eof-object? (read-line port))
                        n
                        (loop (+ n 1))))))))))

(test-assert "a toolchain without its cargo: rustc's item only, the other unchanged"
  (let* ((tc (host-rust-toolchain %rust))
         (with (rust-toolchain->store-path %store tc))
         (without (rust-toolchain->store-path
                   %store (rust-toolchain-without-cargo tc))))
    (and (rust-toolchain-cargo? tc)
         (not (rust-toolchain-cargo? (rust-toolchain-without-cargo tc)))
         (eq? (rust-toolchain-without-cargo tc)
              (rust-toolchain-without-cargo %rust))
         (not (string=? with without))
         (false-if-exception (lstat (item-file with "bin/cargo")))
         (not (false-if-exception (lstat (item-file without "bin/cargo"))))
         (string=? (readlink (item-file with "bin/rustc"))
                   (readlink (item-file without "bin/rustc"))))))

(test-end "toolchain")

(close-store %store)
(delete-test-directory %test-directory)
(exit-with-test-status)

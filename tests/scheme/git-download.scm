;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of (ferrix git-download): git-reference records, git-file-name,
;;; the shape of git-fetch derivations (fixed-output, recursive sha256,
;;; named by git-file-name, built by the build side), and git-checkout-hash
;;; against a real repository made here with the host's git (file:// URLs,
;;; so no server: tests/registry/git.sh serves one over HTTP): the hash of
;;; the tree without .git, by commit and by tag, and its errors (unknown
;;; commit, no repository, no git), the temporary checkout always removed.

(use-modules (ferrix tests)
             (ferrix store)
             (ferrix packages)
             (ferrix derivations)
             (ferrix git-download)
             ((ferrix build git) #:select (git-checkout git-checkout-error?))
             (ferrix hash)
             (ferrix base32)
             (srfi srfi-34)
             (srfi srfi-35)
             (srfi srfi-64)
             (ice-9 match)
             (ice-9 rdelim)
             (rnrs bytevectors))

(define %tmp (test-directory "git-download"))
(define %store (open-store #:root (string-append %tmp "/store")))

;; git-checkout-hash's temporary directories go here: it must stay empty.
(define %scratch (string-append %tmp "/scratch"))
(mkdir %scratch)
(setenv "TMPDIR" %scratch)

(define (scratch-empty?)
  (null? (cddr (sort (let ((dir (opendir %scratch)))
                       (let loop ((entries '()))
                         (let ((e (readdir dir)))
                           (if (eof-object? e)
                               (begin (closedir dir) entries)
                               (loop (cons e entries))))))
                     string<?))))

;;; A repository: two commits, an annotated tag on the first, an executable
;;; file.  The host's configuration plays no part.
(setenv "GIT_CONFIG_NOSYSTEM" "1")
(setenv "GIT_CONFIG_GLOBAL" "/dev/null")
(setenv "GIT_AUTHOR_NAME" "t") (setenv "GIT_AUTHOR_EMAIL" "t@example.org")
(setenv "GIT_COMMITTER_NAME" "t") (setenv "GIT_COMMITTER_EMAIL" "t@example.org")

(define %repo (string-append %tmp "/repo"))

(define (git . args)
  (unless (zero? (status:exit-val
                  (apply system* "git" "-C" %repo args)))
    (error "git failed" args)))

(define (git-output . args)
  (let* ((file (string-append %tmp "/git-output"))
         (status (system (string-append "git -C '" %repo "' "
                                        (string-join args " ")
                                        " > '" file "'"))))
    (unless (zero? (status:exit-val status))
      (error "git failed" args))
    (string-trim-both (call-with-input-file file
                        (lambda (port) (read-delimited "" port))))))


(define (write-file file text)
  (call-with-output-file (string-append %repo "/" file)
    (lambda (port) (display text port))))

(mkdir %repo)
(git "-c" "init.defaultBranch=main" "init" "-q")
(mkdir (string-append %repo "/src"))
(write-file "Cargo.toml" "[package]\nname = \"g\"\nversion = \"0.1.0\"\n")
(write-file "src/lib.rs" "pub fn f() {}\n")
(write-file "build.sh" "#!/bin/sh\necho hi\n")
(chmod (string-append %repo "/build.sh") #o755)
(git "add" ".")
(git "commit" "-q" "-m" "one")
(git "tag" "-a" "v0.1.0" "-m" "v0.1.0")
(define %first (git-output "rev-parse" "HEAD"))
(write-file "README" "more\n")
(git "add" "README")
(git "commit" "-q" "-m" "two")
(define %second (git-output "rev-parse" "HEAD"))
(define %url (string-append "file://" %repo))

;; The expected hash: the NAR hash of `git archive` of the commit, unpacked.
(define %archives 0)
(define (archive-directory commit)
  "Unpack `git archive COMMIT` into a new directory and return its name."
  (set! %archives (+ 1 %archives))
  (let ((dir (string-append %tmp "/archive-" (number->string %archives))))
    (mkdir dir)
    (unless (zero? (status:exit-val
                    (system (string-append "git -C '" %repo "' archive "
                                           commit " | tar -x -C '" dir "'"))))
      (error "git archive failed"))
    dir))

(define (archive-hash commit)
  (bytevector->nix-base32-string (nar-hash (archive-directory commit))))

(test-begin "git-download")

(test-equal "git-reference fields and default"
  (list %url %first #f #t)
  (let ((ref (git-reference (url %url) (commit %first))))
    (list (git-reference-url ref) (git-reference-commit ref)
          (git-reference-recursive? ref)
          (git-reference-recursive?
           (git-reference (inherit ref) (recursive? #t))))))

(test-equal "git-file-name"
  "foo-1.2.3-checkout"
  (git-file-name "foo" "1.2.3"))

(define %zero-hash (make-bytevector 32 0))

(test-assert "git-fetch: a recursive sha256 fixed-output derivation"
  (let* ((ref (git-reference (url %url) (commit %first)))
         (drv (git-fetch %store ref 'sha256 %zero-hash
                         (git-file-name "g" "0.1.0")))
         (out (assoc-ref (derivation-outputs drv) "out")))
    (and (fixed-output-derivation? drv)
         (derivation-output-recursive? out)
         (eq? 'sha256 (derivation-output-hash-algo out))
         (bytevector=? %zero-hash (derivation-output-hash out))
         (string=? "g-0.1.0-checkout" (derivation-name drv))
         (string-suffix? "-g-0.1.0-checkout" (derivation->output-path drv))
         (string-suffix? "/bin/ferrix" (derivation-builder drv))
         (equal? "build-side"
                 (car (derivation-builder-arguments drv))))))

(test-assert "git-fetch: the builder script names the URL and commit"
  (let* ((drv (git-fetch %store (git-reference (url %url) (commit "v0.1.0")
                                               (recursive? #t))
                         'sha256 %zero-hash "x-checkout"))
         (script (cadr (derivation-builder-arguments drv)))
         (text (call-with-input-file script
                 (lambda (port) (read-delimited "" port)))))
    (and (string-contains text "(ferrix build git)")
         (string-contains text (object->string %url))
         (string-contains text "\"v0.1.0\"")
         (string-contains text "#:recursive? #t"))))

(test-assert "git-fetch: the output path depends only on name and hash"
  ;; As for every fixed-output derivation: another URL (a mirror) or a tag
  ;; instead of the commit give the same output.
  (let ((a (git-fetch %store (git-reference (url %url) (commit %first))
                      'sha256 %zero-hash "g-checkout"))
        (b (git-fetch %store (git-reference (url "https://example.org/g.git")
                                            (commit "v0.1.0"))
                      'sha256 %zero-hash "g-checkout")))
    (and (not (string=? (derivation-file-name a) (derivation-file-name b)))
         (string=? (derivation->output-path a)
                   (derivation->output-path b)))))

(test-assert "an origin with git-fetch lowers to its derivation"
  (let* ((o (origin
              (method git-fetch)
              (uri (git-reference (url %url) (commit %first)))
              (file-name (git-file-name "g" "0.1.0"))
              (sha256 %zero-hash)))
         (drv (origin->derivation %store o)))
    (and (derivation? drv)
         (string-suffix? "-g-0.1.0-checkout" (derivation->output-path drv)))))

(test-assert "git-fetch: a uri that is not a git-reference is an error"
  (catch #t
    (lambda ()
      (git-fetch %store "https://example.org/g.git" 'sha256 %zero-hash)
      #f)
    (const #t)))

(test-equal "git-checkout-hash of a commit: the hash of git archive"
  (archive-hash %first)
  (git-checkout-hash %url %first))

(test-assert "the temporary checkout is removed"
  (scratch-empty?))

(test-equal "git-checkout-hash of a tag: its commit's tree"
  (archive-hash %first)
  (git-checkout-hash %url "v0.1.0"))

(test-equal "git-checkout-hash of the second commit"
  (archive-hash %second)
  (git-checkout-hash %url %second))

(test-assert "the executable bit counts, and git keeps it"
  (let ((dir (archive-directory %first)))
    (chmod (string-append dir "/build.sh") #o644)
    (not (string=? (git-checkout-hash %url %first)
                   (bytevector->nix-base32-string (nar-hash dir))))))

(define (git-error-of thunk)
  (match (ferrix-error-of thunk)
    (('git-error message) message)
    (other other)))

(test-assert "an unknown commit: a git-error naming it and the URL"
  (let ((message (git-error-of
                  (lambda ()
                    (git-checkout-hash %url (make-string 40 #\e))))))
    (and (string? message)
         (string-contains message (make-string 40 #\e))
         (string-contains message %url)
         (string-contains message "no commit"))))

(test-assert "an unknown tag: a git-error"
  (let ((message (git-error-of
                  (lambda () (git-checkout-hash %url "v9.9.9")))))
    (and (string? message)
         (string-contains message "v9.9.9"))))

(test-assert "no repository at the URL: a git-error with git's words"
  (let* ((url (string-append "file://" %tmp "/nothing-here"))
         (message (git-error-of (lambda () (git-checkout-hash url %first)))))
    (and (string? message)
         (string-contains message url)
         (string-contains message %first)
         (string-contains message "cannot fetch"))))

(test-assert "after failures the temporary checkouts are removed too"
  (scratch-empty?))

(test-assert "a commit that would be an option of git is refused"
  (let ((message (git-error-of
                  (lambda ()
                    (git-checkout-hash %url "--upload-pack=touch /tmp/x")))))
    (and (string? message)
         (string-contains message "invalid commit"))))

(test-assert "so is such a URL"
  (let ((message (git-error-of
                  (lambda () (git-checkout-hash "--help" %first)))))
    (and (string? message)
         (string-contains message "invalid git URL"))))

(test-assert "no temporary directory: a git-error"
  (let ((message (git-error-of
                  (lambda ()
                    (setenv "TMPDIR" (string-append %tmp "/no-such-dir"))
                    (dynamic-wind
                      (const #t)
                      (lambda () (git-checkout-hash %url %first))
                      (lambda () (setenv "TMPDIR" %scratch)))))))
    (and (string? message)
         (string-contains message "temporary directory"))))

(test-assert "no git on the host: says so"
  (guard (c ((git-checkout-error? c)
             (string-contains (condition-message c) "no 'git' program")))
    (git-checkout %url %first (string-append %tmp "/nogit")
                  #:git-program #f)
    #f))

(test-end "git-download")

(close-store %store)
(delete-test-directory %tmp)
(exit-with-test-status)

;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of (ferrix cargo-project): download URLs from %crates-from, the
;;; origins of a hand-written Cargo.lock (registry, git with a given hash,
;;; path, a directory registry), errors naming the package, and the package
;;; of a crate and of a virtual workspace.  Nothing is fetched or built:
;;; tests/registry/cargo-project.sh builds real projects.

(use-modules (ferrix tests)
             (ferrix cargo-project)
             (ferrix packages)
             (ferrix download)
             (ferrix git-download)
             (ferrix base32)
             (srfi srfi-1)
             (srfi srfi-34)
             (srfi srfi-35)
             (srfi srfi-64)
             (ice-9 match))

(define %test-directory (test-directory "cargo-project"))

(define (write-file file text)
  (let mkdir-p ((dir (dirname file)))
    (unless (file-exists? dir)
      (mkdir-p (dirname dir))
      (mkdir dir)))
  (call-with-output-file file (lambda (port) (display text port))))

(define %checksum
  "1aab8fc367588b89dcee83ab0fd66b72b50b72fa1904d7095045ace2b0c81c35")
(define %commit "0123456789abcdef0123456789abcdef01234567")
(define %git-hash "0r4y2sqw6fyzwlkd8l0yjdsqqkcl5hxfh8z2rqkjd5d5k0yl9z4q")

(define (lock-text . packages)
  (string-append "version = 3\n\n"
                 (string-join packages "\n")))

(define app-lock
  (lock-text
   "[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"alpha\",\n \"beta\",\n \"itoa\",\n]\n"
   (string-append "[[package]]\nname = \"alpha\"\nversion = \"0.2.0\"\n"
                  "source = \"git+https://example.org/ws.git?rev=0123456#"
                  %commit "\"\n")
   (string-append "[[package]]\nname = \"beta\"\nversion = \"0.3.0\"\n"
                  "source = \"git+https://example.org/ws.git?rev=0123456#"
                  %commit "\"\n")
   (string-append "[[package]]\nname = \"itoa\"\nversion = \"1.0.1\"\n"
                  "source = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
                  "checksum = \"" %checksum "\"\n")))

(define %app (string-append %test-directory "/app"))
(write-file (string-append %app "/Cargo.toml")
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\n")
(write-file (string-append %app "/src/main.rs") "fn main() {}\n")
(write-file (string-append %app "/Cargo.lock") app-lock)

(test-begin "cargo-project")

(test-group "download URLs"
  (test-equal "crates.io: crate-uri"
    "https://crates.io/api/v1/crates/itoa/1.0.1/download"
    (crate-download-uri "itoa" "1.0.1" #:from "crates.io"))
  (test-equal "a URL without markers: cargo's rule"
    "http://127.0.0.1:8000/api/v1/crates/itoa/1.0.1/download"
    (crate-download-uri "itoa" "1.0.1"
                        #:from "http://127.0.0.1:8000/api/v1/crates/"))
  (test-equal "a template"
    "https://static.crates.io/crates/serde_json/serde_json-1.0.87.crate"
    (crate-download-uri "serde_json" "1.0.87"
                        #:from "https://static.crates.io/crates/{crate}/{crate}-{version}.crate"))
  (test-equal "prefixes and the checksum"
    '("https://m/1/a/x" "https://m/3/a/x" "https://m/se/rd/serde"
      "https://m/fo/o_/c")
    (list (crate-download-uri "a" "1" #:from "https://m/{prefix}/{crate}/x")
          (crate-download-uri "abc" "1" #:from "https://m/{prefix}/x")
          (crate-download-uri "serde" "1" #:from "https://m/{prefix}/{crate}")
          (crate-download-uri "Foo_x" "1" #:checksum "c"
                              #:from "https://m/{lowerprefix}/{sha256-checksum}")))
  (test-assert "settings"
    (and (crates-from? "crates.io") (crates-from? "dir:/x")
         (crates-from? "sparse+http://x/index/") (not (crates-from? "dir:"))
         (not (crates-from? "ftp://x")) (not (crates-from? 'x))))
  (test-assert "%crates-from refuses a bad setting"
    (guard (c ((cargo-project-error? c)
               (string-contains (condition-message c) "crates from 'x'")))
      (%crates-from "x")
      #f)))

(test-group "the lock file's origins"
  (define inputs
    (lockfile-cargo-inputs (string-append %app "/Cargo.lock")
                           #:crates-from "http://127.0.0.1:1/dl"
                           #:git-hashes `(("alpha" . ,%git-hash))))
  (test-equal "one git checkout for the repository, then the registry crate"
    '(git-fetch url-fetch)
    (map (lambda (o)
           (if (eq? (origin-method o) git-fetch) 'git-fetch 'url-fetch))
         inputs))
  (match inputs
    ((git crate)
     (test-equal "the git origin: URL without query, the commit"
       (list "https://example.org/ws.git" %commit "rust-alpha-0.2.0-checkout"
             %git-hash)
       (list (git-reference-url (origin-uri git))
             (git-reference-commit (origin-uri git))
             (origin-file-name git)
             (bytevector->nix-base32-string (origin-sha256 git))))
     (test-equal "the crate: its URL, name and the lock's checksum"
       (list "http://127.0.0.1:1/dl/itoa/1.0.1/download"
             "rust-itoa-1.0.1.tar.gz" %checksum)
       (list (origin-uri crate) (origin-file-name crate)
             (bytevector->base16-string (origin-sha256 crate)))))
    (_ (test-assert "two inputs" #f)))
  (test-equal "crates from a directory registry by version"
    '(("itoa" "1.0.1" #f))
    (let ((registry (string-append %test-directory "/registry")))
      (write-file (string-append registry "/itoa-1.0.1/Cargo.toml")
                  "[package]\nname = \"itoa\"\nversion = \"1.0.1\"\n")
      (write-file (string-append registry "/itoa-1.0.1/.cargo-checksum.json")
                  "{\"package\":\"Could not get crate checksum\",\"files\":{}}")
      (let ((from (string-append "dir:" registry))
            (lock (string-append %app "/Cargo.lock")))
        (match (lockfile-cargo-inputs lock #:crates-from from
                                      #:git-hashes `(("alpha" . ,%git-hash)))
          ((_ (? local-file? crate))
           (and (string=? (local-file-name crate) "itoa-1.0.1")
                (lockfile-directory-crates lock #:crates-from from)))))))
  (test-equal "none to unpin otherwise"
    '()
    (lockfile-directory-crates (string-append %app "/Cargo.lock")
                               #:crates-from "crates.io")))

(define (error-message thunk)
  (guard (c ((cargo-project-error? c)
             (list (cargo-project-error-package c) (condition-message c))))
    (thunk)
    #f))

(test-group "errors"
  (define (lock-with text)
    (let ((file (string-append %test-directory "/bad/Cargo.lock")))
      (write-file file (lock-text text))
      file))
  (test-assert "no checksum"
    (match (error-message
            (lambda ()
              (lockfile-cargo-inputs
               (lock-with "[[package]]\nname = \"itoa\"\nversion = \"1.0.1\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"))))
      (("itoa 1.0.1" message) (string-contains message "has no checksum in"))
      (_ #f)))
  (test-assert "an unknown source"
    (match (error-message
            (lambda ()
              (lockfile-cargo-inputs
               (lock-with "[[package]]\nname = \"x\"\nversion = \"1.0.0\"\nsource = \"local-registry+file:///r\"\n"))))
      (("x 1.0.0" message)
       (string-contains message "comes from local-registry+file:///r"))
      (_ #f)))
  (test-assert "a git source without commit"
    (match (error-message
            (lambda ()
              (lockfile-cargo-inputs
               (lock-with "[[package]]\nname = \"g\"\nversion = \"1.0.0\"\nsource = \"git+https://x/g.git?rev=1\"\n"))))
      (("g 1.0.0" message) (string-contains message "names no commit"))
      (_ #f)))
  (test-assert "a missing directory crate"
    (match (error-message
            (lambda ()
              (lockfile-cargo-inputs (string-append %app "/Cargo.lock")
                                     #:crates-from "dir:/nonexistent"
                                     #:git-hashes `(("alpha" . ,%git-hash)))))
      (("itoa 1.0.1" message)
       (string-contains message "is not in the directory registry /nonexistent"))
      (_ #f)))
  (test-assert "no lock file"
    (match (error-message
            (lambda ()
              (lockfile-cargo-inputs (string-append %test-directory "/none.lock"))))
      ((#f message) (string-contains message "cargo generate-lockfile"))
      (_ #f)))
  (test-assert "not a project"
    (match (error-message (lambda () (cargo-project %test-directory)))
      ((#f message) (string-contains message "is not a Cargo project"))
      (_ #f))))

(test-group "packages"
  (test-equal "a crate: its name and version"
    '("app" "0.1.0")
    (let ((p (cargo-project %app)))
      (list (package-name p) (package-version p))))
  (test-equal "from its lock file"
    '("app" "0.1.0")
    (let ((p (cargo-project (string-append %app "/Cargo.lock"))))
      (list (package-name p) (package-version p))))
  (test-equal "a virtual workspace: the directory, the members' version"
    '("ws" "2.1.0")
    (let ((ws (string-append %test-directory "/ws")))
      (write-file (string-append ws "/Cargo.toml")
                  "[workspace]\nmembers = [\"a\", \"b\"]\n")
      (write-file (string-append ws "/Cargo.lock")
                  (lock-text
                   "[[package]]\nname = \"a\"\nversion = \"2.1.0\"\n"
                   "[[package]]\nname = \"b\"\nversion = \"2.1.0\"\n"))
      (let ((p (cargo-project ws)))
        (list (package-name p) (package-version p)))))
  (test-assert "the arguments are read from the lock file when asked for"
    (let* ((p (cargo-project %app #:git-hashes `(("alpha" . ,%git-hash))
                             #:arguments '(#:tests? #f #:install-source? #t)))
           (before (length (second (memq #:cargo-inputs (package-arguments p))))))
      (write-file (string-append %app "/Cargo.lock")
                  (lock-text
                   "[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n"))
      (let ((args (package-arguments p)))
        (and (= before 2)
             (null? (second (memq #:cargo-inputs args)))
             ;; Given arguments win over the defaults, each given once.
             (equal? (second (memq #:install-source? args)) #t)
             (= 1 (count (lambda (x) (eq? x #:install-source?)) args))
             (equal? (second (memq #:tests? args)) #f)))))
  (test-equal "a directory registry: the caller's #:phases get the checksum phase"
    '(modify-phases %standard-phases (delete 'check))
    (let ((dir (string-append %test-directory "/dir-app"))
          (registry (string-append %test-directory "/registry")))
      (write-file (string-append dir "/Cargo.toml")
                  "[package]\nname = \"dir-app\"\nversion = \"0.1.0\"\n")
      (write-file (string-append dir "/Cargo.lock")
                  (lock-text
                   "[[package]]\nname = \"dir-app\"\nversion = \"0.1.0\"\n"
                   (string-append "[[package]]\nname = \"itoa\"\n"
                                  "version = \"1.0.1\"\n"
                                  "source = \"registry+https://github.com/"
                                  "rust-lang/crates.io-index\"\n"
                                  "checksum = \"" %checksum "\"\n")))
      (parameterize ((%crates-from (string-append "dir:" registry)))
        (let ((p (cargo-project dir
                                #:arguments
                                '(#:phases (modify-phases %standard-phases
                                             (delete 'check))))))
          (match (memq #:phases (package-arguments p))
            ((_ ('modify-phases user
                                ('add-before ('quote 'configure)
                                             ('quote 'directory-crate-checksums)
                                             _))
                . _)
             user)
            (_ #f))))))
  (test-assert "the source leaves target/ and VCS directories out"
    (let* ((select? (local-file-select? (package-source (cargo-project %app))))
           (st (stat %app)))
      (and (not (select? (string-append %app "/target") st))
           (not (select? (string-append %app "/src/.git") st))
           (select? (string-append %app "/src") st)
           (select? (string-append %app "/src/target") st)))))

(test-end "cargo-project")

(delete-test-directory %test-directory)

(exit-with-test-status)

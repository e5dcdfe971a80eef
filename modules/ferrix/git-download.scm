;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix git-download): origins checked out of git repositories, as
;;; Guix's (guix git-download).

(define-module (ferrix git-download)
  #:use-module (ferrix records)
  #:use-module (ferrix build-system)
  #:use-module (ferrix hash)
  #:use-module (ferrix base32)
  #:use-module ((ferrix build git) #:select (git-checkout git-checkout-error?))
  #:use-module ((ferrix build utils) #:select (delete-file-recursively))
  #:use-module (srfi srfi-34)
  #:use-module (srfi srfi-35)
  #:export (git-reference
            git-reference?
            git-reference-url
            git-reference-commit
            git-reference-recursive?

            git-fetch
            git-file-name
            git-checkout-hash))

;;; Commentary:
;;;
;;; A git-fetch origin names a commit of a repository and the sha256 of its
;;; checkout:
;;;
;;;   (origin
;;;     (method git-fetch)
;;;     (uri (git-reference
;;;            (url "https://example.org/foo.git")
;;;            (commit "0123...cdef")))        ;a full sha1, or a tag
;;;     (file-name (git-file-name "foo" "1.0.0"))
;;;     (sha256 (base32 "...")))
;;;
;;; 'git-fetch' returns a fixed-output derivation, hashed recursively (over
;;; the NAR of the checkout without .git, so the hash does not depend on how
;;; git packed the objects), whose builder runs the host's git (builds see
;;; the host's /usr, and fixed-output derivations keep the network): see
;;; (ferrix build git).  COMMIT may be a tag (or branch) name, as in Guix,
;;; but a tag can be moved: a full commit id is what pins the source.
;;;
;;; 'git-checkout-hash' is the importers' and packagers' way to get the hash
;;; (what 'guix hash -rx' of a checkout gives): it checks the commit out
;;; into a temporary directory with the same code and returns the nix32
;;; sha256 of the tree.
;;;
;;; Code:

(define-record-type* <git-reference> git-reference make-git-reference
  git-reference?
  (url        git-reference-url)                  ;string
  (commit     git-reference-commit)               ;string: sha1 or tag
  (recursive? git-reference-recursive? (default #f))) ;submodules too?

(define (git-file-name name version)
  "Return the file name of the checkout of NAME at VERSION, for an origin's
file-name field."
  (string-append name "-" version "-checkout"))

(define (check-reference ref)
  (unless (git-reference? ref)
    (error "git-fetch: the origin's uri must be a git-reference" ref))
  (for-each (lambda (field value)
              (unless (and (string? value) (not (string-null? value))
                           (not (string-prefix? "-" value)))
                (error (format #f "git-fetch: git-reference ~a must be a \
non-empty string not starting with '-'" field) value)))
            '(url commit)
            (list (git-reference-url ref) (git-reference-commit ref))))

(define* (git-fetch store ref hash-algo hash
                    #:optional name
                    #:key (system (%current-system)))
  "Return a fixed-output derivation that checks out REF, a git-reference,
whose tree without .git has HASH (a bytevector) over its NAR, computed with
HASH-ALGO.  NAME defaults to \"git-checkout\"."
  (check-reference ref)
  (build-script->derivation
   store (or name "git-checkout")
   `((use-modules (ferrix build git))
     (git-fetch-build #:url ,(git-reference-url ref)
                      #:commit ,(git-reference-commit ref)
                      #:recursive? ,(git-reference-recursive? ref)
                      #:output (getenv "out")))
   #:system system
   #:env-vars
   '(("impureEnvVars"
      . "http_proxy https_proxy all_proxy no_proxy GIT_SSL_CAINFO")
     ("preferLocalBuild" . "1"))
   #:hash hash
   #:hash-algo hash-algo
   #:recursive? #t))

(define* (git-checkout-hash url commit #:key recursive?)
  "Check out COMMIT (a full sha1 or a tag) of the git repository at URL with
the host's git, with its submodules when RECURSIVE?, and return the nix32
sha256 of the tree without .git: the hash a git-fetch origin of that
reference expects.  Raise a ferrix-error of kind 'git-error naming URL and
COMMIT on failure.  The temporary checkout is always removed."
  (define (fail fmt . args)
    (scm-error 'ferrix-error "git-checkout-hash" "~A"
               (list (apply format #f fmt args)) (list 'git-error)))
  (let ((tmp (let ((template (string-append (or (getenv "TMPDIR") "/tmp")
                                            "/ferrix-git-XXXXXX")))
               (catch 'system-error
                 (lambda () (mkdtemp template))
                 (lambda args
                   (fail "cannot check out ~a of ~a: cannot make a temporary \
directory ~a: ~a" commit url template
                         (strerror (system-error-errno args))))))))
    (dynamic-wind
      (const #t)
      (lambda ()
        (let ((checkout (string-append tmp "/checkout")))
          (guard (c ((git-checkout-error? c)
                     (fail "~a" (condition-message c))))
            (git-checkout url commit checkout
                          #:recursive? recursive?
                          #:log (string-append tmp "/git.log")))
          (bytevector->nix-base32-string (nar-hash checkout))))
      (lambda ()
        (delete-file-recursively tmp)))))

;;; git-download.scm ends here

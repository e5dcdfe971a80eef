;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix crates): crate sources taken from a directory registry, such as
;;; Debian's /usr/share/cargo/registry (filled by the librust-*-dev
;;; packages), pinned by content.

(define-module (ferrix crates)
  #:use-module (ferrix packages)
  #:use-module (ferrix store)
  #:use-module (ferrix hash)
  #:use-module (ferrix base32)
  #:use-module (srfi srfi-9)
  #:use-module ((srfi srfi-9 gnu) #:select (set-record-type-printer!))
  #:use-module (srfi srfi-34)
  #:use-module (srfi srfi-35)
  #:use-module (rnrs bytevectors)
  #:export (%crate-registry
            registry-crate
            registry-crate?
            registry-crate-name
            registry-crate-version
            registry-crate-registry
            registry-crate-sha256
            registry-crate-directory
            registry-crate-hash
            &registry-crate-error
            registry-crate-error?
            registry-crate-error-crate))

;;; Commentary:
;;;
;;; A directory registry holds one unpacked crate per directory, named
;;; NAME-VERSION, with its .cargo-checksum.json.  (registry-crate NAME
;;; VERSION #:sha256 HASH) is a source (or input) that lowers to the store
;;; item holding a copy of that directory, added by content: its name is
;;; NAME-VERSION and its contents are checked first against HASH, the sha256
;;; of the directory's NAR serialisation (what `ferrix hash -r DIR` and
;;; `guix hash -S nar DIR` print, in nix-base32), so that a definition stays
;;; pinned: when the registry's copy changes (a new Debian revision, a local
;;; edit), lowering fails and says what the copy's hash now is.  The
;;; vendoring on the build side rewrites .cargo-checksum.json.
;;;
;;; Code:

(define %crate-registry
  ;; The default registry directory.
  (make-parameter (or (getenv "FERRIX_CRATE_REGISTRY")
                      "/usr/share/cargo/registry")))

(define-record-type <registry-crate>
  (make-registry-crate name version registry sha256)
  registry-crate?
  (name     registry-crate-name)
  (version  registry-crate-version)
  (registry registry-crate-registry)
  (sha256   registry-crate-sha256))          ;bytevector | #f

(set-record-type-printer! <registry-crate>
  (lambda (crate port)
    (format port "#<registry-crate ~a ~a ~a>"
            (registry-crate-name crate) (registry-crate-version crate)
            (registry-crate-registry crate))))

(define-condition-type &registry-crate-error &error
  registry-crate-error?
  (crate registry-crate-error-crate))

(define (crate-error crate fmt . args)
  (raise (make-compound-condition
          (make-condition &registry-crate-error 'crate crate)
          (make-condition &message 'message (apply format #f fmt args)))))

(define* (registry-crate name version
                         #:key (registry (%crate-registry)) sha256)
  "Return the crate NAME at VERSION of the directory registry REGISTRY, to
be used as a package's source or input.  SHA256 is the expected NAR sha256
of the crate's directory: a bytevector, as given by (base32 \"...\"), or a
nix-base32 string."
  (let ((sha256 (cond ((not sha256) #f)
                      ((bytevector? sha256) sha256)
                      ((string? sha256) (nix-base32-string->bytevector sha256))
                      (else (error "registry-crate: #:sha256 must be a \
bytevector or a nix-base32 string" sha256)))))
    (when (and sha256 (not (= 32 (bytevector-length sha256))))
      (error "registry-crate: #:sha256 is not a sha256" sha256))
    (make-registry-crate name version registry sha256)))

(define (registry-crate-directory crate)
  "Return the directory of CRATE in its registry."
  (string-append (registry-crate-registry crate) "/"
                 (registry-crate-name crate) "-"
                 (registry-crate-version crate)))

(define (registry-crate-hash crate)
  "Return the NAR sha256 (a bytevector) of CRATE's directory as it is now."
  (nar-hash (registry-crate-directory crate)))

(define (registry-crate->store-path store crate)
  (let ((dir (registry-crate-directory crate))
        (id (string-append (registry-crate-name crate) " "
                           (registry-crate-version crate))))
    (unless (file-exists? (string-append dir "/Cargo.toml"))
      (crate-error crate "crate ~a is not in the registry ~a (no ~a/Cargo.toml; \
on Debian, the librust-~a-dev package provides it)"
                   id (registry-crate-registry crate) dir
                   (string-map (lambda (c) (if (char=? c #\_) #\- c))
                               (registry-crate-name crate))))
    ;; The store's source-hash cache: a no-op lowering does not read the
    ;; crate again (add-to-store below uses the same cache).
    (let ((actual (source-hash store dir))
          (expected (registry-crate-sha256 crate)))
      (cond ((not expected)
             (crate-error crate "crate ~a from ~a is not pinned: add \
#:sha256 (base32 \"~a\")"
                          id dir (bytevector->nix-base32-string actual)))
            ((not (bytevector=? actual expected))
             (crate-error crate "crate ~a: the registry's copy ~a has \
sha256 ~a, but the definition expects ~a (the registry changed: check it, \
then update the definition)"
                          id dir (bytevector->nix-base32-string actual)
                          (bytevector->nix-base32-string expected)))
            (else
             ;; The directory has the pinned hash: the item of that hash,
             ;; when valid, holds just this (content-addressed), and adding
             ;; is only needed when it is not.
             (let* ((name (string-append (registry-crate-name crate) "-"
                                         (registry-crate-version crate)))
                    (known (source-store-path store name expected)))
               ;; Rooted first, so that a collection cannot remove it
               ;; between the check and its use.
               (add-temp-root store known)
               (if (valid-path? store known)
                   known
                   (add-to-store store name #t 'sha256 dir))))))))

(register-object-lowerer!
 registry-crate?
 (lambda (store crate system target)
   (registry-crate->store-path store crate)))

;;; crates.scm ends here

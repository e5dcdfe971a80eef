;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix hash): cryptographic hashes of bytes, files and file trees (NAR),
;;; as bytevectors.  The work is the core's (OpenSSL).

(define-module (ferrix hash)
  #:export (sha256
            sha1
            md5
            sha512
            bytevector-hash
            file-sha256
            file-hash
            nar-hash
            nar-hash+size
            hash-string->bytevector))

(eval-when (expand load eval)
  (load-extension "libguile-ferrix" "init_ferrix"))

(define (bytevector-hash algo data)
  "Return the ALGO hash ('md5, 'sha1, 'sha256 or 'sha512) of DATA, a
bytevector or a string (hashed as UTF-8), as a bytevector."
  (%hash-string algo data))

(define (sha256 data)
  "Return the SHA256 of DATA (a bytevector, or a string as UTF-8)."
  (%hash-string 'sha256 data))

(define (sha1 data)
  "Return the SHA1 of DATA (a bytevector, or a string as UTF-8)."
  (%hash-string 'sha1 data))

(define (md5 data)
  "Return the MD5 of DATA (a bytevector, or a string as UTF-8)."
  (%hash-string 'md5 data))

(define (sha512 data)
  "Return the SHA512 of DATA (a bytevector, or a string as UTF-8)."
  (%hash-string 'sha512 data))

(define (file-hash algo file)
  "Return the ALGO hash of the contents of the regular file FILE."
  (%hash-file algo file))

(define (file-sha256 file)
  "Return the SHA256 of the contents of the regular file FILE."
  (%hash-file 'sha256 file))

(define* (nar-hash+size file #:optional (algo 'sha256))
  "Return two values: the ALGO hash of the NAR serialisation of FILE (a file,
directory or symlink, not followed) and the NAR's size."
  (%nar-hash algo file))

(define* (nar-hash file #:optional (algo 'sha256))
  "Return the ALGO hash of the NAR serialisation of FILE, like 'guix hash -S
nar' (and the hash of a store item's contents)."
  (call-with-values (lambda () (%nar-hash algo file))
    (lambda (hash size) hash)))

(define (hash-string->bytevector algo str)
  "Return the bytes of the ALGO hash STR, written in base16, nix32, base64 or
SRI form."
  (%hash-parse algo str))

;;; hash.scm ends here

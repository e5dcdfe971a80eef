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
            hash-string->bytevector
            hash-algorithm
            hash-format
            hash->string))

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

(define (hash-algorithm name)
  "Return the hash algorithm NAME designates, a symbol such as 'sha256, or
#f if it is not one of md5, sha1, sha256 and sha512."
  (and (member name '("md5" "sha1" "sha256" "sha512"))
       (string->symbol name)))

(define (hash-format name)
  "Return the textual form of hashes NAME designates: 'nix32 (also called
nix-base32 and base32), 'base16 (hex, hexadecimal), 'base64 or 'sri; #f if
NAME is none of them."
  (cond ((member name '("nix32" "nix-base32" "base32")) 'nix32)
        ((member name '("base16" "hex" "hexadecimal")) 'base16)
        ((string=? name "base64") 'base64)
        ((string=? name "sri") 'sri)
        (else #f)))

(define* (hash->string algo hash format #:key with-algorithm?)
  "Return HASH, a bytevector computed with ALGO (a symbol), written in
FORMAT (a symbol, see 'hash-format'), after \"ALGO:\" if WITH-ALGORITHM?.
The SRI form always names ALGO: \"ALGO-BASE64\"."
  (define prefix
    (if with-algorithm? (string-append (symbol->string algo) ":") ""))
  (case format
    ((nix32) (string-append prefix (%nix32-encode hash)))
    ((base16) (string-append prefix (%base16-encode hash)))
    ((base64) (string-append prefix (%base64-encode hash)))
    ((sri) (string-append (symbol->string algo) "-" (%base64-encode hash)))
    (else (error "unknown hash format" format))))

;;; hash.scm ends here

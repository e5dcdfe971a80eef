;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix base32): the textual forms of hashes: nix32 (Nix's base32, as in
;;; store paths and 'guix hash' output), base16 and base64.

(define-module (ferrix base32)
  #:export (bytevector->nix-base32-string
            nix-base32-string->bytevector
            bytevector->base16-string
            base16-string->bytevector
            bytevector->base64-string
            base64-string->bytevector))

(eval-when (expand load eval)
  (load-extension "libguile-ferrix" "init_ferrix"))

(define (bytevector->nix-base32-string bv)
  "Return BV in nix32, Nix's base32."
  (%nix32-encode bv))

(define (nix-base32-string->bytevector str)
  "Return the bytes STR encodes in nix32; raise a ferrix-error naming STR if
it is not valid nix32."
  (%nix32-decode str))

(define (bytevector->base16-string bv)
  "Return BV in lower-case hexadecimal."
  (%base16-encode bv))

(define (base16-string->bytevector str)
  "Return the bytes STR encodes in hexadecimal; raise a ferrix-error naming
STR if it is not valid."
  (%base16-decode str))

(define (bytevector->base64-string bv)
  "Return BV in base64 (with padding)."
  (%base64-encode bv))

(define (base64-string->bytevector str)
  "Return the bytes STR encodes in base64."
  (%base64-decode str))

;;; base32.scm ends here

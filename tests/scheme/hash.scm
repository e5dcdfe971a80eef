;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of (ferrix hash) and (ferrix base32), against the vectors of
;;; doc/formats.md, section 7.  Run by CTest with the build tree's
;;; modules, compiled modules and extension; exits non-zero when a test fails.

(use-modules (ferrix tests)
             (ferrix hash)
             (ferrix base32)
             (ferrix store)
             (srfi srfi-1)
             (srfi srfi-64)
             (rnrs bytevectors))


(define %tmp
  (test-directory "hash"))

(define (file-with-contents name contents)
  (let ((file (string-append %tmp "/" name)))
    (call-with-output-file file (lambda (port) (display contents port)))
    file))

(test-begin "hash")

(test-group "hashes of strings and bytevectors"
  (test-equal "sha256 \"\" (row 1)"
    "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"
    (bytevector->nix-base32-string (sha256 "")))
  (test-equal "sha256 \"abc\" (row 2)"
    "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s"
    (bytevector->nix-base32-string (sha256 "abc")))
  (test-equal "sha256 \"abc\" base16"
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    (bytevector->base16-string (sha256 (string->utf8 "abc"))))
  (test-equal "md5 \"\" and sha1 \"\" (row 3)"
    '("3y8bwfr609h3lh9ch0izcqq7fl" "143xibwh31h9bvxzalr0sjvbbvpa6ffs")
    (list (bytevector->nix-base32-string (md5 ""))
          (bytevector->nix-base32-string (sha1 ""))))
  (test-equal "sha512 has 64 bytes" 64 (bytevector-length (sha512 "x")))
  (test-equal "strings are hashed as UTF-8"
    (sha256 (u8-list->bytevector '(195 169)))
    (sha256 "é"))
  (test-equal "bytevector-hash" (sha1 "abc") (bytevector-hash 'sha1 "abc"))
  (test-equal "algorithm as a string" (md5 "abc") (bytevector-hash "md5" "abc"))
  (test-equal "unknown algorithm is a ferrix-error"
    'bad-hash
    (car (ferrix-error-of (lambda () (bytevector-hash 'whirlpool "x")))))
  (test-error "a number is a wrong-type-arg" 'wrong-type-arg (sha256 42)))

(test-group "nix32, base16, base64"
  (test-equal "sha1 hex -> nix32 (row 4)"
    "nvd61k9nalji1zl9rrdfmsmvyyjqpzg4"
    (bytevector->nix-base32-string
     (base16-string->bytevector "e4fd8ba5f7bbeaea5ace89fe10255536cd60dab6")))
  (test-assert "round trips, 0 to 70 bytes"
    (every (lambda (n)
             (let ((bv (u8-list->bytevector
                        (map (lambda (i) (modulo (+ (* i 37) n) 256)) (iota n)))))
               (and (equal? bv (nix-base32-string->bytevector
                                (bytevector->nix-base32-string bv)))
                    (equal? bv (base16-string->bytevector
                                (bytevector->base16-string bv)))
                    (equal? bv (base64-string->bytevector
                                (bytevector->base64-string bv))))))
           (iota 71)))
  (test-equal "nix32 of 32 bytes has 52 characters"
    52 (string-length (bytevector->nix-base32-string (sha256 "x"))))
  (let ((err (ferrix-error-of (lambda () (nix-base32-string->bytevector "xyz!")))))
    (test-equal "bad nix32: kind" 'bad-hash (car err))
    (test-assert "bad nix32: the message names the string"
      (string-contains (cadr err) "'xyz!'")))
  (test-assert "letters outside the alphabet ('e') are refused"
    (ferrix-error-of (lambda () (nix-base32-string->bytevector "0e"))))
  (test-assert "impossible lengths are refused"
    (ferrix-error-of (lambda () (nix-base32-string->bytevector "000"))))
  (test-assert "bad base16 names the string"
    (string-contains (cadr (ferrix-error-of
                            (lambda () (base16-string->bytevector "abz0"))))
                     "'abz0'"))
  (test-equal "hash-string->bytevector: nix32"
    (sha256 "abc")
    (hash-string->bytevector 'sha256 "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s"))
  (test-equal "hash-string->bytevector: SRI"
    (sha256 "abc")
    (hash-string->bytevector
     'sha256 (string-append "sha256-" (bytevector->base64-string (sha256 "abc"))))))

(test-group "files"
  (test-equal "file-sha256 of \"test\\n\" (row 5)"
    "1lkgqb6fclns49861dwk9rzb6xnfkxbpws74mxnx01z9qyv1pjpj"
    (bytevector->nix-base32-string
     (file-sha256 (file-with-contents "test" "test\n"))))
  (test-equal "file-hash sha1"
    (sha1 "test\n")
    (file-hash 'sha1 (file-with-contents "test2" "test\n")))
  ;; Row 9: dir{bar -> foo, bla/ (empty), foo = "Hello World!\n"}.
  (let ((dir (string-append %tmp "/tree")))
    (mkdir dir)
    (mkdir (string-append dir "/bla"))
    (call-with-output-file (string-append dir "/foo")
      (lambda (port) (display "Hello World!\n" port)))
    (symlink "foo" (string-append dir "/bar"))
    (test-equal "nar-hash of a tree (row 9)"
      "1ixr6yd3297ciyp9im522dfxpqbkhcw0pylkb2aab915278fqaik"
      (bytevector->nix-base32-string (nar-hash dir)))
    (test-equal "nar-hash+size of a tree (row 10)"
      656
      (call-with-values (lambda () (nar-hash+size dir))
        (lambda (hash size) size)))
    (test-equal "nar-hash with another algorithm" 20
      (bytevector-length (nar-hash dir 'sha1)))
    (test-equal "file-hash of a directory is a ferrix-error"
      'error
      (car (ferrix-error-of (lambda () (file-sha256 dir))))))
  (let ((err (ferrix-error-of
              (lambda () (file-sha256 (string-append %tmp "/missing"))))))
    (test-equal "missing file: kind" 'sys-error (car err))
    (test-assert "missing file: named" (string-contains (cadr err) "missing"))))

(test-end "hash")

(delete-test-directory %tmp)
(exit-with-test-status)

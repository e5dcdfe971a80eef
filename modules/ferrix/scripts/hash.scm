;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix scripts hash): 'ferrix hash', compute the hash of files, like
;;; 'guix hash' and 'nix-hash'.

(define-module (ferrix scripts hash)
  #:use-module (ferrix ui)
  #:use-module (ferrix scripts)
  #:use-module (ferrix hash)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-37)
  #:use-module (ice-9 binary-ports)
  #:export (ferrix-hash
            hash-algorithm-option
            hash-format-option))

(define (show-help)
  (display "Usage: ferrix hash [OPTION]... FILE...
Print the cryptographic hash of each FILE (\"-\" is standard input), like `guix hash`
and `nix-hash`.

  -r, --recursive        hash the NAR serialisation of FILE (same as -S nar)
  -S, --serializer=TYPE  'none' (the file's bytes, default) or 'nar'
  -H, --hash=ALGO        md5, sha1, sha256 (default) or sha512
  -f, --format=FMT       nix32 (default), base16, base64 or sri
  -h, --help             show this help
"))

(define* (hash-algorithm-option command #:optional (expected ""))
  "Return the -H/--hash option of COMMAND, recording the algorithm under
'hash-algorithm; an unknown one is a usage error whose message ends with
EXPECTED."
  (option '(#\H "hash") #t #f
          (lambda (opt name arg result)
            (let ((algo (hash-algorithm arg)))
              (unless algo
                (usage-error command "unknown hash algorithm '~a'~a"
                             arg expected))
              (alist-cons 'hash-algorithm algo result)))))

(define (hash-format-option command)
  "Return the -f/--format option of COMMAND, recording the format under
'hash-format."
  (option '(#\f "format") #t #f
          (lambda (opt name arg result)
            (let ((fmt (hash-format arg)))
              (unless fmt
                (usage-error command "unknown format '~a' (expected nix32, \
base16, base64 or sri)" arg))
              (alist-cons 'hash-format fmt result)))))

(define %options
  (list (flag-option '(#\r "recursive") 'serializer 'nar)
        (option '(#\S "serializer") #t #f
                (lambda (opt name arg result)
                  (alist-cons 'serializer
                              (cond ((string=? arg "nar") 'nar)
                                    ((member arg '("none" "flat")) 'none)
                                    (else
                                     (usage-error "hash" "unknown serializer \
'~a' (expected none or nar)" arg)))
                              result)))
        (hash-algorithm-option "hash" " (expected md5, sha1, sha256, sha512)")
        (hash-format-option "hash")
        %help-option))

(define (file-hash* algo file nar?)
  "Return the ALGO hash of FILE: of its NAR serialisation if NAR?, else of
its contents (of standard input for \"-\")."
  (cond ((string=? file "-")
         (when nar?
           (usage-error "hash" "standard input cannot be hashed as a NAR"))
         (let ((data (get-bytevector-all (current-input-port))))
           (bytevector-hash algo (if (eof-object? data) #vu8() data))))
        (nar? (nar-hash file algo))
        ((and (file-exists? file) (file-is-directory? file))
         (leave 1 "error: '~a' is a directory; hash it with -S nar (or -r)"
                file))
        (else (file-hash algo file))))

(define (ferrix-hash . args)
  "Run 'ferrix hash' with the list of strings ARGS."
  (let* ((opts (parse-command-line "hash" args %options))
         (files (option-values opts 'argument))
         (nar? (eq? 'nar (assq-ref opts 'serializer)))
         (algo (or (assq-ref opts 'hash-algorithm) 'sha256))
         (hash-format* (or (assq-ref opts 'hash-format) 'nix32)))
    (when (assq-ref opts 'help?)
      (show-help)
      (exit 0))
    (when (null? files)
      (usage-error "hash" "no file given"))
    (for-each (lambda (file)
                (display (hash->string algo (file-hash* algo file nar?)
                                       hash-format*))
                (newline))
              files)))

;;; hash.scm ends here

;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix scripts download): 'ferrix download URL', like 'guix download':
;;; fetch a file into the store (mirrors, retries) and print its store path
;;; and its hash.

(define-module (ferrix scripts download)
  #:use-module (ferrix ui)
  #:use-module (ferrix scripts)
  #:use-module (ferrix store)
  #:use-module (ferrix hash)
  #:use-module (ferrix download)
  #:use-module ((ferrix scripts hash) #:select (hash-algorithm-option
                                                hash-format-option))
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-37)
  #:use-module (srfi srfi-71)
  #:export (ferrix-download))

(define (show-help)
  (display "Usage: ferrix download [OPTION]... URL
Download URL into the store and print its store path and its hash (sha256 in
nix32 by default), like `guix download`. The store item is the output of the
url-fetch origin with that name and sha256: building such an origin afterwards
downloads nothing. Mirrors and retries come from the configuration file
(doc/fetch.md: $FERRIX_CONFIG or ${XDG_CONFIG_HOME:-~/.config}/ferrix/config.toml).

  -n, --name=NAME        the store item's name (default: URL's base name)
      --executable       make the file executable
  -H, --hash=ALGO        hash printed: sha256 (default), sha512, sha1 or md5
  -f, --format=FMT       nix32 (default), base16, base64 or sri
      --mirror=PREFIX=URL  also try URLs starting with PREFIX at URL + the rest,
                         before the configured mirrors (repeatable)
      --content-mirror=TEMPLATE  a content-addressed mirror (repeatable; only
                         used where a hash is known, i.e. in builds)
      --no-config        ignore the configuration file
      --store=DIR       use the store rooted at DIR (default $FERRIX_STORE or
                        ${XDG_DATA_HOME:-~/.local/share}/ferrix)
      --store-dir=PATH  logical store directory, e.g. /nix/store
                        (default $FERRIX_STORE_DIR or <root>/store)
  -h, --help             show this help

Exit status: 0 on success, 1 when the download fails, 2 on a usage error.
"))

(define %options
  (cons* (value-option '(#\n "name") 'name)
         (flag-option '("executable") 'executable?)
         (hash-algorithm-option "download")
         (hash-format-option "download")
         (option '("mirror") #t #f
                 (lambda (opt name arg result)
                   (let ((equal-sign (string-index arg #\=)))
                     (unless (and equal-sign (> equal-sign 0)
                                  (< (+ equal-sign 1) (string-length arg)))
                       (usage-error "download" "--mirror needs PREFIX=URL, \
not '~a'" arg)))
                   (alist-cons 'mirror arg result)))
         (value-option '("content-mirror") 'content-mirror)
         (flag-option '("no-config") 'no-config?)
         %help-option
         %store-options))

(define (ferrix-download . args)
  "Run 'ferrix download' with the list of strings ARGS."
  (let* ((opts (parse-command-line "download" args %options))
         (urls (option-values opts 'argument))
         (algo (or (assq-ref opts 'hash-algorithm) 'sha256))
         (fmt (or (assq-ref opts 'hash-format) 'nix32)))
    (when (assq-ref opts 'help?)
      (show-help)
      (exit 0))
    (unless (= 1 (length urls))
      (usage-error "download"
                   (if (null? urls) "no URL given" "exactly one URL expected")))
    (let* ((url (car urls))
           (name (or (assq-ref opts 'name) (url-base-name url))))
      (when (string-prefix? "/" url)
        (usage-error "download" "'~a' is a file name: give a URL (file://~a)"
                     url url))
      (unless (string-contains url "://")
        (usage-error "download" "'~a' is not a URL" url))
      (when (string-null? name)
        (usage-error "download" "cannot name the file after '~a': use --name"
                     url))
      (set-fetch-options! #:no-config? (assq-ref opts 'no-config?)
                          #:mirrors (option-values opts 'mirror)
                          #:content-mirrors
                          (option-values opts 'content-mirror))
      (call-with-store-options opts
        (lambda ()
          (with-store store
            (force-output)
            (let* ((path sha256 (download-to-store
                                 store url #:name name
                                 #:executable? (assq-ref opts 'executable?)))
                   (hash (if (eq? algo 'sha256)
                             sha256
                             (file-hash algo (store-real-path store path)))))
              (format #t "~a~%~a~%" path (hash->string algo hash fmt)))))))))

;;; download.scm ends here

;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix download): fetching files by URL as fixed-output derivations.

(define-module (ferrix download)
  #:use-module (ferrix derivations)
  #:use-module (ferrix build-system)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 match)
  #:export (url-fetch
            %mirrors
            expand-mirror-uri
            url-base-name
            download-to-store
            set-fetch-options!))

(eval-when (expand load eval)
  (load-extension "libguile-ferrix" "init_ferrix"))

;;; Commentary:
;;;
;;; 'url-fetch' is an origin method.  It returns a fixed-output derivation
;;; whose builder is "builtin:download", realised by the store itself (the
;;; C++ downloader) rather than by a build process, as Guix's and Nix's
;;; built-in downloaders are.  Its environment:
;;;
;;;   url               the URLs to try in order, separated by spaces
;;;                     (mirror:// URLs expanded with %mirrors)
;;;   preferLocalBuild  "1": fetch locally rather than substitute
;;;   impureEnvVars     proxy variables the downloader may honour
;;;   executable        "1" for an executable flat file (#:executable?)
;;;
;;; The output is hashed flat (the downloaded file's sha256), or as a NAR
;;; with #:recursive?.
;;;
;;; Mirrors configured by the user (doc/fetch.md) are not in the derivation:
;;; the downloader tries them when it realises it.  'download-to-store' is
;;; what 'ferrix download' does: fetch a URL now and add it to the store as
;;; the output a url-fetch of it would have.
;;;
;;; Code:

(define %mirrors
  ;; Alist of mirror names to base URLs: mirror://NAME/PATH expands to
  ;; BASE/PATH for each BASE, in order.
  (make-parameter
   '((crates "https://crates.io/api/v1/crates/"))))

(define (expand-mirror-uri uri)
  "Return the list of URLs that URI stands for: itself, or for
mirror://NAME/PATH one URL per base URL of mirror NAME."
  (if (string-prefix? "mirror://" uri)
      (let* ((rest (string-drop uri (string-length "mirror://")))
             (slash (or (string-index rest #\/)
                        (error "invalid mirror URI" uri)))
             (name (string->symbol (substring rest 0 slash)))
             (path (substring rest (+ slash 1))))
        (match (assq-ref (%mirrors) name)
          (#f (error (format #f "~a: unknown mirror '~a'" uri name)))
          (bases
           (map (lambda (base)
                  (string-append base
                                 (if (string-suffix? "/" base) "" "/")
                                 path))
                bases))))
      (list uri)))

(define (url-base-name url)
  "Return the last component of URL's path, without query or fragment."
  (let* ((end (or (string-index url (char-set #\? #\#)) (string-length url)))
         (path (string-trim-right (substring url 0 end) #\/)))
    (match (string-rindex path #\/)
      (#f path)
      (slash (substring path (+ slash 1))))))

(define* (download-to-store store url #:key (name (url-base-name url))
                            executable?)
  "Download URL (with the user's mirrors and retries) into STORE as the
flat, fixed-output sha256 item NAME, executable when EXECUTABLE?: the output
path of a url-fetch of URL with that name and hash.  Return two values: the
store path and the sha256 of the file (a bytevector)."
  (match (%download-to-store store url name executable?)
    ((path . hash) (values path hash))))

(define* (set-fetch-options! #:key no-config? (mirrors '())
                             (content-mirrors '()) max-downloads)
  "Set the downloader's options from the command line for the rest of the
process, over the configuration file's: NO-CONFIG? ignores the file,
MIRRORS is a list of \"PREFIX=URL\" strings tried before the configured
prefix mirrors, CONTENT-MIRRORS a list of URL templates, MAX-DOWNLOADS the
number of transfers at once (#f: the configured one)."
  (%set-fetch-options! no-config? mirrors content-mirrors max-downloads))

(define* (url-fetch store url hash-algo hash
                    #:optional name
                    #:key (system (%current-system)) recursive? executable?)
  "Return a fixed-output derivation that downloads URL (a string or a list
of alternative URLs), whose content has HASH (a bytevector) computed with
HASH-ALGO (a symbol, e.g. 'sha256) flat, or over its NAR when RECURSIVE?.
NAME defaults to the last component of the first URL."
  (let* ((urls (append-map expand-mirror-uri
                           (if (string? url) (list url) url)))
         (name (or name
                   (let ((first (car urls)))
                     (basename (match (string-index first #\?)
                                 (#f first)
                                 (q (substring first 0 q))))))))
    (for-each (lambda (u)
                (when (string-index u #\space)
                  (error "URL contains a space" u)))
              urls)
    (derivation store name "builtin:download" '()
                #:system system
                #:env-vars
                `(("impureEnvVars"
                   . "http_proxy https_proxy ftp_proxy all_proxy no_proxy")
                  ("preferLocalBuild" . "1")
                  ("url" . ,(string-join urls " "))
                  ,@(if executable? '(("executable" . "1")) '()))
                #:hash hash
                #:hash-algo hash-algo
                #:recursive? recursive?)))

;;; download.scm ends here

;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of (ferrix download): url-base-name, download-to-store (its item
;;; is the url-fetch output with that name and hash, executable or not;
;;; failures raise ferrix-error naming the URL and leave nothing), and
;;; set-fetch-options! (a prefix mirror from the "command line", without
;;; the configuration file).  file:// URLs: no server needed.

(use-modules (ferrix tests)
             (ferrix store)
             (ferrix download)
             (ferrix derivations)
             (ferrix hash)
             (srfi srfi-64)
             (ice-9 textual-ports)
             (rnrs bytevectors))

(define %tmp (test-directory "download"))

(define (tmp-file name contents)
  (let ((file (string-append %tmp "/" name)))
    (call-with-output-file file (lambda (port) (display contents port)))
    file))

;; The user's configuration file plays no part.
(setenv "FERRIX_CONFIG" "/dev/null")

(define %store (open-store #:root (string-append %tmp "/store")))
(define %file (tmp-file "hello.txt" "hello, download\n"))
(define %url (string-append "file://" %file))

(test-begin "download")

(test-equal "url-base-name"
  '("foo-1.0.crate" "download" "x.tar.gz" "dir")
  (map url-base-name
       '("https://h/foo-1.0.crate"
         "https://crates.io/api/v1/crates/foo/1.0/download"
         "http://h/x.tar.gz?raw=1#frag"
         "http://h/dir/")))

(test-assert "download-to-store: the url-fetch output path and the sha256"
  (call-with-values (lambda () (download-to-store %store %url))
    (lambda (path hash)
      (let ((drv (url-fetch %store %url 'sha256 hash)))
        (and (string=? path (derivation->output-path drv))
             (bytevector=? hash (file-sha256 %file))
             (string=? (call-with-input-file path get-string-all)
                       "hello, download\n")
             (valid-path? %store path))))))

(test-assert "download-to-store #:name #:executable?"
  (call-with-values
      (lambda ()
        (download-to-store %store %url #:name "greeting" #:executable? #t))
    (lambda (path hash)
      (let ((drv (url-fetch %store %url 'sha256 hash "greeting"
                            #:executable? #t)))
        (and (string=? path (derivation->output-path drv))
             (string-suffix? "-greeting" path)
             (= #o555 (logand #o777 (stat:perms (stat path)))))))))

(test-assert "download-to-store: a missing file is a ferrix-error naming the URL"
  (let ((error (ferrix-error-of
                (lambda ()
                  (download-to-store %store
                                     (string-append "file://" %tmp "/none"))))))
    (and error
         (string-contains (cadr error) (string-append %tmp "/none")))))

(test-assert "set-fetch-options!: a prefix mirror"
  (begin
    (set-fetch-options! #:no-config? #t
                        #:mirrors (list (string-append "https://example.invalid/="
                                                       "file://" %tmp "/")))
    (call-with-values
        (lambda ()
          (download-to-store %store "https://example.invalid/hello.txt"
                             #:name "mirrored"))
      (lambda (path hash)
        (bytevector=? hash (file-sha256 %file))))))

(test-assert "set-fetch-options!: a bad mirror is a usage error"
  (equal? 'usage-error
          (car (or (ferrix-error-of
                    (lambda () (set-fetch-options! #:mirrors '("nothing"))))
                   '(#f)))))

(test-end "download")

(close-store %store)
(delete-test-directory %tmp)
(exit-with-test-status)

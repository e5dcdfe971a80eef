;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix cache): the per-user caches under $XDG_CACHE_HOME/ferrix, and
;;; keeping them bounded.  What is cached there is only ever an optimisation:
;;; callers ignore errors reading or writing it.

(define-module (ferrix cache)
  #:use-module (srfi srfi-1)
  #:autoload (ice-9 ftw) (scandir)
  #:autoload (ferrix build utils) (delete-file-recursively)
  #:export (cache-directory
            make-cache-directory
            remove-oldest-cache-entries))

(define (cache-directory name)
  "Return the directory of the cache NAME, $XDG_CACHE_HOME/ferrix/NAME (by
default ~/.cache/ferrix/NAME), or #f when neither XDG_CACHE_HOME nor HOME is
set.  The directory may not exist yet."
  (let ((base (or (getenv "XDG_CACHE_HOME")
                  (and (getenv "HOME")
                       (string-append (getenv "HOME") "/.cache")))))
    (and base (string-append base "/ferrix/" name))))

(define (make-cache-directory directory)
  "Create DIRECTORY and its parents unless they exist."
  (unless (or (string=? directory "/") (file-exists? directory))
    (make-cache-directory (dirname directory))
    (false-if-exception (mkdir directory))))

(define (remove-oldest-cache-entries directory keep)
  "Delete the least recently modified entries of DIRECTORY, files or
directories (names starting with a dot aside), so that at most KEEP remain.
Errors are ignored."
  (let ((names (or (false-if-exception
                    (scandir directory
                             (lambda (name) (not (string-prefix? "." name)))))
                   '())))
    (when (> (length names) keep)
      (let* ((entries (filter-map
                       (lambda (name)
                         (let* ((file (string-append directory "/" name))
                                (st (false-if-exception (lstat file))))
                           (and st (cons (stat:mtime st) file))))
                       names))
             (oldest (sort entries (lambda (a b) (< (car a) (car b))))))
        (for-each (lambda (entry)
                    (false-if-exception (delete-file-recursively (cdr entry))))
                  (take oldest (max 0 (- (length oldest) keep))))))))

;;; cache.scm ends here

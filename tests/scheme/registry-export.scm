;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of the %registry-export primitive (guile/cargo.cc), behind
;;; 'ferrix registry export': its settings alist, its summary, and its
;;; errors as ferrix-error exceptions of the right kind.  Run from the
;;; source directory as:
;;;   GUILE_EXTENSIONS_PATH=build/guile \
;;;     guile -L modules -L build/modules -L tests/scheme/lib \
;;;     --no-auto-compile tests/scheme/registry-export.scm
;;; Exits non-zero when a test fails.

(use-modules (ferrix tests)
             (srfi srfi-64)
             (ice-9 match)
             (ice-9 rdelim))

(load-extension "libguile-ferrix" "init_ferrix_cargo")

(define %dir (test-directory "registry-export"))

(define (write-file file text)
  (mkdir-p (dirname file))
  (call-with-output-file file (lambda (port) (display text port))))

(define (mkdir-p dir)
  (unless (file-exists? dir)
    (mkdir-p (dirname dir))
    (mkdir dir)))

(define (read-file file)
  (call-with-input-file file read-string))

(define %source (string-append %dir "/src"))
(define %registry (string-append %dir "/registry"))

(write-file (string-append %source "/tiny-0.3.0/Cargo.toml")
            "[package]\nname = \"tiny\"\nversion = \"0.3.0\"\nlicense = \"MIT\"\n")
(write-file (string-append %source "/tiny-0.3.0/src/lib.rs") "")

(test-begin "registry-export")

(define %summary
  (%registry-export `(("source" . ,%source)
                      ("dir" . ,%registry)
                      ("base-url" . "http://127.0.0.1:1/r")
                      ("jobs" . "1"))))

(test-equal "summary: counts"
  '(1 1 1 1 0 0)
  (map (lambda (key) (assq-ref %summary key))
       '(crates versions exported packed unchanged skipped)))

(test-assert "summary: bytes and seconds"
  (and (> (assq-ref %summary 'bytes) 0)
       (real? (assq-ref %summary 'seconds))
       (null? (assq-ref %summary 'warnings))))

(test-equal "summary: bytes are the .crate's"
  (assq-ref %summary 'bytes)
  (stat:size (stat (string-append %registry
                                   "/api/v1/crates/tiny/0.3.0/download"))))

(test-assert "index line"
  (string-prefix? "{\"name\":\"tiny\",\"vers\":\"0.3.0\",\"deps\":[],\"cksum\":"
                  (read-file (string-append %registry "/index/ti/ny/tiny"))))

(test-assert "API: license"
  (string-contains (read-file (string-append %registry
                                             "/api/v1/crates/tiny/index.html"))
                   "\"license\":\"MIT\""))

(test-equal "again: unchanged, with a yank"
  '(0 1)
  (let ((summary (%registry-export `(("source" . ,%source)
                                     ("dir" . ,%registry)
                                     ("base-url" . "http://127.0.0.1:1/r")
                                     ("yank" . "tiny@0.3.0")))))
    (list (assq-ref summary 'packed) (assq-ref summary 'unchanged))))

(test-assert "yanked in the index"
  (string-contains (read-file (string-append %registry "/index/ti/ny/tiny"))
                   "\"yanked\":true"))

(test-equal "unknown setting: usage-error"
  'usage-error
  (match (ferrix-error-of
          (lambda ()
            (%registry-export '(("colour" . "blue")))))
    ((kind message) kind)))

(test-equal "no base URL: usage-error"
  'usage-error
  (match (ferrix-error-of
          (lambda ()
            (%registry-export `(("source" . ,%source)
                                ("dir" . ,%registry)))))
    ((kind message) kind)))

(test-equal "bad --jobs: usage-error"
  'usage-error
  (match (ferrix-error-of
          (lambda ()
            (%registry-export `(("source" . ,%source) ("dir" . ,%registry)
                                ("base-url" . "http://x/") ("jobs" . "many")))))
    ((kind message) kind)))

(test-assert "malformed Cargo.toml: format-error at FILE:LINE:COLUMN"
  (begin
    (write-file (string-append %source "/bad-1.0.0/Cargo.toml")
                "[package]\nname = \"bad\"\nversion = [\n")
    (match (ferrix-error-of
            (lambda ()
              (%registry-export `(("source" . ,%source)
                                  ("dir" . ,%registry)
                                  ("base-url" . "http://127.0.0.1:1/r")))))
      ((kind message)
       (and (eq? kind 'format-error)
            (string-prefix? (string-append %source "/bad-1.0.0/Cargo.toml:3:")
                            message))))))

(test-equal "keep-going: skipped with a warning"
  1
  (let ((summary (%registry-export `(("source" . ,%source)
                                     ("dir" . ,%registry)
                                     ("base-url" . "http://127.0.0.1:1/r")
                                     ("keep-going" . "true")))))
    (and (= 1 (length (assq-ref summary 'warnings)))
         (assq-ref summary 'skipped))))

(test-assert "not a list: wrong-type-arg"
  (catch 'wrong-type-arg
    (lambda () (%registry-export "settings") #f)
    (const #t)))

(test-end "registry-export")

(delete-test-directory %dir)
(exit-with-test-status)

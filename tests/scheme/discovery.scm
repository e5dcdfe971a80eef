;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of (ferrix discovery): packages found by name in the modules under
;;; the package module path and in loaded package files.  Run from the
;;; source directory as:
;;;   GUILE_EXTENSIONS_PATH=build/guile \
;;;     guile -L modules -L build/modules --no-auto-compile tests/scheme/discovery.scm

(use-modules (ferrix tests)
             (ferrix discovery)
             (ferrix package-files)
             ((ferrix packages) #:select (package? package-name package-version
                                          package-source
                                          local-file-absolute-file-name))
             (srfi srfi-1)
             (srfi srfi-34)
             (srfi srfi-35)
             (srfi srfi-64))

(define %test-directory
  (test-directory "discovery"))
(setenv "XDG_CACHE_HOME" (string-append %test-directory "/cache"))


(test-begin "discovery")

(define %modules (string-append %test-directory "/modules"))
(mkdir %modules)
(mkdir (string-append %modules "/my"))
(call-with-output-file (string-append %modules "/my/crates.scm")
  (lambda (port)
    (for-each (lambda (form) (write form port) (newline port))
              '((define-module (my crates)
                  #:use-module (ferrix packages)
                  #:use-module (ferrix build-system cargo))
                (define-public rust-bar-1
                  (package (name "rust-bar") (version "1.4.2")
                           (build-system cargo-build-system)))
                (define-public rust-bar-0.9
                  (package (name "rust-bar") (version "0.9.1")
                           (build-system cargo-build-system)))
                (define rust-private
                  (package (name "rust-private") (version "1.0")
                           (build-system cargo-build-system)))))))
(call-with-output-file (string-append %modules "/not-a-module.scm")
  (lambda (port) (display "(error \"must not be loaded\")\n" port)))

(define %file (string-append %test-directory "/project/extra.scm"))
(mkdir (dirname %file))
(call-with-output-file %file
  (lambda (port)
    (display "(define rust-baz (package (name \"rust-baz\") (version \"3.0\")
  (source (local-file \"extra.scm\"))
  (build-system cargo-build-system)))
rust-baz
" port)))

(add-to-package-module-path! %modules)

(test-equal "find-packages-by-name: in -L modules, highest version first"
  '("1.4.2" "0.9.1")
  (map package-version (find-packages-by-name "rust-bar")))

(test-equal "find-packages-by-name: version prefix"
  '("0.9.1")
  (map package-version (find-packages-by-name "rust-bar" "0.9")))

(test-equal "find-packages-by-name: only exported bindings of modules"
  '()
  (find-packages-by-name "rust-private"))

(test-assert "load-package-file: returns the last value, sets the project directory"
  (let ((p (load-package-file %file)))
    (and (package? p)
         (string=? "rust-baz" (package-name p))
         ;; local-file is relative to the loaded file.
         (string=? %file (local-file-absolute-file-name (package-source p)))
         (string=? (dirname %file) (project-directory)))))

(test-equal "find-packages-by-name: packages of loaded files"
  '("3.0")
  (map package-version (find-packages-by-name "rust-baz")))

(test-equal "specification->package"
  '("1.4.2" "0.9.1")
  (map (compose package-version specification->package)
       '("rust-bar" "rust-bar@0.9")))

(test-assert "specification->package: unknown package"
  (guard (c ((message-condition? c)
             (string-contains (condition-message c) "rust-nope")))
    (specification->package "rust-nope")
    #f))

(test-equal "scheme-modules: module files only, by file name"
  '((my crates))
  (scheme-modules %modules))

(test-assert "(ferrix packages) keeps to packages: finding them is not its"
  (let ((packages (resolve-interface '(ferrix packages))))
    (not (any (lambda (name) (module-variable packages name))
              '(%package-module-path add-to-package-module-path!
                package-modules fold-packages find-packages-by-name
                specification->package load-package-file)))))

(test-end "discovery")

(delete-test-directory %test-directory)

(exit-with-test-status)

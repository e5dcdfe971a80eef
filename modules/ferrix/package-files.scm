;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix package-files): loading files of package definitions (what
;;; 'ferrix build -f' and 'guix build -f' take), the cache of their compiled
;;; code, and the project directory the first of them sets.

(define-module (ferrix package-files)
  #:use-module ((ferrix base32) #:select (bytevector->base16-string))
  #:use-module ((ferrix hash) #:select (sha256 file-sha256))
  #:use-module (ferrix cache)
  #:autoload (system base compile) (compile-file)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-26)
  #:use-module (ice-9 match)
  #:use-module ((ice-9 exceptions)
                #:select (make-error make-exception-with-message))
  #:export (%project-directory
            set-project-directory!
            project-directory
            load-package-file
            package-files-lowered!
            package-file-modules))

;;; Commentary:
;;;
;;; Package files are interpreted: an error is reported at its exact
;;; location (see (ferrix diagnostics)) and a file evaluated once pays no
;;; compilation.  But expanding the forms of a file is most of what a no-op
;;; 'ferrix build -f' costs (14 ms of examples/wordfreq.scm's), so the second
;;; time the same contents load and lower without error (see
;;; 'package-files-lowered!') they are compiled (-O1, about 80 ms) into the
;;; cache directory "package-files" and later loads use the compiled code
;;; (1 ms).  An entry's key covers the file's name and contents, Guile's
;;; version, the load paths and the imports; its .deps file lists the modules
;;; that were loaded when it was compiled (their macros are inlined in it)
;;; with their sizes, inodes and times, and any change to one of them leaves
;;; the entry unused.  Should the compiled code raise an error, it is dropped
;;; and the file interpreted instead, so errors are reported exactly as
;;; without the cache.
;;;
;;; Code:

(define %project-directory
  ;; The directory of the project whose packages are built (where a
  ;; rust-toolchain.toml may pin the toolchain), or #f for the current
  ;; directory.
  (make-parameter #f))

(define %default-project-directory #f)

(define (set-project-directory! directory)
  "Make DIRECTORY the project directory when %project-directory is not
parameterized."
  (set! %default-project-directory directory))

(define (project-directory)
  "Return the project directory: %project-directory, else the directory set
with 'set-project-directory!' (the directory of the first file loaded with
'load-package-file'), else the current directory."
  (or (%project-directory) %default-project-directory (getcwd)))

(define %package-file-modules '())       ;modules of loaded files, newest first

(define (package-file-modules)
  "Return the modules of the files loaded with 'load-package-file', newest
first."
  %package-file-modules)

(define %package-file-imports
  ;; Resolved when a file is loaded, not when this module is: (ferrix
  ;; packages) uses this module.
  '((ferrix packages) (ferrix build-system) (ferrix build-system cargo)
    (ferrix download) (ferrix toolchain) (guile)))

(define %package-file-cache-size 256)   ;files: .go and .deps (.seen) per file

(define (package-file-module)
  "Return a fresh module for a package file, with the imports it expects."
  (let ((module (make-fresh-user-module)))
    (for-each (lambda (name)
                (module-use! module (resolve-interface name)))
              %package-file-imports)
    module))

(define (package-file-cache-base file)
  "Return the cache file name, without extension, for FILE as it is now, or
#f."
  (let ((directory (cache-directory "package-files")))
    (and directory
         (false-if-exception
          (string-append
           directory "/"
           (string-take
            (bytevector->base16-string
             (sha256 (object->string
                      (list "ferrix package file 1" (version) file
                            (bytevector->base16-string (file-sha256 file))
                            %load-path %load-compiled-path
                            %package-file-imports))))
            40))))))

(define (module-file-stamps)
  "Return (FILE SIZE INODE MTIME MTIMENSEC) for the source file of each
module loaded so far, Guile's own aside (its version is in the key)."
  (define guile-directories
    (list (%library-dir) (%site-dir) (%global-site-dir) (%package-data-dir)))
  (define (stamp name)
    (let* ((file (if (string-prefix? "/" name)
                     name
                     (search-path %load-path name)))
           (st (and file
                    (not (any (cut string-prefix? <> file) guile-directories))
                    (false-if-exception (stat file)))))
      (and st
           (list file (stat:size st) (stat:ino st) (stat:mtime st)
                 (stat:mtimensec st)))))
  (let walk ((module (resolve-module '() #f)) (result '()))
    (hash-fold (lambda (name sub result) (walk sub result))
               (match (module-filename module)
                 ((? string? name)
                  (match (stamp name)
                    (#f result)
                    (entry (cons entry result))))
                 (_ result))
               (module-submodules module))))

(define (compiled-package-file base)
  "Return BASE.go if it is there and every module it depends on is as it was
when it was compiled, else #f."
  (let ((go (string-append base ".go")))
    (and (file-exists? go)
         (false-if-exception
          (every (match-lambda
                   ((file size inode mtime mtimensec)
                    (let ((st (stat file #f)))
                      (and st
                           (= size (stat:size st)) (= inode (stat:ino st))
                           (= mtime (stat:mtime st))
                           (= mtimensec (stat:mtimensec st))))))
                 (call-with-input-file (string-append base ".deps") read)))
         go)))

(define (includes-files? file)
  "Return true if FILE may include other files' text when it is expanded
(Guile's 'include' and friends): compiled, it would not notice their changes."
  (call-with-input-file file
    (lambda (port)
      (let loop ()
        (let ((form (read port)))
          (and (not (eof-object? form))
               (or (let walk ((x form))
                     (cond ((pair? x) (or (walk (car x)) (walk (cdr x))))
                           ((vector? x) (any walk (vector->list x)))
                           (else (memq x '(include include-ci
                                           include-from-path)))))
                   (loop))))))))

(define (compile-package-file file base)
  "Compile FILE into BASE.go, with BASE.deps, unless it includes files.
Errors are ignored."
  (false-if-exception
   (let ((go (string-append base ".go"))
         (tmp (string-append base ".tmp-" (number->string (getpid)))))
     (when (includes-files? file)
       (error "not compiled: it includes files"))
     (make-cache-directory (dirname base))
     (with-fluids ((current-reader #f))
       (with-error-to-port (%make-void-port "w")
         (lambda ()
           (compile-file file #:output-file tmp #:env (package-file-module)
                         #:opts '(#:warnings ()) #:optimization-level 1))))
     (call-with-output-file (string-append tmp ".deps")
       (cut write (module-file-stamps) <>))
     (rename-file (string-append tmp ".deps") (string-append base ".deps"))
     (rename-file tmp go)
     (remove-oldest-cache-entries (dirname base) %package-file-cache-size))))

(define %loaded-package-files '())       ;(FILE . BASE), not yet noted

(define (note-package-file-lowered file base)
  "Record that FILE, whose cache entry is BASE, loaded and lowered without
error: the second time, compile it."
  (let ((seen (string-append base ".seen")))
    (if (file-exists? seen)
        (begin
          (compile-package-file file base)
          (false-if-exception (delete-file seen)))
        (false-if-exception
         (begin
           (make-cache-directory (dirname base))
           (close-port (open-output-file seen)))))))

(define (package-files-lowered!)
  "Note that the package files interpreted so far loaded and lowered
without error, so that the second time this happens to unchanged contents
they get compiled.  Only then: errors raised by compiled code are worded
differently, so a file whose packages fail to lower is never compiled."
  (for-each (match-lambda
              ((file . base) (note-package-file-lowered file base)))
            (reverse %loaded-package-files))
  (set! %loaded-package-files '()))

(define (load-package-file file)
  "Load FILE, a file of package definitions (like 'guix build -f'), in a
fresh module using the ferrix modules, and return the value of its last
expression.  Its packages become visible to 'find-packages-by-name'.  The
first file loaded sets the project directory (see 'project-directory')."
  (define (load-into module load)
    (set! %package-file-modules (cons module %package-file-modules))
    (save-module-excursion
     (lambda ()
       (set-current-module module)
       (load))))

  (let* ((file (catch 'system-error
                 (lambda ()
                   (canonicalize-path file))
                 (lambda args
                   ;; Name the file, not the procedure that looked for it.
                   (raise-exception
                    (make-exception
                     (make-error)
                     (make-exception-with-message
                      (string-append file ": "
                                     (strerror (system-error-errno args)))))))))
         (base (package-file-cache-base file))
         (go (and base (compiled-package-file base))))
    (define (interpret)
      (let ((value (load-into (package-file-module)
                              (lambda () (primitive-load file)))))
        (when base
          (set! %loaded-package-files
                (cons (cons file base) %loaded-package-files)))
        value))

    (unless %default-project-directory
      (set-project-directory! (dirname file)))
    (if go
        (let* ((module (package-file-module))
               (result (catch #t
                         (lambda ()
                           (list (load-into module
                                            (lambda () (load-compiled go)))))
                         (lambda _
                           ;; Forget what it defined; interpret the file.
                           (set! %package-file-modules
                                 (delq module %package-file-modules))
                           (false-if-exception (delete-file go))
                           #f))))
          (if result (car result) (interpret)))
        (interpret))))

;;; package-files.scm ends here

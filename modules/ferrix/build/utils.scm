;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix build utils): build-side utilities, in the style of Guix's
;;; (guix build utils): phases and the phase loop, running programs, and
;;; file helpers.  This module runs inside build processes; it depends on
;;; nothing but Guile and the extension (unpacking, starting children).

(define-module (ferrix build utils)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-9)
  #:use-module (srfi srfi-11)
  #:use-module (srfi srfi-26)
  #:use-module (srfi srfi-34)
  #:use-module (srfi srfi-35)
  #:use-module (ice-9 match)
  #:use-module (ice-9 format)
  #:use-module ((ice-9 exceptions)
                #:select (exception-with-message? exception-message
                          exception-with-irritants? exception-irritants))
  #:use-module (ice-9 rdelim)
  #:use-module (ice-9 regex)
  #:export (;; Phases.
            modify-phases
            alist-cons-before
            alist-cons-after
            alist-replace
            run-phases
            later-phase-arguments
            later-phase-arguments?
            later-phase-arguments-list

            ;; Programs.
            invoke
            jobserver-descriptor
            jobserver-command
            invoke/jobserver
            spawn/jobserver
            system*/jobserver
            &invoke-error
            invoke-error?
            invoke-error-program
            invoke-error-arguments
            invoke-error-exit-status
            invoke-error-term-signal
            which
            set-path-environment-variable

            ;; Files.
            with-directory-excursion
            mkdir-p
            copy-recursively
            delete-file-recursively
            find-files
            directory-entries
            directory-exists?
            executable-file?
            substitute*
            substitute

            ;; Sources.
            unpack-source
            patch-source))

;; %unpack-source: unpacking in C++, with its checks and limits.
;; %spawn-command: starting a child without copying this process.
(eval-when (expand load eval)
  (load-extension "libguile-ferrix" "init_ferrix_cargo")
  (load-extension "libguile-ferrix" "init_ferrix_process"))

;;;
;;; Phases.
;;;

(define (phase-error who name)
  (raise (make-condition &message 'message
                         (format #f "~a: no phase named '~a'" who name))))

(define (split-at-phase who reference alist)
  "Return two values: the phases of ALIST before REFERENCE, and REFERENCE
and the phases after it.  Raise an error if there is no such phase."
  (let-values (((before after)
                (break (match-lambda ((name . _) (eq? name reference)))
                       alist)))
    (when (null? after)
      (phase-error who reference))
    (values before after)))

(define (alist-cons-before reference key value alist)
  "Insert KEY/VALUE before the phase REFERENCE of ALIST."
  (let-values (((before after)
                (split-at-phase 'add-before reference alist)))
    (append before (acons key value after))))

(define (alist-cons-after reference key value alist)
  "Insert KEY/VALUE after the phase REFERENCE of ALIST."
  (let-values (((before after)
                (split-at-phase 'add-after reference alist)))
    (append before (list (car after)) (acons key value (cdr after)))))

(define (alist-replace key value alist)
  "Replace the phase KEY of ALIST by VALUE."
  (let-values (((before after) (split-at-phase 'replace key alist)))
    (append before (acons key value (cdr after)))))

(define-syntax modify-phases
  (syntax-rules ()
    "Modify PHASES, an alist of phase names to procedures, with each clause
in turn: (delete NAME), (replace NAME PROC), (add-before NAME NEW PROC),
(add-after NAME NEW PROC).  Naming a missing phase is an error, except in
'delete'."
    ((_ phases clause ...)
     (let* ((p phases)
            (p (%modify-phase p clause))
            ...)
       p))))

(define-syntax %modify-phase
  ;; The clause keywords are recognised by name, not by binding: 'delete' is
  ;; bound differently by (guile) and (srfi srfi-1), and a build script or
  ;; package file may have either (or neither) in scope.
  (lambda (s)
    (syntax-case s ()
      ((_ phases (verb old))
       (eq? 'delete (syntax->datum #'verb))
       #'(alist-delete old phases eq?))
      ((_ phases (verb old new))
       (eq? 'replace (syntax->datum #'verb))
       #'(alist-replace old new phases))
      ((_ phases (verb old new proc))
       (eq? 'add-before (syntax->datum #'verb))
       #'(alist-cons-before old new proc phases))
      ((_ phases (verb old new proc))
       (eq? 'add-after (syntax->datum #'verb))
       #'(alist-cons-after old new proc phases)))))

(define-record-type <later-phase-arguments>
  (make-later-phase-arguments list)
  later-phase-arguments?
  (list later-phase-arguments-list))

(define (later-phase-arguments . arguments)
  "Return what a phase returns to have the phases after it called with
ARGUMENTS, a keyword list, on top of their own (a key given replaces the
one they had): how a phase passes on a value it found, as 'configure' of
the cargo build system passes #:locked? #t."
  (make-later-phase-arguments arguments))

(define (replace-keyword-arguments arguments replacements)
  "Return the keyword list ARGUMENTS with the keys of REPLACEMENTS, a
keyword list, bound to their values there instead."
  (let loop ((replacements replacements) (arguments arguments))
    (match replacements
      (() arguments)
      (((? keyword? key) value rest ...)
       (loop rest
             (let strip ((arguments arguments))
               (match arguments
                 (() (list key value))
                 (((? (cut eq? key <>)) _ tail ...) (strip tail))
                 ((head value* tail ...)
                  (cons* head value* (strip tail))))))))))

(define* (run-phases phases #:rest arguments)
  "Run PHASES, an alist of names to procedures, in order, calling each with
ARGUMENTS (a keyword list) and reporting, as Guix does, \"starting phase
`NAME'\" and \"phase `NAME' succeeded after N seconds\".  A phase fails by
raising an exception, which is reported and re-raised.  A phase that
returns a 'later-phase-arguments' value adds those arguments to the ones
of the phases after it; any other value is ignored."
  (define (now) (get-internal-real-time))
  (let loop ((phases phases) (arguments arguments))
    (match phases
      (() #t)
      (((name . proc) rest ...)
       (let ((start (now)))
         (format #t "starting phase `~a'~%" name)
         (force-output)
         (let ((result
                (call-with-values
                    (lambda ()
                      (with-exception-handler
                          (lambda (e)
                            (format (current-error-port)
                                    "error: in phase '~a': ~a~%" name
                                    (exception->string e))
                            (format #t "phase `~a' failed after ~,1f seconds~%"
                                    name
                                    (/ (- (now) start) 1.
                                       internal-time-units-per-second))
                            (force-output)
                            (raise-exception e))
                        (lambda ()
                          (apply proc arguments))
                        #:unwind? #f))
                  (case-lambda
                    ((value . _) value)
                    (() #f)))))
           (format #t "phase `~a' succeeded after ~,1f seconds~%" name
                   (/ (- (now) start) 1. internal-time-units-per-second))
           (force-output)
           (loop rest
                 (if (later-phase-arguments? result)
                     (replace-keyword-arguments
                      arguments (later-phase-arguments-list result))
                     arguments))))))))

(define (exception->string e)
  (cond ((invoke-error? e)
         ;; The command as a shell would take it back, then how it ended.
         (format #f "command ~a ~a"
                 (string-join (map (cut format #f "~s" <>)
                                   (cons (invoke-error-program e)
                                         (invoke-error-arguments e))))
                 (cond ((invoke-error-exit-status e)
                        => (cut format #f "failed with exit status ~a" <>))
                       ((invoke-error-term-signal e)
                        => (cut format #f "was killed by signal ~a" <>))
                       (else "failed"))))
        ;; Before message-condition?, which a throw's exception (a
        ;; primitive's ferrix-error: "~A" and the message) satisfies too.
        ((and (exception-with-message? e) (exception-with-irritants? e))
         (apply format #f (exception-message e) (exception-irritants e)))
        ((message-condition? e) (condition-message e))
        (else (format #f "~s" e))))


;;;
;;; Programs.
;;;

(define-condition-type &invoke-error &error
  invoke-error?
  (program     invoke-error-program)
  (arguments   invoke-error-arguments)
  (exit-status invoke-error-exit-status)
  (term-signal invoke-error-term-signal)
  (stop-signal invoke-error-stop-signal))

(define %jobserver-auth
  ;; What CARGO_MAKEFLAGS holds when the scheduler gives the builder its
  ;; jobserver as descriptors 3 and 4 (lib/jobserver.cc).
  "--jobserver-auth=3,4")

(define (jobserver-descriptor)
  "Return the /proc file name of this process's descriptor 3 when it is the
build's jobserver, a fifo that CARGO_MAKEFLAGS announces; else #f."
  (let ((fifo (string-append "/proc/" (number->string (getpid)) "/fd/3")))
    (and (member %jobserver-auth
                 (string-tokenize (or (getenv "CARGO_MAKEFLAGS") "")))
         (eq? 'fifo (false-if-exception (stat:type (stat fifo))))
         fifo)))

(define (jobserver-command command)
  "Return COMMAND, a list of a program and its arguments, made to run with
this build's jobserver as its descriptors 3 and 4, as CARGO_MAKEFLAGS says:
'system*' closes every descriptor but 0, 1 and 2, so /bin/sh opens them again
from this process's /proc entry, then execs the program.  Return COMMAND
itself when the build has no jobserver."
  (match (jobserver-descriptor)
    (#f command)
    (fifo (append (list "/bin/sh" "-c" "exec 3<>\"$0\" 4>&3 && exec \"$@\"" fifo)
                  command))))

(define (check-status status program arguments)
  "Raise an &invoke-error for PROGRAM run with ARGUMENTS unless STATUS, what
'system*' returned, says it exited with status 0.  Return #t."
  (unless (and (status:exit-val status) (zero? (status:exit-val status)))
    (raise (condition (&invoke-error
                       (program program)
                       (arguments arguments)
                       (exit-status (status:exit-val status))
                       (term-signal (status:term-sig status))
                       (stop-signal (status:stop-sig status))))))
  #t)

(define (port-descriptor port default)
  "Return the descriptor of PORT when it is a file port, else DEFAULT."
  (if (file-port? port) (fileno port) default))

(define* (spawn/jobserver command #:key (output (current-output-port))
                          (error (current-error-port)))
  "Start COMMAND, a list of a program (searched on PATH) and its arguments,
with the build's jobserver as its descriptors 3 and 4 when there is one (see
'jobserver-command'), OUTPUT and ERROR, file ports, as its standard output and
error (else this process's), and no other descriptor; return its pid.  Unlike
'system*', this neither copies the process nor closes every possible
descriptor in the child one by one, which cost each child of a build side
about 20 ms, and needs no shell to pass the jobserver on."
  (force-output output)
  (force-output error)
  (%spawn-command command (port-descriptor output 1) (port-descriptor error 2)
                  (and (jobserver-descriptor) 3)))

(define (system*/jobserver . command)
  "Run COMMAND, a program and its arguments, as 'spawn/jobserver' starts it,
and return its status as 'system*' does: a program that cannot be started
exits with status 127 after a line on the error port saying why."
  (match (catch 'ferrix-error
           (lambda ()
             (waitpid (spawn/jobserver command)))
           (lambda (key subr message arguments . _)
             (format (current-error-port) "~a~%"
                     (apply simple-format #f message arguments))
             (cons #f (* 127 256))))
    ((_ . status) status)))

(define (invoke/jobserver program . arguments)
  "Like 'invoke', with PROGRAM given the build's jobserver (see
'jobserver-command')."
  (check-status (apply system* (jobserver-command (cons program arguments)))
                program arguments))

(define (invoke program . arguments)
  "Run PROGRAM with ARGUMENTS; raise an &invoke-error if it does not exit
with status 0.  Return #t."
  (check-status (apply system* program arguments) program arguments))

(define (executable-file? file)
  (let ((st (false-if-exception (stat file))))
    (and st (eq? 'regular (stat:type st))
         (not (zero? (logand (stat:mode st) #o111))))))

(define (which program)
  "Return the file name of PROGRAM on PATH, or #f."
  (let ((path (or (getenv "PATH") "")))
    (find executable-file?
          (map (lambda (dir) (string-append dir "/" program))
               (remove string-null? (string-split path #\:))))))

(define* (set-path-environment-variable variable sub-directories inputs
                                        #:key (separator ":"))
  "Set VARIABLE to the SUB-DIRECTORIES of INPUTS (directories) that exist,
joined with SEPARATOR, and report it."
  (let ((value (filter directory-exists?
                       (append-map (lambda (input)
                                     (map (lambda (sub)
                                            (string-append input "/" sub))
                                          sub-directories))
                                   inputs))))
    (if (null? value)
        (unsetenv variable)
        (setenv variable (string-join value separator)))
    (format #t "environment variable `~a' set to `~a'~%" variable
            (or (getenv variable) ""))))


;;;
;;; Files.
;;;

(define (directory-exists? dir)
  (let ((st (false-if-exception (stat dir))))
    (and st (eq? 'directory (stat:type st)))))

(define (call-with-directory-excursion directory thunk)
  (let ((previous (getcwd)))
    (dynamic-wind (lambda () (chdir directory))
                  thunk
                  (lambda () (chdir previous)))))

(define-syntax-rule (with-directory-excursion directory body ...)
  "Run BODY with DIRECTORY as the current directory, restoring the previous
one afterwards, even on a non-local exit."
  (call-with-directory-excursion directory (lambda () body ...)))

(define (mkdir-p dir)
  "Create DIR and its missing parents."
  (let loop ((components (remove string-null? (string-split dir #\/)))
             (prefix (if (string-prefix? "/" dir) "" ".")))
    (match components
      (() #t)
      ((head tail ...)
       (let ((path (string-append prefix "/" head)))
         (unless (directory-exists? path)
           (mkdir path))
         (loop tail path))))))

(define* (directory-entries dir #:optional (select? (const #t)))
  "Return the entries of DIR but . and .. that SELECT? accepts, sorted.  Raise
an error if DIR cannot be read; the directory stream is closed in any case.
(Not (ice-9 ftw)'s scandir: every unit's build side loads this module.)"
  (let ((stream (opendir dir)))
    (dynamic-wind
      (const #t)
      (lambda ()
        (let loop ((entries '()))
          (let ((entry (readdir stream)))
            (cond ((eof-object? entry) (sort entries string<?))
                  ((member entry '("." "..")) (loop entries))
                  ((select? entry) (loop (cons entry entries)))
                  (else (loop entries))))))
      (lambda ()
        (closedir stream)))))

(define* (copy-recursively source destination
                           #:key (follow-symlinks? #f) (select? (const #t)))
  "Copy SOURCE to DESTINATION, recursively, keeping permissions and
symlinks (followed when FOLLOW-SYMLINKS?); only files for which (SELECT?
FILE STAT) is true are copied."
  (let* ((st ((if follow-symlinks? stat lstat) source)))
    (case (stat:type st)
      ((directory)
       (mkdir-p destination)
       (for-each (lambda (entry)
                   (let ((file (string-append source "/" entry)))
                     (when (select? file (lstat file))
                       (copy-recursively file
                                         (string-append destination "/" entry)
                                         #:follow-symlinks? follow-symlinks?
                                         #:select? select?))))
                 (directory-entries source)))
      ((symlink)
       (symlink (readlink source) destination))
      (else
       (copy-file source destination)
       (chmod destination (stat:perms st))))))

(define (delete-file-recursively dir)
  "Delete DIR and everything under it, without following symlinks."
  (let ((st (false-if-exception (lstat dir))))
    (when st
      (if (eq? 'directory (stat:type st))
          (begin
            (false-if-exception (chmod dir #o755))
            (for-each (lambda (entry)
                        (delete-file-recursively (string-append dir "/" entry)))
                      (directory-entries dir))
            (rmdir dir))
          (delete-file dir)))))

(define* (find-files dir #:optional (pred (const #t)))
  "Return the regular files under DIR whose base name matches PRED, a
regexp string or a procedure of the file name and its stat, sorted."
  (let ((pred (if (string? pred)
                  (let ((rx (make-regexp pred)))
                    (lambda (file stat)
                      (regexp-exec rx (basename file))))
                  pred)))
    (let loop ((dir dir))
      (append-map (lambda (entry)
                    (let* ((file (string-append dir "/" entry))
                           (st (lstat file)))
                      (if (eq? 'directory (stat:type st))
                          (loop file)
                          (if (pred file st) (list file) '()))))
                  (if (directory-exists? dir) (directory-entries dir) '())))))

(define (substitute file pattern+procs)
  "Rewrite FILE line by line: for each (REGEXP . PROC) of PATTERN+PROCS,
replace every match of REGEXP on a line by (PROC MATCH)."
  (let* ((rxs (map (match-lambda
                     ((pattern . proc) (cons (make-regexp pattern) proc)))
                   pattern+procs))
         (lines (call-with-input-file file
                  (lambda (port)
                    (let loop ((lines '()))
                      (let ((line (read-line port 'concat)))
                        (if (eof-object? line)
                            (reverse lines)
                            (loop (cons line lines)))))))))
    (let ((mode (stat:perms (stat file))))
      (call-with-output-file file
        (lambda (port)
          (for-each (lambda (line)
                      (display (fold (lambda (rx+proc line)
                                       (match rx+proc
                                         ((rx . proc)
                                          (regexp-substitute/global
                                           #f rx line 'pre proc 'post))))
                                     line rxs)
                               port))
                    lines)))
      (chmod file mode))))

(define-syntax substitute*
  (syntax-rules ()
    "(substitute* FILE ((REGEXP MATCH-VAR ...) BODY ...) ...): replace, on
every line of FILE (or of each file of a list), each match of REGEXP by the
string BODY returns, with MATCH-VAR ... bound to the whole match and the
submatches (use _ to ignore one)."
    ((_ file ((regexp match-var ...) body ...) ...)
     (let ((files (let ((f file)) (if (list? f) f (list f)))))
       (for-each (lambda (f)
                   (substitute
                    f
                    (list (cons regexp
                                (lambda (m)
                                  (%bind-matches m 0 (match-var ...)
                                                 (begin body ...))))
                          ...)))
                 files)))))

(define-syntax %bind-matches
  (syntax-rules (_)
    ((_ m n () body) body)
    ((_ m n (_ rest ...) body)
     (%bind-matches m (+ n 1) (rest ...) body))
    ((_ m n (var rest ...) body)
     (let ((var (match:substring m n)))
       (%bind-matches m (+ n 1) (rest ...) body)))))


;;;
;;; Sources.
;;;

(define (archive? file)
  (any (lambda (ext) (string-suffix? ext file))
       '(".tar.gz" ".tgz" ".tar.xz" ".tar.bz2" ".tar.zst" ".tar" ".crate")))

(define (unpack-source source directory)
  "Make DIRECTORY hold the source tree of SOURCE, a directory (copied, made
writable) or an archive (extracted, its single top-level directory becoming
DIRECTORY), with the checks of every unpacking in ferrix: no entry written
through a link, no link leading out of the tree, write errors and the size,
entry and ratio limits reported by name (see doc/cargo.md).  Return
DIRECTORY."
  (%unpack-source source directory)
  directory)

(define* (patch-source #:key source (patches '()) snippet output)
  "Make OUTPUT the source tree of SOURCE with PATCHES applied (patch -p1)
and then SNIPPET, a thunk, called in the tree."
  (unpack-source source output)
  (with-directory-excursion output
    (for-each (lambda (patch)
                (format #t "applying '~a'...~%" patch)
                (invoke "patch" "--batch" "--force" "-p1" "-i" patch))
              patches)
    (when snippet
      (snippet)))
  #t)

;;; utils.scm ends here

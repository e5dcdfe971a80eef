;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix build git): checking out a commit of a git repository with the
;;; host's git, without its .git, as Guix's (guix build git).  Used by the
;;; builders of git-fetch origins and, on the host, by 'git-checkout-hash'.
;;; It depends on nothing but Guile and (ferrix build utils).

(define-module (ferrix build git)
  #:use-module (ferrix build utils)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-34)
  #:use-module (srfi srfi-35)
  #:use-module (ice-9 match)
  #:use-module (ice-9 rdelim)
  #:export (git-checkout
            git-checkout-error?
            git-fetch-build
            full-commit-id?))

;;; Commentary:
;;;
;;; 'git-checkout' makes DIRECTORY hold the tree of COMMIT (a full sha1, or
;;; a tag or branch name) of the repository at URL:
;;;
;;;   git init; git remote add origin URL
;;;   git fetch --depth 1 origin COMMIT      only what is needed, when the
;;;                                          server serves a commit by id
;;;   git fetch origin (heads and tags)      otherwise (e.g. the dumb HTTP
;;;                                          protocol, which has no shallow
;;;                                          fetches)
;;;   git checkout COMMIT; git submodule update --init --recursive
;;;   delete every .git (the repository and the submodules' links)
;;;
;;; so that the result, and its NAR hash, does not depend on git's pack
;;; layout.  git runs without the system and user configuration (so no
;;; autocrlf, filters or LFS hooks of the host change the files) and never
;;; prompts for credentials.  A failure raises a &message condition saying
;;; what could not be done, with git's last lines of output when they were
;;; captured.
;;;
;;; Code:

(define %git-environment
  ;; Set for every git process: the checkout must depend only on the
  ;; repository.
  '("GIT_CONFIG_NOSYSTEM=1"
    "GIT_CONFIG_GLOBAL=/dev/null"
    "GIT_TERMINAL_PROMPT=0"
    "GIT_ASKPASS=/bin/false"
    "LC_ALL=C"))

(define (full-commit-id? str)
  "Return true if STR is a full hexadecimal sha1 (or sha256) object id."
  (and (memv (string-length str) '(40 64))
       (string-every (char-set-union (char-set #\0 #\1 #\2 #\3 #\4 #\5 #\6
                                               #\7 #\8 #\9)
                                     (string->char-set "abcdef"))
                     str)))

(define-condition-type &git-checkout-error &message
  git-checkout-error?)

(define (checkout-error fmt . args)
  (raise (condition (&git-checkout-error
                     (message (apply format #f fmt args))))))

(define (tail-of-file file n)
  "Return the last N lines of FILE joined with newlines, or \"\"."
  (if (file-exists? file)
      (let ((lines (call-with-input-file file
                     (lambda (port)
                       (let loop ((lines '()))
                         (match (read-line port)
                           ((? eof-object?) (reverse lines))
                           (line (loop (cons line lines)))))))))
        (string-join (take-right lines (min n (length lines))) "\n"))
      ""))

(define (valid-argument? str)
  "Return true if STR can be given to git as a URL or revision: not empty,
not an option, without spaces or control characters."
  (and (not (string-null? str))
       (not (string-prefix? "-" str))
       (not (string-any (lambda (c)
                          (or (char-whitespace? c)
                              (< (char->integer c) 32)
                              (= (char->integer c) 127)))
                        str))))

(define (note fmt . args)
  ;; Flushed, so that it comes before git's output in the log.
  (apply format (current-error-port) (string-append "git-fetch: " fmt "~%")
         args)
  (force-output (current-error-port)))

(define* (git-checkout url commit directory
                       #:key recursive? log (git-program (which "git")))
  "Make DIRECTORY, which must not exist, hold the tree of COMMIT of the
repository at URL, with its submodules when RECURSIVE?, and no .git.  git's
output goes to LOG (a file name) when given, else to the current output.
Raise a &git-checkout-error (a &message) saying what failed."
  (define (git . args)
    ;; Return #t if git exits with status 0.
    (let ((status
           (apply system* "/bin/sh" "-c"
                  (string-append
                   (string-join (map (lambda (v) (string-append "export " v))
                                     %git-environment)
                                "; ")
                   "; log=$1; shift; "
                   "if [ -n \"$log\" ]; then exec \"$@\" >>\"$log\" 2>&1; "
                   "else exec \"$@\" 2>&1; fi")
                  "sh" (or log "") git-program args)))
      (and (status:exit-val status) (zero? (status:exit-val status)))))
  (define (output)
    (if log
        (let ((text (tail-of-file log 5)))
          (if (string-null? text) "" (string-append ":\n" text)))
        " (see the log above)"))

  (unless (and git-program (file-exists? git-program))
    (checkout-error "cannot fetch ~a: no 'git' program on the host (PATH ~a); \
install git" url (or (getenv "PATH") "")))
  ;; Both reach git's command line: an option there (a Cargo.lock saying
  ;; "--upload-pack=...") would run a program.
  (unless (valid-argument? url)
    (checkout-error "invalid git URL ~s" url))
  (unless (valid-argument? commit)
    (checkout-error "invalid commit ~s for ~a: expected a commit id or a tag"
                    commit url))
  (mkdir-p directory)
  (with-directory-excursion directory
    (unless (and (git "-c" "init.defaultBranch=main" "init" "--quiet")
                 (git "remote" "add" "origin" url))
      (checkout-error "cannot make a git repository in ~a to fetch ~a of ~a~a"
                      directory commit url (output)))
    (note "fetching ~a of ~a" commit url)
    (let ((revision
           (cond ((git "fetch" "--quiet" "--no-tags" "--depth" "1" "origin"
                       commit)
                  "FETCH_HEAD")
                 (else
                  (note "~a cannot be fetched by itself from ~a; fetching the \
whole repository" commit url)
                  (unless (git "fetch" "--quiet" "origin"
                               "+refs/heads/*:refs/remotes/origin/*"
                               "+refs/tags/*:refs/tags/*")
                    (checkout-error "cannot fetch ~a of ~a~a" commit url (output)))
                  ;; A commit id or tag, else a branch of the remote.
                  (let ((branch (string-append "refs/remotes/origin/" commit)))
                    (if (and (not (git "rev-parse" "--quiet" "--verify"
                                       (string-append commit "^{commit}")))
                             (git "rev-parse" "--quiet" "--verify"
                                  (string-append branch "^{commit}")))
                        branch
                        commit))))))
      (unless (git "rev-parse" "--quiet" "--verify"
                   (string-append revision "^{commit}"))
        (checkout-error "no commit, tag or branch '~a' in ~a" commit url))
      (unless (git "-c" "advice.detachedHead=false" "checkout" "--quiet"
                   revision)
        (checkout-error "cannot check out ~a of ~a~a" commit url (output)))
      (when (and (full-commit-id? commit) (not (string=? revision commit)))
        ;; FETCH_HEAD of a full id is that commit; make sure.
        (unless (git "rev-parse" "--quiet" "--verify"
                     (string-append commit "^{commit}"))
          (checkout-error "fetched ~a of ~a but got another commit" commit
                          url)))
      (when recursive?
        (unless (git "submodule" "update" "--init" "--recursive" "--quiet")
          (checkout-error "cannot check out the submodules of ~a at ~a~a"
                          url commit (output))))))
  ;; The repository and the submodules' .git files.
  (let loop ((dir directory))
    (for-each (lambda (entry)
                (let ((file (string-append dir "/" entry)))
                  (cond ((string=? entry ".git")
                         (delete-file-recursively file))
                        ((eq? 'directory (stat:type (lstat file)))
                         (loop file)))))
              (directory-entries dir)))
  directory)

(define* (git-fetch-build #:key url commit recursive? output)
  "The builder of a git-fetch origin: check out COMMIT of URL into OUTPUT.
On failure, say why and exit with status 1."
  (guard (c ((git-checkout-error? c)
             (note "error: ~a" (condition-message c))
             (exit 1)))
    (git-checkout url commit output #:recursive? recursive?)
    (note "checked out ~a of ~a" commit url)))

;;; git.scm ends here

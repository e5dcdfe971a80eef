;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix scripts store): 'ferrix store', manipulate the store: add,
;;; add-text, dump, restore, path-info, references, verify, gc, roots.

(define-module (ferrix scripts store)
  #:use-module (ferrix ui)
  #:use-module (ferrix scripts)
  #:use-module (ferrix store)
  #:use-module (ferrix hash)
  #:use-module ((ferrix scripts hash) #:select (hash-algorithm-option
                                                hash-format-option))
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-11)
  #:use-module (srfi srfi-37)
  #:use-module (ice-9 binary-ports)
  #:use-module (ice-9 match)
  #:export (ferrix-store))

(eval-when (expand load eval)
  (load-extension "libguile-ferrix" "init_ferrix"))

;;; Commentary:
;;;
;;; Each subcommand is a procedure of its arguments, listed in
;;; %subcommands.  Those that use the store accept --store and --store-dir,
;;; which may also come before the subcommand.
;;;
;;; Code:

(define %store-options-help
  "      --store=DIR       use the store rooted at DIR (default $FERRIX_STORE or
                        ${XDG_DATA_HOME:-~/.local/share}/ferrix)
      --store-dir=PATH  logical store directory, e.g. /nix/store
                        (default $FERRIX_STORE_DIR or <root>/store)
")

(define (help-printer subcommand usage text store-options?)
  "Return a thunk printing the help of 'ferrix store SUBCOMMAND': its USAGE
line, TEXT, then the store options if STORE-OPTIONS?, then --help."
  (lambda ()
    (format #t "Usage: ferrix store ~a ~a~%~a~a  -h, --help             \
show this help~%"
            subcommand usage text
            (if store-options? %store-options-help ""))))

(define* (parse subcommand args options show-help #:key (store? #t))
  "Parse ARGS, the arguments of 'ferrix store SUBCOMMAND', with OPTIONS (and
the store options if STORE?); print the help with SHOW-HELP and exit if it
was asked for.  Return the options alist."
  (let ((opts (parse-command-line (string-append "store " subcommand) args
                                  (append options
                                          (if store? %store-options '())
                                          (list %help-option)))))
    (when (assq-ref opts 'help?)
      (show-help)
      (exit 0))
    opts))

(define (fail subcommand fmt . args)
  (apply usage-error (string-append "store " subcommand) fmt args))

(define (call-with-store* opts proc)
  "Call PROC with the store that the store options of OPTS (else the
defaults) designate."
  (call-with-store-options opts (lambda () (call-with-store proc))))

(define (absolute-file-name file)
  "Return FILE relative to the current directory, not normalised."
  (cond ((string-prefix? "/" file) file)
        ((member file '("" ".")) (getcwd))
        (else (string-append (if (string=? (getcwd) "/") "" (getcwd))
                             "/" file))))

(define (resolve-store-path store arg)
  "Return the store item that ARG, a command-line argument, designates: a
store path, a file inside an item, or a symlink to either (a GC root,
./result), followed up to 40 times."
  (define prefix (string-append (store-directory store) "/"))
  (let loop ((file arg) (count 0))
    (let ((file (absolute-file-name file)))
      (cond ((string-prefix? prefix file)
             (let ((slash (string-index file #\/ (string-length prefix))))
               (if slash (substring file 0 slash) file)))
            ((and (< count 39)
                  (let ((st (false-if-exception (lstat file))))
                    (and st (eq? 'symlink (stat:type st)))))
             (let ((target (readlink file)))
               (loop (if (string-prefix? "/" target)
                         target
                         (string-append (dirname file) "/" target))
                     (+ count 1))))
            (else
             (leave 1 "error: '~a' is not a path in the store ~a"
                    arg (store-directory store)))))))

(define (sorted-paths paths)
  "Return PATHS sorted and without duplicates, as the store lists them."
  (delete-duplicates (sort paths string<?)))

(define (read-file-bytes file)
  (catch 'system-error
    (lambda ()
      (call-with-input-file file get-bytevector-all #:binary #t))
    (lambda args
      (leave 1 "error: opening '~a': ~a" file
             (strerror (system-error-errno args))))))


;;;
;;; add, add-text.
;;;

(define (store-add . args)
  (define show-help
    (help-printer "add" "[OPTION]... PATH..." "\
Copy each PATH into the store and print its store path, like `nix-store --add` and
`nix-store --add-fixed`.

  -n, --name=NAME        store path name (default: PATH's base name)
  -S, --serializer=TYPE  'nar' (default: the whole tree) or 'none' (one regular file)
  -H, --hash=ALGO        sha256 (default: a source path) or md5/sha1/sha512
                         (a fixed-output path)
  -R, --references-from=PATH  scan the new item for references to PATH's closure
      --root=NAME        also register a GC root named NAME
" #t))
  (define options
    (list (value-option '(#\n "name") 'name)
          (option '(#\S "serializer") #t #f
                  (lambda (opt name arg result)
                    (alist-cons 'recursive?
                                (cond ((string=? arg "nar") #t)
                                      ((member arg '("none" "flat")) #f)
                                      (else
                                       (fail "add" "unknown serializer '~a'"
                                             arg)))
                                result)))
          (flag-option '(#\r "recursive") 'recursive? #t)
          (hash-algorithm-option "store add")
          (value-option '(#\R "references-from") 'references-from)
          (value-option '("root") 'root)))
  (let* ((opts (parse "add" args options show-help))
         (paths (option-values opts 'argument))
         (name (assq-ref opts 'name))
         (root (assq-ref opts 'root))
         (recursive? (let ((r (assq 'recursive? opts))) (if r (cdr r) #t)))
         (algo (or (assq-ref opts 'hash-algorithm) 'sha256)))
    (when (null? paths) (fail "add" "no path given"))
    (when (and name (> (length paths) 1))
      (fail "add" "--name needs exactly one PATH"))
    (when (and root (> (length paths) 1))
      (fail "add" "--root needs exactly one PATH"))
    (call-with-store* opts
      (lambda (store)
        (let ((candidates
               (match (option-values opts 'references-from)
                 (() '())
                 (refs (requisites store
                                   (map (lambda (ref)
                                          (resolve-store-path store ref))
                                        refs))))))
          (for-each (lambda (path)
                      (let* ((source (absolute-file-name path))
                             (item (add-to-store store
                                                 (or name (basename source))
                                                 recursive? algo source
                                                 #:references candidates)))
                        (when root (add-root store item root))
                        (display item)
                        (newline)))
                    paths))))))

(define (store-add-text . args)
  (define show-help
    (help-printer "add-text" "[OPTION]... NAME [FILE]" "\
Add the contents of FILE (default: standard input) to the store as a text item
named NAME, like `builtins.toFile`, and print its store path.

      --reference=PATH   the text refers to store item PATH (repeatable)
" #t))
  (let* ((opts (parse "add-text" args (list (value-option '("reference")
                                                          'reference))
                      show-help))
         (operands (option-values opts 'argument)))
    (unless (<= 1 (length operands) 2)
      (fail "add-text" "expected NAME and at most one FILE"))
    (let ((contents (match operands
                      ((_ (and file (not "-"))) (read-file-bytes file))
                      (_ (let ((data (get-bytevector-all
                                      (current-input-port))))
                           (if (eof-object? data) #vu8() data))))))
      (call-with-store* opts
        (lambda (store)
          (display (add-text-to-store
                    store (first operands) contents
                    (map (lambda (ref) (resolve-store-path store ref))
                         (option-values opts 'reference))))
          (newline))))))


;;;
;;; dump, restore.
;;;

(define (store-dump . args)
  (define show-help
    (help-printer "dump" "PATH" "\
Write the NAR serialisation of PATH to standard output, like `nix-store --dump`.
PATH may be a store item or any file, directory or symlink.

" #t))
  (let* ((opts (parse "dump" args '() show-help))
         (operands (option-values opts 'argument)))
    (unless (= 1 (length operands))
      (fail "dump" "expected exactly one PATH"))
    (when (isatty? (current-output-port))
      (leave 1 "error: refusing to write a NAR to a terminal; redirect \
standard output"))
    (force-output)
    (let ((file (absolute-file-name (first operands))))
      ;; Store items are dumped through the store, which notices a
      ;; registered but missing item; an ordinary file does not create a
      ;; store.
      (call-with-store-options opts
        (lambda ()
          (if (%store-exists? (%default-store-root)
                              (%default-store-directory))
              (call-with-store
               (lambda (store)
                 (if (direct-store-path? file (store-directory store))
                     (%dump-store-item store file 1)
                     (%dump-path file 1))))
              (%dump-path file 1)))))))

(define (store-restore . args)
  (define show-help
    (help-printer "restore" "PATH" "\
Read a NAR from standard input and recreate it at PATH, which must not exist,
like `nix-store --restore`. A bad NAR leaves nothing behind.

" #f))
  (let* ((opts (parse "restore" args '() show-help #:store? #f))
         (operands (option-values opts 'argument)))
    (unless (= 1 (length operands))
      (fail "restore" "expected exactly one PATH"))
    (let ((file (absolute-file-name (first operands))))
      (when (false-if-exception (lstat file))
        (leave 1 "error: '~a' already exists" file))
      (%restore-path file 0))))


;;;
;;; path-info, references.
;;;

(define (json-string str)
  "Return STR as a JSON string literal."
  (call-with-output-string
    (lambda (port)
      (write-char #\" port)
      (string-for-each
       (lambda (c)
         (case c
           ((#\") (display "\\\"" port))
           ((#\\) (display "\\\\" port))
           ((#\newline) (display "\\n" port))
           ((#\tab) (display "\\t" port))
           ((#\return) (display "\\r" port))
           ((#\backspace) (display "\\b" port))
           ((#\page) (display "\\f" port))
           (else
            (if (< (char->integer c) #x20)
                (let ((hex (number->string (char->integer c) 16)))
                  (display "\\u00" port)
                  (when (< (char->integer c) 16) (display "0" port))
                  (display hex port))
                (write-char c port)))))
       str)
      (write-char #\" port))))

(define (write-path-info-json fields port)
  "Write FIELDS, a list of (KEY . VALUE) for one item, as a JSON object
indented as the members of a top-level array are.  VALUE is a string, a
number, #t, or a list of strings."
  (define (value->json value indent)
    (cond ((string? value) (json-string value))
          ((eq? value #t) "true")
          ((number? value) (number->string value))
          ((null? value) "[]")
          (else
           (string-append "[\n"
                          (string-join
                           (map (lambda (v)
                                  (string-append indent "  " (json-string v)))
                                value)
                           ",\n")
                          "\n" indent "]"))))
  (display "  {\n" port)
  (display (string-join
            (map (match-lambda
                   ((key . value)
                    (string-append "    " (json-string key) ": "
                                   (value->json value "    "))))
                 fields)
            ",\n")
           port)
  (display "\n  }" port))

(define (format-time seconds)
  (strftime "%Y-%m-%dT%H:%M:%SZ" (gmtime seconds)))

(define (store-path-info . args)
  (define show-help
    (help-printer "path-info" "[OPTION]... PATH..." "\
Print what the store knows about each PATH: NAR hash and size, references,
deriver and registration time.

  -r, --recursive        also every path in the closures
      --json             print JSON
      --hash             print only \"PATH<TAB>NAR hash\" lines
  -s, --size             print only \"PATH<TAB>NAR size\" lines
  -f, --format=FMT       hash format: nix32 (default), base16, base64, sri
" #t))
  (define options
    (list (flag-option '(#\r "recursive") 'recursive?)
          (flag-option '("json") 'json?)
          (flag-option '("hash") 'hash?)
          (flag-option '(#\s "size") 'size?)
          (hash-format-option "store path-info")))
  (let* ((opts (parse "path-info" args options show-help))
         (format* (or (assq-ref opts 'hash-format) 'nix32))
         (json? (assq-ref opts 'json?))
         (hash? (assq-ref opts 'hash?))
         (size? (assq-ref opts 'size?)))
    (when (null? (option-values opts 'argument))
      (fail "path-info" "no path given"))
    (call-with-store* opts
      (lambda (store)
        (let* ((paths (sorted-paths
                       (map (lambda (arg) (resolve-store-path store arg))
                            (option-values opts 'argument))))
               (paths (if (assq-ref opts 'recursive?)
                          (requisites store paths)
                          paths)))
          (when json? (display "["))
          (let loop ((paths paths) (first? #t))
            (match paths
              (() #t)
              ((path . rest)
               (let* ((info (query-path-info store path))
                      (hash (hash->string 'sha256 (path-info-hash info) format*
                                          #:with-algorithm?
                                          (not (eq? format* 'sri))))
                      (deriver (path-info-deriver info))
                      (ca (path-info-content-address info)))
                 (cond
                  (json?
                   (display (if first? "\n" ",\n"))
                   (write-path-info-json
                    `(("path" . ,path)
                      ("narHash" . ,hash)
                      ("narSize" . ,(path-info-nar-size info))
                      ("references" . ,(path-info-references info))
                      ,@(if deriver `(("deriver" . ,deriver)) '())
                      ("registrationTime"
                       . ,(path-info-registration-time info))
                      ,@(if ca `(("ca" . ,ca)) '())
                      ("valid" . #t))
                    (current-output-port)))
                  ((or hash? size?)
                   (display path)
                   (when hash? (format #t "\t~a" hash))
                   (when size? (format #t "\t~a" (path-info-nar-size info)))
                   (newline))
                  (else
                   (format #t "~a~%  NAR hash:     ~a~%  NAR size:     ~a~%  \
registered:   ~a~%"
                           path hash (path-info-nar-size info)
                           (format-time (path-info-registration-time info)))
                   (when deriver (format #t "  deriver:      ~a~%" deriver))
                   (when ca (format #t "  content addr: ~a~%" ca))
                   (display "  references:  ")
                   (when (null? (path-info-references info))
                     (display " (none)"))
                   (newline)
                   (for-each (lambda (ref) (format #t "    ~a~%" ref))
                             (path-info-references info))))
                 (loop rest #f)))))
          (when json?
            (display (if (null? paths) "]\n" "\n]\n"))))))))

(define (store-references . args)
  (define show-help
    (help-printer "references" "[OPTION]... PATH..." "\
Print the store paths that each PATH refers to, one per line, sorted.

  -r, --recursive        the whole closure (including PATH itself)
      --referrers        the paths that refer to PATH instead
" #t))
  (let* ((opts (parse "references" args
                      (list (flag-option '(#\r "recursive") 'recursive?)
                            (flag-option '("referrers") 'referrers?))
                      show-help))
         (closure? (assq-ref opts 'recursive?))
         (referrers? (assq-ref opts 'referrers?)))
    (when (null? (option-values opts 'argument))
      (fail "references" "no path given"))
    (when (and closure? referrers?)
      (fail "references" "--recursive and --referrers cannot be combined"))
    (call-with-store* opts
      (lambda (store)
        (let ((paths (sorted-paths
                      (map (lambda (arg) (resolve-store-path store arg))
                           (option-values opts 'argument)))))
          (for-each (lambda (path) (display path) (newline))
                    (if closure?
                        (requisites store paths)
                        (sorted-paths
                         (append-map (lambda (path)
                                       (if referrers?
                                           (referrers store path)
                                           (path-info-references
                                            (query-path-info store path))))
                                     paths)))))))))


;;;
;;; verify, gc, roots.
;;;

(define (store-verify . args)
  (define show-help
    (help-printer "verify" "[OPTION]..." "\
Re-hash every item in the store and compare with the database; check that every
reference is valid. Exits 1 if anything is wrong.

      --repair           invalidate and delete bad items and everything referring
                         to them
" #t))
  (let* ((opts (parse "verify" args (list (flag-option '("repair") 'repair?))
                      show-help))
         (repair? (assq-ref opts 'repair?)))
    (match (option-values opts 'argument)
      (() #t)
      ((arg . _) (fail "verify" "unexpected argument '~a'" arg)))
    (call-with-store* opts
      (lambda (store)
        (match (%verify-store store repair?)
          ((checked missing corrupt bad-references invalidated)
           (let ((port (current-error-port))
                 (ok? (and (null? missing) (null? corrupt)
                           (null? bad-references))))
             (for-each (lambda (path)
                         (format port "missing: ~a is registered but not on \
disk~%" path))
                       missing)
             (for-each (match-lambda
                         (#(path error expected actual expected-size
                                 actual-size)
                          (if error
                              (format port "corrupt: ~a: ~a~%" path error)
                              (format port "corrupt: ~a: NAR hash ~a size ~a, \
expected ~a size ~a~%"
                                      path
                                      (hash->string 'sha256 actual 'nix32
                                                    #:with-algorithm? #t)
                                      actual-size
                                      (hash->string 'sha256 expected 'nix32
                                                    #:with-algorithm? #t)
                                      expected-size))))
                       corrupt)
             (for-each (match-lambda
                         ((referrer . reference)
                          (format port "bad reference: ~a -> ~a (not a valid \
path)~%" referrer reference)))
                       bad-references)
             (for-each (lambda (path) (format port "removed: ~a~%" path))
                       invalidated)
             (format port "checked ~a items: ~a~%" checked
                     (cond (ok? "all good")
                           (repair? "problems found and repaired")
                           (else "problems found")))
             (unless ok?
               (force-output)
               (exit 1)))))))))

(define (store-gc . args)
  (define show-help
    (help-printer "gc" "[OPTION]... [--delete PATH...]" "\
Delete store items that no GC root keeps alive, and leftovers of interrupted adds.

      --print-dead, --dry-run  list what would be deleted; delete nothing
      --print-live       list what the roots keep alive
      --delete           delete just the given PATHs (refused if any is alive)
      --max-freed=BYTES  stop after freeing this many bytes
" #t))
  (define options
    (list (flag-option '("print-dead") 'action 'print-dead)
          (flag-option '("dry-run") 'action 'print-dead)
          (flag-option '("print-live") 'action 'print-live)
          (flag-option '("delete") 'delete? #t)
          (option '("max-freed") #t #f
                  (lambda (opt name arg result)
                    (let ((bytes (string->number arg)))
                      (unless (and (string-every char-set:digit arg)
                                   (not (string-null? arg))
                                   bytes)
                        (fail "gc" "--max-freed needs a number of bytes, not \
'~a'" arg))
                      (alist-cons 'max-freed bytes result))))))
  (let* ((opts (parse "gc" args options show-help))
         (operands (option-values opts 'argument)))
    (call-with-store* opts
      (lambda (store)
        (define delete? (assq-ref opts 'delete?))
        (when (and delete? (null? operands))
          (fail "gc" "--delete needs at least one PATH"))
        (when (and (not delete?) (pair? operands))
          (fail "gc" "unexpected argument '~a' (did you mean --delete?)"
                (first operands)))
        (let ((action (if delete?
                          'delete-specific
                          (or (assq-ref opts 'action) 'delete-dead))))
          (match (%collect-garbage store action
                                   (if delete?
                                       (map (lambda (arg)
                                              (resolve-store-path store arg))
                                            operands)
                                       '())
                                   (assq-ref opts 'max-freed))
            ((paths bytes-freed leftovers warnings)
             (for-each (lambda (path) (display path) (newline)) paths)
             (force-output)
             (for-each (lambda (warning)
                         (format (current-error-port) "ferrix: warning: ~a~%"
                                 warning))
                       warnings)
             (when (memq action '(delete-dead delete-specific))
               (force-output)
               (format (current-error-port)
                       "deleted ~a items, ~a leftovers; ~a bytes freed~%"
                       (length paths) (length leftovers) bytes-freed)))))))))

(define (store-roots . args)
  (define show-help
    (help-printer "roots" "[--add=NAME PATH | --remove=NAME]" "\
List GC roots (\"ROOT -> PATH\"), or add or remove one. NAME without '/' makes a
root in the store's gcroots directory; otherwise it is a symlink to create (an
indirect root, like `nix-store --add-root --indirect`).

      --add=NAME         make NAME a root for PATH
      --remove=NAME      remove root NAME
" #t))
  (let* ((opts (parse "roots" args (list (value-option '("add") 'add)
                                         (value-option '("remove") 'remove))
                      show-help))
         (operands (option-values opts 'argument))
         (add (assq-ref opts 'add))
         (remove (assq-ref opts 'remove)))
    (call-with-store* opts
      (lambda (store)
        (cond (add
               (unless (= 1 (length operands))
                 (fail "roots" "--add needs exactly one PATH"))
               (display (add-root store
                                  (resolve-store-path store (first operands))
                                  add))
               (newline))
              (remove
               (unless (null? operands)
                 (fail "roots" "--remove takes no PATH"))
               (remove-root store remove))
              (else
               (unless (null? operands)
                 (fail "roots" "unexpected argument '~a'" (first operands)))
               (for-each (match-lambda
                           ((link . path)
                            (format #t "~a -> ~a~%" link path)))
                         (%find-roots store))))))))


;;;
;;; The command.
;;;

(define %subcommands
  ;; (NAME PROCEDURE SYNOPSIS), in the order of 'ferrix store --help'.
  `(("add" ,store-add "copy files or directories into the store")
    ("add-text" ,store-add-text "add a text item")
    ("dump" ,store-dump "write the NAR of a path to standard output")
    ("gc" ,store-gc "collect garbage")
    ("path-info" ,store-path-info
     "show NAR hash, size, references of store items")
    ("references" ,store-references "list references, closures or referrers")
    ("restore" ,store-restore "recreate a path from a NAR on standard input")
    ("roots" ,store-roots "list, add or remove GC roots")
    ("verify" ,store-verify "re-hash every item against the database")))

(define (show-store-usage port)
  (display "Usage: ferrix store COMMAND [OPTION]...\n\nCommands:\n" port)
  (for-each (match-lambda
              ((name _ synopsis)
               (format port "  ~a~a~a~%" name
                       (make-string (max 1 (- 12 (string-length name)))
                                    #\space)
                       synopsis)))
            %subcommands))

(define (ferrix-store . args)
  "Run 'ferrix store' with the list of strings ARGS."
  ;; The store options may come before the subcommand.
  (let-values (((root store-dir args)
                (leading-store-options args (%default-store-root)
                                       (%default-store-directory))))
    (cond ((null? args)
           (show-store-usage (current-error-port))
           (leave 2 "store: no command given"))
          ((member (car args) '("--help" "-h"))
           (show-store-usage (current-output-port))
           (exit 0))
          ((assoc (car args) %subcommands)
           => (match-lambda
                ((_ proc _)
                 (parameterize ((%default-store-root root)
                                (%default-store-directory store-dir))
                   (apply proc (cdr args))))))
          (else
           (leave 2 "store: unknown command '~a'~%~aTry 'ferrix store --help'."
                  (car args)
                  (did-you-mean (car args) (map first %subcommands)))))))

;;; store.scm ends here

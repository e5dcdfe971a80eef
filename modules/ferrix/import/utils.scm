;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix import utils): what importers share: a pretty printer for package
;;; definitions in Guix's layout (with comments), synopsis and description
;;; clean-up, and inserting definitions into an existing file.

(define-module (ferrix import utils)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-9)
  #:use-module (srfi srfi-11)
  #:use-module (srfi srfi-26)
  #:use-module (srfi srfi-34)
  #:use-module (srfi srfi-35)
  #:use-module (ice-9 match)
  #:use-module (ice-9 rdelim)
  #:use-module (ice-9 control)
  #:use-module (ice-9 regex)
  #:use-module (rnrs bytevectors)
  #:use-module ((ice-9 binary-ports) #:select (open-bytevector-input-port))
  #:export (comment
            comment?
            comment-text

            pretty-print-sexp
            sexp->string
            %line-width

            beautify-synopsis
            beautify-description

            definition-name
            &insert-error
            insert-error?
            read-top-level-definitions
            insert-definitions
            update-input-list))

;;; Commentary:
;;;
;;; 'pretty-print-sexp' writes code the way Guix's code is laid out: a form
;;; that fits in the remaining width goes on one line; otherwise 'define',
;;; 'package', 'origin' and friends indent their body by two columns, a
;;; keyword list puts each keyword and its value on a line, a call keeps its
;;; first argument on the head's line when it fits and aligns the others
;;; under it (else every argument goes on its own line, one column in), and
;;; a long string with spaces is filled.  (comment TEXT) objects inside a
;;; form are written as ";; TEXT" lines where they stand.
;;;
;;; Code:

(define %line-width
  ;; The width definitions are filled to, as Guix's.
  (make-parameter 78))

(define-record-type <comment>
  (comment text)
  comment?
  (text comment-text))                    ;string, may hold newlines


;;;
;;; Flat rendering.
;;;

(define (string->code str)
  "Return STR written as a Scheme string literal (newlines kept as is)."
  (call-with-output-string
    (lambda (port)
      (write-char #\" port)
      (string-for-each (lambda (c)
                         (case c
                           ((#\") (display "\\\"" port))
                           ((#\\) (display "\\\\" port))
                           ((#\tab) (display "\\t" port))
                           (else (write-char c port))))
                       str)
      (write-char #\" port))))

(define %abbreviations
  '((quote . "'") (quasiquote . "`") (unquote . ",")
    (unquote-splicing . ",@")))

(define (flat obj)
  "Return OBJ written on one line, or #f if it cannot be (it holds a
comment or a string with a newline)."
  (let/ec return
    (let loop ((obj obj))
      (match obj
        ((? comment?) (return #f))
        ((? string?)
         (if (string-index obj #\newline) (return #f) (string->code obj)))
        (((and head (? symbol?)) x)
         (=> fail)
         (match (assq-ref %abbreviations head)
           (#f (fail))
           (prefix (string-append prefix (loop x)))))
        (((? keyword?) _ (? keyword?) _ ...)
         ;; Several keyword arguments: a pair per line, as Guix writes them.
         (return #f))
        ((? list?)
         (string-append "(" (string-join (map loop obj) " ") ")"))
        ((a . b)
         (string-append "(" (loop a) " . " (loop b) ")"))
        (_ (call-with-output-string (cut write obj <>)))))))

(define (sexp->string obj)
  "Return OBJ pretty-printed, as a string."
  (call-with-output-string (cut pretty-print-sexp obj <>)))


;;;
;;; Pretty printing.
;;;

(define %body-forms
  ;; Forms whose body is indented by two columns, with the number of their
  ;; arguments kept on the head's line.
  '((define . 1) (define-public . 1) (define* . 1) (lambda . 1) (let . 1)
    (let* . 1) (package . 0) (origin . 0) (modify-phases . 1)
    (add-after . 2) (add-before . 2) (replace . 1) (git-reference . 0)))

(define (fill-string str column width)
  "Return STR, words separated by spaces or newlines, so that it fits in
WIDTH when its opening quote is at COLUMN and its other lines start at
column 0.  Two spaces after a sentence stay two spaces."
  ;; WORDS: (WORD . SPACES) pairs, SPACES the spaces that followed WORD.
  (define words
    (let loop ((tokens (string-split (string-map (lambda (c)
                                                   (if (char=? c #\newline)
                                                       #\space
                                                       c))
                                                 str)
                                     #\space))
               (result '()))
      (match tokens
        (() (reverse result))
        (("" . rest)
         (match result
           (((word . spaces) . older)
            (loop rest (cons (cons word (+ spaces 1)) older)))
           (() (loop rest result))))
        ((word . rest) (loop rest (cons (cons word 1) result))))))
  (let loop ((words words) (col (+ column 1)) (gap #f) (result '()))
    (match words
      (() (string-concatenate-reverse result))
      (((word . spaces) . rest)
       (let ((separator (and gap (make-string (min gap 2) #\space))))
         (cond ((not separator)
                (loop rest (+ col (string-length word)) spaces
                      (cons word result)))
               ((> (+ col (string-length separator) (string-length word))
                   (- width 2))
                (loop rest (string-length word) spaces
                      (cons* word "\n" result)))
               (else
                (loop rest (+ col (string-length separator)
                              (string-length word))
                      spaces
                      (cons* word separator result)))))))))

(define* (pretty-print-sexp obj #:optional (port (current-output-port))
                            #:key (indent 0))
  "Write OBJ, a Scheme form, to PORT laid out as Guix lays out code (see the
commentary), the first line starting at column INDENT."
  (define width (%line-width))

  (define (newline-to col)
    (newline port)
    (display (make-string col #\space) port)
    col)

  (define (put str col)
    (display str port)
    (let ((nl (string-rindex str #\newline)))
      (if nl
          (- (string-length str) nl 1)
          (+ col (string-length str)))))

  (define* (fits? str col #:optional (trail 0))
    (and str (<= (+ col (string-length str) trail) width)))

  ;; Each procedure writes OBJ at column COL (the cursor is there) and
  ;; returns the column after it; TRAIL characters (closing parentheses)
  ;; will follow it on its last line.
  (define* (pp obj col #:optional (trail 0))
    (let ((str (flat obj)))
      (if (fits? str col trail)
          (put str col)
          (match obj
            ((? comment?) (write-comment obj col))
            ((? string?)
             (put (string->code
                   (if (string-index obj #\space)
                       (fill-string obj col width)
                       obj))
                  col))
            (((and head (? symbol?)) x)
             (=> fail)
             (match (assq-ref %abbreviations head)
               (#f (fail))
               (prefix (pp x (put prefix col) trail))))
            (((? symbol? head) args ...)
             (match (assq-ref %body-forms head)
               (#f (pp-call head args col trail))
               (n (pp-body head n args col trail))))
            (((? keyword?) _ ...) (pp-keywords obj col trail))
            ((? list?) (pp-items obj (put "(" col) ")" trail))
            (_ (put (call-with-output-string (cut write obj <>)) col))))))

  (define (write-comment c col)
    ;; Comment lines at COL; the caller goes to the next line.
    (let loop ((lines (string-split (comment-text c) #\newline)) (first? #t)
               (col* col))
      (match lines
        (() col*)
        ((line . rest)
         (unless first? (newline-to col))
         (loop rest #f
               (put (if (string-null? line) ";;" (string-append ";; " line))
                    col))))))

  (define (pp-items items col close trail)
    ;; ITEMS one per line at COL, the first one at the cursor, then CLOSE.
    (let loop ((items items) (first? #t) (end col))
      (match items
        (() (put close end))
        ((item . rest)
         (let ((end (pp item (if first? col (newline-to col))
                        (if (null? rest) (+ trail (string-length close)) 0))))
           (if (and (comment? item) (null? rest))
               (put close (newline-to col))
               (loop rest #f end)))))))

  (define (pp-body head n args col trail)
    (let* ((n (min n (length args)))
           (end (put (string-append "(" (symbol->string head)) col))
           (end (let loop ((args (take args n)) (end end))
                  (match args
                    (() end)
                    ((arg . rest) (loop rest (pp arg (put " " end)))))))
           (body (drop args n)))
      (if (null? body)
          (put ")" end)
          (begin
            (newline-to (+ col 2))
            (pp-items body (+ col 2) ")" trail)))))

  (define (pp-call head args col trail)
    (let* ((head-str (string-append "(" (symbol->string head)))
           (end (put head-str col)))
      (match args
        (() (put ")" end))
        ((first . rest)
         (cond
          ((and (not (eq? head 'list))     ;input lists: one per line
                (every atom? args)
                (fits? (flat first) (+ end 1)))
           ;; Atoms: as many on a line as fit, aligned under the first.
           (pp-atoms args (put " " end) ")" trail))
          ((and (not (comment? first))
                (fits? (flat first) (+ end 1)
                       (if (null? rest) (+ trail 1) 0)))
           (pp-items args (put " " end) ")" trail))
          (else
           (newline-to (+ col 1))
           (pp-items args (+ col 1) ")" trail)))))))

  (define (atom? obj)
    (or (string? obj) (symbol? obj) (number? obj) (boolean? obj)
        (keyword? obj)))

  (define (pp-atoms atoms col close trail)
    (let loop ((atoms atoms) (end col) (first? #t))
      (match atoms
        (() (put close end))
        ((atom . rest)
         (let ((str (flat atom))
               (trail* (if (null? rest) (+ trail (string-length close)) 0)))
           (cond (first? (loop rest (put str end) #f))
                 ((fits? str (+ end 1) trail*)
                  (loop rest (put str (put " " end)) #f))
                 (else
                  (loop rest (put str (newline-to col)) #f))))))))

  (define (pp-keywords lst col trail)
    ;; (#:key value #:key value ...): a pair per line.
    (let ((inner (+ col 1)))
      (put "(" col)
      (let loop ((lst lst) (first? #t) (end inner))
        (match lst
          (() (put ")" end))
          (((? keyword? key) value . rest)
           (let* ((start (if first? inner (newline-to inner)))
                  (key-end (pp key start))
                  (trail* (if (null? rest) (+ trail 1) 0))
                  (str (flat value))
                  (end (cond ((fits? str (+ key-end 1) trail*)
                              (put str (put " " key-end)))
                             ((and (pair? value)
                                   (not (comment? (car value)))
                                   (not (memq (car value)
                                              (map car %abbreviations)))
                                   (fits? (flat (car value)) (+ key-end 2)))
                              (pp value (put " " key-end) trail*))
                             (else
                              (pp value (newline-to inner) trail*)))))
             (loop rest #f end)))
          ((item . rest)
           (loop rest #f (pp item (if first? inner (newline-to inner))
                             (if (null? rest) (+ trail 1) 0))))))))

  (pp obj indent)
  *unspecified*)


;;;
;;; Synopses and descriptions.
;;;

(define (collapse-spaces str)
  (string-join (string-tokenize str (char-set-complement char-set:whitespace))
               " "))

(define (sentence-spacing str)
  "Return STR with two spaces after each sentence, as Guix's descriptions
have them: after a period, exclamation or question mark followed by an
upper-case letter (not after \"e.g.\" and the like)."
  (regexp-substitute/global
   #f "([a-z0-9)][.!?]) ([A-Z])" str
   'pre
   (lambda (m)
     (if (any (lambda (abbrev)
                (string-suffix? abbrev (substring str 0 (match:end m 1))))
              '("e.g." "i.e." "etc." "vs."))
         (string-append (match:substring m 1) " " (match:substring m 2))
         (string-append (match:substring m 1) "  " (match:substring m 2))))
   'post))

(define (first-sentence str)
  "Return the first sentence of STR: up to the first \". \" (or the end)."
  (let loop ((start 0))
    (match (string-contains str ". " start)
      (#f str)
      (i
       ;; "e.g. ", "i.e. ", "etc. " do not end a sentence.
       (if (any (lambda (abbrev) (string-suffix? abbrev (substring str 0 i)))
                '(" e.g" " i.e" " etc" " vs" "(e.g" "(i.e"))
           (loop (+ i 2))
           (substring str 0 (+ i 1)))))))

(define (beautify-synopsis text)
  "Return a synopsis made of TEXT, a crate's description: its first
sentence, spaces collapsed, without leading article nor final period,
capitalised, as Guix's synopses are."
  (let* ((text (collapse-spaces (or text "")))
         (text (first-sentence text))
         (text (if (string-suffix? "." text) (string-drop-right text 1) text))
         (text (let loop ((articles '("A " "An " "The ")))
                 (match articles
                   (() text)
                   ((a . rest)
                    (if (and (string-prefix-ci? a text)
                             (> (string-length text) (string-length a)))
                        (string-drop text (string-length a))
                        (loop rest)))))))
    (if (string-null? text)
        text
        (string-append (string (char-upcase (string-ref text 0)))
                       (string-drop text 1)))))

(define (beautify-description text)
  "Return a description made of TEXT, a crate's description: whitespace
collapsed, sentences ending with a period and separated by two spaces; a
bare noun phrase becomes \"This package provides ...\", as Guix's
importers write it."
  (let* ((text (collapse-spaces (or text "")))
         (text (if (or (string-null? text)
                       (string-suffix? "." text) (string-suffix? "!" text)
                       (string-suffix? "?" text))
                   text
                   (string-append text "."))))
    (sentence-spacing
     (cond ((string-null? text) text)
           ;; Descriptions starting like a noun phrase ("A fast ...") read
           ;; well after "This package provides".
           ((or (string-prefix? "A " text) (string-prefix? "An " text)
                (string-prefix? "The " text))
            (string-append "This package provides "
                           (string (char-downcase (string-ref text 0)))
                           (string-drop text 1)))
           (else text)))))


;;;
;;; Inserting definitions into a file.
;;;

(define-condition-type &insert-error &error
  insert-error?)

(define (definition-name form)
  "Return the variable FORM defines at top level ((define NAME ...),
(define-public NAME ...)), or #f."
  (match form
    (((or 'define 'define-public) (? symbol? name) _ ...) name)
    (((or 'define 'define-public) ((? symbol? name) _ ...) _ ...) name)
    (_ #f)))

(define (strip-location message)
  "Return MESSAGE without the FILE:LINE:COLUMN: prefix the reader gives."
  (match (string-match "^.*:[0-9]+:[0-9]+: " message)
    (#f message)
    (m (match:suffix m))))

(define* (read-top-level-definitions file #:optional text)
  "Return the top-level forms of FILE, or of TEXT (FILE's new bytes as
Latin-1 characters) when true, as a list of (NAME START END), NAME being the
variable defined or #f, START and END the character offsets of the form.
Raise an &insert-error naming FILE:LINE:COLUMN if FILE cannot be read."
  (call-with-port (if text
                      (let ((port (open-bytevector-input-port
                                   (u8-list->bytevector
                                    (map char->integer (string->list text))))))
                        (set-port-encoding! port "ISO-8859-1")
                        port)
                      (open-input-file file))
    (lambda (port)
      (let loop ((result '()))
        ;; Skip whitespace and comments to find where the next form starts.
        (let skip ()
          (let ((c (peek-char port)))
            (cond ((eof-object? c) #t)
                  ((char-whitespace? c) (read-char port) (skip))
                  ((char=? c #\;) (read-line port) (skip))
                  (else #t))))
        (let* ((start (ftell port))
               (line (port-line port))
               (column (port-column port))
               (form (catch 'read-error
                       (lambda () (read port))
                       (lambda (key subr fmt args . _)
                         (raise (make-compound-condition
                                 (make-condition &insert-error)
                                 (make-condition
                                  &message 'message
                                  (format #f "~a:~a:~a: cannot read the \
top-level form that starts here: ~a"
                                          file (+ line 1) column
                                          (strip-location
                                           (apply format #f fmt args))))))))))
          (if (eof-object? form)
              (reverse result)
              (loop (cons (list (definition-name form) start (ftell port))
                          result))))))))

(define (definitions->text forms)
  "Return FORMS (definitions, comments and other forms) pretty-printed,
separated by blank lines, each ending with a newline."
  (string-join (map (lambda (form)
                      (string-append (sexp->string form) "\n"))
                    forms)
               "\n"))

(define (comment-block-start text offset)
  "Return the offset of the first of the comment lines that directly precede
OFFSET, the start of a top-level form in TEXT (OFFSET if there are none)."
  (let loop ((offset offset))
    (if (or (zero? offset) (not (char=? #\newline (string-ref text (- offset 1)))))
        offset
        (let* ((line-end (- offset 1))
               (line-start (match (string-rindex text #\newline 0 line-end)
                             (#f 0)
                             (i (+ i 1))))
               (line (string-trim (substring text line-start line-end))))
          (if (string-prefix? ";" line)
              (loop line-start)
              offset)))))

(define (replace-file-latin1 file text)
  "Replace FILE atomically by TEXT, a string of bytes as Latin-1 characters,
keeping FILE's permissions."
  (with-fluids ((%default-port-encoding "ISO-8859-1"))
    (let* ((template (string-append (dirname file) "/."
                                    (basename file) ".XXXXXX"))
           (port (mkstemp! template)))
      (catch #t
        (lambda ()
          (set-port-encoding! port "ISO-8859-1")
          (display text port)
          (force-output port)
          (fsync port)
          (close-port port)
          (chmod template (stat:perms (stat file)))
          (rename-file template file))
        (lambda args
          (false-if-exception (delete-file template))
          (apply throw args))))))

(define (insert-definitions file definitions)
  "Add to FILE those of DEFINITIONS (see 'definitions-inserted'); FILE is
replaced atomically, unless nothing is added.  Return the names of the
definitions added, in the order of DEFINITIONS."
  (let ((text (with-fluids ((%default-port-encoding "ISO-8859-1"))
                (call-with-input-file file
                  (lambda (port) (read-string port))))))
    (let-values (((result names) (definitions-inserted file text definitions)))
      (unless (eq? result text)
        (replace-file-latin1 file result))
      names)))

(define (definitions-inserted file text definitions)
  "Return two values: TEXT, the bytes of FILE as Latin-1 characters, with
those of DEFINITIONS (a list of (COMMENTS ... DEFINITION)
lists: a definition with the comments to write before it) whose variable
FILE does not define yet, each before the first top-level 'define-public'
whose name sorts after it (with the comment lines just above that one),
else after the last one, else at the end of the file (TEXT itself when
nothing is added); and the names of the definitions added, in the order of
DEFINITIONS.  The rest of TEXT is kept byte for byte.  A (use-modules ...)
item goes before the definitions unless TEXT names its modules."
  ;; Work on bytes: TEXT is Latin-1 so that offsets are byte offsets and
  ;; any encoding survives unchanged.
  (define forms
    (read-top-level-definitions file text))
  (define existing
    (filter-map first forms))
  (define publics                         ;(NAME START END) of define-public
    (filter (match-lambda
              ((name start end)
               (and name
                    (string-prefix? "(define-public"
                                    (substring text start
                                               (min end (+ start 14)))))))
            forms))
  (define (utf8->latin1 str)
    (list->string (map integer->char
                       (bytevector->u8-list (string->utf8 str)))))
  (define (needed? items)
    ;; A nameless item is a (use-modules MODULE ...) form: needed unless
    ;; FILE already names each of its modules.
    (match (last items)
      (('use-modules modules ...)
       (not (every (lambda (module)
                     (string-contains text (object->string module)))
                   modules)))
      (form
       (not (memq (definition-name form) existing)))))
  (define new
    (filter needed?
            (delete-duplicates definitions
                               (lambda (a b)
                                 (eq? (definition-name (last a))
                                      (definition-name (last b)))))))
  (define new-names
    (filter-map (compose definition-name last) new))
  (define (references items)
    ;; The other new definitions the form of ITEMS names (e.g. the crates of
    ;; an input list): it must come after them, whatever its name.
    (let ((self (definition-name (last items))))
      (let loop ((x (last items)) (acc '()))
        (cond ((and (symbol? x) (not (eq? x self)) (memq x new-names)
                    (not (memq x acc)))
               (cons x acc))
              ((pair? x) (loop (cdr x) (loop (car x) acc)))
              (else acc)))))
  (define (existing-references items)
    ;; Where the forms of FILE that ITEMS' form names end: it must come
    ;; after them too (an input list naming sources already there).
    (let ((self (definition-name (last items))))
      (let loop ((x (last items)) (acc '()))
        (cond ((and (symbol? x) (not (eq? x self)))
               (match (find (match-lambda
                              ((name _ _) (eq? name x)))
                            forms)
                 ((_ _ end) (if (memv end acc) acc (cons end acc)))
                 (#f acc)))
              ((pair? x) (loop (cdr x) (loop (car x) acc)))
              (else acc)))))
  (define (placement items)
    ;; (OFFSET KIND NAME ITEMS RANK); KIND: 'before a form, 'after the last
    ;; define-public, 'end of the file; RANK orders the forms placed at one
    ;; offset: those that name others last.
    (let* ((own (sorted-placement items))
           (after (append
                   (filter-map (lambda (name)
                                 (find (lambda (p)
                                         (eq? name (definition-name
                                                     (last (fourth p)))))
                                       plain))
                               (references items))
                   ;; Only when the sorted place is before them.
                   (filter-map (lambda (end)
                                 (and (> end (first own))
                                      (list end 'after (third own) items 1)))
                               (existing-references items))))
           (last-one (fold (lambda (p best)
                             (if (> (first p) (first best)) p best))
                           own after)))
      (if (null? after)
          own
          (list (first last-one) (second last-one) (third own) items 1))))
  (define (sorted-placement items)
    (let* ((name (match (definition-name (last items))
                   (#f "")                ;use-modules: before the definitions
                   (symbol (symbol->string symbol))))
           (next (find (match-lambda
                         ((other _ _)
                          (string<? name (symbol->string other))))
                       publics)))
      (cond (next
             (list (comment-block-start text (second next)) 'before name items
                   0))
            ((pair? publics)
             (list (third (last publics)) 'after name items 0))
            (else
             (list (string-length text) 'end name items 0)))))
  (define plain
    (map sorted-placement new))
  (values
   (if (null? new)
       text
       (let ((placed (sort (map placement new)
                           (lambda (a b)
                             (or (< (first a) (first b))
                                 (and (= (first a) (first b))
                                      (or (< (fifth a) (fifth b))
                                          (and (= (fifth a) (fifth b))
                                               (string<? (third a)
                                                         (third b))))))))))
         (call-with-output-string
           (lambda (out)
             (let loop ((placed placed) (position 0))
               (match placed
                 (()
                  (display (substring text position) out))
                 (((offset kind _ items _) . rest)
                  (display (substring text position offset) out)
                  (let ((code (utf8->latin1 (definitions->text items))))
                    (case kind
                      ((before)
                       (display code out)
                       (newline out))
                      ((after)
                       (display "\n\n" out)
                       (display (string-drop-right code 1) out))
                      ((end)
                       (unless (or (zero? offset)
                                   (string-suffix? "\n"
                                                   (substring text 0 offset)))
                         (newline out))
                       (unless (zero? offset) (newline out))
                       (display code out))))
                  (loop rest offset))))))))
   (map (compose definition-name last) new)))

;;; Updating an input list.

(define (input-list-names form)
  ;; The variables of (define-public NAME (list VAR ...)), or #f.
  (match form
    (((or 'define 'define-public) (? symbol?) ('list (? symbol? names) ...))
     names)
    (_ #f)))

(define (variable-crate variable)
  ;; "rust-foo-bar-1.2.3" -> "rust-foo-bar": the part before the first
  ;; "-DIGIT", which lockfile variables put before the version.
  (let* ((name (symbol->string variable))
         (m (string-match "-[0-9]" name)))
    (if m (substring name 0 (match:start m)) name)))

(define (replaced-entries gone came)
  "Return how many of the variables GONE from an input list the variables
that CAME replace: per crate, the smaller of the numbers of its versions gone
and come."
  (define (crates variables)
    (delete-duplicates (map variable-crate variables)))
  (define (versions crate variables)
    (count (lambda (variable)
             (string=? crate (variable-crate variable)))
           variables))
  (fold (lambda (crate total)
          (+ total (min (versions crate gone) (versions crate came))))
        0
        (crates gone)))

(define (update-input-list file definitions)
  "Update in FILE the input list among DEFINITIONS (see
'insert-definitions'), a (define-public NAME (list VAR ...)) form, when FILE
defines NAME already: the old form, and the definitions it named that
nothing else in FILE names any more, are removed, then DEFINITIONS are
inserted, the new list after the definitions it names; FILE is replaced
atomically, once.  Return #f when FILE has no such list or the same one
(nothing is done), else the numbers of entries (ADDED REPLACED REMOVED), an
entry being replaced by one of the same crate at another version (see
'replaced-entries')."
  (define (latin1 thunk)
    (with-fluids ((%default-port-encoding "ISO-8859-1"))
      (thunk)))
  (define text
    (latin1 (lambda ()
              (call-with-input-file file
                (lambda (port) (read-string port))))))
  (define forms
    (latin1 (lambda () (read-top-level-definitions file))))
  (define new-list
    (find (lambda (items) (input-list-names (last items))) definitions))
  (define old
    (and new-list
         (find (match-lambda
                 ((name _ _) (eq? name (definition-name (last new-list)))))
               forms)))
  (define old-names
    (and old
         (input-list-names
          (call-with-input-string (substring text (second old) (third old))
                                  read))))
  (and old-names
       (let* ((new-names (input-list-names (last new-list)))
              (gone (lset-difference eq? old-names new-names))
              (came (lset-difference eq? new-names old-names))
              (replaced (replaced-entries gone came))
              ;; Removing a form: from the comments above it to the end of
              ;; its line, and the blank line after it.
              (span (lambda (form)
                      (match form
                        ((_ start end)
                         (let* ((from (comment-block-start text start))
                                (to (let loop ((i end))
                                      (if (and (< i (string-length text))
                                               (char=? #\newline
                                                       (string-ref text i))
                                               (< (- i end) 2))
                                          (loop (+ i 1))
                                          i))))
                           (cons from to))))))
              (without (lambda (text spans)
                         (let loop ((spans (sort spans
                                                 (lambda (a b)
                                                   (> (car a) (car b)))))
                                    (text text))
                           (match spans
                             (() text)
                             (((from . to) . rest)
                              (loop rest (string-append (substring text 0 from)
                                                        (substring text to))))))))
              (orphans (filter-map
                        (lambda (variable)
                          (and (not (string-match
                                     (string-append
                                      "[ (\n,`']" (regexp-quote
                                                    (symbol->string variable))
                                      "[ )\n]")
                                     (without text
                                              (map span
                                                   (cons old
                                                         (filter
                                                          (match-lambda
                                                            ((name _ _)
                                                             (eq? name
                                                                  variable)))
                                                          forms))))))
                               (find (match-lambda
                                       ((name _ _) (eq? name variable)))
                                     forms)))
                        gone)))
         (and (not (and (null? gone) (null? came)))
              (begin
                ;; One replacement of FILE, so that a failure leaves it
                ;; as it was.
                (let-values (((result names)
                              (definitions-inserted
                                file
                                ;; No blank lines left at the end where the
                                ;; last forms were.
                                (match (string-trim-right
                                        (without text
                                                 (map span
                                                      (cons old orphans)))
                                        #\newline)
                                  ("" "")
                                  (rest (string-append rest "\n")))
                                definitions)))
                  (replace-file-latin1 file result))
                (list (- (length came) replaced) replaced
                      (- (length gone) replaced)))))))

;;; utils.scm ends here

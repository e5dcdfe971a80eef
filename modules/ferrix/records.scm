;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix records): record types with named-field constructors, default
;;; values, inheritance, thunked, delayed, innate and sanitized fields, in
;;; the style of Guix's 'define-record-type*'.

(define-module (ferrix records)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-9)
  #:use-module (srfi srfi-11)
  #:use-module ((srfi srfi-9 gnu) #:select (set-record-type-printer!))
  #:use-module ((system syntax) #:select (syntax-local-binding))
  #:export (define-record-type*
            this-record
            match-record)
  #:re-export (set-record-type-printer!))

;;; Commentary:
;;;
;;; (define-record-type* <thing> thing make-thing
;;;   thing?
;;;   this-thing                                ;optional
;;;   (name    thing-name)                      ;mandatory
;;;   (size    thing-size (default 42))
;;;   (inputs  thing-inputs (default '()) (thunked))
;;;   (source  thing-source (delayed))
;;;   (loc     thing-location (default (current-source-location)) (innate))
;;;   (version thing-version (sanitize check-version)))
;;;
;;; defines:
;;;
;;;   <thing>       the record type descriptor (an identifier macro that also
;;;                 gives 'match-record' the field list at expansion time)
;;;   thing         the syntactic constructor: (thing (name "x") (size 3)) or
;;;                 (thing (inherit t) (size 4))
;;;   make-thing    the positional constructor, taking the *stored* values
;;;                 (a procedure of one argument, the record, for thunked
;;;                 fields; a promise for delayed fields)
;;;   thing?        the type predicate
;;;   thing-name …  one accessor per field; the accessor of a thunked field
;;;                 calls the stored procedure with the record, the accessor
;;;                 of a delayed field forces the stored promise.  The raw
;;;                 stored value is never bound to a name.
;;;   this-thing    a syntax parameter bound, inside a thunked field's value,
;;;                 to the record whose field is being accessed.  When it is
;;;                 omitted, 'this-record' (exported here) plays that role.
;;;
;;; and two internal variables, %<thing>-rtd and %<thing>-abi-cookie.  Uses
;;; of the syntactic constructor are expanded into direct struct allocation
;;; (no per-record or per-access lists), so each one checks the ABI cookie,
;;; a hash of the field specifications: code compiled against a different
;;; definition of the type raises 'record-abi-mismatch-error' instead of
;;; building a corrupt record.
;;;
;;; Semantics of the syntactic constructor, (thing CLAUSE ...):
;;;
;;;  - Each clause is (FIELD EXPR), except that the first one may be
;;;    (inherit RECORD-EXPR).  Unknown fields, a field given twice, a field
;;;    without a value (no initializer, no default) and malformed clauses
;;;    are reported at expansion time with 'syntax-violation', whose source
;;;    location is that of the offending clause or of the whole form.
;;;
;;;  - Evaluation order: RECORD-EXPR of 'inherit' first (outside the scope of
;;;    any field name), then the initializers in the order they are written,
;;;    then the default values of the remaining fields in declaration order.
;;;
;;;  - Initializers are scoped like 'let*': the initializer of a field sees
;;;    the fields written *before* it, by name.  A plain field's name stands
;;;    for its (sanitized) value; a delayed field's name stands for its
;;;    forced value (the promise is forced only if the name is used); a
;;;    thunked field's value depends on the record, which does not exist yet,
;;;    so referring to it by name is an expansion-time error: use the
;;;    accessor on 'this-thing' from another thunked field instead.  (Guix
;;;    binds such a name to the stored thunk or promise; ferrix does not
;;;    hand out stored values.)
;;;
;;;  - With 'inherit', as in Guix, only the fields that are written are
;;;    bound by name; an inherited field is *not* visible by name (its value
;;;    is only known at run time, and binding it would silently shadow outer
;;;    variables depending on which fields happen to be written).  Use the
;;;    accessor on the original record instead:
;;;      (thing (inherit t) (name (string-append (thing-name t) "-x")))
;;;
;;;  - Default values (and sanitizers) are expressions written in the
;;;    'define-record-type*' form: they are evaluated anew for each record
;;;    that needs them, in the scope of that definition, so they never see
;;;    the initializers.  Their source location is that of the record
;;;    construction, so (default (current-source-location)) records where
;;;    each record was made (for an innate field: where it was inherited).
;;;
;;;  - With 'inherit', every field not written is copied from the original
;;;    record as stored (a thunk stays a thunk, so it sees the *new* record
;;;    through 'this-thing'; a promise is shared), except innate fields,
;;;    which get their default value again (an innate field without a
;;;    default must then be written).
;;;
;;;  - A sanitizer is applied to every value that is written or defaulted
;;;    (including a value written anew in an 'inherit' form and an innate
;;;    field's default), never to a copied value, which was sanitized when
;;;    the original was made.  For thunked and delayed fields the sanitizer
;;;    is applied to the computed value, on each access or when forced.
;;;
;;; Records print as #<thing name: "x" size: 42 inputs: #<thunked> ...>:
;;; thunked and delayed fields are not computed for printing.  Use
;;; (set-record-type-printer! <thing> PROC), re-exported here, for a custom
;;; printer; PROC is called with the record and the port.
;;;
;;; Code:


;;;
;;; Run-time support.
;;;

(define (%record-type-error who object)
  "Raise a wrong-type-arg error: WHO was given OBJECT, which is not a record of
the expected type."
  (throw 'wrong-type-arg who "Wrong type argument: ~S"
         (list object) (list object)))

(define (%record-abi-error who)
  "Raise an error: the code of the syntactic constructor WHO was compiled
against another definition of its record type."
  (scm-error 'record-abi-mismatch-error who
             "record type changed since this code was compiled; \
recompile it" '() #f))

(set-exception-printer!
 'record-abi-mismatch-error
 (lambda (port key args default-printer)
   (apply (case-lambda
            ((who message arguments rest)
             (format port "In record constructor ~a: " who)
             (apply format port message (or arguments '())))
            (_ (default-printer)))
          args)))

(define (%record-printer type-name field-names field-kinds)
  "Return a printer for records of the type named TYPE-NAME whose fields are
FIELD-NAMES, of kinds FIELD-KINDS ('plain, 'thunked or 'delayed).  Records
print as #<TYPE-NAME FIELD: VALUE ...>; the value of a thunked or delayed
field is not computed, it prints as #<thunked> or #<delayed>."
  (lambda (record port)
    (display "#<" port)
    (display type-name port)
    (let loop ((names field-names) (kinds field-kinds) (index 0))
      (when (pair? names)
        (display " " port)
        (display (car names) port)
        (display ": " port)
        (case (car kinds)
          ((thunked) (display "#<thunked>" port))
          ((delayed) (display "#<delayed>" port))
          (else (write (struct-ref record index) port)))
        (loop (cdr names) (cdr kinds) (+ 1 index))))
    (display ">" port)))

(define-syntax-parameter this-record
  (lambda (s)
    "Within the value of a thunked field, the record whose field is being
accessed.  Any other use is a syntax error."
    (syntax-violation 'this-record
                      "cannot be used outside of a thunked field value"
                      s)))

(define-syntax %record-query
  (lambda (s)
    "Private keyword: asks a record type macro for its field list."
    (syntax-violation 'match-record
                      "not a record type defined with 'define-record-type*'"
                      s)))


;;;
;;; Expansion-time support.
;;;

(eval-when (expand load eval)

  (define-record-type <field-spec>
    (make-field-spec name accessor kind innate? default sanitizer index)
    field-spec?
    (name      field-spec-name)                ;identifier
    (accessor  field-spec-accessor)            ;identifier
    (kind      field-spec-kind)                ;'plain | 'thunked | 'delayed
    (innate?   field-spec-innate?)             ;boolean
    (default   field-spec-default)             ;#f | (EXPR)
    (sanitizer field-spec-sanitizer)           ;#f | (EXPR)
    (index     field-spec-index))              ;integer

  (define (field-spec-symbol field)
    (syntax->datum (field-spec-name field)))

  (define (clause-keyword clause)
    "Return the symbol heading CLAUSE, a syntax object, or #f."
    (syntax-case clause ()
      ((keyword . _) (identifier? #'keyword) (syntax->datum #'keyword))
      (_ #f)))

  (define (parse-field-spec who form clause index)
    "Parse CLAUSE, a field specification (NAME ACCESSOR PROPERTY ...) of the
define-record-type* FORM, into a <field-spec> whose index is INDEX."
    (define (bad message subform)
      (syntax-violation who message form subform))

    (syntax-case clause ()
      ((name accessor property ...)
       (and (identifier? #'name) (identifier? #'accessor))
       (let loop ((properties #'(property ...))
                  (kind 'plain) (innate? #f) (default #f) (sanitizer #f)
                  (seen '()))
         (syntax-case properties ()
           (()
            (make-field-spec #'name #'accessor kind innate? default
                             sanitizer index))
           ((property rest ...)
            (let ((key (clause-keyword #'property)))
              (when (and key (memq key seen))
                (bad (format #f "duplicate field property '~a'" key)
                     #'property))
              (let ((seen (cons key seen)))
                (syntax-case #'property ()
                  ((_ expr)
                   (eq? key 'default)
                   (loop #'(rest ...) kind innate? (list #'expr) sanitizer
                         seen))
                  ((_ expr)
                   (eq? key 'sanitize)
                   (loop #'(rest ...) kind innate? default (list #'expr)
                         seen))
                  ((_)
                   (memq key '(thunked delayed))
                   (begin
                     (unless (eq? kind 'plain)
                       (bad "a field cannot be both thunked and delayed"
                            #'property))
                     (loop #'(rest ...) key innate? default sanitizer seen)))
                  ((_)
                   (eq? key 'innate)
                   (loop #'(rest ...) kind #t default sanitizer seen))
                  (_
                   (bad "invalid field property" #'property)))))))))
      (_
       (bad "invalid field specification" clause))))

  (define (field-spec->syntax field)
    "Serialize FIELD for embedding, with 'quote-syntax', in the code of a
syntactic constructor."
    (with-syntax ((name      (field-spec-name field))
                  (accessor  (field-spec-accessor field))
                  (kind      (datum->syntax #'here (field-spec-kind field)))
                  (innate?   (datum->syntax #'here (field-spec-innate? field)))
                  (default   (or (field-spec-default field) '()))
                  (sanitizer (or (field-spec-sanitizer field) '()))
                  (index     (datum->syntax #'here (field-spec-index field))))
      #'(name accessor kind innate? default sanitizer index)))

  (define (syntax->field-spec stx)
    "Inverse of 'field-spec->syntax'."
    (syntax-case stx ()
      ((name accessor kind innate? (default ...) (sanitizer ...) index)
       (make-field-spec #'name #'accessor
                        (syntax->datum #'kind)
                        (syntax->datum #'innate?)
                        (and (pair? #'(default ...)) #'(default ...))
                        (and (pair? #'(sanitizer ...)) #'(sanitizer ...))
                        (syntax->datum #'index)))))

  (define (find-duplicate-clause clauses)
    "Return the first clause among CLAUSES, a list of (FIELD VALUE) syntax
objects, whose FIELD already appeared before it, or #f."
    (let loop ((clauses clauses) (seen '()))
      (and (pair? clauses)
           (let ((symbol (clause-keyword (car clauses))))
             (if (memq symbol seen)
                 (car clauses)
                 (loop (cdr clauses) (cons symbol seen)))))))

  (define (relocate stx)
    "Return STX, an expression, with its list structure rebuilt.  Pairs made
by a syntax template carry no source location, so the expander gives them the
location of the macro use: a default value such as
(current-source-location) then denotes the record construction rather than
the record type definition.  Identifiers keep their lexical context."
    (syntax-case stx ()
      ((head . tail)
       #`(#,(relocate #'head) . #,(relocate #'tail)))
      (_ stx)))

  (define (expand-construction form who rtd this-id abi-id abi-cookie fields)
    "Expand FORM, a use of the syntactic constructor WHO of the record type
whose descriptor is bound to RTD and whose fields are FIELDS, a list of
<field-spec>.  THIS-ID is the syntax parameter bound to the record in thunked
field values.  The expansion first checks that the variable ABI-ID is still
ABI-COOKIE, that is, that the record type was not redefined differently since
FORM was expanded."
    (define (field-named symbol)
      (find (lambda (field) (eq? (field-spec-symbol field) symbol)) fields))

    (define (wrap-value field expr)
      ;; Return the expression computing the stored value of FIELD from
      ;; EXPR, an initializer or a default value.
      (let ((value (sanitize-value (field-spec-sanitizer field) expr)))
        (case (field-spec-kind field)
          ((thunked)
           ;; The formal is a fresh identifier: a default value, which is
           ;; inserted by this macro too, must not see it.
           (with-syntax (((record) (generate-temporaries '(record))))
             #`(lambda (record)
                 (syntax-parameterize ((#,this-id
                                        (lambda (s)
                                          (syntax-case s ()
                                            (id
                                             (identifier? #'id)
                                             #'record)))))
                   #,value))))
          ((delayed)
           #`(delay #,value))
          (else value))))

    (define (sanitize-value sanitizer expr)
      (if sanitizer
          #`(#,(car sanitizer) #,expr)
          expr))

    (define (bind-name field name tmp body)
      ;; Make NAME, the identifier written in the initializer of FIELD, stand
      ;; for its value in BODY; TMP holds the stored value.
      (case (field-spec-kind field)
        ((thunked)
         (with-syntax ((message
                        (format #f "field '~a' is thunked and cannot be \
referred to by name in an initializer; use (~a ~a) in a thunked field"
                                (field-spec-symbol field)
                                (syntax->datum (field-spec-accessor field))
                                (syntax->datum this-id)))
                       (who (datum->syntax #'here who)))
           #`(let-syntax ((#,name (lambda (s)
                                    (syntax-violation
                                     'who message
                                     (quote-syntax #,form) s))))
               #,body)))
        ((delayed)
         #`(let-syntax ((#,name (identifier-syntax (force #,tmp))))
             #,body))
        (else
         #`(let-syntax ((#,name (identifier-syntax #,tmp)))
             #,body))))

    (define (check-clauses clauses)
      (for-each (lambda (clause)
                  (syntax-case clause ()
                    ((field value) (identifier? #'field) #t)
                    (_ (syntax-violation who "invalid field initializer"
                                         form clause))))
                clauses))

    (syntax-case form ()
      (id
       (identifier? #'id)
       (syntax-violation who "record constructor used as a value; \
write (CONSTRUCTOR (FIELD VALUE) ...)" form))
      ((_ clause ...)
       (let ((clauses #'(clause ...)))
         (check-clauses clauses)
         (let*-values
             (((parent clauses)
               (if (and (pair? clauses)
                        (eq? 'inherit (clause-keyword (car clauses)))
                        (not (field-named 'inherit)))
                   (values (syntax-case (car clauses) ()
                             ((_ parent) #'parent))
                           (cdr clauses))
                   (values #f clauses))))
           ;; Unknown fields, including a misplaced 'inherit'.
           (let ((unknown (remove (lambda (clause)
                                    (field-named (clause-keyword clause)))
                                  clauses)))
             (when (pair? unknown)
               (let ((symbols (map clause-keyword unknown)))
                 (syntax-violation
                  who
                  (if (and (memq 'inherit symbols)
                           (not (field-named 'inherit)))
                      "(inherit RECORD) must be the first clause"
                      (format #f "extraneous field initializers ~a" symbols))
                  form (car unknown)))))
           ;; Fields given twice.
           (let ((duplicate (find-duplicate-clause clauses)))
             (when duplicate
               (syntax-violation
                who
                (format #f "duplicate field initializers (~a)"
                        (clause-keyword duplicate))
                form duplicate)))
           ;; Fields without a value.
           (let* ((given   (map clause-keyword clauses))
                  (missing (filter-map
                            (lambda (field)
                              (and (not (memq (field-spec-symbol field) given))
                                   (not (field-spec-default field))
                                   (or (not parent)
                                       (field-spec-innate? field))
                                   (field-spec-symbol field)))
                            fields)))
             (when (pair? missing)
               (syntax-violation who
                                 (format #f "missing field initializers ~a"
                                         missing)
                                 form)))
           ;; Code generation.
           (let* ((given    (map (lambda (clause)
                                   (syntax-case clause ()
                                     ((name value)
                                      (list (field-named
                                             (syntax->datum #'name))
                                            #'name #'value))))
                                 clauses))
                  (temps    (generate-temporaries given))
                  (defaulted (filter (lambda (field)
                                       (and (not (assq field given))
                                            (or (not parent)
                                                (field-spec-innate? field))))
                                     fields))
                  (dtemps   (generate-temporaries defaulted))
                  (parent-tmp (and parent (car (generate-temporaries '(p)))))
                  (arguments
                   (map (lambda (field)
                          (cond ((find (lambda (g+t) (eq? (caar g+t) field))
                                       (map cons given temps))
                                 => cdr)
                                ((memq field defaulted)
                                 (list-ref dtemps
                                           (list-index (lambda (f)
                                                         (eq? f field))
                                                       defaulted)))
                                (else
                                 #`(struct-ref #,parent-tmp
                                               #,(field-spec-index field)))))
                        fields))
                  (construction
                   #`(let* #,(map (lambda (field tmp)
                                    #`(#,tmp #,(wrap-value
                                                field
                                                (relocate
                                                 (car (field-spec-default
                                                       field))))))
                                  defaulted dtemps)
                       (make-struct/simple #,rtd #,@arguments)))
                  (body (fold-right
                         (lambda (g tmp body)
                           (let ((field (car g)) (name (cadr g))
                                 (value (caddr g)))
                             #`(let ((#,tmp #,(wrap-value field value)))
                                 #,(bind-name field name tmp body))))
                         construction
                         given temps)))
             #`(begin
                 (unless (eqv? #,abi-id #,abi-cookie)
                   (%record-abi-error '#,(datum->syntax #'here who)))
                 #,(if parent
                       #`(let ((#,parent-tmp #,parent))
                           (if (and (struct? #,parent-tmp)
                                    (eq? (struct-vtable #,parent-tmp) #,rtd))
                               #,body
                               (%record-type-error
                                '#,(datum->syntax #'here who)
                                #,parent-tmp)))
                       body))))))
      (_
       (syntax-violation who "invalid record construction" form))))

  (define (record-constructor-expander spec)
    "Return the transformer of a syntactic constructor from SPEC, the syntax
object (NAME RTD THIS-ID ABI-ID ABI-COOKIE (FIELD ...)) made by
'define-record-type*'."
    (syntax-case spec ()
      ((name rtd this-id abi-id abi-cookie (field ...))
       (let ((who    (syntax->datum #'name))
             (rtd    #'rtd)
             (this   #'this-id)
             (abi-id #'abi-id)
             (cookie (syntax->datum #'abi-cookie))
             (fields (map syntax->field-spec #'(field ...))))
         (lambda (form)
           (expand-construction form who rtd this abi-id cookie
                                fields)))))))


;;;
;;; define-record-type*.
;;;

(define-syntax define-record-type*
  (lambda (form)
    "Define a record type with a syntactic constructor, as in:

  (define-record-type* <thing> thing make-thing
    thing?
    this-thing
    (name    thing-name)
    (size    thing-size (default 42))
    (inputs  thing-inputs (default '()) (thunked))
    (source  thing-source (delayed))
    (loc     thing-location (default (current-source-location)) (innate))
    (version thing-version (sanitize check-version)))

TYPE (here <thing>) names the record type descriptor; the record type itself
is named after it without angle brackets, so records print as
#<thing name: ...> (thunked and delayed fields print as #<thunked> and
#<delayed>).  THIS-THING may be omitted, in which case 'this-record'
refers to the record within thunked fields.  Each field is (NAME ACCESSOR
PROPERTY ...) where PROPERTY is (default EXPR), (thunked), (delayed),
(innate) or (sanitize PROC).  See the commentary of (ferrix records) for the
semantics of the syntactic constructor THING."
    (define who 'define-record-type*)

    (define (bad message subform)
      (syntax-violation who message form subform))

    (define (rtd-identifier type)
      (datum->syntax type (symbol-append '% (syntax->datum type) '-rtd)))

    (define (abi-identifier type)
      (datum->syntax type (symbol-append '% (syntax->datum type)
                                         '-abi-cookie)))

    (define (compute-abi-cookie clauses)
      ;; A fixnum that changes whenever the fields change: names, order,
      ;; properties, default values and sanitizers, all of which are
      ;; compiled into the code of syntactic constructor uses.
      (string-hash (object->string (syntax->datum clauses))))

    (define (record-type-name type)
      ;; <thing> -> thing
      (let ((name (symbol->string (syntax->datum type))))
        (string->symbol
         (if (and (> (string-length name) 2)
                  (string-prefix? "<" name)
                  (string-suffix? ">" name))
             (substring name 1 (- (string-length name) 1))
             name))))

    (define (accessor-definition rtd field)
      (with-syntax ((rtd      rtd)
                    (accessor (field-spec-accessor field))
                    (index    (field-spec-index field)))
        (with-syntax ((value (case (field-spec-kind field)
                               ((thunked) #'((struct-ref record index) record))
                               ((delayed) #'(force (struct-ref record index)))
                               (else      #'(struct-ref record index)))))
          #'(define-inlinable (accessor record)
              (if (and (struct? record) (eq? (struct-vtable record) rtd))
                  value
                  (%record-type-error 'accessor record))))))

    (define (emit type ctor make pred this-id clauses)
      (for-each (lambda (id)
                  (unless (identifier? id)
                    (bad "expected an identifier" id)))
                (list type ctor make pred))
      (let* ((fields (map (lambda (clause index)
                            (parse-field-spec who form clause index))
                          clauses (iota (length clauses))))
             (symbols (map field-spec-symbol fields)))
        (let loop ((fields fields) (seen '()))
          (when (pair? fields)
            (let ((symbol (field-spec-symbol (car fields))))
              (when (memq symbol seen)
                (bad (format #f "duplicate field '~a'" symbol)
                     (field-spec-name (car fields))))
              (loop (cdr fields) (cons symbol seen)))))
        (with-syntax ((type        type)
                      (ctor        ctor)
                      (make        make)
                      (pred        pred)
                      (this-id     this-id)
                      (rtd         (rtd-identifier type))
                      (abi-id      (abi-identifier type))
                      (abi-cookie  (datum->syntax #'here
                                                  (compute-abi-cookie clauses)))
                      (type-name   (datum->syntax #'here
                                                  (record-type-name type)))
                      (field-names (datum->syntax #'here symbols))
                      (field-kinds (datum->syntax
                                    #'here (map field-spec-kind fields)))
                      ((name ...)  (map field-spec-name fields))
                      ((accessor ...) (map field-spec-accessor fields))
                      ((field-spec ...) (map field-spec->syntax fields)))
          (with-syntax (((accessor-definition ...)
                         (map (lambda (field)
                                (accessor-definition #'rtd field))
                              fields))
                        ((this-definition ...)
                         (if (free-identifier=? #'this-id #'this-record)
                             '()
                             (list
                              #'(define-syntax-parameter this-id
                                  (lambda (s)
                                    (syntax-violation
                                     'this-id
                                     "cannot be used outside of a thunked \
field value"
                                     s)))))))
            #'(begin
                (define abi-id abi-cookie)

                (define rtd
                  (make-record-type 'type-name 'field-names
                                    (%record-printer 'type-name 'field-names
                                                     'field-kinds)))

                (define-syntax type
                  (lambda (s)
                    (syntax-case s (%record-query)
                      ((_ %record-query k arg (... ...))
                       #'(k (pred rtd (name accessor) ...) arg (... ...)))
                      (id
                       (identifier? #'id)
                       #'rtd)
                      (_
                       (syntax-violation 'type
                                         "record type used as a procedure"
                                         s)))))

                this-definition ...

                (define-inlinable (make name ...)
                  (make-struct/simple rtd name ...))

                (define-inlinable (pred object)
                  (and (struct? object) (eq? (struct-vtable object) rtd)))

                accessor-definition ...

                (define-syntax ctor
                  (record-constructor-expander
                   (quote-syntax (ctor rtd this-id abi-id abi-cookie
                                       (field-spec ...))))))))))

    (syntax-case form ()
      ((_ type ctor make pred this-id clause ...)
       (identifier? #'this-id)
       (emit #'type #'ctor #'make #'pred #'this-id #'(clause ...)))
      ((_ type ctor make pred clause ...)
       (emit #'type #'ctor #'make #'pred #'this-record #'(clause ...))))))


;;;
;;; Pattern matching.
;;;

(define-syntax %match-record-k
  (lambda (s)
    ;; Continuation of 'match-record', called by the record type macro with
    ;; its predicate, descriptor and fields.
    (syntax-case s ()
      ((_ (pred rtd (name accessor) ...) form record (binding ...) body ...)
       (let ((fields (map cons
                          (syntax->datum #'(name ...))
                          #'(accessor ...))))
         (with-syntax ((((field variable) ...)
                        (map (lambda (binding)
                               (syntax-case binding ()
                                 (field
                                  (identifier? #'field)
                                  (list #'field #'field))
                                 ((field variable)
                                  (and (identifier? #'field)
                                       (identifier? #'variable))
                                  (list #'field #'variable))
                                 (_
                                  (syntax-violation 'match-record
                                                    "invalid field binding"
                                                    #'form binding))))
                             #'(binding ...))))
           (with-syntax (((getter ...)
                          (map (lambda (field)
                                 (or (assq-ref fields (syntax->datum field))
                                     (syntax-violation
                                      'match-record
                                      (format #f
                                              "unknown record type field '~a'"
                                              (syntax->datum field))
                                      #'form field)))
                               #'(field ...))))
             #'(let ((r record))
                 (if (and (struct? r) (eq? (struct-vtable r) rtd))
                     (let ((variable (getter r)) ...)
                       body ...)
                     (%record-type-error 'match-record r))))))))))

(define-syntax match-record
  (lambda (s)
    "Bind each FIELD of RECORD, a record of TYPE (defined with
'define-record-type*'), to a variable of the same name, or VARIABLE for a
(FIELD VARIABLE) binding, and evaluate BODY:

  (match-record record <type> (field1 (field2 variable2) ...)
    body ...)

Fields are read with their accessors, so thunked fields are computed and
delayed fields are forced.  An unknown field is a syntax error; a RECORD that
is not of TYPE is a wrong-type-arg error at run time."
    (syntax-case s ()
      ((_ record type (binding ...) body0 body ...)
       (identifier? #'type)
       (begin
         (call-with-values (lambda () (syntax-local-binding #'type))
           (lambda (kind value)
             (define (not-a-record-type)
               (syntax-violation 'match-record
                                 "not a record type defined with \
'define-record-type*'"
                                 s #'type))
             (case kind
               ((macro) #t)
               ((global)
                (let* ((module   (and (pair? (cdr value))
                                      (resolve-module (cdr value)
                                                      #:ensure #f)))
                       (variable (and module
                                      (module-variable module (car value)))))
                  (unless (and variable
                               (variable-bound? variable)
                               (macro? (variable-ref variable)))
                    (not-a-record-type))))
               (else (not-a-record-type)))))
         (with-syntax ((form s))
           #'(type %record-query %match-record-k form record (binding ...)
                   body0 body ...)))))))

;;; records.scm ends here

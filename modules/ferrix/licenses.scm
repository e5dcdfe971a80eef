;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix licenses): licenses, as Guix's (guix licenses) has them, and
;;; SPDX license expressions (what crates declare) mapped onto them.

(define-module (ferrix licenses)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-9)
  #:use-module (srfi srfi-11)
  #:use-module (srfi srfi-9 gnu)
  #:use-module (srfi srfi-34)
  #:use-module (srfi srfi-35)
  #:use-module (ice-9 match)
  #:export (license?
            license-name
            license-uri
            license-comment

            agpl3 agpl3+ artistic2.0 asl1.1 asl2.0 boost1.0 bsd-0 bsd-2 bsd-3
            bsd-4 cc0 cc-by3.0 cc-by4.0 cc-by-sa4.0 cddl1.0 clarified-artistic
            curl epl1.0 epl2.0 expat expat-0 gpl2 gpl2+ gpl3 gpl3+ isc lgpl2.0
            lgpl2.0+ lgpl2.1 lgpl2.1+ lgpl3 lgpl3+ mpl1.1 mpl2.0 ncsa openssl
            psfl unicode unlicense wtfpl2 x11 zlib zpl2.1

            with-exception
            unknown

            &spdx-error
            spdx-error?
            spdx-error-expression
            parse-spdx-expression
            spdx-expression-leaves
            spdx-identifier->license-symbol
            spdx-expression->license-sexp
            spdx-string->license-sexp
            spdx-string->license))

;;; Commentary:
;;;
;;; A license is a record of a name, a URI and a comment, as in Guix; the
;;; variables are named as Guix names them (expat for MIT, asl2.0 for
;;; Apache-2.0, gpl3+ for GPL-3.0-or-later...), so that definitions written
;;; for one read the same for the other.
;;;
;;; SPDX expressions are parsed into a tree:
;;;
;;;   "ID" | "ID+"                 a license identifier ("+": or later)
;;;   (or TREE ...)                any of them ("/" is the old spelling)
;;;   (and TREE ...)               all of them
;;;   (with TREE "EXCEPTION")      a license with an exception
;;;
;;; WITH binds tighter than AND, which binds tighter than OR; parentheses
;;; group.  A package's license field holds a license or a list of them (as
;;; in Guix, the list does not say whether the choice is OR or AND, hence
;;; the SPDX comment the importer writes when it matters).  Identifiers this
;;; module does not know are kept as (unknown "ID") licenses: flagged,
;;; never dropped.
;;;
;;; Code:

(define-record-type <license>
  (license name uri comment)
  license?
  (name    license-name)
  (uri     license-uri)
  (comment license-comment))

(set-record-type-printer! <license>
  (lambda (l port)
    (format port "#<license ~a ~a>" (license-name l) (license-uri l))))

(define (spdx-uri id)
  (string-append "https://spdx.org/licenses/" id ".html"))

(define agpl3
  (license "AGPL 3" "https://gnu.org/licenses/agpl.html"
           "https://gnu.org/licenses/why-affero-gpl.html"))
(define agpl3+
  (license "AGPL 3+" "https://gnu.org/licenses/agpl.html"
           "https://gnu.org/licenses/why-affero-gpl.html"))
(define artistic2.0
  (license "Artistic License 2.0"
           "http://www.perlfoundation.org/artistic_license_2_0"
           "http://www.gnu.org/licenses/license-list.html#ArtisticLicense2"))
(define asl1.1
  (license "ASL 1.1" "http://directory.fsf.org/wiki/License:Apache1.1"
           "https://www.gnu.org/licenses/license-list#apache1"))
(define asl2.0
  (license "ASL 2.0" "http://directory.fsf.org/wiki/License:Apache2.0"
           "https://www.gnu.org/licenses/license-list#apache2"))
(define boost1.0
  (license "Boost 1.0" "http://directory.fsf.org/wiki/License:Boost1.0"
           "https://www.gnu.org/licenses/license-list#boost"))
(define bsd-0
  (license "Zero-Clause BSD" (spdx-uri "0BSD")
           "https://opensource.org/license/0bsd"))
(define bsd-2
  (license "FreeBSD" "http://directory.fsf.org/wiki/License:FreeBSD"
           "https://www.gnu.org/licenses/license-list#FreeBSD"))
(define bsd-3
  (license "Modified BSD" "http://directory.fsf.org/wiki/License:BSD_3Clause"
           "https://www.gnu.org/licenses/license-list#ModifiedBSD"))
(define bsd-4
  (license "Original BSD" "http://directory.fsf.org/wiki/License:BSD_4Clause"
           "https://www.gnu.org/licenses/license-list#OriginalBSD"))
(define cc0
  (license "CC0" "http://directory.fsf.org/wiki/License:CC0"
           "http://www.gnu.org/licenses/license-list.html#CC0"))
(define cc-by3.0
  (license "CC-BY 3.0" "http://creativecommons.org/licenses/by/3.0/"
           "Creative Commons Attribution 3.0 Unported"))
(define cc-by4.0
  (license "CC-BY 4.0" "http://creativecommons.org/licenses/by/4.0/"
           "Creative Commons Attribution 4.0 International"))
(define cc-by-sa4.0
  (license "CC-BY-SA 4.0" "http://creativecommons.org/licenses/by-sa/4.0/"
           "Creative Commons Attribution-ShareAlike 4.0 International"))
(define cddl1.0
  (license "CDDL 1.0" "http://directory.fsf.org/wiki/License:CDDLv1.0"
           "https://www.gnu.org/licenses/license-list#CDDL"))
(define clarified-artistic
  (license "Clarified Artistic"
           "http://gianluca.dellavedova.org/2011/01/03/clarified-artistic-license/"
           "https://www.gnu.org/licenses/license-list.html#ArtisticLicense2"))
(define curl
  (license "curl" "http://curl.haxx.se/docs/copyright.html"
           "https://www.gnu.org/licenses/license-list#curl"))
(define epl1.0
  (license "EPL 1.0" "http://directory.fsf.org/wiki/License:EPLv1.0"
           "https://www.gnu.org/licenses/license-list#EPL"))
(define epl2.0
  (license "EPL 2.0" "https://www.eclipse.org/legal/epl-2.0/"
           "https://www.gnu.org/licenses/license-list#EPL2"))
(define expat
  (license "Expat" "http://directory.fsf.org/wiki/License:Expat"
           "https://www.gnu.org/licenses/license-list.html#Expat"))
(define expat-0
  (license "Expat No Attribution" (spdx-uri "MIT-0")
           "Expat without the attribution paragraph"))
(define gpl2
  (license "GPL 2" "https://www.gnu.org/licenses/old-licenses/gpl-2.0.html"
           "https://www.gnu.org/licenses/license-list#GPLv2"))
(define gpl2+
  (license "GPL 2+" "https://www.gnu.org/licenses/old-licenses/gpl-2.0.html"
           "https://www.gnu.org/licenses/license-list#GPLv2"))
(define gpl3
  (license "GPL 3" "https://www.gnu.org/licenses/gpl.html"
           "https://www.gnu.org/licenses/license-list#GNUGPLv3"))
(define gpl3+
  (license "GPL 3+" "https://www.gnu.org/licenses/gpl.html"
           "https://www.gnu.org/licenses/license-list#GNUGPLv3"))
(define isc
  (license "ISC" "http://directory.fsf.org/wiki/License:ISC"
           "https://www.gnu.org/licenses/license-list.html#ISC"))
(define lgpl2.0
  (license "LGPL 2.0" "https://www.gnu.org/licenses/old-licenses/lgpl-2.0.html"
           "https://www.gnu.org/licenses/why-not-lgpl.html"))
(define lgpl2.0+
  (license "LGPL 2.0+" "https://www.gnu.org/licenses/old-licenses/lgpl-2.0.html"
           "https://www.gnu.org/licenses/why-not-lgpl.html"))
(define lgpl2.1
  (license "LGPL 2.1" "https://www.gnu.org/licenses/old-licenses/lgpl-2.1.html"
           "https://www.gnu.org/licenses/license-list#LGPLv2.1"))
(define lgpl2.1+
  (license "LGPL 2.1+" "https://www.gnu.org/licenses/old-licenses/lgpl-2.1.html"
           "https://www.gnu.org/licenses/license-list#LGPLv2.1"))
(define lgpl3
  (license "LGPL 3" "https://www.gnu.org/licenses/lgpl.html"
           "https://www.gnu.org/licenses/license-list#LGPLv3"))
(define lgpl3+
  (license "LGPL 3+" "https://www.gnu.org/licenses/lgpl.html"
           "https://www.gnu.org/licenses/license-list#LGPLv3"))
(define mpl1.1
  (license "MPL 1.1" "http://directory.fsf.org/wiki/License:MPLv1.1"
           "https://www.gnu.org/licenses/license-list#MPL"))
(define mpl2.0
  (license "MPL 2.0" "http://directory.fsf.org/wiki/License:MPLv2.0"
           "https://www.gnu.org/licenses/license-list#MPL-2.0"))
(define ncsa
  (license "NCSA/University of Illinois Open Source License"
           "http://directory.fsf.org/wiki/License:IllinoisNCSA"
           "https://www.gnu.org/licenses/license-list#NCSA"))
(define openssl
  (license "OpenSSL" "http://directory.fsf.org/wiki/License:OpenSSL"
           "https://www.gnu.org/licenses/license-list#OpenSSL"))
(define psfl
  (license "CNRI Python Software Foundation License"
           "http://directory.fsf.org/wiki/License:PythonSoftwareFoundation"
           "https://www.gnu.org/licenses/license-list#PythonOld"))
(define unicode
  (license "Unicode" "https://directory.fsf.org/wiki/License:Unicode"
           "http://www.gnu.org/licenses/license-list.html#Unicode"))
(define unlicense
  (license "Unlicense" "https://unlicense.org/"
           "https://www.gnu.org/licenses/license-list.html#Unlicense"))
(define wtfpl2
  (license "WTFPL 2" "http://www.wtfpl.net"
           "http://www.wtfpl.net/about/"))
(define x11
  (license "X11" "http://directory.fsf.org/wiki/License:X11"
           "https://www.gnu.org/licenses/license-list#X11License"))
(define zlib
  (license "Zlib" "http://www.gzip.org/zlib/zlib_license.html"
           "https://www.gnu.org/licenses/license-list#ZLib"))
(define zpl2.1
  (license "ZPL 2.1" "http://directory.fsf.org/wiki?title=License:ZopePLv2.1"
           "https://www.gnu.org/licenses/license-list#Zope2.0"))

(define (with-exception base exception)
  "Return the license BASE with the SPDX license exception EXCEPTION (a
string such as \"LLVM-exception\")."
  (license (string-append (license-name base) " WITH " exception)
           (license-uri base)
           (string-append "with the " exception " exception ("
                          (spdx-uri exception) "); "
                          (license-comment base))))

(define (unknown id)
  "Return a license for ID, an SPDX identifier (or expression) that ferrix
does not know: to be checked by hand."
  (license id (spdx-uri id)
           "not known to ferrix: check the crate's license by hand"))


;;;
;;; SPDX identifiers.
;;;

(define %spdx-licenses
  ;; (SPDX-IDENTIFIER . VARIABLE), identifiers in lower case.  "-only" and
  ;; "-or-later" (and "+") are handled by 'spdx-identifier->license-symbol'.
  '(("0bsd" . bsd-0)
    ("agpl-3.0" . agpl3)
    ("apache-1.1" . asl1.1)
    ("apache-2.0" . asl2.0)
    ("artistic-2.0" . artistic2.0)
    ("bsd-2-clause" . bsd-2)
    ("bsd-2-clause-freebsd" . bsd-2)
    ("bsd-3-clause" . bsd-3)
    ("bsd-4-clause" . bsd-4)
    ("bsl-1.0" . boost1.0)
    ("cc-by-3.0" . cc-by3.0)
    ("cc-by-4.0" . cc-by4.0)
    ("cc-by-sa-4.0" . cc-by-sa4.0)
    ("cc0-1.0" . cc0)
    ("cddl-1.0" . cddl1.0)
    ("clartistic" . clarified-artistic)
    ("curl" . curl)
    ("epl-1.0" . epl1.0)
    ("epl-2.0" . epl2.0)
    ("gpl-2.0" . gpl2)
    ("gpl-3.0" . gpl3)
    ("isc" . isc)
    ("lgpl-2.0" . lgpl2.0)
    ("lgpl-2.1" . lgpl2.1)
    ("lgpl-3.0" . lgpl3)
    ("mit" . expat)
    ("mit-0" . expat-0)
    ("mpl-1.1" . mpl1.1)
    ("mpl-2.0" . mpl2.0)
    ("ncsa" . ncsa)
    ("openssl" . openssl)
    ("psf-2.0" . psfl)
    ("python-2.0" . psfl)
    ("unicode-3.0" . unicode)
    ("unicode-dfs-2016" . unicode)
    ("unlicense" . unlicense)
    ("wtfpl" . wtfpl2)
    ("x11" . x11)
    ("zlib" . zlib)
    ("zpl-2.1" . zpl2.1)))

(define %or-later
  ;; The "or later" variants of the licenses that have one.
  '((gpl2 . gpl2+) (gpl3 . gpl3+) (lgpl2.0 . lgpl2.0+) (lgpl2.1 . lgpl2.1+)
    (lgpl3 . lgpl3+) (agpl3 . agpl3+)))

(define (spdx-identifier->license-symbol id)
  "Return the name of the variable of this module for the SPDX identifier
ID (\"MIT\", \"GPL-3.0-or-later\", \"LGPL-2.1+\"...), or #f if ID is not
known."
  (define (strip suffix str)
    (and (string-suffix? suffix str)
         (string-drop-right str (string-length suffix))))
  (let* ((id (string-downcase id))
         (base (or (strip "+" id) (strip "-or-later" id) (strip "-only" id)
                   id))
         (later? (or (string-suffix? "+" id) (string-suffix? "-or-later" id)))
         (symbol (assoc-ref %spdx-licenses base)))
    (cond ((not symbol) #f)
          ((not later?) symbol)
          (else (or (assq-ref %or-later symbol)
                    ;; "MIT+" and the like: the license has no later
                    ;; versions to choose from.
                    symbol)))))


;;;
;;; SPDX expressions.
;;;

(define-condition-type &spdx-error &error
  spdx-error?
  (expression spdx-error-expression))

(define (spdx-error expression fmt . args)
  (raise (make-compound-condition
          (make-condition &spdx-error 'expression expression)
          (make-condition &message 'message
                          (format #f "invalid SPDX license expression ~s: ~a"
                                  expression (apply format #f fmt args))))))

(define (identifier-char? c)
  (or (char-alphabetic? c) (char-numeric? c) (memv c '(#\- #\. #\+ #\:))))

(define (tokenize expression)
  "Return the tokens of EXPRESSION: strings for identifiers, and the symbols
or, and, with, open and close."
  (let loop ((i 0) (tokens '()))
    (cond
     ((= i (string-length expression)) (reverse tokens))
     ((char-whitespace? (string-ref expression i)) (loop (+ i 1) tokens))
     ((char=? #\( (string-ref expression i)) (loop (+ i 1) (cons 'open tokens)))
     ((char=? #\) (string-ref expression i)) (loop (+ i 1) (cons 'close tokens)))
     ((char=? #\/ (string-ref expression i)) (loop (+ i 1) (cons 'or tokens)))
     ((identifier-char? (string-ref expression i))
      (let* ((end (or (string-index expression
                                    (lambda (c) (not (identifier-char? c)))
                                    i)
                      (string-length expression)))
             (word (substring expression i end)))
        (loop end
              (cons (match word
                      ((or "OR" "or") 'or)
                      ((or "AND" "and") 'and)
                      ((or "WITH" "with") 'with)
                      (_ word))
                    tokens))))
     (else
      (spdx-error expression "unexpected character ~s at position ~a"
                  (string-ref expression i) i)))))

(define (parse-spdx-expression expression)
  "Parse EXPRESSION, an SPDX license expression such as \"MIT OR
Apache-2.0\", and return its tree (see the commentary).  Raise an
&spdx-error for a malformed one."
  (define (describe token)
    (match token
      ((? string?) (format #f "~s" token))
      ('open "\"(\"")
      ('close "\")\"")
      (_ (string-upcase (symbol->string token)))))
  ;; Each parser takes the tokens and returns (values TREE REST).
  (define (parse-or tokens)
    (let-values (((first rest) (parse-and tokens)))
      (let loop ((terms (list first)) (rest rest))
        (match rest
          (('or . rest)
           (let-values (((term rest) (parse-and rest)))
             (loop (cons term terms) rest)))
          (_ (values (if (null? (cdr terms))
                         (car terms)
                         (cons 'or (reverse terms)))
                     rest))))))
  (define (parse-and tokens)
    (let-values (((first rest) (parse-with tokens)))
      (let loop ((terms (list first)) (rest rest))
        (match rest
          (('and . rest)
           (let-values (((term rest) (parse-with rest)))
             (loop (cons term terms) rest)))
          (_ (values (if (null? (cdr terms))
                         (car terms)
                         (cons 'and (reverse terms)))
                     rest))))))
  (define (parse-with tokens)
    (let-values (((term rest) (parse-primary tokens)))
      (match rest
        (('with (? string? exception) . rest)
         (unless (string? term)
           (spdx-error expression "WITH applies to a license identifier, \
not to a parenthesized expression"))
         (values (list 'with term exception) rest))
        (('with . rest)
         (spdx-error expression "WITH must be followed by an exception \
identifier"))
        (_ (values term rest)))))
  (define (parse-primary tokens)
    (match tokens
      (((? string? id) . rest) (values id rest))
      (('open . rest)
       (let-values (((tree rest) (parse-or rest)))
         (match rest
           (('close . rest) (values tree rest))
           (_ (spdx-error expression "missing \")\"")))))
      ((token . _)
       (spdx-error expression "expected a license identifier, found ~a"
                   (describe token)))
      (()
       (spdx-error expression "expected a license identifier at the end"))))
  (let-values (((tree rest) (parse-or (tokenize expression))))
    (match rest
      (() tree)
      ((token . _)
       (spdx-error expression "unexpected ~a" (describe token))))))

(define (spdx-expression-leaves tree)
  "Return the license terms of TREE, left to right, without duplicates:
identifiers, and (with ID EXCEPTION) lists."
  (delete-duplicates
   (let loop ((tree tree))
     (match tree
       ((? string?) (list tree))
       (('with _ _) (list tree))
       (((or 'or 'and) terms ...) (append-map loop terms))))))

(define* (spdx-expression->license-sexp tree #:key (prefix 'license:))
  "Return two values: an expression for the license field of a package
under TREE, a parsed SPDX expression (variables of this module named with
PREFIX: license:expat, (list license:expat license:asl2.0)...), and the
list of the identifiers that are not known (kept as (PREFIX unknown
\"ID\"))."
  (define (var symbol)
    (symbol-append prefix symbol))
  (define unknowns '())
  (define (leaf->sexp leaf)
    (match leaf
      ((? string? id)
       (match (spdx-identifier->license-symbol id)
         (#f (set! unknowns (cons id unknowns))
             `(,(var 'unknown) ,id))
         (symbol (var symbol))))
      (('with term exception)
       `(,(var 'with-exception) ,(leaf->sexp term) ,exception))))
  (let* ((sexps (delete-duplicates (map leaf->sexp
                                        (spdx-expression-leaves tree))))
         (sexp (match sexps
                 ((one) one)
                 (several `(list ,@several)))))
    (values sexp (reverse unknowns))))

(define* (spdx-string->license-sexp expression #:key (prefix 'license:))
  "Like 'spdx-expression->license-sexp', for EXPRESSION, a string.  A
malformed EXPRESSION is kept whole as (PREFIX unknown EXPRESSION) and
returned as the unknown identifier."
  (guard (c ((spdx-error? c)
             (values `(,(symbol-append prefix 'unknown) ,expression)
                     (list expression))))
    (spdx-expression->license-sexp (parse-spdx-expression expression)
                                   #:prefix prefix)))

(define (spdx-string->license expression)
  "Return the license, or list of licenses, of EXPRESSION, an SPDX license
expression.  Unknown identifiers become (unknown ID) licenses; a malformed
EXPRESSION raises an &spdx-error."
  (define module (resolve-module '(ferrix licenses)))
  (define (leaf->license leaf)
    (match leaf
      ((? string? id)
       (match (spdx-identifier->license-symbol id)
         (#f (unknown id))
         (symbol (module-ref module symbol))))
      (('with term exception)
       (with-exception (leaf->license term) exception))))
  (match (map leaf->license
              (spdx-expression-leaves (parse-spdx-expression expression)))
    ((one) one)
    (several several)))

;;; licenses.scm ends here

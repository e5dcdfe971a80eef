;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of (ferrix licenses): the license records and the SPDX expression
;;; parser and mapper.

(use-modules (ferrix tests)
             (ferrix licenses)
             (srfi srfi-1)
             (srfi srfi-11)
             (srfi srfi-34)
             (srfi srfi-35)
             (srfi srfi-64))

(define (sexp+unknowns expression)
  (call-with-values (lambda () (spdx-string->license-sexp expression))
    list))

(define (spdx-error-message expression)
  (guard (c ((spdx-error? c)
             (list (spdx-error-expression c) (condition-message c))))
    (parse-spdx-expression expression)
    #f))

(test-begin "licenses")

(test-group "records"
  (test-assert "expat is a license" (license? expat))
  (test-equal "names as Guix's" '("Expat" "ASL 2.0" "GPL 3+" "Zero-Clause BSD")
    (map license-name (list expat asl2.0 gpl3+ bsd-0)))
  (test-assert "every license has a URI and a comment"
    (every (lambda (l) (and (string? (license-uri l))
                            (string? (license-comment l))))
           (list agpl3 agpl3+ artistic2.0 asl1.1 asl2.0 boost1.0 bsd-0 bsd-2
                 bsd-3 bsd-4 cc0 cc-by3.0 cc-by4.0 cc-by-sa4.0 cddl1.0
                 clarified-artistic curl epl1.0 epl2.0 expat expat-0 gpl2
                 gpl2+ gpl3 gpl3+ isc lgpl2.0 lgpl2.0+ lgpl2.1 lgpl2.1+ lgpl3
                 lgpl3+ mpl1.1 mpl2.0 ncsa openssl psfl unicode unlicense
                 wtfpl2 x11 zlib zpl2.1)))
  (test-equal "with-exception keeps the exception in name and comment"
    '("ASL 2.0 WITH LLVM-exception" #t)
    (let ((l (with-exception asl2.0 "LLVM-exception")))
      (list (license-name l)
            (and (string-contains (license-comment l) "LLVM-exception") #t))))
  (test-equal "unknown keeps the identifier"
    '("Foo-1.0" "https://spdx.org/licenses/Foo-1.0.html")
    (let ((l (unknown "Foo-1.0")))
      (list (license-name l) (license-uri l)))))

(test-group "identifiers"
  (test-equal "common crate licenses"
    '(expat asl2.0 bsd-2 bsd-3 isc zlib unlicense mpl2.0 cc0 boost1.0 unicode
            unicode bsd-0 expat-0)
    (map spdx-identifier->license-symbol
         '("MIT" "Apache-2.0" "BSD-2-Clause" "BSD-3-Clause" "ISC" "Zlib"
           "Unlicense" "MPL-2.0" "CC0-1.0" "BSL-1.0" "Unicode-DFS-2016"
           "Unicode-3.0" "0BSD" "MIT-0")))
  (test-equal "GNU licenses: -only, -or-later, + and the deprecated bare form"
    '(gpl2 gpl2+ gpl2+ gpl3 gpl3+ lgpl2.1 lgpl2.1+ lgpl3+ agpl3 agpl3+ gpl2)
    (map spdx-identifier->license-symbol
         '("GPL-2.0-only" "GPL-2.0-or-later" "GPL-2.0+" "GPL-3.0" "GPL-3.0+"
           "LGPL-2.1-only" "LGPL-2.1+" "LGPL-3.0-or-later" "AGPL-3.0-only"
           "AGPL-3.0-or-later" "GPL-2.0")))
  (test-equal "case does not matter" 'expat
    (spdx-identifier->license-symbol "mit"))
  (test-equal "unknown identifiers" '(#f #f)
    (map spdx-identifier->license-symbol '("Foo-1.0" "LicenseRef-Bar"))))

(test-group "expressions"
  (test-equal "single" "MIT" (parse-spdx-expression "MIT"))
  (test-equal "OR" '(or "MIT" "Apache-2.0")
    (parse-spdx-expression "MIT OR Apache-2.0"))
  (test-equal "deprecated slash is OR" '(or "MIT" "Apache-2.0")
    (parse-spdx-expression "MIT/Apache-2.0"))
  (test-equal "AND binds tighter than OR"
    '(or "MIT" (and "Apache-2.0" "ISC"))
    (parse-spdx-expression "MIT OR Apache-2.0 AND ISC"))
  (test-equal "parentheses"
    '(and (or "MIT" "Apache-2.0") "Unicode-DFS-2016")
    (parse-spdx-expression "(MIT OR Apache-2.0) AND Unicode-DFS-2016"))
  (test-equal "WITH binds tightest"
    '(or (with "Apache-2.0" "LLVM-exception") "MIT")
    (parse-spdx-expression "Apache-2.0 WITH LLVM-exception OR MIT"))
  (test-equal "plus suffix kept in the identifier" '(or "GPL-2.0+" "MIT")
    (parse-spdx-expression "GPL-2.0+ OR MIT"))
  (test-equal "lower-case operators of old crates" '(or "MIT" "Apache-2.0")
    (parse-spdx-expression "MIT or Apache-2.0"))
  (test-equal "leaves, without duplicates"
    '("MIT" "Apache-2.0" (with "Apache-2.0" "LLVM-exception"))
    (spdx-expression-leaves
     (parse-spdx-expression
      "(MIT OR Apache-2.0) AND (MIT OR Apache-2.0 WITH LLVM-exception)"))))

(test-group "malformed expressions"
  (for-each (lambda (expression)
              (test-assert (string-append "rejected: " expression)
                (let ((result (spdx-error-message expression)))
                  (and result
                       (equal? expression (car result))
                       (string-contains (cadr result) expression)))))
            '("" "MIT OR" "(MIT" "MIT)" "MIT Apache-2.0" "MIT WITH"
              "(MIT OR ISC) WITH LLVM-exception" "MIT, Apache-2.0" "AND MIT"))
  (test-assert "the reason is given"
    (string-contains (cadr (spdx-error-message "(MIT OR ISC"))
                     "missing \")\"")))

(test-group "mapping to license expressions"
  (test-equal "single" '(license:expat ()) (sexp+unknowns "MIT"))
  (test-equal "dual" '((list license:expat license:asl2.0) ())
    (sexp+unknowns "MIT OR Apache-2.0"))
  (test-equal "duplicates once" '((list license:expat license:asl2.0) ())
    (sexp+unknowns "MIT/Apache-2.0 OR MIT"))
  (test-equal "exception kept"
    '((list (license:with-exception license:asl2.0 "LLVM-exception")
            license:asl2.0 license:expat)
      ())
    (sexp+unknowns "Apache-2.0 WITH LLVM-exception OR Apache-2.0 OR MIT"))
  (test-equal "unknown identifiers flagged, not dropped"
    '((list (license:unknown "Foo-1.0") license:expat) ("Foo-1.0"))
    (sexp+unknowns "Foo-1.0 OR MIT"))
  (test-equal "a malformed expression is kept whole"
    '((license:unknown "MIT OR") ("MIT OR"))
    (sexp+unknowns "MIT OR"))
  (test-equal "another prefix" '(l:gpl3+ ())
    (call-with-values
        (lambda () (spdx-string->license-sexp "GPL-3.0-or-later"
                                              #:prefix 'l:))
      list))
  (test-equal "license values"
    (list expat asl2.0)
    (spdx-string->license "MIT OR Apache-2.0"))
  (test-equal "license values: WITH and unknown"
    '("ASL 2.0 WITH LLVM-exception" "Foo-1.0")
    (map license-name
         (spdx-string->license "Apache-2.0 WITH LLVM-exception AND Foo-1.0")))
  (test-eq "a single license value" gpl2+
    (spdx-string->license "GPL-2.0-or-later")))

(test-end "licenses")

(exit-with-test-status)

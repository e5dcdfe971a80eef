;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of (ferrix semver): the Scheme interface over the core's semantic
;;; versions and cargo requirements (tests/unit/semver.cc checks the rules
;;; in depth).

(use-modules (ferrix tests)
             (ferrix semver)
             (srfi srfi-64))

(test-begin "semver")

(test-group "comparison"
  (test-equal "compare" '(-1 0 1 -1 0)
    (list (semver-compare "1.0.0" "1.0.1")
          (semver-compare "1.2.3" "1.2.3")
          (semver-compare "2.0.0" "1.99.99")
          (semver-compare "1.0.0-rc.1" "1.0.0")
          (semver-compare "1.0.0+a" "1.0.0+b")))
  (test-equal "sort by semver<?"
    '("0.9.0" "1.0.0-alpha" "1.0.0-alpha.1" "1.0.0-beta.2" "1.0.0-beta.11"
      "1.0.0" "1.2.0" "1.10.0")
    (sort '("1.10.0" "1.0.0" "1.0.0-beta.11" "0.9.0" "1.2.0" "1.0.0-alpha.1"
            "1.0.0-beta.2" "1.0.0-alpha")
          semver<?))
  (test-assert "valid" (semver-valid? "1.2.3-rc.1+build.7"))
  (test-assert "not valid: partial" (not (semver-valid? "1.2")))
  (test-assert "not valid: leading zero" (not (semver-valid? "1.02.3")))
  (test-assert "requirement valid" (semver-requirement-valid? ">= 1.2, < 2"))
  (test-assert "requirement not valid" (not (semver-requirement-valid? "~>1")))
  (test-equal "an invalid version raises a ferrix-error naming it"
    '(format-error "invalid version '1.x.0': expected the minor version number, found 'x'")
    (ferrix-error-of (lambda () (semver-compare "1.x.0" "1.0.0")))))

(test-group "requirements"
  (test-assert "caret by default" (semver-requirement-match? "1.2" "1.9.0"))
  (test-assert "caret: not the next major"
    (not (semver-requirement-match? "1.2" "2.0.0")))
  (test-assert "caret on 0.x" (not (semver-requirement-match? "^0.2.3" "0.3.0")))
  (test-assert "tilde" (not (semver-requirement-match? "~1.2.3" "1.3.0")))
  (test-assert "wildcard" (semver-requirement-match? "1.*" "1.7.2"))
  (test-assert "comma is AND"
    (not (semver-requirement-match? ">=1.2, <1.5" "1.5.0")))
  (test-assert "prerelease needs a prerelease comparator"
    (not (semver-requirement-match? ">=1.0" "1.1.0-alpha")))
  (test-assert "prerelease of the same version"
    (semver-requirement-match? ">=1.1.0-alpha" "1.1.0-beta"))
  (test-equal "an invalid requirement raises"
    '(format-error "invalid version requirement '>= 1 < 2': expected ',' \
between comparators, found '<'")
    (ferrix-error-of (lambda () (semver-requirement-match? ">= 1 < 2" "1.0.0")))))

(test-group "compatibility and selection"
  (test-equal "compatible?" '(#t #f #t #f #f)
    (list (semver-compatible? "1.0.0" "1.7.0")
          (semver-compatible? "1.0.0" "2.0.0")
          (semver-compatible? "0.3.1" "0.3.9")
          (semver-compatible? "0.3.1" "0.4.0")
          (semver-compatible? "0.0.1" "0.0.2")))
  (define versions '("1.0.0" "1.2.0" "2.0.0-rc.1" "1.10.1" "2.0.0" "0.9.9"))
  (test-equal "newest compatible" "1.10.1"
    (newest-matching-version versions "^1.0.0"))
  (test-equal "newest" "2.0.0" (newest-matching-version versions "*"))
  (test-equal "none" #f (newest-matching-version versions ">=3"))
  (test-equal "none in an empty list" #f (newest-matching-version '() "*")))

(test-end "semver")
(exit-with-test-status)

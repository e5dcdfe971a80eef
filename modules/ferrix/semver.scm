;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix semver): semantic versions and cargo's version requirements.
;;; The work is the core's (ferrix/cargo/semver.hh).

(define-module (ferrix semver)
  #:export (semver<?
            semver-compare
            semver-valid?
            semver-requirement-valid?
            semver-requirement-match?
            semver-compatible?
            newest-matching-version))

;;; Commentary:
;;;
;;; Versions are strings, compared by SemVer 2.0 precedence (prereleases
;;; before their release, build metadata ignored).  Requirements are cargo's:
;;; "1.2" means "^1.2", and a prerelease only matches a requirement that
;;; names the same MAJOR.MINOR.PATCH with a prerelease.  An invalid version
;;; or requirement raises a ferrix-error naming it.
;;;
;;; Code:

(eval-when (expand load eval)
  (load-extension "libguile-ferrix" "init_ferrix_registry"))

(define (semver-compare a b)
  "Return -1, 0 or 1 as version A precedes, equals or follows version B."
  (%semver-compare a b))

(define (semver<? a b)
  "Return true if version A precedes version B."
  (< (%semver-compare a b) 0))

(define (semver-valid? str)
  "Return true if STR is a valid semantic version, MAJOR.MINOR.PATCH with an
optional -PRERELEASE and +BUILD."
  (%semver-valid? str))

(define (semver-requirement-valid? str)
  "Return true if STR is a valid cargo version requirement."
  (%semver-requirement-valid? str))

(define (semver-requirement-match? requirement version)
  "Return true if VERSION satisfies cargo's version REQUIREMENT."
  (%semver-requirement-match? requirement version))

(define (semver-compatible? a b)
  "Return true if versions A and B are compatible in cargo's sense: the same
major version, or the same 0.MINOR, or the same 0.0.PATCH."
  (%semver-compatible? a b))

(define (newest-matching-version versions requirement)
  "Return the newest of VERSIONS (strings) that REQUIREMENT matches, or #f."
  (%semver-newest-matching versions requirement))

;;; semver.scm ends here

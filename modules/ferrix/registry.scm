;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix registry): the client of cargo registries served over the
;;; sparse protocol, such as crates.io or one made by `ferrix registry
;;; export`.  The work is the core's (ferrix/cargo/registry.hh).

(define-module (ferrix registry)
  #:use-module (ferrix semver)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-9)
  #:use-module ((srfi srfi-9 gnu) #:select (set-record-type-printer!))
  #:use-module (ice-9 match)
  #:export (%default-registry
            open-registry
            registry?
            registry-url
            registry-download-url
            registry-api-url

            lookup-crate
            registry-prefetch
            crate?
            crate-name
            crate-description
            crate-home-page
            crate-repository
            crate-documentation
            crate-versions
            crate-version
            crate-newest-version

            crate-version?
            crate-version-name
            crate-version-number
            crate-version-yanked?
            crate-version-license
            crate-version-checksum
            crate-version-features
            crate-version-links
            crate-version-dependencies
            crate-version-rust-version
            crate-version-size

            crate-dependency?
            crate-dependency-name
            crate-dependency-key
            crate-dependency-requirement
            crate-dependency-kind
            crate-dependency-optional?
            crate-dependency-default-features?
            crate-dependency-features
            crate-dependency-target
            crate-dependency-registry))

;;; Commentary:
;;;
;;; A registry is named by its index URL, "sparse+https://HOST/PATH/" (plain
;;; http(s) URLs are taken as sparse indexes too).  Its config.json, index
;;; files and web API answers are fetched once per process.  A crate merges
;;; the index (versions, dependencies, features, yanked, checksums) with the
;;; web API (description, home page, licenses...) when the registry has one;
;;; without it those fields are #f.  Errors (unreachable registry, HTTP 500
;;; after retries, malformed JSON) raise a ferrix-error naming the URL; a
;;; crate that is not in the registry is #f.
;;;
;;; Code:

(eval-when (expand load eval)
  (load-extension "libguile-ferrix" "init_ferrix_registry"))

(define %default-registry
  ;; The index URL of the registry used when none is given.
  (make-parameter "sparse+https://index.crates.io/"))

(define-record-type <registry>
  (make-registry url)
  registry?
  (url registry-url))                     ;normalised: "sparse+URL/"

(set-record-type-printer! <registry>
  (lambda (registry port)
    (format port "#<registry ~a>" (registry-url registry))))

(define* (open-registry #:optional (url (%default-registry)))
  "Return the registry whose index is at URL."
  (make-registry (%registry-normalize-url url)))

(define (registry-download-url registry name version)
  "Return the URL of the .crate of NAME at VERSION in REGISTRY."
  (%registry-download-url (registry-url registry) name version))

(define (registry-api-url registry)
  "Return the base URL of REGISTRY's web API, or #f if it has none."
  (cdr (%registry-config (registry-url registry))))

(define-record-type <crate>
  (make-crate name description home-page repository documentation versions)
  crate?
  (name          crate-name)
  (description   crate-description)       ;string | #f
  (home-page     crate-home-page)         ;string | #f
  (repository    crate-repository)        ;string | #f
  (documentation crate-documentation)     ;string | #f
  (versions      crate-versions))         ;<crate-version>, newest first

(set-record-type-printer! <crate>
  (lambda (crate port)
    (format port "#<crate ~a>" (crate-name crate))))

(define-record-type <crate-version>
  (make-crate-version name number yanked? license checksum features links
                      dependencies rust-version size)
  crate-version?
  (name         crate-version-name)
  (number       crate-version-number)
  (yanked?      crate-version-yanked?)
  (license      crate-version-license)    ;SPDX string | #f
  (checksum     crate-version-checksum)   ;sha256 of the .crate, base16
  (features     crate-version-features)   ;((NAME VALUE ...) ...)
  (links        crate-version-links)      ;string | #f
  (dependencies crate-version-dependencies)
  (rust-version crate-version-rust-version) ;string | #f
  (size         crate-version-size))      ;bytes | #f

(set-record-type-printer! <crate-version>
  (lambda (version port)
    (format port "#<crate-version ~a ~a~a>"
            (crate-version-name version) (crate-version-number version)
            (if (crate-version-yanked? version) " (yanked)" ""))))

(define-record-type <crate-dependency>
  (make-crate-dependency name key requirement kind optional? default-features?
                         features target registry)
  crate-dependency?
  (name              crate-dependency-name)        ;the real crate name
  (key               crate-dependency-key)         ;as written (renames)
  (requirement       crate-dependency-requirement)
  (kind              crate-dependency-kind)        ;'normal, 'build or 'dev
  (optional?         crate-dependency-optional?)
  (default-features? crate-dependency-default-features?)
  (features          crate-dependency-features)
  (target            crate-dependency-target)      ;string | #f
  (registry          crate-dependency-registry))   ;index URL | #f (same)

(set-record-type-printer! <crate-dependency>
  (lambda (dep port)
    (format port "#<crate-dependency ~a ~a ~a>" (crate-dependency-name dep)
            (crate-dependency-requirement dep) (crate-dependency-kind dep))))

(define (list->crate lst)
  (match lst
    ((name description home-page repository documentation versions)
     (make-crate name description home-page repository documentation
                 (map (match-lambda
                        ((number yanked? license checksum features links deps
                                 rust-version size)
                         (make-crate-version
                          name number yanked? license checksum features links
                          (map (lambda (dep)
                                 (apply make-crate-dependency dep))
                               deps)
                          rust-version size)))
                      versions)))))

(define* (lookup-crate registry name #:key (metadata? #t))
  "Return the crate NAME of REGISTRY, or #f if REGISTRY does not have it.
Without METADATA?, only the index is read (no description, no licenses)."
  (match (%registry-lookup (registry-url registry) name metadata?)
    (#f #f)
    (lst (list->crate lst))))

(define (registry-prefetch registry names)
  "Fetch the index files of the crates NAMES of REGISTRY at once (many
transfers in parallel), so that 'lookup-crate' then finds them in memory.
Errors are raised later, by 'lookup-crate' for the crate concerned."
  (%registry-prefetch (registry-url registry) names))

(define (crate-version crate number)
  "Return the version NUMBER (a string) of CRATE, or #f."
  (find (lambda (v) (string=? (crate-version-number v) number))
        (crate-versions crate)))

(define* (crate-newest-version crate #:optional (requirement "*")
                               #:key allow-yanked?)
  "Return the newest version of CRATE that REQUIREMENT matches, skipping
yanked versions unless ALLOW-YANKED?, or #f."
  (let* ((candidates (filter (lambda (v)
                               (or allow-yanked?
                                   (not (crate-version-yanked? v))))
                             (crate-versions crate)))
         (valid (filter (compose semver-valid? crate-version-number)
                        candidates))
         (best (newest-matching-version (map crate-version-number valid)
                                        requirement)))
    (and best (crate-version crate best))))

;;; registry.scm ends here

;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of (ferrix registry) against a real HTTP server (tests/lib/httpd.py
;;; on 127.0.0.1) serving a small hand-made sparse registry: crates.io-shaped
;;; web API reached by redirect (as a static registry serves it), yanked
;;; versions, prereleases, renamed, target-specific and dev dependencies,
;;; "features2", a crate missing from the API, a malformed index line, a
;;; malformed API answer, an index file answering 500, transient failures
;;; (503, reset, truncated body) retried, a crate that is not there, a
;;; registry without config.json, and prefetching.

(use-modules (ferrix tests)
             (ferrix registry)
             (srfi srfi-1)
             (srfi srfi-64)
             (ice-9 match)
             (ice-9 rdelim)
             (ice-9 textual-ports))

(define %tmp (test-directory "registry"))
(define %root (string-append %tmp "/www"))
(define %httpd.py
  (string-append (dirname (dirname (current-filename))) "/lib/httpd.py"))

;; Two attempts, quick retries: the 500 test stays short.
(define %config (string-append %tmp "/config.toml"))
(call-with-output-file %config
  (lambda (port)
    (display "[fetch]\nattempts = 2\nretry-delay = 0.05\n" port)))
(setenv "FERRIX_CONFIG" %config)

(define (write-file file contents)
  (let ((dir (dirname file)))
    (unless (file-exists? dir)
      (system* "mkdir" "-p" dir)))
  (call-with-output-file file (lambda (port) (display contents port))))

(define (www file contents)
  (write-file (string-append %root "/" file) contents))

(define (lines . strings)
  (string-join strings "\n" 'suffix))

;;; The server.

(www "index.html" "")
(define %state (string-append %tmp "/httpd"))
(mkdir %state)
(define %log (string-append %state "/requests.log"))

(define %httpd-pid
  (match (primitive-fork)
    (0
     (execlp "python3" "python3" %httpd.py "--root" %root
             "--port-file" (string-append %state "/port") "--log" %log
             "--max-seconds" "120"
             "--fault" "/index/bo/om/boom=status:500"
             "--fault" "/index/fl/ak/flaky=status:503:1"
             "--fault" "/index/tr/un/trunc=truncate:20:1"
             "--fault" "/api/v1/crates/flaky/=reset:1"))
    (pid pid)))

(define %port
  (let loop ((i 0))
    (let ((file (string-append %state "/port")))
      (cond ((and (file-exists? file) (> (stat:size (stat file)) 0))
             (string-trim-both (call-with-input-file file get-string-all)))
            ;; Python can take seconds to start on a loaded machine.
            ((> i 2400) (error "httpd.py gave no port within two minutes"))
            (else (usleep 50000) (loop (+ i 1)))))))

(define %base (string-append "http://127.0.0.1:" %port))

(define (request-log)
  (call-with-input-file %log
    (lambda (port)
      (let loop ((lines '()))
        (match (read-line port)
          ((? eof-object?) (reverse lines))
          (line (loop (cons line lines))))))))

;;; The registry.

(define ck1 "1111111111111111111111111111111111111111111111111111111111111111")
(define ck2 "2222222222222222222222222222222222222222222222222222222222222222")

(www "index/config.json"
     (format #f "{\"dl\":\"~a/api/v1/crates\",\"api\":\"~a\"}" %base %base))
(www "index/3/f/foo"
     (lines
      (string-append "{\"name\":\"foo\",\"vers\":\"1.0.0\",\"deps\":[],\"cksum\":\""
                     ck1 "\",\"features\":{},\"yanked\":false}")
      ""
      (string-append "{\"name\":\"foo\",\"vers\":\"1.2.0\",\"deps\":["
                     "{\"name\":\"serde1\",\"package\":\"serde\",\"req\":\"^1.0.100\","
                     "\"features\":[\"derive\"],\"optional\":true,"
                     "\"default_features\":false,\"target\":null,\"kind\":\"normal\"},"
                     "{\"name\":\"libc\",\"req\":\"^0.2\",\"features\":[],"
                     "\"optional\":false,\"default_features\":true,"
                     "\"target\":\"cfg(unix)\",\"kind\":\"normal\"},"
                     "{\"name\":\"cc\",\"req\":\"^1\",\"features\":[],"
                     "\"optional\":false,\"default_features\":true,"
                     "\"target\":null,\"kind\":\"build\"},"
                     "{\"name\":\"quickcheck\",\"req\":\"=1.0.3\",\"features\":[],"
                     "\"optional\":false,\"default_features\":true,"
                     "\"target\":null,\"kind\":\"dev\"}],"
                     "\"cksum\":\"" ck2 "\","
                     "\"features\":{\"default\":[\"std\"],\"std\":[]},"
                     "\"features2\":{\"serde\":[\"dep:serde1\"]},"
                     "\"yanked\":false,\"links\":\"foo\",\"rust_version\":\"1.60\",\"v\":2}")
      (string-append "{\"name\":\"foo\",\"vers\":\"1.3.0\",\"deps\":[],\"cksum\":\""
                     ck1 "\",\"features\":{},\"yanked\":true}")
      (string-append "{\"name\":\"foo\",\"vers\":\"2.0.0\",\"deps\":[],\"cksum\":\""
                     ck1 "\",\"features\":{},\"yanked\":false}")
      (string-append "{\"name\":\"foo\",\"vers\":\"2.0.0-rc.1\",\"deps\":[],\"cksum\":\""
                     ck1 "\",\"features\":{},\"yanked\":false}")
      ;; A format this client does not know: skipped, as cargo does.
      "{\"name\":\"foo\",\"vers\":\"3.0.0\",\"v\":3,\"whatever\":1}"))
;; crates.io's JSON, as a static registry serves it: NAME/index.html.
(www "api/v1/crates/foo/index.html"
     "{\"crate\":{\"id\":\"foo\",\"name\":\"foo\",\"description\":\"The foo crate\",
\"homepage\":\"https://foo.example\",\"repository\":\"https://git.example/foo\",
\"documentation\":null,\"max_version\":\"2.0.0\"},
\"versions\":[{\"num\":\"2.0.0\",\"yanked\":false,\"license\":\"MIT\",\"crate_size\":123},
{\"num\":\"1.2.0\",\"yanked\":false,\"license\":\"MIT OR Apache-2.0\",\"crate_size\":456},
{\"num\":\"1.0.0\",\"yanked\":false,\"license\":null},
{\"num\":\"0.1.0\",\"yanked\":false,\"license\":\"GPL-3.0\"}]}")
(www "index/2/ab"
     (string-append "{\"name\":\"ab\",\"vers\":\"0.1.0\",\"deps\":[],\"cksum\":\""
                    ck1 "\",\"features\":{}}\n"))
(www "index/3/a/ab2"
     (string-append "{\"name\":\"ab2\",\"vers\":\"0.1.0\",\"deps\":[],\"cksum\":\""
                    ck1 "\",\"features\":{}}\n"))
(www "api/v1/crates/ab2/index.html"
     "{\"crate\":{\"name\":\"ab2\",\"description\":\"d\"},\"versions\":[]}")
(www "index/3/b/bad"
     (lines
      (string-append "{\"name\":\"bad\",\"vers\":\"0.1.0\",\"deps\":[],\"cksum\":\""
                     ck1 "\",\"features\":{}}")
      "{\"name\":\"bad\",\"vers\":\"0.2.0\",\"deps\":[}"))
(www "index/od/da/oddapi"
     (string-append "{\"name\":\"oddapi\",\"vers\":\"0.1.0\",\"deps\":[],\"cksum\":\""
                    ck1 "\",\"features\":{}}\n"))
(www "api/v1/crates/oddapi/index.html" "{\"crate\": [1, 2")
(www "index/bo/om/boom" "")
(for-each (lambda (name)
            (www (string-append "index/" (substring name 0 2) "/"
                                (substring name 2 4) "/" name)
                 (string-append "{\"name\":\"" name
                                "\",\"vers\":\"1.0.0\",\"deps\":[],\"cksum\":\""
                                ck1 "\",\"features\":{}}\n")))
          '("flaky" "trunc"))
(www "api/v1/crates/flaky/index.html"
     "{\"crate\":{\"name\":\"flaky\",\"description\":\"Flaky\"},\"versions\":[]}")

;; A second registry: no web API, a dl template with markers.
(www "index2/config.json"
     (format #f "{\"dl\":\"~a/dl/{lowerprefix}/{crate}-{version}-{sha256-checksum}.crate\"}"
             %base))
(www "index2/3/f/foo"
     (string-append "{\"name\":\"foo\",\"vers\":\"1.0.0\",\"deps\":[],\"cksum\":\""
                    ck1 "\",\"features\":{},\"yanked\":false}\n"))

;; A third registry, for prefetching.
(www "index3/config.json" (format #f "{\"dl\":\"~a/dl\"}" %base))
(for-each (lambda (name)
            (www (string-append "index3/" (substring name 0 2) "/"
                                (substring name 2 4) "/" name)
                 (string-append "{\"name\":\"" name
                                "\",\"vers\":\"1.0.0\",\"deps\":[],\"cksum\":\""
                                ck1 "\",\"features\":{}}\n")))
          '("pre1" "pre2" "pre3" "pre4"))
(www "index3/ba/dd/baddy" "not json\n")

(define %registry (open-registry (string-append %base "/index")))
(define %registry2 (open-registry (string-append "sparse+" %base "/index2/")))

(test-begin "registry")

(test-group "registries"
  (test-equal "URL normalised" (string-append "sparse+" %base "/index/")
    (registry-url %registry))
  (test-equal "default registry" "sparse+https://index.crates.io/"
    (registry-url (open-registry)))
  (test-equal "unsupported URL"
    "unsupported registry URL 'git://example.org/index': expected a sparse \
index, sparse+http(s)://HOST/PATH/"
    (cadr (ferrix-error-of (lambda () (open-registry "git://example.org/index")))))
  (test-equal "API URL" %base (registry-api-url %registry))
  (test-equal "no API" #f (registry-api-url %registry2))
  (test-equal "download URL without markers"
    (string-append %base "/api/v1/crates/foo/1.2.0/download")
    (registry-download-url %registry "foo" "1.2.0"))
  (test-equal "download URL with markers (the checksum from the index)"
    (string-append %base "/dl/3/f/foo-1.0.0-" ck1 ".crate")
    (registry-download-url %registry2 "foo" "1.0.0"))
  (test-assert "download URL of a version the index lacks"
    (string-contains (cadr (ferrix-error-of
                            (lambda ()
                              (registry-download-url %registry2 "foo" "9.9.9"))))
                     "crate 'foo' has no version 9.9.9")))

(define foo (lookup-crate %registry "foo"))

(test-group "a crate, index and API merged"
  (test-assert "crate" (crate? foo))
  (test-equal "name" "foo" (crate-name foo))
  (test-equal "metadata"
    '("The foo crate" "https://foo.example" "https://git.example/foo" #f)
    (list (crate-description foo) (crate-home-page foo) (crate-repository foo)
          (crate-documentation foo)))
  (test-equal "versions, newest first, the v3 line skipped"
    '("2.0.0" "2.0.0-rc.1" "1.3.0" "1.2.0" "1.0.0")
    (map crate-version-number (crate-versions foo)))
  (test-equal "yanked" '(#f #f #t #f #f)
    (map crate-version-yanked? (crate-versions foo)))
  (test-equal "licenses from the API" '("MIT" #f #f "MIT OR Apache-2.0" #f)
    (map crate-version-license (crate-versions foo)))
  (test-equal "sizes from the API" '(123 #f #f 456 #f)
    (map crate-version-size (crate-versions foo)))
  (test-equal "version name" "foo"
    (crate-version-name (crate-version foo "1.2.0")))
  (let ((v (crate-version foo "1.2.0")))
    (test-equal "checksum" ck2 (crate-version-checksum v))
    (test-equal "features and features2 merged"
      '(("default" "std") ("serde" "dep:serde1") ("std"))
      (crate-version-features v))
    (test-equal "links and rust-version" '("foo" "1.60")
      (list (crate-version-links v) (crate-version-rust-version v)))
    (test-equal "dependencies"
      '(("serde" "serde1" "^1.0.100" normal #t #f ("derive") #f)
        ("libc" "libc" "^0.2" normal #f #t () "cfg(unix)")
        ("cc" "cc" "^1" build #f #t () #f)
        ("quickcheck" "quickcheck" "=1.0.3" dev #f #t () #f))
      (map (lambda (d)
             (list (crate-dependency-name d) (crate-dependency-key d)
                   (crate-dependency-requirement d) (crate-dependency-kind d)
                   (crate-dependency-optional? d)
                   (crate-dependency-default-features? d)
                   (crate-dependency-features d) (crate-dependency-target d)))
           (crate-version-dependencies v))))
  (test-equal "no links, no dependencies" '(#f ())
    (let ((v (crate-version foo "1.0.0")))
      (list (crate-version-links v) (crate-version-dependencies v))))
  (test-equal "newest compatible, yanked skipped" "1.2.0"
    (crate-version-number (crate-newest-version foo "^1.0")))
  (test-equal "newest compatible, yanked allowed" "1.3.0"
    (crate-version-number (crate-newest-version foo "^1.0" #:allow-yanked? #t)))
  (test-equal "newest" "2.0.0"
    (crate-version-number (crate-newest-version foo)))
  (test-equal "prerelease only when asked" "2.0.0-rc.1"
    (crate-version-number (crate-newest-version foo "=2.0.0-rc.1")))
  (test-equal "none" #f (crate-newest-version foo ">=5")))

(test-group "HTTP"
  (test-assert "the API is reached by redirect"
    (let ((log (request-log)))
      (and (member "GET /api/v1/crates/foo 301" log)
           (member "GET /api/v1/crates/foo/ 200" log))))
  (test-equal "files are fetched once per process" 0
    (let ((before (length (request-log))))
      (lookup-crate %registry "foo")
      (lookup-crate (open-registry (string-append %base "/index/")) "foo")
      (- (length (request-log)) before)))
  (test-equal "names are case-insensitive" "foo"
    (crate-name (lookup-crate %registry "FOO")))
  (test-equal "the index alone: no request to the API" '(0 #f #f ("0.1.0"))
    (let* ((before (length (filter (lambda (line) (string-contains line "/api/"))
                                   (request-log))))
           (c (lookup-crate %registry "ab2" #:metadata? #f)))
      (list (- (length (filter (lambda (line) (string-contains line "/api/"))
                               (request-log)))
               before)
            (crate-description c)
            (crate-version-license (car (crate-versions c)))
            (map crate-version-number (crate-versions c))))))

(test-group "prefetching"
  (define registry3 (open-registry (string-append %base "/index3/")))
  (define (index3-requests)
    (filter (lambda (line) (string-prefix? "GET /index3/" line)) (request-log)))
  (registry-prefetch registry3 '("pre1" "pre2" "pre3" "pre4" "pre1" "nope3" "baddy"))
  (test-equal "one request per crate (and config.json)" 7
    (length (index3-requests)))
  (test-equal "lookups answered from memory"
    '(("1.0.0") ("1.0.0") #f 7)
    (list (map crate-version-number (crate-versions (lookup-crate registry3 "pre1")))
          (map crate-version-number (crate-versions (lookup-crate registry3 "pre4")))
          (lookup-crate registry3 "nope3")
          (length (index3-requests))))
  (test-assert "an error met while prefetching is raised by the lookup"
    (string-prefix? (string-append %base "/index3/ba/dd/baddy:1: malformed JSON")
                    (cadr (ferrix-error-of
                           (lambda () (lookup-crate registry3 "baddy")))))))

(test-group "missing things"
  (test-equal "a crate not in the registry" #f (lookup-crate %registry "nope"))
  (test-equal "a crate the API lacks: no metadata" '(#f #f ("0.1.0"))
    (let ((ab (lookup-crate %registry "ab")))
      (list (crate-description ab)
            (crate-version-license (car (crate-versions ab)))
            (map crate-version-number (crate-versions ab)))))
  (test-equal "no API: no metadata" '(#f #f)
    (let ((c (lookup-crate %registry2 "foo")))
      (list (crate-description c)
            (crate-version-license (car (crate-versions c))))))
  (test-equal "a registry without config.json"
    (string-append %base "/nothing/config.json: not found: sparse+" %base
                   "/nothing/ is not a sparse registry (its index has no config.json)")
    (cadr (ferrix-error-of
           (lambda ()
             (lookup-crate (open-registry (string-append %base "/nothing"))
                           "foo"))))))

(test-group "errors"
  (test-equal "a malformed index line: URL:LINE"
    (string-append %base "/index/3/b/bad:2: malformed JSON: parse error at \
line 1, column 38: syntax error while parsing value - unexpected '}'; \
expected '[', '{', or a literal")
    (cadr (ferrix-error-of (lambda () (lookup-crate %registry "bad")))))
  (test-assert "a malformed API answer names the URL"
    (string-prefix? (string-append %base "/api/v1/crates/oddapi: malformed JSON")
                    (cadr (ferrix-error-of
                           (lambda () (lookup-crate %registry "oddapi"))))))
  (let ((err (ferrix-error-of (lambda () (lookup-crate %registry "boom")))))
    (test-assert "HTTP 500: an error naming the URL"
      (and err (string-contains (cadr err)
                                (string-append %base "/index/bo/om/boom"))
           (string-contains (cadr err) "500")))
    (test-equal "HTTP 500: retried (2 attempts configured)" 2
      (count (lambda (line) (string=? line "GET /index/bo/om/boom 500"))
             (request-log)))))

(test-group "transient failures are retried"
  (test-equal "a 503, then the index file; a reset, then the API answer"
    '("Flaky" ("1.0.0"))
    (let ((c (lookup-crate %registry "flaky")))
      (list (crate-description c) (map crate-version-number (crate-versions c)))))
  (test-assert "the log shows the 503 and the retry"
    (let ((log (request-log)))
      (and (member "GET /index/fl/ak/flaky 503" log)
           (member "GET /index/fl/ak/flaky 200" log)
           (member "GET /api/v1/crates/flaky/ reset" log)
           (member "GET /api/v1/crates/flaky/ 200" log))))
  (test-equal "a truncated body, then the whole one" '("1.0.0")
    (map crate-version-number (crate-versions (lookup-crate %registry "trunc"))))
  (test-assert "the log shows the truncated answer and the retry (or resumption)"
    (let ((log (request-log)))
      (and (member "GET /index/tr/un/trunc truncate" log)
           (or (member "GET /index/tr/un/trunc 200" log)
               (member "GET /index/tr/un/trunc 206" log))))))

(test-end "registry")

(kill %httpd-pid SIGTERM)
(waitpid %httpd-pid)
(delete-test-directory %tmp)
(exit-with-test-status)

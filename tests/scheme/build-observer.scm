;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of the #:observer of 'build-derivations' in (ferrix store): the
;;; events of real /bin/sh builds, in the order they happen, captured by a
;;; Scheme procedure instead of going to standard error; a failure's event
;;; with the log's tail; an observer that raises; #:timings's report beside
;;; an observer.  Run by CTest with the build
;;; tree's modules and extension; exits non-zero when a test fails.

(use-modules (ferrix tests)
             (ferrix store)
             (ferrix derivations)
             (srfi srfi-1)
             (srfi srfi-64)
             (ice-9 match)
             (ice-9 textual-ports))


(define %tmp
  (test-directory "build-observer"))

(define %store
  (open-store #:root (string-append %tmp "/root")))

(define (event-summary event)
  "Return EVENT as (KIND NAME) or, for phases and log lines, (KIND NAME TEXT)."
  (let ((kind (assq-ref event 'kind))
        (name (assq-ref event 'derivation)))
    (define short                         ;"/…/HASH-NAME.drv" -> "NAME"
      (and name
           (let ((base (basename name ".drv")))
             (substring base (+ 1 (string-index base #\-))))))
    (match kind
      ((or 'phase 'log-line) (list kind short (assq-ref event 'text)))
      (_ (if short (list kind short) (list kind))))))

(define (capture thunk)
  "Call THUNK with an observer procedure; return the events it received, in
order."
  (let ((events '()))
    (thunk (lambda (event) (set! events (cons event events))))
    (reverse events)))

(test-begin "build-observer")

(let* ((dep (derivation %store "odep" "/bin/sh"
                        '("-c" "echo \"starting phase \\`build'\"; echo hello; mkdir $out")))
       (top (derivation %store "otop" "/bin/sh"
                        (list "-c" (string-append "echo from-top; ls "
                                                  (derivation->output-path dep)
                                                  " > $out"))
                        #:inputs (list (list dep))))
       (events (capture
                (lambda (observer)
                  (build-derivations %store (list top) #:observer observer)))))
  (test-equal "the events of a real build, in order"
    '((downloads-planned)
      (started "odep")
      (phase "odep" "build")
      (log-line "odep" "starting phase `build'")
      (log-line "odep" "hello")
      (finished "odep")
      (started "otop")
      (log-line "otop" "from-top")
      (finished "otop"))
    (map event-summary events))
  (let ((started (second events))
        (finished (last events)))
    (test-equal "the kind comes first" 'kind (car (first started)))
    (test-equal "started: the .drv and the name"
      (list (derivation-file-name dep) "odep" #f)
      (list (assq-ref started 'derivation) (assq-ref started 'name)
            (assq-ref started 'check?)))
    (test-assert "finished: how long it took"
      (and (real? (assq-ref finished 'seconds))
           (>= (assq-ref finished 'seconds) 0))))
  (test-equal "built: a second run hears only the plan"
    '((downloads-planned))
    (map event-summary
         (capture (lambda (observer)
                    (build-derivations %store (list top) #:observer observer))))))

(let* ((failing (derivation %store "ofail" "/bin/sh"
                            '("-c" "echo one; echo two; exit 5")))
       (error #f)
       (events (capture
                (lambda (observer)
                  (set! error
                    (ferrix-error-of
                     (lambda ()
                       (build-derivations %store (list failing)
                                          #:observer observer))))))))
  (test-equal "a failure is still raised" 'build-error (car error))
  (test-equal "the events of a failure"
    '((downloads-planned) (started "ofail") (log-line "ofail" "one")
      (log-line "ofail" "two") (failed "ofail"))
    (map event-summary events))
  (let ((failed (last events)))
    (test-equal "failed: the log's tail" "one\ntwo" (assq-ref failed 'log-tail))
    (test-equal "failed: the log file" (log-file %store (derivation-file-name failing))
      (assq-ref failed 'log-file))
    (test-assert "failed: the error" (string-contains (assq-ref failed 'text) "status 5"))))

(let* ((drv (derivation %store "oraise" "/bin/sh" '("-c" "echo > $out")))
       (calls 0))
  (test-equal "an error raised by the observer reaches the caller"
    'observer-failed
    (catch 'observer-failed
      (lambda ()
        (build-derivations %store (list drv)
                           #:observer (lambda (event)
                                        (set! calls (+ calls 1))
                                        (throw 'observer-failed)))
        'no-error)
      (lambda (key . args) key)))
  (test-equal "after which it is not called again" 1 calls)
  (test-assert "the build went on to its end"
    (valid-path? %store (derivation->output-path drv))))

(test-assert "an observer that is not a procedure is refused"
  (catch 'wrong-type-arg
    (lambda ()
      (build-derivations %store '() #:observer 42)
      #f)
    (const #t)))

(let* ((dep (derivation %store "otimed-dep" "/bin/sh" '("-c" "echo > $out")))
       (top (derivation %store "otimed" "/bin/sh"
                        (list "-c" (string-append "cat "
                                                  (derivation->output-path dep)
                                                  " > $out"))
                        #:inputs (list (list dep))))
       (file (string-append %tmp "/timings/report.html"))
       (row (lambda (drv state)
              (format #f "data-drv=\"~a\" data-state=\"~a\""
                      (derivation-file-name drv) state))))
  (build-derivations %store (list dep))
  (let ((events (capture
                 (lambda (observer)
                   (build-derivations %store (list top)
                                      #:observer observer
                                      #:timings
                                      `((file . ,file)
                                        (rustc-version . "rustc 0.0.1")))))))
    (test-equal "timings: the observer hears the events, the valid input as fresh"
      '((fresh "otimed-dep") (downloads-planned) (started "otimed")
        (finished "otimed"))
      (map event-summary events))
    (test-equal "timings: the plan counts the builds"
      1 (assq-ref (second events) 'builds))
    (let ((report (call-with-input-file file get-string-all)))
      (test-assert "timings: the built derivation's row"
        (string-contains report (row top "built")))
      (test-assert "timings: the input already valid has its row"
        (string-contains report (row dep "valid")))
      (test-assert "timings: the summary's rustc"
        (string-contains report "rustc 0.0.1")))))

(test-end "build-observer")

(close-store %store)
(delete-test-directory %tmp)
(exit-with-test-status)

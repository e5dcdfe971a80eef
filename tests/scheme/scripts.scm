;;; ferrix --- functional package builder for Rust crates
;;;
;;; Tests of (ferrix scripts): the option parser every command uses (short
;;; clusters, attached and separate values, "--", missing values, unknown
;;; options and their exit status) and of the suggestions (ferrix ui) makes
;;; for unknown commands.

(use-modules (ferrix tests)
             (ferrix scripts)
             (ferrix ui)
             (srfi srfi-37)
             (srfi srfi-64)
             (ice-9 match))

(define %options
  (list (flag-option '(#\r "recursive") 'recursive?)
        (flag-option '(#\v "verbose") 'verbose?)
        (value-option '(#\H "hash") 'hash)
        (value-option '(#\L "load-path") 'load-path)
        %help-option))

(define* (parse args #:key stop?)
  (parse-command-line "demo" args %options #:stop-at-first-operand? stop?))

(define (usage-failure args)
  "Return the exit status and the error output of parsing ARGS, which must
fail."
  (let* ((status #f)
         (output (with-error-to-string
                  (lambda ()
                    (catch 'quit
                      (lambda () (parse args) (set! status 'returned))
                      (lambda (key code) (set! status code)))))))
    (list status output)))

(test-begin "scripts")

(test-equal "short options clustered"
  '((verbose? . #t) (recursive? . #t))
  (parse '("-rv")))

(test-equal "a cluster ends with an option taking the rest as its value"
  '((hash . "sha1") (recursive? . #t))
  (parse '("-rHsha1")))

(test-equal "-x VALUE and -xVALUE"
  '(("sha1" "md5"))
  (list (option-values (parse '("-H" "sha1" "-Hmd5")) 'hash)))

(test-equal "--long=VALUE and --long VALUE"
  '("a" "b")
  (option-values (parse '("--load-path=a" "--load-path" "b")) 'load-path))

(test-equal "operands in order, '--' ends the options"
  '("x" "-r" "--hash")
  (option-values (parse '("x" "--" "-r" "--hash")) 'argument))

(test-equal "'-' is an operand"
  '("-")
  (option-values (parse '("-")) 'argument))

(test-equal "a value that looks like an option is a value"
  '("--verbose")
  (option-values (parse '("--hash" "--verbose")) 'hash))

(test-equal "stop at the first operand"
  '("script.scm" "-r" "--frob")
  (option-values (parse '("-L" "dir" "-v" "script.scm" "-r" "--frob")
                        #:stop? #t)
                 'argument))

(test-equal "stop at the first operand: options before it are parsed"
  '(("dir") #t)
  (let ((opts (parse '("-Ldir" "-v" "file" "-r") #:stop? #t)))
    (list (option-values opts 'load-path) (assq-ref opts 'verbose?))))

(test-equal "missing value of a short option"
  '(2 "ferrix: demo: option '-H' needs a value\nTry 'ferrix demo --help'.\n")
  (usage-failure '("-r" "-H")))

(test-equal "missing value of a long option"
  '(2 "ferrix: demo: option '--hash' needs a value\nTry 'ferrix demo --help'.\n")
  (usage-failure '("--hash")))

(test-equal "a flag given a value"
  '(2 "ferrix: demo: option '--verbose' takes no value\nTry 'ferrix demo --help'.\n")
  (usage-failure '("--verbose=yes")))

(test-equal "unknown long option, named with the command"
  '(2 "ferrix: demo: unrecognized option '--frobnicate'\nTry 'ferrix demo --help'.\n")
  (usage-failure '("x" "--frobnicate")))

(test-equal "unknown short option in a cluster"
  '(2 "ferrix: demo: unrecognized option '-z'\nTry 'ferrix demo --help'.\n")
  (usage-failure '("-rz")))

(test-equal "unknown option after --help: the help wins"
  '((help? . #t))
  (parse '("--help" "--frobnicate")))

(test-equal "usage-error"
  '(2 "ferrix: demo sub: no file given\nTry 'ferrix demo sub --help'.\n")
  (let* ((status #f)
         (output (with-error-to-string
                  (lambda ()
                    (catch 'quit
                      (lambda () (usage-error "demo sub" "no ~a given" "file"))
                      (lambda (key code) (set! status code)))))))
    (list status output)))

(test-equal "did-you-mean: a transposition"
  "hint: did you mean 'build'?\n"
  (did-you-mean "biuld" '("build" "show" "graph")))

(test-equal "did-you-mean: nothing close"
  ""
  (did-you-mean "frobnicate" '("build" "show" "graph")))

(test-equal "did-you-mean: several"
  "hint: did you mean 'shop', 'show'?\n"
  (did-you-mean "shom" '("show" "shop" "build")))

(test-equal "the commands over the store do not load the package machinery"
  '(#f #f #f)
  (begin
    (resolve-interface '(ferrix scripts hash))
    (resolve-interface '(ferrix scripts store))
    (resolve-interface '(ferrix scripts show-derivation))
    (map (lambda (name) (resolve-module name #f #:ensure #f))
         '((ferrix packages) (ferrix scripts packages) (ferrix derivations)))))

(test-end "scripts")

(exit-with-test-status)

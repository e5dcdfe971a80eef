;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix scripts show-derivation): 'ferrix show-derivation', print
;;; derivations as JSON, like 'nix show-derivation'.

(define-module (ferrix scripts show-derivation)
  #:use-module (ferrix ui)
  #:use-module (ferrix scripts)
  #:use-module (ice-9 binary-ports)
  #:export (ferrix-show-derivation))

(eval-when (expand load eval)
  (load-extension "libguile-ferrix" "init_ferrix"))

(define (show-help)
  (display "Usage: ferrix show-derivation FILE.drv...
Print each derivation as JSON, in the shape of `nix show-derivation`.

  -h, --help             show this help
"))

(define (ferrix-show-derivation . args)
  "Run 'ferrix show-derivation' with the list of strings ARGS."
  (let* ((opts (parse-command-line "show-derivation" args
                                   (list %help-option)))
         (files (option-values opts 'argument)))
    (when (assq-ref opts 'help?)
      (show-help)
      (exit 0))
    (when (null? files)
      (usage-error "show-derivation" "no derivation given"))
    (put-bytevector (current-output-port) (%derivations->json files))
    (newline)))

;;; show-derivation.scm ends here

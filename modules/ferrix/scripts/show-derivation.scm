;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix scripts show-derivation): 'ferrix show-derivation', print
;;; derivations as JSON, like 'nix show-derivation'.
;;; The command itself is C++ (lib/cli.cc), run in-process.

(define-module (ferrix scripts show-derivation)
  #:use-module (ferrix store)
  #:export (ferrix-show-derivation))

(eval-when (expand load eval)
  (load-extension "libguile-ferrix" "init_ferrix"))

(define (ferrix-show-derivation . args)
  "Run 'ferrix show-derivation' with the list of strings ARGS and exit with its status."
  (force-output (current-output-port))
  (exit (%cli-main "show-derivation" args (%default-store-root) (%default-store-directory))))

;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix scripts store): 'ferrix store', manipulate the store: add,
;;; add-text, dump, restore, path-info, references, verify, gc, roots.
;;; The command itself is C++ (lib/cli.cc), run in-process.

(define-module (ferrix scripts store)
  #:use-module (ferrix store)
  #:export (ferrix-store))

(eval-when (expand load eval)
  (load-extension "libguile-ferrix" "init_ferrix"))

(define (ferrix-store . args)
  "Run 'ferrix store' with the list of strings ARGS and exit with its status."
  (force-output (current-output-port))
  (exit (%cli-main "store" args (%default-store-root) (%default-store-directory))))

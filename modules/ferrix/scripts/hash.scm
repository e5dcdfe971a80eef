;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix scripts hash): 'ferrix hash', compute the hash of files, like
;;; 'guix hash' and 'nix-hash'.
;;; The command itself is C++ (lib/cli.cc), run in-process.

(define-module (ferrix scripts hash)
  #:use-module (ferrix store)
  #:export (ferrix-hash))

(eval-when (expand load eval)
  (load-extension "libguile-ferrix" "init_ferrix"))

(define (ferrix-hash . args)
  "Run 'ferrix hash' with the list of strings ARGS and exit with its status."
  (force-output (current-output-port))
  (exit (%cli-main "hash" args (%default-store-root) (%default-store-directory))))

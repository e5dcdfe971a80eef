;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix scripts download): 'ferrix download URL', like 'guix download':
;;; fetch a file into the store (mirrors, retries) and print its store path
;;; and its sha256.  The command itself is C++ (lib/cli.cc), run in-process.

(define-module (ferrix scripts download)
  #:use-module (ferrix store)
  #:export (ferrix-download))

(eval-when (expand load eval)
  (load-extension "libguile-ferrix" "init_ferrix"))

(define (ferrix-download . args)
  "Run 'ferrix download' with the list of strings ARGS and exit with its
status."
  (force-output (current-output-port))
  (exit (%cli-main "download" args (%default-store-root)
                   (%default-store-directory))))

;;; download.scm ends here

;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix derivations): derivations, as records, built and written by the
;;; core (byte-compatible with Nix and Guix .drv files).  Named as in Guix's
;;; (guix derivations).

(define-module (ferrix derivations)
  #:use-module (ferrix store)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-9)
  #:use-module (srfi srfi-9 gnu)
  #:use-module (srfi srfi-26)
  #:use-module (rnrs bytevectors)
  #:re-export (derivation-path?)
  #:export (%current-system
            %current-target-system
            gnu-triplet->nix-system

            <derivation>
            derivation?
            derivation-outputs
            derivation-inputs
            derivation-sources
            derivation-system
            derivation-builder
            derivation-builder-arguments
            derivation-builder-environment-vars
            derivation-file-name
            derivation-name
            derivation-output-names
            fixed-output-derivation?

            <derivation-output>
            derivation-output?
            derivation-output-path
            derivation-output-hash-algo
            derivation-output-hash
            derivation-output-recursive?

            <derivation-input>
            derivation-input?
            make-derivation-input
            derivation-input-path
            derivation-input-sub-derivations

            derivation->output-path
            derivation->output-paths
            derivation-input-output-paths
            read-derivation-from-file
            read-derivation-from-store
            derivation))

(eval-when (expand load eval)
  (load-extension "libguile-ferrix" "init_ferrix"))

;;; Commentary:
;;;
;;; (derivation STORE NAME BUILDER ARGS #:system #:env-vars #:inputs
;;;             #:sources #:outputs #:hash #:hash-algo #:recursive?)
;;; writes a .drv to STORE and returns its <derivation>.  The environment is
;;; that of Nix's 'derivation' builtin: ENV-VARS plus "name", "system",
;;; "builder", one variable per output holding its path, "outputs" (the
;;; output names, space-separated) unless the only output is "out", and for
;;; a fixed-output derivation "outputHash" (base16), "outputHashAlgo" and
;;; "outputHashMode" ("recursive" or "flat").  So the same arguments give
;;; the same .drv file, in any process, as 'nix-instantiate' would.
;;;
;;; Code:


;;;
;;; Systems.
;;;

(define (gnu-triplet->nix-system triplet)
  "Return the system name for TRIPLET, a GNU triplet such as
\"x86_64-pc-linux-gnu\": CPU-KERNEL as Guix spells it, which is Nix's
spelling but for \"armhf-linux\" and the Hurd's \"i586-gnu\".  A system
name is returned as is, and so is TRIPLET when its kernel is neither Linux
nor the Hurd."
  (let* ((parts (string-split triplet #\-))
         (cpu (car parts))
         (cpu (if (member cpu '("i386" "i486" "i586")) "i686" cpu))
         (rest (string-join (cdr parts) "-")))
    (cond ((string-contains rest "linux")
           (if (and (string-prefix? "arm" cpu)
                    (string-suffix? "gnueabihf" rest))
               "armhf-linux"
               (string-append cpu "-linux")))
          ((or (string-suffix? "-gnu" triplet)
               (string-contains rest "gnu0"))
           ;; GNU/Hurd: i586-pc-gnu, x86_64-pc-gnu.
           (string-append (if (string=? cpu "i686") "i586" cpu) "-gnu"))
          (else triplet))))

(define %current-system
  ;; The system derivations are built for by default, e.g. "x86_64-linux".
  (make-parameter (gnu-triplet->nix-system %host-type)))

(define %current-target-system
  ;; The system cross-builds target, or #f for a native build.
  (make-parameter #f))


;;;
;;; Records.
;;;

(define-record-type <derivation>
  (make-derivation outputs inputs sources system builder args env-vars
                   file-name)
  derivation?
  (outputs   derivation-outputs)        ;alist: output name -> <derivation-output>
  (inputs    derivation-inputs)         ;list of <derivation-input>
  (sources   derivation-sources)        ;list of store paths
  (system    derivation-system)         ;string
  (builder   derivation-builder)        ;string
  (args      derivation-builder-arguments)
  (env-vars  derivation-builder-environment-vars) ;alist of strings
  (file-name derivation-file-name))     ;the .drv file

(define-record-type <derivation-output>
  (make-derivation-output path hash-algo hash recursive?)
  derivation-output?
  (path       derivation-output-path)
  (hash-algo  derivation-output-hash-algo) ;symbol or #f
  (hash       derivation-output-hash)      ;bytevector or #f
  (recursive? derivation-output-recursive?))

(define-record-type <derivation-input>
  (make-derivation-input path sub-derivations)
  derivation-input?
  (path            derivation-input-path)            ;the input's .drv
  (sub-derivations derivation-input-sub-derivations)) ;output names

(set-record-type-printer! <derivation>
  (lambda (drv port)
    (format port "#<derivation ~a =>~a>"
            (derivation-file-name drv)
            (string-concatenate
             (map (lambda (output)
                    (string-append " " (derivation-output-path (cdr output))))
                  (derivation-outputs drv))))))

(set-record-type-printer! <derivation-output>
  (lambda (output port)
    (format port "#<derivation-output ~a>" (derivation-output-path output))))

(set-record-type-printer! <derivation-input>
  (lambda (input port)
    (format port "#<derivation-input ~a ~s>" (derivation-input-path input)
            (derivation-input-sub-derivations input))))

(define (derivation-name drv)
  "Return the name of DRV: its file name without the hash and \".drv\"."
  (let ((base (basename (derivation-file-name drv) ".drv")))
    (or (store-path-package-name (string-append "/" base))
        base)))

(define (derivation-output-names drv)
  "Return the output names of DRV, sorted."
  (map car (derivation-outputs drv)))

(define (fixed-output-derivation? drv)
  "Return true if DRV has a single output, \"out\", whose hash is known in
advance."
  (match-outputs (derivation-outputs drv)))

(define (match-outputs outputs)
  (and (= 1 (length outputs))
       (string=? "out" (caar outputs))
       (derivation-output-hash (cdar outputs))
       #t))

(define* (derivation->output-path drv #:optional (output "out"))
  "Return the store path of OUTPUT of DRV."
  (let ((o (assoc-ref (derivation-outputs drv) output)))
    (unless o
      (scm-error 'ferrix-error "derivation->output-path" "~A"
                 (list (format #f "derivation '~a' has no output '~a'"
                               (derivation-file-name drv) output))
                 (list 'bad-derivation)))
    (derivation-output-path o)))

(define (derivation->output-paths drv)
  "Return the alist of output names to store paths of DRV."
  (map (lambda (o) (cons (car o) (derivation-output-path (cdr o))))
       (derivation-outputs drv)))


;;;
;;; From the primitives' field lists to records.
;;;

(define (output-fields->output fields)
  ;; (NAME PATH HASH-ALGO HASH-HEX) -> (NAME . <derivation-output>)
  (let ((name (list-ref fields 0))
        (path (list-ref fields 1))
        (algo (list-ref fields 2))
        (hex  (list-ref fields 3)))
    (cons name
          (if (string-null? hex)
              (make-derivation-output path #f #f #f)
              (let ((recursive? (string-prefix? "r:" algo)))
                (make-derivation-output
                 path
                 (string->symbol (if recursive? (substring algo 2) algo))
                 (%base16-decode hex)
                 recursive?))))))

(define (fields->derivation fields)
  ;; (FILE OUTPUTS INPUTS SOURCES SYSTEM BUILDER ARGS ENV) -> <derivation>
  (apply (lambda (file outputs inputs sources system builder args env)
           (make-derivation (map output-fields->output outputs)
                            (map (lambda (input)
                                   (make-derivation-input (car input) (cdr input)))
                                 inputs)
                            sources system builder args env file))
         fields))

(define (read-derivation-from-file file)
  "Read the derivation in FILE, a .drv file."
  (fields->derivation (%read-derivation file)))

(define (read-derivation-from-store store file)
  "Read the derivation FILE, a .drv path of STORE (which may keep its items
somewhere else than its logical store directory)."
  (let ((drv (read-derivation-from-file (store-real-path store file))))
    (if (string=? file (derivation-file-name drv))
        drv
        (make-derivation (derivation-outputs drv) (derivation-inputs drv)
                         (derivation-sources drv) (derivation-system drv)
                         (derivation-builder drv)
                         (derivation-builder-arguments drv)
                         (derivation-builder-environment-vars drv)
                         file))))

(define* (derivation-input-output-paths input #:optional (store (current-store)))
  "Return the store paths of the outputs of INPUT that it uses, reading its
.drv from STORE."
  (let ((drv (read-derivation-from-store store (derivation-input-path input))))
    (map (cut derivation->output-path drv <>)
         (derivation-input-sub-derivations input))))


;;;
;;; Building derivations.
;;;

(define (input->drv+outputs input)
  "Return (DRV-FILE OUTPUT ...) for a derivation input, or #f for a source."
  (cond ((derivation-input? input)
         (cons (derivation-input-path input)
               (derivation-input-sub-derivations input)))
        ((and (pair? input) (derivation? (car input)))
         (let ((drv     (car input))
               (outputs (if (null? (cdr input)) '("out") (cdr input))))
           (for-each (lambda (output)
                       (unless (assoc output (derivation-outputs drv))
                         (scm-error 'ferrix-error "derivation" "~A"
                                    (list (format #f "input derivation '~a' has no output '~a'"
                                                  (derivation-file-name drv) output))
                                    (list 'bad-derivation))))
                     outputs)
           (cons (derivation-file-name drv) outputs)))
        ((and (pair? input) (string? (car input)) (derivation-path? (car input)))
         (cons (car input) (if (null? (cdr input)) '("out") (cdr input))))
        ((and (pair? input) (string? (car input)) (null? (cdr input)))
         #f)
        ((string? input)
         (if (derivation-path? input) (list input "out") #f))
        ((derivation? input)
         (list (derivation-file-name input) "out"))
        (else
         (scm-error 'wrong-type-arg "derivation"
                    "Wrong type in #:inputs: ~S (expected (DERIVATION OUTPUT ...), (DRV-FILE OUTPUT ...) or (STORE-PATH))"
                    (list input) (list input)))))

(define (input->source input)
  (cond ((string? input) input)
        (else (car input))))

(define* (derivation store name builder args
                     #:key
                     (system (%current-system))
                     (env-vars '())
                     (inputs '())
                     (sources '())
                     (outputs '("out"))
                     hash
                     (hash-algo (and hash 'sha256))
                     recursive?)
  "Write to STORE the derivation NAME that runs BUILDER with the list of
strings ARGS on SYSTEM, and return it as a <derivation>.

INPUTS is a list whose elements are (DERIVATION OUTPUT ...) or (DRV-FILE
OUTPUT ...) for the outputs of another derivation (OUTPUT defaults to
\"out\"), or (STORE-PATH) for a source; SOURCES lists more sources.  OUTPUTS
is the list of output names.  ENV-VARS is an alist of strings added to the
builder's environment (see the commentary for the variables added).  With
HASH (a bytevector, or a string in base16, nix32 or base64), the derivation
is fixed-output: its single output \"out\" has that HASH-ALGO hash, over the
NAR of the output when RECURSIVE?, else over its contents."
  (let* ((drv-inputs (filter-map input->drv+outputs inputs))
         (srcs       (delete-duplicates
                      (append (filter-map (lambda (input)
                                            (and (not (input->drv+outputs input))
                                                 (input->source input)))
                                          inputs)
                              sources)))
         (hash-algo  (and hash (if (symbol? hash-algo)
                                   (symbol->string hash-algo)
                                   hash-algo)))
         (hash       (and hash (if (bytevector? hash)
                                   hash
                                   (%hash-parse hash-algo hash))))
         (fixed      (and hash (list hash-algo hash recursive?)))
         (base-env   `(("name" . ,name)
                       ("system" . ,system)
                       ("builder" . ,builder)
                       ,@(if (equal? outputs '("out"))
                             '()
                             `(("outputs" . ,(string-join outputs " "))))
                       ,@(if hash
                             `(("outputHash" . ,(%base16-encode hash))
                               ("outputHashAlgo" . ,hash-algo)
                               ("outputHashMode" . ,(if recursive? "recursive" "flat")))
                             '())))
         (fields     (%derivation store name system builder args
                                  (append base-env env-vars)
                                  drv-inputs srcs outputs fixed)))
    (fields->derivation fields)))

;;; derivations.scm ends here

;;; ferrix --- functional package builder for Rust crates
;;;
;;; wordfreq, the example program of examples/wordfreq: it counts the words
;;; of its standard input with the regex crate, parses its options with clap
;;; and prints JSON with serde_json.  Its crates, and the crates they need
;;; (the whole closure, written by hand), come from Debian's directory
;;; registry /usr/share/cargo/registry (the librust-*-dev packages that
;;; build-aux/setup installs), each pinned by the NAR sha256 of its directory
;;; (see (ferrix crates)).  Build it and run it:
;;;
;;;   ferrix build -f examples/wordfreq.scm
;;;   /…-wordfreq-0.1.0/bin/wordfreq --top 3 < examples/wordfreq/sample.txt
;;;
;;; The crate packages are not built on their own: as in Guix, a package's
;;; #:cargo-inputs (and theirs, recursively) have their sources vendored
;;; into its build.  Dependencies for other platforms (atty's winapi,
;;; termcolor's winapi-util...) have no input and are pruned from the
;;; manifests cargo sees.  The file evaluates to wordfreq.

(use-modules (ferrix packages)
             (ferrix crates)
             (ferrix build-system cargo))

(define* (debian-crate crate version hash #:key (cargo-inputs '()))
  "Return the package of CRATE at VERSION from Debian's registry, whose
directory must have the NAR sha256 HASH (nix-base32)."
  (package
    (name (crate-name->package-name crate))
    (version version)
    (source (registry-crate crate version #:sha256 hash))
    (build-system cargo-build-system)
    (arguments `(#:skip-build? #t
                 #:cargo-inputs ,cargo-inputs))
    (properties (if (string-index crate #\_)
                    `((crate-name . ,crate))
                    '()))
    (home-page (string-append "https://crates.io/crates/" crate))
    (synopsis (string-append "The " crate " crate, from Debian's registry"))
    (description (string-append "The Rust crate " crate " " version "."))
    (license #f)))

(define-public rust-libc-0.2
  (debian-crate "libc" "0.2.139"
                "1i2p8x80k9r5w4ky5m3is2xh3rbbvjc95w4ljr33pc80cl78qgcq"))
(define-public rust-atty-0.2
  (debian-crate "atty" "0.2.14"
                "164mimryqahxiqqvk2cd2064s1dx02zlh5kp4kiadrq3gfnn7lcj"
                #:cargo-inputs `(("rust-libc" ,rust-libc-0.2))))
(define-public rust-bitflags-1
  (debian-crate "bitflags" "1.3.2"
                "0nbjb9yg3hcnqhvd3gwmsc1rd0l0nm2139y186iv3ywhddfaznwy"))
(define-public rust-os-str-bytes-6
  (debian-crate "os_str_bytes" "6.0.0"
                "1y0jlr6b7pjwd43zdwb49w0x5ll7i5icvn1183bqcsd91vvjiwcv"))
(define-public rust-clap-lex-0.3
  (debian-crate "clap_lex" "0.3.0"
                "16nfg34d4k0izcjin8aphk3nzdxbf42hb7fglaw2hga21v5zg75v"
                #:cargo-inputs `(("rust-os-str-bytes" ,rust-os-str-bytes-6))))
(define-public rust-strsim-0.10
  (debian-crate "strsim" "0.10.0"
                "03k1zaa3wgjfgmlz4l1nlgp4gw8c2hfh7d4419xjnrxvadjkpbgh"))
(define-public rust-termcolor-1
  (debian-crate "termcolor" "1.1.2"
                "10r8kfarhyvcfs8a14nvk9hlq20cvx3cd16hg1lvvhi4rnrbaqa3"))
(define-public rust-clap-4
  (debian-crate "clap" "4.0.32"
                "0rhfqx19agc800hv12v26f0q937hmb1kf0d3l9asg5m95dj37acs"
                #:cargo-inputs `(("rust-atty" ,rust-atty-0.2)
                                 ("rust-bitflags" ,rust-bitflags-1)
                                 ("rust-clap-lex" ,rust-clap-lex-0.3)
                                 ("rust-strsim" ,rust-strsim-0.10)
                                 ("rust-termcolor" ,rust-termcolor-1))))
(define-public rust-regex-syntax-0.6
  (debian-crate "regex-syntax" "0.6.27"
                "070zz83mn7zx17x9wamdphh3fnpmq4k4x7kigzdap143zwsl46c9"))
(define-public rust-regex-1
  (debian-crate "regex" "1.7.1"
                "0wv6r751xrwzyhi0j5gi76918fn73ii8477j5106vc5b179k7b13"
                #:cargo-inputs `(("rust-regex-syntax" ,rust-regex-syntax-0.6))))
(define-public rust-itoa-1
  (debian-crate "itoa" "1.0.1"
                "19yqm4xvpkxfagcgk5pidvx0qmjnidfli7hcc6lihfv9cds2imsq"))
(define-public rust-ryu-1
  (debian-crate "ryu" "1.0.2"
                "0p45z02b6fg9g4dz8s80ibbdn4yj7njd7kfgf4csgvx08vaqjxkm"))
(define-public rust-serde-1
  (debian-crate "serde" "1.0.152"
                "0dnrrgdl30qw3pdi6y15zaynl1afg7pkhfpp4dd98z4nzb6dm35h"))
(define-public rust-serde-json-1
  (debian-crate "serde_json" "1.0.87"
                "05kw7xx321gzaggda1wnxqpimjs68vkmhiyw8c6js972czz9p5vj"
                #:cargo-inputs `(("rust-itoa" ,rust-itoa-1)
                                 ("rust-ryu" ,rust-ryu-1)
                                 ("rust-serde" ,rust-serde-1))))

(define-public wordfreq
  (package
    (name "wordfreq")
    (version "0.1.0")
    (source (local-file "wordfreq"
                        #:recursive? #t
                        #:select? (lambda (file stat)
                                    (not (member (basename file)
                                                 '("target" "Cargo.lock"))))))
    (build-system cargo-build-system)
    (arguments
     `(#:cargo-inputs (("rust-clap" ,rust-clap-4)
                       ("rust-regex" ,rust-regex-1)
                       ("rust-serde-json" ,rust-serde-json-1))
       #:install-source? #f))
    (synopsis "Count word frequencies")
    (description
     "The ferrix example program: counts the words of its input and prints
the most frequent ones as text or JSON, with the clap, regex and serde_json
crates from Debian's registry.")
    (license "GPL-3.0-or-later")
    (home-page #f)))

wordfreq

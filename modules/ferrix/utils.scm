;;; ferrix --- functional package builder for Rust crates
;;;
;;; (ferrix utils): small helpers of the host side that need nothing else
;;; of ferrix, so that (ferrix ui) can use them without loading the package
;;; machinery.

(define-module (ferrix utils)
  #:use-module (srfi srfi-1)
  #:export (string-distance
            similar-strings))

(define (string-distance a b)
  "Return the edit distance between strings A and B: the number of
characters to insert, delete or replace, or adjacent characters to swap, to
turn one into the other (optimal string alignment distance)."
  (let* ((la (string-length a))
         (lb (string-length b))
         (d (make-array 0 (+ la 1) (+ lb 1))))
    (do ((i 0 (+ i 1))) ((> i la)) (array-set! d i i 0))
    (do ((j 0 (+ j 1))) ((> j lb)) (array-set! d j 0 j))
    (do ((i 1 (+ i 1)))
        ((> i la) (array-ref d la lb))
      (do ((j 1 (+ j 1)))
          ((> j lb))
        (let* ((same? (char=? (string-ref a (- i 1)) (string-ref b (- j 1))))
               (best (min (+ 1 (array-ref d (- i 1) j))
                          (+ 1 (array-ref d i (- j 1)))
                          (+ (if same? 0 1) (array-ref d (- i 1) (- j 1))))))
          (array-set! d
                      (if (and (> i 1) (> j 1)
                               (char=? (string-ref a (- i 1))
                                       (string-ref b (- j 2)))
                               (char=? (string-ref a (- i 2))
                                       (string-ref b (- j 1))))
                          (min best (+ 1 (array-ref d (- i 2) (- j 2))))
                          best)
                      i j))))))

(define* (similar-strings str candidates #:key (limit 3))
  "Return up to LIMIT strings of CANDIDATES close to STR (by edit distance,
at most a quarter of STR's length, and 1 for names of 3 to 7 characters;
none for shorter names), closest first."
  (let* ((max-distance (if (< (string-length str) 3)
                           0
                           (max 1 (quotient (string-length str) 4))))
         (scored (filter-map (lambda (candidate)
                               (and (not (string=? candidate str))
                                    (< (abs (- (string-length candidate)
                                               (string-length str)))
                                       (+ max-distance 1))
                                    (let ((d (string-distance str candidate)))
                                      (and (<= d max-distance)
                                           (cons d candidate)))))
                             (delete-duplicates candidates))))
    (map cdr
         (take (sort scored (lambda (a b)
                              (or (< (car a) (car b))
                                  (and (= (car a) (car b))
                                       (string<? (cdr a) (cdr b))))))
               (min limit (length scored))))))

;;; utils.scm ends here

# A plain `guile` (no launcher) finds the modules and the extension of the build tree through the
# usual environment variables, uses the compiled modules (nothing is auto-compiled) and works.
source "$FERRIX_SOURCE_DIR/tests/cli/lib/assert.bash"

export GUILE_LOAD_PATH="$FERRIX_SOURCE_DIR/modules:$FERRIX_BUILD_DIR/modules"
export GUILE_LOAD_COMPILED_PATH="$FERRIX_BUILD_DIR/guile-ccache"
export GUILE_EXTENSIONS_PATH="$FERRIX_BUILD_DIR/guile"
export XDG_CACHE_HOME="$TEST_TMP/cache"
unset GUILE_AUTO_COMPILE # on, as for any user: a stale .go would be compiled into the cache

code='(use-modules (ferrix store) (ferrix derivations) (ferrix hash) (ferrix base32) (ferrix ui))
(let* ((store (open-store #:root (getenv "ROOT") #:store-dir "/nix/store"))
       (drv (derivation store "has-multi-out" ":" (list) #:system ":" #:outputs (list "out" "lib"))))
  (display (add-text-to-store store "foo" "bar")) (newline)
  (display (derivation-file-name drv)) (newline)
  (close-store store))'
expect_status "guile -c uses the modules" 0 env ROOT="$TEST_TMP/root" "$GUILE" -c "$code"
expect_eq "results" "$out" "/nix/store/vxjiwkjkn7x4079qvh1jkl5pn05j2aw0-foo
/nix/store/h32dahq0bx5rp1krcdx3a53asj21jvhk-has-multi-out.drv"
expect_eq "nothing on stderr" "$err" ""
compiled=$( (find "$XDG_CACHE_HOME" -name '*.go' 2>/dev/null || true) | wc -l)
expect_eq "nothing auto-compiled (the build's .go files are up to date)" "$compiled" "0"

# Every module of the source tree has an up-to-date compiled file.
stale=""
while IFS= read -r scm; do
  rel=${scm#"$FERRIX_SOURCE_DIR/modules/"}
  go="$FERRIX_BUILD_DIR/guile-ccache/${rel%.scm}.go"
  if [ ! -e "$go" ] || [ "$scm" -nt "$go" ]; then stale="$stale $rel"; fi
done < <(find "$FERRIX_SOURCE_DIR/modules" -name '*.scm')
expect_eq "every module compiled and up to date" "$stale" ""
finish

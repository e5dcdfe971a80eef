# examples/embed.scm, the Scheme API chapter's example: a plain guile over the build tree defines
# examples/hello's package, builds it for real (cargo, rustc) in a fresh store, and captures
# cargo's output through its observer rather than the terminal.
source "$FERRIX_SOURCE_DIR/tests/cli/lib/assert.bash"
export GUILE_LOAD_PATH="$FERRIX_SOURCE_DIR/modules:$FERRIX_BUILD_DIR/modules"
export GUILE_LOAD_COMPILED_PATH="$FERRIX_BUILD_DIR/guile-ccache"
export GUILE_EXTENSIONS_PATH="$FERRIX_BUILD_DIR/guile"
export XDG_CACHE_HOME="$TEST_TMP/cache"
export GUILE_AUTO_COMPILE=0

expect_status "guile examples/embed.scm" 0 "$GUILE" "$FERRIX_SOURCE_DIR/examples/embed.scm"
expect_match "it saw the build start" "$out" "building hello-0\.1\.0"
expect_match "it captured lines" "$out" "captured [1-9][0-9]* lines"
expect_match "cargo's compile line among them" "$out" "cargo said: Compiling hello v0\.1\.0"
expect_match "the build's lines did not reach standard error" "$err" "^$"
output=$(sed -n 's/^output: //p' <<<"$out")
expect_match "the output path" "$output" "-hello-0\.1\.0$"
expect_status "the built program runs" 0 "$FERRIX_STORE/store/${output##*/}/bin/hello"
expect_status "again: already built" 0 "$GUILE" "$FERRIX_SOURCE_DIR/examples/embed.scm"
expect_match "nothing captured the second time" "$out" "captured 0 lines"
finish

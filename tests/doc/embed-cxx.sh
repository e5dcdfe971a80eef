# examples/embed.cc, the C++ API chapter's example: compiled against the library, it builds a
# derivation in a fresh store and captures the builder's lines through its own observer.
source "$FERRIX_SOURCE_DIR/tests/cli/lib/assert.bash"
: "${EMBED_CXX:?}"
expect_status "the example builds its derivation" 0 "$EMBED_CXX" "$TEST_TMP/root"
expect_match "its observer heard the build start" "$out" "building embed-example"
expect_match "it captured both lines" "$out" \
  "captured 2 lines
builder said: hello from the builder
builder said: second line"
output=$(sed -n 's/^output: //p' <<<"$out")
expect_eq "the output is in the store" "$(cat "$TEST_TMP/root/store/${output##*/}")" "done"
expect_match "nothing drawn on standard error" "$err" "^$"
expect_status "again: already valid, nothing captured" 0 "$EMBED_CXX" "$TEST_TMP/root"
expect_match "second run" "$out" "captured 0 lines"
finish

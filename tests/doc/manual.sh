# The manual (doc/ferrix.texi): it builds to Info and HTML without a single warning, a node can be
# read with info(1), and nothing a user can type is missing from it: every command and
# subcommand `ferrix --help` lists has its node, holding the command's current --help, and every
# keyword cargo-build-system accepts is an entry of the arguments' table.
source "$FERRIX_SOURCE_DIR/tests/cli/lib/assert.bash"
: "${MAKEINFO:?}" "${MANUAL_GENERATED_DIR:?}"
info=$MANUAL_GENERATED_DIR/ferrix.info
include=(-I "$FERRIX_SOURCE_DIR/doc" -I "$MANUAL_GENERATED_DIR" -I "$FERRIX_SOURCE_DIR")

expect_status "makeinfo: Info" 0 "$MAKEINFO" --error-limit=0 --no-split "${include[@]}" \
  -o "$TEST_TMP/ferrix.info" "$FERRIX_SOURCE_DIR/doc/ferrix.texi"
expect_eq "makeinfo: Info, no warning" "$err" ""
expect_status "makeinfo: HTML" 0 "$MAKEINFO" --html --error-limit=0 "${include[@]}" \
  -o "$TEST_TMP/html" "$FERRIX_SOURCE_DIR/doc/ferrix.texi"
expect_eq "makeinfo: HTML, no warning" "$err" ""
expect_status "HTML: one page per node" 0 test -f "$TEST_TMP/html/Invoking-ferrix-build.html"
expect_eq "the build's Info file is this one" "$(cmp -s "$info" "$TEST_TMP/ferrix.info" && echo same)" "same"

node() { info -f "$info" -n "$1" -o - 2>/dev/null; }
expect_status "info prints 'Invoking ferrix build'" 0 info -f "$info" -n "Invoking ferrix build" -o -
expect_match "the node holds build's usage" "$out" "Usage: ferrix build \[OPTION\]"
expect_match "the node holds build's options" "$out" "--keep-going"
expect_match "the Top node" "$(node Top)" "Command Reference::"

# Every command and subcommand, with its help as it is now.
commands=$("$FERRIX" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
expect_match "ferrix --help lists commands" "$commands" "build"
for c in $commands; do
  text=$(node "Invoking ferrix $c")
  usage=$("$FERRIX" "$c" --help 2>/dev/null | sed -n 1p)
  expect_match "node of ferrix $c" "$text" "Invoking ferrix $c"
  [[ "$text" == *"$usage"* ]] && ok "ferrix $c: its usage line" || not_ok "ferrix $c: '$usage' missing"
done
for sub in "store add" "store gc" "store roots" "registry export" "import crate"; do
  expect_match "node of ferrix $sub" "$(node "Invoking ferrix $sub")" "Usage: ferrix $sub"
done

# Every keyword of cargo-build-system, read from the build system itself.
cat >"$TEST_TMP/keywords.scm" <<'SCM'
(use-modules (ferrix build-system cargo))
(for-each (lambda (k) (display k) (newline))
          (append (map car %cargo-arguments)
                  '(#:cargo-inputs #:cargo-development-inputs #:rust #:crate-name)))
SCM
expect_status "the keywords of %cargo-arguments" 0 "$FERRIX" repl "$TEST_TMP/keywords.scm"
keywords=$out
expect_match "keywords read" "$keywords" "#:tests\?"
table=$(node "Arguments of cargo-build-system")
missing=""
for k in $keywords; do
  grep -qxF -e "‘$k’" -e "'$k'" <<<"$table" || missing="$missing $k"
done
expect_eq "every keyword has its entry in the arguments' table" "$missing" ""
finish

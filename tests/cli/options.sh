# One option parser for every command: the same forms accepted everywhere ("-x VALUE", "-xVALUE",
# "--long=VALUE", "--long VALUE", "-rf", "--"), the same usage errors (exit 2, the command
# named), and suggestions for mistyped commands.
source "$(dirname "$0")/lib/assert.bash"

tree=$TEST_TMP/tree
mkdir -p "$tree/sub"
printf 'hello\n' >"$tree/a"
printf 'more\n' >"$tree/sub/b"

# Every spelling of the same options gives the same answer.
want=$("$FERRIX" hash --recursive --hash=sha1 --format=base16 "$tree")
expect_eq "long options" "$("$FERRIX" hash --recursive --hash sha1 --format base16 "$tree")" "$want"
expect_eq "short options" "$("$FERRIX" hash -r -H sha1 -f base16 "$tree")" "$want"
expect_eq "attached values" "$("$FERRIX" hash -r -Hsha1 -fbase16 "$tree")" "$want"
expect_eq "a cluster ending in a value option" "$("$FERRIX" hash -rHsha1 -f base16 "$tree")" "$want"
expect_eq "last one wins" "$("$FERRIX" hash -S none -r -H md5 -H sha1 -f base16 "$tree")" "$want"
(cd "$tree" && printf 'dash\n' >./-r)
expect_eq "-- ends the options" "$(cd "$tree" && "$FERRIX" hash -- -r)" "$(cd "$tree" && "$FERRIX" hash ./-r)"

# Usage errors: exit 2, the command and the option named, a pointer to --help.
expect_status "missing value (short)" 2 "$FERRIX" hash "$tree/a" -H
expect_eq "missing value (short): message" "$err" "ferrix: hash: option '-H' needs a value
Try 'ferrix hash --help'."
expect_status "missing value (long)" 2 "$FERRIX" store path-info --format
expect_eq "missing value (long): message" "$err" "ferrix: store path-info: option '--format' needs a value
Try 'ferrix store path-info --help'."
expect_status "a flag given a value" 2 "$FERRIX" hash --recursive=yes "$tree"
expect_eq "a flag given a value: message" "$err" "ferrix: hash: option '--recursive' takes no value
Try 'ferrix hash --help'."
expect_status "unknown short option in a cluster" 2 "$FERRIX" hash -rz "$tree"
expect_eq "unknown short option: message" "$err" "ferrix: hash: unrecognized option '-z'
Try 'ferrix hash --help'."
for cmd in "build" "show" "graph" "log" "refresh" "download" "show-derivation" \
           "store add" "store gc" "store roots" "registry export" "import crate"; do
  expect_status "$cmd: unknown option" 2 "$FERRIX" $cmd --frobnicate x
  expect_eq "$cmd: unknown option named with the command" "$err" "ferrix: $cmd: unrecognized option '--frobnicate'
Try 'ferrix $cmd --help'."
done
for cmd in "build -L" "log --store" "registry export --base-url" "import crate --registry" \
           "repl -L" "download --name" "store add --store"; do
  expect_status "$cmd: missing value" 2 "$FERRIX" $cmd
  expect_match "$cmd: missing value named" "$err" "needs a value"
done

# The common options are the same everywhere: --store before or after the subcommand.
p=$("$FERRIX" store add --store "$TEST_TMP/s1" "$tree/a")
expect_match "--store VALUE after the subcommand" "$p" "^$TEST_TMP/s1/store/"
expect_status "--store=VALUE before the subcommand" 0 "$FERRIX" store --store="$TEST_TMP/s1" path-info --size "$p"
expect_match "--store=VALUE before the subcommand: the item" "$out" "^$p"$'\t'"[0-9]+$"
expect_status "--store before the command" 0 "$FERRIX" --store "$TEST_TMP/s1" store references "$p"
expect_status "the default store does not have it" 1 "$FERRIX" store path-info "$p"

# repl passes everything after FILE to the script, options included.
cat >"$TEST_TMP/args.scm" <<'SCM'
(write (cdr (command-line)))
(newline)
SCM
expect_eq "repl: options after FILE are the script's" "$("$FERRIX" repl -L "$TEST_TMP" "$TEST_TMP/args.scm" -r --frobnicate x)" '("-r" "--frobnicate" "x")'

# Mistyped commands and subcommands get a suggestion when one is close.
expect_status "unknown command" 2 "$FERRIX" biuld
expect_eq "unknown command: a suggestion" "$err" "ferrix: unknown command 'biuld'
hint: did you mean 'build'?
Try 'ferrix --help'."
expect_status "unknown command, nothing close" 2 "$FERRIX" frobnicate
expect_eq "nothing close: no suggestion" "$err" "ferrix: unknown command 'frobnicate'
Try 'ferrix --help'."
expect_status "unknown store command" 2 "$FERRIX" store verfiy
expect_eq "unknown store command: a suggestion" "$err" "ferrix: store: unknown command 'verfiy'
hint: did you mean 'verify'?
Try 'ferrix store --help'."
expect_status "unknown store command, nothing close" 2 "$FERRIX" store frob
expect_eq "store, nothing close: no suggestion" "$err" "ferrix: store: unknown command 'frob'
Try 'ferrix store --help'."
expect_status "unknown registry subcommand" 2 "$FERRIX" registry exprot
expect_eq "unknown registry subcommand: a suggestion" "$err" "ferrix: registry: unknown subcommand 'exprot'
hint: did you mean 'export'?
Try 'ferrix registry --help'."
finish

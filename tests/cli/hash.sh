# `ferrix hash` gives the answers `nix-hash` gives, in every algorithm and format, and clear usage
# errors with exit status 2.
source "$(dirname "$0")/lib/assert.bash"

tree=$TEST_TMP/tree
mkdir -p "$tree/sub/empty"
printf 'hello\n' >"$tree/a"
printf '#!/bin/sh\necho hi\n' >"$tree/sub/run" && chmod +x "$tree/sub/run"
ln -s ../a "$tree/sub/link"
head -c 300000 /dev/urandom >"$tree/big"

for algo in md5 sha1 sha256 sha512; do
  expect_eq "nar $algo base16" "$("$FERRIX" hash -r -H $algo -f base16 "$tree")" \
    "$(nix-hash --type $algo "$tree")"
  expect_eq "nar $algo nix32" "$("$FERRIX" hash -S nar -H $algo "$tree")" \
    "$(nix-hash --type $algo --base32 "$tree")"
  expect_eq "flat $algo" "$("$FERRIX" hash -H $algo -f base16 "$tree/big")" \
    "$(nix-hash --flat --type $algo "$tree/big")"
  expect_eq "nar $algo sri" "$("$FERRIX" hash -r -H $algo -f sri "$tree")" \
    "$(nix --extra-experimental-features nix-command hash path --type $algo --sri "$tree")"
done
expect_eq "stdin" "$(printf 'test\n' | "$FERRIX" hash -)" \
  "1lkgqb6fclns49861dwk9rzb6xnfkxbpws74mxnx01z9qyv1pjpj"
expect_eq "two files" "$("$FERRIX" hash "$tree/a" "$tree/a" | wc -l)" "2"

expect_status "help exits 0" 0 "$FERRIX" hash --help
expect_match "help names the options" "$out" "--serializer"
expect_status "no file is a usage error" 2 "$FERRIX" hash
expect_status "unknown option" 2 "$FERRIX" hash --frobnicate x
expect_match "unknown option is named" "$err" "--frobnicate"
expect_status "unknown algorithm" 2 "$FERRIX" hash -H whirlpool "$tree/a"
expect_match "unknown algorithm is named" "$err" "whirlpool"
expect_status "unknown format" 2 "$FERRIX" hash -f base58 "$tree/a"
expect_status "missing file fails" 1 "$FERRIX" hash "$TEST_TMP/nope"
expect_match "missing file is named" "$err" "nope"
expect_status "directory needs -r" 1 "$FERRIX" hash "$tree"
expect_match "directory hint" "$err" "-S nar"
mkfifo "$TEST_TMP/fifo"
expect_status "fifo in a NAR fails" 1 "$FERRIX" hash -r "$TEST_TMP/fifo"
expect_status "unknown command" 2 "$FERRIX" frobnicate
expect_status "version" 0 "$FERRIX" --version
expect_match "version text" "$out" "^ferrix [0-9]"
finish

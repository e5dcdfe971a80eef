# `ferrix store ...` end to end: paths equal `nix-store --add`'s, NARs equal `nix-store --dump`'s,
# verify finds corruption, gc honours roots, bad input fails cleanly with nothing left behind.
source "$(dirname "$0")/lib/assert.bash"

nixroot=$TEST_TMP/nix
src=$TEST_TMP/pkg
mkdir -p "$src/bin" "$src/share/empty"
printf 'data\n' >"$src/share/file"
printf '#!/bin/sh\n' >"$src/bin/tool" && chmod 755 "$src/bin/tool"
ln -s ../share/file "$src/bin/link"

# A store whose store directory is /nix/store gives nix's paths.
nixpath=$(nix-store --store "$nixroot" --add "$src" 2>/dev/null)
ours=$("$FERRIX" --store "$TEST_TMP/nixlike" --store-dir /nix/store store add "$src")
expect_eq "source path equals nix-store --add" "$ours" "$nixpath"
nixfixed=$(nix-store --store "$nixroot" --add-fixed sha1 "$src/share/file" 2>/dev/null)
oursfixed=$("$FERRIX" store --store "$TEST_TMP/nixlike" add -S none -H sha1 "$src/share/file")
expect_eq "flat sha1 path equals nix-store --add-fixed" "$oursfixed" "$nixfixed"
nixfixedr=$(nix-store --store "$nixroot" --add-fixed --recursive sha512 "$src" 2>/dev/null)
oursfixedr=$("$FERRIX" store --store "$TEST_TMP/nixlike" add -H sha512 "$src")
expect_eq "recursive sha512 path equals nix-store --add-fixed --recursive" "$oursfixedr" "$nixfixedr"
expect_status "store dir mismatch refused" 1 "$FERRIX" --store "$TEST_TMP/nixlike" --store-dir /gnu/store store add "$src"
expect_match "mismatch names both" "$err" "/nix/store"

# The default store layout: <root>/store.
p=$("$FERRIX" store add "$src")
expect_match "default store dir" "$p" "^$FERRIX_STORE/store/[0-9a-z]{32}-pkg$"
expect_eq "add is idempotent" "$("$FERRIX" store add "$src")" "$p"
expect_eq "item is read-only" "$(stat -c %a "$p/share/file") $(stat -c %a "$p/bin/tool") $(stat -c %a "$p/share")" "444 555 555"
expect_eq "mtime is 1" "$(stat -c %Y "$p/share/file")" "1"
"$FERRIX" store dump "$p" >"$TEST_TMP/ours.nar"
nix-store --dump "$src" >"$TEST_TMP/nix.nar"
expect_eq "dump equals nix-store --dump" "$(sha256sum <"$TEST_TMP/ours.nar")" "$(sha256sum <"$TEST_TMP/nix.nar")"
expect_status "restore a NAR" 0 "$FERRIX" store restore "$TEST_TMP/restored" <"$TEST_TMP/nix.nar"
expect_eq "restored tree equals the source" "$(nix-hash --type sha256 "$TEST_TMP/restored")" "$(nix-hash --type sha256 "$src")"
head -c 300 "$TEST_TMP/nix.nar" >"$TEST_TMP/trunc.nar"
expect_status "truncated NAR refused" 1 "$FERRIX" store restore "$TEST_TMP/partial" <"$TEST_TMP/trunc.nar"
expect_eq "nothing left after a bad NAR" "$(test -e "$TEST_TMP/partial" && echo exists || echo absent)" "absent"
expect_status "restore onto an existing path refused" 1 "$FERRIX" store restore "$TEST_TMP/restored" <"$TEST_TMP/nix.nar"
expect_status "dump to a missing path fails" 1 "$FERRIX" store dump "$TEST_TMP/none"
# A symlink target with a NUL byte: restore would cut it there, so two NARs would give one tree.
python3 -c 'import sys
def s(b): return len(b).to_bytes(8, "little") + b + bytes(-len(b) % 8)
sys.stdout.buffer.write(b"".join(map(s, [b"nix-archive-1", b"(", b"type", b"directory", b"entry", b"(", b"name", b"ok", b"node", b"(", b"type", b"regular", b"contents", b"x", b")", b")", b"entry", b"(", b"name", b"sym", b"node", b"(", b"type", b"symlink", b"target", b"a\0b", b")", b")", b")"])))' >"$TEST_TMP/nul.nar"
expect_status "NUL in a symlink target refused" 1 "$FERRIX" store restore "$TEST_TMP/nul-restored" <"$TEST_TMP/nul.nar"
expect_match "NUL in a symlink target: the symlink named" "$err" "symlink 'sym' has a target containing a NUL byte"
expect_eq "NUL in a symlink target: nothing left" "$(test -e "$TEST_TMP/nul-restored" && echo exists || echo absent)" "absent"

# Text items, references and path-info.
t=$(printf 'uses %s\n' "$p" | "$FERRIX" store add-text --reference "$p" note)
expect_eq "references" "$("$FERRIX" store references "$t")" "$p"
expect_eq "referrers" "$("$FERRIX" store references --referrers "$p")" "$t"
expect_eq "closure" "$("$FERRIX" store references -r "$t" | sort)" "$(printf '%s\n%s\n' "$p" "$t" | sort)"
expect_eq "path-info hash equals nix-hash" "$("$FERRIX" store path-info --hash -f base16 "$p" | cut -f2)" "sha256:$(nix-hash --type sha256 "$src")"
json=$("$FERRIX" store path-info --json "$t")
expect_eq "path-info json" "$(python3 -c 'import json,sys; j=json.load(sys.stdin)[0]; print(j["narSize"] > 0, len(j["references"]))' <<<"$json")" "True 1"
expect_status "add-text refuses a reference that is not in the store" 1 "$FERRIX" store add-text --reference /etc/passwd x </dev/null
expect_status "invalid name refused" 1 "$FERRIX" store add -n 'bad name' "$src"
expect_match "invalid name explained" "$err" "invalid character ' '"
expect_eq "no temporary items left" "$(find "$FERRIX_STORE/store/.ferrix-tmp" -mindepth 1 | wc -l)" "0"
expect_status "path-info of an unknown path" 1 "$FERRIX" store path-info "$FERRIX_STORE/store/00000000000000000000000000000000-x"

# show-derivation equals nix's JSON.
cat >"$TEST_TMP/d.nix" <<'NIX'
derivation { name = "demo"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo \"$x\"\n" ]; x = "tab\there"; outputs = [ "out" "doc" ]; }
NIX
drv=$(nix-instantiate --store "$nixroot" "$TEST_TMP/d.nix" 2>/dev/null)
"$FERRIX" show-derivation "$nixroot$drv" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(json.dumps(list(j.values())[0], sort_keys=True))' >"$TEST_TMP/ours.json"
nix --extra-experimental-features nix-command --store "$nixroot" show-derivation "$drv" 2>/dev/null | python3 -c 'import json,sys; j=json.load(sys.stdin); print(json.dumps(list(j.values())[0], sort_keys=True))' >"$TEST_TMP/nix.json"
expect_eq "show-derivation equals nix show-derivation" "$(cat "$TEST_TMP/ours.json")" "$(cat "$TEST_TMP/nix.json")"
printf 'Derive([("out","/x","",""' >"$TEST_TMP/bad.drv"
expect_status "malformed derivation refused" 1 "$FERRIX" show-derivation "$TEST_TMP/bad.drv"
expect_match "malformed derivation names file and byte" "$err" "bad.drv: bad derivation at byte [0-9]+"

# Roots and garbage collection.
keep=$("$FERRIX" store add --root keep "$src/share")
expect_match "roots listed" "$("$FERRIX" store roots)" "keep -> $keep"
dead=$("$FERRIX" store gc --print-dead)
expect_match "unrooted item is dead" "$dead" "$p"
expect_eq "rooted item is not dead" "$(grep -c "$keep" <<<"$dead" || true)" "0"
expect_status "deleting a live path is refused" 1 "$FERRIX" store gc --delete "$keep"
expect_status "gc" 0 "$FERRIX" store gc
expect_eq "dead item deleted" "$(test -e "$p" && echo exists || echo gone)" "gone"
expect_eq "live item kept" "$(test -e "$keep" && echo exists || echo gone)" "exists"
"$FERRIX" store roots --remove keep
expect_eq "gc after removing the root" "$("$FERRIX" store gc 2>/dev/null)" "$keep"

# Junk in the directories gc walks (a build could leave some) is reported and skipped.
mkdir -p "$FERRIX_STORE/var/ferrix/locks/x.lock"
mkfifo "$FERRIX_STORE/var/ferrix/locks/fifo.lock" "$FERRIX_STORE/var/ferrix/temproots/fifo"
mkdir -p "$FERRIX_STORE/var/ferrix/builds" && mkfifo "$FERRIX_STORE/var/ferrix/builds/fifo"
mkfifo "$FERRIX_STORE/store/.ferrix-tmp/fifo"
junkdead=$(printf 'junk\n' | "$FERRIX" store add-text junk-dead)
expect_status "gc with junk in its directories" 0 timeout 60 "$FERRIX" store gc
expect_eq "gc with junk: the dead item is reclaimed" "$out" "$junkdead"
expect_match "gc with junk: the lock directory reported" "$err" "ferrix: warning: ignoring '$FERRIX_STORE/var/ferrix/locks/x\.lock': it is a directory, not a lock file"
expect_match "gc with junk: the FIFO reported" "$err" "ferrix: warning: ignoring '$FERRIX_STORE/var/ferrix/locks/fifo\.lock': it is a FIFO, not a lock file"
expect_match "gc with junk: the summary still printed" "$err" "deleted 1 items"
rm -rf "$FERRIX_STORE/var/ferrix/locks/x.lock" "$FERRIX_STORE/var/ferrix/locks/fifo.lock" "$FERRIX_STORE/var/ferrix/temproots/fifo" "$FERRIX_STORE/var/ferrix/builds/fifo"

# verify finds and repairs corruption.
a=$("$FERRIX" store add "$src")
b=$(printf '%s' "$a" | "$FERRIX" store add-text --reference "$a" refers-to-a)
expect_status "clean store verifies" 0 "$FERRIX" store verify
chmod u+w "$a/share/file" && printf 'tampered\n' >"$a/share/file"
expect_status "corruption detected" 1 "$FERRIX" store verify
expect_match "corrupt item named" "$err" "corrupt: $a"
expect_status "repair" 1 "$FERRIX" store verify --repair
expect_match "referrer removed too" "$err" "removed: $b"
expect_status "verify clean after repair" 0 "$FERRIX" store verify

expect_status "store help" 0 "$FERRIX" store --help
for c in add add-text dump restore path-info references verify gc roots; do
  expect_status "store $c --help" 0 "$FERRIX" store $c --help
done
expect_status "store without command" 2 "$FERRIX" store
expect_status "unknown store command" 2 "$FERRIX" store frob
expect_status "show-derivation --help" 0 "$FERRIX" show-derivation --help
finish

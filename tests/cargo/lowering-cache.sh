#!/usr/bin/env bash
# The per-crate lowering's cache (doc/per-crate.md, "Lowering and its cache"): a lowering read back
# from the cache gives the .drv files an uncached lowering gives, for wordfreq and a workspace;
# each part of the key (a manifest edit in a path package, the features, the profile, the target,
# the user's crate overrides, the lock file) gives the derivations a fresh lowering gives, not the
# cached ones; an entry that is corrupt, of another format or names a .drv the store no longer
# has is ignored and rewritten.
# Only lowering (`ferrix build -d`): nothing is compiled.
source "$(dirname "$0")/lib/cargo.bash"
source "$FERRIX_SOURCE_DIR/tests/data/crates/prepare.bash"

warm=$TEST_TMP/cache-warm
rm -rf "$warm" "$TEST_TMP/cold"
mkdir -p "$TEST_TMP/cold"
entries=$warm/ferrix/per-crate

# lower CACHE FILE [OPTION...]: the .drv of FILE's package, lowered per-crate with CACHE as
# XDG_CACHE_HOME.
lower() {
  local cache=$1 file=$2
  shift 2
  XDG_CACHE_HOME=$cache "$FERRIX" build -d --per-crate "$@" -f "$file"
}
# uncached FILE [OPTION...]: the same with an empty cache.
uncached() {
  local cache
  cache=$(mktemp -d "$TEST_TMP/cold/XXXXXX")
  lower "$cache" "$@"
}
count_entries() {
  find "$entries" -maxdepth 1 -type f ! -name '.*' 2>/dev/null | wc -l
}

# wordfreq: the cache's first lowering records an entry, the second reads it; both give the
# uncached .drv.
work=$TEST_TMP/example
rm -rf "$work"
mkdir -p "$work"
cp -r "$FERRIX_SOURCE_DIR/examples/wordfreq" "$FERRIX_SOURCE_DIR/examples/wordfreq.scm" "$work/"
fresh=$(uncached "$work/wordfreq.scm")
expect_match "wordfreq: an uncached lowering gives a .drv" "$fresh" '\.drv$'
expect_eq "wordfreq: the first lowering with a cache gives the uncached .drv" \
  "$(lower "$warm" "$work/wordfreq.scm")" "$fresh"
expect_eq "wordfreq: it records one entry" "$(count_entries)" "1"
expect_eq "wordfreq: the lowering read from the cache gives the same .drv" \
  "$(lower "$warm" "$work/wordfreq.scm")" "$fresh"
expect_eq "wordfreq: a hit records no other entry" "$(count_entries)" "1"

# The entry is what a hit returns: one naming another valid .drv (here the whole-package mode's)
# is returned as it is; that is the proof that the lowering above came from the cache.
entry=$(find "$entries" -maxdepth 1 -type f ! -name '.*')
whole=$(XDG_CACHE_HOME=$warm "$FERRIX" build -d -f "$work/wordfreq.scm")
saved=$(cat "$entry")
sed -i "s|$fresh|$whole|" "$entry"
expect_eq "an entry naming a valid .drv is what a hit returns" \
  "$(lower "$warm" "$work/wordfreq.scm")" "$whole"

# Entries that cannot be used: ignored, the lowering done again and the entry rewritten.
check_rewritten() {
  expect_eq "$1: ignored, the lowering gives the uncached .drv" \
    "$(lower "$warm" "$work/wordfreq.scm" 2>"$TEST_TMP/err")" "$fresh"
  expect_eq "$1: no error" "$(cat "$TEST_TMP/err")" ""
  expect_eq "$1: the entry is rewritten" "$(cat "$entry")" "$saved"
}
printf '(per-crate-lowering 1 "/nix/sto' >"$entry"
check_rewritten "a truncated entry"
printf '\x00\xff garbage' >"$entry"
check_rewritten "a corrupt entry"
sed "s|(per-crate-lowering 1 |(per-crate-lowering 999 |" <<<"$saved" >"$entry"
check_rewritten "an entry of another format"
sed -E "s|/[a-z0-9]{32}-|/00000000000000000000000000000000-|" <<<"$saved" >"$entry"
check_rewritten "an entry naming a .drv not in the store"

# A workspace (two path packages, each an item of its own).
ws=$TEST_TMP/data/workspace
rm -rf "$ws"
mkdir -p "$TEST_TMP/data"
cp -R "$FERRIX_SOURCE_DIR/tests/data/crates/workspace" "$ws"
printf '\n[features]\nfancy = []\n' >>"$ws/app/Cargo.toml"
file=$(registry_package workspace "$ws" '#t')
featured=$TEST_TMP/data/workspace-fancy.scm
sed 's|#:tests? #t|#:tests? #t #:features ("fancy")|' "$file" >"$featured"

# check_key WHAT FILE [OPTION...]: after a change of WHAT, the lowering with the warm cache gives
# what an uncached one gives, and (unless WHAT is "unchanged") not what it gave before.
previous=""
check_key() {
  local what=$1 now cached
  shift
  now=$(uncached "$@")
  cached=$(lower "$warm" "$@")
  expect_eq "workspace, $what: the cached lowering gives the uncached .drv" "$cached" "$now"
  expect_eq "workspace, $what: and again, from the cache" "$(lower "$warm" "$@")" "$now"
  if [ -n "$previous" ]; then
    if [ "$now" != "$previous" ]; then
      ok "workspace, $what: a new derivation"
    else
      not_ok "workspace, $what: the same derivation as before the change"
    fi
  fi
  previous=$now
}
check_key "first lowering" "$file"
before=$(count_entries)
lower "$warm" "$file" >/dev/null
expect_eq "workspace: a hit records no other entry" "$(count_entries)" "$before"
unit_drvs() {
  "$FERRIX" show-derivation "$1" | python3 -c '
import json, sys
print(" ".join(sorted(p for p in next(iter(json.load(sys.stdin).values()))["inputDrvs"])))'
}
units_before=$(unit_drvs "$previous")
sed -i 's/^base = \[\]/base = []\nmore = []/' "$ws/util/Cargo.toml"
check_key "a manifest edit in a member" "$file"
expect_eq "workspace: the member's units changed" \
  "$([ "$(unit_drvs "$previous")" != "$units_before" ] && echo changed)" "changed"
check_key "a feature set" "$featured"
previous=$(uncached "$file")
printf '\n[profile.release]\nopt-level = 2\n' >>"$ws/Cargo.toml"
check_key "a profile" "$file"
check_key "a target" "$file" --target=x86_64-linux-gnu
previous=$(uncached "$file")
# The user's crate overrides (--crate-overrides=FILE): a changed variable is a new key.
for value in one two; do
  printf '(list (crate-override (name "util") (environment (quote (("UTIL_NOTE" . "%s"))))))\n' \
    "$value" >"$TEST_TMP/overrides.scm"
  check_key "a crate override ($value)" "$file" --crate-overrides="$TEST_TMP/overrides.scm"
done
previous=$(uncached "$file")
sed -i 's/^version = 4$/version = 3/' "$ws/Cargo.lock"
check_key "a lock file change" "$file"
rm "$ws/Cargo.lock"
check_key "no lock file" "$file"

finish

# Sourced by the tests that use these crates (see README.md).
#
# prepare_crate NAME DIR [REGISTRY]: copies the crate NAME of this directory to DIR, copies the
# registry crates its Cargo.lock names (from REGISTRY, Debian's /usr/share/cargo/registry by
# default) to DIR.vendor, and writes DIR/.cargo/config.toml replacing crates-io with that copy,
# so that plain `cargo build --offline --locked` builds it (and a run is not disturbed by crates
# installed into the registry meanwhile).
prepare_crate() {
  local name=$1 dir=$2 registry=${3:-/usr/share/cargo/registry}
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  [ -d "$here/$name" ] || { echo "prepare_crate: no crate $name in $here" >&2; return 1; }
  rm -rf "$dir" "$dir.vendor"
  mkdir -p "$dir.vendor" "$(dirname "$dir")"
  cp -R "$here/$name" "$dir"
  local crate checksum
  while read -r crate checksum; do
    [ -d "$registry/$crate" ] || { echo "prepare_crate: $crate is not in $registry" >&2; return 1; }
    cp -R "$registry/$crate" "$dir.vendor/$crate"
    # The lock file's checksum, not the registry's file (which may have changed since); null
    # where Debian's package had none ("Could not get crate checksum", left out of the lock).
    if [ "$checksum" = none ]; then checksum=null; else checksum="\"$checksum\""; fi
    printf '{"files":{},"package":%s}' "$checksum" >"$dir.vendor/$crate/.cargo-checksum.json"
  done < <(locked_registry_crates "$dir/Cargo.lock")
  mkdir -p "$dir/.cargo"
  cat >"$dir/.cargo/config.toml" <<TOML
[source.crates-io]
replace-with = "pinned"

[source.pinned]
directory = "$dir.vendor"

[net]
offline = true
TOML
}

# locked_registry_crates LOCKFILE: "NAME-VERSION CHECKSUM" for each registry package of LOCKFILE
# (CHECKSUM "none" when the lock file has none).
locked_registry_crates() {
  awk 'function flush() { if (registry) print name "-" version " " sum }
       /^\[\[package\]\]/ { flush(); name = ""; version = ""; registry = 0; sum = "none" }
       /^name = / { name = $3; gsub(/"/, "", name) }
       /^version = / { version = $3; gsub(/"/, "", version) }
       /^source = "registry\+/ { registry = 1 }
       /^checksum = / { sum = $3; gsub(/"/, "", sum) }
       END { flush() }' "$1"
}

# crate_program NAME: the binary each crate's expected-output comes from.
crate_program() {
  case $1 in
    build-script) echo build-script-demo ;;
    links) echo links-app ;;
    proc-macro) echo proc-macro-app ;;
    sys) echo sys-app ;;
    deps) echo deps-app ;;
    workspace) echo ws-app ;;
    resolver-1) echo resolver-one ;;
    resolver-2) echo resolver-two ;;
    tests) echo tested ;;
    failing) echo failing-demo ;;
    *) return 1 ;;
  esac
}

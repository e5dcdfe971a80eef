# A local crate registry for the registry, importer and updater tests (source this file after
# tests/cli/lib/assert.bash, which empties $TEST_TMP). Needs FERRIX, FERRIX_SOURCE_DIR and
# TEST_TMP (CTest sets them; FERRIX_BUILD_DIR too, for the export cache).
#
#   registry_serve [SRC...] [-- HTTPD_OPTION...]
#       Serves an empty directory under $TEST_TMP with tests/lib/httpd.py (so that its port, and
#       thus its URL, is known), then exports the unpacked crates of each SRC (default: Debian's
#       /usr/share/cargo/registry) into it with `ferrix registry export --base-url $HTTPD_URL`.
#       HTTPD_OPTIONs go to httpd.py (--fault GLOB=SPEC, --latency MS, --max-requests N...).
#       Sets REGISTRY_DIR (the directory served), REGISTRY_URL (http://127.0.0.1:PORT, the
#       registry's base: REGISTRY_URL/api/v1/crates/NAME is the crate's JSON, .../NAME/VERSION/
#       download its .crate) and REGISTRY_INDEX (sparse+REGISTRY_URL/index/, for cargo), plus
#       httpd.bash's HTTPD_PID, HTTPD_URL and HTTPD_LOG. Call it once per test script (one
#       server at a time; httpd_stop, or the EXIT trap, stops it).
#
#   registry_mirror_config DIR
#       Writes DIR/ferrix/config.toml with a prefix mirror sending
#       https://crates.io/api/v1/crates/ to REGISTRY_URL/api/v1/crates/ (doc/fetch.md) and
#       exports XDG_CONFIG_HOME=DIR, so that ferrix fetches crates.io URLs from the registry.
#
#   registry_cargo_home DIR
#       Writes DIR/config.toml replacing crates.io by the registry's sparse index for cargo and
#       exports CARGO_HOME=DIR. Cargo older than 1.68 needs `-Z sparse-registry` on the nightly
#       channel: registry_cargo_flags is then set to (-Z sparse-registry) and
#       __CARGO_TEST_CHANNEL_OVERRIDE_DO_NOT_USE_THIS=nightly exported; pass
#       "${registry_cargo_flags[@]}" to every cargo command.
#
# Exports are cached under $FERRIX_BUILD_DIR/tests/registry-cache (one per list of sources and
# of the crates they hold, updated incrementally by each run: an unchanged crate is not packed
# again) and copied, so a test pays for packing Debian's crates only the first time.

source "${FERRIX_SOURCE_DIR:?}/tests/lib/httpd.bash"

# The registry is on 127.0.0.1: never through a proxy (cargo and libcurl honour these).
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

REGISTRY_DIR=
REGISTRY_URL=
REGISTRY_INDEX=
registry_cargo_flags=()

registry_serve() {
  local sources=() httpd_opts=()
  while (($#)); do
    if [[ $1 == -- ]]; then
      shift
      httpd_opts=("$@")
      break
    fi
    sources+=("$(realpath "$1")")
    shift
  done
  ((${#sources[@]})) || sources=(/usr/share/cargo/registry)

  REGISTRY_DIR=$(mktemp -d "${TEST_TMP:?}/registry.XXXXXX")
  chmod 755 "$REGISTRY_DIR"
  httpd_start "$REGISTRY_DIR" "${httpd_opts[@]}" || return 1
  REGISTRY_URL=$HTTPD_URL
  REGISTRY_INDEX=sparse+$REGISTRY_URL/index/

  local cache_root=${FERRIX_BUILD_DIR:-$TEST_TMP}/tests/registry-cache
  # Keyed by the sources and what they hold: the export adds and replaces, never removes, so a
  # crate gone from a source must not survive in the cache. Changed files within a crate are
  # the export's own business (fingerprints).
  local key src
  key=$(for src in "${sources[@]}"; do echo "$src"; ls -A "$src"; done | sha256sum | cut -c1-16)
  mkdir -p "$cache_root"
  "${FERRIX:?}" registry export --quiet --base-url "http://cache.invalid" \
    "${sources[@]}" "$cache_root/$key" || return 1
  cp -R "$cache_root/$key/." "$REGISTRY_DIR/"
  # Into the served directory: only index/config.json changes (the base URL); the copied .crate
  # files are checked against their sources and kept.
  "$FERRIX" registry export --quiet --base-url "$REGISTRY_URL" \
    "${sources[@]}" "$REGISTRY_DIR" || return 1
}

registry_mirror_config() {
  local dir=${1:?registry_mirror_config DIR}
  : "${REGISTRY_URL:?call registry_serve first}"
  mkdir -p "$dir/ferrix"
  cat >"$dir/ferrix/config.toml" <<EOF
# Written by tests/registry/lib/registry.bash: crates.io downloads come from the local registry.
[[mirror]]
prefix = "https://crates.io/api/v1/crates/"
urls = ["$REGISTRY_URL/api/v1/crates/"]
EOF
  export XDG_CONFIG_HOME=$dir
}

# The version of the cargo on PATH as MAJOR*1000+MINOR (1.63 -> 1063).
registry_cargo_version() {
  cargo --version | sed -E 's/^cargo ([0-9]+)\.([0-9]+).*/\1 \2/' |
    { read -r major minor; echo $((major * 1000 + minor)); }
}

registry_cargo_home() {
  local dir=${1:?registry_cargo_home DIR}
  : "${REGISTRY_INDEX:?call registry_serve first}"
  mkdir -p "$dir"
  cat >"$dir/config.toml" <<EOF
[source.crates-io]
replace-with = "local"

[source.local]
registry = "$REGISTRY_INDEX"

[net]
retry = 0
EOF
  export CARGO_HOME=$dir
  if (($(registry_cargo_version) < 1068)); then
    registry_cargo_flags=(-Z sparse-registry)
    export __CARGO_TEST_CHANNEL_OVERRIDE_DO_NOT_USE_THIS=nightly
  else
    registry_cargo_flags=()
  fi
}

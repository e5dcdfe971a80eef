# Helpers for the cargo integration tests (tests/cargo/*.sh): package files written on the fly
# and built with `ferrix build` (isolated, offline) into a store of the test's own.
set -euo pipefail
: "${FERRIX:?}" "${FERRIX_SOURCE_DIR:?}" "${TEST_TMP:?}"
source "$FERRIX_SOURCE_DIR/tests/cli/lib/assert.bash"
export XDG_CACHE_HOME="$TEST_TMP/cache"

fail() {
  not_ok "$1"
  finish || true
  exit 1
}

# drv FILE.scm: the .drv of the package FILE evaluates to.
drv() {
  "$FERRIX" build -d -f "$1"
}

# out_path DRV: DRV's "out" output.
out_path() {
  "$FERRIX" show-derivation "$1" | python3 -c '
import json, sys
print(next(iter(json.load(sys.stdin).values()))["outputs"]["out"]["path"])'
}

# try_build FILE.scm [FERRIX-BUILD-OPTION...]: build; the status is ferrix build's, its log (the
# builder's output) is left in $TEST_TMP/last.log and the output path in $built.
try_build() {
  local file=$1
  shift
  local d status=0
  d=$(drv "$file")
  built=$(out_path "$d")
  "$FERRIX" build "$@" -f "$file" >"$TEST_TMP/build.out" 2>"$TEST_TMP/build.err" || status=$?
  "$FERRIX" log "$d" >"$TEST_TMP/last.log" 2>/dev/null || cp "$TEST_TMP/build.err" "$TEST_TMP/last.log"
  return $status
}

# build FILE.scm LINK: build, failing the test (with the log's end) if the build fails; LINK
# becomes a symlink to the output.
build() {
  if ! try_build "$1"; then
    tail -n 40 "$TEST_TMP/last.log" >&2
    cat "$TEST_TMP/build.err" >&2
    fail "building $1 failed"
  fi
  expect_eq "ferrix build prints the output" "$(tail -n 1 "$TEST_TMP/build.out")" "$built"
  ln -sfn "$built" "$2"
}

PREAMBLE='(use-modules (ferrix packages) (ferrix crates) (ferrix build-system cargo))'

# registry_package NAME DIR TESTS? CRATE...: write DIR.scm, a package of the crate in DIR whose
# crate inputs are the registry crates CRATE (NAME-VERSION) of Debian's registry, pinned by their
# hash now, with #:tests? TESTS? and $EXTRA_ARGUMENTS; print its file name.
registry_package() {
  local name=$1 dir=$2 tests=$3 inputs="" crate pin
  shift 3
  for crate in "$@"; do
    pin=$("$FERRIX" hash -r "/usr/share/cargo/registry/$crate")
    inputs="$inputs (\"$crate\" ,(registry-crate \"${crate%-*}\" \"${crate##*-}\" #:sha256 \"$pin\"))"
  done
  cat >"$dir.scm" <<SCM
$PREAMBLE
(package
  (name "$name") (version "0.1.0")
  (source (local-file "$dir" #:recursive? #t))
  (build-system cargo-build-system)
  (arguments \`(#:install-source? #f #:tests? $tests #:cargo-inputs ($inputs) ${EXTRA_ARGUMENTS:-}))
  (synopsis "test") (description "test") (license #f) (home-page #f))
SCM
  echo "$dir.scm"
}

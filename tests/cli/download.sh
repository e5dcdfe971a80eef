# The downloader from the command line, against tests/lib/httpd.py on 127.0.0.1 with injected
# faults: `ferrix download` (path equal to the url-fetch output, hashes, errors), retries after
# 500s, resets and truncated bodies, persistent failures and timeouts giving up after the
# configured attempts, 404 moving on, hash mismatches, prefix and content-addressed mirrors from
# the configuration file and the command line, configuration errors at FILE:LINE:COLUMN, 40
# downloads in one build, terminal progress, and never a partial store item.
source "$(dirname "$0")/lib/assert.bash"
source "${FERRIX_SOURCE_DIR:?}/tests/lib/httpd.bash"
cd "$TEST_TMP"
T=$TEST_TMP
export NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
unset XDG_CONFIG_HOME

mkdir -p "$T/www/api/v1/crates/foo/1.0.0" "$T/www/cas" "$T/hashed/sha256"
for f in hello r500 p500 slow trunc1 truncp corrupt reset rst cas-only hashed-only; do
  printf 'contents of %s\n' "$f" >"$T/www/$f.txt"
done
head -c 200000 /dev/urandom >"$T/www/big.bin"
printf 'the foo crate\n' >"$T/www/api/v1/crates/foo/1.0.0/download"

# Quick retries; every test below writes its own variations.
config() { # [EXTRA TOML...]; $attempts: fetch.attempts (3)
  {
    printf '[fetch]\nattempts = %s\nretry-delay = 0.05\nmax-retry-delay = 0.2\n' "${attempts:-3}"
    printf '%s\n' "$@"
  } >"$T/config.toml"
}
export FERRIX_CONFIG=$T/config.toml
config

httpd_start "$T/www" --fault '/r500.txt=status:500:2' --fault '/p500.txt=status:500' \
  --fault '/slow.txt=slow:3' --fault '/trunc1.txt=truncate:5:1' --fault '/truncp.txt=truncate:5' \
  --fault '/corrupt.txt=corrupt' --fault '/reset.txt=reset:2' --fault '/rst.txt=rst:1' --fault '/big.bin=truncate:1000:1'
U=$HTTPD_URL
requests() { grep -c "$1" "$HTTPD_LOG" || true; }
hash_of() { "$FERRIX" hash "$@"; }

# origin NAME URL-EXPR HASH: a file evaluating to a url-fetch derivation.
origin() {
  cat >"$T/$1.scm" <<SCM
(use-modules (ferrix store) (ferrix download) (ferrix base32))
(with-store store
  (url-fetch store $2 'sha256 (nix-base32-string->bytevector "$3") "$1"))
SCM
}
out_path_of() { # DRV -> its output path
  sed -n 's/.*"out","\([^"]*\)".*/\1/p' "$1"
}
# No temporary build directory and nothing in the store's temporary area.
no_leftovers() {
  local builds tmp
  builds=$(ls -A "$FERRIX_STORE/var/ferrix/builds" 2>/dev/null | wc -l)
  tmp=$(find "$FERRIX_STORE/store/.ferrix-tmp" -mindepth 2 2>/dev/null | wc -l)
  expect_eq "$1: no build directory left" "$builds" "0"
  expect_eq "$1: nothing in the store's temporary area" "$tmp" "0"
}
not_valid() { # LABEL PATH
  expect_eq "$1: not in the store" "$(test -e "$2" && echo present || echo absent)" "absent"
  expect_status "$1: not valid" 1 "$FERRIX" store path-info "$2"
}

# --- ferrix download: store path and nix32 sha256, like guix download.
expect_status "download: ok" 0 "$FERRIX" download "$U/hello.txt"
hello_hash=$(hash_of "$T/www/hello.txt")
expect_match "download: store path" "$(sed -n 1p <<<"$out")" "^$FERRIX_STORE/store/[0-9a-z]{32}-hello\.txt$"
expect_eq "download: nix32 sha256" "$(sed -n 2p <<<"$out")" "$hello_hash"
expect_eq "download: two lines" "$(wc -l <<<"$out")" "2"
dl_path=$(sed -n 1p <<<"$out")
expect_eq "download: contents" "$(cat "$dl_path")" "contents of hello"
expect_match "download: progress on stderr" "$err" "downloading '$U/hello.txt'"
expect_match "download: downloaded line" "$err" "downloaded '$U/hello.txt' \(18 B in [0-9.]+ s\)"
expect_status "download: path-info" 0 "$FERRIX" store path-info --json "$dl_path"
expect_match "download: content address" "$out" "fixed:sha256:$hello_hash"

# The same path as the url-fetch origin's output: building it afterwards downloads nothing.
origin hello.txt "\"$U/hello.txt\"" "$hello_hash"
drv=$("$FERRIX" build -d -f hello.txt.scm)
expect_eq "download path = url-fetch output path" "$(out_path_of "$drv")" "$dl_path"
before=$(requests 'GET /hello.txt')
expect_status "origin build after download" 0 "$FERRIX" build -f hello.txt.scm
expect_eq "origin build: same path" "$out" "$dl_path"
expect_eq "origin build: no download" "$(requests 'GET /hello.txt')" "$before"
expect_eq "origin build: nothing said" "$(grep -c 'download' <<<"$err" || true)" "0"

# Other hashes and formats; --name; --executable.
expect_status "download -H sha512 -f base16" 0 "$FERRIX" download -H sha512 -f base16 "$U/hello.txt"
expect_eq "sha512 base16" "$(sed -n 2p <<<"$out")" "$(sha512sum "$T/www/hello.txt" | cut -d' ' -f1)"
expect_eq "-H sha512: the same store item" "$(sed -n 1p <<<"$out")" "$dl_path"
expect_status "download --format=sri" 0 "$FERRIX" download --format=sri "$U/hello.txt"
expect_match "sri" "$(sed -n 2p <<<"$out")" "^sha256-[A-Za-z0-9+/]{43}=$"
expect_status "download --name --executable" 0 "$FERRIX" download --name=greeting --executable "$U/hello.txt"
exe=$(sed -n 1p <<<"$out")
expect_match "--name" "$exe" "-greeting$"
expect_eq "--executable" "$(test -x "$exe" && echo yes || echo no)" "yes"
cat >"$T/exe.scm" <<SCM
(use-modules (ferrix store) (ferrix download) (ferrix base32))
(with-store store
  (url-fetch store "$U/hello.txt" 'sha256 (nix-base32-string->bytevector "$hello_hash") "greeting"
             #:executable? #t))
SCM
expect_eq "--executable: the url-fetch #:executable? output" "$(out_path_of "$("$FERRIX" build -d -f exe.scm)")" "$exe"

# Usage and failures.
expect_status "download --help" 0 "$FERRIX" download --help
expect_match "--help names the config file" "$out" "config.toml"
expect_status "download: no URL" 2 "$FERRIX" download
expect_status "download: unknown format" 2 "$FERRIX" download -f octal "$U/hello.txt"
expect_status "download: bad --mirror" 2 "$FERRIX" download --mirror=nothing "$U/hello.txt"
expect_status "build: bad --mirror" 2 "$FERRIX" build --mirror=nothing -f hello.txt.scm
expect_match "build: bad --mirror said" "$err" "--mirror needs PREFIX=URL"
expect_status "build --help: the download options" 0 "$FERRIX" build --help
expect_match "build --help: --max-downloads" "$out" "--max-downloads=N"
expect_status "download: 404" 1 "$FERRIX" download "$U/missing.txt"
expect_match "404: the URL and the status" "$err" "$U/missing.txt: HTTP 404 Not Found"
expect_eq "404: asked once" "$(requests 'GET /missing.txt')" "1"
expect_status "download: unknown host" 1 "$FERRIX" download "http://no-such-host.invalid/x.txt"
expect_match "unknown host: said" "$err" "no-such-host.invalid"

# --- Retries.
expect_status "500 twice, then ok" 0 "$FERRIX" download "$U/r500.txt"
expect_eq "500s: three requests" "$(requests 'GET /r500.txt')" "3"
expect_eq "500s: two were 500" "$(requests 'GET /r500.txt 500')" "2"
expect_match "500s: retrying said" "$err" "retrying '$U/r500.txt' in [0-9.]+ s \(HTTP 500"

expect_status "persistent 500: fails" 1 "$FERRIX" download "$U/p500.txt"
expect_eq "persistent 500: the configured 3 attempts" "$(requests 'GET /p500.txt 500')" "3"
expect_match "persistent 500: error" "$err" "$U/p500.txt: HTTP 500 Internal Server Error \(3 attempts\)"
expect_eq "persistent 500: no store item" "$(ls "$FERRIX_STORE/store" | grep -c 'p500' || true)" "0"
no_leftovers "persistent 500"
attempts=5 config
expect_status "persistent 500, attempts = 5" 1 "$FERRIX" download "$U/p500.txt"
expect_eq "attempts from the config file" "$(requests 'GET /p500.txt 500')" "8"
config

expect_status "resets twice, then ok" 0 "$FERRIX" download "$U/reset.txt"
expect_eq "resets: two" "$(requests 'GET /reset.txt reset')" "2"
expect_status "TCP reset (RST) once, then ok" 0 "$FERRIX" download "$U/rst.txt"
expect_match "RST: said" "$err" "retrying '$U/rst.txt' in [0-9.]+ s \\(.*[Rr]eset"
expect_eq "RST: then 200" "$(requests 'GET /rst.txt rst') $(requests 'GET /rst.txt 200')" "1 1"
expect_status "truncated once, then ok" 0 "$FERRIX" download "$U/trunc1.txt"
expect_eq "truncated: the whole file in the end" "$(cat "$(sed -n 1p <<<"$out")")" "contents of trunc1"
expect_status "always truncated: fails" 1 "$FERRIX" download "$U/truncp.txt"
expect_match "always truncated: why" "$err" "truncp.txt: .*(transfer closed|bytes remaining|Partial)"
expect_eq "always truncated: 3 attempts" "$(requests 'GET /truncp.txt')" "3"
no_leftovers "truncated"

attempts=2 config 'timeout = 1'
expect_status "slow answer: timeout" 1 "$FERRIX" download "$U/slow.txt"
expect_match "slow: timed out" "$err" "slow.txt: .*[Tt]imed? ?out.*\(2 attempts\)"
config
no_leftovers "slow"

# --- In builds: a corrupted body is a hash mismatch, nothing registered.
corrupt_hash=$(hash_of "$T/www/corrupt.txt")
origin corrupt.txt "\"$U/corrupt.txt\"" "$corrupt_hash"
corrupt_out=$(out_path_of "$("$FERRIX" build -d -f corrupt.txt.scm)")
expect_status "corrupt body: build fails" 1 "$FERRIX" build -f corrupt.txt.scm
expect_match "mismatch: the URL" "$err" "downloaded from $U/corrupt.txt"
expect_match "mismatch: expected" "$err" "expected: sha256:$corrupt_hash"
expect_match "mismatch: actual" "$err" "actual: +sha256:[0-9a-z]{52}"
expect_match "mismatch: how to update" "$err" "update the hash in the definition"
not_valid "corrupt" "$corrupt_out"
no_leftovers "corrupt"

# A truncated big file in a build: retried, whole in the end.
big_hash=$(hash_of "$T/www/big.bin")
origin big.bin "\"$U/big.bin\"" "$big_hash"
expect_status "truncated big file in a build: retried" 0 "$FERRIX" build -f big.bin.scm
expect_eq "big file: whole" "$(hash_of "$out")" "$big_hash"
expect_eq "big file: truncated once, then the rest (206)" "$(requests 'GET /big.bin truncate') $(requests 'GET /big.bin 206')" "1 1"

# Persistent 500 in a build: the error names the URL and the attempts; nothing registered.
p500_hash=$(hash_of "$T/www/p500.txt")
origin p500-build "\"$U/p500.txt\"" "$p500_hash"
p500_out=$(out_path_of "$("$FERRIX" build -d -f p500-build.scm)")
expect_status "persistent 500 in a build" 1 "$FERRIX" build -f p500-build.scm
expect_match "build error: attempts" "$err" "HTTP 500 Internal Server Error \(3 attempts\)"
not_valid "persistent 500 in a build" "$p500_out"
no_leftovers "persistent 500 in a build"
p500_drv=$("$FERRIX" build -d -f p500-build.scm)
expect_status "the download's log" 0 "$FERRIX" log "$p500_drv"
expect_match "log: the URLs in order" "$out" "URLs in the order tried:"
expect_match "log: each attempt" "$out" "retrying in"

# --- Prefix mirrors from the configuration file: crates.io served by the local server.
foo_hash=$(hash_of "$T/www/api/v1/crates/foo/1.0.0/download")
origin foo-1.0.0.crate '"https://crates.io/api/v1/crates/foo/1.0.0/download"' "$foo_hash"
config '' '[[mirror]]' 'prefix = "https://crates.io/api/v1/crates/"' "url = \"$U/api/v1/crates/\""
expect_status "prefix mirror from config.toml" 0 "$FERRIX" build -f foo-1.0.0.crate.scm
expect_eq "prefix mirror: contents" "$(cat "$out")" "the foo crate"
expect_eq "prefix mirror: fetched from the mirror" "$(requests 'GET /api/v1/crates/foo/1.0.0/download 200')" "1"
expect_match "prefix mirror: said" "$err" "downloaded '$U/api/v1/crates/foo/1.0.0/download'"
foo_drv=$("$FERRIX" build -d -f foo-1.0.0.crate.scm)
expect_status "prefix mirror: log" 0 "$FERRIX" log "$foo_drv"
expect_match "log: mirror first, then the original" "$out" "$U/api/v1/crates/foo/1.0.0/download \(mirror of https://crates.io/api/v1/crates/\).*https://crates.io/api/v1/crates/foo/1.0.0/download"
expect_eq "mirrors are not in the .drv" "$(grep -c 127.0.0.1 "$foo_drv" || true)" "0"
# XDG_CONFIG_HOME/ferrix/config.toml is the default place.
mkdir -p "$T/xdg/ferrix"
cp "$T/config.toml" "$T/xdg/ferrix/config.toml"
expect_status "XDG_CONFIG_HOME: ferrix download through the mirror" 0 \
  env -u FERRIX_CONFIG XDG_CONFIG_HOME="$T/xdg" "$FERRIX" download --name=foo-xdg "https://crates.io/api/v1/crates/foo/1.0.0/download"
expect_eq "XDG_CONFIG_HOME: hash" "$(sed -n 2p <<<"$out")" "$foo_hash"
# --no-config ignores it (an original URL that refuses connections: no network involved);
# --mirror on the command line.
cat >>"$T/config.toml" <<EOF
[[mirror]]
prefix = "http://127.0.0.1:1/"
url = "$U/"
EOF
expect_status "a mirror for a refused URL" 0 "$FERRIX" download --name=foo-refused "http://127.0.0.1:1/api/v1/crates/foo/1.0.0/download"
expect_status "--no-config: no mirror, refused" 1 "$FERRIX" download --no-config --name=foo-nc "http://127.0.0.1:1/api/v1/crates/foo/1.0.0/download"
expect_match "--no-config: the default 5 attempts, not the file's 3" "$err" "127.0.0.1:1/api/v1/crates/foo/1.0.0/download: .*\(5 attempts\)"
expect_status "--mirror on the command line" 0 "$FERRIX" download --no-config --name=foo-cli \
  "--mirror=https://crates.io/api/v1/crates/=$U/api/v1/crates/" "https://crates.io/api/v1/crates/foo/1.0.0/download"
config
# A mirror that answers 404 moves on to the next one at once.
cat >>"$T/config.toml" <<EOF
[[mirror]]
prefix = "https://crates.io/"
urls = ["$U/nothing-here/", "$U/"]
EOF
expect_status "404 on the first mirror: the next one" 0 "$FERRIX" download --name=foo-second "https://crates.io/api/v1/crates/foo/1.0.0/download"
expect_eq "first mirror asked once" "$(requests 'GET /nothing-here/api/v1/crates/foo/1.0.0/download 404')" "1"
config

# --- Content-addressed mirrors, when the original URL fails.
cas_hash=$(hash_of "$T/www/cas-only.txt")
cas_hex=$(hash_of -f base16 "$T/www/cas-only.txt")
mv "$T/www/cas-only.txt" "$T/www/cas/$cas_hex"
origin cas-only.txt "\"$U/cas-only.txt\"" "$cas_hash"
config '' '[content-mirrors]' "urls = [\"$U/cas/{sha256}\"]"
expect_status "content-addressed mirror after a 404" 0 "$FERRIX" build -f cas-only.txt.scm
expect_eq "content-addressed: contents" "$(cat "$out")" "contents of cas-only"
expect_eq "content-addressed: original tried first" "$(requests 'GET /cas-only.txt 404')" "1"
expect_eq "content-addressed: then the mirror" "$(requests "GET /cas/$cas_hex 200")" "1"
hashed_hash=$(hash_of "$T/www/hashed-only.txt")
hashed_hex=$(hash_of -f base16 "$T/www/hashed-only.txt")
mkdir -p "$T/www/nixmirror/sha256"
mv "$T/www/hashed-only.txt" "$T/www/nixmirror/sha256/$hashed_hex"
origin hashed-only.txt "\"$U/hashed-only.txt\"" "$hashed_hash"
config '' '[content-mirrors]' "hashed = [\"$U/nixmirror\"]"
expect_status "Nix-style hashed mirror" 0 "$FERRIX" build -f hashed-only.txt.scm
expect_eq "hashed mirror: MIRROR/sha256/BASE16" "$(requests "GET /nixmirror/sha256/$hashed_hex 200")" "1"
config
# --content-mirror on ferrix build.
origin cas-cli "\"$U/cas-only.txt\"" "$cas_hash"
expect_status "--content-mirror on ferrix build" 0 "$FERRIX" build --no-config "--content-mirror=$U/cas/{sha256}" -f cas-cli.scm
expect_eq "--content-mirror: contents" "$(cat "$out")" "contents of cas-only"

# --- Configuration errors: FILE:LINE:COLUMN.
printf '[fetch]\nattempts = "three"\n' >"$T/bad.toml"
expect_status "bad config: download fails" 1 env FERRIX_CONFIG="$T/bad.toml" "$FERRIX" download "$U/hello.txt"
expect_match "bad config: FILE:LINE:COLUMN" "$err" "$T/bad.toml:2:12: fetch.attempts must be an integer"
printf '[[mirror]]\nprefix = "https://crates.io/"\nurl = "http://x/"\nbogus = 1\n' >"$T/bad.toml"
origin unbuilt "\"$U/r500.txt\"" "$foo_hash"
expect_status "bad config: unknown key (ferrix build)" 1 env FERRIX_CONFIG="$T/bad.toml" "$FERRIX" build -f unbuilt.scm
expect_match "unknown key: FILE:LINE:COLUMN" "$err" "$T/bad.toml:4:9: unknown key 'mirror.bogus'"
printf '[fetch\n' >"$T/bad.toml"
expect_status "bad config: TOML syntax" 1 env FERRIX_CONFIG="$T/bad.toml" "$FERRIX" download "$U/hello.txt"
expect_match "TOML syntax: FILE:LINE:COLUMN" "$err" "$T/bad.toml:1:[0-9]+: "
expect_status "bad config ignored with --no-config" 0 env FERRIX_CONFIG="$T/bad.toml" "$FERRIX" download --no-config "$U/hello.txt"

httpd_stop

# --- Many downloads in one build: 40 origins, registered, over few connections.
mkdir -p "$T/many"
for i in $(seq 1 40); do printf 'file number %s\n' "$i" >"$T/many/f$i"; done
httpd_start "$T/many" --latency 50 --log-connections
{
  echo "(use-modules (ferrix store) (ferrix download) (ferrix base32))"
  echo "(with-store store (list"
  for i in $(seq 1 40); do
    echo "  (url-fetch store \"$HTTPD_URL/f$i\" 'sha256 (nix-base32-string->bytevector \"$(hash_of "$T/many/f$i")\") \"many-$i\")"
  done
  echo "))"
} >"$T/many.scm"
expect_status "40 downloads in one build (-M 1)" 0 "$FERRIX" build -M 1 --max-downloads=8 -f many.scm
expect_eq "40 outputs" "$(wc -l <<<"$out")" "40"
all_ok=yes
while read -r p; do
  "$FERRIX" store path-info "$p" >/dev/null 2>&1 || all_ok="no: $p"
done <<<"$out"
expect_eq "all 40 registered" "$all_ok" "yes"
expect_eq "40 requests" "$(grep -c ' 200 ' "$HTTPD_LOG")" "40"
conns=$(awk '{print $4}' "$HTTPD_LOG" | sort -u | wc -l)
expect_eq "at most 8 connections, reused ($conns)" "$((conns >= 2 && conns <= 8))" "1"
expect_eq "downloaded lines" "$(grep -c "^downloaded '" <<<"$err")" "40"
httpd_stop

# --- On a terminal: a bar per file and a total.
if command -v script >/dev/null; then
  mkdir -p "$T/tty"
  for i in 1 2 3; do head -c 300000 /dev/urandom >"$T/tty/t$i"; done
  httpd_start "$T/tty" --fault '/t*=slow:1.5'
  {
    echo "(use-modules (ferrix store) (ferrix download) (ferrix base32))"
    echo "(with-store store (list"
    for i in 1 2 3; do
      echo "  (url-fetch store \"$HTTPD_URL/t$i\" 'sha256 (nix-base32-string->bytevector \"$(hash_of "$T/tty/t$i")\") \"tty-$i\")"
    done
    echo "))"
  } >"$T/tty.scm"
  script -qc "'$FERRIX' build -f '$T/tty.scm'" /dev/null >"$T/tty.out" 2>&1 </dev/null || true
  expect_match "terminal: a bar per file" "$(cat "$T/tty.out")" "\[[#. ]{20}\] .*tty-[123]"
  expect_match "terminal: the total" "$(cat "$T/tty.out")" "downloads: [0-3]/3 files, "
  httpd_stop
fi

expect_status "store verify at the end" 0 "$FERRIX" store verify
no_leftovers "at the end"
finish

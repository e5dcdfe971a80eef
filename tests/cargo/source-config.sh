#!/usr/bin/env bash
# A source's own .cargo/config.toml (doc/cargo.md, "The project's .cargo/config"): one that
# replaces crates.io with a 'local' registry that does not exist, goes online and sets
# [build] rustflags and [env] builds with ferrix's vendored crates, the rustflags and [env] in
# effect, and the log naming what was ignored; the installed source keeps the original file.
# The per-crate mode takes the same rustflags.
source "$(dirname "$0")/lib/cargo.bash"

dir=$TEST_TMP/kept
rm -rf "$dir"
mkdir -p "$dir/src" "$dir/.cargo"
cat >"$dir/Cargo.toml" <<'EOF'
[package]
name = "kept"
version = "0.1.0"
edition = "2021"

[dependencies]
itoa = "1"
EOF
cat >"$dir/src/main.rs" <<'EOF'
fn main() {
    let mut buffer = itoa::Buffer::new();
    println!("itoa says {}", buffer.format(42));
    #[cfg(ferrix_kept)]
    println!("rustflag kept");
    #[cfg(not(ferrix_kept))]
    println!("rustflag lost");
    println!("env {}", env!("FERRIX_CONFIG_ENV"));
}
EOF
cat >"$dir/.cargo/config.toml" <<'EOF'
# As a project might have it for its own mirror.
[source.crates-io]
replace-with = "local"

[source.local]
local-registry = "/nonexistent/ferrix-test-registry"

[net]
offline = false
retry = 0

[http]
timeout = 1

[build]
rustflags = ["--cfg", "ferrix_kept"]

[env]
FERRIX_CONFIG_ENV = "from-config"
EOF
cp "$dir/.cargo/config.toml" "$TEST_TMP/config.orig"

pin=$("$FERRIX" hash -r /usr/share/cargo/registry/itoa-1.0.1)
cat >"$dir.scm" <<SCM
$PREAMBLE
(package
  (name "kept") (version "0.1.0")
  (source (local-file "$dir" #:recursive? #t))
  (build-system cargo-build-system)
  (arguments \`(#:tests? #f
                #:cargo-inputs (("rust-itoa" ,(registry-crate "itoa" "1.0.1" #:sha256 "$pin")))))
  (synopsis "test") (description "test") (license #f) (home-page #f))
SCM

build "$dir.scm" "$TEST_TMP/whole"
expect_eq "built with the vendored crates, the rustflags and [env] of the source's config" \
  "$("$TEST_TMP/whole/bin/kept")" $'itoa says 42\nrustflag kept\nenv from-config'
log=$(cat "$TEST_TMP/last.log")
expect_match "the log names what was ignored" "$log" \
  "ignored source\.crates-io, source\.local, net, http of [^ ]*/\.cargo/config\.toml: crates come from the vendor directory, offline \(kept: build, env\)"
expect_match "the log names the rustflags kept" "$log" \
  "kept the rustflags of [^ ]*/\.cargo/config\.toml: --cfg ferrix_kept"
expect_match "the target tables are decided with those rustflags" "$log" \
  "with the rustflags' --cfg ferrix_kept"
installed=$(echo "$TEST_TMP"/whole/share/rust-source/kept-0.1.0)
if cmp -s "$installed/.cargo/config.toml" "$TEST_TMP/config.orig" &&
  [ ! -e "$installed/.cargo/config.toml.ferrix-orig" ]; then
  ok "the installed source has the original .cargo/config.toml"
else
  not_ok "the installed source's .cargo/config.toml is not the original"
fi

# A .cargo/config (no extension) is read too, and a string of rustflags split as cargo does.
rm "$dir/.cargo/config.toml"
printf '[source.crates-io]\nreplace-with = "nowhere"\n[build]\nrustflags = "--cfg ferrix_kept"\n[env]\nFERRIX_CONFIG_ENV = "plain"\n' \
  >"$dir/.cargo/config"
build "$dir.scm" "$TEST_TMP/plain"
expect_eq ".cargo/config: built, its rustflags and [env] in effect" \
  "$("$TEST_TMP/plain/bin/kept")" $'itoa says 42\nrustflag kept\nenv plain'
expect_match ".cargo/config: the log names what was ignored" "$(cat "$TEST_TMP/last.log")" \
  "ignored source\.crates-io of [^ ]*/\.cargo/config: "

# A configuration cargo would refuse is named with its line.
printf '[build\n' >"$dir/.cargo/config"
if try_build "$dir.scm"; then
  not_ok "a malformed .cargo/config was accepted"
else
  expect_match "a malformed .cargo/config: FILE:LINE:COLUMN" "$(cat "$TEST_TMP/last.log")" \
    "\.cargo/config:1:[0-9]+: "
fi

# The per-crate mode never runs cargo, so the source replacement cannot reach it; it takes the
# rustflags and leaves [env] to the source (it is not read there: doc/per-crate.md).
cp "$TEST_TMP/config.orig" "$dir/.cargo/config.toml"
rm "$dir/.cargo/config"
sed -i 's/^FERRIX_CONFIG_ENV.*//; s/^\[env\]//' "$dir/.cargo/config.toml"
sed -i 's/env!("FERRIX_CONFIG_ENV")/"none"/' "$dir/src/main.rs"
status=0
"$FERRIX" build --per-crate -f "$dir.scm" >"$TEST_TMP/pc.out" 2>"$TEST_TMP/pc.err" || status=$?
if [ "$status" -ne 0 ]; then
  tail -n 30 "$TEST_TMP/pc.err" >&2
  not_ok "per-crate: the build failed"
else
  expect_eq "per-crate: built, the source's rustflags in effect" \
    "$("$(tail -n 1 "$TEST_TMP/pc.out")/bin/kept")" $'itoa says 42\nrustflag kept\nenv none'
fi

finish

#!/usr/bin/env bash
# `ferrix shell` (doc/shell.md): in a copy of examples/wordfreq, `cargo build --offline` and
# `cargo test --offline` run in the package's build environment with the crates ferrix vendors
# and the package's toolchain; the CARGO_HOME config is the one ferrix writes, and goes away with
# the shell; the command's exit status passes through; --pure, -q, --cargo and the usage errors. About
# 4 minutes under load (cargo builds wordfreq's crates in the dev profile), 1.5 alone.
source "$(dirname "$0")/lib/cargo.bash"

work=$TEST_TMP/example
rm -rf "$work"
mkdir -p "$work"
cp -r "$FERRIX_SOURCE_DIR/examples/wordfreq" "$FERRIX_SOURCE_DIR/examples/wordfreq.scm" "$work/"
cd "$work/wordfreq"

# What the shell sees, written by a command inside it.
cat >"$TEST_TMP/probe.sh" <<'EOF'
set -e
echo "CARGO_HOME=$CARGO_HOME"
echo "RUSTC=$(command -v rustc)"
echo "CARGO=$(command -v cargo)"
echo "PATH1=${PATH%%:*}"
echo "OFFLINE=${CARGO_NET_OFFLINE:-}"
echo "FERRIX_SHELL=${FERRIX_SHELL:-}"
echo "RUSTFLAGS=$(printf '%s' "${CARGO_ENCODED_RUSTFLAGS:-}" | tr '\037' ' ')"
cp "$CARGO_HOME/config.toml" "$PROBE_OUT/config.toml"
cargo build --offline
cargo test --offline 2>&1 | tail -n 3
cargo metadata --offline --format-version 1 >"$PROBE_OUT/metadata.json"
./target/debug/wordfreq -n 1 <"$SAMPLE"
EOF
export PROBE_OUT=$TEST_TMP/probe SAMPLE=$work/wordfreq/sample.txt
mkdir -p "$PROBE_OUT"

# The shell cache keeps the 32 most recent entries (doc/shell.md): 40 old ones, directories as
# the shell's are, are trimmed when the first shell vendors its crates.
rm -rf "$XDG_CACHE_HOME/ferrix/shell"
for i in $(seq 1 40); do
  mkdir -p "$XDG_CACHE_HOME/ferrix/shell/old-$i/vendor/crate-1.0.0"
  touch "$XDG_CACHE_HOME/ferrix/shell/old-$i/crates" "$XDG_CACHE_HOME/ferrix/shell/old-$i/vendor/crate-1.0.0/lib.rs"
  touch -d "2020-01-01 00:00:$((10 + i))" "$XDG_CACHE_HOME/ferrix/shell/old-$i"
done

status=0
"$FERRIX" shell -f ../wordfreq.scm -- bash "$TEST_TMP/probe.sh" >"$TEST_TMP/shell.out" \
  2>"$TEST_TMP/shell.err" || status=$?
if [ "$status" -ne 0 ]; then
  tail -n 30 "$TEST_TMP/shell.err" >&2
  cat "$TEST_TMP/shell.out" >&2
  fail "ferrix shell -f wordfreq.scm -- cargo build --offline failed (exit $status)"
fi
ok "cargo build --offline and cargo test --offline succeed in ferrix shell"
out=$(cat "$TEST_TMP/shell.out")
value() { sed -n "s|^$1=||p" "$TEST_TMP/shell.out"; }

# The environment: the package's toolchain first, offline, the build's rustflags.
toolchain=$(value PATH1)
expect_eq "rustc is the package's toolchain's" "$(value RUSTC)" "$toolchain/rustc"
expect_eq "cargo is the package's toolchain's" "$(value CARGO)" "$toolchain/cargo"
expect_eq "cargo is offline" "$(value OFFLINE)" "true"
expect_match "FERRIX_SHELL names the package's derivation" "$(value FERRIX_SHELL)" "-wordfreq-0\.1\.0\.drv$"
expect_match "the build's rustflags are set" "$(value RUSTFLAGS)" "link-arg=-Wl,-z,relro"
expect_match "the description names the toolchain and the vendored crates" \
  "$(head -n 2 "$TEST_TMP/shell.err")" "build environment: .*/bin \(rustc [0-9.]+.*\)"$'\n'"  [0-9]+ crates vendored in .*/shell/.*/vendor; CARGO_HOME="

# CARGO_HOME's config is the one ferrix writes, pointing at the vendored crates, and is removed.
vendor=$(sed -n "s|^directory = [\"']\(.*\)[\"']\$|\1|p" "$PROBE_OUT/config.toml")
expect_match "CARGO_HOME/config.toml replaces crates.io" "$(cat "$PROBE_OUT/config.toml")" \
  'replace-with = "ferrix-vendored"'
expect_match "CARGO_HOME/config.toml is offline" "$(cat "$PROBE_OUT/config.toml")" 'offline = true'
expect_match "the vendor directory is in the shell cache" "$vendor" "^$XDG_CACHE_HOME/ferrix/shell/"
expect_eq "the shell cache is trimmed to 32 entries" "$(ls "$XDG_CACHE_HOME/ferrix/shell" | wc -l)" 32
expect_eq "the oldest entries are the ones removed" \
  "$(ls -d "$XDG_CACHE_HOME"/ferrix/shell/old-{1..9} 2>/dev/null | wc -l)" 0
expect_eq "no work directory is left in the shell cache" \
  "$(find "$XDG_CACHE_HOME/ferrix/shell" -mindepth 1 -maxdepth 1 -name '.*' | wc -l)" 0
if [ -n "$(value CARGO_HOME)" ] && [ ! -e "$(value CARGO_HOME)" ]; then
  ok "CARGO_HOME is removed when the shell ends"
else
  not_ok "CARGO_HOME '$(value CARGO_HOME)' is left behind"
fi

# Every package cargo resolved is a vendored crate (the same versions as `ferrix build`).
resolved=$(python3 - "$PROBE_OUT/metadata.json" "$vendor" <<'EOF'
import json, os, sys
meta = json.load(open(sys.argv[1]))
vendored = set(os.listdir(sys.argv[2]))
bad = [p["name"] + "-" + p["version"] for p in meta["packages"]
       if p["source"] is not None and p["name"] + "-" + p["version"] not in vendored]
registry = [p for p in meta["packages"] if p["source"] is not None]
print(len(registry), " ".join(bad) or "none")
EOF
)
expect_eq "cargo metadata: no crate from outside the vendor directory" "${resolved#* }" "none"
expect_match "cargo metadata: the registry crates resolved" "${resolved% *}" "^1[0-9]$"
expect_match "Cargo.lock names only vendored versions" \
  "$(grep -A1 '^name = "regex"$' Cargo.lock | tail -n 1)" \
  "version = \"$(ls "$vendor" | sed -n 's/^regex-\([0-9].*\)$/\1/p')\""
expect_match "the program cargo built runs" "$out" '[0-9]+ [a-z]+'
expect_match "cargo test ran" "$out" "test result: ok"

# The program behaves as the one ferrix build makes (tests/cargo/example.sh pins its output; a
# build of its own here would double this test's time).
expect_eq "the shell's build prints what ferrix build's does" \
  "$(./target/debug/wordfreq -n 2 -i <"$SAMPLE")" "the 6
dog 3
(24 words, 14 distinct)"

# The vendor directory is made once per derivation.
stamp=$(stat -c %i "$vendor")
"$FERRIX" shell -q -f ../wordfreq.scm -- true 2>"$TEST_TMP/err2"
expect_eq "the vendor directory is reused" "$(stat -c %i "$vendor")" "$stamp"
expect_eq "-q: nothing on standard error" "$(cat "$TEST_TMP/err2")" ""

# The exit status is the command's.
expect_status "the command's exit status passes through" 7 "$FERRIX" shell -q -f ../wordfreq.scm -- sh -c 'exit 7'
expect_status "a command killed by a signal: 128 + N" 143 "$FERRIX" shell -q -f ../wordfreq.scm -- sh -c 'kill -TERM $$'
expect_status "a command that does not exist: 127" 127 "$FERRIX" shell -q -f ../wordfreq.scm -- no-such-command-here

# --pure keeps only a few variables.
FERRIX_SHELL_TEST_VARIABLE=leaked expect_status "--pure runs" 0 "$FERRIX" shell --pure -f ../wordfreq.scm -- \
  sh -c 'echo "${FERRIX_SHELL_TEST_VARIABLE:-unset} $HOME $PATH"'
expect_match "--pure: other variables are cleared, HOME kept" "$out" "^unset $HOME "
expect_match "--pure: the crates of the same cache, \$XDG_CACHE_HOME's" "$err" \
  "vendored in $vendor;"
expect_match "--pure: PATH is the inputs', then /usr/bin and /bin" "$out" ":/usr/bin:/bin$"
FERRIX_SHELL_TEST_VARIABLE=kept expect_status "without --pure" 0 "$FERRIX" shell -q -f ../wordfreq.scm -- \
  sh -c 'echo "${FERRIX_SHELL_TEST_VARIABLE:-unset}"'
expect_eq "without --pure: the environment is kept" "$out" "kept"

# $SHELL without a command.
SHELL=$(command -v bash) expect_status "\$SHELL by default" 0 "$FERRIX" shell -q -f ../wordfreq.scm <<<'echo in-shell "$FERRIX_SHELL"'
expect_match "\$SHELL reads its commands in the environment" "$out" "^in-shell .*-wordfreq-0\.1\.0\.drv$"

# --cargo: a Cargo project and its Cargo.lock, no Scheme written (doc/cargo-project.md), its crates
# from Debian's registry used as a dir: registry; the lock made by cargo from that directory
# (read only, never written).
proj=$TEST_TMP/proj
mkdir -p "$proj/src" "$TEST_TMP/lock-home"
cat >"$proj/Cargo.toml" <<'EOF'
[package]
name = "proj"
version = "0.2.0"
edition = "2021"

[dependencies]
itoa = "1"
EOF
# The project's own .cargo/config.toml rustflags are in effect in the shell, as in the build.
mkdir -p "$proj/.cargo"
printf '[build]\nrustflags = ["--cfg", "ferrix_shell_cfg"]\n' >"$proj/.cargo/config.toml"
cat >"$proj/src/main.rs" <<'EOF'
#[cfg(not(ferrix_shell_cfg))]
compile_error!("the rustflags of the project's .cargo/config.toml are not in effect");

fn render(n: u64) -> String {
    itoa::Buffer::new().format(n).to_string()
}

fn main() {
    println!("{}", render(2024));
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders() {
        assert_eq!(super::render(7), "7");
    }
}
EOF
printf '[source.crates-io]\nreplace-with = "debian"\n[source.debian]\ndirectory = "/usr/share/cargo/registry"\n' \
  >"$TEST_TMP/lock-home/config.toml"
(cd "$proj" && CARGO_HOME=$TEST_TMP/lock-home cargo generate-lockfile --offline 2>/dev/null)
cd "$proj"
expect_status "--cargo: cargo test --offline in the project" 0 "$FERRIX" shell --cargo \
  --crates-from=dir:/usr/share/cargo/registry -- cargo test --offline
expect_match "--cargo: the project's test ran (its .cargo/config.toml rustflags in effect)" "$out" \
  "test tests::renders \.\.\. ok"
expect_match "--cargo: described" "$err" "proj@0\.2\.0's build environment: .*"$'\n'"  1 crate vendored in "
cd "$TEST_TMP"
expect_status "--cargo DIR (an operand)" 0 "$FERRIX" shell -q --cargo "$proj" \
  --crates-from=dir:/usr/share/cargo/registry -- sh -c 'cd "$0" && cargo run --offline -q' "$proj"
expect_eq "--cargo DIR: the program cargo ran" "$out" "2024"
# A dir: registry's crate whose .crate is not the lock's (Debian's may be repacked) is matched by
# version, as in the build: the shell's vendored copy carries the lock's checksum.
sed -i 's/^checksum = ".*"$/checksum = "0000000000000000000000000000000000000000000000000000000000000000"/' \
  "$proj/Cargo.lock"
expect_status "--cargo=DIR: a dir: crate matched by version" 0 "$FERRIX" shell -q --cargo="$proj" \
  --crates-from=dir:/usr/share/cargo/registry -- sh -c 'cd "$0" && cargo build --offline -q && ./target/debug/proj' "$proj"
expect_eq "--cargo=DIR: built and ran" "$out" "2024"
cd "$work/wordfreq"

# Usage errors.
expect_status "no package: usage error" 2 "$FERRIX" shell -- true
expect_match "no package: said" "$err" "no package given"
expect_status "two packages: usage error" 2 "$FERRIX" shell -f ../wordfreq.scm -f ../wordfreq.scm -- true
expect_status "-e giving no package" 1 "$FERRIX" shell -q -e 42 -- true
expect_status "--cargo=DIR and a PACKAGE: usage error" 2 "$FERRIX" shell --cargo="$proj" wordfreq -- true
expect_match "--cargo=DIR and a PACKAGE: said" "$err" "give no PACKAGE \('wordfreq'\)"
host=$(uname -m)-linux
other=aarch64-linux
[ "$host" = aarch64-linux ] && other=x86_64-linux
expect_status "-s $other: refused as by ferrix build" 1 "$FERRIX" shell -s "$other" -f ../wordfreq.scm -- true
expect_match "-s $other: says why" "$err" "cannot build for system '$other': this machine runs $host"
expect_status "--help" 0 "$FERRIX" shell --help
expect_match "--help describes the command" "$out" "Usage: ferrix shell"

finish

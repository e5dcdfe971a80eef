#!/usr/bin/env bash
# Bootstrapping cargo without cargo (examples/cargo-bootstrap.scm, doc/cargo.md): with a PATH on
# which no cargo can be found, cargo 0.66 from Debian's registry is built in the per-crate mode
# by a toolchain of rustc alone (its item has no bin/cargo); the cargo it gives prints its
# version and builds a crate offline (tests/data/crates/sys: libz-sys against the host's zlib);
# then wordfreq, built whole-package by that cargo as its toolchain's cargo, prints what the
# normal build's prints. The whole-package mode refuses a toolchain without cargo. Long: several
# minutes (labels cargo and long).
source "$(dirname "$0")/lib/cargo.bash"
source "$FERRIX_SOURCE_DIR/tests/data/crates/prepare.bash"

# The host toolchain's real rustc (not rustup's proxy, which would find cargo), alone on PATH
# with /usr/bin and /bin; when Debian's cargo is there, through a directory of links leaving it
# out.
sysroot=$(rustc --print sysroot)
mkdir -p "$TEST_TMP/bin"
ln -s "$sysroot/bin/rustc" "$TEST_TMP/bin/rustc"
system_path=/usr/bin:/bin
if [ -e /usr/bin/cargo ] || [ -e /bin/cargo ]; then
  mkdir -p "$TEST_TMP/usr-bin"
  for dir in /usr/bin /bin; do
    for f in "$dir"/*; do
      name=${f##*/}
      case $name in cargo | cargo-*) continue ;; esac
      [ -e "$TEST_TMP/usr-bin/$name" ] || ln -s "$f" "$TEST_TMP/usr-bin/$name"
    done
  done
  system_path=$TEST_TMP/usr-bin
fi
export PATH=$TEST_TMP/bin:$system_path
unset FERRIX_RUST CARGO RUSTC
if command -v cargo >/dev/null; then
  fail "no cargo on PATH: found $(command -v cargo)"
fi
ok "no cargo on PATH, rustc $(rustc --version | cut -d' ' -f2)"

example=$FERRIX_SOURCE_DIR/examples/cargo-bootstrap.scm
sample=$FERRIX_SOURCE_DIR/examples/wordfreq/sample.txt

# The whole-package mode needs cargo: refused, saying so, before anything is built.
expect_status "the whole-package mode refuses a toolchain without cargo" 1 \
  "$FERRIX" build -d -f "$FERRIX_SOURCE_DIR/examples/wordfreq.scm"
expect_match "... saying it runs cargo and the toolchain has none" "$err" \
  "the whole-package mode runs cargo, but the Rust toolchain .* has none"

# cargo, then wordfreq with it: the file evaluates to both. Two units build at once.
start=$(date +%s)
if ! "$FERRIX" build -v -M 2 -f "$example" >"$TEST_TMP/build.out" 2>"$TEST_TMP/build.err"; then
  tail -n 60 "$TEST_TMP/build.err" >&2
  fail "ferrix build -M 2 -f examples/cargo-bootstrap.scm failed"
fi
echo "# bootstrap and wordfreq built in $(($(date +%s) - start)) s"
cargo_out=$(sed -n 1p "$TEST_TMP/build.out")
wordfreq_out=$(sed -n 2p "$TEST_TMP/build.out")
expect_match "cargo's output" "$cargo_out" "-cargo-0\.66\.0$"
expect_match "wordfreq's output" "$wordfreq_out" "-wordfreq-0\.1\.0$"
units=$(grep -c "building '.*-rust-unit-" "$TEST_TMP/build.err" || true)
crates=$(grep -o "building '.*-rust-unit-[^']*" "$TEST_TMP/build.err" |
  sed -E 's/.*-rust-unit-(.*)-[0-9]+\.[0-9]+\.[0-9]+.*/\1/' | sort -u | wc -l)
echo "# $units units of $crates crates"
if [ "$crates" -gt 100 ]; then
  ok "cargo built crate by crate ($crates crates, $units units)"
else
  not_ok "cargo built crate by crate: only $crates crates"
fi

# The toolchain the units used: rustc alone.
drvs=$("$FERRIX" build -d -f "$example")
toolchains() {
  # toolchains DRV: the toolchain items and derivations among DRV's inputs and its inputs'.
  "$FERRIX" show-derivation "$1" | python3 -c '
import json, sys
d = next(iter(json.load(sys.stdin).values()))
for f in list(d["inputSrcs"]) + list(d["inputDrvs"]):
    print(f)'
}
unit=$(toolchains "$(sed -n 1p <<<"$drvs")" | grep -- "-rust-unit-cargo-0.66.0-bin-" | head -n 1)
item=$(toolchains "$unit" | grep -E -- "-rust-toolchain-[0-9.]+$" | head -n 1)
real=$item
if [ -n "$item" ] && [ -e "$real/bin/rustc" ] && ! [ -e "$real/bin/cargo" ] && ! [ -L "$real/bin/cargo" ]; then
  ok "cargo's units used a toolchain item of rustc alone ($(basename "$item"): $(ls "$real/bin"))"
else
  not_ok "cargo's units used a toolchain item of rustc alone: '$item' has $(ls "$real/bin" 2>&1)"
fi

# The bootstrapped cargo runs: the crate cargo 0.66 is the cargo of Rust 1.65, and says so.
expect_match "cargo --version: cargo 0.66's version, 1.65.0" "$("$cargo_out/bin/cargo" --version)" \
  "^cargo 1\.65\.0"

# It builds a crate offline: the sys test crate (libz-sys, a build script, pkg-config), from a
# vendored directory source. Its Cargo.lock is version 4, which cargo 0.66 cannot read: cargo
# resolves it again from the vendored crates.
prepare_crate sys "$TEST_TMP/sys"
rm "$TEST_TMP/sys/Cargo.lock"
if (cd "$TEST_TMP/sys" && CARGO_HOME=$TEST_TMP/cargo-home \
    "$cargo_out/bin/cargo" build --release --offline) >"$TEST_TMP/sys.log" 2>&1; then
  expect_eq "the bootstrapped cargo builds a crate offline: its program runs as expected" \
    "$("$TEST_TMP/sys/target/release/sys-app")" "$(cat "$FERRIX_SOURCE_DIR/tests/data/crates/sys/expected-output")"
else
  tail -n 30 "$TEST_TMP/sys.log"
  not_ok "the bootstrapped cargo builds a crate offline"
fi

# wordfreq built (whole-package) by the bootstrapped cargo: its toolchain item holds rustc and
# that cargo; the program prints what the normal build's does.
wf_toolchain=$(toolchains "$(sed -n 2p <<<"$drvs")" | grep -- "-with-cargo-0.66.0\.drv$" | head -n 1)
wf_item=$(out_path "$wf_toolchain")
expect_eq "wordfreq's toolchain has the bootstrapped cargo" \
  "$(readlink "$wf_item/bin/cargo")" "$cargo_out/bin/cargo"
if ! "$FERRIX" build --with-rust="$sysroot" -f "$FERRIX_SOURCE_DIR/examples/wordfreq.scm" \
    >"$TEST_TMP/normal.out" 2>"$TEST_TMP/normal.err"; then
  tail -n 40 "$TEST_TMP/normal.err" >&2
  fail "the normal build of wordfreq failed"
fi
normal=$(tail -n 1 "$TEST_TMP/normal.out")
if [ "$normal" != "$wordfreq_out" ]; then
  ok "two builds of wordfreq: the host's cargo's and the bootstrapped one's"
else
  not_ok "the bootstrapped cargo's wordfreq is the host cargo's output"
fi
for args in "-n 3" "-n 2 -i" "--json -n 1 -i"; do
  expect_eq "wordfreq $args: the same output as the normal build" \
    "$("$wordfreq_out/bin/wordfreq" $args <"$sample")" "$("$normal/bin/wordfreq" $args <"$sample")"
done

finish

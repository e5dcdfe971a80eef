#!/usr/bin/env bash
# The example of the README's main job: wordfreq (clap, regex, serde_json and their closure
# from Debian's registry, pinned by hash) is built from examples/wordfreq.scm and runs.
source "$(dirname "$0")/lib/cargo.bash"

out=$TEST_TMP/wordfreq
build "$FERRIX_SOURCE_DIR/examples/wordfreq.scm" "$out"
ok "wordfreq builds"
log=$(cat "$TEST_TMP/last.log")
expect_match "crates vendored from the store" "$log" "vendored clap 4.0.32 from .*-clap-4.0.32"
expect_match "winapi (atty's Windows dependency) pruned" "$log" "pruned target.cfg\(windows\).dependencies.winapi of atty"
expect_match "its unit test ran" "$log" "test tests::counts_and_orders ... ok"
expect_eq "no source installed (#:install-source? #f)" "$(ls "$out/")" "bin"
text=$("$out/bin/wordfreq" -n 2 -i < "$FERRIX_SOURCE_DIR/examples/wordfreq/sample.txt")
expect_eq "text output" "$text" "the 6
dog 3
(24 words, 14 distinct)"
json=$("$out/bin/wordfreq" --json -n 1 -i < "$FERRIX_SOURCE_DIR/examples/wordfreq/sample.txt")
expect_eq "JSON output" "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["total"], d["top"][0]["word"], d["top"][0]["count"])' <<<"$json")" "24 the 6"

# Pinning: a registry whose copy differs fails lowering, naming the crate and both hashes.
reg=$TEST_TMP/registry
mkdir -p "$reg"
for c in atty-0.2.14 bitflags-1.3.2 clap-4.0.32 clap_lex-0.3.0 itoa-1.0.1 libc-0.2.139 \
         os_str_bytes-6.0.0 regex-1.7.1 regex-syntax-0.6.27 ryu-1.0.2 serde-1.0.152 \
         serde_json-1.0.87 strsim-0.10.0 termcolor-1.1.2; do
  cp -r "/usr/share/cargo/registry/$c" "$reg/"
done
echo '// local edit' >> "$reg/itoa-1.0.1/src/lib.rs"
# Rebuilt and compared bit for bit.
expect_status "ferrix build --check: reproducible" 0 try_build "$FERRIX_SOURCE_DIR/examples/wordfreq.scm" --check

expect_status "a changed registry copy is refused" 1 env FERRIX_CRATE_REGISTRY="$reg" "$FERRIX" build -d -f "$FERRIX_SOURCE_DIR/examples/wordfreq.scm"
expect_match "the error names the crate and the expected hash" "$err" "itoa 1.0.1: the registry's copy .* has sha256 [0-9a-z]{52}, but the definition expects 19yqm4xvpkxfagcgk5pidvx0qmjnidfli7hcc6lihfv9cds2imsq"
finish

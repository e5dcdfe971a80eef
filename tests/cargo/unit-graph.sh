#!/usr/bin/env bash
# The unit graph against its oracle, cargo itself: for each graph, `cargo build --release
# --unit-graph` (and `cargo test --unit-graph`) next to ferrix's (tests/cargo/graph/unit-graph.cc),
# compared unit by unit (tests/cargo/graph/compare.py): package, target, mode, features,
# platform, host or target, dependencies, roots. Graphs: examples/wordfreq, bat 0.22 and cargo
# 0.66 from Debian's registry (the crates at hand, pinned first), each without and with the
# Cargo.lock cargo writes, with resolver "1" and "2"; serde_derive (a proc-macro as the root); the
# test crates of tests/data/crates.
source "$(dirname "$0")/lib/cargo.bash"
: "${FERRIX_UNIT_GRAPH:?}"

# The registry as it is now: hard links (a copy across file systems). Nothing writes into it:
# a write would go through to Debian's files.
registry=$TEST_TMP/registry
cp -al /usr/share/cargo/registry "$registry" 2>/dev/null ||
  { rm -rf "$registry" && cp -a /usr/share/cargo/registry "$registry"; }
export CARGO_HOME=$TEST_TMP/cargo-home
mkdir -p "$CARGO_HOME"
cat > "$CARGO_HOME/config.toml" <<T
[source.crates-io]
replace-with = "pinned"
[source.pinned]
directory = "$registry"
[net]
offline = true
T
export RUSTC_BOOTSTRAP=1
cargo_version=$(cargo --version | cut -d' ' -f2 | cut -d- -f1)
host=$(rustc -vV | sed -n 's/^host: //p')
rustc --print cfg > "$TEST_TMP/cfg"

# compare LABEL DIR [cargo|ferrix options...]: runs both on the package in DIR (cargo first
# leaves a Cargo.lock: run ferrix first when there was none).
compare() {
  local label=$1 dir=$2 cargo_cmd=(build --release) ferrix_opts=()
  shift 2
  local a
  for a in "$@"; do
    case $a in
      --tests) cargo_cmd=(test --release); ferrix_opts+=(--tests) ;;
      --target) cargo_cmd+=(--target "$host"); ferrix_opts+=(--target "$host") ;;
      --test-target=*) # ITEM,ITEM...: #:test-target, as doc/cargo.md maps it to cargo test's options
        cargo_cmd=(test --release)
        local item items
        IFS=, read -ra items <<<"${a#--test-target=}"
        for item in "${items[@]}"; do
          ferrix_opts+=(--test-target "$item")
          case $item in
            lib|bins|tests|benches|examples|all-targets|doc) cargo_cmd+=("--$item") ;;
            *:*) cargo_cmd+=("--${item%%:*}" "${item#*:}") ;;
            *) cargo_cmd+=(--test "$item") ;;
          esac
        done ;;
    esac
  done
  local out=$TEST_TMP/out-${label//[^a-zA-Z0-9]/_}
  if ! "$FERRIX_UNIT_GRAPH" "$dir" "$registry" "$TEST_TMP/cfg" "$cargo_version" \
      "${ferrix_opts[@]}" > "$out.ferrix.json" 2> "$out.ferrix.err"; then
    cat "$out.ferrix.err"
    not_ok "$label: ferrix makes the graph"
    return
  fi
  if ! (cd "$dir" && cargo "${cargo_cmd[@]}" --unit-graph -Z unstable-options --offline \
      > "$out.cargo.json" 2> "$out.cargo.err"); then
    cat "$out.cargo.err"
    not_ok "$label: cargo makes the graph"
    return
  fi
  if python3 "$FERRIX_SOURCE_DIR/tests/cargo/graph/compare.py" "$out.cargo.json" \
      "$out.ferrix.json" > "$out.diff"; then
    ok "$label: the units are cargo's ($(tail -n 1 "$out.diff" | sed 's/^ *//'))"
  else
    head -n 60 "$out.diff"
    not_ok "$label: the units differ from cargo's"
  fi
}

# graph NAME SRC [RESOLVER]: a fresh copy of SRC without its Cargo.lock, with `resolver`
# set in [package] when given, and without the dev-dependencies that are not in the registry
# (Debian leaves them in its crates' manifests; cargo resolves them even to build).
graph() {
  local dir=$TEST_TMP/graphs/$1
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  cp -r "$2" "$dir"
  chmod -R u+w "$dir"
  rm -f "$dir/Cargo.lock" "$dir/.cargo-checksum.json"
  python3 - "$dir/Cargo.toml" "$registry" "${3:-}" <<'P'
import os, re, sys
manifest, registry, resolver = sys.argv[1:]
have = {}
for d in os.listdir(registry):
    name, _, version = d.rpartition("-")
    have.setdefault(name, []).append(tuple(int(x) for x in re.findall(r"\d+", version)[:3]))

def satisfied(name, req):
    want = tuple(int(x) for x in re.findall(r"\d+", req)[:3])
    key = 1 if want and want[0] > 0 else 2
    return any(v[:key] == want[:key] and v >= want for v in have.get(name, []))

sections, current = [], None
for line in open(manifest):
    if line.startswith("["):
        current = [line]
        sections.append(current)
    elif current is None:
        current = [line]
        sections.append(current)
    else:
        current.append(line)
out = []
for sec in sections:
    m = re.match(r'^\[(?:target\.[^\]]*\.)?dev-dependencies\.([A-Za-z0-9_-]+)\]', sec[0])
    if m:
        req = next((re.sub(r'^version\s*=\s*"(.*)"\s*$', r"\1", l) for l in sec
                    if l.startswith("version")), "0")
        if not satisfied(m.group(1), req):
            continue
    if sec[0].startswith("[package]") and resolver:
        sec = [sec[0], f'resolver = "{resolver}"\n'] + [l for l in sec[1:]
                                                      if not l.startswith("resolver")]
    out.extend(sec)
open(manifest, "w").write("".join(out))
P
  echo "$dir"
}

# each NAME SRC RESOLVER [EXTRA...]: without a lock file (ferrix first), then with the lock
# cargo wrote, then cross-compiling (--target) and for `cargo test` when asked.
each() {
  local name=$1 src=$2 resolver=$3
  shift 3
  local dir
  dir=$(graph "$name" "$src" "$resolver")
  resolver=${resolver:-as written}
  compare "$name (resolver $resolver, no Cargo.lock)" "$dir"
  [ -f "$dir/Cargo.lock" ] || (cd "$dir" && cargo generate-lockfile --offline 2>/dev/null) || true
  compare "$name (resolver $resolver, Cargo.lock)" "$dir"
  local extra
  for extra in "$@"; do
    compare "$name (resolver $resolver, $extra)" "$dir" "$extra"
  done
}

each wordfreq "$FERRIX_SOURCE_DIR/examples/wordfreq" 2 --target --tests
each wordfreq-r1 "$FERRIX_SOURCE_DIR/examples/wordfreq" 1 --target
each bat /usr/share/cargo/registry/bat-0.22.1 1 --target
each bat-r2 /usr/share/cargo/registry/bat-0.22.1 2 --target
each cargo /usr/share/cargo/registry/cargo-0.66.0 2 --target
each cargo-r1 /usr/share/cargo/registry/cargo-0.66.0 1
# A proc-macro as the root: its own features are the host's, also when tested.
each serde_derive /usr/share/cargo/registry/serde_derive-1.0.152 "" --target --tests

# The test crates (tests/data/crates), with the resolver they ask for.
for fixture in "$FERRIX_SOURCE_DIR"/tests/data/crates/*/; do
  name=$(basename "$fixture")
  each "$name" "$fixture" "" --target --tests
done

# #:test-target: cargo test's target selection (the per-crate mode's tests, doc/cargo.md).
dir=$TEST_TMP/graphs/tests
for selection in lib,integration bins tests doc all-targets test:integration bin:tested; do
  compare "tests (--test-target=$selection)" "$dir" "--test-target=$selection"
done
each serde_json /usr/share/cargo/registry/serde_json-1.0.87 "" \
  --test-target=lib,map,stream,lexical

finish

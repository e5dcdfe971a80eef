#!/usr/bin/env bash
# `ferrix registry export`: Debian's unpacked crates made into a static registry, served on
# 127.0.0.1 by tests/lib/httpd.py and checked over HTTP (crates.io-shaped JSON, cargo's sparse
# index, .crate checksums); exports reproducible and incremental; cargo itself resolving,
# fetching from the server and building against it; bad input failing cleanly.
source "$FERRIX_SOURCE_DIR/tests/cli/lib/assert.bash"
source "$FERRIX_SOURCE_DIR/tests/registry/lib/registry.bash"

DEBIAN=/usr/share/cargo/registry
base=http://127.0.0.1:9/reg

# http_get URL: the body (redirects followed), without any proxy.
http_get() {
  python3 -c 'import sys, urllib.request as u
sys.stdout.write(u.build_opener(u.ProxyHandler({})).open(sys.argv[1], timeout=30).read().decode())' "$1"
}

# elapsed START: seconds since START (an $EPOCHREALTIME).
elapsed() {
  python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.2f}")' "$1" "$EPOCHREALTIME"
}

# tree_sum DIR: one hash of every file's name and contents under DIR.
tree_sum() {
  (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}

# --- Usage and bad input.
expect_status "--help" 0 "$FERRIX" registry export --help
expect_match "--help describes --base-url" "$out" "--base-url=URL"
expect_status "no --base-url: usage error" 2 "$FERRIX" registry export "$DEBIAN" "$TEST_TMP/r0"
expect_match "no --base-url: says so" "$err" "--base-url is required"
expect_status "relative --base-url" 2 "$FERRIX" registry export --base-url 127.0.0.1:80 "$DEBIAN" "$TEST_TMP/r0"
expect_match "relative --base-url: says so" "$err" "not an absolute http, https or file URL"
expect_status "no DIR: usage error" 2 "$FERRIX" registry export --base-url "$base" "$DEBIAN"
expect_status "unknown subcommand" 2 "$FERRIX" registry frobnicate
expect_status "missing SRC" 1 "$FERRIX" registry export --base-url "$base" "$TEST_TMP/nowhere" "$TEST_TMP/r0"
expect_match "missing SRC: named" "$err" "$TEST_TMP/nowhere: no such file or directory"
expect_eq "failed exports create nothing" "$(ls -A "$TEST_TMP" | grep -c '^r0' || true)" 0

# --- All of Debian's crates.
versions=$(find "$DEBIAN" -mindepth 2 -maxdepth 2 -name Cargo.toml | wc -l)
names=$(for f in "$DEBIAN"/*/Cargo.toml; do
  sed -n '/^\[package\]/,/^\[/s/^name = "\(.*\)"/\1/p' "$f" | head -1
done | sort -u | wc -l)
start=$EPOCHREALTIME
expect_status "export $DEBIAN" 0 "$FERRIX" registry export --base-url "$base" "$DEBIAN" "$TEST_TMP/full"
echo "# full export: $(elapsed "$start") s"
expect_match "summary: crates and versions" "$out" "$names crates, $versions versions, .* \\([0-9]+ bytes\\)"
expect_match "summary: all packed" "$out" "exported $versions versions \\($versions packed, 0 unchanged\\) in [0-9.]+ s"

# Reproducible: a second export into another directory gives the same bytes, file for file.
expect_status "export again elsewhere" 0 "$FERRIX" registry export --quiet --base-url "$base" "$DEBIAN" "$TEST_TMP/full2"
expect_eq "export twice: identical trees" "$(tree_sum "$TEST_TMP/full2")" "$(tree_sum "$TEST_TMP/full")"
rm -rf "$TEST_TMP/full2"

# Incremental: nothing to pack, nothing written.
before=$(tree_sum "$TEST_TMP/full")
start=$EPOCHREALTIME
expect_status "re-export" 0 "$FERRIX" registry export --base-url "$base" "$DEBIAN" "$TEST_TMP/full"
echo "# incremental re-export: $(elapsed "$start") s"
expect_match "re-export: nothing packed" "$out" "\\(0 packed, $versions unchanged\\)"
expect_eq "re-export: tree unchanged" "$(tree_sum "$TEST_TMP/full")" "$before"

# --- A malformed crate: located error, the registry untouched, --keep-going skips it.
mkdir -p "$TEST_TMP/bad/good-1.0.0/src" "$TEST_TMP/bad/broken-0.1.0/src"
printf '[package]\nname = "good"\nversion = "1.0.0"\n' >"$TEST_TMP/bad/good-1.0.0/Cargo.toml"
: >"$TEST_TMP/bad/good-1.0.0/src/lib.rs"
printf '[package]\nname = "broken"\nversion = "0.1.0"\n\n[dependencies]\nfoo = { version = "1" \n' \
  >"$TEST_TMP/bad/broken-0.1.0/Cargo.toml"
expect_status "malformed Cargo.toml: fails" 1 "$FERRIX" registry export --base-url "$base" "$DEBIAN" "$TEST_TMP/bad" "$TEST_TMP/full"
expect_match "malformed Cargo.toml: FILE:LINE:COLUMN" "$err" "$TEST_TMP/bad/broken-0.1.0/Cargo.toml:6:[0-9]+: "
expect_eq "malformed Cargo.toml: registry unchanged" "$(tree_sum "$TEST_TMP/full")" "$before"
expect_eq "malformed Cargo.toml: no temporary left" "$(ls -A "$TEST_TMP" | grep -c 'export-' || true)" 0
expect_status "--keep-going" 0 "$FERRIX" registry export -k --base-url "$base" "$DEBIAN" "$TEST_TMP/bad" "$TEST_TMP/full"
expect_match "--keep-going: warns" "$err" "warning: .*broken-0.1.0/Cargo.toml:6:[0-9]+: .*skipped"
expect_match "--keep-going: the good crate added" "$out" "exported $((versions + 1)) versions \\(1 packed, $versions unchanged, 1 skipped\\)"
expect_eq "--keep-going: broken left out" "$(test -e "$TEST_TMP/full/api/v1/crates/broken" && echo yes || echo no)" no

# --- Served over HTTP: every crate checked through the API and the sparse index.
registry_serve
expect_eq "served registry: base URL in config.json" \
  "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["dl"])' "$REGISTRY_DIR/index/config.json")" \
  "$REGISTRY_URL/api/v1/crates"
python3 - "$REGISTRY_URL" "$DEBIAN" >"$TEST_TMP/check.out" 2>&1 <<'EOF' && ok "HTTP: API, index and .crate files agree" || not_ok "HTTP: API, index and .crate files agree: $(tail -5 "$TEST_TMP/check.out")"
import hashlib, io, json, os, re, sys, tarfile, tomllib, urllib.request

base, debian = sys.argv[1], sys.argv[2]
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

def get(path):
    with opener.open(base + path, timeout=30) as r:
        return r.read()

def index_path(name):
    n = name.lower()
    if len(n) <= 2:
        return f"{len(n)}/{n}"
    if len(n) == 3:
        return f"3/{n[0]}/{n}"
    return f"{n[:2]}/{n[2:4]}/{n}"

def semver_key(v):
    core, _, pre = v.split("+")[0].partition("-")
    ids = [(0, int(i), "") if i.isdigit() else (1, 0, i) for i in pre.split(".")] if pre else []
    return (tuple(int(x) for x in core.split(".")), 0 if pre else 1, ids)

config = json.loads(get("/index/config.json"))
assert config == {"dl": base + "/api/v1/crates", "api": base}, config

crates = {}
for d in sorted(os.listdir(debian)):
    with open(os.path.join(debian, d, "Cargo.toml"), "rb") as f:
        manifest = tomllib.load(f)
    pkg = manifest["package"]
    crates.setdefault(pkg["name"], {})[pkg["version"]] = (os.path.join(debian, d), manifest)

checked = 0
lengths = set()
for name, versions in crates.items():
    lengths.add(min(len(name), 4))
    api = json.loads(get(f"/api/v1/crates/{name}"))  # redirected to .../name/
    c = api["crate"]
    for key in ("id", "name", "description", "homepage", "repository", "documentation",
                "keywords", "categories", "max_version", "max_stable_version",
                "newest_version", "versions", "created_at", "updated_at", "links"):
        assert key in c, (name, key)
    assert c["name"] == name and c["id"] == name
    top = max(versions, key=semver_key)
    assert c["max_version"] == top, (name, c["max_version"], top)
    assert c["description"] == versions[top][1]["package"].get("description"), name
    index = [json.loads(l) for l in get("/index/" + index_path(name)).decode().splitlines()]
    assert [e["vers"] for e in index] == sorted(versions, key=semver_key), name
    by_vers = {e["vers"]: e for e in index}
    assert {v["num"] for v in api["versions"]} == set(versions), name
    for v in api["versions"]:
        num = v["num"]
        src, manifest = versions[num]
        pkg = manifest["package"]
        for key in ("id", "crate", "num", "dl_path", "checksum", "yanked", "license",
                    "crate_size", "features", "links", "lib_links", "rust_version",
                    "readme_path", "created_at"):
            assert key in v, (name, num, key)
        assert v["crate"] == name and v["yanked"] is False
        assert v["license"] == pkg.get("license"), (name, num)
        assert v["lib_links"] == pkg.get("links"), (name, num)
        assert v["dl_path"] == f"/api/v1/crates/{name}/{num}/download"
        data = get(v["dl_path"])
        digest = hashlib.sha256(data).hexdigest()
        assert digest == v["checksum"] == by_vers[num]["cksum"], (name, num)
        assert len(data) == v["crate_size"], (name, num)
        # The .crate holds the source under NAME-VERSION/, owned by root, at time 0.
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as t:
            members = t.getmembers()
            assert all(m.name == f"{name}-{num}" or m.name.startswith(f"{name}-{num}/")
                       for m in members), (name, num)
            assert all(m.mtime == 0 and m.uid == 0 and m.uname == "root" for m in members)
            names = [m.name for m in members]
            assert names == sorted(names), (name, num)
            files = {m.name[len(name) + len(num) + 2:] for m in members if m.isfile()}
        on_disk = set()
        for root, dirs, fs in os.walk(src):
            for f in fs:
                on_disk.add(os.path.relpath(os.path.join(root, f), src))
        on_disk.discard(".cargo-checksum.json")
        assert files == on_disk, (name, num, files ^ on_disk)
        # The features, in the index (features + features2) and the API.
        e = by_vers[num]
        feats = dict(e["features"], **e.get("features2", {}))
        assert feats == manifest.get("features", {}) == v["features"], (name, num)
        # Dependencies: the API's and the index's are the same set.
        deps = json.loads(get(v["links"]["dependencies"]))["dependencies"]
        api_deps = sorted((d["crate_id"], d["req"], d["kind"], d["optional"],
                           d["default_features"], d["target"] or "") for d in deps)
        idx_deps = sorted((d.get("package", d["name"]), d["req"], d["kind"], d["optional"],
                           d["default_features"], d["target"] or "") for d in e["deps"])
        assert api_deps == idx_deps, (name, num, api_deps, idx_deps)
        for d in deps:
            for key in ("crate_id", "req", "kind", "optional", "default_features",
                        "features", "target"):
                assert key in d, (name, num, key)
        normal = [d for d in manifest.get("dependencies", {})]
        assert sorted(normal) == sorted(d["name"] for d in e["deps"]
                                        if d["kind"] == "normal" and not d["target"]), (name, num)
        checked += 1

assert lengths >= {3, 4}, lengths  # index paths 3/a/abc and ab/cd/abcd both exercised
print("checked", checked, "versions")
assert checked == sum(len(v) for v in crates.values())
EOF
cat "$TEST_TMP/check.out"
expect_match "HTTP: the redirect of NAME to NAME/ was followed" "$(cat "$HTTPD_LOG")" "GET /api/v1/crates/regex 301"

# --yank: the index and the API say so, and it stays through later exports.
expect_status "--yank" 0 "$FERRIX" registry export --yank regex@1.7.1 --base-url "$REGISTRY_URL" "$DEBIAN" "$REGISTRY_DIR"
expect_match "--yank: nothing packed" "$out" "\\(0 packed, $versions unchanged\\)"
regex_path=re/ge/regex
expect_match "--yank: index line" "$(http_get "$REGISTRY_URL/index/$regex_path")" '"yanked":true'
expect_eq "--yank: API" "$(http_get "$REGISTRY_URL/api/v1/crates/regex" | python3 -c '
import json, sys
print([v["yanked"] for v in json.load(sys.stdin)["versions"] if v["num"] == "1.7.1"])')" "[True]"
"$FERRIX" registry export -q --base-url "$REGISTRY_URL" "$DEBIAN" "$REGISTRY_DIR"
expect_match "--yank: kept by a later export" "$(cat "$REGISTRY_DIR/index/$regex_path")" '"yanked":true'
expect_status "--unyank" 0 "$FERRIX" registry export -q --unyank regex@1.7.1 --base-url "$REGISTRY_URL" "$DEBIAN" "$REGISTRY_DIR"
expect_match "--unyank: index line" "$(cat "$REGISTRY_DIR/index/$regex_path")" '"yanked":false'
expect_status "--yank of an unknown version" 2 "$FERRIX" registry export --yank regex@9.9.9 --base-url "$REGISTRY_URL" "$DEBIAN" "$REGISTRY_DIR"
expect_match "--yank of an unknown version: says so" "$err" "regex@9.9.9: no such crate version"

# --- .crate files as sources: exported as they are, their checksums kept.
mkdir -p "$TEST_TMP/dotcrates"
cp "$REGISTRY_DIR/api/v1/crates/regex/1.7.1/download" "$TEST_TMP/dotcrates/regex-1.7.1.crate"
tar -czf "$TEST_TMP/dotcrates/good-1.0.0.crate" -C "$TEST_TMP/bad" good-1.0.0
expect_status ".crate files" 0 "$FERRIX" registry export --base-url "$base" "$TEST_TMP/dotcrates" "$TEST_TMP/fromcrates"
expect_match ".crate files: exported" "$out" "2 crates, 2 versions"
for pair in regex/1.7.1=regex-1.7.1 good/1.0.0=good-1.0.0; do
  sum=$(sha256sum <"$TEST_TMP/dotcrates/${pair#*=}.crate" | cut -d' ' -f1)
  expect_eq ".crate files: ${pair#*=} kept byte for byte" \
    "$(sha256sum <"$TEST_TMP/fromcrates/api/v1/crates/${pair%=*}/download" | cut -d' ' -f1)" "$sum"
done
expect_match ".crate files: index cksum" "$(cat "$TEST_TMP/fromcrates/index/go/od/good")" "\"cksum\":\"$sum\""
rm "$TEST_TMP/dotcrates/good-1.0.0.crate"
expect_status "--prune" 0 "$FERRIX" registry export --prune --base-url "$base" "$TEST_TMP/dotcrates" "$TEST_TMP/fromcrates"
expect_match "--prune: says so" "$out" "1 crate, 1 version, .*\(0 packed, 1 unchanged, 1 removed\)"
expect_eq "--prune: gone from the index and the API" \
  "$(ls "$TEST_TMP/fromcrates/index/go/od/good" "$TEST_TMP/fromcrates/api/v1/crates/good" 2>/dev/null | wc -l)" 0

# --- cargo resolves against the index, fetches from 127.0.0.1 and builds.
registry_cargo_home "$TEST_TMP/cargo-home"
app=$TEST_TMP/app
mkdir -p "$app/src"
cat >"$app/Cargo.toml" <<'EOF'
[package]
name = "app"
version = "0.1.0"
edition = "2018"

[dependencies]
regex = { version = "1.7", default-features = false, features = ["std", "unicode"] }
serde = { version = "1.0", features = ["derive"] }
serde_json = "1.0"
EOF
cat >"$app/src/main.rs" <<'EOF'
#[derive(serde::Serialize)]
struct Match<'a> { word: &'a str }

fn main() {
    let re = regex::Regex::new(r"\w+").unwrap();
    let words: Vec<Match> = re.find_iter("hello registry").map(|m| Match { word: m.as_str() }).collect();
    println!("{}", serde_json::to_string(&words).unwrap());
}
EOF
export CARGO_TARGET_DIR=$TEST_TMP/target
: >"$HTTPD_LOG"
cd "$app"
expect_status "cargo generate-lockfile" 0 cargo generate-lockfile "${registry_cargo_flags[@]}"
expect_match "cargo read the sparse index over HTTP" "$(cat "$HTTPD_LOG")" "GET /index/re/ge/regex 200"
expect_status "cargo fetch" 0 cargo fetch "${registry_cargo_flags[@]}"
expect_match "cargo fetched regex from 127.0.0.1" "$(cat "$HTTPD_LOG")" "GET /api/v1/crates/regex/1.7.1/download 200"
expect_match "cargo fetched serde_derive (an optional dependency turned on by a feature)" "$(cat "$HTTPD_LOG")" "GET /api/v1/crates/serde_derive/[^ ]*/download 200"
expect_status "cargo build" 0 cargo build --locked "${registry_cargo_flags[@]}"
expect_eq "the program runs" "$("$CARGO_TARGET_DIR/debug/app" 2>&1)" '[{"word":"hello"},{"word":"registry"}]'
python3 - "$app/Cargo.lock" "$REGISTRY_DIR" >"$TEST_TMP/lock.out" 2>&1 <<'EOF' && ok "Cargo.lock checksums = index cksums" || not_ok "Cargo.lock checksums = index cksums: $(cat "$TEST_TMP/lock.out")"
import json, sys, tomllib
lock = tomllib.load(open(sys.argv[1], "rb"))
def index_path(n):
    n = n.lower()
    return f"{len(n)}/{n}" if len(n) <= 2 else f"3/{n[0]}/{n}" if len(n) == 3 else f"{n[:2]}/{n[2:4]}/{n}"
n = 0
for p in lock["package"]:
    if "source" not in p:
        continue
    lines = [json.loads(l) for l in open(f"{sys.argv[2]}/index/{index_path(p['name'])}")]
    (entry,) = [e for e in lines if e["vers"] == p["version"]]
    assert p["checksum"] == entry["cksum"], p
    n += 1
assert n >= 8, n
print(n, "locked packages checked")
EOF

# A `cargo vendor` directory (NAME/ directories with .cargo-checksum.json) exported: every locked
# package is there under its name and version. (cargo vendor leaves files out, .gitignore for
# one, so these .crate files are not the ones cargo downloaded.)
expect_status "cargo vendor" 0 cargo vendor --locked --respect-source-config "${registry_cargo_flags[@]}" "$TEST_TMP/vendor"
cd - >/dev/null
expect_status "export a cargo vendor directory" 0 "$FERRIX" registry export --base-url "$base" "$TEST_TMP/vendor" "$TEST_TMP/fromvendor"
python3 - "$app/Cargo.lock" "$TEST_TMP/fromvendor" >"$TEST_TMP/vendor.out" 2>&1 <<'EOF' && ok "cargo vendor directory exported: the locked packages" || not_ok "cargo vendor directory exported: the locked packages: $(cat "$TEST_TMP/vendor.out")"
import hashlib, json, sys, tomllib
lock, reg = tomllib.load(open(sys.argv[1], "rb")), sys.argv[2]
n = 0
for p in lock["package"]:
    if "source" not in p:
        continue
    name = p["name"].lower()
    path = f"{name[:2]}/{name[2:4]}/{name}" if len(name) > 3 else f"3/{name[0]}/{name}" if len(name) == 3 else f"{len(name)}/{name}"
    (entry,) = [e for e in map(json.loads, open(f"{reg}/index/{path}")) if e["vers"] == p["version"]]
    data = open(f"{reg}/api/v1/crates/{p['name']}/{p['version']}/download", "rb").read()
    assert entry["cksum"] == hashlib.sha256(data).hexdigest(), p
    n += 1
assert n >= 8, n
print(n, "vendored crates")
EOF

finish

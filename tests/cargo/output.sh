#!/usr/bin/env bash
# What a per-crate build prints, as cargo prints it (doc/build.md): `Compiling NAME vVERSION` once
# per package, after the packages it uses, then `Finished`; nothing more for units already in the
# store (`Fresh` with -v); `--timings=FILE` writes an HTML report with a row per unit whose
# durations and states agree with the build's own lines.
source "$(dirname "$0")/lib/cargo.bash"

# shown: a program using a path crate with a build script (three units, one package) and a
# registry crate (itoa).
app=$TEST_TMP/shown
rm -rf "$app"
mkdir -p "$app/src" "$app/base/src"
cat >"$app/Cargo.toml" <<'TOML'
[package]
name = "shown"
version = "0.1.0"
edition = "2021"

[dependencies]
base = { path = "base" }
itoa = "1"
TOML
cat >"$app/src/main.rs" <<'RS'
fn main() {
    let mut buf = itoa::Buffer::new();
    println!("{} {}", base::WORD, buf.format(42));
}
RS
cat >"$app/base/Cargo.toml" <<'TOML'
[package]
name = "base"
version = "0.2.0"
edition = "2021"
build = "build.rs"
TOML
cat >"$app/base/build.rs" <<'RS'
fn main() {
    println!("cargo:rustc-env=BASE_WORD=answer");
}
RS
echo 'pub const WORD: &str = env!("BASE_WORD");' >"$app/base/src/lib.rs"
file=$(registry_package shown "$app" '#f' itoa-1.0.1)

# run NAME ARG...: ferrix build --per-crate ARG... -f FILE, stderr to $TEST_TMP/NAME.err.
run() {
  local name=$1
  shift
  if ! "$FERRIX" build --per-crate "$@" -f "$file" >"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err"; then
    tail -n 40 "$TEST_TMP/$name.err" >&2
    fail "ferrix build --per-crate $* failed"
  fi
}

finished='^    Finished `release` profile \[optimized\] target\(s\) in ([0-9]+\.[0-9]{2}s|[0-9]+m [0-9]{2}s)$'

# --- A cold build: the lines cargo prints, in a pipe (no colours, no bar).
run cold
err=$TEST_TMP/cold.err
expect_eq "cold: one Compiling line per package, the program's last" \
  "$(grep 'Compiling' "$err" | sort)" \
  "$(printf '   Compiling base v0.2.0\n   Compiling itoa v1.0.1\n   Compiling shown v0.1.0')"
expect_eq "cold: the program's package after those it uses" \
  "$(grep 'Compiling' "$err" | tail -n 1)" "   Compiling shown v0.1.0"
expect_eq "cold: no line names a unit's derivation" "$(grep -c "rust-unit-" "$err" || true)" 0
expect_match "cold: the last line is cargo's Finished" "$(tail -n 1 "$err")" "$finished"
expect_eq "cold: no terminal escapes in a pipe" "$(grep -c $'\033' "$err" || true)" 0
expect_eq "cold: the program runs" "$("$(tail -n 1 "$TEST_TMP/cold.out")/bin/shown")" "answer 42"

# --- The same again: everything is in the store; only Finished.
run noop --timings="$TEST_TMP/noop.html"
expect_match "no-op: Finished" "$(head -n 1 "$TEST_TMP/noop.err")" "$finished"
expect_match "no-op: then where the report went" "$(sed -n 2p "$TEST_TMP/noop.err")" \
  "^      Timing report saved to $TEST_TMP/noop.html$"
expect_eq "no-op: nothing else" "$(wc -l <"$TEST_TMP/noop.err")" 2
run fresh -v
expect_eq "no-op -v: Fresh once per package" "$(grep 'Fresh' "$TEST_TMP/fresh.err" | sort)" \
  "$(printf '       Fresh base v0.2.0\n       Fresh itoa v1.0.1\n       Fresh shown v0.1.0')"
expect_eq "no-op -v: no Compiling" "$(grep -c 'Compiling' "$TEST_TMP/fresh.err" || true)" 0

# --- After an edit to the program: its unit alone is built; -v adds each build's own lines,
# which the report must agree with.
echo '// edited' >>"$app/src/main.rs"
run edit -v --timings="$TEST_TMP/edit.html"
err=$TEST_TMP/edit.err
expect_eq "edit: Compiling the program only" "$(grep 'Compiling' "$err")" "   Compiling shown v0.1.0"
expect_eq "edit: -v shows the unit's derivation" \
  "$(grep -o "building '[^']*rust-unit-[^']*'" "$err" | sed -E "s|.*/[a-z0-9]{32}-||; s|-[0-9a-f]{16}\.drv'$||")" \
  "rust-unit-shown-0.1.0-bin"

# check_report FILE ERR: FILE is well-formed HTML whose unit rows agree with the lines of ERR;
# prints "BUILT VALID" (rows of each state).
check_report() {
  python3 - "$1" "$2" <<'PY'
import html.parser, re, sys
report, err = sys.argv[1], open(sys.argv[2]).read()
void = {"meta", "br", "hr", "img", "input", "link", "rect", "line", "polyline", "path", "circle"}
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.rows = [], []
    def handle_starttag(self, tag, attrs):
        if tag == "tr" and ("data-drv" in dict(attrs)):
            self.rows.append(dict(attrs))
        if tag not in void:
            self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        pass
    def handle_endtag(self, tag):
        if tag in void:
            return
        if not self.stack or self.stack[-1] != tag:
            sys.exit(f"unbalanced </{tag}> (open: {self.stack[-3:]})")
        self.stack.pop()
p = P()
p.feed(open(report).read())
p.close()
if p.stack:
    sys.exit(f"unclosed tags: {p.stack}")
built = {d: float(s) for d, s in re.findall(r"^built '([^']*)' in ([0-9.]+) s$", err, re.M)}
rows = {r["data-drv"]: r for r in p.rows}
if len(rows) != len(p.rows):
    sys.exit("a derivation has two rows")
for drv, secs in built.items():
    row = rows.get(drv)
    if row is None:
        sys.exit(f"no row for the built {drv}")
    if row["data-state"] != "built":
        sys.exit(f"{drv} was built, its row says {row['data-state']}")
    # The line rounds to tenths; both measure the same build from different places.
    if abs(float(row["data-duration"]) - secs) > 0.25:
        sys.exit(f"{drv}: {row['data-duration']} s in the report, {secs} s in the line")
states = [r["data-state"] for r in p.rows]
if states.count("built") != len(built):
    sys.exit(f"{states.count('built')} rows built, {len(built)} builds")
print(states.count("built"), states.count("valid"))
PY
}
counts=$(check_report "$TEST_TMP/edit.html" "$err") || fail "edit: the report disagrees with the build: $counts"
read -r built valid <<<"$counts"
expect_eq "edit: the report's built rows: the program's unit and its package" "$built" 2
noop=$(check_report "$TEST_TMP/noop.html" "$TEST_TMP/noop.err") || fail "no-op: bad report: $noop"
read -r nbuilt nvalid <<<"$noop"
expect_eq "no-op: the report has no build" "$nbuilt" 0
expect_eq "no-op: every unit already valid, as many as after the edit" "$nvalid" "$((built + valid))"
expect_eq "no-op: a row per unit of the graph (5) among them" \
  "$(grep -o 'data-drv="[^"]*rust-unit-[^"]*"' "$TEST_TMP/noop.html" | sort -u | wc -l)" 5
expect_match "the report's summary names rustc" "$(cat "$TEST_TMP/edit.html")" \
  "<th>rustc</th><td>rustc [0-9]+\.[0-9]+"

finish

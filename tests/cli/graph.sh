# `ferrix graph`: DOT of the package graph (edges by kind) and of the derivation graph, checked
# for structure (a parser below, so that no Graphviz is needed) and for determinism.
source "$(dirname "$0")/lib/assert.bash"
: "${FERRIX_SOURCE_DIR:?}"
examples=$FERRIX_SOURCE_DIR/examples

# check_dot FILE: a digraph whose statements are node or edge statements, every edge between
# declared nodes, nodes and edges sorted and unique, no cycle. Prints "ok" or the problem.
check_dot() {
  python3 - "$1" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().split("\n")
q = r'"((?:[^"\\]|\\.)*)"'
attrs = r'(?: \[([a-z]+ = (?:"(?:[^"\\]|\\.)*"|[a-z]+)(?:, [a-z]+ = (?:"(?:[^"\\]|\\.)*"|[a-z]+))*)\])?'
node_re = re.compile(r'^  ' + q + attrs + ';$')
edge_re = re.compile(r'^  ' + q + ' -> ' + q + attrs + ';$')
def fail(msg):
    print(msg); sys.exit(0)
if not re.match(r'^digraph ' + q + ' \{$', lines[0]): fail("bad header: " + lines[0])
if lines[-2:] != ["}", ""]: fail("bad end")
nodes, edges = [], []
for l in lines[1:-2]:
    if l == '  node [fontname = "sans"];': continue
    m = edge_re.match(l)
    if m: edges.append((m.group(1), m.group(2), m.group(3) or "")); continue
    m = node_re.match(l)
    if m and 'label = ' in (m.group(2) or ""): nodes.append(m.group(1)); continue
    fail("not a node or edge statement: " + l)
if nodes != sorted(set(nodes)): fail("nodes not sorted or not unique")
if edges != sorted(set(edges)): fail("edges not sorted or not unique")
declared = set(nodes)
for a, b, _ in edges:
    if a not in declared or b not in declared: fail("edge to an undeclared node: %s -> %s" % (a, b))
succ = {}
for a, b, _ in edges: succ.setdefault(a, []).append(b)
state = {}
def visit(n):
    state[n] = 1
    for m in succ.get(n, []):
        if state.get(m) == 1: fail("cycle through " + m)
        if m not in state: visit(m)
    state[n] = 2
for n in nodes:
    if n not in state: visit(n)
print("ok %d %d" % (len(nodes), len(edges)))
PY
}

expect_status "--help" 0 "$FERRIX" graph --help
expect_status "--list-types" 0 "$FERRIX" graph --list-types
expect_match "--list-types: derivation" "$out" "derivation"
expect_status "unknown type" 2 "$FERRIX" graph --type=bag hello
expect_status "unknown backend" 2 "$FERRIX" graph --backend=d3js hello
expect_status "no package" 2 "$FERRIX" graph

# A package graph with every kind of edge.
mkdir -p "$TEST_TMP/mods/demo"
cat >"$TEST_TMP/mods/demo/g.scm" <<'SCM'
(define-module (demo g)
  #:use-module (ferrix packages)
  #:use-module (ferrix build-system cargo))

(define (crate name . rest)
  (package (name name) (version "1.0") (build-system cargo-build-system)
           (source (local-file "g.scm"))
           (inputs (if (pair? rest) (car rest) '()))))
(define-public a (crate "a"))
(define-public b (crate "b" (list a)))
(define-public c (crate "c"))
(define-public d (crate "d"))
(define-public e (crate "e"))
(define-public top
  (package (name "top") (version "2.0") (build-system cargo-build-system)
           (source (local-file "g.scm"))
           (inputs (list b))
           (native-inputs (list c))
           (propagated-inputs (list d))
           (arguments `(#:cargo-inputs (("e" ,e))))))
SCM
expect_status "package graph" 0 "$FERRIX" graph -L "$TEST_TMP/mods" top
printf '%s\n' "$out" >"$TEST_TMP/p.dot"
expect_eq "valid DOT: 6 nodes, 5 edges" "$(check_dot "$TEST_TMP/p.dot")" "ok 6 5"
expect_eq "edges by kind" "$(grep -- '->' "$TEST_TMP/p.dot")" '  "b@1.0" -> "a@1.0";
  "top@2.0" -> "b@1.0";
  "top@2.0" -> "c@1.0" [style = "dashed", label = "native"];
  "top@2.0" -> "d@1.0" [style = "bold", label = "propagated"];
  "top@2.0" -> "e@1.0" [style = "dotted", label = "cargo"];'
expect_eq "deterministic" "$("$FERRIX" graph -L "$TEST_TMP/mods" top)" "$out"

# The examples: a file's package, and the derivation graph.
expect_status "package graph of -f FILE" 0 "$FERRIX" graph -f "$examples/packages.scm"
printf '%s\n' "$out" >"$TEST_TMP/w.dot"
expect_eq "word-count: valid DOT" "$(check_dot "$TEST_TMP/w.dot")" "ok 3 2"
expect_status "derivation graph" 0 "$FERRIX" graph --type=derivation -f "$examples/hello.scm"
printf '%s\n' "$out" >"$TEST_TMP/d.dot"
expect_match "derivation graph: valid DOT" "$(check_dot "$TEST_TMP/d.dot")" "^ok [0-9]+ [0-9]+$"
drv=$("$FERRIX" build -d -f "$examples/hello.scm")
expect_match "derivation graph: the .drv is a node" "$out" "\"$drv\" \\[label = \"hello-0.1.0.drv\", shape = box\\];"
expect_match "derivation graph: the build script is a source" "$out" "\"$drv\" -> \"$FERRIX_STORE/store/[0-9a-z]{32}-hello-0\\.1\\.0-builder\";"
expect_status "derivation graph of packages with dependencies" 0 "$FERRIX" graph -t derivation -L "$TEST_TMP/mods" top
printf '%s\n' "$out" >"$TEST_TMP/t.dot"
expect_match "top: valid DOT" "$(check_dot "$TEST_TMP/t.dot")" "^ok [0-9]+ [0-9]+$"
expect_match "top: an edge between .drv files" "$out" "-top-2\\.0\\.drv\" -> \"[^\"]*-b-1\\.0\\.drv\";"
expect_eq "derivation graph: deterministic" "$("$FERRIX" graph -t derivation -L "$TEST_TMP/mods" top)" "$out"
if command -v dot >/dev/null; then
  expect_status "Graphviz reads it" 0 dot -Tsvg -o /dev/null "$TEST_TMP/t.dot"
fi

# Errors are reported as by `ferrix build`.
expect_status "unknown package" 1 "$FERRIX" graph -L "$TEST_TMP/mods" tpo
expect_eq "unknown package: suggestion" "$err" "ferrix: error: tpo: unknown package (did you mean 'top'?)"

finish

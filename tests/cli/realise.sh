# `ferrix build` realising derivations (no cargo: builders are /bin/sh): outputs printed, no-op
# rebuilds, failures leaving nothing, -K, --check, timeouts, -M, -c, -r, `ferrix log`, two
# concurrent builds building once, a builder killed mid-build, builtin:download from file:// and
# from an HTTP server on 127.0.0.1, and the fallback without namespaces.
source "$(dirname "$0")/lib/assert.bash"
cd "$TEST_TMP"
T=$TEST_TMP
export T
export FERRIX_CONFIG=/dev/null # the user's mirrors and retries play no part here

# sq TEXT: TEXT as a Scheme string literal.
sq() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }
# mk NAME SCRIPT [EXTRA-ARGUMENTS]: like drv, quoting SCRIPT as a Scheme string.
mk() {
  cat >"$T/$1.scm" <<SCM
(use-modules (ferrix store) (ferrix derivations) (ferrix download) (ferrix base32))
(with-store store
  (derivation store "$1" "/bin/sh" (list "-c" $(sq "$2")) ${3:-}))
SCM
}
build() { "$FERRIX" build "$@"; }
# pids_matching TEXT: the processes whose command line contains TEXT (no procps needed; the text
# goes through the environment so that the scanner does not match itself).
pids_matching() {
  PATTERN=$1 python3 -c '
import os
for p in os.listdir("/proc"):
    if not p.isdigit() or int(p) == os.getpid(): continue
    try: cmd = open("/proc/%s/cmdline" % p, "rb").read().replace(b"\0", b" ").decode(errors="replace")
    except OSError: continue
    if os.environ["PATTERN"] in cmd: print(p)'
}
# pgid_of PID
pgid_of() { python3 -c 'import os, sys; print(os.getpgid(int(sys.argv[1])))' "$1"; }

# --- A simple build, then a no-op.
mk simple 'echo hello from the builder; echo "$HOME $SOURCE_DATE_EPOCH $NIX_BUILD_CORES" > $out'
expect_status "simple build" 0 build -f simple.scm
simple_out=$out
expect_match "prints the output path" "$simple_out" "^$FERRIX_STORE/store/[0-9a-z]{32}-simple$"
expect_eq "output contents (HOME, SOURCE_DATE_EPOCH)" "$(cut -d' ' -f1,2 "$simple_out")" "/homeless-shelter 1"
expect_match "progress: building" "$err" "building '.*-simple\.drv'"
expect_status "no-op rebuild" 0 build -f simple.scm
expect_eq "same output" "$out" "$simple_out"
expect_eq "nothing built again" "$(grep -c building <<<"$err" || true)" "0"
simple_drv=$(build -d -f simple.scm)
expect_status "build DRV: a .drv on the command line" 0 build "$simple_drv"
expect_eq "build DRV: same output" "$out" "$simple_out"
expect_status "ferrix log DRV" 0 "$FERRIX" log "$simple_drv"
expect_eq "log holds the output" "$out" "hello from the builder"
expect_status "ferrix log OUTPUT" 0 "$FERRIX" log "$simple_out"
expect_eq "log through the deriver" "$out" "hello from the builder"
expect_status "ferrix log -p" 0 "$FERRIX" log -p "$simple_out"
expect_match "log file under var/log/ferrix/drvs" "$out" "^$FERRIX_STORE/var/log/ferrix/drvs/[0-9a-z]{2}/[0-9a-z]{30}-simple\.drv\.log$"
expect_status "ferrix log: no log" 1 "$FERRIX" log "$FERRIX_STORE/store/00000000000000000000000000000000-nothing"
expect_status "path-info: deriver recorded" 0 "$FERRIX" store path-info "$simple_out"
expect_match "deriver" "$out" "simple\.drv"

# -c: the cores reach the builder.
mk cores 'echo $NIX_BUILD_CORES $FERRIX_BUILD_CORES > $out'
expect_status "-c 3" 0 build -c 3 -f cores.scm
expect_eq "NIX_BUILD_CORES and FERRIX_BUILD_CORES" "$(cat "$out")" "3 3"

# On a terminal: the live block shows the derivation, its phase and the elapsed seconds.
if command -v script >/dev/null; then
  mk tty 'echo "starting phase \`configure'"'"'"; sleep 1.2; echo "starting phase \`build'"'"'"; sleep 1.2; echo done > $out'
  script -qc "'$FERRIX' build -f '$T/tty.scm'" /dev/null >"$T/tty.out" 2>&1 </dev/null || true
  expect_match "terminal: phase shown" "$(cat "$T/tty.out")" "\[[0-9]+s\] tty \(configure\)"
  expect_match "terminal: next phase" "$(cat "$T/tty.out")" "\[[12]s\] tty \(build\)"
  expect_match "terminal: lines redrawn" "$(cat -v "$T/tty.out")" "\^\[\[1A\^\[\[2K"
fi

# --- A failing build leaves nothing but its log.
mk failing 'i=0; while [ $i -lt 30 ]; do echo line $i; i=$((i+1)); done; mkdir $out; echo partial > $out/f; exit 3'
expect_status "failing build: exit 1" 1 build -f failing.scm
expect_match "error names the status" "$err" "exited with status 3"
expect_match "last lines of the log shown" "$err" "line 29"
expect_eq "only the last lines" "$(grep -c 'line 5$' <<<"$err" || true)" "0"
expect_match "log path shown" "$err" "var/log/ferrix/drvs/"
failing_drv=$(build -d -f failing.scm)
failing_out=$(sed -n 's/.*"out","\([^"]*\)".*/\1/p' "$failing_drv")
expect_eq "output not in the store" "$(test -e "$failing_out" && echo present || echo absent)" "absent"
expect_status "output not valid" 1 "$FERRIX" store path-info "$failing_out"
expect_status "log kept" 0 "$FERRIX" log "$failing_drv"
expect_match "log complete" "$out" "line 0"
expect_eq "no build directory left" "$(ls "$FERRIX_STORE/var/ferrix/builds" | grep -c failing || true)" "0"

# -K keeps the build directory and says where.
mk keep 'echo scratch > kept-file; exit 1'
expect_status "-K: fails" 1 build -K -f keep.scm
expect_match "-K: says where" "$err" "keeping build directory '[^']*'"
kept=$(sed -n "s/.*keeping build directory '\([^']*\)'.*/\1/p" <<<"$err")
expect_eq "-K: the builder's files are there" "$(cat "$kept/build/kept-file")" "scratch"
touch -d '1 hour ago' "$kept"
expect_status "-K: gc" 0 "$FERRIX" store gc
expect_eq "-K: gc leaves a kept build directory" "$(cat "$kept/build/kept-file")" "scratch"
rm -rf "$kept"

# --- -k: after a failure, what does not depend on it is still built; without -k it is not.
cat >"$T/keep-going.scm" <<'SCM'
(use-modules (ferrix store) (ferrix derivations))
(with-store store
  (let* ((bad (derivation store "kg-bad" "/bin/sh" '("-c" "echo kg-bad-failing; exit 4")))
         (after (derivation store "kg-after" "/bin/sh" '("-c" "mkdir $out")
                            #:inputs (list (list bad))))
         (good (derivation store "kg-good" "/bin/sh" '("-c" "echo good > $out"))))
    (list bad after good)))
SCM
kg_good=$(build -d -f keep-going.scm | grep -- '-kg-good.drv$')
kg_good_out=$(sed -n 's/.*"out","\([^"]*\)".*/\1/p' "$kg_good")
# -M 1: one build at a time (the default runs one per core, and kg-good would run beside kg-bad);
# kg-bad, with a dependent, starts first (critical path first).
expect_status "without -k: fails" 1 build -M 1 -f keep-going.scm
expect_match "without -k: the others are not built" "$err" "2 other derivations were not built"
expect_status "without -k: the independent one is not built" 1 "$FERRIX" store path-info "$kg_good_out"
expect_status "-k: fails" 1 build -k -f keep-going.scm
expect_match "-k: names the failure" "$err" "kg-bad.drv' exited with status 4"
expect_match "-k: only the dependent one is not built" "$err" "1 other derivation was not built"
expect_eq "-k: the independent one is built" "$(cat "$kg_good_out")" "good"
expect_status "--keep-going is -k" 1 build --keep-going -f keep-going.scm

# A builder that produces no output fails too.
mk nothing 'echo nothing'
expect_status "no output: fails" 1 build -f nothing.scm
expect_match "no output: named" "$err" "failed to produce output 'out'"

# --- Dependencies, and two outputs referring to each other.
mk dep 'mkdir $out; echo dep > $out/data'
cat >"$T/multi.scm" <<'SCM'
(use-modules (ferrix store) (ferrix derivations))
(with-store store
  (let ((dep (load (string-append (getenv "T") "/dep.scm"))))
    (derivation store "multi" "/bin/sh"
      (list "-c" (string-append "mkdir $out $lib; echo $lib > $out/lib-path; echo lib > $lib/data; cat "
                                (derivation->output-path dep) "/data > $out/copy; echo "
                                (derivation->output-path dep) " > $out/dep-path; touch "
                                (derivation->output-path dep) "/x 2>/dev/null && echo WRITABLE > $out/ro; true"))
      #:inputs (list (list dep))
      #:outputs '("out" "lib"))))
SCM
expect_status "multi-output with a dependency" 0 build -f multi.scm
multi_out=$(grep -- '-multi$' <<<"$out")
multi_lib=$(grep -- '-multi-lib$' <<<"$out")
expect_match "two paths printed" "$multi_lib" "-multi-lib$"
expect_eq "dependency built first" "$(cat "$multi_out/copy")" "dep"
expect_eq "out refers to lib" "$("$FERRIX" store references "$multi_out" | grep -c -- -multi-lib || true)" "1"
expect_eq "lib refers to nothing" "$("$FERRIX" store references "$multi_lib" | grep -vc -- '-multi-lib$' || true)" "0"
expect_eq "out refers to the dependency" "$("$FERRIX" store references "$multi_out" | grep -c -- '-dep$' || true)" "1"
# Outputs referring to each other: a cycle, refused (as Nix does), and nothing registered.
mk cycle 'mkdir $out $lib; echo $lib > $out/l; echo $out > $lib/o' "#:outputs '(\"out\" \"lib\")"
expect_status "outputs in a cycle: fails" 1 build -f cycle.scm
expect_match "cycle: said" "$err" "cycle detected in the references of"
cycle_drv=$(build -d -f cycle.scm)
expect_eq "cycle: nothing registered" "$(ls "$FERRIX_STORE/store" | grep -c -- '-cycle\(-lib\)\?$' || true)" "0"
if [ "$(id -u)" = 0 ]; then
  expect_eq "inputs are read-only" "$(test -e "$multi_out/ro" && echo writable || echo read-only)" "read-only"
fi

# --- --check.
mk determ 'mkdir $out; echo same > $out/a; mkdir $out/sub; echo same > $out/sub/b'
expect_status "deterministic: build" 0 build -f determ.scm
expect_status "deterministic: --check passes" 0 build --check -f determ.scm
expect_match "--check rebuilt it" "$err" "checking '.*-determ\.drv'"
mk nondeterm 'mkdir $out; echo same > $out/a; mkdir $out/sub; cat /proc/sys/kernel/random/uuid > $out/sub/random'
expect_status "non-deterministic: build" 0 build -f nondeterm.scm
nd_out=$out
before=$(cat "$nd_out/sub/random")
expect_status "non-deterministic: --check fails" 1 build --check -f nondeterm.scm
expect_match "--check names the file" "$err" "sub/random"
expect_match "--check: not deterministic" "$err" "may not be deterministic"
expect_eq "--check names only that file" "$(grep -c '^ *a$' <<<"$err" || true)" "0"
expect_eq "--check leaves the item alone" "$(cat "$nd_out/sub/random")" "$before"

# --- Timeouts.
mk slow 'echo start; sleep 30; echo never > $out'
start=$(date +%s)
expect_status "--timeout 1: fails" 1 build --timeout 1 -f slow.scm
expect_match "--timeout: said" "$err" "timed out after 1 seconds"
mk silent 'echo start; sleep 30; echo never > $out; echo x'
expect_status "--max-silent-time 1: fails" 1 build --max-silent-time 1 -f silent.scm
expect_match "--max-silent-time: said" "$err" "1 seconds without output"
expect_eq "timeouts took seconds, not minutes" "$(( $(date +%s) - start < 15 ))" "1"
expect_eq "no sleep left behind" "$(pids_matching 'echo start; sleep 30' | wc -l)" "0"
expect_status "bad --timeout" 2 build --timeout soon -f slow.scm

# --- -M 2: two builds at once. Contained builds cannot signal each other, so each records when
# it ran; one at a time, their two-second runs could not overlap.
mk par-a 'date +%s%N > $out; sleep 2; date +%s%N >> $out'
mk par-b 'date +%s%N > $out; sleep 2; date +%s%N >> $out; echo b >> $out'
cat >"$T/par.scm" <<'SCM'
(list (load (string-append (getenv "T") "/par-a.scm"))
      (load (string-append (getenv "T") "/par-b.scm")))
SCM
expect_status "-M 2: parallel builds" 0 build -M 2 -f par.scm
expect_eq "-M 2: both outputs" "$(wc -l <<<"$out")" "2"
par_a=$(head -n 1 <<<"$out") par_b=$(tail -n 1 <<<"$out")
a_start=$(sed -n 1p "$par_a") a_end=$(sed -n 2p "$par_a")
b_start=$(sed -n 1p "$par_b") b_end=$(sed -n 2p "$par_b")
expect_eq "-M 2: the two runs overlapped" "$(( a_start < b_end && b_start < a_end ))" "1"

# --- Two concurrent processes build a derivation once.
mk once 'sleep 2; echo done > $out'
build -f once.scm >"$T/once-1.out" 2>"$T/once-1.err" &
p1=$!
build -f once.scm >"$T/once-2.out" 2>"$T/once-2.err" &
p2=$!
s1=0; s2=0
wait $p1 || s1=$?
wait $p2 || s2=$?
expect_eq "concurrent: both succeed" "$s1 $s2" "0 0"
expect_eq "concurrent: same output" "$(cat "$T/once-1.out")" "$(cat "$T/once-2.out")"
expect_eq "concurrent: one 'building' line" "$(cat "$T/once-1.err" "$T/once-2.err" | grep -c "^building")" "1"

# --- The builder killed mid-build; a rebuild succeeds; the store verifies.
# The builder cannot write outside its outputs: the test leaves it the mark, through a host
# directory the derivation declares (read-only to it).
mkdir -p "$T/marks"
export FERRIX_ALLOWED_IMPURE_HOST_DEPS=$T/marks
mk killed 'if [ -e $M/killed-mark ]; then mkdir $out; echo fine > $out/f; else echo killed-builder-running; sleep 60; fi' '#:env-vars (list (cons "M" (string-append (getenv "T") "/marks")) (cons "impureHostDeps" (string-append (getenv "T") "/marks")))'
build -f killed.scm >"$T/killed.out" 2>"$T/killed.err" &
pk=$!
for _ in $(seq 100); do [ -n "$(pids_matching 'killed-builder-running')" ] && break; sleep 0.1; done
builder=$(pids_matching 'killed-builder-running' | head -n1)
if [ -n "$builder" ]; then kill -KILL -- "-$(pgid_of "$builder")"; fi
sk=0
wait $pk || sk=$?
touch "$T/marks/killed-mark"
expect_eq "killed: the build fails" "$sk" "1"
expect_match "killed: by signal 9" "$(cat "$T/killed.err")" "killed by signal 9"
expect_status "killed: a rebuild succeeds" 0 build -f killed.scm
expect_eq "killed: output whole" "$(cat "$out/f")" "fine"
expect_status "killed: store verify is clean" 0 "$FERRIX" store verify

# --- ferrix itself killed mid-build: its build directory stays behind until gc, which leaves
# the directories of live builds alone.
mk orphan 'echo orphan-builder-running; sleep 60'
"$FERRIX" build -f orphan.scm >"$T/orphan.out" 2>"$T/orphan.err" &
po=$! # ferrix itself, not a subshell
mk busy 'echo busy-builder-running; sleep 60'
build -f busy.scm >"$T/busy.out" 2>"$T/busy.err" &
pb=$!
for _ in $(seq 100); do [ -n "$(pids_matching 'orphan-builder-running')" ] && [ -n "$(pids_matching 'busy-builder-running')" ] && break; sleep 0.1; done
orphan=$(pids_matching 'orphan-builder-running' | sed -n 1p)
kill -KILL "$po"
wait $po || true
if [ -n "$orphan" ]; then kill -KILL -- "-$(pgid_of "$orphan")" 2>/dev/null || true; fi
left=$(ls -d "$FERRIX_STORE"/var/ferrix/builds/orphan-* 2>/dev/null | head -n1 || true)
expect_match "killed ferrix: its build directory is left" "$left" "/orphan-"
busy=$(ls -d "$FERRIX_STORE"/var/ferrix/builds/busy-* 2>/dev/null | head -n1 || true)
touch -d '1 hour ago' "$left" "$busy"
expect_status "killed ferrix: gc" 0 "$FERRIX" store gc
expect_eq "killed ferrix: gc removes the dead build's directory" "$(ls -d "$left" 2>/dev/null | wc -l)" "0"
expect_eq "killed ferrix: gc keeps a running build's" "$(ls -d "$busy" 2>/dev/null | wc -l)" "1"
busy_builder=$(pids_matching 'busy-builder-running' | sed -n 1p)
if [ -n "$busy_builder" ]; then kill -KILL -- "-$(pgid_of "$busy_builder")" 2>/dev/null || true; fi
wait $pb || true
expect_eq "killed ferrix: nothing left after the running build ends" "$(ls "$FERRIX_STORE"/var/ferrix/builds | grep -c -E '^(orphan|busy)-' || true)" "0"

# --- builtin:download: file://, then HTTP on 127.0.0.1; right and wrong hashes.
printf 'some source\n' >"$T/source.txt"
good=$("$FERRIX" hash "$T/source.txt")
bad=0000000000000000000000000000000000000000000000000000
fetch() { # NAME URL HASH [SCHEME-URL-LIST]
  cat >"$T/$1.scm" <<SCM
(use-modules (ferrix store) (ferrix download) (ferrix base32))
(with-store store
  (url-fetch store ${4:-"\"$2\""} 'sha256 (nix-base32-string->bytevector "$3") "source.txt"))
SCM
}
fetch fetch-file "file://$T/source.txt" "$good"
expect_status "download file://: right hash" 0 build -f fetch-file.scm
expect_eq "download: contents" "$(cat "$out")" "some source"
expect_status "download: registered with its content address" 0 "$FERRIX" store path-info --json "$out"
expect_match "download: ca" "$out" "fixed:sha256:$good"
fetch fetch-bad "file://$T/source.txt" "$bad"
expect_status "download: wrong hash fails" 1 build -f fetch-bad.scm
expect_match "wrong hash: the URL" "$err" "file://$T/source.txt"
expect_match "wrong hash: expected" "$err" "expected: sha256:$bad"
expect_match "wrong hash: actual" "$err" "actual: +sha256:$good"
expect_match "wrong hash: how to update" "$err" "update the hash"
fetch fetch-missing "" "$good" "(list \"file://$T/no-such-file\" \"file://$T/source.txt\")"
# Several URLs: the first that works. (The same output as above: already valid, so use a new name.)
sed -i 's/"source.txt")/"source2.txt")/' "$T/fetch-missing.scm"
expect_status "download: the second URL works" 0 build -f fetch-missing.scm

if command -v python3 >/dev/null; then
  mkdir -p "$T/www"
  printf 'served over http\n' >"$T/www/file.txt"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  (cd "$T/www" && exec timeout 60 python3 -m http.server --bind 127.0.0.1 "$port") >"$T/http.log" 2>&1 &
  server=$!
  for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break; sleep 0.1; done
  hgood=$("$FERRIX" hash "$T/www/file.txt")
  fetch fetch-http "http://127.0.0.1:$port/file.txt" "$hgood"
  expect_status "download over HTTP: right hash" 0 build -f fetch-http.scm
  expect_eq "HTTP: contents" "$(cat "$out")" "served over http"
  fetch fetch-http-bad "http://127.0.0.1:$port/file.txt" "$bad"
  sed -i 's/"source.txt")/"other.txt")/' "$T/fetch-http-bad.scm"
  expect_status "download over HTTP: wrong hash" 1 build -f fetch-http-bad.scm
  expect_match "HTTP wrong hash: names the URL" "$err" "http://127.0.0.1:$port/file.txt"
  fetch fetch-http-404 "http://127.0.0.1:$port/missing.txt" "$hgood"
  sed -i 's/"source.txt")/"third.txt")/' "$T/fetch-http-404.scm"
  expect_status "download over HTTP: 404 fails" 1 build -f fetch-http-404.scm
  expect_match "404: said" "$err" "404"
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
fi

# --- -r: a GC root to the output.
mk rooted 'echo rooted > $out'
expect_status "-r FILE" 0 build -r "$T/result" -f rooted.scm
rooted=$out
expect_eq "-r: symlink to the output" "$(readlink "$T/result")" "$rooted"
"$FERRIX" store gc >/dev/null 2>&1
expect_eq "-r: survives gc" "$(cat "$T/result")" "rooted"

# --- A store whose items live elsewhere than its logical directory (/nix/store under ROOT):
# the builder sees its inputs at /nix/store through the private mount namespace.
if [ "$(id -u)" = 0 ] && [ -d /nix/store ]; then
  cat >"$T/nixdir.scm" <<'SCM'
(use-modules (ferrix store) (ferrix derivations))
(with-store store
  (let ((dep (derivation store "nixdep" "/bin/sh" '("-c" "mkdir $out; echo from-dep > $out/data"))))
    (derivation store "nixtop" "/bin/sh"
                (list "-c" (string-append "cat " (derivation->output-path dep) "/data > $out"))
                #:inputs (list (list dep)))))
SCM
  expect_status "--store-dir /nix/store: builds" 0 "$FERRIX" --store "$T/nixroot" --store-dir /nix/store build -f nixdir.scm
  expect_match "--store-dir: a /nix/store path" "$out" "^/nix/store/[0-9a-z]{32}-nixtop$"
  expect_eq "--store-dir: contents (the input was visible)" "$(cat "$T/nixroot$out")" "from-dep"
  expect_eq "--store-dir: nothing written to the host's /nix/store" "$(test -e "$out" && echo yes || echo no)" "no"
fi

# --- Without namespaces (root, when the kernel refuses them): build users; warned once.
mk nons 'mkdir $out; echo plain > $out/f; echo another > $out/g'
expect_status "FERRIX_NO_NAMESPACES=1: builds" 0 env FERRIX_NO_NAMESPACES=1 "$FERRIX" build -f nons.scm
expect_eq "fallback: output" "$(cat "$out/f")" "plain"
expect_eq "fallback: warned once" "$(grep -c 'warning: builds run as build users without namespaces' <<<"$err")" "1"
expect_status "fallback: --check refused" 1 env FERRIX_NO_NAMESPACES=1 "$FERRIX" build --check -f nons.scm
expect_match "fallback: --check explains" "$err" "needs a private mount namespace"
mk nons-fail 'mkdir $out; echo half > $out/f; exit 1'
expect_status "fallback: failure" 1 env FERRIX_NO_NAMESPACES=1 "$FERRIX" build -f nons-fail.scm
nf_drv=$(build -d -f nons-fail.scm)
nf_out=$(sed -n 's/.*"out","\([^"]*\)".*/\1/p' "$nf_drv")
expect_eq "fallback: failed output removed" "$(test -e "$nf_out" && echo present || echo absent)" "absent"

expect_status "store verify at the end" 0 "$FERRIX" store verify
finish

#!/usr/bin/env bash
# Containment: a builder tries to escape (unmount or remount the store, write to an input, to an
# unrelated item, to /root, to /tmp, to ferrix's state directory, read the database, create lock
# directories, reach a server on the host's 127.0.0.1, keep capabilities, leave a process
# behind that writes to its output later) in each mode ferrix runs builds in: a user namespace,
# namespaces with a build user (no user namespace), and a build user without namespaces. Then
# as an unprivileged user: a user namespace, or a clear refusal.
source "$(dirname "$0")/lib/assert.bash"
T=$TEST_TMP
cd "$T"
if [ "$(id -u)" != 0 ]; then
  echo "skipped: the containment tests run as root (they compare root's and build users' views)"
  exit 0
fi
STATE=$FERRIX_STORE/var/ferrix
TAG=$$-$RANDOM

# A server on the host's loopback that a contained build must not reach (at most 20
# connections, 600 seconds).
port_file=$T/port
python3 - "$port_file" <<'PY' &
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
s.settimeout(600)
deadline = time.time() + 600
for _ in range(20):
    if time.time() > deadline:
        break
    try:
        c, _ = s.accept()
        c.close()
    except socket.timeout:
        break
PY
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$port_file" ] && break; sleep 0.1; done
PORT=$(cat "$port_file")

victim=$("$FERRIX" store add-text victim <<<"untouched")
"$FERRIX" store roots --add=victim "$victim" >/dev/null

# The attack: each attempt is recorded as "held NAME" or "ESCAPED NAME" in $out/report; a
# straggler tries to append to the output after the build is over.
cat >"$T/attack.sh" <<'SH'
mkdir $out
try() { if sh -c "$2" >/dev/null 2>&1; then echo "ESCAPED $1"; else echo "held $1"; fi >> $out/report; }
try umount-store 'umount -l "$NIX_STORE"'
try remount-input 'mount -o remount,rw "$INPUT"'
try write-input 'echo EVIL >> "$INPUT/data"'
try chmod-input 'chmod u+w "$INPUT/data"'
try write-victim 'echo EVIL >> "$VICTIM" && grep -q untouched "$VICTIM"'
try write-root-home 'echo EVIL > /root/ferrix-escape-$TAG'
try write-state 'echo EVIL > "$STATE/escape-$TAG"'
try lock-directory 'mkdir "$STATE/locks/x-$TAG.lock"'
try read-database 'cat "$STATE/db/db.sqlite" | head -c 1 | grep -q .'
try list-state 'ls "$STATE" | grep -q .'
try mknod 'mknod "$TMPDIR/null" c 1 3'
try capabilities '! grep -q "^CapEff:[[:space:]]*0*$" /proc/self/status'
try setuid-bit 'cp /bin/sh "$TMPDIR/sh" && chmod u+s "$TMPDIR/sh" && [ "$("$TMPDIR/sh" -c "id -u")" = 0 ]'
try host-loopback 'bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT"'
echo EVIL > /tmp/ferrix-escape-$TAG 2>/dev/null # a private /tmp, except for build users
echo built > $out/data
setsid sh -c 'exec 3>>"$0/data"; sleep 3; echo EVIL >&3' "$out" &
SH
cat >"$T/attack.scm" <<'SCM'
(use-modules (ferrix store) (ferrix derivations) (ice-9 textual-ports))
(with-store store
  (let ((input (derivation store "input" "/bin/sh"
                           '("-c" "mkdir $out; echo original > $out/data"))))
    (derivation store (string-append "attack-" (getenv "MODE")) "/bin/sh"
                (list "-c" (call-with-input-file (string-append (getenv "T") "/attack.sh")
                             get-string-all))
                #:env-vars
                `(("INPUT" . ,(derivation->output-path input))
                  ,@(map (lambda (v) (cons v (getenv v)))
                         '("VICTIM" "STATE" "TAG" "PORT" "MODE")))
                #:inputs (list (list input)))))
SCM
export T VICTIM=$victim STATE TAG PORT

# attack MODE ENV...: build the attack in that mode; every attempt must be held, except those
# the mode documents as open (BuildUser: the network and world-writable directories).
attack() {
  local mode=$1
  shift
  expect_status "$mode: the attack build" 0 env MODE="$mode" "$@" "$FERRIX" build -f attack.scm
  local outp=$out report
  report=$(cat "$outp/report" 2>/dev/null || true)
  expect_eq "$mode: every attempt recorded" "$(wc -l <<<"$report")" "14"
  local open='^$'
  [ "$mode" = build-users ] && open='^ESCAPED host-loopback$'
  expect_eq "$mode: nothing escaped" "$(grep '^ESCAPED' <<<"$report" | grep -Ev "$open" || true)" ""
  sleep 5 # the straggler's time to write, had it survived
  expect_eq "$mode: the straggler was killed with the build" "$(cat "$outp/data")" "built"
  expect_eq "$mode: the victim is untouched" "$(cat "$victim")" "untouched"
  expect_eq "$mode: nothing in /root" "$(ls /root/ferrix-escape-$TAG 2>/dev/null || true)" ""
  expect_eq "$mode: nothing in the state directory" "$(ls -d "$STATE/escape-$TAG" "$STATE/locks/x-$TAG.lock" 2>/dev/null || true)" ""
  if [ "$mode" != build-users ]; then
    expect_eq "$mode: nothing in the host's /tmp" "$(ls /tmp/ferrix-escape-$TAG 2>/dev/null || true)" ""
  fi
  expect_status "$mode: store verify" 0 "$FERRIX" store verify
  expect_eq "$mode: outputs belong to root" "$(stat -c %u "$outp" "$outp/data" | sort -u)" "0"
  rm -f /tmp/ferrix-escape-$TAG
}

attack user-namespace
attack namespaces FERRIX_NO_USER_NAMESPACES=1
attack build-users FERRIX_NO_NAMESPACES=1

# The same build user runs one build at a time: two at once get two ids.
mk2() {
  cat >"$T/$1.scm" <<SCM
(use-modules (ferrix store) (ferrix derivations))
(with-store store
  (list (derivation store "who-a" "/bin/sh" '("-c" "sleep 1; id -u > \$out"))
        (derivation store "who-b" "/bin/sh" '("-c" "sleep 1; id -u > \$out"))))
SCM
}
mk2 who
expect_status "build users: two builds at once" 0 env FERRIX_NO_NAMESPACES=1 "$FERRIX" build -M 2 -f who.scm
expect_eq "build users: two different ids" "$(cat $out | sort -u | wc -l)" "2"

# ferrix killed while its builder has left a daemon that writes to the output later: the
# rebuild (the test leaves the builder a mark, through a read-only host directory, to finish at
# once) registers a whole output that the daemon cannot touch.
mkdir -p "$T/marks"
cat >"$T/daemon.scm" <<'SCM'
(use-modules (ferrix store) (ferrix derivations))
(with-store store
  (derivation store "daemon" "/bin/sh"
              '("-c" "mkdir $out; echo fine > $out/f; [ -e $M/$MODE ] && exit 0; setsid sh -c 'exec 3>>\"$0/f\"; sleep 4; echo EVIL >&3' $out & echo daemon-builder-running; sleep 60")
              #:env-vars `(("MODE" . ,(getenv "MODE")) ("M" . ,(getenv "M"))
                           ("impureHostDeps" . ,(getenv "M")))))
SCM
export M=$T/marks FERRIX_ALLOWED_IMPURE_HOST_DEPS=$T/marks
for mode in user-namespace build-users; do
  envs=()
  [ "$mode" = build-users ] && envs=(FERRIX_NO_NAMESPACES=1)
  env MODE=$mode "${envs[@]}" "$FERRIX" build -f daemon.scm >/dev/null 2>&1 &
  pf=$!
  sleep 2
  kill -KILL "$pf"
  wait "$pf" 2>/dev/null || true
  sleep 1
  expect_eq "$mode: ferrix killed: its builder died with it" "$(grep -l 'echo daemon-builder-runnin[g]' /proc/[0-9]*/cmdline 2>/dev/null | wc -l)" "0"
  if [ "$mode" = user-namespace ]; then
    expect_eq "$mode: ferrix killed: the daemon died with the namespace" "$(grep -l 'sleep 4; echo EVI[L] >&3' /proc/[0-9]*/cmdline 2>/dev/null | wc -l)" "0"
  fi
  touch "$T/marks/$mode"
  expect_status "$mode: ferrix killed: the rebuild" 0 env MODE=$mode "${envs[@]}" "$FERRIX" build -f daemon.scm
  daemon_out=$out
  sleep 5 # the daemon's time to write, had it survived or could it write
  expect_eq "$mode: ferrix killed: the output is whole" "$(cat "$daemon_out/f")" "fine"
done
expect_status "store verify after the killed builds" 0 "$FERRIX" store verify

# Build users must reach the store: a store under a directory closed to others is refused,
# saying which directory.
mkdir -m 0700 "$T/closed"
expect_status "build users: a store they cannot reach is refused" 1 env FERRIX_STORE="$T/closed/root" FERRIX_NO_NAMESPACES=1 MODE=closed "$FERRIX" build -f attack.scm
expect_match "build users: names the directory" "$err" "'$T/closed' is not searchable by other users"

# A derivation may not show the builder the store or the state directory as a host path.
cat >"$T/peek.scm" <<'SCM'
(use-modules (ferrix store) (ferrix derivations))
(with-store store
  (derivation store "peek" "/bin/sh" '("-c" "ls $S > $out")
              #:env-vars `(("S" . ,(getenv "S")) ("impureHostDeps" . ,(getenv "S")))))
SCM
expect_status "impureHostDeps: the state directory is refused" 1 env S="$STATE" "$FERRIX" build -f peek.scm
expect_match "impureHostDeps: says why" "$err" "would show '.*var/ferrix' to the builder"
expect_status "impureHostDeps: a missing path is refused" 1 env S=/nonexistent/ferrix "$FERRIX" build -f peek.scm
expect_match "impureHostDeps: names it" "$err" "'/nonexistent/ferrix'.*does not exist"
mkdir -p "$T/private"
ln -s "$STATE" "$T/private/state-link"
expect_status "impureHostDeps: a path nobody allowed is refused" 1 env S="$T/private" "$FERRIX" build -f peek.scm
expect_match "impureHostDeps: says so" "$err" "'$T/private'.*neither a host toolchain among its inputs nor allowed by FERRIX_ALLOWED_IMPURE_HOST_DEPS"
expect_status "impureHostDeps: a link to the state directory is refused" 1 env S="$T/private/state-link" FERRIX_ALLOWED_IMPURE_HOST_DEPS="$T/private" "$FERRIX" build -f peek.scm
expect_match "impureHostDeps: resolved before the check" "$err" "would show '.*var/ferrix' to the builder"
expect_status "impureHostDeps: an allowed path is shown" 0 env S="$T/private" FERRIX_ALLOWED_IMPURE_HOST_DEPS="$T/private" "$FERRIX" build -f peek.scm
expect_eq "impureHostDeps: its contents" "$(cat "$out")" "state-link"

# A patched origin's archive is unpacked with the same checks as a crate's: a good one is
# patched, one whose link leads out of the tree is refused by name.
mkdir -p "$T/po/good/src-1.0" "$T/po/bad/src-1.0"
echo hello >"$T/po/good/src-1.0/greeting"
echo hello >"$T/po/bad/src-1.0/greeting"
ln -s ../../../../../etc/passwd "$T/po/bad/src-1.0/esc"
tar -C "$T/po/good" -czf "$T/po/good.tar.gz" src-1.0
tar -C "$T/po/bad" -czf "$T/po/bad.tar.gz" src-1.0
printf -- '--- a/greeting\n+++ b/greeting\n@@ -1 +1 @@\n-hello\n+patched\n' >"$T/po/fix.patch"
origin_scm() {
  cat >"$T/po/$1.scm" <<SCM
(use-modules (ferrix packages) (ferrix store) (ferrix download) (ferrix base32))
(with-store store
  (origin->derivation store
    (origin (method url-fetch) (uri "file://$T/po/$1.tar.gz")
            (sha256 (base32 "$("$FERRIX" hash -f nix32 "$T/po/$1.tar.gz")"))
            (patches (list (local-file "$T/po/fix.patch"))))))
SCM
}
origin_scm good
origin_scm bad
expect_status "patched origin: builds" 0 "$FERRIX" build -f "$T/po/good.scm"
expect_eq "patched origin: patched" "$(cat "$out/greeting")" "patched"
expect_status "patched origin with an escaping link: refused" 1 "$FERRIX" build -f "$T/po/bad.scm"
bad_log=$("$FERRIX" log "$("$FERRIX" build -d -f "$T/po/bad.scm")" 2>&1 || true)
expect_match "patched origin with an escaping link: names it" "$bad_log" "symlink 'src-1.0/esc' points to '../../../../../etc/passwd', outside the tree"

# An unprivileged user: builds in a user namespace as itself; with no user namespace there is
# nobody else to run the builder as, and the build is refused, saying why.
if command -v setpriv >/dev/null; then
  mkdir -p "$T/nobody"
  chown 65534:65534 "$T/nobody"
  as_nobody() {
    setpriv --reuid=65534 --regid=65534 --clear-groups \
      env HOME="$T/nobody" XDG_CACHE_HOME="$T/nobody/cache" FERRIX_STORE="$T/nobody/root" "$@"
  }
  expect_status "unprivileged: a build in a user namespace" 0 as_nobody env MODE=nobody "$FERRIX" build -f attack.scm
  nobody_out=$out
  expect_eq "unprivileged: nothing escaped" "$(grep '^ESCAPED' "$nobody_out/report" || true)" ""
  expect_status "unprivileged without user namespaces: refused" 1 as_nobody env MODE=nobody2 FERRIX_NO_NAMESPACES=1 "$FERRIX" build -f attack.scm
  expect_match "unprivileged without user namespaces: says why" "$err" "cannot build .* contained: FERRIX_NO_NAMESPACES is set, and ferrix is not root"
else
  echo "skipped: no setpriv, the unprivileged cases are not run"
fi

finish

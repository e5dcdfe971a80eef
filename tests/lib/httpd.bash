# Starting and stopping tests/lib/httpd.py from a test script (source this file).
#
#   httpd_start DIR [httpd.py options...]   serve DIR on 127.0.0.1; sets HTTPD_PID, HTTPD_PORT,
#                                           HTTPD_URL (http://127.0.0.1:PORT) and HTTPD_LOG
#   httpd_stop                              stop it (by its process id)
#
# The server stops by itself after --max-seconds or --max-requests; a trap on EXIT stops it too.
# The time bound given here (30 minutes, a caller's --max-seconds wins) is longer than CTest's
# limit on a test, so it only ever ends a server whose test was killed: a tighter one expired
# under registry/import.sh (245 s on a loaded machine against the old default of 300 s).
HTTPD_PID=
httpd_start() {
  local dir=$1
  shift
  local state
  state=$(mktemp -d "${TEST_TMP:-/tmp}/httpd.XXXXXX")
  HTTPD_LOG=$state/requests.log
  : >"$HTTPD_LOG"
  python3 "${FERRIX_SOURCE_DIR:?}/tests/lib/httpd.py" --root "$dir" \
    --port-file "$state/port" --log "$HTTPD_LOG" --max-seconds 1800 "$@" 2>"$state/stderr" &
  HTTPD_PID=$!
  local i
  for i in $(seq 100); do
    [[ -s $state/port ]] && break
    if ! kill -0 "$HTTPD_PID" 2>/dev/null; then
      echo "httpd_start: the server died: $(cat "$state/stderr")" >&2
      return 1
    fi
    sleep 0.05
  done
  [[ -s $state/port ]] || { echo "httpd_start: no port after 5 s" >&2; return 1; }
  HTTPD_PORT=$(cat "$state/port")
  HTTPD_URL=http://127.0.0.1:$HTTPD_PORT
  trap httpd_stop EXIT
}
httpd_stop() {
  if [[ -n $HTTPD_PID ]]; then
    kill "$HTTPD_PID" 2>/dev/null || true
    wait "$HTTPD_PID" 2>/dev/null || true
    HTTPD_PID=
  fi
}

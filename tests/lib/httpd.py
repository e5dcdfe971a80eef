#!/usr/bin/env python3
"""A small static HTTP server for the tests, on 127.0.0.1 only, bounded in time and requests.

Serves --root like a plain static server (a directory answers with its index.html, a directory
named without its trailing slash is redirected), HTTP/1.1 with keep-alive, one thread per
connection. Faults can be injected per path, to test the downloader's retries and errors:

  --fault GLOB=SPEC   requests whose path matches GLOB (fnmatch) get SPEC, one of
                        status:CODE[:N]   answer CODE (e.g. 500, 404) to the first N requests
                                          (all when N is absent), then serve normally
                        reset[:N]         close the connection without an answer
                        rst[:N]           abort the connection with a TCP reset (RST)
                        truncate:BYTES[:N] announce the full length, send BYTES, close
                        corrupt[:N]       serve the file with its first byte changed
                        slow:SECONDS[:N]  wait SECONDS before answering
  --latency MS        wait MS milliseconds before every answer (emulates a network's RTT)
  --no-ranges         ignore Range headers (by default "Range: bytes=N-" gets a 206 with the
                      rest of the file)

It writes the port it bound (port 0: any free one) to --port-file once it listens, logs one
line per request ("METHOD PATH STATUS", with --log-connections also the client's port, which
tells connections apart) to --log, and exits after --max-requests requests or
--max-seconds seconds, whichever comes first.
"""
import argparse
import fnmatch
import http.server
import os
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log")
    p.add_argument("--max-requests", type=int, default=10000)
    p.add_argument("--max-seconds", type=float, default=300)
    p.add_argument("--latency", type=float, default=0)
    p.add_argument("--fault", action="append", default=[])
    p.add_argument("--log-connections", action="store_true")
    p.add_argument("--no-ranges", action="store_true")
    return p.parse_args()


class Fault:
    def __init__(self, text):
        glob, _, spec = text.partition("=")
        if not spec:
            raise SystemExit(f"httpd.py: --fault {text}: expected GLOB=SPEC")
        self.glob = glob
        parts = spec.split(":")
        self.kind = parts[0]
        takes_arg = self.kind in ("status", "truncate", "slow")
        self.arg = parts[1] if takes_arg else None
        rest = parts[2:] if takes_arg else parts[1:]
        self.left = int(rest[0]) if rest else None  # None: every time
        if self.kind not in ("status", "reset", "rst", "truncate", "corrupt", "slow"):
            raise SystemExit(f"httpd.py: --fault {text}: unknown fault '{self.kind}'")
        if takes_arg and self.arg is None:
            raise SystemExit(f"httpd.py: --fault {text}: '{self.kind}' needs a value")

    def take(self, path):
        """Whether this fault applies to this request (and count it)."""
        if not fnmatch.fnmatchcase(path, self.glob):
            return False
        if self.left is None:
            return True
        if self.left <= 0:
            return False
        self.left -= 1
        return True


def main():
    args = parse_args()
    root = os.path.realpath(args.root)
    faults = [Fault(f) for f in args.fault]
    lock = threading.Lock()
    state = {"requests": 0}
    log = open(args.log, "a", buffering=1) if args.log else None

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            # Headers and body go out in separate writes: without this, Nagle's algorithm and
            # the client's delayed ACK hold every keep-alive answer back ~40 ms, which no real
            # server does.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, fmt, *a):
            pass

        def record(self, status):
            if log:
                with lock:
                    extra = f" {self.client_address[1]}" if args.log_connections else ""
                    log.write(f"{self.command} {self.path} {status}{extra}\n")

        def do_HEAD(self):
            self.answer(head=True)

        def do_GET(self):
            self.answer(head=False)

        def answer(self, head):
            with lock:
                state["requests"] += 1
                if state["requests"] >= args.max_requests:
                    threading.Thread(target=server.shutdown, daemon=True).start()
            if args.latency:
                time.sleep(args.latency / 1000)
            path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
            fault = None
            with lock:
                for f in faults:
                    if f.take(path):
                        fault = f
                        break
            if fault and fault.kind == "slow":
                time.sleep(float(fault.arg))
                fault = None
            if fault and fault.kind == "rst":
                self.record("rst")
                self.close_connection = True
                # Linger 0: close() sends RST instead of FIN ("connection reset by peer").
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.connection.close()
                return
            if fault and fault.kind == "reset":
                self.record("reset")
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if fault and fault.kind == "status":
                code = int(fault.arg)
                body = f"injected {code}\n".encode()
                self.record(code)
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)
                return
            local = os.path.realpath(os.path.join(root, path.lstrip("/")))
            if local != root and not local.startswith(root + os.sep):
                return self.plain(404, head)
            if os.path.isdir(local):
                if not path.endswith("/"):
                    self.record(301)
                    self.send_response(301)
                    self.send_header("Location", path + "/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                local = os.path.join(local, "index.html")
            if not os.path.isfile(local):
                return self.plain(404, head)
            with open(local, "rb") as f:
                data = f.read()
            if fault and fault.kind == "corrupt" and data:
                data = bytes([data[0] ^ 0xFF]) + data[1:]
            status, start = 200, 0
            rng = self.headers.get("Range", "")
            if rng.startswith("bytes=") and rng.endswith("-") and not args.no_ranges:
                try:
                    start = int(rng[len("bytes="):-1])
                except ValueError:
                    start = -1
                if not 0 <= start < len(data):
                    return self.plain(416, head)
                status = 206
            self.record(status if not fault else fault.kind)
            self.send_response(status)
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                data = data[start:]
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            if head:
                return
            if fault and fault.kind == "truncate":
                self.wfile.write(data[: int(fault.arg)])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.wfile.write(data)

        def plain(self, code, head):
            body = f"{code}\n".encode()
            self.record(code)
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True
        request_queue_size = 128

    server = Server(("127.0.0.1", args.port), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{server.server_address[1]}\n")
    os.rename(tmp, args.port_file)
    timer = threading.Timer(args.max_seconds, server.shutdown)
    timer.daemon = True
    timer.start()
    server.serve_forever(poll_interval=0.1)
    server.server_close()


if __name__ == "__main__":
    sys.exit(main())

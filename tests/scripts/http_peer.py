#!/usr/bin/env python3
"""A scripted HTTP peer for tests: records every request and answers by a plan.

    http_peer.py --log requests.jsonl --port-file port [--plan PLAN] [--control FILE]

Listens on 127.0.0.1 on a free port (or --port) and writes the port number to --port-file once it
accepts connections. Every request is appended to --log as one JSON line before it is
answered: {"method", "path", "headers": [[name, value], ...], "body"}.

PLAN says how to answer the requests in turn; the last step repeats once the plan is used up.
Either a comma list of steps, each a status ("500") or "sleep:<seconds>" (wait, then 200),
answered with --body; or a JSON array of {"status": 200, "body": <text or JSON>,
"sleep": <seconds>}. A --control file, when it exists at a request, replaces the rest of the
plan (same syntax) and is removed.
"""

import argparse
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def parse_plan(text, default_body):
    text = text.strip()
    if text.startswith("["):
        steps = []
        for step in json.loads(text):
            body = step.get("body", default_body)
            if not isinstance(body, str):
                body = json.dumps(body)
            steps.append({"status": int(step.get("status", 200)), "body": body,
                          "sleep": float(step.get("sleep", 0))})
        return steps
    steps = []
    for item in text.split(","):
        item = item.strip()
        if item.startswith("sleep:"):
            steps.append({"status": 200, "body": default_body, "sleep": float(item[6:])})
        else:
            steps.append({"status": int(item), "body": default_body, "sleep": 0.0})
    return steps


class Peer:
    def __init__(self, args):
        self.log_path = args.log
        self.control = args.control
        self.default_body = args.body
        self.plan = parse_plan(args.plan, args.body)
        self.lock = threading.Lock()

    def next_step(self):
        with self.lock:
            if self.control and os.path.exists(self.control):
                with open(self.control, encoding="utf-8") as f:
                    self.plan = parse_plan(f.read(), self.default_body)
                os.remove(self.control)
            return self.plan.pop(0) if len(self.plan) > 1 else self.plan[0]

    def record(self, entry):
        with self.lock, open(self.log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")


def make_handler(peer):
    class Handler(BaseHTTPRequestHandler):
        def handle_any(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length) if length > 0 else b""
            peer.record({"method": self.command, "path": self.path,
                         "headers": [[k, v] for k, v in self.headers.items()],
                         "body": body.decode("utf-8", errors="replace")})
            step = peer.next_step()
            if step["sleep"] > 0:
                time.sleep(step["sleep"])
            payload = step["body"].encode("utf-8")
            try:
                self.send_response(step["status"])
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a timeout test)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

        def log_message(self, format, *args):  # noqa: A002 - the base class's signature
            pass

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--plan", default="200")
    parser.add_argument("--body", default="{}")
    parser.add_argument("--control")
    parser.add_argument("--port", type=int, default=0, help="0 (default): a free port")
    args = parser.parse_args()
    peer = Peer(args)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(peer))
    server.daemon_threads = True
    temporary = args.port_file + ".tmp"
    with open(temporary, "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    os.replace(temporary, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()

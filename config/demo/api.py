#!/usr/bin/env python3
"""The demo's HTTP API: a small JSON service over redis on 127.0.0.1.

GET /health  "ok" when redis answers PING (503 otherwise)
GET /items   the items list, as JSON
POST /items  add an item (JSON or plain text body) and queue a job for the workers
GET /stats   counters from redis and this process"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import common
import resp
from common import err, log

STARTED = time.time()
_requests = 0
_requests_lock = threading.Lock()
MAX_BODY = 64 * 1024


class Handler(BaseHTTPRequestHandler):
    server_version = "vigil-demo-api/1"

    def do_GET(self):
        self._route({"/health": self.health, "/items": self.list_items, "/stats": self.stats})

    def do_POST(self):
        self._route({"/items": self.add_item})

    def _route(self, routes):
        global _requests
        with _requests_lock:
            _requests += 1
        self.started = time.monotonic()
        handler = routes.get(urlsplit(self.path).path)
        if handler is None:
            return self._reply(404, {"error": "not found"})
        try:
            with common.connect() as r:  # one short connection per request
                handler(r)
        except (OSError, resp.RedisError) as e:
            err(f"{self.command} {self.path}: redis error: {e}")
            self._reply(503, {"error": f"redis: {e}"})

    def health(self, r):
        r.execute("PING")
        self._reply(200, "ok\n")

    def list_items(self, r):
        self._reply(200, [json.loads(i) for i in r.execute("LRANGE", "items", 0, -1)])

    def add_item(self, r):
        size = int(self.headers.get("Content-Length") or 0)
        if not 0 < size <= MAX_BODY:
            return self._reply(400, {"error": f"body must be 1..{MAX_BODY} bytes"})
        body = self.rfile.read(size).decode("utf-8", "replace")
        try:
            item = json.loads(body)
        except ValueError:
            item = body.strip()  # plain text is fine too
        job_id = r.execute("INCR", "job_seq")
        r.execute("RPUSH", "items", json.dumps(item))
        r.execute("RPUSH", "jobs", json.dumps({"id": job_id, "item": item, "source": "api"}))
        self._reply(201, {"id": job_id, "item": item})

    def stats(self, r):
        self._reply(200, {
            "schema_version": int(r.execute("GET", "schema_version") or 0),
            "items": r.execute("LLEN", "items"),
            "jobs_queued": r.execute("LLEN", "jobs"),
            "jobs_done": int(r.execute("GET", "jobs_done") or 0),
            "requests": _requests,  # since this process started
            "uptime_s": round(time.time() - STARTED),
        })

    def _reply(self, code, body):
        """Send text (str) or JSON (anything else) and log one line."""
        if isinstance(body, str):
            data, ctype = body.encode(), "text/plain; charset=utf-8"
        else:
            data, ctype = (json.dumps(body) + "\n").encode(), "application/json"
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        ms = (time.monotonic() - self.started) * 1000
        log(f"{self.command} {self.path} {code} {len(data)}B {ms:.1f}ms")

    def log_request(self, code="-", size="-"):
        pass  # _reply logs successful requests itself

    def log_message(self, fmt, *args):
        err(f"http: {fmt % args}")  # malformed requests and the like


def main():
    server = ThreadingHTTPServer((common.HOST, common.api_port()), Handler)
    log(f"listening on http://{common.HOST}:{common.api_port()}")
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        server.server_close()


if __name__ == "__main__":
    common.run(main)

#!/usr/bin/env python3
"""A stand-in for Anthropic's Admin API, for govreview's fetch tests. Loopback only.

Serves recorded pages from the repository's fixtures for October 2026.
The Usage and Cost Analytics API (needs the anthropic-beta header, time_bucket_width=1d and
group_by[]=actor; the query must stay the same across pages):
  /v1/organizations/analytics/usage        two pages (tests/fixtures/analytics-api/...), linked by
                                           next_page; the first request for page 1 answers 429
                                           with retry-after: 1, the first for page 2 answers 410
                                           (the cursor expired), so the walk starts again
  /v1/organizations/analytics/cost         one page
The legacy reports:
  /v1/organizations/usage_report/messages  two pages (tests/fixtures/admin-api/...), linked by
                                           next_page; the first request for page 1 answers 429
                                           with retry-after: 1, the first for page 2 answers 500
  /v1/organizations/cost_report            one page (tests/fixtures/admin-api-costs/...)
Other months get empty pages. The key `sk-ant-admin-revoked` gets 401, `sk-ant-admin-redirect` a
301 to /stolen on the same server, `sk-ant-admin-patient` a 429 asking to wait ten years. Every request is logged
(path and query, then the status) to --log. Prints `PORT <n>` once listening on 127.0.0.1.

Usage: fake_admin_api.py --root REPO --log FILE
"""

import argparse
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

ap = argparse.ArgumentParser()
ap.add_argument("--root", required=True)
ap.add_argument("--log", required=True)
args = ap.parse_args()


def load(rel):
    with open(os.path.join(args.root, rel)) as f:
        return json.load(f)


USAGE = [
    load("tests/fixtures/admin-api/data/anthropic/2026-10/page-001.json"),
    load("tests/fixtures/admin-api/data/anthropic/2026-10/page-002.json"),
]
USAGE[0]["has_more"], USAGE[0]["next_page"] = True, "page_p2"
USAGE[1]["has_more"], USAGE[1]["next_page"] = False, None
COST = load("tests/fixtures/admin-api-costs/data/cost/cost-2026-10.json")
A_USAGE = [
    load("tests/fixtures/analytics-api/data/2026-10/usage-001.json"),
    load("tests/fixtures/analytics-api/data/2026-10/usage-002.json"),
]
A_COST = load("tests/fixtures/analytics-api/data/2026-10/cost-001.json")
BETA = "analytics-usage-cost-2026-08-24"
first_query = {}
seen = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        with open(args.log, "a") as f:
            f.write(f"{self.path} -> {status}\n")

    def do_GET(self):
        url = urlparse(self.path)
        q = parse_qs(url.query)
        if url.path == "/stolen":
            # Where a redirect points: a client that followed it would arrive here with the key.
            return self.send(200, {"data": [], "has_more": False, "next_page": None})
        if self.headers.get("x-api-key") == "sk-ant-admin-redirect":
            port = self.server.server_address[1]
            return self.send(301, {}, [("location", f"http://127.0.0.1:{port}/stolen")])
        if self.headers.get("x-api-key") == "sk-ant-admin-patient":
            return self.send(429, {"type": "error", "error": {"type": "rate_limit_error", "message": "come back in ten years"}}, [("retry-after", "315360000")])
        if self.headers.get("x-api-key") == "sk-ant-admin-revoked":
            # Echoes the key, as a careless server might: the client must not print it.
            return self.send(401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key: " + self.headers.get("x-api-key")}})
        if self.headers.get("anthropic-version") != "2023-06-01":
            return self.send(400, {"type": "error", "error": {"type": "invalid_request_error", "message": "anthropic-version header is required"}})
        october = q.get("starting_at") == ["2026-10-01T00:00:00Z"]
        page = q.get("page", [None])[0]
        key = (url.path, page)
        with lock:
            seen[key] = seen.get(key, 0) + 1
            first = seen[key] == 1
        if url.path.startswith("/v1/organizations/analytics/"):
            if BETA not in (self.headers.get("anthropic-beta") or "").split(","):
                return self.send(400, {"type": "error", "error": {"type": "invalid_request_error", "message": "this endpoint needs anthropic-beta: " + BETA}})
            query = sorted((k, v) for k, v in q.items() if k != "page")
            with lock:
                same = first_query.setdefault(url.path, query) == query
            if page is not None and not same:
                return self.send(400, {"type": "error", "error": {"type": "invalid_request_error", "message": "the cursor belongs to another query"}})
            window = q.get("ending_at") == ["2026-11-01T00:00:00Z"] and q.get("time_bucket_width") == ["1d"]
            if not (october and window):
                return self.send(200, {"data": [], "has_more": False, "next_page": None})
            if url.path == "/v1/organizations/analytics/usage":
                if "actor" not in q.get("group_by[]", []):
                    return self.send(200, {"data": [], "has_more": False, "next_page": None})
                if page is None:
                    if first:
                        return self.send(429, {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}, [("retry-after", "1")])
                    return self.send(200, A_USAGE[0])
                if page == "cursor_p2":
                    if first:
                        return self.send(410, {"type": "error", "error": {"type": "invalid_request_error", "message": "cursor expired"}})
                    return self.send(200, A_USAGE[1])
                return self.send(400, {"type": "error", "error": {"type": "invalid_request_error", "message": "bad page"}})
            if url.path == "/v1/organizations/analytics/cost":
                return self.send(200, A_COST)
        if url.path == "/v1/organizations/usage_report/messages":
            if not october:
                return self.send(200, {"data": [], "has_more": False, "next_page": None})
            if page is None:
                if first:
                    return self.send(429, {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}, [("retry-after", "1")])
                return self.send(200, USAGE[0])
            if page == "page_p2":
                if first:
                    return self.send(500, {"type": "error", "error": {"type": "api_error", "message": "internal"}})
                return self.send(200, USAGE[1])
            return self.send(400, {"type": "error", "error": {"type": "invalid_request_error", "message": "bad page"}})
        if url.path == "/v1/organizations/cost_report":
            if not october:
                return self.send(200, {"data": [], "has_more": False, "next_page": None})
            return self.send(200, COST)
        return self.send(404, {"type": "error", "error": {"type": "not_found_error", "message": "not found"}})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"PORT {server.server_address[1]}", flush=True)
server.serve_forever()

#!/usr/bin/env python3
"""A small Confluent Schema Registry for the tests: the endpoints the
harness uses, as Confluent documents them (REST API v1,
https://docs.confluent.io/platform/current/schema-registry/develop/api.html),
in memory.  Not a registry: no compatibility checks, no deletes, no modes.

    GET  /schemas/ids/{id}                 {"schema": "..."}; 404 error 40403
    POST /subjects/{subject}/versions      {"schema": "..."} -> {"id": N} (an existing id when registered before)
    POST /subjects/{subject}               look up: {"subject", "id", "version", "schema"}; 404 40401 / 40403
    GET  /subjects                         the subjects
    GET  /subjects/{subject}/versions      their versions

Schemas are the same when their JSON is equal (the registry's own test is on
a canonical form; this is close enough for tests).  With user="U:P" every
request needs HTTP basic auth (401 otherwise).  `hits` counts the requests by
method and path, so a test can tell whether a client caches.

Started and stopped by the tests (RegistryServer(...).start(), .stop()), or
on its own: registry_server.py [--port N] [--user U:P].
"""

import argparse
import base64
import json
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


class RegistryServer:
    def __init__(self, port=0, user=None):
        self.schemas = {}          # id -> schema text
        self.subjects = {}         # subject -> [id, ...] (versions 1..)
        self.hits = {}             # "GET /schemas/ids/1" -> count
        self.user = user
        self.lock = threading.Lock()
        registry = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self, status, obj):
                body = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", CONTENT_TYPE)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def authorized(self):
                if not registry.user:
                    return True
                want = "Basic " + base64.b64encode(registry.user.encode()).decode()
                if self.headers.get("Authorization") == want:
                    return True
                self.answer(401, {"error_code": 401, "message": "Unauthorized"})
                return False

            def do_GET(self):
                self.handle_request("GET", None)

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                self.handle_request("POST", self.rfile.read(n))

            def handle_request(self, method, body):
                path = urllib.parse.urlsplit(self.path).path
                with registry.lock:
                    key = "%s %s" % (method, path)
                    registry.hits[key] = registry.hits.get(key, 0) + 1
                if not self.authorized():
                    return
                status, obj = registry.route(method, path, body)
                self.answer(status, obj)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = None

    # ---- the API
    def register(self, subject, schema):
        """the id of schema under subject, registering it (as POST .../versions)"""
        with self.lock:
            want = json.loads(schema)
            for sid, text in self.schemas.items():
                if json.loads(text) == want:
                    break
            else:
                sid = max(self.schemas, default=0) + 1
                self.schemas[sid] = schema
            versions = self.subjects.setdefault(subject, [])
            if sid not in versions:
                versions.append(sid)
            return sid

    def route(self, method, path, body):
        m = re.fullmatch(r"/schemas/ids/(\d+)", path)
        if method == "GET" and m:
            sid = int(m.group(1))
            if sid not in self.schemas:
                return 404, {"error_code": 40403, "message": "Schema %d not found" % sid}
            return 200, {"schema": self.schemas[sid]}
        if method == "GET" and path == "/subjects":
            return 200, sorted(self.subjects)
        m = re.fullmatch(r"/subjects/([^/]+)/versions", path)
        if m and method == "GET":
            subject = urllib.parse.unquote(m.group(1))
            if subject not in self.subjects:
                return 404, {"error_code": 40401, "message": "Subject '%s' not found." % subject}
            return 200, list(range(1, len(self.subjects[subject]) + 1))
        try:
            req = json.loads(body or b"{}")
            schema = req["schema"]
            json.loads(schema)
        except (ValueError, KeyError, TypeError):
            return 422, {"error_code": 42201, "message": "Invalid schema"}
        if m and method == "POST":
            return 200, {"id": self.register(urllib.parse.unquote(m.group(1)), schema)}
        m = re.fullmatch(r"/subjects/([^/]+)", path)
        if m and method == "POST":
            subject = urllib.parse.unquote(m.group(1))
            if subject not in self.subjects:
                return 404, {"error_code": 40401, "message": "Subject '%s' not found." % subject}
            for version, sid in enumerate(self.subjects[subject], 1):
                if json.loads(self.schemas[sid]) == json.loads(schema):
                    return 200, {"subject": subject, "id": sid, "version": version, "schema": self.schemas[sid]}
            return 404, {"error_code": 40403, "message": "Schema not found"}
        return 404, {"error_code": 404, "message": "HTTP 404 Not Found"}

    # ---- running
    def start(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--user")
    a = ap.parse_args()
    r = RegistryServer(a.port, a.user)
    print(r.url, flush=True)
    try:
        r.httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

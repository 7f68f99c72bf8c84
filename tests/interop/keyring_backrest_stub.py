"""A minimal Backrest login API for the keyring check: Login accepts one password."""

import base64
import http.server
import json
import sys
import time

PASSWORD = sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("content-length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path == "/v1.Authentication/Login" and body.get("password") == PASSWORD:
            claims = json.dumps({"sub": body.get("username"), "exp": int(time.time()) + 3600})
            payload = base64.urlsafe_b64encode(claims.encode()).decode().rstrip("=")
            out, status = json.dumps({"token": f"eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln"}), 200
        else:
            out, status = '{"code":"unauthenticated","message":"invalid password"}', 401
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(out.encode())

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()

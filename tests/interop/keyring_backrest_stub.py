"""A minimal Backrest for the keyring and npm checks: Login accepts one password, and GetConfig
(the data read of `backup-mcp test`) answers only with a token Login issued."""

import base64
import http.server
import json
import sys
import time

PASSWORD = sys.argv[2]
ISSUED = set()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("content-length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path == "/v1.Authentication/Login" and body.get("password") == PASSWORD:
            claims = json.dumps({"sub": body.get("username"), "exp": int(time.time()) + 3600})
            payload = base64.urlsafe_b64encode(claims.encode()).decode().rstrip("=")
            token = f"eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln"
            ISSUED.add(token)
            out, status = json.dumps({"token": token}), 200
        elif self.path == "/v1.Backrest/GetConfig" and self.headers.get(
            "authorization", ""
        ).removeprefix("Bearer ") in ISSUED:
            out, status = '{"instance": "keyring-check"}', 200
        else:
            out, status = '{"code":"unauthenticated","message":"invalid password"}', 401
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(out.encode())

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()

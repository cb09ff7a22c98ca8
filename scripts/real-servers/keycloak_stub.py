"""A loopback stand-in for the two Keycloak endpoints the apps touch.

  POST <realm>/protocol/openid-connect/token   client-credentials grant: checks
       the HTTP Basic client id/secret against the clients file and returns an
       access token for that client's service account.
  GET  <realm>                                 realm info with a public_key
       (only fetched outside TEST_MODE; served for completeness).

Usage: python keycloak_stub.py --port N --clients clients.json --key SIGNING_KEY --issuer URL

clients.json: {"<client_id>": {"secret": "...", "username": "...", "roles": [...]}}
"""

import argparse
import base64
import json
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from common import REALM_PATH, TOKEN_PATH, TOKEN_LIFETIME_S, mint_token  # noqa: E402


def make_handler(clients, key, issuer):
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt, *args):  # one line per request, to the log file
            sys.stderr.write("keycloak-stub: " + (fmt % args) + "\n")

        def do_GET(self):
            if self.path.rstrip("/") == REALM_PATH:
                # Shape of Keycloak's realm document; the key is not used in TEST_MODE.
                self._send(200, {"realm": "provena", "public_key": "TEST-MODE-NO-KEY",
                                 "token-service": issuer + "/protocol/openid-connect"})
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self):
            if self.path != TOKEN_PATH:
                self._send(404, {"error": "not found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(length).decode())
            client_id, secret = None, None
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                try:
                    client_id, secret = base64.b64decode(auth[6:]).decode().split(":", 1)
                except Exception:
                    pass
            # Keycloak also accepts the credentials in the form body.
            client_id = client_id or (form.get("client_id") or [None])[0]
            secret = secret or (form.get("client_secret") or [None])[0]
            grant = (form.get("grant_type") or [None])[0]
            if grant != "client_credentials":
                self._send(400, {"error": "unsupported_grant_type"})
                return
            client = clients.get(client_id or "")
            if client is None or client["secret"] != secret:
                self._send(401, {"error": "unauthorized_client",
                                 "error_description": "Invalid client or Invalid client credentials"})
                return
            token = mint_token(key, issuer, client["username"], client["roles"],
                               email=None, client_id=client_id)
            self._send(200, {"access_token": token, "expires_in": TOKEN_LIFETIME_S,
                             "refresh_expires_in": 0, "token_type": "Bearer",
                             "not-before-policy": 0, "scope": "profile email"})

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--clients", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--issuer", required=True)
    a = ap.parse_args()
    with open(a.clients) as f:
        clients = json.load(f)
    server = ThreadingHTTPServer(("127.0.0.1", a.port), make_handler(clients, a.key, a.issuer))
    server.daemon_threads = True
    sys.stderr.write(f"keycloak-stub: listening on 127.0.0.1:{a.port}\n")
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()

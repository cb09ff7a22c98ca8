"""Loopback stand-ins for the two external services the apps call that
cannot run here: Keycloak's token endpoint and the handle (PID) service.

Keycloak (under /auth/realms/provena):
  POST <realm>/protocol/openid-connect/token   client-credentials grant: checks
       the HTTP Basic client id/secret against the clients file and returns an
       access token for that client's service account.
  GET  <realm>                                 realm info with a public_key
       (only fetched outside TEST_MODE; served for completeness).

Handle service (under /handle-api, the registry's HANDLE_API_ENDPOINT):
  POST /handle-api/handle/mint                 {value_type, value} -> Handle
  PUT  /handle-api/handle/modify_by_index      {id, index, value}  -> Handle
  GET  /handle-api/handle/get?id=              -> Handle
  Needs a bearer token with handle-read and handle-write (like the real
  id-service API). Ids look like real ones ("10378.1/<7 digits>") and are
  unique within the instance, unlike the registry's MOCK_HANDLE mode, which
  draws 5 random digits and can hand out an id twice.

Outbound guard: the apps are given this server as their HTTP(S) proxy (with
loopback exempt), so any call they would make to the outside world (e.g. the
data store's AWS console sign-in federation) ends here with a 403 and a log
line instead of leaving the machine.

Usage: python stand_ins.py --port N --clients clients.json --key-file KEY.pem --issuer URL

clients.json: {"<client_id>": {"secret": "...", "username": "...", "roles": [...]}}
"""

import argparse
import base64
import json
import random
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.dont_write_bytecode = True  # keep the script folder free of __pycache__
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from common import REALM_PATH, TOKEN_PATH, TOKEN_LIFETIME_S, mint_token  # noqa: E402

HANDLE_PREFIX = "/handle-api/handle"
HANDLE_NAMING_AUTHORITY = "10378.1"
HANDLE_ROLES = ("handle-read", "handle-write")


class Handles:
    def __init__(self):
        self.lock = threading.Lock()
        self.next = random.randint(1_000_000, 8_000_000)
        self.items = {}

    def mint(self, value_type, value):
        with self.lock:
            hid = f"{HANDLE_NAMING_AUTHORITY}/{self.next}"
            self.next += 1
            self.items[hid] = {"id": hid, "properties": [
                {"type": value_type, "value": value, "index": 1}]}
            return self.items[hid]

    def modify(self, hid, index, value):
        with self.lock:
            h = self.items.get(hid)
            if h is None:
                return None, "handle not found"
            for prop in h["properties"]:
                if prop["index"] == index:
                    prop["value"] = value
                    return h, None
            return None, f"no value at index {index}"


def bearer_roles(header):
    """Roles of a bearer token, decoded without verification (TEST_MODE-like)."""
    from jose import jwt
    if not header.startswith("Bearer "):
        return None
    try:
        claims = jwt.get_unverified_claims(header[7:])
        return claims.get("realm_access", {}).get("roles", [])
    except Exception:
        return None


def make_handler(clients, key, issuer):
    from common import realm_public_key
    handles = Handles()
    public_key = realm_public_key(key)

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt, *args):  # one line per request, to the log file
            sys.stderr.write("stand-ins: " + (fmt % args) + "\n")

        def _json_body(self):
            length = int(self.headers.get("Content-Length") or 0)
            try:
                return json.loads(self.rfile.read(length) or b"null")
            except ValueError:
                return None

        def _handle_auth(self):
            roles = bearer_roles(self.headers.get("Authorization", ""))
            if roles is None:
                self._send(401, {"detail": "Not authenticated"})
                return False
            if not all(r in roles for r in HANDLE_ROLES):
                self._send(401, {"detail": "You are not authorised to access this resource as "
                                           "you don't have the correct role."})
                return False
            return True

        def _outbound(self):
            # Absolute-URI request line or CONNECT = someone used us as a proxy.
            if self.command == "CONNECT" or self.path.startswith(("http://", "https://")):
                sys.stderr.write(f"stand-ins: BLOCKED outbound {self.command} {self.path}\n")
                self._send(403, {"detail": "outbound network access is blocked in the "
                                           "real-servers harness", "target": self.path})
                return True
            return False

        def do_CONNECT(self):
            self._outbound()

        def do_PUT(self):
            if self._outbound():
                return
            if self.path != HANDLE_PREFIX + "/modify_by_index":
                self._send(404, {"detail": "Not Found"})
                return
            if not self._handle_auth():
                return
            body = self._json_body()
            try:
                h, err = handles.modify(body["id"], int(body["index"]), body["value"])
            except (TypeError, KeyError, ValueError):
                self._send(422, {"detail": "expected {id, index, value}"})
                return
            if h is None:
                self._send(400, {"detail": err})
            else:
                self._send(200, h)

        def do_GET(self):
            if self._outbound():
                return
            parsed = urllib.parse.urlparse(self.path)
            if parsed.path == HANDLE_PREFIX + "/get":
                if not self._handle_auth():
                    return
                hid = (urllib.parse.parse_qs(parsed.query).get("id") or [""])[0]
                h = handles.items.get(hid)
                self._send(200 if h else 400, h or {"detail": "handle not found"})
            elif self.path.rstrip("/") == REALM_PATH:
                # The parts of Keycloak's realm document the apps read.
                self._send(200, {"realm": "provena", "public_key": public_key,
                                 "token-service": issuer + "/protocol/openid-connect"})
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self):
            if self._outbound():
                return
            if self.path == HANDLE_PREFIX + "/mint":
                if not self._handle_auth():
                    return
                body = self._json_body()
                try:
                    self._send(200, handles.mint(body["value_type"], body["value"]))
                except (TypeError, KeyError):
                    self._send(422, {"detail": "expected {value_type, value}"})
                return
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
    ap.add_argument("--key-file", required=True, help="RSA private key (PEM) that signs tokens")
    ap.add_argument("--issuer", required=True)
    a = ap.parse_args()
    with open(a.clients) as f:
        clients = json.load(f)
    with open(a.key_file) as f:
        key = f.read()
    server = ThreadingHTTPServer(("127.0.0.1", a.port), make_handler(clients, key, a.issuer))
    server.daemon_threads = True
    sys.stderr.write(f"stand-ins: listening on 127.0.0.1:{a.port}\n")
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()

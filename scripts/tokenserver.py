#!/usr/bin/python3
"""Tiny Docker registry token server for ConOps tests (test-only, not for production).

Serves `GET /token?service=...&scope=...` (and the OAuth2 `POST /token` form with
grant_type=password) and issues RS256 JWTs that docker-registry 2.8 trusts through its
`auth.token.rootcertbundle`.

Uses the Python standard library only; RS256 signing is done by the `openssl` CLI.

Registry 2.8 rejects a token whose header names no key ("invalid token"): the header
needs either `kid` = the libtrust key ID of the public key of a rootcertbundle
certificate (base32 of the first 240 bits of SHA-256(DER SubjectPublicKeyInfo), in
groups of 4 joined by ':', e.g. TARR:QYKS:...), or `x5c` = a certificate chain ending in
the bundle. Both were tried and work; `--header kid` (default), `x5c` or `both`.

Credentials: Basic auth (`--user`/`--password`). Wrong credentials -> 401.
No credentials -> an anonymous token with no access (like Docker Hub), so the registry
answers 401 for the repository.
"""

import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def libtrust_key_id(der_spki: bytes) -> str:
    digest = hashlib.sha256(der_spki).digest()[:30]  # 240 bits
    b32 = base64.b32encode(digest).decode("ascii").rstrip("=")
    return ":".join(b32[i:i + 4] for i in range(0, len(b32), 4))


def pem_to_der_cert(pem_path: str) -> bytes:
    out = subprocess.run(["openssl", "x509", "-in", pem_path, "-outform", "DER"],
                         check=True, capture_output=True)
    return out.stdout


def cert_spki_der(pem_path: str) -> bytes:
    pub = subprocess.run(["openssl", "x509", "-in", pem_path, "-pubkey", "-noout"],
                         check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub,
                         check=True, capture_output=True).stdout
    return der


class Signer:
    def __init__(self, key_path: str, cert_path: str, header_mode: str = "kid"):
        self.key_path = key_path
        self.header_mode = header_mode
        self.kid = libtrust_key_id(cert_spki_der(cert_path))
        self.x5c = [base64.b64encode(pem_to_der_cert(cert_path)).decode("ascii")]
        self.lock = threading.Lock()

    def sign(self, claims: dict) -> str:
        header = {"typ": "JWT", "alg": "RS256"}
        if self.header_mode in ("kid", "both"):
            header["kid"] = self.kid
        if self.header_mode in ("x5c", "both"):
            header["x5c"] = self.x5c
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                         b64url(json.dumps(claims, separators=(",", ":")).encode()))
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key_path],
                             input=signing_input.encode("ascii"), check=True,
                             capture_output=True).stdout
        return signing_input + "." + b64url(sig)


def parse_scopes(scopes):
    """['repository:conops/web:pull,push', ...] -> access list for the JWT."""
    access = []
    for scope in scopes:
        for part in scope.split(" "):
            if not part:
                continue
            pieces = part.split(":")
            if len(pieces) < 3:
                continue
            typ = pieces[0]
            actions = pieces[-1]
            name = ":".join(pieces[1:-1])
            # "repository(plugin):name" style resource classes: keep only the type.
            if "(" in typ:
                typ = typ.split("(", 1)[0]
            acts = [a for a in actions.split(",") if a]
            if "*" in acts:
                acts = ["pull", "push", "delete", "*"]
            access.append({"type": typ, "name": name, "actions": acts})
    return access


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "conops-tokenserver/1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    def _send_json(self, status, obj, extra_headers=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra_headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _unauthorized(self):
        self._send_json(401, {"errors": [{"code": "UNAUTHORIZED",
                                          "message": "invalid username or password"}]},
                        {"WWW-Authenticate": 'Basic realm="conops-token"'})

    def _basic_user(self):
        """Returns (present, ok, username)."""
        auth = self.headers.get("Authorization", "")
        if not auth.lower().startswith("basic "):
            return False, False, ""
        try:
            user, _, pw = base64.b64decode(auth[6:].strip()).decode("utf-8").partition(":")
        except Exception:
            return True, False, ""
        cfg = self.server.cfg
        return True, (user == cfg.user and pw == cfg.password), user

    def _issue(self, user, service, scopes):
        cfg = self.server.cfg
        now = int(time.time())
        access = parse_scopes(scopes) if user else []
        claims = {
            "iss": cfg.issuer,
            "sub": user or "",
            "aud": service or cfg.service,
            "exp": now + cfg.ttl,
            "nbf": now - 10,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        token = self.server.signer.sign(claims)
        issued = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        self._send_json(200, {"token": token, "access_token": token,
                              "expires_in": cfg.ttl, "issued_at": issued})

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/healthz":
            self._send_json(200, {"ok": True})
            return
        if url.path != "/token":
            self._send_json(404, {"error": "not found"})
            return
        q = parse_qs(url.query)
        present, ok, user = self._basic_user()
        if present and not ok:
            self._unauthorized()
            return
        self._issue(user if ok else "", (q.get("service") or [""])[0], q.get("scope", []))

    def do_POST(self):
        url = urlparse(self.path)
        if url.path != "/token":
            self._send_json(404, {"error": "not found"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode("utf-8")) if length else {}
        grant = (form.get("grant_type") or [""])[0]
        cfg = self.server.cfg
        if grant == "password":
            user = (form.get("username") or [""])[0]
            pw = (form.get("password") or [""])[0]
            if user != cfg.user or pw != cfg.password:
                self._unauthorized()
                return
        else:
            # refresh tokens are never handed out, so anything else is refused
            self._send_json(400, {"error": "unsupported_grant_type"})
            return
        self._issue(user, (form.get("service") or [""])[0], form.get("scope", []))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5004)
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--issuer", default="conops-test-issuer")
    ap.add_argument("--service", default="conops-test-registry")
    ap.add_argument("--user", default="conops")
    ap.add_argument("--password", default=os.environ.get("TOKEN_PASSWORD", "conops-token-secret"))
    ap.add_argument("--ttl", type=int, default=300)
    ap.add_argument("--header", choices=["kid", "x5c", "both"], default="kid",
                    help="how the JWT header names the signing key")
    cfg = ap.parse_args()

    server = ThreadingHTTPServer((cfg.listen, cfg.port), Handler)
    server.daemon_threads = True
    server.cfg = cfg
    server.signer = Signer(cfg.key, cfg.cert, cfg.header)
    sys.stderr.write("tokenserver on %s:%d kid=%s\n" % (cfg.listen, cfg.port, server.signer.kid))
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()

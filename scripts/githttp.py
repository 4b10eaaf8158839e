#!/usr/bin/python3
"""Tiny smart-HTTP git server for ConOps tests (test-only, not for production).

Runs `git http-backend` as a CGI program for every request below --root, behind
HTTP Basic auth (fetch AND push). Python standard library only (http.server's CGI
handler is deprecated, so the CGI call is done here by hand).

URL layout: http://127.0.0.1:9080/<repo>.git  ->  <root>/<repo>.git
"""

import argparse
import base64
import os
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "conops-githttp/1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    def _plain(self, status, text, headers=None):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _auth_user(self):
        cfg = self.server.cfg
        auth = self.headers.get("Authorization", "")
        if not auth.lower().startswith("basic "):
            return None
        try:
            user, _, pw = base64.b64decode(auth[6:].strip()).decode("utf-8").partition(":")
        except Exception:
            return None
        if user == cfg.user and pw == cfg.password:
            return user
        return None

    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            while True:
                line = self.rfile.readline()
                if not line:
                    break
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    # trailers until empty line
                    while True:
                        t = self.rfile.readline()
                        if not t or t in (b"\r\n", b"\n"):
                            break
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()  # CRLF after chunk
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self):
        body = self._read_body() if self.command == "POST" else b""
        user = self._auth_user()
        if user is None:
            self._plain(401, "authentication required\n",
                        {"WWW-Authenticate": 'Basic realm="conops-git"'})
            return
        cfg = self.server.cfg
        parts = urlsplit(self.path)
        env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_SOFTWARE": self.server_version,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "SERVER_NAME": cfg.listen,
            "SERVER_PORT": str(cfg.port),
            "REQUEST_METHOD": self.command,
            "PATH_INFO": unquote(parts.path),
            "QUERY_STRING": parts.query,
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_USER": user,
            "AUTH_TYPE": "Basic",
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "GIT_PROJECT_ROOT": cfg.root,
            "GIT_HTTP_EXPORT_ALL": "1",
            # repos may be owned by another user than the one running this server
            "GIT_CONFIG_COUNT": "2",
            "GIT_CONFIG_KEY_0": "safe.directory",
            "GIT_CONFIG_VALUE_0": "*",
            "GIT_CONFIG_KEY_1": "http.receivepack",
            "GIT_CONFIG_VALUE_1": "true",
        }
        for name in ("Content-Encoding", "Git-Protocol", "Accept", "User-Agent"):
            v = self.headers.get(name)
            if v:
                env["HTTP_" + name.upper().replace("-", "_")] = v
        if "HTTP_GIT_PROTOCOL" in env:
            env["GIT_PROTOCOL"] = env["HTTP_GIT_PROTOCOL"]
        proc = subprocess.run(["git", "http-backend"], input=body, env=env,
                              capture_output=True)
        out = proc.stdout
        if proc.stderr:
            sys.stderr.write(proc.stderr.decode("utf-8", "replace"))
        sep = out.find(b"\r\n\r\n")
        sep_len = 4
        if sep < 0:
            sep = out.find(b"\n\n")
            sep_len = 2
        if sep < 0:
            self._plain(502, "bad CGI output\n")
            return
        head, payload = out[:sep].decode("latin-1"), out[sep + sep_len:]
        status, reason = 200, "OK"
        headers = []
        for line in head.splitlines():
            if not line.strip():
                continue
            k, _, v = line.partition(":")
            k, v = k.strip(), v.strip()
            if k.lower() == "status":
                code, _, reason = v.partition(" ")
                status = int(code)
            else:
                headers.append((k, v))
        self.send_response(status, reason or None)
        for k, v in headers:
            if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = _handle
    do_POST = _handle
    do_HEAD = _handle


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9080)
    ap.add_argument("--root", required=True)
    ap.add_argument("--user", default="conops")
    ap.add_argument("--password", default=os.environ.get("GIT_HTTP_PASSWORD", "conops-git-secret"))
    cfg = ap.parse_args()
    cfg.root = os.path.abspath(cfg.root)
    server = ThreadingHTTPServer((cfg.listen, cfg.port), Handler)
    server.daemon_threads = True
    server.cfg = cfg
    sys.stderr.write("githttp on %s:%d root=%s\n" % (cfg.listen, cfg.port, cfg.root))
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()

"""The sandbox's HTTP server: stdlib ThreadingHTTPServer on loopback, one world, quiet."""

from __future__ import annotations

import gzip
import html
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from smarchive.sandbox.content import SandboxConfig, World, shown_world
from smarchive.sandbox.platforms import handler
from smarchive.sandbox.web import Faults, Request, Response, html_response, not_found

MAX_BODY = 1 << 20


def dispatch(world: World, request: Request) -> Response:
    segment = request.path.strip("/").split("/", 1)[0]
    if request.path == "/":
        return _index(world)
    if request.path == "/favicon.ico":
        return Response(204, "image/x-icon", b"", [("Cache-Control", "public, max-age=86400")], compressible=False)
    renderer = handler(segment)
    return faults(world).apply(request, renderer(world, request)) if renderer else not_found()


def faults(world: World) -> Faults:
    """The world's fault injector, one per running world (its counters are state, not content)."""
    found = world.runtime.get("faults")
    if not isinstance(found, Faults):
        c = world.config
        found = world.runtime["faults"] = Faults(c.fail_every, c.hang_every, c.malformed_every, c.hang_seconds,
                                                 c.binary_every, broken_html=c.hostile)
    return found


def _index(world: World) -> Response:
    links = "".join(
        f'<li><a href="/{platform}/{a.handle}">{html.escape(a.name)} ({platform})</a></li>'
        for platform, accounts in sorted(world.accounts.items())
        for a in accounts
    )
    return html_response(f'<!doctype html><html lang="sv"><meta charset="utf-8"><title>Sandlåda</title>'
                         f"<h1>Sandlåda</h1><ul>{links}</ul></html>")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like real sites (and what a recording proxy sees)
    server_version = "smarchive-sandbox"
    sys_version = ""
    timeout = 30  # idle keep-alive connections close on their own

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._serve(b"")

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(Response(413, "text/plain", b"too large"), head=False)
            return
        self._serve(self.rfile.read(length))

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(b"", head=True)

    def _serve(self, body: bytes, head: bool = False) -> None:
        url = urlsplit(self.path)
        request = Request(
            method="GET" if head else self.command,
            path=url.path,
            query=parse_qs(url.query),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        try:
            response = dispatch(self.server.world, request)  # type: ignore[attr-defined]
        except Exception as error:  # a sandbox bug must show as a 500, not kill the connection
            response = Response(500, "text/plain; charset=utf-8", f"sandbox error: {error!r}".encode())
        self._send(response, head)

    def _send(self, response: Response, head: bool) -> None:
        body = response.body
        accepts_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        gzipped = response.compressible and accepts_gzip and len(body) > 256
        if gzipped:
            body = gzip.compress(body, mtime=0)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(body)))
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        if response.compressible:
            self.send_header("Vary", "Accept-Encoding")
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # quiet: no per-request stderr lines


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    world: World

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001
        """A browser that hangs up mid-answer (a cancelled fetch, a closed page) is normal, not an error."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class SandboxServer:
    """Serves a built world on host:port (0 = any free port) in a daemon thread."""

    def __init__(self, config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config or SandboxConfig()
        self.host = host
        self.port = port
        self.world = shown_world(self.config)  # hidden posts: in the truth and the exports, never served
        self.base_url = ""
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        if self._server is not None:
            return self.base_url
        server = _Server((self.host, self.port), _Handler)
        server.world = self.world
        self._server = server
        self.port = server.server_address[1]
        self.base_url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=server.serve_forever, name="sandbox-server", daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

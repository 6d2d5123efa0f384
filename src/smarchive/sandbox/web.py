"""Small request/response values passed between the sandbox server and the platform renderers."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs


@dataclass
class Request:
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""

    @property
    def base_url(self) -> str:
        """Scheme and host the client used, so JSON can carry absolute URLs like the real sites."""
        return "http://" + self.headers.get("host", "127.0.0.1")

    @property
    def cookies(self) -> dict[str, str]:
        jar = SimpleCookie()
        try:
            jar.load(self.headers.get("cookie", ""))
        except CookieError:
            return {}
        return {name: morsel.value for name, morsel in jar.items()}

    def form(self) -> dict[str, str]:
        fields = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {name: values[-1] for name, values in fields.items()}


@dataclass
class Response:
    status: int
    content_type: str
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    compressible: bool = True  # gzip when the client accepts it, as real sites do


def json_response(payload: object, status: int = 200) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, "application/json; charset=utf-8", body, [("Cache-Control", "no-store")])


def html_response(html: str, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, "text/html; charset=utf-8", html.encode("utf-8"),
                    [("Cache-Control", "private, no-cache"), *(headers or [])])


def not_found(message: str = "Sidan hittades inte") -> Response:
    return html_response(f"<!doctype html><title>404</title><h1>{message}</h1>", status=404)


# ---------------------------------------------------------------------------------------------
# What real platforms do that a capture must survive, shared by every platform of the sandbox.

SIGNED_URL_TTL = 300  # seconds a signed media URL stays valid, like the platforms' CDN links


def _mac(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()[:24]


def sign_path(path: str, secret: str, now: float | None = None, ttl: int = SIGNED_URL_TTL) -> str:
    """A media path with an expiry and a signature, e.g. /x/media/1.png?exp=1700000000&sig=ab12..."""
    expires = int((now if now is not None else time.time()) + ttl)
    return f"{path}?exp={expires}&sig={_mac(secret, f'{path}|{expires}')}"


def signature_problem(request: Request, secret: str, now: float | None = None) -> Response | None:
    """None if the request's signed URL is valid; else the 403 a CDN gives for a bad or expired link."""
    expires = (request.query.get("exp") or [""])[0]
    signature = (request.query.get("sig") or [""])[0]
    if not expires.isdigit() or not hmac.compare_digest(signature, _mac(secret, f"{request.path}|{expires}")):
        return Response(403, "text/plain; charset=utf-8", b"Bad signature", compressible=False)
    if int(expires) < (now if now is not None else time.time()):
        return Response(403, "text/plain; charset=utf-8", b"URL signature expired", compressible=False)
    return None


class EveryNthKey:
    """Which requests get a transient fault: the first answer, for every n-th distinct key (in the order
    keys are first seen), once per kind of fault. Deterministic per server: the same keys in every run."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}
        self._given: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def due(self, key: str, every: int, kind: str = "") -> bool:
        if every <= 0:
            return False
        with self._lock:
            index = self._seen.setdefault(key, len(self._seen))
            if index % every != every - 1 or (kind, key) in self._given:
                return False
            self._given.add((kind, key))
        return True


class Throttle:
    """Answers 429 (Retry-After: 1) to the first request for every `every`-th distinct key, once.

    Deterministic per server: the same keys are throttled in every run. every=0 turns it off.
    """

    def __init__(self, every: int):
        self.every = every
        self._keys = EveryNthKey()

    def check(self, key: str) -> Response | None:
        if not self._keys.due(key, self.every):
            return None
        return Response(429, "text/plain; charset=utf-8", b"Too Many Requests", [("Retry-After", "1")],
                        compressible=False)


class ForgetSession:
    """Forgets a logged-in session once: the `after`-th logged-in page asked for (over all browsers) is answered as
    to a logged-out browser, a login wall. after=0 turns it off."""

    def __init__(self, after: int):
        self.after = after
        self._count = 0
        self._lock = threading.Lock()

    def forgets(self) -> bool:
        if self.after <= 0:
            return False
        with self._lock:
            self._count += 1
            return self._count == self.after


class Faults:
    """Transient server faults, each given once to the first answer for every n-th distinct key.

    Applied by the server to every page and API answer (HTML, JSON, XML with status 200) after the
    platform rendered it, so every platform has them alike; media files are left alone. Deterministic:
    the same keys fail in every run of the same world. A retry of the same request gets the real answer.
    fail_every: HTTP 500. hang_every: the answer is held back for hang_seconds (longer than a client's
    timeout), then sent. malformed_every: the JSON or XML is cut in half (a broken answer with status 200).
    binary_every: an API answer's body is replaced by bytes that are not UTF-8. broken_html: every HTML page ends in
    markup that never closes (always, not once: real pages are like that).
    """

    TEXT_TYPES = ("text/html", "application/json", "xml")

    BROKEN_TAIL = b"\n<div><table><tr><td><p>ofullst\xc3\xa4ndig <b><i></div></td><script>var x = '<!--"

    def __init__(self, fail_every: int = 0, hang_every: int = 0, malformed_every: int = 0,
                 hang_seconds: float = 35.0, binary_every: int = 0, broken_html: bool = False,
                 sleep: Callable[[float], None] = time.sleep):
        self.every = {"fail": fail_every, "hang": hang_every, "malformed": malformed_every, "binary": binary_every}
        self.broken_html = broken_html
        self.hang_seconds = hang_seconds
        self._sleep = sleep
        self._keys = EveryNthKey()  # one count of keys for every kind: a key's index does not depend on the kind

    def _due(self, kind: str, key: str) -> bool:
        """True (once per key) when this key's answer gets the fault `kind`."""
        return self._keys.due(key, self.every[kind], kind)

    def apply(self, request: Request, response: Response) -> Response:
        if self.broken_html and response.status == 200 and "text/html" in response.content_type:
            response = replace(response, body=response.body + self.BROKEN_TAIL)
        if not any(self.every.values()) or response.status != 200:
            return response
        if not any(t in response.content_type for t in self.TEXT_TYPES):
            return response
        if "login" in request.path:
            return response  # logging in is not recorded and not retried (a refused login must not be repeated)
        body = hashlib.sha1(request.body).hexdigest()
        key = f"{request.method} {request.path}?{sorted(request.query.items())} {body}"
        if self._due("fail", key):
            return Response(500, "text/plain; charset=utf-8", b"Internal Server Error", [("Cache-Control", "no-store")],
                            compressible=False)
        if self._due("hang", key):
            self._sleep(self.hang_seconds)
        if self._due("malformed", key) and "html" not in response.content_type:
            return replace(response, body=response.body[: len(response.body) // 2])
        if self._due("binary", key) and "html" not in response.content_type:
            noise = random.Random(key).randbytes(max(64, len(response.body)))
            return replace(response, body=b"\xff\xfe\xc3\x28" + noise)  # never valid UTF-8 (nor JSON, nor HTML)
        return response


def session_token(secret: str, username: str) -> str:
    """A session cookie value the sandbox accepts across restarts (derived from its seed)."""
    return f"{username}.{_mac(secret, 'session|' + username)}"


def session_valid(token: str | None, secret: str) -> bool:
    if not token or "." not in token:
        return False
    username = token.rsplit(".", 1)[0]
    return hmac.compare_digest(token, session_token(secret, username))


# The sandbox's public test account: what `--pipeline sandbox` logs in with (never a real credential).
SANDBOX_CREDENTIALS = ("arkivarie@orebro.example", "sandlada-1748")

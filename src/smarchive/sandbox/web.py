"""Small request/response values passed between the sandbox server and the platform renderers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
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

"""ASGI guards in front of the API: Host header, body type, body size.

They keep a local server local. A web page the user visits can make the browser send "simple"
cross-site requests without a CORS preflight (POST with text/plain or a form body), and DNS
rebinding can make a foreign name resolve to 127.0.0.1. So:

- `HostCheck`: the Host header must name the bound address, a loopback name, or a configured
  name (`ketasim serve --allowed-host NAME`); otherwise 421 (400 when it is missing or malformed);
- `BodyType`: a request with a body must say `application/json` (or `application/yaml` where
  documented: POST /api/v1/trials); anything else, or no type, answers 415;
- `BodyLimit`: the body is read up to a byte limit, 413 beyond it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")
#: paths whose POST body may also be YAML
YAML_PATHS = ("/api/v1/trials",)
_WILDCARDS = ("0.0.0.0", "::", "")


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


async def refuse(send: Send, status: int, msg: str, kind: str, loc: str = "body") -> None:
    """Answer with the API's error shape and close (the body, if any, is not read)."""
    response = JSONResponse({"detail": [{"loc": [loc], "msg": msg, "type": kind}]}, status_code=status)
    await response({"type": "http"}, _no_receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def host_name(header: str) -> str | None:
    """The name part of a Host header ("[::1]:8000" -> "::1", "a.b:80" -> "a.b"); None when malformed."""
    h = header.strip().lower()
    if not h or any(c in h for c in " /\\@?#"):
        return None
    if h.startswith("["):
        end = h.find("]")
        if end < 0 or (len(h) > end + 1 and not (h[end + 1] == ":" and h[end + 2:].isdigit())):
            return None
        return h[1:end]
    name, _, port = h.partition(":")
    if port and not port.isdigit():
        return None
    return name or None


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostCheck:
    """421 when the Host header names neither the bound address, a loopback name, nor a configured name.

    Bound to a wildcard address (0.0.0.0), any IP literal is accepted besides the configured
    names: a browser sends a name only when a page reached the server through DNS.
    """

    def __init__(self, app: ASGIApp, bound: str, names: Iterable[str] = ()) -> None:
        self.app = app
        self.wildcard = bound in _WILDCARDS
        self.allowed = {n.lower().strip("[]") for n in (*LOOPBACK_NAMES, bound, *names) if n}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = _header(scope, b"host")
        name = host_name(header) if header is not None else None
        if name is None:
            await refuse(send, 400, "the Host header is missing or malformed", "host", "header")
            return
        if name not in self.allowed and not (self.wildcard and _is_ip(name)):
            await refuse(send, 421, f"this server does not answer for host {name!r}; it answers for "
                                    f"{', '.join(sorted(self.allowed))} (ketasim serve --allowed-host NAME adds one)",
                         "host", "header")
            return
        await self.app(scope, receive, send)


class BodyType:
    """415 for a POST/PUT/PATCH whose Content-Type is not JSON (or YAML where documented)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        raw = _header(scope, b"content-type") or ""
        kind = raw.split(";")[0].strip().lower()
        allowed = JSON_TYPES + (YAML_TYPES if scope.get("path") in YAML_PATHS else ())
        if kind not in allowed:
            shown = repr(kind) if kind else "none"
            await refuse(send, 415, f"Content-Type {shown} is not accepted here; send {' or '.join(allowed[:2])}",
                         "content_type", "header")
            return
        await self.app(scope, receive, send)


class BodyLimit:
    """Reads the body of POST/PUT/PATCH up to a limit, answers 413 beyond it.

    The body is read here (at most `limit` + 1 bytes are held) and replayed to the app, so the
    handlers never see more than the limit and a large upload is refused without being stored.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await self._too_large(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.limit:
                await self._too_large(send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send) -> None:
        await refuse(send, 413, f"the request body is larger than {self.limit} bytes", "limit")

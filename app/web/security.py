"""HTTP-level protections every route shares: request bodies bounded while they stream in, security headers on every
answer (HSTS over HTTPS), and a per-client rate limit for the anonymous conversation API.

Both middlewares are pure ASGI, so they see the body chunk by chunk and never buffer a whole request or response.
"""

from __future__ import annotations

import ipaddress
import json
import math
import threading
import time
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The largest body each path prefix accepts. The API's requests are a few KB (text is at most 5,000 characters);
# LINE's webhooks are far below 1 MB.
BODY_LIMITS = {"/api": 65_536, "/callback": 1_000_000}


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Answers 413 as soon as a request body passes its prefix's limit, from Content-Length or while a chunked body
    streams in, without reading the rest; the connection is then closed so the client stops sending."""

    def __init__(self, app: ASGIApp, limits: Mapping[str, int] = BODY_LIMITS):
        self.app = app
        # Longest prefix first: "/api/x" is matched by its most specific entry.
        self.limits = sorted(limits.items(), key=lambda item: len(item[0]), reverse=True)

    def limit_for(self, path: str) -> int | None:
        for prefix, limit in self.limits:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return limit
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limit_for(scope["path"]) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(send, limit)
            return

        received = 0
        refused = False  # the body passed the limit: whatever the app answers from now on is replaced by a 413
        started = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            # The app may wrap BodyTooLarge in its own error (FastAPI turns it into a 400): only the 413 is true.
            if not refused:
                raise
        if refused and not started:
            await _too_large(send, limit)


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"request body too large (at most {limit} bytes)"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


# --- Security headers ------------------------------------------------------------------------------------------

# JSON and everything else that is not a page: nothing may load, nothing may frame it.
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# Swagger UI: its script and styles from this app only (it sets inline styles), and it fetches /openapi.json.
DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
DEFAULT_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}
# A year: browsers that once reached the app over HTTPS never try plain HTTP again. Subdomains are not ours to pin.
HSTS = "max-age=31536000"


def is_https(scope: Scope) -> bool:
    """Whether the client reached us over HTTPS: the scheme (uvicorn sets it from X-Forwarded-Proto when the proxy
    is trusted, FORWARDED_ALLOW_IPS) or the proxy's X-Forwarded-Proto itself. Trusting the header here is safe: it
    only ever adds protection (a Secure cookie, HSTS) to a response, and a browser ignores HSTS over plain HTTP."""
    if scope.get("scheme") in ("https", "wss"):
        return True
    forwarded = dict(scope.get("headers") or []).get(b"x-forwarded-proto", b"")
    return forwarded.split(b",")[0].strip().lower() == b"https"


class SecurityHeadersMiddleware:
    """Adds the headers a route did not set itself: the console and the public pages keep their own CSP."""

    def __init__(self, app: ASGIApp, page_policies: Mapping[str, str] | None = None):
        self.app = app
        self.page_policies = dict(page_policies or {"/docs": DOCS_CSP})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = {**DEFAULT_HEADERS, "content-security-policy": self.page_policies.get(scope["path"], DEFAULT_CSP)}
        if is_https(scope):
            extra["strict-transport-security"] = HSTS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                added = [(name.encode(), value.encode()) for name, value in extra.items()
                         if name.encode() not in present]
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


# --- Rate limit ------------------------------------------------------------------------------------------------

# Monitoring, evaluation and tests run on the machine itself; a reverse proxy on this machine passes the real client
# in X-Forwarded-For, which uvicorn trusts from 127.0.0.1.
UNLIMITED_CLIENTS = frozenset({"127.0.0.1", "::1", "testclient"})


class ClientRateLimiter:
    """A token bucket per client address: `per_minute` calls in a burst, then one every 60/`per_minute` s.

    In process memory: with several server processes each keeps its own buckets, so a client gets at most that
    many times the rate. Idle full buckets are dropped, so the table stays small.
    """

    MAX_CLIENTS = 10_000

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, when counted)
        self._lock = threading.Lock()

    def retry_after(self, client: str, per_minute: int, now: float | None = None) -> int | None:
        """Seconds to wait when this call is over the limit (it is then not counted), else None (counted)."""
        if per_minute <= 0 or client in UNLIMITED_CLIENTS:
            return None
        client = client_key(client)
        now = time.monotonic() if now is None else now
        rate = per_minute / 60
        with self._lock:
            tokens, then = self._buckets.get(client, (per_minute, now))
            tokens = min(per_minute, tokens + (now - then) * rate)
            if tokens < 1:
                self._buckets[client] = (tokens, now)
                return max(1, math.ceil((1 - tokens) / rate))
            self._buckets[client] = (tokens - 1, now)
            if len(self._buckets) > self.MAX_CLIENTS:
                self._forget_idle(now, per_minute, rate)
        return None

    def _forget_idle(self, now: float, per_minute: int, rate: float) -> None:
        for client, (tokens, then) in list(self._buckets.items()):
            if tokens + (now - then) * rate >= per_minute:
                del self._buckets[client]
        if len(self._buckets) > self.MAX_CLIENTS // 2:  # many addresses at once: keep the most recently seen half
            recent = sorted(self._buckets.items(), key=lambda item: item[1][1], reverse=True)
            self._buckets = dict(recent[: self.MAX_CLIENTS // 2])


def client_key(host: str) -> str:
    """The address a limit counts: an IPv6 client by its /64, which one subscriber gets whole."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)

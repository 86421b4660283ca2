"""Per-key and per-address rate limits: a token bucket per caller, in this process.

A caller is identified by the prefix of its API key when it sends one, else by its address.
Exceeding the limit answers 429 problem+json with ``Retry-After``. The buckets live in
memory: with several API processes each enforces its own share, which is the documented
trade-off for a single-machine deployment (a shared store would be the next step).
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import PROBLEM_JSON

_EXEMPT_PREFIXES = ("/map/static/", "/map/vendor/")


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """``rate`` requests per minute with bursts up to ``burst``, per key."""

    def __init__(self, rate_per_minute: float, burst: int, max_callers: int = 100_000) -> None:
        self.rate = rate_per_minute / 60.0
        self.burst = float(burst)
        self.max_callers = max_callers
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, caller: str, now: float | None = None) -> float:
        """0 when admitted, else the seconds until a token is available."""
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.get(caller)
            if bucket is None:
                if len(self._buckets) >= self.max_callers:
                    # Forget full buckets first: they carry no state worth keeping.
                    self._buckets = {
                        k: b for k, b in self._buckets.items() if b.tokens < self.burst
                    }
                bucket = self._buckets[caller] = _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate if self.rate > 0 else 60.0


class RateLimitMiddleware:
    """ASGI middleware applying :class:`TokenBuckets` to every HTTP request but ``/health``."""

    def __init__(
        self, app: ASGIApp, *, anonymous_per_minute: float, key_per_minute: float, burst: int
    ) -> None:
        self.app = app
        self.anonymous = TokenBuckets(anonymous_per_minute, burst)
        self.keyed = TokenBuckets(key_per_minute, burst * 4)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        # Probes and the map's static files cost nothing worth limiting.
        if scope["type"] != "http" or path == "/health" or path.startswith(_EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        key = headers.get("x-api-key") or headers.get("authorization", "").partition(" ")[2]
        parts = key.split("_") if key else []
        if len(parts) >= 3 and parts[0] == "athar":
            # Only the public prefix names the bucket; the secret never lands in memory maps.
            wait = self.keyed.take("key:" + parts[1])
        else:
            client = scope.get("client") or ("unknown", 0)
            wait = self.anonymous.take("ip:" + str(client[0]))
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        retry_after = max(1, math.ceil(wait))
        body = json.dumps(
            {
                "type": "about:blank",
                "title": "Too Many Requests",
                "status": 429,
                "detail": f"rate limit exceeded; retry in {retry_after} s",
                "instance": scope.get("path", ""),
            }
        ).encode()
        start: Message = {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"retry-after", str(retry_after).encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
        await send(start)
        await send({"type": "http.response.body", "body": body})

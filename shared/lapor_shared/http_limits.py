"""Who is asking and how often: client addresses, per-client token buckets, logs that do not flood.

Everything here lives in memory per process and is bounded: a flood from many addresses evicts the
least recently seen buckets instead of growing without end. With several replicas a client's real
allowance is the limit times the replicas it reaches; the limits are there to keep one client from
starving everyone else, not to count exactly.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from lapor_shared.settings import HttpSettings, RateLimit

RATE_KINDS = ("submit", "lookup", "gateway", "login")


@dataclass(frozen=True, slots=True)
class PublicRoute:
    """Requests whose path starts with ``prefix`` and whose method is in ``methods`` count against the
    client's ``kind`` bucket (``submit``, ``lookup``, ``gateway`` or ``login``)."""

    kind: str
    prefix: str
    methods: tuple[str, ...] = ("GET", "HEAD")

    def __post_init__(self) -> None:
        if self.kind not in RATE_KINDS:
            raise ValueError(f"unknown rate kind {self.kind!r} (one of {', '.join(RATE_KINDS)})")

    def matches(self, method: str, path: str) -> bool:
        return method in self.methods and path.startswith(self.prefix)


@dataclass(frozen=True, slots=True)
class StreamedRoute:
    """Requests on ``prefix`` with ``methods`` (and, if given, one of ``media_types``) whose body the guard
    does not read whole: it refuses a declared length over ``limit`` at once and counts the streamed body
    as the endpoint reads it, refusing (413) past ``limit``. File uploads: a body is never held in memory
    whole by the guard, the endpoint spools or sanitises it piece by piece."""

    prefix: str
    methods: tuple[str, ...]
    limit: int
    media_types: tuple[str, ...] = ()

    def matches(self, method: str, path: str, media_type: str) -> bool:
        return (method in self.methods and path.startswith(self.prefix)
                and (not self.media_types or media_type in self.media_types))


def route_of(routes: Sequence[PublicRoute], method: str, path: str) -> PublicRoute | None:
    """The first route that matches, or None (not a public route: no rate limit)."""
    return next((r for r in routes if r.matches(method, path)), None)


class ClientAddress:
    """The client's address: the connection's peer, or the nearest untrusted address in
    ``X-Forwarded-For`` when the peer is one of the trusted reverse proxies."""

    def __init__(self, trusted_proxies: str) -> None:
        self._networks = [ipaddress.ip_network(p.strip(), strict=False)
                          for p in trusted_proxies.split(",") if p.strip()]

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._networks)

    def __call__(self, scope: dict[str, Any]) -> str:
        peer = (scope.get("client") or ("unknown", 0))[0]
        if not self._networks or not self._trusted(peer):
            return peer
        forwarded = b",".join(v for k, v in scope.get("headers", ()) if k == b"x-forwarded-for")
        hops = [h.strip() for h in forwarded.decode("latin-1").split(",") if h.strip()]
        for hop in reversed(hops):  # the right-most hops were added by our own proxies
            if not self._trusted(hop):
                try:
                    return str(ipaddress.ip_address(hop))
                except ValueError:
                    return peer  # a proxy never writes garbage: the client did
        return peer


class _Bucket:
    __slots__ = ("tokens", "updated")

    def __init__(self, tokens: float, updated: float) -> None:
        self.tokens, self.updated = tokens, updated


class RateLimiter:
    """A token bucket per (kind, client): ``take`` answers 0 when the request may go, otherwise the
    whole seconds after which one will (for ``Retry-After``)."""

    def __init__(self, limits: Callable[[str], RateLimit], *, max_buckets: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = limits
        self._max = max_buckets
        self._clock = clock
        self._buckets: OrderedDict[tuple[str, str], _Bucket] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: HttpSettings, **kwargs: Any) -> RateLimiter:
        return cls(settings.limit_for, max_buckets=settings.max_tracked_clients, **kwargs)

    def take(self, kind: str, client: str) -> int:
        limit = self._limits(kind)
        rate = limit.per_minute / 60.0
        now = self._clock()
        key = (kind, client)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(limit.burst), now)
            while len(self._buckets) > self._max:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(float(limit.burst), bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0
        return max(1, math.ceil((1.0 - bucket.tokens) / rate))

    def __len__(self) -> int:
        return len(self._buckets)


class LogOnce:
    """Lets one log line per key through per window and counts the ones it held back."""

    def __init__(self, window_s: float, *, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._window = window_s
        self._max = max_keys
        self._clock = clock
        self._seen: OrderedDict[Iterable[Any], list[float]] = OrderedDict()  # key -> [logged_at, held back]

    def __call__(self, key: tuple[Any, ...]) -> int | None:
        """None: do not log now; otherwise log, saying how many like it were held back since."""
        now = self._clock()
        entry = self._seen.get(key)
        if entry is not None and now - entry[0] < self._window:
            entry[1] += 1
            return None
        held_back = int(entry[1]) if entry is not None else 0
        self._seen[key] = [now, 0]
        self._seen.move_to_end(key)
        while len(self._seen) > self._max:
            self._seen.popitem(last=False)
        return held_back

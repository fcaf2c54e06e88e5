"""Short-lived signed links to evidence: ``/bukti/{object_id}?aud=…&exp=…&sig=…``.

``sig`` is an HMAC-SHA256 (``LAPOR_EVIDENCE__LINK_SECRET``, the same in every service that signs or
serves links) over the object id, the expiry (Unix seconds) and the audience (``public``, ``reporter``,
``agency:<id>``, ``admin:<scope>``: who the link was made for, so a log says whose link was used). The
gateway checks it before it streams a byte; a link that has expired, or whose id, expiry or audience
was changed, is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode

_AUDIENCE = re.compile(r"^[a-z]+(:[A-Za-z0-9._-]{1,64})?$")


@dataclass(frozen=True, slots=True)
class LinkSigner:
    secret: str
    ttl_s: int = 900
    base_url: str = ""
    """Where the gateway serves ``/bukti`` (``LAPOR_EVIDENCE__PUBLIC_BASE_URL``); empty for a relative link."""

    def signature(self, object_id: str, expires: int, audience: str) -> str:
        message = f"{object_id}\n{expires}\n{audience}".encode()
        return hmac.new(self.secret.encode(), message, hashlib.sha256).hexdigest()

    def link(self, object_id: str, *, audience: str, now: datetime, thumbnail: bool = False) -> str:
        """A link valid for ``ttl_s`` from ``now``; ``thumbnail`` asks for the small JPEG beside an image."""
        if not _AUDIENCE.match(audience):
            raise ValueError(f"invalid audience {audience!r}")
        expires = int(now.timestamp()) + self.ttl_s
        query = {"aud": audience, "exp": expires, "sig": self.signature(object_id, expires, audience)}
        if thumbnail:
            query["v"] = "thumb"
        return f"{self.base_url.rstrip('/')}/bukti/{quote(object_id)}?{urlencode(query)}"

    def verify(self, object_id: str, *, audience: str, expires: str, signature: str, now: datetime) -> bool:
        """Whether the link is genuine and not expired (constant-time comparison)."""
        if not (expires.isascii() and expires.isdigit() and len(expires) <= 12 and _AUDIENCE.match(audience)):
            return False
        if int(expires) < now.timestamp():
            return False
        expected = self.signature(object_id, int(expires), audience)
        return hmac.compare_digest(expected, signature.lower()) if signature.isascii() else False

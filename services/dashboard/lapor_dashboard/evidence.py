"""A complaint's files on its dashboard page: signed links (audience ``admin:<scope>``) to the gateway's
``/bukti``, shown to whoever may read the complaint's content (a rahasia complaint's: the responsible
jurisdiction and the levels above it, as its title), with the thumbnail beside each photo."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from lapor_dashboard.projection import LogEntry
from lapor_shared.evidence import LinkSigner


def references(entries: Iterable[LogEntry]) -> list[dict[str, Any]]:
    """Every file the complaint's events name, once each, in the order they came."""
    seen: dict[str, dict[str, Any]] = {}
    for entry in sorted(entries, key=lambda e: e.sort_key):
        for item in entry.facts.get("evidence") or []:
            if isinstance(item, dict) and isinstance(item.get("object_id"), str):
                seen.setdefault(item["object_id"], {**item, "event_type": entry.event_type})
    return list(seen.values())


def links(items: list[dict[str, Any]], signer: LinkSigner, *, viewer_scope: str) -> list[dict[str, Any]]:
    now, audience = datetime.now(UTC), f"admin:{viewer_scope}"
    out = []
    for item in items:
        doc = {"url": signer.link(item["object_id"], audience=audience, now=now), "media_type": item["media_type"],
               "size_bytes": item.get("size_bytes"), "from_agency": item["event_type"] == "complaint.responded"}
        if str(item["media_type"]).startswith("image/"):
            doc["thumbnail_url"] = signer.link(item["object_id"], audience=audience, now=now, thumbnail=True)
        out.append(doc)
    return out


def image_source(signer: LinkSigner) -> str:
    """What the page's Content-Security-Policy must allow for the thumbnails: the gateway's origin."""
    parts = urlsplit(signer.base_url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""

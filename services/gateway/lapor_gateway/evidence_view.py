"""Who sees which file, as links: the gateway keeps evidence *references* (the public view's for a
non-rahasia complaint, the reporter's timeline for every complaint of theirs) and turns them into
short-lived signed links only when a page or document is made for a reader:

- the public (status look-ups, Open311 ``media_url``): audience ``public``, non-rahasia complaints only
  (a rahasia complaint's references never reach the public view: ``projection.on_accepted``);
- the reporter on the tracking page and the reporter API: audience ``reporter``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from lapor_shared.events.values import Evidence
from lapor_shared.evidence import LinkSigner


def references(raw: Any) -> list[dict[str, Any]]:
    """Stored references (a JSON list, or its text), the malformed ones left out."""
    items = json.loads(raw) if isinstance(raw, str) else (raw or [])
    found = []
    for item in items if isinstance(items, list) else []:
        try:
            found.append(Evidence.model_validate(item).model_dump())
        except ValueError:
            continue
    return found


def links(raw: Any, signer: LinkSigner, *, audience: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """Each file as ``{url, thumbnail_url (images), media_type, size_bytes, sha256}``."""
    now = now or datetime.now(UTC)
    out = []
    for item in references(raw):
        doc = {"url": signer.link(item["object_id"], audience=audience, now=now), "media_type": item["media_type"],
               "size_bytes": item["size_bytes"], "sha256": item["sha256"]}
        if item["media_type"].startswith("image/"):
            doc["thumbnail_url"] = signer.link(item["object_id"], audience=audience, now=now, thumbnail=True)
        out.append(doc)
    return out


def public_media_url(row: dict[str, Any], signer: LinkSigner) -> str | None:
    """Open311's ``media_url``: the complaint's own https image link, else a signed link to its first
    stored image; None for a rahasia complaint."""
    if row.get("confidential"):
        return None
    if row.get("media_url"):
        return str(row["media_url"])
    image = next((e for e in references(row.get("evidence")) if e["media_type"].startswith("image/")), None)
    return signer.link(image["object_id"], audience="public", now=datetime.now(UTC)) if image else None


def sign_timeline(view: dict[str, Any], signer: LinkSigner) -> dict[str, Any]:
    """The reporter's view with each step's evidence references replaced by links for the reporter."""
    now = datetime.now(UTC)
    for step in view.get("timeline", []):
        if "evidence" in step:
            step["evidence"] = links(step["evidence"], signer, audience="reporter", now=now)
    return view

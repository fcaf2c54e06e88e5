"""Officer, agency and supervisor addresses: the ``recipients`` table, filled at start-up from a JSON file.

A file is a list of objects::

    [{"recipient_ref": "agency:umum.18.71", "display_name": "Unit Pengaduan Kota Bandar Lampung",
      "languages": ["id", "en"], "email": "pengaduan@example.go.id", "phone": "+628110000000",
      "webhook_url": "https://sistem.example.go.id/lapor", "webhook_secret": "…", "digest": "none"}]

``recipient_ref`` is ``agency:<agency_id>`` (the ids routing uses, e.g. ``umum.18.71``); ``agency:*`` is
the fallback for agencies without a row of their own, and ``{agency_id}`` in its values is filled in.
``digest`` is ``none``, ``hourly`` or ``daily``. Rows not in the file are left alone, so operators may
also manage the table directly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from lapor_notify import repository
from lapor_shared.clock import Clock
from lapor_shared.logging import get_logger

log = get_logger(component="notify.recipients")


class RecipientSeed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recipient_ref: str = Field(pattern=r"^[a-z]+:.+$")
    display_name: str = ""
    languages: list[str] = ["id"]
    email: str | None = None
    phone: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    digest: Literal["none", "hourly", "daily"] = "none"


def load(source: str) -> list[RecipientSeed]:
    """``demo`` (the packaged demo set), a JSON file path, or empty (none)."""
    if not source:
        return []
    text = (files("lapor_notify") / "seed" / "recipients.demo.json").read_text(encoding="utf-8") \
        if source == "demo" else Path(source).read_text(encoding="utf-8")
    return [RecipientSeed.model_validate(item) for item in json.loads(text)]


async def seed(pool: asyncpg.Pool, source: str, clock: Clock) -> int:
    rows = load(source)
    async with pool.acquire() as conn, conn.transaction():
        for r in rows:
            await repository.upsert_recipient(conn, r.model_dump(), clock.now())
    log.info("recipients_seeded", count=len(rows), source="demo" if source == "demo" else "file")
    return len(rows)


def resolved(row: asyncpg.Record | Mapping[str, Any] | None, recipient_ref: str) -> dict[str, Any] | None:
    """The row (or a copy of one) with ``{agency_id}`` placeholders of a fallback row filled in."""
    if row is None:
        return None
    values = dict(row)
    if values["recipient_ref"].endswith(":*"):
        ident = recipient_ref.split(":", 1)[1]
        for key in ("display_name", "email", "phone", "webhook_url"):
            if isinstance(values.get(key), str):
                values[key] = values[key].replace("{agency_id}", ident)
        values["display_name"] = values["display_name"] or ident
        values["recipient_ref"] = recipient_ref
    return values


def channels_of(recipient: dict[str, Any] | None) -> list[str]:
    if recipient is None:
        return []
    return [name for name, present in (
        ("email", recipient.get("email")),
        ("sms", recipient.get("phone")),
        ("webhook", recipient.get("webhook_url") and recipient.get("webhook_secret")),
    ) if present]

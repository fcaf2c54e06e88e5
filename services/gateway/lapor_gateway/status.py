"""The status of a complaint by its tracking number, as anyone holding the number may see it.

Never a contact detail or anything else about the reporter; a rahasia (confidential) complaint is not
the public's to see at all, and the public look-ups (the status page, the API, Open311's single request,
SMS ``CEK`` from another phone) answer for it exactly as for a number no complaint has. Its reporter
follows it on the tracking page with the reporter's key (``reporters``). Read from the gateway's
complaint view, which has a complaint from the moment the gateway learns its tracking number; a row
whose content has not arrived yet counts as rahasia until ``complaint.accepted`` says otherwise.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from lapor_gateway import repository as repo
from lapor_gateway.evidence_view import references
from lapor_gateway.projection import label
from lapor_shared import categories, tracking

InvalidTrackingNumber = tracking.InvalidTrackingNumber


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def public_status(row: asyncpg.Record | dict[str, Any]) -> dict[str, Any]:
    """The public-safe status document of one complaint-view row."""
    lifecycle = row["lifecycle_status"] or "diterima"
    label_id, label_en = label(lifecycle)
    status: dict[str, Any] = {
        "tracking_number": row["tracking_number"],
        "status": lifecycle,
        "status_label": {"id": label_id, "en": label_en},
        "open311_status": row["open311_status"] or "open",
        "report_type": row["report_type"],
        "confidential": bool(row["confidential"]),
        "anonymous": bool(row["anonymous"]),
        "submitted_at": _iso(row["requested_at"]),
        "updated_at": _iso(row["updated_at"]),
    }
    if row["confidential"]:
        return status  # rahasia: the content, the place and the agency stay hidden
    category = categories.resolve(row["service_code"])
    status.update(
        title=row["title"],
        description=row["description"],
        category=category.code if category else None,
        region_code=row["region_code"],
        location_text=row["address"],
        agency=row["agency_name"],
        status_notes=row["status_notes"],
        evidence=references(row.get("evidence")),  # references: the HTTP layer signs links for the public
    )
    return status


async def find_public(pool: asyncpg.Pool, tracking_number: str) -> dict[str, Any] | None:
    """The view row of a canonical tracking number the public may see; None for no such number and for a
    rahasia complaint alike."""
    view = await repo.view_by_tracking_number(pool, tracking_number)
    return dict(view) if view is not None and not view["confidential"] else None


async def lookup(pool: asyncpg.Pool, typed: str) -> dict[str, Any] | None:
    """The public status of what a person typed (None: no such number, or not the public's to see);
    InvalidTrackingNumber when it cannot be one."""
    row = await find_public(pool, tracking.normalise(typed))
    return public_status(row) if row is not None else None


INVALID_REASON_EN = "The tracking number is not valid; check it for typing mistakes (e.g. LPR-7K3Q-9XW2-HM43A)."

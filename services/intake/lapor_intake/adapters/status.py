"""The status of a complaint by its tracking number, as anyone holding the number may see it.

Never a contact detail or anything else about the reporter; for a rahasia (confidential) complaint
nothing but its status. Read from the adapters' complaint view; a complaint accepted so recently that
the view has not caught up yet is found in intake's own store (read-only).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from lapor_intake import tracking
from lapor_intake.adapters import repository as repo
from lapor_intake.adapters.projection import label
from lapor_shared import categories

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
    )
    return status


def _from_intake(found: asyncpg.Record, view: asyncpg.Record | None) -> dict[str, Any]:
    """A complaint the view has not seen accepted yet: intake's flags, the view's status if any
    (the same keys as a view row; what only the accepted event carries is None)."""
    return {
        "complaint_id": found["complaint_id"],
        "tracking_number": found["tracking_number"],
        "channel": found["channel"],
        "report_type": found["report_type"],
        "service_code": view["service_code"] if view else None,
        "title": found["title"],
        "description": None,
        "address": None,
        "latitude": None,
        "longitude": None,
        "media_url": None,
        "region_code": found["region_code"],
        "confidential": found["confidential"],
        "anonymous": found["anonymous"],
        "agency_name": view["agency_name"] if view else None,
        "lifecycle_status": view["lifecycle_status"] if view else "diterima",
        "open311_status": view["open311_status"] if view else "open",
        "status_notes": view["status_notes"] if view else None,
        "requested_at": found["submitted_at"],
        "updated_at": view["updated_at"] if view else found["accepted_at"],
    }


async def find(pool: asyncpg.Pool, tracking_number: str) -> dict[str, Any] | None:
    """The view row (or its stand-in) of a canonical tracking number, or None."""
    view = await repo.view_by_tracking_number(pool, tracking_number)
    if view is not None and view["requested_at"] is not None:
        return dict(view)
    found = await repo.intake_complaint(pool, tracking_number)
    if found is None:
        return None
    return _from_intake(found, view)


async def lookup(pool: asyncpg.Pool, typed: str) -> dict[str, Any] | None:
    """The public status of what a person typed; InvalidTrackingNumber when it cannot be one."""
    row = await find(pool, tracking.normalise(typed))
    return public_status(row) if row is not None else None


INVALID_REASON_EN = "The tracking number is not valid; check it for typing mistakes (e.g. LPR-7K3Q-9XW2A)."

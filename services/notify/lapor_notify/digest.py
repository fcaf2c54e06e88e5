"""Digests: routine officer messages folded into one delivery per recipient and channel.

A digestible message for an officer who chose ``hourly`` or ``daily`` is recorded as ``digest``, due at
the end of its period (``period_end``: the top of the next hour, or daily at a local Asia/Jakarta hour).
When the period is over, housekeeping folds the due items into one ``digest.officer`` delivery
(``fold``), which is then sent like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import asyncpg

from lapor_notify import recipients, repository
from lapor_notify.rendering import JAKARTA, render
from lapor_shared.clock import Clock
from lapor_shared.logging import get_logger

log = get_logger(component="notify.worker")

DIGEST_NAMESPACE = uuid5(NAMESPACE_URL, "https://lapor.go.id/notify/digest")


def period_end(now: datetime, digest: str, daily_hour: int) -> datetime:
    """The end of the digest period ``now`` falls in (strictly after ``now``)."""
    if digest == "hourly":
        return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    local = now.astimezone(JAKARTA)
    send = local.replace(hour=daily_hour, minute=0, second=0, microsecond=0)
    if send <= local:
        send += timedelta(days=1)
    return send.astimezone(UTC)


async def fold(
    pool: Callable[[], asyncpg.Pool], clock: Clock, *, recipient_ref: str, channel: str, sms_segments: int,
) -> None:
    """Fold the due digest items of one recipient and channel into one delivery (one transaction: the
    items are locked and marked, so two replicas never fold the same item twice)."""
    now = clock.now()
    async with pool().acquire() as conn, conn.transaction():
        items = await repository.lock_digest_items(conn, recipient_ref, channel, now)
        if not items:
            return
        recipient = recipients.resolved(await repository.recipient(conn, recipient_ref), recipient_ref) or {}
        languages = list(recipient.get("languages") or items[0]["languages"])
        period = recipient.get("digest") if recipient.get("digest") in ("hourly", "daily") else "daily"
        entries = [{"tracking_number": i["tracking_number"], "subject": i["subject"]} for i in items]
        rendered = render("digest.officer", languages, {
            "items": entries, "recipient_name": recipient.get("display_name") or recipient_ref, "period": period,
            "tracking_number": entries[0]["tracking_number"],
        }, sms_segments=sms_segments)
        ids: list[UUID] = [i["notification_id"] for i in items]
        digest_id = uuid4()
        await repository.record(conn, repository.NewDelivery(
            notification_id=digest_id, source_event_id=uuid5(DIGEST_NAMESPACE, ",".join(sorted(map(str, ids)))),
            source_event_type="notify.digest", correlation_id=None, complaint_id=None, tracking_number=None,
            jurisdiction_code=None, recipient_kind=items[0]["recipient_kind"], recipient_ref=recipient_ref,
            channel=channel, template="digest.officer", languages=languages, subject=rendered.subject,
            body=rendered.body, sms_text=rendered.sms,
            data={"tracking_numbers": [e["tracking_number"] for e in entries]},
            status="pending", due_at=now, created_at=now,
        ))
        await repository.mark_digested(conn, ids, digest_id, now)
    log.info("digest_folded", delivery_id=str(digest_id), recipient_ref=recipient_ref, channel=channel,
             items=len(ids))

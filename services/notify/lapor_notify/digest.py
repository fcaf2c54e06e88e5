"""When a digest goes out: at the top of the next hour, or daily at a local (Asia/Jakarta) hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lapor_notify.rendering import JAKARTA


def period_end(now: datetime, digest: str, daily_hour: int) -> datetime:
    """The end of the digest period ``now`` falls in (strictly after ``now``)."""
    if digest == "hourly":
        return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    local = now.astimezone(JAKARTA)
    send = local.replace(hour=daily_hour, minute=0, second=0, microsecond=0)
    if send <= local:
        send += timedelta(days=1)
    return send.astimezone(UTC)

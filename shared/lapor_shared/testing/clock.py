"""A clock the test moves: retries, digests, deadlines and timers without real waiting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class ManualClock:
    """Stands still until told: ``set(moment)`` jumps to a moment, ``advance(days=…, hours=…, minutes=…,
    seconds=…)`` moves forward by a duration. Starts at ``start`` (time zone–aware) or at the real now."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = _aware(start) if start is not None else datetime.now(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> datetime:
        self._now = _aware(moment)
        return self._now

    def advance(self, *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0) -> datetime:
        self._now += timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        return self._now


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a ManualClock keeps time zone–aware moments only")
    return moment

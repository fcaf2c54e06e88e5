"""Time as a dependency: a service asks its clock for "now", and its composition root chooses which.

Production wires ``SystemClock``; tests and simulations wire ``lapor_shared.testing.clock.ManualClock``,
which moves only when told to. Every moment is time zone–aware (UTC from the system clock).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, time zone–aware."""
        ...


class SystemClock:
    """The real time (UTC)."""

    def now(self) -> datetime:
        return datetime.now(UTC)

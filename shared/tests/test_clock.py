"""The one clock every service asks for "now", and the one tests move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lapor_shared.clock import SystemClock
from lapor_shared.testing.clock import ManualClock

pytestmark = pytest.mark.unit


def test_the_system_clock_tells_the_real_time_in_utc():
    before = datetime.now(UTC)
    now = SystemClock().now()
    assert now.tzinfo is not None and before <= now <= datetime.now(UTC)


def test_a_manual_clock_stands_still_until_it_is_advanced_by_a_duration():
    start = datetime(2025, 7, 7, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
    clock = ManualClock(start)
    assert clock.now() == clock.now() == start

    assert clock.advance(days=1, hours=2, minutes=3, seconds=4.5) == start + timedelta(days=1, hours=2, minutes=3,
                                                                                        seconds=4.5)
    assert clock.now() == start + timedelta(days=1, hours=2, minutes=3, seconds=4.5)


def test_a_manual_clock_jumps_to_a_moment_and_refuses_moments_without_a_time_zone():
    clock = ManualClock()
    moment = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    assert clock.set(moment) == clock.now() == moment
    with pytest.raises(ValueError):
        clock.set(datetime(2026, 3, 2, 3, 0))
    with pytest.raises(ValueError):
        ManualClock(datetime(2026, 3, 2, 3, 0))

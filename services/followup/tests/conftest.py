"""Fixtures of followup's tests; the harness itself is in ``harness.py``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from lapor_shared.testing.clock import ManualClock

from .harness import START, FollowupHarness, running


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def followup(database_url: str, clock: ManualClock) -> AsyncIterator[FollowupHarness]:
    async with running(database_url, clock) as harness:
        yield harness


@pytest.fixture
def start_followup(database_url: str) -> Callable[..., Any]:
    """Start (another) followup on the same database: ``async with start_followup(clock, **settings)``."""
    def starter(clock: ManualClock, **overrides: Any):
        return running(database_url, clock, **overrides)

    return starter

"""Background work never dies: a failing round is logged a line per doubling and retried after a
growing pause; waking ends an idle wait but not a back-off; stopping ends the loop, a stuck round too."""

from __future__ import annotations

import asyncio

import pytest
import structlog
from structlog.testing import capture_logs

from lapor_shared.background import BackgroundLoop

pytestmark = [pytest.mark.unit, pytest.mark.timeout(10)]


async def until(predicate, timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not predicate():
            await asyncio.sleep(0.005)


async def test_a_round_that_keeps_failing_is_retried_for_ever_and_logged_a_line_per_doubling():
    rounds = 0

    async def broken() -> bool:
        nonlocal rounds
        rounds += 1
        raise ConnectionError("database away")

    loop = BackgroundLoop("broken", broken, idle_s=60, failure_event="round_failed", backoff_initial_s=0.001,
                          backoff_max_s=0.002, log=structlog.get_logger(), log_fields={"schema": "tests"})
    with capture_logs() as logs:
        loop.start()
        await until(lambda: rounds >= 9)
        assert loop.running
        await loop.stop()

    failures = [line["failures"] for line in logs if line["event"] == "round_failed"]
    assert failures[:4] == [1, 2, 4, 8]
    assert all(line["schema"] == "tests" and "database away" in line["error"] for line in logs)
    assert not loop.running


async def test_a_round_with_more_to_do_runs_again_at_once_and_an_idle_loop_waits_until_woken():
    rounds: list[bool] = []
    more = [True, True, False, False]

    async def step() -> bool:
        rounds.append(True)
        return more.pop(0) if more else False

    loop = BackgroundLoop("idle", step, idle_s=60, failure_event="round_failed")
    loop.start()
    await until(lambda: len(rounds) == 3)  # two with more to do, then idle for a minute
    await asyncio.sleep(0.05)
    assert len(rounds) == 3

    loop.wake()
    await until(lambda: len(rounds) == 4)
    await loop.stop()


async def test_waking_does_not_cut_a_back_off_short_but_stopping_does():
    rounds = 0

    async def broken() -> bool:
        nonlocal rounds
        rounds += 1
        raise TimeoutError("broker away")

    loop = BackgroundLoop("backing-off", broken, idle_s=0, failure_event="round_failed", backoff_initial_s=60,
                          log=structlog.get_logger())
    with capture_logs():
        loop.start()
        await until(lambda: rounds == 1)
        for _ in range(5):
            loop.wake()
            await asyncio.sleep(0.01)
        assert rounds == 1
        async with asyncio.timeout(1):
            await loop.stop(grace_s=5)
    assert not loop.running


async def test_a_round_that_does_not_finish_within_the_grace_period_is_cancelled():
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def stuck() -> bool:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return False

    loop = BackgroundLoop("stuck", stuck, idle_s=1, failure_event="round_failed")
    loop.start()
    await started.wait()
    async with asyncio.timeout(2):
        await loop.stop(grace_s=0.05)
    assert cancelled.is_set() and loop.stopping and not loop.running

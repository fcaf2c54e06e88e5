"""The services' uvicorn server ticks once a second, refreshing its headers on every tick, and stops at the
first tick after it is asked to."""

from __future__ import annotations

import asyncio

import pytest
import uvicorn

from lapor_shared import quiet_server
from lapor_shared.quiet_server import QuietServer

pytestmark = [pytest.mark.unit, pytest.mark.timeout(10)]


async def app(scope, receive, send):  # pragma: no cover - never called
    raise AssertionError


class Counted(QuietServer):
    def __init__(self) -> None:
        super().__init__(uvicorn.Config(app))
        self.ticks: list[int] = []

    async def on_tick(self, counter: int) -> bool:
        self.ticks.append(counter)
        return self.should_exit


async def test_an_idle_server_wakes_once_a_tick_and_refreshes_its_headers_every_time(monkeypatch):
    monkeypatch.setattr(quiet_server, "TICK_S", 0.1)
    server = Counted()
    loop = asyncio.create_task(server.main_loop())
    await asyncio.sleep(0.35)
    server.should_exit = True
    await asyncio.wait_for(loop, 1.0)

    assert 4 <= len(server.ticks) <= 5  # the first tick, then one per 0.1 s, then the one that stops it
    assert all(counter % 10 == 0 for counter in server.ticks)


"""Check-then-act in routing under overlap: two forwardings of one complaint handled at once (two replicas
during a rebalance), and a replica whose registry snapshot is older than a change another one committed."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from lapor_routing import repository
from lapor_shared.db import Conn
from lapor_shared.events import encode
from lapor_shared.events.commands import ForwardComplaint
from lapor_shared.testing.factories import envelope
from lapor_shared.topics import AGENCY_COMMANDS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def test_two_forwardings_of_one_complaint_at_once_apply_one_and_refuse_the_other(routing, monkeypatch):
    accepted = await routing.accept(category_hint="jalan")  # routed to pu.18.71
    reached, opened = asyncio.Event(), asyncio.Event()
    route_to, calls = repository.route_to, 0

    async def first_paused(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        await route_to(*args, **kwargs)
        if calls == 1:
            reached.set()
            await opened.wait()

    monkeypatch.setattr(repository, "route_to", first_paused)

    def forwarding(target: str) -> Any:
        command = envelope(ForwardComplaint(agency_id="pu.18.71", to_agency_id=target, reason="Bukan wewenang kami."),
                           complaint_id=accepted.complaint_id, producer="agency:pu.18.71")
        return asyncio.create_task(routing.broker.publish(encode(command), topic=AGENCY_COMMANDS.topic("pu.18.71")))

    first = forwarding("pu.18")
    await asyncio.wait_for(reached.wait(), 10)  # checked and re-routed to pu.18, not yet committed
    second = forwarding("umum.18")
    await asyncio.sleep(0.3)
    second_waited = not second.done()
    opened.set()
    await asyncio.wait_for(asyncio.gather(first, second), 10)
    await routing.settle()

    assert second_waited, "the second forwarding waits for the complaint's row"
    assert [e.payload.agency.agency_id for e in routing.about(accepted.complaint_id, "complaint.routed")] == [
        "pu.18.71", "pu.18",
    ]
    [rejected] = routing.about(accepted.complaint_id, "complaint.action_rejected")
    assert rejected.payload.reason.code == "not_current_agency"


async def test_a_replica_with_an_old_registry_snapshot_routes_by_the_change_another_replica_committed(routing):
    first = await routing.accept(category_hint="jalan")
    assert routing.last(first.complaint_id, "complaint.routed").payload.agency.agency_id == "pu.18.71"
    # another replica deactivates the agency: this replica's in-memory snapshot still lists it as active
    async with _connection(routing.database_url) as db, db.transaction():
        await repository.deactivate_agency(db, "pu.18.71", "ditutup")

    later = await routing.accept(category_hint="jalan")

    assert routing.last(later.complaint_id, "complaint.routed").payload.agency.agency_id != "pu.18.71"


class _connection:
    """A connection of another replica (routing's schema on its search path)."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def __aenter__(self) -> Conn:
        self.conn = await asyncpg.connect(self.url, server_settings={"search_path": "routing,public"})
        return self.conn

    async def __aexit__(self, *exc: Any) -> None:
        await self.conn.close()

"""Waking the waiting request on whichever replica holds it: the replica whose results consumer records the
answer is not the one holding the request, and PostgreSQL's notification carries the news across."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest
from faststream.kafka import KafkaBroker

from lapor_gateway.app import Gateway, build
from lapor_gateway.settings import AdapterSettings, GatewaySettings
from lapor_shared.events import encode
from lapor_shared.testing.factories import submission_accepted, submission_accepted_envelope
from lapor_shared.testing.service import in_memory
from lapor_shared.topics import SUBMISSION_RESULTS, key_of

from .conftest import complaint_body, valid_tracking_number

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

Replica = tuple[Gateway, KafkaBroker, httpx.AsyncClient]
RECHECK_S = 20.0
"""Far longer than any test here waits: only a notification can answer in time."""


@asynccontextmanager
async def replicas(database_url: str, n: int = 2) -> AsyncIterator[list[Replica]]:
    """``n`` gateway replicas on one database, each on its own in-memory broker (no intake: the test answers)."""
    settings = GatewaySettings(database_url=database_url, adapters=AdapterSettings(wait_s=10, recheck_s=RECHECK_S))
    async with AsyncExitStack() as stack:
        running = []
        for _ in range(n):
            gateway = build(settings)
            app = gateway.asgi_app()
            broker = await stack.enter_async_context(in_memory(gateway.runtime))
            http = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"))
            await asyncio.wait_for(gateway.channels.listener.listening.wait(), 10)
            running.append((gateway, broker, http))
        yield running


async def answer(broker: KafkaBroker, message_id: str) -> Any:
    envelope = submission_accepted_envelope(submission_accepted(channel="web", channel_message_id=message_id,
                                                                tracking_number=valid_tracking_number()))
    await broker.publish(encode(envelope), topic=SUBMISSION_RESULTS.name,
                         key=key_of(envelope, SUBMISSION_RESULTS.name))
    return envelope


async def test_the_replica_holding_the_request_is_woken_by_the_answer_another_replica_recorded(database_url):
    async with replicas(database_url) as [(holder, _, http), (_, other_broker, _)]:
        key = str(uuid.uuid4())
        started = time.monotonic()
        waiting = asyncio.create_task(
            http.post("/api/v1/complaints", json=complaint_body(), headers={"Idempotency-Key": key}))
        await asyncio.sleep(0.5)  # the request is published and waits on the first replica
        assert not waiting.done()

        envelope = await answer(other_broker, key)  # only the second replica's consumer sees the answer
        response = await asyncio.wait_for(waiting, 10)
        elapsed = time.monotonic() - started

    assert response.status_code == 201, response.text
    assert response.json()["tracking_number"] == envelope.tracking_number
    assert elapsed < 5 < RECHECK_S, "answered by the notification, not by the periodic re-read"
    assert holder.channels.listener.notifications >= 1


async def test_a_request_whose_notification_never_comes_reads_its_answer_after_recheck_s(database_url):
    settings = GatewaySettings(database_url=database_url, adapters=AdapterSettings(wait_s=10, recheck_s=0.3))
    gateway = build(settings)
    runtime, app = gateway.runtime, gateway.asgi_app()
    async with in_memory(runtime), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                     base_url="http://gateway.test") as http:
        key = str(uuid.uuid4())
        waiting = asyncio.create_task(
            http.post("/api/v1/complaints", json=complaint_body(), headers={"Idempotency-Key": key}))
        await asyncio.sleep(0.5)
        number = valid_tracking_number()
        await runtime.pool.execute(  # recorded without a notification, as if it was lost with its connection
            "INSERT INTO answers (channel, channel_message_id, outcome, tracking_number, complaint_id)"
            " VALUES ('web', $1, 'accepted', $2, $3)", key, number, uuid.uuid4())
        response = await asyncio.wait_for(waiting, 5)

    assert response.status_code == 201 and response.json()["tracking_number"] == number


async def test_the_listener_listens_again_after_the_database_dropped_its_connection(database_url):
    async with replicas(database_url, n=1) as [(gateway, broker, http)]:
        runtime, listener = gateway.runtime, gateway.channels.listener
        await runtime.pool.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'lapor-gateway-listen'"
            " AND datname = current_database()")
        await asyncio.sleep(0.2)
        await asyncio.wait_for(listener.listening.wait(), 10)

        key = str(uuid.uuid4())
        waiting = asyncio.create_task(
            http.post("/api/v1/complaints", json=complaint_body(), headers={"Idempotency-Key": key}))
        await asyncio.sleep(0.5)
        await answer(broker, key)
        response = await asyncio.wait_for(waiting, 5)

    assert response.status_code == 201
    assert listener.notifications >= 1

"""An in-app message is written at once (``inbox_at_once``, the default): by the consumer that records the
event's deliveries, in its transaction, with its ``sent`` status and its ``notification.sent``; no worker
claims it, and a redelivered event writes nothing twice. E-mail, SMS and webhooks still wait for the worker."""

from __future__ import annotations

import asyncio
import json

import asyncpg
import pytest

from lapor_notify import repository
from lapor_shared.events.values import ReporterContact
from lapor_shared.testing.factories import (
    accepted_envelope,
    complaint_accepted,
    complaint_routed,
    contact_shared,
    routed_envelope,
)

from .harness import NotifyHarness
from .test_inbox_with_outcome import claim_all

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

AT_ONCE = {"inbox_at_once": True}


def at_once_harness(database_url: str, **settings: object) -> NotifyHarness:
    """Notify as deployed (its own channels), the in-app inbox alone unless a test enables a provider."""
    return NotifyHarness(database_url, sending=AT_ONCE,
                         **{"smtp": {"provider": "disabled"}, "sms": {"provider": "disabled"}, **settings})


async def inbox_messages(h: NotifyHarness) -> list[dict]:
    return [dict(r) for r in await h.pool.fetch(
        "SELECT delivery_id, template, recipient_kind, subject, body FROM inbox_messages ORDER BY created_at")]


async def test_an_events_in_app_messages_are_sent_with_their_events_as_the_consumer_records_them(database_url):
    routed = routed_envelope(complaint_routed())
    async with at_once_harness(database_url) as h:
        await h.publish(routed)
        await h.settle()  # the consumer and the outbox relay; no worker round
        sent = await h.deliveries(channel="inbox")
        rows = await inbox_messages(h)
        left = await claim_all(h)

    assert {(d["recipient_kind"], d["status"], d["attempts"]) for d in sent} == {("reporter", "sent", 1),
                                                                                ("officer", "sent", 1)}
    assert all(d["sent_at"] == d["created_at"] for d in sent)
    assert sorted(r["delivery_id"] for r in rows) == sorted(d["notification_id"] for d in sent)
    assert sorted(e["payload"]["notification_id"] for e in h.events) == sorted(str(d["notification_id"])
                                                                              for d in sent)
    assert {e["event_type"] for e in h.events} == {"notification.sent"}
    assert all(e["causation_id"] == str(routed.event_id) and e["complaint_id"] == str(routed.complaint_id)
               for e in h.events)
    assert left == [], "nothing of it is left for a worker"


async def test_a_redelivered_event_writes_no_message_and_no_event_twice(database_url):
    accepted = accepted_envelope()
    async with at_once_harness(database_url) as h:
        for _ in range(3):
            await h.publish(accepted)
        await h.settle()
        rows = await inbox_messages(h)

    assert [r["template"] for r in rows] == ["complaint_accepted.reporter"]
    assert len(h.events) == 1


async def test_the_in_app_message_withholds_rahasia_content_and_the_reporters_key(database_url):
    title = "Pungli Penanda7710 di loket KTP"
    accepted = accepted_envelope(complaint_accepted(confidential=True, title=title))
    async with at_once_harness(database_url) as h:
        await h.publish(contact_shared(accepted, ReporterContact(name="Budi", email="budi@example.org"),
                                       reporter_key="AB12-CD34-EF56-GH78"))
        await h.publish(accepted)
        await h.settle()
        rows = await inbox_messages(h)
        stored = await h.deliveries(channel="inbox")

    text = json.dumps([rows, stored, h.events], default=str, ensure_ascii=False)
    assert accepted.tracking_number in text
    for leak in ("Penanda7710", "AB12-CD34-EF56-GH78", "Budi", "budi@example.org"):
        assert leak not in text


async def test_the_workers_are_woken_only_for_what_is_left_to_them(database_url):
    woken: asyncio.Queue[str] = asyncio.Queue()
    async with at_once_harness(database_url, smtp={"provider": "smtp"}) as h:  # e-mail on, never sent here
        listener: asyncpg.Connection = await asyncpg.connect(database_url)
        await listener.add_listener(repository.WAKE_CHANNEL, lambda *args: woken.put_nowait(args[2]))
        try:
            await h.publish(accepted_envelope())  # the reporter's inbox alone: nothing for a worker
            await h.settle()
            await asyncio.sleep(0.2)
            quiet = woken.qsize()
            await h.add_recipient("agency:umum.18.71", email="umum.18.71@instansi.example")
            await h.publish(routed_envelope(complaint_routed()))  # the officers' e-mail: the worker's
            await asyncio.wait_for(woken.get(), timeout=5)
        finally:
            await listener.close()
        email = await h.deliveries(channel="email", recipient_kind="officer")

    assert quiet == 0
    assert [d["status"] for d in email] == ["pending"]

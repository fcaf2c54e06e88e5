"""One delivery per (event, recipient, channel): under redelivery, across a restart, with two workers."""

from __future__ import annotations

import asyncio
from collections import Counter

import asyncpg
import pytest

from lapor_notify.app import build
from lapor_notify.settings import NotifySettings, SendingSettings
from lapor_shared.events import encode
from lapor_shared.events.values import ReporterContact
from lapor_shared.testing.factories import accepted_envelope, contact_shared, routed_envelope
from lapor_shared.testing.service import in_memory
from lapor_shared.topics import COMPLAINTS

from .harness import NotifyHarness, RecordingChannel

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def fake_channels() -> dict[str, RecordingChannel]:
    return {name: RecordingChannel(name) for name in ("inbox", "email", "sms", "webhook")}


async def test_an_event_redelivered_many_times_and_across_a_restart_gives_one_message(database_url):
    channels = fake_channels()
    accepted = accepted_envelope()
    routed = routed_envelope(caused_by=accepted)
    contact = contact_shared(accepted, ReporterContact(email="warga@example.org"))

    async with NotifyHarness(database_url, channels=channels) as h:
        await h.add_recipient("agency:umum.18.71", email="pengaduan@bandarlampung.example")
        for _ in range(5):
            await h.publish(contact)
            await h.publish(accepted)
            await h.publish(routed)
        await h.deliver()
    # the service restarts (a new runtime on the same database) and Kafka redelivers everything again
    async with NotifyHarness(database_url, channels=channels) as h:
        for _ in range(5):
            await h.publish(accepted)
            await h.publish(routed)
            await h.publish(contact)
        await h.deliver()
        rows = await h.deliveries()

    sent = Counter((m.template, m.recipient_ref, m.channel) for c in channels.values() for m in c.sent)
    assert sent == {
        ("complaint_accepted.reporter", f"complaint:{accepted.complaint_id}", "inbox"): 1,
        ("complaint_accepted.reporter", f"complaint:{accepted.complaint_id}", "email"): 1,
        ("complaint_routed.reporter", f"complaint:{accepted.complaint_id}", "inbox"): 1,
        ("complaint_routed.reporter", f"complaint:{accepted.complaint_id}", "email"): 1,
        ("complaint_routed.officer", "agency:umum.18.71", "email"): 1,
    }
    assert {r["status"] for r in rows if r["channel"] != "sms"} == {"sent"}
    # the reporter left no phone: the SMS deliveries were recorded but found no address
    assert {r["status"] for r in rows if r["channel"] == "sms"} == {"skipped"}


async def test_the_worker_started_with_the_service_delivers_without_being_asked(database_url):
    channels = fake_channels()
    accepted = accepted_envelope()
    async with NotifyHarness(database_url, channels=channels, sending={"autostart": True, "poll_interval_s": 0.1}) as h:
        await h.publish(accepted)
        for _ in range(100):
            if channels["inbox"].sent:
                break
            await asyncio.sleep(0.05)
    assert [m.template for m in channels["inbox"].sent] == ["complaint_accepted.reporter"]


async def test_two_workers_on_one_database_never_send_a_delivery_twice(database_url):
    shared = RecordingChannel("inbox", delay_s=0.005)  # slow enough for the two workers to overlap
    settings = NotifySettings(database_url=database_url, recipients_file="",
                              sending=SendingSettings(autostart=False, concurrency=8, inbox_at_once=False))
    first = build(settings, channels={"inbox": shared})
    second = build(settings, channels={"inbox": shared})
    complaints = [accepted_envelope() for _ in range(40)]
    async with in_memory(first.runtime) as broker_a, in_memory(second.runtime):
        for envelope in complaints:
            await broker_a.publish(encode(envelope), topic=COMPLAINTS.name)
        await asyncio.gather(first.worker.drain(), second.worker.drain(), first.worker.drain(),
                             second.worker.drain())
        conn = await asyncpg.connect(database_url)
        try:
            statuses = Counter(r["status"] for r in await conn.fetch("SELECT status FROM notify.notifications"))
        finally:
            await conn.close()

    ids = Counter(m.delivery_id for m in shared.sent)
    assert len(ids) == 40 and set(ids.values()) == {1}
    assert statuses == {"sent": 40}
    assert first.worker.sent > 0 and second.worker.sent > 0, "both replicas took part"

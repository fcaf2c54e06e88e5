"""Notify records in batches (issue 17): an event's deliveries in one statement, the outcomes of the sends
that finished together in one transaction; a crash between send and record sends again with the same
delivery id, and an outcome that cannot be recorded never holds back the others'."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from uuid import UUID

import pytest

from lapor_notify import repository
from lapor_notify.channels.base import OutboundMessage
from lapor_shared.events.values import ReporterContact
from lapor_shared.testing.clock import ManualClock
from lapor_shared.testing.factories import (
    accepted_envelope,
    complaint_routed,
    contact_erased,
    contact_shared,
    routed_envelope,
)
from lapor_shared.testing.records import record
from lapor_shared.testing.statements import counting
from lapor_shared.topics import CONTACTS

from .harness import NotifyHarness, RecordingChannel
from .test_recovery import end_connection_of, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


class TogetherChannel(RecordingChannel):
    """Answers no send until ``parties`` sends have started, then all of them at once (sends that finish
    together)."""

    def __init__(self, name: str, parties: int) -> None:
        super().__init__(name)
        self._parties = parties
        self._started = 0
        self._all_in = asyncio.Event()

    async def send(self, message: OutboundMessage) -> None:
        self._started += 1
        if self._started >= self._parties:
            self._all_in.set()
        await self._all_in.wait()
        await super().send(message)


async def sent_events(h: NotifyHarness) -> list[dict[str, Any]]:
    """The ``notification.sent`` rows of the outbox (whichever replica's relay publishes them)."""
    rows = await h.pool.fetch(
        "SELECT payload FROM outbox WHERE headers->>'event_type' = 'notification.sent' ORDER BY id")
    return [{"notification_id": UUID(_payload(r)["payload"]["notification_id"])} for r in rows]


def _payload(row: Any) -> dict[str, Any]:
    return json.loads(bytes(row["payload"]))  # type: ignore[no-any-return]


async def test_an_events_deliveries_are_recorded_in_one_statement(database_url, monkeypatch):
    accepted = accepted_envelope()
    routed = routed_envelope(caused_by=accepted)
    calls: list[int] = []
    record_many = repository.record_many

    async def counted(conn: Any, deliveries: Sequence[repository.NewDelivery], **kwargs: Any) -> list[UUID]:
        calls.append(len(deliveries))
        return await record_many(conn, deliveries, **kwargs)

    async with NotifyHarness(database_url, channels={"inbox": RecordingChannel("inbox"),
                                                     "email": RecordingChannel("email")}) as h:
        await h.add_recipient("agency:umum.18.71", email="pengaduan@bandarlampung.example")
        monkeypatch.setattr(repository, "record_many", counted)
        await h.publish(accepted)
        await h.publish(routed)
        rows = await h.deliveries()

    # accepted: the reporter's inbox and e-mail; routed: those two again and the officers' e-mail
    assert calls == [2, 3]
    assert len(rows) == 5 and {r["status"] for r in rows} == {"pending", "waiting_contact"}


async def test_the_outcomes_of_sends_that_finish_together_are_recorded_in_one_transaction_with_their_events(
    database_url,
):
    complaints = [accepted_envelope() for _ in range(6)]
    inbox = TogetherChannel("inbox", parties=len(complaints))
    async with NotifyHarness(database_url, channels={"inbox": inbox}) as h:
        for accepted in complaints:
            await h.publish(accepted)
        await h.deliver()
        rows = await h.pool.fetch("SELECT notification_id, status, xmin::text AS tx FROM notifications")
        events = await sent_events(h)
        outcomes = h.worker.outcomes

    assert len(inbox.sent) == 6 and {r["status"] for r in rows} == {"sent"}
    assert len({r["tx"] for r in rows}) == 1, "one transaction marked all six sent"
    assert sorted(e["notification_id"] for e in events) == sorted(r["notification_id"] for r in rows)
    assert (outcomes.batches, outcomes.recorded_total, outcomes.sent_total) == (1, 6, 6), "and their events"


async def test_a_delivery_sent_but_not_yet_recorded_when_its_worker_died_is_sent_again_with_the_same_id(
    database_url, monkeypatch,
):
    clock = ManualClock()
    dying_inbox, next_inbox = RecordingChannel("inbox"), RecordingChannel("inbox")
    accepted = accepted_envelope()
    async with NotifyHarness(database_url, channels={"inbox": dying_inbox}, clock=clock) as dying, \
            NotifyHarness(database_url, channels={"inbox": next_inbox}, clock=clock) as next_one:
        stalled = asyncio.Event()
        record_together = dying.worker.outcomes.record_together

        async def stalls(results: Sequence[Any]) -> set[UUID]:  # the process "dies" before the commit
            await stalled.wait()
            return await record_together(results)

        monkeypatch.setattr(dying.worker.outcomes, "record_together", stalls)
        await dying.publish(accepted)
        assert await dying.worker.tick() == 1
        await wait_for(lambda: _true(bool(dying_inbox.sent)))  # sent, its outcome not recorded
        await end_connection_of(database_url, dying.worker.liveness.key)

        clock.advance(seconds=next_one.settings.sending.housekeeping_interval_s)
        await next_one.deliver()
        [row] = await next_one.deliveries(complaint_id=accepted.complaint_id)
        stalled.set()  # the dead worker's late outcome: its lease token no longer matches
        await asyncio.gather(*dying.worker._tasks, return_exceptions=True)
        [after] = await next_one.deliveries(complaint_id=accepted.complaint_id)
        events = await sent_events(next_one)

    assert [m.delivery_id for m in dying_inbox.sent] == [m.delivery_id for m in next_inbox.sent] \
        == [row["notification_id"]], "sent again, with the same delivery id"
    assert (row["status"], row["attempts"], after["lease_token"]) == ("sent", 2, row["lease_token"])
    assert [e["notification_id"] for e in events] == [row["notification_id"]], "told once"
    assert dying.worker.sent == 0 and next_one.worker.sent == 1


async def test_an_outcome_that_breaks_its_batch_is_tried_alone_and_the_others_are_recorded_anyway(
    database_url, monkeypatch,
):
    clock = ManualClock()
    complaints = [accepted_envelope() for _ in range(4)]
    inbox = TogetherChannel("inbox", parties=len(complaints))
    async with NotifyHarness(database_url, channels={"inbox": inbox}, clock=clock,
                             sending={"lease_s": 1.0}) as h:
        for accepted in complaints:
            await h.publish(accepted)
        [poison] = [r["notification_id"] for r in await h.deliveries(complaint_id=complaints[1].complaint_id)]
        monkeypatch.setattr(repository, "record_outcomes", _refusing(poison, repository.record_outcomes))
        await h.deliver()
        statuses = {r["notification_id"]: r["status"] for r in await h.deliveries()}
        recorded_before = await sent_events(h)

        monkeypatch.undo()  # the next round takes the claim back (no send of it in flight) and sends again
        clock.advance(seconds=h.settings.sending.housekeeping_interval_s)
        await h.deliver()
        [again] = await h.deliveries(complaint_id=complaints[1].complaint_id)

    assert statuses.pop(poison) == "sending"
    assert set(statuses.values()) == {"sent"} and len(statuses) == 3
    assert sorted(e["notification_id"] for e in recorded_before) == sorted(statuses)
    assert (again["status"], again["attempts"]) == ("sent", 2)
    assert [m.delivery_id for m in inbox.sent].count(poison) == 2, "at least once: the same id again"


def _refusing(poison: UUID, record: Callable[..., Awaitable[set[UUID]]]) -> Callable[..., Awaitable[set[UUID]]]:
    async def refusing(conn: Any, outcomes: Sequence[repository.Outcome], now: Any) -> set[UUID]:
        if any(o.notification_id == poison for o in outcomes):
            raise ValueError("this outcome cannot be stored")
        return await record(conn, outcomes, now)
    return refusing


async def _true(value: bool) -> bool:
    return value


async def test_a_claims_addresses_are_read_together_and_each_message_still_gets_its_own(database_url, monkeypatch):
    complaints = [accepted_envelope() for _ in range(3)]
    fakes = {name: RecordingChannel(name) for name in ("inbox", "email")}
    reads: list[list[UUID]] = []
    contacts_of = repository.contacts_of

    async def counted(conn: Any, complaint_ids: Sequence[UUID]) -> Any:
        reads.append(sorted(complaint_ids))
        return await contacts_of(conn, complaint_ids)

    async with NotifyHarness(database_url, channels=fakes) as h:
        for i, accepted in enumerate(complaints):
            await h.publish(contact_shared(accepted, ReporterContact(email=f"warga{i}@example.org")))
            await h.publish(accepted)
        monkeypatch.setattr(repository, "contacts_of", counted)
        await h.deliver()

    assert reads == [sorted(c.complaint_id for c in complaints)], "one read for the whole claim"
    assert sorted((m.complaint_id, m.to) for m in fakes["email"].sent) == sorted(
        (c.complaint_id, f"warga{i}@example.org") for i, c in enumerate(complaints))


def lifecycle_story() -> list[Any]:
    """Two complaints' events interleaved, the second complaint re-routed and its acceptance sent twice."""
    first, second = accepted_envelope(), accepted_envelope()
    rerouted = routed_envelope(complaint_routed(route_count=2), caused_by=second)
    return [first, second, routed_envelope(caused_by=first), routed_envelope(caused_by=second), second, rerouted]


async def recorded_state(h: NotifyHarness) -> tuple[list[tuple[Any, ...]], list[dict[str, Any]]]:
    """Deliveries (without their generated ids and trace) and notify's memory of the complaints."""
    deliveries = sorted(
        (r["source_event_id"], r["recipient_ref"], r["channel"], r["template"], r["status"], r["subject"],
         r["body"], r["next_attempt_at"]) for r in await h.deliveries())
    complaints = [dict(r) for r in await h.pool.fetch("SELECT * FROM complaints ORDER BY complaint_id")]
    return deliveries, complaints


async def test_a_batch_of_lifecycle_events_records_what_they_record_one_by_one_in_four_statements(
    database_url, infra, monkeypatch,
):
    story = lifecycle_story()
    clock = ManualClock()
    fakes = {"inbox": RecordingChannel("inbox"), "email": RecordingChannel("email")}
    async with NotifyHarness(database_url, channels=fakes, clock=clock) as one_by_one:
        await one_by_one.add_recipient("agency:*", email="pengaduan+{agency_id}@example.go.id")
        for event in story:
            await one_by_one.consumer("notify.complaints").handle_batch([record(event)])
        expected = await recorded_state(one_by_one)

    statements: list[str] = []
    async with NotifyHarness(await infra.new_database(), channels=fakes, clock=clock) as batched:
        await batched.add_recipient("agency:*", email="pengaduan+{agency_id}@example.go.id")
        monkeypatch.setattr(batched.notifier, "_record", counting(batched.notifier._record, statements))
        await batched.consumer("notify.complaints").handle_batch([record(event) for event in story])
        got = await recorded_state(batched)
        traces = await batched.pool.fetch("SELECT count(DISTINCT traceparent) AS n, count(*) AS deliveries"
                                          " FROM notifications GROUP BY source_event_id")

    assert got == expected
    assert len(expected[0]) == 11 and len(expected[1]) == 2  # 2 + 2 accepted, 3 + 3 routed, the officers re-routed
    assert len(statements) == 4, statements  # read, save, addresses, record: whatever the number of events
    assert [r["n"] for r in traces] == [1] * 5, "each event's deliveries carry on one trace, its own"



async def contacts_state(h: NotifyHarness) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    contacts = [tuple(r) for r in await h.pool.fetch(
        "SELECT complaint_id, reporter_ref_hash, key_id, ciphertext, key_ciphertext FROM contacts"
        " ORDER BY complaint_id")]
    waiting = [tuple(r) for r in await h.pool.fetch(
        "SELECT source_event_id, channel, status FROM notifications ORDER BY source_event_id, channel")]
    return contacts, waiting


async def test_a_run_of_contacts_is_kept_as_one_by_one_a_statement_per_run_of_distinct_complaints(
    database_url, infra, monkeypatch,
):
    first, second, third = accepted_envelope(), accepted_envelope(), accepted_envelope()
    erased_ref = third.payload.reporter_ref
    story = [
        contact_shared(first, ReporterContact(email="satu@example.org"), reporter_key="kunci-satu"),
        contact_shared(second, ReporterContact(email="dua@example.org")),
        contact_shared(first, ReporterContact(email="satu-baru@example.org")),  # replaces, keeps the key
        contact_shared(third, ReporterContact(email="tiga@example.org")),  # its reporter was erased before
    ]
    clock = ManualClock()
    fakes = {"inbox": RecordingChannel("inbox"), "email": RecordingChannel("email")}

    async def run(h: NotifyHarness, *, batched: bool) -> tuple[Any, Any]:
        await h.publish(first, second, third)  # their e-mails wait for a contact
        await h.publish(contact_erased(erased_ref, third))
        records = [record(event, topic=CONTACTS.name) for event in story]
        for batch in ([records] if batched else [[r] for r in records]):
            await h.consumer("notify.contacts").handle_batch(batch)
        return await contacts_state(h)

    async with NotifyHarness(database_url, channels=fakes, clock=clock) as one_by_one:
        expected = await run(one_by_one, batched=False)
    statements: list[str] = []
    async with NotifyHarness(await infra.new_database(), channels=fakes, clock=clock) as batched:
        monkeypatch.setattr(batched.notifier, "_keep", counting(batched.notifier._keep, statements))
        got = await run(batched, batched=True)

    assert got == expected
    contacts, deliveries = expected
    assert len(contacts) == 2 and all(c[4] is not None for c in contacts if c[0] == first.complaint_id)
    assert {d[2] for d in deliveries if d[1] == "email"} == {"pending", "waiting_contact"}  # the erased: never released
    assert [s.split()[0] for s in statements] == ["WITH", "NOTIFY", "WITH"]  # two segments, one wake


async def test_a_claims_rate_slots_are_taken_in_one_statement(database_url, monkeypatch):
    complaints = [accepted_envelope() for _ in range(3)]
    fakes = {name: RecordingChannel(name) for name in ("inbox", "email")}
    asked: list[dict[tuple[str, str], int]] = []
    take_rate_slots = repository.take_rate_slots

    async def counted(conn: Any, asks: Any, *args: Any) -> Any:
        if asks:  # a claim of in-app messages only asks nothing (and sends no statement)
            asked.append(dict(asks))
        return await take_rate_slots(conn, asks, *args)

    async def one_by_one(*_: Any, **__: Any) -> bool:
        raise AssertionError("every window fits: no slot is taken one by one")

    async with NotifyHarness(database_url, channels=fakes) as h:
        for i, accepted in enumerate(complaints):
            await h.publish(contact_shared(accepted, ReporterContact(email=f"warga{i}@example.org")))
            await h.publish(accepted)
        monkeypatch.setattr(repository, "take_rate_slots", counted)
        monkeypatch.setattr(repository, "take_rate_slot", one_by_one)
        await h.deliver()

    assert len(fakes["email"].sent) == 3 and len(fakes["inbox"].sent) == 3
    assert len(asked) == 1 and sorted(asked[0].values()) == [1, 1, 1], "three windows, one statement"

"""Check-then-act between notify's two consumers and its workers, forced into their worst interleavings.

Each test drives the real use cases on two connections of their own, in transactions that overlap the
way two batch transactions (one per consumer, or one per replica) overlap under load: one side is held
at a barrier between its check and its write, or keeps its transaction open, while the other side runs
and commits. Whatever the order, every planned message must still be sent, exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from lapor_notify import repository
from lapor_shared.consumer import Tx
from lapor_shared.events.values import ReporterContact
from lapor_shared.testing.clock import ManualClock
from lapor_shared.testing.factories import accepted_envelope, contact_shared, routed_envelope

from .harness import NotifyHarness, RecordingChannel

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def channels() -> dict[str, RecordingChannel]:
    return {name: RecordingChannel(name) for name in ("inbox", "email", "sms", "webhook")}


async def in_transaction(h: NotifyHarness, work: Callable[[Tx], Awaitable[None]], *, cause: Any,
                         before_commit: asyncio.Event | None = None) -> None:
    """``work`` in a transaction of its own connection, as one consumer's batch would run it; the commit
    waits for ``before_commit`` when given (the rest of the batch is still being processed)."""
    async with h.pool.acquire() as conn, conn.transaction():
        await work(Tx(conn, h.runtime.outbox, "notify", cause))
        if before_commit is not None:
            await before_commit.wait()


class Gate:
    """A barrier inside a use case: the wrapped repository function runs, then waits to be let through."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self.opened = asyncio.Event()

    def after(self, function: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def paused(*args: Any, **kwargs: Any) -> Any:
            result = await function(*args, **kwargs)
            self.reached.set()
            await self.opened.wait()
            return result
        return paused


async def acceptance_mails(h: NotifyHarness, fakes: dict[str, RecordingChannel], clock: ManualClock,
                           complaint_id: Any) -> list[Any]:
    """Run the worker as time goes by (past the contact wait): the acceptance e-mails the reporter got."""
    for _ in range(3):
        clock.advance(seconds=h.settings.sending.housekeeping_interval_s + 1)
        await h.deliver()
    clock.advance(seconds=h.settings.sending.contact_wait_s + 1)
    await h.deliver()
    return [m for m in fakes["email"].sent
            if m.complaint_id == complaint_id and m.template == "complaint_accepted.reporter"]


async def test_a_contact_committed_between_the_acceptances_check_and_its_write_still_gets_the_mail_out(
    database_url, monkeypatch
):
    clock = ManualClock()
    fakes = channels()
    accepted = accepted_envelope()
    contact = contact_shared(accepted, ReporterContact(email="warga@example.org"))
    gate = Gate()
    async with NotifyHarness(database_url, channels=fakes, clock=clock) as h:
        notifier = h.notifier
        monkeypatch.setattr(repository, "complaints_of", gate.after(repository.complaints_of))
        lifecycle = asyncio.create_task(in_transaction(h, lambda tx: notifier.on_lifecycle(tx, accepted),
                                                       cause=accepted))
        await asyncio.wait_for(gate.reached.wait(), 10)  # checked: no contact yet; paused before its write
        monkeypatch.undo()
        await in_transaction(h, lambda tx: notifier.store_contact(tx, contact), cause=contact)  # commits
        gate.opened.set()
        await asyncio.wait_for(lifecycle, 10)

        mails = await acceptance_mails(h, fakes, clock, accepted.complaint_id)
        [row] = await h.deliveries(complaint_id=accepted.complaint_id, channel="email")

    assert [(m.to, m.tracking_number) for m in mails] == [("warga@example.org", accepted.tracking_number)]
    assert row["status"] == "sent"


async def test_an_acceptance_recorded_while_the_contact_is_stored_and_committed_after_it_still_gets_the_mail_out(
    database_url,
):
    clock = ManualClock()
    fakes = channels()
    accepted = accepted_envelope()
    contact = contact_shared(accepted, ReporterContact(email="warga@example.org"))
    rest_of_batch = asyncio.Event()
    async with NotifyHarness(database_url, channels=fakes, clock=clock) as h:
        notifier = h.notifier
        recorded = asyncio.Event()

        async def record_then_hold(tx: Tx) -> None:
            await notifier.on_lifecycle(tx, accepted)
            recorded.set()

        lifecycle = asyncio.create_task(in_transaction(h, record_then_hold, cause=accepted,
                                                       before_commit=rest_of_batch))
        await asyncio.wait_for(recorded.wait(), 10)  # the e-mail is recorded as waiting, not yet committed
        await in_transaction(h, lambda tx: notifier.store_contact(tx, contact), cause=contact)  # commits
        rest_of_batch.set()
        await asyncio.wait_for(lifecycle, 10)

        mails = await acceptance_mails(h, fakes, clock, accepted.complaint_id)
        [row] = await h.deliveries(complaint_id=accepted.complaint_id, channel="email")

    assert [(m.to, m.tracking_number) for m in mails] == [("warga@example.org", accepted.tracking_number)]
    assert row["status"] == "sent"


async def test_a_contact_wait_that_runs_out_while_the_contact_is_there_sends_instead_of_expiring(database_url):
    clock = ManualClock()
    fakes = channels()
    accepted = accepted_envelope()
    async with NotifyHarness(database_url, channels=fakes, clock=clock) as h:
        await h.publish(accepted)  # recorded as waiting for the contact
        # the contact is stored, but the release that should have come with it never happened (a
        # transaction that overlapped the recording, as above)
        async with h.pool.acquire() as conn:
            await repository.store_contact(
                conn, complaint_id=accepted.complaint_id, reporter_ref_hash="x", source_channel="web",
                anonymous=False, **_encrypted(ReporterContact(email="warga@example.org")), now=clock.now(),
            )
        clock.advance(seconds=h.settings.sending.contact_wait_s + 1)
        await h.deliver()
        [row] = await h.deliveries(complaint_id=accepted.complaint_id, channel="email")

    assert row["status"] == "sent"
    assert [m.to for m in fakes["email"].sent] == ["warga@example.org"]


def _encrypted(contact: ReporterContact) -> dict[str, str]:
    from lapor_shared.crypto import ContactCipher
    from lapor_shared.settings import ServiceSettings

    key_id, token = ContactCipher.from_setting(ServiceSettings().contact_keys).encrypt(contact)
    return {"key_id": key_id, "ciphertext": token}


# --- rate limits: two replicas' claims count one recipient's window --------------------------------------


def officer_delivery(recipient_ref: str, due: datetime, channel: str = "email") -> repository.NewDelivery:
    return repository.NewDelivery(
        notification_id=uuid4(), source_event_id=uuid4(), source_event_type="complaint.routed", correlation_id=None,
        complaint_id=uuid4(), tracking_number="LPR-TEST-00000", jurisdiction_code="18.71", recipient_kind="officer",
        recipient_ref=recipient_ref, channel=channel, template="complaint_routed.officer", languages=["id"],
        subject="Laporan baru", body="Laporan baru.", sms_text="Laporan baru.", data={}, status="pending",
        due_at=due, created_at=due,
    )


async def test_two_replicas_claiming_for_the_same_two_recipients_at_once_count_each_send_once_and_never_deadlock(
    database_url, monkeypatch
):
    clock = ManualClock(datetime(2026, 3, 2, 3, 10, tzinfo=UTC))
    t0 = clock.now() - timedelta(minutes=5)
    sending = {"concurrency": 2, "rate_limits_per_hour": {"email": 10}}
    first_mail, second_mail = RecordingChannel("email"), RecordingChannel("email")
    async with NotifyHarness(database_url, channels={"email": first_mail}, clock=clock, sending=sending) as one, \
            NotifyHarness(database_url, channels={"email": second_mail}, clock=clock, sending=sending) as two:
        for ref in ("agency:a", "agency:b"):
            await one.add_recipient(ref, email=f"{ref[7:]}@instansi.example")
        async with one.pool.acquire() as conn:
            # by due time: a, b (the first replica's claim), then b, a (the second's)
            for i, ref in enumerate(("agency:a", "agency:b", "agency:b", "agency:a")):
                await repository.record(conn, officer_delivery(ref, t0 + timedelta(seconds=i)))
        gate, take = Gate(), repository.take_rate_slots
        calls = 0

        async def first_call_paused(*args: Any, **kwargs: Any) -> dict[tuple[str, str], int]:
            nonlocal calls
            calls += 1
            return await (gate.after(take) if calls == 1 else take)(*args, **kwargs)

        monkeypatch.setattr(repository, "take_rate_slots", first_call_paused)
        first = asyncio.create_task(one.worker.tick())  # holds both windows, paused before its commit
        await asyncio.wait_for(gate.reached.wait(), 10)
        second = asyncio.create_task(two.worker.tick())  # claims the other two rows (b, a), waits for the windows
        await asyncio.sleep(0.3)
        gate.opened.set()
        claimed = await asyncio.wait_for(asyncio.gather(first, second), 20)
        await one.worker.drain()
        await two.worker.drain()
        windows = {r["recipient_ref"]: r["sent"] for r in await one.pool.fetch("SELECT * FROM rate_windows")}

    assert claimed == [2, 2]
    assert len(first_mail.sent) + len(second_mail.sent) == 4
    assert windows == {"agency:a": 2, "agency:b": 2}


async def test_a_window_that_cannot_take_all_of_a_claims_sends_at_once_takes_them_one_by_one(database_url):
    clock = ManualClock(datetime(2026, 3, 2, 3, 10, tzinfo=UTC))
    window, t0 = datetime(2026, 3, 2, 3, tzinfo=UTC), clock.now() - timedelta(minutes=5)
    mail = RecordingChannel("email")
    async with NotifyHarness(database_url, channels={"email": mail}, clock=clock,
                             sending={"rate_limits_per_hour": {"email": 10}}) as h:
        for ref in ("agency:a", "agency:b"):
            await h.add_recipient(ref, email=f"{ref[7:]}@instansi.example")
        async with h.pool.acquire() as conn:
            await conn.execute("INSERT INTO rate_windows VALUES ('agency:a', 'email', $1, 9)", window)
            for i, ref in enumerate(("agency:a", "agency:b", "agency:a", "agency:b")):
                await repository.record(conn, officer_delivery(ref, t0 + timedelta(seconds=i)))
        await h.deliver()
        windows = {r["recipient_ref"]: r["sent"] for r in await h.pool.fetch("SELECT * FROM rate_windows")}
        [waiting] = await h.deliveries(status="pending")

    assert sorted(m.to for m in mail.sent) == ["a@instansi.example", "b@instansi.example", "b@instansi.example"]
    assert windows == {"agency:a": 10, "agency:b": 2}
    assert (waiting["recipient_ref"], waiting["attempts"]) == ("agency:a", 0), "the later one waits, uncounted"
    assert waiting["next_attempt_at"] == window + timedelta(hours=1)


async def test_a_rate_slot_taken_by_another_replica_in_flight_is_counted_before_the_limit_is_checked(database_url):
    window = datetime(2026, 3, 2, 3, tzinfo=UTC)
    async with NotifyHarness(database_url, channels={}) as h:
        async with h.pool.acquire() as a, h.pool.acquire() as b:
            tx_a = a.transaction()
            await tx_a.start()
            assert await repository.take_rate_slot(a, recipient_ref="agency:a", channel="sms",
                                                   window_start=window, limit=1)
            async with b.transaction():
                taking = asyncio.create_task(repository.take_rate_slot(
                    b, recipient_ref="agency:a", channel="sms", window_start=window, limit=1))
                await asyncio.sleep(0.3)
                assert not taking.done(), "the second replica waits for the first one's count"
                await tx_a.commit()
                second = await asyncio.wait_for(taking, 10)
        sent = await h.pool.fetchval("SELECT sent FROM rate_windows WHERE recipient_ref = 'agency:a'")

    assert second is False
    assert sent == 1


# --- digests: folding against recording, and two replicas folding ------------------------------------


async def test_a_digest_item_committed_just_after_its_period_was_folded_goes_out_in_the_next_digest(database_url):
    clock = ManualClock(datetime(2026, 3, 2, 3, 59, 59, tzinfo=UTC))
    fakes = channels()
    first, late = routed_envelope(), routed_envelope()
    async with NotifyHarness(database_url, channels=fakes, clock=clock) as h:
        notifier = h.notifier
        await h.add_recipient("agency:umum.18.71", email="dinas@example.go.id", digest="hourly")
        await h.publish(first)
        recorded, commit = asyncio.Event(), asyncio.Event()

        async def record_then_hold(tx: Tx) -> None:
            await notifier.on_lifecycle(tx, late)  # an item due at 04:00, like the first one
            recorded.set()

        recording = asyncio.create_task(in_transaction(h, record_then_hold, cause=late, before_commit=commit))
        await asyncio.wait_for(recorded.wait(), 10)
        clock.set(datetime(2026, 3, 2, 4, 0, tzinfo=UTC))
        await h.deliver()  # the 04:00 fold sees only the committed item
        commit.set()
        await asyncio.wait_for(recording, 10)
        clock.advance(seconds=h.settings.sending.housekeeping_interval_s)
        await h.deliver()
        items = await h.deliveries(template="complaint_routed.officer", channel="email")

    digests = [m for m in fakes["email"].sent if m.template == "digest.officer"]
    assert [[e.tracking_number in d.body for e in (first, late)] for d in digests] == [[True, False], [False, True]]
    assert {r["status"] for r in items} == {"digested"}


async def test_two_replicas_folding_the_same_digest_at_once_send_it_once(database_url, monkeypatch):
    clock = ManualClock(datetime(2026, 3, 2, 3, 30, tzinfo=UTC))
    mails_one, mails_two = RecordingChannel("email"), RecordingChannel("email")
    routed = [routed_envelope() for _ in range(3)]
    async with NotifyHarness(database_url, channels={"email": mails_one, "inbox": RecordingChannel("inbox")},
                       clock=clock) as one, \
            NotifyHarness(database_url, channels={"email": mails_two, "inbox": RecordingChannel("inbox")},
                    clock=clock) as two:
        await one.add_recipient("agency:umum.18.71", email="dinas@example.go.id", digest="hourly")
        for event in routed:
            await one.publish(event)
        clock.set(datetime(2026, 3, 2, 4, 0, tzinfo=UTC))
        gate, lock_items = Gate(), repository.lock_digest_items
        monkeypatch.setattr(repository, "lock_digest_items", gate.after(lock_items))
        folding = asyncio.create_task(one.worker.housekeeping())  # items locked, digest not yet written
        await asyncio.wait_for(gate.reached.wait(), 10)
        monkeypatch.setattr(repository, "lock_digest_items", lock_items)
        await asyncio.wait_for(two.worker.housekeeping(), 10)  # the other replica finds them taken
        gate.opened.set()
        await asyncio.wait_for(folding, 10)
        await one.deliver()
        await two.deliver()

    digests = [m for m in (*mails_one.sent, *mails_two.sent) if m.template == "digest.officer"]
    assert len(digests) == 1
    assert all(e.tracking_number in digests[0].body for e in routed)

"""Check-then-act between notify's two consumers and its workers, forced into their worst interleavings.

Each test drives the real use cases on two connections of their own, in transactions that overlap the
way two batch transactions (one per consumer, or one per replica) overlap under load: one side is held
at a barrier between its check and its write, or keeps its transaction open, while the other side runs
and commits. Whatever the order, every planned message must still be sent, exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from lapor_notify import repository
from lapor_notify.clock import ManualClock
from lapor_notify.testing import Harness, RecordingChannel, contact_shared
from lapor_shared.consumer import Tx
from lapor_shared.events.values import ReporterContact
from lapor_shared.testing.factories import accepted_envelope

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def channels() -> dict[str, RecordingChannel]:
    return {name: RecordingChannel(name) for name in ("inbox", "email", "sms", "webhook")}


async def in_transaction(h: Harness, work: Callable[[Tx], Awaitable[None]], *, cause: Any,
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


async def acceptance_mails(h: Harness, fakes: dict[str, RecordingChannel], clock: ManualClock,
                           complaint_id: Any) -> list[Any]:
    """Run the worker as time goes by (past the contact wait): the acceptance e-mails the reporter got."""
    for _ in range(3):
        clock.advance(h.settings.sending.housekeeping_interval_s + 1)
        await h.deliver()
    clock.advance(h.settings.sending.contact_wait_s + 1)
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
    async with Harness(database_url, channels=fakes, clock=clock) as h:
        notifier = h.runtime.notifier  # type: ignore[attr-defined]
        monkeypatch.setattr(repository, "has_contact", gate.after(repository.has_contact))
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
    async with Harness(database_url, channels=fakes, clock=clock) as h:
        notifier = h.runtime.notifier  # type: ignore[attr-defined]
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
    async with Harness(database_url, channels=fakes, clock=clock) as h:
        await h.publish(accepted)  # recorded as waiting for the contact
        # the contact is stored, but the release that should have come with it never happened (a
        # transaction that overlapped the recording, as above)
        async with h.pool.acquire() as conn:
            await repository.store_contact(
                conn, complaint_id=accepted.complaint_id, reporter_ref_hash="x", source_channel="web",
                anonymous=False, **_encrypted(ReporterContact(email="warga@example.org")), now=clock.now(),
            )
        clock.advance(h.settings.sending.contact_wait_s + 1)
        await h.deliver()
        [row] = await h.deliveries(complaint_id=accepted.complaint_id, channel="email")

    assert row["status"] == "sent"
    assert [m.to for m in fakes["email"].sent] == ["warga@example.org"]


def _encrypted(contact: ReporterContact) -> dict[str, str]:
    from lapor_shared.crypto import ContactCipher
    from lapor_shared.settings import ServiceSettings

    key_id, token = ContactCipher.from_setting(ServiceSettings().contact_keys).encrypt(contact)
    return {"key_id": key_id, "ciphertext": token}


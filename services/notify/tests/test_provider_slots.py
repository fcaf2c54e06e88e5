"""An outside provider's slots are its own (``sending.Dispatcher``): a replica sends to a provider at most
``provider_concurrency`` at once, a slow provider holds back none of the in-app messages, and a delivery that
finds no free slot in time goes back untried, its attempt not counted."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from lapor_notify.channels.base import OutboundMessage
from lapor_notify.outcomes import LATER_S
from lapor_notify.settings import SendingSettings
from lapor_shared.events.values import ReporterContact
from lapor_shared.testing.factories import accepted_envelope, contact_shared

from .harness import NotifyHarness, RecordingChannel
from .test_worker_rounds import until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

RUNNING = {"autostart": True, "poll_interval_s": 30.0}
"""The worker runs by itself; only new deliveries' NOTIFY make it claim during a test."""


class GatedChannel(RecordingChannel):
    """Holds every send until ``open`` is set, counting how many are in flight at once."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.open = asyncio.Event()
        self.entered = 0
        self.in_flight = 0
        self.most_in_flight = 0

    async def send(self, message: OutboundMessage) -> None:
        self.entered += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self.open.wait()
            await super().send(message)
        finally:
            self.in_flight -= 1


async def file_complaints(h: NotifyHarness, count: int) -> None:
    """``count`` complaints, each reporter with an e-mail address: an inbox and an e-mail message each."""
    for i in range(count):
        accepted = accepted_envelope()
        await h.publish(contact_shared(accepted, ReporterContact(email=f"warga{i}@example.org")))
        await h.publish(accepted)


async def test_a_slow_provider_gets_at_most_its_slots_and_holds_back_no_in_app_message(database_url):
    inbox, email = RecordingChannel("inbox"), GatedChannel("email")
    sending = {**RUNNING, "concurrency": 16, "provider_concurrency": 2}
    async with NotifyHarness(database_url, channels={"inbox": inbox, "email": email}, sending=sending) as h:
        await file_complaints(h, 5)
        await until(lambda: len(inbox.sent) == 5 and email.in_flight == 2, timeout_s=10)
        await asyncio.sleep(0.2)  # a third e-mail would be on its way by now
        assert email.most_in_flight == 2, "two provider slots: never more than two e-mails at once"
        assert h.worker.sent == 5, "every in-app message recorded while the e-mails wait"
        email.open.set()
        await until(lambda: h.worker.sent == 10, timeout_s=10)
    assert sorted(m.to for m in email.sent) == sorted(f"warga{i}@example.org" for i in range(5))
    assert email.most_in_flight == 2


async def test_a_delivery_that_finds_no_free_provider_slot_in_time_goes_back_untried(database_url):
    email = GatedChannel("email")
    sending = {**RUNNING, "concurrency": 16, "provider_concurrency": 1, "provider_wait_s": 0.2}
    async with NotifyHarness(database_url, channels={"inbox": RecordingChannel("inbox"), "email": email},
                             sending=sending) as h:
        await file_complaints(h, 2)
        await until(lambda: email.in_flight == 1, timeout_s=10)
        waited: list[dict[str, Any]] = []

        async def one_went_back() -> None:
            while not waited:  # pending again after a claim (not the pending before its first claim)
                waited.extend(r for r in await h.deliveries(channel="email", status="pending") if r["last_error"])
                await asyncio.sleep(0.02)

        await asyncio.wait_for(one_went_back(), timeout=10)
        provider_saw = email.entered
        email.open.set()

    [back] = waited
    assert back["attempts"] == 0, "not tried, so not counted"
    assert back["last_error"] == "every provider slot busy"
    assert timedelta(seconds=LATER_S - 1) < back["next_attempt_at"] - back["updated_at"] <= timedelta(seconds=LATER_S)
    assert provider_saw == 1, "the provider saw only the send that had the slot"


def test_a_provider_wait_never_outlasts_a_quarter_of_the_lease():
    assert SendingSettings(lease_s=120, provider_wait_s=30).provider_wait_limit_s == 30
    assert SendingSettings(lease_s=20, provider_wait_s=30).provider_wait_limit_s == 5

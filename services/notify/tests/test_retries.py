"""Failures: transient ones are retried on a schedule kept in the database (a manual clock, no real
waiting) without holding up anyone else; permanent ones, or too many, end as notification.failed and a
dead letter with the reason."""

from __future__ import annotations

import json

import pytest

from lapor_shared.events.values import ReporterContact
from lapor_shared.testing.clock import ManualClock
from lapor_shared.testing.factories import accepted_envelope, contact_shared

from .harness import NotifyHarness, RecordingChannel, permanent, transient

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def test_a_provider_failing_twice_is_retried_with_backoff_and_others_are_not_held_up(database_url):
    clock = ManualClock()
    slow_complaint, other_complaint = accepted_envelope(), accepted_envelope()
    flaky_address = "lambat@example.org"
    email = RecordingChannel("email", fail_when=lambda m: transient("421 try later")
                             if m.to == flaky_address and email_failures.pop(0) else None)
    email_failures = [True, True, False]
    channels = {"inbox": RecordingChannel("inbox"), "email": email}
    async with NotifyHarness(database_url, channels=channels, clock=clock,
                       sending={"backoff_initial_s": 30.0, "max_attempts": 5}) as h:
        # both complaints on one partition, the flaky one first
        await h.publish(contact_shared(slow_complaint, ReporterContact(email=flaky_address)))
        await h.publish(contact_shared(other_complaint, ReporterContact(email="cepat@example.org")))
        await h.publish(slow_complaint)
        await h.publish(other_complaint)
        await h.deliver()
        assert [m.to for m in email.sent] == ["cepat@example.org"], "the other complaint went out at once"
        [row] = await h.deliveries(complaint_id=slow_complaint.complaint_id, channel="email")
        assert (row["status"], row["attempts"]) == ("pending", 1)
        assert (row["next_attempt_at"] - clock.now()).total_seconds() == 30.0

        clock.advance(seconds=29)
        await h.deliver()
        assert len(email.sent) == 1, "not due yet"
        clock.advance(seconds=1)
        await h.deliver()  # second attempt fails: the next one is 60 s later
        [row] = await h.deliveries(complaint_id=slow_complaint.complaint_id, channel="email")
        assert (row["status"], row["attempts"]) == ("pending", 2)
        assert (row["next_attempt_at"] - clock.now()).total_seconds() == 60.0
        assert "[alamat]" in row["last_error"] or flaky_address not in row["last_error"]

        clock.advance(seconds=60)
        await h.deliver()
        [row] = await h.deliveries(complaint_id=slow_complaint.complaint_id, channel="email")

    assert (row["status"], row["attempts"]) == ("sent", 3)
    assert [m.to for m in email.sent] == ["cepat@example.org", flaky_address]
    assert email.calls == 4
    assert not [e for e in h.events if e["event_type"] == "notification.failed"]


async def test_a_provider_that_always_refuses_ends_in_notification_failed_and_a_dead_letter(database_url):
    accepted = accepted_envelope()
    email = RecordingChannel("email", fail_when=lambda m: permanent("550 mailbox unavailable"))
    async with NotifyHarness(database_url, channels={"inbox": RecordingChannel("inbox"), "email": email}) as h:
        await h.publish(contact_shared(accepted, ReporterContact(email="hilang@example.org")))
        await h.publish(accepted)
        await h.deliver()
        [row] = await h.deliveries(channel="email")

    assert (row["status"], row["attempts"]) == ("failed", 1)
    [failed] = [e for e in h.events if e["event_type"] == "notification.failed"]
    assert failed["payload"]["notification_id"] == str(row["notification_id"])
    assert failed["payload"]["reason"]["code"] == "permanent_error"
    assert failed["payload"]["reason"]["message_id"] and failed["payload"]["reason"]["message_en"]
    assert failed["tracking_number"] == accepted.tracking_number
    [(dead, headers)] = h.dead_letters
    assert dead["event_id"] == failed["event_id"]
    assert headers["dlq_reason"].startswith("permanent_error: PermanentError: 550 mailbox unavailable")
    assert headers["dlq_delivery_id"] == str(row["notification_id"])
    assert "hilang@example.org" not in json.dumps([dead, headers])


async def test_a_provider_that_always_times_out_gives_up_after_the_last_attempt(database_url):
    clock = ManualClock()
    accepted = accepted_envelope()
    email = RecordingChannel("email", fail_when=lambda m: transient("connection refused"))
    async with NotifyHarness(database_url, channels={"inbox": RecordingChannel("inbox"), "email": email}, clock=clock,
                       sending={"max_attempts": 3, "backoff_initial_s": 10.0}) as h:
        await h.publish(contact_shared(accepted, ReporterContact(email="warga@example.org")))
        await h.publish(accepted)
        for _ in range(4):
            await h.deliver()
            clock.advance(hours=1)
        [row] = await h.deliveries(channel="email")

    assert (row["status"], row["attempts"], email.calls) == ("failed", 3, 3)
    [failed] = [e for e in h.events if e["event_type"] == "notification.failed"]
    assert failed["payload"]["reason"]["code"] == "too_many_attempts"
    assert failed["payload"]["attempts"] == 3
    assert len(h.dead_letters) == 1


async def test_a_dead_letter_for_a_failed_delivery_is_cleaned_like_every_dead_letter(database_url):
    accepted = accepted_envelope()
    # a provider that echoes another person's address and a terminal escape sequence in its error
    email = RecordingChannel("email", fail_when=lambda m: permanent("550 \x1b[2J<tetangga@example.org> refused"))
    async with NotifyHarness(database_url, channels={"inbox": RecordingChannel("inbox"), "email": email}) as h:
        await h.publish(contact_shared(accepted, ReporterContact(email="warga@example.org")))
        await h.publish(accepted)
        await h.deliver()

    [(dead, headers)] = h.dead_letters
    assert headers["dlq_consumer"] == "notify.delivery" and headers["dlq_source"] == "notify.notifications"
    assert headers["dlq_reason"].startswith("permanent_error: PermanentError: 550")
    assert "\x1b" not in json.dumps([dead, headers], ensure_ascii=False)
    assert "example.org" not in json.dumps([dead, headers])
    assert int(headers["dlq_original_bytes"]) > 0 and headers["dlq_attempts"] == "1"

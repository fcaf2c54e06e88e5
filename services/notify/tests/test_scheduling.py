"""What the schedule in the database does: waiting for a contact, rate limits and officer digests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lapor_shared.events.lifecycle import ComplaintResponded, DeadlineWarning
from lapor_shared.events.values import ReporterContact
from lapor_shared.testing.clock import ManualClock
from lapor_shared.testing.factories import accepted_envelope, contact_shared, envelope, routed_envelope

from .harness import NotifyHarness, RecordingChannel

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def channels() -> dict[str, RecordingChannel]:
    return {name: RecordingChannel(name) for name in ("inbox", "email", "sms", "webhook")}


async def test_a_reporter_message_waits_for_the_contact_or_stays_in_the_inbox_after_the_timeout(database_url):
    clock = ManualClock()
    early, never = accepted_envelope(), accepted_envelope()
    fakes = channels()
    async with NotifyHarness(database_url, channels=fakes, clock=clock, sending={"contact_wait_s": 600}) as h:
        await h.publish(early)
        await h.publish(never)
        await h.deliver()
        assert len(fakes["inbox"].sent) == 2 and not fakes["email"].sent
        assert {r["status"] for r in await h.deliveries(channel="email")} == {"waiting_contact"}

        clock.advance(seconds=300)
        await h.publish(contact_shared(early, ReporterContact(email="terlambat@example.org")))
        await h.deliver()
        assert [(m.to, m.tracking_number) for m in fakes["email"].sent] == [
            ("terlambat@example.org", early.tracking_number)
        ]

        clock.advance(seconds=301)
        await h.deliver()
        [expired] = await h.deliveries(complaint_id=never.complaint_id, channel="email")
    assert expired["status"] == "expired"
    assert len(fakes["email"].sent) == 1


async def test_sms_to_one_reporter_is_rate_limited_per_hour_and_the_rest_waits(database_url):
    clock = ManualClock(datetime(2026, 3, 2, 3, 10, tzinfo=UTC))
    accepted = accepted_envelope()
    responses = [envelope(ComplaintResponded(agency_id="umum.18.71", text=f"Tanggapan {i}"), producer="followup",
                          caused_by=accepted) for i in range(2)]
    fakes = channels()
    async with NotifyHarness(database_url, channels=fakes, clock=clock,
                       sending={"rate_limits_per_hour": {"sms": 2}}) as h:
        await h.publish(contact_shared(accepted, ReporterContact(phone="+6281233334444"), channel="sms"))
        for event in (accepted, *responses):
            await h.publish(event)
        await h.deliver()
        assert len(fakes["sms"].sent) == 2
        [waiting] = [r for r in await h.deliveries(channel="sms") if r["status"] == "pending"]
        assert waiting["next_attempt_at"] == datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
        assert waiting["attempts"] == 0, "a deferral is not a failed attempt"

        clock.advance(minutes=50)
        await h.deliver()
    assert len(fakes["sms"].sent) == 3
    assert len(fakes["inbox"].sent) == 3, "the inbox is not rate limited"


async def test_an_officer_who_chose_a_daily_digest_gets_one_message_and_urgent_ones_at_once(database_url):
    # 10:00 in Jakarta (03:00 UTC); the digest goes out at 07:00 Jakarta the next day
    clock = ManualClock(datetime(2026, 3, 2, 3, 0, tzinfo=UTC))
    routed = [routed_envelope() for _ in range(3)]
    warning = envelope(DeadlineWarning(stage="follow_up", agency_id="umum.18.71",
                                       due_at=clock.now() + timedelta(days=1)), producer="followup",
                       caused_by=routed[0])
    fakes = channels()
    async with NotifyHarness(database_url, channels=fakes, clock=clock) as h:
        await h.add_recipient("agency:umum.18.71", display_name="Dinas Contoh", email="dinas@example.go.id",
                              digest="daily", languages=["id", "en"])
        for event in (*routed, warning):
            await h.publish(event)
        await h.deliver()
        officer_mail = [m for m in fakes["email"].sent if m.recipient_kind == "officer"]
        assert [m.template for m in officer_mail] == ["complaint_deadline_warning.officer"], "urgent: not folded"

        clock.set(datetime(2026, 3, 2, 23, 59, tzinfo=UTC))  # 06:59 in Jakarta
        await h.deliver()
        assert len(fakes["email"].sent) == 1
        clock.set(datetime(2026, 3, 3, 0, 0, tzinfo=UTC))  # 07:00 in Jakarta
        await h.deliver()
        await h.deliver()  # a second round folds nothing again
        items = await h.deliveries(template="complaint_routed.officer")

    digests = [m for m in fakes["email"].sent if m.template == "digest.officer"]
    assert len(digests) == 1
    assert all(e.tracking_number in digests[0].body for e in routed)
    assert "Ringkasan harian" in digests[0].body and "Daily digest" in digests[0].body
    assert {r["status"] for r in items} == {"digested"}
    assert {r["digest_id"] for r in items} == {digests[0].delivery_id}
    sent_templates = [e["payload"]["template"] for e in h.events if e["event_type"] == "notification.sent"]
    assert sent_templates.count("digest.officer") == 1

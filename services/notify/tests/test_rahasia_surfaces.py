"""Notify's messages to agencies and its events, and a rahasia complaint (docs/privacy.md, "Every read
surface"; the row ids are the table's): an agency's officers learn that a complaint of theirs needs them (the
tracking number, the step, the deadline), never its title or any text; a sibling agency hears nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from lapor_notify.channels.webhook import body_of
from lapor_shared.events.lifecycle import ComplaintReporterReplied, ComplaintResponded, DeadlineWarning
from lapor_shared.testing.factories import (
    accepted_envelope,
    complaint_accepted,
    complaint_routed,
    envelope,
    routed_envelope,
)

from .harness import NotifyHarness
from .test_privacy import channels

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

TITLE = "Pungli Penanda6620 di loket KTP"
TEXTS = ("Petugas loket meminta Penanda6621 untuk mempercepat KTP.", "Oknum Penanda6622 sudah diperiksa.",
         "Belum beres, Penanda6623 masih meminta uang.")


async def test_p19_officers_get_no_rahasia_content_and_a_sibling_agency_gets_nothing(database_url):
    accepted = accepted_envelope(complaint_accepted(confidential=True, title=TITLE, description=TEXTS[0]))
    routed = routed_envelope(complaint_routed(confidential=True, title=TITLE, description=TEXTS[0]),
                             caused_by=accepted)
    later = [
        envelope(DeadlineWarning(stage="follow_up", agency_id="umum.18.71",
                                 due_at=datetime.now(UTC) + timedelta(days=1)), producer="followup", caused_by=routed),
        envelope(ComplaintResponded(agency_id="umum.18.71", text=TEXTS[1]), producer="followup", caused_by=routed),
        envelope(ComplaintReporterReplied(text=TEXTS[2]), producer="followup", caused_by=routed),
    ]
    fakes = channels()
    async with NotifyHarness(database_url, channels=fakes) as h:
        for ref in ("agency:umum.18.71", "agency:pu.18.71"):
            await h.add_recipient(ref, email=f"{ref[7:]}@instansi.example", phone="+6281100000000",
                                  webhook_url="http://127.0.0.1:9/hook", webhook_secret="s")
        for event in (accepted, routed, *later):
            await h.publish(event)
        await h.deliver()
        rows = await h.deliveries()

    officer_rows = [r for r in rows if r["recipient_kind"] != "reporter"]
    officer_sent = [m for c in fakes.values() for m in c.sent if m.recipient_kind != "reporter"]
    assert {r["recipient_ref"] for r in officer_rows} == {"agency:umum.18.71"}  # the sibling: nothing
    assert {r["template"] for r in officer_rows} >= {"complaint_routed.officer", "complaint_deadline_warning.officer",
                                                      "complaint_reporter_replied.officer"}
    assert {m.channel for m in officer_sent} == {"email", "sms", "webhook"}
    officer_text = json.dumps([[r["subject"], r["body"], r["sms_text"], r["data"]] for r in officer_rows]
                              + [[m.subject, m.body, m.sms_text, body_of(m).decode()] for m in officer_sent],
                              default=str, ensure_ascii=False)
    assert routed.tracking_number in officer_text
    assert [s for s in ("Penanda6620", "Penanda6621", "Penanda6622", "Penanda6623") if s in officer_text] == []


@pytest.mark.parametrize("at_once", [True, False], ids=["inbox-written-at-once", "inbox-by-the-worker"])
async def test_p28_the_notification_events_carry_ids_channel_template_and_codes_never_content(database_url, at_once):
    routed = routed_envelope(complaint_routed(confidential=True, title=TITLE, description=TEXTS[0]))
    async with NotifyHarness(database_url, channels=channels(), sending={"inbox_at_once": at_once}) as h:
        await h.add_recipient("agency:umum.18.71", email="umum.18.71@instansi.example")
        await h.publish(routed)
        await h.deliver()

    assert h.events
    for event in h.events:
        text = json.dumps(event, default=str, ensure_ascii=False)
        assert "Penanda662" not in text
        assert set(event["payload"]) <= {"notification_id", "source_event_id", "recipient_kind", "recipient_ref",
                                         "channel", "template", "attempts", "reason"}

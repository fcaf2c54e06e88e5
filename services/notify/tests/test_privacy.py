"""Privacy by construction: an anonim reporter's identity reaches no officer, no event and no log line;
an erased contact is gone and used no more."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from lapor_notify.channels.webhook import body_of
from lapor_shared.events.lifecycle import (
    ComplaintClosed,
    ComplaintEscalated,
    ComplaintReporterReplied,
    ComplaintResponded,
    DeadlineWarning,
)
from lapor_shared.events.values import AgencyLevel, AgencyRef, ReporterContact
from lapor_shared.testing.clock import ManualClock
from lapor_shared.testing.factories import (
    accepted_envelope,
    agency_ref,
    complaint_accepted,
    complaint_routed,
    contact_erased,
    contact_shared,
    envelope,
    routed_envelope,
)

from .harness import NotifyHarness, RecordingChannel

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def channels() -> dict[str, RecordingChannel]:
    return {name: RecordingChannel(name) for name in ("inbox", "email", "sms", "webhook")}


async def test_anonymous_reporter_identity_never_reaches_officers_events_or_logs(database_url, notify_logs):
    reporter_ref = uuid4()
    identity = ReporterContact(name="Siti Rahasia", phone="+6281298765432", email="siti.rahasia@example.id")
    accepted = accepted_envelope(complaint_accepted(anonymous=True))
    routed = routed_envelope(complaint_routed(anonymous=True), caused_by=accepted)
    province = AgencyRef(agency_id="umum.18", name="Unit Pengaduan Provinsi Lampung", level=AgencyLevel.PROVINCE,
                         jurisdiction_code="18")
    later = [
        envelope(DeadlineWarning(stage="follow_up", agency_id="umum.18.71",
                                 due_at=datetime.now(UTC) + timedelta(days=1)), producer="followup", caused_by=routed),
        envelope(ComplaintEscalated(from_agency=agency_ref(), to_agency=province, stage="follow_up",
                                    escalation_level=1), producer="followup", caused_by=routed),
        envelope(ComplaintResponded(agency_id="umum.18.71", text="Jalan sudah ditambal."), producer="followup",
                 caused_by=routed),
        envelope(ComplaintReporterReplied(text="Terima kasih, sudah beres."), producer="followup", caused_by=routed),
    ]
    fakes = channels()
    logs = notify_logs  # every line notify logs during the test
    async with NotifyHarness(database_url, channels=fakes) as h:
        for ref in ("agency:umum.18.71", "agency:umum.18"):
            await h.add_recipient(ref, email=f"{ref[7:]}@instansi.example", phone="+6281100000000",
                                  webhook_url="http://127.0.0.1:9/hook", webhook_secret="s")
        await h.publish(contact_shared(accepted, identity, reporter_ref=reporter_ref, anonymous=True))
        for event in (accepted, routed, *later):
            await h.publish(event)
        await h.deliver()
        rows = await h.deliveries()

    secrets = [identity.name, identity.phone, identity.email, str(reporter_ref), "6281298765432"]
    officer_rows = [r for r in rows if r["recipient_kind"] != "reporter"]
    officer_sent = [m for c in fakes.values() for m in c.sent if m.recipient_kind != "reporter"]
    assert {r["template"] for r in officer_rows} >= {
        "complaint_routed.officer", "complaint_deadline_warning.officer", "complaint_escalated.officer",
        "complaint_escalated.supervisor", "complaint_reporter_replied.officer",
    }
    assert {m.channel for m in officer_sent} == {"email", "sms", "webhook"}
    officer_text = json.dumps([[r["subject"], r["body"], r["sms_text"], r["data"]] for r in officer_rows]
                              + [[m.to, m.subject, m.body, m.sms_text, body_of(m).decode()] for m in officer_sent],
                              default=str, ensure_ascii=False)
    assert not [s for s in secrets if s in officer_text]

    # the reporter was reached (on their own address) while nothing else carries who they are
    assert identity.email in [m.to for m in fakes["email"].sent]
    events_text = json.dumps(h.events)
    assert h.events and not [s for s in secrets if s in events_text]
    log_text = json.dumps(logs, default=str, ensure_ascii=False)
    assert {"delivery_recorded", "delivery_sent", "contact_stored"} <= {line["event"] for line in logs}
    assert not [s for s in secrets if s in log_text]


async def test_an_erased_contact_is_deleted_and_never_used_again(database_url):
    reporter_ref = uuid4()
    accepted = accepted_envelope(complaint_accepted(reporter_ref=reporter_ref))
    contact = contact_shared(accepted, ReporterContact(email="lupakan@example.org", phone="+6281211112222"),
                             reporter_ref=reporter_ref)
    responded = envelope(ComplaintResponded(agency_id="umum.18.71", text="Ditangani."), producer="followup",
                         caused_by=accepted)
    closed = envelope(ComplaintClosed(reason="resolved", by="umum.18.71"), producer="followup", caused_by=accepted)
    fakes = channels()
    async with NotifyHarness(database_url, channels=fakes) as h:
        await h.publish(contact)
        await h.publish(accepted)
        await h.deliver()
        assert [m.to for m in fakes["email"].sent] == ["lupakan@example.org"]
        assert await h.pool.fetchval("SELECT count(*) FROM contacts") == 1

        await h.publish(responded)  # recorded, not yet sent when the erasure arrives
        await h.publish(contact_erased(reporter_ref, cause=accepted))
        await h.publish(closed)
        await h.publish(contact_shared(accepted, ReporterContact(email="lupakan@example.org"),
                                       reporter_ref=reporter_ref))  # a replay must not bring it back
        await h.deliver()

        assert await h.pool.fetchval("SELECT count(*) FROM contacts") == 0
        stored = await h.pool.fetchval("SELECT string_agg(ciphertext, '') FROM contacts")
        assert stored is None
        after = {(r["template"], r["channel"]): r["status"] for r in await h.deliveries()
                 if r["template"] in ("complaint_responded.reporter", "complaint_closed.reporter")}

    assert [m.to for m in fakes["email"].sent] == ["lupakan@example.org"], "no e-mail after the erasure"
    assert not fakes["sms"].sent
    assert after == {
        ("complaint_responded.reporter", "inbox"): "sent",
        ("complaint_responded.reporter", "email"): "cancelled",
        ("complaint_responded.reporter", "sms"): "cancelled",
        ("complaint_closed.reporter", "inbox"): "sent",
    }


async def test_a_closed_complaints_contact_is_deleted_after_the_reopen_window(database_url):
    clock = ManualClock()
    closed_case, open_case = accepted_envelope(), accepted_envelope()
    closed = envelope(ComplaintClosed(reason="resolved", by="umum.18.71"), producer="followup",
                      caused_by=closed_case)
    async with NotifyHarness(database_url, channels=channels(), clock=clock,
                       sending={"contact_retention_after_close_s": 30 * 24 * 3600}) as h:
        for case in (closed_case, open_case):
            await h.publish(contact_shared(case, ReporterContact(email="warga@example.org")))
            await h.publish(case)
        await h.publish(closed)
        await h.deliver()
        clock.advance(days=29)
        await h.deliver()
        kept_in_window = await h.pool.fetchval("SELECT count(*) FROM contacts")
        clock.advance(days=2)
        await h.deliver()
        remaining = [r["complaint_id"] for r in await h.pool.fetch("SELECT complaint_id FROM contacts")]

    assert kept_in_window == 2
    assert remaining == [open_case.complaint_id]

"""The reporter's key in the reporter's first message: it comes encrypted with the contact on the restricted
topic, goes into that message's e-mail and SMS at send time, never into the stored message, the inbox,
notify's events or logs, and is deleted once the first message went; the links lead to the gateway's
tracking page (``LAPOR_PUBLIC_BASE_URL``)."""

from __future__ import annotations

import json

import pytest

from lapor_notify import repository
from lapor_shared.events.values import ReporterContact
from lapor_shared.testing.factories import accepted_envelope, complaint_accepted, contact_shared, routed_envelope

from .harness import NotifyHarness, RecordingChannel

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

KEY = "Q7RM-4XK2-PZ9D-W3NA"
BASE = "https://lapor.example.go.id"


def channels() -> dict[str, RecordingChannel]:
    return {name: RecordingChannel(name) for name in ("inbox", "email", "sms", "webhook")}


async def test_the_first_email_and_sms_carry_the_key_and_the_link_while_nothing_stored_or_published_does(
    database_url, notify_logs,
):
    accepted = accepted_envelope(complaint_accepted(anonymous=True))
    routed = routed_envelope(caused_by=accepted)
    contact = ReporterContact(phone="+6281255501234", email="reporter.key@example.id")
    fakes = channels()
    async with NotifyHarness(database_url, channels=fakes, public_base_url=BASE,
                             sending={"reporter_sms_with_email": True}) as h:
        await h.publish(accepted)  # the message is recorded before the contact (and its key) arrives
        await h.publish(contact_shared(accepted, contact, anonymous=True, reporter_key=KEY))
        await h.publish(routed)
        await h.deliver()
        rows = await h.deliveries()
        async with h.pool.acquire() as conn:  # housekeeping's chore, every five minutes
            await repository.forget_spent_reporter_keys(conn)
        kept = await h.pool.fetchval("SELECT key_ciphertext FROM contacts WHERE complaint_id = $1",
                                     accepted.complaint_id)

    [email] = [m for m in fakes["email"].sent if m.template == "complaint_accepted.reporter"]
    [sms] = [m for m in fakes["sms"].sent if m.template == "complaint_accepted.reporter"]
    [inbox] = [m for m in fakes["inbox"].sent if m.template == "complaint_accepted.reporter"]
    link = f"{BASE}/lacak?nomor={accepted.tracking_number}"
    assert KEY in email.body and f"{link}&kunci={KEY}" in email.body
    assert KEY in sms.sms_text and link in sms.sms_text
    assert KEY not in inbox.body and "KUNCI-PELAPOR" not in inbox.body and link in inbox.body
    later = [m for c in fakes.values() for m in c.sent if m.template != "complaint_accepted.reporter"]
    assert later and not [m for m in later if KEY in m.body or KEY in m.sms_text]
    stored = json.dumps([[r["subject"], r["body"], r["sms_text"]] for r in rows], ensure_ascii=False)
    assert KEY not in stored
    assert {"delivery_sent", "contact_stored"} <= {line["event"] for line in notify_logs}  # captured
    assert KEY not in json.dumps(h.events) and KEY not in json.dumps(notify_logs, default=str)
    assert kept is None  # the first message went: the key is deleted


async def test_a_contact_without_a_key_gets_the_first_message_without_the_keys_lines(database_url):
    accepted = accepted_envelope(complaint_accepted())
    fakes = channels()
    async with NotifyHarness(database_url, channels=fakes) as h:
        await h.publish(contact_shared(accepted, ReporterContact(email="tanpa.kunci@example.id")))
        await h.publish(accepted)
        await h.deliver()

    [email] = fakes["email"].sent
    assert "KUNCI-PELAPOR" not in email.body and "kunci=" not in email.body
    assert accepted.tracking_number in email.body

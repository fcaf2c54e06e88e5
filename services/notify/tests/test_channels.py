"""Each channel delivers for real: e-mail to an SMTP server, SMS and webhooks to an HTTP server."""

from __future__ import annotations

import json

import pytest

from lapor_notify.channels.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from lapor_shared.events.values import ReporterContact
from lapor_shared.testing.factories import accepted_envelope, complaint_routed, contact_shared, routed_envelope

from .harness import NotifyHarness

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def test_reporter_email_reaches_a_real_smtp_server_in_both_languages(database_url, smtp_sink):
    accepted = accepted_envelope()
    contact = ReporterContact(name="Siti Aminah", email="siti@example.id", phone="+6281234567890")
    async with NotifyHarness(database_url, smtp={"port": smtp_sink.port}, sms={"provider": "disabled"}) as h:
        await h.publish(contact_shared(accepted, contact))
        await h.publish(accepted)
        await h.deliver()

    assert len(smtp_sink.messages) == 1
    mail = smtp_sink.messages[0]
    assert smtp_sink.envelopes[0][1] == ["siti@example.id"]
    assert mail["To"] == "siti@example.id"
    assert accepted.tracking_number in mail["Subject"]
    text = mail.get_content()
    assert accepted.tracking_number in text
    assert text.index("Laporan Anda") < text.index("Your report")  # Bahasa Indonesia first, English second
    assert mail["X-Lapor-Delivery"] in mail["Message-ID"]
    sent = [e for e in h.events if e["event_type"] == "notification.sent" and e["payload"]["channel"] == "email"]
    assert len(sent) == 1 and sent[0]["tracking_number"] == accepted.tracking_number
    assert sent[0]["causation_id"] == str(accepted.event_id)


async def test_reporter_sms_goes_through_the_http_gateway_with_the_tracking_number(database_url, http_recorder):
    accepted = accepted_envelope()
    contact = ReporterContact(phone="+6281234567890")  # no e-mail: SMS is the way to reach this reporter
    async with NotifyHarness(database_url, sms={"url": f"{http_recorder.url}/sms", "token": "t0k3n"},
                       smtp={"provider": "disabled"}) as h:
        await h.publish(contact_shared(accepted, contact, channel="sms"))
        await h.publish(accepted)
        await h.deliver()
        [row] = await h.deliveries(channel="sms")

    [request] = http_recorder.requests
    assert request.path == "/sms"
    assert request.headers["authorization"] == "Bearer t0k3n"
    assert request.headers["idempotency-key"] == str(row["notification_id"])
    body = request.json()
    assert body["to"] == "+6281234567890"
    assert accepted.tracking_number in body["text"]
    assert body["reference"] == str(row["notification_id"])
    assert row["status"] == "sent"


async def test_officer_webhook_is_signed_and_verifiable(database_url, http_recorder):
    routed = routed_envelope(complaint_routed())
    secret = "rahasia-webhook-18.71"
    async with NotifyHarness(database_url, smtp={"provider": "disabled"}, sms={"provider": "disabled"}) as h:
        await h.add_recipient("agency:umum.18.71", display_name="Unit Pengaduan Kota Bandar Lampung",
                              webhook_url=f"{http_recorder.url}/lapor/inbound", webhook_secret=secret)
        await h.publish(routed)
        await h.deliver()
        [row] = await h.deliveries(channel="webhook")

    [request] = http_recorder.requests
    timestamp, signature = request.headers[TIMESTAMP_HEADER.lower()], request.headers[SIGNATURE_HEADER.lower()]
    assert verify(secret, timestamp, request.body, signature)
    assert not verify("another-secret", timestamp, request.body, signature)
    assert not verify(secret, timestamp, request.body + b" ", signature)
    # the documented recipe, independently: HMAC-SHA256 over timestamp + "." + body
    import hashlib
    import hmac

    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256).hexdigest()
    assert signature == f"sha256={expected}"
    assert request.headers["idempotency-key"] == str(row["notification_id"])
    document = json.loads(request.body)
    assert document["tracking_number"] == routed.tracking_number
    assert document["template"] == "complaint_routed.officer"
    assert document["data"]["agency_id"] == "umum.18.71"


"""The in-app inbox over HTTP: the reporter's messages by tracking number, nothing more."""

from __future__ import annotations

import httpx
import pytest

from lapor_notify.app import build
from lapor_notify.settings import NotifySettings
from lapor_shared import tracking
from lapor_shared.events.lifecycle import ComplaintHeld, ComplaintResponded
from lapor_shared.events.values import ReporterContact
from lapor_shared.testing.factories import accepted_envelope, complaint_accepted, contact_shared, envelope, reason

from .harness import NotifyHarness

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.mark.parametrize("at_once", [True, False], ids=["written-at-once", "by-the-worker"])
async def test_the_inbox_shows_no_contact_key_or_free_text_reason_and_a_rahasia_one_answers_as_unknown(
    database_url, at_once,
):
    accepted = accepted_envelope(complaint_accepted(title="Lampu jalan mati di Jl. Kartini"))
    held = envelope(ComplaintHeld(reason=reason(message_id="Menunggu klarifikasi Pak Darto di RT 05."),
                                  by="admin:pusat-1"), producer="followup", caused_by=accepted)
    rahasia = accepted_envelope(complaint_accepted(confidential=True, title="Pungli di kantor kelurahan"))
    responded = envelope(ComplaintResponded(agency_id="umum.18.71", text="Petugas sudah diperiksa."),
                         producer="followup", caused_by=rahasia)
    async with NotifyHarness(database_url, smtp={"provider": "disabled"}, sms={"provider": "disabled"},
                             sending={"inbox_at_once": at_once}) as h:
        await h.publish(contact_shared(accepted, ReporterContact(name="Budi", email="budi@example.org"),
                                       reporter_key="AB12-CD34-EF56-GH78"))
        await h.publish(contact_shared(rahasia, ReporterContact(name="Wati", email="wati@example.org")))
        for event in (accepted, held, rahasia, responded):
            await h.publish(event)
        await h.deliver()
        transport = httpx.ASGITransport(app=h.service.asgi_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://notify") as client:
            found = await client.get(f"/api/v1/inbox/{accepted.tracking_number}")
            lower = await client.get(f"/api/v1/inbox/{accepted.tracking_number.lower()}")
            posted = await client.post(f"/api/v1/inbox/{accepted.tracking_number}")
            hidden = await client.get(f"/api/v1/inbox/{rahasia.tracking_number}")
            unknown = await client.get(f"/api/v1/inbox/{tracking.random_number()}")
            signed = await client.get(f"/api/v1/inbox/{tracking.format_value(35)}")  # check symbol "="
        kept = await h.deliveries(channel="inbox", complaint_id=rahasia.complaint_id)

    assert found.status_code == 200 and lower.status_code == 200
    document = found.json()
    assert document["tracking_number"] == accepted.tracking_number
    assert [m["template"] for m in document["messages"]] == ["complaint_accepted.reporter", "complaint_held.reporter"]
    assert all(accepted.tracking_number in m["body"] for m in document["messages"])
    for leak in ("Budi", "budi@example.org", "AB12-CD34-EF56-GH78", "KUNCI-PELAPOR", "Pak Darto"):
        assert leak not in found.text
    assert posted.status_code == 405
    # a rahasia complaint's inbox exists, and the public look-up answers as for a number without messages
    assert len(kept) == 2
    assert (hidden.status_code, hidden.json()["reasons"]) == (unknown.status_code, unknown.json()["reasons"])
    assert hidden.status_code == 404 and unknown.json()["error"]["message_en"]
    assert signed.json()["reasons"] == unknown.json()["reasons"]  # a well-formed number, whatever its check
    for leak in ("Wati", "Pungli", "Petugas sudah diperiksa"):
        assert leak not in hidden.text


async def test_the_inbox_is_a_public_look_up_rate_limited_per_client_and_refusing_control_characters(database_url):
    settings = NotifySettings(database_url=database_url, http={"rate_lookup": {"per_minute": 60, "burst": 1}})
    app = build(settings).asgi_app()  # not started: what the database would answer is never asked
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notify") as client:
        nul = await client.get("/api/v1/inbox/LPR%00")
        first = await client.get("/api/v1/inbox/x!")  # refused by the inbox itself, before the database
        second = await client.get("/api/v1/inbox/LPR-0000-00000")

    assert nul.status_code == 400 and nul.json()["reasons"][0]["code"] == "control_character"
    assert first.status_code == 404 and first.json()["reasons"][0]["code"] == "unknown_tracking_number"
    assert second.status_code == 429 and second.headers["retry-after"] == "1"

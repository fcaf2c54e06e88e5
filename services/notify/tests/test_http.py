"""The in-app inbox over HTTP: the reporter's messages by tracking number, nothing more."""

from __future__ import annotations

import httpx
import pytest

from lapor_notify.app import build
from lapor_notify.settings import NotifySettings
from lapor_shared.events.lifecycle import ComplaintResponded
from lapor_shared.events.values import ReporterContact
from lapor_shared.testing.factories import accepted_envelope, complaint_accepted, contact_shared, envelope

from .harness import NotifyHarness

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def test_the_inbox_lists_the_reporters_messages_without_contacts_or_confidential_content(database_url):
    accepted = accepted_envelope(complaint_accepted(confidential=True, title="Pungli di kantor kelurahan"))
    responded = envelope(ComplaintResponded(agency_id="umum.18.71", text="Petugas sudah diperiksa."),
                         producer="followup", caused_by=accepted)
    async with NotifyHarness(database_url, smtp={"provider": "disabled"}, sms={"provider": "disabled"}) as h:
        await h.publish(contact_shared(accepted, ReporterContact(name="Budi", email="budi@example.org")))
        await h.publish(accepted)
        await h.publish(responded)
        await h.deliver()
        transport = httpx.ASGITransport(app=h.service.asgi_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://notify") as client:
            found = await client.get(f"/api/v1/inbox/{accepted.tracking_number}")
            lower = await client.get(f"/api/v1/inbox/{accepted.tracking_number.lower()}")
            unknown = await client.get("/api/v1/inbox/LPR-0000-00000")
            posted = await client.post(f"/api/v1/inbox/{accepted.tracking_number}")

    assert found.status_code == 200 and lower.status_code == 200
    document = found.json()
    assert document["tracking_number"] == accepted.tracking_number
    assert [m["template"] for m in document["messages"]] == [
        "complaint_accepted.reporter", "complaint_responded.reporter"
    ]
    assert all(accepted.tracking_number in m["body"] for m in document["messages"])
    for leak in ("Budi", "budi@example.org", "Pungli", "Petugas sudah diperiksa"):
        assert leak not in found.text
    assert unknown.status_code == 404 and unknown.json()["error"]["message_en"]
    assert posted.status_code == 405

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

"""The in-app inbox over HTTP: the reporter's messages by tracking number, nothing more."""

from __future__ import annotations

import httpx
import pytest

from lapor_notify.http import InboxApi
from lapor_notify.testing import Harness, contact_shared
from lapor_shared.events.lifecycle import ComplaintResponded
from lapor_shared.events.values import ReporterContact
from lapor_shared.testing.factories import accepted_envelope, complaint_accepted, envelope

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def test_the_inbox_lists_the_reporters_messages_without_contacts_or_confidential_content(database_url):
    accepted = accepted_envelope(complaint_accepted(confidential=True, title="Pungli di kantor kelurahan"))
    responded = envelope(ComplaintResponded(agency_id="umum.18.71", text="Petugas sudah diperiksa."),
                         producer="followup", caused_by=accepted)
    async with Harness(database_url, smtp={"provider": "disabled"}, sms={"provider": "disabled"}) as h:
        await h.publish(contact_shared(accepted, ReporterContact(name="Budi", email="budi@example.org")))
        await h.publish(accepted)
        await h.publish(responded)
        await h.deliver()
        transport = httpx.ASGITransport(app=InboxApi(lambda: h.pool))
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

"""The reporter proves who they are with the reporter's key and follows, answers, rates and reopens over the
gateway's API (issue 14 "Reporters", issue 15 "Reporter"), on the real broker and database; anyone
without the key publishes nothing and learns nothing."""

from __future__ import annotations

import pytest

from lapor_shared import tracking
from lapor_shared.events.values import Attachment
from shared.tests.evidence.images import encoded, pattern

from .conftest import Loop

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

ATTACHMENT = Attachment(url="https://dokumen.example.go.id/perbaikan-jalan.jpg", media_type="image/jpeg",
                        size_bytes=120_000)


async def test_the_reporter_reads_replies_rates_and_reopens_with_the_key_and_followup_carries_it_out(loop: Loop):
    filed = await loop.file()
    routed = await loop.gateway_sees(filed, "routed", having=lambda view: view["deadline"])
    assert routed["agency"] and routed["deadline"]["stage"] == "follow_up"
    assert routed["deadline"]["due_text"]["id"].endswith("WIB")  # Bandar Lampung: the agency's local time
    assert routed["actions"] == {"reply": False, "rate": False, "reopen": False, "reopen_until": None,
                                 "reopen_until_text": None}

    await loop.respond(filed, "Lubang ditambal Kamis depan.", attachments=[ATTACHMENT],
                       internal_note="Aspal dari gudang B.")
    responded = await loop.gateway_sees(filed, "responded")
    [response] = [s for s in responded["timeline"] if s["kind"] == "responded"]
    assert response["message"] == "Lubang ditambal Kamis depan."
    assert response["attachments"] == [{"url": str(ATTACHMENT.url), "media_type": "image/jpeg"}]
    assert "gudang B" not in str(responded) and responded["actions"]["reply"] is True

    slot = (await loop.http.post("/api/v1/uploads")).json()  # a photo with the reply, by an upload slot
    assert (await loop.http.put(slot["upload_url"], content=encoded(pattern(), "PNG"))).status_code == 200
    reply = await loop.http.post(f"/api/v1/complaints/{filed.tracking_number}/replies",
                                 json={"text": "Terima kasih, saya tunggu.", "uploads": [slot["upload_id"]]},
                                 headers={"Authorization": f"Bearer {filed.key.lower().replace('-', '')}"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "accepted" and reply.json()["action"] == "reporter.reply"
    await loop.followup_reaches(filed, "reporter_replied")
    replied = await loop.gateway_sees(filed, "reporter_replied")
    [with_photo] = [s for s in replied["timeline"] if s["kind"] == "reporter_replied"]
    assert [e["media_type"] for e in with_photo["evidence"]] == ["image/png"]
    assert (await loop.http.get(with_photo["evidence"][0]["url"])).status_code == 200

    await loop.respond(filed, "Sudah ditambal.")
    await loop.gateway_sees(filed, "responded")
    await loop.resolve(filed)
    closed = await loop.gateway_sees(filed, "closed")
    assert closed["actions"]["rate"] and closed["actions"]["reopen"] and closed["actions"]["reopen_until"]

    key = {"Authorization": f"Bearer {filed.key}"}
    rated = await loop.http.post(f"/api/v1/complaints/{filed.tracking_number}/rating",
                                 json={"rating": 4, "comment": "Cepat ditangani."}, headers=key)
    assert rated.status_code == 200 and rated.json()["status"] == "accepted", rated.text
    assert (await loop.followup(filed))["rating"] == 4
    twice = await loop.http.post(f"/api/v1/complaints/{filed.tracking_number}/rating", json={"rating": 1},
                                 headers=key)
    assert twice.status_code == 409 and twice.json()["reasons"][0]["code"] == "already_rated"
    assert (await loop.followup(filed))["rating"] == 4

    reopened = await loop.http.post(f"/api/v1/complaints/{filed.tracking_number}/reopen",
                                    json={"reason": "Lubangnya muncul lagi setelah hujan."}, headers=key)
    assert reopened.status_code == 200 and reopened.json()["status"] == "accepted", reopened.text
    await loop.followup_reaches(filed, "reopened")
    view = await loop.gateway_sees(filed, "reopened")
    [step] = [s for s in view["timeline"] if s["kind"] == "reopened"]
    assert step["message"] == "Lubangnya muncul lagi setelah hujan." and step["text"]["en"].startswith("You reopened")
    assert [s["rating"] for s in view["timeline"] if s["kind"] == "rated"] == [4]
    poll = await loop.http.get(reopened.json()["poll_url"], headers=key)
    assert poll.status_code == 200 and poll.json()["status"] == "accepted"


async def test_a_command_with_a_wrong_or_missing_key_or_another_complaints_key_publishes_nothing(loop: Loop):
    mine, theirs = await loop.file(), await loop.file()
    await loop.gateway_sees(mine, "routed")
    await loop.respond(mine, "Sudah kami periksa.")
    await loop.gateway_sees(mine, "responded")
    unknown_number = tracking.random_number()

    attempts = {
        "wrong key": (mine.tracking_number, {"Authorization": "Bearer AAAA-BBBB-CCCC-DDDD"}),
        "no key": (mine.tracking_number, {}),
        "another complaint's key": (mine.tracking_number, {"Authorization": f"Bearer {theirs.key}"}),
        "unknown number": (unknown_number, {"Authorization": f"Bearer {mine.key}"}),
    }
    answers = {}
    for name, (number, headers) in attempts.items():
        for path, body in (("replies", {"text": "Ini bukan pelapornya."}), ("rating", {"rating": 1}),
                           ("reopen", {"reason": "Iseng."})):
            answers[name, path] = await loop.http.post(f"/api/v1/complaints/{number}/{path}", json=body,
                                                       headers=headers)
        answers[name, "timeline"] = await loop.http.get(f"/api/v1/complaints/{number}/timeline", headers=headers)

    refusal = answers["unknown number", "rating"].content
    assert {(r.status_code, r.content) for r in answers.values()} == {(404, refusal)}
    assert await loop.pool.fetchval("SELECT count(*) FROM gateway.reporter_actions WHERE complaint_id = ANY($1)",
                                    [mine.complaint_id, theirs.complaint_id]) == 0
    assert (await loop.followup(mine))["status"] == "responded"
    commands = await loop.everything_on("lapor.commands.reporter")
    assert str(mine.complaint_id).encode() not in commands and str(theirs.complaint_id).encode() not in commands


async def test_the_key_is_shown_once_and_travels_nowhere_an_agency_or_an_operator_reads(loop: Loop):
    filed = await loop.file(confidential=True, title="Pungli di loket Penanda4417",
                            description="Petugas loket meminta uang tambahan Penanda4417 untuk KTP.")
    view = await loop.gateway_sees(filed, "routed")
    assert view["title"] == "Pungli di loket Penanda4417" and view["confidential"] is True
    poll_token = await loop.pool.fetchval(
        "SELECT poll_token FROM gateway.submissions JOIN gateway.answers USING (channel, channel_message_id)"
        " WHERE tracking_number = $1", filed.tracking_number)
    shown_again = await loop.http.get(f"/api/v1/submissions/{poll_token}")
    assert shown_again.status_code == 200 and shown_again.json()["tracking_number"] == filed.tracking_number
    assert "reporter_key" not in shown_again.json()

    key = filed.key.encode()
    agency_facing = await loop.everything_on(pattern=r"lapor\.jurisdiction\..*")
    platform = await loop.everything_on("lapor.complaints", "lapor.commands.agency", "lapor.commands.reporter",
                                        "lapor.notifications", "lapor.deadletter")
    results = await loop.everything_on("lapor.submissions.results")
    contacts = await loop.everything_on("lapor.restricted.contacts")
    assert filed.tracking_number.encode() in agency_facing and filed.tracking_number.encode() in platform
    assert key not in agency_facing and key not in platform and key not in contacts
    assert key in results  # the channel's answer, for the channel to show once
    assert b"Penanda4417" not in results and b"reporter_ref" not in results
    stored = await loop.pool.fetch("SELECT key_verifier::text AS v FROM gateway.reporter_keys WHERE complaint_id = $1",
                                   filed.complaint_id)
    assert stored and filed.key not in stored[0]["v"]
    assert await loop.pool.fetchval("SELECT count(*) FROM gateway.answers WHERE reporter_key IS NOT NULL"
                                    " AND tracking_number = $1", filed.tracking_number) == 0

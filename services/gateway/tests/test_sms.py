"""The SMS 1708 webhook: a text becomes a complaint, the sender gets the tracking number back."""

from __future__ import annotations

import uuid

import pytest

from .conftest import SMS_SECRET, unique_phone

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

SECRET = {"X-Lapor-Sms-Secret": SMS_SECRET}
TEXT = "Lampu jalan di Jl. Kartini mati sudah tiga malam, rawan begal. Mohon diperbaiki."


def inbound(**overrides: str) -> dict[str, str]:
    # gateways usually send the sender without the plus
    fields = {"from": unique_phone().lstrip("+"), "text": TEXT, "message_id": f"sms-{uuid.uuid4()}"}
    fields.update(overrides)
    return fields


async def outbox(a) -> list[dict]:
    response = await a.http.get("/sms/outbox", headers=SECRET)
    assert response.status_code == 200
    return response.json()["messages"]


async def test_a_bad_or_missing_secret_is_401_and_nothing_is_published(adapters):
    async with adapters() as a:
        wrong = await a.http.post("/sms/inbound", data=inbound(), headers={"X-Lapor-Sms-Secret": "tebakan"})
        missing = await a.http.post("/sms/inbound", data=inbound())
        peek = await a.http.get("/sms/outbox", headers={"X-Lapor-Sms-Secret": "tebakan"})

        assert wrong.status_code == missing.status_code == peek.status_code == 401
        assert wrong.json()["reasons"][0]["code"] == "bad_secret"
        assert a.submissions == []


async def test_a_text_becomes_a_complaint_and_the_reply_carries_the_tracking_number(adapters):
    async with adapters() as a:
        fields = inbound()

        response = await a.http.post("/sms/inbound", data=fields, headers=SECRET)

        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["status"] == "accepted"
        stored = await a.sql(
            "SELECT c.channel, c.title, r.phone FROM intake.complaints c JOIN intake.reporters r USING (reporter_ref)"
            " WHERE c.tracking_number = $1", answer["tracking_number"],
        )
        title = "Lampu jalan di Jl. Kartini mati sudah tiga…"
        assert [tuple(r) for r in stored] == [("sms", title, f"+{fields['from']}")]
        [reply] = await outbox(a)
        assert reply["to"] == f"+{fields['from']}"
        assert reply["from"] == "1708"
        assert answer["tracking_number"] in reply["body"]
        assert reply["in_reply_to"] == fields["message_id"]


async def test_a_json_webhook_with_provider_field_names_works_too(adapters):
    async with adapters() as a:
        body = {"msisdn": unique_phone(), "message": TEXT, "messageId": f"sms-{uuid.uuid4()}"}

        response = await a.http.post("/sms/inbound", json=body, headers=SECRET)

        assert response.status_code == 200
        assert response.json()["status"] == "accepted"


async def test_a_gateway_retrying_the_same_message_files_one_complaint_and_one_reply(adapters):
    async with adapters() as a:
        fields = inbound()

        first = await a.http.post("/sms/inbound", data=fields, headers=SECRET)
        second = await a.http.post("/sms/inbound", data=fields, headers=SECRET)

        assert first.json()["tracking_number"] == second.json()["tracking_number"]
        assert await a.count("SELECT count(*) FROM intake.complaints WHERE channel_message_id = $1",
                             fields["message_id"]) == 1
        assert len(await outbox(a)) == 1


async def test_a_text_intake_refuses_gets_a_reply_with_the_reason(adapters):
    async with adapters() as a:
        response = await a.http.post("/sms/inbound", data=inbound(text="rusak"), headers=SECRET)

        assert response.json()["status"] == "rejected"
        [reply] = await outbox(a)
        assert "belum dapat diterima" in reply["body"]
        assert "terlalu pendek" in reply["body"]


async def test_a_reply_sent_by_the_gateway_leaves_the_outbox_and_forgets_the_number(adapters):
    async with adapters() as a:
        await a.http.post("/sms/inbound", data=inbound(), headers=SECRET)
        [reply] = await outbox(a)

        sent = await a.http.post(f"/sms/outbox/{reply['id']}/sent", headers=SECRET)
        again = await a.http.post(f"/sms/outbox/{reply['id']}/sent", headers=SECRET)

        assert sent.status_code == 200 and again.status_code == 404
        assert await outbox(a) == []
        assert await a.count("SELECT count(*) FROM sms_outbox WHERE to_phone IS NOT NULL") == 0
        assert await a.count("SELECT count(*) FROM submissions WHERE reply_to IS NOT NULL") == 0


async def test_cek_with_a_tracking_number_replies_with_the_status(adapters):
    async with adapters() as a:
        number = (await a.http.post("/sms/inbound", data=inbound(), headers=SECRET)).json()["tracking_number"]
        asker = unique_phone()

        response = await a.http.post("/sms/inbound", data=inbound(**{"from": asker, "text": f"cek {number.lower()}"}),
                                     headers=SECRET)

        assert response.json()["status"] == "status_reply_queued"
        status_reply = [m for m in await outbox(a) if m["kind"] == "status"]
        assert [m["to"] for m in status_reply] == [asker]
        assert number in status_reply[0]["body"] and "Diterima" in status_reply[0]["body"]
        assert await a.count("SELECT count(*) FROM intake.complaints") == 1


async def test_a_message_without_a_sender_is_400(adapters):
    async with adapters() as a:
        response = await a.http.post("/sms/inbound", data=inbound(**{"from": ""}), headers=SECRET)

        assert response.status_code == 400
        assert response.json()["reasons"][0]["field"] == "from"


async def test_an_answer_that_comes_late_is_still_replied_to(adapters):
    async with adapters(wait_s=0) as a:
        response = await a.http.post("/sms/inbound", data=inbound(), headers=SECRET)
        assert response.json()["status"] == "pending"

        [reply] = await a.until(lambda: outbox(a))

        assert "Nomor pelacakan: LPR-" in reply["body"]


async def test_a_leading_region_code_tag_sets_the_complaint_region(adapters):
    async with adapters() as a:
        response = await a.http.post("/sms/inbound", data=inbound(text=f"#18.71 {TEXT}"), headers=SECRET)

        stored = await a.sql("SELECT region_code, title FROM intake.complaints WHERE tracking_number = $1",
                             response.json()["tracking_number"])
        assert [tuple(r) for r in stored] == [("18.71", "Lampu jalan di Jl. Kartini mati sudah tiga…")]
